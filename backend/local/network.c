/* The local driver's networks (driver_ops net_*): definitions in the store
 * (backend/store), checked with backend/net/netcfg; a virtty-netd switch
 * per running natnet/internal/hostonly/bridged network, reached through
 * the sockets in <runtime>/.net/<name>; and the VMs' side: their NICs'
 * networks and MACs, the --nic arguments of virtty-vmm, per-NIC stats.
 * nat networks run nothing: each VM's VMM has its own libslirp. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "local_priv.h"
#include "net/netcfg.h"
#include "store/store.h"
#include "vmm_client.h"

/* How long virtty-netd's foreground half may take to set up (a tap, a
 * bridge port, dnsmasq). */
#define NET_START_TIMEOUT_MS 30000
/* net-stop: how long to wait after "quit", then after SIGTERM, SIGKILL. */
#define NET_QUIT_WAIT_MS 5000
#define NET_KILL_WAIT_MS 3000

/* ---- names, paths, locks ---- */

static int net_not_found(const char *name, char *err, size_t errlen)
{
	snprintf(err, errlen, "network '%s' does not exist; 'virtty net-list' shows the networks",
		 name);
	return -ENOENT;
}

static int net_require(struct driver *drv, const char *name, char *err, size_t errlen)
{
	if (!vm_name_valid(name, err, errlen))
		return -EINVAL;
	if (!store_net_exists(local_store(drv), name))
		return net_not_found(name, err, errlen);
	return 0;
}

/* <runtime>/.net/<name>/<file> */
static int net_runtime_file(struct driver *drv, const char *name, const char *file, char *buf,
			    size_t len)
{
	char dir[VM_PATH_MAX];
	int n;

	if (store_net_runtime_dir(local_store(drv), name, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s/%s", dir, file);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void net_unlock(int lock)
{
	store_unlock_vm(lock); /* the same kind of lock file */
}

/* Lock an existing network (waiting for the lock) and read its
 * definition into *cfg (malloc'd: the caller frees it and unlocks).
 * Returns the lock, or -errno with err set and nothing held. */
static int net_lock_read(struct driver *drv, const char *name, struct net_config **cfg, char *err,
			 size_t errlen)
{
	int lock, r;

	*cfg = NULL;
	r = net_require(drv, name, err, errlen);
	if (r)
		return r;
	*cfg = malloc(sizeof(**cfg));
	if (!*cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	lock = store_lock_net(local_store(drv), name, true, err, errlen);
	r = lock < 0 ? lock : store_read_net_config(local_store(drv), name, *cfg, err, errlen);
	if (r < 0) {
		if (lock >= 0)
			net_unlock(lock);
		free(*cfg);
		*cfg = NULL;
		return r;
	}
	return lock;
}

/* Append name to a comma-separated list, cut with "..." when full. */
static void net_list_append(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf), need = strlen(name) + (n ? 2 : 0);

	if (n >= 3 && !strcmp(buf + n - 3, "..."))
		return;
	if (n + need + 4 > len) {
		if (n + 4 <= len)
			strcat(buf, "...");
		return;
	}
	if (n)
		strcat(buf, ", ");
	strcat(buf, name);
}

/* ---- the switch process ---- */

/* Is pid a virtty-netd serving this control socket? (A pid file can
 * outlive its process, and the pid can be reused by another program.) */
static bool net_pid_is_ours(int pid, const char *control)
{
	char path[64], args[8192];
	ssize_t n;
	int fd;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, args, sizeof(args) - 1);
	close(fd);
	if (n <= 0)
		return false;
	args[n] = '\0';
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(args + i) + 1) {
		if (!strcmp(args + i, control))
			return true;
	}
	return false;
}

/* What the switch's pid file says: its pid while it runs (0 if none),
 * *had_file when there is one at all, *clean when it says the switch
 * exited normally. */
static int net_read_pidfile(struct driver *drv, const char *name, bool *had_file, bool *clean)
{
	char path[VM_PATH_MAX], control[VM_PATH_MAX], buf[64];
	int fd, pid = 0, status;
	ssize_t n;

	*had_file = *clean = false;
	if (net_runtime_file(drv, name, LOCAL_NET_PIDFILE, path, sizeof(path)) ||
	    net_runtime_file(drv, name, LOCAL_NET_CONTROL, control, sizeof(control)))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	*had_file = true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (sscanf(buf, "exited %d", &status) == 1) {
		*clean = status == 0;
		return 0;
	}
	if (sscanf(buf, "%d", &pid) != 1 || !net_pid_is_ours(pid, control))
		return 0;
	return pid;
}

/* State of a network: nat is always active (nothing to run); the others
 * by their switch's pid file. */
static enum net_state net_state_of(struct driver *drv, const struct net_config *cfg, int *pid,
				   char *reason, size_t len)
{
	char log[VM_PATH_MAX], line[256];
	bool had_file, clean;

	reason[0] = '\0';
	*pid = 0;
	if (cfg->mode == NET_MODE_NAT)
		return NET_STATE_ACTIVE;
	*pid = net_read_pidfile(drv, cfg->name, &had_file, &clean);
	if (*pid > 0)
		return NET_STATE_ACTIVE;
	if (!had_file || clean)
		return NET_STATE_INACTIVE;
	line[0] = '\0';
	if (!net_runtime_file(drv, cfg->name, LOCAL_NET_LOGFILE, log, sizeof(log)))
		local_log_last_line(log, "virtty-netd: ", line, sizeof(line));
	snprintf(reason, len, "%s", line[0] ? line : "virtty-netd exited; see its log");
	return NET_STATE_FAILED;
}

/* One control request to a network's switch, with errors about it. */
static int net_control(struct driver *drv, const char *name, const char *cmd,
		       struct json_object *args, struct json_object **data, char *err,
		       size_t errlen)
{
	char path[VM_PATH_MAX], msg[512];
	int r;

	if (net_runtime_file(drv, name, LOCAL_NET_CONTROL, path, sizeof(path))) {
		snprintf(err, errlen, "network '%s': runtime path too long", name);
		return -ENAMETOOLONG;
	}
	r = vmm_client_request(path, cmd, args, LOCAL_COMMAND_TIMEOUT_MS, data, msg, sizeof(msg));
	if (r == -ENOENT || r == -ECONNREFUSED)
		snprintf(err, errlen, "network '%s' is not active; 'virtty net-start %s' starts it",
			 name, name);
	else if (r == -ETIMEDOUT)
		snprintf(err, errlen, "network '%s': its virtty-netd does not answer", name);
	else if (r)
		snprintf(err, errlen, "network '%s': %s", name, msg);
	return r;
}

/* "vtty-<name>" cut to an interface name's 15 characters. */
static void net_default_ifname(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "vtty-%.10s", name);
}

