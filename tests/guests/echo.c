/* echo.elf: a guest that stays up, for control-socket and serial-socket
 * tests: prints "echo: ready", then echoes COM1 input upper-cased, one
 * line per key; 'q' powers off. Polls the UART (no interrupts needed). */
#include "guest.h"
#include "layout.h"

#define UART_LSR    5
#define UART_LSR_DR 0x01

int guest_main(const struct hvm_start_info *si)
{
	serial_puts("echo: ready\n");
	for (;;) {
		char c;

		if (!(inb(LAYOUT_PORT_COM1 + UART_LSR) & UART_LSR_DR)) {
			__asm__ volatile("pause");
			continue;
		}
		c = (char)inb(LAYOUT_PORT_COM1);
		if (c == 'q')
			return 0;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		serial_puts("echo: ");
		serial_putc(c);
		serial_putc('\n');
	}
}
