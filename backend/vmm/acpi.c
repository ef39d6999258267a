/* Builds the ACPI tables copied to LAYOUT_ACPI_ADDR. The machine is
 * "hardware-reduced": no PM1/GPE blocks, sleep and reset through the FADT's
 * sleep control/status and reset registers (acpi_pm.c), the power button is a
 * control-method device notified by a Generic Event Device on LAYOUT_GSI_GED. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "aml.h"
#include "layout.h"

#define ACPI_HEADER_SIZE      36
#define ACPI_RSDP_SIZE	      36
#define ACPI_MCFG_SIZE	      (ACPI_HEADER_SIZE + 8 + 16)
#define ACPI_MADT_LAPIC_SIZE  8
#define ACPI_MADT_IOAPIC_SIZE 12
#define ACPI_MADT_ISO_SIZE    10
#define ACPI_MADT_NMI_SIZE    6
#define ACPI_MAX_TABLES	      3 /* in the XSDT: FADT, MADT, MCFG */

/* Generic Address Structure address space ids. */
#define ACPI_GAS_SYSTEM_IO   1
#define ACPI_GAS_ACCESS_BYTE 1

/* Value guests write to LAYOUT_PORT_RESET (also what acpi_pm.c expects). */
#define ACPI_RESET_VALUE 0x06

/* _OSC UUID of PCI host bridges (PCI Firmware Specification 3.x, 4.5). */
#define ACPI_PCI_OSC_UUID "33DB4D5B-1FF7-401C-9657-7441C03DD766"

static void acpi_put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void acpi_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void acpi_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

/* The byte that makes the sum of the len bytes at p zero. */
static uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

static void acpi_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	acpi_put32(t + 4, len);
	t[8] = rev;
	t[9] = 0; /* checksum, filled by acpi_seal() */
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	acpi_put32(t + 24, 1);	   /* OEM revision */
	memcpy(t + 28, "VRTY", 4); /* creator id */
	acpi_put32(t + 32, 1);	   /* creator revision */
}

static void acpi_seal(uint8_t *t)
{
	uint32_t len = t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;

	t[9] = 0;
	t[9] = acpi_checksum(t, len);
}

/* Generic Address Structure for an 8-bit I/O port. */
static void acpi_gas_io8(uint8_t *p, uint16_t port)
{
	p[0] = ACPI_GAS_SYSTEM_IO;
	p[1] = 8; /* register bit width */
	p[2] = 0; /* bit offset */
	p[3] = ACPI_GAS_ACCESS_BYTE;
	acpi_put64(p + 4, port);
}

static size_t acpi_align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

/* _OSC of the host bridge: grant whatever the OS asks for (it is all
 * emulated or irrelevant), so Linux uses native PCIe services and MSI.
 * Unknown UUIDs get "unrecognized UUID" as the spec requires. */
static void acpi_dsdt_pci_osc(struct aml *a)
{
	aml_method_begin(a, "_OSC", 4, true);
	/* CreateDWordField(Arg3, 0, CDW1) */
	aml_op(a, AML_OP_CREATE_DWORD_FIELD);
	aml_arg(a, 3);
	aml_integer(a, 0);
	aml_namestring(a, "CDW1");
	/* If (Arg0 == ToUUID(...)) { CDW1 &= ~0x1E } Else { CDW1 |= 4 } */
	aml_if_begin(a);
	aml_op(a, AML_OP_LEQUAL);
	aml_arg(a, 0);
	aml_uuid(a, ACPI_PCI_OSC_UUID);
	/* Clear _OSC failure, unrecognized UUID/revision, capabilities masked. */
	aml_op(a, AML_OP_AND);
	aml_namestring(a, "CDW1");
	aml_integer(a, 0xFFFFFFE1);
	aml_namestring(a, "CDW1");
	aml_end(a);
	aml_else_begin(a);
	aml_op(a, AML_OP_OR);
	aml_namestring(a, "CDW1");
	aml_integer(a, 0x04);
	aml_namestring(a, "CDW1");
	aml_end(a);
	/* Return (Arg3): the capabilities buffer, control DWord untouched. */
	aml_op(a, AML_OP_RETURN);
	aml_arg(a, 3);
	aml_end(a);
}

