/* Host isolation for the NAT backends: which guest frames libslirp may see.
 * libslirp turns the gateway address (and any other address of its virtual
 * network) into the host's loopback, and opens host sockets to any
 * destination, so without a filter a NAT guest reaches every service of
 * the host. The design says "VM <-> host: no" for nat and natnet; this
 * decides it per frame, with no I/O (net_slirp.c feeds it the host's
 * addresses and the frames both ways). */
#ifndef VIRTTY_VMM_NET_FILTER_H
#define VIRTTY_VMM_NET_FILTER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_FILTER_MAX_HOST4 64
#define NET_FILTER_MAX_HOST6 64
#define NET_FILTER_MAX_FLOWS 256

/* A conversation the host side opened towards the guest through a port
 * forward: the guest's answers to it (host_addr:host_port from
 * guest_port) pass even though host_addr is the host. */
struct net_filter_flow {
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP; 0: free slot */
	uint32_t host_addr;		/* network order, as the guest sees it */
	uint16_t host_port, guest_port; /* host order */
	uint64_t last_used;		/* net_filter.clock when last seen: oldest is evicted */
};

/* The host's own addresses (what getifaddrs lists). */
struct net_filter_hosts {
	int nr4, nr6;
	struct in_addr v4[NET_FILTER_MAX_HOST4];
	struct in6_addr v6[NET_FILTER_MAX_HOST6];
};

struct net_filter {
	uint32_t net, mask, gateway, dns; /* network order: the NAT's network */
	struct net_filter_hosts hosts;
	struct net_filter_flow flows[NET_FILTER_MAX_FLOWS];
	uint64_t clock; /* ticks once per learnt frame */
};

enum net_filter_verdict {
	NET_FILTER_PASS,
	NET_FILTER_DROP,
};

/* The NAT's network (net/mask), its gateway and DNS addresses, network
 * order. No host addresses and no flows yet. */
void net_filter_init(struct net_filter *f, struct in_addr net, struct in_addr mask,
		     struct in_addr gateway, struct in_addr dns);

/* Read the host's addresses with getifaddrs(3) (addresses beyond the
 * maxima are left out). 0 or -errno with a message. */
int net_filter_read_hosts(struct net_filter_hosts *out, char *err, size_t errlen);
/* Judge from now on against these host addresses. */
void net_filter_set_hosts(struct net_filter *f, const struct net_filter_hosts *hosts);

/* A frame from the guest, before the NAT sees it. Dropped: IPv4 to the
 * gateway or any other address of the NAT's network, to 127.0.0.0/8,
 * 0.0.0.0/8 or an address of the host, and IPv6 to ::1 or the host's
 * addresses -- except ICMP echo requests to the gateway and the DNS
 * address (the router answers ping), DNS (port 53) to the DNS address,
 * DHCP (port 67) to the gateway or a broadcast address, and answers
 * within a flow learnt by net_filter_to_guest. Everything else passes
 * (ARP, other destinations, frames too short to be IP: the NAT drops
 * those itself). */
enum net_filter_verdict net_filter_from_guest(struct net_filter *f, const void *frame, size_t len);

/* A frame the NAT hands to the guest: a TCP or UDP packet from a host
 * address (a port forward's client, seen by the guest as the gateway or
 * as the host's own address) opens the way back for the guest's answers. */
void net_filter_to_guest(struct net_filter *f, const void *frame, size_t len);

#endif
