/* The "user" network backend: one libslirp instance per NIC, run by its own
 * thread. libslirp is not thread-safe and opens host sockets (one per guest
 * connection), so it never runs on a vCPU: vCPUs queue TX frames here and
 * wake the thread with an eventfd; port-forward changes from the control
 * socket are queued the same way and waited for. The thread has its own
 * seccomp filter (SANDBOX_NET: sockets, poll), so neither the vCPU filter
 * nor the main one needs socket creation for the guest's traffic.
 * Host isolation (net_filter.h) judges each guest frame on the vCPU, so a
 * dropped frame is counted as the NIC's tx_dropped; the thread keeps the
 * filter's view of the host's addresses current (netlink tells it when
 * they change; it re-reads them at most once a second). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libslirp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "net_filter.h"
#include "net_slirp.h"
#include "sandbox.h"

#define NET_SLIRP_TXQ		   256 /* frames from the guest waiting for the thread */
#define NET_SLIRP_MAX_TIMERS	   8
#define NET_SLIRP_MAX_GUEST_ERRORS 10	/* messages printed, then quiet */
#define NET_SLIRP_HOSTS_REFRESH_MS 1000 /* re-read the host's addresses at most this often */

struct net_slirp_timer {
	bool used;
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
};

/* A port-forward change, run by the thread; the caller waits on `done`. */
struct net_slirp_cmd {
	struct netdev_hostfwd fwd;
	bool add;
	bool done;
	int result;
	char err[256];
	struct net_slirp_cmd *next;
};

struct net_slirp_frame {
	uint8_t *buf;
	size_t len;
};

struct net_slirp {
	struct netdev nd;
	Slirp *slirp;
	struct net_slirp_config cfg; /* cfg.fwds: the forwards active now */
	int wakefd;
	int nlfd; /* netlink: the host's addresses changed */
	pthread_t thread;
	bool started;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	bool stopping;
	bool start_done;
	int start_result;
	char start_err[256];
	struct net_slirp_frame txq[NET_SLIRP_TXQ];
	unsigned int tx_first, tx_count;
	bool tx_full;	/* a send found the queue full: call tx_ready after the drain */
	bool tx_kicked; /* the guest queued frames: take them (tx_ready) on the thread */
	struct net_slirp_cmd *cmds;
	struct net_filter filter;

	/* The thread's own (no lock). */
	struct pollfd *pfds;
	unsigned int nr_pfds, cap_pfds;
	struct net_slirp_timer timers[NET_SLIRP_MAX_TIMERS];
	int guest_errors;
	bool hosts_stale;      /* netlink said so; re-read when the interval allows */
	int64_t hosts_read_ms; /* when they were last read */
	int hosts_errors;      /* failed re-reads reported */
};

/* ---- Option parsing ---- */

static int net_parse_ip(const char *s, struct in_addr *out)
{
	return inet_pton(AF_INET, s, out) == 1 ? 0 : -EINVAL;
}

static int net_parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (!s[0] || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* "[ADDR]:PORT" into addr/port; an empty ADDR leaves *addr alone. */
static int net_parse_endpoint(char *s, struct in_addr *addr, uint16_t *port)
{
	char *colon = strrchr(s, ':');

	if (!colon)
		return net_parse_port(s, port);
	*colon = '\0';
	if (s[0] && net_parse_ip(s, addr))
		return -EINVAL;
	return net_parse_port(colon + 1, port);
}

int netdev_hostfwd_parse(const char *spec, struct netdev_hostfwd *out, char *err, size_t errlen)
{
	char buf[128], *host, *guest, *dash;

	memset(out, 0, sizeof(*out));
	out->host_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (strlen(spec) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", spec);
	if (!strncmp(buf, "tcp:", 4))
		out->udp = false;
	else if (!strncmp(buf, "udp:", 4))
		out->udp = true;
	else
		goto bad;
	host = buf + 4;
	dash = strchr(host, '-');
	if (!dash)
		goto bad;
	*dash = '\0';
	guest = dash + 1;
	if (net_parse_endpoint(host, &out->host_addr, &out->host_port) ||
	    net_parse_endpoint(guest, &out->guest_addr, &out->guest_port))
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
		 "hostfwd '%s': expected tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT "
		 "(ports 1-65535, IPv4 addresses)",
		 spec);
	return -EINVAL;
}

void netdev_hostfwd_describe(const struct netdev_hostfwd *fwd, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &fwd->host_addr, a, sizeof(a));
	snprintf(buf, len, "%s %s:%u", fwd->udp ? "udp" : "tcp", a, fwd->host_port);
}

