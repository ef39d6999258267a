#!/bin/sh
# Boots each tiny test guest under the real virtty-vmm on /dev/kvm and
# checks what it prints on COM1, the VMM's exit status and, for the disk
# guest, the disk file afterwards. Usage: run-guest-tests.sh [GUEST...]
# (hello bootinfo blk rng reset reboot triple bz64; default: all).
# Exit: 0 all passed, 1 a check failed, 77 skipped (no usable /dev/kvm),
# 99 hard error (guests or VMM not built).

set -u

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
VMM=${VIRTTY_VMM:-$top_builddir/backend/vmm/virtty-vmm}
GUEST_DIR=${VIRTTY_GUEST_DIR:-$top_builddir/tests/guests}
# Generous: every exit costs microseconds on a software-nested KVM.
TIMEOUT=${VIRTTY_GUEST_TIMEOUT:-60}

passed=0
failed=0

say()
{
	printf '%s\n' "$*"
}

pass()
{
	passed=$((passed + 1))
	say "PASS: $*"
}

fail()
{
	failed=$((failed + 1))
	say "FAIL: $*"
}

# Show what a run printed, once per run, so a failure can be understood
# from the log.
shown=' '
show_run()
{
	case $shown in
	*" $1 "*) return ;;
	esac
	shown="$shown$1 "
	say "  --- guest output ($1.out) ---"
	sed -n '1,60s/^/  | /p' "$work/$1.out"
	say "  --- virtty-vmm stderr ($1.err) ---"
	sed -n '1,30s/^/  | /p' "$work/$1.err"
}

if [ ! -e /dev/kvm ]; then
	say "SKIP: /dev/kvm does not exist; the guest tests need KVM"
	exit 77
fi
if ! (exec 3<>/dev/kvm) 2>/dev/null; then
	say "SKIP: cannot open /dev/kvm read-write (permissions?)"
	exit 77
fi
if [ ! -x "$VMM" ]; then
	say "ERROR: virtty-vmm not found at '$VMM' (set VIRTTY_VMM or build it)"
	exit 99
fi
for g in hello.elf bootinfo.elf blk.elf rng.elf reset.elf triple.elf bz64.bin; do
	if [ ! -f "$GUEST_DIR/$g" ]; then
		say "ERROR: guest '$GUEST_DIR/$g' not built (run make check)"
		exit 99
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/virtty-guests.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# run_guest TAG KERNEL [VMM OPTIONS...]: boots KERNEL, leaves the COM1
# output (without CRs) in $work/TAG.out and the exit status in $rc. With
# --no-reboot a guest reboot ends the VMM (status 3) instead of looping.
run_guest()
{
	tag=$1
	kernel=$2
	shift 2
	timeout "$TIMEOUT" "$VMM" --kernel "$GUEST_DIR/$kernel" --serial stdio --no-reboot "$@" \
		</dev/null >"$work/$tag.raw" 2>"$work/$tag.err"
	rc=$?
	shown=$(printf '%s' "$shown" | sed "s/ $tag / /")
	tr -d '\r' <"$work/$tag.raw" >"$work/$tag.out"
	if [ "$rc" -eq 124 ]; then
		say "  ($tag: killed after ${TIMEOUT}s)"
	fi
}

# expect_status TAG WANT: the exit status of the last run_guest.
expect_status()
{
	if [ "$rc" -eq "$2" ]; then
		pass "$1: virtty-vmm exit status $2"
	else
		fail "$1: virtty-vmm exit status $rc, expected $2"
		show_run "$1"
	fi
}

# expect_line TAG LINE: the guest printed exactly LINE.
expect_line()
{
	if grep -qxF -- "$2" "$work/$1.out"; then
		pass "$1: '$2'"
	else
		fail "$1: no line '$2'"
		show_run "$1"
	fi
}

# expect_no_line TAG PATTERN: no line contains PATTERN.
expect_no_line()
{
	if grep -qF -- "$2" "$work/$1.out"; then
		fail "$1: unexpected '$2'"
		show_run "$1"
	else
		pass "$1: no '$2'"
	fi
}

# field TAG PREFIX: the rest of the first line starting with PREFIX.
field()
{
	sed -n "s/^$2//p" "$work/$1.out" | head -n 1
}

# Host-side FNV-1a 32 of a file's first 512 bytes, as blk.elf computes it.
fnv1a_sector0()
{
	h=2166136261
	for b in $(od -An -tu1 -v -N512 "$1"); do
		h=$(( ((h ^ b) * 16777619) & 0xffffffff ))
	done
	printf '%08x' "$h"
}

# The 512 bytes blk.elf writes to sector 1.
blk_pattern()
{
	i=0
	while [ $i -lt 32 ]; do
		printf 'sector1 line %02d\n' $i
		i=$((i + 1))
	done
}

