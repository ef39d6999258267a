#!/bin/sh
# vnc-scenario.sh: the graphical console with a real kernel. Boots the lab's
# L2 (Debian kernel + l2 initramfs, lab.mode=vnc) under virtty-vmm with
# --framebuffer and --vnc and checks what a VNC user gets: efifb takes the
# framebuffer, the VNC frame shows the console (not all black), and keys
# typed through VNC reach a shell on tty1 (it writes a marker to ttyS0).
# Prints "LAB-RESULT: PASS|FAIL vnc/NAME ..." lines. Runs inside the nested
# lab's L1 (busybox sh) or directly on a host with hardware virtualization.
#
# With VIEWER_PORT, the `virtty vnc` viewer on the host gets its turn too
# (viewer-scenario.sh): the VMM also listens on 127.0.0.1:VNC_TCP, a relay
# on VIEWER_PORT (the port QEMU forwards the host's loopback port to)
# passes connections on, "LAB-VIEWER: ready" says so on our stdout, and a
# line on our stdin (the L1 console) says the host is done, at most
# VIEWER_WAIT seconds later. Then: did the typed command run (its marker
# on ttyS0), and did the framebuffer gain the typed text's pixels?
#
# usage: vnc-scenario.sh VIRTTY_VMM=PATH VMMCTL=PATH VNC_CHECK=PATH
#          KERNEL=PATH INITRD=PATH WORK=DIR [BOOT_TIMEOUT=240] [MEMORY_MIB=256]
#          [VIEWER_PORT=PORT [VNC_TCP=5901] [VIEWER_WAIT=240]]
set -u

for kv in "$@"; do
	case "$kv" in
	*=*) eval "${kv%%=*}=\${kv#*=}" ;;
	*)
		echo "vnc-scenario: bad argument '$kv'" >&2
		exit 2
		;;
	esac
done
: "${VIRTTY_VMM:?}" "${VMMCTL:?}" "${VNC_CHECK:?}" "${KERNEL:?}" "${INITRD:?}" "${WORK:?}"
: "${BOOT_TIMEOUT:=240}" "${MEMORY_MIB:=256}" "${VIEWER_PORT:=}" "${VNC_TCP:=5901}"
: "${VIEWER_WAIT:=240}"
mkdir -p "$WORK"
failed=0
log=$WORK/l2-vnc.log
sock=$WORK/vnc.sock
ctl=$WORK/vnc-vm.ctl
marker=VNCKEYS-OK
# What the host's viewer types (viewer-scenario.sh types the same line).
viewer_marker=VIEWER-OK
set --
[ -n "$VIEWER_PORT" ] && set -- --vnc-tcp "$VNC_TCP"

result()
{
	# result PASS|FAIL NAME DETAIL...
	st=$1 name=$2
	shift 2
	echo "LAB-RESULT: $st vnc/$name $*"
	[ "$st" = PASS ] || failed=1
}

# wait_log TEXT SECS: until the L2 console shows TEXT (0) or time is up,
# or the VMM is gone (1).
wait_log()
{
	n=0
	while [ $n -lt $(($2 * 5)) ]; do
		grep -q -- "$1" "$log" 2>/dev/null && return 0
		kill -0 "$vmm_pid" 2>/dev/null || return 1
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}

# A small disk so the l2 init finds /dev/vda at once instead of waiting.
dd if=/dev/zero of="$WORK/vnc-disk.img" bs=1048576 count=1 2>/dev/null
rm -f "$sock" "$ctl"
# Kernel messages go to both consoles; the last one named is /dev/console,
# where the init's markers go: ttyS0. The init prints efifb's kernel lines
# (quiet hides them) and runs a shell on tty1, the framebuffer's VT.
"$VIRTTY_VMM" --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "console=tty0 console=ttyS0 quiet panic=-1 lab.mode=vnc lab.hash_mib=1 lab.write_off=4096" \
	--memory "$MEMORY_MIB" --disk "$WORK/vnc-disk.img" --framebuffer 1024x768 \
	--vnc "$sock" "$@" --serial stdio --control "$ctl" --no-reboot \
	</dev/null >"$log" 2>"$WORK/vnc-vmm.err" &
vmm_pid=$!

if wait_log 'LAB: ready' "$BOOT_TIMEOUT"; then
	ready=yes
else
	ready=no
fi
probe=$(tr -d '\r' <"$log" | grep -c 'efifb: probing for efifb')
fb0=$(tr -d '\r' <"$log" | grep -o 'fb0: EFI VGA frame buffer device' | head -n 1)
if [ "$probe" -gt 0 ] && [ -n "$fb0" ]; then
	result PASS efifb "the guest's efifb drives the framebuffer ($(tr -d '\r' <"$log" |
		grep -o 'efifb: mode is [^ ]*' | head -n 1))"
else
	result FAIL efifb "no 'efifb: probing for efifb' + '$fb0' in the guest's kernel log (LAB: ready: $ready)"
fi

