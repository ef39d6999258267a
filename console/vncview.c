/* The VNC viewer session: one RFB connection through libvncclient, the
 * terminal in raw mode on the alternate screen, the guest's screen drawn
 * with render.h and keys/mouse sent with termkeys.h, all on one thread. */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <rfb/keysym.h>
#include <rfb/rfbclient.h>

#include "termkeys.h"
#include "vncview.h"

#define VV_ESCAPE_BYTE	    0x1d	      /* Ctrl-] */
#define VV_ESC_TIMEOUT_MS   25		      /* a lone ESC is the Escape key after this */
#define VV_FRAME_NS	    (1000000000 / 30) /* at most ~30 frames per second */
#define VV_NOTE_NS	    2000000000ULL     /* how long a note stays in the status bar */
#define VV_MAX_DIM	    16384	      /* larger server screens are refused */
#define VV_MAX_ZOOM	    8
#define VV_FLUSH_ON_EXIT_MS 2000 /* waiting for a slow terminal before leaving */
/* Graphics frames are rows of pixels (a full picture is hundreds of KiB
 * to MiB): at most ~10 per second, which a local terminal keeps up with. */
#define VV_GFX_FRAME_NS (1000000000 / 10)
#define VV_PROBE_MS	150 /* how long the terminal may take to answer the probe */

/* Sequences that set the terminal up for the viewer and put it back. */
#define VV_TERM_ENTER                                                                              \
	"\033[?1049h"			    /* alternate screen */                                 \
	"\033[?25l"			    /* hide the cursor */                                  \
	"\033[?1000h\033[?1002h\033[?1006h" /* mouse: buttons, drags, SGR coordinates */           \
	"\033[?2004h"			    /* bracketed paste */                                  \
	"\033[0m\033[2J"
#define VV_TERM_LEAVE "\033[?2004l\033[?1006l\033[?1002l\033[?1000l\033[0m\033[?25h\033[?1049l"
#define VV_SYNC_BEGIN "\033[?2026h"
#define VV_SYNC_END   "\033[?2026l"

struct vncview {
	rfbClient *client;
	const struct vncview_options *opts;
	int in_fd, out_fd;
	int wfd; /* where frames are written: our own non-blocking fd, or out_fd */
	bool wfd_own;
	struct termios saved_termios;
	bool raw, screen_set;

	enum render_colors colors;
	bool utf8;
	int cols, rows; /* the terminal */
	struct render_view view;
	double zoom; /* 1 = fit */
	struct render_grid grid, prev;
	bool prev_valid;
	bool damaged;	  /* the server changed pixels since the last frame */
	bool full_redraw; /* clear the terminal and draw every cell */
	bool status_dirty;
	uint64_t last_frame_ns;

	/* Graphics: the mode drawn with, what the terminal answered to the
	 * probe, its cell size in pixels, the encoder's buffers. */
	enum render_gfx_mode gfx;
	bool has_sixel, has_kitty;
	int cell_w, cell_h;
	bool cell_px_known; /* from the kernel or the terminal, not guessed */
	struct render_gfx gfx_state;

	struct render_out out; /* the frame being written */
	size_t out_off;

	uint8_t in[4096]; /* terminal input not parsed yet */
	size_t in_len;
	uint64_t in_since_ns; /* when the oldest unparsed byte arrived */
	bool in_paste;	      /* between bracketed-paste markers: no local keys */

	bool menu_open;
	char note[128];
	uint64_t note_until_ns;
	bool server_gone;
	bool resized; /* the window changed size while we ran */
};

/* libvncclient's log goes here instead of stderr (it would tear the
 * screen); the last line explains a failure. Global because the library's
 * log hooks are. */
static char vv_last_log[256];
static int vv_client_tag;

static volatile sig_atomic_t vv_signal;
static volatile sig_atomic_t vv_winch;

static void vv_log(const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(vv_last_log, sizeof(vv_last_log), fmt, ap);
	va_end(ap);
	n = strlen(vv_last_log);
	while (n && (vv_last_log[n - 1] == '\n' || vv_last_log[n - 1] == '\r'))
		vv_last_log[--n] = '\0';
}

static uint64_t vv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- connecting ------------------------------------------------------------------ */

static int vv_connect_unix(const char *path, int *fd, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "cannot connect to %s: the path is too long for a socket",
			 path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		e = errno;
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
		return -e;
	}
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(s);
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
		return -e;
	}
	*fd = s;
	return 0;
}

static int vv_connect_tcp(const char *host, int port, int *fd, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res, *ai;
	char service[16];
	int r, s = -1, e = ECONNREFUSED, one = 1;

	snprintf(service, sizeof(service), "%d", port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r) {
		snprintf(err, errlen, "cannot connect to %s port %d: %s", host, port,
			 gai_strerror(r));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (s < 0) {
			e = errno;
			continue;
		}
		if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(s);
		s = -1;
	}
	freeaddrinfo(res);
	if (s < 0) {
		snprintf(err, errlen, "cannot connect to %s port %d: %s", host, port, strerror(e));
		return -e;
	}
	/* Key and pointer events are tiny: send them at once. */
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd = s;
	return 0;
}

static int vv_parse_number(const char *s, long min, long max, long *out)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

int vncview_connect(const char *target, int *fd, char *err, size_t errlen)
{
	char host[256];
	const char *rest, *sep;
	long n, port;
	size_t hlen;

	if (strchr(target, '/'))
		return vv_connect_unix(target, fd, err, errlen);

	/* [v6addr]:D, [v6addr]::P, host:D, host::P, :D (this machine). */
	if (target[0] == '[') {
		sep = strchr(target, ']');
		if (!sep || sep[1] != ':')
			goto bad;
		hlen = (size_t)(sep - target - 1);
		rest = sep + 1;
		target++;
	} else {
		sep = strchr(target, ':');
		if (!sep)
			goto bad;
		hlen = (size_t)(sep - target);
		rest = sep;
	}
	if (hlen >= sizeof(host))
		goto bad;
	memcpy(host, target, hlen);
	host[hlen] = '\0';
	if (!hlen)
		strcpy(host, "localhost");
	if (rest[0] == ':' && rest[1] == ':') {
		if (vv_parse_number(rest + 2, 1, 65535, &port) < 0) {
			snprintf(err, errlen, "VNC address '%s': the port must be 1 to 65535",
				 target);
			return -EINVAL;
		}
	} else {
		if (vv_parse_number(rest + 1, 0, 65535 - 5900, &n) < 0) {
			snprintf(err, errlen,
				 "VNC address '%s': the display must be a number from 0 to %d "
				 "(HOST::PORT gives a port)",
				 target, 65535 - 5900);
			return -EINVAL;
		}
		port = 5900 + n;
	}
	return vv_connect_tcp(host, (int)port, fd, err, errlen);
bad:
	snprintf(err, errlen,
		 "'%s' is not a VNC address: give a socket path, HOST:DISPLAY or HOST::PORT",
		 target);
	return -EINVAL;
}

/* ---- output ---------------------------------------------------------------------- */

static int vv_puts(struct render_out *o, const char *s)
{
	return render_out_append(o, s, strlen(s));
}

