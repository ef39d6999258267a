/* `virtty disk-create PATH SIZE` (raw, sparse, never over an existing
 * file) and `virtty disk-info PATH` (format, virtual and allocated size). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "store/store.h"

static uint64_t disk_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* What an image is: "raw" unless it carries the qcow2 magic (which we
 * recognise now so users are told, though only raw is run today). */
int cli_disk_probe(const char *path, char *format, size_t flen, uint64_t *virtual_size,
		   uint64_t *allocated, char *err, size_t errlen)
{
	unsigned char hdr[32];
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "disk '%s': cannot open: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "disk '%s': cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		r = -EINVAL;
		snprintf(err, errlen, "disk '%s': not a regular file or block device", path);
		goto out;
	}
	*virtual_size = (uint64_t)st.st_size;
	*allocated = (uint64_t)st.st_blocks * 512;
	if (S_ISBLK(st.st_mode)) {
		uint64_t bytes = 0;

		if (ioctl(fd, BLKGETSIZE64, &bytes) == 0)
			*virtual_size = *allocated = bytes;
	}
	snprintf(format, flen, "raw");
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n == (ssize_t)sizeof(hdr) && !memcmp(hdr, "QFI\xfb", 4)) {
		snprintf(format, flen, "qcow2");
		*virtual_size = disk_be64(hdr + 24);
	}
out:
	close(fd);
	return r;
}

static int disk_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	char err[512] = "", size_text[32];
	const char *path;
	uint64_t bytes;
	int c, rc, fd;

	while ((c = cli_getopt(ctx, argc, argv, opts)) != -1)
		if ((rc = cli_common_opt(ctx, c, argv)) != CLI_CONTINUE)
			return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 2, 2,
				  argc - optind < 1 ? "PATH and SIZE" : "SIZE")))
		return rc;
	path = argv[optind];
	if (parse_size(argv[optind + 1], 1ULL << 20, false, &bytes, err, sizeof(err)) < 0)
		return cli_usage_error(ctx, "%s", err);
	if (bytes % 512)
		return cli_usage_error(ctx, "disk '%s': size must be a multiple of 512 bytes",
				       path);
	if (bytes > (uint64_t)INT64_MAX)
		return cli_usage_error(ctx, "disk '%s': size too large", path);

	/* O_EXCL: an existing file, even one we could write, is never touched. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			cli_error("disk '%s' already exists; refusing to overwrite it", path);
		else
			cli_error("disk '%s': cannot create: %s", path, strerror(errno));
		return CLI_EXIT_FAILED;
	}
	if (ftruncate(fd, (off_t)bytes) < 0 || fsync(fd) < 0) {
		int e = errno;

		close(fd);
		unlink(path);
		cli_error("disk '%s': cannot make it %llu bytes: %s", path,
			  (unsigned long long)bytes, strerror(e));
		return CLI_EXIT_FAILED;
	}
	close(fd);
	format_size(bytes, size_text, sizeof(size_text));
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(path));
		json_object_object_add(o, "format", json_object_new_string("raw"));
		json_object_object_add(o, "virtual_size_bytes",
				       json_object_new_int64((int64_t)bytes));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		printf("Created disk '%s' (raw, %s, sparse)\n", path, size_text);
	}
	return CLI_EXIT_OK;
}

static int disk_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	char err[512] = "", format[16];
	uint64_t virt, allocated;
	const char *path;
	int c, rc;

	while ((c = cli_getopt(ctx, argc, argv, opts)) != -1)
		if ((rc = cli_common_opt(ctx, c, argv)) != CLI_CONTINUE)
			return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 1, 1, "PATH")))
		return rc;
	path = argv[optind];
	if (cli_disk_probe(path, format, sizeof(format), &virt, &allocated, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAILED;
	}
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(path));
		json_object_object_add(o, "format", json_object_new_string(format));
		json_object_object_add(o, "virtual_size_bytes",
				       json_object_new_int64((int64_t)virt));
		json_object_object_add(o, "allocated_bytes",
				       json_object_new_int64((int64_t)allocated));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		char vsize[64], alloc[64];
		const char *keys[] = {"Path", "Format", "Virtual size", "On disk"};
		const char *vals[] = {path, format, vsize, alloc};
		char a[32], *s;
		size_t l;

		format_size(virt, a, sizeof(a));
		snprintf(vsize, sizeof(vsize), "%s (%llu bytes)", a, (unsigned long long)virt);
		format_size(allocated, a, sizeof(a));
		snprintf(alloc, sizeof(alloc), "%s", a);
		l = strlen(alloc);
		if (virt)
			snprintf(alloc + l, sizeof(alloc) - l, " (%.0f%% allocated)",
				 (double)allocated * 100.0 / (double)virt);
		s = cli_kv_render(keys, vals, 4);
		if (s)
			fputs(s, stdout);
		free(s);
	}
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_disk_create = {
    .name = "disk-create",
    .usage = "PATH SIZE",
    .summary = "create a sparse raw disk image (never overwrites a file)",
    .help = "SIZE like 10G or 512M; a plain number is MiB; a multiple of 512 bytes.\n",
    .exec = disk_create_exec,
};

const struct cli_command cli_cmd_disk_info = {
    .name = "disk-info",
    .usage = "PATH",
    .summary = "show a disk image's format, virtual size and space used on disk",
    .help = "",
    .exec = disk_info_exec,
};
