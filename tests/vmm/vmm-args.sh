#!/bin/sh
# virtty-vmm refuses bad arguments and environments with one clear line on
# stderr and exit status 2, before any guest runs, and never crashes.
set -u
VMM=${VIRTTY_VMM:-../../backend/vmm/virtty-vmm}
GUESTS=${top_builddir:-../..}/tests/guests
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# expect_refusal NAME PATTERN [ENV=...] -- ARGS...: exit 2, one stderr line
# matching PATTERN (grep -E), no core dump.
expect_refusal()
{
	name=$1 pattern=$2
	shift 2
	env_args=
	while [ "$1" != "--" ]; do env_args="$env_args $1"; shift; done
	shift
	# shellcheck disable=SC2086
	env $env_args "$VMM" "$@" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	lines=$(wc -l <"$work/err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -Eq -- "$pattern" "$work/err"; then
		echo "PASS: $name: $(cat "$work/err")"
		passed=$((passed + 1))
	else
		echo "FAIL: $name: exit $rc (want 2), $lines stderr lines (want 1), want /$pattern/:"
		sed 's/^/  | /' "$work/err"
		failed=$((failed + 1))
	fi
}

[ -x "$VMM" ] || { echo "virtty-vmm not built at $VMM"; exit 99; }
hello=$GUESTS/hello.elf
bz=$GUESTS/bz64.bin

head -c 4096 /dev/urandom >"$work/garbage"
: >"$work/empty"
truncate -s 100M "$work/big-initrd"
truncate -s 1000 "$work/odd.img"
truncate -s 1M "$work/disk.img"
long=$(head -c 70000 /dev/zero | tr '\0' 'x')
host_mib=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)

