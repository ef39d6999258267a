/* Consoles and screens of libvirt domains as plain connected sockets, so
 * the CLI and TUI viewers work unchanged: the serial console through
 * virDomainOpenConsole and a virStream pumped on libvirt's event loop
 * thread (the stream rides the libvirt connection, so it works remotely);
 * the VNC server found in the live domain XML, reached directly on the
 * host, through virDomainOpenGraphicsFD, or through an `ssh -W` tunnel
 * for qemu+ssh:// hosts. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libvirt/virterror.h>

#include "libvirt_priv.h"

/* Bytes held per direction while the other side is slow. */
#define LV_PUMP_BUF 65536
/* How long the SSH tunnel may take to bring the server's RFB greeting
 * (key exchange and login to a slow host included). */
#define LV_TUNNEL_WAIT_MS 30000

/* Is dom running (or paused)? -ESRCH with a hint if not. */
static int lv_domain_must_run(struct driver *drv, virDomainPtr dom, const char *name,
			      const char *what, char *err, size_t errlen)
{
	int state, reason;

	if (virDomainGetState(dom, &state, &reason, 0) < 0)
		return lv_error(err, errlen, "VM '%s' on %s: cannot read its state", name,
				drv->uri);
	if (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED ||
	    state == VIR_DOMAIN_PAUSED)
		return 0;
	snprintf(err, errlen,
		 "VM '%s' is %s, so it has no %s; start it with 'virtty -c %s start %s'", name,
		 vm_state_name(lv_state_from_virt(state)), what, drv->uri, name);
	return -ESRCH;
}

/* ---- the serial console: a virStream pumped to a socket ---- */

struct lv_buf {
	size_t len;
	char data[LV_PUMP_BUF];
};

/* One open console. Everything after setup happens on the event loop
 * thread; lock only keeps the callbacks out until setup is complete. */
struct lv_pump {
	pthread_mutex_t lock;
	virStreamPtr st;
	int sock;  /* our end of the socketpair */
	int watch; /* virEventAddHandle id of sock */
	bool done;
	bool graceful;	       /* the stream ended cleanly: finish, not abort */
	struct lv_buf to_sock; /* from the guest, for the user */
	struct lv_buf to_st;   /* from the user, for the guest */
};

