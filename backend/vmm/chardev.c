/* Character backends for the serial port: stdio, a UNIX socket shared by
 * several clients, or null; all keep a replay ring of recent guest output.
 *
 * Output: vCPU threads append to the ring under a mutex and kick an eventfd;
 * the loop thread then sends every consumer (stdout, each socket client) the
 * bytes between its own position and the ring's end. The ring is therefore
 * every consumer's bounded output queue: a consumer that falls more than a
 * ring behind skips ahead and the skipped bytes are counted as dropped, so
 * nobody blocks the guest or the other consumers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "chardev.h"
#include "evloop.h"

#define CHARDEV_MAX_CLIENTS 32
#define CHARDEV_CHUNK	    16384

enum chardev_kind { CHARDEV_NULL, CHARDEV_STDIO, CHARDEV_SOCKET };

/* One consumer of guest output (stdout or a socket client). */
struct chardev_sink {
	struct chardev *dev;
	int fd;
	uint64_t seq;  /* next output byte this sink needs */
	bool want_out; /* blocked on a full fd: waiting for EPOLLOUT */
	bool pollable; /* fd can be watched with epoll */
	bool dead;
	struct chardev_sink *next;
};

struct chardev {
	enum chardev_kind kind;
	struct evloop *loop;

	pthread_mutex_t lock; /* ring, total, dropped */
	uint8_t *ring;
	size_t ring_size;
	uint64_t total; /* bytes ever written; the ring holds the newest */
	uint64_t dropped;

	int wake_fd;
	atomic_bool wake_pending;
	atomic_bool input_ready;

	/* Input (loop thread only). */
	size_t (*in_fn)(void *opaque, const uint8_t *buf, size_t len);
	void *in_opaque;
	uint8_t held[4096];
	size_t held_off, held_len;
	bool input_paused;

	/* stdio */
	struct chardev_sink *out;
	int stdin_fd; /* -1 when input is not watched */

	/* socket */
	int listen_fd;
	char *path;
	struct chardev_sink *clients;
	int nr_clients;
};

/* Terminal state saved by the stdio chardev, restored from anywhere. */
static struct termios chardev_saved_tio;
static volatile sig_atomic_t chardev_tio_saved;
static int chardev_saved_fl[2] = {-1, -1};

void chardev_restore_tty(void)
{
	/* Only async-signal-safe calls here. */
	if (chardev_tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &chardev_saved_tio);
	for (int fd = 0; fd < 2; fd++)
		if (chardev_saved_fl[fd] >= 0)
			fcntl(fd, F_SETFL, chardev_saved_fl[fd]);
}

static void chardev_restore_tty_atexit(void)
{
	chardev_restore_tty();
}

static struct chardev *chardev_alloc(enum chardev_kind kind, struct evloop *loop,
				     size_t replay_bytes)
{
	struct chardev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->kind = kind;
	dev->loop = loop;
	dev->ring_size = replay_bytes ? replay_bytes : CHARDEV_REPLAY_DEFAULT;
	dev->ring = malloc(dev->ring_size);
	dev->wake_fd = -1;
	dev->stdin_fd = -1;
	dev->listen_fd = -1;
	if (!dev->ring) {
		free(dev);
		return NULL;
	}
	pthread_mutex_init(&dev->lock, NULL);
	return dev;
}

struct chardev *chardev_new_null(size_t replay_bytes)
{
	return chardev_alloc(CHARDEV_NULL, NULL, replay_bytes);
}

