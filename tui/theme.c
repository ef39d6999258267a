/* Themes: parsing theme files (INI, via inih), finding them in the search
 * path, mapping their colours to what this terminal can show (truecolor,
 * 256, 16 or 8 colours, or none under NO_COLOR) and saving the choice. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curses.h>
#include <term.h>
#include <ini.h>

#include "store/store.h"
#include "theme.h"

#ifndef VIRTTY_DATADIR
#define VIRTTY_DATADIR "/usr/local/share/virtty"
#endif

#define THEME_DEFAULT_NAME "dark"
#define THEME_MAX_FILE	   (64 * 1024)
#define THEME_MAX_LINE	   512

static const char *const theme_role_keys[THEME_ROLE_COUNT] = {
    [THEME_NORMAL] = "normal",
    [THEME_TITLE] = "title",
    [THEME_BORDER] = "border",
    [THEME_HEADER] = "header",
    [THEME_SELECTED] = "selected",
    [THEME_MARKED] = "marked",
    [THEME_KEYBAR_KEY] = "keybar_key",
    [THEME_KEYBAR_LABEL] = "keybar_label",
    [THEME_STATUS] = "status",
    [THEME_STATE_SHUTOFF] = "state_shutoff",
    [THEME_STATE_RUNNING] = "state_running",
    [THEME_STATE_PAUSED] = "state_paused",
    [THEME_STATE_TRANSIENT] = "state_transient",
    [THEME_STATE_CRASHED] = "state_crashed",
    [THEME_STATE_UNKNOWN] = "state_unknown",
    [THEME_GRAPH_LOW] = "graph_low",
    [THEME_GRAPH_MID] = "graph_mid",
    [THEME_GRAPH_HIGH] = "graph_high",
    [THEME_ERROR] = "error",
    [THEME_DIM] = "dim",
    [THEME_DIALOG] = "dialog",
    [THEME_INPUT] = "input",
};

/* The built-in default: the same text as themes/dark.theme, so the TUI
 * looks right even when no theme file is installed. */
static const char theme_builtin_text[] =
    "[theme]\n"
    "description = Light text on the terminal's dark background\n"
    "[colors]\n"
    "normal = #d0d0d0 on default\n"
    "title = #ffffff on #005f87 bold\n"
    "border = #5f87af on default\n"
    "header = #000000 on #5f87af bold\n"
    "selected = #000000 on #5fafff bold\n"
    "marked = #ffd75f on default bold\n"
    "keybar_key = #ffffff on default bold\n"
    "keybar_label = #000000 on #5f87af\n"
    "status = #d0d0d0 on default\n"
    "state_shutoff = #8a8a8a on default\n"
    "state_running = #87d75f on default bold\n"
    "state_paused = #ffd75f on default\n"
    "state_transient = #5fafff on default\n"
    "state_crashed = #ff5f5f on default bold\n"
    "state_unknown = #d787d7 on default\n"
    "graph_low = #5fd75f on default\n"
    "graph_mid = #ffd75f on default\n"
    "graph_high = #ff5f5f on default\n"
    "error = #ff5f5f on default bold\n"
    "dim = #6c6c6c on default\n"
    "dialog = #e4e4e4 on #303030\n"
    "input = #ffffff on #444444\n"
    "[colors8]\n"
    "normal = default on default\n"
    "title = white on blue bold\n"
    "border = cyan on default\n"
    "header = black on cyan\n"
    "selected = black on cyan\n"
    "marked = yellow on default bold\n"
    "keybar_key = white on default bold\n"
    "keybar_label = black on cyan\n"
    "status = default on default\n"
    "state_shutoff = default on default dim\n"
    "state_running = green on default bold\n"
    "state_paused = yellow on default\n"
    "state_transient = cyan on default\n"
    "state_crashed = red on default bold\n"
    "state_unknown = magenta on default\n"
    "graph_low = green on default\n"
    "graph_mid = yellow on default\n"
    "graph_high = red on default\n"
    "error = red on default bold\n"
    "dim = default on default dim\n"
    "dialog = white on blue\n"
    "input = black on white\n";

