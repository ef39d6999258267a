/* Guest physical memory: the one place where guest-controlled addresses
 * and lengths are checked before the host touches them. */
#ifndef VIRTTY_VMM_GUEST_MEM_H
#define VIRTTY_VMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 2

struct guest_mem_region {
	uint64_t gpa;   /* guest physical start */
	uint64_t size;  /* bytes */
	uint8_t *host;  /* host mapping of gpa */
};

struct guest_mem {
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	int nr_regions;
	uint64_t total;  /* bytes of RAM, all regions */
	void *mapping;   /* the single host mapping behind every region (for munmap) */
	size_t mapping_size;
};

/* Map `size` bytes of anonymous RAM laid out as in layout.h (low RAM,
 * then high RAM from 4 GiB). Returns 0 or -errno. */
int guest_mem_alloc(struct guest_mem *mem, uint64_t size);
void guest_mem_free(struct guest_mem *mem);

/* Describe an existing host buffer as guest RAM at gpa 0 (unit tests,
 * fuzzers). The buffer stays owned by the caller. */
void guest_mem_init_flat(struct guest_mem *mem, void *buf, uint64_t size);

/* Host pointer for [gpa, gpa+len) or NULL if any byte of the range is not
 * RAM or the range crosses a region boundary, or len is 0 or overflows.
 * Every access to guest-controlled addresses goes through here. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy helpers built on guest_mem_ptr: 0 on success, -EFAULT otherwise. */
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len);
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len);

/* Is gpa RAM (true) or a hole/MMIO (false)? */
bool guest_mem_is_ram(const struct guest_mem *mem, uint64_t gpa);

#endif
