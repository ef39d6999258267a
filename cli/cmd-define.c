/* `virtty define` and `virtty undefine`: create a VM's definition from
 * options, and remove it again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "store/store.h"

#define DEFINE_DEFAULT_VCPUS	  1
#define DEFINE_DEFAULT_MEMORY_MIB 512

/* The store wants absolute paths; relative ones are taken from the current
 * directory, as the user typed them (no symlink resolution). */
int cli_absolute_path(const char *path, char *buf, size_t len)
{
	int n;

	if (path[0] == '/') {
		n = snprintf(buf, len, "%s", path);
	} else {
		char cwd[VM_PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		n = snprintf(buf, len, "%s/%s", cwd, path);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* "PATH", "PATH,readonly", "new:SIZE", "new:SIZE,readonly". SIZE in MiB
 * when it has no unit, like --memory. */
int cli_parse_disk_spec(const char *text, struct cli_disk_spec *out, char *err, size_t errlen)
{
	char buf[VM_PATH_MAX + 32];
	size_t len = strlen(text);
	static const char ro[] = ",readonly";
	int r;

	memset(out, 0, sizeof(out[0]));
	if (len >= sizeof(buf)) {
		snprintf(err, errlen, "invalid --disk: path too long");
		return -ENAMETOOLONG;
	}
	memcpy(buf, text, len + 1);
	if (len >= sizeof(ro) - 1 && !strcmp(buf + len - (sizeof(ro) - 1), ro)) {
		out->readonly = true;
		buf[len - (sizeof(ro) - 1)] = '\0';
	}
	if (!buf[0]) {
		snprintf(
		    err, errlen,
		    "invalid --disk '%s': use PATH or new:SIZE, optionally followed by ,readonly",
		    text);
		return -EINVAL;
	}
	if (!strncmp(buf, "new:", 4)) {
		out->is_new = true;
		r = parse_size(buf + 4, 1ULL << 20, false, &out->size_bytes, err, errlen);
		if (r < 0)
			return r;
		if (out->size_bytes % 512) {
			snprintf(err, errlen,
				 "invalid --disk '%s': size must be a multiple of 512 bytes", text);
			return -EINVAL;
		}
		return 0;
	}
	if (strchr(buf, ',')) {
		snprintf(err, errlen, "invalid --disk '%s': the only option is ',readonly'", text);
		return -EINVAL;
	}
	r = cli_absolute_path(buf, out->path, sizeof(out->path));
	if (r < 0) {
		snprintf(err, errlen, "invalid --disk '%s': %s", text, strerror(-r));
		return r;
	}
	return 0;
}

enum {
	DEFINE_OPT_KERNEL = CLI_OPT_FIRST_PRIVATE,
	DEFINE_OPT_INITRD,
	DEFINE_OPT_CMDLINE,
	DEFINE_OPT_CPUS,
	DEFINE_OPT_MEMORY,
	DEFINE_OPT_DISK,
};

static int define_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"kernel", required_argument, NULL, DEFINE_OPT_KERNEL},
	    {"initrd", required_argument, NULL, DEFINE_OPT_INITRD},
	    {"cmdline", required_argument, NULL, DEFINE_OPT_CMDLINE},
	    {"cpus", required_argument, NULL, DEFINE_OPT_CPUS},
	    {"memory", required_argument, NULL, DEFINE_OPT_MEMORY},
	    {"disk", required_argument, NULL, DEFINE_OPT_DISK},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct vm_new_disk new_disks[VM_MAX_DISKS];
	struct cli_progress prog;
	struct progress progress = {cli_progress_update, &prog};
	struct cli_disk_spec spec;
	struct vm_config *cfg;
	int c, rc = CLI_EXIT_OK, nr_new = 0;
	char err[512] = "";
	struct driver *drv;

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		cli_error("out of memory");
		return CLI_EXIT_FAILED;
	}
	cfg->vcpus = DEFINE_DEFAULT_VCPUS;
	cfg->memory_mib = DEFINE_DEFAULT_MEMORY_MIB;
	while ((c = cli_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case DEFINE_OPT_KERNEL:
		case DEFINE_OPT_INITRD: {
			char *dst = c == DEFINE_OPT_KERNEL ? cfg->kernel : cfg->initrd;

			if (!optarg[0] || cli_absolute_path(optarg, dst, VM_PATH_MAX) < 0) {
				rc = cli_usage_error(ctx, "invalid path '%s' for %s", optarg,
						     argv[optind - 1]);
				goto out;
			}
			break;
		}
		case DEFINE_OPT_CMDLINE:
			if (strlen(optarg) >= sizeof(cfg->cmdline)) {
				rc = cli_usage_error(ctx,
						     "--cmdline is too long (at most %zu bytes)",
						     sizeof(cfg->cmdline) - 1);
				goto out;
			}
			strcpy(cfg->cmdline, optarg);
			break;
		case DEFINE_OPT_CPUS:
			if (cli_parse_count(optarg, "--cpus", 1, 64, &cfg->vcpus, err,
					    sizeof(err))) {
				rc = cli_usage_error(ctx, "%s", err);
				goto out;
			}
			break;
		case DEFINE_OPT_MEMORY:
			if (cli_parse_mib(optarg, "--memory", &cfg->memory_mib, err, sizeof(err))) {
				rc = cli_usage_error(ctx, "%s", err);
				goto out;
			}
			break;
		case DEFINE_OPT_DISK:
			if (cfg->nr_disks + nr_new >= VM_MAX_DISKS) {
				rc = cli_usage_error(ctx, "too many disks (at most %d)",
						     VM_MAX_DISKS);
				goto out;
			}
			if (cli_parse_disk_spec(optarg, &spec, err, sizeof(err))) {
				rc = cli_usage_error(ctx, "%s", err);
				goto out;
			}
			if (spec.is_new) {
				new_disks[nr_new].size_bytes = spec.size_bytes;
				new_disks[nr_new++].readonly = spec.readonly;
			} else {
				struct vm_disk *d = &cfg->disks[cfg->nr_disks++];

				strcpy(d->path, spec.path);
				d->readonly = spec.readonly;
				strcpy(d->format, "raw");
			}
			break;
		default:
			if ((rc = cli_common_opt(ctx, c, argv)) != CLI_CONTINUE)
				goto out;
			rc = CLI_EXIT_OK;
		}
	}
	if ((rc = cli_expect_args(ctx, argc, argv, 1, 1, "VM name")))
		goto out;
	if ((rc = cli_check_name(ctx, argv[optind])))
		goto out;
	if (!cfg->kernel[0]) {
		rc =
		    cli_usage_error(ctx, "VM '%s' needs a kernel: add --kernel PATH", argv[optind]);
		goto out;
	}
	snprintf(cfg->name, sizeof(cfg->name), "%s", argv[optind]);
	if (!(drv = cli_driver(ctx))) {
		rc = CLI_EXIT_FAILED;
		goto out;
	}
	cli_progress_init(&prog, "Creating disks", cli_isatty_out() && !ctx->json);
	if (drv->ops->define(drv, cfg, new_disks, nr_new, &progress, err, sizeof(err)) < 0) {
		if (prog.tty && prog.last_draw_ns)
			fputs("\r\033[K", stdout);
		cli_error("%s", err);
		rc = CLI_EXIT_FAILED;
		goto out;
	}
	if (prog.tty && prog.last_draw_ns)
		fputs("\r\033[K", stdout);
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(cfg->name));
		json_object_object_add(o, "defined", json_object_new_boolean(1));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		printf("VM '%s' defined; start it with 'virtty start %s'\n", cfg->name, cfg->name);
	}
