/* The New VM wizard's checks on what the user typed (wizard-newvm.c calls
 * them as field validators): pure functions, no terminal, no driver, so
 * the tests can hit each bad input directly. Each returns 0 when fine,
 * > 0 for a warning (accepted), < 0 (negative errno) with msg saying why. */
#ifndef VIRTTY_TUI_WIZARD_CHECK_H
#define VIRTTY_TUI_WIZARD_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define WIZARD_MAX_VCPUS      64
#define WIZARD_MIN_MEMORY_MIB 16

/* What the wizard tells about the host and bounds its figures by. */
struct wizard_host {
	int cpus;
	uint64_t mem_bytes;
};

/* Read the host's CPUs and RAM (sysconf: instant, never blocks). */
void wizard_host_probe(struct wizard_host *host);
/* "this host: 2 CPUs, 23.5 GiB" */
void wizard_host_describe(const struct wizard_host *host, char *buf, size_t len);

/* A valid VM name not among existing[0..n). */
int wizard_check_name(const char *name, const char *const *existing, int n, char *msg, size_t len);
/* A file that exists and is readable; what names it in messages
 * ("kernel", "initrd", "disk image"); optional: "" is fine. */
int wizard_check_file(const char *path, const char *what, int optional, char *msg, size_t len);
/* vCPUs: 1..WIZARD_MAX_VCPUS; warns above the host's CPUs. */
int wizard_check_cpus(const char *text, const struct wizard_host *host, int *vcpus, char *msg,
		      size_t len);
/* Memory as parse_size reads it (plain numbers MiB), >= 16 MiB, <= the
 * host's RAM, whole MiB. */
int wizard_check_memory(const char *text, const struct wizard_host *host, uint64_t *mib, char *msg,
			size_t len);
/* Size of a new disk (plain numbers MiB, like `--disk new:SIZE`): not 0,
 * a multiple of 512 bytes. */
int wizard_check_disk_size(const char *text, uint64_t *bytes, char *msg, size_t len);
/* A screen size "WIDTHxHEIGHT", 64 to 4096 pixels each. */
int wizard_check_resolution(const char *text, int *width, int *height, char *msg, size_t len);

#endif
