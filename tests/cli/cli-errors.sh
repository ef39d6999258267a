#!/bin/sh
# cli-errors.sh: every bad input the issue lists gets a clear message, the
# right exit status (1 failed operation, 2 bad usage) and leaves the store as
# it was (a digest of the whole store tree before and after): invalid and
# duplicate names, starting a running VM, undefining a running one, corrupt
# vm.conf files, a missing kernel, bad sizes, unknown commands, missing
# arguments. One PASS/FAIL line per check.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cli-common.sh"
cli_setup
E=$work/echo.elf

# A store with one VM shut off and one running.
run define good --kernel "$E" --memory 32
[ "$rc" = 0 ] || { echo "ERROR: cannot define a VM: $(cli_last)"; exit 99; }
run define runner --kernel "$E" --memory 16
run start runner
[ "$rc" = 0 ] || { echo "ERROR: cannot start a VM: $(cli_last)"; exit 99; }

# refuse NAME STATUS ERR-REGEX ARGS...: exit STATUS (a case pattern: "1|2"
# where either reading is fair), a "virtty: " message on stderr matching
# ERR-REGEX, the store unchanged.
refuse()
{
	_name=$1 _want=$2 _re=$3
	shift 3
	_before=$(cli_store_digest)
	run "$@"
	_why=
	case "|$_want|" in
	*"|$rc|"*) ;;
	*) _why="exit $rc, expected $_want;" ;;
	esac
	grep_in "$err" "$_re" || _why="$_why message does not match /$_re/;"
	printf '%s\n' "$err" | head -n 1 | grep -q '^virtty: ' || _why="$_why stderr does not start with 'virtty: ';"
	[ "$(cli_store_digest)" = "$_before" ] || _why="$_why the store changed;"
	if [ -z "$_why" ]; then pass "$_name"; else fail "$_name: $_why $(cli_last)"; fi
}

# --- names ------------------------------------------------------------------
long=$(printf 'a%.0s' $(seq 65))
refuse "invalid name 'a b'" 2 "invalid name|'a b'" define "a b" --kernel "$E"
refuse "invalid name '-x'" 2 "invalid name|unknown option|'-x'" define -x --kernel "$E"
refuse "invalid name of 65 characters" 2 "invalid name|64" define "$long" --kernel "$E"
refuse "invalid name '../x'" 2 "invalid name|'\.\./x'" define ../x --kernel "$E"
[ ! -e "$VIRTTY_HOME/x" ] && [ ! -e "$work/x" ]
check $? "'../x' creates nothing outside the store" "$(ls "$VIRTTY_HOME" "$work")"
refuse "start with an invalid name" 2 "invalid name" start "a b"
refuse "clone to an invalid name" 2 "invalid name" clone good "a/b"
refuse "duplicate define" 1 "'good'.*already exists|already exists.*'good'" \
	define good --kernel "$E" --memory 64
refuse "clone onto an existing VM" 1 "'runner'.*already exists|already exists.*'runner'" \
	clone good runner
refuse "a VM that does not exist" 1 "'nosuch'" start nosuch

# --- running VMs ------------------------------------------------------------
refuse "starting a running VM" 1 "'runner'.*already running" start runner
refuse "undefining a running VM" 1 "'runner'.*running.*virtty (shutdown|destroy) runner" \
	undefine runner
[ "$(cli_state runner)" = running ]
check $? "runner still running after the refusals" "state '$(cli_state runner)'"
refuse "cloning a running VM" 1 "'runner'.*running" clone runner runner2

# --- missing kernel ---------------------------------------------------------
refuse "define with a missing kernel" 1 "/nonexistent/vmlinuz" \
	define nok --kernel /nonexistent/vmlinuz
cp "$E" "$work/gone.elf"
run define gone --kernel "$work/gone.elf" --memory 16
rm -f "$work/gone.elf"
refuse "start when the kernel has gone" 1 "gone\.elf" start gone
[ -z "$(cli_vmm_pids gone)" ] && [ "$(cli_state gone)" != running ]
check $? "a failed start leaves no VMM and no running VM" \
	"pids '$(cli_vmm_pids gone)', state '$(cli_state gone)'"

# --- sizes ------------------------------------------------------------------
refuse "--memory -1" 2 "'-1'" define m1 --kernel "$E" --memory -1
refuse "--memory 0" 2 "'0'" define m0 --kernel "$E" --memory 0
refuse "--memory 12x" 2 "'12x'" define m12x --kernel "$E" --memory 12x
host_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
if [ "$host_kib" -lt 1073741824 ]; then
	# A valid size, but more than this host has: refused, quoting the host.
	_before=$(cli_store_digest)
	run define m1t --kernel "$E" --memory 1T
	if [ "$rc" = 1 ] || [ "$rc" = 2 ]; then
		if grep_in "$err" 'memory' && [ "$(cli_store_digest)" = "$_before" ]; then
			pass "--memory 1T on a smaller host"
		else
			fail "--memory 1T on a smaller host: no clear message or store changed; $(cli_last)"
		fi
	else
		fail "--memory 1T on a smaller host: $(cli_last)"
	fi
