/* ACPI tables (checked by walking them as a guest would, and by the ACPICA
 * disassembler iasl), the AML builder, and the ACPI power management ports. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acpi.h"
#include "acpi_pm.h"
#include "aml.h"
#include "iobus.h"
#include "irqchip.h"
#include "layout.h"
#include "pci.h"

#define BLOB_SIZE LAYOUT_ACPI_SIZE

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* A machine's tables as the guest sees them: built at LAYOUT_ACPI_ADDR. */
struct tables {
	uint8_t blob[BLOB_SIZE];
	ssize_t len;
	struct acpi_config cfg;
};

static struct tables *build(int nr_vcpus, bool pci, bool i8042, bool com1)
{
	struct tables *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	t->cfg = (struct acpi_config){.nr_vcpus = nr_vcpus,
				      .base_gpa = LAYOUT_ACPI_ADDR,
				      .pci = pci,
				      .i8042 = i8042,
				      .com1 = com1};
	t->len = acpi_build_tables(&t->cfg, t->blob, sizeof(t->blob));
	ck_assert_int_gt(t->len, 0);
	ck_assert_int_le(t->len, LAYOUT_ACPI_SIZE);
	return t;
}

/* The table at guest address gpa, after checking that its header and its
 * whole length lie inside the blob and that its checksum is right. */
static const uint8_t *table_at(const struct tables *t, uint64_t gpa, const char *sig)
{
	uint64_t off = gpa - LAYOUT_ACPI_ADDR;
	const uint8_t *p;
	uint32_t len;

	ck_assert_msg(gpa >= LAYOUT_ACPI_ADDR && off + 36 <= (uint64_t)t->len,
		      "table %s at %#llx outside the blob", sig, (unsigned long long)gpa);
	p = t->blob + off;
	len = get32(p + 4);
	ck_assert_msg(len >= 36 && off + len <= (uint64_t)t->len, "table %s: bad length %u", sig,
		      len);
	ck_assert_msg(memcmp(p, sig, 4) == 0, "expected %s, found %.4s", sig, (const char *)p);
	ck_assert_msg(sum8(p, len) == 0, "table %s: bad checksum", sig);
	return p;
}

/* The table with signature sig listed in the XSDT, or NULL. */
static const uint8_t *find_table(const struct tables *t, const char *sig)
{
	const uint8_t *xsdt = table_at(t, get64(t->blob + 24), "XSDT");
	uint32_t n = (get32(xsdt + 4) - 36) / 8;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t gpa = get64(xsdt + 36 + 8 * i);
		const uint8_t *p;

		ck_assert_uint_ge(gpa, LAYOUT_ACPI_ADDR);
		ck_assert_uint_le(gpa - LAYOUT_ACPI_ADDR + 36, (uint64_t)t->len);
		p = t->blob + (gpa - LAYOUT_ACPI_ADDR);
		if (memcmp(p, sig, 4) == 0)
			return table_at(t, gpa, sig);
	}
	return NULL;
}

static const uint8_t *find_dsdt(const struct tables *t)
{
	const uint8_t *fadt = find_table(t, "FACP");

	ck_assert_ptr_nonnull(fadt);
	return table_at(t, get64(fadt + ACPI_FADT_OFF_X_DSDT), "DSDT");
}

/* ---- iasl, the ACPICA disassembler ---- */

