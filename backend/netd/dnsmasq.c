/* DHCP for hostonly networks: a dnsmasq child bound to the tap only, no
 * DNS (port 0), leases beside the control socket. netd starts it once the
 * tap has its address, and stops it (SIGTERM) when the network stops; the
 * kernel stops it too if netd dies (PR_SET_PDEATHSIG). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netd.h"

#define DNSMASQ_START_TIMEOUT_MS 10000

static void dnsmasq_addr(uint32_t a, char *buf, size_t len)
{
	struct in_addr in = {.s_addr = htonl(a)};

	inet_ntop(AF_INET, &in, buf, (socklen_t)len);
}

/* The control socket's directory (the network's runtime directory). */
static void dnsmasq_dir(const struct netd *netd, char *buf, size_t len)
{
	const char *slash = strrchr(netd->cfg.control_path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == netd->cfg.control_path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - netd->cfg.control_path),
			 netd->cfg.control_path);
}

static void dnsmasq_exec(const struct netd *netd, const char *dir, const char *pidfile)
{
	char iface[64], range[128], leases[PATH_MAX + 64], pid_opt[PATH_MAX + 64];
	char start[INET_ADDRSTRLEN], end[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
	const char *prog = netd->cfg.dnsmasq ? netd->cfg.dnsmasq : "dnsmasq";
	sigset_t none;

	dnsmasq_addr(netd->cfg.dhcp_start, start, sizeof(start));
	dnsmasq_addr(netd->cfg.dhcp_end, end, sizeof(end));
	dnsmasq_addr(netd->cfg.mask, mask, sizeof(mask));
	snprintf(iface, sizeof(iface), "--interface=%s", netd->ifname);
	snprintf(range, sizeof(range), "--dhcp-range=%s,%s,%s,1h", start, end, mask);
	snprintf(leases, sizeof(leases), "--dhcp-leasefile=%s/leases", dir);
	snprintf(pid_opt, sizeof(pid_opt), "--pid-file=%s", pidfile);
	/* Our blocked signals would otherwise stay blocked in dnsmasq. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	execlp(prog, prog, "--keep-in-foreground", "--conf-file=/dev/null", "--bind-interfaces",
	       iface, "--except-interface=lo", "--port=0", range, "--dhcp-authoritative", leases,
	       pid_opt, "--log-facility=-", (char *)NULL);
	fprintf(stderr, "virtty-netd: cannot run %s: %s\n", prog, strerror(errno));
	_exit(127);
}

/* Until dnsmasq wrote its pid file (it serves then) or exited. */
static int dnsmasq_wait_ready(struct netd *netd, const char *pidfile, char *err, size_t errlen)
{
	const char *prog = netd->cfg.dnsmasq ? netd->cfg.dnsmasq : "dnsmasq";
	struct timespec tick = {.tv_nsec = 20 * 1000000};
	struct stat st;
	int wstatus;

	for (int waited = 0; waited < DNSMASQ_START_TIMEOUT_MS; waited += 20) {
		if (waitpid(netd->dnsmasq_pid, &wstatus, WNOHANG) == netd->dnsmasq_pid) {
			netd->dnsmasq_pid = 0;
			if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127)
				snprintf(err, errlen,
					 "hostonly network '%s': cannot run %s (is "
					 "dnsmasq installed? package dnsmasq-base)",
					 netd->cfg.name, prog);
			else
				snprintf(err, errlen,
					 "hostonly network '%s': %s exited at start "
					 "(status %d; its message is above)",
					 netd->cfg.name, prog,
					 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
							    : 128 + WTERMSIG(wstatus));
			return -EIO;
		}
		if (stat(pidfile, &st) == 0 && st.st_size > 0)
			return 0;
		nanosleep(&tick, NULL);
	}
	snprintf(err, errlen, "hostonly network '%s': %s did not start within %d s", netd->cfg.name,
		 prog, DNSMASQ_START_TIMEOUT_MS / 1000);
	dnsmasq_stop(netd);
	return -ETIMEDOUT;
}

int dnsmasq_start(struct netd *netd, char *err, size_t errlen)
{
	char dir[PATH_MAX], pidfile[PATH_MAX + 16];
	pid_t pid;

	dnsmasq_dir(netd, dir, sizeof(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/dnsmasq.pid", dir);
	unlink(pidfile);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork for dnsmasq: %s", strerror(errno));
		return -EIO;
	}
	if (pid == 0)
		dnsmasq_exec(netd, dir, pidfile);
	netd->dnsmasq_pid = pid;
	return dnsmasq_wait_ready(netd, pidfile, err, errlen);
}

void dnsmasq_stop(struct netd *netd)
{
	if (netd->dnsmasq_pid <= 0)
		return;
	kill(netd->dnsmasq_pid, SIGTERM);
	waitpid(netd->dnsmasq_pid, NULL, 0);
	netd->dnsmasq_pid = 0;
}

void dnsmasq_reap(struct netd *netd)
{
	int wstatus;

	if (netd->dnsmasq_pid <= 0 ||
	    waitpid(netd->dnsmasq_pid, &wstatus, WNOHANG) != netd->dnsmasq_pid)
		return;
	netd->dnsmasq_pid = 0;
	/* Guests keep their leases for an hour; new ones get none. */
	fprintf(stderr,
		"virtty-netd: %s: dnsmasq exited (%s %d); no DHCP on this network "
		"until it is restarted\n",
		netd->cfg.name, WIFEXITED(wstatus) ? "status" : "signal",
		WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus));
}
