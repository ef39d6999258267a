/* The TUI's shared contract: the application (struct tui), the screen
 * interface every screen implements, the model the sampler thread fills,
 * and the helpers screens call, grouped by the file they live in.
 *
 * Threads: the UI thread (app.c) reads keys and draws; each connection
 * (conn.c) has a thread that opens its driver and, once connected, a
 * sampler thread (sampler.c) that calls the driver every interval and
 * posts to the model, and a worker thread that runs user actions (start,
 * shut down, ...). Driver calls can
 * take a second on a hung VMM, so the UI thread never makes one: it draws
 * from the model under model.lock and asks for work with tui_request_*().
 *
 * Key bindings (also in docs/tui.md; the help overlay lists them). A key
 * goes to the top screen first; keys it ignores get the global meaning.
 *   Global:      q, F10 quit (VMs keep running)   ?, F1 help overlay
 *                Tab, h  main list <-> host dashboard
 *                N  networks view (from the list or the dashboard)
 *                t  next theme (saved)            Ctrl-L repaint everything
 *                Esc  close the screen/overlay on top
 *   Main list:   Up/Down, j/k, PgUp/PgDn, Home/End  move    Enter  details page
 *                space  mark/unmark and move down (actions then apply to
 *                the marked VMs they fit)   *  mark all shown   U  unmark all
 *                s  start          d  shut down (ACPI, the guest decides)
 *                p  pause/resume   R  reboot (hard reset, asks first)
 *                F, F9  force off (asks first)
 *                D  delete (undefine; disks moved aside; asks first)
 *                C  clone (asks for the name; progress box: Esc hides, x cancels)
 *                c  serial console   v  graphical console (the VNC viewer
 *                takes the terminal; Ctrl-] gives it back)
 *                /  filter by name (Enter keeps it, Esc clears it)
 *                n  New VM wizard (wizard-newvm.c; Enter next, PgUp
 *                back, Tab fields, Esc cancel)
 *                Esc  clear a kept filter
 *                A  add a connection (libvirt URI, saved; screen-conn.c)
 *                X  remove the connection under the cursor (asks first)
 *                <  >  sort by the previous/next column, F6 next column,
 *                I  invert the sort order ("sort: CPU% v" on the first line)
 *   Dialogs:     y yes; n, Esc, q no; Left/Right/Tab pick a button, Enter
 *                presses it ("No" is focused first)
 *   Details:     1/2/3, Left/Right  Overview/Performance/Hardware;
 *                Enter on Hardware's CPUs/Memory/Display edits; s d p R F D C c v
 *                as on the list
 *   Networks:    Up/Down, j/k, Home/End move   Enter  the network's details
 *                n  New Network wizard   s start   d stop (asks first)
 *                D  delete (asks first)  a  autostart on/off
 *                f  port forwards (a add, r/Delete remove)   Esc, Tab back
 *   Overlays (help): Esc, q, Enter close; Up/Down scroll the help
 *   Mouse:       click a row selects it, double-click opens its details page,
 *                click a column heading sorts by it, click a key bar entry
 *                presses that key, wheel scrolls.
 */
#ifndef VIRTTY_TUI_H
#define VIRTTY_TUI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include "driver.h"
#include "graph.h"
#include "history.h"
#include "hoststat.h"
#include "theme.h"

struct tui;
struct screen;

/* What a key or mouse handler did. */
enum tui_result {
	TUI_IGNORED = 0, /* not mine: the app tries the global bindings */
	TUI_HANDLED,	 /* consumed, nothing on screen changed */
	TUI_REDRAW,	 /* consumed, redraw the screen stack */
	TUI_QUIT,	 /* leave the TUI */
};

/* One entry of the bottom key bar ("F1 Help"). key is the code pressed
 * when the entry is clicked (a character or KEY_*), 0 for none. */
struct keybar_item {
	const char *label_key; /* "F1", "s", "Tab" */
	const char *label;     /* "Help", "Start" */
	int key;
};