static void chardev_wake(struct chardev *dev)
{
	uint64_t one = 1;

	if (dev->wake_fd < 0 || atomic_exchange(&dev->wake_pending, true))
		return;
	if (write(dev->wake_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: a wakeup is pending anyway */
	}
}

void chardev_write(struct chardev *dev, const uint8_t *buf, size_t len)
{
	if (!dev || !len)
		return;
	pthread_mutex_lock(&dev->lock);
	if (len > dev->ring_size) {
		/* Only the tail can survive; account the rest as written. */
		dev->total += len - dev->ring_size;
		buf += len - dev->ring_size;
		len = dev->ring_size;
	}
	size_t pos = dev->total % dev->ring_size;
	size_t first = dev->ring_size - pos < len ? dev->ring_size - pos : len;

	memcpy(dev->ring + pos, buf, first);
	memcpy(dev->ring, buf + first, len - first);
	dev->total += len;
	pthread_mutex_unlock(&dev->lock);
	chardev_wake(dev);
}

/* Copy ring bytes [from, from+len) (caller holds the lock, range valid). */
static void chardev_ring_copy(struct chardev *dev, uint64_t from, uint8_t *buf, size_t len)
{
	size_t pos = from % dev->ring_size;
	size_t first = dev->ring_size - pos < len ? dev->ring_size - pos : len;

	memcpy(buf, dev->ring + pos, first);
	memcpy(buf + first, dev->ring, len - first);
}

static uint64_t chardev_ring_start(const struct chardev *dev)
{
	return dev->total > dev->ring_size ? dev->total - dev->ring_size : 0;
}

size_t chardev_replay_copy(struct chardev *dev, uint8_t *buf, size_t size)
{
	uint64_t start, n;

	pthread_mutex_lock(&dev->lock);
	start = chardev_ring_start(dev);
	n = dev->total - start;
	if (n > size) {
		start += n - size;
		n = size;
	}
	chardev_ring_copy(dev, start, buf, n);
	pthread_mutex_unlock(&dev->lock);
	return n;
}

size_t chardev_replay_capacity(struct chardev *dev)
{
	return dev->ring_size;
}

uint64_t chardev_total_bytes(struct chardev *dev)
{
	uint64_t v;

	pthread_mutex_lock(&dev->lock);
	v = dev->total;
	pthread_mutex_unlock(&dev->lock);
	return v;
}

uint64_t chardev_dropped_bytes(struct chardev *dev)
{
	uint64_t v;

	pthread_mutex_lock(&dev->lock);
	v = dev->dropped;
	pthread_mutex_unlock(&dev->lock);
	return v;
}

/* ---- sinks (loop thread) ---- */

static void chardev_client_event(void *opaque, uint32_t events);
static void chardev_stdout_event(void *opaque, uint32_t events);

/* The epoll mask a socket client needs right now. */
static uint32_t chardev_client_mask(const struct chardev_sink *s)
{
	return (s->dev->input_paused ? 0 : EPOLLIN) | (s->want_out ? EPOLLOUT : 0) | EPOLLRDHUP;
}

static void chardev_client_close(struct chardev_sink *s)
{
	if (s->dead)
		return;
	s->dead = true;
	evloop_del(s->dev->loop, s->fd);
	close(s->fd);
	s->fd = -1;
	s->dev->nr_clients--;
}

static ssize_t chardev_read_source(struct chardev *dev, int fd);

/* Sending to a client failed: it closed its end. What it wrote before
 * closing is still queued on our side (a script that types a line and
 * leaves), so hand that to the guest first, as far as it takes input. */
static void chardev_client_gone(struct chardev_sink *s)
{
	struct chardev *dev = s->dev;

	while (!s->dead && !dev->input_paused && chardev_read_source(dev, s->fd) > 0)
		;
	chardev_client_close(s);
}

static void chardev_reap_clients(struct chardev *dev)
{
	struct chardev_sink **pp = &dev->clients;

	while (*pp) {
		struct chardev_sink *s = *pp;

		if (s->dead) {
			*pp = s->next;
			free(s);
		} else {
			pp = &s->next;
		}
	}
}

/* Send a sink everything it has not seen yet, as far as its fd takes it.
 * Returns 0, or -1 when the sink is broken (closed by the peer). */
static int chardev_sink_flush(struct chardev_sink *s)
{
	struct chardev *dev = s->dev;
	uint8_t buf[CHARDEV_CHUNK];
	bool was_waiting = s->want_out;

	s->want_out = false;
	for (;;) {
		uint64_t start;
		size_t n;
		ssize_t w;

		pthread_mutex_lock(&dev->lock);
		start = chardev_ring_start(dev);
		if (s->seq < start) {
			dev->dropped += start - s->seq;
			s->seq = start;
		}
		n = dev->total - s->seq < sizeof(buf) ? dev->total - s->seq : sizeof(buf);
		chardev_ring_copy(dev, s->seq, buf, n);
		pthread_mutex_unlock(&dev->lock);
		if (!n)
			break;
		if (dev->kind == CHARDEV_SOCKET)
			w = send(s->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			w = write(s->fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			s->want_out = true;
			break;
		}
		if (w < 0)
			return -1;
		s->seq += w;
		if ((size_t)w < n) {
			s->want_out = true;
			break;
		}
	}
	if (!s->pollable || s->want_out == was_waiting)
		return 0;
	if (dev->kind == CHARDEV_SOCKET) {
		evloop_mod(dev->loop, s->fd, chardev_client_mask(s));
	} else if (s->want_out) {
		evloop_add(dev->loop, s->fd, EPOLLOUT, chardev_stdout_event, s);
	} else {
		evloop_del(dev->loop, s->fd);
	}
	return 0;
}

static void chardev_flush_all(struct chardev *dev)
{
	if (dev->out && !dev->out->dead && chardev_sink_flush(dev->out) < 0) {
		/* stdout went away (closed pipe): keep running, stop writing. */
		if (dev->out->want_out)
			evloop_del(dev->loop, dev->out->fd);
		dev->out->dead = true;
	}
	for (struct chardev_sink *s = dev->clients; s; s = s->next)
		if (!s->dead && chardev_sink_flush(s) < 0)
			chardev_client_gone(s);
	chardev_reap_clients(dev);
}

static void chardev_stdout_event(void *opaque, uint32_t events)
{
	struct chardev_sink *s = opaque;

	chardev_flush_all(s->dev);
}

/* ---- input (loop thread) ---- */

static void chardev_update_sources(struct chardev *dev)
{
	if (dev->stdin_fd >= 0)
		evloop_mod(dev->loop, dev->stdin_fd, dev->input_paused ? 0 : EPOLLIN);
	for (struct chardev_sink *s = dev->clients; s; s = s->next)
		if (!s->dead)
			evloop_mod(dev->loop, s->fd, chardev_client_mask(s));
}

/* Offer held input to the consumer; pause the sources while some is left. */
static void chardev_deliver_held(struct chardev *dev)
{
	bool was_paused = dev->input_paused;

	while (dev->held_len) {
		size_t took;

		if (!dev->in_fn) {
			dev->held_len = 0; /* nobody listens: drop */
			break;
		}
		took = dev->in_fn(dev->in_opaque, dev->held + dev->held_off, dev->held_len);
		if (took > dev->held_len)
			took = dev->held_len;
		dev->held_off += took;
		dev->held_len -= took;
		if (!took)
			break;
	}
	if (!dev->held_len)
		dev->held_off = 0;
	dev->input_paused = dev->held_len > 0;
	if (dev->input_paused != was_paused)
		chardev_update_sources(dev);
}

/* Read what a source has (only called while not paused). Returns bytes
 * read, 0 at end of file, -1 on error, -2 when there was nothing. */
static ssize_t chardev_read_source(struct chardev *dev, int fd)
{
	ssize_t n;

	do
		n = read(fd, dev->held, sizeof(dev->held));
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -2;
	if (n > 0) {
		dev->held_off = 0;
		dev->held_len = n;
		chardev_deliver_held(dev);
	}
	return n;
}

static void chardev_stdin_event(void *opaque, uint32_t events)
{
	struct chardev *dev = opaque;
	ssize_t n = -2;

	if (!dev->input_paused && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		n = chardev_read_source(dev, dev->stdin_fd);
	if (n == 0 || n == -1) {
		/* End of input (pipe closed): the guest keeps running. */
		evloop_del(dev->loop, dev->stdin_fd);
		dev->stdin_fd = -1;
	}
}

static void chardev_wake_event(void *opaque, uint32_t events)
{
	struct chardev *dev = opaque;
	uint64_t v;

	/* Drain first, then clear the flag: a kick that lands in between
	 * finds the flag still set and skips the eventfd, which is fine as
	 * its data is handled below. The other order can lose a kick. */
	if (read(dev->wake_fd, &v, sizeof(v)) < 0) {
		/* nothing to drain */
	}
	atomic_store(&dev->wake_pending, false);
	if (atomic_exchange(&dev->input_ready, false) && dev->held_len)
		chardev_deliver_held(dev);
	chardev_flush_all(dev);
}

void chardev_set_input(struct chardev *dev,
		       size_t (*fn)(void *opaque, const uint8_t *buf, size_t len), void *opaque)
{
	dev->in_fn = fn;
	dev->in_opaque = opaque;
}

void chardev_input_ready(struct chardev *dev)
{
	if (!dev)
		return;
	atomic_store(&dev->input_ready, true);
	chardev_wake(dev);
}

size_t chardev_push_input(struct chardev *dev, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (dev->in_fn && done < len) {
		size_t took = dev->in_fn(dev->in_opaque, buf + done, len - done);

		if (!took)
			break;
		done += took > len - done ? len - done : took;
	}
	return done;
}

static int chardev_add_wake(struct chardev *dev, char *err, size_t errlen)
{
	int r;

	dev->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dev->wake_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "serial: eventfd: %s", strerror(errno));
		return r;
	}
	r = evloop_add(dev->loop, dev->wake_fd, EPOLLIN, chardev_wake_event, dev);
	if (r < 0) {
		snprintf(err, errlen, "serial: cannot watch eventfd: %s", strerror(-r));
		close(dev->wake_fd);
		dev->wake_fd = -1;
	}
	return r;
}

/* ---- stdio ---- */

static int chardev_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	if (chardev_saved_fl[fd] < 0)
		chardev_saved_fl[fd] = fl;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

struct chardev *chardev_new_stdio(struct evloop *loop, char *err, size_t errlen)
{
	struct chardev *dev = chardev_alloc(CHARDEV_STDIO, loop, 0);
	struct stat st;

	if (!dev) {
		snprintf(err, errlen, "serial: out of memory");
		return NULL;
	}
	if (chardev_add_wake(dev, err, errlen) < 0)
		goto fail;
	dev->out = calloc(1, sizeof(*dev->out));
	if (!dev->out) {
		snprintf(err, errlen, "serial: out of memory");
		goto fail;
	}
	*dev->out = (struct chardev_sink){.dev = dev, .fd = STDOUT_FILENO};
	/* A regular file can't be polled and never blocks: write it plainly. */
	if (fstat(STDOUT_FILENO, &st) == 0 && !S_ISREG(st.st_mode)) {
		dev->out->pollable = true;
		chardev_set_nonblock(STDOUT_FILENO);
	}

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &chardev_saved_tio) == 0) {
		struct termios raw = chardev_saved_tio;

		chardev_tio_saved = 1;
		atexit(chardev_restore_tty_atexit);
		/* Every key (Ctrl-C included) goes to the guest; the guest's own
		 * tty layer does echo and CR/LF handling. */
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
			snprintf(err, errlen, "serial: cannot put the terminal in raw mode: %s",
				 strerror(errno));
			goto fail;
		}
	}
	/* Regular files and /dev/null can't be polled: no input then. */
	if (evloop_add(loop, STDIN_FILENO, EPOLLIN, chardev_stdin_event, dev) == 0) {
		dev->stdin_fd = STDIN_FILENO;
		chardev_set_nonblock(STDIN_FILENO);
	}
	return dev;
