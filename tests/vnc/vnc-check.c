/* vnc-check: the VNC client of the end-to-end VNC tests (vmm-vnc.sh and
 * the nested lab). It talks RFB to virtty-vmm through libvncclient, like a
 * viewer would, and checks what a user would see or feel: the exact
 * pixels of the fb test guest's pattern, the rectangles a change sends,
 * and the PS/2 bytes keys and pointer events become inside the guest
 * (read back from the guest's serial socket). One "PASS: ..." or
 * "FAIL: ..." line per check; exit 0 if all passed, 1 if not, 2 on usage.
 *
 * TARGET is a UNIX socket path or tcp:HOST:PORT. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "fb_pattern.h"

/* Generous waits: a software-nested KVM makes the guest slow to react. */
#define VC_CONNECT_MS 20000
#define VC_FRAME_MS   30000
#define VC_GUEST_MS   30000
#define VC_QUIET_MS   2000
#define VC_IDLE_MS    1000
/* How far beyond the box an update rectangle may reach: room for a server
 * that diffs in small tiles, not for one that resends large areas. */
#define VC_DAMAGE_SLACK	  32
#define VC_MAX_RECTS	  4096
#define VC_MAX_MISMATCHES 5
#define VC_KEY_PACE_US	  10000
#define VC_LINE_MAX	  256
#define VC_SERIAL_BUF	  65536

static int vc_failed;
static int vc_verbose;

static void vc_pass(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vc_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void vc_pass(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("PASS: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
}

static void vc_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	vc_failed = 1;
}

static void vc_check(bool ok, const char *name, const char *detail)
{
	if (ok)
		vc_pass("%s", name);
	else
		vc_fail("%s: %s", name, detail);
}

static long long vc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libvncclient logs to stderr by default; keep it for -v. */
static void vc_log_quiet(const char *format, ...)
{
	va_list ap;

	if (!vc_verbose)
		return;
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
}

/* ---- the VNC connection ---- */

struct vc_rect {
	int x, y, w, h;
};

/* What the update callbacks saw; one client per process. */
static struct {
	uint8_t *covered; /* per pixel: inside a rectangle since the last reset */
	unsigned long covered_count;
	bool recording;
	struct vc_rect rects[VC_MAX_RECTS];
	unsigned nrects, rects_total;
} vc_seen;

static void vc_got_update(rfbClient *c, int x, int y, int w, int h)
{
	if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > c->width || y + h > c->height)
		return; /* libvncclient already refused those; belt and braces */
	if (vc_seen.recording) {
		if (vc_seen.nrects < VC_MAX_RECTS)
			vc_seen.rects[vc_seen.nrects++] = (struct vc_rect){x, y, w, h};
		vc_seen.rects_total++;
	}
	for (int j = y; j < y + h; j++)
		for (int i = x; i < x + w; i++) {
			uint8_t *p = &vc_seen.covered[(size_t)j * c->width + i];

			if (!*p) {
				*p = 1;
				vc_seen.covered_count++;
			}
		}
}

static void vc_reset_seen(rfbClient *c, bool record)
{
	memset(vc_seen.covered, 0, (size_t)c->width * c->height);
	vc_seen.covered_count = 0;
	vc_seen.nrects = vc_seen.rects_total = 0;
	vc_seen.recording = record;
}

static char *vc_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		perror("vnc-check");
		exit(2);
	}
	return d;
}

/* TARGET: a UNIX socket path, or tcp:HOST:PORT. */
static int vc_parse_target(const char *target, char **host, int *port)
{
	if (!strncmp(target, "tcp:", 4)) {
		const char *colon = strrchr(target + 4, ':');
		char *end;
		long p;

		if (!colon || colon == target + 4)
			return -1;
		p = strtol(colon + 1, &end, 10);
		if (*end || p <= 0 || p > 65535)
			return -1;
		*host = vc_xstrdup(target + 4);
		(*host)[colon - (target + 4)] = 0;
		*port = (int)p;
		return 0;
	}
	*host = vc_xstrdup(target);
	*port = 0;
	return 0;
}

/* Connects, retrying while the server is not up yet; NULL on failure. */
static rfbClient *vc_connect(const char *target)
{
	long long deadline = vc_now_ms() + VC_CONNECT_MS;

	for (;;) {
		rfbClient *c = rfbGetClient(8, 3, 4); /* 32 bpp true colour */
		char *host;
		int port;

		if (!c)
			return NULL;
		if (vc_parse_target(target, &host, &port) < 0) {
			fprintf(stderr,
				"vnc-check: bad target '%s' (a socket path or tcp:HOST:PORT)\n",
				target);
			rfbClientCleanup(c);
			exit(2);
		}
		free(c->serverHost);
		c->serverHost = host; /* freed by rfbClientCleanup */
		c->serverPort = port;
		c->GotFrameBufferUpdate = vc_got_update;
		/* Lossless only, and the cursor as a shape, not drawn into the
		 * pixels we compare. */
		c->appData.encodingsString = getenv("VNC_CHECK_ENCODINGS")
						 ? getenv("VNC_CHECK_ENCODINGS")
						 : "tight zrle hextile copyrect raw";
		c->appData.enableJPEG = FALSE;
		c->appData.useRemoteCursor = TRUE;
		c->connectTimeout = 5;
		if (rfbInitClient(c, NULL, NULL)) { /* frees c on failure */
			vc_seen.covered = calloc((size_t)c->width * c->height, 1);
			if (!vc_seen.covered) {
				rfbClientCleanup(c);
				return NULL;
			}
			return c;
		}
		if (vc_now_ms() >= deadline)
			return NULL;
		usleep(200000);
	}
}

