/* The natnet port: one libslirp instance (backend/vmm/net_slirp.c) plugged
 * into the switch as if it were a NIC: the switch is its frontend. Its
 * thread hands frames for the guests to netd_input; frames from the
 * guests are queued to it without blocking. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netd.h"

int port_nat_output(struct netd_port *port, const void *frame, size_t len)
{
	return port->nat->ops->send(port->nat, frame, len);
}

/* netdev_frontend.receive, on the slirp thread. */
static int port_nat_receive(void *opaque, const void *frame, size_t len)
{
	struct netd_port *port = opaque;

	netd_input(port->netd, port, frame, len);
	return 0;
}

/* The switch never holds frames back: ports that are full drop. */
static bool port_nat_can_receive(void *opaque)
{
	(void)opaque;
	return true;
}

int port_nat_open(struct netd *netd, char *err, size_t errlen)
{
	struct net_slirp_config cfg = netd->cfg.nat;
	struct netd_port *port;
	char msg[256];

	/* The forwards go in one by one below, with messages of ours. */
	cfg.nr_fwds = 0;
	port = netd_port_add(netd, NETD_PORT_NAT, -1);
	if (!port) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	port->nat = net_slirp_new(&cfg, msg, sizeof(msg));
	if (!port->nat) {
		snprintf(err, errlen, "NAT: %s", msg);
		netd_port_remove(netd, port);
		return -EINVAL;
	}
	port->nat->fe = (struct netdev_frontend){
	    .receive = port_nat_receive,
	    .can_receive = port_nat_can_receive,
	    .opaque = port,
	};
	for (int i = 0; i < netd->cfg.nat.nr_fwds; i++) {
		const struct netdev_hostfwd *f = &netd->cfg.nat.fwds[i];

		if (port->nat->ops->hostfwd(port->nat, f, true, msg, sizeof(msg))) {
			snprintf(err, errlen, "--hostfwd: %s", msg);
			netd_port_remove(netd, port);
			return -EADDRINUSE;
		}
	}
	if (port->nat->ops->start(port->nat, msg, sizeof(msg))) {
		snprintf(err, errlen, "NAT: %s", msg);
		netd_port_remove(netd, port);
		return -EIO;
	}
	return 0;
}

static struct netd_port *port_nat_find(struct netd *netd)
{
	for (int i = 0; i < SWITCH_MAX_PORTS; i++)
		if (netd->ports[i] && netd->ports[i]->kind == NETD_PORT_NAT)
			return netd->ports[i];
	return NULL;
}

int port_nat_forward(struct netd *netd, const char *spec, bool add, char *err, size_t errlen)
{
	struct netdev_hostfwd f;
	struct netd_port *port;
	int r;

	/* Main thread: NAT ports are only added and removed here. */
	port = port_nat_find(netd);
	if (!port) {
		snprintf(err, errlen,
			 "network '%s' is %s: only natnet networks have port "
			 "forwards",
			 netd->cfg.name, netd_mode_name(netd->cfg.mode));
		return -EOPNOTSUPP;
	}
	r = netdev_hostfwd_parse(spec, &f, err, errlen);
	if (r)
		return r;
	/* Without the switch lock: the slirp thread may need it to finish
	 * what it is doing before it runs our request. */
	return port->nat->ops->hostfwd(port->nat, &f, add, err, errlen);
}
