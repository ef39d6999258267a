#!/bin/sh
# tui-bench.sh (`make bench`): what the full-screen interface costs while
# nobody touches it. 50 VMs defined, 10 of them running idle.elf (prints
# "idle: ready" and halts, so the guests cost no host CPU); `virtty
# --refresh 1` in a tmux pane. Over SECS seconds per screen (main list,
# then host dashboard): CPU used by the virtty process per wall second
# (utime + stime of every thread, /proc/PID/stat) and bytes it wrote to
# the terminal per second (the pane's output, through tmux pipe-pane).
# Goals (issue 4): under 1% of one core, under 2 KB/s.
#
# usage: tui-bench.sh [--seconds SECS] [--size WxH] [--strict]
# Exit: 0 measured (1 with --strict when a goal is missed), 77 no tmux or
# no /dev/kvm, 99 setup failed.
set -u

secs=30
size=160x50
strict=false
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds)
		secs=${2:?}
		shift
		;;
	--size)
		size=${2:?}
		shift
		;;
	--strict) strict=true ;;
	*)
		echo "usage: $0 [--seconds SECS] [--size WxH] [--strict]" >&2
		exit 2
		;;
	esac
	shift
done

# `make bench` runs us from the top build directory without the test
# environment.
top_builddir=${top_builddir:-$PWD}
VIRTTY=${VIRTTY:-$top_builddir/cli/virtty}
here=$(cd "$(dirname "$0")/../tui" && pwd)
. "$here/tmux-lib.sh"
# The guests are check data: build them if `make check` has not.
for g in "$ECHO_GUEST" "$IDLE_GUEST"; do
	[ -e "$g" ] || ${MAKE:-make} -C "$top_builddir" -s "tests/guests/${g##*/}" >/dev/null ||
		{ echo "tui-bench: cannot build ${g##*/}"; exit 99; }
done
tui_setup
I=$work/idle.elf
nvms=50
nrun=10
goal_cpu=1    # percent of one core
goal_out=2048 # bytes per second
hz=$(getconf CLK_TCK)

say() { echo "tui-bench: $*"; }

say "defining $nvms VMs, starting $nrun ..."
i=1
while [ $i -le $nvms ]; do
	name=$(printf 'vm%02d' $i)
	run define "$name" --kernel "$I" --memory 16
	[ "$rc" = 0 ] || { say "define $name failed: $(cli_last)"; exit 99; }
	if [ $i -le $nrun ]; then
		run start "$name"
		[ "$rc" = 0 ] || { say "start $name failed: $(cli_last)"; exit 99; }
	fi
	i=$((i + 1))
done

# cpu_ticks PID: utime + stime of the whole process, in clock ticks.
cpu_ticks()
{
	# Fields after the last ')': state is the 1st, utime the 12th.
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

now_ms()
{
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

tui_start -s "$size" -- --refresh 1
tui_wait_row vm01 running 30 || { say "the list never showed vm01 running"; exit 99; }
pid=$(tui_pid)
[ -r "/proc/$pid/stat" ] || { say "no virtty process"; exit 99; }

results=
missed=false
# measure SCREEN: let it settle, then count CPU and output over $secs s.
measure()
{
	sleep 3 # graphs filled, first full paint and the status message gone
	: >"$work/out.$1"
	tui_tmux pipe-pane -o -t "$TUI_SESSION" "cat >>'$work/out.$1'"
	t0=$(now_ms)
	c0=$(cpu_ticks "$pid")
	sleep "$secs"
	c1=$(cpu_ticks "$pid")
	t1=$(now_ms)
	tui_tmux pipe-pane -t "$TUI_SESSION" # stops the pipe
	bytes=$(wc -c <"$work/out.$1")
	line=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v ms=$((t1 - t0)) -v b="$bytes" \
		-v gc="$goal_cpu" -v go="$goal_out" -v s="$1" 'BEGIN {
		cpu = c / hz / (ms / 1000) * 100; out = b / (ms / 1000);
		printf "%-8s %10.2f%% %7s %-4s %12.0f %8s %s\n", s, cpu, "< " gc "%",
			cpu < gc ? "ok" : "OVER", out, "< " go, out < go ? "ok" : "OVER" }')
	results="$results$line
"
	case "$line" in *OVER*) missed=true ;; esac
}

say "measuring the VM list for ${secs}s ..."
measure list
tui_keys Tab
tui_wait_gone 'NAME +STATE' 10 || say "warning: the host dashboard did not show"
say "measuring the host dashboard for ${secs}s ..."
measure host
tui_keys q
tui_wait_exit >/dev/null

echo
say "$nvms VMs defined, $nrun running idle.elf; virtty --refresh 1 in a $size pane;" \
	"${secs}s idle per screen"
printf '%-8s %11s %7s %-4s %12s %8s\n' screen "CPU" goal "" "terminal B/s" goal
printf '%s' "$results"
if $strict && $missed; then
	exit 1
fi
exit 0
