#!/bin/sh
# virtty-netd end to end (docs/networks.md, "CONTRACT: virtty-netd" and
# "--nic socket"): argument errors; an internal switch driven by fake VMs
# (tests/net/netd_fakevm.py: learning, flooding, hostile ports, stats);
# --daemonize and the pid file; natnet with two net test guests
# (tests/guests/net.c) under virtty-vmm --nic socket: distinct DHCP leases,
# gateway ping, UDP forwards to each guest's echo service, net-forward at
# run time, the switch going away and coming back while the VMMs run;
# hostonly and bridged inside a network namespace made here (needs root,
# ip, /dev/net/tun, dnsmasq): the tap's .1, a lease from dnsmasq, UDP from
# the namespace to the guest, the missing-privilege and missing-bridge
# errors; every running virtty-netd under its seccomp filter. Nothing
# touches the host's own network.
set -u
NETD=${top_builddir:-../..}/backend/netd/virtty-netd
VMM=${VIRTTY_VMM:-../../backend/vmm/virtty-vmm}
B=${top_builddir:-../..}
S=${top_srcdir:-../..}
CTL=$B/tests/tools/vmmctl
GUEST=$B/tests/guests/net.elf
FAKEVM=$S/tests/net/netd_fakevm.py
work=$(mktemp -d)
pids= ns= in_ns=
cleanup()
{
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
for f in "$NETD" "$VMM" "$CTL" "$GUEST"; do [ -e "$f" ] || { echo "not built: $f"; exit 99; }; done

# expect_usage NAME TEXT -- ARGS: exit 2 with one stderr line containing TEXT.
expect_usage()
{
	name=$1 text=$2
	shift 3
	"$NETD" "$@" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] && grep -qF -- "$text" "$work/err"; then
		pass "$name: $(cat "$work/err")"
	else
		fail "$name: exit $rc, stderr: $(cat "$work/err")"
	fi
}

