/* The libvirt driver's connection: opening a URI with an auth callback
 * that asks the user through struct driver_auth, keepalive, closing,
 * and turning libvirt errors into messages and -errno codes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "libvirt_priv.h"

/* Keepalive: a probe every 5 s, the connection counts as dead after 3
 * unanswered ones, so a vanished host shows within about 20 s. */
#define LV_KEEPALIVE_INTERVAL 5
#define LV_KEEPALIVE_COUNT    3

static int lv_errno_of(const virError *e)
{
	if (!e)
		return -EIO;
	switch (e->code) {
	case VIR_ERR_NO_DOMAIN:
	case VIR_ERR_NO_NETWORK:
	case VIR_ERR_NO_STORAGE_POOL:
	case VIR_ERR_NO_STORAGE_VOL:
		return -ENOENT;
	case VIR_ERR_OPERATION_INVALID:
		return -EBUSY;
	case VIR_ERR_INVALID_ARG:
	case VIR_ERR_XML_ERROR:
	case VIR_ERR_XML_DETAIL:
	case VIR_ERR_CONFIG_UNSUPPORTED:
		return -EINVAL;
	case VIR_ERR_NO_SUPPORT:
	case VIR_ERR_ARGUMENT_UNSUPPORTED:
		return -ENOTSUP;
	case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_AUTH_CANCELLED:
	case VIR_ERR_ACCESS_DENIED:
	case VIR_ERR_OPERATION_DENIED:
		return -EACCES;
	case VIR_ERR_NO_CONNECT:
	case VIR_ERR_SYSTEM_ERROR:
	case VIR_ERR_RPC:
		return e->domain == VIR_FROM_RPC || e->code == VIR_ERR_NO_CONNECT ? -ENOTCONN : -EIO;
	case VIR_ERR_DOM_EXIST:
	case VIR_ERR_NETWORK_EXIST:
	case VIR_ERR_STORAGE_VOL_EXIST:
		return -EEXIST;
	default:
		return -EIO;
	}
}

int lv_error(char *err, size_t errlen, const char *fmt, ...)
{
	const virError *e = virGetLastError();
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, virGetLastErrorMessage());
	return lv_errno_of(e);
}

virDomainPtr lv_domain_lookup(struct driver *drv, const char *name, int *rc, char *err,
			      size_t errlen)
{
	virDomainPtr dom;
	int r;

	if (!name || !*name) {
		snprintf(err, errlen, "no VM name given");
		if (rc)
			*rc = -EINVAL;
		return NULL;
	}
	dom = virDomainLookupByName(lv_priv(drv)->conn, name);
	if (dom) {
		if (rc)
			*rc = 0;
		return dom;
	}
	r = lv_errno_of(virGetLastError());
	if (r == -ENOENT)
		snprintf(err, errlen, "VM '%s' not found on %s; 'virtty -c %s list' shows the VMs",
			 name, drv->uri, drv->uri);
	else
		r = lv_error(err, errlen, "VM '%s' on %s", name, drv->uri);
	if (rc)
		*rc = r;
	return NULL;
}

/* ---- credentials ---- */

/* libvirt asks for a list of credentials at once; each goes to the
 * user's callback as one question. */
static int lv_auth_cb(virConnectCredentialPtr cred, unsigned int ncred, void *cbdata)
{
	const struct driver_auth *auth = cbdata;

	for (unsigned int i = 0; i < ncred; i++) {
		bool echo = cred[i].type != VIR_CRED_PASSPHRASE && cred[i].type != VIR_CRED_NOECHOPROMPT;
		char answer[512] = "";
		const char *prompt = cred[i].prompt ? cred[i].prompt : "Password";

		if (!auth || !auth->ask)
			return -1;
		if (cred[i].type == VIR_CRED_EXTERNAL)
			return -1;
		if (auth->ask(auth->opaque, prompt, echo, answer, sizeof(answer)) != 0)
			return -1;
		answer[sizeof(answer) - 1] = '\0';
		/* An empty answer to a question with a default takes it. */
		if (!answer[0] && cred[i].defresult)
			snprintf(answer, sizeof(answer), "%s", cred[i].defresult);
		cred[i].result = strdup(answer);
		if (!cred[i].result)
			return -1;
		cred[i].resultlen = (unsigned int)strlen(answer);
		/* Do not leave a password lying on the stack. */
		memset(answer, 0, sizeof(answer));
	}
	return 0;
}

