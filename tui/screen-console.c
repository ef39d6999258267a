/* c on a running VM: its serial console, full screen. The connection is
 * made by the worker thread; the fd is then non-blocking and polled by the
 * main loop, read a bounded amount at a time, fed to the terminal emulator
 * (vt.c), and drawn at most ~30 times a second, so a flooding guest costs
 * CPU but never freezes the keys or grows memory. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "tui.h"
#include "vt.h"

#define CONSOLE_READ_MAX 16384		      /* bytes per main-loop turn */
#define CONSOLE_FRAME_NS (33ULL * 1000000ULL) /* ~30 frames a second */
#define CONSOLE_OUT_MAX	 65536		      /* typed bytes not yet sent */
#define CONSOLE_KEY_BACK 0x1d		      /* Ctrl-] */
#define CONSOLE_KEY_HELP (KEY_MAX + 1)	      /* the key bar's Help (mouse) */
/* A guest reboot or reset restarts the VMM: its console socket closes and
 * comes back within a second or two. Retry this often, this long. */
#define CONSOLE_RETRY_NS     (100ULL * 1000000ULL)
#define CONSOLE_RECONNECT_NS (5000ULL * 1000000ULL)

enum console_phase {
	CONSOLE_CONNECTING,
	CONSOLE_CONNECTED,
	CONSOLE_RECONNECTING, /* the socket closed but the VM still runs */
	CONSOLE_CLOSED,	      /* the VM stopped or the VMM closed the console */
	CONSOLE_FAILED,	      /* could not connect */
};

struct console_state {
	char name[VM_NAME_MAX + 1];
	struct tui *tui;
	struct vt *vt;
	enum console_phase phase;
	char error[256];
	int fd;
	int scroll; /* lines scrolled back, 0 = following the output */
	int page;   /* rows of the terminal area, from the last draw */
	uint64_t last_draw_ns;
	uint64_t reconnect_until_ns; /* CONSOLE_RECONNECTING gives up then */
	int timer_fd;		     /* paces the retries, -1 until needed */
	char out[CONSOLE_OUT_MAX];   /* typed bytes the socket did not take yet */
	size_t out_len;
};

static const struct tui_binding console_help[] = {
    {"Serial console", NULL},
    {"Ctrl-]", "back to the previous screen (the VM keeps running)"},
    {"Shift-PgUp/PgDn", "scroll back through earlier output (5000 lines)"},
    {"mouse wheel", "scroll back too"},
    {"any other key", "goes to the guest (Ctrl-C, Esc, F-keys too) and"},
    {"", "returns the view to the bottom"},
    {NULL, NULL},
};

static const struct keybar_item console_keybar[] = {
    {"^]", "Back", CONSOLE_KEY_BACK},
    {"S-PgUp/PgDn", "Scroll", 0},
    {"", "Help", CONSOLE_KEY_HELP},
    {NULL, NULL, 0},
};

static void console_disconnect(struct console_state *st, enum console_phase phase)
{
	if (st->fd >= 0) {
		tui_unwatch_fd(st->tui, st->fd);
		close(st->fd);
		st->fd = -1;
	}
	st->out_len = 0;
	st->phase = phase;
	st->tui->dirty = true;
}

/* Send what is queued; the rest waits for POLLOUT. */
static void console_flush(struct console_state *st);

static const struct tui_vm *console_find_vm(struct tui *tui, const char *name);

/* model.lock held: does the model still see the VMM process? */
static bool console_vm_alive(struct tui *tui, struct console_state *st)
{
	const struct tui_vm *vm = console_find_vm(tui, st->name);

	return vm && (vm->info.state == VM_STATE_RUNNING || vm->info.state == VM_STATE_STARTING ||
		      vm->info.state == VM_STATE_UNKNOWN);
}

/* Ask the worker for the console again (UI thread, model.lock not held). */
static void console_retry(struct console_state *st)
{
	bool alive;

	pthread_mutex_lock(&st->tui->model.lock);
	alive = console_vm_alive(st->tui, st);
	pthread_mutex_unlock(&st->tui->model.lock);
	if (!alive || tui_now_ns() >= st->reconnect_until_ns ||
	    tui_request_console(st->tui, st->name) < 0)
		st->phase = CONSOLE_CLOSED;
	st->tui->dirty = true;
}

static void console_timer_ready(struct tui *tui, int fd, short revents, void *opaque)
{
	struct console_state *st = opaque;
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return;
	if (st->phase == CONSOLE_RECONNECTING)
		console_retry(st);
}

/* Retry in 100 ms (the draw, which sees the failed reply, holds
 * model.lock: the request itself waits for the timer). */
