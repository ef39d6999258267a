# Shared by the libvirt tests (libvirtd.sh, ssh.sh): PASS/FAIL lines, a
# libvirtd (the running one, or one started here and stopped at the end),
# the lab's Debian kernel and busybox initramfs, and a VM's life through
# `virtty -c URI`: define, start, console, VNC, shutdown, undefine.
# Sourced with $here = tests/libvirt of the source tree.

top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
VIRTTY=${VIRTTY:-$top_builddir/cli/virtty}
LV_OPEN=$top_builddir/tests/libvirt/lv-open
VNC_CHECK=$top_builddir/tests/vnc/vnc-check
lab=$top_srcdir/tests/lab
# /dev/kvm here is a slow software hypervisor: TCG boots the kernel faster.
VIRTTY_LIBVIRT_DOMAIN_TYPE=${VIRTTY_LIBVIRT_DOMAIN_TYPE:-qemu}
export VIRTTY_LIBVIRT_DOMAIN_TYPE
# Generous: a TCG boot of the Debian kernel takes 30-60 s on a loaded machine.
LV_BOOT_WAIT=${LV_BOOT_WAIT:-400}

lv_fails=0
lv_pass() { echo "PASS: $*"; }
lv_fail()
{
	echo "FAIL: $*"
	lv_fails=$((lv_fails + 1))
}
lv_skip()
{
	echo "SKIP: $*"
	exit 77
}

# Preconditions every libvirt test has: root, the programs, the built tree.
lv_require()
{
	[ "$(id -u)" = 0 ] || lv_skip "needs root (a system libvirtd and qemu:///system)"
	for p in libvirtd virtlogd qemu-system-x86_64 tmux ss "$@"; do
		command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] ||
			lv_skip "$p is not installed (tests/install-deps.sh installs it)"
	done
	for f in "$VIRTTY" "$LV_OPEN" "$VNC_CHECK"; do
		[ -x "$f" ] || lv_skip "$f is not built (make check builds it)"
	done
}

# A private directory the qemu user (libvirt-qemu) can read the initramfs in.
lv_tmpdir()
{
	lv_tmp=$(mktemp -d /tmp/virtty-lv.XXXXXX) || exit 1
	chmod 755 "$lv_tmp"
}

lv_sbin()
{
	command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"
}

# Use the system libvirtd if one answers; else start libvirtd (and virtlogd,
# which its QEMU driver logs through) and remember to stop them.
lv_started_libvirtd=
lv_started_virtlogd=
lv_daemon_start()
{
	# One libvirt test at a time (make -j runs them in parallel): they
	# share the daemon, which one of them may start and stop.
	exec 8>/tmp/virtty-libvirt-tests.lock
	flock 8 || lv_skip "cannot lock /tmp/virtty-libvirt-tests.lock"
	if "$VIRTTY" -c qemu:///system list >/dev/null 2>&1; then
		echo "# using the libvirtd that runs already"
		return 0
	fi
	# (A socket that is listened on, not a process name: a dying virtlogd
	# may linger as a zombie.)
	if ! ss -Hlx 2>/dev/null | grep -q /run/libvirt/virtlogd-sock; then
		"$(lv_sbin virtlogd)" --daemon --pid-file "$lv_tmp/virtlogd.pid" ||
			lv_skip "cannot start virtlogd"
		lv_started_virtlogd=$lv_tmp/virtlogd.pid
	fi
	"$(lv_sbin libvirtd)" --daemon --pid-file "$lv_tmp/libvirtd.pid" ||
		lv_skip "cannot start libvirtd"
	lv_started_libvirtd=$lv_tmp/libvirtd.pid
	i=0
	until "$VIRTTY" -c qemu:///system list >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 120 ] || lv_skip "the libvirtd started here does not answer on qemu:///system"
		sleep 0.5
	done
	echo "# started libvirtd (pid $(cat "$lv_tmp/libvirtd.pid"))"
}

