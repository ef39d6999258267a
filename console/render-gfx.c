/* Pixels to kitty graphics and sixel (render-gfx.h). The picture is first
 * scaled to its pixel size with render.c's geometry (one square sample
 * per pixel), then encoded: kitty as base64 RGB (zlib-compressed when built
 * with zlib), sixel with an adaptive palette of up to 256 colours and
 * run-length encoding. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#include "render-gfx.h"

#define GFX_BUCKETS	32768 /* RGB555 */
#define GFX_COLORS	256
#define GFX_KITTY_CHUNK 4096 /* base64 bytes per APC; the protocol's limit */

void render_gfx_free(struct render_gfx *g)
{
	free(g->px);
	free(g->prev);
	free(g->hist);
	free(g->sums);
	free(g->lut);
	free(g->bits);
	free(g->order);
	free(g->order_tmp);
	memset(g, 0, sizeof(*g));
}

/* ---- output helpers ---- */

static int gfx_printf(struct render_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int gfx_printf(struct render_out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	if (render_out_reserve(o, (size_t)n) < 0)
		return -ENOMEM;
	memcpy(o->data + o->len, buf, (size_t)n);
	o->len += (size_t)n;
	return 0;
}

/* ---- geometry and scaling ---- */

static int gfx_clamp(long v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : (int)v;
}

void render_gfx_size(enum render_gfx_mode mode, int img_w, int img_h, const struct render_view *v,
		     int cell_w, int cell_h, int *w, int *h)
{
	int cols = v->cols > 0 ? v->cols : 1, rows = v->rows > 0 ? v->rows : 1;
	double W, ph;

	if (cell_w <= 0 || cell_h <= 0) {
		cell_w = RENDER_GFX_CELL_W;
		cell_h = RENDER_GFX_CELL_H;
	}
	W = (double)cols * cell_w;
	ph = cell_h;
	if (mode == RENDER_GFX_KITTY && img_w > 0 && img_h > 0) {
		double zoom = v->zoom >= 1.0 ? v->zoom : 1.0; /* also NaN */
		double sx = W / img_w, sy = (double)rows * cell_h / img_h, s;

		if (zoom > 1024.0)
			zoom = 1024.0;
		s = (sx < sy ? sx : sy) * zoom; /* area pixels per image pixel */
		if (s > 1) {
			/* Whole pixel rows per cell row (each row is a strip
			 * of its own), not so few that rounding shows. */
			ph = (double)(long)(cell_h / s + 0.5);
			if (ph < 8)
				ph = cell_h < 8 ? cell_h : 8;
		}
	}
	if (ph * rows > RENDER_GFX_MAX_DIM)
		ph = rows < RENDER_GFX_MAX_DIM ? RENDER_GFX_MAX_DIM / rows : 1;
	/* The width at the same pixels per cell height keeps the aspect. */
	*w = gfx_clamp((long)(W * ph / cell_h + 0.5), 1, RENDER_GFX_MAX_DIM);
	*h = (int)ph * rows;
}

struct render_view render_gfx_pixel_view(const struct render_view *v, int w, int h)
{
	return (struct render_view){
	    .cols = w, .rows = (h + 1) / 2, .zoom = v->zoom, .cx = v->cx, .cy = v->cy};
}

static int gfx_px_alloc(struct render_gfx *g, size_t n)
{
	uint32_t *p, *q;

	if (g->px_cap >= n)
		return 0;
	p = realloc(g->px, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	g->px = p;
	q = realloc(g->prev, n * sizeof(*q));
	if (!q)
		return -ENOMEM;
	g->prev = q;
	g->px_cap = n;
	g->prev_valid = false;
	return 0;
}

/* The rounded mean colour of img's pixels [xa, xb) x [ya, yb). */
static uint32_t gfx_box_mean(const struct render_image *img, int xa, int xb, int ya, int yb)
{
	uint64_t r = 0, g = 0, b = 0, n = (uint64_t)(xb - xa) * (uint64_t)(yb - ya);

	for (int y = ya; y < yb; y++) {
		const uint8_t *p = img->pixels + (size_t)y * img->stride + 4 * (size_t)xa;

		for (int x = xa; x < xb; x++, p += 4) {
			r += p[0];
			g += p[1];
			b += p[2];
		}
	}
	return (uint32_t)((r + n / 2) / n) << 16 | (uint32_t)((g + n / 2) / n) << 8 |
	       (uint32_t)((b + n / 2) / n);
}

int render_gfx_scale(struct render_gfx *g, const struct render_image *img,
		     const struct render_view *v, int w, int h)
{
	struct render_view pv = render_gfx_pixel_view(v, w, h);
	int r, *xa, *xb;
	double s;

	if (w < 1 || h < 1 || w > RENDER_GFX_MAX_DIM || h > RENDER_GFX_MAX_DIM)
		return -EINVAL;
	if ((r = gfx_px_alloc(g, (size_t)w * (size_t)h)) < 0)
		return r;
	if (!img->pixels || img->width <= 0 || img->height <= 0 ||
	    img->stride < 4 * (size_t)img->width) {
		memset(g->px, 0, (size_t)w * (size_t)h * sizeof(*g->px));
		return 0;
	}
	xa = malloc(2 * (size_t)w * sizeof(*xa));
	if (!xa)
		return -ENOMEM;
	xb = xa + w;
	s = render_view_scale(img->width, img->height, &pv);
	for (int x = 0; x < w; x++)
		if (!render_view_axis(w, img->width, s, pv.cx, x, &xa[x], &xb[x]))
			xa[x] = -1;
	for (int y = 0; y < h; y++) {
		uint32_t *out = g->px + (size_t)y * (size_t)w;
		const uint8_t *line;
		int ya, yb;

		if (!render_view_axis(2 * pv.rows, img->height, s, pv.cy, y, &ya, &yb)) {
			memset(out, 0, (size_t)w * sizeof(*out));
			continue;
		}
		line = img->pixels + (size_t)ya * img->stride;
		for (int x = 0; x < w; x++) {
			if (xa[x] < 0) {
				out[x] = 0;
			} else if (yb - ya == 1 && xb[x] - xa[x] == 1) {
				const uint8_t *p = line + 4 * (size_t)xa[x];

				out[x] = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
			} else {
				out[x] = gfx_box_mean(img, xa[x], xb[x], ya, yb);
			}
		}
	}
	free(xa);
	return 0;
}

/* ---- kitty ---- */

static const char gfx_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of 3 bytes (or fewer at the end, n < 3, padded). */
static char *gfx_b64_put(char *p, const uint8_t *s, size_t n)
{
	uint32_t v = (uint32_t)s[0] << 16 | (n > 1 ? (uint32_t)s[1] << 8 : 0) | (n > 2 ? s[2] : 0);

	*p++ = gfx_b64[v >> 18 & 63];
	*p++ = gfx_b64[v >> 12 & 63];
	*p++ = n > 1 ? gfx_b64[v >> 6 & 63] : '=';
	*p++ = n > 2 ? gfx_b64[v & 63] : '=';
	return p;
}

long render_gfx_kitty(const uint32_t *px, int w, int h, uint32_t id, int top, int left, int cols,
		      int rows, struct render_out *out)
{
	size_t start = out->len, raw = (size_t)w * (size_t)h * 3, len, chunks, b64;
	const size_t per_chunk = GFX_KITTY_CHUNK / 4 * 3; /* input bytes per chunk */
	const uint8_t *data;
	uint8_t *rgb, *q;
	bool z = false;
	char *p;

	if (w < 1 || h < 1 || w > RENDER_GFX_MAX_DIM || h > RENDER_GFX_MAX_DIM || cols < 1 ||
	    rows < 1 || top < 0 || left < 0)
		return -EINVAL;
	rgb = malloc(raw);
	if (!rgb)
		return -ENOMEM;
	q = rgb;
	for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
		*q++ = (uint8_t)(px[i] >> 16);
		*q++ = (uint8_t)(px[i] >> 8);
		*q++ = (uint8_t)px[i];
	}
	data = rgb;
	len = raw;
#ifdef HAVE_ZLIB
	/* zlib at its fastest level (o=z): a desktop shrinks about 20 times
	 * for about 20 ms a 1280x768 picture (render-bench). */
	{
		uLongf zlen = compressBound(raw);
		uint8_t *zbuf = malloc(zlen);

		if (zbuf && compress2(zbuf, &zlen, rgb, raw, 1) == Z_OK && zlen < raw) {
			free(rgb);
			rgb = zbuf;
			data = zbuf;
			len = zlen;
			z = true;
		} else {
			free(zbuf);
		}
	}
#endif
	b64 = (len + 2) / 3 * 4;
	chunks = (len + per_chunk - 1) / per_chunk;
	/* The cursor to the picture's corner, then the first chunk's keys. */
	if (gfx_printf(
		out, "\033[%d;%dH\033_Ga=T,f=24,s=%d,v=%d,i=%u,p=1,c=%d,r=%d,C=1,q=2%s,m=%d;",
		top + 1, left + 1, w, h, (unsigned)id, cols, rows, z ? ",o=z" : "", chunks > 1) < 0)
		goto nomem;
	/* Later chunks cost "ESC \ ESC _ G m=1 ;" = 9 bytes each. */
	if (render_out_reserve(out, b64 + chunks * 9 + 2) < 0)
		goto nomem;
	p = out->data + out->len;
	for (size_t c = 0; c < chunks; c++) {
		size_t off = c * per_chunk, n = len - off, i = 0;

		if (n > per_chunk)
			n = per_chunk;
		if (c) {
			memcpy(p, "\033\\\033_Gm=", 7);
			p += 7;
			*p++ = c + 1 < chunks ? '1' : '0';
			*p++ = ';';
		}
		for (; i + 3 <= n; i += 3)
			p = gfx_b64_put(p, data + off + i, 3);
		if (i < n) /* the end of the data: padded */
			p = gfx_b64_put(p, data + off + i, n - i);
	}
	memcpy(p, "\033\\", 2);
	p += 2;
	out->len = (size_t)(p - out->data);
	free(rgb);
	return (long)(out->len - start);
nomem:
	free(rgb);
	out->len = start;
	return -ENOMEM;
}

long render_gfx_kitty_delete(struct render_gfx *g, struct render_out *out)
{
	size_t start = out->len;

	/* d=I: the image's data too, not only its placement. */
	for (int r = 0; r < g->kitty_rows; r++)
		if (gfx_printf(out, "\033_Ga=d,d=I,i=%u,q=2\033\\",
			       (unsigned)RENDER_GFX_KITTY_ID + (unsigned)r) < 0) {
			out->len = start;
			return -ENOMEM;
		}
	g->kitty_rows = 0;
	g->prev_valid = false;
	return (long)(out->len - start);
}

/* ---- sixel ---- */

static inline unsigned gfx_bucket(uint32_t c)
{
	return (c >> 9 & 0x7c00) | (c >> 6 & 0x3e0) | (c >> 3 & 0x1f);
}

static int gfx_sixel_alloc(struct render_gfx *g, int w)
{
	size_t need = (size_t)GFX_COLORS * (size_t)w;

	/* Each one on its own: a failure leaves the others for next time. */
	if (!g->hist)
		g->hist = malloc(GFX_BUCKETS * sizeof(*g->hist));
	if (!g->sums)
		g->sums = malloc(3 * GFX_BUCKETS * sizeof(*g->sums));
	if (!g->lut)
		g->lut = malloc(GFX_BUCKETS);
	if (!g->order)
		g->order = malloc(GFX_BUCKETS * sizeof(*g->order));
	if (!g->order_tmp)
		g->order_tmp = malloc(GFX_BUCKETS * sizeof(*g->order_tmp));
	if (!g->hist || !g->sums || !g->lut || !g->order || !g->order_tmp)
		return -ENOMEM;
	if (g->bits_cap < need) {
		uint8_t *b = realloc(g->bits, need);

		if (!b)
			return -ENOMEM;
		g->bits = b;
		g->bits_cap = need;
		memset(g->bits, 0, need); /* kept zero between bands */
	}
	return 0;
}

/* A box of the median cut: buckets order[start, end), their pixel count,
 * and the widest channel (shift 10, 5 or 0) with its range. */
struct gfx_box {
	int start, end;
	uint64_t count;
	int shift, range;
};

static void gfx_box_measure(const struct render_gfx *g, struct gfx_box *b)
{
	int lo[3] = {31, 31, 31}, hi[3] = {0, 0, 0};

	b->count = 0;
	for (int i = b->start; i < b->end; i++) {
		unsigned k = g->order[i];

		b->count += g->hist[k];
		for (int ch = 0; ch < 3; ch++) {
			int v = (int)(k >> (10 - 5 * ch) & 31);

			lo[ch] = v < lo[ch] ? v : lo[ch];
			hi[ch] = v > hi[ch] ? v : hi[ch];
		}
	}
	b->range = -1;
	/* Green first on ties: the eye tells its shades apart best. */
	for (int ch = 1; ch < 4; ch++) {
		int c = ch % 3;

		if (hi[c] - lo[c] > b->range) {
			b->range = hi[c] - lo[c];
			b->shift = 10 - 5 * c;
		}
	}
}

/* Split b along its widest channel at the pixel-weighted median. */
static void gfx_box_split(struct render_gfx *g, struct gfx_box *b, struct gfx_box *nb)
{
	int cnt[32] = {0}, pos[32], n = b->end - b->start;
	uint16_t *tmp = g->order_tmp;
	uint64_t half = b->count / 2, acc = 0;
	int cut;

	/* Counting sort on the channel: 32 values. */
	for (int i = b->start; i < b->end; i++)
		cnt[g->order[i] >> b->shift & 31]++;
	pos[0] = 0;
	for (int v = 1; v < 32; v++)
		pos[v] = pos[v - 1] + cnt[v - 1];
	for (int i = b->start; i < b->end; i++)
		tmp[pos[g->order[i] >> b->shift & 31]++] = g->order[i];
	memcpy(g->order + b->start, tmp, (size_t)n * sizeof(*tmp));

	for (cut = b->start; cut < b->end - 1; cut++) {
		acc += g->hist[g->order[cut]];
		if (acc >= half)
			break;
	}
	cut++; /* [start, cut) and [cut, end), both non-empty */
	*nb = (struct gfx_box){.start = cut, .end = b->end};
	b->end = cut;
	gfx_box_measure(g, b);
	gfx_box_measure(g, nb);
}

/* Choose the palette for px: fills pal (0xRRGGBB) and g->lut (bucket ->
 * index). Returns the number of colours (1..256). */
static int gfx_palette(struct render_gfx *g, const uint32_t *px, size_t n, uint32_t *pal)
{
	struct gfx_box boxes[GFX_COLORS];
	int nb = 0, nboxes;

	memset(g->hist, 0, GFX_BUCKETS * sizeof(*g->hist));
	memset(g->sums, 0, 3 * GFX_BUCKETS * sizeof(*g->sums));
	for (size_t i = 0; i < n; i++) {
		uint32_t c = px[i];
		unsigned k = gfx_bucket(c);

		g->hist[k]++;
		g->sums[3 * k] += c >> 16 & 0xff;
		g->sums[3 * k + 1] += c >> 8 & 0xff;
		g->sums[3 * k + 2] += c & 0xff;
	}
	for (unsigned k = 0; k < GFX_BUCKETS; k++)
		if (g->hist[k])
			g->order[nb++] = (uint16_t)k;

	boxes[0] = (struct gfx_box){.start = 0, .end = nb};
	gfx_box_measure(g, &boxes[0]);
	nboxes = 1;
	if (nb <= GFX_COLORS) {
		/* Few colours (a desktop, text): one register per bucket. */
		nboxes = nb;
		for (int i = 0; i < nb; i++)
			boxes[i] = (struct gfx_box){.start = i, .end = i + 1};
	} else {
		while (nboxes < GFX_COLORS) {
			int best = -1;
			uint64_t best_score = 0;

			/* The box with the most pixels times spread. */
			for (int i = 0; i < nboxes; i++) {
				uint64_t s = boxes[i].count * (uint64_t)boxes[i].range;

				if (boxes[i].end - boxes[i].start > 1 && s >= best_score) {
					best = i;
					best_score = s;
				}
			}
			if (best < 0)
				break;
			gfx_box_split(g, &boxes[best], &boxes[nboxes]);
			nboxes++;
		}
	}
	for (int i = 0; i < nboxes; i++) {
		uint64_t s[3] = {0, 0, 0}, cnt = 0;

		for (int j = boxes[i].start; j < boxes[i].end; j++) {
			unsigned k = g->order[j];

			cnt += g->hist[k];
			s[0] += g->sums[3 * k];
			s[1] += g->sums[3 * k + 1];
			s[2] += g->sums[3 * k + 2];
			g->lut[k] = (uint8_t)i;
		}
		if (!cnt)
			cnt = 1;
		pal[i] = (uint32_t)((s[0] + cnt / 2) / cnt) << 16 |
			 (uint32_t)((s[1] + cnt / 2) / cnt) << 8 |
			 (uint32_t)((s[2] + cnt / 2) / cnt);
	}
	return nboxes ? nboxes : 1;
}

/* A run of n sixel characters ch. */
static char *gfx_sixel_run(char *p, int n, char ch)
{
	if (n >= 4) {
		p += sprintf(p, "!%d", n);
		*p++ = ch;
	} else {
		while (n-- > 0)
			*p++ = ch;
	}
	return p;
}

static unsigned gfx_pct(uint32_t c)
{
	return ((c & 0xff) * 100 + 127) / 255;
}

long render_gfx_sixel(struct render_gfx *g, const uint32_t *px, int w, int h, int top, int left,
		      struct render_out *out)
{
	size_t start = out->len;
	uint32_t pal[GFX_COLORS];
	uint16_t used[GFX_COLORS];
	int x0[GFX_COLORS], x1[GFX_COLORS];
	bool in_band[GFX_COLORS];
	int ncolors;

	if (w < 1 || h < 1 || w > RENDER_GFX_MAX_DIM || h > RENDER_GFX_MAX_DIM || top < 0 ||
	    left < 0)
		return -EINVAL;
	if (gfx_sixel_alloc(g, w) < 0)
		return -ENOMEM;
	ncolors = gfx_palette(g, px, (size_t)w * (size_t)h, pal);

	/* DCS P1=0 (aspect from raster attributes), P2=1 (zero bits leave
	 * what is there: a partial last band does not paint below the
	 * picture), raster attributes 1:1 pixels, w x h. */
	if (gfx_printf(out, "\033[%d;%dH\033P0;1;0q\"1;1;%d;%d", top + 1, left + 1, w, h) < 0)
		goto nomem;
	for (int i = 0; i < ncolors; i++)
		if (gfx_printf(out, "#%d;2;%u;%u;%u", i, gfx_pct(pal[i] >> 16),
			       gfx_pct(pal[i] >> 8), gfx_pct(pal[i])) < 0)
			goto nomem;

	memset(in_band, 0, sizeof(in_band));
	for (int y0 = 0; y0 < h; y0 += 6) {
		int nused = 0, nrows = h - y0 < 6 ? h - y0 : 6;

		for (int r = 0; r < nrows; r++) {
			const uint32_t *row = px + (size_t)(y0 + r) * (size_t)w;

			for (int x = 0; x < w; x++) {
				unsigned c = g->lut[gfx_bucket(row[x])];

				g->bits[(size_t)c * (size_t)w + (size_t)x] |= (uint8_t)(1u << r);
				if (!in_band[c]) {
					in_band[c] = true;
					used[nused++] = (uint16_t)c;
					x0[c] = x1[c] = x;
				} else {
					x0[c] = x < x0[c] ? x : x0[c];
					x1[c] = x > x1[c] ? x : x1[c];
				}
			}
		}
		for (int u = 0; u < nused; u++) {
			unsigned c = used[u];
			uint8_t *b = g->bits + (size_t)c * (size_t)w;
			int x = x0[c];
			char *p;

			/* "$#255!8192?" and then at most 2 bytes per column
			 * worse than the columns themselves ("!n" runs are
			 * shorter than the runs they replace). */
			if (render_out_reserve(out, 24 + 2 * (size_t)(x1[c] - x0[c] + 1)) < 0)
				goto nomem;
			p = out->data + out->len;
			if (u)
				*p++ = '$'; /* back to the band's first column */
			p += sprintf(p, "#%u", c);
			p = gfx_sixel_run(p, x0[c], '?');
			while (x <= x1[c]) {
				int e = x + 1;

				while (e <= x1[c] && b[e] == b[x])
					e++;
				p = gfx_sixel_run(p, e - x, (char)('?' + b[x]));
				memset(b + x, 0, (size_t)(e - x));
				x = e;
			}
			in_band[c] = false;
			out->len = (size_t)(p - out->data);
		}
		if (y0 + 6 < h && gfx_printf(out, "-") < 0)
			goto nomem;
	}
	if (gfx_printf(out, "\033\\") < 0)
		goto nomem;
	return (long)(out->len - start);
nomem:
	out->len = start;
	return -ENOMEM;
}

long render_gfx_frame(struct render_gfx *g, enum render_gfx_mode mode,
		      const struct render_image *img, const struct render_view *v, int cell_w,
		      int cell_h, int top, int left, bool full, struct render_out *out)
{
	size_t start = out->len;
	int w, h, ph, r;
	uint32_t *t;

	if ((mode != RENDER_GFX_SIXEL && mode != RENDER_GFX_KITTY) || v->cols < 1 || v->rows < 1 ||
	    v->rows > RENDER_GFX_MAX_DIM)
		return -EINVAL;
	render_gfx_size(mode, img->width, img->height, v, cell_w, cell_h, &w, &h);
	ph = h / v->rows;
	if ((r = render_gfx_scale(g, img, v, w, h)) < 0)
		return r;
	if (!g->prev_valid || g->prev_w != w || g->prev_h != h || g->prev_rows != v->rows ||
	    g->prev_mode != mode)
		full = true;
	/* A new layout: the old rows' kitty images may lie outside it. */
	if (full && g->kitty_rows && render_gfx_kitty_delete(g, out) < 0)
		return -ENOMEM;

	for (int r0 = 0; r0 < v->rows;) {
		size_t off = (size_t)r0 * (size_t)ph * (size_t)w, n = (size_t)ph * (size_t)w;
		int r1 = r0;
		long k;

		/* The run of changed cell rows from r0 (kitty: one row). */
		while (r1 < v->rows &&
		       (full || memcmp(g->px + (size_t)r1 * n, g->prev + (size_t)r1 * n,
				       n * sizeof(*g->px))) &&
		       (r1 == r0 || mode == RENDER_GFX_SIXEL))
			r1++;
		if (r1 == r0) {
			r0++;
			continue;
		}
		if (mode == RENDER_GFX_KITTY) {
			k = render_gfx_kitty(g->px + off, w, ph, RENDER_GFX_KITTY_ID + (uint32_t)r0,
					     top + r0, left, v->cols, 1, out);
			if (r0 + 1 > g->kitty_rows)
				g->kitty_rows = r0 + 1;
		} else {
			k = render_gfx_sixel(g, g->px + off, w, (r1 - r0) * ph, top + r0, left,
					     out);
		}
		if (k < 0) {
			out->len = start;
			g->prev_valid = false;
			return k;
		}
		r0 = r1;
	}
	t = g->prev;
	g->prev = g->px;
	g->px = t;
	g->prev_w = w;
	g->prev_h = h;
	g->prev_rows = v->rows;
	g->prev_mode = mode;
	g->prev_valid = true;
	return (long)(out->len - start);
}
