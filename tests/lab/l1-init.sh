#!/bin/sh
# /init of the nested lab's outer guest (L1, QEMU TCG with an emulated AMD SVM):
# loads kvm-amd, runs lab-scenario.sh against the VMMs packed in /lab, and
# powers off; then, when /lab carries the `virtty` CLI, the demo VM scenario
# (demo-scenario.sh), and with virtty-netd the network scenario
# (net-scenario.sh). Kernel command line: lab.run=test|bench|netbench|demo|none
#   (demo: only the demo VM, its console attached to ours) lab.vmm=KIND
#   lab.vmms=KIND,KIND lab.reps=N lab.shell=1 (interactive shell at the end)
#   lab.trace=1 (trace the scenario script with sh -x)
#   lab.viewer=PORT (the host's VNC viewer reaches the VNC scenario's VM
#   through QEMU's user network: eth0 is 10.0.2.15, PORT the relay's port)
#   lab.bench_mib=N (netbench: MiB per transfer)
export PATH=/bin:/sbin:/lab/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /run /tmp
mount -t tmpfs tmpfs /run
echo "LAB-L1: init reached"

run=test
vmm=virtty
vmms="virtty qemu-microvm qemu-pc"
reps=3
shell=0
trace=
viewer=
bench_mib=32
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.run=*) run=${arg#lab.run=} ;;
	lab.vmm=*) vmm=${arg#lab.vmm=} ;;
	lab.vmms=*) vmms=$(echo "${arg#lab.vmms=}" | tr , ' ') ;;
	lab.reps=*) reps=${arg#lab.reps=} ;;
	lab.shell=*) shell=${arg#lab.shell=} ;;
	lab.trace=1) trace=-x ;;
	lab.viewer=*) viewer=${arg#lab.viewer=} ;;
	lab.bench_mib=*) bench_mib=${arg#lab.bench_mib=} ;;
	esac
done

# nested=0: L2 never needs SVM itself, and plain kvm-amd is the better-tested
# path on top of QEMU's SVM emulation.
while read -r ko; do
	case "$ko" in
	*/kvm-amd.ko) opts=nested=0 ;;
	*) opts= ;;
	esac
	insmod "/lib/modules/$ko" $opts || echo "LAB-L1: insmod $ko failed"
done </lib/modules/load-order

# The viewer's way in: loopback (the VMM's --vnc-tcp listens on it) and
# QEMU's user network (its host forwarding targets 10.0.2.15).
if [ -n "$viewer" ]; then
	while read -r ko; do
		insmod "/lib/modules/$ko" || echo "LAB-L1: insmod $ko failed"
	done </lib/modules/net-order
	ip link set lo up
	i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 ||
		echo "LAB-L1: no network for the viewer (eth0 missing)"
fi

. /lab/config
status=0
if [ -c /dev/kvm ]; then
	echo "LAB-RESULT: PASS l1/kvm /dev/kvm is available in L1"
	case "$run" in
	test | bench)
		sh $trace /lab/lab-scenario.sh "$run" VMM="$vmm" VMMS="$vmms" REPS="$reps" \
			VIRTTY_VMM=/lab/bin/virtty-vmm VMMCTL=/lab/bin/vmmctl \
			QEMU=/lab/bin/qemu-system-x86_64 QEMU_FW=/lab/fw \
			KERNEL=/lab/l2-vmlinuz INITRD=/lab/l2.cpio.gz DISK=/lab/disk.img \
			DISK_SHA256="$DISK_SHA256" WORK=/run/lab CPUS=2 MEMORY_MIB=512 \
			LAB_CMDLINE_EXTRA="${LAB_CMDLINE_EXTRA:-}" LAB_STAMP="${LAB_STAMP:-0}"
		status=$?
		;;
	esac
	# The graphical console (VNC) with the same kernel, when packed.
	if [ -x /lab/bin/vnc-check ] && [ "$run" = test ]; then
		sh $trace /lab/vnc-scenario.sh VIRTTY_VMM=/lab/bin/virtty-vmm \
			VMMCTL=/lab/bin/vmmctl VNC_CHECK=/lab/bin/vnc-check \
			KERNEL=/lab/l2-vmlinuz INITRD=/lab/l2.cpio.gz WORK=/run/vnc \
			VIEWER_PORT="$viewer" || status=1
	fi
	# Networks (NAT, NAT network) with the same kernel; netbench: only the
	# network throughput benchmark.
	if [ -x /lab/bin/virtty-netd ] && { [ "$run" = test ] || [ "$run" = netbench ]; }; then
		mode=test
		[ "$run" = netbench ] && mode=bench
		sh $trace /lab/net-scenario.sh "$mode" VIRTTY_VMM=/lab/bin/virtty-vmm \
			NETD=/lab/bin/virtty-netd KERNEL=/lab/l2-vmlinuz INITRD=/lab/l2.cpio.gz \
			WORK=/run/net QEMU="$([ -x /lab/bin/qemu-system-x86_64 ] &&
				echo /lab/bin/qemu-system-x86_64)" QEMU_FW=/lab/fw BENCH_MIB="$bench_mib" ||
			status=1
	fi
	# The demo VM through the CLI: checked after the VMM test (sharing this
	# L1 boot), or interactive.
	if [ -x /lab/bin/virtty ] && { [ "$run" = test ] || [ "$run" = demo ]; }; then
		mode=test
		[ "$run" = demo ] && mode=interactive
		sh $trace /lab/demo-scenario.sh "$mode" VIRTTY=/lab/bin/virtty \
			VIRTTY_VMM=/lab/bin/virtty-vmm KERNEL=/lab/l2-vmlinuz \
			INITRD=/lab/demo.cpio.gz WORK=/run/demo || status=1
	fi
else
	echo "LAB-RESULT: FAIL l1/kvm no /dev/kvm after loading kvm-amd (does the CPU model have svm?)"
	status=1
fi
echo "LAB-L1: done status=$status"

if [ "$shell" = 1 ]; then
	echo "LAB-L1: interactive shell; leave it to power L1 off (logs in /run/lab)"
	setsid cttyhack sh -l
fi
sync
poweroff -f
