#!/bin/sh
# tui-vnc.sh: `virtty vnc` in tmux. Against QEMU's VNC server (TCG,
# SeaBIOS's text screen; no KVM needed): the picture in half blocks with
# truecolor greys or 256 colours, the status bar, letterbox columns that
# keep the aspect ratio, a resize re-lays it out, Esc reaches QEMU,
# Ctrl-] leaves with status 0 and the terminal restored, a killed QEMU
# ends the viewer with a message and status 1. Against a local VM (the
# fb test guest on virtty-vmm): the eight bar colours, their geometry
# before and after a resize, keys and clicks reaching the guest as PS/2
# bytes, F12 d sending Ctrl-Alt-Del, --view-only sending nothing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tmux-lib.sh"
tui_setup_nokvm
FB_GUEST=$cli_builddir/tests/guests/fb.bin
# The user's terminal must not choose the colour mode for us.
unset COLORTERM
qpid=

vnc_cleanup()
{
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	tui_cleanup
}
trap vnc_cleanup EXIT

# vnc_rows: the picture's lines of the screen (all but the status bar).
vnc_picture()
{
	printf '%s\n' "${1-$(tui_screen_sgr)}" | sed '$d'
}

# vnc_extent SCREEN_SGR: "MINCOL MAXCOL MINROW MAXROW" of the cells that
# are not black (the picture's visible content), or "none". Attributes
# carry over from line to line in capture-pane -e.
vnc_extent()
{
	printf '%s\n' "$1" | python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")[:-2]  # the status bar, the final newline
cells = []
fg = bg = None
for y, line in enumerate(lines):
    x = 0
    for m in re.finditer(r"\x1b\[([0-9;:]*)m|(.)", line):
        if m.group(2) is None:
            p = [int(v) if v.isdigit() else 0 for v in re.split("[;:]", m.group(1))] or [0]
            i = 0
            while i < len(p):
                if p[i] == 0: fg = bg = None; i += 1
                elif p[i] in (38, 48) and i + 1 < len(p):
                    n = 5 if p[i + 1] == 2 else 3
                    c = tuple(p[i + 1:i + n])
                    black = c in ((2, 0, 0, 0), (5, 16), (5, 0))
                    if p[i] == 38: fg = None if black else c
                    else: bg = None if black else c
                    i += n
                elif p[i] == 39: fg = None; i += 1
                elif p[i] == 49: bg = None; i += 1
                else: i += 1
            continue
        ch = m.group(2)
        if (ch != " " and fg) or bg:
            cells.append((x, y))
        x += 1
if not cells:
    print("none")
else:
    xs = [c[0] for c in cells]; ys = [c[1] for c in cells]
    print(min(xs), max(xs), min(ys), max(ys))
'
}

# vnc_fit W H COLS ROWS: "LEFT WIDTH TOP HEIGHT" in cells of a W x H image
# fitted into COLS x ROWS cells of 1x2 square samples, centred.
vnc_fit()
{
	python3 -c '
import sys
w, h, cols, rows = map(int, sys.argv[1:])
s = min(cols / w, 2 * rows / h)
pw, ph = w * s, h * s / 2
print(round((cols - pw) / 2), round(pw), round((rows - ph) / 2), round(ph))
' "$@"
}

# vnc_wait_picture [SECS]: poll until the picture shows something.
vnc_wait_picture()
{
	_deadline=$(($(date +%s) + ${1:-$TUI_TIMEOUT}))
	while :; do
		tui_last=$(tui_screen_sgr)
		[ "$(vnc_extent "$tui_last")" != none ] && return 0
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		tui_dead && return 1
		sleep 0.2
	done
}

# vnc_wait_stable [SECS]: poll until the picture stays the same for a second.
vnc_wait_stable()
{
	_deadline=$(($(date +%s) + ${1:-$TUI_TIMEOUT}))
	_prev=
	while :; do
		_cur=$(tui_screen_sgr)
		[ -n "$_prev" ] && [ "$_cur" = "$_prev" ] && return 0
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		_prev=$_cur
		sleep 1
	done
}

# vnc_start [-s WxH] [VAR=VALUE...] -- ARGS: `virtty ARGS` in a pane,
# under a shell that then prints "EXIT=status" and stays: what the viewer
# leaves on the screen and the pane's modes can be read after it ends
# (a pane whose program exits at once may lose its last output).
vnc_start()
{
	_size=120x40
	if [ "$1" = -s ]; then
		_size=$2
		shift 2
	fi
	_cmd="env -u LC_ALL -u LC_CTYPE -u LANGUAGE"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_cmd="$_cmd '$1'"
		shift
	done
	[ "${1:-}" = -- ] && shift
	_cmd="$_cmd '$VIRTTY'"
	for _a in "$@"; do
		_cmd="$_cmd '$_a'"
	done
	tui_start_sh -s "$_size" "$_cmd
echo \"EXIT=\$?\"
exec sleep 600"
}

