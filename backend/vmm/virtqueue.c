/* Split virtqueue device side. Descriptors are copied out of guest memory
 * once before use, so a guest rewriting them concurrently cannot make us
 * act on a value we did not check. */
#include <errno.h>
#include <string.h>

#include "virtqueue.h"

/* Ring layouts (virtio 1.1, 2.6): offsets inside each area. */
#define AVAIL_FLAGS  0
#define AVAIL_IDX    2
#define AVAIL_RING   4
#define USED_FLAGS   0
#define USED_IDX     2
#define USED_RING    4
#define USED_ELEM_SIZE 8
#define DESC_SIZE    16

/* The rings are shared with other CPUs running the guest: single loads and
 * stores, ordered with explicit fences where the spec requires it. The
 * host is x86_64, so virtio's little-endian is the native order. */
static uint16_t virtq_load16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
}

static void virtq_store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELAXED);
}

static void virtq_store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, v, __ATOMIC_RELAXED);
}

void virtq_init(struct virtq *vq, const struct guest_mem *mem)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
}

void virtq_reset(struct virtq *vq, uint16_t size)
{
	const struct guest_mem *mem = vq->mem;

	virtq_init(vq, mem);
	vq->size = size;
}

int virtq_enable(struct virtq *vq)
{
	uint32_t n = vq->size;

	vq->ready = false;
	if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	if (vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4)
		return -EINVAL;
	/* avail and used rings include the trailing event index field. */
	vq->desc = guest_mem_ptr(vq->mem, vq->desc_gpa, (uint64_t)DESC_SIZE * n);
	vq->avail = guest_mem_ptr(vq->mem, vq->avail_gpa, AVAIL_RING + 2ULL * n + 2);
	vq->used = guest_mem_ptr(vq->mem, vq->used_gpa, USED_RING + (uint64_t)USED_ELEM_SIZE * n + 2);
	if (!vq->desc || !vq->avail || !vq->used)
		return -EFAULT;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->broken = false;
	vq->ready = true;
	return 0;
}

static void virtq_desc_copy(struct virtq_desc *d, const uint8_t *p)
{
	memcpy(&d->addr, p, 8);
	memcpy(&d->len, p + 8, 4);
	memcpy(&d->flags, p + 12, 2);
	memcpy(&d->next, p + 14, 2);
}

