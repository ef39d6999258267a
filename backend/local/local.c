/* The local driver (driver_ops for "local"): VMs defined in the on-disk
 * store, each run by a daemonized virtty-vmm that we reach through the
 * sockets in its runtime directory. No state lives in this process. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "disk.h"
#include "local.h"
#include "local_priv.h"
#include "store/store.h"
#include "vmm_client.h"

/* How long the foreground half of virtty-vmm may take to build the VM
 * (loading a large kernel and initrd on a slow disk). */
#define LOCAL_START_TIMEOUT_MS 120000
/* destroy: how long to wait for the VMM after "quit", then after SIGKILL. */
#define LOCAL_QUIT_WAIT_MS 5000
#define LOCAL_KILL_WAIT_MS 3000

struct local_driver {
	struct driver drv;
	struct store st;
};

struct store *local_store(struct driver *drv)
{
	return &((struct local_driver *)drv->priv)->st;
}

/* dir/file into buf, or -ENAMETOOLONG. */
static int local_join(char *buf, size_t len, const char *dir, const char *file)
{
	size_t d = strlen(dir), f = strlen(file);

	if (d + 1 + f + 1 > len)
		return -ENAMETOOLONG;
	memcpy(buf, dir, d);
	buf[d] = '/';
	memcpy(buf + d + 1, file, f + 1);
	return 0;
}