void net_slirp_config_init(struct net_slirp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->net.s_addr = htonl(0x0a000200);  /* 10.0.2.0 */
	cfg->mask.s_addr = htonl(0xffffff00); /* /24 */
	cfg->gateway.s_addr = htonl(0x0a000202);
	cfg->dns.s_addr = htonl(0x0a000203);
	cfg->dhcp_start.s_addr = htonl(0x0a00020f);
}

int net_slirp_config_set(struct net_slirp_config *cfg, const char *key, const char *value,
			 char *err, size_t errlen)
{
	if (!strcmp(key, "net")) {
		char buf[64], *slash;
		uint16_t prefix;
		uint32_t net, mask;

		snprintf(buf, sizeof(buf), "%s", value);
		slash = strchr(buf, '/');
		if (slash)
			*slash = '\0';
		/* /8../29: room for the network, gateway, DNS, a few guests. */
		if (strlen(value) >= sizeof(buf) || !slash || net_parse_ip(buf, &cfg->net) ||
		    net_parse_port(slash + 1, &prefix) || prefix < 8 || prefix > 29) {
			snprintf(err, errlen,
				 "net '%s': expected an IPv4 subnet A.B.C.D/N, N from 8 "
				 "to 29",
				 value);
			return -EINVAL;
		}
		mask = 0xffffffffu << (32 - prefix);
		net = ntohl(cfg->net.s_addr);
		if (net & ~mask) {
			snprintf(err, errlen,
				 "net '%s': host bits are set (did you mean %u.%u.%u.%u/%u?)",
				 value, (net & mask) >> 24, (net & mask) >> 16 & 255,
				 (net & mask) >> 8 & 255, (net & mask) & 255, prefix);
			return -EINVAL;
		}
		cfg->mask.s_addr = htonl(mask);
		cfg->gateway.s_addr = htonl(net + 2);
		cfg->dns.s_addr = htonl(net + 3);
		/* .15 as QEMU does, or the first free address in a small net. */
		cfg->dhcp_start.s_addr = htonl(net + (prefix <= 27 ? 15 : 4));
		return 0;
	}
	if (!strcmp(key, "dhcpstart")) {
		if (net_parse_ip(value, &cfg->dhcp_start)) {
			snprintf(err, errlen, "dhcpstart '%s': expected an IPv4 address", value);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "hostfwd")) {
		struct netdev_hostfwd f;
		int r = netdev_hostfwd_parse(value, &f, err, errlen);

		if (r)
			return r;
		if (cfg->nr_fwds == NET_SLIRP_MAX_FWDS) {
			snprintf(err, errlen, "hostfwd '%s': at most %d forwards per NIC", value,
				 NET_SLIRP_MAX_FWDS);
			return -EINVAL;
		}
		for (int i = 0; i < cfg->nr_fwds; i++) {
			const struct netdev_hostfwd *o = &cfg->fwds[i];

			if (o->udp == f.udp && o->host_port == f.host_port &&
			    o->host_addr.s_addr == f.host_addr.s_addr) {
				snprintf(err, errlen,
					 "hostfwd '%s': host port %u is forwarded twice", value,
					 f.host_port);
				return -EINVAL;
			}
		}
		cfg->fwds[cfg->nr_fwds++] = f;
		return 0;
	}
	return -ENOENT;
}

int net_slirp_config_check(const struct net_slirp_config *cfg, char *err, size_t errlen)
{
	uint32_t net = ntohl(cfg->net.s_addr), mask = ntohl(cfg->mask.s_addr);
	uint32_t d = ntohl(cfg->dhcp_start.s_addr);
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &cfg->dhcp_start, a, sizeof(a));
	if ((d & mask) != net || d == net || d == (net | ~mask) ||
	    d == ntohl(cfg->gateway.s_addr) || d == ntohl(cfg->dns.s_addr)) {
		snprintf(err, errlen,
			 "dhcpstart %s: must be a host address of the network, not "
			 "the gateway (.2) or DNS (.3) address",
			 a);
		return -EINVAL;
	}
	/* libslirp hands out 16 leases from the start address. */
	if (((d + 15) & mask) != net || d + 15 >= (net | ~mask)) {
		snprintf(err, errlen, "dhcpstart %s: leaves fewer than 16 addresses in the network",
			 a);
		return -EINVAL;
	}
	return 0;
}