static void vc_close(rfbClient *c)
{
	free(vc_seen.covered);
	vc_seen.covered = NULL;
	rfbClientCleanup(c);
}

/* Handles server messages until done() holds or ms pass. Returns 1 if
 * done, 0 on timeout, -1 if the connection failed. */
static int vc_pump(rfbClient *c, int ms, bool (*done)(rfbClient *c))
{
	long long deadline = vc_now_ms() + ms;

	for (;;) {
		long long left;
		int n;

		if (done && done(c))
			return 1;
		left = deadline - vc_now_ms();
		if (left <= 0)
			return 0;
		/* WaitForMessage does not see bytes libvncclient already read. */
		n = c->buffered ? 1
				: WaitForMessage(c, (unsigned)(left > 100 ? 100000 : left * 1000));
		if (n < 0)
			return -1;
		if (n > 0 && !HandleRFBServerMessage(c))
			return -1;
	}
}

static bool vc_full_frame(rfbClient *c)
{
	return vc_seen.covered_count == (unsigned long)c->width * c->height;
}

/* Waits until every pixel has arrived at least once. */
static int vc_wait_full_frame(rfbClient *c, const char *name)
{
	int r = vc_pump(c, VC_FRAME_MS, vc_full_frame);

	if (r < 0)
		vc_fail("%s: connection lost before the first full frame", name);
	else if (!r)
		vc_fail("%s: no full frame within %d s (%lu of %d pixels)", name,
			VC_FRAME_MS / 1000, vc_seen.covered_count, c->width * c->height);
	return r == 1 ? 0 : -1;
}

static uint32_t vc_pixel(rfbClient *c, int x, int y)
{
	const uint8_t *p = c->frameBuffer + ((size_t)y * c->width + x) * 4;
	uint32_t v;

	memcpy(&v, p, 4);
	return ((v >> c->format.redShift) & 0xff) << 16 |
	       ((v >> c->format.greenShift) & 0xff) << 8 | ((v >> c->format.blueShift) & 0xff);
}

/* Number of pixels that differ from the pattern; prints the first few. */
static unsigned long vc_compare_pattern(rfbClient *c, int box, bool print)
{
	unsigned long bad = 0;

	for (int y = 0; y < c->height; y++)
		for (int x = 0; x < c->width; x++) {
			uint32_t want = fb_pattern_rgb(x, y, c->width, c->height, box);
			uint32_t got = vc_pixel(c, x, y);

			if (got == want)
				continue;
			if (print && bad < VC_MAX_MISMATCHES)
				printf("  pixel (%d,%d): got #%06x, want #%06x\n", x, y, got, want);
			bad++;
		}
	return bad;
}

static bool vc_shows_box(rfbClient *c)
{
	return vc_compare_pattern(c, 1, false) == 0;
}

/* ---- the guest's serial socket ---- */

struct serial {
	int fd;
	char buf[VC_SERIAL_BUF];
	size_t len;
	unsigned token;
};

static int serial_open(struct serial *s, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	s->len = 0;
	s->token = 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vnc-check: serial socket path too long\n");
		return -1;
	}
	strcpy(sa.sun_path, path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vnc-check: serial socket '%s': %s\n", path, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		return -1;
	}
	return 0;
}

