/* Unit tests for the legacy port-I/O devices, driven through a real io_bus:
 * the 16550A model (with a null chardev) and the i8042 controller. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "chardev.h"
#include "i8042.h"
#include "iobus.h"
#include "irqchip.h"
#include "layout.h"
#include "serial8250.h"

struct irq_recorder {
	struct irqchip chip;
	int level[LAYOUT_NR_GSI];
	int rising[LAYOUT_NR_GSI];
};

static int recorder_set_line(struct irqchip *chip, uint32_t gsi, int level)
{
	struct irq_recorder *r = (struct irq_recorder *)chip;

	ck_assert_uint_lt(gsi, LAYOUT_NR_GSI);
	if (level && !r->level[gsi])
		r->rising[gsi]++;
	r->level[gsi] = level;
	return 0;
}

static struct io_bus bus;
static struct irq_recorder rec;
static struct chardev *cd;
static struct serial8250 *uart;

static void setup(void)
{
	io_bus_init(&bus, "pio");
	memset(&rec, 0, sizeof(rec));
	rec.chip.set_line = recorder_set_line;
	cd = chardev_new_null(0);
	ck_assert_ptr_nonnull(cd);
	uart = serial8250_new(&bus, LAYOUT_PORT_COM1, &rec.chip, LAYOUT_GSI_COM1, cd);
	ck_assert_ptr_nonnull(uart);
}

static void teardown(void)
{
	serial8250_free(uart);
	chardev_free(cd);
	io_bus_destroy(&bus);
}

static uint8_t inb(unsigned reg)
{
	uint8_t v = 0;

	ck_assert(io_bus_access(&bus, LAYOUT_PORT_COM1 + reg, &v, 1, false));
	return v;
}

static void outb(unsigned reg, uint8_t v)
{
	ck_assert(io_bus_access(&bus, LAYOUT_PORT_COM1 + reg, &v, 1, true));
}

START_TEST(test_idle_lsr)
{
	ck_assert_uint_eq(inb(5), 0x60);
	ck_assert_uint_eq(inb(2), 0x01); /* no interrupt, FIFOs off */
	outb(2, 0x01);
	ck_assert_uint_eq(inb(2), 0xC1); /* FIFOs on */
	ck_assert_int_eq(rec.level[LAYOUT_GSI_COM1], 0);
}
END_TEST

START_TEST(test_thr_reaches_chardev)
{
	const char *msg = "Linux version 6.1\r\n";
	uint8_t got[64];
	size_t n;

	for (const char *p = msg; *p; p++)
		outb(0, *p);
	n = chardev_replay_copy(cd, got, sizeof(got));
	ck_assert_uint_eq(n, strlen(msg));
	ck_assert_mem_eq(got, msg, n);
	ck_assert_uint_eq(inb(5), 0x60); /* transmitted at once */
}
END_TEST

START_TEST(test_rx_sets_dr_and_interrupts)
{
	ck_assert_uint_eq(chardev_push_input(cd, (const uint8_t *)"ok", 2), 2);
	ck_assert_uint_eq(inb(5) & 0x01, 0x01);
	/* Not enabled yet: no interrupt. */
	ck_assert_int_eq(rec.level[LAYOUT_GSI_COM1], 0);
	outb(1, 0x01); /* ERBFI */
	ck_assert_int_eq(rec.level[LAYOUT_GSI_COM1], 1);
	ck_assert_uint_eq(inb(2) & 0x0F, 0x04);
	ck_assert_uint_eq(inb(0), 'o');
	ck_assert_uint_eq(inb(0), 'k');
	ck_assert_uint_eq(inb(5), 0x60);
	ck_assert_uint_eq(inb(2) & 0x0F, 0x01);
	ck_assert_int_eq(rec.level[LAYOUT_GSI_COM1], 0);
	/* More input after the line dropped: a fresh rising edge. */
	chardev_push_input(cd, (const uint8_t *)"x", 1);
	ck_assert_int_eq(rec.rising[LAYOUT_GSI_COM1], 2);
}
END_TEST

