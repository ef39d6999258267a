/* Shared by the libvirt driver's files (conn.c, domains.c, stats.c,
 * events.c, xml.c, networks.c, stream.c); not for the CLI or the TUI,
 * which only see driver.h. */
#ifndef VIRTTY_LIBVIRT_PRIV_H
#define VIRTTY_LIBVIRT_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "driver.h"
#include "libvirt_driver.h"

struct lv_event_ctx;

/* One libvirt connection behind a struct driver (drv->priv). */
struct lv_priv {
	virConnectPtr conn;
	char uri[256];            /* as the user gave it (also in drv->uri) */
	pthread_mutex_t lock;     /* guards ev and lifecycle_cb */
	/* What events.c hands to libvirt's callbacks: refcounted, freed by
	 * libvirt's freecb once no callback can run any more. */
	struct lv_event_ctx *ev;
	int lifecycle_cb;         /* virConnectDomainEventRegisterAny id, -1 = none */
	bool close_cb;            /* virConnectRegisterCloseCallback done */
};

/* The driver's private state. */
static inline struct lv_priv *lv_priv(struct driver *drv)
{
	return (struct lv_priv *)drv->priv;
}

/* What the host offers new domains (capabilities and domain capabilities). */
struct lv_host_caps {
	char virt_type[16];   /* "kvm", "qemu" (or the test driver's "test") */
	char arch[16];        /* "x86_64" (test driver: "i686") */
	bool firmware;        /* a BIOS/UEFI to boot a CD-ROM */
	char firmware_why[256]; /* when !firmware: why, for the error */
};

/* ---- conn.c: opening, closing, errors ---- */

/* lv_driver_open (libvirt_driver.h): virConnectOpenAuth with an auth callback
 * that asks through struct driver_auth; keepalive; the close callback. */

/* Fill err with "<formatted text>: <libvirt's last error message>";
 * returns the -errno matching the libvirt error (ENOENT no such
 * domain/network, EEXIST, EINVAL, EPERM/EACCES, ENOTSUP, ENOTCONN for a
 * dead connection, EBUSY for an operation invalid in this state, else EIO). */
int lv_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The domain called name, or NULL with err "VM 'name' not found on URI"
 * and *rc = -ENOENT (or another error; 0 on success). Caller virDomainFree()s. */
virDomainPtr lv_domain_lookup(struct driver *drv, const char *name, int *rc, char *err,
			      size_t errlen);

/* ---- domains.c: VMs ---- */

/* VIR_DOMAIN_RUNNING/BLOCKED -> running, PAUSED/PMSUSPENDED -> paused,
 * SHUTDOWN -> shutting down, SHUTOFF -> shut off, CRASHED -> crashed. */
enum vm_state lv_state_from_virt(int vir_state);
/* What the host offers: virt type, arch, firmware (see struct lv_host_caps). */
int lv_host_caps_probe(struct driver *drv, struct lv_host_caps *caps, char *err, size_t errlen);

int lv_list(struct driver *drv, struct vm_info **out, int *count, char *err, size_t errlen);
int lv_info(struct driver *drv, const char *name, struct vm_info *out, char *err, size_t errlen);
int lv_get_config(struct driver *drv, const char *name, struct vm_config *out, char *err,
		  size_t errlen);
int lv_define(struct driver *drv, const struct vm_config *cfg, const struct vm_new_disk *new_disks,
	      int nr_new_disks, const struct progress *progress, char *err, size_t errlen);
int lv_define_preview(struct driver *drv, const struct vm_config *cfg,
		      const struct vm_new_disk *new_disks, int nr_new_disks, char **text, char *err,
		      size_t errlen);
int lv_undefine(struct driver *drv, const char *name, unsigned flags, char *err, size_t errlen);
int lv_start(struct driver *drv, const char *name, char *err, size_t errlen);
int lv_shutdown(struct driver *drv, const char *name, char *err, size_t errlen);
int lv_destroy(struct driver *drv, const char *name, char *err, size_t errlen);
int lv_reboot(struct driver *drv, const char *name, char *err, size_t errlen);
int lv_pause(struct driver *drv, const char *name, char *err, size_t errlen);
int lv_resume(struct driver *drv, const char *name, char *err, size_t errlen);
int lv_set(struct driver *drv, const char *name, const struct vm_settings *changes,
	   bool *at_next_start, char *err, size_t errlen);
int lv_clone(struct driver *drv, const char *name, const char *new_name,
	     const struct progress *progress, char *err, size_t errlen);
