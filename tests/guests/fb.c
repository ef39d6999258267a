/* fb.bin: a bzImage guest for the VNC tests (tests/vnc/vmm-vnc.sh). It
 * reads the EFI framebuffer that boot_params.screen_info describes, paints
 * the known pattern of tests/vnc/fb_pattern.h, and then stays up: it
 * reports every byte the i8042 delivers ("kbd 1e", "aux 08") and takes
 * one-letter commands on COM1:
 *   b        paint the box               -> "fb: painted 2"
 *   r        repaint the whole pattern   -> "fb: painted 1"
 *   sTOKEN\n echo a marker               -> "sync TOKEN"
 *   q        power off                   -> "fb: bye"
 * Everything is polled (no interrupts), so it runs with IF clear. */
#include <stdbool.h>

#include "guest.h"
#include "layout.h"
#include "../vnc/fb_pattern.h"

/* struct screen_info at the start of boot_params (Linux
 * include/uapi/linux/screen_info.h). */
#define SI_ORIG_VIDEO_ISVGA 0x0f
#define SI_LFB_WIDTH	    0x12
#define SI_LFB_HEIGHT	    0x14
#define SI_LFB_DEPTH	    0x16
#define SI_LFB_BASE	    0x18
#define SI_LFB_SIZE	    0x1c
#define SI_LFB_LINELENGTH   0x24
#define SI_RED_SIZE	    0x26 /* then red_pos, green size/pos, blue, rsvd */
#define SI_CAPABILITIES	    0x36
#define SI_EXT_LFB_BASE	    0x3a

#define VIDEO_TYPE_EFI	     0x70
#define VIDEO_CAP_64BIT_BASE 0x02

#define UART_LSR    5
#define UART_LSR_DR 0x01

/* i8042 status bits and commands (what Linux's i8042.c sends). */
#define KBC_STR_OBF	   0x01
#define KBC_STR_IBF	   0x02
#define KBC_STR_AUXDATA	   0x20
#define KBC_CMD_CTL_RCTR   0x20
#define KBC_CMD_CTL_WCTR   0x60
#define KBC_CMD_AUX_ENABLE 0xa8
#define KBC_CMD_KBD_ENABLE 0xae
#define KBC_CMD_AUX_SEND   0xd4
#define KBC_CTR_KBDINT	   0x01
#define KBC_CTR_AUXINT	   0x02
#define KBC_CTR_KBDDIS	   0x10
#define KBC_CTR_AUXDIS	   0x20
#define PS2_ENABLE	   0xf4 /* keyboard: enable scanning; mouse: enable reporting */
#define PS2_ACK		   0xfa
/* Replies come at once from our VMM; the bound only keeps a broken
 * controller from hanging the guest. */
#define KBC_POLLS 100000

#define SYNC_TOKEN_MAX 32

struct fb {
	volatile uint32_t *base;
	unsigned width, height, stride; /* stride in pixels */
};

void bz64_main(const uint8_t *bp);

static uint32_t bp_u32(const uint8_t *bp, unsigned off)
{
	uint32_t v;

	memcpy(&v, bp + off, sizeof(v));
	return v;
}

static uint16_t bp_u16(const uint8_t *bp, unsigned off)
{
	uint16_t v;

	memcpy(&v, bp + off, sizeof(v));
	return v;
}

/* Fill n pixels with one 32-bit value in one instruction: a per-pixel loop
 * costs microseconds an iteration on a software-nested KVM. */
