/* The libvirt driver's VMs: list and info, define (domain XML from a
 * vm_config), lifecycle, settings, clone, save/restore, undefine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt_priv.h"

enum vm_state lv_state_from_virt(int vir_state)
{
	switch (vir_state) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		return VM_STATE_RUNNING;
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		return VM_STATE_PAUSED;
	case VIR_DOMAIN_SHUTDOWN:
		return VM_STATE_SHUTTING_DOWN;
	case VIR_DOMAIN_SHUTOFF:
		return VM_STATE_SHUTOFF;
	case VIR_DOMAIN_CRASHED:
		return VM_STATE_CRASHED;
	default:
		return VM_STATE_UNKNOWN;
	}
}

int lv_host_caps_probe(struct driver *drv, struct lv_host_caps *caps, char *err, size_t errlen)
{
	virConnectPtr conn = lv_priv(drv)->conn;
	const char *forced = getenv("VIRTTY_LIBVIRT_DOMAIN_TYPE");
	char *xml = virConnectGetCapabilities(conn), *dxml;
	char msg[256];
	int r;

	if (!xml)
		return lv_error(err, errlen, "%s: cannot read the host's capabilities", drv->uri);
	r = lv_xml_host_caps(xml, caps, msg, sizeof(msg));
	free(xml);
	if (r) {
		snprintf(err, errlen, "%s: %s", drv->uri, msg);
		return r;
	}
	/* Hosts whose /dev/kvm is too slow or broken for real guests: the
	 * user (or a test) may insist on TCG. */
	if (forced && *forced)
		snprintf(caps->virt_type, sizeof(caps->virt_type), "%s", forced);
	dxml = virConnectGetDomainCapabilities(conn, NULL, caps->arch, NULL, caps->virt_type, 0);
	if (!dxml) {
		snprintf(caps->firmware_why, sizeof(caps->firmware_why),
			 "%.60s does not say whether it has any (%.150s)", drv->uri,
			 virGetLastErrorMessage());
		caps->firmware = false;
		return 0;
	}
	caps->firmware = lv_xml_domcaps_firmware(dxml, caps->arch, caps->firmware_why,
						 sizeof(caps->firmware_why));
	free(dxml);
	return 0;
}

/* ---- list and info ---- */

/* The live and the persistent definition differ in what virtty shows:
 * a change waits for the next start. */
static bool lv_pending_changes(virDomainPtr dom)
{
	char *live = virDomainGetXMLDesc(dom, 0);
	char *saved = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	struct vm_config *a = calloc(2, sizeof(*a));
	char e[256];
	bool differ = false;

	if (live && saved && a && !lv_xml_domain_parse(live, &a[0], e, sizeof(e)) &&
	    !lv_xml_domain_parse(saved, &a[1], e, sizeof(e))) {
		/* The live XML shows the VNC port autoport chose. */
		a[0].display.vnc_port = a[1].display.vnc_port;
		differ = memcmp(&a[0], &a[1], sizeof(a[0])) != 0;
	}
	free(a);
	free(live);
	free(saved);
	return differ;
}

static void lv_reason_text(int vir_state, int reason, char *buf, size_t len)
{
	buf[0] = '\0';
	if (vir_state == VIR_DOMAIN_CRASHED)
		snprintf(buf, len, "the guest crashed");
	else if (vir_state == VIR_DOMAIN_SHUTOFF && reason == VIR_DOMAIN_SHUTOFF_CRASHED)
		snprintf(buf, len, "the last run crashed");
	else if (vir_state == VIR_DOMAIN_SHUTOFF && reason == VIR_DOMAIN_SHUTOFF_FAILED)
		snprintf(buf, len, "failed to start");
	else if (vir_state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_IOERROR)
		snprintf(buf, len, "paused on a disk I/O error");
	else if (vir_state == VIR_DOMAIN_NOSTATE)
		snprintf(buf, len, "the host does not know its state");
}

