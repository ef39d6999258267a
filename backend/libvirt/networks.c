/* The libvirt driver's networks: virNetwork* mapped onto virtty's modes
 * (forward nat -> natnet: libvirt NAT networks are shared segments; no
 * forward with an address -> hostonly; no forward, no address ->
 * internal; forward bridge -> bridged), and which VMs use each. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt_priv.h"
#include "net/netcfg.h"

static virNetworkPtr lv_net_lookup(struct driver *drv, const char *name, int *rc, char *err,
				   size_t errlen)
{
	virNetworkPtr net;

	if (!name || !*name) {
		snprintf(err, errlen, "no network name given");
		*rc = -EINVAL;
		return NULL;
	}
	*rc = 0;
	net = virNetworkLookupByName(lv_priv(drv)->conn, name);
	if (!net) {
		virErrorPtr e = virGetLastError();

		if (e && e->code == VIR_ERR_NO_NETWORK) {
			snprintf(err, errlen,
				 "network '%s' not found on %s; 'virtty -c %s net-list' shows them",
				 name, drv->uri, drv->uri);
			*rc = -ENOENT;
		} else {
			*rc = lv_error(err, errlen, "network '%s' on %s", name, drv->uri);
		}
	}
	return net;
}

/* ---- which VMs use a network ---- */

struct lv_net_user {
	char name[VM_NAME_MAX + 1];
	bool running;
	struct vm_config cfg; /* only the NICs matter */
};

static int lv_net_users(struct driver *drv, struct lv_net_user **out, int *count)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(lv_priv(drv)->conn, &doms, 0), kept = 0;
	struct lv_net_user *users;

	*out = NULL;
	*count = 0;
	if (n < 0)
		return -EIO;
	users = calloc(n ? (size_t)n : 1, sizeof(*users));
	for (int i = 0; i < n; i++) {
		char *xml = users ? virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE) : NULL;
		char e[256];

		if (xml && lv_xml_domain_parse(xml, &users[kept].cfg, e, sizeof(e)) == 0) {
			snprintf(users[kept].name, sizeof(users[kept].name), "%s",
				 virDomainGetName(doms[i]));
			users[kept].running = virDomainIsActive(doms[i]) == 1;
			kept++;
		}
		free(xml);
		virDomainFree(doms[i]);
	}
	free(doms);
	if (!users)
		return -ENOMEM;
	*out = users;
	*count = kept;
	return 0;
}

static bool lv_user_on(const struct lv_net_user *u, const char *net)
{
	for (int i = 0; i < u->cfg.nr_nics; i++)
		if (strcmp(u->cfg.nics[i].network, net) == 0)
			return true;
	return false;
}

/* Names of the VMs on net (only running ones when running_only). */
static int lv_net_vms(const struct lv_net_user *users, int n, const char *net, bool running_only,
		      char *buf, size_t len)
{
	size_t used = 0;
	int count = 0;

	if (len)
		buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (!lv_user_on(&users[i], net) || (running_only && !users[i].running))
			continue;
		count++;
		if (used + strlen(users[i].name) + 6 < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
						 users[i].name);
		else if (used + 4 < len && !strstr(buf, "..."))
			used += (size_t)snprintf(buf + used, len - used, "...");
	}
	return count;
}

/* ---- list, config ---- */

static void lv_fill_net_info(virNetworkPtr net, const struct lv_net_user *users, int nr_users,
			     struct net_info *out)
{
	struct net_config cfg;
	char *xml = virNetworkGetXMLDesc(net, 0), e[256];
	int autostart = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", virNetworkGetName(net));
	if (xml && lv_xml_network_parse(xml, &cfg, e, sizeof(e)) == 0) {
		out->mode = cfg.mode;
		snprintf(out->subnet, sizeof(out->subnet), "%s", cfg.subnet);
		snprintf(out->bridge, sizeof(out->bridge), "%s", cfg.bridge);
	}
	free(xml);
	out->state = virNetworkIsActive(net) == 1 ? NET_STATE_ACTIVE : NET_STATE_INACTIVE;
	out->autostart = virNetworkGetAutostart(net, &autostart) == 0 && autostart;
	out->nr_vms = lv_net_vms(users, nr_users, out->name, false, out->vms, sizeof(out->vms));
	for (int i = 0; i < nr_users; i++)
		if (users[i].running && lv_user_on(&users[i], out->name))
			out->nr_running++;
	/* Traffic counters: libvirt has none for networks (rx/tx stay 0). */
}

