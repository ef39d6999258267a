/* Framebuffer pixels to terminal cells (box-filtered, fitted or zoomed),
 * and cells to the fewest escape bytes that draw them (render.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* ---- grids ---- */

int render_grid_resize(struct render_grid *g, int cols, int rows)
{
	struct render_cell *cells;
	size_t n;

	if (cols < 0 || rows < 0)
		return -EINVAL;
	n = (size_t)cols * (size_t)rows;
	if (n > (size_t)g->cols * (size_t)g->rows || !g->cells) {
		cells = realloc(g->cells, (n ? n : 1) * sizeof(*cells));
		if (!cells)
			return -ENOMEM;
		g->cells = cells;
	}
	g->cols = cols;
	g->rows = rows;
	return 0;
}

void render_grid_free(struct render_grid *g)
{
	free(g->cells);
	g->cells = NULL;
	g->cols = g->rows = 0;
}

void render_out_free(struct render_out *o)
{
	free(o->data);
	o->data = NULL;
	o->len = o->cap = 0;
}

/* ---- palettes ---- */

/* xterm's default 16 colours; terminals differ a little, but xterm's
 * values are what most themes start from. */
static const uint32_t render_pal16[16] = {
    0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
    0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};

static const uint8_t render_cube_level[6] = {0, 95, 135, 175, 215, 255};

static inline int sq(int v)
{
	return v * v;
}

static inline int rgb_dist(uint32_t a, uint32_t b)
{
	return sq((int)(a >> 16 & 0xff) - (int)(b >> 16 & 0xff)) +
	       sq((int)(a >> 8 & 0xff) - (int)(b >> 8 & 0xff)) +
	       sq((int)(a & 0xff) - (int)(b & 0xff));
}

/* The nearest cube level for each channel value, built once: the levels
 * are not evenly spaced, so a table beats arithmetic. */
static uint8_t render_cube_index[256];
static bool render_cube_ready;

static void render_cube_init(void)
{
	for (int v = 0; v < 256; v++) {
		int best = 0;

		for (int i = 1; i < 6; i++)
			if (abs(v - render_cube_level[i]) < abs(v - render_cube_level[best]))
				best = i;
		render_cube_index[v] = best;
	}
	render_cube_ready = true;
}

uint8_t render_rgb_to_256(uint32_t rgb)
{
	int r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;
	int ri, gi, bi, sum, gk, gv;
	uint32_t cube;

	if (!render_cube_ready)
		render_cube_init();
	ri = render_cube_index[r];
	gi = render_cube_index[g];
	bi = render_cube_index[b];
	cube = (uint32_t)render_cube_level[ri] << 16 | (uint32_t)render_cube_level[gi] << 8 |
	       render_cube_level[bi];
	/* The grey ramp 232..255 is 8, 18, ..., 238: the nearest grey is
	 * the one nearest the mean, (sum / 3 - 8) / 10 rounded. */
	sum = r + g + b;
	gk = sum <= 24 ? 0 : (sum - 24 + 15) / 30;
	if (gk > 23)
		gk = 23;
	gv = 8 + 10 * gk;
	if (sq(r - gv) + sq(g - gv) + sq(b - gv) < rgb_dist(rgb, cube))
		return 232 + gk;
	return 16 + 36 * ri + 6 * gi + bi;
}

uint8_t render_rgb_to_16(uint32_t rgb)
{
	int best = 0, bestd = rgb_dist(rgb, render_pal16[0]);

	for (int i = 1; i < 16; i++) {
		int d = rgb_dist(rgb, render_pal16[i]);

		if (d < bestd) {
			best = i;
			bestd = d;
		}
	}
	return best;
}

/* The RGB value of a cell colour in a mode (for the ASCII fallback). */
static uint32_t render_color_rgb(enum render_colors colors, uint32_t c)
{
	if (colors == RENDER_COLORS_TRUE)
		return c & 0xffffff;
	c &= 0xff;
	if (c < 16)
		return render_pal16[c];
	if (c < 232) {
		c -= 16;
		return (uint32_t)render_cube_level[c / 36] << 16 |
		       (uint32_t)render_cube_level[c / 6 % 6] << 8 | render_cube_level[c % 6];
	}
	c = 8 + 10 * (c - 232);
	return c << 16 | c << 8 | c;
}

