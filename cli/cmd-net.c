/* `virtty net-*`: virtual networks (nat, natnet, internal, hostonly,
 * bridged; see docs/networks.md): list, info, create, start, stop, delete,
 * autostart and port forwards. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "net/netcfg.h"
#include "store/store.h"

/* The closest existing network name to a mistyped one, or "". */
static void net_suggest(struct driver *drv, const char *name, char *buf, size_t len)
{
	struct net_info *nets = NULL;
	char err[256];
	int n = 0, best = 3;

	buf[0] = '\0';
	if (drv->ops->net_list(drv, &nets, &n, err, sizeof(err)) < 0)
		return;
	for (int i = 0; i < n; i++) {
		int d = cli_edit_distance(name, nets[i].name);

		if (d < best) {
			best = d;
			snprintf(buf, len, "%s", nets[i].name);
		}
	}
	free(nets);
}

/* An operation on a network failed: say why, and which name was meant
 * when it does not exist. */
static int net_failed(struct driver *drv, const char *name, int r, const char *err)
{
	char near[VM_NAME_MAX + 1];

	if (r == -ENOENT && name) {
		net_suggest(drv, name, near, sizeof(near));
		if (near[0] && strcmp(near, name)) {
			cli_error("%s; did you mean '%s'?", err, near);
			return CLI_EXIT_FAILED;
		}
	}
	return cli_failed(err);
}

/* The connection, if it has networks. CLI_CONTINUE or the exit status. */
static int net_open(struct cli_ctx *ctx, struct driver **drv)
{
	if (!(*drv = cli_driver(ctx)))
		return CLI_EXIT_FAILED;
	if (!(*drv)->ops->net_list) {
		cli_error("the '%s' connection has no virtual networks", (*drv)->ops->name);
		return CLI_EXIT_FAILED;
	}
	return CLI_CONTINUE;
}

/* The start of most net-* commands: options, nargs positional arguments
 * (the first a network name, checked), and the connection. Returns
 * CLI_CONTINUE with *drv set, or the exit status to return now. */
static int net_command(struct cli_ctx *ctx, int argc, char **argv, const struct option *opts,
		       cli_option_fn on_opt, void *opaque, int nargs, const char *what,
		       struct driver **drv)
{
	int rc;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, on_opt, opaque)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, nargs, nargs, what)))
		return rc;
	if (nargs && (rc = cli_check_name(ctx, argv[optind])))
		return rc;
	return net_open(ctx, drv);
}

static json_object *net_u64(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static json_object *net_str_or_null(const char *s)
{
	return s[0] ? json_object_new_string(s) : NULL;
}

static json_object *net_info_json(const struct net_info *n)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "mode", json_object_new_string(net_mode_name(n->mode)));
	json_object_object_add(o, "state", json_object_new_string(net_state_name(n->state)));
	json_object_object_add(o, "subnet", net_str_or_null(n->subnet));
	json_object_object_add(o, n->mode == NET_MODE_HOSTONLY ? "ifname" : "bridge",
			       net_str_or_null(n->bridge));
	json_object_object_add(o, "autostart", json_object_new_boolean(n->autostart));
	json_object_object_add(o, "nr_vms", json_object_new_int(n->nr_vms));
	json_object_object_add(o, "nr_running", json_object_new_int(n->nr_running));
	json_object_object_add(o, "vms", json_object_new_string(n->vms));
	json_object_object_add(o, "rx_bytes", net_u64(n->rx_bytes));
	json_object_object_add(o, "tx_bytes", net_u64(n->tx_bytes));
	json_object_object_add(o, "reason", net_str_or_null(n->reason));
	return o;
}

/* ---- net-list ---- */

