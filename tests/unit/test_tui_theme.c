/* Unit tests for themes (tui/theme.c): parsing good theme files, every
 * kind of malformed file (a message naming the file and the line, and the
 * built-in theme instead), colour mapping for truecolor, 256, 16 and 8
 * colour terminals, NO_COLOR, the theme list and the saved choice. The
 * curses side runs on real terminfo entries through newterm(). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curses.h>

#include "theme.h"

static char tmp[64];

static void tmp_setup(void)
{
	strcpy(tmp, "/tmp/test_tui_theme.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	setenv("XDG_CONFIG_HOME", tmp, 1);
	unsetenv("NO_COLOR");
	unsetenv("VIRTTY_THEMES_DIR");
}

static void tmp_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

static char *read_file(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static const char *srcdir_themes(void)
{
	static char dir[1024];
	const char *top = getenv("top_srcdir");

	snprintf(dir, sizeof(dir), "%s/themes", top ? top : ".");
	return dir;
}

/* A user theme directory under the temporary XDG_CONFIG_HOME. */
static void user_theme(const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/virtty", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/virtty/themes", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/virtty/themes/%s.theme", tmp, name);
	write_file(path, text);
}

/* ---- Parsing ---- */

START_TEST(test_parse_good)
{
	struct theme t, def;
	char err[512] = "";

	ck_assert_int_eq(theme_parse_text("; a comment\n"
					  "[theme]\n"
					  "description = Test\n"
					  "[colors]\n"
					  "normal = #D0d0d0 on default\n"
					  "selected = black on #5fafff bold\n"
					  "title = 208 on 17 bold underline ; trailing comment\n"
					  "border = bright-blue\n"
					  "dim = dim\n"
					  "marked = on red\n"
					  "[colors8]\n"
					  "selected = black on cyan reverse\n",
					  "t.theme", &t, err, sizeof(err)),
			 0);
	ck_assert_str_eq(t.description, "Test");
	ck_assert_int_eq(t.colors[THEME_NORMAL].fg.kind, THEME_COLOR_RGB);
	ck_assert_uint_eq(t.colors[THEME_NORMAL].fg.value, 0xd0d0d0);
	ck_assert_int_eq(t.colors[THEME_NORMAL].bg.kind, THEME_COLOR_DEFAULT);
	ck_assert_int_eq(t.colors[THEME_SELECTED].fg.kind, THEME_COLOR_INDEX);
	ck_assert_uint_eq(t.colors[THEME_SELECTED].fg.value, 0);
	ck_assert_uint_eq(t.colors[THEME_SELECTED].bg.value, 0x5fafff);
	ck_assert_int_eq(t.colors[THEME_SELECTED].attrs, A_BOLD);
	ck_assert_uint_eq(t.colors[THEME_TITLE].fg.value, 208);
	ck_assert_uint_eq(t.colors[THEME_TITLE].bg.value, 17);
	ck_assert_int_eq(t.colors[THEME_TITLE].attrs, A_BOLD | A_UNDERLINE);
	ck_assert_uint_eq(t.colors[THEME_BORDER].fg.value, 12);
	ck_assert_int_eq(t.colors[THEME_DIM].attrs, A_DIM);
	ck_assert_int_eq(t.colors[THEME_DIM].fg.kind, THEME_COLOR_DEFAULT);
	ck_assert_int_eq(t.colors[THEME_MARKED].fg.kind, THEME_COLOR_DEFAULT);
	ck_assert_uint_eq(t.colors[THEME_MARKED].bg.value, 1);
	ck_assert(t.colors8[THEME_SELECTED].set);
	ck_assert_int_eq(t.colors8[THEME_SELECTED].attrs, A_REVERSE);
	ck_assert(!t.colors8[THEME_NORMAL].set);

	/* A role the file leaves out looks as in the built-in theme. */
	theme_builtin(&def);
	ck_assert_uint_eq(t.colors[THEME_ERROR].fg.value, def.colors[THEME_ERROR].fg.value);
	ck_assert_int_eq(t.colors[THEME_ERROR].attrs, def.colors[THEME_ERROR].attrs);
}
END_TEST

