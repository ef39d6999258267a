/* The VNC server of virtty-vmm: libvncserver serving the guest framebuffer
 * on a UNIX socket (and optionally 127.0.0.1:PORT), sending only the areas
 * the guest changed, and turning client keys and pointer into PS/2 input. */
#ifndef VIRTTY_VMM_VNC_SERVER_H
#define VIRTTY_VMM_VNC_SERVER_H

#include <stddef.h>

struct framebuffer;
struct i8042;
struct vnc_server;

struct vnc_server_config {
	const char *socket_path; /* UNIX socket (mode 0600), or NULL */
	int tcp_port;		 /* also listen on 127.0.0.1:tcp_port; 0 = no */
	const char *name;	 /* desktop name shown by viewers, may be NULL */
};

/* Create the listening sockets and the RFB screen on fb (pixels are sent
 * straight from the guest mapping). Input goes to kbd. Clients may
 * connect from now on; they are served once vnc_server_start ran. NULL
 * with err filled on failure (socket path in use, port taken...). */
struct vnc_server *vnc_server_new(const struct vnc_server_config *cfg, struct framebuffer *fb,
				  struct i8042 *kbd, char *err, size_t errlen);
/* Start the server thread (which installs its own seccomp filter). Call
 * before the creating thread installs a stricter filter of its own, which
 * the new thread would inherit. 0 or -errno with a message. */
int vnc_server_start(struct vnc_server *srv, char *err, size_t errlen);
/* Stop the thread, disconnect clients (releasing the keys they held),
 * remove the socket file. NULL is fine. */
void vnc_server_free(struct vnc_server *srv);

/* For the control socket's "status": any thread. */
int vnc_server_nr_clients(const struct vnc_server *srv);
const char *vnc_server_socket_path(const struct vnc_server *srv); /* NULL if none */
int vnc_server_tcp_port(const struct vnc_server *srv);		  /* 0 if none */

#endif
