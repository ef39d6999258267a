/* Linux boot loader of virtty-vmm: loads a bzImage (64-bit boot protocol)
 * or an ELF vmlinux with a PVH note, the initrd and the command line, and
 * puts the boot vCPU into the state the kernel's entry point expects. */
#ifndef VIRTTY_VMM_BOOT_H
#define VIRTTY_VMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "bootparam.h"

struct guest_mem;

enum boot_mode { BOOT_MODE_LINUX64, BOOT_MODE_PVH };

struct boot_config {
	const char *kernel_path; /* bzImage, or ELF vmlinux with a PVH note */
	const char *initrd_path; /* may be NULL */
	const char *cmdline;	 /* may be NULL */
	uint64_t rsdp_addr;	 /* where the ACPI RSDP is (LAYOUT_ACPI_ADDR), 0 if none */
	/* Optional linear framebuffer (32 bpp XRGB) described in
	 * boot_params.screen_info as an EFI framebuffer; 0 = none. bzImage only. */
	uint64_t fb_addr;
	uint32_t fb_width, fb_height, fb_stride;
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t entry;	 /* RIP (64-bit) or EIP (PVH, 32-bit protected mode, paging off) */
	uint64_t params; /* RSI: zero page (LINUX64) or EBX: hvm_start_info (PVH) */
	/* Where things went, for logs and tests. */
	uint64_t kernel_start, kernel_end; /* memory the kernel may use (bzImage: init_size) */
	uint64_t initrd_addr, initrd_size; /* 0, 0 without an initrd */
};

/* Load kernel, initrd and command line into guest memory and build the zero
 * page (bzImage) or hvm_start_info (PVH), the e820 map and the boot GDT and
 * page tables. Returns 0 or -errno with a message in err. */
int boot_load(struct guest_mem *mem, const struct boot_config *cfg, struct boot_entry *out,
	      char *err, size_t errlen);

/* Put the boot vCPU into the state `entry` expects: 64-bit long mode with
 * the first 4 GiB identity-mapped (LINUX64), or flat 32-bit protected mode
 * with paging off (PVH). Also rewrites the GDT and page tables in guest
 * memory, so it is enough after a reset. Application processors are not
 * touched: they wait for INIT/SIPI from the kernel. */
int boot_setup_vcpu(int vcpu_fd, struct guest_mem *mem, const struct boot_entry *entry, char *err,
		    size_t errlen);

/* The e820 map of `mem` (only its region list is read): RAM below 640 KiB,
 * 0x9FC00..1 MiB reserved (EBDA, BIOS area, ACPI tables), RAM from 1 MiB, the
 * PCIe ECAM window reserved, RAM above 4 GiB; the rest of the 32-bit hole is
 * absent. Entries are sorted by address. Returns the number of entries or
 * -E2BIG if `max_entries` is too small. */
int boot_e820_build(const struct guest_mem *mem, struct bootparam_e820_entry *table,
		    int max_entries);

#endif
