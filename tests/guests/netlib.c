/* The test guests' IPv4 host over virtio-net (see netlib.h). Frames come
 * from the VMM under test, so every length is checked before use. */
#include "guest.h"
#include "netlib.h"

#define NET_F_MAC	(1ULL << 5)
#define NET_F_MRG_RXBUF (1ULL << 15)
#define NET_F_STATUS	(1ULL << 16)
#define RX_BUF_SIZE	2048
/* How long to wait for a reply: ~2 s at 3 GHz; a LAN or slirp answers in ms. */
#define REPLY_TSC 6000000000ull
#define ARP_TRIES 2
#define ARP_CACHE 8

#define ETH_ARP 0x0806
#define ETH_IP	0x0800
#define IP_ICMP 1
#define IP_UDP	17
#define PING_ID 0x7654

struct virtio_dev net_dev;
struct virtq net_rxq, net_txq;
uint8_t net_tx_buf[NET_HDR + 1600];
uint8_t net_mac[6], net_ip[4], net_router[4];
unsigned int net_prefix;
uint32_t net_rx_count, net_tx_count;

static uint8_t rx_bufs[VIRTQ_MAX_SIZE][RX_BUF_SIZE] __attribute__((aligned(64)));
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static uint32_t xid = 0x5669a7e1;

static struct {
	uint8_t ip[4], mac[6];
} arp_cache[ARP_CACHE];
static unsigned int arp_next;

/* What the last received frames told the waiting code. */
static struct {
	int dhcp_type; /* 2 offer, 5 ack, 6 nak */
	uint8_t dhcp_yiaddr[4], dhcp_server[4], dhcp_mask[4], dhcp_router[4];
	int ping_reply; /* sequence number */
	int udp_reply;
	uint8_t udp_ip[4]; /* what a UDP reply must come from / to */
	uint16_t udp_sport, udp_dport;
} seen;

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int is_zero_ip(const uint8_t ip[4])
{
	return !(ip[0] | ip[1] | ip[2] | ip[3]);
}

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

const char *net_parse_ip(const char *s, uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned int v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned int)(*s++ - '0');
			digits++;
		}
		if (!digits || v > 255 || (i < 3 && *s++ != '.'))
			return NULL;
		ip[i] = (uint8_t)v;
	}
	return s;
}

int net_setup(void)
{
	if (virtio_pci_open(&net_dev, VIRTIO_PCI_DEVICE_NET, "net") ||
	    virtio_negotiate(&net_dev, NET_F_MAC | NET_F_STATUS | NET_F_MRG_RXBUF) ||
	    virtio_queue_setup(&net_dev, 0, &net_rxq) ||
	    virtio_queue_setup(&net_dev, 1, &net_txq) || virtio_driver_ok(&net_dev))
		return -1;
	for (int i = 0; i < 6; i++)
		net_mac[i] = virtio_cfg_read8(&net_dev, (uint32_t)i);
	/* Every RX buffer posted: descriptor i is buffer i for good. */
	for (uint16_t i = 0; i < net_rxq.size; i++) {
		net_rxq.desc[i].addr = (uint64_t)(uintptr_t)rx_bufs[i];
		net_rxq.desc[i].len = RX_BUF_SIZE;
		net_rxq.desc[i].flags = VIRTQ_DESC_F_WRITE;
		net_rxq.desc[i].next = 0;
		net_rxq.avail->ring[i] = i;
	}
	mb();
	net_rxq.avail->idx = net_rxq.size;
	virtq_kick(&net_dev, &net_rxq);
	return 0;
}

int net_send(const uint8_t *frame, size_t len)
{
	struct virtq_buf buf = {net_tx_buf, (uint32_t)(NET_HDR + len), 0};

	if (len > sizeof(net_tx_buf) - NET_HDR)
		return -1;
	memset(net_tx_buf, 0, NET_HDR);
	memcpy(net_tx_buf + NET_HDR, frame, len);
	if (virtq_transfer(&net_dev, &net_txq, &buf, 1, NULL))
		return -1;
	net_tx_count++;
	return 0;
}

/* Ethernet + IPv4 header in f for a payload of plen bytes; returns the
 * offset of the payload. */
static size_t ip_header(uint8_t *f, const uint8_t *dmac, const uint8_t *src, const uint8_t *dst,
			uint8_t proto, size_t plen)
{
	static uint16_t ip_id;
	uint8_t *ip = f + 14;

	memcpy(f, dmac, 6);
	memcpy(f + 6, net_mac, 6);
	put16(f + 12, ETH_IP);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + plen));
	put16(ip + 4, ++ip_id);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, ip_checksum(ip, 20));
	return 34;
}

