/* The registers a hardware-reduced FADT points at: ACPI sleep control and
 * status (power off), the 0xCF9 reset register, and the GED power button. */
#ifndef VIRTTY_VMM_ACPI_PM_H
#define VIRTTY_VMM_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "iobus.h"
#include "irqchip.h"

/* Sleep control register: SLP_TYP in bits 2-4, SLP_EN bit 5. */
#define ACPI_PM_SLP_TYP_SHIFT 2
#define ACPI_PM_SLP_TYP_MASK  0x1C
#define ACPI_PM_SLP_EN	      0x20
/* Sleep status register: WAK_STS (write 1 to clear). */
#define ACPI_PM_WAK_STS 0x80
/* Reset control register: RST_CPU starts the reset. */
#define ACPI_PM_RST_CPU 0x04

struct acpi_pm;

struct acpi_pm_ops {
	void (*poweroff)(void *opaque); /* guest wrote SLP_EN with SLP_TYP = 5 */
	void (*reset)(void *opaque);	/* guest wrote 0x06/0x0E to 0xCF9 */
	void *opaque;
};

/* Claims LAYOUT_PORT_ACPI_SLEEP_CTL/_STS on pio (not the reset port: see
 * below). The callbacks run on the vCPU thread that did the write. Returns
 * NULL with errno set (EINVAL, ENOMEM, or EEXIST if the ports are taken). */
struct acpi_pm *acpi_pm_new(struct io_bus *pio, struct irqchip *irq, const struct acpi_pm_ops *ops);
/* Unregisters the ports; NULL is fine. */
void acpi_pm_free(struct acpi_pm *pm);
/* Press the power button: pulse GSI LAYOUT_GSI_GED (the DSDT's GED notifies PWRB).
 * Returns 0 or the irqchip's negative errno. Safe from any thread. */
int acpi_pm_press_power_button(struct acpi_pm *pm);

/* The reset register, port 0xCF9, sits inside the PCI configuration ports
 * 0xCF8..0xCFF, where a chipset tells it from CONFIG_ADDRESS by the access
 * size (1 byte at 0xCF9 versus 4 bytes at 0xCF8). So whoever owns 0xCF8
 * decodes it:
 * - with a PCI bus: pci_bus_set_reset_handler(bus, acpi_pm_reset_port_write, pm);
 * - without one: acpi_pm_claim_reset_port(pm) registers 0xCF9 alone
 *   (0, or -EEXIST if the port is taken). acpi_pm_free() releases it. */
void acpi_pm_reset_port_write(void *pm, uint8_t value);
int acpi_pm_claim_reset_port(struct acpi_pm *pm);

#endif
