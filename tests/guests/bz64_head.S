/* Head of bz64.bin, a tiny guest in bzImage format: the real-mode setup
 * sectors with the setup header ("HdrS", 64-bit entry advertised), then
 * the protected-mode part, whose 64-bit entry sits at offset 0x200. */

#define SETUP_SECTS       1          /* setup = boot sector + 1 sector */
#define LOADFLAG_LOADED_HIGH 0x01
#define XLF_KERNEL_64     0x0001
#define BOOT_PROTOCOL     0x020f

	.section .bz.setup, "a"
	.code16
	.org 0x1f1
hdr:
	.byte SETUP_SECTS                /* 0x1f1 setup_sects */
	.word 0                          /* 0x1f2 root_flags */
	.long bz64_syssize               /* 0x1f4 syssize (16-byte units) */
	.word 0                          /* 0x1f8 ram_size (obsolete) */
	.word 0xffff                     /* 0x1fa vid_mode: normal */
	.word 0                          /* 0x1fc root_dev */
	.word 0xaa55                     /* 0x1fe boot_flag */
	/* 0x200: real-mode entry (jump over the header) */
	jmp setup_realmode
	.ascii "HdrS"                    /* 0x202 header */
	.word BOOT_PROTOCOL              /* 0x206 version */
	.long 0                          /* 0x208 realmode_swtch */
	.word 0                          /* 0x20c start_sys_seg */
	.word 0                          /* 0x20e kernel_version: none */
	.byte 0                          /* 0x210 type_of_loader (loader fills) */
	.byte LOADFLAG_LOADED_HIGH       /* 0x211 loadflags */
	.word 0                          /* 0x212 setup_move_size */
	.long 0x100000                   /* 0x214 code32_start */
	.long 0                          /* 0x218 ramdisk_image */
	.long 0                          /* 0x21c ramdisk_size */
	.long 0                          /* 0x220 bootsect_kludge */
	.word 0                          /* 0x224 heap_end_ptr */
	.byte 0                          /* 0x226 ext_loader_ver */
	.byte 0                          /* 0x227 ext_loader_type */
	.long 0                          /* 0x228 cmd_line_ptr (loader fills) */
	.long 0x37ffffff                 /* 0x22c initrd_addr_max */
	.long 0x200000                   /* 0x230 kernel_alignment */
	.byte 0                          /* 0x234 relocatable_kernel: no */
	.byte 21                         /* 0x235 min_alignment (log2) */
	.word XLF_KERNEL_64              /* 0x236 xloadflags */
	.long 4095                       /* 0x238 cmdline_size */
	.long 0                          /* 0x23c hardware_subarch: PC */
	.quad 0                          /* 0x240 hardware_subarch_data */
	.long 0                          /* 0x248 payload_offset */
	.long 0                          /* 0x24c payload_length */
	.quad 0                          /* 0x250 setup_data */
	.quad 0x100000                   /* 0x258 pref_address */
	.long bz64_init_size             /* 0x260 init_size */
	.long 0                          /* 0x264 handover_offset */
	.long 0                          /* 0x268 kernel_info_offset */

	/* Only the 64-bit entry is supported: a loader that runs the
	 * real-mode setup gets a halted CPU. */
setup_realmode:
	cli
1:	hlt
	jmp 1b
	.org (SETUP_SECTS + 1) * 512

	.section .bz.entry, "ax"
	/* Offset 0: the 32-bit entry, which this guest does not implement. */
	.code32
	.globl bz64_entry32
bz64_entry32:
	cli
1:	hlt
	jmp 1b

	.org 0x200
	.code64
	.globl bz64_entry64
bz64_entry64:
	/* 64-bit mode, identity-mapped, RSI = boot_params. */
	cli
	cld
	leaq bz64_stack_top(%rip), %rsp
	movq %rsi, %rdi
	call bz64_main
1:	cli
	hlt
	jmp 1b

	.section .stack, "aw", @nobits
	.p2align 4
	.skip 16384
bz64_stack_top:

	/* No executable stack wanted (silences ld). */
	.section .note.GNU-stack, "", @progbits
