/* The networks view (N from the list or the dashboard): a table of the
 * connection's networks with their state, subnet, attached VMs and
 * traffic, the keys that start, stop, delete and create them, a details
 * page (what `virtty net-info` shows) and the port forwards box. Driver
 * calls go through the worker (tui_request_net); a refusal comes back in
 * model.net_reply and is shown in a box over the table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "net/netcfg.h"
#include "store/store.h"
#include "tui.h"
#include "vmlist.h"

#define NETS_HEADER_ROWS 2 /* the connection line and the column headings */

struct nets_state {
	int cursor, top;
	char cursor_name[VM_NAME_MAX + 1]; /* followed across list changes */
	char select_name[VM_NAME_MAX + 1]; /* put the cursor here once listed */
	int page;			   /* rows that fit, from the last draw */
	uint64_t wait_seq;		   /* the operation whose refusal we show */
	char popup_title[96];
	char popup[512]; /* a refusal being shown, "" when none */
};

static const struct keybar_item nets_keybar[] = {
    {"F1", "Help", KEY_F(1)}, {"n", "New", 'n'},       {"s", "Start", 's'},
    {"d", "Stop", 'd'},	      {"D", "Delete", 'D'},    {"a", "Autostart", 'a'},
    {"f", "Forwards", 'f'},   {"Enter", "Info", '\n'}, {"Esc", "Back", 27},
    {NULL, NULL, 0},
};

static const struct keybar_item nets_popup_keybar[] = {
    {"Enter", "OK", '\n'},
    {NULL, NULL, 0},
};

static const struct tui_binding nets_help[] = {
    {"Networks", NULL},
    {"Up/Down, j/k", "move the cursor"},
    {"PgUp/PgDn, Home/End", "move by a page, to the first/last network"},
    {"Enter", "the network's details (double-click too)"},
    {"n", "new network: the wizard (name, mode, addresses, forwards)"},
    {"s", "start the network (its switch)"},
    {"d", "stop it (asks first; refused while running VMs use it)"},
    {"D", "delete it (asks first; refused while VMs are defined on it)"},
    {"a", "autostart on/off"},
    {"f", "port forwards (nat, natnet): a add, r remove"},
    {"Esc, Tab", "back"},
    {NULL, NULL},
};

/* ---- finding things (model lock held where it reads the model) ---- */

static struct nets_state *nets_find_state(struct tui *tui)
{
	for (int i = tui->depth - 1; i >= 0; i--)
		if (tui->stack[i]->ops == &screen_networks_ops)
			return tui->stack[i]->priv;
	return NULL;
}

static const struct tui_net *nets_find(const struct tui *tui, const char *name)
{
	for (int i = 0; i < tui->model.nr_nets; i++)
		if (!strcmp(tui->model.nets[i].info.name, name))
			return &tui->model.nets[i];
	return NULL;
}

void screen_networks_select(struct tui *tui, const char *name)
{
	struct nets_state *st = nets_find_state(tui);

	if (st)
		snprintf(st->select_name, sizeof(st->select_name), "%s", name);
}

/* The cursor back on the network it was on, or on the one asked for. */
static void nets_update_cursor(const struct tui *tui, struct nets_state *st)
{
	const struct tui_model *m = &tui->model;

	for (int i = 0; st->select_name[0] && i < m->nr_nets; i++) {
		if (!strcmp(m->nets[i].info.name, st->select_name)) {
			snprintf(st->cursor_name, sizeof(st->cursor_name), "%s", st->select_name);
			st->select_name[0] = '\0';
		}
	}
	for (int i = 0; st->cursor_name[0] && i < m->nr_nets; i++) {
		if (!strcmp(m->nets[i].info.name, st->cursor_name)) {
			st->cursor = i;
			break;
		}
	}
	if (st->cursor >= m->nr_nets)
		st->cursor = m->nr_nets - 1;
	if (st->cursor < 0)
		st->cursor = 0;
	if (m->nr_nets)
		snprintf(st->cursor_name, sizeof(st->cursor_name), "%s",
			 m->nets[st->cursor].info.name);
	else
		st->cursor_name[0] = '\0';
}

/* The network under the cursor into name/info; false when there is none. */
static bool nets_current(struct tui *tui, struct nets_state *st, struct net_info *info)
{
	const struct tui_net *net;

	pthread_mutex_lock(&tui->model.lock);
	nets_update_cursor(tui, st);
	net = st->cursor_name[0] ? nets_find(tui, st->cursor_name) : NULL;
	if (net)
		*info = net->info;
	pthread_mutex_unlock(&tui->model.lock);
	if (!net)
		tui_status(tui, TUI_STATUS_ERROR, "no network selected");
	return net != NULL;
}

static enum theme_role nets_state_role(enum net_state state)
{
	switch (state) {
	case NET_STATE_ACTIVE:
		return THEME_STATE_RUNNING;
	case NET_STATE_FAILED:
		return THEME_STATE_CRASHED;
	default:
		return THEME_STATE_SHUTOFF;
	}
}

/* ---- the table ---- */

enum nets_col {
	NETS_COL_NAME,
	NETS_COL_MODE,
	NETS_COL_STATE,
	NETS_COL_SUBNET,
	NETS_COL_AUTO,
	NETS_COL_VMS,
	NETS_COL_RATE,
	NETS_COL_GRAPH,
	NETS_NR_COLS,
};

