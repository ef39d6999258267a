#!/bin/sh
# tui-libvirt.sh: several connections in the interface, against libvirt's
# built-in test driver (test:///default: a VM "test", running, kept in the
# memory of the connection). With a private XDG_CONFIG_HOME: a connection
# added through the Add connection dialog (A) connects and lists its VM
# under its heading; the URI is saved in the config file beside the theme;
# pause/resume act on the VM's own connection; the New VM wizard on that
# connection shows the domain XML in its summary; a URI with a space is
# refused in the dialog; a bogus URI shows "failed" with libvirt's message
# while the other connection keeps answering; X removes it (and from the
# file); a new virtty brings the saved connection back.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tmux-lib.sh"
tui_setup_nokvm

# The libvirt driver must be built in and know the test driver.
if ! "$VIRTTY" -c test:///default list >"$work/probe" 2>&1; then
	echo "SKIP: virtty -c test:///default does not work here (libvirt missing?):"
	sed 's/^/    /' "$work/probe"
	exit 77
fi
CONFIG=$XDG_CONFIG_HOME/virtty/config

tui_start
tui_expect "the local connection is listed first" 'Local +connected'

# A: the dialog, a URI with a space refused beside the field.
tui_keys A
tui_expect "A opens the Add connection dialog" 'Add connection'
tui_type 'qemu:///sys tem'
tui_keys Enter
tui_expect "a URI with a space is refused" 'has no spaces'
tui_keys C-u
tui_type 'test:///default'
tui_keys Enter
tui_expect "the added connection connects" 'test:///default +connected +1 VM'
tui_expect_row "its VM is listed under it, running" test 'running'
line_conn=$(printf '%s\n' "$tui_last" | grep -n 'test:///default +connected' | cut -d: -f1)
line_vm=$(printf '%s\n' "$tui_last" | grep -nE "$(tui_row_re test)" | cut -d: -f1)
[ "${line_vm:-0}" -gt "${line_conn:-0}" ]
check $? "the VM row is under its connection's heading" "lines $line_conn, $line_vm"
if grep -q '^uri = test:///default$' "$CONFIG" 2>/dev/null; then
	pass "the connection is saved in the config file"
else
	fail "the connection is saved in the config file: $(cat "$CONFIG" 2>&1)"
fi

# Actions go to the VM's own connection (the test driver).
tui_keys NPage
tui_keys p
tui_expect_row "p pauses the VM of the test connection" test 'paused'
tui_keys p
tui_expect_row "p resumes it" test 'running'

# The New VM wizard on that connection: the summary shows the domain XML.
tui_keys n
tui_expect "the New VM wizard opens" 'New VM - step 1'
tui_type web1
tui_keys Enter
tui_expect "the boot step" 'step 2'
tui_type "$VIRTTY"
tui_keys Enter
tui_expect "the resources step" 'step 3'
tui_keys Enter
tui_expect "the storage step" 'step 4'
tui_keys Enter
tui_expect "the network step" 'step 5'
tui_keys Enter
tui_expect "the summary step" 'step 6'
tui_expect "the summary shows the domain XML" '<domain type=.test.>'
tui_expect "with the VM's name in it" '<name>web1</name>'
tui_keys ']'
tui_expect "] scrolls the XML" 'lines [0-9]*[02-9]-'
tui_keys Escape
tui_wait 'Discard' 5 && tui_keys y
tui_expect "the wizard closes" 'test:///default +connected'

# A bogus URI: failed with libvirt's message; the rest keeps working.
tui_keys A
tui_type 'nosuch:///x'
tui_keys Enter
tui_expect "a bogus URI shows failed with libvirt's message" 'nosuch:///x +failed: .*nosuch'
tui_keys PPage Down Down
tui_keys p
tui_expect_row "the test connection still answers while the other failed" test 'paused'
tui_keys p
tui_expect_row "and again" test 'running'

# X on the failed connection's heading (the last line), confirmed.
tui_keys NPage X
tui_expect "X asks first" 'Remove the connection nosuch:///x'
tui_keys y
if tui_wait_gone 'nosuch:///x +failed'; then pass "X removes the connection"; else
	tui_fail "X removes the connection" "still listed"
fi
if grep -q nosuch "$CONFIG"; then
	fail "the removed connection is gone from the config file: $(cat "$CONFIG")"
else
	pass "the removed connection is gone from the config file"
fi
tui_keys q
st=$(tui_wait_exit)
[ "$st" = 0 ]
check $? "virtty quits" "status $st"

# A new virtty: the saved connection comes back and connects.
tui_start
tui_expect "the saved connection comes back" 'test:///default +connected'
tui_expect_row "with its VM" test 'running'
tui_keys q
st=$(tui_wait_exit)
[ "$st" = 0 ]
check $? "virtty quits again" "status $st"

cli_summary
