#!/bin/sh
# tui-basic.sh: the full-screen interface in a tmux pane against a private
# store with two tiny test guests: the list, start/pause/resume/force off
# from the keyboard (with the confirmation), filter, sort, help overlay,
# host dashboard, resizes, theme switching and its persistence, colour
# and locale variants, quitting leaves VMs running, no terminal refused.
# One PASS/FAIL line per check; the screen is shown under each FAIL.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tmux-lib.sh"
tui_setup
E=$work/echo.elf # stays up, prints "echo: ready", busy-polls the UART
HEADER='NAME[^ ]* +STATE'
CONF=$XDG_CONFIG_HOME/virtty/config

# tui_list_ok WHAT: the list shows its heading and both VMs, and nothing
# that looks like escape-sequence debris.
tui_list_ok()
{
	if tui_wait "$HEADER" && tui_wait_row alpha 'alpha' && tui_wait_row bravo 'bravo'; then
		if tui_shows_garbage "$tui_last"; then
			tui_fail "$1" "control characters or escape sequences printed as text"
		else
			pass "$1"
		fi
	else
		tui_fail "$1" "heading or a VM row missing"
	fi
}

# vm_still STATE NAME: NAME is in STATE per the CLI now and after two
# refresh intervals (an action wrongly queued would have happened by then).
vm_still()
{
	[ "$(cli_state "$2")" = "$1" ] || return 1
	sleep 2
	[ "$(cli_state "$2")" = "$1" ]
}

# --- no terminal: refused with a message, nothing drawn ----------------------
run
if [ "$rc" = 2 ] && [ -z "$out" ] && grep_in "$err" 'terminal'; then
	pass "no terminal (stdin, stdout redirected): refused with exit 2 and a message"
else
	fail "no terminal: expected exit 2, a message and no output; $(cli_last)"
fi
tui_start_sh "'$VIRTTY' >'$work/tui.out' 2>'$work/tui.err'"
st=$(tui_wait_exit)
if [ "$st" = 2 ] && [ ! -s "$work/tui.out" ] && grep -qi 'terminal' "$work/tui.err"; then
	pass "stdout not a terminal (stdin is): refused with exit 2 and a message"
else
	fail "stdout not a terminal: exit '$st', stdout $(wc -c <"$work/tui.out") bytes," \
		"stderr: $(tr '\n' '|' <"$work/tui.err" | cut -c1-200)"
fi

# --- two VMs listed ------------------------------------------------------------
expect_rc "define alpha" 0 define alpha --kernel "$E" --cpus 1 --memory 16
expect_rc "define bravo" 0 define bravo --kernel "$E" --cpus 2 --memory 24
tui_start
tui_expect "heading shown" "$HEADER"
tui_expect_row "alpha listed as shut off" alpha 'shut off'
tui_expect_row "bravo listed as shut off" bravo 'shut off'
tui_expect_row "bravo shows its 2 vCPUs" bravo 'shut off +2 '

# --- filter --------------------------------------------------------------------
tui_keys /
tui_type bra
tui_keys Enter
if tui_wait_gone "$(tui_row_re alpha)" && tui_wait_row bravo 'shut off'; then
	pass "filter 'bra' shows bravo only"
else
	tui_fail "filter 'bra' shows bravo only" "alpha still shown or bravo gone"
fi
# Esc while editing clears the filter.
tui_keys /
tui_keys Escape
if tui_wait_row alpha 'shut off' && tui_wait_row bravo 'shut off'; then
	pass "Esc in the filter clears it: both VMs back"
else
	tui_fail "Esc in the filter clears it" "a VM is missing"
fi

# --- sort ----------------------------------------------------------------------
# order_is WANT: poll until alpha's row is above bravo's (WANT 1) or below (0).
order_is()
{
	_d=$((TUI_TIMEOUT * 10))
	while :; do
		tui_last=$(tui_screen)
		_a=$(tui_line_of "$(tui_row_re alpha)" "$tui_last")
		_b=$(tui_line_of "$(tui_row_re bravo)" "$tui_last")
		[ -n "$_a" ] && [ -n "$_b" ] && [ $((_a < _b)) = "$1" ] && return 0
		_d=$((_d - 1))
		[ $_d -gt 0 ] || return 1
		sleep 0.1
	done
}
# By name (the default), alpha comes first; I inverts; I again restores.
if order_is 1; then pass "sorted by name: alpha above bravo"; else
	tui_fail "sorted by name: alpha above bravo" "wrong order"; fi
