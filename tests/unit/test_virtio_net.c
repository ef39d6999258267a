/* virtio-net driven like a guest driver would: PCI config and BAR MMIO
 * through real io_buses, rings in a fake guest RAM, and a recording netdev
 * backend standing for the network (what the NIC hands over is exactly
 * what a backend would put on the wire). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_mem.h"
#include "iobus.h"
#include "netdev.h"
#include "pci.h"
#include "virtio_net.h"
#include "virtio_pci.h"

#define RAM_SIZE (1 << 20)
#define QSIZE	 16
#define SLOT	 1
/* Queue q's rings at 0x1000 * (1 + 3q): desc, avail, used. */
#define DESC(q)	 (0x1000 + 0x3000 * (q))
#define AVAIL(q) (0x2000 + 0x3000 * (q))
#define USED(q)	 (0x3000 + 0x3000 * (q))
#define BUF_GPA	 0x10000 /* RX buffers and TX data from here */
#define FEAT(b)	 (1ULL << (b))

static uint8_t *ram;
static struct guest_mem mem;
static struct io_bus pio, mmio;
static struct pci_bus *bus;
static struct virtio_net *vn;
static uint64_t bar0;
static const uint8_t test_mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static uint16_t avail_idx[2];

/* The recording backend. */
struct rec_backend {
	struct netdev nd;
	int frames;
	size_t last_len;
	uint8_t last[NETDEV_MAX_FRAME];
	int rx_ready_calls;
	bool freed;
};
static struct rec_backend *rec;

#include "virtio_pci_access.h"

static int rec_send(struct netdev *nd, const void *frame, size_t len)
{
	struct rec_backend *r = (struct rec_backend *)nd;

	r->frames++;
	r->last_len = len;
	memcpy(r->last, frame, len);
	return 0;
}

static void rec_rx_ready(struct netdev *nd)
{
	((struct rec_backend *)nd)->rx_ready_calls++;
}

static void rec_free(struct netdev *nd)
{
	free(nd);
}

static const struct netdev_ops rec_ops = {
    .kind = "test", .send = rec_send, .rx_ready = rec_rx_ready, .free = rec_free};

static int no_msi(struct irqchip *chip, uint64_t addr, uint32_t data)
{
	return 0;
}

static struct irqchip irq = {.set_line = no_line, .signal_msi = no_msi};

static uint8_t status(void)
{
	return (uint8_t)mmio_read(bar0 + VIRTIO_PCI_COMMON_STATUS, 1);
}

static void setup(void)
{
	char err[256];

	ram = calloc(1, RAM_SIZE);
	guest_mem_init_flat(&mem, ram, RAM_SIZE);
	io_bus_init(&pio, "pio");
	io_bus_init(&mmio, "mmio");
	bus = pci_bus_new(&pio, &mmio);
	ck_assert_ptr_nonnull(bus);
	rec = calloc(1, sizeof(*rec));
	rec->nd.ops = &rec_ops;
	vn = virtio_net_new(bus, &mem, &irq, test_mac, &rec->nd, err, sizeof(err));
	ck_assert_msg(vn != NULL, "%s", err);
	bar0 = cfg_read(0x10, 4) & ~0xfULL;
	avail_idx[0] = avail_idx[1] = 0;
}

static void teardown(void)
{
	virtio_net_free(vn);
	pci_bus_free(bus);
	io_bus_destroy(&pio);
	io_bus_destroy(&mmio);
	free(ram);
}

/* Bring-up with `features` (VERSION_1 added); driver_ok: finish it. */
static void driver_init(uint64_t features, bool driver_ok)
{
	uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	features |= FEAT(VIRTIO_F_VERSION_1);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS, 0, 1);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS, st, 1);
	for (uint32_t sel = 0; sel < 2; sel++) {
		mmio_write(bar0 + VIRTIO_PCI_COMMON_GFSELECT, sel, 4);
		mmio_write(bar0 + VIRTIO_PCI_COMMON_GF, (uint32_t)(features >> (32 * sel)), 4);
	}
	st |= VIRTIO_STATUS_FEATURES_OK;
	mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS, st, 1);
	ck_assert(status() & VIRTIO_STATUS_FEATURES_OK);
	memset(ram, 0, BUF_GPA);
	for (uint16_t q = 0; q < 2; q++) {
		mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_SELECT, q, 2);
		mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_SIZE, QSIZE, 2);
		mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_DESC, DESC(q), 8);
		mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_AVAIL, AVAIL(q), 8);
		mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_USED, USED(q), 8);
		mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
		ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	}
	avail_idx[0] = avail_idx[1] = 0;
	if (driver_ok)
		mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS, st | VIRTIO_STATUS_DRIVER_OK, 1);
}