fail:
	chardev_free(dev);
	return NULL;
}

/* ---- UNIX socket ---- */

int chardev_unix_listen(const char *path, const char *what, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	int fd, r;

	if (len == 0 || len >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s '%s': path is %s (%zu bytes; the limit is %zu)", what,
			 path, len ? "too long" : "empty", len, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s '%s': socket: %s", what, path, strerror(errno));
		return r;
	}
	/* The mode of a new socket file follows the socket inode's mode. */
	fchmod(fd, 0600);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		struct stat st;
		int probe;

		if (errno != EADDRINUSE)
			goto fail;
		if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s '%s': file exists and is not a socket", what,
				 path);
			close(fd);
			return -EEXIST;
		}
		/* Replace the file only if nobody answers on it (stale). */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			snprintf(err, errlen, "%s '%s': already in use by another process", what,
				 path);
			close(fd);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	}
	if (chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s '%s': %s", what, path, strerror(errno));
		close(fd);
		unlink(path);
		return r;
	}
	return fd;
fail:
	r = -errno;
	snprintf(err, errlen, "%s '%s': cannot bind: %s", what, path, strerror(errno));
	close(fd);
	return r;
}

static void chardev_client_event(void *opaque, uint32_t events)
{
	struct chardev_sink *s = opaque;
	struct chardev *dev = s->dev;

	if (s->dead)
		return;
	if ((events & EPOLLIN) && !dev->input_paused) {
		ssize_t n = chardev_read_source(dev, s->fd);

		if (n == 0 || n == -1) {
			chardev_client_close(s);
			chardev_reap_clients(dev);
			return;
		}
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		chardev_client_close(s);
		chardev_reap_clients(dev);
		return;
	}
	if ((events & EPOLLOUT) && chardev_sink_flush(s) < 0) {
		chardev_client_gone(s);
		chardev_reap_clients(dev);
	}
}

