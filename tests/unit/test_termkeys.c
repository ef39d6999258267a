/* What reaches the guest when the user types or clicks in the terminal
 * VNC viewer (console/termkeys.c): terminal byte sequences to keys and
 * mouse reports, and those to the RFB key and pointer events a VNC
 * server receives. */
#include <check.h>
#include <rfb/keysym.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "termkeys.h"

/* Parse a whole string as one event; it must use every byte. */
static struct term_event parse1(const char *s)
{
	struct term_event ev;
	size_t len = strlen(s);

	ck_assert_uint_eq(term_parse_event((const uint8_t *)s, len, true, &ev), len);
	return ev;
}

static void assert_key(const char *s, uint32_t keysym, unsigned mods)
{
	struct term_event ev = parse1(s);

	ck_assert_msg(ev.kind == TERM_EV_KEY && ev.keysym == keysym && ev.mods == mods,
		      "input %s: kind %d keysym 0x%x mods %u, want key 0x%x mods %u",
		      s[0] == 27 ? s + 1 : s, ev.kind, ev.keysym, ev.mods, keysym, mods);
}

START_TEST(test_text_and_control_keys)
{
	assert_key("a", XK_a, 0);
	assert_key("Z", XK_Z, 0);
	assert_key("~", XK_asciitilde, 0);
	assert_key(" ", XK_space, 0);
	assert_key("\xc3\xa9", XK_eacute, 0);	       /* é: Latin-1 keysym */
	assert_key("\xe2\x82\xac", 0x010020ac, 0);     /* €: Unicode keysym */
	assert_key("\xf0\x9f\x98\x80", 0x0101f600, 0); /* an emoji */
	assert_key("\r", XK_Return, 0);
	assert_key("\t", XK_Tab, 0);
	assert_key("\x7f", XK_BackSpace, 0);
	assert_key("\x08", XK_BackSpace, 0);
	assert_key("\x03", XK_c, TERM_MOD_CTRL);
	assert_key("\x01", XK_a, TERM_MOD_CTRL);
	assert_key("\x1a", XK_z, TERM_MOD_CTRL);
	assert_key("\x1d", XK_bracketright, TERM_MOD_CTRL);
}
END_TEST

START_TEST(test_escape_and_alt)
{
	struct term_event ev;

	/* A lone ESC is the Escape key only once no more bytes come. */
	ck_assert_uint_eq(term_parse_event((const uint8_t *)"\033", 1, false, &ev), 0);
	assert_key("\033", XK_Escape, 0);
	assert_key("\033x", XK_x, TERM_MOD_ALT);
	assert_key("\033X", XK_X, TERM_MOD_ALT);
	assert_key("\033\x03", XK_c, TERM_MOD_ALT | TERM_MOD_CTRL);
	assert_key("\033\xc3\xa9", XK_eacute, TERM_MOD_ALT);
	assert_key("\033\033", XK_Escape, TERM_MOD_ALT);
	assert_key("\033\033[A", XK_Up, TERM_MOD_ALT); /* rxvt's Alt-Up */
	assert_key("\033\r", XK_Return, TERM_MOD_ALT);
}
END_TEST

