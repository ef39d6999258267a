/* Themes: what every part of the TUI draws with. A role names the purpose
 * of some text; theme_attr() gives the curses attributes (colour pair and
 * bold/reverse/...) the loaded theme gives it on this terminal. */
#ifndef VIRTTY_TUI_THEME_H
#define VIRTTY_TUI_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"

enum theme_role {
	THEME_NORMAL,	     /* ordinary text and background */
	THEME_TITLE,	     /* screen titles, the connection header */
	THEME_BORDER,	     /* boxes and separators */
	THEME_HEADER,	     /* column headings of tables */
	THEME_SELECTED,	     /* the cursor row */
	THEME_MARKED,	     /* rows picked for a bulk action (space) */
	THEME_KEYBAR_KEY,    /* "F1" in the bottom key bar */
	THEME_KEYBAR_LABEL,  /* "Help" in the bottom key bar */
	THEME_STATUS,	     /* the status/message line */
	THEME_STATE_SHUTOFF, /* VM states, see theme_state_role() */
	THEME_STATE_RUNNING,
	THEME_STATE_PAUSED,
	THEME_STATE_TRANSIENT, /* starting, shutting down */
	THEME_STATE_CRASHED,
	THEME_STATE_UNKNOWN,
	THEME_GRAPH_LOW, /* graph gradient: low, middle, high thirds of the scale */
	THEME_GRAPH_MID,
	THEME_GRAPH_HIGH,
	THEME_ERROR,  /* error messages */
	THEME_DIM,    /* secondary text: units, hints, empty cells */
	THEME_DIALOG, /* dialog boxes and overlays (help, confirmation) */
	THEME_INPUT,  /* text being edited (filter, form fields) */
	THEME_ROLE_COUNT
};

/* theme.c */
/* Load theme NAME (NULL: the one saved in ~/.config/virtty/config, else
 * "dark") and set up colour pairs for this terminal; call after
 * start_color() (or without colours: attributes only). NO_COLOR in the
 * environment means no colours. On failure (unknown name, malformed file)
 * the built-in default is used, err says why (file and line) and a
 * negative errno is returned: the TUI still runs. */
int theme_load(const char *name, char *err, size_t errlen);
/* Attributes for a role: pass to wattron()/wattrset()/wbkgd(). */
int theme_attr(enum theme_role role);
/* Name of the loaded theme ("dark", ...). */
const char *theme_name(void);
/* Load the next theme of the list (user's, then installed) and save the
 * choice to the config file. 0 or negative errno + message. */
int theme_cycle(char *err, size_t errlen);

/* The parts of theme.c below are for tests and for screens that list themes. */
#define THEME_NAME_MAX 64
#define THEME_MAX_THEMES 64

/* A colour as written in a theme file. */
enum theme_color_kind { THEME_COLOR_DEFAULT, THEME_COLOR_INDEX, THEME_COLOR_RGB };
struct theme_color {
	enum theme_color_kind kind;
	uint32_t value; /* 0-255 palette index, or 0xRRGGBB */
};
struct theme_style {
	bool set; /* the file gave this role */
	struct theme_color fg, bg;
	int attrs; /* A_BOLD | A_DIM | A_REVERSE | A_UNDERLINE | A_ITALIC */
};
/* A parsed theme file: [colors] for 256-colour and truecolor terminals,
 * optional [colors8] overrides for 8/16-colour ones. */
struct theme {
	char name[THEME_NAME_MAX + 1];
	char description[128];
	struct theme_style colors[THEME_ROLE_COUNT];
	struct theme_style colors8[THEME_ROLE_COUNT];
};
/* "normal", "selected", "graph_low": the role's key in a theme file. */
const char *theme_role_key(enum theme_role role);
/* Parse a theme file; roles it does not set are taken from the built-in
 * default. On error: -EINVAL (or -errno) and "PATH line N: what". */
int theme_parse_file(const char *path, struct theme *out, char *err, size_t errlen);
int theme_parse_text(const char *text, const char *path, struct theme *out, char *err,
		     size_t errlen);
/* The built-in default theme (the same as themes/dark.theme). */
void theme_builtin(struct theme *out);
/* The curses colour number for c on a terminal with `colors` colours (-1 =
 * the terminal's default; direct: colour numbers are 0xRRGGBB). */
int theme_map_color(const struct theme_color *c, int colors, bool direct);
/* Where theme NAME would be loaded from: the first NAME.theme in the search
 * path (user's themes, $VIRTTY_THEMES_DIR, installed themes). -ENOENT. */
int theme_find_file(const char *name, char *path, size_t len);
/* Names of every theme found in the search path, sorted, without
 * duplicates; "dark" is always there (built in). Returns the count. */
int theme_list(char (*names)[THEME_NAME_MAX + 1], int max);
/* The saved choice ([ui] theme in ~/.config/virtty/config): 0, -ENOENT. */
int theme_saved_choice(char *name, size_t len);
/* Save NAME as the choice, keeping the rest of the config file. */
int theme_save_choice(const char *name, char *err, size_t errlen);

static inline enum theme_role theme_state_role(enum vm_state state)
{
	switch (state) {
	case VM_STATE_SHUTOFF:
		return THEME_STATE_SHUTOFF;
	case VM_STATE_RUNNING:
		return THEME_STATE_RUNNING;
	case VM_STATE_PAUSED:
		return THEME_STATE_PAUSED;
	case VM_STATE_STARTING:
	case VM_STATE_SHUTTING_DOWN:
		return THEME_STATE_TRANSIENT;
	case VM_STATE_CRASHED:
		return THEME_STATE_CRASHED;
	default:
		return THEME_STATE_UNKNOWN;
	}
}

#endif