static void lv_buf_consume(struct lv_buf *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/* Last step, from a timer so that no libvirt callback of this pump is on
 * the stack: end the stream, free it, close our end (the user sees EOF). */
static void lv_pump_free_cb(int timer, void *opaque)
{
	struct lv_pump *p = opaque;

	virEventRemoveTimeout(timer);
	if (p->graceful)
		virStreamFinish(p->st);
	else
		virStreamAbort(p->st);
	virResetLastError();
	virStreamFree(p->st);
	close(p->sock);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Either side ended or failed: EOF on one side closes both. */
static void lv_pump_stop(struct lv_pump *p, bool graceful)
{
	if (p->done)
		return;
	p->done = true;
	p->graceful = graceful;
	virStreamEventRemoveCallback(p->st);
	virEventRemoveHandle(p->watch);
	if (virEventAddTimeout(0, lv_pump_free_cb, p, NULL) < 0) {
		/* No timer: free nothing rather than risk a use after free,
		 * but close the user's side so the viewer sees the end. */
		shutdown(p->sock, SHUT_RDWR);
	}
}

/* Send what the guest wrote to the user; -1 when the user's side is gone. */
static int lv_pump_flush_sock(struct lv_pump *p)
{
	while (p->to_sock.len) {
		ssize_t n = send(p->sock, p->to_sock.data, p->to_sock.len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		lv_buf_consume(&p->to_sock, (size_t)n);
	}
	return 0;
}

/* Send what the user typed to the guest; -1 when the stream failed. */
static int lv_pump_flush_stream(struct lv_pump *p)
{
	while (p->to_st.len) {
		int n = virStreamSend(p->st, p->to_st.data, p->to_st.len);

		if (n == -2)
			return 0; /* would block: the WRITABLE event comes back */
		if (n < 0)
			return -1;
		lv_buf_consume(&p->to_st, (size_t)n);
	}
	return 0;
}

/* Watch for what can move now: read only where there is room, write only
 * what is waiting. */
static void lv_pump_update(struct lv_pump *p)
{
	int st_ev = 0, sock_ev = 0;

	if (p->to_sock.len < sizeof(p->to_sock.data))
		st_ev |= VIR_STREAM_EVENT_READABLE;
	if (p->to_st.len)
		st_ev |= VIR_STREAM_EVENT_WRITABLE;
	if (p->to_st.len < sizeof(p->to_st.data))
		sock_ev |= VIR_EVENT_HANDLE_READABLE;
	if (p->to_sock.len)
		sock_ev |= VIR_EVENT_HANDLE_WRITABLE;
	virStreamEventUpdateCallback(p->st, st_ev);
	virEventUpdateHandle(p->watch, sock_ev);
}

static void lv_pump_stream_cb(virStreamPtr st, int events, void *opaque)
{
	struct lv_pump *p = opaque;

	pthread_mutex_lock(&p->lock);
	if (p->done)
		goto out;
	if (events & VIR_STREAM_EVENT_READABLE) {
		while (p->to_sock.len < sizeof(p->to_sock.data)) {
			size_t room = sizeof(p->to_sock.data) - p->to_sock.len;
			int n = virStreamRecv(st, p->to_sock.data + p->to_sock.len, room);

			if (n == -2)
				break;
			if (n <= 0) {
				/* The console closed (VM stopped) or failed:
				 * hand over what came before it. */
				lv_pump_flush_sock(p);
				lv_pump_stop(p, n == 0);
				goto out;
			}
			p->to_sock.len += (size_t)n;
		}
	}
	if ((events & VIR_STREAM_EVENT_WRITABLE) && lv_pump_flush_stream(p) < 0) {
		lv_pump_stop(p, false);
		goto out;
	}
	if (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)) {
		lv_pump_flush_sock(p);
		lv_pump_stop(p, !(events & VIR_STREAM_EVENT_ERROR));
		goto out;
	}
	if (lv_pump_flush_sock(p) < 0) {
		lv_pump_stop(p, false);
		goto out;
	}
	lv_pump_update(p);
out:
	pthread_mutex_unlock(&p->lock);
}

static void lv_pump_sock_cb(int watch, int fd, int events, void *opaque)
{
	struct lv_pump *p = opaque;

	(void)watch;
	pthread_mutex_lock(&p->lock);
	if (p->done)
		goto out;
	if (events & VIR_EVENT_HANDLE_READABLE) {
		size_t room = sizeof(p->to_st.data) - p->to_st.len;
		ssize_t n = room ? read(fd, p->to_st.data + p->to_st.len, room) : -1;

		if (n == 0 || (n < 0 && room && errno != EAGAIN && errno != EINTR)) {
			/* The user left: whatever they typed last still goes. */
			lv_pump_flush_stream(p);
			lv_pump_stop(p, false);
			goto out;
		}
		if (n > 0)
			p->to_st.len += (size_t)n;
		if (lv_pump_flush_stream(p) < 0) {
			lv_pump_stop(p, false);
			goto out;
		}
	} else if (events & (VIR_EVENT_HANDLE_HANGUP | VIR_EVENT_HANDLE_ERROR)) {
		lv_pump_stop(p, false);
		goto out;
	}
	if ((events & VIR_EVENT_HANDLE_WRITABLE) && lv_pump_flush_sock(p) < 0) {
		lv_pump_stop(p, false);
		goto out;
	}
	lv_pump_update(p);
out:
	pthread_mutex_unlock(&p->lock);
}

/* Hook an opened stream and our socket end onto the event loop. On
 * failure nothing is registered and the caller still owns st and sock. */
static int lv_pump_start(virStreamPtr st, int sock, const char *name, char *err, size_t errlen)
{
	struct lv_pump *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "console of VM '%s': out of memory", name);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->st = st;
	p->sock = sock;
	pthread_mutex_lock(&p->lock);
	p->watch = virEventAddHandle(sock, 0, lv_pump_sock_cb, p, NULL);
	if (p->watch < 0) {
		snprintf(err, errlen, "console of VM '%s': cannot watch its socket: %s", name,
			 virGetLastErrorMessage());
		goto fail;
	}
	if (virStreamEventAddCallback(st, 0, lv_pump_stream_cb, p, NULL) < 0) {
		lv_error(err, errlen, "console of VM '%s': cannot watch the stream", name);
		virEventRemoveHandle(p->watch);
		goto fail;
	}
	lv_pump_update(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
fail:
	/* A removed handle may still be looked at until the loop's next
	 * round: keep p (a few bytes) rather than free it under the loop. */
	p->done = true;
	pthread_mutex_unlock(&p->lock);
	return -EIO;
}

int lv_console_open(struct driver *drv, const char *name, int *fd, char *err, size_t errlen)
{
	virDomainPtr dom;
	virStreamPtr st;
	int rc, sv[2];

	*fd = -1;
	if (!(dom = lv_domain_lookup(drv, name, &rc, err, errlen)))
		return rc;
	if ((rc = lv_domain_must_run(drv, dom, name, "serial console", err, errlen)) < 0) {
		virDomainFree(dom);
		return rc;
	}
	st = virStreamNew(lv_priv(drv)->conn, VIR_STREAM_NONBLOCK);
	if (!st) {
		rc = lv_error(err, errlen, "console of VM '%s' on %s", name, drv->uri);
		virDomainFree(dom);
		return rc;
	}
	/* FORCE: take the console over from another client (a stale virsh or
	 * viewer), as reattaching users expect. */
	if (virDomainOpenConsole(dom, NULL, st, VIR_DOMAIN_CONSOLE_FORCE) < 0) {
		rc = lv_error(err, errlen, "cannot open the serial console of VM '%s' on %s", name,
			      drv->uri);
		goto fail_stream;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		snprintf(err, errlen, "console of VM '%s': socketpair: %s", name, strerror(errno));
		goto fail_open;
	}
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		rc = -errno;
		snprintf(err, errlen, "console of VM '%s': %s", name, strerror(errno));
	} else {
		rc = lv_pump_start(st, sv[0], name, err, errlen);
	}
	if (rc < 0) {
		close(sv[0]);
		close(sv[1]);
		goto fail_open;
	}
	virDomainFree(dom);
	*fd = sv[1];
	return 0;
fail_open:
	virStreamAbort(st);
fail_stream:
	virStreamFree(st);
	virDomainFree(dom);
	return rc;
}

/* ---- where the VNC server listens ---- */

struct lv_vnc_where {
	char addr[256];	  /* listen address as the host sees it ("" = none) */
	int port;	  /* TCP port, 0 = none */
	char socket[108]; /* UNIX socket on the host ("" = none) */
};

static void lv_xml_copy_attr(xmlNodePtr node, const char *attr, char *out, size_t len)
{
	xmlChar *v = xmlGetProp(node, (const xmlChar *)attr);

	if (v && !out[0])
		snprintf(out, len, "%s", (const char *)v);
	xmlFree(v);
}

/* The first <graphics type='vnc'> of the live XML: -ENODEV if none. */
static int lv_vnc_where_parse(const char *xml, struct lv_vnc_where *w)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
	xmlXPathObjectPtr res = NULL;
	xmlNodePtr g;
	char port[16] = "";
	int rc = -ENODEV;

	memset(w, 0, sizeof(*w));
	if (!ctx)
		goto out;
	res = xmlXPathEvalExpression((const xmlChar *)"/domain/devices/graphics[@type='vnc']", ctx);
	if (!res || !res->nodesetval || res->nodesetval->nodeNr < 1)
		goto out;
	g = res->nodesetval->nodeTab[0];
	lv_xml_copy_attr(g, "socket", w->socket, sizeof(w->socket));
	lv_xml_copy_attr(g, "port", port, sizeof(port));
	lv_xml_copy_attr(g, "listen", w->addr, sizeof(w->addr));
	/* Newer XML says it with <listen> children. */
	for (xmlNodePtr c = g->children; c; c = c->next) {
		char type[16] = "";

		if (c->type != XML_ELEMENT_NODE || xmlStrcmp(c->name, (const xmlChar *)"listen"))
			continue;
		lv_xml_copy_attr(c, "type", type, sizeof(type));
		if (!strcmp(type, "socket"))
			lv_xml_copy_attr(c, "socket", w->socket, sizeof(w->socket));
		else if (!strcmp(type, "address"))
			lv_xml_copy_attr(c, "address", w->addr, sizeof(w->addr));
	}
	w->port = atoi(port);
	if (w->port < 0 || w->port > 65535)
		w->port = 0; /* -1: not allocated (yet) */
	rc = 0;
out:
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return rc;
}

