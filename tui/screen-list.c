/* The main window: each connection (the local one, then the libvirt
 * URIs added with A) as a heading row with its status, its VMs under it,
 * one row each, with sorting and a name filter within each group, marks
 * for bulk actions, and the lifecycle keys, sent to the VM's own
 * connection. The list logic (layout, sort, filter, marks) lives in
 * vmlist.c; the connections in conn.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tui.h"
#include "vmlist.h"

#define LIST_HEADER_ROWS 2 /* the summary line and the column headings */
#define LIST_FILTER_MAX	 64

/* A line of the list: a connection's heading (vm -1) or one of its VMs
 * (an index into model.vms). */
struct list_item {
	int vm;
	int conn_id;
};

/* A VM an action goes to. */
struct list_target {
	int conn_id;
	char name[VM_NAME_MAX + 1];
};

struct list_state {
	int cursor, top;		   /* index into rows; first row shown */
	char cursor_name[VM_NAME_MAX + 1]; /* followed across re-sorts ("": heading) */
	int cursor_conn;		   /* the connection of the cursor's line */
	bool want_first_vm; /* at start: the cursor goes to the first VM once listed */
	enum vmlist_col sort_col;
	bool sort_desc;
	char filter[LIST_FILTER_MAX];
	bool editing_filter;
	struct vmlist_marks marks;
	struct list_item *rows;
	int nr_rows, rows_cap;
	int *sorted; /* vmlist_rows' answer, before grouping */
	int nr_vm_rows; /* VMs shown (rows without the headings) */
	int page; /* rows that fit, from the last draw */
	struct vmlist_layout layout;
	/* Put the cursor here once the VM shows up (a VM just created). */
	char select_name[VM_NAME_MAX + 1];
	int select_conn;
};

/* Fits 80 columns; Enter (info) is in the help and on double-click. */
static const struct keybar_item list_keybar[] = {
    {"F1", "Help", KEY_F(1)}, {"s", "Start", 's'},  {"d", "Shutdown", 'd'}, {"p", "Pause", 'p'},
    {"F", "Off", 'F'},	      {"D", "Delete", 'D'}, {"/", "Filter", '/'},   {">", "Sort", '>'},
    {"Tab", "Host", '\t'},    {"N", "Nets", 'N'},  {"A", "Add conn", 'A'},  {"q", "Quit", 'q'},
    {NULL, NULL, 0},
};

static const struct keybar_item list_filter_keybar[] = {
    {"Enter", "Keep filter", '\n'},
    {"Esc", "Clear", 27},
    {NULL, NULL, 0},
};

static const struct tui_binding list_help[] = {
    {"VM list", NULL},
    {"Up/Down, j/k", "move the cursor"},
    {"PgUp/PgDn, Home/End", "move by a page, to the first/last VM"},
    {"Enter", "the VM's details page (double-click too)"},
    {"space", "mark/unmark; actions then apply to the marked VMs"},
    {"*", "mark every VM shown"},
    {"U", "unmark all"},
    {"s", "start"},
    {"d", "shut down (asks the guest, like a power button)"},
    {"p", "pause, or resume a paused VM"},
    {"R", "reboot: a hard reset (asks first)"},
    {"F, F9", "force off: pull the plug (asks first)"},
    {"D", "delete the VM (asks first; its disks are moved aside)"},
    {"c", "serial console of a running VM (Ctrl-] comes back)"},
    {"v", "graphical console (VNC) of a running VM with a display"},
    {"C", "clone the VM (asks for the new name; shows the progress)"},
    {"n", "new VM: the wizard (name, boot, CPUs & memory, disk...)"},
    {"/", "filter by name (Enter keeps it, Esc clears it)"},
    {"<, >, F6", "sort by the previous/next column (or click a heading)"},
    {"I", "invert the sort order"},
    {"A", "add a connection (libvirt URI, saved); its VMs under its heading"},
    {"X", "remove the connection under the cursor (asks first)"},
    {NULL, NULL},
};

static struct list_state *list_state(struct screen *scr)
{
	return scr->priv;
}

static void list_enter(struct tui *tui, struct screen *scr)
{
	struct list_state *st = calloc(1, sizeof(*st));

	(void)tui;
	if (st) {
		st->sort_col = VMLIST_COL_NAME;
		st->cursor_conn = -1; /* the current connection, */
		st->want_first_vm = true; /* its first VM as soon as it is listed */
	}
	scr->priv = st;
}

static void list_destroy(struct screen *scr)
{
	struct list_state *st = list_state(scr);

	if (!st)
		return;
	vmlist_free_marks(&st->marks);
	free(st->rows);
	free(st->sorted);
	free(st);
	scr->priv = NULL;
}

