#!/bin/sh
# The CLI on a libvirt connection, with libvirt's built-in test:///default
# driver (no daemon; every `virtty` run gets a fresh copy of its host with
# one running VM "test"): list, define --dry-run shows the domain XML and
# creates nothing, save writes the VM's state to a file, and what the local
# VMM cannot do (save, --cdrom) is refused with a message.
set -u
top_builddir=${top_builddir:-../..}
. "${top_srcdir:-../..}/tests/cli/cli-common.sh"
cli_setup
U=test:///default

run -c "$U" list --json
[ "$rc" = 0 ] && [ "$(printf '%s' "$out" | cli_json_field state test)" = running ]
check $? "list on $U shows the test driver's running VM" "$(cli_last)"

run -c "$U" define 'w&b' --kernel /boot/vmlinuz --memory 256 --dry-run
[ "$rc" = 2 ]
check $? "an invalid VM name is refused before libvirt is asked" "$(cli_last)"
run -c "$U" define web --kernel "$work/echo.elf" --cmdline 'console=ttyS0 a<b&c' --memory 256 \
	--dry-run
[ "$rc" = 0 ] && grep_in "$out" '<name>web</name>' && grep_in "$out" 'a&lt;b&amp;c' &&
	grep_in "$out" '<memory unit="MiB">256</memory>'
check $? "define --dry-run prints the domain XML, the command line escaped" "$(cli_last)"
run -c "$U" list
! grep_in "$out" '^web '
check $? "and defines nothing" "$(cli_last)"

run -c "$U" save test "$work/test.save"
[ "$rc" = 0 ] && [ -s "$work/test.save" ]
check $? "save writes the running VM's state to a file" "$(cli_last)"
run -c "$U" save nosuchvm "$work/x.save"
[ "$rc" = 1 ] && grep_in "$err" "nosuchvm"
check $? "save of an unknown VM names it" "$(cli_last)"

run save anyvm "$work/y.save"
[ "$rc" = 1 ] && grep_in "$err" "cannot save VMs"
check $? "the local connection says it cannot save" "$(cli_last)"
run define iso --cdrom "$work/x.iso"
[ "$rc" = 1 ] && grep_in "$err" "no firmware to boot an ISO"
check $? "the local connection refuses --cdrom and says why" "$(cli_last)"
run define nothing
[ "$rc" = 2 ] && grep_in "$err" "needs a kernel or an ISO"
check $? "a VM without kernel or ISO is bad usage" "$(cli_last)"
run define loc --kernel "$work/echo.elf" --dry-run
[ "$rc" = 0 ] && grep_in "$out" '^name = loc' && [ ! -e "$VIRTTY_HOME/vms/loc" ]
check $? "define --dry-run on the local connection prints vm.conf, creates nothing" "$(cli_last)"

cli_summary
