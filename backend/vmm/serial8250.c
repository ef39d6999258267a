/* 16550A UART model: registers as Linux's 8250 driver probes and uses them
 * (autoconfig via scratch/IER tests, loopback and the FIFO bits in IIR).
 *
 * Transmission is instantaneous: a THR write goes straight to the chardev
 * and THR is empty again, so LSR always has THRE|TEMT (0x60) set.
 * Reception: the 16-byte RX FIFO is the head of a larger input buffer; bytes
 * behind the FIFO are "still on the wire", which is what lets pasted text
 * wait instead of overrunning. When the buffer is full the chardev holds the
 * rest and we tell it (chardev_input_ready) once the guest has read some.
 *
 * Interrupt line: driven as a level that follows IIR bit 0 ("no interrupt
 * pending" inverted) and only written when it changes. ISA IRQ 4 is an edge
 * pin on the IOAPIC, so each rising edge is one interrupt; Linux's handler
 * loops until IIR reads "no interrupt", which lowers the line, so the next
 * event raises a fresh edge. A timeout interrupt (IIR 0x0C) is reported at
 * once when the FIFO holds fewer bytes than the trigger level. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "chardev.h"
#include "iobus.h"
#include "irqchip.h"
#include "serial8250.h"

/* Register offsets. */
enum {
	UART_RBR_THR = 0, /* DLL when DLAB */
	UART_IER = 1,	  /* DLM when DLAB */
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI  0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */

#define IIR_NO_INT  0x01
#define IIR_MSI	    0x00
#define IIR_THRI    0x02
#define IIR_RDI	    0x04
#define IIR_RLSI    0x06
#define IIR_TIMEOUT 0x0C
#define IIR_FIFO_ON 0xC0

#define FCR_ENABLE    0x01
#define FCR_CLEAR_RCV 0x02

#define LCR_DLAB 0x80

#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR	 0x01
#define LSR_OE	 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS	 0x10
#define MSR_DSR	 0x20
#define MSR_RI	 0x40
#define MSR_DCD	 0x80

#define SERIAL_FIFO_SIZE 16
#define SERIAL_INBUF	 4096

struct serial8250 {
	pthread_mutex_t lock;
	struct io_bus *pio;
	uint16_t base;
	struct irqchip *irq;
	uint32_t gsi;
	struct chardev *backend;

	uint8_t dll, dlm, ier, fcr, lcr, mcr, scr;
	uint8_t lsr_err;   /* sticky error bits, cleared by reading LSR */
	uint8_t msr_delta; /* low MSR bits, cleared by reading MSR */
	bool thre_pending; /* THR-empty interrupt not yet acknowledged */
	int line;	   /* level last written to the irqchip */