/* The VM under the cursor, or NULL on a heading (lock held, fresh rows). */
static const struct tui_vm *list_cursor_vm(struct tui *tui, const struct list_state *st)
{
	if (st->cursor < 0 || st->cursor >= st->nr_rows || st->rows[st->cursor].vm < 0)
		return NULL;
	return &tui->model.vms[st->rows[st->cursor].vm];
}

static void list_note_cursor(struct tui *tui, struct list_state *st)
{
	const struct tui_vm *vm;

	if (!st->nr_rows)
		return;
	vm = list_cursor_vm(tui, st);
	st->cursor_conn = st->rows[st->cursor].conn_id;
	snprintf(st->cursor_name, sizeof(st->cursor_name), "%s", vm ? vm->info.name : "");
	/* The line's connection is the one the other screens act on. */
	if (tui->cur_conn != st->cursor_conn)
		tui_conn_select_locked(tui, st->cursor_conn);
}

/* Rebuild the rows from the model (lock held): each connection's heading
 * followed by its VMs, filtered and sorted; put the cursor back on the
 * line it was on. */
static void list_update_rows(struct tui *tui, struct list_state *st)
{
	const struct tui_model *m = &tui->model;
	int need = m->nr_vms + tui->nr_conns, nsorted, k = 0;

	if (st->cursor_conn < 0)
		st->cursor_conn = tui->cur_conn;

	if (need > st->rows_cap) {
		struct list_item *p = realloc(st->rows, sizeof(*p) * (size_t)need);
		int *q = realloc(st->sorted, sizeof(*q) * (size_t)need);

		if (p)
			st->rows = p;
		if (q)
			st->sorted = q;
		if (!p || !q) {
			st->nr_rows = 0;
			return;
		}
		st->rows_cap = need;
	}
	nsorted = vmlist_rows(m->vms, m->nr_vms, st->filter, st->sort_col, st->sort_desc,
			      st->sorted);
	for (int c = 0; c < tui->nr_conns; c++) {
		int id = tui->conns[c]->id;

		st->rows[k++] = (struct list_item){.vm = -1, .conn_id = id};
		for (int i = 0; i < nsorted; i++)
			if (m->vms[st->sorted[i]].conn_id == id)
				st->rows[k++] = (struct list_item){.vm = st->sorted[i], .conn_id = id};
	}
	st->nr_rows = k;
	st->nr_vm_rows = k - tui->nr_conns;
	for (int i = 0; st->want_first_vm && i < st->nr_rows; i++) {
		if (st->rows[i].vm >= 0 && st->rows[i].conn_id == st->cursor_conn) {
			snprintf(st->cursor_name, sizeof(st->cursor_name), "%s",
				 m->vms[st->rows[i].vm].info.name);
			st->want_first_vm = false;
		}
	}
	vmlist_prune_marks(&st->marks, m->vms, m->nr_vms);
	for (int i = 0; st->select_name[0] && i < st->nr_rows; i++) {
		const struct list_item *it = &st->rows[i];

		if (it->vm >= 0 && it->conn_id == st->select_conn &&
		    !strcmp(m->vms[it->vm].info.name, st->select_name)) {
			snprintf(st->cursor_name, sizeof(st->cursor_name), "%s", st->select_name);
			st->cursor_conn = st->select_conn;
			st->select_name[0] = '\0';
		}
	}
	for (int i = 0; i < st->nr_rows; i++) {
		const struct list_item *it = &st->rows[i];

		if (it->conn_id != st->cursor_conn)
			continue;
		if (it->vm < 0 ? !st->cursor_name[0]
			       : !strcmp(m->vms[it->vm].info.name, st->cursor_name)) {
			st->cursor = i;
			break;
		}
	}
	if (st->cursor >= st->nr_rows)
		st->cursor = st->nr_rows - 1;
	if (st->cursor < 0)
		st->cursor = 0;
	list_note_cursor(tui, st);
}

static void list_move(struct tui *tui, struct list_state *st, int to)
{
	if (to >= st->nr_rows)
		to = st->nr_rows - 1;
	if (to < 0)
		to = 0;
	/* The first heading (the local connection) only takes the cursor
	 * when it has no VMs: with one connection the list moves as a plain
	 * VM list, and X/n/N on the local one need no heading. */
	if (to == 0 && st->nr_rows > 1 && st->rows[0].vm < 0 && st->rows[1].vm >= 0 &&
	    st->rows[1].conn_id == st->rows[0].conn_id)
		to = 1;
	st->cursor = to;
	st->want_first_vm = false; /* the user chose */
	list_note_cursor(tui, st);
}

/* ---- drawing ---- */

