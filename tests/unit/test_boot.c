/* The Linux boot loader: synthetic bzImages and PVH ELF kernels loaded into
 * a fake guest RAM, malformed kernels refused with a message, the e820 map
 * for several memory sizes, and the boot vCPU state on a real /dev/kvm. */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot.h"
#include "bootparam.h"
#include "guest_mem.h"
#include "layout.h"

#define MIB	 (1ULL << 20)
#define RAM_SIZE (64 * MIB)

static char tmpdir[64];
static uint8_t *ram;
static struct guest_mem mem;
static char err[512];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/test_boot.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ram = malloc(RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	/* Not zero, so the test sees which bytes the loader wrote or cleared. */
	memset(ram, 0xaa, RAM_SIZE);
	guest_mem_init_flat(&mem, ram, RAM_SIZE);
	err[0] = '\0';
}

static void teardown(void)
{
	char cmd[128];

	free(ram);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

/* Write a file in the temp dir; returns its path (static buffer per slot). */
static const char *write_file(const char *name, const void *data, size_t len)
{
	static char paths[8][128];
	static int slot;
	char *path = paths[slot++ % 8];
	FILE *fp;

	snprintf(path, 128, "%s/%s", tmpdir, name);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	if (len)
		ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

/* Deterministic pseudo-random bytes, so failures reproduce. */
static uint32_t rng_state;

static uint32_t rng_next(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	rng_state = seed;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rng_next();
}

/* --- synthetic bzImage ----------------------------------------------------- */

struct bz_opts {
	uint16_t version;
	uint16_t xloadflags;
	uint8_t setup_sects;
	uint32_t code_size; /* bytes of protected-mode code in the file */
	uint32_t syssize;   /* 0: derived from code_size */
	uint32_t init_size;
	uint64_t pref_address;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint8_t relocatable;
	const uint8_t *code; /* placed at offset 0x200 of the code (the 64-bit entry) */
	size_t code_len;
};

static struct bz_opts bz_defaults(void)
{
	return (struct bz_opts){
	    .version = 0x020f,
	    .xloadflags = BOOTPARAM_XLF_KERNEL_64 | BOOTPARAM_XLF_CAN_BE_LOADED_ABOVE_4G,
	    .setup_sects = 0, /* means 4 */
	    .code_size = 0x3000,
	    .init_size = 4 * MIB,
	    .pref_address = 16 * MIB,
	    .initrd_addr_max = 0x7fffffff,
	    .cmdline_size = 2047,
	    .relocatable = 1,
	};
}

/* Returns a malloc'd image; *len gets its size. */
static uint8_t *bz_build(const struct bz_opts *o, size_t *len)
{
	size_t setup_len = ((size_t)(o->setup_sects ? o->setup_sects : 4) + 1) * 512;
	uint8_t *img = calloc(1, setup_len + o->code_size);
	struct bootparam_setup_header h = {0};

	ck_assert_ptr_nonnull(img);
	fill_pattern(img + setup_len, o->code_size, 42);
	if (o->code)
		memcpy(img + setup_len + 0x200, o->code, o->code_len);
	h.setup_sects = o->setup_sects;
	h.syssize = o->syssize ? o->syssize : o->code_size / 16;
	h.boot_flag = 0xaa55;
	h.jump = 0xeb | (uint16_t)((0x26c - 0x202) << 8);
	h.header = BOOTPARAM_HDRS_MAGIC;
	h.version = o->version;
	h.loadflags = BOOTPARAM_LOADED_HIGH;
	h.initrd_addr_max = o->initrd_addr_max;
	h.kernel_alignment = 0x200000;
	h.relocatable_kernel = o->relocatable;
	h.xloadflags = o->xloadflags;
	h.cmdline_size = o->cmdline_size;
	h.pref_address = o->pref_address;
	h.init_size = o->init_size;
	h.kernel_info_offset = 0x1234;
	memcpy(img + BOOTPARAM_HDR_OFFSET, &h, sizeof(h));
	*len = setup_len + o->code_size;
	return img;
}

static const char *bz_file(const char *name, const struct bz_opts *o)
{
	size_t len;
	uint8_t *img = bz_build(o, &len);
	const char *path = write_file(name, img, len);

	free(img);
	return path;
}

static const struct bootparam_zero_page *zero_page(void)
{
	return (const struct bootparam_zero_page *)(ram + LAYOUT_ZERO_PAGE_ADDR);
}

START_TEST(test_bzimage_loads)
{
	struct bz_opts o = bz_defaults();
	size_t len;
	uint8_t *img = bz_build(&o, &len);
	const char *kernel = write_file("bzImage", img, len);
	uint8_t initrd[10000];
	const char *initrd_path;
	struct boot_config cfg;
	struct boot_entry e;
	const struct bootparam_zero_page *zp = zero_page();

	fill_pattern(initrd, sizeof(initrd), 7);
	initrd_path = write_file("initrd", initrd, sizeof(initrd));
	cfg = (struct boot_config){.kernel_path = kernel,
				   .initrd_path = initrd_path,
				   .cmdline = "console=ttyS0 quiet",
				   .rsdp_addr = LAYOUT_ACPI_ADDR};
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);

	ck_assert_int_eq(e.mode, BOOT_MODE_LINUX64);
	ck_assert_uint_eq(e.entry, 16 * MIB + 0x200);
	ck_assert_uint_eq(e.params, LAYOUT_ZERO_PAGE_ADDR);
	/* Protected-mode code copied to pref_address. */
	ck_assert_mem_eq(ram + 16 * MIB, img + 5 * 512, o.code_size);

	/* Zero page: the kernel's header plus what the loader fills in. */
	ck_assert_uint_eq(zp->hdr.header, BOOTPARAM_HDRS_MAGIC);
	ck_assert_uint_eq(zp->hdr.version, 0x020f);
	ck_assert_uint_eq(zp->hdr.init_size, 4 * MIB);
	ck_assert_uint_eq(zp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(zp->hdr.loadflags & (BOOTPARAM_LOADED_HIGH | BOOTPARAM_CAN_USE_HEAP),
			  BOOTPARAM_LOADED_HIGH | BOOTPARAM_CAN_USE_HEAP);
	ck_assert_uint_eq(zp->sentinel, 0);
	ck_assert_uint_eq(zp->hdr.cmd_line_ptr, LAYOUT_CMDLINE_ADDR);
	ck_assert_str_eq((const char *)ram + zp->hdr.cmd_line_ptr, "console=ttyS0 quiet");
	ck_assert_uint_eq(zp->acpi_rsdp_addr, LAYOUT_ACPI_ADDR);

	/* initrd: page-aligned, at the top of RAM, above the kernel, intact. */
	ck_assert_uint_eq(zp->hdr.ramdisk_size, sizeof(initrd));
	ck_assert_uint_eq(zp->ext_ramdisk_image, 0);
	ck_assert_uint_eq(zp->hdr.ramdisk_image % 4096, 0);
	ck_assert_uint_eq(zp->hdr.ramdisk_image, (RAM_SIZE - sizeof(initrd)) & ~0xfffULL);
	ck_assert_uint_ge(zp->hdr.ramdisk_image, 16 * MIB + 4 * MIB);
	ck_assert_mem_eq(ram + zp->hdr.ramdisk_image, initrd, sizeof(initrd));
	ck_assert_uint_eq(e.initrd_addr, zp->hdr.ramdisk_image);

	/* e820 in the zero page. */
	ck_assert_uint_eq(zp->e820_entries, 4);
	ck_assert_uint_eq(zp->e820_table[0].addr, 0);
	ck_assert_uint_eq(zp->e820_table[0].size, 0x9fc00);
	ck_assert_uint_eq(zp->e820_table[0].type, BOOTPARAM_E820_RAM);
	ck_assert_uint_eq(zp->e820_table[1].addr, 0x9fc00);
	ck_assert_uint_eq(zp->e820_table[1].size, 0x100000 - 0x9fc00);
	ck_assert_uint_eq(zp->e820_table[1].type, BOOTPARAM_E820_RESERVED);
	ck_assert_uint_eq(zp->e820_table[2].addr, 0x100000);
	ck_assert_uint_eq(zp->e820_table[2].size, RAM_SIZE - 0x100000);
	ck_assert_uint_eq(zp->e820_table[2].type, BOOTPARAM_E820_RAM);
	ck_assert_uint_eq(zp->e820_table[3].addr, LAYOUT_PCI_ECAM_START);
	ck_assert_uint_eq(zp->e820_table[3].type, BOOTPARAM_E820_RESERVED);

	/* Boot GDT: __BOOT_CS is a 64-bit code segment, __BOOT_DS flat data. */
	uint64_t gdt[4];
	memcpy(gdt, ram + LAYOUT_GDT_ADDR, sizeof(gdt));
	ck_assert_uint_eq(gdt[0], 0);
	ck_assert_uint_eq((gdt[2] >> 53) & 1, 1); /* L */
	ck_assert_uint_eq((gdt[2] >> 40) & 0xff, 0x9b);
	ck_assert_uint_eq((gdt[3] >> 40) & 0xff, 0x93);
	/* Page tables map 2 MiB pages identically up to 4 GiB. */
	uint64_t pml4, pd_last;
	memcpy(&pml4, ram + LAYOUT_PML4_ADDR, 8);
	memcpy(&pd_last, ram + LAYOUT_PD_ADDR + 4 * 4096 - 8, 8);
	ck_assert_uint_eq(pml4 & ~0xfffULL, LAYOUT_PDPT_ADDR);
	ck_assert_uint_eq(pd_last & ~0xfffULL, 4ULL * 1024 * MIB - 2 * MIB);
	free(img);
}
END_TEST

START_TEST(test_bzimage_header_copy_stops_at_header_end)
{
	struct bz_opts o = bz_defaults();
	size_t len;
	uint8_t *img;
	struct boot_config cfg = {0};
	struct boot_entry e;

	/* A 2.14 kernel: its header ends at 0x268, so whatever the file has at
	 * 0x268 (kernel_info_offset in 2.15) is code, not header. */
	o.version = 0x020e;
	img = bz_build(&o, &len);
	img[0x201] = 0x268 - 0x202;
	cfg.kernel_path = write_file("bz214", img, len);
	cfg.rsdp_addr = LAYOUT_ACPI_ADDR;
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(zero_page()->hdr.kernel_info_offset, 0);
	ck_assert_uint_eq(zero_page()->hdr.init_size, 4 * MIB);
	ck_assert_uint_eq(zero_page()->acpi_rsdp_addr, LAYOUT_ACPI_ADDR);
	/* No command line given: an empty string, still a valid pointer. */
	ck_assert_str_eq((const char *)ram + zero_page()->hdr.cmd_line_ptr, "");
	ck_assert_uint_eq(zero_page()->hdr.ramdisk_image, 0);
	ck_assert_uint_eq(zero_page()->hdr.ramdisk_size, 0);
	free(img);

	/* 2.13: no acpi_rsdp_addr field yet, the kernel scans for the RSDP. */
	o.version = 0x020d;
	cfg.kernel_path = bz_file("bz213", &o);
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(zero_page()->acpi_rsdp_addr, 0);
}
END_TEST

START_TEST(test_bzimage_low_pref_address)
{
	struct bz_opts o = bz_defaults();
	struct boot_config cfg = {0};
	struct boot_entry e;

	o.pref_address = 0;
	cfg.kernel_path = bz_file("bz", &o);
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(e.entry, LAYOUT_HIMEM_START + 0x200);
}
END_TEST

START_TEST(test_bzimage_initrd_addr_max)
{
	struct bz_opts o = bz_defaults();
	uint8_t initrd[5000];
	struct boot_config cfg = {0};
	struct boot_entry e;
	const struct bootparam_zero_page *zp = zero_page();

	o.initrd_addr_max = 32 * MIB - 1;
	fill_pattern(initrd, sizeof(initrd), 9);
	cfg.kernel_path = bz_file("bz", &o);
	cfg.initrd_path = write_file("initrd", initrd, sizeof(initrd));
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_le(zp->hdr.ramdisk_image + zp->hdr.ramdisk_size, 32 * MIB);
	ck_assert_uint_eq(zp->hdr.ramdisk_image, (32 * MIB - sizeof(initrd)) & ~0xfffULL);
	ck_assert_mem_eq(ram + zp->hdr.ramdisk_image, initrd, sizeof(initrd));
}
END_TEST

START_TEST(test_bzimage_initrd_too_big)
{
	struct bz_opts o = bz_defaults();
	struct boot_config cfg = {0};
	struct boot_entry e;
	char path[128], expect[256];
	int fd;

	cfg.kernel_path = bz_file("bz", &o);
	/* 50 MiB (sparse) cannot go above the kernel's 16..20 MiB in 64 MiB. */
	snprintf(path, sizeof(path), "%s/big.img", tmpdir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 50 * MIB), 0);
	close(fd);
	cfg.initrd_path = path;
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -ENOMEM);
	snprintf(expect, sizeof(expect),
		 "initrd '%s' (50 MiB) does not fit in guest memory below 0x3ffffff", path);
	ck_assert_str_eq(err, expect);

	/* The same file fits when the kernel's limit and RAM allow it. */
	ck_assert_int_eq(truncate(path, 40 * MIB), 0);
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_ge(e.initrd_addr, 20 * MIB);

	/* Empty and missing initrds are refused with their name. */
	cfg.initrd_path = write_file("empty.img", "", 0);
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "empty.img': file is empty"));
	cfg.initrd_path = "/nonexistent/initrd.img";
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(
	    err, "initrd '/nonexistent/initrd.img': cannot open: No such file or directory");
}
END_TEST

