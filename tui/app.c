/* The TUI application: terminal setup, the screen stack, the main loop
 * (poll on the keyboard and on a pipe the background threads write to),
 * global keys, the title bar, status line and bottom key bar. */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "cli.h"
#include "tui.h"
#include "vncview.h"

#define APP_STATUS_INFO_NS   (4ULL * 1000000000ULL) /* info messages fade after this */
#define APP_DOUBLE_CLICK_NS  (400ULL * 1000000ULL)
#define APP_MIN_ROWS	     6
#define APP_MIN_COLS	     30
#define APP_KEYBAR_MAX_ITEMS 24

/* Where each key bar entry was drawn, to map clicks to keys. UI thread. */
struct app_keybar_hit {
	int x0, x1, key;
};
static struct app_keybar_hit app_keybar_hits[APP_KEYBAR_MAX_ITEMS];
static int app_nr_keybar_hits;
/* The window keys are read from (tui_main's), to set it up again after
 * the terminal was lent to the VNC viewer. UI thread. */
static WINDOW *app_input_win;
#define APP_MOUSE_MASK (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED)

/* Keys that work on every screen that does not take them itself. */
static const struct keybar_item app_global_keybar[] = {
    {"F1", "Help", KEY_F(1)}, {"Tab", "Host", '\t'}, {"N", "Networks", 'N'},
    {"t", "Theme", 't'},      {"q", "Quit", 'q'},    {NULL, NULL, 0},
};

static const struct tui_binding app_global_help[] = {
    {"Everywhere", NULL},
    {"?, F1", "this help"},
    {"Tab, h", "switch between the VM list and the host dashboard"},
    {"N", "networks view (from the VM list or the dashboard)"},
    {"t", "next colour theme (the choice is saved)"},
    {"Ctrl-L", "repaint the whole screen"},
    {"q, F10", "quit (running VMs keep running)"},
    {"mouse", "click selects, double-click opens, wheel scrolls"},
    {NULL, NULL},
};

const struct tui_binding *tui_global_help(void)
{
	return app_global_help;
}

uint64_t tui_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void tui_wake(struct tui *tui)
{
	char c = 1;
	ssize_t r;

	/* Non-blocking: a full pipe already means "wake up". */
	r = write(tui->wake_pipe[1], &c, 1);
	(void)r;
}

int tui_watch_fd(struct tui *tui, int fd, short events,
		 void (*fn)(struct tui *tui, int fd, short revents, void *opaque), void *opaque)
{
	int i;

	for (i = 0; i < tui->nr_watches && tui->watches[i].fd != fd; i++)
		;
	if (i == TUI_MAX_WATCHES)
		return -ENOSPC;
	if (i == tui->nr_watches)
		tui->nr_watches++;
	tui->watches[i] = (struct tui_fd_watch){.fd = fd, .events = events, .fn = fn,
						.opaque = opaque};
	return 0;
}

void tui_unwatch_fd(struct tui *tui, int fd)
{
	for (int i = 0; i < tui->nr_watches; i++) {
		if (tui->watches[i].fd == fd) {
			tui->watches[i] = tui->watches[--tui->nr_watches];
			return;
		}
	}
}

void tui_redraw_at(struct tui *tui, uint64_t ns)
{
	if (!tui->redraw_at_ns || ns < tui->redraw_at_ns)
		tui->redraw_at_ns = ns;
}

/* Run the callbacks of the watched fds poll() found ready. A callback may
 * unwatch (or pop its screen): work from a copy, skip the ones gone. */