/* One line of the help overlay. A NULL keys ends a table; a NULL help
 * starts a section titled by keys. */
struct tui_binding {
	const char *keys; /* "s", "Up/Down", "Tab, h" */
	const char *help; /* "start the VM (or the marked VMs)" */
};

/* A screen: a class (ops, const, one per kind) and an instance. */
struct screen_ops {
	const char *name; /* "list", "host", "help", "confirm" */
	/* Overlays (dialogs, help) are drawn on top of the screen below,
	 * which is drawn first. */
	bool overlay;
	/* Called once when pushed / when popped, before destroy. */
	void (*enter)(struct tui *tui, struct screen *scr);
	void (*leave)(struct tui *tui, struct screen *scr);
	/* Draw into win (the whole area between the title and the status
	 * line), with model.lock held: read the model, never call the
	 * driver. werase() + redraw is fine: curses sends only the cells
	 * that changed. */
	void (*draw)(struct tui *tui, struct screen *scr, WINDOW *win);
	enum tui_result (*key)(struct tui *tui, struct screen *scr, int key);
	/* Mouse event with y/x relative to the screen's window. */
	enum tui_result (*mouse)(struct tui *tui, struct screen *scr, const MEVENT *ev);
	/* Entries for the bottom key bar, ending with a NULL label_key.
	 * NULL: the bar shows the global keys only. */
	const struct keybar_item *(*keybar)(struct tui *tui, struct screen *scr);
	/* This screen's bindings for the help overlay (NULL keys ends it). */
	const struct tui_binding *help;
	/* Free scr->priv (the app frees scr itself after this). */
	void (*destroy)(struct screen *scr);
};

struct screen {
	const struct screen_ops *ops;
	void *priv;
};

/* ---- The model, filled by the sampler thread ---- */

/* One VM row. Rates are bytes per second over the last interval. */
struct tui_vm {
	int conn_id;	    /* the connection it is on (struct tui_conn.id) */
	struct vm_info info;
	bool has_stats;	    /* running, and the last stats call answered */
	double cpu_percent; /* whole VM; 100 = one host CPU busy */
	uint64_t mem_bytes, mem_rss_bytes;
	double disk_rd_rate, disk_wr_rate;
	double net_rx_rate, net_tx_rate;
	struct history cpu_hist;  /* cpu_percent */
	struct history disk_hist; /* rd + wr */
	struct history net_hist;  /* rx + tx */
	struct history mem_hist;  /* mem_rss_bytes */
	struct vm_stats prev;	  /* sampler: the previous counters */
	bool have_prev;
	/* Each NIC (from the last stats; nr_nics 0 when not running). */
	int nr_nics;
	struct tui_vm_nic {
		char network[VM_NAME_MAX + 1];
		char mac[18];
		double rx_rate, tx_rate;	 /* rx: towards the guest */
		uint64_t rx_dropped, tx_dropped; /* cumulative */
		struct history rx_hist, tx_hist;
	} nics[VM_MAX_NICS];
};

/* One network row (networks view). Rates are bytes per second through
 * the network's switch over the last interval (nat networks: 0). */
struct tui_net {
	struct net_info info;
	double rx_rate, tx_rate;
	struct history rx_hist, tx_hist;
	uint64_t prev_rx, prev_tx, prev_ns; /* sampler: the previous counters */
	bool have_prev;
};

/* Host figures over time, for the dashboard. */
struct tui_host_history {
	struct history cpu_core[HOSTSTAT_MAX_CPUS]; /* percent */
	struct history cpu_total;		    /* percent */
	struct history mem_used;		    /* percent of mem_total */
	struct history mem_cached;		    /* percent of mem_total */
	struct history disk_rd, disk_wr;	    /* bytes/s */
	struct history net_rx, net_tx;		    /* bytes/s */
};

/* The result of a tui_request_config() (details page). */
struct tui_config_reply {
	char name[VM_NAME_MAX + 1]; /* "" = nothing asked */
	bool ready;		    /* answered (ok or error) */
	int rc;
	char error[256];
	struct vm_config config;
};

