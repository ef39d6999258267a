/* Unit tests for the graph widget (tui/graph.c): samples become the exact
 * characters of each style (braille, eighth blocks, ASCII), scaled to the
 * maximum, coloured low/mid/high, right-aligned, and graph_draw puts the
 * same cells into a curses window. */
#include <check.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

#define MAXCELLS 64

static struct graph_cell cells[MAXCELLS];

/* The h x w cells as text, rows separated by '/'. */
static const char *cells_text(int h, int w)
{
	static char buf[MAXCELLS * 8 + 16];
	int r, c;

	buf[0] = '\0';
	for (r = 0; r < h; r++) {
		if (r)
			strcat(buf, "/");
		for (c = 0; c < w; c++)
			strcat(buf, cells[r * w + c].ch);
	}
	return buf;
}

static void render(const float *s, int n, int h, int w, float max, enum graph_style style)
{
	memset(cells, 0x55, sizeof(cells)); /* no stale "blank" to hide a missed cell */
	graph_render_cells(s, n, h, w, max, style, cells);
}

START_TEST(test_ascii_levels_and_roles)
{
	const float s[] = {0, 25, 50, 100};

	render(s, 4, 1, 4, 100, GRAPH_ASCII);
	ck_assert_str_eq(cells_text(1, 4), " .:#");
	ck_assert_int_eq(cells[0].role, THEME_NORMAL);
	ck_assert_int_eq(cells[1].role, THEME_GRAPH_LOW);
	ck_assert_int_eq(cells[2].role, THEME_GRAPH_MID);
	ck_assert_int_eq(cells[3].role, THEME_GRAPH_HIGH);
}
END_TEST

START_TEST(test_block_eighths)
{
	const float s[] = {1, 2, 3, 4, 5, 6, 7, 8};

	render(s, 8, 1, 8, 8, GRAPH_BLOCK);
	ck_assert_str_eq(cells_text(1, 8), "▁▂▃▄▅▆▇█");
	ck_assert_int_eq(cells[0].role, THEME_GRAPH_LOW);  /* 1/8 */
	ck_assert_int_eq(cells[4].role, THEME_GRAPH_MID);  /* 5/8 */
	ck_assert_int_eq(cells[7].role, THEME_GRAPH_HIGH); /* 8/8 */
}
END_TEST

START_TEST(test_braille_two_samples_per_cell)
{
	/* Oldest first: the left cell holds 4 (left dots) and 0, the right
	 * cell 1 (left) and 2 (right, the newest). */
	const float s[] = {4, 0, 1, 2};

	render(s, 4, 1, 2, 4, GRAPH_BRAILLE);
	ck_assert_str_eq(cells_text(1, 2), "⡇⣠");
	ck_assert_int_eq(cells[0].role, THEME_GRAPH_HIGH);
	ck_assert_int_eq(cells[1].role, THEME_GRAPH_MID);

	/* One sample only: the right dot column of the rightmost cell. */
	render((const float[]){4}, 1, 1, 2, 4, GRAPH_BRAILLE);
	ck_assert_str_eq(cells_text(1, 2), " ⢸");
}
END_TEST

START_TEST(test_multi_row_gradient)
{
	/* 6 of 8 over two ASCII rows: a full bottom cell, a half top cell. */
	render((const float[]){6}, 1, 2, 1, 8, GRAPH_ASCII);
	ck_assert_str_eq(cells_text(2, 1), ":/#");
	ck_assert_int_eq(cells[0].role, THEME_GRAPH_HIGH); /* top reaches 75% */
	ck_assert_int_eq(cells[1].role, THEME_GRAPH_MID);  /* bottom reaches 50% */

	/* A full column over three braille rows: one role per third. */
	render((const float[]){12, 12}, 2, 3, 1, 12, GRAPH_BRAILLE);
	ck_assert_str_eq(cells_text(3, 1), "⣿/⣿/⣿");
	ck_assert_int_eq(cells[0].role, THEME_GRAPH_HIGH);
	ck_assert_int_eq(cells[1].role, THEME_GRAPH_MID);
	ck_assert_int_eq(cells[2].role, THEME_GRAPH_LOW);

	/* Two rows of blocks: 12 of 16 eighths. */
	render((const float[]){12}, 1, 2, 1, 16, GRAPH_BLOCK);
	ck_assert_str_eq(cells_text(2, 1), "▄/█");
}
END_TEST