START_TEST(test_cursor_editing_and_function_keys)
{
	static const struct {
		const char *in;
		uint32_t keysym;
		unsigned mods;
	} table[] = {
	    {"\033[A", XK_Up, 0},
	    {"\033[B", XK_Down, 0},
	    {"\033[C", XK_Right, 0},
	    {"\033[D", XK_Left, 0},
	    {"\033OA", XK_Up, 0}, /* application cursor mode */
	    {"\033OD", XK_Left, 0},
	    {"\033[H", XK_Home, 0},
	    {"\033[F", XK_End, 0},
	    {"\033OH", XK_Home, 0},
	    {"\033[1~", XK_Home, 0},
	    {"\033[4~", XK_End, 0},
	    {"\033[7~", XK_Home, 0}, /* rxvt */
	    {"\033[8~", XK_End, 0},
	    {"\033[2~", XK_Insert, 0},
	    {"\033[3~", XK_Delete, 0},
	    {"\033[5~", XK_Prior, 0},
	    {"\033[6~", XK_Next, 0},
	    {"\033OP", XK_F1, 0},
	    {"\033OQ", XK_F2, 0},
	    {"\033OR", XK_F3, 0},
	    {"\033OS", XK_F4, 0},
	    {"\033[11~", XK_F1, 0}, /* rxvt */
	    {"\033[14~", XK_F4, 0},
	    {"\033[15~", XK_F5, 0},
	    {"\033[17~", XK_F6, 0},
	    {"\033[21~", XK_F10, 0},
	    {"\033[23~", XK_F11, 0},
	    {"\033[24~", XK_F12, 0},
	    {"\033[[A", XK_F1, 0}, /* Linux console */
	    {"\033[[E", XK_F5, 0},
	    {"\033[1;5A", XK_Up, TERM_MOD_CTRL},
	    {"\033[1;2D", XK_Left, TERM_MOD_SHIFT},
	    {"\033[1;3C", XK_Right, TERM_MOD_ALT},
	    {"\033[1;8B", XK_Down, TERM_MOD_SHIFT | TERM_MOD_ALT | TERM_MOD_CTRL},
	    {"\033[1;5H", XK_Home, TERM_MOD_CTRL},
	    {"\033[3;5~", XK_Delete, TERM_MOD_CTRL},
	    {"\033[15;2~", XK_F5, TERM_MOD_SHIFT},
	    {"\033[1;2P", XK_F1, TERM_MOD_SHIFT},
	    {"\033[1;5R", XK_F3, TERM_MOD_CTRL},
	    {"\033O5P", XK_F1, TERM_MOD_CTRL},
	    {"\033[Z", XK_Tab, TERM_MOD_SHIFT},
	    {"\033[2$", XK_Insert, TERM_MOD_SHIFT}, /* rxvt modifier finals */
	    {"\033[5^", XK_Prior, TERM_MOD_CTRL},
	    {"\033[a", XK_Up, TERM_MOD_SHIFT},
	    {"\033Od", XK_Left, TERM_MOD_CTRL},
	    {"\033OM", XK_Return, 0}, /* keypad in application mode */
	    {"\033Oq", XK_1, 0},
	    {"\033[27;5;9~", XK_Tab, TERM_MOD_CTRL},   /* xterm modifyOtherKeys */
	    {"\033[99;5u", XK_c, TERM_MOD_CTRL},       /* kitty / fixterms CSI u */
	    {"\033[13;2u", XK_Return, TERM_MOD_SHIFT}, /* Shift-Enter */
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_key(table[i].in, table[i].keysym, table[i].mods);
}
END_TEST

START_TEST(test_sequences_we_do_not_use_are_ignored)
{
	static const char *const ignored[] = {
	    "\033[200~",
	    "\033[201~", /* bracketed paste markers */
	    "\033[I",
	    "\033[O",				/* focus in and out */
	    "\033[?1;2c",			/* a device attributes reply */
	    "\033[12;40R",			/* a cursor position report */
	    "\033[99x",				/* unknown */
	    "\033[<66;3;4M",			/* horizontal wheel */
	    "\033]11;rgb:0000/0000/0000\033\\", /* replies to queries: OSC... */
	    "\033]10;rgb:ffff/ffff/ffff\007",
	    "\033P1+r544e=787465726d\033\\", /* ...DCS (XTGETTCAP)... */
	    "\033_Gi=1;OK\033\\",	     /* ...APC (kitty graphics) */
	};
	struct term_event ev;
	const char *paste = "\033[200~hi\033[201~";
	size_t off = 0, n;
	uint32_t keys[4];
	int nk = 0;

	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		ck_assert_int_eq(parse1(ignored[i]).kind, TERM_EV_IGNORED);

	/* Pasted text arrives as its keys. */
	while (
	    (n = term_parse_event((const uint8_t *)paste + off, strlen(paste) - off, false, &ev))) {
		if (ev.kind == TERM_EV_KEY)
			keys[nk++] = ev.keysym;
		off += n;
	}
	ck_assert_uint_eq(off, strlen(paste));
	ck_assert_int_eq(nk, 2);
	ck_assert_uint_eq(keys[0], XK_h);
	ck_assert_uint_eq(keys[1], XK_i);
}
END_TEST

START_TEST(test_incomplete_sequences_wait_for_more)
{
	static const char *const whole[] = {
	    "\033[1;5A",    "\033[15~",	    "\033OP",  "\033[<0;10;5M",
	    "\xe2\x82\xac", "\033\xc3\xa9", "\033[[A", "\033]11;rgb:0/0/0\033\\",
	};
	struct term_event ev;

	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
		const uint8_t *s = (const uint8_t *)whole[i];
		size_t len = strlen(whole[i]);

		/* Every proper prefix: nothing yet (not final). */
		for (size_t k = 1; k < len; k++)
			ck_assert_msg(term_parse_event(s, k, false, &ev) == 0,
				      "sequence %zu consumed after %zu bytes", i, k);
		ck_assert_uint_eq(term_parse_event(s, len, false, &ev), len);
		if (s[1] == ']')
			ck_assert_int_eq(ev.kind, TERM_EV_IGNORED);
		else
			ck_assert_int_ne(ev.kind, TERM_EV_IGNORED);
	}

	/* Final (the ESC timeout ran out): a cut sequence is keys. */
	ck_assert_uint_eq(term_parse_event((const uint8_t *)"\033[1;", 4, true, &ev), 2);
	ck_assert_int_eq(ev.kind, TERM_EV_KEY);
	ck_assert_uint_eq(ev.keysym, XK_bracketleft);
	ck_assert_uint_eq(ev.mods, TERM_MOD_ALT);
	ck_assert_uint_eq(term_parse_event((const uint8_t *)"\033O", 2, true, &ev), 2);
	ck_assert_uint_eq(ev.keysym, XK_O);
	ck_assert_uint_eq(term_parse_event((const uint8_t *)"\033]1", 3, true, &ev), 2);
	ck_assert_uint_eq(ev.keysym, XK_bracketright);
	ck_assert_uint_eq(ev.mods, TERM_MOD_ALT);
	/* A cut UTF-8 character is dropped, not misread. */
	ck_assert_uint_eq(term_parse_event((const uint8_t *)"\xe2\x82", 2, true, &ev), 2);
	ck_assert_int_eq(ev.kind, TERM_EV_IGNORED);
}
END_TEST

