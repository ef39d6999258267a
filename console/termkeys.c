/* Terminal input bytes (xterm, rxvt, Linux console and kitty forms) to
 * key and mouse events, and those to RFB key and pointer events
 * (termkeys.h). Input is untrusted: every read is checked against len. */
#include <string.h>

#include <rfb/keysym.h>

#include "termkeys.h"

/* Longest CSI sequence we wait for; longer ones are garbage, dropped. */
#define TERM_CSI_MAX   64
#define TERM_PARAMS    8
#define TERM_PARAM_MAX 1000000
/* Longest OSC/DCS/APC string we wait for. */
#define TERM_STRING_MAX 4096

static void ev_key(struct term_event *ev, uint32_t keysym, unsigned mods)
{
	ev->kind = TERM_EV_KEY;
	ev->keysym = keysym;
	ev->mods = mods;
}

static uint32_t codepoint_keysym(uint32_t cp)
{
	if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff))
		return cp; /* Latin-1 keysyms are the code points */
	return 0x01000000 + cp;
}

/* xterm's modifier parameter: 1 + (shift 1, alt 2, ctrl 4, meta 8). */
static unsigned xterm_mods(unsigned param)
{
	if (param < 2 || param > 16)
		return 0;
	return (param - 1) & (TERM_MOD_SHIFT | TERM_MOD_ALT | TERM_MOD_CTRL | TERM_MOD_META);
}

/* One C0 control byte or DEL as a key. */
static void control_key(uint8_t b, struct term_event *ev)
{
	switch (b) {
	case 0x00:
		ev_key(ev, XK_space, TERM_MOD_CTRL);
		break;
	case 0x08:
	case 0x7f:
		ev_key(ev, XK_BackSpace, 0);
		break;
	case 0x09:
		ev_key(ev, XK_Tab, 0);
		break;
	case 0x0d:
		ev_key(ev, XK_Return, 0);
		break;
	case 0x1b:
		ev_key(ev, XK_Escape, 0);
		break;
	case 0x1c:
		ev_key(ev, XK_backslash, TERM_MOD_CTRL);
		break;
	case 0x1d:
		ev_key(ev, XK_bracketright, TERM_MOD_CTRL);
		break;
	case 0x1e:
		ev_key(ev, XK_asciicircum, TERM_MOD_CTRL);
		break;
	case 0x1f:
		ev_key(ev, XK_underscore, TERM_MOD_CTRL);
		break;
	default: /* 0x01..0x1a: Ctrl-A..Ctrl-Z (0x0a is Ctrl-J; Return sends CR) */
		ev_key(ev, XK_a + b - 1, TERM_MOD_CTRL);
		break;
	}
}

/* One UTF-8 character (or control byte) as a key. */
static size_t parse_char(const uint8_t *buf, size_t len, bool final, struct term_event *ev)
{
	uint8_t b = buf[0];
	size_t need, i;
	uint32_t cp, min;

	if (b < 0x20 || b == 0x7f) {
		control_key(b, ev);
		return 1;
	}
	if (b < 0x80) {
		ev_key(ev, b, 0);
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		need = 2;
		cp = b & 0x1f;
		min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		need = 3;
		cp = b & 0x0f;
		min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		need = 4;
		cp = b & 0x07;
		min = 0x10000;
	} else {
		ev->kind = TERM_EV_IGNORED; /* a stray continuation or invalid lead */
		return 1;
	}
	for (i = 1; i < need && i < len; i++) {
		if ((buf[i] & 0xc0) != 0x80) {
			ev->kind = TERM_EV_IGNORED;
			return i; /* the next byte starts something new */
		}
		cp = cp << 6 | (buf[i] & 0x3f);
	}
	if (i < need) {
		if (!final)
			return 0;
		ev->kind = TERM_EV_IGNORED;
		return i;
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0) {
		ev->kind = TERM_EV_IGNORED; /* overlong, surrogate, out of range or C1 */
		return need;
	}
	ev_key(ev, codepoint_keysym(cp), 0);
	return need;
}

