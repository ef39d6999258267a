/* virtio-blk: requests are served synchronously on the vCPU thread that
 * notified the queue, with preadv/pwritev straight into guest memory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fallocate */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio_blk.h"
#include "virtio_pci.h"

struct virtio_blk_stats {
	uint64_t rd_reqs, wr_reqs, flush_reqs, rd_bytes, wr_bytes, errors;
};

struct virtio_blk {
	struct virtio_pci vp;
	int fd;
	bool readonly;
	char path[256];
	char serial[VIRTIO_BLK_ID_BYTES];
	uint64_t capacity;               /* sectors */
	uint8_t config[VIRTIO_BLK_CFG_SIZE];
	struct virtio_blk_stats stats;   /* updated with atomics */
	/* Scratch for the single request queue, used under its lock. */
	struct virtq_chain chain;
	struct iovec data[VIRTQ_MAX_CHAIN];
};

struct virtio_blk_discard_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

#define VIRTIO_BLK_WZ_F_UNMAP 1
#define VIRTIO_BLK_HDR_SIZE   16

static void virtio_blk_count(uint64_t *counter, uint64_t n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

/* Is [sector, sector + nr_sectors) inside the disk? Written so that no
 * guest-chosen value can overflow. */
static bool virtio_blk_in_range(const struct virtio_blk *blk, uint64_t sector, uint64_t nr_sectors)
{
	return sector <= blk->capacity && nr_sectors <= blk->capacity - sector;
}

/* Full transfer between the file and iov, retrying short and interrupted
 * calls. 0 or -errno (-EIO if the file ends early). */
static int virtio_blk_rw(int fd, struct iovec *iov, unsigned int cnt, off_t off, bool write)
{
	while (cnt) {
		ssize_t n = write ? pwritev(fd, iov, (int)cnt, off) : preadv(fd, iov, (int)cnt, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		off += n;
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static uint8_t virtio_blk_transfer(struct virtio_blk *blk, const struct virtq_chain *chain,
				   uint64_t sector, size_t len, bool write)
{
	unsigned int cnt;
	size_t got;

	if (len % VIRTIO_BLK_SECTOR_SIZE ||
	    !virtio_blk_in_range(blk, sector, len / VIRTIO_BLK_SECTOR_SIZE))
		return VIRTIO_BLK_S_IOERR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	/* Reads land in the writable half (minus the status byte); writes
	 * come from the readable half after the header. */
	cnt = virtq_chain_slice(chain, !write, write ? VIRTIO_BLK_HDR_SIZE : 0, len, blk->data,
				VIRTQ_MAX_CHAIN, &got);
	if (got != len)
		return VIRTIO_BLK_S_IOERR;
	if (virtio_blk_rw(blk->fd, blk->data, cnt, (off_t)(sector * VIRTIO_BLK_SECTOR_SIZE), write))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/* Write zeroes the slow way, for files and devices that cannot punch. */
static int virtio_blk_write_zeroes_slow(struct virtio_blk *blk, off_t off, off_t len)
{
	static const uint8_t zeroes[65536];

	while (len > 0) {
		size_t chunk = len < (off_t)sizeof(zeroes) ? (size_t)len : sizeof(zeroes);
		ssize_t n = pwrite(blk->fd, zeroes, chunk, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += n;
		len -= n;
	}
	return 0;
}

static uint8_t virtio_blk_discard(struct virtio_blk *blk, const struct virtq_chain *chain,
				  uint32_t type)
{
	struct virtio_blk_discard_seg seg;
	size_t len = chain->out_len - VIRTIO_BLK_HDR_SIZE;
	off_t off, bytes;

	if (blk->readonly)
		return VIRTIO_BLK_S_IOERR;
	/* We advertise one segment per request. */
	if (len != sizeof(seg))
		return len && len % sizeof(seg) == 0 ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
	virtq_chain_read(chain, VIRTIO_BLK_HDR_SIZE, &seg, sizeof(seg));
	if (type == VIRTIO_BLK_T_DISCARD ? seg.flags != 0 : (seg.flags & ~VIRTIO_BLK_WZ_F_UNMAP))
		return VIRTIO_BLK_S_UNSUPP;
	if (seg.num_sectors > VIRTIO_BLK_MAX_DISCARD_SECTORS ||
	    !virtio_blk_in_range(blk, seg.sector, seg.num_sectors))
		return VIRTIO_BLK_S_IOERR;
	off = (off_t)(seg.sector * VIRTIO_BLK_SECTOR_SIZE);
	bytes = (off_t)seg.num_sectors * VIRTIO_BLK_SECTOR_SIZE;
	if (bytes == 0)
		return VIRTIO_BLK_S_OK;
	if (type == VIRTIO_BLK_T_DISCARD) {
		/* A punched hole reads back as zeroes and frees the space. A
		 * file system that cannot punch just keeps the data: discard
		 * is a hint. */
		if (fallocate(blk->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, bytes) &&
		    errno != EOPNOTSUPP)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	}
	/* Write zeroes: deallocate when the guest allows it (keeps sparse
	 * files sparse), otherwise zero in place. */
	if ((seg.flags & VIRTIO_BLK_WZ_F_UNMAP) &&
	    fallocate(blk->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, bytes) == 0)
		return VIRTIO_BLK_S_OK;
	if (fallocate(blk->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, bytes) == 0)
		return VIRTIO_BLK_S_OK;
	return virtio_blk_write_zeroes_slow(blk, off, bytes) ? VIRTIO_BLK_S_IOERR
							     : VIRTIO_BLK_S_OK;
}

/* Serve one request; returns the number of bytes written into the chain
 * (data + status), for the used ring. */
static uint32_t virtio_blk_handle_request(struct virtio_blk *blk, const struct virtq_chain *chain)
{
	struct {
		uint32_t type;
		uint32_t reserved;
		uint64_t sector;
	} hdr;
	size_t data_in, data_out, n = 0;
	uint8_t status;

	/* No room for the header or the status byte: nothing to answer with. */
	if (chain->out_len < sizeof(hdr) || chain->in_len < 1) {
		virtio_blk_count(&blk->stats.errors, 1);
		return 0;
	}
	virtq_chain_read(chain, 0, &hdr, sizeof(hdr));
	data_in = chain->in_len - 1;
	data_out = chain->out_len - sizeof(hdr);

	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		status = virtio_blk_transfer(blk, chain, hdr.sector, data_in, false);
		virtio_blk_count(&blk->stats.rd_reqs, 1);
		if (status == VIRTIO_BLK_S_OK) {
			n = data_in;
			virtio_blk_count(&blk->stats.rd_bytes, n);
		}
		break;
	case VIRTIO_BLK_T_OUT:
		virtio_blk_count(&blk->stats.wr_reqs, 1);
		status = blk->readonly ? VIRTIO_BLK_S_IOERR
				       : virtio_blk_transfer(blk, chain, hdr.sector, data_out, true);
		if (status == VIRTIO_BLK_S_OK)
			virtio_blk_count(&blk->stats.wr_bytes, data_out);
		break;
	case VIRTIO_BLK_T_FLUSH:
		virtio_blk_count(&blk->stats.flush_reqs, 1);
		status = blk->readonly || fdatasync(blk->fd) == 0 ? VIRTIO_BLK_S_OK
								  : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		n = data_in < VIRTIO_BLK_ID_BYTES ? data_in : VIRTIO_BLK_ID_BYTES;
		virtq_chain_write(chain, 0, blk->serial, n);
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		virtio_blk_count(&blk->stats.wr_reqs, 1);
		status = virtio_blk_discard(blk, chain, hdr.type);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (status != VIRTIO_BLK_S_OK) {
		virtio_blk_count(&blk->stats.errors, 1);
		n = 0;
	}
	/* The status is the last byte of the last writable buffer. */
	virtq_chain_write(chain, chain->in_len - 1, &status, 1);
	return (uint32_t)(n + 1);
}

static void virtio_blk_queue_notify(struct virtio_pci *vp, uint16_t q, struct virtq *vq)
{
	struct virtio_blk *blk = vp->opaque;
	int r;

	while ((r = virtq_pop(vq, &blk->chain)) > 0) {
		uint32_t used = virtio_blk_handle_request(blk, &blk->chain);

		virtq_push(vq, blk->chain.head, used);
	}
	if (r < 0) {
		/* A malformed chain: the driver is broken or hostile. */
		virtio_blk_count(&blk->stats.errors, 1);
		virtio_pci_set_needs_reset(vp);
	}
	virtio_pci_queue_interrupt(vp, q);
}

static void virtio_blk_config_read(struct virtio_pci *vp, uint32_t off, uint8_t *data,
				   uint32_t len)
{
	struct virtio_blk *blk = vp->opaque;

	memcpy(data, blk->config + off, len);
}

static const struct virtio_pci_ops virtio_blk_ops = {
	.name = "virtio-blk",
	.device_type = VIRTIO_ID_BLOCK,
	.class_code = 0x010000, /* mass storage, SCSI: what guests expect of virtio-blk */
	.nr_queues = 1,
	.queue_max_size = VIRTIO_BLK_QUEUE_SIZE,
	.config_size = VIRTIO_BLK_CFG_SIZE,
	.config_read = virtio_blk_config_read,
	.queue_notify = virtio_blk_queue_notify,
};

static void virtio_blk_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* x86_64: little-endian like virtio */
}

static void virtio_blk_fill_config(struct virtio_blk *blk)
{
	memcpy(blk->config + VIRTIO_BLK_CFG_CAPACITY, &blk->capacity, 8);
	virtio_blk_put32(blk->config + VIRTIO_BLK_CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX);
	virtio_blk_put32(blk->config + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
	virtio_blk_put32(blk->config + VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE);
	virtio_blk_put32(blk->config + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
			 VIRTIO_BLK_MAX_DISCARD_SECTORS);
	virtio_blk_put32(blk->config + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 1);
	virtio_blk_put32(blk->config + VIRTIO_BLK_CFG_DISCARD_ALIGN, VIRTIO_BLK_DISCARD_ALIGN);
	virtio_blk_put32(blk->config + VIRTIO_BLK_CFG_MAX_WZ_SECTORS,
			 VIRTIO_BLK_MAX_DISCARD_SECTORS);
	virtio_blk_put32(blk->config + VIRTIO_BLK_CFG_MAX_WZ_SEG, 1);
	blk->config[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 1;
}

/* Open and size the image; 0 or -errno with a message. */
static int virtio_blk_open(struct virtio_blk *blk, const char *path, bool readonly, char *err,
			   size_t errlen)
{
	struct stat st;
	uint64_t size;

	blk->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0) {
		int e = errno;

		snprintf(err, errlen, "disk '%s': cannot open: %s", path, strerror(e));
		return -e;
	}
	/* Two writers on one image corrupt it; readers may share. */
	if (flock(blk->fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		int e = errno;

		snprintf(err, errlen, "disk '%s': %s", path,
			 e == EWOULDBLOCK ? "in use by another process" : strerror(e));
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	if (fstat(blk->fd, &st)) {
		int e = errno;

		snprintf(err, errlen, "disk '%s': cannot stat: %s", path, strerror(e));
		return -e;
	}
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(blk->fd, BLKGETSIZE64, &size)) {
			int e = errno;

			snprintf(err, errlen, "disk '%s': cannot get device size: %s", path,
				 strerror(e));
			return -e;
		}
	} else {
		snprintf(err, errlen, "disk '%s': not a regular file or block device", path);
		return -EINVAL;
	}
	if (size % VIRTIO_BLK_SECTOR_SIZE) {
		snprintf(err, errlen, "disk '%s': size %llu is not a multiple of 512 bytes", path,
			 (unsigned long long)size);
		return -EINVAL;
	}
	blk->capacity = size / VIRTIO_BLK_SECTOR_SIZE;
	return 0;
}

struct virtio_blk *virtio_blk_new(struct pci_bus *bus, struct guest_mem *mem, struct irqchip *irq,
				  const char *path, bool readonly, char *err, size_t errlen)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	uint64_t features = 1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
			    1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH;
	const char *base;

	if (!blk) {
		snprintf(err, errlen, "disk '%s': out of memory", path);
		return NULL;
	}
	blk->fd = -1;
	if (virtio_blk_open(blk, path, readonly, err, errlen))
		goto fail;
	blk->readonly = readonly;
	snprintf(blk->path, sizeof(blk->path), "%s", path);
	/* The serial (GET_ID, /sys/block/vdX/serial) is the image's file
	 * name, cut to the 20 bytes virtio allows. */
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	memcpy(blk->serial, base, strnlen(base, sizeof(blk->serial)));
	if (readonly)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		features |= 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	virtio_blk_fill_config(blk);
	if (virtio_pci_init(&blk->vp, &virtio_blk_ops, features, blk, bus, mem, irq, err, errlen))
		goto fail;
	return blk;
fail:
	if (blk->fd >= 0)
		close(blk->fd);
	free(blk);
	return NULL;
}

void virtio_blk_get_stats(struct virtio_blk *blk, struct vmm_disk_stats *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "%s", blk->path);
	out->readonly = blk->readonly;
	out->rd_reqs = __atomic_load_n(&blk->stats.rd_reqs, __ATOMIC_RELAXED);
	out->wr_reqs = __atomic_load_n(&blk->stats.wr_reqs, __ATOMIC_RELAXED);
	out->flush_reqs = __atomic_load_n(&blk->stats.flush_reqs, __ATOMIC_RELAXED);
	out->rd_bytes = __atomic_load_n(&blk->stats.rd_bytes, __ATOMIC_RELAXED);
	out->wr_bytes = __atomic_load_n(&blk->stats.wr_bytes, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&blk->stats.errors, __ATOMIC_RELAXED);
}

void virtio_blk_free(struct virtio_blk *blk)
{
	if (!blk)
		return;
	virtio_pci_exit(&blk->vp);
	close(blk->fd);
	free(blk);
}
