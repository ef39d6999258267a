/* PCI bus 0: config space through the type 1 ports and ECAM, BAR placement
 * and relocation on the MMIO bus, capability list and MSI-X. Every value
 * here can be written by the guest at any time from any vCPU. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "pci.h"

#define PCI_CONFIG_PORT_LEN 8
#define PCI_CAP_START       0x40

struct pci_bus {
	struct io_bus *pio, *mmio;
	pthread_mutex_t lock;     /* slots[], mmio_next, cf8 */
	uint32_t cf8;             /* type 1 address register */
	struct pci_device *slots[PCI_MAX_SLOTS];
	uint64_t mmio_next;       /* next free address in the BAR window */
	struct pci_device host;   /* slot 0: host bridge */
	void (*reset_fn)(void *opaque, uint8_t value);
	void *reset_opaque;
};

/* An MSI message collected under the device lock and sent after it. */
struct pci_msi_msg {
	uint64_t addr;
	uint32_t data;
};

static uint16_t pci_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t pci_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void pci_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void pci_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void pci_device_init(struct pci_device *dev, const char *name, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision)
{
	memset(dev, 0, sizeof(*dev));
	pthread_mutex_init(&dev->lock, NULL);
	dev->slot = -1;
	dev->name = name;
	pci_put16(dev->cfg + PCI_VENDOR_ID, vendor);
	pci_put16(dev->cfg + PCI_DEVICE_ID, device);
	dev->cfg[PCI_REVISION_ID] = revision;
	dev->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	dev->cfg[PCI_CLASS_PROG + 1] = (uint8_t)(class_code >> 8);
	dev->cfg[PCI_CLASS_PROG + 2] = (uint8_t)(class_code >> 16);
	/* I/O space, memory space, bus master; INTx disable (bit 10). */
	dev->wmask[PCI_COMMAND] = 0x07;
	dev->wmask[PCI_COMMAND + 1] = 0x04;
	dev->wmask[0x0c] = 0xff; /* cache line size: scratch for the OS */
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	dev->cap_end = PCI_CAP_START;
	for (int i = 0; i < PCI_NR_BARS; i++)
		dev->bars[i].dev = dev;
}

void pci_device_set_subsystem(struct pci_device *dev, uint16_t vendor, uint16_t id)
{
	pci_put16(dev->cfg + PCI_SUBSYSTEM_VENDOR, vendor);
	pci_put16(dev->cfg + PCI_SUBSYSTEM_ID, id);
}

int pci_device_add_bar(struct pci_device *dev, int bar, uint32_t size, io_handler_fn fn,
		       void *opaque)
{
	if (bar < 0 || bar >= PCI_NR_BARS || size < 4096 || (size & (size - 1)) ||
	    dev->bars[bar].size)
		return -EINVAL;
	dev->bars[bar].size = size;
	dev->bars[bar].fn = fn;
	dev->bars[bar].opaque = opaque;
	/* Address bits below the size read back as 0: that is how the guest
	 * sizes the BAR after writing all ones. Type bits (32-bit, not
	 * prefetchable) are 0 and read-only. */
	pci_put32(dev->wmask + PCI_BAR0 + 4 * bar, ~(size - 1));
	return 0;
}

int pci_device_add_cap(struct pci_device *dev, const void *data, const void *wmask, uint8_t len)
{
	uint16_t off = dev->cap_end;

	if (len < 2)
		return -EINVAL;
	if (off >= PCI_CFG_SIZE || len > PCI_CFG_SIZE - off)
		return -ENOSPC;
	memcpy(dev->cfg + off, data, len);
	if (wmask)
		memcpy(dev->wmask + off, wmask, len);
	dev->wmask[off] = dev->wmask[off + 1] = 0; /* the list itself is read-only */
	dev->cfg[off + 1] = 0;
	if (dev->cap_last)
		dev->cfg[dev->cap_last + 1] = (uint8_t)off;
	else
		dev->cfg[PCI_CAP_PTR] = (uint8_t)off;
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->cap_last = (uint8_t)off;
	/* Capabilities are dword aligned; the last one may end the space. */
	dev->cap_end = (uint16_t)((off + len + 3u) & ~3u);
	return off;
}

