/* i8042 keyboard controller, AT keyboard and PS/2 mouse: answers the way
 * Linux's i8042, atkbd and psmouse drivers expect from real hardware, pulses
 * the reset line, and carries host key/mouse input (VNC) to the guest.
 *
 * One output buffer byte is visible at port 0x60; behind it wait three
 * queues: controller replies (first), keyboard bytes and mouse bytes. A
 * byte is loaded only from a port that is enabled in the command byte.
 * IRQ 1/12 are edge pins: each consumed byte lowers the line before the
 * next byte raises it again, so every byte is its own interrupt.
 *
 * Host key input arrives as set-1 scan codes and is passed on unchanged:
 * right for the usual translated mode (command byte bit 6, Linux's default)
 * and for a keyboard switched to set 1. An untranslated set-2/3 keyboard
 * also gets set-1 codes (not converted). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "i8042.h"
#include "iobus.h"
#include "irqchip.h"
#include "layout.h"

/* Command byte bits. */
#define CTR_KBDINT  0x01
#define CTR_AUXINT  0x02
#define CTR_SYSFLAG 0x04
#define CTR_KBDDIS  0x10
#define CTR_AUXDIS  0x20
#define CTR_XLATE   0x40

/* Status register bits. */
#define STR_OBF	    0x01
#define STR_SYSFLAG 0x04
#define STR_CMDDAT  0x08
#define STR_KEYLOCK 0x10 /* set: keyboard not inhibited */
#define STR_AUXDATA 0x20

#define KBD_ACK	   0xFA
#define KBD_RESEND 0xFE

#define I8042_QUEUE_SIZE 256

struct i8042_queue {
	uint8_t buf[I8042_QUEUE_SIZE];
	unsigned head, len;
};

struct i8042 {
	pthread_mutex_t lock;
	struct io_bus *pio;
	struct irqchip *irq;
	struct i8042_ops ops;

	uint8_t ctr;	    /* command byte */
	uint8_t outport;    /* bit 0: reset line (0 = reset), bit 1: A20 */
	uint8_t pending;    /* controller command waiting for a data byte */
	bool last_was_cmd;  /* status bit 3 */
	uint8_t obuf;	    /* byte at port 0x60 */
	bool obf, obuf_aux; /* buffer full; last byte came from the mouse */
	int kbd_line, aux_line;
	struct i8042_queue ctrlq, kbdq, auxq;

	/* keyboard */
	bool kbd_scanning;
	uint8_t kbd_set;
	uint8_t kbd_pending; /* command waiting for its argument */

	/* mouse */
	bool mouse_reporting, mouse_remote, mouse_scale21, mouse_wrap;
	uint8_t mouse_rate, mouse_res, mouse_id, mouse_pending;
	uint8_t rate_hist[3];
	unsigned mouse_buttons;
};

static bool i8042_q_push(struct i8042_queue *q, const uint8_t *bytes, unsigned n)
{
	if (I8042_QUEUE_SIZE - q->len < n)
		return false; /* all or nothing: never half a packet */
	for (unsigned i = 0; i < n; i++)
		q->buf[(q->head + q->len + i) % I8042_QUEUE_SIZE] = bytes[i];
	q->len += n;
	return true;
}

static uint8_t i8042_q_pop(struct i8042_queue *q)
{
	uint8_t v = q->buf[q->head];

	q->head = (q->head + 1) % I8042_QUEUE_SIZE;
	q->len--;
	return v;
}

static void i8042_q_clear(struct i8042_queue *q)
{
	q->head = q->len = 0;
}

static void i8042_set_line(struct i8042 *s, int *line, uint32_t gsi, int level)
{
	if (*line == level || !s->irq)
		return;
	*line = level;
	s->irq->set_line(s->irq, gsi, level);
}

