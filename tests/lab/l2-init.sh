#!/bin/sh
# /init of the nested lab's inner guest (L2): prints "LAB: ..." markers on the
# serial console for the test runner to check, then waits for the ACPI power
# button (lab.mode=test) or powers off at once (lab.mode=bench).
# Kernel command line: lab.mode=test|bench|vnc|net lab.tag=HEX lab.hash_mib=N
#   lab.write_off=BYTES lab.hold=SECS lab.dmesg=1 (bench: print the kernel
#   log, lines prefixed "LAB-DMESG: ", after "LAB: ready", so a quiet boot's
#   timestamps can be read without console output slowing the boot)
#   net mode (net-scenario.sh): lab.ip=dhcp|A.B.C.D/N lab.gw=A.B.C.D
#   lab.netrole=server|client|sink lab.peer=A.B.C.D lab.bytes=N
export PATH=/bin:/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# First marker: the boot benchmark measures the time to it.
echo "LAB: init reached"

mode=test
tag=none
hash_mib=16
write_off=5242880
hold=0
dmesg=0
ip=dhcp
gw=
netrole=server
peer=
bytes=4194304
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.mode=*) mode=${arg#lab.mode=} ;;
	lab.tag=*) tag=${arg#lab.tag=} ;;
	lab.hash_mib=*) hash_mib=${arg#lab.hash_mib=} ;;
	lab.write_off=*) write_off=${arg#lab.write_off=} ;;
	lab.hold=*) hold=${arg#lab.hold=} ;;
	lab.dmesg=*) dmesg=${arg#lab.dmesg=} ;;
	lab.ip=*) ip=${arg#lab.ip=} ;;
	lab.gw=*) gw=${arg#lab.gw=} ;;
	lab.netrole=*) netrole=${arg#lab.netrole=} ;;
	lab.peer=*) peer=${arg#lab.peer=} ;;
	lab.bytes=*) bytes=${arg#lab.bytes=} ;;
	esac
done

# Dependencies first (the list was ordered when the image was built).
while read -r ko; do
	insmod "/lib/modules/$ko" 2>/dev/null || echo "LAB: insmod failed: $ko"
done </lib/modules/load-order

echo "LAB: nproc=$(nproc)"

if [ "$mode" = net ]; then
	# The network scenario: no disk; eth0 from DHCP or a static address,
	# the gateway pinged, then one TCP role on port 5001 (busybox nc).
	i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	ip link set lo up
	ip link set eth0 up || echo "LAB: no eth0"
	if [ "$ip" = dhcp ]; then
		# udhcpc runs this with the lease in its environment.
		cat >/tmp/dhcp.sh <<'EOF'
#!/bin/sh
case "$1" in
bound | renew)
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "$router" ] && ip route add default via "${router%% *}"
	echo "LAB: dhcp ip=$ip router=${router%% *} dns=${dns%% *}" >/tmp/lease
	;;
esac
EOF
		chmod 755 /tmp/dhcp.sh
		if udhcpc -i eth0 -q -n -t 10 -T 2 -s /tmp/dhcp.sh >/dev/null 2>&1 && [ -s /tmp/lease ]; then
			cat /tmp/lease
		else
			echo "LAB: dhcp failed"
		fi
		gw=$(ip route | sed -n 's/^default via \([0-9.]*\).*/\1/p')
	else
		ip addr add "$ip" dev eth0
		[ -n "$gw" ] && ip route add default via "$gw"
		echo "LAB: static ip=$ip"
	fi
	if [ -n "$gw" ]; then
		if ping -c 2 -W 3 "$gw" >/tmp/ping.out 2>&1; then
			echo "LAB: ping $gw ok $(grep -o 'time=[0-9.]* ms' /tmp/ping.out | head -n 1)"
		else
			echo "LAB: ping $gw failed"
		fi
	fi
	# A FIFO held open read-write: nc's stdin that never reaches EOF (busybox
	# nc closes the connection when its stdin ends).
	mkfifo /tmp/hold
	exec 3<>/tmp/hold
	case "$netrole" in
	server)
		echo "LAB: net ready"
		sum=$(nc -l -p 5001 <&3 | sha256sum | cut -d' ' -f1)
		echo "LAB: tcp-recv sha256=$sum"
		;;
	client)
		dd if=/dev/urandom of=/tmp/data bs=65536 count=$((bytes / 65536)) 2>/dev/null
		echo "LAB: tcp-send sha256=$(sha256sum /tmp/data | cut -d' ' -f1)"
		i=0
		until nc "$peer" 5001 </tmp/data; do
			i=$((i + 1))
			[ $i -ge 30 ] && { echo "LAB: tcp-send failed (no listener at $peer:5001)"; break; }
			sleep 1
		done
		echo "LAB: tcp-send done tries=$i"
		;;
	sink)
		# The benchmark: port 5001 swallows what comes, port 5002 sends
		# lab.bytes zeros, again and again.
		(while :; do nc -l -p 5001 <&3 >/dev/null; done) &
		(while :; do dd if=/dev/zero bs=65536 count=$((bytes / 65536)) 2>/dev/null |
			nc -l -p 5002 >/dev/null; done) &
		echo "LAB: net ready"
		;;
	esac
else

# virtio_blk probes asynchronously; give /dev/vda a moment to appear.
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -b /dev/vda ]; then
	sum=$(dd if=/dev/vda bs=1048576 count="$hash_mib" 2>/dev/null | sha256sum | cut -d' ' -f1)
	echo "LAB: vda-sha256=$sum mib=$hash_mib"
	# The block the runner looks for in the image after poweroff: 64 lines
	# of 63 characters + newline, naming this run's tag.
	line=$(printf '%-63.63s' "virtty-lab-block $tag")
	# (Through a file: dd reading a pipe may get a short first read.)
	for i in $(seq 64); do echo "$line"; done >/tmp/block
	if dd if=/tmp/block of=/dev/vda bs=4096 count=1 seek=$((write_off / 4096)) \
		conv=notrunc,fsync 2>/dev/null; then
		sync
		echo "LAB: vda-write=done offset=$write_off"
	else
		echo "LAB: vda-write=failed offset=$write_off"
	fi
else
	echo "LAB: vda missing"
fi
fi

if [ "$mode" = bench ]; then
	echo "LAB: ready"
	[ "$dmesg" = 1 ] && dmesg | sed 's/^/LAB-DMESG: /'
	[ "$hold" = 0 ] || sleep "$hold"
	poweroff -f
fi

if [ "$mode" = vnc ]; then
	# The graphical console test (vnc-scenario.sh): efifb's kernel lines
	# on the serial console, and a shell on the framebuffer's VT to type at.
	dmesg | grep -E 'efifb|fb0' | sed 's/^/LAB-DMESG: /'
	setsid sh -c 'exec sh -i </dev/tty1 >/dev/tty1 2>&1' &
fi

# The power button reaches busybox acpid through button.ko + evdev as a
# KEY_POWER input event; acpid then runs /etc/acpi/PWRF/00000080.
mkdir -p /etc/acpi/PWRF
cat >/etc/acpi/PWRF/00000080 <<'EOF'
#!/bin/sh
echo "LAB: power button"
sync
poweroff -f
EOF
chmod 755 /etc/acpi/PWRF/00000080
if ls /dev/input/event* >/dev/null 2>&1; then
	# -d: stay in the foreground (the daemon mode loses the relative
	# action path) and log events on the console for diagnosis.
	acpid -d -c /etc/acpi &
else
	echo "LAB: no input device for the power button"
fi
echo "LAB: ready"
while :; do
	sleep 3600
done
