/* Framebuffer pixels to terminal cells, and cells to the bytes that draw
 * them. Pure code: no terminal, no sockets; unit-tested and benchmarked.
 *
 * A cell shows two square "samples" stacked vertically with the upper
 * half block U+2580: the foreground colour is the top sample, the
 * background the bottom one (terminal cells are about twice as tall as
 * wide). The image is scaled to fit the cell area keeping its aspect
 * ratio (letterboxed in black), or magnified around a centre point. */
#ifndef VIRTTY_CONSOLE_RENDER_H
#define VIRTTY_CONSOLE_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum render_colors {
	RENDER_COLORS_TRUE, /* 24-bit SGR 38;2 / 48;2 */
	RENDER_COLORS_256,  /* xterm 256-colour palette: 6x6x6 cube + grey ramp */
	RENDER_COLORS_16,   /* the 16 ANSI colours (SGR 30-37, 90-97, 40-47, 100-107) */
};

/* An image as libvncclient keeps it at 32 bpp on little-endian: bytes R,
 * G, B, pad per pixel; pad is ignored. */
struct render_image {
	const uint8_t *pixels;
	int width, height; /* pixels */
	size_t stride;	   /* bytes per row, >= 4 * width */
};

/* Which part of the image fills a cols x rows cell area. zoom 1.0 shows
 * the whole image (fit); zoom > 1 magnifies around (cx, cy), a point in
 * image pixels, clamped so the view stays inside the image. */
struct render_view {
	int cols, rows;
	double zoom;
	double cx, cy;
};

/* One cell: fg is the top sample, bg the bottom one. In truecolor mode
 * colours are 0xRRGGBB; in 256/16-colour modes palette indices. */
struct render_cell {
	uint32_t fg, bg;
};

struct render_grid {
	int cols, rows;
	struct render_cell *cells; /* rows * cols, row-major */
};

/* (Re)allocate for cols x rows; contents undefined. 0 or -ENOMEM. */
int render_grid_resize(struct render_grid *g, int cols, int rows);
void render_grid_free(struct render_grid *g);

/* Fill out (already sized to v->cols x v->rows) from img. Downscaling
 * averages every source pixel a sample covers (text stays legible);
 * upscaling repeats pixels. Letterbox cells are black. */
void render_image(const struct render_image *img, const struct render_view *v,
		  enum render_colors colors, struct render_grid *out);

/* The image pixel under cell (col, row) (for the mouse), clamped into the
 * image; false when the cell is in the letterbox. */
bool render_cell_to_pixel(int img_w, int img_h, const struct render_view *v, int col, int row,
			  int *x, int *y);

/* Nearest palette entries (exposed for tests). */
uint8_t render_rgb_to_256(uint32_t rgb);
uint8_t render_rgb_to_16(uint32_t rgb);

/* A growable byte buffer for output. */
struct render_out {
	char *data;
	size_t len, cap;
};
void render_out_free(struct render_out *o);
/* Room for `more` bytes, or append n bytes: 0 or -ENOMEM. */
int render_out_reserve(struct render_out *o, size_t more);
int render_out_append(struct render_out *o, const void *p, size_t n);

/* The view's geometry, shared by every way of drawing it (cells, sixel,
 * kitty), so the mouse lands where the picture shows: samples per image
 * pixel (the cell area is cols x 2*rows square samples), and the pixels
 * [*a, *b) that sample i of n covers along an axis of len pixels (false
 * in the letterbox, with *a and *b the nearest edge pixel). */
double render_view_scale(int img_w, int img_h, const struct render_view *v);
bool render_view_axis(int n, int len, double scale, double centre, int i, int *a, int *b);

/* Append to out the escape sequences that draw the cells of cur that
 * differ from prev (prev NULL, or of another size: every cell) with the
 * grid's top-left corner at screen position (top, left), 0-based. Moves
 * the cursor only where it has to, sets colours only when they change,
 * and ends with attributes reset. utf8 false: ASCII approximation (no
 * half blocks; cells show their averaged colour as background).
 * Returns the bytes appended (0 when nothing changed), or -ENOMEM. */
long render_emit(const struct render_grid *prev, const struct render_grid *cur, int top, int left,
		 enum render_colors colors, bool utf8, struct render_out *out);

/* render_emit, but in truecolor mode a colour within tolerance (per
 * channel, 0..255) of the one the terminal already has is left as it
 * is: gradients and anti-aliased text cost far fewer bytes (about 40%
 * fewer at 4, which the eye does not see). What a cell shows stays
 * within tolerance of the grid, frame after frame; 0 is render_emit. */
long render_emit_approx(const struct render_grid *prev, const struct render_grid *cur, int top,
			int left, enum render_colors colors, bool utf8, int tolerance,
			struct render_out *out);

#endif
