/* Control commands of virtty-vmm: status, stats, pause, resume, powerdown,
 * reset, quit, subscribe, serial-dump, net-forward, help. Each is a table entry; the
 * generic server (control.c) does parsing, replies and events. */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chardev.h"
#include "control.h"
#include "control_help.h"
#include "vmm_control.h"

struct vmm_control {
	struct vmm *vmm;
	struct chardev *serial;
};

static struct vmm_control *vmm_control_of(struct control_request *req)
{
	return req->opaque;
}

static void vmm_control_state_event(struct control_server *srv, const char *state)
{
	struct json_object *ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string("state"));
	json_object_object_add(ev, "state", json_object_new_string(state));
	control_server_broadcast(srv, ev);
}

void vmm_control_notify_state(struct control_server *srv, enum vmm_state state)
{
	vmm_control_state_event(srv, vmm_state_name(state));
}

/* Message for the -errno results of the vmm_* actions. */
static int vmm_control_fail(struct control_request *req, const char *what, int r)
{
	switch (r) {
	case -EALREADY:
		snprintf(req->error, sizeof(req->error), "%s", what);
		break;
	case -EBUSY:
		snprintf(req->error, sizeof(req->error), "the VM is stopping");
		break;
	case -ETIMEDOUT:
		/* Only pause: a vCPU is still in a device access. */
		snprintf(req->error, sizeof(req->error),
			 "the VM is still finishing I/O; it will pause when that completes");
		break;
	default:
		snprintf(req->error, sizeof(req->error), "%s", strerror(-r));
		break;
	}
	return r;
}

/* "vnc": {socket, tcp_port, clients, width, height} when there is one. */
static void vmm_control_add_display(struct json_object *d, struct vmm *vmm)
{
	struct vmm_display_info di;
	struct json_object *v;

	if (vmm_get_display(vmm, &di) < 0)
		return;
	v = json_object_new_object();
	json_object_object_add(v, "socket",
			       di.socket[0] ? json_object_new_string(di.socket) : NULL);
	json_object_object_add(v, "tcp_port", di.tcp_port ? json_object_new_int(di.tcp_port) : NULL);
	json_object_object_add(v, "clients", json_object_new_int(di.clients));
	json_object_object_add(v, "width", json_object_new_int((int)di.width));
	json_object_object_add(v, "height", json_object_new_int((int)di.height));
	json_object_object_add(d, "vnc", v);
}

