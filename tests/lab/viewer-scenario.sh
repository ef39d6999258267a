#!/bin/sh
# viewer-scenario.sh: the host's half of the nested lab's viewer check: the
# real `virtty vnc` viewer in a tmux pane on the host, connected (through
# QEMU's host forwarding and a relay in L1) to the VNC server of the
# virtty-vmm that runs the Debian guest inside L1, types a command line into
# the guest's tty1 shell. Checked here: the viewer draws the guest's console,
# and the typed line appears in the picture (the pane's cells change in a
# run the length of the line, inside the picture); Ctrl-] then leaves with
# status 0. L1's vnc-scenario.sh checks the rest (the command's marker on the
# guest's ttyS0, the framebuffer's new pixels) once told we are done.
# Prints "LAB-RESULT: PASS|FAIL vnc/NAME ..." lines and, for diagnosis, the
# screens it compared.
#
# usage: viewer-scenario.sh LOG=L1_CONSOLE_LOG TARGET=HOST::PORT
#          DONE=FIFO PID=QEMU_PID [WAIT=SECS]
#   LOG     the L1 console as it is written (we wait for "LAB-VIEWER: ")
#   DONE    L1's console input: "viewer-done" is written there at the end
#   PID     L1's QEMU: when it is gone there is nothing left to wait for
# The pane before and after the typing (capture-pane -e) is left next to
# LOG as lab-viewer-before.ansi and lab-viewer-after.ansi (`less -R`).
# Environment: VIRTTY (the CLI), top_builddir/top_srcdir as in make check.
set -u
for kv in "$@"; do
	case "$kv" in
	*=*) eval "${kv%%=*}=\${kv#*=}" ;;
	*)
		echo "viewer-scenario: bad argument '$kv'" >&2
		exit 2
		;;
	esac
done
: "${LOG:?}" "${TARGET:?}" "${DONE:?}" "${PID:?}" "${WAIT:=600}"
here=$(cd "$(dirname "$0")/../tui" && pwd)
. "$here/tmux-lib.sh"
# Under TCG the frames cross slirp and a relay: slower than a local socket.
TUI_TIMEOUT=90
# The line typed into the guest; vnc-scenario.sh waits for its marker.
line='echo VIEWER-OK >/dev/ttyS0'
cols=160 rows=50

result()
{
	st=$1 name=$2
	shift 2
	echo "LAB-RESULT: $st vnc/$name $*"
}

done_signal()
{
	# The FIFO is held open by run-lab.sh: this open does not block.
	echo "viewer-done $1" >"$DONE"
}

# Wait for L1's word: the relay is up (or the guest never got that far).
deadline=$(($(date +%s) + WAIT))
said=
while :; do
	said=$(tr -d '\r' <"$LOG" 2>/dev/null | grep -a '^LAB-VIEWER: ' | head -n 1)
	[ -n "$said" ] && break
	if ! kill -0 "$PID" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
		echo "viewer-scenario: L1 never said 'LAB-VIEWER: ready'"
		result FAIL viewer-picture "not tried: L1 never set up the viewer's relay"
		result FAIL viewer-typed "not tried: L1 never set up the viewer's relay"
		result FAIL viewer-leave "not tried: L1 never set up the viewer's relay"
		exit 1
	fi
	sleep 0.5
done
case "$said" in
"LAB-VIEWER: ready "*) ;;
*)
	result FAIL viewer-picture "not tried: L1 says '${said#LAB-VIEWER: }'"
	result FAIL viewer-typed "not tried: L1 says '${said#LAB-VIEWER: }'"
	result FAIL viewer-leave "not tried: L1 says '${said#LAB-VIEWER: }'"
	done_signal skipped
	exit 1
	;;
esac
echo "viewer-scenario: L1: $said; viewer: virtty vnc $TARGET in ${cols}x$rows cells"

tui_setup_nokvm
trap 'done_signal aborted; tui_cleanup' EXIT
unset COLORTERM
# viewer_start: the viewer in a fresh pane. Its messages go to a file: the
# pane's last screen may not show them once it has left the alternate screen.
viewer_start()
{
	: >"$work/viewer.err"
	tui_start_sh -s "${cols}x$rows" "exec env -u LC_ALL -u LC_CTYPE -u LANGUAGE COLORTERM=truecolor '$VIRTTY' vnc '$TARGET' 2>'$work/viewer.err'"
}

# picture_lit [SCREEN]: the lit cells of the picture (all lines but the
# status bar), as tui_cell_rows prints them.
picture_lit()
{
	tui_cell_rows lit "${1-$(tui_screen_sgr)}" | awk -v last=$((rows - 1)) '$1 < last'
}

# viewer_settle: wait for the console: the status bar and some lit cells
# (the kernel's and the shell's lines), then a picture that changes in no
# more than the blinking cursor's cells for a second. Sets $lit.
viewer_settle()
{
	lit=
	tui_wait 'Ctrl-\] leave' || return 1
	_deadline=$(($(date +%s) + TUI_TIMEOUT))
	_prev=
	while :; do
		_cur=$(tui_screen_sgr)
		lit=$(picture_lit "$_cur")
		if [ -n "$lit" ] && [ -n "$_prev" ]; then
			_moved=$(tui_cell_rows diff "$_prev" "$_cur" | awk -v last=$((rows - 1)) \
				'$1 < last { n += $2 } END { print n + 0 }')
			[ "$_moved" -le 2 ] && return 0
		fi
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		tui_dead && return 1
		_prev=$_cur
		sleep 1
	done
}

