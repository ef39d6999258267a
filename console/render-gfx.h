/* Framebuffer pixels to terminal graphics: the kitty graphics protocol
 * and sixel, for terminals that show real pixels instead of half-block
 * cells. Pure code like render.h (same image and view); unit-tested. */
#ifndef VIRTTY_CONSOLE_RENDER_GFX_H
#define VIRTTY_CONSOLE_RENDER_GFX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "render.h"

enum render_gfx_mode {
	RENDER_GFX_CELLS, /* half blocks (render.h) */
	RENDER_GFX_SIXEL,
	RENDER_GFX_KITTY,
};

/* Assumed pixels per cell when the terminal does not tell. */
#define RENDER_GFX_CELL_W 10
#define RENDER_GFX_CELL_H 20

/* Kitty image ids: cell row r of the picture is image RENDER_GFX_KITTY_ID
 * + r, replaced when that row changes, deleted at the end. */
#define RENDER_GFX_KITTY_ID 0x76740000 /* "vt" */

/* Largest picture we encode, per axis: beyond any screen, and it keeps
 * sizes far from integer overflow. */
#define RENDER_GFX_MAX_DIM 8192

/* State kept from frame to frame: the last picture sent (to send only
 * the cell rows that change) and scratch buffers, so a frame allocates
 * nothing once sizes settle. Zero-initialise; render_gfx_free at the end. */
struct render_gfx {
	uint32_t *px;	/* w * h, 0xRRGGBB: what render_gfx_scale made */
	uint32_t *prev; /* what the terminal shows */
	size_t px_cap;
	int prev_w, prev_h, prev_rows;
	enum render_gfx_mode prev_mode;
	bool prev_valid;
	int kitty_rows; /* kitty images placed: ids RENDER_GFX_KITTY_ID + 0..n-1 */
	/* sixel: colour histogram and palette */
	uint32_t *hist; /* 32768 buckets (5 bits per channel) */
	uint64_t *sums; /* r, g, b sums per bucket */
	uint8_t *lut;	/* bucket -> palette index */
	uint8_t *bits;	/* 256 * w sixel bit columns of one band */
	size_t bits_cap;
	uint16_t *order; /* bucket indices, sorted for median cut */
	uint16_t *order_tmp;
};
void render_gfx_free(struct render_gfx *g);

/* The pixel size of the picture for a view of cols x rows cells, each
 * cell_w x cell_h pixels: sixel needs the exact cell area; for kitty,
 * which the terminal scales to the cells (c=, r=), no more pixels than
 * the visible part of an img_w x img_h image has, so a small guest
 * screen is not blown up before sending. *h is a whole number of pixels
 * per cell row times v->rows; both are at least 1 and at most
 * RENDER_GFX_MAX_DIM (render_gfx_frame refuses views of more rows). */
void render_gfx_size(enum render_gfx_mode mode, int img_w, int img_h, const struct render_view *v,
		     int cell_w, int cell_h, int *w, int *h);

/* Scale the view of img to w x h pixels, letterboxed in black, into
 * g->px (0xRRGGBB, row-major). The geometry is render.h's with a square
 * sample per pixel (for an odd h, that of h + 1 rows, the last one
 * dropped). 0 or -ENOMEM / -EINVAL. */
int render_gfx_scale(struct render_gfx *g, const struct render_image *img,
		     const struct render_view *v, int w, int h);

/* The view in pixel "cells" (two pixel rows each) that render_gfx_scale
 * used: for mapping a mouse position (cell col, row) to the image with
 * render_cell_to_pixel, use pixel column col * w / cols, row
 * (row * h / rows) / 2 of it. */
struct render_view render_gfx_pixel_view(const struct render_view *v, int w, int h);

/* Append the kitty graphics commands that show px (w x h, 0xRRGGBB) over
 * the cols x rows cells at screen position (top, left), 0-based: RGB
 * (f=24; zlib-compressed, o=z, when built with HAVE_ZLIB) in base64
 * chunks of at most 4096 bytes, image id, scaled to the cells, cursor
 * not moved (C=1), replies off (q=2). Sending the same id again replaces
 * the picture. Returns bytes appended or -ENOMEM / -EINVAL. */
long render_gfx_kitty(const uint32_t *px, int w, int h, uint32_t id, int top, int left, int cols,
		      int rows, struct render_out *out);

/* Delete the kitty images of the last frames (none: appends nothing);
 * the next frame is drawn whole. */
long render_gfx_kitty_delete(struct render_gfx *g, struct render_out *out);

/* Append a sixel image of px (w x h, 0xRRGGBB) drawn at screen position
 * (top, left): at most 256 colour registers chosen from the picture (one
 * per colour when it has at most 256 at 5 bits per channel, a median cut
 * otherwise), run-length encoded, zero bits transparent (a partial last
 * band paints nothing below the picture). Uses g's scratch buffers.
 * Returns bytes appended or -ENOMEM / -EINVAL. */
long render_gfx_sixel(struct render_gfx *g, const uint32_t *px, int w, int h, int top, int left,
		      struct render_out *out);

/* Scale and encode a frame in mode (SIXEL or KITTY) for the view v
 * placed at (top, left), cells cell_w x cell_h pixels: only the cell rows
 * whose pixels differ from the last frame's (a one-line change costs a
 * strip, not a picture: see render-bench), all of them when full, or
 * when size or mode changed. Sixel sends each run of changed rows as one
 * image; kitty each row as its own image. Returns bytes appended (0 when
 * nothing changed) or -errno. */
long render_gfx_frame(struct render_gfx *g, enum render_gfx_mode mode,
		      const struct render_image *img, const struct render_view *v, int cell_w,
		      int cell_h, int top, int left, bool full, struct render_out *out);

#endif