/* "read/write" or "rx/tx" rates in short form, "-" without live figures. */
static void list_format_rate_pair(bool live, double first, double second, char *buf, size_t len)
{
	char a[16], b[16];

	if (!live) {
		snprintf(buf, len, "-");
		return;
	}
	vmlist_format_short(first, a, sizeof(a));
	vmlist_format_short(second, b, sizeof(b));
	snprintf(buf, len, "%s/%s", a, b);
}

static void list_cell(const struct tui_vm *vm, enum vmlist_col col, char *buf, size_t len)
{
	bool live = vm->has_stats;

	buf[0] = '\0';
	switch (col) {
	case VMLIST_COL_NAME:
		snprintf(buf, len, "%s", vm->info.name);
		break;
	case VMLIST_COL_STATE:
		snprintf(buf, len, "%s", vm_state_name(vm->info.state));
		break;
	case VMLIST_COL_VCPUS:
		snprintf(buf, len, "%d", vm->info.vcpus);
		break;
	case VMLIST_COL_MEM:
		vmlist_format_short((double)vm->info.memory_mib * 1024 * 1024, buf, len);
		break;
	case VMLIST_COL_CPU:
		if (live && vm->cpu_hist.count)
			snprintf(buf, len, "%.1f%%", vm->cpu_percent);
		else
			snprintf(buf, len, "-");
		break;
	case VMLIST_COL_DISK:
		list_format_rate_pair(live, vm->disk_rd_rate, vm->disk_wr_rate, buf, len);
		break;
	case VMLIST_COL_NET:
		list_format_rate_pair(live, vm->net_rx_rate, vm->net_tx_rate, buf, len);
		break;
	case VMLIST_COL_UPTIME:
		if (vm->info.uptime_ms)
			cli_format_duration(vm->info.uptime_ms, buf, len);
		else
			snprintf(buf, len, "-");
		break;
	default:
		break;
	}
}

/* Text right-aligned in width cells (values are ASCII). */
static void list_put_aligned(WINDOW *win, int y, int x, int width, const char *s, bool right)
{
	int w = (int)cli_utf8_width(s);

	if (right && w < width) {
		mvwhline(win, y, x, ' ', width - w);
		tui_put(win, y, x + width - w, w, s, false);
	} else {
		tui_put(win, y, x, width, s, true);
	}
}

static void list_draw_header(struct tui *tui, struct list_state *st, WINDOW *win, int cols)
{
	const struct tui_model *m = &tui->model;
	char line[320];
	int running = 0, x;

	for (int i = 0; i < m->nr_vms; i++)
		running += m->vms[i].info.state == VM_STATE_RUNNING;
	wattrset(win, theme_attr(THEME_TITLE));
	snprintf(line, sizeof(line), " %d connection%s, %d VM%s, %d running", tui->nr_conns,
		 tui->nr_conns == 1 ? "" : "s", m->nr_vms, m->nr_vms == 1 ? "" : "s", running);
	x = tui_put(win, 0, 0, cols, line, false);
	wattrset(win, theme_attr(THEME_NORMAL));
	snprintf(line, sizeof(line), "  sort: %s %s", vmlist_col_title(st->sort_col),
		 tui->utf8 ? (st->sort_desc ? "\u25bc" : "\u25b2") : (st->sort_desc ? "v" : "^"));
	x += tui_put(win, 0, x, cols - x, line, false);
	if (st->editing_filter || st->filter[0]) {
		snprintf(line, sizeof(line), "  filter: ");
		x += tui_put(win, 0, x, cols - x, line, false);
		wattrset(win, theme_attr(st->editing_filter ? THEME_INPUT : THEME_NORMAL));
		snprintf(line, sizeof(line), "%s%s", st->filter, st->editing_filter ? "_" : "");
		x += tui_put(win, 0, x, cols - x, line, false);
		wattrset(win, theme_attr(THEME_NORMAL));
		if (!st->editing_filter && st->nr_vm_rows < m->nr_vms) {
			snprintf(line, sizeof(line), " (%d shown)", st->nr_vm_rows);
			x += tui_put(win, 0, x, cols - x, line, false);
		}
	}
	if (st->marks.n) {
		wattrset(win, theme_attr(THEME_MARKED));
		snprintf(line, sizeof(line), "  %d marked", st->marks.n);
		x += tui_put(win, 0, x, cols - x, line, false);
	}

	/* Column headings; the sorted one underlined (its name and direction
	 * are on the line above, so the headings keep their plain text). */
	wattrset(win, theme_attr(THEME_HEADER));
	mvwhline(win, 1, 0, ' ', cols);
	for (int i = 0; i < st->layout.ncols; i++) {
		enum vmlist_col c = st->layout.cols[i].col;

		wattrset(win, theme_attr(THEME_HEADER) | (c == st->sort_col ? A_UNDERLINE : 0));
		list_put_aligned(win, 1, st->layout.cols[i].x, st->layout.cols[i].width,
				 vmlist_col_title(c), vmlist_col_right_aligned(c));
	}
}

