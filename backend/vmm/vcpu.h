/* Virtual CPUs: creation, CPUID, and the thread that runs KVM_RUN and
 * dispatches exits to the I/O buses. */
#ifndef VIRTTY_VMM_VCPU_H
#define VIRTTY_VMM_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_run;
struct kvm_vm;
struct vmm;

struct vcpu {
	int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	struct vmm *vmm;
	/* Counters read by the control thread without locks. */
	_Atomic uint64_t exits, io_exits, mmio_exits, hlt_exits;
};

/* Create vCPU `id` with CPUID derived from KVM's supported set (APIC ids
 * patched in, hypervisor bit set). -errno with a message. */
int vcpu_create(struct vcpu *cpu, struct kvm_vm *vm, int id, int nr_vcpus, char *err,
		size_t errlen);
void vcpu_destroy(struct vcpu *cpu);
int vcpu_start(struct vcpu *cpu);
/* Make KVM_RUN return soon (pause, stop). Safe from any thread. */
void vcpu_kick(struct vcpu *cpu);
/* CPU time consumed by the vCPU thread. */
uint64_t vcpu_cpu_time_ns(struct vcpu *cpu);
/* Install the (empty) kick signal handler; once per process. */
int vcpu_init_signals(void);

#endif
