#!/bin/sh
# net-scenario.sh: networks with a real kernel (the lab's L2, lab.mode=net).
# test:  NAT (each VM its own libslirp): a DHCP lease, the gateway answers
#        ping, a TCP transfer from L1 through a port forward arrives intact;
#        NAT network (virtty-netd natnet): two VMs get distinct leases from
#        the shared NAT, and one sends the other a TCP stream that arrives
#        intact (VM to VM across the switch).
# bench: TCP throughput host<->guest (L1<->L2) through virtty's NAT and
#        QEMU's user networking (both with a port forward), and through a
#        tap: virtty's hostonly network (switch + tap) and QEMU's tap
#        backend. Prints "LAB-BENCH: net backend=K dir=in|out mib_s=X" lines.
# Prints "LAB-RESULT: PASS|FAIL net/NAME ..." lines. Runs inside the nested
# lab's L1 (busybox sh) or directly on a host with hardware virtualization.
#
# usage: net-scenario.sh test|bench VIRTTY_VMM=PATH NETD=PATH KERNEL=PATH
#          INITRD=PATH WORK=DIR [QEMU=PATH QEMU_FW=DIR] [BOOT_TIMEOUT=240]
#          [MEMORY_MIB=256] [BENCH_MIB=32]
set -u

run=${1:?usage: net-scenario.sh test|bench KEY=VALUE...}
shift
for kv in "$@"; do
	case "$kv" in
	*=*) eval "${kv%%=*}=\${kv#*=}" ;;
	*)
		echo "net-scenario: bad argument '$kv'" >&2
		exit 2
		;;
	esac
done
: "${VIRTTY_VMM:?}" "${NETD:?}" "${KERNEL:?}" "${INITRD:?}" "${WORK:?}"
: "${QEMU:=}" "${QEMU_FW:=}" "${BOOT_TIMEOUT:=240}" "${MEMORY_MIB:=256}" "${BENCH_MIB:=32}"
mkdir -p "$WORK"
ip link set lo up 2>/dev/null
failed=0
pids=
base_cmdline="console=ttyS0 quiet panic=-1 lab.mode=net"

result()
{
	# result PASS|FAIL NAME DETAIL...
	st=$1 name=$2
	shift 2
	echo "LAB-RESULT: $st net/$name $*"
	[ "$st" = PASS ] || failed=1
}

cleanup()
{
	for p in $pids; do kill "$p" 2>/dev/null; done
	[ -n "$pids" ] && sleep 1
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	pids=
}
trap cleanup EXIT

# wait_log LOG TEXT SECS: until LOG shows TEXT (0), or time is up (1).
wait_log()
{
	n=0
	while [ $n -lt $(($3 * 5)) ]; do
		tr -d '\r' <"$1" 2>/dev/null | grep -q -- "$2" && return 0
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}

# show NAME: the last lines of a VM's console and its VMM's errors (after
# a failure: the runner only sees our output).
show()
{
	tr -d '\r' <"$WORK/$1.log" 2>/dev/null | grep -av '^$' | tail -n 15 | sed "s/^/net-scenario: $1| /"
	tail -n 5 "$WORK/$1.err" 2>/dev/null | sed "s/^/net-scenario: $1 stderr| /"
}

