/* The picture the fb test guest paints and vnc-check expects, pixel for
 * pixel: one definition for both sides, so neither can drift. Freestanding
 * (the guest includes it too): integer arithmetic on stdint types only. */
#ifndef VIRTTY_TESTS_FB_PATTERN_H
#define VIRTTY_TESTS_FB_PATTERN_H

#include <stdint.h>

/* Eight vertical bars, left to right, as 0xRRGGBB. Values with every
 * channel different catch swapped channels and byte orders; black and
 * white catch a lost or inverted channel. */
#define FB_PATTERN_BARS 8
static const uint32_t fb_pattern_bar_rgb[FB_PATTERN_BARS] = {
    0x000000, 0xffffff, 0xff0000, 0x00ff00, 0x0000ff, 0x123456, 0x89abcd, 0xfedcba,
};

/* A 1-pixel black/white checker in the bottom-right corner: off-by-one
 * rows or columns, scaling or a wrong stride all break it. */
#define FB_PATTERN_CHECKER 16

/* The box the guest paints on command 'b' (37x23 at 101,67). */
#define FB_BOX_X   101
#define FB_BOX_Y   67
#define FB_BOX_W   37
#define FB_BOX_H   23
#define FB_BOX_RGB 0x3c9d5e

/* Smallest screen the pattern (and the box) fits on. */
#define FB_PATTERN_MIN_W 160
#define FB_PATTERN_MIN_H 100

/* First column of bar i: the smallest x with x * 8 / w >= i. */
static inline unsigned fb_pattern_bar_x0(unsigned i, unsigned w)
{
	return (i * w + FB_PATTERN_BARS - 1) / FB_PATTERN_BARS;
}

static inline int fb_pattern_in_box(unsigned x, unsigned y)
{
	return x >= FB_BOX_X && x < FB_BOX_X + FB_BOX_W && y >= FB_BOX_Y && y < FB_BOX_Y + FB_BOX_H;
}

/* The colour of pixel (x, y) on a w x h screen, with or without the box. */
static inline uint32_t fb_pattern_rgb(unsigned x, unsigned y, unsigned w, unsigned h, int box)
{
	if (box && fb_pattern_in_box(x, y))
		return FB_BOX_RGB;
	if (x >= w - FB_PATTERN_CHECKER && y >= h - FB_PATTERN_CHECKER)
		return (x + y) & 1 ? 0xffffff : 0x000000;
	return fb_pattern_bar_rgb[x * FB_PATTERN_BARS / w];
}

#endif