int lv_net_list(struct driver *drv, struct net_info **out, int *count, char *err, size_t errlen)
{
	virNetworkPtr *nets = NULL;
	struct lv_net_user *users = NULL;
	int nr_users = 0;
	int n = virConnectListAllNetworks(lv_priv(drv)->conn, &nets, 0);
	struct net_info *infos;

	*out = NULL;
	*count = 0;
	if (n < 0)
		return lv_error(err, errlen, "%s: cannot list networks", drv->uri);
	lv_net_users(drv, &users, &nr_users);
	infos = calloc(n ? (size_t)n : 1, sizeof(*infos));
	for (int i = 0; i < n; i++) {
		if (infos)
			lv_fill_net_info(nets[i], users, nr_users, &infos[i]);
		virNetworkFree(nets[i]);
	}
	free(nets);
	free(users);
	if (!infos) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*out = infos;
	*count = n;
	return 0;
}

int lv_net_get_config(struct driver *drv, const char *name, struct net_config *out, char *err,
		      size_t errlen)
{
	int r, autostart = 0;
	virNetworkPtr net = lv_net_lookup(drv, name, &r, err, errlen);
	char *xml;

	if (!net)
		return r;
	xml = virNetworkGetXMLDesc(net, VIR_NETWORK_XML_INACTIVE);
	/* Drivers without a separate persistent definition (test://). */
	if (!xml)
		xml = virNetworkGetXMLDesc(net, 0);
	if (!xml)
		r = lv_error(err, errlen, "network '%s' on %s", name, drv->uri);
	else
		r = lv_xml_network_parse(xml, out, err, errlen);
	if (!r)
		out->autostart = virNetworkGetAutostart(net, &autostart) == 0 && autostart;
	free(xml);
	virNetworkFree(net);
	return r;
}

/* ---- define, undefine ---- */

static int lv_net_check(const struct net_config *cfg, char *err, size_t errlen)
{
	struct ipv4_subnet s;
	uint32_t a, b;
	int r;

	if (!vm_name_valid(cfg->name, err, errlen))
		return -EINVAL;
	if (cfg->nr_forwards) {
		snprintf(err, errlen,
			 "network '%s': libvirt networks have no port forwards; "
			 "define it without them",
			 cfg->name);
		return -ENOTSUP;
	}
	if (cfg->mode == NET_MODE_BRIDGED || cfg->mode == NET_MODE_INTERNAL)
		return 0;
	r = netcfg_parse_subnet(cfg->subnet, &s, err, errlen);
	if (r)
		return r;
	if (!cfg->dhcp_start[0] && !cfg->dhcp_end[0])
		return 0;
	if ((r = netcfg_parse_addr(cfg->dhcp_start, &a, err, errlen)) ||
	    (r = netcfg_parse_addr(cfg->dhcp_end, &b, err, errlen)))
		return r;
	/* .1 is the host's address on the segment. */
	if (!netcfg_contains(&s, a) || !netcfg_contains(&s, b) || a > b || a <= s.addr + 1) {
		snprintf(err, errlen,
			 "network '%s': DHCP range %s-%s must lie in %s, after the host's .1",
			 cfg->name, cfg->dhcp_start, cfg->dhcp_end, cfg->subnet);
		return -EINVAL;
	}
	return 0;
}