	uint8_t rx[SERIAL_INBUF]; /* RX FIFO = the first bytes of this ring */
	size_t rx_head, rx_len;
	bool rx_starved; /* we refused input: tell the chardev when there is room */
};

static size_t serial8250_fifo_cap(const struct serial8250 *s)
{
	return (s->fcr & FCR_ENABLE) ? SERIAL_FIFO_SIZE : 1;
}

static size_t serial8250_fifo_count(const struct serial8250 *s)
{
	size_t cap = serial8250_fifo_cap(s);

	return s->rx_len < cap ? s->rx_len : cap;
}

static const uint8_t serial8250_trigger_levels[4] = {1, 4, 8, 14};

static uint8_t serial8250_iir(const struct serial8250 *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0;

	if ((s->ier & IER_ELSI) && s->lsr_err)
		return fifo | IIR_RLSI;
	if ((s->ier & IER_ERBFI) && s->rx_len) {
		if (fifo && serial8250_fifo_count(s) < serial8250_trigger_levels[s->fcr >> 6])
			return fifo | IIR_TIMEOUT;
		return fifo | IIR_RDI;
	}
	if ((s->ier & IER_ETBEI) && s->thre_pending)
		return fifo | IIR_THRI;
	if ((s->ier & IER_EDSSI) && s->msr_delta)
		return fifo | IIR_MSI;
	return fifo | IIR_NO_INT;
}

static void serial8250_update_irq(struct serial8250 *s)
{
	int level = !(serial8250_iir(s) & IIR_NO_INT);

	if (level != s->line && s->irq) {
		s->line = level;
		s->irq->set_line(s->irq, s->gsi, level);
	}
}

/* Modem status lines: in loopback they mirror MCR; otherwise a modem that
 * is present and ready (carrier, DSR, CTS), which keeps getty happy. */
static uint8_t serial8250_msr_lines(uint8_t mcr)
{
	uint8_t v = 0;

	if (!(mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (mcr & MCR_RTS)
		v |= MSR_CTS;
	if (mcr & MCR_DTR)
		v |= MSR_DSR;
	if (mcr & MCR_OUT1)
		v |= MSR_RI;
	if (mcr & MCR_OUT2)
		v |= MSR_DCD;
	return v;
}

static void serial8250_rx_push(struct serial8250 *s, uint8_t v)
{
	s->rx[(s->rx_head + s->rx_len) % SERIAL_INBUF] = v;
	s->rx_len++;
}

/* Drop up to n bytes from the front; true if the chardev must be told. */
static bool serial8250_rx_drop(struct serial8250 *s, size_t n)
{
	if (n > s->rx_len)
		n = s->rx_len;
	s->rx_head = (s->rx_head + n) % SERIAL_INBUF;
	s->rx_len -= n;
	if (n && s->rx_starved && !(s->mcr & MCR_LOOP)) {
		s->rx_starved = false;
		return true;
	}
	return false;
}

/* Input from the chardev (loop thread). */
static size_t serial8250_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct serial8250 *s = opaque;
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	/* In loopback the receiver is cut off from the line: hold input. */
	if (!(s->mcr & MCR_LOOP)) {
		n = SERIAL_INBUF - s->rx_len;
		if (n > len)
			n = len;
		for (size_t i = 0; i < n; i++)
			serial8250_rx_push(s, buf[i]);
	}
	if (n < len)
		s->rx_starved = true;
	serial8250_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* One byte register read; *notify set when input may flow again. */
static uint8_t serial8250_read_reg(struct serial8250 *s, unsigned reg, bool *notify)
{
	uint8_t v = 0;

	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (s->rx_len) {
			v = s->rx[s->rx_head];
			*notify |= serial8250_rx_drop(s, 1);
		}
		return v;
	case UART_IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case UART_IIR_FCR:
		v = serial8250_iir(s);
		/* Reading IIR acknowledges a THR-empty interrupt. */
		if ((v & 0x0F) == IIR_THRI)
			s->thre_pending = false;
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | s->lsr_err | (s->rx_len ? LSR_DR : 0);
		s->lsr_err = 0;
		return v;
	case UART_MSR:
		v = serial8250_msr_lines(s->mcr) | s->msr_delta;
		s->msr_delta = 0;
		return v;
	default:
		return s->scr;
	}
}

static void serial8250_write_reg(struct serial8250 *s, unsigned reg, uint8_t v, bool *notify)
{
	uint8_t old;

	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
		} else if (s->mcr & MCR_LOOP) {
			if (s->rx_len >= serial8250_fifo_cap(s))
				s->lsr_err |= LSR_OE;
			else
				serial8250_rx_push(s, v);
			s->thre_pending = true;
		} else {
			chardev_write(s->backend, &v, 1);
			s->thre_pending = true;
		}
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		old = s->ier;
		s->ier = v & 0x0F;
		/* Enabling the THRE interrupt with THR empty raises it at once
		 * (Linux's startup checks that it does). */
		if ((s->ier & IER_ETBEI) && !(old & IER_ETBEI))
			s->thre_pending = true;
		break;
	case UART_IIR_FCR:
		old = s->fcr;
		if (!(v & FCR_ENABLE)) {
			if (old & FCR_ENABLE)
				*notify |= serial8250_rx_drop(s, SERIAL_FIFO_SIZE);
			s->fcr = 0;
			break;
		}
		if (!(old & FCR_ENABLE) || (v & FCR_CLEAR_RCV)) {
			*notify |= serial8250_rx_drop(s, SERIAL_FIFO_SIZE);
			s->lsr_err = 0;
		}
		s->fcr = v & 0xC9; /* enable, DMA mode, trigger level */
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR: {
		uint8_t before = serial8250_msr_lines(s->mcr), after;

		old = s->mcr;
		s->mcr = v & 0x1F;
		after = serial8250_msr_lines(s->mcr);
		if ((before ^ after) & MSR_CTS)
			s->msr_delta |= MSR_DCTS;
		if ((before ^ after) & MSR_DSR)
			s->msr_delta |= MSR_DDSR;
		if ((before & MSR_RI) && !(after & MSR_RI))
			s->msr_delta |= MSR_TERI;
		if ((before ^ after) & MSR_DCD)
			s->msr_delta |= MSR_DDCD;
		if ((old & MCR_LOOP) && !(s->mcr & MCR_LOOP) && s->rx_starved) {
			s->rx_starved = false;
			*notify = true;
		}
		break;
	}
	case UART_SCR:
		s->scr = v;
		break;
	default:
		break; /* LSR and MSR are read-only */
	}
}

static void serial8250_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial8250 *s = opaque;
	bool notify = false;

	pthread_mutex_lock(&s->lock);
	/* Wider accesses act as consecutive byte accesses. */
	for (uint32_t i = 0; i < len && offset + i < 8; i++) {
		if (is_write)
			serial8250_write_reg(s, offset + i, data[i], &notify);
		else
			data[i] = serial8250_read_reg(s, offset + i, &notify);
	}
	serial8250_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	if (notify)
		chardev_input_ready(s->backend);
}

struct serial8250 *serial8250_new(struct io_bus *pio, uint16_t base, struct irqchip *irq,
				  uint32_t gsi, struct chardev *backend)
{
	struct serial8250 *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->pio = pio;
	s->base = base;
	s->irq = irq;
	s->gsi = gsi;
	s->backend = backend;
	s->lcr = 0x03; /* 8N1, as firmware would leave it */
	s->dll = 0x01; /* 115200 baud */
	if (io_bus_register(pio, base, 8, serial8250_io, s) < 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	if (backend)
		chardev_set_input(backend, serial8250_receive, s);
	return s;
}

void serial8250_free(struct serial8250 *uart)
{
	if (!uart)
		return;
	io_bus_unregister(uart->pio, uart->base);
	if (uart->backend)
		chardev_set_input(uart->backend, NULL, NULL);
	pthread_mutex_destroy(&uart->lock);
	free(uart);
}
