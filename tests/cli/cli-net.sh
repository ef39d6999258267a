#!/bin/sh
# cli-net.sh: virtual networks through the `virtty` command line, against a
# private store, the real virtty-netd and the net test guest
# (tests/guests/net.c) on /dev/kvm: the default network, net-create of each
# mode with good and bad input (nothing written on a refusal), net-start/
# net-stop running and stopping virtty-netd, VMs on a nat and a natnet
# network with per-NIC stats, port forwards on a running VM and a running
# network (a busy host port refused), and the refusals that name the VMs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cli-common.sh"
cli_setup
NET_GUEST=$cli_builddir/tests/guests/net.elf
[ -e "$NET_GUEST" ] || { echo "ERROR: not built: $NET_GUEST"; exit 99; }
cp "$NET_GUEST" "$work/net.elf" || exit 99
G=$work/net.elf
VIRTTY_NETD=${VIRTTY_NETD:-$cli_builddir/backend/netd/virtty-netd}
[ -x "$VIRTTY_NETD" ] || { echo "ERROR: not built: $VIRTTY_NETD"; exit 99; }
export VIRTTY_NETD
NETRUN=$VIRTTY_RUNTIME_DIR/.net # docs/networks.md, the local driver
holder=

net_cleanup()
{
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	# Switches of this run (their control sockets are under $work).
	for p in $(pgrep -f "virtty-netd.*$work" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	cli_cleanup
}
trap net_cleanup EXIT

# Three different free UDP ports on 127.0.0.1.
set -- $(python3 -c '
import socket
ss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
P_NAT=$1 P_NATNET=$2 P_BUSY=$3

# udp_echo PORT TEXT: the reply of the guest's echo service through the
# forward on 127.0.0.1:PORT (nothing after 3 tries of 2 s).
udp_echo()
{
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(3):
    try:
        s.sendto(sys.argv[2].encode(), ("127.0.0.1", int(sys.argv[1])))
        print(s.recv(2048).decode(errors="replace"))
        break
    except OSError:
        pass
PY
}

# nic_counter VM FIELD: FIELD of the VM's first NIC in `stats --json`.
nic_counter()
{
	run --json stats "$1"
	printf '%s' "$out" | python3 -c '
import json, sys
nics = json.load(sys.stdin)["nics"]
print(nics[0][sys.argv[1]] if nics else -1)' "$2" 2>/dev/null
}

# alive PID: a live process (a zombie nobody reaped yet has no command line).
alive()
{
	[ -n "$(tr -d '\0' <"/proc/$1/cmdline" 2>/dev/null)" ]
}

# net_state NAME: the STATE column of `net-list`.
net_state()
{
	run net-list
	printf '%s\n' "$out" | awk -v n="$1" '$1 == n { print $3 }'
}

# refused NAME STATUS REGEX ARGS...: exits with STATUS, says REGEX, and
# the store is byte for byte what it was.
refused()
{
	_name=$1 _want=$2 _re=$3
	shift 3
	_before=$(cli_store_digest)
	run "$@"
	if [ "$rc" = "$_want" ] && grep_in "$err" "$_re" && [ "$(cli_store_digest)" = "$_before" ]; then
		pass "$_name: $(printf '%s' "$err" | head -n 1)"
	else
		fail "$_name: expected exit $_want and /$_re/, store unchanged ($([ "$(cli_store_digest)" = "$_before" ] && echo yes || echo no)); $(cli_last)"
	fi
}

# --- the default network ------------------------------------------------------
run net-list
if [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -Eq '^default +nat +active +10\.0\.2\.0/24 +yes'; then
	pass "a new store has the default nat network (active, 10.0.2.0/24, autostart)"
else
	fail "default network in net-list: $(cli_last)"
fi
run --json net-list
[ "$(printf '%s' "$out" | cli_json_field mode default 2>/dev/null)" = nat ]
check $? "net-list --json: default is nat" "$(cli_last)"

# --- net-create: good definitions of each mode ----------------------------------
expect_rc "create natnet" 0 net-create lan --mode natnet --subnet 10.0.5.0/24 --dhcp 10.0.5.20-10.0.5.30
expect_rc "create nat with a forward" 0 net-create nat2 --mode nat --subnet 10.0.9.0/24 --forward "tcp:$P_BUSY-web:22"
expect_rc "create internal" 0 net-create iso --mode internal
expect_rc "create hostonly" 0 net-create ho --mode hostonly --subnet 10.213.0.0/24
expect_rc "create bridged" 0 net-create br --mode bridged --bridge vttytestbr0 --autostart
run --json net-info lan
[ "$(printf '%s' "$out" | cli_json_field dhcp_range)" = "10.0.5.20-10.0.5.30" ] &&
	[ "$(printf '%s' "$out" | cli_json_field gateway)" = "10.0.5.2" ]
check $? "net-info: DHCP range and gateway of lan" "$(cli_last)"
run net-info nat2
grep_in "$out" "tcp:127.0.0.1:$P_BUSY-web:22"
check $? "net-info lists the port forward" "$(cli_last)"
expect_rc "delete the nat network again" 0 net-delete nat2

# --- net-create: bad input is refused, nothing written ----------------------------
refused "subnet that is not a network address" 2 'did you mean 10\.0\.6\.0/24' \
	net-create x --mode natnet --subnet 10.0.6.1/24
refused "subnet that is no address" 2 'subnet' net-create x --mode natnet --subnet 300.1.2.0/24
refused "DHCP range outside the subnet" 1 'not inside the subnet' \
	net-create x --mode natnet --subnet 10.0.6.0/24 --dhcp 10.0.7.1-10.0.7.5
refused "natnet overlapping another natnet" 1 "overlaps.*'lan'" \
	net-create x --mode natnet --subnet 10.0.0.0/16
refused "hostonly overlapping a hostonly" 1 "overlaps.*'ho'" \
	net-create x --mode hostonly --subnet 10.213.0.0/25
# The host's first route with a prefix from /8 to /30 (not the default one).
route=$(python3 -c '
import socket, struct
for line in list(open("/proc/net/route"))[1:]:
    f = line.split()
    dest, mask = int(f[1], 16), int(f[7], 16)
    prefix = bin(mask).count("1")
    if mask and 8 <= prefix <= 30:
        print("%s/%d" % (socket.inet_ntoa(struct.pack("<I", dest)), prefix))
        break' 2>/dev/null)
if [ -n "$route" ]; then
	refused "hostonly overlapping the host route $route" 1 'route' \
		net-create x --mode hostonly --subnet "$route"
else
	echo "SKIP: hostonly vs host route: the host has no route from /8 to /30 but the default"
fi
refused "unknown mode" 2 'unknown network mode' net-create x --mode wormhole
refused "no mode" 2 'needs a mode' net-create x
refused "bridged without --bridge" 1 'bridge' net-create x --mode bridged
refused "duplicate name" 1 "'lan' already exists" net-create lan --mode internal
refused "bad forward" 2 'forward' net-create x --mode nat --forward tcp:99999-web:22
refused "bad name" 2 'invalid name' net-create 'a/b' --mode nat
refused "mistyped network" 1 "did you mean 'lan'" net-info lam

# --- net-start / net-stop run and stop virtty-netd ----------------------------------
for n in iso lan; do
	expect_rc "net-start $n" 0 net-start "$n"
	pid=$(cat "$NETRUN/$n/pid" 2>/dev/null)
	if [ -n "$pid" ] && alive "$pid" && [ -S "$NETRUN/$n/port.sock" ] &&
		[ -S "$NETRUN/$n/control.sock" ]; then
		pass "$n: virtty-netd $pid runs, its sockets listen"
	else
		fail "$n: virtty-netd pid '$pid', sockets: $(ls "$NETRUN/$n" 2>&1 | tr '\n' ' ')"
	fi
	[ "$(net_state "$n")" = active ]
	check $? "net-list: $n active" "$(cli_last)"
	expect_rc "net-start $n again is refused" 1 net-start "$n"
	expect_rc "net-stop $n" 0 net-stop "$n"
	if [ -n "$pid" ] && ! alive "$pid" && [ ! -e "$NETRUN/$n" ]; then
		pass "$n: virtty-netd gone, runtime dir removed"
	else
		fail "$n: after net-stop: pid $pid alive or $NETRUN/$n left"
	fi
	[ "$(net_state "$n")" = inactive ]
	check $? "net-list: $n inactive" "$(cli_last)"
done
expect_rc "net-stop of an inactive network is refused" 1 net-stop iso
run net-start default
[ "$rc" = 0 ] && grep_in "$out" 'nothing to start'
check $? "net-start of a nat network: nothing to start" "$(cli_last)"

# --- VMs on networks --------------------------------------------------------------
# nn: a natnet on the guest's default subnet (net.elf talks to 10.0.2.2).
expect_rc "create natnet nn" 0 net-create nn --mode natnet --subnet 10.0.2.0/24
refused "define on a network that does not exist" 1 "network 'nope' does not exist" \
	define bad --kernel "$G" --nic nope
refused "define with a bad MAC" 2 'mac' define bad --kernel "$G" --nic default,mac=01:00:5e:00:00:01
expect_rc "define a on default" 0 define a --kernel "$G" --memory 32 --display none --nic default
expect_rc "define b on nn" 0 define b --kernel "$G" --memory 32 --display none --nic nn
expect_rc "define c without --nic" 0 define c --kernel "$G" --memory 32 --display none
run --json info c
[ "$(printf '%s' "$out" | cli_json_field network)" = default ]
check $? "a VM defined without --nic gets a NIC on default" "$(cli_last)"
expect_rc "define d with --no-nic" 0 define d --kernel "$G" --memory 32 --display none --no-nic
run info d
grep_in "$out" 'NICs: +\(none\)'
check $? "info: d has no NIC" "$(cli_last)"
run info a
grep_in "$out" "52:54:00:[0-9a-f:]{8} \(network 'default'\)"
check $? "info lists a's NIC with its MAC and network" "$(cli_last)"
run --json info a
mac_a=$(printf '%s' "$out" | cli_json_field mac)
run --json info c
mac_c=$(printf '%s' "$out" | cli_json_field mac)
[ -n "$mac_a" ] && [ "$mac_a" != "$mac_c" ]
check $? "two VMs get different MACs ($mac_a, $mac_c)" "a $mac_a c $mac_c"
refused "a MAC another VM has is refused" 1 "already used by VM 'a'" set c --nic "default,mac=$mac_a"

expect_rc "start a (nat)" 0 start a
expect_rc "start b (starts nn)" 0 start b
[ "$(net_state nn)" = active ]
check $? "starting b started its network nn" "$(cli_last)"

# The guests get their leases; then each NIC's counters count.
for vm in a b; do
	ok=
	for i in $(seq 150); do
		run console --dump "$vm"
		grep_in "$out" 'net: ready' && { ok=1; break; }
		sleep 0.2
	done
	[ -n "$ok" ]
	check $? "$vm got a DHCP lease and answers (net: ready)" "$(cli_last)"
done

run stats a
grep_in "$out" 'NIC 0 \(default\): +rx [0-9.]+ [KMG]?i?B in [1-9][0-9]* packets'
check $? "stats a shows NIC 0 on default with packets" "$(cli_last)"

# nat: a forward added to the running VM works at once.
rx0=$(nic_counter a rx_packets)
expect_rc "net-forward default add (running VM a)" 0 net-forward default add "udp:$P_NAT-a:7"
[ "$(udp_echo "$P_NAT" ping-a)" = PING-A ]
check $? "the forward reaches a's echo service" "no reply on $P_NAT"
rx1=$(nic_counter a rx_packets)
[ "$rx1" -gt "$rx0" ] 2>/dev/null
check $? "a's NIC rx_packets grew ($rx0 -> $rx1)" "$(cli_last)"

# natnet: a forward added to the running switch.
tx0=$(nic_counter b tx_bytes)
expect_rc "net-forward nn add (running network)" 0 net-forward nn add "udp:$P_NATNET-10.0.2.15:7"
[ "$(udp_echo "$P_NATNET" ping-b)" = PING-B ]
check $? "the natnet forward reaches b's echo service" "no reply on $P_NATNET"
tx1=$(nic_counter b tx_bytes)
[ "$tx1" -gt "$tx0" ] 2>/dev/null
check $? "b's NIC tx_bytes grew ($tx0 -> $tx1)" "$(cli_last)"
run --json stats b
[ "$(printf '%s' "$out" | cli_json_field network)" = nn ]
check $? "stats --json names b's network" "$(cli_last)"

# A busy host port: refused, nothing stored.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()
time.sleep(600)' "$P_BUSY" "$work/busy-ready" &
holder=$!
# Until the port is really taken (python may start slowly on a busy machine).
i=0
while [ ! -e "$work/busy-ready" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
refused "busy port on a running VM (nat)" 1 'in use' net-forward default add "udp:$P_BUSY-a:7"
refused "busy port on a running network (natnet)" 1 'in use' net-forward nn add "udp:$P_BUSY-10.0.2.16:7"
refused "busy port on a stopped VM's network" 1 'not free' net-forward default add "udp:$P_BUSY-c:7"
kill "$holder" 2>/dev/null
holder=

expect_rc "net-forward nn remove" 0 net-forward nn remove "udp:$P_NATNET-10.0.2.15:7"
[ -z "$(udp_echo "$P_NATNET" gone)" ]
check $? "a removed forward no longer answers" "port $P_NATNET still answers"
expect_rc "net-forward default remove" 0 net-forward default remove "udp:$P_NAT-a:7"
refused "removing it twice" 1 'no forward' net-forward default remove "udp:$P_NAT-a:7"

# --- refusals naming the VMs ------------------------------------------------------
refused "net-stop with a running VM" 1 "running VM attached: b" net-stop nn
refused "net-delete with VMs defined" 1 "used by VM.* b" net-delete nn
refused "net-delete default with VMs" 1 "used by VMs a, c" net-delete default
expect_rc "define e on iso" 0 define e --kernel "$G" --memory 32 --display none --nic iso
mv "$VIRTTY_HOME/networks/iso.conf" "$work/iso.conf"
expect_rc "a VM whose network vanished does not start" 1 start e
grep_in "$err" "VM 'e': network 'iso' does not exist \(virtty net-list\)"
check $? "and says which network" "$(cli_last)"
mv "$work/iso.conf" "$VIRTTY_HOME/networks/iso.conf"

expect_rc "destroy b" 0 destroy b
expect_rc "net-stop nn once b is off" 0 net-stop nn
expect_rc "undefine b" 0 undefine b --remove-disks
expect_rc "net-delete nn once no VM uses it" 0 net-delete nn
[ ! -e "$VIRTTY_HOME/networks/nn.conf" ]
check $? "nn's definition is gone" "$(ls "$VIRTTY_HOME/networks")"
run net-info nn
[ "$rc" = 1 ]
check $? "net-info of a deleted network fails" "$(cli_last)"
expect_rc "destroy a" 0 destroy a

# --- net-start --autostart: what a boot script runs ------------------------------
# (Networks made above with --autostart, like the bridged one whose bridge does
# not exist here, are switched off first.)
run net-list
for n in $(printf '%s\n' "$out" | awk 'NR > 1 && $5 == "yes" && $2 != "nat" { print $1 }'); do
	expect_rc "net-autostart $n off" 0 net-autostart "$n" off
done
expect_rc "net-create an autostart internal network" 0 net-create boot1 --mode internal --autostart
expect_rc "net-create one without autostart" 0 net-create boot2 --mode internal
expect_rc "net-start --autostart" 0 net-start --autostart
[ "$(net_state boot1)" = active ] && [ "$(net_state boot2)" = inactive ]
check $? "it started boot1 (autostart) and not boot2" "$(cli_last)"
expect_rc "net-start --autostart again: nothing to do" 0 net-start --autostart
grep_in "$out" "No autostart network needed starting"
check $? "and says so" "$(cli_last)"
refused "net-start NAME --autostart" 2 "unexpected argument" net-start boot2 --autostart
expect_rc "net-stop boot1" 0 net-stop boot1

cli_summary