# wait_for FILE PATTERN SECONDS: until FILE matches PATTERN.
wait_for()
{
	i=0
	while [ "$i" -lt $(($3 * 4)) ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}

# wait_serial CTL PATTERN SECONDS: until the VM's serial replay matches.
wait_serial()
{
	i=0
	while [ "$i" -lt $(($3 * 4)) ]; do
		"$CTL" "$1" '{"cmd":"serial-dump"}' 2>/dev/null | grep -Eq -- "$2" && return 0
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}

# lease_of CTL: the address the guest printed ("net: lease A server S").
lease_of()
{
	"$CTL" "$1" '{"cmd":"serial-dump"}' | grep -o 'net: lease [0-9.]*' | head -n 1 | cut -d' ' -f3
}

# udp_echo [NETNS] ADDR PORT TEXT: the reply (or nothing after 3 tries of 2 s).
udp_echo()
{
	$in_ns python3 - "$@" <<'PY'
import socket, sys
addr, port, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(3):
    s.sendto(text.encode(), (addr, port))
    try:
        print(s.recv(2048).decode(errors="replace"))
        break
    except socket.timeout:
        pass
PY
}

free_ports()
{
	python3 -c '
import socket
ss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

# start_netd DIR ARGS...: a foreground virtty-netd, ready when its control
# socket answers.
start_netd()
{
	d=$1
	shift
	mkdir -p "$d"
	$in_ns "$NETD" --socket "$d/port.sock" --control "$d/ctl.sock" "$@" >"$d/out" 2>"$d/err" </dev/null &
	netd_pid=$!
	pids="$pids $netd_pid"
	"$CTL" --wait 30 "$d/ctl.sock" '{"cmd":"status"}' >/dev/null 2>&1
}

# start_vm NAME SOCKET: the net guest on a switch port.
start_vm()
{
	"$VMM" --kernel "$GUEST" --name "$1" --memory 32 --nic "socket,path=$2" \
		--serial "$work/$1.ser" --control "$work/$1.ctl" >"$work/$1.out" 2>"$work/$1.err" </dev/null &
	vm_pid=$!
	pids="$pids $vm_pid"
	"$CTL" --wait 30 "$work/$1.ctl" '{"cmd":"status"}' >/dev/null 2>&1
}

# expect_sandboxed NAME PID: every thread of a running virtty-netd under a
# seccomp filter (Seccomp: 2): the event loop from once the network is
# built, the NAT's thread from its start.
if ! grep -q '^#define HAVE_SECCOMP 1' "$B/config.h" 2>/dev/null; then
	no_sandbox="built without libseccomp"
elif [ "${VIRTTY_SECCOMP:-}" = off ]; then
	no_sandbox="VIRTTY_SECCOMP=off"
elif ! grep -q '^Seccomp:' /proc/self/status; then
	no_sandbox="the kernel reports no seccomp state"
else
	no_sandbox=
fi
expect_sandboxed()
{
	if [ -n "$no_sandbox" ]; then
		echo "SKIP: $1: seccomp check ($no_sandbox)"
		return
	fi
	modes=$(cat /proc/"$2"/task/*/status 2>/dev/null | sed -n 's/^Seccomp:[[:space:]]*//p' | sort -u | tr '\n' ' ')
	n=$(ls /proc/"$2"/task 2>/dev/null | wc -l)
	[ "$modes" = "2 " ] && pass "$1: under a seccomp filter, all $n thread(s) (Seccomp: 2)" ||
		fail "$1: Seccomp states '$modes' over $n threads"
}

# ---- Arguments ----
expect_usage no-args "--name, --mode, --socket and --control are required" --
expect_usage bad-mode "--mode 'nat': expected natnet, internal, hostonly or bridged" -- \
	--name x --mode nat --socket "$work/s" --control "$work/c"
expect_usage fwd-internal "--hostfwd: only natnet networks have port forwards" -- \
	--name x --mode internal --socket "$work/s" --control "$work/c" --hostfwd udp::5000-10.0.2.15:7
expect_usage bad-fwd "hostfwd 'udp:5000': expected" -- \
	--name x --mode natnet --socket "$work/s" --control "$work/c" --hostfwd udp:5000
expect_usage bad-net "net '10.0.2.1/24': host bits are set" -- \
	--name x --mode natnet --socket "$work/s" --control "$work/c" --net 10.0.2.1/24
expect_usage hostonly-no-net "--net A.B.C.D/N is required for a hostonly network" -- \
	--name x --mode hostonly --socket "$work/s" --control "$work/c"
expect_usage bridged-no-bridge "--bridge BRIDGE is required for a bridged network" -- \
	--name x --mode bridged --socket "$work/s" --control "$work/c"
expect_usage no-dhcp-natnet "--no-dhcp: only for hostonly networks" -- \
	--name x --mode natnet --socket "$work/s" --control "$work/c" --no-dhcp
expect_usage no-dhcp-with-range "--no-dhcp: only for hostonly networks, without --dhcp-*" -- \
	--name x --mode hostonly --socket "$work/s" --control "$work/c" --net 10.9.0.0/24 \
	--dhcp-start 10.9.0.100 --no-dhcp
expect_usage bad-name "--name 'a b'" -- --name 'a b' --mode internal --socket "$work/s" --control "$work/c"
expect_usage unknown-option "unknown option '--bogus'" -- \
	--name x --mode internal --socket "$work/s" --control "$work/c" --bogus
# The VMM side: nothing listens on the socket file (a stale one).
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(sys.argv[1])' "$work/stale.sock"
"$VMM" --kernel "$GUEST" --nic "socket,path=$work/stale.sock" --serial none >"$work/out" 2>"$work/err" </dev/null
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] &&
	grep -qF -- "--nic socket: $work/stale.sock: Connection refused" "$work/err"; then
	pass "virtty-vmm without a switch: exit 2, $(cat "$work/err")"
else
	fail "virtty-vmm without a switch: exit $rc: $(cat "$work/err")"
fi

# ---- internal: fake VMs on the port socket ----
if start_netd "$work/int" --name int1 --mode internal; then
	pass "internal switch up"
	expect_sandboxed "internal" "$netd_pid"
	perm=$(stat -c %a "$work/int/port.sock")
	[ "$perm" = 600 ] && pass "port socket mode 0600" || fail "port socket mode $perm"
	python3 "$FAKEVM" "$work/int/port.sock" "$work/int/ctl.sock" >"$work/fake.out" 2>&1
	cat "$work/fake.out"
	passed=$((passed + $(grep -c '^PASS' "$work/fake.out")))
	failed=$((failed + $(grep -c '^FAIL' "$work/fake.out")))
	grep -q '^PASS' "$work/fake.out" || fail "fake VMs: $(cat "$work/fake.out")"
	r=$("$CTL" "$work/int/ctl.sock" '{"cmd":"net-forward","action":"add","spec":"udp:127.0.0.1:5000-10.0.2.15:7"}')
	case "$r" in *'"ok":false'*'only natnet networks have port forwards'*) pass "net-forward refused on internal" ;;
	*) fail "net-forward on internal: $r" ;; esac
	r=$("$CTL" "$work/int/ctl.sock" '{"cmd":"quit"}')
	wait "$netd_pid"
	rc=$?
	[ "$rc" -eq 0 ] && pass "quit -> exit 0" || fail "quit: exit $rc ($r)"
	[ ! -e "$work/int/port.sock" ] && pass "port socket removed at exit" || fail "port socket left behind"