/* What the TUI draws with now: one attribute set per role. */
static int theme_attrs[THEME_ROLE_COUNT];
static char theme_current[THEME_NAME_MAX + 1] = THEME_DEFAULT_NAME;
/* The theme last asked for (may have failed to load): where cycling
 * goes on from, so a broken file does not trap the cycle on "dark". */
static char theme_requested[THEME_NAME_MAX + 1] = THEME_DEFAULT_NAME;

const char *theme_role_key(enum theme_role role)
{
	return (unsigned)role < THEME_ROLE_COUNT ? theme_role_keys[role] : "?";
}

/* ---- Parsing ---- */

static const struct {
	const char *name;
	int index;
} theme_color_names[] = {
    {"black", 0},	  {"red", 1},
    {"green", 2},	  {"yellow", 3},
    {"blue", 4},	  {"magenta", 5},
    {"cyan", 6},	  {"white", 7},
    {"grey", 8},	  {"gray", 8},
    {"bright-black", 8},  {"bright-red", 9},
    {"bright-green", 10}, {"bright-yellow", 11},
    {"bright-blue", 12},  {"bright-magenta", 13},
    {"bright-cyan", 14},  {"bright-white", 15},
};

static const struct {
	const char *name;
	int attr;
} theme_attr_names[] = {
    {"bold", A_BOLD},		{"dim", A_DIM},	      {"reverse", A_REVERSE},
    {"underline", A_UNDERLINE}, {"italic", A_ITALIC}, {"standout", A_STANDOUT},
};

static int theme_parse_color(const char *tok, struct theme_color *c)
{
	size_t i, len = strlen(tok);

	if (strcasecmp(tok, "default") == 0) {
		*c = (struct theme_color){THEME_COLOR_DEFAULT, 0};
		return 0;
	}
	if (tok[0] == '#') {
		uint32_t v = 0;

		if (len != 7)
			return -EINVAL;
		for (i = 1; i < 7; i++) {
			if (!isxdigit((unsigned char)tok[i]))
				return -EINVAL;
			v = v * 16 + (uint32_t)(isdigit((unsigned char)tok[i])
						    ? tok[i] - '0'
						    : tolower((unsigned char)tok[i]) - 'a' + 10);
		}
		*c = (struct theme_color){THEME_COLOR_RGB, v};
		return 0;
	}
	if (isdigit((unsigned char)tok[0])) {
		unsigned v = 0;

		if (len > 3)
			return -EINVAL;
		for (i = 0; i < len; i++) {
			if (!isdigit((unsigned char)tok[i]))
				return -EINVAL;
			v = v * 10 + (unsigned)(tok[i] - '0');
		}
		if (v > 255)
			return -EINVAL;
		*c = (struct theme_color){THEME_COLOR_INDEX, v};
		return 0;
	}
	for (i = 0; i < sizeof(theme_color_names) / sizeof(theme_color_names[0]); i++) {
		if (strcasecmp(tok, theme_color_names[i].name) == 0) {
			*c = (struct theme_color){THEME_COLOR_INDEX,
						  (uint32_t)theme_color_names[i].index};
			return 0;
		}
	}
	return -EINVAL;
}

static int theme_parse_attr(const char *tok)
{
	size_t i;

	for (i = 0; i < sizeof(theme_attr_names) / sizeof(theme_attr_names[0]); i++)
		if (strcasecmp(tok, theme_attr_names[i].name) == 0)
			return theme_attr_names[i].attr;
	return 0;
}

/* "FG [on BG] [ATTR...]", or attributes alone ("bold reverse"). A token
 * starting with ';' begins a comment (inih may or may not have stripped
 * it, depending on knobs other threads set). */