/* Write what is left of the current frame without waiting: a slow link
 * keeps the rest for later (and no new frame is made meanwhile). Returns
 * 0, or -errno when the terminal is gone. */
static int vv_flush(struct vncview *v)
{
	while (v->out_off < v->out.len) {
		ssize_t n = write(v->wfd, v->out.data + v->out_off, v->out.len - v->out_off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		v->out_off += (size_t)n;
	}
	v->out.len = 0;
	v->out_off = 0;
	return 0;
}

static bool vv_output_pending(const struct vncview *v)
{
	return v->out_off < v->out.len;
}

/* Blocking write for setup and teardown, bounded so a dead terminal
 * cannot keep us here. */
static void vv_write_wait(struct vncview *v, const char *buf, size_t len)
{
	uint64_t deadline = vv_now_ns() + VV_FLUSH_ON_EXIT_MS * 1000000ULL;

	while (len) {
		ssize_t n = write(v->wfd, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {.fd = v->wfd, .events = POLLOUT};
			int64_t left = (int64_t)(deadline - vv_now_ns());

			if (left <= 0 || poll(&p, 1, (int)(left / 1000000) + 1) <= 0)
				return;
			continue;
		}
		return;
	}
}

/* ---- the terminal -------------------------------------------------------------- */

static void vv_term_size(struct vncview *v)
{
	struct winsize ws;

	if ((ioctl(v->out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) ||
	    (ioctl(v->in_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0)) {
		v->cols = ws.ws_col;
		v->rows = ws.ws_row;
		/* Terminals that fill in the pixel size give the cell size
		 * for free; the others keep what the probe found (a font
		 * does not change with the window). */
		if (ws.ws_xpixel >= ws.ws_col && ws.ws_ypixel >= ws.ws_row) {
			v->cell_w = ws.ws_xpixel / ws.ws_col;
			v->cell_h = ws.ws_ypixel / ws.ws_row;
			v->cell_px_known = true;
		}
	} else {
		v->cols = 80;
		v->rows = 24;
	}
}

static int vv_term_enter(struct vncview *v, char *err, size_t errlen)
{
	struct termios raw;
	const char *tty;

	if (tcgetattr(v->in_fd, &v->saved_termios) < 0) {
		snprintf(err, errlen, "the VNC viewer needs a terminal");
		return -ENOTTY;
	}
	raw = v->saved_termios;
	/* Every key goes to the guest, Ctrl-C and Ctrl-Z too: only Ctrl-] is ours. */
	raw.c_iflag &=
	    ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
	raw.c_oflag &= ~(tcflag_t)OPOST;
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
	raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(v->in_fd, TCSADRAIN, &raw) < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot put the terminal in raw mode: %s", strerror(e));
		return -e;
	}
	v->raw = true;

	/* Frames are written without blocking (a slow link must not stall
	 * input), through a file description of our own so the shell's
	 * terminal never stays non-blocking. */
	v->wfd = v->out_fd;
	tty = ttyname(v->out_fd);
	if (tty) {
		int fd = open(tty, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

		if (fd >= 0) {
			v->wfd = fd;
			v->wfd_own = true;
		}
	}
	vv_write_wait(v, VV_TERM_ENTER, strlen(VV_TERM_ENTER));
	v->screen_set = true;
	return 0;
}

static void vv_term_leave(struct vncview *v)
{
	if (v->screen_set) {
		/* Finish the frame under way: stopping inside an escape sequence
		 * would leave the terminal parsing garbage. If it cannot be
		 * finished, CAN aborts the sequence. */
		if (vv_output_pending(v))
			vv_write_wait(v, v->out.data + v->out_off, v->out.len - v->out_off);
		if (vv_output_pending(v) || v->out_off)
			vv_write_wait(v, "\030", 1);
		v->out.len = v->out_off = 0;
		if (render_gfx_kitty_delete(&v->gfx_state, &v->out) > 0)
			vv_write_wait(v, v->out.data, v->out.len);
		v->out.len = 0;
		vv_write_wait(v, VV_SYNC_END VV_TERM_LEAVE, strlen(VV_SYNC_END VV_TERM_LEAVE));
		v->screen_set = false;
	}
	if (v->raw) {
		tcsetattr(v->in_fd, TCSADRAIN, &v->saved_termios);
		v->raw = false;
	}
	if (v->wfd_own) {
		close(v->wfd);
		v->wfd_own = false;
	}
	v->wfd = v->out_fd;
}

/* Colour depth from the environment: COLORTERM=truecolor/24bit is the
 * convention for 24-bit colour; a TERM naming 256 colours gets the
 * palette; anything else the 16 ANSI colours. NO_COLOR does not change
 * the picture (it is the guest's content, not decoration); the status bar
 * uses no colour in any case, only reverse video. */
static enum render_colors vv_auto_colors(void)
{
	const char *ct = getenv("COLORTERM"), *term = getenv("TERM");

	if (ct && (!strcmp(ct, "truecolor") || !strcmp(ct, "24bit")))
		return RENDER_COLORS_TRUE;
	if (term && strstr(term, "direct"))
		return RENDER_COLORS_TRUE;
	if (term && strstr(term, "256"))
		return RENDER_COLORS_256;
	return RENDER_COLORS_16;
}

static const char *vv_gfx_name(enum render_gfx_mode m)
{
	switch (m) {
	case RENDER_GFX_SIXEL:
		return "sixel";
	case RENDER_GFX_KITTY:
		return "kitty graphics";
	case RENDER_GFX_CELLS:
	default:
		return "cells";
	}
}

static const char *vv_colors_name(enum render_colors c)
{
	switch (c) {
	case RENDER_COLORS_TRUE:
		return "truecolor";
	case RENDER_COLORS_256:
		return "256 colours";
	case RENDER_COLORS_16:
	default:
		return "16 colours";
	}
}

/* ---- layout ------------------------------------------------------------------------ */

/* Pictures in pixels need the status line below them: an image reaching
 * the last row would scroll the screen. */
static bool vv_gfx_active(const struct vncview *v)
{
	return v->gfx != RENDER_GFX_CELLS && v->rows >= 2;
}

static uint64_t vv_frame_ns(const struct vncview *v)
{
	return vv_gfx_active(v) ? VV_GFX_FRAME_NS : VV_FRAME_NS;
}

static int vv_picture_rows(const struct vncview *v)
{
	return v->rows > 1 ? v->rows - 1 : 1;
}

/* The view for the current size and zoom, the centre clamped so panning
 * cannot run away past the edges. */
static void vv_layout(struct vncview *v)
{
	int w = v->client ? v->client->width : 0, h = v->client ? v->client->height : 0;
	int cols = v->cols, rows = vv_picture_rows(v);

	v->view.cols = cols;
	v->view.rows = rows;
	v->view.zoom = v->zoom;
	if (w > 0 && h > 0) {
		/* Samples per pixel when the picture fits: a cell is 1x2 samples. */
		double s = fmin((double)cols / w, 2.0 * rows / h);
		double hw = fmin((double)w, cols / (s * v->zoom)) / 2;
		double hh = fmin((double)h, 2.0 * rows / (s * v->zoom)) / 2;

		if (v->zoom <= 1) {
			v->view.cx = w / 2.0;
			v->view.cy = h / 2.0;
		}
		v->view.cx = fmax(hw, fmin(w - hw, v->view.cx));
		v->view.cy = fmax(hh, fmin(h - hh, v->view.cy));
	}
}

static void vv_note(struct vncview *v, const char *text)
{
	snprintf(v->note, sizeof(v->note), "%s", text);
	v->note_until_ns = vv_now_ns() + VV_NOTE_NS;
	v->status_dirty = true;
}

/* Printable ASCII only: the desktop name comes from the server, and the
 * status bar must stay one line of known width in any locale. */
static void vv_sanitize(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 1 < len; src++)
		dst[i++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[i] = '\0';
}

static int vv_draw_status(struct vncview *v)
{
	char left[512], right[64], line[1024];
	rfbClient *c = v->client;
	size_t llen, rlen, width = (size_t)v->cols;
	int r;

	if (v->rows < 2)
		return 0;
	if (v->menu_open) {
		snprintf(left, sizeof(left),
			 " menu: d Ctrl-Alt-Del  z/x zoom in/out  0 fit  arrows pan  c colours  "
			 "g graphics  r redraw  F12 send F12  Esc close");
		right[0] = '\0';
	} else {
		char zoom[16], desk[64], title[128];

		if (v->zoom > 1)
			snprintf(zoom, sizeof(zoom), "zoom x%d", (int)v->zoom);
		else
			snprintf(zoom, sizeof(zoom), "fit");
		vv_sanitize(desk, sizeof(desk), c->desktopName);
		vv_sanitize(title, sizeof(title), v->opts->title ? v->opts->title : "VNC");
		if (v->note[0] && vv_now_ns() < v->note_until_ns)
			snprintf(left, sizeof(left), " %s", v->note);
		else
			snprintf(left, sizeof(left), " %s | %s | %dx%d | %s | %s%s", title,
				 desk[0] ? desk : "-", c->width, c->height,
				 v->gfx != RENDER_GFX_CELLS ? vv_gfx_name(v->gfx)
							    : vv_colors_name(v->colors),
				 zoom, v->opts->view_only ? " | view only" : "");
		snprintf(right, sizeof(right), "%s leave  %s menu ", VNCVIEW_ESCAPE_KEY_NAME,
			 VNCVIEW_MENU_KEY_NAME);
	}
	llen = strlen(left);
	rlen = strlen(right);
	if (rlen + 1 > width)
		rlen = 0;
	if (llen + rlen + (rlen ? 1 : 0) > width) /* keep a blank between the two */
		llen = width - rlen - (rlen ? 1 : 0);
	if (width >= sizeof(line))
		width = sizeof(line) - 1;
	memset(line, ' ', width);
	memcpy(line, left, llen < width ? llen : width);
	if (rlen)
		memcpy(line + width - rlen, right, rlen);
	line[width] = '\0';

	snprintf(left, sizeof(left), "\033[%d;1H\033[0;7m", v->rows);
	if ((r = vv_puts(&v->out, left)) < 0 || (r = render_out_append(&v->out, line, width)) < 0 ||
	    (r = vv_puts(&v->out, "\033[0m")) < 0)
		return r;
	return 1;
}

/* One frame: the cells that changed and the status bar, in one write
 * wrapped in synchronized output (terminals without it ignore it). */
static int vv_frame(struct vncview *v)
{
	rfbClient *c = v->client;
	bool gfx_full = false;
	size_t mark;
	int r;

	if ((r = vv_puts(&v->out, VV_SYNC_BEGIN)) < 0)
		return r;
	mark = v->out.len;
	if (v->full_redraw) {
		if ((r = vv_puts(&v->out, "\033[0m\033[2J")) < 0)
			return r;
		/* Kitty images are not text: 2J may leave them. */
		if (render_gfx_kitty_delete(&v->gfx_state, &v->out) < 0)
			return -ENOMEM;
		gfx_full = true;
		v->prev_valid = false;
		v->status_dirty = true;
		v->damaged = true;
		v->full_redraw = false;
	}
	if (v->damaged && c->frameBuffer && c->width > 0 && c->height > 0) {
		struct render_image img = {
		    .pixels = c->frameBuffer,
		    .width = c->width,
		    .height = c->height,
		    .stride = (size_t)c->width * 4,
		};
		struct render_grid tmp;
		long n;

		if (vv_gfx_active(v)) {
			/* The cell rows whose pixels changed, as images. */
			n = render_gfx_frame(&v->gfx_state, v->gfx, &img, &v->view, v->cell_w,
					     v->cell_h, 0, 0, gfx_full, &v->out);
			if (n < 0)
				return (int)n;
			v->prev_valid = false;
			goto drawn;
		}
		if (v->grid.cols != v->view.cols || v->grid.rows != v->view.rows || !v->grid.cells)
			if ((r = render_grid_resize(&v->grid, v->view.cols, v->view.rows)) < 0)
				return r;
		render_image(&img, &v->view, v->colors, &v->grid);
		n = render_emit(v->prev_valid ? &v->prev : NULL, &v->grid, 0, 0, v->colors, v->utf8,
				&v->out);
		if (n < 0)
			return (int)n;
		tmp = v->prev;
		v->prev = v->grid;
		v->grid = tmp;
		v->prev_valid = true;
	}
drawn:
	v->damaged = false;
	if (v->status_dirty) {
		if ((r = vv_draw_status(v)) < 0)
			return r;
		v->status_dirty = false;
	}
	if (v->out.len == mark) {
		/* Nothing changed: no bytes at all. */
		v->out.len -= strlen(VV_SYNC_BEGIN);
		return 0;
	}
	if ((r = vv_puts(&v->out, VV_SYNC_END)) < 0)
		return r;
	v->last_frame_ns = vv_now_ns();
	return vv_flush(v);
}

/* ---- input to the server -------------------------------------------------------- */

/* XT (PC set 1) scancodes of a US keyboard for the QEMU extended key
 * event, which names the physical key, so the server need not guess a
 * layout. Codes with the 0xE0 prefix have bit 7 set, as that message
 * encodes them. 0 = unknown: the plain key event is sent instead. */
static uint32_t vv_xt_code(uint32_t ks)
{
	static const uint8_t letters[26] = {
	    0x1e, 0x30, 0x2e, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32,
	    0x31, 0x18, 0x19, 0x10, 0x13, 0x1f, 0x14, 0x16, 0x2f, 0x11, 0x2d, 0x15, 0x2c,
	};
	/* clang-format off */
	static const struct {
		uint32_t keysym;
		uint8_t code;
	} table[] = {
	    {XK_1, 0x02}, {XK_exclam, 0x02}, {XK_2, 0x03}, {XK_at, 0x03},
	    {XK_3, 0x04}, {XK_numbersign, 0x04}, {XK_4, 0x05}, {XK_dollar, 0x05},
	    {XK_5, 0x06}, {XK_percent, 0x06}, {XK_6, 0x07}, {XK_asciicircum, 0x07},
	    {XK_7, 0x08}, {XK_ampersand, 0x08}, {XK_8, 0x09}, {XK_asterisk, 0x09},
	    {XK_9, 0x0a}, {XK_parenleft, 0x0a}, {XK_0, 0x0b}, {XK_parenright, 0x0b},
	    {XK_minus, 0x0c}, {XK_underscore, 0x0c}, {XK_equal, 0x0d}, {XK_plus, 0x0d},
	    {XK_bracketleft, 0x1a}, {XK_braceleft, 0x1a}, {XK_bracketright, 0x1b},
	    {XK_braceright, 0x1b}, {XK_semicolon, 0x27}, {XK_colon, 0x27},
	    {XK_apostrophe, 0x28}, {XK_quotedbl, 0x28}, {XK_grave, 0x29},
	    {XK_asciitilde, 0x29}, {XK_backslash, 0x2b}, {XK_bar, 0x2b}, {XK_comma, 0x33},
	    {XK_less, 0x33}, {XK_period, 0x34}, {XK_greater, 0x34}, {XK_slash, 0x35},
	    {XK_question, 0x35}, {XK_space, 0x39},
	    {XK_Escape, 0x01}, {XK_BackSpace, 0x0e}, {XK_Tab, 0x0f}, {XK_ISO_Left_Tab, 0x0f},
	    {XK_Return, 0x1c}, {XK_Control_L, 0x1d}, {XK_Control_R, 0x9d},
	    {XK_Shift_L, 0x2a}, {XK_Shift_R, 0x36}, {XK_Alt_L, 0x38}, {XK_Alt_R, 0xb8},
	    {XK_Meta_L, 0xdb}, {XK_Meta_R, 0xdc}, {XK_Super_L, 0xdb}, {XK_Super_R, 0xdc},
	    {XK_Menu, 0xdd}, {XK_Caps_Lock, 0x3a}, {XK_Num_Lock, 0x45},
	    {XK_Scroll_Lock, 0x46}, {XK_Print, 0xb7},
	    {XK_F1, 0x3b}, {XK_F2, 0x3c}, {XK_F3, 0x3d}, {XK_F4, 0x3e}, {XK_F5, 0x3f},
	    {XK_F6, 0x40}, {XK_F7, 0x41}, {XK_F8, 0x42}, {XK_F9, 0x43}, {XK_F10, 0x44},
	    {XK_F11, 0x57}, {XK_F12, 0x58},
	    {XK_Home, 0xc7}, {XK_Up, 0xc8}, {XK_Prior, 0xc9}, {XK_Left, 0xcb},
	    {XK_Right, 0xcd}, {XK_End, 0xcf}, {XK_Down, 0xd0}, {XK_Next, 0xd1},
	    {XK_Insert, 0xd2}, {XK_Delete, 0xd3},
	    {XK_KP_Enter, 0x9c}, {XK_KP_Divide, 0xb5}, {XK_KP_Multiply, 0x37},
	    {XK_KP_Subtract, 0x4a}, {XK_KP_Add, 0x4e}, {XK_KP_Decimal, 0x53},
	    {XK_KP_7, 0x47}, {XK_KP_8, 0x48}, {XK_KP_9, 0x49}, {XK_KP_4, 0x4b},
	    {XK_KP_5, 0x4c}, {XK_KP_6, 0x4d}, {XK_KP_1, 0x4f}, {XK_KP_2, 0x50},
	    {XK_KP_3, 0x51}, {XK_KP_0, 0x52},
	};
	/* clang-format on */

	if (ks >= XK_a && ks <= XK_z)
		return letters[ks - XK_a];
	if (ks >= XK_A && ks <= XK_Z)
		return letters[ks - XK_A];
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].keysym == ks)
			return table[i].code;
	return 0;
}

static void vv_send_keys(struct vncview *v, const struct rfb_key *keys, int n)
{
	bool ext = SupportsClient2Server(v->client, rfbQemuEvent);

	for (int i = 0; i < n && !v->server_gone; i++) {
		uint32_t code = ext ? vv_xt_code(keys[i].keysym) : 0;
		rfbBool ok;

		if (code)
			ok = SendExtendedKeyEvent(v->client, keys[i].keysym, code, keys[i].down);
		else
			ok = SendKeyEvent(v->client, keys[i].keysym, keys[i].down);
		if (!ok)
			v->server_gone = true;
	}
}

static void vv_send_event_key(struct vncview *v, const struct term_event *ev)
{
	struct rfb_key keys[16];
	int n;

	if (v->opts->view_only) {
		vv_note(v, "view only: keys are not sent");
		return;
	}
	n = term_key_to_rfb(ev, keys, 16);
	vv_send_keys(v, keys, n);
}

static void vv_send_ctrl_alt_del(struct vncview *v)
{
	static const struct rfb_key keys[] = {
	    {XK_Control_L, true}, {XK_Alt_L, true},  {XK_Delete, true},
	    {XK_Delete, false},	  {XK_Alt_L, false}, {XK_Control_L, false},
	};

	if (v->opts->view_only) {
		vv_note(v, "view only: Ctrl-Alt-Del not sent");
		return;
	}
	vv_send_keys(v, keys, (int)(sizeof(keys) / sizeof(keys[0])));
	vv_note(v, "sent Ctrl-Alt-Del");
}

static void vv_send_mouse(struct vncview *v, const struct term_event *ev)
{
	struct rfb_pointer p[8];
	int n;

	if (v->opts->view_only || v->menu_open || ev->row < 0 || ev->row >= v->view.rows ||
	    v->client->width <= 0)
		return;
	if (vv_gfx_active(v)) {
		/* The picture's own pixel geometry: the middle of the cell in
		 * the pixel view (two pixel rows per view row). */
		struct term_event pe = *ev;
		struct render_view pv;
		int w, h;

		render_gfx_size(v->gfx, v->client->width, v->client->height, &v->view, v->cell_w,
				v->cell_h, &w, &h);
		pv = render_gfx_pixel_view(&v->view, w, h);
		pe.col = (int)(((2LL * ev->col + 1) * w) / (2LL * v->view.cols));
		pe.row = (int)((((2LL * ev->row + 1) * h) / (2LL * v->view.rows)) / 2);
		n = term_mouse_to_rfb(&pe, &pv, v->client->width, v->client->height, p, 8);
	} else {
		n = term_mouse_to_rfb(ev, &v->view, v->client->width, v->client->height, p, 8);
	}
	for (int i = 0; i < n && !v->server_gone; i++)
		if (!SendPointerEvent(v->client, p[i].x, p[i].y, p[i].mask))
			v->server_gone = true;
}

/* ---- the menu ---------------------------------------------------------------------- */

static void vv_set_zoom(struct vncview *v, double zoom)
{
	v->zoom = fmax(1, fmin(VV_MAX_ZOOM, zoom));
	vv_layout(v);
	v->damaged = true;
	v->status_dirty = true;
}

static void vv_pan(struct vncview *v, int dx, int dy)
{
	int w = v->client->width, h = v->client->height;

	if (v->zoom <= 1 || w <= 0)
		return;
	/* A quarter of what is visible per press. */
	v->view.cx += dx * (w / v->zoom) / 4;
	v->view.cy += dy * (h / v->zoom) / 4;
	vv_layout(v);
	v->damaged = true;
}

/* Keys while the menu is open. Zoom, pan and colour keys keep it open so
 * they can be repeated; the others close it. */
static void vv_menu_key(struct vncview *v, const struct term_event *ev)
{
	rfbClient *c = v->client;
	bool close = true;

	switch (ev->keysym) {
	case XK_d:
		vv_send_ctrl_alt_del(v);
		break;
	case XK_z:
		vv_set_zoom(v, v->zoom * 2);
		close = false;
		break;
	case XK_x:
		vv_set_zoom(v, v->zoom / 2);
		close = false;
		break;
	case XK_0:
		vv_set_zoom(v, 1);
		close = false;
		break;
	case XK_Left:
		vv_pan(v, -1, 0);
		close = false;
		break;
	case XK_Right:
		vv_pan(v, 1, 0);
		close = false;
		break;
	case XK_Up:
		vv_pan(v, 0, -1);
		close = false;
		break;
	case XK_Down:
		vv_pan(v, 0, 1);
		close = false;
		break;
	case XK_c:
		v->colors = v->colors == RENDER_COLORS_TRUE  ? RENDER_COLORS_256
			    : v->colors == RENDER_COLORS_256 ? RENDER_COLORS_16
							     : RENDER_COLORS_TRUE;
		v->full_redraw = true;
		close = false;
		break;
	case XK_g: {
		char note[96];

		v->gfx = v->gfx == RENDER_GFX_CELLS   ? RENDER_GFX_SIXEL
			 : v->gfx == RENDER_GFX_SIXEL ? RENDER_GFX_KITTY
						      : RENDER_GFX_CELLS;
		snprintf(note, sizeof(note), "graphics: %s%s", vv_gfx_name(v->gfx),
			 (v->gfx == RENDER_GFX_SIXEL && !v->has_sixel) ||
				 (v->gfx == RENDER_GFX_KITTY && !v->has_kitty)
			     ? " (the terminal did not say it can)"
			     : "");
		vv_note(v, note);
		v->full_redraw = true;
		close = false;
		break;
	}
	case XK_r:
		if (c->width > 0 &&
		    !SendFramebufferUpdateRequest(c, 0, 0, c->width, c->height, FALSE))
			v->server_gone = true;
		v->full_redraw = true;
		break;
	case XK_F12: {
		struct term_event f12 = {.kind = TERM_EV_KEY, .keysym = XK_F12};

		vv_send_event_key(v, &f12);
		break;
	}
	default: /* Esc and anything else close the menu */
		break;
	}
	if (close)
		v->menu_open = false;
	v->status_dirty = true;
}

/* ---- terminal input ---------------------------------------------------------------- */

enum { VV_GO_ON, VV_LEAVE };

static int vv_key(struct vncview *v, const struct term_event *ev, const uint8_t *raw, size_t n)
{
	if (!v->in_paste && ((n == 1 && raw[0] == VV_ESCAPE_BYTE) ||
			     (ev->keysym == XK_bracketright && (ev->mods & TERM_MOD_CTRL))))
		return VV_LEAVE;
	if (v->menu_open) {
		vv_menu_key(v, ev);
		return VV_GO_ON;
	}
	if (!v->in_paste && ev->keysym == XK_F12 && !ev->mods) {
		v->menu_open = true;
		v->status_dirty = true;
		return VV_GO_ON;
	}
	vv_send_event_key(v, ev);
	return VV_GO_ON;
}

/* Parse and act on the buffered terminal input. final: the ESC timeout
 * ran out, so incomplete sequences are keys. */
static int vv_handle_input(struct vncview *v, bool final)
{
	size_t off = 0;
	int r = VV_GO_ON;

	while (off < v->in_len && r == VV_GO_ON) {
		struct term_event ev;
		const uint8_t *raw = v->in + off;
		size_t n = term_parse_event(raw, v->in_len - off, final, &ev);

		if (!n) {
			if (!final)
				break;
			n = 1; /* the parser promised not to do this; never spin */
			ev.kind = TERM_EV_IGNORED;
		}
		off += n;
		if (n == 6 && !memcmp(raw, "\033[200~", 6)) {
			v->in_paste = true;
			continue;
		}
		if (n == 6 && !memcmp(raw, "\033[201~", 6)) {
			v->in_paste = false;
			continue;
		}
		if (ev.kind == TERM_EV_KEY)
			r = vv_key(v, &ev, raw, n);
		else if (ev.kind == TERM_EV_MOUSE)
			vv_send_mouse(v, &ev);
	}
	memmove(v->in, v->in + off, v->in_len - off);
	v->in_len -= off;
	v->in_since_ns = vv_now_ns();
	return r;
}

/* ---- graphics probe --------------------------------------------------------------- */

/* A 1x1 kitty image query (answered OK by terminals with the protocol,
 * ignored by the others), the cell and text-area sizes in pixels, and
 * primary DA last: every terminal answers it, and in order, so its reply
 * means all others have come or never will. */
#define VV_PROBE_KITTY "\033_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\033\\"
#define VV_PROBE_SIZES "\033[16t\033[14t"
#define VV_PROBE_DA    "\033[c"

/* Numbers of a CSI reply "ESC [ [?] n ; n ... final" at buf; returns its
 * length (0 when incomplete or not one) and the final byte. */
static size_t vv_csi_reply(const uint8_t *buf, size_t len, bool *priv, long *p, int *np,
			   uint8_t *final)
{
	size_t i = 2;

	*np = 0;
	*priv = len > 2 && buf[2] == '?';
	if (*priv)
		i++;
	p[0] = 0;
	for (; i < len && i < 128; i++) {
		uint8_t c = buf[i];

		if (c >= '0' && c <= '9') {
			if (!*np)
				*np = 1;
			if (*np <= 16 && p[*np - 1] < 100000)
				p[*np - 1] = p[*np - 1] * 10 + (c - '0');
		} else if (c == ';') {
			if (!*np)
				*np = 1;
			if (*np < 16)
				p[*np] = 0;
			(*np)++;
		} else if (c >= 0x40 && c <= 0x7e) {
			*final = c;
			if (*np > 16)
				*np = 16;
			return i + 1;
		} else {
			return 0;
		}
	}
	return 0;
}

/* Whether buf ends inside a reply ("ESC [ ?", "ESC [ digits", "ESC _ G"
 * without its end): the rest is still coming. */
static bool vv_probe_incomplete(const uint8_t *buf, size_t len)
{
	size_t i = len;

	while (i > 0 && len - i < 128 && buf[i - 1] != 0x1b)
		i--;
	if (i == 0 || buf[i - 1] != 0x1b || i >= len)
		return false;
	if (buf[i] == '_')
		return i + 1 >= len || buf[i + 1] == 'G';
	if (buf[i] != '[' || i + 1 >= len)
		return false;
	for (size_t j = i + 1; j < len; j++)
		if (!((buf[j] >= '0' && buf[j] <= '9') || buf[j] == ';' || buf[j] == '?'))
			return false;
	return true;
}

/* Take the replies out of buf (the probe's answers) and, with apply,
 * set what they say and append every other byte (keys typed meanwhile)
 * to the input buffer. Returns true once the DA reply, the last one,
 * was seen. */
static bool vv_probe_take(struct vncview *v, const uint8_t *buf, size_t len, bool apply)
{
	bool da = false;
	size_t i = 0;

	while (i < len) {
		size_t n = 0;

		if (buf[i] == 0x1b && i + 2 < len && buf[i + 1] == '_' && buf[i + 2] == 'G') {
			/* APC G ... ST: the kitty reply. */
			for (size_t j = i + 3; j + 1 < len; j++)
				if (buf[j] == 0x1b && buf[j + 1] == '\\') {
					n = j + 2 - i;
					break;
				}
			if (apply && n && memmem(buf + i, n, "i=31", 4) &&
			    memmem(buf + i, n, ";OK", 3))
				v->has_kitty = true;
		} else if (buf[i] == 0x1b && i + 1 < len && buf[i + 1] == '[') {
			long p[16];
			int np;
			bool priv;
			uint8_t f = 0;

			n = vv_csi_reply(buf + i, len - i, &priv, p, &np, &f);
			if (n && priv && f == 'c') {
				da = true;
				for (int k = 1; k < np && apply; k++) /* p[0] is the class */
					if (p[k] == 4)
						v->has_sixel = true;
			} else if (n && !priv && f == 't' && np == 3 && p[1] > 0 && p[2] > 0) {
				if (apply && p[0] == 6 && p[2] < 1000 && p[1] < 1000) {
					v->cell_w = (int)p[2];
					v->cell_h = (int)p[1];
					v->cell_px_known = true;
				} else if (apply && p[0] == 4 && !v->cell_px_known &&
					   p[2] >= v->cols && p[1] >= v->rows) {
					v->cell_w = (int)(p[2] / v->cols);
					v->cell_h = (int)(p[1] / v->rows);
					v->cell_px_known = true;
				}
			} else {
				n = 0; /* a key after all */
			}
		}
		if (!n) {
			if (apply && v->in_len < sizeof(v->in)) {
				if (!v->in_len)
					v->in_since_ns = vv_now_ns();
				v->in[v->in_len++] = buf[i];
			}
			n = 1;
		}
		i += n;
	}
	return da;
}

static bool vv_in_tmux(void)
{
	const char *term = getenv("TERM");

	return getenv("TMUX") ||
	       (term && (!strncmp(term, "tmux", 4) || !strncmp(term, "screen", 6)));
}

/* Choose the picture mode before the input loop, so the terminal's
 * replies are read here and never reach the guest. Half blocks inside
 * tmux/screen (which pass neither protocol through by default) and when
 * the terminal shows neither. */
static void vv_probe_graphics(struct vncview *v)
{
	const char *term = getenv("TERM"), *kitty_win = getenv("KITTY_WINDOW_ID");
	bool want_kitty_query = false;
	char q[128] = "";
	uint8_t buf[1024] = {0};
	size_t len = 0;
	uint64_t deadline;
	bool extended = false;

	v->gfx = v->opts->graphics_auto ? RENDER_GFX_CELLS : v->opts->graphics;
	if (v->opts->graphics_auto) {
		if (vv_in_tmux())
			return;
		if ((term && !strcmp(term, "xterm-kitty")) || (kitty_win && *kitty_win))
			v->has_kitty = true;
		else
			want_kitty_query = true;
	} else if (v->gfx == RENDER_GFX_CELLS) {
		return;
	}
	if (want_kitty_query)
		strcat(q, VV_PROBE_KITTY);
	if (!v->cell_px_known)
		strcat(q, VV_PROBE_SIZES);
	strcat(q, VV_PROBE_DA);
	vv_write_wait(v, q, strlen(q));

	deadline = vv_now_ns() + VV_PROBE_MS * 1000000ULL;
	for (;;) {
		struct pollfd pfd = {.fd = v->in_fd, .events = POLLIN};
		int64_t left = (int64_t)(deadline - vv_now_ns());
		ssize_t n;
		int r;

		if (left <= 0 && !extended && vv_probe_incomplete(buf, len)) {
			/* A reply cut in two: its end must not become keys. */
			deadline += VV_PROBE_MS * 1000000ULL;
			extended = true;
			continue;
		}
		if (left <= 0 || len == sizeof(buf))
			break;
		r = poll(&pfd, 1, (int)(left / 1000000) + 1);
		if (r == 0 || (r < 0 && errno == EINTR))
			continue; /* the deadline is checked above */
		if (r < 0)
			break;
		n = read(v->in_fd, buf + len, sizeof(buf) - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (vv_probe_take(v, buf, len, false))
			break;
	}
	/* What is left of a reply that never ended is not keys either. */
	while (vv_probe_incomplete(buf, len))
		while (len && buf[--len] != 0x1b)
			;
	vv_probe_take(v, buf, len, true);
	if (v->opts->graphics_auto)
		v->gfx = v->has_kitty	? RENDER_GFX_KITTY
			 : v->has_sixel ? RENDER_GFX_SIXEL
					: RENDER_GFX_CELLS;
}

/* ---- libvncclient callbacks -------------------------------------------------------- */

static rfbBool vv_malloc_framebuffer(rfbClient *c)
{
	struct vncview *v = rfbClientGetClientData(c, &vv_client_tag);
	uint8_t *fb;

	if (c->width <= 0 || c->height <= 0 || c->width > VV_MAX_DIM || c->height > VV_MAX_DIM) {
		vv_log("the server's screen size %dx%d is not supported", c->width, c->height);
		return FALSE;
	}
	fb = calloc((size_t)c->width * (size_t)c->height, 4);
	if (!fb) {
		vv_log("out of memory for a %dx%d screen", c->width, c->height);
		return FALSE;
	}
	free(c->frameBuffer);
	c->frameBuffer = fb;
	/* Incremental update requests cover updateRect. rfbInitClient() sets
	 * it; we do the handshake ourselves, so without this every request
	 * would ask for an empty area (libvncserver honours that and sends
	 * nothing after the first frame; QEMU ignores it). */
	c->updateRect.x = 0;
	c->updateRect.y = 0;
	c->updateRect.w = c->width;
	c->updateRect.h = c->height;
	if (v) {
		vv_layout(v);
		v->full_redraw = true;
		v->status_dirty = true;
	}
	return TRUE;
}

static void vv_got_update(rfbClient *c, int x, int y, int w, int h)
{
	struct vncview *v = rfbClientGetClientData(c, &vv_client_tag);

	(void)x, (void)y, (void)w, (void)h;
	if (v)
		v->damaged = true;
}

/* A password prompt on a raw terminal cannot work; say so instead. */
static char *vv_get_password(rfbClient *c)
{
	(void)c;
	vv_log("the VNC server asks for a password, which virtty does not support");
	return NULL;
}

/* ---- signals ---------------------------------------------------------------------- */

static void vv_on_signal(int sig)
{
	if (sig == SIGWINCH)
		vv_winch = 1;
	else
		vv_signal = sig;
}

struct vv_saved_signals {
	struct sigaction winch, term, hup, intr, pipe;
	sigset_t mask;
};

/* SIGWINCH is blocked except while waiting in ppoll(), so it never
 * interrupts libvncclient mid-message (it treats EINTR as a lost
 * connection). SIGTERM/SIGHUP/SIGINT restart system calls and are noticed
 * at the next wait: the terminal is restored before we go. */
static void vv_signals_install(struct vv_saved_signals *s)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vv_on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	vv_signal = 0;
	vv_winch = 0;
	sigaction(SIGWINCH, &sa, &s->winch);
	sigaction(SIGTERM, &sa, &s->term);
	sigaction(SIGHUP, &sa, &s->hup);
	sigaction(SIGINT, &sa, &s->intr);
	sa.sa_handler = SIG_IGN; /* a closed socket is an error return, not death */
	sigaction(SIGPIPE, &sa, &s->pipe);
	sigemptyset(&block);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &s->mask);
}