# vnc_wait_exit [SECS]: the viewer's exit status once it has ended (empty
# if it did not end in time).
vnc_wait_exit()
{
	tui_wait '^EXIT=[0-9]+' "${1:-30}" &&
		printf '%s\n' "$tui_last" | sed -n 's/^EXIT=\([0-9]*\).*/\1/p' | tail -n 1
}

# vnc_resolution: "W H" from the status bar.
vnc_resolution()
{
	tui_screen | tail -n 1 | grep -Eo '\| [0-9]+x[0-9]+ \|' | tr -dc '0-9x' | tr x ' '
}

# vnc_check_restored NAME: the pane's modes are back to normal.
vnc_check_restored()
{
	_f="$(tui_pane_flag alternate_on) $(tui_pane_flag mouse_any_flag) $(tui_pane_flag mouse_sgr_flag) $(tui_pane_flag cursor_flag)"
	[ "$_f" = "0 0 0 1" ]
	check $? "$1: terminal restored (main screen, no mouse mode, cursor shown)" \
		"alternate/mouse/sgr/cursor = $_f"
}

# ==== against QEMU ======================================================================
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "SKIP (part): qemu-system-x86_64 missing (Debian package qemu-system-x86)"
else
	qemu_start()
	{
		rm -f "$work/q.sock"
		# The boot menu prompt waits a minute for Esc: a key the test can see.
		qemu-system-x86_64 -machine pc,accel=tcg -display none -vnc "unix:$work/q.sock" \
			-m 64 -nodefaults -vga std -boot menu=on,splash-time=60000 \
			-daemonize -pidfile "$work/q.pid" >"$work/qemu.log" 2>&1 || return 1
		qpid=$(cat "$work/q.pid")
	}
	if ! qemu_start; then
		fail "QEMU starts: $(cat "$work/qemu.log")"
	else
		# --- truecolor, a key, letterbox, resize, leaving ------------------------
		vnc_start -s 200x30 COLORTERM=truecolor -- vnc "$work/q.sock"
		tui_expect "status bar: target, server name, size, mode, zoom, keys" \
			'q\.sock \| QEMU \| [0-9]+x[0-9]+ \| truecolor \| fit +Ctrl-\] leave +F12 menu'
		vnc_wait_picture && pass "SeaBIOS's screen is drawn" ||
			tui_fail "SeaBIOS's screen is drawn" "nothing but black"
		f="$(tui_pane_flag alternate_on) $(tui_pane_flag mouse_any_flag) $(tui_pane_flag mouse_sgr_flag) $(tui_pane_flag cursor_flag)"
		[ "$f" = "1 1 1 0" ]
		check $? "viewer runs on the alternate screen, SGR mouse on, cursor hidden" \
			"alternate/mouse/sgr/cursor = $f"

		# Esc reaches the guest: SeaBIOS leaves its prompt for the boot menu.
		vnc_wait_stable 20
		before=$(tui_screen_sgr)
		tui_keys Escape
		_deadline=$(($(date +%s) + 20))
		while [ "$(tui_screen_sgr)" = "$before" ] && [ "$(date +%s)" -lt "$_deadline" ]; do
			sleep 0.2
		done
		[ "$(tui_screen_sgr)" != "$before" ]
		check $? "Esc typed in the viewer reaches QEMU (the boot menu opens)" \
			"the picture did not change"

		tui_last=$(tui_screen_sgr)
		printf '%s\n' "$tui_last" | grep -q '▀' 
		check $? "the picture is drawn with upper half blocks" "no U+2580 on the screen"
		[ "$(tui_colours "$(vnc_picture "$tui_last")")" = rgb ]
		check $? "COLORTERM=truecolor: 24-bit colours only" "colours: $(tui_colours | tr '\n' ' ')"
		vnc_picture "$tui_last" | python3 -c '