START_TEST(test_garbage_never_reads_past_len)
{
	uint32_t seed = 99;

	/* Random bytes (biased to ESC, '[' and digits) in a buffer exactly
	 * as long as the input, so valgrind/ASan see any overread; every
	 * call either waits (not final) or makes progress within len. */
	for (int trial = 0; trial < 20000; trial++) {
		size_t len = 1 + (seed >> 8) % 12, off = 0;
		uint8_t *buf = malloc(len);

		for (size_t i = 0; i < len; i++) {
			static const uint8_t pick[] = {0x1b, '[', 'O',	'<',  ';',  '1',
						       '5',  '~', 'M',	0xe2, 0x82, 0xc3,
						       0xff, 'A', 0x00, '$'};
			seed = seed * 1103515245 + 12345;
			buf[i] = (seed >> 16) % 3 ? pick[(seed >> 20) % 16] : seed >> 24;
		}
		while (off < len) {
			struct term_event ev;
			size_t n = term_parse_event(buf + off, len - off, true, &ev);

			ck_assert_uint_gt(n, 0);
			ck_assert_uint_le(n, len - off);
			if (ev.kind == TERM_EV_MOUSE) {
				ck_assert_int_ge(ev.col, 0);
				ck_assert_int_ge(ev.row, 0);
			}
			off += n;
		}
		ck_assert_uint_le(term_parse_event(buf, len, false, &(struct term_event){0}), len);
		free(buf);
	}
}
END_TEST

