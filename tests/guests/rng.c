/* rng.elf: reads 64 bytes from virtio-rng and prints them in hex; the
 * runner checks they are not all zero and differ between two boots. */
#include "guest.h"
#include "guest_virtio.h"

#define RNG_BYTES 64

static struct virtio_dev rng_dev;
static struct virtq rng_vq;
static uint8_t rng_buf[RNG_BYTES];

int guest_main(const struct hvm_start_info *si)
{
	uint32_t got = 0;
	int requests = 0;

	if (virtio_pci_open(&rng_dev, VIRTIO_PCI_DEVICE_RNG, "rng") ||
	    virtio_negotiate(&rng_dev, 0) || virtio_queue_setup(&rng_dev, 0, &rng_vq) ||
	    virtio_driver_ok(&rng_dev))
		return 1;

	/* A device may return fewer bytes than asked: ask again for the rest. */
	while (got < RNG_BYTES) {
		struct virtq_buf buf = {rng_buf + got, RNG_BYTES - got, 1};
		uint32_t len = 0;

		if (virtq_transfer(&rng_dev, &rng_vq, &buf, 1, &len))
			return 1;
		if (len > RNG_BYTES - got) {
			guest_printf("rng: error: device claims %u bytes, buffer had %u\n", len,
				     RNG_BYTES - got);
			return 1;
		}
		got += len;
		if (++requests > 64) {
			serial_puts("rng: error: device keeps returning no data\n");
			return 1;
		}
	}
	guest_printf("rng: requests=%d\n", requests);
	serial_puts("rng: bytes=");
	guest_hexdump(rng_buf, RNG_BYTES);
	serial_puts("\n");
	return 0;
}