import re, sys
cs = [tuple(map(int, m.groups())) for m in re.finditer(r"[34]8;2;(\d+);(\d+);(\d+)", sys.stdin.read())]
bad = sorted(set(c for c in cs if not c[0] == c[1] == c[2]))
print(" ".join("%02x%02x%02x" % c for c in bad[:8]))
sys.exit(0 if cs and not bad and max(r for r, g, b in cs) > 0 else 1)' >"$work/bad"
		check $? "SeaBIOS's grey text on black: shades of grey only, not all black" \
			"other colours: $(cat "$work/bad")"

		# Letterbox: the picture is centred and keeps its aspect ratio.
		set -- $(vnc_resolution)
		qw=${1:-0} qh=${2:-0}
		set -- $(vnc_fit "$qw" "$qh" 200 29) # left width top height
		set -- $(vnc_extent "$tui_last") "$@"
		# The text begins at the picture's left edge (SeaBIOS writes from column 0).
		[ "$1" != none ] && [ "$1" -ge $(($5 - 1)) ] && [ "$1" -le $(($5 + 2)) ] &&
			[ "$2" -le $(($5 + $6)) ] && [ "$5" -ge 10 ]
		check $? "${qw}x$qh in 200x29 cells: letterbox columns left and right" \
			"content spans columns $1-$2, expected from column $5, width $6"

		tui_resize 100x30
		tui_wait 'Ctrl-\] leave'
		sleep 0.5 # a frame is at most 1/30 s; let the redraw land before capturing
		vnc_wait_picture
		set -- $(vnc_fit "$qw" "$qh" 100 29)
		set -- $(vnc_extent "$tui_last") "$@"
		[ "$1" != none ] && [ "$1" -le 2 ] && [ "$5" -le 1 ] && [ "$2" -lt 100 ]
		check $? "after a resize to 100x30 the picture spans the width" \
			"content spans columns $1-$2, expected from column $5"
		tui_expect "status bar after the resize" 'truecolor \| fit +Ctrl-\] leave +F12 menu'

		# F12 opens the menu on the status line, Esc closes it.
		tui_keys F12
		tui_expect "F12 opens the menu on the status line" 'menu: d Ctrl-Alt-Del +z/x zoom'
		tui_keys z
		tui_keys Escape
		tui_expect "z zooms in; Esc closes the menu" 'zoom x2 +Ctrl-\] leave'

		tui_keys C-]
		st=$(vnc_wait_exit)
		[ "$st" = 0 ]
		check $? "Ctrl-] leaves with status 0" "exit '$st'"
		vnc_check_restored "Ctrl-]"
		tui_last=$(tui_screen)
		if tui_shows_garbage "$tui_last"; then
			tui_fail "nothing left behind on the shell's screen" "escape debris"
		else
			pass "nothing left behind on the shell's screen"
		fi

		# --- 256 colours ------------------------------------------------------------
		vnc_start -s 120x30 -- vnc "$work/q.sock"
		tui_expect "TERM=xterm-256color: the status bar says 256 colours" \
			'QEMU \| [0-9]+x[0-9]+ \| 256 colours \| fit'
		vnc_wait_picture
		[ "$(tui_colours "$(vnc_picture "$tui_last")")" = 256 ]
		check $? "TERM=xterm-256color without COLORTERM: palette colours only" \
			"colours: $(tui_colours "$(vnc_picture "$tui_last")" | tr '\n' ' ')"

		# --- the server goes away ---------------------------------------------------
		kill "$qpid"
		qpid=
		tui_expect "a killed QEMU: the viewer says the server went away" \
			'virtty: the VNC server closed the connection'
		st=$(vnc_wait_exit)
		[ "$st" = 1 ]
		check $? "a killed QEMU: status 1" "exit '$st'"
		vnc_check_restored "server gone"
	fi
fi

# --- a server whose screen changes size during the handshake ----------------------------
# (QEMU does this when the guest switches modes right then; libvncclient
# cannot follow and fails with "Rect too large"): the viewer reconnects.
python3 "$top_srcdir/tests/vnc/fake-resize-server.py" "$work/fake.sock" &
fakepid=$!
_n=50
while [ ! -S "$work/fake.sock" ] && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
vnc_start -s 100x30 COLORTERM=truecolor -- vnc "$work/fake.sock"
tui_expect "a resize during the handshake: the viewer reconnects and shows the new size" \
	'fake\.sock \| fake \| 200x80 \|'
_deadline=$(($(date +%s) + TUI_TIMEOUT))
while :; do
	tui_last=$(tui_screen_sgr)
	tui_cells 10 "$tui_last" | grep -Eq ' (00c000 0000c0|0000c0 00c000)$' && break
	[ "$(date +%s)" -ge "$_deadline" ] && break
	sleep 0.2
done
tui_cells 10 "$tui_last" | grep -Eq ' (00c000 0000c0|0000c0 00c000)$'
check $? "...and the picture it sent after reconnecting" \
	"no cell of green and blue stripes on row 10: $(tui_cells 10 "$tui_last" | sort -u -k2 | head -5 | tr '\n' ' ')"