struct iasl_run {
	char dir[64];
	char *out;  /* the .dsl file */
	char *log;  /* what iasl printed */
	int status; /* exit status */
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, n + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(fread(s, 1, n, f), n);
	fclose(f);
	return s;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Run "iasl <args> name.dat" on a table in a fresh directory. */
static void iasl_run(struct iasl_run *r, const char *args, const char *name, const uint8_t *table)
{
	char cmd[512], path[128];
	int st;

	ck_assert_msg(system("command -v iasl >/dev/null 2>&1") == 0,
		      "iasl not found: install acpica-tools (apt-get install -y acpica-tools)");
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/virtty-acpi-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	snprintf(path, sizeof(path), "%s/%s.dat", r->dir, name);
	write_file(path, table, get32(table + 4));
	snprintf(cmd, sizeof(cmd), "cd %s && iasl %s %s.dat >iasl.log 2>&1", r->dir, args, name);
	st = system(cmd);
	ck_assert(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
	snprintf(path, sizeof(path), "%s/iasl.log", r->dir);
	r->log = slurp(path);
	snprintf(path, sizeof(path), "%s/%s.dsl", r->dir, name);
	r->out = slurp(path);
}

static void iasl_cleanup(struct iasl_run *r)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	ck_assert_int_eq(system(cmd), 0);
	free(r->out);
	free(r->log);
}

/* Disassemble a table; it must decode cleanly. */
static void iasl_disassemble(struct iasl_run *r, const char *name, const uint8_t *table)
{
	iasl_run(r, "-d", name, table);
	if (r->status != 0 || !r->out || strstr(r->log, "Error") || strstr(r->out, "Error"))
		fprintf(stderr, "iasl -d %s:\n%s\n", name, r->log ? r->log : "(no output)");
	ck_assert_msg(r->status == 0, "iasl -d %s exited with %d", name, r->status);
	ck_assert_ptr_nonnull(r->out);
	ck_assert_msg(!strstr(r->log, "Error") && !strstr(r->out, "Error"),
		      "iasl -d %s reported errors", name);
}

/* Check's failure messages are short: the disassembly goes to stderr. */
static void assert_has(const char *text, const char *what)
{
	if (!strstr(text, what))
		fprintf(stderr, "%s\n", text);
	ck_assert_msg(strstr(text, what) != NULL, "expected \"%s\" in the disassembly", what);
}

static void assert_lacks(const char *text, const char *what)
{
	if (strstr(text, what))
		fprintf(stderr, "%s\n", text);
	ck_assert_msg(strstr(text, what) == NULL, "unexpected \"%s\" in the disassembly", what);
}

/* ---- The tables ---- */

START_TEST(test_rsdp)
{
	struct tables *t = build(2, true, true, true);
	const uint8_t *rsdp = t->blob;

	/* A guest scanning 0xE0000..0xFFFFF finds it on a 16-byte boundary. */
	ck_assert_int_eq(LAYOUT_ACPI_ADDR % 16, 0);
	ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
	ck_assert_int_eq(rsdp[15], 2);
	ck_assert_int_eq(get32(rsdp + 20), 36);
	ck_assert_int_eq(sum8(rsdp, 20), 0);
	ck_assert_int_eq(sum8(rsdp, 36), 0);
	table_at(t, get64(rsdp + 24), "XSDT");
	free(t);
}
END_TEST

START_TEST(test_xsdt_lists_tables)
{
	struct tables *t = build(1, true, false, false);
	const uint8_t *xsdt = table_at(t, get64(t->blob + 24), "XSDT");

	ck_assert_int_eq(get32(xsdt + 4), 36 + 3 * 8);
	ck_assert_ptr_nonnull(find_table(t, "FACP"));
	ck_assert_ptr_nonnull(find_table(t, "APIC"));
	ck_assert_ptr_nonnull(find_table(t, "MCFG"));
	find_dsdt(t);
	free(t);

	/* Without PCI there is no MCFG, and nothing points at it. */
	t = build(1, false, false, false);
	xsdt = table_at(t, get64(t->blob + 24), "XSDT");
	ck_assert_int_eq(get32(xsdt + 4), 36 + 2 * 8);
	ck_assert_ptr_nonnull(find_table(t, "FACP"));
	ck_assert_ptr_nonnull(find_table(t, "APIC"));
	ck_assert_ptr_null(find_table(t, "MCFG"));
	find_dsdt(t);
	free(t);
}
END_TEST

static const int madt_vcpus[] = {1, 2, 64};

START_TEST(test_madt_one_lapic_per_vcpu)
{
	int n = madt_vcpus[_i];
	struct tables *t = build(n, true, true, true);
	const uint8_t *madt = find_table(t, "APIC");
	uint32_t len = get32(madt + 4);
	bool seen[256] = {false};
	int lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	ck_assert_uint_eq(get32(madt + 36), LAYOUT_LAPIC_ADDR);
	for (uint32_t off = 44; off < len;) {
		const uint8_t *e = madt + off;

		ck_assert_uint_ge(e[1], 2);
		ck_assert_uint_le(off + e[1], len);
		switch (e[0]) {
		case 0: /* Processor Local APIC */
			ck_assert_int_eq(e[1], 8);
			ck_assert_int_lt(e[3], n);
			ck_assert_msg(!seen[e[3]], "APIC id %d twice", e[3]);
			seen[e[3]] = true;
			ck_assert_int_eq(get32(e + 4) & 1, 1); /* enabled */
			lapics++;
			break;
		case 1: /* I/O APIC */
			ck_assert_int_eq(e[2], n);
			ck_assert_uint_eq(get32(e + 4), LAYOUT_IOAPIC_ADDR);
			ck_assert_uint_eq(get32(e + 8), 0);
			ioapics++;
			break;
		case 2: /* IRQ 0 (PIT) arrives on GSI 2 */
			ck_assert_int_eq(e[3], 0);
			ck_assert_uint_eq(get32(e + 4), 2);
			isos++;
			break;
		case 4: /* NMI on LINT1 of every processor */
			ck_assert_int_eq(e[2], 0xFF);
			ck_assert_int_eq(e[5], 1);
			nmis++;
			break;
		default:
			ck_abort_msg("unexpected MADT entry type %d", e[0]);
		}
		off += e[1];
	}
	ck_assert_int_eq(lapics, n);
	ck_assert_int_eq(ioapics, 1);
	ck_assert_int_eq(isos, 1);
	ck_assert_int_eq(nmis, 1);
	free(t);
}
END_TEST

START_TEST(test_madt_vcpu_limits)
{
	struct acpi_config cfg = {.nr_vcpus = 0, .base_gpa = LAYOUT_ACPI_ADDR};
	static uint8_t buf[BLOB_SIZE];

	ck_assert_int_eq(acpi_build_tables(&cfg, buf, sizeof(buf)), -EINVAL);
	cfg.nr_vcpus = ACPI_MAX_VCPUS + 1;
	ck_assert_int_eq(acpi_build_tables(&cfg, buf, sizeof(buf)), -EINVAL);
	cfg.nr_vcpus = ACPI_MAX_VCPUS;
	ck_assert_int_gt(acpi_build_tables(&cfg, buf, sizeof(buf)), 0);
}
END_TEST

static void assert_gas_io8(const uint8_t *gas, uint16_t port)
{
	ck_assert_int_eq(gas[0], 1); /* system I/O */
	ck_assert_int_eq(gas[1], 8);
	ck_assert_int_eq(gas[2], 0);
	ck_assert_int_eq(gas[3], 1); /* byte access */
	ck_assert_uint_eq(get64(gas + 4), port);
}

START_TEST(test_fadt)
{
	struct tables *t = build(2, true, true, true);
	const uint8_t *fadt = find_table(t, "FACP");
	uint32_t flags = get32(fadt + ACPI_FADT_OFF_FLAGS);
	uint16_t boot = get16(fadt + ACPI_FADT_OFF_IAPC_BOOT);

	ck_assert_int_eq(get32(fadt + 4), 276);
	ck_assert_int_ge(fadt[8], 5); /* Linux needs >= 5 for hardware-reduced */
	ck_assert_uint_eq(flags & ACPI_FADT_HW_REDUCED_ACPI, ACPI_FADT_HW_REDUCED_ACPI);
	ck_assert_uint_eq(flags & ACPI_FADT_RESET_REG_SUP, ACPI_FADT_RESET_REG_SUP);
	ck_assert_uint_eq(flags & ACPI_FADT_PWR_BUTTON, ACPI_FADT_PWR_BUTTON);
	ck_assert_uint_eq(flags & ACPI_FADT_SLP_BUTTON, ACPI_FADT_SLP_BUTTON);
	ck_assert_uint_eq(boot & ACPI_FADT_BOOT_8042, ACPI_FADT_BOOT_8042);
	/* Either would cost the guest its console or its virtio interrupts. */
	ck_assert_uint_eq(boot & ACPI_FADT_BOOT_NO_VGA, 0);
	ck_assert_uint_eq(boot & ACPI_FADT_BOOT_NO_MSI, 0);
	ck_assert_uint_eq(boot & ACPI_FADT_BOOT_NO_CMOS_RTC, ACPI_FADT_BOOT_NO_CMOS_RTC);
	assert_gas_io8(fadt + ACPI_FADT_OFF_RESET_REG, LAYOUT_PORT_RESET);
	ck_assert_int_eq(fadt[ACPI_FADT_OFF_RESET_VALUE], 0x06);
	assert_gas_io8(fadt + ACPI_FADT_OFF_SLEEP_CTL, LAYOUT_PORT_ACPI_SLEEP_CTL);
	assert_gas_io8(fadt + ACPI_FADT_OFF_SLEEP_STS, LAYOUT_PORT_ACPI_SLEEP_STS);
	ck_assert_mem_eq(fadt + ACPI_FADT_OFF_HYPERVISOR, ACPI_HYPERVISOR_ID, 8);
	/* No FACS, and the DSDT only through X_DSDT. */
	ck_assert_uint_eq(get32(fadt + 36), 0);
	ck_assert_uint_eq(get32(fadt + 40), 0);
	find_dsdt(t);
	free(t);

	/* No i8042: the guest must not probe ports 0x60/0x64. */
	t = build(2, true, false, true);
	fadt = find_table(t, "FACP");
	ck_assert_uint_eq(get16(fadt + ACPI_FADT_OFF_IAPC_BOOT) & ACPI_FADT_BOOT_8042, 0);
	free(t);

	/* With a CMOS RTC the guest may use it. */
	t = calloc(1, sizeof(*t));
	t->cfg =
	    (struct acpi_config){.nr_vcpus = 1, .base_gpa = LAYOUT_ACPI_ADDR, .cmos_rtc = true};
	t->len = acpi_build_tables(&t->cfg, t->blob, sizeof(t->blob));
	ck_assert_int_gt(t->len, 0);
	fadt = find_table(t, "FACP");
	ck_assert_uint_eq(get16(fadt + ACPI_FADT_OFF_IAPC_BOOT) & ACPI_FADT_BOOT_NO_CMOS_RTC, 0);
	free(t);
}
END_TEST

START_TEST(test_mcfg)
{
	struct tables *t = build(1, true, false, false);
	const uint8_t *mcfg = find_table(t, "MCFG");

	ck_assert_int_eq(get32(mcfg + 4), 36 + 8 + 16);
	ck_assert_uint_eq(get64(mcfg + 44), LAYOUT_PCI_ECAM_START);
	ck_assert_int_eq(get16(mcfg + 52), 0); /* segment */
	ck_assert_int_eq(mcfg[54], 0);	       /* buses 0..0 */
	ck_assert_int_eq(mcfg[55], 0);
	free(t);
}
END_TEST

START_TEST(test_buffer_too_small)
{
	struct tables *t = build(64, true, true, true);
	uint8_t *small = malloc(t->len);

	ck_assert_ptr_nonnull(small);
	ck_assert_int_eq(acpi_build_tables(&t->cfg, small, t->len - 1), -ENOSPC);
	ck_assert_int_eq(acpi_build_tables(&t->cfg, small, t->len), t->len);
	/* Same input, same bytes: nothing depends on uninitialized memory. */
	ck_assert_mem_eq(small, t->blob, t->len);
	ck_assert_int_eq(acpi_build_tables(NULL, small, t->len), -EINVAL);
	free(small);
	free(t);
}
END_TEST

START_TEST(test_dsdt_decompiles)
{
	struct tables *t = build(2, true, true, true);
	const uint8_t *dsdt = find_dsdt(t);
	struct iasl_run r;
	char want[256];

	iasl_disassemble(&r, "DSDT", dsdt);
	assert_has(r.out, "Name (\\_S5, Package (0x04)");
	assert_has(r.out, "0x05, \n        0x05, \n        Zero, \n        Zero");
	assert_has(r.out, "Device (C000)");
	assert_has(r.out, "Device (C001)");
	assert_lacks(r.out, "Device (C002)");
	assert_has(r.out, "Device (PCI0)");
	assert_has(r.out, "Name (_HID, EisaId (\"PNP0A08\")");
	assert_has(r.out, "Name (_CID, EisaId (\"PNP0A03\")");
	assert_has(r.out, "Name (_SEG, Zero)");
	assert_has(r.out, "Name (_BBN, Zero)");
	assert_has(r.out, "Method (_OSC, 4, Serialized)");
	assert_has(r.out, "ToUUID (\"33db4d5b-1ff7-401c-9657-7441c03dd766\")");
	assert_has(r.out, "Return (Arg3)");
	assert_has(r.out, "0x0CF7,             // Range Maximum");
	assert_has(r.out, "0x0D00,             // Range Minimum");
	assert_has(r.out, "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,");
	assert_has(r.out,
		   "DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, "
		   "ReadWrite,");
	assert_has(r.out, "0xC0000000,         // Range Minimum");
	assert_has(r.out, "0xCFFFFFFF,         // Range Maximum");
	assert_has(r.out, "Memory32Fixed (ReadWrite,\n                    0xE0000000,");
	assert_has(r.out, "EisaId (\"PNP0501\")");
	assert_has(r.out, "0x03F8,             // Range Minimum");
	assert_has(r.out, "Device (PS2K)");
	assert_has(r.out, "EisaId (\"PNP0303\")");
	assert_has(r.out, "Device (PS2M)");
	assert_has(r.out, "EisaId (\"PNP0F13\")");
	assert_has(r.out, "{12}");
	assert_has(r.out, "Device (PWRB)");
	assert_has(r.out, "Name (_HID, \"PNP0C0C\"");
	assert_has(r.out, "Device (GED0)");
	assert_has(r.out, "Name (_HID, \"ACPI0013\"");
	snprintf(want, sizeof(want),
		 "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )\n"
		 "                {\n                    0x%08X,",
		 LAYOUT_GSI_GED);
	assert_has(r.out, want);
	assert_has(r.out, "Method (_EVT, 1, NotSerialized)");
	snprintf(want, sizeof(want), "If ((Arg0 == 0x%02X))", LAYOUT_GSI_GED);
	assert_has(r.out, want);
	assert_has(r.out, "Notify (\\_SB.PWRB, 0x80)");
	iasl_cleanup(&r);
	free(t);
}
END_TEST

START_TEST(test_dsdt_minimal_machine)
{
	struct tables *t = build(1, false, false, false);
	struct iasl_run r;

	iasl_disassemble(&r, "DSDT", find_dsdt(t));
	assert_has(r.out, "Device (PWRB)");
	assert_has(r.out, "Device (GED0)");
	assert_has(r.out, "Name (\\_S5");
	assert_lacks(r.out, "PCI0");
	assert_lacks(r.out, "PNP0C02");
	assert_lacks(r.out, "COM1");
	assert_lacks(r.out, "PS2K");
	assert_lacks(r.out, "PS2M");
	iasl_cleanup(&r);
	free(t);
}
END_TEST

/* The strongest check of the byte code: iasl's ASL for our DSDT, compiled
 * back without optimizations, is exactly our AML. */
START_TEST(test_dsdt_round_trips_through_iasl)
{
	struct tables *t = build(64, true, true, true);
	const uint8_t *dsdt = find_dsdt(t);
	uint32_t len = get32(dsdt + 4);
	struct iasl_run r;
	char cmd[256], path[128];
	uint8_t *aml;
	int st;

	iasl_disassemble(&r, "DSDT", dsdt);
	assert_has(r.out, "Device (C03F)");
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -oa -p again DSDT.dsl >compile.log 2>&1", r.dir);
	st = system(cmd);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(path, sizeof(path), "%s/again.aml", r.dir);
	aml = (uint8_t *)slurp(path);
	ck_assert_ptr_nonnull(aml);
	ck_assert_uint_eq(get32(aml + 4), len);
	ck_assert_mem_eq(aml + 36, dsdt + 36, len - 36);
	free(aml);
	iasl_cleanup(&r);
	free(t);
}
END_TEST

/* Run the DSDT's methods in ACPICA's interpreter (acpiexec, also from
 * acpica-tools), as the guest kernel would. */
static char *acpiexec(const uint8_t *dsdt, const char *commands)
{
	char dir[64], cmd[1024], path[128];
	char *out;
	int st;

	ck_assert_msg(system("command -v acpiexec >/dev/null 2>&1") == 0,
		      "acpiexec not found: install acpica-tools (apt-get install -y acpica-tools)");
	snprintf(dir, sizeof(dir), "/tmp/virtty-acpi-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/DSDT.dat", dir);
	write_file(path, dsdt, get32(dsdt + 4));
	snprintf(cmd, sizeof(cmd), "cd %s && acpiexec -b \"%s\" DSDT.dat >out.log 2>&1", dir,
		 commands);
	st = system(cmd);
	snprintf(path, sizeof(path), "%s/out.log", dir);
	out = slurp(path);
	ck_assert_ptr_nonnull(out);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "%s\n", out);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	return out;
}