/* ---- the VMs on a network ---- */

struct net_users {
	int nr, nr_running;
	char all[256];	   /* defined VMs with a NIC on it */
	char running[256]; /* of which those whose VMM runs attached to it */
};

static bool net_config_uses(const struct vm_config *cfg, const char *net)
{
	for (int i = 0; i < cfg->nr_nics && i < VM_MAX_NICS; i++)
		if (!strcmp(cfg->nics[i].network, net))
			return true;
	return false;
}

/* Which VMs use network net: by their vm.conf, and for running ones by
 * what they started with (a `set --nic` waits for the next start). */
static int net_find_users(struct driver *drv, const char *net, struct net_users *u, char *err,
			  size_t errlen)
{
	struct vm_config *cfg = malloc(sizeof(*cfg));
	char **names, why[512];
	int n, r;

	memset(u, 0, sizeof(*u));
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = store_list_vms(local_store(drv), &names, &n, err, errlen);
	if (r) {
		free(cfg);
		return r;
	}
	for (int i = 0; i < n; i++) {
		struct vm_info info = {0};

		if (store_read_config(local_store(drv), names[i], cfg, why, sizeof(why)) == 0 &&
		    net_config_uses(cfg, net)) {
			u->nr++;
			net_list_append(u->all, sizeof(u->all), names[i]);
		}
		local_probe(drv, names[i], &info);
		if (local_state_is_active(info.state) &&
		    local_running_config(drv, names[i], cfg, why, sizeof(why)) == 0 &&
		    net_config_uses(cfg, net)) {
			u->nr_running++;
			net_list_append(u->running, sizeof(u->running), names[i]);
		}
	}
	store_free_names(names, n);
	free(cfg);
	return 0;
}

/* ---- list, get_config ---- */

static void net_fill_info(struct driver *drv, const struct net_config *cfg, struct net_info *out)
{
	struct net_users users;
	struct json_object *data = NULL, *v;
	char why[512];
	int pid;

	snprintf(out->name, sizeof(out->name), "%s", cfg->name);
	out->mode = cfg->mode;
	snprintf(out->subnet, sizeof(out->subnet), "%s", cfg->subnet);
	out->autostart = cfg->autostart;
	out->state = net_state_of(drv, cfg, &pid, out->reason, sizeof(out->reason));
	if (cfg->mode == NET_MODE_BRIDGED)
		snprintf(out->bridge, sizeof(out->bridge), "%s", cfg->bridge);
	else if (cfg->mode == NET_MODE_HOSTONLY)
		net_default_ifname(cfg->name, out->bridge, sizeof(out->bridge));
	if (net_find_users(drv, cfg->name, &users, why, sizeof(why)) == 0) {
		out->nr_vms = users.nr;
		out->nr_running = users.nr_running;
		snprintf(out->vms, sizeof(out->vms), "%s", users.all);
	}
	if (out->state != NET_STATE_ACTIVE || cfg->mode == NET_MODE_NAT)
		return;
	if (net_control(drv, cfg->name, "stats", NULL, &data, why, sizeof(why)) == 0) {
		out->rx_bytes = local_json_u64(data, "rx_bytes");
		out->tx_bytes = local_json_u64(data, "tx_bytes");
		json_object_put(data);
		data = NULL;
	}
	/* The host interface netd really made (it may not be the default). */
	if (cfg->mode == NET_MODE_HOSTONLY &&
	    net_control(drv, cfg->name, "status", NULL, &data, why, sizeof(why)) == 0) {
		if (json_object_object_get_ex(data, "ifname", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(out->bridge, sizeof(out->bridge), "%s", json_object_get_string(v));
		json_object_put(data);
	}
}

int local_net_list(struct driver *drv, struct net_info **out, int *count, char *err, size_t errlen)
{
	struct net_config *cfg;
	struct net_info *infos;
	char **names, why[512];
	int n, r;

	*out = NULL;
	*count = 0;
	r = store_list_networks(local_store(drv), &names, &n, err, errlen);
	if (r)
		return r;
	infos = calloc(n ? (size_t)n : 1, sizeof(*infos));
	cfg = malloc(sizeof(*cfg));
	if (!infos || !cfg) {
		free(infos);
		free(cfg);
		store_free_names(names, n);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		/* A broken file must not hide the other networks. */
		if (store_read_net_config(local_store(drv), names[i], cfg, why, sizeof(why))) {
			snprintf(infos[i].name, sizeof(infos[i].name), "%s", names[i]);
			infos[i].state = NET_STATE_FAILED;
			snprintf(infos[i].reason, sizeof(infos[i].reason), "%.*s",
				 (int)sizeof(infos[i].reason) - 1, why);
			continue;
		}
		net_fill_info(drv, cfg, &infos[i]);
	}
	store_free_names(names, n);
	free(cfg);
	*out = infos;
	*count = n;
	return 0;
}

int local_net_get_config(struct driver *drv, const char *name, struct net_config *out, char *err,
			 size_t errlen)
{
	int r = net_require(drv, name, err, errlen);

	if (r)
		return r;
	return store_read_net_config(local_store(drv), name, out, err, errlen);
}

/* ---- checks shared by define and forward ---- */

/* Every network but skip (malloc'd array). A file that cannot be read
 * stops the caller: an overlap with it could not be seen. */
static int net_read_others(struct driver *drv, const char *skip, struct net_config **out,
			   int *count, char *err, size_t errlen)
{
	struct net_config *all;
	char **names;
	int n, r, k = 0;

	*out = NULL;
	*count = 0;
	r = store_list_networks(local_store(drv), &names, &n, err, errlen);
	if (r)
		return r;
	all = calloc(n ? (size_t)n : 1, sizeof(*all));
	if (!all) {
		store_free_names(names, n);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < n && !r; i++) {
		if (!strcmp(names[i], skip))
			continue;
		r = store_read_net_config(local_store(drv), names[i], &all[k], err, errlen);
		if (!r)
			k++;
	}
	store_free_names(names, n);
	if (r) {
		free(all);
		return r;
	}
	*out = all;
	*count = k;
	return 0;
}

/* "tcp 127.0.0.1:2222": the host side of a forward, for messages. */
static void net_host_side(const struct net_forward *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s:%u", f->udp ? "udp" : "tcp",
		 f->host_addr[0] ? f->host_addr : "127.0.0.1", f->host_port);
}

/* Can the host port be bound now? Bound and closed at once, as the
 * switch or the VMM will bind it (TCP with SO_REUSEADDR, like libslirp). */
static int net_port_free(const char *net, const struct net_forward *f, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(f->host_port)};
	char side[64];
	int fd, one = 1, r = 0;

	net_host_side(f, side, sizeof(side));
	if (inet_pton(AF_INET, f->host_addr[0] ? f->host_addr : "127.0.0.1", &sa.sin_addr) != 1) {
		snprintf(err, errlen, "network '%s': forward %s: not an IPv4 address", net, side);
		return -EINVAL;
	}
	fd = socket(AF_INET, (f->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "network '%s': forward %s: %s", net, side, strerror(-r));
		return r;
	}
	if (!f->udp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "network '%s': host port %s is not free (%s); pick another",
			 net, side, strerror(-r));
	}
	close(fd);
	return r;
}