static int cmd_status(struct control_request *req)
{
	struct vmm_status st;
	struct json_object *d;
	int r = vmm_get_status(vmm_control_of(req)->vmm, &st);

	if (r < 0)
		return vmm_control_fail(req, "status unavailable", r);
	d = json_object_new_object();
	json_object_object_add(d, "state", json_object_new_string(vmm_state_name(st.state)));
	json_object_object_add(d, "name", json_object_new_string(st.name));
	json_object_object_add(d, "vcpus", json_object_new_int(st.nr_vcpus));
	json_object_object_add(d, "memory_mib", json_object_new_uint64(st.memory_mib));
	json_object_object_add(d, "uptime_ms", json_object_new_uint64(st.uptime_ms));
	json_object_object_add(d, "pid", json_object_new_int(st.pid));
	vmm_control_add_display(d, vmm_control_of(req)->vmm);
	req->data = d;
	return 0;
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static int cmd_stats(struct control_request *req)
{
	struct vmm_control *ctl = vmm_control_of(req);
	struct vmm_stats *st = calloc(1, sizeof(*st));
	struct vmm_status status;
	struct json_object *d, *arr;
	int r;

	if (!st)
		return vmm_control_fail(req, "", -ENOMEM);
	r = vmm_get_stats(ctl->vmm, st);
	if (r < 0) {
		free(st);
		return vmm_control_fail(req, "stats unavailable", r);
	}
	d = json_object_new_object();
	arr = json_object_new_array();
	for (int i = 0; i < st->nr_vcpus && i < VMM_MAX_VCPUS; i++) {
		struct json_object *v = json_object_new_object();

		json_object_object_add(v, "id", json_object_new_int(i));
		add_u64(v, "cpu_time_ns", st->vcpu[i].cpu_time_ns);
		add_u64(v, "exits", st->vcpu[i].exits);
		add_u64(v, "io_exits", st->vcpu[i].io_exits);
		add_u64(v, "mmio_exits", st->vcpu[i].mmio_exits);
		add_u64(v, "hlt_exits", st->vcpu[i].hlt_exits);
		json_object_array_add(arr, v);
	}
	json_object_object_add(d, "vcpus", arr);
	arr = json_object_new_array();
	for (int i = 0; i < st->nr_disks && i < VMM_MAX_DISKS; i++) {
		const struct vmm_disk_stats *ds = &st->disk[i];
		struct json_object *v = json_object_new_object();

		st->disk[i].path[sizeof(ds->path) - 1] = 0;
		json_object_object_add(v, "path", json_object_new_string(ds->path));
		json_object_object_add(v, "readonly", json_object_new_boolean(ds->readonly));
		add_u64(v, "rd_reqs", ds->rd_reqs);
		add_u64(v, "wr_reqs", ds->wr_reqs);
		add_u64(v, "flush_reqs", ds->flush_reqs);
		add_u64(v, "rd_bytes", ds->rd_bytes);
		add_u64(v, "wr_bytes", ds->wr_bytes);
		add_u64(v, "errors", ds->errors);
		json_object_array_add(arr, v);
	}
	json_object_object_add(d, "disks", arr);
	add_u64(d, "rng_bytes", st->rng_bytes);
	arr = json_object_new_array();
	for (int i = 0; i < st->nr_nics && i < VMM_MAX_NICS; i++) {
		const struct vmm_nic_stats *ns = &st->nic[i];
		struct json_object *v = json_object_new_object();
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ns->mac[0], ns->mac[1],
			 ns->mac[2], ns->mac[3], ns->mac[4], ns->mac[5]);
		json_object_object_add(v, "id", json_object_new_int(i));
		json_object_object_add(v, "mac", json_object_new_string(mac));
		json_object_object_add(v, "backend", json_object_new_string(ns->kind));
		add_u64(v, "rx_bytes", ns->io.rx_bytes);
		add_u64(v, "rx_packets", ns->io.rx_packets);
		add_u64(v, "rx_dropped", ns->io.rx_dropped);
		add_u64(v, "rx_held", ns->rx_held);
		add_u64(v, "tx_bytes", ns->io.tx_bytes);
		add_u64(v, "tx_packets", ns->io.tx_packets);
		add_u64(v, "tx_dropped", ns->io.tx_dropped);
		add_u64(v, "tx_errors", ns->io.tx_errors);
		json_object_array_add(arr, v);
	}
	json_object_object_add(d, "nics", arr);
	add_u64(d, "vmm_rss_bytes", st->vmm_rss_bytes);
	add_u64(d, "guest_rss_bytes", st->guest_rss_bytes);
	/* The guest size too, so that a stats poll needs no status request. */
	if (!vmm_get_status(ctl->vmm, &status))
		add_u64(d, "memory_mib", status.memory_mib);
	if (ctl->serial) {
		struct json_object *s = json_object_new_object();

		add_u64(s, "bytes", chardev_total_bytes(ctl->serial));
		add_u64(s, "dropped_bytes", chardev_dropped_bytes(ctl->serial));
		json_object_object_add(d, "serial", s);
	}
	free(st);
	req->data = d;
	return 0;
}

static int cmd_pause(struct control_request *req)
{
	int r = vmm_pause(vmm_control_of(req)->vmm);

	if (r < 0)
		return vmm_control_fail(req, "the VM is already paused", r);
	vmm_control_state_event(req->srv, "paused");
	return 0;
}

static int cmd_resume(struct control_request *req)
{
	int r = vmm_resume(vmm_control_of(req)->vmm);

	if (r < 0)
		return vmm_control_fail(req, "the VM is not paused", r);
	vmm_control_state_event(req->srv, "running");
	return 0;
}

static int cmd_powerdown(struct control_request *req)
{
	int r = vmm_powerdown(vmm_control_of(req)->vmm);
	struct json_object *ev;

	if (r < 0)
		return vmm_control_fail(req, "power button already pressed", r);
	ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("powerdown"));
	control_server_broadcast(req->srv, ev);
	return 0;
}

static int cmd_reset(struct control_request *req)
{
	int r = vmm_reset(vmm_control_of(req)->vmm);
	struct json_object *ev;

	if (r < 0)
		return vmm_control_fail(req, "reset already in progress", r);
	ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("reset"));
	control_server_broadcast(req->srv, ev);
	return 0;
}

static void vmm_control_quit_now(void *arg)
{
	vmm_request_exit(arg, VMM_EXIT_QUIT);
}