int lv_net_define(struct driver *drv, const struct net_config *cfg, char *err, size_t errlen)
{
	struct net_config c = *cfg;
	virNetworkPtr net;
	char *xml = NULL;
	int r;

	/* nat and natnet without a subnet get the usual default. */
	if ((c.mode == NET_MODE_NAT || c.mode == NET_MODE_NATNET) && !c.subnet[0])
		snprintf(c.subnet, sizeof(c.subnet), "192.168.100.0/24");
	r = lv_net_check(&c, err, errlen);
	if (!r)
		r = lv_xml_network_build(&c, &xml, err, errlen);
	if (r)
		return r;
	net = virNetworkDefineXML(lv_priv(drv)->conn, xml);
	free(xml);
	if (!net)
		return lv_error(err, errlen, "network '%s': %s refused the definition", c.name,
				drv->uri);
	if (c.autostart && virNetworkSetAutostart(net, 1) < 0)
		r = lv_error(err, errlen, "network '%s' defined, but autostart failed", c.name);
	virNetworkFree(net);
	if (!r && c.mode == NET_MODE_NAT)
		snprintf(err, errlen,
			 "note: libvirt has no per-VM NAT: '%s' is a shared NAT segment (natnet)",
			 c.name);
	return r;
}

int lv_net_undefine(struct driver *drv, const char *name, char *err, size_t errlen)
{
	struct lv_net_user *users = NULL;
	int nr_users = 0, r;
	char vms[256];
	virNetworkPtr net = lv_net_lookup(drv, name, &r, err, errlen);

	if (!net)
		return r;
	lv_net_users(drv, &users, &nr_users);
	if (lv_net_vms(users, nr_users, name, false, vms, sizeof(vms)) > 0) {
		snprintf(err, errlen, "network '%s' is used by VMs %s; change their NICs first",
			 name, vms);
		r = -EBUSY;
	} else if (virNetworkIsActive(net) == 1) {
		snprintf(err, errlen, "network '%s' is active; use 'virtty net-stop %s' first", name,
			 name);
		r = -EBUSY;
	} else if (virNetworkUndefine(net) < 0) {
		r = lv_error(err, errlen, "cannot undefine network '%s' on %s", name, drv->uri);
	}
	free(users);
	virNetworkFree(net);
	return r;
}

/* ---- start, stop, autostart, forwards ---- */

int lv_net_start(struct driver *drv, const char *name, char *err, size_t errlen)
{
	int r;
	virNetworkPtr net = lv_net_lookup(drv, name, &r, err, errlen);

	if (!net)
		return r;
	if (virNetworkIsActive(net) == 1) {
		snprintf(err, errlen, "network '%s' is already active", name);
		r = -EBUSY;
	} else if (virNetworkCreate(net) < 0) {
		r = lv_error(err, errlen, "cannot start network '%s' on %s", name, drv->uri);
	}
	virNetworkFree(net);
	return r;
}

int lv_net_stop(struct driver *drv, const char *name, char *err, size_t errlen)
{
	struct lv_net_user *users = NULL;
	int nr_users = 0, r;
	char vms[256];
	virNetworkPtr net = lv_net_lookup(drv, name, &r, err, errlen);

	if (!net)
		return r;
	lv_net_users(drv, &users, &nr_users);
	if (virNetworkIsActive(net) != 1) {
		snprintf(err, errlen, "network '%s' is not active", name);
		r = -EINVAL;
	} else if (lv_net_vms(users, nr_users, name, true, vms, sizeof(vms)) > 0) {
		snprintf(err, errlen, "network '%s' has running VMs %s; shut them down first", name,
			 vms);
		r = -EBUSY;
	} else if (virNetworkDestroy(net) < 0) {
		r = lv_error(err, errlen, "cannot stop network '%s' on %s", name, drv->uri);
	}
	free(users);
	virNetworkFree(net);
	return r;
}

int lv_net_set_autostart(struct driver *drv, const char *name, bool autostart, char *err,
			 size_t errlen)
{
	int r;
	virNetworkPtr net = lv_net_lookup(drv, name, &r, err, errlen);

	if (!net)
		return r;
	if (virNetworkSetAutostart(net, autostart ? 1 : 0) < 0)
		r = lv_error(err, errlen, "network '%s' on %s: cannot change autostart", name,
			     drv->uri);
	virNetworkFree(net);
	return r;
}

int lv_net_forward(struct driver *drv, const char *name, const struct net_forward *fwd, bool add,
		   char *err, size_t errlen)
{
	(void)fwd;
	(void)add;
	snprintf(err, errlen,
		 "network '%s' on %s: libvirt networks have no port forwards; "
		 "forward on the host (iptables/nftables) or use a bridged network",
		 name, drv->uri);
	return -ENOTSUP;
}
