/* virtio modern PCI transport. BAR0 holds the common configuration, ISR,
 * device configuration and notification regions; BAR1 the MSI-X table.
 * Lock order: vp->lock, then a queue lock, then the PCI device lock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_pci.h"

static void vp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void vp_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void vp_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t vp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t vp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t vp_get64(const uint8_t *p)
{
	return vp_get32(p) | (uint64_t)vp_get32(p + 4) << 32;
}

uint8_t virtio_pci_status(struct virtio_pci *vp)
{
	return __atomic_load_n(&vp->status, __ATOMIC_ACQUIRE);
}

bool virtio_pci_has_feature(struct virtio_pci *vp, unsigned int bit)
{
	return bit < 64 && (__atomic_load_n(&vp->driver_features, __ATOMIC_RELAXED) >> bit) & 1;
}

/* Raise `vector` (MSI-X) or, with MSI-X off, latch the ISR bit. INTx is
 * not wired: guests we target always enable MSI-X. */
static void virtio_pci_signal(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
	__atomic_fetch_or(&vp->isr, isr_bit, __ATOMIC_ACQ_REL);
	if (vector != VIRTIO_MSI_NO_VECTOR)
		pci_msix_notify(&vp->pci, vector);
}

void virtio_pci_queue_interrupt(struct virtio_pci *vp, uint16_t q)
{
	struct virtio_pci_queue *vpq = &vp->queues[q];

	if (!virtq_should_notify(&vpq->vq))
		return;
	virtio_pci_signal(vp, __atomic_load_n(&vpq->msix_vector, __ATOMIC_RELAXED),
			  VIRTIO_PCI_ISR_QUEUE);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	__atomic_fetch_add(&vp->config_generation, 1, __ATOMIC_ACQ_REL);
	virtio_pci_signal(vp, __atomic_load_n(&vp->msix_config, __ATOMIC_RELAXED),
			  VIRTIO_PCI_ISR_CONFIG);
}

void virtio_pci_set_needs_reset(struct virtio_pci *vp)
{
	uint8_t old = __atomic_fetch_or(&vp->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_ACQ_REL);

	/* Only tell a driver that is running, and only once. */
	if ((old & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_NEEDS_RESET))
		virtio_pci_config_changed(vp);
}

/* Device reset (status 0): forget negotiation and every queue. */
static void virtio_pci_reset_locked(struct virtio_pci *vp)
{
	for (uint16_t q = 0; q < vp->ops->nr_queues; q++) {
		struct virtio_pci_queue *vpq = &vp->queues[q];

		pthread_mutex_lock(&vpq->lock);
		virtq_reset(&vpq->vq, vp->ops->queue_max_size);
		__atomic_store_n(&vpq->msix_vector, VIRTIO_MSI_NO_VECTOR, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&vpq->lock);
	}
	__atomic_store_n(&vp->driver_features, 0, __ATOMIC_RELAXED);
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	__atomic_store_n(&vp->msix_config, VIRTIO_MSI_NO_VECTOR, __ATOMIC_RELAXED);
	__atomic_store_n(&vp->isr, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vp->status, 0, __ATOMIC_RELEASE);
	if (vp->ops->reset)
		vp->ops->reset(vp);
}

/* A vector the guest may use: one of ours, or NO_VECTOR for anything else
 * (the driver reads it back to learn that the assignment failed). */
static uint16_t virtio_pci_check_vector(struct virtio_pci *vp, uint16_t v)
{
	return v < vp->pci.msix.nr_vectors ? v : VIRTIO_MSI_NO_VECTOR;
}

