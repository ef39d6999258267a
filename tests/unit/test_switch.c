/* virtty-netd's forwarding table (backend/netd/switch.c): learning, aging,
 * unicast against flooding, ports going away, malformed frames. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netd/switch.h"

static struct netswitch sw;
static struct switch_dest d;
static int p0, p1, p2;

static const uint8_t mac_a[6] = {0x52, 0x54, 0x00, 0, 0, 0xa};
static const uint8_t mac_b[6] = {0x52, 0x54, 0x00, 0, 0, 0xb};
static const uint8_t mac_c[6] = {0x52, 0x54, 0x00, 0, 0, 0xc};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

static uint8_t frame[64];

static const uint8_t *eth(const uint8_t *dst, const uint8_t *src)
{
	memset(frame, 0, sizeof(frame));
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = 0x08;
	return frame;
}

static bool dest_has(int port)
{
	for (int i = 0; i < d.n; i++)
		if (d.port[i] == port)
			return true;
	return false;
}

static void setup(void)
{
	switch_init(&sw);
	p0 = switch_port_add(&sw);
	p1 = switch_port_add(&sw);
	p2 = switch_port_add(&sw);
	ck_assert(p0 >= 0 && p1 >= 0 && p2 >= 0);
}

START_TEST(test_unknown_unicast_floods_to_others)
{
	ck_assert_int_eq(switch_forward(&sw, p0, eth(mac_b, mac_a), 60, 0, &d), 0);
	ck_assert(d.flooded);
	ck_assert_int_eq(d.n, 2);
	ck_assert(dest_has(p1) && dest_has(p2) && !dest_has(p0));
}
END_TEST

START_TEST(test_learnt_unicast_goes_to_owner_only)
{
	switch_forward(&sw, p1, eth(bcast, mac_b), 60, 0, &d);
	ck_assert_int_eq(switch_lookup(&sw, mac_b, 0), p1);
	ck_assert_int_eq(switch_forward(&sw, p0, eth(mac_b, mac_a), 60, 10, &d), 0);
	ck_assert(!d.flooded);
	ck_assert_int_eq(d.n, 1);
	ck_assert_int_eq(d.port[0], p1);
	/* and the reply goes back to p0 only, learnt from the request */
	switch_forward(&sw, p1, eth(mac_a, mac_b), 60, 20, &d);
	ck_assert_int_eq(d.n, 1);
	ck_assert_int_eq(d.port[0], p0);
}
END_TEST

START_TEST(test_frame_for_own_port_is_filtered)
{
	switch_forward(&sw, p0, eth(bcast, mac_a), 60, 0, &d);
	switch_forward(&sw, p0, eth(bcast, mac_c), 60, 0, &d);
	ck_assert_int_eq(switch_forward(&sw, p0, eth(mac_c, mac_a), 60, 0, &d), 0);
	ck_assert_int_eq(d.n, 0);
	ck_assert(!d.flooded);
}
END_TEST

START_TEST(test_broadcast_and_multicast_flood)
{
	switch_forward(&sw, p1, eth(bcast, mac_b), 60, 0, &d);
	ck_assert(d.flooded);
	ck_assert_int_eq(d.n, 2);
	ck_assert(dest_has(p0) && dest_has(p2));
	ck_assert_int_eq(switch_forward(&sw, p0, eth(mcast, mac_a), 60, 0, &d), 0);
	ck_assert(d.flooded);
	ck_assert(dest_has(p1) && dest_has(p2) && !dest_has(p0));
}
END_TEST

START_TEST(test_group_source_not_learnt)
{
	uint8_t macs[4][6];

	switch_forward(&sw, p0, eth(mac_b, mcast), 60, 0, &d);
	ck_assert_int_eq(switch_lookup(&sw, mcast, 0), -1);
	ck_assert_int_eq(switch_port_macs(&sw, p0, 0, macs, 4), 0);
	/* and a frame to that group address still floods */
	switch_forward(&sw, p1, eth(mcast, mac_b), 60, 0, &d);
	ck_assert(d.flooded);
}
END_TEST

START_TEST(test_aging_forgets_after_300_s)
{
	switch_forward(&sw, p1, eth(bcast, mac_b), 60, 1000, &d);
	ck_assert_int_eq(switch_lookup(&sw, mac_b, 1000 + SWITCH_AGING_MS - 1), p1);
	ck_assert_int_eq(switch_lookup(&sw, mac_b, 1000 + SWITCH_AGING_MS), -1);
	switch_forward(&sw, p0, eth(mac_b, mac_a), 60, 1000 + SWITCH_AGING_MS, &d);
	ck_assert(d.flooded);
	ck_assert_int_eq(d.n, 2);
}
END_TEST

START_TEST(test_traffic_refreshes_entry)
{
	switch_forward(&sw, p1, eth(bcast, mac_b), 60, 0, &d);
	switch_forward(&sw, p1, eth(mac_a, mac_b), 60, 200 * 1000, &d);
	ck_assert_int_eq(switch_lookup(&sw, mac_b, 400 * 1000), p1);
}
END_TEST

