/* The KVM virtual machine: /dev/kvm, the VM fd, guest RAM slots, the
 * in-kernel interrupt controllers and the irqchip that devices use. */
#ifndef VIRTTY_VMM_KVM_H
#define VIRTTY_VMM_KVM_H

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

/* Host RAM in bytes (for validating --memory). */
uint64_t kvm_host_ram_bytes(void);

#endif