/* The PCI host bridge _OSC UUID as a ToUUID buffer, in acpiexec syntax. */
#define PCI_OSC_UUID_ARG "(5b 4d db 33 f7 1f 1c 40 96 57 74 41 c0 3d d7 66)"

START_TEST(test_dsdt_power_button_event)
{
	struct tables *t = build(2, true, true, true);
	char cmd[128];
	char *out;

	/* What Linux's evged.c does when GSI LAYOUT_GSI_GED fires. */
	snprintf(cmd, sizeof(cmd), "execute \\\\_SB.GED0._EVT %d", LAYOUT_GSI_GED);
	out = acpiexec(find_dsdt(t), cmd);
	assert_has(out, "Received a Device Notify on [PWRB]");
	assert_has(out, "Value 0x80");
	assert_lacks(out, "AE_");
	free(out);

	/* Another GSI is not the power button. */
	snprintf(cmd, sizeof(cmd), "execute \\\\_SB.GED0._EVT %d", LAYOUT_GSI_GED + 1);
	out = acpiexec(find_dsdt(t), cmd);
	assert_lacks(out, "Device Notify");
	free(out);
	free(t);
}
END_TEST

START_TEST(test_dsdt_osc_grants_requests)
{
	struct tables *t = build(1, true, false, false);
	char *out;

	/* Query, then a request with every error bit set by the caller:
	 * control DWord (0x1D) comes back as asked, error bits cleared. */
	out = acpiexec(find_dsdt(t), "execute \\\\_SB.PCI0._OSC " PCI_OSC_UUID_ARG
				     " 1 3 (1f 00 00 00 1f 00 00 00 1d 00 00 00)");
	assert_has(out, "0000: 01 00 00 00 1F 00 00 00 1D 00 00 00");
	assert_lacks(out, "AE_");
	free(out);

	/* Some other UUID: "unrecognized UUID" (bit 2). */
	out = acpiexec(find_dsdt(t), "execute \\\\_SB.PCI0._OSC "
				     "(00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff)"
				     " 1 3 (00 00 00 00 1f 00 00 00 1d 00 00 00)");
	assert_has(out, "0000: 04 00 00 00 1F 00 00 00 1D 00 00 00");
	free(out);

	out = acpiexec(find_dsdt(t), "execute \\\\_S5");
	assert_has(out, "[Package] Contains 4 Elements");
	assert_has(out, "[Integer] = 0000000000000005\n    [Integer] = 0000000000000005");
	free(out);
	free(t);
}
END_TEST