static void app_run_watches(struct tui *tui, const struct pollfd *pfd, int n)
{
	struct tui_fd_watch ready[TUI_MAX_WATCHES];
	short revents[TUI_MAX_WATCHES];
	int nr = 0;

	for (int i = 0; i < n && i < tui->nr_watches; i++) {
		if (!pfd[i].revents)
			continue;
		ready[nr] = tui->watches[i];
		revents[nr++] = pfd[i].revents;
	}
	for (int i = 0; i < nr; i++) {
		bool still = false;

		for (int j = 0; j < tui->nr_watches; j++)
			still |= tui->watches[j].fd == ready[i].fd &&
				  tui->watches[j].fn == ready[i].fn &&
				  tui->watches[j].opaque == ready[i].opaque;
		if (still)
			ready[i].fn(tui, ready[i].fd, revents[i], ready[i].opaque);
	}
}

void tui_status(struct tui *tui, enum tui_status_level level, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&tui->status_lock);
	va_start(ap, fmt);
	vsnprintf(tui->status, sizeof(tui->status), fmt, ap);
	va_end(ap);
	tui->status_level = level;
	tui->status_until_ns = level == TUI_STATUS_INFO ? tui_now_ns() + APP_STATUS_INFO_NS : 0;
	tui->status_gen++;
	pthread_mutex_unlock(&tui->status_lock);
	tui_wake(tui);
}

int tui_put(WINDOW *win, int y, int x, int width, const char *s, bool pad)
{
	mbstate_t ps;
	size_t off = 0, len = strlen(s);
	int cols = 0;

	if (width <= 0)
		return 0;
	memset(&ps, 0, sizeof(ps));
	/* Count whole characters that fit; invalid bytes count as one cell
	 * and are shown as '?', so a broken name cannot shift the columns. */
	wmove(win, y, x);
	while (off < len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + off, len - off, &ps);
		int w;

		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			if (cols + 1 > width)
				break;
			waddch(win, '?');
			memset(&ps, 0, sizeof(ps));
			off++;
			cols++;
			continue;
		}
		w = wcwidth(wc);
		if (w < 0) {
			w = 1;
			if (cols + w > width)
				break;
			waddch(win, '?');
		} else {
			if (cols + w > width)
				break;
			waddnstr(win, s + off, (int)n);
		}
		off += n;
		cols += w;
	}
	if (pad)
		for (; cols < width; cols++)
			waddch(win, ' ');
	return cols;
}

void tui_draw_box(struct tui *tui, WINDOW *win, int y, int x, int h, int w, const char *title)
{
	int attr = theme_attr(THEME_DIALOG);

	if (h < 2 || w < 2)
		return;
	wattrset(win, attr);
	for (int r = y; r < y + h; r++)
		mvwhline(win, r, x, ' ', w);
	/* The frame in the dialog's own colours: a border role with another
	 * background would leave a seam around the box. */
	wattrset(win, attr | A_BOLD);
	/* Box-drawing characters themselves rather than the terminal's
	 * alternate charset: what a pane capture or a screen reader sees is
	 * then what the user sees. */
	const char *hl = tui->utf8 ? "\u2500" : "-", *vl = tui->utf8 ? "\u2502" : "|";
	const char *corners[4] = {"+", "+", "+", "+"};

	if (tui->utf8) {
		corners[0] = "\u250c";
		corners[1] = "\u2510";
		corners[2] = "\u2514";
		corners[3] = "\u2518";
	}
	for (int i = 1; i < w - 1; i++) {
		mvwaddstr(win, y, x + i, hl);
		mvwaddstr(win, y + h - 1, x + i, hl);
	}
	for (int r = y + 1; r < y + h - 1; r++) {
		mvwaddstr(win, r, x, vl);
		mvwaddstr(win, r, x + w - 1, vl);
	}
	mvwaddstr(win, y, x, corners[0]);
	mvwaddstr(win, y, x + w - 1, corners[1]);
	mvwaddstr(win, y + h - 1, x, corners[2]);
	mvwaddstr(win, y + h - 1, x + w - 1, corners[3]);
	if (title && *title && w > 6) {
		wattrset(win, theme_attr(THEME_TITLE));
		mvwaddch(win, y, x + 2, ' ');
		int n = tui_put(win, y, x + 3, w - 6, title, false);
		waddch(win, ' ');
		(void)n;
	}
	wattrset(win, attr);
}

