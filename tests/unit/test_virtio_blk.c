/* virtio-blk driven like a guest driver would: PCI config and BAR MMIO
 * through real io_buses, rings in a fake guest RAM, a temp file as disk. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_mem.h"
#include "iobus.h"
#include "pci.h"
#include "virtio_blk.h"
#include "virtio_pci.h"

#define RAM_SIZE   (1 << 20)
#define QSIZE      16
#define DESC_GPA   0x1000
#define AVAIL_GPA  0x2000
#define USED_GPA   0x3000
#define TABLE_GPA  0x4000
#define HDR_GPA    0x8000
#define STATUS_GPA 0x8100
#define DATA_GPA   0x10000
#define DISK_SIZE  (256 * 1024) /* 512 sectors */
#define SLOT       1

static uint8_t *ram;
static struct guest_mem mem;
static struct io_bus pio, mmio;
static struct pci_bus *bus;
static struct virtio_blk *blk;
static char path[256];
static int disk_fd;
static uint64_t bar0;
static int msi_count;

#include "virtio_pci_access.h"

static int record_msi(struct irqchip *chip, uint64_t addr, uint32_t data)
{
	msi_count++;
	return 0;
}

static struct irqchip irq = {.set_line = no_line, .signal_msi = record_msi};

static void make_disk(void)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	uint8_t sector[512];

	snprintf(path, sizeof(path), "%s/virtio-blk-test-XXXXXX", tmp);
	disk_fd = mkstemp(path);
	ck_assert_int_ge(disk_fd, 0);
	/* Sector n is filled with the byte n & 0xff, so reads are checkable. */
	for (int s = 0; s < DISK_SIZE / 512; s++) {
		memset(sector, s & 0xff, sizeof(sector));
		ck_assert_int_eq(pwrite(disk_fd, sector, 512, (off_t)s * 512), 512);
	}
}

static void open_blk(bool readonly)
{
	char err[256];

	blk = virtio_blk_new(bus, &mem, &irq, path, readonly, err, sizeof(err));
	ck_assert_msg(blk != NULL, "%s", err);
	bar0 = cfg_read(0x10, 4) & ~0xfULL;
}

static void setup(void)
{
	ram = calloc(1, RAM_SIZE);
	guest_mem_init_flat(&mem, ram, RAM_SIZE);
	io_bus_init(&pio, "pio");
	io_bus_init(&mmio, "mmio");
	bus = pci_bus_new(&pio, &mmio);
	ck_assert_ptr_nonnull(bus);
	make_disk();
	msi_count = 0;
	blk = NULL;
}

static void teardown(void)
{
	virtio_blk_free(blk);
	pci_bus_free(bus);
	io_bus_destroy(&pio);
	io_bus_destroy(&mmio);
	close(disk_fd);
	unlink(path);
	free(ram);
}

static uint8_t status(void)
{
	return (uint8_t)mmio_read(bar0 + VIRTIO_PCI_COMMON_STATUS, 1);
}

static uint64_t device_features(void)
{
	mmio_write(bar0 + VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	uint64_t lo = mmio_read(bar0 + VIRTIO_PCI_COMMON_DF, 4);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	return lo | mmio_read(bar0 + VIRTIO_PCI_COMMON_DF, 4) << 32;
}

/* Negotiate `features`; returns the status the device shows afterwards. */
static uint8_t negotiate(uint64_t features)
{
	mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS, 0, 1);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE, 1);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	for (uint32_t sel = 0; sel < 2; sel++) {
		mmio_write(bar0 + VIRTIO_PCI_COMMON_GFSELECT, sel, 4);
		mmio_write(bar0 + VIRTIO_PCI_COMMON_GF, (uint32_t)(features >> (32 * sel)), 4);
	}
	mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK, 1);
	return status();
}

