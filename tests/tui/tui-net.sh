#!/bin/sh
# tui-net.sh: the networks view (N) and the New Network wizard driven with
# keys: `default` listed; a bad subnet and a DHCP range outside the subnet
# refused beside their fields (the wizard stays); a natnet network created
# and listed by `virtty net-list`; an internal network created, started
# and stopped from the view and deleted; a delete the driver refuses shown
# in a box; autostart toggled; a port forward added and removed; the
# details page; the New VM wizard putting a VM on the new network (`virtty
# info` shows the NIC); a narrow terminal and a click.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tmux-lib.sh"
tui_setup
I=$work/idle.elf # halts at once: no CPU, no output
HEADER='NAME[^ ]* +STATE'
NETHEAD='NAME +MODE +STATE'

# Switches this run started (a failed test must not leave them running).
net_cleanup()
{
	for p in $(ps -eo pid=,args= | awk -v w="$work" \
		'$2 ~ /virtty-netd$/ && index($0, w) {print $1}'); do
		kill "$p" 2>/dev/null
	done
}
trap 'net_cleanup; tui_cleanup' EXIT

# net_row NAME: the networks view's row of NAME ("" if not shown).
net_row()
{
	printf '%s\n' "${2-$(tui_screen)}" | grep -E -- "^ +$1 " | head -n 1
}

# net_expect_row TEST NAME REGEX: PASS once NAME's row matches REGEX.
net_expect_row()
{
	_deadline=$(($(date +%s) + TUI_TIMEOUT))
	while :; do
		tui_last=$(tui_screen)
		if net_row "$2" "$tui_last" | grep -Eq -- "$3"; then
			pass "$1"
			return 0
		fi
		if [ "$(date +%s)" -ge "$_deadline" ] || tui_dead; then
			tui_fail "$1" "row of $2 never matched /$3/"
			return 1
		fi
		sleep 0.1
	done
}

# cli_net_state NAME: the STATE column of `virtty net-list` for NAME.
cli_net_state()
{
	run net-list
	printf '%s\n' "$out" | awk -v n="$1" '$1 == n {print $3}'
}

expect_rc "define alpha" 0 define alpha --kernel "$I" --memory 16
tui_start -s 110x32
tui_expect "list shown" "$HEADER"

# --- the view ---------------------------------------------------------------------
tui_keys N
tui_expect "N opens the networks view" 'Networks - Local'
tui_expect "...with its columns" "$NETHEAD +SUBNET"
net_expect_row "default is listed: nat, active, 10.0.2.0/24" default \
	'default +nat +active +10\.0\.2\.0/24 +yes'
tui_expect "the key bar names the view's keys" 'nNew +sStart +dStop +DDelete'

# --- the wizard: bad subnet, DHCP outside, then a natnet network -----------------------
tui_keys n
tui_expect "n opens the New Network wizard" 'New Network - step 1 of 5: Name'
tui_type default
tui_keys Enter
tui_expect "a taken name is refused" "network 'default' already exists"
tui_keys C-u
tui_type lan1
tui_keys Enter
tui_expect "on to the mode step" 'step 2 of 5: Mode'
tui_expect "the reachability table is shown" 'mode +VM<->host +VM1<->VM2 +VM->outside'
tui_expect "...natnet's row: no, yes, yes, port forwards" \
	'natnet +no +yes +yes +port forwards'