lv_stop_pidfile()
{
	[ -n "$1" ] && [ -s "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null || return 0
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

lv_daemon_stop()
{
	lv_stop_pidfile "$lv_started_libvirtd"
	lv_stop_pidfile "$lv_started_virtlogd"
}

# vmlinuz and an initramfs printing "LAB: ..." markers into $lv_tmp.
lv_guest_files()
{
	out=$(sh "$lab/fetch-kernel.sh" 2>"$lv_tmp/fetch.err") ||
		lv_skip "no lab kernel: $(tail -n 1 "$lv_tmp/fetch.err")"
	eval "$out"
	lv_kernel=$vmlinuz
	lv_initrd=$lv_tmp/initrd.gz
	sh "$lab/mkinitramfs-l2.sh" "$modules" "$lv_initrd" >"$lv_tmp/mkinitramfs.log" 2>&1 ||
		lv_skip "cannot build the lab initramfs: $(tail -n 1 "$lv_tmp/mkinitramfs.log")"
	chmod 644 "$lv_initrd"
}

# lv_wait_for FILE TEXT SECONDS: until FILE holds TEXT.
lv_wait_for()
{
	i=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $(($3 * 2)) ] || return 1
		sleep 0.5
	done
}

# lv_vm_state URI VM: the STATE column of `virtty list` for VM ("" if absent).
lv_vm_state()
{
	"$VIRTTY" -c "$1" list 2>/dev/null | awk -v vm="$2" '
		$1 == vm { $1 = ""; sub(/^ +/, ""); print $1 == "shut" ? "shut off" : $1 }'
}

# lv_wait_state URI VM STATE SECONDS
lv_wait_state()
{
	i=0
	while [ "$(lv_vm_state "$1" "$2")" != "$3" ]; do
		i=$((i + 1))
		[ $i -le $(($4 * 2)) ] || return 1
		sleep 0.5
	done
}

# The serial console through `virtty -c URI console VM`, input from a FIFO
# on fd 3 (so the test can type), output in $lv_tmp/console.out.
lv_console_attach()
{
	rm -f "$lv_tmp/console.in"
	mkfifo "$lv_tmp/console.in"
	"$VIRTTY" -c "$1" console "$2" <"$lv_tmp/console.in" >"$lv_tmp/console.out" 2>&1 &
	lv_console_pid=$!
	exec 3>"$lv_tmp/console.in"
}

lv_console_detach()
{
	exec 3>&-
	if [ -n "${lv_console_pid:-}" ]; then
		kill "$lv_console_pid" 2>/dev/null
		wait "$lv_console_pid" 2>/dev/null
		lv_console_pid=
	fi
}

# The whole life of one VM on URI, checked step by step.
lv_scenario()
{
	uri=$1
	vm=$2
	label=${3:-$1} # for the messages: the URI without its long parameters
	tag="vt$$"

	if "$VIRTTY" -c "$uri" define "$vm" --kernel "$lv_kernel" --initrd "$lv_initrd" \
		--cmdline "console=ttyS0 lab.mode=vnc lab.tag=$tag" --memory 256M --no-nic \
		>"$lv_tmp/define.out" 2>&1; then
		lv_pass "$label: virtty define $vm"
	else
		lv_fail "$label: virtty define $vm: $(cat "$lv_tmp/define.out")"
		return
	fi
	[ "$(lv_vm_state "$uri" "$vm")" = "shut off" ] &&
		lv_pass "$label: virtty list shows $vm shut off" ||
		lv_fail "$label: virtty list shows $vm as '$(lv_vm_state "$uri" "$vm")', not shut off"

	# Neither console nor screen while it is off, and the error says why.
	out=$("$LV_OPEN" "$uri" greeting "$vm")
	case "$out" in
	"error -3: "*"is shut off"*"start"*) lv_pass "$label: vnc_open of a shut-off VM: ${out#error -3: }" ;;
	*) lv_fail "$label: vnc_open of a shut-off VM: expected -ESRCH and a hint, got: $out" ;;
	esac
	out=$("$LV_OPEN" "$uri" console-err "$vm")
	case "$out" in
	"error -3: "*"is shut off"*) lv_pass "$label: console_open of a shut-off VM refused with -ESRCH" ;;
	*) lv_fail "$label: console_open of a shut-off VM: expected -ESRCH, got: $out" ;;
	esac

	if "$VIRTTY" -c "$uri" start "$vm" >"$lv_tmp/start.out" 2>&1; then
		lv_pass "$label: virtty start $vm"
	else
		lv_fail "$label: virtty start $vm: $(cat "$lv_tmp/start.out")"
		return
	fi
	lv_console_attach "$uri" "$vm"
	if lv_wait_for "$lv_tmp/console.out" "LAB: ready" "$LV_BOOT_WAIT"; then
		lv_pass "$label: the serial console shows the guest's 'LAB: ready'"
	else
		lv_fail "$label: no 'LAB: ready' on the serial console within $LV_BOOT_WAIT s:" \
			"$(tail -n 5 "$lv_tmp/console.out")"
		lv_console_detach
		return
	fi
	# The guest's tty echoes what arrives: typed text comes back.
	printf 'typed-%s\r' "$tag" >&3
	if lv_wait_for "$lv_tmp/console.out" "typed-$tag" 60; then
		lv_pass "$label: console input reaches the guest (its tty echoes 'typed-$tag')"
	else
		lv_fail "$label: console input: no echo of 'typed-$tag' from the guest"
	fi

	# VNC: the server's greeting through vnc_open ...
	out=$("$LV_OPEN" "$uri" greeting "$vm")
	case "$out" in
	"RFB 003."*) lv_pass "$label: vnc_open gives the VNC server's greeting '$out'" ;;
	*) lv_fail "$label: vnc_open: $out" ;;
	esac
	# ... the screen's pixels and the keyboard through it (vnc-check over a
	# proxy that calls vnc_open per client): the shell on the guest's tty1
	# runs what is typed and answers on the serial console.
	"$LV_OPEN" "$uri" proxy vnc "$vm" "$lv_tmp/vnc.sock" >"$lv_tmp/proxy.out" 2>&1 &
	lv_proxy_pid=$!
	if lv_wait_for "$lv_tmp/proxy.out" ready 30; then
		if "$VNC_CHECK" nonblack "$lv_tmp/vnc.sock" 120 >"$lv_tmp/nonblack.out" 2>&1; then
			lv_pass "$label: VNC through vnc_open: $(grep '^PASS' "$lv_tmp/nonblack.out" | sed 's/^PASS: //')"
		else
			lv_fail "$label: VNC through vnc_open: $(tail -n 1 "$lv_tmp/nonblack.out")"
		fi
		if "$VNC_CHECK" type "$lv_tmp/vnc.sock" "echo LAB: vnc-$tag >/dev/ttyS0" \
			>"$lv_tmp/type.out" 2>&1 &&
			lv_wait_for "$lv_tmp/console.out" "LAB: vnc-$tag" 120; then
			lv_pass "$label: keys typed over VNC ran a command in the guest (serial shows 'LAB: vnc-$tag')"
		else
			lv_fail "$label: keys over VNC: no 'LAB: vnc-$tag' on the serial console" \
				"($(tail -n 1 "$lv_tmp/type.out"))"
		fi
	else
		lv_fail "$label: lv-open proxy did not start: $(cat "$lv_tmp/proxy.out")"
	fi
	kill "$lv_proxy_pid" 2>/dev/null
	wait "$lv_proxy_pid" 2>/dev/null
	lv_proxy_pid=

	# The viewer itself, in tmux: its status line names the VM and the
	# screen size the server sent.
	tmux -S "$lv_tmp/tmux.sock" new-session -d -x 250 -y 40 \
		"$VIRTTY -c '$uri' vnc $vm; echo viewer-exit=\$?; sleep 600"
	i=0
	while :; do
		tmux -S "$lv_tmp/tmux.sock" capture-pane -p >"$lv_tmp/pane.txt" 2>/dev/null
		grep -Eq "$vm \\(.* \\| .*[0-9]+x[0-9]+" "$lv_tmp/pane.txt" && break
		i=$((i + 1))
		[ $i -le 120 ] || break
		sleep 0.5
	done
	if grep -Eq "$vm \\(.* \\| .*[0-9]+x[0-9]+" "$lv_tmp/pane.txt"; then
		lv_pass "$label: 'virtty vnc $vm' shows the screen: $(grep -Eo "$vm \\(.* \\| [0-9]+x[0-9]+" "$lv_tmp/pane.txt" | head -n 1)"
	else
		lv_fail "$label: 'virtty vnc $vm' shows no screen: $(grep -v '^ *$' "$lv_tmp/pane.txt" | tail -n 3)"
	fi
	tmux -S "$lv_tmp/tmux.sock" send-keys C-]
	i=0
	until grep -q "viewer-exit=" "$lv_tmp/pane.txt"; do
		i=$((i + 1))
		[ $i -le 60 ] || break
		sleep 0.5
		tmux -S "$lv_tmp/tmux.sock" capture-pane -p >"$lv_tmp/pane.txt" 2>/dev/null
	done
	grep -q "viewer-exit=0" "$lv_tmp/pane.txt" && lv_pass "$label: Ctrl-] leaves the viewer" ||
		lv_fail "$label: Ctrl-] did not leave the viewer cleanly: $(grep -v '^ *$' "$lv_tmp/pane.txt" | tail -n 2)"
	tmux -S "$lv_tmp/tmux.sock" kill-server 2>/dev/null

	# ACPI shutdown: the guest's acpid powers off; the console ends with it.
	if "$VIRTTY" -c "$uri" shutdown "$vm" >"$lv_tmp/shutdown.out" 2>&1 &&
		lv_wait_state "$uri" "$vm" "shut off" 180; then
		lv_pass "$label: virtty shutdown $vm -> shut off"
	else
		lv_fail "$label: virtty shutdown $vm: $(cat "$lv_tmp/shutdown.out"), state" \
			"'$(lv_vm_state "$uri" "$vm")'"
	fi
	grep -q "LAB: power button" "$lv_tmp/console.out" &&
		lv_pass "$label: the guest saw the power button (console)" ||
		lv_fail "$label: no 'LAB: power button' on the console"
	i=0
	while kill -0 "$lv_console_pid" 2>/dev/null && [ $i -lt 120 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	if ! kill -0 "$lv_console_pid" 2>/dev/null; then
		lv_pass "$label: the console client ended with the VM: $(tail -n 1 "$lv_tmp/console.out")"
	else
		lv_fail "$label: the console client still runs after the VM stopped"
	fi
	lv_console_detach

	if "$VIRTTY" -c "$uri" undefine "$vm" >"$lv_tmp/undefine.out" 2>&1 &&
		[ -z "$(lv_vm_state "$uri" "$vm")" ]; then
		lv_pass "$label: virtty undefine $vm; list no longer shows it"
	else
		lv_fail "$label: virtty undefine $vm: $(cat "$lv_tmp/undefine.out")"
	fi
}

# Whatever a failed run left: the VM, background programs.
lv_cleanup_vm()
{
	uri=$1
	vm=$2
	[ -n "${lv_proxy_pid:-}" ] && kill "$lv_proxy_pid" 2>/dev/null
	lv_console_detach 2>/dev/null
	[ -S "$lv_tmp/tmux.sock" ] && tmux -S "$lv_tmp/tmux.sock" kill-server 2>/dev/null
	if [ -n "$(lv_vm_state "$uri" "$vm")" ]; then
		"$VIRTTY" -c "$uri" destroy "$vm" >/dev/null 2>&1
		"$VIRTTY" -c "$uri" undefine "$vm" >/dev/null 2>&1
	fi
}
