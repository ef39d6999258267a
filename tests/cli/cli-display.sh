#!/bin/sh
# cli-display.sh: a VM's screen through the `virtty` command line: define
# gives every new VM a 1024x768 VNC display unless --display none, set adds,
# resizes and removes it, info shows it (text and JSON), bad values are
# refused with a message and change nothing, a vm.conf from before displays
# loads as "no display", and a started VM with a display serves RFB on
# RUNDIR/vnc.sock (mode 0600) and, with --vnc-port, on 127.0.0.1:PORT.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cli-common.sh"
cli_setup
E=$work/echo.elf # stays up, prints "echo: ready"
VMM=${VIRTTY_VMM:-$cli_builddir/backend/vmm/virtty-vmm}

# info_field FIELD NAME: FIELD of `virtty --json info NAME` (nested too).
info_field()
{
	run --json info "$2"
	printf '%s' "$out" | cli_json_field "$1" 2>/dev/null
}

# rfb_banner PATH|PORT: the first 12 bytes a VNC server sends ("RFB
# 003.008\n"), from a UNIX socket path or a 127.0.0.1 TCP port.
rfb_banner()
{
	python3 - "$1" <<'EOF'
import socket, sys
target = sys.argv[1]
if target.isdigit():
    s = socket.create_connection(("127.0.0.1", int(target)), timeout=10)
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(target)
data = b""
while len(data) < 12:
    chunk = s.recv(12 - len(data))
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("ascii", "replace").strip())
EOF
}

# --- define: a screen by default, none on request --------------------------------
expect_rc "define web (default display)" 0 define web --kernel "$E" --memory 16
run info web
grep_in "$out" "^Display: +1024x768 VNC \(socket $VIRTTY_RUNTIME_DIR/web/vnc\.sock\)$"
check $? "info: 1024x768 VNC with its socket" "$(cli_last)"
grep -q '^\[display\]$' "$VIRTTY_HOME/vms/web/vm.conf" &&
	grep -q '^vnc = yes$' "$VIRTTY_HOME/vms/web/vm.conf" &&
	grep -q '^resolution = 1024x768$' "$VIRTTY_HOME/vms/web/vm.conf"
check $? "vm.conf has [display] vnc = yes, 1024x768" "$(cat "$VIRTTY_HOME/vms/web/vm.conf")"

expect_rc "define serial (--display none)" 0 define serial --kernel "$E" --memory 16 \
	--display none
run info serial
grep_in "$out" '^Display: +none$'
check $? "info: Display none" "$(cli_last)"
run --json info serial
printf '%s' "$out" | python3 -c 'import json, sys; sys.exit(json.load(sys.stdin)["display"] is not None)'
check $? "info --json: display null" "$(cli_last)"

expect_rc "define big (--resolution, --vnc-port)" 0 define big --kernel "$E" --memory 16 \
	--resolution 1920x1080 --vnc-port 5999
[ "$(info_field resolution big)" = 1920x1080 ] && [ "$(info_field vnc_port big)" = 5999 ]
check $? "info --json: resolution 1920x1080, vnc_port 5999" "$(cli_last)"
run info big
grep_in "$out" '^Display: +1920x1080 VNC \(socket .*, port 127\.0\.0\.1:5999\)$'
check $? "info: the TCP port too" "$(cli_last)"

# --- bad values: usage errors (exit 2) that name the problem; nothing made ------
refuse_define()
{
	_want=$1
	shift
	run define bad --kernel "$E" --memory 16 "$@"
	if [ "$rc" = 2 ] && grep_in "$err" "$_want" && [ ! -e "$VIRTTY_HOME/vms/bad" ]; then
		pass "define $* refused: $_want"
	else
		fail "define $* refused with '$_want', nothing created: $(cli_last)"
	fi
}
refuse_define "invalid --display 'vga': use 'vnc' or 'none'" --display vga
refuse_define "resolution '10x10': width and height must be from 64 to 4096" --resolution 10x10
refuse_define "resolution '5000x600': width and height must be from 64 to 4096" \
	--resolution 5000x600
refuse_define "resolution '1024': use WIDTHxHEIGHT" --resolution 1024
refuse_define "invalid --vnc-port '80': use a port from 1024 to 65535" --vnc-port 80
refuse_define "invalid --vnc-port '70000'" --vnc-port 70000
refuse_define "--resolution needs a display: drop '--display none'" --display none \
	--resolution 800x600

# --- set: add, resize, port, remove, add back ------------------------------------
before=$(cat "$VIRTTY_HOME/vms/serial/vm.conf")
expect_rc "set --resolution on a VM without a display: exit 1" 1 set serial \
	--resolution 800x600
grep_in "$err" "VM 'serial' has no display; add one with 'virtty set serial --display vnc'"
check $? "...saying how to add one" "$(cli_last)"
[ "$(cat "$VIRTTY_HOME/vms/serial/vm.conf")" = "$before" ]
check $? "...and vm.conf is unchanged" "$(cat "$VIRTTY_HOME/vms/serial/vm.conf")"
expect_rc "set --display none --vnc-port: exit 2" 2 set serial --display none --vnc-port 6000
expect_rc "set --resolution 12x: exit 2" 2 set serial --resolution 12x

expect_rc "set --display vnc" 0 set serial --display vnc
grep_in "$out" "VM 'serial' set to a VNC display"
check $? "set says what it did" "$(cli_last)"
run info serial
grep_in "$out" '^Display: +1024x768 VNC'
check $? "added: 1024x768 by default" "$(cli_last)"
expect_rc "set --resolution 800x600 --vnc-port 6001" 0 set serial --resolution 800x600 \
	--vnc-port 6001
