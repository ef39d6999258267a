/* The driver interface: what the CLI and the TUI may ask of a connection,
 * whatever is behind it (the local store and virtty-vmm processes, or a
 * libvirt host). Plain data only: no KVM, libvirt or JSON types here. */
#ifndef VIRTTY_DRIVER_H
#define VIRTTY_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_NAME_MAX   64   /* [A-Za-z0-9][A-Za-z0-9._-]{0,63} */
#define VM_PATH_MAX   4096
#define VM_CMDLINE_MAX 4096
#define VM_MAX_DISKS  16
#define VM_MAX_NICS   8
#define NET_MAX_FORWARDS 32

enum vm_state {
	VM_STATE_SHUTOFF,        /* defined, not running (or exited cleanly) */
	VM_STATE_STARTING,
	VM_STATE_RUNNING,
	VM_STATE_PAUSED,
	VM_STATE_SHUTTING_DOWN,  /* stop requested, process still there */
	VM_STATE_CRASHED,        /* the VMM died or the guest crashed */
	VM_STATE_UNKNOWN,        /* process alive but not answering */
};

/* "shut off", "running", "paused", "crashed", ... as users read them. */
const char *vm_state_name(enum vm_state state);

struct vm_disk {
	char path[VM_PATH_MAX];  /* absolute path of the image */
	bool readonly;
	char format[16];         /* "raw" (qcow2 later) */
	uint64_t size_bytes;     /* virtual size; 0 if unknown */
};

/* The VM's screen: a linear framebuffer served over VNC. */
#define VM_DISPLAY_DEFAULT_WIDTH  1024
#define VM_DISPLAY_DEFAULT_HEIGHT 768
struct vm_display {
	bool enabled;            /* false: serial console only */
	int width, height;       /* pixels, 32 bpp */
	int vnc_port;            /* also listen on 127.0.0.1:vnc_port; 0 = UNIX socket only */
};

/* A NIC: which network it is on and its MAC address ("52:54:00:xx:xx:xx";
 * "" in a define request = the driver picks one and stores it, so it
 * stays the same across restarts). */
struct vm_nic {
	char network[VM_NAME_MAX + 1];
	char mac[18];
};

/* What a VM is made of: the persistent definition. */
struct vm_config {
	char name[VM_NAME_MAX + 1];
	char kernel[VM_PATH_MAX];
	char initrd[VM_PATH_MAX];        /* "" = none */
	char cmdline[VM_CMDLINE_MAX];
	int vcpus;
	uint64_t memory_mib;
	int nr_disks;
	struct vm_disk disks[VM_MAX_DISKS];
	struct vm_display display;
	int nr_nics;
	struct vm_nic nics[VM_MAX_NICS];
	char cdrom[VM_PATH_MAX];         /* an ISO to install from ("" = none);
					  * libvirt connections with firmware only */
};

/* A disk the define operation should create (`--disk new:SIZE`): the
 * driver chooses the path inside the VM's own storage. */
struct vm_new_disk {
	uint64_t size_bytes;
	bool readonly;
};

/* What a VM is doing now. */
struct vm_info {
	char name[VM_NAME_MAX + 1];
	enum vm_state state;
	int vcpus;                       /* of the running VM, else configured */
	uint64_t memory_mib;
	uint64_t uptime_ms;              /* 0 when not running */
	int pid;                         /* VMM process, 0 when not running */
	bool pending_changes;            /* config changed since it started */
	char reason[128];                /* why crashed/unknown, "" otherwise */
};

/* Cumulative counters at one instant; rates and CPU% come from the
 * difference of two samples (see vm_stats_cpu_percent). */