static int net_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	static const char *const headers[] = {"NAME",	"MODE",	     "STATE",
					      "SUBNET", "AUTOSTART", "VMS"};
	static const enum cli_align align[] = {CLI_ALIGN_LEFT, CLI_ALIGN_LEFT, CLI_ALIGN_LEFT,
					       CLI_ALIGN_LEFT, CLI_ALIGN_LEFT, CLI_ALIGN_LEFT};
	struct net_info *nets = NULL;
	char err[512] = "";
	struct driver *drv = NULL;
	int rc, n = 0;

	if ((rc = net_command(ctx, argc, argv, opts, NULL, NULL, 0, "", &drv)) != CLI_CONTINUE)
		return rc;
	if (drv->ops->net_list(drv, &nets, &n, err, sizeof(err)) < 0)
		return cli_failed(err);
	if (ctx->json) {
		json_object *arr = json_object_new_array();

		for (int i = 0; i < n; i++)
			json_object_array_add(arr, net_info_json(&nets[i]));
		cli_json_print(arr, stdout);
		json_object_put(arr);
	} else {
		struct cli_table *t = cli_table_new(6, headers, align);

		for (int i = 0; t && i < n; i++) {
			const struct net_info *ni = &nets[i];
			const char *row[6] = {ni->name,
					      net_mode_name(ni->mode),
					      net_state_name(ni->state),
					      ni->subnet[0] ? ni->subnet : "-",
					      ni->autostart ? "yes" : "no",
					      ni->vms[0] ? ni->vms : "-"};

			cli_table_add_row(t, row);
		}
		if (t)
			cli_table_print(t, stdout);
		cli_table_free(t);
		/* Why a network failed, one line each. */
		for (int i = 0; i < n; i++)
			if (nets[i].reason[0])
				printf("%s: %s\n", nets[i].name, nets[i].reason);
	}
	free(nets);
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_net_list = {
    .name = "net-list",
    .usage = "[--json]",
    .summary = "list the virtual networks with their mode, state, subnet and VMs",
    .help = "VMS names the VMs defined with a NIC on each network.\n",
    .exec = net_list_exec,
};

/* ---- net-info ---- */

/* Gateway (nat/natnet) or host address (hostonly), and the DHCP range,
 * as the network hands them out. */
static void net_addresses(const struct net_config *cfg, char *gw, size_t gwlen, char *dhcp,
			  size_t dhcplen)
{
	struct ipv4_subnet s;
	char why[256], a[16], b[16];
	uint32_t start, end;

	snprintf(gw, gwlen, "-");
	snprintf(dhcp, dhcplen, "-");
	if (!cfg->subnet[0] || netcfg_parse_subnet(cfg->subnet, &s, why, sizeof(why)) < 0)
		return;
	if (netcfg_gateway(cfg->mode, &s)) {
		netcfg_format_addr(netcfg_gateway(cfg->mode, &s), a, sizeof(a));
		snprintf(gw, gwlen, "%s%s", a, cfg->mode == NET_MODE_HOSTONLY ? " (the host)" : "");
	}
	if (cfg->dhcp_start[0] && cfg->dhcp_end[0]) {
		snprintf(dhcp, dhcplen, "%s-%s", cfg->dhcp_start, cfg->dhcp_end);
	} else if (cfg->mode == NET_MODE_NAT || cfg->mode == NET_MODE_NATNET) {
		netcfg_default_dhcp(cfg->mode, &s, &start, &end);
		netcfg_format_addr(start, a, sizeof(a));
		netcfg_format_addr(end, b, sizeof(b));
		snprintf(dhcp, dhcplen, "%s-%s", a, b);
	} else if (cfg->mode == NET_MODE_HOSTONLY) {
		snprintf(dhcp, dhcplen, "none");
	}
}

