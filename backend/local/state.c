/* VM state from the pid file that `virtty-vmm --pidfile` keeps (locked
 * while the VMM lives, its exit status afterwards) and, for a live VMM,
 * from its control socket. Stale files never make a dead VM look running:
 * only the lock says a VMM is alive. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "local_priv.h"
#include "vmm_client.h"

int local_pidfile_read(const char *path, struct local_pidfile *out)
{
	char buf[64];
	ssize_t n;
	bool locked;
	int fd, v;
	char extra;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		out->kind = errno == ENOENT ? LOCAL_PIDFILE_NONE : LOCAL_PIDFILE_INVALID;
		return errno == ENOENT ? 0 : -errno;
	}
	/* Shared, so two readers never see each other as the VMM. */
	locked = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';

	if (sscanf(buf, "exited %d %c", &v, &extra) == 1 && v >= 0) {
		out->kind = locked ? LOCAL_PIDFILE_LOCKED : LOCAL_PIDFILE_EXITED;
		out->finishing = locked;
		out->value = v;
	} else if (sscanf(buf, "killed %d %c", &v, &extra) == 1 && v > 0) {
		out->kind = locked ? LOCAL_PIDFILE_LOCKED : LOCAL_PIDFILE_KILLED;
		out->finishing = locked;
		out->value = v;
	} else if (sscanf(buf, "%d %c", &v, &extra) == 1 && v > 0) {
		out->kind = locked ? LOCAL_PIDFILE_LOCKED : LOCAL_PIDFILE_VANISHED;
		out->pid = v;
	} else {
		out->kind = locked ? LOCAL_PIDFILE_LOCKED : LOCAL_PIDFILE_INVALID;
	}
	return 0;
}

