/* IPv4 networks as users write them: subnets, DHCP ranges, port forwards,
 * and the checks a network definition must pass (a real subnet, a DHCP
 * range inside it, no overlap with host routes or other networks). Pure
 * functions over plain data (driver.h), shared by the store, the CLI, the
 * TUI wizard and the drivers. */
#ifndef VIRTTY_NETCFG_H
#define VIRTTY_NETCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"

/* An IPv4 subnet in host byte order: 10.0.2.0/24 = { 0x0a000200, 24 }. */
struct ipv4_subnet {
	uint32_t addr;
	int prefix; /* 0..32 */
};

/* "10.0.2.0/24": dotted quad, prefix 8..30, the network address itself
 * (10.0.2.1/24 is refused: "did you mean 10.0.2.0/24?"). -EINVAL with a
 * message quoting text. */
int netcfg_parse_subnet(const char *text, struct ipv4_subnet *out, char *err, size_t errlen);
/* A dotted quad, strictly (no shorthand, no leading zeros beyond "0"). */
int netcfg_parse_addr(const char *text, uint32_t *out, char *err, size_t errlen);
void netcfg_format_addr(uint32_t addr, char *buf, size_t len);     /* "10.0.2.15" */
void netcfg_format_subnet(const struct ipv4_subnet *s, char *buf, size_t len);
uint32_t netcfg_mask(int prefix);
bool netcfg_contains(const struct ipv4_subnet *s, uint32_t addr);
bool netcfg_overlap(const struct ipv4_subnet *a, const struct ipv4_subnet *b);

/* The addresses a network uses inside its subnet:
 *   nat, natnet: gateway .2, DNS .3 (libslirp's), DHCP .15-.30 by default
 *                (libslirp serves 16 addresses from the start);
 *   hostonly:    the host interface .1, DHCP .100-.199 (clipped to the
 *                subnet) by default. */
uint32_t netcfg_gateway(enum net_mode mode, const struct ipv4_subnet *s);
void netcfg_default_dhcp(enum net_mode mode, const struct ipv4_subnet *s, uint32_t *start,
			 uint32_t *end);
/* Fill "" subnet/DHCP fields of cfg with the mode's defaults (subnet
 * 10.0.2.0/24 for nat/natnet; hostonly needs one given). */
void netcfg_fill_defaults(struct net_config *cfg);

/* Routes of the host (from a /proc/net/route format file; NULL =
 * /proc/net/route), default route excluded. malloc'd array. */
int netcfg_host_routes(const char *path, struct ipv4_subnet **out, int *count, char *err,
		       size_t errlen);

/* Everything about one definition, against the others that exist (not
 * including itself) and the host's routes:
 *  - name valid, mode-specific fields present or absent (bridged needs a
 *    bridge; internal and bridged take no subnet; forwards only for nat
 *    and natnet, with guest_vm for nat and guest_addr in the subnet for
 *    natnet; no two forwards on one host address:port and protocol);
 *  - the subnet real; DHCP start <= end, both inside the subnet and not
 *    the network, broadcast, gateway or DNS address; nat/natnet: at most
 *    16 addresses (libslirp);
 *  - hostonly: no overlap with a host route or another hostonly/natnet
 *    network's subnet (the host would have two routes for it);
 *    natnet: no overlap with another natnet or hostonly network.
 *    nat networks are private to each VM and may share a subnet.
 * 0, or -EINVAL/-EEXIST with one message saying what and how to fix it.
 * *warning (may be NULL) gets a non-fatal remark, e.g. a nat subnet that
 * overlaps a host route ("guests will not reach 10.0.2.0/24 on the host's
 * side"), "" if none. */
int netcfg_validate(const struct net_config *cfg, const struct net_config *others, int nr_others,
		    const struct ipv4_subnet *routes, int nr_routes, char *warning, size_t warnlen,
		    char *err, size_t errlen);

/* Port forwards as users write them:
 *   tcp:[HOSTADDR:]HOSTPORT-GUEST:GUESTPORT   (udp: likewise)
 * GUEST is a VM name (nat networks) or an IPv4 address (natnet); HOSTADDR
 * defaults to 127.0.0.1. -EINVAL with a message quoting spec. */
int netcfg_parse_forward(const char *spec, struct net_forward *out, char *err, size_t errlen);
/* The same form back ("tcp:127.0.0.1:2222-web:22"). */
void netcfg_format_forward(const struct net_forward *fwd, char *buf, size_t len);
/* Same protocol, host address and host port. */
bool netcfg_forward_same_host_side(const struct net_forward *a, const struct net_forward *b);

/* "52:54:00:12:34:56", unicast, as the VMM takes it. */
bool netcfg_mac_valid(const char *mac);
/* A locally administered 52:54:00 address from the VM name, NIC index and
 * a salt (the driver tries the next salt on a clash). */
void netcfg_make_mac(const char *vm, int index, unsigned salt, char mac[18]);

#endif