static json_object *net_config_json(const struct net_info *ni, const struct net_config *cfg,
				    const char *gw, const char *dhcp)
{
	json_object *o = net_info_json(ni), *fwds = json_object_new_array();

	json_object_object_add(o, "gateway", strcmp(gw, "-") ? json_object_new_string(gw) : NULL);
	json_object_object_add(o, "dhcp_start", net_str_or_null(cfg->dhcp_start));
	json_object_object_add(o, "dhcp_end", net_str_or_null(cfg->dhcp_end));
	json_object_object_add(o, "dhcp_range",
			       strcmp(dhcp, "-") ? json_object_new_string(dhcp) : NULL);
	for (int i = 0; i < cfg->nr_forwards; i++) {
		const struct net_forward *f = &cfg->forwards[i];
		json_object *fo = json_object_new_object();
		char spec[128];

		netcfg_format_forward(f, spec, sizeof(spec));
		json_object_object_add(fo, "spec", json_object_new_string(spec));
		json_object_object_add(fo, "proto", json_object_new_string(f->udp ? "udp" : "tcp"));
		json_object_object_add(
		    fo, "host_addr",
		    json_object_new_string(f->host_addr[0] ? f->host_addr : "127.0.0.1"));
		json_object_object_add(fo, "host_port", json_object_new_int(f->host_port));
		json_object_object_add(fo, "guest_vm", net_str_or_null(f->guest_vm));
		json_object_object_add(fo, "guest_addr", net_str_or_null(f->guest_addr));
		json_object_object_add(fo, "guest_port", json_object_new_int(f->guest_port));
		json_object_array_add(fwds, fo);
	}
	json_object_object_add(o, "forwards", fwds);
	return o;
}

static int net_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct net_info *nets = NULL, *ni = NULL;
	struct net_config *cfg;
	char err[512] = "", gw[48], dhcp[48];
	struct driver *drv = NULL;
	const char *name;
	int rc, n = 0, r;

	if ((rc = net_command(ctx, argc, argv, opts, NULL, NULL, 1, "network name", &drv)) !=
	    CLI_CONTINUE)
		return rc;
	name = argv[optind];
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return cli_failed("out of memory");
	r = drv->ops->net_get_config(drv, name, cfg, err, sizeof(err));
	if (r < 0) {
		rc = net_failed(drv, name, r, err);
		goto out;
	}
	if (drv->ops->net_list(drv, &nets, &n, err, sizeof(err)) < 0) {
		rc = cli_failed(err);
		goto out;
	}
	for (int i = 0; i < n && !ni; i++)
		if (!strcmp(nets[i].name, name))
			ni = &nets[i];
	if (!ni) {
		rc = cli_failed("the network disappeared while being read");
		goto out;
	}
	net_addresses(cfg, gw, sizeof(gw), dhcp, sizeof(dhcp));
	if (ctx->json) {
		json_object *o = net_config_json(ni, cfg, gw, dhcp);

		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		const char *keys[16 + NET_MAX_FORWARDS], *vals[16 + NET_MAX_FORWARDS];
		char state[192], vms[320], traffic[96], a[32], b[32];
		char fwd[NET_MAX_FORWARDS][160];
		int k = 0;
		char *s;

		snprintf(state, sizeof(state), "%s%s%s%s", net_state_name(ni->state),
			 ni->reason[0] ? " (" : "", ni->reason, ni->reason[0] ? ")" : "");
		keys[k] = "Name", vals[k++] = cfg->name;
		keys[k] = "Mode", vals[k++] = net_mode_name(cfg->mode);
		keys[k] = "State", vals[k++] = state;
		keys[k] = "Subnet", vals[k++] = cfg->subnet[0] ? cfg->subnet : "-";
		keys[k] = cfg->mode == NET_MODE_HOSTONLY ? "Host address" : "Gateway";
		vals[k++] = gw;
		keys[k] = "DHCP range", vals[k++] = dhcp;
		if (cfg->mode == NET_MODE_BRIDGED)
			keys[k] = "Bridge", vals[k++] = cfg->bridge;
		if (cfg->mode == NET_MODE_HOSTONLY)
			keys[k] = "Host interface", vals[k++] = ni->bridge;
		keys[k] = "Autostart", vals[k++] = cfg->autostart ? "yes" : "no";
		for (int i = 0; i < cfg->nr_forwards && i < NET_MAX_FORWARDS; i++) {
			netcfg_format_forward(&cfg->forwards[i], fwd[i], sizeof(fwd[i]));
			keys[k] = i ? "" : "Port forwards";
			vals[k++] = fwd[i];
		}
		if (!cfg->nr_forwards &&
		    (cfg->mode == NET_MODE_NAT || cfg->mode == NET_MODE_NATNET))
			keys[k] = "Port forwards", vals[k++] = "(none)";
		if (ni->nr_vms)
			snprintf(vms, sizeof(vms), "%s (%d running)", ni->vms, ni->nr_running);
		else
			snprintf(vms, sizeof(vms), "(none)");
		keys[k] = "VMs", vals[k++] = vms;
		if (cfg->mode != NET_MODE_NAT) {
			format_size(ni->rx_bytes, a, sizeof(a));
			format_size(ni->tx_bytes, b, sizeof(b));
			snprintf(traffic, sizeof(traffic), "%s in / %s out of the switch", a, b);
			keys[k] = "Traffic", vals[k++] = traffic;
		}
		s = cli_kv_render(keys, vals, k);
		if (s)
			fputs(s, stdout);
		free(s);
	}
	rc = CLI_EXIT_OK;