else
	fail "internal switch did not start: $(cat "$work/int/err")"
fi

# ---- --daemonize, pid file, SIGTERM ----
mkdir -p "$work/dmn"
"$NETD" --name dmn --mode internal --socket "$work/dmn/port.sock" --control "$work/dmn/ctl.sock" \
	--daemonize --pidfile "$work/dmn/pid" --log "$work/dmn/log" >"$work/out" 2>"$work/err" </dev/null
rc=$?
dpid=$(cat "$work/dmn/pid" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -S "$work/dmn/port.sock" ] && [ -n "$dpid" ]; then
	pass "--daemonize returns 0 with the sockets listening (pid $dpid)"
	spid=$("$CTL" "$work/dmn/ctl.sock" '{"cmd":"status"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["pid"])')
	[ "$spid" = "$dpid" ] && pass "status pid = pid file" || fail "status pid $spid, pid file $dpid"
	expect_sandboxed "--daemonize" "$dpid"
	kill -TERM "$dpid"
	wait_for "$work/dmn/pid" '^exited 0$' 10 && pass "SIGTERM: pid file says exited 0" ||
		fail "after SIGTERM the pid file says: $(cat "$work/dmn/pid")"
else
	fail "--daemonize: exit $rc: $(cat "$work/err")"
fi
"$NETD" --name dmn --mode internal --socket "$work/dmn/port.sock" --control "$work/dmn/ctl.sock" \
	--daemonize --pidfile "$work/dmn/pid" --log "$work/dmn/log" >/dev/null 2>&1 </dev/null
dpid=$(cat "$work/dmn/pid")
"$NETD" --name dmn --mode internal --socket "$work/dmn/port2.sock" --control "$work/dmn/ctl2.sock" \
	--daemonize --pidfile "$work/dmn/pid" --log "$work/dmn/log" >"$work/out" 2>"$work/err" </dev/null
rc=$?
[ "$rc" -eq 2 ] && grep -q "another virtty-netd holds it" "$work/err" && pass "a busy pid file is refused: $(cat "$work/err")" ||
	fail "busy pid file: exit $rc: $(cat "$work/err")"
"$NETD" --name dmn2 --mode internal --socket "$work/dmn/port.sock" --control "$work/dmn/ctl3.sock" >"$work/out" 2>"$work/err" </dev/null
rc=$?
[ "$rc" -eq 2 ] && grep -q "another switch listens on it" "$work/err" && pass "a live port socket is not taken over: $(cat "$work/err")" ||
	fail "live port socket: exit $rc: $(cat "$work/err")"
kill -TERM "$dpid"

# ---- natnet: two guests on one segment with a shared NAT ----
set -- $(free_ports)
port1=$1 port2=$2 busy=$3
if [ ! -e /dev/kvm ]; then
	echo "SKIP: natnet with guests: no /dev/kvm"
