/* virtty-netd: the switch process of a natnet, internal, hostonly or
 * bridged network (docs/networks.md, "CONTRACT: virtty-netd"). One
 * learning switch (switch.c) whose ports are VMM connections on a
 * SOCK_SEQPACKET socket (port_vm.c), a libslirp NAT (port_nat.c), or a
 * tap device (port_tap.c, with dnsmasq.c for hostonly DHCP). The main
 * thread runs the event loop and the control socket (netd_control.c);
 * the NAT has its own thread, so the switch and the ports are locked. */
#ifndef VIRTTY_NETD_NETD_H
#define VIRTTY_NETD_NETD_H

#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net_slirp.h"
#include "switch.h"

#define NETD_MAX_VM_PORTS 64

/* Exit statuses (docs/networks.md). */
enum netd_exit_status {
	NETD_EXIT_OK = 0,    /* quit, SIGTERM */
	NETD_EXIT_ERROR = 1, /* internal error */
	NETD_EXIT_USAGE = 2, /* bad arguments or environment (one line on stderr) */
};

enum netd_mode {
	NETD_MODE_NATNET,
	NETD_MODE_INTERNAL,
	NETD_MODE_HOSTONLY,
	NETD_MODE_BRIDGED,
};

struct netd_config {
	const char *name;
	enum netd_mode mode;
	const char *socket_path;  /* the VMMs' port socket */
	const char *control_path; /* JSON control socket */
	/* natnet: libslirp's network, DHCP start and forwards. */
	struct net_slirp_config nat;
	/* hostonly: the subnet (host byte order) and the DHCP range. */
	bool have_net;
	uint32_t net, mask;
	uint32_t dhcp_start, dhcp_end; /* 0: the defaults */
	bool no_dhcp;		       /* hostonly: no dnsmasq (--no-dhcp) */
	const char *bridge;	       /* bridged */
	char ifname[IFNAMSIZ];	       /* hostonly, bridged */
	const char *dnsmasq;	       /* hostonly: the program */
};

enum netd_port_kind {
	NETD_PORT_VM,
	NETD_PORT_NAT,
	NETD_PORT_TAP,
};

/* Counters of one port; rx is into the switch from the port. */
struct netd_port_stats {
	uint64_t rx_bytes, rx_packets;
	uint64_t tx_bytes, tx_packets;
	uint64_t dropped; /* frames for this port it could not take now */
	uint64_t errors;  /* frames from this port that were not Ethernet frames */
};

struct netd;

struct netd_port {
	int id; /* the switch's port number */
	enum netd_port_kind kind;
	int fd;		    /* VM: the connection; tap: the tap; NAT: -1 */
	struct netdev *nat; /* NAT: the libslirp backend */
	struct netd *netd;
	struct netd_port_stats st;
};

struct netd {
	struct netd_config cfg;
	struct evloop *loop;
	struct control_server *ctl;
	int sigfd;
	int exit_status;

	pthread_mutex_t lock; /* sw, ports, their stats */
	struct netswitch sw;
	struct netd_port *ports[SWITCH_MAX_PORTS];
	int nr_vm_ports;

	int listen_fd;			   /* port_vm.c */
	bool warned_full;		   /* said once that the port limit was reached */
	char ifname[IFNAMSIZ];		   /* the tap (hostonly, bridged), "" if none */
	pid_t dnsmasq_pid;		   /* hostonly, 0 if none */
	uint8_t buf[SWITCH_MAX_FRAME + 1]; /* main thread's receive buffer */
};

/* netd.c */
const char *netd_mode_name(enum netd_mode mode);
/* Build the network: sockets listening, tap up, dnsmasq serving. -errno
 * with a one-line message; *out is set (to destroy) either way. */
int netd_create(const struct netd_config *cfg, struct netd **out, char *err, size_t errlen);
/* Serve until quit or SIGTERM (blocked by the caller); the exit status. */
int netd_run(struct netd *netd);
void netd_request_exit(struct netd *netd, int status);
void netd_destroy(struct netd *netd);
/* A new port of this kind (not yet switching until it has an id), or
 * NULL (-ENOSPC: no port left). Takes the lock. */
struct netd_port *netd_port_add(struct netd *netd, enum netd_port_kind kind, int fd);
/* Forget the port and close its fd. Main thread; takes the lock. */
void netd_port_remove(struct netd *netd, struct netd_port *port);
/* A frame from port: count it, switch it, hand it to the destinations.
 * Any thread; takes the lock. */
void netd_input(struct netd *netd, struct netd_port *port, const void *frame, size_t len);
uint64_t netd_now_ms(void);

/* netd_control.c */
int netd_control_start(struct netd *netd, char *err, size_t errlen);

/* port_vm.c */
int port_vm_listen(struct netd *netd, char *err, size_t errlen);
void port_vm_close(struct netd *netd);
/* Send one frame to a VM port without blocking: 0 or -errno. */
int port_vm_output(struct netd_port *port, const void *frame, size_t len);

/* port_tap.c */
/* Create the tap (hostonly: with the subnet's .1 address; bridged:
 * enslaved to the bridge), bring it up and make it a port. */
int port_tap_open(struct netd *netd, char *err, size_t errlen);
int port_tap_output(struct netd_port *port, const void *frame, size_t len);

/* port_nat.c */
int port_nat_open(struct netd *netd, char *err, size_t errlen);
int port_nat_output(struct netd_port *port, const void *frame, size_t len);
/* Add or remove "tcp|udp:[ADDR]:H-GADDR:G" while running. */
int port_nat_forward(struct netd *netd, const char *spec, bool add, char *err, size_t errlen);

/* dnsmasq.c */
/* Run dnsmasq for DHCP on netd->ifname, leases beside the control
 * socket; returns once it serves (its pid file exists) or failed. */
int dnsmasq_start(struct netd *netd, char *err, size_t errlen);
void dnsmasq_stop(struct netd *netd);
/* SIGCHLD: was it dnsmasq that exited? Then say so. */
void dnsmasq_reap(struct netd *netd);

#endif
