#!/bin/sh
# mkinitramfs-demo.sh: build the initramfs of the demo VM that `./setup.sh`
# defines: static busybox, the lab kernel's virtio and power-button modules,
# and demo-init.sh as /init (banner, disk, a shell on the serial console).
# usage: mkinitramfs-demo.sh MODULES_DIR OUTPUT.cpio.gz
# The image is rebuilt only when its inputs changed (a key file beside it).
set -eu
LAB_PROG=mkinitramfs-demo
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
# virtio_pci finds the devices; virtio_blk is the disk; virtio-rng feeds the
# entropy pool; button + evdev carry the ACPI power button to acpid.
order=$(lab_modules_resolve "$moddir" virtio_pci virtio_blk virtio-rng button evdev) ||
	lab_die "cannot collect the demo kernel modules"

key=$( (
	lab_hash_files "$busybox" "$here/demo-init.sh" "$0"
	printf '%s\n' "$order" | while read -r ko; do lab_sha256 "$moddir/$ko"; done
) | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
	exit 0
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/virtty-demo.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" \
	"$root/etc" "$root/tmp" "$root/root" "$root/lib/modules"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s ../bin/busybox "$root/bin/$applet"
done
# busybox init, acpid and poweroff are looked up in /sbin too.
for applet in init acpid poweroff reboot halt; do
	ln -s ../bin/busybox "$root/sbin/$applet"
done
# The kernel needs a console before /dev is mounted.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
printf '%s\n' "$order" | while read -r ko; do
	mkdir -p "$root/lib/modules/$(dirname "$ko")"
	cp "$moddir/$ko" "$root/lib/modules/$ko"
done
printf '%s\n' "$order" >"$root/lib/modules/load-order"
cp "$here/demo-init.sh" "$root/init"
chmod 755 "$root/init"

mkdir -p "$(dirname "$out")"
lab_pack_cpio "$root" "$out" gzip
printf '%s\n' "$key" >"$out.key"