int lv_save(struct driver *drv, const char *name, const char *path, char *err, size_t errlen);
int lv_restore(struct driver *drv, const char *path, char *err, size_t errlen);
int lv_console_dump(struct driver *drv, const char *name, char **buf, size_t *len, char *err,
		    size_t errlen);

/* ---- stats.c ---- */

int lv_stats(struct driver *drv, const char *name, struct vm_stats *out, char *err,
	     size_t errlen);

/* ---- events.c: the process-wide libvirt event loop, domain events ---- */

/* virEventRegisterDefaultImpl once per process and a detached thread
 * running virEventRunDefaultImpl for the life of the process; safe to call
 * many times from many threads. Needed before virConnectOpen* for
 * keepalive, domain events and virStream event callbacks. */
int lv_event_loop_start(char *err, size_t errlen);

/* At open: the close callback (connection lost -> events->disconnected).
 * At close: unregister everything. */
int lv_events_attach(struct driver *drv, char *err, size_t errlen);
void lv_events_detach(struct driver *drv);
int lv_set_events(struct driver *drv, const struct driver_events *ev, char *err, size_t errlen);

/* ---- xml.c: domain and network XML (libxml2) ---- */

/* Domain XML for cfg on a host offering caps; malloc'd in *xml. */
int lv_xml_domain_build(const struct vm_config *cfg, const struct lv_host_caps *caps, char **xml,
			char *err, size_t errlen);
/* The reverse: fields virtty knows from domain XML. */
int lv_xml_domain_parse(const char *xml, struct vm_config *out, char *err, size_t errlen);
/* xml with changes applied (vcpus, memory, display, NICs), malloc'd. */
int lv_xml_domain_apply(const char *xml, const struct vm_settings *changes, char **out,
			char *err, size_t errlen);
/* xml renamed to new_name, without UUID and MAC addresses (libvirt picks
 * new ones), malloc'd. */
int lv_xml_domain_rename(const char *xml, const char *new_name, char **out, char *err,
			 size_t errlen);
/* The host-side device names of the domain's disks and NICs (target
 * dev), for the per-device statistics calls; count in *n. */
struct lv_xml_dev {
	char target[64];               /* "vda", "vnet3" ("" if none) */
	char network[VM_NAME_MAX + 1]; /* NICs: source network (or bridge) */
	char mac[18];
};
int lv_xml_domain_devices(const char *xml, struct lv_xml_dev *disks, int *nr_disks,
			  struct lv_xml_dev *nics, int *nr_nics);

/* Arch and virt type from capabilities XML: x86_64 if offered, kvm
 * before qemu before anything else. */
int lv_xml_host_caps(const char *caps_xml, struct lv_host_caps *out, char *err, size_t errlen);
/* Does domain capabilities XML show firmware to boot a CD-ROM? If not,
 * why says why. */
bool lv_xml_domcaps_firmware(const char *domcaps_xml, const char *arch, char *why, size_t len);

int lv_xml_network_build(const struct net_config *cfg, char **xml, char *err, size_t errlen);
/* Mode, subnet, DHCP range, bridge of network XML (autostart: not in XML). */
int lv_xml_network_parse(const char *xml, struct net_config *out, char *err, size_t errlen);

/* ---- networks.c ---- */

int lv_net_list(struct driver *drv, struct net_info **out, int *count, char *err, size_t errlen);
int lv_net_get_config(struct driver *drv, const char *name, struct net_config *out, char *err,
		      size_t errlen);
int lv_net_define(struct driver *drv, const struct net_config *cfg, char *err, size_t errlen);
int lv_net_undefine(struct driver *drv, const char *name, char *err, size_t errlen);
int lv_net_start(struct driver *drv, const char *name, char *err, size_t errlen);
int lv_net_stop(struct driver *drv, const char *name, char *err, size_t errlen);
int lv_net_set_autostart(struct driver *drv, const char *name, bool autostart, char *err,
			 size_t errlen);
int lv_net_forward(struct driver *drv, const char *name, const struct net_forward *fwd, bool add,
		   char *err, size_t errlen);

/* ---- stream.c (helper L2): consoles and VNC over the connection ---- */

/* The VM's serial console through virDomainOpenConsole and a virStream,
 * as a connected socket. */
int lv_console_open(struct driver *drv, const char *name, int *fd, char *err, size_t errlen);
/* The VM's VNC server (from its <graphics type='vnc'> element), tunnelled
 * over SSH for qemu+ssh:// URIs, as a connected socket. */
int lv_vnc_open(struct driver *drv, const char *name, int *fd, char *err, size_t errlen);

#endif
