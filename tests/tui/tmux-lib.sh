# Shell helpers for the TUI tests (sourced, not run): `virtty` in a pane of
# a private tmux server, keys sent with send-keys, the screen read back with
# capture-pane and polled until the expected text appears (never a fixed
# sleep as an assertion). POSIX sh (dash); names are prefixed tui_.
#
# The CLI helpers (pass/fail/check, run, cli_state, wait_state,
# cli_vmm_pids, cli_summary) come from tests/cli/cli-common.sh. The test
# sets $here to its own directory (tests/tui) before sourcing this file.

. "${here:?the test sets here}/../cli/cli-common.sh"

IDLE_GUEST=$cli_builddir/tests/guests/idle.elf
# How long a wait for the screen may take before the check fails. Generous:
# a loaded CI machine must not turn a slow frame into a failure.
TUI_TIMEOUT=${TUI_TIMEOUT:-15}
# The tmux server is ours alone: its own socket name, no user config. Each
# start gets a new name, so a server still shutting down is never reused.
TUI_SOCK=virtty-test-$$
tui_nserver=0
tui_sock_path=
TUI_SESSION=tui
tui_w=120
tui_h=40
tui_last=

tui_tmux()
{
	tmux -u -L "$TUI_SOCK" -f /dev/null "$@"
}

