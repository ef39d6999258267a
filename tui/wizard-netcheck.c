/* The New Network wizard's checks and defaults (wizard-netcheck.h): each
 * field judged with netcfg, the offered subnets and DHCP ranges, the
 * reachability table and the CAP_NET_ADMIN probe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wizard-netcheck.h"

#define NETWIZ_CAP_NET_ADMIN 12

/* A copy of cfg that netcfg_validate can judge for one field: a valid
 * placeholder name when the name step is not right yet. */
static void netwiz_copy(const struct net_config *cfg, struct net_config *out)
{
	char err[128];

	*out = *cfg;
	if (!vm_name_valid(out->name, err, sizeof(err)))
		snprintf(out->name, sizeof(out->name), "new-network");
}

/* netcfg_validate against env: its error, or its warning as > 0. */
static int netwiz_validate(const struct net_config *cfg, const struct netwiz_env *env, char *msg,
			   size_t len)
{
	char warning[256] = "";
	int r;

	msg[0] = '\0';
	r = netcfg_validate(cfg, env->others, env->nr_others, env->routes, env->nr_routes, warning,
			    sizeof(warning), msg, len);
	if (r < 0)
		return r;
	if (warning[0]) {
		snprintf(msg, len, "%s", warning);
		return 1;
	}
	return 0;
}

int netwiz_check_name(const char *name, const struct netwiz_env *env, char *msg, size_t len)
{
	if (!name[0]) {
		snprintf(msg, len, "a name is required");
		return -EINVAL;
	}
	if (!vm_name_valid(name, msg, len))
		return -EINVAL;
	for (int i = 0; i < env->nr_others; i++) {
		if (!strcmp(env->others[i].name, name)) {
			snprintf(msg, len, "network '%s' already exists", name);
			return -EEXIST;
		}
	}
	msg[0] = '\0';
	return 0;
}

bool netwiz_mode_has_subnet(enum net_mode mode)
{
	return mode == NET_MODE_NAT || mode == NET_MODE_NATNET || mode == NET_MODE_HOSTONLY;
}

bool netwiz_mode_has_forwards(enum net_mode mode)
{
	return mode == NET_MODE_NAT || mode == NET_MODE_NATNET;
}

bool netwiz_mode_needs_admin(enum net_mode mode)
{
	return mode == NET_MODE_HOSTONLY || mode == NET_MODE_BRIDGED;
}

int netwiz_check_subnet(const struct net_config *cfg, const struct netwiz_env *env, char *msg,
			size_t len)
{
	struct net_config copy;
	struct ipv4_subnet s;
	int r;

	msg[0] = '\0';
	if (!netwiz_mode_has_subnet(cfg->mode))
		return 0;
	if (!cfg->subnet[0]) {
		snprintf(msg, len, "a subnet is required (e.g. 10.0.3.0/24)");
		return -EINVAL;
	}
	r = netcfg_parse_subnet(cfg->subnet, &s, msg, len);
	if (r < 0)
		return r;
	netwiz_copy(cfg, &copy);
	copy.dhcp_start[0] = copy.dhcp_end[0] = '\0';
	copy.nr_forwards = 0;
	return netwiz_validate(&copy, env, msg, len);
}