START_TEST(test_bzimage_cmdline_limit)
{
	struct bz_opts o = bz_defaults();
	struct boot_config cfg = {0};
	struct boot_entry e;
	char *line = malloc(5001);

	memset(line, 'x', 5000);
	line[5000] = '\0';
	cfg.kernel_path = bz_file("bz", &o);
	cfg.cmdline = line;
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -E2BIG);
	ck_assert_str_eq(err, "command line is 5000 bytes; this kernel accepts at most 2047");

	line[2047] = '\0'; /* exactly the limit is fine */
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(strlen((const char *)ram + LAYOUT_CMDLINE_ADDR), 2047);

	/* A kernel claiming a huge cmdline_size still gets at most what the
	 * layout reserves. */
	o.cmdline_size = 0xffffffff;
	cfg.kernel_path = bz_file("bz-huge", &o);
	line = realloc(line, LAYOUT_CMDLINE_MAX + 1);
	memset(line, 'y', LAYOUT_CMDLINE_MAX);
	line[LAYOUT_CMDLINE_MAX] = '\0';
	cfg.cmdline = line;
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -E2BIG);
	ck_assert_str_eq(err, "command line is 65536 bytes; this kernel accepts at most 65535");
	free(line);
}
END_TEST

/* Load `o` and expect failure with `code` and a message containing `needle`. */
static void expect_bz_error(const struct bz_opts *o, int code, const char *needle)
{
	struct boot_config cfg = {0};
	struct boot_entry e;

	cfg.kernel_path = bz_file("bad-bz", o);
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), code);
	ck_assert_msg(strstr(err, needle), "message '%s' lacks '%s'", err, needle);
	ck_assert_ptr_nonnull(strstr(err, "bad-bz"));
}

