/* Shared by the local driver's files (local.c, state.c, spawn.c); not for
 * the CLI or the TUI, which only see driver.h. */
#ifndef VIRTTY_LOCAL_PRIV_H
#define VIRTTY_LOCAL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "driver.h"

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

/* True for the states in which a VMM process exists. */
bool local_state_is_active(enum vm_state state);

/* ---- spawn.c: starting virtty-vmm ---- */

/* Which virtty-vmm to run: $VIRTTY_VMM, beside our executable (also
 * ../backend/vmm/ in the build tree), else VIRTTY_BINDIR/virtty-vmm. */
void local_vmm_binary(char *buf, size_t len);

/* Run argv (argv[0] = the binary) with stdin on /dev/null and stdout and
 * stderr captured; wait for it to exit (at most timeout_ms, then kill it).
 * Returns its exit status (>= 0), or -errno; *output gets the captured
 * text (malloc'd, NUL-terminated, may be NULL). */
int local_spawn_wait(char *const argv[], int timeout_ms, char **output);

#endif
