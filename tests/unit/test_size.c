/* Unit tests for sizes as users type them (parse_size) and read them
 * (format_size). */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "store/store.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define TiB (1024 * GiB)

static const struct {
	const char *text;
	uint64_t default_unit;
	uint64_t bytes;
} good[] = {
    {"512M", 1, 512 * MiB},
    {"2G", 1, 2 * GiB},
    {"1T", 1, TiB},
    {"4096K", 1, 4096 * KiB},
    {"1.5G", 1, 3 * GiB / 2},
    {"512", MiB, 512 * MiB},
    {"512", 1, 512},
    {"1KiB", 1, KiB},
    {"1kb", 1, KiB},
    {"2 GiB", 1, 2 * GiB},
    {"3g", 1, 3 * GiB},
    {"100B", MiB, 100},
    {"0.5K", 1, 512},
    {"16777215T", 1, 16777215 * TiB},
    {"1.25M", 1, MiB + MiB / 4},
    {" 8M ", 1, 8 * MiB},
};

START_TEST(test_parse_good)
{
	char err[256] = "";
	uint64_t bytes = 0;

	ck_assert_msg(
	    parse_size(good[_i].text, good[_i].default_unit, false, &bytes, err, sizeof(err)) == 0,
	    "'%s' refused: %s", good[_i].text, err);
	ck_assert_msg(bytes == good[_i].bytes, "'%s' gave %llu, want %llu", good[_i].text,
		      (unsigned long long)bytes, (unsigned long long)good[_i].bytes);
}
END_TEST

static const struct {
	const char *text;
	const char *message;
} bad[] = {
    {"-1", "invalid size '-1': a size cannot be negative"},
    {"0", "invalid size '0': a size must be greater than zero"},
    {"0M", "invalid size '0M': a size must be greater than zero"},
    {"12x", "invalid size '12x': use a number with an optional K, M, G or T suffix"},
    {"", "invalid size '': use a number with an optional K, M, G or T suffix"},
    {"1.", "invalid size '1.': use a number with an optional K, M, G or T suffix"},
    {".5G", "invalid size '.5G': use a number with an optional K, M, G or T suffix"},
    {"G", "invalid size 'G': use a number with an optional K, M, G or T suffix"},
    {"16E", "invalid size '16E': use a number with an optional K, M, G or T suffix"},
    {"1GG", "invalid size '1GG': use a number with an optional K, M, G or T suffix"},
    {"1e3", "invalid size '1e3': use a number with an optional K, M, G or T suffix"},
    {"16777216T", "invalid size '16777216T': too large"},
    {"99999999999999999999", "invalid size '99999999999999999999': too large"},
    {"18446744073709551615M", "invalid size '18446744073709551615M': too large"},
};

START_TEST(test_parse_bad)
{
	char err[256] = "";
	uint64_t bytes = 12345;

	ck_assert_int_lt(parse_size(bad[_i].text, MiB, false, &bytes, err, sizeof(err)), 0);
	ck_assert_str_eq(err, bad[_i].message);
	ck_assert_msg(bytes == 12345, "'%s' changed the output on failure", bad[_i].text);
}
END_TEST

START_TEST(test_parse_zero_allowed)
{
	char err[256] = "";
	uint64_t bytes = 1;

	ck_assert_int_eq(parse_size("0", MiB, true, &bytes, err, sizeof(err)), 0);
	ck_assert_uint_eq(bytes, 0);
	/* Zero being allowed does not make negative sizes acceptable. */
	ck_assert_int_lt(parse_size("-0", MiB, true, &bytes, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_format)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} cases[] = {
	    {0, "0 B"},		  {100, "100 B"},	    {512 * MiB, "512 MiB"},
	    {2 * GiB, "2.0 GiB"}, {3 * GiB / 2, "1.5 GiB"}, {20 * GiB, "20 GiB"},
	    {KiB, "1.0 KiB"},	  {TiB, "1.0 TiB"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		format_size(cases[i].bytes, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].text);
	}
}
END_TEST

START_TEST(test_format_parse_agree)
{
	/* What we print, a user can type back in and get the same size. */
	static const uint64_t sizes[] = {512 * MiB, 2 * GiB, 3 * GiB / 2, 20 * GiB, 4 * TiB};
	char buf[32], err[256];
	uint64_t back;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		format_size(sizes[i], buf, sizeof(buf));
		ck_assert_int_eq(parse_size(buf, 1, false, &back, err, sizeof(err)), 0);
		ck_assert_uint_eq(back, sizes[i]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("size");
	TCase *tc = tcase_create("size");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_parse_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_parse_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_parse_zero_allowed);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_format_parse_agree);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