static int cmd_quit(struct control_request *req)
{
	/* Exit only once the reply is out, or the client would never know. */
	req->after_reply = vmm_control_quit_now;
	req->after_reply_arg = vmm_control_of(req)->vmm;
	vmm_control_state_event(req->srv, "stopping");
	return 0;
}

static int cmd_subscribe(struct control_request *req)
{
	control_request_subscribe(req);
	return 0;
}

/* Length of the valid UTF-8 sequence at p (0 if invalid). */
static size_t utf8_seq_len(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xE0) == 0xC0) {
		len = 2;
		cp = p[0] & 0x1F;
	} else if ((p[0] & 0xF0) == 0xE0) {
		len = 3;
		cp = p[0] & 0x0F;
	} else if ((p[0] & 0xF8) == 0xF0) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* Guest output as a JSON-safe string: invalid UTF-8 becomes U+FFFD. */
static struct json_object *vmm_control_text(const uint8_t *buf, size_t n)
{
	char *out = malloc(n * 3 + 1);
	size_t o = 0;
	struct json_object *s;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq_len(buf + i, n - i);

		if (l) {
			memcpy(out + o, buf + i, l);
			o += l;
			i += l;
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	s = json_object_new_string_len(out, o);
	free(out);
	return s;
}

static struct json_object *vmm_control_base64(const uint8_t *buf, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((n + 2) / 3 * 4 + 1);
	size_t o = 0;
	struct json_object *s;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v =
		    buf[i] << 16 | (i + 1 < n ? buf[i + 1] << 8 : 0) | (i + 2 < n ? buf[i + 2] : 0);

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	s = json_object_new_string_len(out, o);
	free(out);
	return s;
}

static int cmd_serial_dump(struct control_request *req)
{
	struct vmm_control *ctl = vmm_control_of(req);
	struct json_object *v, *text, *d;
	const char *encoding = "text";
	int64_t max = -1;
	uint8_t *buf;
	size_t n;

	if (!ctl->serial) {
		snprintf(req->error, sizeof(req->error), "this VM has no serial port");
		return -ENODEV;
	}
	if (json_object_object_get_ex(req->msg, "max_bytes", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
			snprintf(req->error, sizeof(req->error),
				 "\"max_bytes\" must be a non-negative integer");
			return -EINVAL;
		}
		max = json_object_get_int64(v);
	}
	if (json_object_object_get_ex(req->msg, "encoding", &v)) {
		encoding = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) ||
		    (strcmp(encoding, "text") && strcmp(encoding, "base64"))) {
			snprintf(req->error, sizeof(req->error),
				 "\"encoding\" must be \"text\" or \"base64\"");
			return -EINVAL;
		}
	}
	buf = malloc(chardev_replay_capacity(ctl->serial));
	if (!buf)
		return vmm_control_fail(req, "", -ENOMEM);
	n = chardev_replay_copy(ctl->serial, buf, chardev_replay_capacity(ctl->serial));
	if (max >= 0 && (uint64_t)max < n) {
		memmove(buf, buf + n - max, max);
		n = max;
	}
	text = strcmp(encoding, "base64") ? vmm_control_text(buf, n) : vmm_control_base64(buf, n);
	free(buf);
	if (!text)
		return vmm_control_fail(req, "", -ENOMEM);
	d = json_object_new_object();
	json_object_object_add(d, "encoding", json_object_new_string(encoding));
	add_u64(d, "bytes", n);
	add_u64(d, "total_bytes", chardev_total_bytes(ctl->serial));
	json_object_object_add(d, "output", text);
	req->data = d;
	return 0;
}

/* Integer member `key` in 1..max (or 0..max when zero_ok), else an error. */
static int vmm_control_get_uint(struct control_request *req, const char *key, int64_t max,
				bool zero_ok, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req->msg, key, &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < (zero_ok ? 0 : 1) ||
	    json_object_get_int64(v) > max) {
		snprintf(req->error, sizeof(req->error), "\"%s\" must be an integer from %d to %lld",
			 key, zero_ok ? 0 : 1, (long long)max);
		return -EINVAL;
	}
	*out = json_object_get_int64(v);
	return 0;
}

/* Optional string member; NULL when absent. -EINVAL when not a string. */
static int vmm_control_get_str(struct control_request *req, const char *key, const char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(req->msg, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(req->error, sizeof(req->error), "\"%s\" must be a string", key);
		return -EINVAL;
	}
	*out = json_object_get_string(v);
	return 0;
}