static int theme_parse_style(const char *value, struct theme_style *st, char *msg, size_t msglen)
{
	char buf[THEME_MAX_LINE], *tok, *save = NULL;
	bool have_fg = false, have_bg = false, have_attr = false, want_bg = false;

	if (strlen(value) >= sizeof(buf)) {
		snprintf(msg, msglen, "value too long");
		return -EINVAL;
	}
	strcpy(buf, value);
	*st = (struct theme_style){.set = true};
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		struct theme_color c;
		int a;

		if (tok[0] == ';')
			break;
		if (want_bg) {
			if (theme_parse_color(tok, &c) < 0) {
				snprintf(msg, msglen, "unknown background colour '%s'", tok);
				return -EINVAL;
			}
			st->bg = c;
			have_bg = true;
			want_bg = false;
			continue;
		}
		if (strcasecmp(tok, "on") == 0) {
			if (have_bg || have_attr) {
				snprintf(msg, msglen, "'on' must follow the foreground colour");
				return -EINVAL;
			}
			want_bg = true;
			continue;
		}
		a = theme_parse_attr(tok);
		if (a || strcasecmp(tok, "none") == 0) { /* "none": plain text, no attribute */
			st->attrs |= a;
			have_attr = true;
			continue;
		}
		if (theme_parse_color(tok, &c) == 0) {
			if (have_fg || have_bg || have_attr) {
				snprintf(msg, msglen,
					 "unexpected colour '%s' (write: FG on BG attributes)",
					 tok);
				return -EINVAL;
			}
			st->fg = c;
			have_fg = true;
			continue;
		}
		snprintf(msg, msglen,
			 "unknown colour or attribute '%s' (colours: names, #rrggbb, 0-255, "
			 "default; attributes: bold, dim, reverse, underline, italic, none)",
			 tok);
		return -EINVAL;
	}
	if (want_bg) {
		snprintf(msg, msglen, "'on' without a background colour");
		return -EINVAL;
	}
	if (!have_fg && !have_bg && !have_attr) {
		snprintf(msg, msglen, "no colour or attribute given");
		return -EINVAL;
	}
	return 0;
}

struct theme_parse {
	struct theme *t;
	const char *next; /* reader position in the text */
	int line;	  /* line the reader last started */
	bool line_indented;
	char err[512];
	int err_line;
	int seen[2][THEME_ROLE_COUNT]; /* line each role was set on */
	bool have_normal;
};