static void fb_fill(volatile uint32_t *dst, uint32_t v, unsigned n)
{
	__asm__ volatile("rep stosl" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
}

/* x8r8g8b8: the 32-bit pixel is 0x00RRGGBB, as fb_pattern.h writes colours. */
static void fb_paint_pattern(const struct fb *fb)
{
	for (unsigned y = 0; y < fb->height; y++) {
		volatile uint32_t *row = fb->base + (uint64_t)y * fb->stride;

		for (unsigned i = 0; i < FB_PATTERN_BARS; i++) {
			unsigned x0 = fb_pattern_bar_x0(i, fb->width);
			unsigned x1 = fb_pattern_bar_x0(i + 1, fb->width);

			fb_fill(row + x0, fb_pattern_bar_rgb[i], x1 - x0);
		}
	}
	for (unsigned y = fb->height - FB_PATTERN_CHECKER; y < fb->height; y++)
		for (unsigned x = fb->width - FB_PATTERN_CHECKER; x < fb->width; x++)
			fb->base[(uint64_t)y * fb->stride + x] =
			    fb_pattern_rgb(x, y, fb->width, fb->height, 0);
	mb();
}

static void fb_paint_box(const struct fb *fb)
{
	for (unsigned y = FB_BOX_Y; y < FB_BOX_Y + FB_BOX_H; y++)
		fb_fill(fb->base + (uint64_t)y * fb->stride + FB_BOX_X, FB_BOX_RGB, FB_BOX_W);
	mb();
}

/* Checks what the loader described; prints it either way so the test log
 * shows what a kernel would have seen. */
static int fb_probe(const uint8_t *bp, struct fb *fb)
{
	const uint8_t *rgb = bp + SI_RED_SIZE;
	uint64_t base = bp_u32(bp, SI_LFB_BASE);
	unsigned type = bp[SI_ORIG_VIDEO_ISVGA];
	unsigned w = bp_u16(bp, SI_LFB_WIDTH), h = bp_u16(bp, SI_LFB_HEIGHT);
	unsigned depth = bp_u16(bp, SI_LFB_DEPTH), line = bp_u16(bp, SI_LFB_LINELENGTH);
	uint32_t size = bp_u32(bp, SI_LFB_SIZE);

	if (bp_u32(bp, SI_CAPABILITIES) & VIDEO_CAP_64BIT_BASE)
		base |= (uint64_t)bp_u32(bp, SI_EXT_LFB_BASE) << 32;
	guest_printf("fb: screen_info type=0x%02x %ux%u depth=%u stride=%u base=0x%llx size=%u "
		     "rgbx=%u/%u,%u/%u,%u/%u,%u/%u\n",
		     type, w, h, depth, line, (unsigned long long)base, (unsigned)size, rgb[0],
		     rgb[1], rgb[2], rgb[3], rgb[4], rgb[5], rgb[6], rgb[7]);
	if (type != VIDEO_TYPE_EFI) {
		serial_puts("fb: error: no EFI framebuffer in screen_info\n");
		return -1;
	}
	if (depth != 32 || rgb[0] != 8 || rgb[1] != 16 || rgb[2] != 8 || rgb[3] != 8 ||
	    rgb[4] != 8 || rgb[5] != 0) {
		serial_puts("fb: error: not a 32-bit x8r8g8b8 framebuffer\n");
		return -1;
	}
	/* The boot page tables identity-map only the first 4 GiB. lfb_size
	 * is only printed: efifb itself tolerates a short one. */
	if (!base || w < FB_PATTERN_MIN_W || h < FB_PATTERN_MIN_H || line < 4 * w || line % 4 ||
	    base + (uint64_t)line * h > 0x100000000ULL) {
		serial_puts("fb: error: framebuffer geometry is unusable\n");
		return -1;
	}
	fb->base = (volatile uint32_t *)(uintptr_t)base;
	fb->width = w;
	fb->height = h;
	fb->stride = line / 4;
	return 0;
}

/* ---- i8042 ---- */

static void kbc_write(uint16_t port, uint8_t v)
{
	for (int i = 0; i < KBC_POLLS && (inb(LAYOUT_PORT_I8042_CMD) & KBC_STR_IBF); i++)
		cpu_relax();
	outb(port, v);
}

/* One byte from the output buffer: 0 (kbd) or 1 (aux), -1 if none came. */
static int kbc_read(uint8_t *v)
{
	for (int i = 0; i < KBC_POLLS; i++) {
		uint8_t st = inb(LAYOUT_PORT_I8042_CMD);

		if (st & KBC_STR_OBF) {
			*v = inb(LAYOUT_PORT_I8042_DATA);
			return st & KBC_STR_AUXDATA ? 1 : 0;
		}
		cpu_relax();
	}
	return -1;
}

static const char *kbc_reply(int from, uint8_t v, int want_from)
{
	if (from < 0)
		return "none";
	if (from != want_from)
		return want_from ? "from-kbd" : "from-aux";
	return v == PS2_ACK ? "ack" : "nak";
}

/* As Linux does: interrupts off in the command byte (we poll), both ports
 * enabled, keyboard scanning on, mouse data reporting on. */
static void kbc_init(void)
{
	uint8_t ctr = 0, v = 0;
	int from;
	const char *kbd, *aux;

	while (inb(LAYOUT_PORT_I8042_CMD) & KBC_STR_OBF)
		inb(LAYOUT_PORT_I8042_DATA);
	kbc_write(LAYOUT_PORT_I8042_CMD, KBC_CMD_CTL_RCTR);
	if (kbc_read(&ctr) < 0)
		serial_puts("i8042: no command byte\n");
	ctr &= ~(KBC_CTR_KBDINT | KBC_CTR_AUXINT | KBC_CTR_KBDDIS | KBC_CTR_AUXDIS);
	kbc_write(LAYOUT_PORT_I8042_CMD, KBC_CMD_CTL_WCTR);
	kbc_write(LAYOUT_PORT_I8042_DATA, ctr);
	kbc_write(LAYOUT_PORT_I8042_CMD, KBC_CMD_KBD_ENABLE);
	kbc_write(LAYOUT_PORT_I8042_CMD, KBC_CMD_AUX_ENABLE);

	kbc_write(LAYOUT_PORT_I8042_DATA, PS2_ENABLE);
	from = kbc_read(&v);
	kbd = kbc_reply(from, v, 0);
	kbc_write(LAYOUT_PORT_I8042_CMD, KBC_CMD_AUX_SEND);
	kbc_write(LAYOUT_PORT_I8042_DATA, PS2_ENABLE);
	from = kbc_read(&v);
	aux = kbc_reply(from, v, 1);
	guest_printf("i8042: ctr=0x%02x keyboard=%s mouse=%s\n", ctr, kbd, aux);
}

/* ---- COM1 commands ---- */

static bool com1_ready(void)
{
	return inb(LAYOUT_PORT_COM1 + UART_LSR) & UART_LSR_DR;
}

static char com1_getc(void)
{
	while (!com1_ready())
		cpu_relax();
	return (char)inb(LAYOUT_PORT_COM1);
}

/* "sTOKEN\n" -> "sync TOKEN": lets a test tell the output that follows
 * its own input from the replay of everything before. */
static void fb_sync(void)
{
	char tok[SYNC_TOKEN_MAX + 1];
	unsigned n = 0;

	for (;;) {
		char c = com1_getc();

		if (c == '\n' || c == '\r')
			break;
		if (n < SYNC_TOKEN_MAX && c > 0x20 && c < 0x7f)
			tok[n++] = c;
	}
	tok[n] = 0;
	guest_printf("sync %s\n", tok);
}

void bz64_main(const uint8_t *bp)
{
	struct fb fb;

	if (!bp || fb_probe(bp, &fb) < 0)
		guest_poweroff();
	fb_paint_pattern(&fb);
	serial_puts("fb: painted 1\n");
	kbc_init();
	serial_puts("fb: ready\n");
	for (;;) {
		uint8_t st = inb(LAYOUT_PORT_I8042_CMD);

		if (st & KBC_STR_OBF) {
			uint8_t v = inb(LAYOUT_PORT_I8042_DATA);

			guest_printf("%s %02x\n", st & KBC_STR_AUXDATA ? "aux" : "kbd", v);
			continue;
		}
		if (!com1_ready()) {
			cpu_relax();
			continue;
		}
		switch (inb(LAYOUT_PORT_COM1)) {
		case 'b':
			fb_paint_box(&fb);
			serial_puts("fb: painted 2\n");
			break;
		case 'r':
			fb_paint_pattern(&fb);
			serial_puts("fb: painted 1\n");
			break;
		case 's':
			fb_sync();
			break;
		case 'q':
			serial_puts("fb: bye\n");
			guest_poweroff();
		default:
			break;
		}
	}
}
