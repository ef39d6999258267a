/* Statistics of one libvirt domain: the bulk stats API first
 * (virDomainListGetStats: cpu.time, balloon.*, block.N.*, net.N.*), and
 * the per-device calls for what a driver leaves out of it (the test
 * driver, older hosts). Counters are cumulative; CPU% and rates come
 * from two samples (vm_stats_cpu_percent). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvirt_priv.h"

static uint64_t lv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Which groups the bulk call filled. */
struct lv_have {
	bool cpu, balloon, block, net;
};

static uint64_t lv_param_u64(const virTypedParameter *p)
{
	switch (p->type) {
	case VIR_TYPED_PARAM_ULLONG:
		return p->value.ul;
	case VIR_TYPED_PARAM_LLONG:
		return p->value.l < 0 ? 0 : (uint64_t)p->value.l;
	case VIR_TYPED_PARAM_UINT:
		return p->value.ui;
	case VIR_TYPED_PARAM_INT:
		return p->value.i < 0 ? 0 : (uint64_t)p->value.i;
	default:
		return 0;
	}
}

/* "net.3.rx.bytes" -> index 3, rest "rx.bytes". */
static bool lv_indexed(const char *field, const char *prefix, int *index, const char **rest)
{
	size_t n = strlen(prefix);
	char *end;
	long i;

	if (strncmp(field, prefix, n) != 0)
		return false;
	i = strtol(field + n, &end, 10);
	if (end == field + n || *end != '.' || i < 0 || i >= VM_MAX_NICS * 4)
		return false;
	*index = (int)i;
	*rest = end + 1;
	return true;
}

static void lv_nic_field(struct vm_stats *out, int i, const char *rest, uint64_t v,
			 const char *text)
{
	struct vm_nic_stats *n;

	if (i >= VM_MAX_NICS)
		return;
	if (out->nr_nics <= i)
		out->nr_nics = i + 1;
	n = &out->nics[i];
	/* libvirt already reports a tap's counters from the guest's side
	 * (rx = towards the guest), as virtty does. */
	if (strcmp(rest, "rx.bytes") == 0)
		n->rx_bytes = v;
	else if (strcmp(rest, "rx.pkts") == 0)
		n->rx_packets = v;
	else if (strcmp(rest, "rx.drop") == 0)
		n->rx_dropped = v;
	else if (strcmp(rest, "tx.bytes") == 0)
		n->tx_bytes = v;
	else if (strcmp(rest, "tx.pkts") == 0)
		n->tx_packets = v;
	else if (strcmp(rest, "tx.drop") == 0)
		n->tx_dropped = v;
	else if (strcmp(rest, "tx.errs") == 0)
		n->tx_errors = v;
	else if (strcmp(rest, "name") == 0 && text)
		snprintf(n->network, sizeof(n->network), "%s", text);
}

static void lv_take_param(struct vm_stats *out, struct lv_have *have, const virTypedParameter *p)
{
	const char *f = p->field, *rest;
	uint64_t v = lv_param_u64(p);
	int i;

	if (strcmp(f, "cpu.time") == 0) {
		out->cpu_time_ns = v;
		have->cpu = true;
	} else if (strcmp(f, "balloon.current") == 0) {
		out->memory_bytes = v * 1024;
		have->balloon = true;
	} else if (strcmp(f, "balloon.rss") == 0) {
		out->memory_rss_bytes = v * 1024;
	} else if (strcmp(f, "vcpu.current") == 0) {
		out->vcpus = (int)v;
	} else if (lv_indexed(f, "block.", &i, &rest)) {
		have->block = true;
		if (strcmp(rest, "rd.bytes") == 0)
			out->disk_rd_bytes += v;
		else if (strcmp(rest, "wr.bytes") == 0)
			out->disk_wr_bytes += v;
		else if (strcmp(rest, "rd.reqs") == 0)
			out->disk_rd_reqs += v;
		else if (strcmp(rest, "wr.reqs") == 0)
			out->disk_wr_reqs += v;
	} else if (lv_indexed(f, "net.", &i, &rest)) {
		have->net = true;
		lv_nic_field(out, i, rest, v,
			     p->type == VIR_TYPED_PARAM_STRING ? p->value.s : NULL);
	}
}

static void lv_bulk_stats(virDomainPtr dom, struct vm_stats *out, struct lv_have *have)
{
	virDomainPtr doms[2] = { dom, NULL };
	virDomainStatsRecordPtr *records = NULL;
	unsigned groups = VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |
			  VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE |
			  VIR_DOMAIN_STATS_BLOCK;
	int n = virDomainListGetStats(doms, groups, &records, 0);

	/* Unsupported or failed: the per-device calls fill in. */
	for (int i = 0; i < n; i++)
		for (int j = 0; j < records[i]->nparams; j++)
			lv_take_param(out, have, &records[i]->params[j]);
	if (n >= 0)
		virDomainStatsRecordListFree(records);
}

