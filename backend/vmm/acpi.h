/* ACPI tables of a virtty-vmm machine (RSDP, XSDT, hardware-reduced FADT,
 * MADT, MCFG, DSDT): how a stock kernel finds its CPUs, PCI and power button. */
#ifndef VIRTTY_VMM_ACPI_H
#define VIRTTY_VMM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* vCPUs are described with xAPIC entries, and the IOAPIC takes the id
 * after the last vCPU: both must fit the 8-bit ids (255 is broadcast). */
#define ACPI_MAX_VCPUS 254

struct acpi_config {
	int nr_vcpus; /* LAPIC ids 0..nr_vcpus-1 */
	/* Guest address where the blob is placed: LAYOUT_ACPI_ADDR; RSDP first. */
	uint64_t base_gpa;
	bool pci;   /* describe the PCI host bridge + MCFG */
	bool i8042; /* describe PS/2 keyboard/mouse, set the FADT 8042 boot flag */
	bool com1;  /* describe COM1 (PNP0501, 0x3F8, IRQ 4) */
	/* A CMOS RTC answers at 0x70/0x71. If false the FADT says "CMOS RTC
	 * not present", so the guest does not probe those ports. */
	bool cmos_rtc;
};

/* Build every table into buf (the bytes to copy to guest memory at cfg->base_gpa). Returns the
 * number of bytes used, or -ENOSPC (buf too small), -EINVAL (nr_vcpus outside
 * 1..ACPI_MAX_VCPUS) or -ENOMEM. The RSDP is at offset 0. */
ssize_t acpi_build_tables(const struct acpi_config *cfg, uint8_t *buf, size_t size);

/* Table signatures and fixed values, shared with the tests. */
#define ACPI_OEM_ID	   "VIRTTY"   /* 6 bytes */
#define ACPI_OEM_TABLE_ID  "VIRTTYVM" /* 8 bytes */
#define ACPI_HYPERVISOR_ID "VIRTTY  " /* FADT hypervisor vendor identity, 8 bytes */

/* FADT flags (ACPI 6.x, table 5.10). */
#define ACPI_FADT_PWR_BUTTON	  (1u << 4)
#define ACPI_FADT_SLP_BUTTON	  (1u << 5)
#define ACPI_FADT_RESET_REG_SUP	  (1u << 10)
#define ACPI_FADT_HW_REDUCED_ACPI (1u << 20)

/* FADT IA-PC boot architecture flags (table 5.11). */
#define ACPI_FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define ACPI_FADT_BOOT_8042	      (1u << 1)
#define ACPI_FADT_BOOT_NO_VGA	      (1u << 2)
#define ACPI_FADT_BOOT_NO_MSI	      (1u << 3)
#define ACPI_FADT_BOOT_NO_ASPM	      (1u << 4)
#define ACPI_FADT_BOOT_NO_CMOS_RTC    (1u << 5)

/* Byte offsets inside the FADT (revision 6, 276 bytes). */
#define ACPI_FADT_SIZE		  276
#define ACPI_FADT_OFF_IAPC_BOOT	  109
#define ACPI_FADT_OFF_FLAGS	  112
#define ACPI_FADT_OFF_RESET_REG	  116
#define ACPI_FADT_OFF_RESET_VALUE 128
#define ACPI_FADT_OFF_MINOR	  131
#define ACPI_FADT_OFF_X_DSDT	  140
#define ACPI_FADT_OFF_SLEEP_CTL	  244
#define ACPI_FADT_OFF_SLEEP_STS	  256
#define ACPI_FADT_OFF_HYPERVISOR  268

#endif
