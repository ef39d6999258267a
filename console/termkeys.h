/* Terminal input bytes to events (keys as X keysyms, SGR mouse reports),
 * and those events to the RFB key and pointer messages a VNC server
 * expects. Pure code, unit-tested. */
#ifndef VIRTTY_CONSOLE_TERMKEYS_H
#define VIRTTY_CONSOLE_TERMKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "render.h"

enum {
	TERM_MOD_SHIFT = 1,
	TERM_MOD_ALT = 2,
	TERM_MOD_CTRL = 4,
	TERM_MOD_META = 8,
};

enum term_event_kind {
	TERM_EV_KEY,
	TERM_EV_MOUSE,
	TERM_EV_IGNORED,  /* a well-formed sequence we do not use (focus, DA replies, ...) */
};

struct term_event {
	enum term_event_kind kind;
	/* TERM_EV_KEY: an X keysym (XK_a, XK_A, XK_Return, XK_F5, XK_Left,
	 * XK_BackSpace, Unicode characters as 0x01000000 + code point above
	 * Latin-1) and the modifiers the terminal reported. Ctrl-letter
	 * bytes come as the letter with TERM_MOD_CTRL; ESC-prefixed keys as
	 * the key with TERM_MOD_ALT. */
	uint32_t keysym;
	unsigned mods;
	/* TERM_EV_MOUSE (SGR 1006 reports): 0-based cell, the button state
	 * after the event (bit 0 left, 1 middle, 2 right), wheel -1 (up) /
	 * +1 (down) / 0, motion true for drag/move reports. */
	int col, row;
	unsigned buttons;
	int wheel;
	bool motion;
};

/* Parse one event from the start of buf. Returns the bytes it used, or 0
 * when buf holds only the start of a sequence and more bytes may come.
 * final: no more bytes are coming soon (the ESC timeout ran out), so a
 * lone ESC is the Escape key and a truncated sequence is taken as keys.
 * Never reads past len; garbage is consumed as keys or ignored. */
size_t term_parse_event(const uint8_t *buf, size_t len, bool final, struct term_event *ev);

/* One RFB KeyEvent. */
struct rfb_key {
	uint32_t keysym;
	bool down;
};

/* The key events that type ev on a VNC server: modifiers the keysym
 * needs (Shift for upper-case letters and shifted symbols, so servers
 * that map keysyms to scancodes, like QEMU's, see Shift) and the ones the
 * terminal reported pressed, the key down and up, modifiers up in reverse
 * order. Returns the number written (at most max). */
int term_key_to_rfb(const struct term_event *ev, struct rfb_key *out, int max);

/* One RFB PointerEvent: position in image pixels, button mask (bit 0
 * left, 1 middle, 2 right, 3 wheel up, 4 wheel down). */
struct rfb_pointer {
	int x, y;
	uint8_t mask;
};

/* The pointer events for a mouse report over a view of an img_w x img_h
 * image: one event for a press/release/move; a wheel step is a press
 * and a release of button 4 or 5. 0 when the report is in the letterbox.
 * Returns the number written (at most max). */
int term_mouse_to_rfb(const struct term_event *ev, const struct render_view *v, int img_w,
		      int img_h, struct rfb_pointer *out, int max);

#endif
