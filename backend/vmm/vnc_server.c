/* VNC server thread: accepts RFB clients on our own UNIX (and loopback
 * TCP) listeners, hands them to libvncserver, turns the framebuffer's
 * dirty pages into exact changed rectangles while someone watches, and
 * feeds client keys and pointer to the i8042 as PS/2 input.
 *
 * Why a thread of its own rather than the main event loop: libvncserver
 * writes to clients with blocking waits (up to maxClientWait) and parses
 * untrusted network input; on its own thread a slow or hostile viewer can
 * stall only other viewers, never the control or serial sockets, and the
 * thread gets a seccomp filter narrower than the main thread's. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rfb/rfb.h>

#include "chardev.h"
#include "framebuffer.h"
#include "i8042.h"
#include "keysym_ps2.h"
#include "sandbox.h"
#include "vnc_server.h"

#define VNC_MAX_CLIENTS 16
#define VNC_MAX_RECTS	64
/* Dirty-log polling: 30 Hz while the screen changes or a viewer types,
 * 4 Hz after VNC_IDLE_TICKS ticks without change. */
#define VNC_FAST_TICK_NS (1000000000L / 30)
#define VNC_SLOW_TICK_NS (1000000000L / 4)
#define VNC_IDLE_TICKS	 60
/* How long a write to (or a message from) a stuck viewer may block. */
#define VNC_CLIENT_WAIT_MS 5000

struct vnc_server {
	rfbScreenInfoPtr screen;
	struct framebuffer *fb;
	struct i8042 *kbd;
	char *path;  /* UNIX socket file to remove, or NULL */
	int unix_fd; /* listeners, -1 if none */
	int tcp_fd;
	int tcp_port;
	int stop_fd; /* eventfd: the thread must exit */
	pthread_t thread;
	bool thread_started;
	atomic_int nr_clients;

	/* Thread-only state. */
	uint8_t *shadow; /* what viewers were told, while any is connected */
	struct timespec next_tick;
	int idle_ticks;
	bool want_fast; /* input arrived: poll at full rate */
	struct fb_rect rects[VNC_MAX_RECTS];
};

/* Per viewer (rfbClientRec.clientData). */
struct vnc_client {
	struct vnc_server *srv;
	uint64_t pressed[KEYSYM_PS2_NR_KEYS / 64]; /* keys this viewer holds down */
	bool have_pos;
	int x, y;	      /* last pointer position */
	int mask;	      /* last RFB button mask */
	unsigned ps2_buttons; /* buttons as last sent to the i8042 */
};

/* libvncserver logs every connection and a harmless TCP_NODELAY failure on
 * UNIX sockets to stderr; that would garble a --serial stdio console, so
 * it is off unless VIRTTY_VNC_LOG is set, then in the VMM's format. */
static void vnc_log_discard(const char *fmt, ...)
{
	(void)fmt;
}

