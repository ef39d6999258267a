/* A one-line text input drawn over the current screen: the new name of a
 * clone, a VM's vCPUs or memory. The caller validates in on_ok; a refusal
 * keeps the dialog open with the reason under the field. */
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define DIALOG_INPUT_MAX 128

struct dialog_input {
	char title[64];
	char prompt[160];
	char text[DIALOG_INPUT_MAX];
	char error[256];
	bool secret; /* show '*' for each character (passwords) */
	int (*on_ok)(struct tui *tui, const char *text, void *opaque, char *err, size_t errlen);
	void *opaque;
	void (*free_opaque)(void *opaque);
};

static const struct keybar_item dialog_input_keybar[] = {
    {"Enter", "OK", '\n'},
    {"Esc", "Cancel", 27},
    {"^U", "Clear", 21},
    {NULL, NULL, 0},
};

static const struct tui_binding dialog_input_help[] = {
    {"Input", NULL},
    {"Enter", "accept the value (it is checked first)"},
    {"Esc", "cancel"},
    {"Backspace, Ctrl-U", "delete a character, clear the field"},
    {NULL, NULL},
};

static struct screen *dialog_input_open(const struct dialog_input *from, const char *error);

static void dialog_input_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct dialog_input *d = scr->priv;
	int rows, cols, w, h, y, x, fw, len, start;

	getmaxyx(win, rows, cols);
	/* Wide enough for the prompt (URI examples), within the window. */
	w = (int)strlen(d->prompt) + 6 > 60 ? (int)strlen(d->prompt) + 6 : 60;
	if (w > cols - 4)
		w = cols - 4;
	if (w < 20)
		w = cols;
	h = d->error[0] ? 6 : 5;
	if (h > rows)
		h = rows;
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	tui_draw_box(tui, win, y, x, h, w, d->title);
	wattrset(win, theme_attr(THEME_DIALOG));
	tui_put(win, y + 1, x + 2, w - 4, d->prompt, false);
	/* The field: the end of the text stays visible while typing. */
	fw = w - 4;
	len = (int)strlen(d->text);
	start = len >= fw ? len - fw + 1 : 0;
	wattrset(win, theme_attr(THEME_INPUT));
	if (d->secret) {
		char stars[DIALOG_INPUT_MAX];

		memset(stars, '*', (size_t)(len - start));
		stars[len - start] = '\0';
		tui_put(win, y + 2, x + 2, fw, stars, true);
	} else {
		tui_put(win, y + 2, x + 2, fw, d->text + start, true);
	}
	if (d->error[0]) {
		wattrset(win, theme_attr(THEME_ERROR));
		tui_put(win, y + 3, x + 2, w - 4, d->error, false);
	}
	wattrset(win, theme_attr(THEME_DIM));
	tui_put(win, y + h - 2, x + 2, w - 4, "Enter: OK   Esc: cancel", false);
	wattrset(win, theme_attr(THEME_NORMAL));
}

static enum tui_result dialog_input_key(struct tui *tui, struct screen *scr, int key)
{
	struct dialog_input *d = scr->priv;
	size_t len = strlen(d->text);

	switch (key) {
	case 27:
		tui_pop_screen(tui);
		return TUI_REDRAW;
	case '\n':
	case '\r':
	case KEY_ENTER: {
		struct dialog_input saved = *d;
		char err[256] = "";

		/* Pop first, like the confirmation: on_ok may push a screen
		 * (the clone's progress box). The opaque data lives on in a
		 * new dialog if the value is refused. */
		d->opaque = NULL;
		tui_pop_screen(tui); /* frees d */
		if (!saved.on_ok || !saved.on_ok(tui, saved.text, saved.opaque, err, sizeof(err))) {
			if (saved.free_opaque && saved.opaque)
				saved.free_opaque(saved.opaque);
			return TUI_REDRAW;
		}
		tui_push_screen(tui, dialog_input_open(&saved, err[0] ? err : "invalid value"));
		return TUI_REDRAW;
	}
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (len) {
			/* Whole UTF-8 characters: drop continuation bytes too. */
			while (len > 1 && ((unsigned char)d->text[len - 1] & 0xc0) == 0x80)
				len--;
			d->text[len - 1] = '\0';
		}
		d->error[0] = '\0';
		return TUI_REDRAW;
	case 21: /* Ctrl-U */
		d->text[0] = '\0';
		d->error[0] = '\0';
		return TUI_REDRAW;
	case '?':
	case KEY_F(1):
		if (!len)
			return TUI_IGNORED; /* help, on an empty field */
		break;
	}
	if (key >= 32 && key < 256 && key != 127) {
		if (len + 1 < sizeof(d->text)) {
			d->text[len] = (char)key;
			d->text[len + 1] = '\0';
		}
		d->error[0] = '\0';
		return TUI_REDRAW;
	}
	return TUI_HANDLED; /* modal */
}

static enum tui_result dialog_input_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	(void)tui;
	(void)scr;
	(void)ev;
	return TUI_HANDLED;
}

static const struct keybar_item *dialog_input_keybar_items(struct tui *tui, struct screen *scr)
{
	(void)tui;
	(void)scr;
	return dialog_input_keybar;
}

static void dialog_input_destroy(struct screen *scr)
{
	struct dialog_input *d = scr->priv;

	if (d && d->free_opaque && d->opaque)
		d->free_opaque(d->opaque);
	free(d);
	scr->priv = NULL;
}

static const struct screen_ops dialog_input_ops = {
    .name = "input",
    .overlay = true,
    .draw = dialog_input_draw,
    .key = dialog_input_key,
    .mouse = dialog_input_mouse,
    .keybar = dialog_input_keybar_items,
    .help = dialog_input_help,
    .destroy = dialog_input_destroy,
};

/* A dialog like from (again, after a refused value) showing error. */
static struct screen *dialog_input_open(const struct dialog_input *from, const char *error)
{
	struct screen *scr = dialog_input_new(from->title, from->prompt, from->text, from->on_ok,
					      from->opaque, from->free_opaque);

	if (scr) {
		snprintf(((struct dialog_input *)scr->priv)->error, sizeof(from->error), "%s",
			 error);
		((struct dialog_input *)scr->priv)->secret = from->secret;
	}
	return scr;
}

struct screen *dialog_input_new(const char *title, const char *prompt, const char *initial,
				int (*on_ok)(struct tui *tui, const char *text, void *opaque,
					     char *err, size_t errlen),
				void *opaque, void (*free_opaque)(void *opaque))
{
	struct dialog_input *d = calloc(1, sizeof(*d));
	struct screen *scr;

	if (!d) {
		if (free_opaque && opaque)
			free_opaque(opaque);
		return NULL;
	}
	snprintf(d->title, sizeof(d->title), "%s", title ? title : "");
	snprintf(d->prompt, sizeof(d->prompt), "%s", prompt ? prompt : "");
	snprintf(d->text, sizeof(d->text), "%s", initial ? initial : "");
	d->on_ok = on_ok;
	d->opaque = opaque;
	d->free_opaque = free_opaque;
	scr = tui_screen_new(&dialog_input_ops, d);
	if (!scr)
		dialog_input_destroy(&(struct screen){.priv = d});
	return scr;
}

void dialog_input_set_secret(struct screen *scr, bool secret)
{
	struct dialog_input *d = scr ? scr->priv : NULL;

	if (d)
		d->secret = secret;
}