/* {"cmd":"net-forward","nic":0,"op":"add"|"remove","proto":"tcp"|"udp",
 *  "host_addr":"127.0.0.1","host_port":H,"guest_port":G[,"guest_addr":A]} */
static int cmd_net_forward(struct control_request *req)
{
	struct netdev_hostfwd f = {0};
	const char *op, *proto, *haddr, *gaddr;
	int64_t nic, hport, gport = 0;
	bool add;
	int r;

	if (vmm_control_get_str(req, "op", &op) || vmm_control_get_str(req, "proto", &proto) ||
	    vmm_control_get_str(req, "host_addr", &haddr) ||
	    vmm_control_get_str(req, "guest_addr", &gaddr))
		return -EINVAL;
	if (!op || (strcmp(op, "add") && strcmp(op, "remove"))) {
		snprintf(req->error, sizeof(req->error), "\"op\" must be \"add\" or \"remove\"");
		return -EINVAL;
	}
	add = !strcmp(op, "add");
	if (!proto || (strcmp(proto, "tcp") && strcmp(proto, "udp"))) {
		snprintf(req->error, sizeof(req->error), "\"proto\" must be \"tcp\" or \"udp\"");
		return -EINVAL;
	}
	f.udp = !strcmp(proto, "udp");
	if (vmm_control_get_uint(req, "nic", VMM_MAX_NICS - 1, true, &nic) ||
	    vmm_control_get_uint(req, "host_port", 65535, false, &hport) ||
	    (add && vmm_control_get_uint(req, "guest_port", 65535, false, &gport)))
		return -EINVAL;
	f.host_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (haddr && inet_pton(AF_INET, haddr, &f.host_addr) != 1) {
		snprintf(req->error, sizeof(req->error), "\"host_addr\" '%s' is not an IPv4 address",
			 haddr);
		return -EINVAL;
	}
	if (gaddr && inet_pton(AF_INET, gaddr, &f.guest_addr) != 1) {
		snprintf(req->error, sizeof(req->error), "\"guest_addr\" '%s' is not an IPv4 address",
			 gaddr);
		return -EINVAL;
	}
	f.host_port = (uint16_t)hport;
	f.guest_port = (uint16_t)gport;
	r = vmm_nic_hostfwd(vmm_control_of(req)->vmm, (int)nic, &f, add, req->error,
			    sizeof(req->error));
	return r;
}

static const struct control_cmd vmm_control_cmds[] = {
    {.name = "status", .fn = cmd_status, .usage = "state, name, vcpus, memory, uptime, pid, vnc"},
    {.name = "stats", .fn = cmd_stats, .usage = "per-vCPU, per-disk, per-NIC and memory counters"},
    {.name = "pause", .fn = cmd_pause, .usage = "stop the vCPUs"},
    {.name = "resume", .fn = cmd_resume, .usage = "run paused vCPUs again"},
    {.name = "powerdown", .fn = cmd_powerdown, .usage = "press the ACPI power button"},
    {.name = "reset", .fn = cmd_reset, .usage = "hard reset"},
    {.name = "quit", .fn = cmd_quit, .usage = "stop the VMM (exit status 5)"},
    {.name = "subscribe", .fn = cmd_subscribe, .usage = "receive events on this connection"},
    {.name = "serial-dump",
     .fn = cmd_serial_dump,
     .usage = "recent serial output [max_bytes] [encoding: text|base64]"},
    {.name = "net-forward",
     .fn = cmd_net_forward,
     .usage = "add/remove a port forward: nic, op add|remove, proto tcp|udp, [host_addr], "
	      "host_port, guest_port [guest_addr]"},
    {.name = "help", .fn = control_cmd_help, .usage = "list commands"},
    {.name = NULL},
};

struct control_server *vmm_control_start(struct evloop *loop, const char *path, struct vmm *vmm,
					 struct chardev *serial, char *err, size_t errlen)
{
	struct vmm_control *ctl = calloc(1, sizeof(*ctl));
	struct control_server *srv;

	if (!ctl) {
		snprintf(err, errlen, "control socket: out of memory");
		return NULL;
	}
	*ctl = (struct vmm_control){.vmm = vmm, .serial = serial};
	srv = control_server_new(loop, path, vmm_control_cmds, ctl, err, errlen);
	if (!srv)
		free(ctl);
	return srv;
}

void vmm_control_stop(struct control_server *srv)
{
	struct vmm_control *ctl;

	if (!srv)
		return;
	ctl = control_server_opaque(srv);
	control_server_free(srv);
	free(ctl);
}
