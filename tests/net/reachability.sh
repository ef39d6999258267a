#!/bin/sh
# The reachability matrix of docs/networks.md, reproduced: for each mode two
# netnode guests (tests/guests/netnode.c) and, in network namespaces this
# test makes, a "host" (where virtty-vmm and virtty-netd run) and an
# "outside" joined to it by a veth (host 192.0.2.1, outside 192.0.2.2:
# TEST-NET-1, never a real address). Each cell is probed both ways with
# ICMP echo and UDP echo (port 7) and must come out as the design table
# says; one PASS/FAIL per cell. The host namespace does not route
# (ip_forward=0): no mode needs the host kernel to route (NAT goes through
# libslirp's sockets, bridged through a bridge), and host-only and
# internal promise no way out.
#
# VIRTTY_REACH_MODES="nat natnet" limits the modes (default: all five).
set -u
VMM=${VIRTTY_VMM:-../../backend/vmm/virtty-vmm}
B=${top_builddir:-../..}
NETD=${VIRTTY_NETD:-$B/backend/netd/virtty-netd}
CTL=$B/tests/tools/vmmctl
GUEST=$B/tests/guests/netnode.elf
MODES=${VIRTTY_REACH_MODES:-nat natnet internal hostonly bridged}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, taps, a bridge)"
[ -c /dev/kvm ] || skip "no /dev/kvm"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for c in ip ping python3; do
	command -v "$c" >/dev/null || { echo "ERROR: $c is missing (iproute2, iputils-ping, python3)"; exit 99; }
done
for f in "$VMM" "$CTL" "$GUEST"; do [ -e "$f" ] || { echo "not built: $f"; exit 99; }; done
case " $MODES " in *" natnet "* | *" internal "* | *" hostonly "* | *" bridged "*)
	[ -e "$NETD" ] || { echo "not built: $NETD"; exit 99; } ;;
esac

work=$(mktemp -d)
H=vtr-h-$$ O=vtr-o-$$
VH=vtrh$$ VO=vtro$$ BR=vtrbr$$
pids=
cleanup()
{
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	ip netns del "$H" 2>/dev/null
	ip netns del "$O" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
inh() { ip netns exec "$H" "$@"; }
ino() { ip netns exec "$O" "$@"; }

# ---- The namespaces ----
ip netns add "$H" && ip netns add "$O" || { echo "ERROR: cannot create network namespaces"; exit 1; }
ip link add "$VH" netns "$H" type veth peer name "$VO" netns "$O" || { echo "ERROR: no veth"; exit 1; }
inh ip link set lo up
ino ip link set lo up
inh sysctl -qw net.ipv4.ip_forward=0
inh ip addr add 192.0.2.1/24 dev "$VH"
inh ip link set "$VH" up
ino ip addr add 192.0.2.2/24 dev "$VO"
ino ip link set "$VO" up
# The outside knows the way to the guests' private networks (as a router
# upstream would): only the host's refusal to route keeps it out.
ino ip route add 10.0.0.0/8 via 192.0.2.1

# UDP echo services (port 7, the payload back) in both namespaces.
cat >"$work/echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7))
open(sys.argv[1], "w").close()
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d, a)
PY
# udp_probe ADDR PORT: "ok" when something answers a datagram (3 tries of 2 s).
cat >"$work/udpprobe.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(3):
    try:
        s.sendto(b"probe", (sys.argv[1], int(sys.argv[2])))
        s.recv(2048)
        print("ok")
        break
    except socket.timeout:
        pass
    except OSError:
        print("fail")
        break
else:
    print("fail")
PY
# guest_probe SERIAL CONTROL VMMCTL COMMAND: type COMMAND on the guest's
# COM1 and print the last word of the PROBE line it answers with.
cat >"$work/guestprobe.py" <<'PY'
import json, socket, subprocess, sys, time
ser, ctl, vmmctl, cmd = sys.argv[1:5]
def probes():
    out = subprocess.run([vmmctl, ctl, '{"cmd":"serial-dump"}'], capture_output=True, text=True).stdout
    text = json.loads(out)["data"]["output"]
    # Only whole lines: the guest may be half-way through printing one.
    lines = text.replace("\r", "").split("\n")[:-1]
    return [l for l in lines if l.startswith("PROBE ")]