random_hex()
{
	od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

test_hello()
{
	run_guest hello hello.elf
	expect_status hello 0
	expect_line hello "virtty-guest: hello"
}

test_bootinfo()
{
	token=$(random_hex 6)
	cmdline="virtty bootinfo token=$token console=ttyS0"
	mem_mib=96
	head -c 100 /dev/urandom >"$work/initrd.img"
	initrd_head=$(od -An -tx1 -N16 "$work/initrd.img" | tr -d ' \n')

	run_guest bootinfo bootinfo.elf --memory $mem_mib --cmdline "$cmdline" \
		--initrd "$work/initrd.img"
	expect_status bootinfo 0
	expect_line bootinfo "bootinfo: magic ok version=1"
	expect_line bootinfo "bootinfo: cmdline=[$cmdline]"
	expect_line bootinfo "bootinfo: modules=1"

	mod=$(field bootinfo 'bootinfo: module0 ')
	case $mod in
	*" size=100 head=$initrd_head")
		pass "bootinfo: initrd module has the file's size and first bytes" ;;
	*)
		fail "bootinfo: initrd module is '$mod', expected size=100 head=$initrd_head"
		show_run bootinfo ;;
	esac

	# All RAM below the 32-bit hole ends exactly at --memory; only low
	# areas (EBDA, BIOS) may be carved out of it.
	ram=$(field bootinfo 'bootinfo: ram_kib=')
	ram_kib=${ram%% *}
	ram_end=${ram##*ram_end=}
	want_end=$(printf '0x%x' $((mem_mib << 20)))
	if [ "$ram_end" = "$want_end" ]; then
		pass "bootinfo: memmap RAM ends at $want_end (--memory $mem_mib)"
	else
		fail "bootinfo: memmap RAM ends at '$ram_end', expected $want_end"
		show_run bootinfo
	fi
	case $ram_kib in
	'' | *[!0-9]*) ram_kib=0 ;;
	esac
	if [ "$ram_kib" -le $((mem_mib * 1024)) ] && [ "$ram_kib" -ge $((mem_mib * 1024 - 1024)) ]; then
		pass "bootinfo: memmap RAM totals ${ram_kib} KiB"
	else
		fail "bootinfo: memmap RAM totals '${ram_kib}' KiB, expected about $((mem_mib * 1024))"
		show_run bootinfo
	fi

	rsdp=$(field bootinfo 'bootinfo: rsdp=')
	case $rsdp in
	*" sig=[RSD PTR ] checksum=ok")
		pass "bootinfo: RSDP at rsdp_paddr has signature and checksum" ;;
	*)
		fail "bootinfo: RSDP line is '$rsdp'"
		show_run bootinfo ;;
	esac
}

test_blk()
{
	sectors=2056
	dd if=/dev/urandom of="$work/disk.img" bs=512 count=$sectors 2>/dev/null
	cp "$work/disk.img" "$work/disk.orig"
	sum0=$(fnv1a_sector0 "$work/disk.img")
	blk_pattern >"$work/pattern"
	cp "$work/disk.orig" "$work/disk.want"
	dd if="$work/pattern" of="$work/disk.want" bs=512 seek=1 conv=notrunc 2>/dev/null

	run_guest blk blk.elf --disk "$work/disk.img"
	expect_status blk 0
	expect_line blk "blk: capacity=$sectors"
	expect_line blk "blk: read0 status=0 fnv1a=$sum0"
	expect_line blk "blk: write1 status=0"
	expect_line blk "blk: flush status=0"
	expect_line blk "blk: read1 status=0 match=yes"
	st=$(field blk 'blk: read-past-end status=')
	case $st in
	[1-9]*) pass "blk: read past the end refused (status $st)" ;;
	*) fail "blk: read past the end gave status '$st'"; show_run blk ;;
	esac
	expect_line blk "blk: done"
	if cmp -s "$work/disk.img" "$work/disk.want"; then
		pass "blk: disk file holds the pattern in sector 1 and nothing else changed"
	else
		fail "blk: disk file differs from the expected image"
		cmp "$work/disk.img" "$work/disk.want" | sed 's/^/  /'
	fi

	cp "$work/disk.orig" "$work/disk.img"
	run_guest blk-ro blk.elf --disk "$work/disk.img,readonly"
	expect_status blk-ro 0
	expect_line blk-ro "blk: capacity=$sectors"
	ro=$(field blk-ro 'blk: features ')
	case $ro in
	ro=1*) pass "blk-ro: device offers VIRTIO_BLK_F_RO" ;;
	*) fail "blk-ro: features line is '$ro', expected ro=1"; show_run blk-ro ;;
	esac
	expect_line blk-ro "blk: read0 status=0 fnv1a=$sum0"
	# VIRTIO_BLK_S_IOERR
	expect_line blk-ro "blk: write1 status=1"
	expect_line blk-ro "blk: read1 status=0 match=no"
	expect_line blk-ro "blk: done"
	if cmp -s "$work/disk.img" "$work/disk.orig"; then
		pass "blk-ro: read-only disk file unchanged"
	else
		fail "blk-ro: read-only disk file was modified"
	fi
}

