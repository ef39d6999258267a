/* The sample rings behind the TUI's graphs (tui/history.c): what a graph
 * shows is the newest HISTORY_LEN samples, oldest first. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "history.h"

START_TEST(test_empty_ring_reads_zero)
{
	struct history h = {0};

	ck_assert_int_eq(h.count, 0);
	ck_assert(history_get(&h, 0) == 0);
	ck_assert(history_last(&h) == 0);
	ck_assert(history_max(&h, 0) == 0);
}
END_TEST

START_TEST(test_samples_come_back_oldest_first)
{
	struct history h = {0};

	history_push(&h, 10);
	history_push(&h, 20);
	history_push(&h, 30);
	ck_assert_int_eq(h.count, 3);
	ck_assert(history_get(&h, 0) == 10);
	ck_assert(history_get(&h, 1) == 20);
	ck_assert(history_get(&h, 2) == 30);
	ck_assert(history_last(&h) == 30);
	/* Out of range reads are 0, never memory outside the ring. */
	ck_assert(history_get(&h, 3) == 0);
	ck_assert(history_get(&h, -1) == 0);
}
END_TEST

START_TEST(test_full_ring_keeps_the_newest)
{
	struct history h = {0};
	int total = HISTORY_LEN * 2 + 7;

	for (int i = 0; i < total; i++)
		history_push(&h, (float)i);
	ck_assert_int_eq(h.count, HISTORY_LEN);
	/* The oldest kept is total - HISTORY_LEN, in order up to the newest. */
	for (int i = 0; i < HISTORY_LEN; i++)
		ck_assert(history_get(&h, i) == (float)(total - HISTORY_LEN + i));
	ck_assert(history_last(&h) == (float)(total - 1));
}
END_TEST

START_TEST(test_max_of_the_newest)
{
	struct history h = {0};

	history_push(&h, 90);
	history_push(&h, 5);
	history_push(&h, 40);
	history_push(&h, 7);
	ck_assert(history_max(&h, 0) == 90);
	/* A graph 3 cells wide scales to what it shows, not to an old peak. */
	ck_assert(history_max(&h, 3) == 40);
	ck_assert(history_max(&h, 1) == 7);
	ck_assert(history_max(&h, 100) == 90);
}
END_TEST

START_TEST(test_nan_is_stored_as_zero)
{
	struct history h = {0};

	history_push(&h, 3);
	history_push(&h, NAN);
	ck_assert(history_last(&h) == 0);
	ck_assert(history_max(&h, 0) == 3);
}
END_TEST

START_TEST(test_clear_empties)
{
	struct history h = {0};

	history_push(&h, 1);
	history_push(&h, 2);
	history_clear(&h);
	ck_assert_int_eq(h.count, 0);
	ck_assert(history_last(&h) == 0);
	history_push(&h, 5);
	ck_assert_int_eq(h.count, 1);
	ck_assert(history_get(&h, 0) == 5);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_history");
	TCase *tc = tcase_create("ring");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_empty_ring_reads_zero);
	tcase_add_test(tc, test_samples_come_back_oldest_first);
	tcase_add_test(tc, test_full_ring_keeps_the_newest);
	tcase_add_test(tc, test_max_of_the_newest);
	tcase_add_test(tc, test_nan_is_stored_as_zero);
	tcase_add_test(tc, test_clear_empties);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
