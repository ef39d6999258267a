/* The framebuffer's dirty pages -> changed rectangles scan (what a VNC
 * viewer is sent), the shadow copy, and --framebuffer size parsing. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "framebuffer.h"

/* A guest framebuffer with the dirty log KVM would keep for it. */
struct fake_fb {
	struct fb_geometry geo;
	size_t bytes, nr_pages;
	uint8_t *fb, *shadow;
	uint64_t *dirty;
};

static void fake_init(struct fake_fb *f, uint32_t w, uint32_t h)
{
	f->geo = (struct fb_geometry){.width = w, .height = h, .stride = w * 4};
	f->bytes = (size_t)f->geo.stride * h;
	f->nr_pages = (f->bytes + FB_PAGE_SIZE - 1) / FB_PAGE_SIZE;
	/* Page-rounded like the real mapping. */
	f->fb = calloc(f->nr_pages, FB_PAGE_SIZE);
	f->shadow = calloc(f->nr_pages, FB_PAGE_SIZE);
	f->dirty = calloc((f->nr_pages + 63) / 64 + 1, sizeof(uint64_t));
	ck_assert(f->fb && f->shadow && f->dirty);
}

static void fake_free(struct fake_fb *f)
{
	free(f->fb);
	free(f->shadow);
	free(f->dirty);
}

/* The guest writes a pixel: KVM marks its page dirty. */
static void fake_put(struct fake_fb *f, uint32_t x, uint32_t y, uint32_t px)
{
	size_t off = (size_t)y * f->geo.stride + (size_t)x * 4;

	memcpy(f->fb + off, &px, 4);
	f->dirty[off / FB_PAGE_SIZE / 64] |= 1ULL << (off / FB_PAGE_SIZE % 64);
}

static void fake_fill(struct fake_fb *f, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		      uint32_t px)
{
	for (uint32_t j = y; j < y + h; j++)
		for (uint32_t i = x; i < x + w; i++)
			fake_put(f, i, j, px);
}

/* Scan like the VNC server's tick: fetch (and clear) the log, scan. */
static size_t fake_scan(struct fake_fb *f, struct fb_rect *rects, size_t max)
{
	size_t n = fb_damage_scan(&f->geo, f->dirty, f->nr_pages, f->fb, f->shadow, rects, max);

	memset(f->dirty, 0, ((f->nr_pages + 63) / 64) * sizeof(uint64_t));
	return n;
}

static void assert_rect(const struct fb_rect *r, uint32_t x1, uint32_t y1, uint32_t x2, uint32_t y2)
{
	ck_assert_uint_eq(r->x1, x1);
	ck_assert_uint_eq(r->y1, y1);
	ck_assert_uint_eq(r->x2, x2);
	ck_assert_uint_eq(r->y2, y2);
}

START_TEST(test_single_pixel)
{
	struct fake_fb f;
	struct fb_rect r[8];

	fake_init(&f, 1024, 768);
	fake_put(&f, 700, 300, 0x00FF0000);
	ck_assert_uint_eq(fake_scan(&f, r, 8), 1);
	assert_rect(&r[0], 700, 300, 701, 301);
	ck_assert_mem_eq(f.shadow, f.fb, f.bytes);
	/* Told once: the next tick has nothing to send. */
	ck_assert_uint_eq(fake_scan(&f, r, 8), 0);
	fake_free(&f);
}
END_TEST

START_TEST(test_rewrite_same_value_sends_nothing)
{
	struct fake_fb f;
	struct fb_rect r[8];

	fake_init(&f, 800, 600);
	fake_fill(&f, 0, 0, 800, 600, 0); /* every page dirty, nothing changed */
	ck_assert_uint_eq(fake_scan(&f, r, 8), 0);
	fake_free(&f);
}
END_TEST

START_TEST(test_only_dirty_pages_are_compared)
{
	struct fake_fb f;
	struct fb_rect r[8];

	fake_init(&f, 1024, 768);
	/* Changed behind KVM's back: not in the log, so not looked at. */
	f.fb[100 * 4096 + 8] = 0x42;
	ck_assert_uint_eq(fake_scan(&f, r, 8), 0);
	fake_free(&f);
}
END_TEST

