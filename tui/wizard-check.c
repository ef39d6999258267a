/* The New VM wizard's input checks (wizard-check.h): names, files, CPUs,
 * memory, disk sizes and screen sizes, with the messages shown next to
 * the fields. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "store/store.h"
#include "wizard-check.h"

#define MIB (1ULL << 20)

void wizard_host_probe(struct wizard_host *host)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	host->cpus = n > 0 ? (int)n : 1;
	host->mem_bytes = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
}

/* "23.5 GiB", "512 MiB": as the header's MEM figure, one decimal. */
static void wizard_format_mem(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= (1ULL << 30))
		snprintf(buf, len, "%.1f GiB", (double)bytes / (1ULL << 30));
	else
		snprintf(buf, len, "%llu MiB", (unsigned long long)(bytes >> 20));
}

void wizard_host_describe(const struct wizard_host *host, char *buf, size_t len)
{
	char mem[32];

	wizard_format_mem(host->mem_bytes, mem, sizeof(mem));
	snprintf(buf, len, "this host: %d CPU%s, %s", host->cpus, host->cpus == 1 ? "" : "s", mem);
}

int wizard_check_name(const char *name, const char *const *existing, int n, char *msg, size_t len)
{
	if (!name[0]) {
		snprintf(msg, len, "a name is required");
		return -EINVAL;
	}
	if (!vm_name_valid(name, msg, len))
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		if (!strcmp(existing[i], name)) {
			snprintf(msg, len, "VM '%s' already exists", name);
			return -EEXIST;
		}
	}
	msg[0] = '\0';
	return 0;
}

int wizard_check_file(const char *path, const char *what, int optional, char *msg, size_t len)
{
	struct stat st;

	if (!path[0]) {
		if (optional) {
			msg[0] = '\0';
			return 0;
		}
		snprintf(msg, len, "a %s is required", what);
		return -EINVAL;
	}
	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		int e = errno;

		/* The path is right beside the message: no need to repeat it. */
		snprintf(msg, len, "%s: %s", what, strerror(e));
		return -e;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(msg, len, "%s: is a directory", what);
		return -EISDIR;
	}
	msg[0] = '\0';
	return 0;
}

int wizard_check_cpus(const char *text, const struct wizard_host *host, int *vcpus, char *msg,
		      size_t len)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (!text[0] || *end || errno || v < 1 || v > WIZARD_MAX_VCPUS) {
		snprintf(msg, len, "vCPUs must be 1 to %d", WIZARD_MAX_VCPUS);
		return -EINVAL;
	}
	*vcpus = (int)v;
	if (v > host->cpus) {
		snprintf(msg, len, "more than this host's %d CPU%s: they will share", host->cpus,
			 host->cpus == 1 ? "" : "s");
		return 1;
	}
	msg[0] = '\0';
	return 0;
}

int wizard_check_memory(const char *text, const struct wizard_host *host, uint64_t *mib, char *msg,
			size_t len)
{
	uint64_t bytes;
	int r;

	r = parse_size(text, MIB, false, &bytes, msg, len);
	if (r < 0)
		return r;
	if (bytes < WIZARD_MIN_MEMORY_MIB * MIB) {
		snprintf(msg, len, "memory must be at least %d MiB", WIZARD_MIN_MEMORY_MIB);
		return -EINVAL;
	}
	if (host->mem_bytes && bytes > host->mem_bytes) {
		char b[32];

		wizard_format_mem(host->mem_bytes, b, sizeof(b));
		snprintf(msg, len, "more than this host's %s", b);
		return -E2BIG;
	}
	if (bytes % MIB) {
		snprintf(msg, len, "memory must be a whole number of MiB");
		return -EINVAL;
	}
	*mib = bytes / MIB;
	msg[0] = '\0';
	return 0;
}

int wizard_check_disk_size(const char *text, uint64_t *bytes, char *msg, size_t len)
{
	int r = parse_size(text, MIB, false, bytes, msg, len);

	if (r < 0)
		return r;
	if (*bytes % 512) {
		snprintf(msg, len, "size must be a multiple of 512 bytes");
		return -EINVAL;
	}
	msg[0] = '\0';
	return 0;
}

int wizard_check_resolution(const char *text, int *width, int *height, char *msg, size_t len)
{
	char why[256];
	int r;

	if (!text[0]) {
		snprintf(msg, len, "a size is required, like 1280x800");
		return -EINVAL;
	}
	r = store_parse_resolution(text, width, height, why, sizeof(why));
	if (r < 0) {
		/* The field shows the text: say only what is wrong. */
		if (r == -ERANGE)
			snprintf(msg, len, "width and height must be %d to %d pixels",
				 STORE_DISPLAY_MIN, STORE_DISPLAY_MAX);
		else
			snprintf(msg, len, "use WIDTHxHEIGHT, like 1280x800");
		return r;
	}
	msg[0] = '\0';
	return 0;
}
