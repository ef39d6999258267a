/* Unit tests for backend/libvirt/xml.c: domain XML built from a
 * vm_config, read back independently with libxml2 XPath (every field,
 * names and command lines with XML special characters), parsed back into
 * a vm_config (round trip), edited by `set` and clone, network XML both
 * ways, host capability choices, and malformed input. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "libvirt/libvirt_priv.h"

static char err[1024];

static void assert_contains(const char *text, const char *needle)
{
	ck_assert_msg(strstr(text, needle) != NULL, "'%s' does not contain '%s'", text, needle);
}

/* The string value of an XPath expression over xml ("" = absent). */
static char *xp(const char *xml, const char *expr)
{
	static char buf[8192];
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;

	ck_assert_msg(doc != NULL, "not well-formed XML:\n%s", xml);
	ctx = xmlXPathNewContext(doc);
	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	ck_assert_ptr_nonnull(obj);
	xmlChar *s = xmlXPathCastToString(obj);
	snprintf(buf, sizeof(buf), "%s", (const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return buf;
}

static const struct lv_host_caps kvm_caps = { "kvm", "x86_64", true, "" };

static void full_config(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "web-1");
	snprintf(c->kernel, sizeof(c->kernel), "/boot/vmlinuz");
	snprintf(c->initrd, sizeof(c->initrd), "/boot/initrd.img");
	snprintf(c->cmdline, sizeof(c->cmdline), "console=ttyS0 x=\"a<b&c>'d'\"");
	c->vcpus = 3;
	c->memory_mib = 768;
	c->nr_disks = 2;
	snprintf(c->disks[0].path, sizeof(c->disks[0].path), "/var/lib/libvirt/images/a&b.img");
	snprintf(c->disks[0].format, sizeof(c->disks[0].format), "raw");
	snprintf(c->disks[1].path, sizeof(c->disks[1].path), "/srv/data.qcow2");
	snprintf(c->disks[1].format, sizeof(c->disks[1].format), "qcow2");
	c->disks[1].readonly = true;
	c->display.enabled = true;
	c->display.width = 1280;
	c->display.height = 800;
	c->display.vnc_port = 5905;
	c->nr_nics = 2;
	snprintf(c->nics[0].network, sizeof(c->nics[0].network), "default");
	snprintf(c->nics[0].mac, sizeof(c->nics[0].mac), "52:54:00:12:34:56");
	snprintf(c->nics[1].network, sizeof(c->nics[1].network), "lab");
}

START_TEST(test_domain_every_field)
{
	struct vm_config c;
	char *xml;

	full_config(&c);
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(xml, "string(/domain/@type)"), "kvm");
	ck_assert_str_eq(xp(xml, "/domain/name"), "web-1");
	ck_assert_str_eq(xp(xml, "/domain/memory"), "768");
	ck_assert_str_eq(xp(xml, "string(/domain/memory/@unit)"), "MiB");
	ck_assert_str_eq(xp(xml, "/domain/vcpu"), "3");
	ck_assert_str_eq(xp(xml, "/domain/os/type"), "hvm");
	ck_assert_str_eq(xp(xml, "string(/domain/os/type/@arch)"), "x86_64");
	ck_assert_str_eq(xp(xml, "/domain/os/kernel"), "/boot/vmlinuz");
	ck_assert_str_eq(xp(xml, "/domain/os/initrd"), "/boot/initrd.img");
	ck_assert_str_eq(xp(xml, "/domain/os/cmdline"), "console=ttyS0 x=\"a<b&c>'d'\"");
	ck_assert_str_eq(xp(xml, "count(/domain/devices/disk[@device='disk'])"), "2");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/disk[1]/source/@file)"),
			 "/var/lib/libvirt/images/a&b.img");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/disk[1]/target/@bus)"), "virtio");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/disk[1]/target/@dev)"), "vda");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/disk[2]/target/@dev)"), "vdb");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/disk[2]/driver/@type)"), "qcow2");
	ck_assert_str_eq(xp(xml, "count(/domain/devices/disk[1]/readonly)"), "0");
	ck_assert_str_eq(xp(xml, "count(/domain/devices/disk[2]/readonly)"), "1");
	ck_assert_str_eq(xp(xml, "count(/domain/devices/disk[@device='cdrom'])"), "0");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/serial/@type)"), "pty");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/console/target/@type)"), "serial");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/graphics/@type)"), "vnc");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/graphics/listen/@address)"), "127.0.0.1");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/graphics/@port)"), "5905");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/video/model/resolution/@x)"), "1280");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/video/model/resolution/@y)"), "800");
	ck_assert_str_eq(xp(xml, "count(/domain/devices/interface[@type='network'])"), "2");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/interface[1]/source/@network)"), "default");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/interface[1]/mac/@address)"),
			 "52:54:00:12:34:56");
	/* No MAC given: libvirt picks one. */
	ck_assert_str_eq(xp(xml, "count(/domain/devices/interface[2]/mac)"), "0");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/interface[2]/source/@network)"), "lab");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/interface[2]/model/@type)"), "virtio");
	free(xml);
}
END_TEST

