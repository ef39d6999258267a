/* virtty-netd: run one network's switch, in the foreground or as a daemon
 * (--daemonize, --pidfile, --log for `virtty net-start`). Parses and checks
 * the command line (docs/networks.md), then hands a netd_config to netd.c. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "netd.h"
#include "sandbox.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: virtty-netd --name NAME --mode natnet|internal|hostonly|bridged\n"
		"                   --socket PATH --control PATH [options]\n"
		"Run the switch of one virtual network; VMs attach with\n"
		"virtty-vmm --nic socket,path=PATH.\n"
		"\n"
		"  --name NAME           the network's name\n"
		"  --mode MODE           natnet: switch + shared NAT (libslirp), DHCP, forwards\n"
		"                        internal: switch only\n"
		"                        hostonly: switch + tap with the subnet's .1 + DHCP\n"
		"                        bridged: switch + tap on an existing bridge\n"
		"  --socket PATH         SOCK_SEQPACKET socket the VMs connect to (mode 0600)\n"
		"  --control PATH        JSON control socket (status, stats, net-forward, quit)\n"
		"  --net A.B.C.D/N       subnet (natnet: default 10.0.2.0/24; hostonly: required)\n"
		"  --dhcp-start ADDR     first DHCP address (natnet: 16 from there)\n"
		"  --dhcp-end ADDR       last DHCP address (hostonly)\n"
		"  --no-dhcp             hostonly: no DHCP server (guests get static addresses)\n"
		"  --hostfwd tcp|udp:[ADDR]:HOSTPORT-GUESTADDR:GUESTPORT\n"
		"                        port forward (natnet, repeatable; ADDR 127.0.0.1)\n"
		"  --bridge BRIDGE       the host bridge (bridged, required)\n"
		"  --ifname IFNAME       the tap's name (default vtty-NAME, cut to 15)\n"
		"  --dnsmasq PATH        the dnsmasq program (hostonly; default from PATH)\n"
		"  --daemonize           run in the background; return once the sockets listen\n"
		"  --pidfile PATH        \"PID\" while running (locked), \"exited STATUS\" after\n"
		"  --log PATH            append the daemon's output to PATH\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 on quit or SIGTERM, 1 internal error, 2 bad arguments or\n"
		"environment.\n");
}

__attribute__((format(printf, 1, 2))) static int die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "virtty-netd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return NETD_EXIT_USAGE;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

/* Interface names: 1-15 bytes, no '/', ':' or spaces (the kernel's rule). */
static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]) ||
		    !isprint((unsigned char)s[i]))
			return false;
	return true;
}

/* What the options said, before the mode decides what they mean. */
struct netd_args {
	const char *mode, *net, *dhcp_start, *dhcp_end, *ifname;
	int nr_fwds;
	const char *fwds[NET_SLIRP_MAX_FWDS + 1];
	bool daemonize;
	const char *pidfile, *log;
};

static int parse_addr(const char *opt, const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return die_usage("%s '%s': expected an IPv4 address", opt, s);
	*out = ntohl(a.s_addr);
	return 0;
}

/* natnet: libslirp's configuration from --net, --dhcp-start, --hostfwd. */
static int apply_natnet(struct netd_config *cfg, const struct netd_args *a)
{
	char msg[256];

	net_slirp_config_init(&cfg->nat);
	if (a->net && net_slirp_config_set(&cfg->nat, "net", a->net, msg, sizeof(msg)))
		return die_usage("--%s", msg);
	if (a->dhcp_start &&
	    net_slirp_config_set(&cfg->nat, "dhcpstart", a->dhcp_start, msg, sizeof(msg)))
		return die_usage("--dhcp-start: %s", msg);
	for (int i = 0; i < a->nr_fwds; i++)
		if (net_slirp_config_set(&cfg->nat, "hostfwd", a->fwds[i], msg, sizeof(msg)))
			return die_usage("--%s", msg);
	if (net_slirp_config_check(&cfg->nat, msg, sizeof(msg)))
		return die_usage("--dhcp-start: %s", msg);
	if (a->dhcp_end) {
		uint32_t end, start = ntohl(cfg->nat.dhcp_start.s_addr);
		int r = parse_addr("--dhcp-end", a->dhcp_end, &end);

		if (r)
			return r;
		/* libslirp always serves 16 addresses from the start. */
		if (end < start || end > start + 15)
			return die_usage("--dhcp-end %s: natnet serves at most 16 addresses from "
					 "--dhcp-start",
					 a->dhcp_end);
	}
	return 0;
}

