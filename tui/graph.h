/* The rolling graph widget: draws a history ring into a rectangle of a
 * curses window, coloured by value with the theme's graph roles. */
#ifndef VIRTTY_TUI_GRAPH_H
#define VIRTTY_TUI_GRAPH_H

#include <curses.h>

#include "history.h"
#include "theme.h"

enum graph_style {
	GRAPH_BRAILLE, /* U+2800 block, 2 samples x 4 dot rows per cell (UTF-8 only) */
	GRAPH_BLOCK,   /* eighth blocks, one sample per cell (UTF-8 only) */
	GRAPH_ASCII,   /* ".:|#": non-UTF-8 locales */
};

/* graph.c */
/* The style to use by default: braille in a UTF-8 locale, ASCII otherwise.
 * Call after setlocale(). */
enum graph_style graph_default_style(void);
/* Draw the newest samples of hist right-aligned into the h x w cells at
 * (y, x) of win; max is the value drawn as a full column (<= 0: scale to
 * the largest sample shown). Cells without samples are blank. */
void graph_draw(WINDOW *win, int y, int x, int h, int w, const struct history *hist, float max,
		enum graph_style style);

/* One character cell of a rendered graph. */
struct graph_cell {
	char ch[8];	      /* UTF-8 text of the cell, " " when blank */
	enum theme_role role; /* THEME_GRAPH_LOW/MID/HIGH; THEME_NORMAL when blank */
};
/* The pure part of graph_draw, for tests: samples[0..n-1] (oldest first)
 * into h x w cells (row-major, row 0 at the top), newest at the right. A
 * cell's role follows the value its top edge stands for: the bottom third
 * of the scale is low, the top third high. */
void graph_render_cells(const float *samples, int n, int h, int w, float max,
			enum graph_style style, struct graph_cell *cells);

#endif
