/* The "socket" backend: a SOCK_SEQPACKET client of virtty-netd. vCPUs
 * send straight on the socket without blocking (a frame the switch cannot
 * take now is dropped and counted, as on a busy wire); a thread of its own
 * receives, stops reading while the NIC's hold queue is full (rx_ready
 * wakes it), and reconnects every second after the switch went away, with
 * the link down meanwhile. Its seccomp filter (SANDBOX_NET_SOCKET) allows
 * UNIX sockets only. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net_socket.h"
#include "sandbox.h"

/* While the NIC cannot take frames, look again this often even without
 * rx_ready (a guest reset empties its queue without telling us). */
#define NET_SOCKET_BLOCKED_POLL_MS 100

struct net_socket {
	struct netdev nd;
	struct sockaddr_un addr;
	int wakefd;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	int fd; /* -1 while disconnected; closed only by the thread */
	bool stopping;
	bool start_done;
	int start_result;
	char start_err[256];

	uint8_t buf[NETDEV_MAX_FRAME + 1]; /* the thread's */
};

static void net_socket_wake(struct net_socket *ns)
{
	uint64_t one = 1;

	if (write(ns->wakefd, &one, sizeof(one)) < 0) {
		/* counter saturated: a wake-up is pending anyway */
	}
}

/* A non-blocking connection to the switch, or -errno. Non-blocking also
 * for connect: a switch with a full backlog must not stall the thread. */
static int net_socket_connect(struct net_socket *ns)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&ns->addr, sizeof(ns->addr)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static void net_socket_disconnect(struct net_socket *ns)
{
	int fd;

	pthread_mutex_lock(&ns->lock);
	fd = ns->fd;
	ns->fd = -1;
	pthread_mutex_unlock(&ns->lock);
	if (fd >= 0)
		close(fd);
	netdev_set_link(&ns->nd, false);
}

static void net_socket_try_reconnect(struct net_socket *ns)
{
	int fd = net_socket_connect(ns);

	if (fd < 0)
		return;
	pthread_mutex_lock(&ns->lock);
	ns->fd = fd;
	pthread_mutex_unlock(&ns->lock);
	fprintf(stderr, "virtty-vmm: nic (socket): %s: reconnected; link up\n", ns->addr.sun_path);
	netdev_set_link(&ns->nd, true);
}

/* Read what waits on the socket while the NIC takes it. Returns false
 * when the switch went away. */