static int serial_write(struct serial *s, const char *text)
{
	size_t len = strlen(text);

	while (len) {
		ssize_t n = send(s->fd, text, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		text += n;
		len -= n;
	}
	return 0;
}

/* The next line the guest printed (without the newline). Returns 1 with a
 * line, 0 on timeout, -1 if the socket closed. */
static int serial_line(struct serial *s, char *line, size_t max, int ms)
{
	long long deadline = vc_now_ms() + ms;

	for (;;) {
		char *nl = memchr(s->buf, '\n', s->len);
		struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
		long long left;
		ssize_t n;

		if (nl || s->len == sizeof(s->buf)) {
			size_t l = nl ? (size_t)(nl - s->buf) : s->len;
			size_t copy = l < max - 1 ? l : max - 1;

			memcpy(line, s->buf, copy);
			line[copy] = 0;
			if (copy && line[copy - 1] == '\r')
				line[copy - 1] = 0;
			l += nl ? 1 : 0;
			memmove(s->buf, s->buf + l, s->len - l);
			s->len -= l;
			return 1;
		}
		left = deadline - vc_now_ms();
		if (left <= 0)
			return 0;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s->len += n;
	}
}

/* Asks the guest for a marker and skips everything up to it, so what
 * follows is output caused by what we do next, not the replay of the
 * past. Lines matching keep (a prefix) before the marker are handed to
 * on_line. Returns 0, or -1 if the marker never came. */
static int serial_sync(struct serial *s, const char *keep, void (*on_line)(const char *line))
{
	char cmd[64], want[64], line[VC_LINE_MAX];
	long long deadline = vc_now_ms() + VC_GUEST_MS;

	snprintf(cmd, sizeof(cmd), "s%ld-%u\n", (long)getpid(), ++s->token);
	snprintf(want, sizeof(want), "sync %ld-%u", (long)getpid(), s->token);
	if (serial_write(s, cmd) < 0)
		return -1;
	for (;;) {
		long long left = deadline - vc_now_ms();

		if (left <= 0 || serial_line(s, line, sizeof(line), (int)left) <= 0)
			return -1;
		if (!strcmp(line, want))
			return 0;
		if (keep && on_line && !strncmp(line, keep, strlen(keep)))
			on_line(line);
	}
}

/* Waits for a line equal to want. */
static int serial_expect(struct serial *s, const char *want, int ms)
{
	char line[VC_LINE_MAX];
	long long deadline = vc_now_ms() + ms;

	for (;;) {
		long long left = deadline - vc_now_ms();

		if (left <= 0 || serial_line(s, line, sizeof(line), (int)left) <= 0)
			return -1;
		if (!strcmp(line, want))
			return 0;
	}
}

/* ---- PS/2 bytes the guest reports ("kbd 1e", "aux 08") ---- */

#define VC_MAX_BYTES 4096

static struct {
	const char *prefix; /* "kbd " or "aux " */
	uint8_t b[VC_MAX_BYTES];
	unsigned n;
} vc_bytes;

static void vc_bytes_add(const char *line)
{
	unsigned v;
	char extra;

	if (strncmp(line, vc_bytes.prefix, 4) || sscanf(line + 4, "%2x%c", &v, &extra) != 1)
		return;
	if (vc_bytes.n < VC_MAX_BYTES)
		vc_bytes.b[vc_bytes.n++] = (uint8_t)v;
}

/* Collects reported bytes until stop() holds or the guest has been quiet
 * for VC_GUEST_MS, then syncs so late extras are counted too. */
static int vc_bytes_collect(struct serial *s, bool (*stop)(void))
{
	char line[VC_LINE_MAX];

	while (!stop()) {
		int r = serial_line(s, line, sizeof(line), VC_GUEST_MS);

		if (r <= 0)
			break;
		vc_bytes_add(line);
	}
	return serial_sync(s, vc_bytes.prefix, vc_bytes_add);
}

static void vc_format_bytes(char *out, size_t max, const uint8_t *b, unsigned n)
{
	size_t off = 0;

	out[0] = 0;
	for (unsigned i = 0; i < n && off + 4 < max; i++)
		off += snprintf(out + off, max - off, "%s%02x", i ? " " : "", b[i]);
	if (!n)
		snprintf(out, max, "(nothing)");
}

/* ---- subcommands ---- */

static int vc_usage(void)
{
	fprintf(
	    stderr,
	    "usage: vnc-check [-v] pattern TARGET W H [--box] [--hold SECONDS [--release FILE]]\n"
	    "       vnc-check [-v] damage TARGET SERIAL\n"
	    "       vnc-check [-v] keys TARGET SERIAL\n"
	    "       vnc-check [-v] mouse TARGET SERIAL\n"
	    "       vnc-check [-v] garbage TARGET\n"
	    "       vnc-check [-v] type TARGET TEXT\n"
	    "       vnc-check [-v] nonblack TARGET [SECONDS]\n"
	    "       vnc-check serial SERIAL TEXT [LINE]\n"
	    "TARGET: a UNIX socket path or tcp:HOST:PORT; SERIAL: the guest's serial socket.\n");
	return 2;
}

static unsigned vc_parse_uint(const char *s, unsigned max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end || v > max) {
		fprintf(stderr, "vnc-check: '%s': expected a number up to %u\n", s, max);
		exit(2);
	}
	return (unsigned)v;
}

/* --release FILE: a hold ends early once FILE exists. */
static const char *vc_release_file;

static bool vc_released(rfbClient *c)
{
	return vc_release_file && access(vc_release_file, F_OK) == 0;
}

/* pattern: the size and every pixel of the guest's pattern; --hold keeps
 * the connection (and checks it stays up) for a concurrent test. */
static int cmd_pattern(int argc, char **argv)
{
	unsigned w, h, hold = 0;
	int box = 0;
	unsigned long bad;
	rfbClient *c;

	if (argc < 3)
		return vc_usage();
	w = vc_parse_uint(argv[1], 65535);
	h = vc_parse_uint(argv[2], 65535);
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--box"))
			box = 1;
		else if (!strcmp(argv[i], "--hold") && i + 1 < argc)
			hold = vc_parse_uint(argv[++i], 3600);
		else if (!strcmp(argv[i], "--release") && i + 1 < argc)
			vc_release_file = argv[++i];
		else
			return vc_usage();
	}
	c = vc_connect(argv[0]);
	if (!c) {
		vc_fail("pattern: cannot connect to %s", argv[0]);
		return 1;
	}
	if (c->width != (int)w || c->height != (int)h) {
		vc_fail("pattern: desktop is %dx%d, want %ux%u", c->width, c->height, w, h);
		vc_close(c);
		return 1;
	}
	vc_pass("pattern: desktop size %ux%u", w, h);
	if (vc_wait_full_frame(c, "pattern") == 0) {
		bad = vc_compare_pattern(c, box, true);
		if (bad)
			vc_fail("pattern: %lu of %u pixels differ from the %s", bad, w * h,
				box ? "pattern with the box" : "pattern");
		else
			vc_pass("pattern: all %u pixels exact%s", w * h,
				box ? " (with the box)" : "");
	}
	if (hold && !vc_failed) {
		long long t0 = vc_now_ms();
		int r = vc_pump(c, (int)hold * 1000, vc_released);

		if (r < 0)
			vc_fail("pattern: connection lost while holding it");
		else
			vc_pass("pattern: connection still up after %.1f s",
				(vc_now_ms() - t0) / 1000.0);
	}
	vc_close(c);
	return vc_failed;
}