tui_keys I
if order_is 0; then pass "I inverts the sort order: bravo above alpha"; else
	tui_fail "I inverts the sort order" "rows kept their order"; fi
tui_keys I
if order_is 1; then pass "I again restores the order"; else
	tui_fail "I again restores the order" "rows did not come back"; fi
# > > moves the sort to CPUS (NAME, STATE, CPUS): bravo (2 vCPUs) below
# alpha (1) ascending, above it once inverted.
tui_keys '>' '>'
tui_expect "> > sorts by CPUS (shown as the sort key)" 'CPUS ?(▲|\^)'
tui_keys I
if tui_wait 'CPUS ?(▼|v)' && order_is 0; then pass "I on CPUS: bravo (2 vCPUs) first"; else
	tui_fail "I on CPUS: bravo (2 vCPUs) first" "heading or order wrong"; fi
tui_keys I '<' '<'
tui_expect "< < back to sorting by name" 'NAME ?(▲|\^)'

# --- start, CPU figure, pause/resume from the keyboard ---------------------------
# Pick alpha with the filter so the cursor is on it whatever the order.
tui_keys /
tui_type alpha
tui_keys Enter
tui_wait_gone "$(tui_row_re bravo)"
tui_keys s
tui_expect_row "s starts alpha: running" alpha 'running'
[ "$(cli_state alpha)" = running ]
check $? "the CLI sees alpha running" "state '$(cli_state alpha)'"
# echo.elf spins on the UART: a non-zero CPU% must appear.
tui_expect_row "alpha shows a non-zero CPU figure" alpha \
	'running.* (100|[1-9][0-9]?)(\.[0-9])?%|running.* 0\.[1-9]%'
tui_keys p
tui_expect_row "p pauses alpha" alpha 'paused'
[ "$(cli_state alpha)" = paused ]
check $? "the CLI sees alpha paused" "state '$(cli_state alpha)'"
tui_keys p
tui_expect_row "p again resumes alpha" alpha 'running'
[ "$(cli_state alpha)" = running ]
check $? "the CLI sees alpha running again" "state '$(cli_state alpha)'"

# --- force off asks first ----------------------------------------------------------
tui_keys F
tui_expect "F asks for confirmation" 'confirm force off'
tui_keys n
if tui_wait_gone 'confirm force off' && vm_still running alpha; then
	pass "declining the force off: dialog gone, alpha still running"
else
	tui_fail "declining the force off" "dialog still shown or state '$(cli_state alpha)'"
fi
tui_keys F
tui_wait 'confirm force off' >/dev/null
tui_keys y
tui_expect_row "accepting the force off: alpha shut off" alpha 'shut off'
[ "$(cli_state alpha)" = "shut off" ]
check $? "the CLI sees alpha shut off" "state '$(cli_state alpha)'"
tui_keys /
tui_keys Escape
tui_wait_row bravo bravo

# --- marks and bulk actions -------------------------------------------------------
tui_keys '*'
tui_expect "* marks both VMs" '2 marked'
tui_keys s
tui_expect_row "s with both marked starts alpha" alpha 'running'
tui_expect_row "s with both marked starts bravo" bravo 'running'
tui_keys F
tui_expect "F with both marked asks once, naming both" 'force off 2 VMs'
tui_keys y
tui_expect_row "confirmed: alpha shut off" alpha 'shut off'
tui_expect_row "confirmed: bravo shut off" bravo 'shut off'
[ "$(cli_state bravo)" = "shut off" ]
check $? "the CLI sees bravo shut off" "state '$(cli_state bravo)'"
tui_keys U
if tui_wait_gone '[0-9]+ marked'; then pass "U unmarks all"; else
	tui_fail "U unmarks all" "marks still counted"; fi

