/* libFuzzer target: a hostile guest driving virtio-net over PCI while the
 * network delivers frames. The input is a little program: RAM writes
 * (rings, descriptors, headers), common/device config writes, BAR reads,
 * queue notifies (TX frames reach a counting backend), a bring-up shortcut
 * that enables both queues, and frames delivered from the network side. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_mem.h"
#include "iobus.h"
#include "netdev.h"
#include "pci.h"
#include "virtio_net.h"
#include "virtio_pci.h"

#define RAM_SIZE 0x10000

struct fuzz_backend {
	struct netdev nd;
	uint64_t frames;
};

static int fuzz_send(struct netdev *nd, const void *frame, size_t len)
{
	/* The NIC promised these bounds: check them. */
	if (len < NETDEV_MIN_FRAME || len > NETDEV_MAX_FRAME)
		abort();
	((struct fuzz_backend *)nd)->frames++;
	(void)frame;
	return 0;
}

static void fuzz_free(struct netdev *nd)
{
	free(nd);
}

static const struct netdev_ops fuzz_ops = {.kind = "fuzz", .send = fuzz_send, .free = fuzz_free};

static int fuzz_msi(struct irqchip *chip, uint64_t addr, uint32_t data)
{
	return 0;
}

static int fuzz_line(struct irqchip *chip, uint32_t gsi, int level)
{
	return 0;
}

static struct irqchip fuzz_irq = {.set_line = fuzz_line, .signal_msi = fuzz_msi};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static uint64_t bar0(struct io_bus *pio)
{
	uint32_t v = 0;
	uint32_t a = 0x80000000u | 1u << 11 | 0x10;

	io_bus_access(pio, 0xcf8, (uint8_t *)&a, 4, true);
	io_bus_access(pio, 0xcfc, (uint8_t *)&v, 4, false);
	return v & ~0xfULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[RAM_SIZE];
	static uint8_t frame[NETDEV_MAX_FRAME + 1];
	static const uint32_t sizes[4] = {1, 2, 4, 8};
	static const uint8_t mac[6] = {0x52, 0x54, 0, 1, 2, 3};
	struct input in = {data, size};
	struct guest_mem mem;
	struct io_bus pio, mmio_bus;
	struct pci_bus *pbus;
	struct fuzz_backend *be = calloc(1, sizeof(*be));
	struct virtio_net *vn;
	struct netdev_stats st;
	char err[256];
	uint8_t op;

	if (!be)
		abort();
	be->nd.ops = &fuzz_ops;
	memset(ram, 0, sizeof(ram));
	guest_mem_init_flat(&mem, ram, sizeof(ram));
	io_bus_init(&pio, "pio");
	io_bus_init(&mmio_bus, "mmio");
	pbus = pci_bus_new(&pio, &mmio_bus);
	if (!pbus)
		abort();
	vn = virtio_net_new(pbus, &mem, &fuzz_irq, mac, &be->nd, err, sizeof(err));
	if (!vn) {
		fprintf(stderr, "%s\n", err);
		abort();
	}

	while (take(&in, &op, 1)) {
		uint64_t b0 = bar0(&pio), v = 0;
		uint16_t off16, len16;
		uint8_t off8, len8, sz;

		switch (op % 7) {
		case 0: /* guest writes RAM */
			if (!take(&in, &off16, 2) || !take(&in, &len8, 1))
				goto out;
			if (len8 > in.left)
				len8 = (uint8_t)in.left;
			if ((size_t)off16 + len8 > RAM_SIZE)
				len8 = (uint8_t)(RAM_SIZE - off16);
			take(&in, ram + off16, len8);
			break;
		case 1: /* common config write */
			if (!take(&in, &off8, 1) || !take(&in, &sz, 1) || !take(&in, &v, 8))
				goto out;
			mmio(&mmio_bus, b0 + (off8 & 0x3f), v, sizes[sz & 3], true);
			break;
		case 2: /* notify RX (even) or TX (odd) */
			if (!take(&in, &off8, 1))
				goto out;
			mmio(&mmio_bus, b0 + VIRTIO_PCI_NOTIFY_OFF + 4 * (off8 & 1), off8 & 1, 2,
			     true);
			break;
		case 3: { /* bring-up: features, both queues at guest-chosen spots */
			uint32_t feat;
			uint16_t qsize, ring[6];

			if (!take(&in, &feat, 4) || !take(&in, &qsize, 2) || !take(&in, ring, 12))
				goto out;
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_STATUS, 0, 1, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_STATUS, 3, 1, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_GFSELECT, 0, 4, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_GF, feat, 4, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_GFSELECT, 1, 4, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_GF, 1, 4, true);
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_STATUS, 11, 1, true);
			for (uint16_t q = 0; q < 2; q++) {
				mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_SELECT, q, 2, true);
				mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_SIZE, qsize, 2, true);
				mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_DESC, ring[3 * q], 8,
				     true);
				mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_AVAIL, ring[3 * q + 1], 8,
				     true);
				mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_USED, ring[3 * q + 2], 8,
				     true);
				mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2, true);
			}
			mmio(&mmio_bus, b0 + VIRTIO_PCI_COMMON_STATUS, 15, 1, true);
			break;
		}
		case 4: /* BAR0 read anywhere (ISR, device config, common) */
			if (!take(&in, &off16, 2) || !take(&in, &sz, 1))
				goto out;
			mmio(&mmio_bus, b0 + (off16 & 0x3fff), 0, sizes[sz & 3], false);
			break;
		case 5: { /* the network delivers a frame of up to 64 KiB */
			int r;

			if (!take(&in, &len16, 2))
				goto out;
			/* Content from the input, repeated to the length asked. */
			for (size_t i = 0; i < len16; i++)
				frame[i] = in.left ? in.p[i % in.left] : (uint8_t)i;
			r = be->nd.fe.receive(be->nd.fe.opaque, frame, len16);
			if (r != 0 && r != -ENOBUFS)
				abort();
			if (virtio_net_rx_held(vn) > VIRTIO_NET_RX_HOLD)
				abort();
			break;
		}
		case 6: /* device config write (read-only: must be ignored) */
			if (!take(&in, &off8, 1) || !take(&in, &v, 8))
				goto out;
			mmio(&mmio_bus, b0 + VIRTIO_PCI_DEVCFG_OFF + (off8 & 15), v, 8, true);
			break;
		}
	}
out:
	/* Counters agree with what the backend saw. */
	virtio_net_get_stats(vn, &st);
	if (st.tx_packets != be->frames)
		abort();
	virtio_net_free(vn);
	pci_bus_free(pbus);
	io_bus_destroy(&pio);
	io_bus_destroy(&mmio_bus);
	return 0;
}