struct vm_stats {
	uint64_t timestamp_ns;           /* CLOCK_MONOTONIC */
	int vcpus;
	uint64_t cpu_time_ns;            /* all vCPUs together */
	uint64_t memory_bytes;           /* guest memory size */
	uint64_t memory_rss_bytes;       /* guest memory resident on the host */
	uint64_t vmm_rss_bytes;          /* VMM overhead, without guest RAM */
	uint64_t disk_rd_bytes, disk_wr_bytes, disk_rd_reqs, disk_wr_reqs;
	uint64_t net_rx_bytes, net_tx_bytes; /* all NICs together */
	int nr_nics;
	struct vm_nic_stats {
		char network[VM_NAME_MAX + 1]; /* "" if unknown (libvirt: the interface) */
		char mac[18];
		uint64_t rx_bytes, rx_packets, rx_dropped; /* rx: towards the guest */
		uint64_t tx_bytes, tx_packets, tx_dropped, tx_errors;
	} nics[VM_MAX_NICS];
};

/* CPU% of the whole VM between two samples: 100% = one host CPU busy. */
double vm_stats_cpu_percent(const struct vm_stats *older, const struct vm_stats *newer);

/* Changes for `set`; a field left at 0 is not changed. */
enum vm_setting_switch { VM_SETTING_KEEP, VM_SETTING_ON, VM_SETTING_OFF };
struct vm_settings {
	int vcpus;
	uint64_t memory_mib;
	enum vm_setting_switch display;    /* add (1024x768 unless given) or remove it */
	int display_width, display_height; /* new resolution; needs a display */
	bool set_vnc_port;                 /* vnc_port given (0 = UNIX socket only) */
	int vnc_port;
	bool set_nics;                     /* replace the NIC list with nics[] */
	int nr_nics;                       /* (0 with set_nics: no network) */
	struct vm_nic nics[VM_MAX_NICS];   /* mac "" = keep the MAC of the NIC
					    * at the same index, or a new one */
};

/* Networks (see the reachability table in docs/networks.md):
 *   nat      each VM alone behind its own user-mode NAT (libslirp in its
 *            VMM); outside reachable, nothing else; port forwards name a VM.
 *   natnet   VMs on one segment (virtty-netd switch) plus a shared NAT.
 *   internal VMs on one segment, nothing else.
 *   hostonly VMs and a host interface (address .1 of the subnet) on one
 *            segment, DHCP by dnsmasq, no forwarding; needs CAP_NET_ADMIN.
 *   bridged  VMs on an existing host bridge through a tap; CAP_NET_ADMIN. */
enum net_mode { NET_MODE_NAT, NET_MODE_NATNET, NET_MODE_INTERNAL, NET_MODE_HOSTONLY,
		NET_MODE_BRIDGED };
#define NET_MODE_COUNT 5
/* "nat", "natnet", "internal", "hostonly", "bridged" */
const char *net_mode_name(enum net_mode mode);
/* The name above, or -EINVAL with a message listing them. */
int net_mode_parse(const char *text, enum net_mode *out, char *err, size_t errlen);

/* host_addr:host_port on the host reaches guest_port of one guest: in a
 * nat network the VM named guest_vm (its own NAT), in a natnet network
 * guest_addr (an address on the segment). */
struct net_forward {
	bool udp;
	char host_addr[16];            /* dotted IPv4; "" = 127.0.0.1 */
	uint16_t host_port;            /* 1..65535 */
	char guest_vm[VM_NAME_MAX + 1]; /* nat */
	char guest_addr[16];           /* natnet */
	uint16_t guest_port;
};

struct net_config {
	char name[VM_NAME_MAX + 1];
	enum net_mode mode;
	char subnet[19];       /* "10.0.2.0/24"; "" for bridged and internal */
	char dhcp_start[16];   /* "" = no DHCP (hostonly) / the default (nat, natnet) */
	char dhcp_end[16];     /* nat/natnet: libslirp serves 16 addresses from dhcp_start */
	char bridge[16];       /* bridged: the existing host bridge */
	bool autostart;        /* started with the first VM that needs it, and by
				* `virtty net-autostart` at boot */
	int nr_forwards;
	struct net_forward forwards[NET_MAX_FORWARDS];
};