/* Load the next byte if the buffer is empty, then set both lines. */
static void i8042_update(struct i8042 *s)
{
	if (!s->obf) {
		if (s->ctrlq.len) {
			s->obuf = i8042_q_pop(&s->ctrlq);
			s->obuf_aux = false;
			s->obf = true;
		} else if (s->kbdq.len && !(s->ctr & CTR_KBDDIS)) {
			s->obuf = i8042_q_pop(&s->kbdq);
			s->obuf_aux = false;
			s->obf = true;
		} else if (s->auxq.len && !(s->ctr & CTR_AUXDIS)) {
			s->obuf = i8042_q_pop(&s->auxq);
			s->obuf_aux = true;
			s->obf = true;
		}
	}
	i8042_set_line(s, &s->kbd_line, LAYOUT_GSI_I8042_KBD,
		       s->obf && !s->obuf_aux && (s->ctr & CTR_KBDINT));
	i8042_set_line(s, &s->aux_line, LAYOUT_GSI_I8042_AUX,
		       s->obf && s->obuf_aux && (s->ctr & CTR_AUXINT));
}

static void i8042_ctrl_reply(struct i8042 *s, uint8_t v)
{
	i8042_q_push(&s->ctrlq, &v, 1);
}

static void i8042_kbd_reply(struct i8042 *s, const uint8_t *v, unsigned n)
{
	i8042_q_push(&s->kbdq, v, n);
}

static void i8042_aux_reply(struct i8042 *s, const uint8_t *v, unsigned n)
{
	i8042_q_push(&s->auxq, v, n);
}

/* ---- AT keyboard ---- */

static void i8042_kbd_defaults(struct i8042 *s)
{
	s->kbd_set = 2;
	s->kbd_scanning = true;
	s->kbd_pending = 0;
}

static void i8042_kbd_command(struct i8042 *s, uint8_t v)
{
	uint8_t ack = KBD_ACK;

	if (s->kbd_pending) {
		uint8_t cmd = s->kbd_pending;

		s->kbd_pending = 0;
		if (cmd == 0xF0 && v == 0) {
			/* Report the set; the controller translates it too. */
			static const uint8_t xlated[4] = {0, 0x43, 0x41, 0x3F};
			uint8_t r[2] = {KBD_ACK,
					(s->ctr & CTR_XLATE) ? xlated[s->kbd_set] : s->kbd_set};

			i8042_kbd_reply(s, r, 2);
			return;
		}
		if (cmd == 0xF0 && v >= 1 && v <= 3)
			s->kbd_set = v;
		/* 0xED LEDs and 0xF3 typematic: nothing to show or time. */
		i8042_kbd_reply(s, &ack, 1);
		return;
	}
	switch (v) {
	case 0xFF: { /* reset: ACK, then self-test passed */
		uint8_t r[2] = {KBD_ACK, 0xAA};

		i8042_q_clear(&s->kbdq);
		i8042_kbd_defaults(s);
		i8042_kbd_reply(s, r, 2);
		break;
	}
	case 0xF2: { /* identify: MF2 keyboard; 0x83 reads 0x41 when translated */
		uint8_t r[3] = {KBD_ACK, 0xAB, (s->ctr & CTR_XLATE) ? 0x41 : 0x83};

		i8042_kbd_reply(s, r, 3);
		break;
	}
	case 0xED: /* set LEDs */
	case 0xF3: /* typematic rate */
	case 0xF0: /* scan code set */
		s->kbd_pending = v;
		i8042_kbd_reply(s, &ack, 1);
		break;
	case 0xF4: /* enable scanning */
		s->kbd_scanning = true;
		i8042_kbd_reply(s, &ack, 1);
		break;
	case 0xF5: /* disable scanning, defaults */
		i8042_kbd_defaults(s);
		s->kbd_scanning = false;
		i8042_q_clear(&s->kbdq);
		i8042_kbd_reply(s, &ack, 1);
		break;
	case 0xF6: /* defaults */
		i8042_kbd_defaults(s);
		i8042_kbd_reply(s, &ack, 1);
		break;
	case 0xEE: /* echo */
		i8042_kbd_reply(s, &v, 1);
		break;
	case 0xF7:
	case 0xF8:
	case 0xF9:
	case 0xFA: /* set-3 key modes */
	case 0xFB:
	case 0xFC:
	case 0xFD:
		i8042_kbd_reply(s, &ack, 1);
		break;
	default: {
		uint8_t nak = KBD_RESEND;

		i8042_kbd_reply(s, &nak, 1);
		break;
	}
	}
}

/* ---- PS/2 mouse ---- */