/* No host port forwarded twice across networks (netcfg_validate sees
 * one network's own forwards). */
static int net_check_forward_clash(const struct net_config *cfg, const struct net_config *others,
				   int nr_others, char *err, size_t errlen)
{
	char side[64];

	for (int i = 0; i < cfg->nr_forwards; i++)
		for (int o = 0; o < nr_others; o++)
			for (int j = 0; j < others[o].nr_forwards; j++) {
				if (!netcfg_forward_same_host_side(&cfg->forwards[i],
								   &others[o].forwards[j]))
					continue;
				net_host_side(&cfg->forwards[i], side, sizeof(side));
				snprintf(err, errlen,
					 "network '%s': host port %s is already forwarded by "
					 "network '%s'",
					 cfg->name, side, others[o].name);
				return -EADDRINUSE;
			}
	return 0;
}

/* netcfg_validate against the other networks and the host's routes, and
 * the forwards against the other networks'. */
static int net_validate(struct driver *drv, const struct net_config *cfg, char *warning,
			size_t warnlen, char *err, size_t errlen)
{
	struct ipv4_subnet *routes = NULL;
	struct net_config *others = NULL;
	int nr_others = 0, nr_routes = 0, r;

	r = net_read_others(drv, cfg->name, &others, &nr_others, err, errlen);
	if (!r)
		r = netcfg_host_routes(NULL, &routes, &nr_routes, err, errlen);
	if (!r)
		r = netcfg_validate(cfg, others, nr_others, routes, nr_routes, warning, warnlen,
				    err, errlen);
	if (!r)
		r = net_check_forward_clash(cfg, others, nr_others, err, errlen);
	free(routes);
	free(others);
	return r;
}

/* ---- define, undefine ---- */

int local_net_define(struct driver *drv, const struct net_config *cfg, char *err, size_t errlen)
{
	struct store *st = local_store(drv);
	struct net_config *full;
	char warning[512] = "";
	int lock, r;

	if (!vm_name_valid(cfg->name, err, errlen))
		return -EINVAL;
	full = malloc(sizeof(*full));
	if (!full) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*full = *cfg;
	netcfg_fill_defaults(full);
	lock = store_lock_net(st, cfg->name, true, err, errlen);
	if (lock < 0) {
		free(full);
		return lock;
	}
	if (store_net_exists(st, cfg->name)) {
		snprintf(err, errlen, "network '%s' already exists", cfg->name);
		r = -EEXIST;
		goto out;
	}
	r = net_validate(drv, full, warning, sizeof(warning), err, errlen);
	for (int i = 0; !r && i < full->nr_forwards; i++)
		r = net_port_free(full->name, &full->forwards[i], err, errlen);
	if (!r)
		r = store_write_net_config(st, full, err, errlen);
	/* Success: err carries the warning, if any ("" otherwise). */
	if (!r)
		snprintf(err, errlen, "%s", warning);
out:
	net_unlock(lock);
	free(full);
	return r;
}

/* Remove a stopped network's runtime directory (sockets, pid file, log). */
static void net_remove_runtime(struct driver *drv, const char *name)
{
	static const char *const files[] = {LOCAL_NET_SOCKET, LOCAL_NET_CONTROL, LOCAL_NET_PIDFILE,
					    LOCAL_NET_LOGFILE, LOCAL_NET_LOGFILE ".old"};
	char dir[VM_PATH_MAX];

	if (store_net_runtime_dir(local_store(drv), name, dir, sizeof(dir)) == 0)
		local_runtime_dir_remove(dir, files, sizeof(files) / sizeof(files[0]));
}

