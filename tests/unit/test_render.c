/* What the terminal VNC viewer shows (console/render.c): the cells a
 * framebuffer becomes (colours, fitting, letterbox, zoom and pan), where
 * a mouse click lands, and that the bytes render_emit writes redraw
 * exactly the cells that changed (checked by replaying them on a small
 * terminal model). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* ---- images ---- */

struct test_img {
	struct render_image img;
	uint8_t *buf;
};

static void img_new(struct test_img *t, int w, int h)
{
	t->buf = calloc((size_t)w * h, 4);
	ck_assert_ptr_nonnull(t->buf);
	t->img = (struct render_image){t->buf, w, h, 4 * (size_t)w};
}

static void img_set(struct test_img *t, int x, int y, uint32_t rgb)
{
	uint8_t *p = t->buf + (size_t)y * t->img.stride + 4 * (size_t)x;

	p[0] = rgb >> 16;
	p[1] = rgb >> 8;
	p[2] = rgb;
	p[3] = 0xaa; /* padding: must be ignored */
}

static void img_fill(struct test_img *t, uint32_t rgb)
{
	for (int y = 0; y < t->img.height; y++)
		for (int x = 0; x < t->img.width; x++)
			img_set(t, x, y, rgb);
}

static struct render_grid grid_of(int cols, int rows)
{
	struct render_grid g = {0};

	ck_assert_int_eq(render_grid_resize(&g, cols, rows), 0);
	return g;
}

static const struct render_cell *cell(const struct render_grid *g, int col, int row)
{
	return &g->cells[row * g->cols + col];
}

/* An independent nearest-colour search over a palette, for checking. */
static uint32_t pal_rgb(int i)
{
	static const uint32_t p16[16] = {
	    0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
	    0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
	};
	static const int lv[6] = {0, 95, 135, 175, 215, 255};

	if (i < 16)
		return p16[i];
	if (i < 232) {
		i -= 16;
		return (uint32_t)lv[i / 36] << 16 | (uint32_t)lv[i / 6 % 6] << 8 | lv[i % 6];
	}
	i = 8 + 10 * (i - 232);
	return (uint32_t)i << 16 | (uint32_t)i << 8 | i;
}

static int dist(uint32_t a, uint32_t b)
{
	int dr = (int)(a >> 16 & 255) - (int)(b >> 16 & 255);
	int dg = (int)(a >> 8 & 255) - (int)(b >> 8 & 255);
	int db = (int)(a & 255) - (int)(b & 255);

	return dr * dr + dg * dg + db * db;
}

static uint32_t mapped(enum render_colors mode, uint32_t rgb)
{
	return mode == RENDER_COLORS_TRUE  ? rgb
	       : mode == RENDER_COLORS_256 ? render_rgb_to_256(rgb)
					   : render_rgb_to_16(rgb);
}

/* ---- palettes ---- */

START_TEST(test_palette_entries_map_to_themselves)
{
	/* The cube and the grey ramp (16..255), and all 16 ANSI colours. */
	for (int i = 16; i < 256; i++)
		ck_assert_int_eq(pal_rgb(render_rgb_to_256(pal_rgb(i))), pal_rgb(i));
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(render_rgb_to_16(pal_rgb(i)), i);
	/* Greys use the ramp, not the coarser cube. */
	ck_assert_int_ge(render_rgb_to_256(0x7f7f7f), 232);
	ck_assert_int_lt(render_rgb_to_256(0xd70000), 232);
}
END_TEST

START_TEST(test_palette_picks_the_nearest)
{
	uint32_t seed = 12345;

	for (int n = 0; n < 20000; n++) {
		uint32_t rgb, best256 = ~0u, best16 = ~0u;

		seed = seed * 1103515245 + 12345;
		rgb = seed >> 8 & 0xffffff;
		for (int i = 16; i < 256; i++)
			if ((uint32_t)dist(rgb, pal_rgb(i)) < best256)
				best256 = dist(rgb, pal_rgb(i));
		for (int i = 0; i < 16; i++)
			if ((uint32_t)dist(rgb, pal_rgb(i)) < best16)
				best16 = dist(rgb, pal_rgb(i));
		ck_assert_int_eq(dist(rgb, pal_rgb(render_rgb_to_256(rgb))), best256);
		ck_assert_int_ge(render_rgb_to_256(rgb), 16);
		ck_assert_int_eq(dist(rgb, pal_rgb(render_rgb_to_16(rgb))), best16);
	}
}
END_TEST

/* ---- pixels to cells ---- */

START_TEST(test_one_pixel_per_sample_in_each_mode)
{
	static const uint32_t colours[4] = {0xff0000, 0x00ff00, 0x0000ff, 0x808080};
	enum render_colors mode = _i;
	struct test_img t;
	struct render_grid g = grid_of(4, 2);
	struct render_view v = {4, 2, 1.0, 0, 0};

	/* A 4x4 image in 4x2 cells: every cell shows two pixels, top
	 * over bottom, each in the mode's nearest colour. */
	img_new(&t, 4, 4);
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 4; x++)
			img_set(&t, x, y, colours[(x + y) % 4]);
	render_image(&t.img, &v, mode, &g);
	for (int r = 0; r < 2; r++)
		for (int c = 0; c < 4; c++) {
			ck_assert_uint_eq(cell(&g, c, r)->fg,
					  mapped(mode, colours[(c + 2 * r) % 4]));
			ck_assert_uint_eq(cell(&g, c, r)->bg,
					  mapped(mode, colours[(c + 2 * r + 1) % 4]));
		}
	render_grid_free(&g);
	free(t.buf);
}
END_TEST