static void list_draw_row(struct tui *tui, struct list_state *st, WINDOW *win, int y, int cols,
			  const struct tui_vm *vm, bool selected)
{
	char key[VMLIST_MARK_MAX];
	bool marked;

	vmlist_mark_key(vm, key, sizeof(key));
	marked = vmlist_is_marked(&st->marks, key);
	int base = theme_attr(selected ? THEME_SELECTED : marked ? THEME_MARKED : THEME_NORMAL);
	char cell[128];

	wattrset(win, base);
	mvwhline(win, y, 0, ' ', cols);
	if (marked)
		mvwaddstr(win, y, 0, tui->utf8 ? "\u25cf" : "*");
	for (int i = 0; i < st->layout.ncols; i++) {
		enum vmlist_col c = st->layout.cols[i].col;
		int x = st->layout.cols[i].x, w = st->layout.cols[i].width;

		if (c == VMLIST_COL_GRAPH) {
			if (vm->has_stats) {
				int vcpus = vm->info.vcpus > 0 ? vm->info.vcpus : 1;

				graph_draw(win, y, x, 1, w, &vm->cpu_hist, 100.0f * vcpus,
					   tui->graph_style);
			}
			continue;
		}
		list_cell(vm, c, cell, sizeof(cell));
		if (c == VMLIST_COL_STATE && !selected)
			wattrset(win, theme_attr(theme_state_role(vm->info.state)));
		else if (!strcmp(cell, "-") && !selected)
			wattrset(win, theme_attr(THEME_DIM));
		else
			wattrset(win, base);
		list_put_aligned(win, y, x, w, cell, vmlist_col_right_aligned(c));
	}
	wattrset(win, base);
}

/* A connection's heading: "v qemu+ssh://host/system  connected  3 VMs, 1
 * running", or the state with libvirt's message. */
static void list_draw_heading(struct tui *tui, struct list_state *st, WINDOW *win, int y,
			      int cols, const struct tui_conn *conn, bool selected)
{
	const struct tui_model *m = &tui->model;
	int vms = 0, running = 0, x;
	char line[600];
	enum theme_role role;

	for (int i = 0; i < m->nr_vms; i++) {
		if (m->vms[i].conn_id != conn->id)
			continue;
		vms++;
		running += m->vms[i].info.state == VM_STATE_RUNNING;
	}
	(void)st;
	wattrset(win, theme_attr(selected ? THEME_SELECTED : THEME_TITLE));
	mvwhline(win, y, 0, ' ', cols);
	snprintf(line, sizeof(line), "%s%s  ", tui->utf8 ? "\u25be " : "- ", tui_conn_label(conn));
	x = tui_put(win, y, 0, cols, line, false);
	switch (conn->status) {
	case TUI_CONN_CONNECTED:
		role = THEME_STATE_RUNNING;
		break;
	case TUI_CONN_FAILED:
		role = THEME_ERROR;
		break;
	default:
		role = THEME_STATE_TRANSIENT;
		break;
	}
	if (!selected)
		wattrset(win, theme_attr(role));
	x += tui_put(win, y, x, cols - x, tui_conn_status_name(conn->status), false);
	wattrset(win, theme_attr(selected ? THEME_SELECTED : THEME_TITLE));
	if (conn->status == TUI_CONN_CONNECTED) {
		if (conn->listed)
			snprintf(line, sizeof(line), "  %d VM%s, %d running", vms,
				 vms == 1 ? "" : "s", running);
		else
			snprintf(line, sizeof(line), "  reading the VM list...");
		if (conn->list_error[0])
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "  (%s)",
				 conn->list_error);
	} else if (conn->message[0]) {
		uint64_t now = tui_now_ns();

		snprintf(line, sizeof(line), ": %s", conn->message);
		if (conn->retry_at_ns > now)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
				 " (retry in %llus)",
				 (unsigned long long)((conn->retry_at_ns - now) / 1000000000ULL + 1));
	} else {
		line[0] = '\0';
	}
	if (!selected && conn->status == TUI_CONN_FAILED)
		wattrset(win, theme_attr(THEME_ERROR));
	tui_put(win, y, x, cols - x, line, false);
	wattrset(win, theme_attr(THEME_NORMAL));
}

