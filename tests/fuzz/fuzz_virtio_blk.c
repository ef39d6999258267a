/* libFuzzer target: a hostile guest driving virtio-blk over PCI. The input
 * is a little program of guest actions: RAM writes (rings, descriptors,
 * requests), common/device config and PCI config writes, MSI-X table
 * writes and queue notifies. See tests/fuzz/README.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_mem.h"
#include "iobus.h"
#include "pci.h"
#include "virtio_blk.h"
#include "virtio_pci.h"

#define RAM_SIZE  0x10000
#define DISK_SIZE (64 * 1024)

static char disk_path[64];

static int fuzz_msi(struct irqchip *chip, uint64_t addr, uint32_t data)
{
	return 0;
}

static int fuzz_line(struct irqchip *chip, uint32_t gsi, int level)
{
	return 0;
}

static struct irqchip fuzz_irq = {.set_line = fuzz_line, .signal_msi = fuzz_msi};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* The disk lives in memory: fast, and nothing left behind. */
	int fd = memfd_create("fuzz-disk", 0);

	if (fd < 0 || ftruncate(fd, DISK_SIZE))
		abort();
	snprintf(disk_path, sizeof(disk_path), "/proc/self/fd/%d", fd);
	return 0;
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

static void mmio(struct io_bus *bus, uint64_t addr, uint64_t v, uint32_t len, bool write)
{
	io_bus_access(bus, addr, (uint8_t *)&v, len, write);
}

static void cfg(struct io_bus *pio, uint8_t reg, uint32_t v, uint32_t len, bool write)
{
	uint32_t a = 0x80000000u | 1u << 11 | (reg & 0xfc);

	io_bus_access(pio, 0xcf8, (uint8_t *)&a, 4, true);
	io_bus_access(pio, 0xcfc + (reg & 3), (uint8_t *)&v, len, write);
}

static uint64_t bar(struct io_bus *pio, int n)
{
	uint32_t v = 0xffffffff;
	uint32_t a = 0x80000000u | 1u << 11 | (0x10 + 4 * n);

	io_bus_access(pio, 0xcf8, (uint8_t *)&a, 4, true);
	io_bus_access(pio, 0xcfc, (uint8_t *)&v, 4, false);
	return v & ~0xfULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[RAM_SIZE];
	static const uint32_t sizes[4] = {1, 2, 4, 8};
	struct input in = {data, size};
	struct guest_mem mem;
	struct io_bus pio, mmio_bus;
	struct pci_bus *pbus;
	struct virtio_blk *blk;
	char err[256];
	uint8_t op;

	memset(ram, 0, sizeof(ram));
	guest_mem_init_flat(&mem, ram, sizeof(ram));
	io_bus_init(&pio, "pio");
	io_bus_init(&mmio_bus, "mmio");
	pbus = pci_bus_new(&pio, &mmio_bus);
	if (!pbus)
		abort();
	blk = virtio_blk_new(pbus, &mem, &fuzz_irq, disk_path, size & 1, err, sizeof(err));
	if (!blk) {
		fprintf(stderr, "%s\n", err);
		abort();
	}

	while (take(&in, &op, 1)) {
		uint64_t b0 = bar(&pio, 0), v = 0;
		uint16_t off16;
		uint8_t off8, len8, sz;

		switch (op % 8) {
		case 0: /* guest writes RAM */
			if (!take(&in, &off16, 2) || !take(&in, &len8, 1))
				goto out;
			if (len8 > in.left)
				len8 = (uint8_t)in.left;
			if ((size_t)off16 + len8 > RAM_SIZE)
				len8 = (uint8_t)(RAM_SIZE - off16);
			take(&in, ram + off16, len8);
			break;
		case 1: /* common config write, any size and offset */
			if (!take(&in, &off8, 1) || !take(&in, &sz, 1) || !take(&in, &v, 8))
				goto out;
			mmio(&mmio_bus, b0 + (off8 & 0x3f), v, sizes[sz & 3], true);
			break;
		case 2: /* notify */
			if (!take(&in, &off8, 1))
				goto out;
			mmio(&mmio_bus, b0 + VIRTIO_PCI_NOTIFY_OFF + (off8 & 0xf), 0, 2, true);
			break;
		case 3: { /* bring-up shortcut: features, one queue, DRIVER_OK */
			uint32_t feat;
			uint16_t qsize, d, a, u;

			if (!take(&in, &feat, 4) || !take(&in, &qsize, 2) || !take(&in, &d, 2) ||
			    !take(&in, &a, 2) || !take(&in, &u, 2))
				goto out;
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_STATUS, 0, 1, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_STATUS, 3, 1, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_GFSELECT, 0, 4, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_GF, feat, 4, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_GFSELECT, 1, 4, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_GF, 1, 4, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_STATUS, 11, 1, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_SELECT, 0, 2, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_SIZE, qsize, 2, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_DESC, d, 8, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_AVAIL, a, 8, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_USED, u, 8, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_MSIX, 1, 2, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_STATUS, 15, 1, true);
			break;
		}
		case 4: /* BAR0 read anywhere (ISR, config, common) */
			if (!take(&in, &off16, 2) || !take(&in, &sz, 1))
				goto out;
			mmio(&mmio_bus, b0 + (off16 & 0x3fff), 0, sizes[sz & 3], false);
			break;
		case 5: /* device config write */
			if (!take(&in, &off8, 1) || !take(&in, &v, 8))
				goto out;
			mmio(&mmio_bus, b0 + VIRTIO_PCI_DEVCFG_OFF + off8, v, 8, true);
			break;
		case 6: /* PCI config write: command, BARs, MSI-X control... */
			if (!take(&in, &off8, 1) || !take(&in, &sz, 1) || !take(&in, &v, 4))
				goto out;
			cfg(&pio, off8, (uint32_t)v, sizes[sz % 3], true);
			break;
		case 7: /* MSI-X table / PBA access */
			if (!take(&in, &off16, 2) || !take(&in, &v, 4))
				goto out;
			mmio(&mmio_bus, bar(&pio, 1) + (off16 & 0xfff), v, 4, !(off16 & 0x8000));
			break;
		}
	}
out:
	virtio_blk_free(blk);
	pci_bus_free(pbus);
	io_bus_destroy(&pio);
	io_bus_destroy(&mmio_bus);
	return 0;
}