START_TEST(test_downscale_averages_fine_detail)
{
	struct test_img t;
	struct render_grid g = grid_of(4, 2);
	struct render_view v = {4, 2, 1.0, 0, 0};

	/* One-pixel black/white stripes (text-like detail) at half size
	 * become grey rather than all black or all white. */
	img_new(&t, 8, 8);
	for (int y = 0; y < 8; y++)
		for (int x = 0; x < 8; x++)
			img_set(&t, x, y, x % 2 ? 0xffffff : 0x000000);
	render_image(&t.img, &v, RENDER_COLORS_TRUE, &g);
	for (int i = 0; i < 8; i++) {
		ck_assert_uint_eq(g.cells[i].fg, 0x808080);
		ck_assert_uint_eq(g.cells[i].bg, 0x808080);
	}
	render_grid_free(&g);
	free(t.buf);
}
END_TEST

/* The samples (cols x 2*rows) that show the image, as a bounding box. */
static void white_box(const struct render_grid *g, int *x0, int *y0, int *x1, int *y1)
{
	*x0 = *y0 = 1 << 20;
	*x1 = *y1 = -1;
	for (int r = 0; r < g->rows; r++)
		for (int c = 0; c < g->cols; c++)
			for (int h = 0; h < 2; h++) {
				uint32_t col = h ? cell(g, c, r)->bg : cell(g, c, r)->fg;

				if (col == 0)
					continue;
				ck_assert_uint_eq(col, 0xffffff);
				if (c < *x0)
					*x0 = c;
				if (c > *x1)
					*x1 = c;
				if (2 * r + h < *y0)
					*y0 = 2 * r + h;
				if (2 * r + h > *y1)
					*y1 = 2 * r + h;
			}
}

START_TEST(test_fit_keeps_aspect_and_letterboxes_in_black)
{
	struct test_img t;
	struct render_grid g = grid_of(8, 4);
	struct render_view v = {8, 4, 1.0, 0, 0};
	int x0, y0, x1, y1;

	/* Wide image, 8x8 samples: full width, centred vertically. */
	img_new(&t, 8, 4);
	img_fill(&t, 0xffffff);
	render_image(&t.img, &v, RENDER_COLORS_TRUE, &g);
	white_box(&g, &x0, &y0, &x1, &y1);
	ck_assert_int_eq(x0, 0);
	ck_assert_int_eq(x1, 7);
	ck_assert_int_eq(y0, 2);
	ck_assert_int_eq(y1, 5);
	free(t.buf);

	/* Tall image: full height, centred horizontally. */
	img_new(&t, 4, 8);
	img_fill(&t, 0xffffff);
	render_image(&t.img, &v, RENDER_COLORS_TRUE, &g);
	white_box(&g, &x0, &y0, &x1, &y1);
	ck_assert_int_eq(x0, 2);
	ck_assert_int_eq(x1, 5);
	ck_assert_int_eq(y0, 0);
	ck_assert_int_eq(y1, 7);
	free(t.buf);

	/* A square image in a wide 20x5-cell area (20x10 samples) stays
	 * square: 10x10 samples in the middle. */
	render_grid_free(&g);
	g = grid_of(20, 5);
	v = (struct render_view){20, 5, 1.0, 0, 0};
	img_new(&t, 16, 16);
	img_fill(&t, 0xffffff);
	render_image(&t.img, &v, RENDER_COLORS_TRUE, &g);
	white_box(&g, &x0, &y0, &x1, &y1);
	ck_assert_int_eq(x1 - x0 + 1, 10);
	ck_assert_int_eq(y1 - y0 + 1, 10);
	ck_assert_int_eq(x0, 5);
	free(t.buf);

	/* In palette modes the letterbox is the palette's black. */
	img_new(&t, 8, 4);
	img_fill(&t, 0xffffff);
	render_grid_free(&g);
	g = grid_of(8, 4);
	v = (struct render_view){8, 4, 1.0, 0, 0};
	render_image(&t.img, &v, RENDER_COLORS_256, &g);
	ck_assert_uint_eq(cell(&g, 0, 0)->fg, render_rgb_to_256(0));
	ck_assert_uint_eq(cell(&g, 0, 1)->fg, render_rgb_to_256(0xffffff));
	render_grid_free(&g);
	free(t.buf);
}
END_TEST