out:
	free(nets);
	free(cfg);
	return rc;
}

const struct cli_command cli_cmd_net_info = {
    .name = "net-info",
    .usage = "NAME [--json]",
    .summary = "show a network's settings, port forwards, VMs and traffic",
    .help = "",
    .exec = net_info_exec,
};

/* ---- net-create ---- */

enum {
	NET_OPT_MODE = CLI_OPT_FIRST_PRIVATE,
	NET_OPT_SUBNET,
	NET_OPT_DHCP,
	NET_OPT_BRIDGE,
	NET_OPT_FORWARD,
	NET_OPT_AUTOSTART,
};

struct net_create_args {
	struct net_config *cfg;
	bool have_mode;
};

/* "START-END": two addresses (their place in the subnet is the driver's
 * check). */
static int net_parse_dhcp(const char *text, struct net_config *cfg, char *err, size_t errlen)
{
	const char *dash = strchr(text, '-');
	char start[16], why[256];
	uint32_t a;

	if (!dash || (size_t)(dash - text) >= sizeof(start)) {
		snprintf(err, errlen,
			 "invalid --dhcp '%s': use START-END, like "
			 "10.0.5.100-10.0.5.199",
			 text);
		return -EINVAL;
	}
	memcpy(start, text, (size_t)(dash - text));
	start[dash - text] = '\0';
	if (netcfg_parse_addr(start, &a, why, sizeof(why)) < 0 ||
	    netcfg_parse_addr(dash + 1, &a, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "invalid --dhcp '%s': %s", text, why);
		return -EINVAL;
	}
	/* Both parsed as dotted quads: they fit. */
	memcpy(cfg->dhcp_start, start, sizeof(start));
	snprintf(cfg->dhcp_end, sizeof(cfg->dhcp_end), "%.15s", dash + 1);
	return 0;
}

static int net_create_opt(struct cli_ctx *ctx, int opt, const char *arg, void *opaque)
{
	struct net_create_args *a = opaque;
	struct net_config *cfg = a->cfg;
	struct ipv4_subnet s;
	char err[512];

	switch (opt) {
	case NET_OPT_MODE:
		if (net_mode_parse(arg, &cfg->mode, err, sizeof(err)) < 0)
			return cli_usage_error(ctx, "invalid --mode: %s", err);
		a->have_mode = true;
		break;
	case NET_OPT_SUBNET:
		if (netcfg_parse_subnet(arg, &s, err, sizeof(err)) < 0)
			return cli_usage_error(ctx, "invalid --subnet: %s", err);
		netcfg_format_subnet(&s, cfg->subnet, sizeof(cfg->subnet));
		break;
	case NET_OPT_DHCP:
		if (net_parse_dhcp(arg, cfg, err, sizeof(err)) < 0)
			return cli_usage_error(ctx, "%s", err);
		break;
	case NET_OPT_BRIDGE:
		if (!arg[0] || strlen(arg) >= sizeof(cfg->bridge) || strchr(arg, '/'))
			return cli_usage_error(ctx,
					       "invalid --bridge '%s': give a host bridge's "
					       "interface name (1-%zu characters)",
					       arg, sizeof(cfg->bridge) - 1);
		snprintf(cfg->bridge, sizeof(cfg->bridge), "%s", arg);
		break;
	case NET_OPT_FORWARD:
		if (cfg->nr_forwards >= NET_MAX_FORWARDS)
			return cli_usage_error(ctx, "too many --forward (at most %d)",
					       NET_MAX_FORWARDS);
		if (netcfg_parse_forward(arg, &cfg->forwards[cfg->nr_forwards], err, sizeof(err)) <
		    0)
			return cli_usage_error(ctx, "invalid --forward: %s", err);
		cfg->nr_forwards++;
		break;
	case NET_OPT_AUTOSTART:
		cfg->autostart = true;
		break;
	}
	return CLI_CONTINUE;
}

