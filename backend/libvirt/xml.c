/* Domain and network XML for libvirt, both ways, with libxml2: built as a
 * tree (so every text and attribute is escaped by libxml2) and read back
 * with XPath. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "libvirt_priv.h"
#include "net/netcfg.h"

/* ---- small helpers ---- */

static xmlNodePtr lv_child(xmlNodePtr parent, const char *name, const char *text)
{
	/* xmlNewTextChild escapes text; xmlNewChild would not. */
	return xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST text);
}

static void lv_prop(xmlNodePtr node, const char *name, const char *value)
{
	xmlSetProp(node, BAD_CAST name, BAD_CAST value);
}

static void lv_prop_int(xmlNodePtr node, const char *name, long long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", value);
	lv_prop(node, name, buf);
}

static int lv_doc_dump(xmlDocPtr doc, char **out, char *err, size_t errlen)
{
	/* The root element only: libvirt does not want an XML declaration. */
	xmlBufferPtr buf = xmlBufferCreate();

	if (!buf || xmlNodeDump(buf, doc, xmlDocGetRootElement(doc), 0, 1) < 0) {
		xmlBufferFree(buf);
		snprintf(err, errlen, "cannot write XML: out of memory");
		return -ENOMEM;
	}
	*out = malloc((size_t)xmlBufferLength(buf) + 2);
	if (!*out) {
		xmlBufferFree(buf);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(*out, xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
	(*out)[xmlBufferLength(buf)] = '\n';
	(*out)[xmlBufferLength(buf) + 1] = '\0';
	xmlBufferFree(buf);
	return 0;
}

static xmlDocPtr lv_doc_read(const char *xml, const char *what, char *err, size_t errlen)
{
	xmlDocPtr doc;

	if (!xml) {
		snprintf(err, errlen, "%s: no XML", what);
		return NULL;
	}
	doc = xmlReadMemory(xml, (int)strlen(xml), "libvirt.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || !xmlDocGetRootElement(doc)) {
		const xmlError *e = xmlGetLastError();

		snprintf(err, errlen, "%s: malformed XML%s%s", what, e && e->message ? ": " : "",
			 e && e->message ? e->message : "");
		/* libxml2 messages end with a newline. */
		if (err && errlen && strlen(err) && err[strlen(err) - 1] == '\n')
			err[strlen(err) - 1] = '\0';
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

/* The nodes matching expr under node (NULL: the document). Caller frees
 * with xmlXPathFreeObject. */
static xmlXPathObjectPtr lv_xpath(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr)
{
	ctx->node = node ? node : xmlDocGetRootElement(ctx->doc);
	return xmlXPathEvalExpression(BAD_CAST expr, ctx);
}

static int lv_xpath_count(xmlXPathObjectPtr obj)
{
	return obj && obj->nodesetval ? obj->nodesetval->nodeNr : 0;
}

/* The string value of expr (text of an element, value of an attribute),
 * "" when absent; false when absent. */
static bool lv_xpath_str(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr, char *buf,
			 size_t len)
{
	xmlXPathObjectPtr obj = lv_xpath(ctx, node, expr);
	bool found = lv_xpath_count(obj) > 0;

	if (len)
		buf[0] = '\0';
	if (found) {
		xmlChar *s = xmlNodeGetContent(obj->nodesetval->nodeTab[0]);

		snprintf(buf, len, "%s", s ? (const char *)s : "");
		xmlFree(s);
	}
	xmlXPathFreeObject(obj);
	return found;
}

static bool lv_xpath_u64(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr, uint64_t *out)
{
	char buf[64], *end;

	if (!lv_xpath_str(ctx, node, expr, buf, sizeof(buf)) || !buf[0])
		return false;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return errno == 0 && *end == '\0';
}

/* libvirt memory units ("KiB" when absent) -> bytes per unit. */
static uint64_t lv_unit_scale(const char *unit)
{
	static const struct {
		const char *name;
		uint64_t scale;
	} units[] = {
		{ "b", 1 },		   { "bytes", 1 },	      { "KB", 1000 },
		{ "k", 1024 },		   { "KiB", 1024 },	      { "MB", 1000000 },
		{ "M", 1 << 20 },	   { "MiB", 1 << 20 },	      { "GB", 1000000000ULL },
		{ "G", 1ULL << 30 },	   { "GiB", 1ULL << 30 },     { "TB", 1000000000000ULL },
		{ "T", 1ULL << 40 },	   { "TiB", 1ULL << 40 },
	};

	if (!unit || !*unit)
		return 1024;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(unit, units[i].name) == 0)
			return units[i].scale;
	return 0;
}

/* ---- domain XML: building ---- */

static void lv_build_disk(xmlNodePtr devices, const struct vm_disk *d, int index)
{
	xmlNodePtr disk = lv_child(devices, "disk", NULL), n;
	char dev[16];

	lv_prop(disk, "type", "file");
	lv_prop(disk, "device", "disk");
	n = lv_child(disk, "driver", NULL);
	lv_prop(n, "name", "qemu");
	lv_prop(n, "type", d->format[0] ? d->format : "raw");
	n = lv_child(disk, "source", NULL);
	lv_prop(n, "file", d->path);
	/* vda..vdz: virtio-blk names in the guest follow the order. */
	snprintf(dev, sizeof(dev), "vd%c", 'a' + index);
	n = lv_child(disk, "target", NULL);
	lv_prop(n, "dev", dev);
	lv_prop(n, "bus", "virtio");
	if (d->readonly)
		lv_child(disk, "readonly", NULL);
}

static void lv_build_cdrom(xmlNodePtr devices, const char *iso)
{
	xmlNodePtr disk = lv_child(devices, "disk", NULL), n;

	lv_prop(disk, "type", "file");
	lv_prop(disk, "device", "cdrom");
	n = lv_child(disk, "driver", NULL);
	lv_prop(n, "name", "qemu");
	lv_prop(n, "type", "raw");
	n = lv_child(disk, "source", NULL);
	lv_prop(n, "file", iso);
	/* SATA: both i440fx (libvirt adds an AHCI controller) and q35 have it. */
	n = lv_child(disk, "target", NULL);
	lv_prop(n, "dev", "sda");
	lv_prop(n, "bus", "sata");
	lv_child(disk, "readonly", NULL);
	n = lv_child(disk, "boot", NULL);
	lv_prop(n, "order", "1");
}

static void lv_build_nic(xmlNodePtr devices, const struct vm_nic *nic)
{
	xmlNodePtr iface = lv_child(devices, "interface", NULL), n;

	lv_prop(iface, "type", "network");
	/* No MAC: libvirt picks one and keeps it in the definition. */
	if (nic->mac[0]) {
		n = lv_child(iface, "mac", NULL);
		lv_prop(n, "address", nic->mac);
	}
	n = lv_child(iface, "source", NULL);
	lv_prop(n, "network", nic->network);
	n = lv_child(iface, "model", NULL);
	lv_prop(n, "type", "virtio");
}

static void lv_build_display(xmlNodePtr devices, const struct vm_display *disp)
{
	xmlNodePtr g = lv_child(devices, "graphics", NULL), n, model;

	lv_prop(g, "type", "vnc");
	if (disp->vnc_port > 0) {
		lv_prop_int(g, "port", disp->vnc_port);
		lv_prop(g, "autoport", "no");
	} else {
		lv_prop(g, "port", "-1");
		lv_prop(g, "autoport", "yes");
	}
	/* Only local clients (or an SSH tunnel) reach the screen. */
	lv_prop(g, "listen", "127.0.0.1");
	n = lv_child(g, "listen", NULL);
	lv_prop(n, "type", "address");
	lv_prop(n, "address", "127.0.0.1");

	n = lv_child(devices, "video", NULL);
	model = lv_child(n, "model", NULL);
	lv_prop(model, "type", "vga");
	lv_prop(model, "vram", "16384");
	lv_prop(model, "heads", "1");
	if (disp->width > 0 && disp->height > 0 &&
	    (disp->width != VM_DISPLAY_DEFAULT_WIDTH || disp->height != VM_DISPLAY_DEFAULT_HEIGHT)) {
		n = lv_child(model, "resolution", NULL);
		lv_prop_int(n, "x", disp->width);
		lv_prop_int(n, "y", disp->height);
	}
}

static void lv_build_serial(xmlNodePtr devices)
{
	xmlNodePtr n = lv_child(devices, "serial", NULL), t;

	lv_prop(n, "type", "pty");
	t = lv_child(n, "target", NULL);
	lv_prop(t, "port", "0");
	n = lv_child(devices, "console", NULL);
	lv_prop(n, "type", "pty");
	t = lv_child(n, "target", NULL);
	lv_prop(t, "type", "serial");
	lv_prop(t, "port", "0");
}

static int lv_domain_check(const struct vm_config *cfg, const struct lv_host_caps *caps,
			   char *err, size_t errlen)
{
	if (!cfg->name[0]) {
		snprintf(err, errlen, "a VM needs a name");
		return -EINVAL;
	}
	if (cfg->vcpus < 1 || cfg->memory_mib < 1) {
		snprintf(err, errlen, "VM '%s': give at least 1 vCPU and 1 MiB of memory", cfg->name);
		return -EINVAL;
	}
	if (cfg->nr_disks < 0 || cfg->nr_disks > VM_MAX_DISKS || cfg->nr_nics < 0 ||
	    cfg->nr_nics > VM_MAX_NICS) {
		snprintf(err, errlen, "VM '%s': at most %d disks and %d NICs", cfg->name,
			 VM_MAX_DISKS, VM_MAX_NICS);
		return -EINVAL;
	}
	if (!cfg->kernel[0] && !cfg->cdrom[0] && cfg->nr_disks == 0) {
		snprintf(err, errlen, "VM '%s' has nothing to boot: give a kernel, an ISO or a disk",
			 cfg->name);
		return -EINVAL;
	}
	if (cfg->cdrom[0] && !caps->firmware) {
		snprintf(err, errlen,
			 "VM '%s': booting the ISO needs firmware (BIOS/UEFI) on the host, and %s; "
			 "boot a kernel directly instead",
			 cfg->name, caps->firmware_why[0] ? caps->firmware_why : "the host has none");
		return -ENOTSUP;
	}
	for (int i = 0; i < cfg->nr_nics; i++)
		if (!cfg->nics[i].network[0]) {
			snprintf(err, errlen, "VM '%s': NIC %d names no network", cfg->name, i + 1);
			return -EINVAL;
		}
	return 0;
}

int lv_xml_domain_build(const struct vm_config *cfg, const struct lv_host_caps *caps, char **xml,
			char *err, size_t errlen)
{
	xmlDocPtr doc;
	xmlNodePtr dom, os, n, devices;
	char num[32];
	int r;

	*xml = NULL;
	r = lv_domain_check(cfg, caps, err, errlen);
	if (r)
		return r;
	doc = xmlNewDoc(BAD_CAST "1.0");
	dom = xmlNewNode(NULL, BAD_CAST "domain");
	xmlDocSetRootElement(doc, dom);
	lv_prop(dom, "type", caps->virt_type[0] ? caps->virt_type : "qemu");
	lv_child(dom, "name", cfg->name);
	snprintf(num, sizeof(num), "%" PRIu64, cfg->memory_mib);
	n = lv_child(dom, "memory", num);
	lv_prop(n, "unit", "MiB");
	n = lv_child(dom, "currentMemory", num);
	lv_prop(n, "unit", "MiB");
	snprintf(num, sizeof(num), "%d", cfg->vcpus);
	lv_child(dom, "vcpu", num);

	os = lv_child(dom, "os", NULL);
	n = lv_child(os, "type", "hvm");
	if (caps->arch[0])
		lv_prop(n, "arch", caps->arch);
	if (cfg->kernel[0]) {
		lv_child(os, "kernel", cfg->kernel);
		if (cfg->initrd[0])
			lv_child(os, "initrd", cfg->initrd);
		if (cfg->cmdline[0])
			lv_child(os, "cmdline", cfg->cmdline);
	}
	/* ACPI so that `shutdown` (an ACPI power button) reaches the guest. */
	n = lv_child(dom, "features", NULL);
	lv_child(n, "acpi", NULL);
	lv_child(n, "apic", NULL);
	lv_child(dom, "on_poweroff", "destroy");
	lv_child(dom, "on_reboot", "restart");
	lv_child(dom, "on_crash", "destroy");

	devices = lv_child(dom, "devices", NULL);
	for (int i = 0; i < cfg->nr_disks; i++) {
		lv_build_disk(devices, &cfg->disks[i], i);
		/* With a CD-ROM, boot order per device: the ISO, then the disks. */
		if (cfg->cdrom[0]) {
			xmlNodePtr boot = lv_child(devices->last, "boot", NULL);

			lv_prop_int(boot, "order", i + 2);
		}
	}
	if (cfg->cdrom[0])
		lv_build_cdrom(devices, cfg->cdrom);
	for (int i = 0; i < cfg->nr_nics; i++)
		lv_build_nic(devices, &cfg->nics[i]);
	lv_build_serial(devices);
	if (cfg->display.enabled)
		lv_build_display(devices, &cfg->display);
	/* The balloon reports guest memory figures to the statistics. */
	n = lv_child(devices, "memballoon", NULL);
	lv_prop(n, "model", "virtio");

	r = lv_doc_dump(doc, xml, err, errlen);
	xmlFreeDoc(doc);
	return r;
}

/* ---- domain XML: reading ---- */

static void lv_parse_memory(xmlXPathContextPtr ctx, struct vm_config *out)
{
	char unit[16];
	uint64_t value;

	if (!lv_xpath_u64(ctx, NULL, "/domain/memory", &value))
		return;
	lv_xpath_str(ctx, NULL, "/domain/memory/@unit", unit, sizeof(unit));
	out->memory_mib = value * lv_unit_scale(unit) / (1024 * 1024);
}

static void lv_parse_disks(xmlXPathContextPtr ctx, struct vm_config *out)
{
	xmlXPathObjectPtr obj = lv_xpath(ctx, NULL, "/domain/devices/disk");

	for (int i = 0; i < lv_xpath_count(obj); i++) {
		xmlNodePtr node = obj->nodesetval->nodeTab[i];
		char device[16], path[VM_PATH_MAX];

		lv_xpath_str(ctx, node, "@device", device, sizeof(device));
		/* A network disk has no file: virtty cannot describe it. */
		if (!lv_xpath_str(ctx, node, "source/@file", path, sizeof(path)) &&
		    !lv_xpath_str(ctx, node, "source/@dev", path, sizeof(path)))
			continue;
		if (strcmp(device, "cdrom") == 0) {
			snprintf(out->cdrom, sizeof(out->cdrom), "%s", path);
		} else if ((!device[0] || strcmp(device, "disk") == 0) &&
			   out->nr_disks < VM_MAX_DISKS) {
			struct vm_disk *d = &out->disks[out->nr_disks++];
			xmlXPathObjectPtr ro = lv_xpath(ctx, node, "readonly");

			snprintf(d->path, sizeof(d->path), "%s", path);
			d->readonly = lv_xpath_count(ro) > 0;
			xmlXPathFreeObject(ro);
			if (!lv_xpath_str(ctx, node, "driver/@type", d->format, sizeof(d->format)))
				snprintf(d->format, sizeof(d->format), "raw");
		}
	}
	xmlXPathFreeObject(obj);
}

static void lv_parse_nics(xmlXPathContextPtr ctx, struct vm_config *out)
{
	xmlXPathObjectPtr obj = lv_xpath(ctx, NULL, "/domain/devices/interface");

	for (int i = 0; i < lv_xpath_count(obj) && out->nr_nics < VM_MAX_NICS; i++) {
		xmlNodePtr node = obj->nodesetval->nodeTab[i];
		struct vm_nic *nic = &out->nics[out->nr_nics++];

		/* type='network' names a libvirt network; a bridge NIC its bridge. */
		if (!lv_xpath_str(ctx, node, "source/@network", nic->network, sizeof(nic->network)))
			lv_xpath_str(ctx, node, "source/@bridge", nic->network, sizeof(nic->network));
		lv_xpath_str(ctx, node, "mac/@address", nic->mac, sizeof(nic->mac));
	}
	xmlXPathFreeObject(obj);
}

static void lv_parse_display(xmlXPathContextPtr ctx, struct vm_config *out)
{
	char autoport[8];
	uint64_t v;

	if (!lv_xpath_str(ctx, NULL, "/domain/devices/graphics[@type='vnc']/@type", autoport,
			  sizeof(autoport)))
		return;
	out->display.enabled = true;
	out->display.width = VM_DISPLAY_DEFAULT_WIDTH;
	out->display.height = VM_DISPLAY_DEFAULT_HEIGHT;
	lv_xpath_str(ctx, NULL, "/domain/devices/graphics[@type='vnc']/@autoport", autoport,
		     sizeof(autoport));
	/* A running domain's live XML shows the port autoport chose: that
	 * is not a configured one. */
	if (strcmp(autoport, "yes") != 0 &&
	    lv_xpath_u64(ctx, NULL, "/domain/devices/graphics[@type='vnc']/@port", &v) && v > 0 &&
	    v < 65536)
		out->display.vnc_port = (int)v;
	if (lv_xpath_u64(ctx, NULL, "/domain/devices/video/model/resolution/@x", &v) && v > 0 &&
	    v < 65536)
		out->display.width = (int)v;
	if (lv_xpath_u64(ctx, NULL, "/domain/devices/video/model/resolution/@y", &v) && v > 0 &&
	    v < 65536)
		out->display.height = (int)v;
}

int lv_xml_domain_parse(const char *xml, struct vm_config *out, char *err, size_t errlen)
{
	xmlDocPtr doc = lv_doc_read(xml, "domain XML", err, errlen);
	xmlXPathContextPtr ctx;
	uint64_t v;

	if (!doc)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ctx = xmlXPathNewContext(doc);
	if (!lv_xpath_str(ctx, NULL, "/domain/name", out->name, sizeof(out->name))) {
		snprintf(err, errlen, "domain XML without <domain><name>");
		xmlXPathFreeContext(ctx);
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	if (lv_xpath_u64(ctx, NULL, "/domain/vcpu", &v) && v < 100000)
		out->vcpus = (int)v;
	lv_parse_memory(ctx, out);
	lv_xpath_str(ctx, NULL, "/domain/os/kernel", out->kernel, sizeof(out->kernel));
	lv_xpath_str(ctx, NULL, "/domain/os/initrd", out->initrd, sizeof(out->initrd));
	lv_xpath_str(ctx, NULL, "/domain/os/cmdline", out->cmdline, sizeof(out->cmdline));
	lv_parse_disks(ctx, out);
	lv_parse_nics(ctx, out);
	lv_parse_display(ctx, out);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return 0;
}

int lv_xml_domain_devices(const char *xml, struct lv_xml_dev *disks, int *nr_disks,
			  struct lv_xml_dev *nics, int *nr_nics)
{
	char err[256];
	xmlDocPtr doc = lv_doc_read(xml, "domain XML", err, sizeof(err));
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;
	int max_disks = *nr_disks, max_nics = *nr_nics;

	*nr_disks = *nr_nics = 0;
	if (!doc)
		return -EINVAL;
	ctx = xmlXPathNewContext(doc);
	obj = lv_xpath(ctx, NULL, "/domain/devices/disk[@device='disk' or not(@device)]");
	for (int i = 0; i < lv_xpath_count(obj) && *nr_disks < max_disks; i++) {
		struct lv_xml_dev *d = &disks[(*nr_disks)++];

		memset(d, 0, sizeof(*d));
		lv_xpath_str(ctx, obj->nodesetval->nodeTab[i], "target/@dev", d->target,
			     sizeof(d->target));
	}
	xmlXPathFreeObject(obj);
	obj = lv_xpath(ctx, NULL, "/domain/devices/interface");
	for (int i = 0; i < lv_xpath_count(obj) && *nr_nics < max_nics; i++) {
		xmlNodePtr node = obj->nodesetval->nodeTab[i];
		struct lv_xml_dev *d = &nics[(*nr_nics)++];

		memset(d, 0, sizeof(*d));
		lv_xpath_str(ctx, node, "target/@dev", d->target, sizeof(d->target));
		if (!lv_xpath_str(ctx, node, "source/@network", d->network, sizeof(d->network)))
			lv_xpath_str(ctx, node, "source/@bridge", d->network, sizeof(d->network));
		lv_xpath_str(ctx, node, "mac/@address", d->mac, sizeof(d->mac));
	}
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return 0;
}

/* ---- domain XML: editing ---- */

static xmlNodePtr lv_first(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr obj = lv_xpath(ctx, NULL, expr);
	xmlNodePtr node = lv_xpath_count(obj) ? obj->nodesetval->nodeTab[0] : NULL;

	xmlXPathFreeObject(obj);
	return node;
}

static void lv_remove_all(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr obj = lv_xpath(ctx, NULL, expr);

	for (int i = 0; i < lv_xpath_count(obj); i++) {
		xmlUnlinkNode(obj->nodesetval->nodeTab[i]);
		xmlFreeNode(obj->nodesetval->nodeTab[i]);
		/* Freed: keep XPath from touching it when freeing the set. */
		obj->nodesetval->nodeTab[i] = NULL;
	}
	xmlXPathFreeObject(obj);
}

/* Set the text of the element expr finds, or create it under parent. */
static xmlNodePtr lv_set_text(xmlXPathContextPtr ctx, const char *expr, xmlNodePtr parent,
			      const char *name, const char *text)
{
	xmlNodePtr node = lv_first(ctx, expr);

	if (!node)
		return lv_child(parent, name, text);
	xmlNodeSetContent(node, NULL);
	xmlNodeAddContent(node, BAD_CAST text); /* escapes */
	return node;
}

static void lv_apply_nics(xmlXPathContextPtr ctx, xmlNodePtr devices,
			  const struct vm_settings *changes)
{
	struct vm_config old = { 0 };

	lv_parse_nics(ctx, &old);
	lv_remove_all(ctx, "/domain/devices/interface");
	for (int i = 0; i < changes->nr_nics && i < VM_MAX_NICS; i++) {
		struct vm_nic nic = changes->nics[i];

		if (!nic.mac[0] && i < old.nr_nics)
			snprintf(nic.mac, sizeof(nic.mac), "%s", old.nics[i].mac);
		lv_build_nic(devices, &nic);
	}
}

static void lv_apply_display(xmlXPathContextPtr ctx, xmlNodePtr devices,
			     const struct vm_settings *changes)
{
	struct vm_config old = { 0 };

	lv_parse_display(ctx, &old);
	if (changes->display == VM_SETTING_OFF) {
		lv_remove_all(ctx, "/domain/devices/graphics");
		lv_remove_all(ctx, "/domain/devices/video");
		return;
	}
	if (changes->display == VM_SETTING_KEEP && !old.display.enabled)
		return;
	if (!old.display.enabled) {
		old.display.enabled = true;
		old.display.width = VM_DISPLAY_DEFAULT_WIDTH;
		old.display.height = VM_DISPLAY_DEFAULT_HEIGHT;
	}
	if (changes->display_width > 0 && changes->display_height > 0) {
		old.display.width = changes->display_width;
		old.display.height = changes->display_height;
	}
	if (changes->set_vnc_port)
		old.display.vnc_port = changes->vnc_port;
	lv_remove_all(ctx, "/domain/devices/graphics[@type='vnc']");
	lv_remove_all(ctx, "/domain/devices/video");
	lv_build_display(devices, &old.display);
}

int lv_xml_domain_apply(const char *xml, const struct vm_settings *changes, char **out,
			char *err, size_t errlen)
{
	xmlDocPtr doc = lv_doc_read(xml, "domain XML", err, errlen);
	xmlXPathContextPtr ctx;
	xmlNodePtr root, devices;
	char num[32];
	int r;

	*out = NULL;
	if (!doc)
		return -EINVAL;
	ctx = xmlXPathNewContext(doc);
	root = xmlDocGetRootElement(doc);
	devices = lv_first(ctx, "/domain/devices");
	if (!devices)
		devices = lv_child(root, "devices", NULL);
	if (changes->vcpus > 0) {
		snprintf(num, sizeof(num), "%d", changes->vcpus);
		/* current= would cap the new count: drop it. */
		xmlUnsetProp(lv_set_text(ctx, "/domain/vcpu", root, "vcpu", num), BAD_CAST "current");
		lv_remove_all(ctx, "/domain/vcpus");
	}
	if (changes->memory_mib > 0) {
		snprintf(num, sizeof(num), "%" PRIu64, changes->memory_mib);
		lv_prop(lv_set_text(ctx, "/domain/memory", root, "memory", num), "unit", "MiB");
		lv_prop(lv_set_text(ctx, "/domain/currentMemory", root, "currentMemory", num),
			"unit", "MiB");
	}
	if (changes->display != VM_SETTING_KEEP || changes->display_width > 0 ||
	    changes->set_vnc_port)
		lv_apply_display(ctx, devices, changes);
	if (changes->set_nics)
		lv_apply_nics(ctx, devices, changes);
	r = lv_doc_dump(doc, out, err, errlen);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return r;
}

int lv_xml_domain_rename(const char *xml, const char *new_name, char **out, char *err,
			 size_t errlen)
{
	xmlDocPtr doc = lv_doc_read(xml, "domain XML", err, errlen);
	xmlXPathContextPtr ctx;
	int r;

	*out = NULL;
	if (!doc)
		return -EINVAL;
	ctx = xmlXPathNewContext(doc);
	lv_set_text(ctx, "/domain/name", xmlDocGetRootElement(doc), "name", new_name);
	/* libvirt generates a new UUID and new MACs for what is missing. */
	lv_remove_all(ctx, "/domain/uuid");
	lv_remove_all(ctx, "/domain/devices/interface/mac");
	lv_remove_all(ctx, "/domain/devices/interface/target");
	r = lv_doc_dump(doc, out, err, errlen);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return r;
}

/* ---- network XML ---- */

/* The host side of a routed/isolated network: address .1, DHCP range. */
static int lv_build_net_ip(xmlNodePtr net, const struct net_config *cfg, char *err, size_t errlen)
{
	struct ipv4_subnet s;
	uint32_t start, end;
	char addr[16], mask[16], from[16], to[16];
	xmlNodePtr ip, dhcp, range;
	int r = netcfg_parse_subnet(cfg->subnet, &s, err, errlen);

	if (r)
		return r;
	netcfg_format_addr(s.addr + 1, addr, sizeof(addr));
	netcfg_format_addr(netcfg_mask(s.prefix), mask, sizeof(mask));
	ip = lv_child(net, "ip", NULL);
	lv_prop(ip, "address", addr);
	lv_prop(ip, "netmask", mask);
	if (cfg->dhcp_start[0] && cfg->dhcp_end[0]) {
		snprintf(from, sizeof(from), "%s", cfg->dhcp_start);
		snprintf(to, sizeof(to), "%s", cfg->dhcp_end);
	} else if (cfg->mode == NET_MODE_HOSTONLY && !cfg->dhcp_start[0]) {
		/* hostonly: "" = no DHCP (as in the local driver). */
		return 0;
	} else {
		netcfg_default_dhcp(NET_MODE_HOSTONLY, &s, &start, &end);
		netcfg_format_addr(start, from, sizeof(from));
		netcfg_format_addr(end, to, sizeof(to));
	}
	dhcp = lv_child(ip, "dhcp", NULL);
	range = lv_child(dhcp, "range", NULL);
	lv_prop(range, "start", from);
	lv_prop(range, "end", to);
	return 0;
}

int lv_xml_network_build(const struct net_config *cfg, char **xml, char *err, size_t errlen)
{
	xmlDocPtr doc;
	xmlNodePtr net, n;
	int r = 0;

	*xml = NULL;
	if (!cfg->name[0]) {
		snprintf(err, errlen, "a network needs a name");
		return -EINVAL;
	}
	doc = xmlNewDoc(BAD_CAST "1.0");
	net = xmlNewNode(NULL, BAD_CAST "network");
	xmlDocSetRootElement(doc, net);
	lv_child(net, "name", cfg->name);
	switch (cfg->mode) {
	case NET_MODE_NAT:
	case NET_MODE_NATNET:
		/* libvirt's NAT networks are shared segments: both are natnet. */
		n = lv_child(net, "forward", NULL);
		lv_prop(n, "mode", "nat");
		r = lv_build_net_ip(net, cfg, err, errlen);
		break;
	case NET_MODE_HOSTONLY:
		r = lv_build_net_ip(net, cfg, err, errlen);
		break;
	case NET_MODE_INTERNAL:
		break;
	case NET_MODE_BRIDGED:
		if (!cfg->bridge[0]) {
			snprintf(err, errlen, "network '%s': bridged needs an existing host bridge",
				 cfg->name);
			r = -EINVAL;
			break;
		}
		n = lv_child(net, "forward", NULL);
		lv_prop(n, "mode", "bridge");
		n = lv_child(net, "bridge", NULL);
		lv_prop(n, "name", cfg->bridge);
		break;
	default:
		snprintf(err, errlen, "network '%s': unknown mode %d", cfg->name, (int)cfg->mode);
		r = -EINVAL;
	}
	if (!r)
		r = lv_doc_dump(doc, xml, err, errlen);
	xmlFreeDoc(doc);
	return r;
}

/* netmask or prefix of <ip> -> "a.b.c.d/prefix" of the network itself. */
static void lv_parse_net_ip(xmlXPathContextPtr ctx, xmlNodePtr ip, struct net_config *out)
{
	char addr[16], mask[16];
	uint32_t a, m;
	uint64_t prefix = 0;
	struct ipv4_subnet s;
	char e[128];

	if (!lv_xpath_str(ctx, ip, "@address", addr, sizeof(addr)) ||
	    netcfg_parse_addr(addr, &a, e, sizeof(e)))
		return;
	if (lv_xpath_str(ctx, ip, "@netmask", mask, sizeof(mask)) &&
	    !netcfg_parse_addr(mask, &m, e, sizeof(e))) {
		while (prefix < 32 && (m & (0x80000000u >> prefix)))
			prefix++;
	} else if (!lv_xpath_u64(ctx, ip, "@prefix", &prefix) || prefix > 32) {
		prefix = 24;
	}
	s.prefix = (int)prefix;
	s.addr = a & netcfg_mask(s.prefix);
	netcfg_format_subnet(&s, out->subnet, sizeof(out->subnet));
	lv_xpath_str(ctx, ip, "dhcp/range/@start", out->dhcp_start, sizeof(out->dhcp_start));
	lv_xpath_str(ctx, ip, "dhcp/range/@end", out->dhcp_end, sizeof(out->dhcp_end));
}

int lv_xml_network_parse(const char *xml, struct net_config *out, char *err, size_t errlen)
{
	xmlDocPtr doc = lv_doc_read(xml, "network XML", err, errlen);
	xmlXPathContextPtr ctx;
	xmlNodePtr ip;
	char mode[16];
	bool forward;

	if (!doc)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ctx = xmlXPathNewContext(doc);
	lv_xpath_str(ctx, NULL, "/network/name", out->name, sizeof(out->name));
	forward = lv_xpath_str(ctx, NULL, "/network/forward/@mode", mode, sizeof(mode));
	/* <forward/> without a mode is NAT. */
	if (!forward && lv_first(ctx, "/network/forward")) {
		forward = true;
		snprintf(mode, sizeof(mode), "nat");
	}
	lv_xpath_str(ctx, NULL, "/network/bridge/@name", out->bridge, sizeof(out->bridge));
	ip = lv_first(ctx, "/network/ip[not(@family) or @family='ipv4']");
	if (ip)
		lv_parse_net_ip(ctx, ip, out);
	if (!forward)
		out->mode = ip ? NET_MODE_HOSTONLY : NET_MODE_INTERNAL;
	else if (strcmp(mode, "nat") == 0 || strcmp(mode, "route") == 0 ||
		 strcmp(mode, "open") == 0)
		/* route/open: shared segment with a way out, closest to natnet. */
		out->mode = NET_MODE_NATNET;
	else
		/* bridge, passthrough, private, vepa, hostdev: on the host's LAN. */
		out->mode = NET_MODE_BRIDGED;
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return 0;
}

/* ---- host capabilities ---- */

int lv_xml_host_caps(const char *caps_xml, struct lv_host_caps *out, char *err, size_t errlen)
{
	static const char *const preferred[] = { "kvm", "qemu" };
	xmlDocPtr doc = lv_doc_read(caps_xml, "host capabilities", err, errlen);
	xmlXPathContextPtr ctx;
	char expr[128];
	int r = 0;

	if (!doc)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ctx = xmlXPathNewContext(doc);
	/* x86_64 when the host has it (virtty's guests are 64-bit), else
	 * the first full-virtualization architecture. */
	if (!lv_xpath_str(ctx, NULL, "/capabilities/guest[os_type='hvm']/arch[@name='x86_64']/@name",
			  out->arch, sizeof(out->arch)))
		lv_xpath_str(ctx, NULL, "/capabilities/guest[os_type='hvm']/arch/@name", out->arch,
			     sizeof(out->arch));
	if (!out->arch[0]) {
		snprintf(err, errlen, "the host offers no full virtualization (hvm) guests");
		r = -ENOTSUP;
		goto out;
	}
	for (size_t i = 0; i < sizeof(preferred) / sizeof(preferred[0]) && !out->virt_type[0]; i++) {
		snprintf(expr, sizeof(expr),
			 "/capabilities/guest[os_type='hvm']/arch[@name='%s']/domain[@type='%s']/@type",
			 out->arch, preferred[i]);
		lv_xpath_str(ctx, NULL, expr, out->virt_type, sizeof(out->virt_type));
	}
	/* Neither (the test driver's "test"): whatever the host offers. */
	if (!out->virt_type[0]) {
		snprintf(expr, sizeof(expr),
			 "/capabilities/guest[os_type='hvm']/arch[@name='%s']/domain/@type", out->arch);
		lv_xpath_str(ctx, NULL, expr, out->virt_type, sizeof(out->virt_type));
	}
	if (!out->virt_type[0]) {
		snprintf(err, errlen, "the host offers no domain type for %s guests", out->arch);
		r = -ENOTSUP;
	}
out:
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return r;
}

bool lv_xml_domcaps_firmware(const char *domcaps_xml, const char *arch, char *why, size_t len)
{
	char err[256], buf[16];
	xmlDocPtr doc = lv_doc_read(domcaps_xml, "domain capabilities", err, sizeof(err));
	xmlXPathContextPtr ctx;
	bool os, loader, x86;

	if (!doc) {
		snprintf(why, len, "%s", err);
		return false;
	}
	ctx = xmlXPathNewContext(doc);
	os = lv_xpath_str(ctx, NULL, "/domainCapabilities/os[@supported='yes']/@supported", buf,
			  sizeof(buf));
	loader = lv_xpath_str(ctx, NULL, "/domainCapabilities/os/loader[@supported='yes']/value",
			      buf, sizeof(buf));
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	/* PC guests boot from the BIOS the emulator ships (SeaBIOS) when no
	 * loader is named; other architectures need a loader (UEFI). */
	x86 = arch && (strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0);
	if (os && (x86 || loader))
		return true;
	snprintf(why, len, "its domain capabilities list no firmware for %s guests",
		 arch ? arch : "its");
	return false;
}
