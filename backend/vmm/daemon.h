/* The daemon plumbing that virtty-vmm and virtty-netd share: --daemonize
 * (fork, own session, --log, a ready channel to the waiting foreground),
 * --pidfile (locked while the daemon lives) and absolute paths. */
#ifndef VIRTTY_VMM_DAEMON_H
#define VIRTTY_VMM_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

/* The exit statuses daemon_start returns itself; both programs use these
 * numbers too (VMM_EXIT_*, NETD_EXIT_*). */
#define DAEMON_EXIT_ERROR 1 /* cannot fork or make the ready channel */
#define DAEMON_EXIT_USAGE 2 /* --log cannot be opened */

struct daemon_spec {
	const char *prog;      /* "virtty-netd": prefix of the messages printed here */
	const char *log;       /* --log PATH (appended to), or NULL for /dev/null */
	const char *not_ready; /* printed when the daemon goes without a word */
	/* The daemon's work, in the child; its result is the exit status.
	 * ready_fd is for daemon_ready_send. */
	int (*run)(void *arg, int ready_fd);
	void *arg;
};

/* --daemonize: fork; the child starts its own session in "/" (so paths
 * must be absolute already, see daemon_absolute_path), with stdin from
 * /dev/null and stdout/stderr on the log, and returns spec->run's status.
 * The foreground process waits on the ready channel and returns 0 once
 * the daemon said "ready", else the daemon's status (after printing its
 * "error" line). */
int daemon_start(const struct daemon_spec *spec);

/* One line to the waiting foreground process (nothing if ready_fd < 0):
 * "ready", "error MESSAGE" or "exit STATUS"; newlines inside become
 * spaces. Never fails: the foreground may be gone already. */
__attribute__((format(printf, 2, 3))) void daemon_ready_send(int ready_fd, const char *fmt, ...);

/* path made absolute against the current directory (NULL and absolute
 * paths as they are); the result lives until exit. */
const char *daemon_absolute_path(const char *path);

/* Whether a live daemon holds the pid file at path locked. Readers take a
 * shared lock, so they never look busy. */
bool daemon_pidfile_busy(const char *path);

/* Replace the pid file with text. The new file is locked before the rename
 * makes it visible, so a reader never finds an unlocked "PID" of a live
 * daemon. Returns the locked fd (kept open until exit) or -errno with a
 * message. */
int daemon_pidfile_replace(const char *path, const char *text, char *err, size_t errlen);

/* Rewrite the pid file in place through its locked fd, for a process
 * whose sandbox allows no opens any more. 0 or -errno with a message. */
int daemon_pidfile_rewrite(int fd, const char *text, char *err, size_t errlen);

#endif
