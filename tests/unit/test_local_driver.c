/* The local driver end to end (backend/local/): a temporary store, a real
 * virtty-vmm ($VIRTTY_VMM) running the echo test guest on /dev/kvm.
 * Skipped (77) where there is no /dev/kvm or no built VMM/guest. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"
#include "local/local_priv.h"
#include "store/store.h"

static char tmp[256], guest_echo[512], guest_triple[512];
static struct driver *drv;
static char err[1024];

static void setup(void)
{
	char path[600];

	snprintf(tmp, sizeof(tmp), "/tmp/virtty-local-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/store", tmp);
	setenv("VIRTTY_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/run", tmp);
	setenv("VIRTTY_RUNTIME_DIR", path, 1);
	drv = driver_open("local", err, sizeof(err));
	ck_assert_msg(drv != NULL, "driver_open: %s", err);
}

/* Stop whatever VMM a failed test left behind, then remove the store. */
static void teardown(void)
{
	struct vm_info *list;
	char cmd[512];
	int n;

	if (drv && drv->ops->list(drv, &list, &n, err, sizeof(err)) == 0) {
		for (int i = 0; i < n; i++)
			if (local_state_is_active(list[i].state))
				drv->ops->destroy(drv, list[i].name, err, sizeof(err));
		free(list);
	}
	driver_close(drv);
	drv = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static void define_vm(const char *name, const char *kernel, int nr_new_disks)
{
	struct vm_config *cfg = calloc(1, sizeof(*cfg));
	struct vm_new_disk nd[2] = { { .size_bytes = 1 << 20 }, { .size_bytes = 4 << 20 } };

	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	snprintf(cfg->kernel, sizeof(cfg->kernel), "%s", kernel);
	snprintf(cfg->cmdline, sizeof(cfg->cmdline), "console=ttyS0");
	cfg->vcpus = 1;
	cfg->memory_mib = 64;
	ck_assert_msg(drv->ops->define(drv, cfg, nd, nr_new_disks, NULL, err, sizeof(err)) == 0,
		      "define %s: %s", name, err);
	free(cfg);
}

static struct vm_info info_of(const char *name)
{
	struct vm_info info;

	ck_assert_msg(drv->ops->info(drv, name, &info, err, sizeof(err)) == 0, "info: %s", err);
	return info;
}

/* Poll until the VM leaves the active states (a few seconds at most). */
static struct vm_info wait_inactive(const char *name)
{
	struct vm_info info;

	for (int i = 0; i < 500; i++) {
		info = info_of(name);
		if (!local_state_is_active(info.state))
			break;
		usleep(20000);
	}
	return info;
}

static bool dump_contains(const char *name, const char *text)
{
	for (int i = 0; i < 500; i++) {
		char *buf;
		size_t len;
		bool found;

		ck_assert_msg(drv->ops->console_dump(drv, name, &buf, &len, err, sizeof(err)) == 0,
			      "console_dump: %s", err);
		found = strstr(buf, text) != NULL;
		free(buf);
		if (found)
			return true;
		usleep(20000);
	}
	return false;
}

/* How many virtty-vmm supervisors use this pid file (VM children are
 * forks of a supervisor and have the same command line). */
static int count_supervisors(const char *pidfile)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int count = 0;

	while ((e = readdir(d))) {
		char path[300], cmdline[8192], stat[1024], *p;
		int fd, ppid = 0;
		ssize_t n;

		if (!atoi(e->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, cmdline, sizeof(cmdline) - 1);
		close(fd);
		if (n <= 0)
			continue;
		for (ssize_t i = 0; i < n; i++)
			if (!cmdline[i])
				cmdline[i] = ' ';
		cmdline[n] = '\0';
		if (!strstr(cmdline, pidfile))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, stat, sizeof(stat) - 1);
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			continue;
		stat[n] = '\0';
		p = strrchr(stat, ')');
		if (p && sscanf(p + 2, "%*c %d", &ppid) == 1) {
			char pcmd[8192];

			snprintf(path, sizeof(path), "/proc/%d/cmdline", ppid);
			fd = open(path, O_RDONLY);
			n = fd < 0 ? -1 : read(fd, pcmd, sizeof(pcmd) - 1);
			if (fd >= 0)
				close(fd);
			if (n > 0) {
				for (ssize_t i = 0; i < n; i++)
					if (!pcmd[i])
						pcmd[i] = ' ';
				pcmd[n] = '\0';
				if (strstr(pcmd, pidfile))
					continue; /* a VM child */
			}
		}
		count++;
	}
	closedir(d);
	return count;
}