static const struct {
	const char *title;
	int width; /* at least */
	int drop;  /* columns go in this order when narrow (0: never) */
} nets_cols[NETS_NR_COLS] = {
    [NETS_COL_NAME] = {"NAME", 10, 0},	[NETS_COL_MODE] = {"MODE", 8, 0},
    [NETS_COL_STATE] = {"STATE", 8, 0}, [NETS_COL_SUBNET] = {"SUBNET", 18, 5},
    [NETS_COL_AUTO] = {"AUTO", 4, 3},	[NETS_COL_VMS] = {"VMS", 12, 4},
    [NETS_COL_RATE] = {"RX/TX", 11, 2}, [NETS_COL_GRAPH] = {"TRAFFIC", 10, 1},
};

/* Column widths for cols columns (0 = not shown): drop the least useful
 * until the rest fit, then give the room left to the VMs and the graph. */
static void nets_layout(int cols, int width[NETS_NR_COLS])
{
	int total = 1, extra;

	for (int c = 0; c < NETS_NR_COLS; c++) {
		width[c] = nets_cols[c].width;
		total += width[c] + 1;
	}
	for (int d = 1; total > cols && d <= 5; d++) {
		for (int c = 0; c < NETS_NR_COLS; c++) {
			if (nets_cols[c].drop == d) {
				total -= width[c] + 1;
				width[c] = 0;
			}
		}
	}
	extra = cols - total;
	if (extra <= 0)
		return;
	/* The name up to 20, then the VMs' names and the graph share. */
	if (width[NETS_COL_NAME] < 20) {
		int add = extra < 20 - width[NETS_COL_NAME] ? extra : 20 - width[NETS_COL_NAME];

		width[NETS_COL_NAME] += add;
		extra -= add;
	}
	if (width[NETS_COL_VMS] && width[NETS_COL_GRAPH]) {
		width[NETS_COL_VMS] += extra / 2;
		width[NETS_COL_GRAPH] += extra - extra / 2;
	} else if (width[NETS_COL_VMS]) {
		width[NETS_COL_VMS] += extra;
	} else if (width[NETS_COL_GRAPH]) {
		width[NETS_COL_GRAPH] += extra;
	}
}

static void nets_cell(const struct tui_net *net, enum nets_col col, char *buf, size_t len)
{
	const struct net_info *in = &net->info;
	char a[16], b[16];

	buf[0] = '\0';
	switch (col) {
	case NETS_COL_NAME:
		snprintf(buf, len, "%s", in->name);
		break;
	case NETS_COL_MODE:
		snprintf(buf, len, "%s", net_mode_name(in->mode));
		break;
	case NETS_COL_STATE:
		snprintf(buf, len, "%s", net_state_name(in->state));
		break;
	case NETS_COL_SUBNET:
		if (in->mode == NET_MODE_BRIDGED && in->bridge[0])
			snprintf(buf, len, "bridge %s", in->bridge);
		else
			snprintf(buf, len, "%s", in->subnet[0] ? in->subnet : "-");
		break;
	case NETS_COL_AUTO:
		snprintf(buf, len, "%s", in->autostart ? "yes" : "no");
		break;
	case NETS_COL_VMS:
		if (!in->nr_vms)
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%d/%d %s", in->nr_running, in->nr_vms, in->vms);
		break;
	case NETS_COL_RATE:
		/* nat networks run nothing of their own: see each VM's NIC. */
		if (in->mode == NET_MODE_NAT || in->state != NET_STATE_ACTIVE) {
			snprintf(buf, len, "-");
			break;
		}
		vmlist_format_short(net->rx_rate, a, sizeof(a));
		vmlist_format_short(net->tx_rate, b, sizeof(b));
		snprintf(buf, len, "%s/%s", a, b);
		break;
	default:
		break;
	}
}

static void nets_draw_row(struct tui *tui, WINDOW *win, int y, const struct tui_net *net,
			  const int width[NETS_NR_COLS], bool selected)
{
	int base = theme_attr(selected ? THEME_SELECTED : THEME_NORMAL), x = 1;
	char buf[320];

	wattrset(win, base);
	mvwhline(win, y, 0, ' ', getmaxx(win));
	for (int c = 0; c < NETS_NR_COLS; c++) {
		if (!width[c])
			continue;
		if (c == NETS_COL_GRAPH) {
			struct history sum;

			/* rx + tx in one sparkline, like the VM list's graph. */
			history_clear(&sum);
			for (int i = 0; i < net->rx_hist.count; i++)
				history_push(&sum, history_get(&net->rx_hist, i) +
						       history_get(&net->tx_hist, i));
			if (net->info.mode != NET_MODE_NAT)
				graph_draw(win, y, x, 1, width[c], &sum, 0, tui->graph_style);
		} else {
			nets_cell(net, (enum nets_col)c, buf, sizeof(buf));
			wattrset(win, c == NETS_COL_STATE && !selected
					  ? theme_attr(nets_state_role(net->info.state))
					  : base);
			tui_put(win, y, x, width[c], buf, false);
		}
		x += width[c] + 1;
	}
	wattrset(win, theme_attr(THEME_NORMAL));
}

