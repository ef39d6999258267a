/* Host isolation of the NAT backends (backend/vmm/net_filter.c): frames a
 * guest on 10.0.2.0/24 sends are judged as libslirp would carry them --
 * to the host (dropped) or elsewhere (passed) -- and port-forward answers
 * pass only inside a conversation the host side opened. */
#include <arpa/inet.h>
#include <check.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>

#include "net_filter.h"

static struct net_filter f;
static uint8_t frame[128];

static struct in_addr addr(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 (20-byte header) + 8 bytes of L4; returns its length. */
static size_t ip4(const char *src, const char *dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct in_addr s = addr(src), d = addr(dst);

	memset(frame, 0, sizeof(frame));
	put16(frame + 12, 0x0800);
	frame[14] = 0x45;
	put16(frame + 16, 28);
	frame[22] = 64;
	frame[23] = proto;
	memcpy(frame + 26, &s, 4);
	memcpy(frame + 30, &d, 4);
	if (proto == IPPROTO_ICMP) {
		frame[34] = (uint8_t)sport; /* the ICMP type */
	} else {
		put16(frame + 34, sport);
		put16(frame + 36, dport);
	}
	return 42;
}

static enum net_filter_verdict out4(const char *dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
	size_t len = ip4("10.0.2.15", dst, proto, sport, dport);

	return net_filter_from_guest(&f, frame, len);
}

static void setup(void)
{
	struct net_filter_hosts hosts = {.nr4 = 2, .nr6 = 1};

	net_filter_init(&f, addr("10.0.2.0"), addr("255.255.255.0"), addr("10.0.2.2"),
			addr("10.0.2.3"));
	hosts.v4[0] = addr("192.0.2.1");
	hosts.v4[1] = addr("198.51.100.7");
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &hosts.v6[0]), 1);
	net_filter_set_hosts(&f, &hosts);
}

START_TEST(test_gateway_is_the_host)
{
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 4444, 5555), NET_FILTER_DROP);
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_TCP, 4444, 22), NET_FILTER_DROP);
	/* Any other address of the NAT's network is loopback to libslirp. */
	ck_assert_int_eq(out4("10.0.2.99", IPPROTO_UDP, 4444, 5555), NET_FILTER_DROP);
	ck_assert_int_eq(out4("10.0.2.255", IPPROTO_UDP, 4444, 5555), NET_FILTER_DROP);
}
END_TEST

START_TEST(test_router_services_pass)
{
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_ICMP, 8, 0), NET_FILTER_PASS);
	ck_assert_int_eq(out4("10.0.2.3", IPPROTO_ICMP, 8, 0), NET_FILTER_PASS);
	ck_assert_int_eq(out4("10.0.2.3", IPPROTO_UDP, 4444, 53), NET_FILTER_PASS);
	ck_assert_int_eq(out4("10.0.2.3", IPPROTO_TCP, 4444, 53), NET_FILTER_PASS);
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 68, 67), NET_FILTER_PASS);
	ck_assert_int_eq(out4("255.255.255.255", IPPROTO_UDP, 68, 67), NET_FILTER_PASS);
	/* Only those: another ICMP type, DNS to the gateway, another port on
	 * the DNS address (libslirp would send it to the host's resolver). */
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_ICMP, 13, 0), NET_FILTER_DROP);
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 4444, 53), NET_FILTER_DROP);
	ck_assert_int_eq(out4("10.0.2.3", IPPROTO_UDP, 4444, 7), NET_FILTER_DROP);
}
END_TEST