START_TEST(test_bzimage_refused)
{
	struct bz_opts o;

	o = bz_defaults();
	o.version = 0x020a;
	expect_bz_error(&o, -ENOEXEC, "boot protocol 2.10 is too old; need 2.12");
	o = bz_defaults();
	o.xloadflags = 0;
	expect_bz_error(&o, -ENOEXEC, "bzImage has no 64-bit entry point");
	o = bz_defaults();
	o.syssize = o.code_size / 16 + 1; /* claims 16 bytes more than the file holds */
	expect_bz_error(&o, -ENOEXEC,
			"truncated bzImage: header says 2560 + 12304 bytes, file "
			"has 14848");
	o = bz_defaults();
	o.setup_sects = 200; /* setup alone is bigger than the file */
	o.code_size = 0x100;
	{
		size_t len;
		uint8_t *img = bz_build(&o, &len);
		struct boot_config cfg = {.kernel_path = write_file("bad-bz", img, 4096)};
		struct boot_entry e;

		ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -ENOEXEC);
		ck_assert_ptr_nonnull(strstr(err, "truncated bzImage"));
		free(img);
	}
	o = bz_defaults();
	o.init_size = 128 * MIB;
	expect_bz_error(&o, -ENOMEM, "needs 128 MiB of RAM at 0x1000000 (init_size)");
	o = bz_defaults();
	o.pref_address = 0xfffffffffffff000ULL; /* would overflow a naive load + size */
	expect_bz_error(&o, -ENOMEM, "needs 4 MiB of RAM at 0xfffffffffffff000");
	o = bz_defaults();
	o.relocatable = 0;
	o.pref_address = 0;
	expect_bz_error(&o, -ENOEXEC, "not relocatable");
}
END_TEST

START_TEST(test_kernel_not_recognised)
{
	struct boot_config cfg = {0};
	struct boot_entry e;
	uint8_t junk[65536];
	char expect[256];

	fill_pattern(junk, sizeof(junk), 1234);
	cfg.kernel_path = write_file("junk", junk, sizeof(junk));
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -ENOEXEC);
	snprintf(expect, sizeof(expect), "kernel '%s': not a bzImage or ELF vmlinux",
		 cfg.kernel_path);
	ck_assert_str_eq(err, expect);

	cfg.kernel_path = write_file("tiny", "MZ", 2);
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "not a bzImage or ELF vmlinux"));

	cfg.kernel_path = write_file("empty", "", 0);
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "empty': empty file"));

	cfg.kernel_path = "/nonexistent/vmlinuz";
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "kernel '/nonexistent/vmlinuz': cannot open: No such file or "
			      "directory");

	cfg.kernel_path = tmpdir;
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));

	cfg.kernel_path = NULL;
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "no kernel given");
}
END_TEST