/* A refusal over the table, as a dialog box: the driver's whole message. */
static void nets_draw_popup(struct tui *tui, struct nets_state *st, WINDOW *win, int rows, int cols)
{
	int w = cols - 4 < 70 ? cols - 4 : 70, len = (int)strlen(st->popup), lines, h, y, x;

	if (w < 20)
		w = cols;
	lines = (len + w - 5) / (w - 4);
	if (lines < 1)
		lines = 1;
	h = lines + 4 < rows ? lines + 4 : rows;
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	tui_draw_box(tui, win, y, x, h, w, st->popup_title);
	wattrset(win, theme_attr(THEME_ERROR));
	for (int i = 0; i < lines && i < h - 3; i++)
		tui_put(win, y + 1 + i, x + 2, w - 4, st->popup + i * (w - 4), false);
	wattrset(win, theme_attr(THEME_DIM));
	tui_put(win, y + h - 2, x + 2, w - 4, "Enter: OK", false);
	wattrset(win, theme_attr(THEME_NORMAL));
}

/* The worker answered an operation of ours (model lock held). */
static void nets_check_reply(struct tui *tui, struct nets_state *st)
{
	const struct tui_net_reply *r = &tui->model.net_reply;
	static const char *const what[] = {
	    [TUI_NET_START] = "start",
	    [TUI_NET_STOP] = "stop",
	    [TUI_NET_UNDEFINE] = "delete",
	    [TUI_NET_AUTOSTART] = "autostart",
	    [TUI_NET_FORWARD_ADD] = "add a port forward to",
	    [TUI_NET_FORWARD_REMOVE] = "remove a port forward from",
	    [TUI_NET_DEFINE] = "create",
	};

	if (!st->wait_seq || r->seq != st->wait_seq)
		return;
	st->wait_seq = 0;
	if (!r->rc)
		return;
	snprintf(st->popup_title, sizeof(st->popup_title), "Cannot %s network '%s'", what[r->op],
		 r->name);
	snprintf(st->popup, sizeof(st->popup), "%s", r->error);
}

static void nets_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct nets_state *st = scr->priv;
	const struct tui_model *m = &tui->model;
	int rows, cols, width[NETS_NR_COLS], x = 1;
	char head[256];

	if (!st)
		return;
	nets_check_reply(tui, st);
	werase(win);
	getmaxyx(win, rows, cols);
	nets_layout(cols, width);
	nets_update_cursor(tui, st);

	wattrset(win, theme_attr(THEME_TITLE));
	snprintf(head, sizeof(head), " Networks - %s: %d network%s ",
		 tui_conn_find(tui, tui->cur_conn) ? tui_conn_label(tui_conn_find(tui, tui->cur_conn))
						   : "Local",
		 m->nr_nets,
		 m->nr_nets == 1 ? "" : "s");
	x += tui_put(win, 0, 0, cols, head, false);
	if (m->nets_error[0]) {
		wattrset(win, theme_attr(THEME_ERROR));
		tui_put(win, 0, x + 1, cols - x - 1, m->nets_error, false);
	}
	wattrset(win, theme_attr(THEME_HEADER));
	mvwhline(win, 1, 0, ' ', cols);
	x = 1;
	for (int c = 0; c < NETS_NR_COLS; c++) {
		if (!width[c])
			continue;
		tui_put(win, 1, x, width[c], nets_cols[c].title, false);
		x += width[c] + 1;
	}
	wattrset(win, theme_attr(THEME_NORMAL));

	st->page = rows - NETS_HEADER_ROWS;
	if (st->page < 1)
		st->page = 1;
	if (st->cursor < st->top)
		st->top = st->cursor;
	if (st->cursor >= st->top + st->page)
		st->top = st->cursor - st->page + 1;
	if (st->top < 0)
		st->top = 0;
	if (!m->nets_supported && m->listed) {
		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, NETS_HEADER_ROWS, 1, cols - 2, "This connection has no networks.",
			false);
	} else if (!m->nets_listed) {
		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, NETS_HEADER_ROWS, 1, cols - 2, "Reading the networks...", false);
	} else if (!m->nr_nets) {
		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, NETS_HEADER_ROWS, 1, cols - 2, "No networks. Press n to create one.",
			false);
	}
	for (int i = st->top; i < m->nr_nets && i - st->top < st->page; i++)
		nets_draw_row(tui, win, NETS_HEADER_ROWS + i - st->top, &m->nets[i], width,
			      i == st->cursor);
	if (st->popup[0])
		nets_draw_popup(tui, st, win, rows, cols);
	wattrset(win, theme_attr(THEME_NORMAL));
}

/* ---- operations ---- */

/* Queue op on name; the networks view shows a refusal. */
static void nets_request(struct tui *tui, enum tui_net_op op, const char *name, bool flag)
{
	struct tui_net_request req = {.op = op, .autostart = flag};
	struct nets_state *st = nets_find_state(tui);
	uint64_t seq = 0;

	snprintf(req.name, sizeof(req.name), "%s", name);
	if (tui_request_net(tui, &req, &seq) == 0 && st)
		st->wait_seq = seq;
}

struct nets_confirm {
	enum tui_net_op op;
	char name[VM_NAME_MAX + 1];
};