/* The clone the worker runs (one at a time): the driver's progress
 * callback fills done/total; screen-clone.c draws it. */
struct tui_clone {
	bool active; /* queued or running */
	bool cancel; /* the user asked to stop: the callback says so */
	int rc;	     /* of the last clone, once !active */
	char src[VM_NAME_MAX + 1], dst[VM_NAME_MAX + 1];
	uint64_t done, total; /* bytes copied, of total */
};

/* The result of a tui_request_console() (console screen): the worker
 * connects, the screen takes fd (and sets it to -1). */
struct tui_console_reply {
	char name[VM_NAME_MAX + 1]; /* "" = nothing asked */
	bool ready;
	int rc;
	char error[256];
	int fd; /* connected stream, -1 when taken or failed */
};

/* What the New VM wizard asks the worker to create (tui_request_define). */
struct tui_define_request {
	struct vm_config cfg;	     /* cfg.disks: existing images */
	struct vm_new_disk new_disk; /* used when nr_new_disks is 1 */
	int nr_new_disks;
	bool start; /* start it once defined */
};

/* The outcome of a tui_request_define(). */
struct tui_define_reply {
	char name[VM_NAME_MAX + 1]; /* "" = nothing asked */
	bool ready;		    /* answered */
	int rc;			    /* of define; 0 = the VM exists now */
	char error[512];	    /* define's error, or start's after a define */
};

/* What the New VM wizard's summary shows (tui_request_preview): the
 * driver's define_preview text (libvirt domain XML, the local vm.conf). */
struct tui_preview_reply {
	uint64_t seq;	/* of the request answered; 0 = none */
	bool supported; /* the driver has define_preview */
	int rc;
	char error[256];
	char *text; /* malloc'd, owned by the model */
};

/* Network operations the worker runs for the networks view and the New
 * Network wizard (tui_request_net). */
enum tui_net_op {
	TUI_NET_START,
	TUI_NET_STOP,
	TUI_NET_UNDEFINE,
	TUI_NET_AUTOSTART,   /* set autostart to req.autostart */
	TUI_NET_FORWARD_ADD, /* req.fwd */
	TUI_NET_FORWARD_REMOVE,
	TUI_NET_DEFINE, /* req.cfg, then start it when req.start */
};

struct tui_net_request {
	enum tui_net_op op;
	char name[VM_NAME_MAX + 1];
	bool autostart;		/* TUI_NET_AUTOSTART */
	struct net_forward fwd; /* TUI_NET_FORWARD_* */
	struct net_config cfg;	/* TUI_NET_DEFINE */
	bool start;		/* TUI_NET_DEFINE: start once defined */
};

/* The outcome of the last network operation (model.net_reply): a screen
 * keeps the seq tui_request_net gave it and compares. */
struct tui_net_reply {
	uint64_t seq; /* of the request answered, 0 = none yet */
	enum tui_net_op op;
	char name[VM_NAME_MAX + 1];
	int rc;
	char error[512];
};

/* The result of a tui_request_net_config() (details, forwards). */
struct tui_net_config_reply {
	char name[VM_NAME_MAX + 1]; /* "" = nothing asked */
	bool ready;
	int rc;
	char error[256];
	struct net_config config;
};

struct tui_model {
	pthread_mutex_t lock;
	uint64_t generation; /* bumped by every change; screens compare */
	/* The VMs of every connection (tui_vm.conn_id says which), each
	 * connection's in its driver's order; screens sort copies. */
	struct tui_vm *vms;
	int nr_vms;
	/* The rest is about the current connection (tui->cur_conn): what
	 * the details page, consoles, wizards and networks view act on. */
	bool listed;	      /* at least one list call answered */
	char list_error[256]; /* last list failure, "" when fine */
	bool have_host;	      /* host is filled */
	struct host_sample host;
	struct tui_host_history *host_hist; /* allocated once */
	struct tui_config_reply config;
	struct tui_define_reply define; /* wizard-newvm.c's Finish */
	struct tui_console_reply console;
	struct tui_clone clone;
	uint64_t interval_ms;
	/* Networks (sampler): nets_supported is false when the driver has
	 * no networks (net_list NULL). */
	struct tui_net *nets;
	int nr_nets;
	bool nets_listed, nets_supported;
	char nets_error[256];
	uint64_t net_seq; /* the last tui_request_net's number */
	struct tui_net_reply net_reply;
	struct tui_net_config_reply net_config;
	uint64_t preview_seq; /* the last tui_request_preview's number */
	struct tui_preview_reply preview;
};

