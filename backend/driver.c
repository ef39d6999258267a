/* The driver layer's shared pieces: opening a connection by URI, VM
 * names, state names and CPU percentages, the same for every driver. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"
#include "libvirt/libvirt_driver.h"
#include "local/local.h"

const char *vm_state_name(enum vm_state state)
{
	switch (state) {
	case VM_STATE_SHUTOFF:
		return "shut off";
	case VM_STATE_STARTING:
		return "starting";
	case VM_STATE_RUNNING:
		return "running";
	case VM_STATE_PAUSED:
		return "paused";
	case VM_STATE_SHUTTING_DOWN:
		return "shutting down";
	case VM_STATE_CRASHED:
		return "crashed";
	case VM_STATE_UNKNOWN:
		break;
	}
	return "unknown";
}

static const char *const net_mode_names[NET_MODE_COUNT] = {
    [NET_MODE_NAT] = "nat",	      [NET_MODE_NATNET] = "natnet",
    [NET_MODE_INTERNAL] = "internal", [NET_MODE_HOSTONLY] = "hostonly",
    [NET_MODE_BRIDGED] = "bridged",
};

const char *net_mode_name(enum net_mode mode)
{
	if ((unsigned)mode >= NET_MODE_COUNT)
		return "unknown";
	return net_mode_names[mode];
}

int net_mode_parse(const char *text, enum net_mode *out, char *err, size_t errlen)
{
	for (int m = 0; m < NET_MODE_COUNT; m++)
		if (text && strcmp(text, net_mode_names[m]) == 0) {
			*out = (enum net_mode)m;
			return 0;
		}
	snprintf(err, errlen,
		 "unknown network mode '%.*s': use nat, natnet, internal, hostonly or bridged", 40,
		 text ? text : "");
	return -EINVAL;
}

const char *net_state_name(enum net_state state)
{
	switch (state) {
	case NET_STATE_INACTIVE:
		return "inactive";
	case NET_STATE_ACTIVE:
		return "active";
	case NET_STATE_FAILED:
		return "failed";
	}
	return "unknown";
}

double vm_stats_cpu_percent(const struct vm_stats *older, const struct vm_stats *newer)
{
	/* No interval, or counters that went back (the VM restarted between
	 * the samples): there is no meaningful figure, so show idle. */
	if (!older || !newer || newer->timestamp_ns <= older->timestamp_ns ||
	    newer->cpu_time_ns < older->cpu_time_ns)
		return 0.0;
	return 100.0 * (double)(newer->cpu_time_ns - older->cpu_time_ns) /
	       (double)(newer->timestamp_ns - older->timestamp_ns);
}

bool vm_name_valid(const char *name, char *err, size_t errlen)
{
	size_t len = name ? strlen(name) : 0;
	bool ok = len >= 1 && len <= VM_NAME_MAX && isalnum((unsigned char)name[0]);

	/* isalnum() under a non-C locale could accept letters outside ASCII;
	 * names end up in paths and sockets, so check the exact set. */
	for (size_t i = 0; ok && i < len; i++) {
		unsigned char c = name[i];

		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     (i > 0 && (c == '.' || c == '_' || c == '-'));
	}
	if (!ok && err && errlen)
		snprintf(err, errlen,
			 "invalid name '%.*s%s': use 1-%d letters, digits, '.', '_' or '-', "
			 "starting with a letter or digit",
			 80, name ? name : "", len > 80 ? "..." : "", VM_NAME_MAX);
	return ok;
}

bool driver_uri_is_local(const char *uri)
{
	return !uri || !*uri || strcmp(uri, "local") == 0;
}

struct driver *driver_open_auth(const char *uri, const struct driver_auth *auth, char *err,
				size_t errlen)
{
	struct driver *drv;

	if (!driver_uri_is_local(uri))
		return lv_driver_open(uri, auth, err, errlen);
	drv = local_driver_open(err, errlen);
	if (drv && !drv->uri[0])
		snprintf(drv->uri, sizeof(drv->uri), "local");
	return drv;
}

struct driver *driver_open(const char *uri, char *err, size_t errlen)
{
	/* No one to ask: SSH keys or an agent, or a URI without credentials. */
	return driver_open_auth(uri, NULL, err, errlen);
}

void driver_close(struct driver *drv)
{
	/* The driver frees itself: only it knows what it allocated. */
	if (drv && drv->ops && drv->ops->close)
		drv->ops->close(drv);
}
