/* vCPU threads. Each thread loops on KVM_RUN; port I/O and MMIO exits go
 * to the buses, anything fatal stops the machine with a message. */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "iobus.h"
#include "kvm.h"
#include "sandbox.h"
#include "vcpu.h"
#include "vmm_priv.h"

#define VCPU_KICK_SIGNAL SIGUSR1

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* interrupting KVM_RUN is all we need */
}

int vcpu_init_signals(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must return -EINTR. */
	return sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

static void vcpu_setup_cpuid(struct kvm_cpuid2 *c, int id, int nr_vcpus)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* Initial APIC id, logical processor count, hypervisor present. */
			e->ebx = (e->ebx & 0x0000ffff) | ((uint32_t)id << 24) |
				 ((uint32_t)(nr_vcpus > 255 ? 255 : nr_vcpus) << 16);
			e->ecx |= 1u << 31;
			if (nr_vcpus > 1)
				e->edx |= 1u << 28; /* HTT: the count above is valid */
			break;
		case 0xb:
		case 0x1f:
			/* Extended topology: one thread per core, x2APIC id. */
			e->edx = id;
			break;
		default:
			break;
		}
	}
}

int vcpu_create(struct vcpu *cpu, struct kvm_vm *vm, int id, int nr_vcpus, char *err,
		size_t errlen)
{
	struct kvm_cpuid2 *cpuid;
	size_t sz;

	memset(cpu, 0, sizeof(*cpu));
	cpu->id = id;
	cpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (cpu->fd < 0) {
		int r = -errno;

		snprintf(err, errlen, "cannot create vCPU %d: %s", id, strerror(errno));
		return r;
	}
	cpu->run_size = vm->vcpu_mmap_size;
	cpu->run = mmap(NULL, cpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu->fd, 0);
	if (cpu->run == MAP_FAILED) {
		int r = -errno;

		cpu->run = NULL;
		snprintf(err, errlen, "cannot map vCPU %d state: %s", id, strerror(errno));
		return r;
	}
	sz = sizeof(*cpuid) + vm->cpuid->nent * sizeof(struct kvm_cpuid_entry2);
	cpuid = malloc(sz);
	if (!cpuid)
		return -ENOMEM;
	memcpy(cpuid, vm->cpuid, sz);
	vcpu_setup_cpuid(cpuid, id, nr_vcpus);
	if (ioctl(cpu->fd, KVM_SET_CPUID2, cpuid) < 0) {
		int r = -errno;

		free(cpuid);
		snprintf(err, errlen, "cannot set CPUID of vCPU %d: %s", id, strerror(errno));
		return r;
	}
	free(cpuid);
	return 0;
}

void vcpu_destroy(struct vcpu *cpu)
{
	if (cpu->run)
		munmap(cpu->run, cpu->run_size);
	if (cpu->fd > 0)
		close(cpu->fd);
	cpu->run = NULL;
	cpu->fd = -1;
}

static void vcpu_handle_io(struct vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	struct io_bus *bus = vmm_pio_bus(cpu->vmm);

	/* String I/O (rep outsb etc.) arrives as `count` consecutive items. */
	for (uint32_t i = 0; i < run->io.count; i++) {
		io_bus_access(bus, run->io.port, data, run->io.size,
			      run->io.direction == KVM_EXIT_IO_OUT);
		data += run->io.size;
	}
}

static void vcpu_handle_mmio(struct vcpu *cpu)
{
	struct kvm_run *run = cpu->run;

	io_bus_access(vmm_mmio_bus(cpu->vmm), run->mmio.phys_addr, run->mmio.data, run->mmio.len,
		      run->mmio.is_write);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *cpu = arg;
	char name[16], msg[160];
	sigset_t set;

	snprintf(name, sizeof(name), "vcpu%d", cpu->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (sandbox_apply(SANDBOX_VCPU, msg, sizeof(msg)) < 0) {
		vmm_vcpu_fatal(cpu->vmm, cpu->id, VMM_EXIT_ERROR, msg);
		return NULL;
	}

	while (vmm_vcpu_checkpoint(cpu->vmm)) {
		int r = ioctl(cpu->fd, KVM_RUN, 0);

		cpu->run->immediate_exit = 0;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(msg, sizeof(msg), "KVM_RUN failed: %s", strerror(errno));
			vmm_vcpu_fatal(cpu->vmm, cpu->id, VMM_EXIT_ERROR, msg);
			break;
		}
		cpu->exits++;
		switch (cpu->run->exit_reason) {
		case KVM_EXIT_IO:
			cpu->io_exits++;
			vcpu_handle_io(cpu);
			break;
		case KVM_EXIT_MMIO:
			cpu->mmio_exits++;
			vcpu_handle_mmio(cpu);
			break;
		case KVM_EXIT_HLT:
			/* Only without an in-kernel LAPIC; we always have one. */
			cpu->hlt_exits++;
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_SHUTDOWN:
			vmm_vcpu_fatal(cpu->vmm, cpu->id, VMM_EXIT_CRASH,
				       "guest triple fault (CPU shutdown)");
			return NULL;
		case KVM_EXIT_SYSTEM_EVENT:
			if (cpu->run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
				vmm_request_exit(cpu->vmm, VMM_EXIT_POWEROFF);
			} else if (cpu->run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
				vmm_vcpu_guest_reset(cpu->vmm);
			} else {
				snprintf(msg, sizeof(msg), "guest system event %u",
					 cpu->run->system_event.type);
				vmm_vcpu_fatal(cpu->vmm, cpu->id, VMM_EXIT_CRASH, msg);
			}
			return NULL;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(msg, sizeof(msg), "KVM entry failed (hardware reason 0x%llx)",
				 (unsigned long long)
					 cpu->run->fail_entry.hardware_entry_failure_reason);
			vmm_vcpu_fatal(cpu->vmm, cpu->id, VMM_EXIT_CRASH, msg);
			return NULL;
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(msg, sizeof(msg), "KVM internal error (suberror %u)",
				 cpu->run->internal.suberror);
			vmm_vcpu_fatal(cpu->vmm, cpu->id, VMM_EXIT_CRASH, msg);
			return NULL;
		default:
			snprintf(msg, sizeof(msg), "unexpected KVM exit reason %u",
				 cpu->run->exit_reason);
			vmm_vcpu_fatal(cpu->vmm, cpu->id, VMM_EXIT_CRASH, msg);
			return NULL;
		}
	}
	return NULL;
}

int vcpu_start(struct vcpu *cpu)
{
	int r = pthread_create(&cpu->thread, NULL, vcpu_thread, cpu);

	if (r)
		return -r;
	cpu->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *cpu)
{
	if (!cpu->thread_started || !cpu->run)
		return;
	/* immediate_exit covers a kick that lands before KVM_RUN is entered. */
	cpu->run->immediate_exit = 1;
	pthread_kill(cpu->thread, VCPU_KICK_SIGNAL);
}

uint64_t vcpu_cpu_time_ns(struct vcpu *cpu)
{
	clockid_t cid;
	struct timespec ts;

	if (!cpu->thread_started || pthread_getcpuclockid(cpu->thread, &cid) ||
	    clock_gettime(cid, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