static void send_arp(uint16_t op, const uint8_t *tmac, const uint8_t *tip)
{
	uint8_t f[60] = {0};

	memcpy(f, op == 1 ? bcast : tmac, 6);
	memcpy(f + 6, net_mac, 6);
	put16(f + 12, ETH_ARP);
	put16(f + 14, 1);
	put16(f + 16, ETH_IP);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, net_mac, 6);
	memcpy(f + 28, net_ip, 4);
	memcpy(f + 32, op == 1 ? (const uint8_t *)"\0\0\0\0\0\0" : tmac, 6);
	memcpy(f + 38, tip, 4);
	net_send(f, sizeof(f));
}

static void arp_learn(const uint8_t ip[4], const uint8_t mac[6])
{
	unsigned int i;

	if (is_zero_ip(ip))
		return;
	for (i = 0; i < ARP_CACHE; i++)
		if (!memcmp(arp_cache[i].ip, ip, 4))
			break;
	if (i == ARP_CACHE)
		i = arp_next++ % ARP_CACHE;
	memcpy(arp_cache[i].ip, ip, 4);
	memcpy(arp_cache[i].mac, mac, 6);
}

static int arp_lookup(const uint8_t ip[4], uint8_t mac[6])
{
	for (unsigned int i = 0; i < ARP_CACHE; i++)
		if (!memcmp(arp_cache[i].ip, ip, 4) && !is_zero_ip(ip)) {
			memcpy(mac, arp_cache[i].mac, 6);
			return 0;
		}
	return -1;
}

static void send_dhcp(int type)
{
	static const uint8_t zero[4], all[4] = {255, 255, 255, 255};
	uint8_t f[400] = {0};
	uint8_t *b = f + 42, *o = b + 240;
	size_t off, plen;

	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1;
	b[2] = 6;
	b[4] = (uint8_t)(xid >> 24);
	b[5] = (uint8_t)(xid >> 16);
	b[6] = (uint8_t)(xid >> 8);
	b[7] = (uint8_t)xid;
	put16(b + 10, 0x8000); /* broadcast reply */
	memcpy(b + 28, net_mac, 6);
	b[236] = 99, b[237] = 130, b[238] = 83, b[239] = 99; /* magic cookie */
	*o++ = 53, *o++ = 1, *o++ = (uint8_t)type;
	if (type == 3) {
		*o++ = 50, *o++ = 4;
		memcpy(o, seen.dhcp_yiaddr, 4);
		o += 4;
		*o++ = 54, *o++ = 4;
		memcpy(o, seen.dhcp_server, 4);
		o += 4;
	}
	*o++ = 55, *o++ = 2, *o++ = 1, *o++ = 3; /* subnet mask, router */
	*o++ = 255;
	plen = (size_t)(o - (f + 34));
	off = ip_header(f, bcast, zero, all, IP_UDP, plen);
	put16(f + off, 68);
	put16(f + off + 2, 67);
	put16(f + off + 4, (uint16_t)plen);
	put16(f + off + 6, 0); /* no UDP checksum (allowed for IPv4) */
	net_send(f, 34 + plen);
}

static void handle_dhcp(const uint8_t *b, size_t len)
{
	const uint8_t *o = b + 240, *end = b + len;
	int type = 0;

	if (len < 240 || b[0] != 2 || memcmp(b + 28, net_mac, 6) ||
	    get16(b + 4) != (uint16_t)(xid >> 16) || get16(b + 6) != (uint16_t)xid)
		return;
	memset(seen.dhcp_mask, 0, 4);
	memset(seen.dhcp_router, 0, 4);
	while (o < end && *o != 255) {
		if (*o == 0) {
			o++;
			continue;
		}
		if (o + 2 > end || o + 2 + o[1] > end)
			break;
		if (o[0] == 53 && o[1] == 1)
			type = o[2];
		if (o[0] == 54 && o[1] == 4)
			memcpy(seen.dhcp_server, o + 2, 4);
		if (o[0] == 1 && o[1] == 4)
			memcpy(seen.dhcp_mask, o + 2, 4);
		if (o[0] == 3 && o[1] >= 4)
			memcpy(seen.dhcp_router, o + 2, 4);
		o += 2 + o[1];
	}
	memcpy(seen.dhcp_yiaddr, b + 16, 4);
	seen.dhcp_type = type;
}

