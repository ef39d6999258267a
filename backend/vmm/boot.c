/* Linux boot loader: bzImage through the 64-bit boot protocol, ELF vmlinux
 * through the PVH entry; the zero page / start info, e820 map, GDT and page
 * tables; the boot vCPU's registers. Kernel and initrd files are untrusted. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "bootparam.h"
#include "guest_mem.h"
#include "layout.h"

#define BOOT_MIB	(1ULL << 20)
#define BOOT_PAGE_SIZE	0x1000ULL
#define BOOT_PROBE_SIZE 0x400 /* covers the ELF header and the whole setup header */

/* A stack for the 64-bit entry: the boot protocol does not require one, but
 * an NMI or a stray push before the kernel sets its own must not land on
 * the page tables. The page below LAYOUT_PML4_ADDR is otherwise unused. */
#define BOOT_STACK_TOP 0x8ff0ULL

/* GDT selectors fixed by the boot protocol (__BOOT_CS, __BOOT_DS); PVH
 * leaves them free, so it uses the same ones. */
#define BOOT_GDT_ENTRIES 4
#define BOOT_SEL_CODE	 0x10
#define BOOT_SEL_DATA	 0x18

/* The 64-bit entry point is 0x200 bytes into the protected-mode code. */
#define BOOT_LINUX64_ENTRY_OFFSET 0x200

/* PVH: module list right after the start info, memory map at its own page. */
#define BOOT_PVH_MODLIST_ADDR (LAYOUT_PVH_INFO_ADDR + 0x40)
#define BOOT_PVH_MEMMAP_MAX                                                                        \
	((LAYOUT_ZERO_PAGE_ADDR - LAYOUT_PVH_MEMMAP_ADDR) /                                        \
	 sizeof(struct bootparam_hvm_memmap_entry))

/* Notes are small; a bigger PT_NOTE segment is not a kernel we know. */
#define BOOT_NOTE_MAX (1U << 20)

#define X86_CR0_PE	    (1ULL << 0)
#define X86_CR0_ET	    (1ULL << 4)
#define X86_CR0_PG	    (1ULL << 31)
#define X86_CR4_PAE	    (1ULL << 5)
#define X86_EFER_LME	    (1ULL << 8)
#define X86_EFER_LMA	    (1ULL << 10)
#define X86_RFLAGS_RESERVED 0x2ULL

#define PTE_PRESENT 0x1ULL
#define PTE_RW	    0x2ULL
#define PTE_PS	    0x80ULL /* 2 MiB page in a PD entry */

_Static_assert(sizeof(struct bootparam_hvm_start_info) <=
		   BOOT_PVH_MODLIST_ADDR - LAYOUT_PVH_INFO_ADDR,
	       "start info overlaps module list");
_Static_assert(BOOT_PVH_MODLIST_ADDR + sizeof(struct bootparam_hvm_modlist_entry) <=
		   LAYOUT_PVH_MEMMAP_ADDR,
	       "module list overlaps memory map");

struct boot_file {
	int fd;
	const char *what; /* "kernel" or "initrd", for messages */
	const char *path;
	uint64_t size;
};