/* ---- libslirp callbacks (on the thread, or in slirp_new) ---- */

static ssize_t net_slirp_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *ns = opaque;

	/* A port forward's client on the host opens the way back. */
	pthread_mutex_lock(&ns->lock);
	net_filter_to_guest(&ns->filter, buf, len);
	pthread_mutex_unlock(&ns->lock);
	/* Dropped frames are counted by the NIC; slirp need not know. */
	netdev_deliver(&ns->nd, buf, len);
	return (ssize_t)len;
}

static void net_slirp_guest_error(const char *msg, void *opaque)
{
	struct net_slirp *ns = opaque;

	/* The guest controls how often this happens: say it a few times. */
	if (ns->guest_errors++ < NET_SLIRP_MAX_GUEST_ERRORS)
		fprintf(stderr, "virtty-vmm: nic (user): guest error: %s\n", msg);
}

static int64_t net_slirp_clock_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *net_slirp_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct net_slirp *ns = opaque;

	for (int i = 0; i < NET_SLIRP_MAX_TIMERS; i++) {
		struct net_slirp_timer *t = &ns->timers[i];

		if (!t->used) {
			*t = (struct net_slirp_timer){
			    .used = true, .id = id, .cb_opaque = cb_opaque, .expire_ms = -1};
			return t;
		}
	}
	return NULL; /* slirp then runs without that timer (IPv6 RA only) */
}

static void net_slirp_timer_free(void *timer, void *opaque)
{
	struct net_slirp_timer *t = timer;

	(void)opaque;
	if (t)
		t->used = false;
}

static void net_slirp_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct net_slirp_timer *t = timer;

	(void)opaque;
	if (t)
		t->expire_ms = expire_ms;
}

static void net_slirp_no_fd(int fd, void *opaque)
{
	/* The poll set is rebuilt on every iteration. */
	(void)fd;
	(void)opaque;
}

static void net_slirp_wake(struct net_slirp *ns)
{
	uint64_t one = 1;

	if (write(ns->wakefd, &one, sizeof(one)) < 0) {
		/* counter saturated: a wake-up is pending anyway */
	}
}

static void net_slirp_notify(void *opaque)
{
	net_slirp_wake(opaque);
}

static int net_slirp_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *ns = opaque;
	short ev = 0;

	if (ns->nr_pfds == ns->cap_pfds) {
		unsigned int cap = ns->cap_pfds ? ns->cap_pfds * 2 : 32;
		struct pollfd *p = realloc(ns->pfds, cap * sizeof(*p));

		if (!p)
			return -1; /* get_revents(-1) reports nothing */
		ns->pfds = p;
		ns->cap_pfds = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	ns->pfds[ns->nr_pfds] = (struct pollfd){.fd = fd, .events = ev};
	return (int)ns->nr_pfds++;
}

static int net_slirp_get_revents(int idx, void *opaque)
{
	struct net_slirp *ns = opaque;
	short re;
	int out = 0;

	if (idx < 0 || (unsigned int)idx >= ns->nr_pfds)
		return 0;
	re = ns->pfds[idx].revents;
	if (re & POLLIN)
		out |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		out |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		out |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		out |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		out |= SLIRP_POLL_HUP;
	return out;
}

static const SlirpCb net_slirp_callbacks = {
    .send_packet = net_slirp_send_packet,
    .guest_error = net_slirp_guest_error,
    .clock_get_ns = net_slirp_clock_ns,
    .timer_free = net_slirp_timer_free,
    .timer_mod = net_slirp_timer_mod,
    .register_poll_fd = net_slirp_no_fd,
    .unregister_poll_fd = net_slirp_no_fd,
    .notify = net_slirp_notify,
    .timer_new_opaque = net_slirp_timer_new_opaque,
};

/* ---- Port forwards (on the thread, or before it starts) ---- */