elif start_netd "$work/nat" --name nn1 --mode natnet --net 10.0.2.0/24 \
	--hostfwd "udp:127.0.0.1:$port1-10.0.2.15:7"; then
	pass "natnet switch up"
	n=$(ls /proc/"$netd_pid"/task | wc -l)
	[ "$n" -ge 2 ] && pass "natnet: the NAT has a thread of its own" || fail "natnet: $n threads"
	expect_sandboxed "natnet" "$netd_pid"
	start_vm g1 "$work/nat/port.sock"
	g1_pid=$vm_pid
	start_vm g2 "$work/nat/port.sock"
	g2_pid=$vm_pid
	if wait_serial "$work/g1.ctl" 'net: ready' 90 && wait_serial "$work/g2.ctl" 'net: ready' 90; then
		pass "both guests up: lease, gateway ARP and ping"
	else
		fail "guests not ready: $("$CTL" "$work/g1.ctl" '{"cmd":"serial-dump"}') $("$CTL" "$work/g2.ctl" '{"cmd":"serial-dump"}') $(cat "$work/g1.err" "$work/g2.err")"
	fi
	a1=$(lease_of "$work/g1.ctl") a2=$(lease_of "$work/g2.ctl")
	case "$a1 $a2" in "10.0.2.15 10.0.2.16" | "10.0.2.16 10.0.2.15") pass "distinct leases: $a1 and $a2" ;;
	*) fail "leases '$a1' and '$a2'" ;; esac
	"$CTL" "$work/g1.ctl" '{"cmd":"serial-dump"}' | grep -q 'net: ping 10.0.2.2 seq 1' &&
		"$CTL" "$work/g2.ctl" '{"cmd":"serial-dump"}' | grep -q 'net: ping 10.0.2.2 seq 1' &&
		pass "both guests ping the gateway" || fail "no ping reply"
	# the forward goes to .15; the other guest gets one at run time
	[ "$a1" = 10.0.2.15 ] && { c15=$work/g1.ctl; other=$a2; } || { c15=$work/g2.ctl; other=$a1; }
	reply=$(udp_echo 127.0.0.1 "$port1" "to fifteen")
	[ "$reply" = "TO FIFTEEN" ] && pass "--hostfwd udp 127.0.0.1:$port1 -> 10.0.2.15:7 echoes" ||
		fail "forward to .15: got '$reply'"
	r=$("$CTL" "$work/nat/ctl.sock" "{\"cmd\":\"net-forward\",\"action\":\"add\",\"spec\":\"udp:127.0.0.1:$port2-$other:7\"}")
	case "$r" in *'"ok":true'*) pass "net-forward add udp $port2 -> $other:7" ;; *) fail "net-forward add: $r" ;; esac
	reply=$(udp_echo 127.0.0.1 "$port2" "to the other")
	[ "$reply" = "TO THE OTHER" ] && pass "the added forward reaches the other guest" || fail "added forward: got '$reply'"
	r=$("$CTL" "$work/nat/ctl.sock" "{\"cmd\":\"net-forward\",\"action\":\"add\",\"spec\":\"udp:127.0.0.1:$port2-$other:7\"}")
	case "$r" in *'"ok":false'*'already forwarded'*) pass "the same forward twice is refused" ;; *) fail "double add: $r" ;; esac
	r=$("$CTL" "$work/nat/ctl.sock" "{\"cmd\":\"net-forward\",\"action\":\"remove\",\"spec\":\"udp:127.0.0.1:$port2-$other:7\"}")
	case "$r" in *'"ok":true'*) pass "net-forward remove" ;; *) fail "net-forward remove: $r" ;; esac
	reply=$(udp_echo 127.0.0.1 "$port2" "gone")
	[ -z "$reply" ] && pass "the removed forward no longer answers" || fail "removed forward answered '$reply'"
	r=$("$CTL" "$work/nat/ctl.sock" "{\"cmd\":\"net-forward\",\"action\":\"remove\",\"spec\":\"udp:127.0.0.1:$port2-$other:7\"}")
	case "$r" in *'"ok":false'*'no such forward'*) pass "removing it twice is refused" ;; *) fail "second remove: $r" ;; esac
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()
time.sleep(600)' "$busy" "$work/holding" &
holder=$!
pids="$pids $holder"
wait_for "$work/holding" '' 10
r=$("$CTL" "$work/nat/ctl.sock" "{\"cmd\":\"net-forward\",\"action\":\"add\",\"spec\":\"udp:127.0.0.1:$busy-$other:7\"}")
	case "$r" in *'"ok":false'*"Address already in use"*) pass "busy host port refused: $(printf '%s' "$r" | grep -o '"error":"[^"]*"')" ;;
	*) fail "busy port: $r" ;; esac
	# per-port stats: the NAT port and two VM ports with their MACs
	"$CTL" "$work/nat/ctl.sock" '{"cmd":"stats"}' | python3 -c '
