/* ACPI power management ports of a hardware-reduced machine: the guest
 * powers off through the sleep registers and resets through 0xCF9; the host
 * presses the power button by pulsing the Generic Event Device's GSI. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "acpi_pm.h"
#include "layout.h"

struct acpi_pm {
	struct io_bus *pio;
	struct irqchip *irq;
	struct acpi_pm_ops ops;
	pthread_mutex_t lock; /* vCPU threads write the registers concurrently */
	uint8_t sleep_status; /* WAK_STS after a sleep request */
	uint8_t reset_ctl;    /* last value written to 0xCF9, read back by the guest */
	bool owns_ctl, owns_sts, owns_reset;
};

/* Sleep control: a write with SLP_EN requests the state in SLP_TYP. Only
 * S5 is offered (the DSDT has just \_S5); any other state "wakes up" at
 * once so a guest polling WAK_STS does not hang. */
static void acpi_pm_sleep_ctl_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
				 bool is_write)
{
	struct acpi_pm *pm = opaque;
	unsigned int slp_typ;

	if (!is_write || len != 1 || !(data[0] & ACPI_PM_SLP_EN))
		return; /* reads as 0: the register has no readable state */
	slp_typ = (data[0] & ACPI_PM_SLP_TYP_MASK) >> ACPI_PM_SLP_TYP_SHIFT;
	pthread_mutex_lock(&pm->lock);
	/* Linux waits for WAK_STS after the write (hwesleep.c), even for S5. */
	pm->sleep_status |= ACPI_PM_WAK_STS;
	pthread_mutex_unlock(&pm->lock);
	if (slp_typ == LAYOUT_ACPI_S5_SLP_TYP && pm->ops.poweroff)
		pm->ops.poweroff(pm->ops.opaque);
}

/* Sleep status: WAK_STS reads back, writing 1 clears it. */
static void acpi_pm_sleep_sts_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
				 bool is_write)
{
	struct acpi_pm *pm = opaque;

	if (len != 1)
		return;
	pthread_mutex_lock(&pm->lock);
	if (is_write)
		pm->sleep_status &= ~(data[0] & ACPI_PM_WAK_STS);
	else
		data[0] = pm->sleep_status;
	pthread_mutex_unlock(&pm->lock);
}

void acpi_pm_reset_port_write(void *opaque, uint8_t value)
{
	struct acpi_pm *pm = opaque;

	pthread_mutex_lock(&pm->lock);
	/* RST_CPU is a trigger, not state: it never reads back as set. */
	pm->reset_ctl = value & ~ACPI_PM_RST_CPU;
	pthread_mutex_unlock(&pm->lock);
	/* Linux's reboot=pci writes 0x02 then 0x06; the FADT reset register
	 * writes 0x06. The VMM can only do a full reset, so any RST_CPU does. */
	if ((value & ACPI_PM_RST_CPU) && pm->ops.reset)
		pm->ops.reset(pm->ops.opaque);
}

static void acpi_pm_reset_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			     bool is_write)
{
	struct acpi_pm *pm = opaque;

	if (len != 1)
		return;
	if (is_write) {
		acpi_pm_reset_port_write(pm, data[0]);
		return;
	}
	pthread_mutex_lock(&pm->lock);
	data[0] = pm->reset_ctl;
	pthread_mutex_unlock(&pm->lock);
}

struct acpi_pm *acpi_pm_new(struct io_bus *pio, struct irqchip *irq, const struct acpi_pm_ops *ops)
{
	struct acpi_pm *pm;
	int r;

	if (!pio || !irq) {
		errno = EINVAL;
		return NULL;
	}
	pm = calloc(1, sizeof(*pm));
	if (!pm) {
		errno = ENOMEM;
		return NULL;
	}
	pm->pio = pio;
	pm->irq = irq;
	if (ops)
		pm->ops = *ops;
	pthread_mutex_init(&pm->lock, NULL);

	r = io_bus_register(pio, LAYOUT_PORT_ACPI_SLEEP_CTL, 1, acpi_pm_sleep_ctl_io, pm);
	if (r < 0)
		goto fail;
	pm->owns_ctl = true;
	r = io_bus_register(pio, LAYOUT_PORT_ACPI_SLEEP_STS, 1, acpi_pm_sleep_sts_io, pm);
	if (r < 0)
		goto fail;
	pm->owns_sts = true;
	return pm;

fail:
	acpi_pm_free(pm);
	errno = -r;
	return NULL;
}

void acpi_pm_free(struct acpi_pm *pm)
{
	if (!pm)
		return;
	if (pm->owns_ctl)
		io_bus_unregister(pm->pio, LAYOUT_PORT_ACPI_SLEEP_CTL);
	if (pm->owns_sts)
		io_bus_unregister(pm->pio, LAYOUT_PORT_ACPI_SLEEP_STS);
	if (pm->owns_reset)
		io_bus_unregister(pm->pio, LAYOUT_PORT_RESET);
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

int acpi_pm_claim_reset_port(struct acpi_pm *pm)
{
	int r;

	if (pm->owns_reset)
		return 0;
	r = io_bus_register(pm->pio, LAYOUT_PORT_RESET, 1, acpi_pm_reset_io, pm);
	if (r == 0)
		pm->owns_reset = true;
	return r;
}

int acpi_pm_press_power_button(struct acpi_pm *pm)
{
	/* Edge-triggered in the GED's _CRS: a pulse is one press. */
	return irqchip_pulse(pm->irq, LAYOUT_GSI_GED);
}