static int net_slirp_find_fwd(struct net_slirp *ns, const struct netdev_hostfwd *f)
{
	for (int i = 0; i < ns->cfg.nr_fwds; i++) {
		const struct netdev_hostfwd *o = &ns->cfg.fwds[i];

		if (o->udp == f->udp && o->host_port == f->host_port &&
		    o->host_addr.s_addr == f->host_addr.s_addr)
			return i;
	}
	return -1;
}

static int net_slirp_do_hostfwd(struct net_slirp *ns, const struct netdev_hostfwd *f, bool add,
				char *err, size_t errlen)
{
	int i = net_slirp_find_fwd(ns, f);
	char what[64];

	netdev_hostfwd_describe(f, what, sizeof(what));
	if (!add) {
		if (i < 0) {
			snprintf(err, errlen, "hostfwd %s: no such forward", what);
			return -ENOENT;
		}
		slirp_remove_hostfwd(ns->slirp, f->udp, f->host_addr, f->host_port);
		ns->cfg.fwds[i] = ns->cfg.fwds[--ns->cfg.nr_fwds];
		return 0;
	}
	/* libslirp binds with SO_REUSEADDR: two UDP forwards of ours could
	 * share a port, so refuse duplicates ourselves. */
	if (i >= 0) {
		snprintf(err, errlen, "hostfwd %s: already forwarded", what);
		return -EADDRINUSE;
	}
	if (ns->cfg.nr_fwds == NET_SLIRP_MAX_FWDS) {
		snprintf(err, errlen, "hostfwd %s: at most %d forwards per NIC", what,
			 NET_SLIRP_MAX_FWDS);
		return -ENOSPC;
	}
	errno = 0;
	if (slirp_add_hostfwd(ns->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
			      f->guest_port) < 0) {
		int e = errno ? errno : EADDRINUSE;

		snprintf(err, errlen, "hostfwd %s: %s", what, strerror(e));
		return -e;
	}
	ns->cfg.fwds[ns->cfg.nr_fwds++] = *f;
	return 0;
}

/* ---- The host's addresses (on the thread) ---- */

/* Netlink groups: any IPv4 or IPv6 address added or removed. */
static int net_slirp_open_netlink(char *err, size_t errlen)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		snprintf(err, errlen, "nic (user): cannot watch the host's addresses (netlink): %s",
			 strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

/* Empty the netlink socket; any message means "re-read". */
static void net_slirp_netlink_drain(struct net_slirp *ns)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(ns->nlfd, buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == EINTR))
		ns->hosts_stale = true;
	/* ENOBUFS: we missed messages; re-read anyway. */
	if (n < 0 && errno == ENOBUFS)
		ns->hosts_stale = true;
}

static int net_slirp_read_hosts(struct net_slirp *ns, char *err, size_t errlen)
{
	struct net_filter_hosts hosts; /* ~1.3 KiB: fine on the stack */
	int r = net_filter_read_hosts(&hosts, err, errlen);

	ns->hosts_read_ms = net_slirp_clock_ns(NULL) / 1000000;
	if (r)
		return r;
	pthread_mutex_lock(&ns->lock);
	net_filter_set_hosts(&ns->filter, &hosts);
	pthread_mutex_unlock(&ns->lock);
	ns->hosts_stale = false;
	return 0;
}

/* Re-read when stale and the interval has passed; returns how long poll
 * may sleep before the next re-read is due (UINT32_MAX: none due). */
static uint32_t net_slirp_refresh_hosts(struct net_slirp *ns, int64_t now_ms)
{
	int64_t due = ns->hosts_read_ms + NET_SLIRP_HOSTS_REFRESH_MS;
	char msg[256];

	if (!ns->hosts_stale)
		return UINT32_MAX;
	if (now_ms < due)
		return (uint32_t)(due - now_ms);
	/* On failure the old addresses stay and we try again later. */
	if (net_slirp_read_hosts(ns, msg, sizeof(msg)) &&
	    ns->hosts_errors++ < NET_SLIRP_MAX_GUEST_ERRORS)
		fprintf(stderr, "virtty-vmm: nic (user): %s\n", msg);
	return ns->hosts_stale ? NET_SLIRP_HOSTS_REFRESH_MS : UINT32_MAX;
}

/* ---- The thread ---- */

