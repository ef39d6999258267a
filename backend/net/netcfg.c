/* IPv4 network definitions as users write them: subnets, addresses, DHCP
 * ranges, port forwards and MACs, and the checks one definition must pass
 * against the others and the host's routes (netcfg.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/netcfg.h"

#define NETCFG_MIN_PREFIX   8
#define NETCFG_MAX_PREFIX   30
#define NETCFG_SLIRP_LEASES 16 /* libslirp's NB_BOOTP_CLIENTS */
#define NETCFG_IFNAME_MAX   15 /* IFNAMSIZ - 1 */
#define NETCFG_FORWARD_FORM "tcp|udp:[HOSTADDR:]HOSTPORT-GUEST:GUESTPORT, like tcp:2222-web:22"

uint32_t netcfg_mask(int prefix)
{
	if (prefix <= 0)
		return 0;
	if (prefix >= 32)
		return 0xffffffffu;
	return 0xffffffffu << (32 - prefix);
}

static uint32_t netcfg_broadcast(const struct ipv4_subnet *s)
{
	return s->addr | ~netcfg_mask(s->prefix);
}

bool netcfg_contains(const struct ipv4_subnet *s, uint32_t addr)
{
	uint32_t mask = netcfg_mask(s->prefix);

	return (addr & mask) == (s->addr & mask);
}

bool netcfg_overlap(const struct ipv4_subnet *a, const struct ipv4_subnet *b)
{
	/* Two prefixes overlap exactly when the shorter one contains the
	 * other's network address. */
	uint32_t mask = netcfg_mask(a->prefix < b->prefix ? a->prefix : b->prefix);

	return (a->addr & mask) == (b->addr & mask);
}

void netcfg_format_addr(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
		 addr & 0xff);
}

