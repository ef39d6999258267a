/* libFuzzer target: virtty-netd's forwarding table (backend/netd/switch.c)
 * against a model. Ports come and go, frames arrive from any port (or a
 * port that is not one) with any addresses and lengths, a fake clock runs
 * past the aging time, bursts of new source MACs overflow the table.
 * After every step the table must agree with the model: a frame never
 * goes back to its own port, known unicast goes to its owner only,
 * everything else floods to every other port, a full table evicts the
 * least recently seen MAC, removed ports' MACs are forgotten, bad frames
 * change nothing. The input is a program of steps (see the switch in
 * LLVMFuzzerTestOneInput; tests/fuzz/README.md). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netd/switch.h"

#define MODEL_SLOTS 2048 /* a power of 2, well above 128 pool + 512 burst MACs */
#define BURST_MACS  512

/* fuzz.am builds this with a small table; it must still take more MACs
 * than the pool's 128, so that bursts are what fill it. */
#if SWITCH_FDB_SIZE > 1024 || SWITCH_FDB_SIZE < 16
#error "fuzz_switch: SWITCH_FDB_SIZE out of the range this target is tuned for"
#endif

/* What the table should hold: every MAC ever learnt, with its port (-1:
 * forgotten) and when it was last seen. */
struct model_entry {
	uint64_t key; /* the MAC, +1 so that 0 marks a free slot */
	int port;
	uint64_t seen;
	uint32_t stamp; /* duplicate detection while checking */
};

static struct model_entry model[MODEL_SLOTS];
static bool port_used[SWITCH_MAX_PORTS];
static int nr_ports;
static uint64_t now;
static uint32_t stamp;
static struct netswitch sw, before;
static struct switch_dest dest;
static uint8_t frame[SWITCH_MAX_FRAME + 1];

/* A broken promise of the switch: say which and stop (libFuzzer keeps the
 * input). */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_switch: %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static uint64_t mac_key(const uint8_t *mac)
{
	uint64_t k = 0;

	for (int i = 0; i < 6; i++)
		k = k << 8 | mac[i];
	return k + 1;
}

static struct model_entry *model_get(const uint8_t *mac)
{
	uint64_t key = mac_key(mac);
	uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 51) & (MODEL_SLOTS - 1);

	for (;; h = (h + 1) & (MODEL_SLOTS - 1)) {
		if (model[h].key == key)
			return &model[h];
		if (!model[h].key) {
			model[h].key = key;
			model[h].port = -1;
			return &model[h];
		}
	}
}

static bool model_live(const struct model_entry *m)
{
	return m->port >= 0 && now - m->seen < SWITCH_AGING_MS;
}

static bool entry_live(const struct switch_fdb_entry *e)
{
	return e->used && now - e->seen_ms < SWITCH_AGING_MS;
}

/* The whole table against the model. */
static void check_table(void)
{
	int live = 0, model_live_count = 0;

	stamp++;
	for (int i = 0; i < SWITCH_FDB_SIZE; i++) {
		const struct switch_fdb_entry *e = &sw.fdb[i];
		struct model_entry *m;

		if (!e->used)
			continue;
		CHECK(!(e->mac[0] & 1)); /* a group address is never a station */
		CHECK(e->port >= 0 && e->port < SWITCH_MAX_PORTS && port_used[e->port]);
		m = model_get(e->mac);
		CHECK(m->stamp != stamp); /* one entry per MAC */
		m->stamp = stamp;
		if (!entry_live(e))
			continue;
		live++;
		CHECK(model_live(m) && m->port == e->port && m->seen == e->seen_ms);
		CHECK(switch_lookup(&sw, e->mac, now) == e->port);
	}
	for (int i = 0; i < MODEL_SLOTS; i++)
		model_live_count += model[i].key && model_live(&model[i]);
	CHECK(live == model_live_count);
	for (int p = 0; p < SWITCH_MAX_PORTS; p++)
		CHECK(sw.port_used[p] == port_used[p]);
}

