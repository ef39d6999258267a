/* The serial console's terminal emulator: libvterm keeps the guest's screen,
 * lines scrolled off its top land in a bounded ring, and vt_draw() maps
 * cells (characters, bold/underline/reverse, 16/256/RGB colours) to curses
 * through the theme's colour mapping for this terminal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <vterm.h>

#include "theme.h"
#include "vt.h"

/* A scrollback cell, smaller than libvterm's (which holds combining marks
 * and every attribute): 5000 lines of a wide window stay a few MiB. */
struct vt_cell {
	uint32_t ch; /* 0: blank */
	VTermColor fg, bg;
	uint8_t attrs; /* VT_ATTR_* */
	uint8_t width; /* 1, 2 (wide), 0 (right half of a wide one) */
};

#define VT_ATTR_BOLD	  0x01
#define VT_ATTR_UNDERLINE 0x02
#define VT_ATTR_REVERSE	  0x04
#define VT_ATTR_ITALIC	  0x08
#define VT_ATTR_BLINK	  0x10

struct vt_line {
	int ncells; /* trailing blanks are not stored */
	struct vt_cell cells[];
};

struct vt {
	VTerm *term;
	VTermScreen *screen;
	int rows, cols;
	/* Scrollback ring: sb[(sb_head + i) % VT_SCROLLBACK_LINES] is the
	 * i-th oldest of sb_count lines. */
	struct vt_line *sb[VT_SCROLLBACK_LINES];
	int sb_head, sb_count;
	bool cursor_visible;
	void (*out_fn)(const char *s, size_t len, void *opaque);
	void *out_opaque;
};

static void vt_cell_from_vterm(const VTermScreenCell *in, struct vt_cell *out)
{
	out->ch = in->chars[0] == (uint32_t)-1 ? 0 : in->chars[0];
	out->fg = in->fg;
	out->bg = in->bg;
	out->attrs = (uint8_t)((in->attrs.bold ? VT_ATTR_BOLD : 0) |
			       (in->attrs.underline ? VT_ATTR_UNDERLINE : 0) |
			       (in->attrs.reverse ? VT_ATTR_REVERSE : 0) |
			       (in->attrs.italic ? VT_ATTR_ITALIC : 0) |
			       (in->attrs.blink ? VT_ATTR_BLINK : 0));
	out->width = (uint8_t)(in->chars[0] == (uint32_t)-1 ? 0 : in->width);
}

static bool vt_cell_blank(const struct vt_cell *c)
{
	return (!c->ch || c->ch == ' ') && !c->attrs && VTERM_COLOR_IS_DEFAULT_BG(&c->bg);
}

static int vt_sb_pushline(int cols, const VTermScreenCell *cells, void *user)
{
	struct vt *vt = user;
	struct vt_line *line;
	int n = cols;

	while (n > 0) {
		struct vt_cell c;

		vt_cell_from_vterm(&cells[n - 1], &c);
		if (!vt_cell_blank(&c))
			break;
		n--;
	}
	line = malloc(sizeof(*line) + sizeof(line->cells[0]) * (size_t)n);
	if (!line)
		return 0; /* the line is lost, the console goes on */
	line->ncells = n;
	for (int i = 0; i < n; i++)
		vt_cell_from_vterm(&cells[i], &line->cells[i]);
	if (vt->sb_count == VT_SCROLLBACK_LINES) {
		/* Full: the oldest line makes room. */
		free(vt->sb[vt->sb_head]);
		vt->sb[vt->sb_head] = line;
		vt->sb_head = (vt->sb_head + 1) % VT_SCROLLBACK_LINES;
	} else {
		vt->sb[(vt->sb_head + vt->sb_count) % VT_SCROLLBACK_LINES] = line;
		vt->sb_count++;
	}
	return 1;
}

/* The screen grew taller: its top takes back the newest scrollback line. */
static int vt_sb_popline(int cols, VTermScreenCell *cells, void *user)
{
	struct vt *vt = user;
	struct vt_line *line;
	VTermColor fg, bg;
	int idx;

	if (!vt->sb_count)
		return 0;
	idx = (vt->sb_head + vt->sb_count - 1) % VT_SCROLLBACK_LINES;
	line = vt->sb[idx];
	vt->sb[idx] = NULL;
	vt->sb_count--;
	vterm_state_get_default_colors(vterm_obtain_state(vt->term), &fg, &bg);
	for (int i = 0; i < cols; i++) {
		VTermScreenCell *c = &cells[i];

		memset(c, 0, sizeof(*c));
		c->width = 1;
		c->fg = fg;
		c->bg = bg;
		if (i < line->ncells) {
			const struct vt_cell *s = &line->cells[i];

			c->chars[0] = s->width ? s->ch : (uint32_t)-1;
			c->width = s->width ? s->width : 1;
			c->fg = s->fg;
			c->bg = s->bg;
			c->attrs.bold = !!(s->attrs & VT_ATTR_BOLD);
			c->attrs.underline = !!(s->attrs & VT_ATTR_UNDERLINE);
			c->attrs.reverse = !!(s->attrs & VT_ATTR_REVERSE);
			c->attrs.italic = !!(s->attrs & VT_ATTR_ITALIC);
			c->attrs.blink = !!(s->attrs & VT_ATTR_BLINK);
		}
	}
	free(line);
	return 1;
}

