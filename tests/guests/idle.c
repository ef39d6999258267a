/* idle.elf: prints "idle: ready" and halts with interrupts off, costing
 * no host CPU: many of them can run at once (TUI benchmark, list tests). */
#include "guest.h"

int guest_main(const struct hvm_start_info *si)
{
	serial_puts("idle: ready\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
