/* virtio-rng: each writable buffer the guest queues is filled from the
 * host kernel's CSPRNG (getrandom), on the notifying vCPU thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "virtio_pci.h"
#include "virtio_rng.h"

struct virtio_rng {
	struct virtio_pci vp;
	uint64_t bytes;            /* atomic */
	struct virtq_chain chain;  /* scratch, under the queue lock */
};

/* Fill up to `len` bytes of the chain's writable half; returns bytes filled. */
static size_t virtio_rng_fill(struct virtio_rng *rng, size_t len)
{
	size_t done = 0;

	for (unsigned int i = rng->chain.nr_out; i < rng->chain.nr_out + rng->chain.nr_in; i++) {
		uint8_t *p = rng->chain.iov[i].iov_base;
		size_t l = rng->chain.iov[i].iov_len, got = 0;

		if (l > len - done)
			l = len - done;
		while (got < l) {
			ssize_t n = getrandom(p + got, l - got, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return done + got;
			got += (size_t)n;
		}
		done += got;
		if (done == len)
			break;
	}
	return done;
}

static void virtio_rng_queue_notify(struct virtio_pci *vp, uint16_t q, struct virtq *vq)
{
	struct virtio_rng *rng = vp->opaque;
	int r;

	while ((r = virtq_pop(vq, &rng->chain)) > 0) {
		size_t want = rng->chain.in_len < VIRTIO_RNG_MAX_PER_REQUEST
				      ? rng->chain.in_len
				      : VIRTIO_RNG_MAX_PER_REQUEST;
		size_t n = virtio_rng_fill(rng, want);

		__atomic_add_fetch(&rng->bytes, n, __ATOMIC_RELAXED);
		virtq_push(vq, rng->chain.head, (uint32_t)n);
	}
	if (r < 0)
		virtio_pci_set_needs_reset(vp);
	virtio_pci_queue_interrupt(vp, q);
}

static const struct virtio_pci_ops virtio_rng_ops = {
	.name = "virtio-rng",
	.device_type = VIRTIO_ID_ENTROPY,
	.class_code = 0xff0000, /* unclassified device */
	.nr_queues = 1,
	.queue_max_size = 64,
	.config_size = 0,
	.queue_notify = virtio_rng_queue_notify,
};

struct virtio_rng *virtio_rng_new(struct pci_bus *bus, struct guest_mem *mem, struct irqchip *irq,
				  char *err, size_t errlen)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng) {
		snprintf(err, errlen, "virtio-rng: out of memory");
		return NULL;
	}
	if (virtio_pci_init(&rng->vp, &virtio_rng_ops, 0, rng, bus, mem, irq, err, errlen)) {
		free(rng);
		return NULL;
	}
	return rng;
}

uint64_t virtio_rng_bytes(struct virtio_rng *rng)
{
	return __atomic_load_n(&rng->bytes, __ATOMIC_RELAXED);
}

void virtio_rng_free(struct virtio_rng *rng)
{
	if (!rng)
		return;
	virtio_pci_exit(&rng->vp);
	free(rng);
}
