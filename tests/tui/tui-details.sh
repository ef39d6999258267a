#!/bin/sh
# tui-details.sh: the VM details page in a tmux pane: Enter opens it, 1/2/3
# and Left/Right switch sections, Hardware edits memory, vCPUs and the
# display (seen by `virtty info`, refused when out of range, "applies at
# next start" while running), lifecycle keys with their confirmations, C
# clones a VM with a new:SIZE disk behind a progress box, the name is
# checked first, v opens the graphical console of a running VM (Ctrl-]
# comes back) and is refused with a reason for a VM that is not running or
# has no display, 80x24.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tmux-lib.sh"
tui_setup
E=$work/echo.elf
HEADER='NAME[^ ]* +STATE'

# info_field FIELD NAME: FIELD of `virtty --json info NAME`.
info_field()
{
	run --json info "$2"
	printf '%s' "$out" | cli_json_field "$1" 2>/dev/null
}

expect_rc "define alpha" 0 define alpha --kernel "$E" --cpus 1 --memory 16
expect_rc "define bravo (with a new 8 MiB disk)" 0 define bravo --kernel "$E" --cpus 2 \
	--memory 24 --disk new:8M

# --- open, sections ---------------------------------------------------------
tui_start
tui_wait_row bravo 'shut off' >/dev/null
tui_keys /
tui_type bravo
tui_keys Enter
tui_wait_gone "$(tui_row_re alpha)" >/dev/null
tui_keys Enter
tui_expect "Enter opens the details page on Overview" '1 Overview.*2 Performance.*3 Hardware'
tui_expect "Overview shows memory and vCPUs" 'Memory +24 MiB'
tui_expect "Overview shows the kernel" "Kernel +$work/echo.elf"
tui_expect "Overview shows the new disk" 'Disks +/.*bravo.*raw'
tui_expect "Overview: IP unknown (no networks yet)" 'IP +unknown'
tui_keys 2
tui_expect "2 shows Performance: CPU graph with its span" 'CPU .*last [0-9]+ s'
tui_expect "Performance: memory, disk and network lines" 'Network +rx'
tui_keys Right
tui_expect "Right moves to Hardware" 'CPUs +2 vCPUs'
tui_expect "Hardware lists the disk read-write" 'Disk .*read-write'
tui_expect "Hardware: console serial, NIC on default" 'NIC +default +52:54:00:'
tui_expect "Hardware: a 1024x768 VNC display by default" 'Display +1024x768, VNC'
tui_keys Left Left
tui_expect "Left, Left back to Overview" 'Uptime +not running'

# --- Hardware: edit memory of a shut-off VM -----------------------------------
tui_keys 3 Down Enter
tui_expect "Enter on Memory opens the input" 'Memory \(MiB'
tui_keys C-u
tui_type 999999999
tui_keys Enter
tui_expect "more than the host's RAM is refused in the dialog" "more than the host"
tui_keys C-u
tui_type 48M
tui_keys Enter
tui_expect "the new memory shows in Hardware" 'Memory +48 MiB'
[ "$(info_field memory_mib bravo)" = 48 ]
check $? "virtty info sees 48 MiB" "memory_mib '$(info_field memory_mib bravo)'"
# vCPUs: out of range refused, 3 accepted.
tui_keys Up Enter
tui_expect "Enter on CPUs opens the input" 'vCPUs \(1 to 64\)'
tui_keys C-u
tui_type 65
tui_keys Enter
tui_expect "65 vCPUs refused" "use a number from 1 to 64"
tui_keys C-u
tui_type 3
tui_keys Enter
tui_expect "3 vCPUs shown" 'CPUs +3 vCPUs'
[ "$(info_field vcpus bravo)" = 3 ]
check $? "virtty info sees 3 vCPUs" "vcpus '$(info_field vcpus bravo)'"
# The display: resized, a size out of bounds refused, removed, added back.
tui_keys Down Down Enter
tui_expect "Enter on Display opens the input" 'Display: WIDTHxHEIGHT'
tui_keys C-u
tui_type 10x10
tui_keys Enter
tui_expect "a 10x10 screen is refused" "must be from 64 to 4096 pixels"
tui_keys C-u
tui_type 800x600
tui_keys Enter
tui_expect "the new resolution shows in Hardware" 'Display +800x600, VNC'
[ "$(info_field resolution bravo)" = 800x600 ]
check $? "virtty info sees 800x600" "resolution '$(info_field resolution bravo)'"
tui_keys Enter C-u
tui_type none
tui_keys Enter
tui_expect "'none' removes the display" 'Display +none'
run info bravo
grep_in "$out" '^Display: +none$'
check $? "virtty info: no display" "$(cli_last)"
tui_keys v
tui_expect "v on a shut-off VM says it is not running" \
	"VM 'bravo' is not running: no graphical console"
