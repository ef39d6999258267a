/* net.elf: a tiny IPv4 host on virtio-net for tests/net/vmm-net.sh. Gets a
 * DHCP lease, ARPs and pings the gateway, then answers ARP for its address
 * and runs a UDP echo service on port 7 that upper-cases the payload.
 * COM1 commands: 's' prints rx/tx counts, 'p' pings the gateway again,
 * 'uNNNNN' sends a UDP datagram to 10.0.2.2:NNNNN (the host's loopback
 * through NAT), 'g' posts hostile TX chains and then re-initialises the
 * device, 'q' powers off. Everything is polled (no interrupts). */
#include "guest.h"
#include "guest_virtio.h"

#define NET_F_MAC	(1ULL << 5)
#define NET_F_MRG_RXBUF (1ULL << 15)
#define NET_F_STATUS	(1ULL << 16)
#define NET_HDR		12
#define RX_BUF_SIZE	2048
#define UART_LSR	5
#define UART_LSR_DR	0x01
/* How long to wait for a reply: ~2 s at 3 GHz; slirp answers in ms. */
#define REPLY_TSC 6000000000ull

#define ETH_ARP	  0x0806
#define ETH_IP	  0x0800
#define IP_ICMP	  1
#define IP_UDP	  17
#define ECHO_PORT 7

static struct virtio_dev dev;
static struct virtq rxq, txq;
static uint8_t rx_bufs[VIRTQ_MAX_SIZE][RX_BUF_SIZE] __attribute__((aligned(64)));
static uint8_t tx_buf[NET_HDR + 1600];
static uint8_t mac[6];
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static uint8_t my_ip[4], gw_ip[4] = {10, 0, 2, 2}, gw_mac[6];
static uint32_t rx_count, tx_count, xid = 0x5669a7e1;

/* What the last received frame told the waiting code. */
static struct {
	int dhcp_type; /* 2 offer, 5 ack, 6 nak */
	uint8_t dhcp_yiaddr[4], dhcp_server[4];
	int arp_reply;
	int ping_reply;
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

static int net_setup(void)
{
	if (virtio_pci_open(&dev, VIRTIO_PCI_DEVICE_NET, "net") ||
	    virtio_negotiate(&dev, NET_F_MAC | NET_F_STATUS | NET_F_MRG_RXBUF) ||
	    virtio_queue_setup(&dev, 0, &rxq) || virtio_queue_setup(&dev, 1, &txq) ||
	    virtio_driver_ok(&dev))
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = virtio_cfg_read8(&dev, (uint32_t)i);
	/* Every RX buffer posted: descriptor i is buffer i for good. */
	for (uint16_t i = 0; i < rxq.size; i++) {
		rxq.desc[i].addr = (uint64_t)(uintptr_t)rx_bufs[i];
		rxq.desc[i].len = RX_BUF_SIZE;
		rxq.desc[i].flags = VIRTQ_DESC_F_WRITE;
		rxq.desc[i].next = 0;
		rxq.avail->ring[i] = i;
	}
	mb();
	rxq.avail->idx = rxq.size;
	virtq_kick(&dev, &rxq);
	return 0;
}

static int net_send(const uint8_t *frame, size_t len)
{
	struct virtq_buf buf = {tx_buf, (uint32_t)(NET_HDR + len), 0};

	memset(tx_buf, 0, NET_HDR);
	memcpy(tx_buf + NET_HDR, frame, len);
	if (virtq_transfer(&dev, &txq, &buf, 1, NULL))
		return -1;
	tx_count++;
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
	memcpy(f + 6, mac, 6);
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
	memcpy(f + 6, mac, 6);
	put16(f + 12, ETH_ARP);
	put16(f + 14, 1);
	put16(f + 16, ETH_IP);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, my_ip, 4);
	memcpy(f + 32, op == 1 ? (const uint8_t *)"\0\0\0\0\0\0" : tmac, 6);
	memcpy(f + 38, tip, 4);
	net_send(f, sizeof(f));
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
	memcpy(b + 28, mac, 6);
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

static void send_ping(uint16_t seq)
{
	uint8_t f[14 + 20 + 8 + 32];
	uint8_t *icmp = f + 34;

	ip_header(f, gw_mac, my_ip, gw_ip, IP_ICMP, 40);
	memset(icmp, 0, 40);
	icmp[0] = 8; /* echo request */
	put16(icmp + 4, 0x7654);
	put16(icmp + 6, seq);
	for (int i = 0; i < 32; i++)
		icmp[8 + i] = (uint8_t)('a' + i % 26);
	put16(icmp + 2, ip_checksum(icmp, 40));
	net_send(f, sizeof(f));
}

static void handle_dhcp(const uint8_t *b, size_t len)
{
	const uint8_t *o = b + 240, *end = b + len;
	int type = 0;

	if (len < 240 || b[0] != 2 || memcmp(b + 28, mac, 6) ||
	    get16(b + 4) != (uint16_t)(xid >> 16) || get16(b + 6) != (uint16_t)xid)
		return;
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
		o += 2 + o[1];
	}
	memcpy(seen.dhcp_yiaddr, b + 16, 4);
	seen.dhcp_type = type;
}

