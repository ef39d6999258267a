/* Blocking JSON client for the VMM control socket: connect, send one line,
 * read one response line, all against one deadline so that a hung VMM can
 * never hang `virtty`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm_client.h"

#define VMM_CLIENT_MAX_LINE (8u << 20) /* a serial dump is ~100 KiB of JSON */

static int64_t vmm_client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 0, -ETIMEDOUT or -errno. */
static int vmm_client_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int64_t left = deadline - vmm_client_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0)
			return 0;
	}
}

static int vmm_client_connect_by(const char *path, int64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		/* A full backlog: retry until the deadline. */
		if (errno == EAGAIN) {
			if (vmm_client_now_ms() >= deadline) {
				close(fd);
				return -ETIMEDOUT;
			}
			usleep(10000);
			continue;
		}
		if (errno == EINPROGRESS) {
			socklen_t len = sizeof(r);

			r = vmm_client_wait(fd, POLLOUT, deadline);
			if (!r && getsockopt(fd, SOL_SOCKET, SO_ERROR, &r, &len) == 0 && r)
				r = -r;
			if (r) {
				close(fd);
				return r;
			}
			return fd;
		}
		r = -errno;
		close(fd);
		return r;
	}
}

int vmm_client_connect(const char *path, int timeout_ms)
{
	return vmm_client_connect_by(path, vmm_client_now_ms() + timeout_ms);
}

static int vmm_client_send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int r = vmm_client_wait(fd, POLLOUT, deadline);

			if (r)
				return r;
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read up to the first newline: one request, one response line (we never
 * subscribe, so no event lines come before it). */
static int vmm_client_read_line(int fd, char **line, int64_t deadline)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;
		char *nl;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= VMM_CLIENT_MAX_LINE) {
				free(buf);
				return -EMSGSIZE;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int r = vmm_client_wait(fd, POLLIN, deadline);

			if (r) {
				free(buf);
				return r;
			}
			continue;
		}
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -ECONNRESET;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl) {
			*nl = '\0';
			*line = buf;
			return 0;
		}
	}
}

int vmm_client_request(const char *path, const char *cmd, struct json_object *args,
		       int timeout_ms, struct json_object **data, char *err, size_t errlen)
{
	int64_t deadline = vmm_client_now_ms() + timeout_ms;
	struct json_object *req, *resp = NULL, *ok, *val;
	const char *text;
	char *line = NULL;
	int fd, r;

	if (data)
		*data = NULL;
	fd = vmm_client_connect_by(path, deadline);
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to '%s': %s", path, strerror(-fd));
		return fd;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (args) {
		struct json_object_iterator it = json_object_iter_begin(args),
					    end = json_object_iter_end(args);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			json_object_object_add(req, json_object_iter_peek_name(&it),
					       json_object_get(json_object_iter_peek_value(&it)));
	}
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	r = vmm_client_send_all(fd, text, strlen(text), deadline);
	if (!r)
		r = vmm_client_send_all(fd, "\n", 1, deadline);
	json_object_put(req);
	if (!r)
		r = vmm_client_read_line(fd, &line, deadline);
	close(fd);
	if (r) {
		snprintf(err, errlen, "control socket '%s': %s", path,
			 r == -ETIMEDOUT ? "no answer in time" : strerror(-r));
		return r;
	}
	resp = json_tokener_parse(line);
	free(line);
	if (!resp || !json_object_is_type(resp, json_type_object) ||
	    !json_object_object_get_ex(resp, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		snprintf(err, errlen, "control socket '%s': malformed response", path);
		json_object_put(resp);
		return -EPROTO;
	}
	if (!json_object_get_boolean(ok)) {
		if (json_object_object_get_ex(resp, "error", &val) &&
		    json_object_is_type(val, json_type_string))
			snprintf(err, errlen, "%s", json_object_get_string(val));
		else
			snprintf(err, errlen, "the VMM refused '%s'", cmd);
		json_object_put(resp);
		return -EREMOTEIO;
	}
	if (data) {
		if (json_object_object_get_ex(resp, "data", &val) &&
		    json_object_is_type(val, json_type_object))
			*data = json_object_get(val);
		else
			*data = json_object_new_object();
	}
	json_object_put(resp);
	return 0;
}