static int net_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"mode", required_argument, NULL, NET_OPT_MODE},
	    {"subnet", required_argument, NULL, NET_OPT_SUBNET},
	    {"dhcp", required_argument, NULL, NET_OPT_DHCP},
	    {"bridge", required_argument, NULL, NET_OPT_BRIDGE},
	    {"forward", required_argument, NULL, NET_OPT_FORWARD},
	    {"autostart", no_argument, NULL, NET_OPT_AUTOSTART},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct net_create_args args = {0};
	struct net_config *cfg;
	char err[512] = "";
	struct driver *drv = NULL;
	int rc, r;

	cfg = args.cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return cli_failed("out of memory");
	/* Usage first (no connection yet): the options and the name. */
	if ((rc = cli_parse_options(ctx, argc, argv, opts, net_create_opt, &args)) != CLI_CONTINUE)
		goto out;
	if ((rc = cli_expect_args(ctx, argc, argv, 1, 1, "network name")))
		goto out;
	if ((rc = cli_check_name(ctx, argv[optind])))
		goto out;
	if (!args.have_mode) {
		rc = cli_usage_error(ctx,
				     "network '%s' needs a mode: add --mode "
				     "nat|natnet|internal|hostonly|bridged",
				     argv[optind]);
		goto out;
	}
	snprintf(cfg->name, sizeof(cfg->name), "%s", argv[optind]);
	rc = CLI_EXIT_FAILED;
	if (net_open(ctx, &drv) != CLI_CONTINUE)
		goto out;
	r = drv->ops->net_define(drv, cfg, err, sizeof(err));
	if (r < 0) {
		cli_error("%s", err);
		goto out;
	}
	/* err holds the driver's warning, if any. */
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(cfg->name));
		json_object_object_add(o, "created", json_object_new_boolean(1));
		json_object_object_add(o, "warning", net_str_or_null(err));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		if (err[0])
			cli_error("warning: %s", err);
		if (cfg->mode == NET_MODE_NAT)
			printf("Network '%s' created; VMs join it with 'virtty define|set VM --nic "
			       "%s'\n",
			       cfg->name, cfg->name);
		else
			printf("Network '%s' created; it starts with the first VM on it, or with "
			       "'virtty net-start %s'\n",
			       cfg->name, cfg->name);
	}
	rc = CLI_EXIT_OK;
out:
	free(cfg);
	return rc;
}

const struct cli_command cli_cmd_net_create = {
    .name = "net-create",
    .usage = "NAME --mode nat|natnet|internal|hostonly|bridged [--subnet CIDR] "
	     "[--dhcp START-END] [--bridge BRIDGE] [--forward SPEC]... [--autostart]",
    .summary = "define a virtual network",
    .help = "  --mode MODE           nat: each VM alone behind its own NAT (no root);\n"
	    "                        natnet: VMs on one segment with a shared NAT (no root);\n"
	    "                        internal: VMs on one segment, nothing else;\n"
	    "                        hostonly: VMs and a host interface, DHCP (needs root);\n"
	    "                        bridged: VMs on an existing host bridge (needs root)\n"
	    "  --subnet CIDR         IPv4 subnet, like 10.0.5.0/24 (nat/natnet: default\n"
	    "                        10.0.2.0/24; hostonly: required)\n"
	    "  --dhcp START-END      DHCP range inside the subnet (nat/natnet: at most 16\n"
	    "                        addresses; default .15-.30; hostonly: default\n"
	    "                        .100-.199)\n"
	    "  --bridge BRIDGE       the existing host bridge (bridged)\n"
	    "  --forward SPEC        port forward (nat/natnet, repeatable):\n"
	    "                        tcp|udp:[HOSTADDR:]HOSTPORT-GUEST:GUESTPORT; GUEST is a\n"
	    "                        VM name (nat) or an address in the subnet (natnet);\n"
	    "                        HOSTADDR defaults to 127.0.0.1\n"
	    "  --autostart           start it with the host: 'virtty net-start --autostart'\n"
	    "                        (from a boot script) starts every such network\n",
    .exec = net_create_exec,
};

