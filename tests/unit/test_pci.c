/* PCI bus 0 as a guest sees it through ports 0xCF8/0xCFC and ECAM: ids,
 * absent devices, BAR sizing and relocation, capabilities, MSI-X masking;
 * plus a virtio-rng device found and driven through the bus. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest_mem.h"
#include "iobus.h"
#include "layout.h"
#include "pci.h"
#include "virtio_pci.h"
#include "virtio_rng.h"

static struct io_bus pio, mmio;
static struct pci_bus *bus;

/* An irqchip that records the MSI messages it is asked to send. */
#define MAX_MSI 64
static struct {
	int n;
	uint64_t addr[MAX_MSI];
	uint32_t data[MAX_MSI];
} msi;

static int record_msi(struct irqchip *chip, uint64_t addr, uint32_t data)
{
	if (msi.n < MAX_MSI) {
		msi.addr[msi.n] = addr;
		msi.data[msi.n] = data;
	}
	msi.n++;
	return 0;
}

static int no_line(struct irqchip *chip, uint32_t gsi, int level)
{
	return 0;
}

static struct irqchip irq = {.set_line = no_line, .signal_msi = record_msi};

static void setup(void)
{
	io_bus_init(&pio, "pio");
	io_bus_init(&mmio, "mmio");
	bus = pci_bus_new(&pio, &mmio);
	ck_assert_ptr_nonnull(bus);
	memset(&msi, 0, sizeof(msi));
}

static void teardown(void)
{
	pci_bus_free(bus);
	io_bus_destroy(&pio);
	io_bus_destroy(&mmio);
}

static uint64_t bus_read(struct io_bus *b, uint64_t addr, uint32_t len)
{
	uint64_t v = 0;

	io_bus_access(b, addr, (uint8_t *)&v, len, false);
	return v;
}

static void bus_write(struct io_bus *b, uint64_t addr, uint64_t v, uint32_t len)
{
	io_bus_access(b, addr, (uint8_t *)&v, len, true);
}

static uint32_t cf8(int slot, int fn, int reg)
{
	return 0x80000000u | (uint32_t)slot << 11 | (uint32_t)fn << 8 | (reg & 0xfc);
}

/* Type 1 config read of `len` bytes at `reg`, any alignment within the dword. */
static uint32_t cfg_read(int slot, int reg, uint32_t len)
{
	bus_write(&pio, 0xcf8, cf8(slot, 0, reg), 4);
	return (uint32_t)bus_read(&pio, 0xcfc + (reg & 3), len);
}

static void cfg_write(int slot, int reg, uint32_t v, uint32_t len)
{
	bus_write(&pio, 0xcf8, cf8(slot, 0, reg), 4);
	bus_write(&pio, 0xcfc + (reg & 3), v, len);
}

static uint64_t ecam(int slot, int fn, int reg)
{
	return LAYOUT_PCI_ECAM_START + ((uint64_t)slot << 15) + ((uint64_t)fn << 12) + reg;
}

