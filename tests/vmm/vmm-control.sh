#!/bin/sh
# The control socket and the serial socket of a running virtty-vmm, against
# the echo guest: status, stats, pause/resume, hostile requests, serial
# replay to late clients, input, reset (restart) and quit (exit 5).
set -u
VMM=${VIRTTY_VMM:-../../backend/vmm/virtty-vmm}
B=${top_builddir:-../..}
CTL=$B/tests/tools/vmmctl
GUEST=$B/tests/guests/echo.elf
work=$(mktemp -d)
pid=
cleanup()
{
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0

pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# check NAME PATTERN REQUEST: the reply to REQUEST matches PATTERN (grep -E).
check()
{
	reply=$("$CTL" "$work/ctl" "$3" 2>&1)
	if printf '%s\n' "$reply" | grep -Eq -- "$2"; then pass "$1"; else fail "$1: got: $reply"; fi
}

# serial_client SEND SECONDS: connect to the serial socket, send SEND, print
# what arrives within SECONDS.
serial_client()
{
	python3 - "$work/ser" "$1" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode())
s.settimeout(0.2)
end, out = time.time() + float(sys.argv[3]), b""
while time.time() < end:
    try:
        d = s.recv(65536)
        if not d:
            break
        out += d
    except socket.timeout:
        pass
sys.stdout.write(out.decode(errors="replace"))
PY
}

[ -e /dev/kvm ] || { echo "SKIP: no /dev/kvm"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
for f in "$VMM" "$CTL" "$GUEST"; do [ -e "$f" ] || { echo "not built: $f"; exit 99; }; done

"$VMM" --kernel "$GUEST" --name ctltest --cpus 2 --memory 32 --serial "$work/ser" \
	--control "$work/ctl" >"$work/out" 2>"$work/err" </dev/null &
pid=$!
if ! "$CTL" --wait 30 "$work/ctl" '{"cmd":"status"}' >/dev/null 2>&1; then
	echo "FAIL: control socket never answered"; cat "$work/err"; exit 1
fi

mode=$(stat -c %a "$work/ctl")
[ "$mode" = 600 ] && pass "control socket mode 0600" || fail "control socket mode $mode"
mode=$(stat -c %a "$work/ser")
[ "$mode" = 600 ] && pass "serial socket mode 0600" || fail "serial socket mode $mode"
check status-running '"state":"running".*"name":"ctltest".*"vcpus":2.*"memory_mib":32' '{"cmd":"status","id":1}'
check status-id-echo '"id":42' '{"cmd":"status","id":42}'
check stats-vcpus '"vcpus":\[\{"id":0,.*\{"id":1,' '{"cmd":"stats"}'
check stats-rss '"vmm_rss_bytes":[1-9][0-9]*' '{"cmd":"stats"}'

# The guest printed its banner before any client attached: replay shows it.
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$CTL" "$work/ctl" '{"cmd":"serial-dump"}' | grep -q 'echo: ready' && break
	sleep 0.5
done
check serial-dump 'echo: ready' '{"cmd":"serial-dump"}'
out=$(serial_client "" 1)
case "$out" in *"echo: ready"*) pass "late serial client gets the replay" ;;
*) fail "late serial client got: $out" ;; esac
out=$(serial_client "abc" 3)
case "$out" in *"echo: A"*"echo: B"*"echo: C"*) pass "serial input reaches the guest" ;;
*) fail "serial input: got: $out" ;; esac

check pause '"ok":true' '{"cmd":"pause"}'
check status-paused '"state":"paused"' '{"cmd":"status"}'
check pause-again '"ok":false,"error":"the VM is already paused"' '{"cmd":"pause"}'
check resume '"ok":true' '{"cmd":"resume"}'
check status-resumed '"state":"running"' '{"cmd":"status"}'
check resume-again '"ok":false' '{"cmd":"resume"}'

# Hostile requests get an error and change nothing.
check not-json '"ok":false,"error":"invalid JSON' 'garbage'
check not-object '"ok":false' '[1,2,3]'
check no-cmd '"ok":false,"error":"request needs' '{"id":3}'
check unknown-cmd "\"ok\":false,\"error\":\"unknown command 'frobnicate'\"" '{"cmd":"frobnicate"}'
big=$(head -c 100000 /dev/zero | tr '\0' 'a')
check oversized '"ok":false' "{\"cmd\":\"$big\"}"
python3 -c 'import os,socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(os.urandom(20000)+b"\n"); s.close()' "$work/ctl"
check still-healthy '"state":"running"' '{"cmd":"status"}'

# reset restarts the machine in place: same pid, the guest boots again.
check reset '"ok":true' '{"cmd":"reset"}'
sleep 1
if "$CTL" --wait 30 "$work/ctl" '{"cmd":"status"}' | grep -q '"state":"running"' &&
	kill -0 "$pid" 2>/dev/null; then
	pass "VM runs again after reset"
else
	fail "VM did not come back after reset"
fi

check quit '"ok":true' '{"cmd":"quit"}'
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 5 ] && pass "quit: virtty-vmm exit status 5" || fail "quit: exit status $rc (want 5)"
[ ! -e "$work/ctl" ] && pass "control socket removed at exit" || fail "control socket left behind"

echo "vmm control: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