START_TEST(test_drawn_rectangle_is_one_rect)
{
	struct fake_fb f;
	struct fb_rect r[8];

	/* 640 px = 2560 bytes per line: lines straddle page boundaries. */
	fake_init(&f, 640, 480);
	fake_fill(&f, 10, 20, 100, 50, 0x0000FF00);
	ck_assert_uint_eq(fake_scan(&f, r, 8), 1);
	assert_rect(&r[0], 10, 20, 110, 70);
	ck_assert_mem_eq(f.shadow, f.fb, f.bytes);
	fake_free(&f);
}
END_TEST

START_TEST(test_line_across_page_boundary)
{
	struct fake_fb f;
	struct fb_rect r[8];

	/* Line 1 is bytes 2560..5119: pages 0 and 1. Its last pixel is in
	 * page 1 only, the rest of the line in page 0. */
	fake_init(&f, 640, 480);
	fake_put(&f, 639, 1, 0xFFFFFF);
	ck_assert_uint_eq(fake_scan(&f, r, 8), 1);
	assert_rect(&r[0], 639, 1, 640, 2);
	fake_put(&f, 0, 1, 0xFFFFFF);
	fake_put(&f, 639, 1, 0x000001);
	ck_assert_uint_eq(fake_scan(&f, r, 8), 1);
	assert_rect(&r[0], 0, 1, 640, 2);
	fake_free(&f);
}
END_TEST

START_TEST(test_separate_changes_separate_rects)
{
	struct fake_fb f;
	struct fb_rect r[8];

	fake_init(&f, 1024, 768);
	fake_fill(&f, 5, 10, 3, 2, 0x123456);	 /* top left */
	fake_fill(&f, 900, 700, 4, 4, 0x654321); /* bottom right */
	ck_assert_uint_eq(fake_scan(&f, r, 8), 2);
	assert_rect(&r[0], 5, 10, 8, 12);
	assert_rect(&r[1], 900, 700, 904, 704);
	fake_free(&f);
}
END_TEST

START_TEST(test_too_many_bands_merge_into_last)
{
	struct fake_fb f;
	struct fb_rect r[2];

	fake_init(&f, 256, 256);
	for (uint32_t i = 0; i < 5; i++)
		fake_put(&f, 10 + i * 20, 10 + i * 40, 0xABCDEF);
	ck_assert_uint_eq(fake_scan(&f, r, 2), 2);
	assert_rect(&r[0], 10, 10, 11, 11);
	assert_rect(&r[1], 30, 50, 91, 171); /* covers the other four */
	ck_assert_mem_eq(f.shadow, f.fb, f.bytes);
	fake_free(&f);
}
END_TEST

START_TEST(test_last_partial_page)
{
	struct fake_fb f;
	struct fb_rect r[4];

	/* 100x100x4 = 40000 bytes: the last of 10 pages is partly outside. */
	fake_init(&f, 100, 100);
	fake_put(&f, 99, 99, 0x1);
	/* Bits beyond the last page must be ignored. */
	f.dirty[0] |= ~0ULL << f.nr_pages;
	ck_assert_uint_eq(fake_scan(&f, r, 4), 1);
	assert_rect(&r[0], 99, 99, 100, 100);
	fake_free(&f);
}
END_TEST

/* Random drawing: after each scan every changed pixel lies in a reported
 * rectangle, the shadow equals the screen, and each rectangle is tight
 * (a change on its top and bottom line, and in its first and last column). */
