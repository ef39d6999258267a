#!/bin/sh
# virtio-net with user-mode NAT (libslirp) end to end, against the net test
# guest (tests/guests/net.c): DHCP lease, gateway ping, a UDP port forward
# to the guest's upper-casing echo service, the derived MAC stable across
# runs, net-forward add/remove at run time, busy host ports refused, per-NIC
# stats, the host isolated from the guest, and hostile TX chains survived. UDP and JSON are spoken by python3.
set -u
VMM=${VIRTTY_VMM:-../../backend/vmm/virtty-vmm}
B=${top_builddir:-../..}
CTL=$B/tests/tools/vmmctl
GUEST=$B/tests/guests/net.elf
work=$(mktemp -d)
pid= holder=
cleanup()
{
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0

pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

[ -e /dev/kvm ] || { echo "SKIP: no /dev/kvm"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
for f in "$VMM" "$CTL" "$GUEST"; do [ -e "$f" ] || { echo "not built: $f"; exit 99; }; done

# Three different free UDP ports on 127.0.0.1 (held together while the
# kernel picks them, so they differ).
free_ports()
{
	python3 -c '
import socket
ss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

# port_free PORT: can we bind 127.0.0.1:PORT (UDP) now?
port_free()
{
	python3 -c 'import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

# udp_echo PORT TEXT: send TEXT to 127.0.0.1:PORT, print the reply (or
# nothing after 3 tries of 2 s).
udp_echo()
{
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(3):
    s.sendto(sys.argv[2].encode(), ("127.0.0.1", int(sys.argv[1])))
    try:
        print(s.recv(2048).decode(errors="replace"))
        break
    except socket.timeout:
        pass
PY
}

# serial_send CHARS: type CHARS on the guest's serial socket.
serial_send()
{
	python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode()); s.close()' "$work/ser" "$1"
}

# wait_serial PATTERN SECONDS: until the serial replay matches PATTERN.
wait_serial()
{
	i=0
	while [ "$i" -lt $(($2 * 4)) ]; do
		"$CTL" "$work/ctl" '{"cmd":"serial-dump"}' 2>/dev/null | grep -Eq -- "$1" && return 0
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}

# nic_stat KEY: the first NIC's counter KEY from "stats".
nic_stat()
{
	"$CTL" "$work/ctl" '{"cmd":"stats"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["nics"][0][sys.argv[1]])' "$1"
}

# start_vm NAME NIC-SPEC: run the net guest in the background.
start_vm()
{
	rm -f "$work/ctl" "$work/ser"
	"$VMM" --kernel "$GUEST" --name "$1" --memory 32 --nic "$2" --serial "$work/ser" \
		--control "$work/ctl" >"$work/out" 2>"$work/err" </dev/null &
	pid=$!
	if ! "$CTL" --wait 30 "$work/ctl" '{"cmd":"status"}' >/dev/null 2>&1; then
		echo "FAIL: control socket never answered"; cat "$work/err"; exit 1
	fi
}

stop_vm()
{
	"$CTL" "$work/ctl" '{"cmd":"quit"}' >/dev/null 2>&1
	wait "$pid"
	rc=$?
	pid=
	return $rc
}

set -- $(free_ports)
port1=$1 port2=$2 busy=$3
# The MAC virtty-vmm derives for NIC 0 of VM "nettest" (docs/vmm.md).
want_mac=$(python3 -c '
h = 2166136261
for c in b"nettest/0":
    h = ((h ^ c) * 16777619) & 0xffffffff
print("52:54:00:%02x:%02x:%02x" % (h >> 16 & 255, h >> 8 & 255, h & 255))')

start_vm nettest "user,hostfwd=udp:127.0.0.1:$port1-:7"
if wait_serial 'net: ready' 60; then pass "guest is up: lease, ARP, ping"; else
	fail "guest never got ready:"; "$CTL" "$work/ctl" '{"cmd":"serial-dump"}'; cat "$work/err"; exit 1
fi
dump=$("$CTL" "$work/ctl" '{"cmd":"serial-dump"}')
case "$dump" in *"net: lease 10.0.2.15 server 10.0.2.2"*) pass "DHCP lease 10.0.2.15 from 10.0.2.2" ;;
*) fail "no lease 10.0.2.15 in: $dump" ;; esac
case "$dump" in *"net: ping 10.0.2.2 seq 1 rtt "*) pass "gateway answers ping: $(printf '%s' "$dump" | grep -o 'net: ping [^\\]*' | head -n 1)" ;;
*) fail "no ping reply in: $dump" ;; esac
case "$dump" in *"net: mac $want_mac"*) pass "MAC is the derived one ($want_mac)" ;;
*) fail "MAC is not $want_mac: $dump" ;; esac

