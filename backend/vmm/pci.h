/* PCI bus 0 of a virtty-vmm machine: configuration space (ports 0xCF8-0xCFF
 * and the ECAM window), 32-bit memory BARs, a capability list and MSI-X. */
#ifndef VIRTTY_VMM_PCI_H
#define VIRTTY_VMM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iobus.h"
#include "irqchip.h"

#define PCI_CFG_SIZE      256  /* conventional config space; 256..4095 read as 0 */
#define PCI_ECAM_FN_SIZE  4096 /* ECAM bytes per function */
#define PCI_MAX_SLOTS     32
#define PCI_NR_BARS       6

/* Config space registers used outside pci.c. */
#define PCI_VENDOR_ID        0x00
#define PCI_DEVICE_ID        0x02
#define PCI_COMMAND          0x04
#define PCI_STATUS           0x06
#define PCI_REVISION_ID      0x08
#define PCI_CLASS_PROG       0x09
#define PCI_HEADER_TYPE      0x0e
#define PCI_BAR0             0x10
#define PCI_SUBSYSTEM_VENDOR 0x2c
#define PCI_SUBSYSTEM_ID     0x2e
#define PCI_CAP_PTR          0x34
#define PCI_INTERRUPT_LINE   0x3c
#define PCI_INTERRUPT_PIN    0x3d

#define PCI_COMMAND_MEMORY   0x0002
#define PCI_COMMAND_MASTER   0x0004
#define PCI_STATUS_CAP_LIST  0x0010

#define PCI_CAP_ID_VNDR      0x09
#define PCI_CAP_ID_MSIX      0x11

#define PCI_MSIX_FLAGS_MASKALL 0x4000 /* in Message Control */
#define PCI_MSIX_FLAGS_ENABLE  0x8000
#define PCI_MSIX_ENTRY_SIZE    16
#define PCI_MSIX_ENTRY_MASKED  0x1    /* Vector Control bit 0 */
#define PCI_MSIX_MAX_VECTORS   64     /* enough for our devices; PBA fits one qword */

struct pci_bus;
struct pci_device;

struct pci_bar {
	struct pci_device *dev;
	uint32_t size;       /* power of two >= 4 KiB; 0 = BAR not implemented */
	uint64_t mapped_at;  /* guest address registered on the MMIO bus */
	bool mapped;
	io_handler_fn fn;    /* device handler; may be NULL for an MSI-X-only BAR */
	void *opaque;
};

struct pci_msix {
	uint8_t cap;         /* config offset of the capability, 0 = none */
	uint16_t nr_vectors;
	int bar;
	uint32_t table_off, pba_off;
	uint8_t table[PCI_MSIX_MAX_VECTORS * PCI_MSIX_ENTRY_SIZE];
	uint64_t pending;    /* PBA: one bit per vector */
	struct irqchip *irq;
};

/* A function on bus 0. Embed it in the device's own struct, fill it with
 * pci_device_init()/pci_device_add_bar()/pci_device_add_cap()/pci_msix_init()
 * and then pci_bus_add_device(). All fields are protected by `lock`. */
struct pci_device {
	pthread_mutex_t lock;
	struct pci_bus *bus;
	int slot;            /* -1 until added */
	const char *name;    /* for messages */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];  /* bits the guest may change */
	uint16_t cap_end;    /* next free config offset for a capability */
	uint8_t cap_last;    /* offset of the last capability, 0 = none yet */
	struct pci_bar bars[PCI_NR_BARS];
	struct pci_msix msix;
};

/* Creates bus 0 with a host bridge in slot 0, and claims ports 0xCF8-0xCFF
 * on `pio` and the ECAM window (layout.h) on `mmio`. NULL on failure
 * (errno set). */
struct pci_bus *pci_bus_new(struct io_bus *pio, struct io_bus *mmio);
/* Unregisters everything. Devices must have been removed already. */
void pci_bus_free(struct pci_bus *bus);
/* Port 0xCF9 sits inside the 0xCF8 dword; a byte write there is the reset
 * control register (layout.h LAYOUT_PORT_RESET). pci.c claims the port and
 * calls fn(opaque, value) for such writes. */
void pci_bus_set_reset_handler(struct pci_bus *bus, void (*fn)(void *opaque, uint8_t value),
			       void *opaque);
int pci_bus_nr_devices(struct pci_bus *bus);

void pci_device_init(struct pci_device *dev, const char *name, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision);
void pci_device_set_subsystem(struct pci_device *dev, uint16_t vendor, uint16_t id);
/* Declare a 32-bit memory BAR. size: power of two, at least 4096. */
int pci_device_add_bar(struct pci_device *dev, int bar, uint32_t size, io_handler_fn fn,
		       void *opaque);
/* Append a capability (`len` bytes including the id/next header; data[0]
 * is the id, data[1] is filled in). `wmask` (may be NULL) marks guest-writable
 * bits. Returns the config offset or -ENOSPC/-EINVAL. */
int pci_device_add_cap(struct pci_device *dev, const void *data, const void *wmask, uint8_t len);
/* Add an MSI-X capability with table and PBA inside BAR `bar` (declared
 * before with pci_device_add_bar). 0 or -errno. */
int pci_msix_init(struct pci_device *dev, uint16_t nr_vectors, int bar, uint32_t table_off,
		  uint32_t pba_off, struct irqchip *irq);
/* Place the device in a free slot, assign BAR addresses from the PCI MMIO
 * window, enable memory decode and map the BARs. 0 or -errno + message. */
int pci_bus_add_device(struct pci_bus *bus, struct pci_device *dev, char *err, size_t errlen);
void pci_bus_remove_device(struct pci_bus *bus, struct pci_device *dev);

/* Is MSI-X enabled by the guest? */
bool pci_msix_enabled(struct pci_device *dev);
/* Send MSI-X vector `vector`: delivered now, or marked pending if masked
 * (delivered when unmasked). 0, -ENOENT (no such vector / MSI-X off), or
 * the irqchip's error. */
int pci_msix_notify(struct pci_device *dev, uint16_t vector);

#endif
