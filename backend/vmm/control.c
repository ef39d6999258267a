/* Newline-delimited JSON control server: non-blocking clients on the evloop
 * thread, a table of commands (tmux style), events pushed to subscribers.
 * Whatever a client sends (garbage, huge lines, half requests) costs it an
 * error response at most; the server and the VM carry on. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chardev.h"
#include "control.h"
#include "evloop.h"

#define CONTROL_MAX_CLIENTS 32
/* A client that lets this much output pile up is not reading: drop it. */
#define CONTROL_MAX_OUT	  (32 * 1024 * 1024)
#define CONTROL_MAX_AFTER 4

struct control_after {
	void (*fn)(void *arg);
	void *arg;
};

struct control_client {
	struct control_server *srv;
	int fd;
	char *in; /* the current line, without its newline */
	size_t in_len;
	bool discarding; /* inside an oversized line: skip to its newline */
	bool read_eof;	 /* peer shut down its side: flush, then close */
	char *out;
	size_t out_off, out_len, out_cap;
	bool want_out;
	bool subscribed;
	bool dead;
	struct control_after after[CONTROL_MAX_AFTER];
	int nr_after;
	struct control_client *next;
};

struct control_event {
	char *line; /* serialized, with its newline */
	size_t len;
	struct control_event *next;
};

struct control_server {
	struct evloop *loop;
	int listen_fd;
	char *path;
	const struct control_cmd *cmds;
	void *opaque;
	struct control_client *clients;
	int nr_clients;

	/* Events raised by a command while it runs (loop thread): sent right
	 * after its response. */
	struct control_event *deferred, **deferred_tail;
	/* Events handed over from other threads. */
	pthread_mutex_t ev_lock;
	struct control_event *ev_head, **ev_tail;
	int wake_fd;
};

/* The server whose command is running on this thread, if any. */
static __thread struct control_server *control_dispatching;

static void control_client_event(void *opaque, uint32_t events);
static void control_deliver_events(struct control_server *srv, struct control_event *list);

/* ---- output ---- */