START_TEST(test_bzimage_framebuffer)
{
	struct bz_opts o = bz_defaults();
	struct boot_config cfg = {0};
	struct boot_entry e;
	const struct bootparam_screen_info *si = &zero_page()->screen_info;

	cfg.kernel_path = bz_file("bz", &o);
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(si->orig_video_isVGA, 0); /* no framebuffer: nothing claimed */

	cfg.fb_addr = LAYOUT_PCI_MMIO_START;
	cfg.fb_width = 1024;
	cfg.fb_height = 768;
	cfg.fb_stride = 4096;
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(si->orig_video_isVGA, BOOTPARAM_VIDEO_TYPE_EFI);
	ck_assert_uint_eq(si->lfb_base, LAYOUT_PCI_MMIO_START);
	ck_assert_uint_eq(si->lfb_width, 1024);
	ck_assert_uint_eq(si->lfb_height, 768);
	ck_assert_uint_eq(si->lfb_depth, 32);
	ck_assert_uint_eq(si->lfb_linelength, 4096);
	ck_assert_uint_eq(si->lfb_size, 4096 * 768);
	ck_assert_uint_eq(si->red_pos, 16);
	ck_assert_uint_eq(si->blue_pos, 0);
	ck_assert_uint_eq(si->capabilities & BOOTPARAM_VIDEO_CAP_64BIT_BASE, 0);

	cfg.fb_addr = 0x800000000ULL;
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(si->lfb_base, 0);
	ck_assert_uint_eq(si->ext_lfb_base, 8);
	ck_assert_uint_ne(si->capabilities & BOOTPARAM_VIDEO_CAP_64BIT_BASE, 0);

	cfg.fb_stride = 1000; /* less than 1024 pixels * 4 bytes */
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err,
			 "framebuffer 1024x768 (stride 1000) cannot be described to the kernel");
}
END_TEST

/* --- e820 ------------------------------------------------------------------- */

static void fake_regions(struct guest_mem *m, uint64_t size)
{
	uint64_t low = size < LAYOUT_LOWMEM_END ? size : LAYOUT_LOWMEM_END;

	/* Only the region list matters to the e820 builder: no host memory. */
	memset(m, 0, sizeof(*m));
	m->regions[0] = (struct guest_mem_region){.gpa = 0, .size = low};
	m->nr_regions = 1;
	if (size > low) {
		m->regions[1] =
		    (struct guest_mem_region){.gpa = LAYOUT_HIGHMEM_START, .size = size - low};
		m->nr_regions = 2;
	}
	m->total = size;
}

static uint64_t e820_ram_total(const struct bootparam_e820_entry *t, int n)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		if (t[i].type == BOOTPARAM_E820_RAM)
			sum += t[i].size;
	return sum;
}

/* Type of the entry covering addr, or 0 if none. */
static uint32_t e820_type_at(const struct bootparam_e820_entry *t, int n, uint64_t addr)
{
	for (int i = 0; i < n; i++)
		if (addr >= t[i].addr && addr - t[i].addr < t[i].size)
			return t[i].type;
	return 0;
}

START_TEST(test_e820_layouts)
{
	struct bootparam_e820_entry t[16];
	struct guest_mem m;
	int n;

	/* 6 GiB: 3 GiB below the hole, 3 GiB from 4 GiB. */
	fake_regions(&m, 6ULL << 30);
	n = boot_e820_build(&m, t, 16);
	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(t[0].addr, 0);
	ck_assert_uint_eq(t[0].size, LAYOUT_EBDA_START);
	ck_assert_uint_eq(t[1].type, BOOTPARAM_E820_RESERVED);
	ck_assert_uint_eq(t[1].addr + t[1].size, 0x100000);
	ck_assert_uint_eq(t[2].addr, 0x100000);
	ck_assert_uint_eq(t[2].addr + t[2].size, LAYOUT_LOWMEM_END);
	ck_assert_uint_eq(t[3].addr, LAYOUT_PCI_ECAM_START);
	ck_assert_uint_eq(t[3].type, BOOTPARAM_E820_RESERVED);
	ck_assert_uint_eq(t[4].addr, LAYOUT_HIGHMEM_START);
	ck_assert_uint_eq(t[4].size, 3ULL << 30);
	ck_assert_uint_eq(t[4].type, BOOTPARAM_E820_RAM);
	/* The PCI BAR window, IOAPIC and LAPIC are neither RAM nor reserved. */
	ck_assert_uint_eq(e820_type_at(t, n, LAYOUT_PCI_MMIO_START), 0);
	ck_assert_uint_eq(e820_type_at(t, n, LAYOUT_IOAPIC_ADDR), 0);
	ck_assert_uint_eq(e820_type_at(t, n, LAYOUT_LAPIC_ADDR), 0);
	ck_assert_uint_eq(e820_type_at(t, n, LAYOUT_ACPI_ADDR), BOOTPARAM_E820_RESERVED);
	/* Every byte of RAM but the 0x9FC00..1 MiB window is usable. */
	ck_assert_uint_eq(e820_ram_total(t, n), (6ULL << 30) - (0x100000 - LAYOUT_EBDA_START));
	for (int i = 1; i < n; i++)
		ck_assert_uint_ge(t[i].addr, t[i - 1].addr + t[i - 1].size);

	/* Exactly 3 GiB: no high region. */
	fake_regions(&m, LAYOUT_LOWMEM_END);
	n = boot_e820_build(&m, t, 16);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(e820_type_at(t, n, LAYOUT_LOWMEM_END - 1), BOOTPARAM_E820_RAM);
	ck_assert_uint_eq(e820_type_at(t, n, LAYOUT_HIGHMEM_START), 0);

	/* 512 KiB (smaller than the EBDA start): RAM stops where memory does. */
	fake_regions(&m, 512 * 1024);
	n = boot_e820_build(&m, t, 16);
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(t[0].size, 512 * 1024);
	ck_assert_uint_eq(e820_ram_total(t, n), 512 * 1024);

	/* A table too small is an error, not a silent truncation. */
	fake_regions(&m, 6ULL << 30);
	ck_assert_int_eq(boot_e820_build(&m, t, 4), -E2BIG);
}
END_TEST