/* Where to connect on the host itself: a wildcard listen address means
 * "every address", of which loopback is one. */
static const char *lv_vnc_local_addr(const struct lv_vnc_where *w)
{
	if (!w->addr[0] || !strcmp(w->addr, "0.0.0.0"))
		return "127.0.0.1";
	if (!strcmp(w->addr, "::"))
		return "::1";
	return w->addr;
}

static bool lv_addr_is_loopback(const char *addr)
{
	return !strncmp(addr, "127.", 4) || !strcmp(addr, "::1") || !strcmp(addr, "localhost");
}

/* ---- the URI: transport, host and the ssh parameters libvirt honours ---- */

struct lv_uri {
	char transport[16]; /* after '+' in the scheme: "ssh", "tcp", "" */
	char user[64];
	char host[256]; /* "" = this machine */
	char port[8];
	char keyfile[1024]; /* keyfile= */
	char command[1024]; /* command=: the ssh program */
	bool no_verify;	    /* no_verify=1 */
};

static int lv_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copy [s, s+n) to out, %XX decoded, truncated to len. */
static void lv_uri_unescape(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < len; i++) {
		if (s[i] == '%' && i + 2 < n && lv_hexval(s[i + 1]) >= 0 &&
		    lv_hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(lv_hexval(s[i + 1]) * 16 + lv_hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

static void lv_uri_param(struct lv_uri *u, const char *p, size_t n)
{
	const char *eq = memchr(p, '=', n);
	size_t klen = eq ? (size_t)(eq - p) : n;
	const char *v = eq ? eq + 1 : p + n;
	size_t vlen = (size_t)(p + n - v);

	if (klen == 7 && !strncmp(p, "keyfile", 7))
		lv_uri_unescape(v, vlen, u->keyfile, sizeof(u->keyfile));
	else if (klen == 7 && !strncmp(p, "command", 7))
		lv_uri_unescape(v, vlen, u->command, sizeof(u->command));
	else if (klen == 9 && !strncmp(p, "no_verify", 9))
		u->no_verify = vlen && *v != '0';
}

/* driver[+transport]://[user@][host][:port]/path[?params] */
static void lv_uri_parse(const char *uri, struct lv_uri *u)
{
	const char *sep = strstr(uri, "://"), *plus, *auth, *end, *at, *q;

	memset(u, 0, sizeof(*u));
	if (!sep)
		return;
	plus = memchr(uri, '+', (size_t)(sep - uri));
	if (plus)
		lv_uri_unescape(plus + 1, (size_t)(sep - plus - 1), u->transport,
				sizeof(u->transport));
	auth = sep + 3;
	end = auth + strcspn(auth, "/?");
	at = memchr(auth, '@', (size_t)(end - auth));
	if (at) {
		lv_uri_unescape(auth, (size_t)(at - auth), u->user, sizeof(u->user));
		auth = at + 1;
	}
	if (*auth == '[') { /* [IPv6]:port */
		const char *rb = memchr(auth, ']', (size_t)(end - auth));

		if (rb) {
			lv_uri_unescape(auth + 1, (size_t)(rb - auth - 1), u->host,
					sizeof(u->host));
			if (rb[1] == ':')
				lv_uri_unescape(rb + 2, (size_t)(end - rb - 2), u->port,
						sizeof(u->port));
		}
	} else {
		const char *colon = memchr(auth, ':', (size_t)(end - auth));
		lv_uri_unescape(auth, (size_t)((colon ? colon : end) - auth), u->host,
				sizeof(u->host));
		if (colon)
			lv_uri_unescape(colon + 1, (size_t)(end - colon - 1), u->port,
					sizeof(u->port));
	}
	q = strchr(end, '?');
	while (q && *q) {
		const char *p = q + 1;
		size_t n = strcspn(p, "&;");

		lv_uri_param(u, p, n);
		q = p[n] ? p + n : NULL;
	}
}

static bool lv_uri_is_ssh(const struct lv_uri *u)
{
	return !strcmp(u->transport, "ssh") || !strcmp(u->transport, "libssh") ||
	       !strcmp(u->transport, "libssh2");
}

/* ---- reaching it ---- */

static int lv_connect_tcp(const char *host, int port, int *fd, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	char service[8];
	int r, s = -1, saved = ECONNREFUSED;

	snprintf(service, sizeof(service), "%d", port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (s < 0) {
			saved = errno;
			continue;
		}
		if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(s);
		s = -1;
	}
	freeaddrinfo(res);
	if (s < 0) {
		snprintf(err, errlen, "%s port %d: %s", host, port, strerror(saved));
		return -saved;
	}
	*fd = s;
	return 0;
}

static int lv_connect_unix(const char *path, int *fd, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (s >= 0)
			close(s);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	*fd = s;
	return 0;
}

/* The same ssh command line libvirt runs for this URI (command=, port,
 * user, keyfile=, no_verify=), forwarding stdin/stdout to target on the
 * remote side. BatchMode: a password prompt would go to a terminal the
 * viewer owns, so only agent or key logins are used for the tunnel. */
static int lv_ssh_argv(const struct lv_uri *u, const char *target, const char **argv, int max)
{
	int n = 0;

	argv[n++] = u->command[0] ? u->command : "ssh";
	if (u->port[0]) {
		argv[n++] = "-p";
		argv[n++] = u->port;
	}
	if (u->user[0]) {
		argv[n++] = "-l";
		argv[n++] = u->user;
	}
	if (u->keyfile[0]) {
		argv[n++] = "-i";
		argv[n++] = u->keyfile;
	}
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	if (u->no_verify) {
		argv[n++] = "-o";
		argv[n++] = "StrictHostKeyChecking=no";
	}
	argv[n++] = "-W";
	argv[n++] = target;
	argv[n++] = "--";
	argv[n++] = u->host;
	argv[n] = NULL;
	return n < max ? 0 : -E2BIG;
}

/* Run ssh with stdin/stdout on io and stderr into errf, in its own
 * session (no terminal to prompt on), as a grandchild so that nobody has
 * to reap it: it ends when the socket closes. Only async-signal-safe
 * calls after fork. */
static int lv_ssh_spawn(const char **argv, int io, int errf)
{
	sigset_t all;
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(io, 0) < 0 || dup2(io, 1) < 0 || dup2(errf, 2) < 0)
			_exit(127);
		/* Nothing else of ours may keep a socket open in ssh. */
		if (close_range(3, ~0U, 0) < 0)
			for (int i = 3; i < 1024; i++)
				close(i);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/* What ssh said before it gave up: its last non-empty line. */
static void lv_ssh_reason(FILE *f, char *out, size_t len)
{
	char line[512];

	snprintf(out, len, "ssh ended without a message");
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0])
			snprintf(out, len, "%s", line);
	}
}