static void nets_confirm_yes(struct tui *tui, void *opaque)
{
	struct nets_confirm *c = opaque;

	nets_request(tui, c->op, c->name, false);
	tui_status(tui, TUI_STATUS_INFO, "%s network '%s'...",
		   c->op == TUI_NET_STOP ? "stopping" : "deleting", c->name);
}

static enum tui_result nets_confirm(struct tui *tui, enum tui_net_op op,
				    const struct net_info *info)
{
	struct nets_confirm *c = calloc(1, sizeof(*c));
	char text[512];

	if (!c)
		return TUI_HANDLED;
	c->op = op;
	snprintf(c->name, sizeof(c->name), "%s", info->name);
	if (op == TUI_NET_STOP)
		snprintf(text, sizeof(text),
			 "Stop network '%s'? Its switch stops; VMs on it lose their link until "
			 "it starts again (a VM starting on it starts it).",
			 info->name);
	else
		snprintf(text, sizeof(text),
			 "Delete network '%s'? Its definition and port forwards are removed. "
			 "VMs defined on it must be moved off it first.",
			 info->name);
	tui_push_screen(tui,
			dialog_confirm_new(op == TUI_NET_STOP ? "Confirm stop" : "Confirm delete",
					   text, nets_confirm_yes, c, free));
	return TUI_REDRAW;
}

static struct screen *nets_info_new(const char *name);
static struct screen *nets_forwards_new(const char *name);

static enum tui_result nets_action(struct tui *tui, struct nets_state *st, int key)
{
	struct net_info info;

	if (!nets_current(tui, st, &info))
		return TUI_REDRAW;
	switch (key) {
	case 's':
		if (info.state == NET_STATE_ACTIVE) {
			tui_status(tui, TUI_STATUS_INFO, "network '%s' is already active",
				   info.name);
			return TUI_REDRAW;
		}
		nets_request(tui, TUI_NET_START, info.name, false);
		tui_status(tui, TUI_STATUS_INFO, "starting network '%s'...", info.name);
		return TUI_REDRAW;
	case 'd':
		if (info.mode == NET_MODE_NAT) {
			tui_status(tui, TUI_STATUS_INFO,
				   "network '%s' is nat: nothing runs but each VM's own NAT",
				   info.name);
			return TUI_REDRAW;
		}
		if (info.state == NET_STATE_INACTIVE) {
			tui_status(tui, TUI_STATUS_INFO, "network '%s' is not active", info.name);
			return TUI_REDRAW;
		}
		return nets_confirm(tui, TUI_NET_STOP, &info);
	case 'D':
		return nets_confirm(tui, TUI_NET_UNDEFINE, &info);
	case 'a':
		nets_request(tui, TUI_NET_AUTOSTART, info.name, !info.autostart);
		return TUI_REDRAW;
	case 'f':
		if (info.mode != NET_MODE_NAT && info.mode != NET_MODE_NATNET) {
			tui_status(tui, TUI_STATUS_ERROR,
				   "network '%s' is %s: only nat and natnet networks have port "
				   "forwards",
				   info.name, net_mode_name(info.mode));
			return TUI_REDRAW;
		}
		tui_push_screen(tui, nets_forwards_new(info.name));
		return TUI_REDRAW;
	default:
		tui_push_screen(tui, nets_info_new(info.name));
		return TUI_REDRAW;
	}
}

/* ---- keys and mouse ---- */

static void nets_move(struct tui *tui, struct nets_state *st, int to)
{
	pthread_mutex_lock(&tui->model.lock);
	if (to >= tui->model.nr_nets)
		to = tui->model.nr_nets - 1;
	if (to < 0)
		to = 0;
	st->cursor = to;
	if (tui->model.nr_nets)
		snprintf(st->cursor_name, sizeof(st->cursor_name), "%s",
			 tui->model.nets[to].info.name);
	pthread_mutex_unlock(&tui->model.lock);
}

static enum tui_result nets_key(struct tui *tui, struct screen *scr, int key)
{
	struct nets_state *st = scr->priv;

	if (!st)
		return TUI_IGNORED;
	if (st->popup[0]) {
		/* The refusal stays until it is acknowledged. */
		if (key == '\n' || key == '\r' || key == KEY_ENTER || key == 27 || key == ' ' ||
		    key == 'q') {
			st->popup[0] = '\0';
			return TUI_REDRAW;
		}
		return key == KEY_F(1) || key == '?' ? TUI_IGNORED : TUI_HANDLED;
	}
	switch (key) {
	case KEY_UP:
	case 'k':
		nets_move(tui, st, st->cursor - 1);
		return TUI_REDRAW;
	case KEY_DOWN:
	case 'j':
		nets_move(tui, st, st->cursor + 1);
		return TUI_REDRAW;
	case KEY_PPAGE:
		nets_move(tui, st, st->cursor - st->page);
		return TUI_REDRAW;
	case KEY_NPAGE:
		nets_move(tui, st, st->cursor + st->page);
		return TUI_REDRAW;
	case KEY_HOME:
		nets_move(tui, st, 0);
		return TUI_REDRAW;
	case KEY_END:
		nets_move(tui, st, 1 << 30);
		return TUI_REDRAW;
	case 'n':
		if (!tui->model.nets_supported) {
			tui_status(tui, TUI_STATUS_ERROR, "this connection has no networks");
			return TUI_REDRAW;
		}
		tui_push_screen(tui, wizard_newnet_new(tui));
		return TUI_REDRAW;
	case 's':
	case 'd':
	case 'D':
	case 'a':
	case 'f':
	case '\n':
	case '\r':
	case KEY_ENTER:
		return nets_action(tui, st, key);
	case '\t':
	case 27:
		tui_pop_screen(tui);
		return TUI_REDRAW;
	}
	return TUI_IGNORED;
}

