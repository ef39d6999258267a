/* The guest framebuffer: host memory and KVM slot (framebuffer_new), the
 * dirty log, and the pure dirty pages -> changed rectangles scan that
 * lets the VNC server send only what the guest really changed. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "framebuffer.h"
#include "kvm.h"
#include "layout.h"

static int fb_parse_dim(const char **p, uint32_t *out)
{
	uint32_t v = 0;
	int digits = 0;

	while (isdigit((unsigned char)**p)) {
		if (++digits > 5)
			return -EINVAL;
		v = v * 10 + (uint32_t)(**p - '0');
		(*p)++;
	}
	if (!digits)
		return -EINVAL;
	*out = v;
	return 0;
}

int fb_parse_size(const char *s, uint32_t *width, uint32_t *height, char *err, size_t errlen)
{
	const char *p = s;
	uint32_t w, h;

	if (fb_parse_dim(&p, &w) || (*p != 'x' && *p != 'X') || (p++, fb_parse_dim(&p, &h)) || *p) {
		snprintf(err, errlen, "--framebuffer '%s': expected WIDTHxHEIGHT, e.g. 1024x768",
			 s);
		return -EINVAL;
	}
	if (w < FB_MIN_DIM || w > FB_MAX_DIM || h < FB_MIN_DIM || h > FB_MAX_DIM) {
		snprintf(err, errlen,
			 "--framebuffer '%s': width and height must be %d to %d pixels", s,
			 FB_MIN_DIM, FB_MAX_DIM);
		return -EINVAL;
	}
	if ((uint64_t)w * h * FB_BYTES_PER_PIXEL > LAYOUT_FB_MAX_SIZE) {
		snprintf(err, errlen, "--framebuffer '%s': larger than %llu MiB", s,
			 (unsigned long long)(LAYOUT_FB_MAX_SIZE >> 20));
		return -EINVAL;
	}
	*width = w;
	*height = h;
	return 0;
}

struct framebuffer *framebuffer_new(struct kvm_vm *vm, uint32_t width, uint32_t height, char *err,
				    size_t errlen)
{
	struct framebuffer *fb = calloc(1, sizeof(*fb));
	uint64_t bytes = (uint64_t)width * height * FB_BYTES_PER_PIXEL;
	int r;

	if (!fb) {
		snprintf(err, errlen, "framebuffer: out of memory");
		return NULL;
	}
	fb->geo = (struct fb_geometry){
	    .width = width, .height = height, .stride = width * FB_BYTES_PER_PIXEL};
	fb->gpa = LAYOUT_FB_ADDR;
	fb->map_size = (bytes + FB_PAGE_SIZE - 1) / FB_PAGE_SIZE * FB_PAGE_SIZE;
	fb->nr_pages = fb->map_size / FB_PAGE_SIZE;
	if (fb->map_size > LAYOUT_FB_MAX_SIZE) {
		snprintf(err, errlen, "framebuffer %ux%u: larger than the %llu MiB window", width,
			 height, (unsigned long long)(LAYOUT_FB_MAX_SIZE >> 20));
		free(fb);
		return NULL;
	}
	/* NORESERVE and untouched: a screen the guest never drew costs no RAM. */
	fb->pixels = mmap(NULL, fb->map_size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	fb->dirty = calloc((fb->nr_pages + 63) / 64, sizeof(uint64_t));
	if (fb->pixels == MAP_FAILED || !fb->dirty) {
		snprintf(err, errlen, "framebuffer %ux%u: cannot allocate %zu KiB: %s", width,
			 height, fb->map_size >> 10, strerror(errno));
		if (fb->pixels == MAP_FAILED)
			fb->pixels = NULL;
		framebuffer_free(fb);
		return NULL;
	}
	if (vm) {
		r = kvm_vm_add_slot(vm, KVM_SLOT_FRAMEBUFFER, fb->gpa, fb->pixels, fb->map_size,
				    true);
		if (r) {
			snprintf(err, errlen, "framebuffer: KVM refused its memory slot: %s",
				 strerror(-r));
			framebuffer_free(fb);
			return NULL;
		}
		fb->vm = vm;
	}
	return fb;
}

void framebuffer_free(struct framebuffer *fb)
{
	if (!fb)
		return;
	/* The slot goes with the VM fd; the VM is torn down after us. */
	if (fb->pixels)
		munmap(fb->pixels, fb->map_size);
	free(fb->dirty);
	free(fb);
}

