/* `virtty stats NAME`: one-shot figures of a running VM. CPU% and rates
 * come from two samples a short interval apart. */
#include <stddef.h>
#include <stdlib.h>

#include "cli.h"
#include "store/store.h"

#define STATS_INTERVAL_MS 500

static json_object *stats_u64(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

/* NIC i's counter in an older sample (0 if that sample lacks it). */
static uint64_t stats_nic_older(const struct vm_stats *s0, int i, size_t offset)
{
	if (i >= s0->nr_nics)
		return 0;
	return *(const uint64_t *)((const char *)&s0->nics[i] + offset);
}

static double stats_nic_rate(const struct vm_stats *s0, const struct vm_stats *s1, int i,
			     size_t offset, double secs)
{
	uint64_t now = *(const uint64_t *)((const char *)&s1->nics[i] + offset);
	uint64_t then = stats_nic_older(s0, i, offset);

	return secs > 0 && now >= then ? (double)(now - then) / secs : 0;
}

static json_object *stats_nics_json(const struct vm_stats *s0, const struct vm_stats *s1,
				    double secs)
{
	json_object *arr = json_object_new_array();

	for (int i = 0; i < s1->nr_nics && i < VM_MAX_NICS; i++) {
		const struct vm_nic_stats *n = &s1->nics[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "network",
				       n->network[0] ? json_object_new_string(n->network) : NULL);
		json_object_object_add(o, "mac", json_object_new_string(n->mac));
		json_object_object_add(o, "rx_bytes", stats_u64(n->rx_bytes));
		json_object_object_add(o, "rx_packets", stats_u64(n->rx_packets));
		json_object_object_add(o, "rx_dropped", stats_u64(n->rx_dropped));
		json_object_object_add(o, "tx_bytes", stats_u64(n->tx_bytes));
		json_object_object_add(o, "tx_packets", stats_u64(n->tx_packets));
		json_object_object_add(o, "tx_dropped", stats_u64(n->tx_dropped));
		json_object_object_add(o, "tx_errors", stats_u64(n->tx_errors));
		json_object_object_add(
		    o, "rx_bytes_per_s",
		    cli_json_double(
			stats_nic_rate(s0, s1, i, offsetof(struct vm_nic_stats, rx_bytes), secs),
			1));
		json_object_object_add(
		    o, "tx_bytes_per_s",
		    cli_json_double(
			stats_nic_rate(s0, s1, i, offsetof(struct vm_nic_stats, tx_bytes), secs),
			1));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* "NIC 0 (default, 52:54:00:..)": "rx 1.2 KiB in 10 packets, tx ..., drops". */
static void stats_nic_line(const struct vm_stats *s0, const struct vm_stats *s1, int i, double secs,
			   char *key, size_t keylen, char *buf, size_t len)
{
	const struct vm_nic_stats *n = &s1->nics[i];
	char rx[32], tx[32], rrate[32], trate[32];

	snprintf(key, keylen, "NIC %d (%s)", i, n->network[0] ? n->network : n->mac);
	format_size(n->rx_bytes, rx, sizeof(rx));
	format_size(n->tx_bytes, tx, sizeof(tx));
	cli_format_rate(stats_nic_rate(s0, s1, i, offsetof(struct vm_nic_stats, rx_bytes), secs),
			rrate, sizeof(rrate));
	cli_format_rate(stats_nic_rate(s0, s1, i, offsetof(struct vm_nic_stats, tx_bytes), secs),
			trate, sizeof(trate));
	snprintf(buf, len,
		 "rx %s in %llu packets (now %s), tx %s in %llu packets (now %s); dropped "
		 "rx %llu tx %llu, tx errors %llu",
		 rx, (unsigned long long)n->rx_packets, rrate, tx,
		 (unsigned long long)n->tx_packets, trate, (unsigned long long)n->rx_dropped,
		 (unsigned long long)n->tx_dropped, (unsigned long long)n->tx_errors);
}

static int stats_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct vm_stats s0, s1;
	char err[512] = "";
	struct driver *drv;
	const char *name;
	double pct, secs, rd_rate, wr_rate;
	int rc;

	if ((rc = cli_vm_command(ctx, argc, argv, opts, NULL, NULL, &name, &drv)) != CLI_CONTINUE)
		return rc;
	if (drv->ops->stats(drv, name, &s0, err, sizeof(err)) < 0)
		return cli_failed(err);
	cli_sleep_ms(STATS_INTERVAL_MS);
	if (drv->ops->stats(drv, name, &s1, err, sizeof(err)) < 0)
		return cli_failed(err);
	pct = vm_stats_cpu_percent(&s0, &s1);
	secs = s1.timestamp_ns > s0.timestamp_ns ? (double)(s1.timestamp_ns - s0.timestamp_ns) / 1e9
						 : 0;
	rd_rate = secs > 0 ? (double)(s1.disk_rd_bytes - s0.disk_rd_bytes) / secs : 0;
	wr_rate = secs > 0 ? (double)(s1.disk_wr_bytes - s0.disk_wr_bytes) / secs : 0;

	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "cpu_percent", cli_json_double(pct, 1));
		json_object_object_add(o, "interval_s", cli_json_double(secs, 3));
		json_object_object_add(o, "vcpus", json_object_new_int(s1.vcpus));
		json_object_object_add(o, "cpu_time_ns", stats_u64(s1.cpu_time_ns));
		json_object_object_add(o, "memory_bytes", stats_u64(s1.memory_bytes));
		json_object_object_add(o, "memory_rss_bytes", stats_u64(s1.memory_rss_bytes));
		json_object_object_add(o, "vmm_rss_bytes", stats_u64(s1.vmm_rss_bytes));
		json_object_object_add(o, "disk_rd_bytes", stats_u64(s1.disk_rd_bytes));
		json_object_object_add(o, "disk_wr_bytes", stats_u64(s1.disk_wr_bytes));
		json_object_object_add(o, "disk_rd_reqs", stats_u64(s1.disk_rd_reqs));
		json_object_object_add(o, "disk_wr_reqs", stats_u64(s1.disk_wr_reqs));
		json_object_object_add(o, "disk_rd_bytes_per_s", cli_json_double(rd_rate, 1));
		json_object_object_add(o, "disk_wr_bytes_per_s", cli_json_double(wr_rate, 1));
		json_object_object_add(o, "net_rx_bytes", stats_u64(s1.net_rx_bytes));
		json_object_object_add(o, "net_tx_bytes", stats_u64(s1.net_tx_bytes));
		json_object_object_add(o, "nics", stats_nics_json(&s0, &s1, secs));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		char cpu[64], cputime[32], mem[32], rss[32], vmm[32], rd[96], wr[96], net[96];
		char a[32], b[32], r1[32], r2[32];
		const char *keys[8 + VM_MAX_NICS] = {"CPU",	     "CPU time",     "Memory",
						     "Resident",     "VMM overhead", "Disk read",
						     "Disk written", "Network rx/tx"};
		const char *vals[8 + VM_MAX_NICS] = {cpu, cputime, mem, rss, vmm, rd, wr, net};
		char nickey[VM_MAX_NICS][VM_NAME_MAX + 16], nicval[VM_MAX_NICS][256];
		int k = 8;
		char *s;

		snprintf(cpu, sizeof(cpu), "%.1f%% (%d vCPU%s, 100%% = one host CPU)", pct,
			 s1.vcpus, s1.vcpus == 1 ? "" : "s");
		snprintf(cputime, sizeof(cputime), "%.2f s", (double)s1.cpu_time_ns / 1e9);
		format_size(s1.memory_bytes, mem, sizeof(mem));
		format_size(s1.memory_rss_bytes, rss, sizeof(rss));
		format_size(s1.vmm_rss_bytes, vmm, sizeof(vmm));
		format_size(s1.disk_rd_bytes, a, sizeof(a));
		cli_format_rate(rd_rate, r1, sizeof(r1));
		snprintf(rd, sizeof(rd), "%s in %llu requests (now %s)", a,
			 (unsigned long long)s1.disk_rd_reqs, r1);
		format_size(s1.disk_wr_bytes, a, sizeof(a));
		cli_format_rate(wr_rate, r2, sizeof(r2));
		snprintf(wr, sizeof(wr), "%s in %llu requests (now %s)", a,
			 (unsigned long long)s1.disk_wr_reqs, r2);
		format_size(s1.net_rx_bytes, a, sizeof(a));
		format_size(s1.net_tx_bytes, b, sizeof(b));
		snprintf(net, sizeof(net), "%s / %s", a, b);
		for (int i = 0; i < s1.nr_nics && i < VM_MAX_NICS; i++) {
			stats_nic_line(&s0, &s1, i, secs, nickey[i], sizeof(nickey[i]), nicval[i],
				       sizeof(nicval[i]));
			keys[k] = nickey[i];
			vals[k++] = nicval[i];
		}
		s = cli_kv_render(keys, vals, k);
		if (s)
			fputs(s, stdout);
		free(s);
	}
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_stats = {
    .name = "stats",
    .usage = "NAME [--json]",
    .summary = "CPU%, memory, disk and per-NIC network figures of a running VM",
    .help = "CPU% and rates are measured over half a second; 100% is one host CPU busy.\n",
    .exec = stats_exec,
};