/* An image whose pixel (x, y) is the colour (x, y, 0x33). */
static void coord_image(struct test_img *t, int w, int h)
{
	img_new(t, w, h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			img_set(t, x, y, (uint32_t)x << 16 | (uint32_t)y << 8 | 0x33);
}

START_TEST(test_zoom_and_pan_stay_inside_the_image)
{
	struct test_img t;
	struct render_grid g = grid_of(4, 2);
	struct render_view v = {4, 2, 4.0, 8, 8};

	/* 16x16 at zoom 4 in 4x4 samples: one pixel per sample. */
	coord_image(&t, 16, 16);
	render_image(&t.img, &v, RENDER_COLORS_TRUE, &g);
	ck_assert_uint_eq(cell(&g, 0, 0)->fg, 0x060633); /* window 6..9 around 8 */
	ck_assert_uint_eq(cell(&g, 3, 1)->bg, 0x090933);

	/* Panning past an edge stops at the edge. */
	v.cx = -50;
	v.cy = 1000;
	render_image(&t.img, &v, RENDER_COLORS_TRUE, &g);
	ck_assert_uint_eq(cell(&g, 0, 0)->fg, 0x000c33);
	ck_assert_uint_eq(cell(&g, 3, 1)->bg, 0x030f33);

	/* Zoom below 1 (or nonsense) is the fit view: 4x4 pixels a sample. */
	v.zoom = 0.25;
	render_image(&t.img, &v, RENDER_COLORS_TRUE, &g);
	ck_assert_uint_eq(cell(&g, 0, 0)->fg >> 16, 2); /* mean of x 0..3, rounded */
	ck_assert_uint_eq(cell(&g, 3, 1)->bg >> 16, 14);
	v.zoom = NAN;
	render_image(&t.img, &v, RENDER_COLORS_TRUE, &g);
	ck_assert_uint_eq(cell(&g, 3, 1)->bg >> 16, 14);
	render_grid_free(&g);
	free(t.buf);
}
END_TEST

START_TEST(test_cell_to_pixel_is_what_the_cell_shows)
{
	static const struct render_view views[] = {
	    {40, 12, 1.0, 0, 0},    {40, 12, 2.5, 100, 10}, {40, 12, 8.0, 0, 200},
	    {13, 30, 20.0, 60, 30}, {80, 24, 1.0, 0, 0},    {7, 3, 40.0, 199, 0},
	    {40, 12, 5.0, 100, 10}, {13, 30, 3.0, 60, 30},
	};
	struct test_img t;

	/* When a sample is at most one pixel, the cell's colour names the
	 * pixel it shows; a click there must land on that pixel. */
	coord_image(&t, 200, 60);
	for (size_t k = 0; k < sizeof(views) / sizeof(views[0]); k++) {
		const struct render_view *v = &views[k];
		struct render_grid g = grid_of(v->cols, v->rows);
		double fit = (double)v->cols / 200 < 2.0 * v->rows / 60 ? (double)v->cols / 200
									: 2.0 * v->rows / 60;
		double scale = fit * v->zoom; /* samples per pixel */

		render_image(&t.img, v, RENDER_COLORS_TRUE, &g);
		for (int r = 0; r < v->rows; r++)
			for (int c = 0; c < v->cols; c++) {
				const struct render_cell *ce = cell(&g, c, r);
				bool in = ce->fg != 0 || ce->bg != 0;
				int x, y;

				ck_assert_int_eq(render_cell_to_pixel(200, 60, v, c, r, &x, &y),
						 in);
				ck_assert_int_ge(x, 0);
				ck_assert_int_lt(x, 200);
				ck_assert_int_ge(y, 0);
				ck_assert_int_lt(y, 60);
				if (!in || scale < 1.0)
					continue;
				ck_assert_int_eq(x, (int)(ce->fg >> 16));
				ck_assert(y == (int)(ce->fg >> 8 & 255) ||
					  y == (int)(ce->bg >> 8 & 255));
			}
		render_grid_free(&g);
	}

	/* Fitted (downscaled), the pixel is inside what the cell averages:
	 * the mean x of its box is within half a box of it. */
	{
		struct render_view v = {40, 12, 1.0, 0, 0};
		struct render_grid g = grid_of(40, 12);

		render_image(&t.img, &v, RENDER_COLORS_TRUE, &g);
		for (int c = 0; c < 40; c++) {
			int x, y;

			ck_assert(render_cell_to_pixel(200, 60, &v, c, 5, &x, &y));
			ck_assert_int_le(abs(x - (int)(cell(&g, c, 5)->fg >> 16)), 3);
		}
		render_grid_free(&g);
	}
	free(t.buf);
}
END_TEST

START_TEST(test_odd_views_and_images_stay_in_bounds)
{
	static const struct render_view views[] = {
	    {1, 1, 1.0, 0, 0},	   {3, 2, INFINITY, 0, 0},  {3, 2, 1e300, -INFINITY, INFINITY},
	    {5, 4, NAN, NAN, NAN}, {7, 1, -3.0, 1e9, -1e9}, {2, 9, 1e6, 0.5, 0.5},
	};
	static const int sizes[][2] = {{1, 1}, {1, 3000}, {3000, 1}, {7, 5}};
	struct test_img t;

	/* Whatever the view (a pan far outside, zoom infinite or NaN) and
	 * however thin the image, every cell is drawn from inside the image
	 * and a click maps inside it. */
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		img_new(&t, sizes[k][0], sizes[k][1]);
		img_fill(&t, 0x00ff00);
		for (size_t j = 0; j < sizeof(views) / sizeof(views[0]); j++) {
			const struct render_view *v = &views[j];
			struct render_grid g = grid_of(v->cols, v->rows);
			int x, y;

			render_image(&t.img, v, RENDER_COLORS_TRUE, &g);
			for (int i = 0; i < v->cols * v->rows; i++) {
				ck_assert(g.cells[i].fg == 0 || g.cells[i].fg == 0x00ff00);
				ck_assert(g.cells[i].bg == 0 || g.cells[i].bg == 0x00ff00);
			}
			render_cell_to_pixel(t.img.width, t.img.height, v, v->cols / 2, v->rows / 2,
					     &x, &y);
			ck_assert(x >= 0 && x < t.img.width && y >= 0 && y < t.img.height);
			render_grid_free(&g);
		}
		free(t.buf);
	}
	/* No image yet (the server sent no framebuffer): all black. */
	{
		struct render_image none = {NULL, 0, 0, 0};
		struct render_view v = {4, 2, 1.0, 0, 0};
		struct render_grid g = grid_of(4, 2);
		int x, y;

		render_image(&none, &v, RENDER_COLORS_256, &g);
		for (int i = 0; i < 8; i++)
			ck_assert_uint_eq(g.cells[i].fg, render_rgb_to_256(0));
		ck_assert(!render_cell_to_pixel(0, 0, &v, 1, 1, &x, &y));
		render_grid_free(&g);
	}
}
END_TEST

