#!/bin/sh
# demo-scenario.sh: the demo VM (the one ./setup.sh defines) driven through the
# `virtty` command line from a private store, on a fast /dev/kvm: define,
# start, its banner in `virtty console --dump`, `virtty shutdown`, shut off.
# Prints "LAB-RESULT: PASS|FAIL demo/NAME ..." lines (test), or attaches the
# console for a person (interactive). Runs inside the nested lab's L1
# (busybox sh) or directly on a host with hardware virtualization (dash).
#
# usage: demo-scenario.sh test|interactive [VAR=VALUE...]
#   VIRTTY=PATH VIRTTY_VMM=PATH KERNEL=PATH INITRD=PATH (the demo initramfs)
#   WORK=DIR BOOT_TIMEOUT=240 SHUTDOWN_TIMEOUT=60
set -u

what=${1:-}
[ $# -gt 0 ] && shift
for kv in "$@"; do
	case "$kv" in
	*=*) eval "${kv%%=*}=\${kv#*=}" ;;
	*)
		echo "demo-scenario: bad argument '$kv'" >&2
		exit 2
		;;
	esac
done
: "${VIRTTY:=virtty}" "${VIRTTY_VMM:=virtty-vmm}" "${KERNEL:?}" "${INITRD:?}"
: "${WORK:=/tmp/demo-work}" "${BOOT_TIMEOUT:=240}" "${SHUTDOWN_TIMEOUT:=60}"
VIRTTY_HOME=$WORK/store
VIRTTY_RUNTIME_DIR=$WORK/run
export VIRTTY_HOME VIRTTY_RUNTIME_DIR VIRTTY_VMM
mkdir -p "$WORK"
failed=0
BANNER="Welcome to the virtty demo VM"

result()
{
	# result PASS|FAIL NAME DETAIL...
	st=$1 name=$2
	shift 2
	echo "LAB-RESULT: $st demo/$name $*"
	[ "$st" = PASS ] || failed=1
}

# v ARGS...: run virtty, output in $WORK/out (both streams), status in $rc.
v()
{
	"$VIRTTY" "$@" >"$WORK/out" 2>&1 </dev/null
	rc=$?
}
last() { tr '\n' ' ' <"$WORK/out" | cut -c1-400; }

define_and_start()
{
	# A screen too (efifb shows the boot on tty0); ttyS0 comes last so
	# that it stays /dev/console, which the checks below read.
	v define demo --kernel "$KERNEL" --initrd "$INITRD" \
		--cmdline "console=tty0 console=ttyS0 quiet" --cpus 2 --memory 256 \
		--disk new:16M --display vnc --resolution 1024x768
	if [ "$rc" = 0 ]; then
		result PASS define "virtty define demo"
	else
		result FAIL define "virtty define demo: exit $rc: $(last)"
		return 1
	fi
	v start demo
	if [ "$rc" = 0 ]; then
		result PASS start "virtty start demo"
	else
		result FAIL start "virtty start demo: exit $rc: $(last)"
		return 1
	fi
}

run_test()
{
	define_and_start || return 1
	n=0
	while [ $n -lt $((BOOT_TIMEOUT * 2)) ]; do
		v console --dump demo
		grep -q "$BANNER" "$WORK/out" && grep -q '^Type ' "$WORK/out" && break
		sleep 0.5
		n=$((n + 1))
	done
	tr -d '\r' <"$WORK/out" >"$WORK/console"
	if grep -q "$BANNER" "$WORK/console"; then
		result PASS banner "the banner is in 'virtty console --dump demo' after $((n / 2))s"
	else
		result FAIL banner "no '$BANNER' in 'virtty console --dump demo' after $((n / 2))s"
	fi
	if grep -Eq '^ +CPUs +2$' "$WORK/console" && grep -q 'formatted and mounted on /data' "$WORK/console"; then
		result PASS devices "the guest sees 2 CPUs and formatted and mounted its new virtio disk"
	else
		result FAIL devices "banner lacks 'CPUs 2' or the mounted disk: $(grep -A5 "$BANNER" "$WORK/console" | tr '\n' '|')"
	fi
	# ACPI power button -> acpid -> poweroff: the CLI waits for it.
	v shutdown demo --timeout "$SHUTDOWN_TIMEOUT"
	if [ "$rc" = 0 ]; then
		result PASS shutdown "virtty shutdown demo returned 0"
	else
		result FAIL shutdown "virtty shutdown demo: exit $rc: $(last)"
		v destroy demo
	fi
	v info demo
	if grep -q 'shut off' "$WORK/out"; then
		result PASS shut-off "virtty info demo says shut off"
	else
		result FAIL shut-off "virtty info demo: $(last)"
	fi
	# The console as it was before the shutdown, for reading the log.
	sed 's/^/DEMO| /' "$WORK/console"
	log=$VIRTTY_RUNTIME_DIR/demo/vmm.log
	[ -s "$log" ] && sed 's/^/DEMO-VMM-LOG| /' "$log"
	return "$failed"
}

run_interactive()
{
	define_and_start || return 1
	echo "demo-scenario: attaching the demo VM's console: Ctrl-] detaches, 'poweroff' in it stops the VM"
	# A controlling terminal of its own (the console runs it raw).
	if command -v cttyhack >/dev/null 2>&1 && command -v setsid >/dev/null 2>&1; then
		setsid cttyhack "$VIRTTY" console demo
	else
		"$VIRTTY" console demo
	fi
	echo "demo-scenario: detached. The demo's store here: export VIRTTY_HOME=$VIRTTY_HOME VIRTTY_RUNTIME_DIR=$VIRTTY_RUNTIME_DIR; then 'virtty list', 'virtty console demo'"
}

case "$what" in
test) run_test ;;
interactive) run_interactive ;;
*)
	echo "usage: $0 test|interactive [VAR=VALUE...]" >&2
	exit 2
	;;
esac