int netwiz_check_dhcp(const struct net_config *cfg, bool end, const struct netwiz_env *env,
		      char *msg, size_t len)
{
	const char *text = end ? cfg->dhcp_end : cfg->dhcp_start;
	const char *other = end ? cfg->dhcp_start : cfg->dhcp_end;
	struct net_config copy;
	struct ipv4_subnet s;
	uint32_t addr, other_addr;
	char ignored[256];
	int r;

	msg[0] = '\0';
	if (!netwiz_mode_has_subnet(cfg->mode))
		return 0;
	if (!text[0]) {
		if (other[0]) {
			snprintf(msg, len, "give both ends of the DHCP range, or neither");
			return -EINVAL;
		}
		if (cfg->mode == NET_MODE_HOSTONLY && !end)
			snprintf(msg, len, "no DHCP: guests need static addresses");
		return 0;
	}
	r = netcfg_parse_addr(text, &addr, msg, len);
	if (r < 0)
		return r;
	/* A bad subnet has its own message beside its field. */
	if (netcfg_parse_subnet(cfg->subnet, &s, ignored, sizeof(ignored)) < 0)
		return 0;
	if (!netcfg_contains(&s, addr)) {
		snprintf(msg, len, "%s is outside %s", text, cfg->subnet);
		return -EINVAL;
	}
	/* The other end judges the range once it is an address itself. */
	if (!other[0] || netcfg_parse_addr(other, &other_addr, ignored, sizeof(ignored)) < 0 ||
	    !netcfg_contains(&s, other_addr))
		return 0;
	netwiz_copy(cfg, &copy);
	copy.nr_forwards = 0;
	return netwiz_validate(&copy, env, msg, len);
}

