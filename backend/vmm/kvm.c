/* KVM VM creation: capability checks, memory slots, in-kernel irqchip and
 * PIT, and the irqchip ops backed by KVM_IRQ_LINE / KVM_SIGNAL_MSI. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "kvm.h"
#include "layout.h"

/* Addresses KVM needs for its own use on Intel hosts (real-mode TSS and
 * EPT identity map), in the unused space below the 4 GiB boundary. */
#define KVM_TSS_ADDR          0xFFFBD000ULL
#define KVM_IDENTITY_MAP_ADDR 0xFFFBC000ULL

static int kvm_set_line(struct irqchip *chip, uint32_t gsi, int level)
{
	struct kvm_vm *vm = chip->opaque;
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

static int kvm_signal_msi(struct irqchip *chip, uint64_t addr, uint32_t data)
{
	struct kvm_vm *vm = chip->opaque;
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	/* Returns 0 when the interrupt was blocked by the guest, >0 delivered. */
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

static struct kvm_cpuid2 *kvm_get_supported_cpuid(int kvm_fd)
{
	for (int nent = 64; nent <= 1024; nent *= 2) {
		struct kvm_cpuid2 *c =
			calloc(1, sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));

		if (!c)
			return NULL;
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

/* KVM_GET_SUPPORTED_CPUID never lists the TSC-deadline timer (CPUID.1:ECX
 * bit 24): the in-kernel LAPIC emulates it and says so with a capability
 * instead. Without the bit Linux programs the LAPIC timer in one-shot mode,
 * which it first calibrates by busy-waiting about 100 ms on the boot CPU. */
static void kvm_cpuid_add_tsc_deadline(int kvm_fd, struct kvm_cpuid2 *c)
{
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) <= 0)
		return;
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= 1u << 24;
}

int kvm_vm_create(struct kvm_vm *vm, char *err, size_t errlen)
{
	const char *dev = getenv("VIRTTY_KVM_DEVICE");
	static const struct {
		int cap;
		const char *name;
	} required[] = {
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
		{ KVM_CAP_PIT2, "in-kernel PIT" },
		{ KVM_CAP_EXT_CPUID, "CPUID" },
		{ KVM_CAP_SIGNAL_MSI, "MSI injection" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
	};
	struct kvm_pit_config pit = { .flags = 0 };
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	if (!dev)
		dev = "/dev/kvm";
	vm->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open %s: %s%s", dev, strerror(errno),
			 errno == ENOENT ? " (is the kvm module loaded? see 'virtty host-check')"
			 : errno == EACCES ? " (add yourself to the 'kvm' group or run as root)"
					   : "");
		return r;
	}
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		snprintf(err, errlen, "%s: unsupported KVM API version %d (need %d)", dev, r,
			 KVM_API_VERSION);
		goto fail_einval;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required[i].cap) <= 0) {
			snprintf(err, errlen, "%s: KVM lacks %s support", dev, required[i].name);
			goto fail_einval;
		}
	}
	vm->max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (vm->max_vcpus <= 0)
		vm->max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (vm->max_vcpus <= 0)
		vm->max_vcpus = 4;
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size <= 0) {
		snprintf(err, errlen, "%s: KVM_GET_VCPU_MMAP_SIZE failed", dev);
		goto fail_einval;
	}
	vm->cpuid = kvm_get_supported_cpuid(vm->kvm_fd);
	if (!vm->cpuid) {
		r = -errno;
		snprintf(err, errlen, "%s: KVM_GET_SUPPORTED_CPUID failed: %s", dev, strerror(errno));
		goto fail;
	}
	kvm_cpuid_add_tsc_deadline(vm->kvm_fd, vm->cpuid);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot create a VM: %s", dev, strerror(errno));
		goto fail;
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &(uint64_t){ KVM_IDENTITY_MAP_ADDR }) < 0 ||
	    ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot set up the interrupt controllers: %s", dev,
			 strerror(errno));
		goto fail;
	}
	vm->irq = (struct irqchip){
		.set_line = kvm_set_line, .signal_msi = kvm_signal_msi, .opaque = vm};
	return 0;

fail_einval:
	r = -EINVAL;
fail:
	kvm_vm_destroy(vm);
	return r;
}

int kvm_vm_add_ram(struct kvm_vm *vm, uint64_t bytes, char *err, size_t errlen)
{
	int r = guest_mem_alloc(&vm->mem, bytes);

	if (r) {
		snprintf(err, errlen, "cannot allocate %llu MiB of guest memory: %s",
			 (unsigned long long)(bytes >> 20), strerror(-r));
		return r;
	}
	for (int i = 0; i < vm->mem.nr_regions; i++) {
		struct guest_mem_region *g = &vm->mem.regions[i];
		struct kvm_userspace_memory_region region = {
			.slot = i,
			.guest_phys_addr = g->gpa,
			.memory_size = g->size,
			.userspace_addr = (uintptr_t)g->host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
			r = -errno;
			snprintf(err, errlen, "KVM refused guest memory slot %d (%llu MiB): %s", i,
				 (unsigned long long)(g->size >> 20), strerror(errno));
			return r;
		}
	}
	return 0;
}

int kvm_vm_add_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, void *host, uint64_t size,
		    bool log_dirty)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = log_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -errno : 0;
}

int kvm_vm_get_dirty_log(struct kvm_vm *vm, uint32_t slot, uint64_t *bitmap)
{
	struct kvm_dirty_log log = {.slot = slot, .dirty_bitmap = bitmap};

	return ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 ? -errno : 0;
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	guest_mem_free(&vm->mem);
	free(vm->cpuid);
	vm->cpuid = NULL;
	vm->vm_fd = vm->kvm_fd = -1;
}

uint64_t kvm_host_ram_bytes(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}
