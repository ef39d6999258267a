/* 16550A-compatible UART (COM1) on port I/O, feeding a chardev. */
#ifndef VIRTTY_VMM_SERIAL8250_H
#define VIRTTY_VMM_SERIAL8250_H

#include <stdint.h>

struct io_bus;
struct irqchip;
struct chardev;
struct serial8250;

/* Claim the 8 ports at `base` on `pio` and route guest output/input to
 * `backend` (NULL: output is discarded). The interrupt line `gsi` follows
 * the IIR "interrupt pending" state. NULL on failure (ports taken, ENOMEM). */
struct serial8250 *serial8250_new(struct io_bus *pio, uint16_t base, struct irqchip *irq,
				  uint32_t gsi, struct chardev *backend);
void serial8250_free(struct serial8250 *uart);

#endif