[ "$(info_field resolution serial)" = 800x600 ] && [ "$(info_field vnc_port serial)" = 6001 ]
check $? "resized to 800x600 with port 6001" "$(cli_last)"
expect_rc "set --vnc-port 0" 0 set serial --vnc-port 0
run info serial
grep_in "$out" '^Display: +800x600 VNC \(socket [^,]*\)$'
check $? "port 0: UNIX socket only" "$(cli_last)"
expect_rc "set --display none" 0 set serial --display none
run info serial
grep_in "$out" '^Display: +none$'
check $? "removed: Display none" "$(cli_last)"
expect_rc "set --display vnc again" 0 set serial --display vnc
[ "$(info_field resolution serial)" = 800x600 ]
check $? "added back at the size it had" "$(cli_last)"

# --- a vm.conf from before displays: no display, as before ------------------------
mkdir -p "$VIRTTY_HOME/vms/old/disks"
printf '[vm]\nname = old\nkernel = %s\nvcpus = 1\nmemory = 16\n' "$E" \
	>"$VIRTTY_HOME/vms/old/vm.conf"
run info old
grep_in "$out" '^Display: +none$'
check $? "an old vm.conf has no display" "$(cli_last)"
# A hand-edited value out of bounds: the file and line are named.
cp "$VIRTTY_HOME/vms/old/vm.conf" "$work/old.conf"
printf '[display]\nvnc = yes\nresolution = 99999x10\n' >>"$VIRTTY_HOME/vms/old/vm.conf"
expect_rc "info on a bad [display]: exit 1" 1 info old
grep_in "$err" "vms/old/vm.conf: line 8: resolution '99999x10': width and height must be"
check $? "...naming the file, the line and the problem" "$(cli_last)"
cp "$work/old.conf" "$VIRTTY_HOME/vms/old/vm.conf"

# vnc_in_pty NAME: `virtty vnc NAME` on a terminal of its own (it refuses
# to run without one); what it printed in $out.
vnc_in_pty()
{
	out=$(timeout -k 5 "$CLI_TIMEOUT" script -qec "'$VIRTTY' vnc $1" /dev/null </dev/null 2>&1 |
		tr -d '\r')
}

# --- the driver's refusals: not running, no display, added while running ------
vnc_in_pty web
grep_in "$out" "VM 'web' is not running; 'virtty start web' starts it"
check $? "vnc on a shut-off VM: not running" "$out"
expect_rc "start old (no display)" 0 start old
pid=$(info_field pid old)
! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- '--vnc'
check $? "a VM without a display: no --vnc for its VMM" "$(tr '\0' ' ' <"/proc/$pid/cmdline")"
[ ! -e "$VIRTTY_RUNTIME_DIR/old/vnc.sock" ]
check $? "...and no vnc.sock" "$(ls -l "$VIRTTY_RUNTIME_DIR/old")"
vnc_in_pty old
grep_in "$out" "VM 'old' has no display; add one with 'virtty set old --display vnc'"
check $? "vnc on a running VM without a display says how to add one" "$out"
expect_rc "set old --display vnc while it runs" 0 set old --display vnc
vnc_in_pty old
grep_in "$out" "VM 'old' was started without a display; it gets one at its next start"
check $? "...then: it gets one at its next start" "$out"
expect_rc "destroy old" 0 destroy old

if ! "$VMM" --help 2>&1 | grep -q -- '--vnc'; then
	echo "SKIP: $VMM has no --vnc yet: the running-display checks are skipped"
	cli_summary
	exit $?
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_rc "set web --vnc-port $port" 0 set web --vnc-port "$port"
expect_rc "start web (with a display)" 0 start web
sock=$VIRTTY_RUNTIME_DIR/web/vnc.sock
[ -S "$sock" ] && [ "$(stat -c %a "$sock")" = 600 ]
check $? "RUNDIR/vnc.sock is a socket, mode 0600" "$(ls -l "$VIRTTY_RUNTIME_DIR/web")"
pid=$(info_field pid web)
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--framebuffer 1024x768 --vnc $sock --vnc-tcp $port"
check $? "the VMM got --framebuffer, --vnc and --vnc-tcp" "$(tr '\0' ' ' <"/proc/$pid/cmdline")"
[ "$(rfb_banner "$sock")" = "RFB 003.008" ]
check $? "vnc.sock speaks RFB" "banner '$(rfb_banner "$sock" 2>&1)'"
[ "$(rfb_banner "$port")" = "RFB 003.008" ]
check $? "127.0.0.1:$port speaks RFB" "banner '$(rfb_banner "$port" 2>&1)'"
# A change while it runs waits for the next start; the screen stays.
expect_rc "set web --display none while running" 0 set web --display none
grep_in "$out" "applies at its next start"
check $? "...applies at the next start" "$(cli_last)"
[ "$(rfb_banner "$sock")" = "RFB 003.008" ]
check $? "...and the running VM keeps its screen" "banner '$(rfb_banner "$sock" 2>&1)'"
expect_rc "destroy web" 0 destroy web
expect_rc "start web (display removed)" 0 start web
[ ! -e "$sock" ]
check $? "restarted without a display: no vnc.sock" "$(ls -l "$VIRTTY_RUNTIME_DIR/web")"
expect_rc "destroy web" 0 destroy web

cli_summary