# tui_setup: skip without tmux or KVM, make the private store, runtime dir
# and home (the TUI writes its config to $XDG_CONFIG_HOME/virtty/config),
# point VIRTTY_THEMES_DIR at the source tree's themes/, and arrange for
# the server and every VMM of this run to go on exit.
tui_setup()
{
	command -v tmux >/dev/null || { echo "SKIP: tmux missing (Debian package tmux)"; exit 77; }
	# `make check` run from inside tmux: our server is a separate one.
	unset TMUX TMUX_PANE
	[ -e /dev/kvm ] || { echo "SKIP: no /dev/kvm"; exit 77; }
	command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
	for f in "$VIRTTY" "$ECHO_GUEST" "$IDLE_GUEST"; do
		[ -e "$f" ] || { echo "ERROR: not built: $f"; exit 99; }
	done
	work=$(mktemp -d "${TMPDIR:-/tmp}/virtty-tui.XXXXXX") || exit 99
	VIRTTY_HOME=$work/home
	VIRTTY_RUNTIME_DIR=$work/run
	HOME=$work/user
	XDG_CONFIG_HOME=$HOME/.config
	# The themes of this source tree, not an installed (older) copy.
	VIRTTY_THEMES_DIR=${VIRTTY_THEMES_DIR:-${top_srcdir:-$here/../..}/themes}
	export VIRTTY_HOME VIRTTY_RUNTIME_DIR HOME XDG_CONFIG_HOME VIRTTY_THEMES_DIR
	mkdir -p "$HOME" || exit 99
	cp "$ECHO_GUEST" "$work/echo.elf" && cp "$IDLE_GUEST" "$work/idle.elf" || exit 99
	trap tui_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

tui_cleanup()
{
	tui_stop
	cli_cleanup
}

# tui_server WxH COMMAND: (re)start the server with one window of WxH
# cells running the shell command line COMMAND. status off: the pane is
# the whole window, so WxH is what virtty sees. The pane stays after its
# program exits so the exit status can be read (tui_wait_exit).
tui_server()
{
	tui_w=${1%x*}
	tui_h=${1#*x}
	tui_stop
	tui_nserver=$((tui_nserver + 1))
	TUI_SOCK=virtty-test-$$-$tui_nserver
	tui_tmux start-server \; set-option -g exit-empty off \; \
		set-option -g remain-on-exit on \; set-option -g status off \; \
		new-session -d -s "$TUI_SESSION" -x "$tui_w" -y "$tui_h" "$2" ||
		{ echo "ERROR: cannot start tmux"; exit 99; }
	tui_sock_path=$(tui_tmux display-message -p '#{socket_path}')
}

# tui_start [-s WxH] [VAR=VALUE...] [-- ARGS...]: `virtty ARGS...` in a
# WxH pane (default 120x40) with the environment changed by VAR=VALUE.
# TERM defaults to xterm-256color and the locale to C.UTF-8; NO_COLOR is
# removed unless given. Values must not hold single quotes.
tui_start()
{
	_size=120x40
	if [ "${1:-}" = -s ]; then
		_size=$2
		shift 2
	fi
	_cmd="exec env -u NO_COLOR -u LC_ALL -u LC_CTYPE -u LANGUAGE"
	_cmd="$_cmd TERM=xterm-256color LANG=C.UTF-8"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_cmd="$_cmd '$1'"
		shift
	done
	[ "${1:-}" = -- ] && shift
	_cmd="$_cmd '$VIRTTY'"
	for _a in "$@"; do
		_cmd="$_cmd '$_a'"
	done
	tui_server "$_size" "$_cmd"
}

# tui_start_sh [-s WxH] SCRIPT: like tui_start for a shell script (to
# redirect virtty's output, say), run with sh from a file in $work.
tui_start_sh()
{
	_size=120x40
	if [ "${1:-}" = -s ]; then
		_size=$2
		shift 2
	fi
	printf '%s\n' "$1" >"$work/pane.sh"
	tui_server "$_size" "exec env -u NO_COLOR TERM=xterm-256color LANG=C.UTF-8 sh '$work/pane.sh'"
}

# tui_stop: kill the server; tmux leaves its socket file behind.
tui_stop()
{
	tui_tmux kill-server 2>/dev/null
	[ -n "$tui_sock_path" ] && rm -f "$tui_sock_path"
	tui_sock_path=
}

# tui_keys KEY...: tmux key names (q, Enter, Escape, Down, F2, C-c, ...).
tui_keys()
{
	tui_tmux send-keys -t "$TUI_SESSION" "$@"
}

# tui_type TEXT: TEXT as literal characters.
tui_type()
{
	tui_tmux send-keys -t "$TUI_SESSION" -l "$1"
}

# tui_screen: the visible screen as text; tui_screen_sgr: with colours and
# attributes as SGR escape sequences.
tui_screen()
{
	tui_tmux capture-pane -p -t "$TUI_SESSION"
}

tui_screen_sgr()
{
	tui_tmux capture-pane -p -e -t "$TUI_SESSION"
}

# tui_dead: has the program in the pane exited (or crashed)?
tui_dead()
{
	[ "$(tui_tmux display-message -p -t "$TUI_SESSION" '#{pane_dead}' 2>/dev/null)" != 0 ]
}

# tui_wait REGEX [SECS]: poll until a line of the screen matches the
# extended, case-insensitive REGEX. The last screen stays in $tui_last.
# Gives up at once when virtty has exited.
tui_wait()
{
	_deadline=$(($(date +%s) + ${2:-$TUI_TIMEOUT}))
	while :; do
		tui_last=$(tui_screen)
		printf '%s\n' "$tui_last" | grep -Eiq -- "$1" && return 0
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		tui_dead && return 1
		sleep 0.1
	done
}

# tui_wait_gone REGEX [SECS]: poll until no line matches.
tui_wait_gone()
{
	_deadline=$(($(date +%s) + ${2:-$TUI_TIMEOUT}))
	while :; do
		tui_last=$(tui_screen)
		printf '%s\n' "$tui_last" | grep -Eiq -- "$1" || return 0
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		tui_dead && return 1
		sleep 0.1
	done
}

# tui_row_re NAME: a regex for the list row of VM NAME: the name first on
# the line after the gutter (blanks and a mark), then a blank. Other lines
# naming the VM ("filter: alpha", "VM 'alpha' started") do not match.
tui_row_re()
{
	printf '^ *([^ A-Za-z0-9]+ *)?%s( |$)' "$1"
}

# tui_row NAME [SCREEN]: the list row of VM NAME, empty if not shown.
tui_row()
{
	printf '%s\n' "${2-$(tui_screen)}" | grep -E -- "$(tui_row_re "$1")" | head -n 1
}

# tui_wait_row NAME REGEX [SECS]: poll until NAME's row matches REGEX.
tui_wait_row()
{
	_deadline=$(($(date +%s) + ${3:-$TUI_TIMEOUT}))
	while :; do
		tui_last=$(tui_screen)
		tui_row "$1" "$tui_last" | grep -Eiq -- "$2" && return 0
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		tui_dead && return 1
		sleep 0.1
	done
}

# tui_line_of REGEX [SCREEN]: the number (from 1) of the first screen line
# matching REGEX, empty if none: tells which of two rows comes first.
tui_line_of()
{
	printf '%s\n' "${2-$(tui_screen)}" | grep -Ein -- "$1" | head -n 1 | cut -d: -f1
}

# tui_click X Y [COUNT]: COUNT (default 1) left clicks on the cell at
# column X, line Y (from 0), as an xterm sends them in SGR mouse mode
# (press, release). ncurses reads them through terminfo's kmous.
tui_click()
{
	_n=${3:-1}
	while [ "$_n" -gt 0 ]; do
		tui_type "$(printf '\033[<0;%d;%dM\033[<0;%d;%dm' $(($1 + 1)) $(($2 + 1)) \
			$(($1 + 1)) $(($2 + 1)))"
		_n=$((_n - 1))
	done
}

# tui_click_row NAME [COUNT]: click on the name in VM NAME's list row.
# Fails if the row is not shown.
tui_click_row()
{
	_y=$(tui_line_of "$(tui_row_re "$1")")
	[ -n "$_y" ] || return 1
	tui_click 4 $((_y - 1)) "${2:-1}"
}

# tui_resize WxH: the window (and so the pane) becomes WxH; virtty gets
# SIGWINCH exactly as from a terminal emulator.
tui_resize()
{
	tui_w=${1%x*}
	tui_h=${1#*x}
	tui_tmux resize-window -t "$TUI_SESSION" -x "$tui_w" -y "$tui_h"
}

# tui_pane_size: "WxH" as tmux has it now.
tui_pane_size()
{
	tui_tmux display-message -p -t "$TUI_SESSION" '#{pane_width}x#{pane_height}'
}

# tui_pid: the virtty process in the pane (env execs it).
tui_pid()
{
	tui_tmux display-message -p -t "$TUI_SESSION" '#{pane_pid}'
}

# tui_wait_exit [SECS]: poll until virtty has exited; prints its exit
# status, or "signal N" when it was killed. Fails if it is still running.
tui_wait_exit()
{
	# Longer than other waits: on a loaded machine (CI runs the nested lab
	# beside these tests) quitting can take a while; a hang still fails.
	_deadline=$(($(date +%s) + ${1:-60}))
	_nudged=0
	while :; do
		_dead=$(tui_tmux display-message -p -t "$TUI_SESSION" \
			'#{pane_dead} #{pane_dead_status} #{pane_dead_signal}' 2>/dev/null)
		# Dead with neither status nor signal yet: tmux has seen the pty
		# close but not reaped the process; ask again.
		case "$_dead" in
		"1  " | "1 ") ;;
		"1  "*)
			echo "signal ${_dead#1  }"
			return 0
			;;
		"1 "*)
			_dead=${_dead#1 }
			echo "${_dead% *}"
			return 0
			;;
		esac
		# tmux 3.3a now and then misses the SIGCHLD of a pane's program
		# (seen on loaded machines): virtty has exited and is a zombie
		# nobody reaps. Signal the server again so it calls waitpid.
		_zpid=$(tui_pid)
		if [ -n "$_zpid" ] && grep -q '^State:.*Z' /proc/"$_zpid"/status 2>/dev/null; then
			_nudged=$((_nudged + 1))
			[ $((_nudged % 10)) = 0 ] &&
				kill -CHLD "$(awk '/^PPid/ {print $2}' /proc/"$_zpid"/status)" 2>/dev/null
		fi
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			tui_dump_stuck >&2
			return 1
		fi
		sleep 0.1
	done
}

# tui_dump_stuck: what a virtty that does not quit is doing: its screen,
# its threads' states and, when gdb is there, every thread's stack.
tui_dump_stuck()
{
	_pid=$(tui_pid)
	echo "--- virtty (pid $_pid) did not exit; its screen:"
	tui_tmux capture-pane -p -t "$TUI_SESSION" 2>/dev/null
	[ -n "$_pid" ] || return 0
	for _t in /proc/"$_pid"/task/*; do
		[ -r "$_t/stat" ] || continue
		echo "thread ${_t##*/}: $(cut -d' ' -f3 "$_t/stat") wchan=$(cat "$_t/wchan" 2>/dev/null)"
	done
	grep -E '^(State|PPid|Threads|SigQ|SigBlk|SigPnd|ShdPnd)' /proc/"$_pid"/status 2>/dev/null
	_ppid=$(awk '/^PPid/ {print $2}' /proc/"$_pid"/status 2>/dev/null)
	[ -n "$_ppid" ] && echo "parent: $(tr '\0' ' ' </proc/"$_ppid"/cmdline 2>/dev/null)" &&
		grep -E '^(State|SigBlk|SigIgn|SigCgt)' /proc/"$_ppid"/status 2>/dev/null
	if command -v gdb >/dev/null 2>&1; then
		timeout 60 gdb -p "$_pid" -batch -nx -ex 'thread apply all bt' 2>&1 |
			grep -E '^(Thread|#)'
	fi
}