/* ssh -W target through the URI's host: our end of a socketpair once the
 * server's first bytes came through (so a failed login is an error here,
 * with ssh's words, not a dead screen later). */
static int lv_ssh_tunnel(const struct lv_uri *u, const char *target, int *fd, char *err,
			 size_t errlen)
{
	const char *argv[24];
	struct pollfd pfd;
	FILE *errf;
	char c;
	int sv[2], r;

	if (lv_ssh_argv(u, target, argv, (int)(sizeof(argv) / sizeof(argv[0]))) < 0) {
		snprintf(err, errlen, "ssh command line too long");
		return -E2BIG;
	}
	errf = tmpfile();
	if (!errf) {
		r = -errno;
		snprintf(err, errlen, "temporary file for ssh's messages: %s", strerror(errno));
		return r;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		fclose(errf);
		return r;
	}
	r = lv_ssh_spawn(argv, sv[1], fileno(errf));
	close(sv[1]);
	if (r < 0) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(-r));
		goto fail;
	}
	pfd = (struct pollfd){.fd = sv[0], .events = POLLIN};
	do
		r = poll(&pfd, 1, LV_TUNNEL_WAIT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		snprintf(err, errlen, "no answer through ssh within %d s",
			 LV_TUNNEL_WAIT_MS / 1000);
		r = -ETIMEDOUT;
		goto fail;
	}
	if (r < 0 || recv(sv[0], &c, 1, MSG_PEEK) != 1) {
		lv_ssh_reason(errf, err, errlen);
		r = -ECONNREFUSED;
		goto fail;
	}
	fclose(errf);
	*fd = sv[0];
	return 0;