/* ---- net-start, net-stop, net-delete ---- */

enum net_simple_op { NET_START, NET_STOP, NET_DELETE };

static int net_simple_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	static const char *const done[] = {"started", "stopped", "deleted"};
	enum net_simple_op op = (enum net_simple_op)(intptr_t)ctx->cmd->data;
	char err[1024] = "";
	struct driver *drv = NULL;
	const char *name;
	int rc, r;

	if ((rc = net_command(ctx, argc, argv, opts, NULL, NULL, 1, "network name", &drv)) !=
	    CLI_CONTINUE)
		return rc;
	name = argv[optind];
	if (op == NET_START)
		r = drv->ops->net_start(drv, name, err, sizeof(err));
	else if (op == NET_STOP)
		r = drv->ops->net_stop(drv, name, err, sizeof(err));
	else
		r = drv->ops->net_undefine(drv, name, err, sizeof(err));
	if (r < 0)
		return net_failed(drv, name, r, err);
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, done[op], json_object_new_boolean(1));
		json_object_object_add(o, "note", net_str_or_null(err));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else if (err[0]) {
		printf("%s\n", err); /* e.g. a nat network has nothing to start */
	} else {
		printf("Network '%s' %s\n", name, done[op]);
	}
	return CLI_EXIT_OK;
}

/* ---- net-start ---- */

enum { NET_START_OPT_AUTOSTART = CLI_OPT_FIRST_PRIVATE };

static int net_start_opt(struct cli_ctx *ctx, int opt, const char *arg, void *opaque)
{
	(void)ctx;
	(void)arg;
	if (opt == NET_START_OPT_AUTOSTART)
		*(bool *)opaque = true;
	return CLI_CONTINUE;
}

/* `net-start --autostart`: every inactive network marked autostart, for a
 * boot script. Each failure is reported; the exit status says whether all
 * started. */
static int net_start_autostart(struct cli_ctx *ctx, struct driver *drv)
{
	struct net_info *nets = NULL;
	char err[1024] = "";
	int count = 0, failures = 0, started = 0;

	if (drv->ops->net_list(drv, &nets, &count, err, sizeof(err)) < 0) {
		fprintf(stderr, "virtty: %s\n", err);
		return CLI_EXIT_FAILED;
	}
	for (int i = 0; i < count; i++) {
		if (!nets[i].autostart || nets[i].state == NET_STATE_ACTIVE)
			continue;
		err[0] = '\0';
		if (drv->ops->net_start(drv, nets[i].name, err, sizeof(err)) < 0) {
			fprintf(stderr, "virtty: %s\n", err);
			failures++;
		} else if (!ctx->json) {
			printf("Network '%s' started\n", nets[i].name);
			started++;
		}
	}
	free(nets);
	if (!ctx->json && !started && !failures)
		printf("No autostart network needed starting\n");
	return failures ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

static int net_start_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_COMMON_OPTIONS,
	    {"autostart", no_argument, NULL, NET_START_OPT_AUTOSTART},
	    {NULL, 0, NULL, 0}};
	bool autostart = false;
	struct driver *drv = NULL;
	int rc;

	/* Options first, to know how many names to expect. */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--autostart"))
			autostart = true;
	if (!autostart)
		return net_simple_exec(ctx, argc, argv);
	if ((rc = net_command(ctx, argc, argv, opts, net_start_opt, &autostart, 0, "", &drv)) !=
	    CLI_CONTINUE)
		return rc;
	return net_start_autostart(ctx, drv);
}