# Start alpha again for the rest: quitting must leave it running.
tui_keys /
tui_type alpha
tui_keys Enter
tui_wait_gone "$(tui_row_re bravo)"
tui_keys s
tui_expect_row "s starts alpha again" alpha 'running'
tui_keys /
tui_keys Escape
tui_wait_row bravo bravo

# --- mouse --------------------------------------------------------------------------
# A double click on bravo's row opens its info panel (bravo has 24 MiB).
# Two clicks count as one double click only when they arrive within 0.4 s;
# on a loaded machine starting tmux twice can take longer, so try thrice.
double_click_opens()
{
	for _try in 1 2 3; do
		tui_click_row bravo 2 || return 1
		TUI_TIMEOUT=3 tui_wait 'memory +24 MiB' && return 0
	done
	return 1
}
if double_click_opens; then
	pass "double-click on bravo opens its info panel"
else
	tui_fail "double-click on bravo opens its info panel" "no 'Memory 24 MiB'"
fi
tui_keys Escape
if tui_wait_gone 'memory +24 MiB' && tui_wait "$HEADER"; then pass "Esc closes the info panel"
else tui_fail "Esc closes the info panel" "still shown"; fi
# A single click selects: Enter then opens the clicked VM's panel.
tui_click_row alpha
tui_keys Enter
tui_expect "a click selects alpha: Enter opens alpha's panel" 'memory +16 MiB'
tui_keys Escape
tui_wait_gone 'memory +16 MiB'

# --- help overlay -------------------------------------------------------------------
tui_keys '?'
if tui_wait 'filter by name' && tui_wait 'invert the sort order' &&
	tui_wait 'force off' && tui_wait 'next colou?r theme' && tui_wait 'quit'; then
	pass "? lists the bindings (filter, invert, force off, theme, quit)"
else
	tui_fail "? lists the bindings" "a binding is missing"
fi
tui_keys Escape
if tui_wait_gone 'invert the sort order' && tui_wait_row alpha running; then
	pass "Esc closes the help overlay"
else
	tui_fail "Esc closes the help overlay" "help still shown"
fi

# --- a hung VMM -------------------------------------------------------------------
# alpha's VMM stopped (SIGSTOP to its process group: the supervisor and the
# VM): its control socket accepts but never answers. The list says so and
# keys keep working; once it runs again, so does the row.
vpid=$(cli_vmm_pids alpha | head -n 1)
if [ -n "$vpid" ] && kill -s STOP -- "-$vpid"; then
	tui_expect_row "a VMM that does not answer shows as unknown" alpha 'unknown'
	tui_keys '?'
	tui_expect "keys still work meanwhile: ? opens the help" 'invert the sort order'
	tui_keys Escape
	tui_wait_gone 'invert the sort order' >/dev/null
	kill -s CONT -- "-$vpid"
	tui_expect_row "answering again: alpha back to running" alpha 'running'
else
	fail "cannot stop alpha's VMM (pid '$vpid')"
fi

# --- host dashboard ---------------------------------------------------------------
# (The title line shows host CPU and MEM on every screen: look for what
# only the dashboard draws.)
tui_keys Tab
if tui_wait 'total +[0-9]+% +[0-9]+ cores?' && tui_wait 'used .+ of .+[0-9]+%' &&
	tui_wait_gone "$HEADER"; then
	pass "Tab shows the host dashboard with CPU and memory"
else
	tui_fail "Tab shows the host dashboard" "no CPU/memory figures"
fi
ncpu=$(nproc)
if [ "$ncpu" -gt 1 ] && [ "$ncpu" -le 8 ]; then
	tui_expect "the dashboard has a figure per core (cpu$((ncpu - 1)))" \
		"cpu$((ncpu - 1)) +[0-9]+%"
fi
tui_keys Tab
tui_list_ok "Tab again: back to the list"

