/* The store's directories: where they are, creating them, and the VM
 * directories inside (list, create, remove). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

/* snprintf that reports truncation instead of silently cutting a path. */
static int store_join(char *buf, size_t len, const char *a, const char *b)
{
	int n = snprintf(buf, len, "%s%s", a, b);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int store_mkdirs(const char *path)
{
	char buf[VM_PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* An environment variable usable as a base directory: set, non-empty and
 * absolute (the XDG rules ignore relative values). */
static const char *store_env_dir(const char *var)
{
	const char *v = getenv(var);

	return v && v[0] == '/' ? v : NULL;
}

static int store_pick_root(struct store *st, char *err, size_t errlen)
{
	const char *v;
	int n;

	if ((v = getenv("VIRTTY_HOME")) && *v)
		n = snprintf(st->root, sizeof(st->root), "%s", v);
	else if ((v = store_env_dir("XDG_DATA_HOME")))
		n = snprintf(st->root, sizeof(st->root), "%s/virtty", v);
	else if (geteuid() == 0)
		n = snprintf(st->root, sizeof(st->root), "/var/lib/virtty");
	else if ((v = store_env_dir("HOME")))
		n = snprintf(st->root, sizeof(st->root), "%s/.local/share/virtty", v);
	else {
		snprintf(err, errlen,
			 "cannot find a place for the store: HOME is not set; set VIRTTY_HOME");
		return -ENOENT;
	}
	if (n >= (int)sizeof(st->root)) {
		snprintf(err, errlen, "store directory name too long; set VIRTTY_HOME");
		return -ENAMETOOLONG;
	}
	return 0;
}

static int store_pick_runtime(struct store *st, char *err, size_t errlen)
{
	const char *v;
	int n;

	if ((v = getenv("VIRTTY_RUNTIME_DIR")) && *v)
		n = snprintf(st->runtime, sizeof(st->runtime), "%s", v);
	else if ((v = store_env_dir("XDG_RUNTIME_DIR")))
		n = snprintf(st->runtime, sizeof(st->runtime), "%s/virtty", v);
	else if (geteuid() == 0)
		n = snprintf(st->runtime, sizeof(st->runtime), "/run/virtty");
	else
		n = snprintf(st->runtime, sizeof(st->runtime), "/tmp/virtty-%u",
			     (unsigned)geteuid());
	if (n >= (int)sizeof(st->runtime)) {
		snprintf(err, errlen, "runtime directory name too long; set VIRTTY_RUNTIME_DIR");
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The runtime dir holds sockets and locks: it must be ours and private,
 * which matters most for the /tmp fallback that anyone could pre-create. */
static int store_check_private_dir(const char *path, const char *what, const char *envvar,
				   char *err, size_t errlen)
{
	struct stat sb;

	if (lstat(path, &sb) < 0) {
		int rc = -errno;

		snprintf(err, errlen, "%s '%s': %s", what, path, strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s '%s' is not a directory; remove it or set %s", what, path,
			 envvar);
		return -ENOTDIR;
	}
	if (sb.st_uid != geteuid()) {
		snprintf(err, errlen, "%s '%s' belongs to another user; set %s", what, path,
			 envvar);
		return -EPERM;
	}
	if ((sb.st_mode & 0077) && chmod(path, 0700) < 0) {
		int rc = -errno;

		snprintf(err, errlen, "%s '%s': cannot make it private: %s", what, path,
			 strerror(-rc));
		return rc;
	}
	return 0;
}

int store_open(struct store *st, char *err, size_t errlen)
{
	char vms[VM_PATH_MAX];
	int rc;

	memset(st, 0, sizeof(*st));
	rc = store_pick_root(st, err, errlen);
	if (rc < 0)
		return rc;
	rc = store_pick_runtime(st, err, errlen);
	if (rc < 0)
		return rc;
	if (store_join(vms, sizeof(vms), st->root, "/vms") < 0) {
		snprintf(err, errlen, "store directory name too long; set VIRTTY_HOME");
		return -ENAMETOOLONG;
	}
	rc = store_mkdirs(vms);
	if (rc < 0) {
		snprintf(err, errlen,
			 "cannot create the store '%s': %s (set VIRTTY_HOME to use "
			 "another place)",
			 st->root, strerror(-rc));
		return rc;
	}
	rc = store_mkdirs(st->runtime);
	if (rc < 0) {
		snprintf(err, errlen,
			 "cannot create the runtime directory '%s': %s (set "
			 "VIRTTY_RUNTIME_DIR to use another place)",
			 st->runtime, strerror(-rc));
		return rc;
	}
	return store_check_private_dir(st->runtime, "runtime directory", "VIRTTY_RUNTIME_DIR", err,
				       errlen);
}

/* Every path helper refuses invalid names, so "../x" can never escape. */
static int store_path(char *buf, size_t len, const char *base, const char *name, const char *suffix)
{
	if (!vm_name_valid(name, NULL, 0))
		return -EINVAL;
	if (snprintf(buf, len, "%s/%s%s", base, name, suffix) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int store_vm_dir(const struct store *st, const char *name, char *buf, size_t len)
{
	char vms[VM_PATH_MAX];

	if (store_join(vms, sizeof(vms), st->root, "/vms") < 0)
		return -ENAMETOOLONG;
	return store_path(buf, len, vms, name, "");
}

int store_vm_config_path(const struct store *st, const char *name, char *buf, size_t len)
{
	char vms[VM_PATH_MAX];

	if (store_join(vms, sizeof(vms), st->root, "/vms") < 0)
		return -ENAMETOOLONG;
	return store_path(buf, len, vms, name, "/vm.conf");
}

int store_vm_disk_dir(const struct store *st, const char *name, char *buf, size_t len)
{
	char vms[VM_PATH_MAX];

	if (store_join(vms, sizeof(vms), st->root, "/vms") < 0)
		return -ENAMETOOLONG;
	return store_path(buf, len, vms, name, "/disks");
}

int store_vm_runtime_dir(const struct store *st, const char *name, char *buf, size_t len)
{
	return store_path(buf, len, st->runtime, name, "");
}

bool store_vm_exists(const struct store *st, const char *name)
{
	char dir[VM_PATH_MAX];
	struct stat sb;

	if (store_vm_dir(st, name, dir, sizeof(dir)) < 0)
		return false;
	return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int store_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_list_vms(const struct store *st, char ***names, int *count, char *err, size_t errlen)
{
	char vms[VM_PATH_MAX];
	char **list = NULL;
	int n = 0, cap = 0, rc;
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*count = 0;
	if (store_join(vms, sizeof(vms), st->root, "/vms") < 0) {
		snprintf(err, errlen, "store path too long");
		return -ENAMETOOLONG;
	}
	d = opendir(vms);
	if (!d) {
		rc = -errno;
		if (rc == -ENOENT)
			return 0; /* an empty store */
		snprintf(err, errlen, "cannot read the store '%s': %s", vms, strerror(-rc));
		return rc;
	}
	while ((de = readdir(d))) {
		/* Only directories with a valid name are VMs; this also skips
		 * ".", ".." and anything a user left there. */
		if (!vm_name_valid(de->d_name, NULL, 0) || !store_vm_exists(st, de->d_name))
			continue;
		if (n == cap) {
			char **bigger;

			cap = cap ? cap * 2 : 16;
			bigger = realloc(list, cap * sizeof(*list));
			if (!bigger)
				goto nomem;
			list = bigger;
		}
		list[n] = strdup(de->d_name);
		if (!list[n])
			goto nomem;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(list, n, sizeof(*list), store_cmp_names);
	*names = list;
	*count = n;
	return 0;

nomem:
	closedir(d);
	store_free_names(list, n);
	snprintf(err, errlen, "cannot list VMs: out of memory");
	return -ENOMEM;
}

void store_free_names(char **names, int count)
{
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int store_create_vm_dir(const struct store *st, const char *name, char *err, size_t errlen)
{
	char dir[VM_PATH_MAX], disks[VM_PATH_MAX];
	int rc;

	if (!vm_name_valid(name, err, errlen))
		return -EINVAL;
	if (store_vm_dir(st, name, dir, sizeof(dir)) < 0 ||
	    store_vm_disk_dir(st, name, disks, sizeof(disks)) < 0) {
		snprintf(err, errlen, "VM '%s': store path too long", name);
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0700) < 0) {
		rc = -errno;
		if (rc == -EEXIST)
			snprintf(err, errlen,
				 "VM '%s' already exists; pick another name or 'virtty undefine "
				 "%s' first",
				 name, name);
		else
			snprintf(err, errlen, "VM '%s': cannot create '%s': %s", name, dir,
				 strerror(-rc));
		return rc;
	}
	if (mkdir(disks, 0700) < 0) {
		rc = -errno;
		snprintf(err, errlen, "VM '%s': cannot create '%s': %s", name, disks,
			 strerror(-rc));
		rmdir(dir);
		return rc;
	}
	return 0;
}

/* rm -r below dirfd/name, without following symbolic links: a link to a
 * disk elsewhere is removed, never what it points to. */
static int store_remove_tree_at(int dirfd, const char *name)
{
	struct dirent *de;
	int fd, rc = 0;
	DIR *d;

	if (unlinkat(dirfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return errno == ENOENT ? 0 : -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int r = store_remove_tree_at(fd, de->d_name);

		if (r < 0 && rc == 0)
			rc = r;
	}
	closedir(d);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		rc = -errno;
	return rc;
}

/* Is this entry of the VM dir part of the definition (vm.conf, or a temp
 * file left by an interrupted write of it) rather than data? */
static bool store_is_config_file(const char *entry)
{
	return !strcmp(entry, "vm.conf") || !strncmp(entry, ".vm.conf.tmp-", 13);
}

static bool store_dir_is_empty(const char *path)
{
	struct dirent *de;
	bool empty = true;
	DIR *d = opendir(path);

	if (!d)
		return true;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	closedir(d);
	return empty;
}

/* Make a fresh <root>/disks/<name>-<stamp>[-N] directory for kept disks. */
static int store_make_keep_dir(const struct store *st, const char *name, char *keep, size_t len)
{
	char base[VM_PATH_MAX], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	if (store_join(base, sizeof(base), st->root, "/disks") < 0)
		return -ENAMETOOLONG;
	rc = store_mkdirs(base);
	if (rc < 0)
		return rc;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (int i = 1; i < 1000; i++) {
		int n = i == 1 ? snprintf(keep, len, "%s/%s-%s", base, name, stamp)
			       : snprintf(keep, len, "%s/%s-%s-%d", base, name, stamp, i);

		if (n >= (int)len)
			return -ENAMETOOLONG;
		if (mkdir(keep, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* Move everything of the VM dir except its config into the keep dir: the
 * disks dir's contents, and anything else a user put beside vm.conf. */
static int store_keep_data(const struct store *st, const char *name, const char *dir, char *keep,
			   size_t keeplen)
{
	char disks[VM_PATH_MAX], from[VM_PATH_MAX * 2], to[VM_PATH_MAX * 2];
	bool have_keep = false;
	struct dirent *de;
	int rc = 0;
	DIR *d;

	keep[0] = '\0';
	if (store_join(disks, sizeof(disks), dir, "/disks") < 0)
		return -ENAMETOOLONG;
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		/* Pass 0: the disks dir; pass 1: the VM dir itself. */
		const char *src = pass == 0 ? disks : dir;

		d = opendir(src);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (pass == 1 &&
			    (store_is_config_file(de->d_name) ||
			     (!strcmp(de->d_name, "disks") && store_dir_is_empty(disks))))
				continue;
			if (!have_keep) {
				rc = store_make_keep_dir(st, name, keep, keeplen);
				if (rc < 0)
					break;
				have_keep = true;
			}
			snprintf(from, sizeof(from), "%s/%s", src, de->d_name);
			snprintf(to, sizeof(to), "%s/%s", keep, de->d_name);
			/* Never overwrite: a clash gets a numbered name. */
			for (int i = 1; access(to, F_OK) == 0 && i < 1000; i++)
				snprintf(to, sizeof(to), "%s/%s.%d", keep, de->d_name, i);
			if (rename(from, to) < 0) {
				rc = -errno;
				break;
			}
		}
		closedir(d);
	}
	return rc;
}

int store_remove_vm(const struct store *st, const char *name, bool remove_disks, char *err,
		    size_t errlen)
{
	char dir[VM_PATH_MAX], vms[VM_PATH_MAX], keep[VM_PATH_MAX];
	int rc, vfd;

	if (!vm_name_valid(name, err, errlen))
		return -EINVAL;
	if (store_vm_dir(st, name, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "VM '%s': store path too long", name);
		return -ENAMETOOLONG;
	}
	if (!store_vm_exists(st, name)) {
		snprintf(err, errlen, "VM '%s' does not exist; 'virtty list' shows the VMs", name);
		return -ENOENT;
	}
	keep[0] = '\0';
	if (!remove_disks) {
		rc = store_keep_data(st, name, dir, keep, sizeof(keep));
		if (rc < 0) {
			snprintf(err, errlen,
				 "VM '%s': cannot move its disks aside to '%s': %s; nothing was "
				 "removed",
				 name, keep, strerror(-rc));
			return rc;
		}
	}
	/* Only the definition and (with remove_disks) the store's own files
	 * are left now; paths outside the VM dir were never in it. */
	rc = store_join(vms, sizeof(vms), st->root, "/vms");
	vfd = rc < 0 ? -1 : open(vms, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rc == 0 && vfd < 0) {
		rc = -errno;
	} else if (vfd >= 0) {
		rc = store_remove_tree_at(vfd, name);
		if (rc == 0)
			fsync(vfd);
		close(vfd);
	}
	if (rc < 0) {
		snprintf(err, errlen, "VM '%s': cannot remove '%s': %s", name, dir, strerror(-rc));
		return rc;
	}
	if (keep[0])
		snprintf(err, errlen, "the disks of VM '%s' were kept in '%s'", name, keep);
	else if (errlen)
		err[0] = '\0';
	return 0;
}
