/* C on a VM (list or details): ask for the clone's name, start the clone
 * on the worker thread and show its progress in a small box over the
 * screen, which keeps refreshing below. Esc hides the box (the status
 * line keeps the percentage; C shows it again), x cancels the clone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "details.h"
#include "store/store.h"
#include "tui.h"
#include "vmlist.h"

static const struct keybar_item clone_keybar[] = {
    {"Esc", "Hide", 27},
    {"x", "Cancel clone", 'x'},
    {NULL, NULL, 0},
};

static const struct keybar_item clone_done_keybar[] = {
    {"Esc", "Close", 27},
    {NULL, NULL, 0},
};

static const struct tui_binding clone_help[] = {
    {"Clone progress", NULL},
    {"Esc, Enter", "hide the box; the clone goes on (C shows it again)"},
    {"x", "cancel the clone: the partial copy is removed"},
    {NULL, NULL},
};

static void clone_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	const struct tui_clone *c = &tui->model.clone;
	int rows, cols, w, h = 6, y, x;
	char title[2 * VM_NAME_MAX + 32], bar[256], line[256], a[32], b[32];

	(void)scr;
	getmaxyx(win, rows, cols);
	w = cols - 4 < 64 ? cols - 4 : 64;
	if (w < 24)
		w = cols;
	if (h > rows)
		h = rows;
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	snprintf(title, sizeof(title), "Clone %s to %s", c->src, c->dst);
	tui_draw_box(tui, win, y, x, h, w, title);
	wattrset(win, theme_attr(THEME_DIALOG));
	if (c->active) {
		details_format_bar(c->done, c->total, w - 4, tui->utf8, bar, sizeof(bar));
		wattrset(win, theme_attr(THEME_GRAPH_LOW));
		tui_put(win, y + 1, x + 2, w - 4, bar, false);
		format_size(c->done, a, sizeof(a));
		format_size(c->total, b, sizeof(b));
		snprintf(line, sizeof(line), "%3d%%  %s of %s copied",
			 details_progress_percent(c->done, c->total), a, b);
		wattrset(win, theme_attr(THEME_DIALOG));
		tui_put(win, y + 2, x + 2, w - 4, line, false);
		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, y + 3, x + 2, w - 4,
			c->cancel ? "cancelling..." : "Esc: hide (the clone goes on)   x: cancel",
			false);
	} else {
		format_size(c->done, a, sizeof(a));
		if (!c->rc)
			snprintf(line, sizeof(line), "Done: %s copied; '%s' is in the list.", a,
				 c->dst);
		else
			snprintf(line, sizeof(line),
				 "The clone did not finish (see the status line).");
		tui_put(win, y + 1, x + 2, w - 4, line, false);
		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, y + 3, x + 2, w - 4, "Esc: close", false);
	}
	wattrset(win, theme_attr(THEME_NORMAL));
}

static enum tui_result clone_key(struct tui *tui, struct screen *scr, int key)
{
	(void)scr;
	switch (key) {
	case 27:
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 'q':
		tui_pop_screen(tui);
		return TUI_REDRAW;
	case 'x':
		tui_clone_cancel(tui);
		return TUI_REDRAW;
	case '?':
	case KEY_F(1):
		return TUI_IGNORED;
	}
	return TUI_HANDLED;
}

static enum tui_result clone_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	(void)tui;
	(void)scr;
	(void)ev;
	return TUI_HANDLED;
}

static const struct keybar_item *clone_keybar_items(struct tui *tui, struct screen *scr)
{
	(void)scr;
	/* Called with the model unlocked: a stale answer only mislabels
	 * the bar until the next redraw. */
	return tui->model.clone.active ? clone_keybar : clone_done_keybar;
}

static const struct screen_ops screen_clone_ops = {
    .name = "clone",
    .overlay = true,
    .draw = clone_draw,
    .key = clone_key,
    .mouse = clone_mouse,
    .keybar = clone_keybar_items,
    .help = clone_help,
};

static int clone_name_ok(struct tui *tui, const char *text, void *opaque, char *err, size_t errlen)
{
	const char *src = opaque;
	int r = 0;

	if (!vm_name_valid(text, err, errlen))
		return -EINVAL;
	pthread_mutex_lock(&tui->model.lock);
	for (int i = 0; i < tui->model.nr_vms; i++) {
		const struct vm_info *vi = &tui->model.vms[i].info;

		if (tui->model.vms[i].conn_id != tui->cur_conn)
			continue;
		if (!strcmp(vi->name, text)) {
			snprintf(err, errlen, "VM '%s' already exists; pick another name", text);
			r = -EEXIST;
		} else if (!strcmp(vi->name, src) && vi->state != VM_STATE_SHUTOFF &&
			   vi->state != VM_STATE_CRASHED) {
			snprintf(err, errlen, "VM '%s' is %s; shut it down first (d)", src,
				 vm_state_name(vi->state));
			r = -EBUSY;
		}
	}
	pthread_mutex_unlock(&tui->model.lock);
	if (r)
		return r;
	r = tui_request_clone(tui, src, text);
	if (r == -EBUSY) {
		snprintf(err, errlen, "another clone is running; wait for it or cancel it");
		return r;
	}
	if (r) {
		snprintf(err, errlen, "cannot start the clone: %s", strerror(-r));
		return r;
	}
	tui_push_screen(tui, tui_screen_new(&screen_clone_ops, NULL));
	return 0;
}

void screen_clone_ask(struct tui *tui, const char *vm_name)
{
	char title[VM_NAME_MAX + 16], initial[VM_NAME_MAX + 1], *src;
	enum vm_state state = VM_STATE_SHUTOFF;
	bool active;

	pthread_mutex_lock(&tui->model.lock);
	active = tui->model.clone.active;
	if (tui_find_vm(tui, vm_name))
		state = tui_find_vm(tui, vm_name)->info.state;
	pthread_mutex_unlock(&tui->model.lock);
	if (active) { /* one at a time: show the one running */
		tui_push_screen(tui, tui_screen_new(&screen_clone_ops, NULL));
		return;
	}
	/* Say so before asking for a name the driver would refuse. */
	if (state != VM_STATE_SHUTOFF && state != VM_STATE_CRASHED) {
		tui_status(tui, TUI_STATUS_ERROR, "VM '%s' is %s; shut it down first to clone it",
			   vm_name, vm_state_name(state));
		return;
	}
	src = strdup(vm_name);
	if (!src)
		return;
	snprintf(title, sizeof(title), "Clone %s", vm_name);
	snprintf(initial, sizeof(initial), "%.58s-clone", vm_name);
	tui_push_screen(tui, dialog_input_new(title, "Name of the new VM (its disks are copied):",
					      initial, clone_name_ok, src, free));
}
