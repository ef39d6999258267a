/* Host statistics from /proc: the files stay open and are re-read from
 * offset 0 into one reused buffer, so a sample costs four reads and no
 * allocation. The parsers take text and trust nothing in it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hoststat.h"

/* Largest /proc file we read: /proc/stat on a big machine with thousands
 * of interrupt counters stays far below this. */
#define HOSTSTAT_MAX_FILE (4u << 20)

static const char *hoststat_skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads one unsigned decimal field; returns NULL at end of line or on
 * garbage so callers skip the line instead of using a half-parsed value. */
static const char *hoststat_read_u64(const char *p, uint64_t *v)
{
	uint64_t n = 0;

	p = hoststat_skip_space(p);
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p - '0');

		if (n > (UINT64_MAX - d) / 10)
			n = UINT64_MAX; /* saturate rather than wrap */
		else
			n = n * 10 + d;
		p++;
	}
	*v = n;
	return p;
}

static const char *hoststat_next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : p + strlen(p);
}

int hoststat_parse_stat(const char *text, struct hoststat_counters *c)
{
	bool seen_all = false;
	const char *p;

	c->ncpus = 0;
	memset(&c->cpu_all, 0, sizeof(c->cpu_all));
	for (p = text; *p; p = hoststat_next_line(p)) {
		uint64_t v[8] = {0}, total = 0, idle;
		const char *q;
		long idx = -1;
		int i, n;

		if (strncmp(p, "cpu", 3) != 0)
			continue;
		q = p + 3;
		if (isdigit((unsigned char)*q)) {
			char *end;

			idx = strtol(q, &end, 10);
			if (idx < 0 || idx >= HOSTSTAT_MAX_CPUS || (*end != ' ' && *end != '\t'))
				continue;
			q = end;
		} else if (*q != ' ' && *q != '\t') {
			continue;
		}
		/* user nice system idle iowait irq softirq steal: guest time is
		 * already inside user and nice, so it is not added again. */
		for (n = 0; n < 8; n++) {
			const char *r = hoststat_read_u64(q, &v[n]);

			if (!r)
				break;
			q = r;
		}
		if (n < 4)
			continue;
		for (i = 0; i < n; i++)
			total = total + v[i] < total ? UINT64_MAX : total + v[i];
		idle = v[3] + v[4] < v[3] ? UINT64_MAX : v[3] + v[4];
		if (idle > total)
			idle = total;
		if (idx < 0) {
			c->cpu_all.total = total;
			c->cpu_all.busy = total - idle;
			seen_all = true;
		} else {
			/* Offline cores have no line: their slots stay zero. */
			while (c->ncpus <= idx)
				c->cpu[c->ncpus++] = (struct hoststat_cpu_times){0, 0};
			c->cpu[idx].total = total;
			c->cpu[idx].busy = total - idle;
		}
	}
	return seen_all ? 0 : -EINVAL;
}

int hoststat_parse_meminfo(const char *text, struct host_sample *out)
{
	uint64_t total = 0, free_ = 0, avail = 0, buffers = 0, cached = 0, sreclaim = 0;
	uint64_t swap_total = 0, swap_free = 0;
	bool have_total = false, have_avail = false;
	const char *p;

	for (p = text; *p; p = hoststat_next_line(p)) {
		static const struct {
			const char *key;
			size_t off;
		} keys[] = {
		    {"MemTotal:", 0}, {"MemFree:", 1},	    {"MemAvailable:", 2}, {"Buffers:", 3},
		    {"Cached:", 4},   {"SReclaimable:", 5}, {"SwapTotal:", 6},	  {"SwapFree:", 7},
		};
		uint64_t *dst[] = {&total,  &free_,    &avail,	    &buffers,
				   &cached, &sreclaim, &swap_total, &swap_free};
		size_t i;

		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t klen = strlen(keys[i].key);
			uint64_t kib;
			const char *q;

			if (strncmp(p, keys[i].key, klen) != 0)
				continue;
			q = hoststat_read_u64(p + klen, &kib);
			if (!q)
				break;
			/* Values are in kB; refuse anything that would overflow. */
			*dst[keys[i].off] = kib > UINT64_MAX / 1024 ? UINT64_MAX : kib * 1024;
			if (keys[i].off == 0)
				have_total = true;
			if (keys[i].off == 2)
				have_avail = true;
			break;
		}
	}
	if (!have_total || total == 0)
		return -EINVAL;
	/* As free(1) shows it: buff/cache counts reclaimable slab, and "used"
	 * is what is neither free nor cache. */
	out->mem_total = total;
	out->mem_cached = buffers + cached + sreclaim;
	if (out->mem_cached > total)
		out->mem_cached = total;
	if (free_ > total)
		free_ = total;
	out->mem_used = total - free_ > out->mem_cached ? total - free_ - out->mem_cached : 0;
	/* Kernels before 3.14 have no MemAvailable: approximate it. */
	out->mem_available = have_avail ? avail : free_ + out->mem_cached;
	if (out->mem_available > total)
		out->mem_available = total;
	out->swap_total = swap_total;
	out->swap_used = swap_total > swap_free ? swap_total - swap_free : 0;
	return 0;
}