START_TEST(test_host_addresses_dropped)
{
	struct in6_addr a6;

	ck_assert_int_eq(out4("192.0.2.1", IPPROTO_UDP, 4444, 7), NET_FILTER_DROP);
	ck_assert_int_eq(out4("192.0.2.1", IPPROTO_ICMP, 8, 0), NET_FILTER_DROP);
	ck_assert_int_eq(out4("198.51.100.7", IPPROTO_TCP, 4444, 80), NET_FILTER_DROP);
	ck_assert_int_eq(out4("127.0.0.1", IPPROTO_TCP, 4444, 80), NET_FILTER_DROP);
	ck_assert_int_eq(out4("127.1.2.3", IPPROTO_UDP, 4444, 80), NET_FILTER_DROP);
	ck_assert_int_eq(out4("0.0.0.0", IPPROTO_TCP, 4444, 80), NET_FILTER_DROP);

	/* IPv6 to the host's address or loopback. */
	memset(frame, 0, sizeof(frame));
	put16(frame + 12, 0x86dd);
	frame[14] = 0x60;
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &a6), 1);
	memcpy(frame + 14 + 24, &a6, 16);
	ck_assert_int_eq(net_filter_from_guest(&f, frame, 14 + 40 + 8), NET_FILTER_DROP);
	ck_assert_int_eq(inet_pton(AF_INET6, "::1", &a6), 1);
	memcpy(frame + 14 + 24, &a6, 16);
	ck_assert_int_eq(net_filter_from_guest(&f, frame, 14 + 40 + 8), NET_FILTER_DROP);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::2", &a6), 1);
	memcpy(frame + 14 + 24, &a6, 16);
	ck_assert_int_eq(net_filter_from_guest(&f, frame, 14 + 40 + 8), NET_FILTER_PASS);
}
END_TEST

START_TEST(test_outside_and_non_ip_pass)
{
	ck_assert_int_eq(out4("192.0.2.2", IPPROTO_UDP, 4444, 7), NET_FILTER_PASS);
	ck_assert_int_eq(out4("192.0.2.2", IPPROTO_ICMP, 8, 0), NET_FILTER_PASS);
	ck_assert_int_eq(out4("203.0.113.9", IPPROTO_TCP, 4444, 443), NET_FILTER_PASS);
	memset(frame, 0, sizeof(frame));
	put16(frame + 12, 0x0806); /* ARP */
	ck_assert_int_eq(net_filter_from_guest(&f, frame, 42), NET_FILTER_PASS);
}
END_TEST

START_TEST(test_host_addresses_replaced)
{
	struct net_filter_hosts hosts = {.nr4 = 1};

	hosts.v4[0] = addr("203.0.113.9");
	net_filter_set_hosts(&f, &hosts);
	ck_assert_int_eq(out4("192.0.2.1", IPPROTO_UDP, 4444, 7), NET_FILTER_PASS);
	ck_assert_int_eq(out4("203.0.113.9", IPPROTO_UDP, 4444, 7), NET_FILTER_DROP);
}
END_TEST

START_TEST(test_forward_answers_pass_in_their_flow_only)
{
	size_t len;

	/* A client on the host's loopback reaches guest port 7 through a
	 * forward: libslirp shows it as the gateway, port 40000. */
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 7, 40000), NET_FILTER_DROP);
	len = ip4("10.0.2.2", "10.0.2.15", IPPROTO_UDP, 40000, 7);
	net_filter_to_guest(&f, frame, len);
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 7, 40000), NET_FILTER_PASS);
	/* Not from another guest port, to another host port, or over TCP. */
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 8, 40000), NET_FILTER_DROP);
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 7, 40001), NET_FILTER_DROP);
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_TCP, 7, 40000), NET_FILTER_DROP);
	/* A client on a host address is seen with that address. */
	len = ip4("192.0.2.1", "10.0.2.15", IPPROTO_TCP, 50000, 22);
	net_filter_to_guest(&f, frame, len);
	ck_assert_int_eq(out4("192.0.2.1", IPPROTO_TCP, 22, 50000), NET_FILTER_PASS);
	/* Outside clients open nothing (their answers pass anyway). */
	len = ip4("192.0.2.2", "10.0.2.15", IPPROTO_UDP, 1234, 7);
	net_filter_to_guest(&f, frame, len);
	for (int i = 0; i < NET_FILTER_MAX_FLOWS; i++)
		ck_assert_uint_ne(f.flows[i].host_addr, addr("192.0.2.2").s_addr);
}
END_TEST

START_TEST(test_flow_table_evicts_least_recently_used)
{
	size_t len;

	for (int i = 0; i < NET_FILTER_MAX_FLOWS; i++) {
		len = ip4("10.0.2.2", "10.0.2.15", IPPROTO_UDP, (uint16_t)(30000 + i), 7);
		net_filter_to_guest(&f, frame, len);
	}
	/* Use the first flow again: the second becomes the oldest. */
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 7, 30000), NET_FILTER_PASS);
	len = ip4("10.0.2.2", "10.0.2.15", IPPROTO_UDP, 40000, 7);
	net_filter_to_guest(&f, frame, len);
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 7, 40000), NET_FILTER_PASS);
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 7, 30000), NET_FILTER_PASS);
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 7, 30001), NET_FILTER_DROP);
	ck_assert_int_eq(out4("10.0.2.2", IPPROTO_UDP, 7, 30002), NET_FILTER_PASS);
}
END_TEST

