/* The terminal emulator behind the serial console screen: guest output goes
 * through libvterm into a screen plus a bounded scrollback, drawn into a
 * curses window; and the key -> byte mapping for what the user types. */
#ifndef VIRTTY_TUI_VT_H
#define VIRTTY_TUI_VT_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

/* Lines kept above the screen; the oldest go first. */
#define VT_SCROLLBACK_LINES 5000
/* The longest byte sequence one key becomes. */
#define VT_KEY_MAX 8

struct vt;

/* vt.c */
/* An emulator of rows x cols (at least 1x1). NULL on ENOMEM. */
struct vt *vt_new(int rows, int cols);
void vt_free(struct vt *vt);
/* Where the emulator's answers to the guest's queries (cursor position
 * reports, device attributes) go: normally the console connection. */
void vt_set_output(struct vt *vt, void (*fn)(const char *s, size_t len, void *opaque),
		   void *opaque);
/* Guest output, any bytes (partial UTF-8 and escape sequences are kept
 * for the next call). */
void vt_feed(struct vt *vt, const char *buf, size_t len);
/* The window changed size: the screen re-lays out (lines pushed off the
 * top go to the scrollback, and come back when it grows). */
void vt_resize(struct vt *vt, int rows, int cols);
void vt_get_size(const struct vt *vt, int *rows, int *cols);
int vt_scrollback_count(const struct vt *vt);
/* Draw the screen at (y, x) of win, scrolled back by `scroll` lines (0:
 * the live screen). color: map guest colours to curses pairs (else
 * attributes only, for NO_COLOR / monochrome); utf8: else non-ASCII
 * characters are shown with ASCII stand-ins. */
void vt_draw(struct vt *vt, WINDOW *win, int y, int x, int scroll, bool color, bool utf8);
/* The cursor in screen coordinates, and whether the guest shows it. */
bool vt_cursor(struct vt *vt, int *row, int *col);

/* vt-keys.c */
/* The bytes a curses key code (from wgetch with keypad on) sends to the
 * guest, as a VT100/xterm keyboard would: printable bytes as they are,
 * Enter as \r, Backspace as \x7f, arrows/Home/End/PgUp/PgDn/Insert/Delete
 * and F1-F12 as escape sequences, control bytes as they are. Returns the
 * length written to buf (at most VT_KEY_MAX), 0 for keys with no bytes. */
int vt_key_bytes(int key, char *buf, size_t len);

#endif
