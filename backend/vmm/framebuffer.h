/* The guest's linear framebuffer (32 bpp x8r8g8b8 at LAYOUT_FB_ADDR): its
 * host memory, its KVM memory slot with dirty-page logging, and the
 * dirty pages -> changed rectangles computation the VNC server sends. */
#ifndef VIRTTY_VMM_FRAMEBUFFER_H
#define VIRTTY_VMM_FRAMEBUFFER_H

#include <stddef.h>
#include <stdint.h>

struct kvm_vm;

#define FB_MIN_DIM	   64
#define FB_MAX_DIM	   4096
#define FB_BYTES_PER_PIXEL 4
#define FB_PAGE_SIZE	   4096u /* granule of KVM's dirty log */

struct fb_geometry {
	uint32_t width, height; /* pixels */
	uint32_t stride;	/* bytes per line, >= 4 * width */
};

/* A changed area: x2/y2 exclusive (like rfbMarkRectAsModified). */
struct fb_rect {
	uint32_t x1, y1, x2, y2;
};

struct framebuffer {
	struct fb_geometry geo;
	uint64_t gpa;	   /* LAYOUT_FB_ADDR */
	uint8_t *pixels;   /* host mapping, geo.stride * geo.height bytes used */
	size_t map_size;   /* mapping size: a whole number of pages */
	size_t nr_pages;   /* map_size / FB_PAGE_SIZE */
	uint64_t *dirty;   /* KVM_GET_DIRTY_LOG bitmap, one bit per page */
	struct kvm_vm *vm; /* NULL when not registered with KVM (tests) */
};

/* Parse "WxH" (strict decimal) and check 64..4096 each and that the
 * framebuffer fits LAYOUT_FB_MAX_SIZE. 0 or -EINVAL with a message that
 * names the option. */
int fb_parse_size(const char *s, uint32_t *width, uint32_t *height, char *err, size_t errlen);

/* Map width x height pixels of anonymous memory (pages become resident
 * only once the guest writes them) and register it with KVM as its own
 * memory slot at LAYOUT_FB_ADDR with dirty logging. It is not guest RAM:
 * no device can DMA into it. NULL with err filled on failure. */
struct framebuffer *framebuffer_new(struct kvm_vm *vm, uint32_t width, uint32_t height, char *err,
				    size_t errlen);
void framebuffer_free(struct framebuffer *fb);

/* Fetch and clear KVM's dirty log into fb->dirty. 0 or -errno. */
int framebuffer_fetch_dirty(struct framebuffer *fb);

/* Pages of the dirty bitmap (bit p of dirty[p / 64]: bytes
 * [p * 4096, (p + 1) * 4096) of the framebuffer) -> rectangles of pixels
 * that really differ between fb and shadow. Only rows touched by a dirty
 * page are compared. Changed rows are grouped in bands of consecutive
 * changed rows; each band gives one rectangle (its rows, and the minimum
 * and maximum changed column). The changed pixels are copied to shadow.
 * When more than max_rects bands exist the last rectangle covers the
 * rest. Returns the number of rectangles written. Pure: no I/O. */
size_t fb_damage_scan(const struct fb_geometry *geo, const uint64_t *dirty, size_t nr_pages,
		      const uint8_t *fb, uint8_t *shadow, struct fb_rect *rects, size_t max_rects);

/* Copy fb into a zero-filled shadow without touching the shadow pages
 * that stay zero (so an undrawn screen costs no resident memory). */
void fb_shadow_sync(const struct fb_geometry *geo, const uint8_t *fb, uint8_t *shadow);

#endif