static void list_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct list_state *st = list_state(scr);
	const struct tui_model *m = &tui->model;
	int rows, cols;

	getmaxyx(win, rows, cols);
	werase(win);
	if (!st) {
		mvwaddstr(win, 0, 0, "out of memory");
		return;
	}
	vmlist_layout(cols, &st->layout);
	list_update_rows(tui, st);
	list_draw_header(tui, st, win, cols);

	st->page = rows - LIST_HEADER_ROWS;
	if (st->page < 1)
		st->page = 1;
	/* Scroll so the cursor stays visible. */
	if (st->cursor < st->top)
		st->top = st->cursor;
	if (st->cursor >= st->top + st->page)
		st->top = st->cursor - st->page + 1;
	if (st->top > st->nr_rows - st->page)
		st->top = st->nr_rows - st->page;
	if (st->top < 0)
		st->top = 0;

	for (int i = 0; i < st->page && st->top + i < st->nr_rows; i++) {
		int r = st->top + i;
		const struct list_item *it = &st->rows[r];

		if (it->vm < 0) {
			const struct tui_conn *conn = tui_conn_find(tui, it->conn_id);

			if (conn)
				list_draw_heading(tui, st, win, LIST_HEADER_ROWS + i, cols, conn,
						  r == st->cursor);
			continue;
		}
		list_draw_row(tui, st, win, LIST_HEADER_ROWS + i, cols, &m->vms[it->vm],
			      r == st->cursor);
	}
	wattrset(win, theme_attr(THEME_DIM));
	if (st->nr_rows < st->page && tui->nr_conns == 1 && tui->conns[0]->listed &&
	    !m->nr_vms)
		tui_put(win, LIST_HEADER_ROWS + st->nr_rows, 2, cols - 2,
			"No VMs yet: define one with 'virtty define NAME --kernel FILE', "
			"or add a connection with A.",
			false);
	else if (st->nr_rows < st->page && !st->nr_vm_rows && m->nr_vms)
		tui_put(win, LIST_HEADER_ROWS + st->nr_rows, 2, cols - 2,
			"No VM name matches the filter.", false);
	wattrset(win, theme_attr(THEME_NORMAL));
}

/* ---- actions ---- */

struct list_confirm {
	enum tui_action action;
	int n;
	struct list_target *names;
};

static void list_confirm_free(void *opaque)
{
	struct list_confirm *c = opaque;

	free(c->names);
	free(c);
}

static void list_confirm_yes(struct tui *tui, void *opaque)
{
	struct list_confirm *c = opaque;

	for (int i = 0; i < c->n; i++)
		tui_request_action_on(tui, c->names[i].conn_id, c->action, c->names[i].name);
}

/* "Force off 3 VMs (a, b, c)?": as many names as fit a few lines, so the
 * user sees what the marks cover. */
static void list_confirm_names(char *text, size_t len, enum tui_action action,
			       const struct list_target *names, int n)
{
	char list[200] = "";
	size_t used = 0;
	int shown = 0;

	for (int i = 0; i < n; i++) {
		if (used + strlen(names[i].name) + 10 >= sizeof(list))
			break;
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
					 names[i].name);
		shown++;
	}
	snprintf(text, len, "%s %d VMs (%s%s)?", tui_action_name(action), n, list,
		 shown < n ? ", ..." : "");
}

static bool list_is_destructive(enum tui_action a)
{
	return a == TUI_ACTION_DESTROY || a == TUI_ACTION_UNDEFINE || a == TUI_ACTION_REBOOT;
}

/* The VMs an action is for: the marked ones it applies to, else the one
 * under the cursor. Model lock held. Returns how many went into names. */
static int list_targets(struct tui *tui, struct list_state *st, enum tui_action action,
			struct list_target *names, int max, int *skipped)
{
	const struct tui_model *m = &tui->model;
	const struct tui_vm *cur;
	int n = 0;

	*skipped = 0;
	if (st->marks.n) {
		for (int i = 0; i < m->nr_vms && n < max; i++) {
			const struct tui_vm *vm = &m->vms[i];
			char key[VMLIST_MARK_MAX];

			vmlist_mark_key(vm, key, sizeof(key));
			if (!vmlist_is_marked(&st->marks, key))
				continue;
			if (!vmlist_action_applies(action, vm->info.state)) {
				(*skipped)++;
				continue;
			}
			names[n].conn_id = vm->conn_id;
			snprintf(names[n++].name, VM_NAME_MAX + 1, "%s", vm->info.name);
		}
		return n;
	}
	cur = list_cursor_vm(tui, st);
	if (cur && n < max) {
		names[n].conn_id = cur->conn_id;
		snprintf(names[n++].name, VM_NAME_MAX + 1, "%s", cur->info.name);
	}
	return n;
}

