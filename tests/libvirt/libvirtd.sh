#!/bin/sh
# The libvirt driver against a real libvirtd (qemu:///system): a TCG VM with
# the lab's Debian kernel and busybox initramfs defined, started, its serial
# console read and typed at, its VNC screen seen (pixels, keys, the viewer),
# shut down and undefined, all through `virtty -c qemu:///system`.
# Uses the running libvirtd, or starts one and stops it at the end.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lv-common.sh"

lv_require
lv_tmpdir
uri=qemu:///system
vm=vt-lv-$$
vm_nodisp=vt-lv-nodisp-$$
trap 'lv_cleanup_vm "$uri" "$vm"; lv_cleanup_vm "$uri" "$vm_nodisp"; lv_daemon_stop; rm -rf "$lv_tmp"' EXIT
trap 'exit 1' INT TERM
lv_daemon_start
lv_guest_files

# A VM without a screen: vnc_open says so (-ENODEV), even while it is off.
if "$VIRTTY" -c "$uri" define "$vm_nodisp" --kernel "$lv_kernel" --initrd "$lv_initrd" \
	--display none --no-nic >"$lv_tmp/nodisp.out" 2>&1; then
	out=$("$LV_OPEN" "$uri" greeting "$vm_nodisp")
	case "$out" in
	"error -19: VM '$vm_nodisp' has no graphical display"*)
		lv_pass "vnc_open of a VM without display: ${out#error -19: }" ;;
	*) lv_fail "vnc_open of a VM without display: expected -ENODEV, got: $out" ;;
	esac
	"$VIRTTY" -c "$uri" undefine "$vm_nodisp" >/dev/null 2>&1
else
	lv_fail "define $vm_nodisp --display none: $(cat "$lv_tmp/nodisp.out")"
fi
out=$("$LV_OPEN" "$uri" greeting "no-such-vm-$$")
case "$out" in
"error -2: VM 'no-such-vm-$$' not found"*) lv_pass "vnc_open of an unknown VM: -ENOENT" ;;
*) lv_fail "vnc_open of an unknown VM: $out" ;;
esac

lv_scenario "$uri" "$vm"

[ "$lv_fails" = 0 ] || { echo "FAIL: $lv_fails check(s) failed"; exit 1; }
echo "PASS: libvirtd.sh"
