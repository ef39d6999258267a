/* `virtty info NAME`: what a VM is made of and what it is doing. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "local/disk.h"
#include "store/store.h"

static json_object *info_json(const struct vm_info *info, const struct vm_config *cfg)
{
	json_object *o = cli_json_vm_info(info), *disks = json_object_new_array();

	json_object_object_add(o, "kernel", json_object_new_string(cfg->kernel));
	json_object_object_add(o, "initrd",
			       cfg->initrd[0] ? json_object_new_string(cfg->initrd) : NULL);
	json_object_object_add(o, "cmdline", json_object_new_string(cfg->cmdline));
	json_object_object_add(o, "config_vcpus", json_object_new_int(cfg->vcpus));
	json_object_object_add(o, "config_memory_mib",
			       json_object_new_int64((int64_t)cfg->memory_mib));
	for (int i = 0; i < cfg->nr_disks; i++) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "path", json_object_new_string(cfg->disks[i].path));
		json_object_object_add(d, "format", json_object_new_string(cfg->disks[i].format));
		json_object_object_add(d, "readonly",
				       json_object_new_boolean(cfg->disks[i].readonly));
		json_object_object_add(d, "size_bytes",
				       json_object_new_int64((int64_t)cfg->disks[i].size_bytes));
		json_object_array_add(disks, d);
	}
	json_object_object_add(o, "disks", disks);
	return o;
}

static int info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct vm_info info;
	struct vm_config *cfg;
	char err[512] = "";
	struct driver *drv;
	const char *name;
	int rc;

	if ((rc = cli_vm_command(ctx, argc, argv, opts, NULL, NULL, &name, &drv)) != CLI_CONTINUE)
		return rc;
	if (drv->ops->info(drv, name, &info, err, sizeof(err)) < 0)
		return cli_failed(err);
	cfg = calloc(1, sizeof(*cfg)); /* big: paths and command line */
	if (!cfg)
		return cli_failed("out of memory");
	if (drv->ops->get_config(drv, name, cfg, err, sizeof(err)) < 0) {
		free(cfg);
		return cli_failed(err);
	}

	if (ctx->json) {
		json_object *o = info_json(&info, cfg);

		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		const char *keys[8 + VM_MAX_DISKS], *vals[8 + VM_MAX_DISKS];
		char state[192], pid[16], cpus[64], mem[96], up[32],
		    diskbuf[VM_MAX_DISKS][80 + VM_PATH_MAX];
		char cfgmem[32];
		int n = 0;
		char *s;

		if (info.reason[0])
			snprintf(state, sizeof(state), "%s (%s)", vm_state_name(info.state),
				 info.reason);
		else
			snprintf(state, sizeof(state), "%s", vm_state_name(info.state));
		keys[n] = "Name", vals[n++] = info.name;
		keys[n] = "State", vals[n++] = state;
		if (info.pid) {
			snprintf(pid, sizeof(pid), "%d", info.pid);
			cli_format_duration(info.uptime_ms, up, sizeof(up));
			keys[n] = "PID", vals[n++] = pid;
			keys[n] = "Uptime", vals[n++] = up;
		}
		format_size(info.memory_mib << 20, mem, sizeof(mem));
		format_size(cfg->memory_mib << 20, cfgmem, sizeof(cfgmem));
		snprintf(cpus, sizeof(cpus), "%d", info.vcpus);
		if (info.pending_changes && cfg->vcpus != info.vcpus)
			snprintf(cpus, sizeof(cpus), "%d (%d at next start)", info.vcpus,
				 cfg->vcpus);
		if (info.pending_changes && cfg->memory_mib != info.memory_mib) {
			size_t l = strlen(mem);

			snprintf(mem + l, sizeof(mem) - l, " (%s at next start)", cfgmem);
		}
		keys[n] = "vCPUs", vals[n++] = cpus;
		keys[n] = "Memory", vals[n++] = mem;
		keys[n] = "Kernel", vals[n++] = cfg->kernel;
		keys[n] = "Initrd", vals[n++] = cfg->initrd[0] ? cfg->initrd : "(none)";
		keys[n] = "Cmdline", vals[n++] = cfg->cmdline[0] ? cfg->cmdline : "(default)";
		for (int i = 0; i < cfg->nr_disks && i < VM_MAX_DISKS; i++) {
			char size[32] = "size unknown", perr[16];
			uint64_t bytes = cfg->disks[i].size_bytes;
			struct disk_info di;

			/* The driver may not know the size; the image does. */
			if (!bytes &&
			    disk_get_info(cfg->disks[i].path, &di, perr, sizeof(perr)) == 0)
				bytes = di.virtual_size;
			if (bytes)
				format_size(bytes, size, sizeof(size));
			snprintf(diskbuf[i], sizeof(diskbuf[i]), "%s (%s, %s%s)",
				 cfg->disks[i].path,
				 cfg->disks[i].format[0] ? cfg->disks[i].format : "raw", size,
				 cfg->disks[i].readonly ? ", read-only" : "");
			keys[n] = i ? "" : "Disks";
			vals[n++] = diskbuf[i];
		}
		if (!cfg->nr_disks)
			keys[n] = "Disks", vals[n++] = "(none)";
		s = cli_kv_render(keys, vals, n);
		if (s)
			fputs(s, stdout);
		free(s);
	}
	free(cfg);
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_info = {
    .name = "info",
    .usage = "NAME [--json]",
    .summary = "show a VM's configuration and state",
    .help = "",
    .exec = info_exec,
};
