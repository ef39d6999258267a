#!/bin/sh
# cli-lifecycle.sh: a VM's life through the `virtty` command line, against a
# private store and the tiny test guests on the real /dev/kvm: define, list,
# start, console --dump, pause/resume, set, shutdown --force, destroy, a
# killed VMM shows as crashed, clone, undefine, a guest that powers off by
# itself, and two concurrent starts. One PASS/FAIL line per check.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cli-common.sh"
cli_setup
E=$work/echo.elf # stays up, prints "echo: ready", ignores ACPI
H=$work/hello.elf # prints a line and powers off at once

# --- define and list --------------------------------------------------------
expect_rc define 0 define web --kernel "$E" --cpus 1 --memory 32
[ -f "$VIRTTY_HOME/vms/web/vm.conf" ]
check $? define-writes-config "no $VIRTTY_HOME/vms/web/vm.conf"

run list
if [ "$rc" = 0 ] && [ "$(cli_list_state web)" = "shut off" ]; then
	pass "list shows web as shut off"
else
	fail "list shows web as shut off: $(cli_last)"
fi
run --json list
printf '%s' "$out" | python3 -c 'import json, sys; json.load(sys.stdin)' 2>/dev/null
check $? "list --json is valid JSON" "$(cli_last)"
st=$(printf '%s' "$out" | cli_json_field state web 2>/dev/null | tr 'A-Z_' 'a-z ')
case "$st" in
"shut off" | shutoff) pass "list --json: web is shut off" ;;
*) fail "list --json: web state '$st'; $(cli_last)" ;;
esac

run info web
if [ "$rc" = 0 ] && grep_in "$out" 'shut off'; then pass "info web: shut off"; else
	fail "info web: shut off: $(cli_last)"; fi

# --- start, console, a VM that outlives its client --------------------------
expect_rc start 0 start web
[ "$(cli_state web)" = running ]
check $? "info: running after start" "state '$(cli_state web)'"
run --json info web
pid=$(printf '%s' "$out" | cli_json_field pid 2>/dev/null)
if [ -n "$pid" ] && [ "$pid" -gt 0 ] 2>/dev/null && kill -0 "$pid" 2>/dev/null; then
	pass "info --json gives the pid of a live process ($pid)"
else
	fail "info --json gives the pid of a live process: pid '$pid'; $(cli_last)"
	pid=
fi
# The virtty that started it has exited (by construction: run waited for it);
# the VMM must be in its own session so a closing terminal cannot stop it.
vmms=$(cli_vmm_pids web | wc -l)
[ "$vmms" = 1 ]
check $? "one VMM for web after the starting CLI exited" "found $vmms"
if [ -n "$pid" ]; then
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
	check $? "VMM runs in its own session" "VMM session = the test's session"
fi

dump=
for i in $(seq 50); do
	run console --dump web
	dump=$out
	grep_in "$dump" 'echo: ready' && break
	sleep 0.2
done
grep_in "$dump" 'echo: ready'
check $? "console --dump shows the guest's 'echo: ready'" "$(cli_last)"

# A reset restarts the VMM: `console` reconnects (the new guest's banner
# comes again and typed input reaches it) instead of saying it closed.
(
	sleep 1
	"$top_builddir/tests/tools/vmmctl" "$VIRTTY_RUNTIME_DIR/web/control.sock" \
		'{"cmd":"reset"}' >/dev/null 2>&1
	sleep 3
	printf z
	sleep 1.5
) | timeout -k 5 "$CLI_TIMEOUT" "$VIRTTY" console web >"$work/.out" 2>"$work/.err"
rc=$?
out=$(cat "$work/.out")
err=$(cat "$work/.err")
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | grep -c 'echo: ready')" -ge 2 ] &&
	grep_in "$out" 'echo: Z' && ! grep_in "$out" 'closed its console'
check $? "console reconnects across a reset (banner again, input reaches the new guest)" \
	"$(cli_last)"

# --- pause / resume ---------------------------------------------------------
expect_rc pause 0 pause web
[ "$(cli_state web)" = paused ]
check $? "info: paused after pause" "state '$(cli_state web)'"
[ "$(cli_list_state web)" = paused ]
check $? "list: paused after pause" "list: $(cli_last)"
expect_rc resume 0 resume web
[ "$(cli_state web)" = running ]
check $? "info: running after resume" "state '$(cli_state web)'"
[ "$(cli_list_state web)" = running ]
check $? "list: running after resume" "list: $(cli_last)"

