#!/bin/sh
# tui-console.sh: the serial console screen. `c` on a running echo guest
# opens it with what the guest printed before (the VMM replays it), typed
# keys reach the guest (it answers upper-cased; Ctrl-C too, as a byte), the
# bar names the VM and Ctrl-] goes back to the list; `c` on a stopped VM
# says why not; a pasted flood of input leaves the UI answering; the screen
# follows resizes and works at 80x24; when the VM stops the text stays and
# the bar says so; Shift-PgUp scrolls back and a typed key comes back.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tmux-lib.sh"
tui_setup
E=$work/echo.elf
HEADER='NAME[^ ]* +STATE'

expect_rc "define alpha" 0 define alpha --kernel "$E" --memory 16
expect_rc "define bravo" 0 define bravo --kernel "$E" --memory 16
expect_rc "start alpha" 0 start alpha
wait_state alpha running 20 || fail "alpha never running"

# --- a stopped VM has no console -------------------------------------------------
tui_start -s 80x24
tui_expect "list shown at 80x24" "$HEADER"
tui_wait_row alpha running || tui_fail "alpha running in the list" "no"
tui_keys / ; tui_type bravo ; tui_keys Enter # only bravo (shut off) shown
tui_wait_gone "$(tui_row_re alpha)" || tui_fail "filter shows bravo alone" "alpha shown"
tui_keys c
tui_expect "c on a stopped VM: refused with a reason" "bravo' is not running"
if printf '%s\n' "$tui_last" | grep -q 'Ctrl-] back'; then
	tui_fail "c on a stopped VM opens nothing" "console bar shown"
else
	pass "c on a stopped VM opens nothing"
fi

# --- the console of alpha ------------------------------------------------------------
tui_keys Escape # clears the filter
tui_wait "$(tui_row_re alpha)" || tui_fail "filter cleared" "alpha not shown"
tui_keys Up c
tui_expect "console bar names the VM, its state and the way back" \
	'Console: alpha +\(running\).*Ctrl-\] back'
tui_expect "earlier output replayed" '^echo: ready'
tui_type abc
tui_expect "typed a: the guest answers" 'echo: A'
tui_expect "typed b: the guest answers" 'echo: B'
tui_expect "typed c: the guest answers" 'echo: C'
# Keys that are global elsewhere belong to the guest here.
tui_type 't'
tui_expect "t goes to the guest, not the theme switch" 'echo: T'
# Esc reaches the guest too (its echo of ESC eats the next 'e': a real
# terminal would do the same).
tui_keys Escape Tab
tui_type f
tui_expect "Esc and Tab go to the guest, the console stays" 'cho: F'
tui_wait 'Console: alpha' && pass "Esc and Tab did not leave the console" ||
	tui_fail "Esc and Tab did not leave the console" "console gone"
# Ctrl-C is a byte for the guest, not a signal that ends virtty.
tui_keys C-c
tui_type g
tui_expect "Ctrl-C goes to the guest; virtty stays" 'echo: G'
if tui_shows_garbage "$tui_last"; then
	tui_fail "no escape-sequence debris" "control characters on the screen"
else
	pass "no escape-sequence debris"
fi

# --- resize: the emulator follows the window --------------------------------------
tui_resize 100x30
tui_wait 'Console: alpha' && pass "console survives a resize" ||
	tui_fail "console survives a resize" "gone"
tui_type d
tui_expect "keys still reach the guest after the resize" 'echo: D'
tui_resize 80x24

# --- back to the list --------------------------------------------------------------
tui_keys C-]
tui_expect "Ctrl-] returns to the list" "$HEADER"
tui_wait_row alpha running && pass "alpha keeps running after leaving its console" ||
	tui_fail "alpha keeps running after leaving its console" "state changed"

# --- a flood of input: the UI keeps answering -------------------------------------
tui_keys Up c
tui_wait 'Console: alpha' || tui_fail "console opens again" "no"
flood=$(python3 -c 'print("x" * 4000, end="")')
tui_type "$flood"
tui_keys C-]
tui_expect "after a 4000-byte paste, Ctrl-] still answers" "$HEADER" 30
tui_keys q
st=$(tui_wait_exit 60)
[ "$st" = 0 ]
check $? "q quits after the flood" "exit '$st'"

# --- scrollback and the VM stopping ------------------------------------------------
tui_start -s 80x24
tui_wait_row alpha running
tui_keys Up c
tui_expect "console reopened" '^echo: ready|echo: X'
# A guest reset restarts the VMM: its console socket closes and comes back;
# the screen reconnects instead of saying the console closed.
"$top_builddir/tests/tools/vmmctl" "$VIRTTY_RUNTIME_DIR/alpha/control.sock" \
	'{"cmd":"reset"}' >/dev/null 2>&1 || fail "vmmctl reset alpha"
sleep 2
tui_type h
tui_expect "after a reset the console reconnects: keys reach the new guest" 'echo: H' 30
if printf '%s\n' "$tui_last" | grep -q 'console closed'; then
	tui_fail "a reset does not close the console" "bar says console closed"
else
	pass "a reset does not close the console"
fi
tui_keys S-PPage
tui_expect "Shift-PgUp scrolls back (the bar says how far)" 'scrolled back [0-9]+'
tui_type e
tui_expect "a typed key returns to the bottom" 'echo: E'
tui_wait_gone 'scrolled back' && pass "the bar no longer says scrolled back" ||
	tui_fail "the bar no longer says scrolled back" "still scrolled"
tui_type q # echo.elf powers off on q
tui_expect "the VM stopping is shown in the bar" 'console closed'
tui_expect "the text stays after the VM stopped" 'echo: E'
tui_keys C-]
tui_expect "back to the list after the VM stopped" "$HEADER"
tui_keys q
tui_wait_exit >/dev/null
cli_summary