static void console_retry_later(struct console_state *st)
{
	struct itimerspec its = {.it_value = {.tv_nsec = (long)CONSOLE_RETRY_NS}};

	if (st->timer_fd < 0) {
		st->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (st->timer_fd >= 0 &&
		    tui_watch_fd(st->tui, st->timer_fd, POLLIN, console_timer_ready, st) < 0) {
			close(st->timer_fd);
			st->timer_fd = -1;
		}
	}
	if (st->timer_fd < 0 || timerfd_settime(st->timer_fd, 0, &its, NULL) < 0)
		st->phase = CONSOLE_CLOSED;
}

static void console_fd_ready(struct tui *tui, int fd, short revents, void *opaque)
{
	struct console_state *st = opaque;
	char buf[CONSOLE_READ_MAX];
	ssize_t n;
	int before;

	if (revents & POLLOUT)
		console_flush(st);
	if (st->fd < 0 || !(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	/* One read a turn: keys and other screens get their turn in between. */
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		bool alive;

		pthread_mutex_lock(&tui->model.lock);
		alive = console_vm_alive(tui, st);
		pthread_mutex_unlock(&tui->model.lock);
		/* A rebooting guest: quietly connect to the new VMM, whose
		 * replayed output shows the new boot. */
		if (alive) {
			console_disconnect(st, CONSOLE_RECONNECTING);
			st->reconnect_until_ns = tui_now_ns() + CONSOLE_RECONNECT_NS;
			console_retry(st);
			return;
		}
		if (n < 0)
			tui_status(tui, TUI_STATUS_ERROR, "console of VM '%s': %s", st->name,
				   strerror(errno));
		console_disconnect(st, CONSOLE_CLOSED);
		return;
	}
	before = vt_scrollback_count(st->vt);
	vt_feed(st->vt, buf, (size_t)n);
	/* New lines shift what is scrolled back: keep the view on the same
	 * text while reading history. */
	if (st->scroll)
		st->scroll += vt_scrollback_count(st->vt) - before;
	tui_redraw_at(tui, st->last_draw_ns + CONSOLE_FRAME_NS);
}

static void console_flush(struct console_state *st)
{
	while (st->fd >= 0 && st->out_len) {
		ssize_t n = write(st->fd, st->out, st->out_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			tui_status(st->tui, TUI_STATUS_ERROR, "console of VM '%s': %s", st->name,
				   strerror(errno));
			console_disconnect(st, CONSOLE_CLOSED);
			return;
		}
		memmove(st->out, st->out + n, st->out_len - (size_t)n);
		st->out_len -= (size_t)n;
	}
	if (st->fd >= 0)
		tui_watch_fd(st->tui, st->fd, st->out_len ? POLLIN | POLLOUT : POLLIN,
			     console_fd_ready, st);
}

static void console_send(struct console_state *st, const char *s, size_t len)
{
	if (st->fd < 0)
		return;
	if (len > sizeof(st->out) - st->out_len) {
		/* The guest does not read its input: drop, and say so. */
		tui_status(st->tui, TUI_STATUS_ERROR,
			   "VM '%s' is not reading its console; input dropped", st->name);
		return;
	}
	memcpy(st->out + st->out_len, s, len);
	st->out_len += len;
	console_flush(st);
}

/* Answers of the emulator to the guest's queries (cursor position...). */
static void console_vt_output(const char *s, size_t len, void *opaque)
{
	console_send(opaque, s, len);
}

static void console_enter(struct tui *tui, struct screen *scr)
{
	struct console_state *st = scr->priv;
	int rows, cols;

	if (!st)
		return;
	getmaxyx(tui->main_win, rows, cols);
	st->vt = vt_new(rows > 1 ? rows - 1 : 1, cols);
	if (!st->vt) {
		st->phase = CONSOLE_FAILED;
		snprintf(st->error, sizeof(st->error), "out of memory");
		return;
	}
	vt_set_output(st->vt, console_vt_output, st);
	/* Ctrl-C, Ctrl-Z, Ctrl-\, Ctrl-S/Q are the guest's: no signals or
	 * flow control from the terminal while the console is open. */
	raw();
	if (tui_request_console(tui, st->name) < 0) {
		st->phase = CONSOLE_FAILED;
		snprintf(st->error, sizeof(st->error), "the worker is busy; try again");
	}
}

static void console_leave(struct tui *tui, struct screen *scr)
{
	struct console_state *st = scr->priv;

	if (!st)
		return;
	/* Back to the modes app.c set up (unless the terminal is already
	 * gone: the app pops every screen after endwin when it exits). */
	if (tui->main_win) {
		noraw();
		cbreak();
		nonl();
	}
	console_disconnect(st, CONSOLE_CLOSED);
	if (st->timer_fd >= 0) {
		tui_unwatch_fd(tui, st->timer_fd);
		close(st->timer_fd);
		st->timer_fd = -1;
	}
	/* A connection still on its way is closed by the worker (or by the
	 * next request) since nobody waits for it now. */
	pthread_mutex_lock(&tui->model.lock);
	if (!strcmp(tui->model.console.name, st->name)) {
		if (tui->model.console.ready && tui->model.console.fd >= 0)
			close(tui->model.console.fd);
		tui->model.console.fd = -1;
		tui->model.console.name[0] = '\0';
	}
	pthread_mutex_unlock(&tui->model.lock);
}

static void console_destroy(struct screen *scr)
{
	struct console_state *st = scr->priv;

	if (st) {
		vt_free(st->vt);
		if (st->timer_fd >= 0)
			close(st->timer_fd);
	}
	free(st);
	scr->priv = NULL;
}

/* model.lock held: take the connection once the worker made it. */
static void console_take_reply(struct tui *tui, struct console_state *st)
{
	struct tui_console_reply *cr = &tui->model.console;
	int fd;

	if ((st->phase != CONSOLE_CONNECTING && st->phase != CONSOLE_RECONNECTING) ||
	    strcmp(cr->name, st->name) || !cr->ready)
		return;
	if (cr->rc && st->phase == CONSOLE_RECONNECTING) {
		/* The new VMM may not listen yet: again in a moment. */
		cr->name[0] = '\0';
		if (console_vm_alive(tui, st) && tui_now_ns() < st->reconnect_until_ns)
			console_retry_later(st);
		else
			st->phase = CONSOLE_CLOSED;
		return;
	}
	if (cr->rc) {
		st->phase = CONSOLE_FAILED;
		snprintf(st->error, sizeof(st->error), "%s", cr->error);
		cr->name[0] = '\0';
		return;
	}
	fd = cr->fd;
	cr->fd = -1;
	cr->name[0] = '\0';
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (tui_watch_fd(tui, fd, POLLIN, console_fd_ready, st) < 0) {
		close(fd);
		st->phase = CONSOLE_FAILED;
		snprintf(st->error, sizeof(st->error), "too many open consoles");
		return;
	}
	st->fd = fd;
	st->phase = CONSOLE_CONNECTED;
}

static const struct tui_vm *console_find_vm(struct tui *tui, const char *name)
{
	return tui_find_vm(tui, name);
}

/* The top line: which VM, its state, how to get out. */
static void console_draw_bar(struct tui *tui, struct console_state *st, WINDOW *win, int cols)
{
	const struct tui_vm *vm = console_find_vm(tui, st->name);
	const char *state = vm ? vm_state_name(vm->info.state) : "gone";
	char left[VM_NAME_MAX + 128], right[64];
	int x;

	switch (st->phase) {
	case CONSOLE_CONNECTING:
		snprintf(left, sizeof(left), " Console: %s  (%s, connecting...)", st->name, state);
		break;
	case CONSOLE_CONNECTED:
		snprintf(left, sizeof(left), " Console: %s  (%s)", st->name, state);
		break;
	case CONSOLE_RECONNECTING:
		snprintf(left, sizeof(left), " Console: %s  (%s, reconnecting...)", st->name,
			 state);
		break;
	case CONSOLE_CLOSED:
		snprintf(left, sizeof(left), " Console: %s  (%s; console closed: the VM stopped)",
			 st->name, state);
		break;
	case CONSOLE_FAILED:
	default:
		snprintf(left, sizeof(left), " Console: %s  (%s)", st->name, state);
		break;
	}
	if (st->scroll)
		snprintf(right, sizeof(right), "scrolled back %d  Ctrl-] back ", st->scroll);
	else
		snprintf(right, sizeof(right), "Ctrl-] back ");
	wattrset(win, theme_attr(THEME_TITLE));
	tui_put(win, 0, 0, cols, left, true);
	x = cols - (int)strlen(right);
	if (x > (int)strlen(left))
		tui_put(win, 0, x, cols - x, right, false);
}

/* The guest's cursor as a reversed cell: the terminal's own cursor stays
 * hidden, as on every other screen. */
static void console_draw_cursor(struct console_state *st, WINDOW *win)
{
	wchar_t wch[CCHARW_MAX + 1];
	attr_t attrs;
	short pair_short;
	int row, col, pair = 0;
	cchar_t cc;

	if (!vt_cursor(st->vt, &row, &col) || mvwin_wch(win, 1 + row, col, &cc) == ERR)
		return;
	if (getcchar(&cc, wch, &attrs, &pair_short, &pair) == ERR)
		return;
	setcchar(&cc, wch, attrs ^ A_REVERSE, 0, &pair);
	mvwadd_wch(win, 1 + row, col, &cc);
}

static void console_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct console_state *st = scr->priv;
	int rows, cols, vrows, vcols;

	getmaxyx(win, rows, cols);
	werase(win);
	if (!st)
		return;
	console_take_reply(tui, st);
	console_draw_bar(tui, st, win, cols);
	st->page = rows > 1 ? rows - 1 : 1;
	if (!st->vt || st->phase == CONSOLE_FAILED) {
		wattrset(win, theme_attr(THEME_ERROR));
		if (rows > 2)
			tui_put(win, 2, 2, cols - 4, st->error[0] ? st->error : "no console",
				false);
		return;
	}
	/* The window is the guest's terminal: follow its size. */
	vt_get_size(st->vt, &vrows, &vcols);
	if (vrows != st->page || vcols != cols)
		vt_resize(st->vt, st->page, cols);
	if (st->scroll > vt_scrollback_count(st->vt))
		st->scroll = vt_scrollback_count(st->vt);
	vt_draw(st->vt, win, 1, 0, st->scroll, tui->colors, tui->utf8);
	if (!st->scroll && st->phase == CONSOLE_CONNECTED)
		console_draw_cursor(st, win);
	st->last_draw_ns = tui_now_ns();
}