static void net_slirp_run_timers(struct net_slirp *ns, int64_t now_ms)
{
	for (int i = 0; i < NET_SLIRP_MAX_TIMERS; i++) {
		struct net_slirp_timer *t = &ns->timers[i];

		if (t->used && t->expire_ms >= 0 && t->expire_ms <= now_ms) {
			t->expire_ms = -1;
			slirp_handle_timer(ns->slirp, t->id, t->cb_opaque);
		}
	}
}

static uint32_t net_slirp_timer_timeout(struct net_slirp *ns, int64_t now_ms, uint32_t timeout)
{
	for (int i = 0; i < NET_SLIRP_MAX_TIMERS; i++) {
		const struct net_slirp_timer *t = &ns->timers[i];

		if (t->used && t->expire_ms >= 0) {
			int64_t left = t->expire_ms > now_ms ? t->expire_ms - now_ms : 0;

			if ((uint64_t)left < timeout)
				timeout = (uint32_t)left;
		}
	}
	return timeout;
}

/* Take queued frames and commands (lock held briefly), then feed slirp
 * without the lock so vCPUs never wait for it. Returns false to stop. */
static bool net_slirp_drain(struct net_slirp *ns)
{
	struct net_slirp_frame batch[NET_SLIRP_TXQ];
	struct net_slirp_cmd *cmds, *c;
	unsigned int n = 0;
	bool stop, was_full, kicked;

	/* Frames the guest queued since its notification: the NIC sends them
	 * to us (net_slirp_send) from here, without the lock held. */
	pthread_mutex_lock(&ns->lock);
	kicked = ns->tx_kicked;
	ns->tx_kicked = false;
	pthread_mutex_unlock(&ns->lock);
	if (kicked)
		netdev_tx_ready(&ns->nd);

	pthread_mutex_lock(&ns->lock);
	while (ns->tx_count) {
		batch[n++] = ns->txq[ns->tx_first];
		ns->tx_first = (ns->tx_first + 1) % NET_SLIRP_TXQ;
		ns->tx_count--;
	}
	was_full = ns->tx_full;
	ns->tx_full = false;
	cmds = ns->cmds;
	ns->cmds = NULL;
	stop = ns->stopping;
	pthread_mutex_unlock(&ns->lock);

	for (unsigned int i = 0; i < n; i++) {
		if (!stop)
			slirp_input(ns->slirp, batch[i].buf, (int)batch[i].len);
		free(batch[i].buf);
	}
	/* The queue is empty again: the NIC may send what it kept. */
	if (was_full && !stop)
		netdev_tx_ready(&ns->nd);
	for (c = cmds; c; c = c->next)
		c->result = stop
				? -ECANCELED
				: net_slirp_do_hostfwd(ns, &c->fwd, c->add, c->err, sizeof(c->err));
	if (cmds) {
		pthread_mutex_lock(&ns->lock);
		for (c = cmds; c;) {
			struct net_slirp_cmd *next = c->next;

			if (stop)
				snprintf(c->err, sizeof(c->err), "the network is stopping");
			c->done = true; /* c may be gone once the lock drops */
			c = next;
		}
		pthread_cond_broadcast(&ns->cond);
		pthread_mutex_unlock(&ns->lock);
	}
	return !stop;
}