fail:
	close(sv[0]);
	fclose(errf);
	return r;
}

/* This machine's libvirt: connect to the address or socket; with neither
 * (listen type 'none') or when that is refused, ask libvirt for a
 * connected descriptor. */
static int lv_vnc_local(virDomainPtr dom, const struct lv_vnc_where *w, int *fd, char *err,
			size_t errlen)
{
	int rc = -ENOENT, gfd;

	if (w->socket[0])
		rc = lv_connect_unix(w->socket, fd, err, errlen);
	else if (w->port)
		rc = lv_connect_tcp(lv_vnc_local_addr(w), w->port, fd, err, errlen);
	if (rc == 0)
		return 0;
	gfd = virDomainOpenGraphicsFD(dom, 0, 0);
	if (gfd >= 0) {
		fcntl(gfd, F_SETFD, FD_CLOEXEC);
		*fd = gfd;
		return 0;
	}
	if (rc == -ENOENT && !w->socket[0] && !w->port)
		return lv_error(err, errlen, "it listens nowhere and libvirt cannot hand it over");
	virResetLastError();
	return rc;
}

static int lv_vnc_remote(const struct lv_uri *u, const struct lv_vnc_where *w, int *fd, char *err,
			 size_t errlen)
{
	char target[300];

	if (lv_uri_is_ssh(u)) {
		if (w->socket[0])
			snprintf(target, sizeof(target), "%s", w->socket);
		else if (w->port)
			snprintf(target, sizeof(target),
				 strchr(lv_vnc_local_addr(w), ':') ? "[%s]:%d" : "%s:%d",
				 lv_vnc_local_addr(w), w->port);
		else {
			snprintf(err, errlen, "it listens on no address or socket");
			return -ENODEV;
		}
		return lv_ssh_tunnel(u, target, fd, err, errlen);
	}
	/* tcp://, tls://: only a server listening beyond the host's loopback
	 * can be reached. */
	if (w->socket[0] || !w->port || lv_addr_is_loopback(lv_vnc_local_addr(w))) {
		snprintf(err, errlen,
			 "it listens on %s on %s only; use a qemu+ssh:// URI to tunnel it",
			 w->socket[0] ? w->socket : lv_vnc_local_addr(w), u->host);
		return -EHOSTUNREACH;
	}
	if (!w->addr[0] || !strcmp(w->addr, "0.0.0.0") || !strcmp(w->addr, "::"))
		return lv_connect_tcp(u->host, w->port, fd, err, errlen);
	return lv_connect_tcp(w->addr, w->port, fd, err, errlen);
}

