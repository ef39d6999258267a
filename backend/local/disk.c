/* Raw disk images: sparse creation, sparse-aware copies (clone) with
 * progress reporting and cancellation, and what an image is (disk-info). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"

#define DISK_COPY_CHUNK (4u << 20) /* progress granularity and buffer size */

static int disk_report(const struct progress *progress, uint64_t done, uint64_t total)
{
	if (!progress || !progress->fn)
		return 0;
	return progress->fn(progress->opaque, done, total) ? -ECANCELED : 0;
}

int disk_check_size(const char *path, uint64_t size_bytes, char *err, size_t errlen)
{
	if (size_bytes == 0 || size_bytes % 512) {
		snprintf(err, errlen, "disk '%s': size must be a positive multiple of 512 bytes",
			 path);
		return -EINVAL;
	}
	if (size_bytes > (uint64_t)INT64_MAX) {
		snprintf(err, errlen, "disk '%s': size too large", path);
		return -EFBIG;
	}
	return 0;
}

int disk_create_raw(const char *path, uint64_t size_bytes, const struct progress *progress,
		    char *err, size_t errlen)
{
	int fd, rc;

	rc = disk_check_size(path, size_bytes, err, errlen);
	if (rc)
		return rc;
	/* O_EXCL: an existing file, even one we could write, is never touched. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		if (errno == EEXIST)
			snprintf(err, errlen, "disk '%s' already exists; refusing to overwrite it",
				 path);
		else
			snprintf(err, errlen, "disk '%s': cannot create: %s", path, strerror(errno));
		return rc;
	}
	/* ftruncate makes a file of holes: no space is used until written. */
	if (ftruncate(fd, (off_t)size_bytes) || fsync(fd)) {
		rc = -errno;
		snprintf(err, errlen, "disk '%s': cannot make it %llu bytes: %s", path,
			 (unsigned long long)size_bytes, strerror(errno));
		close(fd);
		unlink(path);
		return rc;
	}
	close(fd);
	rc = disk_report(progress, size_bytes, size_bytes);
	if (rc) {
		snprintf(err, errlen, "disk '%s': cancelled", path);
		unlink(path);
	}
	return rc;
}

/* Copy [off, off+len) from in to out at the same offset; copy_file_range
 * first (in-kernel, may share blocks), plain read/write where the file
 * systems do not support it. */
static int disk_copy_range(int in, int out, off_t off, size_t len, char *buf)
{
	static int use_cfr = 1;

	while (len) {
		ssize_t n;

		if (use_cfr) {
			loff_t ioff = off, ooff = off;

			n = copy_file_range(in, &ioff, out, &ooff, len, 0);
			if (n < 0 && (errno == ENOSYS || errno == EXDEV || errno == EINVAL ||
				      errno == EOPNOTSUPP)) {
				use_cfr = 0;
				continue;
			}
		} else {
			size_t want = len < DISK_COPY_CHUNK ? len : DISK_COPY_CHUNK;

			n = pread(in, buf, want, off);
			if (n > 0) {
				ssize_t w = 0;

				while (w < n) {
					ssize_t m = pwrite(out, buf + w, (size_t)(n - w), off + w);

					if (m < 0 && errno == EINTR)
						continue;
					if (m <= 0)
						return m < 0 ? -errno : -EIO;
					w += m;
				}
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the source shrank under us */
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int disk_copy(const char *src, const char *dst, const struct progress *progress, uint64_t *done,
	      uint64_t total, char *err, size_t errlen)
{
	uint64_t local_done = 0, base;
	int in, out = -1, rc = 0;
	char *buf = NULL;
	struct stat stt;
	off_t off = 0, size;

	if (!done)
		done = &local_done;
	base = *done;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		rc = -errno;
		snprintf(err, errlen, "disk '%s': cannot open: %s", src, strerror(errno));
		return rc;
	}
	if (fstat(in, &stt)) {
		rc = -errno;
		snprintf(err, errlen, "disk '%s': cannot stat: %s", src, strerror(errno));
		goto out;
	}
	if (!S_ISREG(stt.st_mode)) {
		snprintf(err, errlen, "disk '%s': not a regular file", src);
		rc = -EINVAL;
		goto out;
	}
	size = stt.st_size;
	if (!total)
		total = base + (uint64_t)size;
	buf = malloc(DISK_COPY_CHUNK);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (!buf || out < 0) {
		rc = buf ? -errno : -ENOMEM;
		snprintf(err, errlen, "disk '%s': cannot create: %s", dst, strerror(-rc));
		goto out;
	}
	if (ftruncate(out, size)) {
		rc = -errno;
		snprintf(err, errlen, "disk '%s': cannot set size: %s", dst, strerror(errno));
		goto out;
	}
	rc = disk_report(progress, base, total);
	while (!rc && off < size) {
		off_t data = lseek(in, off, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (data < 0) {
			/* No SEEK_DATA on this file system: all of it is data. */
			data = off;
			hole = size;
		} else {
			hole = lseek(in, data, SEEK_HOLE);
			if (hole < 0 || hole > size)
				hole = size;
		}
		/* The hole [off, data) costs nothing: count it as done. */
		while (!rc && data < hole) {
			size_t len = (size_t)(hole - data) < DISK_COPY_CHUNK ? (size_t)(hole - data)
									     : DISK_COPY_CHUNK;

			rc = disk_copy_range(in, out, data, len, buf);
			if (rc) {
				snprintf(err, errlen, "disk '%s': copy to '%s' failed: %s", src, dst,
					 strerror(-rc));
				break;
			}
			data += (off_t)len;
			*done = base + (uint64_t)data;
			rc = disk_report(progress, *done, total);
		}
		off = hole;
	}
	if (!rc) {
		*done = base + (uint64_t)size;
		rc = disk_report(progress, *done, total);
	}
	if (rc == -ECANCELED)
		snprintf(err, errlen, "copy of disk '%s' cancelled", src);
	if (!rc && fsync(out)) {
		rc = -errno;
		snprintf(err, errlen, "disk '%s': cannot write: %s", dst, strerror(errno));
	}
out:
	free(buf);
	close(in);
	if (out >= 0) {
		close(out);
		if (rc)
			unlink(dst);
	}
	return rc;
}

static uint64_t disk_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

int disk_get_info(const char *path, struct disk_info *out, char *err, size_t errlen)
{
	unsigned char hdr[32];
	struct stat stt;
	int fd, rc = 0;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "disk '%s': cannot open: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &stt)) {
		rc = -errno;
		snprintf(err, errlen, "disk '%s': cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(stt.st_mode) && !S_ISBLK(stt.st_mode)) {
		snprintf(err, errlen, "disk '%s': not a regular file or block device", path);
		rc = -EINVAL;
		goto out;
	}
	snprintf(out->format, sizeof(out->format), "raw");
	out->virtual_size = (uint64_t)stt.st_size;
	out->allocated_bytes = (uint64_t)stt.st_blocks * 512;
	if (S_ISBLK(stt.st_mode)) {
		uint64_t bytes = 0;

		if (ioctl(fd, BLKGETSIZE64, &bytes) == 0)
			out->virtual_size = out->allocated_bytes = bytes;
	}
	/* qcow2 is recognised so users are told, though only raw runs today;
	 * its header has the virtual size, big-endian, at offset 24. */
	if (pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) && !memcmp(hdr, "QFI\xfb", 4)) {
		snprintf(out->format, sizeof(out->format), "qcow2");
		out->virtual_size = disk_be64(hdr + 24);
	}
out:
	close(fd);
	return rc;
}
