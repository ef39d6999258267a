/* virtio-blk over PCI: a raw image file or block device as the guest's disk. */
#ifndef VIRTTY_VMM_VIRTIO_BLK_H
#define VIRTTY_VMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "irqchip.h"
#include "pci.h"
#include "vmm.h"

/* Feature bits (virtio 1.1, 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX     1
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values. */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK           0
#define VIRTIO_BLK_S_IOERR        1
#define VIRTIO_BLK_S_UNSUPP       2

#define VIRTIO_BLK_ID_BYTES       20
#define VIRTIO_BLK_SECTOR_SIZE    512
#define VIRTIO_BLK_QUEUE_SIZE     256
#define VIRTIO_BLK_SEG_MAX        (VIRTIO_BLK_QUEUE_SIZE - 2) /* minus header and status */
#define VIRTIO_BLK_SIZE_MAX       (1u << 20)  /* bytes per segment */
#define VIRTIO_BLK_MAX_DISCARD_SECTORS (1u << 22) /* 2 GiB per segment */
#define VIRTIO_BLK_DISCARD_ALIGN  8           /* sectors: 4 KiB, the file system block */

/* Configuration layout offsets (virtio 1.1, 5.2.4). */
#define VIRTIO_BLK_CFG_CAPACITY       0
#define VIRTIO_BLK_CFG_SIZE_MAX       8
#define VIRTIO_BLK_CFG_SEG_MAX        12
#define VIRTIO_BLK_CFG_BLK_SIZE       20
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG     40
#define VIRTIO_BLK_CFG_DISCARD_ALIGN       44
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS      48
#define VIRTIO_BLK_CFG_MAX_WZ_SEG          52
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP        56
#define VIRTIO_BLK_CFG_SIZE                60

struct virtio_blk;

/* Open `path` (a raw image: regular file or block device) and add the disk
 * to the bus. NULL on failure with a message in err, e.g.
 * "disk 'x.img': size 1000 is not a multiple of 512 bytes". */
struct virtio_blk *virtio_blk_new(struct pci_bus *bus, struct guest_mem *mem, struct irqchip *irq,
				  const char *path, bool readonly, char *err, size_t errlen);
void virtio_blk_get_stats(struct virtio_blk *blk, struct vmm_disk_stats *out);
/* Remove from the bus and close. Call with the vCPUs stopped. NULL is fine. */
void virtio_blk_free(struct virtio_blk *blk);

#endif