static void theme_fail(struct theme_parse *tp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void theme_fail(struct theme_parse *tp, const char *fmt, ...)
{
	va_list ap;

	if (tp->err[0])
		return; /* the first error is the one to fix first */
	va_start(ap, fmt);
	vsnprintf(tp->err, sizeof(tp->err), fmt, ap);
	va_end(ap);
	tp->err_line = tp->line;
}

/* An fgets()-style reader over the text that numbers lines itself, since
 * this inih gives its handler no line number. */
static char *theme_reader(char *str, int num, void *stream)
{
	struct theme_parse *tp = stream;
	const char *nl;
	size_t len;

	if (!*tp->next || tp->err[0] || num < 2)
		return NULL;
	nl = strchr(tp->next, '\n');
	len = nl ? (size_t)(nl - tp->next) + 1 : strlen(tp->next);
	tp->line++;
	if (len >= (size_t)num || len > THEME_MAX_LINE) {
		theme_fail(tp, "line too long");
		return NULL;
	}
	memcpy(str, tp->next, len);
	str[len] = '\0';
	tp->line_indented = len > 0 && (str[0] == ' ' || str[0] == '\t');
	tp->next += len;
	return str;
}

static int theme_handler(void *user, const char *section, const char *name, const char *value)
{
	struct theme_parse *tp = user;
	struct theme_style st;
	char msg[400];
	int which, r;

	if (strcmp(section, "theme") == 0) {
		if (strcmp(name, "description") == 0) {
			snprintf(tp->t->description, sizeof(tp->t->description), "%s", value);
			return 1;
		}
		theme_fail(tp, "unknown key '%s' in [theme] (known: description)", name);
		return 0;
	}
	if (strcmp(section, "colors") == 0 || strcmp(section, "colours") == 0)
		which = 0;
	else if (strcmp(section, "colors8") == 0 || strcmp(section, "colours8") == 0)
		which = 1;
	else {
		theme_fail(tp, "%s%s%s: expected [colors], [colors8] or [theme]",
			   section[0] ? "unknown section [" : "'", section[0] ? section : name,
			   section[0] ? "]" : "' before any section");
		return 0;
	}
	for (r = 0; r < THEME_ROLE_COUNT; r++)
		if (strcmp(name, theme_role_keys[r]) == 0)
			break;
	if (r == THEME_ROLE_COUNT) {
		theme_fail(tp, "unknown role '%s'", name);
		return 0;
	}
	if (tp->seen[which][r]) {
		if (tp->line_indented)
			theme_fail(tp,
				   "indented line continues '%s': start each entry at the "
				   "beginning of a line",
				   name);
		else
			theme_fail(tp, "'%s' set twice (first on line %d)", name,
				   tp->seen[which][r]);
		return 0;
	}
	if (theme_parse_style(value, &st, msg, sizeof(msg)) < 0) {
		theme_fail(tp, "%s: %s", name, msg);
		return 0;
	}
	tp->seen[which][r] = tp->line;
	if (which == 0) {
		tp->t->colors[r] = st;
		if (r == THEME_NORMAL)
			tp->have_normal = true;
	} else {
		tp->t->colors8[r] = st;
	}
	return 1;
}

static int theme_parse_raw(const char *text, const char *path, struct theme *out, char *err,
			   size_t errlen)
{
	struct theme_parse tp = {.t = out, .next = text};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ini_parse_stream(theme_reader, &tp, theme_handler, &tp);
	if (!tp.err[0] && rc > 0) {
		tp.err_line = rc;
		snprintf(
		    tp.err, sizeof(tp.err),
		    "syntax error (expected [section] or 'role = colour on colour attributes')");
	} else if (!tp.err[0] && rc < 0) {
		snprintf(tp.err, sizeof(tp.err), "out of memory");
	} else if (!tp.err[0] && !tp.have_normal) {
		snprintf(tp.err, sizeof(tp.err), "no 'normal' entry in [colors]");
	}
	if (tp.err[0]) {
		if (tp.err_line > 0)
			snprintf(err, errlen, "%s line %d: %s", path, tp.err_line, tp.err);
		else
			snprintf(err, errlen, "%s: %s", path, tp.err);
		return -EINVAL;
	}
	return 0;
}

void theme_builtin(struct theme *out)
{
	char err[256];

	/* Cannot fail: test_tui_theme checks the text parses. */
	theme_parse_raw(theme_builtin_text, "(built-in)", out, err, sizeof(err));
	snprintf(out->name, sizeof(out->name), "%s", THEME_DEFAULT_NAME);
}

int theme_parse_text(const char *text, const char *path, struct theme *out, char *err,
		     size_t errlen)
{
	struct theme def;
	int rc, r;

	rc = theme_parse_raw(text, path, out, err, errlen);
	if (rc < 0)
		return rc;
	/* Roles a file leaves out look as in the built-in theme, so an older
	 * theme file keeps working when a role is added. */
	theme_builtin(&def);
	for (r = 0; r < THEME_ROLE_COUNT; r++) {
		if (!out->colors[r].set)
			out->colors[r] = def.colors[r];
	}
	return 0;
}

int theme_parse_file(const char *path, struct theme *out, char *err, size_t errlen)
{
	char *text;
	FILE *fp;
	size_t n;
	int rc;

	fp = fopen(path, "re");
	if (!fp) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	text = malloc(THEME_MAX_FILE + 1);
	if (!text) {
		fclose(fp);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	n = fread(text, 1, THEME_MAX_FILE + 1, fp);
	if (ferror(fp)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno ? errno : EIO));
	} else if (n > THEME_MAX_FILE) {
		rc = -EFBIG;
		snprintf(err, errlen, "%s: too large for a theme file (over %d KiB)", path,
			 THEME_MAX_FILE / 1024);
	} else if (memchr(text, '\0', n)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a text file", path);
	} else {
		text[n] = '\0';
		rc = theme_parse_text(text, path, out, err, errlen);
	}
	fclose(fp);
	free(text);
	return rc;
}