void netcfg_format_subnet(const struct ipv4_subnet *s, char *buf, size_t len)
{
	char a[16];

	netcfg_format_addr(s->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%d", a, s->prefix);
}

/* Strict unsigned decimal of at most maxdigits digits, no sign, no
 * blanks, no leading zero (except "0" itself). Returns the end or NULL. */
static const char *netcfg_parse_number(const char *p, int maxdigits, unsigned long *out)
{
	unsigned long v = 0;
	int n = 0;

	while (isdigit((unsigned char)p[n])) {
		if (n == maxdigits)
			return NULL;
		v = v * 10 + (unsigned long)(p[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && p[0] == '0'))
		return NULL;
	*out = v;
	return p + n;
}

/* The dotted quad at the start of text; the end of it, or NULL. */
static const char *netcfg_scan_addr(const char *text, uint32_t *out)
{
	const char *p = text;
	uint32_t addr = 0;
	unsigned long part;

	for (int i = 0; i < 4; i++) {
		if (i > 0 && *p++ != '.')
			return NULL;
		p = netcfg_parse_number(p, 3, &part);
		if (!p || part > 255)
			return NULL;
		addr = addr << 8 | (uint32_t)part;
	}
	*out = addr;
	return p;
}

int netcfg_parse_addr(const char *text, uint32_t *out, char *err, size_t errlen)
{
	const char *end = netcfg_scan_addr(text, out);

	if (!end || *end) {
		snprintf(err, errlen,
			 "'%.*s' is not an IPv4 address: use four numbers from 0 to 255 with "
			 "dots, like 10.0.2.15",
			 40, text);
		return -EINVAL;
	}
	return 0;
}

int netcfg_parse_subnet(const char *text, struct ipv4_subnet *out, char *err, size_t errlen)
{
	const char *slash = strchr(text, '/');
	struct ipv4_subnet s;
	unsigned long prefix;
	char fixed[24];
	const char *end;

	end = netcfg_scan_addr(text, &s.addr);
	if (!end || (*end && *end != '/')) {
		snprintf(err, errlen,
			 "subnet '%.*s': not an IPv4 network: use ADDRESS/PREFIX, like "
			 "10.0.2.0/24",
			 40, text);
		return -EINVAL;
	}
	if (!slash) {
		snprintf(err, errlen, "subnet '%.*s' has no prefix length: add one, like %.*s/24",
			 40, text, 40, text);
		return -EINVAL;
	}
	end = netcfg_parse_number(slash + 1, 2, &prefix);
	if (!end || *end) {
		snprintf(err, errlen,
			 "subnet '%.*s': the prefix length must be a number from %d to %d, like "
			 "/24",
			 40, text, NETCFG_MIN_PREFIX, NETCFG_MAX_PREFIX);
		return -EINVAL;
	}
	if (prefix < NETCFG_MIN_PREFIX || prefix > NETCFG_MAX_PREFIX) {
		/* Wider than /8 is no private network; /31 and /32 leave no
		 * room for a gateway and a guest. */
		snprintf(err, errlen, "subnet '%.*s': prefix /%lu is out of range: use /%d to /%d",
			 40, text, prefix, NETCFG_MIN_PREFIX, NETCFG_MAX_PREFIX);
		return -EINVAL;
	}
	s.prefix = (int)prefix;
	if (s.addr & ~netcfg_mask(s.prefix)) {
		struct ipv4_subnet net = {s.addr & netcfg_mask(s.prefix), s.prefix};

		netcfg_format_subnet(&net, fixed, sizeof(fixed));
		snprintf(err, errlen,
			 "subnet '%.*s': %.*s is not a network address; did you mean %s?", 40, text,
			 (int)(slash - text), text, fixed);
		return -EINVAL;
	}
	*out = s;
	return 0;
}

uint32_t netcfg_gateway(enum net_mode mode, const struct ipv4_subnet *s)
{
	switch (mode) {
	case NET_MODE_NAT:
	case NET_MODE_NATNET:
		return s->addr + 2; /* libslirp's virtual host */
	case NET_MODE_HOSTONLY:
		return s->addr + 1; /* the host's interface */
	case NET_MODE_INTERNAL:
	case NET_MODE_BRIDGED:
		break;
	}
	return 0;
}

/* libslirp's DNS forwarder; 0 where the mode has none. */
static uint32_t netcfg_dns(enum net_mode mode, const struct ipv4_subnet *s)
{
	return mode == NET_MODE_NAT || mode == NET_MODE_NATNET ? s->addr + 3 : 0;
}

void netcfg_default_dhcp(enum net_mode mode, const struct ipv4_subnet *s, uint32_t *start,
			 uint32_t *end)
{
	uint32_t last = netcfg_broadcast(s) - 1; /* highest usable address */

	*start = *end = 0;
	if (mode == NET_MODE_NAT || mode == NET_MODE_NATNET) {
		/* libslirp's own default (.15 and 15 more) where it fits;
		 * in a small subnet, what is left after the DNS address. */
		*start = s->addr + 15;
		*end = *start + NETCFG_SLIRP_LEASES - 1;
		if (*end > last) {
			*start = s->addr + 4;
			*end = last;
			if (*end >= *start + NETCFG_SLIRP_LEASES)
				*end = *start + NETCFG_SLIRP_LEASES - 1;
		}
	} else if (mode == NET_MODE_HOSTONLY) {
		*start = s->addr + 100;
		*end = s->addr + 199;
		if (*end > last)
			*end = last;
		if (*start > *end) {
			/* Smaller than a /25: everything after the host's .1. */
			*start = s->addr + 2;
			*end = last;
		}
	}
	if (*start > *end)
		*start = *end = 0; /* no room (too small for the mode) */
}

void netcfg_fill_defaults(struct net_config *cfg)
{
	struct ipv4_subnet s;
	uint32_t start, end;
	char e[8];

	if (cfg->mode != NET_MODE_NAT && cfg->mode != NET_MODE_NATNET &&
	    cfg->mode != NET_MODE_HOSTONLY)
		return;
	if (!cfg->subnet[0] && cfg->mode != NET_MODE_HOSTONLY)
		snprintf(cfg->subnet, sizeof(cfg->subnet), "10.0.2.0/24");
	if (cfg->dhcp_start[0] || cfg->dhcp_end[0] ||
	    netcfg_parse_subnet(cfg->subnet, &s, e, sizeof(e)) < 0)
		return;
	netcfg_default_dhcp(cfg->mode, &s, &start, &end);
	if (!start)
		return;
	netcfg_format_addr(start, cfg->dhcp_start, sizeof(cfg->dhcp_start));
	netcfg_format_addr(end, cfg->dhcp_end, sizeof(cfg->dhcp_end));
}

/* A 32-bit mask as a prefix length; -1 if its bits are not contiguous. */
static int netcfg_mask_prefix(uint32_t mask)
{
	int prefix = 0;

	while (prefix < 32 && (mask & (0x80000000u >> prefix)))
		prefix++;
	return netcfg_mask(prefix) == mask ? prefix : -1;
}

/* One line of /proc/net/route: "Iface Destination Gateway Flags RefCnt
 * Use Metric Mask ...", addresses as 8 hex digits of the address in
 * network byte order read as a little-endian number. */
static int netcfg_route_line(const char *line, struct ipv4_subnet *out)
{
	char iface[64], dest[16], gw[16], mask[16];
	unsigned flags, refcnt, use, metric;
	unsigned long d, m;
	char *end;
	int prefix;

	if (sscanf(line, "%63s %15s %15s %x %u %u %u %15s", iface, dest, gw, &flags, &refcnt, &use,
		   &metric, mask) != 8 ||
	    strlen(dest) != 8 || strlen(mask) != 8)
		return -EINVAL;
	d = strtoul(dest, &end, 16);
	if (*end)
		return -EINVAL;
	m = strtoul(mask, &end, 16);
	if (*end)
		return -EINVAL;
	prefix = netcfg_mask_prefix(__builtin_bswap32((uint32_t)m));
	if (prefix < 0)
		return -EINVAL;
	out->prefix = prefix;
	out->addr = __builtin_bswap32((uint32_t)d) & netcfg_mask(prefix);
	return 0;
}

int netcfg_host_routes(const char *path, struct ipv4_subnet **out, int *count, char *err,
		       size_t errlen)
{
	struct ipv4_subnet *routes = NULL, r;
	int n = 0, cap = 0, lineno = 0, rc = 0;
	char line[512];
	FILE *f;

	*out = NULL;
	*count = 0;
	if (!path)
		path = "/proc/net/route";
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "cannot read the host's routes from '%s': %s", path,
			 strerror(-rc));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		if (++lineno == 1)
			continue; /* the column titles */
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (netcfg_route_line(line, &r) < 0) {
			snprintf(err, errlen, "%s: line %d: not a route line", path, lineno);
			rc = -EINVAL;
			break;
		}
		if (r.prefix == 0)
			continue; /* the default route says nothing about subnets */
		if (n == cap) {
			struct ipv4_subnet *bigger;

			cap = cap ? cap * 2 : 16;
			bigger = realloc(routes, cap * sizeof(*routes));
			if (!bigger) {
				snprintf(err, errlen, "out of memory");
				rc = -ENOMEM;
				break;
			}
			routes = bigger;
		}
		routes[n++] = r;
	}
	fclose(f);
	if (rc < 0) {
		free(routes);
		return rc;
	}
	*out = routes;
	*count = n;
	return 0;
}