static enum tui_result nets_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	struct nets_state *st = scr->priv;
	int row;

	if (!st)
		return TUI_IGNORED;
	if (st->popup[0]) {
		if (ev->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
			st->popup[0] = '\0';
		return TUI_REDRAW;
	}
	if (ev->bstate & BUTTON4_PRESSED)
		return nets_key(tui, scr, KEY_UP);
	if (ev->bstate & BUTTON5_PRESSED)
		return nets_key(tui, scr, KEY_DOWN);
	row = ev->y - NETS_HEADER_ROWS;
	if (row < 0 || st->top + row >= tui->model.nr_nets)
		return TUI_HANDLED;
	nets_move(tui, st, st->top + row);
	if (ev->bstate & BUTTON1_DOUBLE_CLICKED)
		return nets_action(tui, st, '\n');
	return TUI_REDRAW;
}

static const struct keybar_item *nets_keybar_items(struct tui *tui, struct screen *scr)
{
	struct nets_state *st = scr->priv;

	(void)tui;
	return st && st->popup[0] ? nets_popup_keybar : nets_keybar;
}

static void nets_enter(struct tui *tui, struct screen *scr)
{
	if (!scr->priv)
		scr->priv = calloc(1, sizeof(struct nets_state));
	/* Fresh figures now rather than at the end of the interval. */
	tui_request_refresh(tui);
}

static void nets_destroy(struct screen *scr)
{
	free(scr->priv);
	scr->priv = NULL;
}

const struct screen_ops screen_networks_ops = {
    .name = "networks",
    .enter = nets_enter,
    .draw = nets_draw,
    .key = nets_key,
    .mouse = nets_mouse,
    .keybar = nets_keybar_items,
    .help = nets_help,
    .destroy = nets_destroy,
};

/* ---- the details page: Enter on a network ---- */

struct nets_info_state {
	char name[VM_NAME_MAX + 1];
	int top; /* first line shown */
};

static const struct keybar_item nets_info_keybar[] = {
    {"F1", "Help", KEY_F(1)},
    {"f", "Forwards", 'f'},
    {"Esc", "Back", 27},
    {NULL, NULL, 0},
};

static const struct tui_binding nets_info_help[] = {
    {"Network details", NULL},	     {"Up/Down", "scroll"}, {"f", "port forwards (nat, natnet)"},
    {"Esc", "back to the networks"}, {NULL, NULL},
};

/* The definition, if the worker answered for this network (lock held). */
static const struct net_config *nets_config(const struct tui *tui, const char *name)
{
	const struct tui_net_config_reply *cr = &tui->model.net_config;

	if (strcmp(cr->name, name) || !cr->ready || cr->rc)
		return NULL;
	return &cr->config;
}

struct nets_lines {
	WINDOW *win;
	int y, line, top, rows, cols;
};

static void nets_line(struct nets_lines *nl, const char *key, int attr, const char *value)
{
	if (nl->line++ < nl->top || nl->y >= nl->rows)
		return;
	wattrset(nl->win, theme_attr(THEME_HEADER));
	tui_put(nl->win, nl->y, 1, 14, key, false);
	wattrset(nl->win, attr);
	tui_put(nl->win, nl->y, 16, nl->cols - 17, value, false);
	nl->y++;
}

static void nets_info_config_lines(struct nets_lines *nl, const struct net_config *cfg)
{
	int normal = theme_attr(THEME_NORMAL), dim = theme_attr(THEME_DIM);
	struct ipv4_subnet s;
	char buf[256], err[128];

	if (cfg->subnet[0] && netcfg_parse_subnet(cfg->subnet, &s, err, sizeof(err)) == 0 &&
	    cfg->mode != NET_MODE_INTERNAL && cfg->mode != NET_MODE_BRIDGED) {
		netcfg_format_addr(netcfg_gateway(cfg->mode, &s), buf, sizeof(buf));
		nets_line(nl, cfg->mode == NET_MODE_HOSTONLY ? "Host address" : "Gateway", normal,
			  buf);
	}
	if (cfg->dhcp_start[0]) {
		snprintf(buf, sizeof(buf), "%s - %s", cfg->dhcp_start,
			 cfg->dhcp_end[0] ? cfg->dhcp_end : "?");
		nets_line(nl, "DHCP", normal, buf);
	} else if (cfg->mode == NET_MODE_HOSTONLY) {
		nets_line(nl, "DHCP", dim, "none");
	}
	if (cfg->mode == NET_MODE_NAT || cfg->mode == NET_MODE_NATNET) {
		if (!cfg->nr_forwards)
			nets_line(nl, "Forwards", dim, "none");
		for (int i = 0; i < cfg->nr_forwards && i < NET_MAX_FORWARDS; i++) {
			netcfg_format_forward(&cfg->forwards[i], buf, sizeof(buf));
			nets_line(nl, i ? "" : "Forwards", normal, buf);
		}
	}
}