/* Shared by VMs and networks (see local_priv.h). */
void local_log_last_line(const char *log_path, const char *prefix, char *buf, size_t len)
{
	char tail[2048], *end, *start;
	off_t size;
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if (!log_path)
		return;
	fd = open(log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	n = size > 0 ? pread(fd, tail, sizeof(tail) - 1,
			     size > (off_t)sizeof(tail) - 1 ? size - (off_t)sizeof(tail) + 1 : 0)
		     : 0;
	close(fd);
	if (n <= 0)
		return;
	tail[n] = '\0';
	end = tail + n;
	while (end > tail && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = end;
	while (start > tail && start[-1] != '\n')
		start--;
	if (!strncmp(start, prefix, strlen(prefix)))
		start += strlen(prefix);
	n = (ssize_t)strlen(start);
	if ((size_t)n >= len)
		n = (ssize_t)len - 1;
	memcpy(buf, start, (size_t)n);
	buf[n] = '\0';
}

void local_state_from_pidfile(const struct local_pidfile *pf, const char *log_path,
			      enum vm_state *state, char *reason, size_t len)
{
	char line[256];

	reason[0] = '\0';
	switch (pf->kind) {
	case LOCAL_PIDFILE_NONE:
		*state = VM_STATE_SHUTOFF;
		break;
	case LOCAL_PIDFILE_EXITED:
		switch (pf->value) {
		case 1:
			local_log_last_line(log_path, "virtty-vmm: ", line, sizeof(line));
			*state = VM_STATE_CRASHED;
			snprintf(reason, len, "VMM error: %s", line[0] ? line : "see its log");
			break;
		case 4:
			*state = VM_STATE_CRASHED;
			snprintf(reason, len, "guest crashed (triple fault or KVM error; see vmm.log)");
			break;
		default:
			/* 0 powered off, 3 rebooted with --no-reboot, 5 stopped on
			 * request; 2: the VMM refused to start (`start` said why). */
			*state = VM_STATE_SHUTOFF;
			break;
		}
		break;
	case LOCAL_PIDFILE_KILLED:
		*state = VM_STATE_CRASHED;
		snprintf(reason, len, "VMM killed by signal %d", pf->value);
		break;
	case LOCAL_PIDFILE_VANISHED:
		*state = VM_STATE_CRASHED;
		snprintf(reason, len, "VMM process vanished (pid %d)", pf->pid);
		break;
	case LOCAL_PIDFILE_INVALID:
		*state = VM_STATE_CRASHED;
		snprintf(reason, len, "VMM pid file unreadable");
		break;
	case LOCAL_PIDFILE_LOCKED:
		*state = VM_STATE_UNKNOWN;
		break;
	}
}

bool local_state_is_active(enum vm_state state)
{
	switch (state) {
	case VM_STATE_STARTING:
	case VM_STATE_RUNNING:
	case VM_STATE_PAUSED:
	case VM_STATE_SHUTTING_DOWN:
	case VM_STATE_UNKNOWN:
		return true;
	default:
		return false;
	}
}

/* Shared by the VM and network status readers (see local_priv.h). */
uint64_t local_json_u64(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return (uint64_t)json_object_get_int64(v);
}

void local_state_probe(const char *runtime_dir, struct vm_info *info)
{
	char path[PATH_MAX], log_path[PATH_MAX], err[256];
	struct json_object *data, *v;
	struct local_pidfile pf;
	const char *st;
	int r;

	snprintf(path, sizeof(path), "%s/%s", runtime_dir, LOCAL_PIDFILE);
	snprintf(log_path, sizeof(log_path), "%s/%s", runtime_dir, LOCAL_LOGFILE);
	info->pid = 0;
	info->uptime_ms = 0;
	local_pidfile_read(path, &pf);
	if (pf.kind != LOCAL_PIDFILE_LOCKED) {
		local_state_from_pidfile(&pf, log_path, &info->state, info->reason,
					 sizeof(info->reason));
		return;
	}
	info->pid = pf.pid;
	if (pf.finishing) {
		/* The VMM wrote its exit status and is about to go. */
		info->state = VM_STATE_SHUTTING_DOWN;
		info->reason[0] = '\0';
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", runtime_dir, LOCAL_CONTROL);
	/* Between two boots (guest reboot, "reset") the old VM process stops
	 * (state "stopping", connections reset) and the new one re-creates
	 * the sockets: give it the same second to come back. */
	for (int waited = 0;; waited += 50) {
		bool again;

		r = vmm_client_request(path, "status", NULL, LOCAL_STATUS_TIMEOUT_MS - waited,
				       &data, err, sizeof(err));
		again = r == -ENOENT || r == -ECONNREFUSED || r == -ECONNRESET || r == -EPIPE;
		if (!r) {
			again = json_object_object_get_ex(data, "state", &v) &&
				!strcmp(json_object_get_string(v), "stopping");
			if (again && waited + 50 < LOCAL_STATUS_TIMEOUT_MS)
				json_object_put(data);
		}
		if (!again || waited + 50 >= LOCAL_STATUS_TIMEOUT_MS)
			break;
		usleep(50000);
	}
	if (r) {
		info->state = VM_STATE_UNKNOWN;
		snprintf(info->reason, sizeof(info->reason), "VMM (pid %d) %s", pf.pid,
			 r == -ETIMEDOUT ? "does not answer on its control socket"
			 : r == -ENOENT || r == -ECONNREFUSED ? "has no control socket"
							     : "control socket failed");
		return;
	}
	st = json_object_object_get_ex(data, "state", &v) ? json_object_get_string(v) : "";
	info->reason[0] = '\0';
	if (!strcmp(st, "running"))
		info->state = VM_STATE_RUNNING;
	else if (!strcmp(st, "paused"))
		info->state = VM_STATE_PAUSED;
	else if (!strcmp(st, "starting"))
		info->state = VM_STATE_STARTING;
	else if (!strcmp(st, "stopping"))
		info->state = VM_STATE_SHUTTING_DOWN;
	else {
		info->state = VM_STATE_UNKNOWN;
		snprintf(info->reason, sizeof(info->reason), "VMM reports state '%.40s'", st);
	}
	if (local_json_u64(data, "vcpus"))
		info->vcpus = (int)local_json_u64(data, "vcpus");
	if (local_json_u64(data, "memory_mib"))
		info->memory_mib = local_json_u64(data, "memory_mib");
	info->uptime_ms = local_json_u64(data, "uptime_ms");
	json_object_put(data);
}