START_TEST(test_rx_fifo_timeout_and_trigger)
{
	outb(2, 0xC1); /* FIFO on, trigger level 14 */
	outb(1, 0x01);
	chardev_push_input(cd, (const uint8_t *)"abc", 3);
	ck_assert_uint_eq(inb(2), 0xCC); /* fewer than 14: timeout interrupt */
	chardev_push_input(cd, (const uint8_t *)"defghijklmnop", 13);
	ck_assert_uint_eq(inb(2), 0xC4); /* trigger level reached */
}
END_TEST

START_TEST(test_input_backpressure)
{
	static uint8_t big[10000];
	size_t took;

	memset(big, 'p', sizeof(big));
	took = chardev_push_input(cd, big, sizeof(big));
	ck_assert_uint_gt(took, 16);
	ck_assert_uint_lt(took, sizeof(big)); /* the rest waits in the chardev */
	for (size_t i = 0; i < took; i++)
		ck_assert_uint_eq(inb(0), 'p');
	ck_assert_uint_eq(inb(5) & 0x01, 0);
	ck_assert_uint_eq(chardev_push_input(cd, big, 100), 100);
}
END_TEST

START_TEST(test_thre_interrupt)
{
	outb(2, 0x01);
	outb(1, 0x02); /* ETBEI with THR empty: interrupt at once */
	ck_assert_int_eq(rec.level[LAYOUT_GSI_COM1], 1);
	ck_assert_uint_eq(inb(2), 0xC2);
	/* Reading IIR acknowledged it. */
	ck_assert_uint_eq(inb(2), 0xC1);
	ck_assert_int_eq(rec.level[LAYOUT_GSI_COM1], 0);
	outb(0, 'a'); /* after a transmit THR is empty again */
	ck_assert_uint_eq(inb(2), 0xC2);
	outb(1, 0x00);
	ck_assert_int_eq(rec.level[LAYOUT_GSI_COM1], 0);
}
END_TEST

START_TEST(test_loopback)
{
	uint8_t got[8];

	outb(4, 0x10 | 0x08 | 0x02);		/* LOOP | OUT2 | RTS: Linux's probe */
	ck_assert_uint_eq(inb(6) & 0xF0, 0x90); /* DCD | CTS */
	outb(0, 'Z');
	ck_assert_uint_eq(inb(5) & 0x01, 0x01);
	ck_assert_uint_eq(inb(0), 'Z');
	ck_assert_uint_eq(chardev_replay_copy(cd, got, sizeof(got)), 0); /* not sent */
	/* Input from outside waits while the line is looped back. */
	ck_assert_uint_eq(chardev_push_input(cd, (const uint8_t *)"q", 1), 0);
	outb(4, 0x1F);
	ck_assert_uint_eq(inb(6) & 0xF0, 0xF0);
	outb(4, 0x00);
	ck_assert_uint_eq(inb(6) & 0xF0, 0xB0); /* modem present again */
	ck_assert_uint_eq(chardev_push_input(cd, (const uint8_t *)"q", 1), 1);
}
END_TEST

START_TEST(test_divisor_latch)
{
	uint8_t got[8];

	outb(3, 0x83);
	outb(0, 0x0C);
	outb(1, 0x00);
	ck_assert_uint_eq(inb(0), 0x0C);
	ck_assert_uint_eq(inb(1), 0x00);
	outb(3, 0x03);
	ck_assert_uint_eq(inb(1), 0x00); /* IER untouched by the DLM write */
	outb(0, 'A');
	ck_assert_uint_eq(chardev_replay_copy(cd, got, sizeof(got)), 1);
	ck_assert_uint_eq(got[0], 'A');
	outb(3, 0x83);
	ck_assert_uint_eq(inb(0), 0x0C);
	ck_assert_uint_eq(inb(3), 0x83);
}
END_TEST

START_TEST(test_fifo_clear)
{
	outb(2, 0x01);
	chardev_push_input(cd, (const uint8_t *)"abc", 3);
	ck_assert_uint_eq(inb(5) & 0x01, 1);
	outb(2, 0x03); /* clear RX FIFO */
	ck_assert_uint_eq(inb(5) & 0x01, 0);
	ck_assert_uint_eq(inb(2), 0xC1);
}
END_TEST

