/* Split virtqueues (virtio 1.x): the device side of the rings the guest
 * fills. Every index, address and length read here is guest-controlled. */
#ifndef VIRTTY_VMM_VIRTQUEUE_H
#define VIRTTY_VMM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest_mem.h"

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX     29

#define VIRTQ_MAX_SIZE 32768 /* largest split queue the spec allows */
/* Most descriptors one chain may have (after following an indirect table).
 * Devices advertise fewer (virtio-blk seg_max). */
#define VIRTQ_MAX_CHAIN 1024

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* One request: device-readable buffers first (iov[0..nr_out)), then
 * device-writable ones (iov[nr_out..nr_out+nr_in)). Host pointers are
 * inside guest RAM and valid for the lengths given. */
struct virtq_chain {
	uint16_t head;
	unsigned int nr_out, nr_in;
	size_t out_len, in_len;
	struct iovec iov[VIRTQ_MAX_CHAIN];
};

struct virtq {
	const struct guest_mem *mem;
	/* Programmed by the transport. */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool ready;
	bool indirect;   /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool event_idx;  /* VIRTIO_RING_F_EVENT_IDX negotiated */
	/* Device state. */
	uint16_t last_avail;  /* next avail ring entry to consume */
	uint16_t used_idx;    /* our copy of used->idx */
	uint16_t signalled_used; /* used->idx at the last interrupt (event idx) */
	bool signalled_valid;
	bool broken;          /* guest broke the ring rules: stop until reset */
	/* Host views of the rings, checked once when the queue is enabled. */
	uint8_t *desc, *avail, *used;
};

void virtq_init(struct virtq *vq, const struct guest_mem *mem);
/* Back to the power-on state (queue size left as given). */
void virtq_reset(struct virtq *vq, uint16_t size);
/* Validate the ring addresses and start using the queue: 0, or -EINVAL
 * (size not a power of two, misaligned) / -EFAULT (rings not in RAM). */
int virtq_enable(struct virtq *vq);

/* Take the next available chain. Returns 1 and fills `chain`, 0 if the
 * ring is empty, or a negative errno if the guest broke the rules (bad
 * index, address, length, loop, nesting...): the queue is then marked
 * broken and stays so until reset; the device should ask for a reset. */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);
/* Return a chain to the guest with `len` bytes written into it. */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* After pushes: should the guest be interrupted (honours NO_INTERRUPT
 * and, with EVENT_IDX, used_event)? Updates the suppression state. */
bool virtq_should_notify(struct virtq *vq);

/* Copy helpers over the two halves of a chain, from byte `skip` on.
 * Return the number of bytes copied. */
size_t virtq_chain_read(const struct virtq_chain *chain, size_t skip, void *dst, size_t len);
size_t virtq_chain_write(const struct virtq_chain *chain, size_t skip, const void *src,
			 size_t len);
/* Build an iovec array for `len` bytes of the readable (out) or writable
 * (in) half, starting at byte `skip`. Returns the number of entries used
 * (at most `max`); *got is set to the bytes covered. */
unsigned int virtq_chain_slice(const struct virtq_chain *chain, bool writable, size_t skip,
			       size_t len, struct iovec *out, unsigned int max, size_t *got);

#endif