/* iasl's own decoding of the fixed tables agrees with what we meant. */
START_TEST(test_fixed_tables_decode)
{
	struct tables *t = build(2, true, true, false);
	struct iasl_run r;

	iasl_disassemble(&r, "FACP", find_table(t, "FACP"));
	assert_has(r.out, "Hardware Reduced (V5) : 1");
	assert_has(r.out, "Control Method Power Button (V1) : 1");
	assert_has(r.out, "Reset Register Supported (V2) : 1");
	assert_has(r.out, "8042 Present on ports 60/64 (V2) : 1");
	assert_has(r.out, "MSI Not Supported (V4) : 0");
	assert_has(r.out, "VGA Not Present (V4) : 0");
	assert_has(r.out, "Address : 0000000000000CF9");
	assert_has(r.out, "Value to cause reset : 06");
	assert_has(r.out, "Address : 0000000000000600");
	assert_has(r.out, "Address : 0000000000000601");
	iasl_cleanup(&r);

	iasl_disassemble(&r, "APIC", find_table(t, "APIC"));
	assert_has(r.out, "Local Apic Address : FEE00000");
	assert_has(r.out, "Local Apic ID : 01");
	assert_has(r.out, "Address : FEC00000");
	assert_has(r.out, "Subtable Type : 04 [Local APIC NMI]");
	iasl_cleanup(&r);

	iasl_disassemble(&r, "MCFG", find_table(t, "MCFG"));
	assert_has(r.out, "Base Address : 00000000E0000000");
	iasl_cleanup(&r);

	iasl_disassemble(&r, "XSDT", table_at(t, get64(t->blob + 24), "XSDT"));
	assert_has(r.out, "ACPI Table Address   2");
	iasl_cleanup(&r);
	free(t);
}
END_TEST

