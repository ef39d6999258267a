#!/usr/bin/env bash
# Quick start: install what is missing, build into ./build, prepare the demo
# guest (Debian cloud kernel + our busybox initramfs), define the VM `demo`
# in your store, check the host, then open the virtty interface (on a tty).
# Usage: ./setup.sh [--no-console]   (Debian 12, as root or with sudo)
# Re-running it is safe: nothing is rebuilt or redefined that is already there.
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

console=yes
case "${1:-}" in
--no-console) console=no ;;
"") ;;
-h | --help)
	sed -n 's/^# \{0,1\}//; 2,6p' "$0"
	exit 0
	;;
*)
	echo "setup.sh: unknown option '$1' (try --help)" >&2
	exit 2
	;;
esac
# Without a terminal (CI, a pipe) there is nobody to talk to the console.
[ -t 0 ] && [ -t 1 ] || console=no

say() { printf '\n== %s\n' "$*"; }

say "Installing missing packages"
"$top/tests/install-deps.sh"

say "Building into $top/build"
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q
make -j"$(nproc)" >make.log 2>&1 || {
	tail -n 30 make.log
	echo "setup.sh: the build failed (full log: $top/build/make.log)" >&2
	exit 1
}
virtty=$top/build/cli/virtty
[ -x "$virtty" ] || { echo "setup.sh: $virtty was not built" >&2; exit 1; }

say "Preparing the demo guest"
kernel_paths=$("$top/tests/lab/fetch-kernel.sh")
eval "$kernel_paths" # vmlinuz=... modules=...
# The demo's kernel and initramfs live beside the VMs in the store (the same
# root virtty picks), so they survive a new build tree or a refreshed cache.
if [ -n "${VIRTTY_HOME:-}" ]; then
	store=$VIRTTY_HOME
elif [ -n "${XDG_DATA_HOME:-}" ]; then
	store=$XDG_DATA_HOME/virtty
elif [ "$(id -u)" = 0 ]; then
	store=/var/lib/virtty
else
	store=$HOME/.local/share/virtty
fi
images=$store/images
mkdir -p "$images"
chmod 700 "$store"
"$top/tests/lab/mkinitramfs-demo.sh" "$modules" "$images/demo-initramfs.cpio.gz"
if ! cmp -s "$vmlinuz" "$images/demo-vmlinuz"; then
	cp "$vmlinuz" "$images/demo-vmlinuz.tmp"
	mv -f "$images/demo-vmlinuz.tmp" "$images/demo-vmlinuz"
fi
echo "kernel:    $images/demo-vmlinuz ($(basename "$vmlinuz"))"
echo "initramfs: $images/demo-initramfs.cpio.gz"

if "$virtty" info demo >/dev/null 2>&1; then
	say "The VM 'demo' is already defined"
	if "$virtty" info demo 2>/dev/null | grep -q '^Display: *none'; then
		echo "It has no screen (it was defined before virtty had displays);"
		echo "'$virtty undefine demo --remove-disks' and run this again to get one."
	fi
else
	say "Defining the VM 'demo'"
	# A 1024x768 screen (VNC) that shows the boot on tty0; ttyS0 comes last
	# so that the serial console keeps /dev/console (and the login).
	"$virtty" define demo --kernel "$images/demo-vmlinuz" \
		--initrd "$images/demo-initramfs.cpio.gz" \
		--cmdline "console=tty0 console=ttyS0 quiet" \
		--cpus 2 --memory 256M --disk new:64M --display vnc --resolution 1024x768
fi

say "Checking the host"
hostcheck=$("$virtty" host-check 2>&1) || true
printf '%s\n' "$hostcheck"
# Hardware virtualization: the CPU flag is visible and KVM is not the PVM
# software hypervisor (the same test as tests/lab/run-lab.sh).
emulated=no
if printf '%s\n' "$hostcheck" | grep -qi 'emulated' ||
	! grep -qwE 'vmx|svm' /proc/cpuinfo || [ -d /sys/module/kvm_pvm ]; then
	emulated=yes
fi

say "Your VMs"
"$virtty" list

cat <<EOF

virtty is built in $top/build: run it as $virtty
(or 'make -C build install' to put 'virtty' on your PATH).
  $virtty start demo       boot the demo VM
  $virtty console demo     its serial console (Ctrl-] detaches; 'poweroff' inside stops it)
  $virtty vnc demo         its screen, drawn in this terminal (Ctrl-] leaves; v in virtty)
  $virtty shutdown demo    ask it to power off
EOF
if [ "$emulated" = yes ]; then
	cat <<EOF

KVM on this machine is emulated in software (no hardware virtualization
reaches this host). Tiny guests run, but the demo VM's Debian kernel will
take many minutes to boot here. The nested lab boots the same demo VM,
through 'virtty define' and 'virtty start', inside a QEMU guest that has a
fast KVM of its own (about a minute; Ctrl-A x leaves QEMU):
  (cd $top/build && ../tests/lab/run-lab.sh --demo)
EOF
fi

if [ "$console" = no ]; then
	exit 0
fi

choice=s
if [ "$emulated" = yes ]; then
	printf '\n[t] open virtty with the demo VM (not started: press s on it)  [l] boot the demo in the nested lab  [q] quit  (t/l/q) [t]: '
	read -r choice || choice=q
	choice=${choice:-t}
fi
export VIRTTY_THEMES_DIR="$top/themes"
case "$choice" in
l | L)
	cd "$top/build"
	exec ../tests/lab/run-lab.sh --demo
	;;
s | S)
	# Hardware KVM: the demo boots in seconds; the interface shows it running.
	state=$("$virtty" info demo 2>/dev/null | grep -Eo 'running|paused' | head -n 1 || true)
	[ -n "$state" ] || "$virtty" start demo
	exec "$virtty"
	;;
t | T) exec "$virtty" ;;
*) exit 0 ;;
esac
