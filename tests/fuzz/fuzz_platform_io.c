/* libFuzzer target: a hostile guest poking the platform devices the way a
 * vCPU exit delivers it: port I/O and MMIO accesses of any size through the
 * real I/O buses to the 8250 UART, the i8042, the ACPI PM ports and the PCI
 * bus (type 1 ports and ECAM) with a virtio-rng device, plus guest RAM
 * writes (virtqueues) and host events (serial input, keys, mouse, power
 * button) in between. See tests/fuzz/README.md for the input format. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi_pm.h"
#include "chardev.h"
#include "guest_mem.h"
#include "i8042.h"
#include "iobus.h"
#include "layout.h"
#include "pci.h"
#include "serial8250.h"
#include "virtio_pci.h"
#include "virtio_rng.h"

#define RAM_SIZE 0x10000

/* A recording interrupt controller: lines must stay in range and binary. */
struct rec_irq {
	struct irqchip chip;
	uint8_t level[LAYOUT_NR_GSI];
	unsigned long msis;
};

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_platform_io: broken promise: %s\n", what);
		abort();
	}
}

static int rec_set_line(struct irqchip *chip, uint32_t gsi, int level)
{
	struct rec_irq *r = (struct rec_irq *)chip;

	check(gsi < LAYOUT_NR_GSI, "GSI in range");
	check(level == 0 || level == 1, "line level is 0 or 1");
	r->level[gsi] = (uint8_t)level;
	return 0;
}

static int rec_signal_msi(struct irqchip *chip, uint64_t addr, uint32_t data)
{
	((struct rec_irq *)chip)->msis++;
	return 0;
}

static unsigned long resets, poweroffs;

static void count(void *arg)
{
	(*(unsigned long *)arg)++;
}

struct input {
	const uint8_t *p;
	size_t left;
};

static bool take(struct input *in, void *dst, size_t n)
{
	if (in->left < n)
		return false;
	memcpy(dst, in->p, n);
	in->p += n;
	in->left -= n;
	return true;
}

/* Current address of BAR n of the device in slot 1 (the guest may move it). */
static uint64_t bar_addr(struct io_bus *pio, int n)
{
	uint32_t a = 0x80000000u | 1u << 11 | (uint32_t)(PCI_BAR0 + 4 * n), v = 0;

	io_bus_access(pio, LAYOUT_PORT_PCI_CONFIG, (uint8_t *)&a, 4, true);
	io_bus_access(pio, LAYOUT_PORT_PCI_CONFIG + 4, (uint8_t *)&v, 4, false);
	return v & ~0xfULL;
}

/* An access as KVM hands it over: `len` bytes, reads pre-filled with junk
 * the bus must overwrite or the device must fill. */
