#!/bin/sh
# render-bench.sh (`make bench`): the terminal VNC viewer's renderer on a
# synthetic 1024x768 desktop in 160x48 cells: render and emit time per
# frame, bytes per full frame, per unchanged frame and per changed line,
# beside libchafa's figures when configure found it (--with-chafa).
# Goals (issue 5): at least 30 full frames/s on one core; fewer bytes
# per full frame than chafa; 0 bytes for an unchanged frame.
#
# usage: render-bench.sh [--strict] [render-bench options]
# Exit: 0 measured (1 with --strict when a goal is missed), 77 the
# program is not built.
set -u
strict=false
if [ "${1:-}" = --strict ]; then
	strict=true
	shift
fi
top_builddir=${top_builddir:-$PWD}
prog=$top_builddir/tests/bench/render-bench
if [ ! -x "$prog" ]; then
	echo "render-bench: $prog not built (make tests/bench/render-bench)"
	exit 77
fi
out=$("$prog" "$@") || exit 1
echo "$out"
# Check the goals from the table: frames/s >= 30, unchanged == 0,
# ours/chafa bytes < 1 for half blocks.
echo "$out" | awk -v strict="$strict" '
	$1 != "chafa" && $2 ~ /^[0-9.]+$/ {
		mode = $1
		if ($4 < 30) { print "render-bench: " mode ": " $4 " frames/s, goal 30"; miss = 1 }
		if ($6 != 0) { print "render-bench: " mode ": unchanged frame " $6 " bytes, goal 0"; miss = 1 }
	}
	$1 == "chafa" && $2 == "half" {
		split($0, a, "bytes ")
		r = a[3] + 0
		if (r >= 1) { print "render-bench: " mode ": " r " of chafa'"'"'s bytes, goal < 1"; miss = 1 }
	}
	END {
		if (!miss) print "render-bench: goals met"
		exit (miss && strict == "true") ? 1 : 0
	}'