static void put_desc(uint16_t q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *d = ram + DESC(q) + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static uint16_t used_idx(uint16_t q)
{
	uint16_t v;

	memcpy(&v, ram + USED(q) + 2, 2);
	return v;
}

static void used_elem(uint16_t q, uint16_t n, uint32_t *id, uint32_t *len)
{
	memcpy(id, ram + USED(q) + 4 + 8 * (n % QSIZE), 4);
	memcpy(len, ram + USED(q) + 8 + 8 * (n % QSIZE), 4);
}

/* Make chain `head` available on q; kick: notify the device. */
static void offer(uint16_t q, uint16_t head, bool kick)
{
	memcpy(ram + AVAIL(q) + 4 + 2 * (avail_idx[q] % QSIZE), &head, 2);
	avail_idx[q]++;
	memcpy(ram + AVAIL(q) + 2, &avail_idx[q], 2);
	if (kick)
		mmio_write(bar0 + VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q, q, 2);
}

/* RX buffer i: descriptor i, `len` device-writable bytes at its own spot. */
static uint64_t rx_buf_gpa(uint16_t i)
{
	return BUF_GPA + 0x1000 * (uint64_t)i;
}

static void post_rx(uint16_t i, uint32_t len, bool kick)
{
	put_desc(0, i, rx_buf_gpa(i), len, VIRTQ_DESC_F_WRITE, 0);
	offer(0, i, kick);
}

static void make_frame(uint8_t *f, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(seed + i * 7);
}

static struct netdev_stats stats(void)
{
	struct netdev_stats s;

	virtio_net_get_stats(vn, &s);
	return s;
}

static int deliver(const void *frame, size_t len)
{
	return rec->nd.fe.receive(rec->nd.fe.opaque, frame, len);
}

START_TEST(test_identity_config_features)
{
	uint64_t f;

	ck_assert_uint_eq(cfg_read(0x00, 2), VIRTIO_PCI_VENDOR_ID);
	ck_assert_uint_eq(cfg_read(0x02, 2), VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_NET);
	ck_assert_uint_eq(cfg_read(0x08, 4) >> 8, 0x020000);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	f = mmio_read(bar0 + VIRTIO_PCI_COMMON_DF, 4);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	f |= mmio_read(bar0 + VIRTIO_PCI_COMMON_DF, 4) << 32;
	ck_assert(f & FEAT(VIRTIO_NET_F_MAC));
	ck_assert(f & FEAT(VIRTIO_NET_F_STATUS));
	ck_assert(f & FEAT(VIRTIO_NET_F_MRG_RXBUF));
	ck_assert(f & FEAT(VIRTIO_F_VERSION_1));
	/* No checksum or segmentation offload: slirp needs complete frames. */
	ck_assert(!(f & (FEAT(0) | FEAT(1) | FEAT(11))));
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_DEVCFG_OFF + i, 1), test_mac[i]);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_DEVCFG_OFF + VIRTIO_NET_CFG_STATUS, 2),
			  VIRTIO_NET_S_LINK_UP);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTIO_NET_QUEUE_SIZE);
}
END_TEST