static void console_scroll(struct console_state *st, int delta)
{
	int max = st->vt ? vt_scrollback_count(st->vt) : 0;

	st->scroll += delta;
	if (st->scroll > max)
		st->scroll = max;
	if (st->scroll < 0)
		st->scroll = 0;
}

static enum tui_result console_key(struct tui *tui, struct screen *scr, int key)
{
	struct console_state *st = scr->priv;
	char seq[VT_KEY_MAX];
	int n, half;

	if (key == CONSOLE_KEY_BACK || !st) {
		tui_pop_screen(tui); /* frees st */
		return TUI_REDRAW;
	}
	half = st->page > 2 ? st->page / 2 : 1;
	switch (key) {
	case KEY_SPREVIOUS:
		console_scroll(st, half);
		return TUI_REDRAW;
	case KEY_SNEXT:
		console_scroll(st, -half);
		return TUI_REDRAW;
	case CONSOLE_KEY_HELP:
		tui_push_screen(tui, tui_screen_new(&screen_help_ops, NULL));
		return TUI_REDRAW;
	}
	/* Everything else is the guest's, even q and Esc. */
	n = vt_key_bytes(key, seq, sizeof(seq));
	if (n <= 0)
		return TUI_HANDLED;
	if (st->phase != CONSOLE_CONNECTED) {
		tui_status(tui, TUI_STATUS_INFO, "the console is not connected; Ctrl-] goes back");
		return TUI_HANDLED;
	}
	console_send(st, seq, (size_t)n);
	if (st->scroll) {
		st->scroll = 0;
		return TUI_REDRAW;
	}
	return TUI_HANDLED;
}