reply=$(udp_echo "$port1" "hello virtty")
[ "$reply" = "HELLO VIRTTY" ] && pass "UDP forward 127.0.0.1:$port1 -> guest:7 echoes upper-cased" ||
	fail "UDP echo through the forward: got '$reply'"

rx=$(nic_stat rx_packets) tx=$(nic_stat tx_packets) rxb=$(nic_stat rx_bytes)
udp_echo "$port1" "more traffic" >/dev/null
rx2=$(nic_stat rx_packets) tx2=$(nic_stat tx_packets) rxb2=$(nic_stat rx_bytes)
if [ "$rx2" -gt "$rx" ] && [ "$tx2" -gt "$tx" ] && [ "$rxb2" -gt "$rxb" ]; then
	pass "stats: NIC counters grow (rx $rx -> $rx2, tx $tx -> $tx2 packets)"
else
	fail "stats: rx $rx -> $rx2, tx $tx -> $tx2, rx_bytes $rxb -> $rxb2"
fi
"$CTL" "$work/ctl" '{"cmd":"stats"}' | grep -q "\"mac\":\"$want_mac\"" && pass "stats name the NIC's MAC" ||
	fail "stats lack the MAC"

# A second forward added while running, then removed.
r=$("$CTL" "$work/ctl" "{\"cmd\":\"net-forward\",\"nic\":0,\"op\":\"add\",\"proto\":\"udp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$port2,\"guest_port\":7}")
case "$r" in *'"ok":true'*) pass "net-forward add udp $port2" ;; *) fail "net-forward add: $r" ;; esac
reply=$(udp_echo "$port2" "second port")
[ "$reply" = "SECOND PORT" ] && pass "the added forward works" || fail "added forward: got '$reply'"
r=$("$CTL" "$work/ctl" "{\"cmd\":\"net-forward\",\"nic\":0,\"op\":\"remove\",\"proto\":\"udp\",\"host_port\":$port2}")
case "$r" in *'"ok":true'*) pass "net-forward remove udp $port2" ;; *) fail "net-forward remove: $r" ;; esac
reply=$(udp_echo "$port2" "gone")
[ -z "$reply" ] && pass "the removed forward no longer answers" || fail "removed forward answered '$reply'"
port_free "$port2" && pass "the removed forward's host port is free again" || fail "port $port2 still taken"
r=$("$CTL" "$work/ctl" "{\"cmd\":\"net-forward\",\"nic\":0,\"op\":\"remove\",\"proto\":\"udp\",\"host_port\":$port2}")
case "$r" in *'"ok":false'*'no such forward'*) pass "removing it twice is refused" ;; *) fail "second remove: $r" ;; esac

# A host port somebody else holds.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()
time.sleep(600)' "$busy" "$work/holding" &
holder=$!
i=0
while [ ! -e "$work/holding" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
r=$("$CTL" "$work/ctl" "{\"cmd\":\"net-forward\",\"nic\":0,\"op\":\"add\",\"proto\":\"udp\",\"host_port\":$busy,\"guest_port\":7}")
case "$r" in *'"ok":false'*"udp 127.0.0.1:$busy: Address already in use"*) pass "busy port refused at run time: $(printf '%s' "$r" | grep -o '"error":"[^"]*"')" ;;
*) fail "busy port at run time: $r" ;; esac
r=$("$CTL" "$work/ctl" '{"cmd":"net-forward","nic":3,"op":"add","proto":"udp","host_port":4000,"guest_port":7}')
case "$r" in *'"ok":false'*'no NIC 3'*) pass "unknown NIC refused" ;; *) fail "unknown NIC: $r" ;; esac
r=$("$CTL" "$work/ctl" '{"cmd":"net-forward","nic":0,"op":"add","proto":"sctp","host_port":4000,"guest_port":7}')
case "$r" in *'"ok":false'*'proto'*) pass "bad proto refused" ;; *) fail "bad proto: $r" ;; esac

