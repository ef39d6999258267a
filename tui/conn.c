/* The TUI's connections, like virt-manager's connection list: the local
 * one first, then the libvirt URIs the user added (saved in the config
 * file by connlist.c). Each has its own thread that opens the driver (a
 * dead host may block driver_open_auth for long: only this thread
 * waits), then runs a sampler and worker (sampler.c) for it, and opens it
 * again with a growing delay when it fails or breaks. Credential
 * questions from libvirt are passed to the UI thread, which shows a
 * prompt, and the connection's thread waits for the answer. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connlist.h"
#include "tui.h"

/* A libvirt connection whose list calls fail this many times in a row is
 * reopened (the host went away without a disconnect event). */
#define CONN_MAX_LIST_FAILURES 3

const char *tui_conn_status_name(enum tui_conn_status status)
{
	switch (status) {
	case TUI_CONN_CONNECTING:
		return "connecting";
	case TUI_CONN_CONNECTED:
		return "connected";
	case TUI_CONN_FAILED:
		return "failed";
	case TUI_CONN_RECONNECTING:
		return "reconnecting";
	}
	return "?";
}

const char *tui_conn_label(const struct tui_conn *conn)
{
	return conn->local ? "Local" : conn->uri;
}

struct tui_conn *tui_conn_find(struct tui *tui, int id)
{
	for (int i = 0; i < tui->nr_conns; i++)
		if (tui->conns[i]->id == id)
			return tui->conns[i];
	return NULL;
}

struct tui_vm *tui_find_vm(struct tui *tui, const char *name)
{
	for (int i = 0; i < tui->model.nr_vms; i++)
		if (tui->model.vms[i].conn_id == tui->cur_conn &&
		    !strcmp(tui->model.vms[i].info.name, name))
			return &tui->model.vms[i];
	return NULL;
}

void tui_conn_select_locked(struct tui *tui, int id)
{
	struct tui_conn *conn = tui_conn_find(tui, id);
	struct tui_model *m = &tui->model;
	struct tui_net *copy;

	if (!conn)
		return;
	tui->cur_conn = id;
	copy = malloc(sizeof(*copy) * (size_t)(conn->nr_nets ? conn->nr_nets : 1));
	if (copy) {
		memcpy(copy, conn->nets, sizeof(*copy) * (size_t)conn->nr_nets);
		free(m->nets);
		m->nets = copy;
		m->nr_nets = conn->nr_nets;
	}
	m->nets_listed = conn->nets_listed;
	m->nets_supported = conn->nets_supported;
	snprintf(m->nets_error, sizeof(m->nets_error), "%s", conn->nets_error);
	m->listed = conn->listed;
	snprintf(m->list_error, sizeof(m->list_error), "%s", conn->list_error);
}

struct driver *tui_cur_driver(struct tui *tui)
{
	struct tui_conn *conn;
	struct driver *drv = NULL;

	pthread_mutex_lock(&tui->model.lock);
	conn = tui_conn_find(tui, tui->cur_conn);
	pthread_mutex_unlock(&tui->model.lock);
	if (!conn)
		return NULL;
	pthread_mutex_lock(&conn->lock);
	if (conn->sampler)
		drv = conn->drv;
	pthread_mutex_unlock(&conn->lock);
	return drv;
}

/* ---- the connection's thread ---- */

static bool conn_stopping(struct tui_conn *conn)
{
	bool stop;

	pthread_mutex_lock(&conn->lock);
	stop = conn->stop;
	pthread_mutex_unlock(&conn->lock);
	return stop;
}

static void conn_set_status(struct tui_conn *conn, enum tui_conn_status status, const char *msg,
			    unsigned retry_ms)
{
	struct tui *tui = conn->tui;

	pthread_mutex_lock(&tui->model.lock);
	conn->status = status;
	snprintf(conn->message, sizeof(conn->message), "%s", msg ? msg : "");
	conn->retry_at_ns = retry_ms ? tui_now_ns() + (uint64_t)retry_ms * 1000000ULL : 0;
	tui->model.generation++;
	pthread_mutex_unlock(&tui->model.lock);
	tui_wake(tui);
}

