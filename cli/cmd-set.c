/* `virtty set NAME --cpus N --memory SIZE --display ...`: change a VM's
 * settings; for a running VM they apply at its next start, and we say so. */
#include <string.h>

#include "cli.h"
#include "store/store.h"

enum {
	SET_OPT_CPUS = CLI_OPT_FIRST_PRIVATE,
	SET_OPT_MEMORY,
	SET_OPT_DISPLAY,
	SET_OPT_RESOLUTION,
	SET_OPT_VNC_PORT,
	SET_OPT_NIC,
	SET_OPT_NO_NIC,
};

static int set_opt(struct cli_ctx *ctx, int opt, const char *arg, void *opaque)
{
	struct vm_settings *changes = opaque;
	char err[512];
	bool vnc;
	int r = 0;

	switch (opt) {
	case SET_OPT_CPUS:
		r = cli_parse_count(arg, "--cpus", 1, 64, &changes->vcpus, err, sizeof(err));
		break;
	case SET_OPT_MEMORY:
		r = cli_parse_mib(arg, "--memory", &changes->memory_mib, err, sizeof(err));
		break;
	case SET_OPT_DISPLAY:
		r = cli_parse_display(arg, &vnc, err, sizeof(err));
		if (!r)
			changes->display = vnc ? VM_SETTING_ON : VM_SETTING_OFF;
		break;
	case SET_OPT_RESOLUTION: {
		char why[256];

		r = store_parse_resolution(arg, &changes->display_width, &changes->display_height,
					   why, sizeof(why));
		if (r)
			snprintf(err, sizeof(err), "invalid --resolution: %s", why);
		break;
	}
	case SET_OPT_VNC_PORT:
		r = cli_parse_vnc_port(arg, &changes->vnc_port, err, sizeof(err));
		if (!r)
			changes->set_vnc_port = true;
		break;
	case SET_OPT_NIC:
		/* --no-nic with --nic: nr_nics would hide it; -1 marks it. */
		if (changes->set_nics && changes->nr_nics < 0)
			return cli_usage_error(ctx, "--nic and --no-nic contradict each other");
		if (changes->nr_nics >= VM_MAX_NICS) {
			snprintf(err, sizeof(err), "too many NICs (at most %d)", VM_MAX_NICS);
			r = -1;
			break;
		}
		r = cli_parse_nic_spec(arg, &changes->nics[changes->nr_nics], err, sizeof(err));
		if (!r) {
			changes->nr_nics++;
			changes->set_nics = true;
		}
		break;
	case SET_OPT_NO_NIC:
		if (changes->set_nics && changes->nr_nics > 0)
			return cli_usage_error(ctx, "--nic and --no-nic contradict each other");
		changes->set_nics = true;
		changes->nr_nics = -1;
		break;
	}
	if (r)
		return cli_usage_error(ctx, "%s", err);
	return CLI_CONTINUE;
}

/* "2 vCPUs, 1 GiB of memory, display 1280x800": what the user changed. */
static void set_describe(const struct vm_settings *c, char *buf, size_t len)
{
	char mem[32];
	size_t n = 0;

	buf[0] = '\0';
#define SET_ADD(...)                                                                               \
	do {                                                                                       \
		if (n < len)                                                                       \
			n += (size_t)snprintf(buf + n, len - n, "%s", n ? ", " : "");              \
		if (n < len)                                                                       \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);                      \
	} while (0)
	if (c->vcpus)
		SET_ADD("%d vCPU%s", c->vcpus, c->vcpus > 1 ? "s" : "");
	if (c->memory_mib) {
		format_size(c->memory_mib << 20, mem, sizeof(mem));
		SET_ADD("%s of memory", mem);
	}
	if (c->display == VM_SETTING_OFF)
		SET_ADD("no display");
	else if (c->display_width)
		SET_ADD("display %dx%d", c->display_width, c->display_height);
	else if (c->display == VM_SETTING_ON)
		SET_ADD("a VNC display");
	if (c->set_vnc_port && c->vnc_port)
		SET_ADD("VNC port %d", c->vnc_port);
	else if (c->set_vnc_port)
		SET_ADD("no VNC port");
	if (c->set_nics && !c->nr_nics)
		SET_ADD("no network");
	if (c->set_nics && c->nr_nics) {
		char nets[VM_MAX_NICS * (VM_NAME_MAX + 2)] = "";

		for (int i = 0; i < c->nr_nics; i++) {
			strcat(nets, i ? ", " : "");
			strcat(nets, c->nics[i].network);
		}
		SET_ADD("NIC%s on %s", c->nr_nics > 1 ? "s" : "", nets);
	}