/* ---- Connections (conn.c): the local one, then the libvirt URIs of
 * the config file, each connecting and sampling on its own threads ---- */

enum tui_conn_status {
	TUI_CONN_CONNECTING,
	TUI_CONN_CONNECTED,
	TUI_CONN_FAILED,       /* the last attempt failed: message says why */
	TUI_CONN_RECONNECTING, /* it broke (event, failing calls): trying again */
};

#define TUI_MAX_CONNS 33 /* the local one and CONNLIST_MAX */

struct tui_conn {
	int id;		/* unique for the run; 0 = local */
	char uri[256];	/* "local" for the local one */
	bool local;
	bool saved; /* in the config file (not a -c URI of this run) */
	struct tui *tui;

	/* Under tui->model.lock: what the list's heading shows, and this
	 * connection's networks (copied to model.nets when it is current). */
	enum tui_conn_status status;
	char message[256]; /* failed/reconnecting: why; "" otherwise */
	uint64_t retry_at_ns; /* failed/reconnecting: the next attempt */
	bool listed;
	char list_error[256];
	struct tui_net *nets;
	int nr_nets;
	bool nets_listed, nets_supported;
	char nets_error[256];

	/* Under lock (conn.c, sampler.c). */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct driver *drv;	     /* while connected */
	struct tui_sampler *sampler; /* while connected */
	bool stop;		     /* removed, or the TUI quits */
	bool broken;		     /* reconnect: disconnected or calls failing */
	char broken_why[256];
	int list_failures; /* sampler: list calls failed in a row */
	pthread_t thread;
	bool thread_running;
	bool finished; /* the thread is done with everything */
};

/* A credential question a connection's thread waits on (conn.c): the UI
 * thread shows it in a prompt and answers. */
struct tui_auth {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pending;  /* asked, not answered */
	bool shown;    /* the UI shows the prompt */
	uint64_t seq;  /* the question's number */
	int conn_id;
	char uri[256];
	char prompt[256];
	bool echo;
	bool answered;
	int rc; /* 0 or -ECANCELED */
	char answer[256];
};

enum tui_status_level { TUI_STATUS_INFO, TUI_STATUS_ERROR };

struct tui_options {
	const char *theme;    /* --theme NAME, NULL = saved choice / default */
	unsigned interval_ms; /* refresh interval, 0 = 1000 */
	const char *uri;      /* -c URI: added to the saved connections (not
			       * saved) and selected; NULL = the local one */
	const char **uris;    /* more -c URIs (nr_uris) */
	int nr_uris;
};

#define TUI_MAX_SCREENS 16

struct tui_sampler; /* sampler.c */

/* A descriptor the main loop polls for a screen (tui_watch_fd). */
struct tui_fd_watch {
	int fd;
	short events; /* POLLIN, POLLOUT */
	void (*fn)(struct tui *tui, int fd, short revents, void *opaque);
	void *opaque;
};
#define TUI_MAX_WATCHES 8

/* The application. */
struct tui {
	struct driver *drv; /* the local connection's (tui_main's argument) */
	/* Connections in list order (the local one first); the array is
	 * changed by the UI thread only, under model.lock. */
	struct tui_conn *conns[TUI_MAX_CONNS];
	int nr_conns;
	int next_conn_id;
	int cur_conn; /* id of the current connection (under model.lock) */
	/* Removed connections whose threads still finish (joined at exit). */
	struct tui_conn *gone[64];
	int nr_gone;
	struct tui_auth auth;
	struct tui_options opts;
	struct tui_model model;