import json, sys
d = json.load(sys.stdin)["data"]
kinds = sorted(p["kind"] for p in d["ports"])
vms = [p for p in d["ports"] if p["kind"] == "vm"]
ok = kinds == ["nat", "vm", "vm"] and all(p["macs"] and p["rx_packets"] > 0 and p["tx_packets"] > 0 for p in vms)
ok = ok and d["rx_bytes"] > 0 and d["tx_bytes"] > 0
print("ok" if ok else d)' >"$work/st"
	[ "$(cat "$work/st")" = ok ] && pass "stats: nat + 2 vm ports with MACs and counters" || fail "stats: $(cat "$work/st")"
	"$CTL" "$work/g1.ctl" '{"cmd":"stats"}' | grep -q '"backend":"socket"' && pass "the VMM's stats name the backend 'socket'" ||
		fail "VMM stats: $("$CTL" "$work/g1.ctl" '{"cmd":"stats"}')"

	# The switch goes away: the VMMs keep running, link down; it comes
	# back: they reconnect and traffic flows again.
	kill -TERM "$netd_pid"
	wait "$netd_pid"
	if wait_for "$work/g1.err" 'switch went away' 20 && wait_for "$work/g2.err" 'switch went away' 20; then
		pass "the VMMs notice the switch went away"
	else
		fail "no link-down message: $(cat "$work/g1.err")"
	fi
	kill -0 "$g1_pid" 2>/dev/null && kill -0 "$g2_pid" 2>/dev/null && pass "the VMMs keep running without the switch" ||
		fail "a VMM died with the switch"
	start_netd "$work/nat" --name nn1 --mode natnet --net 10.0.2.0/24 --hostfwd "udp:127.0.0.1:$port1-10.0.2.15:7" ||
		fail "natnet restart: $(cat "$work/nat/err")"
	if wait_for "$work/g1.err" 'reconnected; link up' 20 && wait_for "$work/g2.err" 'reconnected; link up' 20; then
		pass "both VMMs reconnect"
	else
		fail "no reconnection: $(cat "$work/g1.err")"
	fi
	reply=$(udp_echo 127.0.0.1 "$port1" "back again")
	[ "$reply" = "BACK AGAIN" ] && pass "traffic flows again after the reconnection" || fail "after reconnect: got '$reply'"
	"$CTL" "$work/g1.ctl" '{"cmd":"quit"}' >/dev/null
	"$CTL" "$work/g2.ctl" '{"cmd":"quit"}' >/dev/null
	"$CTL" "$work/nat/ctl.sock" '{"cmd":"quit"}' >/dev/null
	wait "$g1_pid" "$g2_pid" "$netd_pid"
	kill "$holder"
else
	fail "natnet switch did not start: $(cat "$work/nat/err")"
fi

# ---- hostonly and bridged, in a network namespace of our own ----
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || [ ! -c /dev/net/tun ] ||
	! command -v dnsmasq >/dev/null || [ ! -e /dev/kvm ]; then
	echo "SKIP: hostonly/bridged: need root, ip (iproute2), /dev/net/tun, dnsmasq (dnsmasq-base) and /dev/kvm"
elif ! ip netns add "vtty-netd-$$" 2>"$work/err"; then
	echo "SKIP: hostonly/bridged: cannot make a network namespace: $(cat "$work/err")"
