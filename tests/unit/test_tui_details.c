/* The details page's pure helpers (tui/details.c): what it accepts as
 * vCPUs and memory, how it labels a graph's span, and the clone's bar. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "details.h"

#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)

START_TEST(test_vcpus_range)
{
	char err[256];
	int v = -1;

	ck_assert_int_eq(details_parse_vcpus("1", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(details_parse_vcpus("64", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 64);
	v = 7;
	ck_assert_int_lt(details_parse_vcpus("0", &v, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "1 to 64"));
	ck_assert_int_lt(details_parse_vcpus("65", &v, err, sizeof(err)), 0);
	ck_assert_int_lt(details_parse_vcpus("-2", &v, err, sizeof(err)), 0);
	ck_assert_int_lt(details_parse_vcpus("", &v, err, sizeof(err)), 0);
	ck_assert_int_lt(details_parse_vcpus("2x", &v, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "'2x'"));
	ck_assert_int_lt(details_parse_vcpus("99999999999999999999", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 7); /* refused values leave it alone */
}
END_TEST

START_TEST(test_memory_units_and_host_bound)
{
	char err[256];
	uint64_t mib = 0;

	ck_assert_int_eq(details_parse_memory("512", 8 * GIB, &mib, err, sizeof(err)), 0);
	ck_assert_uint_eq(mib, 512);
	ck_assert_int_eq(details_parse_memory("2G", 8 * GIB, &mib, err, sizeof(err)), 0);
	ck_assert_uint_eq(mib, 2048);
	ck_assert_int_eq(details_parse_memory("96M", 8 * GIB, &mib, err, sizeof(err)), 0);
	ck_assert_uint_eq(mib, 96);
	/* Exactly the host's RAM is allowed, one MiB more is not. */
	ck_assert_int_eq(details_parse_memory("8G", 8 * GIB, &mib, err, sizeof(err)), 0);
	ck_assert_uint_eq(mib, 8192);
	mib = 1;
	ck_assert_int_lt(details_parse_memory("8193", 8 * GIB, &mib, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "8192 MiB"));
	ck_assert_uint_eq(mib, 1);
	/* No host figure: no upper bound from us. */
	ck_assert_int_eq(details_parse_memory("64G", 0, &mib, err, sizeof(err)), 0);
	ck_assert_uint_eq(mib, 65536);
	ck_assert_int_lt(details_parse_memory("0", 8 * GIB, &mib, err, sizeof(err)), 0);
	ck_assert_int_lt(details_parse_memory("lots", 8 * GIB, &mib, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "lots"));
	ck_assert_int_lt(details_parse_memory("1536K", 8 * GIB, &mib, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "whole MiB"));
}
END_TEST

START_TEST(test_span_labels)
{
	char buf[32];

	details_format_span(120, 1000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "last 2 min");
	details_format_span(45, 1000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "last 45 s");
	details_format_span(120, 500, buf, sizeof(buf));
	ck_assert_str_eq(buf, "last 60 s");
	details_format_span(120, 2500, buf, sizeof(buf));
	ck_assert_str_eq(buf, "last 5 min");
	details_format_span(130, 1000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "last 2 min 10 s");
	details_format_span(0, 1000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "last 0 s");
}
END_TEST

START_TEST(test_progress)
{
	char buf[128];

	ck_assert_int_eq(details_progress_percent(0, 0), 0);
	ck_assert_int_eq(details_progress_percent(1, 4), 25);
	ck_assert_int_eq(details_progress_percent(4, 4), 100);
	ck_assert_int_eq(details_progress_percent(5, 4), 100);
	ck_assert_int_eq(details_progress_percent(UINT64_MAX / 2, UINT64_MAX), 50);

	details_format_bar(1, 2, 12, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[#####.....]");
	details_format_bar(0, 0, 6, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[....]");
	details_format_bar(9, 9, 6, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[####]");
	details_format_bar(1, 1, 2, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	/* UTF-8: one full block per filled column. */
	details_format_bar(1, 2, 6, true, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[\u2588\u2588\u00b7\u00b7]");
	/* A short buffer is cut, still terminated. */
	details_format_bar(1, 2, 40, false, buf, 8);
	ck_assert_uint_eq(strlen(buf), 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_details");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_vcpus_range);
	tcase_add_test(tc, test_memory_units_and_host_bound);
	tcase_add_test(tc, test_span_labels);
	tcase_add_test(tc, test_progress);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
