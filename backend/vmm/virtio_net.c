/* virtio-net: TX chains are checked, stripped of their header and handed
 * to the backend on the notifying vCPU; frames from the backend (its own
 * thread) are written into the guest's RX buffers under the RX queue lock,
 * or held a little while the guest has none. Everything the guest puts in
 * a chain is hostile: lengths are checked here, addresses by virtqueue.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_net.h"
#include "virtio_pci.h"

struct virtio_net_held {
	uint8_t *frame;
	size_t len;
};

struct virtio_net {
	struct virtio_pci vp;
	uint8_t mac[6];
	struct netdev *backend;
	struct netdev_stats stats; /* atomic increments */
	bool link_down;		   /* the backend lost its peer (atomic) */

	/* RX state, under vp.queues[VIRTIO_NET_RXQ].lock. */
	struct virtq_chain rx_first, rx_chain;
	uint16_t rx_heads[VIRTIO_NET_QUEUE_SIZE];
	uint32_t rx_lens[VIRTIO_NET_QUEUE_SIZE];
	struct virtio_net_held held[VIRTIO_NET_RX_HOLD];
	unsigned int held_first, held_count; /* read unlocked by can_receive */
	bool backend_waiting;		     /* can_receive said false to it */

	/* TX state, under vp.queues[VIRTIO_NET_TXQ].lock. */
	struct virtq_chain tx_chain;
	bool tx_pending; /* tx_chain is popped, its frame not yet taken (-EAGAIN) */
	uint8_t tx_buf[NETDEV_MAX_FRAME];
};

