/* Host checks for `virtty host-check`: what a user needs to know before
 * running VMs here, each with a PASS/WARN/FAIL verdict and a hint. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "hostcheck.h"
#include "store/store.h"

/* Loop counts for the speed probe: the long run minus the short one is
 * the loop alone, without the cost of entering and leaving the guest. */
#define HOSTCHECK_LOOP_LONG	  20000u
#define HOSTCHECK_LOOP_SHORT	  1u
#define HOSTCHECK_PROBE_TIMEOUT_S 5
#define HOSTCHECK_CODE_ADDR	  0x1000
#define HOSTCHECK_MEM_SIZE	  0x10000
/* Verdicts: guest loop time over the same loop natively. */
#define HOSTCHECK_RATIO_HARDWARE 5.0
#define HOSTCHECK_RATIO_EMULATED 50.0
#define HOSTCHECK_MIN_FREE	 (1ULL << 30)

const char *hostcheck_level_name(enum hostcheck_level level)
{
	switch (level) {
	case HOSTCHECK_PASS:
		return "PASS";
	case HOSTCHECK_WARN:
		return "WARN";
	case HOSTCHECK_FAIL:
	default:
		return "FAIL";
	}
}

static uint64_t hostcheck_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void hostcheck_native_loop(unsigned n)
{
	__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n) : : "cc");
}

double hostcheck_native_loop_ns(void)
{
	const unsigned n = 20000000u;
	double best = 0;

	for (int i = 0; i < 3; i++) {
		uint64_t t0 = hostcheck_now_ns(), t;

		hostcheck_native_loop(n);
		t = hostcheck_now_ns() - t0;
		if (!i || (double)t / n < best)
			best = (double)t / n;
	}
	return best;
}

/* Real-mode code at HOSTCHECK_CODE_ADDR:
 *   mov ecx, imm32 ; 1: dec ecx ; jnz 1b ; hlt
 * No in-kernel irqchip, so hlt comes back to us as KVM_EXIT_HLT. */
static void hostcheck_write_code(uint8_t *mem, uint32_t iterations)
{
	uint8_t code[] = {0x66, 0xb9, 0, 0, 0, 0, /* mov ecx, iterations */
			  0x66, 0x49,		  /* dec ecx */
			  0x75, 0xfc,		  /* jnz -4 */
			  0xf4};		  /* hlt */

	memcpy(code + 2, &iterations, 4);
	memcpy(mem + HOSTCHECK_CODE_ADDR, code, sizeof(code));
}

static void hostcheck_on_alarm(int sig)
{
	(void)sig; /* only there to interrupt KVM_RUN */
}

/* One run of the guest loop; returns the wall time in ns or a negative errno. */
static int64_t hostcheck_run_loop(int vcpu, struct kvm_run *run, uint8_t *mem, uint32_t iterations,
				  char *err, size_t errlen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t t0;
	int r;

	hostcheck_write_code(mem, iterations);
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		goto fail;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		goto fail;
	memset(&regs, 0, sizeof(regs));
	regs.rip = HOSTCHECK_CODE_ADDR;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		goto fail;
	t0 = hostcheck_now_ns();
	r = ioctl(vcpu, KVM_RUN, 0);
	if (r < 0) {
		if (errno == EINTR) {
			snprintf(err, errlen, "the probe loop did not finish within %d s",
				 HOSTCHECK_PROBE_TIMEOUT_S);
			return -ETIMEDOUT;
		}
		goto fail;
	}
	if (run->exit_reason != KVM_EXIT_HLT) {
		snprintf(err, errlen, "the probe guest stopped unexpectedly (KVM exit %u)",
			 run->exit_reason);
		return -EIO;
	}
	return (int64_t)(hostcheck_now_ns() - t0);
fail:
	r = -errno;
	snprintf(err, errlen, "KVM: %s", strerror(errno));
	return r;
}

