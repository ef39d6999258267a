/* Generic newline-delimited JSON control server on a UNIX socket: reads
 * requests, dispatches them through a command table, writes responses and
 * pushes events to subscribers. The protocol is in docs/control-protocol.md. */
#ifndef VIRTTY_VMM_CONTROL_H
#define VIRTTY_VMM_CONTROL_H

#include <stddef.h>

struct evloop;
struct json_object;
struct control_server;
struct control_client;

/* Longest request line accepted (bytes, without the newline). */
#define CONTROL_MAX_LINE (64 * 1024)

/* What a command sees. */
struct control_request {
	struct control_server *srv;
	struct control_client *client;
	struct json_object *msg; /* the request object: "cmd", "id", arguments */
	void *opaque;		 /* as given to control_server_new */
	/* Outputs: */
	struct json_object *data; /* response "data" (owned; NULL gives {}) */
	char error[512];	  /* message when the command fails */
	/* Runs once the response has been written out (or the client went
	 * away): for actions like "quit" that must not cut the reply off. */
	void (*after_reply)(void *arg);
	void *after_reply_arg;
};

struct control_cmd {
	const char *name;
	/* Return 0 (fill req->data if there is something to say) or -errno
	 * with req->error filled. */
	int (*fn)(struct control_request *req);
	const char *usage; /* one line for "help" */
};

/* Serve cmds (an array ended by an entry with name NULL) on a UNIX socket
 * at path (mode 0600; NULL: no listening socket, clients come from
 * control_server_add_client). Runs on the loop thread. */
struct control_server *control_server_new(struct evloop *loop, const char *path,
					  const struct control_cmd *cmds, void *opaque, char *err,
					  size_t errlen);
/* Serve an already connected stream socket (made non-blocking; the server
 * owns and closes it). 0 or -errno. */
int control_server_add_client(struct control_server *srv, int fd);
/* Mark the requesting client as a subscriber of events. */
void control_request_subscribe(struct control_request *req);
/* Push {"event":...} to every subscriber. Thread-safe: the event is sent
 * from the loop thread, after responses already queued. Takes ownership of
 * `event` (a JSON object). */
void control_server_broadcast(struct control_server *srv, struct json_object *event);
/* The opaque pointer given to control_server_new. */
void *control_server_opaque(struct control_server *srv);
/* The command table (for "help"). */
const struct control_cmd *control_server_commands(struct control_server *srv);
/* Close every client, remove the socket file. Loop thread (or loop stopped). */
void control_server_free(struct control_server *srv);

#endif