int pci_msix_init(struct pci_device *dev, uint16_t nr_vectors, int bar, uint32_t table_off,
		  uint32_t pba_off, struct irqchip *irq)
{
	uint8_t cap[12] = {PCI_CAP_ID_MSIX}, wm[12] = {0};
	uint32_t bar_size, table_len = nr_vectors * PCI_MSIX_ENTRY_SIZE;
	int off;

	if (nr_vectors == 0 || nr_vectors > PCI_MSIX_MAX_VECTORS || bar < 0 ||
	    bar >= PCI_NR_BARS || !dev->bars[bar].size || dev->msix.cap)
		return -EINVAL;
	bar_size = dev->bars[bar].size;
	/* Table and PBA are qword aligned, inside the BAR, and do not overlap. */
	if ((table_off | pba_off) & 7 || table_off >= bar_size || table_len > bar_size - table_off ||
	    pba_off >= bar_size || 8 > bar_size - pba_off ||
	    (pba_off < table_off + table_len && table_off < pba_off + 8))
		return -EINVAL;
	pci_put16(cap + 2, nr_vectors - 1);
	pci_put32(cap + 4, table_off | (uint32_t)bar);
	pci_put32(cap + 8, pba_off | (uint32_t)bar);
	wm[3] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	off = pci_device_add_cap(dev, cap, wm, sizeof(cap));
	if (off < 0)
		return off;
	dev->msix.cap = (uint8_t)off;
	dev->msix.nr_vectors = nr_vectors;
	dev->msix.bar = bar;
	dev->msix.table_off = table_off;
	dev->msix.pba_off = pba_off;
	dev->msix.irq = irq;
	/* Vectors start masked (PCI spec). */
	for (int i = 0; i < nr_vectors; i++)
		dev->msix.table[i * PCI_MSIX_ENTRY_SIZE + 12] = PCI_MSIX_ENTRY_MASKED;
	return 0;
}

/* --- MSI-X ------------------------------------------------------------ */

static uint16_t pci_msix_control_locked(const struct pci_device *dev)
{
	return pci_get16(dev->cfg + dev->msix.cap + 2);
}

static bool pci_msix_vector_masked_locked(const struct pci_device *dev, uint16_t vector)
{
	uint16_t ctl = pci_msix_control_locked(dev);

	return (ctl & PCI_MSIX_FLAGS_MASKALL) ||
	       (dev->msix.table[vector * PCI_MSIX_ENTRY_SIZE + 12] & PCI_MSIX_ENTRY_MASKED);
}

static struct pci_msi_msg pci_msix_message_locked(const struct pci_device *dev, uint16_t vector)
{
	const uint8_t *e = dev->msix.table + vector * PCI_MSIX_ENTRY_SIZE;

	return (struct pci_msi_msg){
		.addr = pci_get32(e) | (uint64_t)pci_get32(e + 4) << 32,
		.data = pci_get32(e + 8),
	};
}

/* Move pending vectors that are no longer masked into `out`; returns how many. */
static int pci_msix_collect_unmasked_locked(struct pci_device *dev, struct pci_msi_msg *out)
{
	int n = 0;

	if (!dev->msix.cap || !(pci_msix_control_locked(dev) & PCI_MSIX_FLAGS_ENABLE))
		return 0;
	for (uint16_t v = 0; v < dev->msix.nr_vectors; v++) {
		if (!(dev->msix.pending & (1ULL << v)) || pci_msix_vector_masked_locked(dev, v))
			continue;
		dev->msix.pending &= ~(1ULL << v);
		out[n++] = pci_msix_message_locked(dev, v);
	}
	return n;
}

static void pci_msix_send(struct pci_device *dev, const struct pci_msi_msg *msgs, int n)
{
	for (int i = 0; i < n; i++)
		if (dev->msix.irq && dev->msix.irq->signal_msi)
			dev->msix.irq->signal_msi(dev->msix.irq, msgs[i].addr, msgs[i].data);
}

bool pci_msix_enabled(struct pci_device *dev)
{
	bool on;

	pthread_mutex_lock(&dev->lock);
	on = dev->msix.cap && (pci_msix_control_locked(dev) & PCI_MSIX_FLAGS_ENABLE);
	pthread_mutex_unlock(&dev->lock);
	return on;
}

int pci_msix_notify(struct pci_device *dev, uint16_t vector)
{
	struct pci_msi_msg msg;

	pthread_mutex_lock(&dev->lock);
	if (!dev->msix.cap || vector >= dev->msix.nr_vectors ||
	    !(pci_msix_control_locked(dev) & PCI_MSIX_FLAGS_ENABLE)) {
		pthread_mutex_unlock(&dev->lock);
		return -ENOENT;
	}
	if (pci_msix_vector_masked_locked(dev, vector)) {
		dev->msix.pending |= 1ULL << vector;
		pthread_mutex_unlock(&dev->lock);
		return 0;
	}
	msg = pci_msix_message_locked(dev, vector);
	pthread_mutex_unlock(&dev->lock);
	if (!dev->msix.irq || !dev->msix.irq->signal_msi)
		return -ENODEV;
	return dev->msix.irq->signal_msi(dev->msix.irq, msg.addr, msg.data);
}