static uint32_t render_map_rgb(enum render_colors colors, uint32_t rgb)
{
	switch (colors) {
	case RENDER_COLORS_256:
		return render_rgb_to_256(rgb);
	case RENDER_COLORS_16:
		return render_rgb_to_16(rgb);
	default:
		return rgb;
	}
}

/* ---- geometry ---- */

/* Samples per image pixel: the cell area is cols x 2*rows square samples. */
double render_view_scale(int img_w, int img_h, const struct render_view *v)
{
	double sx = (double)v->cols / img_w, sy = 2.0 * v->rows / img_h;
	double zoom = v->zoom >= 1.0 ? v->zoom : 1.0; /* also catches NaN */

	if (zoom > 1024.0)
		zoom = 1024.0;
	return (sx < sy ? sx : sy) * zoom;
}

/* The pixels [*a, *b) that sample i of n covers along one axis of len
 * pixels. false for a letterbox sample, whose *a and *b are then the
 * nearest edge pixel (so the mouse can be clamped). When the whole axis
 * fits, integer arithmetic places the image exactly and centres it;
 * otherwise the visible window starts at centre - half, kept inside. */
bool render_view_axis(int n, int len, double scale, double centre, int i, int *a, int *b)
{
	double vis = n / scale;

	if (vis >= len - 1e-6) {
		long d = lround(len * scale), o, j;

		if (d > n)
			d = n;
		if (d < 1)
			d = 1;
		o = (n - d) / 2;
		j = i - o;
		if (j < 0 || j >= d) {
			*a = j < 0 ? 0 : len - 1;
			*b = *a + 1;
			return false;
		}
		*a = (int)((long long)j * len / d);
		*b = (int)((long long)(j + 1) * len / d);
	} else {
		double x0 = centre - vis / 2;

		if (!(x0 >= 0)) /* NaN too */
			x0 = centre == centre ? 0 : (len - vis) / 2;
		if (x0 > len - vis)
			x0 = len - vis;
		*a = (int)floor(x0 + i / scale);
		*b = (int)floor(x0 + (i + 1) / scale);
		if (*a > len - 1)
			*a = len - 1;
		if (*a < 0)
			*a = 0;
		if (*b > len)
			*b = len;
	}
	if (*b <= *a)
		*b = *a + 1; /* upscaling: a pixel spans several samples */
	return true;
}

bool render_cell_to_pixel(int img_w, int img_h, const struct render_view *v, int col, int row,
			  int *x, int *y)
{
	int xa, xb, ya0, yb0, ya1, yb1;
	bool inx, in0, in1;
	double s;

	if (img_w <= 0 || img_h <= 0 || v->cols <= 0 || v->rows <= 0) {
		*x = *y = 0;
		return false;
	}
	col = col < 0 ? 0 : col >= v->cols ? v->cols - 1 : col;
	row = row < 0 ? 0 : row >= v->rows ? v->rows - 1 : row;
	s = render_view_scale(img_w, img_h, v);
	inx = render_view_axis(v->cols, img_w, s, v->cx, col, &xa, &xb);
	in0 = render_view_axis(2 * v->rows, img_h, s, v->cy, 2 * row, &ya0, &yb0);
	in1 = render_view_axis(2 * v->rows, img_h, s, v->cy, 2 * row + 1, &ya1, &yb1);
	*x = (xa + xb - 1) / 2;
	/* The middle of what the cell shows: both samples, or the one
	 * inside the image when the cell straddles the letterbox edge. */
	if (in0 && in1)
		*y = (ya0 + yb1 - 1) / 2;
	else if (in1)
		*y = (ya1 + yb1 - 1) / 2;
	else
		*y = (ya0 + yb0 - 1) / 2;
	return inx && (in0 || in1);
}

/* ---- pixels to cells ---- */

void render_image(const struct render_image *img, const struct render_view *v,
		  enum render_colors colors, struct render_grid *out)
{
	int cols = v->cols < out->cols ? v->cols : out->cols;
	int rows = v->rows < out->rows ? v->rows : out->rows;
	int nsy = 2 * rows;
	uint32_t black = render_map_rgb(colors, 0);
	int *xa, *xb;
	uint64_t *acc;
	double s;

