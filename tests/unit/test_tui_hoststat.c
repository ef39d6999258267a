/* Unit tests for the host statistics of the dashboard (tui/hoststat.c):
 * the /proc parsers on canned text, CPU% and rates from two readings, and
 * the sampler itself on a directory of canned files and on the real /proc. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hoststat.h"

static const char stat_a[] = "cpu  1000 0 500 8000 500 0 0 0 0 0\n"
			     "cpu0 500 0 250 4000 250 0 0 0 0 0\n"
			     "cpu1 500 0 250 4000 250 0 0 0 0 0\n"
			     "intr 12345 0 1 2 3\n"
			     "ctxt 99999\n";

/* 1 s later: cpu0 fully busy for 100 jiffies, cpu1 idle for 100. */
static const char stat_b[] = "cpu  1100 0 500 8100 500 0 0 0 0 0\n"
			     "cpu0 600 0 250 4000 250 0 0 0 0 0\n"
			     "cpu1 500 0 250 4100 250 0 0 0 0 0\n"
			     "intr 12399 0 1 2 3\n";

static const char meminfo[] = "MemTotal:       16000000 kB\n"
			      "MemFree:         4000000 kB\n"
			      "MemAvailable:   10000000 kB\n"
			      "Buffers:          500000 kB\n"
			      "Cached:          3000000 kB\n"
			      "SwapCached:            0 kB\n"
			      "SReclaimable:     500000 kB\n"
			      "SwapTotal:       2000000 kB\n"
			      "SwapFree:        1500000 kB\n";

static const char diskstats_a[] = "   7       0 loop0 100 0 8000 0 100 0 8000 0 0 0 0 0 0 0 0 0 0\n"
				  " 254       0 vda 10 0 1000 5 20 0 2000 9 0 1 1 0 0 0 0 0 0\n"
				  " 254       1 vda1 10 0 900 5 20 0 1900 9 0 1 1 0 0 0 0 0 0\n"
				  " 259       0 nvme0n1 1 0 100 0 1 0 100 0 0 0 0\n"
				  " 259       1 nvme0n1p1 1 0 100 0 1 0 100 0 0 0 0\n"
				  " 253       0 dm-0 5 0 500 0 5 0 500 0 0 0 0\n";

static const char diskstats_b[] =
    "   7       0 loop0 100 0 99000 0 100 0 99000 0 0 0 0 0 0 0 0 0 0\n"
    " 254       0 vda 10 0 3000 5 20 0 2000 9 0 1 1 0 0 0 0 0 0\n"
    " 254       1 vda1 10 0 2900 5 20 0 1900 9 0 1 1 0 0 0 0 0 0\n"
    " 259       0 nvme0n1 1 0 100 0 1 0 4100 0 0 0 0\n"
    " 259       1 nvme0n1p1 1 0 100 0 1 0 4100 0 0 0 0\n"
    " 253       0 dm-0 5 0 500 0 5 0 500 0 0 0 0\n";