static void *net_slirp_thread(void *arg)
{
	struct net_slirp *ns = arg;
	char msg[256] = "";
	int r = sandbox_apply(SANDBOX_NET, msg, sizeof(msg));

	pthread_mutex_lock(&ns->lock);
	ns->start_done = true;
	ns->start_result = r;
	snprintf(ns->start_err, sizeof(ns->start_err), "%s", msg);
	pthread_cond_broadcast(&ns->cond);
	pthread_mutex_unlock(&ns->lock);
	if (r)
		return NULL;

	while (net_slirp_drain(ns)) {
		uint32_t timeout = UINT32_MAX;
		int64_t now_ms = net_slirp_clock_ns(NULL) / 1000000;
		int n;

		uint32_t hosts_timeout = net_slirp_refresh_hosts(ns, now_ms);

		ns->nr_pfds = 0;
		net_slirp_add_poll(ns->wakefd, SLIRP_POLL_IN, ns);
		net_slirp_add_poll(ns->nlfd, SLIRP_POLL_IN, ns);
		slirp_pollfds_fill(ns->slirp, &timeout, net_slirp_add_poll, ns);
		timeout = net_slirp_timer_timeout(ns, now_ms, timeout);
		if (hosts_timeout < timeout)
			timeout = hosts_timeout;
		n = poll(ns->pfds, ns->nr_pfds, timeout == UINT32_MAX ? -1 : (int)timeout);
		if (n < 0 && errno != EINTR)
			fprintf(stderr, "virtty-vmm: nic (user): poll: %s\n", strerror(errno));
		if (ns->nr_pfds && (ns->pfds[0].revents & POLLIN)) {
			uint64_t v;

			if (read(ns->wakefd, &v, sizeof(v)) < 0) {
				/* nothing to drain */
			}
		}
		if (ns->nr_pfds > 1 && (ns->pfds[1].revents & POLLIN))
			net_slirp_netlink_drain(ns);
		slirp_pollfds_poll(ns->slirp, n < 0, net_slirp_get_revents, ns);
		net_slirp_run_timers(ns, net_slirp_clock_ns(NULL) / 1000000);
	}
	return NULL;
}

/* ---- netdev ops ---- */

static int net_slirp_send(struct netdev *nd, const void *frame, size_t len)
{
	struct net_slirp *ns = (struct net_slirp *)nd;
	uint8_t *copy;
	bool wake;

	copy = malloc(len);
	if (!copy)
		return -ENOBUFS;
	memcpy(copy, frame, len);
	pthread_mutex_lock(&ns->lock);
	/* Full: the NIC keeps the frame and the guest slows down; the thread
	 * says when there is room (tx_ready), so TCP loses nothing here. */
	if (ns->tx_count == NET_SLIRP_TXQ && !ns->stopping) {
		ns->tx_full = true;
		pthread_mutex_unlock(&ns->lock);
		free(copy);
		return -EAGAIN;
	}
	/* Host isolation: counted by the NIC as tx_dropped. */
	if (ns->stopping || net_filter_from_guest(&ns->filter, copy, len) == NET_FILTER_DROP) {
		pthread_mutex_unlock(&ns->lock);
		free(copy);
		return -ENOBUFS;
	}
	ns->txq[(ns->tx_first + ns->tx_count) % NET_SLIRP_TXQ] =
	    (struct net_slirp_frame){copy, len};
	/* Only the first frame of a batch needs a wake-up. */
	wake = ns->tx_count++ == 0;
	pthread_mutex_unlock(&ns->lock);
	if (wake)
		net_slirp_wake(ns);
	return 0;
}

/* netdev_ops.tx_kick: a vCPU, the NIC's TX queue locked. */
static void net_slirp_tx_kick(struct netdev *nd)
{
	struct net_slirp *ns = (struct net_slirp *)nd;
	bool wake;

	pthread_mutex_lock(&ns->lock);
	wake = !ns->tx_kicked;
	ns->tx_kicked = true;
	pthread_mutex_unlock(&ns->lock);
	if (wake)
		net_slirp_wake(ns);
}

static int net_slirp_start(struct netdev *nd, char *err, size_t errlen)
{
	struct net_slirp *ns = (struct net_slirp *)nd;
	int r = pthread_create(&ns->thread, NULL, net_slirp_thread, ns);

	if (r) {
		snprintf(err, errlen, "nic (user): cannot start its thread: %s", strerror(r));
		return -r;
	}
	ns->started = true;
	pthread_mutex_lock(&ns->lock);
	while (!ns->start_done)
		pthread_cond_wait(&ns->cond, &ns->lock);
	r = ns->start_result;
	if (r)
		snprintf(err, errlen, "nic (user): %s", ns->start_err);
	pthread_mutex_unlock(&ns->lock);
	return r;
}

