/* tui/connlist.c: the connection list kept in the config file beside the
 * theme, URI checks, and the reconnect delays. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connlist.h"

START_TEST(test_uri_checks)
{
	char err[256];

	ck_assert(connlist_uri_valid("qemu:///system", err, sizeof(err)));
	ck_assert(connlist_uri_valid("qemu+ssh://root@host/system", err, sizeof(err)));
	ck_assert(connlist_uri_valid("test:///default", err, sizeof(err)));
	ck_assert(!connlist_uri_valid("", err, sizeof(err)));
	ck_assert(strstr(err, "qemu:///system"));
	ck_assert(!connlist_uri_valid("qemu:///sys tem", err, sizeof(err)));
	ck_assert(strstr(err, "spaces"));
	ck_assert(!connlist_uri_valid("local", err, sizeof(err)));
	ck_assert(!connlist_uri_valid("nocolon", err, sizeof(err)));
	ck_assert(!connlist_uri_valid(":///x", err, sizeof(err)));
	ck_assert(!connlist_uri_valid("qe mu:x", err, sizeof(err)));
	ck_assert(!connlist_uri_valid("q/x:///y", err, sizeof(err)));
}
END_TEST

START_TEST(test_parse_keeps_order_and_skips_bad)
{
	char uris[8][CONNLIST_URI_MAX];
	const char *text = "[ui]\ntheme = dark\nuri = not:ours\n"
			   "[connections]\n"
			   "uri = qemu:///system\n"
			   "  uri=test:///default  \n"
			   "; a comment\n"
			   "uri = has space:x\n"
			   "uri = qemu:///system\n"
			   "other = 1\n"
			   "uri = qemu+ssh://root@h/system\n"
			   "[later]\nuri = after:///x\n";

	ck_assert_int_eq(connlist_parse(text, uris, 8), 3);
	ck_assert_str_eq(uris[0], "qemu:///system");
	ck_assert_str_eq(uris[1], "test:///default");
	ck_assert_str_eq(uris[2], "qemu+ssh://root@h/system");
	ck_assert_int_eq(connlist_parse(text, uris, 2), 2);
	ck_assert_int_eq(connlist_parse("", uris, 8), 0);
	ck_assert_int_eq(connlist_parse("[connections]", uris, 8), 0);
}
END_TEST

START_TEST(test_render_keeps_other_keys)
{
	char uris[2][CONNLIST_URI_MAX] = {"test:///default", "qemu:///system"};
	char back[4][CONNLIST_URI_MAX];
	char *out;

	/* No section yet: added at the end, the theme untouched. */
	out = connlist_render("[ui]\ntheme = light", (const char(*)[CONNLIST_URI_MAX])uris, 2);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, "[ui]\ntheme = light\n\n[connections]\nuri = test:///default\n"
			      "uri = qemu:///system\n");
	ck_assert_int_eq(connlist_parse(out, back, 4), 2);
	ck_assert_str_eq(back[1], "qemu:///system");
	free(out);

	/* A section in the middle is replaced where it is. */
	out = connlist_render("[connections]\nuri = old:///x\n[ui]\ntheme = dark\n",
			      (const char(*)[CONNLIST_URI_MAX])uris, 1);
	ck_assert_str_eq(out, "[connections]\nuri = test:///default\n[ui]\ntheme = dark\n");
	free(out);

	/* None left: the section goes, the rest stays. */
	out = connlist_render("# mine\n[connections]\nuri = old:///x\n[ui]\ntheme = dark\n",
			      (const char(*)[CONNLIST_URI_MAX])uris, 0);
	ck_assert_str_eq(out, "# mine\n[ui]\ntheme = dark\n");
	free(out);
}
END_TEST

START_TEST(test_save_and_load)
{
	char dir[] = "/tmp/virtty-connlist.XXXXXX", path[512], err[256], text[512];
	char uris[2][CONNLIST_URI_MAX] = {"test:///default", "qemu+ssh://root@h/system"};
	char back[4][CONNLIST_URI_MAX];
	FILE *fp;
	size_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("XDG_CONFIG_HOME", dir, 1);
	ck_assert_int_eq(connlist_load(back, 4), 0); /* no file yet */
	/* The folder is created; the theme saved before stays. */
	snprintf(path, sizeof(path), "%s/virtty", dir);
	ck_assert_int_eq(connlist_save((const char(*)[CONNLIST_URI_MAX])uris, 1, err, sizeof(err)),
			 0);
	snprintf(path, sizeof(path), "%s/virtty/config", dir);
	fp = fopen(path, "w");
	fputs("[ui]\ntheme = mono\n[connections]\nuri = test:///default\n", fp);
	fclose(fp);
	ck_assert_int_eq(connlist_save((const char(*)[CONNLIST_URI_MAX])uris, 2, err, sizeof(err)),
			 0);
	ck_assert_int_eq(connlist_load(back, 4), 2);
	ck_assert_str_eq(back[0], "test:///default");
	ck_assert_str_eq(back[1], "qemu+ssh://root@h/system");
	fp = fopen(path, "r");
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	ck_assert(strstr(text, "theme = mono\n"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/virtty", dir);
	rmdir(path);
	rmdir(dir);

	/* Nowhere to save: said so. */
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	ck_assert_int_eq(connlist_save((const char(*)[CONNLIST_URI_MAX])uris, 1, err, sizeof(err)),
			 -ENOENT);
	ck_assert(strstr(err, "HOME"));
}
END_TEST

START_TEST(test_backoff_grows_to_a_minute)
{
	ck_assert_uint_eq(connlist_backoff_ms(1), 1000);
	ck_assert_uint_eq(connlist_backoff_ms(2), 2000);
	ck_assert_uint_eq(connlist_backoff_ms(3), 4000);
	ck_assert_uint_eq(connlist_backoff_ms(6), 32000);
	ck_assert_uint_eq(connlist_backoff_ms(7), 60000);
	ck_assert_uint_eq(connlist_backoff_ms(1000), 60000);
	for (unsigned i = 1; i < 20; i++)
		ck_assert_uint_le(connlist_backoff_ms(i), connlist_backoff_ms(i + 1));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_connlist");
	TCase *tc = tcase_create("connlist");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_uri_checks);
	tcase_add_test(tc, test_parse_keeps_order_and_skips_bad);
	tcase_add_test(tc, test_render_keeps_other_keys);
	tcase_add_test(tc, test_save_and_load);
	tcase_add_test(tc, test_backoff_grows_to_a_minute);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