# Host isolation (docs/networks.md: "VM <-> host: no" for NAT): a datagram
# to 10.0.2.2:PORT, which libslirp would hand to the host's loopback, is
# dropped before libslirp sees it and counted as tx_dropped. (Guest ->
# outside through NAT is checked by tests/net/reachability.sh, whose
# "outside" is a network namespace.)
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(20)
try:
    d, a = s.recvfrom(2048)
    open(sys.argv[2], "w").write(d.decode(errors="replace"))
except socket.timeout:
    pass' "$work/listen-port" "$work/got" &
listener=$!
i=0
while [ ! -s "$work/listen-port" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
lport=$(printf '%05d' "$(cat "$work/listen-port")")
drops=$(nic_stat tx_dropped)
serial_send "u$lport"
# The guest prints this once the device took the frame: the verdict is in.
wait_serial "net: udp sent to port $((1$lport - 100000))" 30 || fail "the guest did not send to $lport"
drops2=$(nic_stat tx_dropped)
[ "$drops2" -eq $((drops + 1)) ] && pass "guest UDP to 10.0.2.2:$lport dropped (tx_dropped $drops -> $drops2)" ||
	fail "guest UDP to the host: tx_dropped $drops -> $drops2 (want +1)"
sleep 2
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
got=$(cat "$work/got" 2>/dev/null)
[ -z "$got" ] && pass "nothing reached the host's loopback from the guest" ||
	fail "guest UDP reached the host: got '$got'"

# Hostile TX chains: dropped and counted, the broken ring asks for a reset,
# the guest starts the device over and the forward still works.
errs=$(nic_stat tx_errors)
serial_send g
if wait_serial 'net: reinit ok' 30; then
	dump=$("$CTL" "$work/ctl" '{"cmd":"serial-dump"}')
	case "$dump" in *"net: needs-reset 1"*) pass "a buffer outside RAM makes the device ask for a reset" ;;
	*) fail "no needs-reset after a bad buffer: $dump" ;; esac
	errs2=$(nic_stat tx_errors)
	[ "$errs2" -ge $((errs + 5)) ] && pass "malformed chains counted (tx_errors $errs -> $errs2)" ||
		fail "tx_errors $errs -> $errs2 (want +5)"
else
	fail "guest did not survive its own garbage:"; "$CTL" "$work/ctl" '{"cmd":"serial-dump"}'
fi
kill -0 "$pid" 2>/dev/null && pass "VMM survived hostile chains" || fail "VMM died on hostile chains"
reply=$(udp_echo "$port1" "after reset")
[ "$reply" = "AFTER RESET" ] && pass "echo works after the device reset" || fail "after reset: got '$reply'"
serial_send s
wait_serial 'net: rx [1-9][0-9]* tx [1-9]' 10 && pass "guest counts rx/tx" || fail "no rx/tx line"

stop_vm
rc=$?
[ "$rc" -eq 5 ] && pass "quit -> exit 5" || { fail "exit $rc after quit"; cat "$work/err"; }

# Same name, same NIC: same MAC on the next run.
start_vm nettest user
if wait_serial 'net: ready' 60; then
	"$CTL" "$work/ctl" '{"cmd":"serial-dump"}' | grep -q "net: mac $want_mac" &&
		pass "MAC stable across runs" || fail "MAC changed on the second run"
else
	fail "second run never got ready"
fi
stop_vm

# A forward on a busy port at start: one clear line, status 2.
"$VMM" --kernel "$GUEST" --name nettest --memory 32 --nic "user,hostfwd=udp::$busy-:7" \
	--serial none >"$work/out" 2>"$work/err" </dev/null
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] &&
	grep -q "hostfwd udp 127.0.0.1:$busy: Address already in use" "$work/err"; then
	pass "busy port at start refused: $(cat "$work/err")"
else
	fail "busy port at start: exit $rc: $(cat "$work/err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