/* A port chosen by the input: mostly a real one, sometimes anything. */
static int pick_port(uint8_t sel)
{
	int n = sel % (nr_ports ? nr_ports : 1);

	if (sel & 0x80 || !nr_ports)
		return (int8_t)sel; /* -128..127: mostly not a port */
	for (int p = 0; p < SWITCH_MAX_PORTS; p++)
		if (port_used[p] && n-- == 0)
			return p;
	abort();
}

/* 128 unicast stations, 127 multicast groups, broadcast. */
static void pick_mac(uint8_t sel, uint8_t *mac)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t m[6] = {
	    sel & 0x80 ? 0x01 : 0x52, sel & 0x80 ? 0x00 : 0x54, 0, 0, 0, sel & 0x7f};

	memcpy(mac, sel == 0xff ? bcast : m, 6);
}

static size_t pick_len(uint8_t sel)
{
	if (sel < SWITCH_MIN_FRAME)
		return sel; /* too short */
	if (sel == 0xff)
		return SWITCH_MAX_FRAME + 1; /* too long */
	if (sel == 0xfe)
		return SWITCH_MAX_FRAME;
	return sel + 46u;
}

static void check_step_changed_nothing(void)
{
	CHECK(!memcmp(&before, &sw, sizeof(sw)));
	CHECK(dest.n == 0);
}

/* The table was full of live entries and src is new: which one goes. */
static bool will_evict(const uint8_t *src)
{
	if (src[0] & 1)
		return false;
	for (int i = 0; i < SWITCH_FDB_SIZE; i++) {
		if (!entry_live(&sw.fdb[i]))
			return false;
		if (!memcmp(sw.fdb[i].mac, src, 6))
			return false;
	}
	return true;
}

static void check_eviction(const uint8_t *src)
{
	uint64_t oldest = UINT64_MAX;
	int slot = -1;

	for (int i = 0; i < SWITCH_FDB_SIZE; i++) {
		if (before.fdb[i].seen_ms < oldest)
			oldest = before.fdb[i].seen_ms;
		if (!memcmp(sw.fdb[i].mac, src, 6))
			slot = i;
	}
	CHECK(slot >= 0);
	/* The least recently seen station made room. */
	CHECK(before.fdb[slot].seen_ms == oldest);
	model_get(before.fdb[slot].mac)->port = -1;
}

static void step_frame(int in, const uint8_t *dst, const uint8_t *src, size_t len)
{
	bool valid_port = in >= 0 && in < SWITCH_MAX_PORTS && port_used[in];
	bool valid_len = len >= SWITCH_MIN_FRAME && len <= SWITCH_MAX_FRAME;
	bool evict = valid_port && valid_len && will_evict(src);
	struct model_entry *owner;
	int r, expect_owner = -1;

	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	if (!valid_port || !valid_len || evict)
		before = sw;
	r = switch_forward(&sw, in, frame, len, now, &dest);
	if (!valid_port || !valid_len) {
		CHECK(r == (valid_port ? -EINVAL : -ENOENT));
		check_step_changed_nothing();
		return;
	}
	CHECK(r == 0);
	if (evict)
		check_eviction(src);
	if (!(src[0] & 1)) {
		struct model_entry *m = model_get(src);

		m->port = in;
		m->seen = now;
		CHECK(switch_lookup(&sw, src, now) == in);
	}
	owner = dst[0] & 1 ? NULL : model_get(dst);
	if (owner && model_live(owner))
		expect_owner = owner->port;
	/* Never back to where it came from; never twice to one port. */
	for (int i = 0; i < dest.n; i++) {
		CHECK(dest.port[i] != in);
		CHECK(dest.port[i] >= 0 && dest.port[i] < SWITCH_MAX_PORTS);
		CHECK(port_used[dest.port[i]]);
		for (int j = 0; j < i; j++)
			CHECK(dest.port[i] != dest.port[j]);
	}
	if (expect_owner >= 0) {
		CHECK(!dest.flooded);
		CHECK(dest.n == (expect_owner == in ? 0 : 1));
		CHECK(dest.n == 0 || dest.port[0] == expect_owner);
	} else {
		CHECK(dest.flooded);
		CHECK(dest.n == nr_ports - 1);
	}
}

