#!/bin/sh
# run-lab.sh: the nested lab test (`make check`): boots a real Debian kernel
# (L2) under virtty-vmm on a fast /dev/kvm and checks what a user would see:
# init reached, both vCPUs, disk reads and writes, ACPI power-down. Where the
# host's /dev/kvm is slow (software nested virtualization) the L2 runs inside
# a QEMU TCG guest (L1) that provides KVM; on hardware virtualization it runs
# directly on the host. With virtty-vmm, the demo VM (./setup.sh's) is then
# booted through the `virtty` CLI from a private store (demo-scenario.sh).
# Nested, with tmux: the host's `virtty vnc` viewer, in a tmux pane, types a
# command into the VNC scenario's guest through QEMU's user network
# (viewer-scenario.sh; host loopback port forwarded to L1, relayed there).
#
# usage: run-lab.sh [--vmm virtty|qemu-pc|qemu-microvm] [--nested|--direct]
#                   [--shell] [--demo] [--timeout SECS]
#   --vmm      the L2 VMM (default virtty; the QEMU ones validate the lab)
#   --nested   always use the QEMU L1; --direct: never
#   --shell    keep going into an interactive L1 shell (debugging, not tests)
#   --demo     interactive: only the demo VM, its console attached to yours
#              (Ctrl-] detaches to an L1 shell; in QEMU, Ctrl-A x quits)
# Environment: top_builddir, VIRTTY_VMM, VIRTTY (set by `make check`),
#   VIRTTY_LAB_CACHE (kernel cache), VIRTTY_LAB_L2_VMM (default for --vmm).
# Logs: $top_builddir/tests/lab/lab-VMM.log (L1 console with the L2 console
# prefixed "L2| "), lab-VMM-l2.log (the L2 console alone) and
# lab-VMM-viewer.log (the host's viewer).
# Exit: 0 all passed, 1 a check failed, 77 skipped (no qemu-system-x86_64).
set -u
LAB_PROG=run-lab
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab-common.sh"

vmm=${VIRTTY_LAB_L2_VMM:-virtty}
where=auto
shell=0
demo=0
timeout=${VIRTTY_LAB_TIMEOUT:-420}
while [ $# -gt 0 ]; do
	case "$1" in
	--vmm)
		vmm=${2:?--vmm needs a value}
		shift
		;;
	--nested) where=nested ;;
	--direct) where=direct ;;
	--shell) shell=1 ;;
	--demo)
		demo=1
		shell=1
		;;
	--timeout)
		timeout=${2:?--timeout needs seconds}
		shift
		;;
	-h | --help)
		sed -n 's/^# \{0,1\}//; /^usage:/,/^Exit:/p' "$0"
		exit 0
		;;
	*)
		echo "run-lab: unknown option '$1' (try --help)" >&2
		exit 2
		;;
	esac
	shift
done
case "$vmm" in
virtty | qemu-pc | qemu-microvm) ;;
*) lab_die "--vmm '$vmm': expected virtty, qemu-pc or qemu-microvm" ;;
esac

start=$(date +%s)
builddir=${top_builddir:-$PWD}
outdir=$builddir/tests/lab
work=$outdir/work
mkdir -p "$work" || lab_die "cannot create $work"
VIRTTY_VMM=${VIRTTY_VMM:-$builddir/backend/vmm/virtty-vmm}
VIRTTY=${VIRTTY:-$builddir/cli/virtty}
vmmctl=$builddir/tests/tools/vmmctl
# The graphical console scenario (vnc-scenario.sh) runs when its client is built.
vnc_check=$builddir/tests/vnc/vnc-check
vnc_expected=
[ "$vmm" = virtty ] && [ -x "$vnc_check" ] && vnc_expected="vnc/efifb vnc/frame vnc/keys vnc/powerdown"
qemu=$(command -v qemu-system-x86_64 || true)
# The network scenario (net-scenario.sh) runs when the switch is built.
netd=$builddir/backend/netd/virtty-netd
net_expected=
[ "$vmm" = virtty ] && [ -x "$netd" ] &&
	net_expected="net/nat-dhcp net/nat-ping net/nat-tcp net/natnet-dhcp net/natnet-ping net/natnet-tcp"
viewer_expected="vnc/viewer-picture vnc/viewer-typed vnc/viewer-leave vnc/viewer-keys vnc/viewer-fb"

# Hardware virtualization: the CPU flag is visible and KVM is not the PVM
# software hypervisor this project's machines have.
hw_kvm()
{
	grep -qwE 'vmx|svm' /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ] &&
		[ -r /dev/kvm ] && [ -w /dev/kvm ]
}
if [ "$where" = auto ]; then
	if hw_kvm; then where=direct; else where=nested; fi
