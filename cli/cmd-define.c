/* `virtty define` and `virtty undefine`: create a VM's definition from
 * options, and remove it again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "net/netcfg.h"
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
	DEFINE_OPT_DISPLAY,
	DEFINE_OPT_RESOLUTION,
	DEFINE_OPT_VNC_PORT,
	DEFINE_OPT_NIC,
	DEFINE_OPT_NO_NIC,
	DEFINE_OPT_CDROM,
	DEFINE_OPT_DRY_RUN,
};

/* The network a new VM is put on when no --nic is given. */
#define DEFINE_DEFAULT_NETWORK "default"

/* What define's options build up. */
struct define_args {
	struct vm_config *cfg;
	struct vm_new_disk new_disks[VM_MAX_DISKS];
	int nr_new;
	bool display_none;	/* --display none */
	const char *screen_opt; /* the first --resolution/--vnc-port, for the message */
	bool no_nic;		/* --no-nic */
	bool dry_run;		/* --dry-run: print what would be defined */
};

/* "NETWORK" or "NETWORK,mac=52:54:00:12:34:56". */
int cli_parse_nic_spec(const char *text, struct vm_nic *out, char *err, size_t errlen)
{
	const char *comma = strchr(text, ',');
	size_t len = comma ? (size_t)(comma - text) : strlen(text);
	char why[256];

	memset(out, 0, sizeof(*out));
	if (len >= sizeof(out->network)) {
		snprintf(err, errlen, "invalid --nic '%s': network name too long", text);
		return -EINVAL;
	}
	memcpy(out->network, text, len);
	out->network[len] = '\0';
	if (!vm_name_valid(out->network, why, sizeof(why))) {
		snprintf(err, errlen, "invalid --nic '%s': %s", text, why);
		return -EINVAL;
	}
	if (!comma)
		return 0;
	if (strncmp(comma + 1, "mac=", 4) || strlen(comma + 5) >= sizeof(out->mac) ||
	    !netcfg_mac_valid(comma + 5)) {
		snprintf(err, errlen,
			 "invalid --nic '%s': use NETWORK or NETWORK,mac=MAC with a unicast MAC "
			 "like 52:54:00:12:34:56",
			 text);
		return -EINVAL;
	}
	strcpy(out->mac, comma + 5);
	return 0;
}

/* `--display vnc|none`, shared with `set`: true for vnc. */
int cli_parse_display(const char *text, bool *vnc, char *err, size_t errlen)
{
	if (!strcmp(text, "vnc")) {
		*vnc = true;
	} else if (!strcmp(text, "none")) {
		*vnc = false;
	} else {
		snprintf(err, errlen, "invalid --display '%s': use 'vnc' or 'none'", text);
		return -EINVAL;
	}
	return 0;
}

/* `--vnc-port N`: 0 (UNIX socket only) or an unprivileged port. */
int cli_parse_vnc_port(const char *text, int *port, char *err, size_t errlen)
{
	int v;

	if (cli_parse_count(text, "--vnc-port", 0, 65535, &v, err, errlen) < 0 ||
	    (v && v < STORE_VNC_PORT_MIN)) {
		snprintf(err, errlen,
			 "invalid --vnc-port '%s': use a port from %d to 65535, or 0 for none",
			 text, STORE_VNC_PORT_MIN);
		return -EINVAL;
	}
	*port = v;
	return 0;
}

