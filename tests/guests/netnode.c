/* netnode.elf: one host of the reachability matrix (tests/net/reachability.sh).
 * Configured from the kernel command line: "ip=dhcp", or
 * "ip=A.B.C.D/N [gw=A.B.C.D]" for a static address. Answers ARP and ICMP
 * echo, runs the UDP echo service on port 7 (netlib.c), and probes others
 * on request, one command per COM1 line:
 *   p A.B.C.D          ping           -> "PROBE ping A.B.C.D ok|fail"
 *   u A.B.C.D PORT     UDP, wait for an answer from there
 *                                     -> "PROBE udp A.B.C.D PORT ok|fail"
 *   s                  rx/tx counts   -> "netnode: rx N tx N"
 *   q                  power off
 * Anything else gets "netnode: error: ...". */
#include "guest.h"
#include "netlib.h"
#include "pvh.h"

#define UART_LSR    5
#define UART_LSR_DR 0x01
#define LINE_MAX    80
#define PROBE_SPORT 20000 /* + a counter: a late answer never matches a new probe */

static uint16_t probe_count;

/* The value of "key=" in the command line, up to the next space, or NULL. */
static const char *cmdline_value(const char *cmdline, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	while (p && *p) {
		size_t n = 0;

		if (!strncmp(p, key, klen) && p[klen] == '=') {
			p += klen + 1;
			while (p[n] && p[n] != ' ' && n + 1 < len) {
				buf[n] = p[n];
				n++;
			}
			buf[n] = '\0';
			return buf;
		}
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return NULL;
}

static unsigned int parse_uint(const char **s)
{
	unsigned int v = 0;

	while (**s >= '0' && **s <= '9' && v < 100000)
		v = v * 10 + (unsigned int)(*(*s)++ - '0');
	return v;
}

static int configure(const struct hvm_start_info *si)
{
	const char *cmdline = si && si->cmdline_paddr && si->cmdline_paddr < 0xffffffffull
				  ? (const char *)(uintptr_t)si->cmdline_paddr
				  : "";
	char ip[32], gw[32];
	const char *p;

	if (!cmdline_value(cmdline, "ip", ip, sizeof(ip))) {
		serial_puts("netnode: error: no ip= on the command line (ip=dhcp or "
			    "ip=A.B.C.D/N)\n");
		return -1;
	}
	if (!strncmp(ip, "dhcp", 5)) {
		uint8_t server[4];

		if (net_dhcp(server)) {
			serial_puts("netnode: error: no DHCP lease\n");
			return -1;
		}
		return 0;
	}
	p = net_parse_ip(ip, net_ip);
	if (!p || *p++ != '/' || (net_prefix = parse_uint(&p)) > 32 || *p) {
		guest_printf("netnode: error: ip=%s: expected A.B.C.D/N\n", ip);
		return -1;
	}
	if (cmdline_value(cmdline, "gw", gw, sizeof(gw))) {
		p = net_parse_ip(gw, net_router);
		if (!p || *p) {
			guest_printf("netnode: error: gw=%s: expected A.B.C.D\n", gw);
			return -1;
		}
	}
	return 0;
}

static void probe_ping(const uint8_t ip[4])
{
	int ok = !net_ping(ip, ++probe_count);

	guest_printf("PROBE ping %u.%u.%u.%u %s\n", ip[0], ip[1], ip[2], ip[3], ok ? "ok" : "fail");
}

static void probe_udp(const uint8_t ip[4], unsigned int port)
{
	static const char msg[] = "netnode probe";
	uint16_t sport = (uint16_t)(PROBE_SPORT + ++probe_count % 10000);
	int ok = !net_udp_probe(ip, sport, (uint16_t)port, msg, sizeof(msg) - 1);

	guest_printf("PROBE udp %u.%u.%u.%u %u %s\n", ip[0], ip[1], ip[2], ip[3], port,
		     ok ? "ok" : "fail");
}

/* One command line; returns 1 for "power off". */
static int run_command(const char *line)
{
	uint8_t ip[4];
	const char *p;

	if (!strncmp(line, "q", 2))
		return 1;
	if (!strncmp(line, "s", 2)) {
		guest_printf("netnode: rx %u tx %u\n", net_rx_count, net_tx_count);
		return 0;
	}
	if ((line[0] == 'p' || line[0] == 'u') && line[1] == ' ' &&
	    (p = net_parse_ip(line + 2, ip))) {
		unsigned int port;

		if (line[0] == 'p' && !*p) {
			probe_ping(ip);
			return 0;
		}
		if (line[0] == 'u' && *p++ == ' ' && (port = parse_uint(&p)) && port <= 65535 &&
		    !*p) {
			probe_udp(ip, port);
			return 0;
		}
	}
	guest_printf("netnode: error: '%s': expected 'p A.B.C.D', 'u A.B.C.D PORT', 's' or "
		     "'q'\n",
		     line);
	return 0;
}

int guest_main(const struct hvm_start_info *si)
{
	char line[LINE_MAX + 1];
	size_t len = 0;
	int overlong = 0;

	if (net_setup())
		return 1;
	guest_printf("netnode: mac %02x:%02x:%02x:%02x:%02x:%02x\n", net_mac[0], net_mac[1],
		     net_mac[2], net_mac[3], net_mac[4], net_mac[5]);
	if (configure(si))
		return 1;
	guest_printf("netnode: ready ip %u.%u.%u.%u/%u gw %u.%u.%u.%u\n", net_ip[0], net_ip[1],
		     net_ip[2], net_ip[3], net_prefix, net_router[0], net_router[1], net_router[2],
		     net_router[3]);
	for (;;) {
		char c;

		net_poll();
		if (!(inb(LAYOUT_PORT_COM1 + UART_LSR) & UART_LSR_DR))
			continue;
		c = (char)inb(LAYOUT_PORT_COM1);
		if (c != '\n' && c != '\r') {
			if (len < LINE_MAX)
				line[len++] = c;
			else
				overlong = 1;
			continue;
		}
		line[len] = '\0';
		if (overlong)
			serial_puts("netnode: error: command line too long\n");
		else if (len && run_command(line))
			return 0;
		len = 0;
		overlong = 0;
	}
}