int local_net_undefine(struct driver *drv, const char *name, char *err, size_t errlen)
{
	struct net_config *cfg = NULL;
	struct net_users users;
	char reason[128];
	int lock, r, pid;

	r = net_require(drv, name, err, errlen);
	if (r)
		return r;
	lock = store_lock_net(local_store(drv), name, true, err, errlen);
	if (lock < 0)
		return lock;
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = net_find_users(drv, name, &users, err, errlen);
	if (r)
		goto out;
	if (users.nr || users.nr_running) {
		snprintf(err, errlen,
			 "network '%s' is used by VM%s %s; move their NICs elsewhere ('virtty set "
			 "VM --nic NETWORK' or '--no-nic') or undefine them first",
			 name, (users.nr ? users.nr : users.nr_running) > 1 ? "s" : "",
			 users.nr ? users.all : users.running);
		r = -EBUSY;
		goto out;
	}
	/* A file we cannot read can still be removed: it is not running. */
	if (store_read_net_config(local_store(drv), name, cfg, err, errlen) == 0 &&
	    net_state_of(drv, cfg, &pid, reason, sizeof(reason)) == NET_STATE_ACTIVE &&
	    cfg->mode != NET_MODE_NAT) {
		snprintf(err, errlen, "network '%s' is active; 'virtty net-stop %s' first", name,
			 name);
		r = -EBUSY;
		goto out;
	}
	r = store_remove_net(local_store(drv), name, err, errlen);
	if (!r)
		net_remove_runtime(drv, name);
out:
	net_unlock(lock);
	free(cfg);
	return r;
}

/* ---- start ---- */

/* The runtime directory: private, and free of a previous run's sockets
 * (no switch holds them: the caller checked under the lock). */
static int net_prepare_runtime(struct driver *drv, const char *name, char *err, size_t errlen)
{
	char dir[VM_PATH_MAX], path[VM_PATH_MAX], old[VM_PATH_MAX], who[VM_NAME_MAX + 16];
	int r;

	if (store_net_runtime_dir(local_store(drv), name, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "network '%s': runtime path too long", name);
		return -ENAMETOOLONG;
	}
	/* The parent, <runtime>/.net, is made too on a first start. */
	snprintf(who, sizeof(who), "network '%s'", name);
	r = local_runtime_dir_make(dir, who, err, errlen);
	if (r)
		return r;
	net_runtime_file(drv, name, LOCAL_NET_SOCKET, path, sizeof(path));
	unlink(path);
	net_runtime_file(drv, name, LOCAL_NET_CONTROL, path, sizeof(path));
	unlink(path);
	net_runtime_file(drv, name, LOCAL_NET_PIDFILE, path, sizeof(path));
	unlink(path);
	/* Keep the previous run's log one start longer. */
	net_runtime_file(drv, name, LOCAL_NET_LOGFILE, path, sizeof(path));
	net_runtime_file(drv, name, LOCAL_NET_LOGFILE ".old", old, sizeof(old));
	rename(path, old);
	return 0;
}

/* "tcp:127.0.0.1:2222-10.0.2.15:22", as virtty-netd's --hostfwd and
 * net-forward take it (natnet forwards name an address). */
static void net_netd_forward_spec(const struct net_forward *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s:%u-%s:%u", f->udp ? "udp" : "tcp",
		 f->host_addr[0] ? f->host_addr : "127.0.0.1", f->host_port, f->guest_addr,
		 f->guest_port);
}

/* Run `virtty-netd --daemonize` for cfg (not running: the caller holds
 * the lock and checked). */
static int net_spawn(struct driver *drv, const struct net_config *cfg, char *err, size_t errlen)
{
	char bin[VM_PATH_MAX], sock[VM_PATH_MAX], control[VM_PATH_MAX], pidfile[VM_PATH_MAX],
	    log[VM_PATH_MAX], who[VM_NAME_MAX + 16], *output = NULL;
	char fwd[NET_MAX_FORWARDS][96];
	char *argv[32 + 2 * NET_MAX_FORWARDS];
	const char *name = cfg->name;
	int argc = 0, r;

	r = net_prepare_runtime(drv, name, err, errlen);
	if (r)
		return r;
	if (net_runtime_file(drv, name, LOCAL_NET_SOCKET, sock, sizeof(sock)) ||
	    net_runtime_file(drv, name, LOCAL_NET_CONTROL, control, sizeof(control)) ||
	    net_runtime_file(drv, name, LOCAL_NET_PIDFILE, pidfile, sizeof(pidfile)) ||
	    net_runtime_file(drv, name, LOCAL_NET_LOGFILE, log, sizeof(log))) {
		snprintf(err, errlen, "network '%s': runtime path too long", name);
		return -ENAMETOOLONG;
	}
	local_netd_binary(bin, sizeof(bin));
	argv[argc++] = bin;
	argv[argc++] = "--name";
	argv[argc++] = (char *)name;
	argv[argc++] = "--mode";
	argv[argc++] = (char *)net_mode_name(cfg->mode);
	argv[argc++] = "--socket";
	argv[argc++] = sock;
	argv[argc++] = "--control";
	argv[argc++] = control;
	argv[argc++] = "--daemonize";
	argv[argc++] = "--pidfile";
	argv[argc++] = pidfile;
	argv[argc++] = "--log";
	argv[argc++] = log;
	if (cfg->subnet[0] && cfg->mode != NET_MODE_INTERNAL && cfg->mode != NET_MODE_BRIDGED) {
		argv[argc++] = "--net";
		argv[argc++] = (char *)cfg->subnet;
	}
	if (cfg->dhcp_start[0] && cfg->dhcp_end[0]) {
		argv[argc++] = "--dhcp-start";
		argv[argc++] = (char *)cfg->dhcp_start;
		argv[argc++] = "--dhcp-end";
		argv[argc++] = (char *)cfg->dhcp_end;
	} else if (cfg->mode == NET_MODE_HOSTONLY) {
		argv[argc++] = "--no-dhcp"; /* no range stored: the user chose none */
	}
	if (cfg->mode == NET_MODE_BRIDGED) {
		argv[argc++] = "--bridge";
		argv[argc++] = (char *)cfg->bridge;
	}
	for (int i = 0;
	     cfg->mode == NET_MODE_NATNET && i < cfg->nr_forwards && i < NET_MAX_FORWARDS; i++) {
		net_netd_forward_spec(&cfg->forwards[i], fwd[i], sizeof(fwd[i]));
		argv[argc++] = "--hostfwd";
		argv[argc++] = fwd[i];
	}
	argv[argc] = NULL;

	r = local_spawn_wait(argv, NET_START_TIMEOUT_MS, &output);
	if (r == 0) {
		free(output);
		return 0;
	}
	snprintf(who, sizeof(who), "network '%s'", name);
	r = local_spawn_error(r, output, who, "virtty-netd", bin,
			      "virtty-netd gave no reason; see its log", err, errlen);
	free(output);
	return r;
}