/* Strict port number 1..65535 at p; the end or NULL. */
static const char *netcfg_scan_port(const char *p, uint16_t *out)
{
	unsigned long v;

	p = netcfg_parse_number(p, 5, &v);
	if (!p || v < 1 || v > 65535)
		return NULL;
	*out = (uint16_t)v;
	return p;
}

static int netcfg_forward_fail(const char *spec, const char *why, char *err, size_t errlen)
{
	snprintf(err, errlen, "port forward '%.*s': %s (use %s)", 80, spec, why,
		 NETCFG_FORWARD_FORM);
	return -EINVAL;
}

int netcfg_parse_forward(const char *spec, struct net_forward *out, char *err, size_t errlen)
{
	struct net_forward fwd;
	const char *host, *dash, *colon, *guest, *p;
	char why[160];
	uint32_t addr;
	size_t len;

	memset(&fwd, 0, sizeof(fwd));
	if (!strncmp(spec, "tcp:", 4))
		fwd.udp = false;
	else if (!strncmp(spec, "udp:", 4))
		fwd.udp = true;
	else
		return netcfg_forward_fail(spec, "it must start with tcp: or udp:", err, errlen);
	host = spec + 4;
	/* The host side has no '-'; VM names may, so split at the first. */
	dash = strchr(host, '-');
	if (!dash)
		return netcfg_forward_fail(spec, "no '-' between the host and the guest side", err,
					   errlen);
	colon = memchr(host, ':', dash - host);
	if (colon) {
		p = netcfg_scan_addr(host, &addr);
		if (p != colon) {
			snprintf(why, sizeof(why), "host address '%.*s' is not an IPv4 address",
				 (int)(colon - host), host);
			return netcfg_forward_fail(spec, why, err, errlen);
		}
		memcpy(fwd.host_addr, host, colon - host);
		host = colon + 1;
	} else {
		strcpy(fwd.host_addr, "127.0.0.1");
	}
	p = netcfg_scan_port(host, &fwd.host_port);
	if (!p || p != dash)
		return netcfg_forward_fail(spec, "the host port must be a number from 1 to 65535",
					   err, errlen);
	guest = dash + 1;
	colon = strrchr(guest, ':');
	if (!colon)
		return netcfg_forward_fail(spec, "no ':' before the guest port", err, errlen);
	p = netcfg_scan_port(colon + 1, &fwd.guest_port);
	if (!p || *p)
		return netcfg_forward_fail(spec, "the guest port must be a number from 1 to 65535",
					   err, errlen);
	len = colon - guest;
	if (len == 0)
		return netcfg_forward_fail(spec, "the guest (a VM name or an address) is missing",
					   err, errlen);
	/* A dotted quad is an address (natnet); anything else a VM (nat). */
	p = netcfg_scan_addr(guest, &addr);
	if (p == colon) {
		memcpy(fwd.guest_addr, guest, len);
	} else {
		char name[VM_NAME_MAX + 1];

		if (len > VM_NAME_MAX)
			return netcfg_forward_fail(spec, "the VM name is too long", err, errlen);
		memcpy(name, guest, len);
		name[len] = '\0';
		if (!vm_name_valid(name, why, sizeof(why)))
			return netcfg_forward_fail(
			    spec, "the guest must be a VM name (nat) or an IPv4 address (natnet)",
			    err, errlen);
		memcpy(fwd.guest_vm, guest, len);
	}
	*out = fwd;
	return 0;
}

