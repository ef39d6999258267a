/* libFuzzer target: the terminal VNC viewer's input parser
 * (console/termkeys.c) on hostile terminal bytes. The input is the byte
 * stream from the terminal; its first byte picks how it is cut into
 * reads. Parsing must never read past what it was given, must always
 * progress once no more bytes are coming, and the RFB events it leads to
 * must be sane: every key pressed is released (modifiers too) and every
 * pointer event lands inside the guest's screen. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../console/termkeys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IMG_W 800
#define IMG_H 600

static void check_event(const struct term_event *ev, const struct render_view *v)
{
	struct rfb_key keys[16];
	struct rfb_pointer ptr[4];
	int n, down = 0;

	switch (ev->kind) {
	case TERM_EV_KEY:
		if (ev->keysym == 0 || ev->mods > 15)
			abort();
		n = term_key_to_rfb(ev, keys, 16);
		if (n < 2 || n % 2)
			abort();
		for (int i = 0; i < n; i++) {
			down += keys[i].down ? 1 : -1;
			if (down < 0)
				abort();
			/* Releases mirror the presses. */
			if (!keys[i].down && keys[i].keysym != keys[n - 1 - i].keysym)
				abort();
		}
		if (down)
			abort();
		break;
	case TERM_EV_MOUSE:
		if (ev->col < 0 || ev->row < 0 || ev->buttons > 7 || ev->wheel < -1 ||
		    ev->wheel > 1)
			abort();
		n = term_mouse_to_rfb(ev, v, IMG_W, IMG_H, ptr, 4);
		if (n < 0 || n > 2)
			abort();
		for (int i = 0; i < n; i++)
			if (ptr[i].x < 0 || ptr[i].x >= IMG_W || ptr[i].y < 0 || ptr[i].y >= IMG_H)
				abort();
		break;
	case TERM_EV_IGNORED:
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct render_view v = {100, 30, 1.0, 0, 0};
	unsigned split;
	uint8_t *pending;
	size_t have = 0, off = 0;

	if (size < 1)
		return 0;
	split = data[0];
	data++;
	size--;
	v.zoom = 1.0 + (split >> 4);
	v.cx = (split & 0xf) * 60.0;
	v.cy = (split & 0xf) * 45.0;
	/* The viewer's read buffer: exactly as large as what has arrived,
	 * so ASan catches a read past it. */
	pending = malloc(size + 1);
	if (!pending)
		return 0;
	while (off < size || have) {
		size_t chunk = 1 + (split & 7) * 3, used = 0;
		bool final;
		uint8_t *buf;

		if (chunk > size - off)
			chunk = size - off;
		memcpy(pending + have, data + off, chunk);
		have += chunk;
		off += chunk;
		final = off >= size;
		buf = malloc(have ? have : 1);
		if (!buf)
			break;
		memcpy(buf, pending, have);
		for (;;) {
			struct term_event ev;
			size_t n = term_parse_event(buf + used, have - used, final, &ev);

			if (n > have - used)
				abort();
			if (!n)
				break;
			check_event(&ev, &v);
			used += n;
			if (used == have)
				break;
		}
		if (final && used != have)
			abort(); /* no more bytes coming: everything must be used */
		free(buf);
		memmove(pending, pending + used, have - used);
		have -= used;
		if (final)
			break;
	}
	free(pending);
	return 0;
}