fi
if [ "$where" = nested ] || [ "$vmm" != virtty ]; then
	if [ -z "$qemu" ]; then
		echo "run-lab: SKIP: qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
		exit 77
	fi
fi
if [ "$vmm" = virtty ]; then
	[ -x "$VIRTTY_VMM" ] || lab_die "$VIRTTY_VMM: not built (make it first)"
	[ -x "$vmmctl" ] || lab_die "$vmmctl: not built; the power-down check needs it"
	[ -x "$VIRTTY" ] || lab_die "$VIRTTY: not built; the demo VM checks need it"
elif [ $demo = 1 ]; then
	lab_die "--demo boots the demo VM under virtty-vmm: it cannot go with --vmm $vmm"
fi

vmlinuz='' modules=''
kernel_paths=$("$here/fetch-kernel.sh") || lab_die "cannot get the lab kernel"
eval "$kernel_paths"
"$here/mkinitramfs-l2.sh" "$modules" "$work/l2.cpio.gz" || lab_die "cannot build the L2 initramfs"
# Fresh random contents every run: a VMM that returns zeroes or stale data
# cannot match the digest, and last run's block cannot pass for this one's.
if [ "$vmm" = virtty ]; then
	"$here/mkinitramfs-demo.sh" "$modules" "$work/demo.cpio.gz" ||
		lab_die "cannot build the demo VM's initramfs"
fi
head -c 16777216 /dev/urandom >"$work/disk.img" || lab_die "cannot write $work/disk.img"
disk_sha=$(lab_sha256 "$work/disk.img")

log=$outdir/lab-$vmm.log
l2log=$outdir/lab-$vmm-l2.log
vlog=$outdir/lab-$vmm-viewer.log
rm -f "$vlog"
echo "run-lab: L2 VMM $vmm, $where; console log: $log"

demo_expected=
[ "$vmm" = virtty ] && demo_expected="demo/define demo/start demo/banner demo/devices demo/shutdown demo/shut-off"
if [ "$where" = direct ] && [ $demo = 1 ]; then
	exec sh "$here/demo-scenario.sh" interactive VIRTTY="$VIRTTY" VIRTTY_VMM="$VIRTTY_VMM" \
		KERNEL="$vmlinuz" INITRD="$work/demo.cpio.gz" WORK="$work/demo-direct"
elif [ "$where" = direct ]; then
	sh "$here/lab-scenario.sh" test VMM="$vmm" VIRTTY_VMM="$VIRTTY_VMM" VMMCTL="$vmmctl" \
		QEMU="${qemu:-qemu-system-x86_64}" KERNEL="$vmlinuz" INITRD="$work/l2.cpio.gz" \
		DISK="$work/disk.img" DISK_SHA256="$disk_sha" WORK="$work/direct" \
		CPUS=2 MEMORY_MIB=512 STREAM=0 >"$log" 2>&1
	if [ "$vmm" = virtty ]; then
		rm -rf "$work/demo-direct"
		sh "$here/demo-scenario.sh" test VIRTTY="$VIRTTY" VIRTTY_VMM="$VIRTTY_VMM" \
			KERNEL="$vmlinuz" INITRD="$work/demo.cpio.gz" WORK="$work/demo-direct" \
			>>"$log" 2>&1
	fi
	if [ -n "$vnc_expected" ]; then
		rm -rf "$work/vnc-direct"
		sh "$here/vnc-scenario.sh" VIRTTY_VMM="$VIRTTY_VMM" VMMCTL="$vmmctl" \
			VNC_CHECK="$vnc_check" KERNEL="$vmlinuz" INITRD="$work/l2.cpio.gz" \
			WORK="$work/vnc-direct" >>"$log" 2>&1
	fi
	if [ -n "$net_expected" ]; then
		sh "$here/net-scenario.sh" test VIRTTY_VMM="$VIRTTY_VMM" NETD="$netd" \
			KERNEL="$vmlinuz" INITRD="$work/l2.cpio.gz" WORK="$work/net-direct" \
			>>"$log" 2>&1
	fi
	expected="$vmm/init-reached $vmm/nproc $vmm/disk-read $vmm/powerdown $vmm/disk-write $demo_expected $vnc_expected $net_expected"