const struct cli_command cli_cmd_net_start = {
    .name = "net-start",
    .usage = "NAME | --autostart",
    .summary = "start a network's switch (natnet, internal, hostonly, bridged)",
    .help = "A VM's start also starts its networks. nat networks run nothing of their\n"
	    "own: each VM on one has its own NAT.\n"
	    "  --autostart           start every network marked autostart that is not\n"
	    "                        running (for a boot script or a systemd unit)\n",
    .exec = net_start_exec,
    .data = (const void *)(intptr_t)NET_START,
};

const struct cli_command cli_cmd_net_stop = {
    .name = "net-stop",
    .usage = "NAME",
    .summary = "stop a network's switch (refused while running VMs use it)",
    .help = "",
    .exec = net_simple_exec,
    .data = (const void *)(intptr_t)NET_STOP,
};

const struct cli_command cli_cmd_net_delete = {
    .name = "net-delete",
    .usage = "NAME",
    .summary = "remove a network (refused while VMs are defined on it or it runs)",
    .help = "",
    .exec = net_simple_exec,
    .data = (const void *)(intptr_t)NET_DELETE,
};

/* ---- net-autostart ---- */

static int net_autostart_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	char err[512] = "";
	struct driver *drv = NULL;
	const char *name, *word;
	bool on;
	int rc, r;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, NULL, NULL)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 2, 2, "network name and on|off")))
		return rc;
	name = argv[optind];
	word = argv[optind + 1];
	if ((rc = cli_check_name(ctx, name)))
		return rc;
	if (strcmp(word, "on") && strcmp(word, "off"))
		return cli_usage_error(ctx, "invalid '%s': use 'on' or 'off'", word);
	on = !strcmp(word, "on");
	if ((rc = net_open(ctx, &drv)) != CLI_CONTINUE)
		return rc;
	r = drv->ops->net_set_autostart(drv, name, on, err, sizeof(err));
	if (r < 0)
		return net_failed(drv, name, r, err);
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "autostart", json_object_new_boolean(on));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		printf("Network '%s': autostart %s\n", name, word);
	}
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_net_autostart = {
    .name = "net-autostart",
    .usage = "NAME on|off",
    .summary = "start a network with the host (on) or only when needed (off)",
    .help = "",
    .exec = net_autostart_exec,
};

/* ---- net-forward ---- */

static int net_forward_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct net_forward fwd;
	char err[512] = "", spec[128];
	struct driver *drv = NULL;
	const char *name, *action;
	bool add;
	int rc, r;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, NULL, NULL)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 3, 3, "network name, add|remove and SPEC")))
		return rc;
	name = argv[optind];
	action = argv[optind + 1];
	if ((rc = cli_check_name(ctx, name)))
		return rc;
	if (strcmp(action, "add") && strcmp(action, "remove"))
		return cli_usage_error(ctx, "invalid '%s': use 'add' or 'remove'", action);
	add = !strcmp(action, "add");
	if (netcfg_parse_forward(argv[optind + 2], &fwd, err, sizeof(err)) < 0)
		return cli_usage_error(ctx, "invalid port forward: %s", err);
	if ((rc = net_open(ctx, &drv)) != CLI_CONTINUE)
		return rc;
	r = drv->ops->net_forward(drv, name, &fwd, add, err, sizeof(err));
	if (r < 0)
		return net_failed(drv, name, r, err);
	netcfg_format_forward(&fwd, spec, sizeof(spec));
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, add ? "added" : "removed", json_object_new_string(spec));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		printf("Network '%s': forward %s %s\n", name, spec, add ? "added" : "removed");
	}
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_net_forward = {
    .name = "net-forward",
    .usage = "NAME add|remove SPEC",
    .summary = "add or remove a port forward (applied at once where the network runs)",
    .help = "SPEC: tcp|udp:[HOSTADDR:]HOSTPORT-GUEST:GUESTPORT, GUEST a VM name (nat) or an\n"
	    "address in the subnet (natnet); HOSTADDR defaults to 127.0.0.1. A host port in\n"
	    "use is refused and nothing is stored.\n",
    .exec = net_forward_exec,
};
