/* --daemonize, --pidfile and --log for virtty-vmm and virtty-netd: the
 * fork and ready channel, the locked pid file (daemon.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

void daemon_ready_send(int ready_fd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (ready_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	for (int i = 0; i < n; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	line[n++] = '\n';
	/* MSG_NOSIGNAL: the foreground may be gone already. */
	if (send(ready_fd, line, (size_t)n, MSG_NOSIGNAL) < 0) {
		/* Nobody listens any more; nothing to do. */
	}
}

/* The foreground side: 0 once the daemon is ready, else its status after
 * printing its error. */
static int daemon_wait_ready(const struct daemon_spec *spec, int fd, pid_t daemon_pid)
{
	char buf[8192] = "";
	size_t len = 0;
	int wstatus;

	for (;;) {
		char *nl;
		ssize_t n;

		while ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			if (!strcmp(buf, "ready"))
				return 0;
			if (!strncmp(buf, "error ", 6))
				fprintf(stderr, "%s\n", buf + 6);
			if (!strncmp(buf, "exit ", 5)) {
				int status = atoi(buf + 5);

				waitpid(daemon_pid, NULL, 0);
				return status ? status : DAEMON_EXIT_ERROR;
			}
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == sizeof(buf))
			len = 0; /* an absurdly long line: drop it */
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	fprintf(stderr, "%s: %s\n", spec->prog, spec->not_ready);
	if (waitpid(daemon_pid, &wstatus, 0) == daemon_pid && WIFEXITED(wstatus) &&
	    WEXITSTATUS(wstatus))
		return WEXITSTATUS(wstatus);
	return DAEMON_EXIT_ERROR;
}

int daemon_start(const struct daemon_spec *spec)
{
	int sp[2], log_fd, null_fd;
	pid_t pid;

	log_fd = open(spec->log ? spec->log : "/dev/null",
		      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		fprintf(stderr, "%s: --log '%s': cannot open: %s\n", spec->prog, spec->log,
			strerror(errno));
		return DAEMON_EXIT_USAGE;
	}
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
		fprintf(stderr, "%s: cannot daemonize: %s\n", spec->prog, strerror(errno));
		return DAEMON_EXIT_ERROR;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: cannot fork: %s\n", spec->prog, strerror(errno));
		return DAEMON_EXIT_ERROR;
	}
	if (pid > 0) {
		close(sp[1]);
		return daemon_wait_ready(spec, sp[0], pid);
	}
	close(sp[0]);
	/* Own session: no terminal, and the caller exiting or its SSH session
	 * ending never sends the daemon a signal. */
	setsid();
	if (chdir("/")) {
		/* "/" always exists; keep going if it somehow does not. */
	}
	umask(077);
	dup2(null_fd, STDIN_FILENO);
	dup2(log_fd, STDOUT_FILENO);
	dup2(log_fd, STDERR_FILENO);
	close(null_fd);
	close(log_fd);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return spec->run(spec->arg, sp[1]);
}

const char *daemon_absolute_path(const char *path)
{
	static char cwd[PATH_MAX];
	char *abs;

	if (!path || path[0] == '/')
		return path;
	if (!cwd[0] && !getcwd(cwd, sizeof(cwd)))
		return path;
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		return path;
	return abs; /* lives until exit */
}

bool daemon_pidfile_busy(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool busy;

	if (fd < 0)
		return false;
	busy = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

int daemon_pidfile_replace(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "--pidfile '%s': path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (flock(fd, LOCK_EX | LOCK_NB) || write(fd, text, len) != (ssize_t)len || fsync(fd) ||
	    rename(tmp, path))
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "--pidfile '%s': cannot write: %s", path, strerror(errno));
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	return -EIO;
}

int daemon_pidfile_rewrite(int fd, const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text);

	if (pwrite(fd, text, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0) {
		snprintf(err, errlen, "cannot update the pid file: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}
