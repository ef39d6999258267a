/* Guest physical memory map of a virtty-vmm machine (x86_64).
 * One place so the boot loader, ACPI tables and devices agree. */
#ifndef VIRTTY_VMM_LAYOUT_H
#define VIRTTY_VMM_LAYOUT_H

/* Low memory, below 1 MiB. */
#define LAYOUT_GDT_ADDR         0x0500ULL   /* boot GDT (4 entries) */
#define LAYOUT_PVH_INFO_ADDR    0x6000ULL   /* struct hvm_start_info + module list */
#define LAYOUT_PVH_MEMMAP_ADDR  0x6400ULL   /* hvm_memmap_table_entry[] */
#define LAYOUT_ZERO_PAGE_ADDR   0x7000ULL   /* struct boot_params */
#define LAYOUT_PML4_ADDR        0x9000ULL   /* boot page tables: PML4, PDPT, 4 PDs */
#define LAYOUT_PDPT_ADDR        0xA000ULL
#define LAYOUT_PD_ADDR          0xB000ULL   /* 4 pages: identity map of 0..4 GiB, 2 MiB pages */
#define LAYOUT_CMDLINE_ADDR     0x20000ULL
#define LAYOUT_CMDLINE_MAX      0x10000ULL  /* bytes reserved for the command line */
#define LAYOUT_EBDA_START       0x9FC00ULL  /* from here to 1 MiB: reserved in e820 */
#define LAYOUT_ACPI_ADDR        0xE0000ULL  /* RSDP first, then the other tables */
#define LAYOUT_ACPI_SIZE        0x10000ULL
#define LAYOUT_HIMEM_START      0x100000ULL /* kernels load here */

/* RAM: [0, min(size, LAYOUT_LOWMEM_END)) and, above that, from 4 GiB. */
#define LAYOUT_LOWMEM_END       0xC0000000ULL
#define LAYOUT_HIGHMEM_START    0x100000000ULL

/* 32-bit MMIO hole. */
#define LAYOUT_PCI_MMIO_START   0xC0000000ULL /* BARs of PCI devices */
#define LAYOUT_PCI_MMIO_SIZE    0x10000000ULL
#define LAYOUT_FB_ADDR          0xD0000000ULL /* linear framebuffer (its own memslot) */
#define LAYOUT_FB_MAX_SIZE      0x08000000ULL /* 128 MiB: up to 4096x4096x4 + slack */
#define LAYOUT_PCI_ECAM_START   0xE0000000ULL /* PCIe ECAM (MMCONFIG), bus 0 only */
#define LAYOUT_PCI_ECAM_SIZE    0x00100000ULL
#define LAYOUT_IOAPIC_ADDR      0xFEC00000ULL
#define LAYOUT_LAPIC_ADDR       0xFEE00000ULL

/* I/O ports. */
#define LAYOUT_PORT_COM1        0x3F8
#define LAYOUT_PORT_I8042_DATA  0x60
#define LAYOUT_PORT_I8042_CMD   0x64
#define LAYOUT_PORT_PCI_CONFIG  0xCF8       /* 0xCF8..0xCFF, type 1 config mechanism */
#define LAYOUT_PORT_RESET       0xCF9       /* write 0x06 (or 0x0E): reset; FADT RESET_REG */
#define LAYOUT_PORT_ACPI_SLEEP_CTL  0x600   /* FADT SLEEP_CONTROL_REG, 1 byte */
#define LAYOUT_PORT_ACPI_SLEEP_STS  0x601   /* FADT SLEEP_STATUS_REG, 1 byte */
#define LAYOUT_PORT_PCI_IO_START    0x1000  /* I/O BARs (unused by virtio modern) */
#define LAYOUT_PORT_PCI_IO_SIZE     0x1000

/* ACPI sleep type written in SLP_TYP for S5 (the \_S5 package says the same). */
#define LAYOUT_ACPI_S5_SLP_TYP  5

/* GSIs on the in-kernel IOAPIC (24 pins). */
#define LAYOUT_GSI_I8042_KBD    1
#define LAYOUT_GSI_COM1         4
#define LAYOUT_GSI_GED          9   /* ACPI Generic Event Device: power button */
#define LAYOUT_GSI_I8042_AUX    12
#define LAYOUT_GSI_PCI_INTX_BASE 16 /* INTA..INTD of PCI devices: 16..19 (level, active high) */
#define LAYOUT_NR_GSI           24

#endif