/* <runtime>/<name>/<file> */
static int local_runtime_file(struct driver *drv, const char *name, const char *file, char *buf,
			      size_t len)
{
	char dir[VM_PATH_MAX];

	if (store_vm_runtime_dir(local_store(drv), name, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	return local_join(buf, len, dir, file);
}

static int local_require_vm(struct driver *drv, const char *name, char *err, size_t errlen)
{
	if (!vm_name_valid(name, err, errlen))
		return -EINVAL;
	if (!store_vm_exists(local_store(drv), name)) {
		snprintf(err, errlen, "VM '%s' does not exist; 'virtty list' shows the VMs", name);
		return -ENOENT;
	}
	return 0;
}

/* State, reason and live figures of one VM (vm_info fields other than the
 * configured ones). */
void local_probe(struct driver *drv, const char *name, struct vm_info *info)
{
	char dir[VM_PATH_MAX];

	snprintf(info->name, sizeof(info->name), "%s", name);
	if (store_vm_runtime_dir(local_store(drv), name, dir, sizeof(dir)) < 0) {
		info->state = VM_STATE_UNKNOWN;
		snprintf(info->reason, sizeof(info->reason), "runtime path too long");
		return;
	}
	local_state_probe(dir, info);
}

static int local_not_running(const char *name, char *err, size_t errlen)
{
	snprintf(err, errlen, "VM '%s' is not running; 'virtty start %s' starts it", name, name);
	return -ESRCH;
}

/* Turn the VMM's refusal into a message about the VM. */
static void local_vmm_error(const char *name, const char *vmm_msg, char *err, size_t errlen)
{
	if (strstr(vmm_msg, "already paused"))
		snprintf(err, errlen, "VM '%s' is already paused", name);
	else if (strstr(vmm_msg, "not paused"))
		snprintf(err, errlen, "VM '%s' is not paused", name);
	else if (strstr(vmm_msg, "stopping"))
		snprintf(err, errlen, "VM '%s' is shutting down", name);
	else if (strstr(vmm_msg, "no serial port"))
		snprintf(err, errlen, "VM '%s' has no serial console", name);
	else
		snprintf(err, errlen, "VM '%s': %s", name, vmm_msg);
}

int local_control(struct driver *drv, const char *name, const char *cmd, struct json_object *args,
		  int timeout_ms, struct json_object **data, char *err, size_t errlen)
{
	char path[VM_PATH_MAX], msg[512];
	int r;

	r = local_require_vm(drv, name, err, errlen);
	if (r)
		return r;
	if (local_runtime_file(drv, name, LOCAL_CONTROL, path, sizeof(path))) {
		snprintf(err, errlen, "VM '%s': runtime path too long", name);
		return -ENAMETOOLONG;
	}
	r = vmm_client_request(path, cmd, args, timeout_ms, data, msg, sizeof(msg));
	if (r == -ENOENT || r == -ECONNREFUSED)
		return local_not_running(name, err, errlen);
	if (r == -EREMOTEIO)
		local_vmm_error(name, msg, err, errlen);
	else if (r == -ETIMEDOUT)
		snprintf(err, errlen, "VM '%s' does not answer (its VMM may be hung); "
			 "'virtty destroy %s' stops it", name, name);
	else if (r)
		snprintf(err, errlen, "VM '%s': %s", name, msg);
	return r;
}

/* A control request that needs a live VMM: refuse with "not running"
 * before trying when the pid file says it is gone. */
static int local_control_running(struct driver *drv, const char *name, const char *cmd,
				 struct json_object *args, struct json_object **data, char *err,
				 size_t errlen)
{
	struct vm_info info = { 0 };
	int r = local_require_vm(drv, name, err, errlen);

	if (r)
		return r;
	local_probe(drv, name, &info);
	if (!local_state_is_active(info.state))
		return local_not_running(name, err, errlen);
	return local_control(drv, name, cmd, args, LOCAL_COMMAND_TIMEOUT_MS, data, err, errlen);
}

/* Take the VM's lock (waiting for it if wait) and read its state under
 * it, so that what the caller decides from info holds until local_unlock.
 * With cfg, also allocate a config (big: paths and command line) for the
 * caller to fill. Returns the lock, or -errno with err set. */
static int local_lock(struct driver *drv, const char *name, bool wait, struct vm_info *info,
		      struct vm_config **cfg, char *err, size_t errlen)
{
	int lock;

	if (cfg && !(*cfg = malloc(sizeof(**cfg)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	lock = store_lock_vm(local_store(drv), name, wait, err, errlen);
	if (lock < 0 && cfg) {
		free(*cfg);
		*cfg = NULL;
	}
	if (lock >= 0)
		local_probe(drv, name, info);
	return lock;
}

static void local_unlock(int lock, struct vm_config *cfg)
{
	store_unlock_vm(lock);
	free(cfg);
}

/* ---- list, info, get_config ---- */

/* Does the configuration (as text) differ from the one a VM started with?
 * That one is read and written again first, so that a file from an older
 * virtty (without [display]) is not a change by itself. */
static bool local_ini_differs(const char *now, const char *then)
{
	struct vm_config *cfg = malloc(sizeof(*cfg));
	char why[256], *again = NULL;
	bool differs;

	if (cfg && store_config_from_ini(then, NULL, cfg, why, sizeof(why)) == 0)
		again = store_config_to_ini(cfg);
	differs = strcmp(now, again ? again : then) != 0;
	free(again);
	free(cfg);
	return differs;
}

/* The configuration as text, to tell whether it changed since the start. */
static bool local_config_changed(struct driver *drv, const struct vm_config *cfg)
{
	char path[VM_PATH_MAX], *now, *then = NULL;
	bool changed = false;
	struct stat sb;
	FILE *f;

	if (local_runtime_file(drv, cfg->name, LOCAL_STARTED_CFG, path, sizeof(path)))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false; /* started by hand: nothing to compare */
	now = store_config_to_ini(cfg);
	if (now && fstat(fileno(f), &sb) == 0 && sb.st_size < (1 << 20)) {
		then = calloc(1, (size_t)sb.st_size + 1);
		if (then && fread(then, 1, (size_t)sb.st_size, f) == (size_t)sb.st_size)
			changed = local_ini_differs(now, then);
	}
	fclose(f);
	free(now);
	free(then);
	return changed;
}

/* Everything about one VM; a config that cannot be read still gives its
 * state (and the error, returned). */
static int local_fill_info(struct driver *drv, const char *name, struct vm_info *out, char *err,
			   size_t errlen)
{
	struct vm_config *cfg = malloc(sizeof(*cfg));
	int r;

	memset(out, 0, sizeof(*out));
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = store_read_config(local_store(drv), name, cfg, err, errlen);
	if (!r) {
		out->vcpus = cfg->vcpus;
		out->memory_mib = cfg->memory_mib;
	}
	local_probe(drv, name, out);
	if (!r && local_state_is_active(out->state))
		out->pending_changes = local_config_changed(drv, cfg);
	free(cfg);
	return r;
}

static int local_list(struct driver *drv, struct vm_info **out, int *count, char *err,
		      size_t errlen)
{
	struct vm_info *infos;
	char **names, msg[512];
	int n, r;

	*out = NULL;
	*count = 0;
	r = store_list_vms(local_store(drv), &names, &n, err, errlen);
	if (r)
		return r;
	infos = calloc(n ? (size_t)n : 1, sizeof(*infos));
	if (!infos) {
		store_free_names(names, n);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		/* A broken config must not hide the other VMs: show its error
		 * as the reason. */
		if (local_fill_info(drv, names[i], &infos[i], msg, sizeof(msg)) &&
		    !infos[i].reason[0])
			snprintf(infos[i].reason, sizeof(infos[i].reason), "%.*s",
				 (int)sizeof(infos[i].reason) - 1, msg);
	}
	store_free_names(names, n);
	*out = infos;
	*count = n;
	return 0;
}

static int local_info(struct driver *drv, const char *name, struct vm_info *out, char *err,
		      size_t errlen)
{
	int r = local_require_vm(drv, name, err, errlen);

	if (r)
		return r;
	return local_fill_info(drv, name, out, err, errlen);
}

static int local_get_config(struct driver *drv, const char *name, struct vm_config *out,
			    char *err, size_t errlen)
{
	int r = local_require_vm(drv, name, err, errlen);

	if (r)
		return r;
	return store_read_config(local_store(drv), name, out, err, errlen);
}

/* ---- define, undefine ---- */

/* What define would write: the vm.conf text (NICs without a MAC get one
 * only when defined). */
static int local_define_preview(struct driver *drv, const struct vm_config *cfg,
				const struct vm_new_disk *new_disks, int nr_new_disks, char **text,
				char *err, size_t errlen)
{
	(void)drv;
	(void)new_disks;
	(void)nr_new_disks;
	if (!(*text = store_config_to_ini(cfg))) {
		snprintf(err, errlen, "VM '%s': out of memory", cfg->name);
		return -ENOMEM;
	}
	return 0;
}

static int local_define(struct driver *drv, const struct vm_config *cfg,
			const struct vm_new_disk *new_disks, int nr_new_disks,
			const struct progress *progress, char *err, size_t errlen)
{
	struct store *st = local_store(drv);
	struct vm_config *full = NULL;
	char disk_dir[VM_PATH_MAX], msg[512];
	int r;

	if (!vm_name_valid(cfg->name, err, errlen))
		return -EINVAL;
	if (nr_new_disks < 0 || cfg->nr_disks < 0 ||
	    cfg->nr_disks + nr_new_disks > VM_MAX_DISKS) {
		snprintf(err, errlen, "VM '%s': at most %d disks", cfg->name, VM_MAX_DISKS);
		return -EINVAL;
	}
	for (int i = 0; i < nr_new_disks; i++) {
		if (new_disks[i].size_bytes == 0 || new_disks[i].size_bytes % 512 ||
		    new_disks[i].size_bytes > (uint64_t)INT64_MAX) {
			snprintf(err, errlen, "VM '%s': new disk %d: size must be a positive multiple "
				 "of 512 bytes", cfg->name, i + 1);
			return -EINVAL;
		}
	}
	if (cfg->cdrom[0]) {
		snprintf(err, errlen,
			 "VM '%s': virtty-vmm has no firmware to boot an ISO; give it a kernel "
			 "(--kernel, --initrd) or define it on a libvirt host (-c qemu:///system)",
			 cfg->name);
		return -ENOTSUP;
	}
	/* Everything that can be checked is checked before the store is
	 * touched. */
	r = store_validate_config(cfg, err, errlen);
	if (r)
		return r;
	full = malloc(sizeof(*full));
	if (!full) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*full = *cfg;
	if (store_vm_exists(st, cfg->name)) {
		snprintf(err, errlen, "VM '%s' already exists", cfg->name);
		r = -EEXIST;
		goto out;
	}
	/* Networks that exist, MACs that stay the same across restarts. */
	r = local_nics_assign(drv, full, NULL, 0, err, errlen);
	if (r)
		goto out;
	r = store_create_vm_dir(st, cfg->name, err, errlen);
	if (r)
		goto out;
	if (store_vm_disk_dir(st, cfg->name, disk_dir, sizeof(disk_dir)) < 0) {
		snprintf(err, errlen, "VM '%s': store path too long", cfg->name);
		r = -ENAMETOOLONG;
		goto undo;
	}
	/* New disks go after the existing ones, named after the guest device
	 * they become (vda.img is /dev/vda). */
	for (int i = 0; i < nr_new_disks; i++) {
		struct vm_disk *d = &full->disks[full->nr_disks];

		memset(d, 0, sizeof(*d));
		if (snprintf(d->path, sizeof(d->path), "%s/vd%c.img", disk_dir,
			     'a' + full->nr_disks) >= (int)sizeof(d->path)) {
			snprintf(err, errlen, "VM '%s': store path too long", cfg->name);
			r = -ENAMETOOLONG;
			goto undo;
		}
		r = disk_create_raw(d->path, new_disks[i].size_bytes, progress, err, errlen);
		if (r)
			goto undo;
		d->readonly = new_disks[i].readonly;
		snprintf(d->format, sizeof(d->format), "raw");
		d->size_bytes = new_disks[i].size_bytes;
		full->nr_disks++;
	}
	r = store_write_config(st, full, err, errlen);
	if (!r)
		goto out;
undo:
	/* Nothing of a failed define stays behind. */
	store_remove_vm(st, cfg->name, true, msg, sizeof(msg));
out:
	free(full);
	return r;
}

/* Remove a stopped VM's runtime directory (pid file, log, stale sockets). */
static void local_remove_runtime(struct driver *drv, const char *name)
{
	static const char *const files[] = { LOCAL_PIDFILE, LOCAL_LOGFILE, LOCAL_LOGFILE ".old",
					      LOCAL_CONTROL, LOCAL_SERIAL,  LOCAL_VNC,
					      LOCAL_STARTED_CFG };
	char dir[VM_PATH_MAX];

	if (store_vm_runtime_dir(local_store(drv), name, dir, sizeof(dir)) == 0)
		local_runtime_dir_remove(dir, files, sizeof(files) / sizeof(files[0]));
}

static int local_undefine(struct driver *drv, const char *name, unsigned flags, char *err,
			  size_t errlen)
{
	struct vm_info info = { 0 };
	int lock, r;

	r = local_require_vm(drv, name, err, errlen);
	if (r)
		return r;
	lock = local_lock(drv, name, false, &info, NULL, err, errlen);
	if (lock < 0)
		return lock;
	if (local_state_is_active(info.state)) {
		snprintf(err, errlen, "VM '%s' is %s; use 'virtty destroy %s' first", name,
			 vm_state_name(info.state), name);
		r = -EBUSY;
	} else {
		r = store_remove_vm(local_store(drv), name, flags & DRIVER_UNDEFINE_REMOVE_DISKS, err,
				    errlen);
		if (!r)
			local_remove_runtime(drv, name);
	}
	local_unlock(lock, NULL);
	return r;
}

/* ---- start ---- */

/* The runtime directory: private, and free of a previous run's sockets
 * (no VMM holds them: the caller checked the pid file under the lock). */
static int local_prepare_runtime(struct driver *drv, const char *name, char *err, size_t errlen)
{
	char dir[VM_PATH_MAX], path[VM_PATH_MAX], old[VM_PATH_MAX], who[VM_NAME_MAX + 8];
	int r;

	if (store_vm_runtime_dir(local_store(drv), name, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "VM '%s': runtime path too long", name);
		return -ENAMETOOLONG;
	}
	snprintf(who, sizeof(who), "VM '%s'", name);
	r = local_runtime_dir_make(dir, who, err, errlen);
	if (r)
		return r;
	local_runtime_file(drv, name, LOCAL_CONTROL, path, sizeof(path));
	unlink(path);
	local_runtime_file(drv, name, LOCAL_SERIAL, path, sizeof(path));
	unlink(path);
	local_runtime_file(drv, name, LOCAL_VNC, path, sizeof(path));
	unlink(path);
	/* Keep the previous run's log one start longer. */
	local_runtime_file(drv, name, LOCAL_LOGFILE, path, sizeof(path));
	local_runtime_file(drv, name, LOCAL_LOGFILE ".old", old, sizeof(old));
	rename(path, old);
	return 0;
}

void local_tidy_output(const char *out, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	while (out && *out && n + 1 < len) {
		const char *eol = strchrnul(out, '\n');
		size_t l;

		if (!strncmp(out, "virtty-vmm: ", 12))
			out += 12;
		else if (!strncmp(out, "virtty-netd: ", 13))
			out += 13;
		l = (size_t)(eol - out);
		if (l) {
			n += (size_t)snprintf(buf + n, len - n, "%s%.*s", n ? "; " : "", (int)l, out);
			if (n >= len)
				break;
		}
		out = *eol ? eol + 1 : eol;
	}
}

static int local_start(struct driver *drv, const char *name, char *err, size_t errlen)
{
	char bin[VM_PATH_MAX], pidfile[VM_PATH_MAX], log[VM_PATH_MAX], serial[VM_PATH_MAX],
		control[VM_PATH_MAX], started[VM_PATH_MAX], vnc[VM_PATH_MAX], cpus[16], mem[32],
		fb[32], vnc_port[16];
	char disks[VM_MAX_DISKS][VM_PATH_MAX + 16], *output = NULL, *ini = NULL;
	char (*nics)[LOCAL_NIC_ARG_MAX] = NULL;
	char *argv[32 + 2 * VM_MAX_DISKS + 2 * VM_MAX_NICS];
	struct store *st = local_store(drv);
	struct vm_info info = { 0 };
	struct vm_config *cfg;
	int lock, r, argc = 0;

	r = local_require_vm(drv, name, err, errlen);
	if (r)
		return r;
	/* Wait: of two `virtty start` at once, the second then finds the VM
	 * running instead of starting a second VMM. */
	lock = local_lock(drv, name, true, &info, &cfg, err, errlen);
	if (lock < 0)
		return lock;
	if (local_state_is_active(info.state)) {
		if (info.state == VM_STATE_PAUSED)
			snprintf(err, errlen, "VM '%s' is already running (paused); 'virtty resume %s' "
				 "resumes it", name, name);
		else
			snprintf(err, errlen, "VM '%s' is already running", name);
		r = -EALREADY;
		goto out;
	}
	r = store_read_config(st, name, cfg, err, errlen);
	if (!r)
		r = store_validate_config(cfg, err, errlen);
	if (!r)
		r = local_prepare_runtime(drv, name, err, errlen);
	if (r)
		goto out;
	if (local_runtime_file(drv, name, LOCAL_PIDFILE, pidfile, sizeof(pidfile)) ||
	    local_runtime_file(drv, name, LOCAL_LOGFILE, log, sizeof(log)) ||
	    local_runtime_file(drv, name, LOCAL_SERIAL, serial, sizeof(serial)) ||
	    local_runtime_file(drv, name, LOCAL_CONTROL, control, sizeof(control)) ||
	    local_runtime_file(drv, name, LOCAL_STARTED_CFG, started, sizeof(started)) ||
	    local_runtime_file(drv, name, LOCAL_VNC, vnc, sizeof(vnc))) {
		snprintf(err, errlen, "VM '%s': runtime path too long", name);
		r = -ENAMETOOLONG;
		goto out;
	}
	/* The networks first: a switch the VM's NICs attach to must listen
	 * before the VMM connects. */
	nics = calloc(VM_MAX_NICS, sizeof(*nics));
	if (!nics) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = local_nics_prepare(drv, cfg, nics, err, errlen);
	if (r)
		goto out;
	/* What the VM starts with, for "pending changes" later. */
	ini = store_config_to_ini(cfg);
	if (ini) {
		char why[256];

		/* Only "pending changes" depends on it: not worth failing for. */
		atomic_write_file(started, ini, strlen(ini), 0600, why, sizeof(why));
	}

	local_vmm_binary(bin, sizeof(bin));
	snprintf(cpus, sizeof(cpus), "%d", cfg->vcpus);
	snprintf(mem, sizeof(mem), "%" PRIu64, cfg->memory_mib);
	argv[argc++] = bin;
	argv[argc++] = "--daemonize";
	argv[argc++] = "--pidfile";
	argv[argc++] = pidfile;
	argv[argc++] = "--log";
	argv[argc++] = log;
	argv[argc++] = "--serial";
	argv[argc++] = serial;
	argv[argc++] = "--control";
	argv[argc++] = control;
	argv[argc++] = "--name";
	argv[argc++] = cfg->name;
	argv[argc++] = "--kernel";
	argv[argc++] = cfg->kernel;
	if (cfg->initrd[0]) {
		argv[argc++] = "--initrd";
		argv[argc++] = cfg->initrd;
	}
	if (cfg->cmdline[0]) {
		argv[argc++] = "--cmdline";
		argv[argc++] = cfg->cmdline;
	}
	argv[argc++] = "--cpus";
	argv[argc++] = cpus;
	argv[argc++] = "--memory";
	argv[argc++] = mem;
	for (int i = 0; i < cfg->nr_disks && i < VM_MAX_DISKS; i++) {
		/* Always name the mode: a path may itself end in ",readonly". */
		snprintf(disks[i], sizeof(disks[i]), "%s,%s", cfg->disks[i].path,
			 cfg->disks[i].readonly ? "readonly" : "rw");
		argv[argc++] = "--disk";
		argv[argc++] = disks[i];
	}
	if (cfg->display.enabled) {
		/* The screen is served on a socket in the runtime dir, like
		 * the console; TCP only when the user asked for a port. */
		snprintf(fb, sizeof(fb), "%dx%d", cfg->display.width, cfg->display.height);
		argv[argc++] = "--framebuffer";
		argv[argc++] = fb;
		argv[argc++] = "--vnc";
		argv[argc++] = vnc;
		if (cfg->display.vnc_port) {
			snprintf(vnc_port, sizeof(vnc_port), "%d", cfg->display.vnc_port);
			argv[argc++] = "--vnc-tcp";
			argv[argc++] = vnc_port;
		}
	}
	for (int i = 0; i < cfg->nr_nics && i < VM_MAX_NICS; i++) {
		argv[argc++] = "--nic";
		argv[argc++] = nics[i];
	}
	argv[argc] = NULL;

	r = local_spawn_wait(argv, LOCAL_START_TIMEOUT_MS, &output);
	if (r == 0)
		goto out;
	{
		char who[VM_NAME_MAX + 8];

		snprintf(who, sizeof(who), "VM '%s'", name);
		r = local_spawn_error(r, output, who, "virtty-vmm", bin,
				      "the VMM gave no reason; see its log", err, errlen);
	}
out:
	local_unlock(lock, cfg);
	free(output);
	free(ini);
	free(nics);
	return r;
}

/* ---- stop and friends ---- */

static int local_shutdown(struct driver *drv, const char *name, char *err, size_t errlen)
{
	struct vm_info info = { 0 };
	int r = local_require_vm(drv, name, err, errlen);

	if (r)
		return r;
	local_probe(drv, name, &info);
	if (info.state == VM_STATE_PAUSED) {
		/* A paused guest cannot see the power button. */
		snprintf(err, errlen, "VM '%s' is paused; 'virtty resume %s' first, or "
			 "'virtty destroy %s' to power it off", name, name, name);
		return -EBUSY;
	}
	if (!local_state_is_active(info.state))
		return local_not_running(name, err, errlen);
	return local_control(drv, name, "powerdown", NULL, LOCAL_COMMAND_TIMEOUT_MS, NULL, err,
			     errlen);
}

/* Wait until no VMM holds the pid file; true if it is gone. */
static bool local_wait_gone(const char *pidfile, int timeout_ms, int *pid)
{
	int64_t deadline = local_now_ms() + timeout_ms;
	struct local_pidfile pf;

	for (;;) {
		local_pidfile_read(pidfile, &pf);
		if (pf.kind != LOCAL_PIDFILE_LOCKED)
			return true;
		if (pf.pid > 0)
			*pid = pf.pid;
		if (local_now_ms() >= deadline)
			return false;
		usleep(20000);
	}
}

static int local_destroy(struct driver *drv, const char *name, char *err, size_t errlen)
{
	char pidfile[VM_PATH_MAX], msg[512];
	struct vm_info info = { 0 };
	int lock, r, pid = 0;

	r = local_require_vm(drv, name, err, errlen);
	if (r)
		return r;
	lock = local_lock(drv, name, false, &info, NULL, err, errlen);
	if (lock < 0)
		return lock;
	if (!local_state_is_active(info.state)) {
		r = local_not_running(name, err, errlen);
		goto out;
	}
	local_runtime_file(drv, name, LOCAL_PIDFILE, pidfile, sizeof(pidfile));
	pid = info.pid;
	/* Ask nicely first: the VMM flushes disks and writes its status. */
	r = local_control(drv, name, "quit", NULL, LOCAL_STATUS_TIMEOUT_MS, NULL, msg,
			  sizeof(msg));
	if (local_wait_gone(pidfile, r ? 0 : LOCAL_QUIT_WAIT_MS, &pid)) {
		r = 0;
		goto out;
	}
	/* A hung VMM: kill its whole process group (supervisor and VM
	 * child; the daemon leads its own session). */
	if (pid > 0) {
		if (getpgid(pid) == pid)
			kill(-pid, SIGKILL);
		else
			kill(pid, SIGKILL);
	}
	if (local_wait_gone(pidfile, LOCAL_KILL_WAIT_MS, &pid)) {
		r = 0;
	} else {
		snprintf(err, errlen, "VM '%s': its VMM (pid %d) does not stop, even when killed",
			 name, pid);
		r = -ETIMEDOUT;
	}
out:
	local_unlock(lock, NULL);
	return r;
}

/* Our VMM has no ACPI reboot request: "reset" restarts the machine in
 * place (like pressing a reset button); see docs/vmm.md. */
static int local_reboot(struct driver *drv, const char *name, char *err, size_t errlen)
{
	return local_control_running(drv, name, "reset", NULL, NULL, err, errlen);
}

static int local_pause(struct driver *drv, const char *name, char *err, size_t errlen)
{
	return local_control_running(drv, name, "pause", NULL, NULL, err, errlen);
}

static int local_resume(struct driver *drv, const char *name, char *err, size_t errlen)
{
	return local_control_running(drv, name, "resume", NULL, NULL, err, errlen);
}

/* ---- set, clone ---- */

/* The display part of a `set`: add or remove the screen, resize it,
 * change its TCP port. */
static int local_set_display(struct vm_config *cfg, const struct vm_settings *changes, char *err,
			     size_t errlen)
{
	struct vm_display *disp = &cfg->display;

	if (changes->display == VM_SETTING_OFF) {
		if (changes->display_width || changes->set_vnc_port) {
			snprintf(err, errlen,
				 "VM '%s': a resolution or VNC port needs a display; drop "
				 "'--display none'",
				 cfg->name);
			return -EINVAL;
		}
		/* The resolution stays in the file for when it comes back. */
		disp->enabled = false;
		disp->vnc_port = 0;
		return 0;
	}
	if (changes->display == VM_SETTING_ON) {
		disp->enabled = true;
		if (!disp->width || !disp->height) {
			disp->width = VM_DISPLAY_DEFAULT_WIDTH;
			disp->height = VM_DISPLAY_DEFAULT_HEIGHT;
		}
	}
	if ((changes->display_width || changes->set_vnc_port) && !disp->enabled) {
		snprintf(err, errlen, "VM '%s' has no display; add one with 'virtty set %s "
			 "--display vnc'", cfg->name, cfg->name);
		return -ENODEV;
	}
	if (changes->display_width) {
		disp->width = changes->display_width;
		disp->height = changes->display_height;
	}
	if (changes->set_vnc_port)
		disp->vnc_port = changes->vnc_port;
	return 0;
}

static int local_set(struct driver *drv, const char *name, const struct vm_settings *changes,
		     bool *at_next_start, char *err, size_t errlen)
{
	struct vm_nic old_nics[VM_MAX_NICS];
	struct vm_info info = { 0 };
	struct vm_config *cfg;
	int lock, r, nr_old;

	*at_next_start = false;
	r = local_require_vm(drv, name, err, errlen);
	if (r)
		return r;
	if (changes->vcpus < 0) {
		snprintf(err, errlen, "VM '%s': %d vCPUs: use 1 to 64", name, changes->vcpus);
		return -EINVAL;
	}
	if ((changes->display_width || changes->display_height) &&
	    (changes->display_width <= 0 || changes->display_height <= 0)) {
		snprintf(err, errlen, "VM '%s': give both the width and the height of the display",
			 name);
		return -EINVAL;
	}
	if (changes->set_nics && (changes->nr_nics < 0 || changes->nr_nics > VM_MAX_NICS)) {
		snprintf(err, errlen, "VM '%s': at most %d NICs", name, VM_MAX_NICS);
		return -EINVAL;
	}
	lock = local_lock(drv, name, false, &info, &cfg, err, errlen);
	if (lock < 0)
		return lock;
	r = store_read_config(local_store(drv), name, cfg, err, errlen);
	if (!r) {
		if (changes->vcpus)
			cfg->vcpus = changes->vcpus;
		if (changes->memory_mib)
			cfg->memory_mib = changes->memory_mib;
		r = local_set_display(cfg, changes, err, errlen);
		if (!r && changes->set_nics) {
			/* A NIC given without a MAC keeps the one it had. */
			nr_old = cfg->nr_nics;
			memcpy(old_nics, cfg->nics, sizeof(old_nics));
			cfg->nr_nics = changes->nr_nics;
			memcpy(cfg->nics, changes->nics, sizeof(cfg->nics));
			r = local_nics_assign(drv, cfg, old_nics, nr_old, err, errlen);
		}
		if (!r)
			r = store_write_config(local_store(drv), cfg, err, errlen);
	}
	/* No VMM can start while we hold the lock: the state read with it
	 * still says whether one runs. */
	*at_next_start = !r && local_state_is_active(info.state);
	local_unlock(lock, cfg);
	return r;
}

/* A file name for a cloned disk inside dir that is not taken yet. */
static int local_clone_disk_path(const char *dir, const char *src, int index, char *buf,
				 size_t len)
{
	const char *base = strrchr(src, '/');
	char alt[VM_PATH_MAX];

	base = base ? base + 1 : src;
	if (local_join(buf, len, dir, base))
		return -ENAMETOOLONG;
	if (access(buf, F_OK) < 0)
		return 0;
	/* Two disks with one file name (from different directories). */
	if (snprintf(alt, sizeof(alt), "%d-", index) < 0 ||
	    strlen(alt) + strlen(base) >= sizeof(alt))
		return -ENAMETOOLONG;
	strcat(alt, base);
	return local_join(buf, len, dir, alt);
}

static int local_clone(struct driver *drv, const char *name, const char *new_name,
		       const struct progress *progress, char *err, size_t errlen)
{
	struct store *st = local_store(drv);
	struct vm_config *cfg = NULL;
	struct vm_info info = { 0 };
	char disk_dir[VM_PATH_MAX], msg[512];
	uint64_t total = 0, done = 0;
	int lock, r;

	r = local_require_vm(drv, name, err, errlen);
	if (r)
		return r;
	if (!vm_name_valid(new_name, err, errlen))
		return -EINVAL;
	if (store_vm_exists(st, new_name)) {
		snprintf(err, errlen, "VM '%s' already exists", new_name);
		return -EEXIST;
	}
	lock = local_lock(drv, name, false, &info, &cfg, err, errlen);
	if (lock < 0)
		return lock;
	if (local_state_is_active(info.state)) {
		snprintf(err, errlen, "VM '%s' is %s; shut it down first ('virtty shutdown %s')",
			 name, vm_state_name(info.state), name);
		r = -EBUSY;
		goto out;
	}
	r = store_read_config(st, name, cfg, err, errlen);
	if (r)
		goto out;
	for (int i = 0; i < cfg->nr_disks; i++) {
		struct stat sb;

		if (stat(cfg->disks[i].path, &sb) == 0)
			total += (uint64_t)sb.st_size;
	}
	r = store_create_vm_dir(st, new_name, err, errlen);
	if (r)
		goto out;
	if (store_vm_disk_dir(st, new_name, disk_dir, sizeof(disk_dir)) < 0) {
		snprintf(err, errlen, "VM '%s': store path too long", new_name);
		r = -ENAMETOOLONG;
		goto undo;
	}
	/* Every disk is copied, also those outside the store: two VMs
	 * writing one image would corrupt it. */
	for (int i = 0; i < cfg->nr_disks; i++) {
		char dst[VM_PATH_MAX];

		r = local_clone_disk_path(disk_dir, cfg->disks[i].path, i, dst, sizeof(dst));
		if (r) {
			snprintf(err, errlen, "VM '%s': disk path too long", new_name);
			goto undo;
		}
		r = disk_copy(cfg->disks[i].path, dst, progress, &done, total, err, errlen);
		if (r)
			goto undo;
		snprintf(cfg->disks[i].path, sizeof(cfg->disks[i].path), "%s", dst);
	}
	snprintf(cfg->name, sizeof(cfg->name), "%s", new_name);
	/* Two VMs with one MAC on a segment confuse every switch. */
	for (int i = 0; i < cfg->nr_nics; i++)
		cfg->nics[i].mac[0] = '\0';
	r = local_nics_assign(drv, cfg, NULL, 0, err, errlen);
	if (!r)
		r = store_write_config(st, cfg, err, errlen);
	if (!r)
		goto out;
undo:
	store_remove_vm(st, new_name, true, msg, sizeof(msg));
out:
	local_unlock(lock, cfg);
	return r;
}

/* ---- stats and console ---- */

static int local_stats(struct driver *drv, const char *name, struct vm_stats *out, char *err,
		       size_t errlen)
{
	struct json_object *data = NULL, *arr;
	struct vm_config *cfg;
	struct timespec ts;
	int r;

	memset(out, 0, sizeof(*out));
	/* One round trip per poll (the TUI polls every VM each second): a
	 * VMM that is gone has no listening socket, which local_control
	 * reports as "not running", so no status probe first. */
	r = local_control(drv, name, "stats", NULL, LOCAL_COMMAND_TIMEOUT_MS, &data, err, errlen);
	if (r)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	out->timestamp_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (json_object_object_get_ex(data, "vcpus", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		out->vcpus = (int)json_object_array_length(arr);
		for (size_t i = 0; i < json_object_array_length(arr); i++)
			out->cpu_time_ns +=
			    local_json_u64(json_object_array_get_idx(arr, i), "cpu_time_ns");
	}
	if (json_object_object_get_ex(data, "disks", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *d = json_object_array_get_idx(arr, i);

			out->disk_rd_bytes += local_json_u64(d, "rd_bytes");
			out->disk_wr_bytes += local_json_u64(d, "wr_bytes");
			out->disk_rd_reqs += local_json_u64(d, "rd_reqs");
			out->disk_wr_reqs += local_json_u64(d, "wr_reqs");
		}
	}
	out->memory_rss_bytes = local_json_u64(data, "guest_rss_bytes");
	out->vmm_rss_bytes = local_json_u64(data, "vmm_rss_bytes");
	out->memory_bytes = local_json_u64(data, "memory_mib") << 20;
	/* The networks are those the VM started with. */
	cfg = malloc(sizeof(*cfg));
	if (cfg && local_running_config(drv, name, cfg, err, errlen) < 0) {
		free(cfg);
		cfg = NULL;
	}
	local_nic_stats(data, cfg, out);
	free(cfg);
	json_object_put(data);
	err[0] = '\0';
	return 0;
}

static int local_console_open(struct driver *drv, const char *name, int *fd, char *err,
			      size_t errlen)
{
	char path[VM_PATH_MAX];
	struct vm_info info = { 0 };
	int r = local_require_vm(drv, name, err, errlen);

	*fd = -1;
	if (r)
		return r;
	local_probe(drv, name, &info);
	if (!local_state_is_active(info.state))
		return local_not_running(name, err, errlen);
	local_runtime_file(drv, name, LOCAL_SERIAL, path, sizeof(path));
	r = vmm_client_connect(path, LOCAL_COMMAND_TIMEOUT_MS);
	if (r < 0) {
		snprintf(err, errlen, "VM '%s': cannot attach to its console '%s': %s", name, path,
			 strerror(-r));
		return r;
	}
	/* The console client decides itself whether to block. */
	fcntl(r, F_SETFL, fcntl(r, F_GETFL) & ~O_NONBLOCK);
	*fd = r;
	return 0;
}

/* started.conf (vm.conf as it was when the running VMM started), parsed;
 * -ENOENT when there is none (a VM started by hand). */
static int local_read_started(struct driver *drv, const char *name, struct vm_config *out,
			      char *err, size_t errlen)
{
	char path[VM_PATH_MAX], *text;
	long n;
	FILE *f;
	int r;

	if (local_runtime_file(drv, name, LOCAL_STARTED_CFG, path, sizeof(path))) {
		snprintf(err, errlen, "VM '%s': runtime path too long", name);
		return -ENAMETOOLONG;
	}
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "VM '%s': cannot read '%s': %s", name, path, strerror(-r));
		return r;
	}
	text = calloc(1, 1 << 20);
	if (!text) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n = (long)fread(text, 1, (1 << 20) - 1, f);
	text[n > 0 ? n : 0] = '\0';
	fclose(f);
	r = store_config_from_ini(text, NULL, out, err, errlen);
	free(text);
	return r;
}

int local_running_config(struct driver *drv, const char *name, struct vm_config *out, char *err,
			 size_t errlen)
{
	if (local_read_started(drv, name, out, err, errlen) == 0)
		return 0;
	return store_read_config(local_store(drv), name, out, err, errlen);
}

/* Did the running VMM start with a display? (What it started with is in
 * started.conf; a VM started by hand has none of ours.) */
static bool local_started_with_display(struct driver *drv, const char *name)
{
	struct vm_config *cfg = malloc(sizeof(*cfg));
	char why[256];
	bool with;

	with = cfg && local_read_started(drv, name, cfg, why, sizeof(why)) == 0 &&
	       cfg->display.enabled;
	free(cfg);
	return with;
}

static int local_vnc_open(struct driver *drv, const char *name, int *fd, char *err, size_t errlen)
{
	char path[VM_PATH_MAX];
	struct vm_info info = { 0 };
	struct vm_config *cfg;
	bool has_display = false;
	int r = local_require_vm(drv, name, err, errlen);

	*fd = -1;
	if (r)
		return r;
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (store_read_config(local_store(drv), name, cfg, err, errlen) == 0)
		has_display = cfg->display.enabled;
	free(cfg);
	local_probe(drv, name, &info);
	if (!local_state_is_active(info.state)) {
		if (!has_display)
			goto no_display;
		return local_not_running(name, err, errlen);
	}
	/* The running VMM's socket decides, whatever the file says now. */
	local_runtime_file(drv, name, LOCAL_VNC, path, sizeof(path));
	r = vmm_client_connect(path, LOCAL_COMMAND_TIMEOUT_MS);
	if (r >= 0) {
		fcntl(r, F_SETFL, fcntl(r, F_GETFL) & ~O_NONBLOCK);
		*fd = r;
		return 0;
	}
	if ((r == -ENOENT || r == -ECONNREFUSED) && !local_started_with_display(drv, name)) {
		if (!has_display)
			goto no_display;
		snprintf(err, errlen,
			 "VM '%s' was started without a display; it gets one at its next start",
			 name);
		return -ENODEV;
	}
	snprintf(err, errlen, "VM '%s': cannot attach to its display '%s': %s", name, path,
		 strerror(-r));
	return r;
no_display:
	snprintf(err, errlen, "VM '%s' has no display; add one with 'virtty set %s --display vnc'",
		 name, name);
	return -ENODEV;
}

static int local_console_dump(struct driver *drv, const char *name, char **buf, size_t *len,
			      char *err, size_t errlen)
{
	struct json_object *data = NULL, *out;
	const char *text = NULL;
	size_t n = 0;
	int r;

	*buf = NULL;
	*len = 0;
	r = local_control_running(drv, name, "serial-dump", NULL, &data, err, errlen);
	if (r)
		return r;
	/* The guest's output may contain NUL bytes: copy by length. */
	if (json_object_object_get_ex(data, "output", &out) &&
	    json_object_is_type(out, json_type_string)) {
		text = json_object_get_string(out);
		n = (size_t)json_object_get_string_len(out);
	}
	*buf = malloc(n + 1);
	if (*buf) {
		if (n)
			memcpy(*buf, text, n);
		(*buf)[n] = '\0';
		*len = n;
	}
	json_object_put(data);
	if (!*buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void local_close(struct driver *drv)
{
	free(drv->priv);
}

static const struct driver_ops local_ops = {
	.name = "local",
	.close = local_close,
	.list = local_list,
	.info = local_info,
	.get_config = local_get_config,
	.define = local_define,
	.define_preview = local_define_preview,
	.undefine = local_undefine,
	.start = local_start,
	.shutdown = local_shutdown,
	.destroy = local_destroy,
	.reboot = local_reboot,
	.pause = local_pause,
	.resume = local_resume,
	.set = local_set,
	.clone = local_clone,
	.stats = local_stats,
	.console_open = local_console_open,
	.console_dump = local_console_dump,
	.vnc_open = local_vnc_open,
	.net_list = local_net_list,
	.net_get_config = local_net_get_config,
	.net_define = local_net_define,
	.net_undefine = local_net_undefine,
	.net_start = local_net_start,
	.net_stop = local_net_stop,
	.net_set_autostart = local_net_set_autostart,
	.net_forward = local_net_forward,
};

struct driver *local_driver_open(char *err, size_t errlen)
{
	struct local_driver *ld = calloc(1, sizeof(*ld));

	if (!ld) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* A new store gets the `default` NAT network, so that a VM has a
	 * network out of the box. */
	if (store_open(&ld->st, err, errlen) ||
	    store_ensure_default_network(&ld->st, err, errlen)) {
		free(ld);
		return NULL;
	}
	ld->drv.ops = &local_ops;
	ld->drv.priv = ld;
	snprintf(ld->drv.uri, sizeof(ld->drv.uri), "local");
	return &ld->drv;
}
