/* The New Network wizard's checks (tui/wizard-netcheck.c): each bad input
 * a user can type is refused with a message for its own field, overlaps
 * with host routes and other networks are caught, the offered subnets
 * avoid them, and the CAP_NET_ADMIN probe reads /proc's CapEff. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wizard-netcheck.h"

static struct net_config others[2];
static struct ipv4_subnet routes[1];
static struct netwiz_env env;

static void setup(void)
{
	memset(others, 0, sizeof(others));
	snprintf(others[0].name, sizeof(others[0].name), "default");
	others[0].mode = NET_MODE_NAT;
	snprintf(others[0].subnet, sizeof(others[0].subnet), "10.0.2.0/24");
	snprintf(others[1].name, sizeof(others[1].name), "lab");
	others[1].mode = NET_MODE_NATNET;
	snprintf(others[1].subnet, sizeof(others[1].subnet), "10.0.3.0/24");
	/* The host's own LAN. */
	routes[0] = (struct ipv4_subnet){0xc0a83800, 24}; /* 192.168.56.0/24 */
	env = (struct netwiz_env){others, 2, routes, 1};
}

static struct net_config cfg_of(enum net_mode mode, const char *subnet, const char *start,
				const char *end)
{
	struct net_config c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "new1");
	c.mode = mode;
	snprintf(c.subnet, sizeof(c.subnet), "%s", subnet);
	snprintf(c.dhcp_start, sizeof(c.dhcp_start), "%s", start);
	snprintf(c.dhcp_end, sizeof(c.dhcp_end), "%s", end);
	return c;
}

