/* Runtime of the test guests: string helpers gcc may call, COM1 output,
 * a printf subset, PCI config access and power control. Built for both
 * the 32-bit PVH guests and the 64-bit bzImage guest. */
#include "guest.h"

#define COM1_THR 0 /* transmit holding register */
#define COM1_LSR 5 /* line status register */
#define LSR_THRE 0x20

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}

const char *strstr(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	for (; *haystack; haystack++)
		if (!strncmp(haystack, needle, n))
			return haystack;
	return n ? NULL : haystack;
}

void serial_putc(char c)
{
	/* Bounded wait: a VMM whose LSR never reports THR empty must not
	 * hang the guest forever; the runner will see the missing output. */
	for (int i = 0; i < 100000; i++)
		if (inb(LAYOUT_PORT_COM1 + COM1_LSR) & LSR_THRE)
			break;
	outb(LAYOUT_PORT_COM1 + COM1_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s);
	}
}

/* 64-bit division by a small number without libgcc (absent for -m32). */
static uint64_t div64(uint64_t n, uint32_t d, uint32_t *rem)
{
#ifdef __x86_64__
	*rem = (uint32_t)(n % d);
	return n / d;
#else
	uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n;
	uint32_t qhi = hi / d, r = hi % d, qlo;

	/* edx:eax = r:lo with r < d, so the quotient fits in 32 bits. */
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	*rem = r;
	return ((uint64_t)qhi << 32) | qlo;
#endif
}

static void print_number(uint64_t v, uint32_t base, int width, char pad, int negative)
{
	char buf[24];
	int n = 0;

	do {
		uint32_t digit;

		v = div64(v, base, &digit);
		buf[n++] = "0123456789abcdef"[digit];
	} while (v);
	if (negative && pad == ' ')
		buf[n++] = '-';
	while (n < width - (negative && pad == '0') && n < (int)sizeof(buf) - 1)
		buf[n++] = pad;
	if (negative && pad == '0')
		buf[n++] = '-';
	while (n)
		serial_putc(buf[--n]);
}

void guest_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0, is_long = 0;
		char pad = ' ';

		if (*fmt != '%') {
			if (*fmt == '\n')
				serial_putc('\r');
			serial_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			is_long++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			serial_puts(s ? s : "(null)");
			break;
		}
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = is_long >= 2 ? va_arg(ap, int64_t) : va_arg(ap, int);

			print_number(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v;

			if (is_long >= 2)
				v = va_arg(ap, uint64_t);
			else if (is_long == 1)
				v = va_arg(ap, unsigned long);
			else
				v = va_arg(ap, unsigned int);
			print_number(v, *fmt == 'u' ? 10 : 16, width, pad, 0);
			break;
		}
		case 'p':
			serial_puts("0x");
			print_number((uintptr_t)va_arg(ap, void *), 16, 0, '0', 0);
			break;
		case '%':
			serial_putc('%');
			break;
		case '\0':
			return;
		default:
			serial_putc('?');
			break;
		}
	}
}

void guest_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	guest_vprintf(fmt, ap);
	va_end(ap);
}

void guest_hexdump(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		serial_putc("0123456789abcdef"[p[i] >> 4]);
		serial_putc("0123456789abcdef"[p[i] & 15]);
	}
}

uint32_t fnv1a32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t h = 0x811c9dc5u;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x01000193u;
	}
	return h;
}

void guest_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void guest_poweroff(void)
{
	/* SLP_TYP = S5 in bits 2..4, SLP_EN = bit 5 (hardware-reduced ACPI). */
	outb(LAYOUT_PORT_ACPI_SLEEP_CTL, (LAYOUT_ACPI_S5_SLP_TYP << 2) | 0x20);
	/* Still here: not our VMM. Under QEMU with isa-debug-exit this ends
	 * the run (status 1); elsewhere we stop in a halt loop. */
	outb(GUEST_PORT_QEMU_DEBUG_EXIT, 0);
	guest_halt_forever();
}

static uint32_t pci_config_address(uint8_t dev, uint8_t off)
{
	return 0x80000000u | ((uint32_t)(dev & 31) << 11) | (off & 0xfc);
}

uint32_t pci_read32(uint8_t dev, uint8_t off)
{
	outl(LAYOUT_PORT_PCI_CONFIG, pci_config_address(dev, off));
	return inl(LAYOUT_PORT_PCI_CONFIG + 4);
}

uint16_t pci_read16(uint8_t dev, uint8_t off)
{
	outl(LAYOUT_PORT_PCI_CONFIG, pci_config_address(dev, off));
	return inw(LAYOUT_PORT_PCI_CONFIG + 4 + (off & 2));
}

uint8_t pci_read8(uint8_t dev, uint8_t off)
{
	outl(LAYOUT_PORT_PCI_CONFIG, pci_config_address(dev, off));
	return inb(LAYOUT_PORT_PCI_CONFIG + 4 + (off & 3));
}

void pci_write16(uint8_t dev, uint8_t off, uint16_t val)
{
	outl(LAYOUT_PORT_PCI_CONFIG, pci_config_address(dev, off));
	outw(LAYOUT_PORT_PCI_CONFIG + 4 + (off & 2), val);
}

uint8_t pci_find(uint16_t vendor, uint16_t device)
{
	uint32_t want = ((uint32_t)device << 16) | vendor;

	for (uint8_t dev = 0; dev < 32; dev++)
		if (pci_read32(dev, 0) == want)
			return dev;
	return PCI_NO_DEVICE;
}
