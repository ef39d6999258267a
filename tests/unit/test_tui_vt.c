/* The console's terminal emulator (tui/vt.c): what the guest prints is
 * what the window shows (text, cursor movement, bold/underline/reverse,
 * colours through curses pairs, or none under NO_COLOR), the scrollback
 * keeps the newest VT_SCROLLBACK_LINES lines, and a resize re-lays out.
 * Drawn into real curses windows on an xterm-256color terminfo entry. */
#include <check.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "theme.h"
#include "vt.h"

static FILE *tty;
static SCREEN *scr;

static void setup(void)
{
	char err[256];

	setlocale(LC_ALL, "C.UTF-8");
	tty = fopen("/dev/null", "r+");
	ck_assert_ptr_nonnull(tty);
	scr = newterm("xterm-256color", tty, tty);
	ck_assert_ptr_nonnull(scr);
	start_color();
	use_default_colors();
	theme_load("dark", err, sizeof(err));
}

static void teardown(void)
{
	endwin();
	delscreen(scr);
	fclose(tty);
}

static void feed(struct vt *vt, const char *s)
{
	vt_feed(vt, s, strlen(s));
}

/* Row y of win as text (ASCII cells), trailing blanks cut. */
static const char *row_text(WINDOW *win, int y)
{
	static char buf[256];
	int w = getmaxx(win), n = 0;

	for (int x = 0; x < w && x < (int)sizeof(buf) - 1; x++)
		buf[n++] = (char)(mvwinch(win, y, x) & A_CHARTEXT);
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return buf;
}

START_TEST(test_text_and_cursor_movement)
{
	struct vt *vt = vt_new(5, 20);
	WINDOW *win = newwin(5, 20, 0, 0);
	int row, col;

	ck_assert_ptr_nonnull(vt);
	/* CR LF, a cursor move (row 4, col 3), and an erase of "zap". */
	feed(vt, "hello\r\nworld\x1b[4;3Hxy\r\nzap\r\x1b[K");
	vt_draw(vt, win, 0, 0, 0, true, true);
	ck_assert_str_eq(row_text(win, 0), "hello");
	ck_assert_str_eq(row_text(win, 1), "world");
	ck_assert_str_eq(row_text(win, 3), "  xy");
	ck_assert_str_eq(row_text(win, 4), "");
	vt_cursor(vt, &row, &col);
	ck_assert_int_eq(row, 4);
	ck_assert_int_eq(col, 0);
	/* An escape sequence split across two reads still works. */
	feed(vt, "\x1b[1");
	feed(vt, ";1Hab");
	vt_draw(vt, win, 0, 0, 0, true, true);
	ck_assert_str_eq(row_text(win, 0), "abllo");
	delwin(win);
	vt_free(vt);
}
END_TEST

START_TEST(test_attributes_and_colours)
{
	struct vt *vt = vt_new(3, 20);
	WINDOW *win = newwin(3, 20, 0, 0);
	short fg, bg;

	feed(vt, "\x1b[1mB\x1b[0m\x1b[4mU\x1b[0m\x1b[7mR\x1b[0m\x1b[31mr\x1b[0m"
		 "\x1b[38;5;200mp\x1b[0m\x1b[38;2;0;0;255mb\x1b[0mn");
	vt_draw(vt, win, 0, 0, 0, true, true);
	ck_assert(mvwinch(win, 0, 0) & A_BOLD);
	ck_assert(mvwinch(win, 0, 1) & A_UNDERLINE);
	ck_assert(mvwinch(win, 0, 2) & A_REVERSE);
	ck_assert(!(mvwinch(win, 0, 6) & (A_BOLD | A_UNDERLINE | A_REVERSE)));
	/* Red (index 1), 256-colour 200, RGB blue on a 256-colour terminal. */
	pair_content((short)PAIR_NUMBER(mvwinch(win, 0, 3)), &fg, &bg);
	ck_assert_int_eq(fg, 1);
	pair_content((short)PAIR_NUMBER(mvwinch(win, 0, 4)), &fg, &bg);
	ck_assert_int_eq(fg, 200);
	pair_content((short)PAIR_NUMBER(mvwinch(win, 0, 5)), &fg, &bg);
	ck_assert_int_eq(fg, 21); /* the 6x6x6 cube's pure blue */
	ck_assert_int_ne(PAIR_NUMBER(mvwinch(win, 0, 3)), PAIR_NUMBER(mvwinch(win, 0, 4)));

	/* Without colour (NO_COLOR): attributes stay, no pairs. */
	werase(win);
	vt_draw(vt, win, 0, 0, 0, false, true);
	ck_assert(mvwinch(win, 0, 0) & A_BOLD);
	ck_assert_int_eq(PAIR_NUMBER(mvwinch(win, 0, 3)), 0);
	ck_assert_int_eq(PAIR_NUMBER(mvwinch(win, 0, 5)), 0);
	delwin(win);
	vt_free(vt);
}
END_TEST

