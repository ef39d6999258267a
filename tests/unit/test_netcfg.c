/* Unit tests for backend/net/netcfg.c: subnets and addresses as users
 * type them, overlaps, DHCP ranges, port forwards, host routes from a
 * /proc/net/route fixture, MACs, and the whole-definition checks; plus
 * the mode and state names of driver.c. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/netcfg.h"

static char err[1024], warning[512];

static void assert_contains(const char *text, const char *needle)
{
	ck_assert_msg(strstr(text, needle) != NULL, "'%s' does not contain '%s'", text, needle);
}

/* ---- subnets and addresses ---- */

static const struct {
	const char *text;
	uint32_t addr;
	int prefix;
	const char *message; /* NULL: accepted */
} subnets[] = {
    {"10.0.2.0/24", 0x0a000200, 24, NULL},
    {"192.168.56.0/24", 0xc0a83800, 24, NULL},
    {"10.0.0.0/8", 0x0a000000, 8, NULL},
    {"172.16.0.0/12", 0xac100000, 12, NULL},
    {"10.0.2.4/30", 0x0a000204, 30, NULL},
    {"10.0.2.1/24", 0, 0,
     "subnet '10.0.2.1/24': 10.0.2.1 is not a network address; did you "
     "mean 10.0.2.0/24?"},
    {"10.0.2.130/25", 0, 0, "did you mean 10.0.2.128/25?"},
    {"10.0.2.0", 0, 0, "subnet '10.0.2.0' has no prefix length: add one, like 10.0.2.0/24"},
    {"10.0.2.0/33", 0, 0, "prefix /33 is out of range: use /8 to /30"},
    {"10.0.0.0/7", 0, 0, "prefix /7 is out of range"},
    {"10.0.2.0/31", 0, 0, "prefix /31 is out of range"},
    {"10.0.2.0/32", 0, 0, "prefix /32 is out of range"},
    {"10.0.2.0/", 0, 0, "the prefix length must be a number from 8 to 30"},
    {"10.0.2.0/024", 0, 0, "the prefix length must be a number"},
    {"10.0.2.0/24x", 0, 0, "the prefix length must be a number"},
    {"10.0.2.0/-24", 0, 0, "the prefix length must be a number"},
    {"300.1.1.0/24", 0, 0, "subnet '300.1.1.0/24': not an IPv4 network"},
    {"10.0.2/24", 0, 0, "subnet '10.0.2/24': not an IPv4 network"},
    {" 10.0.2.0/24", 0, 0, "not an IPv4 network"},
    {"10.0.2.0/24 ", 0, 0, "the prefix length must be a number"},
    {"10.0.02.0/24", 0, 0, "not an IPv4 network"},
    {"10.0.2.0.0/24", 0, 0, "not an IPv4 network"},
    {"", 0, 0, "not an IPv4 network"},
    {"/24", 0, 0, "not an IPv4 network"},
    {"ten.0.2.0/24", 0, 0, "not an IPv4 network"},
};

START_TEST(test_parse_subnet)
{
	struct ipv4_subnet s = {0, 0};
	char back[24];
	int rc = netcfg_parse_subnet(subnets[_i].text, &s, err, sizeof(err));

	if (!subnets[_i].message) {
		ck_assert_msg(rc == 0, "'%s': %s", subnets[_i].text, err);
		ck_assert_uint_eq(s.addr, subnets[_i].addr);
		ck_assert_int_eq(s.prefix, subnets[_i].prefix);
		netcfg_format_subnet(&s, back, sizeof(back));
		ck_assert_str_eq(back, subnets[_i].text);
	} else {
		ck_assert_msg(rc == -EINVAL, "'%s' accepted", subnets[_i].text);
		assert_contains(err, subnets[_i].message);
	}
}
END_TEST

START_TEST(test_parse_addr)
{
	static const char *const bad[] = {"",	      "1.2.3",	  "1.2.3.4.5", "256.0.0.1",
					  "01.2.3.4", "1.2.3.4 ", " 1.2.3.4",  "1..3.4",
					  "1.2.3.-4", "1.2.3.4/", "0x1.2.3.4", "1.2.3.1000"};
	uint32_t a;
	char buf[16];

	ck_assert_int_eq(netcfg_parse_addr("10.0.2.15", &a, err, sizeof(err)), 0);
	ck_assert_uint_eq(a, 0x0a00020f);
	ck_assert_int_eq(netcfg_parse_addr("0.0.0.0", &a, err, sizeof(err)), 0);
	ck_assert_uint_eq(a, 0);
	ck_assert_int_eq(netcfg_parse_addr("255.255.255.255", &a, err, sizeof(err)), 0);
	ck_assert_uint_eq(a, 0xffffffffu);
	netcfg_format_addr(0xc0a83801, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.168.56.1");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(netcfg_parse_addr(bad[i], &a, err, sizeof(err)) == -EINVAL,
			      "'%s' accepted", bad[i]);
		assert_contains(err, "is not an IPv4 address");
	}
}
END_TEST