static void handle_udp_echo(const uint8_t *f, size_t len, const uint8_t *ip, size_t ihl,
			    const uint8_t *udp, size_t ulen)
{
	uint8_t r[14 + 20 + 8 + 1472];
	size_t plen = ulen - 8, off;

	if (plen > 1472)
		return;
	off = ip_header(r, f + 6, my_ip, ip + 12, IP_UDP, ulen);
	put16(r + off, ECHO_PORT);
	put16(r + off + 2, get16(udp));
	put16(r + off + 4, (uint16_t)ulen);
	put16(r + off + 6, 0);
	for (size_t i = 0; i < plen; i++) {
		uint8_t c = udp[8 + i];

		r[off + 8 + i] = c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c;
	}
	(void)len;
	(void)ihl;
	net_send(r, off + ulen);
}

static void handle_frame(const uint8_t *f, size_t len)
{
	uint16_t type;

	if (len < 14 || (memcmp(f, mac, 6) && memcmp(f, bcast, 6)))
		return;
	type = get16(f + 12);
	if (type == ETH_ARP && len >= 42) {
		const uint8_t *a = f + 14;

		if (get16(a + 6) == 1 && my_ip[0] && !memcmp(a + 24, my_ip, 4))
			send_arp(2, a + 8, a + 14); /* who-has us: tell */
		else if (get16(a + 6) == 2 && !memcmp(a + 14, gw_ip, 4)) {
			memcpy(gw_mac, a + 8, 6);
			seen.arp_reply = 1;
		}
		return;
	}
	if (type == ETH_IP && len >= 34) {
		const uint8_t *ip = f + 14;
		size_t ihl = (size_t)(ip[0] & 15) * 4, tot = get16(ip + 2);

		if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || 14 + tot > len)
			return;
		if (ip[9] == IP_UDP && tot >= ihl + 8) {
			const uint8_t *udp = ip + ihl;
			size_t ulen = get16(udp + 4);

			if (ulen < 8 || ulen > tot - ihl)
				return;
			if (get16(udp + 2) == 68)
				handle_dhcp(udp + 8, ulen - 8);
			else if (get16(udp + 2) == ECHO_PORT && my_ip[0] &&
				 !memcmp(ip + 16, my_ip, 4))
				handle_udp_echo(f, len, ip, ihl, udp, ulen);
		} else if (ip[9] == IP_ICMP && tot >= ihl + 8) {
			const uint8_t *icmp = ip + ihl;

			if (icmp[0] == 0 && get16(icmp + 4) == 0x7654)
				seen.ping_reply = get16(icmp + 6);
		}
	}
}

/* Handle every completed RX buffer and post it again. */
static void net_poll(void)
{
	int reposted = 0;

	while (rxq.used->idx != rxq.last_used) {
		volatile struct virtq_used_elem *e;
		uint32_t id, len;
		const uint8_t *b;

		mb();
		e = &rxq.used->ring[rxq.last_used % rxq.size];
		id = e->id;
		len = e->len;
		rxq.last_used++;
		if (id >= rxq.size)
			continue;
		b = rx_bufs[id];
		/* num_buffers must be 1: every frame fits one 2 KiB buffer. */
		if (len > NET_HDR && len <= RX_BUF_SIZE && b[10] == 1 && b[11] == 0) {
			rx_count++;
			handle_frame(b + NET_HDR, len - NET_HDR);
		}
		rxq.avail->ring[rxq.avail->idx % rxq.size] = (uint16_t)id;
		mb();
		rxq.avail->idx++;
		reposted = 1;
	}
	if (reposted)
		virtq_kick(&dev, &rxq);
}

/* Poll until *flag becomes non-zero or the time is up. */
static int wait_for(volatile int *flag)
{
	uint64_t start = rdtsc();

	while (!*flag) {
		if (rdtsc() - start > REPLY_TSC)
			return -1;
		net_poll();
	}
	return 0;
}

static int dhcp(void)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		seen.dhcp_type = 0;
		send_dhcp(1);
		if (wait_for(&seen.dhcp_type) || seen.dhcp_type != 2)
			continue;
		seen.dhcp_type = 0;
		send_dhcp(3);
		if (wait_for(&seen.dhcp_type) || seen.dhcp_type != 5)
			continue;
		memcpy(my_ip, seen.dhcp_yiaddr, 4);
		guest_printf("net: lease %u.%u.%u.%u server %u.%u.%u.%u\n", my_ip[0], my_ip[1],
			     my_ip[2], my_ip[3], seen.dhcp_server[0], seen.dhcp_server[1],
			     seen.dhcp_server[2], seen.dhcp_server[3]);
		return 0;
	}
	serial_puts("net: error: no DHCP lease\n");
	return -1;
}

