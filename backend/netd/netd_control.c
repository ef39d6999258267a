/* virtty-netd's control commands (docs/networks.md): status, stats,
 * net-forward, quit, help, on the same JSON server as the VMM's
 * (backend/vmm/control.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control.h"
#include "control_help.h"
#include "netd.h"

#define NETD_STATS_MAX_MACS 32 /* per port in "stats" */

static struct netd *netd_of(struct control_request *req)
{
	return req->opaque;
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static int cmd_status(struct control_request *req)
{
	struct netd *netd = netd_of(req);
	struct json_object *d = json_object_new_object();
	int ports = 0;

	pthread_mutex_lock(&netd->lock);
	for (int i = 0; i < SWITCH_MAX_PORTS; i++)
		ports += netd->ports[i] != NULL;
	pthread_mutex_unlock(&netd->lock);
	json_object_object_add(d, "name", json_object_new_string(netd->cfg.name));
	json_object_object_add(d, "mode", json_object_new_string(netd_mode_name(netd->cfg.mode)));
	json_object_object_add(d, "ports", json_object_new_int(ports));
	json_object_object_add(d, "pid", json_object_new_int((int)getpid()));
	if (netd->ifname[0])
		json_object_object_add(d, "ifname", json_object_new_string(netd->ifname));
	req->data = d;
	return 0;
}

static const char *port_kind_name(enum netd_port_kind kind)
{
	return kind == NETD_PORT_VM ? "vm" : kind == NETD_PORT_NAT ? "nat" : "tap";
}

static struct json_object *port_json(struct netd *netd, const struct netd_port *p, uint64_t now)
{
	struct json_object *o = json_object_new_object(), *macs = json_object_new_array();
	uint8_t m[NETD_STATS_MAX_MACS][6];
	int n = switch_port_macs(&netd->sw, p->id, now, m, NETD_STATS_MAX_MACS);

	for (int i = 0; i < n; i++) {
		char s[18];

		snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", m[i][0], m[i][1], m[i][2],
			 m[i][3], m[i][4], m[i][5]);
		json_object_array_add(macs, json_object_new_string(s));
	}
	json_object_object_add(o, "id", json_object_new_int(p->id));
	json_object_object_add(o, "kind", json_object_new_string(port_kind_name(p->kind)));
	json_object_object_add(o, "macs", macs);
	add_u64(o, "rx_bytes", p->st.rx_bytes);
	add_u64(o, "rx_packets", p->st.rx_packets);
	add_u64(o, "tx_bytes", p->st.tx_bytes);
	add_u64(o, "tx_packets", p->st.tx_packets);
	add_u64(o, "dropped", p->st.dropped);
	add_u64(o, "errors", p->st.errors);
	return o;
}

static int cmd_stats(struct control_request *req)
{
	struct netd *netd = netd_of(req);
	struct json_object *d = json_object_new_object(), *arr = json_object_new_array();
	uint64_t rx = 0, tx = 0, now = netd_now_ms();

	pthread_mutex_lock(&netd->lock);
	for (int i = 0; i < SWITCH_MAX_PORTS; i++) {
		const struct netd_port *p = netd->ports[i];

		if (!p)
			continue;
		json_object_array_add(arr, port_json(netd, p, now));
		rx += p->st.rx_bytes;
		tx += p->st.tx_bytes;
	}
	pthread_mutex_unlock(&netd->lock);
	json_object_object_add(d, "ports", arr);
	add_u64(d, "rx_bytes", rx);
	add_u64(d, "tx_bytes", tx);
	req->data = d;
	return 0;
}

static int get_str(struct control_request *req, const char *key, const char **out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req->msg, key, &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(req->error, sizeof(req->error), "\"%s\" (a string) is required", key);
		return -EINVAL;
	}
	*out = json_object_get_string(v);
	return 0;
}

/* {"cmd":"net-forward","action":"add"|"remove","spec":"tcp:[ADDR]:H-GADDR:G"} */
static int cmd_net_forward(struct control_request *req)
{
	const char *action, *spec;

	if (get_str(req, "action", &action) || get_str(req, "spec", &spec))
		return -EINVAL;
	if (strcmp(action, "add") && strcmp(action, "remove")) {
		snprintf(req->error, sizeof(req->error),
			 "\"action\" must be \"add\" or \"remove\"");
		return -EINVAL;
	}
	return port_nat_forward(netd_of(req), spec, !strcmp(action, "add"), req->error,
				sizeof(req->error));
}

static void netd_control_quit_now(void *arg)
{
	netd_request_exit(arg, NETD_EXIT_OK);
}

static int cmd_quit(struct control_request *req)
{
	/* Exit only once the reply is out, or the client would never know. */
	req->after_reply = netd_control_quit_now;
	req->after_reply_arg = netd_of(req);
	return 0;
}

static const struct control_cmd netd_control_cmds[] = {
    {.name = "status", .fn = cmd_status, .usage = "name, mode, ports, pid, ifname"},
    {.name = "stats", .fn = cmd_stats, .usage = "per-port counters and learnt MACs"},
    {.name = "net-forward",
     .fn = cmd_net_forward,
     .usage = "natnet: action add|remove, spec tcp|udp:[ADDR]:HOSTPORT-GUESTADDR:GUESTPORT"},
    {.name = "quit", .fn = cmd_quit, .usage = "stop the network (exit status 0)"},
    {.name = "help", .fn = control_cmd_help, .usage = "list commands"},
    {.name = NULL},
};

int netd_control_start(struct netd *netd, char *err, size_t errlen)
{
	netd->ctl = control_server_new(netd->loop, netd->cfg.control_path, netd_control_cmds, netd,
				       err, errlen);
	return netd->ctl ? 0 : -EIO;
}