# --- resizes ------------------------------------------------------------------------
# After each resize the whole layout follows: heading at the top, both VMs,
# and the key bar on the last line of the new size.
last_line_keybar()
{
	_l=$(printf '%s\n' "$tui_last" | sed -n "${tui_h}p")
	printf '%s\n' "$_l" | grep -Eiq 'help|quit'
}
for size in 80x24 200x60 120x40; do
	tui_resize "$size"
	[ "$(tui_pane_size)" = "$size" ] || fail "tmux did not resize to $size"
	tui_list_ok "resized to $size: heading and both VMs, no debris"
	# The key bar moves to the new last line (not left where it was).
	_d=150
	until tui_last=$(tui_screen) && last_line_keybar; do
		_d=$((_d - 1))
		[ $_d -gt 0 ] || break
		sleep 0.1
	done
	if last_line_keybar; then pass "resized to $size: key bar on line $tui_h"; else
		tui_fail "resized to $size: key bar on line $tui_h" "line $tui_h has no key bar"; fi
done
# Too small to lay anything out: says so, survives keys, and comes back.
tui_resize 20x4
tui_expect "at 20x4: says the terminal is too small" 'too small'
tui_keys '?' Escape
tui_resize 120x40
tui_list_ok "from 20x4 back to 120x40: heading and both VMs"
tui_resize 80x24
tui_expect_row "at 80x24 alpha's row still has its CPU%" alpha 'running.*[0-9]%'
tui_resize 120x40

# --- theme switch, persisted -----------------------------------------------------------
# The look of the heading and title lines (their SGR sequences) identifies
# the theme: it must change on t and come back the same after a restart.
theme_look()
{
	tui_screen_sgr | head -n 3 | grep -Eo "$(printf '\033')\\[[0-9;:]*m" | LC_ALL=C sort -u |
		tr -d '\n'
}
tui_wait "$HEADER" >/dev/null
look0=$(theme_look)
tui_keys t
_d=100
while [ $_d -gt 0 ] && [ "$(theme_look)" = "$look0" ]; do
	sleep 0.1
	_d=$((_d - 1))
done
look1=$(theme_look)
[ "$look1" != "$look0" ]
check $? "t changes the theme (colours of the title and heading)" "same SGR: $look0"
saved=
_d=50
while [ $_d -gt 0 ]; do
	saved=$(sed -n 's/^[[:space:]]*theme[[:space:]]*=[[:space:]]*//p' "$CONF" 2>/dev/null |
		tail -n 1)
	[ -n "$saved" ] && break
	sleep 0.1
	_d=$((_d - 1))
done
if [ -n "$saved" ] && [ "$saved" != dark ]; then
	pass "the theme choice is saved in the config file (theme = $saved)"
else
	fail "the theme choice is saved in $CONF: got '$saved' ($(tr '\n' '|' <"$CONF" 2>/dev/null))"
fi

# --- q quits, the VM stays -------------------------------------------------------------------
tui_keys q
st=$(tui_wait_exit)
check $? "q quits" "virtty still running"
[ "$st" = 0 ]
check $? "q exits with status 0" "status '$st'"
[ "$(cli_state alpha)" = running ]
check $? "alpha still running after quitting (info)" "state '$(cli_state alpha)'"
[ "$(cli_list_state alpha)" = running ]
check $? "virtty list shows alpha running after quitting" "$(cli_last)"

# The saved theme is used at the next start.
tui_start
tui_wait "$HEADER" >/dev/null
_d=100
while [ $_d -gt 0 ] && [ "$(theme_look)" != "$look1" ]; do
	sleep 0.1
	_d=$((_d - 1))
done
[ "$(theme_look)" = "$look1" ]
check $? "restarted: the saved theme is used" "look differs from before the restart"
tui_keys q
tui_wait_exit >/dev/null

# --- terminals and locales -------------------------------------------------------------------
# variant NAME VAR=VALUE...: starts, shows the list, quits with 0; leaves
# the SGR screen in $sgr and the text screen in $tui_last.
variant()
{
	_name=$1
	shift
	tui_start "$@"
	tui_list_ok "$_name: starts and shows the list"
	tui_wait_row alpha 'running' >/dev/null
	sgr=$(tui_screen_sgr)
	tui_last=$(tui_screen)
	shot=$tui_last
	tui_keys q
	_st=$(tui_wait_exit)
	if [ "$_st" = 0 ]; then
		pass "$_name: q exits with status 0"
	else
		fail "$_name: q exits with status 0: status '$_st'"
		tui_screen | sed 's/^/    | /'
	fi
	tui_last=$shot
}
has_kind()
{
	printf '%s\n' "$1" | grep -qx "$2"
}