struct screen *tui_screen_new(const struct screen_ops *ops, void *priv)
{
	struct screen *scr = calloc(1, sizeof(*scr));

	if (scr) {
		scr->ops = ops;
		scr->priv = priv;
	}
	return scr;
}

static void app_free_screen(struct screen *scr)
{
	if (scr->ops->destroy)
		scr->ops->destroy(scr);
	free(scr);
}

int tui_push_screen(struct tui *tui, struct screen *scr)
{
	if (!scr)
		return -ENOMEM;
	if (tui->depth == TUI_MAX_SCREENS) {
		app_free_screen(scr);
		return -ENOSPC;
	}
	tui->stack[tui->depth++] = scr;
	if (scr->ops->enter)
		scr->ops->enter(tui, scr);
	tui->dirty = true;
	return 0;
}

void tui_pop_screen(struct tui *tui)
{
	struct screen *scr;

	if (tui->depth <= 1)
		return;
	scr = tui->stack[--tui->depth];
	if (scr->ops->leave)
		scr->ops->leave(tui, scr);
	app_free_screen(scr);
	tui->dirty = true;
}

struct screen *tui_top_screen(struct tui *tui)
{
	return tui->depth ? tui->stack[tui->depth - 1] : NULL;
}

/* ---- layout and drawing ---- */

static void app_free_windows(struct tui *tui)
{
	WINDOW **wins[] = {&tui->title_win, &tui->main_win, &tui->status_win, &tui->keybar_win};

	for (size_t i = 0; i < sizeof(wins) / sizeof(wins[0]); i++) {
		if (*wins[i])
			delwin(*wins[i]);
		*wins[i] = NULL;
	}
}

/* Title on the first line, key bar on the last, status line above it,
 * the screens in between. */
static int app_layout(struct tui *tui)
{
	int main_rows;

	app_free_windows(tui);
	getmaxyx(stdscr, tui->rows, tui->cols);
	main_rows = tui->rows - 3;
	if (main_rows < 1)
		main_rows = 1;
	tui->title_win = newwin(1, tui->cols, 0, 0);
	tui->main_win = newwin(main_rows, tui->cols, 1, 0);
	tui->status_win = newwin(1, tui->cols, tui->rows >= 3 ? tui->rows - 2 : 0, 0);
	tui->keybar_win = newwin(1, tui->cols, tui->rows - 1, 0);
	if (!tui->title_win || !tui->main_win || !tui->status_win || !tui->keybar_win)
		return -ENOMEM;
	tui->dirty = true;
	return 0;
}

static void app_draw_title(struct tui *tui)
{
	WINDOW *w = tui->title_win;
	const struct tui_model *m = &tui->model;
	char right[128] = "", left[128];
	int running = 0;

	const struct tui_conn *cur = tui_conn_find(tui, tui->cur_conn);

	for (int i = 0; i < m->nr_vms; i++)
		running += m->vms[i].info.state == VM_STATE_RUNNING;
	if (tui->nr_conns > 1)
		snprintf(left, sizeof(left), " virtty  %d connections, on %s", tui->nr_conns,
			 cur ? tui_conn_label(cur) : "-");
	else
		snprintf(left, sizeof(left), " virtty  Local");
	if (m->have_host && m->host.mem_total) {
		char mem[16], total[16];

		snprintf(mem, sizeof(mem), "%.1f", (double)m->host.mem_used / (1 << 30));
		snprintf(total, sizeof(total), "%.1f", (double)m->host.mem_total / (1 << 30));
		snprintf(right, sizeof(right), "%d/%d running  host CPU %3.0f%%  MEM %s/%s GiB ",
			 running, m->nr_vms, m->host.cpu_total_percent, mem, total);
	} else {
		snprintf(right, sizeof(right), "%d/%d running ", running, m->nr_vms);
	}
	wbkgdset(w, ' ' | theme_attr(THEME_TITLE));
	werase(w);
	wattrset(w, theme_attr(THEME_TITLE));
	tui_put(w, 0, 0, tui->cols, left, true);
	int rw = (int)cli_utf8_width(right);
	if (rw < tui->cols - (int)strlen(left) - 1)
		tui_put(w, 0, tui->cols - rw, rw, right, false);
	wnoutrefresh(w);
}

