/* What a kitty or sixel terminal shows for the VNC viewer's picture
 * (console/render-gfx.c): the kitty commands are parsed and their base64
 * decoded back to pixels; the sixel image is decoded by a small sixel
 * interpreter here, and both are compared with the source image
 * (letterbox, scaling, chunking, palette, partial bands). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#include "render-gfx.h"

/* ---- images ---- */

struct test_img {
	struct render_image img;
	uint8_t *buf;
};

static void img_new(struct test_img *t, int w, int h)
{
	t->buf = calloc((size_t)w * h, 4);
	ck_assert_ptr_nonnull(t->buf);
	t->img = (struct render_image){t->buf, w, h, 4 * (size_t)w};
}

static void img_set(struct test_img *t, int x, int y, uint32_t rgb)
{
	uint8_t *p = t->buf + (size_t)y * t->img.stride + 4 * (size_t)x;

	p[0] = rgb >> 16;
	p[1] = rgb >> 8;
	p[2] = rgb;
	p[3] = 0x55; /* padding: must not show */
}

static uint32_t img_get(const struct test_img *t, int x, int y)
{
	const uint8_t *p = t->buf + (size_t)y * t->img.stride + 4 * (size_t)x;

	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* ---- kitty: parse the APC commands ---- */

struct kitty_cmd {
	char keys[256];
	const char *payload;
	size_t payload_len;
	int row, col; /* where the cursor was put before it, 0-based */
};

struct kitty_parse {
	struct kitty_cmd cmds[512];
	int n;
};

/* Split into APC G commands and the cursor positioning (CSI row;col H)
 * before them; nothing else may be there. */
static void kitty_parse(const char *s, size_t len, struct kitty_parse *kp)
{
	size_t i = 0;
	int row = -1, col = -1;

	memset(kp, 0, sizeof(*kp));
	while (i < len) {
		struct kitty_cmd *c;
		const char *semi, *end;

		ck_assert_int_eq(s[i], '\033');
		ck_assert_uint_lt(i + 2, len);
		if (s[i + 1] == '[') {
			ck_assert_int_eq(sscanf(s + i, "\033[%d;%dH", &row, &col), 2);
			row--;
			col--;
			i = (size_t)((const char *)memchr(s + i, 'H', len - i) - s) + 1;
			continue;
		}
		ck_assert_int_lt(kp->n, 512);
		c = &kp->cmds[kp->n++];
		c->row = row;
		c->col = col;
		ck_assert_int_eq(s[i + 1], '_');
		ck_assert_int_eq(s[i + 2], 'G');
		i += 3;
		for (end = s + i; end + 1 < s + len && !(end[0] == '\033' && end[1] == '\\'); end++)
			;
		ck_assert(end + 1 < s + len);
		semi = memchr(s + i, ';', (size_t)(end - (s + i)));
		if (!semi)
			semi = end;
		ck_assert_uint_lt((size_t)(semi - (s + i)), sizeof(c->keys));
		memcpy(c->keys, s + i, (size_t)(semi - (s + i)));
		c->payload = semi < end ? semi + 1 : end;
		c->payload_len = (size_t)(end - c->payload);
		i = (size_t)(end - s) + 2;
	}
}

/* The value of key k in "a=T,f=24,...": a number, or a letter's code;
 * -1 when absent. */
static long kitty_key(const struct kitty_cmd *c, const char *k)
{
	char pat[8];
	const char *p = c->keys;
	size_t kl = strlen(k);

	snprintf(pat, sizeof(pat), "%s=", k);
	while (p && *p) {
		if (!strncmp(p, pat, kl + 1))
			return p[kl + 1] >= '0' && p[kl + 1] <= '9' ? strtol(p + kl + 1, NULL, 10)
								    : p[kl + 1];
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return -1;
}

static int b64_val(char ch)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = ch ? strchr(a, ch) : NULL;

	return p ? (int)(p - a) : -1;
}

/* One transmitted image: its first command's keys and position, and the
 * decoded payload of all its chunks. */
struct kitty_image {
	const struct kitty_cmd *first;
	int chunks;
	uint8_t *data;
	size_t len;
};

/* Group the commands into images (a=T, then chunks until m=0). Returns
 * how many; the caller frees each data. */
static int kitty_images(const struct kitty_parse *kp, struct kitty_image *im, int max)
{
	int n = 0, i = 0;

	while (i < kp->n) {
		struct kitty_image *k;
		size_t total = 0, o = 0;
		int j = i;

		if (kitty_key(&kp->cmds[i], "a") != 'T') {
			i++; /* deletes and the like */
			continue;
		}
		ck_assert_int_lt(n, max);
		k = &im[n++];
		/* The chunks: all but the last say m=1; later ones say only m. */
		while (kitty_key(&kp->cmds[j], "m") == 1) {
			j++;
			ck_assert_int_lt(j, kp->n);
			ck_assert_int_eq(kitty_key(&kp->cmds[j], "a"), -1);
			ck_assert_int_eq(kitty_key(&kp->cmds[j], "i"), -1);
		}
		ck_assert_int_eq(kitty_key(&kp->cmds[j], "m"), 0);
		k->first = &kp->cmds[i];
		k->chunks = j - i + 1;
		for (int c = i; c <= j; c++)
			total += kp->cmds[c].payload_len;
		k->data = malloc(total / 4 * 3 + 3);
		ck_assert_ptr_nonnull(k->data);
		for (int c = i; c <= j; c++) {
			const char *p = kp->cmds[c].payload;

			/* Chunks are at most 4096 bytes of whole base64 groups. */
			ck_assert_uint_le(kp->cmds[c].payload_len, 4096);
			ck_assert_uint_eq(kp->cmds[c].payload_len % 4, 0);
			for (size_t q = 0; q < kp->cmds[c].payload_len; q += 4) {
				int v[4];

				for (int b = 0; b < 4; b++) {
					v[b] = p[q + b] == '=' ? 0 : b64_val(p[q + b]);
					ck_assert_int_ge(v[b], 0);
				}
				k->data[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
				if (p[q + 2] != '=')
					k->data[o++] = (uint8_t)(v[1] << 4 | v[2] >> 2);
				if (p[q + 3] != '=')
					k->data[o++] = (uint8_t)(v[2] << 6 | v[3]);
			}
		}
		k->len = o;
		if (kitty_key(k->first, "o") == 'z') {
#ifdef HAVE_ZLIB
			uLongf rawlen =
			    (uLongf)kitty_key(k->first, "s") * (uLongf)kitty_key(k->first, "v") * 3;
			uint8_t *raw = malloc(rawlen + 1);

			ck_assert_ptr_nonnull(raw);
			ck_assert_int_eq(uncompress(raw, &rawlen, k->data, k->len), Z_OK);
			free(k->data);
			k->data = raw;
			k->len = rawlen;
#else
			ck_abort_msg("o=z from a build without zlib");
#endif
		}
		/* RGB of exactly the size the keys give. */
		ck_assert_int_eq(kitty_key(k->first, "f"), 24);
		ck_assert_uint_eq(k->len, (size_t)kitty_key(k->first, "s") *
					      (size_t)kitty_key(k->first, "v") * 3);
		i = j + 1;
	}
	return n;
}

static void kitty_images_free(struct kitty_image *im, int n)
{
	for (int i = 0; i < n; i++)
		free(im[i].data);
}

static uint32_t rgb_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

START_TEST(kitty_small_image_decodes_to_its_pixels)
{
	static const uint32_t colors[8] = {0xff0000, 0x00ff00, 0x0000ff, 0xffffff,
					   0x123456, 0xabcdef, 0x000000, 0x808080};
	struct render_view v = {.cols = 2, .rows = 1, .zoom = 1, .cx = 2, .cy = 1};
	struct render_gfx g = {0};
	struct render_out out = {0};
	static struct kitty_parse kp;
	struct kitty_image im[4];
	struct test_img t;
	long len;

	img_new(&t, 4, 2);
	for (int i = 0; i < 8; i++)
		img_set(&t, i % 4, i / 4, colors[i]);
	/* Cells of 2x2 pixels: the area is exactly the image. */
	len = render_gfx_frame(&g, RENDER_GFX_KITTY, &t.img, &v, 2, 2, 3, 5, true, &out);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq((long)out.len, len);
	kitty_parse(out.data, out.len, &kp);
	ck_assert_int_eq(kitty_images(&kp, im, 4), 1);
	ck_assert_int_eq(im[0].first->row, 3);
	ck_assert_int_eq(im[0].first->col, 5);
	ck_assert_int_eq(kitty_key(im[0].first, "s"), 4);
	ck_assert_int_eq(kitty_key(im[0].first, "v"), 2);
	ck_assert_int_eq(kitty_key(im[0].first, "c"), 2);
	ck_assert_int_eq(kitty_key(im[0].first, "r"), 1);
	ck_assert_int_eq(kitty_key(im[0].first, "i"), RENDER_GFX_KITTY_ID);
	ck_assert_int_eq(kitty_key(im[0].first, "q"), 2); /* no replies to read */
	ck_assert_int_eq(kitty_key(im[0].first, "C"), 1); /* the cursor stays */
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(rgb_at(im[0].data + 3 * i), colors[i]);
	kitty_images_free(im, 1);
	free(t.buf);
	render_out_free(&out);
	render_gfx_free(&g);
}
END_TEST

START_TEST(kitty_large_image_is_chunked)
{
	struct render_view v = {.cols = 30, .rows = 10, .zoom = 1, .cx = 150, .cy = 100};
	struct render_gfx g = {0};
	struct render_out out = {0};
	static struct kitty_parse kp;
	struct kitty_image im[1];
	struct test_img t;
	int w, h;

	img_new(&t, 300, 200);
	for (int y = 0; y < 200; y++)
		for (int x = 0; x < 300; x++)
			img_set(&t, x, y,
				(uint32_t)(x * 7 + y * 3) << 8 | ((uint32_t)(x ^ y) & 0xff));
	/* 30x10 cells of 10x20 pixels: 300x200, the image at 1:1. */
	render_gfx_size(RENDER_GFX_KITTY, 300, 200, &v, 10, 20, &w, &h);
	ck_assert_int_eq(w, 300);
	ck_assert_int_eq(h, 200);
	ck_assert_int_eq(render_gfx_scale(&g, &t.img, &v, w, h), 0);
	ck_assert_int_gt(render_gfx_kitty(g.px, w, h, 77, 0, 0, 30, 10, &out), 0);
	kitty_parse(out.data, out.len, &kp);
	ck_assert_int_eq(kitty_images(&kp, im, 1), 1);
	/* 300*200*3 bytes are 240000 base64 characters, 59 chunks; fewer
	 * when compressed, but more than one either way. */
	ck_assert_int_gt(im[0].chunks, 1);
	ck_assert_int_le(im[0].chunks, (240000 + 4095) / 4096);
	ck_assert_int_eq(kitty_key(im[0].first, "i"), 77);
	for (int y = 0; y < 200; y++)
		for (int x = 0; x < 300; x++)
			ck_assert_uint_eq(rgb_at(im[0].data + 3 * ((size_t)y * 300 + x)),
					  img_get(&t, x, y));
	kitty_images_free(im, 1);
	free(t.buf);
	render_out_free(&out);
	render_gfx_free(&g);
}
END_TEST

START_TEST(kitty_letterbox_is_black_and_picture_centred)
{
	/* A 4x4 white image in 4x2 cells of 2x2 pixels: an 8x4 area, the
	 * picture in columns 2..5, black bars left and right; one image per
	 * cell row, placed on its row. */
	struct render_view v = {.cols = 4, .rows = 2, .zoom = 1, .cx = 2, .cy = 2};
	struct render_gfx g = {0};
	struct render_out out = {0};
	static struct kitty_parse kp;
	struct kitty_image im[4];
	struct test_img t;

	img_new(&t, 4, 4);
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 4; x++)
			img_set(&t, x, y, 0xffffff);
	ck_assert_int_gt(render_gfx_frame(&g, RENDER_GFX_KITTY, &t.img, &v, 2, 2, 0, 0, true, &out),
			 0);
	kitty_parse(out.data, out.len, &kp);
	ck_assert_int_eq(kitty_images(&kp, im, 4), 2);
	for (int r = 0; r < 2; r++) {
		ck_assert_int_eq(im[r].first->row, r);
		ck_assert_int_eq(kitty_key(im[r].first, "i"), RENDER_GFX_KITTY_ID + r);
		ck_assert_int_eq(kitty_key(im[r].first, "s"), 8);
		ck_assert_int_eq(kitty_key(im[r].first, "v"), 2);
		ck_assert_int_eq(kitty_key(im[r].first, "c"), 4);
		ck_assert_int_eq(kitty_key(im[r].first, "r"), 1);
		for (int y = 0; y < 2; y++)
			for (int x = 0; x < 8; x++)
				ck_assert_uint_eq(rgb_at(im[r].data + 3 * (y * 8 + x)),
						  x >= 2 && x < 6 ? 0xffffffu : 0u);
	}
	kitty_images_free(im, 2);
	free(t.buf);
	render_out_free(&out);
	render_gfx_free(&g);
}
END_TEST

START_TEST(kitty_small_screen_is_not_blown_up)
{
	/* A 64x48 screen in a 100x50-cell window of 1000x1000 pixels: sent
	 * at 8 pixel rows per cell row (the terminal scales it to the
	 * cells), 400x400 in all, not 1000x1000, the aspect kept. */
	struct render_view v = {.cols = 100, .rows = 50, .zoom = 1, .cx = 32, .cy = 24};
	struct render_gfx g = {0};
	struct render_out out = {0};
	static struct kitty_parse kp;
	static struct kitty_image im[64];
	struct test_img t;
	int n;

	img_new(&t, 64, 48);
	ck_assert_int_gt(
	    render_gfx_frame(&g, RENDER_GFX_KITTY, &t.img, &v, 10, 20, 0, 0, true, &out), 0);
	kitty_parse(out.data, out.len, &kp);
	n = kitty_images(&kp, im, 64);
	ck_assert_int_eq(n, 50);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(kitty_key(im[i].first, "s"), 400);
		ck_assert_int_eq(kitty_key(im[i].first, "v"), 8);
		ck_assert_int_eq(kitty_key(im[i].first, "c"), 100);
		ck_assert_int_eq(kitty_key(im[i].first, "r"), 1);
	}
	kitty_images_free(im, n);
	free(t.buf);
	render_out_free(&out);
	render_gfx_free(&g);
}
END_TEST