/* The order of accesses of Linux's autoconfig(): it must find a 16550A. */
START_TEST(test_linux_autoconfig_sees_16550a)
{
	uint8_t save_lcr, s2, s3;

	outb(1, 0);
	s2 = inb(1) & 0x0F;
	outb(1, 0x0F);
	s3 = inb(1) & 0x0F;
	outb(1, 0);
	ck_assert_uint_eq(s2, 0);
	ck_assert_uint_eq(s3, 0x0F);
	save_lcr = inb(3);
	outb(7, 0xA5);
	ck_assert_uint_eq(inb(7), 0xA5);
	outb(2, 0x01); /* FIFO enable */
	ck_assert_uint_eq(inb(2) >> 6, 3);
	outb(3, 0xBF); /* EFR probe reads IIR on a 16550A: must be non-zero */
	ck_assert_uint_ne(inb(2), 0);
	outb(3, 0x80);
	ck_assert_uint_ne(inb(2), 0);
	outb(3, 0);
	outb(2, 0x21); /* 64-byte FIFO bit: a 16550A ignores it */
	ck_assert_uint_eq(inb(2) >> 5, 6);
	outb(3, save_lcr);
	/* XScale check: IER bit 6 must not stick. */
	outb(1, 0x40);
	ck_assert_uint_eq(inb(1), 0);
}
END_TEST

START_TEST(test_wide_access)
{
	uint8_t v[2] = {0xFF, 0xFF};

	/* A 2-byte read of LSR/MSR acts bytewise and does not crash. */
	ck_assert(io_bus_access(&bus, LAYOUT_PORT_COM1 + 5, v, 2, false));
	ck_assert_uint_eq(v[0], 0x60);
	ck_assert_uint_eq(v[1], 0xB0); /* MSR: DCD | DSR | CTS */
}
END_TEST

/* ---- i8042 ---- */

static struct i8042 *kbc;
static int resets;

static void count_reset(void *opaque)
{
	(*(int *)opaque)++;
}

static void kbc_setup(void)
{
	struct i8042_ops ops = {.reset = count_reset, .opaque = &resets};

	io_bus_init(&bus, "pio");
	memset(&rec, 0, sizeof(rec));
	rec.chip.set_line = recorder_set_line;
	resets = 0;
	kbc = i8042_new(&bus, &rec.chip, &ops);
	ck_assert_ptr_nonnull(kbc);
}

static void kbc_teardown(void)
{
	i8042_free(kbc);
	io_bus_destroy(&bus);
}

static uint8_t kbc_in(uint16_t port)
{
	uint8_t v = 0;

	ck_assert(io_bus_access(&bus, port, &v, 1, false));
	return v;
}

static void kbc_out(uint16_t port, uint8_t v)
{
	ck_assert(io_bus_access(&bus, port, &v, 1, true));
}

/* Read one byte the way Linux does: wait for OBF (it is immediate here). */
static uint8_t kbc_read(void)
{
	ck_assert_msg(kbc_in(0x64) & 0x01, "output buffer empty");
	return kbc_in(0x60);
}

static void kbc_expect_empty(void)
{
	ck_assert_uint_eq(kbc_in(0x64) & 0x01, 0);
}

/* Linux's MUX probe loops bytes back through D3 with both ports disabled
 * in the command byte; a real controller still delivers them, otherwise
 * the probe waits out its timeout (1.6 s of every boot). */
START_TEST(test_i8042_loop_with_ports_disabled)
{
	kbc_out(0x64, 0x60);
	kbc_out(0x60, 0x74); /* both ports disabled */
	kbc_out(0x64, 0xD3);
	kbc_out(0x60, 0xF0);
	ck_assert_uint_eq(kbc_in(0x64) & 0x21, 0x21);
	ck_assert_uint_eq(kbc_read(), 0xF0);
	ck_assert_int_eq(rec.level[LAYOUT_GSI_I8042_AUX], 0);
	kbc_out(0x64, 0xD2);
	kbc_out(0x60, 0x42);
	ck_assert_uint_eq(kbc_in(0x64) & 0x21, 0x01);
	ck_assert_uint_eq(kbc_read(), 0x42);
	kbc_expect_empty();
}
END_TEST

