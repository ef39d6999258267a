/* virtty-netd's core: the port table around the switch, the frame path
 * (count, decide, hand to each destination without blocking), and the
 * process's life (event loop, signals, building and tearing down). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "evloop.h"
#include "netd.h"

const char *netd_mode_name(enum netd_mode mode)
{
	switch (mode) {
	case NETD_MODE_NATNET:
		return "natnet";
	case NETD_MODE_INTERNAL:
		return "internal";
	case NETD_MODE_HOSTONLY:
		return "hostonly";
	case NETD_MODE_BRIDGED:
		return "bridged";
	}
	return "?";
}

uint64_t netd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- Ports ---- */

struct netd_port *netd_port_add(struct netd *netd, enum netd_port_kind kind, int fd)
{
	struct netd_port *port = calloc(1, sizeof(*port));

	if (!port)
		return NULL;
	port->kind = kind;
	port->fd = fd;
	port->netd = netd;
	pthread_mutex_lock(&netd->lock);
	port->id = switch_port_add(&netd->sw);
	if (port->id >= 0) {
		netd->ports[port->id] = port;
		if (kind == NETD_PORT_VM)
			netd->nr_vm_ports++;
	}
	pthread_mutex_unlock(&netd->lock);
	if (port->id < 0) {
		free(port);
		return NULL;
	}
	return port;
}

void netd_port_remove(struct netd *netd, struct netd_port *port)
{
	pthread_mutex_lock(&netd->lock);
	switch_port_remove(&netd->sw, port->id);
	netd->ports[port->id] = NULL;
	if (port->kind == NETD_PORT_VM)
		netd->nr_vm_ports--;
	pthread_mutex_unlock(&netd->lock);
	if (port->fd >= 0) {
		evloop_del(netd->loop, port->fd);
		close(port->fd);
	}
	netdev_free(port->nat);
	free(port);
}

/* One frame to one port; lock held. Never blocks: a port that cannot
 * take it now loses it (counted), as on a busy wire. */
static void netd_output(struct netd_port *port, const void *frame, size_t len)
{
	int r;

	switch (port->kind) {
	case NETD_PORT_VM:
		r = port_vm_output(port, frame, len);
		break;
	case NETD_PORT_TAP:
		r = port_tap_output(port, frame, len);
		break;
	default:
		r = port_nat_output(port, frame, len);
		break;
	}
	if (r) {
		port->st.dropped++;
		return;
	}
	port->st.tx_packets++;
	port->st.tx_bytes += len;
}

void netd_input(struct netd *netd, struct netd_port *port, const void *frame, size_t len)
{
	struct switch_dest dest;
	int r;

	pthread_mutex_lock(&netd->lock);
	r = switch_forward(&netd->sw, port->id, frame, len, netd_now_ms(), &dest);
	if (r == -EINVAL) {
		port->st.errors++;
	} else if (r == 0) {
		port->st.rx_packets++;
		port->st.rx_bytes += len;
		for (int i = 0; i < dest.n; i++)
			netd_output(netd->ports[dest.port[i]], frame, len);
	}
	pthread_mutex_unlock(&netd->lock);
}

/* ---- The process ---- */

void netd_request_exit(struct netd *netd, int status)
{
	netd->exit_status = status;
	evloop_stop(netd->loop);
}

static void netd_signal_event(void *opaque, uint32_t events)
{
	struct netd *netd = opaque;
	struct signalfd_siginfo si;

	(void)events;
	while (read(netd->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			dnsmasq_reap(netd);
		else
			netd_request_exit(netd, NETD_EXIT_OK);
	}
}

static int netd_signals(struct netd *netd, char *err, size_t errlen)
{
	sigset_t set;

	/* main() blocked these before any thread started. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	netd->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (netd->sigfd < 0 ||
	    evloop_add(netd->loop, netd->sigfd, EPOLLIN, netd_signal_event, netd) < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

int netd_create(const struct netd_config *cfg, struct netd **out, char *err, size_t errlen)
{
	struct netd *netd = calloc(1, sizeof(*netd));
	int r;

	*out = netd;
	if (!netd) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	netd->cfg = *cfg;
	netd->listen_fd = -1;
	netd->sigfd = -1;
	pthread_mutex_init(&netd->lock, NULL);
	switch_init(&netd->sw);
	netd->loop = evloop_new();
	if (!netd->loop) {
		snprintf(err, errlen, "cannot create the event loop: %s", strerror(errno));
		return -ENOMEM;
	}
	r = netd_signals(netd, err, errlen);
	/* The environment first (tap, bridge, dnsmasq), then the sockets:
	 * once they listen, the network is usable. */
	if (!r && (cfg->mode == NETD_MODE_HOSTONLY || cfg->mode == NETD_MODE_BRIDGED))
		r = port_tap_open(netd, err, errlen);
	if (!r && cfg->mode == NETD_MODE_HOSTONLY && !cfg->no_dhcp)
		r = dnsmasq_start(netd, err, errlen);
	if (!r && cfg->mode == NETD_MODE_NATNET)
		r = port_nat_open(netd, err, errlen);
	if (!r)
		r = netd_control_start(netd, err, errlen);
	if (!r)
		r = port_vm_listen(netd, err, errlen);
	return r;
}

int netd_run(struct netd *netd)
{
	int r = evloop_run(netd->loop);

	if (r) {
		fprintf(stderr, "virtty-netd: event loop failed: %s\n", strerror(-r));
		return NETD_EXIT_ERROR;
	}
	return netd->exit_status;
}

void netd_destroy(struct netd *netd)
{
	if (!netd)
		return;
	if (netd->ctl)
		control_server_free(netd->ctl);
	port_vm_close(netd);
	/* The NAT's thread stops inside; its frames take the lock. */
	for (int i = 0; i < SWITCH_MAX_PORTS; i++)
		if (netd->ports[i])
			netd_port_remove(netd, netd->ports[i]);
	dnsmasq_stop(netd);
	if (netd->sigfd >= 0)
		close(netd->sigfd);
	if (netd->loop)
		evloop_free(netd->loop);
	pthread_mutex_destroy(&netd->lock);
	free(netd);
}