static void vv_signals_restore(struct vv_saved_signals *s, bool resized)
{
	sigaction(SIGTERM, &s->term, NULL);
	sigaction(SIGHUP, &s->hup, NULL);
	sigaction(SIGINT, &s->intr, NULL);
	sigaction(SIGPIPE, &s->pipe, NULL);
	sigaction(SIGWINCH, &s->winch, NULL);
	sigprocmask(SIG_SETMASK, &s->mask, NULL);
	/* The caller (the TUI) must learn that the window changed meanwhile. */
	if (resized)
		raise(SIGWINCH);
}

/* ---- the session -------------------------------------------------------------------- */

/* Our own encodings list, instead of libvncclient's: 0.9.14 always offers
 * ExtDesktopSize but ignores QEMU's resize messages in it (screen id 0),
 * then fails on the first rectangle of the new size ("Rect too large").
 * It must never be offered, not even for a moment: QEMU answers at once,
 * and a guest switching modes during the handshake (SeaBIOS going to text
 * mode) then kills the session. Without it servers use the plain
 * DesktopSize pseudo-encoding, which libvncclient follows. Raw first on a
 * UNIX or loopback socket, where compressing costs more than it saves. */
static rfbBool vv_send_encodings(rfbClient *c)
{
	struct sockaddr_storage me;
	socklen_t mlen = sizeof(me);
	struct {
		rfbSetEncodingsMsg hdr;
		uint32_t enc[16];
	} msg;
	uint32_t list[16];
	unsigned n = 0;
	bool local = false;

	/* Only a UNIX socket is surely local: a loopback TCP port may be a
	 * relay or an SSH tunnel to a slow link, where a 3 MB raw frame
	 * trickles in (and trips libvncclient's read-retry limit). */
	if (getsockname(c->sock, (struct sockaddr *)&me, &mlen) == 0)
		local = me.ss_family == AF_UNIX;
	if (local)
		list[n++] = rfbEncodingRaw;
	list[n++] = rfbEncodingCopyRect;
	list[n++] = rfbEncodingTight;
	list[n++] = rfbEncodingZRLE;
	list[n++] = rfbEncodingHextile;
	list[n++] = rfbEncodingZlib;
	list[n++] = rfbEncodingRRE;
	if (!local)
		list[n++] = rfbEncodingRaw;
	list[n++] = rfbEncodingCompressLevel1;
	list[n++] = rfbEncodingNewFBSize;
	list[n++] = rfbEncodingLastRect;
	list[n++] = rfbEncodingQemuExtendedKeyEvent;

	memset(&msg, 0, sizeof(msg));
	msg.hdr.type = rfbSetEncodings;
	msg.hdr.nEncodings = htons((uint16_t)n);
	for (unsigned i = 0; i < n; i++)
		msg.enc[i] = htonl(list[i]);
	return WriteToRFBServer(c, (const char *)&msg, sz_rfbSetEncodingsMsg + 4 * n);
}