static void i8042_mouse_defaults(struct i8042 *s)
{
	s->mouse_reporting = false;
	s->mouse_remote = false;
	s->mouse_scale21 = false;
	s->mouse_wrap = false;
	s->mouse_rate = 100;
	s->mouse_res = 2; /* 4 counts/mm */
	s->mouse_pending = 0;
}

static unsigned i8042_mouse_packet_len(const struct i8042 *s)
{
	return s->mouse_id >= 3 ? 4 : 3;
}

/* Build one packet with motion clamped to what 9 bits can carry. */
static unsigned i8042_mouse_packet(struct i8042 *s, uint8_t *p, int dx, int dy, int dz)
{
	unsigned b = s->mouse_buttons;

	p[0] = 0x08 | (b & 1 ? 0x01 : 0) | (b & 2 ? 0x02 : 0) | (b & 4 ? 0x04 : 0);
	if (dx < 0)
		p[0] |= 0x10;
	if (dy < 0)
		p[0] |= 0x20;
	p[1] = dx & 0xFF;
	p[2] = dy & 0xFF;
	if (i8042_mouse_packet_len(s) == 4) {
		dz = dz < -8 ? -8 : dz > 7 ? 7 : dz;
		p[3] = dz & (s->mouse_id == 4 ? 0x0F : 0xFF);
	}
	return i8042_mouse_packet_len(s);
}

static void i8042_mouse_command(struct i8042 *s, uint8_t v)
{
	uint8_t ack = KBD_ACK;

	if (s->mouse_wrap && v != 0xEC && v != 0xFF) {
		i8042_aux_reply(s, &v, 1); /* wrap mode echoes */
		return;
	}
	if (s->mouse_pending) {
		uint8_t cmd = s->mouse_pending;

		s->mouse_pending = 0;
		if (cmd == 0xF3) {
			s->mouse_rate = v;
			/* Magic rate sequences unlock the wheel (and 5 buttons). */
			s->rate_hist[0] = s->rate_hist[1];
			s->rate_hist[1] = s->rate_hist[2];
			s->rate_hist[2] = v;
			if (s->rate_hist[0] == 200 && s->rate_hist[1] == 100 && v == 80)
				s->mouse_id = 3;
			else if (s->mouse_id == 3 && s->rate_hist[0] == 200 &&
				 s->rate_hist[1] == 200 && v == 80)
				s->mouse_id = 4;
		} else if (cmd == 0xE8) {
			s->mouse_res = v & 3;
		}
		i8042_aux_reply(s, &ack, 1);
		return;
	}
	switch (v) {
	case 0xFF: { /* reset: ACK, self-test passed, ID */
		uint8_t r[3] = {KBD_ACK, 0xAA, 0x00};

		i8042_q_clear(&s->auxq);
		i8042_mouse_defaults(s);
		s->mouse_id = 0;
		memset(s->rate_hist, 0, sizeof(s->rate_hist));
		i8042_aux_reply(s, r, 3);
		break;
	}
	case 0xF2: { /* identify */
		uint8_t r[2] = {KBD_ACK, s->mouse_id};

		i8042_aux_reply(s, r, 2);
		break;
	}
	case 0xF3: /* sample rate */
	case 0xE8: /* resolution */
		s->mouse_pending = v;
		i8042_aux_reply(s, &ack, 1);
		break;
	case 0xE9: { /* status request */
		uint8_t st = (s->mouse_remote ? 0x40 : 0) | (s->mouse_reporting ? 0x20 : 0) |
			     (s->mouse_scale21 ? 0x10 : 0) | (s->mouse_buttons & 1 ? 0x04 : 0) |
			     (s->mouse_buttons & 4 ? 0x02 : 0) | (s->mouse_buttons & 2 ? 0x01 : 0);
		uint8_t r[4] = {KBD_ACK, st, s->mouse_res, s->mouse_rate};

		i8042_aux_reply(s, r, 4);
		break;
	}
	case 0xEB: { /* read data: one packet without motion */
		uint8_t r[5] = {KBD_ACK};
		unsigned n = i8042_mouse_packet(s, r + 1, 0, 0, 0);

		i8042_aux_reply(s, r, n + 1);
		break;
	}
	case 0xF4:
		s->mouse_reporting = true;
		i8042_aux_reply(s, &ack, 1);
		break;
	case 0xF5:
		s->mouse_reporting = false;
		i8042_aux_reply(s, &ack, 1);
		break;
	case 0xF6:
		i8042_mouse_defaults(s);
		i8042_aux_reply(s, &ack, 1);
		break;
	case 0xE6:
	case 0xE7:
		s->mouse_scale21 = v == 0xE7;
		i8042_aux_reply(s, &ack, 1);
		break;
	case 0xEA:
	case 0xF0:
		s->mouse_remote = v == 0xF0;
		i8042_aux_reply(s, &ack, 1);
		break;
	case 0xEE:
	case 0xEC:
		s->mouse_wrap = v == 0xEE;
		i8042_aux_reply(s, &ack, 1);
		break;
	default: {
		uint8_t nak = KBD_RESEND;

		i8042_aux_reply(s, &nak, 1);
		break;
	}
	}
}

