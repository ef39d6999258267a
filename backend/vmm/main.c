/* virtty-vmm: run one virtual machine, in the foreground or as a daemon
 * (--daemonize, --pidfile, --log for `virtty start`). Parses and checks the
 * command line, then hands a vmm_config to vmm.c. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "framebuffer.h"
#include "kvm.h"
#include "vmm.h"

#define VMM_DEFAULT_MEMORY_MIB 256
#define VMM_MIN_MEMORY_MIB     2
/* --vnc without --framebuffer */
#define VMM_DEFAULT_FB_WIDTH   1024
#define VMM_DEFAULT_FB_HEIGHT  768

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: virtty-vmm --kernel PATH [options]\n"
		"Run one KVM virtual machine, in the foreground or as a daemon.\n"
		"\n"
		"  --kernel PATH         Linux bzImage, or ELF vmlinux with a PVH entry\n"
		"  --initrd PATH         initial ramdisk\n"
		"  --cmdline STRING      kernel command line (default \"console=ttyS0\")\n"
		"  --cpus N              virtual CPUs (default 1)\n"
		"  --memory MIB          guest memory in MiB (default %d)\n"
		"  --disk PATH[,readonly]  raw disk image as a virtio-blk device (repeatable)\n"
		"  --nic user[,mac=52:54:00:XX:XX:XX][,net=10.0.2.0/24][,dhcpstart=ADDR]\n"
		"        [,hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...\n"
		"                        virtio-net NIC with user-mode NAT (repeatable); the\n"
		"                        MAC defaults to one derived from --name and the NIC's\n"
		"                        position, HOSTADDR to 127.0.0.1\n"
		"  --nic socket,path=PATH[,mac=52:54:00:XX:XX:XX]\n"
		"                        virtio-net NIC on a virtty-netd switch's port socket\n"
		"                        (repeatable); link down and reconnecting every second\n"
		"                        while the switch is away\n"
		"  --serial stdio|none|PATH  guest console on the terminal (default), nowhere,\n"
		"                        or served on a UNIX socket with a replay buffer\n"
		"  --control PATH        JSON control socket (docs/control-protocol.md)\n"
		"  --framebuffer WxH     linear framebuffer, 32 bpp, described to bzImage\n"
		"                        kernels as an EFI framebuffer (64..4096 each)\n"
		"  --vnc PATH            serve the framebuffer over VNC on a UNIX socket\n"
		"                        (implies --framebuffer %ux%u); keys and pointer\n"
		"                        reach the guest as a PS/2 keyboard and mouse\n"
		"  --vnc-tcp PORT        also serve VNC on 127.0.0.1:PORT\n"
		"  --name NAME           VM name shown in status and messages\n"
		"  --no-reboot           exit with status 3 when the guest reboots\n"
		"  --daemonize           run in the background; return once the control\n"
		"                        socket listens (0), or with the VM's error and status\n"
		"  --pidfile PATH        \"PID\" while running (locked), \"exited STATUS\" or\n"
		"                        \"killed SIGNAL\" afterwards (docs/vmm.md)\n"
		"  --log PATH            append the daemon's output to PATH\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 guest powered off, 1 internal error, 2 bad arguments or\n"
		"environment, 3 guest reboot (--no-reboot), 4 guest crash (triple fault or KVM error),\n"
		"5 stopped on request (control \"quit\", SIGTERM).\n",
		VMM_DEFAULT_MEMORY_MIB, VMM_DEFAULT_FB_WIDTH, VMM_DEFAULT_FB_HEIGHT);
}

__attribute__((format(printf, 1, 2))) static int die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "virtty-vmm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return VMM_EXIT_USAGE;
}

/* Strict unsigned decimal: no sign, no trailing garbage, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
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

static int parse_disk(struct vmm_config *cfg, char *arg)
{
	char *comma = strrchr(arg, ',');
	struct vmm_disk_config *d;

	if (cfg->nr_disks == VMM_MAX_DISKS)
		return die_usage("too many --disk options (at most %d)", VMM_MAX_DISKS);
	d = &cfg->disks[cfg->nr_disks];
	d->readonly = false;
	if (comma && !strcmp(comma + 1, "readonly")) {
		*comma = '\0';
		d->readonly = true;
	} else if (comma && !strcmp(comma + 1, "rw")) {
		*comma = '\0';
	}
	if (!*arg)
		return die_usage("--disk needs a path");
	d->path = arg;
	cfg->nr_disks++;
	return 0;
}

/* "52:54:00:12:34:56": six hex pairs; a unicast address. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				       &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[3 * i]) || !isxdigit((unsigned char)s[3 * i + 1]))
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return mac[0] & 1 ? -EINVAL : 0;
}

/* A MAC that stays the same across restarts of the same VM: QEMU's/KVM's
 * locally administered prefix 52:54:00, then 24 bits of an FNV-1a hash of
 * "NAME/INDEX" (NAME empty without --name). */