static void expect_bad(const char *text, const char *where, const char *what)
{
	struct theme t;
	char err[512] = "";

	ck_assert_int_eq(theme_parse_text(text, "/x/bad.theme", &t, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, where) != NULL, "'%s' should say '%s'", err, where);
	ck_assert_msg(strstr(err, what) != NULL, "'%s' should say '%s'", err, what);
}

START_TEST(test_parse_malformed)
{
	expect_bad("[colors]\nnormal = purplish\n", "/x/bad.theme line 2:", "purplish");
	expect_bad("[colors]\nnormal = white\nborder = #12345\n", "/x/bad.theme line 3:", "#12345");
	expect_bad("[colors]\nnormal = #zzzzzz\n", "line 2:", "#zzzzzz");
	expect_bad("[colors]\nnormal = 256\n", "line 2:", "256");
	expect_bad("[colors]\nnormal = white\nnromal = red\n", "line 3:", "unknown role 'nromal'");
	expect_bad("[colors]\nnormal = white\n[colours9]\nborder = red\n",
		   "line 4:", "unknown section [colours9]");
	expect_bad("normal = white\n[colors]\n", "line 1:", "before any section");
	expect_bad("[colors]\nnormal = red on\n", "line 2:", "'on' without a background");
	expect_bad("[colors]\nnormal = white\n\nborder red\n", "line 4:", "syntax error");
	expect_bad("[colors]\nnormal = white\nnormal = red\n",
		   "line 3:", "'normal' set twice (first on line 2)");
	expect_bad("[colors]\nnormal =\n", "line 2:", "no colour or attribute");
	expect_bad("[colors]\nnormal = bold red\n", "line 2:", "unexpected colour 'red'");
	expect_bad("[colors]\nnormal = red on blue on green\n", "line 2:", "'on'");
	expect_bad("[colors]\nnormal = red blinking\n", "line 2:", "blinking");
	expect_bad("[theme]\nauthor = me\n[colors]\nnormal = red\n", "line 2:", "author");
	expect_bad("[colors]\nborder = red\n", "/x/bad.theme:", "no 'normal' entry");
	expect_bad("", "/x/bad.theme:", "no 'normal' entry");
}
END_TEST

START_TEST(test_parse_file_errors)
{
	struct theme t;
	char path[512], err[512] = "";

	snprintf(path, sizeof(path), "%s/none.theme", tmp);
	ck_assert_int_eq(theme_parse_file(path, &t, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "cannot open"));

	snprintf(path, sizeof(path), "%s/bin.theme", tmp);
	{
		FILE *fp = fopen(path, "w");

		fwrite("[colors]\nnormal = red\n\0\1\2", 1, 25, fp);
		fclose(fp);
	}
	ck_assert_int_lt(theme_parse_file(path, &t, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "not a text file"));
}
END_TEST

START_TEST(test_shipped_themes_parse)
{
	const char *names[] = {"dark", "light", "high-contrast", "mono"};
	struct theme t, def;
	size_t i;
	int r;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[1100], err[512] = "";

		snprintf(path, sizeof(path), "%s/%s.theme", srcdir_themes(), names[i]);
		ck_assert_msg(theme_parse_file(path, &t, err, sizeof(err)) == 0, "%s", err);
		ck_assert_str_ne(t.description, "");
	}
	/* dark.theme is the built-in default, role by role. */
	{
		char path[1100], err[512];

		snprintf(path, sizeof(path), "%s/dark.theme", srcdir_themes());
		ck_assert_int_eq(theme_parse_file(path, &t, err, sizeof(err)), 0);
		theme_builtin(&def);
		for (r = 0; r < THEME_ROLE_COUNT; r++) {
			ck_assert_msg(memcmp(&t.colors[r], &def.colors[r], sizeof(t.colors[r])) ==
					  0,
				      "dark.theme and the built-in differ in %s",
				      theme_role_key((enum theme_role)r));
			ck_assert_msg(
			    memcmp(&t.colors8[r], &def.colors8[r], sizeof(t.colors8[r])) == 0,
			    "dark.theme and the built-in differ in [colors8] %s",
			    theme_role_key((enum theme_role)r));
		}
	}
	/* mono has no colours at all. */
	{
		char path[1100], err[512];

		snprintf(path, sizeof(path), "%s/mono.theme", srcdir_themes());
		ck_assert_int_eq(theme_parse_file(path, &t, err, sizeof(err)), 0);
		for (r = 0; r < THEME_ROLE_COUNT; r++) {
			ck_assert_int_eq(t.colors[r].fg.kind, THEME_COLOR_DEFAULT);
			ck_assert_int_eq(t.colors[r].bg.kind, THEME_COLOR_DEFAULT);
		}
		ck_assert_int_ne(t.colors[THEME_SELECTED].attrs, 0);
	}
}
END_TEST