tui_keys Enter C-u
tui_type vnc
tui_keys Enter
tui_expect "'vnc' adds it back at its last size" 'Display +800x600, VNC'
tui_keys Up Up

# --- clone with progress ------------------------------------------------------
tui_keys C
tui_expect "C asks for the clone's name" 'Name of the new VM'
tui_keys C-u
tui_type alpha
tui_keys Enter
tui_expect "an existing name is refused" "VM 'alpha' already exists"
tui_keys C-u
tui_type 'bad name'
tui_keys Enter
tui_expect "an invalid name is refused" "bad name"
tui_keys C-u
tui_type charlie
tui_keys Enter
tui_expect "the clone finishes (box or status)" "Done|cloned to 'charlie'"
tui_keys Escape
run list
grep_in "$out" '^ *charlie '
check $? "virtty list shows the clone" "$(cli_last)"
[ "$(info_field memory_mib charlie)" = 48 ]
check $? "the clone has bravo's memory" "memory_mib '$(info_field memory_mib charlie)'"
charlie_disk=$(find "$VIRTTY_HOME" -path '*charlie*' -type f -size +1M | head -n 1)
[ -n "$charlie_disk" ] && [ "$(stat -c %s "$charlie_disk")" = 8388608 ]
check $? "the clone has its own 8 MiB disk in its storage" "'$charlie_disk'"

# --- lifecycle keys from the details page -------------------------------------
tui_keys s
tui_expect "s starts bravo from its details page" '\[running\]'
wait_state bravo running 15
check $? "bravo running per the CLI" "state '$(cli_state bravo)'"
tui_keys 3 Up Enter C-u
tui_type 2
tui_keys Enter
tui_expect "a change while running: applies at next start" 'applies at next start'
tui_keys 1
tui_expect "Overview notes the pending change" 'Pending +configuration changed'
tui_keys C
tui_expect "C on a running VM says to shut it down first" "shut it down first"
# v lends the terminal to the VNC viewer; Ctrl-] gives it back.
tui_keys v
tui_wait_gone '1 Overview' >/dev/null
check $? "v on a running VM with a display opens the viewer" "$tui_last"
tui_keys C-]
tui_expect "Ctrl-] leaves the viewer: the details page is back" '1 Overview.*3 Hardware'
tui_expect "...and the status line says so" "left the graphical console of VM 'bravo'"
tui_keys F
tui_expect "F asks first" 'Force off VM .bravo.'
tui_keys n
tui_wait_gone 'Force off VM' >/dev/null
[ "$(cli_state bravo)" = running ]
check $? "n leaves bravo running" "state '$(cli_state bravo)'"
tui_keys F
tui_wait 'Force off VM' >/dev/null
tui_keys y
tui_expect "y forces bravo off" '\[shut off\]'

# --- Esc back to the list; 80x24 ----------------------------------------------
tui_keys Escape
tui_expect "Esc goes back to the list" "$HEADER"
tui_keys q
tui_wait_exit >/dev/null
# A running VM without a display: v says why and how to add one.
expect_rc "define delta (no display)" 0 define delta --kernel "$E" --memory 16 --display none
expect_rc "start delta" 0 start delta
tui_start -s 80x24
tui_wait_row alpha 'shut off' >/dev/null
tui_wait_row delta 'running' >/dev/null
tui_keys /
tui_type delta
tui_keys Enter
tui_wait_gone "$(tui_row_re alpha)" >/dev/null
tui_keys v
tui_expect "v on a VM without a display is refused with the reason" \
	"VM 'delta' has no display; add one with 'virtty set delta --display vnc'"
tui_expect "...and the list is still there" "$HEADER"
tui_keys Escape
tui_wait_row alpha 'shut off' >/dev/null
tui_keys /
tui_type alpha
tui_keys Enter
tui_wait_gone "$(tui_row_re bravo)" >/dev/null
tui_keys Enter
tui_expect "80x24: the tabs fit" '3 Hardware'
tui_keys 2
tui_expect "80x24: the network graph label still shows" 'Network'
tui_resize 100x30
tui_expect "resized: Performance re-laid out" 'Network'
tui_keys q
tui_wait_exit >/dev/null
cli_summary