static int define_opt(struct cli_ctx *ctx, int opt, const char *arg, void *opaque)
{
	struct define_args *d = opaque;
	struct vm_config *cfg = d->cfg;
	struct cli_disk_spec spec;
	char err[512] = "";

	switch (opt) {
	case DEFINE_OPT_KERNEL:
	case DEFINE_OPT_INITRD: {
		char *dst = opt == DEFINE_OPT_KERNEL ? cfg->kernel : cfg->initrd;

		if (!arg[0] || cli_absolute_path(arg, dst, VM_PATH_MAX) < 0)
			return cli_usage_error(ctx, "invalid path '%s' for %s", arg,
					       opt == DEFINE_OPT_KERNEL ? "--kernel" : "--initrd");
		break;
	}
	case DEFINE_OPT_CMDLINE:
		if (strlen(arg) >= sizeof(cfg->cmdline))
			return cli_usage_error(ctx, "--cmdline is too long (at most %zu bytes)",
					       sizeof(cfg->cmdline) - 1);
		strcpy(cfg->cmdline, arg);
		break;
	case DEFINE_OPT_CPUS:
		if (cli_parse_count(arg, "--cpus", 1, 64, &cfg->vcpus, err, sizeof(err)))
			return cli_usage_error(ctx, "%s", err);
		break;
	case DEFINE_OPT_MEMORY:
		if (cli_parse_mib(arg, "--memory", &cfg->memory_mib, err, sizeof(err)))
			return cli_usage_error(ctx, "%s", err);
		break;
	case DEFINE_OPT_DISK:
		if (cfg->nr_disks + d->nr_new >= VM_MAX_DISKS)
			return cli_usage_error(ctx, "too many disks (at most %d)", VM_MAX_DISKS);
		if (cli_parse_disk_spec(arg, &spec, err, sizeof(err)))
			return cli_usage_error(ctx, "%s", err);
		if (spec.is_new) {
			d->new_disks[d->nr_new].size_bytes = spec.size_bytes;
			d->new_disks[d->nr_new++].readonly = spec.readonly;
		} else {
			struct vm_disk *disk = &cfg->disks[cfg->nr_disks++];

			strcpy(disk->path, spec.path);
			disk->readonly = spec.readonly;
			strcpy(disk->format, "raw");
		}
		break;
	case DEFINE_OPT_DISPLAY: {
		bool vnc;

		if (cli_parse_display(arg, &vnc, err, sizeof(err)))
			return cli_usage_error(ctx, "%s", err);
		d->display_none = !vnc;
		break;
	}
	case DEFINE_OPT_RESOLUTION:
		if (store_parse_resolution(arg, &cfg->display.width, &cfg->display.height, err,
					   sizeof(err)))
			return cli_usage_error(ctx, "invalid --resolution: %s", err);
		if (!d->screen_opt)
			d->screen_opt = "--resolution";
		break;
	case DEFINE_OPT_VNC_PORT:
		if (cli_parse_vnc_port(arg, &cfg->display.vnc_port, err, sizeof(err)))
			return cli_usage_error(ctx, "%s", err);
		if (!d->screen_opt)
			d->screen_opt = "--vnc-port";
		break;
	case DEFINE_OPT_NIC:
		if (cfg->nr_nics >= VM_MAX_NICS)
			return cli_usage_error(ctx, "too many NICs (at most %d)", VM_MAX_NICS);
		if (cli_parse_nic_spec(arg, &cfg->nics[cfg->nr_nics], err, sizeof(err)))
			return cli_usage_error(ctx, "%s", err);
		cfg->nr_nics++;
		break;
	case DEFINE_OPT_NO_NIC:
		d->no_nic = true;
		break;
	case DEFINE_OPT_CDROM:
		if (!arg[0] || cli_absolute_path(arg, cfg->cdrom, VM_PATH_MAX) < 0)
			return cli_usage_error(ctx, "invalid path '%s' for --cdrom", arg);
		break;
	case DEFINE_OPT_DRY_RUN:
		d->dry_run = true;
		break;
	}
	return CLI_CONTINUE;
}

/* Without --nic a VM gets a NIC on the default network, as in
 * VirtualBox, where that network exists (it may have been deleted). */
