/* Host checks behind `virtty host-check` (and later the TUI's host page):
 * is KVM there, usable, and fast; modules, /dev/net/tun, store space,
 * seccomp. Each check gives PASS/WARN/FAIL, what was found and a hint. */
#ifndef VIRTTY_HOSTCHECK_H
#define VIRTTY_HOSTCHECK_H

#include <stdbool.h>
#include <stddef.h>

enum hostcheck_level { HOSTCHECK_PASS, HOSTCHECK_WARN, HOSTCHECK_FAIL };

struct hostcheck_result {
	char name[48]; /* "KVM device", "KVM speed", ... */
	enum hostcheck_level level;
	char detail[256]; /* what was found */
	char hint[256];	  /* what to do about it; "" when nothing to do */
};

/* "PASS", "WARN", "FAIL" */
const char *hostcheck_level_name(enum hostcheck_level level);

/* Runs every check in order; *out is malloc'd (caller frees). Returns 0,
 * or -ENOMEM. A failing check is a result, not an error. */
int hostcheck_run(struct hostcheck_result **out, int *count);

/* The speed probe: runs `dec ecx; jnz` loops in a tiny real-mode guest
 * and returns the cost of one iteration in ns (entry/exit cost removed).
 * Interrupted after a few seconds if KVM is hopelessly slow. */
int hostcheck_kvm_loop_ns(double *ns_per_iteration, char *err, size_t errlen);
/* The same loop run natively on this CPU, for comparison. */
double hostcheck_native_loop_ns(void);
/* Turns both figures into a verdict (pure; unit-tested). */
enum hostcheck_level hostcheck_classify_speed(double guest_ns, double native_ns, char *detail,
					      size_t dlen, char *hint, size_t hlen);

#endif