static bool net_socket_receive(struct net_socket *ns, int fd)
{
	for (int i = 0; i < 256 && netdev_can_deliver(&ns->nd); i++) {
		/* MSG_TRUNC: the real length, so an oversized packet is seen
		 * as such (and dropped by the NIC) rather than cut. */
		ssize_t n = recv(fd, ns->buf, sizeof(ns->buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		netdev_deliver(&ns->nd, ns->buf, (size_t)n);
	}
	return true;
}

static void net_socket_drain_wake(struct net_socket *ns)
{
	uint64_t v;

	if (read(ns->wakefd, &v, sizeof(v)) < 0) {
		/* nothing pending */
	}
}

static void *net_socket_thread(void *arg)
{
	struct net_socket *ns = arg;
	char msg[256] = "";
	int r = sandbox_apply(SANDBOX_NET_SOCKET, msg, sizeof(msg));

	pthread_mutex_lock(&ns->lock);
	ns->start_done = true;
	ns->start_result = r;
	snprintf(ns->start_err, sizeof(ns->start_err), "%s", msg);
	pthread_cond_broadcast(&ns->cond);
	pthread_mutex_unlock(&ns->lock);
	if (r)
		return NULL;

	for (;;) {
		struct pollfd p[2] = {{.fd = ns->wakefd, .events = POLLIN}, {.fd = -1}};
		bool can = netdev_can_deliver(&ns->nd);
		int fd, timeout = -1;

		pthread_mutex_lock(&ns->lock);
		fd = ns->fd;
		if (ns->stopping) {
			pthread_mutex_unlock(&ns->lock);
			break;
		}
		pthread_mutex_unlock(&ns->lock);
		if (fd < 0)
			timeout = NET_SOCKET_RETRY_MS;
		else if (!can)
			timeout = NET_SOCKET_BLOCKED_POLL_MS;
		/* Full NIC: leave frames in the socket, the switch drops. */
		p[1].fd = fd;
		p[1].events = can ? POLLIN : 0;
		r = poll(p, 2, timeout);
		if (r < 0 && errno != EINTR)
			fprintf(stderr, "virtty-vmm: nic (socket): poll: %s\n", strerror(errno));
		if (p[0].revents & POLLIN)
			net_socket_drain_wake(ns);
		if (fd < 0) {
			if (r == 0)
				net_socket_try_reconnect(ns);
			continue;
		}
		if ((p[1].revents & (POLLIN | POLLERR | POLLHUP)) && !net_socket_receive(ns, fd)) {
			fprintf(stderr,
				"virtty-vmm: nic (socket): %s: the switch went away; link "
				"down, reconnecting every second\n",
				ns->addr.sun_path);
			net_socket_disconnect(ns);
		} else if ((p[1].revents & POLLHUP) && !(p[1].revents & POLLIN)) {
			net_socket_disconnect(ns);
		}
	}
	return NULL;
}

/* ---- netdev ops ---- */

static int net_socket_send(struct netdev *nd, const void *frame, size_t len)
{
	struct net_socket *ns = (struct net_socket *)nd;
	ssize_t n = -1;

	/* The lock keeps the thread from closing (and the number from being
	 * reused) while we send; MSG_DONTWAIT keeps this short. */
	pthread_mutex_lock(&ns->lock);
	if (ns->fd >= 0)
		n = send(ns->fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	pthread_mutex_unlock(&ns->lock);
	return n == (ssize_t)len ? 0 : -ENOBUFS;
}

static void net_socket_rx_ready(struct netdev *nd)
{
	net_socket_wake((struct net_socket *)nd);
}

static int net_socket_start(struct netdev *nd, char *err, size_t errlen)
{
	struct net_socket *ns = (struct net_socket *)nd;
	int r = pthread_create(&ns->thread, NULL, net_socket_thread, ns);

	if (r) {
		snprintf(err, errlen, "nic (socket): cannot start its thread: %s", strerror(r));
		return -r;
	}
	ns->started = true;
	pthread_mutex_lock(&ns->lock);
	while (!ns->start_done)
		pthread_cond_wait(&ns->cond, &ns->lock);
	r = ns->start_result;
	if (r)
		snprintf(err, errlen, "nic (socket): %s", ns->start_err);
	pthread_mutex_unlock(&ns->lock);
	return r;
}

static void net_socket_free(struct netdev *nd)
{
	struct net_socket *ns = (struct net_socket *)nd;

	if (ns->started) {
		pthread_mutex_lock(&ns->lock);
		ns->stopping = true;
		pthread_mutex_unlock(&ns->lock);
		net_socket_wake(ns);
		pthread_join(ns->thread, NULL);
	}
	if (ns->fd >= 0)
		close(ns->fd);
	if (ns->wakefd >= 0)
		close(ns->wakefd);
	pthread_cond_destroy(&ns->cond);
	pthread_mutex_destroy(&ns->lock);
	free(ns);
}

static const struct netdev_ops net_socket_ops = {
    .kind = "socket",
    .send = net_socket_send,
    .rx_ready = net_socket_rx_ready,
    .start = net_socket_start,
    .free = net_socket_free,
};

struct netdev *net_socket_new(const char *path, char *err, size_t errlen)
{
	struct net_socket *ns = calloc(1, sizeof(*ns));

	if (!ns) {
		snprintf(err, errlen, "--nic socket: out of memory");
		return NULL;
	}
	ns->nd.ops = &net_socket_ops;
	ns->fd = -1;
	pthread_mutex_init(&ns->lock, NULL);
	pthread_cond_init(&ns->cond, NULL);
	ns->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ns->wakefd < 0) {
		snprintf(err, errlen, "--nic socket: eventfd: %s", strerror(errno));
		goto fail;
	}
	ns->addr.sun_family = AF_UNIX;
	if (!path[0] || strlen(path) >= sizeof(ns->addr.sun_path)) {
		snprintf(err, errlen, "--nic socket: path '%s': must be 1 to %zu bytes", path,
			 sizeof(ns->addr.sun_path) - 1);
		goto fail;
	}
	memcpy(ns->addr.sun_path, path, strlen(path) + 1);
	ns->fd = net_socket_connect(ns);
	if (ns->fd < 0) {
		snprintf(err, errlen, "--nic socket: %s: %s", path, strerror(-ns->fd));
		goto fail;
	}
	return &ns->nd;
fail:
	net_socket_free(&ns->nd);
	return NULL;
}