/* hostonly: the subnet, the tap's .1 and the DHCP range (default .100 to
 * .199, clipped to the subnet). */
static int apply_hostonly(struct netd_config *cfg, const struct netd_args *a)
{
	struct net_slirp_config parsed;
	uint32_t bcast;
	char msg[256];
	int r;

	if (!a->net)
		return die_usage("--net A.B.C.D/N is required for a hostonly network");
	net_slirp_config_init(&parsed);
	if (net_slirp_config_set(&parsed, "net", a->net, msg, sizeof(msg)))
		return die_usage("--%s", msg);
	cfg->have_net = true;
	cfg->net = ntohl(parsed.net.s_addr);
	cfg->mask = ntohl(parsed.mask.s_addr);
	bcast = cfg->net | ~cfg->mask;
	cfg->dhcp_start = cfg->net + 100 < bcast ? cfg->net + 100 : cfg->net + 2;
	cfg->dhcp_end = cfg->net + 199 < bcast ? cfg->net + 199 : bcast - 1;
	if (a->dhcp_start && (r = parse_addr("--dhcp-start", a->dhcp_start, &cfg->dhcp_start)))
		return r;
	if (a->dhcp_end && (r = parse_addr("--dhcp-end", a->dhcp_end, &cfg->dhcp_end)))
		return r;
	if ((cfg->dhcp_start & cfg->mask) != cfg->net || (cfg->dhcp_end & cfg->mask) != cfg->net ||
	    cfg->dhcp_start <= cfg->net + 1 || cfg->dhcp_end >= bcast ||
	    cfg->dhcp_start > cfg->dhcp_end)
		return die_usage("DHCP range: start and end must be host addresses of %s after "
				 "the host's .1, start <= end",
				 a->net);
	return 0;
}

static int apply_mode(struct netd_config *cfg, const struct netd_args *a)
{
	static const char *const modes[] = {"natnet", "internal", "hostonly", "bridged"};
	bool tap;
	int m;

	for (m = 0; m < 4 && strcmp(a->mode, modes[m]); m++)
		;
	if (m == 4)
		return die_usage("--mode '%s': expected natnet, internal, hostonly or bridged "
				 "(nat networks need no switch)",
				 a->mode);
	cfg->mode = (enum netd_mode)m;
	tap = cfg->mode == NETD_MODE_HOSTONLY || cfg->mode == NETD_MODE_BRIDGED;
	if (a->nr_fwds && cfg->mode != NETD_MODE_NATNET)
		return die_usage("--hostfwd: only natnet networks have port forwards");
	if ((a->net || a->dhcp_start || a->dhcp_end) && cfg->mode != NETD_MODE_NATNET &&
	    cfg->mode != NETD_MODE_HOSTONLY)
		return die_usage("--net and --dhcp-*: %s networks have no subnet of netd's",
				 a->mode);
	if (cfg->no_dhcp && (cfg->mode != NETD_MODE_HOSTONLY || a->dhcp_start || a->dhcp_end))
		return die_usage("--no-dhcp: only for hostonly networks, without --dhcp-*");
	if (cfg->bridge && cfg->mode != NETD_MODE_BRIDGED)
		return die_usage("--bridge: only for bridged networks");
	if (!cfg->bridge && cfg->mode == NETD_MODE_BRIDGED)
		return die_usage("--bridge BRIDGE is required for a bridged network");
	if ((a->ifname || cfg->dnsmasq) && !tap)
		return die_usage("--ifname and --dnsmasq: only for hostonly and bridged networks");
	if (cfg->dnsmasq && cfg->mode != NETD_MODE_HOSTONLY)
		return die_usage("--dnsmasq: only for hostonly networks");
	if (a->ifname)
		snprintf(cfg->ifname, sizeof(cfg->ifname), "%s", a->ifname);
	else
		snprintf(cfg->ifname, sizeof(cfg->ifname), "vtty-%.10s", cfg->name);
	if (cfg->mode == NETD_MODE_NATNET)
		return apply_natnet(cfg, a);
	if (cfg->mode == NETD_MODE_HOSTONLY)
		return apply_hostonly(cfg, a);
	return 0;
}