/* ---- cells to bytes: a small terminal that replays render_emit ---- */

#define NO_COLOUR 0xdeadbeef /* the terminal's default: never what a cell wants */
#define UNTOUCHED 0xfeedf00d

struct term {
	int w, h, row, col;
	bool wrap_pending;
	uint32_t fg, bg;
	uint32_t *top, *bot; /* what each cell shows */
	bool utf8;
};

static void term_init(struct term *t, int w, int h, bool utf8)
{
	t->w = w;
	t->h = h;
	t->row = t->col = 0;
	t->wrap_pending = false;
	t->fg = t->bg = NO_COLOUR;
	t->top = malloc(sizeof(uint32_t) * w * h);
	t->bot = malloc(sizeof(uint32_t) * w * h);
	for (int i = 0; i < w * h; i++)
		t->top[i] = t->bot[i] = UNTOUCHED;
	t->utf8 = utf8;
}

static void term_free(struct term *t)
{
	free(t->top);
	free(t->bot);
}

static void term_put(struct term *t, uint32_t top, uint32_t bot)
{
	int i;

	/* The emitter never relies on autowrap or writes past the grid. */
	ck_assert_msg(!t->wrap_pending, "glyph written at the right margin's pending wrap");
	ck_assert_int_lt(t->row, t->h);
	ck_assert_uint_ne(top, NO_COLOUR);
	ck_assert_uint_ne(bot, NO_COLOUR);
	i = t->row * t->w + t->col;
	t->top[i] = top;
	t->bot[i] = bot;
	if (t->col == t->w - 1)
		t->wrap_pending = true;
	else
		t->col++;
}

