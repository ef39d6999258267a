/* virtty-vmm: run one virtual machine in the foreground. Parses and checks
 * the command line, then hands a vmm_config to vmm.c. */
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

#include "kvm.h"
#include "vmm.h"

#define VMM_DEFAULT_MEMORY_MIB 256
#define VMM_MIN_MEMORY_MIB     2

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: virtty-vmm --kernel PATH [options]\n"
		"Run one KVM virtual machine in the foreground.\n"
		"\n"
		"  --kernel PATH         Linux bzImage, or ELF vmlinux with a PVH entry\n"
		"  --initrd PATH         initial ramdisk\n"
		"  --cmdline STRING      kernel command line (default \"console=ttyS0\")\n"
		"  --cpus N              virtual CPUs (default 1)\n"
		"  --memory MIB          guest memory in MiB (default %d)\n"
		"  --disk PATH[,readonly]  raw disk image as a virtio-blk device (repeatable)\n"
		"  --serial stdio|none|PATH  guest console on the terminal (default), nowhere,\n"
		"                        or served on a UNIX socket with a replay buffer\n"
		"  --control PATH        JSON control socket (docs/control-protocol.md)\n"
		"  --name NAME           VM name shown in status and messages\n"
		"  --no-reboot           exit with status 3 when the guest reboots\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 guest powered off, 1 internal error, 2 bad arguments or\n"
		"environment, 3 guest reboot (--no-reboot), 4 guest crash (triple fault),\n"
		"5 stopped on request (control \"quit\", SIGTERM).\n",
		VMM_DEFAULT_MEMORY_MIB);
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

static int parse_args(int argc, char **argv, struct vmm_config *cfg)
{
	enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEMORY, OPT_DISK,
	       OPT_SERIAL, OPT_CONTROL, OPT_NAME, OPT_NO_REBOOT };
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t v, host_mib = kvm_host_ram_bytes() >> 20;
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
	return 0;
}

/* Internal status of a VM process that must be started again (guest
 * reboot, control "reset"); never seen by users. */
#define VMM_EXIT_RESTART 64

/* One boot of the machine, in its own process. */
static int vmm_process(const struct vmm_config *cfg)
{
	struct vmm *vmm;
	char err[512] = "";
	int status;

	if (vmm_create(cfg, &vmm, err, sizeof(err))) {
		fprintf(stderr, "virtty-vmm: %s\n", err[0] ? err : "cannot create the VM");
		vmm_destroy(vmm);
		return VMM_EXIT_USAGE;
	}
	status = vmm_run(vmm);
	if (vmm_restart_requested(vmm))
		status = VMM_EXIT_RESTART;
	vmm_destroy(vmm);
	return status;
}

/* The VM runs in a child process so that a reboot gets a fresh process:
 * every device at power-on state, and a seccomp filter (which survives
 * execve) that never needs to allow creating a new VM. This parent only
 * forwards stop signals and waits. */
int main(int argc, char **argv)
{
	struct vmm_config cfg;
	sigset_t set, chld;
	bool stop_requested = false;
	int status;

	status = parse_args(argc, argv, &cfg);
	if (status)
		return status;
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
			return VMM_EXIT_ERROR;
		}
		if (child == 0) {
			/* Stop signals stay blocked: the VM reads them from a
			 * signalfd, also those that arrive while it starts. */
			sigemptyset(&chld);
			sigaddset(&chld, SIGCHLD);
			sigprocmask(SIG_UNBLOCK, &chld, NULL);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			_exit(vmm_process(&cfg));
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
				return VMM_EXIT_ERROR;
			}
			status = WEXITSTATUS(wstatus);
			break;
		}
		if (status != VMM_EXIT_RESTART)
			return status;
		if (stop_requested)
			return VMM_EXIT_QUIT;
	}
}
