/* virtty-netd: run one network's switch, in the foreground or as a daemon
 * (--daemonize, --pidfile, --log for `virtty net-start`). Parses and checks
 * the command line (docs/networks.md), then hands a netd_config to netd.c. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Replace the pid file with text, locked before the rename makes it
 * visible (as virtty-vmm does). The locked fd, or -1 with a message. */
static int pidfile_replace(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && !flock(fd, LOCK_EX | LOCK_NB) && write(fd, text, len) == (ssize_t)len &&
	    !rename(tmp, path))
		return fd;
	fprintf(stderr, "virtty-netd: --pidfile '%s': cannot write: %s\n", path, strerror(errno));
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	return -1;
}

/* At exit, through the locked fd (the sandbox allows no opens then):
 * "exited STATUS" is longer than any "PID\n", so one write covers it. */
static void pidfile_finish(int fd, const char *text)
{
	size_t len = strlen(text);

	if (pwrite(fd, text, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0)
		fprintf(stderr, "virtty-netd: cannot update the pid file: %s\n", strerror(errno));
}

/* A live virtty-netd holds its pid file locked. */
static bool pidfile_busy(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool busy;

	if (fd < 0)
		return false;
	busy = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

static void ready_send(int fd, const char *line)
{
	if (fd >= 0 && send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		/* the foreground is gone: nobody to tell */
	}
}

/* Build, serve, tear down. ready_fd (or -1) learns "ready\n" or "error
 * MESSAGE\n" (--daemonize). */
static int netd_main(const struct netd_config *cfg, const struct netd_args *a, int ready_fd)
{
	struct netd *netd;
	char err[512] = "", line[600], msg[256] = "";
	int status, pid_fd = -1;

	if (a->pidfile && pidfile_busy(a->pidfile)) {
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
		pid_fd = pidfile_replace(a->pidfile, line);
		if (pid_fd < 0) {
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
			pidfile_finish(pid_fd, "exited 1\n");
		snprintf(err, sizeof(err), "%s", msg);
		status = NETD_EXIT_ERROR;
		goto report;
	}
	ready_send(ready_fd, "ready\n");
	if (ready_fd >= 0)
		close(ready_fd);
	status = netd_run(netd);
	netd_destroy(netd);
	if (pid_fd >= 0) {
		snprintf(line, sizeof(line), "exited %d\n", status);
		pidfile_finish(pid_fd, line); /* stays locked until exit */
		close(pid_fd);
	}
	return status;
fail:
	status = NETD_EXIT_USAGE;
report:
	fprintf(stderr, "virtty-netd: %s\n", err);
	for (char *p = err; *p; p++)
		if (*p == '\n')
			*p = ' ';
	snprintf(line, sizeof(line), "error virtty-netd: %s\n", err);
	ready_send(ready_fd, line);
	return status;
}

/* The daemon changes to "/": every path it uses becomes absolute. */
static const char *absolute_path(const char *path)
{
	static char cwd[PATH_MAX];
	char *abs;

	if (!path || path[0] == '/')
		return path;
	if (!cwd[0] && !getcwd(cwd, sizeof(cwd)))
		return path;
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		return path;
	return abs; /* lives until exit */
}

/* The foreground side: 0 once the daemon is ready, else its status. */
static int netd_wait_ready(int fd, pid_t pid)
{
	char buf[1024];
	size_t len = 0;
	ssize_t n;
	int wstatus;

	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (strchr(buf, '\n'))
			break;
	}
	buf[len] = '\0';
	if (!strcmp(buf, "ready\n"))
		return 0;
	if (!strncmp(buf, "error ", 6))
		fputs(buf + 6, stderr);
	else
		fprintf(stderr, "virtty-netd: the daemon stopped before its sockets were ready\n");
	if (waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus) && WEXITSTATUS(wstatus))
		return WEXITSTATUS(wstatus);
	return NETD_EXIT_ERROR;
}

static int netd_daemonize(struct netd_config *cfg, struct netd_args *a)
{
	int sp[2], log_fd, null_fd;
	pid_t pid;

	cfg->socket_path = absolute_path(cfg->socket_path);
	cfg->control_path = absolute_path(cfg->control_path);
	if (cfg->dnsmasq && strchr(cfg->dnsmasq, '/'))
		cfg->dnsmasq = absolute_path(cfg->dnsmasq);
	a->pidfile = absolute_path(a->pidfile);
	a->log = absolute_path(a->log);
	log_fd =
	    open(a->log ? a->log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0)
		return die_usage("--log '%s': cannot open: %s", a->log, strerror(errno));
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
		fprintf(stderr, "virtty-netd: cannot daemonize: %s\n", strerror(errno));
		return NETD_EXIT_ERROR;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "virtty-netd: cannot fork: %s\n", strerror(errno));
		return NETD_EXIT_ERROR;
	}
	if (pid > 0) {
		close(sp[1]);
		return netd_wait_ready(sp[0], pid);
	}
	close(sp[0]);
	/* Own session: the caller's terminal or SSH session ending never
	 * stops the network. */
	setsid();
	if (chdir("/")) {
		/* "/" exists; carry on */
	}
	umask(077);
	dup2(null_fd, STDIN_FILENO);
	dup2(log_fd, STDOUT_FILENO);
	dup2(log_fd, STDERR_FILENO);
	close(null_fd);
	close(log_fd);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return netd_main(cfg, a, sp[1]);
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