/* SGR parameters: 38;2;r;g;b / 48;2 / 38;5;n / 48;5;n / 30-37 ... */
static void term_sgr(struct term *t, const int *p, int np, enum render_colors mode)
{
	if (np == 0) {
		t->fg = t->bg = NO_COLOUR;
		return;
	}
	for (int i = 0; i < np; i++) {
		int v = p[i];

		if (v == 0) {
			t->fg = t->bg = NO_COLOUR;
		} else if ((v == 38 || v == 48) && i + 4 < np && p[i + 1] == 2) {
			ck_assert_int_eq(mode, RENDER_COLORS_TRUE);
			*(v == 38 ? &t->fg : &t->bg) =
			    (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 8 | p[i + 4];
			i += 4;
		} else if ((v == 38 || v == 48) && i + 2 < np && p[i + 1] == 5) {
			ck_assert_int_eq(mode, RENDER_COLORS_256);
			*(v == 38 ? &t->fg : &t->bg) = p[i + 2];
			i += 2;
		} else if (v >= 30 && v <= 37) {
			t->fg = v - 30;
		} else if (v >= 90 && v <= 97) {
			t->fg = v - 90 + 8;
		} else if (v >= 40 && v <= 47) {
			t->bg = v - 40;
		} else if (v >= 100 && v <= 107) {
			t->bg = v - 100 + 8;
		} else {
			ck_abort_msg("unexpected SGR parameter %d", v);
		}
		if (v != 0 && !(v >= 38 && v <= 48 && (v == 38 || v == 48)))
			ck_assert_int_eq(mode, RENDER_COLORS_16);
	}
}

static void term_feed(struct term *t, const char *s, size_t n, enum render_colors mode)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];

		if (c == 0x1b) {
			int p[16], np = 0;
			bool digits = false;

			ck_assert_uint_lt(i + 2, n + 1);
			ck_assert_int_eq(s[i + 1], '[');
			i += 2;
			p[0] = 0;
			while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == ';')) {
				if (s[i] == ';') {
					if (np == 0)
						np = 1;
					ck_assert_int_lt(np, 16);
					p[np++] = 0;
				} else {
					if (np == 0)
						np = 1;
					p[np - 1] = p[np - 1] * 10 + (s[i] - '0');
					digits = true;
				}
				i++;
			}
			(void)digits;
			ck_assert_uint_lt(i, n);
			c = s[i++];
			switch (c) {
			case 'm':
				term_sgr(t, p, np, mode);
				continue;
			case 'H':
				t->row = (np >= 1 && p[0] ? p[0] : 1) - 1;
				t->col = (np >= 2 && p[1] ? p[1] : 1) - 1;
				break;
			case 'C':
				t->col += np && p[0] ? p[0] : 1;
				break;
			case 'D':
				t->col -= np && p[0] ? p[0] : 1;
				break;
			case 'B':
				t->row += np && p[0] ? p[0] : 1;
				break;
			default:
				ck_abort_msg("unexpected CSI final %c", c);
			}
			t->wrap_pending = false;
			ck_assert_int_ge(t->col, 0);
			ck_assert_int_lt(t->col, t->w);
			ck_assert_int_lt(t->row, t->h);
		} else if (c == '\r') {
			t->col = 0;
			t->wrap_pending = false;
			i++;
		} else if (c == '\n') {
			t->row++;
			t->wrap_pending = false;
			ck_assert_int_lt(t->row, t->h);
			i++;
		} else if (c == ' ') {
			term_put(t, t->bg, t->bg);
			i++;
		} else if (c == 0xe2 && i + 2 < n && (uint8_t)s[i + 1] == 0x96) {
			uint8_t k = s[i + 2];

			ck_assert(t->utf8);
			if (k == 0x80) /* upper half */
				term_put(t, t->fg, t->bg);
			else if (k == 0x84) /* lower half */
				term_put(t, t->bg, t->fg);
			else if (k == 0x88) /* full block */
				term_put(t, t->fg, t->fg);
			else
				ck_abort_msg("unexpected glyph");
			i += 3;
		} else {
			ck_abort_msg("unexpected byte 0x%02x at %zu", c, i);
		}
	}
	/* Attributes are reset at the end. */
	ck_assert_uint_eq(t->fg, NO_COLOUR);
	ck_assert_uint_eq(t->bg, NO_COLOUR);
}

static uint32_t avg_colour(enum render_colors mode, uint32_t a, uint32_t b)
{
	uint32_t x = mode == RENDER_COLORS_TRUE ? a : pal_rgb(a);
	uint32_t y = mode == RENDER_COLORS_TRUE ? b : pal_rgb(b);
	uint32_t m = (((x >> 16 & 255) + (y >> 16 & 255) + 1) / 2) << 16 |
		     (((x >> 8 & 255) + (y >> 8 & 255) + 1) / 2) << 8 |
		     ((x & 255) + (y & 255) + 1) / 2;

	return a == b ? a : mapped(mode, m);
}

static bool colour_near(uint32_t a, uint32_t b, int tol)
{
	for (int sh = 0; sh <= 16; sh += 8) {
		int d = (int)(a >> sh & 255) - (int)(b >> sh & 255);

		if (d > tol || d < -tol)
			return false;
	}
	return (a >> 24) == (b >> 24);
}

/* The terminal shows g at (top, left), each colour within tol of the
 * cell's, and nothing else was written. */
static void term_check_near(const struct term *t, const struct render_grid *g, int top, int left,
			    enum render_colors mode, int tol)
{
	for (int y = 0; y < t->h; y++)
		for (int x = 0; x < t->w; x++) {
			int i = y * t->w + x, r = y - top, c = x - left;
			uint32_t wt, wb;

			if (r < 0 || c < 0 || r >= g->rows || c >= g->cols) {
				ck_assert_uint_eq(t->top[i], UNTOUCHED);
				continue;
			}
			wt = cell(g, c, r)->fg;
			wb = cell(g, c, r)->bg;
			if (!t->utf8)
				wt = wb = avg_colour(mode, wt, wb);
			ck_assert_msg(colour_near(t->top[i], wt, tol) &&
					  colour_near(t->bot[i], wb, tol),
				      "cell %d,%d shows %06x/%06x, wants %06x/%06x", c, r,
				      t->top[i], t->bot[i], wt, wb);
		}
}

static void term_check(const struct term *t, const struct render_grid *g, int top, int left,
		       enum render_colors mode)
{
	term_check_near(t, g, top, left, mode, 0);
}

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245 + 12345;
	return *s >> 8;
}

/* A random colour from a small set, so runs and repeats occur. */
static uint32_t rnd_colour(uint32_t *s, enum render_colors mode)
{
	static const uint32_t set[] = {0x000000, 0xffffff, 0x336699, 0xd70000, 0x00ff00, 0x808080};
	uint32_t rgb = rnd(s) % 4 ? set[rnd(s) % 6] : rnd(s) & 0xffffff;

	return mapped(mode, rgb);
}