/* ---- Colour mapping ---- */

/* xterm's default RGB values for the 16 ANSI colours. */
static const uint32_t theme_ansi_rgb[16] = {
    0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
    0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};
static const int theme_cube_levels[6] = {0, 95, 135, 175, 215, 255};

static uint32_t theme_index_rgb(unsigned idx)
{
	if (idx < 16)
		return theme_ansi_rgb[idx];
	if (idx < 232) {
		unsigned i = idx - 16;

		return (uint32_t)theme_cube_levels[i / 36] << 16 |
		       (uint32_t)theme_cube_levels[(i / 6) % 6] << 8 |
		       (uint32_t)theme_cube_levels[i % 6];
	}
	idx = 8 + (idx - 232) * 10;
	return idx << 16 | idx << 8 | idx;
}

/* Distance weighted by how strongly the eye sees each channel. */
static long theme_rgb_distance(uint32_t a, uint32_t b)
{
	long dr = (long)(a >> 16 & 0xff) - (long)(b >> 16 & 0xff);
	long dg = (long)(a >> 8 & 0xff) - (long)(b >> 8 & 0xff);
	long db = (long)(a & 0xff) - (long)(b & 0xff);

	return 3 * dr * dr + 4 * dg * dg + 2 * db * db;
}

static int theme_nearest_ansi(uint32_t rgb, int n)
{
	long best = -1;
	int i, pick = 0;

	for (i = 0; i < n; i++) {
		long d = theme_rgb_distance(rgb, theme_ansi_rgb[i]);

		if (best < 0 || d < best) {
			best = d;
			pick = i;
		}
	}
	return pick;
}

static int theme_cube_index(int v)
{
	int i, pick = 0;

	for (i = 1; i < 6; i++)
		if (abs(v - theme_cube_levels[i]) < abs(v - theme_cube_levels[pick]))
			pick = i;
	return pick;
}

/* Nearest of the 6x6x6 cube and the 24 greys (16..255): the first 16 are
 * left out because terminals redefine them freely. */
static int theme_nearest_256(uint32_t rgb)
{
	int r = (int)(rgb >> 16 & 0xff), g = (int)(rgb >> 8 & 0xff), b = (int)(rgb & 0xff);
	int cube = 16 + 36 * theme_cube_index(r) + 6 * theme_cube_index(g) + theme_cube_index(b);
	int avg = (r + g + b) / 3, grey;

	grey = avg < 8 ? 0 : (avg - 8 + 5) / 10;
	if (grey > 23)
		grey = 23;
	grey += 232;
	return theme_rgb_distance(rgb, theme_index_rgb((unsigned)grey)) <
		       theme_rgb_distance(rgb, theme_index_rgb((unsigned)cube))
		   ? grey
		   : cube;
}

int theme_map_color(const struct theme_color *c, int colors, bool direct)
{
	uint32_t rgb;

	if (c->kind == THEME_COLOR_DEFAULT || colors < 8)
		return -1;
	if (direct) {
		/* Direct-colour terminfo treats numbers below 8 as the ANSI
		 * colours: keep names as they are, lift RGB values above 7. */
		if (c->kind == THEME_COLOR_INDEX && c->value < 8)
			return (int)c->value;
		rgb = c->kind == THEME_COLOR_RGB ? c->value : theme_index_rgb(c->value);
		return rgb < 8 ? 8 : (int)rgb;
	}
	if (c->kind == THEME_COLOR_INDEX) {
		if ((int)c->value < colors)
			return (int)c->value;
		if (c->value < 16)
			return (int)c->value - 8; /* bright -> normal on 8-colour terminals */
		rgb = theme_index_rgb(c->value);
	} else {
		rgb = c->value;
	}
	if (colors >= 256)
		return theme_nearest_256(rgb);
	return theme_nearest_ansi(rgb, colors >= 16 ? 16 : 8);
}