/* The keysym of a VT-style "number ~" key (xterm and rxvt). */
static uint32_t tilde_keysym(unsigned n)
{
	static const uint32_t fkeys[] = {
	    [11] = XK_F1,  [12] = XK_F2,  [13] = XK_F3,	 [14] = XK_F4,	[15] = XK_F5,
	    [17] = XK_F6,  [18] = XK_F7,  [19] = XK_F8,	 [20] = XK_F9,	[21] = XK_F10,
	    [23] = XK_F11, [24] = XK_F12, [25] = XK_F13, [26] = XK_F14, [28] = XK_F15,
	    [29] = XK_F16, [31] = XK_F17, [32] = XK_F18, [33] = XK_F19, [34] = XK_F20,
	};

	switch (n) {
	case 1:
	case 7:
		return XK_Home;
	case 2:
		return XK_Insert;
	case 3:
		return XK_Delete;
	case 4:
	case 8:
		return XK_End;
	case 5:
		return XK_Prior;
	case 6:
		return XK_Next;
	}
	if (n < sizeof(fkeys) / sizeof(fkeys[0]))
		return fkeys[n];
	return 0;
}

/* The keysym of a CSI/SS3 letter final (arrows, Home/End, F1-F4). */
static uint32_t letter_keysym(uint8_t f)
{
	switch (f) {
	case 'A':
		return XK_Up;
	case 'B':
		return XK_Down;
	case 'C':
		return XK_Right;
	case 'D':
		return XK_Left;
	case 'E':
		return XK_Begin;
	case 'H':
		return XK_Home;
	case 'F':
		return XK_End;
	case 'P':
		return XK_F1;
	case 'Q':
		return XK_F2;
	case 'R':
		return XK_F3;
	case 'S':
		return XK_F4;
	}
	return 0;
}

/* A code point from kitty's CSI u or xterm's modifyOtherKeys. */
static void unicode_key(uint32_t code, unsigned mods, struct term_event *ev)
{
	switch (code) {
	case 8:
	case 127:
		ev_key(ev, XK_BackSpace, mods);
		return;
	case 9:
		ev_key(ev, XK_Tab, mods);
		return;
	case 13:
		ev_key(ev, XK_Return, mods);
		return;
	case 27:
		ev_key(ev, XK_Escape, mods);
		return;
	}
	if (code < 0x20 || (code >= 0x7f && code < 0xa0) || code > 0x10ffff ||
	    (code >= 0xe000 && code <= 0xf8ff)) { /* kitty's private-use function keys */
		ev->kind = TERM_EV_IGNORED;
		return;
	}
	ev_key(ev, codepoint_keysym(code), mods);
}

/* SGR mouse: ESC [ < b ; x ; y M (press, motion) or m (release). */
static void sgr_mouse(const unsigned *p, int np, bool release, struct term_event *ev)
{
	unsigned b = p[0], button = b & 3;

	if (np < 3 || b >= 256) {
		ev->kind = TERM_EV_IGNORED;
		return;
	}
	ev->kind = TERM_EV_MOUSE;
	ev->col = p[1] > 0 ? (int)p[1] - 1 : 0;
	ev->row = p[2] > 0 ? (int)p[2] - 1 : 0;
	ev->mods = (b & 4 ? TERM_MOD_SHIFT : 0) | (b & 8 ? TERM_MOD_ALT : 0) |
		   (b & 16 ? TERM_MOD_CTRL : 0);
	ev->motion = b & 32;
	if (b & 128) { /* buttons 8-11: nothing for them in RFB's mask */
		ev->kind = TERM_EV_IGNORED;
		return;
	}
	if (b & 64) {
		if (button > 1 || release) { /* horizontal wheel, wheel "release" */
			ev->kind = TERM_EV_IGNORED;
			return;
		}
		ev->wheel = button == 0 ? -1 : 1;
		ev->motion = false;
		return;
	}
	/* One report names one button: the state after it is that button
	 * down (press, drag) or none (release, plain motion). Chords lose
	 * the other button until the next report, which tells it again. */
	if (button == 3 || release)
		ev->buttons = 0;
	else
		ev->buttons = button == 0 ? 1 : button == 1 ? 2 : 4;
}

