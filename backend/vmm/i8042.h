/* i8042 keyboard controller with an AT keyboard and a PS/2 mouse: enough
 * for Linux's i8042/atkbd/psmouse drivers, the reset line and host input. */
#ifndef VIRTTY_VMM_I8042_H
#define VIRTTY_VMM_I8042_H

#include <stddef.h>
#include <stdint.h>

struct io_bus;
struct irqchip;
struct i8042;

struct i8042_ops {
	/* The guest pulsed the reset line (command 0xFE, or output port
	 * bit 0 cleared). Called on a vCPU thread with the device unlocked. */
	void (*reset)(void *opaque);
	void *opaque;
};

/* Claims ports 0x60 and 0x64; interrupts on GSI 1 (keyboard) and 12 (aux).
 * NULL on failure (ports taken, ENOMEM). ops may be NULL. */
struct i8042 *i8042_new(struct io_bus *pio, struct irqchip *irq, const struct i8042_ops *ops);
void i8042_free(struct i8042 *kbd);

/* Host input, from any thread (the VNC server). Key events come as set-1
 * scan codes (make codes, break = make | 0x80, 0xE0 prefixes included);
 * they are dropped while the guest has keyboard scanning disabled. */
void i8042_queue_key_scancodes(struct i8042 *kbd, const uint8_t *codes, size_t n);
/* Relative motion: dx right, dy down (screen directions), dz wheel steps
 * (positive = towards the user, i.e. scroll down; needs the guest to have
 * enabled the IntelliMouse wheel). buttons: bit 0 left, 1 right, 2 middle. */
void i8042_queue_mouse(struct i8042 *kbd, int dx, int dy, int dz, unsigned buttons);
/* Ctrl-Alt-Del pressed and released. */
void i8042_send_ctrl_alt_del(struct i8042 *kbd);

#endif