# tui_shows_garbage [SCREEN]: true when the screen holds bytes a UI never
# draws on purpose: control characters, or the raw text of escape
# sequences ("[38;5;", "^[") that leaked through.
tui_shows_garbage()
{
	printf '%s\n' "${1-$(tui_screen)}" | LC_ALL=C grep -Eq \
		"$(printf '[\001-\010\013-\037\177]')|\\^\\[|\\[[0-9]+;[0-9;]*m"
}

# tui_non_ascii [SCREEN]: true when the screen holds any non-ASCII byte.
tui_non_ascii()
{
	printf '%s\n' "${1-$(tui_screen)}" | LC_ALL=C grep -q "$(printf '[\200-\377]')"
}

# tui_colours [SCREEN_SGR]: one line per colour the screen uses, as tmux
# reports it in capture-pane -e: "8" (the 8/16 basic colours), "256"
# (a 256-colour index) or "rgb" (truecolor); nothing for default colours.
tui_colours()
{
	printf '%s\n' "${1-$(tui_screen_sgr)}" | python3 -c '
import re, sys
kinds = set()
for m in re.finditer(r"\x1b\[([0-9;:]*)m", sys.stdin.read()):
    p = [int(x) if x.isdigit() else 0 for x in re.split("[;:]", m.group(1))]
    i = 0
    while i < len(p):
        v = p[i]
        if v in (38, 48, 58) and i + 1 < len(p):
            if p[i + 1] == 5:
                kinds.add("256"); i += 3; continue
            if p[i + 1] == 2:
                kinds.add("rgb"); i += 5; continue
        if 30 <= v <= 37 or 40 <= v <= 47 or 90 <= v <= 97 or 100 <= v <= 107:
            kinds.add("8")
        i += 1
for k in sorted(kinds):
    print(k)
'
}

