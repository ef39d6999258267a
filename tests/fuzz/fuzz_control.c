/* libFuzzer target: the control server (control.c) reading a hostile
 * client. The input is the byte stream of one connection; its first byte
 * picks how the stream is cut into writes and adds an oversized line.
 * Every complete request line must get exactly one response, each output
 * line must be a JSON object, after-reply actions run exactly once, and
 * nothing (memory, fds) may leak. See tests/fuzz/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control.h"
#include "evloop.h"

#define FUZZ_F_SPLIT	0x0f /* chunk sizes up to 2^n bytes */
#define FUZZ_F_EXTERNAL 0x40 /* an event broadcast from outside a command first */
#define FUZZ_F_OVERSIZE 0x80 /* the stream starts with a line over the limit */
#define FUZZ_OVERSIZE	(CONTROL_MAX_LINE + 4096)

struct fuzz_conn {
	struct evloop *loop;
	int fd;
	const uint8_t *in;
	size_t in_len, in_off;
	uint32_t rng;
	unsigned int split;
	char *out;
	size_t out_len, out_cap;
};

static int after_requested, after_ran;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the command table: each exercises a part of the server's API ---- */

static int cmd_echo(struct control_request *req)
{
	req->data = json_object_get(req->msg);
	return 0;
}

static int cmd_fail(struct control_request *req)
{
	struct json_object *v;

	/* Without a message the server must make one up. */
	if (!json_object_object_get_ex(req->msg, "quiet", &v))
		snprintf(req->error, sizeof(req->error), "failed on purpose");
	req->data = json_object_new_object(); /* dropped on failure */
	return -EINVAL;
}

static int cmd_subscribe(struct control_request *req)
{
	control_request_subscribe(req);
	return 0;
}

static int cmd_emit(struct control_request *req)
{
	struct json_object *v;
	int n = 1;

	if (json_object_object_get_ex(req->msg, "n", &v))
		n = json_object_get_int(v);
	for (int i = 0; i < n && i < 8; i++) {
		struct json_object *ev = json_object_new_object();

		json_object_object_add(ev, "event", json_object_new_string("tick"));
		json_object_object_add(ev, "n", json_object_new_int(i));
		control_server_broadcast(req->srv, ev);
	}
	return 0;
}

static void after_fn(void *arg)
{
	(*(int *)arg)++;
}

static int cmd_after(struct control_request *req)
{
	after_requested++;
	req->after_reply = after_fn;
	req->after_reply_arg = &after_ran;
	return 0;
}

static int cmd_big(struct control_request *req)
{
	struct json_object *v;
	int64_t n = 0;
	char *s;

	if (json_object_object_get_ex(req->msg, "size", &v))
		n = json_object_get_int64(v);
	if (n < 0 || n > 1 << 20)
		n = 1 << 20;
	s = malloc((size_t)n + 1);
	if (!s)
		return -ENOMEM;
	memset(s, 'x', (size_t)n);
	s[n] = 0;
	req->data = json_object_new_object();
	json_object_object_add(req->data, "blob", json_object_new_string(s));
	free(s);
	return 0;
}

static int cmd_help(struct control_request *req)
{
	struct json_object *a = json_object_new_array();

	for (const struct control_cmd *c = control_server_commands(req->srv); c->name; c++)
		json_object_array_add(a, json_object_new_string(c->usage));
	req->data = a;
	return control_server_opaque(req->srv) == &after_ran ? 0 : -EFAULT;
}

static const struct control_cmd cmds[] = {
    {"echo", cmd_echo, "echo: reply with the request"},
    {"fail", cmd_fail, "fail [quiet]: fail"},
    {"subscribe", cmd_subscribe, "subscribe: receive events"},
    {"emit", cmd_emit, "emit n: broadcast n events"},
    {"after", cmd_after, "after: run an action after the reply"},
    {"big", cmd_big, "big size: a large response"},
    {"help", cmd_help, "help: this list"},
    {NULL, NULL, NULL},
};

/* ---- the client side, driven by the same loop ---- */

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_control: broken promise: %s\n", what);
		abort();
	}
}

static uint32_t next_rand(struct fuzz_conn *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 17;
	c->rng ^= c->rng << 5;
	return c->rng;
}