# A viewer that ends before its first picture gets one more try, and the
# result says so with the first try's message: libvncclient's read timeout
# counts stalls, not seconds, and a large first update crossing slirp and
# the relay in L1 trips it now and then ("Connection timed out").
try=1
first_err=
viewer_start
t0=$(date +%s)
if ! viewer_settle && tui_dead; then
	first_err=$(tr '\n' ' ' <"$work/viewer.err")
	echo "viewer-scenario: the viewer ended before its first picture: $first_err"
	try=2
	sleep 1
	viewer_start
	t0=$(date +%s)
	viewer_settle
fi
tui_last=$(tui_screen)
if [ -n "$lit" ] && ! tui_dead; then
	before=$(tui_screen_sgr)
	result PASS viewer-picture "the viewer shows the guest's console after" \
		"$(($(date +%s) - t0)) s: lit cells in $(printf '%s\n' "$lit" | wc -l) rows;" \
		"status bar: $(printf '%s\n' "$tui_last" | tail -n 1 | tr -s ' ') (try $try${first_err:+; try 1: $first_err})"
else
	result FAIL viewer-picture "no picture in the viewer after $(($(date +%s) - t0)) s" \
		"(status bar: $(printf '%s\n' "$tui_last" | tail -n 1 | tr -s ' '))"
	printf '%s\n' "$tui_last" | grep . | sed 's/^/VIEWER-SCREEN| /'
	sed 's/^/VIEWER-STDERR| /' "$work/viewer.err"
	result FAIL viewer-typed "not tried: no picture"
	result FAIL viewer-leave "not tried: no picture"
	exit 1
fi

# The picture's columns (the guest's 1024 pixels, letterboxed) and so the
# cells one 8-pixel character of the guest's console covers.
first_col=$(printf '%s\n' "$lit" | awk 'NR == 1 || $3 < m { m = $3 } END { print m }')
set -- $(printf '%s\n' "$tui_last" | tail -n 1 | grep -Eo '\| [0-9]+x[0-9]+ \|' | tr -dc '0-9x' | tr x ' ')
gw=${1:-1024} gh=${2:-768}
pic_cols=$(python3 -c "import sys; w, h, c, r = map(int, sys.argv[1:]); print(round(w * min(c / w, 2 * r / h)))" \
	"$gw" "$gh" "$cols" $((rows - 1)))
pic_left=$(((cols - pic_cols) / 2))
# The typed line without its blanks, in cells: the run of changed cells must
# cover at least half of it (a glyph's cell may average to the same colour).
glyphs=$(printf '%s' "$line" | tr -d ' ' | wc -c)
want=$((glyphs * pic_cols / (gw / 8) / 2))

tui_type "$line"
tui_keys Enter
# Poll until a line of the picture has the run of changed cells, then let
# the shell's next prompt land.
deadline=$(($(date +%s) + TUI_TIMEOUT))
best=0
while :; do
	after=$(tui_screen_sgr)
	diff=$(tui_cell_rows diff "$before" "$after" | awk -v last=$((rows - 1)) '$1 < last')
	best=$(printf '%s\n' "$diff" | awk '$2 > m { m = $2 } END { print m + 0 }')
	[ "$best" -ge "$want" ] && break
	[ "$(date +%s)" -ge "$deadline" ] && break
	tui_dead && break
	sleep 0.5
done
sleep 1
after=$(tui_screen_sgr)
printf '%s\n' "$before" >"$(dirname "$LOG")/lab-viewer-before.ansi"
printf '%s\n' "$after" >"$(dirname "$LOG")/lab-viewer-after.ansi"
diff=$(tui_cell_rows diff "$before" "$after")
pdiff=$(printf '%s\n' "$diff" | awk -v last=$((rows - 1)) '$1 < last')
best_row=$(printf '%s\n' "$pdiff" | awk '$2 > m { m = $2; r = $0 } END { print r }')
nrows=$(printf '%s\n' "$pdiff" | grep -c .)
outside=$(printf '%s\n' "$pdiff" | awk -v l="$pic_left" -v r=$((pic_left + pic_cols - 1)) \
	'$3 < l || $4 > r { print }')
set -- $best_row
# The typed line: one or two cell rows (a text row is about one), the next
# prompt one more; more rows than that would be a scroll or a redraw.
if [ "${2:-0}" -ge "$want" ] && [ "$nrows" -le 4 ] && [ -z "$outside" ]; then
	result PASS viewer-typed "the typed line appears in the viewer: row $1, columns $3-$4" \
		"($2 cells changed, at least $want expected), $nrows rows changed, all" \
		"inside the picture (columns $pic_left-$((pic_left + pic_cols - 1)))"
else
	result FAIL viewer-typed "after typing '$line': rows changed (row count first last):" \
		"$(printf '%s\n' "$pdiff" | tr '\n' ';') expected a row with at least $want cells," \
		"at most 4 rows, inside columns $pic_left-$((pic_left + pic_cols - 1))"
fi
echo "viewer-scenario: picture rows changed by the typing (row cells first-col last-col):"
printf '%s\n' "$pdiff" | sed 's/^/VIEWER-DIFF| /'

tui_keys C-]
st=$(tui_wait_exit 30)
if [ "$st" = 0 ]; then
	result PASS viewer-leave "Ctrl-] leaves the viewer with status 0"
else
	result FAIL viewer-leave "Ctrl-] in the viewer: exit '$st'"
	sed 's/^/VIEWER-STDERR| /' "$work/viewer.err"
fi
trap tui_cleanup EXIT
echo "viewer-scenario: $(($(date +%s) - t0)) s from starting the viewer to leaving it"
done_signal "typed"
exit 0