START_TEST(test_sgr_mouse_reports)
{
	struct term_event ev;

	ev = parse1("\033[<0;10;5M"); /* left press at column 10, row 5 */
	ck_assert_int_eq(ev.kind, TERM_EV_MOUSE);
	ck_assert_int_eq(ev.col, 9);
	ck_assert_int_eq(ev.row, 4);
	ck_assert_uint_eq(ev.buttons, 1);
	ck_assert(!ev.motion);
	ck_assert_int_eq(ev.wheel, 0);

	ev = parse1("\033[<0;10;5m"); /* its release */
	ck_assert_uint_eq(ev.buttons, 0);
	ck_assert(!ev.motion);

	ev = parse1("\033[<2;1;1M"); /* right press */
	ck_assert_uint_eq(ev.buttons, 4);
	ev = parse1("\033[<1;1;1M"); /* middle */
	ck_assert_uint_eq(ev.buttons, 2);

	ev = parse1("\033[<32;11;5M"); /* drag with the left button */
	ck_assert(ev.motion);
	ck_assert_uint_eq(ev.buttons, 1);
	ev = parse1("\033[<35;11;5M"); /* motion, no button */
	ck_assert(ev.motion);
	ck_assert_uint_eq(ev.buttons, 0);

	ev = parse1("\033[<64;3;4M");
	ck_assert_int_eq(ev.wheel, -1);
	ev = parse1("\033[<65;3;4M");
	ck_assert_int_eq(ev.wheel, 1);

	ev = parse1("\033[<20;3;4M"); /* Ctrl(16) + Shift(4) left press */
	ck_assert_uint_eq(ev.mods, TERM_MOD_CTRL | TERM_MOD_SHIFT);
	ev = parse1("\033[<8;3;4M"); /* Meta/Alt(8) */
	ck_assert_uint_eq(ev.mods, TERM_MOD_ALT);
}
END_TEST

/* The RFB key events for one input string, as a compact trace: "+x" a
 * key down, "-x" up, keysyms by short names. */
static const char *rfb_trace(const char *in)
{
	static char buf[256];
	struct term_event ev = parse1(in);
	struct rfb_key k[16];
	int n;

	n = term_key_to_rfb(&ev, k, 16);
	buf[0] = 0;
	for (int i = 0; i < n; i++) {
		char name[16];

		switch (k[i].keysym) {
		case XK_Shift_L:
			strcpy(name, "Shift");
			break;
		case XK_Control_L:
			strcpy(name, "Ctrl");
			break;
		case XK_Alt_L:
			strcpy(name, "Alt");
			break;
		case XK_F5:
			strcpy(name, "F5");
			break;
		case XK_Left:
			strcpy(name, "Left");
			break;
		default:
			if (k[i].keysym >= 0x20 && k[i].keysym < 0x7f)
				snprintf(name, sizeof(name), "%c", (char)k[i].keysym);
			else
				snprintf(name, sizeof(name), "0x%x", k[i].keysym);
		}
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%c%s", i ? " " : "",
			 k[i].down ? '+' : '-', name);
	}
	return buf;
}

START_TEST(test_keys_to_rfb)
{
	ck_assert_str_eq(rfb_trace("a"), "+a -a");
	/* Servers that type by scancode need Shift for capitals and
	 * shifted symbols. */
	ck_assert_str_eq(rfb_trace("A"), "+Shift +A -A -Shift");
	ck_assert_str_eq(rfb_trace("!"), "+Shift +! -! -Shift");
	ck_assert_str_eq(rfb_trace("1"), "+1 -1");
	ck_assert_str_eq(rfb_trace("\x03"), "+Ctrl +c -c -Ctrl");
	ck_assert_str_eq(rfb_trace("\033x"), "+Alt +x -x -Alt");
	ck_assert_str_eq(rfb_trace("\033[15~"), "+F5 -F5");
	ck_assert_str_eq(rfb_trace("\033[D"), "+Left -Left");
	ck_assert_str_eq(rfb_trace("\033[1;6D"), "+Ctrl +Shift +Left -Left -Shift -Ctrl");
}
END_TEST

START_TEST(test_keys_to_rfb_all_or_nothing)
{
	struct term_event ev = parse1("\033[1;6D");
	struct rfb_key k[8];

	/* Too little room: nothing, never a modifier left held down. */
	ck_assert_int_eq(term_key_to_rfb(&ev, k, 5), 0);
	ck_assert_int_eq(term_key_to_rfb(&ev, k, 6), 6);
	ev = parse1("\033[I");
	ck_assert_int_eq(term_key_to_rfb(&ev, k, 8), 0);
}
END_TEST

