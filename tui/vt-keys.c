/* What a key typed on the console screen sends to the guest: the byte
 * sequences of an xterm in normal cursor mode, which is what serial
 * gettys, shells and boot loaders expect. */
#include <string.h>

#include "vt.h"

struct vt_key_seq {
	int key;
	const char *seq;
};

static const struct vt_key_seq vt_key_table[] = {
    {KEY_UP, "\x1b[A"},	       {KEY_DOWN, "\x1b[B"},	{KEY_RIGHT, "\x1b[C"},
    {KEY_LEFT, "\x1b[D"},      {KEY_HOME, "\x1b[H"},	{KEY_END, "\x1b[F"},
    {KEY_IC, "\x1b[2~"},       {KEY_DC, "\x1b[3~"},	{KEY_PPAGE, "\x1b[5~"},
    {KEY_NPAGE, "\x1b[6~"},    {KEY_BTAB, "\x1b[Z"},	{KEY_F(1), "\x1bOP"},
    {KEY_F(2), "\x1bOQ"},      {KEY_F(3), "\x1bOR"},	{KEY_F(4), "\x1bOS"},
    {KEY_F(5), "\x1b[15~"},    {KEY_F(6), "\x1b[17~"},	{KEY_F(7), "\x1b[18~"},
    {KEY_F(8), "\x1b[19~"},    {KEY_F(9), "\x1b[20~"},	{KEY_F(10), "\x1b[21~"},
    {KEY_F(11), "\x1b[23~"},   {KEY_F(12), "\x1b[24~"}, {KEY_SLEFT, "\x1b[1;2D"},
    {KEY_SRIGHT, "\x1b[1;2C"}, {KEY_SR, "\x1b[1;2A"},	{KEY_SF, "\x1b[1;2B"},
    {KEY_SHOME, "\x1b[1;2H"},  {KEY_SEND, "\x1b[1;2F"}, {KEY_SDC, "\x1b[3;2~"},
};

static int vt_key_put(char *buf, size_t len, const char *s, size_t n)
{
	if (n > len)
		return 0;
	memcpy(buf, s, n);
	return (int)n;
}

int vt_key_bytes(int key, char *buf, size_t len)
{
	char c;

	/* With nonl() the Return key arrives as \r; keypad Enter as KEY_ENTER. */
	if (key == KEY_ENTER)
		return vt_key_put(buf, len, "\r", 1);
	/* Terminals disagree on Backspace (^? or ^H); guests expect ^?. */
	if (key == KEY_BACKSPACE || key == 127)
		return vt_key_put(buf, len, "\x7f", 1);
	/* Plain bytes: printable ASCII, UTF-8 bytes (wgetch hands them over
	 * one at a time), control characters including Esc, which also
	 * makes Alt-x (ESC x) arrive as an ESC prefix. */
	if (key >= 0 && key < 256) {
		c = (char)key;
		return vt_key_put(buf, len, &c, 1);
	}
	for (size_t i = 0; i < sizeof(vt_key_table) / sizeof(vt_key_table[0]); i++)
		if (vt_key_table[i].key == key)
			return vt_key_put(buf, len, vt_key_table[i].seq,
					  strlen(vt_key_table[i].seq));
	return 0;
}
