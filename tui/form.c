/* The form widget (form.h): field editing and validation, which the tests
 * drive without a terminal, and drawing into a curses window. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "theme.h"

void form_field_set_text(struct form_field *f, const char *text)
{
	snprintf(f->text, sizeof(f->text), "%s", text);
	f->cursor = strlen(f->text);
}

long form_field_number(const struct form_field *f, long def)
{
	char *end;
	long v;

	if (!f->text[0])
		return def;
	errno = 0;
	v = strtol(f->text, &end, 10);
	if (errno || *end)
		return def;
	return v;
}

const char *form_field_choice(const struct form_field *f)
{
	if (f->choice < 0 || f->choice >= f->nr_choices)
		return "";
	return f->choices[f->choice];
}

int form_first(const struct form *form)
{
	for (int i = 0; i < form->nr_fields; i++)
		if (!form->fields[i].hidden)
			return i;
	return -1;
}

int form_last(const struct form *form)
{
	for (int i = form->nr_fields - 1; i >= 0; i--)
		if (!form->fields[i].hidden)
			return i;
	return -1;
}

bool form_changed(const struct form *form)
{
	for (int i = 0; i < form->nr_fields; i++)
		if (form->fields[i].changed)
			return true;
	return false;
}

int form_validate_field(struct form *form, int i)
{
	struct form_field *f;
	int r;

	if (i < 0 || i >= form->nr_fields)
		return 0;
	f = &form->fields[i];
	f->msg[0] = '\0';
	f->msg_level = FORM_MSG_NONE;
	if (f->hidden || !f->validate)
		return 0;
	r = f->validate(f, form->opaque, f->msg, sizeof(f->msg));
	if (r < 0)
		f->msg_level = FORM_MSG_ERROR;
	else if (r > 0)
		f->msg_level = FORM_MSG_WARN;
	else if (f->msg[0])
		f->msg_level = FORM_MSG_NOTE;
	return r;
}

int form_validate_all(struct form *form)
{
	int first = -1;

	for (int i = 0; i < form->nr_fields; i++)
		if (form_validate_field(form, i) < 0 && first < 0)
			first = i;
	if (first >= 0)
		form->focus = first;
	return first;
}

bool form_focus(struct form *form, int i)
{
	if (i < 0 || i >= form->nr_fields || form->fields[i].hidden)
		return false;
	if (i != form->focus)
		form_validate_field(form, form->focus);
	form->focus = i;
	return true;
}

/* The next visible field in direction dir, or -1 past either end. */
static int form_step(const struct form *form, int from, int dir)
{
	for (int i = from + dir; i >= 0 && i < form->nr_fields; i += dir)
		if (!form->fields[i].hidden)
			return i;
	return -1;
}

/* Bytes of the UTF-8 character before/at pos, so the cursor never lands
 * inside one. */
static size_t form_prev_char(const char *s, size_t pos)
{
	if (!pos)
		return 0;
	pos--;
	while (pos && ((unsigned char)s[pos] & 0xc0) == 0x80)
		pos--;
	return pos;
}

static size_t form_next_char(const char *s, size_t pos)
{
	size_t len = strlen(s);

	if (pos >= len)
		return len;
	pos++;
	while (pos < len && ((unsigned char)s[pos] & 0xc0) == 0x80)
		pos++;
	return pos;
}

static void form_delete_range(struct form_field *f, size_t from, size_t to)
{
	size_t len = strlen(f->text);

	if (from >= to || to > len)
		return;
	memmove(f->text + from, f->text + to, len - to + 1);
	f->cursor = from;
}

static bool form_insert(struct form_field *f, int ch)
{
	size_t len = strlen(f->text);

	if (len + 1 >= sizeof(f->text))
		return false;
	if (f->cursor > len)
		f->cursor = len;
	memmove(f->text + f->cursor + 1, f->text + f->cursor, len - f->cursor + 1);
	f->text[f->cursor++] = (char)ch;
	return true;
}

/* + and - on a number field: step within its bounds. */
static void form_number_step(struct form_field *f, int dir)
{
	long v = form_field_number(f, f->num_min) + dir;
	char buf[32];

	if (f->num_max > f->num_min) {
		if (v < f->num_min)
			v = f->num_min;
		if (v > f->num_max)
			v = f->num_max;
	}
	snprintf(buf, sizeof(buf), "%ld", v);
	form_field_set_text(f, buf);
}