START_TEST(test_domain_autoport_no_display)
{
	struct vm_config c;
	char *xml;

	full_config(&c);
	c.display.vnc_port = 0;
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(xml, "string(/domain/devices/graphics/@autoport)"), "yes");
	free(xml);
	c.display.enabled = false;
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(xml, "count(/domain/devices/graphics)"), "0");
	ck_assert_str_eq(xp(xml, "count(/domain/devices/video)"), "0");
	ck_assert_str_eq(xp(xml, "count(/domain/devices/serial)"), "1");
	free(xml);
}
END_TEST

START_TEST(test_domain_special_name)
{
	struct vm_config c, back;
	char *xml;

	full_config(&c);
	snprintf(c.name, sizeof(c.name), "a&b<c>\"d'");
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(xml, "/domain/name"), "a&b<c>\"d'");
	ck_assert_int_eq(lv_xml_domain_parse(xml, &back, err, sizeof(err)), 0);
	ck_assert_str_eq(back.name, c.name);
	ck_assert_str_eq(back.cmdline, c.cmdline);
	free(xml);
}
END_TEST

START_TEST(test_domain_round_trip)
{
	struct vm_config c, back;
	char *xml;

	full_config(&c);
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), 0);
	ck_assert_int_eq(lv_xml_domain_parse(xml, &back, err, sizeof(err)), 0);
	free(xml);
	ck_assert_str_eq(back.name, c.name);
	ck_assert_str_eq(back.kernel, c.kernel);
	ck_assert_str_eq(back.initrd, c.initrd);
	ck_assert_str_eq(back.cmdline, c.cmdline);
	ck_assert_int_eq(back.vcpus, 3);
	ck_assert_uint_eq(back.memory_mib, 768);
	ck_assert_int_eq(back.nr_disks, 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_str_eq(back.disks[i].path, c.disks[i].path);
		ck_assert_str_eq(back.disks[i].format, c.disks[i].format);
		ck_assert_int_eq(back.disks[i].readonly, c.disks[i].readonly);
	}
	ck_assert(back.display.enabled);
	ck_assert_int_eq(back.display.width, 1280);
	ck_assert_int_eq(back.display.height, 800);
	ck_assert_int_eq(back.display.vnc_port, 5905);
	ck_assert_int_eq(back.nr_nics, 2);
	ck_assert_str_eq(back.nics[0].network, "default");
	ck_assert_str_eq(back.nics[0].mac, "52:54:00:12:34:56");
	ck_assert_str_eq(back.nics[1].network, "lab");
	ck_assert_str_eq(back.cdrom, "");
}
END_TEST