static void virtio_pci_write_status(struct virtio_pci *vp, uint8_t val)
{
	uint8_t old = virtio_pci_status(vp), now;

	if (val == 0) {
		virtio_pci_reset_locked(vp);
		return;
	}
	now = val & ~VIRTIO_STATUS_NEEDS_RESET;
	if ((now & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t f = vp->driver_features;

		/* Refuse (leave FEATURES_OK clear, which the driver checks)
		 * features we did not offer, and legacy drivers. */
		if ((f & ~vp->device_features) || !(f & (1ULL << VIRTIO_F_VERSION_1)))
			now &= ~VIRTIO_STATUS_FEATURES_OK;
	}
	/* DRIVER_OK without negotiated features would run on garbage. */
	if (!(now & VIRTIO_STATUS_FEATURES_OK))
		now &= ~VIRTIO_STATUS_DRIVER_OK;
	/* Keep a NEEDS_RESET the device raised meanwhile. */
	__atomic_fetch_and(&vp->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_ACQ_REL);
	__atomic_fetch_or(&vp->status, now, __ATOMIC_ACQ_REL);
}

static void virtio_pci_common_image_locked(struct virtio_pci *vp, uint8_t *img)
{
	uint16_t qsel = vp->queue_select;

	memset(img, 0, VIRTIO_PCI_COMMON_SIZE);
	vp_put32(img + VIRTIO_PCI_COMMON_DFSELECT, vp->dfselect);
	if (vp->dfselect < 2)
		vp_put32(img + VIRTIO_PCI_COMMON_DF,
			 (uint32_t)(vp->device_features >> (32 * vp->dfselect)));
	vp_put32(img + VIRTIO_PCI_COMMON_GFSELECT, vp->gfselect);
	if (vp->gfselect < 2)
		vp_put32(img + VIRTIO_PCI_COMMON_GF,
			 (uint32_t)(vp->driver_features >> (32 * vp->gfselect)));
	vp_put16(img + VIRTIO_PCI_COMMON_MSIX, vp->msix_config);
	vp_put16(img + VIRTIO_PCI_COMMON_NUMQ, vp->ops->nr_queues);
	img[VIRTIO_PCI_COMMON_STATUS] = virtio_pci_status(vp);
	img[VIRTIO_PCI_COMMON_CFGGEN] = __atomic_load_n(&vp->config_generation, __ATOMIC_ACQUIRE);
	vp_put16(img + VIRTIO_PCI_COMMON_Q_SELECT, qsel);
	if (qsel < vp->ops->nr_queues) {
		struct virtio_pci_queue *vpq = &vp->queues[qsel];

		/* No queue lock: the fields read here change only with vp->lock
		 * held (queue writes, enable, reset), which we hold; taking the
		 * queue lock would make this read wait for a request a vCPU is
		 * serving on that queue (a whole disk I/O). */
		vp_put16(img + VIRTIO_PCI_COMMON_Q_SIZE, vpq->vq.size);
		vp_put16(img + VIRTIO_PCI_COMMON_Q_MSIX,
			 __atomic_load_n(&vpq->msix_vector, __ATOMIC_RELAXED));
		vp_put16(img + VIRTIO_PCI_COMMON_Q_ENABLE, vpq->vq.ready);
		vp_put16(img + VIRTIO_PCI_COMMON_Q_NOFF, qsel);
		vp_put64(img + VIRTIO_PCI_COMMON_Q_DESC, vpq->vq.desc_gpa);
		vp_put64(img + VIRTIO_PCI_COMMON_Q_AVAIL, vpq->vq.avail_gpa);
		vp_put64(img + VIRTIO_PCI_COMMON_Q_USED, vpq->vq.used_gpa);
	}
}

static void virtio_pci_queue_write_locked(struct virtio_pci *vp, uint32_t field, const uint8_t *img)
{
	struct virtio_pci_queue *vpq;
	struct virtq *vq;

	if (vp->queue_select >= vp->ops->nr_queues)
		return;
	vpq = &vp->queues[vp->queue_select];
	vq = &vpq->vq;
	pthread_mutex_lock(&vpq->lock);
	switch (field) {
	case VIRTIO_PCI_COMMON_Q_MSIX:
		__atomic_store_n(&vpq->msix_vector,
				 virtio_pci_check_vector(vp, vp_get16(img + field)),
				 __ATOMIC_RELAXED);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		/* Writing 0 is not allowed (virtio 1.1): queues stop by reset. */
		if (vp_get16(img + field) != 1 || vq->ready)
			break;
		vq->indirect = virtio_pci_has_feature(vp, VIRTIO_RING_F_INDIRECT_DESC);
		vq->event_idx = virtio_pci_has_feature(vp, VIRTIO_RING_F_EVENT_IDX);
		if (virtq_enable(vq)) {
			pthread_mutex_unlock(&vpq->lock);
			virtio_pci_set_needs_reset(vp);
			return;
		}
		break;
	default:
		/* Ring layout may change only while the queue is off. */
		if (vq->ready)
			break;
		if (field == VIRTIO_PCI_COMMON_Q_SIZE) {
			uint16_t size = vp_get16(img + field);

			/* Not larger than offered; enable checks the rest. */
			if (size <= vp->ops->queue_max_size)
				vq->size = size;
		} else if (field == VIRTIO_PCI_COMMON_Q_DESC) {
			vq->desc_gpa = vp_get64(img + field);
		} else if (field == VIRTIO_PCI_COMMON_Q_AVAIL) {
			vq->avail_gpa = vp_get64(img + field);
		} else if (field == VIRTIO_PCI_COMMON_Q_USED) {
			vq->used_gpa = vp_get64(img + field);
		}
		break;
	}
	pthread_mutex_unlock(&vpq->lock);
}

static void virtio_pci_common_access(struct virtio_pci *vp, uint32_t off, uint8_t *data,
				     uint32_t len, bool is_write)
{
	static const struct {
		uint8_t off, len;
	} fields[] = {
		{VIRTIO_PCI_COMMON_DFSELECT, 4}, {VIRTIO_PCI_COMMON_GFSELECT, 4},
		{VIRTIO_PCI_COMMON_GF, 4},       {VIRTIO_PCI_COMMON_MSIX, 2},
		{VIRTIO_PCI_COMMON_Q_SELECT, 2}, {VIRTIO_PCI_COMMON_Q_SIZE, 2},
		{VIRTIO_PCI_COMMON_Q_MSIX, 2},   {VIRTIO_PCI_COMMON_Q_DESC, 8},
		{VIRTIO_PCI_COMMON_Q_AVAIL, 8},  {VIRTIO_PCI_COMMON_Q_USED, 8},
		{VIRTIO_PCI_COMMON_Q_ENABLE, 2}, {VIRTIO_PCI_COMMON_STATUS, 1},
	};
	uint8_t img[VIRTIO_PCI_COMMON_SIZE];

	if (off >= VIRTIO_PCI_COMMON_SIZE)
		return; /* reads 0, writes ignored */
	if (len > VIRTIO_PCI_COMMON_SIZE - off)
		len = VIRTIO_PCI_COMMON_SIZE - off;
	pthread_mutex_lock(&vp->lock);
	virtio_pci_common_image_locked(vp, img);
	if (!is_write) {
		memcpy(data, img + off, len);
		pthread_mutex_unlock(&vp->lock);
		return;
	}
	/* Merge the written bytes into the current values, then act on every
	 * field they touch: any access size or alignment behaves sensibly,
	 * including 64-bit fields written as two 32-bit halves. Status comes
	 * last so a combined write configures before it resets or starts. */
	memcpy(img + off, data, len);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint32_t fo = fields[i].off, fl = fields[i].len;

		if (!(off < fo + fl && fo < off + len))
			continue;
		switch (fo) {
		case VIRTIO_PCI_COMMON_DFSELECT:
			vp->dfselect = vp_get32(img + fo);
			break;
		case VIRTIO_PCI_COMMON_GFSELECT:
			vp->gfselect = vp_get32(img + fo);
			break;
		case VIRTIO_PCI_COMMON_GF:
			/* Features are frozen once FEATURES_OK is set. */
			if (!(virtio_pci_status(vp) & VIRTIO_STATUS_FEATURES_OK) && vp->gfselect < 2) {
				uint64_t f = vp->driver_features;
				unsigned int shift = 32 * vp->gfselect;

				f &= ~(0xffffffffULL << shift);
				f |= (uint64_t)vp_get32(img + fo) << shift;
				__atomic_store_n(&vp->driver_features, f, __ATOMIC_RELAXED);
			}
			break;
		case VIRTIO_PCI_COMMON_MSIX:
			__atomic_store_n(&vp->msix_config,
					 virtio_pci_check_vector(vp, vp_get16(img + fo)),
					 __ATOMIC_RELAXED);
			break;
		case VIRTIO_PCI_COMMON_Q_SELECT:
			vp->queue_select = vp_get16(img + fo);
			break;
		case VIRTIO_PCI_COMMON_STATUS:
			virtio_pci_write_status(vp, img[fo]);
			break;
		default:
			virtio_pci_queue_write_locked(vp, fo, img);
			break;
		}
	}
	pthread_mutex_unlock(&vp->lock);
}