expect_refusal no-args '--kernel PATH is required' --
expect_refusal unknown-option "unknown option '--frobnicate'" -- --frobnicate
expect_refusal missing-value "option '--memory' needs an argument" -- --kernel "$hello" --memory
expect_refusal stray-arg "unexpected argument 'extra'" -- --kernel "$hello" extra
expect_refusal missing-kernel "/nonexistent/vmlinuz.*(No such file|not found|cannot open)" -- --kernel /nonexistent/vmlinuz
expect_refusal garbage-kernel "garbage.*not a bzImage or ELF" -- --kernel "$work/garbage"
expect_refusal empty-kernel "empty" -- --kernel "$work/empty"
expect_refusal directory-kernel "$work" -- --kernel "$work"
expect_refusal initrd-too-big "initrd .*does not fit" -- --kernel "$bz" --memory 64 --initrd "$work/big-initrd"
expect_refusal missing-initrd "initrd '/nonexistent/initrd'" -- --kernel "$hello" --initrd /nonexistent/initrd
expect_refusal memory-zero "--memory '0'" -- --kernel "$hello" --memory 0
expect_refusal memory-negative "--memory '-1'" -- --kernel "$hello" --memory -1
expect_refusal memory-garbage "--memory '12x'" -- --kernel "$hello" --memory 12x
expect_refusal memory-beyond-host "more than this host's $host_mib MiB" -- --kernel "$hello" --memory $((host_mib + 1024))
expect_refusal cpus-zero "--cpus '0'" -- --kernel "$hello" --cpus 0
expect_refusal cpus-too-many "--cpus '1000'" -- --kernel "$hello" --cpus 1000
expect_refusal cmdline-too-long "command line is 70000 bytes" -- --kernel "$hello" --cmdline "$long"
expect_refusal cmdline-too-long-bzimage "command line is 70000 bytes.*accepts at most" -- --kernel "$bz" --cmdline "$long"
expect_refusal disk-missing "disk '/nonexistent/disk.img'" -- --kernel "$hello" --disk /nonexistent/disk.img
expect_refusal disk-odd-size "not a multiple of 512" -- --kernel "$hello" --disk "$work/odd.img"
expect_refusal bad-name "--name 'bad name!'" -- --kernel "$hello" --name 'bad name!'
expect_refusal no-kvm "/nonexistent/kvm.*(No such file|kvm module)" VIRTTY_KVM_DEVICE=/nonexistent/kvm -- --kernel "$hello"
expect_refusal not-kvm "/dev/null" VIRTTY_KVM_DEVICE=/dev/null -- --kernel "$hello"
expect_refusal serial-socket-dir "path is too long|cannot|No such file" -- --kernel "$hello" --serial "/nonexistent/dir/serial.sock"
expect_refusal control-path-too-long "too long" -- --kernel "$hello" --control "$work/$(head -c 200 /dev/zero | tr '\0' 'c')"
expect_refusal fb-garbage "--framebuffer 'big': expected WIDTHxHEIGHT" -- --kernel "$bz" --framebuffer big
expect_refusal fb-no-height "--framebuffer '1024x': expected WIDTHxHEIGHT" -- --kernel "$bz" --framebuffer 1024x
expect_refusal fb-trailing "--framebuffer '1024x768x32'" -- --kernel "$bz" --framebuffer 1024x768x32
expect_refusal fb-negative "--framebuffer '-640x480'" -- --kernel "$bz" --framebuffer -640x480
expect_refusal fb-zero "--framebuffer '0x0': width and height must be 64 to 4096" -- --kernel "$bz" --framebuffer 0x0
expect_refusal nic-kind "--nic 'tap': expected 'user' first" -- --kernel "$hello" --nic tap
expect_refusal nic-empty "--nic '': expected 'user' first" -- --kernel "$hello" --nic ''
expect_refusal nic-unknown-key "--nic: unknown key 'speed'" -- --kernel "$hello" --nic user,speed=10
expect_refusal nic-no-value "--nic: 'mac': expected key=value" -- --kernel "$hello" --nic user,mac
expect_refusal nic-bad-mac "--nic: mac '52:54:00:zz:00:01'" -- --kernel "$hello" --nic user,mac=52:54:00:zz:00:01
expect_refusal nic-short-mac "--nic: mac '52:54:00:01'" -- --kernel "$hello" --nic user,mac=52:54:00:01
expect_refusal nic-multicast-mac "--nic: mac '01:00:5e:00:00:01': expected a unicast" -- --kernel "$hello" --nic user,mac=01:00:5e:00:00:01
expect_refusal nic-same-mac "NICs 0 and 1 have the same MAC" -- --kernel "$hello" --nic user,mac=52:54:00:00:00:01 --nic user,mac=52:54:00:00:00:01
expect_refusal nic-bad-net "--nic: net '10.0.2.0': expected an IPv4 subnet" -- --kernel "$hello" --nic user,net=10.0.2.0
expect_refusal nic-net-prefix "--nic: net '10.0.0.0/31'" -- --kernel "$hello" --nic user,net=10.0.0.0/31
expect_refusal nic-net-host-bits "host bits are set \\(did you mean 192.168.7.0/24" -- --kernel "$hello" --nic user,net=192.168.7.9/24
expect_refusal nic-dhcp-outside "--nic: dhcpstart 10.0.3.15: must be a host address" -- --kernel "$hello" --nic user,dhcpstart=10.0.3.15
expect_refusal nic-dhcp-gateway "dhcpstart 10.0.2.2: must be a host address.*not the gateway" -- --kernel "$hello" --nic user,dhcpstart=10.0.2.2
expect_refusal nic-dhcp-too-high "dhcpstart 10.0.2.250: leaves fewer than 16" -- --kernel "$hello" --nic user,dhcpstart=10.0.2.250
expect_refusal nic-hostfwd-proto "hostfwd 'sctp:1-:2': expected tcp\\|udp" -- --kernel "$hello" --nic user,hostfwd=sctp:1-:2
expect_refusal nic-hostfwd-no-dash "hostfwd 'tcp::8080:22'" -- --kernel "$hello" --nic user,hostfwd=tcp::8080:22
expect_refusal nic-hostfwd-port0 "hostfwd 'tcp::0-:22'" -- --kernel "$hello" --nic user,hostfwd=tcp::0-:22
expect_refusal nic-hostfwd-port-big "hostfwd 'udp::70000-:7'" -- --kernel "$hello" --nic user,hostfwd=udp::70000-:7
expect_refusal nic-hostfwd-addr "hostfwd 'tcp:localhost:8080-:22'" -- --kernel "$hello" --nic user,hostfwd=tcp:localhost:8080-:22
expect_refusal nic-hostfwd-twice "host port 8080 is forwarded twice" -- --kernel "$hello" --nic user,hostfwd=tcp::8080-:22,hostfwd=tcp:127.0.0.1:8080-:23
expect_refusal nic-too-many "too many --nic options \\(at most 8\\)" -- --kernel "$hello" --nic user --nic user --nic user --nic user --nic user --nic user --nic user --nic user --nic user
expect_refusal fb-too-small "--framebuffer '1024x32': width and height must be 64 to 4096" -- --kernel "$bz" --framebuffer 1024x32
expect_refusal fb-too-wide "--framebuffer '8192x768': width and height must be 64 to 4096" -- --kernel "$bz" --framebuffer 8192x768
expect_refusal fb-overflow "--framebuffer '4294967297x768'" -- --kernel "$bz" --framebuffer 4294967297x768
expect_refusal vnc-empty "--vnc needs a socket path" -- --kernel "$bz" --vnc ''
expect_refusal vnc-not-a-socket "VNC socket '$work/garbage': file exists and is not a socket" -- --kernel "$bz" --vnc "$work/garbage"
expect_refusal vnc-socket-dir "VNC socket '/nonexistent/dir/vnc.sock'" -- --kernel "$bz" --vnc /nonexistent/dir/vnc.sock
expect_refusal vnc-path-too-long "VNC socket .*too long" -- --kernel "$bz" --vnc "$work/$(head -c 200 /dev/zero | tr '\0' 'v')"
expect_refusal vnc-tcp-zero "--vnc-tcp '0': expected a port number from 1 to 65535" -- --kernel "$bz" --vnc-tcp 0
expect_refusal vnc-tcp-too-big "--vnc-tcp '65536': expected a port number" -- --kernel "$bz" --vnc-tcp 65536
expect_refusal vnc-tcp-garbage "--vnc-tcp 'vnc': expected a port number" -- --kernel "$bz" --vnc-tcp vnc

# A refused --vnc path is left alone.
if [ -s "$work/garbage" ] && [ ! -S "$work/garbage" ]; then
	echo "PASS: vnc-not-a-socket: the file is untouched"
	passed=$((passed + 1))
else
	echo "FAIL: vnc-not-a-socket: the file was replaced or removed"
	failed=$((failed + 1))
fi

# --framebuffer with a PVH kernel: one warning line, the VM still runs.
"$VMM" --kernel "$hello" --serial none --framebuffer 640x480 >"$work/out" 2>"$work/err" </dev/null
rc=$?
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$work/err")" -eq 1 ] && grep -q 'warning: .*PVH.*framebuffer' "$work/err"; then
	echo "PASS: fb-pvh-warning: $(cat "$work/err")"
	passed=$((passed + 1))
else
	echo "FAIL: fb-pvh-warning: exit $rc (want 0), want one PVH warning line:"
	sed 's/^/  | /' "$work/err"
	failed=$((failed + 1))
fi

echo "vmm args: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