static enum tui_result list_action(struct tui *tui, struct list_state *st, enum tui_action action)
{
	struct tui_model *m = &tui->model;
	struct list_target *names;
	int n, skipped, cap;

	pthread_mutex_lock(&m->lock);
	list_update_rows(tui, st);
	cap = m->nr_vms ? m->nr_vms : 1;
	names = calloc((size_t)cap, sizeof(*names));
	if (!names) {
		pthread_mutex_unlock(&m->lock);
		return TUI_HANDLED;
	}
	n = list_targets(tui, st, action, names, cap, &skipped);
	pthread_mutex_unlock(&m->lock);

	if (!n) {
		if (st->marks.n)
			tui_status(tui, TUI_STATUS_ERROR, "none of the %d marked VMs can %s now",
				   st->marks.n, tui_action_name(action));
		else
			tui_status(tui, TUI_STATUS_ERROR,
				   "no VM selected (the cursor is on a connection)");
		free(names);
		return TUI_REDRAW;
	}
	if (list_is_destructive(action)) {
		struct list_confirm *c = calloc(1, sizeof(*c));
		char text[512], title[64];

		if (!c) {
			free(names);
			return TUI_HANDLED;
		}
		c->action = action;
		c->n = n;
		c->names = names;
		if (n == 1)
			snprintf(text, sizeof(text), "%s VM '%s'?", tui_action_name(action),
				 names[0].name);
		else
			list_confirm_names(text, sizeof(text), action, names, n);
		text[0] = (char)toupper((unsigned char)text[0]);
		switch (action) {
		case TUI_ACTION_DESTROY:
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 " The guest is stopped at once, like pulling the plug: "
				 "data it has not written is lost.");
			break;
		case TUI_ACTION_REBOOT:
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 " This is a hard reset: the guest does not shut down first.");
			break;
		case TUI_ACTION_UNDEFINE:
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 " The definition is removed; disks in the VM's own storage are moved "
				 "aside, disks elsewhere are not touched.");
			break;
		default:
			break;
		}
		snprintf(title, sizeof(title), "Confirm %s", tui_action_name(action));
		tui_push_screen(
		    tui, dialog_confirm_new(title, text, list_confirm_yes, c, list_confirm_free));
		return TUI_REDRAW;
	}
	for (int i = 0; i < n; i++)
		tui_request_action_on(tui, names[i].conn_id, action, names[i].name);
	if (n > 1 || skipped)
		tui_status(tui, TUI_STATUS_INFO, "%s: %d VM%s%s", tui_action_name(action), n,
			   n == 1 ? "" : "s",
			   skipped ? " (marked VMs in another state skipped)" : "");
	else
		tui_status(tui, TUI_STATUS_INFO, "%s VM '%s'...", tui_action_name(action),
			   names[0].name);
	free(names);
	return TUI_REDRAW;
}

/* p: pause what runs, resume what is paused. */
static enum tui_result list_pause_toggle(struct tui *tui, struct list_state *st)
{
	struct tui_model *m = &tui->model;
	enum tui_action action = TUI_ACTION_PAUSE;

	pthread_mutex_lock(&m->lock);
	list_update_rows(tui, st);
	if (st->marks.n) {
		/* Bulk: resume if any marked VM is paused and none runs. */
		bool any_running = false, any_paused = false;

		for (int i = 0; i < m->nr_vms; i++) {
			char key[VMLIST_MARK_MAX];

			vmlist_mark_key(&m->vms[i], key, sizeof(key));
			if (!vmlist_is_marked(&st->marks, key))
				continue;
			any_running |= m->vms[i].info.state == VM_STATE_RUNNING;
			any_paused |= m->vms[i].info.state == VM_STATE_PAUSED;
		}
		if (any_paused && !any_running)
			action = TUI_ACTION_RESUME;
	} else if (list_cursor_vm(tui, st) &&
		   list_cursor_vm(tui, st)->info.state == VM_STATE_PAUSED) {
		action = TUI_ACTION_RESUME;
	}
	pthread_mutex_unlock(&m->lock);
	return list_action(tui, st, action);
}

/* The name of the VM under the cursor into name (VM_NAME_MAX + 1 bytes);
 * false when the list is empty. */
static bool list_cursor_name(struct tui *tui, struct list_state *st, char *name)
{
	name[0] = '\0';
	pthread_mutex_lock(&tui->model.lock);
	list_update_rows(tui, st);
	if (list_cursor_vm(tui, st))
		snprintf(name, VM_NAME_MAX + 1, "%s", list_cursor_vm(tui, st)->info.name);
	pthread_mutex_unlock(&tui->model.lock);
	return name[0] != '\0';
}