/* Table or PBA access inside the MSI-X BAR; false if `off` is elsewhere. */
static bool pci_msix_bar_access(struct pci_device *dev, uint64_t off, uint8_t *data, uint32_t len,
				bool is_write)
{
	struct pci_msix *m = &dev->msix;
	uint64_t table_len = (uint64_t)m->nr_vectors * PCI_MSIX_ENTRY_SIZE;
	struct pci_msi_msg msgs[PCI_MSIX_MAX_VECTORS];
	int n = 0;

	if (off >= m->table_off && off - m->table_off < table_len) {
		uint64_t t = off - m->table_off;

		if (len > table_len - t)
			len = (uint32_t)(table_len - t);
		pthread_mutex_lock(&dev->lock);
		if (is_write) {
			for (uint32_t i = 0; i < len; i++) {
				uint64_t b = t + i;

				/* Only the mask bit of Vector Control is writable. */
				if (b % PCI_MSIX_ENTRY_SIZE >= 12) {
					if (b % PCI_MSIX_ENTRY_SIZE == 12)
						m->table[b] = data[i] & PCI_MSIX_ENTRY_MASKED;
					continue;
				}
				m->table[b] = data[i];
			}
			n = pci_msix_collect_unmasked_locked(dev, msgs);
		} else {
			memcpy(data, m->table + t, len);
		}
		pthread_mutex_unlock(&dev->lock);
		pci_msix_send(dev, msgs, n);
		return true;
	}
	if (off >= m->pba_off && off - m->pba_off < 8) {
		uint64_t p = off - m->pba_off;

		if (!is_write) {
			uint8_t pba[8];

			pthread_mutex_lock(&dev->lock);
			for (int i = 0; i < 8; i++)
				pba[i] = (uint8_t)(m->pending >> (8 * i));
			pthread_mutex_unlock(&dev->lock);
			if (len > 8 - p)
				len = (uint32_t)(8 - p);
			memcpy(data, pba + p, len);
		}
		return true;
	}
	return false;
}

/* --- BARs ------------------------------------------------------------- */

static void pci_bar_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_bar *bar = opaque;
	struct pci_device *dev = bar->dev;

	if (dev->msix.cap && bar == &dev->bars[dev->msix.bar] &&
	    pci_msix_bar_access(dev, off, data, len, is_write))
		return;
	if (bar->fn)
		bar->fn(bar->opaque, off, data, len, is_write);
}

/* Make the MMIO registrations follow the BAR registers and the command
 * register's memory decode bit. */
static void pci_update_bars_locked(struct pci_device *dev)
{
	bool decode = pci_get16(dev->cfg + PCI_COMMAND) & PCI_COMMAND_MEMORY;
	struct io_bus *mmio = dev->bus->mmio;

	for (int i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *bar = &dev->bars[i];
		uint64_t addr = pci_get32(dev->cfg + PCI_BAR0 + 4 * i) & ~0xfULL;
		bool want = bar->size && decode && addr != 0;

		if (bar->mapped && (!want || addr != bar->mapped_at)) {
			io_bus_unregister(mmio, bar->mapped_at);
			bar->mapped = false;
		}
		/* A BAR programmed over another range stays unmapped, as two
		 * decoders claiming one address would on real hardware be
		 * undefined; the guest sees all ones there. */
		if (want && !bar->mapped &&
		    io_bus_register(mmio, addr, bar->size, pci_bar_access, bar) == 0) {
			bar->mapped = true;
			bar->mapped_at = addr;
		}
	}
}

/* --- Config space ----------------------------------------------------- */

static void pci_device_config_read(struct pci_device *dev, uint32_t off, uint8_t *data,
				   uint32_t len)
{
	if (off >= PCI_CFG_SIZE)
		return; /* extended space: no extended capabilities, reads 0 */
	if (len > PCI_CFG_SIZE - off)
		len = PCI_CFG_SIZE - off;
	pthread_mutex_lock(&dev->lock);
	memcpy(data, dev->cfg + off, len);
	pthread_mutex_unlock(&dev->lock);
}

static bool pci_ranges_overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return a < b + blen && b < a + alen;
}