if [ "$ready" = yes ]; then
	if out=$("$VNC_CHECK" nonblack "$sock" 60 2>&1); then
		result PASS frame "${out#PASS: }"
	else
		result FAIL frame "$(echo "$out" | tr '\n' ' ')"
	fi
	# The shell on tty1 may still be starting: one more try if the first
	# line is lost, and the result says so.
	try=1
	while [ $try -le 2 ]; do
		out=$("$VNC_CHECK" type "$sock" "echo $marker >/dev/ttyS0" 2>&1) ||
			echo "vnc-scenario: vnc-check type: $out"
		# Only the command's output reaches ttyS0; the typed line is on tty1.
		wait_log "^$marker" 30 && break
		try=$((try + 1))
	done
	if [ $try -le 2 ]; then
		result PASS keys "keys typed through VNC ran 'echo $marker >/dev/ttyS0' in the tty1 shell (try $try)"
	else
		result FAIL keys "no $marker on ttyS0 after typing it twice through VNC"
	fi
else
	result FAIL frame "not tried: the guest never printed 'LAB: ready'"
	result FAIL keys "not tried: the guest never printed 'LAB: ready'"
fi

# nonblack_count: how many pixels of the VNC frame are not black, or
# nothing if vnc-check got no frame.
nonblack_count()
{
	"$VNC_CHECK" nonblack "$sock" 60 2>/dev/null |
		sed -n 's/^PASS: .* has \([0-9]*\) non-black pixels.*/\1/p'
}

# The host's viewer types "echo VIEWER-OK >/dev/ttyS0" + Return into the
# tty1 shell. Each typed glyph of the 8x16 font lights dozens of pixels;
# the blinking cursor, 16 or so. So the frame must gain at least 5 pixels
# for each of the line's 23 non-blank characters.
if [ -n "$VIEWER_PORT" ]; then
	if [ "$ready" = yes ]; then
		viewer_t0=$(date +%s)
		fb_before=$(nonblack_count)
		# busybox nc: -ll keeps listening, -e runs the rest of the line
		# per connection with the connection on its stdin and stdout.
		nc -ll -p "$VIEWER_PORT" -e nc 127.0.0.1 "$VNC_TCP" &
		relay_pid=$!
		# Ready only once it listens (TCG makes nc slow to start): a
		# connection before that is refused and the viewer gives up.
		hexport=$(printf ':%04X 00000000:0000 0A' "$VIEWER_PORT")
		n=0
		while ! grep -q "$hexport" /proc/net/tcp && [ $n -lt 100 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		echo "LAB-VIEWER: ready port=$VIEWER_PORT frame-nonblack=${fb_before:-none}"
		reply=
		read -r -t "$VIEWER_WAIT" reply || reply=
		echo "LAB-VIEWER: host says '$reply'"
		if wait_log "^$viewer_marker" 30; then
			result PASS viewer-keys "the line typed in the host's 'virtty vnc' ran" \
				"'echo $viewer_marker >/dev/ttyS0' in the tty1 shell"
		else
			result FAIL viewer-keys "no $viewer_marker on ttyS0 (host: '$reply')"
		fi
		fb_after=$(nonblack_count)
		want=$((${fb_before:-0} + 5 * 23))
		if [ -n "$fb_before" ] && [ -n "$fb_after" ] && [ "$fb_after" -ge "$want" ]; then
			result PASS viewer-fb "the guest's framebuffer gained the typed line: non-black" \
				"pixels $fb_before before, $fb_after after"
		else
			result FAIL viewer-fb "non-black pixels ${fb_before:-none} before, ${fb_after:-none}" \
				"after the typing; expected at least $want"
		fi
		kill "$relay_pid" 2>/dev/null
		echo "LAB-VIEWER: the viewer's part took $(($(date +%s) - viewer_t0)) s"
	else
		echo "LAB-VIEWER: not ready: the guest never printed 'LAB: ready'"
		result FAIL viewer-keys "not tried: the guest never printed 'LAB: ready'"
		result FAIL viewer-fb "not tried: the guest never printed 'LAB: ready'"
	fi
fi

"$VMMCTL" --wait 5 "$ctl" '{"cmd":"powerdown"}' >/dev/null 2>&1
n=0
while kill -0 "$vmm_pid" 2>/dev/null && [ $n -lt 300 ]; do
	sleep 0.2
	n=$((n + 1))
done
if kill -0 "$vmm_pid" 2>/dev/null; then
	kill -9 "$vmm_pid" 2>/dev/null
	wait "$vmm_pid" 2>/dev/null
	result FAIL powerdown "the VM was still running 60 s after the powerdown request"
else
	wait "$vmm_pid"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -e "$sock" ]; then
		result PASS powerdown "VMM exited 0, VNC socket removed"
	else
		result FAIL powerdown "VMM exit status $rc, VNC socket $([ -e "$sock" ] && echo left behind || echo removed)"
	fi
fi
tr -d '\r' <"$log" | sed 's/^/L2-VNC| /'
[ -s "$WORK/vnc-vmm.err" ] && sed 's/^/VNC-VMM-STDERR| /' "$WORK/vnc-vmm.err"
exit "$failed"
