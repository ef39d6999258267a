/* The machine as a whole: what the control socket and the devices may ask
 * of it. The struct itself is private to vmm.c. */
#ifndef VIRTTY_VMM_VMM_H
#define VIRTTY_VMM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_slirp.h"

/* Exit statuses of virtty-vmm (documented in docs/vmm.md). */
enum vmm_exit_status {
	VMM_EXIT_POWEROFF = 0,     /* guest powered off (ACPI S5) */
	VMM_EXIT_ERROR = 1,        /* internal error (message on stderr) */
	VMM_EXIT_USAGE = 2,        /* bad arguments or environment, before the guest ran */
	VMM_EXIT_REBOOT = 3,       /* guest asked for a reboot */
	VMM_EXIT_CRASH = 4,        /* triple fault / KVM internal error / shutdown exit */
	VMM_EXIT_QUIT = 5,         /* stopped on request (control "quit", SIGTERM) */
};

enum vmm_state {
	VMM_STATE_STARTING,
	VMM_STATE_RUNNING,
	VMM_STATE_PAUSED,
	VMM_STATE_STOPPING,        /* exit requested, threads winding down */
};

const char *vmm_state_name(enum vmm_state state); /* "running", "paused", ... */

#define VMM_MAX_VCPUS 64
#define VMM_MAX_DISKS 16
#define VMM_MAX_NICS 8

struct vmm_vcpu_stats {
	uint64_t cpu_time_ns;      /* thread CPU time */
	uint64_t exits;            /* KVM_RUN returns */
	uint64_t io_exits, mmio_exits, hlt_exits;
};

struct vmm_disk_stats {
	char path[256];
	bool readonly;
	uint64_t rd_reqs, wr_reqs, flush_reqs, rd_bytes, wr_bytes, errors;
};

struct vmm_nic_stats {
	uint8_t mac[6];
	char kind[16];             /* backend: "user", "socket" */
	unsigned int rx_held;      /* frames waiting for guest buffers now */
	struct netdev_stats io;
};

struct vmm_stats {
	int nr_vcpus;
	struct vmm_vcpu_stats vcpu[VMM_MAX_VCPUS];
	int nr_disks;
	struct vmm_disk_stats disk[VMM_MAX_DISKS];
	uint64_t rng_bytes;
	int nr_nics;
	struct vmm_nic_stats nic[VMM_MAX_NICS];
	uint64_t vmm_rss_bytes;    /* resident memory of the VMM not counting guest RAM */
	uint64_t guest_rss_bytes;  /* resident guest RAM */
};

struct vmm_status {
	enum vmm_state state;
	char name[65];
	int nr_vcpus;
	uint64_t memory_mib;
	uint64_t uptime_ms;        /* since the guest started running */
	int pid;
};

/* The VNC display, for "status". */
struct vmm_display_info {
	char socket[108];          /* UNIX socket path, "" if TCP only */
	int tcp_port;              /* 0 if none */
	int clients;               /* viewers connected now */
	uint32_t width, height;
};

struct vmm;

/* ---- Building and running a machine (main.c) ---- */

struct vmm_disk_config {
	const char *path;
	bool readonly;
};

/* One --nic: a virtio-net device and its backend. */
enum vmm_nic_kind {
	VMM_NIC_USER,   /* user-mode NAT, libslirp in this process */
	VMM_NIC_SOCKET, /* a port of a virtty-netd switch */
};

struct vmm_nic_config {
	enum vmm_nic_kind kind;
	uint8_t mac[6];
	struct net_slirp_config user; /* VMM_NIC_USER */
	const char *socket_path;      /* VMM_NIC_SOCKET: the switch's port socket */
};

struct vmm_config {
	const char *name;          /* for messages and status; may be NULL */
	const char *kernel;
	const char *initrd;        /* may be NULL */
	const char *cmdline;
	int nr_vcpus;
	uint64_t memory_mib;
	int nr_disks;
	struct vmm_disk_config disks[VMM_MAX_DISKS];
	const char *serial;        /* "stdio", "none", or a UNIX socket path */
	const char *control;       /* control socket path, or NULL */
	bool no_reboot;            /* guest reboot exits with VMM_EXIT_REBOOT */
	/* Graphical console: a framebuffer (0x0 = none) and its VNC server. */
	uint32_t fb_width, fb_height;
	const char *vnc;           /* VNC UNIX socket path, or NULL */
	int vnc_tcp_port;          /* also on 127.0.0.1:PORT; 0 = no */
	int nr_nics;
	struct vmm_nic_config nics[VMM_MAX_NICS];
};

/* Build the machine. Errors here are the user's (bad kernel, disk, memory
 * size, no /dev/kvm): -errno and a one-line message. */
int vmm_create(const struct vmm_config *cfg, struct vmm **out, char *err, size_t errlen);
/* Run until the machine stops; returns the exit status (enum vmm_exit_status). */
int vmm_run(struct vmm *vmm);
/* True if the machine stopped to be restarted (guest reboot, "reset"). */
bool vmm_restart_requested(struct vmm *vmm);
void vmm_destroy(struct vmm *vmm);

/* ---- Used by the control socket and devices ---- */

int vmm_get_status(struct vmm *vmm, struct vmm_status *out);
int vmm_get_stats(struct vmm *vmm, struct vmm_stats *out);
/* -ENODEV when the machine has no VNC server. Any thread. */
int vmm_get_display(struct vmm *vmm, struct vmm_display_info *out);
/* Add or remove a port forward on NIC `nic` while running. 0 or -errno
 * with a message: -ENODEV no such NIC, -EOPNOTSUPP its backend has no
 * forwards, -EADDRINUSE/-EACCES the host port, -ENOENT no such forward. */
int vmm_nic_hostfwd(struct vmm *vmm, int nic, const struct netdev_hostfwd *fwd, bool add,
		    char *err, size_t errlen);
/* Each returns 0 or -errno: -EALREADY (already paused/running), -EBUSY
 * (stopping); vmm_pause also -ETIMEDOUT (a vCPU did not stop within 5 s;
 * it pauses when it comes back unless vmm_resume is called). */
int vmm_pause(struct vmm *vmm);
int vmm_resume(struct vmm *vmm);
/* Press the ACPI power button (the guest decides what to do). */
int vmm_powerdown(struct vmm *vmm);
/* Hard reset: the machine restarts from the kernel entry. */
int vmm_reset(struct vmm *vmm);
/* Stop the VMM with the given exit status (thread-safe, async). */
void vmm_request_exit(struct vmm *vmm, enum vmm_exit_status status);

#endif
