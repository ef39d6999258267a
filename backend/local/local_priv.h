/* Shared by the local driver's files (local.c, state.c, spawn.c,
 * network.c); not for the CLI or the TUI, which only see driver.h. */
#ifndef VIRTTY_LOCAL_PRIV_H
#define VIRTTY_LOCAL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "driver.h"

struct json_object;
struct store;

/* Files in a running VM's runtime directory. */
#define LOCAL_PIDFILE     "vmm.pid"
#define LOCAL_LOGFILE     "vmm.log"
#define LOCAL_CONTROL     "control.sock"
#define LOCAL_SERIAL      "serial.sock"
#define LOCAL_VNC         "vnc.sock"    /* only with a display */
#define LOCAL_STARTED_CFG "started.conf" /* vm.conf as it was at start */

/* How long a control request may take before the VM counts as not
 * answering (state "unknown"). */
#define LOCAL_STATUS_TIMEOUT_MS 1000
#define LOCAL_COMMAND_TIMEOUT_MS 5000

/* ---- state.c: what the pid file written by `virtty-vmm --pidfile` says ---- */

enum local_pidfile_kind {
	LOCAL_PIDFILE_NONE,     /* no pid file: never started */
	LOCAL_PIDFILE_LOCKED,   /* a live VMM holds it */
	LOCAL_PIDFILE_EXITED,   /* "exited STATUS" */
	LOCAL_PIDFILE_KILLED,   /* "killed SIGNAL" */
	LOCAL_PIDFILE_VANISHED, /* a bare pid nobody holds: the VMM was killed */
	LOCAL_PIDFILE_INVALID,  /* unreadable or garbage, not locked */
};

struct local_pidfile {
	enum local_pidfile_kind kind;
	int pid;        /* LOCKED (0 if the file says "exited"), VANISHED */
	int value;      /* exit status (EXITED) or signal (KILLED) */
	bool finishing; /* LOCKED, and the VMM already wrote its exit status */
};

int local_pidfile_read(const char *path, struct local_pidfile *out);

/* State and reason of a VM whose pid file is not LOCKED. log_path (may be
 * NULL) gives the reason for a VMM error. */
void local_state_from_pidfile(const struct local_pidfile *pf, const char *log_path,
			      enum vm_state *state, char *reason, size_t len);

/* Full state of a VM from its runtime dir: the pid file and, when a VMM
 * holds it, the control socket's status (state, vcpus, memory, uptime,
 * pid). Fills info->state, reason, pid, and vcpus/memory_mib/uptime_ms
 * when running; leaves the other fields alone. */
void local_state_probe(const char *runtime_dir, struct vm_info *info);

/* The last non-empty line of a log (virtty-vmm's, virtty-netd's: the
 * reason a process gave for failing), without the program's prefix
 * ("virtty-vmm: "). "" if there is none or log_path is NULL. */
void local_log_last_line(const char *log_path, const char *prefix, char *buf, size_t len);

/* An integer member of a JSON status reply (VMM, switch), 0 if absent
 * or not an integer. */
uint64_t local_json_u64(struct json_object *obj, const char *key);

/* True for the states in which a VMM process exists. */
bool local_state_is_active(enum vm_state state);

/* ---- spawn.c: starting virtty-vmm and virtty-netd ---- */

/* Which virtty-vmm to run: $VIRTTY_VMM, beside our executable (also
 * ../backend/vmm/ in the build tree), else VIRTTY_BINDIR/virtty-vmm. */
void local_vmm_binary(char *buf, size_t len);
/* Which virtty-netd to run: $VIRTTY_NETD, beside our executable (also
 * ../backend/netd/ in the build tree), else VIRTTY_BINDIR/virtty-netd. */
void local_netd_binary(char *buf, size_t len);

/* Run argv (argv[0] = the binary) with stdin on /dev/null and stdout and
 * stderr captured; wait for it to exit (at most timeout_ms, then kill it).
 * Returns its exit status (>= 0), or -errno; *output gets the captured
 * text (malloc'd, NUL-terminated, may be NULL). */
int local_spawn_wait(char *const argv[], int timeout_ms, char **output);
/* The message for a failed local_spawn_wait (status, output) of prog
 * ("virtty-vmm") run as bin: the program's own words, else why it could
 * not run (naming $VIRTTY_VMM, the variable that picks it), else
 * no_reason. who is "VM 'x'" or "network 'y'". Returns the -errno to
 * pass on. */