static int vt_settermprop(VTermProp prop, VTermValue *val, void *user)
{
	struct vt *vt = user;

	if (prop == VTERM_PROP_CURSORVISIBLE)
		vt->cursor_visible = val->boolean;
	return 1;
}

static const VTermScreenCallbacks vt_screen_callbacks = {
    .settermprop = vt_settermprop,
    .sb_pushline = vt_sb_pushline,
    .sb_popline = vt_sb_popline,
};

static void vt_output(const char *s, size_t len, void *user)
{
	struct vt *vt = user;

	if (vt->out_fn)
		vt->out_fn(s, len, vt->out_opaque);
}

struct vt *vt_new(int rows, int cols)
{
	struct vt *vt = calloc(1, sizeof(*vt));

	if (!vt)
		return NULL;
	vt->rows = rows < 1 ? 1 : rows;
	vt->cols = cols < 1 ? 1 : cols;
	vt->term = vterm_new(vt->rows, vt->cols);
	if (!vt->term) {
		free(vt);
		return NULL;
	}
	vterm_set_utf8(vt->term, 1);
	vterm_output_set_callback(vt->term, vt_output, vt);
	vt->screen = vterm_obtain_screen(vt->term);
	vterm_screen_set_callbacks(vt->screen, &vt_screen_callbacks, vt);
	/* Full-screen programs in the guest get an alternate screen that
	 * does not spill into the scrollback. */
	vterm_screen_enable_altscreen(vt->screen, 1);
	vterm_screen_reset(vt->screen, 1);
	vt->cursor_visible = true;
	return vt;
}

void vt_free(struct vt *vt)
{
	if (!vt)
		return;
	vterm_free(vt->term);
	for (int i = 0; i < vt->sb_count; i++)
		free(vt->sb[(vt->sb_head + i) % VT_SCROLLBACK_LINES]);
	free(vt);
}

void vt_set_output(struct vt *vt, void (*fn)(const char *s, size_t len, void *opaque), void *opaque)
{
	vt->out_fn = fn;
	vt->out_opaque = opaque;
}

void vt_feed(struct vt *vt, const char *buf, size_t len)
{
	if (len)
		vterm_input_write(vt->term, buf, len);
}

void vt_resize(struct vt *vt, int rows, int cols)
{
	if (rows < 1)
		rows = 1;
	if (cols < 1)
		cols = 1;
	if (rows == vt->rows && cols == vt->cols)
		return;
	vt->rows = rows;
	vt->cols = cols;
	vterm_set_size(vt->term, rows, cols);
}

void vt_get_size(const struct vt *vt, int *rows, int *cols)
{
	*rows = vt->rows;
	*cols = vt->cols;
}

int vt_scrollback_count(const struct vt *vt)
{
	return vt->sb_count;
}

bool vt_cursor(struct vt *vt, int *row, int *col)
{
	VTermPos pos;

	vterm_state_get_cursorpos(vterm_obtain_state(vt->term), &pos);
	*row = pos.row;
	*col = pos.col;
	return vt->cursor_visible;
}

/* ---- drawing ---- */

/* What the terminal can show, worked out once per frame. */
struct vt_paint {
	WINDOW *win;
	bool color, utf8, direct;
	int def_fg, def_bg; /* the theme's normal text colours */
	int last_fg, last_bg, last_pair;
};

static int vt_map_color(struct vt *vt, const struct vt_paint *p, VTermColor c, bool bg)
{
	struct theme_color tc;

	if (bg ? VTERM_COLOR_IS_DEFAULT_BG(&c) : VTERM_COLOR_IS_DEFAULT_FG(&c))
		return bg ? p->def_bg : p->def_fg;
	if (VTERM_COLOR_IS_INDEXED(&c)) {
		tc.kind = THEME_COLOR_INDEX;
		tc.value = c.indexed.idx;
	} else {
		tc.kind = THEME_COLOR_RGB;
		tc.value = (uint32_t)c.rgb.red << 16 | (uint32_t)c.rgb.green << 8 | c.rgb.blue;
	}
	(void)vt;
	return theme_map_color(&tc, COLORS, p->direct);
}