static void app_draw_status(struct tui *tui)
{
	WINDOW *w = tui->status_win;
	char msg[256];
	enum tui_status_level level;
	uint64_t until;

	pthread_mutex_lock(&tui->status_lock);
	snprintf(msg, sizeof(msg), "%s", tui->status);
	level = tui->status_level;
	until = tui->status_until_ns;
	tui->drawn_status_gen = tui->status_gen;
	pthread_mutex_unlock(&tui->status_lock);
	if (until && tui_now_ns() >= until)
		msg[0] = '\0';

	wbkgdset(w, ' ' | theme_attr(THEME_STATUS));
	werase(w);
	wattrset(w, theme_attr(level == TUI_STATUS_ERROR ? THEME_ERROR : THEME_STATUS));
	if (msg[0]) {
		waddch(w, ' ');
		tui_put(w, 0, 1, tui->cols - 1, msg, false);
	}
	wnoutrefresh(w);
}

static void app_draw_keybar(struct tui *tui)
{
	WINDOW *w = tui->keybar_win;
	struct screen *top = tui_top_screen(tui);
	const struct keybar_item *items = NULL;
	int x = 0;

	if (top && top->ops->keybar)
		items = top->ops->keybar(tui, top);
	if (!items)
		items = app_global_keybar;
	wbkgdset(w, ' ' | theme_attr(THEME_KEYBAR_LABEL));
	werase(w);
	app_nr_keybar_hits = 0;
	for (int i = 0; items[i].label_key && x < tui->cols; i++) {
		int x0 = x, need = (int)(cli_utf8_width(items[i].label_key) +
					 cli_utf8_width(items[i].label));

		/* Whole entries only: a cut "tThe" helps nobody. */
		if (x + need > tui->cols)
			break;
		wattrset(w, theme_attr(THEME_KEYBAR_KEY));
		x += tui_put(w, 0, x, tui->cols - x, items[i].label_key, false);
		wattrset(w, theme_attr(THEME_KEYBAR_LABEL));
		x += tui_put(w, 0, x, tui->cols - x, items[i].label, false);
		if (x < tui->cols) {
			waddch(w, ' ');
			x++;
		}
		if (app_nr_keybar_hits < APP_KEYBAR_MAX_ITEMS) {
			app_keybar_hits[app_nr_keybar_hits].x0 = x0;
			app_keybar_hits[app_nr_keybar_hits].x1 = x;
			app_keybar_hits[app_nr_keybar_hits].key = items[i].key;
			app_nr_keybar_hits++;
		}
	}
	wnoutrefresh(w);
}

