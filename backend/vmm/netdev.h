/* The interface between a NIC model (virtio_net.c) and what carries its
 * Ethernet frames: a backend (user-mode NAT with libslirp, net_slirp.c;
 * a client of a virtty-netd switch over a UNIX socket, net_socket.c). */
#ifndef VIRTTY_VMM_NETDEV_H
#define VIRTTY_VMM_NETDEV_H

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest frame (Ethernet header included, no virtio header) either way.
 * No segmentation offload is offered, so real frames are <= 1514 bytes;
 * the bound is what a guest could ever describe. */
#define NETDEV_MAX_FRAME 65535
#define NETDEV_MIN_FRAME 14 /* an Ethernet header */

/* Counters of one NIC, as the guest sees them: rx is towards the guest. */
struct netdev_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_dropped; /* no guest buffer in time, hold queue full, driver not ready */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_dropped; /* the backend could not take the frame */
	uint64_t tx_errors;  /* malformed chains from the guest (short, empty, oversized) */
};

/* A port forward: host_addr:host_port on the host reaches
 * guest_addr:guest_port in the guest (guest_addr 0: the first DHCP address). */
struct netdev_hostfwd {
	bool udp;
	struct in_addr host_addr;
	uint16_t host_port;
	struct in_addr guest_addr;
	uint16_t guest_port;
};

struct netdev;

/* What the NIC offers the backend. */
struct netdev_frontend {
	/* Give one frame to the guest. Any thread; never blocks on the
	 * guest: when the guest has no receive buffer the NIC holds a few
	 * frames (delivered when the guest adds buffers) and drops beyond
	 * that. Returns 0 (delivered or held) or -ENOBUFS (dropped, counted
	 * by the NIC). */
	int (*receive)(void *opaque, const void *frame, size_t len);
	/* False while the NIC's hold queue is full: a backend that can stop
	 * reading its source (a socket, a tap) should, until rx_ready. */
	bool (*can_receive)(void *opaque);
	/* The backend lost its peer (up=false) or has it again: the guest
	 * sees the link status change. Any thread. May be NULL (a backend
	 * without a peer to lose never calls it). */
	void (*set_link)(void *opaque, bool up);
	/* The backend has room again after a send returned -EAGAIN: the NIC
	 * offers the frame it kept, and the guest's later ones. From the
	 * backend's thread, holding none of its own locks. May be NULL (a
	 * frontend that never keeps frames: the switch drops). */
	void (*tx_ready)(void *opaque);
	void *opaque;
};

struct netdev_ops {
	const char *kind; /* "user" */
	/* A frame from the guest (a vCPU thread, with the NIC's TX queue
	 * locked). The backend copies it and must not block. 0; -ENOBUFS when
	 * it dropped it (the NIC counts it); or -EAGAIN when it is full for
	 * now and will call netdev_tx_ready once it has room: the frame was
	 * not taken (a frontend without tx_ready counts it as dropped). This
	 * is what lets a guest's TCP slow down instead of losing packets. */
	int (*send)(struct netdev *nd, const void *frame, size_t len);
	/* The guest added receive buffers after can_receive said false.
	 * Called with the NIC's RX queue locked: only wake a thread. May be
	 * NULL. */
	void (*rx_ready)(struct netdev *nd);
	/* The guest queued frames (a vCPU thread, with the NIC's TX queue
	 * locked). A backend with its own thread may take them there: it
	 * calls netdev_tx_ready soon, and the vCPU goes back to the guest at
	 * once, which keeps adding frames without notifying meanwhile. Only
	 * wake the thread. NULL: the NIC sends them on the vCPU. */
	void (*tx_kick)(struct netdev *nd);
	/* Start serving (threads). Called once, before the main thread's
	 * seccomp filter is installed, after the NIC is attached. 0 or -errno
	 * with a message. May be NULL. */
	int (*start)(struct netdev *nd, char *err, size_t errlen);
	/* Add (add=true) or remove a port forward while running. Any thread
	 * but the backend's own. 0 or -errno with a message (e.g. "tcp
	 * 127.0.0.1:8080: address already in use"). NULL: no forwards. */
	int (*hostfwd)(struct netdev *nd, const struct netdev_hostfwd *fwd, bool add, char *err,
		       size_t errlen);
	/* Stop and free. The NIC is gone or going: receive must not be called
	 * after this returns. */
	void (*free)(struct netdev *nd);
};

/* Embed first in the backend's struct. */
struct netdev {
	const struct netdev_ops *ops;
	struct netdev_frontend fe; /* set by the NIC (virtio_net_new) */
};

/* For backends: hand a frame to the guest. */
static inline int netdev_deliver(struct netdev *nd, const void *frame, size_t len)
{
	if (!nd->fe.receive)
		return -ENOBUFS;
	return nd->fe.receive(nd->fe.opaque, frame, len);
}

static inline bool netdev_can_deliver(struct netdev *nd)
{
	return nd->fe.can_receive && nd->fe.can_receive(nd->fe.opaque);
}

/* For backends whose peer can go away (net_socket.c). */
static inline void netdev_set_link(struct netdev *nd, bool up)
{
	if (nd->fe.set_link)
		nd->fe.set_link(nd->fe.opaque, up);
}

static inline void netdev_tx_ready(struct netdev *nd)
{
	if (nd->fe.tx_ready)
		nd->fe.tx_ready(nd->fe.opaque);
}

static inline void netdev_free(struct netdev *nd)
{
	if (nd)
		nd->ops->free(nd);
}

/* Parse "tcp:[ADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" (udp: likewise; ADDR
 * defaults to 127.0.0.1, GUESTADDR to 0, the first DHCP address). 0 or
 * -EINVAL with a message naming the spec. (net_slirp.c) */
int netdev_hostfwd_parse(const char *spec, struct netdev_hostfwd *out, char *err, size_t errlen);
/* "tcp 127.0.0.1:8080" for messages. (net_slirp.c) */
void netdev_hostfwd_describe(const struct netdev_hostfwd *fwd, char *buf, size_t len);

#endif