static void nets_info_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct nets_info_state *st = scr->priv;
	const struct tui_net *net;
	const struct net_config *cfg;
	int rows, cols, normal = theme_attr(THEME_NORMAL), dim = theme_attr(THEME_DIM);
	struct nets_lines nl;
	char buf[512], a[32], b[32];

	werase(win);
	getmaxyx(win, rows, cols);
	nl = (struct nets_lines){win, 2, 0, st->top, rows, cols};
	wattrset(win, theme_attr(THEME_TITLE));
	snprintf(buf, sizeof(buf), " Network %s ", st->name);
	tui_put(win, 0, 0, cols, buf, false);
	net = nets_find(tui, st->name);
	if (!net) {
		wattrset(win, theme_attr(THEME_ERROR));
		tui_put(win, 2, 1, cols - 2, "This network no longer exists.", false);
		return;
	}
	nets_line(&nl, "Name", normal, net->info.name);
	nets_line(&nl, "Mode", normal, net_mode_name(net->info.mode));
	nets_line(&nl, "State", theme_attr(nets_state_role(net->info.state)),
		  net_state_name(net->info.state));
	if (net->info.reason[0])
		nets_line(&nl, "Reason", theme_attr(THEME_ERROR), net->info.reason);
	if (net->info.mode != NET_MODE_INTERNAL && net->info.mode != NET_MODE_BRIDGED)
		nets_line(&nl, "Subnet", normal, net->info.subnet[0] ? net->info.subnet : "-");
	if (net->info.bridge[0])
		nets_line(&nl, net->info.mode == NET_MODE_BRIDGED ? "Bridge" : "Host interface",
			  normal, net->info.bridge);
	nets_line(&nl, "Autostart", normal, net->info.autostart ? "yes" : "no");
	if (net->info.nr_vms)
		snprintf(buf, sizeof(buf), "%d defined, %d running: %s", net->info.nr_vms,
			 net->info.nr_running, net->info.vms);
	else
		snprintf(buf, sizeof(buf), "none");
	nets_line(&nl, "VMs", net->info.nr_vms ? normal : dim, buf);
	if (net->info.mode == NET_MODE_NAT) {
		nets_line(&nl, "Traffic", dim, "each VM's own NAT: see the VM's details");
	} else {
		format_size(net->info.rx_bytes, a, sizeof(a));
		format_size(net->info.tx_bytes, b, sizeof(b));
		snprintf(buf, sizeof(buf), "rx %s, tx %s since it started", a, b);
		nets_line(&nl, "Traffic", normal, buf);
		cli_format_rate(net->rx_rate, a, sizeof(a));
		cli_format_rate(net->tx_rate, b, sizeof(b));
		snprintf(buf, sizeof(buf), "rx %s, tx %s", a, b);
		nets_line(&nl, "Rate", normal, buf);
	}
	cfg = nets_config(tui, st->name);
	if (cfg)
		nets_info_config_lines(&nl, cfg);
	else if (!strcmp(tui->model.net_config.name, st->name) && tui->model.net_config.ready)
		nets_line(&nl, "Config", theme_attr(THEME_ERROR), tui->model.net_config.error);
	else
		nets_line(&nl, "", dim, "reading the definition...");

	/* The switch's traffic as two graphs, when there is room below. */
	if (net->info.mode != NET_MODE_NAT && rows - nl.y >= 6) {
		int h = (rows - nl.y - 1) / 2;

		wattrset(win, theme_attr(THEME_HEADER));
		tui_put(win, nl.y + 1, 1, 10, "rx", false);
		wattrset(win, normal);
		graph_draw(win, nl.y + 2, 1, h - 1, cols - 2, &net->rx_hist, 0, tui->graph_style);
		wattrset(win, theme_attr(THEME_HEADER));
		tui_put(win, nl.y + 1 + h, 1, 10, "tx", false);
		wattrset(win, normal);
		graph_draw(win, nl.y + 2 + h, 1, rows - nl.y - 2 - h, cols - 2, &net->tx_hist, 0,
			   tui->graph_style);
	}
	wattrset(win, normal);
}

static enum tui_result nets_info_key(struct tui *tui, struct screen *scr, int key)
{
	struct nets_info_state *st = scr->priv;
	enum net_mode mode = NET_MODE_INTERNAL;
	const struct tui_net *net;

	switch (key) {
	case KEY_UP:
	case 'k':
		if (st->top > 0)
			st->top--;
		return TUI_REDRAW;
	case KEY_DOWN:
	case 'j':
		if (st->top < NET_MAX_FORWARDS + 12)
			st->top++;
		return TUI_REDRAW;
	case 'f':
		pthread_mutex_lock(&tui->model.lock);
		net = nets_find(tui, st->name);
		if (net)
			mode = net->info.mode;
		pthread_mutex_unlock(&tui->model.lock);
		if (mode != NET_MODE_NAT && mode != NET_MODE_NATNET) {
			tui_status(tui, TUI_STATUS_ERROR,
				   "network '%s': only nat and natnet networks have port forwards",
				   st->name);
			return TUI_REDRAW;
		}
		tui_push_screen(tui, nets_forwards_new(st->name));
		return TUI_REDRAW;
	case '\t':
		tui_pop_screen(tui);
		return TUI_REDRAW;
	}
	return TUI_IGNORED; /* Esc: the global key pops */
}