/* ESC [ ... : returns bytes used, 0 to wait for more. */
static size_t parse_csi(const uint8_t *buf, size_t len, bool final, struct term_event *ev)
{
	unsigned p[TERM_PARAMS] = {0};
	int np = 0;
	bool sub = false, odd = false, inter = false;
	uint8_t priv = 0, f = 0;
	size_t i = 2;
	unsigned mods;
	uint32_t ks;

	if (len < 3)
		goto incomplete;
	if (buf[2] == '[') { /* Linux console F1-F5: ESC [ [ A..E */
		if (len < 4)
			goto incomplete;
		if (buf[3] >= 'A' && buf[3] <= 'E')
			ev_key(ev, XK_F1 + (buf[3] - 'A'), 0);
		else
			ev->kind = TERM_EV_IGNORED;
		return 4;
	}
	if (buf[2] >= '<' && buf[2] <= '?') {
		priv = buf[2];
		i = 3;
	}
	for (; i < len; i++) {
		uint8_t c = buf[i];

		if (i >= TERM_CSI_MAX) {
			ev->kind = TERM_EV_IGNORED;
			return i;
		}
		if (c >= '0' && c <= '9') {
			if (np == 0)
				np = 1;
			if (!sub && np <= TERM_PARAMS && p[np - 1] < TERM_PARAM_MAX)
				p[np - 1] = p[np - 1] * 10 + (c - '0');
		} else if (c == ';') {
			if (np == 0)
				np = 1;
			np++;
			sub = false;
		} else if (c == ':') {
			sub = true; /* kitty's alternate keys: keep the first value */
		} else if (c >= '<' && c <= '?') {
			odd = true;
		} else if (c == '$' && !priv && !inter) {
			f = c; /* rxvt: ESC [ 2 $ is Shift-Insert */
			break;
		} else if (c >= 0x20 && c <= 0x2f) {
			inter = true;
		} else if (c >= 0x40 && c <= 0x7e) {
			f = c;
			break;
		} else {
			/* A control byte inside: the sequence was cut; drop it
			 * and let the byte start the next event. */
			ev->kind = TERM_EV_IGNORED;
			return i;
		}
	}
	if (!f)
		goto incomplete;
	i++;
	if (np > TERM_PARAMS)
		np = TERM_PARAMS;
	ev->kind = TERM_EV_IGNORED;
	if (priv == '<' && (f == 'M' || f == 'm') && !inter && !odd) {
		sgr_mouse(p, np, f == 'm', ev);
		return i;
	}
	if (priv || inter || odd)
		return i; /* replies to queries and the like */
	mods = np >= 2 ? xterm_mods(p[1]) : 0;
	switch (f) {
	case '~':
	case '$':
	case '^':
	case '@':
		if (f == '~' && p[0] == 27 && np >= 3) { /* modifyOtherKeys */
			unicode_key(p[2], xterm_mods(p[1]), ev);
			return i;
		}
		ks = tilde_keysym(p[0]);
		if (!ks)
			return i; /* 200~/201~ paste markers and unknown keys */
		if (f == '$')
			mods |= TERM_MOD_SHIFT;
		else if (f == '^')
			mods |= TERM_MOD_CTRL;
		else if (f == '@')
			mods |= TERM_MOD_CTRL | TERM_MOD_SHIFT;
		ev_key(ev, ks, mods);
		return i;
	case 'u':
		if (np >= 1)
			unicode_key(p[0], mods, ev);
		return i;
	case 'Z':
		ev_key(ev, XK_Tab, TERM_MOD_SHIFT | mods);
		return i;
	case 'a':
	case 'b':
	case 'c':
	case 'd': /* rxvt: Shift-arrows */
		if (np == 0)
			ev_key(ev, letter_keysym(f - 'a' + 'A'), TERM_MOD_SHIFT);
		return i;
	case 'R':
		/* ESC [ row ; col R is a cursor report; F3 is ESC [ 1 ; m R. */
		if (np >= 2 && p[0] != 1)
			return i;
		break;
	case 'I':
	case 'O':
		return i; /* focus in/out */
	}
	ks = letter_keysym(f);
	if (ks && (np < 2 || p[0] <= 1))
		ev_key(ev, ks, mods);
	return i;

incomplete:
	if (!final)
		return 0;
	ev_key(ev, '[', TERM_MOD_ALT); /* the bytes were keys after all */
	return 2;
}