/* --- PVH ELF ------------------------------------------------------------------ */

struct elf_opts {
	bool is64;
	uint64_t seg_paddr[2];
	uint64_t seg_filesz[2], seg_memsz[2], seg_offset[2];
	uint64_t phoff;
	uint16_t phnum;
	uint64_t entry; /* PVH note value */
	bool no_note;
	uint32_t note_namesz; /* override, 0 = correct */
	const uint8_t *code;  /* copied at the entry's file offset */
	size_t code_len;
};

#define ELF_FILE_SIZE 0x4000

static struct elf_opts elf_defaults(bool is64)
{
	return (struct elf_opts){
	    .is64 = is64,
	    .seg_paddr = {0x1000000, 0x1200000},
	    .seg_filesz = {0x1000, 0x800},
	    .seg_memsz = {0x3000, 0x800},
	    .seg_offset = {0x1000, 0x3000},
	    .phoff = 0x40,
	    .phnum = 3,
	    .entry = 0x1000100,
	};
}

static const char *elf_file(const char *name, const struct elf_opts *o, uint8_t **image)
{
	uint8_t *img = calloc(1, ELF_FILE_SIZE);
	uint64_t note_off = 0x400, note_len = 12 + 4 + 4;
	uint32_t nh[3] = {o->note_namesz ? o->note_namesz : 4, 4,
			  BOOTPARAM_XEN_ELFNOTE_PHYS32_ENTRY};
	uint32_t entry32 = (uint32_t)o->entry;
	const char *path;

	fill_pattern(img + 0x1000, ELF_FILE_SIZE - 0x1000, 77);
	if (o->code)
		memcpy(img + 0x1000 + (o->entry - 0x1000000), o->code, o->code_len);
	memcpy(img + note_off, nh, 12);
	memcpy(img + note_off + 12, "Xen", 4);
	memcpy(img + note_off + 16, &entry32, 4);
	if (o->is64) {
		Elf64_Ehdr eh = {.e_type = ET_EXEC,
				 .e_machine = EM_X86_64,
				 .e_version = EV_CURRENT,
				 .e_entry = 0xffffffff81000000ULL,
				 .e_phoff = o->phoff,
				 .e_ehsize = sizeof(Elf64_Ehdr),
				 .e_phentsize = sizeof(Elf64_Phdr),
				 .e_phnum = o->phnum};
		Elf64_Phdr ph[3] = {
		    {.p_type = PT_LOAD,
		     .p_offset = o->seg_offset[0],
		     .p_paddr = o->seg_paddr[0],
		     .p_vaddr = 0xffffffff81000000ULL,
		     .p_filesz = o->seg_filesz[0],
		     .p_memsz = o->seg_memsz[0]},
		    {.p_type = PT_LOAD,
		     .p_offset = o->seg_offset[1],
		     .p_paddr = o->seg_paddr[1],
		     .p_filesz = o->seg_filesz[1],
		     .p_memsz = o->seg_memsz[1]},
		    {.p_type = o->no_note ? PT_NULL : PT_NOTE,
		     .p_offset = note_off,
		     .p_filesz = note_len},
		};

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS64;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(img, &eh, sizeof(eh));
		if (o->phoff + sizeof(ph) <= ELF_FILE_SIZE)
			memcpy(img + o->phoff, ph, sizeof(ph));
	} else {
		Elf32_Ehdr eh = {.e_type = ET_EXEC,
				 .e_machine = EM_386,
				 .e_version = EV_CURRENT,
				 .e_phoff = (uint32_t)o->phoff,
				 .e_ehsize = sizeof(Elf32_Ehdr),
				 .e_phentsize = sizeof(Elf32_Phdr),
				 .e_phnum = o->phnum};
		Elf32_Phdr ph[3] = {
		    {.p_type = PT_LOAD,
		     .p_offset = (uint32_t)o->seg_offset[0],
		     .p_paddr = (uint32_t)o->seg_paddr[0],
		     .p_filesz = (uint32_t)o->seg_filesz[0],
		     .p_memsz = (uint32_t)o->seg_memsz[0]},
		    {.p_type = PT_LOAD,
		     .p_offset = (uint32_t)o->seg_offset[1],
		     .p_paddr = (uint32_t)o->seg_paddr[1],
		     .p_filesz = (uint32_t)o->seg_filesz[1],
		     .p_memsz = (uint32_t)o->seg_memsz[1]},
		    {.p_type = o->no_note ? PT_NULL : PT_NOTE,
		     .p_offset = (uint32_t)note_off,
		     .p_filesz = (uint32_t)note_len},
		};

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(img, &eh, sizeof(eh));
		if (o->phoff + sizeof(ph) <= ELF_FILE_SIZE)
			memcpy(img + o->phoff, ph, sizeof(ph));
	}
	path = write_file(name, img, ELF_FILE_SIZE);
	if (image)
		*image = img;
	else
		free(img);
	return path;
}