static int net_slirp_hostfwd(struct netdev *nd, const struct netdev_hostfwd *fwd, bool add,
			     char *err, size_t errlen)
{
	struct net_slirp *ns = (struct net_slirp *)nd;
	struct net_slirp_cmd cmd = {.fwd = *fwd, .add = add};

	/* Before the thread runs, slirp is ours to call. */
	if (!ns->started)
		return net_slirp_do_hostfwd(ns, fwd, add, err, errlen);
	pthread_mutex_lock(&ns->lock);
	if (ns->stopping) {
		pthread_mutex_unlock(&ns->lock);
		snprintf(err, errlen, "the network is stopping");
		return -ECANCELED;
	}
	cmd.next = ns->cmds;
	ns->cmds = &cmd;
	pthread_mutex_unlock(&ns->lock);
	net_slirp_wake(ns);
	pthread_mutex_lock(&ns->lock);
	while (!cmd.done)
		pthread_cond_wait(&ns->cond, &ns->lock);
	pthread_mutex_unlock(&ns->lock);
	if (cmd.result)
		snprintf(err, errlen, "%s", cmd.err);
	return cmd.result;
}

static void net_slirp_free(struct netdev *nd)
{
	struct net_slirp *ns = (struct net_slirp *)nd;

	if (ns->started) {
		pthread_mutex_lock(&ns->lock);
		ns->stopping = true;
		pthread_mutex_unlock(&ns->lock);
		net_slirp_wake(ns);
		pthread_join(ns->thread, NULL);
		/* Frames or commands queued after its last drain. */
		net_slirp_drain(ns);
	} else {
		ns->stopping = true;
		net_slirp_drain(ns);
	}
	if (ns->slirp)
		slirp_cleanup(ns->slirp);
	if (ns->wakefd >= 0)
		close(ns->wakefd);
	if (ns->nlfd >= 0)
		close(ns->nlfd);
	free(ns->pfds);
	pthread_cond_destroy(&ns->cond);
	pthread_mutex_destroy(&ns->lock);
	free(ns);
}

static const struct netdev_ops net_slirp_ops = {
    .kind = "user",
    .send = net_slirp_send,
    .tx_kick = net_slirp_tx_kick,
    .start = net_slirp_start,
    .hostfwd = net_slirp_hostfwd,
    .free = net_slirp_free,
};

struct netdev *net_slirp_new(const struct net_slirp_config *cfg, char *err, size_t errlen)
{
	struct net_slirp *ns = calloc(1, sizeof(*ns));
	char msg[256];
	SlirpConfig sc = {
	    .version = 4,
	    .restricted = 0,
	    .in_enabled = true,
	    .vnetwork = cfg->net,
	    .vnetmask = cfg->mask,
	    .vhost = cfg->gateway,
	    .in6_enabled = false,
	    .vdhcp_start = cfg->dhcp_start,
	    .vnameserver = cfg->dns,
	    /* Left off: libslirp's disable_host_loopback also drops the
	     * guest's replies to UDP forwards from 127.0.0.1 clients. */
	    .disable_host_loopback = false,
	};

	if (!ns) {
		snprintf(err, errlen, "nic (user): out of memory");
		return NULL;
	}
	ns->nd.ops = &net_slirp_ops;
	ns->nlfd = -1;
	ns->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&ns->lock, NULL);
	pthread_cond_init(&ns->cond, NULL);
	if (ns->wakefd < 0) {
		snprintf(err, errlen, "nic (user): eventfd: %s", strerror(errno));
		goto fail;
	}
	if (net_slirp_config_check(cfg, err, errlen))
		goto fail;
	net_filter_init(&ns->filter, cfg->net, cfg->mask, cfg->gateway, cfg->dns);
	ns->nlfd = net_slirp_open_netlink(err, errlen);
	if (ns->nlfd < 0)
		goto fail;
	/* Subscribed first, then read: no change falls in between. */
	if (net_slirp_read_hosts(ns, msg, sizeof(msg))) {
		snprintf(err, errlen, "nic (user): %s", msg);
		goto fail;
	}
	ns->cfg = *cfg;
	ns->cfg.nr_fwds = 0; /* the active ones, added below */
	ns->slirp = slirp_new(&sc, &net_slirp_callbacks, ns);
	if (!ns->slirp) {
		snprintf(err, errlen, "nic (user): libslirp refused the configuration");
		goto fail;
	}
	for (int i = 0; i < cfg->nr_fwds; i++) {
		if (net_slirp_do_hostfwd(ns, &cfg->fwds[i], true, msg, sizeof(msg))) {
			snprintf(err, errlen, "--nic user: %s", msg);
			goto fail;
		}
	}
	return &ns->nd;
fail:
	net_slirp_free(&ns->nd);
	return NULL;
}