static void runtime_file(const char *name, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/run/%s/%s", tmp, name, file);
}

START_TEST(lifecycle)
{
	struct vm_info info;
	struct vm_stats stats;
	struct vm_settings set = { .memory_mib = 96 };
	struct vm_config *cfg = calloc(1, sizeof(*cfg));
	bool later;
	char pidfile[600];

	define_vm("demo", guest_echo, 1);
	info = info_of("demo");
	ck_assert_int_eq(info.state, VM_STATE_SHUTOFF);
	ck_assert_int_eq(info.vcpus, 1);
	ck_assert_uint_eq(info.memory_mib, 64);
	/* The new disk lives in the VM's own disks dir. */
	ck_assert_int_eq(drv->ops->get_config(drv, "demo", cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg->nr_disks, 1);
	ck_assert_ptr_nonnull(strstr(cfg->disks[0].path, "/vms/demo/disks/vda.img"));

	ck_assert_msg(drv->ops->start(drv, "demo", err, sizeof(err)) == 0, "start: %s", err);
	info = info_of("demo");
	ck_assert_int_eq(info.state, VM_STATE_RUNNING);
	ck_assert_int_gt(info.pid, 0);
	ck_assert_int_eq(kill(info.pid, 0), 0);
	ck_assert(!info.pending_changes);

	ck_assert_int_eq(drv->ops->start(drv, "demo", err, sizeof(err)), -EALREADY);
	ck_assert_str_eq(err, "VM 'demo' is already running");
	ck_assert_int_eq(drv->ops->undefine(drv, "demo", 0, err, sizeof(err)), -EBUSY);
	ck_assert_str_eq(err, "VM 'demo' is running; use 'virtty destroy demo' first");

	ck_assert(dump_contains("demo", "echo: ready"));

	ck_assert_int_eq(drv->ops->pause(drv, "demo", err, sizeof(err)), 0);
	ck_assert_int_eq(info_of("demo").state, VM_STATE_PAUSED);
	ck_assert_int_ne(drv->ops->pause(drv, "demo", err, sizeof(err)), 0);
	ck_assert_str_eq(err, "VM 'demo' is already paused");
	ck_assert_int_eq(drv->ops->resume(drv, "demo", err, sizeof(err)), 0);
	ck_assert_int_eq(info_of("demo").state, VM_STATE_RUNNING);

	/* Reboot restarts the machine in place: same VMM, guest boots again. */
	info = info_of("demo");
	ck_assert_msg(drv->ops->reboot(drv, "demo", err, sizeof(err)) == 0, "reboot: %s", err);
	ck_assert_int_eq(info_of("demo").state, VM_STATE_RUNNING);
	ck_assert_int_eq(info_of("demo").pid, info.pid);
	ck_assert(dump_contains("demo", "echo: ready"));

	ck_assert_msg(drv->ops->stats(drv, "demo", &stats, err, sizeof(err)) == 0, "stats: %s",
		      err);
	ck_assert_int_eq(stats.vcpus, 1);
	ck_assert_uint_eq(stats.memory_bytes, 64ull << 20);
	ck_assert_uint_gt(stats.cpu_time_ns, 0);
	ck_assert_uint_gt(stats.timestamp_ns, 0);
	ck_assert_uint_gt(stats.vmm_rss_bytes, 0);

	/* A change to a running VM waits for the next start. */
	ck_assert_int_eq(drv->ops->set(drv, "demo", &set, &later, err, sizeof(err)), 0);
	ck_assert(later);
	info = info_of("demo");
	ck_assert(info.pending_changes);
	ck_assert_uint_eq(info.memory_mib, 64);

	ck_assert_msg(drv->ops->destroy(drv, "demo", err, sizeof(err)) == 0, "destroy: %s", err);
	info = info_of("demo");
	ck_assert_int_eq(info.state, VM_STATE_SHUTOFF);
	ck_assert_int_eq(info.pid, 0);
	ck_assert_uint_eq(info.memory_mib, 96);
	runtime_file("demo", LOCAL_PIDFILE, pidfile, sizeof(pidfile));
	ck_assert_int_eq(count_supervisors(pidfile), 0);
	ck_assert_int_eq(drv->ops->pause(drv, "demo", err, sizeof(err)), -ESRCH);
	ck_assert_str_eq(err, "VM 'demo' is not running; 'virtty start demo' starts it");
	ck_assert_int_eq(drv->ops->destroy(drv, "demo", err, sizeof(err)), -ESRCH);

	/* It starts again after a stop, with the new memory size. */
	ck_assert_msg(drv->ops->start(drv, "demo", err, sizeof(err)) == 0, "start: %s", err);
	ck_assert_uint_eq(info_of("demo").memory_mib, 96);
	ck_assert_int_eq(drv->ops->destroy(drv, "demo", err, sizeof(err)), 0);

	ck_assert_int_eq(drv->ops->undefine(drv, "demo", DRIVER_UNDEFINE_REMOVE_DISKS, err,
					    sizeof(err)), 0);
	ck_assert_int_eq(access(cfg->disks[0].path, F_OK), -1);
	ck_assert_int_eq(drv->ops->info(drv, "demo", &info, err, sizeof(err)), -ENOENT);
	free(cfg);
}
END_TEST

START_TEST(killed_vmm_is_crashed)
{
	struct vm_info info;
	char path[600], children[256];
	FILE *f;
	int child = 0;

	define_vm("k1", guest_echo, 0);
	ck_assert_msg(drv->ops->start(drv, "k1", err, sizeof(err)) == 0, "start: %s", err);
	info = info_of("k1");
	ck_assert_int_eq(kill(info.pid, SIGKILL), 0);
	info = wait_inactive("k1");
	ck_assert_int_eq(info.state, VM_STATE_CRASHED);
	ck_assert_ptr_nonnull(strstr(info.reason, "VMM process vanished"));
	/* Stale sockets do not make it look running, and it starts again. */
	ck_assert_int_eq(drv->ops->pause(drv, "k1", err, sizeof(err)), -ESRCH);
	ck_assert_msg(drv->ops->start(drv, "k1", err, sizeof(err)) == 0, "restart: %s", err);
	ck_assert_int_eq(info_of("k1").state, VM_STATE_RUNNING);

	/* Killing the VM process itself (the supervisor's child). */
	info = info_of("k1");
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", info.pid, info.pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(children, sizeof(children), f));
	fclose(f);
	child = atoi(children);
	ck_assert_int_gt(child, 0);
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	info = wait_inactive("k1");
	ck_assert_int_eq(info.state, VM_STATE_CRASHED);
	ck_assert_str_eq(info.reason, "VMM killed by signal 9");
}
END_TEST

START_TEST(guest_crash_is_crashed)
{
	struct vm_info info;

	define_vm("t1", guest_triple, 0);
	ck_assert_msg(drv->ops->start(drv, "t1", err, sizeof(err)) == 0, "start: %s", err);
	info = wait_inactive("t1");
	ck_assert_int_eq(info.state, VM_STATE_CRASHED);
	ck_assert_str_eq(info.reason, "guest crashed (triple fault or KVM error; see vmm.log)");
}
END_TEST

START_TEST(start_failure_shows_the_vmm_error)
{
	char kernel[600];
	FILE *f;

	/* A kernel file the store accepts but the VMM cannot boot. */
	snprintf(kernel, sizeof(kernel), "%s/not-a-kernel", tmp);
	f = fopen(kernel, "w");
	fputs("this is not a kernel\n", f);
	fclose(f);
	define_vm("bad", kernel, 0);
	ck_assert_int_ne(drv->ops->start(drv, "bad", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "VM 'bad' failed to start: ") == err, "err: %s", err);
	ck_assert_msg(strstr(err, "not-a-kernel") != NULL, "err: %s", err);
	ck_assert_int_eq(info_of("bad").state, VM_STATE_SHUTOFF);
}
END_TEST

START_TEST(concurrent_starts_start_one_vmm)
{
	pid_t kids[2];
	int ok = 0, already = 0;
	char pidfile[600];

	define_vm("demo", guest_echo, 0);
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			char e[512];
			struct driver *d = driver_open("local", e, sizeof(e));
			int r = d ? d->ops->start(d, "demo", e, sizeof(e)) : -1;

			if (d)
				driver_close(d);
			if (r == -EALREADY && !strcmp(e, "VM 'demo' is already running"))
				_exit(3);
			if (r)
				fprintf(stderr, "start: %d %s\n", r, e);
			_exit(r == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < 2; i++) {
		int ws;

		ck_assert_int_eq(waitpid(kids[i], &ws, 0), kids[i]);
		ck_assert(WIFEXITED(ws));
		if (WEXITSTATUS(ws) == 0)
			ok++;
		else if (WEXITSTATUS(ws) == 3)
			already++;
	}
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(already, 1);
	runtime_file("demo", LOCAL_PIDFILE, pidfile, sizeof(pidfile));
	ck_assert_int_eq(count_supervisors(pidfile), 1);
	ck_assert_int_eq(info_of("demo").state, VM_STATE_RUNNING);
}
END_TEST

START_TEST(define_errors_leave_nothing)
{
	struct vm_config *cfg = calloc(1, sizeof(*cfg));
	struct vm_new_disk bad = { .size_bytes = 1000 };
	struct vm_info *list;
	int n;

	define_vm("web", guest_echo, 0);
	/* Duplicate name. */
	snprintf(cfg->name, sizeof(cfg->name), "web");
	snprintf(cfg->kernel, sizeof(cfg->kernel), "%s", guest_echo);
	cfg->vcpus = 1;
	cfg->memory_mib = 64;
	ck_assert_int_eq(drv->ops->define(drv, cfg, NULL, 0, NULL, err, sizeof(err)), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "VM 'web' already exists"));
	/* A bad new disk: refused before anything is created. */
	snprintf(cfg->name, sizeof(cfg->name), "web2");
	ck_assert_int_eq(drv->ops->define(drv, cfg, &bad, 1, NULL, err, sizeof(err)), -EINVAL);
	/* A missing kernel. */
	snprintf(cfg->kernel, sizeof(cfg->kernel), "%s/no-such-kernel", tmp);
	ck_assert_int_ne(drv->ops->define(drv, cfg, NULL, 0, NULL, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "no-such-kernel"));
	/* An invalid name. */
	snprintf(cfg->name, sizeof(cfg->name), "-x");
	ck_assert_int_eq(drv->ops->define(drv, cfg, NULL, 0, NULL, err, sizeof(err)), -EINVAL);

	ck_assert_int_eq(drv->ops->list(drv, &list, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(list[0].name, "web");
	free(list);
	free(cfg);
}
END_TEST

/* A VM with NICs on the default (nat) network and on an internal one:
 * starting it starts the internal network's switch, each NIC's counters
 * are named after its network, and the switch cannot stop under it. */
START_TEST(nics_start_their_networks_and_name_their_stats)
{
	struct net_config lan = { .name = "lan", .mode = NET_MODE_INTERNAL };
	struct vm_settings set = { .set_nics = true, .nr_nics = 2,
				   .nics = { { "default", "" }, { "lan", "" } } };
	struct net_info *nets;
	struct vm_stats stats;
	bool later;
	int n;

	if (!getenv("VIRTTY_NETD") || access(getenv("VIRTTY_NETD"), X_OK)) {
		fprintf(stderr, "nics_start_their_networks: skipped: no $VIRTTY_NETD\n");
		return;
	}
	ck_assert_msg(drv->ops->net_define(drv, &lan, err, sizeof(err)) == 0, "%s", err);
	define_vm("nets", guest_echo, 0);
	ck_assert_msg(drv->ops->set(drv, "nets", &set, &later, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(drv->ops->start(drv, "nets", err, sizeof(err)) == 0, "start: %s", err);
	ck_assert_int_eq(drv->ops->net_list(drv, &nets, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(nets[1].name, "lan");
	ck_assert_int_eq(nets[1].state, NET_STATE_ACTIVE);
	ck_assert_int_eq(nets[1].nr_running, 1);
	free(nets);
	ck_assert_msg(drv->ops->stats(drv, "nets", &stats, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(stats.nr_nics, 2);
	ck_assert_str_eq(stats.nics[0].network, "default");
	ck_assert_str_eq(stats.nics[1].network, "lan");
	ck_assert_int_eq(strlen(stats.nics[1].mac), 17);
	ck_assert_int_eq(drv->ops->net_stop(drv, "lan", err, sizeof(err)), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err, "nets"));
	ck_assert_int_eq(drv->ops->destroy(drv, "nets", err, sizeof(err)), 0);
	ck_assert_msg(drv->ops->net_stop(drv, "lan", err, sizeof(err)) == 0, "%s", err);
}
END_TEST

static int count_calls(void *opaque, uint64_t done, uint64_t total)
{
	(*(int *)opaque)++;
	return 0;
}

static int cancel_now(void *opaque, uint64_t done, uint64_t total)
{
	return 1;
}

START_TEST(clone_copies_disks)
{
	struct vm_config *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int calls = 0;
	struct progress p = { count_calls, &calls }, cancel = { cancel_now, NULL };
	struct vm_info info;
	int fd;

	define_vm("src", guest_echo, 2);
	ck_assert_int_eq(drv->ops->get_config(drv, "src", a, err, sizeof(err)), 0);
	fd = open(a->disks[1].path, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "hello", 5, 1 << 20), 5);
	close(fd);

	/* Refused while it runs. */
	ck_assert_msg(drv->ops->start(drv, "src", err, sizeof(err)) == 0, "start: %s", err);
	ck_assert_int_eq(drv->ops->clone(drv, "src", "dst", &p, err, sizeof(err)), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err, "shut it down first"));
	ck_assert_int_eq(drv->ops->destroy(drv, "src", err, sizeof(err)), 0);

	/* Cancelled: no trace of the clone. */
	ck_assert_int_eq(drv->ops->clone(drv, "src", "dst", &cancel, err, sizeof(err)),
			 -ECANCELED);
	ck_assert_int_eq(drv->ops->info(drv, "dst", &info, err, sizeof(err)), -ENOENT);

	ck_assert_msg(drv->ops->clone(drv, "src", "dst", &p, err, sizeof(err)) == 0, "clone: %s",
		      err);
	ck_assert_int_gt(calls, 0);
	ck_assert_int_eq(drv->ops->get_config(drv, "dst", b, err, sizeof(err)), 0);
	ck_assert_int_eq(b->nr_disks, 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_str_ne(a->disks[i].path, b->disks[i].path);
		ck_assert_ptr_nonnull(strstr(b->disks[i].path, "/vms/dst/disks/"));
	}
	{
		char buf[6] = "";

		fd = open(b->disks[1].path, O_RDONLY);
		ck_assert_int_eq(pread(fd, buf, 5, 1 << 20), 5);
		close(fd);
		ck_assert_str_eq(buf, "hello");
	}
	ck_assert_int_eq(drv->ops->clone(drv, "src", "dst", &p, err, sizeof(err)), -EEXIST);
	/* The clone runs on its own. */
	ck_assert_msg(drv->ops->start(drv, "dst", err, sizeof(err)) == 0, "start dst: %s", err);
	ck_assert(dump_contains("dst", "echo: ready"));
	ck_assert_int_eq(drv->ops->destroy(drv, "dst", err, sizeof(err)), 0);
	free(a);
	free(b);
}
END_TEST

static Suite *driver_suite(void)
{
	Suite *s = suite_create("local_driver");
	TCase *tc = tcase_create("vmm");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, lifecycle);
	tcase_add_test(tc, killed_vmm_is_crashed);
	tcase_add_test(tc, guest_crash_is_crashed);
	tcase_add_test(tc, start_failure_shows_the_vmm_error);
	tcase_add_test(tc, concurrent_starts_start_one_vmm);
	tcase_add_test(tc, define_errors_leave_nothing);
	tcase_add_test(tc, clone_copies_disks);
	tcase_add_test(tc, nics_start_their_networks_and_name_their_stats);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *builddir = getenv("top_builddir");
	const char *vmm = getenv("VIRTTY_VMM");
	SRunner *sr;
	int failed;

	snprintf(guest_echo, sizeof(guest_echo), "%s/tests/guests/echo.elf",
		 builddir ? builddir : ".");
	snprintf(guest_triple, sizeof(guest_triple), "%s/tests/guests/triple.elf",
		 builddir ? builddir : ".");
	if (access("/dev/kvm", R_OK | W_OK) || !vmm || access(vmm, X_OK) ||
	    access(guest_echo, R_OK) || access(guest_triple, R_OK)) {
		fprintf(stderr, "SKIP: needs /dev/kvm, $VIRTTY_VMM and the test guests "
				"(make check_DATA)\n");
		return 77;
	}
	/* The networks case runs the switch from the build tree unless told. */
	if (!getenv("VIRTTY_NETD")) {
		char netd[600];

		snprintf(netd, sizeof(netd), "%s/backend/netd/virtty-netd",
			 builddir ? builddir : ".");
		if (access(netd, X_OK) == 0)
			setenv("VIRTTY_NETD", netd, 1);
	}
	sr = srunner_create(driver_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
