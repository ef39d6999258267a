/* The main window's list logic (tui/vmlist.c): which columns a terminal
 * width shows, filter and sort, marks for bulk actions, which VMs an
 * action applies to, and the short figures the narrow columns show. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vmlist.h"

static struct tui_vm vm_make(const char *name, enum vm_state state, double cpu, uint64_t mem_mib,
			     uint64_t uptime_ms)
{
	struct tui_vm vm;

	memset(&vm, 0, sizeof(vm));
	snprintf(vm.info.name, sizeof(vm.info.name), "%s", name);
	vm.info.state = state;
	vm.info.vcpus = 1;
	vm.info.memory_mib = mem_mib;
	vm.info.uptime_ms = uptime_ms;
	vm.cpu_percent = cpu;
	vm.has_stats = state == VM_STATE_RUNNING;
	return vm;
}

static bool layout_has(const struct vmlist_layout *l, enum vmlist_col c)
{
	return vmlist_layout_find(l, c) >= 0;
}

/* Columns never overlap and stay inside the width. */
static void layout_check_geometry(const struct vmlist_layout *l, int width)
{
	int end = VMLIST_GUTTER;

	for (int i = 0; i < l->ncols; i++) {
		ck_assert_int_ge(l->cols[i].x, end);
		ck_assert_int_gt(l->cols[i].width, 0);
		end = l->cols[i].x + l->cols[i].width;
	}
	ck_assert_int_le(end, width);
}

START_TEST(test_layout_200_shows_everything)
{
	struct vmlist_layout l;

	vmlist_layout(200, &l);
	ck_assert_int_eq(l.ncols, VMLIST_NCOLS);
	layout_check_geometry(&l, 200);
	/* Columns in their fixed order: name first. */
	ck_assert_int_eq(l.cols[0].col, VMLIST_COL_NAME);
	ck_assert_int_eq(l.cols[1].col, VMLIST_COL_STATE);
	/* The spare room widens the name, then the graph up to the whole
	 * history (two samples per braille cell). */
	ck_assert_int_ge(l.cols[vmlist_layout_find(&l, VMLIST_COL_NAME)].width, 32);
	ck_assert_int_eq(l.cols[vmlist_layout_find(&l, VMLIST_COL_GRAPH)].width, HISTORY_LEN / 2);
	/* Nothing wasted: the last column ends at the right edge. */
	ck_assert_int_eq(l.cols[l.ncols - 1].x + l.cols[l.ncols - 1].width, 200);
}
END_TEST

START_TEST(test_layout_80_drops_network_first)
{
	struct vmlist_layout l;

	vmlist_layout(80, &l);
	layout_check_geometry(&l, 80);
	ck_assert(!layout_has(&l, VMLIST_COL_NET));
	ck_assert(layout_has(&l, VMLIST_COL_NAME));
	ck_assert(layout_has(&l, VMLIST_COL_STATE));
	ck_assert(layout_has(&l, VMLIST_COL_CPU));
	ck_assert(layout_has(&l, VMLIST_COL_GRAPH));
	ck_assert(layout_has(&l, VMLIST_COL_MEM));
	ck_assert(layout_has(&l, VMLIST_COL_DISK));
	ck_assert(layout_has(&l, VMLIST_COL_UPTIME));
	/* "shutting down" fits in the state column. */
	ck_assert_int_ge(l.cols[vmlist_layout_find(&l, VMLIST_COL_STATE)].width,
			 (int)strlen("shutting down"));
}
END_TEST

START_TEST(test_layout_drop_order_when_narrower)
{
	struct vmlist_layout l;
	/* Dropped in this order as the terminal narrows. */
	static const enum vmlist_col order[] = {
	    VMLIST_COL_NET,   VMLIST_COL_DISK, VMLIST_COL_UPTIME, VMLIST_COL_GRAPH,
	    VMLIST_COL_VCPUS, VMLIST_COL_MEM,  VMLIST_COL_CPU};
	int dropped_at[VMLIST_NCOLS] = {0};

	for (int w = 200; w >= 20; w--) {
		vmlist_layout(w, &l);
		if (w >= 32)
			layout_check_geometry(&l, w);
		for (int c = 0; c < VMLIST_NCOLS; c++)
			if (!layout_has(&l, c) && !dropped_at[c])
				dropped_at[c] = w;
		/* Once dropped, a column stays dropped at smaller widths. */
		for (int c = 0; c < VMLIST_NCOLS; c++)
			if (dropped_at[c] && dropped_at[c] > w)
				ck_assert(!layout_has(&l, c));
		ck_assert(layout_has(&l, VMLIST_COL_NAME));
		ck_assert(layout_has(&l, VMLIST_COL_STATE));
	}
	for (size_t i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++) {
		ck_assert_int_gt(dropped_at[order[i]], 0);
		ck_assert_int_ge(dropped_at[order[i]], dropped_at[order[i + 1]]);
	}
}
END_TEST

