/* Binary structures a Linux x86 boot loader hands to the kernel: the setup
 * header and zero page of the boot protocol (Documentation/arch/x86/boot.rst,
 * zero-page.rst) and the PVH start info (Xen public arch-x86/hvm/start_info.h).
 * Written from those documents; fields we never touch are reserved bytes. */
#ifndef VIRTTY_VMM_BOOTPARAM_H
#define VIRTTY_VMM_BOOTPARAM_H

#include <stddef.h>
#include <stdint.h>

/* --- Linux boot protocol ------------------------------------------------ */

#define BOOTPARAM_HDRS_MAGIC	  0x53726448U /* "HdrS" at 0x202 */
#define BOOTPARAM_HDR_OFFSET	  0x1f1	      /* setup header, in the file and the zero page */
#define BOOTPARAM_HDR_JUMP_OFFSET 0x200	      /* 2-byte jump; its 2nd byte gives the header end */

/* loadflags */
#define BOOTPARAM_LOADED_HIGH	0x01
#define BOOTPARAM_KEEP_SEGMENTS 0x40
#define BOOTPARAM_CAN_USE_HEAP	0x80

/* xloadflags */
#define BOOTPARAM_XLF_KERNEL_64		     0x01
#define BOOTPARAM_XLF_CAN_BE_LOADED_ABOVE_4G 0x02

/* type_of_loader: 0xff = "undefined / other", what hand-made loaders use. */
#define BOOTPARAM_LOADER_UNDEFINED 0xff

struct bootparam_setup_header {
	uint8_t setup_sects;		/* 0x1f1: 512-byte sectors of real-mode code, 0 = 4 */
	uint16_t root_flags;		/* 0x1f2 */
	uint32_t syssize;		/* 0x1f4: protected-mode code, 16-byte units (2.04+) */
	uint16_t ram_size;		/* 0x1f8 */
	uint16_t vid_mode;		/* 0x1fa */
	uint16_t root_dev;		/* 0x1fc */
	uint16_t boot_flag;		/* 0x1fe: 0xaa55 */
	uint16_t jump;			/* 0x200 */
	uint32_t header;		/* 0x202: "HdrS" */
	uint16_t version;		/* 0x206: 0x020f = 2.15 */
	uint32_t realmode_swtch;	/* 0x208 */
	uint16_t start_sys_seg;		/* 0x20c */
	uint16_t kernel_version;	/* 0x20e */
	uint8_t type_of_loader;		/* 0x210 */
	uint8_t loadflags;		/* 0x211 */
	uint16_t setup_move_size;	/* 0x212 */
	uint32_t code32_start;		/* 0x214 */
	uint32_t ramdisk_image;		/* 0x218 */
	uint32_t ramdisk_size;		/* 0x21c */
	uint32_t bootsect_kludge;	/* 0x220 */
	uint16_t heap_end_ptr;		/* 0x224 */
	uint8_t ext_loader_ver;		/* 0x226 */
	uint8_t ext_loader_type;	/* 0x227 */
	uint32_t cmd_line_ptr;		/* 0x228 */
	uint32_t initrd_addr_max;	/* 0x22c: highest byte address the initrd may use (2.03+) */
	uint32_t kernel_alignment;	/* 0x230 */
	uint8_t relocatable_kernel;	/* 0x234 */
	uint8_t min_alignment;		/* 0x235 */
	uint16_t xloadflags;		/* 0x236 (2.12+) */
	uint32_t cmdline_size;		/* 0x238: max command line length without the NUL (2.06+) */
	uint32_t hardware_subarch;	/* 0x23c */
	uint64_t hardware_subarch_data; /* 0x240 */
	uint32_t payload_offset;	/* 0x248 */
	uint32_t payload_length;	/* 0x24c */
	uint64_t setup_data;		/* 0x250 */
	uint64_t pref_address;		/* 0x258 (2.10+) */
	uint32_t init_size;		/* 0x260: bytes the kernel needs from its load address */
	uint32_t handover_offset;	/* 0x264 */
	uint32_t kernel_info_offset;	/* 0x268 (2.15+) */
} __attribute__((packed));