static void nets_info_enter(struct tui *tui, struct screen *scr)
{
	struct nets_info_state *st = scr->priv;

	tui_request_net_config(tui, st->name);
}

static void nets_info_destroy(struct screen *scr)
{
	free(scr->priv);
	scr->priv = NULL;
}

static const struct keybar_item *nets_info_keybar_items(struct tui *tui, struct screen *scr)
{
	(void)tui;
	(void)scr;
	return nets_info_keybar;
}

static const struct screen_ops nets_info_ops = {
    .name = "network-details",
    .enter = nets_info_enter,
    .draw = nets_info_draw,
    .key = nets_info_key,
    .keybar = nets_info_keybar_items,
    .help = nets_info_help,
    .destroy = nets_info_destroy,
};

static struct screen *nets_info_new(const char *name)
{
	struct nets_info_state *st = calloc(1, sizeof(*st));
	struct screen *scr;

	if (!st)
		return NULL;
	snprintf(st->name, sizeof(st->name), "%s", name);
	scr = tui_screen_new(&nets_info_ops, st);
	if (!scr)
		free(st);
	return scr;
}

/* ---- port forwards: f on a nat or natnet network ---- */

struct nets_fwd_state {
	char name[VM_NAME_MAX + 1];
	int cursor;
	int count;	   /* forwards shown at the last draw */
	uint64_t wait_seq; /* our last add/remove */
	bool busy;
	char error[512]; /* the driver's refusal of it */
};

static const struct keybar_item nets_fwd_keybar[] = {
    {"a", "Add", 'a'},
    {"r", "Remove", 'r'},
    {"Esc", "Close", 27},
    {NULL, NULL, 0},
};

static const struct tui_binding nets_fwd_help[] = {
    {"Port forwards", NULL},
    {"Up/Down", "select a forward"},
    {"a, Insert", "add one: tcp|udp:[HOSTADDR:]HOSTPORT-GUEST:GUESTPORT"},
    {"r, Delete", "remove the selected one"},
    {"Esc", "close"},
    {NULL, NULL},
};

static void nets_fwd_check_reply(struct tui *tui, struct nets_fwd_state *st)
{
	const struct tui_net_reply *r = &tui->model.net_reply;

	if (!st->wait_seq || r->seq != st->wait_seq)
		return;
	st->wait_seq = 0;
	st->busy = false;
	snprintf(st->error, sizeof(st->error), "%s", r->rc ? r->error : "");
}

static void nets_fwd_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct nets_fwd_state *st = scr->priv;
	const struct net_config *cfg;
	int rows, cols, w, h, y, x, n = 0, lines;
	char title[VM_NAME_MAX + 32], buf[160];

	nets_fwd_check_reply(tui, st);
	getmaxyx(win, rows, cols);
	cfg = nets_config(tui, st->name);
	if (cfg)
		n = cfg->nr_forwards;
	st->count = n;
	if (st->cursor >= n)
		st->cursor = n - 1;
	if (st->cursor < 0)
		st->cursor = 0;
	w = cols - 4 < 72 ? cols - 4 : 72;
	if (w < 24)
		w = cols;
	lines = n ? n : 1;
	h = lines + 6;
	if (h > rows)
		h = rows;
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	snprintf(title, sizeof(title), "Port forwards of %s", st->name);
	tui_draw_box(tui, win, y, x, h, w, title);
	if (!cfg) {
		bool failed =
		    !strcmp(tui->model.net_config.name, st->name) && tui->model.net_config.ready;

		wattrset(win, theme_attr(failed ? THEME_ERROR : THEME_DIM));
		tui_put(win, y + 1, x + 2, w - 4,
			failed ? tui->model.net_config.error : "reading the definition...", false);
	} else if (!n) {
		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, y + 1, x + 2, w - 4, "none: a adds one", false);
	}
	for (int i = 0; cfg && i < n && i < h - 5; i++) {
		netcfg_format_forward(&cfg->forwards[i], buf, sizeof(buf));
		wattrset(win, theme_attr(i == st->cursor ? THEME_SELECTED : THEME_DIALOG));
		mvwhline(win, y + 1 + i, x + 1, ' ', w - 2);
		tui_put(win, y + 1 + i, x + 2, w - 4, buf, false);
	}
	if (st->busy) {
		wattrset(win, theme_attr(THEME_STATE_TRANSIENT));
		tui_put(win, y + h - 4, x + 2, w - 4, "asking the driver...", false);
	} else if (st->error[0]) {
		wattrset(win, theme_attr(THEME_ERROR));
		tui_put(win, y + h - 4, x + 2, w - 4, st->error, false);
		if ((int)strlen(st->error) > w - 4)
			tui_put(win, y + h - 3, x + 2, w - 4, st->error + (w - 4), false);
	}
	wattrset(win, theme_attr(THEME_DIM));
	tui_put(win, y + h - 2, x + 2, w - 4, "a: add   r: remove   Esc: close", false);
	wattrset(win, theme_attr(THEME_NORMAL));
}

struct nets_fwd_add {
	char name[VM_NAME_MAX + 1];
	enum net_mode mode;
};

/* The input's OK: a forward that parses is sent to the driver, which
 * may still refuse it (a busy port): that shows in the forwards box. */
