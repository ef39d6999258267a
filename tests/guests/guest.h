/* Tiny runtime shared by the freestanding test guests: port I/O, COM1
 * output, a small printf, PCI config space and power-off/reset helpers. */
#ifndef VIRTTY_GUEST_H
#define VIRTTY_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Only #defines live there, so the guests use the VMM's own port numbers. */
#include "layout.h"

/* isa-debug-exit port used when a guest is tried under QEMU (-device
 * isa-debug-exit,iobase=0xf4,iosize=4); our VMM ignores it. */
#define GUEST_PORT_QEMU_DEBUG_EXIT 0xf4

static inline void outb(uint16_t port, uint8_t val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t val)
{
	__asm__ volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t val)
{
	__asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	__asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t val;

	__asm__ volatile("inw %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t val;

	__asm__ volatile("inl %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

/* Full barrier without SSE2 (the VMM's CPUID may hide it): a locked op. */
static inline void mb(void)
{
#ifdef __x86_64__
	__asm__ volatile("lock; addl $0, (%%rsp)" : : : "memory", "cc");
#else
	__asm__ volatile("lock; addl $0, (%%esp)" : : : "memory", "cc");
#endif
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

/* runtime.c */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
const char *strstr(const char *haystack, const char *needle);

void serial_putc(char c);
void serial_puts(const char *s);
/* %s %c %d %u %x %p, optional '0' and width, 'll' for 64-bit %u/%x. */
void guest_vprintf(const char *fmt, va_list ap);
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_hexdump(const void *buf, size_t len); /* "00112233..." no newline */
uint32_t fnv1a32(const void *buf, size_t len);

/* ACPI S5 through the VMM's sleep-control port; never returns. */
void guest_poweroff(void) __attribute__((noreturn));
void guest_halt_forever(void) __attribute__((noreturn));

/* PCI config space, bus 0 only, type 1 mechanism (ports 0xCF8/0xCFC). */
#define PCI_NO_DEVICE 0xff
uint32_t pci_read32(uint8_t dev, uint8_t off);
uint16_t pci_read16(uint8_t dev, uint8_t off);
uint8_t pci_read8(uint8_t dev, uint8_t off);
void pci_write16(uint8_t dev, uint8_t off, uint16_t val);
/* First slot on bus 0 (function 0) with this vendor/device, or PCI_NO_DEVICE. */
uint8_t pci_find(uint16_t vendor, uint16_t device);

/* Entry point of each guest; its return value is printed and the
 * machine powered off. */
struct hvm_start_info;
int guest_main(const struct hvm_start_info *si);

#endif