static void control_client_close(struct control_client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	evloop_del(c->srv->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->srv->nr_clients--;
	/* The reply can't be delivered any more; the action still happens. */
	for (int i = 0; i < c->nr_after; i++)
		c->after[i].fn(c->after[i].arg);
	c->nr_after = 0;
}

static void control_reap(struct control_server *srv)
{
	struct control_client **pp = &srv->clients;

	while (*pp) {
		struct control_client *c = *pp;

		if (c->dead) {
			*pp = c->next;
			free(c->in);
			free(c->out);
			free(c);
		} else {
			pp = &c->next;
		}
	}
}

static void control_client_update_mask(struct control_client *c)
{
	uint32_t ev = (c->read_eof ? 0 : EPOLLIN) | (c->want_out ? EPOLLOUT : 0);

	evloop_mod(c->srv->loop, c->fd, ev);
}

/* Write what is queued; run after-reply actions once all of it is out. */
static void control_client_flush(struct control_client *c)
{
	bool was = c->want_out;

	while (c->out_len) {
		ssize_t w =
		    send(c->fd, c->out + c->out_off, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w < 0) {
			control_client_close(c);
			return;
		}
		c->out_off += w;
		c->out_len -= w;
	}
	if (!c->out_len) {
		c->out_off = 0;
		for (int i = 0; i < c->nr_after; i++)
			c->after[i].fn(c->after[i].arg);
		c->nr_after = 0;
		if (c->read_eof) {
			control_client_close(c);
			return;
		}
	}
	c->want_out = c->out_len > 0;
	if (c->want_out != was)
		control_client_update_mask(c);
}

static void control_client_queue(struct control_client *c, const char *buf, size_t len)
{
	if (c->dead)
		return;
	if (c->out_off + c->out_len + len > c->out_cap) {
		size_t need = c->out_len + len, cap;
		char *p;

		if (need > CONTROL_MAX_OUT) {
			control_client_close(c);
			return;
		}
		if (c->out_len)
			memmove(c->out, c->out + c->out_off, c->out_len);
		c->out_off = 0;
		cap = c->out_cap ? c->out_cap : 4096;
		while (cap < need)
			cap *= 2;
		if (cap != c->out_cap) {
			p = realloc(c->out, cap);
			if (!p) {
				control_client_close(c);
				return;
			}
			c->out = p;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_off + c->out_len, buf, len);
	c->out_len += len;
}

static void control_client_send_json(struct control_client *c, struct json_object *obj)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	control_client_queue(c, s, len);
	control_client_queue(c, "\n", 1);
}

static void control_reply(struct control_client *c, struct json_object *id,
			  struct json_object *data, const char *error)
{
	struct json_object *obj = json_object_new_object();

	if (id)
		json_object_object_add(obj, "id", json_object_get(id));
	json_object_object_add(obj, "ok", json_object_new_boolean(!error));
	if (error)
		json_object_object_add(obj, "error", json_object_new_string(error));
	else
		json_object_object_add(obj, "data", data ? data : json_object_new_object());
	control_client_send_json(c, obj);
	json_object_put(obj);
}

/* ---- requests ---- */

static const struct control_cmd *control_find(const struct control_server *srv, const char *name)
{
	for (const struct control_cmd *cmd = srv->cmds; cmd->name; cmd++)
		if (!strcmp(cmd->name, name))
			return cmd;
	return NULL;
}

static void control_handle_line(struct control_client *c, const char *line, size_t len)
{
	struct control_server *srv = c->srv;
	struct json_tokener *tok;
	struct json_object *msg, *id = NULL, *cmdv;
	const struct control_cmd *cmd;
	struct control_request req = {.srv = srv, .client = c, .opaque = srv->opaque};
	char msgbuf[160];
	size_t end;
	int r;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (!len)
		return; /* blank lines are allowed and ignored */
	if (memchr(line, 0, len)) {
		control_reply(c, NULL, NULL, "invalid JSON: request contains a NUL byte");
		return;
	}
	tok = json_tokener_new();
	if (!tok) {
		control_reply(c, NULL, NULL, "out of memory");
		return;
	}
	/* Trailing characters are checked below, for a clearer message. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 |
					JSON_TOKENER_ALLOW_TRAILING_CHARS);
	msg = json_tokener_parse_ex(tok, line, len);
	if (!msg) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		snprintf(msgbuf, sizeof(msgbuf), "invalid JSON: %s",
			 e == json_tokener_continue ? "unexpected end of line"
						    : json_tokener_error_desc(e));
		json_tokener_free(tok);
		control_reply(c, NULL, NULL, msgbuf);
		return;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end < len && (line[end] == ' ' || line[end] == '\t'))
		end++;
	if (end != len) {
		control_reply(c, NULL, NULL, "invalid JSON: trailing characters after the request");
		goto out;
	}
	if (!json_object_is_type(msg, json_type_object)) {
		control_reply(c, NULL, NULL, "request must be a JSON object");
		goto out;
	}
	json_object_object_get_ex(msg, "id", &id);
	if (!json_object_object_get_ex(msg, "cmd", &cmdv) ||
	    !json_object_is_type(cmdv, json_type_string)) {
		control_reply(c, id, NULL, "request needs \"cmd\" (a string)");
		goto out;
	}
	cmd = control_find(srv, json_object_get_string(cmdv));
	if (!cmd) {
		snprintf(msgbuf, sizeof(msgbuf), "unknown command '%.64s'",
			 json_object_get_string(cmdv));
		control_reply(c, id, NULL, msgbuf);
		goto out;
	}
	req.msg = msg;
	control_dispatching = srv;
	r = cmd->fn(&req);
	control_dispatching = NULL;
	if (r < 0) {
		if (!req.error[0])
			snprintf(req.error, sizeof(req.error), "%s failed", cmd->name);
		json_object_put(req.data);
		control_reply(c, id, NULL, req.error);
	} else {
		control_reply(c, id, req.data, NULL);
	}
	if (srv->deferred) {
		struct control_event *list = srv->deferred;

		srv->deferred = NULL;
		srv->deferred_tail = &srv->deferred;
		control_deliver_events(srv, list);
	}
	if (req.after_reply) {
		if (c->nr_after < CONTROL_MAX_AFTER && !c->dead)
			c->after[c->nr_after++] =
			    (struct control_after){req.after_reply, req.after_reply_arg};
		else
			req.after_reply(req.after_reply_arg);
	}
out:
	json_object_put(msg);
}

/* Split incoming bytes into lines; oversized lines get one error each. */
static void control_client_input(struct control_client *c, const char *data, size_t n)
{
	while (n && !c->dead) {
		const char *nl = memchr(data, '\n', n);
		size_t seg = nl ? (size_t)(nl - data) : n;
		size_t used = nl ? seg + 1 : n;

		if (c->discarding) {
			if (nl)
				c->discarding = false;
		} else if (c->in_len + seg > CONTROL_MAX_LINE) {
			char msg[96];

			snprintf(msg, sizeof(msg), "request line longer than %d bytes",
				 CONTROL_MAX_LINE);
			control_reply(c, NULL, NULL, msg);
			c->in_len = 0;
			c->discarding = !nl;
		} else {
			memcpy(c->in + c->in_len, data, seg);
			c->in_len += seg;
			if (nl) {
				control_handle_line(c, c->in, c->in_len);
				c->in_len = 0;
			}
		}
		data += used;
		n -= used;
	}
}

static void control_client_event(void *opaque, uint32_t events)
{
	struct control_client *c = opaque;
	struct control_server *srv = c->srv;
	char buf[16384];

	if (c->dead)
		return;
	if (events & EPOLLIN) {
		/* A bounded number of reads per wakeup keeps clients fair. */
		for (int i = 0; i < 8 && !c->dead && !c->read_eof; i++) {
			ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0) {
				control_client_close(c);
				break;
			}
			if (n == 0) {
				c->read_eof = true;
				control_client_update_mask(c);
				break;
			}
			control_client_input(c, buf, n);
		}
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		control_client_close(c);
	}
	if (!c->dead)
		control_client_flush(c);
	control_reap(srv);
}

int control_server_add_client(struct control_server *srv, int fd)
{
	struct control_client *c;
	int fl, r;

	if (srv->nr_clients >= CONTROL_MAX_CLIENTS)
		return -EMFILE;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->in = malloc(CONTROL_MAX_LINE);
	if (!c->in) {
		free(c);
		return -ENOMEM;
	}
	c->srv = srv;
	c->fd = fd;
	r = evloop_add(srv->loop, fd, EPOLLIN, control_client_event, c);
	if (r < 0) {
		free(c->in);
		free(c);
		return r;
	}
	c->next = srv->clients;
	srv->clients = c;
	srv->nr_clients++;
	return 0;
}

static void control_accept_event(void *opaque, uint32_t events)
{
	struct control_server *srv = opaque;

	for (;;) {
		int fd = accept(srv->listen_fd, NULL, NULL);

		if (fd < 0)
			return;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (control_server_add_client(srv, fd) < 0) {
			static const char busy[] =
			    "{\"ok\":false,\"error\":\"too many clients\"}\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* it is being dropped anyway */
			}
			close(fd);
		}
	}
}

