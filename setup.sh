#!/usr/bin/env bash
# Quick start: install what is missing, build, and boot a first VM.
# Usage: ./setup.sh   (Debian 12, as root or with sudo)
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
"$top/tests/install-deps.sh"
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q
make -j"$(nproc)"
make -j"$(nproc)" check_DATA="" tests/guests/hello.elf >/dev/null
echo
echo "virtty-vmm built: $top/build/backend/vmm/virtty-vmm"
echo "Booting the smallest test guest:"
./backend/vmm/virtty-vmm --kernel tests/guests/hello.elf --memory 16 </dev/null
