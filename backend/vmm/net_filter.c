/* Host isolation for the NAT backends (see net_filter.h): a pure verdict on
 * each guest frame, plus the table of port-forward conversations whose
 * answers may go back to the host. Frames are guest-controlled: every
 * header field is checked against the frame's length before it is read,
 * and an IP frame too broken to judge is dropped (fail closed). */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net_filter.h"

#define ETH_HLEN	 14
#define ETHERTYPE_IPV4	 0x0800
#define ETHERTYPE_IPV6	 0x86dd
#define IPV4_MIN_HLEN	 20
#define IPV6_HLEN	 40
#define ICMP_ECHO_REQ	 8
#define PORT_DNS	 53
#define PORT_DHCP_SERVER 67

/* What the filter needs of an IPv4 packet; ports are 0 when absent. */
struct net_filter_ip4 {
	uint8_t proto;
	uint32_t src, dst; /* network order */
	bool has_l4;	   /* first fragment with the ports (or ICMP type) present */
	uint16_t sport, dport;
	uint8_t icmp_type;
};

static uint16_t net_filter_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void net_filter_init(struct net_filter *f, struct in_addr net, struct in_addr mask,
		     struct in_addr gateway, struct in_addr dns)
{
	memset(f, 0, sizeof(*f));
	f->net = net.s_addr;
	f->mask = mask.s_addr;
	f->gateway = gateway.s_addr;
	f->dns = dns.s_addr;
}

void net_filter_set_hosts(struct net_filter *f, const struct net_filter_hosts *hosts)
{
	f->hosts = *hosts;
}

