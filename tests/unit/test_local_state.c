/* VM state as the local driver reads it from the pid file of
 * `virtty-vmm --pidfile` (backend/local/state.c): real files, real flock
 * held by a child process, no VMM needed. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "local/local_priv.h"

static char dir[256];
static pid_t holder = -1;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/virtty-state-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[512];

	if (holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
		holder = -1;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* A process that holds an exclusive flock on the pid file, as a live
 * virtty-vmm does, until it is killed. */
static void hold_pidfile_lock(void)
{
	char path[512], c;
	int p[2];

	snprintf(path, sizeof(path), "%s/" LOCAL_PIDFILE, dir);
	ck_assert_int_eq(pipe(p), 0);
	holder = fork();
	ck_assert_int_ge(holder, 0);
	if (holder == 0) {
		int fd = open(path, O_RDONLY);

		if (fd < 0 || flock(fd, LOCK_EX))
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
}

static struct vm_info probe(void)
{
	struct vm_info info = { .vcpus = 3, .memory_mib = 77 };

	local_state_probe(dir, &info);
	return info;
}

START_TEST(no_pidfile_is_shut_off)
{
	struct vm_info info = probe();

	ck_assert_int_eq(info.state, VM_STATE_SHUTOFF);
	ck_assert_str_eq(info.reason, "");
	ck_assert_int_eq(info.pid, 0);
	/* Configured figures are left for the caller. */
	ck_assert_int_eq(info.vcpus, 3);
}
END_TEST

START_TEST(clean_exits_are_shut_off)
{
	static const char *const texts[] = { "exited 0\n", "exited 3\n", "exited 5\n" };

	for (size_t i = 0; i < 3; i++) {
		struct vm_info info;

		write_file(LOCAL_PIDFILE, texts[i]);
		info = probe();
		ck_assert_msg(info.state == VM_STATE_SHUTOFF, "'%s' gave %s", texts[i],
			      vm_state_name(info.state));
		ck_assert_str_eq(info.reason, "");
	}
}
END_TEST

START_TEST(triple_fault_is_crashed)
{
	struct vm_info info;

	write_file(LOCAL_PIDFILE, "exited 4\n");
	info = probe();
	ck_assert_int_eq(info.state, VM_STATE_CRASHED);
	ck_assert_str_eq(info.reason, "guest crashed (triple fault or KVM error; see vmm.log)");
}
END_TEST

START_TEST(vmm_error_quotes_the_log)
{
	struct vm_info info;

	write_file(LOCAL_PIDFILE, "exited 1\n");
	write_file(LOCAL_LOGFILE, "virtty-vmm: something early\n"
				  "virtty-vmm: disk '/x.img': read failed: Input/output error\n\n");
	info = probe();
	ck_assert_int_eq(info.state, VM_STATE_CRASHED);
	ck_assert_str_eq(info.reason, "VMM error: disk '/x.img': read failed: Input/output error");
}
END_TEST

START_TEST(killed_vmm_is_crashed)
{
	struct vm_info info;

	write_file(LOCAL_PIDFILE, "killed 9\n");
	info = probe();
	ck_assert_int_eq(info.state, VM_STATE_CRASHED);
	ck_assert_str_eq(info.reason, "VMM killed by signal 9");
}
END_TEST

START_TEST(stale_pid_is_crashed_not_running)
{
	struct vm_info info;
	char text[32];

	/* Our own pid: a live process, but it does not hold the lock. */
	snprintf(text, sizeof(text), "%d\n", (int)getpid());
	write_file(LOCAL_PIDFILE, text);
	/* A stale control socket file from the dead VMM. */
	write_file(LOCAL_CONTROL, "");
	info = probe();
	ck_assert_int_eq(info.state, VM_STATE_CRASHED);
	ck_assert_ptr_nonnull(strstr(info.reason, "VMM process vanished"));
	ck_assert_int_eq(info.pid, 0);
}
END_TEST

START_TEST(garbage_pidfile_is_not_running)
{
	struct vm_info info;

	write_file(LOCAL_PIDFILE, "hello\n");
	info = probe();
	ck_assert(!local_state_is_active(info.state));
}
END_TEST

START_TEST(locked_without_control_socket_is_unknown)
{
	struct vm_info info;

	write_file(LOCAL_PIDFILE, "4242\n");
	hold_pidfile_lock();
	info = probe();
	ck_assert_int_eq(info.state, VM_STATE_UNKNOWN);
	ck_assert_int_eq(info.pid, 4242);
	ck_assert_ptr_nonnull(strstr(info.reason, "4242"));
	ck_assert(local_state_is_active(info.state));
}
END_TEST

START_TEST(locked_and_silent_is_unknown)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vm_info info;
	int fd;

	/* A control socket that accepts connections but never answers, as a
	 * hung VMM would. */
	ck_assert_int_lt(snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" LOCAL_CONTROL, dir),
			 (int)sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	write_file(LOCAL_PIDFILE, "4243\n");
	hold_pidfile_lock();
	info = probe();
	ck_assert_int_eq(info.state, VM_STATE_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(info.reason, "does not answer"));
	close(fd);
}
END_TEST

START_TEST(locked_with_exit_status_is_shutting_down)
{
	struct vm_info info;

	write_file(LOCAL_PIDFILE, "exited 0\n");
	hold_pidfile_lock();
	info = probe();
	ck_assert_int_eq(info.state, VM_STATE_SHUTTING_DOWN);
	/* Once the VMM is gone the same file means shut off. */
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	holder = -1;
	info = probe();
	ck_assert_int_eq(info.state, VM_STATE_SHUTOFF);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("local_state");
	TCase *tc = tcase_create("pidfile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, no_pidfile_is_shut_off);
	tcase_add_test(tc, clean_exits_are_shut_off);
	tcase_add_test(tc, triple_fault_is_crashed);
	tcase_add_test(tc, vmm_error_quotes_the_log);
	tcase_add_test(tc, killed_vmm_is_crashed);
	tcase_add_test(tc, stale_pid_is_crashed_not_running);
	tcase_add_test(tc, garbage_pidfile_is_not_running);
	tcase_add_test(tc, locked_without_control_socket_is_unknown);
	tcase_add_test(tc, locked_and_silent_is_unknown);
	tcase_add_test(tc, locked_with_exit_status_is_shutting_down);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
