/* virtio-net over PCI: one RX and one TX queue, the 12-byte virtio 1.x
 * header, mergeable receive buffers; frames go to and come from a netdev
 * backend (netdev.h). */
#ifndef VIRTTY_VMM_VIRTIO_NET_H
#define VIRTTY_VMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "irqchip.h"
#include "netdev.h"
#include "pci.h"

#define VIRTIO_ID_NET 1

/* Feature bits (virtio 1.1, 5.1.3). */
#define VIRTIO_NET_F_MAC       5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS    16

#define VIRTIO_NET_S_LINK_UP 1

/* Configuration layout (5.1.4): mac[6], status, max_virtqueue_pairs. */
#define VIRTIO_NET_CFG_MAC	 0
#define VIRTIO_NET_CFG_STATUS	 6
#define VIRTIO_NET_CFG_MAX_PAIRS 8
#define VIRTIO_NET_CFG_SIZE	 10

/* struct virtio_net_hdr as used with VIRTIO_F_VERSION_1 (always 12 bytes,
 * num_buffers included). */
#define VIRTIO_NET_HDR_SIZE	    12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_GSO_NONE	    0
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RXQ	      0
#define VIRTIO_NET_TXQ	      1
/* Frames held for a guest that has no receive buffer right now; beyond
 * this they are dropped (TCP retransmits, as on a real wire). */
#define VIRTIO_NET_RX_HOLD 64

struct virtio_net;

/* Add a NIC with this MAC to the bus, carrying frames over `backend`
 * (which the NIC owns from now on, also on failure). NULL with a message
 * on failure. */
struct virtio_net *virtio_net_new(struct pci_bus *bus, struct guest_mem *mem, struct irqchip *irq,
				  const uint8_t mac[6], struct netdev *backend, char *err,
				  size_t errlen);
struct netdev *virtio_net_backend(struct virtio_net *vn);
void virtio_net_get_stats(struct virtio_net *vn, struct netdev_stats *out);
void virtio_net_get_mac(struct virtio_net *vn, uint8_t mac[6]);
/* Link status as the guest reads it (VIRTIO_NET_S_LINK_UP), up from the
 * start; a change raises a configuration interrupt. Any thread. Backends
 * reach it through netdev_set_link (netdev.h). */
void virtio_net_set_link(struct virtio_net *vn, bool up);
bool virtio_net_link_up(struct virtio_net *vn);
/* Frames waiting for guest buffers now. */
unsigned int virtio_net_rx_held(struct virtio_net *vn);
/* Stop the backend, remove from the bus. Call with the vCPUs stopped.
 * NULL is fine. */
void virtio_net_free(struct virtio_net *vn);

#endif
