/* vmmctl: send one JSON request line to a virtty-vmm control socket and
 * print the response line. Exit 0 if the response says "ok":true, 1 if not
 * (or no response), 2 on usage errors. libc only, so it links statically
 * into the nested lab's initramfs.
 *
 *   vmmctl [--wait SECONDS] SOCKET 'JSON-LINE'
 *
 * With --wait, connecting is retried until the socket answers or the time
 * is up (for a VMM that is still starting). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: vmmctl [--wait SECONDS] SOCKET 'JSON-LINE'\n");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_to(const char *path, double wait_s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	double deadline = now() + wait_s;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vmmctl: socket path '%s' is too long (limit %zu bytes)\n", path,
			sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct timespec pause = {.tv_nsec = 100 * 1000 * 1000};

		if (fd < 0) {
			fprintf(stderr, "vmmctl: socket: %s\n", strerror(errno));
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		if (now() >= deadline) {
			fprintf(stderr, "vmmctl: cannot connect to '%s': %s\n", path,
				strerror(errno));
			return -1;
		}
		nanosleep(&pause, NULL);
	}
}

/* Is there a top-level "ok":true in the response object? Scans outside of
 * strings only, so text inside error messages or data can't fool it. */
static bool response_ok(const char *s)
{
	int depth = 0;
	bool in_str = false;

	for (const char *p = s; *p; p++) {
		if (in_str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		} else if (*p == '"') {
			if (depth == 1 && !strncmp(p, "\"ok\":true", 9))
				return true;
			in_str = true;
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	double wait_s = 0;
	size_t len, cap = 65536, got = 0;
	char *buf, *nl;
	int fd, argi = 1;

	if (argc > 2 && !strcmp(argv[1], "--wait")) {
		char *end;

		wait_s = strtod(argv[2], &end);
		if (*end || wait_s < 0) {
			usage();
			return 2;
		}
		argi = 3;
	}
	if (argc - argi != 2) {
		usage();
		return 2;
	}
	len = strlen(argv[argi + 1]);
	if (memchr(argv[argi + 1], '\n', len)) {
		fprintf(stderr, "vmmctl: the request must be one line\n");
		return 2;
	}
	fd = connect_to(argv[argi], wait_s);
	if (fd < 0)
		return 1;
	buf = malloc(len + 2);
	if (!buf)
		return 1;
	memcpy(buf, argv[argi + 1], len);
	buf[len] = '\n';
	for (size_t off = 0; off < len + 1;) {
		ssize_t w = send(fd, buf + off, len + 1 - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fprintf(stderr, "vmmctl: send: %s\n", strerror(errno));
			return 1;
		}
		off += w;
	}
	free(buf);

	/* Read up to the first newline: that is the response. */
	buf = malloc(cap);
	for (;;) {
		ssize_t n;

		if (!buf)
			return 1;
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "vmmctl: no response: %s\n",
				n < 0 ? strerror(errno) : "connection closed");
			return 1;
		}
		got += n;
		buf[got] = 0;
		nl = memchr(buf, '\n', got);
		if (nl) {
			*nl = 0;
			break;
		}
		if (got == cap - 1) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	close(fd);
	puts(buf);
	return response_ok(buf) ? 0 : 1;
}