enum net_state { NET_STATE_INACTIVE, NET_STATE_ACTIVE, NET_STATE_FAILED };
/* "inactive", "active", "failed" */
const char *net_state_name(enum net_state state);

struct net_info {
	char name[VM_NAME_MAX + 1];
	enum net_mode mode;
	enum net_state state;  /* nat networks are always active: nothing to run */
	char subnet[19];
	char bridge[16];       /* bridged: the bridge; hostonly: the host interface */
	bool autostart;
	int nr_vms;            /* defined VMs with a NIC on it */
	int nr_running;        /* of which running */
	char vms[256];         /* their names, comma-separated (cut with "...") */
	uint64_t rx_bytes, tx_bytes; /* through the switch since it started (0 for nat) */
	char reason[128];      /* why failed, "" otherwise */
};

/* What a driver tells its user without being asked (libvirt domain
 * events; the local driver has none and is polled). Called from the
 * driver's own thread: copy what you need and return quickly. */
struct driver_events {
	/* A VM changed state, appeared (defined) or disappeared (undefined:
	 * gone = true). */
	void (*vm_changed)(void *opaque, const char *name, enum vm_state state, bool gone);
	/* The connection broke (the host went away); the user may reconnect. */
	void (*disconnected)(void *opaque, const char *why);
	void *opaque;
};

/* Credentials a connection asks for (libvirt's auth callback: a password
 * for qemu+ssh:// without keys, a SASL user name). prompt is what to show;
 * echo false for secrets. Fill answer (NUL-terminated) and return 0, or
 * return -ECANCELED. May be called from any thread while driver_open_auth
 * runs. */
struct driver_auth {
	int (*ask)(void *opaque, const char *prompt, bool echo, char *answer, size_t len);
	void *opaque;
};

/* Progress of a long operation (clone, disk creation): called now and
 * then with bytes done out of total; return non-zero to cancel. */
struct progress {
	int (*fn)(void *opaque, uint64_t done, uint64_t total);
	void *opaque;
};

enum { DRIVER_UNDEFINE_REMOVE_DISKS = 1 };

struct driver;

/* Every operation returns 0 or a negative errno and, on failure, fills
 * err with a message for the user that names the VM and says what to do,
 * e.g. "VM 'web' is running; use 'virtty shutdown web' first". On success
 * err is "" or holds a note worth showing (a warning from net_define,
 * "nothing to start" for a nat network, where undefine moved disks). */
struct driver_ops {
	const char *name; /* "local", "libvirt" */
	void (*close)(struct driver *drv);

	int (*list)(struct driver *drv, struct vm_info **out, int *count, char *err, size_t errlen);
	int (*info)(struct driver *drv, const char *name, struct vm_info *out, char *err,
		    size_t errlen);
	int (*get_config)(struct driver *drv, const char *name, struct vm_config *out, char *err,
			  size_t errlen);
	/* cfg->disks holds existing images; new_disks are created first. */
	int (*define)(struct driver *drv, const struct vm_config *cfg,
		      const struct vm_new_disk *new_disks, int nr_new_disks,
		      const struct progress *progress, char *err, size_t errlen);
	int (*undefine)(struct driver *drv, const char *name, unsigned flags, char *err,
			size_t errlen);

	int (*start)(struct driver *drv, const char *name, char *err, size_t errlen);
	/* Ask the guest to power off (ACPI); returns at once. */
	int (*shutdown)(struct driver *drv, const char *name, char *err, size_t errlen);
	/* Power off now. */
	int (*destroy)(struct driver *drv, const char *name, char *err, size_t errlen);
	int (*reboot)(struct driver *drv, const char *name, char *err, size_t errlen);
	int (*pause)(struct driver *drv, const char *name, char *err, size_t errlen);
	int (*resume)(struct driver *drv, const char *name, char *err, size_t errlen);

