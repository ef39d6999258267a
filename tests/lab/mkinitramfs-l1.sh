#!/bin/sh
# mkinitramfs-l1.sh: build the initramfs of the nested lab's outer guest (L1):
# static busybox, kvm modules, the VMMs under test with their shared
# libraries, the L2 kernel/initramfs, a test disk, and l1-init.sh as /init.
# It is left uncompressed: the L1 kernel unpacks it much faster under TCG.
#
# usage: mkinitramfs-l1.sh -m MODULES_DIR -k L2_KERNEL -i L2_INITRD -d DISK
#          -o OUTPUT.cpio [--vmm VIRTTY_VMM] [--vmmctl VMMCTL] [--qemu QEMU]
#          [--virtty VIRTTY --demo-initrd DEMO_INITRD] [--vnc-check VNC_CHECK]
#          [--netd VIRTTY_NETD]
# With --virtty, the `virtty` CLI and the demo VM's initramfs go in too, for
# demo-scenario.sh (the demo VM booted through the CLI from a store in L1).
# With --vnc-check, the VNC client and vnc-scenario.sh (the graphical console),
# and virtio-net's modules in /lib/modules/net-order, loaded only when the
# host's viewer comes in through QEMU's user network (lab.viewer=).
# With --netd, the network switch, net-scenario.sh and the tun module (taps).
# The disk's sha256 is computed here, on the real host, and stored in
# /lab/config as DISK_SHA256 for the guest-side comparison; LAB_CMDLINE_EXTRA
# and LAB_STAMP from the environment go there too (see lab-scenario.sh).
set -eu
LAB_PROG=mkinitramfs-l1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab-common.sh"

usage()
{
	sed -n 's/^# usage: /usage: /p; s/^#          /         /p' "$0" >&2
	exit 2
}

moddir='' kernel='' initrd='' disk='' out='' vmm='' vmmctl='' qemu='' virtty='' demo_initrd=''
vnc_check='' netd=''
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	-m) moddir=$2 ;;
	-k) kernel=$2 ;;
	-i) initrd=$2 ;;
	-d) disk=$2 ;;
	-o) out=$2 ;;
	--vmm) vmm=$2 ;;
	--vmmctl) vmmctl=$2 ;;
	--qemu) qemu=$2 ;;
	--virtty) virtty=$2 ;;
	--demo-initrd) demo_initrd=$2 ;;
	--vnc-check) vnc_check=$2 ;;
	--netd) netd=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$moddir" ] && [ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$disk" ] && [ -n "$out" ] || usage
for f in "$kernel" "$initrd" "$disk"; do
	[ -f "$f" ] || lab_die "$f: no such file"
done

busybox=$(lab_static_busybox)
if [ -n "$netd" ]; then
	order=$(lab_modules_resolve "$moddir" kvm-amd tun) || lab_die "cannot collect the kvm and tun modules"
else
	order=$(lab_modules_resolve "$moddir" kvm-amd) || lab_die "cannot collect the kvm modules"
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/virtty-l1.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" \
	"$root/run" "$root/tmp" "$root/etc" "$root/lib/modules" "$root/lab/bin"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
printf '%s\n' "$order" | while read -r ko; do
	mkdir -p "$root/lib/modules/$(dirname "$ko")"
	cp "$moddir/$ko" "$root/lib/modules/$ko"
done
printf '%s\n' "$order" >"$root/lib/modules/load-order"

if [ -n "$vmm" ]; then
	lab_copy_with_libs "$root" "$vmm" /lab/bin/virtty-vmm || lab_die "cannot copy $vmm"
fi
if [ -n "$vmmctl" ]; then
	lab_copy_with_libs "$root" "$vmmctl" /lab/bin/vmmctl || lab_die "cannot copy $vmmctl"
fi
if [ -n "$virtty" ]; then
	[ -f "$demo_initrd" ] || lab_die "--virtty needs --demo-initrd (the demo VM's initramfs)"
	lab_copy_with_libs "$root" "$virtty" /lab/bin/virtty || lab_die "cannot copy $virtty"
	cp "$demo_initrd" "$root/lab/demo.cpio.gz"
	cp "$here/demo-scenario.sh" "$root/lab/demo-scenario.sh"
fi
if [ -n "$vnc_check" ]; then
	lab_copy_with_libs "$root" "$vnc_check" /lab/bin/vnc-check || lab_die "cannot copy $vnc_check"
	cp "$here/vnc-scenario.sh" "$root/lab/vnc-scenario.sh"
	net_order=$(lab_modules_resolve "$moddir" virtio_pci virtio_net) ||
		lab_die "cannot collect the virtio-net modules"
	printf '%s\n' "$net_order" | while read -r ko; do
		# Those kvm-amd needs too are loaded already.
		printf '%s\n' "$order" | grep -qxF "$ko" && continue
		mkdir -p "$root/lib/modules/$(dirname "$ko")"
		cp "$moddir/$ko" "$root/lib/modules/$ko"
		printf '%s\n' "$ko"
	done >"$root/lib/modules/net-order"
fi
if [ -n "$netd" ]; then
	lab_copy_with_libs "$root" "$netd" /lab/bin/virtty-netd || lab_die "cannot copy $netd"
	cp "$here/net-scenario.sh" "$root/lab/net-scenario.sh"
fi
if [ -n "$qemu" ]; then
	lab_copy_with_libs "$root" "$qemu" /lab/bin/qemu-system-x86_64 || lab_die "cannot copy $qemu"
	# Firmware for -M pc (SeaBIOS + linuxboot option ROM) and -M microvm
	# (qboot), looked up with -L /lab/fw.
	mkdir -p "$root/lab/fw"
	for fw in bios-256k.bin bios.bin bios-microvm.bin qboot.rom linuxboot_dma.bin \
		linuxboot.bin kvmvapic.bin pvh.bin multiboot_dma.bin; do
		for dir in /usr/share/qemu /usr/share/seabios; do
			if [ -e "$dir/$fw" ]; then
				cp -L "$dir/$fw" "$root/lab/fw/$fw"
				break
			fi
		done
	done
	[ -e "$root/lab/fw/bios-256k.bin" ] ||
		lab_die "no bios-256k.bin in /usr/share/qemu or /usr/share/seabios (Debian package seabios)"
fi

cp "$kernel" "$root/lab/l2-vmlinuz"
cp "$initrd" "$root/lab/l2.cpio.gz"
cp "$disk" "$root/lab/disk.img"
{
	printf 'DISK_SHA256=%s\n' "$(lab_sha256 "$disk")"
	# Quoted for `.`: a list of kernel command-line words.
	printf "LAB_CMDLINE_EXTRA='%s'\n" "$(printf '%s' "${LAB_CMDLINE_EXTRA:-}" | tr -d "'")"
	printf 'LAB_STAMP=%s\n' "${LAB_STAMP:-0}"
} >"$root/lab/config"
cp "$here/lab-scenario.sh" "$root/lab/lab-scenario.sh"
cp "$here/l1-init.sh" "$root/init"
chmod 755 "$root/init"

lab_pack_cpio "$root" "$out"