static void acpi_dsdt_pci(struct aml *a)
{
	aml_device_begin(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A08"); /* PCI Express root bridge */
	aml_name(a, "_CID");
	aml_eisaid(a, "PNP0A03"); /* PCI root bridge */
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_restemplate_begin(a);
	aml_res_word_bus(a, 0, 0);
	aml_res_io(a, LAYOUT_PORT_PCI_CONFIG, 8);
	aml_res_word_io(a, 0x0000, LAYOUT_PORT_PCI_CONFIG - 1);
	aml_res_word_io(a, 0x0D00, 0xFFFF);
	aml_res_dword_mem(a, LAYOUT_PCI_MMIO_START,
			  LAYOUT_PCI_MMIO_START + LAYOUT_PCI_MMIO_SIZE - 1, false);
	aml_end(a);
	acpi_dsdt_pci_osc(a);
	aml_end(a);

	/* Linux uses the MCFG's ECAM only if the region is reserved by the
	 * e820 map or by a motherboard resource device; say it here. */
	aml_device_begin(a, "MRES");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_restemplate_begin(a);
	aml_res_mem32_fixed(a, LAYOUT_PCI_ECAM_START, LAYOUT_PCI_ECAM_SIZE);
	aml_end(a);
	aml_end(a);
}

static void acpi_dsdt_com1(struct aml *a)
{
	aml_device_begin(a, "COM1");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0501"); /* 16550A-compatible UART */
	aml_name(a, "_UID");
	aml_integer(a, 1);
	aml_name(a, "_CRS");
	aml_restemplate_begin(a);
	aml_res_io(a, LAYOUT_PORT_COM1, 8);
	aml_res_irq(a, LAYOUT_GSI_COM1);
	aml_end(a);
	aml_end(a);
}

static void acpi_dsdt_i8042(struct aml *a)
{
	/* Linux's i8042 PNP probe takes the ports from the keyboard and only
	 * the IRQ from the mouse, as on real boards. */
	aml_device_begin(a, "PS2K");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0303");
	aml_name(a, "_CID");
	aml_eisaid(a, "PNP030B");
	aml_name(a, "_CRS");
	aml_restemplate_begin(a);
	aml_res_io(a, LAYOUT_PORT_I8042_DATA, 1);
	aml_res_io(a, LAYOUT_PORT_I8042_CMD, 1);
	aml_res_irq(a, LAYOUT_GSI_I8042_KBD);
	aml_end(a);
	aml_end(a);

	aml_device_begin(a, "PS2M");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0F13");
	aml_name(a, "_CRS");
	aml_restemplate_begin(a);
	aml_res_irq(a, LAYOUT_GSI_I8042_AUX);
	aml_end(a);
	aml_end(a);
}

static void acpi_dsdt_power_button(struct aml *a)
{
	aml_device_begin(a, "PWRB");
	aml_name(a, "_HID");
	aml_string(a, "PNP0C0C");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_end(a);

	/* Generic Event Device: an interrupt on its GSI runs _EVT, which
	 * tells the OS the power button was pressed (notify 0x80). */
	aml_device_begin(a, "GED0");
	aml_name(a, "_HID");
	aml_string(a, "ACPI0013");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_restemplate_begin(a);
	aml_res_ext_irq(a, LAYOUT_GSI_GED, AML_IRQ_CONSUMER | AML_IRQ_EDGE);
	aml_end(a);
	aml_method_begin(a, "_EVT", 1, false);
	aml_if_begin(a);
	aml_op(a, AML_OP_LEQUAL);
	aml_arg(a, 0);
	aml_integer(a, LAYOUT_GSI_GED);
	aml_notify(a, "\\_SB.PWRB", 0x80);
	aml_end(a);
	aml_end(a);
	aml_end(a);
}

/* The AML of the DSDT (without its header) into a. */
static int acpi_build_dsdt_aml(const struct acpi_config *cfg, struct aml *a)
{
	aml_name(a, "\\_S5");
	aml_package_begin(a, 4);
	/* SLP_TYPa, SLP_TYPb, reserved, reserved */
	aml_integer(a, LAYOUT_ACPI_S5_SLP_TYP);
	aml_integer(a, LAYOUT_ACPI_S5_SLP_TYP);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a);

	aml_scope_begin(a, "\\_SB");
	/* Processor devices matching the MADT's processor UIDs, so the OS
	 * can bind its processor driver (idle states, topology). */
	for (int i = 0; i < cfg->nr_vcpus; i++) {
		char name[12];

		snprintf(name, sizeof(name), "C%03X", (unsigned int)i);
		aml_device_begin(a, name);
		aml_name(a, "_HID");
		aml_string(a, "ACPI0007");
		aml_name(a, "_UID");
		aml_integer(a, i);
		aml_end(a);
	}
	if (cfg->pci)
		acpi_dsdt_pci(a);
	if (cfg->com1)
		acpi_dsdt_com1(a);
	if (cfg->i8042)
		acpi_dsdt_i8042(a);
	acpi_dsdt_power_button(a);
	aml_end(a);
	return aml_finish(a);
}

