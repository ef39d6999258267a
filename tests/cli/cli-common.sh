# Shell helpers for the `virtty` CLI integration tests (sourced, not run):
# a private store and runtime dir per test run, running the CLI with a
# timeout, PASS/FAIL bookkeeping, JSON look-ups and VMM process counting.
# POSIX sh (dash); names are prefixed cli_ except the tiny pass/fail.

VIRTTY=${VIRTTY:-${top_builddir:-../..}/cli/virtty}
cli_builddir=${top_builddir:-../..}
ECHO_GUEST=$cli_builddir/tests/guests/echo.elf
HELLO_GUEST=$cli_builddir/tests/guests/hello.elf
# Every CLI call is bounded so a hung client or VMM fails the test instead
# of hanging `make check`.
CLI_TIMEOUT=${CLI_TIMEOUT:-60}

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# check COND-STATUS NAME DETAIL: PASS or FAIL from the status of the
# command run just before (use: `test ...; check $? name "detail"`).
check()
{
	if [ "$1" = 0 ]; then pass "$2"; else fail "$2: $3"; fi
}

# cli_setup: skip without KVM/python3, refuse without the programs, and
# make the private store. Sets $work, exports VIRTTY_HOME/VIRTTY_RUNTIME_DIR.
cli_setup()
{
	[ -e /dev/kvm ] || { echo "SKIP: no /dev/kvm"; exit 77; }
	command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
	for f in "$VIRTTY" "$ECHO_GUEST" "$HELLO_GUEST"; do
		[ -e "$f" ] || { echo "ERROR: not built: $f"; exit 99; }
	done
	work=$(mktemp -d "${TMPDIR:-/tmp}/virtty-cli.XXXXXX") || exit 99
	VIRTTY_HOME=$work/home
	VIRTTY_RUNTIME_DIR=$work/run
	export VIRTTY_HOME VIRTTY_RUNTIME_DIR
	# The test's own copies: a guest kernel the tests may delete.
	cp "$ECHO_GUEST" "$work/echo.elf" && cp "$HELLO_GUEST" "$work/hello.elf" || exit 99
	trap cli_cleanup EXIT
	trap 'exit 1' INT TERM
}

# Stop every VMM this run started (found by our private paths in their
# command lines), then remove the temporary tree.
cli_cleanup()
{
	for p in $(cli_vmm_pids ""); do
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${work:-}" ] && rm -rf "$work"
}

# run ARGS...: runs `virtty ARGS...`; sets $rc, $out (stdout), $err (stderr).
run()
{
	timeout -k 5 "$CLI_TIMEOUT" "$VIRTTY" "$@" >"$work/.out" 2>"$work/.err" </dev/null
	rc=$?
	out=$(cat "$work/.out")
	err=$(cat "$work/.err")
	[ "$rc" = 124 ] && err="$err (virtty $* timed out after ${CLI_TIMEOUT}s)"
	return 0
}

# What a failed check shows of the last run.
cli_last()
{
	printf 'exit %s, stdout: %s, stderr: %s' "$rc" \
		"$(printf '%s' "$out" | tr '\n' '|' | cut -c1-300)" \
		"$(printf '%s' "$err" | tr '\n' '|' | cut -c1-300)"
}

# expect_rc NAME STATUS ARGS...: run and check the exit status.
expect_rc()
{
	_name=$1 _want=$2
	shift 2
	run "$@"
	if [ "$rc" = "$_want" ]; then pass "$_name"; else fail "$_name: expected exit $_want; $(cli_last)"; fi
}

# grep_in TEXT REGEX: extended, case-insensitive.
grep_in()
{
	printf '%s\n' "$1" | grep -Eiq -- "$2"
}

# cli_json_field FIELD [NAME]: from the JSON on stdin, the first value of
# FIELD (in the object whose "name" is NAME, when given), searched at any
# depth, so the exact nesting of `--json` output does not matter.
cli_json_field()
{
	python3 -c '
import json, sys
field = sys.argv[1]
name = sys.argv[2] if len(sys.argv) > 2 else None
def walk(v):
    if isinstance(v, dict):
        if field in v and (name is None or v.get("name") == name):
            return v[field], True
        for x in v.values():
            r, ok = walk(x)
            if ok:
                return r, ok
    elif isinstance(v, list):
        for x in v:
            r, ok = walk(x)
            if ok:
                return r, ok
    return None, False
r, ok = walk(json.load(sys.stdin))
if not ok:
    sys.exit(1)
print(r if not isinstance(r, bool) else str(r).lower())
' "$@"
}

# cli_state NAME: the state `virtty info --json NAME` reports, normalised
# to the words users read ("shut off", "running", ...).
cli_state()
{
	run --json info "$1"
	printf '%s' "$out" | cli_json_field state 2>/dev/null | tr 'A-Z_' 'a-z ' |
		sed 's/^shutoff$/shut off/'
}

# cli_list_state NAME: the state column of NAME in the human `virtty list`.
cli_list_state()
{
	run list
	printf '%s\n' "$out" | awk -v n="$1" '$1 == n' |
		grep -Eo 'shut off|running|paused|crashed|starting|shutting down|unknown' | head -n 1
}

# wait_state NAME STATE SECS: poll `info` until the VM is in STATE.
wait_state()
{
	_i=0
	while [ $_i -lt $(($3 * 5)) ]; do
		[ "$(cli_state "$1")" = "$2" ] && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}

# cli_vmm_pids NAME: pids of the top-level virtty-vmm processes of VM NAME
# started from this run's store ("" = any VM of this run). virtty-vmm runs
# the VM in a child process; only the parent (the supervisor) is counted.
cli_vmm_pids()
{
	python3 - "$work" "$1" <<'PY'
import os, sys
work, name = sys.argv[1], sys.argv[2]
def argv(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return None
def ppid(pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return None
def ours(pid):
    a = argv(pid)
    if not a or os.path.basename(a[0]) != "virtty-vmm":
        return False
    if not any(work in x for x in a):
        return False
    if name:
        return any(a[i] == "--name" and a[i + 1] == name for i in range(len(a) - 1))
    return True
pids = [p for p in os.listdir("/proc") if p.isdigit() and ours(p)]
for p in pids:
    if ppid(p) not in pids:
        print(p)
PY
}

# cli_store_digest: a digest of every path, type, mode and file content in
# the store (not the runtime dir, whose sockets and locks come and go).
cli_store_digest()
{
	(cd "$VIRTTY_HOME" 2>/dev/null && find . -printf '%p %y %m %s\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) | sha256sum |
		cut -d' ' -f1
}

cli_summary()
{
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