static void chardev_accept_event(void *opaque, uint32_t events)
{
	struct chardev *dev = opaque;

	for (;;) {
		int fd = accept4(dev->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct chardev_sink *s;

		if (fd < 0)
			return; /* EAGAIN, or a client that vanished */
		if (dev->nr_clients >= CHARDEV_MAX_CLIENTS || !(s = calloc(1, sizeof(*s)))) {
			close(fd);
			continue;
		}
		pthread_mutex_lock(&dev->lock);
		/* Start at the oldest byte kept: the client gets the replay. */
		*s = (struct chardev_sink){
		    .dev = dev, .fd = fd, .seq = chardev_ring_start(dev), .pollable = true};
		pthread_mutex_unlock(&dev->lock);
		if (evloop_add(dev->loop, fd, chardev_client_mask(s), chardev_client_event, s) <
		    0) {
			close(fd);
			free(s);
			continue;
		}
		s->next = dev->clients;
		dev->clients = s;
		dev->nr_clients++;
		if (chardev_sink_flush(s) < 0) {
			chardev_client_gone(s);
			chardev_reap_clients(dev);
		}
	}
}

struct chardev *chardev_new_socket(struct evloop *loop, const char *path, size_t replay_bytes,
				   char *err, size_t errlen)
{
	struct chardev *dev = chardev_alloc(CHARDEV_SOCKET, loop, replay_bytes);
	int r;

	if (!dev) {
		snprintf(err, errlen, "serial socket '%s': out of memory", path);
		return NULL;
	}
	dev->listen_fd = chardev_unix_listen(path, "serial socket", err, errlen);
	if (dev->listen_fd < 0)
		goto fail;
	dev->path = strdup(path);
	r = evloop_add(loop, dev->listen_fd, EPOLLIN, chardev_accept_event, dev);
	if (r < 0 || !dev->path) {
		snprintf(err, errlen, "serial socket '%s': %s", path,
			 strerror(r < 0 ? -r : ENOMEM));
		evloop_del(loop, dev->listen_fd);
		close(dev->listen_fd);
		dev->listen_fd = -1;
		unlink(path);
		goto fail;
	}
	if (chardev_add_wake(dev, err, errlen) < 0)
		goto fail;
	return dev;
fail:
	chardev_free(dev);
	return NULL;
}

void chardev_free(struct chardev *dev)
{
	if (!dev)
		return;
	/* The guest's last words ("reboot: Power down") may still be in the
	 * ring: write them before the sinks go away, blocking on the terminal
	 * so nothing is lost, best effort on sockets. */
	if (dev->out && !dev->out->dead) {
		int fl = fcntl(dev->out->fd, F_GETFL);

		if (fl >= 0)
			fcntl(dev->out->fd, F_SETFL, fl & ~O_NONBLOCK);
		chardev_sink_flush(dev->out);
	}
	for (struct chardev_sink *s = dev->clients; s; s = s->next)
		if (!s->dead)
			chardev_sink_flush(s);
	if (dev->wake_fd >= 0) {
		evloop_del(dev->loop, dev->wake_fd);
		close(dev->wake_fd);
	}
	if (dev->stdin_fd >= 0)
		evloop_del(dev->loop, dev->stdin_fd);
	if (dev->out) {
		if (dev->out->want_out && !dev->out->dead)
			evloop_del(dev->loop, dev->out->fd);
		free(dev->out);
	}
	if (dev->kind == CHARDEV_STDIO) {
		chardev_restore_tty();
		chardev_tio_saved = 0;
		chardev_saved_fl[0] = chardev_saved_fl[1] = -1;
	}
	for (struct chardev_sink *s = dev->clients; s; s = s->next)
		chardev_client_close(s);
	chardev_reap_clients(dev);
	if (dev->listen_fd >= 0) {
		evloop_del(dev->loop, dev->listen_fd);
		close(dev->listen_fd);
		if (dev->path)
			unlink(dev->path);
	}
	free(dev->path);
	pthread_mutex_destroy(&dev->lock);
	free(dev->ring);
	free(dev);
}
