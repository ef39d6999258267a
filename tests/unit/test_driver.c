/* Unit tests for the driver layer's shared helpers: VM names, state
 * names, CPU percentages and picking a driver by URI. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

START_TEST(test_names_valid)
{
	static const char *const ok[] = {"a", "web", "web-1", "A.b_c", "0day", "x..y"};
	char long_ok[VM_NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(vm_name_valid(ok[i], NULL, 0), "'%s' refused", ok[i]);
	memset(long_ok, 'n', VM_NAME_MAX);
	long_ok[VM_NAME_MAX] = '\0';
	ck_assert(vm_name_valid(long_ok, NULL, 0));
}
END_TEST

START_TEST(test_names_invalid)
{
	static const char *const bad[] = {"",	  "-x",		 ".x",	"_x", "a/b", "..",
					  "a\nb", "caf\xc3\xa9", "a:b", "a*", " a",  "a\tb"};
	char too_long[VM_NAME_MAX + 2], err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(!vm_name_valid(bad[i], err, sizeof(err)), "'%s' accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "invalid name"));
	}
	memset(too_long, 'n', VM_NAME_MAX + 1);
	too_long[VM_NAME_MAX + 1] = '\0';
	ck_assert(!vm_name_valid(too_long, NULL, 0));
	ck_assert(!vm_name_valid(NULL, err, sizeof(err)));
	vm_name_valid("a b", err, sizeof(err));
	ck_assert_str_eq(err, "invalid name 'a b': use 1-64 letters, digits, '.', '_' or '-', "
			      "starting with a letter or digit");
}
END_TEST

START_TEST(test_state_names)
{
	ck_assert_str_eq(vm_state_name(VM_STATE_SHUTOFF), "shut off");
	ck_assert_str_eq(vm_state_name(VM_STATE_STARTING), "starting");
	ck_assert_str_eq(vm_state_name(VM_STATE_RUNNING), "running");
	ck_assert_str_eq(vm_state_name(VM_STATE_PAUSED), "paused");
	ck_assert_str_eq(vm_state_name(VM_STATE_SHUTTING_DOWN), "shutting down");
	ck_assert_str_eq(vm_state_name(VM_STATE_CRASHED), "crashed");
	ck_assert_str_eq(vm_state_name(VM_STATE_UNKNOWN), "unknown");
	ck_assert_str_eq(vm_state_name((enum vm_state)42), "unknown");
}
END_TEST

START_TEST(test_cpu_percent)
{
	struct vm_stats a = {.timestamp_ns = 1000000000, .cpu_time_ns = 5000000000};
	struct vm_stats b = a;

	/* Half a CPU busy over two seconds. */
	b.timestamp_ns += 2000000000;
	b.cpu_time_ns += 1000000000;
	ck_assert_double_eq_tol(vm_stats_cpu_percent(&a, &b), 50.0, 1e-9);
	/* Two vCPUs fully busy: 200%, as top shows it. */
	b.cpu_time_ns = a.cpu_time_ns + 4000000000;
	ck_assert_double_eq_tol(vm_stats_cpu_percent(&a, &b), 200.0, 1e-9);
	/* The VM restarted between samples: no figure, not a negative one. */
	b.cpu_time_ns = 10;
	ck_assert_double_eq(vm_stats_cpu_percent(&a, &b), 0.0);
	/* Same instant, or samples swapped. */
	ck_assert_double_eq(vm_stats_cpu_percent(&a, &a), 0.0);
	b.cpu_time_ns = a.cpu_time_ns + 1;
	ck_assert_double_eq(vm_stats_cpu_percent(&b, &a), 0.0);
}
END_TEST

START_TEST(test_open_unknown_uri)
{
	char err[256];

	/* Anything but "local" goes to libvirt; its reason depends on whether
	 * a libvirtd runs here ("no connection driver available" or the
	 * daemon's socket), so only our part of the message is fixed. */
	ck_assert_ptr_null(driver_open("nosuchdriver:///x", err, sizeof(err)));
	ck_assert_msg(strncmp(err, "cannot connect to nosuchdriver:///x: ", 37) == 0 &&
			  strlen(err) > 37,
		      "%s", err);
}
END_TEST

START_TEST(test_open_local)
{
	static const char *const uris[] = {NULL, "", "local"};
	char dir[] = "/tmp/test_driver.XXXXXX", sub[64], err[512], cmd[128];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/home", dir);
	setenv("VIRTTY_HOME", sub, 1);
	snprintf(sub, sizeof(sub), "%s/run", dir);
	setenv("VIRTTY_RUNTIME_DIR", sub, 1);
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		struct driver *drv = driver_open(uris[i], err, sizeof(err));

		ck_assert_msg(drv != NULL, "%s", err);
		ck_assert_str_eq(drv->ops->name, "local");
		ck_assert_str_eq(drv->uri, "local");
		driver_close(drv);
	}
	driver_close(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("driver");
	TCase *tc = tcase_create("driver");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_names_valid);
	tcase_add_test(tc, test_names_invalid);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_cpu_percent);
	tcase_add_test(tc, test_open_unknown_uri);
	tcase_add_test(tc, test_open_local);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