# field LOG PREFIX KEY: the value of KEY= on the first LOG line starting
# with PREFIX.
field()
{
	tr -d '\r' <"$1" | grep -a -- "^$2" | head -n 1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# vm NAME CMDLINE_EXTRA NIC_ARG: a virtty-vmm L2 in the background, its
# console in $WORK/NAME.log.
vm()
{
	"$VIRTTY_VMM" --name "$1" --kernel "$KERNEL" --initrd "$INITRD" \
		--cmdline "$base_cmdline $2" --memory "$MEMORY_MIB" --nic "$3" \
		--serial stdio --control "$WORK/$1.ctl" --no-reboot \
		</dev/null >"$WORK/$1.log" 2>"$WORK/$1.err" &
	pids="$pids $!"
}

# qemu_vm NAME CMDLINE_EXTRA NETDEV_ARGS...: the same guest under QEMU (no
# option ROM for the NIC: a direct kernel boot needs none).
qemu_vm()
{
	name=$1 extra=$2
	shift 2
	"$QEMU" -M pc -accel kvm -cpu host -m "$MEMORY_MIB" ${QEMU_FW:+-L "$QEMU_FW"} \
		-nodefaults -display none -no-reboot -serial stdio \
		-kernel "$KERNEL" -initrd "$INITRD" -append "$base_cmdline $extra" \
		"$@" -device virtio-net-pci,netdev=n0,romfile= \
		</dev/null >"$WORK/$name.log" 2>"$WORK/$name.err" &
	pids="$pids $!"
}

# Ports on L1's loopback for the forwards: nothing else listens in L1.
# (Not through $(...): a subshell's increment would be lost.)
port=15000
next_port()
{
	port=$((port + 1))
}

# now_ms: milliseconds since boot, in steps of 10 (/proc/uptime; busybox
# date has no %N).
now_ms()
{
	read -r up _ </proc/uptime
	echo $((${up%.*} * 1000 + 1${up#*.} * 10 - 1000))
}

# Hold a FIFO open read-write: nc's stdin that never ends (busybox nc
# closes the connection at the end of its stdin).
mkfifo "$WORK/hold" 2>/dev/null
exec 4<>"$WORK/hold"

# send_tcp HOST PORT FILE: connect (retrying while the guest's listener
# comes up) and send FILE. 0 when sent.
send_tcp()
{
	i=0
	until nc "$1" "$2" <"$3" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge 20 ] && return 1
		sleep 1
	done
}

# mib_s BYTES MS: throughput with one decimal.
mib_s()
{
	[ "$2" -gt 0 ] || { echo "-"; return; }
	echo $(($1 * 10000 / 1048576 / $2 / 10)).$(($1 * 10000 / 1048576 / $2 % 10))
}

# throughput KIND HOST PORT_IN PORT_OUT: L1 -> L2 (into the guest's sink on
# 5001 through PORT_IN) and L2 -> L1 (the guest's source on 5002 through
# PORT_OUT), BENCH_MIB each, best of two.
throughput()
{
	kind=$1 host=$2 pin=$3 pout=$4
	bytes=$((BENCH_MIB * 1048576))
	for dir in in out; do
		best=0
		for rep in 1 2; do
			# The guest's listener restarts after each connection.
			sleep 1
			t0=$(now_ms)
			if [ $dir = in ]; then
				if dd if=/dev/zero bs=65536 count=$((bytes / 65536)) 2>/dev/null |
					nc "$host" "$pin" >/dev/null 2>&1; then
					got=$bytes
				else
					got="an error from nc after"
				fi
			else
				got=$(nc "$host" "$pout" <&4 2>/dev/null | wc -c)
			fi
			t1=$(now_ms)
			[ "$got" = "$bytes" ] || { echo "net-scenario: $kind $dir: $got of $bytes bytes"; continue; }
			ms=$((t1 - t0))
			v=$(mib_s "$bytes" "$ms")
			echo "net-scenario: $kind $dir rep $rep: $bytes bytes in $ms ms ($v MiB/s)"
			if [ "$best" = 0 ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
		done
		if [ "$best" = 0 ]; then
			echo "LAB-BENCH: net backend=$kind dir=$dir failed"
		else
			echo "LAB-BENCH: net backend=$kind dir=$dir mib_s=$(mib_s "$bytes" "$best") bytes=$bytes ms=$best"
		fi
	done
}

head -c 4194304 /dev/urandom >"$WORK/blob"
blob_sha=$(sha256sum "$WORK/blob" | cut -d' ' -f1)

test_nat()
{
	next_port
	p=$port
	vm nat "lab.ip=dhcp lab.netrole=server" "user,hostfwd=tcp:127.0.0.1:$p-:5001"
	log=$WORK/nat.log
	if wait_log "$log" 'LAB: dhcp ip=' "$BOOT_TIMEOUT"; then
		result PASS nat-dhcp "lease $(field "$log" 'LAB: dhcp' ip) router $(field "$log" 'LAB: dhcp' router)"
	else
		result FAIL nat-dhcp "no lease (guest: $(tr -d '\r' <"$log" | grep -a '^LAB:' | tail -n 2 | tr '\n' ' '))"
		show nat
	fi
	if wait_log "$log" 'LAB: ping .* ok' 30; then
		result PASS nat-ping "$(tr -d '\r' <"$log" | grep -a 'LAB: ping' | head -n 1)"
	else
		result FAIL nat-ping "$(tr -d '\r' <"$log" | grep -a 'LAB: ping' | head -n 1)"
	fi
	if wait_log "$log" 'LAB: net ready' 30 && send_tcp 127.0.0.1 "$p" "$WORK/blob" &&
		wait_log "$log" 'LAB: tcp-recv' 60; then
		got=$(field "$log" 'LAB: tcp-recv' sha256)
		if [ "$got" = "$blob_sha" ]; then
			result PASS nat-tcp "4 MiB from L1 through the port forward 127.0.0.1:$p arrived intact"
		else
			result FAIL nat-tcp "sha256 $got, sent $blob_sha"
		fi
	else
		result FAIL nat-tcp "no transfer through 127.0.0.1:$p ($(tail -n 1 "$WORK/nat.err"))"
	fi
	cleanup
}

test_natnet()
{
	sock=$WORK/natnet.sock
	if ! "$NETD" --name labnet --mode natnet --socket "$sock" --control "$WORK/natnet.ctl" \
		--net 10.0.3.0/24 </dev/null >"$WORK/netd.log" 2>&1 & then
		:
	fi
	pids="$pids $!"
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if [ ! -S "$sock" ]; then
		result FAIL natnet-dhcp "virtty-netd did not start: $(tail -n 2 "$WORK/netd.log")"
		result FAIL natnet-ping "not tried"
		result FAIL natnet-tcp "not tried"
		cleanup
		return
	fi
	# The server first: the client is told its address.
	vm srv "lab.ip=dhcp lab.netrole=server" "socket,path=$sock"
	if ! wait_log "$WORK/srv.log" 'LAB: net ready' "$BOOT_TIMEOUT"; then
		result FAIL natnet-dhcp "first VM: $(tr -d '\r' <"$WORK/srv.log" | grep -a '^LAB:' | tail -n 2 | tr '\n' ' ')"
		result FAIL natnet-ping "not tried"
		result FAIL natnet-tcp "not tried"
		cleanup
		return
	fi
	a=$(field "$WORK/srv.log" 'LAB: dhcp' ip)
	vm cli "lab.ip=dhcp lab.netrole=client lab.peer=$a" "socket,path=$sock"
	wait_log "$WORK/cli.log" 'LAB: tcp-send done' "$BOOT_TIMEOUT"
	b=$(field "$WORK/cli.log" 'LAB: dhcp' ip)
	if [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; then
		result PASS natnet-dhcp "two VMs on the switch got $a and $b from the shared NAT"
	else
		result FAIL natnet-dhcp "leases '$a' and '$b'"
	fi
	if tr -d '\r' <"$WORK/srv.log" "$WORK/cli.log" | grep -q 'LAB: ping .* ok'; then
		result PASS natnet-ping "$(tr -d '\r' <"$WORK/cli.log" | grep -a 'LAB: ping' | head -n 1)"
	else
		result FAIL natnet-ping "no ping reply from the NAT gateway"
	fi
	sent=$(field "$WORK/cli.log" 'LAB: tcp-send sha256' sha256)
	if wait_log "$WORK/srv.log" 'LAB: tcp-recv' 60 &&
		[ "$(field "$WORK/srv.log" 'LAB: tcp-recv' sha256)" = "$sent" ] && [ -n "$sent" ]; then
		result PASS natnet-tcp "4 MiB from $b to $a across the switch arrived intact"
	else
		result FAIL natnet-tcp "sent ${sent:-nothing}, received $(field "$WORK/srv.log" 'LAB: tcp-recv' sha256)"
	fi
	cleanup
}

bench()
{
	sink="lab.netrole=sink lab.bytes=$((BENCH_MIB * 1048576))"
	# virtty NAT.
	next_port
	pi=$port
	next_port
	po=$port
	vm bnat "lab.ip=dhcp $sink" "user,hostfwd=tcp:127.0.0.1:$pi-:5001,hostfwd=tcp:127.0.0.1:$po-:5002"
	if wait_log "$WORK/bnat.log" 'LAB: net ready' "$BOOT_TIMEOUT"; then
		throughput virtty-nat 127.0.0.1 "$pi" "$po"
	else
		echo "LAB-BENCH: net backend=virtty-nat dir=in failed"
		show bnat
	fi
	cleanup
	# QEMU user networking.
	if [ -n "$QEMU" ]; then
		next_port
		pi=$port
		next_port
		po=$port
		qemu_vm qnat "lab.ip=dhcp $sink" \
			-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$pi-:5001,hostfwd=tcp:127.0.0.1:$po-:5002"
		if wait_log "$WORK/qnat.log" 'LAB: net ready' "$BOOT_TIMEOUT"; then
			throughput qemu-user 127.0.0.1 "$pi" "$po"
		else
			echo "LAB-BENCH: net backend=qemu-user dir=in failed"
			show qnat
		fi
		cleanup
	fi
	# virtty tap: a hostonly network (the switch owns the tap, L1 gets .1).
	sock=$WORK/ho.sock
	"$NETD" --name labho --mode hostonly --socket "$sock" --control "$WORK/ho.ctl" \
		--net 10.0.4.0/24 --no-dhcp --ifname vtty-labho </dev/null >"$WORK/netd-ho.log" 2>&1 &
	pids="$pids $!"
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	vm btap "lab.ip=10.0.4.2/24 $sink" "socket,path=$sock"
	if wait_log "$WORK/btap.log" 'LAB: net ready' "$BOOT_TIMEOUT"; then
		throughput virtty-tap 10.0.4.2 5001 5002
	else
		echo "LAB-BENCH: net backend=virtty-tap dir=in failed ($(tail -n 1 "$WORK/netd-ho.log"))"
		show btap
	fi
	cleanup
	# QEMU's tap backend.
	if [ -n "$QEMU" ]; then
		tunctl -t qtap0 >/dev/null &&
			ip addr add 10.0.5.1/24 dev qtap0 && ip link set qtap0 up
		qemu_vm qtap "lab.ip=10.0.5.2/24 $sink" \
			-netdev tap,id=n0,ifname=qtap0,script=no,downscript=no
		if wait_log "$WORK/qtap.log" 'LAB: net ready' "$BOOT_TIMEOUT"; then
			throughput qemu-tap 10.0.5.2 5001 5002
		else
			echo "LAB-BENCH: net backend=qemu-tap dir=in failed ($(tail -n 1 "$WORK/qtap.err"))"
			show qtap
		fi
		cleanup
	fi
}

case "$run" in
test)
	test_nat
	test_natnet
	;;
bench) bench ;;
*)
	echo "net-scenario: unknown run '$run'" >&2
	exit 2
	;;
esac
exit $failed