tui_expect "...and that hostonly/bridged need CAP_NET_ADMIN" 'need root or CAP_NET_ADMIN'
tui_keys Enter
tui_expect "on to the addresses step" 'step 3 of 5: Addresses'
tui_expect "the subnet is prefilled" 'Subnet +10\.0\.[0-9]+\.0/24'
tui_expect "the DHCP range is prefilled" 'DHCP start +10\.0\.[0-9]+\.15'
tui_keys C-u
tui_type 10.0.300.0/24
tui_keys Enter
tui_expect "a bad subnet is refused beside the field" "Subnet .*subnet '10\\.0\\.300\\.0/24'"
tui_expect "...and the wizard stays on the addresses step" 'step 3 of 5'
tui_keys C-u
tui_type 10.0.77.0/24
tui_expect "the DHCP range follows the subnet typed" 'DHCP start +10\.0\.77\.15'
tui_keys Tab C-u
tui_type 10.0.78.20
tui_keys Enter
tui_expect "a DHCP start outside the subnet is refused" \
	'DHCP start +10\.0\.78\.20 +10\.0\.78\.20 is outside 10\.0\.77\.0/24'
tui_expect "...and the wizard stays on the addresses step" 'step 3 of 5'
tui_keys C-u
tui_type 10.0.77.20
tui_keys Enter
tui_expect "on to the port forwards step" 'step 4 of 5: Port forwards'
tui_type tcp:2222-web:22
tui_keys Enter
tui_expect "a natnet forward to a VM name is refused" 'forwards to a guest address'
tui_keys C-u Enter
tui_expect "on to the summary" 'step 5 of 5: Summary'
tui_expect "the summary shows the subnet" 'Subnet +10\.0\.77\.0/24'
tui_expect "the summary shows the DHCP range" 'DHCP +10\.0\.77\.20 - 10\.0\.77\.30'
run net-list
if ! grep_in "$out" lan1; then pass "nothing is created before Finish"; else
	fail "lan1 exists before Finish: $(cli_last)"; fi
tui_keys Space
tui_expect "autostart unchecked" 'Autostart +\[ \]'
tui_keys Enter
net_expect_row "Finish: lan1 is listed, inactive" lan1 'lan1 +natnet +inactive +10\.0\.77\.0/24 +no'
tui_expect "the status line says it was created" "network 'lan1' created"
run net-list
grep_in "$out" '^lan1 +natnet'
check $? "virtty net-list shows lan1" "$(cli_last)"

# --- an internal network: created, started, stopped, deleted --------------------------
tui_keys n
tui_expect "a second wizard" 'step 1 of 5'
tui_type seg1
tui_keys Enter Right
tui_expect "Right picks internal; its row is highlighted" 'Mode +. ?internal'
tui_keys Enter
tui_expect "internal has no addresses: straight to the summary" 'step 5 of 5: Summary'
tui_expect "...which shows the mode" 'Mode +internal'
tui_keys Space Enter
net_expect_row "seg1 is listed, inactive" seg1 'seg1 +internal +inactive'
tui_keys s
net_expect_row "s starts it" seg1 'seg1 +internal +active'
[ "$(cli_net_state seg1)" = active ]
check $? "virtty net-list agrees: seg1 active" "$(cli_last)"
tui_keys d
tui_expect "d asks before stopping" "Stop network 'seg1'"
tui_keys y
net_expect_row "...and stops it" seg1 'seg1 +internal +inactive'
[ "$(cli_net_state seg1)" = inactive ]
check $? "virtty net-list agrees: seg1 inactive" "$(cli_last)"
tui_keys D
tui_expect "D asks before deleting" "Delete network 'seg1'"
tui_keys y
if tui_wait_gone '^ +seg1 '; then pass "seg1 deleted from the view"; else
	tui_fail "seg1 deleted from the view" "still listed"; fi
run net-list
! grep_in "$out" seg1
check $? "virtty net-list no longer shows seg1" "$(cli_last)"

# --- a refusal: lan1 has a VM defined on it -------------------------------------------
expect_rc "define beta on lan1" 0 define beta --kernel "$I" --memory 16 --nic lan1
# The cursor onto lan1 (sorted by name: default, lan1). Up/Down rather
# than Home: tmux sends Home as its own terminal type has it.
tui_keys Up Up Down D
tui_expect "D on lan1 asks first" "Delete network 'lan1'"
tui_keys y
tui_expect "the driver's refusal shows in a box" "Cannot delete network 'lan1'"
tui_expect "...naming the VM on it" 'beta'
tui_keys Enter
tui_wait_gone "Cannot delete" >/dev/null
check $? "Enter closes the box" "$(tui_screen)"
run net-list
grep_in "$out" '^lan1 '
check $? "lan1 is still there" "$(cli_last)"