/* Sleep ms or until stopped (true) or broken. */
static bool conn_wait(struct tui_conn *conn, unsigned ms)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&conn->lock);
	while (!conn->stop && pthread_cond_timedwait(&conn->cond, &conn->lock, &ts) != ETIMEDOUT)
		;
	stop = conn->stop;
	pthread_mutex_unlock(&conn->lock);
	return stop;
}

static void conn_mark_broken(struct tui_conn *conn, const char *why)
{
	pthread_mutex_lock(&conn->lock);
	if (!conn->broken) {
		conn->broken = true;
		snprintf(conn->broken_why, sizeof(conn->broken_why), "%s", why ? why : "");
	}
	pthread_cond_broadcast(&conn->cond);
	pthread_mutex_unlock(&conn->lock);
}

void tui_conn_list_result(struct tui_conn *conn, int rc, const char *err)
{
	char why[256];
	bool broken = false;

	pthread_mutex_lock(&conn->lock);
	if (!rc)
		conn->list_failures = 0;
	else
		broken = !conn->local && ++conn->list_failures >= CONN_MAX_LIST_FAILURES;
	pthread_mutex_unlock(&conn->lock);
	if (broken) {
		snprintf(why, sizeof(why), "calls keep failing: %.200s", err);
		conn_mark_broken(conn, why);
	}
}

/* Driver events, on the driver's own thread. */
static void conn_event_vm_changed(void *opaque, const char *name, enum vm_state state, bool gone)
{
	struct tui_conn *conn = opaque;

	(void)name;
	(void)state;
	(void)gone;
	/* Sample this connection now: the row changes without waiting. */
	pthread_mutex_lock(&conn->lock);
	if (conn->sampler)
		tui_sampler_refresh(conn->sampler);
	pthread_mutex_unlock(&conn->lock);
}

static void conn_event_disconnected(void *opaque, const char *why)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "disconnected: %.200s", why && why[0] ? why : "the host went away");
	conn_mark_broken(opaque, msg);
}

/* libvirt's auth callback, on this connection's thread: hand the
 * question to the UI thread and wait for the answer. */
static int conn_ask(void *opaque, const char *prompt, bool echo, char *answer, size_t len)
{
	struct tui_conn *conn = opaque;
	struct tui *tui = conn->tui;
	struct tui_auth *a = &tui->auth;
	struct timespec ts;
	uint64_t seq;
	int rc = -ECANCELED;

	pthread_mutex_lock(&a->lock);
	/* One prompt at a time: another connection may be asking. */
	while (a->pending && !conn_stopping(conn)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000L;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&a->cond, &a->lock, &ts);
	}
	if (conn_stopping(conn)) {
		pthread_mutex_unlock(&a->lock);
		return -ECANCELED;
	}
	a->pending = true;
	a->shown = false;
	a->answered = false;
	seq = ++a->seq;
	a->conn_id = conn->id;
	snprintf(a->uri, sizeof(a->uri), "%s", conn->uri);
	snprintf(a->prompt, sizeof(a->prompt), "%s", prompt && prompt[0] ? prompt : "Password");
	a->echo = echo;
	pthread_mutex_unlock(&a->lock);
	tui_wake(tui);

	pthread_mutex_lock(&a->lock);
	while (a->seq == seq && !a->answered && !conn_stopping(conn)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000L;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&a->cond, &a->lock, &ts);
	}
	if (a->seq == seq && a->answered) {
		rc = a->rc;
		if (!rc)
			snprintf(answer, len, "%s", a->answer);
	}
	/* The secret does not stay in memory longer than needed. */
	memset(a->answer, 0, sizeof(a->answer));
	a->pending = false;
	a->answered = false;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	tui_wake(tui); /* the prompt, if still shown, goes */
	return rc;
}