static void handle_udp_echo(const uint8_t *f, const uint8_t *ip, const uint8_t *udp, size_t ulen)
{
	uint8_t r[14 + 20 + 8 + 1472];
	size_t plen = ulen - 8, off;

	if (plen > 1472)
		return;
	off = ip_header(r, f + 6, net_ip, ip + 12, IP_UDP, ulen);
	put16(r + off, NET_ECHO_PORT);
	put16(r + off + 2, get16(udp));
	put16(r + off + 4, (uint16_t)ulen);
	put16(r + off + 6, 0);
	for (size_t i = 0; i < plen; i++) {
		uint8_t c = udp[8 + i];

		r[off + 8 + i] = c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c;
	}
	net_send(r, off + ulen);
}

static void handle_udp(const uint8_t *f, const uint8_t *ip, const uint8_t *udp, size_t ulen)
{
	int to_me = !is_zero_ip(net_ip) && !memcmp(ip + 16, net_ip, 4);

	if (get16(udp + 2) == 68)
		handle_dhcp(udp + 8, ulen - 8);
	else if (to_me && get16(udp + 2) == NET_ECHO_PORT)
		handle_udp_echo(f, ip, udp, ulen);
	else if (to_me && get16(udp + 2) == seen.udp_sport && get16(udp) == seen.udp_dport &&
		 !memcmp(ip + 12, seen.udp_ip, 4))
		seen.udp_reply = 1;
}

/* An echo request to us: the same identifier, sequence and data back. */
static void handle_echo_request(const uint8_t *f, const uint8_t *ip, const uint8_t *icmp,
				size_t ilen)
{
	uint8_t r[14 + 20 + 1480];
	size_t off;

	if (ilen > 1480)
		return;
	off = ip_header(r, f + 6, net_ip, ip + 12, IP_ICMP, ilen);
	memcpy(r + off, icmp, ilen);
	r[off] = 0; /* echo reply */
	put16(r + off + 2, 0);
	put16(r + off + 2, ip_checksum(r + off, ilen));
	net_send(r, off + ilen);
}

static void handle_ip(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 15) * 4, tot = get16(ip + 2);
	int to_me = !is_zero_ip(net_ip) && !memcmp(ip + 16, net_ip, 4);

	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || 14 + tot > len)
		return;
	if (ip[9] == IP_UDP && tot >= ihl + 8) {
		const uint8_t *udp = ip + ihl;
		size_t ulen = get16(udp + 4);

		if (ulen >= 8 && ulen <= tot - ihl)
			handle_udp(f, ip, udp, ulen);
	} else if (ip[9] == IP_ICMP && tot >= ihl + 8 && to_me) {
		const uint8_t *icmp = ip + ihl;

		if (icmp[0] == 0 && get16(icmp + 4) == PING_ID)
			seen.ping_reply = get16(icmp + 6);
		else if (icmp[0] == 8)
			handle_echo_request(f, ip, icmp, tot - ihl);
	}
}

static void handle_frame(const uint8_t *f, size_t len)
{
	uint16_t type;

	if (len < 14 || (memcmp(f, net_mac, 6) && memcmp(f, bcast, 6)))
		return;
	type = get16(f + 12);
	if (type == ETH_ARP && len >= 42) {
		const uint8_t *a = f + 14;

		if (get16(a + 6) == 1 && !is_zero_ip(net_ip) && !memcmp(a + 24, net_ip, 4)) {
			arp_learn(a + 14, a + 8);
			send_arp(2, a + 8, a + 14); /* who-has us: tell */
		} else if (get16(a + 6) == 2) {
			arp_learn(a + 14, a + 8);
		}
		return;
	}
	if (type == ETH_IP && len >= 34)
		handle_ip(f, len);
}

void net_poll(void)
{
	int reposted = 0;

	while (net_rxq.used->idx != net_rxq.last_used) {
		volatile struct virtq_used_elem *e;
		uint32_t id, len;
		const uint8_t *b;

		mb();
		e = &net_rxq.used->ring[net_rxq.last_used % net_rxq.size];
		id = e->id;
		len = e->len;
		net_rxq.last_used++;
		if (id >= net_rxq.size)
			continue;
		b = rx_bufs[id];
		/* num_buffers must be 1: every frame fits one 2 KiB buffer. */
		if (len > NET_HDR && len <= RX_BUF_SIZE && b[10] == 1 && b[11] == 0) {
			net_rx_count++;
			handle_frame(b + NET_HDR, len - NET_HDR);
		}
		net_rxq.avail->ring[net_rxq.avail->idx % net_rxq.size] = (uint16_t)id;
		mb();
		net_rxq.avail->idx++;
		reposted = 1;
	}
	if (reposted)
		virtq_kick(&net_dev, &net_rxq);
}

