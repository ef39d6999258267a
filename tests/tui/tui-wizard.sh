#!/bin/sh
# tui-wizard.sh: the New VM wizard (`n` on the list) driven with keys at
# 80x24: bad input is refused with its message beside the field (empty
# name, a duplicate, a missing kernel, 0 vCPUs, too much memory, a screen
# too small), a VM is created with a new disk, an 800x600 display and
# "Start now" and shows up running and selected; a second wizard cancelled midway (with its "discard?" question)
# leaves the store untouched; Esc on an untouched wizard just closes it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tmux-lib.sh"
tui_setup
I=$work/idle.elf # halts at once: no CPU, no output
HEADER='NAME[^ ]* +STATE'

expect_rc "define alpha" 0 define alpha --kernel "$I" --memory 16
tui_start -s 80x24
tui_expect "list shown" "$HEADER"

# --- step 1: name -----------------------------------------------------------------
tui_keys n
tui_expect "n opens the wizard at step 1" 'step 1 of 6: Name'
tui_keys Enter
tui_expect "an empty name is refused" 'Name .*a name is required'
tui_type alpha
tui_keys Enter
tui_expect "a taken name is refused" "VM 'alpha' already exists"
tui_keys C-u
tui_type 'bad name'
tui_keys Enter
tui_expect "a name with a blank is refused" "invalid name 'bad name'"
tui_keys C-u
tui_type web1
tui_keys Enter

# --- step 2: boot source ----------------------------------------------------------
tui_expect "Next goes to the boot step" 'step 2 of 6: Boot'
tui_expect "the command line defaults to console=ttyS0" 'Command line +console=ttyS0'
tui_type "$work/no-such-kernel"
tui_keys Enter
tui_expect "a missing kernel is refused" 'kernel: No such file or directory'
tui_expect "...and the wizard stays on the boot step" 'step 2 of 6'
tui_keys C-u
tui_type "$I"
tui_keys Enter

# --- step 3: CPUs and memory --------------------------------------------------------
tui_expect "the resources step shows the host's figures" \
	'this host: [0-9]+ CPUs?, [0-9.]+ [GM]iB'
tui_keys C-u
tui_type 0
tui_keys Tab
tui_expect "0 vCPUs is refused when leaving the field" 'vCPUs must be 1 to 64'
tui_keys BTab C-u
tui_type 1
tui_keys Tab C-u
tui_type 4T
tui_keys Enter
tui_expect "memory beyond the host's RAM is refused" "Memory +4T +more than this host's"
tui_expect "...and the wizard stays on the resources step" 'step 3 of 6'
tui_keys C-u
tui_type 32
# The display: VNC 1024x768 by default; "other size" asks for the size.
tui_expect "a VNC display is the default" 'Display +[^ ]* ?VNC 1024x768'
! tui_screen | grep -q 'Resolution'
check $? "no resolution field for the default display" "$(tui_screen)"
tui_keys Tab Right
tui_expect "'other size' shows the resolution field" 'Resolution +1280x800'
tui_keys Tab C-u
tui_type 20x20
tui_keys Enter
tui_expect "a 20x20 screen is refused beside the field" 'must be 64 to 4096 pixels'
tui_expect "...and the wizard stays on the resources step" 'step 3 of 6'
tui_keys C-u
tui_type 800x600
tui_keys Enter

# --- step 4: storage, 5: network, 6: summary -------------------------------------
tui_expect "Next goes to the storage step" 'step 4 of 6: Storage'
tui_keys Right
tui_expect "new disk: its size defaults to 1G" 'Size +1G'
tui_keys Down C-u
tui_type 0
tui_keys Enter
tui_expect "a disk of size 0 is refused" "'0'"
tui_keys C-u
tui_type 64M
tui_keys Enter
tui_expect "the network step offers the networks, default first" 'Network +. ?default \(nat\)'
tui_keys Enter
tui_expect "the summary lists the kernel" 'Kernel +.*idle\.elf'
tui_expect "the summary lists the memory" 'Memory +32 MiB'
tui_expect "the summary lists the new disk" 'Storage +new disk of 64'
tui_expect "the summary lists the display" 'Display +800x600, VNC'
tui_expect "Start now is offered, checked" 'Start now +\[x\]'
run list
if ! grep_in "$out" web1 && [ ! -e "$VIRTTY_HOME/vms/web1" ]; then
	pass "nothing is created before Finish"