START_TEST(test_domain_cdrom)
{
	struct vm_config c, back;
	struct lv_host_caps nofw = { "qemu", "x86_64", false, "its domain capabilities list no firmware" };
	char *xml;

	full_config(&c);
	c.kernel[0] = c.initrd[0] = c.cmdline[0] = '\0';
	c.nr_disks = 1;
	snprintf(c.cdrom, sizeof(c.cdrom), "/iso/debian&1.iso");
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(xml, "string(/domain/devices/disk[@device='cdrom']/source/@file)"),
			 "/iso/debian&1.iso");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/disk[@device='cdrom']/target/@bus)"), "sata");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/disk[@device='cdrom']/boot/@order)"), "1");
	ck_assert_str_eq(xp(xml, "string(/domain/devices/disk[@device='disk']/boot/@order)"), "2");
	ck_assert_str_eq(xp(xml, "count(/domain/os/boot)"), "0");
	ck_assert_str_eq(xp(xml, "count(/domain/os/kernel)"), "0");
	ck_assert_int_eq(lv_xml_domain_parse(xml, &back, err, sizeof(err)), 0);
	ck_assert_str_eq(back.cdrom, "/iso/debian&1.iso");
	ck_assert_int_eq(back.nr_disks, 1);
	free(xml);

	ck_assert_int_eq(lv_xml_domain_build(&c, &nofw, &xml, err, sizeof(err)), -ENOTSUP);
	ck_assert_ptr_null(xml);
	assert_contains(err, "web-1");
	assert_contains(err, "firmware");
}
END_TEST

