/* What the vCPU threads need from the machine (vmm.c). Not for devices. */
#ifndef VIRTTY_VMM_VMM_PRIV_H
#define VIRTTY_VMM_VMM_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm.h"

struct io_bus;

struct io_bus *vmm_pio_bus(struct vmm *vmm);
struct io_bus *vmm_mmio_bus(struct vmm *vmm);
/* Called by a vCPU thread before each KVM_RUN: blocks while the machine is
 * paused; returns false when the vCPU must stop. */
bool vmm_vcpu_checkpoint(struct vmm *vmm);
/* A vCPU hit something fatal: message to the log, machine stops. */
void vmm_vcpu_fatal(struct vmm *vmm, int vcpu_id, enum vmm_exit_status status, const char *msg);
/* The guest asked for a reset (KVM system event): restart like a guest
 * reboot, or exit with VMM_EXIT_REBOOT under --no-reboot. */
void vmm_vcpu_guest_reset(struct vmm *vmm);

#endif
