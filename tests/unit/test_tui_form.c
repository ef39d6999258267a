/* The form widget (tui/form.c) and the New VM wizard's checks
 * (tui/wizard-check.c): cursor editing, focus moves, the message a field
 * shows when left, and the message for each bad input a user may type. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "form.h"
#include "wizard-check.h"

#define GIB (1ULL << 30)

static void type(struct form *form, const char *s)
{
	for (; *s; s++)
		form_key(form, (unsigned char)*s);
}

static int check_name_field(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	static const char *const existing[] = {"web", "db"};

	(void)opaque;
	return wizard_check_name(f->text, existing, 2, msg, len);
}

static int check_cpus_field(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	int v;

	return wizard_check_cpus(f->text, opaque, &v, msg, len);
}

static const char *const colours[] = {"red", "green", "blue"};

/* name (text), cpus (number), colour (choice), ok (checkbox) */
static void make_form(struct form *form, struct form_field *f, struct wizard_host *host)
{
	memset(f, 0, 4 * sizeof(*f));
	memset(form, 0, sizeof(*form));
	f[0].kind = FORM_TEXT;
	f[0].label = "Name";
	f[0].validate = check_name_field;
	f[1].kind = FORM_NUMBER;
	f[1].label = "vCPUs";
	f[1].num_min = 1;
	f[1].num_max = 64;
	f[1].validate = check_cpus_field;
	form_field_set_text(&f[1], "1");
	f[2].kind = FORM_CHOICE;
	f[2].label = "Colour";
	f[2].choices = colours;
	f[2].nr_choices = 3;
	f[3].kind = FORM_CHECK;
	f[3].label = "OK";
	form->fields = f;
	form->nr_fields = 4;
	form->opaque = host;
}

START_TEST(test_text_editing)
{
	struct form_field f[4];
	struct form form;
	struct wizard_host host = {2, 4 * GIB};

	make_form(&form, f, &host);
	type(&form, "wbe");
	ck_assert_str_eq(f[0].text, "wbe");
	/* Fix the typo in the middle: Left, Left, Backspace, retype. */
	form_key(&form, KEY_LEFT);
	form_key(&form, KEY_LEFT);
	form_key(&form, KEY_BACKSPACE);
	ck_assert_str_eq(f[0].text, "be");
	form_key(&form, KEY_RIGHT);
	form_key(&form, 'w');
	ck_assert_str_eq(f[0].text, "bwe");
	form_key(&form, KEY_HOME);
	form_key(&form, KEY_DC);
	ck_assert_str_eq(f[0].text, "we");
	form_key(&form, KEY_END);
	type(&form, "b1");
	ck_assert_str_eq(f[0].text, "web1");
	form_key(&form, KEY_HOME);
	form_key(&form, KEY_RIGHT);
	form_key(&form, 11); /* Ctrl-K */
	ck_assert_str_eq(f[0].text, "w");
	form_key(&form, 21); /* Ctrl-U */
	ck_assert_str_eq(f[0].text, "");
	ck_assert(form_changed(&form));
	/* Backspace at the start, Delete at the end: nothing breaks. */
	ck_assert_int_eq(form_key(&form, KEY_BACKSPACE), FORM_KEY_HANDLED);
	ck_assert_int_eq(form_key(&form, KEY_DC), FORM_KEY_HANDLED);
	/* A UTF-8 character is removed whole. */
	type(&form, "a\xc3\xa9");
	form_key(&form, KEY_BACKSPACE);
	ck_assert_str_eq(f[0].text, "a");
}
END_TEST