variant "NO_COLOR=1" NO_COLOR=1
kinds=$(tui_colours "$sgr")
[ -z "$kinds" ]
check $? "NO_COLOR=1: no colours at all" "colours used: $(printf "%s " $kinds)"

variant "TERM=xterm" TERM=xterm
kinds=$(tui_colours "$sgr")
if has_kind "$kinds" 8 && ! has_kind "$kinds" 256 && ! has_kind "$kinds" rgb; then
	pass "TERM=xterm: the 8 basic colours only"
else
	fail "TERM=xterm: the 8 basic colours only: used $(printf "%s " $kinds)"
fi

variant "TERM=xterm-256color" TERM=xterm-256color
kinds=$(tui_colours "$sgr")
if [ -n "$kinds" ] && ! has_kind "$kinds" rgb; then
	pass "TERM=xterm-256color: colours, no truecolor"
else
	fail "TERM=xterm-256color: colours, no truecolor: used '$(printf "%s " $kinds)'"
fi

if infocmp xterm-direct >/dev/null 2>&1; then
	variant "TERM=xterm-direct" TERM=xterm-direct
	kinds=$(tui_colours "$sgr")
	[ -n "$kinds" ]
	check $? "TERM=xterm-direct: colours" "no colours"
else
	echo "SKIP: TERM=xterm-direct: no terminfo entry (Debian package ncurses-term)"
fi

# --- --theme: a broken or unknown theme is reported, the TUI still runs -------
mkdir -p "$XDG_CONFIG_HOME/virtty/themes"
printf '[colors]\nnormal = no-such-colour\n' >"$XDG_CONFIG_HOME/virtty/themes/broken.theme"
tui_start -s 200x40 -- --theme broken
tui_list_ok "--theme broken: starts and shows the list"
tui_expect "--theme broken: the error names the file and line" 'broken\.theme line 2'
tui_keys q
tui_wait_exit >/dev/null
tui_start -s 200x40 -- --theme nosuch
tui_list_ok "--theme nosuch: starts and shows the list"
tui_expect "--theme nosuch: the error names the theme" "nosuch"
tui_keys q
tui_wait_exit >/dev/null

# A non-UTF-8 locale: nothing but ASCII, on the list and on the dashboard
# (whose graphs use braille or blocks in UTF-8).
tui_start LANG=C
tui_list_ok "LANG=C: starts and shows the list"
tui_wait_row alpha 'running' >/dev/null
if tui_non_ascii "$tui_last"; then
	tui_fail "LANG=C: the list is plain ASCII" "non-ASCII bytes on the screen"
else
	pass "LANG=C: the list is plain ASCII"
fi
tui_keys Tab
tui_wait 'mem' >/dev/null
tui_wait_gone "$HEADER" >/dev/null
sleep 2 # a few samples, so the graphs have something to draw
tui_last=$(tui_screen)
if ! tui_non_ascii "$tui_last" && ! tui_shows_garbage "$tui_last"; then
	pass "LANG=C: the host dashboard (graphs) is plain ASCII"
else
	tui_fail "LANG=C: the host dashboard is plain ASCII" "non-ASCII bytes or debris"
fi
tui_keys q
tui_wait_exit >/dev/null
# The same dashboard in UTF-8 draws its graphs with non-ASCII cells: the
# ASCII above is a fallback, not the only style.
tui_start
tui_wait "$HEADER" >/dev/null
tui_keys Tab
tui_wait_gone "$HEADER" >/dev/null
sleep 2
tui_last=$(tui_screen)
tui_non_ascii "$tui_last"
check $? "C.UTF-8: the host dashboard graphs use UTF-8 characters" "plain ASCII"
tui_keys q
tui_wait_exit >/dev/null

[ "$(cli_state alpha)" = running ]
check $? "alpha still running after every TUI run" "state '$(cli_state alpha)'"
cli_summary
