#!/bin/sh
# The VNC server of virtty-vmm, end to end: boots the fb test guest with
# --framebuffer/--vnc/--vnc-tcp and checks with vnc-check (libvncclient)
# what a VNC user sees and does: the guest's exact pixels over the UNIX
# socket and over TCP, update rectangles of a change, keys and pointer as
# PS/2 bytes inside the guest, two clients at once, hostile clients, the
# sockets' permissions and addresses, and a clean power-off.
# Exit: 0 all passed, 1 a check failed, 77 skipped (no /dev/kvm), 99 not built.
set -u
VMM=${VIRTTY_VMM:-../../backend/vmm/virtty-vmm}
B=${top_builddir:-../..}
CTL=$B/tests/tools/vmmctl
CHECK=$B/tests/vnc/vnc-check
GUEST=$B/tests/guests/fb.bin
# Every client is bounded so a hung server fails the test instead of make check.
T=${VIRTTY_VNC_TIMEOUT:-120}
W=640
H=480
work=$(mktemp -d "${TMPDIR:-/tmp}/virtty-vnc.XXXXXX") || exit 99
pid=
bg=
cleanup()
{
	[ -n "$bg" ] && kill "$bg" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && sleep 1 && kill -9 "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0 failed=0

pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# check NAME COND-STATUS DETAIL: PASS or FAIL from the status of the test
# just run (use: `[ ... ]; check name $? "detail"`).
check()
{
	if [ "$2" = 0 ]; then pass "$1"; else fail "$1: $3"; fi
}

# Counts the PASS/FAIL lines a vnc-check run printed (in file $1, exit
# status $2) into ours; a failing run without a FAIL line still fails.
count_checks()
{
	cat "$1"
	p=$(grep -c '^PASS: ' "$1")
	f=$(grep -c '^FAIL: ' "$1")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$2" != 0 ] && [ "$f" = 0 ]; then
		fail "vnc-check exited with status $2 ($(tail -n 3 "$1" | tr '\n' '|'))"
	fi
}

# vnc ARGS...: runs vnc-check ARGS..., bounded, and counts its checks.
vnc()
{
	timeout -k 5 "$T" "$CHECK" "$@" >"$work/check.out" 2>&1
	count_checks "$work/check.out" $?
}

# The guest's serial output so far (from the control socket's replay ring).
serial_dump()
{
	"$CTL" "$work/ctl" '{"cmd":"serial-dump"}' 2>/dev/null
}

# wait_serial TEXT SECONDS: until the guest has printed TEXT.
wait_serial()
{
	_i=0
	while [ "$_i" -lt $(($2 * 4)) ]; do
		serial_dump | grep -qF -- "$1" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.25
		_i=$((_i + 1))
	done
	return 1
}

vm_running()
{
	"$CTL" "$work/ctl" '{"cmd":"status"}' 2>/dev/null | grep -q '"state":"running"'
}

# A free TCP port on the loopback for --vnc-tcp.
free_port()
{
	_p=$((15900 + $$ % 500))
	while [ "$_p" -lt 16500 ]; do
		if [ -z "$(ss -Hltn "sport = :$_p" 2>/dev/null)" ]; then
			echo "$_p"
			return 0
		fi
		_p=$((_p + 1))
	done
	return 1
}

[ -e /dev/kvm ] || { echo "SKIP: no /dev/kvm"; exit 77; }
for f in "$VMM" "$CTL" "$CHECK" "$GUEST"; do [ -e "$f" ] || { echo "not built: $f"; exit 99; }; done
# The TCP listener is checked where ss (iproute2) can find a free port.
port=
if command -v ss >/dev/null; then
	port=$(free_port) || port=
fi
[ -n "$port" ] || echo "SKIP: --vnc-tcp checks (no ss, or no free port)"

"$VMM" --kernel "$GUEST" --name vnctest --memory 64 --framebuffer ${W}x$H \
	--vnc "$work/vnc.sock" ${port:+--vnc-tcp "$port"} --serial "$work/ser" \
	--control "$work/ctl" >"$work/vmm.out" 2>"$work/vmm.err" </dev/null &
pid=$!
if ! "$CTL" --wait 30 "$work/ctl" '{"cmd":"status"}' >/dev/null 2>&1; then
	echo "FAIL: control socket never answered"
	cat "$work/vmm.err"
	exit 1
fi
if ! wait_serial 'fb: ready' 60; then
	fail "the fb guest did not come up"
	serial_dump
	cat "$work/vmm.err"
	exit 1
fi
dump=$(serial_dump)
echo "$dump" | grep -q "fb: screen_info type=0x70 ${W}x$H depth=32 stride=$((W * 4)) base=0xd0000000 .*rgbx=8/16,8/8,8/0"
check "screen_info: EFI framebuffer ${W}x$H x8r8g8b8 at 0xd0000000" $? \
	"guest saw: $(echo "$dump" | grep -o 'fb: screen_info[^"\\]*')"