static void app_draw(struct tui *tui)
{
	int base = tui->depth - 1;

	if (tui->rows < APP_MIN_ROWS || tui->cols < APP_MIN_COLS) {
		werase(stdscr);
		mvwaddstr(stdscr, 0, 0, "Terminal too small");
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	while (base > 0 && tui->stack[base]->ops->overlay)
		base--;
	pthread_mutex_lock(&tui->model.lock);
	tui->drawn_generation = tui->model.generation;
	app_draw_title(tui);
	wbkgdset(tui->main_win, ' ' | theme_attr(THEME_NORMAL));
	for (int i = base; i >= 0 && i < tui->depth; i++) {
		wattrset(tui->main_win, theme_attr(THEME_NORMAL));
		tui->stack[i]->ops->draw(tui, tui->stack[i], tui->main_win);
	}
	pthread_mutex_unlock(&tui->model.lock);
	wnoutrefresh(tui->main_win);
	app_draw_status(tui);
	app_draw_keybar(tui);
	doupdate();
	tui->dirty = false;
}

/* ---- input ---- */

static void app_show_help(struct tui *tui)
{
	struct screen *top = tui_top_screen(tui);

	if (top && top->ops == &screen_help_ops)
		return;
	tui_push_screen(tui, tui_screen_new(&screen_help_ops, NULL));
}

static void app_cycle_theme(struct tui *tui)
{
	char err[512] = "";

	if (theme_cycle(err, sizeof(err)) < 0)
		tui_status(tui, TUI_STATUS_ERROR, "%s", err[0] ? err : "cannot change the theme");
	else
		tui_status(tui, TUI_STATUS_INFO, "theme: %s", theme_name());
	tui->dirty = true;
}

/* Keys the top screen did not take. */
static enum tui_result app_global_key(struct tui *tui, int key)
{
	struct screen *top = tui_top_screen(tui);

	switch (key) {
	case 'q':
	case KEY_F(10):
		return TUI_QUIT;
	case '?':
	case KEY_F(1):
		app_show_help(tui);
		return TUI_REDRAW;
	case '\t':
	case 'h':
		/* The list and the dashboard are the two main screens: switch
		 * by pushing or popping the dashboard over the list. */
		if (top && top->ops == &screen_host_ops) {
			tui_pop_screen(tui);
		} else if (top && top->ops == &screen_list_ops) {
			tui_push_screen(tui, tui_screen_new(&screen_host_ops, NULL));
		} else {
			return TUI_IGNORED;
		}
		return TUI_REDRAW;
	case 'N':
		/* The networks view sits over the list (or the dashboard): Esc
		 * or Tab goes back to where it was opened. */
		if (top && (top->ops == &screen_list_ops || top->ops == &screen_host_ops)) {
			tui_push_screen(tui, tui_screen_new(&screen_networks_ops, NULL));
			return TUI_REDRAW;
		}
		return TUI_IGNORED;
	case 27: /* Esc backs out of any screen above the list */
		if (tui->depth > 1) {
			tui_pop_screen(tui);
			return TUI_REDRAW;
		}
		return TUI_IGNORED;
	case 't':
		app_cycle_theme(tui);
		return TUI_REDRAW;
	case 12: /* Ctrl-L */
		clearok(curscr, TRUE);
		return TUI_REDRAW;
	}
	return TUI_IGNORED;
}

static enum tui_result app_dispatch_key(struct tui *tui, int key)
{
	struct screen *top = tui_top_screen(tui);
	enum tui_result r = TUI_IGNORED;

	if (top && top->ops->key)
		r = top->ops->key(tui, top, key);
	if (r == TUI_IGNORED)
		r = app_global_key(tui, key);
	return r;
}

static enum tui_result app_mouse(struct tui *tui)
{
	MEVENT ev;
	struct screen *top = tui_top_screen(tui);
	int by, bx, mh, mw;
	uint64_t now = tui_now_ns();

	if (getmouse(&ev) != OK)
		return TUI_IGNORED;
	if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) {
		/* Our own double-click: ncurses' needs a blocking wait. */
		if (tui->last_click_ns && now - tui->last_click_ns < APP_DOUBLE_CLICK_NS &&
		    tui->last_click.x == ev.x && tui->last_click.y == ev.y) {
			ev.bstate = BUTTON1_DOUBLE_CLICKED;
			tui->last_click_ns = 0;
		} else {
			tui->last_click = ev;
			tui->last_click_ns = now;
		}
	}
	if (ev.y == tui->rows - 1) {
		if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED)))
			return TUI_IGNORED;
		for (int i = 0; i < app_nr_keybar_hits; i++)
			if (ev.x >= app_keybar_hits[i].x0 && ev.x < app_keybar_hits[i].x1 &&
			    app_keybar_hits[i].key)
				return app_dispatch_key(tui, app_keybar_hits[i].key);
		return TUI_IGNORED;
	}
	getbegyx(tui->main_win, by, bx);
	getmaxyx(tui->main_win, mh, mw);
	if (ev.y < by || ev.y >= by + mh || ev.x < bx || ev.x >= bx + mw)
		return TUI_IGNORED;
	ev.y -= by;
	ev.x -= bx;
	if (top && top->ops->mouse)
		return top->ops->mouse(tui, top, &ev);
	return TUI_IGNORED;
}