/* ---- Applying a theme to the terminal ---- */

static bool theme_no_color(void)
{
	/* no-color.org: set to anything, even empty, means no colour. */
	return getenv("NO_COLOR") != NULL;
}

static void theme_apply(const struct theme *t)
{
	bool color = false, direct = false, defaults = false;
	int r;

	if (stdscr && !theme_no_color() && has_colors() && COLORS >= 8 &&
	    COLOR_PAIRS > THEME_ROLE_COUNT) {
		color = true;
		direct = COLORS >= 0x1000000 || tigetflag("RGB") > 0;
		defaults = use_default_colors() == OK;
	}
	for (r = 0; r < THEME_ROLE_COUNT; r++) {
		const struct theme_style *st = color && COLORS < 256 && !direct && t->colors8[r].set
						   ? &t->colors8[r]
						   : &t->colors[r];

		if (!color) {
			/* Without colour, a role that had a background of its own
			 * (the cursor row, titles, dialogs) is told apart by
			 * reverse video. */
			theme_attrs[r] = st->attrs;
			if (st->bg.kind != THEME_COLOR_DEFAULT)
				theme_attrs[r] |= A_REVERSE;
			continue;
		}
		{
			int fg = theme_map_color(&st->fg, COLORS, direct);
			int bg = theme_map_color(&st->bg, COLORS, direct);

			if (!defaults) {
				if (fg < 0)
					fg = COLOR_WHITE;
				if (bg < 0)
					bg = COLOR_BLACK;
			}
			if (init_extended_pair(r + 1, fg, bg) != OK)
				init_pair((short)(r + 1), (short)(fg < 256 ? fg : -1),
					  (short)(bg < 256 ? bg : -1));
			theme_attrs[r] = (int)COLOR_PAIR(r + 1) | st->attrs;
		}
	}
}

int theme_attr(enum theme_role role)
{
	return (unsigned)role < THEME_ROLE_COUNT ? theme_attrs[role] : 0;
}

const char *theme_name(void)
{
	return theme_current;
}

/* ---- Finding themes ---- */

static bool theme_valid_name(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > THEME_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}

/* ~/.config/virtty, honouring XDG_CONFIG_HOME. */
static int theme_config_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/virtty", xdg);
	else if (home && home[0])
		n = snprintf(buf, len, "%s/.config/virtty", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The theme directories in search order; returns how many. */
static int theme_dirs(char dirs[3][VM_PATH_MAX])
{
	const char *env = getenv("VIRTTY_THEMES_DIR");
	int n = 0;

	if (theme_config_dir(dirs[n], VM_PATH_MAX - 8) == 0) {
		strcat(dirs[n], "/themes");
		n++;
	}
	/* Before the installed copy: it is set on purpose (tests, running
	 * from the build tree), and an older installed theme must not win. */
	if (env && env[0])
		snprintf(dirs[n++], VM_PATH_MAX, "%s", env);
	snprintf(dirs[n++], VM_PATH_MAX, "%s/themes", VIRTTY_DATADIR);
	return n;
}

int theme_find_file(const char *name, char *path, size_t len)
{
	char dirs[3][VM_PATH_MAX];
	int n, i;

	if (!theme_valid_name(name))
		return -EINVAL;
	n = theme_dirs(dirs);
	for (i = 0; i < n; i++) {
		struct stat sb;
		int w = snprintf(path, len, "%s/%s.theme", dirs[i], name);

		if (w < 0 || (size_t)w >= len)
			continue;
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			return 0;
	}
	return -ENOENT;
}

static int theme_name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int theme_list(char (*names)[THEME_NAME_MAX + 1], int max)
{
	char dirs[3][VM_PATH_MAX];
	int nd, i, j, count = 0;

	if (max <= 0)
		return 0;
	snprintf(names[count++], THEME_NAME_MAX + 1, "%s", THEME_DEFAULT_NAME);
	nd = theme_dirs(dirs);
	for (i = 0; i < nd; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d)) && count < max) {
			size_t len = strlen(de->d_name);
			char name[THEME_NAME_MAX + 1];
			bool dup = false;

			if (len <= 6 || strcmp(de->d_name + len - 6, ".theme") != 0 ||
			    len - 6 > THEME_NAME_MAX)
				continue;
			memcpy(name, de->d_name, len - 6);
			name[len - 6] = '\0';
			if (!theme_valid_name(name))
				continue;
			for (j = 0; j < count && !dup; j++)
				dup = strcmp(names[j], name) == 0;
			if (!dup)
				memcpy(names[count++], name, len - 5);
		}
		closedir(d);
	}
	qsort(names, (size_t)count, sizeof(names[0]), theme_name_cmp);
	return count;
}

