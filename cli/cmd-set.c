/* `virtty set NAME --cpus N --memory SIZE`: change a VM's settings; for a
 * running VM they apply at its next start, and we say so. */
#include "cli.h"
#include "store/store.h"

enum {
	SET_OPT_CPUS = CLI_OPT_FIRST_PRIVATE,
	SET_OPT_MEMORY,
};

static int set_opt(struct cli_ctx *ctx, int opt, const char *arg, void *opaque)
{
	struct vm_settings *changes = opaque;
	char err[512];

	if (opt == SET_OPT_CPUS
		? cli_parse_count(arg, "--cpus", 1, 64, &changes->vcpus, err, sizeof(err))
		: cli_parse_mib(arg, "--memory", &changes->memory_mib, err, sizeof(err)))
		return cli_usage_error(ctx, "%s", err);
	return CLI_CONTINUE;
}

static int set_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"cpus", required_argument, NULL, SET_OPT_CPUS},
	    {"memory", required_argument, NULL, SET_OPT_MEMORY},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct vm_settings changes = {0};
	bool at_next_start = false;
	char err[512] = "", what[128] = "", mem[32];
	struct driver *drv;
	const char *name;
	int rc;

	/* Connect only after the last usage check: bad usage is found first. */
	if ((rc = cli_vm_command(ctx, argc, argv, opts, set_opt, &changes, &name, NULL)) !=
	    CLI_CONTINUE)
		return rc;
	if (!changes.vcpus && !changes.memory_mib)
		return cli_usage_error(
		    ctx, "nothing to change for VM '%s': give --cpus and/or --memory", name);
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
		json_object_object_add(o, "at_next_start", json_object_new_boolean(at_next_start));
		cli_json_print(o, stdout);
		json_object_put(o);
		return CLI_EXIT_OK;
	}
	format_size(changes.memory_mib << 20, mem, sizeof(mem));
	if (changes.vcpus && changes.memory_mib)
		snprintf(what, sizeof(what), "%d vCPUs, %s of memory", changes.vcpus, mem);
	else if (changes.vcpus)
		snprintf(what, sizeof(what), "%d vCPU%s", changes.vcpus,
			 changes.vcpus > 1 ? "s" : "");
	else
		snprintf(what, sizeof(what), "%s of memory", mem);
	if (at_next_start)
		printf("VM '%s' set to %s; the VM is running, so this applies at its next start\n",
		       name, what);
	else
		printf("VM '%s' set to %s\n", name, what);
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_set = {
    .name = "set",
    .usage = "NAME [--cpus N] [--memory SIZE]",
    .summary = "change a VM's vCPUs or memory (a running VM gets them at its next start)",
    .help = "  --cpus N              virtual CPUs, 1-64\n"
	    "  --memory SIZE         guest memory, e.g. 512M or 2G; plain numbers are MiB\n",
    .exec = set_exec,
};