START_TEST(test_emit_replays_to_the_grid)
{
	enum render_colors mode = _i % 3;
	bool utf8 = _i < 3;
	uint32_t seed = 77 + _i;

	for (int trial = 0; trial < 40; trial++) {
		int cols = 1 + rnd(&seed) % 30, rows = 1 + rnd(&seed) % 8;
		int top = rnd(&seed) % 3, left = trial % 2 ? 0 : rnd(&seed) % 5;
		struct render_grid a = grid_of(cols, rows), b = grid_of(cols, rows);
		struct render_out out = {0};
		struct term t;
		long n;

		for (int i = 0; i < cols * rows; i++) {
			a.cells[i].fg = rnd_colour(&seed, mode);
			a.cells[i].bg = rnd(&seed) % 3 ? a.cells[i].fg : rnd_colour(&seed, mode);
		}
		/* The right edge of the terminal is the grid's: the worst case. */
		term_init(&t, left + cols, top + rows, utf8);
		n = render_emit(NULL, &a, top, left, mode, utf8, &out);
		ck_assert_int_eq(n, (long)out.len);
		term_feed(&t, out.data, out.len, mode);
		term_check(&t, &a, top, left, mode);

		/* A few frames of scattered changes, applied on top. */
		for (int f = 0; f < 5; f++) {
			int changes = rnd(&seed) % 12;

			memcpy(b.cells, a.cells, sizeof(*a.cells) * cols * rows);
			for (int k = 0; k < changes; k++) {
				int i = rnd(&seed) % (cols * rows);

				b.cells[i].fg = rnd_colour(&seed, mode);
				b.cells[i].bg =
				    rnd(&seed) % 2 ? b.cells[i].fg : rnd_colour(&seed, mode);
			}
			out.len = 0;
			n = render_emit(&a, &b, top, left, mode, utf8, &out);
			ck_assert_int_eq(n, (long)out.len);
			term_feed(&t, out.data, out.len, mode);
			term_check(&t, &b, top, left, mode);
			memcpy(a.cells, b.cells, sizeof(*a.cells) * cols * rows);
		}
		term_free(&t);
		render_out_free(&out);
		render_grid_free(&a);
		render_grid_free(&b);
	}
}
END_TEST

START_TEST(test_emit_approx_stays_close_for_fewer_bytes)
{
	uint32_t seed = 4242;
	struct render_grid a = grid_of(40, 4), b = grid_of(40, 4);
	struct render_out exact = {0}, approx = {0};
	struct term t;

	/* A grey ramp one level a cell: exact costs a colour change every
	 * cell; within 4 levels, one every few cells. */
	for (int i = 0; i < 160; i++) {
		uint32_t v = 60 + i;

		a.cells[i].fg = a.cells[i].bg = v << 16 | v << 8 | v;
	}
	ck_assert_int_gt(render_emit(NULL, &a, 0, 0, RENDER_COLORS_TRUE, true, &exact), 0);
	ck_assert_int_gt(render_emit_approx(NULL, &a, 0, 0, RENDER_COLORS_TRUE, true, 4, &approx),
			 0);
	ck_assert_uint_lt(approx.len, exact.len / 2);
	term_init(&t, 40, 4, true);
	term_feed(&t, approx.data, approx.len, RENDER_COLORS_TRUE);
	term_check_near(&t, &a, 0, 0, RENDER_COLORS_TRUE, 4);

	/* Frames of noisy changes on top: the error never grows past the
	 * tolerance, however many frames. */
	for (int f = 0; f < 50; f++) {
		memcpy(b.cells, a.cells, sizeof(*a.cells) * 160);
		for (int k = 0; k < 30; k++) {
			int i = rnd(&seed) % 160;
			uint32_t v = 60 + (i + rnd(&seed) % 9) % 180;

			b.cells[i].fg = v << 16 | v << 8 | (v + rnd(&seed) % 3);
			b.cells[i].bg = rnd(&seed) % 2 ? b.cells[i].fg : v << 8;
		}
		approx.len = 0;
		render_emit_approx(&a, &b, 0, 0, RENDER_COLORS_TRUE, true, 4, &approx);
		term_feed(&t, approx.data, approx.len, RENDER_COLORS_TRUE);
		term_check_near(&t, &b, 0, 0, RENDER_COLORS_TRUE, 4);
		memcpy(a.cells, b.cells, sizeof(*a.cells) * 160);
	}
	term_free(&t);

	/* Palette indices have no distance: 256 colours stay exact. */
	for (int i = 0; i < 160; i++)
		a.cells[i].fg = a.cells[i].bg = 232 + i % 24;
	exact.len = approx.len = 0;
	render_emit(NULL, &a, 0, 0, RENDER_COLORS_256, true, &exact);
	render_emit_approx(NULL, &a, 0, 0, RENDER_COLORS_256, true, 4, &approx);
	ck_assert_uint_eq(approx.len, exact.len);
	ck_assert_int_eq(memcmp(approx.data, exact.data, exact.len), 0);
	render_out_free(&exact);
	render_out_free(&approx);
	render_grid_free(&a);
	render_grid_free(&b);
}
END_TEST