static void check_pvh_load(bool is64)
{
	struct elf_opts o = elf_defaults(is64);
	uint8_t *img, initrd[3000];
	struct boot_config cfg = {0};
	struct boot_entry e;
	struct bootparam_hvm_start_info si;
	struct bootparam_hvm_modlist_entry mod;
	struct bootparam_hvm_memmap_entry mm[8];
	static const uint8_t zeros[0x2000];

	fill_pattern(initrd, sizeof(initrd), 5);
	cfg.kernel_path = elf_file("vmlinux", &o, &img);
	cfg.initrd_path = write_file("initrd", initrd, sizeof(initrd));
	cfg.cmdline = "console=hvc0";
	cfg.rsdp_addr = LAYOUT_ACPI_ADDR;
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);

	ck_assert_int_eq(e.mode, BOOT_MODE_PVH);
	ck_assert_uint_eq(e.entry, 0x1000100);
	ck_assert_uint_eq(e.params, LAYOUT_PVH_INFO_ADDR);
	/* Segments at their physical addresses, bss cleared. */
	ck_assert_mem_eq(ram + 0x1000000, img + 0x1000, 0x1000);
	ck_assert_mem_eq(ram + 0x1001000, zeros, 0x2000);
	ck_assert_mem_eq(ram + 0x1200000, img + 0x3000, 0x800);
	ck_assert_uint_eq(e.kernel_end, 0x1200800);

	memcpy(&si, ram + LAYOUT_PVH_INFO_ADDR, sizeof(si));
	ck_assert_uint_eq(si.magic, 0x336ec578);
	ck_assert_uint_eq(si.version, 1);
	ck_assert_uint_eq(si.cmdline_paddr, LAYOUT_CMDLINE_ADDR);
	ck_assert_str_eq((const char *)ram + si.cmdline_paddr, "console=hvc0");
	ck_assert_uint_eq(si.rsdp_paddr, LAYOUT_ACPI_ADDR);
	ck_assert_uint_eq(si.nr_modules, 1);
	ck_assert_ptr_nonnull(guest_mem_ptr(&mem, si.modlist_paddr, sizeof(mod)));
	memcpy(&mod, ram + si.modlist_paddr, sizeof(mod));
	ck_assert_uint_eq(mod.size, sizeof(initrd));
	ck_assert_uint_eq(mod.paddr % 4096, 0);
	ck_assert_uint_ge(mod.paddr, e.kernel_end);
	ck_assert_mem_eq(ram + mod.paddr, initrd, sizeof(initrd));

	ck_assert_uint_eq(si.memmap_entries, 4);
	memcpy(mm, ram + si.memmap_paddr, sizeof(mm[0]) * si.memmap_entries);
	ck_assert_uint_eq(mm[0].addr, 0);
	ck_assert_uint_eq(mm[0].size, LAYOUT_EBDA_START);
	ck_assert_uint_eq(mm[0].type, BOOTPARAM_E820_RAM);
	ck_assert_uint_eq(mm[1].type, BOOTPARAM_E820_RESERVED);
	ck_assert_uint_eq(mm[2].addr, LAYOUT_HIMEM_START);
	ck_assert_uint_eq(mm[2].addr + mm[2].size, RAM_SIZE);
	ck_assert_uint_eq(mm[2].type, BOOTPARAM_E820_RAM);

	/* GDT for PVH: 32-bit flat code at __BOOT_CS. */
	uint64_t gdt[4];
	memcpy(gdt, ram + LAYOUT_GDT_ADDR, sizeof(gdt));
	ck_assert_uint_eq((gdt[2] >> 53) & 1, 0); /* not L */
	ck_assert_uint_eq((gdt[2] >> 54) & 1, 1); /* D */
	free(img);
}

START_TEST(test_pvh_elf64)
{
	check_pvh_load(true);
}
END_TEST

START_TEST(test_pvh_elf32)
{
	check_pvh_load(false);
}
END_TEST

START_TEST(test_pvh_no_initrd)
{
	struct elf_opts o = elf_defaults(true);
	struct boot_config cfg = {0};
	struct boot_entry e;
	struct bootparam_hvm_start_info si;

	cfg.kernel_path = elf_file("vmlinux", &o, NULL);
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	memcpy(&si, ram + LAYOUT_PVH_INFO_ADDR, sizeof(si));
	ck_assert_uint_eq(si.nr_modules, 0);
	ck_assert_uint_eq(si.modlist_paddr, 0);
	ck_assert_uint_eq(si.rsdp_paddr, 0);
	ck_assert_str_eq((const char *)ram + si.cmdline_paddr, "");
}
END_TEST

static void expect_elf_error(const struct elf_opts *o, int code, const char *needle)
{
	struct boot_config cfg = {0};
	struct boot_entry e;

	cfg.kernel_path = elf_file("bad-vmlinux", o, NULL);
	ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), code);
	ck_assert_msg(strstr(err, needle), "message '%s' lacks '%s'", err, needle);
	ck_assert_ptr_nonnull(strstr(err, "bad-vmlinux"));
}

START_TEST(test_pvh_refused)
{
	struct elf_opts o;

	o = elf_defaults(true);
	o.no_note = true;
	expect_elf_error(&o, -ENOEXEC, "ELF file has no PVH entry note");
	o = elf_defaults(true);
	o.note_namesz = 0xfffffff0; /* a note running far past its segment */
	expect_elf_error(&o, -ENOEXEC, "ELF file has no PVH entry note");
	o = elf_defaults(true);
	o.seg_paddr[1] = 0x10000000; /* 256 MiB, RAM is 64 */
	expect_elf_error(&o, -ENOMEM, "ELF segment 1 (0x10000000-0x100007ff) is outside guest RAM");
	o = elf_defaults(true);
	o.seg_paddr[1] = RAM_SIZE - 0x400; /* straddles the end of RAM */
	expect_elf_error(&o, -ENOMEM, "is outside guest RAM");
	o = elf_defaults(true);
	o.seg_paddr[0] = LAYOUT_ZERO_PAGE_ADDR;
	expect_elf_error(&o, -ENOEXEC,
			 "ELF segment 0 at 0x7000 overlaps the boot area below 1 MiB");
	o = elf_defaults(true);
	o.seg_paddr[1] = UINT64_MAX - 0x100;
	expect_elf_error(&o, -ENOEXEC, "ELF segment 1 wraps around the address space");
	o = elf_defaults(true);
	o.seg_offset[1] = ELF_FILE_SIZE - 0x100; /* file bytes beyond the end of the file */
	expect_elf_error(&o, -ENOEXEC, "ELF segment 1 lies outside the file");
	o = elf_defaults(true);
	o.seg_offset[1] = UINT64_MAX - 0x10; /* offset + size overflows */
	expect_elf_error(&o, -ENOEXEC, "ELF segment 1 lies outside the file");
	o = elf_defaults(true);
	o.seg_filesz[1] = 0x1000; /* more than memsz */
	expect_elf_error(&o, -ENOEXEC, "ELF segment 1 has more file bytes than memory");
	o = elf_defaults(true);
	o.phoff = ELF_FILE_SIZE - 8;
	expect_elf_error(&o, -ENOEXEC, "ELF program headers missing or outside the file");
	o = elf_defaults(true);
	o.phnum = 0;
	expect_elf_error(&o, -ENOEXEC, "ELF program headers missing or outside the file");
	o = elf_defaults(true);
	o.entry = 0x2000000; /* not inside any segment */
	expect_elf_error(&o, -ENOEXEC, "PVH entry 0x2000000 is outside the loaded kernel");
	o = elf_defaults(false);
	o.no_note = true;
	expect_elf_error(&o, -ENOEXEC, "ELF file has no PVH entry note");

	/* Headers too short for their class. */
	{
		uint8_t hdr[20] = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT};
		struct boot_config cfg = {.kernel_path = write_file("bad-vmlinux", hdr, 20)};
		struct boot_entry e;

		ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -ENOEXEC);
		ck_assert_ptr_nonnull(strstr(err, "truncated ELF header"));
		cfg.kernel_path = write_file("bad-vmlinux", hdr, 6);
		ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -ENOEXEC);
		ck_assert_ptr_nonnull(strstr(err, "truncated ELF header"));
		hdr[EI_DATA] = ELFDATA2MSB;
		cfg.kernel_path = write_file("bad-vmlinux", hdr, 20);
		ck_assert_int_eq(boot_load(&mem, &cfg, &e, err, sizeof(err)), -ENOEXEC);
		ck_assert_ptr_nonnull(strstr(err, "not a little-endian ELF file"));
	}
}
END_TEST

