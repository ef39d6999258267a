/* The `?` overlay: every binding of the screen below it, then the global
 * ones, in a box that scrolls when the terminal is short. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tui.h"

struct help_state {
	int scroll;
	int max_scroll; /* from the last draw */
};

static void help_enter(struct tui *tui, struct screen *scr)
{
	(void)tui;
	scr->priv = calloc(1, sizeof(struct help_state));
}

static void help_destroy(struct screen *scr)
{
	free(scr->priv);
	scr->priv = NULL;
}

/* The screen the help is about: the nearest non-overlay below it... or
 * the dialog right below, whose keys matter most at that moment. */
static const struct tui_binding *help_below(struct tui *tui)
{
	for (int i = tui->depth - 2; i >= 0; i--)
		if (tui->stack[i]->ops->help && tui->stack[i]->ops != &screen_help_ops)
			return tui->stack[i]->ops->help;
	return NULL;
}

static void help_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct help_state *st = scr->priv;
	const struct tui_binding *tables[2] = {help_below(tui), tui_global_help()};
	int rows, cols, w, h, y0, x0, nlines = 0, keyw = 0, line, inner;

	getmaxyx(win, rows, cols);
	/* Measure: lines and the widest key column. */
	for (int t = 0; t < 2; t++) {
		if (!tables[t])
			continue;
		for (const struct tui_binding *b = tables[t]; b->keys; b++) {
			int kw = (int)cli_utf8_width(b->keys);

			nlines += b->help ? 1 : (nlines ? 2 : 1);
			if (b->help && kw > keyw)
				keyw = kw;
		}
	}
	w = cols - 4 < 80 ? cols - 4 : 80;
	if (w < 24)
		w = cols;
	h = nlines + 2 < rows ? nlines + 2 : rows;
	inner = h - 2;
	y0 = (rows - h) / 2;
	x0 = (cols - w) / 2;
	if (keyw > w / 3)
		keyw = w / 3;
	if (st) {
		st->max_scroll = nlines - inner > 0 ? nlines - inner : 0;
		if (st->scroll > st->max_scroll)
			st->scroll = st->max_scroll;
	}
	tui_draw_box(tui, win, y0, x0, h, w,
		     st && st->max_scroll ? "Keys (Up/Down scroll, Esc closes)"
					  : "Keys (Esc closes)");

	line = 0;
	for (int t = 0; t < 2; t++) {
		if (!tables[t])
			continue;
		for (const struct tui_binding *b = tables[t]; b->keys; b++) {
			int y;

			if (!b->help && line) /* a blank line before a section */
				line++;
			y = line - (st ? st->scroll : 0);
			line++;
			if (y < 0 || y >= inner)
				continue;
			if (!b->help) {
				wattrset(win, theme_attr(THEME_TITLE));
				tui_put(win, y0 + 1 + y, x0 + 2, w - 4, b->keys, false);
				continue;
			}
			wattrset(win, theme_attr(THEME_KEYBAR_KEY));
			tui_put(win, y0 + 1 + y, x0 + 3, keyw, b->keys, false);
			wattrset(win, theme_attr(THEME_DIALOG));
			tui_put(win, y0 + 1 + y, x0 + 5 + keyw, w - keyw - 7, b->help, false);
		}
	}
	wattrset(win, theme_attr(THEME_NORMAL));
}

static enum tui_result help_key(struct tui *tui, struct screen *scr, int key)
{
	struct help_state *st = scr->priv;

	switch (key) {
	case KEY_UP:
	case 'k':
		if (st && st->scroll > 0)
			st->scroll--;
		return TUI_REDRAW;
	case KEY_DOWN:
	case 'j':
		if (st && st->scroll < st->max_scroll)
			st->scroll++;
		return TUI_REDRAW;
	case KEY_PPAGE:
		if (st)
			st->scroll = st->scroll > 10 ? st->scroll - 10 : 0;
		return TUI_REDRAW;
	case KEY_NPAGE:
		if (st)
			st->scroll =
			    st->scroll + 10 < st->max_scroll ? st->scroll + 10 : st->max_scroll;
		return TUI_REDRAW;
	case 27:
	case 'q':
	case '?':
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_F(1):
		tui_pop_screen(tui);
		return TUI_REDRAW;
	}
	return TUI_HANDLED; /* modal */
}

static enum tui_result help_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	if (ev->bstate & BUTTON4_PRESSED)
		return help_key(tui, scr, KEY_UP);
	if (ev->bstate & BUTTON5_PRESSED)
		return help_key(tui, scr, KEY_DOWN);
	/* A click anywhere closes it, as a tooltip would. */
	tui_pop_screen(tui);
	return TUI_REDRAW;
}

static const struct keybar_item help_keybar[] = {
    {"Esc", "Close", 27},
    {"Up/Down", "Scroll", 0},
    {NULL, NULL, 0},
};

static const struct keybar_item *help_keybar_items(struct tui *tui, struct screen *scr)
{
	(void)tui;
	(void)scr;
	return help_keybar;
}

const struct screen_ops screen_help_ops = {
    .name = "help",
    .overlay = true,
    .enter = help_enter,
    .draw = help_draw,
    .key = help_key,
    .mouse = help_mouse,
    .keybar = help_keybar_items,
    .destroy = help_destroy,
};