static void virtio_pci_notify(struct virtio_pci *vp, uint32_t off)
{
	uint32_t q = off / VIRTIO_PCI_NOTIFY_MULT;
	struct virtio_pci_queue *vpq;

	if (q >= vp->ops->nr_queues)
		return;
	vpq = &vp->queues[q];
	pthread_mutex_lock(&vpq->lock);
	/* Buffers are used only once the driver said DRIVER_OK, and never
	 * while the device waits for a reset. */
	if (vpq->vq.ready && (virtio_pci_status(vp) & (VIRTIO_STATUS_DRIVER_OK |
							VIRTIO_STATUS_NEEDS_RESET)) ==
				     VIRTIO_STATUS_DRIVER_OK)
		vp->ops->queue_notify(vp, (uint16_t)q, &vpq->vq);
	pthread_mutex_unlock(&vpq->lock);
}

static void virtio_pci_bar0_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
				   bool is_write)
{
	struct virtio_pci *vp = opaque;
	uint32_t region = (uint32_t)off & ~(VIRTIO_PCI_REGION_SIZE - 1);
	uint32_t roff = (uint32_t)off & (VIRTIO_PCI_REGION_SIZE - 1);

	if (off >= VIRTIO_PCI_BAR0_SIZE)
		return;
	/* An access never spills from one region into the next. */
	if (len > VIRTIO_PCI_REGION_SIZE - roff)
		len = VIRTIO_PCI_REGION_SIZE - roff;
	switch (region) {
	case VIRTIO_PCI_COMMON_OFF:
		virtio_pci_common_access(vp, roff, data, len, is_write);
		break;
	case VIRTIO_PCI_ISR_OFF:
		/* Reading the ISR acknowledges it. */
		if (!is_write && roff == 0)
			data[0] = __atomic_exchange_n(&vp->isr, 0, __ATOMIC_ACQ_REL);
		break;
	case VIRTIO_PCI_DEVCFG_OFF:
		if (roff >= vp->ops->config_size)
			break;
		if (len > vp->ops->config_size - roff)
			len = vp->ops->config_size - roff;
		if (!is_write)
			vp->ops->config_read(vp, roff, data, len);
		else if (vp->ops->config_write)
			vp->ops->config_write(vp, roff, data, len);
		break;
	case VIRTIO_PCI_NOTIFY_OFF:
		if (is_write)
			virtio_pci_notify(vp, roff);
		break;
	}
}