static int lv_fill_info(struct driver *drv, virDomainPtr dom, struct vm_info *out, char *err,
			size_t errlen)
{
	virDomainInfo di;
	int vir_state, reason;
	const char *name = virDomainGetName(dom);

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	if (virDomainGetState(dom, &vir_state, &reason, 0) < 0 || virDomainGetInfo(dom, &di) < 0)
		return lv_error(err, errlen, "VM '%s' on %s", out->name, drv->uri);
	out->state = lv_state_from_virt(vir_state);
	out->vcpus = di.nrVirtCpu;
	out->memory_mib = (di.memory ? di.memory : di.maxMem) / 1024;
	/* libvirt reports no uptime and, remotely, no pid worth showing. */
	lv_reason_text(vir_state, reason, out->reason, sizeof(out->reason));
	if (virDomainIsActive(dom) == 1 && virDomainIsPersistent(dom) == 1)
		out->pending_changes = lv_pending_changes(dom);
	return 0;
}

int lv_list(struct driver *drv, struct vm_info **out, int *count, char *err, size_t errlen)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(lv_priv(drv)->conn, &doms, 0), kept = 0;
	struct vm_info *infos;

	*out = NULL;
	*count = 0;
	if (n < 0)
		return lv_error(err, errlen, "%s: cannot list VMs", drv->uri);
	infos = calloc(n ? (size_t)n : 1, sizeof(*infos));
	for (int i = 0; i < n; i++) {
		char e[256];

		/* A VM undefined between the listing and the query is just gone. */
		if (infos && lv_fill_info(drv, doms[i], &infos[kept], e, sizeof(e)) == 0)
			kept++;
		virDomainFree(doms[i]);
	}
	free(doms);
	if (!infos) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*out = infos;
	*count = kept;
	return 0;
}

int lv_info(struct driver *drv, const char *name, struct vm_info *out, char *err, size_t errlen)
{
	int r;
	virDomainPtr dom = lv_domain_lookup(drv, name, &r, err, errlen);

	if (!dom)
		return r;
	r = lv_fill_info(drv, dom, out, err, errlen);
	virDomainFree(dom);
	return r;
}

static int lv_domain_xml(struct driver *drv, virDomainPtr dom, unsigned flags, char **xml,
			 char *err, size_t errlen)
{
	*xml = virDomainGetXMLDesc(dom, flags);
	if (!*xml)
		return lv_error(err, errlen, "VM '%s' on %s: cannot read its definition",
				virDomainGetName(dom), drv->uri);
	return 0;
}

int lv_get_config(struct driver *drv, const char *name, struct vm_config *out, char *err,
		  size_t errlen)
{
	char *xml;
	int r;
	virDomainPtr dom = lv_domain_lookup(drv, name, &r, err, errlen);

	if (!dom)
		return r;
	r = lv_domain_xml(drv, dom, VIR_DOMAIN_XML_INACTIVE, &xml, err, errlen);
	if (!r) {
		r = lv_xml_domain_parse(xml, out, err, errlen);
		free(xml);
	}
	virDomainFree(dom);
	return r;
}

/* ---- define ---- */