START_TEST(test_name)
{
	char msg[256];

	ck_assert_int_eq(netwiz_check_name("web-net", &env, msg, sizeof(msg)), 0);
	ck_assert_int_lt(netwiz_check_name("", &env, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "required"));
	ck_assert_int_lt(netwiz_check_name("bad name", &env, msg, sizeof(msg)), 0);
	ck_assert_int_lt(netwiz_check_name("lab", &env, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "network 'lab' already exists");
}
END_TEST

START_TEST(test_subnet)
{
	struct net_config c;
	char msg[256];

	c = cfg_of(NET_MODE_NATNET, "10.0.9.0/24", "", "");
	ck_assert_int_eq(netwiz_check_subnet(&c, &env, msg, sizeof(msg)), 0);
	/* Not a subnet at all, a host address, an empty field. */
	c = cfg_of(NET_MODE_NATNET, "10.0.300.0/24", "", "");
	ck_assert_int_lt(netwiz_check_subnet(&c, &env, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "10.0.300.0/24"));
	c = cfg_of(NET_MODE_NATNET, "10.0.9.1/24", "", "");
	ck_assert_int_lt(netwiz_check_subnet(&c, &env, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "10.0.9.0/24"));
	c = cfg_of(NET_MODE_NATNET, "", "", "");
	ck_assert_int_lt(netwiz_check_subnet(&c, &env, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "required"));
	/* natnet over another natnet network's subnet. */
	c = cfg_of(NET_MODE_NATNET, "10.0.3.0/24", "", "");
	ck_assert_int_lt(netwiz_check_subnet(&c, &env, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "lab"));
	/* hostonly over a host route. */
	c = cfg_of(NET_MODE_HOSTONLY, "192.168.56.0/24", "", "");
	ck_assert_int_lt(netwiz_check_subnet(&c, &env, msg, sizeof(msg)), 0);
	/* nat networks may share a subnet: each VM has its own NAT. */
	c = cfg_of(NET_MODE_NAT, "10.0.2.0/24", "", "");
	ck_assert_int_ge(netwiz_check_subnet(&c, &env, msg, sizeof(msg)), 0);
	/* internal and bridged take none: nothing to check. */
	c = cfg_of(NET_MODE_INTERNAL, "", "", "");
	ck_assert_int_eq(netwiz_check_subnet(&c, &env, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(test_dhcp)
{
	struct net_config c;
	char msg[256];

	c = cfg_of(NET_MODE_NATNET, "10.0.9.0/24", "10.0.9.15", "10.0.9.30");
	ck_assert_int_eq(netwiz_check_dhcp(&c, false, &env, msg, sizeof(msg)), 0);
	ck_assert_int_eq(netwiz_check_dhcp(&c, true, &env, msg, sizeof(msg)), 0);
	/* Outside the subnet: said beside the field that is outside. */
	c = cfg_of(NET_MODE_NATNET, "10.0.9.0/24", "10.0.10.15", "10.0.9.30");
	ck_assert_int_lt(netwiz_check_dhcp(&c, false, &env, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "10.0.10.15 is outside 10.0.9.0/24");
	ck_assert_int_eq(netwiz_check_dhcp(&c, true, &env, msg, sizeof(msg)), 0);
	/* Not an address. */
	c = cfg_of(NET_MODE_NATNET, "10.0.9.0/24", "10.0.9", "10.0.9.30");
	ck_assert_int_lt(netwiz_check_dhcp(&c, false, &env, msg, sizeof(msg)), 0);
	/* Backwards, and more than libslirp's 16 addresses. */
	c = cfg_of(NET_MODE_NATNET, "10.0.9.0/24", "10.0.9.30", "10.0.9.15");
	ck_assert_int_lt(netwiz_check_dhcp(&c, true, &env, msg, sizeof(msg)), 0);
	c = cfg_of(NET_MODE_NATNET, "10.0.9.0/24", "10.0.9.15", "10.0.9.100");
	ck_assert_int_lt(netwiz_check_dhcp(&c, true, &env, msg, sizeof(msg)), 0);
	/* One end only. */
	c = cfg_of(NET_MODE_HOSTONLY, "192.168.77.0/24", "192.168.77.100", "");
	ck_assert_int_lt(netwiz_check_dhcp(&c, true, &env, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "both ends"));
	/* hostonly without DHCP is allowed, and said. */
	c = cfg_of(NET_MODE_HOSTONLY, "192.168.77.0/24", "", "");
	ck_assert_int_eq(netwiz_check_dhcp(&c, false, &env, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "no DHCP"));
	/* A bad subnet is its own field's business. */
	c = cfg_of(NET_MODE_NATNET, "nonsense", "10.0.9.15", "10.0.9.30");
	ck_assert_int_eq(netwiz_check_dhcp(&c, false, &env, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(test_forwards)
{
	struct net_config c;
	struct net_forward fwd;
	char msg[256];

	c = cfg_of(NET_MODE_NAT, "10.0.2.0/24", "", "");
	ck_assert_int_eq(
	    netwiz_check_forward("tcp:2222-web:22", &c, 0, &env, &fwd, msg, sizeof(msg)), 0);
	ck_assert_str_eq(fwd.guest_vm, "web");
	ck_assert_uint_eq(fwd.host_port, 2222);
	ck_assert_int_eq(netwiz_check_forward("", &c, 0, &env, &fwd, msg, sizeof(msg)), 0);
	ck_assert_int_lt(
	    netwiz_check_forward("tcp:99999-web:22", &c, 0, &env, &fwd, msg, sizeof(msg)), 0);
	ck_assert_int_lt(
	    netwiz_check_forward("sctp:2222-web:22", &c, 0, &env, &fwd, msg, sizeof(msg)), 0);
	/* nat wants a VM, natnet an address in its subnet. */
	ck_assert_int_lt(
	    netwiz_check_forward("tcp:2222-10.0.2.15:22", &c, 0, &env, &fwd, msg, sizeof(msg)), 0);
	c = cfg_of(NET_MODE_NATNET, "10.0.9.0/24", "", "");
	ck_assert_int_lt(
	    netwiz_check_forward("tcp:2222-web:22", &c, 0, &env, &fwd, msg, sizeof(msg)), 0);
	ck_assert_int_lt(
	    netwiz_check_forward("tcp:2222-10.0.10.15:22", &c, 0, &env, &fwd, msg, sizeof(msg)), 0);
	ck_assert_int_eq(
	    netwiz_check_forward("tcp:2222-10.0.9.15:22", &c, 0, &env, &fwd, msg, sizeof(msg)), 0);
	/* The same host port twice. */
	c.forwards[0] = fwd;
	c.nr_forwards = 1;
	ck_assert_int_lt(
	    netwiz_check_forward("tcp:2222-10.0.9.16:22", &c, 1, &env, &fwd, msg, sizeof(msg)), 0);
	ck_assert_int_eq(
	    netwiz_check_forward("udp:2222-10.0.9.16:22", &c, 1, &env, &fwd, msg, sizeof(msg)), 0);
	/* Modes without forwards. */
	c = cfg_of(NET_MODE_INTERNAL, "", "", "");
	ck_assert_int_lt(
	    netwiz_check_forward("tcp:2222-web:22", &c, 0, &env, &fwd, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(test_bridge)
{
	char dir[] = "/tmp/netcheck-sysfs.XXXXXX", path[512], msg[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/br7", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/br7/bridge", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/eth7", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);

	ck_assert_int_eq(netwiz_check_bridge("br7", dir, msg, sizeof(msg)), 0);
	ck_assert_int_lt(netwiz_check_bridge("eth7", dir, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "not a bridge"));
	ck_assert_int_gt(netwiz_check_bridge("br9", dir, msg, sizeof(msg)), 0);
	ck_assert_int_lt(netwiz_check_bridge("", dir, msg, sizeof(msg)), 0);
	ck_assert_int_lt(netwiz_check_bridge("a-very-long-bridge", dir, msg, sizeof(msg)), 0);
	ck_assert_int_lt(netwiz_check_bridge("../x", dir, msg, sizeof(msg)), 0);

	rmdir(path);
	snprintf(path, sizeof(path), "%s/br7/bridge", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/br7", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_defaults)
{
	char buf[32], a[16], b[16];

	netwiz_default_subnet(NET_MODE_NAT, &env, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.0.2.0/24");
	/* 10.0.3.0/24 is lab's (natnet); 10.0.2.0/24 is nat, which natnet
	 * may overlap. */
	netwiz_default_subnet(NET_MODE_NATNET, &env, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.0.2.0/24");
	/* 192.168.56.0/24 is a host route. */
	netwiz_default_subnet(NET_MODE_HOSTONLY, &env, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.168.57.0/24");
	netwiz_default_subnet(NET_MODE_INTERNAL, &env, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");

	netwiz_default_dhcp(NET_MODE_NATNET, "10.0.9.0/24", a, sizeof(a), b, sizeof(b));
	ck_assert_str_eq(a, "10.0.9.15");
	ck_assert_str_eq(b, "10.0.9.30");
	netwiz_default_dhcp(NET_MODE_HOSTONLY, "192.168.57.0/24", a, sizeof(a), b, sizeof(b));
	ck_assert_str_eq(a, "192.168.57.100");
	ck_assert_str_eq(b, "192.168.57.199");
	netwiz_default_dhcp(NET_MODE_NATNET, "junk", a, sizeof(a), b, sizeof(b));
	ck_assert_str_eq(a, "");
	ck_assert_str_eq(b, "");
}
END_TEST

START_TEST(test_defaults_avoid_natnet_too)
{
	char buf[32];

	/* A natnet network over 10.0.2.0-10.0.3.255: the offer skips both. */
	snprintf(others[1].subnet, sizeof(others[1].subnet), "10.0.2.0/23");
	netwiz_default_subnet(NET_MODE_NATNET, &env, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.0.4.0/24");
}
END_TEST

START_TEST(test_caps)
{
	ck_assert(netwiz_status_has_net_admin("Name:\tx\nCapEff:\t000001ffffffffff\n"));
	ck_assert(netwiz_status_has_net_admin("CapEff:\t0000000000001000\n"));
	ck_assert(!netwiz_status_has_net_admin("Name:\tx\nCapEff:\t0000000000000000\n"));
	ck_assert(!netwiz_status_has_net_admin("Name:\tx\nCapEff:\t0000000000000fff\n"));
	ck_assert(!netwiz_status_has_net_admin("Name:\tx\n"));
	ck_assert(!netwiz_status_has_net_admin("CapEff:\tzz\n"));
}
END_TEST

START_TEST(test_reachability)
{
	/* docs/networks.md's table, a row per mode. */
	ck_assert_str_eq(netwiz_reachability(NET_MODE_NAT)[3], "port forwards");
	ck_assert_str_eq(netwiz_reachability(NET_MODE_NAT)[1], "no");
	ck_assert_str_eq(netwiz_reachability(NET_MODE_NATNET)[1], "yes");
	ck_assert_str_eq(netwiz_reachability(NET_MODE_INTERNAL)[0], "no");
	ck_assert_str_eq(netwiz_reachability(NET_MODE_HOSTONLY)[0], "yes");
	ck_assert_str_eq(netwiz_reachability(NET_MODE_HOSTONLY)[2], "no");
	ck_assert_str_eq(netwiz_reachability(NET_MODE_BRIDGED)[3], "yes");
	ck_assert(netwiz_mode_needs_admin(NET_MODE_HOSTONLY));
	ck_assert(netwiz_mode_needs_admin(NET_MODE_BRIDGED));
	ck_assert(!netwiz_mode_needs_admin(NET_MODE_NATNET));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_netcheck");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_subnet);
	tcase_add_test(tc, test_dhcp);
	tcase_add_test(tc, test_forwards);
	tcase_add_test(tc, test_bridge);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_defaults_avoid_natnet_too);
	tcase_add_test(tc, test_caps);
	tcase_add_test(tc, test_reachability);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
