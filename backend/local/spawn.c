/* Starting virtty-vmm and virtty-netd: finding the binary and running its
 * foreground half (`--daemonize` returns once the VM or the switch is up)
 * with its output captured, so that `virtty start` and `virtty net-start`
 * can show the program's own error; and the runtime directory each runs in. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "local_priv.h"

#ifndef VIRTTY_BINDIR
#define VIRTTY_BINDIR "/usr/local/bin"
#endif

/* $env, else prog beside our executable (or in the build tree's
 * build_dir, seen from cli/), else VIRTTY_BINDIR/prog. */
static void local_find_binary(const char *env_name, const char *prog, const char *build_dir,
			      char *buf, size_t len)
{
	const char *env = getenv(env_name);
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/%s", self, prog);
			if (access(buf, X_OK) == 0)
				return;
			snprintf(buf, len, "%s/%s/%s", self, build_dir, prog);
			if (access(buf, X_OK) == 0)
				return;
		}
	}
	snprintf(buf, len, "%s/%s", VIRTTY_BINDIR, prog);
}

void local_vmm_binary(char *buf, size_t len)
{
	local_find_binary("VIRTTY_VMM", "virtty-vmm", "../backend/vmm", buf, len);
}

void local_netd_binary(char *buf, size_t len)
{
	local_find_binary("VIRTTY_NETD", "virtty-netd", "../backend/netd", buf, len);
}

int64_t local_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int local_spawn_wait(char *const argv[], int timeout_ms, char **output)
{
	int64_t deadline = local_now_ms() + timeout_ms;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int pfd[2], wstatus, rc;
	pid_t pid;

	*output = NULL;
	if (!buf)
		return -ENOMEM;
	if (pipe2(pfd, O_CLOEXEC)) {
		rc = -errno;
		free(buf);
		return rc;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(pfd[0]);
		close(pfd[1]);
		free(buf);
		return rc;
	}
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY);

		/* Only stdio crosses: the VMM daemon must not keep our lock
		 * files or sockets open for its whole life. */
		if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(pfd[1], 1) < 0 ||
		    dup2(pfd[1], 2) < 0)
			_exit(127);
		closefrom(3);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		dprintf(2, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	/* The foreground half closes the pipe when it exits (the daemon has
	 * moved its output to the log by then). */
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int64_t left = deadline - local_now_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		if (len + 1 >= cap) {
			char *nb = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				len = 0; /* keep the newest text only */
			} else {
				buf = nb;
				cap *= 2;
			}
		}
		n = read(pfd[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	buf[len] = '\0';
	*output = buf;
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return local_now_ms() >= deadline ? -ETIMEDOUT : -EINTR;
}

int local_spawn_error(int status, const char *output, const char *who, const char *prog,
		      const char *bin, const char *no_reason, char *err, size_t errlen)
{
	char why[512], env_name[32];
	size_t i;

	/* virtty-vmm is picked by $VIRTTY_VMM (see local_find_binary). */
	for (i = 0; prog[i] && i + 1 < sizeof(env_name); i++)
		env_name[i] = prog[i] == '-' ? '_' : (char)toupper((unsigned char)prog[i]);
	env_name[i] = '\0';

	local_tidy_output(output, why, sizeof(why));
	/* The child says "cannot run 'PATH': REASON" itself. */
	if ((status == 127 || status < 0) && why[0])
		snprintf(err, errlen, "%s: %s (set %s to the %s program)", who, why, env_name,
			 prog);
	else if (status == 127 || status < 0)
		snprintf(err, errlen, "%s: cannot run '%s': %s (set %s to the %s program)", who,
			 bin, strerror(status < 0 ? -status : ENOEXEC), env_name, prog);
	else
		snprintf(err, errlen, "%s failed to start: %s", who, why[0] ? why : no_reason);
	return status < 0 ? status : -EIO;
}

int local_runtime_dir_make(const char *dir, const char *who, char *err, size_t errlen)
{
	char parent[PATH_MAX], *slash;
	struct stat sb;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	if ((slash && mkdir(parent, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		int r = -errno;

		snprintf(err, errlen, "%s: cannot create '%s': %s", who, dir, strerror(-r));
		return r;
	}
	if (lstat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: '%s' is not a directory of ours; remove it", who, dir);
		return -ENOTDIR;
	}
	chmod(dir, 0700);
	return 0;
}

void local_runtime_dir_remove(const char *dir, const char *const *files, size_t nr_files)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < nr_files; i++)
		if (snprintf(path, sizeof(path), "%s/%s", dir, files[i]) < (int)sizeof(path))
			unlink(path);
	rmdir(dir);
}
