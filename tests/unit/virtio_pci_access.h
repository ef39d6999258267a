/* What unit tests of virtio-pci devices need to play the guest: PCI
 * configuration space through ports 0xCF8/0xCFC, BAR reads and writes, and
 * an interrupt line nobody listens to, all through the same I/O buses a
 * vCPU exit goes through. Include it after declaring the test's
 *     static struct io_bus pio, mmio;
 * and defining SLOT, the device's PCI slot. */
#ifndef VIRTTY_TEST_VIRTIO_PCI_ACCESS_H
#define VIRTTY_TEST_VIRTIO_PCI_ACCESS_H

#include <stdint.h>

#include "iobus.h"
#include "irqchip.h"

static inline int no_line(struct irqchip *chip, uint32_t gsi, int level)
{
	(void)chip;
	(void)gsi;
	(void)level;
	return 0;
}

static inline uint64_t mmio_read(uint64_t addr, uint32_t len)
{
	uint64_t v = 0;

	io_bus_access(&mmio, addr, (uint8_t *)&v, len, false);
	return v;
}

static inline void mmio_write(uint64_t addr, uint64_t v, uint32_t len)
{
	io_bus_access(&mmio, addr, (uint8_t *)&v, len, true);
}

static inline uint32_t cfg_read(int reg, uint32_t len)
{
	uint32_t a = 0x80000000u | SLOT << 11 | (reg & 0xfc);
	uint64_t v = 0;

	io_bus_access(&pio, 0xcf8, (uint8_t *)&a, 4, true);
	io_bus_access(&pio, 0xcfc + (reg & 3), (uint8_t *)&v, len, false);
	return (uint32_t)v;
}

static inline void cfg_write(int reg, uint32_t v, uint32_t len)
{
	uint32_t a = 0x80000000u | SLOT << 11 | (reg & 0xfc);

	io_bus_access(&pio, 0xcf8, (uint8_t *)&a, 4, true);
	io_bus_access(&pio, 0xcfc + (reg & 3), (uint8_t *)&v, len, true);
}

#endif
