/* reset.elf: asks for a reboot, through the i8042 (command 0xFE) by
 * default or through port 0xCF9 when the command line says "cf9";
 * virtty-vmm must exit with status 3. */
#include "guest.h"
#include "pvh.h"

int guest_main(const struct hvm_start_info *si)
{
	const char *cmdline = NULL;

	if (si->magic == PVH_START_MAGIC && si->cmdline_paddr && si->cmdline_paddr < 0xffffffffull)
		cmdline = (const char *)(uintptr_t)si->cmdline_paddr;

	if (cmdline && strstr(cmdline, "cf9")) {
		serial_puts("reset: writing 0x06 to port 0xcf9\n");
		outb(LAYOUT_PORT_RESET, 0x06);
	} else {
		serial_puts("reset: writing 0xfe to i8042 port 0x64\n");
		outb(LAYOUT_PORT_I8042_CMD, 0xfe);
	}
	/* The reset is taken on the exit of that OUT; the VMM must not
	 * resume us. Spin rather than halt so a lost reset is visible. */
	for (int i = 0; i < 1000; i++)
		cpu_relax();
	serial_puts("reset: still running after the reset request\n");
	return 1;
}