/* Flip random bytes in the headers of valid images: every result is either a
 * load that stays inside RAM or an error with a message, never a crash. */
START_TEST(test_mutated_headers)
{
	struct bz_opts bo = bz_defaults();
	struct elf_opts eo = elf_defaults(true);
	size_t bz_len;
	uint8_t *bz = bz_build(&bo, &bz_len), *elf;
	struct boot_config cfg = {0};
	struct boot_entry e;
	int ok = 0, failed = 0;

	elf_file("seed", &eo, &elf);
	for (int iter = 0; iter < 600; iter++) {
		bool use_elf = iter & 1;
		size_t len = use_elf ? ELF_FILE_SIZE : bz_len;
		uint8_t *img = malloc(len);

		memcpy(img, use_elf ? elf : bz, len);
		rng_state = 1000u + (uint32_t)iter;
		for (int k = 0; k < 4; k++) {
			/* Bias towards the headers, where lengths and offsets live. */
			size_t pos = use_elf ? rng_next() % 0x500 : 0x1f1 + rng_next() % 0x7b;

			img[pos] = (uint8_t)rng_next();
		}
		cfg.kernel_path = write_file("mutant", img, len);
		err[0] = '\0';
		if (boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0) {
			ok++;
			ck_assert(guest_mem_is_ram(&mem, e.entry));
			ck_assert(guest_mem_is_ram(&mem, e.params));
		} else {
			failed++;
			ck_assert_msg(strlen(err) > 10, "iteration %d: no message", iter);
			ck_assert_int_eq(e.entry, 0);
		}
		free(img);
	}
	/* Both outcomes happen, or the mutations did not reach the checks. */
	ck_assert_int_gt(ok, 0);
	ck_assert_int_gt(failed, 0);
	free(bz);
	free(elf);
}
END_TEST

/* --- real vCPU ------------------------------------------------------------------ */

struct kvm_box {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;
};

