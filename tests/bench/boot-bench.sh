#!/bin/sh
# boot-bench.sh (`make bench`): time from VMM start to the guest's
# "LAB: init reached" for virtty-vmm and for QEMU (-M microvm, -M pc; both
# -accel kvm -cpu host), same Debian kernel, initramfs, 512 MiB and 2 vCPUs,
# in the nested lab's L1 (or directly on hardware virtualization), and the
# VMM's resident memory not counting guest RAM. Median of REPS boots each.
#
# usage: boot-bench.sh [--reps N] [--vmms virtty,qemu-microvm,qemu-pc]
#                      [--nested|--direct]
# Memory: "rss" is VmRSS minus the resident part of the guest RAM mapping
# (read from /proc/PID/smaps when the guest prints "LAB: ready"), the same
# method for every VMM; for virtty-vmm its own "stats" figure (vmm_rss_bytes)
# is shown beside it. Boot time has /proc/uptime resolution (10 ms).
# Exit: 0 when every VMM booted at least once, 1 otherwise, 77 no QEMU.
set -u
LAB_PROG=boot-bench
here=$(cd "$(dirname "$0")" && pwd)
lab=$(cd "$here/../lab" && pwd)
. "$lab/lab-common.sh"

reps=3
vmms="virtty,qemu-microvm,qemu-pc"
where=auto
while [ $# -gt 0 ]; do
	case "$1" in
	--reps)
		reps=${2:?}
		shift
		;;
	--vmms)
		vmms=${2:?}
		shift
		;;
	--nested) where=nested ;;
	--direct) where=direct ;;
	*)
		echo "usage: $0 [--reps N] [--vmms LIST] [--nested|--direct]" >&2
		exit 2
		;;
	esac
	shift
done

start=$(date +%s)
# `make bench` runs us from the top build directory without the test
# environment.
builddir=${top_builddir:-$PWD}
outdir=$builddir/tests/bench
work=$outdir/work
mkdir -p "$work" || lab_die "cannot create $work"
VIRTTY_VMM=${VIRTTY_VMM:-$builddir/backend/vmm/virtty-vmm}
vmmctl=$builddir/tests/tools/vmmctl
qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
	echo "boot-bench: SKIP: qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
	exit 77
fi
case ",$vmms," in
*,virtty,*)
	[ -x "$VIRTTY_VMM" ] || lab_die "$VIRTTY_VMM: not built"
	[ -x "$vmmctl" ] || lab_log "warning: $vmmctl not built: no own_rss figure for virtty"
	;;
esac
if [ "$where" = auto ]; then
	if grep -qwE 'vmx|svm' /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ] && [ -w /dev/kvm ]; then
		where=direct
	else
		where=nested
	fi
fi

vmlinuz='' modules=''
kernel_paths=$("$lab/fetch-kernel.sh") || lab_die "cannot get the lab kernel"
eval "$kernel_paths"
"$lab/mkinitramfs-l2.sh" "$modules" "$work/l2.cpio.gz" || lab_die "cannot build the L2 initramfs"
head -c 16777216 /dev/urandom >"$work/disk.img"
log=$outdir/boot-bench.log
echo "boot-bench: $where, $reps boots each of: $(echo "$vmms" | tr , ' '); log: $log"

if [ "$where" = direct ]; then
	sh "$lab/lab-scenario.sh" bench VMMS="$(echo "$vmms" | tr , ' ')" REPS="$reps" \
		VIRTTY_VMM="$VIRTTY_VMM" VMMCTL="$vmmctl" QEMU="$qemu" \
		KERNEL="$vmlinuz" INITRD="$work/l2.cpio.gz" DISK="$work/disk.img" \
		WORK="$work/direct" CPUS=2 MEMORY_MIB=512 >"$log" 2>&1
else
	set -- --qemu "$qemu"
	[ -x "$VIRTTY_VMM" ] && set -- "$@" --vmm "$VIRTTY_VMM"
	[ -x "$vmmctl" ] && set -- "$@" --vmmctl "$vmmctl"
	"$lab/mkinitramfs-l1.sh" -m "$modules" -k "$vmlinuz" -i "$work/l2.cpio.gz" \
		-d "$work/disk.img" -o "$work/l1.cpio" "$@" || lab_die "cannot build the L1 initramfs"
	append="console=ttyS0 quiet panic=-1 lab.run=bench lab.vmms=$vmms lab.reps=$reps"
	# Budget: L1 boot plus up to 4 minutes per boot.
	limit=$((60 + reps * 240 * $(echo "$vmms" | tr , '\n' | wc -l)))
	timeout -k 10 "$limit" "$qemu" -M pc,accel=tcg -cpu max -m 2048 -smp 2 -nographic \
		-nic none -no-reboot -kernel "$vmlinuz" -initrd "$work/l1.cpio" -append "$append" \
		</dev/null >"$log" 2>&1
fi

# LAB-BENCH: vmm=K rep=N init_ms=MS rss_kb=KB own_rss_kb=KB|-  (or "failed")
results=$(tr -d '\r' <"$log" | grep -a '^LAB-BENCH: ')
# median FIELD VMM: median of the numeric FIELD over VMM's successful boots.
median()
{
	printf '%s\n' "$results" | grep " vmm=$2 " | tr ' ' '\n' | sed -n "s/^$1=\([0-9][0-9]*\)$/\1/p" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}
ok_boots()
{
	printf '%s\n' "$results" | grep " vmm=$1 " | grep -c 'init_ms='
}
ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && b > 0)
		printf "%.2f", a / b; else printf "-" }'
}

status=0
echo
printf '%-14s %6s %12s %12s %14s\n' VMM boots "init (ms)" "rss (KiB)" "own rss (KiB)"
for k in $(echo "$vmms" | tr , ' '); do
	n=$(ok_boots "$k")
	[ "$n" -gt 0 ] || status=1
	printf '%-14s %3s/%-2s %12s %12s %14s\n' "$k" "$n" "$reps" "$(median init_ms "$k")" \
		"$(median rss_kb "$k")" "$(median own_rss_kb "$k")"
done
case ",$vmms," in
*,virtty,*)
	echo
	printf '%-28s %10s %10s\n' "ratio (virtty / QEMU)" "init" "rss"
	for k in $(echo "$vmms" | tr , ' '); do
		case "$k" in qemu-*) ;; *) continue ;; esac
		printf '%-28s %10s %10s\n' "virtty / $k" \
			"$(ratio "$(median init_ms virtty)" "$(median init_ms "$k")")" \
			"$(ratio "$(median rss_kb virtty)" "$(median rss_kb "$k")")"
	done
	;;
esac
echo
echo "boot-bench: medians of $reps; $(($(date +%s) - start))s in all"
if [ $status != 0 ]; then
	echo "boot-bench: some VMM never reached init; last lines of $log:"
	tr -d '\r' <"$log" | grep -av '^\[' | tail -n 30
fi
exit $status