START_TEST(test_random_drawing_is_covered_exactly)
{
	struct fake_fb f;
	struct fb_rect r[16];
	uint8_t *before;
	unsigned seed = 12345;

	fake_init(&f, 333, 211);
	before = malloc(f.bytes);
	ck_assert_ptr_nonnull(before);
	for (int round = 0; round < 50; round++) {
		int strokes = rand_r(&seed) % 6;
		size_t n;

		memcpy(before, f.fb, f.bytes);
		for (int s = 0; s < strokes; s++) {
			uint32_t w = 1 + rand_r(&seed) % 40, h = 1 + rand_r(&seed) % 30;
			uint32_t x = rand_r(&seed) % (f.geo.width - w);
			uint32_t y = rand_r(&seed) % (f.geo.height - h);

			fake_fill(&f, x, y, w, h, (uint32_t)rand_r(&seed) & 3);
		}
		n = fake_scan(&f, r, 16);
		ck_assert_mem_eq(f.shadow, f.fb, f.bytes);
		for (uint32_t y = 0; y < f.geo.height; y++)
			for (uint32_t x = 0; x < f.geo.width; x++) {
				size_t off = (size_t)y * f.geo.stride + x * 4;
				bool covered = false;

				if (!memcmp(before + off, f.fb + off, 4))
					continue;
				for (size_t i = 0; i < n; i++)
					covered |= x >= r[i].x1 && x < r[i].x2 && y >= r[i].y1 &&
						   y < r[i].y2;
				ck_assert_msg(covered, "round %d: change at %u,%u not sent", round,
					      x, y);
			}
		for (size_t i = 0; i < n && n < 16; i++) {
			bool top = false, bottom = false, left = false, right = false;

			ck_assert(r[i].x1 < r[i].x2 && r[i].y1 < r[i].y2);
			ck_assert(r[i].x2 <= f.geo.width && r[i].y2 <= f.geo.height);
			for (uint32_t y = r[i].y1; y < r[i].y2; y++)
				for (uint32_t x = r[i].x1; x < r[i].x2; x++) {
					size_t off = (size_t)y * f.geo.stride + x * 4;

					if (!memcmp(before + off, f.fb + off, 4))
						continue;
					top |= y == r[i].y1;
					bottom |= y == r[i].y2 - 1;
					left |= x == r[i].x1;
					right |= x == r[i].x2 - 1;
				}
			ck_assert_msg(top && bottom && left && right,
				      "round %d: rect %zu not tight", round, i);
		}
	}
	free(before);
	fake_free(&f);
}
END_TEST

/* A viewer connecting to a screen the guest never drew must not make the
 * VMM resident by a framebuffer's worth of shadow. */
START_TEST(test_shadow_sync_skips_blank_pages)
{
	struct fb_geometry geo = {.width = 1024, .height = 768, .stride = 4096};
	size_t bytes = (size_t)geo.stride * geo.height, pages = bytes / 4096, resident = 0;
	uint8_t *fb = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *shadow =
	    mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *vec = malloc(pages);

	ck_assert(fb != MAP_FAILED && shadow != MAP_FAILED && vec);
	fb[5 * 4096 + 17] = 0x80;
	fb[700 * 4096] = 0x01;
	fb_shadow_sync(&geo, fb, shadow);
	/* Before reading the shadow below, which maps the zero page. */
	ck_assert_int_eq(mincore(shadow, bytes, vec), 0);
	for (size_t i = 0; i < pages; i++)
		resident += vec[i] & 1;
	ck_assert_uint_eq(resident, 2);
	ck_assert_mem_eq(shadow, fb, bytes);
	munmap(fb, bytes);
	munmap(shadow, bytes);
	free(vec);
}
END_TEST

START_TEST(test_parse_size)
{
	static const char *const bad[] = {
	    "",		"x",	     "1024",	  "1024x",     "x768",		"1024x768x",
	    "1024*768", "-1024x768", "1024x-768", " 1024x768", "1024x768 ",	"63x768",
	    "1024x63",	"4097x768",  "1024x4097", "0x0",       "99999999999x1",
	};
	uint32_t w = 0, h = 0;
	char err[256];

	ck_assert_int_eq(fb_parse_size("1024x768", &w, &h, err, sizeof(err)), 0);
	ck_assert_uint_eq(w, 1024);
	ck_assert_uint_eq(h, 768);
	ck_assert_int_eq(fb_parse_size("64X4096", &w, &h, err, sizeof(err)), 0);
	ck_assert_uint_eq(w, 64);
	ck_assert_uint_eq(h, 4096);
	ck_assert_int_eq(fb_parse_size("4096x4096", &w, &h, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ck_assert_msg(fb_parse_size(bad[i], &w, &h, err, sizeof(err)) == -EINVAL,
			      "'%s' accepted", bad[i]);
		ck_assert_msg(strstr(err, "--framebuffer"), "'%s': message '%s'", bad[i], err);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fb_damage");
	TCase *tc = tcase_create("fb_damage");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_single_pixel);
	tcase_add_test(tc, test_rewrite_same_value_sends_nothing);
	tcase_add_test(tc, test_only_dirty_pages_are_compared);
	tcase_add_test(tc, test_drawn_rectangle_is_one_rect);
	tcase_add_test(tc, test_line_across_page_boundary);
	tcase_add_test(tc, test_separate_changes_separate_rects);
	tcase_add_test(tc, test_too_many_bands_merge_into_last);
	tcase_add_test(tc, test_last_partial_page);
	tcase_add_test(tc, test_random_drawing_is_covered_exactly);
	tcase_add_test(tc, test_shadow_sync_skips_blank_pages);
	tcase_add_test(tc, test_parse_size);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
