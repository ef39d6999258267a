#!/bin/sh
# /init of the demo VM (the guest `./setup.sh` defines as `demo`): loads the
# virtio modules, mounts its virtio disk (formatting it only when it is
# blank), prints a welcome banner, then hands over to busybox init, which
# keeps a shell on the serial console and runs acpid so the power button (or
# `poweroff` in the shell) powers the VM off cleanly.
export PATH=/bin:/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /run /tmp /data /var/log
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
hostname demo

# Dependencies first (the list was ordered when the image was built).
while read -r ko; do
	insmod "/lib/modules/$ko" 2>/dev/null || echo "demo: could not load $ko"
done </lib/modules/load-order

# virtio_blk probes asynchronously; give /dev/vda a moment to appear.
i=0
while [ ! -b /dev/vda ] && [ $i -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done

# A disk is formatted only when its first 128 KiB are all zero (a fresh
# `--disk new:SIZE`), so a disk holding anything else is never overwritten.
disk="none"
if [ -b /dev/vda ]; then
	mib=$(($(cat /sys/block/vda/size) / 2048))
	ro=$(cat /sys/block/vda/ro 2>/dev/null)
	if mount -t ext4 /dev/vda /data 2>/dev/null; then
		disk="/dev/vda ($mib MiB) mounted on /data"
	elif [ "$(dd if=/dev/vda bs=65536 count=2 2>/dev/null | tr -d '\000' | wc -c)" = 0 ] &&
		[ "$ro" = 0 ]; then
		echo "demo: /dev/vda is blank: creating an ext2 filesystem"
		if mke2fs -q -L demo /dev/vda >/dev/null 2>&1 && mount -t ext4 /dev/vda /data; then
			echo "This file lives on the demo VM's virtio disk." >/data/README
			sync
			disk="/dev/vda ($mib MiB) formatted and mounted on /data"
		else
			disk="/dev/vda ($mib MiB): could not create a filesystem"
		fi
	else
		disk="/dev/vda ($mib MiB): no filesystem we know, left as a raw disk"
	fi
fi

# The power button reaches busybox acpid through button.ko + evdev as a
# KEY_POWER input event; acpid runs /etc/acpi/PWRF/00000080, and `poweroff`
# asks init for a clean shutdown (processes stopped, disk unmounted).
mkdir -p /etc/acpi/PWRF
printf '#!/bin/sh\npoweroff\n' \
	>/etc/acpi/PWRF/00000080
chmod 755 /etc/acpi/PWRF/00000080

mem=$(awk '/^MemTotal:/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)
cat <<EOF

Welcome to the virtty demo VM
  kernel   $(uname -r)
  CPUs     $(nproc)
  memory   $mem
  disk     $disk
Type 'poweroff' to power the VM off. Leave 'virtty console' with Ctrl-].

EOF

# busybox init: a login-less shell on the serial console (respawned when it
# exits), acpid in the foreground (its daemon mode loses the relative action
# path), and a clean unmount on poweroff.
cat >/etc/inittab <<'EOF'
::respawn:/sbin/acpid -f -c /etc/acpi
ttyS0::respawn:-/bin/sh
::shutdown:/bin/sync
::shutdown:/bin/umount -r /data
EOF
printf 'PS1="demo:\\w# "\nexport PS1\n' >/etc/profile
exec /sbin/init
