/* The machine: builds KVM, memory, devices and vCPUs from a vmm_config,
 * runs the main event loop, and implements pause/resume/stop for the
 * control socket. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "acpi.h"
#include "acpi_pm.h"
#include "boot.h"
#include "chardev.h"
#include "evloop.h"
#include "framebuffer.h"
#include "i8042.h"
#include "iobus.h"
#include "kvm.h"
#include "layout.h"
#include "net_socket.h"
#include "pci.h"
#include "sandbox.h"
#include "serial8250.h"
#include "vcpu.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "virtio_rng.h"
#include "vmm.h"
#include "vmm_control.h"
#include "vmm_priv.h"
#include "vnc_server.h"

#define VMM_SERIAL_REPLAY_BYTES (256 * 1024)

struct vmm {
	struct vmm_config cfg;
	struct kvm_vm kvm;
	struct io_bus pio, mmio;
	struct evloop *loop;
	int sigfd;

	struct vcpu vcpus[VMM_MAX_VCPUS];
	int nr_vcpus;
	struct boot_entry entry;

	struct chardev *serial_dev;
	struct serial8250 *uart;
	struct i8042 *i8042;
	struct acpi_pm *pm;
	struct pci_bus *pci;
	struct virtio_blk *disks[VMM_MAX_DISKS];
	struct virtio_rng *rng;
	struct virtio_net *nics[VMM_MAX_NICS];
	struct control_server *control;
	struct framebuffer *fb;
	struct vnc_server *vnc;

	/* Run state, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum vmm_state state;
	bool pause_requested;
	int parked;            /* vCPUs waiting in the checkpoint */
	bool stopping;
	bool restart;
	int exit_status;
	struct timespec started;
};

const char *vmm_state_name(enum vmm_state state)
{
	switch (state) {
	case VMM_STATE_STARTING:
		return "starting";
	case VMM_STATE_RUNNING:
		return "running";
	case VMM_STATE_PAUSED:
		return "paused";
	case VMM_STATE_STOPPING:
		return "stopping";
	}
	return "unknown";
}

struct io_bus *vmm_pio_bus(struct vmm *vmm)
{
	return &vmm->pio;
}

struct io_bus *vmm_mmio_bus(struct vmm *vmm)
{
	return &vmm->mmio;
}

static void vmm_kick_all(struct vmm *vmm)
{
	for (int i = 0; i < vmm->nr_vcpus; i++)
		vcpu_kick(&vmm->vcpus[i]);
}

void vmm_request_exit(struct vmm *vmm, enum vmm_exit_status status)
{
	pthread_mutex_lock(&vmm->lock);
	if (!vmm->stopping) {
		vmm->stopping = true;
		vmm->exit_status = status;
		vmm->state = VMM_STATE_STOPPING;
	}
	pthread_cond_broadcast(&vmm->cond);
	pthread_mutex_unlock(&vmm->lock);
	vmm_kick_all(vmm);
	evloop_stop(vmm->loop);
}

/* Guest reboot (i8042 0xFE, port 0xCF9, ACPI reset register) or "reset". */
static void vmm_restart(struct vmm *vmm, bool forced)
{
	if (vmm->cfg.no_reboot && !forced) {
		vmm_request_exit(vmm, VMM_EXIT_REBOOT);
		return;
	}
	pthread_mutex_lock(&vmm->lock);
	if (!vmm->stopping)
		vmm->restart = true;
	pthread_mutex_unlock(&vmm->lock);
	vmm_request_exit(vmm, VMM_EXIT_REBOOT);
}

static void vmm_guest_reset(void *opaque)
{
	vmm_restart(opaque, false);
}

void vmm_vcpu_guest_reset(struct vmm *vmm)
{
	vmm_restart(vmm, false);
}

static void vmm_guest_poweroff(void *opaque)
{
	vmm_request_exit(opaque, VMM_EXIT_POWEROFF);
}

void vmm_vcpu_fatal(struct vmm *vmm, int vcpu_id, enum vmm_exit_status status, const char *msg)
{
	fprintf(stderr, "virtty-vmm: %s%svCPU %d: %s\n", vmm->cfg.name ? vmm->cfg.name : "",
		vmm->cfg.name ? ": " : "", vcpu_id, msg);
	vmm_request_exit(vmm, status);
}