static bool hoststat_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool hoststat_is_whole_disk(const char *name)
{
	static const char *const virtual_prefixes[] = {"loop", "ram", "zram", "dm-", "md", "nbd"};
	static const char *const letter_disks[] = {"sd", "hd", "vd", "xvd"};
	size_t len = strlen(name), i;

	if (len == 0)
		return false;
	for (i = 0; i < sizeof(virtual_prefixes) / sizeof(virtual_prefixes[0]); i++)
		if (hoststat_has_prefix(name, virtual_prefixes[i]))
			return false;
	/* sda, vdb, xvdc: the disk ends in a letter, its partitions in digits. */
	for (i = 0; i < sizeof(letter_disks) / sizeof(letter_disks[0]); i++)
		if (hoststat_has_prefix(name, letter_disks[i]) &&
		    isalpha((unsigned char)name[strlen(letter_disks[i])]))
			return !isdigit((unsigned char)name[len - 1]);
	/* nvme0n1p2, mmcblk0p1: a disk ending in a digit gets "pN" partitions. */
	i = len;
	while (i > 0 && isdigit((unsigned char)name[i - 1]))
		i--;
	if (i < len && i >= 2 && name[i - 1] == 'p' && isdigit((unsigned char)name[i - 2]))
		return false;
	return true;
}

int hoststat_parse_diskstats(const char *text, uint64_t *read_bytes, uint64_t *write_bytes)
{
	uint64_t rd = 0, wr = 0;
	bool any = false;
	const char *p;

	for (p = text; *p; p = hoststat_next_line(p)) {
		uint64_t major, minor, v[7];
		char name[64];
		const char *q;
		size_t n = 0;
		int i;

		q = hoststat_read_u64(p, &major);
		if (!q)
			continue;
		q = hoststat_read_u64(q, &minor);
		if (!q)
			continue;
		q = hoststat_skip_space(q);
		while (*q && *q != ' ' && *q != '\t' && *q != '\n' && n < sizeof(name) - 1)
			name[n++] = *q++;
		name[n] = '\0';
		if (n == 0 || (*q != ' ' && *q != '\t'))
			continue; /* empty or over-long name */
		/* reads, reads merged, sectors read, ms reading, writes, writes
		 * merged, sectors written */
		for (i = 0; i < 7; i++) {
			q = hoststat_read_u64(q, &v[i]);
			if (!q)
				break;
		}
		if (i < 7)
			continue;
		any = true;
		if (!hoststat_is_whole_disk(name))
			continue;
		/* diskstats counts 512-byte sectors whatever the device's block size. */
		rd += v[2] * 512;
		wr += v[6] * 512;
	}
	*read_bytes = rd;
	*write_bytes = wr;
	return any ? 0 : -EINVAL;
}

int hoststat_parse_netdev(const char *text, uint64_t *rx_bytes, uint64_t *tx_bytes)
{
	uint64_t rx = 0, tx = 0;
	bool any = false;
	const char *p;

	for (p = text; *p; p = hoststat_next_line(p)) {
		const char *nl = strchr(p, '\n');
		const char *colon = memchr(p, ':', nl ? (size_t)(nl - p) : strlen(p));
		const char *name = hoststat_skip_space(p), *q;
		uint64_t v[9];
		int i;

		/* The two header lines have '|' and no ':'. */
		if (!colon || colon == name)
			continue;
		/* Counters may follow the colon without a space ("eth0:1234"). */
		q = colon + 1;
		for (i = 0; i < 9; i++) {
			q = hoststat_read_u64(q, &v[i]);
			if (!q)
				break;
		}
		if (i < 9)
			continue;
		any = true;
		if (colon - name == 2 && strncmp(name, "lo", 2) == 0)
			continue;
		rx += v[0];
		tx += v[8];
	}
	*rx_bytes = rx;
	*tx_bytes = tx;
	return any ? 0 : -EINVAL;
}

static float hoststat_percent(const struct hoststat_cpu_times *a,
			      const struct hoststat_cpu_times *b)
{
	uint64_t dt, db;

	/* A counter going backwards (core hot-plugged, wrap) gives no figure. */
	if (b->total <= a->total || b->busy < a->busy)
		return 0.0f;
	dt = b->total - a->total;
	db = b->busy - a->busy;
	if (db > dt)
		db = dt;
	return (float)(100.0 * (double)db / (double)dt);
}

static double hoststat_rate(uint64_t a, uint64_t b, double seconds)
{
	/* A device that went away makes the sum shrink: show 0, not a negative. */
	if (b < a || seconds <= 0)
		return 0.0;
	return (double)(b - a) / seconds;
}

