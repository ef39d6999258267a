/* How devices raise interrupts, without knowing about KVM. The VMM backs
 * this with KVM_IRQ_LINE / KVM_SIGNAL_MSI; tests back it with a recorder. */
#ifndef VIRTTY_VMM_IRQCHIP_H
#define VIRTTY_VMM_IRQCHIP_H

#include <stdint.h>

struct irqchip {
	/* Set a GSI line (level 1 asserted, 0 deasserted). Edge interrupts
	 * are a 1 then a 0. Returns 0 or -errno. */
	int (*set_line)(struct irqchip *chip, uint32_t gsi, int level);
	/* Deliver one MSI message. Returns 0 or -errno. */
	int (*signal_msi)(struct irqchip *chip, uint64_t addr, uint32_t data);
	void *opaque;
};

static inline int irqchip_pulse(struct irqchip *chip, uint32_t gsi)
{
	int r = chip->set_line(chip, gsi, 1);
	return r ? r : chip->set_line(chip, gsi, 0);
}

#endif