static void conn_event(void *opaque, uint32_t events)
{
	struct fuzz_conn *c = opaque;

	if (events & EPOLLOUT) {
		/* One chunk per wakeup, so the server sees the stream in pieces. */
		size_t left = c->in_len - c->in_off;
		size_t n = 1 + next_rand(c) % (1u << c->split);
		ssize_t w;

		/* Bounded number of round trips: a long input in 1-byte
		 * writes would only make the fuzzer slow. */
		if (n < left / 16)
			n = left / 16;
		if (n > left)
			n = left;
		w = send(c->fd, c->in + c->in_off, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0)
			c->in_off += (size_t)w;
		check(w >= 0 || errno == EAGAIN, "server closed the connection early");
		if (c->in_off == c->in_len) {
			shutdown(c->fd, SHUT_WR);
			evloop_mod(c->loop, c->fd, EPOLLIN);
		}
	}
	if (events & (EPOLLIN | EPOLLHUP)) {
		ssize_t r;

		if (c->out_cap - c->out_len < 65536) {
			c->out_cap = c->out_cap * 2 + 65536;
			c->out = realloc(c->out, c->out_cap);
			if (!c->out)
				abort();
		}
		r = recv(c->fd, c->out + c->out_len, c->out_cap - c->out_len, MSG_DONTWAIT);
		if (r > 0)
			c->out_len += (size_t)r;
		else if (r == 0 || errno != EAGAIN)
			evloop_stop(c->loop); /* the server is done with us */
	}
}

/* Responses the server owes: one per complete non-blank line, one per line
 * over the limit (complete or not). */
static int expected_responses(const uint8_t *p, size_t n)
{
	size_t start = 0;
	int count = 0;

	for (size_t i = 0; i <= n; i++) {
		size_t len, t;

		if (i < n && p[i] != '\n')
			continue;
		len = i - start;
		t = len;
		while (t && (p[start + t - 1] == '\r' || p[start + t - 1] == ' ' ||
			     p[start + t - 1] == '\t'))
			t--;
		if (len > CONTROL_MAX_LINE || (i < n && t > 0))
			count++;
		start = i + 1;
	}
	return count;
}

/* Every output line is a JSON object: a response ("ok") or an event. */
static int count_responses(const char *out, size_t n)
{
	struct json_tokener *tok = json_tokener_new();
	size_t start = 0;
	int count = 0;

	if (!tok)
		abort();
	check(n == 0 || out[n - 1] == '\n', "output ends with a newline");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o, *ok;

		if (out[i] != '\n')
			continue;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, out + start, (int)(i - start));
		check(o && json_object_is_type(o, json_type_object), "output line is an object");
		if (json_object_object_get_ex(o, "ok", &ok)) {
			check(json_object_is_type(ok, json_type_boolean), "\"ok\" is a boolean");
			count++;
		} else {
			check(json_object_object_get_ex(o, "event", NULL), "line is a response or event");
		}
		json_object_put(o);
		start = i + 1;
	}
	json_tokener_free(tok);
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_conn c = {0};
	struct control_server *srv;
	uint8_t *stream;
	size_t len = 0;
	char err[256];
	int sv[2], fd_mark, fd_after, flags;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	stream = malloc(size + FUZZ_OVERSIZE + 1);
	if (!stream)
		abort();
	if (flags & FUZZ_F_OVERSIZE) {
		memset(stream, 'a', FUZZ_OVERSIZE);
		stream[FUZZ_OVERSIZE] = '\n';
		len = FUZZ_OVERSIZE + 1;
	}
	memcpy(stream + len, data, size);
	len += size;

	fd_mark = dup(0);
	close(fd_mark);
	after_requested = after_ran = 0;

	c.loop = evloop_new();
	if (!c.loop)
		abort();
	srv = control_server_new(c.loop, NULL, cmds, &after_ran, err, sizeof(err));
	if (!srv || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	check(control_server_add_client(srv, sv[0]) == 0, "add client");
	c.fd = sv[1];
	c.in = stream;
	c.in_len = len;
	c.split = (flags & FUZZ_F_SPLIT) % 15;
	c.rng = 0x9e3779b9u ^ (uint32_t)flags;
	fcntl(c.fd, F_SETFL, O_NONBLOCK);
	if (len == 0)
		shutdown(c.fd, SHUT_WR);
	if (evloop_add(c.loop, c.fd, len ? EPOLLIN | EPOLLOUT : EPOLLIN, conn_event, &c))
		abort();
	if (flags & FUZZ_F_EXTERNAL) {
		/* As a vCPU thread would: queued, sent from the loop. */
		struct json_object *ev = json_object_new_object();

		json_object_object_add(ev, "event", json_object_new_string("external"));
		control_server_broadcast(srv, ev);
	}
	evloop_run(c.loop);

	check(c.in_off == c.in_len, "server read everything");
	check(count_responses(c.out, c.out_len) == expected_responses(stream, len),
	      "one response per request line");
	evloop_del(c.loop, c.fd);
	close(c.fd);
	control_server_free(srv);
	evloop_free(c.loop);
	check(after_ran == after_requested, "after-reply actions ran once each");
	fd_after = dup(0);
	close(fd_after);
	check(fd_after == fd_mark, "no file descriptor leaked");
	free(c.out);
	free(stream);
	return 0;
}