static int vt_pair(struct vt_paint *p, int fg, int bg)
{
	int pair;

	if (fg == p->last_fg && bg == p->last_bg)
		return p->last_pair;
	/* alloc_pair() reuses a pair with these colours or recycles the
	 * least recently used one when the terminal's pairs run out. */
	pair = alloc_pair(fg, bg);
	if (pair < 0)
		pair = 0;
	p->last_fg = fg;
	p->last_bg = bg;
	p->last_pair = pair;
	return pair;
}

/* A stand-in for non-ASCII characters when the locale cannot show them:
 * box drawing becomes + - |, the rest '?'. */
static wchar_t vt_ascii_fallback(uint32_t ch)
{
	if (ch >= 0x2500 && ch <= 0x257f) {
		if (ch == 0x2500 || ch == 0x2501 || ch == 0x2550)
			return L'-';
		if (ch == 0x2502 || ch == 0x2503 || ch == 0x2551)
			return L'|';
		return L'+';
	}
	return L'?';
}

static void vt_put_cell(struct vt *vt, struct vt_paint *p, int y, int x, const struct vt_cell *c,
			int room)
{
	wchar_t wch[2] = {L' ', L'\0'};
	attr_t attrs = A_NORMAL;
	int pair = 0;
	cchar_t cc;

	if (c->ch && c->ch >= 0x20 && c->ch != 0x7f)
		wch[0] = (wchar_t)c->ch;
	if (wch[0] > 0x7e && (!p->utf8 || c->width > room || wcwidth(wch[0]) < 0))
		wch[0] = c->width > room ? L' ' : vt_ascii_fallback(c->ch);
	if (c->attrs & VT_ATTR_BOLD)
		attrs |= A_BOLD;
	if (c->attrs & VT_ATTR_UNDERLINE)
		attrs |= A_UNDERLINE;
	if (c->attrs & VT_ATTR_REVERSE)
		attrs |= A_REVERSE;
	if (c->attrs & VT_ATTR_ITALIC)
		attrs |= A_ITALIC;
	if (c->attrs & VT_ATTR_BLINK)
		attrs |= A_BLINK;
	if (p->color)
		pair =
		    vt_pair(p, vt_map_color(vt, p, c->fg, false), vt_map_color(vt, p, c->bg, true));
	/* The pair goes through opts (an int) so pairs above 32767 work. */
	setcchar(&cc, wch, attrs, 0, &pair);
	mvwadd_wch(p->win, y, x, &cc);
}

static void vt_draw_cells(struct vt *vt, struct vt_paint *p, int y, int x,
			  const struct vt_cell *cells, int n)
{
	static const struct vt_cell blank = {
	    .fg = {.type = VTERM_COLOR_DEFAULT_FG},
	    .bg = {.type = VTERM_COLOR_DEFAULT_BG},
	    .width = 1,
	};

	for (int col = 0; col < vt->cols; col++) {
		const struct vt_cell *c = col < n ? &cells[col] : &blank;

		if (!c->width) /* right half of a wide character */
			continue;
		vt_put_cell(vt, p, y, x + col, c, vt->cols - col);
	}
}

void vt_draw(struct vt *vt, WINDOW *win, int y, int x, int scroll, bool color, bool utf8)
{
	struct vt_paint p = {
	    .win = win,
	    .color = color && has_colors(),
	    .utf8 = utf8,
	    .def_fg = -1,
	    .def_bg = -1,
	    .last_fg = -2,
	    .last_bg = -2,
	};
	struct vt_cell *row;

	if (scroll < 0)
		scroll = 0;
	if (scroll > vt->sb_count)
		scroll = vt->sb_count;
	if (p.color) {
		short pair = (short)PAIR_NUMBER(theme_attr(THEME_NORMAL));

		p.direct = COLORS >= 0x1000000 || tigetflag("RGB") > 0;
		if (pair > 0)
			extended_pair_content(pair, &p.def_fg, &p.def_bg);
	}
	row = calloc((size_t)vt->cols, sizeof(*row));
	if (!row)
		return;
	for (int r = 0; r < vt->rows; r++) {
		int line = r - scroll; /* < 0: in the scrollback */

		if (line < 0) {
			int idx = (vt->sb_head + vt->sb_count + line) % VT_SCROLLBACK_LINES;
			const struct vt_line *l = vt->sb[idx];

			vt_draw_cells(vt, &p, y + r, x, l->cells,
				      l->ncells < vt->cols ? l->ncells : vt->cols);
			continue;
		}
		for (int col = 0; col < vt->cols; col++) {
			VTermScreenCell cell;
			VTermPos pos = {.row = line, .col = col};

			if (!vterm_screen_get_cell(vt->screen, pos, &cell))
				memset(&cell, 0, sizeof(cell));
			vt_cell_from_vterm(&cell, &row[col]);
		}
		vt_draw_cells(vt, &p, y + r, x, row, vt->cols);
	}
	free(row);
	wattrset(win, A_NORMAL);
}