# --- set on a running VM ----------------------------------------------------
run set web --cpus 2 --memory 48
if [ "$rc" = 0 ] && grep_in "$out$err" 'next start'; then
	pass "set on a running VM says it applies at next start"
else
	fail "set on a running VM says it applies at next start: $(cli_last)"
fi

# --- shutdown: echo.elf ignores ACPI, so only --force stops it --------------
run shutdown web --timeout 2
if [ "$rc" = 1 ] && grep_in "$err" 'force' && [ "$(cli_state web)" = running ]; then
	pass "shutdown without --force times out with exit 1, mentions --force, VM still running"
else
	fail "shutdown without --force: expected exit 1, a --force hint, still running; $(cli_last), state '$(cli_state web)'"
fi
run shutdown web --timeout 5 --force
sd_rc=$rc sd_out=$(cli_last)
[ "$sd_rc" = 0 ] && [ "$(cli_state web)" = "shut off" ]
check $? "shutdown --timeout 5 --force stops a guest that ignores ACPI" "$sd_out, state '$(cli_state web)'"
[ -z "$(cli_vmm_pids web)" ]
check $? "no VMM left after shutdown --force" "pids $(cli_vmm_pids web)"

# The settings made while running apply now.
expect_rc "start after shutdown" 0 start web
run --json info web
v=$(printf '%s' "$out" | cli_json_field vcpus 2>/dev/null)
m=$(printf '%s' "$out" | cli_json_field memory_mib 2>/dev/null)
[ "$v" = 2 ] && { [ -z "$m" ] || [ "$m" = 48 ]; }
check $? "set's new vcpus/memory apply at the next start" "vcpus '$v' memory_mib '$m'; $(cli_last)"

# --- destroy ----------------------------------------------------------------
expect_rc destroy 0 destroy web
[ "$(cli_state web)" = "shut off" ]
check $? "shut off after destroy" "state '$(cli_state web)'"
[ -z "$(cli_vmm_pids web)" ]
check $? "no VMM left after destroy" "pids $(cli_vmm_pids web)"

# --- a killed VMM is crashed, never running ---------------------------------
expect_rc "start for the crash test" 0 start web
run --json info web
pid=$(printf '%s' "$out" | cli_json_field pid 2>/dev/null)
if [ -n "$pid" ] && [ "$pid" -gt 0 ] 2>/dev/null; then
	kill -9 "$pid"
	wait_state web crashed 10
	check $? "kill -9 of the VMM: info says crashed" "state '$(cli_state web)'"
	[ "$(cli_list_state web)" = crashed ]
	check $? "kill -9 of the VMM: list says crashed" "$(cli_last)"
	# The guest's process must not linger (echo.elf spins on the CPU).
	for i in $(seq 25); do [ -z "$(cli_vmm_pids web)" ] && break; sleep 0.2; done
	[ -z "$(cli_vmm_pids web)" ]
	check $? "no VMM process left after kill -9" "pids $(cli_vmm_pids web)"
	expect_rc "a crashed VM starts again" 0 start web
	[ "$(cli_state web)" = running ]
	check $? "running again after a crash" "state '$(cli_state web)'"
	run destroy web
else
	fail "kill -9 of the VMM: no pid in info --json; $(cli_last)"
fi

# --- a guest that powers off by itself --------------------------------------
expect_rc "define hello" 0 define hello --kernel "$H" --memory 16
run start hello
[ "$rc" = 0 ]
check $? "start hello" "$(cli_last)"
wait_state hello "shut off" 10
check $? "hello.elf powers off by itself: shut off" "state '$(cli_state hello)'"

# --- clone: its own copy of the disks ---------------------------------------
expect_rc "define with a new disk" 0 define src --kernel "$H" --memory 16 --disk new:4M
srcdisk=$(find "$VIRTTY_HOME/vms/src" -type f ! -name vm.conf ! -name '*.tmp*' | head -n 1)
if [ -n "$srcdisk" ] && [ "$(stat -c %s "$srcdisk")" = 4194304 ]; then
	pass "new:4M creates a 4 MiB disk in the VM's directory"
else
	fail "new:4M creates a 4 MiB disk in the VM's directory: found '$srcdisk'"