bool vmm_vcpu_checkpoint(struct vmm *vmm)
{
	bool go;

	pthread_mutex_lock(&vmm->lock);
	while (vmm->pause_requested && !vmm->stopping) {
		vmm->parked++;
		/* Also when vmm_pause gave up waiting for this vCPU. */
		if (vmm->parked == vmm->nr_vcpus)
			vmm->state = VMM_STATE_PAUSED;
		pthread_cond_broadcast(&vmm->cond);
		pthread_cond_wait(&vmm->cond, &vmm->lock);
		vmm->parked--;
	}
	go = !vmm->stopping;
	pthread_mutex_unlock(&vmm->lock);
	return go;
}

/* How long a pause waits for the vCPUs to park: one may sit in a slow
 * device access (a disk read on a stalled host disk) for a long time. */
#define VMM_PAUSE_TIMEOUT_S 5

int vmm_pause(struct vmm *vmm)
{
	struct timespec deadline;
	int r = 0;

	pthread_mutex_lock(&vmm->lock);
	if (vmm->stopping) {
		r = -EBUSY;
	} else if (vmm->pause_requested) {
		r = -EALREADY;
	} else {
		vmm->pause_requested = true;
		pthread_mutex_unlock(&vmm->lock);
		vmm_kick_all(vmm);
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += VMM_PAUSE_TIMEOUT_S;
		pthread_mutex_lock(&vmm->lock);
		while (vmm->parked < vmm->nr_vcpus && !vmm->stopping && r == 0) {
			if (pthread_cond_timedwait(&vmm->cond, &vmm->lock, &deadline) ==
			    ETIMEDOUT)
				r = -ETIMEDOUT;
		}
		/* On timeout pause_requested stays set: the late vCPUs park
		 * when they come back (vmm_vcpu_checkpoint), resume undoes it. */
		if (vmm->stopping)
			vmm->state = VMM_STATE_STOPPING;
		else if (vmm->parked == vmm->nr_vcpus)
			vmm->state = VMM_STATE_PAUSED;
		if (vmm->parked == vmm->nr_vcpus)
			r = 0;
	}
	pthread_mutex_unlock(&vmm->lock);
	return r;
}

int vmm_resume(struct vmm *vmm)
{
	int r = 0;

	pthread_mutex_lock(&vmm->lock);
	if (vmm->stopping) {
		r = -EBUSY;
	} else if (!vmm->pause_requested) {
		r = -EALREADY;
	} else {
		vmm->pause_requested = false;
		vmm->state = VMM_STATE_RUNNING;
		pthread_cond_broadcast(&vmm->cond);
	}
	pthread_mutex_unlock(&vmm->lock);
	return r;
}

int vmm_powerdown(struct vmm *vmm)
{
	if (vmm->stopping)
		return -EBUSY;
	return acpi_pm_press_power_button(vmm->pm);
}

int vmm_reset(struct vmm *vmm)
{
	if (vmm->stopping)
		return -EBUSY;
	vmm_restart(vmm, true);
	return 0;
}

bool vmm_restart_requested(struct vmm *vmm)
{
	return vmm->restart;
}

int vmm_get_status(struct vmm *vmm, struct vmm_status *out)
{
	struct timespec now;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&vmm->lock);
	out->state = vmm->state;
	pthread_mutex_unlock(&vmm->lock);
	if (vmm->cfg.name)
		snprintf(out->name, sizeof(out->name), "%s", vmm->cfg.name);
	out->nr_vcpus = vmm->nr_vcpus;
	out->memory_mib = vmm->cfg.memory_mib;
	clock_gettime(CLOCK_MONOTONIC, &now);
	out->uptime_ms = (uint64_t)(now.tv_sec - vmm->started.tv_sec) * 1000 +
			 (now.tv_nsec - vmm->started.tv_nsec) / 1000000;
	out->pid = getpid();
	return 0;
}

/* Resident guest pages, counted with mincore over the RAM mapping. */
static uint64_t vmm_guest_resident_bytes(struct vmm *vmm)
{
	const size_t chunk = 1 << 16; /* pages per mincore call */
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = vmm->kvm.mem.mapping_size / page;
	unsigned char *vec = malloc(chunk);
	uint64_t resident = 0;

	if (!vec)
		return 0;
	for (size_t off = 0; off < pages; off += chunk) {
		size_t n = pages - off < chunk ? pages - off : chunk;

		if (mincore((uint8_t *)vmm->kvm.mem.mapping + off * page, n * page, vec) < 0)
			break;
		for (size_t i = 0; i < n; i++)
			resident += vec[i] & 1;
	}
	free(vec);
	return resident * page;
}

