/* libFuzzer target: the Linux boot loader (boot.c) fed a hostile kernel
 * image (bzImage or ELF vmlinux), initrd and command line. The input is a
 * kernel file, or a small header that splits it into the three parts; see
 * tests/fuzz/README.md. Loading may fail; it must never crash, and what it
 * reports on success must hold in guest memory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot.h"
#include "bootparam.h"
#include "guest_mem.h"
#include "layout.h"

#define FUZZ_MIB      (1ULL << 20)
#define FUZZ_RAM_MAX  (64 * FUZZ_MIB)
#define FUZZ_HIGH_RAM FUZZ_MIB /* optional RAM region at 4 GiB */

/* Optional header in front of the kernel: "VTFB", flags, RAM size, lengths. */
#define FUZZ_MAGIC	   "VTFB"
#define FUZZ_F_INITRD	   0x01 /* an initrd file (may be empty) */
#define FUZZ_F_CMDLINE	   0x02 /* a command line (else NULL) */
#define FUZZ_F_FB	   0x04 /* describe a framebuffer */
#define FUZZ_F_HIGHMEM	   0x08 /* add a RAM region at 4 GiB */
#define FUZZ_F_RSDP	   0x10 /* pass an RSDP address */

struct fuzz_hdr {
	char magic[4];
	uint8_t flags;
	uint8_t ram; /* low RAM = (ram + 1) * 256 KiB */
	uint16_t cmdline_len;
	uint32_t initrd_len;
} __attribute__((packed));

static int kernel_fd = -1, initrd_fd = -1;
static char kernel_path[64], initrd_path[64];
static uint8_t *ram;
static bool verbose;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Files in memory: boot.c opens paths, /proc/self/fd/N is one. */
	kernel_fd = memfd_create("fuzz-kernel", 0);
	initrd_fd = memfd_create("fuzz-initrd", 0);
	ram = malloc(FUZZ_RAM_MAX + FUZZ_HIGH_RAM);
	if (kernel_fd < 0 || initrd_fd < 0 || !ram)
		abort();
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	snprintf(kernel_path, sizeof(kernel_path), "/proc/self/fd/%d", kernel_fd);
	snprintf(initrd_path, sizeof(initrd_path), "/proc/self/fd/%d", initrd_fd);
	return 0;
}

static void fill_file(int fd, const uint8_t *p, size_t n)
{
	if (ftruncate(fd, 0) || (n && pwrite(fd, p, n, 0) != (ssize_t)n))
		abort();
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_boot: broken promise: %s\n", what);
		abort();
	}
}

/* What boot_load() reports must be true of guest memory. */
static void check_loaded(const struct guest_mem *mem, const struct boot_entry *e,
			 const char *cmdline, const uint8_t *initrd, size_t initrd_len)
{
	size_t clen = cmdline ? strlen(cmdline) : 0;
	const char *gcmd;

	check(e->mode == BOOT_MODE_LINUX64 || e->mode == BOOT_MODE_PVH, "mode");
	check(e->kernel_end > e->kernel_start &&
		  guest_mem_ptr(mem, e->kernel_start, e->kernel_end - e->kernel_start),
	      "kernel inside RAM");
	check(e->kernel_start >= LAYOUT_HIMEM_START, "kernel above 1 MiB");
	if (e->mode == BOOT_MODE_PVH)
		check(e->entry >= e->kernel_start && e->entry < e->kernel_end, "PVH entry in kernel");
	check(guest_mem_ptr(mem, e->params, 64) != NULL, "boot parameters inside RAM");
	gcmd = guest_mem_ptr(mem, LAYOUT_CMDLINE_ADDR, clen + 1);
	check(gcmd && !memcmp(gcmd, cmdline ? cmdline : "", clen + 1), "command line copied");
	if (initrd) {
		const uint8_t *g = guest_mem_ptr(mem, e->initrd_addr, e->initrd_size);

		check(e->initrd_size == initrd_len && g && !memcmp(g, initrd, initrd_len),
		      "initrd copied");
		check(e->initrd_addr >= e->kernel_end ||
			  e->initrd_addr + e->initrd_size <= e->kernel_start,
		      "initrd clear of the kernel");
	} else {
		check(e->initrd_addr == 0 && e->initrd_size == 0, "no initrd");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_config cfg = {.kernel_path = kernel_path};
	struct fuzz_hdr h = {.ram = 0xff}; /* no header: 64 MiB, kernel only */
	const uint8_t *initrd = NULL;
	struct guest_mem mem;
	struct boot_entry e;
	uint64_t low;
	char *cmdline = NULL;
	char err[512];
	int r;

	if (size >= sizeof(h) && !memcmp(data, FUZZ_MAGIC, 4)) {
		memcpy(&h, data, sizeof(h));
		data += sizeof(h);
		size -= sizeof(h);
		if (h.flags & FUZZ_F_CMDLINE) {
			size_t n = h.cmdline_len < size ? h.cmdline_len : size;

			cmdline = strndup((const char *)data, n);
			if (!cmdline)
				abort();
			data += n;
			size -= n;
		}
		if (h.flags & FUZZ_F_INITRD) {
			size_t n = h.initrd_len < size ? h.initrd_len : size;

			initrd = data;
			fill_file(initrd_fd, data, n);
			h.initrd_len = (uint32_t)n;
			data += n;
			size -= n;
		}
	}
	fill_file(kernel_fd, data, size);

	low = (uint64_t)(h.ram + 1) * 256 * 1024;
	guest_mem_init_flat(&mem, ram, low);
	if (h.flags & FUZZ_F_HIGHMEM) {
		/* As guest_mem_alloc lays out a big guest: RAM again at 4 GiB. */
		mem.regions[1] = (struct guest_mem_region){
		    .gpa = LAYOUT_HIGHMEM_START, .size = FUZZ_HIGH_RAM, .host = ram + low};
		mem.nr_regions = 2;
		mem.total += FUZZ_HIGH_RAM;
	}
	cfg.cmdline = cmdline;
	cfg.initrd_path = initrd ? initrd_path : NULL;
	if (h.flags & FUZZ_F_RSDP)
		cfg.rsdp_addr = LAYOUT_ACPI_ADDR;
	if (h.flags & FUZZ_F_FB) {
		cfg.fb_addr = LAYOUT_PCI_MMIO_START;
		cfg.fb_width = 640;
		cfg.fb_height = 480;
		cfg.fb_stride = 640 * 4;
	}

	err[0] = 0;
	r = boot_load(&mem, &cfg, &e, err, sizeof(err));
	if (verbose) /* FUZZ_VERBOSE=1: what each input did, for checking seeds */
		fprintf(stderr, "boot_load: %d %s\n", r, r ? err : "loaded");
	if (r == 0) {
		check_loaded(&mem, &e, cmdline, initrd, h.initrd_len);
	} else {
		static const struct boot_entry zero;

		check(r < 0 && err[0] != 0, "error has a message");
		check(!memcmp(&e, &zero, sizeof(e)), "entry cleared on error");
	}
	free(cmdline);
	return 0;
}