int hostcheck_kvm_loop_ns(double *ns_per_iteration, char *err, size_t errlen)
{
	int kvm = -1, vm = -1, vcpu = -1, r = 0;
	struct kvm_userspace_memory_region region;
	struct sigaction sa, old_sa;
	struct itimerval timer = {{0, 0}, {HOSTCHECK_PROBE_TIMEOUT_S, 0}}, no_timer = {0};
	struct kvm_run *run = MAP_FAILED;
	uint8_t *mem = MAP_FAILED;
	int64_t best_long = -1, best_short = -1;
	long run_size;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		r = -errno;
		snprintf(err, errlen, "/dev/kvm: %s", strerror(errno));
		return r;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		goto out;
	}
	mem = mmap(NULL, HOSTCHECK_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (mem == MAP_FAILED) {
		r = -errno;
		snprintf(err, errlen, "cannot map probe memory: %s", strerror(errno));
		goto out;
	}
	region = (struct kvm_userspace_memory_region){
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = HOSTCHECK_MEM_SIZE,
	    .userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		goto out;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_CREATE_VCPU: %s", strerror(errno));
		goto out;
	}
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED) {
		r = -errno;
		snprintf(err, errlen, "cannot map the vCPU: %s", strerror(errno));
		goto out;
	}

	/* A timer so a hopelessly slow KVM cannot hang host-check: SIGALRM
	 * (no SA_RESTART) makes KVM_RUN return EINTR. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hostcheck_on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old_sa);
	setitimer(ITIMER_REAL, &timer, NULL);
	for (int i = 0; i < 3 && r == 0; i++) {
		int64_t t_long =
		    hostcheck_run_loop(vcpu, run, mem, HOSTCHECK_LOOP_LONG, err, errlen);
		int64_t t_short =
		    t_long < 0
			? t_long
			: hostcheck_run_loop(vcpu, run, mem, HOSTCHECK_LOOP_SHORT, err, errlen);

		if (t_long < 0 || t_short < 0) {
			r = (int)(t_long < 0 ? t_long : t_short);
			break;
		}
		if (best_long < 0 || t_long < best_long)
			best_long = t_long;
		if (best_short < 0 || t_short < best_short)
			best_short = t_short;
	}
	setitimer(ITIMER_REAL, &no_timer, NULL);
	sigaction(SIGALRM, &old_sa, NULL);
	if (r == 0) {
		double loop = (double)(best_long - best_short);

		if (loop < 0)
			loop = 0;
		*ns_per_iteration = loop / (HOSTCHECK_LOOP_LONG - HOSTCHECK_LOOP_SHORT);
	}
out:
	if (run != MAP_FAILED)
		munmap(run, (size_t)run_size);
	if (vcpu >= 0)
		close(vcpu);
	if (mem != MAP_FAILED)
		munmap(mem, HOSTCHECK_MEM_SIZE);
	if (vm >= 0)
		close(vm);
	close(kvm);
	return r;
}

static void hostcheck_format_ns(double ns, char *buf, size_t len)
{
	if (ns >= 1000)
		snprintf(buf, len, "%.1f us", ns / 1000);
	else
		snprintf(buf, len, "%.1f ns", ns);
}

enum hostcheck_level hostcheck_classify_speed(double guest_ns, double native_ns, char *detail,
					      size_t dlen, char *hint, size_t hlen)
{
	double ratio = native_ns > 0 ? guest_ns / native_ns : 0;
	char g[32];

	hostcheck_format_ns(guest_ns, g, sizeof(g));
	/* Two significant digits: the figure is an estimate. */
	if (ratio >= 100) {
		double m = 1;

		while (ratio >= 100 * m)
			m *= 10;
		ratio = (double)(long long)(ratio / m + 0.5) * m;
	}
	hint[0] = '\0';
	if (ratio <= HOSTCHECK_RATIO_HARDWARE) {
		snprintf(detail, dlen, "guests run at hardware speed (%s per loop iteration)", g);
		return HOSTCHECK_PASS;
	}
	if (ratio <= HOSTCHECK_RATIO_EMULATED) {
		snprintf(
		    detail, dlen,
		    "guests run slower than hardware (%s per loop iteration, ~%.0f times native)",
		    g, ratio);
		snprintf(hint, hlen,
			 "the host may be busy or nested; Linux guests will boot slowly");
		return HOSTCHECK_WARN;
	}
	snprintf(detail, dlen,
		 "KVM is emulated (about %s per loop iteration, ~%.0f times slower than hardware): "
		 "tiny guests work, Linux guests will be very slow",
		 g, ratio);
	snprintf(hint, hlen,
		 "this host is itself a VM without hardware virtualization for its guests; enable "
		 "nested virtualization on the outer host, or use the nested lab (README)");
	return HOSTCHECK_WARN;
}

static struct hostcheck_result *hostcheck_add(struct hostcheck_result *res, int *n,
					      const char *name, enum hostcheck_level level)
{
	struct hostcheck_result *r = &res[(*n)++];

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->level = level;
	return r;
}

enum hostcheck_module { MODULE_MISSING, MODULE_AVAILABLE, MODULE_LOADED, MODULE_BUILTIN };

/* Does a modules.builtin / modules.dep line name <name>.ko? Module file
 * names use '-' or '_' interchangeably, so both are tried. */