START_TEST(test_filter_is_case_insensitive_substring)
{
	ck_assert(vmlist_filter_match("web-01", ""));
	ck_assert(vmlist_filter_match("web-01", "web"));
	ck_assert(vmlist_filter_match("web-01", "B-0"));
	ck_assert(vmlist_filter_match("Database", "base"));
	ck_assert(!vmlist_filter_match("web-01", "db"));
	ck_assert(!vmlist_filter_match("ab", "abc"));
}
END_TEST

START_TEST(test_rows_filter_and_sort)
{
	struct tui_vm vms[4];
	int rows[4], n;

	vms[0] = vm_make("web", VM_STATE_RUNNING, 50, 512, 1000);
	vms[1] = vm_make("db", VM_STATE_SHUTOFF, 0, 2048, 0);
	vms[2] = vm_make("cache", VM_STATE_RUNNING, 80, 256, 5000);
	vms[3] = vm_make("web2", VM_STATE_PAUSED, 0, 512, 3000);

	n = vmlist_rows(vms, 4, "", VMLIST_COL_NAME, false, rows);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(vms[rows[0]].info.name, "cache");
	ck_assert_str_eq(vms[rows[1]].info.name, "db");
	ck_assert_str_eq(vms[rows[2]].info.name, "web");
	ck_assert_str_eq(vms[rows[3]].info.name, "web2");

	n = vmlist_rows(vms, 4, "", VMLIST_COL_NAME, true, rows);
	ck_assert_str_eq(vms[rows[0]].info.name, "web2");
	ck_assert_str_eq(vms[rows[3]].info.name, "cache");

	/* Busiest first, as htop shows. */
	n = vmlist_rows(vms, 4, "", VMLIST_COL_CPU, true, rows);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(vms[rows[0]].info.name, "cache");
	ck_assert_str_eq(vms[rows[1]].info.name, "web");

	/* Memory ascending; equal memory falls back to the name. */
	n = vmlist_rows(vms, 4, "", VMLIST_COL_MEM, false, rows);
	ck_assert_str_eq(vms[rows[0]].info.name, "cache");
	ck_assert_str_eq(vms[rows[1]].info.name, "web");
	ck_assert_str_eq(vms[rows[2]].info.name, "web2");
	ck_assert_str_eq(vms[rows[3]].info.name, "db");

	/* State: running ones first, shut off last. */
	n = vmlist_rows(vms, 4, "", VMLIST_COL_STATE, false, rows);
	ck_assert_int_eq(vms[rows[0]].info.state, VM_STATE_RUNNING);
	ck_assert_int_eq(vms[rows[1]].info.state, VM_STATE_RUNNING);
	ck_assert_str_eq(vms[rows[2]].info.name, "web2");
	ck_assert_str_eq(vms[rows[3]].info.name, "db");

	/* Descending CPU%: VMs without figures last, in name order. */
	n = vmlist_rows(vms, 4, "", VMLIST_COL_CPU, true, rows);
	ck_assert_str_eq(vms[rows[2]].info.name, "db");
	ck_assert_str_eq(vms[rows[3]].info.name, "web2");

	n = vmlist_rows(vms, 4, "WEB", VMLIST_COL_UPTIME, true, rows);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(vms[rows[0]].info.name, "web2");
	ck_assert_str_eq(vms[rows[1]].info.name, "web");

	n = vmlist_rows(vms, 4, "nothing", VMLIST_COL_NAME, false, rows);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_rows_many_vms)
{
	int n = 300;
	struct tui_vm *vms = calloc((size_t)n, sizeof(*vms));
	int *rows = calloc((size_t)n, sizeof(*rows));
	char name[32];

	ck_assert_ptr_nonnull(vms);
	ck_assert_ptr_nonnull(rows);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "vm%03d", (i * 7) % n);
		vms[i] = vm_make(name, VM_STATE_SHUTOFF, 0, 64, 0);
	}
	ck_assert_int_eq(vmlist_rows(vms, n, "", VMLIST_COL_NAME, false, rows), n);
	for (int i = 1; i < n; i++)
		ck_assert_int_lt(strcmp(vms[rows[i - 1]].info.name, vms[rows[i]].info.name), 0);
	free(vms);
	free(rows);
}
END_TEST

START_TEST(test_sort_column_cycles_and_skips_the_graph)
{
	enum vmlist_col c = VMLIST_COL_NAME;
	bool seen[VMLIST_NCOLS] = {false};

	for (int i = 0; i < VMLIST_NCOLS; i++) {
		c = vmlist_sort_next(c, 1);
		ck_assert_int_ne(c, VMLIST_COL_GRAPH);
		seen[c] = true;
	}
	ck_assert(seen[VMLIST_COL_CPU]);
	ck_assert(seen[VMLIST_COL_NAME]);
	/* Back and forth returns where it started. */
	ck_assert_int_eq(vmlist_sort_next(vmlist_sort_next(VMLIST_COL_CPU, 1), -1), VMLIST_COL_CPU);
	ck_assert_int_eq(vmlist_sort_next(VMLIST_COL_NAME, -1), VMLIST_COL_UPTIME);
}
END_TEST