START_TEST(test_i8042_self_tests)
{
	kbc_out(0x64, 0xAA);
	ck_assert_uint_eq(kbc_read(), 0x55);
	kbc_out(0x64, 0xAB);
	ck_assert_uint_eq(kbc_read(), 0x00);
	kbc_out(0x64, 0xA9);
	ck_assert_uint_eq(kbc_read(), 0x00);
	kbc_expect_empty();
	ck_assert_uint_eq(kbc_in(0x64) & 0x04, 0x04); /* system flag */
}
END_TEST

START_TEST(test_i8042_command_byte)
{
	kbc_out(0x64, 0x60);
	kbc_out(0x60, 0x47);
	kbc_out(0x64, 0x20);
	ck_assert_uint_eq(kbc_read(), 0x47);
	kbc_out(0x64, 0xA7); /* disable aux: shows in the command byte */
	kbc_out(0x64, 0x20);
	ck_assert_uint_eq(kbc_read(), 0x47 | 0x20);
	kbc_out(0x64, 0xA8);
	kbc_out(0x64, 0xAD);
	kbc_out(0x64, 0x20);
	ck_assert_uint_eq(kbc_read(), 0x47 | 0x10);
	kbc_out(0x64, 0xAE);
	kbc_out(0x64, 0x20);
	ck_assert_uint_eq(kbc_read(), 0x47);
}
END_TEST

START_TEST(test_i8042_keyboard_reset_and_id)
{
	int edges;

	kbc_out(0x60, 0xFF);
	ck_assert_uint_eq(kbc_read(), 0xFA);
	ck_assert_uint_eq(kbc_read(), 0xAA);
	kbc_expect_empty();
	kbc_out(0x64, 0x60);
	kbc_out(0x60, 0x01); /* untranslated, keyboard interrupt on */
	edges = rec.rising[LAYOUT_GSI_I8042_KBD];
	kbc_out(0x60, 0xF2);
	ck_assert_int_eq(rec.level[LAYOUT_GSI_I8042_KBD], 1);
	ck_assert_uint_eq(kbc_read(), 0xFA);
	ck_assert_uint_eq(kbc_read(), 0xAB);
	ck_assert_uint_eq(kbc_read(), 0x83);
	ck_assert_int_eq(rec.level[LAYOUT_GSI_I8042_KBD], 0);
	/* One edge per byte. */
	ck_assert_int_eq(rec.rising[LAYOUT_GSI_I8042_KBD] - edges, 3);
	kbc_out(0x60, 0xED); /* LEDs take an argument, both ACKed */
	ck_assert_uint_eq(kbc_read(), 0xFA);
	kbc_out(0x60, 0x07);
	ck_assert_uint_eq(kbc_read(), 0xFA);
	kbc_expect_empty();
}
END_TEST

START_TEST(test_i8042_keys_and_ctrl_alt_del)
{
	static const uint8_t a[] = {0x1E, 0x9E};

	i8042_queue_key_scancodes(kbc, a, 2);
	ck_assert_uint_eq(kbc_read(), 0x1E);
	ck_assert_uint_eq(kbc_read(), 0x9E);
	i8042_send_ctrl_alt_del(kbc);
	ck_assert_uint_eq(kbc_read(), 0x1D);
	ck_assert_uint_eq(kbc_read(), 0x38);
	ck_assert_uint_eq(kbc_read(), 0xE0);
	ck_assert_uint_eq(kbc_read(), 0x53);
	/* Scanning off (0xF5): keys are not queued. */
	while (kbc_in(0x64) & 1)
		kbc_in(0x60);
	kbc_out(0x60, 0xF5);
	ck_assert_uint_eq(kbc_read(), 0xFA);
	i8042_queue_key_scancodes(kbc, a, 2);
	kbc_expect_empty();
}
END_TEST

