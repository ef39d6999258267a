/* virtio 1.x modern PCI transport: capabilities, common configuration,
 * notifications, ISR and MSI-X, shared by every virtio device type. */
#ifndef VIRTTY_VMM_VIRTIO_PCI_H
#define VIRTTY_VMM_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "irqchip.h"
#include "pci.h"
#include "virtqueue.h"

#define VIRTIO_PCI_VENDOR_ID   0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + virtio device type */

#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_ENTROPY 4

#define VIRTIO_F_VERSION_1 32

#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER      0x02
#define VIRTIO_STATUS_DRIVER_OK   0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

#define VIRTIO_MSI_NO_VECTOR 0xffff

#define VIRTIO_PCI_ISR_QUEUE  0x1
#define VIRTIO_PCI_ISR_CONFIG 0x2

/* virtio_pci_cap cfg_type values. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* Common configuration structure offsets (virtio 1.1, 4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT  0x00
#define VIRTIO_PCI_COMMON_DF        0x04
#define VIRTIO_PCI_COMMON_GFSELECT  0x08
#define VIRTIO_PCI_COMMON_GF        0x0c
#define VIRTIO_PCI_COMMON_MSIX      0x10
#define VIRTIO_PCI_COMMON_NUMQ      0x12
#define VIRTIO_PCI_COMMON_STATUS    0x14
#define VIRTIO_PCI_COMMON_CFGGEN    0x15
#define VIRTIO_PCI_COMMON_Q_SELECT  0x16
#define VIRTIO_PCI_COMMON_Q_SIZE    0x18
#define VIRTIO_PCI_COMMON_Q_MSIX    0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE  0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF    0x1e
#define VIRTIO_PCI_COMMON_Q_DESC    0x20
#define VIRTIO_PCI_COMMON_Q_AVAIL   0x28
#define VIRTIO_PCI_COMMON_Q_USED    0x30
#define VIRTIO_PCI_COMMON_SIZE      0x38

/* BAR0 (memory, 16 KiB) layout; MSI-X table and PBA live in BAR1. */
#define VIRTIO_PCI_BAR0_SIZE    0x4000
#define VIRTIO_PCI_COMMON_OFF   0x0000
#define VIRTIO_PCI_ISR_OFF      0x1000
#define VIRTIO_PCI_DEVCFG_OFF   0x2000
#define VIRTIO_PCI_NOTIFY_OFF   0x3000
#define VIRTIO_PCI_NOTIFY_MULT  4      /* queue n is notified at NOTIFY_OFF + 4n */
#define VIRTIO_PCI_REGION_SIZE  0x1000
#define VIRTIO_PCI_MSIX_BAR     1
#define VIRTIO_PCI_MSIX_BAR_SIZE 0x1000
#define VIRTIO_PCI_MSIX_TABLE   0x000
#define VIRTIO_PCI_MSIX_PBA     0x800

#define VIRTIO_PCI_MAX_QUEUES 63 /* one MSI-X vector each, plus config */

struct virtio_pci;

/* What a device type plugs into the transport. */
struct virtio_pci_ops {
	const char *name;          /* "virtio-blk" */
	uint16_t device_type;      /* VIRTIO_ID_* */
	uint32_t class_code;       /* PCI class code, 24 bits */
	uint16_t nr_queues;
	uint16_t queue_max_size;   /* power of two */
	uint32_t config_size;      /* bytes of device-specific configuration */
	/* Device configuration access, off/len already inside config_size.
	 * config_write may be NULL (read-only configuration). */
	void (*config_read)(struct virtio_pci *vp, uint32_t off, uint8_t *data, uint32_t len);
	void (*config_write)(struct virtio_pci *vp, uint32_t off, const uint8_t *data,
			     uint32_t len);
	/* The guest notified queue q. Runs on the notifying vCPU thread with
	 * the queue's lock held: pop, handle, push, virtio_pci_queue_interrupt(). */
	void (*queue_notify)(struct virtio_pci *vp, uint16_t q, struct virtq *vq);
	/* The guest reset the device (queues are already reset). May be NULL. */
	void (*reset)(struct virtio_pci *vp);
};

struct virtio_pci_queue {
	pthread_mutex_t lock;      /* serializes processing of this queue */
	struct virtq vq;
	uint16_t msix_vector;
};

/* Embed as the first member of the device's struct (container_of style). */
struct virtio_pci {
	struct pci_device pci;
	const struct virtio_pci_ops *ops;
	void *opaque;              /* the device */
	const struct guest_mem *mem;
	pthread_mutex_t lock;      /* common configuration below */
	uint64_t device_features;  /* offered, transport features included */
	uint64_t driver_features;  /* accepted by the guest */
	uint32_t dfselect, gfselect;
	uint16_t msix_config;
	uint16_t queue_select;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;
	struct virtio_pci_queue *queues;
};

/* Set up the transport and put the device on the bus. `features` are the
 * device-type features; the transport adds VERSION_1, INDIRECT_DESC and
 * EVENT_IDX. 0 or -errno with a message. */
int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_ops *ops, uint64_t features,
		    void *opaque, struct pci_bus *bus, const struct guest_mem *mem,
		    struct irqchip *irq, char *err, size_t errlen);
void virtio_pci_exit(struct virtio_pci *vp);

/* Was `bit` negotiated (valid once the guest set FEATURES_OK)? */
bool virtio_pci_has_feature(struct virtio_pci *vp, unsigned int bit);
/* Interrupt the guest for queue q if the ring's suppression allows it.
 * Call with the queue lock held (i.e. from queue_notify). */
void virtio_pci_queue_interrupt(struct virtio_pci *vp, uint16_t q);
/* The device configuration changed: bump config_generation, interrupt. */
void virtio_pci_config_changed(struct virtio_pci *vp);
/* The guest broke the rules: set DEVICE_NEEDS_RESET and tell it. */
void virtio_pci_set_needs_reset(struct virtio_pci *vp);
uint8_t virtio_pci_status(struct virtio_pci *vp);

#endif