static void step_add_port(void)
{
	int p = switch_port_add(&sw);

	if (nr_ports == SWITCH_MAX_PORTS) {
		CHECK(p == -ENOSPC);
		return;
	}
	CHECK(p >= 0 && p < SWITCH_MAX_PORTS && !port_used[p]);
	port_used[p] = true;
	nr_ports++;
}

static void step_remove_port(int p)
{
	if (p < 0 || p >= SWITCH_MAX_PORTS || !port_used[p]) {
		before = sw;
		dest.n = 0;
		switch_port_remove(&sw, p);
		check_step_changed_nothing();
		return;
	}
	switch_port_remove(&sw, p);
	port_used[p] = false;
	nr_ports--;
	for (int i = 0; i < MODEL_SLOTS; i++)
		if (model[i].key && model[i].port == p)
			model[i].port = -1;
	CHECK(switch_port_macs(&sw, p, now, NULL, 0) == 0);
}

static void step_clock(uint16_t delta, uint8_t unit)
{
	switch (unit % 4) {
	case 0:
		now += delta;
		break;
	case 1:
		now += delta * 1000ull;
		break;
	case 2:
		now += delta * 60000ull;
		break;
	default: /* around the aging boundary */
		now += SWITCH_AGING_MS - 1 + delta % 3;
		break;
	}
}

/* count frames from one port with new source MACs, to fill the table. */
static void step_burst(int in, uint16_t base, uint8_t count)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	for (int i = 0; i < count; i++) {
		unsigned idx = (base + (unsigned)i) % BURST_MACS;
		const uint8_t src[6] = {0x52, 0x54, 0x01, 0, (uint8_t)(idx >> 8), (uint8_t)idx};

		step_frame(in, bcast, src, 60);
		now += i & 1; /* distinct ages, with ties */
	}
}

/* The MACs a port reports are exactly the live ones the model gives it. */
static void step_query(int p, uint8_t max)
{
	static uint8_t macs[256][6];
	int n = switch_port_macs(&sw, p, now, macs, max), expect = 0;

	CHECK(n >= 0 && n <= max);
	for (int i = 0; i < n; i++) {
		CHECK(switch_lookup(&sw, macs[i], now) == p);
		for (int j = 0; j < i; j++)
			CHECK(memcmp(macs[i], macs[j], 6));
	}
	for (int i = 0; i < MODEL_SLOTS; i++)
		expect += model[i].key && model_live(&model[i]) && model[i].port == p;
	CHECK(n == (expect < max ? expect : max));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;

	memset(model, 0, sizeof(model));
	memset(port_used, 0, sizeof(port_used));
	nr_ports = 0;
	now = 0;
	switch_init(&sw);
	while (p < end) {
		uint8_t op = *p++;
		uint8_t a[4] = {0};
		uint8_t dst[6], src[6];

		/* Steps but "add a port" take four argument bytes (0 when cut
		 * short). */
		for (int i = 0; i < 4 && p < end && op % 6 != 0; i++)
			a[i] = *p++;
		switch (op % 6) {
		case 0:
			step_add_port();
			break;
		case 1:
			step_remove_port(pick_port(a[0]));
			break;
		case 2:
			pick_mac(a[1], dst);
			pick_mac(a[2], src);
			step_frame(pick_port(a[0]), dst, src, pick_len(a[3]));
			break;
		case 3:
			step_clock((uint16_t)(a[0] | a[1] << 8), a[2]);
			break;
		case 4:
			step_burst(pick_port(a[0]), (uint16_t)(a[1] | a[2] << 8), a[3]);
			break;
		default:
			step_query(pick_port(a[0]), a[1]);
			break;
		}
		check_table();
	}
	return 0;
}
