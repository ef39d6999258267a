/* `virtty disk-create PATH SIZE` (raw, sparse, never over an existing
 * file) and `virtty disk-info PATH` (format, virtual and allocated size). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "local/disk.h"
#include "store/store.h"

static int disk_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	char err[512] = "", size_text[32];
	const char *path;
	uint64_t bytes;
	int rc;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, NULL, NULL)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 2, 2,
				  argc - optind < 1 ? "PATH and SIZE" : "SIZE")))
		return rc;
	path = argv[optind];
	if (parse_size(argv[optind + 1], 1ULL << 20, false, &bytes, err, sizeof(err)) < 0 ||
	    disk_check_size(path, bytes, err, sizeof(err)) < 0)
		return cli_usage_error(ctx, "%s", err);
	if (disk_create_raw(path, bytes, NULL, err, sizeof(err)) < 0)
		return cli_failed(err);
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
	struct disk_info info;
	char err[512] = "";
	const char *path;
	uint64_t virt, allocated;
	int rc;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, NULL, NULL)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 1, 1, "PATH")))
		return rc;
	path = argv[optind];
	if (disk_get_info(path, &info, err, sizeof(err)) < 0)
		return cli_failed(err);
	virt = info.virtual_size;
	allocated = info.allocated_bytes;
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(path));
		json_object_object_add(o, "format", json_object_new_string(info.format));
		json_object_object_add(o, "virtual_size_bytes",
				       json_object_new_int64((int64_t)virt));
		json_object_object_add(o, "allocated_bytes",
				       json_object_new_int64((int64_t)allocated));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		char vsize[64], alloc[64];
		const char *keys[] = {"Path", "Format", "Virtual size", "On disk"};
		const char *vals[] = {path, info.format, vsize, alloc};
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