START_TEST(test_number_choice_check)
{
	struct form_field f[4];
	struct form form;
	struct wizard_host host = {2, 4 * GIB};

	make_form(&form, f, &host);
	ck_assert(form_focus(&form, 1));
	/* Letters do not go into a number field. */
	type(&form, "x2");
	ck_assert_str_eq(f[1].text, "12");
	ck_assert_int_eq(form_field_number(&f[1], 0), 12);
	form_key(&form, '-');
	ck_assert_str_eq(f[1].text, "11");
	form_key(&form, 21);
	form_key(&form, '-'); /* empty, then - : the minimum */
	ck_assert_str_eq(f[1].text, "1");
	form_field_set_text(&f[1], "64");
	form_key(&form, '+');
	ck_assert_str_eq(f[1].text, "64");

	form_focus(&form, 2);
	ck_assert_str_eq(form_field_choice(&f[2]), "red");
	form_key(&form, KEY_RIGHT);
	ck_assert_str_eq(form_field_choice(&f[2]), "green");
	form_key(&form, ' ');
	ck_assert_str_eq(form_field_choice(&f[2]), "blue");
	form_key(&form, KEY_RIGHT);
	ck_assert_str_eq(form_field_choice(&f[2]), "red");
	form_key(&form, KEY_LEFT);
	ck_assert_str_eq(form_field_choice(&f[2]), "blue");

	form_focus(&form, 3);
	ck_assert(!f[3].checked);
	form_key(&form, ' ');
	ck_assert(f[3].checked);
	form_key(&form, ' ');
	ck_assert(!f[3].checked);
}
END_TEST

START_TEST(test_focus_moves_and_validates_on_leave)
{
	struct form_field f[4];
	struct form form;
	struct wizard_host host = {2, 4 * GIB};

	make_form(&form, f, &host);
	type(&form, "a b");
	/* No message while typing... */
	ck_assert_int_eq(f[0].msg_level, FORM_MSG_NONE);
	/* ...and one when leaving with Tab. */
	ck_assert_int_eq(form_key(&form, '\t'), FORM_KEY_MOVED);
	ck_assert_int_eq(form.focus, 1);
	ck_assert_int_eq(f[0].msg_level, FORM_MSG_ERROR);
	ck_assert_ptr_nonnull(strstr(f[0].msg, "a b"));
	/* Editing the field again clears the stale message. */
	form_key(&form, KEY_BTAB);
	ck_assert_int_eq(form.focus, 0);
	form_key(&form, 21);
	type(&form, "web2");
	ck_assert_int_eq(f[0].msg_level, FORM_MSG_NONE);
	form_key(&form, KEY_DOWN);
	ck_assert_int_eq(f[0].msg_level, FORM_MSG_NONE);
	/* Hidden fields are skipped; past the ends the form says so. */
	f[2].hidden = true;
	form_key(&form, KEY_DOWN);
	ck_assert_int_eq(form.focus, 3);
	ck_assert_int_eq(form_key(&form, '\t'), FORM_KEY_WRAP_NEXT);
	ck_assert_int_eq(form_key(&form, KEY_UP), FORM_KEY_MOVED);
	ck_assert_int_eq(form.focus, 1);
	form_key(&form, KEY_UP);
	ck_assert_int_eq(form_key(&form, KEY_UP), FORM_KEY_WRAP_PREV);
	ck_assert_int_eq(form_first(&form), 0);
	ck_assert_int_eq(form_last(&form), 3);
	/* A warning does not stop the form; an error does, and is focused. */
	form_field_set_text(&f[1], "3");
	ck_assert_int_eq(form_validate_all(&form), -1);
	ck_assert_int_eq(f[1].msg_level, FORM_MSG_WARN);
	form_field_set_text(&f[1], "0");
	form.focus = 3;
	ck_assert_int_eq(form_validate_all(&form), 1);
	ck_assert_int_eq(form.focus, 1);
	ck_assert_int_eq(f[1].msg_level, FORM_MSG_ERROR);
}
END_TEST