before = len(probes())
s = socket.socket(socket.AF_UNIX)
s.connect(ser)
s.sendall((cmd + "\n").encode())
s.close()
for _ in range(240):
    p = probes()
    if len(p) > before:
        print(p[before].split()[-1])
        sys.exit(0)
    time.sleep(0.25)
print("timeout")
PY
for ns in "$H" "$O"; do
	ip netns exec "$ns" python3 "$work/echo.py" "$work/echo-$ns" >/dev/null 2>&1 &
	pids="$pids $!"
done
i=0
while { [ ! -e "$work/echo-$H" ] || [ ! -e "$work/echo-$O" ]; } && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

# ---- Helpers ----
# start_vm ID NIC CMDLINE: boot a netnode in the host namespace; sets ip_ID.
start_vm()
{
	inh "$VMM" --kernel "$GUEST" --name "$1" --memory 32 --nic "$2" --cmdline "$3" \
		--serial "$work/$1.ser" --control "$work/$1.ctl" >"$work/$1.out" 2>"$work/$1.err" </dev/null &
	pids="$pids $!"
	eval "pid_$1=$!"
	if ! "$CTL" --wait 30 "$work/$1.ctl" '{"cmd":"status"}' >/dev/null 2>&1; then
		echo "ERROR: VM $1 ($2): control socket never answered: $(cat "$work/$1.err")"
		return 1
	fi
	i=0
	while [ "$i" -lt 240 ]; do
		line=$("$CTL" "$work/$1.ctl" '{"cmd":"serial-dump"}' 2>/dev/null | grep -o 'netnode: ready ip [0-9.]*/' | tr -d /)
		[ -n "$line" ] && break
		sleep 0.25
		i=$((i + 1))
	done
	if [ -z "$line" ]; then
		echo "ERROR: VM $1 ($2, $3) never got ready:"
		"$CTL" "$work/$1.ctl" '{"cmd":"serial-dump"}'; cat "$work/$1.err"
		return 1
	fi
	eval "ip_$1=${line##* }"
	echo "# VM $1: ${line#netnode: ready }"
}

stop_vm()
{
	"$CTL" "$work/$1.ctl" '{"cmd":"quit"}' >/dev/null 2>&1
	eval "wait \$pid_$1" 2>/dev/null
}

# start_netd NAME MODE ARGS...: a switch in the host namespace.
start_netd()
{
	n=$1 m=$2
	shift 2
	inh "$NETD" --name "$n" --mode "$m" --socket "$work/$n.sock" --control "$work/$n.nctl" "$@" \
		>"$work/$n.nout" 2>"$work/$n.nerr" </dev/null &
	pids="$pids $!"
	eval "npid_$n=$!"
	if ! "$CTL" --wait 30 "$work/$n.nctl" '{"cmd":"status"}' >/dev/null 2>&1; then
		echo "ERROR: virtty-netd $n ($m) never answered: $(cat "$work/$n.nerr")"
		return 1
	fi
}

stop_netd()
{
	"$CTL" "$work/$1.nctl" '{"cmd":"quit"}' >/dev/null 2>&1
	eval "wait \$npid_$1" 2>/dev/null
}

# Probes; each prints ok or fail.
gping() { python3 "$work/guestprobe.py" "$work/$1.ser" "$work/$1.ctl" "$CTL" "p $2"; }
gudp() { python3 "$work/guestprobe.py" "$work/$1.ser" "$work/$1.ctl" "$CTL" "u $2 $3"; }
nsping() { ip netns exec "$1" ping -c 1 -W 2 "$2" >/dev/null 2>&1 && echo ok || echo fail; }
nsudp() { ip netns exec "$1" python3 "$work/udpprobe.py" "$2" "$3"; }