static void derive_mac(const char *name, int index, uint8_t mac[6])
{
	char key[96];
	uint32_t h = 2166136261u;
	int n = snprintf(key, sizeof(key), "%s/%d", name ? name : "", index);

	for (int i = 0; i < n && i < (int)sizeof(key); i++) {
		h ^= (uint8_t)key[i];
		h *= 16777619u;
	}
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

/* The next key=value after the --nic kind, in *key and *value (*key NULL
 * after the last); mac= belongs to every kind and is taken here. 0 or an
 * exit status after the message. */
static int nic_next_option(struct vmm_nic_config *nc, char **save, bool *mac_set, char **key,
			   char **value)
{
	char *tok;

	while ((tok = strtok_r(NULL, ",", save))) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok)
			return die_usage("--nic: '%s': expected key=value", tok);
		*eq = '\0';
		if (strcmp(tok, "mac")) {
			*key = tok;
			*value = eq + 1;
			return 0;
		}
		if (parse_mac(eq + 1, nc->mac))
			return die_usage("--nic: mac '%s': expected a unicast address like "
					 "52:54:00:12:34:56", eq + 1);
		*mac_set = true;
	}
	*key = NULL;
	return 0;
}

/* The key=value pairs after "user". */
static int parse_nic_user(struct vmm_nic_config *nc, char **save, bool *mac_set)
{
	char msg[256], *key, *value;
	int r;

	nc->kind = VMM_NIC_USER;
	net_slirp_config_init(&nc->user);
	while (!(r = nic_next_option(nc, save, mac_set, &key, &value)) && key) {
		r = net_slirp_config_set(&nc->user, key, value, msg, sizeof(msg));
		if (r == -ENOENT)
			return die_usage("--nic: unknown key '%s' (mac, net, dhcpstart, "
					 "hostfwd)", key);
		if (r)
			return die_usage("--nic: %s", msg);
	}
	if (r)
		return r;
	if (net_slirp_config_check(&nc->user, msg, sizeof(msg)))
		return die_usage("--nic: %s", msg);
	return 0;
}

/* The key=value pairs after "socket": path= (required) and mac=. */
static int parse_nic_socket(struct vmm_nic_config *nc, char **save, bool *mac_set)
{
	char *key, *value;
	int r;

	nc->kind = VMM_NIC_SOCKET;
	nc->socket_path = NULL;
	while (!(r = nic_next_option(nc, save, mac_set, &key, &value)) && key) {
		if (strcmp(key, "path"))
			return die_usage("--nic socket: unknown key '%s' (path, mac)", key);
		if (!*value)
			return die_usage("--nic socket: path= needs the switch's socket path");
		nc->socket_path = strdup(value); /* lives until exit */
		if (!nc->socket_path)
			return die_usage("--nic socket: out of memory");
	}
	if (r)
		return r;
	if (!nc->socket_path)
		return die_usage("--nic socket needs path=PATH (the switch's port socket)");
	return 0;
}

/* --nic user|socket[,key=value]...; *mac_set tells whether mac= was given. */
static int parse_nic(struct vmm_config *cfg, const char *arg, bool *mac_set)
{
	struct vmm_nic_config *nc;
	char buf[1024], *save = NULL, *tok;
	int r;

	if (cfg->nr_nics == VMM_MAX_NICS)
		return die_usage("too many --nic options (at most %d)", VMM_MAX_NICS);
	nc = &cfg->nics[cfg->nr_nics];
	if (strlen(arg) >= sizeof(buf))
		return die_usage("--nic: option too long");
	snprintf(buf, sizeof(buf), "%s", arg);
	*mac_set = false;
	tok = strtok_r(buf, ",", &save);
	if (tok && !strcmp(tok, "user"))
		r = parse_nic_user(nc, &save, mac_set);
	else if (tok && !strcmp(tok, "socket"))
		r = parse_nic_socket(nc, &save, mac_set);
	else
		return die_usage("--nic '%s': expected 'user' first (user-mode NAT), or 'socket' "
				 "(a virtty-netd switch port)", arg);
	if (r)
		return r;
	cfg->nr_nics++;
	return 0;
}

