/* host-check: the speed verdict users read, and a real run of every check
 * on this host (KVM, modules, tun, store space, seccomp). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostcheck.h"

START_TEST(test_speed_emulated)
{
	char detail[256], hint[256];
	/* This machine's software KVM: about 2.2 us per iteration against
	 * about 0.5 ns natively (FACTS.md). */
	enum hostcheck_level l =
	    hostcheck_classify_speed(2200, 0.5, detail, sizeof(detail), hint, sizeof(hint));

	ck_assert_int_eq(l, HOSTCHECK_WARN);
	ck_assert_ptr_nonnull(strstr(detail, "KVM is emulated"));
	ck_assert_ptr_nonnull(strstr(detail, "2.2 us per loop iteration"));
	ck_assert_ptr_nonnull(strstr(detail, "~4400 times slower than hardware"));
	ck_assert_ptr_nonnull(strstr(detail, "Linux guests will be very slow"));
	ck_assert_str_ne(hint, "");
}
END_TEST

START_TEST(test_speed_hardware)
{
	char detail[256], hint[256];
	enum hostcheck_level l =
	    hostcheck_classify_speed(0.6, 0.5, detail, sizeof(detail), hint, sizeof(hint));

	ck_assert_int_eq(l, HOSTCHECK_PASS);
	ck_assert_ptr_nonnull(strstr(detail, "hardware speed"));
	ck_assert_str_eq(hint, "");
	/* The nested lab: ~10 ns per iteration is slow but not emulated. */
	l = hostcheck_classify_speed(10, 0.5, detail, sizeof(detail), hint, sizeof(hint));
	ck_assert_int_eq(l, HOSTCHECK_WARN);
	ck_assert_ptr_null(strstr(detail, "emulated"));
}
END_TEST

static const struct hostcheck_result *find(const struct hostcheck_result *res, int n,
					   const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(res[i].name, name))
			return &res[i];
	return NULL;
}

START_TEST(test_run_on_this_host)
{
	static const char *const names[] = {
	    "KVM device", "KVM API version", "CPU virtualization", "KVM speed",
	    "Module kvm", "/dev/net/tun",    "Store free space",   "seccomp"};
	char tmp[] = "/tmp/test_hostcheck.XXXXXX";
	struct hostcheck_result *res = NULL;
	const struct hostcheck_result *r;
	int n = 0;

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	setenv("VIRTTY_HOME", tmp, 1);
	setenv("VIRTTY_RUNTIME_DIR", tmp, 1);
	ck_assert_int_eq(hostcheck_run(&res, &n), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = find(res, n, names[i]);
		ck_assert_msg(r != NULL, "no '%s' check", names[i]);
		ck_assert_str_ne(r->detail, "");
		/* Anything short of PASS tells the user what to do. */
		if (r->level != HOSTCHECK_PASS)
			ck_assert_msg(r->hint[0], "'%s' (%s) has no hint", r->name, r->detail);
	}
	r = find(res, n, "Store free space");
	ck_assert_ptr_nonnull(strstr(r->detail, tmp));
	/* Where /dev/kvm works, the probe guest ran and was timed. */
	if (access("/dev/kvm", R_OK | W_OK) == 0) {
		r = find(res, n, "KVM speed");
		ck_assert_msg(r->level != HOSTCHECK_FAIL, "KVM speed: %s", r->detail);
		ck_assert_ptr_nonnull(strstr(r->detail, "per loop iteration"));
	}
	free(res);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

START_TEST(test_probe_measures)
{
	char err[256] = "";
	double ns = -1;

	if (access("/dev/kvm", R_OK | W_OK) != 0)
		return; /* nothing to measure without KVM */
	ck_assert_msg(hostcheck_kvm_loop_ns(&ns, err, sizeof(err)) == 0, "%s", err);
	ck_assert(ns > 0);
	ck_assert(hostcheck_native_loop_ns() > 0);
}
END_TEST

static Suite *hostcheck_suite(void)
{
	Suite *s = suite_create("hostcheck");
	TCase *tc = tcase_create("hostcheck");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_speed_emulated);
	tcase_add_test(tc, test_speed_hardware);
	tcase_add_test(tc, test_run_on_this_host);
	tcase_add_test(tc, test_probe_measures);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hostcheck_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
