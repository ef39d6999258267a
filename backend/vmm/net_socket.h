/* The "socket" network backend ("--nic socket,path=PATH"): the NIC is a
 * port of a virtty-netd switch, one Ethernet frame per SOCK_SEQPACKET
 * packet on a UNIX socket (docs/networks.md). When the switch goes away
 * the link goes down (netdev_set_link: the NIC shows the guest) and the
 * backend reconnects every second. A netdev backend (netdev.h). */
#ifndef VIRTTY_VMM_NET_SOCKET_H
#define VIRTTY_VMM_NET_SOCKET_H

#include <stdbool.h>
#include <stddef.h>

#include "netdev.h"

#define NET_SOCKET_RETRY_MS 1000 /* between reconnection attempts */

/* Connect to the switch's port socket now: an error if nothing listens
 * ("--nic socket: PATH: Connection refused"). The receiving thread starts
 * with the netdev's start op. NULL with a message on failure. */
struct netdev *net_socket_new(const char *path, char *err, size_t errlen);

#endif