START_TEST(test_mask_contains)
{
	struct ipv4_subnet s = {0x0a000200, 24};

	ck_assert_uint_eq(netcfg_mask(24), 0xffffff00u);
	ck_assert_uint_eq(netcfg_mask(8), 0xff000000u);
	ck_assert_uint_eq(netcfg_mask(30), 0xfffffffcu);
	ck_assert_uint_eq(netcfg_mask(0), 0);
	ck_assert_uint_eq(netcfg_mask(32), 0xffffffffu);
	ck_assert(netcfg_contains(&s, 0x0a000200));
	ck_assert(netcfg_contains(&s, 0x0a0002ff));
	ck_assert(!netcfg_contains(&s, 0x0a000300));
	ck_assert(!netcfg_contains(&s, 0x0a0001ff));
}
END_TEST

/* Pairs of subnets and whether they overlap (checked both ways round). */
static const struct {
	const char *a, *b;
	bool overlap;
} overlaps[] = {
    {"10.0.2.0/24", "10.0.2.0/24", true},	{"10.0.2.0/24", "10.0.3.0/24", false},
    {"10.0.0.0/8", "10.0.2.0/24", true},	{"10.0.0.0/16", "10.1.0.0/16", false},
    {"10.0.2.0/23", "10.0.3.0/24", true},	{"10.0.2.0/24", "10.0.2.128/25", true},
    {"10.0.2.0/25", "10.0.2.128/25", false},	{"192.168.0.0/16", "192.169.0.0/16", false},
    {"172.16.0.0/12", "172.31.255.0/24", true}, {"172.16.0.0/12", "172.32.0.0/24", false},
    {"10.0.2.4/30", "10.0.2.8/30", false},	{"10.0.2.4/30", "10.0.2.0/29", true},
};