/* The pool new disks go to: "default", else the first active pool. */
static virStoragePoolPtr lv_pool(struct driver *drv, char *err, size_t errlen)
{
	virConnectPtr conn = lv_priv(drv)->conn;
	virStoragePoolPtr pool = virStoragePoolLookupByName(conn, "default"), *pools = NULL;
	int n;

	if (pool)
		return pool;
	n = virConnectListAllStoragePools(conn, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
	for (int i = 0; i < n; i++) {
		if (!pool)
			pool = pools[i];
		else
			virStoragePoolFree(pools[i]);
	}
	free(pools);
	if (!pool)
		snprintf(err, errlen,
			 "%s has no active storage pool for new disks; define one "
			 "(virsh pool-define-as default dir --target /var/lib/libvirt/images) "
			 "or give existing images",
			 drv->uri);
	return pool;
}

/* Create new_disks[i] as volumes NAME-diskN.qcow2; their paths go into
 * cfg (after the existing images). */
static int lv_create_disks(struct driver *drv, struct vm_config *cfg,
			   const struct vm_new_disk *new_disks, int nr, const struct progress *pg,
			   char *err, size_t errlen)
{
	virStoragePoolPtr pool;
	uint64_t total = 0, done = 0;
	int r = 0;

	if (nr <= 0)
		return 0;
	if (cfg->nr_disks + nr > VM_MAX_DISKS) {
		snprintf(err, errlen, "VM '%s': at most %d disks", cfg->name, VM_MAX_DISKS);
		return -EINVAL;
	}
	pool = lv_pool(drv, err, errlen);
	if (!pool)
		return -ENOENT;
	for (int i = 0; i < nr; i++)
		total += new_disks[i].size_bytes;
	for (int i = 0; i < nr && !r; i++) {
		char xml[512], *path;
		virStorageVolPtr vol;
		struct vm_disk *d = &cfg->disks[cfg->nr_disks];

		if (pg && pg->fn && pg->fn(pg->opaque, done, total)) {
			snprintf(err, errlen, "VM '%s': disk creation cancelled", cfg->name);
			r = -ECANCELED;
			break;
		}
		snprintf(xml, sizeof(xml),
			 "<volume><name>%s-disk%d.qcow2</name><capacity unit='bytes'>%llu</capacity>"
			 "<target><format type='qcow2'/></target></volume>",
			 cfg->name, cfg->nr_disks + 1, (unsigned long long)new_disks[i].size_bytes);
		vol = virStorageVolCreateXML(pool, xml, 0);
		if (!vol) {
			r = lv_error(err, errlen, "VM '%s': cannot create disk %d on %s", cfg->name,
				     cfg->nr_disks + 1, drv->uri);
			break;
		}
		path = virStorageVolGetPath(vol);
		snprintf(d->path, sizeof(d->path), "%s", path ? path : "");
		free(path);
		virStorageVolFree(vol);
		snprintf(d->format, sizeof(d->format), "qcow2");
		d->readonly = new_disks[i].readonly;
		d->size_bytes = new_disks[i].size_bytes;
		cfg->nr_disks++;
		done += new_disks[i].size_bytes;
	}
	if (!r && pg && pg->fn)
		pg->fn(pg->opaque, total, total);
	virStoragePoolFree(pool);
	return r;
}

static int lv_build(struct driver *drv, const struct vm_config *cfg, char **xml, char *err,
		    size_t errlen)
{
	struct lv_host_caps caps;
	int r = lv_host_caps_probe(drv, &caps, err, errlen);

	if (r)
		return r;
	return lv_xml_domain_build(cfg, &caps, xml, err, errlen);
}

int lv_define_preview(struct driver *drv, const struct vm_config *cfg,
		      const struct vm_new_disk *new_disks, int nr_new_disks, char **text, char *err,
		      size_t errlen)
{
	struct vm_config *copy = malloc(sizeof(*copy));
	int r;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*copy = *cfg;
	/* Placeholders for the volumes define would create. */
	for (int i = 0; i < nr_new_disks && copy->nr_disks < VM_MAX_DISKS; i++) {
		struct vm_disk *d = &copy->disks[copy->nr_disks++];

		memset(d, 0, sizeof(*d));
		snprintf(d->path, sizeof(d->path), "(new %llu-byte volume %s-disk%d.qcow2)",
			 (unsigned long long)new_disks[i].size_bytes, cfg->name, copy->nr_disks);
		snprintf(d->format, sizeof(d->format), "qcow2");
		d->readonly = new_disks[i].readonly;
	}
	r = lv_build(drv, copy, text, err, errlen);
	free(copy);
	return r;
}

int lv_define(struct driver *drv, const struct vm_config *cfg, const struct vm_new_disk *new_disks,
	      int nr_new_disks, const struct progress *progress, char *err, size_t errlen)
{
	struct vm_config *copy;
	virDomainPtr dom;
	char *xml = NULL;
	int r;

	if (!vm_name_valid(cfg->name, err, errlen))
		return -EINVAL;
	dom = virDomainLookupByName(lv_priv(drv)->conn, cfg->name);
	if (dom) {
		virDomainFree(dom);
		snprintf(err, errlen, "VM '%s' already exists on %s; pick another name", cfg->name,
			 drv->uri);
		return -EEXIST;
	}
	copy = malloc(sizeof(*copy));
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*copy = *cfg;
	/* Check the XML can be built before creating any volume. */
	r = lv_build(drv, copy, &xml, err, errlen);
	free(xml);
	xml = NULL;
	if (!r)
		r = lv_create_disks(drv, copy, new_disks, nr_new_disks, progress, err, errlen);
	if (!r)
		r = lv_build(drv, copy, &xml, err, errlen);
	if (!r) {
		dom = virDomainDefineXML(lv_priv(drv)->conn, xml);
		if (!dom)
			r = lv_error(err, errlen, "VM '%s': %s refused the definition", cfg->name,
				     drv->uri);
		else
			virDomainFree(dom);
	}
	free(xml);
	free(copy);
	return r;
}

/* ---- lifecycle ---- */

/* Look name up, check its state, run op; "VM 'x' is already running"
 * beats libvirt's "domain is already running". */
enum lv_need { LV_ANY, LV_ACTIVE, LV_INACTIVE, LV_RUNNING, LV_PAUSED };

static int lv_check_state(struct driver *drv, virDomainPtr dom, const char *name,
			  enum lv_need need, char *err, size_t errlen)
{
	int vir_state, reason;
	enum vm_state st;

	if (need == LV_ANY)
		return 0;
	if (virDomainGetState(dom, &vir_state, &reason, 0) < 0)
		return lv_error(err, errlen, "VM '%s' on %s", name, drv->uri);
	st = lv_state_from_virt(vir_state);
	if (need == LV_INACTIVE && virDomainIsActive(dom) == 1) {
		snprintf(err, errlen, "VM '%s' is already %s", name, vm_state_name(st));
		return -EBUSY;
	}
	if ((need == LV_ACTIVE || need == LV_RUNNING || need == LV_PAUSED) &&
	    virDomainIsActive(dom) != 1) {
		snprintf(err, errlen, "VM '%s' is not running; use 'virtty start %s'", name, name);
		return -ESRCH;
	}
	if (need == LV_RUNNING && st == VM_STATE_PAUSED) {
		snprintf(err, errlen, "VM '%s' is paused; use 'virtty resume %s'", name, name);
		return -EBUSY;
	}
	if (need == LV_PAUSED && st != VM_STATE_PAUSED) {
		snprintf(err, errlen, "VM '%s' is not paused (%s)", name, vm_state_name(st));
		return -EBUSY;
	}
	return 0;
}

static int lv_lifecycle(struct driver *drv, const char *name, enum lv_need need,
			int (*op)(virDomainPtr), const char *what, char *err, size_t errlen)
{
	int r;
	virDomainPtr dom = lv_domain_lookup(drv, name, &r, err, errlen);

	if (!dom)
		return r;
	r = lv_check_state(drv, dom, name, need, err, errlen);
	if (!r && op(dom) < 0)
		r = lv_error(err, errlen, "cannot %s VM '%s' on %s", what, name, drv->uri);
	virDomainFree(dom);
	return r;
}

static int lv_op_reboot(virDomainPtr dom)
{
	return virDomainReboot(dom, 0);
}

int lv_start(struct driver *drv, const char *name, char *err, size_t errlen)
{
	return lv_lifecycle(drv, name, LV_INACTIVE, virDomainCreate, "start", err, errlen);
}

int lv_shutdown(struct driver *drv, const char *name, char *err, size_t errlen)
{
	return lv_lifecycle(drv, name, LV_ACTIVE, virDomainShutdown, "shut down", err, errlen);
}

int lv_destroy(struct driver *drv, const char *name, char *err, size_t errlen)
{
	return lv_lifecycle(drv, name, LV_ACTIVE, virDomainDestroy, "force off", err, errlen);
}

int lv_reboot(struct driver *drv, const char *name, char *err, size_t errlen)
{
	return lv_lifecycle(drv, name, LV_RUNNING, lv_op_reboot, "reboot", err, errlen);
}

int lv_pause(struct driver *drv, const char *name, char *err, size_t errlen)
{
	return lv_lifecycle(drv, name, LV_RUNNING, virDomainSuspend, "pause", err, errlen);
}

int lv_resume(struct driver *drv, const char *name, char *err, size_t errlen)
{
	return lv_lifecycle(drv, name, LV_PAUSED, virDomainResume, "resume", err, errlen);
}

/* ---- undefine ---- */

/* Delete the images that are volumes of a storage pool; others are left
 * alone and named in the note (a remote path is not ours to unlink). */
static void lv_remove_disks(struct driver *drv, const struct vm_config *cfg, char *note,
			    size_t len)
{
	size_t used = 0;

	for (int i = 0; i < cfg->nr_disks; i++) {
		virStorageVolPtr vol = virStorageVolLookupByPath(lv_priv(drv)->conn,
								 cfg->disks[i].path);

		if (vol && virStorageVolDelete(vol, 0) == 0) {
			virStorageVolFree(vol);
			continue;
		}
		if (vol)
			virStorageVolFree(vol);
		if (used < len)
			used += (size_t)snprintf(note + used, len - used, "%s%s",
						 used ? ", " : "disks left in place (not in a storage pool): ",
						 cfg->disks[i].path);
	}
}

int lv_undefine(struct driver *drv, const char *name, unsigned flags, char *err, size_t errlen)
{
	/* Leave nothing behind that would stop a later define of the name. */
	static const unsigned all = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
				    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
				    VIR_DOMAIN_UNDEFINE_NVRAM |
				    VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
	struct vm_config *cfg = NULL;
	int r;
	virDomainPtr dom = lv_domain_lookup(drv, name, &r, err, errlen);

	if (!dom)
		return r;
	r = lv_check_state(drv, dom, name, LV_INACTIVE, err, errlen);
	if (r == -EBUSY)
		snprintf(err, errlen, "VM '%s' is running; use 'virtty destroy %s' first", name,
			 name);
	if (!r && (flags & DRIVER_UNDEFINE_REMOVE_DISKS)) {
		cfg = calloc(1, sizeof(*cfg));
		r = cfg ? lv_get_config(drv, name, cfg, err, errlen) : -ENOMEM;
	}
	if (!r && virDomainUndefineFlags(dom, all) < 0) {
		virErrorPtr e = virGetLastError();

		/* Drivers without NVRAM or checkpoints (test://) refuse those flags. */
		if (!e || (e->code != VIR_ERR_INVALID_ARG && e->code != VIR_ERR_NO_SUPPORT) ||
		    virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
							VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) < 0)
			r = lv_error(err, errlen, "cannot undefine VM '%s' on %s", name, drv->uri);
	}
	if (!r)
		err[0] = '\0';
	if (!r && cfg)
		lv_remove_disks(drv, cfg, err, errlen);
	free(cfg);
	virDomainFree(dom);
	return r;
}