START_TEST(test_i8042_mouse)
{
	kbc_out(0x64, 0xD4);
	kbc_out(0x60, 0xFF);
	ck_assert_uint_eq(kbc_read(), 0xFA);
	ck_assert_uint_eq(kbc_in(0x64) & 0x20, 0x20); /* from the aux port */
	ck_assert_int_eq(rec.level[LAYOUT_GSI_I8042_AUX], 1);
	ck_assert_uint_eq(kbc_read(), 0xAA);
	ck_assert_uint_eq(kbc_read(), 0x00);
	/* IntelliMouse knock: rates 200, 100, 80 turn the ID into 3. */
	for (int i = 0; i < 3; i++) {
		static const uint8_t rates[] = {200, 100, 80};

		kbc_out(0x64, 0xD4);
		kbc_out(0x60, 0xF3);
		ck_assert_uint_eq(kbc_read(), 0xFA);
		kbc_out(0x64, 0xD4);
		kbc_out(0x60, rates[i]);
		ck_assert_uint_eq(kbc_read(), 0xFA);
	}
	kbc_out(0x64, 0xD4);
	kbc_out(0x60, 0xF2);
	ck_assert_uint_eq(kbc_read(), 0xFA);
	ck_assert_uint_eq(kbc_read(), 0x03);
	/* No packets until reporting is on. */
	i8042_queue_mouse(kbc, 5, 5, 0, 0);
	kbc_expect_empty();
	kbc_out(0x64, 0xD4);
	kbc_out(0x60, 0xF4);
	ck_assert_uint_eq(kbc_read(), 0xFA);
	i8042_queue_mouse(kbc, 3, 2, 1, 1); /* right 3, down 2, wheel 1, left button */
	ck_assert_uint_eq(kbc_read(), 0x08 | 0x01 | 0x20);
	ck_assert_uint_eq(kbc_read(), 3);
	ck_assert_uint_eq(kbc_read(), 0xFE); /* -2: PS/2 y grows upwards */
	ck_assert_uint_eq(kbc_read(), 1);
	kbc_expect_empty();
	/* Status request: reporting on, left button, resolution, rate 80. */
	kbc_out(0x64, 0xD4);
	kbc_out(0x60, 0xE9);
	ck_assert_uint_eq(kbc_read(), 0xFA);
	ck_assert_uint_eq(kbc_read(), 0x20 | 0x04);
	ck_assert_uint_eq(kbc_read(), 2);
	ck_assert_uint_eq(kbc_read(), 80);
}
END_TEST

START_TEST(test_i8042_aux_loop)
{
	/* Linux's AUX loopback test reads status after the data byte. */
	kbc_out(0x64, 0xD3);
	kbc_out(0x60, 0x5A);
	ck_assert_uint_eq(kbc_read(), 0x5A);
	ck_assert_uint_eq(kbc_in(0x64) & 0x20, 0x20);
}
END_TEST

START_TEST(test_i8042_reset_line)
{
	kbc_out(0x64, 0xFE);
	ck_assert_int_eq(resets, 1);
	kbc_out(0x64, 0xFF); /* pulses nothing */
	ck_assert_int_eq(resets, 1);
	kbc_out(0x64, 0xD1);
	kbc_out(0x60, 0x02); /* output port bit 0 low: reset */
	ck_assert_int_eq(resets, 2);
	kbc_out(0x64, 0xD0);
	ck_assert_uint_eq(kbc_read() & 0x01, 0x01);
}
END_TEST

static Suite *serial_suite(void)
{
	Suite *s = suite_create("legacy devices");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_idle_lsr);
	tcase_add_test(tc, test_thr_reaches_chardev);
	tcase_add_test(tc, test_rx_sets_dr_and_interrupts);
	tcase_add_test(tc, test_rx_fifo_timeout_and_trigger);
	tcase_add_test(tc, test_input_backpressure);
	tcase_add_test(tc, test_thre_interrupt);
	tcase_add_test(tc, test_loopback);
	tcase_add_test(tc, test_divisor_latch);
	tcase_add_test(tc, test_fifo_clear);
	tcase_add_test(tc, test_linux_autoconfig_sees_16550a);
	tcase_add_test(tc, test_wide_access);
	suite_add_tcase(s, tc);

	tc = tcase_create("i8042");
	tcase_add_checked_fixture(tc, kbc_setup, kbc_teardown);
	tcase_add_test(tc, test_i8042_self_tests);
	tcase_add_test(tc, test_i8042_loop_with_ports_disabled);
	tcase_add_test(tc, test_i8042_command_byte);
	tcase_add_test(tc, test_i8042_keyboard_reset_and_id);
	tcase_add_test(tc, test_i8042_keys_and_ctrl_alt_del);
	tcase_add_test(tc, test_i8042_mouse);
	tcase_add_test(tc, test_i8042_aux_loop);
	tcase_add_test(tc, test_i8042_reset_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(serial_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
