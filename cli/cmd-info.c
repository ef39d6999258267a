/* `virtty info NAME`: what a VM is made of and what it is doing. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "local/disk.h"
#include "store/store.h"

/* "1024x768 VNC (socket /run/user/0/virtty/web/vnc.sock, port 5901)" or
 * "none". The socket exists while the VM runs with its display. */
static void info_display(const struct vm_config *cfg, const char *socket, char *buf, size_t len)
{
	const struct vm_display *d = &cfg->display;
	int n;

	if (!d->enabled) {
		snprintf(buf, len, "none");
		return;
	}
	n = snprintf(buf, len, "%dx%d VNC (socket %s", d->width, d->height, socket);
	if (n >= 0 && (size_t)n < len && d->vnc_port)
		n += snprintf(buf + n, len - (size_t)n, ", port 127.0.0.1:%d", d->vnc_port);
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ")");
}

/* Where the VM's VNC socket is (local connections; "" otherwise). */
static void info_vnc_socket(const char *name, char *buf, size_t len)
{
	struct store st;
	char err[256], dir[VM_PATH_MAX];

	buf[0] = '\0';
	if (store_open(&st, err, sizeof(err)) == 0 &&
	    store_vm_runtime_dir(&st, name, dir, sizeof(dir)) == 0 &&
	    strlen(dir) + sizeof("/vnc.sock") <= len) {
		strcpy(buf, dir);
		strcat(buf, "/vnc.sock");
	}
}

static json_object *info_json(const struct vm_info *info, const struct vm_config *cfg,
			      const char *socket)
{
	json_object *o = cli_json_vm_info(info), *disks = json_object_new_array(), *disp, *nics;

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
	if (cfg->display.enabled) {
		char res[32];

		disp = json_object_new_object();
		snprintf(res, sizeof(res), "%dx%d", cfg->display.width, cfg->display.height);
		json_object_object_add(disp, "type", json_object_new_string("vnc"));
		json_object_object_add(disp, "width", json_object_new_int(cfg->display.width));
		json_object_object_add(disp, "height", json_object_new_int(cfg->display.height));
		json_object_object_add(disp, "resolution", json_object_new_string(res));
		json_object_object_add(disp, "vnc_socket",
				       socket[0] ? json_object_new_string(socket) : NULL);
		json_object_object_add(
		    disp, "vnc_port",
		    cfg->display.vnc_port ? json_object_new_int(cfg->display.vnc_port) : NULL);
	} else {
		disp = NULL; /* "display": null, like "initrd": null */
	}
	json_object_object_add(o, "display", disp);
	nics = json_object_new_array();
	for (int i = 0; i < cfg->nr_nics && i < VM_MAX_NICS; i++) {
		json_object *nic = json_object_new_object();

		json_object_object_add(nic, "network",
				       json_object_new_string(cfg->nics[i].network));
		json_object_object_add(nic, "mac", json_object_new_string(cfg->nics[i].mac));
		json_object_array_add(nics, nic);
	}
	json_object_object_add(o, "nics", nics);
	return o;
}

static int info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct vm_info info;
	struct vm_config *cfg;
	char err[512] = "", socket[VM_PATH_MAX] = "";
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

	if (!strcmp(drv->ops->name, "local"))
		info_vnc_socket(name, socket, sizeof(socket));
	if (ctx->json) {
		json_object *o = info_json(&info, cfg, socket);

		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		const char *keys[12 + VM_MAX_DISKS + VM_MAX_NICS],
		    *vals[12 + VM_MAX_DISKS + VM_MAX_NICS];
		char nicbuf[VM_MAX_NICS][VM_NAME_MAX + 48];
		char state[192], pid[16], cpus[64], mem[96], up[32],
		    diskbuf[VM_MAX_DISKS][80 + VM_PATH_MAX], display[VM_PATH_MAX + 96];
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
		info_display(cfg, socket[0] ? socket : "?", display, sizeof(display));
		keys[n] = "Display", vals[n++] = display;
		for (int i = 0; i < cfg->nr_nics && i < VM_MAX_NICS; i++) {
			snprintf(nicbuf[i], sizeof(nicbuf[i]), "%s (network '%s')",
				 cfg->nics[i].mac, cfg->nics[i].network);
			keys[n] = i ? "" : "NICs";
			vals[n++] = nicbuf[i];
		}
		if (!cfg->nr_nics)
			keys[n] = "NICs", vals[n++] = "(none)";
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