/* ---- Colour mapping ---- */

static int map(uint32_t rgb, int colors, bool direct)
{
	struct theme_color c = {THEME_COLOR_RGB, rgb};

	return theme_map_color(&c, colors, direct);
}

static int map_index(uint32_t idx, int colors, bool direct)
{
	struct theme_color c = {THEME_COLOR_INDEX, idx};

	return theme_map_color(&c, colors, direct);
}

START_TEST(test_map_256)
{
	ck_assert_int_eq(map(0x5fafff, 256, false), 75);  /* exact cube colour */
	ck_assert_int_eq(map(0xd0d0d0, 256, false), 252); /* exact grey */
	ck_assert_int_eq(map(0xff0000, 256, false), 196);
	ck_assert_int_eq(map(0x000000, 256, false), 16);
	ck_assert_int_eq(map(0x5fafef, 256, false), 75);  /* near */
	ck_assert_int_eq(map(0x7a7a7a, 256, false), 243); /* grey ramp, not the cube */
	ck_assert_int_eq(map_index(208, 256, false), 208);
	ck_assert_int_eq(map_index(1, 256, false), 1);
	ck_assert_int_eq(map_index(12, 256, false), 12);
}
END_TEST

START_TEST(test_map_8_and_16)
{
	ck_assert_int_eq(map(0xff5f5f, 8, false), COLOR_RED);
	ck_assert_int_eq(map(0x5fafff, 8, false), COLOR_CYAN);
	ck_assert_int_eq(map(0x303030, 8, false), COLOR_BLACK);
	ck_assert_int_eq(map(0xe4e4e4, 8, false), COLOR_WHITE);
	ck_assert_int_eq(map(0x00af00, 8, false), COLOR_GREEN);
	ck_assert_int_eq(map_index(208, 8, false), COLOR_YELLOW); /* #ff8700 */
	ck_assert_int_eq(map_index(9, 8, false), COLOR_RED);	  /* bright red */
	ck_assert_int_eq(map(0xff0000, 16, false), 9);
	ck_assert_int_eq(map(0xcd0000, 16, false), 1);
	ck_assert_int_eq(map_index(9, 16, false), 9);
}
END_TEST

START_TEST(test_map_direct_and_none)
{
	struct theme_color def = {THEME_COLOR_DEFAULT, 0};

	ck_assert_int_eq(map(0x5fafff, 0x1000000, true), 0x5fafff);
	ck_assert_int_eq(map_index(1, 0x1000000, true), 1);
	ck_assert_int_eq(map_index(208, 0x1000000, true), 0xff8700);
	ck_assert_int_eq(map_index(232, 0x1000000, true), 0x080808);
	/* Below 8 a direct-colour terminal means an ANSI colour: lift it. */
	ck_assert_int_eq(map(0x000000, 0x1000000, true), 8);
	ck_assert_int_eq(theme_map_color(&def, 256, false), -1);
	ck_assert_int_eq(map(0xff0000, 0, false), -1);
	ck_assert_int_eq(map(0xff0000, 2, false), -1);
}
END_TEST

