/* The tap port of hostonly and bridged networks: a tap device created by
 * netd (it goes away with netd), with the subnet's .1 address (hostonly)
 * or enslaved to an existing bridge (bridged), brought up, switched like
 * any port. Everything through ioctls: no ip(8), no shell. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evloop.h"
#include "netd.h"

int port_tap_output(struct netd_port *port, const void *frame, size_t len)
{
	ssize_t n = write(port->fd, frame, len);

	return n == (ssize_t)len ? 0 : -(n < 0 ? errno : EMSGSIZE);
}

static void port_tap_event(void *opaque, uint32_t events)
{
	struct netd_port *port = opaque;
	struct netd *netd = port->netd;

	(void)events;
	for (int i = 0; i < 64; i++) {
		ssize_t n = read(port->fd, netd->buf, sizeof(netd->buf));

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fprintf(stderr, "virtty-netd: tap %s: read: %s\n", netd->ifname,
					strerror(errno));
			break;
		}
		if (n == 0)
			break;
		netd_input(netd, port, netd->buf, (size_t)n);
	}
}

/* The contract's message for a missing privilege, else the plain error. */
static void port_tap_error(struct netd *netd, const char *what, int e, char *err, size_t errlen)
{
	if (e == EPERM || e == EACCES)
		snprintf(err, errlen, "%s network '%s' needs root or CAP_NET_ADMIN (%s %s: %s)",
			 netd_mode_name(netd->cfg.mode), netd->cfg.name, what, netd->ifname,
			 strerror(e));
	else
		snprintf(err, errlen, "%s network '%s': %s %s: %s", netd_mode_name(netd->cfg.mode),
			 netd->cfg.name, what, netd->ifname, strerror(e));
}

static int port_tap_create(struct netd *netd, char *err, size_t errlen)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int e;

	if (fd < 0) {
		e = errno;
		port_tap_error(netd, "creating tap", e, err, errlen);
		return -e;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", netd->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		if (e == EBUSY)
			snprintf(err, errlen,
				 "%s network '%s': creating tap %s: the interface "
				 "exists already (is the network running?)",
				 netd_mode_name(netd->cfg.mode), netd->cfg.name, netd->ifname);
		else
			port_tap_error(netd, "creating tap", e, err, errlen);
		close(fd);
		return -e;
	}
	return fd;
}

/* hostonly: the subnet's first address on the tap. */
static int port_tap_address(struct netd *netd, int sock, char *err, size_t errlen)
{
	struct ifreq ifr = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", netd->ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(netd->cfg.net + 1);
	if (ioctl(sock, SIOCSIFADDR, &ifr) < 0)
		goto fail;
	sin->sin_addr.s_addr = htonl(netd->cfg.mask);
	if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0)
		goto fail;
	return 0;
fail:
	port_tap_error(netd, "setting the address of", errno, err, errlen);
	return -EPERM;
}

/* bridged: the tap becomes a port of the host bridge. */
static int port_tap_enslave(struct netd *netd, int sock, char *err, size_t errlen)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", netd->cfg.bridge);
	ifr.ifr_ifindex = (int)if_nametoindex(netd->ifname);
	if (!ifr.ifr_ifindex || ioctl(sock, SIOCBRADDIF, &ifr) < 0) {
		int e = errno;

		snprintf(err, errlen, "bridged network '%s': adding %s to bridge '%s': %s",
			 netd->cfg.name, netd->ifname, netd->cfg.bridge, strerror(e));
		return -e;
	}
	return 0;
}

static int port_tap_up(struct netd *netd, int sock, char *err, size_t errlen)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", netd->ifname);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	return 0;
fail:
	port_tap_error(netd, "bringing up", errno, err, errlen);
	return -EPERM;
}

/* bridged: the bridge must exist (netd never creates one). */
static int port_tap_check_bridge(struct netd *netd, char *err, size_t errlen)
{
	char path[IFNAMSIZ + 32];
	struct stat st;

	if (!if_nametoindex(netd->cfg.bridge)) {
		snprintf(err, errlen, "bridge '%s' does not exist", netd->cfg.bridge);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", netd->cfg.bridge);
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "'%s' is not a bridge", netd->cfg.bridge);
		return -ENODEV;
	}
	return 0;
}

int port_tap_open(struct netd *netd, char *err, size_t errlen)
{
	struct netd_port *port;
	int fd, sock, r;

	snprintf(netd->ifname, sizeof(netd->ifname), "%s", netd->cfg.ifname);
	if (netd->cfg.mode == NETD_MODE_BRIDGED) {
		r = port_tap_check_bridge(netd, err, errlen);
		if (r)
			return r;
	}
	fd = port_tap_create(netd, err, errlen);
	if (fd < 0)
		return fd;
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		close(fd);
		return -EIO;
	}
	if (netd->cfg.mode == NETD_MODE_HOSTONLY)
		r = port_tap_address(netd, sock, err, errlen);
	else
		r = port_tap_enslave(netd, sock, err, errlen);
	if (!r)
		r = port_tap_up(netd, sock, err, errlen);
	close(sock);
	if (r) {
		close(fd);
		return r;
	}
	port = netd_port_add(netd, NETD_PORT_TAP, fd);
	if (!port) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -ENOMEM;
	}
	if (evloop_add(netd->loop, fd, EPOLLIN, port_tap_event, port) < 0) {
		snprintf(err, errlen, "tap %s: %s", netd->ifname, strerror(errno));
		port->fd = -1;
		netd_port_remove(netd, port);
		close(fd);
		return -EIO;
	}
	return 0;
}
