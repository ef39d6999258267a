/* The forwarding table: MAC -> port, learnt from source addresses. A flat
 * array scanned linearly: a network has a few dozen MACs, and the bound
 * keeps a guest that sends from random addresses from growing memory (it
 * evicts the oldest entries instead, which only makes frames flood). */
#include <errno.h>
#include <string.h>

#include "switch.h"

static bool switch_mac_is_group(const uint8_t *mac)
{
	return mac[0] & 1; /* broadcast is a group address too */
}

static bool switch_entry_live(const struct switch_fdb_entry *e, uint64_t now_ms)
{
	return e->used && now_ms - e->seen_ms < SWITCH_AGING_MS;
}

void switch_init(struct netswitch *sw)
{
	memset(sw, 0, sizeof(*sw));
}

int switch_port_add(struct netswitch *sw)
{
	for (int i = 0; i < SWITCH_MAX_PORTS; i++) {
		if (!sw->port_used[i]) {
			sw->port_used[i] = true;
			return i;
		}
	}
	return -ENOSPC;
}

void switch_port_remove(struct netswitch *sw, int port)
{
	if (port < 0 || port >= SWITCH_MAX_PORTS)
		return;
	sw->port_used[port] = false;
	for (int i = 0; i < SWITCH_FDB_SIZE; i++)
		if (sw->fdb[i].used && sw->fdb[i].port == port)
			sw->fdb[i].used = false;
}

static struct switch_fdb_entry *switch_find(struct netswitch *sw, const uint8_t *mac)
{
	for (int i = 0; i < SWITCH_FDB_SIZE; i++)
		if (sw->fdb[i].used && !memcmp(sw->fdb[i].mac, mac, 6))
			return &sw->fdb[i];
	return NULL;
}

/* A slot for a new MAC: a free or aged one, else the least recently seen. */
static struct switch_fdb_entry *switch_free_slot(struct netswitch *sw, uint64_t now_ms)
{
	struct switch_fdb_entry *oldest = &sw->fdb[0];

	for (int i = 0; i < SWITCH_FDB_SIZE; i++) {
		struct switch_fdb_entry *e = &sw->fdb[i];

		if (!switch_entry_live(e, now_ms))
			return e;
		if (e->seen_ms < oldest->seen_ms)
			oldest = e;
	}
	return oldest;
}

static void switch_learn(struct netswitch *sw, int port, const uint8_t *mac, uint64_t now_ms)
{
	struct switch_fdb_entry *e;

	if (switch_mac_is_group(mac))
		return; /* not a station: never a destination */
	e = switch_find(sw, mac);
	if (!e) {
		e = switch_free_slot(sw, now_ms);
		memcpy(e->mac, mac, 6);
		e->used = true;
	}
	/* A MAC seen on another port has moved there (a VM reconnected). */
	e->port = port;
	e->seen_ms = now_ms;
}

int switch_lookup(const struct netswitch *sw, const uint8_t mac[6], uint64_t now_ms)
{
	for (int i = 0; i < SWITCH_FDB_SIZE; i++) {
		const struct switch_fdb_entry *e = &sw->fdb[i];

		if (switch_entry_live(e, now_ms) && !memcmp(e->mac, mac, 6))
			return e->port;
	}
	return -1;
}

int switch_forward(struct netswitch *sw, int in_port, const uint8_t *frame, size_t len,
		   uint64_t now_ms, struct switch_dest *out)
{
	int owner;

	out->n = 0;
	out->flooded = false;
	if (in_port < 0 || in_port >= SWITCH_MAX_PORTS || !sw->port_used[in_port])
		return -ENOENT;
	if (len < SWITCH_MIN_FRAME || len > SWITCH_MAX_FRAME)
		return -EINVAL;
	switch_learn(sw, in_port, frame + 6, now_ms);
	owner = switch_mac_is_group(frame) ? -1 : switch_lookup(sw, frame, now_ms);
	if (owner >= 0) {
		/* Known: that port only; a frame for its own segment stays. */
		if (owner != in_port)
			out->port[out->n++] = owner;
		return 0;
	}
	out->flooded = true;
	for (int i = 0; i < SWITCH_MAX_PORTS; i++)
		if (sw->port_used[i] && i != in_port)
			out->port[out->n++] = i;
	return 0;
}

int switch_port_macs(const struct netswitch *sw, int port, uint64_t now_ms, uint8_t (*macs)[6],
		     int max)
{
	int n = 0;

	for (int i = 0; i < SWITCH_FDB_SIZE && n < max; i++) {
		const struct switch_fdb_entry *e = &sw->fdb[i];

		if (switch_entry_live(e, now_ms) && e->port == port)
			memcpy(macs[n++], e->mac, 6);
	}
	return n;
}
