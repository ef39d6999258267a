/* The rolling graph widget: samples become braille dots, eighth blocks or
 * ASCII marks, coloured low/mid/high by the height they reach. The
 * rendering is a pure function; graph_draw only copies cells to curses. */
#include <langinfo.h>
#include <math.h>
#include <string.h>

#include "graph.h"

#define GRAPH_MAX_CELLS 4096 /* 200x20 graphs fit; larger ones are clipped */

enum graph_style graph_default_style(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && strcmp(cs, "UTF-8") == 0 ? GRAPH_BRAILLE : GRAPH_ASCII;
}

/* Vertical resolution of one cell in each style. */
static int graph_units_per_cell(enum graph_style style)
{
	switch (style) {
	case GRAPH_BRAILLE:
		return 4; /* dot rows */
	case GRAPH_BLOCK:
		return 8; /* eighths */
	default:
		return 4; /* . : | # */
	}
}

/* Height of a sample in units of the whole graph (0..total). A value above
 * zero always shows at least one unit, so a quiet but busy VM is visible. */
static int graph_level(float v, float max, int total)
{
	double l;

	if (!(v > 0.0f) || !(max > 0.0f)) /* also catches NaN */
		return 0;
	l = floor((double)v / (double)max * total + 0.5);
	if (l < 1)
		l = 1;
	if (l > total)
		l = total;
	return (int)l;
}

/* Units of a column's level that fall inside row r counted from the bottom. */
static int graph_fill(int level, int r, int upc)
{
	int f = level - r * upc;

	return f < 0 ? 0 : f > upc ? upc : f;
}

static enum theme_role graph_role(int top, int total)
{
	if (3 * top <= total)
		return THEME_GRAPH_LOW;
	if (3 * top <= 2 * total)
		return THEME_GRAPH_MID;
	return THEME_GRAPH_HIGH;
}

/* Encodes a code point of the Basic Multilingual Plane as UTF-8. */
static void graph_utf8(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		out[1] = '\0';
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		out[2] = '\0';
	} else {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		out[3] = '\0';
	}
}

/* Braille dots filled from the bottom: left column dots 7,3,2,1, right
 * column dots 8,6,5,4 (bits of U+2800). */
static unsigned graph_braille_bits(int left, int right)
{
	static const unsigned lbits[4] = {0x40, 0x04, 0x02, 0x01};
	static const unsigned rbits[4] = {0x80, 0x20, 0x10, 0x08};
	unsigned bits = 0;
	int i;

	for (i = 0; i < left; i++)
		bits |= lbits[i];
	for (i = 0; i < right; i++)
		bits |= rbits[i];
	return bits;
}

void graph_render_cells(const float *samples, int n, int h, int w, float max,
			enum graph_style style, struct graph_cell *cells)
{
	static const char ascii_marks[] = " .:|#";
	int upc = graph_units_per_cell(style), total, per_cell, shown, first, c, r, i;

	if (h <= 0 || w <= 0)
		return;
	for (i = 0; i < h * w; i++) {
		strcpy(cells[i].ch, " ");
		cells[i].role = THEME_NORMAL;
	}
	if (n <= 0 || !samples)
		return;

	per_cell = style == GRAPH_BRAILLE ? 2 : 1;
	shown = n < w * per_cell ? n : w * per_cell;
	first = n - shown; /* oldest sample drawn */
	if (!(max > 0.0f)) {
		max = 0.0f;
		for (i = first; i < n; i++)
			if (samples[i] > max)
				max = samples[i];
	}
	total = h * upc;

	/* Cell column c (from the right, 0 = newest) holds samples
	 * n-1-c*per_cell (right dot column) and the one before (left). */
	for (c = 0; c < w; c++) {
		int right_idx = n - 1 - c * per_cell;
		int left_idx = per_cell == 2 ? right_idx - 1 : -1;
		int rl, ll = 0, col = w - 1 - c;

		if (right_idx < first)
			break;
		rl = graph_level(samples[right_idx], max, total);
		if (left_idx >= first)
			ll = graph_level(samples[left_idx], max, total);
		for (r = 0; r < h; r++) {
			struct graph_cell *cell = &cells[(h - 1 - r) * w + col];
			int rf = graph_fill(rl, r, upc), lf = graph_fill(ll, r, upc);
			int top = (rf > lf ? rf : lf);

			if (top == 0)
				continue;
			switch (style) {
			case GRAPH_BRAILLE:
				graph_utf8(0x2800 + graph_braille_bits(lf, rf), cell->ch);
				break;
			case GRAPH_BLOCK:
				graph_utf8(0x2580 + (unsigned)rf, cell->ch); /* U+2581..U+2588 */
				break;
			default:
				cell->ch[0] = ascii_marks[rf];
				cell->ch[1] = '\0';
				break;
			}
			cell->role = graph_role(r * upc + top, total);
		}
	}
}

void graph_draw(WINDOW *win, int y, int x, int h, int w, const struct history *hist, float max,
		enum graph_style style)
{
	struct graph_cell cells[GRAPH_MAX_CELLS];
	float samples[HISTORY_LEN];
	int maxy, maxx, n, i, r, c;

	getmaxyx(win, maxy, maxx);
	if (y < 0 || x < 0 || y >= maxy || x >= maxx)
		return;
	if (h > maxy - y)
		h = maxy - y;
	if (w > maxx - x)
		w = maxx - x;
	if (h <= 0 || w <= 0)
		return;
	if (h * w > GRAPH_MAX_CELLS)
		h = GRAPH_MAX_CELLS / w;
	if (h <= 0)
		return;

	n = hist ? hist->count : 0;
	for (i = 0; i < n; i++)
		samples[i] = history_get(hist, i);
	graph_render_cells(samples, n, h, w, max, style, cells);

	for (r = 0; r < h; r++) {
		int last_role = -1;

		wmove(win, y + r, x);
		for (c = 0; c < w; c++) {
			const struct graph_cell *cell = &cells[r * w + c];

			/* Switch attributes only when the role changes: fewer calls,
			 * same result. */
			if ((int)cell->role != last_role) {
				wattrset(win, theme_attr(cell->role));
				last_role = (int)cell->role;
			}
			waddstr(win, cell->ch);
		}
	}
	wattrset(win, theme_attr(THEME_NORMAL));
}