else
	set --
	if [ "$vmm" = virtty ]; then
		set -- --vmm "$VIRTTY_VMM" --vmmctl "$vmmctl" --virtty "$VIRTTY" \
			--demo-initrd "$work/demo.cpio.gz"
		[ -n "$vnc_expected" ] && set -- "$@" --vnc-check "$vnc_check"
		[ -n "$net_expected" ] && set -- "$@" --netd "$netd"
	else
		set -- --qemu "$qemu"
	fi
	"$here/mkinitramfs-l1.sh" -m "$modules" -k "$vmlinuz" -i "$work/l2.cpio.gz" \
		-d "$work/disk.img" -o "$work/l1.cpio" "$@" || lab_die "cannot build the L1 initramfs"
	rm -f "$work/disk.img"  # L1 holds its own copy
	run=test
	[ $demo = 1 ] && run=demo
	append="console=ttyS0 quiet panic=-1 lab.run=$run lab.vmm=$vmm lab.shell=$shell"
	# The viewer check: with the VNC scenario, not interactive, and with
	# tmux for the viewer's terminal. QEMU's user network forwards a free
	# port of the host's loopback to L1's relay; restrict=on: L1 reaches
	# nothing outside.
	nic="none"
	if [ "$run" = test ] && [ -n "$vnc_expected" ] && [ $shell = 0 ]; then
		if ! command -v tmux >/dev/null || ! command -v python3 >/dev/null; then
			echo "run-lab: no tmux or python3: the viewer checks are skipped"
			viewer_expected=
		elif ! vport=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); then
			lab_die "cannot find a free loopback port for the viewer"
		else
			nic="user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:$vport-10.0.2.15:5902"
			append="$append lab.viewer=5902"
		fi
	else
		viewer_expected=
	fi
	# -cpu max: TCG's model with SVM, so kvm-amd loads in L1.
	set -- -M pc,accel=tcg -cpu max -m 2048 -smp 2 -nographic -nic "$nic" -no-reboot \
		-kernel "$vmlinuz" -initrd "$work/l1.cpio" -append "$append"
	if [ "$shell" = 1 ]; then
		echo "run-lab: interactive L1; Ctrl-A x quits QEMU"
		"$qemu" "$@" 2>&1 | tee "$log"
		exit 0
	fi
	if [ -n "$viewer_expected" ]; then
		# L1's console input is a FIFO we hold open (read-write: no
		# blocking, no EOF): the viewer's "done" line goes there.
		fifo=$work/l1-console-in
		rm -f "$fifo"
		mkfifo "$fifo" || lab_die "cannot make $fifo"
		exec 3<>"$fifo"
		timeout -k 10 "$timeout" "$qemu" "$@" <"$fifo" >"$log" 2>&1 &
		qpid=$!
		VIRTTY=$VIRTTY top_builddir=$builddir sh "$here/viewer-scenario.sh" LOG="$log" \
			TARGET="127.0.0.1::$vport" DONE="$fifo" PID=$qpid WAIT="$timeout" >"$vlog" 2>&1
		wait $qpid
		rc=$?
		exec 3>&-
		rm -f "$fifo"
	else
		timeout -k 10 "$timeout" "$qemu" "$@" </dev/null >"$log" 2>&1
		rc=$?
	fi
	[ $rc = 124 ] && echo "run-lab: L1 killed after ${timeout}s" >>"$log"
	expected="l1/kvm $vmm/init-reached $vmm/nproc $vmm/disk-read $vmm/powerdown $vmm/disk-write $demo_expected"
	[ "$run" = test ] && expected="$expected $vnc_expected $viewer_expected $net_expected"
fi
tr -d '\r' <"$log" | sed -n 's/^L2| //p' >"$l2log"

status=0
for name in $expected; do
	line=$(cat "$log" "$vlog" 2>/dev/null | tr -d '\r' | grep -a "^LAB-RESULT: [A-Z]* $name " |
		head -n 1)
	if [ -z "$line" ]; then
		echo "FAIL: $name: no result (the lab stopped early; see $log)"
		status=1
		continue
	fi
	set -- $line
	echo "$2: ${line#LAB-RESULT: $2 }"
	[ "$2" = PASS ] || status=1
done
if [ $status != 0 ]; then
	echo "--- last lines of the L2 console ($l2log) ---"
	tail -n 25 "$l2log"
	echo "--- last lines of the lab log ($log) ---"
	grep -av '^L2| ' "$log" | tr -d '\r' | tail -n 25
	if [ -s "$vlog" ]; then
		echo "--- the host's viewer ($vlog) ---"
		tail -n 25 "$vlog"
	fi
fi
echo "run-lab: $(($(date +%s) - start))s in all"
exit $status