	/* *at_next_start is set when the VM runs and the change waits for a restart. */
	int (*set)(struct driver *drv, const char *name, const struct vm_settings *changes,
		   bool *at_next_start, char *err, size_t errlen);
	int (*clone)(struct driver *drv, const char *name, const char *new_name,
		     const struct progress *progress, char *err, size_t errlen);
	int (*stats)(struct driver *drv, const char *name, struct vm_stats *out, char *err,
		     size_t errlen);

	/* A connected stream socket carrying the serial console (both ways). */
	int (*console_open)(struct driver *drv, const char *name, int *fd, char *err,
			    size_t errlen);
	/* The guest's recent serial output (malloc'd, caller frees). */
	int (*console_dump)(struct driver *drv, const char *name, char **buf, size_t *len,
			    char *err, size_t errlen);
	/* A connected stream socket to the VM's VNC server (RFB from the
	 * first byte). -ENODEV when the VM has no display, -ESRCH (or the
	 * state's error) when it does not run; err says which. */
	int (*vnc_open)(struct driver *drv, const char *name, int *fd, char *err, size_t errlen);

	/* Optional (NULL when the driver has none). */
	/* Get state changes pushed (NULL ev: stop). */
	int (*set_events)(struct driver *drv, const struct driver_events *ev, char *err,
			  size_t errlen);
	/* What define would create, for the user to read before it happens:
	 * libvirt domain XML, or the local store's vm.conf. malloc'd. */
	int (*define_preview)(struct driver *drv, const struct vm_config *cfg,
			      const struct vm_new_disk *new_disks, int nr_new_disks, char **text,
			      char *err, size_t errlen);
	/* Save a running VM's memory to path and stop it / start it again from
	 * there. */
	int (*save)(struct driver *drv, const char *name, const char *path, char *err,
		    size_t errlen);
	int (*restore)(struct driver *drv, const char *path, char *err, size_t errlen);

	/* Networks. NULL when a driver has none. */
	int (*net_list)(struct driver *drv, struct net_info **out, int *count, char *err,
			size_t errlen);
	int (*net_get_config)(struct driver *drv, const char *name, struct net_config *out,
			      char *err, size_t errlen);
	/* Create a network (validated: subnet, DHCP range, overlaps). */
	int (*net_define)(struct driver *drv, const struct net_config *cfg, char *err,
			  size_t errlen);
	/* Refused while VMs are defined on it (err names them) or it runs. */
	int (*net_undefine)(struct driver *drv, const char *name, char *err, size_t errlen);
	int (*net_start)(struct driver *drv, const char *name, char *err, size_t errlen);
	/* Refused while running VMs are attached (err names them). */
	int (*net_stop)(struct driver *drv, const char *name, char *err, size_t errlen);
	int (*net_set_autostart)(struct driver *drv, const char *name, bool autostart, char *err,
				 size_t errlen);
	/* Add or remove a port forward: stored, and applied at once where the
	 * network (nat: the VM) runs; a busy host port is an error and
	 * nothing is stored. */
	int (*net_forward)(struct driver *drv, const char *name, const struct net_forward *fwd,
			   bool add, char *err, size_t errlen);
};

struct driver {
	const struct driver_ops *ops;
	char uri[256];
	void *priv;
};

/* Open a connection: NULL, "" or "local" for the local driver; any other
 * URI goes to libvirt (qemu:///system, qemu+ssh://user@host/system,
 * test:///default). Returns NULL with a message on failure (libvirt's own
 * message for libvirt URIs). driver_open_auth also answers credential
 * questions through auth (driver_open: none can be answered). */
struct driver *driver_open(const char *uri, char *err, size_t errlen);
struct driver *driver_open_auth(const char *uri, const struct driver_auth *auth, char *err,
				size_t errlen);
/* Is this URI the local driver's? */
bool driver_uri_is_local(const char *uri);
void driver_close(struct driver *drv);

/* Is this a valid VM (or network) name? If not, err says why. */
bool vm_name_valid(const char *name, char *err, size_t errlen);

#endif