static const char netdev_a[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo:  500000      30    0    0    0     0          0         0   500000      30    0 "
    "   0    0     0       0          0\n"
    "  eth0: 1000 5 0 0 0 0 0 0 2000 3 0 0 0 0 0 0\n"
    "  wlan0:3000 5 0 0 0 0 0 0 4000 3 0 0 0 0 0 0\n";

static const char netdev_b[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo: 9500000      30    0    0    0     0          0         0  9500000      30    0 "
    "   0    0     0       0          0\n"
    "  eth0: 11000 5 0 0 0 0 0 0 2000 3 0 0 0 0 0 0\n"
    "  wlan0:3000 5 0 0 0 0 0 0 5000 3 0 0 0 0 0 0\n";

START_TEST(test_parse_stat)
{
	struct hoststat_counters c;

	ck_assert_int_eq(hoststat_parse_stat(stat_a, &c), 0);
	ck_assert_int_eq(c.ncpus, 2);
	ck_assert_uint_eq(c.cpu_all.total, 10000);
	ck_assert_uint_eq(c.cpu_all.busy, 1500); /* idle and iowait are not busy */
	ck_assert_uint_eq(c.cpu[1].total, 5000);
	ck_assert_uint_eq(c.cpu[1].busy, 750);
}
END_TEST

START_TEST(test_parse_stat_offline_core_and_garbage)
{
	/* cpu1 is offline (no line); garbage lines and a huge index are skipped. */
	static const char text[] = "cpu  10 0 0 90\n"
				   "cpu0 5 0 0 45\n"
				   "cpu2 5 0 0 45\n"
				   "cpu99999 1 1 1 1\n"
				   "cpuX 1 2 3 4\n"
				   "cpu3 abc\n"
				   "cpu4 1 2\n";
	struct hoststat_counters c;

	ck_assert_int_eq(hoststat_parse_stat(text, &c), 0);
	ck_assert_int_eq(c.ncpus, 3);
	ck_assert_uint_eq(c.cpu[1].total, 0);
	ck_assert_uint_eq(c.cpu[2].total, 50);
	ck_assert_int_eq(hoststat_parse_stat("intr 1 2 3\n", &c), -EINVAL);
	ck_assert_int_eq(hoststat_parse_stat("", &c), -EINVAL);
}
END_TEST

START_TEST(test_parse_meminfo)
{
	struct host_sample s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(hoststat_parse_meminfo(meminfo, &s), 0);
	ck_assert_uint_eq(s.mem_total, 16000000ull * 1024);
	/* buff/cache = Buffers + Cached + SReclaimable, as free(1) shows it */
	ck_assert_uint_eq(s.mem_cached, 4000000ull * 1024);
	/* used = total - free - buff/cache */
	ck_assert_uint_eq(s.mem_used, 8000000ull * 1024);
	ck_assert_uint_eq(s.mem_available, 10000000ull * 1024);
	ck_assert_uint_eq(s.swap_total, 2000000ull * 1024);
	ck_assert_uint_eq(s.swap_used, 500000ull * 1024);
}
END_TEST

START_TEST(test_parse_meminfo_old_kernel_and_bad)
{
	struct host_sample s;

	/* No MemAvailable (before Linux 3.14): free + cache. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(hoststat_parse_meminfo("MemTotal: 1000 kB\nMemFree: 200 kB\n"
						"Cached: 300 kB\n",
						&s),
			 0);
	ck_assert_uint_eq(s.mem_available, 500 * 1024);
	ck_assert_uint_eq(s.mem_used, 500 * 1024);
	/* Nonsense: free larger than total gives 0 used, never a wrapped number. */
	ck_assert_int_eq(hoststat_parse_meminfo("MemTotal: 1000 kB\nMemFree: 5000 kB\n", &s), 0);
	ck_assert_uint_eq(s.mem_used, 0);
	ck_assert_int_eq(hoststat_parse_meminfo("MemFree: 5 kB\n", &s), -EINVAL);
	ck_assert_int_eq(hoststat_parse_meminfo("MemTotal: lots\n", &s), -EINVAL);
}
END_TEST

START_TEST(test_whole_disks)
{
	const char *whole[] = {"sda", "sdab", "vda", "hdc", "xvdb", "nvme0n1", "mmcblk0", "sr0"};
	const char *not_whole[] = {"sda1",  "sdab12", "vda1",  "xvdb3", "nvme0n1p1", "mmcblk0p2",
				   "loop0", "ram1",   "zram0", "dm-0",	"md127",     ""};
	size_t i;

	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		ck_assert_msg(hoststat_is_whole_disk(whole[i]), "%s is a whole disk", whole[i]);
	for (i = 0; i < sizeof(not_whole) / sizeof(not_whole[0]); i++)
		ck_assert_msg(!hoststat_is_whole_disk(not_whole[i]), "'%s' is not a whole disk",
			      not_whole[i]);
}
END_TEST

START_TEST(test_parse_diskstats)
{
	uint64_t rd, wr;

	ck_assert_int_eq(hoststat_parse_diskstats(diskstats_a, &rd, &wr), 0);
	/* vda + nvme0n1 only: partitions, loop and dm are not counted twice */
	ck_assert_uint_eq(rd, (1000 + 100) * 512);
	ck_assert_uint_eq(wr, (2000 + 100) * 512);
	/* A line cut short, a name without counters, empty text. */
	ck_assert_int_eq(hoststat_parse_diskstats(" 8 0 sda 1 2 3\n 8 0\n", &rd, &wr), -EINVAL);
	ck_assert_uint_eq(rd, 0);
	ck_assert_int_eq(hoststat_parse_diskstats("", &rd, &wr), -EINVAL);
}
END_TEST

START_TEST(test_parse_netdev)
{
	uint64_t rx, tx;

	ck_assert_int_eq(hoststat_parse_netdev(netdev_a, &rx, &tx), 0);
	/* lo is left out; "wlan0:3000" without a space is read too */
	ck_assert_uint_eq(rx, 4000);
	ck_assert_uint_eq(tx, 6000);
	ck_assert_int_eq(hoststat_parse_netdev("Inter-| Receive\n face |bytes\n", &rx, &tx),
			 -EINVAL);
	ck_assert_int_eq(hoststat_parse_netdev("eth0: 1 2 3\n", &rx, &tx), -EINVAL);
}
END_TEST

static void counters(const char *st, const char *disk, const char *net, uint64_t t_ns,
		     struct hoststat_counters *c)
{
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(hoststat_parse_stat(st, c), 0);
	ck_assert_int_eq(hoststat_parse_diskstats(disk, &c->disk_read_bytes, &c->disk_write_bytes),
			 0);
	ck_assert_int_eq(hoststat_parse_netdev(net, &c->net_rx_bytes, &c->net_tx_bytes), 0);
	c->time_ns = t_ns;
}

START_TEST(test_rates_from_two_samples)
{
	struct hoststat_counters a, b;
	struct host_sample s;

	counters(stat_a, diskstats_a, netdev_a, 1000000000ull, &a);
	counters(stat_b, diskstats_b, netdev_b, 3000000000ull, &b); /* 2 s later */

	memset(&s, 0, sizeof(s));
	hoststat_compute(NULL, &a, &s);
	ck_assert(!s.rates_valid);
	ck_assert_double_eq(s.disk_read_bps, 0);

	hoststat_compute(&a, &b, &s);
	ck_assert(s.rates_valid);
	ck_assert_int_eq(s.ncpus, 2);
	ck_assert_float_eq_tol(s.cpu_percent[0], 100.0f, 0.01f);
	ck_assert_float_eq_tol(s.cpu_percent[1], 0.0f, 0.01f);
	ck_assert_float_eq_tol(s.cpu_total_percent, 50.0f, 0.01f);
	/* vda read 2000 sectors, nvme0n1 wrote 4000, over 2 s */
	ck_assert_double_eq_tol(s.disk_read_bps, 2000.0 * 512 / 2, 0.001);
	ck_assert_double_eq_tol(s.disk_write_bps, 4000.0 * 512 / 2, 0.001);
	/* eth0 received 10000, wlan0 sent 1000; lo's 9 MB are not network */
	ck_assert_double_eq_tol(s.net_rx_bps, 5000, 0.001);
	ck_assert_double_eq_tol(s.net_tx_bps, 500, 0.001);

	/* Counters going backwards (a disk removed) give 0, not a huge rate. */
	hoststat_compute(&b, &a, &s);
	ck_assert(!s.rates_valid); /* time went backwards too */
	a.time_ns = 5000000000ull;
	hoststat_compute(&b, &a, &s);
	ck_assert(s.rates_valid);
	ck_assert_double_eq(s.disk_read_bps, 0);
	ck_assert_double_eq(s.net_rx_bps, 0);
	ck_assert_float_eq(s.cpu_percent[0], 0.0f);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

START_TEST(test_sample_canned_dir)
{
	char dir[] = "/tmp/test_tui_hoststat.XXXXXX", sub[600], err[256];
	struct host_sample s;
	struct hoststat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/net", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	write_file(dir, "stat", stat_a);
	write_file(dir, "meminfo", meminfo);
	write_file(dir, "diskstats", diskstats_a);
	write_file(dir, "net/dev", netdev_a);

	ck_assert_int_eq(hoststat_open(&st, dir, err, sizeof(err)), 0);
	ck_assert_int_eq(hoststat_sample(&st, &s), 0);
	ck_assert(!s.rates_valid);
	ck_assert_uint_eq(s.mem_total, 16000000ull * 1024);

	/* The files are re-read each time (kept open, read from offset 0):
	 * rewrite them in place, as the kernel regenerates /proc. */
	write_file(dir, "stat", stat_b);
	write_file(dir, "diskstats", diskstats_b);
	write_file(dir, "net/dev", netdev_b);
	ck_assert_int_eq(hoststat_sample(&st, &s), 0);
	ck_assert(s.rates_valid);
	ck_assert_float_eq_tol(s.cpu_percent[0], 100.0f, 0.01f);
	ck_assert(s.disk_read_bps > 0);
	ck_assert(s.net_rx_bps > 0);
	hoststat_close(&st);

	/* Without stat the sampler cannot work, and says which file. */
	snprintf(sub, sizeof(sub), "%s/stat", dir);
	unlink(sub);
	ck_assert_int_lt(hoststat_open(&st, dir, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "/stat"));

	snprintf(sub, sizeof(sub), "rm -rf %s", dir);
	ck_assert_int_eq(system(sub), 0);
}
END_TEST

START_TEST(test_sample_real_proc)
{
	struct host_sample s;
	struct hoststat st;
	char err[256];
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	volatile unsigned long spin = 0;
	int i;

	ck_assert_int_eq(hoststat_open(&st, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(hoststat_sample(&st, &s), 0);
	/* Burn a little CPU so the second sample has jiffies to compare. */
	for (i = 0; i < 50000000; i++)
		spin += (unsigned long)i;
	ck_assert_int_eq(hoststat_sample(&st, &s), 0);
	ck_assert(s.rates_valid);
	ck_assert_int_ge(s.ncpus, 1);
	ck_assert_int_le(s.ncpus, ncpu > HOSTSTAT_MAX_CPUS ? HOSTSTAT_MAX_CPUS : ncpu);
	ck_assert(s.cpu_total_percent >= 0.0f && s.cpu_total_percent <= 100.0f);
	ck_assert_uint_gt(s.mem_total, 0);
	ck_assert_uint_le(s.mem_used + s.mem_cached, s.mem_total);
	hoststat_close(&st);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tui_hoststat");
	TCase *tc = tcase_create("hoststat");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parse_stat);
	tcase_add_test(tc, test_parse_stat_offline_core_and_garbage);
	tcase_add_test(tc, test_parse_meminfo);
	tcase_add_test(tc, test_parse_meminfo_old_kernel_and_bad);
	tcase_add_test(tc, test_whole_disks);
	tcase_add_test(tc, test_parse_diskstats);
	tcase_add_test(tc, test_parse_netdev);
	tcase_add_test(tc, test_rates_from_two_samples);
	tcase_add_test(tc, test_sample_canned_dir);
	tcase_add_test(tc, test_sample_real_proc);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
