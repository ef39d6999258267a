#!/bin/sh
# net-bench.sh (`make bench`): TCP throughput between a host and the lab's
# Debian guest (L2), both ways, through virtty's NAT (libslirp in
# virtty-vmm) beside QEMU's user networking, and through a tap (virtty's
# hostonly network: virtty-netd's switch and its tap) beside QEMU's tap
# backend. Same kernel, same busybox nc on both ends, inside the nested
# lab's L1 (QEMU TCG with KVM) where /dev/kvm is a software hypervisor.
# Prints MiB/s side by side and virtty/QEMU ratios (higher is better).
#
# usage: net-bench.sh [--mib N]   (N MiB per transfer, default 32)
set -u
LAB_PROG=net-bench
here=$(cd "$(dirname "$0")" && pwd)
lab=$(cd "$here/../lab" && pwd)
. "$lab/lab-common.sh"

mib=32
while [ $# -gt 0 ]; do
	case "$1" in
	--mib)
		mib=${2:?}
		shift
		;;
	*)
		echo "usage: $0 [--mib N]" >&2
		exit 2
		;;
	esac
	shift
done

start=$(date +%s)
builddir=${top_builddir:-$PWD}
outdir=$builddir/tests/bench
work=$outdir/work-net
mkdir -p "$work" || lab_die "cannot create $work"
VIRTTY_VMM=${VIRTTY_VMM:-$builddir/backend/vmm/virtty-vmm}
netd=$builddir/backend/netd/virtty-netd
qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
	echo "net-bench: SKIP: qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
	exit 77
fi
[ -x "$VIRTTY_VMM" ] || lab_die "$VIRTTY_VMM: not built"
[ -x "$netd" ] || lab_die "$netd: not built"

vmlinuz='' modules=''
kernel_paths=$("$lab/fetch-kernel.sh") || lab_die "cannot get the lab kernel"
eval "$kernel_paths"
"$lab/mkinitramfs-l2.sh" "$modules" "$work/l2.cpio.gz" || lab_die "cannot build the L2 initramfs"
head -c 1048576 /dev/zero >"$work/disk.img"
log=$outdir/net-bench.log
echo "net-bench: nested lab, $mib MiB per transfer, best of 2; log: $log"

"$lab/mkinitramfs-l1.sh" -m "$modules" -k "$vmlinuz" -i "$work/l2.cpio.gz" \
	-d "$work/disk.img" -o "$work/l1.cpio" --qemu "$qemu" --vmm "$VIRTTY_VMM" --netd "$netd" ||
	lab_die "cannot build the L1 initramfs"
append="console=ttyS0 quiet panic=-1 lab.run=netbench"
# The scenario reads BENCH_MIB from its arguments; l1-init passes the default
# unless told otherwise through LAB_CMDLINE_EXTRA (not needed for 32).
[ "$mib" = 32 ] || echo "net-bench: note: --mib is passed as lab.bench_mib=$mib"
append="$append lab.bench_mib=$mib"
timeout -k 10 1200 "$qemu" -M pc,accel=tcg -cpu max -m 2048 -smp 2 -nographic \
	-nic none -no-reboot -kernel "$vmlinuz" -initrd "$work/l1.cpio" -append "$append" \
	</dev/null >"$log" 2>&1

# LAB-BENCH: net backend=K dir=in|out mib_s=X bytes=N ms=N  (or "failed")
results=$(tr -d '\r' <"$log" | grep -a '^LAB-BENCH: net ')
value()
{
	printf '%s\n' "$results" | grep " backend=$1 dir=$2 " | tr ' ' '\n' | sed -n 's/^mib_s=//p' |
		head -n 1
}
ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'
}

status=0
echo
printf '%-34s %12s %12s %8s\n' "TCP, MiB/s (host -> guest = in)" virtty QEMU ratio
for pair in nat:user tap:tap; do
	ours=virtty-${pair%%:*}
	ref=qemu-${pair#*:}
	for dir in in out; do
		a=$(value "$ours" "$dir")
		b=$(value "$ref" "$dir")
		[ -n "$a" ] || status=1
		printf '%-34s %12s %12s %8s\n' "${pair%%:*} ($ours vs $ref), $dir" "${a:--}" "${b:--}" \
			"$(ratio "$a" "$b")"
	done
done
echo
echo "net-bench: $(($(date +%s) - start))s in all"
if [ $status != 0 ]; then
	echo "net-bench: some transfers failed; last lines of $log:"
	tr -d '\r' <"$log" | grep -av '^\[' | tail -n 30
fi
exit $status