/* Process-level options that are not part of the machine. */
struct vmm_proc_options {
	bool daemonize;
	const char *pidfile;
	const char *log;
};

static int parse_args(int argc, char **argv, struct vmm_config *cfg, struct vmm_proc_options *po)
{
	enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEMORY, OPT_DISK,
	       OPT_SERIAL, OPT_CONTROL, OPT_NAME, OPT_NO_REBOOT, OPT_DAEMONIZE, OPT_PIDFILE,
	       OPT_LOG, OPT_FRAMEBUFFER, OPT_VNC, OPT_VNC_TCP, OPT_NIC };
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "serial", required_argument, NULL, OPT_SERIAL },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
		{ "daemonize", no_argument, NULL, OPT_DAEMONIZE },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "framebuffer", required_argument, NULL, OPT_FRAMEBUFFER },
		{ "vnc", required_argument, NULL, OPT_VNC },
		{ "vnc-tcp", required_argument, NULL, OPT_VNC_TCP },
		{ "nic", required_argument, NULL, OPT_NIC },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t v, host_mib = kvm_host_ram_bytes() >> 20;
	bool mac_set[VMM_MAX_NICS] = { false };
	char msg[256];
	int c, r;

	*cfg = (struct vmm_config){
		.cmdline = "console=ttyS0",
		.nr_vcpus = 1,
		.memory_mib = VMM_DEFAULT_MEMORY_MIB,
		.serial = "stdio",
	};
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL:
			cfg->kernel = optarg;
			break;
		case OPT_INITRD:
			cfg->initrd = optarg;
			break;
		case OPT_CMDLINE:
			cfg->cmdline = optarg;
			break;
		case OPT_CPUS:
			if (parse_u64(optarg, &v) || v == 0 || v > VMM_MAX_VCPUS)
				return die_usage("--cpus '%s': expected a number from 1 to 64", optarg);
			cfg->nr_vcpus = (int)v;
			break;
		case OPT_MEMORY:
			if (parse_u64(optarg, &v) || v < VMM_MIN_MEMORY_MIB)
				return die_usage("--memory '%s': expected a size in MiB (at least 2)",
						 optarg);
			if (host_mib && v > host_mib) {
				fprintf(stderr,
					"virtty-vmm: --memory %s: more than this host's %llu MiB of RAM\n",
					optarg, (unsigned long long)host_mib);
				return VMM_EXIT_USAGE;
			}
			cfg->memory_mib = v;
			break;
		case OPT_DISK:
			r = parse_disk(cfg, optarg);
			if (r)
				return r;
			break;
		case OPT_SERIAL:
			cfg->serial = optarg;
			break;
		case OPT_CONTROL:
			cfg->control = optarg;
			break;
		case OPT_NAME:
			if (!valid_name(optarg))
				return die_usage("--name '%s': use 1-64 letters, digits, '.', '_' or '-', "
						 "starting with a letter or digit",
						 optarg);
			cfg->name = optarg;
			break;
		case OPT_NO_REBOOT:
			cfg->no_reboot = true;
			break;
		case OPT_DAEMONIZE:
			po->daemonize = true;
			break;
		case OPT_PIDFILE:
			if (!*optarg)
				return die_usage("--pidfile needs a path");
			po->pidfile = optarg;
			break;
		case OPT_LOG:
			if (!*optarg)
				return die_usage("--log needs a path");
			po->log = optarg;
			break;
		case OPT_FRAMEBUFFER:
			if (fb_parse_size(optarg, &cfg->fb_width, &cfg->fb_height, msg, sizeof(msg)))
				return die_usage("%s", msg);
			break;
		case OPT_VNC:
			if (!*optarg)
				return die_usage("--vnc needs a socket path");
			cfg->vnc = optarg;
			break;
		case OPT_VNC_TCP:
			if (parse_u64(optarg, &v) || v == 0 || v > 65535)
				return die_usage("--vnc-tcp '%s': expected a port number from 1 to 65535",
						 optarg);
			cfg->vnc_tcp_port = (int)v;
			break;
		case OPT_NIC:
			r = parse_nic(cfg, optarg, &mac_set[cfg->nr_nics < VMM_MAX_NICS ? cfg->nr_nics : 0]);
			if (r)
				return r;
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
	if (!cfg->kernel)
		return die_usage("--kernel PATH is required (try --help)");
	/* After all options: --name may come after --nic. */
	for (int i = 0; i < cfg->nr_nics; i++)
		if (!mac_set[i])
			derive_mac(cfg->name, i, cfg->nics[i].mac);
	for (int i = 0; i < cfg->nr_nics; i++)
		for (int j = 0; j < i; j++)
			if (!memcmp(cfg->nics[i].mac, cfg->nics[j].mac, 6))
				return die_usage("--nic: NICs %d and %d have the same MAC address", j, i);
	if ((cfg->vnc || cfg->vnc_tcp_port) && !cfg->fb_width) {
		cfg->fb_width = VMM_DEFAULT_FB_WIDTH;
		cfg->fb_height = VMM_DEFAULT_FB_HEIGHT;
	}
	/* A daemon has no terminal to show the guest console on. */
	if (po->daemonize && !strcmp(cfg->serial, "stdio"))
		return die_usage("--daemonize needs --serial PATH or --serial none");
	return 0;
}