/* SetPixelFormat with the client's format (32 bpp, set up before the
 * handshake). libvncclient only sends it together with its encodings
 * (SetFormatAndEncodings), which must not go out (see above). */
static rfbBool vv_send_pixel_format(rfbClient *c)
{
	rfbSetPixelFormatMsg spf;

	memset(&spf, 0, sizeof(spf));
	spf.type = rfbSetPixelFormat;
	spf.format = c->format;
	spf.format.redMax = htons(c->format.redMax);
	spf.format.greenMax = htons(c->format.greenMax);
	spf.format.blueMax = htons(c->format.blueMax);
	return WriteToRFBServer(c, (const char *)&spf, sz_rfbSetPixelFormatMsg);
}

/* After the handshake: the framebuffer, 32 bpp, our encodings, and the
 * first full update request. */
static rfbBool vv_start_session(rfbClient *c)
{
	c->width = c->si.framebufferWidth;
	c->height = c->si.framebufferHeight;
	return c->MallocFrameBuffer(c) && vv_send_pixel_format(c) && vv_send_encodings(c) &&
	       SendFramebufferUpdateRequest(c, 0, 0, c->width, c->height, FALSE);
}

static int vv_wait_ms(const struct vncview *v, uint64_t now)
{
	int64_t t = -1;

	if (v->in_len) {
		int64_t left = (int64_t)(v->in_since_ns + VV_ESC_TIMEOUT_MS * 1000000ULL - now);

		t = left > 0 ? left : 0;
	}
	if ((v->damaged || v->status_dirty || v->full_redraw) && !vv_output_pending(v)) {
		int64_t left = (int64_t)(v->last_frame_ns + vv_frame_ns(v) - now);

		if (left < 0)
			left = 0;
		if (t < 0 || left < t)
			t = left;
	}
	if (v->note[0]) {
		int64_t left = (int64_t)(v->note_until_ns - now);

		if (left < 0)
			left = 0;
		if (t < 0 || left < t)
			t = left;
	}
	if (t < 0)
		return -1;
	return (int)((t + 999999) / 1000000);
}