/* damage: the box appears as rectangles that cover it and little else,
 * and nothing is sent while nothing changes. */
static int cmd_damage(int argc, char **argv)
{
	struct serial *s = calloc(1, sizeof(*s));
	rfbClient *c;
	char detail[1024];
	unsigned outside = 0, uncovered = 0;
	size_t off = 0;
	int r;

	if (argc != 2)
		return vc_usage();
	if (!s || serial_open(s, argv[1]) < 0)
		return 1;
	c = vc_connect(argv[0]);
	if (!c) {
		vc_fail("damage: cannot connect to %s", argv[0]);
		return 1;
	}
	if (vc_wait_full_frame(c, "damage") < 0)
		goto out;
	if (vc_compare_pattern(c, 0, true)) {
		vc_fail("damage: the first frame is not the plain pattern (run 'r' first?)");
		goto out;
	}
	/* Idle: the guest draws nothing, so nothing may come. */
	vc_reset_seen(c, true);
	if (vc_pump(c, VC_IDLE_MS, NULL) < 0) {
		vc_fail("damage: connection lost");
		goto out;
	}
	if (vc_seen.rects_total)
		vc_fail("damage: %u rectangles sent while nothing changed (first %dx%d at %d,%d)",
			vc_seen.rects_total, vc_seen.rects[0].w, vc_seen.rects[0].h,
			vc_seen.rects[0].x, vc_seen.rects[0].y);
	else
		vc_pass("damage: nothing sent for %d s while the screen is unchanged",
			VC_IDLE_MS / 1000);

	vc_reset_seen(c, true);
	if (serial_sync(s, NULL, NULL) < 0 || serial_write(s, "b") < 0 ||
	    serial_expect(s, "fb: painted 2", VC_GUEST_MS) < 0) {
		vc_fail("damage: the guest did not paint the box (no 'fb: painted 2')");
		goto out;
	}
	r = vc_pump(c, VC_FRAME_MS, vc_shows_box);
	if (r < 0) {
		vc_fail("damage: connection lost waiting for the box");
		goto out;
	}
	if (!r) {
		vc_fail("damage: the box did not arrive within %d s:", VC_FRAME_MS / 1000);
		vc_compare_pattern(c, 1, true);
	} else {
		vc_pass("damage: the box arrived, every pixel of the frame exact");
	}
	for (unsigned i = 0; i < vc_seen.nrects; i++) {
		const struct vc_rect *q = &vc_seen.rects[i];

		if (q->x < FB_BOX_X - VC_DAMAGE_SLACK || q->y < FB_BOX_Y - VC_DAMAGE_SLACK ||
		    q->x + q->w > FB_BOX_X + FB_BOX_W + VC_DAMAGE_SLACK ||
		    q->y + q->h > FB_BOX_Y + FB_BOX_H + VC_DAMAGE_SLACK)
			outside++;
		if (off < sizeof(detail) - 40)
			off += snprintf(detail + off, sizeof(detail) - off, " %dx%d+%d+%d", q->w,
					q->h, q->x, q->y);
	}
	for (int y = FB_BOX_Y; y < FB_BOX_Y + FB_BOX_H; y++)
		for (int x = FB_BOX_X; x < FB_BOX_X + FB_BOX_W; x++)
			if (!vc_seen.covered[(size_t)y * c->width + x])
				uncovered++;
	if (!vc_seen.rects_total)
		vc_fail("damage: no update rectangle after the change");
	else if (uncovered)
		vc_fail("damage: %u box pixels in no update rectangle; got%s", uncovered, detail);
	else
		vc_pass("damage: the update rectangles cover the box %dx%d+%d+%d:%s", FB_BOX_W,
			FB_BOX_H, FB_BOX_X, FB_BOX_Y, detail);
	if (outside)
		vc_fail("damage: %u of %u rectangles reach more than %d px beyond the box:%s",
			outside, vc_seen.rects_total, VC_DAMAGE_SLACK, detail);
	else if (vc_seen.rects_total)
		vc_pass("damage: %u rectangle(s), none beyond the box (+%d px)",
			vc_seen.rects_total, VC_DAMAGE_SLACK);

	vc_reset_seen(c, true);
	if (vc_pump(c, VC_QUIET_MS, NULL) < 0)
		vc_fail("damage: connection lost while quiet");
	else if (vc_seen.rects_total)
		vc_fail(
		    "damage: %u more rectangles in the %d s after the change (first %dx%d+%d+%d)",
		    vc_seen.rects_total, VC_QUIET_MS / 1000, vc_seen.rects[0].w, vc_seen.rects[0].h,
		    vc_seen.rects[0].x, vc_seen.rects[0].y);
	else
		vc_pass("damage: nothing more sent in the %d s after the change",
			VC_QUIET_MS / 1000);
out:
	vc_close(c);
	close(s->fd);
	free(s);
	return vc_failed;
}

/* ---- keys ---- */

struct vc_key_test {
	const char *name;
	unsigned nev;
	struct {
		uint32_t keysym;
		bool down;
	} ev[8];
	unsigned ncodes;
	uint8_t codes[16]; /* set-1 make and break codes the guest must read */
};