START_TEST(test_non_utf8_locale_gets_ascii)
{
	struct vt *vt = vt_new(2, 10);
	WINDOW *win = newwin(2, 10, 0, 0);

	feed(vt, "a\xc3\xa9\xe2\x94\x80\xe2\x94\x82z"); /* a é ─ │ z */
	vt_draw(vt, win, 0, 0, 0, false, false);
	ck_assert_str_eq(row_text(win, 0), "a?-|z");
	delwin(win);
	vt_free(vt);
}
END_TEST

START_TEST(test_scrollback_is_bounded_and_scrolls)
{
	struct vt *vt = vt_new(4, 20);
	WINDOW *win = newwin(4, 20, 0, 0);
	char line[32];
	int total = VT_SCROLLBACK_LINES + 1000;

	for (int i = 0; i < total; i++) {
		snprintf(line, sizeof(line), "line %d\r\n", i);
		feed(vt, line);
	}
	/* The screen holds the last 3 lines and an empty one; the rest went
	 * to the scrollback, which kept only the newest. */
	ck_assert_int_eq(vt_scrollback_count(vt), VT_SCROLLBACK_LINES);
	vt_draw(vt, win, 0, 0, 0, true, true);
	snprintf(line, sizeof(line), "line %d", total - 1);
	ck_assert_str_eq(row_text(win, 2), line);
	/* Scrolled back by 2: the two lines above the screen come first. */
	vt_draw(vt, win, 0, 0, 2, true, true);
	snprintf(line, sizeof(line), "line %d", total - 5);
	ck_assert_str_eq(row_text(win, 0), line);
	snprintf(line, sizeof(line), "line %d", total - 3);
	ck_assert_str_eq(row_text(win, 2), line);
	/* All the way back: the oldest line kept. */
	vt_draw(vt, win, 0, 0, VT_SCROLLBACK_LINES + 50, true, true);
	snprintf(line, sizeof(line), "line %d", total - 3 - VT_SCROLLBACK_LINES);
	ck_assert_str_eq(row_text(win, 0), line);
	delwin(win);
	vt_free(vt);
}
END_TEST

START_TEST(test_resize_relays_out)
{
	struct vt *vt = vt_new(3, 10);
	WINDOW *win = newwin(6, 30, 0, 0);
	int rows, cols;

	feed(vt, "one\r\ntwo\r\nthree\r\nfour");
	ck_assert_int_eq(vt_scrollback_count(vt), 1);
	/* Taller: the line scrolled off comes back from the scrollback. */
	vt_resize(vt, 6, 30);
	vt_get_size(vt, &rows, &cols);
	ck_assert_int_eq(rows, 6);
	ck_assert_int_eq(cols, 30);
	ck_assert_int_eq(vt_scrollback_count(vt), 0);
	vt_draw(vt, win, 0, 0, 0, true, true);
	ck_assert_str_eq(row_text(win, 0), "one");
	ck_assert_str_eq(row_text(win, 3), "four");
	/* Wider: a long line now fits on one row. */
	feed(vt, "\r\n0123456789abcdefghij");
	vt_draw(vt, win, 0, 0, 0, true, true);
	ck_assert_str_eq(row_text(win, 4), "0123456789abcdefghij");
	delwin(win);
	vt_free(vt);
}
END_TEST

/* Answers to the guest's queries go back through the output callback. */
static char answer[64];

static void collect(const char *s, size_t len, void *opaque)
{
	size_t have = strlen(answer);

	(void)opaque;
	if (have + len < sizeof(answer))
		memcpy(answer + have, s, len);
}

START_TEST(test_cursor_position_report_answers_the_guest)
{
	struct vt *vt = vt_new(5, 20);

	answer[0] = '\0';
	memset(answer, 0, sizeof(answer));
	vt_set_output(vt, collect, NULL);
	feed(vt, "\x1b[3;7H\x1b[6n");
	ck_assert_str_eq(answer, "\x1b[3;7R");
	vt_free(vt);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_vt");
	TCase *tc = tcase_create("vt");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_text_and_cursor_movement);
	tcase_add_test(tc, test_attributes_and_colours);
	tcase_add_test(tc, test_non_utf8_locale_gets_ascii);
	tcase_add_test(tc, test_scrollback_is_bounded_and_scrolls);
	tcase_add_test(tc, test_resize_relays_out);
	tcase_add_test(tc, test_cursor_position_report_answers_the_guest);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