void control_request_subscribe(struct control_request *req)
{
	req->client->subscribed = true;
}

void *control_server_opaque(struct control_server *srv)
{
	return srv->opaque;
}

const struct control_cmd *control_server_commands(struct control_server *srv)
{
	return srv->cmds;
}

/* ---- events ---- */

void control_server_broadcast(struct control_server *srv, struct json_object *event)
{
	struct control_event *ev;
	const char *s;
	size_t len;
	uint64_t one = 1;

	if (!srv || !event)
		goto out;
	s = json_object_to_json_string_length(
	    event, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	ev = malloc(sizeof(*ev));
	if (!ev || !(ev->line = malloc(len + 1))) {
		free(ev);
		goto out;
	}
	memcpy(ev->line, s, len);
	ev->line[len] = '\n';
	ev->len = len + 1;
	ev->next = NULL;
	if (control_dispatching == srv) {
		*srv->deferred_tail = ev;
		srv->deferred_tail = &ev->next;
		goto out;
	}
	pthread_mutex_lock(&srv->ev_lock);
	*srv->ev_tail = ev;
	srv->ev_tail = &ev->next;
	pthread_mutex_unlock(&srv->ev_lock);
	if (write(srv->wake_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: a wakeup is pending */
	}
out:
	json_object_put(event);
}

static void control_wake_event(void *opaque, uint32_t events)
{
	struct control_server *srv = opaque;
	struct control_event *list;
	uint64_t v;

	if (read(srv->wake_fd, &v, sizeof(v)) < 0) {
		/* nothing to drain */
	}
	pthread_mutex_lock(&srv->ev_lock);
	list = srv->ev_head;
	srv->ev_head = NULL;
	srv->ev_tail = &srv->ev_head;
	pthread_mutex_unlock(&srv->ev_lock);
	control_deliver_events(srv, list);
	control_reap(srv);
}

/* Queue events to subscribers and start sending (loop thread). */
static void control_deliver_events(struct control_server *srv, struct control_event *list)
{
	while (list) {
		struct control_event *next = list->next;

		for (struct control_client *c = srv->clients; c; c = c->next)
			if (c->subscribed && !c->dead)
				control_client_queue(c, list->line, list->len);
		free(list->line);
		free(list);
		list = next;
	}
	for (struct control_client *c = srv->clients; c; c = c->next)
		if (!c->dead)
			control_client_flush(c);
}

/* ---- lifetime ---- */

struct control_server *control_server_new(struct evloop *loop, const char *path,
					  const struct control_cmd *cmds, void *opaque, char *err,
					  size_t errlen)
{
	struct control_server *srv = calloc(1, sizeof(*srv));
	int r;

	if (!srv) {
		snprintf(err, errlen, "control socket: out of memory");
		return NULL;
	}
	srv->loop = loop;
	srv->cmds = cmds;
	srv->opaque = opaque;
	srv->listen_fd = -1;
	pthread_mutex_init(&srv->ev_lock, NULL);
	srv->ev_tail = &srv->ev_head;
	srv->deferred_tail = &srv->deferred;
	srv->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->wake_fd < 0) {
		snprintf(err, errlen, "control socket: eventfd: %s", strerror(errno));
		goto fail;
	}
	r = evloop_add(loop, srv->wake_fd, EPOLLIN, control_wake_event, srv);
	if (r < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(-r));
		close(srv->wake_fd);
		srv->wake_fd = -1;
		goto fail;
	}
	if (path) {
		srv->listen_fd = chardev_unix_listen(path, "control socket", err, errlen);
		if (srv->listen_fd < 0)
			goto fail;
		srv->path = strdup(path);
		r = evloop_add(loop, srv->listen_fd, EPOLLIN, control_accept_event, srv);
		if (r < 0 || !srv->path) {
			snprintf(err, errlen, "control socket '%s': %s", path,
				 strerror(r < 0 ? -r : ENOMEM));
			goto fail;
		}
	}
	return srv;
fail:
	control_server_free(srv);
	return NULL;
}

void control_server_free(struct control_server *srv)
{
	if (!srv)
		return;
	for (struct control_client *c = srv->clients; c; c = c->next)
		control_client_close(c);
	control_reap(srv);
	if (srv->listen_fd >= 0) {
		evloop_del(srv->loop, srv->listen_fd);
		close(srv->listen_fd);
		if (srv->path)
			unlink(srv->path);
	}
	if (srv->wake_fd >= 0) {
		evloop_del(srv->loop, srv->wake_fd);
		close(srv->wake_fd);
	}
	while (srv->ev_head) {
		struct control_event *next = srv->ev_head->next;

		free(srv->ev_head->line);
		free(srv->ev_head);
		srv->ev_head = next;
	}
	pthread_mutex_destroy(&srv->ev_lock);
	free(srv->path);
	free(srv);
}