/* ---- The AML builder ---- */

static void aml_expect(struct aml *a, const uint8_t *want, size_t len)
{
	ck_assert_int_eq(aml_finish(a), 0);
	ck_assert_uint_eq(a->len, len);
	ck_assert_mem_eq(a->buf, want, len);
	aml_free(a);
	aml_init(a);
}

START_TEST(test_aml_encodings)
{
	struct aml a;

	aml_init(&a);
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 0xFF);
	aml_integer(&a, 0x100);
	aml_integer(&a, 0x10000);
	aml_integer(&a, 0x100000000ULL);
	aml_expect(&a, (const uint8_t[]){0x00, 0x01, 0x0A, 0xFF, 0x0B, 0x00, 0x01,
					 0x0C, 0x00, 0x00, 0x01, 0x00, 0x0E, 0,
					 0,    0,    0,	   1,	 0,    0,    0},
		   21);

	aml_namestring(&a, "\\_SB.PCI0");
	aml_expect(&a, (const uint8_t[]){'\\', 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'}, 10);
	aml_namestring(&a, "\\A.B.C");
	aml_expect(&a,
		   (const uint8_t[]){'\\', 0x2F, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C',
				     '_', '_', '_'},
		   15);
	aml_namestring(&a, "^^X1");
	aml_expect(&a, (const uint8_t[]){'^', '^', 'X', '1', '_', '_'}, 6);
	aml_namestring(&a, "\\");
	aml_expect(&a, (const uint8_t[]){'\\', 0x00}, 2);

	/* EisaId("PNP0A03") is the DWord 0x030AD041. */
	aml_eisaid(&a, "PNP0A03");
	aml_expect(&a, (const uint8_t[]){0x0C, 0x41, 0xD0, 0x0A, 0x03}, 5);

	aml_string(&a, "ab");
	aml_expect(&a, (const uint8_t[]){0x0D, 'a', 'b', 0}, 4);
	aml_free(&a);
}
END_TEST

START_TEST(test_aml_pkglength_sizes)
{
	/* Bodies around each PkgLength size change: 1 byte up to 63 in all,
	 * 2 bytes below 4096, 3 bytes below 1 MiB. */
	static const size_t bodies[] = {60, 61, 62, 63, 4093, 4094, 4095, 70000};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		size_t body = bodies[i], total, n, want, got = 0;
		uint8_t *fill = calloc(1, body);
		struct aml a;

		ck_assert_ptr_nonnull(fill);
		aml_init(&a);
		aml_if_begin(&a);
		aml_bytes(&a, fill, body);
		aml_end(&a);
		ck_assert_int_eq(aml_finish(&a), 0);
		n = a.len - 1 - body; /* bytes of the PkgLength */
		total = body + n;
		ck_assert_int_eq(a.buf[0], 0xA0);
		want = total <= 63 ? 1 : total < 4096 ? 2 : total < (1 << 20) ? 3 : 4;
		ck_assert_uint_eq(n, want);
		ck_assert_uint_eq(a.buf[1] >> 6, n - 1);
		if (n == 1) {
			got = a.buf[1] & 0x3F;
		} else {
			got = a.buf[1] & 0x0F;
			for (size_t k = 1; k < n; k++)
				got |= (size_t)a.buf[1 + k] << (4 + 8 * (k - 1));
		}
		ck_assert_uint_eq(got, total);
		aml_free(&a);
		free(fill);
	}
}
END_TEST