/* Forget this connection's rows (it is gone or reconnecting). */
static void conn_drop_rows(struct tui_conn *conn)
{
	struct tui *tui = conn->tui;
	struct tui_model *m = &tui->model;
	int k = 0;

	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < m->nr_vms; i++)
		if (m->vms[i].conn_id != conn->id)
			m->vms[k++] = m->vms[i];
	m->nr_vms = k;
	conn->listed = false;
	m->generation++;
	pthread_mutex_unlock(&m->lock);
	tui_wake(tui);
}

/* Connected: run the sampler until stopped or broken. Returns true when
 * stopped; why gets the reason it broke. */
static bool conn_run(struct tui_conn *conn, struct driver *drv, char *why, size_t whylen)
{
	struct driver_events ev = {.vm_changed = conn_event_vm_changed,
				   .disconnected = conn_event_disconnected,
				   .opaque = conn};
	struct tui_sampler *s;
	char err[512] = "";
	bool events = false, stop, clean;

	pthread_mutex_lock(&conn->lock);
	conn->drv = drv;
	conn->broken = false;
	conn->list_failures = 0;
	pthread_mutex_unlock(&conn->lock);
	if (drv->ops->set_events)
		events = drv->ops->set_events(drv, &ev, err, sizeof(err)) == 0;
	s = tui_sampler_start(conn->tui, conn, err, sizeof(err));
	if (!s) {
		snprintf(why, whylen, "%s", err);
		stop = false;
		clean = true;
		goto out;
	}
	pthread_mutex_lock(&conn->lock);
	conn->sampler = s;
	pthread_mutex_unlock(&conn->lock);
	conn_set_status(conn, TUI_CONN_CONNECTED, NULL, 0);

	pthread_mutex_lock(&conn->lock);
	while (!conn->stop && !conn->broken)
		pthread_cond_wait(&conn->cond, &conn->lock);
	stop = conn->stop;
	snprintf(why, whylen, "%s", conn->broken_why);
	conn->sampler = NULL; /* no new requests from here on */
	pthread_mutex_unlock(&conn->lock);
	clean = tui_sampler_stop(s);
out:
	if (events)
		drv->ops->set_events(drv, NULL, err, sizeof(err));
	pthread_mutex_lock(&conn->lock);
	conn->drv = NULL;
	pthread_mutex_unlock(&conn->lock);
	/* A thread stuck in a call still uses drv: leave it open then. */
	if (!conn->local && clean)
		driver_close(drv);
	conn_drop_rows(conn);
	return stop;
}

static void *conn_thread(void *arg)
{
	struct tui_conn *conn = arg;
	struct tui *tui = conn->tui;
	struct driver_auth auth = {.ask = conn_ask, .opaque = conn};
	unsigned failures = 0;

	for (;;) {
		char err[512] = "", why[300] = "";
		struct driver *drv;

		if (conn->local) {
			drv = tui->drv;
		} else {
			drv = driver_open_auth(conn->uri, &auth, err, sizeof(err));
			if (drv && conn_stopping(conn)) {
				driver_close(drv);
				break;
			}
		}
		if (!drv) {
			unsigned ms = connlist_backoff_ms(++failures);

			conn_set_status(conn, TUI_CONN_FAILED,
					err[0] ? err : "cannot connect", ms);
			if (conn_wait(conn, ms))
				break;
			continue;
		}
		failures = 0;
		if (conn_run(conn, drv, why, sizeof(why)))
			break;
		/* It broke: try again soon, then less and less often. */
		conn_set_status(conn, TUI_CONN_RECONNECTING, why, connlist_backoff_ms(1));
		if (conn_wait(conn, connlist_backoff_ms(1)))
			break;
	}
	pthread_mutex_lock(&conn->lock);
	conn->finished = true;
	pthread_mutex_unlock(&conn->lock);
	return NULL;
}

/* ---- the list ---- */