static void list_open_info(struct tui *tui, struct list_state *st)
{
	char name[VM_NAME_MAX + 1];

	if (list_cursor_name(tui, st, name))
		tui_push_screen(tui, screen_details_new(tui, name));
}

/* C: clone the VM under the cursor (screen-clone.c asks for the name). */
static void list_clone(struct tui *tui, struct list_state *st)
{
	char name[VM_NAME_MAX + 1];

	if (list_cursor_name(tui, st, name))
		screen_clone_ask(tui, name);
	else
		tui_status(tui, TUI_STATUS_ERROR, "no VM selected");
}

/* c: the serial console of the VM under the cursor, if it runs. */
static void list_open_console(struct tui *tui, struct list_state *st)
{
	char name[VM_NAME_MAX + 1];

	if (list_cursor_name(tui, st, name))
		screen_console_open(tui, name);
}

/* v: the graphical console of the VM under the cursor. */
static void list_open_vnc(struct tui *tui, struct list_state *st)
{
	char name[VM_NAME_MAX + 1];

	if (list_cursor_name(tui, st, name))
		tui_vnc_open(tui, name);
	else
		tui_status(tui, TUI_STATUS_ERROR, "no VM selected");
}

/* ---- keys ---- */

static enum tui_result list_filter_key(struct tui *tui, struct list_state *st, int key)
{
	size_t len = strlen(st->filter);

	(void)tui;
	switch (key) {
	case '\n':
	case '\r':
	case KEY_ENTER:
		st->editing_filter = false;
		return TUI_REDRAW;
	case 27:
		st->editing_filter = false;
		st->filter[0] = '\0';
		return TUI_REDRAW;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (len)
			st->filter[len - 1] = '\0';
		return TUI_REDRAW;
	case 21: /* Ctrl-U */
		st->filter[0] = '\0';
		return TUI_REDRAW;
	case KEY_UP:
	case KEY_DOWN:
		st->editing_filter = false;
		return TUI_REDRAW;
	}
	/* Names are [A-Za-z0-9._-]: nothing else can match. */
	if (key < 256 && (isalnum(key) || key == '.' || key == '_' || key == '-')) {
		if (len + 1 < sizeof(st->filter)) {
			st->filter[len] = (char)key;
			st->filter[len + 1] = '\0';
		}
		return TUI_REDRAW;
	}
	return TUI_HANDLED; /* the filter line takes every key while open */
}

static enum tui_result list_key(struct tui *tui, struct screen *scr, int key)
{
	struct list_state *st = list_state(scr);
	struct tui_model *m = &tui->model;
	int r = TUI_REDRAW;

	if (!st)
		return TUI_IGNORED;
	if (st->editing_filter)
		return list_filter_key(tui, st, key);

	switch (key) {
	case KEY_UP:
	case 'k':
	case KEY_DOWN:
	case 'j':
	case KEY_PPAGE:
	case KEY_NPAGE:
	case KEY_HOME:
	case KEY_END:
	case ' ':
	case '*':
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		list_open_info(tui, st);
		return TUI_REDRAW;
	case 'U':
		vmlist_clear_marks(&st->marks);
		return TUI_REDRAW;
	case 's':
		return list_action(tui, st, TUI_ACTION_START);
	case 'd':
		return list_action(tui, st, TUI_ACTION_SHUTDOWN);
	case 'p':
		return list_pause_toggle(tui, st);
	case 'R':
		return list_action(tui, st, TUI_ACTION_REBOOT);
	case 'F':
	case KEY_F(9):
		return list_action(tui, st, TUI_ACTION_DESTROY);
	case 'c':
		list_open_console(tui, st);
		return TUI_REDRAW;
	case 'v':
		list_open_vnc(tui, st);
		return TUI_REDRAW;
	case 'D':
		return list_action(tui, st, TUI_ACTION_UNDEFINE);
	case 'n':
		tui_push_screen(tui, wizard_newvm_new(tui));
		return TUI_REDRAW;
	case 'A':
		screen_conn_add(tui);
		return TUI_REDRAW;
	case 'X':
		pthread_mutex_lock(&m->lock);
		list_update_rows(tui, st);
		r = st->nr_rows ? st->rows[st->cursor].conn_id : 0;
		pthread_mutex_unlock(&m->lock);
		screen_conn_remove(tui, (int)r);
		return TUI_REDRAW;
	case 'C':
		list_clone(tui, st);
		return TUI_REDRAW;
	case '/':
		st->editing_filter = true;
		return TUI_REDRAW;
	case 27:
		if (!st->filter[0])
			return TUI_IGNORED;
		st->filter[0] = '\0';
		return TUI_REDRAW;
	case '<':
		st->sort_col = vmlist_sort_next(st->sort_col, -1);
		return TUI_REDRAW;
	case '>':
	case KEY_F(6):
		st->sort_col = vmlist_sort_next(st->sort_col, 1);
		return TUI_REDRAW;
	case 'I':
		st->sort_desc = !st->sort_desc;
		return TUI_REDRAW;
	default:
		return TUI_IGNORED;
	}