/* ---- On a terminal ---- */

static SCREEN *scr;
static FILE *scr_tty; /* /dev/null for output and input */

static bool term_open(const char *term)
{
	scr_tty = fopen("/dev/null", "r+");
	scr = newterm(term, scr_tty, scr_tty);
	if (!scr) {
		fclose(scr_tty);
		return false;
	}
	start_color();
	return true;
}

static void term_close(void)
{
	endwin();
	delscreen(scr);
	fclose(scr_tty);
}

static void pair_of(enum theme_role role, int *fg, int *bg)
{
	int pair = PAIR_NUMBER(theme_attr(role));

	ck_assert_int_gt(pair, 0);
	ck_assert_int_eq(extended_pair_content(pair, fg, bg), OK);
}

START_TEST(test_apply_256)
{
	char err[512] = "";
	int fg, bg;

	ck_assert(term_open("xterm-256color"));
	ck_assert_int_eq(theme_load("dark", err, sizeof(err)), 0);
	ck_assert_str_eq(theme_name(), "dark");
	pair_of(THEME_SELECTED, &fg, &bg);
	ck_assert_int_eq(fg, 16);
	ck_assert_int_eq(bg, 75);
	ck_assert(theme_attr(THEME_SELECTED) & A_BOLD);
	pair_of(THEME_NORMAL, &fg, &bg);
	ck_assert_int_eq(fg, 252);
	ck_assert_int_eq(bg, -1); /* the terminal's own background */
	term_close();
}
END_TEST

START_TEST(test_apply_8)
{
	char err[512] = "";
	int fg, bg;

	ck_assert(term_open("xterm"));
	ck_assert_int_eq(COLORS, 8);
	ck_assert_int_eq(theme_load("dark", err, sizeof(err)), 0);
	/* [colors8] of the theme, not nearest-colour guesses. */
	pair_of(THEME_SELECTED, &fg, &bg);
	ck_assert_int_eq(fg, COLOR_BLACK);
	ck_assert_int_eq(bg, COLOR_CYAN);
	pair_of(THEME_STATE_RUNNING, &fg, &bg);
	ck_assert_int_eq(fg, COLOR_GREEN);
	term_close();
}
END_TEST

START_TEST(test_apply_direct)
{
	char err[512] = "";
	int fg, bg;

	if (!term_open("xterm-direct")) {
		fprintf(stderr, "test_apply_direct: no xterm-direct terminfo (ncurses-term), "
				"skipped\n");
		return;
	}
	ck_assert_int_eq(theme_load("dark", err, sizeof(err)), 0);
	pair_of(THEME_SELECTED, &fg, &bg);
	ck_assert_int_eq(bg, 0x5fafff);
	pair_of(THEME_TITLE, &fg, &bg);
	ck_assert_int_eq(fg, 0xffffff);
	ck_assert_int_eq(bg, 0x005f87);
	term_close();
}
END_TEST

START_TEST(test_no_color)
{
	char err[512] = "";

	setenv("NO_COLOR", "", 1); /* set, even empty, means no colour */
	ck_assert(term_open("xterm-256color"));
	ck_assert_int_eq(theme_load("dark", err, sizeof(err)), 0);
	ck_assert_int_eq(theme_attr(THEME_NORMAL), 0);
	/* No colour at all, but the cursor row and titles still stand out. */
	ck_assert_int_eq(theme_attr(THEME_SELECTED) & A_COLOR, 0);
	ck_assert_int_eq(theme_attr(THEME_SELECTED), A_BOLD | A_REVERSE);
	ck_assert_int_eq(theme_attr(THEME_GRAPH_HIGH) & A_COLOR, 0);
	ck_assert_int_eq(theme_attr(THEME_ERROR), A_BOLD);
	term_close();
	unsetenv("NO_COLOR");
}
END_TEST