START_TEST(test_port_removal_forgets_macs)
{
	uint8_t macs[4][6];

	switch_forward(&sw, p1, eth(bcast, mac_b), 60, 0, &d);
	switch_forward(&sw, p1, eth(bcast, mac_c), 60, 0, &d);
	ck_assert_int_eq(switch_port_macs(&sw, p1, 0, macs, 4), 2);
	switch_port_remove(&sw, p1);
	ck_assert_int_eq(switch_lookup(&sw, mac_b, 0), -1);
	ck_assert_int_eq(switch_lookup(&sw, mac_c, 0), -1);
	switch_forward(&sw, p0, eth(mac_b, mac_a), 60, 0, &d);
	ck_assert(d.flooded);
	ck_assert_int_eq(d.n, 1);
	ck_assert_int_eq(d.port[0], p2);
	/* a removed port sends nothing */
	ck_assert_int_eq(switch_forward(&sw, p1, eth(bcast, mac_b), 60, 0, &d), -ENOENT);
	ck_assert_int_eq(d.n, 0);
	/* and its id is free again */
	ck_assert_int_eq(switch_port_add(&sw), p1);
}
END_TEST

START_TEST(test_bad_lengths_dropped)
{
	ck_assert_int_eq(switch_forward(&sw, p0, eth(bcast, mac_a), 13, 0, &d), -EINVAL);
	ck_assert_int_eq(d.n, 0);
	ck_assert_int_eq(switch_forward(&sw, p0, eth(bcast, mac_a), 0, 0, &d), -EINVAL);
	ck_assert_int_eq(switch_forward(&sw, p0, eth(bcast, mac_a), 65536, 0, &d), -EINVAL);
	/* nothing was learnt from them */
	ck_assert_int_eq(switch_lookup(&sw, mac_a, 0), -1);
	/* the shortest valid frame is a bare header */
	ck_assert_int_eq(switch_forward(&sw, p0, eth(bcast, mac_a), 14, 0, &d), 0);
	ck_assert_int_eq(d.n, 2);
}
END_TEST

START_TEST(test_mac_moves_between_ports)
{
	switch_forward(&sw, p1, eth(bcast, mac_b), 60, 0, &d);
	switch_forward(&sw, p2, eth(bcast, mac_b), 60, 5, &d);
	ck_assert_int_eq(switch_lookup(&sw, mac_b, 5), p2);
	switch_forward(&sw, p0, eth(mac_b, mac_a), 60, 6, &d);
	ck_assert_int_eq(d.n, 1);
	ck_assert_int_eq(d.port[0], p2);
	/* the old port no longer lists it */
	{
		uint8_t macs[4][6];

		ck_assert_int_eq(switch_port_macs(&sw, p1, 6, macs, 4), 0);
		ck_assert_int_eq(switch_port_macs(&sw, p2, 6, macs, 4), 1);
	}
}
END_TEST

START_TEST(test_full_table_evicts_oldest)
{
	uint8_t m[6] = {0x52, 0x54, 0x01, 0, 0, 0};

	/* mac_b first (oldest), then a flood of other sources from p0 */
	switch_forward(&sw, p1, eth(bcast, mac_b), 60, 0, &d);
	for (int i = 0; i < SWITCH_FDB_SIZE; i++) {
		m[4] = (uint8_t)(i >> 8);
		m[5] = (uint8_t)i;
		switch_forward(&sw, p0, eth(bcast, m), 60, (uint64_t)i + 1, &d);
	}
	ck_assert_int_eq(switch_lookup(&sw, mac_b, SWITCH_FDB_SIZE), -1);
	ck_assert_int_eq(switch_lookup(&sw, m, SWITCH_FDB_SIZE), p0);
}
END_TEST

START_TEST(test_port_limit)
{
	int n = 3;

	while (switch_port_add(&sw) >= 0)
		n++;
	ck_assert_int_eq(n, SWITCH_MAX_PORTS);
	ck_assert_int_eq(switch_port_add(&sw), -ENOSPC);
	/* a broadcast reaches every other port */
	switch_forward(&sw, p0, eth(bcast, mac_a), 60, 0, &d);
	ck_assert_int_eq(d.n, SWITCH_MAX_PORTS - 1);
}
END_TEST

static Suite *switch_suite(void)
{
	Suite *s = suite_create("switch");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_unknown_unicast_floods_to_others);
	tcase_add_test(tc, test_learnt_unicast_goes_to_owner_only);
	tcase_add_test(tc, test_frame_for_own_port_is_filtered);
	tcase_add_test(tc, test_broadcast_and_multicast_flood);
	tcase_add_test(tc, test_group_source_not_learnt);
	tcase_add_test(tc, test_aging_forgets_after_300_s);
	tcase_add_test(tc, test_traffic_refreshes_entry);
	tcase_add_test(tc, test_port_removal_forgets_macs);
	tcase_add_test(tc, test_bad_lengths_dropped);
	tcase_add_test(tc, test_mac_moves_between_ports);
	tcase_add_test(tc, test_full_table_evicts_oldest);
	tcase_add_test(tc, test_port_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(switch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
