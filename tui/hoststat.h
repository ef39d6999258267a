/* Host statistics for the dashboard: per-core and total CPU%, memory, swap,
 * disk and network throughput, sampled cheaply from /proc. */
#ifndef VIRTTY_TUI_HOSTSTAT_H
#define VIRTTY_TUI_HOSTSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOSTSTAT_MAX_CPUS 256

/* One sample as the dashboard draws it. Percentages are 0..100; rates are
 * bytes per second since the previous sample (0 on the first one). */
struct host_sample {
	uint64_t time_ns; /* CLOCK_MONOTONIC when taken */
	int ncpus;	  /* cores in cpu_percent (highest "cpuN" seen + 1) */
	float cpu_percent[HOSTSTAT_MAX_CPUS];
	float cpu_total_percent; /* all cores together, 100 = every core busy */
	uint64_t mem_total, mem_used, mem_cached, mem_available; /* bytes */
	uint64_t swap_total, swap_used;				 /* bytes */
	double disk_read_bps, disk_write_bps; /* whole disks only, no partitions */
	double net_rx_bps, net_tx_bps;	      /* every interface but lo */
	bool rates_valid;		      /* false on the first sample */
};

/* Cumulative counters from one reading of the /proc files; rates and
 * percentages are differences of two of these. */
struct hoststat_cpu_times {
	uint64_t busy, total; /* jiffies */
};

struct hoststat_counters {
	uint64_t time_ns;
	int ncpus;
	struct hoststat_cpu_times cpu[HOSTSTAT_MAX_CPUS];
	struct hoststat_cpu_times cpu_all;
	uint64_t disk_read_bytes, disk_write_bytes;
	uint64_t net_rx_bytes, net_tx_bytes;
};

/* The sampler's state: open /proc files, one reused read buffer and the
 * previous counters. Zero-initialise, then hoststat_open(). */
struct hoststat {
	int fd_stat, fd_meminfo, fd_diskstats, fd_netdev; /* -1 = not available */
	char *buf;
	size_t buflen;
	bool have_prev;
	struct hoststat_counters prev;
};

/* Opens the /proc files under proc_root ("/proc" when NULL; tests pass a
 * directory of canned files). Fails only if /proc/stat cannot be read. */
int hoststat_open(struct hoststat *st, const char *proc_root, char *err, size_t errlen);
void hoststat_close(struct hoststat *st);

/* Reads every file once and fills *out, with rates from the previous call. */
int hoststat_sample(struct hoststat *st, struct host_sample *out);

/* Parsers, taking the text of the files so they can be tested. Each returns
 * 0, or -EINVAL when the text holds nothing usable; malformed lines are
 * skipped, never trusted. */
int hoststat_parse_stat(const char *text, struct hoststat_counters *c);
int hoststat_parse_meminfo(const char *text, struct host_sample *out);
int hoststat_parse_diskstats(const char *text, uint64_t *read_bytes, uint64_t *write_bytes);
int hoststat_parse_netdev(const char *text, uint64_t *rx_bytes, uint64_t *tx_bytes);

/* True for a whole disk ("sda", "nvme0n1", "vda"), false for partitions
 * ("sda1", "nvme0n1p2") and for loop, ram, zram, device-mapper and md
 * devices, whose I/O is already counted on the disks beneath them. */
bool hoststat_is_whole_disk(const char *name);

/* Turns two readings into percentages and rates (pure; now->time_ns must
 * be later than prev->time_ns for rates, else they are 0). prev may be NULL. */
void hoststat_compute(const struct hoststat_counters *prev, const struct hoststat_counters *now,
		      struct host_sample *out);

#endif