/* A VM with RAM_SIZE of memory at 0; false (with a message) if KVM is unusable. */
static bool kvm_box_open(struct kvm_box *b)
{
	struct kvm_userspace_memory_region region;

	memset(b, 0, sizeof(*b));
	b->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (b->kvm < 0) {
		fprintf(stderr, "test_boot: /dev/kvm unavailable (%s), vCPU test skipped\n",
			strerror(errno));
		return false;
	}
	b->vm = ioctl(b->kvm, KVM_CREATE_VM, 0);
	ck_assert_int_ge(b->vm, 0);
	b->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(b->ram, MAP_FAILED);
	region = (struct kvm_userspace_memory_region){.slot = 0,
						      .guest_phys_addr = 0,
						      .memory_size = RAM_SIZE,
						      .userspace_addr = (uintptr_t)b->ram};
	ck_assert_int_eq(ioctl(b->vm, KVM_SET_USER_MEMORY_REGION, &region), 0);
	b->vcpu = ioctl(b->vm, KVM_CREATE_VCPU, 0);
	ck_assert_int_ge(b->vcpu, 0);
	b->run_size = (size_t)ioctl(b->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	b->run = mmap(NULL, b->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, b->vcpu, 0);
	ck_assert_ptr_ne(b->run, MAP_FAILED);
	guest_mem_init_flat(&mem, b->ram, RAM_SIZE);
	return true;
}

static void kvm_box_close(struct kvm_box *b)
{
	munmap(b->run, b->run_size);
	munmap(b->ram, RAM_SIZE);
	close(b->vcpu);
	close(b->vm);
	close(b->kvm);
}

/* Run until the guest writes a dword to COM1's port; returns the value. */
static uint32_t kvm_box_next_out(struct kvm_box *b)
{
	uint32_t v;

	ck_assert_int_eq(ioctl(b->vcpu, KVM_RUN, 0), 0);
	ck_assert_msg(b->run->exit_reason == KVM_EXIT_IO, "exit reason %u", b->run->exit_reason);
	ck_assert_int_eq(b->run->io.direction, KVM_EXIT_IO_OUT);
	ck_assert_uint_eq(b->run->io.port, LAYOUT_PORT_COM1);
	ck_assert_uint_eq(b->run->io.size, 4);
	memcpy(&v, (uint8_t *)b->run + b->run->io.data_offset, 4);
	return v;
}

START_TEST(test_vcpu_linux64)
{
	/* At the 64-bit entry: report the zero page's "HdrS" through RSI, then
	 * a value only a 64-bit mov/shr produces, then halt. */
	static const uint8_t code[] = {
	    0x8b, 0x86, 0x02, 0x02, 0x00, 0x00,				/* mov eax, [rsi + 0x202] */
	    0xba, 0xf8, 0x03, 0x00, 0x00,				/* mov edx, 0x3f8 */
	    0xef,							/* out dx, eax */
	    0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* mov rax, imm64 */
	    0x48, 0xc1, 0xe8, 0x20,					/* shr rax, 32 */
	    0xef,							/* out dx, eax */
	    0xf4,							/* hlt */
	};
	struct kvm_box b;
	struct bz_opts o = bz_defaults();
	struct boot_config cfg = {0};
	struct boot_entry e;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (!kvm_box_open(&b))
		return;
	o.code = code;
	o.code_len = sizeof(code);
	cfg.kernel_path = bz_file("bz-kvm", &o);
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(boot_setup_vcpu(b.vcpu, &mem, &e, err, sizeof(err)) == 0, "%s", err);

	ck_assert_int_eq(ioctl(b.vcpu, KVM_GET_SREGS, &sregs), 0);
	ck_assert_uint_eq(sregs.cs.selector, 0x10);
	ck_assert_uint_eq(sregs.cs.l, 1);
	ck_assert_uint_eq(sregs.ds.selector, 0x18);
	ck_assert_uint_eq(sregs.ss.selector, 0x18);
	ck_assert_uint_eq(sregs.cr0 & 0x80000011, 0x80000011);
	ck_assert_uint_eq(sregs.cr4 & 0x20, 0x20);
	ck_assert_uint_eq(sregs.efer & 0x500, 0x500);
	ck_assert_uint_eq(sregs.cr3, LAYOUT_PML4_ADDR);
	ck_assert_uint_eq(sregs.gdt.base, LAYOUT_GDT_ADDR);
	ck_assert_int_eq(ioctl(b.vcpu, KVM_GET_REGS, &regs), 0);
	ck_assert_uint_eq(regs.rip, 16 * MIB + 0x200);
	ck_assert_uint_eq(regs.rsi, LAYOUT_ZERO_PAGE_ADDR);
	ck_assert_uint_eq(regs.rflags, 2);

	ck_assert_uint_eq(kvm_box_next_out(&b), BOOTPARAM_HDRS_MAGIC);
	ck_assert_uint_eq(kvm_box_next_out(&b), 0x11223344);
	ck_assert_int_eq(ioctl(b.vcpu, KVM_RUN, 0), 0);
	ck_assert_uint_eq(b.run->exit_reason, KVM_EXIT_HLT);
	kvm_box_close(&b);
}
END_TEST

START_TEST(test_vcpu_pvh)
{
	/* At the PVH entry: report the start info magic through EBX and CR0. */
	static const uint8_t code[] = {
	    0x8b, 0x03,			  /* mov eax, [ebx] */
	    0xba, 0xf8, 0x03, 0x00, 0x00, /* mov edx, 0x3f8 */
	    0xef,			  /* out dx, eax */
	    0x0f, 0x20, 0xc0,		  /* mov eax, cr0 */
	    0xef,			  /* out dx, eax */
	    0xf4,			  /* hlt */
	};
	struct kvm_box b;
	struct elf_opts o = elf_defaults(true);
	struct boot_config cfg = {0};
	struct boot_entry e;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint32_t cr0;

	if (!kvm_box_open(&b))
		return;
	o.code = code;
	o.code_len = sizeof(code);
	cfg.kernel_path = elf_file("vmlinux-kvm", &o, NULL);
	ck_assert_msg(boot_load(&mem, &cfg, &e, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(boot_setup_vcpu(b.vcpu, &mem, &e, err, sizeof(err)) == 0, "%s", err);

	ck_assert_int_eq(ioctl(b.vcpu, KVM_GET_SREGS, &sregs), 0);
	ck_assert_uint_eq(sregs.cs.l, 0);
	ck_assert_uint_eq(sregs.cs.db, 1);
	ck_assert_uint_eq(sregs.cs.limit, 0xffffffff);
	ck_assert_uint_eq(sregs.cr0 & 0x80000001, 1);
	ck_assert_uint_eq(sregs.efer & 0x500, 0);
	ck_assert_int_eq(ioctl(b.vcpu, KVM_GET_REGS, &regs), 0);
	ck_assert_uint_eq(regs.rip, 0x1000100);
	ck_assert_uint_eq(regs.rbx, LAYOUT_PVH_INFO_ADDR);

	ck_assert_uint_eq(kvm_box_next_out(&b), BOOTPARAM_HVM_START_MAGIC);
	cr0 = kvm_box_next_out(&b);
	ck_assert_uint_eq(cr0 & 0x80000001, 1); /* protected mode, paging off */
	ck_assert_int_eq(ioctl(b.vcpu, KVM_RUN, 0), 0);
	ck_assert_uint_eq(b.run->exit_reason, KVM_EXIT_HLT);
	kvm_box_close(&b);
}
END_TEST

static Suite *boot_suite(void)
{
	Suite *s = suite_create("boot");
	TCase *tc = tcase_create("load");

	/* A hang guard, not a speed check: the mutation loop writes 600 files
	 * and can take seconds on a loaded machine. */
	tcase_set_timeout(tc, 120);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bzimage_loads);
	tcase_add_test(tc, test_bzimage_header_copy_stops_at_header_end);
	tcase_add_test(tc, test_bzimage_low_pref_address);
	tcase_add_test(tc, test_bzimage_initrd_addr_max);
	tcase_add_test(tc, test_bzimage_initrd_too_big);
	tcase_add_test(tc, test_bzimage_cmdline_limit);
	tcase_add_test(tc, test_bzimage_refused);
	tcase_add_test(tc, test_kernel_not_recognised);
	tcase_add_test(tc, test_bzimage_framebuffer);
	tcase_add_test(tc, test_e820_layouts);
	tcase_add_test(tc, test_pvh_elf64);
	tcase_add_test(tc, test_pvh_elf32);
	tcase_add_test(tc, test_pvh_no_initrd);
	tcase_add_test(tc, test_pvh_refused);
	tcase_add_test(tc, test_mutated_headers);
	suite_add_tcase(s, tc);

	tc = tcase_create("vcpu");
	tcase_add_checked_fixture(tc, setup, teardown);
	/* Software-nested KVM here is slow to create VMs; no timing asserted. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_vcpu_linux64);
	tcase_add_test(tc, test_vcpu_pvh);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(boot_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