START_TEST(test_host_bridge_and_absent_devices)
{
	ck_assert_uint_eq(cfg_read(0, 0, 4), 0x0d578086);
	ck_assert_uint_eq(cfg_read(0, 0x0b, 1), 0x06); /* bridge */
	ck_assert_uint_eq(cfg_read(0, 0x0a, 1), 0x00); /* host */
	/* Empty slot, other function, other bus: vendor 0xFFFF. */
	ck_assert_uint_eq(cfg_read(7, 0, 2), 0xffff);
	bus_write(&pio, 0xcf8, cf8(0, 1, 0), 4);
	ck_assert_uint_eq(bus_read(&pio, 0xcfc, 4), 0xffffffff);
	bus_write(&pio, 0xcf8, cf8(0, 0, 0) | 1 << 16, 4);
	ck_assert_uint_eq(bus_read(&pio, 0xcfc, 2), 0xffff);
	/* Enable bit clear: no config cycle. */
	bus_write(&pio, 0xcf8, 0, 4);
	ck_assert_uint_eq(bus_read(&pio, 0xcfc, 4), 0xffffffff);
	/* The address register reads back. */
	bus_write(&pio, 0xcf8, cf8(3, 0, 0x10), 4);
	ck_assert_uint_eq(bus_read(&pio, 0xcf8, 4), cf8(3, 0, 0x10));
	/* ECAM agrees, and answers for absent functions too. */
	ck_assert_uint_eq(bus_read(&mmio, ecam(0, 0, 0), 4), 0x0d578086);
	ck_assert_uint_eq(bus_read(&mmio, ecam(9, 0, 0), 4), 0xffffffff);
	ck_assert_uint_eq(bus_read(&mmio, ecam(0, 2, 0), 2), 0xffff);
	/* Extended config space of a present function: no capabilities. */
	ck_assert_uint_eq(bus_read(&mmio, ecam(0, 0, 0x100), 4), 0);
	/* Read-only ids do not change. */
	cfg_write(0, 0, 0x12345678, 4);
	ck_assert_uint_eq(cfg_read(0, 0, 4), 0x0d578086);
}
END_TEST

static uint8_t reset_value;
static int resets;

static void on_reset(void *opaque, uint8_t value)
{
	resets++;
	reset_value = value;
}

START_TEST(test_reset_port)
{
	pci_bus_set_reset_handler(bus, on_reset, NULL);
	bus_write(&pio, 0xcf9, 0x06, 1);
	ck_assert_int_eq(resets, 1);
	ck_assert_uint_eq(reset_value, 0x06);
	/* A dword write at 0xCF8 is the address register, not a reset. */
	bus_write(&pio, 0xcf8, 0x80000000, 4);
	ck_assert_int_eq(resets, 1);
}
END_TEST

/* A plain test function with BAR0 (16 KiB registers) and MSI-X in BAR1. */
static struct pci_device tdev;
static uint64_t reg_last_off;
static int reg_accesses;

static void tdev_bar0(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	reg_accesses++;
	reg_last_off = off;
	if (!is_write)
		memset(data, 0x5a, len);
}

static void add_tdev(void)
{
	char err[128];

	pci_device_init(&tdev, "test", 0x1234, 0x5678, 0x0b4000, 3);
	ck_assert_int_eq(pci_device_add_bar(&tdev, 0, 0x4000, tdev_bar0, NULL), 0);
	ck_assert_int_eq(pci_device_add_bar(&tdev, 1, 0x1000, NULL, NULL), 0);
	ck_assert_int_eq(pci_msix_init(&tdev, 4, 1, 0, 0x800, &irq), 0);
	ck_assert_int_eq(pci_bus_add_device(bus, &tdev, err, sizeof(err)), 0);
	ck_assert_int_eq(tdev.slot, 1);
}

START_TEST(test_device_ids_and_unaligned_access)
{
	add_tdev();
	ck_assert_uint_eq(cfg_read(1, 0, 4), 0x56781234);
	ck_assert_uint_eq(cfg_read(1, 1, 1), 0x12);
	ck_assert_uint_eq(cfg_read(1, 2, 2), 0x5678);
	ck_assert_uint_eq(cfg_read(1, 8, 4), 0x0b400003);
	ck_assert_uint_eq(bus_read(&mmio, ecam(1, 0, 3), 1), 0x56);
	ck_assert_uint_eq(pci_bus_nr_devices(bus), 2);
}
END_TEST