	/* Cursor movement and marks: under the lock, on fresh rows. */
	pthread_mutex_lock(&m->lock);
	list_update_rows(tui, st);
	switch (key) {
	case KEY_UP:
	case 'k':
		list_move(tui, st, st->cursor - 1);
		break;
	case KEY_DOWN:
	case 'j':
		list_move(tui, st, st->cursor + 1);
		break;
	case KEY_PPAGE:
		list_move(tui, st, st->cursor - st->page);
		break;
	case KEY_NPAGE:
		list_move(tui, st, st->cursor + st->page);
		break;
	case KEY_HOME:
		list_move(tui, st, 0);
		break;
	case KEY_END:
		list_move(tui, st, st->nr_rows - 1);
		break;
	case ' ':
		if (list_cursor_vm(tui, st)) {
			char mkey[VMLIST_MARK_MAX];

			vmlist_mark_key(list_cursor_vm(tui, st), mkey, sizeof(mkey));
			vmlist_toggle_mark(&st->marks, mkey);
		}
		list_move(tui, st, st->cursor + 1);
		break;
	case '*':
		for (int i = 0; i < st->nr_rows; i++) {
			char mkey[VMLIST_MARK_MAX];

			if (st->rows[i].vm < 0)
				continue;
			vmlist_mark_key(&m->vms[st->rows[i].vm], mkey, sizeof(mkey));
			vmlist_mark(&st->marks, mkey);
		}
		break;
	}
	pthread_mutex_unlock(&m->lock);
	return TUI_REDRAW;
}

static enum tui_result list_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	struct list_state *st = list_state(scr);
	struct tui_model *m = &tui->model;
	int row;

	if (!st)
		return TUI_IGNORED;
	if (ev->bstate & BUTTON4_PRESSED)
		return list_key(tui, scr, KEY_UP);
	if (ev->bstate & BUTTON5_PRESSED)
		return list_key(tui, scr, KEY_DOWN);
	if (ev->y == 1) {
		/* A heading: sort by it; again: invert. */
		for (int i = 0; i < st->layout.ncols; i++) {
			enum vmlist_col c = st->layout.cols[i].col;

			if (ev->x < st->layout.cols[i].x ||
			    ev->x >= st->layout.cols[i].x + st->layout.cols[i].width + 1)
				continue;
			if (c == VMLIST_COL_GRAPH)
				c = VMLIST_COL_CPU;
			if (c == st->sort_col)
				st->sort_desc = !st->sort_desc;
			else
				st->sort_col = c;
			return TUI_REDRAW;
		}
		return TUI_HANDLED;
	}
	row = st->top + ev->y - LIST_HEADER_ROWS;
	if (ev->y < LIST_HEADER_ROWS)
		return TUI_HANDLED;
	pthread_mutex_lock(&m->lock);
	list_update_rows(tui, st);
	if (row >= st->nr_rows) {
		pthread_mutex_unlock(&m->lock);
		return TUI_HANDLED;
	}
	list_move(tui, st, row);
	pthread_mutex_unlock(&m->lock);
	if (ev->bstate & BUTTON1_DOUBLE_CLICKED)
		list_open_info(tui, st);
	return TUI_REDRAW;
}

static const struct keybar_item *list_keybar_items(struct tui *tui, struct screen *scr)
{
	struct list_state *st = list_state(scr);

	(void)tui;
	return st && st->editing_filter ? list_filter_keybar : list_keybar;
}

void screen_list_select(struct tui *tui, const char *name)
{
	struct list_state *st;

	if (!tui->depth || tui->stack[0]->ops != &screen_list_ops)
		return;
	st = list_state(tui->stack[0]);
	if (!st)
		return;
	/* A filter that hides the new VM would hide the selection too. */
	st->filter[0] = '\0';
	st->editing_filter = false;
	snprintf(st->select_name, sizeof(st->select_name), "%s", name);
	pthread_mutex_lock(&tui->model.lock);
	st->select_conn = tui->cur_conn;
	pthread_mutex_unlock(&tui->model.lock);
}

const struct screen_ops screen_list_ops = {
    .name = "list",
    .enter = list_enter,
    .draw = list_draw,
    .key = list_key,
    .mouse = list_mouse,
    .keybar = list_keybar_items,
    .help = list_help,
    .destroy = list_destroy,
};
