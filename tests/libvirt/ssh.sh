#!/bin/sh
# qemu+ssh:// through a private sshd on 127.0.0.1: keys, host key and ssh
# configuration are the test's own (in a temp dir; ~/.ssh is not touched):
# the URI's command= names a wrapper running `ssh -F CONFIG`, keyfile= the
# client key. Over it: list, define, start, the serial console (a virStream
# over the SSH connection), VNC through the `ssh -W` tunnel (greeting,
# pixels, keys, the viewer), shutdown, undefine.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lv-common.sh"

lv_require ssh ssh-keygen sshd virt-ssh-helper
lv_tmpdir
vm=vt-lvssh-$$
uri=
sshd_pid=
made_run_sshd=
trap '[ -n "$uri" ] && lv_cleanup_vm "$uri" "$vm"; [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null;
	[ -n "$made_run_sshd" ] && rmdir /run/sshd 2>/dev/null; lv_daemon_stop; rm -rf "$lv_tmp"' EXIT
trap 'exit 1' INT TERM
lv_daemon_start
lv_guest_files

# Keys: the server's host key and our client key, both fresh.
ssh-keygen -q -t ed25519 -N '' -f "$lv_tmp/host_key" || lv_skip "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -f "$lv_tmp/id" || lv_skip "ssh-keygen failed"
cp "$lv_tmp/id.pub" "$lv_tmp/authorized_keys"
chmod 600 "$lv_tmp/authorized_keys"
# sshd's privilege separation directory (the package's service makes it).
if [ ! -d /run/sshd ]; then
	mkdir -m 755 /run/sshd && made_run_sshd=yes
fi

# A free port on 127.0.0.1.
port=
for p in $(seq $((20000 + $$ % 20000)) $((20000 + $$ % 20000 + 50))); do
	if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
		port=$p
		break
	fi
done
[ -n "$port" ] || lv_skip "no free TCP port for sshd on 127.0.0.1"

cat >"$lv_tmp/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $lv_tmp/host_key
AuthorizedKeysFile $lv_tmp/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile $lv_tmp/sshd.pid
CONF
"$(lv_sbin sshd)" -D -e -f "$lv_tmp/sshd_config" 2>"$lv_tmp/sshd.log" &
sshd_pid=$!

# The client side: our key, and the server's host key as the only known
# one (so the host really is verified).
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$lv_tmp/host_key.pub")" \
	>"$lv_tmp/known_hosts"
cat >"$lv_tmp/ssh_config" <<CONF
Host *
	UserKnownHostsFile $lv_tmp/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	IdentitiesOnly yes
	IdentityFile $lv_tmp/id
CONF
cat >"$lv_tmp/ssh" <<CONF
#!/bin/sh
exec ssh -F '$lv_tmp/ssh_config' "\$@"
CONF
chmod 755 "$lv_tmp/ssh"

i=0
until "$lv_tmp/ssh" -o BatchMode=yes -p "$port" root@127.0.0.1 true 2>"$lv_tmp/ssh.err"; do
	i=$((i + 1))
	if ! kill -0 "$sshd_pid" 2>/dev/null || [ $i -gt 40 ]; then
		lv_skip "cannot log in through a private sshd on 127.0.0.1:$port:" \
			"$(tail -n 1 "$lv_tmp/ssh.err") / $(tail -n 1 "$lv_tmp/sshd.log")"
	fi
	sleep 0.5
done
lv_pass "ssh root@127.0.0.1:$port works with the test's own keys"

uri="qemu+ssh://root@127.0.0.1:$port/system?command=$lv_tmp/ssh&keyfile=$lv_tmp/id"
if "$VIRTTY" -c "$uri" list >"$lv_tmp/list.out" 2>&1; then
	lv_pass "virtty -c qemu+ssh://root@127.0.0.1:$port/system list"
else
	lv_fail "virtty -c $uri list: $(cat "$lv_tmp/list.out")"
	exit 1
fi

lv_scenario "$uri" "$vm" "qemu+ssh://root@127.0.0.1:$port/system"

[ "$lv_fails" = 0 ] || { echo "FAIL: $lv_fails check(s) failed"; exit 1; }
echo "PASS: ssh.sh"