START_TEST(test_emit_nothing_when_nothing_changed)
{
	struct render_grid a = grid_of(10, 4), b = grid_of(10, 4);
	struct render_out out = {0};

	for (int i = 0; i < 40; i++)
		a.cells[i] = b.cells[i] = (struct render_cell){0x102030 * (i % 5), 0x0a0b0c * i};
	ck_assert_int_eq(render_emit(&a, &b, 0, 0, RENDER_COLORS_TRUE, true, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	render_out_free(&out);
	render_grid_free(&a);
	render_grid_free(&b);
}
END_TEST

static const char *emit_str(const struct render_grid *a, const struct render_grid *b, int top,
			    int left, enum render_colors mode, bool utf8)
{
	static char s[256];
	struct render_out out = {0};
	long n = render_emit(a, b, top, left, mode, utf8, &out);

	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (long)sizeof(s));
	memcpy(s, out.data, n);
	s[n] = 0;
	render_out_free(&out);
	return s;
}

START_TEST(test_emit_one_changed_cell_is_a_few_bytes)
{
	struct render_grid a = grid_of(4, 2), b = grid_of(4, 2);

	for (int i = 0; i < 8; i++)
		a.cells[i] = b.cells[i] = (struct render_cell){0, 0};
	/* Two colours: move, one SGR for both, a half block, reset. */
	b.cells[6] = (struct render_cell){0xff0000, 0x0000ff};
	ck_assert_str_eq(emit_str(&a, &b, 0, 0, RENDER_COLORS_TRUE, true),
			 "\033[2;3H\033[38;2;255;0;0;48;2;0;0;255m\xe2\x96\x80\033[m");
	/* One colour: the background and a space, no glyph. */
	b.cells[6] = (struct render_cell){0x00ff00, 0x00ff00};
	ck_assert_str_eq(emit_str(&a, &b, 0, 0, RENDER_COLORS_TRUE, true),
			 "\033[2;3H\033[48;2;0;255;0m \033[m");
	ck_assert_str_eq(emit_str(&a, &b, 5, 10, RENDER_COLORS_TRUE, true),
			 "\033[7;13H\033[48;2;0;255;0m \033[m");
	/* 256 colours: 38;5;N. 16 colours: 3x/4x and 9x/10x. */
	b.cells[6] = (struct render_cell){196, 21};
	ck_assert_str_eq(emit_str(&a, &b, 0, 0, RENDER_COLORS_256, true),
			 "\033[2;3H\033[38;5;196;48;5;21m\xe2\x96\x80\033[m");
	b.cells[6] = (struct render_cell){9, 4};
	ck_assert_str_eq(emit_str(&a, &b, 0, 0, RENDER_COLORS_16, true),
			 "\033[2;3H\033[91;44m\xe2\x96\x80\033[m");
	/* Red over bright blue: "94;41" + the lower half block is a byte
	 * shorter than "31;104" + the upper one. */
	b.cells[6] = (struct render_cell){1, 12};
	ck_assert_str_eq(emit_str(&a, &b, 0, 0, RENDER_COLORS_16, true),
			 "\033[2;3H\033[94;41m\xe2\x96\x84\033[m");
	render_grid_free(&a);
	render_grid_free(&b);
}
END_TEST

START_TEST(test_emit_reuses_colours_between_cells)
{
	struct render_grid g = grid_of(3, 1);

	/* red over blue, blue over red, all blue: one colour change; the
	 * second cell is the lower half block in the same colours, the
	 * third a space on the blue background. */
	g.cells[0] = (struct render_cell){0xff0000, 0x0000ff};
	g.cells[1] = (struct render_cell){0x0000ff, 0xff0000};
	g.cells[2] = (struct render_cell){0x0000ff, 0x0000ff};
	ck_assert_str_eq(emit_str(NULL, &g, 0, 0, RENDER_COLORS_TRUE, true),
			 "\033[H\033[38;2;255;0;0;48;2;0;0;255m\xe2\x96\x80\xe2\x96\x84 \033[m");
	render_grid_free(&g);
}
END_TEST

START_TEST(test_emit_skips_unchanged_runs_with_a_move)
{
	struct render_grid a = grid_of(40, 2), b = grid_of(40, 2);

	for (int i = 0; i < 80; i++)
		a.cells[i] = b.cells[i] = (struct render_cell){0, 0};
	/* Far apart: a relative move over the gap. */
	b.cells[1] = b.cells[30] = (struct render_cell){0xffffff, 0xffffff};
	ck_assert_str_eq(emit_str(&a, &b, 0, 0, RENDER_COLORS_TRUE, true),
			 "\033[1;2H\033[48;2;255;255;255m \033[28C \033[m");
	/* One unchanged black cell between: a move (3 bytes) beats
	 * redrawing it (a colour change there and back). */
	b.cells[30] = a.cells[30];
	b.cells[3] = (struct render_cell){0xffffff, 0xffffff};
	ck_assert_str_eq(emit_str(&a, &b, 0, 0, RENDER_COLORS_TRUE, true),
			 "\033[1;2H\033[48;2;255;255;255m \033[C \033[m");
	/* An unchanged white one between: a space in the current colour
	 * (1 byte) beats the move. */
	a.cells[2] = b.cells[2] = (struct render_cell){0xffffff, 0xffffff};
	ck_assert_str_eq(emit_str(&a, &b, 0, 0, RENDER_COLORS_TRUE, true),
			 "\033[1;2H\033[48;2;255;255;255m   \033[m");
	render_grid_free(&a);
	render_grid_free(&b);
}
END_TEST

START_TEST(test_emit_after_the_last_column_moves_absolutely)
{
	struct render_grid a = grid_of(30, 2), b = grid_of(30, 2);
	struct render_out out = {0};
	struct term t;

	/* After drawing the last column the cursor is past the grid, or
	 * waiting to wrap when the grid ends at the terminal's edge: a
	 * relative move from there would land a column off. */
	for (int i = 0; i < 60; i++)
		a.cells[i] = b.cells[i] = (struct render_cell){0, 0};
	b.cells[29] = b.cells[59] = (struct render_cell){0xffffff, 0xffffff};
	ck_assert_int_gt(render_emit(&a, &b, 0, 0, RENDER_COLORS_TRUE, true, &out), 0);
	term_init(&t, 30, 2, true);
	for (int i = 0; i < 60; i++)
		t.top[i] = t.bot[i] = 0;
	term_feed(&t, out.data, out.len, RENDER_COLORS_TRUE);
	term_check(&t, &b, 0, 0, RENDER_COLORS_TRUE);
	ck_assert_uint_ge(out.len, 11);
	ck_assert_int_eq(memcmp(out.data + out.len - 11, "\033[2;30H \033[m", 11), 0);
	term_free(&t);
	render_out_free(&out);
	render_grid_free(&a);
	render_grid_free(&b);
}
END_TEST

START_TEST(test_emit_size_change_redraws_everything)
{
	struct render_grid a = grid_of(6, 3), b = grid_of(5, 3);
	struct render_out out = {0};
	struct term t;

	for (int i = 0; i < 18; i++)
		a.cells[i] = (struct render_cell){0x111111, 0x111111};
	for (int i = 0; i < 15; i++)
		b.cells[i] = (struct render_cell){0x111111, 0x111111};
	/* Same colours as before, but a new size: all cells drawn. */
	ck_assert_int_gt(render_emit(&a, &b, 0, 0, RENDER_COLORS_TRUE, true, &out), 0);
	term_init(&t, 5, 3, true);
	term_feed(&t, out.data, out.len, RENDER_COLORS_TRUE);
	term_check(&t, &b, 0, 0, RENDER_COLORS_TRUE);
	term_free(&t);
	render_out_free(&out);
	render_grid_free(&a);
	render_grid_free(&b);
}
END_TEST

START_TEST(test_emit_ascii_mode_has_no_utf8)
{
	struct render_grid g = grid_of(8, 3);
	struct render_out out = {0};

	for (int i = 0; i < 24; i++)
		g.cells[i] = (struct render_cell){0x204060 * (i % 3), 0xffffff};
	ck_assert_int_gt(render_emit(NULL, &g, 0, 0, RENDER_COLORS_TRUE, false, &out), 0);
	for (size_t i = 0; i < out.len; i++)
		ck_assert_int_lt((uint8_t)out.data[i], 0x80);
	render_out_free(&out);
	render_grid_free(&g);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("image");
	TCase *te = tcase_create("emit");

	tcase_add_test(tc, test_palette_entries_map_to_themselves);
	tcase_add_test(tc, test_palette_picks_the_nearest);
	tcase_add_loop_test(tc, test_one_pixel_per_sample_in_each_mode, RENDER_COLORS_TRUE,
			    RENDER_COLORS_16 + 1);
	tcase_add_test(tc, test_downscale_averages_fine_detail);
	tcase_add_test(tc, test_fit_keeps_aspect_and_letterboxes_in_black);
	tcase_add_test(tc, test_zoom_and_pan_stay_inside_the_image);
	tcase_add_test(tc, test_cell_to_pixel_is_what_the_cell_shows);
	tcase_add_test(tc, test_odd_views_and_images_stay_in_bounds);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(te, test_emit_replays_to_the_grid, 0, 6);
	tcase_add_test(te, test_emit_approx_stays_close_for_fewer_bytes);
	tcase_add_test(te, test_emit_nothing_when_nothing_changed);
	tcase_add_test(te, test_emit_one_changed_cell_is_a_few_bytes);
	tcase_add_test(te, test_emit_reuses_colours_between_cells);
	tcase_add_test(te, test_emit_skips_unchanged_runs_with_a_move);
	tcase_add_test(te, test_emit_after_the_last_column_moves_absolutely);
	tcase_add_test(te, test_emit_size_change_redraws_everything);
	tcase_add_test(te, test_emit_ascii_mode_has_no_utf8);
	suite_add_tcase(s, te);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(render_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