/* ESC O x (SS3): application-mode cursor keys, F1-F4, the keypad. */
static size_t parse_ss3(const uint8_t *buf, size_t len, bool final, struct term_event *ev)
{
	static const char keypad[] = "*+,-./0123456789"; /* ESC O j .. y */
	unsigned mod = 0;
	size_t i = 2;
	uint32_t ks;
	uint8_t f;

	/* Some terminals put a modifier in: ESC O 5 P, ESC O 1 ; 5 P. */
	while (i < len && i < 8 && ((buf[i] >= '0' && buf[i] <= '9') || buf[i] == ';')) {
		mod = buf[i] == ';' ? 0 : mod * 10 + (buf[i] - '0');
		i++;
	}
	if (i >= len) {
		if (!final)
			return 0;
		ev_key(ev, 'O', TERM_MOD_ALT);
		return 2;
	}
	f = buf[i++];
	if (f >= 'j' && f <= 'y') {
		ev_key(ev, (uint8_t)keypad[f - 'j'], 0);
		return i;
	}
	switch (f) {
	case 'M':
		ev_key(ev, XK_Return, 0);
		return i;
	case 'X':
		ev_key(ev, XK_equal, 0);
		return i;
	case 'a':
	case 'b':
	case 'c':
	case 'd': /* rxvt: Ctrl-arrows */
		ev_key(ev, letter_keysym(f - 'a' + 'A'), TERM_MOD_CTRL);
		return i;
	}
	ks = letter_keysym(f);
	if (ks)
		ev_key(ev, ks, xterm_mods(mod));
	else
		ev->kind = TERM_EV_IGNORED;
	return i;
}

/* ESC ] (OSC), ESC P (DCS), ESC _ (APC): replies to queries (colours,
 * capabilities, kitty graphics), ended by BEL or ST (ESC \). Never keys for
 * the guest, even if the terminal answers something we did not ask. */
static size_t parse_string(const uint8_t *buf, size_t len, bool final, struct term_event *ev)
{
	for (size_t i = 2; i < len; i++) {
		if (i >= TERM_STRING_MAX)
			return i; /* runaway: drop what we have */
		if (buf[i] == 0x07)
			return i + 1;
		if (buf[i] == 0x1b) {
			if (i + 1 >= len)
				break;
			if (buf[i + 1] == '\\')
				return i + 2;
			return i; /* cut short by a new sequence */
		}
	}
	if (!final)
		return 0;
	ev_key(ev, buf[1], TERM_MOD_ALT); /* typed by a person: Alt-], Alt-P, Alt-_ */
	return 2;
}