START_TEST(kitty_only_changed_rows_are_resent_and_deleted_at_the_end)
{
	struct render_view v = {.cols = 8, .rows = 4, .zoom = 1, .cx = 8, .cy = 4};
	struct render_gfx g = {0};
	struct render_out out = {0};
	static struct kitty_parse kp;
	struct kitty_image im[4];
	struct test_img t;

	img_new(&t, 16, 8);
	ck_assert_int_gt(
	    render_gfx_frame(&g, RENDER_GFX_KITTY, &t.img, &v, 2, 2, 0, 0, false, &out), 0);
	/* Nothing changed: nothing sent. */
	out.len = 0;
	ck_assert_int_eq(
	    render_gfx_frame(&g, RENDER_GFX_KITTY, &t.img, &v, 2, 2, 0, 0, false, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	/* One pixel in cell row 2 (pixel rows 4-5): that row's image only. */
	img_set(&t, 9, 5, 0x00ff00);
	ck_assert_int_gt(
	    render_gfx_frame(&g, RENDER_GFX_KITTY, &t.img, &v, 2, 2, 0, 0, false, &out), 0);
	kitty_parse(out.data, out.len, &kp);
	ck_assert_int_eq(kitty_images(&kp, im, 4), 1);
	ck_assert_int_eq(im[0].first->row, 2);
	ck_assert_int_eq(kitty_key(im[0].first, "i"), RENDER_GFX_KITTY_ID + 2);
	ck_assert_uint_eq(rgb_at(im[0].data + 3 * (1 * 16 + 9)), 0x00ff00);
	ck_assert_uint_eq(rgb_at(im[0].data + 3 * (1 * 16 + 8)), 0);
	kitty_images_free(im, 1);
	/* Leaving: every row's image is deleted, data too (d=I). */
	out.len = 0;
	ck_assert_int_gt(render_gfx_kitty_delete(&g, &out), 0);
	kitty_parse(out.data, out.len, &kp);
	ck_assert_int_eq(kp.n, 4);
	for (int r = 0; r < 4; r++) {
		ck_assert_int_eq(kitty_key(&kp.cmds[r], "a"), 'd');
		ck_assert_int_eq(kitty_key(&kp.cmds[r], "d"), 'I');
		ck_assert_int_eq(kitty_key(&kp.cmds[r], "i"), RENDER_GFX_KITTY_ID + r);
	}
	out.len = 0;
	ck_assert_int_eq(render_gfx_kitty_delete(&g, &out), 0);
	free(t.buf);
	render_out_free(&out);
	render_gfx_free(&g);
}
END_TEST

/* ---- sixel: a small interpreter ---- */

struct sixel_canvas {
	int w, h;
	int ncolors;	   /* registers defined */
	uint32_t reg[256]; /* percent triples packed as r<<16|g<<8|b */
	int32_t *px;	   /* register per pixel, -1 never painted */
	int bands;
	char prefix[64];
};

static int six_num(const char *s, size_t len, size_t *i)
{
	int v = 0;

	ck_assert_uint_lt(*i, len);
	ck_assert(s[*i] >= '0' && s[*i] <= '9');
	while (*i < len && s[*i] >= '0' && s[*i] <= '9')
		v = v * 10 + (s[(*i)++] - '0');
	return v;
}

static void sixel_decode(const char *s, size_t len, struct sixel_canvas *c)
{
	size_t i = 0;
	int x = 0, y = 0, cur = -1;

	memset(c, 0, sizeof(*c));
	while (i < len && s[i] != '\033')
		i++;
	/* cursor positioning first, then DCS */
	ck_assert(i + 1 < len && s[i + 1] == '[');
	while (i < len && !(s[i] == '\033' && s[i + 1] == 'P')) {
		ck_assert_uint_lt(i, sizeof(c->prefix) - 1);
		c->prefix[i] = s[i];
		i++;
	}
	ck_assert_uint_lt(i + 2, len);
	i += 2;
	ck_assert(!memcmp(s + i, "0;1;0q", 6)); /* zero bits transparent */
	i += 6;
	ck_assert_int_eq(s[i], '"');
	i++;
	ck_assert_int_eq(six_num(s, len, &i), 1); /* square pixels */
	ck_assert_int_eq(s[i++], ';');
	ck_assert_int_eq(six_num(s, len, &i), 1);
	ck_assert_int_eq(s[i++], ';');
	c->w = six_num(s, len, &i);
	ck_assert_int_eq(s[i++], ';');
	c->h = six_num(s, len, &i);
	c->px = malloc(sizeof(*c->px) * (size_t)c->w * c->h);
	ck_assert_ptr_nonnull(c->px);
	for (int k = 0; k < c->w * c->h; k++)
		c->px[k] = -1;
	c->bands = 1;
	while (i < len) {
		char ch = s[i];
		int rep = 1;

		if (ch == '\033') {
			ck_assert_uint_eq(i + 2, len); /* ST ends everything */
			ck_assert_int_eq(s[i + 1], '\\');
			return;
		}
		i++;
		if (ch == '#') {
			int n = six_num(s, len, &i);

			ck_assert_int_lt(n, 256);
			if (s[i] == ';') {
				int rgb[3];

				i++;
				ck_assert_int_eq(six_num(s, len, &i), 2); /* RGB */
				for (int k = 0; k < 3; k++) {
					ck_assert_int_eq(s[i++], ';');
					rgb[k] = six_num(s, len, &i);
					ck_assert_int_le(rgb[k], 100);
				}
				c->reg[n] = (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
				if (n + 1 > c->ncolors)
					c->ncolors = n + 1;
			} else {
				ck_assert_int_lt(n, c->ncolors);
				cur = n;
			}
			continue;
		}
		if (ch == '$') {
			x = 0;
			continue;
		}
		if (ch == '-') {
			x = 0;
			y += 6;
			c->bands++;
			ck_assert_int_lt(y, c->h);
			continue;
		}
		if (ch == '!') {
			rep = six_num(s, len, &i);
			ch = s[i++];
		}
		ck_assert_msg(ch >= '?' && ch <= '~', "unexpected byte %d in sixel data", ch);
		ck_assert_int_ge(cur, 0);
		for (int r = 0; r < rep; r++, x++) {
			int bits = ch - '?';

			ck_assert_int_lt(x, c->w);
			for (int b = 0; b < 6; b++)
				if (bits & 1 << b) {
					/* Nothing below the picture is painted. */
					ck_assert_int_lt(y + b, c->h);
					c->px[(y + b) * c->w + x] = cur;
				}
		}
	}
	ck_abort_msg("sixel image without ST");
}

static uint32_t pct3(uint32_t rgb)
{
	uint32_t out = 0;

	for (int k = 2; k >= 0; k--)
		out |= (((rgb >> (8 * k) & 0xff) * 100 + 127) / 255) << (8 * k);
	return out;
}

START_TEST(sixel_few_colours_exact)
{
	/* 12x8 pixel art of four colours; 6x4 cells of 2x2 pixels. */
	static const uint32_t colors[4] = {0xff0000, 0x00c000, 0x2040ff, 0xf0f0f0};
	struct render_view v = {.cols = 6, .rows = 4, .zoom = 1, .cx = 6, .cy = 4};
	struct render_gfx g = {0};
	struct render_out out = {0};
	struct sixel_canvas c;
	struct test_img t;

	img_new(&t, 12, 8);
	for (int y = 0; y < 8; y++)
		for (int x = 0; x < 12; x++)
			img_set(&t, x, y, colors[(x / 3 + y * y) % 4]);
	ck_assert_int_gt(render_gfx_frame(&g, RENDER_GFX_SIXEL, &t.img, &v, 2, 2, 1, 2, true, &out),
			 0);
	sixel_decode(out.data, out.len, &c);
	ck_assert_str_eq(c.prefix, "\033[2;3H");
	ck_assert_int_eq(c.w, 12);
	ck_assert_int_eq(c.h, 8);
	ck_assert_int_eq(c.bands, 2); /* 6 rows, then a partial band of 2 */
	ck_assert_int_eq(c.ncolors, 4);
	for (int y = 0; y < 8; y++)
		for (int x = 0; x < 12; x++) {
			int r = c.px[y * 12 + x];

			ck_assert_msg(r >= 0, "pixel %d,%d not painted", x, y);
			ck_assert_uint_eq(c.reg[r], pct3(img_get(&t, x, y)));
		}
	free(c.px);
	free(t.buf);
	render_out_free(&out);
	render_gfx_free(&g);
}
END_TEST

START_TEST(sixel_letterbox_and_scaling)
{
	/* A 4x2 image, left half red, right half blue, in 8x2 cells of 2x2
	 * pixels (16x4): scaled 2x to 8x4 and centred; bars are black. */
	struct render_view v = {.cols = 8, .rows = 2, .zoom = 1, .cx = 2, .cy = 1};
	struct render_gfx g = {0};
	struct render_out out = {0};
	struct sixel_canvas c;
	struct test_img t;

	img_new(&t, 4, 2);
	for (int y = 0; y < 2; y++)
		for (int x = 0; x < 4; x++)
			img_set(&t, x, y, x < 2 ? 0xff0000 : 0x0000ff);
	ck_assert_int_gt(render_gfx_frame(&g, RENDER_GFX_SIXEL, &t.img, &v, 2, 2, 0, 0, true, &out),
			 0);
	sixel_decode(out.data, out.len, &c);
	ck_assert_int_eq(c.w, 16);
	ck_assert_int_eq(c.h, 4);
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 16; x++) {
			int r = c.px[y * 16 + x];
			uint32_t want = x < 4 || x >= 12 ? 0
					: x < 8		 ? pct3(0xff0000)
							 : pct3(0x0000ff);

			ck_assert_int_ge(r, 0);
			ck_assert_uint_eq(c.reg[r], want);
		}
	free(c.px);
	free(t.buf);
	render_out_free(&out);
	render_gfx_free(&g);
}
END_TEST

START_TEST(sixel_many_colours_quantised_close)
{
	/* A smooth 96x60 gradient has thousands of colours: at most 256
	 * registers, every pixel painted, none far from its source. */
	struct render_view v = {.cols = 48, .rows = 30, .zoom = 1, .cx = 48, .cy = 30};
	struct render_gfx g = {0};
	struct render_out out = {0};
	struct sixel_canvas c;
	struct test_img t;
	int worst = 0;

	img_new(&t, 96, 60);
	for (int y = 0; y < 60; y++)
		for (int x = 0; x < 96; x++)
			img_set(&t, x, y,
				(uint32_t)(x * 255 / 95) << 16 | (uint32_t)(y * 255 / 59) << 8 |
				    (uint32_t)((x + y) * 255 / 154));
	ck_assert_int_gt(render_gfx_frame(&g, RENDER_GFX_SIXEL, &t.img, &v, 2, 2, 0, 0, true, &out),
			 0);
	sixel_decode(out.data, out.len, &c);
	ck_assert_int_eq(c.w, 96);
	ck_assert_int_eq(c.h, 60);
	ck_assert_int_le(c.ncolors, 256);
	ck_assert_int_gt(c.ncolors, 128); /* the palette is used, not a few greys */
	for (int y = 0; y < 60; y++)
		for (int x = 0; x < 96; x++) {
			int r = c.px[y * 96 + x];
			uint32_t want = pct3(img_get(&t, x, y));

			ck_assert_int_ge(r, 0);
			for (int k = 0; k < 3; k++) {
				int d = abs((int)(c.reg[r] >> (8 * k) & 0xff) -
					    (int)(want >> (8 * k) & 0xff));

				worst = d > worst ? d : worst;
			}
		}
	/* 256 colours over a 3-D gradient: within 10% per channel. */
	ck_assert_int_le(worst, 10);
	free(c.px);
	free(t.buf);
	render_out_free(&out);
	render_gfx_free(&g);
}
END_TEST

START_TEST(sixel_only_changed_rows_are_resent)
{
	/* 8x4 cells of 2x3 pixels (odd): a 16x12 image at 1:1. */
	struct render_view v = {.cols = 8, .rows = 4, .zoom = 1, .cx = 8, .cy = 6};
	struct render_gfx g = {0};
	struct render_out out = {0};
	struct sixel_canvas c;
	struct test_img t;

	img_new(&t, 16, 12);
	for (int y = 0; y < 12; y++)
		for (int x = 0; x < 16; x++)
			img_set(&t, x, y, 0x404040);
	ck_assert_int_gt(
	    render_gfx_frame(&g, RENDER_GFX_SIXEL, &t.img, &v, 2, 3, 0, 0, false, &out), 0);
	sixel_decode(out.data, out.len, &c);
	ck_assert_int_eq(c.w, 16);
	ck_assert_int_eq(c.h, 12);
	free(c.px);
	out.len = 0;
	ck_assert_int_eq(
	    render_gfx_frame(&g, RENDER_GFX_SIXEL, &t.img, &v, 2, 3, 0, 0, false, &out), 0);
	/* Pixel rows 7 and 8 are cell row 2: a 16x3 strip drawn there. */
	img_set(&t, 3, 7, 0xff0000);
	img_set(&t, 4, 8, 0x0000ff);
	ck_assert_int_gt(
	    render_gfx_frame(&g, RENDER_GFX_SIXEL, &t.img, &v, 2, 3, 5, 0, false, &out), 0);
	sixel_decode(out.data, out.len, &c);
	ck_assert_str_eq(c.prefix, "\033[8;1H"); /* row 5 + 2, 1-based */
	ck_assert_int_eq(c.w, 16);
	ck_assert_int_eq(c.h, 3);
	for (int y = 0; y < 3; y++)
		for (int x = 0; x < 16; x++) {
			int r = c.px[y * 16 + x];

			ck_assert_int_ge(r, 0);
			ck_assert_uint_eq(c.reg[r], pct3(img_get(&t, x, 6 + y)));
		}
	free(c.px);
	free(t.buf);
	render_out_free(&out);
	render_gfx_free(&g);
}
END_TEST

START_TEST(sixel_size_is_the_cell_area)
{
	struct render_view v = {.cols = 128, .rows = 38, .zoom = 1, .cx = 512, .cy = 384};
	int w, h;

	render_gfx_size(RENDER_GFX_SIXEL, 1024, 768, &v, 10, 20, &w, &h);
	ck_assert_int_eq(w, 1280);
	ck_assert_int_eq(h, 760);
	/* Odd cell sizes too: whole cells, 37 rows of 17 pixels. */
	v.rows = 37;
	render_gfx_size(RENDER_GFX_SIXEL, 1024, 768, &v, 9, 17, &w, &h);
	ck_assert_int_eq(w, 1152);
	ck_assert_int_eq(h, 629);
}
END_TEST

START_TEST(gfx_scale_matches_the_cell_renderer)
{
	/* The pixels are the samples render_image gives for the pixel view
	 * (so clicks, mapped through that view, land where they appear):
	 * fit, letterbox, zoom and pan, odd heights, up and down scaling. */
	struct render_gfx g = {0};
	struct render_grid grid = {0};
	struct test_img t;

	srand(5);
	img_new(&t, 97, 61);
	for (int y = 0; y < 61; y++)
		for (int x = 0; x < 97; x++)
			img_set(&t, x, y, (uint32_t)rand() & 0xffffff);
	for (int i = 0; i < 200; i++) {
		int w = 1 + rand() % 250, h = 1 + rand() % 150;
		struct render_view v = {.cols = 1 + rand() % 40,
					.rows = 1 + rand() % 20,
					.zoom = 1 + rand() % 6,
					.cx = rand() % 97,
					.cy = rand() % 61};
		struct render_view pv = render_gfx_pixel_view(&v, w, h);

		ck_assert_int_eq(render_gfx_scale(&g, &t.img, &v, w, h), 0);
		ck_assert_int_eq(render_grid_resize(&grid, pv.cols, pv.rows), 0);
		render_image(&t.img, &pv, RENDER_COLORS_TRUE, &grid);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				const struct render_cell *c = &grid.cells[(y / 2) * w + x];

				/* (ck_assert per pixel is too slow here) */
				if (g.px[y * w + x] != (y & 1 ? c->bg : c->fg))
					ck_abort_msg("case %d (%dx%d, view %dx%d zoom %g): pixel "
						     "%d,%d is %06x, the cells say %06x",
						     i, w, h, v.cols, v.rows, v.zoom, x, y,
						     g.px[y * w + x], y & 1 ? c->bg : c->fg);
			}
	}
	render_grid_free(&grid);
	free(t.buf);
	render_gfx_free(&g);
}
END_TEST

START_TEST(gfx_mouse_maps_through_pixel_view)
{
	/* The click in the right-most picture cell lands on the image's
	 * right edge, one in the letterbox does not land. */
	struct render_view v = {.cols = 8, .rows = 2, .zoom = 1, .cx = 2, .cy = 1};
	struct render_view pv;
	int w, h, x, y;

	render_gfx_size(RENDER_GFX_SIXEL, 4, 2, &v, 2, 2, &w, &h);
	pv = render_gfx_pixel_view(&v, w, h);
	ck_assert(render_cell_to_pixel(4, 2, &pv, 5 * w / 8 + 1, (1 * h / 2 + 1) / 2, &x, &y));
	ck_assert_int_eq(x, 3);
	ck_assert_int_eq(y, 1);
	ck_assert(!render_cell_to_pixel(4, 2, &pv, 0 * w / 8 + 1, 0, &x, &y));
}
END_TEST

static Suite *gfx_suite(void)
{
	Suite *s = suite_create("render_gfx");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, kitty_small_image_decodes_to_its_pixels);
	tcase_add_test(tc, kitty_large_image_is_chunked);
	tcase_add_test(tc, kitty_letterbox_is_black_and_picture_centred);
	tcase_add_test(tc, kitty_small_screen_is_not_blown_up);
	tcase_add_test(tc, kitty_only_changed_rows_are_resent_and_deleted_at_the_end);
	tcase_add_test(tc, sixel_few_colours_exact);
	tcase_add_test(tc, sixel_letterbox_and_scaling);
	tcase_add_test(tc, sixel_many_colours_quantised_close);
	tcase_add_test(tc, sixel_only_changed_rows_are_resent);
	tcase_add_test(tc, sixel_size_is_the_cell_area);
	tcase_add_test(tc, gfx_scale_matches_the_cell_renderer);
	tcase_add_test(tc, gfx_mouse_maps_through_pixel_view);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gfx_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