void netcfg_format_forward(const struct net_forward *fwd, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s:%u-%s:%u", fwd->udp ? "udp" : "tcp",
		 fwd->host_addr[0] ? fwd->host_addr : "127.0.0.1", fwd->host_port,
		 fwd->guest_addr[0] ? fwd->guest_addr : fwd->guest_vm, fwd->guest_port);
}

static const char *netcfg_host_addr(const struct net_forward *f)
{
	return f->host_addr[0] ? f->host_addr : "127.0.0.1";
}

bool netcfg_forward_same_host_side(const struct net_forward *a, const struct net_forward *b)
{
	return a->udp == b->udp && a->host_port == b->host_port &&
	       strcmp(netcfg_host_addr(a), netcfg_host_addr(b)) == 0;
}

/* Would the two forwards fight for one socket? Also when one listens on
 * every address (0.0.0.0) and the other on one of them. */
static bool netcfg_forward_clash(const struct net_forward *a, const struct net_forward *b)
{
	if (a->udp != b->udp || a->host_port != b->host_port)
		return false;
	return !strcmp(netcfg_host_addr(a), netcfg_host_addr(b)) ||
	       !strcmp(netcfg_host_addr(a), "0.0.0.0") || !strcmp(netcfg_host_addr(b), "0.0.0.0");
}

