/* What the console screen sends to the guest for each key (tui/vt-keys.c):
 * the bytes a VT100/xterm keyboard sends, so shells, editors and boot
 * loaders in the guest understand them. */
#include <check.h>
#include <string.h>

#include "vt.h"

/* The bytes for key, as a NUL-terminated string (keys never send NUL
 * except Ctrl-@, tested apart). */
static const char *keys(int key)
{
	static char buf[VT_KEY_MAX + 1];
	int n = vt_key_bytes(key, buf, VT_KEY_MAX);

	ck_assert_int_ge(n, 0);
	ck_assert_int_le(n, VT_KEY_MAX);
	buf[n] = '\0';
	return buf;
}

START_TEST(test_printable_bytes_pass_through)
{
	ck_assert_str_eq(keys('a'), "a");
	ck_assert_str_eq(keys('Q'), "Q");
	ck_assert_str_eq(keys(' '), " ");
	ck_assert_str_eq(keys('~'), "~");
	/* UTF-8 arrives a byte at a time and goes out unchanged. */
	ck_assert_str_eq(keys(0xc3), "\xc3");
	ck_assert_str_eq(keys(0xa9), "\xa9");
}
END_TEST

START_TEST(test_enter_and_backspace)
{
	ck_assert_str_eq(keys('\r'), "\r");
	ck_assert_str_eq(keys(KEY_ENTER), "\r");
	ck_assert_str_eq(keys(KEY_BACKSPACE), "\x7f");
	ck_assert_str_eq(keys(127), "\x7f");
	ck_assert_str_eq(keys('\t'), "\t");
}
END_TEST

START_TEST(test_control_letters_are_control_bytes)
{
	char buf[VT_KEY_MAX];

	ck_assert_str_eq(keys(3), "\x03");  /* Ctrl-C reaches the guest */
	ck_assert_str_eq(keys(26), "\x1a"); /* Ctrl-Z too */
	ck_assert_str_eq(keys(4), "\x04");
	ck_assert_str_eq(keys(27), "\x1b");			/* Esc, also the Alt prefix */
	ck_assert_int_eq(vt_key_bytes(0, buf, sizeof(buf)), 1); /* Ctrl-@ */
	ck_assert_int_eq(buf[0], 0);
}
END_TEST

START_TEST(test_cursor_and_editing_keys)
{
	ck_assert_str_eq(keys(KEY_UP), "\x1b[A");
	ck_assert_str_eq(keys(KEY_DOWN), "\x1b[B");
	ck_assert_str_eq(keys(KEY_RIGHT), "\x1b[C");
	ck_assert_str_eq(keys(KEY_LEFT), "\x1b[D");
	ck_assert_str_eq(keys(KEY_HOME), "\x1b[H");
	ck_assert_str_eq(keys(KEY_END), "\x1b[F");
	ck_assert_str_eq(keys(KEY_PPAGE), "\x1b[5~");
	ck_assert_str_eq(keys(KEY_NPAGE), "\x1b[6~");
	ck_assert_str_eq(keys(KEY_IC), "\x1b[2~");
	ck_assert_str_eq(keys(KEY_DC), "\x1b[3~");
	ck_assert_str_eq(keys(KEY_BTAB), "\x1b[Z");
}
END_TEST

START_TEST(test_function_keys)
{
	ck_assert_str_eq(keys(KEY_F(1)), "\x1bOP");
	ck_assert_str_eq(keys(KEY_F(4)), "\x1bOS");
	ck_assert_str_eq(keys(KEY_F(5)), "\x1b[15~");
	ck_assert_str_eq(keys(KEY_F(10)), "\x1b[21~");
	ck_assert_str_eq(keys(KEY_F(12)), "\x1b[24~");
}
END_TEST

START_TEST(test_unknown_keys_and_small_buffers_send_nothing)
{
	char buf[2];

	ck_assert_str_eq(keys(KEY_RESIZE), "");
	ck_assert_str_eq(keys(KEY_MOUSE), "");
	ck_assert_str_eq(keys(KEY_F(40)), "");
	/* A sequence never goes out cut in half. */
	ck_assert_int_eq(vt_key_bytes(KEY_F(5), buf, sizeof(buf)), 0);
	ck_assert_int_eq(vt_key_bytes('x', buf, 0), 0);
}
END_TEST

static Suite *vt_keys_suite(void)
{
	Suite *s = suite_create("tui_vt_keys");
	TCase *tc = tcase_create("keys");

	tcase_add_test(tc, test_printable_bytes_pass_through);
	tcase_add_test(tc, test_enter_and_backspace);
	tcase_add_test(tc, test_control_letters_are_control_bytes);
	tcase_add_test(tc, test_cursor_and_editing_keys);
	tcase_add_test(tc, test_function_keys);
	tcase_add_test(tc, test_unknown_keys_and_small_buffers_send_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vt_keys_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