START_TEST(test_bar_sizing_and_preassignment)
{
	uint32_t bar0, bar1;

	add_tdev();
	bar0 = cfg_read(1, 0x10, 4);
	bar1 = cfg_read(1, 0x14, 4);
	/* Pre-assigned inside the window, naturally aligned, memory decode on. */
	ck_assert_uint_ge(bar0, LAYOUT_PCI_MMIO_START);
	ck_assert_uint_eq(bar0 % 0x4000, 0);
	ck_assert_uint_eq(bar1 % 0x1000, 0);
	ck_assert_uint_ne(bar0, bar1);
	ck_assert(cfg_read(1, 4, 2) & PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(bus_read(&mmio, bar0 + 8, 4), 0x5a5a5a5a);
	/* Sizing: all ones reads back the size mask, then restore. */
	cfg_write(1, 4, 0, 2);
	cfg_write(1, 0x10, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_read(1, 0x10, 4), 0xffffc000);
	cfg_write(1, 0x14, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_read(1, 0x14, 4), 0xfffff000);
	cfg_write(1, 0x18, 0xffffffff, 4); /* not implemented */
	ck_assert_uint_eq(cfg_read(1, 0x18, 4), 0);
	cfg_write(1, 0x10, bar0, 4);
	cfg_write(1, 0x14, bar1, 4);
	cfg_write(1, 4, PCI_COMMAND_MEMORY, 2);
	ck_assert_uint_eq(bus_read(&mmio, bar0 + 8, 4), 0x5a5a5a5a);
}
END_TEST

START_TEST(test_bar_relocation_and_memory_decode)
{
	uint32_t bar0, moved = LAYOUT_PCI_MMIO_START + 0x100000;

	add_tdev();
	bar0 = cfg_read(1, 0x10, 4);
	cfg_write(1, 0x10, moved, 4);
	ck_assert_uint_eq(cfg_read(1, 0x10, 4), moved);
	ck_assert(!io_bus_access(&mmio, bar0, (uint8_t[4]){0}, 4, false));
	ck_assert_uint_eq(bus_read(&mmio, bar0, 4), 0xffffffff);
	ck_assert_uint_eq(bus_read(&mmio, moved + 0x10, 4), 0x5a5a5a5a);
	ck_assert_uint_eq(reg_last_off, 0x10);
	/* Decode off: nothing answers; on again: back at the new place. */
	cfg_write(1, 4, 0, 2);
	ck_assert(!io_bus_access(&mmio, moved, (uint8_t[4]){0}, 4, false));
	cfg_write(1, 4, PCI_COMMAND_MEMORY, 2);
	ck_assert(io_bus_access(&mmio, moved, (uint8_t[4]){0}, 4, false));
	/* Sub-dword writes to the BAR (byte 2) move it too. */
	cfg_write(1, 0x12, 0xc020, 2);
	ck_assert_uint_eq(cfg_read(1, 0x10, 4), 0xc0200000);
	ck_assert(io_bus_access(&mmio, 0xc0200000, (uint8_t[4]){0}, 4, false));
	ck_assert(!io_bus_access(&mmio, moved, (uint8_t[4]){0}, 4, false));
}
END_TEST

START_TEST(test_capability_list)
{
	int seen = 0;
	uint8_t pos;

	add_tdev();
	ck_assert(cfg_read(1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	pos = (uint8_t)cfg_read(1, PCI_CAP_PTR, 1);
	while (pos) {
		ck_assert_uint_ge(pos, 0x40);
		ck_assert_int_lt(++seen, 48);
		if (cfg_read(1, pos, 1) == PCI_CAP_ID_MSIX) {
			ck_assert_uint_eq(cfg_read(1, pos + 2, 2) & 0x7ff, 3); /* 4 vectors */
			ck_assert_uint_eq(cfg_read(1, pos + 4, 4), 0x000 | 1);  /* table: BAR1+0 */
			ck_assert_uint_eq(cfg_read(1, pos + 8, 4), 0x800 | 1);  /* PBA: BAR1+0x800 */
		}
		pos = (uint8_t)cfg_read(1, pos + 1, 1);
	}
	ck_assert_int_eq(seen, 1);
}
END_TEST

static int msix_cap(int slot)
{
	for (uint8_t pos = (uint8_t)cfg_read(slot, PCI_CAP_PTR, 1); pos;
	     pos = (uint8_t)cfg_read(slot, pos + 1, 1))
		if (cfg_read(slot, pos, 1) == PCI_CAP_ID_MSIX)
			return pos;
	return -1;
}

static void msix_program(uint64_t table, int v, uint64_t addr, uint32_t data, bool masked)
{
	bus_write(&mmio, table + 16 * v, (uint32_t)addr, 4);
	bus_write(&mmio, table + 16 * v + 4, addr >> 32, 4);
	bus_write(&mmio, table + 16 * v + 8, data, 4);
	bus_write(&mmio, table + 16 * v + 12, masked, 4);
}

START_TEST(test_msix_masking_and_pending)
{
	uint64_t table, pba;
	int cap;

	add_tdev();
	table = cfg_read(1, 0x14, 4);
	pba = table + 0x800;
	cap = msix_cap(1);
	ck_assert_int_gt(cap, 0);
	/* Vectors start masked; MSI-X starts disabled. */
	ck_assert_uint_eq(bus_read(&mmio, table + 12, 4), 1);
	ck_assert_int_eq(pci_msix_notify(&tdev, 0), -ENOENT);
	ck_assert(!pci_msix_enabled(&tdev));

	msix_program(table, 2, 0xfee00000, 0x4041, false);
	ck_assert_uint_eq(bus_read(&mmio, table + 32, 8), 0xfee00000);
	ck_assert_uint_eq(bus_read(&mmio, table + 40, 4), 0x4041);
	cfg_write(1, cap + 2, PCI_MSIX_FLAGS_ENABLE, 2);
	ck_assert(pci_msix_enabled(&tdev));
	ck_assert_int_eq(pci_msix_notify(&tdev, 2), 0);
	ck_assert_int_eq(msi.n, 1);
	ck_assert_uint_eq(msi.addr[0], 0xfee00000);
	ck_assert_uint_eq(msi.data[0], 0x4041);
	ck_assert_int_eq(pci_msix_notify(&tdev, 4), -ENOENT); /* no such vector */

	/* Masked vector: not sent, pending bit set; unmask delivers it. */
	bus_write(&mmio, table + 32 + 12, 1, 4);
	ck_assert_int_eq(pci_msix_notify(&tdev, 2), 0);
	ck_assert_int_eq(msi.n, 1);
	ck_assert_uint_eq(bus_read(&mmio, pba, 8), 1 << 2);
	bus_write(&mmio, table + 32 + 12, 0, 4);
	ck_assert_int_eq(msi.n, 2);
	ck_assert_uint_eq(msi.data[1], 0x4041);
	ck_assert_uint_eq(bus_read(&mmio, pba, 8), 0);

	/* Function mask holds every vector; clearing it delivers. */
	cfg_write(1, cap + 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	ck_assert_int_eq(pci_msix_notify(&tdev, 2), 0);
	ck_assert_int_eq(msi.n, 2);
	ck_assert_uint_eq(bus_read(&mmio, pba, 8), 1 << 2);
	cfg_write(1, cap + 3, PCI_MSIX_FLAGS_ENABLE >> 8, 1);
	ck_assert_int_eq(msi.n, 3);
	/* The table size field is read-only. */
	cfg_write(1, cap + 2, 0xffff, 2);
	ck_assert_uint_eq(cfg_read(1, cap + 2, 2) & 0x7ff, 3);
	/* Accesses past the table and PBA go to the device handler (none here) */
	ck_assert_uint_eq(bus_read(&mmio, table + 0x400, 4), 0);
}
END_TEST

/* virtio-rng end to end: found on the bus with modern ids, driven through
 * its common config, fills a guest buffer and interrupts. */
#define RAM_SIZE (1 << 20)

START_TEST(test_virtio_rng_device)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct guest_mem mem;
	struct virtio_rng *rng;
	char err[256];
	uint64_t bar0, table;
	int cap;
	uint16_t idx = 1, head = 0;
	uint8_t desc[16];
	uint64_t buf = 0x8000, addr;
	uint32_t len = 64, used_len;

	guest_mem_init_flat(&mem, ram, RAM_SIZE);
	rng = virtio_rng_new(bus, &mem, &irq, err, sizeof(err));
	ck_assert_msg(rng != NULL, "%s", err);
	ck_assert_uint_eq(cfg_read(1, 0, 4), 0x10441af4);
	ck_assert_uint_eq(cfg_read(1, PCI_REVISION_ID, 1), 1);
	ck_assert_uint_eq(cfg_read(1, PCI_SUBSYSTEM_VENDOR, 2), 0x1af4);
	bar0 = cfg_read(1, 0x10, 4);
	table = cfg_read(1, 0x14, 4);
	cap = msix_cap(1);
	ck_assert_uint_eq(cfg_read(1, cap + 2, 2) & 0x7ff, 1); /* config + 1 queue */

	msix_program(table, 1, 0xfee00000, 0x31, false);
	cfg_write(1, cap + 2, PCI_MSIX_FLAGS_ENABLE, 2);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_STATUS, 1 | 2, 1);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_GF, 1, 4); /* VERSION_1 */
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_STATUS, 1 | 2 | 8, 1);
	ck_assert_uint_eq(bus_read(&mmio, bar0 + VIRTIO_PCI_COMMON_STATUS, 1), 1 | 2 | 8);
	ck_assert_uint_eq(bus_read(&mmio, bar0 + VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_Q_SIZE, 4, 2);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_Q_MSIX, 1, 2);
	ck_assert_uint_eq(bus_read(&mmio, bar0 + VIRTIO_PCI_COMMON_Q_MSIX, 2), 1);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_Q_DESC, 0x1000, 8);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_Q_AVAIL, 0x2000, 8);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_Q_USED, 0x3000, 8);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	bus_write(&mmio, bar0 + VIRTIO_PCI_COMMON_STATUS, 1 | 2 | 8 | 4, 1);

	addr = buf;
	memset(desc, 0, sizeof(desc));
	memcpy(desc, &addr, 8);
	memcpy(desc + 8, &len, 4);
	desc[12] = VIRTQ_DESC_F_WRITE;
	memcpy(ram + 0x1000, desc, 16);
	memcpy(ram + 0x2004, &head, 2);
	memcpy(ram + 0x2002, &idx, 2);
	bus_write(&mmio, bar0 + VIRTIO_PCI_NOTIFY_OFF, 0, 2);

	ck_assert_uint_eq(ram[0x3002], 1); /* used idx */
	memcpy(&used_len, ram + 0x3008, 4);
	ck_assert_uint_eq(used_len, 64);
	ck_assert_uint_eq(virtio_rng_bytes(rng), 64);
	/* 64 random bytes are not all zero (odds 2^-512). */
	ck_assert(memcmp(ram + buf, (uint8_t[64]){0}, 64) != 0);
	ck_assert_uint_eq(ram[buf + 64], 0); /* nothing past the buffer */
	ck_assert_int_eq(msi.n, 1);
	ck_assert_uint_eq(msi.data[0], 0x31);

	virtio_rng_free(rng);
	ck_assert_uint_eq(cfg_read(1, 0, 2), 0xffff);
	free(ram);
}
END_TEST

static Suite *pci_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("bus");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_host_bridge_and_absent_devices);
	tcase_add_test(tc, test_reset_port);
	tcase_add_test(tc, test_device_ids_and_unaligned_access);
	tcase_add_test(tc, test_bar_sizing_and_preassignment);
	tcase_add_test(tc, test_bar_relocation_and_memory_decode);
	tcase_add_test(tc, test_capability_list);
	tcase_add_test(tc, test_msix_masking_and_pending);
	tcase_add_test(tc, test_virtio_rng_device);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pci_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
