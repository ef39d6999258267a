/* blk.elf: drives virtio-blk over modern virtio-pci: reads sector 0
 * (checksum printed for the runner to compare with the host file), writes
 * a known pattern to sector 1, flushes, reads it back, and checks that a
 * read past the end of the disk fails. */
#include "guest.h"
#include "guest_virtio.h"

#define VIRTIO_BLK_F_RO	   (1ULL << 5)
#define VIRTIO_BLK_F_FLUSH (1ULL << 9)

#define VIRTIO_BLK_T_IN	   0
#define VIRTIO_BLK_T_OUT   1
#define VIRTIO_BLK_T_FLUSH 4

#define VIRTIO_BLK_S_OK 0
/* Never written by a device; tells "no answer" apart from a real status. */
#define BLK_STATUS_UNSET 0xff

#define SECTOR_SIZE 512

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct virtio_dev blk_dev;
static struct virtq blk_vq;
static struct virtio_blk_req_hdr blk_hdr;
static uint8_t blk_status;
static uint8_t blk_buf[SECTOR_SIZE];
static uint8_t blk_pattern[SECTOR_SIZE];

/* One request: header, optional data, status byte. Returns the status
 * the device wrote, or -1 if the transport failed. */
static int blk_request(uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	struct virtq_buf bufs[3];
	int n = 0;

	blk_hdr.type = type;
	blk_hdr.reserved = 0;
	blk_hdr.sector = sector;
	blk_status = BLK_STATUS_UNSET;
	bufs[n++] = (struct virtq_buf){&blk_hdr, sizeof(blk_hdr), 0};
	if (len)
		bufs[n++] = (struct virtq_buf){data, len, type == VIRTIO_BLK_T_IN};
	bufs[n++] = (struct virtq_buf){&blk_status, 1, 1};
	if (virtq_transfer(&blk_dev, &blk_vq, bufs, n, NULL))
		return -1;
	return blk_status;
}

/* The runner rebuilds this with printf: 32 lines of 16 bytes. */
static void blk_make_pattern(void)
{
	for (int line = 0; line < SECTOR_SIZE / 16; line++) {
		char *p = (char *)blk_pattern + 16 * line;

		memcpy(p, "sector1 line ", 13);
		p[13] = (char)('0' + line / 10);
		p[14] = (char)('0' + line % 10);
		p[15] = '\n';
	}
}

int guest_main(const struct hvm_start_info *si)
{
	uint64_t capacity;
	int st;

	if (virtio_pci_open(&blk_dev, VIRTIO_PCI_DEVICE_BLK, "blk") ||
	    virtio_negotiate(&blk_dev, VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH) ||
	    virtio_queue_setup(&blk_dev, 0, &blk_vq) || virtio_driver_ok(&blk_dev))
		return 1;
	if (!blk_dev.device) {
		serial_puts("blk: error: no device-specific config capability\n");
		return 1;
	}
	guest_printf("blk: features ro=%d flush=%d queue_size=%u\n",
		     !!(blk_dev.features & VIRTIO_BLK_F_RO),
		     !!(blk_dev.features & VIRTIO_BLK_F_FLUSH), blk_vq.size);
	capacity = virtio_cfg_read64(&blk_dev, 0);
	guest_printf("blk: capacity=%llu\n", (unsigned long long)capacity);

	st = blk_request(VIRTIO_BLK_T_IN, 0, blk_buf, SECTOR_SIZE);
	guest_printf("blk: read0 status=%d fnv1a=%08x\n", st, fnv1a32(blk_buf, SECTOR_SIZE));

	blk_make_pattern();
	st = blk_request(VIRTIO_BLK_T_OUT, 1, blk_pattern, SECTOR_SIZE);
	guest_printf("blk: write1 status=%d\n", st);

	if (blk_dev.features & VIRTIO_BLK_F_FLUSH)
		guest_printf("blk: flush status=%d\n", blk_request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0));
	else
		serial_puts("blk: flush not offered\n");

	memset(blk_buf, 0, SECTOR_SIZE);
	st = blk_request(VIRTIO_BLK_T_IN, 1, blk_buf, SECTOR_SIZE);
	guest_printf("blk: read1 status=%d match=%s\n", st,
		     memcmp(blk_buf, blk_pattern, SECTOR_SIZE) ? "no" : "yes");

	/* A request that ends beyond the disk must be refused, not served. */
	st = blk_request(VIRTIO_BLK_T_IN, capacity, blk_buf, SECTOR_SIZE);
	guest_printf("blk: read-past-end status=%d\n", st);

	serial_puts("blk: done\n");
	return 0;
}
