/* Guest RAM: allocation and the bounds-checked translation from guest
 * physical addresses to host pointers. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "guest_mem.h"
#include "layout.h"

/* Huge page size on x86_64; guest RAM starts on such a boundary. */
#define GUEST_MEM_HUGE_ALIGN (2ULL << 20)

/* An anonymous mapping of size bytes that starts on a 2 MiB boundary, so
 * guest physical 2 MiB frames line up with host huge pages: map 2 MiB more
 * than needed and give back the unaligned head and the rest of the tail. */
static void *guest_mem_map_aligned(uint64_t size)
{
	uint64_t total = size + GUEST_MEM_HUGE_ALIGN, head;
	uint8_t *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return MAP_FAILED;
	head = (GUEST_MEM_HUGE_ALIGN - ((uintptr_t)p & (GUEST_MEM_HUGE_ALIGN - 1))) &
	       (GUEST_MEM_HUGE_ALIGN - 1);
	if (head)
		munmap(p, head);
	if (total - head - size)
		munmap(p + head + size, total - head - size);
	return p + head;
}

int guest_mem_alloc(struct guest_mem *mem, uint64_t size)
{
	uint64_t low = size < LAYOUT_LOWMEM_END ? size : LAYOUT_LOWMEM_END;
	void *p;

	memset(mem, 0, sizeof(*mem));
	if (size == 0)
		return -EINVAL;
	if (size > UINT64_MAX - GUEST_MEM_HUGE_ALIGN)
		return -EINVAL;
	p = guest_mem_map_aligned(size);
	if (p == MAP_FAILED)
		return -errno;
	/* Guest RAM is not worth dumping and should not be inherited by children. */
	madvise(p, size, MADV_DONTDUMP);
	madvise(p, size, MADV_DONTFORK);
	/* Ask for transparent huge pages (where THP is "madvise" only). KVM
	 * maps a guest 2 MiB frame with one large page only when the host
	 * backs it with one at the same offset: 512 times fewer nested page
	 * faults while a booting kernel first touches its memory, and fewer
	 * TLB misses. Advice only: without THP we get small pages as before. */
	madvise(p, size, MADV_HUGEPAGE);
	mem->mapping = p;
	mem->mapping_size = size;
	mem->total = size;
	mem->regions[0] = (struct guest_mem_region){ .gpa = 0, .size = low, .host = p };
	mem->nr_regions = 1;
	if (size > low) {
		mem->regions[1] = (struct guest_mem_region){
			.gpa = LAYOUT_HIGHMEM_START, .size = size - low, .host = (uint8_t *)p + low};
		mem->nr_regions = 2;
	}
	return 0;
}

void guest_mem_free(struct guest_mem *mem)
{
	if (mem->mapping)
		munmap(mem->mapping, mem->mapping_size);
	memset(mem, 0, sizeof(*mem));
}

void guest_mem_init_flat(struct guest_mem *mem, void *buf, uint64_t size)
{
	memset(mem, 0, sizeof(*mem));
	mem->regions[0] = (struct guest_mem_region){ .gpa = 0, .size = size, .host = buf };
	mem->nr_regions = 1;
	mem->total = size;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		return NULL;
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		/* Written so that no sum can overflow: gpa >= r->gpa first. */
		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len)
{
	void *p = guest_mem_ptr(mem, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = guest_mem_ptr(mem, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

bool guest_mem_is_ram(const struct guest_mem *mem, uint64_t gpa)
{
	return guest_mem_ptr(mem, gpa, 1) != NULL;
}
