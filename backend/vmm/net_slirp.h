/* User-mode NAT for a NIC ("--nic user"): libslirp on its own thread gives
 * the guest a private 10.0.2.0/24 with a gateway, DHCP, DNS and port
 * forwards, without root. A netdev backend (netdev.h). */
#ifndef VIRTTY_VMM_NET_SLIRP_H
#define VIRTTY_VMM_NET_SLIRP_H

#include <netinet/in.h>
#include <stddef.h>

#include "netdev.h"

#define NET_SLIRP_MAX_FWDS 32

struct net_slirp_config {
	struct in_addr net, mask;  /* the guest network, 10.0.2.0/24 */
	struct in_addr gateway;	   /* net + 2: slirp's own address (host side) */
	struct in_addr dns;	   /* net + 3 */
	struct in_addr dhcp_start; /* net + 15 unless dhcpstart= */
	int nr_fwds;
	struct netdev_hostfwd fwds[NET_SLIRP_MAX_FWDS];
};

/* 10.0.2.0/24, gateway .2, DNS .3, DHCP from .15, no forwards. */
void net_slirp_config_init(struct net_slirp_config *cfg);
/* Apply one "key=value" of --nic user: net=A.B.C.D/N, dhcpstart=A.B.C.D,
 * hostfwd=tcp|udp:[ADDR]:H-[GADDR]:G. Returns 0, -ENOENT for a key it does
 * not know (the caller may handle it), or -EINVAL with a message. */
int net_slirp_config_set(struct net_slirp_config *cfg, const char *key, const char *value,
			 char *err, size_t errlen);
/* Check the whole configuration (DHCP start inside the network and not
 * the gateway or DNS address). 0 or -EINVAL with a message. */
int net_slirp_config_check(const struct net_slirp_config *cfg, char *err, size_t errlen);

/* Create the stack and its configured port forwards (their host sockets
 * are bound now, so a busy port is an error here: "--nic user: hostfwd
 * udp 127.0.0.1:5555: Address already in use"). The thread starts with
 * the netdev's start op. NULL with a message on failure. */
struct netdev *net_slirp_new(const struct net_slirp_config *cfg, char *err, size_t errlen);

#endif