/* Read every key waiting; returns false when the user quits. */
static bool app_read_keys(struct tui *tui, WINDOW *in)
{
	int key;

	while ((key = wgetch(in)) != ERR) {
		enum tui_result r;

		if (key == KEY_RESIZE) {
			app_layout(tui);
			continue;
		}
		if (key == KEY_MOUSE)
			r = app_mouse(tui);
		else
			r = app_dispatch_key(tui, key);
		if (r == TUI_QUIT)
			return false;
		if (r == TUI_REDRAW)
			tui->dirty = true;
	}
	return true;
}

/* ---- the graphical console: the terminal lent to the VNC viewer ---- */

/* Back to curses after a program had the terminal: its modes, keypad
 * and mouse, a size that may have changed, and a full repaint. */
static void app_resume_curses(struct tui *tui)
{
	struct winsize ws;

	reset_prog_mode();
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
	    (ws.ws_row != LINES || ws.ws_col != COLS))
		resize_term(ws.ws_row, ws.ws_col);
	if (app_input_win) {
		keypad(app_input_win, TRUE);
		nodelay(app_input_win, TRUE);
	}
	mousemask(APP_MOUSE_MASK, NULL);
	curs_set(0);
	app_layout(tui);
	clearok(curscr, TRUE);
	tui->dirty = true;
}

struct app_vnc_target {
	struct driver *drv;
	const char *name;
};

/* Connecting again, for the viewer (vncview_options.reopen). */
static int app_vnc_reopen(void *opaque, int *fd, char *err, size_t errlen)
{
	struct app_vnc_target *t = opaque;

	return t->drv->ops->vnc_open(t->drv, t->name, fd, err, errlen);
}

void tui_vnc_open(struct tui *tui, const char *vm_name)
{
	struct driver *drv = tui_cur_driver(tui);
	struct app_vnc_target target = {.drv = drv, .name = vm_name};
	const char *label = "local";
	struct tui_conn *conn;
	struct vncview_options opts = {
	    .in_fd = -1, .out_fd = -1, .colors_auto = true, .graphics_auto = true};
	enum vm_state state = VM_STATE_UNKNOWN;
	char err[512] = "", title[VM_NAME_MAX + 300], where[256];
	bool found = false;
	int fd = -1, r;

	pthread_mutex_lock(&tui->model.lock);
	if (tui_find_vm(tui, vm_name)) {
		found = true;
		state = tui_find_vm(tui, vm_name)->info.state;
	}
	conn = tui_conn_find(tui, tui->cur_conn);
	snprintf(where, sizeof(where), "%s", conn && !conn->local ? conn->uri : label);
	pthread_mutex_unlock(&tui->model.lock);
	if (!drv) {
		tui_status(tui, TUI_STATUS_ERROR, "the connection of VM '%s' is not connected",
			   vm_name);
		return;
	}
	if (!found || state == VM_STATE_SHUTOFF || state == VM_STATE_CRASHED) {
		tui_status(tui, TUI_STATUS_ERROR, "VM '%s' is not running: no graphical console",
			   vm_name);
		return;
	}
	if (!drv->ops->vnc_open) {
		tui_status(tui, TUI_STATUS_ERROR, "this connection has no graphical consoles");
		return;
	}
	/* On the UI thread: connecting to a local socket is quick, and the
	 * viewer takes the terminal anyway. A VM without a display is
	 * refused here, with the driver's reason. */
	r = drv->ops->vnc_open(drv, vm_name, &fd, err, sizeof(err));
	if (r < 0) {
		tui_status(tui, TUI_STATUS_ERROR, "%s",
			   err[0] ? err : "cannot open the graphical console");
		return;
	}
	snprintf(title, sizeof(title), "%s (%s)", vm_name, where);
	opts.title = title;
	opts.reopen = app_vnc_reopen;
	opts.reopen_opaque = &target;
	def_prog_mode();
	endwin();
	err[0] = '\0';
	r = vncview_run(fd, &opts, err, sizeof(err)); /* closes fd */
	app_resume_curses(tui);
	if (r < 0)
		tui_status(tui, TUI_STATUS_ERROR, "VM '%s' graphical console: %s", vm_name,
			   err[0] ? err : strerror(-r));
	else
		tui_status(tui, TUI_STATUS_INFO, "left the graphical console of VM '%s'", vm_name);
}