int framebuffer_fetch_dirty(struct framebuffer *fb)
{
	if (!fb->vm)
		return -ENODEV;
	return kvm_vm_get_dirty_log(fb->vm, KVM_SLOT_FRAMEBUFFER, fb->dirty);
}

/* --- dirty pages -> rectangles ------------------------------------------- */

static void fb_damage_emit(struct fb_rect *rects, size_t max_rects, size_t *n,
			   const struct fb_rect *band)
{
	struct fb_rect *last;

	if (!max_rects)
		return;
	if (*n < max_rects) {
		rects[(*n)++] = *band;
		return;
	}
	/* Out of room: grow the last rectangle over the rest. */
	last = &rects[max_rects - 1];
	if (band->x1 < last->x1)
		last->x1 = band->x1;
	if (band->y1 < last->y1)
		last->y1 = band->y1;
	if (band->x2 > last->x2)
		last->x2 = band->x2;
	if (band->y2 > last->y2)
		last->y2 = band->y2;
}

/* Compare one row; on a difference give its columns [*x1, *x2) and copy
 * them to the shadow. */
static bool fb_damage_row(const uint32_t *src, uint32_t *shadow, uint32_t width, uint32_t *x1,
			  uint32_t *x2)
{
	uint32_t l = 0, r = width;

	if (!memcmp(src, shadow, (size_t)width * 4))
		return false;
	while (l < width && src[l] == shadow[l])
		l++;
	if (l == width)
		return false; /* the guest changed it back meanwhile */
	while (r > l + 1 && src[r - 1] == shadow[r - 1])
		r--;
	memcpy(shadow + l, src + l, (size_t)(r - l) * 4);
	*x1 = l;
	*x2 = r;
	return true;
}

size_t fb_damage_scan(const struct fb_geometry *geo, const uint64_t *dirty, size_t nr_pages,
		      const uint8_t *fb, uint8_t *shadow, struct fb_rect *rects, size_t max_rects)
{
	struct fb_rect band = {0};
	bool in_band = false;
	uint32_t next_row = 0; /* rows below this were compared already */
	size_t n = 0;

	if (!geo->width || !geo->height || geo->stride < (uint64_t)geo->width * 4)
		return 0;
	for (size_t p = 0; p < nr_pages; p++) {
		uint64_t start = (uint64_t)p * FB_PAGE_SIZE, end = start + FB_PAGE_SIZE;
		uint64_t first, last;

		if (!dirty[p / 64]) {
			p |= 63; /* skip the whole word */
			continue;
		}
		if (!(dirty[p / 64] >> (p % 64) & 1))
			continue;
		first = start / geo->stride;
		last = (end - 1) / geo->stride;
		if (first >= geo->height)
			break;
		if (last >= geo->height)
			last = geo->height - 1;
		if (first < next_row)
			first = next_row; /* a row shared with the previous dirty page */
		for (uint64_t y = first; y <= last; y++) {
			size_t off = (size_t)y * geo->stride;
			uint32_t x1, x2;

			if (!fb_damage_row((const uint32_t *)(fb + off), (uint32_t *)(shadow + off),
					   geo->width, &x1, &x2))
				continue;
			if (in_band && band.y2 == y) {
				band.y2 = (uint32_t)y + 1;
				if (x1 < band.x1)
					band.x1 = x1;
				if (x2 > band.x2)
					band.x2 = x2;
				continue;
			}
			if (in_band)
				fb_damage_emit(rects, max_rects, &n, &band);
			band = (struct fb_rect){x1, (uint32_t)y, x2, (uint32_t)y + 1};
			in_band = true;
		}
		if (last + 1 > next_row)
			next_row = (uint32_t)last + 1;
	}
	if (in_band)
		fb_damage_emit(rects, max_rects, &n, &band);
	return n;
}

static bool fb_all_zero(const uint8_t *p, size_t n)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < n / 8; i++)
		if (w[i])
			return false;
	for (size_t i = n / 8 * 8; i < n; i++)
		if (p[i])
			return false;
	return true;
}

void fb_shadow_sync(const struct fb_geometry *geo, const uint8_t *fb, uint8_t *shadow)
{
	size_t total = (size_t)geo->stride * geo->height;

	for (size_t off = 0; off < total; off += FB_PAGE_SIZE) {
		size_t n = total - off < FB_PAGE_SIZE ? total - off : FB_PAGE_SIZE;

		/* Reading an untouched page maps the shared zero page: free. */
		if (!fb_all_zero(fb + off, n))
			memcpy(shadow + off, fb + off, n);
	}
}
