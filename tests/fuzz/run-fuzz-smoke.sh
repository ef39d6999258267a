#!/bin/sh
# Fuzz smoke test for `make check`: every libFuzzer target replays its seed
# corpus (regression inputs included) and then mutates for a bounded number
# of runs. Any crash, leak or broken invariant fails the test. Skipped (77)
# when the targets were not built (no clang with libFuzzer).
: "${top_srcdir:=.}" "${top_builddir:=.}"
runs=${FUZZ_SMOKE_RUNS:-10000}
secs=${FUZZ_SMOKE_SECONDS:-12} # per target, a cap on slow machines

targets="virtio_blk boot control platform_io termkeys virtio_net switch"
for t in $targets; do
	if [ ! -x "$top_builddir/tests/fuzz/fuzz_$t" ]; then
		echo "SKIP: tests/fuzz/fuzz_$t not built (configure found no clang for libFuzzer)"
		exit 77
	fi
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
for t in $targets; do
	mkdir "$tmp/$t"
	# New inputs go to the scratch directory: the sources may be read-only.
	if "$top_builddir/tests/fuzz/fuzz_$t" -runs="$runs" -max_total_time="$secs" \
		-artifact_prefix="$tmp/" -print_final_stats=1 \
		"$tmp/$t" "$top_srcdir/tests/fuzz/corpus/$t" >"$tmp/$t.log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$t.log")
		echo "PASS: fuzz_$t ($execs inputs)"
	else
		echo "FAIL: fuzz_$t"
		tail -n 60 "$tmp/$t.log"
		for a in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* "$tmp"/oom-*; do
			[ -f "$a" ] && echo "input: $(od -An -tx1 "$a" | head -n 8)"
		done
		fail=1
	fi
done
exit $fail