static struct tui_conn *conn_new(struct tui *tui, const char *uri, bool local, bool saved)
{
	struct tui_conn *conn = calloc(1, sizeof(*conn));
	pthread_condattr_t ca;

	if (!conn)
		return NULL;
	conn->id = tui->next_conn_id++;
	snprintf(conn->uri, sizeof(conn->uri), "%s", local ? "local" : uri);
	conn->local = local;
	conn->saved = saved;
	conn->tui = tui;
	conn->status = TUI_CONN_CONNECTING;
	pthread_mutex_init(&conn->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&conn->cond, &ca);
	pthread_condattr_destroy(&ca);
	return conn;
}

static void conn_free(struct tui_conn *conn)
{
	pthread_cond_destroy(&conn->cond);
	pthread_mutex_destroy(&conn->lock);
	free(conn->nets);
	free(conn);
}

static int conn_start_thread(struct tui_conn *conn, char *err, size_t errlen)
{
	sigset_t all, old;
	int r;

	/* Signals are for the UI thread's poll(). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&conn->thread, NULL, conn_thread, conn);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		snprintf(err, errlen, "cannot start a thread for %s: %s", tui_conn_label(conn),
			 strerror(r));
		return -r;
	}
	conn->thread_running = true;
	return 0;
}

/* The saved URIs, in list order, into uris. */
static int conn_saved_uris(struct tui *tui, char (*uris)[CONNLIST_URI_MAX])
{
	int n = 0;

	for (int i = 0; i < tui->nr_conns && n < CONNLIST_MAX; i++)
		if (tui->conns[i]->saved)
			snprintf(uris[n++], CONNLIST_URI_MAX, "%s", tui->conns[i]->uri);
	return n;
}

/* Append a connection (UI thread) and start it. */
static int conn_append(struct tui *tui, const char *uri, bool local, bool saved,
		       struct tui_conn **out, char *err, size_t errlen)
{
	struct tui_conn *conn;
	int r;

	if (tui->nr_conns >= TUI_MAX_CONNS) {
		snprintf(err, errlen, "at most %d connections", TUI_MAX_CONNS - 1);
		return -ENOSPC;
	}
	conn = conn_new(tui, uri, local, saved);
	if (!conn) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_lock(&tui->model.lock);
	tui->conns[tui->nr_conns++] = conn;
	tui->model.generation++;
	pthread_mutex_unlock(&tui->model.lock);
	r = conn_start_thread(conn, err, errlen);
	if (r) {
		pthread_mutex_lock(&tui->model.lock);
		tui->nr_conns--;
		pthread_mutex_unlock(&tui->model.lock);
		conn_free(conn);
		return r;
	}
	if (out)
		*out = conn;
	return 0;
}

static struct tui_conn *conn_find_uri(struct tui *tui, const char *uri)
{
	for (int i = 0; i < tui->nr_conns; i++)
		if (!strcmp(tui->conns[i]->uri, uri))
			return tui->conns[i];
	return NULL;
}

int tui_conn_add(struct tui *tui, const char *uri, bool save, char *err, size_t errlen)
{
	char uris[CONNLIST_MAX][CONNLIST_URI_MAX];
	struct tui_conn *conn;
	int n, r;

	if (!connlist_uri_valid(uri, err, errlen))
		return -EINVAL;
	if (conn_find_uri(tui, uri)) {
		snprintf(err, errlen, "%s is already in the list", uri);
		return -EEXIST;
	}
	n = conn_saved_uris(tui, uris);
	if (save && n >= CONNLIST_MAX) {
		snprintf(err, errlen, "at most %d saved connections", CONNLIST_MAX);
		return -ENOSPC;
	}
	if (save) {
		snprintf(uris[n++], CONNLIST_URI_MAX, "%s", uri);
		r = connlist_save((const char(*)[CONNLIST_URI_MAX])uris, n, err, errlen);
		if (r)
			return r;
	}
	return conn_append(tui, uri, false, save, &conn, err, errlen);
}

int tui_conn_remove(struct tui *tui, int id, char *err, size_t errlen)
{
	char uris[CONNLIST_MAX][CONNLIST_URI_MAX];
	struct tui_conn *conn;
	bool saved;
	int k = 0, n;

	pthread_mutex_lock(&tui->model.lock);
	conn = tui_conn_find(tui, id);
	if (!conn || conn->local) {
		pthread_mutex_unlock(&tui->model.lock);
		snprintf(err, errlen, "%s", conn ? "the local connection cannot be removed"
						 : "no such connection");
		return conn ? -EPERM : -ENOENT;
	}
	if (tui->nr_gone >= (int)(sizeof(tui->gone) / sizeof(tui->gone[0]))) {
		pthread_mutex_unlock(&tui->model.lock);
		snprintf(err, errlen, "too many connections still closing; try again later");
		return -EBUSY;
	}
	for (int i = 0; i < tui->nr_conns; i++)
		if (tui->conns[i] != conn)
			tui->conns[k++] = tui->conns[i];
	tui->nr_conns = k;
	tui->gone[tui->nr_gone++] = conn;
	/* Its rows go now; its thread finishes in the background. */
	k = 0;
	for (int i = 0; i < tui->model.nr_vms; i++)
		if (tui->model.vms[i].conn_id != id)
			tui->model.vms[k++] = tui->model.vms[i];
	tui->model.nr_vms = k;
	if (tui->cur_conn == id)
		tui_conn_select_locked(tui, tui->conns[0]->id);
	tui->model.generation++;
	saved = conn->saved;
	pthread_mutex_unlock(&tui->model.lock);

	pthread_mutex_lock(&conn->lock);
	conn->stop = true;
	pthread_cond_broadcast(&conn->cond);
	pthread_mutex_unlock(&conn->lock);
	pthread_mutex_lock(&tui->auth.lock);
	pthread_cond_broadcast(&tui->auth.cond);
	pthread_mutex_unlock(&tui->auth.lock);
	if (!saved)
		return 0;
	n = conn_saved_uris(tui, uris);
	return connlist_save((const char(*)[CONNLIST_URI_MAX])uris, n, err, errlen);
}

int tui_conns_start(struct tui *tui, char *err, size_t errlen)
{
	char uris[CONNLIST_MAX][CONNLIST_URI_MAX];
	struct tui_conn *conn;
	int n = connlist_load(uris, CONNLIST_MAX), r, select = 0;

	pthread_mutex_init(&tui->auth.lock, NULL);
	pthread_cond_init(&tui->auth.cond, NULL);
	r = conn_append(tui, NULL, true, false, NULL, err, errlen);
	if (r)
		return r;
	for (int i = 0; i < n; i++)
		if (conn_append(tui, uris[i], false, true, NULL, err, errlen))
			tui_status(tui, TUI_STATUS_ERROR, "%s", err);
	/* -c URI (several allowed): shown for this run, not saved. */
	for (int i = -1; i < tui->opts.nr_uris; i++) {
		const char *uri = i < 0 ? tui->opts.uri : tui->opts.uris[i];
		char e[256];

		if (!uri || !uri[0])
			continue;
		if (driver_uri_is_local(uri)) {
			if (i < 0)
				select = 0;
			continue;
		}
		conn = conn_find_uri(tui, uri);
		if (!conn && !connlist_uri_valid(uri, e, sizeof(e))) {
			tui_status(tui, TUI_STATUS_ERROR, "-c %s: %s", uri, e);
			continue;
		}
		if (!conn && conn_append(tui, uri, false, false, &conn, e, sizeof(e))) {
			tui_status(tui, TUI_STATUS_ERROR, "%s", e);
			continue;
		}
		if (i < 0)
			select = conn->id;
	}
	pthread_mutex_lock(&tui->model.lock);
	tui_conn_select_locked(tui, select);
	pthread_mutex_unlock(&tui->model.lock);
	return 0;
}

/* Join conn's thread by deadline (CLOCK_REALTIME); true when it ended. */
static bool conn_join_by(struct tui_conn *conn, const struct timespec *deadline)
{
	if (!conn->thread_running)
		return true;
	if (pthread_timedjoin_np(conn->thread, NULL, deadline))
		return false;
	conn->thread_running = false;
	return true;
}

bool tui_conns_stop(struct tui *tui)
{
	struct tui_conn *all[TUI_MAX_CONNS + 64];
	struct timespec deadline;
	bool all_done = true;
	int n = 0;

	for (int i = 0; i < tui->nr_conns; i++)
		all[n++] = tui->conns[i];
	for (int i = 0; i < tui->nr_gone; i++)
		all[n++] = tui->gone[i];
	for (int i = 0; i < n; i++) {
		pthread_mutex_lock(&all[i]->lock);
		all[i]->stop = true;
		pthread_cond_broadcast(&all[i]->cond);
		pthread_mutex_unlock(&all[i]->lock);
	}
	if (n) {
		pthread_mutex_lock(&tui->auth.lock);
		pthread_cond_broadcast(&tui->auth.cond);
		pthread_mutex_unlock(&tui->auth.lock);
	}
	/* Each sampler gets a second or two to finish its call (sampler.c);
	 * all connections stop at the same time, so a few seconds in all.
	 * A thread still opening a dead host is left behind: we exit. */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 3;
	for (int i = 0; i < n; i++)
		if (!conn_join_by(all[i], &deadline))
			all_done = false;
	if (!all_done)
		return false;
	for (int i = 0; i < n; i++)
		conn_free(all[i]);
	tui->nr_conns = tui->nr_gone = 0;
	return true;
}

/* ---- the credential prompt (UI thread) ---- */

struct conn_auth_token {
	uint64_t seq;
};

static int conn_auth_ok(struct tui *tui, const char *text, void *opaque, char *err,
			size_t errlen)
{
	struct conn_auth_token *t = opaque;
	struct tui_auth *a = &tui->auth;

	(void)err;
	(void)errlen;
	pthread_mutex_lock(&a->lock);
	if (a->pending && a->seq == t->seq && !a->answered) {
		snprintf(a->answer, sizeof(a->answer), "%s", text);
		a->rc = 0;
		a->answered = true;
		pthread_cond_broadcast(&a->cond);
	}
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static struct tui *conn_auth_tui; /* the one TUI of this process */

/* The dialog went (after OK too): a question not answered is cancelled. */
static void conn_auth_cancel(void *opaque)
{
	struct conn_auth_token *t = opaque;
	struct tui_auth *a = &conn_auth_tui->auth;

	pthread_mutex_lock(&a->lock);
	if (a->pending && a->seq == t->seq && !a->answered) {
		a->rc = -ECANCELED;
		a->answered = true;
		pthread_cond_broadcast(&a->cond);
	}
	pthread_mutex_unlock(&a->lock);
	free(t);
}

void tui_conns_poll(struct tui *tui)
{
	struct tui_auth *a = &tui->auth;
	struct conn_auth_token *t;
	struct screen *scr;
	char title[64], prompt[300 + 256];
	bool echo;

	pthread_mutex_lock(&a->lock);
	if (!a->pending || a->shown || a->answered) {
		pthread_mutex_unlock(&a->lock);
		return;
	}
	a->shown = true;
	t = malloc(sizeof(*t));
	if (t)
		t->seq = a->seq;
	echo = a->echo;
	snprintf(title, sizeof(title), "Credentials");
	snprintf(prompt, sizeof(prompt), "%s: %s", a->uri, a->prompt);
	pthread_mutex_unlock(&a->lock);
	if (!t)
		return;
	conn_auth_tui = tui;
	scr = dialog_input_new(title, prompt, "", conn_auth_ok, t, conn_auth_cancel);
	if (!scr)
		return; /* dialog_input_new freed t and so cancelled */
	dialog_input_set_secret(scr, !echo);
	tui_push_screen(tui, scr);
	tui->dirty = true;
}