static size_t acpi_madt_size(int nr_vcpus)
{
	return ACPI_HEADER_SIZE + 8 + (size_t)nr_vcpus * ACPI_MADT_LAPIC_SIZE +
	       ACPI_MADT_IOAPIC_SIZE + ACPI_MADT_ISO_SIZE + ACPI_MADT_NMI_SIZE;
}

static void acpi_build_madt(const struct acpi_config *cfg, uint8_t *t)
{
	size_t len = acpi_madt_size(cfg->nr_vcpus);
	uint8_t *e;

	/* Revision 5 (ACPI 6.3); flags 0: no dual 8259 set-up to disable. */
	acpi_header(t, "APIC", len, 5);
	acpi_put32(t + 36, LAYOUT_LAPIC_ADDR);
	acpi_put32(t + 40, 0);
	e = t + 44;
	for (int i = 0; i < cfg->nr_vcpus; i++, e += ACPI_MADT_LAPIC_SIZE) {
		e[0] = 0; /* Processor Local APIC */
		e[1] = ACPI_MADT_LAPIC_SIZE;
		e[2] = i;	      /* ACPI processor UID, as the DSDT's _UID */
		e[3] = i;	      /* APIC id */
		acpi_put32(e + 4, 1); /* enabled */
	}
	e[0] = 1; /* I/O APIC */
	e[1] = ACPI_MADT_IOAPIC_SIZE;
	e[2] = cfg->nr_vcpus;
	e[3] = 0;
	acpi_put32(e + 4, LAYOUT_IOAPIC_ADDR);
	acpi_put32(e + 8, 0); /* GSI base */
	e += ACPI_MADT_IOAPIC_SIZE;

	/* The PIT's IRQ 0 is wired to IOAPIC pin 2, as on PCs. */
	e[0] = 2; /* Interrupt Source Override */
	e[1] = ACPI_MADT_ISO_SIZE;
	e[2] = 0; /* ISA bus */
	e[3] = 0; /* IRQ 0 */
	acpi_put32(e + 4, 2);
	acpi_put16(e + 8, 0); /* conforms to the bus: edge, active high */
	e += ACPI_MADT_ISO_SIZE;

	e[0] = 4; /* Local APIC NMI */
	e[1] = ACPI_MADT_NMI_SIZE;
	e[2] = 0xFF;		   /* all processors */
	acpi_put16(e + 3, 0x0005); /* active high, edge */
	e[5] = 1;		   /* LINT1 */
	acpi_seal(t);
}

static void acpi_build_mcfg(uint8_t *t)
{
	acpi_header(t, "MCFG", ACPI_MCFG_SIZE, 1);
	memset(t + 36, 0, 8);
	acpi_put64(t + 44, LAYOUT_PCI_ECAM_START);
	acpi_put16(t + 52, 0); /* segment */
	t[54] = 0;	       /* first bus */
	t[55] = 0;	       /* last bus */
	acpi_put32(t + 56, 0);
	acpi_seal(t);
}

static void acpi_build_fadt(const struct acpi_config *cfg, uint8_t *t, uint64_t dsdt_gpa)
{
	uint16_t boot = 0;

	memset(t, 0, ACPI_FADT_SIZE);
	acpi_header(t, "FACP", ACPI_FADT_SIZE, 6);
	/* No FACS, no SCI, no PM blocks: hardware-reduced. The 32-bit DSDT
	 * field stays 0 so only X_DSDT is used. */
	if (cfg->i8042)
		boot |= ACPI_FADT_BOOT_8042;
	if (!cfg->cmos_rtc)
		boot |= ACPI_FADT_BOOT_NO_CMOS_RTC;
	acpi_put16(t + ACPI_FADT_OFF_IAPC_BOOT, boot);
	acpi_put32(t + ACPI_FADT_OFF_FLAGS, ACPI_FADT_HW_REDUCED_ACPI | ACPI_FADT_RESET_REG_SUP |
						ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON);
	acpi_gas_io8(t + ACPI_FADT_OFF_RESET_REG, LAYOUT_PORT_RESET);
	t[ACPI_FADT_OFF_RESET_VALUE] = ACPI_RESET_VALUE;
	t[ACPI_FADT_OFF_MINOR] = 0;
	acpi_put64(t + ACPI_FADT_OFF_X_DSDT, dsdt_gpa);
	acpi_gas_io8(t + ACPI_FADT_OFF_SLEEP_CTL, LAYOUT_PORT_ACPI_SLEEP_CTL);
	acpi_gas_io8(t + ACPI_FADT_OFF_SLEEP_STS, LAYOUT_PORT_ACPI_SLEEP_STS);
	memcpy(t + ACPI_FADT_OFF_HYPERVISOR, ACPI_HYPERVISOR_ID, 8);
	acpi_seal(t);
}