/* Poll until done() holds or the time is up. */
static int wait_until(int (*done)(const void *), const void *arg)
{
	uint64_t start = rdtsc();

	while (!done(arg)) {
		if (rdtsc() - start > REPLY_TSC)
			return -1;
		net_poll();
	}
	return 0;
}

static int flag_set(const void *flag)
{
	return *(const volatile int *)flag;
}

static int arp_known(const void *ip)
{
	uint8_t mac[6];

	return !arp_lookup(ip, mac);
}

int net_dhcp(uint8_t server[4])
{
	for (int attempt = 0; attempt < 3; attempt++) {
		uint32_t mask;

		seen.dhcp_type = 0;
		send_dhcp(1);
		if (wait_until(flag_set, &seen.dhcp_type) || seen.dhcp_type != 2)
			continue;
		seen.dhcp_type = 0;
		send_dhcp(3);
		if (wait_until(flag_set, &seen.dhcp_type) || seen.dhcp_type != 5)
			continue;
		memcpy(net_ip, seen.dhcp_yiaddr, 4);
		memcpy(net_router, seen.dhcp_router, 4);
		memcpy(server, seen.dhcp_server, 4);
		mask = (uint32_t)seen.dhcp_mask[0] << 24 | (uint32_t)seen.dhcp_mask[1] << 16 |
		       (uint32_t)seen.dhcp_mask[2] << 8 | seen.dhcp_mask[3];
		for (net_prefix = 0; net_prefix < 32 && (mask << net_prefix) >> 31; net_prefix++)
			;
		return 0;
	}
	return -1;
}

static int on_link(const uint8_t ip[4])
{
	for (unsigned int bit = 0; bit < net_prefix; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		if ((ip[bit / 8] ^ net_ip[bit / 8]) & m)
			return 0;
	}
	return 1;
}

int net_resolve(const uint8_t ip[4], uint8_t mac[6])
{
	const uint8_t *hop = ip;

	if (!on_link(ip)) {
		if (is_zero_ip(net_router))
			return -1; /* no route */
		hop = net_router;
	}
	for (int i = 0; i < ARP_TRIES; i++) {
		if (!arp_lookup(hop, mac))
			return 0;
		send_arp(1, bcast, hop);
		if (!wait_until(arp_known, hop))
			return arp_lookup(hop, mac);
	}
	return -1;
}

int net_ping(const uint8_t ip[4], uint16_t seq)
{
	uint8_t f[14 + 20 + 8 + 32], dmac[6];
	uint8_t *icmp = f + 34;

	if (net_resolve(ip, dmac))
		return -1;
	ip_header(f, dmac, net_ip, ip, IP_ICMP, 40);
	memset(icmp, 0, 40);
	icmp[0] = 8; /* echo request */
	put16(icmp + 4, PING_ID);
	put16(icmp + 6, seq);
	for (int i = 0; i < 32; i++)
		icmp[8 + i] = (uint8_t)('a' + i % 26);
	put16(icmp + 2, ip_checksum(icmp, 40));
	seen.ping_reply = 0;
	net_send(f, sizeof(f));
	if (wait_until(flag_set, &seen.ping_reply) || seen.ping_reply != seq)
		return -1;
	return 0;
}

int net_udp_send(const uint8_t ip[4], uint16_t sport, uint16_t dport, const void *data, size_t len)
{
	uint8_t f[14 + 20 + 8 + 512], dmac[6];
	size_t off;

	if (len > 512 || net_resolve(ip, dmac))
		return -1;
	off = ip_header(f, dmac, net_ip, ip, IP_UDP, 8 + len);
	put16(f + off, sport);
	put16(f + off + 2, dport);
	put16(f + off + 4, (uint16_t)(8 + len));
	put16(f + off + 6, 0);
	memcpy(f + off + 8, data, len);
	return net_send(f, off + 8 + len);
}

int net_udp_probe(const uint8_t ip[4], uint16_t sport, uint16_t dport, const void *data, size_t len)
{
	memcpy(seen.udp_ip, ip, 4);
	seen.udp_sport = sport;
	seen.udp_dport = dport;
	seen.udp_reply = 0;
	if (net_udp_send(ip, sport, dport, data, len))
		return -1;
	return wait_until(flag_set, &seen.udp_reply);
}