/* Internal status of a VM process that must be started again (guest
 * reboot, control "reset"); never seen by users. */
#define VMM_EXIT_RESTART 64

/* daemon_start's own statuses mean the same here. */
_Static_assert(DAEMON_EXIT_ERROR == VMM_EXIT_ERROR && DAEMON_EXIT_USAGE == VMM_EXIT_USAGE,
	       "daemon.h and vmm.h exit statuses differ");

/* One boot of the machine, in its own process. ready_fd (or -1) learns
 * when the control socket listens, or why the machine could not be built. */
static int vmm_process(const struct vmm_config *cfg, int ready_fd)
{
	struct vmm *vmm;
	char err[512] = "";
	int status;

	if (vmm_create(cfg, &vmm, err, sizeof(err))) {
		fprintf(stderr, "virtty-vmm: %s\n", err[0] ? err : "cannot create the VM");
		daemon_ready_send(ready_fd, "error virtty-vmm: %s", err[0] ? err : "cannot create the VM");
		vmm_destroy(vmm);
		return VMM_EXIT_USAGE;
	}
	daemon_ready_send(ready_fd, "ready");
	if (ready_fd >= 0)
		close(ready_fd);
	status = vmm_run(vmm);
	if (vmm_restart_requested(vmm))
		status = VMM_EXIT_RESTART;
	vmm_destroy(vmm);
	return status;
}

/* The VM runs in a child process so that a reboot gets a fresh process:
 * every device at power-on state, and a seccomp filter (which survives
 * execve) that never needs to allow creating a new VM. This parent only
 * forwards stop signals and waits. Returns the exit status; *killed_by is
 * the signal that killed the VM child, or 0. */