int net_filter_read_hosts(struct net_filter_hosts *out, char *err, size_t errlen)
{
	struct ifaddrs *list, *ifa;

	if (getifaddrs(&list)) {
		int e = errno;

		snprintf(err, errlen, "cannot list the host's addresses (getifaddrs): %s",
			 strerror(e));
		return -e;
	}
	out->nr4 = out->nr6 = 0;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr;

		if (!sa)
			continue;
		if (sa->sa_family == AF_INET && out->nr4 < NET_FILTER_MAX_HOST4)
			out->v4[out->nr4++] =
			    ((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		else if (sa->sa_family == AF_INET6 && out->nr6 < NET_FILTER_MAX_HOST6)
			out->v6[out->nr6++] =
			    ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	}
	freeifaddrs(list);
	return 0;
}

/* 0: not IPv4; 1: parsed into *ip; -1: IPv4 but malformed. */
static int net_filter_parse_ip4(const uint8_t *frame, size_t len, struct net_filter_ip4 *ip)
{
	const uint8_t *h = frame + ETH_HLEN;
	size_t hlen;
	uint16_t frag;

	if (len < ETH_HLEN || net_filter_get16(frame + 12) != ETHERTYPE_IPV4)
		return 0;
	if (len < ETH_HLEN + IPV4_MIN_HLEN || (h[0] >> 4) != 4)
		return -1;
	hlen = (size_t)(h[0] & 15) * 4;
	if (hlen < IPV4_MIN_HLEN || len < ETH_HLEN + hlen)
		return -1;
	memset(ip, 0, sizeof(*ip));
	ip->proto = h[9];
	memcpy(&ip->src, h + 12, 4);
	memcpy(&ip->dst, h + 16, 4);
	frag = net_filter_get16(h + 6) & 0x1fff;
	if (frag)
		return 1; /* a later fragment: no ports to look at */
	h += hlen;
	len -= ETH_HLEN + hlen;
	if ((ip->proto == IPPROTO_TCP || ip->proto == IPPROTO_UDP) && len >= 4) {
		ip->sport = net_filter_get16(h);
		ip->dport = net_filter_get16(h + 2);
		ip->has_l4 = true;
	} else if (ip->proto == IPPROTO_ICMP && len >= 1) {
		ip->icmp_type = h[0];
		ip->has_l4 = true;
	}
	return 1;
}

/* Would a packet to addr (network order) end up at the host itself? */
static bool net_filter_is_host4(const struct net_filter *f, uint32_t addr)
{
	uint32_t a = ntohl(addr);

	/* libslirp maps its whole network (gateway included) to loopback;
	 * 127/8 is loopback, and a connection to 0.0.0.0 lands there too. */
	if ((addr & f->mask) == f->net || a >> 24 == 127 || a >> 24 == 0)
		return true;
	for (int i = 0; i < f->hosts.nr4; i++)
		if (f->hosts.v4[i].s_addr == addr)
			return true;
	return false;
}

static struct net_filter_flow *net_filter_find_flow(struct net_filter *f, uint8_t proto,
						    uint32_t host_addr, uint16_t host_port,
						    uint16_t guest_port)
{
	for (int i = 0; i < NET_FILTER_MAX_FLOWS; i++) {
		struct net_filter_flow *fl = &f->flows[i];

		if (fl->proto == proto && fl->host_addr == host_addr &&
		    fl->host_port == host_port && fl->guest_port == guest_port)
			return fl;
	}
	return NULL;
}

/* The services of the NAT itself that a guest may use. */
static bool net_filter_nat_service(const struct net_filter *f, const struct net_filter_ip4 *ip)
{
	uint32_t bcast = f->net | ~f->mask;

	if (!ip->has_l4)
		return false;
	if (ip->proto == IPPROTO_ICMP && ip->icmp_type == ICMP_ECHO_REQ)
		return ip->dst == f->gateway || ip->dst == f->dns;
	if ((ip->proto == IPPROTO_UDP || ip->proto == IPPROTO_TCP) && ip->dport == PORT_DNS)
		return ip->dst == f->dns;
	if (ip->proto == IPPROTO_UDP && ip->dport == PORT_DHCP_SERVER)
		return ip->dst == f->gateway || ip->dst == bcast;
	return false;
}

static enum net_filter_verdict net_filter_ip4_from_guest(struct net_filter *f,
							 const struct net_filter_ip4 *ip)
{
	if (!net_filter_is_host4(f, ip->dst) || net_filter_nat_service(f, ip))
		return NET_FILTER_PASS;
	if (ip->has_l4 && (ip->proto == IPPROTO_TCP || ip->proto == IPPROTO_UDP)) {
		struct net_filter_flow *fl =
		    net_filter_find_flow(f, ip->proto, ip->dst, ip->dport, ip->sport);
		if (fl) {
			fl->last_used = ++f->clock;
			return NET_FILTER_PASS;
		}
	}
	return NET_FILTER_DROP;
}

static enum net_filter_verdict net_filter_ip6_from_guest(const struct net_filter *f,
							 const uint8_t *frame, size_t len)
{
	struct in6_addr dst;

	if (len < ETH_HLEN + IPV6_HLEN)
		return NET_FILTER_DROP;
	memcpy(&dst, frame + ETH_HLEN + 24, sizeof(dst));
	if (IN6_IS_ADDR_LOOPBACK(&dst) || IN6_IS_ADDR_UNSPECIFIED(&dst))
		return NET_FILTER_DROP;
	for (int i = 0; i < f->hosts.nr6; i++)
		if (!memcmp(&f->hosts.v6[i], &dst, sizeof(dst)))
			return NET_FILTER_DROP;
	return NET_FILTER_PASS;
}

enum net_filter_verdict net_filter_from_guest(struct net_filter *f, const void *frame, size_t len)
{
	struct net_filter_ip4 ip;
	int r = net_filter_parse_ip4(frame, len, &ip);

	if (r < 0)
		return NET_FILTER_DROP;
	if (r > 0)
		return net_filter_ip4_from_guest(f, &ip);
	if (len >= ETH_HLEN && net_filter_get16((const uint8_t *)frame + 12) == ETHERTYPE_IPV6)
		return net_filter_ip6_from_guest(f, frame, len);
	return NET_FILTER_PASS;
}

void net_filter_to_guest(struct net_filter *f, const void *frame, size_t len)
{
	struct net_filter_ip4 ip;
	struct net_filter_flow *fl, *slot = NULL;

	if (net_filter_parse_ip4(frame, len, &ip) <= 0 || !ip.has_l4 ||
	    (ip.proto != IPPROTO_TCP && ip.proto != IPPROTO_UDP) || !net_filter_is_host4(f, ip.src))
		return;
	fl = net_filter_find_flow(f, ip.proto, ip.src, ip.sport, ip.dport);
	if (!fl) {
		/* A free slot, else the least recently used one. */
		for (int i = 0; i < NET_FILTER_MAX_FLOWS; i++) {
			struct net_filter_flow *c = &f->flows[i];

			if (!c->proto) {
				slot = c;
				break;
			}
			if (!slot || c->last_used < slot->last_used)
				slot = c;
		}
		fl = slot;
		*fl = (struct net_filter_flow){.proto = ip.proto,
					       .host_addr = ip.src,
					       .host_port = ip.sport,
					       .guest_port = ip.dport};
	}
	fl->last_used = ++f->clock;
}
