#!/usr/bin/env bash
# Install every Debian package that building virtty and running its tests
# need. Idempotent; used by setup.sh, tests/run-all.sh and .ci/run.
set -euo pipefail

packages=(
	# build
	build-essential autoconf automake libtool pkg-config
	# libraries (see README: "Dependencies")
	libncurses-dev libjson-c-dev libinih-dev check libvncserver-dev libvirt-dev libvterm-dev
	libseccomp-dev libslirp-dev libchafa-dev libinput-dev zlib1g-dev
	# tests: ACPI table decompiler, fuzzing, the nested lab, TUI tests
	acpica-tools clang libclang-rt-14-dev
	qemu-system-x86 qemu-utils busybox-static cpio tmux ncurses-term gdb
	# network tests: namespaces, DHCP for host-only networks, ping
	iproute2 dnsmasq-base iputils-ping python3
	# libvirt tests: a real libvirtd (TCG domains) and a private sshd for qemu+ssh://
	libvirt-daemon-system openssh-server openssh-client
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then SUDO=sudo; else
		echo "install-deps: need root to install: ${missing[*]}" >&2
		exit 1
	fi
else
	SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
