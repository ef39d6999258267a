#!/bin/sh
# lab-scenario.sh: boot the lab's L2 guest (Debian kernel + l2 initramfs) under
# one VMM on a fast /dev/kvm and check it, printing "LAB-RESULT: PASS|FAIL ..."
# (test) or "LAB-BENCH: ..." (bench) lines. Runs inside the nested lab's L1
# (busybox sh) or directly on a host with hardware virtualization (dash).
#
# usage: lab-scenario.sh test|bench [VAR=VALUE...]
#   VMM=virtty|qemu-pc|qemu-microvm (test: one; bench: VMMS="a b c")
#   VIRTTY_VMM=PATH VMMCTL=PATH QEMU=PATH QEMU_FW=DIR
#   KERNEL=PATH INITRD=PATH DISK=PATH DISK_SHA256=HEX WORK=DIR
#   CPUS=2 MEMORY_MIB=512 REPS=3 BOOT_TIMEOUT=240 STREAM=1 (copy the L2
#   console to our stdout, prefixed "L2| ")
#   LAB_CMDLINE_EXTRA="WORDS" appended to the L2 command line (diagnosis, e.g.
#   "loglevel=7 initcall_debug": later words override "quiet");
#   LAB_STAMP=1 (bench) prefixes each saved console line with the ms since
#   the VMM was started ("[+MS] ", 10 ms resolution) and copies it to our
#   stdout ("L2-VMM-REP| ", and virtty's stats at "LAB: ready" as
#   "STATS-virtty-REP| "), to compare VMMs' boot timelines.
set -u

what=${1:-}
[ $# -gt 0 ] && shift
for kv in "$@"; do
	case "$kv" in
	*=*) eval "${kv%%=*}=\${kv#*=}" ;;
	*)
		echo "lab-scenario: bad argument '$kv'" >&2
		exit 2
		;;
	esac
done
: "${VMM:=virtty}" "${VMMS:=virtty qemu-microvm qemu-pc}"
: "${VIRTTY_VMM:=virtty-vmm}" "${VMMCTL:=vmmctl}" "${QEMU:=qemu-system-x86_64}"
: "${QEMU_FW:=}" "${KERNEL:?}" "${INITRD:?}" "${DISK:?}" "${DISK_SHA256:=}"
: "${WORK:=/tmp/lab-work}" "${CPUS:=2}" "${MEMORY_MIB:=512}" "${REPS:=3}"
: "${BOOT_TIMEOUT:=240}" "${STREAM:=1}" "${LAB_CMDLINE_EXTRA:=}" "${LAB_STAMP:=0}"
mkdir -p "$WORK"

CMDLINE_BASE="console=ttyS0 quiet panic=-1${LAB_CMDLINE_EXTRA:+ $LAB_CMDLINE_EXTRA}"
cr=$(printf '\r')
WRITE_OFF=5242880

result()
{
	# result PASS|FAIL NAME DETAIL...
	st=$1 name=$2
	shift 2
	echo "LAB-RESULT: $st $VMM/$name $*"
	[ "$st" = PASS ] || failed=1
}

# The L2 command line for each VMM; the serial console goes to stdout.
vmm_start()
{
	# vmm_start KIND APPEND SERIAL_LOG: starts in the background, sets vmm_pid.
	local kind="$1" append="$2" out="$3" ctl="$WORK/vm.ctl" machine
	rm -f "$ctl" "$WORK/mon.in" "$WORK/mon.out"
	case "$kind" in
	virtty)
		"$VIRTTY_VMM" --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$append" \
			--cpus "$CPUS" --memory "$MEMORY_MIB" --disk "$DISK" \
			--serial stdio --control "$ctl" --no-reboot \
			</dev/null >"$out" 2>"$WORK/vmm-stderr.log" &
		;;
	qemu-pc | qemu-microvm)
		if [ "$kind" = qemu-pc ]; then
			machine="-M pc -device virtio-blk-pci,drive=d0"
		else
			# No PCI on microvm: virtio-mmio devices described in ACPI.
			machine="-M microvm -device virtio-blk-device,drive=d0"
		fi
		mkfifo "$WORK/mon.in" "$WORK/mon.out"
		cat "$WORK/mon.out" >"$WORK/monitor.log" &
		# shellcheck disable=SC2086 # $machine is a word list
		"$QEMU" $machine -accel kvm -cpu host -m "$MEMORY_MIB" -smp "$CPUS" \
			${QEMU_FW:+-L "$QEMU_FW"} -nodefaults -display none -no-reboot \
			-serial stdio -monitor "pipe:$WORK/mon" \
			-kernel "$KERNEL" -initrd "$INITRD" -append "$append" \
			-drive "file=$DISK,format=raw,if=none,id=d0" \
			</dev/null >"$out" 2>"$WORK/vmm-stderr.log" &
		;;
	*)
		echo "lab-scenario: unknown VMM '$kind'" >&2
		return 1
		;;
	esac
	vmm_pid=$!
	vmm_rc=running
}