# tui_fail NAME DETAIL: a FAIL line with the last screen seen, indented.
tui_fail()
{
	fail "$1: $2"
	printf '%s\n' "$tui_last" | sed 's/^/    | /'
}

# tui_expect NAME REGEX [SECS]: PASS when the screen shows REGEX in time.
tui_expect()
{
	if tui_wait "$2" "${3:-}"; then pass "$1"; else tui_fail "$1" "no /$2/ on the screen"; fi
}

# tui_expect_row NAME VM REGEX [SECS]: PASS when VM's row shows REGEX.
tui_expect_row()
{
	if tui_wait_row "$2" "$3" "${4:-}"; then pass "$1"; else
		tui_fail "$1" "row of $2 never matched /$3/ (row: '$(tui_row "$2" "$tui_last")')"
	fi
}

# tui_setup_nokvm: tui_setup for tests that need no VM of the store
# (the VNC viewer against QEMU): tmux, python3 and virtty, the private
# directories and the cleanup; no /dev/kvm needed.
tui_setup_nokvm()
{
	command -v tmux >/dev/null || { echo "SKIP: tmux missing (Debian package tmux)"; exit 77; }
	unset TMUX TMUX_PANE
	command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
	[ -e "$VIRTTY" ] || { echo "ERROR: not built: $VIRTTY"; exit 99; }
	work=$(mktemp -d "${TMPDIR:-/tmp}/virtty-tui.XXXXXX") || exit 99
	VIRTTY_HOME=$work/home
	VIRTTY_RUNTIME_DIR=$work/run
	HOME=$work/user
	XDG_CONFIG_HOME=$HOME/.config
	export VIRTTY_HOME VIRTTY_RUNTIME_DIR HOME XDG_CONFIG_HOME
	mkdir -p "$HOME" || exit 99
	trap tui_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

# tui_pane_flag NAME: a tmux pane flag such as alternate_on,
# mouse_any_flag, mouse_sgr_flag, cursor_flag (1 or 0).
tui_pane_flag()
{
	tui_tmux display-message -p -t "$TUI_SESSION" "#{$1}"
}

# tui_cells ROW [SCREEN_SGR]: the cells of screen line ROW (from 0) of a
# picture drawn with half blocks, one line per cell: "COL TOP BOTTOM",
# the colours of the upper and lower half as rrggbb (truecolor), pN (a
# 256-colour index), cN (one of the 16 basic colours) or "-" (default).
# capture-pane -e carries attributes from line to line: so does this.
tui_cells()
{
	printf '%s\n' "${2-$(tui_screen_sgr)}" | python3 -c '
import re, sys
row = int(sys.argv[1])
lines = sys.stdin.read().split("\n")
fg = bg = "-"
def colour(p, i):
    if p[i + 1] == 2:
        return "%02x%02x%02x" % tuple(p[i + 2:i + 5]), i + 5
    return "p%d" % p[i + 2], i + 3
for y, line in enumerate(lines[:row + 1]):
    col = 0
    for m in re.finditer(r"\x1b\[([0-9;:]*)m|(.)", line):
        if m.group(2) is None:
            p = [int(x) if x.isdigit() else 0 for x in re.split("[;:]", m.group(1))] or [0]
            i = 0
            while i < len(p):
                v = p[i]
                if v == 0:
                    fg = bg = "-"; i += 1
                elif v in (38, 48) and i + 1 < len(p):
                    c, i = colour(p, i)
                    if v == 38: fg = c
                    else: bg = c
                elif v == 39: fg = "-"; i += 1
                elif v == 49: bg = "-"; i += 1
                elif 30 <= v <= 37: fg = "c%d" % (v - 30); i += 1
                elif 90 <= v <= 97: fg = "c%d" % (v - 82); i += 1
                elif 40 <= v <= 47: bg = "c%d" % (v - 40); i += 1
                elif 100 <= v <= 107: bg = "c%d" % (v - 92); i += 1
                else: i += 1
            continue
        if y < row:
            continue
        ch = m.group(2)
        if ch == "\u2580": top, bot = fg, bg
        elif ch == "\u2584": top, bot = bg, fg
        elif ch == "\u2588": top, bot = fg, fg
        else: top, bot = bg, bg
        print(col, top, bot)
        col += 1
' "$1"
}

# tui_cell_rows MODE SCREEN_SGR [OTHER_SCREEN_SGR]: per screen line (from
# 0) that has any, "ROW COUNT FIRSTCOL LASTCOL" of the cells that are lit
# (MODE lit: a character or a colour other than black or the default) or
# that differ from the same cell of OTHER (MODE diff: character, colours
# or their half-block split). For pictures drawn with half blocks, where a
# line of text in the guest becomes a run of cells in one or two rows.
tui_cell_rows()
{
	_tcr_a=$(mktemp "${TMPDIR:-/tmp}/virtty-cells.XXXXXX") || return 1
	_tcr_b=$(mktemp "${TMPDIR:-/tmp}/virtty-cells.XXXXXX") || { rm -f "$_tcr_a"; return 1; }
	printf '%s\n' "$2" >"$_tcr_a"
	printf '%s\n' "${3:-}" >"$_tcr_b"
	python3 -c '
import re, sys
BLACK = ("-", "000000", "p0", "p16", "c0")
def cells(path):
    grid = []
    fg = bg = "-"
    def colour(p, i):
        if i + 1 < len(p) and p[i + 1] == 2:
            return "%02x%02x%02x" % tuple((p[i + 2:i + 5] + [0, 0, 0])[:3]), i + 5
        return "p%d" % (p[i + 2] if i + 2 < len(p) else 0), i + 3
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    for line in lines:
        row = []
        for m in re.finditer(r"\x1b\[([0-9;:]*)m|(.)", line):
            if m.group(2) is None:
                p = [int(x) if x.isdigit() else 0 for x in re.split("[;:]", m.group(1))] or [0]
                i = 0
                while i < len(p):
                    v = p[i]
                    if v == 0: fg = bg = "-"; i += 1
                    elif v in (38, 48) and i + 1 < len(p):
                        c, i = colour(p, i)
                        if v == 38: fg = c
                        else: bg = c
                    elif v == 39: fg = "-"; i += 1
                    elif v == 49: bg = "-"; i += 1
                    elif 30 <= v <= 37: fg = "c%d" % (v - 30); i += 1
                    elif 90 <= v <= 97: fg = "c%d" % (v - 82); i += 1
                    elif 40 <= v <= 47: bg = "c%d" % (v - 40); i += 1
                    elif 100 <= v <= 107: bg = "c%d" % (v - 92); i += 1
                    else: i += 1
                continue
            ch = m.group(2)
            # What the cell shows: the character and, for the half blocks
            # and blanks, the colours of its upper and lower half. Black
            # and the default colour count as one: capture-pane -e carries
            # colours over from line to line, so the same blank margin may
            # come out either way.
            f = "-" if fg in BLACK else fg
            b = "-" if bg in BLACK else bg
            if ch == "\u2580": row.append(("h", f, b))
            elif ch == "\u2584": row.append(("h", b, f))
            elif ch == "\u2588": row.append(("h", f, f))
            elif ch == " ": row.append(("h", b, b))
            else: row.append((ch, f, b))
        grid.append(row)
    return grid
mode = sys.argv[1]
a = cells(sys.argv[2])
b = cells(sys.argv[3]) if mode == "diff" else None
blank = ("h", "-", "-")
for y in range(len(a) if b is None else max(len(a), len(b))):
    ra = a[y] if y < len(a) else []
    if mode == "lit":
        xs = [x for x, c in enumerate(ra)
              if c != blank]
    else:
        rb = b[y] if y < len(b) else []
        n = max(len(ra), len(rb))
        xs = [x for x in range(n)
              if (ra[x] if x < len(ra) else blank) != (rb[x] if x < len(rb) else blank)]
    if xs:
        print(y, len(xs), min(xs), max(xs))
' "$1" "$_tcr_a" "$_tcr_b"
	_tcr_rc=$?
	rm -f "$_tcr_a" "$_tcr_b"
	return $_tcr_rc
}