bool netcfg_mac_valid(const char *mac)
{
	unsigned long first;
	bool zero = true;

	if (!mac || strlen(mac) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
			return false;
		if (i % 3 != 2 && mac[i] != '0')
			zero = false;
	}
	first = strtoul(mac, NULL, 16);
	return !(first & 1) && !zero; /* multicast bit clear; 0 is no address */
}

void netcfg_make_mac(const char *vm, int index, unsigned salt, char mac[18])
{
	char key[96];
	uint32_t h = 2166136261u; /* FNV-1a */
	int n;

	/* Salt 0 hashes "NAME/INDEX", the MAC virtty-vmm derives itself, so
	 * a VM keeps the address it had before NICs were stored. */
	if (!vm)
		vm = "";
	if (salt)
		n = snprintf(key, sizeof(key), "%s/%d/%u", vm, index, salt);
	else
		n = snprintf(key, sizeof(key), "%s/%d", vm, index);
	if (n >= (int)sizeof(key))
		n = sizeof(key) - 1;
	for (int i = 0; i < n; i++) {
		h ^= (uint8_t)key[i];
		h *= 16777619u;
	}
	snprintf(mac, 18, "52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
}

/* ---- netcfg_validate ---- */

/* What validate works from: the definition with its parsed numbers. */
struct netcfg_check {
	const struct net_config *cfg;
	struct ipv4_subnet subnet; /* valid when has_subnet */
	bool has_subnet;
	char *err;
	size_t errlen;
};

static int netcfg_fail(struct netcfg_check *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int netcfg_fail(struct netcfg_check *c, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, c->errlen, "network '%s': ", c->cfg->name);
	if (n < 0 || (size_t)n >= c->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return rc;
}

static bool netcfg_is_ifname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > NETCFG_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

/* Fields that exist for some modes only. */
static int netcfg_check_fields(struct netcfg_check *c)
{
	const struct net_config *cfg = c->cfg;
	const char *mode = net_mode_name(cfg->mode);
	bool l3 = cfg->mode == NET_MODE_NAT || cfg->mode == NET_MODE_NATNET ||
		  cfg->mode == NET_MODE_HOSTONLY;
	bool nat = cfg->mode == NET_MODE_NAT || cfg->mode == NET_MODE_NATNET;

	if ((unsigned)cfg->mode >= NET_MODE_COUNT)
		return netcfg_fail(c, -EINVAL, "unknown mode %d", (int)cfg->mode);
	if (cfg->mode == NET_MODE_BRIDGED && !cfg->bridge[0])
		return netcfg_fail(c, -EINVAL,
				   "a bridged network needs the host bridge to join (--bridge "
				   "br0)");
	if (cfg->mode == NET_MODE_BRIDGED && !netcfg_is_ifname(cfg->bridge))
		return netcfg_fail(c, -EINVAL,
				   "'%.*s' is not an interface name (at most %d characters, no "
				   "'/', ':' or blanks)",
				   20, cfg->bridge, NETCFG_IFNAME_MAX);
	if (cfg->mode != NET_MODE_BRIDGED && cfg->bridge[0])
		return netcfg_fail(c, -EINVAL, "a bridge is only for bridged networks, not %s",
				   mode);
	if (!l3 && (cfg->subnet[0] || cfg->dhcp_start[0] || cfg->dhcp_end[0]))
		return netcfg_fail(
		    c, -EINVAL, "%s networks take no subnet or DHCP range (%s)", mode,
		    cfg->mode == NET_MODE_BRIDGED ? "the bridge's LAN assigns addresses"
						  : "guests use addresses of their own choosing");
	if (l3 && !cfg->subnet[0])
		return netcfg_fail(c, -EINVAL, "a %s network needs a subnet, like %s", mode,
				   cfg->mode == NET_MODE_HOSTONLY ? "192.168.56.0/24"
								  : "10.0.2.0/24");
	if (!nat && cfg->nr_forwards)
		return netcfg_fail(
		    c, -EINVAL, "port forwards are only for nat and natnet networks, not %s", mode);
	if (cfg->nr_forwards < 0 || cfg->nr_forwards > NET_MAX_FORWARDS)
		return netcfg_fail(c, -EINVAL, "at most %d port forwards", NET_MAX_FORWARDS);
	return 0;
}

static int netcfg_check_subnet(struct netcfg_check *c)
{
	const struct net_config *cfg = c->cfg;
	char why[256];

	if (!cfg->subnet[0])
		return 0;
	if (netcfg_parse_subnet(cfg->subnet, &c->subnet, why, sizeof(why)) < 0)
		return netcfg_fail(c, -EINVAL, "%s", why);
	c->has_subnet = true;
	/* nat/natnet: network, gateway .2, DNS .3, a lease, broadcast. */
	if ((cfg->mode == NET_MODE_NAT || cfg->mode == NET_MODE_NATNET) && c->subnet.prefix > 29)
		return netcfg_fail(c, -EINVAL,
				   "subnet %s is too small for %s: the gateway (.2) and DNS (.3) "
				   "need room; use /29 or larger, like /24",
				   cfg->subnet, net_mode_name(cfg->mode));
	return 0;
}

/* An address of this network that a DHCP range must leave alone. */
static int netcfg_check_reserved(struct netcfg_check *c, uint32_t start, uint32_t end,
				 uint32_t addr, const char *what)
{
	char a[16];

	if (!addr || addr < start || addr > end)
		return 0;
	netcfg_format_addr(addr, a, sizeof(a));
	return netcfg_fail(c, -EINVAL,
			   "the DHCP range %s-%s includes %s, the %s; start the range after it",
			   c->cfg->dhcp_start, c->cfg->dhcp_end, a, what);
}

static int netcfg_check_dhcp(struct netcfg_check *c)
{
	const struct net_config *cfg = c->cfg;
	uint32_t start, end, first, last;
	char why[256], a[16], b[16];
	int rc;

	if (!cfg->dhcp_start[0] && !cfg->dhcp_end[0])
		return 0; /* nat/natnet: the default range; hostonly: no DHCP */
	if (!c->has_subnet)
		return netcfg_fail(c, -EINVAL, "a DHCP range needs a subnet");
	if (!cfg->dhcp_start[0] || !cfg->dhcp_end[0])
		return netcfg_fail(c, -EINVAL, "give both ends of the DHCP range (start and end)");
	if (netcfg_parse_addr(cfg->dhcp_start, &start, why, sizeof(why)) < 0 ||
	    netcfg_parse_addr(cfg->dhcp_end, &end, why, sizeof(why)) < 0)
		return netcfg_fail(c, -EINVAL, "DHCP range: %s", why);
	if (start > end)
		return netcfg_fail(c, -EINVAL,
				   "the DHCP range starts at %s, after its end %s; swap them",
				   cfg->dhcp_start, cfg->dhcp_end);
	first = c->subnet.addr + 1;
	last = netcfg_broadcast(&c->subnet) - 1;
	if (!netcfg_contains(&c->subnet, start) || !netcfg_contains(&c->subnet, end)) {
		netcfg_format_addr(first, a, sizeof(a));
		netcfg_format_addr(last, b, sizeof(b));
		return netcfg_fail(c, -EINVAL,
				   "the DHCP range %s-%s is not inside the subnet %s (use "
				   "addresses from %s to %s)",
				   cfg->dhcp_start, cfg->dhcp_end, cfg->subnet, a, b);
	}
	rc = netcfg_check_reserved(c, start, end, c->subnet.addr, "network address");
	if (!rc)
		rc = netcfg_check_reserved(c, start, end, netcfg_broadcast(&c->subnet),
					   "broadcast address");
	if (!rc)
		rc = netcfg_check_reserved(c, start, end, netcfg_gateway(cfg->mode, &c->subnet),
					   cfg->mode == NET_MODE_HOSTONLY ? "host's address"
									  : "gateway");
	if (!rc)
		rc = netcfg_check_reserved(c, start, end, netcfg_dns(cfg->mode, &c->subnet),
					   "DNS server");
	if (rc)
		return rc;
	if ((cfg->mode == NET_MODE_NAT || cfg->mode == NET_MODE_NATNET) &&
	    end - start + 1 > NETCFG_SLIRP_LEASES)
		return netcfg_fail(c, -EINVAL,
				   "the DHCP range %s-%s has %u addresses; the NAT's DHCP server "
				   "(libslirp) hands out at most %d, so end it at or before the "
				   "start + %d",
				   cfg->dhcp_start, cfg->dhcp_end, end - start + 1,
				   NETCFG_SLIRP_LEASES, NETCFG_SLIRP_LEASES - 1);
	return 0;
}

static int netcfg_check_forward(struct netcfg_check *c, int i)
{
	const struct net_forward *f = &c->cfg->forwards[i];
	char spec[128], why[256];
	uint32_t addr;

	netcfg_format_forward(f, spec, sizeof(spec));
	if (f->host_port == 0 || f->guest_port == 0)
		return netcfg_fail(c, -EINVAL, "port forward %s: ports must be from 1 to 65535",
				   spec);
	if (f->host_addr[0] && netcfg_parse_addr(f->host_addr, &addr, why, sizeof(why)) < 0)
		return netcfg_fail(c, -EINVAL, "port forward %s: host address %s", spec, why);
	if (c->cfg->mode == NET_MODE_NAT) {
		if (f->guest_addr[0] || !f->guest_vm[0])
			return netcfg_fail(c, -EINVAL,
					   "port forward %s: in a nat network each VM has its own "
					   "NAT, so name the VM (like tcp:2222-web:22)",
					   spec);
		if (!vm_name_valid(f->guest_vm, why, sizeof(why)))
			return netcfg_fail(c, -EINVAL, "port forward %s: %s", spec, why);
		return 0;
	}
	if (f->guest_vm[0] || !f->guest_addr[0]) {
		uint32_t start, end;
		char example[16];

		netcfg_default_dhcp(c->cfg->mode, &c->subnet, &start, &end);
		netcfg_format_addr(start, example, sizeof(example));
		return netcfg_fail(c, -EINVAL,
				   "port forward %s: in a natnet network name the guest's address "
				   "on %s (like tcp:%u-%s:%u)",
				   spec, c->cfg->subnet, f->host_port, example, f->guest_port);
	}
	if (netcfg_parse_addr(f->guest_addr, &addr, why, sizeof(why)) < 0)
		return netcfg_fail(c, -EINVAL, "port forward %s: %s", spec, why);
	if (!netcfg_contains(&c->subnet, addr) || addr == c->subnet.addr ||
	    addr == netcfg_broadcast(&c->subnet) ||
	    addr == netcfg_gateway(c->cfg->mode, &c->subnet) ||
	    addr == netcfg_dns(c->cfg->mode, &c->subnet))
		return netcfg_fail(c, -EINVAL,
				   "port forward %s: %s is not a guest address of the subnet %s",
				   spec, f->guest_addr, c->cfg->subnet);
	return 0;
}

static int netcfg_check_forwards(struct netcfg_check *c, const struct net_config *others,
				 int nr_others)
{
	const struct net_config *cfg = c->cfg;
	char a[128], b[128];
	int rc;

	for (int i = 0; i < cfg->nr_forwards; i++) {
		rc = netcfg_check_forward(c, i);
		if (rc)
			return rc;
		netcfg_format_forward(&cfg->forwards[i], a, sizeof(a));
		for (int j = 0; j < i; j++)
			if (netcfg_forward_clash(&cfg->forwards[j], &cfg->forwards[i])) {
				netcfg_format_forward(&cfg->forwards[j], b, sizeof(b));
				return netcfg_fail(c, -EINVAL,
						   "port forwards %s and %s use the same host "
						   "port; pick another host port",
						   b, a);
			}
		/* Two networks' forwards would fight for the socket too. */
		for (int o = 0; o < nr_others; o++)
			for (int j = 0; j < others[o].nr_forwards && j < NET_MAX_FORWARDS; j++)
				if (netcfg_forward_clash(&others[o].forwards[j],
							 &cfg->forwards[i])) {
					netcfg_format_forward(&others[o].forwards[j], b, sizeof(b));
					return netcfg_fail(c, -EINVAL,
							   "port forward %s: network '%s' "
							   "already forwards that host port (%s); "
							   "pick another host port",
							   a, others[o].name, b);
				}
	}
	return 0;
}

/* Subnets the host would route twice: hostonly against host routes and
 * other hostonly/natnet networks; natnet against hostonly/natnet. */
static int netcfg_check_overlaps(struct netcfg_check *c, const struct net_config *others,
				 int nr_others, const struct ipv4_subnet *routes, int nr_routes,
				 char *warning, size_t warnlen)
{
	const struct net_config *cfg = c->cfg;
	struct ipv4_subnet o;
	char r[24], why[8];

	if (!c->has_subnet || (cfg->mode != NET_MODE_HOSTONLY && cfg->mode != NET_MODE_NATNET &&
			       cfg->mode != NET_MODE_NAT))
		return 0;
	for (int i = 0; cfg->mode != NET_MODE_NAT && i < nr_others; i++) {
		if (others[i].mode != NET_MODE_HOSTONLY && others[i].mode != NET_MODE_NATNET)
			continue;
		if (netcfg_parse_subnet(others[i].subnet, &o, why, sizeof(why)) < 0)
			continue; /* a broken file is reported where it is read */
		if (netcfg_overlap(&c->subnet, &o))
			return netcfg_fail(c, -EINVAL,
					   "subnet %s overlaps %s of %s network '%s'; pick "
					   "another subnet",
					   cfg->subnet, others[i].subnet,
					   net_mode_name(others[i].mode), others[i].name);
	}
	for (int i = 0; i < nr_routes; i++) {
		if (!netcfg_overlap(&c->subnet, &routes[i]))
			continue;
		netcfg_format_subnet(&routes[i], r, sizeof(r));
		if (cfg->mode == NET_MODE_HOSTONLY)
			return netcfg_fail(c, -EINVAL,
					   "subnet %s overlaps the host's route to %s; pick "
					   "another subnet (like 192.168.56.0/24)",
					   cfg->subnet, r);
		/* NAT guests reach the outside through the host, and the
		 * host sends traffic for r where its route says. */
		if (warning && warnlen && !warning[0])
			snprintf(warning, warnlen,
				 "network '%s': subnet %s overlaps the host's route to %s; "
				 "guests will not reach %s on the host's side",
				 cfg->name, cfg->subnet, r, r);
	}
	return 0;
}

int netcfg_validate(const struct net_config *cfg, const struct net_config *others, int nr_others,
		    const struct ipv4_subnet *routes, int nr_routes, char *warning, size_t warnlen,
		    char *err, size_t errlen)
{
	struct netcfg_check c = {.cfg = cfg, .err = err, .errlen = errlen};
	char why[256];
	int rc;

	if (warning && warnlen)
		warning[0] = '\0';
	if (!vm_name_valid(cfg->name, why, sizeof(why))) {
		snprintf(err, errlen, "network: %s", why);
		return -EINVAL;
	}
	for (int i = 0; i < nr_others; i++)
		if (!strcmp(others[i].name, cfg->name)) {
			snprintf(err, errlen,
				 "network '%s' already exists; pick another name or 'virtty "
				 "net-delete %s' first",
				 cfg->name, cfg->name);
			return -EEXIST;
		}
	rc = netcfg_check_fields(&c);
	if (!rc)
		rc = netcfg_check_subnet(&c);
	if (!rc)
		rc = netcfg_check_dhcp(&c);
	if (!rc)
		rc = netcfg_check_forwards(&c, others, nr_others);
	if (!rc)
		rc = netcfg_check_overlaps(&c, others, nr_others, routes, nr_routes, warning,
					   warnlen);
	if (rc && warning && warnlen)
		warning[0] = '\0';
	return rc;
}