/* Editing keys of a text or number field. */
static enum form_key_result form_edit_key(struct form_field *f, int key)
{
	size_t len = strlen(f->text);

	if (f->cursor > len)
		f->cursor = len;
	switch (key) {
	case KEY_LEFT:
		f->cursor = form_prev_char(f->text, f->cursor);
		return FORM_KEY_HANDLED;
	case KEY_RIGHT:
		f->cursor = form_next_char(f->text, f->cursor);
		return FORM_KEY_HANDLED;
	case KEY_HOME:
	case 1: /* Ctrl-A */
		f->cursor = 0;
		return FORM_KEY_HANDLED;
	case KEY_END:
	case 5: /* Ctrl-E */
		f->cursor = len;
		return FORM_KEY_HANDLED;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (!f->cursor)
			return FORM_KEY_HANDLED;
		form_delete_range(f, form_prev_char(f->text, f->cursor), f->cursor);
		return FORM_KEY_EDITED;
	case KEY_DC:
	case 4: /* Ctrl-D */
		if (f->cursor >= len)
			return FORM_KEY_HANDLED;
		form_delete_range(f, f->cursor, form_next_char(f->text, f->cursor));
		return FORM_KEY_EDITED;
	case 21: /* Ctrl-U: clear */
		f->text[0] = '\0';
		f->cursor = 0;
		return FORM_KEY_EDITED;
	case 11: /* Ctrl-K: to the end */
		f->text[f->cursor] = '\0';
		return FORM_KEY_EDITED;
	}
	if (f->kind == FORM_NUMBER) {
		if (key == '+' || key == '-') {
			form_number_step(f, key == '+' ? 1 : -1);
			return FORM_KEY_EDITED;
		}
		if (key >= '0' && key <= '9')
			return form_insert(f, key) ? FORM_KEY_EDITED : FORM_KEY_HANDLED;
		return key >= 32 && key < 256 ? FORM_KEY_HANDLED : FORM_KEY_IGNORED;
	}
	/* Printable ASCII, and the bytes of UTF-8 characters as they come. */
	if ((key >= 32 && key < 127) || (key >= 128 && key < 256))
		return form_insert(f, key) ? FORM_KEY_EDITED : FORM_KEY_HANDLED;
	return FORM_KEY_IGNORED;
}

enum form_key_result form_key(struct form *form, int key)
{
	struct form_field *f;
	enum form_key_result r;
	int to;

	if (form->focus < 0 || form->focus >= form->nr_fields || form->fields[form->focus].hidden) {
		form->focus = form_first(form);
		if (form->focus < 0)
			return FORM_KEY_IGNORED;
	}
	f = &form->fields[form->focus];
	switch (key) {
	case '\t':
	case KEY_DOWN:
		to = form_step(form, form->focus, 1);
		if (to < 0) {
			form_validate_field(form, form->focus);
			return FORM_KEY_WRAP_NEXT;
		}
		form_focus(form, to);
		return FORM_KEY_MOVED;
	case KEY_BTAB:
	case KEY_UP:
		to = form_step(form, form->focus, -1);
		if (to < 0) {
			form_validate_field(form, form->focus);
			return FORM_KEY_WRAP_PREV;
		}
		form_focus(form, to);
		return FORM_KEY_MOVED;
	}

	switch (f->kind) {
	case FORM_TEXT:
	case FORM_NUMBER:
		r = form_edit_key(f, key);
		break;
	case FORM_CHOICE:
		r = FORM_KEY_IGNORED;
		if (f->nr_choices > 0 && (key == KEY_RIGHT || key == ' ' || key == KEY_LEFT)) {
			int d = key == KEY_LEFT ? f->nr_choices - 1 : 1;

			f->choice = (f->choice + d) % f->nr_choices;
			r = FORM_KEY_EDITED;
		}
		break;
	case FORM_CHECK:
		r = FORM_KEY_IGNORED;
		if (key == ' ') {
			f->checked = !f->checked;
			r = FORM_KEY_EDITED;
		}
		break;
	default:
		r = FORM_KEY_IGNORED;
	}
	if (r == FORM_KEY_EDITED) {
		f->changed = true;
		/* A stale error would contradict what is typed: it comes
		 * back when the field is left. */
		if (f->msg_level == FORM_MSG_ERROR) {
			f->msg[0] = '\0';
			f->msg_level = FORM_MSG_NONE;
		}
		/* Choices and checkboxes have no "leaving" moment worth
		 * waiting for: say at once what they imply. */
		if (f->kind == FORM_CHOICE || f->kind == FORM_CHECK)
			form_validate_field(form, form->focus);
	}
	return r;
}