static int ping(uint16_t seq)
{
	uint64_t t0;

	seen.ping_reply = 0;
	t0 = rdtsc();
	send_ping(seq);
	if (wait_for(&seen.ping_reply) || seen.ping_reply != seq) {
		guest_printf("net: error: no echo reply from the gateway (seq %u)\n", seq);
		return -1;
	}
	/* >> 10: no 64-bit division in a 32-bit freestanding guest. */
	guest_printf("net: ping %u.%u.%u.%u seq %u rtt %u kcycles\n", gw_ip[0], gw_ip[1], gw_ip[2],
		     gw_ip[3], seq, (unsigned int)((rdtsc() - t0) >> 10));
	return 0;
}

/* Chains a broken driver might post: the device must drop and count them
 * and keep going; the last one (a buffer outside RAM) breaks the ring and
 * the device must ask for a reset, after which the driver starts over. */
static int garbage(void)
{
	static uint8_t hdr_gso[NET_HDR + 60];
	struct virtq_buf shortb = {tx_buf, 4, 0};
	struct virtq_buf empty = {tx_buf, NET_HDR, 0};
	struct virtq_buf huge[2] = {{tx_buf, NET_HDR, 0}, {(void *)0x200000, 70000, 0}};
	struct virtq_buf gso = {hdr_gso, sizeof(hdr_gso), 0};
	uint16_t idx;

	memset(tx_buf, 0, NET_HDR);
	hdr_gso[1] = 1; /* VIRTIO_NET_HDR_GSO_TCPV4, never offered */
	if (virtq_transfer(&dev, &txq, &shortb, 1, NULL) ||
	    virtq_transfer(&dev, &txq, &empty, 1, NULL) ||
	    virtq_transfer(&dev, &txq, huge, 2, NULL) || virtq_transfer(&dev, &txq, &gso, 1, NULL))
		return -1;
	serial_puts("net: garbage sent 4\n");
	/* A descriptor in the PCI hole, not RAM. */
	txq.desc[0].addr = 0xf0000000ull;
	txq.desc[0].len = 64;
	txq.desc[0].flags = 0;
	idx = txq.avail->idx;
	txq.avail->ring[idx % txq.size] = 0;
	mb();
	txq.avail->idx = (uint16_t)(idx + 1);
	virtq_kick(&dev, &txq);
	guest_printf("net: needs-reset %u\n", (virtio_status(&dev) & 0x40) ? 1u : 0u);
	if (net_setup())
		return -1;
	serial_puts("net: reinit ok\n");
	return 0;
}

static char serial_getc(void)
{
	while (!(inb(LAYOUT_PORT_COM1 + UART_LSR) & UART_LSR_DR))
		net_poll();
	return (char)inb(LAYOUT_PORT_COM1);
}

/* 'u' + five digits: a datagram from port 4444 to the gateway. */
static void send_udp_to_host(void)
{
	static const char msg[] = "hello from the guest";
	uint8_t f[14 + 20 + 8 + sizeof(msg) - 1];
	unsigned int port = 0;
	size_t off;

	for (int i = 0; i < 5; i++) {
		char c = serial_getc();

		if (c < '0' || c > '9')
			return;
		port = port * 10 + (unsigned int)(c - '0');
	}
	if (!port || port > 65535)
		return;
	off = ip_header(f, gw_mac, my_ip, gw_ip, IP_UDP, 8 + sizeof(msg) - 1);
	put16(f + off, 4444);
	put16(f + off + 2, (uint16_t)port);
	put16(f + off + 4, (uint16_t)(8 + sizeof(msg) - 1));
	put16(f + off + 6, 0);
	memcpy(f + off + 8, msg, sizeof(msg) - 1);
	net_send(f, sizeof(f));
	guest_printf("net: udp sent to port %u\n", port);
}

int guest_main(const struct hvm_start_info *si)
{
	uint16_t seq = 1;

	(void)si;
	if (net_setup())
		return 1;
	guest_printf("net: mac %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3],
		     mac[4], mac[5]);
	if (dhcp())
		return 1;
	seen.arp_reply = 0;
	send_arp(1, bcast, gw_ip);
	if (wait_for(&seen.arp_reply)) {
		serial_puts("net: error: the gateway does not answer ARP\n");
		return 1;
	}
	guest_printf("net: gateway %02x:%02x:%02x:%02x:%02x:%02x\n", gw_mac[0], gw_mac[1],
		     gw_mac[2], gw_mac[3], gw_mac[4], gw_mac[5]);
	if (ping(seq++))
		return 1;
	serial_puts("net: ready\n");
	for (;;) {
		char c;

		net_poll();
		if (!(inb(LAYOUT_PORT_COM1 + UART_LSR) & UART_LSR_DR))
			continue;
		c = (char)inb(LAYOUT_PORT_COM1);
		if (c == 'q')
			return 0;
		if (c == 's')
			guest_printf("net: rx %u tx %u\n", rx_count, tx_count);
		if (c == 'p')
			ping(seq++);
		if (c == 'u')
			send_udp_to_host();
		if (c == 'g' && garbage())
			return 1;
	}
}