static enum tui_result console_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	struct console_state *st = scr->priv;

	if (!st)
		return TUI_IGNORED;
	if (ev->bstate & BUTTON4_PRESSED) {
		console_scroll(st, 3);
		return TUI_REDRAW;
	}
#ifdef BUTTON5_PRESSED
	if (ev->bstate & BUTTON5_PRESSED) {
		console_scroll(st, -3);
		return TUI_REDRAW;
	}
#endif
	return TUI_HANDLED;
}

static const struct keybar_item *console_keybar_items(struct tui *tui, struct screen *scr)
{
	return console_keybar;
}

const struct screen_ops screen_console_ops = {
    .name = "console",
    .enter = console_enter,
    .leave = console_leave,
    .draw = console_draw,
    .key = console_key,
    .mouse = console_mouse,
    .keybar = console_keybar_items,
    .help = console_help,
    .destroy = console_destroy,
};

void screen_console_open(struct tui *tui, const char *vm_name)
{
	const struct tui_vm *vm;
	enum vm_state state = VM_STATE_UNKNOWN;
	bool found;

	pthread_mutex_lock(&tui->model.lock);
	vm = console_find_vm(tui, vm_name);
	found = vm != NULL;
	if (vm)
		state = vm->info.state;
	pthread_mutex_unlock(&tui->model.lock);
	/* Only a live VMM has a console socket; the worker would say so
	 * too, but a second later. */
	if (!found || state == VM_STATE_SHUTOFF || state == VM_STATE_CRASHED)
		tui_status(tui, TUI_STATUS_ERROR, "VM '%s' is not running: no console", vm_name);
	else
		tui_push_screen(tui, screen_console_new(tui, vm_name));
}

struct screen *screen_console_new(struct tui *tui, const char *vm_name)
{
	struct console_state *st = calloc(1, sizeof(*st));
	struct screen *scr;

	if (!st)
		return NULL;
	snprintf(st->name, sizeof(st->name), "%s", vm_name);
	st->tui = tui;
	st->fd = -1;
	st->timer_fd = -1;
	scr = tui_screen_new(&screen_console_ops, st);
	if (!scr)
		free(st);
	return scr;
}
