/* Minimal virtio 1.x modern PCI driver for the test guests: one device,
 * split virtqueues, one request in flight, completion by polling. */
#ifndef VIRTTY_GUEST_VIRTIO_H
#define VIRTTY_GUEST_VIRTIO_H

#include <stdint.h>

#define VIRTIO_PCI_VENDOR     0x1af4
#define VIRTIO_PCI_DEVICE_NET 0x1041
#define VIRTIO_PCI_DEVICE_BLK 0x1042
#define VIRTIO_PCI_DEVICE_RNG 0x1044

#define VIRTIO_F_VERSION_1 (1ULL << 32)

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

struct virtio_dev {
	const char *tag;	  /* prefix of messages: "blk", "rng" */
	uint8_t pci_dev;	  /* slot on bus 0 */
	volatile uint8_t *common; /* VIRTIO_PCI_CAP_COMMON_CFG */
	volatile uint8_t *notify; /* VIRTIO_PCI_CAP_NOTIFY_CFG */
	volatile uint8_t *isr;	  /* VIRTIO_PCI_CAP_ISR_CFG */
	volatile uint8_t *device; /* VIRTIO_PCI_CAP_DEVICE_CFG (may be NULL) */
	uint32_t notify_mult;
	uint64_t device_features;
	uint64_t features; /* negotiated */
};

struct virtq {
	uint16_t index, size, notify_off, last_used;
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
};

struct virtq_buf {
	void *addr;
	uint32_t len;
	int device_writes; /* 1: device-writable (VIRTQ_DESC_F_WRITE) */
};

/* Each returns 0 or -1 after printing "TAG: error: ..." on COM1. */
int virtio_pci_open(struct virtio_dev *vd, uint16_t device_id, const char *tag);
/* Reset, then offer VERSION_1 | (wanted & device features). */
int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted);
int virtio_queue_setup(struct virtio_dev *vd, uint16_t index, struct virtq *vq);
int virtio_driver_ok(struct virtio_dev *vd);
/* Post one descriptor chain (at most VIRTQ_MAX_SIZE buffers), notify,
 * poll for its completion; *used_len gets what the device wrote. */
int virtq_transfer(struct virtio_dev *vd, struct virtq *vq, const struct virtq_buf *bufs, int n,
		   uint32_t *used_len);

/* For drivers that keep several buffers posted (net.c): tell the device
 * about new avail entries of vq, and read the device status byte. */
void virtq_kick(struct virtio_dev *vd, struct virtq *vq);
uint8_t virtio_status(struct virtio_dev *vd);

uint8_t virtio_cfg_read8(struct virtio_dev *vd, uint32_t off);
uint32_t virtio_cfg_read32(struct virtio_dev *vd, uint32_t off);
/* Re-read until config_generation is stable, as the spec asks for >32-bit fields. */
uint64_t virtio_cfg_read64(struct virtio_dev *vd, uint32_t off);

#define VIRTQ_MAX_SIZE 16

#endif