fi
head -c 1048576 /dev/urandom >"$work/blob"
[ -n "$srcdisk" ] && dd if="$work/blob" of="$srcdisk" bs=65536 seek=16 conv=notrunc 2>/dev/null
srcsum=$(sha256sum <"${srcdisk:-/dev/null}" | cut -d' ' -f1)
expect_rc clone 0 clone src dst
dstdisk=$(find "$VIRTTY_HOME/vms/dst" -type f ! -name vm.conf ! -name '*.tmp*' 2>/dev/null | head -n 1)
if [ -n "$dstdisk" ] && [ "$dstdisk" != "$srcdisk" ] &&
	[ "$(sha256sum <"$dstdisk" | cut -d' ' -f1)" = "$srcsum" ]; then
	pass "clone: the new VM has its own disk with the same content"
else
	fail "clone: own disk with the same content: src '$srcdisk' dst '$dstdisk'"
fi
grep -q "vms/src" "$VIRTTY_HOME/vms/dst/vm.conf" 2>/dev/null
[ $? != 0 ]
check $? "clone: the new config does not point at the source's disks" \
	"$(grep -n 'vms/src' "$VIRTTY_HOME/vms/dst/vm.conf")"
run list
grep_in "$out" '^ *dst[[:space:]]'
check $? "clone: dst is listed" "$(cli_last)"
if [ -n "$dstdisk" ]; then
	printf 'changed' | dd of="$dstdisk" conv=notrunc 2>/dev/null
	[ "$(sha256sum <"$srcdisk" | cut -d' ' -f1)" = "$srcsum" ]
	check $? "clone: writing the clone's disk leaves the source's alone" "source changed"
fi

# --- undefine ---------------------------------------------------------------
expect_rc "undefine --remove-disks" 0 undefine dst --remove-disks
[ ! -e "$VIRTTY_HOME/vms/dst" ] && { [ -z "$dstdisk" ] || [ ! -e "$dstdisk" ]; }
check $? "undefine --remove-disks removes the VM and its disk" "$(ls -R "$VIRTTY_HOME/vms")"
expect_rc "undefine keeping disks" 0 undefine src
kept=$(find "$VIRTTY_HOME" -type f -size 4096k -exec sha256sum {} + | grep -c "$srcsum")
[ ! -e "$VIRTTY_HOME/vms/src" ] && [ "$kept" -ge 1 ]
check $? "undefine without --remove-disks removes the VM and keeps its disk" \
	"vms/src exists: $([ -e "$VIRTTY_HOME/vms/src" ] && echo yes || echo no), copies kept: $kept"
run list
grep_in "$out" '^ *(src|dst)[[:space:]]'
[ $? != 0 ]
check $? "undefined VMs are gone from list" "$(cli_last)"
run info src
[ "$rc" = 1 ] && grep_in "$err" "'src'"
check $? "info on an undefined VM: exit 1 naming it" "$(cli_last)"

# --- two `virtty start` at once start exactly one VMM -----------------------
expect_rc "define race" 0 define race --kernel "$E" --memory 16
for round in 1 2 3; do
	timeout -k 5 "$CLI_TIMEOUT" "$VIRTTY" start race >"$work/a.out" 2>"$work/a.err" </dev/null &
	a=$!
	timeout -k 5 "$CLI_TIMEOUT" "$VIRTTY" start race >"$work/b.out" 2>"$work/b.err" </dev/null &
	b=$!
	wait $a
	ra=$?
	wait $b
	rb=$?
	sleep 0.5
	n=$(cli_vmm_pids race | wc -l)
	msgs=$(cat "$work/a.err" "$work/b.err" | tr '\n' ' ')
	if [ "$n" = 1 ] && [ $((ra + rb)) -le 1 ] && { [ "$ra" = 0 ] || [ "$rb" = 0 ]; }; then
		pass "concurrent starts (round $round): exactly one VMM, one start succeeded"
	else
		fail "concurrent starts (round $round): $n VMMs, exit statuses $ra and $rb: $msgs"
	fi
	if [ $ra != 0 ] || [ $rb != 0 ]; then
		grep_in "$msgs" 'already running|being started|busy|lock'
		check $? "concurrent starts (round $round): the loser says why" "$msgs"
	fi
	run destroy race
	for i in $(seq 25); do [ -z "$(cli_vmm_pids race)" ] && break; sleep 0.2; done
done

cli_summary
