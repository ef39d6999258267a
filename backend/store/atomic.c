/* Whole-file atomic writes: the new content appears under its name
 * completely or not at all, even if the machine crashes mid-write. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

/* Split "/a/b/c" into "/a/b" and "c"; "c" alone lives in ".". */
static int atomic_split_path(const char *path, char *dir, size_t dirlen, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, dirlen, ".");
		*base = path;
		return 0;
	}
	if ((size_t)(slash - path) + 2 > dirlen)
		return -ENAMETOOLONG;
	if (slash == path) {
		snprintf(dir, dirlen, "/");
	} else {
		memcpy(dir, path, slash - path);
		dir[slash - path] = '\0';
	}
	*base = slash + 1;
	return 0;
}

static int atomic_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode, char *err,
		      size_t errlen)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	const char *base;
	int fd, dfd, rc;

	rc = atomic_split_path(path, dir, sizeof(dir), &base);
	if (rc < 0 || !*base) {
		snprintf(err, errlen, "cannot write '%s': not a file name", path);
		return rc < 0 ? rc : -EINVAL;
	}
	/* The temp file sits in the same directory so that rename() is atomic;
	 * a leading dot keeps it out of listings if a crash leaves it behind. */
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", dir, base) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "cannot write '%s': path too long", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-rc));
		return rc;
	}
	if (fchmod(fd, mode) < 0 || (rc = atomic_write_all(fd, data, len)) < 0 || fsync(fd) < 0) {
		if (rc == 0)
			rc = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto fail;
	}
	/* Make the rename itself durable. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0 && errno != EINVAL) {
			rc = -errno;
			close(dfd);
			snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-rc));
			return rc;
		}
		close(dfd);
	}
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-rc));
	return rc;
}