START_TEST(test_mouse_to_rfb)
{
	/* A 1024x768 screen in 160x48 cells: 128 columns of picture, 16
	 * of letterbox each side; a cell is 8x16 pixels. */
	struct render_view v = {160, 48, 1.0, 0, 0};
	struct rfb_pointer p[4];
	struct term_event ev;
	int n, x, y;

	ev = parse1("\033[<0;17;1M"); /* left press in the first picture column */
	n = term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4);
	ck_assert_int_eq(n, 1);
	ck_assert_int_ge(p[0].x, 0);
	ck_assert_int_lt(p[0].x, 8);
	ck_assert_int_lt(p[0].y, 16);
	ck_assert_uint_eq(p[0].mask, 1);

	ev = parse1("\033[<32;81;25M"); /* drag to the middle */
	n = term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4);
	ck_assert_int_eq(n, 1);
	ck_assert(render_cell_to_pixel(1024, 768, &v, 80, 24, &x, &y));
	ck_assert_int_eq(p[0].x, x);
	ck_assert_int_eq(p[0].y, y);
	ck_assert_int_ge(p[0].x, 512 - 8);
	ck_assert_int_le(p[0].x, 512 + 8);
	ck_assert_uint_eq(p[0].mask, 1);

	ev = parse1("\033[<0;81;25m"); /* release */
	ck_assert_int_eq(term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4), 1);
	ck_assert_uint_eq(p[0].mask, 0);

	ev = parse1("\033[<65;81;25M"); /* wheel down: button 5 pressed, released */
	ck_assert_int_eq(term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4), 2);
	ck_assert_uint_eq(p[0].mask, 16);
	ck_assert_uint_eq(p[1].mask, 0);
	ck_assert_int_eq(p[0].x, p[1].x);
	ev = parse1("\033[<64;81;25M"); /* wheel up: button 4 */
	ck_assert_int_eq(term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4), 2);
	ck_assert_uint_eq(p[0].mask, 8);

	/* In the letterbox: a press or a move does nothing... */
	ev = parse1("\033[<0;3;10M");
	ck_assert_int_eq(term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4), 0);
	ev = parse1("\033[<35;3;10M");
	ck_assert_int_eq(term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4), 0);
	ev = parse1("\033[<64;3;10M");
	ck_assert_int_eq(term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4), 0);
	/* ...but a drag out of the picture and the release there reach the
	 * edge, so the guest never sees the button stuck down. */
	ev = parse1("\033[<32;3;10M");
	ck_assert_int_eq(term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4), 1);
	ck_assert_int_eq(p[0].x, 0);
	ck_assert_uint_eq(p[0].mask, 1);
	ev = parse1("\033[<0;3;10m");
	ck_assert_int_eq(term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4), 1);
	ck_assert_int_eq(p[0].x, 0);
	ck_assert_uint_eq(p[0].mask, 0);
	ev = parse1("\033[<0;158;10m"); /* right letterbox */
	ck_assert_int_eq(term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4), 1);
	ck_assert_int_eq(p[0].x, 1023);

	/* Keys are not pointer events. */
	ev = parse1("a");
	ck_assert_int_eq(term_mouse_to_rfb(&ev, &v, 1024, 768, p, 4), 0);
}
END_TEST

static Suite *termkeys_suite(void)
{
	Suite *s = suite_create("termkeys");
	TCase *tp = tcase_create("parse");
	TCase *tr = tcase_create("rfb");

	tcase_add_test(tp, test_text_and_control_keys);
	tcase_add_test(tp, test_escape_and_alt);
	tcase_add_test(tp, test_cursor_editing_and_function_keys);
	tcase_add_test(tp, test_sequences_we_do_not_use_are_ignored);
	tcase_add_test(tp, test_incomplete_sequences_wait_for_more);
	tcase_add_test(tp, test_garbage_never_reads_past_len);
	tcase_add_test(tp, test_sgr_mouse_reports);
	suite_add_tcase(s, tp);
	tcase_add_test(tr, test_keys_to_rfb);
	tcase_add_test(tr, test_keys_to_rfb_all_or_nothing);
	tcase_add_test(tr, test_mouse_to_rfb);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(termkeys_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