/* ---- controller ---- */

/* Returns true if the reset line was pulsed. */
static bool i8042_write_cmd(struct i8042 *s, uint8_t v)
{
	s->last_was_cmd = true;
	s->pending = 0;
	switch (v) {
	case 0x20: /* read command byte */
		i8042_ctrl_reply(s, s->ctr);
		break;
	case 0x60: /* write command byte */
	case 0xD1: /* write output port */
	case 0xD2: /* write keyboard output buffer */
	case 0xD3: /* write aux output buffer */
	case 0xD4: /* write to aux device */
		s->pending = v;
		break;
	case 0xA7:
		s->ctr |= CTR_AUXDIS;
		break;
	case 0xA8:
		s->ctr &= ~CTR_AUXDIS;
		break;
	case 0xA9: /* aux interface test: OK */
	case 0xAB: /* keyboard interface test: OK */
		i8042_ctrl_reply(s, 0x00);
		break;
	case 0xAA: /* self test: OK */
		s->ctr |= CTR_SYSFLAG;
		i8042_ctrl_reply(s, 0x55);
		break;
	case 0xAD:
		s->ctr |= CTR_KBDDIS;
		break;
	case 0xAE:
		s->ctr &= ~CTR_KBDDIS;
		break;
	case 0xC0: /* read input port */
		i8042_ctrl_reply(s, 0x00);
		break;
	case 0xD0: { /* read output port, with the buffer-full bits */
		uint8_t v2 = s->outport & ~0x30;

		if (s->obf)
			v2 |= s->obuf_aux ? 0x20 : 0x10;
		i8042_ctrl_reply(s, v2);
		break;
	}
	case 0xDD: /* A20 off/on: memory is flat anyway */
	case 0xDF:
		break;
	default:
		/* 0xF0-0xFF pulse output port bits; bit 0 clear pulses reset. */
		if ((v & 0xF0) == 0xF0 && !(v & 0x01))
			return true;
		break;
	}
	return false;
}

static bool i8042_write_data(struct i8042 *s, uint8_t v)
{
	uint8_t cmd = s->pending;

	s->last_was_cmd = false;
	s->pending = 0;
	switch (cmd) {
	case 0x60:
		s->ctr = v;
		break;
	case 0xD1:
		s->outport = v;
		if (!(v & 0x01)) {
			s->outport |= 0x01;
			return true;
		}
		break;
	case 0xD2:
	case 0xD3:
		/* The controller writes these into its output buffer itself,
		 * as if the keyboard (D2) or the mouse (D3) had sent them, so
		 * they appear even while that port is disabled in the command
		 * byte. Linux's MUX probe loops bytes back through D3 with the
		 * AUX port disabled; holding them back until the port was
		 * enabled cost it a polling timeout (1.6 s of a nested boot). */
		s->obuf = v;
		s->obuf_aux = cmd == 0xD3;
		s->obf = true;
		break;
	case 0xD4:
		i8042_mouse_command(s, v);
		break;
	default:
		i8042_kbd_command(s, v);
		break;
	}
	return false;
}