START_TEST(test_tx_strips_header_across_descriptors)
{
	uint8_t frame[60];
	uint32_t id, len;

	driver_init(FEAT(VIRTIO_NET_F_MAC), true);
	make_frame(frame, sizeof(frame), 3);
	/* Header split 6 + 6, frame split 20 + 40: three descriptors. */
	memset(ram + BUF_GPA, 0, 12);
	memcpy(ram + BUF_GPA + 12, frame, 60);
	put_desc(1, 0, BUF_GPA, 6, VIRTQ_DESC_F_NEXT, 1);
	put_desc(1, 1, BUF_GPA + 6, 26, VIRTQ_DESC_F_NEXT, 2);
	put_desc(1, 2, BUF_GPA + 32, 40, 0, 0);
	offer(1, 0, true);
	ck_assert_int_eq(rec->frames, 1);
	ck_assert_uint_eq(rec->last_len, 60);
	ck_assert_mem_eq(rec->last, frame, 60);
	ck_assert_uint_eq(used_idx(1), 1);
	used_elem(1, 0, &id, &len);
	ck_assert_uint_eq(id, 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(stats().tx_packets, 1);
	ck_assert_uint_eq(stats().tx_bytes, 60);
}
END_TEST

START_TEST(test_tx_hostile_chains_dropped_and_counted)
{
	uint8_t frame[60];

	driver_init(0, true);
	memset(ram + BUF_GPA, 0, 0x20000);
	/* Shorter than the header. */
	put_desc(1, 0, BUF_GPA, 4, 0, 0);
	offer(1, 0, true);
	/* A header and no frame. */
	put_desc(1, 0, BUF_GPA, 12, 0, 0);
	offer(1, 0, true);
	/* A frame beyond 64 KiB. */
	put_desc(1, 0, BUF_GPA, 12, VIRTQ_DESC_F_NEXT, 1);
	put_desc(1, 1, BUF_GPA + 12, NETDEV_MAX_FRAME + 1, 0, 0);
	offer(1, 0, true);
	/* GSO, which was never offered. */
	ram[BUF_GPA + 1] = VIRTIO_NET_HDR_GSO_NONE + 1;
	put_desc(1, 0, BUF_GPA, 12 + 60, 0, 0);
	offer(1, 0, true);
	ram[BUF_GPA + 1] = 0;
	/* Only writable buffers: nothing to send. */
	put_desc(1, 0, BUF_GPA, 100, VIRTQ_DESC_F_WRITE, 0);
	offer(1, 0, true);
	ck_assert_int_eq(rec->frames, 0);
	ck_assert_uint_eq(stats().tx_errors, 5);
	ck_assert_uint_eq(used_idx(1), 5);
	ck_assert(!(status() & VIRTIO_STATUS_NEEDS_RESET));
	/* The ring still works. */
	make_frame(frame, sizeof(frame), 9);
	memcpy(ram + BUF_GPA + 12, frame, sizeof(frame));
	put_desc(1, 0, BUF_GPA, 12 + 60, 0, 0);
	offer(1, 0, true);
	ck_assert_int_eq(rec->frames, 1);
	ck_assert_mem_eq(rec->last, frame, 60);
}
END_TEST

START_TEST(test_tx_outside_ram_needs_reset)
{
	driver_init(0, true);
	put_desc(1, 0, 0xfff00000ull, 72, 0, 0);
	offer(1, 0, true);
	ck_assert_int_eq(rec->frames, 0);
	ck_assert(status() & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_uint_eq(stats().tx_errors, 1);
	/* Straddling the end of RAM is no better. */
	driver_init(0, true);
	put_desc(1, 0, RAM_SIZE - 16, 72, 0, 0);
	offer(1, 0, true);
	ck_assert_int_eq(rec->frames, 0);
	ck_assert(status() & VIRTIO_STATUS_NEEDS_RESET);
}
END_TEST

START_TEST(test_rx_single_buffer)
{
	uint8_t frame[100], hdr[12] = {0};
	uint32_t id, len;
	uint16_t nb;

	driver_init(FEAT(VIRTIO_NET_F_MRG_RXBUF), true);
	post_rx(0, 2048, true);
	make_frame(frame, sizeof(frame), 1);
	ck_assert_int_eq(deliver(frame, sizeof(frame)), 0);
	ck_assert_uint_eq(used_idx(0), 1);
	used_elem(0, 0, &id, &len);
	ck_assert_uint_eq(id, 0);
	ck_assert_uint_eq(len, 12 + 100);
	memcpy(&nb, ram + rx_buf_gpa(0) + 10, 2);
	ck_assert_uint_eq(nb, 1);
	ck_assert_mem_eq(ram + rx_buf_gpa(0), hdr, 10); /* no flags, no GSO */
	ck_assert_mem_eq(ram + rx_buf_gpa(0) + 12, frame, 100);
	ck_assert_uint_eq(stats().rx_packets, 1);
	ck_assert_uint_eq(stats().rx_bytes, 100);
}
END_TEST

START_TEST(test_rx_mergeable_across_buffers)
{
	uint8_t frame[1200], got[1200];
	uint32_t id, len, total = 0;
	uint16_t nb;

	driver_init(FEAT(VIRTIO_NET_F_MRG_RXBUF), true);
	for (uint16_t i = 0; i < 3; i++)
		post_rx(i, 512, i == 2);
	make_frame(frame, sizeof(frame), 5);
	ck_assert_int_eq(deliver(frame, sizeof(frame)), 0);
	ck_assert_uint_eq(used_idx(0), 3);
	memcpy(&nb, ram + rx_buf_gpa(0) + 10, 2);
	ck_assert_uint_eq(nb, 3);
	for (uint16_t n = 0; n < 3; n++) {
		used_elem(0, n, &id, &len);
		ck_assert_uint_eq(id, n);
		ck_assert_uint_eq(len, n < 2 ? 512 : 12 + 1200 - 1024);
		memcpy(got + (n == 0 ? 0 : total - 12), ram + rx_buf_gpa(n) + (n == 0 ? 12 : 0),
		       n == 0 ? len - 12 : len);
		total += len;
	}
	ck_assert_uint_eq(total, 12 + 1200);
	ck_assert_mem_eq(got, frame, sizeof(frame));
}
END_TEST

START_TEST(test_rx_without_mergeable_too_small_dropped)
{
	uint8_t frame[600];
	uint32_t id, len;

	driver_init(0, true);
	post_rx(0, 512, true);
	make_frame(frame, sizeof(frame), 2);
	ck_assert_int_eq(deliver(frame, sizeof(frame)), -ENOBUFS);
	/* The buffer comes back empty so the guest's ring keeps moving. */
	ck_assert_uint_eq(used_idx(0), 1);
	used_elem(0, 0, &id, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(stats().rx_dropped, 1);
	ck_assert_uint_eq(stats().rx_packets, 0);
}
END_TEST

START_TEST(test_rx_buffer_shorter_than_header_dropped)
{
	uint8_t frame[64];
	uint32_t id, len;

	driver_init(FEAT(VIRTIO_NET_F_MRG_RXBUF), true);
	post_rx(0, 8, true);
	make_frame(frame, sizeof(frame), 4);
	ck_assert_int_eq(deliver(frame, sizeof(frame)), -ENOBUFS);
	used_elem(0, 0, &id, &len);
	ck_assert_uint_eq(used_idx(0), 1);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(stats().rx_dropped, 1);
}
END_TEST

START_TEST(test_rx_held_until_guest_adds_buffers)
{
	uint8_t frame[3][80];

	driver_init(FEAT(VIRTIO_NET_F_MRG_RXBUF), true);
	for (int i = 0; i < 3; i++) {
		make_frame(frame[i], 80, (uint8_t)(10 * i));
		ck_assert_int_eq(deliver(frame[i], 80), 0);
	}
	ck_assert_uint_eq(virtio_net_rx_held(vn), 3);
	ck_assert_uint_eq(used_idx(0), 0);
	/* Three buffers, one kick: all three frames, in order. */
	for (uint16_t i = 0; i < 3; i++)
		post_rx(i, 2048, false);
	mmio_write(bar0 + VIRTIO_PCI_NOTIFY_OFF, 0, 2);
	ck_assert_uint_eq(virtio_net_rx_held(vn), 0);
	ck_assert_uint_eq(used_idx(0), 3);
	for (uint16_t i = 0; i < 3; i++)
		ck_assert_mem_eq(ram + rx_buf_gpa(i) + 12, frame[i], 80);
	ck_assert_uint_eq(stats().rx_packets, 3);
	ck_assert_uint_eq(stats().rx_dropped, 0);
}
END_TEST

START_TEST(test_rx_partial_room_not_consumed)
{
	uint8_t frame[1000];

	driver_init(FEAT(VIRTIO_NET_F_MRG_RXBUF), true);
	post_rx(0, 512, true); /* 1012 bytes need two of these */
	make_frame(frame, sizeof(frame), 8);
	ck_assert_int_eq(deliver(frame, sizeof(frame)), 0);
	ck_assert_uint_eq(virtio_net_rx_held(vn), 1);
	ck_assert_uint_eq(used_idx(0), 0);
	post_rx(1, 512, true);
	ck_assert_uint_eq(virtio_net_rx_held(vn), 0);
	ck_assert_uint_eq(used_idx(0), 2);
	ck_assert_mem_eq(ram + rx_buf_gpa(0) + 12, frame, 500);
	ck_assert_mem_eq(ram + rx_buf_gpa(1), frame + 500, 500);
}
END_TEST

START_TEST(test_rx_hold_queue_bounded)
{
	uint8_t frame[64];

	driver_init(0, true);
	make_frame(frame, sizeof(frame), 6);
	for (int i = 0; i < VIRTIO_NET_RX_HOLD; i++)
		ck_assert_int_eq(deliver(frame, sizeof(frame)), 0);
	ck_assert(!rec->nd.fe.can_receive(rec->nd.fe.opaque));
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(deliver(frame, sizeof(frame)), -ENOBUFS);
	ck_assert_uint_eq(virtio_net_rx_held(vn), VIRTIO_NET_RX_HOLD);
	ck_assert_uint_eq(stats().rx_dropped, 5);
	/* Buffers arrive: the backend hears it may send again. */
	post_rx(0, 2048, true);
	ck_assert_uint_eq(used_idx(0), 1);
	ck_assert_uint_eq(virtio_net_rx_held(vn), VIRTIO_NET_RX_HOLD - 1);
	ck_assert(rec->nd.fe.can_receive(rec->nd.fe.opaque));
	ck_assert_int_eq(rec->rx_ready_calls, 1);
}
END_TEST

START_TEST(test_rx_before_driver_ok_and_bad_sizes_dropped)
{
	uint8_t frame[64];

	make_frame(frame, sizeof(frame), 7);
	ck_assert_int_eq(deliver(frame, sizeof(frame)), -ENOBUFS);
	driver_init(0, false);
	post_rx(0, 2048, false);
	ck_assert_int_eq(deliver(frame, sizeof(frame)), -ENOBUFS);
	ck_assert_uint_eq(used_idx(0), 0);
	driver_init(0, true);
	post_rx(0, 2048, true);
	ck_assert_int_eq(deliver(frame, 0), -ENOBUFS);
	ck_assert_int_eq(deliver(frame, NETDEV_MIN_FRAME - 1), -ENOBUFS);
	ck_assert_uint_eq(used_idx(0), 0);
	ck_assert_uint_eq(stats().rx_dropped, 4);
}
END_TEST

START_TEST(test_reset_forgets_held_frames)
{
	uint8_t frame[64];

	driver_init(0, true);
	make_frame(frame, sizeof(frame), 11);
	ck_assert_int_eq(deliver(frame, sizeof(frame)), 0);
	ck_assert_uint_eq(virtio_net_rx_held(vn), 1);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS, 0, 1);
	ck_assert_uint_eq(virtio_net_rx_held(vn), 0);
	ck_assert_uint_eq(stats().rx_dropped, 1);
	/* A new driver starts clean. */
	driver_init(0, true);
	post_rx(0, 2048, true);
	ck_assert_uint_eq(used_idx(0), 0);
}
END_TEST

static Suite *virtio_net_suite(void)
{
	Suite *s = suite_create("virtio_net");
	TCase *tc = tcase_create("device");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_identity_config_features);
	tcase_add_test(tc, test_tx_strips_header_across_descriptors);
	tcase_add_test(tc, test_tx_hostile_chains_dropped_and_counted);
	tcase_add_test(tc, test_tx_outside_ram_needs_reset);
	tcase_add_test(tc, test_rx_single_buffer);
	tcase_add_test(tc, test_rx_mergeable_across_buffers);
	tcase_add_test(tc, test_rx_without_mergeable_too_small_dropped);
	tcase_add_test(tc, test_rx_buffer_shorter_than_header_dropped);
	tcase_add_test(tc, test_rx_held_until_guest_adds_buffers);
	tcase_add_test(tc, test_rx_partial_room_not_consumed);
	tcase_add_test(tc, test_rx_hold_queue_bounded);
	tcase_add_test(tc, test_rx_before_driver_ok_and_bad_sizes_dropped);
	tcase_add_test(tc, test_reset_forgets_held_frames);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtio_net_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