static int virtio_pci_add_cap(struct virtio_pci *vp, uint8_t type, uint32_t offset,
			      uint32_t length, bool notify)
{
	uint8_t cap[20] = {PCI_CAP_ID_VNDR, 0, notify ? 20 : 16, type, 0 /* BAR0 */};

	vp_put32(cap + 8, offset);
	vp_put32(cap + 12, length);
	if (notify)
		vp_put32(cap + 16, VIRTIO_PCI_NOTIFY_MULT);
	return pci_device_add_cap(&vp->pci, cap, NULL, cap[2]);
}

int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_ops *ops, uint64_t features,
		    void *opaque, struct pci_bus *bus, const struct guest_mem *mem,
		    struct irqchip *irq, char *err, size_t errlen)
{
	uint16_t nq = ops->nr_queues;
	int r;

	if (nq == 0 || nq > VIRTIO_PCI_MAX_QUEUES || ops->config_size > VIRTIO_PCI_REGION_SIZE ||
	    !ops->queue_max_size || ops->queue_max_size > VIRTQ_MAX_SIZE ||
	    (ops->queue_max_size & (ops->queue_max_size - 1))) {
		snprintf(err, errlen, "%s: invalid device description", ops->name);
		return -EINVAL;
	}
	pci_device_init(&vp->pci, ops->name, VIRTIO_PCI_VENDOR_ID,
			VIRTIO_PCI_DEVICE_BASE + ops->device_type, ops->class_code, 1);
	pci_device_set_subsystem(&vp->pci, VIRTIO_PCI_VENDOR_ID, ops->device_type);
	vp->ops = ops;
	vp->opaque = opaque;
	vp->mem = mem;
	vp->device_features = features | 1ULL << VIRTIO_F_VERSION_1 |
			      1ULL << VIRTIO_RING_F_INDIRECT_DESC | 1ULL << VIRTIO_RING_F_EVENT_IDX;
	vp->queues = calloc(nq, sizeof(*vp->queues));
	if (!vp->queues) {
		snprintf(err, errlen, "%s: out of memory", ops->name);
		return -ENOMEM;
	}
	pthread_mutex_init(&vp->lock, NULL);
	for (uint16_t q = 0; q < nq; q++) {
		pthread_mutex_init(&vp->queues[q].lock, NULL);
		virtq_init(&vp->queues[q].vq, mem);
	}
	pthread_mutex_lock(&vp->lock);
	virtio_pci_reset_locked(vp);
	pthread_mutex_unlock(&vp->lock);