echo "$dump" | grep -q 'i8042: ctr=0x.. keyboard=ack mouse=ack'
check "i8042: keyboard and mouse enabled by the guest" $? \
	"guest saw: $(echo "$dump" | grep -o 'i8042: [^"\\]*')"

mode=$(stat -c %a "$work/vnc.sock" 2>/dev/null)
[ "$mode" = 600 ]
check "VNC socket mode 0600" $? "mode '$mode'"
if [ -n "$port" ]; then
	listen=$(ss -Hltn "sport = :$port" 2>/dev/null)
	echo "$listen" | grep -q "127\.0\.0\.1:$port" &&
		! echo "$listen" | grep -Eq "(\*|0\.0\.0\.0|\[::\]):$port"
	check "--vnc-tcp $port listens on 127.0.0.1 only" $? "ss shows: $(echo "$listen" | tr '\n' '|')"
fi

# What a viewer sees, over both transports.
vnc pattern "$work/vnc.sock" $W $H
[ -n "$port" ] && vnc pattern "tcp:127.0.0.1:$port" $W $H

# Two clients at once, and hostile clients beside them: the first client
# holds its connection while the others come and go.
timeout -k 5 "$T" "$CHECK" pattern "$work/vnc.sock" $W $H --hold 60 \
	--release "$work/release" >"$work/hold.out" 2>&1 &
bg=$!
i=0
while [ $i -lt 240 ] && ! grep -q 'pixels exact\|^FAIL' "$work/hold.out"; do
	sleep 0.25
	i=$((i + 1))
done
vnc garbage "$work/vnc.sock"
[ -n "$port" ] && vnc garbage "tcp:127.0.0.1:$port"
vnc pattern "$work/vnc.sock" $W $H
kill -0 "$bg" 2>/dev/null
check "two clients connected at once" $? "the first client was gone before the second one's frame"
touch "$work/release"
wait "$bg"
rc=$?
bg=
count_checks "$work/hold.out" $rc
vm_running
check "the VM still runs after hostile clients" $? "status: $("$CTL" "$work/ctl" '{"cmd":"status"}' 2>&1)"

# A change in the guest: exactly its rectangle is sent, then nothing.
vnc damage "$work/vnc.sock" "$work/ser"
# A client that connects after the change sees it.
vnc pattern "$work/vnc.sock" $W $H --box
timeout -k 5 "$T" "$CHECK" serial "$work/ser" r 'fb: painted 1'
check "the guest repaints the pattern" $? "no 'fb: painted 1' after 'r'"

# Input: keys and pointer become PS/2 bytes the guest reads.
vnc keys "$work/vnc.sock" "$work/ser"
vnc mouse "$work/vnc.sock" "$work/ser"

# Power-off: exit 0, sockets gone.
timeout -k 5 "$T" "$CHECK" serial "$work/ser" q 'fb: bye'
check "the guest takes 'q'" $? "no 'fb: bye'"
i=0
while [ $i -lt 120 ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.25
	i=$((i + 1))
done
if kill -0 "$pid" 2>/dev/null; then
	fail "the VM did not power off within 30 s"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
else
	wait "$pid"
	rc=$?
	pid=
	[ "$rc" = 0 ]
	check "guest power-off: virtty-vmm exit status 0" $? "status $rc; stderr: $(tail -n 5 "$work/vmm.err" | tr '\n' '|')"
	[ ! -e "$work/vnc.sock" ]
	check "VNC socket removed at exit" $? "$work/vnc.sock left behind"
	if [ -n "$port" ]; then
		[ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]
		check "TCP port $port closed at exit" $? "still listening"
	fi
fi
if [ "$failed" != 0 ]; then
	echo "--- virtty-vmm stderr ---"
	tail -n 20 "$work/vmm.err"
fi

# --vnc alone implies a 1024x768 framebuffer.
rm -f "$work/ctl" "$work/ser"
"$VMM" --kernel "$GUEST" --name vncdefault --memory 64 --vnc "$work/vnc2.sock" \
	--serial "$work/ser" --control "$work/ctl" >"$work/vmm2.out" 2>"$work/vmm2.err" </dev/null &
pid=$!
if wait_serial 'fb: ready' 60; then
	vnc pattern "$work/vnc2.sock" 1024 768
	timeout -k 5 "$T" "$CHECK" serial "$work/ser" q 'fb: bye'
	wait "$pid"
	rc=$?
	pid=
	[ "$rc" = 0 ]
	check "--vnc alone: guest power-off, exit status 0" $? "status $rc"
else
	fail "--vnc alone: the fb guest did not come up: $(tail -n 3 "$work/vmm2.err" | tr '\n' '|')"
fi

echo "vmm vnc: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