static void define_default_nic(struct driver *drv, struct vm_config *cfg)
{
	struct net_config *net;
	char err[256];

	if (!drv->ops->net_get_config || !(net = malloc(sizeof(*net))))
		return;
	if (drv->ops->net_get_config(drv, DEFINE_DEFAULT_NETWORK, net, err, sizeof(err)) == 0) {
		memset(&cfg->nics[0], 0, sizeof(cfg->nics[0]));
		strcpy(cfg->nics[0].network, DEFINE_DEFAULT_NETWORK);
		cfg->nr_nics = 1;
	}
	free(net);
}

/* --dry-run: what the connection would create (libvirt domain XML, or the
 * local store's vm.conf), and nothing created. */
static int define_print_preview(struct driver *drv, const struct vm_config *cfg,
				const struct define_args *args)
{
	char err[512] = "", *text = NULL;

	if (!drv->ops->define_preview) {
		cli_error("connection '%s' cannot show a definition before making it", drv->uri);
		return CLI_EXIT_FAILED;
	}
	if (drv->ops->define_preview(drv, cfg, args->new_disks, args->nr_new, &text, err,
				     sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAILED;
	}
	fputs(text, stdout);
	if (text[0] && text[strlen(text) - 1] != '\n')
		putchar('\n');
	free(text);
	return CLI_EXIT_OK;
}

static int define_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"kernel", required_argument, NULL, DEFINE_OPT_KERNEL},
	    {"initrd", required_argument, NULL, DEFINE_OPT_INITRD},
	    {"cmdline", required_argument, NULL, DEFINE_OPT_CMDLINE},
	    {"cpus", required_argument, NULL, DEFINE_OPT_CPUS},
	    {"memory", required_argument, NULL, DEFINE_OPT_MEMORY},
	    {"disk", required_argument, NULL, DEFINE_OPT_DISK},
	    {"display", required_argument, NULL, DEFINE_OPT_DISPLAY},
	    {"resolution", required_argument, NULL, DEFINE_OPT_RESOLUTION},
	    {"vnc-port", required_argument, NULL, DEFINE_OPT_VNC_PORT},
	    {"nic", required_argument, NULL, DEFINE_OPT_NIC},
	    {"no-nic", no_argument, NULL, DEFINE_OPT_NO_NIC},
	    {"cdrom", required_argument, NULL, DEFINE_OPT_CDROM},
	    {"dry-run", no_argument, NULL, DEFINE_OPT_DRY_RUN},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct define_args args = {0};
	struct cli_progress prog;
	struct progress progress = {cli_progress_update, &prog};
	struct vm_config *cfg;
	char err[512] = "";
	const char *name;
	struct driver *drv;
	int rc, r;

	cfg = args.cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return cli_failed("out of memory");
	cfg->vcpus = DEFINE_DEFAULT_VCPUS;
	cfg->memory_mib = DEFINE_DEFAULT_MEMORY_MIB;
	/* Every new VM gets a screen, as in virt-manager; --display none
	 * makes a serial-only one. */
	cfg->display =
	    (struct vm_display){true, VM_DISPLAY_DEFAULT_WIDTH, VM_DISPLAY_DEFAULT_HEIGHT, 0};
	/* Connect only after the last usage check: bad usage is found first. */
	if ((rc = cli_vm_command(ctx, argc, argv, opts, define_opt, &args, &name, NULL)) !=
	    CLI_CONTINUE)
		goto out;
	if (!cfg->kernel[0] && !cfg->cdrom[0]) {
		rc = cli_usage_error(ctx, "VM '%s' needs a kernel or an ISO: add --kernel PATH "
				     "(or --cdrom ISO on a libvirt host)", name);
		goto out;
	}
	if (args.display_none && args.screen_opt) {
		rc = cli_usage_error(ctx, "%s needs a display: drop '--display none'",
				     args.screen_opt);
		goto out;
	}
	if (args.no_nic && cfg->nr_nics) {
		rc = cli_usage_error(ctx, "--nic and --no-nic contradict each other");
		goto out;
	}
	if (args.display_none)
		cfg->display = (struct vm_display){0};
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	rc = CLI_EXIT_FAILED;
	if (!(drv = cli_driver(ctx)))
		goto out;
	if (!cfg->nr_nics && !args.no_nic)
		define_default_nic(drv, cfg);
	if (args.dry_run) {
		rc = define_print_preview(drv, cfg, &args);
		goto out;
	}
	cli_progress_init(&prog, "Creating disks", cli_isatty_out() && !ctx->json);
	r = drv->ops->define(drv, cfg, args.new_disks, args.nr_new, &progress, err, sizeof(err));
	if (prog.tty && prog.last_draw_ns)
		fputs("\r\033[K", stdout);
	if (r < 0) {
		cli_error("%s", err);
		goto out;
	}
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(cfg->name));
		json_object_object_add(o, "defined", json_object_new_boolean(1));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		printf("VM '%s' defined; start it with 'virtty start %s'\n", cfg->name, cfg->name);
	}
	rc = CLI_EXIT_OK;
