/* The New Network wizard's checks and defaults (wizard-newnet.c calls them
 * as field validators): pure functions over a struct net_config being
 * filled in, the networks that exist and the host's routes, built on
 * netcfg (backend/net/netcfg.h) so the wizard refuses exactly what the
 * driver would. Each check returns 0 when fine, > 0 for a warning (the
 * value is accepted), < 0 (negative errno) with msg saying why. */
#ifndef VIRTTY_TUI_WIZARD_NETCHECK_H
#define VIRTTY_TUI_WIZARD_NETCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "driver.h"
#include "net/netcfg.h"

/* What the checks compare a new network with. */
struct netwiz_env {
	const struct net_config *others; /* existing networks (mode, subnet) */
	int nr_others;
	const struct ipv4_subnet *routes; /* the host's routes */
	int nr_routes;
};

/* A valid network name not taken by env's networks. */
int netwiz_check_name(const char *name, const struct netwiz_env *env, char *msg, size_t len);
/* cfg->subnet: a real subnet, and no overlap the mode forbids (with host
 * routes, other networks), judged with the DHCP range and forwards left
 * out so their faults show beside their own fields. */
int netwiz_check_subnet(const struct net_config *cfg, const struct netwiz_env *env, char *msg,
			size_t len);
/* cfg->dhcp_start (end = false) or cfg->dhcp_end: an address inside the
 * subnet, and the range as a whole as netcfg_validate wants it (start <=
 * end, not the gateway, at most 16 addresses for nat/natnet). Empty is
 * fine where the mode allows it (hostonly: no DHCP; nat/natnet: the
 * default). A bad subnet is not reported again here. */
int netwiz_check_dhcp(const struct net_config *cfg, bool end, const struct netwiz_env *env,
		      char *msg, size_t len);
/* One port forward line as typed ("tcp:2222-web:22"), the index-th of
 * cfg (whose forwards[0..index) are the lines above it, already parsed):
 * its syntax, the guest a nat (VM name) or natnet (address in the subnet)
 * network wants, no clash with the lines above. Empty is fine (unused).
 * *out gets the parsed forward. */
int netwiz_check_forward(const char *spec, const struct net_config *cfg, int index,
			 const struct netwiz_env *env, struct net_forward *out, char *msg,
			 size_t len);
/* A bridged network's host bridge: an interface name (1..15 characters,
 * no '/', blanks or ':'); a warning when sysfs_net (NULL:
 * "/sys/class/net") has no bridge of that name now. */
int netwiz_check_bridge(const char *name, const char *sysfs_net, char *msg, size_t len);

/* A subnet to offer for mode: nat 10.0.2.0/24 (each VM has its own NAT,
 * sharing is fine); natnet the first free 10.0.N.0/24 from N = 2;
 * hostonly the first free 192.168.N.0/24 from N = 56 (as VirtualBox);
 * free = no host route or natnet/hostonly network overlaps it. "" for
 * internal and bridged. */
void netwiz_default_subnet(enum net_mode mode, const struct netwiz_env *env, char *buf, size_t len);
/* The default DHCP range of mode in subnet (text); "" and "" when the
 * subnet does not parse or the mode has no DHCP. */
void netwiz_default_dhcp(enum net_mode mode, const char *subnet, char *start, size_t start_len,
			 char *end, size_t end_len);

/* Does a /proc/PID/status text show CAP_NET_ADMIN in CapEff? */
bool netwiz_status_has_net_admin(const char *status);
/* Can this process create taps (root or CAP_NET_ADMIN)? */
bool netwiz_have_net_admin(void);

/* The reachability table of docs/networks.md: for mode, the four cells
 * "VM <-> host", "VM1 <-> VM2", "VM -> outside", "outside -> VM". */
const char *const *netwiz_reachability(enum net_mode mode);
/* Does mode need root or CAP_NET_ADMIN (a tap on the host)? */
bool netwiz_mode_needs_admin(enum net_mode mode);
/* Does mode take a subnet and DHCP range / port forwards / a bridge? */
bool netwiz_mode_has_subnet(enum net_mode mode);
bool netwiz_mode_has_forwards(enum net_mode mode);

#endif