static const struct vc_key_test vc_key_tests[] = {
    {"a", 2, {{XK_a, true}, {XK_a, false}}, 2, {0x1e, 0x9e}},
    {"Shift+A",
     4,
     {{XK_Shift_L, true}, {XK_A, true}, {XK_A, false}, {XK_Shift_L, false}},
     4,
     {0x2a, 0x1e, 0x9e, 0xaa}},
    {"Return", 2, {{XK_Return, true}, {XK_Return, false}}, 2, {0x1c, 0x9c}},
    {"F1", 2, {{XK_F1, true}, {XK_F1, false}}, 2, {0x3b, 0xbb}},
    {"Left", 2, {{XK_Left, true}, {XK_Left, false}}, 4, {0xe0, 0x4b, 0xe0, 0xcb}},
    {"Ctrl+Alt+Del",
     6,
     {{XK_Control_L, true},
      {XK_Alt_L, true},
      {XK_Delete, true},
      {XK_Delete, false},
      {XK_Alt_L, false},
      {XK_Control_L, false}},
     8,
     {0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d}},
};

static unsigned vc_bytes_want;

static bool vc_bytes_enough(void)
{
	return vc_bytes.n >= vc_bytes_want;
}

static int cmd_keys(int argc, char **argv)
{
	struct serial *s = calloc(1, sizeof(*s));
	rfbClient *c;

	if (argc != 2)
		return vc_usage();
	if (!s || serial_open(s, argv[1]) < 0)
		return 1;
	c = vc_connect(argv[0]);
	if (!c) {
		vc_fail("keys: cannot connect to %s", argv[0]);
		return 1;
	}
	vc_bytes.prefix = "kbd ";
	for (size_t t = 0; t < sizeof(vc_key_tests) / sizeof(vc_key_tests[0]); t++) {
		const struct vc_key_test *k = &vc_key_tests[t];
		char got[256], want[256];

		if (serial_sync(s, NULL, NULL) < 0) {
			vc_fail("keys: the guest does not answer on the serial socket");
			break;
		}
		vc_bytes.n = 0;
		vc_bytes_want = k->ncodes;
		for (unsigned i = 0; i < k->nev; i++)
			if (!SendKeyEvent(c, k->ev[i].keysym, k->ev[i].down ? TRUE : FALSE))
				vc_fail("keys: %s: sending the key event failed", k->name);
		if (vc_bytes_collect(s, vc_bytes_enough) < 0)
			vc_fail("keys: %s: the guest stopped answering", k->name);
		vc_format_bytes(got, sizeof(got), vc_bytes.b, vc_bytes.n);
		vc_format_bytes(want, sizeof(want), k->codes, k->ncodes);
		if (vc_bytes.n == k->ncodes && !memcmp(vc_bytes.b, k->codes, k->ncodes))
			vc_pass("keys: %s -> %s", k->name, want);
		else
			vc_fail("keys: %s: guest read %s, want %s", k->name, got, want);
		/* Messages the server may send meanwhile (cursor, bell). */
		if (vc_pump(c, 1, NULL) < 0) {
			vc_fail("keys: connection lost");
			break;
		}
	}
	vc_close(c);
	close(s->fd);
	free(s);
	return vc_failed;
}

/* ---- mouse ---- */

/* RFB button mask bits and PS/2 packet bits for the same buttons. */
#define RFB_LEFT   0x01
#define RFB_MIDDLE 0x02
#define RFB_RIGHT  0x04
#define PS2_LEFT   0x01
#define PS2_RIGHT  0x02
#define PS2_MIDDLE 0x04

struct vc_packet {
	unsigned buttons;
	int dx, dy; /* PS/2 directions: dy > 0 is up */
};

static struct vc_packet vc_packets[VC_MAX_BYTES / 3];
static unsigned vc_npackets;
static char vc_packet_error[160];

/* Decodes vc_bytes into packets; false on a malformed one. */
static bool vc_decode_packets(void)
{
	vc_npackets = 0;
	vc_packet_error[0] = 0;
	for (unsigned i = 0; i + 3 <= vc_bytes.n; i += 3) {
		const uint8_t *p = &vc_bytes.b[i];

		if (!(p[0] & 0x08) || (p[0] & 0xc0)) {
			snprintf(
			    vc_packet_error, sizeof(vc_packet_error),
			    "packet %u starts with %02x (bit 3 must be set, overflow bits clear)",
			    i / 3, p[0]);
			return false;
		}
		vc_packets[vc_npackets++] = (struct vc_packet){
		    .buttons = p[0] & 7,
		    .dx = p[1] - (p[0] & 0x10 ? 256 : 0),
		    .dy = p[2] - (p[0] & 0x20 ? 256 : 0),
		};
	}
	if (vc_bytes.n % 3)
		snprintf(vc_packet_error, sizeof(vc_packet_error),
			 "%u bytes: not whole 3-byte packets", vc_bytes.n);
	return !(vc_bytes.n % 3);
}

/* The button states a packet stream goes through, consecutive repeats
 * merged, with the motion summed per state. */
struct vc_segment {
	unsigned buttons;
	int dx, dy;
	unsigned packets;
	int max_step; /* largest |dx| or |dy| of one packet */
};

static unsigned vc_segments(struct vc_segment *seg, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vc_npackets; i++) {
		const struct vc_packet *p = &vc_packets[i];
		int step = abs(p->dx) > abs(p->dy) ? abs(p->dx) : abs(p->dy);

		if (!n || seg[n - 1].buttons != p->buttons) {
			if (n == max)
				break;
			seg[n++] = (struct vc_segment){.buttons = p->buttons};
		}
		seg[n - 1].dx += p->dx;
		seg[n - 1].dy += p->dy;
		seg[n - 1].packets++;
		if (step > seg[n - 1].max_step)
			seg[n - 1].max_step = step;
	}
	return n;
}

