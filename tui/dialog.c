/* Dialogs drawn over the current screen. For now the yes/no confirmation
 * that every destructive action goes through; "No" is the default, so an
 * Enter pressed by habit does no harm. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tui.h"

#define DIALOG_MAX_LINES 12

struct dialog_confirm {
	char title[64];
	char text[512];
	bool yes_focused;
	void (*on_yes)(struct tui *tui, void *opaque);
	void *opaque;
	void (*free_opaque)(void *opaque);
	/* Where the buttons were drawn (window coordinates), for clicks. */
	int btn_y, yes_x0, yes_x1, no_x0, no_x1;
};

static const struct keybar_item dialog_keybar[] = {
    {"y", "Yes", 'y'},
    {"n", "No", 'n'},
    {"Esc", "Cancel", 27},
    {NULL, NULL, 0},
};

static const struct tui_binding dialog_help[] = {
    {"Confirmation", NULL},
    {"y", "yes, do it"},
    {"n, Esc", "no, leave things as they are"},
    {"Left/Right, Tab", "move between Yes and No; Enter presses the one shown"},
    {NULL, NULL},
};

/* Break text into lines of at most width columns at spaces. Returns the
 * number of lines; starts[i]/lens[i] give byte ranges. */
static int dialog_wrap(const char *text, int width, int *starts, int *lens, int max)
{
	int n = 0, pos = 0, len = (int)strlen(text);

	while (pos < len && n < max) {
		int end = pos, last_space = -1;

		while (end < len && end - pos < width) {
			if (text[end] == ' ')
				last_space = end;
			end++;
		}
		if (end < len && last_space > pos)
			end = last_space;
		starts[n] = pos;
		lens[n] = end - pos;
		n++;
		pos = end;
		while (pos < len && text[pos] == ' ')
			pos++;
	}
	return n;
}

static void dialog_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct dialog_confirm *d = scr->priv;
	int rows, cols, w, h, y, x, n, starts[DIALOG_MAX_LINES], lens[DIALOG_MAX_LINES];
	char line[512];

	getmaxyx(win, rows, cols);
	w = cols - 4 < 64 ? cols - 4 : 64;
	if (w < 20)
		w = cols;
	n = dialog_wrap(d->text, w - 4, starts, lens, DIALOG_MAX_LINES);
	h = n + 4;
	if (h > rows)
		h = rows;
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	tui_draw_box(tui, win, y, x, h, w, d->title);
	wattrset(win, theme_attr(THEME_DIALOG));
	for (int i = 0; i < n && 1 + i < h - 2; i++) {
		snprintf(line, sizeof(line), "%.*s", lens[i], d->text + starts[i]);
		tui_put(win, y + 1 + i, x + 2, w - 4, line, false);
	}
	/* Buttons on the last inner line, "No" focused by default. */
	d->btn_y = y + h - 2;
	d->yes_x0 = x + w / 2 - 10;
	d->yes_x1 = d->yes_x0 + 7;
	d->no_x0 = x + w / 2 + 3;
	d->no_x1 = d->no_x0 + 6;
	wattrset(win, theme_attr(d->yes_focused ? THEME_SELECTED : THEME_DIALOG));
	mvwaddstr(win, d->btn_y, d->yes_x0, "[ Yes ]");
	wattrset(win, theme_attr(d->yes_focused ? THEME_DIALOG : THEME_SELECTED));
	mvwaddstr(win, d->btn_y, d->no_x0, "[ No ]");
	wattrset(win, theme_attr(THEME_NORMAL));
}

static enum tui_result dialog_answer(struct tui *tui, struct dialog_confirm *d, bool yes)
{
	void (*on_yes)(struct tui *, void *) = d->on_yes;
	void (*free_opaque)(void *) = d->free_opaque;
	void *opaque = d->opaque;

	/* Pop first: on_yes may push a screen of its own. The opaque data
	 * is freed with the dialog, so keep it alive until on_yes ran. */
	d->opaque = NULL;
	tui_pop_screen(tui); /* frees d */
	if (yes && on_yes)
		on_yes(tui, opaque);
	if (free_opaque && opaque)
		free_opaque(opaque);
	return TUI_REDRAW;
}

static enum tui_result dialog_key(struct tui *tui, struct screen *scr, int key)
{
	struct dialog_confirm *d = scr->priv;

	switch (key) {
	case 'y':
	case 'Y':
		return dialog_answer(tui, d, true);
	case 'n':
	case 'N':
	case 27:
	case 'q':
		return dialog_answer(tui, d, false);
	case '\n':
	case '\r':
	case KEY_ENTER:
		return dialog_answer(tui, d, d->yes_focused);
	case KEY_LEFT:
	case KEY_RIGHT:
	case '\t':
	case KEY_BTAB:
	case 'h':
	case 'l':
		d->yes_focused = !d->yes_focused;
		return TUI_REDRAW;
	}
	/* Modal: nothing reaches the screens below or the global keys
	 * except help. */
	if (key == '?' || key == KEY_F(1))
		return TUI_IGNORED;
	return TUI_HANDLED;
}

static enum tui_result dialog_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	struct dialog_confirm *d = scr->priv;

	if (ev->y != d->btn_y)
		return TUI_HANDLED;
	if (ev->x >= d->yes_x0 && ev->x < d->yes_x1)
		return dialog_answer(tui, d, true);
	if (ev->x >= d->no_x0 && ev->x < d->no_x1)
		return dialog_answer(tui, d, false);
	return TUI_HANDLED;
}

static const struct keybar_item *dialog_keybar_items(struct tui *tui, struct screen *scr)
{
	(void)tui;
	(void)scr;
	return dialog_keybar;
}

static void dialog_destroy(struct screen *scr)
{
	struct dialog_confirm *d = scr->priv;

	if (d && d->free_opaque && d->opaque)
		d->free_opaque(d->opaque);
	free(d);
	scr->priv = NULL;
}

static const struct screen_ops dialog_confirm_ops = {
    .name = "confirm",
    .overlay = true,
    .draw = dialog_draw,
    .key = dialog_key,
    .mouse = dialog_mouse,
    .keybar = dialog_keybar_items,
    .help = dialog_help,
    .destroy = dialog_destroy,
};

struct screen *dialog_confirm_new(const char *title, const char *text,
				  void (*on_yes)(struct tui *tui, void *opaque), void *opaque,
				  void (*free_opaque)(void *opaque))
{
	struct dialog_confirm *d = calloc(1, sizeof(*d));
	struct screen *scr;

	if (!d) {
		if (free_opaque && opaque)
			free_opaque(opaque);
		return NULL;
	}
	snprintf(d->title, sizeof(d->title), "%s", title);
	snprintf(d->text, sizeof(d->text), "%s", text);
	d->on_yes = on_yes;
	d->opaque = opaque;
	d->free_opaque = free_opaque;
	scr = tui_screen_new(&dialog_confirm_ops, d);
	if (!scr)
		dialog_destroy(&(struct screen){.priv = d});
	return scr;
}