size_t term_parse_event(const uint8_t *buf, size_t len, bool final, struct term_event *ev)
{
	size_t n;

	memset(ev, 0, sizeof(*ev));
	ev->kind = TERM_EV_IGNORED;
	if (!buf || len == 0)
		return 0;
	if (buf[0] != 0x1b)
		return parse_char(buf, len, final, ev);
	if (len == 1) {
		if (!final)
			return 0;
		ev_key(ev, XK_Escape, 0);
		return 1;
	}
	switch (buf[1]) {
	case '[':
		return parse_csi(buf, len, final, ev);
	case 'O':
		return parse_ss3(buf, len, final, ev);
	case ']':
	case 'P':
	case '_':
		return parse_string(buf, len, final, ev);
	case 0x1b:
		/* ESC ESC [ A: rxvt's Alt-Up; ESC ESC: Alt-Escape. */
		n = term_parse_event(buf + 1, len - 1, final, ev);
		if (!n)
			return 0;
		if (ev->kind == TERM_EV_KEY)
			ev->mods |= TERM_MOD_ALT;
		return n + 1;
	}
	n = parse_char(buf + 1, len - 1, final, ev);
	if (!n)
		return 0;
	if (ev->kind == TERM_EV_KEY)
		ev->mods |= TERM_MOD_ALT;
	return n + 1;
}

/* Keysyms typed with Shift on a US keyboard: servers that turn keysyms
 * into scancodes need to see Shift down. */
static bool keysym_needs_shift(uint32_t ks)
{
	if (ks >= 'A' && ks <= 'Z')
		return true;
	if (ks < 0x80 && ks && strchr("~!@#$%^&*()_+{}|:\"<>?", (int)ks))
		return true;
	return ks >= 0xc0 && ks <= 0xde && ks != 0xd7; /* Latin-1 capitals */
}

int term_key_to_rfb(const struct term_event *ev, struct rfb_key *out, int max)
{
	static const struct {
		unsigned mod;
		uint32_t keysym;
	} order[] = {
	    {TERM_MOD_CTRL, XK_Control_L},
	    {TERM_MOD_ALT, XK_Alt_L},
	    {TERM_MOD_META, XK_Super_L},
	    {TERM_MOD_SHIFT, XK_Shift_L},
	};
	uint32_t held[4];
	unsigned mods;
	int nh = 0, n = 0;

	if (ev->kind != TERM_EV_KEY || !ev->keysym)
		return 0;
	mods = ev->mods;
	if (keysym_needs_shift(ev->keysym))
		mods |= TERM_MOD_SHIFT;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (mods & order[i].mod)
			held[nh++] = order[i].keysym;
	/* All or nothing: a cut sequence would leave a modifier down. */
	if (max < 2 * nh + 2)
		return 0;
	for (int i = 0; i < nh; i++)
		out[n++] = (struct rfb_key){held[i], true};
	out[n++] = (struct rfb_key){ev->keysym, true};
	out[n++] = (struct rfb_key){ev->keysym, false};
	for (int i = nh - 1; i >= 0; i--)
		out[n++] = (struct rfb_key){held[i], false};
	return n;
}

int term_mouse_to_rfb(const struct term_event *ev, const struct render_view *v, int img_w,
		      int img_h, struct rfb_pointer *out, int max)
{
	uint8_t mask;
	bool inside;
	int x, y;

	if (ev->kind != TERM_EV_MOUSE || max < 1)
		return 0;
	inside = render_cell_to_pixel(img_w, img_h, v, ev->col, ev->row, &x, &y);
	mask = ev->buttons & 7;
	if (ev->wheel) {
		if (!inside || max < 2)
			return 0;
		out[0] = (struct rfb_pointer){x, y, mask | (ev->wheel < 0 ? 8 : 16)};
		out[1] = (struct rfb_pointer){x, y, mask};
		return 2;
	}
	/* Presses and moves in the letterbox do nothing; a drag or a release
	 * there goes to the nearest edge pixel, so no button stays down. */
	if (!inside && (ev->motion ? !mask : mask))
		return 0;
	out[0] = (struct rfb_pointer){x, y, mask};
	return 1;
}