/* Start a network unless it runs. *was_active tells which. */
static int net_start_common(struct driver *drv, const char *name, bool *was_active, char *err,
			    size_t errlen)
{
	struct net_config *cfg;
	char reason[128];
	int lock, r = 0, pid;

	*was_active = false;
	/* The lock waits: of two starts at once (two VMs on one network),
	 * the second finds the switch running. */
	lock = net_lock_read(drv, name, &cfg, err, errlen);
	if (lock < 0)
		return lock;
	if (net_state_of(drv, cfg, &pid, reason, sizeof(reason)) == NET_STATE_ACTIVE)
		*was_active = true;
	else
		r = net_spawn(drv, cfg, err, errlen);
	net_unlock(lock);
	free(cfg);
	return r;
}

int local_net_start(struct driver *drv, const char *name, char *err, size_t errlen)
{
	struct net_config *cfg = malloc(sizeof(*cfg));
	bool was_active;
	int r;

	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = local_net_get_config(drv, name, cfg, err, errlen);
	if (!r && cfg->mode == NET_MODE_NAT) {
		/* Success, with a note: there is nothing to run. */
		snprintf(err, errlen,
			 "network '%s' is nat: nothing to start (each VM on it runs "
			 "its own NAT)",
			 name);
		free(cfg);
		return 0;
	}
	free(cfg);
	if (r)
		return r;
	r = net_start_common(drv, name, &was_active, err, errlen);
	if (!r && was_active) {
		snprintf(err, errlen, "network '%s' is already active", name);
		return -EALREADY;
	}
	if (!r)
		err[0] = '\0';
	return r;
}

/* ---- stop ---- */

/* Wait until the switch process is gone; true if it is. */
static bool net_wait_gone(int pid, const char *control, int timeout_ms)
{
	int64_t deadline = local_now_ms() + timeout_ms;

	while (net_pid_is_ours(pid, control)) {
		if (local_now_ms() >= deadline)
			return false;
		usleep(20000);
	}
	return true;
}

int local_net_stop(struct driver *drv, const char *name, char *err, size_t errlen)
{
	char control[VM_PATH_MAX], reason[128], msg[512];
	struct net_config *cfg;
	struct net_users users;
	enum net_state state;
	int lock, r = 0, pid;

	lock = net_lock_read(drv, name, &cfg, err, errlen);
	if (lock < 0)
		return lock;
	if (cfg->mode == NET_MODE_NAT) {
		snprintf(err, errlen,
			 "network '%s' is nat: nothing runs for it (each VM on it "
			 "runs its own NAT)",
			 name);
		r = -EINVAL;
		goto out;
	}
	state = net_state_of(drv, cfg, &pid, reason, sizeof(reason));
	if (state == NET_STATE_INACTIVE) {
		snprintf(err, errlen, "network '%s' is not active", name);
		r = -ESRCH;
		goto out;
	}
	if (state == NET_STATE_FAILED) {
		/* Nothing runs: forget the failure. */
		net_remove_runtime(drv, name);
		goto out;
	}
	r = net_find_users(drv, name, &users, err, errlen);
	if (r)
		goto out;
	if (users.nr_running) {
		snprintf(err, errlen,
			 "network '%s' has running VM%s attached: %s; shut %s down first", name,
			 users.nr_running > 1 ? "s" : "", users.running,
			 users.nr_running > 1 ? "them" : "it");
		r = -EBUSY;
		goto out;
	}
	net_runtime_file(drv, name, LOCAL_NET_CONTROL, control, sizeof(control));
	/* Ask nicely first: netd removes its tap and stops dnsmasq. */
	if (net_control(drv, name, "quit", NULL, NULL, msg, sizeof(msg)) == 0 &&
	    net_wait_gone(pid, control, NET_QUIT_WAIT_MS))
		goto gone;
	kill(pid, SIGTERM);
	if (net_wait_gone(pid, control, NET_KILL_WAIT_MS))
		goto gone;
	kill(pid, SIGKILL);
	if (!net_wait_gone(pid, control, NET_KILL_WAIT_MS)) {
		snprintf(err, errlen,
			 "network '%s': its virtty-netd (pid %d) does not stop, even "
			 "when killed",
			 name, pid);
		r = -ETIMEDOUT;
		goto out;
	}
gone:
	net_remove_runtime(drv, name);
out:
	net_unlock(lock);
	free(cfg);
	return r;
}

/* ---- autostart, forwards ---- */

int local_net_set_autostart(struct driver *drv, const char *name, bool autostart, char *err,
			    size_t errlen)
{
	struct net_config *cfg;
	int lock, r;

	lock = net_lock_read(drv, name, &cfg, err, errlen);
	if (lock < 0)
		return lock;
	cfg->autostart = autostart;
	r = store_write_net_config(local_store(drv), cfg, err, errlen);
	net_unlock(lock);
	free(cfg);
	return r;
}