out:
	free(cfg);
	return rc;
}

const struct cli_command cli_cmd_define = {
    .name = "define",
    .usage = "NAME --kernel PATH [--initrd PATH] [--cmdline STRING] [--cpus N] [--memory SIZE] "
	     "[--disk PATH|new:SIZE[,readonly]]... [--display vnc|none] [--resolution WxH] "
	     "[--vnc-port N] [--nic NETWORK[,mac=MAC]]... [--no-nic] [--cdrom ISO] [--dry-run]",
    .summary = "define a new VM",
    .help = "  --kernel PATH         Linux bzImage or ELF vmlinux with a PVH note (required\n"
	    "                        unless --cdrom)\n"
	    "  --initrd PATH         initial ramdisk\n"
	    "  --cmdline STRING      kernel command line\n"
	    "  --cpus N              virtual CPUs, 1-64 (default 1)\n"
	    "  --memory SIZE         guest memory, e.g. 512M or 2G; plain numbers are MiB\n"
	    "                        (default 512M)\n"
	    "  --disk PATH           attach an existing raw image (repeatable)\n"
	    "  --disk new:SIZE       create a sparse raw image of SIZE in the VM's storage;\n"
	    "                        plain numbers are MiB\n"
	    "                        append ',readonly' to either form for a read-only disk\n"
	    "  --display vnc|none    a screen served over VNC (default), or serial console\n"
	    "                        only\n"
	    "  --resolution WxH      the screen's size in pixels, 64 to 4096 each\n"
	    "                        (default 1024x768)\n"
	    "  --vnc-port N          also serve VNC on 127.0.0.1:N (1024-65535); by default\n"
	    "                        only on a UNIX socket ('virtty vnc NAME' reaches it)\n"
	    "  --nic NETWORK[,mac=MAC]\n"
	    "                        a NIC on that network (repeatable, at most 8); the MAC\n"
	    "                        is chosen and kept unless given. Without --nic the VM\n"
	    "                        gets one NIC on 'default' if that network exists\n"
	    "  --no-nic              no network at all\n"
	    "  --cdrom ISO           install from an ISO (libvirt hosts with firmware;\n"
	    "                        the local VMM boots kernels only)\n"
	    "  --dry-run             print what would be defined (libvirt: the domain\n"
	    "                        XML; local: vm.conf) and define nothing\n",
    .exec = define_exec,
};

enum { UNDEFINE_OPT_REMOVE_DISKS = CLI_OPT_FIRST_PRIVATE };

/* --remove-disks, the only option of its own. */
static int undefine_opt(struct cli_ctx *ctx, int opt, const char *arg, void *opaque)
{
	*(unsigned *)opaque |= DRIVER_UNDEFINE_REMOVE_DISKS;
	return CLI_CONTINUE;
}

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
	int rc;

	if ((rc = cli_vm_command(ctx, argc, argv, opts, undefine_opt, &flags, &name, &drv)) !=
	    CLI_CONTINUE)
		return rc;
	if (drv->ops->undefine(drv, name, flags, err, sizeof(err)) < 0)
		return cli_failed(err);
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