static void pci_device_config_write(struct pci_device *dev, uint32_t off, const uint8_t *data,
				    uint32_t len)
{
	struct pci_msi_msg msgs[PCI_MSIX_MAX_VECTORS];
	int n = 0;

	if (off >= PCI_CFG_SIZE)
		return;
	if (len > PCI_CFG_SIZE - off)
		len = PCI_CFG_SIZE - off;
	pthread_mutex_lock(&dev->lock);
	for (uint32_t i = 0; i < len; i++) {
		uint8_t m = dev->wmask[off + i];

		dev->cfg[off + i] = (uint8_t)((dev->cfg[off + i] & ~m) | (data[i] & m));
	}
	if (pci_ranges_overlap(off, len, PCI_COMMAND, 2) ||
	    pci_ranges_overlap(off, len, PCI_BAR0, 4 * PCI_NR_BARS))
		pci_update_bars_locked(dev);
	/* Enabling MSI-X or clearing the function mask releases pending vectors. */
	if (dev->msix.cap && pci_ranges_overlap(off, len, dev->msix.cap + 2, 2))
		n = pci_msix_collect_unmasked_locked(dev, msgs);
	pthread_mutex_unlock(&dev->lock);
	pci_msix_send(dev, msgs, n);
}

static struct pci_device *pci_bus_lookup(struct pci_bus *bus, uint32_t slot, uint32_t fn)
{
	struct pci_device *dev;

	if (slot >= PCI_MAX_SLOTS || fn != 0)
		return NULL;
	pthread_mutex_lock(&bus->lock);
	dev = bus->slots[slot];
	pthread_mutex_unlock(&bus->lock);
	return dev;
}

/* One config access to function (slot, fn) of bus 0. Absent functions read
 * all ones, so the guest sees vendor 0xFFFF. */
static void pci_bus_config_access(struct pci_bus *bus, uint32_t slot, uint32_t fn, uint32_t reg,
				  uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_device *dev = pci_bus_lookup(bus, slot, fn);

	if (!dev) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		pci_device_config_write(dev, reg, data, len);
	else
		pci_device_config_read(dev, reg, data, len);
}

static void pci_config_port_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
				   bool is_write)
{
	struct pci_bus *bus = opaque;
	uint32_t addr;

	if (off < 4) {
		if (off == 0 && len == 4) {
			pthread_mutex_lock(&bus->lock);
			if (is_write)
				bus->cf8 = pci_get32(data) & 0x80fffffc;
			else
				pci_put32(data, bus->cf8);
			pthread_mutex_unlock(&bus->lock);
		} else if (off == 1 && len == 1 && is_write) {
			/* 0xCF9: reset control register. */
			if (bus->reset_fn)
				bus->reset_fn(bus->reset_opaque, data[0]);
		}
		return; /* other sizes at 0xCF8 are not config cycles; reads give 0 */
	}
	pthread_mutex_lock(&bus->lock);
	addr = bus->cf8;
	pthread_mutex_unlock(&bus->lock);
	if (len > 8 - off)
		len = (uint32_t)(8 - off);
	/* Enable bit clear or a bus other than 0: nothing answers. */
	if (!(addr & 0x80000000u) || ((addr >> 16) & 0xff) != 0) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pci_bus_config_access(bus, (addr >> 11) & 0x1f, (addr >> 8) & 7,
			      (addr & 0xfc) + (uint32_t)(off - 4), data, len, is_write);
}

static void pci_ecam_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_bus *bus = opaque;
	uint32_t reg = off & (PCI_ECAM_FN_SIZE - 1);

	/* The window covers bus 0 only. An access never spans two functions. */
	if (len > PCI_ECAM_FN_SIZE - reg)
		len = PCI_ECAM_FN_SIZE - reg;
	pci_bus_config_access(bus, (off >> 15) & 0x1f, (off >> 12) & 7, reg, data, len, is_write);
}

struct pci_bus *pci_bus_new(struct io_bus *pio, struct io_bus *mmio)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	int r;

	if (!bus)
		return NULL;
	bus->pio = pio;
	bus->mmio = mmio;
	bus->mmio_next = LAYOUT_PCI_MMIO_START;
	pthread_mutex_init(&bus->lock, NULL);
	pci_device_init(&bus->host, "host-bridge", 0x8086, 0x0d57, 0x060000, 0);
	bus->host.bus = bus;
	bus->host.slot = 0;
	bus->slots[0] = &bus->host;

	r = io_bus_register(pio, LAYOUT_PORT_PCI_CONFIG, PCI_CONFIG_PORT_LEN, pci_config_port_access,
			    bus);
	if (r == 0) {
		r = io_bus_register(mmio, LAYOUT_PCI_ECAM_START, LAYOUT_PCI_ECAM_SIZE,
				    pci_ecam_access, bus);
		if (r)
			io_bus_unregister(pio, LAYOUT_PORT_PCI_CONFIG);
	}
	if (r) {
		pthread_mutex_destroy(&bus->host.lock);
		pthread_mutex_destroy(&bus->lock);
		free(bus);
		errno = -r;
		return NULL;
	}
	return bus;
}

