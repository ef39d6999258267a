/* The KVM virtual machine: /dev/kvm, the VM fd, guest RAM slots, the
 * in-kernel interrupt controllers and the irqchip that devices use. */
#ifndef VIRTTY_VMM_KVM_H
#define VIRTTY_VMM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "irqchip.h"

struct kvm_cpuid2;

struct kvm_vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	int max_vcpus;                 /* KVM_CAP_MAX_VCPUS (or NR_VCPUS) */
	struct kvm_cpuid2 *cpuid;      /* KVM_GET_SUPPORTED_CPUID */
	struct guest_mem mem;
	struct irqchip irq;
};

/* Open /dev/kvm (or $VIRTTY_KVM_DEVICE), check the API version and the
 * capabilities we rely on, create the VM with an in-kernel IOAPIC/PIC and
 * PIT. On failure returns -errno with a message for the user. */
int kvm_vm_create(struct kvm_vm *vm, char *err, size_t errlen);
/* Allocate `bytes` of guest RAM and register it with KVM. */
int kvm_vm_add_ram(struct kvm_vm *vm, uint64_t bytes, char *err, size_t errlen);
void kvm_vm_destroy(struct kvm_vm *vm);

/* Memory slots: guest RAM uses 0..GUEST_MEM_MAX_REGIONS-1. */
#define KVM_SLOT_FRAMEBUFFER GUEST_MEM_MAX_REGIONS
/* Register host memory as guest physical [gpa, gpa+size) in `slot`, not as
 * guest RAM (guest_mem does not know it). log_dirty: KVM records written
 * pages for kvm_vm_get_dirty_log. 0 or -errno. */
int kvm_vm_add_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, void *host, uint64_t size,
		    bool log_dirty);
/* KVM_GET_DIRTY_LOG: pages of `slot` written since the last call, one bit
 * per page in `bitmap` (sized for the slot, in 64-bit words); clears the
 * log. 0 or -errno. Any thread. */
int kvm_vm_get_dirty_log(struct kvm_vm *vm, uint32_t slot, uint64_t *bitmap);

/* Host RAM in bytes (for validating --memory). */
uint64_t kvm_host_ram_bytes(void);

#endif
