/* The keysym -> PS/2 set-1 table used for VNC key events: what a guest
 * sees when a viewer types on a US keyboard. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "keysym_ps2.h"

/* Scan code bytes of pressing, then releasing, the key of keysym. */
static size_t press_release(uint32_t keysym, uint8_t out[4])
{
	ps2_key key = keysym_ps2_lookup(keysym);
	size_t n = keysym_ps2_encode(key, true, out);

	return n + keysym_ps2_encode(key, false, out + n);
}

static void assert_codes(uint32_t keysym, const uint8_t *want, size_t n)
{
	uint8_t got[4];

	ck_assert_msg(press_release(keysym, got) == n, "keysym 0x%x: wrong length", keysym);
	ck_assert_msg(!memcmp(got, want, n), "keysym 0x%x: wrong codes", keysym);
}

START_TEST(test_letters_and_digits)
{
	/* "qwerty" row, home row, bottom row: the set-1 layout. */
	static const char row1[] = "qwertyuiop", row2[] = "asdfghjkl", row3[] = "zxcvbnm";

	for (int i = 0; row1[i]; i++)
		assert_codes((uint32_t)row1[i], (uint8_t[]){0x10 + i, 0x90 + i}, 2);
	for (int i = 0; row2[i]; i++)
		assert_codes((uint32_t)row2[i], (uint8_t[]){0x1E + i, 0x9E + i}, 2);
	for (int i = 0; row3[i]; i++)
		assert_codes((uint32_t)row3[i], (uint8_t[]){0x2C + i, 0xAC + i}, 2);
	assert_codes('1', (uint8_t[]){0x02, 0x82}, 2);
	assert_codes('9', (uint8_t[]){0x0A, 0x8A}, 2);
	assert_codes('0', (uint8_t[]){0x0B, 0x8B}, 2);
	assert_codes(' ', (uint8_t[]){0x39, 0xB9}, 2);
}
END_TEST

START_TEST(test_shifted_forms_share_the_key)
{
	static const char lower[] = "abcdefghijklmnopqrstuvwxyz1234567890-=[];'`\\,./";
	static const char upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+{}:\"~|<>?";

	ck_assert_uint_eq(strlen(lower), strlen(upper));
	for (size_t i = 0; lower[i]; i++)
		ck_assert_msg(keysym_ps2_lookup((uint32_t)lower[i]) ==
				  keysym_ps2_lookup((uint32_t)upper[i]),
			      "'%c' and '%c' on different keys", lower[i], upper[i]);
}
END_TEST

START_TEST(test_every_printable_ascii_has_a_distinct_unshifted_key)
{
	static const char lower[] = "abcdefghijklmnopqrstuvwxyz1234567890-=[];'`\\,./ ";
	uint8_t used[KEYSYM_PS2_NR_KEYS] = {0};

	for (uint32_t c = 0x20; c < 0x7f; c++)
		ck_assert_msg(keysym_ps2_lookup(c) != 0, "'%c' has no key", (char)c);
	for (size_t i = 0; lower[i]; i++) {
		ps2_key k = keysym_ps2_lookup((uint32_t)lower[i]);

		ck_assert_msg(!used[k], "'%c' shares a key", lower[i]);
		used[k] = 1;
	}
}
END_TEST

START_TEST(test_special_keys)
{
	assert_codes(0xFF0D, (uint8_t[]){0x1C, 0x9C}, 2); /* Return */
	assert_codes(0xFF08, (uint8_t[]){0x0E, 0x8E}, 2); /* BackSpace */
	assert_codes(0xFF09, (uint8_t[]){0x0F, 0x8F}, 2); /* Tab */
	assert_codes(0xFF1B, (uint8_t[]){0x01, 0x81}, 2); /* Escape */
	assert_codes(0xFFBE, (uint8_t[]){0x3B, 0xBB}, 2); /* F1 */
	assert_codes(0xFFC7, (uint8_t[]){0x44, 0xC4}, 2); /* F10 */
	assert_codes(0xFFC8, (uint8_t[]){0x57, 0xD7}, 2); /* F11 */
	assert_codes(0xFFC9, (uint8_t[]){0x58, 0xD8}, 2); /* F12 */
	assert_codes(0xFFE5, (uint8_t[]){0x3A, 0xBA}, 2); /* Caps_Lock */
	assert_codes(0xFFE1, (uint8_t[]){0x2A, 0xAA}, 2); /* Shift_L */
	assert_codes(0xFFE2, (uint8_t[]){0x36, 0xB6}, 2); /* Shift_R */
	assert_codes(0xFFE3, (uint8_t[]){0x1D, 0x9D}, 2); /* Control_L */
	assert_codes(0xFFE9, (uint8_t[]){0x38, 0xB8}, 2); /* Alt_L */
	/* Keys with the E0 prefix keep it on release too. */
	assert_codes(0xFFE4, (uint8_t[]){0xE0, 0x1D, 0xE0, 0x9D}, 4); /* Control_R */
	assert_codes(0xFFEA, (uint8_t[]){0xE0, 0x38, 0xE0, 0xB8}, 4); /* Alt_R */
	assert_codes(0xFFE7, (uint8_t[]){0xE0, 0x5B, 0xE0, 0xDB}, 4); /* Meta_L */
	assert_codes(0xFFE8, (uint8_t[]){0xE0, 0x5C, 0xE0, 0xDC}, 4); /* Meta_R */
	assert_codes(0xFF52, (uint8_t[]){0xE0, 0x48, 0xE0, 0xC8}, 4); /* Up */
	assert_codes(0xFF54, (uint8_t[]){0xE0, 0x50, 0xE0, 0xD0}, 4); /* Down */
	assert_codes(0xFF51, (uint8_t[]){0xE0, 0x4B, 0xE0, 0xCB}, 4); /* Left */
	assert_codes(0xFF53, (uint8_t[]){0xE0, 0x4D, 0xE0, 0xCD}, 4); /* Right */
	assert_codes(0xFF50, (uint8_t[]){0xE0, 0x47, 0xE0, 0xC7}, 4); /* Home */
	assert_codes(0xFF57, (uint8_t[]){0xE0, 0x4F, 0xE0, 0xCF}, 4); /* End */
	assert_codes(0xFF55, (uint8_t[]){0xE0, 0x49, 0xE0, 0xC9}, 4); /* Page_Up */
	assert_codes(0xFF56, (uint8_t[]){0xE0, 0x51, 0xE0, 0xD1}, 4); /* Page_Down */
	assert_codes(0xFF63, (uint8_t[]){0xE0, 0x52, 0xE0, 0xD2}, 4); /* Insert */
	assert_codes(0xFFFF, (uint8_t[]){0xE0, 0x53, 0xE0, 0xD3}, 4); /* Delete */
}
END_TEST