int lv_vnc_open(struct driver *drv, const char *name, int *fd, char *err, size_t errlen)
{
	struct lv_vnc_where where;
	struct lv_uri uri;
	virDomainPtr dom;
	char *xml, why[1024] = "";
	int rc;

	*fd = -1;
	if (!(dom = lv_domain_lookup(drv, name, &rc, err, errlen)))
		return rc;
	/* The live XML when it runs (the port in use), else the definition:
	 * no display is said first, whatever the state. */
	xml = virDomainGetXMLDesc(dom, 0);
	if (!xml) {
		rc = lv_error(err, errlen, "VM '%s' on %s: cannot read its definition", name,
			      drv->uri);
		goto out;
	}
	if (lv_vnc_where_parse(xml, &where) < 0) {
		snprintf(err, errlen,
			 "VM '%s' has no graphical display (no VNC <graphics> in its "
			 "definition); use 'virtty -c %s console %s' for its serial console",
			 name, drv->uri, name);
		rc = -ENODEV;
		goto out;
	}
	if ((rc = lv_domain_must_run(drv, dom, name, "screen", err, errlen)) < 0)
		goto out;
	lv_uri_parse(drv->uri, &uri);
	if (!uri.host[0] || !strcmp(uri.transport, "unix"))
		rc = lv_vnc_local(dom, &where, fd, why, sizeof(why));
	else
		rc = lv_vnc_remote(&uri, &where, fd, why, sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "cannot reach the VNC screen of VM '%s' on %s: %s", name,
			 drv->uri, why);
out:
	free(xml);
	virDomainFree(dom);
	return rc;
}