static int boot_error(char *err, size_t errlen, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int boot_error(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static uint64_t boot_mib_round_up(uint64_t bytes)
{
	return bytes / BOOT_MIB + (bytes % BOOT_MIB != 0);
}

static int boot_file_open(struct boot_file *f, const char *what, const char *path, char *err,
			  size_t errlen)
{
	struct stat st;
	int r;

	f->what = what;
	f->path = path;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		r = -errno;
		return boot_error(err, errlen, r, "%s '%s': cannot open: %s", what, path,
				  strerror(-r));
	}
	if (fstat(f->fd, &st) < 0) {
		r = -errno;
		close(f->fd);
		f->fd = -1;
		return boot_error(err, errlen, r, "%s '%s': cannot stat: %s", what, path,
				  strerror(-r));
	}
	if (!S_ISREG(st.st_mode)) {
		close(f->fd);
		f->fd = -1;
		return boot_error(err, errlen, -EINVAL, "%s '%s': not a regular file", what, path);
	}
	f->size = (uint64_t)st.st_size;
	return 0;
}

static void boot_file_close(struct boot_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* Read exactly [off, off+len) of the file; a file that shrank under us is
 * an error, not a short read. */
static int boot_file_read(const struct boot_file *f, uint64_t off, void *buf, uint64_t len,
			  char *err, size_t errlen)
{
	uint8_t *p = buf;

	if (off > f->size || len > f->size - off)
		return boot_error(err, errlen, -EINVAL,
				  "%s '%s': truncated: needs bytes 0x%llx-0x%llx, file has %llu",
				  f->what, f->path, (unsigned long long)off,
				  (unsigned long long)(off + len), (unsigned long long)f->size);
	while (len > 0) {
		size_t chunk = len > (1U << 30) ? (1U << 30) : (size_t)len;
		ssize_t n = pread(f->fd, p, chunk, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return boot_error(err, errlen, -errno, "%s '%s': read failed: %s", f->what,
					  f->path, strerror(errno));
		if (n == 0)
			return boot_error(err, errlen, -EIO, "%s '%s': file shrank while loading",
					  f->what, f->path);
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Copy file bytes straight into guest RAM at gpa. */
static int boot_file_to_guest(const struct guest_mem *mem, const struct boot_file *f, uint64_t off,
			      uint64_t gpa, uint64_t len, char *err, size_t errlen)
{
	void *dst;

	if (len == 0)
		return 0;
	dst = guest_mem_ptr(mem, gpa, len);
	if (!dst)
		return boot_error(err, errlen, -ENOMEM,
				  "%s '%s': 0x%llx-0x%llx is outside guest RAM", f->what, f->path,
				  (unsigned long long)gpa, (unsigned long long)(gpa + len - 1));
	return boot_file_read(f, off, dst, len, err, errlen);
}

/* End of the RAM region that starts at 0, i.e. of everything below the
 * 32-bit hole; 0 if there is none. */
static uint64_t boot_low_ram_end(const struct guest_mem *mem)
{
	for (int i = 0; i < mem->nr_regions; i++) {
		if (mem->regions[i].gpa == 0)
			return mem->regions[i].size < LAYOUT_LOWMEM_END ? mem->regions[i].size
									: LAYOUT_LOWMEM_END;
	}
	return 0;
}

/* --- e820 ---------------------------------------------------------------- */

static int boot_e820_add(struct bootparam_e820_entry *table, int max, int *n, uint64_t start,
			 uint64_t end, uint32_t type)
{
	if (end <= start)
		return 0;
	if (*n >= max)
		return -E2BIG;
	table[*n] = (struct bootparam_e820_entry){.addr = start, .size = end - start, .type = type};
	(*n)++;
	return 0;
}

int boot_e820_build(const struct guest_mem *mem, struct bootparam_e820_entry *table,
		    int max_entries)
{
	int n = 0, r;

	/* Like a PC: the EBDA, the legacy video/ROM area and our ACPI tables
	 * between 0x9FC00 and 1 MiB are never handed out as RAM. */
	r = boot_e820_add(table, max_entries, &n, LAYOUT_EBDA_START, LAYOUT_HIMEM_START,
			  BOOTPARAM_E820_RESERVED);
	/* Linux only trusts MCFG's ECAM window if the firmware reserves it,
	 * either in ACPI motherboard resources or here. */
	if (!r)
		r = boot_e820_add(table, max_entries, &n, LAYOUT_PCI_ECAM_START,
				  LAYOUT_PCI_ECAM_START + LAYOUT_PCI_ECAM_SIZE,
				  BOOTPARAM_E820_RESERVED);
	for (int i = 0; !r && i < mem->nr_regions; i++) {
		uint64_t start = mem->regions[i].gpa;
		uint64_t end = start + mem->regions[i].size;

		if (end < start) /* a region list from a fuzzer may wrap */
			end = UINT64_MAX;
		/* RAM minus [EBDA, 1 MiB): the part below and the part above. */
		r = boot_e820_add(table, max_entries, &n, start,
				  end < LAYOUT_EBDA_START ? end : LAYOUT_EBDA_START,
				  BOOTPARAM_E820_RAM);
		if (!r)
			r = boot_e820_add(table, max_entries, &n,
					  start > LAYOUT_HIMEM_START ? start : LAYOUT_HIMEM_START,
					  end, BOOTPARAM_E820_RAM);
	}
	if (r)
		return r;
	/* Insertion sort: a handful of entries. */
	for (int i = 1; i < n; i++) {
		struct bootparam_e820_entry e = table[i];
		int j = i - 1;

		while (j >= 0 && table[j].addr > e.addr) {
			table[j + 1] = table[j];
			j--;
		}
		table[j + 1] = e;
	}
	return n;
}

/* --- command line and initrd --------------------------------------------- */

static int boot_write_cmdline(const struct guest_mem *mem, const char *cmdline, uint64_t max_len,
			      char *err, size_t errlen)
{
	size_t len = cmdline ? strlen(cmdline) : 0;

	if (max_len > LAYOUT_CMDLINE_MAX - 1)
		max_len = LAYOUT_CMDLINE_MAX - 1;
	if (len > max_len)
		return boot_error(err, errlen, -E2BIG,
				  "command line is %zu bytes; this kernel accepts at most %llu",
				  len, (unsigned long long)max_len);
	if (guest_mem_write(mem, LAYOUT_CMDLINE_ADDR, cmdline ? cmdline : "", len + 1))
		return boot_error(err, errlen, -ENOMEM,
				  "guest memory too small for the command line at 0x%llx",
				  (unsigned long long)LAYOUT_CMDLINE_ADDR);
	return 0;
}

/* Load the initrd at the highest page-aligned address where it ends at or
 * below `limit` (exclusive) and starts at or above `floor`, as boot loaders
 * traditionally do: far from the kernel's decompression area. */
static int boot_load_initrd(const struct guest_mem *mem, const char *path, uint64_t floor,
			    uint64_t limit, uint64_t *addr, uint64_t *size, char *err,
			    size_t errlen)
{
	struct boot_file f;
	uint64_t at;
	int r;

	*addr = *size = 0;
	if (!path)
		return 0;
	r = boot_file_open(&f, "initrd", path, err, errlen);
	if (r)
		return r;
	if (f.size == 0) {
		boot_file_close(&f);
		return boot_error(err, errlen, -EINVAL, "initrd '%s': file is empty", path);
	}
	floor = (floor + BOOT_PAGE_SIZE - 1) & ~(BOOT_PAGE_SIZE - 1);
	if (f.size > limit || ((limit - f.size) & ~(BOOT_PAGE_SIZE - 1)) < floor) {
		boot_file_close(&f);
		return boot_error(
		    err, errlen, -ENOMEM,
		    "initrd '%s' (%llu MiB) does not fit in guest memory below 0x%llx", path,
		    (unsigned long long)boot_mib_round_up(f.size), (unsigned long long)(limit - 1));
	}
	at = (limit - f.size) & ~(BOOT_PAGE_SIZE - 1);
	r = boot_file_to_guest(mem, &f, 0, at, f.size, err, errlen);
	boot_file_close(&f);
	if (r)
		return r;
	*addr = at;
	*size = f.size;
	return 0;
}

/* --- bzImage ---------------------------------------------------------------- */

static int boot_fill_screen_info(struct bootparam_screen_info *si, const struct boot_config *cfg,
				 char *err, size_t errlen)
{
	uint64_t bytes = (uint64_t)cfg->fb_stride * cfg->fb_height;

	if (cfg->fb_width == 0 || cfg->fb_height == 0 || cfg->fb_width > UINT16_MAX ||
	    cfg->fb_height > UINT16_MAX || cfg->fb_stride > UINT16_MAX ||
	    cfg->fb_stride < (uint64_t)cfg->fb_width * 4 || bytes > UINT32_MAX)
		return boot_error(err, errlen, -EINVAL,
				  "framebuffer %ux%u (stride %u) cannot be described to the kernel",
				  cfg->fb_width, cfg->fb_height, cfg->fb_stride);
	/* An EFI-style framebuffer: efifb (built into distro kernels) drives it
	 * without any firmware calls. Pixels are 32-bit XRGB. */
	si->orig_video_isVGA = BOOTPARAM_VIDEO_TYPE_EFI;
	si->lfb_width = (uint16_t)cfg->fb_width;
	si->lfb_height = (uint16_t)cfg->fb_height;
	si->lfb_depth = 32;
	si->lfb_linelength = (uint16_t)cfg->fb_stride;
	si->lfb_base = (uint32_t)cfg->fb_addr;
	si->ext_lfb_base = (uint32_t)(cfg->fb_addr >> 32);
	if (si->ext_lfb_base)
		si->capabilities |= BOOTPARAM_VIDEO_CAP_64BIT_BASE;
	si->lfb_size = (uint32_t)bytes;
	si->red_size = si->green_size = si->blue_size = si->rsvd_size = 8;
	si->red_pos = 16;
	si->green_pos = 8;
	si->blue_pos = 0;
	si->rsvd_pos = 24;
	si->pages = 1;
	return 0;
}

static int boot_load_bzimage(struct guest_mem *mem, const struct boot_config *cfg,
			     struct boot_file *f, const uint8_t *probe, size_t probe_len,
			     struct boot_entry *out, char *err, size_t errlen)
{
	struct bootparam_zero_page zp;
	struct bootparam_setup_header hdr;
	uint64_t setup_size, code_size, need, load, low_end, limit, initrd_addr, initrd_size;
	size_t hdr_end;
	int n, r;

	/* The header ends where the jump at 0x200 lands: 0x202 + its offset. */
	hdr_end = 0x202 + probe[BOOTPARAM_HDR_JUMP_OFFSET + 1];
	if (hdr_end > BOOTPARAM_HDR_OFFSET + sizeof(hdr))
		hdr_end = BOOTPARAM_HDR_OFFSET + sizeof(hdr);
	if (hdr_end > probe_len)
		hdr_end = probe_len;
	memset(&hdr, 0, sizeof(hdr));
	memcpy(&hdr, probe + BOOTPARAM_HDR_OFFSET, hdr_end - BOOTPARAM_HDR_OFFSET);

	if (hdr.version < 0x020c)
		return boot_error(
		    err, errlen, -ENOEXEC,
		    "kernel '%s': boot protocol %u.%02u is too old; need 2.12 or later "
		    "with a 64-bit entry point",
		    f->path, hdr.version >> 8, hdr.version & 0xff);
	if (!(hdr.xloadflags & BOOTPARAM_XLF_KERNEL_64))
		return boot_error(err, errlen, -ENOEXEC,
				  "kernel '%s': bzImage has no 64-bit entry point (32-bit kernel?)",
				  f->path);

	setup_size = ((uint64_t)(hdr.setup_sects ? hdr.setup_sects : 4) + 1) * 512;
	code_size = (uint64_t)hdr.syssize * 16;
	if (setup_size >= f->size || code_size == 0 || code_size > f->size - setup_size)
		return boot_error(err, errlen, -ENOEXEC,
				  "kernel '%s': truncated bzImage: header says %llu + %llu bytes, "
				  "file has %llu",
				  f->path, (unsigned long long)setup_size,
				  (unsigned long long)code_size, (unsigned long long)f->size);

	/* The decompressor always runs its output at or above pref_address
	 * (LOAD_PHYSICAL_ADDR), relocatable or not; loading there keeps the
	 * footprint [load, load + init_size) honest. */
	need = hdr.init_size > code_size ? hdr.init_size : code_size;
	load = hdr.pref_address >= LAYOUT_HIMEM_START ? hdr.pref_address : LAYOUT_HIMEM_START;
	low_end = boot_low_ram_end(mem);
	if (load >= low_end || need > low_end - load)
		return boot_error(err, errlen, -ENOMEM,
				  "kernel '%s' needs %llu MiB of RAM at 0x%llx (init_size), "
				  "guest RAM below 0x%llx is too small",
				  f->path, (unsigned long long)boot_mib_round_up(need),
				  (unsigned long long)load, (unsigned long long)low_end);
	if (hdr.relocatable_kernel == 0 && hdr.pref_address < LAYOUT_HIMEM_START)
		return boot_error(err, errlen, -ENOEXEC,
				  "kernel '%s': not relocatable and has no usable pref_address",
				  f->path);
	r = boot_file_to_guest(mem, f, setup_size, load, code_size, err, errlen);
	if (r)
		return r;

	/* Zero page: zeros, then the kernel's own setup header, then our fields. */
	memset(&zp, 0, sizeof(zp));
	memcpy(&zp.hdr, probe + BOOTPARAM_HDR_OFFSET, hdr_end - BOOTPARAM_HDR_OFFSET);
	zp.hdr.type_of_loader = BOOTPARAM_LOADER_UNDEFINED;
	zp.hdr.loadflags |= BOOTPARAM_LOADED_HIGH | BOOTPARAM_CAN_USE_HEAP;
	/* Only the 16-bit setup code we skip uses the heap; give the usual value. */
	zp.hdr.heap_end_ptr = 0xfe00;
	zp.hdr.ext_loader_ver = 0;

	r = boot_write_cmdline(mem, cfg->cmdline, hdr.cmdline_size, err, errlen);
	if (r)
		return r;
	zp.hdr.cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE_ADDR;
	zp.ext_cmd_line_ptr = (uint32_t)(LAYOUT_CMDLINE_ADDR >> 32);

	limit = (uint64_t)hdr.initrd_addr_max + 1;
	if (limit > low_end)
		limit = low_end;
	r = boot_load_initrd(mem, cfg->initrd_path, load + need, limit, &initrd_addr, &initrd_size,
			     err, errlen);
	if (r)
		return r;
	zp.hdr.ramdisk_image = (uint32_t)initrd_addr;
	zp.ext_ramdisk_image = (uint32_t)(initrd_addr >> 32);
	zp.hdr.ramdisk_size = (uint32_t)initrd_size;
	zp.ext_ramdisk_size = (uint32_t)(initrd_size >> 32);

	if (hdr.version >= 0x020e)
		zp.acpi_rsdp_addr = cfg->rsdp_addr;
	if (cfg->fb_addr) {
		r = boot_fill_screen_info(&zp.screen_info, cfg, err, errlen);
		if (r)
			return r;
	}

	n = boot_e820_build(mem, zp.e820_table, BOOTPARAM_E820_MAX_ZEROPAGE);
	if (n < 0)
		return boot_error(err, errlen, n, "too many e820 entries");
	zp.e820_entries = (uint8_t)n;

	if (guest_mem_write(mem, LAYOUT_ZERO_PAGE_ADDR, &zp, sizeof(zp)))
		return boot_error(err, errlen, -ENOMEM, "guest memory too small for the zero page");

	out->mode = BOOT_MODE_LINUX64;
	out->entry = load + BOOT_LINUX64_ENTRY_OFFSET;
	out->params = LAYOUT_ZERO_PAGE_ADDR;
	out->kernel_start = load;
	out->kernel_end = load + need;
	out->initrd_addr = initrd_addr;
	out->initrd_size = initrd_size;
	return 0;
}

/* --- ELF vmlinux (PVH) ------------------------------------------------------ */

/* Program header fields we use, whatever the ELF class. */
struct boot_phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

struct boot_elf {
	bool is64;
	uint64_t phoff;
	uint16_t phnum, phentsize;
};

static int boot_elf_parse_header(const struct boot_file *f, const uint8_t *probe, size_t probe_len,
				 struct boot_elf *elf, char *err, size_t errlen)
{
	uint16_t machine, type;

	if (probe_len < EI_NIDENT)
		goto truncated;
	if (probe[EI_DATA] != ELFDATA2LSB)
		return boot_error(err, errlen, -ENOEXEC,
				  "kernel '%s': not a little-endian ELF file", f->path);
	elf->is64 = probe[EI_CLASS] == ELFCLASS64;
	if (elf->is64) {
		Elf64_Ehdr eh;

		if (probe_len < sizeof(eh))
			goto truncated;
		memcpy(&eh, probe, sizeof(eh));
		machine = eh.e_machine;
		type = eh.e_type;
		elf->phoff = eh.e_phoff;
		elf->phnum = eh.e_phnum;
		elf->phentsize = eh.e_phentsize;
		if (elf->phentsize < sizeof(Elf64_Phdr))
			goto bad_phdrs;
	} else if (probe[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		if (probe_len < sizeof(eh))
			goto truncated;
		memcpy(&eh, probe, sizeof(eh));
		machine = eh.e_machine;
		type = eh.e_type;
		elf->phoff = eh.e_phoff;
		elf->phnum = eh.e_phnum;
		elf->phentsize = eh.e_phentsize;
		if (elf->phentsize < sizeof(Elf32_Phdr))
			goto bad_phdrs;
	} else {
		return boot_error(err, errlen, -ENOEXEC, "kernel '%s': unknown ELF class %u",
				  f->path, probe[EI_CLASS]);
	}
	if (machine != EM_X86_64 && machine != EM_386)
		return boot_error(err, errlen, -ENOEXEC,
				  "kernel '%s': ELF file is not for x86 (e_machine %u)", f->path,
				  machine);
	if (type != ET_EXEC)
		return boot_error(err, errlen, -ENOEXEC,
				  "kernel '%s': ELF file is not an executable (e_type %u)", f->path,
				  type);
	if (elf->phnum == 0 || elf->phoff > f->size ||
	    (uint64_t)elf->phnum * elf->phentsize > f->size - elf->phoff)
		goto bad_phdrs;
	return 0;

truncated:
	return boot_error(err, errlen, -ENOEXEC, "kernel '%s': truncated ELF header", f->path);
bad_phdrs:
	return boot_error(err, errlen, -ENOEXEC,
			  "kernel '%s': ELF program headers missing or outside the file", f->path);
}

static int boot_elf_phdr(const struct boot_file *f, const struct boot_elf *elf, int i,
			 struct boot_phdr *ph, char *err, size_t errlen)
{
	uint64_t off = elf->phoff + (uint64_t)i * elf->phentsize; /* checked in parse_header */
	int r;

	if (elf->is64) {
		Elf64_Phdr p;

		r = boot_file_read(f, off, &p, sizeof(p), err, errlen);
		if (r)
			return r;
		*ph = (struct boot_phdr){p.p_type, p.p_offset, p.p_paddr, p.p_filesz, p.p_memsz};
	} else {
		Elf32_Phdr p;

		r = boot_file_read(f, off, &p, sizeof(p), err, errlen);
		if (r)
			return r;
		*ph = (struct boot_phdr){p.p_type, p.p_offset, p.p_paddr, p.p_filesz, p.p_memsz};
	}
	return 0;
}

/* Look for the Xen PHYS32_ENTRY note in one PT_NOTE segment. Returns 1 and
 * sets *entry if found, 0 if not, -errno on a read error. Notes are walked
 * with every length checked against what is left of the segment. */
static int boot_elf_find_pvh_note(const struct boot_file *f, const struct boot_phdr *ph,
				  uint64_t *entry, char *err, size_t errlen)
{
	uint8_t *buf;
	uint64_t pos = 0, len = ph->filesz;
	int r, found = 0;

	if (len == 0 || len > BOOT_NOTE_MAX)
		return 0;
	buf = malloc(len);
	if (!buf)
		return boot_error(err, errlen, -ENOMEM, "out of memory");
	r = boot_file_read(f, ph->offset, buf, len, err, errlen);
	if (r) {
		free(buf);
		return r;
	}
	while (!found && len - pos >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_pad, desc_pad;

		memcpy(&namesz, buf + pos, 4);
		memcpy(&descsz, buf + pos + 4, 4);
		memcpy(&type, buf + pos + 8, 4);
		pos += 12;
		name_pad = ((uint64_t)namesz + 3) & ~3ULL;
		desc_pad = ((uint64_t)descsz + 3) & ~3ULL;
		if (name_pad > len - pos || desc_pad > len - pos - name_pad)
			break; /* runs off the segment: ignore the rest */
		if (namesz == 4 && memcmp(buf + pos, "Xen", 4) == 0 &&
		    type == BOOTPARAM_XEN_ELFNOTE_PHYS32_ENTRY && (descsz == 4 || descsz == 8)) {
			uint64_t v = 0;

			memcpy(&v, buf + pos + name_pad, descsz);
			*entry = v;
			found = 1;
		}
		pos += name_pad + desc_pad;
	}
	free(buf);
	return found;
}

static int boot_load_elf(struct guest_mem *mem, const struct boot_config *cfg, struct boot_file *f,
			 const uint8_t *probe, size_t probe_len, struct boot_entry *out, char *err,
			 size_t errlen)
{
	struct bootparam_e820_entry e820[BOOT_PVH_MEMMAP_MAX];
	struct bootparam_hvm_memmap_entry mm;
	struct bootparam_hvm_modlist_entry mod;
	struct bootparam_hvm_start_info si;
	struct boot_elf elf = {0};
	struct boot_phdr ph;
	uint64_t entry = 0, kstart = UINT64_MAX, kend = 0, initrd_addr, initrd_size;
	int r, n, found = 0, nr_load = 0;

	r = boot_elf_parse_header(f, probe, probe_len, &elf, err, errlen);
	if (r)
		return r;

	/* Pass 1: find the entry and check every segment before writing any. */
	for (int i = 0; i < elf.phnum; i++) {
		r = boot_elf_phdr(f, &elf, i, &ph, err, errlen);
		if (r)
			return r;
		if (ph.type == PT_NOTE && !found) {
			found = boot_elf_find_pvh_note(f, &ph, &entry, err, errlen);
			if (found < 0)
				return found;
		}
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (ph.filesz > ph.memsz)
			return boot_error(
			    err, errlen, -ENOEXEC,
			    "kernel '%s': ELF segment %d has more file bytes than memory", f->path,
			    i);
		if (ph.offset > f->size || ph.filesz > f->size - ph.offset)
			return boot_error(err, errlen, -ENOEXEC,
					  "kernel '%s': ELF segment %d lies outside the file",
					  f->path, i);
		if (ph.paddr > UINT64_MAX - ph.memsz)
			return boot_error(
			    err, errlen, -ENOEXEC,
			    "kernel '%s': ELF segment %d wraps around the address space", f->path,
			    i);
		if (ph.paddr < LAYOUT_HIMEM_START)
			return boot_error(err, errlen, -ENOEXEC,
					  "kernel '%s': ELF segment %d at 0x%llx overlaps the boot "
					  "area below 1 MiB",
					  f->path, i, (unsigned long long)ph.paddr);
		if (!guest_mem_ptr(mem, ph.paddr, ph.memsz))
			return boot_error(err, errlen, -ENOMEM,
					  "kernel '%s': ELF segment %d (0x%llx-0x%llx) is outside "
					  "guest RAM",
					  f->path, i, (unsigned long long)ph.paddr,
					  (unsigned long long)(ph.paddr + ph.memsz - 1));
		if (ph.paddr < kstart)
			kstart = ph.paddr;
		if (ph.paddr + ph.memsz > kend)
			kend = ph.paddr + ph.memsz;
		nr_load++;
	}
	if (!found)
		return boot_error(err, errlen, -ENOEXEC,
				  "kernel '%s': ELF file has no PVH entry note "
				  "(XEN_ELFNOTE_PHYS32_ENTRY); build it with CONFIG_PVH=y or use "
				  "the bzImage",
				  f->path);
	if (nr_load == 0)
		return boot_error(err, errlen, -ENOEXEC,
				  "kernel '%s': ELF file has nothing to load", f->path);
	if (entry >= LAYOUT_LOWMEM_END || entry < kstart || entry >= kend)
		return boot_error(err, errlen, -ENOEXEC,
				  "kernel '%s': PVH entry 0x%llx is outside the loaded kernel",
				  f->path, (unsigned long long)entry);

	/* Pass 2: load. */
	for (int i = 0; i < elf.phnum; i++) {
		void *dst;

		r = boot_elf_phdr(f, &elf, i, &ph, err, errlen);
		if (r)
			return r;
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		dst = guest_mem_ptr(mem, ph.paddr, ph.memsz);
		if (!dst) /* the file changed between the passes */
			return boot_error(err, errlen, -EIO, "kernel '%s': changed while loading",
					  f->path);
		r = boot_file_to_guest(mem, f, ph.offset, ph.paddr, ph.filesz, err, errlen);
		if (r)
			return r;
		memset((uint8_t *)dst + ph.filesz, 0, ph.memsz - ph.filesz);
	}

	/* The kernel copies what it needs; no header tells its limit. */
	r = boot_write_cmdline(mem, cfg->cmdline, LAYOUT_CMDLINE_MAX - 1, err, errlen);
	if (r)
		return r;
	r = boot_load_initrd(mem, cfg->initrd_path, kend, boot_low_ram_end(mem), &initrd_addr,
			     &initrd_size, err, errlen);
	if (r)
		return r;

	n = boot_e820_build(mem, e820, (int)BOOT_PVH_MEMMAP_MAX);
	if (n < 0)
		return boot_error(err, errlen, n, "too many memory map entries");
	for (int i = 0; i < n; i++) {
		mm = (struct bootparam_hvm_memmap_entry){
		    .addr = e820[i].addr, .size = e820[i].size, .type = e820[i].type};
		if (guest_mem_write(mem, LAYOUT_PVH_MEMMAP_ADDR + (uint64_t)i * sizeof(mm), &mm,
				    sizeof(mm)))
			goto too_small;
	}

	memset(&si, 0, sizeof(si));
	si.magic = BOOTPARAM_HVM_START_MAGIC;
	si.version = 1;
	si.cmdline_paddr = LAYOUT_CMDLINE_ADDR;
	si.rsdp_paddr = cfg->rsdp_addr;
	si.memmap_paddr = LAYOUT_PVH_MEMMAP_ADDR;
	si.memmap_entries = (uint32_t)n;
	if (initrd_size) {
		mod =
		    (struct bootparam_hvm_modlist_entry){.paddr = initrd_addr, .size = initrd_size};
		if (guest_mem_write(mem, BOOT_PVH_MODLIST_ADDR, &mod, sizeof(mod)))
			goto too_small;
		si.nr_modules = 1;
		si.modlist_paddr = BOOT_PVH_MODLIST_ADDR;
	}
	if (guest_mem_write(mem, LAYOUT_PVH_INFO_ADDR, &si, sizeof(si)))
		goto too_small;

	out->mode = BOOT_MODE_PVH;
	out->entry = entry;
	out->params = LAYOUT_PVH_INFO_ADDR;
	out->kernel_start = kstart;
	out->kernel_end = kend;
	out->initrd_addr = initrd_addr;
	out->initrd_size = initrd_size;
	return 0;

too_small:
	return boot_error(err, errlen, -ENOMEM, "guest memory too small for the PVH start info");
}

/* --- GDT, page tables, vCPU ------------------------------------------------- */

/* One 8-byte descriptor: flags are the G/DB/L/AVL nibble, access the P/DPL/S/type byte. */
static uint64_t boot_gdt_entry(uint8_t flags, uint8_t access, uint32_t base, uint32_t limit)
{
	return (limit & 0xffffULL) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

#define BOOT_GDT_ACCESS_CODE 0x9b /* present, code, execute/read, accessed */
#define BOOT_GDT_ACCESS_DATA 0x93 /* present, data, read/write, accessed */
#define BOOT_GDT_FLAGS_64    0xa  /* G, L */
#define BOOT_GDT_FLAGS_32    0xc  /* G, D/B */

static int boot_write_tables(const struct guest_mem *mem, enum boot_mode mode)
{
	uint64_t gdt[BOOT_GDT_ENTRIES] = {0};
	uint64_t *pml4, *pdpt, *pd;

	gdt[BOOT_SEL_CODE / 8] =
	    boot_gdt_entry(mode == BOOT_MODE_LINUX64 ? BOOT_GDT_FLAGS_64 : BOOT_GDT_FLAGS_32,
			   BOOT_GDT_ACCESS_CODE, 0, 0xfffff);
	gdt[BOOT_SEL_DATA / 8] =
	    boot_gdt_entry(BOOT_GDT_FLAGS_32, BOOT_GDT_ACCESS_DATA, 0, 0xfffff);
	if (guest_mem_write(mem, LAYOUT_GDT_ADDR, gdt, sizeof(gdt)))
		return -ENOMEM;
	if (mode != BOOT_MODE_LINUX64)
		return 0;

	/* Identity map of 0..4 GiB with 2 MiB pages: covers the kernel, the
	 * zero page and the command line wherever they are below 4 GiB. */
	pml4 = guest_mem_ptr(mem, LAYOUT_PML4_ADDR, BOOT_PAGE_SIZE);
	pdpt = guest_mem_ptr(mem, LAYOUT_PDPT_ADDR, BOOT_PAGE_SIZE);
	pd = guest_mem_ptr(mem, LAYOUT_PD_ADDR, 4 * BOOT_PAGE_SIZE);
	if (!pml4 || !pdpt || !pd)
		return -ENOMEM;
	memset(pml4, 0, BOOT_PAGE_SIZE);
	memset(pdpt, 0, BOOT_PAGE_SIZE);
	pml4[0] = LAYOUT_PDPT_ADDR | PTE_PRESENT | PTE_RW;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD_ADDR + i * BOOT_PAGE_SIZE) | PTE_PRESENT | PTE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_RW | PTE_PS;
	return 0;
}

static struct kvm_segment boot_kvm_segment(uint16_t selector, uint8_t type, bool code64)
{
	return (struct kvm_segment){
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = selector,
	    .type = type,
	    .present = 1,
	    .dpl = 0,
	    .db = code64 ? 0 : 1,
	    .s = 1,
	    .l = code64 ? 1 : 0,
	    .g = 1,
	};
}

int boot_setup_vcpu(int vcpu_fd, struct guest_mem *mem, const struct boot_entry *entry, char *err,
		    size_t errlen)
{
	bool lm = entry->mode == BOOT_MODE_LINUX64;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_segment data;

	if (boot_write_tables(mem, entry->mode))
		return boot_error(err, errlen, -ENOMEM,
				  "guest memory too small for the boot GDT and page tables");
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return boot_error(err, errlen, -errno, "KVM_GET_SREGS: %s", strerror(errno));

	sregs.cs = boot_kvm_segment(BOOT_SEL_CODE, BOOT_GDT_ACCESS_CODE & 0xf, lm);
	data = boot_kvm_segment(BOOT_SEL_DATA, BOOT_GDT_ACCESS_DATA & 0xf, false);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	/* TR as after reset (busy 32-bit TSS): VMX refuses an unusable TR and
	 * the kernel loads its own before it needs one. */
	sregs.tr = (struct kvm_segment){.limit = 0xffff, .type = 11, .present = 1};
	sregs.ldt = (struct kvm_segment){.limit = 0xffff, .type = 2, .present = 1};
	sregs.gdt.base = LAYOUT_GDT_ADDR;
	sregs.gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr2 = 0;
	memset(sregs.interrupt_bitmap, 0, sizeof(sregs.interrupt_bitmap));
	if (lm) {
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
		sregs.cr3 = LAYOUT_PML4_ADDR;
		sregs.cr4 = X86_CR4_PAE;
		sregs.efer = X86_EFER_LME | X86_EFER_LMA;
	} else {
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.efer = 0;
	}
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return boot_error(err, errlen, -errno, "KVM_SET_SREGS: %s", strerror(errno));

	memset(&regs, 0, sizeof(regs));
	regs.rflags = X86_RFLAGS_RESERVED; /* interrupts off */
	regs.rip = entry->entry;
	if (lm) {
		regs.rsi = entry->params;
		regs.rsp = regs.rbp = BOOT_STACK_TOP;
	} else {
		regs.rbx = entry->params;
	}
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return boot_error(err, errlen, -errno, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

/* --- entry point ------------------------------------------------------------ */

int boot_load(struct guest_mem *mem, const struct boot_config *cfg, struct boot_entry *out,
	      char *err, size_t errlen)
{
	uint8_t probe[BOOT_PROBE_SIZE] = {0};
	size_t probe_len;
	struct boot_file f;
	uint32_t magic = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (!cfg->kernel_path || !*cfg->kernel_path)
		return boot_error(err, errlen, -EINVAL, "no kernel given");
	if (boot_low_ram_end(mem) < LAYOUT_HIMEM_START)
		return boot_error(err, errlen, -ENOMEM,
				  "guest memory too small: needs more than 1 MiB to boot Linux");
	r = boot_file_open(&f, "kernel", cfg->kernel_path, err, errlen);
	if (r)
		return r;
	probe_len = f.size < sizeof(probe) ? (size_t)f.size : sizeof(probe);
	r = boot_file_read(&f, 0, probe, probe_len, err, errlen);
	if (r)
		goto out;
	if (probe_len >= 0x206)
		memcpy(&magic, probe + 0x202, 4);
	if (probe_len >= SELFMAG && memcmp(probe, ELFMAG, SELFMAG) == 0)
		r = boot_load_elf(mem, cfg, &f, probe, probe_len, out, err, errlen);
	else if (magic == BOOTPARAM_HDRS_MAGIC)
		r = boot_load_bzimage(mem, cfg, &f, probe, probe_len, out, err, errlen);
	else if (f.size == 0)
		r = boot_error(err, errlen, -ENOEXEC,
			       "kernel '%s': empty file, not a bzImage or ELF vmlinux", f.path);
	else
		r = boot_error(err, errlen, -ENOEXEC, "kernel '%s': not a bzImage or ELF vmlinux",
			       f.path);
	if (!r && boot_write_tables(mem, out->mode))
		r = boot_error(err, errlen, -ENOMEM,
			       "guest memory too small for the boot GDT and page tables");
out:
	boot_file_close(&f);
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}