tui_keys C-]
st=$(vnc_wait_exit)
[ "$st" = 0 ]
check $? "...and Ctrl-] still leaves with status 0" "exit '$st'"
kill "$fakepid" 2>/dev/null
wait "$fakepid" 2>/dev/null

# --- addresses that do not answer -------------------------------------------------------
vnc_start -s 100x10 -- vnc "$work/nope/vnc.sock"
tui_expect "a missing socket: a clear message" \
	"virtty: cannot connect to $work/nope/vnc.sock: No such file or directory"
st=$(vnc_wait_exit)
[ "$st" = 1 ]
check $? "a missing socket: status 1" "exit '$st'"
run vnc "$work/nope/vnc.sock"
[ "$rc" = 2 ] && printf '%s' "$err" | grep -q 'virtty vnc needs a terminal'
check $? "without a terminal: refused" "$(cli_last)"

# ==== against virtty-vmm: the fb test guest ===============================================
if [ ! -e /dev/kvm ]; then
	echo "SKIP (part): no /dev/kvm"
elif [ ! -e "$FB_GUEST" ]; then
	fail "not built: $FB_GUEST"
else
	cp "$FB_GUEST" "$work/fb.bin"
	expect_rc "define fbvm with a 320x200 screen" 0 define fbvm --kernel "$work/fb.bin" \
		--memory 32 --display vnc --resolution 320x200
	expect_rc "start fbvm" 0 start fbvm
	wait_state fbvm running 20 || fail "fbvm never running"

	# fb_dump_has REGEX [SECS]: poll the guest's serial output for REGEX.
	fb_dump_has()
	{
		_deadline=$(($(date +%s) + ${2:-$TUI_TIMEOUT}))
		while :; do
			run console --dump fbvm
			printf '%s\n' "$out" | grep -Eq -- "$1" && return 0
			[ "$(date +%s)" -ge "$_deadline" ] && return 1
			sleep 0.2
		done
	}
	fb_dump_has 'fb: ready' || fail "fbvm never ready: $(cli_last)"

	vnc_start -s 120x25 COLORTERM=truecolor -- vnc fbvm
	tui_expect "status bar names the VM and the connection" \
		'fbvm \(local\) \| [^|]* \| 320x200 \| truecolor \| fit'
	vnc_wait_picture
	# The middle line crosses all eight bars.
	bars="000000 ffffff ff0000 00ff00 0000ff 123456 89abcd fedcba"
	_deadline=$(($(date +%s) + TUI_TIMEOUT))
	while :; do
		tui_last=$(tui_screen_sgr)
		cells=$(tui_cells 12 "$tui_last")
		missing=
		for c in $bars; do
			printf '%s\n' "$cells" | grep -q " $c $c\$" || missing="$missing $c"
		done
		[ -z "$missing" ] && break
		[ "$(date +%s)" -ge "$_deadline" ] && break
		sleep 0.2
	done
	[ -z "$missing" ]
	check $? "the guest's eight bars in their exact colours" "missing:$missing"

	# Geometry: the last bar ends at the picture's right edge; black beyond.
	set -- $(vnc_fit 320 200 120 24)
	left=$1 width=$2
	last=$(printf '%s\n' "$cells" | awk '$2 == "fedcba" { c = $1 } END { print c + 0 }')
	first_white=$(printf '%s\n' "$cells" | awk '$2 == "ffffff" && !f { print $1; f = 1 }')
	want_white=$((left + width / 8))
	[ "$last" -ge $((left + width - 2)) ] && [ "$last" -le $((left + width)) ] &&
		[ "${first_white:-0}" -ge $((want_white - 1)) ] &&
		[ "${first_white:-0}" -le $((want_white + 1)) ]
	check $? "320x200 in 120x24 cells: columns $left-$((left + width - 1)), aspect kept" \
		"white from column $first_white (expected $want_white), last bar ends at $last"

	tui_resize 60x25
	tui_wait 'leave'
	sleep 0.5 # let the redraw land
	tui_last=$(tui_screen_sgr)
	set -- $(vnc_fit 320 200 60 24)
	ext=$(vnc_extent "$tui_last")
	set -- $ext "$@"
	# The black first bar is not content: the extent starts at the white one.
	[ "$2" -ge 58 ] && [ "$3" -ge $(($7 - 1)) ] && [ "$3" -le $(($7 + 1)) ] &&
		[ "$4" -ge $(($7 + $8 - 2)) ] && [ "$4" -le $(($7 + $8)) ] && [ "$7" -ge 2 ]
	check $? "after a resize to 60x25: full width, letterbox rows above and below" \
		"content at columns $1-$2, rows $3-$4; expected rows $7-$(($7 + $8 - 1))"

	# Keys and the mouse reach the guest as PS/2 bytes.
	tui_type a
	fb_dump_has 'kbd 1e' && pass "'a' typed in the viewer: the guest reads scancode 1e" ||
		fail "'a' typed in the viewer: no 'kbd 1e' in the guest's output"
	# The guest paints a box after the first frame: the viewer's
	# incremental updates must bring it (a viewer asking for an empty
	# area gets nothing more from virtty-vmm's server).
	_serial=$("$top_builddir/tests/vnc/vnc-check" serial "$VIRTTY_RUNTIME_DIR/fbvm/serial.sock" \
		b 'fb: painted 2' 2>&1)
	fb_dump_has 'fb: painted 2' ||
		fail "the guest never painted the box: vnc-check serial said: $_serial"
	_deadline=$(($(date +%s) + 2 * TUI_TIMEOUT))
	while :; do
		tui_last=$(tui_screen_sgr)
		_box=
		for _r in $(seq 0 24); do
			tui_cells "$_r" "$tui_last" | grep -q '3c9d5e' && _box=$_r && break
		done
		[ -n "$_box" ] || [ "$(date +%s)" -ge "$_deadline" ] && break
		sleep 0.2
	done
	[ -n "$_box" ]
	check $? "a box the guest paints later shows up in the viewer (row $_box)" \
		"no cell of the box colour 3c9d5e"
	tui_click 30 12
	fb_dump_has 'aux ' && pass "a click in the picture reaches the guest's PS/2 mouse" ||
		fail "a click in the picture: no 'aux' bytes in the guest's output"
	tui_keys F12
	tui_wait 'menu: d Ctrl-Alt-Del'
	tui_type d
	fb_dump_has 'kbd e0' && fb_dump_has 'kbd 53' && fb_dump_has 'kbd 1d' &&
		fb_dump_has 'kbd 38'
	check $? "F12 d sends Ctrl-Alt-Del (scancodes 1d 38 e0 53)" "not all seen"
	tui_expect "the status bar confirms Ctrl-Alt-Del" 'sent Ctrl-Alt-Del'

	tui_keys C-]
	st=$(vnc_wait_exit)
	[ "$st" = 0 ]
	check $? "Ctrl-] leaves the VM's screen with status 0" "exit '$st'"
	tui_expect "leaving says the VM keeps running" "Left the screen of VM 'fbvm' \(it keeps running\)"
	vnc_check_restored "leaving a VM's screen"

	# --view-only: a typed key is not sent. A key typed afterwards in a
	# normal viewer proves the guest was listening.
	vnc_start -s 120x24 -- vnc --view-only fbvm
	tui_expect "--view-only: the status bar says so" '\| view only +Ctrl-\] leave'
	tui_type b
	tui_expect "--view-only: typing says keys are not sent" 'view only: keys are not sent'
	tui_keys C-]
	vnc_wait_exit >/dev/null
	vnc_start -s 80x24 -- vnc fbvm
	tui_wait 'Ctrl-\] leave'
	tui_type c
	fb_dump_has 'kbd 2e' || fail "'c' typed in the viewer: no 'kbd 2e'"
	printf '%s\n' "$out" | grep -q 'kbd 30'
	[ $? != 0 ]
	check $? "--view-only sent no key ('b', scancode 30, never arrived)" "kbd 30 seen"

	# SIGTERM: the viewer goes, and puts the terminal back first. The
	# pane's shell runs virtty as its only child.
	vpid=$(pgrep -P "$(tui_pid)" | head -n 1)
	[ -n "$vpid" ] && kill -TERM "$vpid"
	st=$(vnc_wait_exit)
	tui_last=$(tui_screen)
	[ "$st" = 1 ] && printf '%s\n' "$tui_last" | grep -q 'stopped by signal 15'
	check $? "SIGTERM: the viewer says so and exits with status 1" \
		"exit '$st', screen: $(printf '%s' "$tui_last" | tr -s '\n' '|')"
	vnc_check_restored "SIGTERM"

	vnc_start -s 80x24 -- vnc fbvm
	tui_wait 'Ctrl-\] leave' || tui_fail "viewer opens again" "no status bar"

	# The VM stops under the viewer.
	expect_rc "destroy fbvm under the viewer" 0 destroy fbvm
	tui_expect "a stopped VM: the viewer says the server went away" \
		'virtty: the VNC server closed the connection'
	st=$(vnc_wait_exit)
	[ "$st" = 1 ]
	check $? "a stopped VM: status 1" "exit '$st'"
	vnc_check_restored "VM stopped"
fi
cli_summary