	for (int i = 0; i < out->cols * out->rows; i++)
		out->cells[i].fg = out->cells[i].bg = black;
	if (!img->pixels || img->width <= 0 || img->height <= 0 || cols <= 0 || rows <= 0 ||
	    img->stride < 4 * (size_t)img->width)
		return;

	xa = malloc(sizeof(*xa) * 2 * cols);
	acc = malloc(sizeof(*acc) * 3 * cols);
	if (!xa || !acc) {
		free(xa);
		free(acc);
		return;
	}
	xb = xa + cols;
	s = render_view_scale(img->width, img->height, v);
	for (int i = 0; i < cols; i++)
		if (!render_view_axis(v->cols, img->width, s, v->cx, i, &xa[i], &xb[i]))
			xa[i] = -1;

	for (int sy = 0; sy < nsy; sy++) {
		int ya, yb, i0 = 0, i1 = cols;

		if (!render_view_axis(2 * v->rows, img->height, s, v->cy, sy, &ya, &yb))
			continue;
		while (i0 < cols && xa[i0] < 0)
			i0++;
		while (i1 > i0 && xa[i1 - 1] < 0)
			i1--;
		memset(acc, 0, sizeof(*acc) * 3 * cols);
		for (int y = ya; y < yb; y++) {
			const uint8_t *line = img->pixels + (size_t)y * img->stride;

			for (int i = i0; i < i1; i++) {
				const uint8_t *p = line + 4 * (size_t)xa[i];
				const uint8_t *end = line + 4 * (size_t)xb[i];
				uint32_t r = 0, g = 0, b = 0;

				/* A row of one sample fits 32 bits; sum there. */
				for (; p < end; p += 4) {
					r += p[0];
					g += p[1];
					b += p[2];
				}
				acc[3 * i] += r;
				acc[3 * i + 1] += g;
				acc[3 * i + 2] += b;
			}
		}
		for (int i = i0; i < i1; i++) {
			struct render_cell *c = &out->cells[(sy / 2) * out->cols + i];
			uint64_t npx = (uint64_t)(yb - ya) * (uint64_t)(xb[i] - xa[i]);
			uint32_t rgb, color;

			rgb = (uint32_t)((acc[3 * i] + npx / 2) / npx) << 16 |
			      (uint32_t)((acc[3 * i + 1] + npx / 2) / npx) << 8 |
			      (uint32_t)((acc[3 * i + 2] + npx / 2) / npx);
			color = render_map_rgb(colors, rgb);
			if (sy & 1)
				c->bg = color;
			else
				c->fg = color;
		}
	}
	free(xa);
	free(acc);
}

/* ---- cells to bytes ---- */

/* What the terminal holds: cursor (row -1: unknown; col -1: unknown,
 * e.g. after the last column, where xterm waits to wrap) and colours
 * (UINT32_MAX: unknown). */
struct emit_state {
	int row, col;
	uint32_t fg, bg;
};

#define EMIT_UNKNOWN UINT32_MAX

/* Screen positions beyond any terminal: keeps top + row far from overflow. */
#define RENDER_POS_MAX 100000

/* How a cell is drawn. */
enum emit_glyph {
	GLYPH_SPACE, /* bg = the colour */
	GLYPH_FULL,  /* U+2588, fg = the colour */
	GLYPH_UPPER, /* U+2580, fg = top, bg = bottom */
	GLYPH_LOWER, /* U+2584, fg = bottom, bg = top */
};

struct emit_ctx {
	enum render_colors colors;
	bool utf8;
	int top, left;
	int tol; /* render_emit_approx's tolerance; 0: exact */
	struct render_out *out;
};

/* Whether the terminal's colour have can stand for want. */
static inline bool color_same(const struct emit_ctx *cx, uint32_t want, uint32_t have)
{
	int dr, dg, db;

	if (want == have)
		return true;
	if (!cx->tol || have == EMIT_UNKNOWN)
		return false;
	dr = (int)(want >> 16 & 0xff) - (int)(have >> 16 & 0xff);
	dg = (int)(want >> 8 & 0xff) - (int)(have >> 8 & 0xff);
	db = (int)(want & 0xff) - (int)(have & 0xff);
	return abs(dr) <= cx->tol && abs(dg) <= cx->tol && abs(db) <= cx->tol;
}

