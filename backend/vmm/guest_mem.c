/* Guest RAM: allocation and the bounds-checked translation from guest
 * physical addresses to host pointers. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "guest_mem.h"
#include "layout.h"

int guest_mem_alloc(struct guest_mem *mem, uint64_t size)
{
	uint64_t low = size < LAYOUT_LOWMEM_END ? size : LAYOUT_LOWMEM_END;
	void *p;

	memset(mem, 0, sizeof(*mem));
	if (size == 0)
		return -EINVAL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* Guest RAM is not worth dumping and should not be inherited by children. */
	madvise(p, size, MADV_DONTDUMP);
	madvise(p, size, MADV_DONTFORK);
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