START_TEST(test_load_malformed_falls_back)
{
	char err[512] = "", path[512];
	int selected_builtin;

	ck_assert(term_open("xterm-256color"));
	ck_assert_int_eq(theme_load("dark", err, sizeof(err)), 0);
	selected_builtin = theme_attr(THEME_SELECTED);

	user_theme("broken", "[colors]\nnormal = white\nselected = black on #5fafxx\n");
	ck_assert_int_eq(theme_load("broken", err, sizeof(err)), -EINVAL);
	snprintf(path, sizeof(path), "%s/virtty/themes/broken.theme line 3:", tmp);
	ck_assert_msg(strstr(err, path) != NULL, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "built-in"));
	ck_assert_str_eq(theme_name(), "dark");
	ck_assert_int_eq(theme_attr(THEME_SELECTED), selected_builtin);

	/* Unknown and invalid names: the same fallback, a clear message. */
	ck_assert_int_eq(theme_load("nosuch", err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "theme 'nosuch' not found"));
	ck_assert_int_eq(theme_load("../../etc/passwd", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a valid theme name"));
	ck_assert_str_eq(theme_name(), "dark");

	/* A user's own theme overrides the shipped one of the same name. */
	setenv("VIRTTY_THEMES_DIR", srcdir_themes(), 1);
	user_theme("light", "[colors]\nnormal = red on blue\n");
	ck_assert_int_eq(theme_load("light", err, sizeof(err)), 0);
	{
		int fg, bg;

		pair_of(THEME_NORMAL, &fg, &bg);
		ck_assert_int_eq(fg, 1);
		ck_assert_int_eq(bg, 4);
	}
	term_close();
}
END_TEST

/* ---- Finding, listing, saving ---- */

START_TEST(test_list_and_find)
{
	char names[THEME_MAX_THEMES][THEME_NAME_MAX + 1], path[4096];
	int n;

	/* Nothing installed or configured: the built-in dark is there. */
	setenv("VIRTTY_THEMES_DIR", "/nonexistent", 1);
	n = theme_list(names, THEME_MAX_THEMES);
	ck_assert_int_ge(n, 1);
	ck_assert_str_eq(names[0], "dark");

	setenv("VIRTTY_THEMES_DIR", srcdir_themes(), 1);
	user_theme("zebra", "[colors]\nnormal = white\n");
	user_theme("mono", "[colors]\nnormal = bold\n");
	n = theme_list(names, THEME_MAX_THEMES);
	ck_assert_int_ge(n, 5);
	ck_assert_str_eq(names[0], "dark");
	ck_assert_str_eq(names[1], "high-contrast");
	ck_assert_str_eq(names[2], "light");
	ck_assert_str_eq(names[3], "mono"); /* once, though in two folders */
	ck_assert_str_eq(names[4], "zebra");

	ck_assert_int_eq(theme_find_file("mono", path, sizeof(path)), 0);
	ck_assert_ptr_nonnull(strstr(path, tmp)); /* the user's copy first */
	ck_assert_int_eq(theme_find_file("light", path, sizeof(path)), 0);
	ck_assert_ptr_nonnull(strstr(path, srcdir_themes()));
	ck_assert_int_eq(theme_find_file("nosuch", path, sizeof(path)), -ENOENT);
	ck_assert_int_eq(theme_find_file("a/b", path, sizeof(path)), -EINVAL);
}
END_TEST

START_TEST(test_save_choice_keeps_other_settings)
{
	char path[512], name[THEME_NAME_MAX + 1], err[512] = "", *text;

	ck_assert_int_eq(theme_saved_choice(name, sizeof(name)), -ENOENT);
	ck_assert_int_eq(theme_save_choice("light", err, sizeof(err)), 0);
	ck_assert_int_eq(theme_saved_choice(name, sizeof(name)), 0);
	ck_assert_str_eq(name, "light");
	snprintf(path, sizeof(path), "%s/virtty/config", tmp);
	ck_assert_str_eq(read_file(path), "[ui]\ntheme = light\n");

	write_file(path, "# mine\n[other]\nkey = 1\n[ui]\ninterval = 2\ntheme=dark\n[x]\ny = 2\n");
	ck_assert_int_eq(theme_save_choice("mono", err, sizeof(err)), 0);
	text = read_file(path);
	ck_assert_str_eq(text, "# mine\n[other]\nkey = 1\n[ui]\ninterval = 2\ntheme = mono\n[x]\n"
			       "y = 2\n");

	/* [ui] without a theme line: added inside [ui], not at the end. */
	write_file(path, "[ui]\ninterval = 2\n[x]\ny = 2");
	ck_assert_int_eq(theme_save_choice("light", err, sizeof(err)), 0);
	ck_assert_str_eq(read_file(path), "[ui]\ninterval = 2\ntheme = light\n[x]\ny = 2");

	ck_assert_int_eq(theme_save_choice("bad/name", err, sizeof(err)), -EINVAL);

	/* Without XDG_CONFIG_HOME: ~/.config/virtty/config, ~/.config made. */
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", tmp, 1);
	ck_assert_int_eq(theme_save_choice("mono", err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/.config/virtty/config", tmp);
	ck_assert_str_eq(read_file(path), "[ui]\ntheme = mono\n");
}
END_TEST

START_TEST(test_cycle_saves_and_load_uses_saved)
{
	char err[512] = "", name[THEME_NAME_MAX + 1];

	setenv("VIRTTY_THEMES_DIR", srcdir_themes(), 1);
	ck_assert(term_open("xterm-256color"));
	ck_assert_int_eq(theme_load(NULL, err, sizeof(err)), 0); /* nothing saved: dark */
	ck_assert_str_eq(theme_name(), "dark");
	ck_assert_int_eq(theme_cycle(err, sizeof(err)), 0);
	ck_assert_str_eq(theme_name(), "high-contrast");
	ck_assert_int_eq(theme_saved_choice(name, sizeof(name)), 0);
	ck_assert_str_eq(name, "high-contrast");
	ck_assert_int_eq(theme_cycle(err, sizeof(err)), 0);
	ck_assert_int_eq(theme_cycle(err, sizeof(err)), 0);
	ck_assert_str_eq(theme_name(), "mono");
	ck_assert_int_eq(theme_cycle(err, sizeof(err)), 0);
	ck_assert_str_eq(theme_name(), "dark"); /* wraps around */

	/* A new run starts with the saved theme. */
	ck_assert_int_eq(theme_save_choice("light", err, sizeof(err)), 0);
	ck_assert_int_eq(theme_load(NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(theme_name(), "light");

	/* A broken theme in the cycle: error, built-in shown, and the next
	 * cycle moves past it instead of starting over. */
	user_theme("high-contrast", "[colors]\nnormal = nope\n");
	ck_assert_int_eq(theme_load("dark", err, sizeof(err)), 0);
	ck_assert_int_lt(theme_cycle(err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "high-contrast.theme line 2"));
	ck_assert_str_eq(theme_name(), "dark");
	ck_assert_int_eq(theme_cycle(err, sizeof(err)), 0);
	ck_assert_str_eq(theme_name(), "light");
	term_close();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_theme");
	TCase *tc = tcase_create("theme");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_malformed);
	tcase_add_test(tc, test_parse_file_errors);
	tcase_add_test(tc, test_shipped_themes_parse);
	tcase_add_test(tc, test_map_256);
	tcase_add_test(tc, test_map_8_and_16);
	tcase_add_test(tc, test_map_direct_and_none);
	tcase_add_test(tc, test_apply_256);
	tcase_add_test(tc, test_apply_8);
	tcase_add_test(tc, test_apply_direct);
	tcase_add_test(tc, test_no_color);
	tcase_add_test(tc, test_load_malformed_falls_back);
	tcase_add_test(tc, test_list_and_find);
	tcase_add_test(tc, test_save_choice_keeps_other_settings);
	tcase_add_test(tc, test_cycle_saves_and_load_uses_saved);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