static void virtio_net_count(uint64_t *counter, uint64_t n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

static bool virtio_net_driver_ok(struct virtio_net *vn)
{
	return (virtio_pci_status(&vn->vp) &
		(VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET)) == VIRTIO_STATUS_DRIVER_OK;
}

/* Publish n used elements with one used->idx store: the guest must never
 * see the first buffer of a merged frame before the others (Linux reads
 * num_buffers entries at once). virtq_push publishes one at a time. */
static void virtio_net_push_all(struct virtq *vq, const uint16_t *heads, const uint32_t *lens,
				unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *elem =
		    vq->used + 4 + 8 * (size_t)((uint16_t)(vq->used_idx + i) % vq->size);
		uint32_t id = heads[i];

		__atomic_store_n((uint32_t *)elem, id, __ATOMIC_RELAXED);
		__atomic_store_n((uint32_t *)(elem + 4), lens[i], __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->used_idx = (uint16_t)(vq->used_idx + n);
	__atomic_store_n((uint16_t *)(vq->used + 2), vq->used_idx, __ATOMIC_RELAXED);
}

/* Write one frame into the guest's RX buffers. Returns 1 delivered, 0 no
 * buffer now (nothing consumed: the caller may hold the frame), -ENOBUFS
 * dropped (it can never fit, or the guest gave an unusable buffer), -EIO
 * the ring is broken. RX queue lock held. */
static int virtio_net_rx_one(struct virtio_net *vn, struct virtq *vq, const uint8_t *frame,
			     size_t len)
{
	bool mrg = virtio_pci_has_feature(&vn->vp, VIRTIO_NET_F_MRG_RXBUF);
	struct virtio_net_hdr hdr = {.gso_type = VIRTIO_NET_HDR_GSO_NONE, .num_buffers = 1};
	uint16_t start = vq->last_avail;
	size_t done = 0;
	unsigned int n = 0;
	bool unusable = false;

	while (done < len || n == 0) {
		struct virtq_chain *c = n == 0 ? &vn->rx_first : &vn->rx_chain;
		size_t room, l;
		int r;

		/* A frame needing more buffers than the ring holds never fits. */
		if (n == vq->size) {
			vq->last_avail = start;
			return -ENOBUFS;
		}
		r = virtq_pop(vq, c);
		if (r < 0) {
			virtio_pci_set_needs_reset(&vn->vp);
			return -EIO;
		}
		if (r == 0) {
			/* Give back what we took: the frame waits for more. */
			vq->last_avail = start;
			return 0;
		}
		vn->rx_heads[n] = c->head;
		vn->rx_lens[n] = 0;
		room = c->in_len;
		if (n == 0) {
			/* The header must fit in the first buffer (5.1.6.3.1). */
			if (room < VIRTIO_NET_HDR_SIZE) {
				unusable = true;
				n++;
				break;
			}
			virtq_chain_write(c, 0, &hdr, sizeof(hdr));
			l = room - VIRTIO_NET_HDR_SIZE < len ? room - VIRTIO_NET_HDR_SIZE : len;
			virtq_chain_write(c, VIRTIO_NET_HDR_SIZE, frame, l);
			vn->rx_lens[n] = (uint32_t)(VIRTIO_NET_HDR_SIZE + l);
		} else {
			l = room < len - done ? room : len - done;
			virtq_chain_write(c, 0, frame + done, l);
			vn->rx_lens[n] = (uint32_t)l;
		}
		done += l;
		n++;
		/* Without mergeable buffers a frame must fit in one chain. */
		if (!mrg && done < len) {
			unusable = true;
			break;
		}
	}
	if (unusable) {
		/* Hand the buffers back empty: the guest sees a zero-length
		 * (invalid) completion and drops it, and its ring keeps moving. */
		for (unsigned int i = 0; i < n; i++)
			vn->rx_lens[i] = 0;
		virtio_net_push_all(vq, vn->rx_heads, vn->rx_lens, n);
		return -ENOBUFS;
	}
	if (n > 1) {
		uint16_t nb = (uint16_t)n;

		virtq_chain_write(&vn->rx_first, offsetof(struct virtio_net_hdr, num_buffers), &nb,
				  sizeof(nb));
	}
	virtio_net_push_all(vq, vn->rx_heads, vn->rx_lens, n);
	return 1;
}

static void virtio_net_held_drop_all(struct virtio_net *vn)
{
	while (vn->held_count) {
		struct virtio_net_held *h = &vn->held[vn->held_first];

		free(h->frame);
		h->frame = NULL;
		vn->held_first = (vn->held_first + 1) % VIRTIO_NET_RX_HOLD;
		__atomic_store_n(&vn->held_count, vn->held_count - 1, __ATOMIC_RELAXED);
		virtio_net_count(&vn->stats.rx_dropped, 1);
	}
}

/* Deliver held frames in order while the guest has buffers. Returns the
 * number delivered. RX queue lock held. */
static unsigned int virtio_net_rx_flush(struct virtio_net *vn, struct virtq *vq)
{
	unsigned int delivered = 0;

	while (vn->held_count) {
		struct virtio_net_held *h = &vn->held[vn->held_first];
		int r = virtio_net_rx_one(vn, vq, h->frame, h->len);

		if (r == 0)
			break;
		if (r == 1) {
			virtio_net_count(&vn->stats.rx_packets, 1);
			virtio_net_count(&vn->stats.rx_bytes, h->len);
			delivered++;
		} else {
			virtio_net_count(&vn->stats.rx_dropped, 1);
		}
		free(h->frame);
		h->frame = NULL;
		vn->held_first = (vn->held_first + 1) % VIRTIO_NET_RX_HOLD;
		__atomic_store_n(&vn->held_count, vn->held_count - 1, __ATOMIC_RELAXED);
		if (r == -EIO) {
			virtio_net_held_drop_all(vn);
			break;
		}
	}
	return delivered;
}

static int virtio_net_hold(struct virtio_net *vn, const void *frame, size_t len)
{
	struct virtio_net_held *h;
	uint8_t *copy;

	if (vn->held_count == VIRTIO_NET_RX_HOLD)
		return -ENOBUFS;
	copy = malloc(len);
	if (!copy)
		return -ENOBUFS;
	memcpy(copy, frame, len);
	h = &vn->held[(vn->held_first + vn->held_count) % VIRTIO_NET_RX_HOLD];
	h->frame = copy;
	h->len = len;
	__atomic_store_n(&vn->held_count, vn->held_count + 1, __ATOMIC_RELAXED);
	return 0;
}

/* netdev_frontend.receive: from the backend's thread. */
static int virtio_net_receive(void *opaque, const void *frame, size_t len)
{
	struct virtio_net *vn = opaque;
	struct virtio_pci_queue *vpq = &vn->vp.queues[VIRTIO_NET_RXQ];
	unsigned int delivered = 0;
	int r = 0;

	if (len < NETDEV_MIN_FRAME || len > NETDEV_MAX_FRAME) {
		virtio_net_count(&vn->stats.rx_dropped, 1);
		return -ENOBUFS;
	}
	pthread_mutex_lock(&vpq->lock);
	/* No driver (yet, or any more): the link is down from its side. */
	if (!vpq->vq.ready || !virtio_net_driver_ok(vn)) {
		r = -ENOBUFS;
		goto out;
	}
	delivered = virtio_net_rx_flush(vn, &vpq->vq);
	if (vn->held_count == 0) {
		r = virtio_net_rx_one(vn, &vpq->vq, frame, len);
		if (r == 1) {
			virtio_net_count(&vn->stats.rx_packets, 1);
			virtio_net_count(&vn->stats.rx_bytes, len);
			delivered++;
			r = 0;
			goto out;
		}
		if (r < 0) {
			r = -ENOBUFS;
			goto out;
		}
	}
	/* Behind held frames, or no buffer now: keep order, hold it. */
	r = virtio_net_hold(vn, frame, len);
	if (r == 0 && vn->held_count == VIRTIO_NET_RX_HOLD)
		vn->backend_waiting = true;
out:
	if (r)
		virtio_net_count(&vn->stats.rx_dropped, 1);
	if (delivered)
		virtio_pci_queue_interrupt(&vn->vp, VIRTIO_NET_RXQ);
	pthread_mutex_unlock(&vpq->lock);
	return r;
}

static bool virtio_net_can_receive(void *opaque)
{
	struct virtio_net *vn = opaque;

	return __atomic_load_n(&vn->held_count, __ATOMIC_RELAXED) < VIRTIO_NET_RX_HOLD;
}

/* The guest added RX buffers: deliver what waits. */
static void virtio_net_rx_notify(struct virtio_net *vn, struct virtq *vq)
{
	if (virtio_net_rx_flush(vn, vq))
		virtio_pci_queue_interrupt(&vn->vp, VIRTIO_NET_RXQ);
	if (vn->backend_waiting && vn->held_count < VIRTIO_NET_RX_HOLD) {
		vn->backend_waiting = false;
		if (vn->backend->ops->rx_ready)
			vn->backend->ops->rx_ready(vn->backend);
	}
}

/* One TX chain: header + frame in the readable half. Malformed chains are
 * counted and returned unused; the ring stays usable. */
static int virtio_net_tx_one(struct virtio_net *vn, struct virtq_chain *c)
{
	struct virtio_net_hdr hdr;
	size_t len;
	int r;

	if (c->out_len < VIRTIO_NET_HDR_SIZE) {
		virtio_net_count(&vn->stats.tx_errors, 1);
		return 0;
	}
	len = c->out_len - VIRTIO_NET_HDR_SIZE;
	virtq_chain_read(c, 0, &hdr, sizeof(hdr));
	/* No offloads were offered: a GSO frame is a guest bug. */
	if (len < NETDEV_MIN_FRAME || len > NETDEV_MAX_FRAME ||
	    hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		virtio_net_count(&vn->stats.tx_errors, 1);
		return 0;
	}
	virtq_chain_read(c, VIRTIO_NET_HDR_SIZE, vn->tx_buf, len);
	r = vn->backend->ops->send(vn->backend, vn->tx_buf, len);
	if (r == -EAGAIN)
		return -EAGAIN; /* kept: offered again on tx_ready */
	if (r == 0) {
		virtio_net_count(&vn->stats.tx_packets, 1);
		virtio_net_count(&vn->stats.tx_bytes, len);
	} else {
		virtio_net_count(&vn->stats.tx_dropped, 1);
	}
	return 0;
}

/* Send what the guest queued, in order, until the backend is full: then
 * the chain stays popped (not used), the guest's ring fills up and its
 * driver stops the queue until we complete more. TX queue locked. */
static void virtio_net_tx_run(struct virtio_net *vn, struct virtq *vq)
{
	unsigned int used = 0;
	int r = 1;

	if (vn->tx_pending) {
		if (virtio_net_tx_one(vn, &vn->tx_chain) == -EAGAIN)
			return;
		virtq_push(vq, vn->tx_chain.head, 0);
		vn->tx_pending = false;
		used++;
	}
	while ((r = virtq_pop(vq, &vn->tx_chain)) > 0) {
		if (virtio_net_tx_one(vn, &vn->tx_chain) == -EAGAIN) {
			vn->tx_pending = true;
			break;
		}
		virtq_push(vq, vn->tx_chain.head, 0);
		used++;
	}
	if (r < 0) {
		/* Bad address, loop, bad index: the transport's rule breach. */
		virtio_net_count(&vn->stats.tx_errors, 1);
		virtio_pci_set_needs_reset(&vn->vp);
	}
	if (used || r < 0)
		virtio_pci_queue_interrupt(&vn->vp, VIRTIO_NET_TXQ);
}

/* netdev_frontend.tx_ready: the backend's thread. */
static void virtio_net_tx_ready(void *opaque)
{
	struct virtio_net *vn = opaque;
	struct virtio_pci_queue *vpq = &vn->vp.queues[VIRTIO_NET_TXQ];

	pthread_mutex_lock(&vpq->lock);
	if (vpq->vq.ready && virtio_net_driver_ok(vn))
		virtio_net_tx_run(vn, &vpq->vq);
	pthread_mutex_unlock(&vpq->lock);
}

static void virtio_net_queue_notify(struct virtio_pci *vp, uint16_t q, struct virtq *vq)
{
	struct virtio_net *vn = vp->opaque;

	if (q == VIRTIO_NET_RXQ) {
		virtio_net_rx_notify(vn, vq);
		return;
	}
	/* With a backend thread, the frames go out from there (tx_ready):
	 * one notification then carries a whole batch. */
	if (vn->backend->ops->tx_kick)
		vn->backend->ops->tx_kick(vn->backend);
	else
		virtio_net_tx_run(vn, vq);
}

static void virtio_net_config_read(struct virtio_pci *vp, uint32_t off, uint8_t *data, uint32_t len)
{
	struct virtio_net *vn = vp->opaque;
	uint8_t cfg[VIRTIO_NET_CFG_SIZE] = {0};

	memcpy(cfg + VIRTIO_NET_CFG_MAC, vn->mac, 6);
	cfg[VIRTIO_NET_CFG_STATUS] =
	    __atomic_load_n(&vn->link_down, __ATOMIC_ACQUIRE) ? 0 : VIRTIO_NET_S_LINK_UP;
	cfg[VIRTIO_NET_CFG_MAX_PAIRS] = 1;
	memcpy(data, cfg + off, len); /* the transport bounded off+len */
}

/* Guest reset: what was held belongs to the old driver. */
static void virtio_net_reset(struct virtio_pci *vp)
{
	struct virtio_net *vn = vp->opaque;
	struct virtio_pci_queue *vpq = &vp->queues[VIRTIO_NET_RXQ];

	pthread_mutex_lock(&vpq->lock);
	virtio_net_held_drop_all(vn);
	vn->backend_waiting = false;
	pthread_mutex_unlock(&vpq->lock);
	vpq = &vp->queues[VIRTIO_NET_TXQ];
	pthread_mutex_lock(&vpq->lock);
	vn->tx_pending = false; /* the frame it kept belongs to the old driver */
	pthread_mutex_unlock(&vpq->lock);
}

static const struct virtio_pci_ops virtio_net_ops = {
    .name = "virtio-net",
    .device_type = VIRTIO_ID_NET,
    .class_code = 0x020000, /* network controller, Ethernet */
    .nr_queues = 2,
    .queue_max_size = VIRTIO_NET_QUEUE_SIZE,
    .config_size = VIRTIO_NET_CFG_SIZE,
    .config_read = virtio_net_config_read,
    .queue_notify = virtio_net_queue_notify,
    .reset = virtio_net_reset,
};

/* netdev_frontend.set_link: the backend's peer went away or came back. */
static void virtio_net_link_changed(void *opaque, bool up)
{
	virtio_net_set_link(opaque, up);
}

struct virtio_net *virtio_net_new(struct pci_bus *bus, struct guest_mem *mem, struct irqchip *irq,
				  const uint8_t mac[6], struct netdev *backend, char *err,
				  size_t errlen)
{
	const uint64_t features =
	    1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS | 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	struct virtio_net *vn = calloc(1, sizeof(*vn));

	if (!vn) {
		snprintf(err, errlen, "virtio-net: out of memory");
		netdev_free(backend);
		return NULL;
	}
	memcpy(vn->mac, mac, 6);
	vn->backend = backend;
	backend->fe = (struct netdev_frontend){
	    .receive = virtio_net_receive,
	    .can_receive = virtio_net_can_receive,
	    .set_link = virtio_net_link_changed,
	    .tx_ready = virtio_net_tx_ready,
	    .opaque = vn,
	};
	if (virtio_pci_init(&vn->vp, &virtio_net_ops, features, vn, bus, mem, irq, err, errlen)) {
		netdev_free(backend);
		free(vn);
		return NULL;
	}
	return vn;
}

struct netdev *virtio_net_backend(struct virtio_net *vn)
{
	return vn->backend;
}

void virtio_net_get_stats(struct virtio_net *vn, struct netdev_stats *out)
{
	const uint64_t *src = (const uint64_t *)&vn->stats;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void virtio_net_get_mac(struct virtio_net *vn, uint8_t mac[6])
{
	memcpy(mac, vn->mac, 6);
}

void virtio_net_set_link(struct virtio_net *vn, bool up)
{
	/* Only a change is news for the driver (a config interrupt). */
	if (__atomic_exchange_n(&vn->link_down, !up, __ATOMIC_ACQ_REL) != !up)
		virtio_pci_config_changed(&vn->vp);
}

bool virtio_net_link_up(struct virtio_net *vn)
{
	return !__atomic_load_n(&vn->link_down, __ATOMIC_ACQUIRE);
}

unsigned int virtio_net_rx_held(struct virtio_net *vn)
{
	return __atomic_load_n(&vn->held_count, __ATOMIC_RELAXED);
}

void virtio_net_free(struct virtio_net *vn)
{
	if (!vn)
		return;
	/* The backend's thread ends first: nothing calls receive after. */
	netdev_free(vn->backend);
	vn->backend = NULL;
	if (vn->vp.queues) {
		pthread_mutex_lock(&vn->vp.queues[VIRTIO_NET_RXQ].lock);
		virtio_net_held_drop_all(vn);
		pthread_mutex_unlock(&vn->vp.queues[VIRTIO_NET_RXQ].lock);
	}
	virtio_pci_exit(&vn->vp);
	free(vn);
}