	struct screen *stack[TUI_MAX_SCREENS];
	int depth;

	bool utf8;   /* locale can show UTF-8: else ASCII fallbacks */
	bool colors; /* the terminal has colours and NO_COLOR is unset */
	enum graph_style graph_style;
	int rows, cols; /* terminal size */
	WINDOW *title_win, *main_win, *status_win, *keybar_win;
	bool dirty; /* redraw the stack at the next turn */

	/* Status line: set from any thread with tui_status(). */
	pthread_mutex_t status_lock;
	char status[256];
	enum tui_status_level status_level;
	uint64_t status_until_ns; /* 0 = until replaced */
	uint64_t status_gen;

	int wake_pipe[2]; /* threads write a byte to wake the UI loop */
	uint64_t drawn_generation; /* model generation last drawn */
	uint64_t drawn_status_gen;
	MEVENT last_click; /* for double-click detection */
	uint64_t last_click_ns;
	struct tui_fd_watch watches[TUI_MAX_WATCHES]; /* UI thread only */
	int nr_watches;
	uint64_t redraw_at_ns; /* tui_redraw_at(); 0 = none */
};

/* ---- app.c ---- */
/* Run the TUI on this terminal until the user quits. Leaves VMs running.
 * Returns 0, or a negative errno with a message printed to stderr after
 * the terminal is restored. */
int tui_main(struct driver *drv, const struct tui_options *opts);
/* Push a screen (calls ops->enter); -ENOSPC if the stack is full. */
int tui_push_screen(struct tui *tui, struct screen *scr);
/* A heap screen of class ops (NULL on ENOMEM); the app frees it when
 * popped, after ops->destroy. */
struct screen *tui_screen_new(const struct screen_ops *ops, void *priv);
/* Pop and destroy the top screen; the last screen is never popped. */
void tui_pop_screen(struct tui *tui);
struct screen *tui_top_screen(struct tui *tui);
/* Show a message on the status line (any thread). Info messages fade
 * after a few seconds; errors stay until the next message. */