void pci_bus_free(struct pci_bus *bus)
{
	if (!bus)
		return;
	io_bus_unregister(bus->pio, LAYOUT_PORT_PCI_CONFIG);
	io_bus_unregister(bus->mmio, LAYOUT_PCI_ECAM_START);
	pthread_mutex_destroy(&bus->host.lock);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

void pci_bus_set_reset_handler(struct pci_bus *bus, void (*fn)(void *opaque, uint8_t value),
			       void *opaque)
{
	bus->reset_fn = fn;
	bus->reset_opaque = opaque;
}

int pci_bus_nr_devices(struct pci_bus *bus)
{
	int n = 0;

	pthread_mutex_lock(&bus->lock);
	for (int i = 0; i < PCI_MAX_SLOTS; i++)
		n += bus->slots[i] != NULL;
	pthread_mutex_unlock(&bus->lock);
	return n;
}

int pci_bus_add_device(struct pci_bus *bus, struct pci_device *dev, char *err, size_t errlen)
{
	const uint64_t end = LAYOUT_PCI_MMIO_START + LAYOUT_PCI_MMIO_SIZE;
	uint64_t next;
	int slot;

	pthread_mutex_lock(&bus->lock);
	for (slot = 1; slot < PCI_MAX_SLOTS && bus->slots[slot]; slot++)
		;
	if (slot == PCI_MAX_SLOTS) {
		pthread_mutex_unlock(&bus->lock);
		snprintf(err, errlen, "%s: no free PCI slot (at most %d devices)", dev->name,
			 PCI_MAX_SLOTS - 1);
		return -ENOSPC;
	}
	/* Pre-assign naturally aligned addresses, as firmware would, so a guest
	 * that keeps the BARs it finds works without reassigning. */
	next = bus->mmio_next;
	for (int i = 0; i < PCI_NR_BARS; i++) {
		uint32_t size = dev->bars[i].size;
		uint64_t addr = (next + size - 1) & ~(uint64_t)(size - 1);

		if (!size)
			continue;
		if (addr + size > end) {
			pthread_mutex_unlock(&bus->lock);
			snprintf(err, errlen, "%s: PCI MMIO window is full", dev->name);
			return -ENOSPC;
		}
		pci_put32(dev->cfg + PCI_BAR0 + 4 * i, (uint32_t)addr);
		next = addr + size;
	}
	bus->mmio_next = next;
	dev->bus = bus;
	dev->slot = slot;

	pthread_mutex_lock(&dev->lock);
	pci_put16(dev->cfg + PCI_COMMAND,
		  pci_get16(dev->cfg + PCI_COMMAND) | PCI_COMMAND_MEMORY);
	pci_update_bars_locked(dev);
	for (int i = 0; i < PCI_NR_BARS; i++) {
		if (dev->bars[i].size && !dev->bars[i].mapped) {
			pthread_mutex_unlock(&dev->lock);
			pthread_mutex_unlock(&bus->lock);
			snprintf(err, errlen, "%s: BAR%d at 0x%x overlaps another device",
				 dev->name, i, pci_get32(dev->cfg + PCI_BAR0 + 4 * i));
			pci_bus_remove_device(bus, dev);
			return -EEXIST;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	bus->slots[slot] = dev;
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

void pci_bus_remove_device(struct pci_bus *bus, struct pci_device *dev)
{
	pthread_mutex_lock(&bus->lock);
	if (dev->slot > 0 && dev->slot < PCI_MAX_SLOTS && bus->slots[dev->slot] == dev)
		bus->slots[dev->slot] = NULL;
	pthread_mutex_unlock(&bus->lock);
	pthread_mutex_lock(&dev->lock);
	for (int i = 0; i < PCI_NR_BARS; i++) {
		if (dev->bars[i].mapped)
			io_bus_unregister(bus->mmio, dev->bars[i].mapped_at);
		dev->bars[i].mapped = false;
	}
	pthread_mutex_unlock(&dev->lock);
	dev->slot = -1;
}
