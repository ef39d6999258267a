/* lv-open: the libvirt tests' window onto the driver's console and VNC
 * operations, the same calls the CLI and TUI make (driver.h).
 *   lv-open URI greeting NAME     the VM's VNC server's first line
 *                                 ("RFB 003.008"), or its error and errno
 *   lv-open URI console-err NAME  console_open's error and errno (for VMs
 *                                 that must not have one)
 *   lv-open URI proxy KIND NAME SOCKET
 *                                 serve KIND (vnc or console) of NAME on
 *                                 the UNIX socket SOCKET, one client at a
 *                                 time, each through a fresh open, so
 *                                 tests/vnc/vnc-check can look at the screen;
 *                                 prints "ready" once listening
 * Exit 0 when the operation did what was asked, 1 when it failed. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "driver.h"

typedef int (*open_fn)(struct driver *drv, const char *name, int *fd, char *err, size_t errlen);

static int usage(void)
{
	fprintf(stderr, "usage: lv-open URI greeting NAME\n"
			"       lv-open URI console-err NAME\n"
			"       lv-open URI proxy vnc|console NAME SOCKET\n");
	return 2;
}

static int cmd_greeting(struct driver *drv, const char *name)
{
	char err[1024] = "", line[64] = "";
	size_t len = 0;
	int fd, rc;

	rc = drv->ops->vnc_open(drv, name, &fd, err, sizeof(err));
	if (rc < 0) {
		printf("error %d: %s\n", rc, err);
		return 1;
	}
	/* RFB servers speak first: "RFB xxx.yyy\n". */
	while (len < 12) {
		ssize_t n = read(fd, line + len, 12 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	line[strcspn(line, "\n")] = '\0';
	printf("%s\n", line);
	return len == 12 && !strncmp(line, "RFB ", 4) ? 0 : 1;
}

static int cmd_console_err(struct driver *drv, const char *name)
{
	char err[1024] = "";
	int fd, rc;

	rc = drv->ops->console_open(drv, name, &fd, err, sizeof(err));
	if (rc == 0) {
		close(fd);
		printf("opened\n");
		return 1;
	}
	printf("error %d: %s\n", rc, err);
	return 0;
}

/* Copy both ways until either side ends. */
static void pump(int a, int b)
{
	struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
	char buf[65536];

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0)
				return;
			for (ssize_t off = 0; off < n;) {
				ssize_t w =
				    send(p[1 - i].fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					return;
				off += w;
			}
		}
	}
}

static int cmd_proxy(struct driver *drv, open_fn open_op, const char *name, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int ls;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "lv-open: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 4) < 0) {
		fprintf(stderr, "lv-open: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		char err[1024] = "";
		int c = accept(ls, NULL, NULL), fd;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (open_op(drv, name, &fd, err, sizeof(err)) < 0) {
			fprintf(stderr, "lv-open: %s\n", err);
			close(c);
			continue;
		}
		pump(c, fd);
		close(fd);
		close(c);
	}
}

int main(int argc, char **argv)
{
	struct driver *drv;
	char err[1024] = "";
	int rc;

	if (argc < 4)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	drv = driver_open(argv[1], err, sizeof(err));
	if (!drv) {
		printf("error: %s\n", err);
		return 1;
	}
	if (!strcmp(argv[2], "greeting") && argc == 4)
		rc = cmd_greeting(drv, argv[3]);
	else if (!strcmp(argv[2], "console-err") && argc == 4)
		rc = cmd_console_err(drv, argv[3]);
	else if (!strcmp(argv[2], "proxy") && argc == 6 &&
		 (!strcmp(argv[3], "vnc") || !strcmp(argv[3], "console")))
		rc = cmd_proxy(
		    drv, !strcmp(argv[3], "vnc") ? drv->ops->vnc_open : drv->ops->console_open,
		    argv[4], argv[5]);
	else
		rc = usage();
	driver_close(drv);
	return rc;
}