	r = pci_device_add_bar(&vp->pci, 0, VIRTIO_PCI_BAR0_SIZE, virtio_pci_bar0_access, vp);
	if (!r)
		r = pci_device_add_bar(&vp->pci, VIRTIO_PCI_MSIX_BAR, VIRTIO_PCI_MSIX_BAR_SIZE, NULL,
				       NULL);
	if (!r)
		r = virtio_pci_add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
				       VIRTIO_PCI_COMMON_SIZE, false);
	if (r >= 0)
		r = virtio_pci_add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
				       nq * VIRTIO_PCI_NOTIFY_MULT, true);
	if (r >= 0)
		r = virtio_pci_add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1, false);
	if (r >= 0 && ops->config_size)
		r = virtio_pci_add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVCFG_OFF,
				       ops->config_size, false);
	if (r >= 0)
		r = pci_msix_init(&vp->pci, nq + 1, VIRTIO_PCI_MSIX_BAR, VIRTIO_PCI_MSIX_TABLE,
				  VIRTIO_PCI_MSIX_PBA, irq);
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot build PCI function: %s", ops->name, strerror(-r));
		goto fail;
	}
	r = pci_bus_add_device(bus, &vp->pci, err, errlen);
	if (r)
		goto fail;
	return 0;
fail:
	for (uint16_t q = 0; q < nq; q++)
		pthread_mutex_destroy(&vp->queues[q].lock);
	pthread_mutex_destroy(&vp->lock);
	free(vp->queues);
	vp->queues = NULL;
	return r;
}

void virtio_pci_exit(struct virtio_pci *vp)
{
	if (!vp->queues)
		return;
	if (vp->pci.bus)
		pci_bus_remove_device(vp->pci.bus, &vp->pci);
	for (uint16_t q = 0; q < vp->ops->nr_queues; q++)
		pthread_mutex_destroy(&vp->queues[q].lock);
	pthread_mutex_destroy(&vp->lock);
	pthread_mutex_destroy(&vp->pci.lock);
	free(vp->queues);
	vp->queues = NULL;
}
