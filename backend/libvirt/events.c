/* libvirt events: one default event loop per process on its own thread,
 * domain lifecycle events turned into driver_events.vm_changed, and the
 * connection close callback into driver_events.disconnected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt_priv.h"

/* ---- the process-wide event loop ---- */

static pthread_once_t lv_loop_once = PTHREAD_ONCE_INIT;
static int lv_loop_rc;
static char lv_loop_err[256];

static void *lv_loop_thread(void *arg)
{
	(void)arg;
	/* Runs for the life of the process: libvirt has no way to
	 * unregister the default implementation again. */
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

/* libvirt prints every error on stderr by default: that would tear a
 * curses screen. Errors reach the user through err instead. */
static void lv_quiet_errors(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

static void lv_loop_init(void)
{
	pthread_attr_t attr;
	pthread_t tid;

	if (virInitialize() < 0) {
		lv_loop_rc = lv_error(lv_loop_err, sizeof(lv_loop_err), "cannot initialize libvirt");
		return;
	}
	virSetErrorFunc(NULL, lv_quiet_errors);
	if (virEventRegisterDefaultImpl() < 0) {
		lv_loop_rc = lv_error(lv_loop_err, sizeof(lv_loop_err),
				      "cannot set up libvirt's event loop");
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	lv_loop_rc = -pthread_create(&tid, &attr, lv_loop_thread, NULL);
	pthread_attr_destroy(&attr);
	if (lv_loop_rc)
		snprintf(lv_loop_err, sizeof(lv_loop_err),
			 "cannot start libvirt's event loop thread: %s", strerror(-lv_loop_rc));
}

int lv_event_loop_start(char *err, size_t errlen)
{
	pthread_once(&lv_loop_once, lv_loop_init);
	if (lv_loop_rc)
		snprintf(err, errlen, "%s", lv_loop_err);
	return lv_loop_rc;
}

/* ---- what the callbacks see ---- */

/* Shared by the driver and libvirt's callbacks: the driver may close
 * while a callback runs on the loop thread, so the context lives until
 * libvirt drops its last reference (the freecb). */
struct lv_event_ctx {
	pthread_mutex_t lock;
	int refs;
	struct driver_events events; /* all NULL: nobody listens */
};

static struct lv_event_ctx *lv_ctx_ref(struct lv_event_ctx *ctx)
{
	pthread_mutex_lock(&ctx->lock);
	ctx->refs++;
	pthread_mutex_unlock(&ctx->lock);
	return ctx;
}

static void lv_ctx_unref(void *opaque)
{
	struct lv_event_ctx *ctx = opaque;
	bool last;

	pthread_mutex_lock(&ctx->lock);
	last = --ctx->refs == 0;
	pthread_mutex_unlock(&ctx->lock);
	if (last) {
		pthread_mutex_destroy(&ctx->lock);
		free(ctx);
	}
}

/* A copy of the listener, so the user's callback runs without our lock. */
static struct driver_events lv_ctx_events(struct lv_event_ctx *ctx)
{
	struct driver_events ev;

	pthread_mutex_lock(&ctx->lock);
	ev = ctx->events;
	pthread_mutex_unlock(&ctx->lock);
	return ev;
}

/* ---- lifecycle ---- */

static int lv_lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail,
			   void *opaque)
{
	struct driver_events ev = lv_ctx_events(opaque);
	enum vm_state state = VM_STATE_UNKNOWN;
	bool gone = false;
	int vir_state, reason;

	(void)conn;
	(void)detail;
	if (!ev.vm_changed)
		return 0;
	switch (event) {
	case VIR_DOMAIN_EVENT_UNDEFINED:
		/* A running transient leftover keeps running: only a
		 * domain that is also inactive is really gone. */
		gone = virDomainIsActive(dom) != 1;
		state = VM_STATE_SHUTOFF;
		break;
	case VIR_DOMAIN_EVENT_STARTED:
	case VIR_DOMAIN_EVENT_RESUMED:
		state = VM_STATE_RUNNING;
		break;
	case VIR_DOMAIN_EVENT_SUSPENDED:
	case VIR_DOMAIN_EVENT_PMSUSPENDED:
		state = VM_STATE_PAUSED;
		break;
	case VIR_DOMAIN_EVENT_STOPPED:
		state = detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED ? VM_STATE_CRASHED
								  : VM_STATE_SHUTOFF;
		break;
	case VIR_DOMAIN_EVENT_CRASHED:
		state = VM_STATE_CRASHED;
		break;
	default:
		/* DEFINED, SHUTDOWN (the guest began powering off) and
		 * future events: ask for the state as it is now. */
		if (virDomainGetState(dom, &vir_state, &reason, 0) == 0)
			state = lv_state_from_virt(vir_state);
		break;
	}
	ev.vm_changed(ev.opaque, virDomainGetName(dom), state, gone);
	return 0;
}

/* ---- connection lost ---- */

static void lv_close_cb(virConnectPtr conn, int reason, void *opaque)
{
	struct driver_events ev = lv_ctx_events(opaque);
	const char *why;

	(void)conn;
	switch (reason) {
	case VIR_CONNECT_CLOSE_REASON_EOF:
		why = "the host closed the connection";
		break;
	case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
		why = "the host stopped answering (keepalive timeout)";
		break;
	case VIR_CONNECT_CLOSE_REASON_ERROR:
		why = "the connection failed (I/O error)";
		break;
	default:
		why = "the connection was closed";
		break;
	}
	if (ev.disconnected)
		ev.disconnected(ev.opaque, why);
}

int lv_events_attach(struct driver *drv, char *err, size_t errlen)
{
	struct lv_priv *lp = lv_priv(drv);
	struct lv_event_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&ctx->lock, NULL);
	ctx->refs = 1; /* the driver's */
	lp->ev = ctx;
	/* Drivers without a close callback (test://) never lose their
	 * connection: nothing to report, so no error. */
	if (virConnectRegisterCloseCallback(lp->conn, lv_close_cb, lv_ctx_ref(ctx), lv_ctx_unref) <
	    0)
		lv_ctx_unref(ctx);
	else
		lp->close_cb = true;
	return 0;
}

void lv_events_detach(struct driver *drv)
{
	struct lv_priv *lp = lv_priv(drv);

	pthread_mutex_lock(&lp->lock);
	if (lp->lifecycle_cb >= 0)
		virConnectDomainEventDeregisterAny(lp->conn, lp->lifecycle_cb);
	lp->lifecycle_cb = -1;
	if (lp->close_cb)
		virConnectUnregisterCloseCallback(lp->conn, lv_close_cb);
	lp->close_cb = false;
	if (lp->ev) {
		/* A callback already running sees nobody listening. */
		pthread_mutex_lock(&lp->ev->lock);
		memset(&lp->ev->events, 0, sizeof(lp->ev->events));
		pthread_mutex_unlock(&lp->ev->lock);
		lv_ctx_unref(lp->ev);
		lp->ev = NULL;
	}
	pthread_mutex_unlock(&lp->lock);
}

int lv_set_events(struct driver *drv, const struct driver_events *ev, char *err, size_t errlen)
{
	struct lv_priv *lp = lv_priv(drv);
	int r = 0;

	pthread_mutex_lock(&lp->lock);
	if (!lp->ev) {
		pthread_mutex_unlock(&lp->lock);
		snprintf(err, errlen, "%s: connection closed", drv->uri);
		return -ENOTCONN;
	}
	pthread_mutex_lock(&lp->ev->lock);
	if (ev)
		lp->ev->events = *ev;
	else
		memset(&lp->ev->events, 0, sizeof(lp->ev->events));
	pthread_mutex_unlock(&lp->ev->lock);

	if (ev && lp->lifecycle_cb < 0) {
		int id = virConnectDomainEventRegisterAny(lp->conn, NULL,
							  VIR_DOMAIN_EVENT_ID_LIFECYCLE,
							  VIR_DOMAIN_EVENT_CALLBACK(lv_lifecycle_cb),
							  lv_ctx_ref(lp->ev), lv_ctx_unref);
		if (id < 0) {
			lv_ctx_unref(lp->ev);
			r = lv_error(err, errlen, "%s: cannot subscribe to domain events", drv->uri);
		} else {
			lp->lifecycle_cb = id;
		}
	} else if (!ev && lp->lifecycle_cb >= 0) {
		virConnectDomainEventDeregisterAny(lp->conn, lp->lifecycle_cb);
		lp->lifecycle_cb = -1;
	}
	pthread_mutex_unlock(&lp->lock);
	return r;
}