START_TEST(test_name_checks)
{
	static const char *const existing[] = {"web", "db"};
	char msg[256], long_name[70];

	ck_assert_int_lt(wizard_check_name("", existing, 2, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "a name is required");
	ck_assert_int_lt(wizard_check_name("a b", existing, 2, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "'a b'"));
	memset(long_name, 'x', 65);
	long_name[65] = '\0';
	ck_assert_int_lt(wizard_check_name(long_name, existing, 2, msg, sizeof(msg)), 0);
	ck_assert_msg(msg[0], "no message for a 65-character name");
	long_name[64] = '\0';
	ck_assert_int_eq(wizard_check_name(long_name, existing, 2, msg, sizeof(msg)), 0);
	ck_assert_int_lt(wizard_check_name("db", existing, 2, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "VM 'db' already exists");
	ck_assert_int_eq(wizard_check_name("db2", existing, 2, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(test_file_checks)
{
	char msg[256], dir[] = "/tmp/test_tui_form.XXXXXX", path[64];
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vmlinuz", dir);
	ck_assert_int_lt(wizard_check_file(path, "kernel", 0, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "kernel: No such file or directory");
	ck_assert_int_lt(wizard_check_file("", "kernel", 0, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "a kernel is required");
	ck_assert_int_eq(wizard_check_file("", "initrd", 1, msg, sizeof(msg)), 0);
	ck_assert_int_lt(wizard_check_file(dir, "kernel", 0, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "kernel: is a directory");
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_int_eq(wizard_check_file(path, "kernel", 0, msg, sizeof(msg)), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_cpu_checks)
{
	struct wizard_host host = {2, 4 * GIB};
	char msg[256];
	int v = 0;

	ck_assert_int_lt(wizard_check_cpus("0", &host, &v, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "vCPUs must be 1 to 64");
	ck_assert_int_lt(wizard_check_cpus("65", &host, &v, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "vCPUs must be 1 to 64");
	ck_assert_int_lt(wizard_check_cpus("", &host, &v, msg, sizeof(msg)), 0);
	ck_assert_int_eq(wizard_check_cpus("2", &host, &v, msg, sizeof(msg)), 0);
	ck_assert_int_eq(v, 2);
	/* Above the host's CPUs: allowed, with a warning. */
	ck_assert_int_gt(wizard_check_cpus("64", &host, &v, msg, sizeof(msg)), 0);
	ck_assert_int_eq(v, 64);
	ck_assert_str_eq(msg, "more than this host's 2 CPUs: they will share");
}
END_TEST

START_TEST(test_memory_checks)
{
	struct wizard_host host = {2, 4 * GIB}, real;
	uint64_t mib = 0;
	char msg[256];

	ck_assert_int_lt(wizard_check_memory("0", &host, &mib, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "'0'"));
	ck_assert_int_lt(wizard_check_memory("-1", &host, &mib, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "'-1'"));
	ck_assert_int_lt(wizard_check_memory("12x", &host, &mib, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "'12x'"));
	ck_assert_int_lt(wizard_check_memory("8", &host, &mib, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "memory must be at least 16 MiB");
	ck_assert_int_lt(wizard_check_memory("5G", &host, &mib, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "more than this host's 4.0 GiB");
	ck_assert_int_eq(wizard_check_memory("512", &host, &mib, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(mib, 512);
	ck_assert_int_eq(wizard_check_memory("1G", &host, &mib, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(mib, 1024);
	/* On this very host, 1T is refused unless it has that much RAM. */
	wizard_host_probe(&real);
	ck_assert_int_ge(real.cpus, 1);
	ck_assert_uint_gt(real.mem_bytes, 0);
	if (real.mem_bytes < 1024 * GIB) {
		ck_assert_int_lt(wizard_check_memory("1T", &real, &mib, msg, sizeof(msg)), 0);
		ck_assert_ptr_nonnull(strstr(msg, "more than this host's"));
	}
}
END_TEST

START_TEST(test_disk_size_and_host_text)
{
	struct wizard_host host = {2, 47 * GIB / 2};
	uint64_t bytes = 0;
	char msg[256];

	ck_assert_int_lt(wizard_check_disk_size("0", &bytes, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "'0'"));
	ck_assert_int_eq(wizard_check_disk_size("1G", &bytes, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(bytes, GIB);
	ck_assert_int_eq(wizard_check_disk_size("100", &bytes, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(bytes, 100ULL << 20);
	ck_assert_int_lt(wizard_check_disk_size("1000000000000T", &bytes, msg, sizeof(msg)), 0);
	wizard_host_describe(&host, msg, sizeof(msg));
	ck_assert_str_eq(msg, "this host: 2 CPUs, 23.5 GiB");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_form");
	TCase *form = tcase_create("form"), *checks = tcase_create("wizard checks");
	SRunner *sr;
	int failed;

	tcase_add_test(form, test_text_editing);
	tcase_add_test(form, test_number_choice_check);
	tcase_add_test(form, test_focus_moves_and_validates_on_leave);
	tcase_add_test(checks, test_name_checks);
	tcase_add_test(checks, test_file_checks);
	tcase_add_test(checks, test_cpu_checks);
	tcase_add_test(checks, test_memory_checks);
	tcase_add_test(checks, test_disk_size_and_host_text);
	suite_add_tcase(s, form);
	suite_add_tcase(s, checks);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
