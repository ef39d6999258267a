/* What `virtty` prints: table alignment with UTF-8 names, key/value
 * blocks, durations, rates and the clone progress bar. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

START_TEST(test_utf8_width)
{
	ck_assert_uint_eq(cli_utf8_width(""), 0);
	ck_assert_uint_eq(cli_utf8_width("web"), 3);
	ck_assert_uint_eq(cli_utf8_width("caf\xc3\xa9"), 4);		  /* café */
	ck_assert_uint_eq(cli_utf8_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* 日本: wide */
	ck_assert_uint_eq(cli_utf8_width("e\xcc\x81"), 1);		  /* e + combining acute */
	ck_assert_uint_eq(cli_utf8_width("\xf0\x9f\x98\x80"), 2);	  /* emoji */
	/* A broken sequence still counts, so tables stay aligned. */
	ck_assert_uint_eq(cli_utf8_width("a\xc3"), 2);
}
END_TEST

/* Column where `needle` starts on the line of `text` that contains `key`,
 * counted in terminal cells. */
static size_t column_of(const char *text, const char *key, const char *needle)
{
	const char *line = strstr(text, key), *start = line;
	char buf[256];

	ck_assert_ptr_nonnull(line);
	while (start > text && start[-1] != '\n')
		start--;
	line = strstr(start, needle);
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_lt((size_t)(line - start), sizeof(buf));
	memcpy(buf, start, (size_t)(line - start));
	buf[line - start] = '\0';
	return cli_utf8_width(buf);
}

START_TEST(test_table_aligns_utf8)
{
	static const char *const headers[] = {"NAME", "STATE", "CPU%"};
	static const enum cli_align align[] = {CLI_ALIGN_LEFT, CLI_ALIGN_LEFT, CLI_ALIGN_RIGHT};
	struct cli_table *t = cli_table_new(3, headers, align);
	const char *r1[] = {"\xe6\x97\xa5\xe6\x9c\xac-vm", "running", "5.0%"};
	const char *r2[] = {"caf\xc3\xa9", "shut off", "-"};
	const char *r3[] = {"a-much-longer-name", "paused", "100.0%"};
	char *s;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(cli_table_add_row(t, r1), 0);
	ck_assert_int_eq(cli_table_add_row(t, r2), 0);
	ck_assert_int_eq(cli_table_add_row(t, r3), 0);
	s = cli_table_render(t);
	ck_assert_ptr_nonnull(s);
	/* STATE column starts at the same cell on every line. */
	ck_assert_uint_eq(column_of(s, "NAME", "STATE"), strlen("a-much-longer-name") + 2);
	ck_assert_uint_eq(column_of(s, "-vm", "running"), strlen("a-much-longer-name") + 2);
	ck_assert_uint_eq(column_of(s, "caf", "shut off"), strlen("a-much-longer-name") + 2);
	/* Right-aligned numbers end in the same column. */
	ck_assert_uint_eq(column_of(s, "-vm", "5.0%") + 4, column_of(s, "longer", "100.0%") + 6);
	ck_assert_uint_eq(column_of(s, "NAME", "CPU%") + 4, column_of(s, "longer", "100.0%") + 6);
	/* No trailing blanks, one line per row plus the header. */
	ck_assert_ptr_null(strstr(s, " \n"));
	{
		int lines = 0;

		for (char *p = s; *p; p++)
			lines += *p == '\n';
		ck_assert_int_eq(lines, 4);
	}
	free(s);
	cli_table_free(t);
}
END_TEST

START_TEST(test_kv_render)
{
	const char *keys[] = {"Name", "Cmdline", "Disks", ""};
	const char *vals[] = {"web", "console=ttyS0", "/a.img", "/b.img"};
	char *s = cli_kv_render(keys, vals, 4);

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "Name:    web\n"
			    "Cmdline: console=ttyS0\n"
			    "Disks:   /a.img\n"
			    "         /b.img\n");
	free(s);
}
END_TEST

START_TEST(test_durations)
{
	char buf[32];

	cli_format_duration(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0s");
	cli_format_duration(59999, buf, sizeof(buf));
	ck_assert_str_eq(buf, "59s");
	cli_format_duration(12 * 60000 + 3000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "12m 03s");
	cli_format_duration((3 * 3600 + 7 * 60) * 1000ULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "3h 07m");
	cli_format_duration((2 * 86400 + 4 * 3600 + 5) * 1000ULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2d 04h");
}
END_TEST

START_TEST(test_rates_and_percent)
{
	char buf[32];

	cli_format_rate(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0 B/s");
	cli_format_rate(512, buf, sizeof(buf));
	ck_assert_str_eq(buf, "512 B/s");
	cli_format_rate(1536, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.5 KiB/s");
	cli_format_rate(12.5 * 1024 * 1024, buf, sizeof(buf));
	ck_assert_str_eq(buf, "12.5 MiB/s");
	cli_format_rate(-5, buf, sizeof(buf)); /* counters reset by a reboot */
	ck_assert_str_eq(buf, "0 B/s");
	cli_format_percent(55.56, buf, sizeof(buf));
	ck_assert_str_eq(buf, "55.6%");
	cli_format_percent(250, buf, sizeof(buf)); /* 2.5 host CPUs */
	ck_assert_str_eq(buf, "250.0%");
}
END_TEST

START_TEST(test_progress_bar)
{
	char buf[256];

	cli_progress_format_bar(0, 1ULL << 30, 0, 10, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "[----------]   0%"));
	ck_assert_ptr_nonnull(strstr(buf, "0 B / 1.0 GiB"));
	cli_progress_format_bar(512ULL << 20, 1ULL << 30, 100.0 * (1 << 20), 10, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "[#####-----]  50%"));
	ck_assert_ptr_nonnull(strstr(buf, "512 MiB / 1.0 GiB"));
	ck_assert_ptr_nonnull(strstr(buf, "100.0 MiB/s"));
	cli_progress_format_bar(1ULL << 30, 1ULL << 30, 0, 10, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "[##########] 100%"));
	/* Nothing to copy is done, not a division by zero. */
	cli_progress_format_bar(0, 0, 0, 10, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "100%"));
}
END_TEST

START_TEST(test_json_double_is_short)
{
	json_object *o = cli_json_double(55.6, 1);

	ck_assert_str_eq(json_object_to_json_string(o), "55.6");
	ck_assert_double_eq_tol(json_object_get_double(o), 55.6, 1e-9);
	json_object_put(o);
}
END_TEST

static Suite *cli_output_suite(void)
{
	Suite *s = suite_create("cli_output");
	TCase *tc = tcase_create("output");

	tcase_add_test(tc, test_utf8_width);
	tcase_add_test(tc, test_table_aligns_utf8);
	tcase_add_test(tc, test_kv_render);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_rates_and_percent);
	tcase_add_test(tc, test_progress_bar);
	tcase_add_test(tc, test_json_double_is_short);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_output_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