out:
	free(cfg);
	return rc;
}

const struct cli_command cli_cmd_define = {
    .name = "define",
    .usage = "NAME --kernel PATH [--initrd PATH] [--cmdline STRING] [--cpus N] [--memory SIZE] "
	     "[--disk PATH|new:SIZE[,readonly]]...",
    .summary = "define a new VM",
    .help = "  --kernel PATH         Linux bzImage or ELF vmlinux with a PVH note (required)\n"
	    "  --initrd PATH         initial ramdisk\n"
	    "  --cmdline STRING      kernel command line\n"
	    "  --cpus N              virtual CPUs, 1-64 (default 1)\n"
	    "  --memory SIZE         guest memory, e.g. 512M or 2G; plain numbers are MiB\n"
	    "                        (default 512M)\n"
	    "  --disk PATH           attach an existing raw image (repeatable)\n"
	    "  --disk new:SIZE       create a sparse raw image of SIZE in the VM's storage;\n"
	    "                        plain numbers are MiB\n"
	    "                        append ',readonly' to either form for a read-only disk\n",
    .exec = define_exec,
};

enum { UNDEFINE_OPT_REMOVE_DISKS = CLI_OPT_FIRST_PRIVATE };

static int undefine_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"remove-disks", no_argument, NULL, UNDEFINE_OPT_REMOVE_DISKS},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	unsigned flags = 0;
	char err[1024] = "";
	struct driver *drv;
	const char *name;
	int c, rc;

	while ((c = cli_getopt(ctx, argc, argv, opts)) != -1) {
		if (c == UNDEFINE_OPT_REMOVE_DISKS)
			flags |= DRIVER_UNDEFINE_REMOVE_DISKS;
		else if ((rc = cli_common_opt(ctx, c, argv)) != CLI_CONTINUE)
			return rc;
	}
	if ((rc = cli_expect_args(ctx, argc, argv, 1, 1, "VM name")))
		return rc;
	name = argv[optind];
	if ((rc = cli_check_name(ctx, name)))
		return rc;
	if (!(drv = cli_driver(ctx)))
		return CLI_EXIT_FAILED;
	if (drv->ops->undefine(drv, name, flags, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAILED;
	}
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "undefined", json_object_new_boolean(1));
		json_object_object_add(o, "note", err[0] ? json_object_new_string(err) : NULL);
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		printf("VM '%s' undefined\n", name);
		/* e.g. where its disks were moved to */
		if (err[0])
			printf("%s\n", err);
	}
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_undefine = {
    .name = "undefine",
    .usage = "NAME [--remove-disks]",
    .summary = "remove a VM's definition (its disks are kept aside unless --remove-disks)",
    .help = "  --remove-disks        delete the disks the VM's storage holds; without it they\n"
	    "                        are moved aside and the new place is printed. Disks\n"
	    "                        outside the store are never touched.\n",
    .exec = undefine_exec,
};
