#!/bin/sh
# virtty-vmm refuses bad arguments and environments with one clear line on
# stderr and exit status 2, before any guest runs, and never crashes.
set -u
VMM=${VIRTTY_VMM:-../../backend/vmm/virtty-vmm}
GUESTS=${top_builddir:-../..}/tests/guests
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# expect_refusal NAME PATTERN [ENV=...] -- ARGS...: exit 2, one stderr line
# matching PATTERN (grep -E), no core dump.
expect_refusal()
{
	name=$1 pattern=$2
	shift 2
	env_args=
	while [ "$1" != "--" ]; do env_args="$env_args $1"; shift; done
	shift
	# shellcheck disable=SC2086
	env $env_args "$VMM" "$@" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	lines=$(wc -l <"$work/err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -Eq -- "$pattern" "$work/err"; then
		echo "PASS: $name: $(cat "$work/err")"
		passed=$((passed + 1))
	else
		echo "FAIL: $name: exit $rc (want 2), $lines stderr lines (want 1), want /$pattern/:"
		sed 's/^/  | /' "$work/err"
		failed=$((failed + 1))
	fi
}

[ -x "$VMM" ] || { echo "virtty-vmm not built at $VMM"; exit 99; }
hello=$GUESTS/hello.elf
bz=$GUESTS/bz64.bin

head -c 4096 /dev/urandom >"$work/garbage"
: >"$work/empty"
truncate -s 100M "$work/big-initrd"
truncate -s 1000 "$work/odd.img"
truncate -s 1M "$work/disk.img"
long=$(head -c 70000 /dev/zero | tr '\0' 'x')
host_mib=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)

expect_refusal no-args '--kernel PATH is required' --
expect_refusal unknown-option "unknown option '--frobnicate'" -- --frobnicate
expect_refusal missing-value "option '--memory' needs an argument" -- --kernel "$hello" --memory
expect_refusal stray-arg "unexpected argument 'extra'" -- --kernel "$hello" extra
expect_refusal missing-kernel "/nonexistent/vmlinuz.*(No such file|not found|cannot open)" -- --kernel /nonexistent/vmlinuz
expect_refusal garbage-kernel "garbage.*not a bzImage or ELF" -- --kernel "$work/garbage"
expect_refusal empty-kernel "empty" -- --kernel "$work/empty"
expect_refusal directory-kernel "$work" -- --kernel "$work"
expect_refusal initrd-too-big "initrd .*does not fit" -- --kernel "$bz" --memory 64 --initrd "$work/big-initrd"
expect_refusal missing-initrd "initrd '/nonexistent/initrd'" -- --kernel "$hello" --initrd /nonexistent/initrd
expect_refusal memory-zero "--memory '0'" -- --kernel "$hello" --memory 0
expect_refusal memory-negative "--memory '-1'" -- --kernel "$hello" --memory -1
expect_refusal memory-garbage "--memory '12x'" -- --kernel "$hello" --memory 12x
expect_refusal memory-beyond-host "more than this host's $host_mib MiB" -- --kernel "$hello" --memory $((host_mib + 1024))
expect_refusal cpus-zero "--cpus '0'" -- --kernel "$hello" --cpus 0
expect_refusal cpus-too-many "--cpus '1000'" -- --kernel "$hello" --cpus 1000
expect_refusal cmdline-too-long "command line is 70000 bytes" -- --kernel "$hello" --cmdline "$long"
expect_refusal cmdline-too-long-bzimage "command line is 70000 bytes.*accepts at most" -- --kernel "$bz" --cmdline "$long"
expect_refusal disk-missing "disk '/nonexistent/disk.img'" -- --kernel "$hello" --disk /nonexistent/disk.img
expect_refusal disk-odd-size "not a multiple of 512" -- --kernel "$hello" --disk "$work/odd.img"
expect_refusal bad-name "--name 'bad name!'" -- --kernel "$hello" --name 'bad name!'
expect_refusal no-kvm "/nonexistent/kvm.*(No such file|kvm module)" VIRTTY_KVM_DEVICE=/nonexistent/kvm -- --kernel "$hello"
expect_refusal not-kvm "/dev/null" VIRTTY_KVM_DEVICE=/dev/null -- --kernel "$hello"
expect_refusal serial-socket-dir "path is too long|cannot|No such file" -- --kernel "$hello" --serial "/nonexistent/dir/serial.sock"
expect_refusal control-path-too-long "too long" -- --kernel "$hello" --control "$work/$(head -c 200 /dev/zero | tr '\0' 'c')"

echo "vmm args: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