else
	ns=vtty-netd-$$
	in_ns="ip netns exec $ns"
	$in_ns ip link set lo up
	if command -v setpriv >/dev/null; then
		$in_ns setpriv --bounding-set=-net_admin --inh-caps=-net_admin "$NETD" --name ho1 --mode hostonly \
			--net 10.0.2.0/24 --socket "$work/np.sock" --control "$work/nc.sock" >"$work/out" 2>"$work/err" </dev/null
		rc=$?
		[ "$rc" -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] &&
			grep -qF "hostonly network 'ho1' needs root or CAP_NET_ADMIN (creating tap vtty-ho1: Operation not permitted)" "$work/err" &&
			pass "without CAP_NET_ADMIN: exit 2, $(cat "$work/err")" || fail "without CAP_NET_ADMIN: exit $rc: $(cat "$work/err")"
	fi
	if start_netd "$work/ho" --name ho1 --mode hostonly --net 10.0.2.0/24; then
		pass "hostonly switch up in namespace $ns"
		expect_sandboxed "hostonly" "$netd_pid"
		$in_ns ip -4 addr show dev vtty-ho1 | grep -q 'inet 10.0.2.1/24' && pass "the tap vtty-ho1 has 10.0.2.1/24" ||
			fail "tap address: $($in_ns ip -4 addr show dev vtty-ho1 2>&1)"
		"$CTL" "$work/ho/ctl.sock" '{"cmd":"status"}' | grep -q '"ifname":"vtty-ho1"' && pass "status names the tap" ||
			fail "status: $("$CTL" "$work/ho/ctl.sock" '{"cmd":"status"}')"
		# The net guest ARPs and pings 10.0.2.2, its fixed gateway: let the
		# namespace answer for that address too.
		$in_ns ip addr add 10.0.2.2/24 dev vtty-ho1
		start_vm h1 "$work/ho/port.sock"
		h1_pid=$vm_pid
		if wait_serial "$work/h1.ctl" 'net: ready' 90; then
			pass "guest up on hostonly"
		else
			fail "hostonly guest: $("$CTL" "$work/h1.ctl" '{"cmd":"serial-dump"}') $(cat "$work/ho/err")"
		fi
		lease=$(lease_of "$work/h1.ctl")
		"$CTL" "$work/h1.ctl" '{"cmd":"serial-dump"}' | grep -Eq "net: lease 10\.0\.2\.1[0-9][0-9] server 10\.0\.2\.1" &&
			pass "dnsmasq leased $lease (range .100-.199, server 10.0.2.1)" || fail "no dnsmasq lease: $lease"
		grep -q " $lease " "$work/ho/leases" 2>/dev/null && pass "the lease is in the leases file beside the control socket" ||
			fail "leases file: $(cat "$work/ho/leases" 2>&1)"
		reply=$(udp_echo "$lease" 7 "from the host")
		[ "$reply" = "FROM THE HOST" ] && pass "the host (namespace) reaches the guest: UDP to $lease:7" ||
			fail "host -> guest UDP: got '$reply'"
		dpid=$(cat "$work/ho/dnsmasq.pid" 2>/dev/null)
		"$CTL" "$work/h1.ctl" '{"cmd":"quit"}' >/dev/null
		"$CTL" "$work/ho/ctl.sock" '{"cmd":"quit"}' >/dev/null
		wait "$h1_pid" "$netd_pid"
		$in_ns ip link show vtty-ho1 >/dev/null 2>&1 && fail "the tap outlives the network" || pass "the tap is gone with the network"
		[ -n "$dpid" ] && ! kill -0 "$dpid" 2>/dev/null && pass "dnsmasq stopped" || fail "dnsmasq ($dpid) still runs"
	else
		fail "hostonly switch did not start: $(cat "$work/ho/err")"
	fi

	$in_ns "$NETD" --name br1 --mode bridged --bridge br-none --socket "$work/np.sock" --control "$work/nc.sock" \
		>"$work/out" 2>"$work/err" </dev/null
	rc=$?
	[ "$rc" -eq 2 ] && grep -qF "bridge 'br-none' does not exist" "$work/err" && pass "missing bridge: exit 2, $(cat "$work/err")" ||
		fail "missing bridge: exit $rc: $(cat "$work/err")"
	$in_ns ip link add vtty-tbr type bridge && $in_ns ip link set vtty-tbr up &&
		$in_ns ip addr add 10.0.3.1/24 dev vtty-tbr
	if start_netd "$work/br" --name br1 --mode bridged --bridge vtty-tbr; then
		pass "bridged switch up"
		expect_sandboxed "bridged" "$netd_pid"
		$in_ns ip link show vtty-br1 | grep -q 'master vtty-tbr' && pass "the tap vtty-br1 is a port of bridge vtty-tbr" ||
			fail "not enslaved: $($in_ns ip link show vtty-br1 2>&1)"
		# A fake VM asks the bridge's address over ARP: the host's kernel
		# answers through bridge, tap and switch.
		python3 - "$work/br/port.sock" <<'PY' >"$work/arp"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.settimeout(2)
me = bytes([0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc])
arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + me + bytes([10, 0, 3, 50]) + b"\0" * 6 + bytes([10, 0, 3, 1])
for _ in range(5):
    s.send(b"\xff" * 6 + me + b"\x08\x06" + arp)
    try:
        while True:
            f = s.recv(2048)
            if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02" and f[28:32] == bytes([10, 0, 3, 1]):
                print("reply")
                sys.exit(0)
    except socket.timeout:
        pass
PY
		[ "$(cat "$work/arp")" = reply ] && pass "a VM port reaches the host through the bridge (ARP reply from 10.0.3.1)" ||
			fail "no ARP reply through the bridge"
		"$CTL" "$work/br/ctl.sock" '{"cmd":"quit"}' >/dev/null
		wait "$netd_pid"
	else
		fail "bridged switch did not start: $(cat "$work/br/err")"
	fi
	in_ns=
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
