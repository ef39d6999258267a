/* render-bench (`make bench`): what drawing a guest screen in the terminal
 * costs. A synthetic 1024x768 desktop (gradient wallpaper, windows with
 * text-like detail, a terminal, a taskbar) in 160x48 cells: render and
 * emit time per frame, frames per second, bytes for a full frame, for an
 * unchanged frame and for one changed line of text, exact and (true~4)
 * with render_emit_approx's tolerance 4; beside them libchafa's bytes
 * and time for the same picture when it is available. Then the same
 * desktop as kitty graphics and sixel (render-gfx.c) in a 1280x768-pixel
 * cell area: scale and encode time and bytes for a full frame, and the
 * bytes render_gfx_frame sends for the one-line edit (only the cell rows
 * that changed).
 *
 * usage: render-bench [--cols N] [--rows N] [--frames N] [--ppm PREFIX]
 * --ppm writes PREFIX-source.ppm and PREFIX-cells.ppm (each cell as 8x16
 * pixels, top half its fg, bottom half its bg) to look at the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_CHAFA
#include <chafa.h>
#endif

#include "render-gfx.h"
#include "render.h"

#define IMG_W 1024
#define IMG_H 768

struct desktop {
	uint8_t *px;
	size_t stride;
};

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

static void put(struct desktop *d, int x, int y, uint32_t rgb)
{
	uint8_t *p;

	if (x < 0 || y < 0 || x >= IMG_W || y >= IMG_H)
		return;
	p = d->px + (size_t)y * d->stride + 4 * (size_t)x;
	p[0] = rgb >> 16;
	p[1] = rgb >> 8;
	p[2] = rgb;
	p[3] = 0xff; /* opaque for chafa's RGBA; the renderer ignores it */
}

static void rect(struct desktop *d, int x0, int y0, int w, int h, uint32_t rgb)
{
	for (int y = y0; y < y0 + h; y++)
		for (int x = x0; x < x0 + w; x++)
			put(d, x, y, rgb);
}

/* A line of "text": 8x16 glyph boxes, each a 6x10 pseudo-random bitmap
 * with vertical strokes, like a proportional-ish UI font at 1:1. seed
 * picks the characters, so a changed line is another seed. */
static void text_line(struct desktop *d, int x0, int y0, int nchars, uint32_t ink, uint32_t seed)
{
	for (int i = 0; i < nchars; i++) {
		uint32_t g = hash32(seed * 131 + i);

		if (g % 7 == 0)
			continue; /* a space between words */
		for (int y = 0; y < 10; y++)
			for (int x = 0; x < 6; x++) {
				uint32_t bit = hash32(g + y * 7 + (x >> 1));

				if (x == 0 || x == 5 ? (g >> y & 1)
						     : (bit & 3) == 0 || y == 9 * (int)(g & 1))
					put(d, x0 + 8 * i + 1 + x, y0 + 3 + y, ink);
			}
	}
}

static void window(struct desktop *d, int x0, int y0, int w, int h, uint32_t body, uint32_t ink,
		   uint32_t seed)
{
	/* Title bar: a horizontal gradient, title text in white. */
	for (int x = 0; x < w; x++) {
		int t = 255 * x / w;
		uint32_t c =
		    (uint32_t)(40 + t / 4) << 16 | (uint32_t)(70 + t / 3) << 8 | (150 + t / 3);

		for (int y = 0; y < 24; y++)
			put(d, x0 + x, y0 + y, c);
	}
	text_line(d, x0 + 8, y0 + 4, 20, 0xffffff, seed);
	rect(d, x0, y0 + 24, w, h - 24, body);
	/* A one-pixel frame. */
	rect(d, x0, y0, w, 1, 0x202020);
	rect(d, x0, y0 + h - 1, w, 1, 0x202020);
	rect(d, x0, y0, 1, h, 0x202020);
	rect(d, x0 + w - 1, y0, 1, h, 0x202020);
	for (int l = 0; (l + 2) * 16 + 24 < h; l++)
		text_line(d, x0 + 8, y0 + 32 + 16 * l, (w - 16) / 8 - (int)(hash32(seed + l) % 20),
			  ink, seed * 1000 + l);
}