/* Follow the chain starting at `head`; 0 or -EINVAL/-EFAULT/-E2BIG. */
static int virtq_walk(struct virtq *vq, uint16_t head, struct virtq_chain *chain)
{
	const uint8_t *table = vq->desc;
	uint32_t table_len = vq->size, idx = head, walked = 0;
	bool in_indirect = false;

	chain->head = head;
	chain->nr_out = chain->nr_in = 0;
	chain->out_len = chain->in_len = 0;
	if (head >= vq->size)
		return -EINVAL;
	for (;;) {
		struct virtq_desc d;
		unsigned int n = chain->nr_out + chain->nr_in;
		void *host;

		/* Each table may be walked at most once per entry: any longer
		 * chain loops. */
		if (++walked > table_len)
			return -ELOOP;
		virtq_desc_copy(&d, table + (size_t)idx * DESC_SIZE);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* Only as the first and only descriptor of a chain,
			 * never inside another table, never with NEXT. */
			if (!vq->indirect || in_indirect || n || (d.flags & VIRTQ_DESC_F_NEXT))
				return -EINVAL;
			if (d.len == 0 || d.len % DESC_SIZE)
				return -EINVAL;
			table = guest_mem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return -EFAULT;
			table_len = d.len / DESC_SIZE;
			in_indirect = true;
			idx = 0;
			walked = 0;
			continue;
		}
		if (d.len == 0)
			return -EINVAL;
		if (n >= VIRTQ_MAX_CHAIN)
			return -E2BIG;
		host = guest_mem_ptr(vq->mem, d.addr, d.len);
		if (!host)
			return -EFAULT;
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			chain->iov[n] = (struct iovec){host, d.len};
			chain->nr_in++;
			chain->in_len += d.len;
		} else {
			/* Readable buffers must all come before writable ones. */
			if (chain->nr_in)
				return -EINVAL;
			chain->iov[n] = (struct iovec){host, d.len};
			chain->nr_out++;
			chain->out_len += d.len;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
		if (idx >= table_len)
			return -EINVAL;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	uint16_t avail_idx, head;
	int r;

	if (!vq->ready)
		return 0;
	if (vq->broken)
		return -EIO;
	avail_idx = virtq_load16(vq->avail + AVAIL_IDX);
	if (avail_idx == vq->last_avail) {
		if (!vq->event_idx)
			return 0;
		/* Ask to be notified for the next buffer, then look again in
		 * case the guest added one before it could see our request. */
		virtq_store16(vq->used + USED_RING + (size_t)USED_ELEM_SIZE * vq->size,
			      vq->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = virtq_load16(vq->avail + AVAIL_IDX);
		if (avail_idx == vq->last_avail)
			return 0;
	}
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size) {
		vq->broken = true;
		return -EINVAL;
	}
	/* Read the ring entry and descriptors only after seeing the index. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = virtq_load16(vq->avail + AVAIL_RING + 2 * (size_t)(vq->last_avail % vq->size));
	vq->last_avail++;
	r = virtq_walk(vq, head, chain);
	if (r) {
		vq->broken = true;
		return r;
	}
	return 1;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	uint8_t *elem;

	if (!vq->ready || vq->broken)
		return -EIO;
	if (head >= vq->size)
		return -EINVAL;
	elem = vq->used + USED_RING + (size_t)USED_ELEM_SIZE * (vq->used_idx % vq->size);
	virtq_store32(elem, head);
	virtq_store32(elem + 4, len);
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->used_idx++;
	virtq_store16(vq->used + USED_IDX, vq->used_idx);
	return 0;
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old, cur, event;
	bool valid;

	if (!vq->ready)
		return false;
	/* Our used->idx store must be ordered before reading the guest's
	 * suppression fields, or both sides may decide not to act. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(virtq_load16(vq->avail + AVAIL_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	cur = vq->used_idx;
	valid = vq->signalled_valid;
	vq->signalled_used = cur;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = virtq_load16(vq->avail + AVAIL_RING + 2 * (size_t)vq->size);
	/* Interrupt if used_event lies in (old, cur]: 16-bit wrapping compare. */
	return (uint16_t)(cur - event - 1) < (uint16_t)(cur - old);
}

unsigned int virtq_chain_slice(const struct virtq_chain *chain, bool writable, size_t skip,
			       size_t len, struct iovec *out, unsigned int max, size_t *got)
{
	unsigned int first = writable ? chain->nr_out : 0;
	unsigned int end = writable ? chain->nr_out + chain->nr_in : chain->nr_out;
	unsigned int n = 0;
	size_t covered = 0;

	for (unsigned int i = first; i < end && covered < len && n < max; i++) {
		size_t l = chain->iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len - covered)
			l = len - covered;
		out[n++] = (struct iovec){(uint8_t *)chain->iov[i].iov_base + skip, l};
		covered += l;
		skip = 0;
	}
	if (got)
		*got = covered;
	return n;
}

/* Copy between a flat buffer and one half of a chain, from byte `skip`. */
static size_t virtq_chain_copy(const struct virtq_chain *chain, bool writable, size_t skip,
			       uint8_t *buf, size_t len)
{
	unsigned int first = writable ? chain->nr_out : 0;
	unsigned int end = writable ? chain->nr_out + chain->nr_in : chain->nr_out;
	size_t done = 0;

	for (unsigned int i = first; i < end && done < len; i++) {
		uint8_t *base = chain->iov[i].iov_base;
		size_t l = chain->iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len - done)
			l = len - done;
		if (writable)
			memcpy(base + skip, buf + done, l);
		else
			memcpy(buf + done, base + skip, l);
		done += l;
		skip = 0;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *chain, size_t skip, void *dst, size_t len)
{
	return virtq_chain_copy(chain, false, skip, dst, len);
}

size_t virtq_chain_write(const struct virtq_chain *chain, size_t skip, const void *src,
			 size_t len)
{
	/* The cast is safe: with writable=true the buffer is only read. */
	return virtq_chain_copy(chain, true, skip, (uint8_t *)(uintptr_t)src, len);
}
