/* Per-thread seccomp allow-lists. Lists are by role: what the event loop
 * needs (sockets, epoll, timers) and what a vCPU thread needs (KVM ioctls,
 * disk I/O done inline on the exit path, futexes); virtty-netd's event
 * loop has a list of its own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chardev.h"
#include "sandbox.h"

/* Who the violation message names (sandbox_set_program). */
static char sandbox_program[32] = "virtty-vmm";

void sandbox_set_program(const char *name)
{
	snprintf(sandbox_program, sizeof(sandbox_program), "%s", name);
}

/* Put the terminal back before dying. */
static void sandbox_on_violation(void)
{
	chardev_restore_tty();
}

#ifdef HAVE_SECCOMP
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* clang-format off */
/* Both roles: memory, locks, time, signals, logging, thread exit. */
static const char *const common_syscalls[] = {
	"read", "write", "readv", "writev", "close", "futex", "brk", "mmap", "munmap",
	"mremap", "madvise", "mprotect", "clock_gettime", "clock_nanosleep", "nanosleep",
	"gettimeofday", "rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "tgkill", "getpid",
	"gettid", "exit", "exit_group", "sched_yield", "restart_syscall", "getrandom",
	"fstat", "newfstatat", "lseek", "mincore",
};

/* ioctl is allowed only with these requests. */
static const unsigned long vcpu_ioctls[] = {
	KVM_RUN, KVM_IRQ_LINE, KVM_SIGNAL_MSI,
};
static const unsigned long main_ioctls[] = {
	KVM_IRQ_LINE, KVM_SIGNAL_MSI, TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, FIONBIO,
	FIONREAD,
};

/* The VNC thread: accepts on its listeners, talks RFB (libvncserver
 * select()s), reads the framebuffer's dirty log, queues PS/2 input (which
 * raises the i8042 interrupt). No open, no new sockets, no threads. */
static const unsigned long vnc_ioctls[] = {
	KVM_GET_DIRTY_LOG, KVM_IRQ_LINE, KVM_SIGNAL_MSI, FIONBIO, FIONREAD,
};

static const char *const vnc_syscalls[] = {
	"poll", "ppoll", "select", "pselect6", "accept4", "accept", "recvfrom", "recvmsg",
	"sendto", "sendmsg", "shutdown", "getsockopt", "setsockopt", "getpeername",
	"getsockname", "fcntl",
};

/* A user-mode NAT thread (net_slirp.c): libslirp opens a host socket per
 * guest connection (TCP connect, UDP, ICMP datagram sockets), accepts on
 * port forwards, polls, and delivers frames (MSI to the guest). It reads
 * /etc/resolv.conf for the DNS forwarder: openat is allowed read-only. */
static const unsigned long net_ioctls[] = {
	KVM_IRQ_LINE, KVM_SIGNAL_MSI, FIONBIO, FIONREAD,
};

static const char *const net_syscalls[] = {
	"poll", "ppoll", "socket", "connect", "bind", "listen", "accept", "accept4", "recvfrom",
	"recvmsg", "sendto", "sendmsg", "shutdown", "getsockopt", "setsockopt", "getsockname",
	"getpeername", "fcntl", "stat", "statx",
};

/* A switch client's thread (net_socket.c): receives frames on its UNIX
 * socket and delivers them (MSI to the guest), and when the switch went
 * away makes a new UNIX socket and connects it, once a second. No other
 * socket family, no open. */
static const unsigned long net_socket_ioctls[] = {
	KVM_IRQ_LINE, KVM_SIGNAL_MSI,
};

static const char *const net_socket_syscalls[] = {
	"poll", "ppoll", "connect", "recvfrom", "recvmsg",
};

static const char *const vcpu_syscalls[] = {
	/* virtio-blk requests run on the vCPU that notified */
	"pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2", "fdatasync", "fsync",
	"fallocate",
	/* handing work to the main thread */
	"eventfd2", "sendmsg", "sendto",
};

static const char *const main_syscalls[] = {
	"epoll_wait", "epoll_pwait", "epoll_ctl", "epoll_create1", "accept4", "accept",
	"socket", "bind", "listen", "connect", "recvfrom", "recvmsg", "sendto", "sendmsg",
	"shutdown", "getsockopt", "setsockopt", "getsockname", "unlink", "unlinkat", "fcntl",
	"pipe2", "eventfd2", "openat", "chmod", "fchmod", "umask", "signalfd4", "timerfd_create",
	"timerfd_settime", "poll", "ppoll", "dup", "dup3", "pread64", "pwrite64", "fdatasync",
	"fsync", "sched_getaffinity", "prlimit64", "uname", "getuid", "geteuid",
	"clone", "clone3", "set_robust_list", "rseq",
};

/* virtty-netd's event loop, once the network is built (sockets listening,
 * tap up, dnsmasq serving, the NAT's thread running): accept VM and
 * control connections, move frames between them and the tap, reap
 * dnsmasq. At exit it removes its socket files, stops dnsmasq (SIGTERM
 * only, below), joins the NAT's thread and rewrites the pid file through
 * the fd it holds. No new sockets, no opens, no ioctls, no threads, no
 * exec. */
static const char *const netd_syscalls[] = {
	"epoll_wait", "epoll_pwait", "epoll_ctl", "accept4", "accept", "recvfrom", "sendto",
	"fcntl", "unlink", "unlinkat", "wait4", "pwrite64", "ftruncate",
};
/* clang-format on */