static int parse_args(int argc, char **argv, struct netd_config *cfg, struct netd_args *a)
{
	enum {
		OPT_NAME = 256,
		OPT_MODE,
		OPT_SOCKET,
		OPT_CONTROL,
		OPT_NET,
		OPT_DHCP_START,
		OPT_DHCP_END,
		OPT_NO_DHCP,
		OPT_HOSTFWD,
		OPT_BRIDGE,
		OPT_IFNAME,
		OPT_DNSMASQ,
		OPT_DAEMONIZE,
		OPT_PIDFILE,
		OPT_LOG
	};
	static const struct option opts[] = {
	    {"name", required_argument, NULL, OPT_NAME},
	    {"mode", required_argument, NULL, OPT_MODE},
	    {"socket", required_argument, NULL, OPT_SOCKET},
	    {"control", required_argument, NULL, OPT_CONTROL},
	    {"net", required_argument, NULL, OPT_NET},
	    {"dhcp-start", required_argument, NULL, OPT_DHCP_START},
	    {"dhcp-end", required_argument, NULL, OPT_DHCP_END},
	    {"no-dhcp", no_argument, NULL, OPT_NO_DHCP},
	    {"hostfwd", required_argument, NULL, OPT_HOSTFWD},
	    {"bridge", required_argument, NULL, OPT_BRIDGE},
	    {"ifname", required_argument, NULL, OPT_IFNAME},
	    {"dnsmasq", required_argument, NULL, OPT_DNSMASQ},
	    {"daemonize", no_argument, NULL, OPT_DAEMONIZE},
	    {"pidfile", required_argument, NULL, OPT_PIDFILE},
	    {"log", required_argument, NULL, OPT_LOG},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	memset(cfg, 0, sizeof(*cfg));
	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_NAME:
			if (!valid_name(optarg))
				return die_usage(
				    "--name '%s': use 1-64 letters, digits, '.', '_' or "
				    "'-', starting with a letter or digit",
				    optarg);
			cfg->name = optarg;
			break;
		case OPT_MODE:
			a->mode = optarg;
			break;
		case OPT_SOCKET:
			cfg->socket_path = optarg;
			break;
		case OPT_CONTROL:
			cfg->control_path = optarg;
			break;
		case OPT_NET:
			a->net = optarg;
			break;
		case OPT_DHCP_START:
			a->dhcp_start = optarg;
			break;
		case OPT_DHCP_END:
			a->dhcp_end = optarg;
			break;
		case OPT_NO_DHCP:
			cfg->no_dhcp = true;
			break;
		case OPT_HOSTFWD:
			if (a->nr_fwds == NET_SLIRP_MAX_FWDS)
				return die_usage("--hostfwd: at most %d forwards",
						 NET_SLIRP_MAX_FWDS);
			a->fwds[a->nr_fwds++] = optarg;
			break;
		case OPT_BRIDGE:
			if (!valid_ifname(optarg))
				return die_usage("--bridge '%s': not an interface name", optarg);
			cfg->bridge = optarg;
			break;
		case OPT_IFNAME:
			if (!valid_ifname(optarg))
				return die_usage(
				    "--ifname '%s': use 1-15 characters, no '/', ':' or "
				    "spaces",
				    optarg);
			a->ifname = optarg;
			break;
		case OPT_DNSMASQ:
			if (!*optarg)
				return die_usage("--dnsmasq needs a program path");
			cfg->dnsmasq = optarg;
			break;
		case OPT_DAEMONIZE:
			a->daemonize = true;
			break;
		case OPT_PIDFILE:
			if (!*optarg)
				return die_usage("--pidfile needs a path");
			a->pidfile = optarg;
			break;
		case OPT_LOG:
			if (!*optarg)
				return die_usage("--log needs a path");
			a->log = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			if (optopt)
				return die_usage("option '%s' needs an argument", argv[optind - 1]);
			return die_usage("unknown option '%s' (try --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return die_usage("unexpected argument '%s'", argv[optind]);
	if (!cfg->name || !a->mode || !cfg->socket_path || !cfg->control_path)
		return die_usage(
		    "--name, --mode, --socket and --control are required (try --help)");
	return apply_mode(cfg, a);
}

/* ---- Running, pid file, daemon ---- */

/* daemon_start's own statuses mean the same here. */
_Static_assert(DAEMON_EXIT_ERROR == NETD_EXIT_ERROR && DAEMON_EXIT_USAGE == NETD_EXIT_USAGE,
	       "daemon.h and netd.h exit statuses differ");

/* What the daemon's child runs. */
struct netd_daemon_args {
	const struct netd_config *cfg;
	const struct netd_args *a;
};

/* At exit, through the locked fd (the sandbox allows no opens then). */
static void netd_pidfile_finish(int fd, const char *text)
{
	char msg[256];

	if (daemon_pidfile_rewrite(fd, text, msg, sizeof(msg)))
		fprintf(stderr, "virtty-netd: %s\n", msg);
}

/* Build, serve, tear down. ready_fd (or -1) learns "ready", or "error
 * MESSAGE" and "exit STATUS" (--daemonize, daemon.h). */
static int netd_main(const struct netd_config *cfg, const struct netd_args *a, int ready_fd)
{
	struct netd *netd;
	char err[512] = "", line[64], msg[256] = "";
	int status, pid_fd = -1;

	if (a->pidfile && daemon_pidfile_busy(a->pidfile)) {
		snprintf(err, sizeof(err),
			 "--pidfile '%s': another virtty-netd holds it (is "
			 "network '%s' running?)",
			 a->pidfile, cfg->name);
		goto fail;
	}
	if (netd_create(cfg, &netd, err, sizeof(err))) {
		netd_destroy(netd);
		goto fail;
	}
	if (a->pidfile) {
		snprintf(line, sizeof(line), "%d\n", (int)getpid());
		pid_fd = daemon_pidfile_replace(a->pidfile, line, msg, sizeof(msg));
		if (pid_fd < 0) {
			fprintf(stderr, "virtty-netd: %s\n", msg);
			netd_destroy(netd);
			snprintf(err, sizeof(err), "--pidfile '%s': cannot write it", a->pidfile);
			goto fail;
		}
	}
	/* Built: from here on the event loop only switches frames and
	 * answers the control socket; a hostile frame or client that took
	 * it over finds little to call. */
	if (sandbox_apply(SANDBOX_NETD, msg, sizeof(msg)) < 0) {
		netd_destroy(netd);
		if (pid_fd >= 0)
			netd_pidfile_finish(pid_fd, "exited 1\n");
		snprintf(err, sizeof(err), "%s", msg);
		status = NETD_EXIT_ERROR;
		goto report;
	}
	daemon_ready_send(ready_fd, "ready");
	if (ready_fd >= 0)
		close(ready_fd);
	status = netd_run(netd);
	netd_destroy(netd);
	if (pid_fd >= 0) {
		snprintf(line, sizeof(line), "exited %d\n", status);
		netd_pidfile_finish(pid_fd, line); /* stays locked until exit */
		close(pid_fd);
	}
	return status;
fail:
	status = NETD_EXIT_USAGE;
report:
	fprintf(stderr, "virtty-netd: %s\n", err);
	daemon_ready_send(ready_fd, "error virtty-netd: %s", err);
	daemon_ready_send(ready_fd, "exit %d", status);
	return status;
}

static int netd_daemon_run(void *arg, int ready_fd)
{
	const struct netd_daemon_args *d = arg;

	return netd_main(d->cfg, d->a, ready_fd);
}

static int netd_daemonize(struct netd_config *cfg, struct netd_args *a)
{
	struct netd_daemon_args d = {.cfg = cfg, .a = a};
	struct daemon_spec spec = {
	    .prog = "virtty-netd",
	    .not_ready = "the daemon stopped before its sockets were ready",
	    .run = netd_daemon_run,
	    .arg = &d,
	};

	/* The daemon changes to "/": every path it uses becomes absolute. */
	cfg->socket_path = daemon_absolute_path(cfg->socket_path);
	cfg->control_path = daemon_absolute_path(cfg->control_path);
	if (cfg->dnsmasq && strchr(cfg->dnsmasq, '/'))
		cfg->dnsmasq = daemon_absolute_path(cfg->dnsmasq);
	a->pidfile = daemon_absolute_path(a->pidfile);
	a->log = daemon_absolute_path(a->log);
	spec.log = a->log;
	return daemon_start(&spec);
}

int main(int argc, char **argv)
{
	struct netd_config cfg;
	struct netd_args a;
	sigset_t set;
	int status;

	sandbox_set_program("virtty-netd");
	status = parse_args(argc, argv, &cfg, &a);
	if (status)
		return status;
	/* Read from a signalfd by the event loop; blocked before any thread
	 * (the NAT's) exists, so that none of them takes these. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (a.daemonize)
		return netd_daemonize(&cfg, &a);
	return netd_main(&cfg, &a, -1);
}
