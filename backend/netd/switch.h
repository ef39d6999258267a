/* The learning switch of virtty-netd as a pure table: which port owns
 * which MAC (learnt from source addresses, forgotten after 300 s or when
 * the port goes), and where a frame goes. No I/O, no locking, no clock of
 * its own: the caller passes the time, so tests can age entries. */
#ifndef VIRTTY_NETD_SWITCH_H
#define VIRTTY_NETD_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 64 VM connections plus the network's own ports (NAT or tap). */
#define SWITCH_MAX_PORTS 68
/* Learnt MACs, all ports together. The fuzz target builds with a smaller
 * table (-DSWITCH_FDB_SIZE=64) so that it fills and evicts often. */
#ifndef SWITCH_FDB_SIZE
#define SWITCH_FDB_SIZE 1024
#endif
#define SWITCH_AGING_MS	 (300 * 1000)
#define SWITCH_MIN_FRAME 14 /* an Ethernet header */
#define SWITCH_MAX_FRAME 65535

struct switch_fdb_entry {
	uint8_t mac[6];
	bool used;
	int port;
	uint64_t seen_ms;
};

struct netswitch {
	bool port_used[SWITCH_MAX_PORTS];
	struct switch_fdb_entry fdb[SWITCH_FDB_SIZE];
};

/* Where one frame goes: dest[0..n-1], never the port it came from. */
struct switch_dest {
	int n;
	bool flooded; /* broadcast, multicast or unknown destination */
	int port[SWITCH_MAX_PORTS];
};

void switch_init(struct netswitch *sw);
/* A new port's id (0..SWITCH_MAX_PORTS-1), or -ENOSPC. */
int switch_port_add(struct netswitch *sw);
/* The port is gone: it gets no frames and its MACs are forgotten. */
void switch_port_remove(struct netswitch *sw, int port);
/* A frame from in_port at time now_ms: learn its source MAC (unicast
 * sources only) and fill *out with the destination ports. Returns 0, or
 * -EINVAL for a frame shorter than 14 or longer than 65535 bytes (nothing
 * learnt, no destination; the caller counts it against the port), or
 * -ENOENT when in_port is not a port. */
int switch_forward(struct netswitch *sw, int in_port, const uint8_t *frame, size_t len,
		   uint64_t now_ms, struct switch_dest *out);
/* The port owning mac now, or -1 (unknown or aged out). */
int switch_lookup(const struct netswitch *sw, const uint8_t mac[6], uint64_t now_ms);
/* Up to max MACs learnt on port and not aged out; returns how many. */
int switch_port_macs(const struct netswitch *sw, int port, uint64_t now_ms, uint8_t (*macs)[6],
		     int max);

#endif