START_TEST(test_broken_ip_frames_dropped)
{
	size_t len = ip4("10.0.2.15", "192.0.2.2", IPPROTO_UDP, 4444, 7);

	/* Shorter than an IPv4 header; a header length beyond the frame; not
	 * version 4; a header length under 20. */
	ck_assert_int_eq(net_filter_from_guest(&f, frame, 14 + 19), NET_FILTER_DROP);
	frame[14] = 0x4f;
	ck_assert_int_eq(net_filter_from_guest(&f, frame, len), NET_FILTER_DROP);
	frame[14] = 0x65;
	ck_assert_int_eq(net_filter_from_guest(&f, frame, len), NET_FILTER_DROP);
	frame[14] = 0x44;
	ck_assert_int_eq(net_filter_from_guest(&f, frame, len), NET_FILTER_DROP);
	/* A later fragment to the host carries no ports: no exception. */
	len = ip4("10.0.2.15", "10.0.2.3", IPPROTO_UDP, 4444, 53);
	put16(frame + 20, 0x0010);
	ck_assert_int_eq(net_filter_from_guest(&f, frame, len), NET_FILTER_DROP);
	/* Ports cut off: judged by address alone. */
	len = ip4("10.0.2.15", "10.0.2.3", IPPROTO_UDP, 4444, 53);
	ck_assert_int_eq(net_filter_from_guest(&f, frame, 14 + 20 + 2), NET_FILTER_DROP);
	ck_assert_int_eq(net_filter_from_guest(&f, frame, len), NET_FILTER_PASS);
	/* IPv6 shorter than its header. */
	put16(frame + 12, 0x86dd);
	ck_assert_int_eq(net_filter_from_guest(&f, frame, 14 + 30), NET_FILTER_DROP);
	/* Not even an Ethernet header: the NAT drops those itself. */
	ck_assert_int_eq(net_filter_from_guest(&f, frame, 10), NET_FILTER_PASS);
}
END_TEST

START_TEST(test_read_hosts_lists_this_hosts_addresses)
{
	static struct net_filter_hosts hosts;
	struct ifaddrs *list, *ifa;
	char err[128] = "";
	int want = 0;

	ck_assert_int_eq(net_filter_read_hosts(&hosts, err, sizeof(err)), 0);
	ck_assert_int_eq(getifaddrs(&list), 0);
	for (ifa = list; ifa; ifa = ifa->ifa_next)
		want += ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET;
	freeifaddrs(list);
	ck_assert_int_eq(hosts.nr4, want < NET_FILTER_MAX_HOST4 ? want : NET_FILTER_MAX_HOST4);
	/* Judged against them: the first one is the host. */
	if (hosts.nr4) {
		char a[INET_ADDRSTRLEN];

		net_filter_set_hosts(&f, &hosts);
		inet_ntop(AF_INET, &hosts.v4[0], a, sizeof(a));
		ck_assert_int_eq(out4(a, IPPROTO_UDP, 4444, 7), NET_FILTER_DROP);
	}
}
END_TEST

static Suite *net_filter_suite(void)
{
	Suite *s = suite_create("net_filter");
	TCase *tc = tcase_create("filter");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_gateway_is_the_host);
	tcase_add_test(tc, test_router_services_pass);
	tcase_add_test(tc, test_host_addresses_dropped);
	tcase_add_test(tc, test_outside_and_non_ip_pass);
	tcase_add_test(tc, test_host_addresses_replaced);
	tcase_add_test(tc, test_forward_answers_pass_in_their_flow_only);
	tcase_add_test(tc, test_flow_table_evicts_least_recently_used);
	tcase_add_test(tc, test_broken_ip_frames_dropped);
	tcase_add_test(tc, test_read_hosts_lists_this_hosts_addresses);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(net_filter_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