static bool hostcheck_modules_file_has(const char *file, const char *name)
{
	char path[256], line[1024], a[80], b[80];
	struct utsname uts;
	bool found = false;
	FILE *fp;

	if (uname(&uts) < 0)
		return false;
	snprintf(path, sizeof(path), "/lib/modules/%s/%s", uts.release, file);
	fp = fopen(path, "r");
	if (!fp)
		return false;
	snprintf(a, sizeof(a), "/%s.ko", name);
	snprintf(b, sizeof(b), "/%s.ko", name);
	for (char *p = b; *p; p++)
		if (*p == '_')
			*p = '-';
	while (!found && fgets(line, sizeof(line), fp)) {
		char *colon = strchr(line, ':');

		if (colon)
			*colon = '\0'; /* modules.dep: only the module itself */
		found = strstr(line, a) || strstr(line, b);
	}
	fclose(fp);
	return found;
}

static enum hostcheck_module hostcheck_module_state(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	if (stat(path, &st) == 0)
		return MODULE_LOADED;
	if (hostcheck_modules_file_has("modules.builtin", name))
		return MODULE_BUILTIN;
	/* Built-ins with parameters also appear in /sys/module, without initstate. */
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (stat(path, &st) == 0)
		return MODULE_BUILTIN;
	if (hostcheck_modules_file_has("modules.dep", name))
		return MODULE_AVAILABLE;
	return MODULE_MISSING;
}

static bool hostcheck_module_present(const char *name)
{
	enum hostcheck_module m = hostcheck_module_state(name);

	return m == MODULE_LOADED || m == MODULE_BUILTIN;
}

/* One line for a module that is optional: PASS when loaded or built in. */
static void hostcheck_optional_module(struct hostcheck_result *res, int *n, const char *name,
				      const char *why, bool works)
{
	enum hostcheck_module state = hostcheck_module_state(name);
	struct hostcheck_result *r;
	struct utsname uts;
	char title[48], dir[128] = "";
	struct stat st;

	snprintf(title, sizeof(title), "Module %s", name);
	if (uname(&uts) == 0)
		snprintf(dir, sizeof(dir), "/lib/modules/%.64s", uts.release);
	if (state == MODULE_MISSING && works) {
		/* No module list to look in (a container), but the device works. */
		r = hostcheck_add(res, n, title, HOSTCHECK_PASS);
		snprintf(r->detail, sizeof(r->detail), "available (its device works)");
		return;
	}
	if (state == MODULE_MISSING && stat(dir, &st) < 0) {
		r = hostcheck_add(res, n, title, HOSTCHECK_WARN);
		snprintf(r->detail, sizeof(r->detail), "not loaded, and %s is missing", dir);
		snprintf(r->hint, sizeof(r->hint), "modprobe %s %s", name, why);
		return;
	}
	switch (state) {
	case MODULE_LOADED:
		r = hostcheck_add(res, n, title, HOSTCHECK_PASS);
		snprintf(r->detail, sizeof(r->detail), "loaded");
		break;
	case MODULE_BUILTIN:
		r = hostcheck_add(res, n, title, HOSTCHECK_PASS);
		snprintf(r->detail, sizeof(r->detail), "built into the kernel");
		break;
	case MODULE_AVAILABLE:
		r = hostcheck_add(res, n, title, HOSTCHECK_WARN);
		snprintf(r->detail, sizeof(r->detail), "not loaded (available)");
		snprintf(r->hint, sizeof(r->hint), "modprobe %s %s", name, why);
		break;
	case MODULE_MISSING:
	default:
		r = hostcheck_add(res, n, title, HOSTCHECK_WARN);
		snprintf(r->detail, sizeof(r->detail), "not found for this kernel");
		snprintf(r->hint, sizeof(r->hint), "install this kernel's modules; %s is %s", name,
			 why);
		break;
	}
}

/* The "flags" line of /proc/cpuinfo has vmx (Intel) or svm (AMD)? */
static const char *hostcheck_cpu_virt_flag(void)
{
	FILE *fp = fopen("/proc/cpuinfo", "r");
	const char *found = NULL;
	char line[8192];

	if (!fp)
		return NULL;
	while (!found && fgets(line, sizeof(line), fp)) {
		if (strncmp(line, "flags", 5))
			continue;
		if (strstr(line, " vmx"))
			found = "vmx (Intel VT-x)";
		else if (strstr(line, " svm"))
			found = "svm (AMD-V)";
		break;
	}
	fclose(fp);
	return found;
}