void tui_status(struct tui *tui, enum tui_status_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Wake the UI loop (any thread): the model or the status changed. */
void tui_wake(struct tui *tui);
/* Write s into win at (y, x), at most width columns (UTF-8 aware; pads
 * with spaces up to width when pad). Returns the columns written. */
int tui_put(WINDOW *win, int y, int x, int width, const char *s, bool pad);
/* Draw a box with a title in win, in the dialog role; ASCII when !utf8. */
void tui_draw_box(struct tui *tui, WINDOW *win, int y, int x, int h, int w, const char *title);
uint64_t tui_now_ns(void);
/* The bindings every screen shares, for the help overlay. */
const struct tui_binding *tui_global_help(void);
/* Poll fd in the main loop (UI thread): fn runs on the UI thread when
 * fd has any of events (or an error/hangup). Watching a watched fd again
 * replaces its events and callback. -ENOSPC when TUI_MAX_WATCHES are
 * used. fn should do a bounded amount of work per call: the loop comes
 * back while fd stays ready, and reads keys in between. */
int tui_watch_fd(struct tui *tui, int fd, short events,
		 void (*fn)(struct tui *tui, int fd, short revents, void *opaque), void *opaque);
void tui_unwatch_fd(struct tui *tui, int fd);
/* Redraw the screen stack at monotonic time ns (or earlier if something
 * else asks): lets a busy screen cap its frame rate. UI thread. */
void tui_redraw_at(struct tui *tui, uint64_t ns);
/* v on a VM (list, details): lend the terminal to the VNC viewer on its
 * graphical console (curses ends around it), then repaint everything; a
 * VM that does not run or has no display is refused on the status line.
 * UI thread. */
void tui_vnc_open(struct tui *tui, const char *vm_name);

/* ---- sampler.c ---- */
enum tui_action {
	TUI_ACTION_START,
	TUI_ACTION_SHUTDOWN,
	TUI_ACTION_DESTROY,
	TUI_ACTION_REBOOT,
	TUI_ACTION_PAUSE,
	TUI_ACTION_RESUME,
	TUI_ACTION_UNDEFINE,
};
/* "start", "shut down", ... */
const char *tui_action_name(enum tui_action action);
/* The sampler and worker of conn (its drv must be open); NULL with err. */
struct tui_sampler *tui_sampler_start(struct tui *tui, struct tui_conn *conn, char *err,
				      size_t errlen);
/* Stop them: false when a thread was stuck in a driver call and was left
 * behind (then conn->drv must not be closed). */
bool tui_sampler_stop(struct tui_sampler *s);
/* Sample s's connection now (any thread; a domain event). */
void tui_sampler_refresh(struct tui_sampler *s);
/* The requests below go to the current connection's worker (-ENOTCONN
 * when it is not connected, with a status line message). */
/* Queue an action on VM name of connection conn_id; returns at once. */
int tui_request_action_on(struct tui *tui, int conn_id, enum tui_action action,
			  const char *name);
/* Queue an action on VM name for the worker thread; returns at once. The
 * outcome ("VM 'x' started" or the driver's error) goes to the status
 * line and the list is sampled again right after. */
int tui_request_action(struct tui *tui, enum tui_action action, const char *name);
/* Ask the worker for name's configuration: the answer lands in
 * model.config (generation bumped). */
int tui_request_config(struct tui *tui, const char *name);
/* Change name's vCPUs and/or memory (0 fields unchanged); the outcome
 * goes to the status line ("applies at next start" while it runs) and
 * model.config is read again if it holds name. */
int tui_request_set(struct tui *tui, const char *name, const struct vm_settings *changes);
/* Clone name to new_name on the worker; progress lands in model.clone.
 * -EBUSY while another clone runs. */
int tui_request_clone(struct tui *tui, const char *name, const char *new_name);
/* Ask the running clone to stop: the driver removes the partial copy. */
void tui_clone_cancel(struct tui *tui);
/* Ask the worker to define (and optionally start) a VM; the answer lands
 * in model.define (generation bumped) and on the status line. */
int tui_request_define(struct tui *tui, const struct tui_define_request *req);
/* Queue a network operation; *seq (may be NULL) gets its number, which
 * model.net_reply.seq holds once it is answered (the outcome also goes
 * to the status line and the lists are sampled again). */
int tui_request_net(struct tui *tui, const struct tui_net_request *req, uint64_t *seq);
/* Ask the worker for network name's definition: the answer lands in
 * model.net_config (generation bumped). */
int tui_request_net_config(struct tui *tui, const char *name);
/* Sample now instead of at the end of the interval. */
void tui_request_refresh(struct tui *tui);
/* Ask the worker for the driver's define_preview of req: the answer lands
 * in model.preview (seq = *seq). */
int tui_request_preview(struct tui *tui, const struct tui_define_request *req, uint64_t *seq);
/* Connect to name's serial console on the worker: the connected fd (or
 * the error) lands in model.console (generation bumped). A reply nobody
 * waits for any more (model.console.name changed) is closed. */
int tui_request_console(struct tui *tui, const char *name);

/* ---- conn.c ---- */
/* The local connection and the saved ones (plus opts->uri), each
 * connecting on its own thread. */
int tui_conns_start(struct tui *tui, char *err, size_t errlen);
/* Stop every connection; waits a little for their threads. Returns false
 * when one was left running (the tui must then not be freed). */
bool tui_conns_stop(struct tui *tui);
/* Add uri (checked), save the list unless save is false, connect. */
int tui_conn_add(struct tui *tui, const char *uri, bool save, char *err, size_t errlen);
/* Remove connection id (not the local one) and save the list. */
int tui_conn_remove(struct tui *tui, int id, char *err, size_t errlen);
/* Model lock held. */
struct tui_conn *tui_conn_find(struct tui *tui, int id);
const char *tui_conn_status_name(enum tui_conn_status status);
/* Make id the current connection (model lock held): model.nets and the
 * model's list fields show it. */
void tui_conn_select_locked(struct tui *tui, int id);
/* "Local" or the URI. */
const char *tui_conn_label(const struct tui_conn *conn);
/* The current connection's row of VM name (model lock held), or NULL. */
struct tui_vm *tui_find_vm(struct tui *tui, const char *name);
/* UI thread, each loop turn: show a credential prompt that is waiting. */
void tui_conns_poll(struct tui *tui);
/* The current connection's driver for a call on the UI thread (the VNC
 * viewer), or NULL when it is not connected. */
struct driver *tui_cur_driver(struct tui *tui);
/* Sampler: a list call on conn failed (true: it keeps failing, the
 * connection is marked broken and reconnects) or answered. */
void tui_conn_list_result(struct tui_conn *conn, int rc, const char *err);
/* Add connection (A on the list) and remove (X) dialogs: screen-conn.c. */
void screen_conn_add(struct tui *tui);
void screen_conn_remove(struct tui *tui, int id);

/* ---- screens ---- */
extern const struct screen_ops screen_list_ops; /* screen-list.c: the main window */
extern const struct screen_ops screen_host_ops; /* screen-host.c: the host dashboard */
extern const struct screen_ops screen_help_ops; /* screen-help.c: the ? overlay */
extern const struct screen_ops screen_console_ops; /* screen-console.c: c on a VM */
extern const struct screen_ops screen_details_ops; /* screen-details.c: Enter on a VM */

/* Screens without parameters are made with tui_screen_new(&ops, NULL)
 * (their enter() may allocate priv); these take parameters: */
/* The serial console of vm_name, full screen (Ctrl-] goes back). */
struct screen *screen_console_new(struct tui *tui, const char *vm_name);
/* c on a VM (list, details): its console if it runs, else a status error. */
void screen_console_open(struct tui *tui, const char *vm_name);
struct screen *screen_details_new(struct tui *tui, const char *vm_name);
/* screen-clone.c: C on a VM: ask for the new name, then clone it while a
 * progress box shows (Esc hides it, x cancels). */
void screen_clone_ask(struct tui *tui, const char *vm_name);

/* ---- dialog-input.c ---- */
/* A one-line text input overlay. on_ok runs on the UI thread with the
 * text when Enter is pressed; a non-zero return with err filled keeps the
 * dialog open and shows err in it. Esc cancels. */
struct screen *dialog_input_new(const char *title, const char *prompt, const char *initial,
				int (*on_ok)(struct tui *tui, const char *text, void *opaque,
					     char *err, size_t errlen),
				void *opaque, void (*free_opaque)(void *opaque));
/* Show the text typed as '*' (passwords). */
void dialog_input_set_secret(struct screen *scr, bool secret);

/* ---- wizard-newvm.c: `n` on the list ---- */
extern const struct screen_ops wizard_newvm_ops;
struct screen *wizard_newvm_new(struct tui *tui);
/* screen-list.c: put the list's cursor on name (now, or once it shows up). */
void screen_list_select(struct tui *tui, const char *name);

/* ---- screen-networks.c: N from the list or the dashboard ---- */
extern const struct screen_ops screen_networks_ops;
/* Put the networks view's cursor on name (now, or once it shows up). */
void screen_networks_select(struct tui *tui, const char *name);

/* ---- wizard-newnet.c: n in the networks view ---- */
extern const struct screen_ops wizard_newnet_ops;
struct screen *wizard_newnet_new(struct tui *tui);

/* ---- dialog.c ---- */
/* A yes/no confirmation overlay; on_yes runs on the UI thread when the user
 * confirms (typically a tui_request_action). "No" is the default button. */
struct screen *dialog_confirm_new(const char *title, const char *text,
				  void (*on_yes)(struct tui *tui, void *opaque), void *opaque,
				  void (*free_opaque)(void *opaque));

#endif