/* Stop collecting once the stream has gone through want_segments states
 * (the last one being "no button" after a final click). */
static unsigned vc_want_segments;

static bool vc_mouse_enough(void)
{
	struct vc_segment seg[32];

	if (vc_bytes.n % 3 || !vc_decode_packets())
		return false;
	return vc_segments(seg, 32) >= vc_want_segments && vc_npackets &&
	       vc_packets[vc_npackets - 1].buttons == 0;
}

static void vc_print_segment(const struct vc_segment *seg)
{
	if (!seg) {
		printf("-");
		return;
	}
	printf("buttons%s%s%s%s dx %+d dy %+d", seg->buttons & PS2_LEFT ? " left" : "",
	       seg->buttons & PS2_RIGHT ? " right" : "", seg->buttons & PS2_MIDDLE ? " middle" : "",
	       seg->buttons ? "" : " none", seg->dx, seg->dy);
	if (seg->packets)
		printf(" (%u packets)", seg->packets);
}

static void vc_pointer(rfbClient *c, int x, int y, int mask)
{
	if (!SendPointerEvent(c, x, y, mask))
		vc_fail("mouse: sending a pointer event failed");
	usleep(VC_KEY_PACE_US);
}

static int cmd_mouse(int argc, char **argv)
{
	/* What the guest must see, state by state (PS/2 dy > 0 is up). */
	static const struct vc_segment want[] = {
	    {PS2_LEFT, 30, 20, 0, 0}, /* press at (100,100), drag to (130,80) */
	    {0, -40, -60, 0, 0},      /* release, move to (90,140) */
	    {PS2_RIGHT, 0, 0, 0, 0},  /* right click */
	    {0, 0, 0, 0, 0},	      /* */
	    {PS2_MIDDLE, 0, 0, 0, 0}, /* middle click */
	    {0, 510, 0, 0, 0},	      /* move to (600,140): more than one packet */
	    {PS2_LEFT, 0, 0, 0, 0},   /* end marker: a click */
	    {0, 0, 0, 0, 0},
	};
	const unsigned nwant = sizeof(want) / sizeof(want[0]);
	struct vc_segment seg[32];
	struct serial *s = calloc(1, sizeof(*s));
	rfbClient *c;
	unsigned nseg;
	bool ok;

	if (argc != 2)
		return vc_usage();
	if (!s || serial_open(s, argv[1]) < 0)
		return 1;
	c = vc_connect(argv[0]);
	if (!c) {
		vc_fail("mouse: cannot connect to %s", argv[0]);
		return 1;
	}
	if (c->width < 640 || c->height < 200) {
		vc_fail("mouse: the desktop (%dx%d) is too small for the moves", c->width,
			c->height);
		goto out;
	}
	vc_bytes.prefix = "aux ";
	/* Where the pointer was before is the server's business: go to
	 * (100,100) and click there, and measure only what follows. */
	if (serial_sync(s, NULL, NULL) < 0) {
		vc_fail("mouse: the guest does not answer on the serial socket");
		goto out;
	}
	vc_bytes.n = 0;
	vc_want_segments = 1;
	vc_pointer(c, 100, 100, 0);
	vc_pointer(c, 100, 100, RFB_LEFT);
	vc_pointer(c, 100, 100, 0);
	{
		/* Wait for the click's release packet. */
		bool seen_left = false;
		long long deadline = vc_now_ms() + VC_GUEST_MS;
		char line[VC_LINE_MAX];

		while (vc_now_ms() < deadline) {
			unsigned before = vc_bytes.n;

			if (serial_line(s, line, sizeof(line), VC_GUEST_MS) <= 0)
				break;
			vc_bytes_add(line);
			if (vc_bytes.n == before || vc_bytes.n % 3)
				continue;
			if (!vc_decode_packets())
				break;
			if (vc_packets[vc_npackets - 1].buttons & PS2_LEFT)
				seen_left = true;
			else if (seen_left && vc_packets[vc_npackets - 1].buttons == 0)
				break;
		}
		if (!seen_left || !vc_npackets || vc_packets[vc_npackets - 1].buttons) {
			char got[512];

			vc_format_bytes(got, sizeof(got), vc_bytes.b, vc_bytes.n);
			vc_fail("mouse: no left click reached the guest (aux bytes: %s)", got);
			goto out;
		}
		vc_pass("mouse: a click reaches the guest as PS/2 packets");
	}

	vc_bytes.n = 0;
	vc_want_segments = nwant;
	vc_pointer(c, 100, 100, RFB_LEFT);
	vc_pointer(c, 115, 90, RFB_LEFT);
	vc_pointer(c, 130, 80, RFB_LEFT);
	vc_pointer(c, 130, 80, 0);
	vc_pointer(c, 90, 140, 0);
	vc_pointer(c, 90, 140, RFB_RIGHT);
	vc_pointer(c, 90, 140, 0);
	vc_pointer(c, 90, 140, RFB_MIDDLE);
	vc_pointer(c, 90, 140, 0);
	vc_pointer(c, 600, 140, 0);
	vc_pointer(c, 600, 140, RFB_LEFT);
	vc_pointer(c, 600, 140, 0);
	if (vc_bytes_collect(s, vc_mouse_enough) < 0)
		vc_fail("mouse: the guest stopped answering");
	if (!vc_decode_packets()) {
		vc_fail("mouse: malformed PS/2 stream: %s", vc_packet_error);
		goto out;
	}
	vc_pass("mouse: %u well-formed 3-byte packets", vc_npackets);
	nseg = vc_segments(seg, 32);
	ok = nseg == nwant;
	for (unsigned i = 0; ok && i < nwant; i++)
		ok = seg[i].buttons == want[i].buttons && seg[i].dx == want[i].dx &&
		     seg[i].dy == want[i].dy;
	if (ok) {
		vc_pass("mouse: buttons left/right/middle and motion (+30,+20) (-40,-60) (+510,0) "
			"as sent");
	} else {
		vc_fail("mouse: the guest saw other buttons or motion:");
		for (unsigned i = 0; i < nseg || i < nwant; i++) {
			printf("  state %u: got ", i);
			vc_print_segment(i < nseg ? &seg[i] : NULL);
			printf(", want ");
			vc_print_segment(i < nwant ? &want[i] : NULL);
			putchar('\n');
		}
	}
	/* A 510-pixel move needs at least two packets of at most 255. */
	if (nseg >= 6 && seg[5].packets >= 2 && seg[5].max_step <= 255)
		vc_pass("mouse: a 510-pixel move is split into %u packets", seg[5].packets);
	else if (nseg >= 6)
		vc_fail("mouse: a 510-pixel move came as %u packet(s), largest step %d",
			seg[5].packets, seg[5].max_step);
out:
	vc_close(c);
	close(s->fd);
	free(s);
	return vc_failed;
}