int local_spawn_error(int status, const char *output, const char *who, const char *prog,
		      const char *bin, const char *no_reason, char *err, size_t errlen);
/* The monotonic clock in milliseconds, for the waits. */
int64_t local_now_ms(void);

/* A runtime directory (a VM's, a network's) before its program starts:
 * created with its parent if need be, private (0700), and ours, not a
 * link or someone else's. Messages name who ("VM 'x'"). */
int local_runtime_dir_make(const char *dir, const char *who, char *err, size_t errlen);
/* Remove files of a stopped program's runtime directory, then the
 * directory (left alone if anything else is in it). */
void local_runtime_dir_remove(const char *dir, const char *const *files, size_t nr_files);

/* ---- local.c: the parts network.c needs ---- */

struct store *local_store(struct driver *drv);
/* State of one VM (see local_state_probe). */
void local_probe(struct driver *drv, const char *name, struct vm_info *info);
/* The configuration a running VM started with (started.conf), else its
 * vm.conf: what its VMM really has (NICs, display). */
int local_running_config(struct driver *drv, const char *name, struct vm_config *out, char *err,
			 size_t errlen);
/* One control request to a VM's VMM, with errors about the VM. */
int local_control(struct driver *drv, const char *name, const char *cmd, struct json_object *args,
		  int timeout_ms, struct json_object **data, char *err, size_t errlen);
/* The output of a failed virtty-vmm/virtty-netd as one line: without the
 * program prefix, lines joined with "; ". */
void local_tidy_output(const char *out, char *buf, size_t len);

/* ---- network.c: networks (driver_ops net_*) and VM NICs ---- */

int local_net_list(struct driver *drv, struct net_info **out, int *count, char *err,
		   size_t errlen);
int local_net_get_config(struct driver *drv, const char *name, struct net_config *out, char *err,
			 size_t errlen);
int local_net_define(struct driver *drv, const struct net_config *cfg, char *err, size_t errlen);
int local_net_undefine(struct driver *drv, const char *name, char *err, size_t errlen);
int local_net_start(struct driver *drv, const char *name, char *err, size_t errlen);
int local_net_stop(struct driver *drv, const char *name, char *err, size_t errlen);
int local_net_set_autostart(struct driver *drv, const char *name, bool autostart, char *err,
			    size_t errlen);
int local_net_forward(struct driver *drv, const char *name, const struct net_forward *fwd,
		      bool add, char *err, size_t errlen);

/* Files in a network's runtime directory (store_net_runtime_dir). */
#define LOCAL_NET_SOCKET  "port.sock"
#define LOCAL_NET_CONTROL "control.sock"
#define LOCAL_NET_PIDFILE "pid"
#define LOCAL_NET_LOGFILE "log"

/* One --nic argument of virtty-vmm, at most this long (32 forwards). */
#define LOCAL_NIC_ARG_MAX 4096

/* The virtty-vmm --nic argument of a NIC of VM vm on network net (pure):
 *   nat:    user,mac=M,net=SUBNET,dhcpstart=S[,hostfwd=...] with the
 *           network's forwards naming vm when with_forwards (the VM's
 *           first NIC on that network: a host port binds once);
 *   others: socket,path=PORT_SOCKET,mac=M.
 * -ENAMETOOLONG/-EINVAL with err naming the VM and the network. */
int local_nic_arg(const char *vm, const struct vm_nic *nic, const struct net_config *net,
		  bool with_forwards, const char *port_socket, char *buf, size_t len, char *err,
		  size_t errlen);

/* Before a VM starts: every NIC's network exists (else "VM 'x': network
 * 'y' does not exist"), the switched ones run (started now if inactive),
 * and args[i] gets NIC i's --nic argument. */
int local_nics_prepare(struct driver *drv, const struct vm_config *cfg,
		       char (*args)[LOCAL_NIC_ARG_MAX], char *err, size_t errlen);

/* define/set/clone: every NIC's network exists and its MAC is valid and
 * unique among the VMs; a NIC with mac "" gets the MAC of old[i] (the NIC
 * at the same index before a `set`; old may be NULL) or a new one from
 * netcfg_make_mac (the next salt on a clash). */
int local_nics_assign(struct driver *drv, struct vm_config *cfg, const struct vm_nic *old,
		      int nr_old, char *err, size_t errlen);

/* stats: per-NIC counters from the VMM's "stats" data, named after the
 * networks of cfg (NULL: unknown). */
void local_nic_stats(struct json_object *data, const struct vm_config *cfg, struct vm_stats *out);

#endif