/* Nesting where an inner PkgLength grows after the outer one is known to
 * the builder: iasl must still decode every construct. */
START_TEST(test_aml_nested_large_buffer_decodes)
{
	static uint8_t big[5000];
	uint8_t table[8192] = {0};
	struct iasl_run r;
	struct aml a;
	uint32_t len;

	aml_init(&a);
	aml_scope_begin(&a, "\\_SB");
	aml_device_begin(&a, "BIG0");
	aml_name(&a, "_HID");
	aml_string(&a, "VRTY0001");
	aml_name(&a, "SMAL");
	aml_buffer(&a, big, 50);
	aml_name(&a, "LARG");
	aml_buffer(&a, big, sizeof(big));
	aml_end(&a);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), 0);

	len = 36 + a.len;
	memcpy(table, "SSDT", 4);
	table[4] = len;
	table[5] = len >> 8;
	table[8] = 2;
	memcpy(table + 10, "VIRTTY", 6);
	memcpy(table + 36, a.buf, a.len);
	table[9] = -sum8(table, len);
	aml_free(&a);

	iasl_disassemble(&r, "SSDT", table);
	assert_has(r.out, "Device (BIG0)");
	assert_has(r.out, "Name (SMAL, Buffer (0x32)");
	assert_has(r.out, "Name (LARG, Buffer (0x1388)");
	iasl_cleanup(&r);
}
END_TEST

START_TEST(test_aml_rejects_bad_input)
{
	static const char *bad_names[] = {"abcd", "TOOLONG", "1ABC", "A..B", "A.", ".A", "A-B"};
	struct aml a;

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		aml_init(&a);
		aml_namestring(&a, bad_names[i]);
		ck_assert_msg(aml_finish(&a) == -EINVAL, "name \"%s\" accepted", bad_names[i]);
		aml_free(&a);
	}

	aml_init(&a);
	aml_eisaid(&a, "pnp0a03");
	ck_assert_int_eq(aml_finish(&a), -EINVAL);
	aml_free(&a);

	/* Unclosed construct, and one aml_end() too many. */
	aml_init(&a);
	aml_device_begin(&a, "DEV0");
	ck_assert_int_eq(aml_finish(&a), -EINVAL);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), 0);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), -EINVAL);
	aml_free(&a);

	/* Resource descriptors outside a ResourceTemplate. */
	aml_init(&a);
	aml_res_io(&a, 0x60, 1);
	ck_assert_int_eq(aml_finish(&a), -EINVAL);
	aml_free(&a);

	/* Nesting deeper than the builder supports fails cleanly. */
	aml_init(&a);
	for (int i = 0; i < AML_MAX_DEPTH + 1; i++)
		aml_if_begin(&a);
	ck_assert_int_eq(aml_finish(&a), -E2BIG);
	aml_free(&a);
}
END_TEST

/* ---- ACPI power management ports ---- */

struct irq_record {
	struct irqchip chip;
	uint32_t gsi[16];
	int level[16];
	int n;
};

static int record_set_line(struct irqchip *chip, uint32_t gsi, int level)
{
	struct irq_record *rec = chip->opaque;

	if (rec->n < 16) {
		rec->gsi[rec->n] = gsi;
		rec->level[rec->n] = level;
	}
	rec->n++;
	return 0;
}

static int record_signal_msi(struct irqchip *chip, uint64_t addr, uint32_t data)
{
	return -ENOSYS;
}

struct pm_calls {
	int poweroff, reset;
};

static void on_poweroff(void *opaque)
{
	((struct pm_calls *)opaque)->poweroff++;
}

static void on_reset(void *opaque)
{
	((struct pm_calls *)opaque)->reset++;
}

struct pm_fixture {
	struct io_bus pio;
	struct irq_record irq;
	struct pm_calls calls;
	struct acpi_pm *pm;
};

static void pm_setup(struct pm_fixture *f)
{
	struct acpi_pm_ops ops = {.poweroff = on_poweroff, .reset = on_reset, .opaque = &f->calls};

	memset(f, 0, sizeof(*f));
	io_bus_init(&f->pio, "pio");
	f->irq.chip = (struct irqchip){
	    .set_line = record_set_line, .signal_msi = record_signal_msi, .opaque = &f->irq};
	f->pm = acpi_pm_new(&f->pio, &f->irq.chip, &ops);
	ck_assert_ptr_nonnull(f->pm);
}