/* ---- type (for a real guest's shell) ---- */

/* US layout: characters typed with Shift held. */
static bool vc_needs_shift(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch && strchr("~!@#$%^&*()_+{}|:\"<>?", ch));
}

static void vc_tap(rfbClient *c, uint32_t keysym, bool shift)
{
	if (shift)
		SendKeyEvent(c, XK_Shift_L, TRUE);
	SendKeyEvent(c, keysym, TRUE);
	usleep(VC_KEY_PACE_US);
	SendKeyEvent(c, keysym, FALSE);
	if (shift)
		SendKeyEvent(c, XK_Shift_L, FALSE);
	usleep(VC_KEY_PACE_US);
}

static int cmd_type(int argc, char **argv)
{
	rfbClient *c;

	if (argc != 2)
		return vc_usage();
	c = vc_connect(argv[0]);
	if (!c) {
		vc_fail("type: cannot connect to %s", argv[0]);
		return 1;
	}
	for (const char *p = argv[1]; *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			fprintf(stderr, "vnc-check: type: only printable ASCII\n");
			vc_close(c);
			return 2;
		}
		vc_tap(c, (unsigned char)*p, vc_needs_shift(*p));
		vc_pump(c, 1, NULL);
	}
	vc_tap(c, XK_Return, false);
	vc_pump(c, 100, NULL);
	vc_pass("type: sent %zu characters and Return", strlen(argv[1]));
	vc_close(c);
	return vc_failed;
}

/* nonblack: the frame shows something (a real guest's console). */
static unsigned long vc_nonblack_count;

static bool vc_nonblack(rfbClient *c)
{
	vc_nonblack_count = 0;
	if (!vc_full_frame(c))
		return false;
	for (int y = 0; y < c->height; y++)
		for (int x = 0; x < c->width; x++)
			if (vc_pixel(c, x, y))
				vc_nonblack_count++;
	return vc_nonblack_count > 0;
}

static int cmd_nonblack(int argc, char **argv)
{
	unsigned secs = argc > 1 ? vc_parse_uint(argv[1], 3600) : 30;
	rfbClient *c;
	int r;

	if (argc < 1 || argc > 2)
		return vc_usage();
	c = vc_connect(argv[0]);
	if (!c) {
		vc_fail("nonblack: cannot connect to %s", argv[0]);
		return 1;
	}
	r = vc_pump(c, (int)secs * 1000, vc_nonblack);
	if (r == 1)
		vc_pass("nonblack: the %dx%d frame has %lu non-black pixels", c->width, c->height,
			vc_nonblack_count);
	else
		vc_fail("nonblack: the %dx%d frame stayed black for %u s%s", c->width, c->height,
			secs, r < 0 ? " (connection lost)" : "");
	vc_close(c);
	return vc_failed;
}

/* ---- garbage: hostile clients ---- */

static int vc_raw_connect(const char *target)
{
	char *host;
	int port, fd = -1;

	if (vc_parse_target(target, &host, &port) < 0)
		return -1;
	if (port) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
		char ports[8];

		snprintf(ports, sizeof(ports), "%d", port);
		if (!getaddrinfo(host, ports, &hints, &ai)) {
			fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
				close(fd);
				fd = -1;
			}
			freeaddrinfo(ai);
		}
	} else {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		if (strlen(host) < sizeof(sa.sun_path)) {
			strcpy(sa.sun_path, host);
			fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				close(fd);
				fd = -1;
			}
		}
	}
	free(host);
	return fd;
}

static bool vc_raw_read(int fd, void *buf, size_t n)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	while (n) {
		ssize_t r;

		if (poll(&pfd, 1, 5000) <= 0)
			return false;
		r = read(fd, buf, n);
		if (r <= 0)
			return false;
		buf = (char *)buf + r;
		n -= r;
	}
	return true;
}