START_TEST(test_marks_follow_names)
{
	struct vmlist_marks m = {0};
	struct tui_vm vms[2];

	ck_assert(vmlist_toggle_mark(&m, "a"));
	ck_assert(vmlist_toggle_mark(&m, "b"));
	ck_assert(vmlist_is_marked(&m, "a"));
	ck_assert_int_eq(vmlist_mark(&m, "a"), 0); /* marking twice keeps one */
	ck_assert_int_eq(m.n, 2);
	ck_assert(!vmlist_toggle_mark(&m, "a"));
	ck_assert(!vmlist_is_marked(&m, "a"));
	ck_assert(vmlist_is_marked(&m, "b"));

	/* A marked VM that was deleted elsewhere is forgotten. */
	vmlist_toggle_mark(&m, "c");
	vms[0] = vm_make("c", VM_STATE_SHUTOFF, 0, 64, 0);
	vms[1] = vm_make("d", VM_STATE_SHUTOFF, 0, 64, 0);
	vmlist_prune_marks(&m, vms, 2);
	ck_assert_int_eq(m.n, 1);
	ck_assert(vmlist_is_marked(&m, "c"));
	ck_assert(!vmlist_is_marked(&m, "b"));

	for (int i = 0; i < 100; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vm%d", i);
		ck_assert_int_eq(vmlist_mark(&m, name), 0);
	}
	ck_assert_int_eq(m.n, 101);
	vmlist_clear_marks(&m);
	ck_assert_int_eq(m.n, 0);
	ck_assert(!vmlist_is_marked(&m, "c"));
	vmlist_free_marks(&m);
}
END_TEST

START_TEST(test_bulk_actions_apply_by_state)
{
	ck_assert(vmlist_action_applies(TUI_ACTION_START, VM_STATE_SHUTOFF));
	ck_assert(vmlist_action_applies(TUI_ACTION_START, VM_STATE_CRASHED));
	ck_assert(!vmlist_action_applies(TUI_ACTION_START, VM_STATE_RUNNING));
	ck_assert(vmlist_action_applies(TUI_ACTION_SHUTDOWN, VM_STATE_RUNNING));
	ck_assert(!vmlist_action_applies(TUI_ACTION_SHUTDOWN, VM_STATE_SHUTOFF));
	ck_assert(vmlist_action_applies(TUI_ACTION_PAUSE, VM_STATE_RUNNING));
	ck_assert(!vmlist_action_applies(TUI_ACTION_PAUSE, VM_STATE_PAUSED));
	ck_assert(vmlist_action_applies(TUI_ACTION_RESUME, VM_STATE_PAUSED));
	ck_assert(vmlist_action_applies(TUI_ACTION_DESTROY, VM_STATE_UNKNOWN));
	ck_assert(!vmlist_action_applies(TUI_ACTION_DESTROY, VM_STATE_SHUTOFF));
	/* A running VM is never deleted from under itself. */
	ck_assert(!vmlist_action_applies(TUI_ACTION_UNDEFINE, VM_STATE_RUNNING));
	ck_assert(vmlist_action_applies(TUI_ACTION_UNDEFINE, VM_STATE_SHUTOFF));
}
END_TEST

START_TEST(test_short_figures)
{
	char buf[16];

	vmlist_format_short(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0");
	vmlist_format_short(512, buf, sizeof(buf));
	ck_assert_str_eq(buf, "512");
	vmlist_format_short(1536, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.5K");
	vmlist_format_short(512.0 * 1024 * 1024, buf, sizeof(buf));
	ck_assert_str_eq(buf, "512M");
	vmlist_format_short(16.0 * 1024 * 1024 * 1024, buf, sizeof(buf));
	ck_assert_str_eq(buf, "16G");
	vmlist_format_short(12.3 * 1024 * 1024, buf, sizeof(buf));
	ck_assert_str_eq(buf, "12M");
	/* Always short enough for "R/W" in the 11-cell columns. */
	vmlist_format_short(999.9 * 1024 * 1024 * 1024, buf, sizeof(buf));
	ck_assert_int_le((int)strlen(buf), 5);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_vmlist");
	TCase *layout = tcase_create("layout"), *rows = tcase_create("rows");
	TCase *marks = tcase_create("marks");
	SRunner *sr;
	int failed;

	tcase_add_test(layout, test_layout_200_shows_everything);
	tcase_add_test(layout, test_layout_80_drops_network_first);
	tcase_add_test(layout, test_layout_drop_order_when_narrower);
	tcase_add_test(rows, test_filter_is_case_insensitive_substring);
	tcase_add_test(rows, test_rows_filter_and_sort);
	tcase_add_test(rows, test_rows_many_vms);
	tcase_add_test(rows, test_sort_column_cycles_and_skips_the_graph);
	tcase_add_test(marks, test_marks_follow_names);
	tcase_add_test(marks, test_bulk_actions_apply_by_state);
	tcase_add_test(marks, test_short_figures);
	suite_add_tcase(s, layout);
	suite_add_tcase(s, rows);
	suite_add_tcase(s, marks);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