void hoststat_compute(const struct hoststat_counters *prev, const struct hoststat_counters *now,
		      struct host_sample *out)
{
	double seconds;
	int i;

	out->time_ns = now->time_ns;
	out->ncpus = now->ncpus;
	if (!prev || now->time_ns <= prev->time_ns) {
		for (i = 0; i < now->ncpus; i++)
			out->cpu_percent[i] = 0.0f;
		out->cpu_total_percent = 0.0f;
		out->disk_read_bps = out->disk_write_bps = 0.0;
		out->net_rx_bps = out->net_tx_bps = 0.0;
		out->rates_valid = false;
		return;
	}
	seconds = (double)(now->time_ns - prev->time_ns) / 1e9;
	for (i = 0; i < now->ncpus; i++)
		out->cpu_percent[i] =
		    i < prev->ncpus ? hoststat_percent(&prev->cpu[i], &now->cpu[i]) : 0.0f;
	out->cpu_total_percent = hoststat_percent(&prev->cpu_all, &now->cpu_all);
	out->disk_read_bps = hoststat_rate(prev->disk_read_bytes, now->disk_read_bytes, seconds);
	out->disk_write_bps = hoststat_rate(prev->disk_write_bytes, now->disk_write_bytes, seconds);
	out->net_rx_bps = hoststat_rate(prev->net_rx_bytes, now->net_rx_bytes, seconds);
	out->net_tx_bps = hoststat_rate(prev->net_tx_bytes, now->net_tx_bytes, seconds);
	out->rates_valid = true;
}

static int hoststat_open_one(const char *root, const char *name)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, name) >= sizeof(path))
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

int hoststat_open(struct hoststat *st, const char *proc_root, char *err, size_t errlen)
{
	const char *root = proc_root ? proc_root : "/proc";

	memset(st, 0, sizeof(*st));
	st->fd_stat = hoststat_open_one(root, "stat");
	if (st->fd_stat < 0) {
		int e = errno;

		snprintf(err, errlen, "%s/stat: cannot open: %s", root, strerror(e));
		st->fd_meminfo = st->fd_diskstats = st->fd_netdev = -1;
		return -e;
	}
	/* The others are optional: a container may hide them; their figures
	 * then stay at zero. */
	st->fd_meminfo = hoststat_open_one(root, "meminfo");
	st->fd_diskstats = hoststat_open_one(root, "diskstats");
	st->fd_netdev = hoststat_open_one(root, "net/dev");
	st->buflen = 16384;
	st->buf = malloc(st->buflen);
	if (!st->buf) {
		hoststat_close(st);
		snprintf(err, errlen, "host statistics: out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void hoststat_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void hoststat_close(struct hoststat *st)
{
	hoststat_close_fd(&st->fd_stat);
	hoststat_close_fd(&st->fd_meminfo);
	hoststat_close_fd(&st->fd_diskstats);
	hoststat_close_fd(&st->fd_netdev);
	free(st->buf);
	st->buf = NULL;
	st->buflen = 0;
}

/* Re-reads a /proc file from the start (the kernel regenerates it) into
 * the shared buffer, growing it when a file outgrows it. */
static const char *hoststat_read_fd(struct hoststat *st, int fd)
{
	size_t used = 0;

	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return NULL;
	for (;;) {
		ssize_t n;

		if (used + 1 >= st->buflen) {
			char *nb;

			if (st->buflen >= HOSTSTAT_MAX_FILE)
				break; /* keep what we have: the first lines matter */
			nb = realloc(st->buf, st->buflen * 2);
			if (!nb)
				break;
			st->buf = nb;
			st->buflen *= 2;
		}
		n = read(fd, st->buf + used, st->buflen - 1 - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	st->buf[used] = '\0';
	return st->buf;
}

int hoststat_sample(struct hoststat *st, struct host_sample *out)
{
	struct hoststat_counters now;
	struct timespec ts;
	const char *text;
	int ret;

	memset(&now, 0, sizeof(now));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;

	text = hoststat_read_fd(st, st->fd_stat);
	if (!text)
		return -EIO;
	ret = hoststat_parse_stat(text, &now);
	if (ret < 0)
		return ret;

	out->mem_total = out->mem_used = out->mem_cached = out->mem_available = 0;
	out->swap_total = out->swap_used = 0;
	text = hoststat_read_fd(st, st->fd_meminfo);
	if (text)
		hoststat_parse_meminfo(text, out);
	text = hoststat_read_fd(st, st->fd_diskstats);
	if (text)
		hoststat_parse_diskstats(text, &now.disk_read_bytes, &now.disk_write_bytes);
	text = hoststat_read_fd(st, st->fd_netdev);
	if (text)
		hoststat_parse_netdev(text, &now.net_rx_bytes, &now.net_tx_bytes);

	hoststat_compute(st->have_prev ? &st->prev : NULL, &now, out);
	st->prev = now;
	st->have_prev = true;
	return 0;
}