START_TEST(test_keypad)
{
	/* With Num Lock on or off the keypad keys are the same keys. */
	ck_assert_uint_eq(keysym_ps2_lookup(0xFFB7), keysym_ps2_lookup(0xFF95)); /* 7, Home */
	ck_assert_uint_eq(keysym_ps2_lookup(0xFFB0), 0x52);
	ck_assert_uint_eq(keysym_ps2_lookup(0xFFB5), 0x4C);
	ck_assert_uint_eq(keysym_ps2_lookup(0xFFAB), 0x4E);	      /* + */
	ck_assert_uint_eq(keysym_ps2_lookup(0xFFAD), 0x4A);	      /* - */
	ck_assert_uint_eq(keysym_ps2_lookup(0xFFAA), 0x37);	      /* * */
	assert_codes(0xFFAF, (uint8_t[]){0xE0, 0x35, 0xE0, 0xB5}, 4); /* KP_Divide */
	assert_codes(0xFF8D, (uint8_t[]){0xE0, 0x1C, 0xE0, 0x9C}, 4); /* KP_Enter */
	/* Keypad keys are not the main keys with the same meaning. */
	ck_assert_uint_ne(keysym_ps2_lookup(0xFFB1), keysym_ps2_lookup('1'));
	ck_assert_uint_ne(keysym_ps2_lookup(0xFF8D), keysym_ps2_lookup(0xFF0D));
}
END_TEST

START_TEST(test_ctrl_alt_del_as_ordinary_keys)
{
	/* What the i8042 sends for its own Ctrl-Alt-Del, from three keysyms. */
	static const uint8_t want[] = {0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D};
	uint8_t got[8];
	size_t n = 0;

	n += keysym_ps2_encode(keysym_ps2_lookup(0xFFE3), true, got + n);
	n += keysym_ps2_encode(keysym_ps2_lookup(0xFFE9), true, got + n);
	n += keysym_ps2_encode(keysym_ps2_lookup(0xFFFF), true, got + n);
	n += keysym_ps2_encode(keysym_ps2_lookup(0xFFFF), false, got + n);
	n += keysym_ps2_encode(keysym_ps2_lookup(0xFFE9), false, got + n);
	n += keysym_ps2_encode(keysym_ps2_lookup(0xFFE3), false, got + n);
	ck_assert_uint_eq(n, sizeof(want));
	ck_assert_mem_eq(got, want, sizeof(want));
}
END_TEST

START_TEST(test_unknown_keysyms_are_ignored)
{
	static const uint32_t unknown[] = {
	    0,	    0x1F,   0x7F,   0xA0,    0xE9 /* eacute */, 0x20AC /* EuroSign */,
	    0xFE00, 0xFF00, 0xFFFE, 0x10000, 0x1000041,		0xFFFFFFFF,
	};
	uint8_t out[2] = {0xAA, 0xAA};

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		ck_assert_msg(keysym_ps2_lookup(unknown[i]) == 0, "keysym 0x%x mapped", unknown[i]);
	ck_assert_uint_eq(keysym_ps2_encode(0, true, out), 0);
	/* Out-of-range keys encode to nothing rather than a bogus code. */
	ck_assert_uint_eq(keysym_ps2_encode(0x80, true, out), 0);
	ck_assert_uint_eq(keysym_ps2_encode(KEYSYM_PS2_NR_KEYS, true, out), 0);
	ck_assert_uint_eq(out[0], 0xAA);
}
END_TEST

START_TEST(test_every_mapped_key_encodes)
{
	/* Everything the table maps is a real make code. */
	for (uint32_t ks = 0; ks <= 0xFFFF; ks++) {
		ps2_key k = keysym_ps2_lookup(ks);
		uint8_t out[2];
		size_t n;

		if (!k)
			continue;
		n = keysym_ps2_encode(k, true, out);
		ck_assert_msg(n >= 1 && n <= 2, "keysym 0x%x", ks);
		ck_assert_msg(out[n - 1] >= 0x01 && out[n - 1] < 0x80, "keysym 0x%x", ks);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keysym_ps2");
	TCase *tc = tcase_create("keysym_ps2");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_letters_and_digits);
	tcase_add_test(tc, test_shifted_forms_share_the_key);
	tcase_add_test(tc, test_every_printable_ascii_has_a_distinct_unshifted_key);
	tcase_add_test(tc, test_special_keys);
	tcase_add_test(tc, test_keypad);
	tcase_add_test(tc, test_ctrl_alt_del_as_ordinary_keys);
	tcase_add_test(tc, test_unknown_keysyms_are_ignored);
	tcase_add_test(tc, test_every_mapped_key_encodes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