# A cell collects "what=result" pairs; cell_end turns them into yes (all
# ok), no (all fail) or mixed, and compares with the table.
cell_begin() { cell_log= cell_ok=0 cell_fail=0; }
# check WHAT RESULT
check()
{
	cell_log="$cell_log $1=$2"
	if [ "$2" = ok ]; then cell_ok=$((cell_ok + 1)); else cell_fail=$((cell_fail + 1)); fi
}
# cell_end MODE COLUMN EXPECTED
cell_end()
{
	if [ "$cell_fail" -eq 0 ] && [ "$cell_ok" -gt 0 ]; then got=yes
	elif [ "$cell_ok" -eq 0 ]; then got=no
	else got=mixed; fi
	eval "obs_$1_$2=$got"
	if [ "$got" = "$3" ]; then pass "$1: $2 is $got:$cell_log"; else fail "$1: $2 is $got, want $3:$cell_log"; fi
}
# cell_fwd MODE: outside -> VM for the NAT modes: forwards answer (fwd_*),
# direct attempts do not (direct_*).
cell_end_fwd()
{
	bad=0
	for kv in $cell_log; do
		case $kv in fwd_*=ok | direct_*=fail) ;; *) bad=1 ;; esac
	done
	got=fwd
	[ "$bad" -eq 0 ] || got=mixed
	[ "$cell_fail" -eq 0 ] && got=yes
	eval "obs_$1_outside_vm=$got"
	if [ "$got" = fwd ]; then pass "$1: outside->VM only through port forwards:$cell_log"
	else fail "$1: outside->VM is $got, want port forwards only:$cell_log"; fi
}
# unavailable MODE WHY: the mode could not be set up: its four cells fail.
unavailable()
{
	for c in vm_host vm_vm vm_outside outside_vm; do
		eval "obs_$1_$c=error"
		fail "$1: $c: $2"
	done
}

# The cells every mode shares. VM<->host: guest -> HOSTADDRS (ping + UDP
# echo) and host -> guests; VM1<->VM2 both ways; VM -> outside.
# UDP_ONLY: host addresses probed with UDP alone (a NAT gateway answers
# ping as a router would, docs/networks.md).
# common_cells MODE "HOSTADDRS" WANT_VM_HOST WANT_VM_VM WANT_VM_OUT ["UDP_ONLY"]
common_cells()
{
	cell_begin
	for a in $2; do
		check "g1->$a:icmp" "$(gping v1 "$a")"
		check "g1->$a:udp" "$(gudp v1 "$a" 7)"
	done
	for a in ${6:-}; do
		check "g1->$a:udp" "$(gudp v1 "$a" 7)"
	done
	check "host->g1:icmp" "$(nsping "$H" "$ip_v1")"
	check "host->g1:udp" "$(nsudp "$H" "$ip_v1" 7)"
	check "host->g2:udp" "$(nsudp "$H" "$ip_v2" 7)"
	cell_end "$1" vm_host "$3"

	cell_begin
	check "g1->g2:icmp" "$(gping v1 "$ip_v2")"
	check "g1->g2:udp" "$(gudp v1 "$ip_v2" 7)"
	check "g2->g1:icmp" "$(gping v2 "$ip_v1")"
	check "g2->g1:udp" "$(gudp v2 "$ip_v1" 7)"
	cell_end "$1" vm_vm "$4"

	cell_begin
	check "g1->outside:udp" "$(gudp v1 192.0.2.2 7)"
	check "g2->outside:udp" "$(gudp v2 192.0.2.2 7)"
	cell_end "$1" vm_outside "$5"
}

# ---- The modes ----
mode_nat()
{
	# Two VMs, each with its own libslirp on 10.0.2.0/24 (.15 and .16, so
	# one can name the other), each with a forward on the host's outside
	# address.
	start_vm v1 "user,net=10.0.2.0/24,hostfwd=udp:192.0.2.1:5001-:7" ip=dhcp &&
		start_vm v2 "user,net=10.0.2.0/24,dhcpstart=10.0.2.16,hostfwd=udp:192.0.2.1:5002-:7" ip=dhcp ||
		{ unavailable nat "the VMs did not start"; return; }
	# 10.0.2.2 is the gateway, which libslirp maps to the host's loopback.
	common_cells nat 192.0.2.1 no no yes 10.0.2.2
	cell_begin
	check fwd_outside-192.0.2.1:5001 "$(nsudp "$O" 192.0.2.1 5001)"
	check fwd_outside-192.0.2.1:5002 "$(nsudp "$O" 192.0.2.1 5002)"
	check direct_outside-g1:udp "$(nsudp "$O" "$ip_v1" 7)"
	cell_end_fwd nat
	stop_vm v1
	stop_vm v2
}