static void hostcheck_kvm(struct hostcheck_result *res, int *n, bool *kvm_usable)
{
	struct hostcheck_result *r;
	struct stat st;
	int fd, version;

	*kvm_usable = false;
	if (stat("/dev/kvm", &st) < 0) {
		r = hostcheck_add(res, n, "KVM device", HOSTCHECK_FAIL);
		snprintf(r->detail, sizeof(r->detail), "/dev/kvm does not exist");
		snprintf(r->hint, sizeof(r->hint),
			 "load KVM: modprobe kvm_intel (or kvm_amd), and enable virtualization "
			 "(VT-x/AMD-V) in the firmware");
		return;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = hostcheck_add(res, n, "KVM device", HOSTCHECK_FAIL);
		snprintf(r->detail, sizeof(r->detail), "/dev/kvm cannot be opened read-write: %s",
			 strerror(errno));
		snprintf(r->hint, sizeof(r->hint),
			 errno == EACCES
			     ? "add your user to the 'kvm' group (usermod -aG kvm USER) "
			       "and log in again"
			     : "check that the kvm module is loaded (modprobe kvm_intel "
			       "or kvm_amd)");
		return;
	}
	r = hostcheck_add(res, n, "KVM device", HOSTCHECK_PASS);
	snprintf(r->detail, sizeof(r->detail), "/dev/kvm exists and opens read-write");

	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version == KVM_API_VERSION) {
		r = hostcheck_add(res, n, "KVM API version", HOSTCHECK_PASS);
		snprintf(r->detail, sizeof(r->detail), "%d", version);
		*kvm_usable = true;
	} else {
		r = hostcheck_add(res, n, "KVM API version", HOSTCHECK_FAIL);
		snprintf(r->detail, sizeof(r->detail), "%d, expected %d", version, KVM_API_VERSION);
		snprintf(r->hint, sizeof(r->hint), "this kernel's KVM is not supported");
	}
	close(fd);
}

static void hostcheck_speed(struct hostcheck_result *res, int *n, bool kvm_usable)
{
	struct hostcheck_result *r;
	double guest_ns = 0, native_ns;
	char err[256] = "";

	if (!kvm_usable) {
		r = hostcheck_add(res, n, "KVM speed", HOSTCHECK_FAIL);
		snprintf(r->detail, sizeof(r->detail), "not measured: KVM is not usable");
		snprintf(r->hint, sizeof(r->hint), "fix the KVM checks above first");
		return;
	}
	if (hostcheck_kvm_loop_ns(&guest_ns, err, sizeof(err)) < 0) {
		r = hostcheck_add(res, n, "KVM speed", HOSTCHECK_FAIL);
		snprintf(r->detail, sizeof(r->detail), "the probe guest failed: %.200s", err);
		snprintf(r->hint, sizeof(r->hint), "KVM cannot run even a tiny guest here");
		return;
	}
	native_ns = hostcheck_native_loop_ns();
	r = hostcheck_add(res, n, "KVM speed", HOSTCHECK_PASS);
	r->level = hostcheck_classify_speed(guest_ns, native_ns, r->detail, sizeof(r->detail),
					    r->hint, sizeof(r->hint));
}

static void hostcheck_modules(struct hostcheck_result *res, int *n)
{
	struct hostcheck_result *r;
	bool intel = hostcheck_module_present("kvm_intel"),
	     amd = hostcheck_module_present("kvm_amd");
	bool pvm = hostcheck_module_present("kvm_pvm");

	r = hostcheck_add(res, n, "Module kvm",
			  hostcheck_module_present("kvm") ? HOSTCHECK_PASS : HOSTCHECK_FAIL);
	snprintf(r->detail, sizeof(r->detail), "%s",
		 r->level == HOSTCHECK_PASS ? "loaded" : "not loaded");
	if (r->level != HOSTCHECK_PASS)
		snprintf(r->hint, sizeof(r->hint), "modprobe kvm_intel (or kvm_amd)");

	r = hostcheck_add(res, n, "Module kvm_intel/kvm_amd",
			  intel || amd ? HOSTCHECK_PASS : HOSTCHECK_WARN);
	if (intel || amd) {
		snprintf(r->detail, sizeof(r->detail), "%s loaded",
			 intel ? "kvm_intel" : "kvm_amd");
	} else if (pvm) {
		snprintf(r->detail, sizeof(r->detail),
			 "neither loaded; kvm_pvm (software virtualization) serves /dev/kvm");
		snprintf(r->hint, sizeof(r->hint), "expected on a host that is itself a VM");
	} else {
		snprintf(r->detail, sizeof(r->detail), "neither loaded");
		snprintf(r->hint, sizeof(r->hint), "modprobe kvm_intel (or kvm_amd)");
	}

	hostcheck_optional_module(res, n, "vhost_net", "for faster networking (not needed for NAT)",
				  access("/dev/vhost-net", R_OK | W_OK) == 0);
	hostcheck_optional_module(res, n, "tun", "for host-only and bridged networks",
				  access("/dev/net/tun", R_OK | W_OK) == 0);
}