/* Full bring-up as Linux does it, with MSI-X vector 1 for the queue. */
static void driver_init(uint64_t features)
{
	int cap = 0;

	memset(ram, 0, 0x10000);
	ck_assert(negotiate(features) & VIRTIO_STATUS_FEATURES_OK);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTIO_BLK_QUEUE_SIZE);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_SIZE, QSIZE, 2);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_MSIX, 0, 2);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_MSIX, 1, 2);
	/* 64-bit fields written as two halves, as Linux does. */
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_DESC, DESC_GPA, 4);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_DESC + 4, 0, 4);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_AVAIL, AVAIL_GPA, 4);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_AVAIL + 4, 0, 4);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_USED, USED_GPA, 4);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_USED + 4, 0, 4);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	/* MSI-X on, vectors 0 and 1 unmasked. */
	for (uint8_t pos = (uint8_t)cfg_read(PCI_CAP_PTR, 1); pos;
	     pos = (uint8_t)cfg_read(pos + 1, 1))
		if (cfg_read(pos, 1) == PCI_CAP_ID_MSIX)
			cap = pos;
	ck_assert_int_gt(cap, 0);
	uint64_t table = cfg_read(0x14, 4) & ~0xfULL;
	for (int v = 0; v < 2; v++) {
		mmio_write(table + 16 * v, 0xfee00000, 4);
		mmio_write(table + 16 * v + 8, 0x40 + v, 4);
		mmio_write(table + 16 * v + 12, 0, 4);
	}
	cfg_write(cap + 2, PCI_MSIX_FLAGS_ENABLE, 2);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			   VIRTIO_STATUS_DRIVER_OK,
		   1);
}

#define FEAT(b) (1ULL << (b))
#define BASE_FEATURES FEAT(VIRTIO_F_VERSION_1)

static void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *d = ram + table + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static uint16_t used_idx(void)
{
	uint16_t v;

	memcpy(&v, ram + USED_GPA + 2, 2);
	return v;
}

/* Make chain `head` available and kick the queue. */
static void kick(uint16_t head)
{
	uint16_t idx;

	memcpy(&idx, ram + AVAIL_GPA + 2, 2);
	memcpy(ram + AVAIL_GPA + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(ram + AVAIL_GPA + 2, &idx, 2);
	mmio_write(bar0 + VIRTIO_PCI_NOTIFY_OFF, 0, 2);
}

/* One request: header, optional data buffer, status byte. Returns the
 * status; *used_len gets the length the device reported. */
static int request(uint32_t type, uint64_t sector, uint32_t len, bool data_writable,
		   uint32_t *used_len)
{
	uint16_t before = used_idx();
	uint8_t hdr[16] = {0};
	uint16_t d = 0;

	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	memcpy(ram + HDR_GPA, hdr, 16);
	ram[STATUS_GPA] = 0xee;
	put_desc(DESC_GPA, d, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, d + 1);
	d++;
	if (len) {
		put_desc(DESC_GPA, d, DATA_GPA, len,
			 VIRTQ_DESC_F_NEXT | (data_writable ? VIRTQ_DESC_F_WRITE : 0), d + 1);
		d++;
	}
	put_desc(DESC_GPA, d, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
	kick(0);
	ck_assert_uint_eq(used_idx(), (uint16_t)(before + 1));
	if (used_len)
		memcpy(used_len, ram + USED_GPA + 4 + 8 * (before % QSIZE) + 4, 4);
	return ram[STATUS_GPA];
}

static void file_read(off_t off, void *buf, size_t len)
{
	ck_assert_int_eq(pread(disk_fd, buf, len, off), (ssize_t)len);
}

START_TEST(test_identity_and_config)
{
	uint64_t f, cap;

	open_blk(false);
	ck_assert_uint_eq(cfg_read(0, 4), 0x10421af4);
	f = device_features();
	ck_assert(f & FEAT(VIRTIO_F_VERSION_1));
	ck_assert(f & FEAT(VIRTIO_BLK_F_FLUSH));
	ck_assert(f & FEAT(VIRTIO_BLK_F_DISCARD));
	ck_assert(f & FEAT(VIRTIO_BLK_F_WRITE_ZEROES));
	ck_assert(!(f & FEAT(VIRTIO_BLK_F_RO)));
	cap = mmio_read(bar0 + VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_CAPACITY, 8);
	ck_assert_uint_eq(cap, DISK_SIZE / 512);
	/* The capacity read as two 32-bit halves agrees. */
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_DEVCFG_OFF, 4), DISK_SIZE / 512);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_DEVCFG_OFF + 4, 4), 0);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_BLK_SIZE, 4), 512);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_DEVCFG_OFF + VIRTIO_BLK_CFG_SEG_MAX, 4),
			  VIRTIO_BLK_SEG_MAX);
	/* Past the end of the device config: zeroes. */
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_DEVCFG_OFF + 0x200, 4), 0);
}
END_TEST