static void vc_raw_send(int fd, const void *buf, size_t n)
{
	(void)!send(fd, buf, n, MSG_NOSIGNAL); /* the server may hang up: fine */
}

/* Up to ServerInit by the book (no authentication), so the hostile
 * messages reach the server's message parser. */
static bool vc_raw_handshake(int fd)
{
	char version[12], name[256];
	uint8_t ntypes, types[255], sel = 1, init[24], shared = 1;
	uint32_t result, namelen;

	if (!vc_raw_read(fd, version, 12) || memcmp(version, "RFB ", 4))
		return false;
	vc_raw_send(fd, "RFB 003.008\n", 12);
	if (!vc_raw_read(fd, &ntypes, 1) || !ntypes || !vc_raw_read(fd, types, ntypes) ||
	    !memchr(types, 1, ntypes))
		return false;
	vc_raw_send(fd, &sel, 1);
	if (!vc_raw_read(fd, &result, 4) || result)
		return false;
	vc_raw_send(fd, &shared, 1);
	if (!vc_raw_read(fd, init, 24))
		return false;
	namelen = (uint32_t)init[20] << 24 | init[21] << 16 | init[22] << 8 | init[23];
	while (namelen) {
		uint32_t n = namelen < sizeof(name) ? namelen : sizeof(name);

		if (!vc_raw_read(fd, name, n))
			return false;
		namelen -= n;
	}
	return true;
}

static int cmd_garbage(int argc, char **argv)
{
	/* Message by message, each on its own connection: wrong pixel
	 * formats, lying lengths, out-of-range rectangles and pointers,
	 * unknown keysyms and message types. */
	static const struct {
		const char *name;
		size_t len;
		uint8_t bytes[24];
	} msgs[] = {
	    {"SetPixelFormat 0 bpp", 20, {0, 0, 0, 0, 0, 0, 0, 0}},
	    {"SetEncodings claiming 65535", 4, {2, 0, 0xff, 0xff}},
	    {"FramebufferUpdateRequest out of range",
	     10,
	     {3, 0, 0xff, 0xf0, 0xff, 0xf0, 0xff, 0xff, 0xff, 0xff}},
	    {"KeyEvent with keysym 0xffffffff", 8, {4, 1, 0, 0, 0xff, 0xff, 0xff, 0xff}},
	    {"PointerEvent at 65535,65535", 6, {5, 0, 0xff, 0xff, 0xff, 0xff}},
	    {"ClientCutText of 4 GiB", 8, {6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}},
	    {"unknown message type 0xee", 4, {0xee, 1, 2, 3}},
	};
	uint8_t junk[4096];
	unsigned handshakes = 0;
	int fd;

	if (argc != 1)
		return vc_usage();
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	/* Junk instead of a protocol version. */
	fd = vc_raw_connect(argv[0]);
	if (fd < 0) {
		vc_fail("garbage: cannot connect to %s", argv[0]);
		return 1;
	}
	vc_raw_send(fd, junk, sizeof(junk));
	close(fd);
	/* Connect and hang up at once. */
	fd = vc_raw_connect(argv[0]);
	if (fd >= 0)
		close(fd);
	for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		fd = vc_raw_connect(argv[0]);
		if (fd < 0)
			continue;
		if (vc_raw_handshake(fd)) {
			handshakes++;
			vc_raw_send(fd, msgs[m].bytes, msgs[m].len);
			vc_raw_send(fd, junk, sizeof(junk));
			usleep(50000);
		}
		close(fd);
	}
	printf("garbage: %u of %zu hostile sessions got past the handshake\n", handshakes,
	       sizeof(msgs) / sizeof(msgs[0]));
	vc_check(handshakes > 0, "garbage: the server answers the RFB handshake (no auth)",
		 "no session got to ServerInit");
	return vc_failed;
}

/* serial: send TEXT to the guest's serial socket (no VNC involved) and
 * wait for the line WANT. A sync first: the VMM sends a new client the
 * replay before it reads the client's input, and a client that hangs up
 * at once can lose what it sent. */
static int cmd_serial(int argc, char **argv)
{
	struct serial *s = calloc(1, sizeof(*s));
	int r;

	if (argc < 2 || argc > 3)
		return vc_usage();
	if (!s || serial_open(s, argv[0]) < 0)
		return 1;
	r = serial_sync(s, NULL, NULL);
	if (r < 0)
		fprintf(stderr, "vnc-check: the guest does not answer on %s\n", argv[0]);
	if (!r)
		r = serial_write(s, argv[1]);
	if (!r && argc == 3) {
		r = serial_expect(s, argv[2], VC_GUEST_MS);
		if (r < 0)
			fprintf(stderr, "vnc-check: the guest did not print '%s'\n", argv[2]);
	}
	close(s->fd);
	free(s);
	return r < 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
	    {"pattern", cmd_pattern},	{"damage", cmd_damage},	  {"keys", cmd_keys},
	    {"mouse", cmd_mouse},	{"garbage", cmd_garbage}, {"type", cmd_type},
	    {"nonblack", cmd_nonblack}, {"serial", cmd_serial},
	};

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		vc_verbose = 1;
		argc--;
		argv++;
	}
	if (argc < 2)
		return vc_usage();
	rfbClientLog = vc_log_quiet;
	rfbClientErr = vc_log_quiet;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 2, argv + 2) ? 1 : 0;
	return vc_usage();
}
