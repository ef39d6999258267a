#!/bin/sh
# mkinitramfs-l2.sh: build the initramfs of the nested lab's inner guest (L2):
# static busybox, the virtio/ACPI-button modules of the lab kernel, and
# l2-init.sh as /init.
# usage: mkinitramfs-l2.sh MODULES_DIR OUTPUT.cpio.gz
set -eu
LAB_PROG=mkinitramfs-l2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab-common.sh"

[ $# -eq 2 ] || {
	echo "usage: $0 MODULES_DIR OUTPUT.cpio.gz" >&2
	exit 2
}
moddir=$1
out=$2
[ -d "$moddir/kernel" ] || lab_die "$moddir: not a kernel modules directory"

busybox=$(lab_static_busybox)
# virtio_pci (or virtio_mmio, for QEMU microvm) finds the devices; virtio-rng feeds the guest's entropy pool;
# virtio_net for the network scenario;
# button + evdev carry the ACPI power button to busybox acpid.
order=$(lab_modules_resolve "$moddir" virtio_pci virtio_mmio virtio_blk virtio-rng virtio_net button evdev) ||
	lab_die "cannot collect the L2 kernel modules"

root=$(mktemp -d "${TMPDIR:-/tmp}/virtty-l2.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" \
	"$root/etc" "$root/tmp" "$root/lib/modules"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
# The kernel needs a console before /dev is mounted.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
printf '%s\n' "$order" | while read -r ko; do
	mkdir -p "$root/lib/modules/$(dirname "$ko")"
	cp "$moddir/$ko" "$root/lib/modules/$ko"
done
printf '%s\n' "$order" >"$root/lib/modules/load-order"
cp "$here/l2-init.sh" "$root/init"
chmod 755 "$root/init"

lab_pack_cpio "$root" "$out" gzip