START_TEST(test_overlap_matrix)
{
	struct ipv4_subnet a, b;

	ck_assert_int_eq(netcfg_parse_subnet(overlaps[_i].a, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(netcfg_parse_subnet(overlaps[_i].b, &b, err, sizeof(err)), 0);
	ck_assert_msg(netcfg_overlap(&a, &b) == overlaps[_i].overlap, "%s vs %s", overlaps[_i].a,
		      overlaps[_i].b);
	ck_assert_msg(netcfg_overlap(&b, &a) == overlaps[_i].overlap, "%s vs %s", overlaps[_i].b,
		      overlaps[_i].a);
}
END_TEST

/* ---- defaults ---- */

static void subnet_of(const char *text, struct ipv4_subnet *s)
{
	ck_assert_msg(netcfg_parse_subnet(text, s, err, sizeof(err)) == 0, "%s", err);
}

static void assert_range(enum net_mode mode, const char *subnet, const char *start, const char *end)
{
	struct ipv4_subnet s;
	uint32_t a, b;
	char sa[16], sb[16];

	subnet_of(subnet, &s);
	netcfg_default_dhcp(mode, &s, &a, &b);
	netcfg_format_addr(a, sa, sizeof(sa));
	netcfg_format_addr(b, sb, sizeof(sb));
	ck_assert_msg(!strcmp(sa, start) && !strcmp(sb, end), "%s %s: got %s-%s, want %s-%s",
		      net_mode_name(mode), subnet, sa, sb, start, end);
}

START_TEST(test_defaults)
{
	struct ipv4_subnet s;
	struct net_config cfg;

	subnet_of("10.0.2.0/24", &s);
	ck_assert_uint_eq(netcfg_gateway(NET_MODE_NAT, &s), 0x0a000202);
	ck_assert_uint_eq(netcfg_gateway(NET_MODE_NATNET, &s), 0x0a000202);
	ck_assert_uint_eq(netcfg_gateway(NET_MODE_HOSTONLY, &s), 0x0a000201);
	assert_range(NET_MODE_NAT, "10.0.2.0/24", "10.0.2.15", "10.0.2.30");
	assert_range(NET_MODE_NATNET, "10.0.5.0/24", "10.0.5.15", "10.0.5.30");
	assert_range(NET_MODE_HOSTONLY, "192.168.56.0/24", "192.168.56.100", "192.168.56.199");
	/* Clipped to the subnet; small subnets use what is left. */
	assert_range(NET_MODE_HOSTONLY, "192.168.56.0/25", "192.168.56.100", "192.168.56.126");
	assert_range(NET_MODE_HOSTONLY, "192.168.56.0/26", "192.168.56.2", "192.168.56.62");
	assert_range(NET_MODE_NAT, "10.0.2.0/28", "10.0.2.4", "10.0.2.14");
	assert_range(NET_MODE_NAT, "10.0.2.0/27", "10.0.2.15", "10.0.2.30");

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "n");
	cfg.mode = NET_MODE_NAT;
	netcfg_fill_defaults(&cfg);
	ck_assert_str_eq(cfg.subnet, "10.0.2.0/24");
	ck_assert_str_eq(cfg.dhcp_start, "10.0.2.15");
	ck_assert_str_eq(cfg.dhcp_end, "10.0.2.30");
	/* Given values stay. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = NET_MODE_NATNET;
	strcpy(cfg.subnet, "10.9.0.0/16");
	netcfg_fill_defaults(&cfg);
	ck_assert_str_eq(cfg.subnet, "10.9.0.0/16");
	ck_assert_str_eq(cfg.dhcp_start, "10.9.0.15");
	/* hostonly gets no made-up subnet. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = NET_MODE_HOSTONLY;
	netcfg_fill_defaults(&cfg);
	ck_assert_str_eq(cfg.subnet, "");
	ck_assert_str_eq(cfg.dhcp_start, "");
	strcpy(cfg.subnet, "192.168.56.0/24");
	netcfg_fill_defaults(&cfg);
	ck_assert_str_eq(cfg.dhcp_start, "192.168.56.100");
	ck_assert_str_eq(cfg.dhcp_end, "192.168.56.199");
	/* internal and bridged have no addresses at all. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = NET_MODE_INTERNAL;
	netcfg_fill_defaults(&cfg);
	ck_assert_str_eq(cfg.subnet, "");
	ck_assert_str_eq(cfg.dhcp_start, "");
}
END_TEST

/* ---- host routes ---- */

static char route_file[64];

static void write_routes(const char *text)
{
	FILE *f;

	strcpy(route_file, "/tmp/test_netcfg_route.XXXXXX");
	int fd = mkstemp(route_file);

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

#define ROUTE_HEADER                                                                               \
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT "     \
	"          \n"

START_TEST(test_host_routes)
{
	struct ipv4_subnet *routes;
	char buf[24];
	int n;

	/* default via 192.168.1.1, 192.168.1.0/24, 10.0.0.0/8, 172.17.0.0/16 */
	write_routes(ROUTE_HEADER
		     "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
		     "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
		     "tun0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n"
		     "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n");
	ck_assert_msg(netcfg_host_routes(route_file, &routes, &n, err, sizeof(err)) == 0, "%s",
		      err);
	unlink(route_file);
	ck_assert_int_eq(n, 3);
	netcfg_format_subnet(&routes[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.168.1.0/24");
	netcfg_format_subnet(&routes[1], buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.0.0.0/8");
	netcfg_format_subnet(&routes[2], buf, sizeof(buf));
	ck_assert_str_eq(buf, "172.17.0.0/16");
	free(routes);

	/* A file that is not a route table is an error naming the line. */
	write_routes(ROUTE_HEADER "eth0\t0001A8C0\tgarbage\n");
	ck_assert_int_eq(netcfg_host_routes(route_file, &routes, &n, err, sizeof(err)), -EINVAL);
	unlink(route_file);
	assert_contains(err, ": line 2: not a route line");
	ck_assert_ptr_null(routes);
	ck_assert_int_eq(n, 0);

	ck_assert_int_eq(netcfg_host_routes("/nonexistent/route", &routes, &n, err, sizeof(err)),
			 -ENOENT);
	assert_contains(err, "cannot read the host's routes from '/nonexistent/route'");

	/* This machine's own table reads, without its default route. */
	if (access("/proc/net/route", R_OK) == 0) {
		ck_assert_msg(netcfg_host_routes(NULL, &routes, &n, err, sizeof(err)) == 0, "%s",
			      err);
		for (int i = 0; i < n; i++)
			ck_assert_int_gt(routes[i].prefix, 0);
		free(routes);
	}
}
END_TEST

/* ---- port forwards ---- */

static const struct {
	const char *spec;
	const char *formatted; /* NULL: refused, message below */
	const char *message;
} forwards[] = {
    {"tcp:2222-web:22", "tcp:127.0.0.1:2222-web:22", NULL},
    {"udp:0.0.0.0:53-10.0.3.20:53", "udp:0.0.0.0:53-10.0.3.20:53", NULL},
    {"tcp:127.0.0.1:8080-my-web.1:80", "tcp:127.0.0.1:8080-my-web.1:80", NULL},
    {"tcp:1-a:65535", "tcp:127.0.0.1:1-a:65535", NULL},
    {"sctp:2222-web:22", NULL, "it must start with tcp: or udp:"},
    {"2222-web:22", NULL, "it must start with tcp: or udp:"},
    {"tcp:2222:web:22", NULL, "no '-' between the host and the guest side"},
    {"tcp:0-web:22", NULL, "the host port must be a number from 1 to 65535"},
    {"tcp:65536-web:22", NULL, "the host port must be a number from 1 to 65535"},
    {"tcp:-web:22", NULL, "the host port must be a number"},
    {"tcp::2222-web:22", NULL, "host address '' is not an IPv4 address"},
    {"tcp:1.2.3:2222-web:22", NULL, "host address '1.2.3' is not an IPv4 address"},
    {"tcp:2222-web", NULL, "no ':' before the guest port"},
    {"tcp:2222-web:", NULL, "the guest port must be a number from 1 to 65535"},
    {"tcp:2222-web:0", NULL, "the guest port must be a number from 1 to 65535"},
    {"tcp:2222-web:22x", NULL, "the guest port must be a number"},
    {"tcp:2222-:22", NULL, "the guest (a VM name or an address) is missing"},
    {"tcp:2222-bad/name:22", NULL, "the guest must be a VM name (nat) or an IPv4 address"},
};

START_TEST(test_parse_forward)
{
	struct net_forward fwd, again;
	char buf[160];
	int rc = netcfg_parse_forward(forwards[_i].spec, &fwd, err, sizeof(err));

	if (!forwards[_i].formatted) {
		ck_assert_msg(rc == -EINVAL, "'%s' accepted", forwards[_i].spec);
		assert_contains(err, forwards[_i].message);
		/* The message quotes what was typed and shows the form. */
		assert_contains(err, forwards[_i].spec);
		assert_contains(err, "like tcp:2222-web:22");
		return;
	}
	ck_assert_msg(rc == 0, "'%s': %s", forwards[_i].spec, err);
	netcfg_format_forward(&fwd, buf, sizeof(buf));
	ck_assert_str_eq(buf, forwards[_i].formatted);
	/* And back: the same forward. */
	ck_assert_int_eq(netcfg_parse_forward(buf, &again, err, sizeof(err)), 0);
	ck_assert_int_eq(memcmp(&fwd, &again, sizeof(fwd)), 0);
}
END_TEST

START_TEST(test_forward_fields)
{
	struct net_forward a, b;

	ck_assert_int_eq(
	    netcfg_parse_forward("udp:0.0.0.0:53-10.0.3.20:5353", &a, err, sizeof(err)), 0);
	ck_assert(a.udp);
	ck_assert_str_eq(a.host_addr, "0.0.0.0");
	ck_assert_uint_eq(a.host_port, 53);
	ck_assert_str_eq(a.guest_addr, "10.0.3.20");
	ck_assert_str_eq(a.guest_vm, "");
	ck_assert_uint_eq(a.guest_port, 5353);
	ck_assert_int_eq(netcfg_parse_forward("tcp:2222-web:22", &a, err, sizeof(err)), 0);
	ck_assert(!a.udp);
	ck_assert_str_eq(a.guest_vm, "web");
	ck_assert_str_eq(a.guest_addr, "");

	/* "" is 127.0.0.1; the guest side does not matter. */
	b = a;
	b.host_addr[0] = '\0';
	strcpy(b.guest_vm, "db");
	b.guest_port = 80;
	ck_assert(netcfg_forward_same_host_side(&a, &b));
	b.udp = true;
	ck_assert(!netcfg_forward_same_host_side(&a, &b));
	b.udp = false;
	b.host_port = 2223;
	ck_assert(!netcfg_forward_same_host_side(&a, &b));
	b.host_port = 2222;
	strcpy(b.host_addr, "10.1.1.1");
	ck_assert(!netcfg_forward_same_host_side(&a, &b));
}
END_TEST

/* ---- MACs ---- */

START_TEST(test_mac)
{
	static const char *const bad[] = {"",
					  "52:54:00:12:34",
					  "52:54:00:12:34:567",
					  "52-54-00-12-34-56",
					  "52:54:00:12:34:5g",
					  "01:00:5e:00:00:01", /* multicast */
					  "ff:ff:ff:ff:ff:ff", /* broadcast */
					  "00:00:00:00:00:00",
					  " 52:54:00:12:34:56",
					  "52:54:00:12:34:56 "};
	char macs[8][18], other[18];

	ck_assert(netcfg_mac_valid("52:54:00:12:34:56"));
	ck_assert(netcfg_mac_valid("52:54:00:AB:cd:EF"));
	ck_assert(netcfg_mac_valid("02:00:00:00:00:01"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!netcfg_mac_valid(bad[i]), "'%s' accepted", bad[i]);
	ck_assert(!netcfg_mac_valid(NULL));

	for (int i = 0; i < 8; i++) {
		netcfg_make_mac("web", i, 0, macs[i]);
		ck_assert_msg(netcfg_mac_valid(macs[i]), "%s", macs[i]);
		ck_assert_int_eq(strncmp(macs[i], "52:54:00:", 9), 0);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(macs[i], macs[j]);
	}
	/* Stable: the same inputs give the same address. */
	netcfg_make_mac("web", 3, 0, other);
	ck_assert_str_eq(other, macs[3]);
	/* Another salt or another VM gives another address. */
	netcfg_make_mac("web", 3, 1, other);
	ck_assert_str_ne(other, macs[3]);
	netcfg_make_mac("db", 3, 0, other);
	ck_assert_str_ne(other, macs[3]);
}
END_TEST

/* ---- whole definitions ---- */

static struct net_config make_net(const char *name, enum net_mode mode, const char *subnet)
{
	struct net_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	cfg.mode = mode;
	snprintf(cfg.subnet, sizeof(cfg.subnet), "%s", subnet);
	return cfg;
}

static void add_forward(struct net_config *cfg, const char *spec)
{
	ck_assert_msg(
	    netcfg_parse_forward(spec, &cfg->forwards[cfg->nr_forwards++], err, sizeof(err)) == 0,
	    "%s", err);
}

static int validate(const struct net_config *cfg)
{
	return netcfg_validate(cfg, NULL, 0, NULL, 0, warning, sizeof(warning), err, sizeof(err));
}

static void assert_refused(const struct net_config *cfg, const char *message)
{
	ck_assert_msg(validate(cfg) == -EINVAL, "%s: accepted", cfg->name);
	assert_contains(err, message);
	ck_assert_int_eq(strncmp(err, "network '", 9), 0);
}

START_TEST(test_validate_ok)
{
	struct net_config cfg = make_net("default", NET_MODE_NAT, "");

	netcfg_fill_defaults(&cfg);
	cfg.autostart = true;
	ck_assert_msg(validate(&cfg) == 0, "%s", err);
	ck_assert_str_eq(warning, "");
	/* nat and natnet may leave the DHCP range to the default. */
	cfg = make_net("nn", NET_MODE_NATNET, "10.0.3.0/24");
	ck_assert_msg(validate(&cfg) == 0, "%s", err);
	/* hostonly without a range: no DHCP; with a big one: dnsmasq has no
	 * 16-address limit. */
	cfg = make_net("ho", NET_MODE_HOSTONLY, "192.168.56.0/24");
	ck_assert_msg(validate(&cfg) == 0, "%s", err);
	strcpy(cfg.dhcp_start, "192.168.56.2");
	strcpy(cfg.dhcp_end, "192.168.56.254");
	ck_assert_msg(validate(&cfg) == 0, "%s", err);
	cfg = make_net("in", NET_MODE_INTERNAL, "");
	ck_assert_msg(validate(&cfg) == 0, "%s", err);
	cfg = make_net("br", NET_MODE_BRIDGED, "");
	strcpy(cfg.bridge, "br0");
	ck_assert_msg(validate(&cfg) == 0, "%s", err);
	/* Forwards as each NAT mode takes them. */
	cfg = make_net("default", NET_MODE_NAT, "10.0.2.0/24");
	add_forward(&cfg, "tcp:2222-web:22");
	add_forward(&cfg, "udp:2222-web:22");	      /* other protocol */
	add_forward(&cfg, "tcp:10.1.1.1:2222-db:22"); /* other host address */
	ck_assert_msg(validate(&cfg) == 0, "%s", err);
	cfg = make_net("nn", NET_MODE_NATNET, "10.0.3.0/24");
	add_forward(&cfg, "tcp:8080-10.0.3.20:80");
	ck_assert_msg(validate(&cfg) == 0, "%s", err);
}
END_TEST

START_TEST(test_validate_dhcp)
{
	struct net_config cfg = make_net("n", NET_MODE_NAT, "10.0.2.0/24");

#define RANGE(a, b) (strcpy(cfg.dhcp_start, a), strcpy(cfg.dhcp_end, b))
	RANGE("10.0.2.15", "10.0.2.30");
	ck_assert_msg(validate(&cfg) == 0, "%s", err);
	RANGE("10.0.3.15", "10.0.3.30");
	assert_refused(&cfg, "the DHCP range 10.0.3.15-10.0.3.30 is not inside the subnet "
			     "10.0.2.0/24 (use addresses from 10.0.2.1 to 10.0.2.254)");
	RANGE("10.0.2.250", "10.0.3.4");
	assert_refused(&cfg, "is not inside the subnet");
	RANGE("10.0.2.30", "10.0.2.15");
	assert_refused(&cfg, "the DHCP range starts at 10.0.2.30, after its end 10.0.2.15");
	RANGE("10.0.2.1", "10.0.2.10");
	assert_refused(&cfg, "includes 10.0.2.2, the gateway");
	RANGE("10.0.2.3", "10.0.2.10");
	assert_refused(&cfg, "includes 10.0.2.3, the DNS server");
	RANGE("10.0.2.0", "10.0.2.1");
	assert_refused(&cfg, "includes 10.0.2.0, the network address");
	RANGE("10.0.2.250", "10.0.2.255");
	assert_refused(&cfg, "includes 10.0.2.255, the broadcast address");
	RANGE("10.0.2.15", "10.0.2.31");
	assert_refused(&cfg, "has 17 addresses; the NAT's DHCP server (libslirp) hands out at "
			     "most 16");
	RANGE("10.0.2.15", "");
	assert_refused(&cfg, "give both ends of the DHCP range");
	RANGE("10.0.2.15", "10.0.2.300");
	assert_refused(&cfg, "'10.0.2.300' is not an IPv4 address");
	/* natnet has the same limit; hostonly's host address is .1. */
	cfg.mode = NET_MODE_NATNET;
	RANGE("10.0.2.10", "10.0.2.40");
	assert_refused(&cfg, "hands out at most 16");
	cfg.mode = NET_MODE_HOSTONLY;
	ck_assert_msg(validate(&cfg) == 0, "%s", err);
	RANGE("10.0.2.1", "10.0.2.40");
	assert_refused(&cfg, "includes 10.0.2.1, the host's address");
#undef RANGE
}
END_TEST

START_TEST(test_validate_mode_fields)
{
	struct net_config cfg;

	cfg = make_net("br", NET_MODE_BRIDGED, "");
	assert_refused(&cfg, "a bridged network needs the host bridge to join");
	strcpy(cfg.bridge, "br0");
	strcpy(cfg.subnet, "10.0.2.0/24");
	assert_refused(&cfg, "bridged networks take no subnet or DHCP range");
	cfg = make_net("br", NET_MODE_BRIDGED, "");
	strcpy(cfg.bridge, "br/0");
	assert_refused(&cfg, "'br/0' is not an interface name");
	cfg = make_net("in", NET_MODE_INTERNAL, "10.0.2.0/24");
	assert_refused(&cfg, "internal networks take no subnet or DHCP range");
	cfg = make_net("in", NET_MODE_INTERNAL, "");
	strcpy(cfg.dhcp_start, "10.0.2.15");
	assert_refused(&cfg, "internal networks take no subnet");
	cfg = make_net("ho", NET_MODE_HOSTONLY, "");
	assert_refused(&cfg, "a hostonly network needs a subnet, like 192.168.56.0/24");
	cfg = make_net("n", NET_MODE_NAT, "");
	assert_refused(&cfg, "a nat network needs a subnet, like 10.0.2.0/24");
	cfg = make_net("n", NET_MODE_NAT, "10.0.2.0/24");
	strcpy(cfg.bridge, "br0");
	assert_refused(&cfg, "a bridge is only for bridged networks, not nat");
	cfg = make_net("ho", NET_MODE_HOSTONLY, "192.168.56.0/24");
	add_forward(&cfg, "tcp:2222-web:22");
	assert_refused(&cfg, "port forwards are only for nat and natnet networks, not hostonly");
	cfg = make_net("n", NET_MODE_NAT, "10.0.2.1/24");
	assert_refused(&cfg, "did you mean 10.0.2.0/24?");
	cfg = make_net("n", NET_MODE_NAT, "10.0.2.0/30");
	assert_refused(&cfg, "is too small for nat");
	cfg = make_net("bad name", NET_MODE_NAT, "10.0.2.0/24");
	ck_assert_int_eq(validate(&cfg), -EINVAL);
	assert_contains(err, "invalid name 'bad name'");
	cfg = make_net("n", (enum net_mode)17, "");
	assert_refused(&cfg, "unknown mode 17");
}
END_TEST

START_TEST(test_validate_forwards)
{
	struct net_config cfg, other;

	/* nat forwards name a VM, natnet forwards an address on the segment. */
	cfg = make_net("n", NET_MODE_NAT, "10.0.2.0/24");
	add_forward(&cfg, "tcp:2222-10.0.2.15:22");
	assert_refused(&cfg, "in a nat network each VM has its own NAT, so name the VM");
	cfg = make_net("nn", NET_MODE_NATNET, "10.0.3.0/24");
	add_forward(&cfg, "tcp:2222-web:22");
	assert_refused(&cfg, "in a natnet network name the guest's address on 10.0.3.0/24");
	cfg = make_net("nn", NET_MODE_NATNET, "10.0.3.0/24");
	add_forward(&cfg, "tcp:2222-10.0.4.15:22");
	assert_refused(&cfg, "10.0.4.15 is not a guest address of the subnet 10.0.3.0/24");
	cfg = make_net("nn", NET_MODE_NATNET, "10.0.3.0/24");
	add_forward(&cfg, "tcp:2222-10.0.3.2:22");
	assert_refused(&cfg, "10.0.3.2 is not a guest address");
	/* Two forwards on one host side. */
	cfg = make_net("n", NET_MODE_NAT, "10.0.2.0/24");
	add_forward(&cfg, "tcp:2222-web:22");
	add_forward(&cfg, "tcp:127.0.0.1:2222-db:22");
	assert_refused(&cfg, "port forwards tcp:127.0.0.1:2222-web:22 and "
			     "tcp:127.0.0.1:2222-db:22 use the same host port");
	/* 0.0.0.0 takes the port on every address, 127.0.0.1 included. */
	cfg = make_net("n", NET_MODE_NAT, "10.0.2.0/24");
	add_forward(&cfg, "udp:0.0.0.0:53-web:53");
	add_forward(&cfg, "udp:53-db:53");
	assert_refused(&cfg, "use the same host port");
	/* A forward another network has already. */
	other = make_net("other", NET_MODE_NATNET, "10.0.9.0/24");
	add_forward(&other, "tcp:8080-10.0.9.20:80");
	cfg = make_net("n", NET_MODE_NAT, "10.0.2.0/24");
	add_forward(&cfg, "tcp:8080-web:80");
	ck_assert_int_eq(netcfg_validate(&cfg, &other, 1, NULL, 0, NULL, 0, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "network 'other' already forwards that host port");
	cfg.forwards[0].udp = true;
	ck_assert_msg(netcfg_validate(&cfg, &other, 1, NULL, 0, NULL, 0, err, sizeof(err)) == 0,
		      "%s", err);
	/* Port 0 cannot come from the parser, but from a caller's struct. */
	cfg.forwards[0].guest_port = 0;
	assert_refused(&cfg, "ports must be from 1 to 65535");
}
END_TEST

START_TEST(test_validate_overlaps)
{
	struct ipv4_subnet routes[2];
	struct net_config others[4], cfg;
	int rc;

	subnet_of("192.168.1.0/24", &routes[0]);
	subnet_of("10.0.0.0/16", &routes[1]);
	others[0] = make_net("ho1", NET_MODE_HOSTONLY, "192.168.56.0/24");
	others[1] = make_net("nn1", NET_MODE_NATNET, "10.1.0.0/24");
	others[2] = make_net("nat1", NET_MODE_NAT, "10.5.0.0/24");
	others[3] = make_net("in1", NET_MODE_INTERNAL, "");

	/* hostonly: not over a host route, nor another hostonly/natnet. */
	cfg = make_net("ho", NET_MODE_HOSTONLY, "192.168.1.0/25");
	rc =
	    netcfg_validate(&cfg, others, 4, routes, 2, warning, sizeof(warning), err, sizeof(err));
	ck_assert_int_eq(rc, -EINVAL);
	assert_contains(err, "network 'ho': subnet 192.168.1.0/25 overlaps the host's route to "
			     "192.168.1.0/24; pick another subnet");
	cfg = make_net("ho", NET_MODE_HOSTONLY, "192.168.56.0/24");
	rc = netcfg_validate(&cfg, others, 4, routes, 2, NULL, 0, err, sizeof(err));
	ck_assert_int_eq(rc, -EINVAL);
	assert_contains(err, "overlaps 192.168.56.0/24 of hostonly network 'ho1'");
	cfg = make_net("ho", NET_MODE_HOSTONLY, "10.1.0.0/16");
	rc = netcfg_validate(&cfg, others, 4, routes, 2, NULL, 0, err, sizeof(err));
	ck_assert_int_eq(rc, -EINVAL);
	assert_contains(err, "overlaps 10.1.0.0/24 of natnet network 'nn1'");
	/* A nat network's subnet is private to each VM: no conflict. */
	cfg = make_net("ho", NET_MODE_HOSTONLY, "10.5.0.0/24");
	rc =
	    netcfg_validate(&cfg, others, 4, routes, 2, warning, sizeof(warning), err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(warning, "");

	/* natnet: not over another natnet or hostonly; a host route only
	 * warns. */
	cfg = make_net("nn", NET_MODE_NATNET, "10.1.0.128/25");
	rc = netcfg_validate(&cfg, others, 4, routes, 2, NULL, 0, err, sizeof(err));
	ck_assert_int_eq(rc, -EINVAL);
	assert_contains(err, "overlaps 10.1.0.0/24 of natnet network 'nn1'");
	cfg = make_net("nn", NET_MODE_NATNET, "192.168.56.0/25");
	ck_assert_int_eq(netcfg_validate(&cfg, others, 4, routes, 2, NULL, 0, err, sizeof(err)),
			 -EINVAL);
	cfg = make_net("nn", NET_MODE_NATNET, "10.0.7.0/24");
	rc =
	    netcfg_validate(&cfg, others, 4, routes, 2, warning, sizeof(warning), err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	assert_contains(warning, "overlaps the host's route to 10.0.0.0/16; guests will not reach "
				 "10.0.0.0/16 on the host's side");

	/* nat: may share a subnet with anything; a host route warns. */
	cfg = make_net("nat2", NET_MODE_NAT, "10.5.0.0/24");
	rc =
	    netcfg_validate(&cfg, others, 4, routes, 2, warning, sizeof(warning), err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(warning, "");
	cfg = make_net("nat2", NET_MODE_NAT, "192.168.56.0/24");
	ck_assert_int_eq(netcfg_validate(&cfg, others, 4, routes, 2, NULL, 0, err, sizeof(err)), 0);
	cfg = make_net("nat2", NET_MODE_NAT, "10.0.2.0/24");
	rc =
	    netcfg_validate(&cfg, others, 4, routes, 2, warning, sizeof(warning), err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	assert_contains(warning, "network 'nat2': subnet 10.0.2.0/24 overlaps the host's route to "
				 "10.0.0.0/16");

	/* The name is taken. */
	cfg = make_net("nn1", NET_MODE_INTERNAL, "");
	rc = netcfg_validate(&cfg, others, 4, routes, 2, NULL, 0, err, sizeof(err));
	ck_assert_int_eq(rc, -EEXIST);
	assert_contains(err, "network 'nn1' already exists");
}
END_TEST

/* ---- names (driver.c) ---- */

START_TEST(test_mode_names)
{
	enum net_mode m;

	for (int i = 0; i < NET_MODE_COUNT; i++) {
		ck_assert_int_eq(
		    net_mode_parse(net_mode_name((enum net_mode)i), &m, err, sizeof(err)), 0);
		ck_assert_int_eq(m, i);
	}
	ck_assert_str_eq(net_mode_name(NET_MODE_NAT), "nat");
	ck_assert_str_eq(net_mode_name(NET_MODE_HOSTONLY), "hostonly");
	ck_assert_int_eq(net_mode_parse("NAT network", &m, err, sizeof(err)), -EINVAL);
	assert_contains(err, "unknown network mode 'NAT network': use nat, natnet, internal, "
			     "hostonly or bridged");
	ck_assert_int_eq(net_mode_parse("", &m, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(net_state_name(NET_STATE_INACTIVE), "inactive");
	ck_assert_str_eq(net_state_name(NET_STATE_ACTIVE), "active");
	ck_assert_str_eq(net_state_name(NET_STATE_FAILED), "failed");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netcfg");
	TCase *tc;
	SRunner *sr;
	int failed;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_subnet, 0, sizeof(subnets) / sizeof(subnets[0]));
	tcase_add_test(tc, test_parse_addr);
	tcase_add_test(tc, test_mask_contains);
	tcase_add_loop_test(tc, test_overlap_matrix, 0, sizeof(overlaps) / sizeof(overlaps[0]));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_host_routes);
	tcase_add_loop_test(tc, test_parse_forward, 0, sizeof(forwards) / sizeof(forwards[0]));
	tcase_add_test(tc, test_forward_fields);
	tcase_add_test(tc, test_mac);
	tcase_add_test(tc, test_mode_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_test(tc, test_validate_ok);
	tcase_add_test(tc, test_validate_dhcp);
	tcase_add_test(tc, test_validate_mode_fields);
	tcase_add_test(tc, test_validate_forwards);
	tcase_add_test(tc, test_validate_overlaps);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
