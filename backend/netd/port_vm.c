/* VM ports: the SOCK_SEQPACKET socket VMMs connect to ("--nic socket"),
 * one port per connection, one Ethernet frame per packet. A connection
 * beyond the 64th is closed at once; a port that sends garbage is counted,
 * not closed; a port that hangs up is removed with its MACs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "evloop.h"
#include "netd.h"

/* Frames read per wake-up of one port: enough to batch, few enough that
 * one busy VM cannot starve the others or the control socket. */
#define PORT_VM_BATCH 64

int port_vm_output(struct netd_port *port, const void *frame, size_t len)
{
	ssize_t n = send(port->fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	return n == (ssize_t)len ? 0 : -(n < 0 ? errno : EMSGSIZE);
}

static void port_vm_event(void *opaque, uint32_t events)
{
	struct netd_port *port = opaque;
	struct netd *netd = port->netd;

	for (int i = 0; i < PORT_VM_BATCH; i++) {
		/* MSG_TRUNC: the packet's real length, so an oversized one is
		 * counted as such instead of switched cut short. */
		ssize_t n = recv(port->fd, netd->buf, sizeof(netd->buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			netd_port_remove(netd, port);
			return;
		}
		netd_input(netd, port, netd->buf, (size_t)n);
	}
	/* Hung up with nothing left to read. */
	if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN))
		netd_port_remove(netd, port);
}

static void port_vm_accept_event(void *opaque, uint32_t events)
{
	struct netd *netd = opaque;
	int fd;

	(void)events;
	while ((fd = accept4(netd->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct netd_port *port = NULL;

		if (netd->nr_vm_ports < NETD_MAX_VM_PORTS)
			port = netd_port_add(netd, NETD_PORT_VM, fd);
		if (!port) {
			if (!netd->warned_full)
				fprintf(stderr,
					"virtty-netd: %s: %d VMs are attached, the most a "
					"network takes; refusing more\n",
					netd->cfg.name, NETD_MAX_VM_PORTS);
			netd->warned_full = true;
			close(fd);
			continue;
		}
		if (evloop_add(netd->loop, fd, EPOLLIN, port_vm_event, port) < 0) {
			port->fd = -1; /* not registered: remove must not evloop_del it */
			netd_port_remove(netd, port);
			close(fd);
		}
	}
}

/* Bind path, replacing a stale socket file but never a live one. */
static int port_vm_bind(int fd, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int probe;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	if (errno != EADDRINUSE)
		goto fail;
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "--socket '%s': file exists and is not a socket", path);
		return -EEXIST;
	}
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		snprintf(err, errlen, "--socket '%s': another switch listens on it", path);
		return -EADDRINUSE;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
fail:
	snprintf(err, errlen, "--socket '%s': %s", path, strerror(errno));
	return -errno;
}

int port_vm_listen(struct netd *netd, char *err, size_t errlen)
{
	const char *path = netd->cfg.socket_path;
	struct sockaddr_un sa;
	int fd, r;

	if (!path[0] || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--socket '%s': path must be 1 to %zu bytes", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "--socket: socket: %s", strerror(errno));
		return -errno;
	}
	/* The socket file takes the socket inode's mode: 0600 from the start. */
	fchmod(fd, 0600);
	r = port_vm_bind(fd, path, err, errlen);
	if (r) {
		close(fd);
		return r;
	}
	if (listen(fd, NETD_MAX_VM_PORTS) < 0 ||
	    evloop_add(netd->loop, fd, EPOLLIN, port_vm_accept_event, netd) < 0) {
		snprintf(err, errlen, "--socket '%s': listen: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -EIO;
	}
	netd->listen_fd = fd;
	return 0;
}

void port_vm_close(struct netd *netd)
{
	if (netd->listen_fd < 0)
		return;
	evloop_del(netd->loop, netd->listen_fd);
	close(netd->listen_fd);
	netd->listen_fd = -1;
	unlink(netd->cfg.socket_path);
}