/* A running VM's NIC index on network net (its position among the VMM's
 * --nic options), or -1. */
static int net_vm_nic_index(struct driver *drv, const char *vm, const char *net)
{
	struct vm_config *cfg = malloc(sizeof(*cfg));
	char why[512];
	int index = -1;

	if (cfg && local_running_config(drv, vm, cfg, why, sizeof(why)) == 0)
		for (int i = 0; i < cfg->nr_nics && index < 0; i++)
			if (!strcmp(cfg->nics[i].network, net))
				index = i;
	free(cfg);
	return index;
}

/* Does VM vm (defined) have a NIC on network net? */
static int net_check_guest_vm(struct driver *drv, const char *net, const char *vm, char *err,
			      size_t errlen)
{
	struct vm_config *cfg = malloc(sizeof(*cfg));
	char why[512];
	int r = 0;

	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!store_vm_exists(local_store(drv), vm)) {
		snprintf(err, errlen, "network '%s': forward to VM '%s': no such VM", net, vm);
		r = -ENOENT;
	} else if (store_read_config(local_store(drv), vm, cfg, why, sizeof(why)) == 0 &&
		   !net_config_uses(cfg, net)) {
		snprintf(err, errlen,
			 "network '%s': VM '%s' has no NIC on it; add one with "
			 "'virtty set %s --nic %s'",
			 net, vm, vm, net);
		r = -EINVAL;
	}
	free(cfg);
	return r;
}

/* nat: the forward goes to the named VM's own NAT, on its first NIC on
 * this network, if that VM runs with one. */
static int net_apply_nat_forward(struct driver *drv, const struct net_config *cfg,
				 const struct net_forward *f, bool add, char *err, size_t errlen)
{
	struct vm_info info = {0};
	struct json_object *args;
	int r, nic = -1;

	local_probe(drv, f->guest_vm, &info);
	if (local_state_is_active(info.state))
		nic = net_vm_nic_index(drv, f->guest_vm, cfg->name);
	if (nic < 0) /* not running, or not yet on this network */
		return add ? net_port_free(cfg->name, f, err, errlen) : 0;
	args = json_object_new_object();
	json_object_object_add(args, "nic", json_object_new_int(nic));
	json_object_object_add(args, "op", json_object_new_string(add ? "add" : "remove"));
	json_object_object_add(args, "proto", json_object_new_string(f->udp ? "udp" : "tcp"));
	json_object_object_add(
	    args, "host_addr",
	    json_object_new_string(f->host_addr[0] ? f->host_addr : "127.0.0.1"));
	json_object_object_add(args, "host_port", json_object_new_int(f->host_port));
	if (add)
		json_object_object_add(args, "guest_port", json_object_new_int(f->guest_port));
	r = local_control(drv, f->guest_vm, "net-forward", args, LOCAL_COMMAND_TIMEOUT_MS, NULL,
			  err, errlen);
	json_object_put(args);
	return r;
}

/* natnet: the forward goes to the switch's shared NAT, if it runs. */
static int net_apply_natnet_forward(struct driver *drv, const struct net_config *cfg,
				    const struct net_forward *f, bool add, char *err, size_t errlen)
{
	struct json_object *args;
	char spec[96], reason[128];
	int r, pid;

	if (net_state_of(drv, cfg, &pid, reason, sizeof(reason)) != NET_STATE_ACTIVE)
		return add ? net_port_free(cfg->name, f, err, errlen) : 0;
	net_netd_forward_spec(f, spec, sizeof(spec));
	args = json_object_new_object();
	json_object_object_add(args, "action", json_object_new_string(add ? "add" : "remove"));
	json_object_object_add(args, "spec", json_object_new_string(spec));
	r = net_control(drv, cfg->name, "net-forward", args, NULL, err, errlen);
	json_object_put(args);
	return r;
}

/* Add or remove f where it runs now: the VM's VMM (nat) or the switch
 * (natnet); where nothing runs, an added host port must be free. */
static int net_apply_forward(struct driver *drv, const struct net_config *cfg,
			     const struct net_forward *f, bool add, char *err, size_t errlen)
{
	int r = cfg->mode == NET_MODE_NAT ? net_apply_nat_forward(drv, cfg, f, add, err, errlen)
					  : net_apply_natnet_forward(drv, cfg, f, add, err, errlen);

	/* Removing what the running side never had (added by hand, or it
	 * restarted) still removes it from the definition. */
	if (r == -EREMOTEIO && !add &&
	    (strstr(err, "no such forward") || strstr(err, "unknown forward")))
		return 0;
	if (r == -EREMOTEIO && strstr(err, "in use"))
		return -EADDRINUSE;
	return r;
}