static void acpi_build_rsdp(uint8_t *t, uint64_t xsdt_gpa)
{
	memset(t, 0, ACPI_RSDP_SIZE);
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, ACPI_OEM_ID, 6);
	t[15] = 2;	       /* revision: ACPI 2.0+, XSDT */
	acpi_put32(t + 16, 0); /* no RSDT */
	acpi_put32(t + 20, ACPI_RSDP_SIZE);
	acpi_put64(t + 24, xsdt_gpa);
	t[8] = acpi_checksum(t, 20);
	t[32] = acpi_checksum(t, ACPI_RSDP_SIZE);
}

ssize_t acpi_build_tables(const struct acpi_config *cfg, uint8_t *buf, size_t size)
{
	size_t xsdt_off, fadt_off, madt_off, mcfg_off = 0, dsdt_off, end, dsdt_len;
	uint64_t tables[ACPI_MAX_TABLES];
	int ntables = 0, r;
	struct aml aml;
	uint8_t *xsdt;

	if (!cfg || (!buf && size) || cfg->nr_vcpus < 1 || cfg->nr_vcpus > ACPI_MAX_VCPUS)
		return -EINVAL;

	aml_init(&aml);
	r = acpi_build_dsdt_aml(cfg, &aml);
	if (r < 0) {
		aml_free(&aml);
		return r == -ENOMEM ? -ENOMEM : -EINVAL;
	}

	/* Layout: RSDP, XSDT, FADT, MADT, MCFG, DSDT, each 8-byte aligned. */
	xsdt_off = acpi_align8(ACPI_RSDP_SIZE);
	fadt_off = acpi_align8(xsdt_off + ACPI_HEADER_SIZE + 8 * (cfg->pci ? 3 : 2));
	madt_off = acpi_align8(fadt_off + ACPI_FADT_SIZE);
	end = acpi_align8(madt_off + acpi_madt_size(cfg->nr_vcpus));
	if (cfg->pci) {
		mcfg_off = end;
		end = acpi_align8(mcfg_off + ACPI_MCFG_SIZE);
	}
	dsdt_off = end;
	dsdt_len = ACPI_HEADER_SIZE + aml.len;
	end = dsdt_off + dsdt_len;
	if (cfg->base_gpa + end < cfg->base_gpa) {
		aml_free(&aml);
		return -EINVAL;
	}
	if (end > size) {
		aml_free(&aml);
		return -ENOSPC;
	}
	memset(buf, 0, end);

	acpi_header(buf + dsdt_off, "DSDT", dsdt_len, 2); /* 2: 64-bit integers */
	memcpy(buf + dsdt_off + ACPI_HEADER_SIZE, aml.buf, aml.len);
	acpi_seal(buf + dsdt_off);
	aml_free(&aml);

	acpi_build_fadt(cfg, buf + fadt_off, cfg->base_gpa + dsdt_off);
	tables[ntables++] = cfg->base_gpa + fadt_off;
	acpi_build_madt(cfg, buf + madt_off);
	tables[ntables++] = cfg->base_gpa + madt_off;
	if (cfg->pci) {
		acpi_build_mcfg(buf + mcfg_off);
		tables[ntables++] = cfg->base_gpa + mcfg_off;
	}

	xsdt = buf + xsdt_off;
	acpi_header(xsdt, "XSDT", ACPI_HEADER_SIZE + 8 * ntables, 1);
	for (int i = 0; i < ntables; i++)
		acpi_put64(xsdt + ACPI_HEADER_SIZE + 8 * i, tables[i]);
	acpi_seal(xsdt);

	acpi_build_rsdp(buf, cfg->base_gpa + xsdt_off);
	return end;
}