mode_natnet()
{
	start_netd nn natnet --net 10.0.5.0/24 \
		--hostfwd udp:192.0.2.1:5011-10.0.5.15:7 --hostfwd udp:192.0.2.1:5012-10.0.5.16:7 &&
		start_vm v1 "socket,path=$work/nn.sock" ip=dhcp &&
		start_vm v2 "socket,path=$work/nn.sock" ip=dhcp ||
		{ unavailable natnet "the network or its VMs did not start"; stop_netd nn; return; }
	common_cells natnet 192.0.2.1 no yes yes 10.0.5.2
	cell_begin
	check fwd_outside-192.0.2.1:5011 "$(nsudp "$O" 192.0.2.1 5011)"
	check fwd_outside-192.0.2.1:5012 "$(nsudp "$O" 192.0.2.1 5012)"
	check direct_outside-g1:udp "$(nsudp "$O" "$ip_v1" 7)"
	cell_end_fwd natnet
	stop_vm v1
	stop_vm v2
	stop_netd nn
}

mode_internal()
{
	# Static addresses; the gateway .1 is where a host-only host would be.
	start_netd in internal &&
		start_vm v1 "socket,path=$work/in.sock" "ip=10.0.6.10/24 gw=10.0.6.1" &&
		start_vm v2 "socket,path=$work/in.sock" "ip=10.0.6.11/24 gw=10.0.6.1" ||
		{ unavailable internal "the network or its VMs did not start"; stop_netd in; return; }
	common_cells internal "10.0.6.1 192.0.2.1" no yes no
	cell_begin
	check outside-g1:icmp "$(nsping "$O" "$ip_v1")"
	check outside-g1:udp "$(nsudp "$O" "$ip_v1" 7)"
	cell_end internal outside_vm no
	stop_vm v1
	stop_vm v2
	stop_netd in
}

mode_hostonly()
{
	# dnsmasq (started by virtty-netd) leases the addresses; the host is .1.
	start_netd ho hostonly --net 10.0.7.0/24 --dhcp-start 10.0.7.100 --dhcp-end 10.0.7.150 \
		--ifname "vtrho$$" &&
		start_vm v1 "socket,path=$work/ho.sock" ip=dhcp &&
		start_vm v2 "socket,path=$work/ho.sock" ip=dhcp ||
		{ unavailable hostonly "the network or its VMs did not start"; stop_netd ho; return; }
	common_cells hostonly "10.0.7.1" yes yes no
	cell_begin
	check outside-g1:icmp "$(nsping "$O" "$ip_v1")"
	check outside-g1:udp "$(nsudp "$O" "$ip_v1" 7)"
	cell_end hostonly outside_vm no
	stop_vm v1
	stop_vm v2
	stop_netd ho
}

mode_bridged()
{
	# The host's veth becomes a bridge port; the bridge takes its address.
	inh ip addr del 192.0.2.1/24 dev "$VH"
	inh ip link add "$BR" type bridge
	inh ip link set "$VH" master "$BR"
	inh ip addr add 192.0.2.1/24 dev "$BR"
	inh ip link set "$BR" up
	start_netd br bridged --bridge "$BR" &&
		start_vm v1 "socket,path=$work/br.sock" "ip=192.0.2.10/24" &&
		start_vm v2 "socket,path=$work/br.sock" "ip=192.0.2.11/24" ||
		{ unavailable bridged "the network or its VMs did not start"; stop_netd br; return; }
	common_cells bridged "192.0.2.1" yes yes yes
	cell_begin
	check outside-g1:icmp "$(nsping "$O" "$ip_v1")"
	check outside-g1:udp "$(nsudp "$O" "$ip_v1" 7)"
	check outside-g2:udp "$(nsudp "$O" "$ip_v2" 7)"
	cell_end bridged outside_vm yes
	stop_vm v1
	stop_vm v2
	stop_netd br
}

for m in $MODES; do
	case $m in
	nat | natnet | internal | hostonly | bridged) "mode_$m" ;;
	*) echo "ERROR: unknown mode '$m' in VIRTTY_REACH_MODES"; exit 99 ;;
	esac
done

# ---- The observed matrix ----
echo
printf '%-10s %-12s %-12s %-14s %-14s\n' mode "VM<->host" "VM1<->VM2" "VM->outside" "outside->VM"
for m in $MODES; do
	eval "printf '%-10s %-12s %-12s %-14s %-14s\n' $m \${obs_${m}_vm_host:-?} \${obs_${m}_vm_vm:-?} \${obs_${m}_vm_outside:-?} \${obs_${m}_outside_vm:-?}"
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