int netwiz_check_forward(const char *spec, const struct net_config *cfg, int index,
			 const struct netwiz_env *env, struct net_forward *out, char *msg,
			 size_t len)
{
	struct net_config copy;
	struct ipv4_subnet s;
	char ignored[256];
	int r;

	msg[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (!spec[0])
		return 0;
	if (!netwiz_mode_has_forwards(cfg->mode)) {
		snprintf(msg, len, "%s networks have no port forwards", net_mode_name(cfg->mode));
		return -EINVAL;
	}
	if (index < 0 || index >= NET_MAX_FORWARDS) {
		snprintf(msg, len, "at most %d port forwards", NET_MAX_FORWARDS);
		return -E2BIG;
	}
	r = netcfg_parse_forward(spec, out, msg, len);
	if (r < 0)
		return r;
	if (cfg->mode == NET_MODE_NAT && !out->guest_vm[0]) {
		snprintf(msg, len, "a nat network forwards to a VM by name, e.g. tcp:2222-web:22");
		return -EINVAL;
	}
	if (cfg->mode == NET_MODE_NATNET && !out->guest_addr[0]) {
		snprintf(
		    msg, len,
		    "a natnet network forwards to a guest address, e.g. tcp:2222-10.0.2.15:22");
		return -EINVAL;
	}
	/* Against the subnet and the lines above; a bad subnet or range has
	 * its message on its own step. */
	if (netcfg_parse_subnet(cfg->subnet, &s, ignored, sizeof(ignored)) < 0)
		return 0;
	netwiz_copy(cfg, &copy);
	copy.dhcp_start[0] = copy.dhcp_end[0] = '\0';
	copy.nr_forwards = index + 1;
	copy.forwards[index] = *out;
	return netwiz_validate(&copy, env, msg, len);
}

int netwiz_check_bridge(const char *name, const char *sysfs_net, char *msg, size_t len)
{
	char path[512];
	struct stat sb;

	msg[0] = '\0';
	if (!name[0]) {
		snprintf(msg, len, "the host bridge is required (e.g. br0)");
		return -EINVAL;
	}
	if (strlen(name) > 15) {
		snprintf(msg, len, "'%s': interface names have at most 15 characters", name);
		return -EINVAL;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..") || strpbrk(name, "/: \t")) {
		snprintf(msg, len, "'%s' is not an interface name", name);
		return -EINVAL;
	}
	if (!sysfs_net)
		sysfs_net = "/sys/class/net";
	snprintf(path, sizeof(path), "%s/%s", sysfs_net, name);
	if (stat(path, &sb) < 0) {
		snprintf(msg, len,
			 "no interface '%s' on this host now: the network starts once it exists",
			 name);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s/bridge", sysfs_net, name);
	if (stat(path, &sb) < 0) {
		snprintf(msg, len, "'%s' is not a bridge (create one: ip link add br0 type bridge)",
			 name);
		return -EINVAL;
	}
	return 0;
}

/* Is s clear of the host's routes and of the networks whose subnets the
 * host routes (natnet and hostonly)? */
static bool netwiz_subnet_free(const struct ipv4_subnet *s, const struct netwiz_env *env)
{
	char ignored[256];

	for (int i = 0; i < env->nr_routes; i++)
		if (netcfg_overlap(s, &env->routes[i]))
			return false;
	for (int i = 0; i < env->nr_others; i++) {
		const struct net_config *o = &env->others[i];
		struct ipv4_subnet os;

		if (o->mode != NET_MODE_NATNET && o->mode != NET_MODE_HOSTONLY)
			continue;
		if (netcfg_parse_subnet(o->subnet, &os, ignored, sizeof(ignored)) == 0 &&
		    netcfg_overlap(s, &os))
			return false;
	}
	return true;
}

void netwiz_default_subnet(enum net_mode mode, const struct netwiz_env *env, char *buf, size_t len)
{
	uint32_t base;
	int first;

	buf[0] = '\0';
	switch (mode) {
	case NET_MODE_NAT:
		snprintf(buf, len, "10.0.2.0/24");
		return;
	case NET_MODE_NATNET:
		base = 0x0a000000; /* 10.0.N.0 */
		first = 2;
		break;
	case NET_MODE_HOSTONLY:
		base = 0xc0a80000; /* 192.168.N.0 */
		first = 56;
		break;
	default:
		return;
	}
	for (int n = first; n < 255; n++) {
		struct ipv4_subnet s = {base | (uint32_t)n << 8, 24};

		if (netwiz_subnet_free(&s, env)) {
			netcfg_format_subnet(&s, buf, len);
			return;
		}
	}
	/* Everything taken: offer the first; its check says why not. */
	struct ipv4_subnet s = {base | (uint32_t)first << 8, 24};

	netcfg_format_subnet(&s, buf, len);
}

void netwiz_default_dhcp(enum net_mode mode, const char *subnet, char *start, size_t start_len,
			 char *end, size_t end_len)
{
	struct ipv4_subnet s;
	uint32_t a = 0, b = 0;
	char ignored[256];

	start[0] = end[0] = '\0';
	if (!netwiz_mode_has_subnet(mode) ||
	    netcfg_parse_subnet(subnet, &s, ignored, sizeof(ignored)) < 0)
		return;
	netcfg_default_dhcp(mode, &s, &a, &b);
	if (!a || !b)
		return;
	netcfg_format_addr(a, start, start_len);
	netcfg_format_addr(b, end, end_len);
}

bool netwiz_status_has_net_admin(const char *status)
{
	const char *p = strstr(status, "\nCapEff:");
	unsigned long long caps;

	if (!p && !strncmp(status, "CapEff:", 7))
		p = status - 1;
	if (!p || sscanf(p + 8, " %llx", &caps) != 1)
		return false;
	return (caps >> NETWIZ_CAP_NET_ADMIN) & 1;
}

bool netwiz_have_net_admin(void)
{
	char buf[4096];
	size_t n;
	FILE *f;

	/* The effective capabilities decide (root in a container may lack
	 * it); without /proc, being root is the best guess. */
	f = fopen("/proc/self/status", "re");
	if (!f)
		return geteuid() == 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return netwiz_status_has_net_admin(buf);
}

const char *const *netwiz_reachability(enum net_mode mode)
{
	/* docs/networks.md, "The five modes". */
	static const char *const table[NET_MODE_COUNT][4] = {
	    [NET_MODE_NAT] = {"no", "no", "yes", "port forwards"},
	    [NET_MODE_NATNET] = {"no", "yes", "yes", "port forwards"},
	    [NET_MODE_INTERNAL] = {"no", "yes", "no", "no"},
	    [NET_MODE_HOSTONLY] = {"yes", "yes", "no", "no"},
	    [NET_MODE_BRIDGED] = {"yes", "yes", "yes", "yes"},
	};

	if ((int)mode < 0 || (int)mode >= NET_MODE_COUNT)
		mode = NET_MODE_NAT;
	return table[mode];
}