static int lv_cred_types[] = {
	VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_ECHOPROMPT,
	VIR_CRED_NOECHOPROMPT, VIR_CRED_REALM,
};

/* ---- the driver ---- */

static void lv_close(struct driver *drv)
{
	struct lv_priv *lp = lv_priv(drv);

	if (lp) {
		if (lp->conn) {
			lv_events_detach(drv);
			virConnectClose(lp->conn);
		}
		pthread_mutex_destroy(&lp->lock);
		free(lp);
	}
	free(drv);
}

static const struct driver_ops lv_ops = {
	.name = "libvirt",
	.close = lv_close,
	.list = lv_list,
	.info = lv_info,
	.get_config = lv_get_config,
	.define = lv_define,
	.undefine = lv_undefine,
	.start = lv_start,
	.shutdown = lv_shutdown,
	.destroy = lv_destroy,
	.reboot = lv_reboot,
	.pause = lv_pause,
	.resume = lv_resume,
	.set = lv_set,
	.clone = lv_clone,
	.stats = lv_stats,
	.console_open = lv_console_open,
	.console_dump = lv_console_dump,
	.vnc_open = lv_vnc_open,
	.set_events = lv_set_events,
	.define_preview = lv_define_preview,
	.save = lv_save,
	.restore = lv_restore,
	.net_list = lv_net_list,
	.net_get_config = lv_net_get_config,
	.net_define = lv_net_define,
	.net_undefine = lv_net_undefine,
	.net_start = lv_net_start,
	.net_stop = lv_net_stop,
	.net_set_autostart = lv_net_set_autostart,
	.net_forward = lv_net_forward,
};

struct driver *lv_driver_open(const char *uri, const struct driver_auth *auth, char *err,
			      size_t errlen)
{
	virConnectAuth va = {
		.credtype = lv_cred_types,
		.ncredtype = sizeof(lv_cred_types) / sizeof(lv_cred_types[0]),
		.cb = lv_auth_cb,
		.cbdata = (void *)auth,
	};
	struct driver *drv;
	struct lv_priv *lp;

	if (!uri || !*uri || strlen(uri) >= sizeof(lp->uri)) {
		snprintf(err, errlen, "invalid libvirt URI '%.80s'", uri ? uri : "");
		return NULL;
	}
	/* The event loop must exist before the connection, or keepalive and
	 * events never run for it. */
	if (lv_event_loop_start(err, errlen) < 0)
		return NULL;
	drv = calloc(1, sizeof(*drv));
	lp = calloc(1, sizeof(*lp));
	if (!drv || !lp) {
		free(drv);
		free(lp);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&lp->lock, NULL);
	lp->lifecycle_cb = -1;
	snprintf(lp->uri, sizeof(lp->uri), "%s", uri);
	snprintf(drv->uri, sizeof(drv->uri), "%s", uri);
	drv->ops = &lv_ops;
	drv->priv = lp;

	lp->conn = virConnectOpenAuth(uri, &va, 0);
	if (!lp->conn) {
		lv_error(err, errlen, "cannot connect to %s", uri);
		lv_close(drv);
		return NULL;
	}
	/* Drivers inside this process (test://) have no keepalive: nothing
	 * to probe there. */
	if (virConnectSetKeepAlive(lp->conn, LV_KEEPALIVE_INTERVAL, LV_KEEPALIVE_COUNT) < 0 &&
	    lv_errno_of(virGetLastError()) != -ENOTSUP) {
		lv_error(err, errlen, "%s: cannot enable keepalive", uri);
		lv_close(drv);
		return NULL;
	}
	if (lv_events_attach(drv, err, errlen) < 0) {
		lv_close(drv);
		return NULL;
	}
	return drv;
}