static uint64_t vmm_total_resident_bytes(void)
{
	unsigned long size, rss;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%lu %lu", &size, &rss);
	fclose(f);
	return n == 2 ? (uint64_t)rss * sysconf(_SC_PAGESIZE) : 0;
}

int vmm_get_stats(struct vmm *vmm, struct vmm_stats *out)
{
	uint64_t total, guest;

	memset(out, 0, sizeof(*out));
	out->nr_vcpus = vmm->nr_vcpus;
	for (int i = 0; i < vmm->nr_vcpus; i++) {
		struct vcpu *c = &vmm->vcpus[i];

		out->vcpu[i] = (struct vmm_vcpu_stats){
			.cpu_time_ns = vcpu_cpu_time_ns(c),
			.exits = c->exits,
			.io_exits = c->io_exits,
			.mmio_exits = c->mmio_exits,
			.hlt_exits = c->hlt_exits,
		};
	}
	out->nr_disks = vmm->cfg.nr_disks;
	for (int i = 0; i < vmm->cfg.nr_disks; i++)
		virtio_blk_get_stats(vmm->disks[i], &out->disk[i]);
	if (vmm->rng)
		out->rng_bytes = virtio_rng_bytes(vmm->rng);
	for (int i = 0; i < vmm->cfg.nr_nics && vmm->nics[i]; i++) {
		struct vmm_nic_stats *ns = &out->nic[i];

		virtio_net_get_mac(vmm->nics[i], ns->mac);
		snprintf(ns->kind, sizeof(ns->kind), "%s", virtio_net_backend(vmm->nics[i])->ops->kind);
		ns->rx_held = virtio_net_rx_held(vmm->nics[i]);
		virtio_net_get_stats(vmm->nics[i], &ns->io);
		out->nr_nics = i + 1;
	}
	total = vmm_total_resident_bytes();
	guest = vmm_guest_resident_bytes(vmm);
	out->guest_rss_bytes = guest;
	out->vmm_rss_bytes = total > guest ? total - guest : 0;
	return 0;
}

int vmm_nic_hostfwd(struct vmm *vmm, int nic, const struct netdev_hostfwd *fwd, bool add,
		    char *err, size_t errlen)
{
	struct netdev *nd;

	if (nic < 0 || nic >= vmm->cfg.nr_nics || !vmm->nics[nic]) {
		snprintf(err, errlen, "no NIC %d (this VM has %d)", nic, vmm->cfg.nr_nics);
		return -ENODEV;
	}
	nd = virtio_net_backend(vmm->nics[nic]);
	if (!nd->ops->hostfwd) {
		snprintf(err, errlen, "NIC %d (%s) has no port forwards", nic, nd->ops->kind);
		return -EOPNOTSUPP;
	}
	return nd->ops->hostfwd(nd, fwd, add, err, errlen);
}

int vmm_get_display(struct vmm *vmm, struct vmm_display_info *out)
{
	const char *path;

	memset(out, 0, sizeof(*out));
	if (!vmm->vnc)
		return -ENODEV;
	path = vnc_server_socket_path(vmm->vnc);
	snprintf(out->socket, sizeof(out->socket), "%s", path ? path : "");
	out->tcp_port = vnc_server_tcp_port(vmm->vnc);
	out->clients = vnc_server_nr_clients(vmm->vnc);
	out->width = vmm->fb->geo.width;
	out->height = vmm->fb->geo.height;
	return 0;
}