START_TEST(test_scaling)
{
	/* max <= 0: scale to the largest sample shown. */
	render((const float[]){2, 4}, 2, 1, 2, 0, GRAPH_ASCII);
	ck_assert_str_eq(cells_text(1, 2), ":#");
	/* Only the samples shown count: the 1000 scrolled out. */
	render((const float[]){1000, 2, 4}, 3, 1, 2, 0, GRAPH_ASCII);
	ck_assert_str_eq(cells_text(1, 2), ":#");
	/* The same samples against a fixed scale of 100. */
	render((const float[]){50, 100}, 2, 1, 2, 200, GRAPH_ASCII);
	ck_assert_str_eq(cells_text(1, 2), ".:");
	/* Above the scale is a full column; a tiny value still shows. */
	render((const float[]){500, 0.5f}, 2, 1, 2, 100, GRAPH_ASCII);
	ck_assert_str_eq(cells_text(1, 2), "#.");
	/* Negative and NaN samples are blank, not garbage. */
	render((const float[]){-5, NAN}, 2, 1, 2, 100, GRAPH_ASCII);
	ck_assert_str_eq(cells_text(1, 2), "  ");
	/* All zero with an automatic scale: blank, no division by zero. */
	render((const float[]){0, 0}, 2, 1, 2, 0, GRAPH_BLOCK);
	ck_assert_str_eq(cells_text(1, 2), "  ");
}
END_TEST

START_TEST(test_empty_and_short_history)
{
	render(NULL, 0, 2, 3, 100, GRAPH_BRAILLE);
	ck_assert_str_eq(cells_text(2, 3), "   /   ");
	ck_assert_int_eq(cells[0].role, THEME_NORMAL);
	/* Two samples in five columns: right-aligned, the rest blank. */
	render((const float[]){100, 100}, 2, 1, 5, 100, GRAPH_ASCII);
	ck_assert_str_eq(cells_text(1, 5), "   ##");
	/* More samples than columns: the newest win. */
	render((const float[]){100, 100, 100, 0, 50}, 5, 1, 2, 100, GRAPH_ASCII);
	ck_assert_str_eq(cells_text(1, 2), " :");
}
END_TEST

START_TEST(test_default_style_follows_locale)
{
	ck_assert_ptr_nonnull(setlocale(LC_ALL, "C"));
	ck_assert_int_eq(graph_default_style(), GRAPH_ASCII);
	if (!setlocale(LC_ALL, "C.UTF-8"))
		return; /* no UTF-8 locale on this machine: nothing more to see */
	ck_assert_int_eq(graph_default_style(), GRAPH_BRAILLE);
	setlocale(LC_ALL, "C");
}
END_TEST

/* graph_draw puts the rendered cells into a window, clipped to it. */
START_TEST(test_draw_into_window)
{
	FILE *tty = fopen("/dev/null", "r+"); /* output and input */
	struct history h;
	SCREEN *scr;
	WINDOW *win;
	char err[256];
	int i;

	setlocale(LC_ALL, "C.UTF-8");
	scr = newterm("xterm-256color", tty, tty);
	ck_assert_ptr_nonnull(scr);
	start_color();
	theme_load("dark", err, sizeof(err));
	win = newwin(4, 10, 0, 0);
	ck_assert_ptr_nonnull(win);

	history_clear(&h);
	for (i = 0; i < 3; i++)
		history_push(&h, (float)(i + 1) * 25); /* 25 50 75 */
	werase(win);
	/* Asked for 6 columns from x = 6 of a 10-column window: 4 drawn. */
	graph_draw(win, 1, 6, 1, 6, &h, 100, GRAPH_ASCII);
	for (i = 0; i < 4; i++) {
		chtype ch = mvwinch(win, 1, 6 + i);
		const char expect[] = " .:|";

		ck_assert_int_eq((int)(ch & A_CHARTEXT), expect[i]);
	}
	ck_assert_int_eq((int)(mvwinch(win, 1, 9) & A_COLOR),
			 (int)(theme_attr(THEME_GRAPH_HIGH) & A_COLOR));
	ck_assert_int_eq((int)(mvwinch(win, 1, 7) & A_COLOR),
			 (int)(theme_attr(THEME_GRAPH_LOW) & A_COLOR));
	ck_assert_int_ne(theme_attr(THEME_GRAPH_LOW) & A_COLOR,
			 theme_attr(THEME_GRAPH_HIGH) & A_COLOR);
	/* Nothing outside the asked rectangle was touched. */
	ck_assert_int_eq((int)(mvwinch(win, 0, 9) & A_CHARTEXT), ' ');
	ck_assert_int_eq((int)(mvwinch(win, 2, 9) & A_CHARTEXT), ' ');

	delwin(win);
	endwin();
	delscreen(scr);
	fclose(tty);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_graph");
	TCase *tc = tcase_create("graph");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_ascii_levels_and_roles);
	tcase_add_test(tc, test_block_eighths);
	tcase_add_test(tc, test_braille_two_samples_per_cell);
	tcase_add_test(tc, test_multi_row_gradient);
	tcase_add_test(tc, test_scaling);
	tcase_add_test(tc, test_empty_and_short_history);
	tcase_add_test(tc, test_default_style_follows_locale);
	tcase_add_test(tc, test_draw_into_window);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