static int vv_loop(struct vncview *v, const sigset_t *wait_mask, char *err, size_t errlen)
{
	rfbClient *c = v->client;

	for (;;) {
		struct pollfd pfd[3] = {
		    {.fd = v->in_fd, .events = POLLIN},
		    {.fd = c->sock, .events = POLLIN},
		    {.fd = v->wfd, .events = POLLOUT},
		};
		struct timespec ts, *tsp = NULL;
		uint64_t now = vv_now_ns();
		int ms, r;

		if (vv_signal) {
			snprintf(err, errlen, "the VNC viewer was stopped by signal %d (%s)",
				 (int)vv_signal, strsignal(vv_signal));
			return -EINTR;
		}
		if (v->server_gone)
			goto gone;
		if (vv_winch) {
			vv_winch = 0;
			v->resized = true;
			vv_term_size(v);
			vv_layout(v);
			v->full_redraw = true;
		}
		if (v->note[0] && now >= v->note_until_ns) {
			v->note[0] = '\0';
			v->status_dirty = true;
		}
		/* Draw when something changed, at most every vv_frame_ns, and
		 * never while the terminal is still swallowing the last frame:
		 * then frames are skipped, not queued. */
		if ((v->damaged || v->status_dirty || v->full_redraw) && !vv_output_pending(v) &&
		    now - v->last_frame_ns >= vv_frame_ns(v)) {
			r = vv_frame(v);
			if (r < 0) {
				snprintf(err, errlen, "cannot draw on the terminal: %s",
					 strerror(-r));
				return r;
			}
		}
		/* Bytes libvncclient already read are invisible to poll(). */
		if (c->buffered) {
			if (!HandleRFBServerMessage(c))
				goto gone;
			continue;
		}

		ms = vv_wait_ms(v, now);
		if (ms >= 0) {
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (long)(ms % 1000) * 1000000L;
			tsp = &ts;
		}
		r = ppoll(pfd, vv_output_pending(v) ? 3 : 2, tsp, wait_mask);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return r;
		}
		if (pfd[1].revents) {
			if (!HandleRFBServerMessage(c))
				goto gone;
		}
		if (vv_output_pending(v) && pfd[2].revents) {
			r = vv_flush(v);
			if (r < 0) {
				snprintf(err, errlen, "the terminal went away: %s", strerror(-r));
				return r;
			}
		}
		if (pfd[0].revents & POLLIN) {
			ssize_t n;

			if (v->in_len == sizeof(v->in))
				vv_handle_input(v, true);
			n = read(v->in_fd, v->in + v->in_len, sizeof(v->in) - v->in_len);
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
				snprintf(err, errlen, "the terminal went away");
				return -EIO;
			}
			if (n > 0) {
				if (!v->in_len)
					v->in_since_ns = vv_now_ns();
				v->in_len += (size_t)n;
				if (vv_handle_input(v, false) == VV_LEAVE)
					return 0;
			}
		} else if (pfd[0].revents & (POLLHUP | POLLERR)) {
			snprintf(err, errlen, "the terminal went away");
			return -EIO;
		}
		if (v->in_len && vv_now_ns() - v->in_since_ns >= VV_ESC_TIMEOUT_MS * 1000000ULL)
			if (vv_handle_input(v, true) == VV_LEAVE)
				return 0;
	}
