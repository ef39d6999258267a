/* The frame the New VM and New Network wizards share (wizard.h): steps,
 * buttons and their keys, so both wizards look and answer alike. */
#include <stdio.h>
#include <string.h>

#include "wizard.h"

void wizard_frame_init(struct wizard_frame *wf, const struct wizard_ops *ops, void *owner,
		       struct form *forms)
{
	memset(wf, 0, sizeof(*wf));
	wf->ops = ops;
	wf->owner = owner;
	wf->forms = forms;
	wf->button = -1;
}

void wizard_field_init(struct form_field *f, enum form_kind kind, const char *label,
		       const char *text, form_validator validate)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->label = label;
	f->validate = validate;
	if (text)
		form_field_set_text(f, text);
}

void wizard_frame_form(struct wizard_frame *wf, int step, struct form_field *fields, int n)
{
	wf->forms[step].fields = fields;
	wf->forms[step].nr_fields = n;
	wf->forms[step].focus = 0;
	wf->forms[step].opaque = wf->owner;
}

void wizard_frame_show(struct wizard_frame *wf, int step)
{
	struct form *form = &wf->forms[step];

	wf->step = step;
	wf->button = -1;
	if (form->focus < 0 || form->fields[form->focus].hidden)
		form->focus = form_first(form);
}

/* Has the user edited any step? (Cancel asks first then.) */
static bool wizard_frame_typed(const struct wizard_frame *wf)
{
	for (int s = 0; s < wf->ops->nr_steps; s++)
		if (form_changed(&wf->forms[s]))
			return true;
	return false;
}

static bool wizard_frame_skipped(const struct wizard_frame *wf, int step)
{
	return wf->ops->skipped && wf->ops->skipped(wf->owner, step);
}

bool wizard_frame_validate(struct wizard_frame *wf)
{
	for (int s = 0; s < wf->ops->nr_steps; s++) {
		if (!wizard_frame_skipped(wf, s) && form_validate_all(&wf->forms[s]) >= 0) {
			wf->step = s;
			wf->button = -1;
			return false;
		}
	}
	return true;
}

static void wizard_frame_next(struct tui *tui, struct wizard_frame *wf)
{
	if (wf->step == wf->ops->nr_steps - 1) {
		wf->ops->finish(tui, wf->owner);
		return;
	}
	/* A step with an error stays, its first bad field focused. */
	if (form_validate_all(&wf->forms[wf->step]) >= 0) {
		wf->button = -1;
		return;
	}
	wf->ops->go(wf->owner, wf->step + 1, 1);
}

/* Yes to the cancel question; opaque: the wizard's screen_ops. The
 * wizard is popped only if it is still the top screen. */
static void wizard_frame_cancel_yes(struct tui *tui, void *opaque)
{
	struct screen *top = tui_top_screen(tui);

	if (top && top->ops == opaque)
		tui_pop_screen(tui);
}

static enum tui_result wizard_frame_cancel(struct tui *tui, struct wizard_frame *wf)
{
	if (!wizard_frame_typed(wf)) {
		tui_pop_screen(tui);
		return TUI_REDRAW;
	}
	tui_push_screen(tui,
			dialog_confirm_new("Cancel", wf->ops->cancel_question,
					   wizard_frame_cancel_yes, (void *)wf->ops->screen, NULL));
	return TUI_REDRAW;
}

static enum tui_result wizard_frame_press(struct tui *tui, struct wizard_frame *wf, int button)
{
	switch (button) {
	case WIZARD_BTN_BACK:
		wf->ops->go(wf->owner, wf->step - 1, -1);
		break;
	case WIZARD_BTN_NEXT:
		wizard_frame_next(tui, wf);
		break;
	case WIZARD_BTN_CANCEL:
		return wizard_frame_cancel(tui, wf);
	}
	return TUI_REDRAW;
}

/* On the buttons: Tab and arrows move along them, then back into the form. */
static enum tui_result wizard_frame_button_key(struct tui *tui, struct wizard_frame *wf, int key)
{
	struct form *form = &wf->forms[wf->step];

	switch (key) {
	case '\t':
	case KEY_RIGHT:
	case KEY_DOWN:
		if (++wf->button == WIZARD_NR_BTNS) {
			wf->button = -1;
			form->focus = form_first(form);
		}
		return TUI_REDRAW;
	case KEY_BTAB:
	case KEY_LEFT:
	case KEY_UP:
		if (--wf->button < 0) {
			wf->button = -1;
			form->focus = form_last(form);
		}
		return TUI_REDRAW;
	case ' ':
		return wizard_frame_press(tui, wf, wf->button);
	}
	return TUI_HANDLED;
}