/* ---- setup and the loop ---- */

static bool app_locale_is_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

static int app_loop(struct tui *tui, WINDOW *in)
{
	for (;;) {
		struct pollfd pfd[2 + TUI_MAX_WATCHES] = {
		    {.fd = STDIN_FILENO, .events = POLLIN},
		    {.fd = tui->wake_pipe[0], .events = POLLIN},
		};
		uint64_t until, gen, status_gen;
		int timeout = -1, nfds = 2;

		pthread_mutex_lock(&tui->model.lock);
		gen = tui->model.generation;
		pthread_mutex_unlock(&tui->model.lock);
		pthread_mutex_lock(&tui->status_lock);
		until = tui->status_until_ns;
		status_gen = tui->status_gen;
		pthread_mutex_unlock(&tui->status_lock);

		if (tui->redraw_at_ns && tui_now_ns() >= tui->redraw_at_ns) {
			tui->redraw_at_ns = 0;
			tui->dirty = true;
		}
		if (tui->dirty || gen != tui->drawn_generation ||
		    status_gen != tui->drawn_status_gen)
			app_draw(tui);
		else if (until && tui_now_ns() >= until) {
			/* The message faded: only the status line changes. */
			pthread_mutex_lock(&tui->status_lock);
			if (tui->status_until_ns == until)
				tui->status_until_ns = 0, tui->status[0] = '\0';
			pthread_mutex_unlock(&tui->status_lock);
			app_draw_status(tui);
			doupdate();
			until = 0;
		}
		if (until) {
			uint64_t now = tui_now_ns();

			timeout = until > now ? (int)((until - now) / 1000000 + 1) : 0;
		}
		if (tui->redraw_at_ns) {
			uint64_t now = tui_now_ns();
			int t = tui->redraw_at_ns > now
					? (int)((tui->redraw_at_ns - now) / 1000000 + 1)
					: 0;

			if (timeout < 0 || t < timeout)
				timeout = t;
		}
		for (int i = 0; i < tui->nr_watches; i++) {
			pfd[nfds].fd = tui->watches[i].fd;
			pfd[nfds++].events = tui->watches[i].events;
		}

		int ready = poll(pfd, (nfds_t)nfds, timeout);

		if (ready < 0 && errno != EINTR)
			return -errno;
		if (ready > 0)
			app_run_watches(tui, pfd + 2, nfds - 2);
		if (pfd[1].revents & POLLIN) {
			char buf[64];

			while (read(tui->wake_pipe[0], buf, sizeof(buf)) > 0)
				;
		}
		/* A connection waiting for a password gets its prompt. */
		tui_conns_poll(tui);
		/* Also after EINTR: a SIGWINCH makes wgetch return KEY_RESIZE. */
		if (!app_read_keys(tui, in))
			return 0;
	}
}

