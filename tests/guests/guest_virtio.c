/* Minimal virtio 1.x modern PCI transport for the test guests: find the
 * device on bus 0, map its capabilities, negotiate, run split queues by
 * polling (the guests never enable interrupts). */
#include "guest.h"
#include "guest_virtio.h"

#define PCI_COMMAND	    0x04
#define PCI_COMMAND_MEMORY  0x2
#define PCI_COMMAND_MASTER  0x4
#define PCI_STATUS	    0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_BAR0	    0x10
#define PCI_CAP_PTR	    0x34
#define PCI_CAP_ID_VNDR	    0x09

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG	  3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* struct virtio_pci_common_cfg offsets */
#define COMMON_DFSELECT	 0
#define COMMON_DF	 4
#define COMMON_GFSELECT	 8
#define COMMON_GF	 12
#define COMMON_NUMQ	 18
#define COMMON_STATUS	 20
#define COMMON_CFGGEN	 21
#define COMMON_Q_SELECT	 22
#define COMMON_Q_SIZE	 24
#define COMMON_Q_MSIX	 26
#define COMMON_Q_ENABLE	 28
#define COMMON_Q_NOFF	 30
#define COMMON_Q_DESCLO	 32
#define COMMON_Q_DESCHI	 36
#define COMMON_Q_AVAILLO 40
#define COMMON_Q_AVAILHI 44
#define COMMON_Q_USEDLO	 48
#define COMMON_Q_USEDHI	 52

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER	   2
#define STATUS_DRIVER_OK   4
#define STATUS_FEATURES_OK 8
#define STATUS_FAILED	   0x80

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* How long to wait for the device before giving up: at least ~10^10 TSC
 * cycles (seconds on any host) and 2M polls (seconds on a software-nested
 * KVM, ~2 us each), well under the runner's timeout, so a lost request is
 * reported by the guest itself rather than by a killed VMM. */
#define VIRTIO_POLL_MIN_SPINS 2000000u
#define VIRTIO_POLL_MIN_TSC   10000000000ull

#define VIRTQ_MAX_QUEUES 2

/* One page per queue: descriptors at 0, avail ring at 256, used at 512. */
static uint8_t virtq_pages[VIRTQ_MAX_QUEUES][4096] __attribute__((aligned(4096)));

static inline void w8(volatile uint8_t *base, uint32_t off, uint8_t v)
{
	*(volatile uint8_t *)(base + off) = v;
}

static inline void w16(volatile uint8_t *base, uint32_t off, uint16_t v)
{
	*(volatile uint16_t *)(base + off) = v;
}