static void guest_access(struct io_bus *bus, uint64_t addr, uint64_t v, uint32_t len, bool write)
{
	uint8_t buf[8];

	memcpy(buf, &v, sizeof(buf));
	io_bus_access(bus, addr, buf, len, write);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[RAM_SIZE];
	static const uint32_t pio_sizes[4] = {1, 2, 4, 1}, mmio_sizes[4] = {1, 2, 4, 8};
	struct rec_irq irq = {.chip = {.set_line = rec_set_line, .signal_msi = rec_signal_msi}};
	struct i8042_ops kbd_ops = {.reset = count, .opaque = &resets};
	struct acpi_pm_ops pm_ops = {.poweroff = count, .reset = count, .opaque = &poweroffs};
	struct input in = {data, size};
	struct io_bus pio, mmio;
	struct guest_mem mem;
	struct chardev *con;
	struct serial8250 *uart;
	struct i8042 *kbd;
	struct acpi_pm *pm;
	struct pci_bus *pci;
	struct virtio_rng *rng;
	char err[256];
	uint8_t op;

	memset(ram, 0, sizeof(ram));
	guest_mem_init_flat(&mem, ram, sizeof(ram));
	io_bus_init(&pio, "pio");
	io_bus_init(&mmio, "mmio");
	con = chardev_new_null(4096);
	uart = con ? serial8250_new(&pio, LAYOUT_PORT_COM1, &irq.chip, LAYOUT_GSI_COM1, con) : NULL;
	kbd = i8042_new(&pio, &irq.chip, &kbd_ops);
	pm = acpi_pm_new(&pio, &irq.chip, &pm_ops);
	pci = pci_bus_new(&pio, &mmio);
	if (!uart || !kbd || !pm || !pci)
		abort();
	pci_bus_set_reset_handler(pci, acpi_pm_reset_port_write, pm);
	rng = virtio_rng_new(pci, &mem, &irq.chip, err, sizeof(err));
	if (!rng) {
		fprintf(stderr, "%s\n", err);
		abort();
	}

	while (take(&in, &op, 1)) {
		uint8_t f, len8, what, arg;
		uint16_t off16;
		uint32_t v32;
		uint64_t v64, addr;

		switch (op % 4) {
		case 0: /* port I/O: flags (size, bit 7 write), port, value */
			if (!take(&in, &f, 1) || !take(&in, &off16, 2) || !take(&in, &v32, 4))
				goto out;
			guest_access(&pio, off16, v32, pio_sizes[f & 3], f & 0x80);
			break;
		case 1: /* MMIO: flags (size, region in bits 2-6, bit 7 write), offset, value */
			if (!take(&in, &f, 1) || !take(&in, &off16, 2) || !take(&in, &v64, 8))
				goto out;
			switch ((f >> 2) & 0x1f) {
			case 0: /* the PCI window, where BARs may be moved to */
				addr = LAYOUT_PCI_MMIO_START + off16;
				break;
			case 1: /* ECAM: slot in the top 5 bits, register below */
				addr = LAYOUT_PCI_ECAM_START + ((uint64_t)(off16 >> 11) << 15) +
				       (off16 & 0x7ff);
				break;
			case 2: /* virtio-rng BAR0: common, ISR, device config, notify */
				addr = bar_addr(&pio, 0) + (off16 & 0x3fff);
				break;
			case 3: /* virtio-rng BAR1: MSI-X table and PBA */
				addr = bar_addr(&pio, 1) + (off16 & 0xfff);
				break;
			default: /* anywhere near the top of the 32-bit space */
				addr = 0xfe000000ULL + ((uint64_t)off16 << 8) + (f & 0x3);
				break;
			}
			guest_access(&mmio, addr, v64, mmio_sizes[f & 3], f & 0x80);
			break;
		case 2: /* guest writes RAM (rings, descriptors, buffers) */
			if (!take(&in, &off16, 2) || !take(&in, &len8, 1))
				goto out;
			if (len8 > in.left)
				len8 = (uint8_t)in.left;
			if ((size_t)off16 + len8 > RAM_SIZE)
				len8 = (uint8_t)(RAM_SIZE - off16);
			take(&in, ram + off16, len8);
			break;
		case 3: /* the host side: console input, keys, mouse, buttons */
			if (!take(&in, &what, 1) || !take(&in, &arg, 1))
				goto out;
			switch (what % 5) {
			case 0:
				chardev_push_input(con, &arg, 1);
				break;
			case 1:
				i8042_queue_key_scancodes(kbd, &arg, 1);
				break;
			case 2:
				i8042_queue_mouse(kbd, (int8_t)arg, -(int8_t)arg, (arg >> 6) - 2,
						  arg & 7);
				break;
			case 3:
				i8042_send_ctrl_alt_del(kbd);
				break;
			case 4:
				acpi_pm_press_power_button(pm);
				break;
			}
			break;
		}
	}
out:
	if (getenv("FUZZ_VERBOSE")) /* what an input did, for checking seeds */
		fprintf(stderr, "rng bytes %llu, msis %lu, resets+poweroffs %lu, serial out %llu\n",
			(unsigned long long)virtio_rng_bytes(rng), irq.msis, resets,
			(unsigned long long)chardev_total_bytes(con));
	virtio_rng_free(rng);
	pci_bus_free(pci);
	acpi_pm_free(pm);
	i8042_free(kbd);
	serial8250_free(uart);
	chardev_free(con);
	/* Every device gave its ports back. */
	check(pio.nr == 0 && mmio.nr == 0, "all I/O ranges unregistered");
	io_bus_destroy(&pio);
	io_bus_destroy(&mmio);
	return 0;
}