static void i8042_io(struct i8042 *s, bool is_cmd_port, uint8_t *data, bool is_write)
{
	bool reset = false;

	pthread_mutex_lock(&s->lock);
	if (is_write) {
		reset = is_cmd_port ? i8042_write_cmd(s, data[0]) : i8042_write_data(s, data[0]);
	} else if (is_cmd_port) {
		data[0] = (s->obf ? STR_OBF : 0) | (s->ctr & CTR_SYSFLAG ? STR_SYSFLAG : 0) |
			  (s->last_was_cmd ? STR_CMDDAT : 0) | STR_KEYLOCK |
			  (s->obuf_aux ? STR_AUXDATA : 0);
	} else {
		data[0] = s->obuf; /* stale byte if empty, like hardware */
		if (s->obf) {
			s->obf = false;
			/* Lower the line so the next byte is a new edge. */
			i8042_set_line(s, s->obuf_aux ? &s->aux_line : &s->kbd_line,
				       s->obuf_aux ? LAYOUT_GSI_I8042_AUX : LAYOUT_GSI_I8042_KBD,
				       0);
		}
	}
	i8042_update(s);
	pthread_mutex_unlock(&s->lock);
	if (reset && s->ops.reset)
		s->ops.reset(s->ops.opaque);
}

static void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	i8042_io(opaque, false, data, is_write);
}

static void i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	i8042_io(opaque, true, data, is_write);
}

/* ---- host input ---- */

void i8042_queue_key_scancodes(struct i8042 *kbd, const uint8_t *codes, size_t n)
{
	pthread_mutex_lock(&kbd->lock);
	if (kbd->kbd_scanning) {
		for (size_t i = 0; i < n; i++)
			if (!i8042_q_push(&kbd->kbdq, &codes[i], 1))
				break;
		i8042_update(kbd);
	}
	pthread_mutex_unlock(&kbd->lock);
}

void i8042_queue_mouse(struct i8042 *kbd, int dx, int dy, int dz, unsigned buttons)
{
	bool first = true;

	pthread_mutex_lock(&kbd->lock);
	kbd->mouse_buttons = buttons & 7;
	if (!kbd->mouse_reporting || kbd->mouse_remote)
		goto out;
	dy = -dy; /* PS/2 counts up as positive */
	/* Big moves become several packets; a button change alone is one. */
	while (first || dx || dy || dz) {
		int px = dx < -255 ? -255 : dx > 255 ? 255 : dx;
		int py = dy < -255 ? -255 : dy > 255 ? 255 : dy;
		int pz = i8042_mouse_packet_len(kbd) == 4 ? (dz < -8 ? -8 : dz > 7 ? 7 : dz) : 0;
		uint8_t p[4];
		unsigned len = i8042_mouse_packet(kbd, p, px, py, pz);

		if (!i8042_q_push(&kbd->auxq, p, len))
			break;
		dx -= px;
		dy -= py;
		dz = pz ? dz - pz : 0;
		first = false;
	}
	i8042_update(kbd);
out:
	pthread_mutex_unlock(&kbd->lock);
}

void i8042_send_ctrl_alt_del(struct i8042 *kbd)
{
	/* Set 1: Ctrl, Alt, Del (E0 53) down, then up in reverse order. */
	static const uint8_t seq[] = {0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D};

	i8042_queue_key_scancodes(kbd, seq, sizeof(seq));
}

struct i8042 *i8042_new(struct io_bus *pio, struct irqchip *irq, const struct i8042_ops *ops)
{
	struct i8042 *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->pio = pio;
	s->irq = irq;
	if (ops)
		s->ops = *ops;
	/* As firmware leaves it: both ports on with interrupts, translation. */
	s->ctr = CTR_KBDINT | CTR_AUXINT | CTR_SYSFLAG | CTR_XLATE;
	s->outport = 0x03;
	i8042_kbd_defaults(s);
	i8042_mouse_defaults(s);
	if (io_bus_register(pio, LAYOUT_PORT_I8042_DATA, 1, i8042_data_io, s) < 0)
		goto fail;
	if (io_bus_register(pio, LAYOUT_PORT_I8042_CMD, 1, i8042_cmd_io, s) < 0) {
		io_bus_unregister(pio, LAYOUT_PORT_I8042_DATA);
		goto fail;
	}
	return s;
fail:
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

void i8042_free(struct i8042 *kbd)
{
	if (!kbd)
		return;
	io_bus_unregister(kbd->pio, LAYOUT_PORT_I8042_DATA);
	io_bus_unregister(kbd->pio, LAYOUT_PORT_I8042_CMD);
	pthread_mutex_destroy(&kbd->lock);
	free(kbd);
}