static void hostcheck_tun(struct hostcheck_result *res, int *n)
{
	struct hostcheck_result *r;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		r = hostcheck_add(res, n, "/dev/net/tun", HOSTCHECK_PASS);
		snprintf(r->detail, sizeof(r->detail), "exists and opens read-write");
		return;
	}
	r = hostcheck_add(res, n, "/dev/net/tun", HOSTCHECK_WARN);
	snprintf(r->detail, sizeof(r->detail), "cannot open: %s", strerror(errno));
	snprintf(r->hint, sizeof(r->hint),
		 errno == ENOENT
		     ? "modprobe tun; needed only for host-only and bridged networks"
		     : "needs root or CAP_NET_ADMIN; only host-only and bridged networks use it");
}

static void hostcheck_store(struct hostcheck_result *res, int *n)
{
	struct hostcheck_result *r;
	struct store st;
	struct statvfs vfs;
	char err[256] = "", size[32];
	uint64_t avail;

	if (store_open(&st, err, sizeof(err)) < 0) {
		r = hostcheck_add(res, n, "Store", HOSTCHECK_FAIL);
		snprintf(r->detail, sizeof(r->detail), "%s", err);
		snprintf(r->hint, sizeof(r->hint), "set VIRTTY_HOME to a writable directory");
		return;
	}
	if (statvfs(st.root, &vfs) < 0) {
		r = hostcheck_add(res, n, "Store free space", HOSTCHECK_FAIL);
		snprintf(r->detail, sizeof(r->detail), "%.160s: %s", st.root, strerror(errno));
		return;
	}
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	format_size(avail, size, sizeof(size));
	r = hostcheck_add(res, n, "Store free space",
			  avail < HOSTCHECK_MIN_FREE ? HOSTCHECK_WARN : HOSTCHECK_PASS);
	snprintf(r->detail, sizeof(r->detail), "%s free in %.200s", size, st.root);
	if (r->level != HOSTCHECK_PASS)
		snprintf(r->hint, sizeof(r->hint),
			 "less than 1 GiB left: free space, or set VIRTTY_HOME elsewhere");
}

static void hostcheck_seccomp(struct hostcheck_result *res, int *n)
{
	struct hostcheck_result *r;
	bool kernel = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;

#ifdef HAVE_SECCOMP
	bool built = true;
#else
	bool built = false;
#endif
	r = hostcheck_add(res, n, "seccomp", kernel && built ? HOSTCHECK_PASS : HOSTCHECK_WARN);
	if (!kernel) {
		snprintf(r->detail, sizeof(r->detail), "the kernel has no seccomp filter support");
		snprintf(r->hint, sizeof(r->hint), "virtty-vmm will run without its sandbox");
	} else if (!built) {
		snprintf(r->detail, sizeof(r->detail), "virtty-vmm was built without libseccomp");
		snprintf(r->hint, sizeof(r->hint),
			 "install libseccomp-dev and rebuild to sandbox the VMM");
	} else {
		snprintf(r->detail, sizeof(r->detail),
			 "available; virtty-vmm sandboxes its threads");
	}
}

int hostcheck_run(struct hostcheck_result **out, int *count)
{
	struct hostcheck_result *res = calloc(16, sizeof(*res));
	struct hostcheck_result *r;
	const char *flag;
	bool kvm_usable;
	int n = 0;

	if (!res)
		return -ENOMEM;
	hostcheck_kvm(res, &n, &kvm_usable);
	flag = hostcheck_cpu_virt_flag();
	r = hostcheck_add(res, &n, "CPU virtualization", flag ? HOSTCHECK_PASS : HOSTCHECK_WARN);
	if (flag) {
		snprintf(r->detail, sizeof(r->detail), "%s", flag);
	} else {
		snprintf(r->detail, sizeof(r->detail),
			 "no vmx or svm flag in /proc/cpuinfo: KVM here is nested or emulated");
		snprintf(r->hint, sizeof(r->hint),
			 "enable VT-x/AMD-V in the firmware, or nested virtualization on the outer "
			 "host");
	}
	hostcheck_speed(res, &n, kvm_usable);
	hostcheck_modules(res, &n);
	hostcheck_tun(res, &n);
	hostcheck_store(res, &n);
	hostcheck_seccomp(res, &n);
	*out = res;
	*count = n;
	return 0;
}