/* ---- set, clone ---- */

int lv_set(struct driver *drv, const char *name, const struct vm_settings *changes,
	   bool *at_next_start, char *err, size_t errlen)
{
	char *xml = NULL, *edited = NULL;
	virDomainPtr def;
	int r;
	virDomainPtr dom = lv_domain_lookup(drv, name, &r, err, errlen);

	if (!dom)
		return r;
	if (changes->vcpus < 0 || changes->nr_nics < 0 || changes->nr_nics > VM_MAX_NICS) {
		snprintf(err, errlen, "VM '%s': invalid settings", name);
		r = -EINVAL;
	}
	for (int i = 0; !r && changes->set_nics && i < changes->nr_nics; i++)
		if (!changes->nics[i].network[0]) {
			snprintf(err, errlen, "VM '%s': NIC %d names no network", name, i + 1);
			r = -EINVAL;
		}
	if (!r)
		r = lv_domain_xml(drv, dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, &xml,
				  err, errlen);
	if (!r)
		r = lv_xml_domain_apply(xml, changes, &edited, err, errlen);
	if (!r) {
		def = virDomainDefineXML(lv_priv(drv)->conn, edited);
		if (!def)
			r = lv_error(err, errlen, "VM '%s': %s refused the changes", name, drv->uri);
		else
			virDomainFree(def);
	}
	if (at_next_start)
		*at_next_start = !r && virDomainIsActive(dom) == 1;
	free(xml);
	free(edited);
	virDomainFree(dom);
	return r;
}

