/* Unit tests for the host dashboard's layout (tui/screen-host-layout.c):
 * at 80x24, 200x60 and odd sizes, with 1 to 256 cores, every part stays
 * inside the window, nothing overlaps, and what a user needs is shown. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "screen-host.h"

/* The main window of a terminal: title, status line and key bar taken. */
#define ROWS(term_rows) ((term_rows)-3)

static struct host_rect title_line(const struct host_rect *s)
{
	return (struct host_rect){s->y, s->x, s->h ? 1 : 0, s->w};
}

static bool overlap(const struct host_rect *a, const struct host_rect *b)
{
	if (!a->h || !b->h)
		return false;
	return a->y < b->y + b->h && b->y < a->y + a->h && a->x < b->x + b->w && b->x < a->x + a->w;
}

/* Every drawn rectangle is inside h x w and none overlaps another. */
static void check_sane(int h, int w, int ncpus)
{
	struct host_layout l;
	struct host_rect r[13];
	const char *names[13] = {"cpu title", "cpu_total", "cores",	 "mem title", "mem_bar",
				 "swap_bar",  "mem_graph", "disk title", "disk_rd",   "disk_wr",
				 "net title", "net_rx",	   "net_tx"};
	int i, j;

	screen_host_layout(h, w, ncpus, &l);
	r[0] = title_line(&l.cpu);
	r[1] = l.cpu_total;
	r[2] = l.cores;
	r[3] = title_line(&l.mem);
	r[4] = l.mem_bar;
	r[5] = l.swap_bar;
	r[6] = l.mem_graph;
	r[7] = title_line(&l.disk);
	r[8] = l.disk_rd;
	r[9] = l.disk_wr;
	r[10] = title_line(&l.net);
	r[11] = l.net_rx;
	r[12] = l.net_tx;
	for (i = 0; i < 13; i++) {
		if (!r[i].h)
			continue;
		ck_assert_msg(r[i].y >= 0 && r[i].x >= 0 && r[i].y + r[i].h <= h &&
				  r[i].x + r[i].w <= w && r[i].w > 0,
			      "%dx%d, %d cores: %s (%d,%d %dx%d) outside", w, h, ncpus, names[i],
			      r[i].y, r[i].x, r[i].h, r[i].w);
		for (j = i + 1; j < 13; j++)
			ck_assert_msg(!overlap(&r[i], &r[j]), "%dx%d, %d cores: %s overlaps %s", w,
				      h, ncpus, names[i], names[j]);
	}
	if (l.cores_mode != HOST_CORES_NONE) {
		ck_assert_int_le(l.core_rows * l.core_h, l.cores.h);
		ck_assert_int_le(l.core_cols * l.core_w, l.cores.w);
		ck_assert_int_le(l.cores_shown, ncpus);
		ck_assert_int_le(l.cores_shown, l.core_rows * l.core_cols);
		ck_assert_int_ge(l.cores_shown, 0);
	}
}

START_TEST(test_all_sizes_sane)
{
	static const int sizes[][2] = {{80, ROWS(24)}, {200, ROWS(60)}, {120, 30}, {119, 30},
				       {40, 10},       {20, 5},		{10, 3},   {1, 1},
				       {300, 100},     {80, 4},		{150, 11}, {0, 0}};
	static const int cpus[] = {1, 2, 3, 4, 8, 16, 64, 256};
	size_t i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (j = 0; j < sizeof(cpus) / sizeof(cpus[0]); j++)
			check_sane(sizes[i][1], sizes[i][0], cpus[j]);
}
END_TEST

START_TEST(test_80x24_shows_everything)
{
	struct host_layout l;

	/* This machine's shape: 2 cores. A graph per core, and every section
	 * with a graph of its own. */
	screen_host_layout(ROWS(24), 80, 2, &l);
	ck_assert(!l.two_columns);
	ck_assert_int_eq(l.cores_mode, HOST_CORES_TILES);
	ck_assert_int_eq(l.cores_shown, 2);
	ck_assert_int_ge(l.core_h, 2); /* label + at least a row of graph */
	ck_assert_int_ge(l.cpu_total.h, 2);
	ck_assert_int_eq(l.mem_bar.h, 1);
	ck_assert_int_eq(l.swap_bar.h, 1);
	ck_assert_int_ge(l.mem_graph.h, 1);
	ck_assert_int_ge(l.disk_rd.h, 1);
	ck_assert_int_ge(l.disk_wr.h, 1);
	ck_assert_int_ge(l.net_rx.h, 1);
	ck_assert_int_ge(l.net_tx.h, 1);
	ck_assert_int_ge(l.disk_rd.w, 30);

	/* 16 cores: bars, all of them. */
	screen_host_layout(ROWS(24), 80, 16, &l);
	ck_assert_int_eq(l.cores_mode, HOST_CORES_BARS);
	ck_assert_int_eq(l.cores_shown, 16);
	ck_assert_int_ge(l.cpu_total.h, 1);

	/* 64 cores do not fit in 80x24: as many as fit, and "+N more". */
	screen_host_layout(ROWS(24), 80, 64, &l);
	ck_assert_int_eq(l.cores_mode, HOST_CORES_BARS);
	ck_assert_int_lt(l.cores_shown, 64);
	ck_assert_int_ge(l.cores_shown, 20);
	ck_assert_int_ge(l.disk_rd.h, 1);
	ck_assert_int_ge(l.net_rx.h, 1);
}
END_TEST

START_TEST(test_200x60_uses_the_room)
{
	struct host_layout small, big;

	screen_host_layout(ROWS(24), 80, 2, &small);
	screen_host_layout(ROWS(60), 200, 2, &big);
	ck_assert(big.two_columns);
	ck_assert_int_gt(big.cpu_total.h * big.cpu_total.w,
			 3 * small.cpu_total.h * small.cpu_total.w);
	ck_assert_int_gt(big.core_h, small.core_h);
	ck_assert_int_gt(big.mem_graph.h, small.mem_graph.h);
	ck_assert_int_gt(big.disk_rd.h, small.disk_rd.h);
	/* The right column starts after the CPU column. */
	ck_assert_int_ge(big.mem.x, big.cpu.x + big.cpu.w);

	/* 256 cores fit at 200x60. */
	screen_host_layout(ROWS(60), 200, 256, &big);
	ck_assert_int_eq(big.cores_shown, 256);
	/* 64 cores at 200x60 still get a graph each. */
	screen_host_layout(ROWS(60), 200, 64, &big);
	ck_assert_int_eq(big.cores_mode, HOST_CORES_TILES);
	ck_assert_int_eq(big.cores_shown, 64);
}
END_TEST

START_TEST(test_tiny_degrades)
{
	struct host_layout l;

	/* 10 rows: memory keeps its bar; nothing is drawn off-screen. */
	screen_host_layout(10, 40, 4, &l);
	ck_assert_int_eq(l.mem_bar.h, 1);
	ck_assert_int_ge(l.cpu.h, 3);
	screen_host_layout(0, 0, 4, &l);
	ck_assert_int_eq(l.cpu.h, 0);
	ck_assert_int_eq(l.mem.h, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_host_layout");
	TCase *tc = tcase_create("layout");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_all_sizes_sane);
	tcase_add_test(tc, test_80x24_shows_everything);
	tcase_add_test(tc, test_200x60_uses_the_room);
	tcase_add_test(tc, test_tiny_degrades);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
