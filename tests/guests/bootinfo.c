/* bootinfo.elf: prints what the PVH loader handed over (command line,
 * memory map, modules, RSDP) so the runner can compare it with the
 * options it passed to virtty-vmm. */
#include "guest.h"
#include "pvh.h"

#define CMDLINE_PRINT_MAX 4096
#define MODULES_PRINT_MAX 4
#define MEMMAP_PRINT_MAX  64

/* Paging is off: a physical address is usable only below 4 GiB. */
static const void *phys(uint64_t paddr)
{
	return paddr && paddr < 0xffffffffull ? (const void *)(uintptr_t)paddr : NULL;
}

static void print_cmdline(const struct hvm_start_info *si)
{
	const char *cmdline = phys(si->cmdline_paddr);

	if (!cmdline) {
		serial_puts("bootinfo: cmdline=none\n");
		return;
	}
	serial_puts("bootinfo: cmdline=[");
	for (int i = 0; i < CMDLINE_PRINT_MAX && cmdline[i]; i++)
		serial_putc(cmdline[i] >= 0x20 && cmdline[i] < 0x7f ? cmdline[i] : '?');
	serial_puts("]\n");
}

static void print_memmap(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *map = phys(si->memmap_paddr);
	uint64_t ram = 0, ram_end = 0;

	if (si->version < 1 || !map || !si->memmap_entries) {
		serial_puts("bootinfo: memmap=none\n");
		return;
	}
	guest_printf("bootinfo: memmap entries=%u\n", si->memmap_entries);
	for (uint32_t i = 0; i < si->memmap_entries && i < MEMMAP_PRINT_MAX; i++) {
		uint64_t end = map[i].addr + map[i].size;

		guest_printf("bootinfo: memmap %016llx-%016llx type %u\n",
			     (unsigned long long)map[i].addr, (unsigned long long)end, map[i].type);
		if (map[i].type != PVH_MEMMAP_RAM)
			continue;
		ram += map[i].size;
		if (end > ram_end)
			ram_end = end;
	}
	guest_printf("bootinfo: ram_kib=%llu ram_end=0x%llx\n", (unsigned long long)(ram >> 10),
		     (unsigned long long)ram_end);
}

static void print_modules(const struct hvm_start_info *si)
{
	const struct hvm_modlist_entry *mods = phys(si->modlist_paddr);

	guest_printf("bootinfo: modules=%u\n", si->nr_modules);
	for (uint32_t i = 0; mods && i < si->nr_modules && i < MODULES_PRINT_MAX; i++) {
		const uint8_t *data = phys(mods[i].paddr);
		uint64_t n = mods[i].size < 16 ? mods[i].size : 16;

		guest_printf("bootinfo: module%u paddr=0x%llx size=%llu head=", i,
			     (unsigned long long)mods[i].paddr, (unsigned long long)mods[i].size);
		if (data)
			guest_hexdump(data, (size_t)n);
		serial_puts("\n");
	}
}

static void print_rsdp(const struct hvm_start_info *si)
{
	const uint8_t *rsdp = phys(si->rsdp_paddr);
	uint8_t sum = 0;

	if (!rsdp) {
		serial_puts("bootinfo: rsdp=none\n");
		return;
	}
	/* ACPI 1.0 checksum covers the first 20 bytes. */
	for (int i = 0; i < 20; i++)
		sum += rsdp[i];
	guest_printf("bootinfo: rsdp=0x%llx sig=[", (unsigned long long)si->rsdp_paddr);
	for (int i = 0; i < 8; i++)
		serial_putc(rsdp[i] >= 0x20 && rsdp[i] < 0x7f ? (char)rsdp[i] : '?');
	guest_printf("] checksum=%s\n", sum ? "bad" : "ok");
}

int guest_main(const struct hvm_start_info *si)
{
	if (si->magic != PVH_START_MAGIC) {
		guest_printf("bootinfo: bad magic 0x%x\n", si->magic);
		return 1;
	}
	guest_printf("bootinfo: magic ok version=%u\n", si->version);
	print_cmdline(si);
	print_memmap(si);
	print_modules(si);
	print_rsdp(si);
	serial_puts("bootinfo: done\n");
	return 0;
}