static int vmm_supervise(const struct vmm_config *cfg, int ready_fd, int *killed_by)
{
	sigset_t set, chld;
	bool stop_requested = false, first_boot = true;
	int status;

	*killed_by = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		pid_t child = fork();
		siginfo_t si;

		if (child < 0) {
			fprintf(stderr, "virtty-vmm: cannot fork: %s\n", strerror(errno));
			daemon_ready_send(ready_fd, "error virtty-vmm: cannot fork: %s", strerror(errno));
			return VMM_EXIT_ERROR;
		}
		if (child == 0) {
			/* Stop signals stay blocked: the VM reads them from a
			 * signalfd, also those that arrive while it starts. */
			sigemptyset(&chld);
			sigaddset(&chld, SIGCHLD);
			sigprocmask(SIG_UNBLOCK, &chld, NULL);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			_exit(vmm_process(cfg, ready_fd));
		}
		for (;;) {
			int wstatus;

			if (sigwaitinfo(&set, &si) < 0)
				continue;
			if (si.si_signo != SIGCHLD) {
				stop_requested = true;
				kill(child, si.si_signo);
				continue;
			}
			if (waitpid(child, &wstatus, WNOHANG) != child)
				continue;
			if (WIFSIGNALED(wstatus)) {
				fprintf(stderr, "virtty-vmm: the VM process died of signal %d (%s)\n",
					WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
				daemon_ready_send(ready_fd, "error virtty-vmm: the VM process died of signal %d (%s)",
					   WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
				daemon_ready_send(ready_fd, "exit %d", VMM_EXIT_ERROR);
				*killed_by = WTERMSIG(wstatus);
				return VMM_EXIT_ERROR;
			}
			status = WEXITSTATUS(wstatus);
			break;
		}
		/* Only the first boot reports to a waiting foreground process
		 * (which is gone already if that boot got ready). */
		if (ready_fd >= 0) {
			daemon_ready_send(ready_fd, "exit %d", status == VMM_EXIT_RESTART ? 0 : status);
			close(ready_fd);
			ready_fd = -1;
		}
		/* "Refused to start" reads as a plain shut off; after a guest
		 * reboot the config was fine before, so it is an error. */
		if (status == VMM_EXIT_USAGE && !first_boot)
			return VMM_EXIT_ERROR;
		if (status != VMM_EXIT_RESTART)
			return status;
		if (stop_requested)
			return VMM_EXIT_QUIT;
		first_boot = false;
	}
}

/* The supervisor with its pid file: "PID" (locked) while it lives, then
 * "exited STATUS" or "killed SIGNAL", still locked until this process is
 * gone so that a reader knows the VMM is not quite finished. */
static int vmm_run_supervisor(const struct vmm_config *cfg, const struct vmm_proc_options *po,
			      int ready_fd)
{
	char err[PATH_MAX + 128], text[64];
	int pid_fd = -1, status, killed_by;

	if (po->pidfile) {
		snprintf(text, sizeof(text), "%d\n", (int)getpid());
		if (daemon_pidfile_busy(po->pidfile)) {
			snprintf(err, sizeof(err), "--pidfile '%s': another virtty-vmm holds it (is "
				 "this VM already running?)", po->pidfile);
			pid_fd = -EBUSY;
		} else {
			pid_fd = daemon_pidfile_replace(po->pidfile, text, err, sizeof(err));
		}
		if (pid_fd < 0) {
			fprintf(stderr, "virtty-vmm: %s\n", err);
			daemon_ready_send(ready_fd, "error virtty-vmm: %s", err);
			daemon_ready_send(ready_fd, "exit %d", VMM_EXIT_USAGE);
			return VMM_EXIT_USAGE;
		}
	}
	status = vmm_supervise(cfg, ready_fd, &killed_by);
	if (pid_fd >= 0) {
		int fd;

		if (killed_by)
			snprintf(text, sizeof(text), "killed %d\n", killed_by);
		else
			snprintf(text, sizeof(text), "exited %d\n", status);
		fd = daemon_pidfile_replace(po->pidfile, text, err, sizeof(err));
		if (fd < 0)
			fprintf(stderr, "virtty-vmm: %s\n", err);
		/* The new file (if any) stays locked until exit. */
		close(pid_fd);
	}
	return status;
}

/* The daemon changes to "/": make every path it will use absolute first. */
static void make_paths_absolute(struct vmm_config *cfg, struct vmm_proc_options *po)
{
	cfg->kernel = daemon_absolute_path(cfg->kernel);
	cfg->initrd = daemon_absolute_path(cfg->initrd);
	for (int i = 0; i < cfg->nr_disks; i++)
		cfg->disks[i].path = daemon_absolute_path(cfg->disks[i].path);
	if (strcmp(cfg->serial, "stdio") && strcmp(cfg->serial, "none"))
		cfg->serial = daemon_absolute_path(cfg->serial);
	cfg->control = daemon_absolute_path(cfg->control);
	cfg->vnc = daemon_absolute_path(cfg->vnc);
	for (int i = 0; i < cfg->nr_nics; i++)
		if (cfg->nics[i].kind == VMM_NIC_SOCKET)
			cfg->nics[i].socket_path = daemon_absolute_path(cfg->nics[i].socket_path);
	po->pidfile = daemon_absolute_path(po->pidfile);
	po->log = daemon_absolute_path(po->log);
}

/* What the daemon's child runs: the supervisor with its pid file. */
struct vmm_daemon_args {
	const struct vmm_config *cfg;
	const struct vmm_proc_options *po;
};

static int vmm_daemon_run(void *arg, int ready_fd)
{
	const struct vmm_daemon_args *d = arg;

	return vmm_run_supervisor(d->cfg, d->po, ready_fd);
}

static int vmm_daemonize(struct vmm_config *cfg, struct vmm_proc_options *po)
{
	struct vmm_daemon_args d = { .cfg = cfg, .po = po };
	struct daemon_spec spec = {
		.prog = "virtty-vmm",
		.not_ready = "the VM stopped before its control socket was ready",
		.run = vmm_daemon_run,
		.arg = &d,
	};

	make_paths_absolute(cfg, po);
	spec.log = po->log;
	return daemon_start(&spec);
}

int main(int argc, char **argv)
{
	struct vmm_proc_options po = { 0 };
	struct vmm_config cfg;
	int status;

	status = parse_args(argc, argv, &cfg, &po);
	if (status)
		return status;
	if (po.daemonize)
		return vmm_daemonize(&cfg, &po);
	return vmm_run_supervisor(&cfg, &po, -1);
}
