/* triple.elf: loads an empty IDT and raises #BP: the exception cannot be
 * delivered, nor can #DF, so the CPU shuts down (triple fault) and
 * virtty-vmm must exit with status 4. */
#include "guest.h"

struct idt_ptr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

int guest_main(const struct hvm_start_info *si)
{
	static const struct idt_ptr empty_idt = {0, 0};

	serial_puts("triple: loading an empty IDT and executing int3\n");
	__asm__ volatile("lidt %0\n\tint3" : : "m"(empty_idt));
	serial_puts("triple: still running after int3\n");
	return 1;
}