#define BOOTPARAM_E820_RAM	    1
#define BOOTPARAM_E820_RESERVED	    2
#define BOOTPARAM_E820_ACPI	    3
#define BOOTPARAM_E820_MAX_ZEROPAGE 128

struct bootparam_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* screen_info (zero page 0x000), used to describe a linear framebuffer. */
#define BOOTPARAM_VIDEO_TYPE_EFI       0x70
#define BOOTPARAM_VIDEO_CAP_64BIT_BASE 0x02

struct bootparam_screen_info {
	uint8_t orig_x, orig_y;		 /* 0x00 */
	uint16_t ext_mem_k;		 /* 0x02 */
	uint16_t orig_video_page;	 /* 0x04 */
	uint8_t orig_video_mode;	 /* 0x06 */
	uint8_t orig_video_cols;	 /* 0x07 */
	uint8_t flags, unused2;		 /* 0x08 */
	uint16_t orig_video_ega_bx;	 /* 0x0a */
	uint16_t unused3;		 /* 0x0c */
	uint8_t orig_video_lines;	 /* 0x0e */
	uint8_t orig_video_isVGA;	 /* 0x0f: video type */
	uint16_t orig_video_points;	 /* 0x10 */
	uint16_t lfb_width;		 /* 0x12 */
	uint16_t lfb_height;		 /* 0x14 */
	uint16_t lfb_depth;		 /* 0x16: bits per pixel */
	uint32_t lfb_base;		 /* 0x18 */
	uint32_t lfb_size;		 /* 0x1c: bytes for an EFI framebuffer */
	uint16_t cl_magic, cl_offset;	 /* 0x20 */
	uint16_t lfb_linelength;	 /* 0x24: bytes per line */
	uint8_t red_size, red_pos;	 /* 0x26 */
	uint8_t green_size, green_pos;	 /* 0x28 */
	uint8_t blue_size, blue_pos;	 /* 0x2a */
	uint8_t rsvd_size, rsvd_pos;	 /* 0x2c */
	uint16_t vesapm_seg, vesapm_off; /* 0x2e */
	uint16_t pages;			 /* 0x32 */
	uint16_t vesa_attributes;	 /* 0x34 */
	uint32_t capabilities;		 /* 0x36 */
	uint32_t ext_lfb_base;		 /* 0x3a: lfb_base bits 63:32 */
	uint8_t reserved[2];		 /* 0x3e */
} __attribute__((packed));

/* The zero page ("struct boot_params"), 4 KiB. */
struct bootparam_zero_page {
	struct bootparam_screen_info screen_info; /* 0x000 */
	uint8_t reserved_040[0x070 - 0x040];	  /* apm, tboot, ist */
	uint64_t acpi_rsdp_addr;		  /* 0x070 (2.14+) */
	uint8_t reserved_078[0x0c0 - 0x078];
	uint32_t ext_ramdisk_image;	     /* 0x0c0: ramdisk_image bits 63:32 */
	uint32_t ext_ramdisk_size;	     /* 0x0c4 */
	uint32_t ext_cmd_line_ptr;	     /* 0x0c8 */
	uint8_t reserved_0cc[0x1e8 - 0x0cc]; /* edid, efi_info, alt_mem_k, scratch */
	uint8_t e820_entries;		     /* 0x1e8 */
	uint8_t reserved_1e9[0x1ef - 0x1e9];
	uint8_t sentinel; /* 0x1ef: must stay 0 */
	uint8_t reserved_1f0;
	struct bootparam_setup_header hdr;   /* 0x1f1 */
	uint8_t reserved_26c[0x2d0 - 0x26c]; /* edd_mbr_sig_buffer */
	struct bootparam_e820_entry e820_table[BOOTPARAM_E820_MAX_ZEROPAGE]; /* 0x2d0 */
	uint8_t reserved_cd0[0x1000 - 0xcd0];				     /* eddbuf */
} __attribute__((packed));

