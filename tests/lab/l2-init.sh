#!/bin/sh
# /init of the nested lab's inner guest (L2): prints "LAB: ..." markers on the
# serial console for the test runner to check, then waits for the ACPI power
# button (lab.mode=test) or powers off at once (lab.mode=bench).
# Kernel command line: lab.mode=test|bench|vnc lab.tag=HEX lab.hash_mib=N
#   lab.write_off=BYTES lab.hold=SECS lab.dmesg=1 (bench: print the kernel
#   log, lines prefixed "LAB-DMESG: ", after "LAB: ready", so a quiet boot's
#   timestamps can be read without console output slowing the boot)
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
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.mode=*) mode=${arg#lab.mode=} ;;
	lab.tag=*) tag=${arg#lab.tag=} ;;
	lab.hash_mib=*) hash_mib=${arg#lab.hash_mib=} ;;
	lab.write_off=*) write_off=${arg#lab.write_off=} ;;
	lab.hold=*) hold=${arg#lab.hold=} ;;
	lab.dmesg=*) dmesg=${arg#lab.dmesg=} ;;
	esac
done

# Dependencies first (the list was ordered when the image was built).
while read -r ko; do
	insmod "/lib/modules/$ko" 2>/dev/null || echo "LAB: insmod failed: $ko"
done </lib/modules/load-order

echo "LAB: nproc=$(nproc)"

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