enum wizard_key_result wizard_frame_key(struct tui *tui, struct wizard_frame *wf, int key,
					enum tui_result *res)
{
	*res = TUI_REDRAW;
	switch (key) {
	case 27:
		*res = wizard_frame_cancel(tui, wf);
		return WIZARD_KEY_HANDLED;
	case KEY_PPAGE:
		wf->ops->go(wf->owner, wf->step - 1, -1);
		return WIZARD_KEY_HANDLED;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (wf->button >= 0) {
			*res = wizard_frame_press(tui, wf, wf->button);
			return WIZARD_KEY_HANDLED;
		}
		/* fall through */
	case KEY_NPAGE:
		wizard_frame_next(tui, wf);
		return WIZARD_KEY_HANDLED;
	}
	if (wf->button >= 0) {
		*res = wizard_frame_button_key(tui, wf, key);
		return WIZARD_KEY_HANDLED;
	}

	switch (form_key(&wf->forms[wf->step], key)) {
	case FORM_KEY_WRAP_NEXT:
		wf->button = WIZARD_BTN_NEXT;
		return WIZARD_KEY_HANDLED;
	case FORM_KEY_WRAP_PREV:
		wf->button = WIZARD_BTN_CANCEL;
		return WIZARD_KEY_HANDLED;
	case FORM_KEY_IGNORED:
		/* Letters must not reach the global keys (q quits). */
		*res = key < KEY_MIN ? TUI_HANDLED : TUI_IGNORED;
		return WIZARD_KEY_HANDLED;
	case FORM_KEY_EDITED:
		return WIZARD_KEY_EDITED;
	default:
		return WIZARD_KEY_FORM;
	}
}

enum tui_result wizard_frame_mouse(struct tui *tui, struct wizard_frame *wf, const MEVENT *ev)
{
	int i;

	if (wf->busy || !(ev->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return TUI_HANDLED;
	if (ev->y == wf->btn_y) {
		for (int b = 0; b < WIZARD_NR_BTNS; b++)
			if (ev->x >= wf->btn_x0[b] && ev->x < wf->btn_x1[b])
				return wizard_frame_press(tui, wf, b);
		return TUI_HANDLED;
	}
	i = form_field_at(&wf->forms[wf->step], ev->y);
	if (i >= 0) {
		wf->button = -1;
		form_focus(&wf->forms[wf->step], i);
		return TUI_REDRAW;
	}
	return TUI_HANDLED;
}

void wizard_frame_draw_top(struct tui *tui, struct wizard_frame *wf, WINDOW *win)
{
	const struct wizard_ops *ops = wf->ops;
	int rows, cols, x = 2;
	char title[128];

	getmaxyx(win, rows, cols);
	werase(win);
	snprintf(title, sizeof(title), "%s - step %d of %d: %s", ops->what, wf->step + 1,
		 ops->nr_steps, ops->step_names[wf->step]);
	tui_draw_box(tui, win, 0, 0, rows, cols, title);

	for (int s = 0, cx = x; s < wf->ops->nr_steps; s++) {
		int n = (int)strlen(ops->step_names[s]);

		if (cx + n + 3 > cols - 2)
			break;
		wattrset(win,
			 theme_attr(s == wf->step				  ? THEME_SELECTED
				    : wizard_frame_skipped(wf, s) || s > wf->step ? THEME_DIM
										  : THEME_NORMAL));
		mvwaddstr(win, 1, cx, ops->step_names[s]);
		cx += n;
		wattrset(win, theme_attr(THEME_DIM));
		if (s + 1 < wf->ops->nr_steps)
			mvwaddstr(win, 1, cx, tui->utf8 ? " \u203a " : " > ");
		cx += 3;
	}
	wattrset(win, theme_attr(THEME_DIM));
}

void wizard_frame_draw_buttons(struct wizard_frame *wf, WINDOW *win, int x)
{
	static const char *const labels[WIZARD_NR_BTNS] = {"Back", "Next", "Cancel"};
	int bx = x;

	wf->btn_y = getmaxy(win) - 2;
	for (int b = 0; b < WIZARD_NR_BTNS; b++) {
		const char *l = labels[b];
		char buf[24];
		bool dis = (b == WIZARD_BTN_BACK && wf->step == 0) || wf->busy;

		if (b == WIZARD_BTN_NEXT && wf->step == wf->ops->nr_steps - 1)
			l = "Finish";
		snprintf(buf, sizeof(buf), "[ %s ]", l);
		wattrset(win, theme_attr(wf->button == b ? THEME_SELECTED
					 : dis		 ? THEME_DIM
							 : THEME_NORMAL));
		mvwaddstr(win, wf->btn_y, bx, buf);
		wf->btn_x0[b] = bx;
		wf->btn_x1[b] = bx + (int)strlen(buf);
		bx += (int)strlen(buf) + 2;
	}
	wattrset(win, theme_attr(THEME_NORMAL));
}

int wizard_summary_line(WINDOW *win, int y, int x, int w, const char *label, const char *value)
{
	if (y >= getmaxy(win) - 3)
		return y;
	wattrset(win, theme_attr(THEME_DIM));
	tui_put(win, y, x + 2, 14, label, true);
	wattrset(win, theme_attr(THEME_NORMAL));
	tui_put(win, y, x + 16, w - 16, value, false);
	return y + 1;
}