vmm_powerdown()
{
	case "$1" in
	virtty) "$VMMCTL" --wait 5 "$WORK/vm.ctl" '{"cmd":"powerdown"}' ;;
	*) echo system_powerdown >"$WORK/mon.in" ;;
	esac
}

# wait_exit PID SECS: 0 and vmm_rc set when it exited in time.
wait_exit()
{
	n=0
	while kill -0 "$1" 2>/dev/null; do
		[ $n -ge $(($2 * 10)) ] && return 1
		sleep 0.1
		n=$((n + 1))
	done
	wait "$1"
	vmm_rc=$?
	return 0
}

# Resident memory of the VMM without guest RAM, in KiB: for the process and
# its children (virtty-vmm runs the VM in a child of a small supervisor),
# VmRSS minus the resident part of the mappings at least as large as guest
# RAM (the RAM block; QEMU and virtty-vmm both map it in one piece).
rss_without_guest_kb()
{
	pids="$1 $(cat /proc/"$1"/task/*/children 2>/dev/null)"
	total=0
	for p in $pids; do
		kb=$(awk -v mem=$((MEMORY_MIB * 1024)) '
			/^[0-9a-f]+-[0-9a-f]+ / { big = 0 }
			/^Size:/ { big = ($2 >= mem) }
			/^Rss:/ { total += $2; if (big) guest += $2 }
			END { print total - guest }' "/proc/$p/smaps" 2>/dev/null)
		total=$((total + ${kb:-0}))
	done
	echo "$total"
}

# The marker's value from a serial log (console lines end in \r).
marker()
{
	tr -d '\r' <"$1" | sed -n "s/^LAB: $2=\([^ ]*\).*/\1/p" | head -n 1
}

run_test()
{
	log=$WORK/l2-$VMM.log
	tag=$(tr -d '-' </proc/sys/kernel/random/uuid)
	expected_nproc=$CPUS
	vmm_start "$VMM" "$CMDLINE_BASE lab.mode=test lab.tag=$tag lab.write_off=$WRITE_OFF" "$log" ||
		return 1
	if [ "$STREAM" = 1 ]; then
		# Live copy for the outer console, so a hang can be diagnosed
		# from the L1 log even when the whole run is killed.
		(
			tail -f "$log" 2>/dev/null &
			echo $! >"$WORK/tail.pid"
			wait
		) | while IFS= read -r l; do
			printf 'L2| %s\n' "${l%"$cr"}"
		done &
	fi

	n=0
	ready=no
	while kill -0 "$vmm_pid" 2>/dev/null; do
		if grep -q 'LAB: ready' "$log"; then
			ready=yes
			break
		fi
		[ $n -ge $((BOOT_TIMEOUT * 5)) ] && break
		sleep 0.2
		n=$((n + 1))
	done
	secs=$(awk -v n=$n 'BEGIN { printf "%.1f", n / 5 }')

	if grep -q 'LAB: init reached' "$log"; then
		result PASS init-reached "(LAB: ready after ${secs}s)"
	else
		result FAIL init-reached "no 'LAB: init reached' in $((n / 5))s (VMM alive: $(kill -0 "$vmm_pid" 2>/dev/null && echo yes || echo no))"
	fi
	got=$(marker "$log" nproc)
	if [ "$got" = "$expected_nproc" ]; then
		result PASS nproc "guest sees $got CPUs"
	else
		result FAIL nproc "guest printed nproc='$got', expected $expected_nproc"
	fi
	got=$(marker "$log" vda-sha256)
	if [ -n "$DISK_SHA256" ] && [ "$got" = "$DISK_SHA256" ]; then
		result PASS disk-read "guest sha256 of /dev/vda = host sha256 of the image"
	else
		result FAIL disk-read "guest sha256 '$got' != image sha256 '$DISK_SHA256'"
	fi

	: >"$WORK/powerdown.log"
	if [ "$ready" = no ]; then
		kill -9 "$vmm_pid" 2>/dev/null
		wait_exit "$vmm_pid" 10
		result FAIL powerdown "not tried: the guest never printed 'LAB: ready' (VMM exit status $vmm_rc)"
	elif vmm_powerdown "$VMM" >"$WORK/powerdown.log" 2>&1; pd=$?; wait_exit "$vmm_pid" 60; then
		if [ "$pd" = 0 ] && [ "$vmm_rc" = 0 ] && grep -q 'LAB: power button' "$log"; then
			result PASS powerdown "guest saw the power button, VMM exited 0"
		else
			result FAIL powerdown "powerdown request status $pd ($(tr '\n' ' ' <"$WORK/powerdown.log")), power button seen: $(grep -q 'LAB: power button' "$log" && echo yes || echo no), VMM exit status $vmm_rc"
		fi
	else
		result FAIL powerdown "VMM still running 60s after the powerdown request (status $pd); killed"
		kill -9 "$vmm_pid" 2>/dev/null
		wait "$vmm_pid" 2>/dev/null
	fi

	# The guest wrote a block naming this run's tag, then synced: it must be
	# in the image now that the VMM is gone.
	line=$(printf '%-63.63s' "virtty-lab-block $tag")
	for i in $(seq 64); do echo "$line"; done >"$WORK/block.expected"
	dd if="$DISK" of="$WORK/block.actual" bs=4096 count=1 skip=$((WRITE_OFF / 4096)) 2>/dev/null
	if cmp -s "$WORK/block.expected" "$WORK/block.actual"; then
		result PASS disk-write "guest's block is in the image at offset $WRITE_OFF"
	else
		result FAIL disk-write "image at offset $WRITE_OFF does not hold the guest's block (guest: vda-write=$(marker "$log" vda-write); image has '$(head -c 40 "$WORK/block.actual" | tr -c 'a-zA-Z0-9 -' .)...', expected '$(head -c 40 "$WORK/block.expected")...')"
	fi

	if [ "$STREAM" = 1 ]; then
		sleep 1
		kill "$(cat "$WORK/tail.pid")" 2>/dev/null
		wait
	else
		tr -d '\r' <"$log" | sed 's/^/L2| /'
	fi
	if [ -s "$WORK/vmm-stderr.log" ]; then
		sed 's/^/VMM-STDERR| /' "$WORK/vmm-stderr.log"
	fi
	return "$failed"
}

# One timed boot: prints "init_ms rss_kb vmm_rss_kb" (vmm_rss_kb: the VMM's
# own figure, virtty only; "-" otherwise).
bench_once()
{
	local kind="$1" log="$2" l t0 t1 tn ms rss own reader
	: >"$log"
	rm -f "$WORK/t_init" "$WORK/rss" "$WORK/stats"
	read -r t0 _ </proc/uptime
	# The guest powers off by itself 2 s after "ready"; reading its console
	# through a pipe timestamps the marker as soon as it is printed.
	mkfifo "$WORK/serial.pipe" 2>/dev/null
	vmm_start "$kind" "$CMDLINE_BASE lab.mode=bench lab.hold=2" "$WORK/serial.pipe" || return 1
	while IFS= read -r l; do
		case "$l" in
		*"LAB: init reached"*)
			read -r t1 _ </proc/uptime
			echo "$t1" >"$WORK/t_init"
			;;
		*"LAB: ready"*)
			rss=$(rss_without_guest_kb "$vmm_pid")
			own=-
			if [ "$kind" = virtty ]; then
				"$VMMCTL" "$WORK/vm.ctl" '{"cmd":"stats"}' >"$WORK/stats" 2>/dev/null
				own=$(sed -n 's/.*"vmm_rss_bytes": *\([0-9]*\).*/\1/p' "$WORK/stats")
				[ -n "$own" ] && own=$((own / 1024)) || own=-
			fi
			echo "${rss:--} $own" >"$WORK/rss"
			;;
		esac
		if [ "$LAB_STAMP" = 1 ]; then
			read -r tn _ </proc/uptime
			printf '[+%s] %s\n' "$(awk -v a="$t0" -v b="$tn" \
				'BEGIN { printf "%d", (b - a) * 1000 }')" "$l" >>"$log"
		else
			printf '%s\n' "$l" >>"$log"
		fi
	done <"$WORK/serial.pipe" &
	reader=$!
	if ! wait_exit "$vmm_pid" "$BOOT_TIMEOUT"; then
		kill -9 "$vmm_pid" 2>/dev/null
		vmm_rc=killed
	fi
	wait "$reader" 2>/dev/null
	if [ ! -s "$WORK/t_init" ]; then
		echo "lab-scenario: $kind: no 'LAB: init reached' (VMM status $vmm_rc); console:" >&2
		sed 's/^/L2| /' "$log" "$WORK/vmm-stderr.log" >&2
		return 1
	fi
	read -r t1 <"$WORK/t_init"
	ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
	echo "$ms $(cat "$WORK/rss" 2>/dev/null || echo '- -')"
}