test_rng()
{
	run_guest rng1 rng.elf
	expect_status rng1 0
	run_guest rng2 rng.elf
	expect_status rng2 0
	a=$(field rng1 'rng: bytes=')
	b=$(field rng2 'rng: bytes=')
	case $a in
	*[!0-9a-f]*) a= ;;
	esac
	if [ ${#a} -eq 128 ]; then
		pass "rng: 64 bytes printed"
	else
		fail "rng: expected 64 bytes in hex, got '$a'"
		show_run rng1
	fi
	case $a in
	*[!0]*) pass "rng: bytes are not all zero" ;;
	*) fail "rng: bytes are all zero" ;;
	esac
	if [ -n "$a" ] && [ "$a" != "$b" ]; then
		pass "rng: two boots read different bytes"
	else
		fail "rng: two boots read the same bytes ('$a')"
	fi
}

test_reset()
{
	run_guest reset reset.elf
	expect_status reset 3
	expect_line reset "reset: writing 0xfe to i8042 port 0x64"
	expect_no_line reset "still running"

	run_guest reset-cf9 reset.elf --cmdline "cf9"
	expect_status reset-cf9 3
	expect_line reset-cf9 "reset: writing 0x06 to port 0xcf9"
	expect_no_line reset-cf9 "still running"
}

# Without --no-reboot a guest reboot restarts the machine: the guest must
# boot again. Stop the VMM with SIGTERM once the second boot has printed.
test_reboot()
{
	tag=reboot
	"$VMM" --kernel "$GUEST_DIR/reset.elf" --serial stdio </dev/null \
		>"$work/$tag.raw" 2>"$work/$tag.err" &
	pid=$!
	boots=0
	waited=0
	while [ "$boots" -lt 2 ] && [ "$waited" -lt $((TIMEOUT * 5)) ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.2
		waited=$((waited + 1))
		boots=$(grep -c "^reset: writing" "$work/$tag.raw")
	done
	kill "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	tr -d '\r' <"$work/$tag.raw" >"$work/$tag.out"
	shown=$(printf '%s' "$shown" | sed "s/ $tag / /")
	if [ "$boots" -ge 2 ]; then
		pass "reboot: the guest booted again after asking for a reboot"
	else
		fail "reboot: the guest did not boot a second time"
		show_run "$tag"
	fi
	# SIGTERM is a quit on request.
	expect_status reboot 5
}

test_triple()
{
	run_guest triple triple.elf
	expect_status triple 4
	expect_line triple "triple: loading an empty IDT and executing int3"
	expect_no_line triple "still running"
}

test_bz64()
{
	cmdline="bz64 token=$(random_hex 6)"
	mem_mib=80
	run_guest bz64 bz64.bin --memory $mem_mib --cmdline "$cmdline"
	expect_status bz64 0
	hdr=$(field bz64 'bz64: header ')
	case $hdr in
	HdrS*) pass "bz64: boot_params carries the setup header" ;;
	*) fail "bz64: header line is '$hdr'"; show_run bz64 ;;
	esac
	expect_line bz64 "bz64: cmdline=[$cmdline]"
	n=$(field bz64 'bz64: e820 entries=')
	case $n in
	'' | *[!0-9]* | 0) fail "bz64: e820 entry count is '$n'"; show_run bz64 ;;
	*) pass "bz64: e820 has $n entries" ;;
	esac
	ram=$(field bz64 'bz64: ram_kib=')
	want_end=$(printf '0x%x' $((mem_mib << 20)))
	case $ram in
	*" ram_end=$want_end") pass "bz64: e820 RAM ends at $want_end (--memory $mem_mib)" ;;
	*) fail "bz64: e820 RAM line is '$ram', expected ram_end=$want_end"; show_run bz64 ;;
	esac
	expect_line bz64 "bz64: done"
}

# A VMM that cannot create a VM here says so before the guest runs (exit
# 2): that is a machine without usable KVM, not a failure of the tests.
run_guest probe hello.elf
if [ "$rc" -eq 2 ] && grep -qi kvm "$work/probe.err"; then
	say "SKIP: virtty-vmm cannot use /dev/kvm here:"
	sed -n '1,5s/^/  /p' "$work/probe.err"
	exit 77
fi
# Nothing else can pass if the smallest guest does not boot: say so once.
if [ "$rc" -ne 0 ] || ! grep -qxF "virtty-guest: hello" "$work/probe.out"; then
	fail "virtty-vmm cannot boot hello.elf (exit status $rc); not running the other guests"
	show_run probe
	exit 1
fi

all="hello bootinfo blk rng reset reboot triple bz64"
selected=${*:-$all}
for t in $selected; do
	case " $all " in
	*" $t "*) "test_$t" ;;
	*) say "ERROR: unknown guest test '$t' (known: $all)"; exit 99 ;;
	esac
done

say "guest tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