/* ---- The saved choice ---- */

static int theme_config_path(char *buf, size_t len)
{
	char dir[VM_PATH_MAX];
	int n, rc = theme_config_dir(dir, sizeof(dir));

	if (rc < 0)
		return rc;
	n = snprintf(buf, len, "%s/config", dir);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static char *theme_read_small_file(const char *path, size_t max)
{
	FILE *fp = fopen(path, "re");
	char *text;
	size_t n;

	if (!fp)
		return NULL;
	text = malloc(max + 1);
	if (!text) {
		fclose(fp);
		return NULL;
	}
	n = fread(text, 1, max, fp);
	fclose(fp);
	text[n] = '\0';
	return text;
}

/* Finds "theme = VALUE" in [ui]: the value's span in text, or -ENOENT;
 * *ui_end is where the [ui] section ends (or -1 when there is none). */
static int theme_config_find(const char *text, const char **vstart, size_t *vlen,
			     const char **line_start, const char **line_end, const char **ui_end)
{
	bool in_ui = false;
	const char *p = text;

	*ui_end = NULL;
	while (*p) {
		const char *nl = strchr(p, '\n'), *eol = nl ? nl + 1 : p + strlen(p);
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '[') {
			if (in_ui)
				*ui_end = p;
			in_ui = strncmp(q, "[ui]", 4) == 0;
		} else if (in_ui && strncmp(q, "theme", 5) == 0) {
			const char *v = q + 5;

			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=' || *v == ':') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				const char *e = v;

				while (*e && *e != '\n' && *e != '\r' && *e != ';' && *e != ' ' &&
				       *e != '\t')
					e++;
				*vstart = v;
				*vlen = (size_t)(e - v);
				*line_start = p;
				*line_end = eol;
				return 0;
			}
		}
		p = eol;
	}
	if (in_ui)
		*ui_end = p;
	return -ENOENT;
}

int theme_saved_choice(char *name, size_t len)
{
	const char *v, *ls, *le, *ue;
	char path[VM_PATH_MAX], *text;
	size_t vlen;
	int rc;

	if (theme_config_path(path, sizeof(path)) < 0)
		return -ENOENT;
	text = theme_read_small_file(path, THEME_MAX_FILE);
	if (!text)
		return -ENOENT;
	rc = theme_config_find(text, &v, &vlen, &ls, &le, &ue);
	if (rc == 0 && (vlen == 0 || vlen >= len))
		rc = -ENOENT;
	if (rc == 0) {
		memcpy(name, v, vlen);
		name[vlen] = '\0';
	}
	free(text);
	return rc;
}