gone:
	if (!vv_last_log[0] || strstr(vv_last_log, "closed connection"))
		snprintf(err, errlen, "the VNC server closed the connection");
	else
		snprintf(err, errlen, "the VNC connection failed: %s", vv_last_log);
	return -ECONNRESET;
}

static void vv_client_close(struct vncview *v)
{
	if (!v->client)
		return;
	free(v->client->frameBuffer);
	v->client->frameBuffer = NULL;
	rfbClientCleanup(v->client); /* closes the socket */
	v->client = NULL;
}

/* A libvncclient session over the connected socket fd (taken over):
 * the handshake, 32 bpp, our encodings, the first update request. NULL
 * with err filled when the server refused or went away. */
static rfbClient *vv_client_open(struct vncview *v, int fd, char *err, size_t errlen)
{
	rfbClient *c;
	int flags;

	/* Non-blocking: libvncclient then waits with its read timeout instead
	 * of forever when a server stalls in the middle of a message. */
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	vv_last_log[0] = '\0';
	c = rfbGetClient(8, 3, 4); /* 32 bpp: bytes R, G, B, pad */
	if (!c) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	v->client = c;
	rfbClientSetClientData(c, &vv_client_tag, v);
	c->MallocFrameBuffer = vv_malloc_framebuffer;
	c->GotFrameBufferUpdate = vv_got_update;
	c->GetPassword = vv_get_password;
	c->canHandleNewFBSize = TRUE;
	c->programName = "virtty";
	/* libvncclient counts this in read retries of at most a few ms each,
	 * not in seconds of silence: a frame trickling in over a slow link
	 * must not end the session. */
	c->readTimeout = 60;
	/* The socket is connected already, so the handshake is done here
	 * rather than by rfbInitClient(), which would connect itself. */
	c->sock = fd;
	if (!InitialiseRFBConnection(c) || !vv_start_session(c)) {
		snprintf(err, errlen, "VNC handshake failed: %s",
			 vv_last_log[0] ? vv_last_log : "the server closed the connection");
		vv_client_close(v);
		return NULL;
	}
	return c;
}