static void vnc_log_stderr(const char *fmt, ...)
{
	va_list ap;

	fputs("virtty-vmm: vnc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* --- time ------------------------------------------------------------------ */

static void vnc_time_add(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

static int64_t vnc_ms_until(const struct timespec *t)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
	/* Round up so that the tick is due when poll returns. */
	if ((t->tv_nsec - now.tv_nsec) % 1000000 > 0)
		ms++;
	return ms < 0 ? 0 : ms;
}

/* --- damage ----------------------------------------------------------------- */

static void vnc_shadow_free(struct vnc_server *srv)
{
	if (srv->shadow)
		munmap(srv->shadow, srv->fb->map_size);
	srv->shadow = NULL;
}

/* First viewer: remember the screen as it is now; from here on only what
 * the dirty log and the shadow say changed is sent. */
static void vnc_shadow_init(struct vnc_server *srv)
{
	void *p = mmap(NULL, srv->fb->map_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return; /* vnc_tick retries; viewers still get full updates */
	srv->shadow = p;
	/* Clear the log first: a write after this shows up in the next fetch. */
	framebuffer_fetch_dirty(srv->fb);
	fb_shadow_sync(&srv->fb->geo, srv->fb->pixels, srv->shadow);
}

static void vnc_tick(struct vnc_server *srv)
{
	struct framebuffer *fb = srv->fb;
	size_t n;

	if (!srv->shadow) {
		vnc_shadow_init(srv);
		if (!srv->shadow)
			rfbMarkRectAsModified(srv->screen, 0, 0, (int)fb->geo.width,
					      (int)fb->geo.height);
		return;
	}
	if (framebuffer_fetch_dirty(fb) < 0)
		return;
	n = fb_damage_scan(&fb->geo, fb->dirty, fb->nr_pages, fb->pixels, srv->shadow, srv->rects,
			   VNC_MAX_RECTS);
	for (size_t i = 0; i < n; i++)
		rfbMarkRectAsModified(srv->screen, (int)srv->rects[i].x1, (int)srv->rects[i].y1,
				      (int)srv->rects[i].x2, (int)srv->rects[i].y2);
	if (n || srv->want_fast)
		srv->idle_ticks = 0;
	else if (srv->idle_ticks < VNC_IDLE_TICKS)
		srv->idle_ticks++;
	srv->want_fast = false;
}

/* --- input ------------------------------------------------------------------ */

static void vnc_send_key(struct vnc_server *srv, ps2_key key, bool down)
{
	uint8_t codes[2];
	size_t n = keysym_ps2_encode(key, down, codes);

	if (n)
		i8042_queue_key_scancodes(srv->kbd, codes, n);
}

static void vnc_on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	ps2_key key = keysym_ps2_lookup(keysym);
	uint64_t bit;

	if (!c || !key)
		return; /* keys the table does not know are ignored */
	bit = 1ULL << (key % 64);
	if (down) {
		c->pressed[key / 64] |= bit;
	} else {
		/* A release of a key this viewer never pressed (held before it
		 * connected) would confuse the guest's key state. */
		if (!(c->pressed[key / 64] & bit))
			return;
		c->pressed[key / 64] &= ~bit;
	}
	vnc_send_key(c->srv, key, down);
	c->srv->want_fast = true;
}

/* RFB button mask: 1 left, 2 middle, 4 right, 8 wheel up, 16 wheel down.
 * Positions are absolute; PS/2 moves are relative, so the guest pointer
 * follows the viewer's by the difference to the previous event (the
 * i8042 splits moves beyond the PS/2 range of +-255 into packets). */
static void vnc_on_pointer(int mask, int x, int y, rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	struct framebuffer *fb;
	unsigned buttons;
	int dx = 0, dy = 0, dz = 0, pressed;

	if (!c)
		return;
	fb = c->srv->fb;
	x = x < 0 ? 0 : x >= (int)fb->geo.width ? (int)fb->geo.width - 1 : x;
	y = y < 0 ? 0 : y >= (int)fb->geo.height ? (int)fb->geo.height - 1 : y;
	if (c->have_pos) {
		dx = x - c->x;
		dy = y - c->y;
	}
	c->have_pos = true;
	c->x = x;
	c->y = y;
	/* Viewers send each wheel step as press + release: count presses. */
	pressed = mask & ~c->mask;
	if (pressed & 8)
		dz--;
	if (pressed & 16)
		dz++;
	c->mask = mask;
	buttons = (mask & 1 ? 1u : 0) | (mask & 4 ? 2u : 0) | (mask & 2 ? 4u : 0);
	if (dx || dy || dz || buttons != c->ps2_buttons) {
		i8042_queue_mouse(c->srv->kbd, dx, dy, dz, buttons);
		c->ps2_buttons = buttons;
	}
	c->srv->want_fast = true;
}

/* --- clients ------------------------------------------------------------------ */

static void vnc_client_gone(rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	struct vnc_server *srv;

	if (!c)
		return;
	srv = c->srv;
	/* Whatever this viewer held down comes up again. */
	for (unsigned key = 0; key < KEYSYM_PS2_NR_KEYS; key++)
		if (c->pressed[key / 64] >> (key % 64) & 1)
			vnc_send_key(srv, (ps2_key)key, false);
	if (c->ps2_buttons)
		i8042_queue_mouse(srv->kbd, 0, 0, 0, 0);
	free(c);
	cl->clientData = NULL;
	if (atomic_fetch_sub(&srv->nr_clients, 1) == 1)
		vnc_shadow_free(srv);
}

static enum rfbNewClientAction vnc_client_new(rfbClientPtr cl)
{
	struct vnc_server *srv = cl->screen->screenData;
	struct vnc_client *c;

	if (atomic_load(&srv->nr_clients) >= VNC_MAX_CLIENTS)
		return RFB_CLIENT_REFUSE;
	c = calloc(1, sizeof(*c));
	if (!c)
		return RFB_CLIENT_REFUSE;
	c->srv = srv;
	cl->clientData = c;
	cl->clientGoneHook = vnc_client_gone;
	if (atomic_fetch_add(&srv->nr_clients, 1) == 0) {
		vnc_shadow_init(srv);
		clock_gettime(CLOCK_MONOTONIC, &srv->next_tick);
		srv->idle_ticks = 0;
	}
	return RFB_CLIENT_ACCEPT;
}

static void vnc_accept(struct vnc_server *srv, int listen_fd)
{
	for (int i = 0; i < VNC_MAX_CLIENTS; i++) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			return; /* EAGAIN, or a transient error: poll tells again */
		/* libvncserver select()s on its clients: an fd beyond
		 * FD_SETSIZE would overflow its fd_set. */
		if (fd >= FD_SETSIZE) {
			close(fd);
			continue;
		}
		/* Closes fd itself when it refuses the client. */
		rfbNewClient(srv->screen, fd);
	}
}

/* --- the thread ------------------------------------------------------------- */

static void *vnc_thread(void *arg)
{
	struct vnc_server *srv = arg;
	char msg[256];

	if (sandbox_apply(SANDBOX_VNC, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "virtty-vmm: vnc: %s; not serving viewers\n", msg);
		return NULL;
	}
	for (;;) {
		struct pollfd pfd[3 + VNC_MAX_CLIENTS + 1];
		rfbClientIteratorPtr it;
		rfbClientPtr cl;
		int n = 0, unix_idx = -1, tcp_idx = -1, timeout = -1;
		bool watching = atomic_load(&srv->nr_clients) > 0;

		pfd[n++] = (struct pollfd){.fd = srv->stop_fd, .events = POLLIN};
		if (srv->unix_fd >= 0) {
			unix_idx = n;
			pfd[n++] = (struct pollfd){.fd = srv->unix_fd, .events = POLLIN};
		}
		if (srv->tcp_fd >= 0) {
			tcp_idx = n;
			pfd[n++] = (struct pollfd){.fd = srv->tcp_fd, .events = POLLIN};
		}
		it = rfbGetClientIterator(srv->screen);
		while ((cl = rfbClientIteratorNext(it)) && n < (int)(sizeof(pfd) / sizeof(pfd[0])))
			if (cl->sock >= 0)
				pfd[n++] = (struct pollfd){.fd = cl->sock, .events = POLLIN};
		rfbReleaseClientIterator(it);
		/* No viewer: no timer at all, sleep until someone connects. */
		if (watching)
			timeout = (int)vnc_ms_until(&srv->next_tick);
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		if (unix_idx >= 0 && pfd[unix_idx].revents)
			vnc_accept(srv, srv->unix_fd);
		if (tcp_idx >= 0 && pfd[tcp_idx].revents)
			vnc_accept(srv, srv->tcp_fd);
		if (atomic_load(&srv->nr_clients) > 0 && vnc_ms_until(&srv->next_tick) == 0) {
			vnc_tick(srv);
			clock_gettime(CLOCK_MONOTONIC, &srv->next_tick);
			vnc_time_add(&srv->next_tick, srv->idle_ticks >= VNC_IDLE_TICKS
							  ? VNC_SLOW_TICK_NS
							  : VNC_FAST_TICK_NS);
		}
		/* Client messages (input, update requests) and the updates due. */
		rfbProcessEvents(srv->screen, 0);
		if (srv->want_fast && srv->idle_ticks >= VNC_IDLE_TICKS) {
			/* Typing or pointing: look again soon for the echo. */
			srv->idle_ticks = 0;
			clock_gettime(CLOCK_MONOTONIC, &srv->next_tick);
			vnc_time_add(&srv->next_tick, VNC_FAST_TICK_NS);
		}
	}
	return NULL;
}

/* --- setup and teardown ----------------------------------------------------- */

static int vnc_tcp_listen(int port, char *err, size_t errlen)
{
	struct sockaddr_in sa = {
	    .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1, fd, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "--vnc-tcp %d: socket: %s", port, strerror(errno));
		return r;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		snprintf(err, errlen, "--vnc-tcp %d: cannot listen on 127.0.0.1:%d: %s", port, port,
			 strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

struct vnc_server *vnc_server_new(const struct vnc_server_config *cfg, struct framebuffer *fb,
				  struct i8042 *kbd, char *err, size_t errlen)
{
	struct vnc_server *srv = calloc(1, sizeof(*srv));
	rfbScreenInfoPtr s;

	if (!srv) {
		snprintf(err, errlen, "vnc: out of memory");
		return NULL;
	}
	srv->fb = fb;
	srv->kbd = kbd;
	srv->unix_fd = srv->tcp_fd = srv->stop_fd = -1;
	atomic_init(&srv->nr_clients, 0);

	rfbLog = vnc_log_discard;
	rfbErr = getenv("VIRTTY_VNC_LOG") ? vnc_log_stderr : vnc_log_discard;
	if (getenv("VIRTTY_VNC_LOG"))
		rfbLog = vnc_log_stderr;

	srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->stop_fd < 0) {
		snprintf(err, errlen, "vnc: eventfd: %s", strerror(errno));
		goto fail;
	}
	if (cfg->socket_path) {
		srv->unix_fd = chardev_unix_listen(cfg->socket_path, "VNC socket", err, errlen);
		if (srv->unix_fd < 0)
			goto fail;
		srv->path = strdup(cfg->socket_path);
		if (!srv->path) {
			snprintf(err, errlen, "vnc: out of memory");
			goto fail;
		}
	}
	if (cfg->tcp_port) {
		srv->tcp_fd = vnc_tcp_listen(cfg->tcp_port, err, errlen);
		if (srv->tcp_fd < 0)
			goto fail;
		srv->tcp_port = cfg->tcp_port;
	}

	s = rfbGetScreen(NULL, NULL, (int)fb->geo.width, (int)fb->geo.height, 8, 3,
			 FB_BYTES_PER_PIXEL);
	if (!s) {
		snprintf(err, errlen, "vnc: cannot create the RFB screen");
		goto fail;
	}
	srv->screen = s;
	s->screenData = srv;
	s->desktopName = cfg->name ? cfg->name : "virtty";
	s->frameBuffer = (char *)fb->pixels; /* no copy: viewers read the guest's pixels */
	s->paddedWidthInBytes = (int)fb->geo.stride;
	/* x8r8g8b8 in a little-endian word: blue in the low byte. */
	s->serverFormat.redShift = 16;
	s->serverFormat.greenShift = 8;
	s->serverFormat.blueShift = 0;
	/* Our own listeners only: libvncserver's (0.9.14) cannot do UNIX
	 * sockets, and doing TCP here too keeps one poll loop. */
	s->port = 0;
	s->ipv6port = 0;
	s->udpPort = 0;
	s->httpPort = 0;
	s->autoPort = FALSE;
	s->alwaysShared = TRUE; /* a second viewer does not kick the first out */
	s->deferUpdateTime = 0; /* we batch at the tick rate already */
	s->deferPtrUpdateTime = 0;
	s->maxClientWait = VNC_CLIENT_WAIT_MS;
	/* No cursor drawn into the framebuffer: it is the guest's memory. */
	s->cursor = NULL;
	s->kbdAddEvent = vnc_on_key;
	s->ptrAddEvent = vnc_on_pointer;
	s->newClientHook = vnc_client_new;
	rfbInitServer(s);
	return srv;
fail:
	vnc_server_free(srv);
	return NULL;
}

int vnc_server_start(struct vnc_server *srv, char *err, size_t errlen)
{
	int r = pthread_create(&srv->thread, NULL, vnc_thread, srv);

	if (r) {
		snprintf(err, errlen, "vnc: cannot start the server thread: %s", strerror(r));
		return -r;
	}
	srv->thread_started = true;
	pthread_setname_np(srv->thread, "vnc"); /* for top -H; best effort */
	return 0;
}

void vnc_server_free(struct vnc_server *srv)
{
	if (!srv)
		return;
	if (srv->thread_started) {
		uint64_t one = 1;

		if (write(srv->stop_fd, &one, sizeof(one)) != sizeof(one)) {
			/* an eventfd write only fails on overflow: it is set already */
		}
		pthread_join(srv->thread, NULL);
	}
	if (srv->screen) {
		/* Runs vnc_client_gone for each viewer: keys come up. */
		rfbShutdownServer(srv->screen, TRUE);
		rfbScreenCleanup(srv->screen);
	}
	vnc_shadow_free(srv);
	if (srv->unix_fd >= 0)
		close(srv->unix_fd);
	if (srv->path)
		unlink(srv->path);
	if (srv->tcp_fd >= 0)
		close(srv->tcp_fd);
	if (srv->stop_fd >= 0)
		close(srv->stop_fd);
	free(srv->path);
	free(srv);
}

int vnc_server_nr_clients(const struct vnc_server *srv)
{
	return atomic_load(&((struct vnc_server *)srv)->nr_clients);
}

const char *vnc_server_socket_path(const struct vnc_server *srv)
{
	return srv->path;
}

int vnc_server_tcp_port(const struct vnc_server *srv)
{
	return srv->tcp_port;
}