START_TEST(test_domain_bad_input)
{
	struct vm_config c, back;
	char *xml;

	full_config(&c);
	c.vcpus = 0;
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), -EINVAL);
	assert_contains(err, "web-1");
	full_config(&c);
	c.kernel[0] = '\0';
	c.nr_disks = 0;
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), -EINVAL);
	assert_contains(err, "nothing to boot");
	full_config(&c);
	c.nics[1].network[0] = '\0';
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), -EINVAL);
	assert_contains(err, "NIC 2");

	ck_assert_int_eq(lv_xml_domain_parse("<domain><name>x</nam", &back, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "malformed");
	ck_assert_int_eq(lv_xml_domain_parse("<domain/>", &back, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(lv_xml_domain_parse(NULL, &back, err, sizeof(err)), -EINVAL);
}
END_TEST

/* Memory in any libvirt unit, disks and NICs virtty cannot express. */
START_TEST(test_domain_parse_foreign)
{
	static const char xml[] =
		"<domain type='kvm'><name>f</name><memory>2097152</memory><vcpu current='1'>4</vcpu>"
		"<devices><disk type='network' device='disk'><source protocol='rbd' name='p/x'/>"
		"</disk><disk type='block' device='disk'><source dev='/dev/sdb'/></disk>"
		"<interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='br0'/>"
		"</interface><graphics type='vnc' port='5901' autoport='yes'/></devices></domain>";
	struct vm_config c;

	ck_assert_int_eq(lv_xml_domain_parse(xml, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.memory_mib, 2048);
	ck_assert_int_eq(c.vcpus, 4);
	ck_assert_int_eq(c.nr_disks, 1);
	ck_assert_str_eq(c.disks[0].path, "/dev/sdb");
	ck_assert_int_eq(c.nr_nics, 1);
	ck_assert_str_eq(c.nics[0].network, "br0");
	ck_assert(c.display.enabled);
	/* autoport: the live port is not a setting. */
	ck_assert_int_eq(c.display.vnc_port, 0);
	ck_assert_int_eq(c.display.width, VM_DISPLAY_DEFAULT_WIDTH);

	ck_assert_int_eq(lv_xml_domain_parse("<domain><name>g</name><memory unit='GiB'>3</memory>"
					     "</domain>", &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.memory_mib, 3072);
}
END_TEST

START_TEST(test_domain_apply)
{
	struct vm_config c, back;
	struct vm_settings s = { 0 };
	char *xml, *edited;

	full_config(&c);
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), 0);
	s.vcpus = 6;
	s.memory_mib = 4096;
	s.display = VM_SETTING_OFF;
	s.set_nics = true;
	s.nr_nics = 3;
	snprintf(s.nics[0].network, sizeof(s.nics[0].network), "other"); /* keeps MAC 0 */
	snprintf(s.nics[1].network, sizeof(s.nics[1].network), "lab");
	snprintf(s.nics[2].network, sizeof(s.nics[2].network), "x&y");
	snprintf(s.nics[2].mac, sizeof(s.nics[2].mac), "52:54:00:00:00:09");
	ck_assert_int_eq(lv_xml_domain_apply(xml, &s, &edited, err, sizeof(err)), 0);
	ck_assert_int_eq(lv_xml_domain_parse(edited, &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.vcpus, 6);
	ck_assert_uint_eq(back.memory_mib, 4096);
	ck_assert_str_eq(xp(edited, "/domain/currentMemory"), "4096");
	ck_assert(!back.display.enabled);
	ck_assert_str_eq(xp(edited, "count(/domain/devices/video)"), "0");
	ck_assert_int_eq(back.nr_nics, 3);
	ck_assert_str_eq(back.nics[0].network, "other");
	ck_assert_str_eq(back.nics[0].mac, "52:54:00:12:34:56");
	ck_assert_str_eq(back.nics[1].mac, "");
	ck_assert_str_eq(back.nics[2].network, "x&y");
	ck_assert_str_eq(back.nics[2].mac, "52:54:00:00:00:09");
	/* Untouched fields survive. */
	ck_assert_str_eq(back.cmdline, c.cmdline);
	ck_assert_int_eq(back.nr_disks, 2);
	free(edited);

	memset(&s, 0, sizeof(s));
	s.display = VM_SETTING_ON;
	s.display_width = 800;
	s.display_height = 600;
	c.display.enabled = false;
	free(xml);
	ck_assert_int_eq(lv_xml_domain_build(&c, &kvm_caps, &xml, err, sizeof(err)), 0);
	ck_assert_int_eq(lv_xml_domain_apply(xml, &s, &edited, err, sizeof(err)), 0);
	ck_assert_int_eq(lv_xml_domain_parse(edited, &back, err, sizeof(err)), 0);
	ck_assert(back.display.enabled);
	ck_assert_int_eq(back.display.width, 800);
	ck_assert_int_eq(back.display.height, 600);
	ck_assert_int_eq(back.vcpus, 3);
	free(edited);
	free(xml);
}
END_TEST

START_TEST(test_domain_rename)
{
	static const char xml[] =
		"<domain type='kvm'><name>old</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>"
		"<memory>1024</memory><devices><interface type='network'><mac address='aa:bb:cc:dd:ee:ff'/>"
		"<source network='default'/><target dev='vnet0'/></interface></devices></domain>";
	char *out;

	ck_assert_int_eq(lv_xml_domain_rename(xml, "new&1", &out, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(out, "/domain/name"), "new&1");
	ck_assert_str_eq(xp(out, "count(/domain/uuid)"), "0");
	ck_assert_str_eq(xp(out, "count(//interface/mac)"), "0");
	ck_assert_str_eq(xp(out, "string(//interface/source/@network)"), "default");
	free(out);
}
END_TEST

START_TEST(test_domain_devices)
{
	static const char xml[] =
		"<domain><name>d</name><devices><disk device='disk'><target dev='vda'/></disk>"
		"<disk device='cdrom'><target dev='sda'/></disk><disk device='disk'>"
		"<target dev='vdb'/></disk><interface type='network'><mac address='52:54:00:00:00:01'/>"
		"<source network='n1'/><target dev='vnet7'/></interface></devices></domain>";
	struct lv_xml_dev disks[4], nics[4];
	int nd = 4, nn = 4;

	ck_assert_int_eq(lv_xml_domain_devices(xml, disks, &nd, nics, &nn), 0);
	ck_assert_int_eq(nd, 2);
	ck_assert_str_eq(disks[1].target, "vdb");
	ck_assert_int_eq(nn, 1);
	ck_assert_str_eq(nics[0].target, "vnet7");
	ck_assert_str_eq(nics[0].network, "n1");
	ck_assert_str_eq(nics[0].mac, "52:54:00:00:00:01");
}
END_TEST

/* ---- networks ---- */

static void net(struct net_config *c, const char *name, enum net_mode mode, const char *subnet)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->mode = mode;
	snprintf(c->subnet, sizeof(c->subnet), "%s", subnet);
}

START_TEST(test_network_modes)
{
	struct net_config c, back;
	char *xml;

	net(&c, "n&t", NET_MODE_NATNET, "10.9.0.0/24");
	snprintf(c.dhcp_start, sizeof(c.dhcp_start), "10.9.0.50");
	snprintf(c.dhcp_end, sizeof(c.dhcp_end), "10.9.0.60");
	ck_assert_int_eq(lv_xml_network_build(&c, &xml, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(xml, "/network/name"), "n&t");
	ck_assert_str_eq(xp(xml, "string(/network/forward/@mode)"), "nat");
	ck_assert_str_eq(xp(xml, "string(/network/ip/@address)"), "10.9.0.1");
	ck_assert_str_eq(xp(xml, "string(/network/ip/@netmask)"), "255.255.255.0");
	ck_assert_str_eq(xp(xml, "string(/network/ip/dhcp/range/@start)"), "10.9.0.50");
	ck_assert_int_eq(lv_xml_network_parse(xml, &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.mode, NET_MODE_NATNET);
	ck_assert_str_eq(back.subnet, "10.9.0.0/24");
	ck_assert_str_eq(back.dhcp_end, "10.9.0.60");
	free(xml);

	/* nat: libvirt's NAT is a shared segment, so it comes back natnet. */
	net(&c, "n2", NET_MODE_NAT, "10.8.0.0/16");
	ck_assert_int_eq(lv_xml_network_build(&c, &xml, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(xml, "string(/network/forward/@mode)"), "nat");
	ck_assert_str_eq(xp(xml, "string(/network/ip/@netmask)"), "255.255.0.0");
	ck_assert_int_eq(lv_xml_network_parse(xml, &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.mode, NET_MODE_NATNET);
	ck_assert_str_eq(back.subnet, "10.8.0.0/16");
	free(xml);

	net(&c, "h", NET_MODE_HOSTONLY, "192.168.56.0/24");
	snprintf(c.dhcp_start, sizeof(c.dhcp_start), "192.168.56.100");
	snprintf(c.dhcp_end, sizeof(c.dhcp_end), "192.168.56.199");
	ck_assert_int_eq(lv_xml_network_build(&c, &xml, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(xml, "count(/network/forward)"), "0");
	ck_assert_str_eq(xp(xml, "string(/network/ip/@address)"), "192.168.56.1");
	ck_assert_int_eq(lv_xml_network_parse(xml, &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.mode, NET_MODE_HOSTONLY);
	free(xml);

	net(&c, "i", NET_MODE_INTERNAL, "");
	ck_assert_int_eq(lv_xml_network_build(&c, &xml, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(xml, "count(/network/forward)"), "0");
	ck_assert_str_eq(xp(xml, "count(/network/ip)"), "0");
	ck_assert_int_eq(lv_xml_network_parse(xml, &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.mode, NET_MODE_INTERNAL);
	free(xml);

	net(&c, "b", NET_MODE_BRIDGED, "");
	snprintf(c.bridge, sizeof(c.bridge), "br0");
	ck_assert_int_eq(lv_xml_network_build(&c, &xml, err, sizeof(err)), 0);
	ck_assert_str_eq(xp(xml, "string(/network/forward/@mode)"), "bridge");
	ck_assert_str_eq(xp(xml, "string(/network/bridge/@name)"), "br0");
	ck_assert_int_eq(lv_xml_network_parse(xml, &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.mode, NET_MODE_BRIDGED);
	ck_assert_str_eq(back.bridge, "br0");
	free(xml);

	c.bridge[0] = '\0';
	ck_assert_int_eq(lv_xml_network_build(&c, &xml, err, sizeof(err)), -EINVAL);
	assert_contains(err, "bridge");
	net(&c, "bad", NET_MODE_HOSTONLY, "10.0.0.1/24");
	ck_assert_int_eq(lv_xml_network_build(&c, &xml, err, sizeof(err)), -EINVAL);
}
END_TEST

/* libvirt's own default network, with a prefix instead of a netmask. */
START_TEST(test_network_parse_foreign)
{
	struct net_config back;

	ck_assert_int_eq(lv_xml_network_parse("<network><name>default</name><forward/>"
					      "<bridge name='virbr0'/><ip address='192.168.122.1' "
					      "prefix='24'/></network>", &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.mode, NET_MODE_NATNET);
	ck_assert_str_eq(back.subnet, "192.168.122.0/24");
	ck_assert_str_eq(back.bridge, "virbr0");
	ck_assert_int_eq(lv_xml_network_parse("<network", &back, err, sizeof(err)), -EINVAL);
}
END_TEST

/* ---- capabilities ---- */

START_TEST(test_host_caps)
{
	static const char qemu_kvm[] =
		"<capabilities><guest><os_type>hvm</os_type><arch name='i686'><domain type='qemu'/>"
		"</arch></guest><guest><os_type>hvm</os_type><arch name='x86_64'>"
		"<domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>";
	static const char qemu_only[] =
		"<capabilities><guest><os_type>hvm</os_type><arch name='x86_64'>"
		"<domain type='qemu'/></arch></guest></capabilities>";
	static const char test_drv[] =
		"<capabilities><guest><os_type>hvm</os_type><arch name='i686'>"
		"<domain type='test'/></arch></guest></capabilities>";
	struct lv_host_caps c;
	char why[256];

	ck_assert_int_eq(lv_xml_host_caps(qemu_kvm, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.virt_type, "kvm");
	ck_assert_str_eq(c.arch, "x86_64");
	ck_assert_int_eq(lv_xml_host_caps(qemu_only, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.virt_type, "qemu");
	ck_assert_int_eq(lv_xml_host_caps(test_drv, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.virt_type, "test");
	ck_assert_str_eq(c.arch, "i686");
	ck_assert_int_eq(lv_xml_host_caps("<capabilities/>", &c, err, sizeof(err)), -ENOTSUP);

	ck_assert(lv_xml_domcaps_firmware("<domainCapabilities><os supported='yes'/>"
					  "</domainCapabilities>", "x86_64", why, sizeof(why)));
	ck_assert(!lv_xml_domcaps_firmware("<domainCapabilities><os supported='no'/>"
					   "</domainCapabilities>", "x86_64", why, sizeof(why)));
	assert_contains(why, "firmware");
	ck_assert(!lv_xml_domcaps_firmware("<domainCapabilities><os supported='yes'/>"
					   "</domainCapabilities>", "aarch64", why, sizeof(why)));
	ck_assert(lv_xml_domcaps_firmware("<domainCapabilities><os supported='yes'><loader "
					  "supported='yes'><value>/usr/share/AAVMF/code.fd</value>"
					  "</loader></os></domainCapabilities>", "aarch64", why,
					  sizeof(why)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("libvirt_xml");
	TCase *tc = tcase_create("domain");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_domain_every_field);
	tcase_add_test(tc, test_domain_autoport_no_display);
	tcase_add_test(tc, test_domain_special_name);
	tcase_add_test(tc, test_domain_round_trip);
	tcase_add_test(tc, test_domain_cdrom);
	tcase_add_test(tc, test_domain_bad_input);
	tcase_add_test(tc, test_domain_parse_foreign);
	tcase_add_test(tc, test_domain_apply);
	tcase_add_test(tc, test_domain_rename);
	tcase_add_test(tc, test_domain_devices);
	suite_add_tcase(s, tc);
	tc = tcase_create("network");
	tcase_add_test(tc, test_network_modes);
	tcase_add_test(tc, test_network_parse_foreign);
	tcase_add_test(tc, test_host_caps);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