/* ---- drawing ---- */

static int form_msg_attr(enum form_msg_level level)
{
	switch (level) {
	case FORM_MSG_ERROR:
		return theme_attr(THEME_ERROR);
	case FORM_MSG_WARN:
		return theme_attr(THEME_STATE_TRANSIENT) | A_BOLD;
	default:
		return theme_attr(THEME_DIM);
	}
}

/* Put at most width bytes-as-columns of s (fields hold mostly ASCII:
 * paths, names, sizes); returns the columns used. */
static int form_put(WINDOW *win, int y, int x, int width, const char *s, size_t len)
{
	if (width <= 0)
		return 0;
	if ((int)len > width)
		len = (size_t)width;
	mvwaddnstr(win, y, x, s, (int)len);
	return (int)len;
}

int form_draw(WINDOW *win, struct form *form, int y, int x, int width, int label_w, bool active,
	      bool utf8)
{
	int rows = 0, maxy = getmaxy(win);

	for (int i = 0;
	     i < form->nr_fields && i < (int)(sizeof(form->rows) / sizeof(form->rows[0])); i++) {
		struct form_field *f = &form->fields[i];
		bool focused = active && i == form->focus;
		int vx = x + label_w, vw = width - label_w, used = 0, row = y + rows;
		int in = theme_attr(focused ? THEME_INPUT : THEME_NORMAL);
		char buf[FORM_MSG_MAX + 8];

		form->rows[i] = -1;
		if (f->hidden)
			continue;
		if (row >= maxy)
			break;
		form->rows[i] = row;
		wattrset(win, theme_attr(focused ? THEME_SELECTED : THEME_NORMAL));
		mvwaddstr(win, row, x, focused ? ">" : " ");
		wattrset(win, theme_attr(THEME_NORMAL));
		form_put(win, row, x + 2, label_w - 3, f->label, strlen(f->label));
		if (vw <= 0)
			goto next;
		switch (f->kind) {
		case FORM_TEXT:
		case FORM_NUMBER: {
			/* The box is as wide as the text (at least 12 columns,
			 * at most what fits), scrolled to keep the cursor in. */
			int len = (int)strlen(f->text), start = 0;
			int box = len + 2 > 24 ? len + 2 : 24;

			/* Leave room for the message: the path typed may be cut
			 * (it scrolls), what is wrong with it should not be. */
			if (f->msg[0] && box > vw - (int)strlen(f->msg) - 2)
				box = vw - (int)strlen(f->msg) - 2;
			if (box < 12)
				box = 12;
			if (box > vw)
				box = vw;
			if (f->kind == FORM_NUMBER)
				box = 8;
			if ((int)f->cursor >= box)
				start = (int)f->cursor - box + 1;
			wattrset(win, in | (focused ? 0 : A_UNDERLINE));
			mvwhline(win, row, vx, ' ', box);
			form_put(win, row, vx, box, f->text + start, (size_t)(len - start));
			if (focused)
				mvwchgat(win, row, vx + (int)f->cursor - start, 1, A_REVERSE, 0,
					 NULL);
			used = box;
			break;
		}
		case FORM_CHOICE:
			snprintf(buf, sizeof(buf), "%s %s %s", utf8 ? "\u25c2" : "<",
				 form_field_choice(f), utf8 ? "\u25b8" : ">");
			wattrset(win, in);
			mvwaddstr(win, row, vx, buf);
			used = (int)strlen(form_field_choice(f)) + 4;
			break;
		case FORM_CHECK:
			wattrset(win, in);
			mvwaddstr(win, row, vx, f->checked ? "[x]" : "[ ]");
			used = 3;
			break;
		}
		if (f->msg[0] && vw - used - 2 > 0) {
			wattrset(win, form_msg_attr(f->msg_level));
			form_put(win, row, vx + used + 2, vw - used - 2, f->msg, strlen(f->msg));
		}
	next:
		wattrset(win, theme_attr(THEME_NORMAL));
		rows++;
	}
	return rows;
}

int form_field_at(const struct form *form, int y)
{
	int n = form->nr_fields < 32 ? form->nr_fields : 32;

	for (int i = 0; i < n; i++)
		if (!form->fields[i].hidden && form->rows[i] == y)
			return i;
	return -1;
}