static int nets_fwd_add_ok(struct tui *tui, const char *text, void *opaque, char *err,
			   size_t errlen)
{
	struct nets_fwd_add *a = opaque;
	struct tui_net_request req = {.op = TUI_NET_FORWARD_ADD};
	struct screen *top;
	uint64_t seq = 0;
	int r;

	r = netcfg_parse_forward(text, &req.fwd, err, errlen);
	if (r)
		return r;
	if (a->mode == NET_MODE_NAT && !req.fwd.guest_vm[0]) {
		snprintf(err, errlen, "a nat network forwards to a VM: tcp:2222-web:22");
		return -EINVAL;
	}
	if (a->mode == NET_MODE_NATNET && !req.fwd.guest_addr[0]) {
		snprintf(err, errlen, "natnet forwards to an address: tcp:2222-10.0.2.15:22");
		return -EINVAL;
	}
	snprintf(req.name, sizeof(req.name), "%s", a->name);
	r = tui_request_net(tui, &req, &seq);
	if (r) {
		snprintf(err, errlen, "cannot queue it: %s", strerror(-r));
		return r;
	}
	/* The input is gone already: the forwards box is on top again. */
	top = tui_top_screen(tui);
	if (top && top->ops->help == nets_fwd_help) {
		struct nets_fwd_state *st = top->priv;

		st->wait_seq = seq;
		st->busy = true;
		st->error[0] = '\0';
	}
	return 0;
}

static enum tui_result nets_fwd_add(struct tui *tui, struct nets_fwd_state *st)
{
	struct nets_fwd_add *a = calloc(1, sizeof(*a));
	const struct tui_net *net;

	if (!a)
		return TUI_HANDLED;
	snprintf(a->name, sizeof(a->name), "%s", st->name);
	pthread_mutex_lock(&tui->model.lock);
	net = nets_find(tui, st->name);
	a->mode = net ? net->info.mode : NET_MODE_NAT;
	pthread_mutex_unlock(&tui->model.lock);
	tui_push_screen(tui, dialog_input_new("Add a port forward",
					      a->mode == NET_MODE_NAT
						  ? "tcp|udp:[HOSTADDR:]HOSTPORT-VM:GUESTPORT"
						  : "tcp|udp:[HOSTADDR:]HOSTPORT-GUESTIP:GUESTPORT",
					      "tcp:", nets_fwd_add_ok, a, free));
	return TUI_REDRAW;
}

static enum tui_result nets_fwd_remove(struct tui *tui, struct nets_fwd_state *st)
{
	struct tui_net_request req = {.op = TUI_NET_FORWARD_REMOVE};
	const struct net_config *cfg;
	bool found = false;
	uint64_t seq = 0;

	pthread_mutex_lock(&tui->model.lock);
	cfg = nets_config(tui, st->name);
	if (cfg && st->cursor < cfg->nr_forwards) {
		req.fwd = cfg->forwards[st->cursor];
		found = true;
	}
	pthread_mutex_unlock(&tui->model.lock);
	if (!found) {
		tui_status(tui, TUI_STATUS_ERROR, "no port forward selected");
		return TUI_REDRAW;
	}
	snprintf(req.name, sizeof(req.name), "%s", st->name);
	if (tui_request_net(tui, &req, &seq) == 0) {
		st->wait_seq = seq;
		st->busy = true;
		st->error[0] = '\0';
	}
	return TUI_REDRAW;
}

static enum tui_result nets_fwd_key(struct tui *tui, struct screen *scr, int key)
{
	struct nets_fwd_state *st = scr->priv;

	switch (key) {
	case KEY_UP:
	case 'k':
		if (st->cursor > 0)
			st->cursor--;
		return TUI_REDRAW;
	case KEY_DOWN:
	case 'j':
		if (st->cursor + 1 < st->count)
			st->cursor++;
		return TUI_REDRAW;
	case 'a':
	case KEY_IC:
		return nets_fwd_add(tui, st);
	case 'r':
	case KEY_DC:
		return nets_fwd_remove(tui, st);
	case 27:
	case 'q':
		tui_pop_screen(tui);
		return TUI_REDRAW;
	case KEY_F(1):
	case '?':
	case 12:
		return TUI_IGNORED;
	}
	return TUI_HANDLED; /* a box: the keys below it wait */
}

static void nets_fwd_enter(struct tui *tui, struct screen *scr)
{
	struct nets_fwd_state *st = scr->priv;

	tui_request_net_config(tui, st->name);
}

static const struct keybar_item *nets_fwd_keybar_items(struct tui *tui, struct screen *scr)
{
	(void)tui;
	(void)scr;
	return nets_fwd_keybar;
}

static const struct screen_ops nets_fwd_ops = {
    .name = "port-forwards",
    .overlay = true,
    .enter = nets_fwd_enter,
    .draw = nets_fwd_draw,
    .key = nets_fwd_key,
    .keybar = nets_fwd_keybar_items,
    .help = nets_fwd_help,
    .destroy = nets_info_destroy,
};

static struct screen *nets_forwards_new(const char *name)
{
	struct nets_fwd_state *st = calloc(1, sizeof(*st));
	struct screen *scr;

	if (!st)
		return NULL;
	snprintf(st->name, sizeof(st->name), "%s", name);
	scr = tui_screen_new(&nets_fwd_ops, st);
	if (!scr)
		free(st);
	return scr;
}