int theme_save_choice(const char *name, char *err, size_t errlen)
{
	char path[VM_PATH_MAX], dir[VM_PATH_MAX], *text, *out;
	const char *v, *ls, *le, *ue;
	size_t vlen, tlen, olen;
	int rc;

	if (!theme_valid_name(name)) {
		snprintf(err, errlen, "theme '%s': not a valid theme name", name);
		return -EINVAL;
	}
	if (theme_config_dir(dir, sizeof(dir)) < 0 || theme_config_path(path, sizeof(path)) < 0) {
		snprintf(err, errlen,
			 "cannot save the theme: neither XDG_CONFIG_HOME nor HOME is set");
		return -ENOENT;
	}
	/* ~/.config may not exist yet on a fresh account. */
	{
		char parent[VM_PATH_MAX], *slash;

		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = '\0';
			if (mkdir(parent, 0700) < 0 && errno != EEXIST) {
				rc = -errno;
				snprintf(err, errlen, "%s: cannot create: %s", parent,
					 strerror(-rc));
				return rc;
			}
		}
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(-rc));
		return rc;
	}
	text = theme_read_small_file(path, THEME_MAX_FILE);
	if (!text)
		text = strdup("");
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	tlen = strlen(text);
	out = malloc(tlen + strlen(name) + 32);
	if (!out) {
		free(text);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	/* Edit the one line and keep the rest of the file as the user wrote it. */
	if (theme_config_find(text, &v, &vlen, &ls, &le, &ue) == 0) {
		olen = (size_t)(ls - text);
		memcpy(out, text, olen);
		olen += (size_t)sprintf(out + olen, "theme = %s\n", name);
		memcpy(out + olen, le, tlen - (size_t)(le - text));
		olen += tlen - (size_t)(le - text);
	} else if (ue) {
		size_t head = (size_t)(ue - text);

		memcpy(out, text, head);
		olen = head;
		if (head > 0 && out[head - 1] != '\n')
			out[olen++] = '\n';
		olen += (size_t)sprintf(out + olen, "theme = %s\n", name);
		memcpy(out + olen, ue, tlen - head);
		olen += tlen - head;
	} else {
		memcpy(out, text, tlen);
		olen = tlen;
		if (olen > 0 && out[olen - 1] != '\n')
			out[olen++] = '\n';
		olen += (size_t)sprintf(out + olen, "[ui]\ntheme = %s\n", name);
	}
	rc = atomic_write_file(path, out, olen, 0644, err, errlen);
	free(text);
	free(out);
	return rc;
}

/* ---- Loading and cycling ---- */

int theme_load(const char *name, char *err, size_t errlen)
{
	char path[VM_PATH_MAX], saved[THEME_NAME_MAX + 1], msg[600];
	struct theme t;
	int rc;

	if (!name) {
		name = THEME_DEFAULT_NAME;
		if (theme_saved_choice(saved, sizeof(saved)) == 0)
			name = saved;
	}
	snprintf(theme_requested, sizeof(theme_requested), "%s", name);
	if (!theme_valid_name(name)) {
		snprintf(msg, sizeof(msg), "theme '%.64s': not a valid theme name", name);
		rc = -EINVAL;
	} else if (theme_find_file(name, path, sizeof(path)) < 0) {
		if (strcmp(name, THEME_DEFAULT_NAME) == 0) {
			/* The default needs no file: it is built in. */
			theme_builtin(&t);
			theme_apply(&t);
			snprintf(theme_current, sizeof(theme_current), "%s", name);
			return 0;
		}
		snprintf(msg, sizeof(msg),
			 "theme '%s' not found (no %s.theme in the themes folders)", name, name);
		rc = -ENOENT;
	} else {
		rc = theme_parse_file(path, &t, msg, sizeof(msg));
		if (rc == 0) {
			snprintf(t.name, sizeof(t.name), "%s", name);
			theme_apply(&t);
			snprintf(theme_current, sizeof(theme_current), "%s", name);
			return 0;
		}
	}
	snprintf(err, errlen, "%s; using the built-in theme", msg);
	theme_builtin(&t);
	theme_apply(&t);
	snprintf(theme_current, sizeof(theme_current), "%s", THEME_DEFAULT_NAME);
	return rc;
}

int theme_cycle(char *err, size_t errlen)
{
	static char names[THEME_MAX_THEMES][THEME_NAME_MAX + 1];
	int n = theme_list(names, THEME_MAX_THEMES), i, next = 0, rc;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], theme_requested) == 0) {
			next = (i + 1) % n;
			break;
		}
	}
	rc = theme_load(names[next], err, errlen);
	if (rc < 0)
		return rc;
	return theme_save_choice(names[next], err, errlen);
}