_Static_assert(sizeof(struct bootparam_setup_header) == 0x26c - 0x1f1, "setup header size");
_Static_assert(offsetof(struct bootparam_setup_header, header) == 0x202 - 0x1f1, "HdrS offset");
_Static_assert(offsetof(struct bootparam_setup_header, type_of_loader) == 0x210 - 0x1f1,
	       "type_of_loader offset");
_Static_assert(offsetof(struct bootparam_setup_header, cmd_line_ptr) == 0x228 - 0x1f1,
	       "cmd_line_ptr offset");
_Static_assert(offsetof(struct bootparam_setup_header, xloadflags) == 0x236 - 0x1f1,
	       "xloadflags offset");
_Static_assert(offsetof(struct bootparam_setup_header, pref_address) == 0x258 - 0x1f1,
	       "pref_address offset");
_Static_assert(offsetof(struct bootparam_setup_header, init_size) == 0x260 - 0x1f1,
	       "init_size offset");
_Static_assert(sizeof(struct bootparam_screen_info) == 0x40, "screen_info size");
_Static_assert(offsetof(struct bootparam_screen_info, lfb_linelength) == 0x24, "lfb_linelength");
_Static_assert(offsetof(struct bootparam_screen_info, capabilities) == 0x36, "capabilities");
_Static_assert(sizeof(struct bootparam_e820_entry) == 20, "e820 entry size");
_Static_assert(offsetof(struct bootparam_zero_page, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct bootparam_zero_page, ext_ramdisk_image) == 0x0c0, "ext_ramdisk");
_Static_assert(offsetof(struct bootparam_zero_page, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(offsetof(struct bootparam_zero_page, sentinel) == 0x1ef, "sentinel");
_Static_assert(offsetof(struct bootparam_zero_page, hdr) == 0x1f1, "setup header in zero page");
_Static_assert(offsetof(struct bootparam_zero_page, e820_table) == 0x2d0, "e820_table");
_Static_assert(sizeof(struct bootparam_zero_page) == 4096, "zero page is one page");

/* --- PVH boot ABI --------------------------------------------------------- */

#define BOOTPARAM_XEN_ELFNOTE_PHYS32_ENTRY 18
#define BOOTPARAM_HVM_START_MAGIC	   0x336ec578U

struct bootparam_hvm_start_info {
	uint32_t magic;		 /* 0x00 */
	uint32_t version;	 /* 0x04: 1 = memmap fields valid */
	uint32_t flags;		 /* 0x08 */
	uint32_t nr_modules;	 /* 0x0c */
	uint64_t modlist_paddr;	 /* 0x10 */
	uint64_t cmdline_paddr;	 /* 0x18 */
	uint64_t rsdp_paddr;	 /* 0x20 */
	uint64_t memmap_paddr;	 /* 0x28 (version 1) */
	uint32_t memmap_entries; /* 0x30 (version 1) */
	uint32_t reserved;	 /* 0x34 */
};

struct bootparam_hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

/* Types are the e820 ones. */
struct bootparam_hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

_Static_assert(sizeof(struct bootparam_hvm_start_info) == 56, "hvm_start_info size");
_Static_assert(offsetof(struct bootparam_hvm_start_info, rsdp_paddr) == 0x20, "rsdp_paddr");
_Static_assert(offsetof(struct bootparam_hvm_start_info, memmap_entries) == 0x30, "memmap_entries");
_Static_assert(sizeof(struct bootparam_hvm_modlist_entry) == 32, "hvm_modlist_entry size");
_Static_assert(sizeof(struct bootparam_hvm_memmap_entry) == 24, "hvm_memmap_table_entry size");

#endif