static void pm_teardown(struct pm_fixture *f)
{
	acpi_pm_free(f->pm);
	io_bus_destroy(&f->pio);
}

static void outb(struct pm_fixture *f, uint16_t port, uint8_t v)
{
	ck_assert(io_bus_access(&f->pio, port, &v, 1, true));
}

static uint8_t inb(struct pm_fixture *f, uint16_t port)
{
	uint8_t v;

	ck_assert(io_bus_access(&f->pio, port, &v, 1, false));
	return v;
}

START_TEST(test_pm_poweroff_like_linux)
{
	struct pm_fixture f;
	int polls = 0;

	pm_setup(&f);
	/* drivers/acpi/acpica/hwesleep.c: clear WAK_STS, write SLP_TYP|SLP_EN,
	 * then poll the status register for WAK_STS. */
	outb(&f, LAYOUT_PORT_ACPI_SLEEP_STS, ACPI_PM_WAK_STS);
	ck_assert_int_eq(inb(&f, LAYOUT_PORT_ACPI_SLEEP_STS), 0);
	outb(&f, LAYOUT_PORT_ACPI_SLEEP_CTL,
	     ((LAYOUT_ACPI_S5_SLP_TYP << 2) & ACPI_PM_SLP_TYP_MASK) | ACPI_PM_SLP_EN);
	ck_assert_int_eq(f.calls.poweroff, 1);
	ck_assert_int_eq(f.calls.reset, 0);
	while (!(inb(&f, LAYOUT_PORT_ACPI_SLEEP_STS) & ACPI_PM_WAK_STS) && polls < 1000)
		polls++;
	ck_assert_int_eq(polls, 0);
	/* WAK_STS is write-one-to-clear. */
	outb(&f, LAYOUT_PORT_ACPI_SLEEP_STS, 0);
	ck_assert_int_eq(inb(&f, LAYOUT_PORT_ACPI_SLEEP_STS), ACPI_PM_WAK_STS);
	outb(&f, LAYOUT_PORT_ACPI_SLEEP_STS, ACPI_PM_WAK_STS);
	ck_assert_int_eq(inb(&f, LAYOUT_PORT_ACPI_SLEEP_STS), 0);
	pm_teardown(&f);
}
END_TEST

START_TEST(test_pm_other_sleep_writes_do_not_power_off)
{
	struct pm_fixture f;

	pm_setup(&f);
	/* SLP_TYP 5 without SLP_EN only selects the state. */
	outb(&f, LAYOUT_PORT_ACPI_SLEEP_CTL, LAYOUT_ACPI_S5_SLP_TYP << 2);
	ck_assert_int_eq(f.calls.poweroff, 0);
	ck_assert_int_eq(inb(&f, LAYOUT_PORT_ACPI_SLEEP_STS), 0);
	/* S1 is not offered: the guest "wakes" at once instead of hanging. */
	outb(&f, LAYOUT_PORT_ACPI_SLEEP_CTL, (1 << 2) | ACPI_PM_SLP_EN);
	ck_assert_int_eq(f.calls.poweroff, 0);
	ck_assert_int_eq(inb(&f, LAYOUT_PORT_ACPI_SLEEP_STS), ACPI_PM_WAK_STS);
	ck_assert_int_eq(f.calls.reset, 0);
	pm_teardown(&f);
}
END_TEST

START_TEST(test_pm_reset_port)
{
	struct pm_fixture f;

	pm_setup(&f);
	/* A machine without PCI: acpi_pm decodes 0xCF9 itself. */
	ck_assert_int_eq(acpi_pm_claim_reset_port(f.pm), 0);
	ck_assert_int_eq(acpi_pm_claim_reset_port(f.pm), 0);
	/* Linux reboot=pci: 0x02 first (no reset), then 0x06. */
	outb(&f, LAYOUT_PORT_RESET, 0x02);
	ck_assert_int_eq(f.calls.reset, 0);
	ck_assert_int_eq(inb(&f, LAYOUT_PORT_RESET), 0x02);
	outb(&f, LAYOUT_PORT_RESET, 0x06);
	ck_assert_int_eq(f.calls.reset, 1);
	outb(&f, LAYOUT_PORT_RESET, 0x0E);
	ck_assert_int_eq(f.calls.reset, 2);
	ck_assert_int_eq(f.calls.poweroff, 0);
	pm_teardown(&f);
}
END_TEST

static void taken_port_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
}

/* The machine as vmm.c builds it: the PCI bus owns 0xCF8..0xCFF and hands
 * 1-byte writes at 0xCF9 to acpi_pm, while config cycles keep working. */