/* The text window's line that the "one line changed" frame rewrites. */
#define EDIT_X	  60
#define EDIT_Y	  (80 + 32 + 16 * 5)
#define EDIT_W	  560
#define EDIT_BODY 0xffffff

static void desktop_draw(struct desktop *d)
{
	/* Wallpaper: a diagonal two-colour gradient. */
	for (int y = 0; y < IMG_H; y++)
		for (int x = 0; x < IMG_W; x++) {
			int t = (x + 2 * y) * 255 / (IMG_W + 2 * IMG_H);

			put(d, x, y,
			    (uint32_t)(20 + t / 3) << 16 | (uint32_t)(60 + t / 4) << 8 |
				(110 + t / 2));
		}
	/* Desktop icons. */
	for (int i = 0; i < 5; i++) {
		rect(d, 24, 40 + 90 * i, 48, 48, hash32(i) & 0xffffff);
		text_line(d, 16, 92 + 90 * i, 8, 0xffffff, 500 + i);
	}
	window(d, 52, 80, 576, 420, EDIT_BODY, 0x101010, 1);  /* an editor */
	window(d, 560, 300, 440, 360, 0x1e1e1e, 0x9fd89f, 2); /* a terminal */
	/* Taskbar with buttons and a clock. */
	rect(d, 0, IMG_H - 32, IMG_W, 32, 0x303436);
	for (int i = 0; i < 4; i++) {
		rect(d, 48 + 160 * i, IMG_H - 28, 150, 24, i == 1 ? 0x50585c : 0x3c4244);
		text_line(d, 56 + 160 * i, IMG_H - 28, 12, 0xe0e0e0, 700 + i);
	}
	text_line(d, IMG_W - 60, IMG_H - 28, 5, 0xe0e0e0, 800);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct result {
	double render_ms, emit_ms;
	long full, unchanged, line;
};

/* Write an image as a binary PPM. */
static void ppm_write(const char *path, int w, int h, uint32_t (*pixel)(int, int, const void *),
		      const void *arg)
{
	FILE *f = fopen(path, "wb");

	if (!f) {
		perror(path);
		return;
	}
	fprintf(f, "P6\n%d %d\n255\n", w, h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint32_t c = pixel(x, y, arg);

			fputc(c >> 16 & 0xff, f);
			fputc(c >> 8 & 0xff, f);
			fputc(c & 0xff, f);
		}
	fclose(f);
}

static uint32_t source_pixel(int x, int y, const void *arg)
{
	const struct render_image *img = arg;
	const uint8_t *p = img->pixels + (size_t)y * img->stride + 4 * (size_t)x;

	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t cell_pixel(int x, int y, const void *arg)
{
	const struct render_grid *g = arg;
	const struct render_cell *c = &g->cells[(y / 16) * g->cols + x / 8];

	return y % 16 < 8 ? c->fg : c->bg;
}

static void dump_ppm(const char *prefix, const struct render_image *img, int cols, int rows)
{
	struct render_view v = {cols, rows, 1.0, 0, 0};
	struct render_grid g = {0};
	char path[512];

	if (render_grid_resize(&g, cols, rows))
		return;
	render_image(img, &v, RENDER_COLORS_TRUE, &g);
	snprintf(path, sizeof(path), "%s-source.ppm", prefix);
	ppm_write(path, img->width, img->height, source_pixel, img);
	snprintf(path, sizeof(path), "%s-cells.ppm", prefix);
	ppm_write(path, 8 * cols, 16 * rows, cell_pixel, &g);
	render_grid_free(&g);
}

static int bench_mode(const struct render_image *img, const struct render_image *edited, int cols,
		      int rows, int frames, enum render_colors mode, int tol, struct result *r)
{
	struct render_view v = {cols, rows, 1.0, 0, 0};
	struct render_grid a = {0}, b = {0};
	struct render_out out = {0};
	double t0;

	if (render_grid_resize(&a, cols, rows) || render_grid_resize(&b, cols, rows))
		return -1;
	t0 = now_ms();
	for (int i = 0; i < frames; i++)
		render_image(img, &v, mode, &a);
	r->render_ms = (now_ms() - t0) / frames;
	t0 = now_ms();
	for (int i = 0; i < frames; i++) {
		out.len = 0;
		r->full = render_emit_approx(NULL, &a, 0, 0, mode, true, tol, &out);
	}
	r->emit_ms = (now_ms() - t0) / frames;
	render_image(img, &v, mode, &b);
	out.len = 0;
	r->unchanged = render_emit_approx(&a, &b, 0, 0, mode, true, tol, &out);
	render_image(edited, &v, mode, &b);
	out.len = 0;
	r->line = render_emit_approx(&a, &b, 0, 0, mode, true, tol, &out);
	render_out_free(&out);
	render_grid_free(&a);
	render_grid_free(&b);
	return r->full < 0 || r->line < 0 ? -1 : 0;
}

#ifdef HAVE_CHAFA
/* libchafa drawing the same picture: half blocks (plus space and solid
 * block, as we use) or its default symbols, all its optimisations. */
static long chafa_bytes(const struct render_image *img, int cols, int rows, int frames,
			ChafaCanvasMode mode, bool half, double *ms)
{
	ChafaCanvasConfig *cfg = chafa_canvas_config_new();
	ChafaSymbolMap *map = chafa_symbol_map_new();
	ChafaCanvas *canvas;
	long bytes = 0;
	double t0;

	chafa_canvas_config_set_geometry(cfg, cols, rows);
	chafa_canvas_config_set_canvas_mode(cfg, mode);
	chafa_canvas_config_set_optimizations(cfg, CHAFA_OPTIMIZATION_ALL);
	if (half) {
		chafa_symbol_map_add_by_tags(map, CHAFA_SYMBOL_TAG_HHALF | CHAFA_SYMBOL_TAG_SPACE |
						      CHAFA_SYMBOL_TAG_SOLID);
		chafa_canvas_config_set_symbol_map(cfg, map);
	}
	canvas = chafa_canvas_new(cfg);
	t0 = now_ms();
	for (int i = 0; i < frames; i++) {
		GString *s;

		chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED, img->pixels,
					     img->width, img->height, (gint)img->stride);
		s = chafa_canvas_print(canvas, NULL);
		bytes = (long)s->len;
		g_string_free(s, TRUE);
	}
	*ms = (now_ms() - t0) / frames;
	chafa_canvas_unref(canvas);
	chafa_symbol_map_unref(map);
	chafa_canvas_config_unref(cfg);
	return bytes;
}
#endif

/* Graphics frames: 128x48 cells of 10x16 pixels = 1280x768. */
#define GFX_COLS   128
#define GFX_ROWS   48
#define GFX_CELL_W 10
#define GFX_CELL_H 16

/* One graphics mode: scale and encode times, bytes for the picture and
 * for the one-line edit after it. -1 when out of memory. */
static int bench_gfx_mode(const struct render_image *img, const struct render_image *edited,
			  int frames, const char *name, enum render_gfx_mode mode)
{
	struct render_view v = {GFX_COLS, GFX_ROWS, 1.0, IMG_W / 2.0, IMG_H / 2.0};
	struct render_gfx g = {0}, g2 = {0};
	struct render_out out = {0};
	double t0, scale_ms, enc_ms;
	long full = 0, line = -1;
	int w, h, r = -1;

	render_gfx_size(mode, IMG_W, IMG_H, &v, GFX_CELL_W, GFX_CELL_H, &w, &h);
	t0 = now_ms();
	for (int i = 0; i < frames; i++)
		if (render_gfx_scale(&g, img, &v, w, h) < 0)
			goto out;
	scale_ms = (now_ms() - t0) / frames;
	t0 = now_ms();
	for (int i = 0; i < frames; i++) {
		out.len = 0;
		full = mode == RENDER_GFX_KITTY ? render_gfx_kitty(g.px, w, h, RENDER_GFX_KITTY_ID,
								   0, 0, GFX_COLS, GFX_ROWS, &out)
						: render_gfx_sixel(&g, g.px, w, h, 0, 0, &out);
		if (full < 0)
			goto out;
	}
	enc_ms = (now_ms() - t0) / frames;
	/* What the viewer sends: the picture, then the edit. */
	out.len = 0;
	if (render_gfx_frame(&g2, mode, img, &v, GFX_CELL_W, GFX_CELL_H, 0, 0, true, &out) < 0)
		goto out;
	out.len = 0;
	line = render_gfx_frame(&g2, mode, edited, &v, GFX_CELL_W, GFX_CELL_H, 0, 0, false, &out);
	if (line < 0)
		goto out;
	/* Words in the second column: render-bench.sh checks the cell
	 * modes' goals on rows with a number there. */
	printf("%-6s scale %6.2f ms  encode %6.2f ms  %4.0f frames/s  full %8ld bytes  "
	       "1 line %6ld bytes\n",
	       name, scale_ms, enc_ms, 1000.0 / (scale_ms + enc_ms), full, line);
	r = 0;
out:
	render_out_free(&out);
	render_gfx_free(&g);
	render_gfx_free(&g2);
	return r;
}

static void bench_gfx(const struct render_image *img, const struct render_image *edited, int frames)
{
	printf("\ngraphics: %dx%d desktop in %dx%d cells of %dx%d pixels (%dx%d), %d frames, "
	       "kitty %s\n",
	       IMG_W, IMG_H, GFX_COLS, GFX_ROWS, GFX_CELL_W, GFX_CELL_H, GFX_COLS * GFX_CELL_W,
	       GFX_ROWS * GFX_CELL_H, frames,
#ifdef HAVE_ZLIB
	       "zlib-compressed"
#else
	       "uncompressed (built without zlib)"
#endif
	);
	if (bench_gfx_mode(img, edited, frames, "kitty", RENDER_GFX_KITTY) < 0 ||
	    bench_gfx_mode(img, edited, frames, "sixel", RENDER_GFX_SIXEL) < 0) {
		fprintf(stderr, "render-bench: out of memory\n");
		return;
	}
#ifdef HAVE_CHAFA
	{
		/* libchafa's sixel encoder on the same picture and area. */
		ChafaCanvasConfig *cfg = chafa_canvas_config_new();
		ChafaCanvas *canvas;
		long bytes = 0;
		double t0, ms;
		int n = frames / 4 + 1;

		chafa_canvas_config_set_geometry(cfg, GFX_COLS, GFX_ROWS);
		chafa_canvas_config_set_cell_geometry(cfg, GFX_CELL_W, GFX_CELL_H);
		chafa_canvas_config_set_pixel_mode(cfg, CHAFA_PIXEL_MODE_SIXELS);
		chafa_canvas_config_set_canvas_mode(cfg, CHAFA_CANVAS_MODE_INDEXED_256);
		canvas = chafa_canvas_new(cfg);
		t0 = now_ms();
		for (int i = 0; i < n; i++) {
			GString *str;

			chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED,
						     img->pixels, img->width, img->height,
						     (gint)img->stride);
			str = chafa_canvas_print(canvas, NULL);
			bytes = (long)str->len;
			g_string_free(str, TRUE);
		}
		ms = (now_ms() - t0) / n;
		printf("chafa sixel (the picture stretched to the area) %.2f ms/frame, full %ld "
		       "bytes\n",
		       ms, bytes);
		chafa_canvas_unref(canvas);
		chafa_canvas_config_unref(cfg);
	}
#endif
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum render_colors mode;
		int tol; /* render_emit_approx's tolerance */
#ifdef HAVE_CHAFA
		ChafaCanvasMode chafa;
#endif
	} modes[] = {
#ifdef HAVE_CHAFA
	    {"truecolor", RENDER_COLORS_TRUE, 0, CHAFA_CANVAS_MODE_TRUECOLOR},
	    {"true~4", RENDER_COLORS_TRUE, 4, CHAFA_CANVAS_MODE_TRUECOLOR},
	    {"256", RENDER_COLORS_256, 0, CHAFA_CANVAS_MODE_INDEXED_256},
#else
	    {"truecolor", RENDER_COLORS_TRUE, 0},
	    {"true~4", RENDER_COLORS_TRUE, 4},
	    {"256", RENDER_COLORS_256, 0},
#endif
	};
	int cols = 160, rows = 48, frames = 60;
	const char *ppm = NULL;
	struct desktop d, e;
	struct render_image img, edited;
	int pic_cols;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--cols"))
			cols = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rows"))
			rows = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--frames"))
			frames = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--ppm"))
			ppm = argv[i + 1];
	}
	if (cols < 1 || rows < 1 || frames < 1 || cols > 2000 || rows > 1000) {
		fprintf(stderr,
			"usage: render-bench [--cols N] [--rows N] [--frames N] [--ppm PREFIX]\n");
		return 2;
	}
	d.stride = e.stride = 4 * IMG_W;
	d.px = calloc(IMG_H, d.stride);
	e.px = calloc(IMG_H, e.stride);
	if (!d.px || !e.px)
		return 1;
	desktop_draw(&d);
	memcpy(e.px, d.px, (size_t)IMG_H * d.stride);
	rect(&e, EDIT_X, EDIT_Y, EDIT_W, 16, EDIT_BODY);
	text_line(&e, EDIT_X, EDIT_Y, EDIT_W / 8, 0x101010, 4242);
	img = (struct render_image){d.px, IMG_W, IMG_H, d.stride};
	edited = (struct render_image){e.px, IMG_W, IMG_H, e.stride};
	if (ppm)
		dump_ppm(ppm, &img, cols, rows);
	/* The columns the picture covers at this size (the rest is letterbox):
	 * chafa draws the same picture in that many. */
	pic_cols = (int)((double)IMG_W * 2 * rows / IMG_H + 0.5);
	if (pic_cols > cols)
		pic_cols = cols;

	printf("render-bench: %dx%d desktop in %dx%d cells (picture %dx%d), %d frames\n", IMG_W,
	       IMG_H, cols, rows, pic_cols, rows, frames);
	printf("%-10s %9s %9s %8s %11s %10s %10s\n", "mode", "render ms", "emit ms", "frames/s",
	       "full bytes", "unchanged", "1 line");
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct result r;

		if (bench_mode(&img, &edited, cols, rows, frames, modes[m].mode, modes[m].tol,
			       &r)) {
			fprintf(stderr, "render-bench: out of memory\n");
			return 1;
		}
		printf("%-10s %9.2f %9.2f %8.0f %11ld %10ld %10ld\n", modes[m].name, r.render_ms,
		       r.emit_ms, 1000.0 / (r.render_ms + r.emit_ms), r.full, r.unchanged, r.line);
#ifdef HAVE_CHAFA
		for (int half = 1; half >= 0; half--) {
			double ms;
			long cb = chafa_bytes(&img, pic_cols, rows, frames / 4 + 1, modes[m].chafa,
					      half, &ms);

			printf("  chafa %-8s %7.2f ms/frame %8ld bytes   ours/chafa: bytes %.2f, "
			       "time %.2f\n",
			       half ? "half" : "default", ms, cb, (double)r.full / cb,
			       (r.render_ms + r.emit_ms) / ms);
		}
#endif
	}
#ifndef HAVE_CHAFA
	printf("(built without libchafa: no comparison)\n");
#endif
	bench_gfx(&img, &edited, frames / 4 + 1);
	free(d.px);
	free(e.px);
	return 0;
}