START_TEST(test_read_write_flush_stats)
{
	uint8_t buf[1024], expect[1024];
	uint32_t used;
	struct vmm_disk_stats st;

	open_blk(false);
	driver_init(BASE_FEATURES);
	/* Read sectors 3 and 4. */
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, 3, 1024, true, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 1025);
	memset(expect, 3, 512);
	memset(expect + 512, 4, 512);
	ck_assert_mem_eq(ram + DATA_GPA, expect, 1024);
	ck_assert_int_ge(msi_count, 1);

	/* Write sector 7, then the file has it. */
	memset(ram + DATA_GPA, 0xc3, 512);
	ck_assert_int_eq(request(VIRTIO_BLK_T_OUT, 7, 512, false, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 1);
	file_read(7 * 512, buf, 512);
	memset(expect, 0xc3, 512);
	ck_assert_mem_eq(buf, expect, 512);
	file_read(8 * 512, buf, 1);
	ck_assert_uint_eq(buf[0], 8);

	ck_assert_int_eq(request(VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
	/* Unknown request type. */
	ck_assert_int_eq(request(99, 0, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);

	virtio_blk_get_stats(blk, &st);
	ck_assert_str_eq(st.path, path);
	ck_assert_uint_eq(st.rd_reqs, 1);
	ck_assert_uint_eq(st.rd_bytes, 1024);
	ck_assert_uint_eq(st.wr_reqs, 1);
	ck_assert_uint_eq(st.wr_bytes, 512);
	ck_assert_uint_eq(st.flush_reqs, 1);
	ck_assert_uint_eq(st.errors, 1);
}
END_TEST

START_TEST(test_scattered_read_via_indirect)
{
	uint8_t expect[512];
	uint32_t used;

	open_blk(false);
	driver_init(BASE_FEATURES | FEAT(VIRTIO_RING_F_INDIRECT_DESC));
	/* Header, 3 data pieces (100 + 300 + 112 bytes), status. */
	uint8_t hdr[16] = {0};
	uint64_t sector = 9;
	memcpy(hdr + 8, &sector, 8);
	memcpy(ram + HDR_GPA, hdr, 16);
	put_desc(TABLE_GPA, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(TABLE_GPA, 1, DATA_GPA, 100, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	put_desc(TABLE_GPA, 2, DATA_GPA + 0x1000, 300, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	put_desc(TABLE_GPA, 3, DATA_GPA + 0x2000, 112, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 4);
	put_desc(TABLE_GPA, 4, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
	put_desc(DESC_GPA, 5, TABLE_GPA, 5 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	kick(5);
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert_uint_eq(ram[STATUS_GPA], VIRTIO_BLK_S_OK);
	memcpy(&used, ram + USED_GPA + 8, 4);
	ck_assert_uint_eq(used, 513);
	memset(expect, 9, sizeof(expect));
	ck_assert_mem_eq(ram + DATA_GPA, expect, 100);
	ck_assert_mem_eq(ram + DATA_GPA + 0x1000, expect, 300);
	ck_assert_mem_eq(ram + DATA_GPA + 0x2000, expect, 112);
}
END_TEST

START_TEST(test_get_id)
{
	const char *base = strrchr(path, '/') + 1;
	uint32_t used;

	open_blk(false);
	driver_init(BASE_FEATURES);
	memset(ram + DATA_GPA, 0xff, 32);
	ck_assert_int_eq(request(VIRTIO_BLK_T_GET_ID, 0, 20, true, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 21);
	/* The file name, cut to 20 bytes; NUL-padded when shorter. */
	size_t n = strlen(base) < 20 ? strlen(base) : 20;
	ck_assert_mem_eq(ram + DATA_GPA, base, n);
	if (n < 20)
		ck_assert_uint_eq(ram[DATA_GPA + n], 0);
	ck_assert_uint_eq(ram[DATA_GPA + 20], 0xff); /* nothing past the id */
}
END_TEST

START_TEST(test_readonly_rejects_writes)
{
	uint8_t buf[512], expect[512];

	open_blk(true);
	ck_assert(device_features() & FEAT(VIRTIO_BLK_F_RO));
	ck_assert(!(device_features() & FEAT(VIRTIO_BLK_F_DISCARD)));
	driver_init(BASE_FEATURES | FEAT(VIRTIO_BLK_F_RO));
	memset(ram + DATA_GPA, 0x77, 512);
	ck_assert_int_eq(request(VIRTIO_BLK_T_OUT, 2, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	file_read(2 * 512, buf, 512);
	memset(expect, 2, 512);
	ck_assert_mem_eq(buf, expect, 512);
	/* A hostile guest sending discard anyway is refused too. */
	uint8_t seg[16] = {0};
	uint32_t n = 1;
	memcpy(seg + 8, &n, 4);
	memcpy(ram + DATA_GPA, seg, 16);
	ck_assert_int_eq(request(VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL), VIRTIO_BLK_S_IOERR);
	/* Reads still work. */
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, 2, 512, true, NULL), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(ram + DATA_GPA, expect, 512);
}
END_TEST

START_TEST(test_out_of_range_sectors)
{
	const uint64_t cap = DISK_SIZE / 512;
	struct vmm_disk_stats st;

	open_blk(false);
	driver_init(BASE_FEATURES);
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, cap - 1, 512, true, NULL), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, cap - 1, 1024, true, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, cap, 512, true, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(request(VIRTIO_BLK_T_OUT, UINT64_MAX, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(request(VIRTIO_BLK_T_OUT, UINT64_MAX / 512 + 1, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	/* Not a whole number of sectors. */
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, 0, 100, true, NULL), VIRTIO_BLK_S_IOERR);
	virtio_blk_get_stats(blk, &st);
	ck_assert_uint_eq(st.errors, 5);
	ck_assert_int_eq(lseek(disk_fd, 0, SEEK_END), DISK_SIZE);
}
END_TEST

static long long disk_blocks(void)
{
	struct stat st;

	ck_assert_int_eq(fstat(disk_fd, &st), 0);
	return (long long)st.st_blocks;
}

static int discard(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
	uint8_t seg[16];

	memcpy(seg, &sector, 8);
	memcpy(seg + 8, &n, 4);
	memcpy(seg + 12, &flags, 4);
	memcpy(ram + DATA_GPA, seg, 16);
	return request(type, 0, 16, false, NULL);
}

START_TEST(test_discard_and_write_zeroes_keep_file_sparse)
{
	uint8_t buf[64 * 1024], zero[64 * 1024] = {0};
	long long before;

	open_blk(false);
	driver_init(BASE_FEATURES | FEAT(VIRTIO_BLK_F_DISCARD) | FEAT(VIRTIO_BLK_F_WRITE_ZEROES));
	fsync(disk_fd);
	before = disk_blocks();
	/* Discard 64 KiB at sector 128: reads back zero, space is freed. */
	ck_assert_int_eq(discard(VIRTIO_BLK_T_DISCARD, 128, 128, 0), VIRTIO_BLK_S_OK);
	file_read(128 * 512, buf, sizeof(buf));
	ck_assert_mem_eq(buf, zero, sizeof(buf));
	ck_assert_int_lt(disk_blocks(), before);
	file_read(127 * 512, buf, 512);
	ck_assert_uint_eq(buf[511], 127);
	file_read(256 * 512, buf, 1);
	ck_assert_uint_eq(buf[0], 0);  /* sector 256 = byte 0x00 pattern */
	file_read(257 * 512, buf, 1);
	ck_assert_uint_eq(buf[0], 1);

	/* Write zeroes with unmap: zero and sparse. */
	before = disk_blocks();
	ck_assert_int_eq(discard(VIRTIO_BLK_T_WRITE_ZEROES, 300, 128, 1), VIRTIO_BLK_S_OK);
	file_read(300 * 512, buf, sizeof(buf));
	ck_assert_mem_eq(buf, zero, sizeof(buf));
	ck_assert_int_lt(disk_blocks(), before);
	/* Without unmap: still zeroes. */
	ck_assert_int_eq(discard(VIRTIO_BLK_T_WRITE_ZEROES, 10, 1, 0), VIRTIO_BLK_S_OK);
	file_read(10 * 512, buf, 512);
	ck_assert_mem_eq(buf, zero, 512);
	/* Past the end, reserved flags, too many segments. */
	ck_assert_int_eq(discard(VIRTIO_BLK_T_DISCARD, DISK_SIZE / 512 - 1, 2, 0),
			 VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(discard(VIRTIO_BLK_T_DISCARD, 0, 1, 1), VIRTIO_BLK_S_UNSUPP);
	ck_assert_int_eq(discard(VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 2), VIRTIO_BLK_S_UNSUPP);
	ck_assert_int_eq(request(VIRTIO_BLK_T_DISCARD, 0, 32, false, NULL), VIRTIO_BLK_S_UNSUPP);
	ck_assert_int_eq(lseek(disk_fd, 0, SEEK_END), DISK_SIZE);
}
END_TEST

START_TEST(test_size_not_multiple_of_512_refused)
{
	char err[256];

	ck_assert_int_eq(ftruncate(disk_fd, 1000), 0);
	blk = virtio_blk_new(bus, &mem, &irq, path, false, err, sizeof(err));
	ck_assert_ptr_null(blk);
	ck_assert_msg(strstr(err, "multiple of 512") && strstr(err, path), "%s", err);
	/* Nothing was left on the bus. */
	ck_assert_uint_eq(cfg_read(0, 2), 0xffff);
	blk = virtio_blk_new(bus, &mem, &irq, "/nonexistent/disk.img", false, err, sizeof(err));
	ck_assert_ptr_null(blk);
	ck_assert_msg(strstr(err, "disk '/nonexistent/disk.img': cannot open"), "%s", err);
}
END_TEST

START_TEST(test_disk_locked_against_second_writer)
{
	char err[256];
	struct virtio_blk *second;

	open_blk(false);
	second = virtio_blk_new(bus, &mem, &irq, path, false, err, sizeof(err));
	ck_assert_ptr_null(second);
	ck_assert_msg(strstr(err, "in use"), "%s", err);
}
END_TEST

START_TEST(test_feature_negotiation)
{
	open_blk(false);
	/* A legacy driver (no VERSION_1) is refused: FEATURES_OK stays clear. */
	ck_assert(!(negotiate(FEAT(VIRTIO_BLK_F_FLUSH)) & VIRTIO_STATUS_FEATURES_OK));
	/* So is a feature we never offered. */
	ck_assert(!(negotiate(BASE_FEATURES | FEAT(50)) & VIRTIO_STATUS_FEATURES_OK));
	ck_assert(negotiate(BASE_FEATURES | FEAT(VIRTIO_BLK_F_FLUSH)) &
		  VIRTIO_STATUS_FEATURES_OK);
	/* Accepted features read back; they are frozen after FEATURES_OK. */
	mmio_write(bar0 + VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_GF, 0, 4);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_GF, 4), FEAT(VIRTIO_BLK_F_FLUSH));
	/* Out-of-range MSI-X vectors read back as NO_VECTOR. */
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_MSIX, 7, 2);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	/* A queue that does not exist reads size 0. */
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
}
END_TEST

START_TEST(test_reset_drops_queue_state)
{
	open_blk(false);
	driver_init(BASE_FEATURES);
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_STATUS, 0, 1);
	ck_assert_uint_eq(status(), 0);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTIO_BLK_QUEUE_SIZE);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_DESC, 8), 0);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_GF, 4), 0);
	/* A kick after reset does nothing. */
	uint16_t before = used_idx();
	mmio_write(bar0 + VIRTIO_PCI_NOTIFY_OFF, 0, 2);
	ck_assert_uint_eq(used_idx(), before);
	/* The guest can bring the device up again and use it. */
	driver_init(BASE_FEATURES);
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, 5, 512, true, NULL), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(ram[DATA_GPA], 5);
}
END_TEST

/* A hostile chain stops the queue with DEVICE_NEEDS_RESET and a config
 * interrupt; nothing is written to the disk; reset brings it back. */
static void expect_needs_reset(void)
{
	uint8_t buf[512], expect[512];

	ck_assert(status() & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_uint_eq(used_idx(), 0);
	file_read(0, buf, 512);
	memset(expect, 0, 512);
	ck_assert_mem_eq(buf, expect, 512);
	/* Further kicks are ignored. */
	mmio_write(bar0 + VIRTIO_PCI_NOTIFY_OFF, 0, 2);
	ck_assert_uint_eq(used_idx(), 0);
	driver_init(BASE_FEATURES);
	ck_assert(!(status() & VIRTIO_STATUS_NEEDS_RESET));
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, 6, 512, true, NULL), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(ram[DATA_GPA], 6);
}

static void write_hdr_sector0(void)
{
	uint8_t hdr[16] = {VIRTIO_BLK_T_OUT};

	memcpy(ram + HDR_GPA, hdr, 16);
	memset(ram + DATA_GPA, 0x99, 512);
}

START_TEST(test_hostile_loop)
{
	open_blk(false);
	driver_init(BASE_FEATURES);
	write_hdr_sector0();
	put_desc(DESC_GPA, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(DESC_GPA, 1, DATA_GPA, 512, VIRTQ_DESC_F_NEXT, 0);
	kick(0);
	ck_assert_int_ge(msi_count, 1); /* config interrupt */
	expect_needs_reset();
}
END_TEST

START_TEST(test_hostile_address_outside_ram)
{
	open_blk(false);
	driver_init(BASE_FEATURES);
	write_hdr_sector0();
	put_desc(DESC_GPA, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(DESC_GPA, 1, RAM_SIZE - 256, 512, VIRTQ_DESC_F_NEXT, 2);
	put_desc(DESC_GPA, 2, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
	kick(0);
	expect_needs_reset();
}
END_TEST

START_TEST(test_hostile_zero_length)
{
	open_blk(false);
	driver_init(BASE_FEATURES);
	write_hdr_sector0();
	put_desc(DESC_GPA, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(DESC_GPA, 1, DATA_GPA, 0, VIRTQ_DESC_F_NEXT, 2);
	put_desc(DESC_GPA, 2, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
	kick(0);
	expect_needs_reset();
}
END_TEST

START_TEST(test_hostile_too_many_descriptors)
{
	uint32_t n = 2000;

	open_blk(false);
	driver_init(BASE_FEATURES | FEAT(VIRTIO_RING_F_INDIRECT_DESC));
	write_hdr_sector0();
	put_desc(0x20000, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	for (uint32_t i = 1; i < n; i++)
		put_desc(0x20000, (uint16_t)i, DATA_GPA, 512, i + 1 < n ? VIRTQ_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	put_desc(DESC_GPA, 0, 0x20000, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
	kick(0);
	expect_needs_reset();
}
END_TEST

START_TEST(test_hostile_bad_indirect_table)
{
	open_blk(false);
	driver_init(BASE_FEATURES | FEAT(VIRTIO_RING_F_INDIRECT_DESC));
	write_hdr_sector0();
	put_desc(TABLE_GPA, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(TABLE_GPA, 1, DATA_GPA, 512, 0, 0);
	put_desc(DESC_GPA, 0, TABLE_GPA, 20, VIRTQ_DESC_F_INDIRECT, 0); /* not n*16 */
	kick(0);
	expect_needs_reset();
}
END_TEST

START_TEST(test_hostile_ring_outside_ram)
{
	open_blk(false);
	ck_assert(negotiate(BASE_FEATURES) & VIRTIO_STATUS_FEATURES_OK);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_DESC, 0xfffffffffff00000ULL, 8);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_AVAIL, AVAIL_GPA, 8);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_USED, USED_GPA, 8);
	mmio_write(bar0 + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	ck_assert_uint_eq(mmio_read(bar0 + VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	ck_assert(status() & VIRTIO_STATUS_NEEDS_RESET);
	mmio_write(bar0 + VIRTIO_PCI_NOTIFY_OFF, 0, 2);
}
END_TEST

START_TEST(test_malformed_request_without_status)
{
	struct vmm_disk_stats st;

	open_blk(false);
	driver_init(BASE_FEATURES);
	/* Only a header, nowhere to put the status: returned with length 0. */
	put_desc(DESC_GPA, 0, HDR_GPA, 16, 0, 0);
	kick(0);
	ck_assert_uint_eq(used_idx(), 1);
	virtio_blk_get_stats(blk, &st);
	ck_assert_uint_eq(st.errors, 1);
	ck_assert(!(status() & VIRTIO_STATUS_NEEDS_RESET));
}
END_TEST

START_TEST(test_event_idx_suppresses_interrupts)
{
	uint16_t used_event = 5, avail_event;

	open_blk(false);
	driver_init(BASE_FEATURES | FEAT(VIRTIO_RING_F_EVENT_IDX));
	memcpy(ram + AVAIL_GPA + 4 + 2 * QSIZE, &used_event, 2);
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(msi_count, 1);
	ck_assert_int_eq(request(VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(msi_count, 1); /* used idx 2 has not passed 5 */
	memcpy(&avail_event, ram + USED_GPA + 4 + 8 * QSIZE, 2);
	ck_assert_uint_eq(avail_event, 2);
}
END_TEST

static Suite *virtio_blk_suite(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *tc = tcase_create("device");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_identity_and_config);
	tcase_add_test(tc, test_read_write_flush_stats);
	tcase_add_test(tc, test_scattered_read_via_indirect);
	tcase_add_test(tc, test_get_id);
	tcase_add_test(tc, test_readonly_rejects_writes);
	tcase_add_test(tc, test_out_of_range_sectors);
	tcase_add_test(tc, test_discard_and_write_zeroes_keep_file_sparse);
	tcase_add_test(tc, test_size_not_multiple_of_512_refused);
	tcase_add_test(tc, test_disk_locked_against_second_writer);
	tcase_add_test(tc, test_feature_negotiation);
	tcase_add_test(tc, test_reset_drops_queue_state);
	tcase_add_test(tc, test_hostile_loop);
	tcase_add_test(tc, test_hostile_address_outside_ram);
	tcase_add_test(tc, test_hostile_zero_length);
	tcase_add_test(tc, test_hostile_too_many_descriptors);
	tcase_add_test(tc, test_hostile_bad_indirect_table);
	tcase_add_test(tc, test_hostile_ring_outside_ram);
	tcase_add_test(tc, test_malformed_request_without_status);
	tcase_add_test(tc, test_event_idx_suppresses_interrupts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtio_blk_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