START_TEST(test_pm_reset_port_behind_pci)
{
	struct pm_fixture f;
	struct io_bus mmio;
	struct pci_bus *bus;
	uint8_t dword[4] = {0x00, 0x00, 0x00, 0x80}; /* CONFIG_ADDRESS: enable, 0:0.0 */
	uint8_t vendor[2];

	pm_setup(&f);
	io_bus_init(&mmio, "mmio");
	bus = pci_bus_new(&f.pio, &mmio);
	ck_assert_ptr_nonnull(bus);
	/* 0xCF9 belongs to the PCI bus now. */
	ck_assert_int_eq(acpi_pm_claim_reset_port(f.pm), -EEXIST);
	pci_bus_set_reset_handler(bus, acpi_pm_reset_port_write, f.pm);

	outb(&f, LAYOUT_PORT_RESET, 0x02);
	ck_assert_int_eq(f.calls.reset, 0);
	outb(&f, LAYOUT_PORT_RESET, 0x06);
	ck_assert_int_eq(f.calls.reset, 1);

	ck_assert(io_bus_access(&f.pio, LAYOUT_PORT_PCI_CONFIG, dword, 4, true));
	ck_assert(io_bus_access(&f.pio, LAYOUT_PORT_PCI_CONFIG + 4, vendor, 2, false));
	ck_assert_int_ne(get16(vendor), 0xFFFF); /* the host bridge answers */
	ck_assert_int_eq(f.calls.reset, 1);

	pci_bus_free(bus);
	io_bus_destroy(&mmio);
	pm_teardown(&f);
}
END_TEST

START_TEST(test_pm_ports_taken)
{
	struct irq_record irq = {.chip = {.set_line = record_set_line}};
	struct io_bus pio;

	io_bus_init(&pio, "pio");
	ck_assert_int_eq(io_bus_register(&pio, LAYOUT_PORT_ACPI_SLEEP_STS, 1, taken_port_io, NULL),
			 0);
	errno = 0;
	ck_assert_ptr_null(acpi_pm_new(&pio, &irq.chip, NULL));
	ck_assert_int_eq(errno, EEXIST);
	/* The failed attempt released the control port it had claimed. */
	ck_assert_int_eq(io_bus_register(&pio, LAYOUT_PORT_ACPI_SLEEP_CTL, 1, taken_port_io, NULL),
			 0);
	io_bus_destroy(&pio);
}
END_TEST

START_TEST(test_pm_free_releases_ports)
{
	struct pm_fixture f;
	uint8_t v = 0x06;

	pm_setup(&f);
	ck_assert_int_eq(acpi_pm_claim_reset_port(f.pm), 0);
	acpi_pm_free(f.pm);
	f.pm = NULL;
	ck_assert(!io_bus_access(&f.pio, LAYOUT_PORT_RESET, &v, 1, true));
	ck_assert(!io_bus_access(&f.pio, LAYOUT_PORT_ACPI_SLEEP_CTL, &v, 1, true));
	ck_assert(!io_bus_access(&f.pio, LAYOUT_PORT_ACPI_SLEEP_STS, &v, 1, false));
	ck_assert_int_eq(f.calls.reset, 0);
	ck_assert_int_eq(f.calls.poweroff, 0);
	io_bus_destroy(&f.pio);
}
END_TEST

START_TEST(test_pm_power_button_pulses_ged)
{
	struct pm_fixture f;

	pm_setup(&f);
	ck_assert_int_eq(acpi_pm_press_power_button(f.pm), 0);
	/* One edge on the GSI that the DSDT's GED0 _CRS names. */
	ck_assert_int_eq(f.irq.n, 2);
	ck_assert_uint_eq(f.irq.gsi[0], LAYOUT_GSI_GED);
	ck_assert_int_eq(f.irq.level[0], 1);
	ck_assert_uint_eq(f.irq.gsi[1], LAYOUT_GSI_GED);
	ck_assert_int_eq(f.irq.level[1], 0);
	ck_assert_int_eq(f.calls.poweroff, 0);
	pm_teardown(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("acpi");
	TCase *tables = tcase_create("tables");
	TCase *aml = tcase_create("aml");
	TCase *pm = tcase_create("pm");
	SRunner *sr;
	int failed;

	/* Each iasl run takes a moment: Check's default 4 s kill timer could
	 * fire on a loaded machine. This is a hang guard, not a measurement. */
	tcase_set_timeout(tables, 60);
	tcase_add_test(tables, test_rsdp);
	tcase_add_test(tables, test_xsdt_lists_tables);
	tcase_add_loop_test(tables, test_madt_one_lapic_per_vcpu, 0,
			    sizeof(madt_vcpus) / sizeof(madt_vcpus[0]));
	tcase_add_test(tables, test_madt_vcpu_limits);
	tcase_add_test(tables, test_fadt);
	tcase_add_test(tables, test_mcfg);
	tcase_add_test(tables, test_buffer_too_small);
	tcase_add_test(tables, test_dsdt_decompiles);
	tcase_add_test(tables, test_dsdt_minimal_machine);
	tcase_add_test(tables, test_dsdt_round_trips_through_iasl);
	tcase_add_test(tables, test_fixed_tables_decode);
	tcase_add_test(tables, test_dsdt_power_button_event);
	tcase_add_test(tables, test_dsdt_osc_grants_requests);
	suite_add_tcase(s, tables);

	tcase_set_timeout(aml, 60);
	tcase_add_test(aml, test_aml_encodings);
	tcase_add_test(aml, test_aml_pkglength_sizes);
	tcase_add_test(aml, test_aml_nested_large_buffer_decodes);
	tcase_add_test(aml, test_aml_rejects_bad_input);
	suite_add_tcase(s, aml);

	tcase_add_test(pm, test_pm_poweroff_like_linux);
	tcase_add_test(pm, test_pm_other_sleep_writes_do_not_power_off);
	tcase_add_test(pm, test_pm_reset_port);
	tcase_add_test(pm, test_pm_reset_port_behind_pci);
	tcase_add_test(pm, test_pm_ports_taken);
	tcase_add_test(pm, test_pm_free_releases_ports);
	tcase_add_test(pm, test_pm_power_button_pulses_ged);
	suite_add_tcase(s, pm);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