int lv_clone(struct driver *drv, const char *name, const char *new_name,
	     const struct progress *progress, char *err, size_t errlen)
{
	struct vm_config *cfg = calloc(1, sizeof(*cfg));
	char *xml = NULL, *renamed = NULL;
	virDomainPtr dom = NULL, def;
	int r;

	(void)progress;
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!vm_name_valid(new_name, err, errlen)) {
		free(cfg);
		return -EINVAL;
	}
	dom = lv_domain_lookup(drv, name, &r, err, errlen);
	if (dom)
		r = lv_domain_xml(drv, dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, &xml, err,
				  errlen);
	if (!r)
		r = lv_xml_domain_parse(xml, cfg, err, errlen);
	/* Copying images needs storage-pool work (virt-clone does it):
	 * only disk-less definitions are cloned here. */
	if (!r && cfg->nr_disks > 0) {
		snprintf(err, errlen,
			 "VM '%s' has disks: cloning disks on libvirt hosts is not supported yet; "
			 "use virt-clone on the host",
			 name);
		r = -ENOTSUP;
	}
	if (!r)
		r = lv_xml_domain_rename(xml, new_name, &renamed, err, errlen);
	if (!r) {
		def = virDomainDefineXML(lv_priv(drv)->conn, renamed);
		if (!def)
			r = lv_error(err, errlen, "cannot clone VM '%s' as '%s' on %s", name, new_name,
				     drv->uri);
		else
			virDomainFree(def);
	}
	free(renamed);
	free(xml);
	free(cfg);
	if (dom)
		virDomainFree(dom);
	return r;
}