static void app_free(struct tui *tui)
{
	while (tui->depth > 0) {
		struct screen *scr = tui->stack[--tui->depth];

		if (scr->ops->leave)
			scr->ops->leave(tui, scr);
		app_free_screen(scr);
	}
	for (int i = 0; i < 2; i++)
		if (tui->wake_pipe[i] >= 0)
			close(tui->wake_pipe[i]);
	free(tui->model.vms);
	free(tui->model.nets);
	free(tui->model.preview.text);
	free(tui->model.host_hist);
	pthread_mutex_destroy(&tui->model.lock);
	pthread_mutex_destroy(&tui->status_lock);
	free(tui);
}

int tui_main(struct driver *drv, const struct tui_options *opts)
{
	struct tui *tui;
	SCREEN *term;
	WINDOW *in;
	char err[512] = "", theme_err[512] = "";
	bool stopped = true;
	int r;

	setlocale(LC_ALL, "");
	tui = calloc(1, sizeof(*tui));
	if (!tui) {
		fprintf(stderr, "virtty: out of memory\n");
		return -ENOMEM;
	}
	tui->drv = drv;
	if (opts)
		tui->opts = *opts;
	if (!tui->opts.interval_ms)
		tui->opts.interval_ms = 1000;
	tui->wake_pipe[0] = tui->wake_pipe[1] = -1;
	pthread_mutex_init(&tui->model.lock, NULL);
	pthread_mutex_init(&tui->status_lock, NULL);
	tui->model.interval_ms = tui->opts.interval_ms;
	tui->model.host_hist = calloc(1, sizeof(*tui->model.host_hist));
	if (!tui->model.host_hist || pipe2(tui->wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		r = errno ? -errno : -ENOMEM;
		fprintf(stderr, "virtty: cannot set up the interface: %s\n", strerror(-r));
		app_free(tui);
		return r;
	}
	tui->utf8 = app_locale_is_utf8();
	tui->graph_style = tui->utf8 ? graph_default_style() : GRAPH_ASCII;

	/* newterm, unlike initscr, returns an error instead of exiting on
	 * an unknown TERM. */
	term = newterm(NULL, stdout, stdin);
	if (!term) {
		const char *t = getenv("TERM");

		fprintf(stderr,
			"virtty: cannot use terminal type '%s'; set TERM (e.g. xterm-256color)\n",
			t ? t : "");
		app_free(tui);
		return -ENOTTY;
	}
	set_term(term);
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	curs_set(0);
	tui->colors = has_colors() && !getenv("NO_COLOR");
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	theme_load(tui->opts.theme, theme_err, sizeof(theme_err));
	mousemask(APP_MOUSE_MASK, NULL);
	mouseinterval(0);
	/* Keys are read from a 1x1 window nobody draws into, so wgetch()
	 * never refreshes anything behind the screens' back. */
	in = newwin(1, 1, 0, 0);
	r = in ? app_layout(tui) : -ENOMEM;
	if (r) {
		snprintf(err, sizeof(err), "cannot create windows");
		goto out;
	}
	keypad(in, TRUE);
	nodelay(in, TRUE);
	wnoutrefresh(in);
	app_input_win = in;

	r = tui_push_screen(tui, tui_screen_new(&screen_list_ops, NULL));
	if (r) {
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	if (theme_err[0])
		tui_status(tui, TUI_STATUS_ERROR, "%s", theme_err);
	r = tui_conns_start(tui, err, sizeof(err));
	if (r)
		goto out;
	r = app_loop(tui, in);
	if (r)
		snprintf(err, sizeof(err), "%s", strerror(-r));
out:
	/* Give the terminal back first, then wait for the worker: a running
	 * clone is cancelled so the join does not wait for the whole copy. */
	endwin();
	tui_clone_cancel(tui);
	stopped = tui_conns_stop(tui);
	app_free_windows(tui);
	app_input_win = NULL;
	if (in)
		delwin(in);
	delscreen(term);
	/* A connection thread still blocked on a dead host uses tui: let
	 * the process exit take it. */
	if (stopped)
		app_free(tui);
	if (err[0])
		fprintf(stderr, "virtty: %s\n", err);
	return r;
}