run_bench()
{
	# Round-robin (rep 1 of every VMM, then rep 2...): on a shared machine
	# the load drifts, and this spreads it over the VMMs alike.
	i=1
	while [ $i -le "$REPS" ]; do
		for kind in $VMMS; do
			VMM=$kind
			if r=$(bench_once "$kind" "$WORK/bench-$kind-$i.log"); then
				echo "LAB-BENCH: vmm=$kind rep=$i $(echo "$r" |
					awk '{ printf "init_ms=%s rss_kb=%s own_rss_kb=%s", $1, $2, $3 }')"
			else
				echo "LAB-BENCH: vmm=$kind rep=$i failed"
			fi
			# The stamped console is for reading afterwards: L1 keeps
			# no files, so it goes to the outer console.
			if [ "$LAB_STAMP" = 1 ]; then
				tr -d '\r' <"$WORK/bench-$kind-$i.log" | sed "s/^/L2-$kind-$i| /"
				[ "$kind" = virtty ] && sed "s/^/STATS-$kind-$i| /" "$WORK/stats"
			fi
		done
		i=$((i + 1))
	done
}

failed=0
case "$what" in
test) run_test ;;
bench) run_bench ;;
*)
	echo "usage: $0 test|bench [VAR=VALUE...]" >&2
	exit 2
	;;
esac