int local_net_forward(struct driver *drv, const char *name, const struct net_forward *fwd, bool add,
		      char *err, size_t errlen)
{
	struct net_config *cfg;
	struct net_forward f = *fwd;
	char side[64];
	int lock, r = 0, at = -1;

	lock = net_lock_read(drv, name, &cfg, err, errlen);
	if (lock < 0)
		return lock;
	if (cfg->mode != NET_MODE_NAT && cfg->mode != NET_MODE_NATNET) {
		snprintf(err, errlen,
			 "network '%s' is %s: port forwards are for nat and natnet "
			 "networks",
			 name, net_mode_name(cfg->mode));
		r = -EINVAL;
		goto out;
	}
	net_host_side(&f, side, sizeof(side));
	for (int i = 0; i < cfg->nr_forwards && at < 0; i++)
		if (netcfg_forward_same_host_side(&cfg->forwards[i], &f))
			at = i;
	if (add) {
		if (at >= 0) {
			snprintf(err, errlen,
				 "network '%s' already forwards %s; remove that "
				 "forward first",
				 name, side);
			r = -EEXIST;
			goto out;
		}
		if (cfg->nr_forwards >= NET_MAX_FORWARDS) {
			snprintf(err, errlen, "network '%s': at most %d port forwards", name,
				 NET_MAX_FORWARDS);
			r = -ENOSPC;
			goto out;
		}
		cfg->forwards[cfg->nr_forwards++] = f;
		r = net_validate(drv, cfg, NULL, 0, err, errlen);
		if (!r && cfg->mode == NET_MODE_NAT)
			r = net_check_guest_vm(drv, name, f.guest_vm, err, errlen);
	} else {
		if (at < 0) {
			snprintf(err, errlen,
				 "network '%s' has no forward %s; 'virtty net-info %s' "
				 "lists them",
				 name, side, name);
			r = -ENOENT;
			goto out;
		}
		/* The stored one says where it goes (the VM, the address). */
		f = cfg->forwards[at];
		memmove(&cfg->forwards[at], &cfg->forwards[at + 1],
			sizeof(cfg->forwards[0]) * (size_t)(cfg->nr_forwards - at - 1));
		cfg->nr_forwards--;
	}
	if (!r)
		r = net_apply_forward(drv, cfg, &f, add, err, errlen);
	if (r)
		goto out;
	r = store_write_net_config(local_store(drv), cfg, err, errlen);
	if (r && add) {
		/* Applied but not stored: take the live one back, so that what
		 * runs is what the definition says. */
		char why[256];

		net_apply_forward(drv, cfg, &f, false, why, sizeof(why));
	}
out:
	net_unlock(lock);
	free(cfg);
	return r;
}

/* ---- the VMs' NICs ---- */

int local_nic_arg(const char *vm, const struct vm_nic *nic, const struct net_config *net,
		  bool with_forwards, const char *port_socket, char *buf, size_t len, char *err,
		  size_t errlen)
{
	struct net_config n = *net;
	size_t used;
	int w;

	if (!netcfg_mac_valid(nic->mac)) {
		snprintf(err, errlen, "VM '%s': NIC on network '%s' has an invalid MAC '%s'", vm,
			 net->name, nic->mac);
		return -EINVAL;
	}
	if (n.mode != NET_MODE_NAT) {
		/* The VMM splits its option at commas. */
		if (strchr(port_socket, ',')) {
			snprintf(err, errlen,
				 "VM '%s': network '%s': the socket path '%s' has a "
				 "comma; set VIRTTY_RUNTIME_DIR to a path without one",
				 vm, net->name, port_socket);
			return -EINVAL;
		}
		w = snprintf(buf, len, "socket,path=%s,mac=%s", port_socket, nic->mac);
		goto done;
	}
	netcfg_fill_defaults(&n);
	w = snprintf(buf, len, "user,mac=%s,net=%s", nic->mac, n.subnet);
	if (w >= 0 && (size_t)w < len && n.dhcp_start[0])
		w += snprintf(buf + w, len - (size_t)w, ",dhcpstart=%s", n.dhcp_start);
	for (int i = 0; with_forwards && i < n.nr_forwards && i < NET_MAX_FORWARDS; i++) {
		const struct net_forward *f = &n.forwards[i];

		if (strcmp(f->guest_vm, vm))
			continue;
		used = (size_t)w;
		if (w < 0 || used >= len)
			break;
		/* The guest address is the VM's own DHCP address: left out. */
		w += snprintf(buf + used, len - used, ",hostfwd=%s:%s:%u-:%u",
			      f->udp ? "udp" : "tcp", f->host_addr[0] ? f->host_addr : "127.0.0.1",
			      f->host_port, f->guest_port);
	}
done:
	if (w < 0 || (size_t)w >= len) {
		snprintf(err, errlen, "VM '%s': the NIC on network '%s' makes too long an option",
			 vm, net->name);
		return -ENAMETOOLONG;
	}
	return 0;
}

int local_nics_prepare(struct driver *drv, const struct vm_config *cfg,
		       char (*args)[LOCAL_NIC_ARG_MAX], char *err, size_t errlen)
{
	struct net_config *net = malloc(sizeof(*net));
	char sock[VM_PATH_MAX], msg[512];
	bool was_active, first;
	int r = 0;

	if (!net) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < cfg->nr_nics && i < VM_MAX_NICS && !r; i++) {
		const char *name = cfg->nics[i].network;

		if (!store_net_exists(local_store(drv), name)) {
			snprintf(err, errlen,
				 "VM '%s': network '%s' does not exist (virtty net-list)",
				 cfg->name, name);
			r = -ENOENT;
			break;
		}
		r = store_read_net_config(local_store(drv), name, net, msg, sizeof(msg));
		if (!r && net->mode != NET_MODE_NAT)
			r = net_start_common(drv, name, &was_active, msg, sizeof(msg));
		if (r) {
			snprintf(err, errlen, "VM '%s': %s", cfg->name, msg);
			break;
		}
		first = true;
		for (int j = 0; j < i; j++)
			if (!strcmp(cfg->nics[j].network, name))
				first = false;
		if (net_runtime_file(drv, name, LOCAL_NET_SOCKET, sock, sizeof(sock))) {
			snprintf(err, errlen, "VM '%s': network '%s': runtime path too long",
				 cfg->name, name);
			r = -ENAMETOOLONG;
			break;
		}
		r = local_nic_arg(cfg->name, &cfg->nics[i], net, first, sock, args[i],
				  LOCAL_NIC_ARG_MAX, err, errlen);
	}
	free(net);
	return r;
}

/* The MACs of every VM but vm, lower-case (malloc'd array of 18-byte
 * strings). Unreadable VMs are skipped: they cannot run either. */
