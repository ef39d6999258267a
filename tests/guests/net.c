/* net.elf: a tiny IPv4 host on virtio-net for tests/net/vmm-net.sh. Gets a
 * DHCP lease, ARPs and pings the gateway, then answers ARP for its address
 * and runs a UDP echo service on port 7 that upper-cases the payload
 * (netlib.c). COM1 commands: 's' prints rx/tx counts, 'p' pings the
 * gateway again, 'uNNNNN' sends a UDP datagram to 10.0.2.2:NNNNN (the
 * host's loopback through NAT), 'g' posts hostile TX chains and then
 * re-initialises the device, 'q' powers off. Everything is polled (no
 * interrupts). */
#include "guest.h"
#include "guest_virtio.h"
#include "netlib.h"

#define UART_LSR    5
#define UART_LSR_DR 0x01

static int dhcp(void)
{
	uint8_t server[4];

	if (net_dhcp(server)) {
		serial_puts("net: error: no DHCP lease\n");
		return -1;
	}
	guest_printf("net: lease %u.%u.%u.%u server %u.%u.%u.%u\n", net_ip[0], net_ip[1], net_ip[2],
		     net_ip[3], server[0], server[1], server[2], server[3]);
	return 0;
}

static int ping(uint16_t seq)
{
	const uint8_t *gw_ip = net_router;
	uint64_t t0 = rdtsc();

	if (net_ping(gw_ip, seq)) {
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
	struct virtq_buf shortb = {net_tx_buf, 4, 0};
	struct virtq_buf empty = {net_tx_buf, NET_HDR, 0};
	struct virtq_buf huge[2] = {{net_tx_buf, NET_HDR, 0}, {(void *)0x200000, 70000, 0}};
	struct virtq_buf gso = {hdr_gso, sizeof(hdr_gso), 0};
	uint16_t idx;

	memset(net_tx_buf, 0, NET_HDR);
	hdr_gso[1] = 1; /* VIRTIO_NET_HDR_GSO_TCPV4, never offered */
	if (virtq_transfer(&net_dev, &net_txq, &shortb, 1, NULL) ||
	    virtq_transfer(&net_dev, &net_txq, &empty, 1, NULL) ||
	    virtq_transfer(&net_dev, &net_txq, huge, 2, NULL) ||
	    virtq_transfer(&net_dev, &net_txq, &gso, 1, NULL))
		return -1;
	serial_puts("net: garbage sent 4\n");
	/* A descriptor in the PCI hole, not RAM. */
	net_txq.desc[0].addr = 0xf0000000ull;
	net_txq.desc[0].len = 64;
	net_txq.desc[0].flags = 0;
	idx = net_txq.avail->idx;
	net_txq.avail->ring[idx % net_txq.size] = 0;
	mb();
	net_txq.avail->idx = (uint16_t)(idx + 1);
	virtq_kick(&net_dev, &net_txq);
	/* The device may take the chain on its backend's thread after the
	 * notification: wait for its verdict (about 2 s at most). */
	for (uint64_t t0 = rdtsc(); !(virtio_status(&net_dev) & 0x40) && rdtsc() - t0 < 6000000000ull;)
		;
	guest_printf("net: needs-reset %u\n", (virtio_status(&net_dev) & 0x40) ? 1u : 0u);
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
	unsigned int port = 0;

	for (int i = 0; i < 5; i++) {
		char c = serial_getc();

		if (c < '0' || c > '9')
			return;
		port = port * 10 + (unsigned int)(c - '0');
	}
	if (!port || port > 65535)
		return;
	net_udp_send(net_router, 4444, (uint16_t)port, msg, sizeof(msg) - 1);
	guest_printf("net: udp sent to port %u\n", port);
}

int guest_main(const struct hvm_start_info *si)
{
	uint16_t seq = 1;
	uint8_t gw_mac[6];

	(void)si;
	if (net_setup())
		return 1;
	guest_printf("net: mac %02x:%02x:%02x:%02x:%02x:%02x\n", net_mac[0], net_mac[1], net_mac[2],
		     net_mac[3], net_mac[4], net_mac[5]);
	if (dhcp())
		return 1;
	if (net_resolve(net_router, gw_mac)) {
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
			guest_printf("net: rx %u tx %u\n", net_rx_count, net_tx_count);
		if (c == 'p')
			ping(seq++);
		if (c == 'u')
			send_udp_to_host();
		if (c == 'g' && garbage())
			return 1;
	}
}