else
	fail "web1 exists before Finish: $(cli_last)"
fi
tui_keys Enter
tui_expect_row "Finish: web1 is listed, running" web1 'running'
tui_expect "the status line says it was created and started" "VM 'web1' created and started"
# The cursor is on the new VM: the next action (delete, asks first)
# names it. The question is answered No.
tui_keys D
tui_expect "the new VM is the selected row (D asks about web1)" "delete.*web1"
tui_keys n
tui_wait_gone "delete.*web1" >/dev/null
[ "$(cli_state web1)" = running ]
check $? "virtty agrees: web1 is running" "state '$(cli_state web1)'"
run --json info web1
[ "$(printf '%s' "$out" | cli_json_field memory_mib 2>/dev/null)" = 32 ]
check $? "web1 has the 32 MiB typed in the wizard" "$(cli_last)"
[ "$(printf '%s' "$out" | cli_json_field resolution 2>/dev/null)" = 800x600 ]
check $? "web1 has the 800x600 display chosen in the wizard" "$(cli_last)"

# --- a second wizard, cancelled midway: no trace ------------------------------------
before=$(cli_store_digest)
tui_keys n
tui_expect "a second wizard opens" 'step 1 of 6'
tui_type ghost
tui_keys Enter
tui_expect "...on to the boot step" 'step 2 of 6'
tui_type "$I"
tui_keys Escape
tui_expect "Esc after typing asks first" 'Discard this new VM'
tui_keys n
tui_expect "No keeps the wizard and what was typed" 'Kernel +.*idle\.elf'
tui_keys Escape
tui_expect "Esc asks again" 'Discard this new VM'
tui_keys y
tui_expect_row "Yes returns to the list" web1 'running'
run list
if ! grep_in "$out" ghost && [ "$(cli_store_digest)" = "$before" ]; then
	pass "a cancelled wizard leaves no trace (virtty list, the store)"
else
	fail "cancelled wizard left something: $(cli_last)"
fi
# --- the driver refuses at Finish: the error shows on the summary, which stays ---
tui_keys n
tui_expect "another wizard opens" 'step 1 of 6'
tui_type late
tui_keys Enter
tui_expect "...boot step" 'step 2 of 6'
tui_type "$I"
tui_keys Enter Enter Enter Enter
tui_expect "...summary" 'step 6 of 6: Summary'
# Someone else takes the name meanwhile: the worker checks again.
expect_rc "define late from the CLI while the wizard is open" 0 define late --kernel "$I" \
	--memory 16
tui_keys Enter
tui_expect "Finish on a name taken meanwhile: the error is shown" \
	"VM 'late' already exists"
# The worker refuses it and the wizard stays on the summary; or, when the
# list was sampled again before Enter, Finish's own checks send the user
# to the name step. Either way nothing was created.
tui_expect "...on the summary, or on the name step with the name marked" \
	'step 6 of 6: Summary|Name +late +VM .late. already exists'
[ "$(cli_state late)" = "shut off" ]
check $? "the other 'late' is untouched (not started)" "state '$(cli_state late)'"
tui_keys Escape
tui_expect "Esc asks before discarding" 'Discard this new VM'
tui_keys y
tui_expect "back to the list" "$HEADER"

tui_keys n
tui_expect "a third wizard opens" 'step 1 of 6'
tui_keys Escape
tui_expect "Esc on an untouched wizard closes it at once" "$HEADER"

tui_keys q
tui_wait_exit >/dev/null
cli_summary