fi
refuse "--disk new:12x" 2 "'12x'|new:12x" define d12x --kernel "$E" --disk new:12x
refuse "--disk new:0" 2 "'0'|new:0" define d0 --kernel "$E" --disk new:0
refuse "--cpus 0" "1|2" "cpu" define c0 --kernel "$E" --cpus 0
refuse "set --memory 0" 2 "'0'" set good --memory 0
refuse "set --memory 12x" 2 "'12x'" set good --memory 12x
refuse "disk-create 12x" 2 "'12x'" disk-create "$work/new.img" 12x
[ ! -e "$work/new.img" ]
check $? "disk-create with a bad size creates no file" "$work/new.img exists"
: >"$work/exists.img"
refuse "disk-create onto an existing file" 1 "exists.img" disk-create "$work/exists.img" 1M

# --- usage ------------------------------------------------------------------
refuse "unknown command suggests the closest" 2 "'lsit'.*list|did you mean.*list" lsit
refuse "unknown option" 2 "--bogus" list --bogus
refuse "define without a name" 2 "usage|name|missing" define
refuse "define without --kernel" 2 "kernel" define k1
refuse "--kernel without its value" 2 "kernel" define k2 --kernel
refuse "start without a name" 2 "usage|name|missing" start
refuse "clone without a new name" 2 "usage|name|missing" clone good
refuse "console without a name" 2 "usage|name|missing" console
run --help
[ "$rc" = 0 ] && grep_in "$out" 'define' && grep_in "$out" 'host-check'
check $? "--help lists the commands, exit 0" "$(cli_last)"
run define --help
[ "$rc" = 0 ] && grep_in "$out" '--kernel'
check $? "define --help shows its options, exit 0" "$(cli_last)"
run
[ "$rc" = 0 ] || [ "$rc" = 2 ]
check $? "virtty with no command prints usage without hanging" "$(cli_last)"

# --- corrupt configuration files ---------------------------------------------
for n in garbage nokernel unknownkey; do
	run define "$n" --kernel "$E" --memory 16
done
conf=$VIRTTY_HOME/vms
printf 'this is not an INI file\n\001\002\003\n' >"$conf/garbage/vm.conf"
grep -v '^ *kernel *=' "$conf/nokernel/vm.conf" >"$work/c" && cat "$work/c" >"$conf/nokernel/vm.conf"
# An unknown key inside [vm]: right after the section header.
awk '{ print } /^\[vm\]/ { print "colour = blue" }' "$conf/unknownkey/vm.conf" >"$work/c" &&
	cat "$work/c" >"$conf/unknownkey/vm.conf"
ukline=$(grep -n '^colour = blue' "$conf/unknownkey/vm.conf" | cut -d: -f1)
before=$(cli_store_digest)

run list
if grep_in "$out" '^ *good[[:space:]].*shut off' && grep_in "$out" '^ *runner[[:space:]].*running'; then
	pass "list still shows the good VMs beside corrupt configs"
else
	fail "list still shows the good VMs beside corrupt configs: $(cli_last)"
fi
run --json list
printf '%s' "$out" | python3 -c 'import json, sys; json.load(sys.stdin)' 2>/dev/null &&
	[ "$(printf '%s' "$out" | cli_json_field state runner 2>/dev/null)" = running ]
check $? "list --json still works beside corrupt configs" "$(cli_last)"

run info garbage
[ "$rc" = 1 ] && grep_in "$err" "vms/garbage/vm.conf" && grep_in "$err" 'line 1([^0-9]|$)'
check $? "info on a garbage vm.conf names the file and line 1" "$(cli_last)"
run info nokernel
[ "$rc" = 1 ] && grep_in "$err" "vms/nokernel/vm.conf" && grep_in "$err" 'kernel'
check $? "info on a vm.conf without 'kernel' names the file and the key" "$(cli_last)"
run info unknownkey
[ "$rc" = 1 ] && grep_in "$err" "vms/unknownkey/vm.conf" && grep_in "$err" "line $ukline([^0-9]|$)" &&
	grep_in "$err" colour
check $? "info on an unknown key names the file, line $ukline and the key" "$(cli_last)"
refuse "start with a corrupt vm.conf" 1 "vms/garbage/vm.conf" start garbage
[ "$(cli_store_digest)" = "$before" ]
check $? "list/info/start leave corrupt configs as they are" "the store changed"

# --- a clean store after all refusals ----------------------------------------
expect_rc "destroy runner" 0 destroy runner
for n in garbage nokernel unknownkey; do
	rm -rf "${conf:?}/$n"
done
run list
[ "$rc" = 0 ]
check $? "list after removing the corrupt VMs" "$(cli_last)"
for bad in nok m1 m0 m12x m1t d12x d0 c0 k1 k2; do
	[ ! -e "$conf/$bad" ] || fail "refused define '$bad' left $conf/$bad behind"
done

cli_summary
