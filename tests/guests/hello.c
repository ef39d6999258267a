/* hello.elf: the smallest end-to-end check of the VMM: PVH boot, COM1
 * output and ACPI power-off (virtty-vmm exits 0). */
#include "guest.h"

int guest_main(const struct hvm_start_info *si)
{
	serial_puts("virtty-guest: hello\n");
	return 0;
}