static inline void w32(volatile uint8_t *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

static inline uint8_t r8(volatile uint8_t *base, uint32_t off)
{
	return *(volatile uint8_t *)(base + off);
}

static inline uint16_t r16(volatile uint8_t *base, uint32_t off)
{
	return *(volatile uint16_t *)(base + off);
}

static inline uint32_t r32(volatile uint8_t *base, uint32_t off)
{
	return *(volatile uint32_t *)(base + off);
}

static int virtio_fail(struct virtio_dev *vd, const char *what)
{
	guest_printf("%s: error: %s\n", vd->tag, what);
	if (vd->common)
		w8(vd->common, COMMON_STATUS, r8(vd->common, COMMON_STATUS) | STATUS_FAILED);
	return -1;
}

/* Address of a capability's window, or NULL if its BAR is unusable. */
static volatile uint8_t *virtio_cap_window(struct virtio_dev *vd, uint8_t cap)
{
	uint8_t bar = pci_read8(vd->pci_dev, cap + 4);
	uint32_t offset = pci_read32(vd->pci_dev, cap + 8);
	uint32_t lo, hi = 0;

	if (bar > 5)
		return NULL;
	lo = pci_read32(vd->pci_dev, PCI_BAR0 + 4 * bar);
	if (lo & 1) /* I/O BAR: modern virtio uses memory BARs */
		return NULL;
	if (((lo >> 1) & 3) == 2 && bar < 5)
		hi = pci_read32(vd->pci_dev, PCI_BAR0 + 4 * (bar + 1));
	lo &= ~0xfu;
	/* Paging is off: only a BAR below 4 GiB is reachable. */
	if (hi || !lo || (uint64_t)lo + offset > 0xffffffffull)
		return NULL;
	return (volatile uint8_t *)(uintptr_t)(lo + offset);
}

int virtio_pci_open(struct virtio_dev *vd, uint16_t device_id, const char *tag)
{
	uint8_t cap;
	int guard = 0;

	memset(vd, 0, sizeof(*vd));
	vd->tag = tag;
	vd->pci_dev = pci_find(VIRTIO_PCI_VENDOR, device_id);
	if (vd->pci_dev == PCI_NO_DEVICE)
		return virtio_fail(vd, "no virtio PCI device found on bus 0");
	guest_printf("%s: pci 00:%02x.0 id %04x:%04x\n", tag, vd->pci_dev, VIRTIO_PCI_VENDOR,
		     device_id);

	pci_write16(vd->pci_dev, PCI_COMMAND,
		    pci_read16(vd->pci_dev, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (!(pci_read16(vd->pci_dev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return virtio_fail(vd, "no capability list");

	/* 48 caps at most fit in config space; the guard stops a looping list. */
	for (cap = pci_read8(vd->pci_dev, PCI_CAP_PTR) & 0xfc; cap && guard < 48;
	     cap = pci_read8(vd->pci_dev, cap + 1) & 0xfc, guard++) {
		uint8_t type;
		volatile uint8_t *win;

		if (cap < 0x40)
			return virtio_fail(vd, "capability pointer into the header");
		if (pci_read8(vd->pci_dev, cap) != PCI_CAP_ID_VNDR)
			continue;
		type = pci_read8(vd->pci_dev, cap + 3);
		win = virtio_cap_window(vd, cap);
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			if (!vd->common)
				vd->common = win;
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			if (!vd->notify) {
				vd->notify = win;
				vd->notify_mult = pci_read32(vd->pci_dev, cap + 16);
			}
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			if (!vd->isr)
				vd->isr = win;
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			if (!vd->device)
				vd->device = win;
			break;
		}
	}
	if (!vd->common || !vd->notify || !vd->isr)
		return virtio_fail(vd, "common/notify/ISR capability missing or BAR unassigned");
	return 0;
}

int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
	uint64_t lo, hi;
	int i;

	/* Reset and wait for the device to acknowledge it. */
	w8(vd->common, COMMON_STATUS, 0);
	for (i = 0; i < 100000 && r8(vd->common, COMMON_STATUS); i++)
		cpu_relax();
	if (r8(vd->common, COMMON_STATUS))
		return virtio_fail(vd, "device does not reset");
	w8(vd->common, COMMON_STATUS, STATUS_ACKNOWLEDGE);
	w8(vd->common, COMMON_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);

	w32(vd->common, COMMON_DFSELECT, 0);
	lo = r32(vd->common, COMMON_DF);
	w32(vd->common, COMMON_DFSELECT, 1);
	hi = r32(vd->common, COMMON_DF);
	vd->device_features = hi << 32 | lo;
	guest_printf("%s: device features 0x%llx\n", vd->tag,
		     (unsigned long long)vd->device_features);
	if (!(vd->device_features & VIRTIO_F_VERSION_1))
		return virtio_fail(vd, "device does not offer VIRTIO_F_VERSION_1");

	vd->features = VIRTIO_F_VERSION_1 | (wanted & vd->device_features);
	w32(vd->common, COMMON_GFSELECT, 0);
	w32(vd->common, COMMON_GF, (uint32_t)vd->features);
	w32(vd->common, COMMON_GFSELECT, 1);
	w32(vd->common, COMMON_GF, (uint32_t)(vd->features >> 32));
	w8(vd->common, COMMON_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
	if (!(r8(vd->common, COMMON_STATUS) & STATUS_FEATURES_OK))
		return virtio_fail(vd, "device refused our features (FEATURES_OK cleared)");
	return 0;
}

int virtio_queue_setup(struct virtio_dev *vd, uint16_t index, struct virtq *vq)
{
	uint16_t max, size;
	uint8_t *page;

	if (index >= VIRTQ_MAX_QUEUES)
		return virtio_fail(vd, "queue index beyond the guest's pool");
	if (index >= r16(vd->common, COMMON_NUMQ))
		return virtio_fail(vd, "device has too few queues");
	w16(vd->common, COMMON_Q_SELECT, index);
	max = r16(vd->common, COMMON_Q_SIZE);
	if (!max)
		return virtio_fail(vd, "queue not available (size 0)");
	/* Split rings want a power of two; use the largest one that fits. */
	for (size = VIRTQ_MAX_SIZE; size > max; size >>= 1)
		;
	w16(vd->common, COMMON_Q_SIZE, size);
	if (r16(vd->common, COMMON_Q_SIZE) != size)
		return virtio_fail(vd, "device did not accept our queue size");

	page = virtq_pages[index];
	memset(page, 0, 4096);
	vq->index = index;
	vq->size = size;
	vq->last_used = 0;
	vq->desc = (volatile struct virtq_desc *)page;
	vq->avail = (volatile struct virtq_avail *)(page + 256);
	vq->used = (volatile struct virtq_used *)(page + 512);
	vq->notify_off = r16(vd->common, COMMON_Q_NOFF);

	w16(vd->common, COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
	w32(vd->common, COMMON_Q_DESCLO, (uint32_t)(uintptr_t)vq->desc);
	w32(vd->common, COMMON_Q_DESCHI, 0);
	w32(vd->common, COMMON_Q_AVAILLO, (uint32_t)(uintptr_t)vq->avail);
	w32(vd->common, COMMON_Q_AVAILHI, 0);
	w32(vd->common, COMMON_Q_USEDLO, (uint32_t)(uintptr_t)vq->used);
	w32(vd->common, COMMON_Q_USEDHI, 0);
	w16(vd->common, COMMON_Q_ENABLE, 1);
	if (r16(vd->common, COMMON_Q_ENABLE) != 1)
		return virtio_fail(vd, "queue_enable did not stick");
	return 0;
}

int virtio_driver_ok(struct virtio_dev *vd)
{
	w8(vd->common, COMMON_STATUS,
	   STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
	if (r8(vd->common, COMMON_STATUS) & STATUS_FAILED)
		return virtio_fail(vd, "device reports FAILED after DRIVER_OK");
	return 0;
}

int virtq_transfer(struct virtio_dev *vd, struct virtq *vq, const struct virtq_buf *bufs, int n,
		   uint32_t *used_len)
{
	uint16_t head = 0, avail_idx;
	uint32_t spins;
	uint64_t start;
	volatile struct virtq_used_elem *elem;

	if (n < 1 || n > vq->size)
		return virtio_fail(vd, "bad descriptor chain length");
	/* One request at a time, so the chain always starts at descriptor 0. */
	for (int i = 0; i < n; i++) {
		vq->desc[i].addr = (uint64_t)(uintptr_t)bufs[i].addr;
		vq->desc[i].len = bufs[i].len;
		vq->desc[i].flags = (uint16_t)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
					       (bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0));
		vq->desc[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
	}
	avail_idx = vq->avail->idx;
	vq->avail->ring[avail_idx % vq->size] = head;
	mb(); /* descriptors and ring entry before the index */
	vq->avail->idx = (uint16_t)(avail_idx + 1);
	mb(); /* index before the notification */
	w16(vd->notify, (uint32_t)vq->notify_off * vd->notify_mult, vq->index);

	start = rdtsc();
	for (spins = 0; vq->used->idx == vq->last_used; spins++) {
		if (spins >= VIRTIO_POLL_MIN_SPINS && rdtsc() - start >= VIRTIO_POLL_MIN_TSC)
			return virtio_fail(vd, "timeout waiting for the used ring");
		cpu_relax();
	}
	mb(); /* used index before the element it publishes */
	elem = &vq->used->ring[vq->last_used % vq->size];
	if (elem->id != head)
		return virtio_fail(vd, "used ring returned a descriptor we did not post");
	if (used_len)
		*used_len = elem->len;
	vq->last_used++;
	return 0;
}

void virtq_kick(struct virtio_dev *vd, struct virtq *vq)
{
	mb(); /* ring updates before the notification */
	w16(vd->notify, (uint32_t)vq->notify_off * vd->notify_mult, vq->index);
}

uint8_t virtio_status(struct virtio_dev *vd)
{
	return r8(vd->common, COMMON_STATUS);
}

uint8_t virtio_cfg_read8(struct virtio_dev *vd, uint32_t off)
{
	return r8(vd->device, off);
}

uint32_t virtio_cfg_read32(struct virtio_dev *vd, uint32_t off)
{
	return r32(vd->device, off);
}

uint64_t virtio_cfg_read64(struct virtio_dev *vd, uint32_t off)
{
	uint8_t gen;
	uint64_t v;

	do {
		gen = r8(vd->common, COMMON_CFGGEN);
		v = r32(vd->device, off) | (uint64_t)r32(vd->device, off + 4) << 32;
	} while (gen != r8(vd->common, COMMON_CFGGEN));
	return v;
}