static void vmm_on_signal(void *opaque, uint32_t events)
{
	struct vmm *vmm = opaque;
	struct signalfd_siginfo si;

	if (read(vmm->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	fprintf(stderr, "virtty-vmm: %s, stopping the VM\n", strsignal(si.ssi_signo));
	vmm_request_exit(vmm, VMM_EXIT_QUIT);
}

static int vmm_setup_signals(struct vmm *vmm, char *err, size_t errlen)
{
	sigset_t set;
	int r;

	/* SIGTERM/SIGINT/SIGHUP are read on the loop; every thread created after
	 * this inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGUSR1);
	signal(SIGPIPE, SIG_IGN);
	vmm->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vmm->sigfd < 0 || vcpu_init_signals() < 0) {
		snprintf(err, errlen, "cannot set up signal handling: %s", strerror(errno));
		return -errno;
	}
	r = evloop_add(vmm->loop, vmm->sigfd, EPOLLIN, vmm_on_signal, vmm);
	if (r)
		snprintf(err, errlen, "cannot watch signals: %s", strerror(-r));
	return r;
}

static int vmm_setup_serial(struct vmm *vmm, char *err, size_t errlen)
{
	const char *s = vmm->cfg.serial ? vmm->cfg.serial : "stdio";

	if (!strcmp(s, "stdio"))
		vmm->serial_dev = chardev_new_stdio(vmm->loop, err, errlen);
	else if (!strcmp(s, "none"))
		vmm->serial_dev = chardev_new_null(VMM_SERIAL_REPLAY_BYTES);
	else
		vmm->serial_dev =
			chardev_new_socket(vmm->loop, s, VMM_SERIAL_REPLAY_BYTES, err, errlen);
	if (!vmm->serial_dev)
		return -EINVAL;
	vmm->uart = serial8250_new(&vmm->pio, LAYOUT_PORT_COM1, &vmm->kvm.irq, LAYOUT_GSI_COM1,
				   vmm->serial_dev);
	if (!vmm->uart) {
		snprintf(err, errlen, "cannot create the serial port");
		return -ENOMEM;
	}
	return 0;
}

static int vmm_setup_platform(struct vmm *vmm, char *err, size_t errlen)
{
	static uint8_t tables[LAYOUT_ACPI_SIZE];
	struct acpi_config acpi = {
		.nr_vcpus = vmm->cfg.nr_vcpus,
		.base_gpa = LAYOUT_ACPI_ADDR,
		.pci = true,
		.i8042 = true,
		.com1 = true,
	};
	const struct acpi_pm_ops pm_ops = {
		.poweroff = vmm_guest_poweroff, .reset = vmm_guest_reset, .opaque = vmm};
	const struct i8042_ops kbd_ops = { .reset = vmm_guest_reset, .opaque = vmm };
	ssize_t n;

	vmm->pm = acpi_pm_new(&vmm->pio, &vmm->kvm.irq, &pm_ops);
	vmm->i8042 = i8042_new(&vmm->pio, &vmm->kvm.irq, &kbd_ops);
	vmm->pci = pci_bus_new(&vmm->pio, &vmm->mmio);
	if (!vmm->pm || !vmm->i8042 || !vmm->pci) {
		snprintf(err, errlen, "cannot create the platform devices");
		return -ENOMEM;
	}
	/* 0xCF9 lies inside the PCI config dword, so the PCI bus owns the port
	 * and forwards reset writes to the ACPI hardware. */
	pci_bus_set_reset_handler(vmm->pci, acpi_pm_reset_port_write, vmm->pm);
	n = acpi_build_tables(&acpi, tables, sizeof(tables));
	if (n < 0) {
		snprintf(err, errlen, "cannot build ACPI tables: %s", strerror((int)-n));
		return (int)n;
	}
	return guest_mem_write(&vmm->kvm.mem, LAYOUT_ACPI_ADDR, tables, n);
}

static int vmm_setup_virtio(struct vmm *vmm, char *err, size_t errlen)
{
	for (int i = 0; i < vmm->cfg.nr_disks; i++) {
		vmm->disks[i] = virtio_blk_new(vmm->pci, &vmm->kvm.mem, &vmm->kvm.irq,
					       vmm->cfg.disks[i].path, vmm->cfg.disks[i].readonly,
					       err, errlen);
		if (!vmm->disks[i])
			return -EINVAL;
	}
	vmm->rng = virtio_rng_new(vmm->pci, &vmm->kvm.mem, &vmm->kvm.irq, err, errlen);
	if (!vmm->rng)
		return -EINVAL;
	/* The user backends bind their port forwards here: a busy port is
	 * the user's error (status 2) before the guest runs. */
	for (int i = 0; i < vmm->cfg.nr_nics; i++) {
		const struct vmm_nic_config *nc = &vmm->cfg.nics[i];
		struct netdev *nd = nc->kind == VMM_NIC_SOCKET
					? net_socket_new(nc->socket_path, err, errlen)
					: net_slirp_new(&nc->user, err, errlen);

		if (!nd)
			return -EINVAL;
		vmm->nics[i] = virtio_net_new(vmm->pci, &vmm->kvm.mem, &vmm->kvm.irq, nc->mac, nd,
					      err, errlen);
		if (!vmm->nics[i])
			return -EINVAL;
	}
	return 0;
}

int vmm_create(const struct vmm_config *cfg, struct vmm **out, char *err, size_t errlen)
{
	struct vmm *vmm = calloc(1, sizeof(*vmm));
	struct boot_config boot;
	int r;

	*out = NULL;
	if (!vmm) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	vmm->cfg = *cfg;
	vmm->sigfd = -1;
	vmm->kvm.vm_fd = vmm->kvm.kvm_fd = -1;
	vmm->nr_vcpus = 0;
	pthread_mutex_init(&vmm->lock, NULL);
	{
		/* vmm_pause waits with a deadline on the monotonic clock. */
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&vmm->cond, &attr);
		pthread_condattr_destroy(&attr);
	}
	io_bus_init(&vmm->pio, "pio");
	io_bus_init(&vmm->mmio, "mmio");
	*out = vmm;

	vmm->loop = evloop_new();
	if (!vmm->loop) {
		snprintf(err, errlen, "cannot create the event loop: %s", strerror(errno));
		return -ENOMEM;
	}
	r = vmm_setup_signals(vmm, err, errlen);
	if (r)
		return r;
	r = kvm_vm_create(&vmm->kvm, err, errlen);
	if (r)
		return r;
	if (cfg->nr_vcpus > vmm->kvm.max_vcpus) {
		snprintf(err, errlen, "--cpus %d: this host's KVM allows at most %d vCPUs",
			 cfg->nr_vcpus, vmm->kvm.max_vcpus);
		return -EINVAL;
	}
	r = kvm_vm_add_ram(&vmm->kvm, cfg->memory_mib << 20, err, errlen);
	if (r)
		return r;
	r = vmm_setup_platform(vmm, err, errlen);
	if (r)
		return r;
	r = vmm_setup_virtio(vmm, err, errlen);
	if (r)
		return r;

	if (cfg->fb_width) {
		vmm->fb = framebuffer_new(&vmm->kvm, cfg->fb_width, cfg->fb_height, err, errlen);
		if (!vmm->fb)
			return -EINVAL;
	}

	boot = (struct boot_config){
		.kernel_path = cfg->kernel,
		.initrd_path = cfg->initrd,
		.cmdline = cfg->cmdline,
		.rsdp_addr = LAYOUT_ACPI_ADDR,
	};
	if (vmm->fb) {
		boot.fb_addr = vmm->fb->gpa;
		boot.fb_width = vmm->fb->geo.width;
		boot.fb_height = vmm->fb->geo.height;
		boot.fb_stride = vmm->fb->geo.stride;
	}
	r = boot_load(&vmm->kvm.mem, &boot, &vmm->entry, err, errlen);
	if (r)
		return r;
	if (vmm->fb && vmm->entry.mode == BOOT_MODE_PVH)
		fprintf(stderr, "virtty-vmm: warning: kernel '%s' boots through PVH, which cannot "
			"describe a framebuffer: the guest will not find it (use a bzImage)\n",
			cfg->kernel);
	for (int i = 0; i < cfg->nr_vcpus; i++) {
		r = vcpu_create(&vmm->vcpus[i], &vmm->kvm, i, cfg->nr_vcpus, err, errlen);
		if (r)
			return r;
		vmm->vcpus[i].vmm = vmm;
		vmm->nr_vcpus++;
	}
	r = boot_setup_vcpu(vmm->vcpus[0].fd, &vmm->kvm.mem, &vmm->entry, err, errlen);
	if (r)
		return r;
	/* Sockets last: once they exist, clients may talk to a complete machine. */
	r = vmm_setup_serial(vmm, err, errlen);
	if (r)
		return r;
	if (cfg->vnc || cfg->vnc_tcp_port) {
		const struct vnc_server_config vc = {
			.socket_path = cfg->vnc,
			.tcp_port = cfg->vnc_tcp_port,
			.name = cfg->name,
		};

		if (!vmm->fb) {
			snprintf(err, errlen, "VNC needs a framebuffer");
			return -EINVAL;
		}
		vmm->vnc = vnc_server_new(&vc, vmm->fb, vmm->i8042, err, errlen);
		if (!vmm->vnc)
			return -EINVAL;
	}
	if (cfg->control) {
		vmm->control = vmm_control_start(vmm->loop, cfg->control, vmm, vmm->serial_dev, err,
						 errlen);
		if (!vmm->control)
			return -EINVAL;
	}
	return 0;
}

int vmm_run(struct vmm *vmm)
{
	char msg[256];
	int r;

	clock_gettime(CLOCK_MONOTONIC, &vmm->started);
	pthread_mutex_lock(&vmm->lock);
	vmm->state = VMM_STATE_RUNNING;
	pthread_mutex_unlock(&vmm->lock);
	for (int i = 0; i < vmm->nr_vcpus; i++) {
		r = vcpu_start(&vmm->vcpus[i]);
		if (r) {
			fprintf(stderr, "virtty-vmm: cannot start vCPU %d: %s\n", i, strerror(-r));
			vmm_request_exit(vmm, VMM_EXIT_ERROR);
			break;
		}
	}
	/* Network threads, like the VNC thread below, start before the main
	 * filter (which they would inherit) and install their own. */
	for (int i = 0; i < vmm->cfg.nr_nics; i++) {
		struct netdev *nd = virtio_net_backend(vmm->nics[i]);

		if (nd->ops->start && nd->ops->start(nd, msg, sizeof(msg))) {
			fprintf(stderr, "virtty-vmm: %s\n", msg);
			vmm_request_exit(vmm, VMM_EXIT_ERROR);
		}
	}
	/* Before the main filter, which the thread would inherit; it
	 * installs its own. */
	if (vmm->vnc && vnc_server_start(vmm->vnc, msg, sizeof(msg))) {
		fprintf(stderr, "virtty-vmm: %s\n", msg);
		vmm_request_exit(vmm, VMM_EXIT_ERROR);
	}
	/* After the vCPU threads exist: each installs its own filter. */
	r = sandbox_apply(SANDBOX_MAIN, msg, sizeof(msg));
	if (r) {
		fprintf(stderr, "virtty-vmm: %s\n", msg);
		vmm_request_exit(vmm, VMM_EXIT_ERROR);
	}
	r = evloop_run(vmm->loop);
	if (r) {
		fprintf(stderr, "virtty-vmm: event loop failed: %s\n", strerror(-r));
		vmm_request_exit(vmm, VMM_EXIT_ERROR);
	}
	/* The loop may have stopped for another reason; make sure everyone stops. */
	vmm_request_exit(vmm, VMM_EXIT_ERROR);
	for (int i = 0; i < vmm->nr_vcpus; i++)
		if (vmm->vcpus[i].thread_started)
			pthread_join(vmm->vcpus[i].thread, NULL);
	return vmm->exit_status;
}

void vmm_destroy(struct vmm *vmm)
{
	if (!vmm)
		return;
	if (vmm->control)
		vmm_control_stop(vmm->control);
	/* Before the i8042 (viewers' held keys are released into it) and
	 * the framebuffer it reads. */
	vnc_server_free(vmm->vnc);
	for (int i = 0; i < vmm->nr_vcpus; i++)
		vcpu_destroy(&vmm->vcpus[i]);
	for (int i = 0; i < VMM_MAX_DISKS; i++)
		if (vmm->disks[i])
			virtio_blk_free(vmm->disks[i]);
	if (vmm->rng)
		virtio_rng_free(vmm->rng);
	for (int i = 0; i < VMM_MAX_NICS; i++)
		virtio_net_free(vmm->nics[i]);
	if (vmm->pci)
		pci_bus_free(vmm->pci);
	if (vmm->i8042)
		i8042_free(vmm->i8042);
	if (vmm->pm)
		acpi_pm_free(vmm->pm);
	if (vmm->uart)
		serial8250_free(vmm->uart);
	/* Restores the terminal when the serial port was on stdio. */
	if (vmm->serial_dev)
		chardev_free(vmm->serial_dev);
	kvm_vm_destroy(&vmm->kvm);
	framebuffer_free(vmm->fb);
	if (vmm->sigfd >= 0)
		close(vmm->sigfd);
	if (vmm->loop)
		evloop_free(vmm->loop);
	io_bus_destroy(&vmm->pio);
	io_bus_destroy(&vmm->mmio);
	free(vmm);
}
