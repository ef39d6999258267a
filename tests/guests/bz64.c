/* bz64.bin: a guest entered through the Linux 64-bit boot protocol. It
 * prints what the loader put in boot_params (the zero page): setup header
 * magic, command line and e820 map, then powers off. */
#include "guest.h"

/* struct boot_params offsets (Linux Documentation/arch/x86/zero-page.rst) */
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES	    0x1e8
#define BP_HDR_BOOT_FLAG    0x1fe
#define BP_HDR_HEADER	    0x202
#define BP_HDR_VERSION	    0x206
#define BP_HDR_LOADER_TYPE  0x210
#define BP_HDR_CMD_LINE_PTR 0x228
#define BP_E820_TABLE	    0x2d0
#define BP_E820_MAX	    128

#define E820_RAM	  1
#define CMDLINE_PRINT_MAX 4096

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

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

static void bz64_print_cmdline(const uint8_t *bp)
{
	uint64_t hi = bp_u32(bp, BP_EXT_CMD_LINE_PTR);
	uint64_t addr = hi << 32 | bp_u32(bp, BP_HDR_CMD_LINE_PTR);
	const char *cmdline = (const char *)(uintptr_t)addr;

	if (!addr) {
		serial_puts("bz64: cmdline=none\n");
		return;
	}
	serial_puts("bz64: cmdline=[");
	for (int i = 0; i < CMDLINE_PRINT_MAX && cmdline[i]; i++)
		serial_putc(cmdline[i] >= 0x20 && cmdline[i] < 0x7f ? cmdline[i] : '?');
	serial_puts("]\n");
}

static void bz64_print_e820(const uint8_t *bp)
{
	unsigned n = bp[BP_E820_ENTRIES];
	const struct e820_entry *map = (const struct e820_entry *)(bp + BP_E820_TABLE);
	uint64_t ram = 0, ram_end = 0;

	guest_printf("bz64: e820 entries=%u\n", n);
	for (unsigned i = 0; i < n && i < BP_E820_MAX; i++) {
		uint64_t end = map[i].addr + map[i].size;

		guest_printf("bz64: e820 %016llx-%016llx type %u\n",
			     (unsigned long long)map[i].addr, (unsigned long long)end, map[i].type);
		if (map[i].type != E820_RAM)
			continue;
		ram += map[i].size;
		if (end > ram_end)
			ram_end = end;
	}
	guest_printf("bz64: ram_kib=%llu ram_end=0x%llx\n", (unsigned long long)(ram >> 10),
		     (unsigned long long)ram_end);
}

void bz64_main(const uint8_t *bp)
{
	guest_printf("bz64: 64-bit entry, boot_params at %p\n", (const void *)bp);
	if (!bp) {
		serial_puts("bz64: error: RSI is 0\n");
		guest_poweroff();
	}
	guest_printf("bz64: header %s version=0x%04x boot_flag=0x%04x loader=0x%02x\n",
		     memcmp(bp + BP_HDR_HEADER, "HdrS", 4) ? "missing" : "HdrS",
		     bp_u16(bp, BP_HDR_VERSION), bp_u16(bp, BP_HDR_BOOT_FLAG),
		     bp[BP_HDR_LOADER_TYPE]);
	bz64_print_cmdline(bp);
	bz64_print_e820(bp);
	serial_puts("bz64: done\n");
	guest_poweroff();
}