#undef SET_ADD
}

static int set_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"cpus", required_argument, NULL, SET_OPT_CPUS},
	    {"memory", required_argument, NULL, SET_OPT_MEMORY},
	    {"display", required_argument, NULL, SET_OPT_DISPLAY},
	    {"resolution", required_argument, NULL, SET_OPT_RESOLUTION},
	    {"vnc-port", required_argument, NULL, SET_OPT_VNC_PORT},
	    {"nic", required_argument, NULL, SET_OPT_NIC},
	    {"no-nic", no_argument, NULL, SET_OPT_NO_NIC},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct vm_settings changes = {0};
	bool at_next_start = false;
	char err[512] = "", what[256] = "";
	struct driver *drv;
	const char *name;
	int rc;

	/* Connect only after the last usage check: bad usage is found first. */
	if ((rc = cli_vm_command(ctx, argc, argv, opts, set_opt, &changes, &name, NULL)) !=
	    CLI_CONTINUE)
		return rc;
	if (changes.nr_nics < 0)
		changes.nr_nics = 0; /* --no-nic */
	if (!changes.vcpus && !changes.memory_mib && changes.display == VM_SETTING_KEEP &&
	    !changes.display_width && !changes.set_vnc_port && !changes.set_nics)
		return cli_usage_error(ctx,
				       "nothing to change for VM '%s': give --cpus, --memory, "
				       "--display, --resolution, --vnc-port, --nic or --no-nic",
				       name);
	if (changes.display == VM_SETTING_OFF && (changes.display_width || changes.set_vnc_port))
		return cli_usage_error(ctx, "%s needs a display: drop '--display none'",
				       changes.display_width ? "--resolution" : "--vnc-port");
	if (!(drv = cli_driver(ctx)))
		return CLI_EXIT_FAILED;
	if (drv->ops->set(drv, name, &changes, &at_next_start, err, sizeof(err)) < 0)
		return cli_failed(err);
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "vcpus",
				       changes.vcpus ? json_object_new_int(changes.vcpus) : NULL);
		json_object_object_add(
		    o, "memory_mib",
		    changes.memory_mib ? json_object_new_int64((int64_t)changes.memory_mib) : NULL);
		if (changes.display != VM_SETTING_KEEP)
			json_object_object_add(
			    o, "display",
			    json_object_new_string(changes.display == VM_SETTING_ON ? "vnc"
										    : "none"));
		if (changes.display_width) {
			char res[32];

			snprintf(res, sizeof(res), "%dx%d", changes.display_width,
				 changes.display_height);
			json_object_object_add(o, "resolution", json_object_new_string(res));
		}
		if (changes.set_vnc_port)
			json_object_object_add(o, "vnc_port",
					       json_object_new_int(changes.vnc_port));
		if (changes.set_nics) {
			json_object *nics = json_object_new_array();

			for (int i = 0; i < changes.nr_nics; i++)
				json_object_array_add(
				    nics, json_object_new_string(changes.nics[i].network));
			json_object_object_add(o, "nics", nics);
		}
		json_object_object_add(o, "at_next_start", json_object_new_boolean(at_next_start));
		cli_json_print(o, stdout);
		json_object_put(o);
		return CLI_EXIT_OK;
	}
	set_describe(&changes, what, sizeof(what));
	if (at_next_start)
		printf("VM '%s' set to %s; the VM is running, so this applies at its next start\n",
		       name, what);
	else
		printf("VM '%s' set to %s\n", name, what);
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_set = {
    .name = "set",
    .usage = "NAME [--cpus N] [--memory SIZE] [--display vnc|none] [--resolution WxH] "
	     "[--vnc-port N] [--nic NETWORK[,mac=MAC]]... [--no-nic]",
    .summary = "change a VM's vCPUs, memory, display or NICs (a running VM: at its next start)",
    .help = "  --cpus N              virtual CPUs, 1-64\n"
	    "  --memory SIZE         guest memory, e.g. 512M or 2G; plain numbers are MiB\n"
	    "  --display vnc|none    add a screen served over VNC (1024x768 unless\n"
	    "                        --resolution), or remove it (serial console only)\n"
	    "  --resolution WxH      the screen's size in pixels, 64 to 4096 each\n"
	    "  --vnc-port N          also serve VNC on 127.0.0.1:N (1024-65535); 0 = only\n"
	    "                        the UNIX socket\n"
	    "  --nic NETWORK[,mac=MAC]\n"
	    "                        replace the NICs with these (repeatable); a NIC without\n"
	    "                        a MAC keeps the one the NIC at its place had\n"
	    "  --no-nic              remove every NIC\n",
    .exec = set_exec,
};