static int sandbox_add(scmp_filter_ctx ctx, const char *const *names, size_t n, char *err,
		       size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int r;

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0) {
			snprintf(err, errlen, "seccomp: cannot allow %s: %s", names[i],
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

static int sandbox_add_ioctls(scmp_filter_ctx ctx, const unsigned long *cmds, size_t n, char *err,
			      size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					 SCMP_A1(SCMP_CMP_EQ, cmds[i]));

		if (r < 0) {
			snprintf(err, errlen, "seccomp: cannot allow ioctl 0x%lx: %s", cmds[i],
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

/* A blocked system call is a bug in these lists or an exploited VMM: say
 * which call it was, then stop (async-signal-safe calls only). */
static void sandbox_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[] = ": seccomp blocked system call 000\n";
	int nr = si->si_syscall;

	(void)sig;
	(void)uc;
	msg[sizeof(msg) - 5] = (char)('0' + nr / 100 % 10);
	msg[sizeof(msg) - 4] = (char)('0' + nr / 10 % 10);
	msg[sizeof(msg) - 3] = (char)('0' + nr % 10);
	if (write(STDERR_FILENO, sandbox_program, strlen(sandbox_program)) < 0 ||
	    write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more can be done */
	}
	sandbox_on_violation();
	_exit(1);
}

#define SANDBOX_LIST(a) a, sizeof(a) / sizeof(*(a))

/* Each role's plain allow-list; the conditional rules are in
 * sandbox_add_rules. */
static const struct sandbox_list {
	const char *const *syscalls;
	size_t nr_syscalls;
	const unsigned long *ioctls;
	size_t nr_ioctls;
} sandbox_lists[] = {
    [SANDBOX_MAIN] = {SANDBOX_LIST(main_syscalls), SANDBOX_LIST(main_ioctls)},
    [SANDBOX_VCPU] = {SANDBOX_LIST(vcpu_syscalls), SANDBOX_LIST(vcpu_ioctls)},
    [SANDBOX_VNC] = {SANDBOX_LIST(vnc_syscalls), SANDBOX_LIST(vnc_ioctls)},
    [SANDBOX_NET] = {SANDBOX_LIST(net_syscalls), SANDBOX_LIST(net_ioctls)},
    [SANDBOX_NET_SOCKET] = {SANDBOX_LIST(net_socket_syscalls), SANDBOX_LIST(net_socket_ioctls)},
    [SANDBOX_NETD] = {SANDBOX_LIST(netd_syscalls), NULL, 0},
};

/* r from libseccomp; a message when it failed. */
static int sandbox_rule(int r, const char *what, char *err, size_t errlen)
{
	if (r < 0)
		snprintf(err, errlen, "seccomp: cannot %s: %s", what, strerror(-r));
	return r;
}

/* The rules that look at arguments, by role. */
static int sandbox_add_rules(scmp_filter_ctx ctx, enum sandbox_role role, char *err, size_t errlen)
{
	int r = 0;

	/* glibc's malloc opens /proc/sys/vm/overcommit_memory the first time
	 * it shrinks a thread's arena; refused, it just keeps the memory. */
	if (role == SANDBOX_VNC || role == SANDBOX_NET_SOCKET || role == SANDBOX_NETD)
		r = sandbox_rule(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0),
				 "refuse openat", err, errlen);
	/* Read-only opens (no write access mode, no O_CREAT/O_TRUNC). */
	if (!r && role == SANDBOX_NET)
		r = sandbox_rule(
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ,
					     O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY)),
		    "allow read-only openat", err, errlen);
	if (!r && role == SANDBOX_NET_SOCKET)
		r = sandbox_rule(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
						  SCMP_A0(SCMP_CMP_EQ, AF_UNIX)),
				 "allow UNIX sockets", err, errlen);
	/* netd stops dnsmasq with SIGTERM; no other signal to anyone. */
	if (!r && role == SANDBOX_NETD)
		r = sandbox_rule(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
						  SCMP_A1(SCMP_CMP_EQ, SIGTERM)),
				 "allow kill with SIGTERM", err, errlen);
	return r;
}

int sandbox_apply(enum sandbox_role role, char *err, size_t errlen)
{
	const char *mode = getenv("VIRTTY_SECCOMP");
	const struct sandbox_list *l = &sandbox_lists[role];
	uint32_t action = SCMP_ACT_TRAP;
	struct sigaction sa = {.sa_sigaction = sandbox_sigsys, .sa_flags = SA_SIGINFO};
	scmp_filter_ctx ctx;
	int r;

	if (mode && !strcmp(mode, "off"))
		return 0;
	if (mode && !strcmp(mode, "log"))
		action = SCMP_ACT_LOG;
	sigemptyset(&sa.sa_mask);
	if (action == SCMP_ACT_TRAP && sigaction(SIGSYS, &sa, NULL) < 0) {
		snprintf(err, errlen, "seccomp: cannot install the SIGSYS handler: %s",
			 strerror(errno));
		return -errno;
	}
	ctx = seccomp_init(action);
	if (!ctx) {
		snprintf(err, errlen, "seccomp: cannot create a filter");
		return -ENOMEM;
	}
	r = sandbox_add(ctx, SANDBOX_LIST(common_syscalls), err, errlen);
	if (!r)
		r = sandbox_add(ctx, l->syscalls, l->nr_syscalls, err, errlen);
	if (!r)
		r = sandbox_add_ioctls(ctx, l->ioctls, l->nr_ioctls, err, errlen);
	if (!r)
		r = sandbox_add_rules(ctx, role, err, errlen);
	if (!r)
		r = sandbox_rule(seccomp_load(ctx), "load the filter", err, errlen);
	seccomp_release(ctx);
	return r;
}

#else

int sandbox_apply(enum sandbox_role role, char *err, size_t errlen)
{
	(void)role;
	(void)err;
	(void)errlen;
	return 0;
}

#endif