static int net_other_macs(struct driver *drv, const char *vm, char (**macs)[18],
			  char (**owners)[VM_NAME_MAX + 1], int *count, char *err, size_t errlen)
{
	struct vm_config *cfg = malloc(sizeof(*cfg));
	char **names, why[512];
	int n, r, k = 0;

	*macs = NULL;
	*owners = NULL;
	*count = 0;
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = store_list_vms(local_store(drv), &names, &n, err, errlen);
	if (r) {
		free(cfg);
		return r;
	}
	*macs = calloc((size_t)n * VM_MAX_NICS + 1, sizeof(**macs));
	*owners = calloc((size_t)n * VM_MAX_NICS + 1, sizeof(**owners));
	if (!*macs || !*owners) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (!strcmp(names[i], vm) ||
		    store_read_config(local_store(drv), names[i], cfg, why, sizeof(why)))
			continue;
		for (int j = 0; j < cfg->nr_nics && j < VM_MAX_NICS; j++) {
			snprintf((*macs)[k], 18, "%s", cfg->nics[j].mac);
			snprintf((*owners)[k], VM_NAME_MAX + 1, "%s", names[i]);
			k++;
		}
	}
	*count = k;
out:
	if (r) {
		free(*macs);
		free(*owners);
		*macs = NULL;
		*owners = NULL;
	}
	store_free_names(names, n);
	free(cfg);
	return r;
}

/* The index in macs[0..n) of mac (any case), or -1. */
static int net_find_mac(char (*macs)[18], int n, const char *mac)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(macs[i], mac))
			return i;
	return -1;
}

int local_nics_assign(struct driver *drv, struct vm_config *cfg, const struct vm_nic *old,
		      int nr_old, char *err, size_t errlen)
{
	char(*macs)[18] = NULL, (*owners)[VM_NAME_MAX + 1] = NULL, why[256];
	int n = 0, r, at;

	if (cfg->nr_nics < 0 || cfg->nr_nics > VM_MAX_NICS) {
		snprintf(err, errlen, "VM '%s': at most %d NICs", cfg->name, VM_MAX_NICS);
		return -EINVAL;
	}
	for (int i = 0; i < cfg->nr_nics; i++) {
		struct vm_nic *nic = &cfg->nics[i];

		if (!vm_name_valid(nic->network, why, sizeof(why))) {
			snprintf(err, errlen, "VM '%s': NIC %d: %s", cfg->name, i, why);
			return -EINVAL;
		}
		if (!store_net_exists(local_store(drv), nic->network)) {
			snprintf(err, errlen,
				 "VM '%s': network '%s' does not exist (virtty net-list; "
				 "'virtty net-create' makes one)",
				 cfg->name, nic->network);
			return -ENOENT;
		}
		if (!nic->mac[0] && old && i < nr_old && old[i].mac[0])
			snprintf(nic->mac, sizeof(nic->mac), "%s", old[i].mac);
		if (nic->mac[0] && !netcfg_mac_valid(nic->mac)) {
			snprintf(err, errlen,
				 "VM '%s': MAC '%s' is not valid: use a unicast "
				 "address like 52:54:00:12:34:56",
				 cfg->name, nic->mac);
			return -EINVAL;
		}
	}
	r = net_other_macs(drv, cfg->name, &macs, &owners, &n, err, errlen);
	if (r)
		return r;
	/* The MACs asked for (or kept) first: a new one must not take them. */
	for (int i = 0; i < cfg->nr_nics && !r; i++) {
		const char *mac = cfg->nics[i].mac;

		if (!mac[0])
			continue;
		at = net_find_mac(macs, n, mac);
		if (at >= 0) {
			snprintf(err, errlen,
				 "VM '%s': MAC %s is already used by VM '%s'; give "
				 "another or none",
				 cfg->name, mac, owners[at]);
			r = -EEXIST;
		}
		for (int j = 0; j < i && !r; j++)
			if (!strcasecmp(cfg->nics[j].mac, mac)) {
				snprintf(err, errlen,
					 "VM '%s': NICs %d and %d have the same MAC %s", cfg->name,
					 j, i, mac);
				r = -EEXIST;
			}
	}
	for (int i = 0; i < cfg->nr_nics && !r; i++) {
		struct vm_nic *nic = &cfg->nics[i];
		unsigned salt;

		if (nic->mac[0])
			continue;
		for (salt = 0; salt < 1000; salt++) {
			bool taken = false;

			netcfg_make_mac(cfg->name, i, salt, nic->mac);
			taken = net_find_mac(macs, n, nic->mac) >= 0;
			for (int j = 0; j < cfg->nr_nics && !taken; j++)
				taken = j != i && !strcasecmp(cfg->nics[j].mac, nic->mac);
			if (!taken)
				break;
		}
		if (salt == 1000) {
			snprintf(err, errlen,
				 "VM '%s': no free MAC address found for NIC %d; give "
				 "one with --nic NETWORK,mac=MAC",
				 cfg->name, i);
			r = -EEXIST;
		}
	}
	free(macs);
	free(owners);
	return r;
}

void local_nic_stats(struct json_object *data, const struct vm_config *cfg, struct vm_stats *out)
{
	struct json_object *arr, *v;

	if (!json_object_object_get_ex(data, "nics", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(arr) && i < VM_MAX_NICS; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct vm_nic_stats *s = &out->nics[out->nr_nics++];

		memset(s, 0, sizeof(*s));
		if (cfg && (int)i < cfg->nr_nics)
			snprintf(s->network, sizeof(s->network), "%s", cfg->nics[i].network);
		if (json_object_object_get_ex(o, "mac", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(s->mac, sizeof(s->mac), "%s", json_object_get_string(v));
		s->rx_bytes = local_json_u64(o, "rx_bytes");
		s->rx_packets = local_json_u64(o, "rx_packets");
		s->rx_dropped = local_json_u64(o, "rx_dropped");
		s->tx_bytes = local_json_u64(o, "tx_bytes");
		s->tx_packets = local_json_u64(o, "tx_packets");
		s->tx_dropped = local_json_u64(o, "tx_dropped");
		s->tx_errors = local_json_u64(o, "tx_errors");
		out->net_rx_bytes += s->rx_bytes;
		out->net_tx_bytes += s->tx_bytes;
	}
}
