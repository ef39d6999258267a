/* Per-VM locks: an flock() on <runtime>/<name>.lock serialises the
 * commands that start, stop, change or remove one VM, across processes
 * (networks lock the same way: store_lock_net). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "store.h"

int store_lock_file(const char *path, const char *kind, const char *name, bool wait, char *err,
		    size_t errlen)
{
	int fd, rc;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s '%s': cannot open lock file '%s': %s", kind, name, path,
			 strerror(-rc));
		return rc;
	}
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EINTR)
			continue;
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		if (rc == -EBUSY)
			snprintf(err, errlen,
				 "%s '%s' is busy: another virtty command is working on it; "
				 "try again in a moment",
				 kind, name);
		else
			snprintf(err, errlen, "%s '%s': cannot lock '%s': %s", kind, name, path,
				 strerror(-rc));
		return rc;
	}
	return fd;
}

int store_lock_vm(const struct store *st, const char *name, bool wait, char *err, size_t errlen)
{
	char path[VM_PATH_MAX];

	if (!vm_name_valid(name, err, errlen))
		return -EINVAL;
	/* Beside the VM's runtime dir, not in it: that directory comes and
	 * goes with the VMM, and a lock file must never be removed while a
	 * process could still open the old one. */
	if (snprintf(path, sizeof(path), "%s/%s.lock", st->runtime, name) >= (int)sizeof(path)) {
		snprintf(err, errlen, "VM '%s': lock file path too long", name);
		return -ENAMETOOLONG;
	}
	return store_lock_file(path, "VM", name, wait, err, errlen);
}

void store_unlock_vm(int fd)
{
	/* Closing the only descriptor of the open file releases the flock. */
	if (fd >= 0)
		close(fd);
}