int vncview_run(int fd, const struct vncview_options *opts, char *err, size_t errlen)
{
	struct vncview v = {0};
	struct vv_saved_signals sigs;
	rfbClientLogProc old_log = rfbClientLog, old_err = rfbClientErr;
	struct sigaction ign, old_pipe;
	rfbClient *c;
	const char *cs;
	int r;

	v.opts = opts;
	v.in_fd = opts->in_fd >= 0 ? opts->in_fd : STDIN_FILENO;
	v.out_fd = opts->out_fd >= 0 ? opts->out_fd : STDOUT_FILENO;
	v.wfd = v.out_fd;
	v.zoom = 1;
	v.cell_w = RENDER_GFX_CELL_W;
	v.cell_h = RENDER_GFX_CELL_H;
	v.colors = opts->colors_auto ? vv_auto_colors() : opts->colors;
	cs = nl_langinfo(CODESET);
	v.utf8 = cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
	if (!isatty(v.in_fd) || !isatty(v.out_fd)) {
		close(fd);
		snprintf(err, errlen, "the VNC viewer needs a terminal");
		return -ENOTTY;
	}

	vv_term_size(&v);
	/* A server that hangs up must be an error return, not death by
	 * SIGPIPE, from the first byte of the handshake on (the session
	 * keeps it ignored too: vv_signals_install). */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	rfbClientLog = vv_log;
	rfbClientErr = vv_log;
	c = vv_client_open(&v, fd, err, errlen);
	if (!c) {
		rfbClientLog = old_log;
		rfbClientErr = old_err;
		sigaction(SIGPIPE, &old_pipe, NULL);
		return -EPROTO;
	}
	vv_layout(&v);

	vv_signals_install(&sigs);
	r = vv_term_enter(&v, err, errlen);
	if (r == 0) {
		sigset_t wait_mask = sigs.mask;

		sigdelset(&wait_mask, SIGWINCH);
		vv_probe_graphics(&v);
		v.full_redraw = true;
		v.status_dirty = true;
		r = vv_loop(&v, &wait_mask, err, errlen);
		/* A resize libvncclient could not follow: connect again (a few
		 * times at most), keeping the terminal as it is. */
		for (int tries = 0; r == -ECONNRESET && opts->reopen && tries < 3 &&
				    strstr(vv_last_log, "Rect too large");
		     tries++) {
			vv_client_close(&v);
			if (opts->reopen(opts->reopen_opaque, &fd, err, errlen) < 0 ||
			    !vv_client_open(&v, fd, err, errlen)) {
				r = -ECONNRESET;
				break;
			}
			vv_layout(&v);
			v.full_redraw = true;
			v.status_dirty = true;
			r = vv_loop(&v, &wait_mask, err, errlen);
		}
	}
	vv_term_leave(&v);
	vv_signals_restore(&sigs, vv_winch || v.resized);

	vv_client_close(&v);
	sigaction(SIGPIPE, &old_pipe, NULL);
	rfbClientLog = old_log;
	rfbClientErr = old_err;
	render_grid_free(&v.grid);
	render_grid_free(&v.prev);
	render_gfx_free(&v.gfx_state);
	render_out_free(&v.out);
	return r;
}