static int num_len(unsigned v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static char *put_num(char *p, unsigned v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Bytes of the SGR parameter that sets colour c (without separators). */
static int color_param_len(enum render_colors colors, uint32_t c, bool bg)
{
	switch (colors) {
	case RENDER_COLORS_TRUE:
		/* "38;2;" + r;g;b */
		return 7 + num_len(c >> 16 & 0xff) + num_len(c >> 8 & 0xff) + num_len(c & 0xff);
	case RENDER_COLORS_256:
		return 5 + num_len(c & 0xff);
	default:
		return (bg && (c & 0xff) >= 8) ? 3 : 2;
	}
}

static char *put_color_param(char *p, enum render_colors colors, uint32_t c, bool bg)
{
	switch (colors) {
	case RENDER_COLORS_TRUE:
		*p++ = bg ? '4' : '3';
		memcpy(p, "8;2;", 4);
		p = put_num(p + 4, c >> 16 & 0xff);
		*p++ = ';';
		p = put_num(p, c >> 8 & 0xff);
		*p++ = ';';
		return put_num(p, c & 0xff);
	case RENDER_COLORS_256:
		*p++ = bg ? '4' : '3';
		memcpy(p, "8;5;", 4);
		return put_num(p + 4, c & 0xff);
	default:
		c &= 0xf;
		if (c < 8)
			return put_num(p, (bg ? 40 : 30) + c);
		return put_num(p, (bg ? 100 : 90) + c - 8);
	}
}

/* The colours a glyph needs for cell (top, bottom colours t, b). */
static void glyph_colors(enum emit_glyph gl, uint32_t t, uint32_t b, uint32_t *fg, uint32_t *bg)
{
	switch (gl) {
	default: /* GLYPH_SPACE */
		*fg = EMIT_UNKNOWN;
		*bg = t;
		break;
	case GLYPH_FULL:
		*fg = t;
		*bg = EMIT_UNKNOWN;
		break;
	case GLYPH_UPPER:
		*fg = t;
		*bg = b;
		break;
	case GLYPH_LOWER:
		*fg = b;
		*bg = t;
		break;
	}
}

/* The colours to show for a cell: in ASCII mode one averaged colour. */
static void cell_colors(const struct emit_ctx *cx, const struct render_cell *c, uint32_t *t,
			uint32_t *b)
{
	/* Masked: a value out of the mode's range must not pass for the
	 * EMIT_UNKNOWN marker. */
	uint32_t mask = cx->colors == RENDER_COLORS_TRUE  ? 0xffffff
			: cx->colors == RENDER_COLORS_256 ? 0xff
							  : 0xf;

	*t = c->fg & mask;
	*b = c->bg & mask;
	if (!cx->utf8 && *t != *b) {
		uint32_t x = render_color_rgb(cx->colors, *t), y = render_color_rgb(cx->colors, *b);
		uint32_t m = (((x >> 16 & 0xff) + (y >> 16 & 0xff) + 1) / 2) << 16 |
			     (((x >> 8 & 0xff) + (y >> 8 & 0xff) + 1) / 2) << 8 |
			     ((x & 0xff) + (y & 0xff) + 1) / 2;

		*t = *b = render_map_rgb(cx->colors, m);
	}
}

/* The glyphs that can draw a cell: a uniform one is a space or a full
 * block; otherwise either half block, with the colours swapped. */
static int glyph_options(const struct emit_ctx *cx, uint32_t t, uint32_t b, enum emit_glyph *opt)
{
	if (t == b) {
		opt[0] = GLYPH_SPACE;
		if (!cx->utf8)
			return 1;
		opt[1] = GLYPH_FULL;
		return 2;
	}
	opt[0] = GLYPH_UPPER;
	opt[1] = GLYPH_LOWER;
	return 2;
}

static int glyph_len(enum emit_glyph gl)
{
	return gl == GLYPH_SPACE ? 1 : 3;
}

static void state_apply(struct emit_state *st, uint32_t fg, uint32_t bg)
{
	if (fg != EMIT_UNKNOWN)
		st->fg = fg;
	if (bg != EMIT_UNKNOWN)
		st->bg = bg;
}

int render_out_reserve(struct render_out *o, size_t more)
{
	size_t cap;
	char *d;

	if (o->len + more <= o->cap)
		return 0;
	cap = o->cap ? o->cap : 4096;
	while (cap < o->len + more)
		cap *= 2;
	d = realloc(o->data, cap);
	if (!d)
		return -ENOMEM;
	o->data = d;
	o->cap = cap;
	return 0;
}

int render_out_append(struct render_out *o, const void *p, size_t n)
{
	if (render_out_reserve(o, n))
		return -ENOMEM;
	memcpy(o->data + o->len, p, n);
	o->len += n;
	return 0;
}

/* Room for the longest thing one cell can emit: a move, an SGR with two
 * 24-bit colours and a glyph. */
#define EMIT_CELL_MAX 96

/* Draw cell (r, col) at the cursor, which is there, as glyph gl. */
static void emit_cell(const struct emit_ctx *cx, struct emit_state *st, const struct render_grid *g,
		      int r, int col, enum emit_glyph gl)
{
	const struct render_cell *c = &g->cells[(size_t)r * g->cols + col];
	struct render_out *o = cx->out;
	char *p = o->data + o->len;
	uint32_t t, b, fg, bg;
	bool setf, setb;

	cell_colors(cx, c, &t, &b);
	glyph_colors(gl, t, b, &fg, &bg);
	setf = fg != EMIT_UNKNOWN && !color_same(cx, fg, st->fg);
	setb = bg != EMIT_UNKNOWN && !color_same(cx, bg, st->bg);
	if (setf || setb) {
		*p++ = '\033';
		*p++ = '[';
		if (setf)
			p = put_color_param(p, cx->colors, fg, false);
		if (setf && setb)
			*p++ = ';';
		if (setb)
			p = put_color_param(p, cx->colors, bg, true);
		*p++ = 'm';
		state_apply(st, setf ? fg : EMIT_UNKNOWN, setb ? bg : EMIT_UNKNOWN);
	}
	switch (gl) {
	case GLYPH_SPACE:
		*p++ = ' ';
		break;
	case GLYPH_FULL:
		memcpy(p, "\xe2\x96\x88", 3);
		p += 3;
		break;
	case GLYPH_UPPER:
		memcpy(p, "\xe2\x96\x80", 3);
		p += 3;
		break;
	case GLYPH_LOWER:
		memcpy(p, "\xe2\x96\x84", 3);
		p += 3;
		break;
	}
	o->len = p - o->data;
	/* After the grid's last column the cursor is either one further or,
	 * at the terminal's right edge, waiting to wrap: unknown. */
	st->col = col + 1 < g->cols ? col + 1 : -1;
}

/* A relative move: ESC [ n X, n omitted when 1. */
static int rel_len(int n)
{
	return n == 1 ? 3 : 3 + num_len(n);
}

static char *put_rel(char *p, int n, char final)
{
	*p++ = '\033';
	*p++ = '[';
	if (n != 1)
		p = put_num(p, n);
	*p++ = final;
	return p;
}

/* Move the cursor to grid cell (r, c) by the shortest of: CUP; CUF
 * along the row; CR, LFs (or CUD) and CUF; CUD and CUF/CUB. LF alone
 * is never trusted to keep the column (the tty may add a CR). */
static void emit_move(const struct emit_ctx *cx, struct emit_state *st, int r, int c)
{
	struct render_out *o = cx->out;
	char *p = o->data + o->len;
	int R = cx->top + r, C = cx->left + c;
	int best, how = 0, k = r - st->row, len;

	/* 0: CUP */
	best = 3 + num_len(R + 1) + (C ? 1 + num_len(C + 1) : 0);
	if (R == 0 && C == 0)
		best = 3;
	if (st->row >= 0 && k == 0 && st->col >= 0 && c > st->col) {
		len = rel_len(c - st->col);
		if (len < best) {
			best = len;
			how = 1;
		}
	}
	if (st->row >= 0 && k > 0) {
		/* 2: CR, then k LFs or CUD, then CUF to the column */
		len = 1 + (k < rel_len(k) ? k : rel_len(k)) + (C ? rel_len(C) : 0);
		if (len < best) {
			best = len;
			how = 2;
		}
		if (st->col >= 0) {
			int dc = c - st->col;

			len = rel_len(k) + (dc ? rel_len(dc > 0 ? dc : -dc) : 0);
			if (len < best) {
				best = len;
				how = 3;
			}
		}
	}
	switch (how) {
	case 0:
		*p++ = '\033';
		*p++ = '[';
		if (R || C)
			p = put_num(p, R + 1);
		if (C) {
			*p++ = ';';
			p = put_num(p, C + 1);
		}
		*p++ = 'H';
		break;
	case 1:
		p = put_rel(p, c - st->col, 'C');
		break;
	case 2:
		*p++ = '\r';
		if (k < rel_len(k)) {
			memset(p, '\n', k);
			p += k;
		} else {
			p = put_rel(p, k, 'B');
		}
		if (C)
			p = put_rel(p, C, 'C');
		break;
	case 3:
		p = put_rel(p, k, 'B');
		if (c > st->col)
			p = put_rel(p, c - st->col, 'C');
		else if (c < st->col)
			p = put_rel(p, st->col - c, 'D');
		break;
	}
	o->len = p - o->data;
	st->row = r;
	st->col = c;
}

static inline bool cell_changed(const struct render_grid *prev, const struct render_grid *cur,
				size_t i)
{
	return !prev || prev->cells[i].fg != cur->cells[i].fg ||
	       prev->cells[i].bg != cur->cells[i].bg;
}

/* Choosing glyphs is a shortest path: what a cell costs depends on the
 * colours the terminal holds, which depend on the glyphs chosen before
 * (a half block can be drawn either way up, a uniform cell as a space or
 * a full block). A Viterbi pass over the cells to draw keeps the
 * cheapest ways to reach each (fg, bg) state, at most EMIT_STATES of
 * them; cursor moves cost the same whatever is chosen, so they stay out.
 * A gap of one or two unchanged cells between changed ones is a step of
 * its own: jump over it, or redraw it when that is cheaper. */
#define EMIT_STATES 8
#define EMIT_GAP    2

struct emit_step {
	int r, c; /* first cell */
	int n;	  /* cells: 1, or a gap of 1..EMIT_GAP */
	bool gap;
};

struct emit_node {
	uint32_t fg, bg;
	unsigned cost;
	uint8_t prev, opt; /* back pointer: state index at the step before, option */
};

/* A cell of a step, prepared once: its colours, the length of each as
 * an fg or bg parameter, and the glyphs that can draw it. */
struct prep_cell {
	uint32_t t, b;
	uint8_t tf, tb, bf, bb; /* parameter bytes: t as fg, t as bg, b as fg, b as bg */
	uint8_t nglyph;
	enum emit_glyph gl[2];
};

/* Prepare the cells of a step; returns its number of options: for a
 * cell, its glyphs; for a gap, 0 = jump and 1 + k = redraw with glyph
 * choice k (mixed radix, a digit per cell). */
static int step_prepare(const struct emit_ctx *cx, const struct render_grid *g,
			const struct emit_step *sp, struct prep_cell *pc)
{
	int total = 1;

	for (int i = 0; i < sp->n; i++) {
		struct prep_cell *p = &pc[i];

		cell_colors(cx, &g->cells[(size_t)sp->r * g->cols + sp->c + i], &p->t, &p->b);
		p->tf = color_param_len(cx->colors, p->t, false);
		p->tb = color_param_len(cx->colors, p->t, true);
		p->bf = color_param_len(cx->colors, p->b, false);
		p->bb = color_param_len(cx->colors, p->b, true);
		p->nglyph = glyph_options(cx, p->t, p->b, p->gl);
		total *= p->nglyph;
	}
	return sp->gap ? total + 1 : total;
}

/* Apply option opt of a step to state st; returns its cost in bytes. */
static unsigned step_apply(const struct emit_ctx *cx, const struct emit_step *sp,
			   const struct prep_cell *pc, int opt, struct emit_state *st,
			   enum emit_glyph *chosen)
{
	unsigned cost = 0;

	if (sp->gap) {
		if (opt == 0)
			return rel_len(sp->n);
		opt--;
	}
	for (int i = 0; i < sp->n; i++) {
		const struct prep_cell *p = &pc[i];
		enum emit_glyph x = p->gl[opt % p->nglyph];
		uint32_t fg = EMIT_UNKNOWN, bg = EMIT_UNKNOWN;
		unsigned lf = 0, lb = 0;

		opt /= p->nglyph;
		switch (x) {
		case GLYPH_SPACE:
			bg = p->t, lb = p->tb;
			break;
		case GLYPH_FULL:
			fg = p->t, lf = p->tf;
			break;
		case GLYPH_UPPER:
			fg = p->t, lf = p->tf, bg = p->b, lb = p->bb;
			break;
		case GLYPH_LOWER:
			fg = p->b, lf = p->bf, bg = p->t, lb = p->tb;
			break;
		}
		if (fg == EMIT_UNKNOWN || color_same(cx, fg, st->fg))
			lf = 0;
		if (bg == EMIT_UNKNOWN || color_same(cx, bg, st->bg))
			lb = 0;
		/* ESC [ params m, a ';' between two */
		cost += (lf || lb ? 3 : 0) + (lf && lb ? 1 : 0) + lf + lb + glyph_len(x);
		state_apply(st, lf ? fg : EMIT_UNKNOWN, lb ? bg : EMIT_UNKNOWN);
		if (chosen)
			chosen[i] = x;
	}
	return cost;
}

/* The steps: changed cells in order, small gaps between them. */
static size_t emit_plan(const struct render_grid *prev, const struct render_grid *cur,
			struct emit_step *steps)
{
	size_t n = 0;

	for (int r = 0; r < cur->rows; r++) {
		const size_t row0 = (size_t)r * cur->cols;
		int last = -1; /* the last changed cell on this row */

		for (int c = 0; c < cur->cols; c++) {
			if (!cell_changed(prev, cur, row0 + c))
				continue;
			if (last >= 0 && c - last - 1 >= 1 && c - last - 1 <= EMIT_GAP)
				steps[n++] = (struct emit_step){r, last + 1, c - last - 1, true};
			steps[n++] = (struct emit_step){r, c, 1, false};
			last = c;
		}
	}
	return n;
}

/* Insert (fg, bg, cost) into the next state set, keeping the cheapest
 * EMIT_STATES distinct states. */
static void node_add(struct emit_node *set, int *n, const struct emit_node *x)
{
	int worst = 0;

	for (int i = 0; i < *n; i++)
		if (set[i].fg == x->fg && set[i].bg == x->bg) {
			if (x->cost < set[i].cost)
				set[i] = *x;
			return;
		}
	if (*n < EMIT_STATES) {
		set[(*n)++] = *x;
		return;
	}
	for (int i = 1; i < *n; i++)
		if (set[i].cost > set[worst].cost)
			worst = i;
	if (x->cost < set[worst].cost)
		set[worst] = *x;
}

/* Forward: the cheapest ways into each state after each step, in
 * nodes[k * EMIT_STATES ...]. Returns the number of states at the end. */
static int emit_forward(const struct emit_ctx *cx, const struct render_grid *cur,
			const struct emit_step *steps, size_t nsteps, struct emit_node *nodes)
{
	const struct emit_node start = {EMIT_UNKNOWN, EMIT_UNKNOWN, 0, 0, 0};
	const struct emit_node *prevset = &start;
	int nprev = 1;

	for (size_t k = 0; k < nsteps; k++) {
		struct emit_node *next = &nodes[k * EMIT_STATES];
		struct prep_cell pc[EMIT_GAP];
		int nn = 0, nopt = step_prepare(cx, cur, &steps[k], pc);

		for (int i = 0; i < nprev; i++)
			for (int o = 0; o < nopt; o++) {
				struct emit_state s2 = {0, 0, prevset[i].fg, prevset[i].bg};
				struct emit_node x;

				x.cost =
				    prevset[i].cost + step_apply(cx, &steps[k], pc, o, &s2, NULL);
				x.fg = s2.fg;
				x.bg = s2.bg;
				x.prev = i;
				x.opt = o;
				node_add(next, &nn, &x);
			}
		prevset = next;
		nprev = nn;
	}
	return nprev;
}

long render_emit(const struct render_grid *prev, const struct render_grid *cur, int top, int left,
		 enum render_colors colors, bool utf8, struct render_out *out)
{
	return render_emit_approx(prev, cur, top, left, colors, utf8, 0, out);
}

long render_emit_approx(const struct render_grid *prev, const struct render_grid *cur, int top,
			int left, enum render_colors colors, bool utf8, int tolerance,
			struct render_out *out)
{
	struct emit_ctx cx = {.colors = colors,
			      .utf8 = utf8,
			      .top = top < 0		    ? 0
				     : top > RENDER_POS_MAX ? RENDER_POS_MAX
							    : top,
			      .left = left < 0		      ? 0
				      : left > RENDER_POS_MAX ? RENDER_POS_MAX
							      : left,
			      /* Palette indices have no distance: exact there. */
			      .tol = colors == RENDER_COLORS_TRUE && tolerance > 0 ? tolerance : 0,
			      .out = out};
	struct emit_state st = {-1, -1, EMIT_UNKNOWN, EMIT_UNKNOWN};
	size_t start = out->len, nsteps, ncells;
	struct emit_step *steps = NULL;
	struct emit_node *nodes = NULL; /* EMIT_STATES per step */
	uint8_t *choice = NULL;
	int nprev, best;
	long ret = -ENOMEM;

	if (prev && (prev->cols != cur->cols || prev->rows != cur->rows || !prev->cells))
		prev = NULL;
	if (!cur->cells || cur->cols <= 0 || cur->rows <= 0)
		return 0;
	ncells = (size_t)cur->cols * cur->rows;
	/* At most a gap before each cell: 2 steps a cell. */
	steps = malloc(sizeof(*steps) * 2 * ncells);
	if (!steps)
		goto out;
	nsteps = emit_plan(prev, cur, steps);
	if (!nsteps) {
		ret = 0;
		goto out;
	}
	nodes = malloc(sizeof(*nodes) * EMIT_STATES * nsteps);
	choice = malloc(nsteps);
	if (!nodes || !choice)
		goto out;

	nprev = emit_forward(&cx, cur, steps, nsteps, nodes);
	/* Backward: the options on the cheapest path. */
	best = 0;
	for (int i = 1; i < nprev; i++)
		if (nodes[(nsteps - 1) * EMIT_STATES + i].cost <
		    nodes[(nsteps - 1) * EMIT_STATES + best].cost)
			best = i;
	for (size_t k = nsteps; k-- > 0;) {
		const struct emit_node *x = &nodes[k * EMIT_STATES + best];

		choice[k] = x->opt;
		best = x->prev;
	}

	/* Emit: moves where the cursor is not already, then the cells. */
	for (size_t k = 0; k < nsteps; k++) {
		const struct emit_step *sp = &steps[k];
		struct prep_cell pc[EMIT_GAP];
		enum emit_glyph chosen[EMIT_GAP];
		struct emit_state s2 = st;

		if (sp->gap && choice[k] == 0)
			continue; /* the next cell's move jumps over it */
		if (render_out_reserve(out, (size_t)(sp->n + 1) * EMIT_CELL_MAX))
			goto nomem;
		if (st.row != sp->r || st.col != sp->c)
			emit_move(&cx, &st, sp->r, sp->c);
		step_prepare(&cx, cur, sp, pc);
		step_apply(&cx, sp, pc, choice[k], &s2, chosen);
		for (int i = 0; i < sp->n; i++)
			emit_cell(&cx, &st, cur, sp->r, sp->c + i, chosen[i]);
	}
	if (render_out_reserve(out, 3))
		goto nomem;
	memcpy(out->data + out->len, "\033[m", 3);
	out->len += 3;
	ret = (long)(out->len - start);
	goto out;
nomem:
	out->len = start;
	ret = -ENOMEM;
out:
	free(steps);
	free(nodes);
	free(choice);
	return ret;
}