/* Fill what the bulk call left out from the per-device calls. */
static void lv_fallback_stats(virDomainPtr dom, const char *xml, struct vm_stats *out,
			      const struct lv_have *have)
{
	struct lv_xml_dev disks[VM_MAX_DISKS], nics[VM_MAX_NICS];
	int nr_disks = VM_MAX_DISKS, nr_nics = VM_MAX_NICS;
	virDomainInfo di;

	if (!have->cpu && virDomainGetInfo(dom, &di) == 0) {
		out->cpu_time_ns = di.cpuTime;
		if (!out->vcpus)
			out->vcpus = di.nrVirtCpu;
		if (!have->balloon)
			out->memory_bytes = di.memory * 1024;
	}
	if (!have->balloon) {
		virDomainMemoryStatStruct ms[VIR_DOMAIN_MEMORY_STAT_NR];
		int n = virDomainMemoryStats(dom, ms, VIR_DOMAIN_MEMORY_STAT_NR, 0);

		for (int i = 0; i < n; i++) {
			if (ms[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON)
				out->memory_bytes = ms[i].val * 1024;
			else if (ms[i].tag == VIR_DOMAIN_MEMORY_STAT_RSS)
				out->memory_rss_bytes = ms[i].val * 1024;
		}
	}
	if (!xml || lv_xml_domain_devices(xml, disks, &nr_disks, nics, &nr_nics) < 0)
		return;
	for (int i = 0; !have->block && i < nr_disks; i++) {
		virDomainBlockStatsStruct bs;

		if (!disks[i].target[0] || virDomainBlockStats(dom, disks[i].target, &bs,
							       sizeof(bs)) < 0)
			continue;
		out->disk_rd_bytes += bs.rd_bytes > 0 ? (uint64_t)bs.rd_bytes : 0;
		out->disk_wr_bytes += bs.wr_bytes > 0 ? (uint64_t)bs.wr_bytes : 0;
		out->disk_rd_reqs += bs.rd_req > 0 ? (uint64_t)bs.rd_req : 0;
		out->disk_wr_reqs += bs.wr_req > 0 ? (uint64_t)bs.wr_req : 0;
	}
	for (int i = 0; !have->net && i < nr_nics; i++) {
		virDomainInterfaceStatsStruct is;
		struct vm_nic_stats *n = &out->nics[i];

		if (!nics[i].target[0] ||
		    virDomainInterfaceStats(dom, nics[i].target, &is, sizeof(is)) < 0)
			continue;
		if (out->nr_nics <= i)
			out->nr_nics = i + 1;
		/* Guest's side already, as in lv_nic_field. */
		n->rx_bytes = is.rx_bytes > 0 ? (uint64_t)is.rx_bytes : 0;
		n->rx_packets = is.rx_packets > 0 ? (uint64_t)is.rx_packets : 0;
		n->rx_dropped = is.rx_drop > 0 ? (uint64_t)is.rx_drop : 0;
		n->tx_bytes = is.tx_bytes > 0 ? (uint64_t)is.tx_bytes : 0;
		n->tx_packets = is.tx_packets > 0 ? (uint64_t)is.tx_packets : 0;
		n->tx_dropped = is.tx_drop > 0 ? (uint64_t)is.tx_drop : 0;
		n->tx_errors = is.tx_errs > 0 ? (uint64_t)is.tx_errs : 0;
	}
}

/* net.N.name is the host device; users know NICs by network and MAC. */
static void lv_name_nics(const char *xml, struct vm_stats *out)
{
	struct lv_xml_dev disks[VM_MAX_DISKS], nics[VM_MAX_NICS];
	int nr_disks = VM_MAX_DISKS, nr_nics = VM_MAX_NICS;

	if (!xml || lv_xml_domain_devices(xml, disks, &nr_disks, nics, &nr_nics) < 0)
		return;
	for (int i = 0; i < out->nr_nics; i++) {
		struct vm_nic_stats *n = &out->nics[i];
		int match = i < nr_nics ? i : -1;

		for (int j = 0; n->network[0] && j < nr_nics; j++)
			if (strcmp(nics[j].target, n->network) == 0)
				match = j;
		n->network[0] = '\0';
		if (match >= 0) {
			snprintf(n->network, sizeof(n->network), "%s", nics[match].network);
			snprintf(n->mac, sizeof(n->mac), "%s", nics[match].mac);
		}
	}
	for (int i = 0; i < out->nr_nics; i++) {
		out->net_rx_bytes += out->nics[i].rx_bytes;
		out->net_tx_bytes += out->nics[i].tx_bytes;
	}
}

int lv_stats(struct driver *drv, const char *name, struct vm_stats *out, char *err,
	     size_t errlen)
{
	struct lv_have have = { 0 };
	char *xml;
	int r;
	virDomainPtr dom = lv_domain_lookup(drv, name, &r, err, errlen);

	if (!dom)
		return r;
	memset(out, 0, sizeof(*out));
	if (virDomainIsActive(dom) != 1) {
		snprintf(err, errlen, "VM '%s' is not running: no statistics", name);
		virDomainFree(dom);
		return -ESRCH;
	}
	out->timestamp_ns = lv_now_ns();
	lv_bulk_stats(dom, out, &have);
	xml = virDomainGetXMLDesc(dom, 0);
	lv_fallback_stats(dom, xml, out, &have);
	lv_name_nics(xml, out);
	free(xml);
	virDomainFree(dom);
	return 0;
}
