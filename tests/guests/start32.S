/* PVH entry of the 32-bit test guests: the Xen PVH ELF note that tells
 * the loader where to start, then a stack and a call into C. */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PVH_START_MAGIC 0x336ec578

	.section .note.Xen, "a", @note
	.p2align 2
	.long 2f - 1f			/* namesz */
	.long 4f - 3f			/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz "Xen"
2:	.p2align 2
3:	.long pvh_start			/* 32-bit physical entry */
4:	.p2align 2

	.text
	.code32
	.globl pvh_start
pvh_start:
	/* Protected mode, paging off, flat segments, EBX = hvm_start_info. */
	cli
	cld
	movl $guest_stack_top, %esp

	/* The loader should have zeroed memsz beyond filesz; do not rely on it. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	andl $-16, %esp
	subl $12, %esp
	pushl %ebx
	call guest_start

	/* guest_start powers off; if that failed, stop here. */
1:	cli
	hlt
	jmp 1b

	.section .stack, "aw", @nobits
	.p2align 4
	.skip 16384
guest_stack_top:

	/* No executable stack wanted (silences ld). */
	.section .note.GNU-stack, "", @progbits