# --- autostart, details --------------------------------------------------------------
tui_keys a
net_expect_row "a turns autostart on" lan1 'lan1 +natnet +[a-z]+ +10\.0\.77\.0/24 +yes'
tui_keys Enter
tui_expect "Enter shows the details" 'Network lan1'
tui_expect "...the gateway" 'Gateway +10\.0\.77\.2'
tui_expect "...the DHCP range" 'DHCP +10\.0\.77\.20 - 10\.0\.77\.30'
tui_expect "...the VMs on it" 'VMs +1 defined, 0 running: beta'
tui_keys Escape
tui_expect "Esc goes back to the view" "$NETHEAD"

# --- port forwards on default (nat) ----------------------------------------------------
tui_keys Up f
tui_expect "f opens the forwards of default" 'Port forwards of default'
tui_keys a
tui_expect "a asks for a forward" 'Add a port forward'
tui_keys C-u
tui_type 'tcp:nonsense'
tui_keys Enter
tui_expect "a malformed forward is refused in the input" "tcp:nonsense"
tui_keys C-u
tui_type 'tcp:22345-beta:22'
tui_keys Enter
tui_expect "the driver's refusal shows in the box (beta is not on default)" \
	"│ *network 'default': VM 'beta'"
tui_keys a C-u
tui_type 'tcp:22345-alpha:22'
tui_keys Enter
tui_expect "a forward to alpha is listed" 'tcp:127\.0\.0\.1:22345-alpha:22'
run net-info default
grep_in "$out" '22345'
check $? "virtty net-info default shows it" "$(cli_last)"
tui_keys r
tui_expect "r removes it" 'none: a adds one'
tui_keys Escape
tui_expect "Esc closes the box" "$NETHEAD"

# --- the New VM wizard puts a VM on lan1 ----------------------------------------------
tui_keys Escape
tui_expect "Esc returns to the VM list" "$HEADER"
tui_keys n
tui_expect "the New VM wizard opens" 'step 1 of 6'
tui_type gamma
tui_keys Enter
tui_type "$I"
tui_keys Enter Enter Enter
tui_expect "the network step" 'step 5 of 6: Network'
tui_expect "default is preselected" 'Network +. ?default \(nat\)'
tui_keys Right
tui_expect "Right picks lan1" 'Network +. ?lan1 \(natnet\)'
tui_keys Enter
tui_expect "the summary shows the network" 'Network +lan1 \(natnet\)'
tui_keys Space
tui_expect "Start now unchecked" 'Start now +\[ \]'
tui_keys Enter
tui_expect_row "gamma is created" gamma 'shut off'
run --json info gamma
printf '%s' "$out" | python3 -c '
import json, sys
nics = json.load(sys.stdin)["nics"]
sys.exit(0 if len(nics) == 1 and nics[0]["network"] == "lan1" else 1)'
check $? "virtty info gamma: one NIC, on lan1" "$(cli_last)"

# --- narrow terminal, mouse ------------------------------------------------------------
tui_keys N
tui_expect "back in the networks view" "$NETHEAD"
tui_resize 50x16
tui_expect "at 50 columns the name, mode and state stay" \
	'^ +default +nat +active'
tui_resize 110x32
tui_expect "wide again: the subnet is back" 'default +nat +active +10\.0\.2\.0/24'
y=$(tui_line_of '^ +lan1 ')
tui_click 3 $((y - 1))
tui_keys Enter
tui_expect "a click selects lan1 (Enter opens its details)" 'Network lan1'
tui_keys Escape Escape
tui_expect "back to the list" "$HEADER"

tui_keys q
tui_wait_exit >/dev/null
cli_summary