/* ---- save, restore, console dump ---- */

int lv_save(struct driver *drv, const char *name, const char *path, char *err, size_t errlen)
{
	int r;
	virDomainPtr dom;

	if (!path || path[0] != '/') {
		snprintf(err, errlen, "VM '%s': save needs an absolute path on the host", name);
		return -EINVAL;
	}
	dom = lv_domain_lookup(drv, name, &r, err, errlen);
	if (!dom)
		return r;
	r = lv_check_state(drv, dom, name, LV_ACTIVE, err, errlen);
	if (!r && virDomainSave(dom, path) < 0)
		r = lv_error(err, errlen, "cannot save VM '%s' to %s on %s", name, path, drv->uri);
	virDomainFree(dom);
	return r;
}

int lv_restore(struct driver *drv, const char *path, char *err, size_t errlen)
{
	if (!path || path[0] != '/') {
		snprintf(err, errlen, "restore needs the absolute path of a saved VM on the host");
		return -EINVAL;
	}
	if (virDomainRestore(lv_priv(drv)->conn, path) < 0)
		return lv_error(err, errlen, "cannot restore a VM from %s on %s", path, drv->uri);
	return 0;
}

int lv_console_dump(struct driver *drv, const char *name, char **buf, size_t *len, char *err,
		    size_t errlen)
{
	(void)drv;
	*buf = NULL;
	*len = 0;
	snprintf(err, errlen,
		 "VM '%s': libvirt keeps no serial output history; use 'virtty console %s'", name,
		 name);
	return -ENOTSUP;
}
