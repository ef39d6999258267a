/* Raw disk images for the local driver and `virtty disk-*`: create sparse
 * images, copy them keeping holes as holes, with progress and cancel. */
#ifndef VIRTTY_LOCAL_DISK_H
#define VIRTTY_LOCAL_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "driver.h"

/* Whether size_bytes can be an image's size: a positive multiple of 512
 * (-EINVAL) that fits in an off_t (-EFBIG). */
int disk_check_size(const char *path, uint64_t size_bytes, char *err, size_t errlen);

/* Create a new sparse raw image of size_bytes (see disk_check_size).
 * Refuses to overwrite an existing file (-EEXIST). Nothing is left behind
 * on failure. progress (may be NULL) is told (size, size) once at the end. */
int disk_create_raw(const char *path, uint64_t size_bytes, const struct progress *progress,
		    char *err, size_t errlen);

/* Copy src to a new file dst (which must not exist), sparse-aware: only
 * data ranges are copied (SEEK_DATA/SEEK_HOLE, copy_file_range), holes
 * stay holes. *done is advanced by the file's size as the copy goes and
 * reported with total (several copies can share one progress bar: pass
 * the sum of their sizes as total; total 0 means this file's size). A
 * cancel from progress gives -ECANCELED; on any failure dst is removed. */
int disk_copy(const char *src, const char *dst, const struct progress *progress, uint64_t *done,
	      uint64_t total, char *err, size_t errlen);

struct disk_info {
	char format[16];          /* "raw" or "qcow2" */
	uint64_t virtual_size;    /* bytes the guest sees */
	uint64_t allocated_bytes; /* bytes the file uses on the host */
};

/* What an image (a regular file or a block device) is: its format
 * ("qcow2" from the header's magic, else "raw") and sizes. */
int disk_get_info(const char *path, struct disk_info *out, char *err, size_t errlen);

#endif
