/* vm.conf: the INI form of a VM's definition (read with inih), its
 * checks, and reading/writing it in the store. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "net/netcfg.h"
#include "store.h"

#define CONFIG_MIN_MEMORY_MIB 16
#define CONFIG_MAX_VCPUS      64
/* Longer lines than this cannot be a valid vm.conf (the longest value is a
 * path or the command line, 4 KiB each); inih's buffer is sized above it. */
#define CONFIG_MAX_LINE	 (VM_PATH_MAX + 64)
#define CONFIG_MAX_BYTES (1024 * 1024)

/* Keys of [vm] and of [disk N], as indexes into the tables below. */
enum config_vm_key {
	KEY_NAME,
	KEY_KERNEL,
	KEY_INITRD,
	KEY_CMDLINE,
	KEY_VCPUS,
	KEY_MEMORY,
	KEY_VM_COUNT
};
enum config_disk_key { KEY_PATH, KEY_READONLY, KEY_FORMAT, KEY_DISK_COUNT };
enum config_display_key { KEY_VNC, KEY_RESOLUTION, KEY_VNC_PORT, KEY_DISPLAY_COUNT };

static const char *const config_vm_keys[KEY_VM_COUNT] = {"name",    "kernel", "initrd",
							 "cmdline", "vcpus",  "memory"};
static const char *const config_disk_keys[KEY_DISK_COUNT] = {"path", "readonly", "format"};
static const char *const config_display_keys[KEY_DISPLAY_COUNT] = {"vnc", "resolution", "vnc_port"};
enum config_nic_key { KEY_NETWORK, KEY_MAC, KEY_NIC_COUNT };
static const char *const config_nic_keys[KEY_NIC_COUNT] = {"network", "mac"};

/* Parser state shared by the line reader and the inih handler. */
struct config_parse {
	struct store_ini ini;
	const char *vm_dir;
	struct vm_config *cfg;
	int vm_line;		     /* line of [vm], 0 if none */
	int vm_seen[KEY_VM_COUNT];   /* line of each key, 0 if absent */
	int disk_line[VM_MAX_DISKS]; /* line of [disk N], 0 if none */
	int disk_seen[VM_MAX_DISKS][KEY_DISK_COUNT];
	struct vm_disk disks[VM_MAX_DISKS]; /* by section number */
	int display_line;		    /* line of [display], 0 if none */
	int display_seen[KEY_DISPLAY_COUNT];
	int nic_line[VM_MAX_NICS]; /* line of [nicN], 0 if none */
	int nic_seen[VM_MAX_NICS][KEY_NIC_COUNT];
	struct vm_nic nics[VM_MAX_NICS]; /* by section number */
};

/* ---- INI plumbing, shared with network.c (store_ini_*) ---- */

void store_ini_fail(struct store_ini *ini, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (ini->err[0])
		return; /* the first problem is the one to report */
	if (line > 0)
		n = snprintf(ini->err, sizeof(ini->err), "line %d: ", line);
	va_start(ap, fmt);
	vsnprintf(ini->err + n, sizeof(ini->err) - n, fmt, ap);
	va_end(ap);
}

/* Hands a "[name]" line to ini->see_section; anything else is inih's. */
static void store_ini_see_line(struct store_ini *ini, const char *line, size_t len)
{
	const char *end;

	while (len > 0 && isspace((unsigned char)*line)) {
		line++;
		len--;
	}
	if (len == 0 || *line != '[')
		return;
	end = memchr(line, ']', len);
	if (!end)
		return; /* inih reports the syntax error */
	ini->see_section(ini->owner, line + 1, end - line - 1);
}

/* An fgets()-style reader over the text that counts lines, so that the
 * handler (which inih gives no line number) can name the line. */
static char *store_ini_reader(char *buf, int size, void *opaque)
{
	struct store_ini *ini = opaque;
	const char *nl;
	size_t n, linelen;

	if (*ini->next == '\0' || ini->err[0])
		return NULL; /* end of text, or stop at the first problem */
	nl = strchr(ini->next, '\n');
	linelen = nl ? (size_t)(nl - ini->next) + 1 : strlen(ini->next);
	n = linelen < (size_t)size - 1 ? linelen : (size_t)size - 1;
	if (ini->at_line_start) {
		const char *line = ini->next;
		size_t len = linelen;

		ini->lineno++;
		/* inih skips a UTF-8 byte order mark at the very start. */
		if (ini->lineno == 1 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
			line += 3;
			len -= 3;
		}
		if (linelen > ini->max_line) {
			store_ini_fail(ini, ini->lineno, "line too long");
			return NULL;
		}
		store_ini_see_line(ini, line, len);
		if (ini->err[0])
			return NULL;
	}
	memcpy(buf, ini->next, n);
	buf[n] = '\0';
	ini->next += n;
	ini->at_line_start = n > 0 && buf[n - 1] == '\n';
	return buf;
}

int store_ini_find_key(const char *const *keys, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (strcmp(keys[i], name) == 0)
			return i;
	return -1;
}

/* inih's knobs (Debian's libinih makes them run-time globals): long lines,
 * values taken literally (no inline ';' comments, no continuation lines).
 * Set around each parse and restored, so parse from one thread at a time. */
struct store_ini_knobs {
	bool multiline, inline_comments, use_stack, realloc, stop_first;
	int max_line;
};

void store_ini_parse(struct store_ini *ini, const char *text, size_t max_line,
		     void (*see_section)(void *owner, const char *name, size_t len),
		     int (*handler)(void *owner, const char *section, const char *name,
				    const char *value),
		     void *owner)
{
	struct store_ini_knobs saved = {ini_allow_multiline,	 ini_allow_inline_comments,
					ini_use_stack,		 ini_allow_realloc,
					ini_stop_on_first_error, ini_max_line};
	int rc;

	ini->next = text;
	ini->at_line_start = true;
	ini->max_line = max_line;
	ini->see_section = see_section;
	ini->owner = owner;

	ini_allow_multiline = false;
	ini_allow_inline_comments = false;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_stop_on_first_error = true;
	ini_max_line = (int)max_line * 2;
	rc = ini_parse_stream(store_ini_reader, ini, handler, owner);
	ini_allow_multiline = saved.multiline;
	ini_allow_inline_comments = saved.inline_comments;
	ini_use_stack = saved.use_stack;
	ini_allow_realloc = saved.realloc;
	ini_stop_on_first_error = saved.stop_first;
	ini_max_line = saved.max_line;

	if (rc == -2)
		store_ini_fail(ini, 0, "out of memory");
	else if (rc > 0)
		store_ini_fail(ini, rc,
			       "cannot read this line: expected 'key = value', a [section] or a "
			       "comment starting with '#' or ';'");
}

int store_ini_read_file(const char *path, size_t max_bytes, bool regular_only, char **text)
{
	struct stat sb;
	ssize_t n;
	int fd, rc;

	*text = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0 || (regular_only && !S_ISREG(sb.st_mode)) ||
	    sb.st_size > (off_t)max_bytes) {
		close(fd);
		return -EFBIG;
	}
	*text = malloc(sb.st_size + 1);
	if (!*text) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, *text, sb.st_size);
	rc = n < 0 ? -errno : 0;
	if (n < 0 || n > sb.st_size)
		n = 0;
	close(fd);
	if (rc == 0) {
		(*text)[n] = '\0';
		if (strlen(*text) != (size_t)n)
			rc = -EILSEQ;
	}
	if (rc < 0) {
		free(*text);
		*text = NULL;
	}
	return rc;
}

/* ---- vm.conf ---- */

/* "[disk 3]" -> 3; -1 for anything else. */
static int config_disk_section(const char *section)
{
	char *end;
	long n;

	if (strncmp(section, "disk ", 5) != 0 || !isdigit((unsigned char)section[5]))
		return -1;
	n = strtol(section + 5, &end, 10);
	if (*end != '\0' || n < 0 || n >= VM_MAX_DISKS)
		return -1;
	return (int)n;
}

/* "[nic3]" -> 3; -1 for anything else. */
static int config_nic_section(const char *section)
{
	if (strncmp(section, "nic", 3) != 0 || !isdigit((unsigned char)section[3]) ||
	    section[4] != '\0' || section[3] - '0' >= VM_MAX_NICS)
		return -1;
	return section[3] - '0';
}

/* Section headers are checked here, as inih reads them, because inih
 * says nothing about a section that has no keys. */
static void config_see_section(void *owner, const char *name, size_t n)
{
	struct config_parse *cp = owner;
	char section[80];
	int d;

	if (n >= sizeof(section)) {
		store_ini_fail(&cp->ini, cp->ini.lineno, "unknown section [%.*s...]", 20, name);
		return;
	}
	memcpy(section, name, n);
	section[n] = '\0';
	if (strcmp(section, "vm") == 0) {
		if (cp->vm_line)
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "second [vm] section (the first is on line %d)",
				       cp->vm_line);
		cp->vm_line = cp->ini.lineno;
		return;
	}
	if (strcmp(section, "display") == 0) {
		if (cp->display_line)
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "second [display] section (the first is on line %d)",
				       cp->display_line);
		cp->display_line = cp->ini.lineno;
		return;
	}
	d = config_nic_section(section);
	if (d >= 0) {
		if (cp->nic_line[d])
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "second [nic%d] section (the first is on line %d)", d,
				       cp->nic_line[d]);
		cp->nic_line[d] = cp->ini.lineno;
		return;
	}
	if (strncmp(section, "nic", 3) == 0) {
		store_ini_fail(&cp->ini, cp->ini.lineno,
			       "bad NIC section [%s]: use [nic0] to [nic%d]", section,
			       VM_MAX_NICS - 1);
		return;
	}
	d = config_disk_section(section);
	if (d < 0) {
		if (strncmp(section, "disk", 4) == 0)
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "bad disk section [%s]: use [disk N] with N from 0 to %d",
				       section, VM_MAX_DISKS - 1);
		else
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "unknown section [%s] (known: [vm], [disk N], [display] and "
				       "[nicN])",
				       section);
		return;
	}
	if (cp->disk_line[d])
		store_ini_fail(&cp->ini, cp->ini.lineno,
			       "second [disk %d] section (the first is on line %d)", d,
			       cp->disk_line[d]);
	cp->disk_line[d] = cp->ini.lineno;
}

/* Strict decimal: digits only, no sign, no blanks, no suffix. */
static bool config_parse_uint(const char *value, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*value)
		return false;
	for (const char *p = value; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		if (v > (max - (*p - '0')) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return true;
}

static bool config_copy(struct config_parse *cp, char *dst, size_t len, const char *value,
			const char *key)
{
	if (strlen(value) >= len) {
		store_ini_fail(&cp->ini, cp->ini.lineno, "%s is too long (at most %zu characters)",
			       key, len - 1);
		return false;
	}
	strcpy(dst, value);
	return true;
}

static void config_vm_key(struct config_parse *cp, int key, const char *value)
{
	struct vm_config *cfg = cp->cfg;
	char why[256];
	uint64_t v;

	switch (key) {
	case KEY_NAME:
		if (!vm_name_valid(value, why, sizeof(why))) {
			store_ini_fail(&cp->ini, cp->ini.lineno, "%s", why);
			return;
		}
		strcpy(cfg->name, value);
		if (cp->vm_dir) {
			/* The directory is the VM's identity; a copied or hand-made
			 * vm.conf with another name would confuse every command. */
			size_t len = strlen(cp->vm_dir);
			const char *base;

			while (len > 1 && cp->vm_dir[len - 1] == '/')
				len--;
			base = cp->vm_dir + len;
			while (base > cp->vm_dir && base[-1] != '/')
				base--;
			if (strlen(value) != (size_t)(cp->vm_dir + len - base) ||
			    strncmp(base, value, cp->vm_dir + len - base) != 0)
				store_ini_fail(&cp->ini, cp->ini.lineno,
					       "name '%s' does not match the VM's directory '%.*s'",
					       value, (int)(cp->vm_dir + len - base), base);
		}
		return;
	case KEY_KERNEL:
		if (!*value)
			store_ini_fail(&cp->ini, cp->ini.lineno, "kernel is empty");
		else
			config_copy(cp, cfg->kernel, sizeof(cfg->kernel), value, "kernel");
		return;
	case KEY_INITRD:
		config_copy(cp, cfg->initrd, sizeof(cfg->initrd), value, "initrd");
		return;
	case KEY_CMDLINE:
		config_copy(cp, cfg->cmdline, sizeof(cfg->cmdline), value, "cmdline");
		return;
	case KEY_VCPUS:
		if (!config_parse_uint(value, INT32_MAX, &v))
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "vcpus must be a whole number, like "
				       "'vcpus = 2' (got '%s')",
				       value);
		else if (v < 1 || v > CONFIG_MAX_VCPUS)
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "vcpus must be from 1 to %d (got %s)", CONFIG_MAX_VCPUS,
				       value);
		else
			cfg->vcpus = (int)v;
		return;
	case KEY_MEMORY:
		if (!config_parse_uint(value, UINT64_MAX / (1024 * 1024), &v))
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "memory must be a whole number of MiB, like 'memory = 512' "
				       "(got '%s')",
				       value);
		else if (v < CONFIG_MIN_MEMORY_MIB)
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "memory must be at least %d MiB (got %s)",
				       CONFIG_MIN_MEMORY_MIB, value);
		else
			cfg->memory_mib = v;
		return;
	}
}

static void config_disk_key(struct config_parse *cp, int d, int key, const char *value)
{
	struct vm_disk *disk = &cp->disks[d];

	switch (key) {
	case KEY_PATH:
		if (!*value) {
			store_ini_fail(&cp->ini, cp->ini.lineno, "disk path is empty");
		} else if (value[0] == '/') {
			config_copy(cp, disk->path, sizeof(disk->path), value, "disk path");
		} else if (!cp->vm_dir) {
			store_ini_fail(&cp->ini, cp->ini.lineno, "disk path '%s' must be absolute",
				       value);
		} else if (snprintf(disk->path, sizeof(disk->path), "%s/%s", cp->vm_dir, value) >=
			   (int)sizeof(disk->path)) {
			store_ini_fail(&cp->ini, cp->ini.lineno, "disk path is too long");
		}
		return;
	case KEY_READONLY:
		if (!strcasecmp(value, "yes") || !strcasecmp(value, "true"))
			disk->readonly = true;
		else if (!strcasecmp(value, "no") || !strcasecmp(value, "false"))
			disk->readonly = false;
		else
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "readonly must be 'yes' or 'no' (got '%s')", value);
		return;
	case KEY_FORMAT:
		if (strcmp(value, "raw") != 0)
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "disk format '%s' is not supported (use 'raw')", value);
		else
			strcpy(disk->format, value);
		return;
	}
}

static void config_display_key(struct config_parse *cp, int key, const char *value)
{
	struct vm_display *disp = &cp->cfg->display;
	char why[256];
	uint64_t v;

	switch (key) {
	case KEY_VNC:
		if (!strcasecmp(value, "yes") || !strcasecmp(value, "true"))
			disp->enabled = true;
		else if (!strcasecmp(value, "no") || !strcasecmp(value, "false"))
			disp->enabled = false;
		else
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "vnc must be 'yes' or 'no' (got '%s')", value);
		return;
	case KEY_RESOLUTION:
		if (store_parse_resolution(value, &disp->width, &disp->height, why, sizeof(why)))
			store_ini_fail(&cp->ini, cp->ini.lineno, "%s", why);
		return;
	case KEY_VNC_PORT:
		if (!config_parse_uint(value, 65535, &v) || (v != 0 && v < STORE_VNC_PORT_MIN))
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "vnc_port must be 0 (none) or a port from %d to 65535 (got "
				       "'%s')",
				       STORE_VNC_PORT_MIN, value);
		else
			disp->vnc_port = (int)v;
		return;
	}
}

static void config_nic_key(struct config_parse *cp, int n, int key, const char *value)
{
	struct vm_nic *nic = &cp->nics[n];
	char why[256];

	switch (key) {
	case KEY_NETWORK:
		if (!vm_name_valid(value, why, sizeof(why)))
			store_ini_fail(&cp->ini, cp->ini.lineno, "network: %s", why);
		else
			strcpy(nic->network, value);
		return;
	case KEY_MAC:
		if (!netcfg_mac_valid(value))
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "mac '%.*s' is not a unicast MAC address like "
				       "52:54:00:12:34:56",
				       40, value);
		else
			strcpy(nic->mac, value);
		return;
	}
}

static int config_handler(void *opaque, const char *section, const char *name, const char *value)
{
	struct config_parse *cp = opaque;
	int key, d = -1, n = -1, *seen;

	if (cp->ini.err[0])
		return 0;
	if (!*section) {
		store_ini_fail(&cp->ini, cp->ini.lineno,
			       "'%s' is outside any section; put it under [vm]", name);
		return 0;
	}
	if (strcmp(section, "vm") == 0) {
		key = store_ini_find_key(config_vm_keys, KEY_VM_COUNT, name);
		if (key < 0) {
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "unknown key '%s' in [vm] (known: name, kernel, initrd, "
				       "cmdline, vcpus, memory)",
				       name);
			return 0;
		}
		seen = &cp->vm_seen[key];
	} else if ((d = config_disk_section(section)) >= 0) {
		key = store_ini_find_key(config_disk_keys, KEY_DISK_COUNT, name);
		if (key < 0) {
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "unknown key '%s' in [%s] (known: path, readonly, format)",
				       name, section);
			return 0;
		}
		seen = &cp->disk_seen[d][key];
	} else if (strcmp(section, "display") == 0) {
		key = store_ini_find_key(config_display_keys, KEY_DISPLAY_COUNT, name);
		if (key < 0) {
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "unknown key '%s' in [display] (known: vnc, resolution, "
				       "vnc_port)",
				       name);
			return 0;
		}
		seen = &cp->display_seen[key];
	} else if ((n = config_nic_section(section)) >= 0) {
		key = store_ini_find_key(config_nic_keys, KEY_NIC_COUNT, name);
		if (key < 0) {
			store_ini_fail(&cp->ini, cp->ini.lineno,
				       "unknown key '%s' in [%s] (known: network, mac)", name,
				       section);
			return 0;
		}
		seen = &cp->nic_seen[n][key];
	} else {
		/* Already reported by the reader; kept as a safety net. */
		store_ini_fail(&cp->ini, cp->ini.lineno, "unknown section [%s]", section);
		return 0;
	}
	if (*seen) {
		store_ini_fail(&cp->ini, cp->ini.lineno,
			       "duplicate key '%s' in [%s] (first on line %d)", name, section,
			       *seen);
		return 0;
	}
	*seen = cp->ini.lineno;
	if (strcmp(section, "vm") == 0)
		config_vm_key(cp, key, value);
	else if (d >= 0)
		config_disk_key(cp, d, key, value);
	else if (n >= 0)
		config_nic_key(cp, n, key, value);
	else
		config_display_key(cp, key, value);
	return cp->ini.err[0] ? 0 : 1;
}

int store_config_from_ini(const char *text, const char *vm_dir, struct vm_config *out, char *err,
			  size_t errlen)
{
	struct config_parse *cp;

	cp = calloc(1, sizeof(*cp));
	if (!cp) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cp->vm_dir = vm_dir;
	cp->cfg = out;
	memset(out, 0, sizeof(*out));

	store_ini_parse(&cp->ini, text, CONFIG_MAX_LINE, config_see_section, config_handler, cp);
	if (!cp->ini.err[0]) {
		if (!cp->vm_line)
			store_ini_fail(&cp->ini, 0, "no [vm] section");
		for (int k = 0; k < KEY_VM_COUNT; k++)
			if (!cp->vm_seen[k] && k != KEY_INITRD && k != KEY_CMDLINE)
				store_ini_fail(&cp->ini, 0, "missing '%s' in [vm]",
					       config_vm_keys[k]);
	}
	/* No [display] (files from before displays): a serial-only VM. */
	if (!cp->ini.err[0] && cp->display_line) {
		if (!cp->display_seen[KEY_VNC])
			store_ini_fail(&cp->ini, cp->display_line,
				       "[display] has no 'vnc' (use 'vnc = yes' or 'vnc = no')");
		else if (out->display.enabled && !cp->display_seen[KEY_RESOLUTION]) {
			out->display.width = VM_DISPLAY_DEFAULT_WIDTH;
			out->display.height = VM_DISPLAY_DEFAULT_HEIGHT;
		}
	}
	for (int d = 0; d < VM_MAX_DISKS && !cp->ini.err[0]; d++) {
		if (!cp->disk_line[d])
			continue;
		if (!cp->disk_seen[d][KEY_PATH]) {
			store_ini_fail(&cp->ini, cp->disk_line[d], "[disk %d] has no 'path'", d);
			break;
		}
		/* Sections may be numbered with gaps; disks keep their order. */
		out->disks[out->nr_disks] = cp->disks[d];
		if (!out->disks[out->nr_disks].format[0])
			strcpy(out->disks[out->nr_disks].format, "raw");
		out->nr_disks++;
	}
	/* Files from before networks have no NICs: a VM without network. */
	for (int i = 0; i < VM_MAX_NICS && !cp->ini.err[0]; i++) {
		if (!cp->nic_line[i])
			continue;
		if (!cp->nic_seen[i][KEY_NETWORK]) {
			store_ini_fail(&cp->ini, cp->nic_line[i], "[nic%d] has no 'network'", i);
			break;
		}
		if (!cp->nic_seen[i][KEY_MAC]) {
			store_ini_fail(&cp->ini, cp->nic_line[i],
				       "[nic%d] has no 'mac' (like 'mac = 52:54:00:12:34:56'; "
				       "'virtty set' picks one)",
				       i);
			break;
		}
		for (int j = 0; j < i; j++)
			if (cp->nic_line[j] && !strcasecmp(cp->nics[j].mac, cp->nics[i].mac)) {
				store_ini_fail(
				    &cp->ini, cp->nic_seen[i][KEY_MAC],
				    "[nic%d] has the MAC address %s of [nic%d]; each NIC "
				    "needs its own",
				    i, cp->nics[i].mac, j);
				break;
			}
		/* Sections may be numbered with gaps; NICs keep their order. */
		out->nics[out->nr_nics++] = cp->nics[i];
	}
	if (cp->ini.err[0]) {
		snprintf(err, errlen, "%s", cp->ini.err);
		memset(out, 0, sizeof(*out));
		free(cp);
		return -EINVAL;
	}
	free(cp);
	return 0;
}

/* Strings go into the file verbatim, so they must stay on one line. */
static bool config_one_line(const char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\0')
			return false;
	return true;
}

char *store_config_to_ini(const struct vm_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!config_one_line(cfg->name) || !config_one_line(cfg->kernel) ||
	    !config_one_line(cfg->initrd) || !config_one_line(cfg->cmdline)) {
		errno = EINVAL;
		return NULL;
	}
	for (int i = 0; i < cfg->nr_disks; i++)
		if (!config_one_line(cfg->disks[i].path) ||
		    !config_one_line(cfg->disks[i].format)) {
			errno = EINVAL;
			return NULL;
		}
	if (cfg->nr_disks < 0 || cfg->nr_disks > VM_MAX_DISKS || cfg->nr_nics < 0 ||
	    cfg->nr_nics > VM_MAX_NICS) {
		errno = EINVAL;
		return NULL;
	}
	for (int i = 0; i < cfg->nr_nics; i++)
		if (!config_one_line(cfg->nics[i].network) || !config_one_line(cfg->nics[i].mac)) {
			errno = EINVAL;
			return NULL;
		}
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "# virtty VM definition (see docs/store.md).\n"
		   "# Change it with 'virtty set', or edit it while the VM is shut off.\n"
		   "\n[vm]\n");
	fprintf(f, "name = %s\n", cfg->name);
	fprintf(f, "kernel = %s\n", cfg->kernel);
	if (cfg->initrd[0])
		fprintf(f, "initrd = %s\n", cfg->initrd);
	fprintf(f, "cmdline = %s\n", cfg->cmdline);
	fprintf(f, "vcpus = %d\n", cfg->vcpus);
	fprintf(f, "memory = %" PRIu64 "\n", cfg->memory_mib);
	for (int i = 0; i < cfg->nr_disks; i++) {
		const struct vm_disk *d = &cfg->disks[i];

		fprintf(f, "\n[disk %d]\npath = %s\nreadonly = %s\nformat = %s\n", i, d->path,
			d->readonly ? "yes" : "no", d->format[0] ? d->format : "raw");
	}
	/* Written for every VM, also "vnc = no": the file says what the VM
	 * has. A resolution of a removed display is kept for its return. */
	fprintf(f, "\n[display]\nvnc = %s\n", cfg->display.enabled ? "yes" : "no");
	if (cfg->display.width > 0 && cfg->display.height > 0)
		fprintf(f, "resolution = %dx%d\n", cfg->display.width, cfg->display.height);
	if (cfg->display.vnc_port)
		fprintf(f, "vnc_port = %d\n", cfg->display.vnc_port);
	for (int i = 0; i < cfg->nr_nics; i++)
		fprintf(f, "\n[nic%d]\nnetwork = %s\nmac = %s\n", i, cfg->nics[i].network,
			cfg->nics[i].mac);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int store_parse_resolution(const char *text, int *width, int *height, char *err, size_t errlen)
{
	uint64_t w = 0, h = 0;
	const char *x = text;

	/* Strict: digits, an 'x', digits ("1024x768"); nothing else. */
	for (; isdigit((unsigned char)*x); x++)
		if (w <= STORE_DISPLAY_MAX) /* past it: too big, however long */
			w = w * 10 + (uint64_t)(*x - '0');
	if (x == text || (*x != 'x' && *x != 'X') || !isdigit((unsigned char)x[1]))
		goto bad;
	for (x++; isdigit((unsigned char)*x); x++)
		if (h <= STORE_DISPLAY_MAX)
			h = h * 10 + (uint64_t)(*x - '0');
	if (*x)
		goto bad;
	if (w < STORE_DISPLAY_MIN || w > STORE_DISPLAY_MAX || h < STORE_DISPLAY_MIN ||
	    h > STORE_DISPLAY_MAX) {
		snprintf(err, errlen,
			 "resolution '%s': width and height must be from %d to %d pixels", text,
			 STORE_DISPLAY_MIN, STORE_DISPLAY_MAX);
		return -ERANGE;
	}
	*width = (int)w;
	*height = (int)h;
	return 0;
bad:
	snprintf(err, errlen, "resolution '%s': use WIDTHxHEIGHT in pixels, like 1024x768", text);
	return -EINVAL;
}

int store_check_display(const struct vm_display *disp, char *err, size_t errlen)
{
	bool sized = disp->width || disp->height;

	/* A removed display may keep its resolution (0x0 = none kept). */
	if ((disp->enabled || sized) &&
	    (disp->width < STORE_DISPLAY_MIN || disp->width > STORE_DISPLAY_MAX ||
	     disp->height < STORE_DISPLAY_MIN || disp->height > STORE_DISPLAY_MAX)) {
		snprintf(err, errlen,
			 "display resolution %dx%d: width and height must be from %d to %d "
			 "pixels",
			 disp->width, disp->height, STORE_DISPLAY_MIN, STORE_DISPLAY_MAX);
		return -ERANGE;
	}
	if (disp->vnc_port != 0 &&
	    (disp->vnc_port < STORE_VNC_PORT_MIN || disp->vnc_port > 65535)) {
		snprintf(err, errlen,
			 "VNC port %d: use a port from %d to 65535, or 0 for the UNIX socket "
			 "only",
			 disp->vnc_port, STORE_VNC_PORT_MIN);
		return -ERANGE;
	}
	if (disp->vnc_port && !disp->enabled) {
		snprintf(err, errlen, "a VNC port needs a display (vnc = yes)");
		return -EINVAL;
	}
	return 0;
}

/* Host RAM in MiB, 0 if unknown. */
static uint64_t config_host_memory_mib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGE_SIZE);

	if (pages <= 0 || psize <= 0)
		return 0;
	return (uint64_t)pages * (uint64_t)psize / (1024 * 1024);
}

/* A file the VMM will read: absolute, a regular file, readable now. */
static int config_check_file(const char *vm, const char *what, const char *path, char *err,
			     size_t errlen)
{
	struct stat sb;
	int fd, rc;

	if (path[0] != '/') {
		snprintf(err, errlen, "VM '%s': %s '%s': use an absolute path", vm, what, path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "VM '%s': %s '%s': cannot read: %s", vm, what, path,
			 strerror(-rc));
		return rc;
	}
	rc = fstat(fd, &sb) < 0 ? -errno : 0;
	close(fd);
	if (rc == 0 && !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "VM '%s': %s '%s': not a regular file", vm, what, path);
		return -EINVAL;
	}
	return rc;
}

/* NICs: a valid network name each, and MACs that are valid and distinct
 * (a MAC may be "" in a request, where the driver picks one; a stored
 * file always has them: require_mac). Whether the networks exist is the
 * driver's business: the store does not read them here. */
static int config_check_nics(const struct vm_config *cfg, bool require_mac, char *err,
			     size_t errlen)
{
	char why[256];

	if (cfg->nr_nics < 0 || cfg->nr_nics > VM_MAX_NICS) {
		snprintf(err, errlen, "VM '%s': at most %d NICs", cfg->name, VM_MAX_NICS);
		return -EINVAL;
	}
	for (int i = 0; i < cfg->nr_nics; i++) {
		const struct vm_nic *nic = &cfg->nics[i];

		if (!vm_name_valid(nic->network, why, sizeof(why))) {
			snprintf(err, errlen, "VM '%s': NIC %d: network: %s", cfg->name, i, why);
			return -EINVAL;
		}
		if (!nic->mac[0] && !require_mac)
			continue;
		if (!netcfg_mac_valid(nic->mac)) {
			snprintf(err, errlen,
				 "VM '%s': NIC %d: MAC '%.*s' is not a unicast MAC address like "
				 "52:54:00:12:34:56",
				 cfg->name, i, 18, nic->mac);
			return -EINVAL;
		}
		for (int j = 0; j < i; j++)
			if (!strcasecmp(cfg->nics[j].mac, nic->mac)) {
				snprintf(err, errlen,
					 "VM '%s': NICs %d and %d have the same MAC address %s; "
					 "give each its own",
					 cfg->name, j, i, nic->mac);
				return -EINVAL;
			}
	}
	return 0;
}

int store_validate_config(const struct vm_config *cfg, char *err, size_t errlen)
{
	struct stat sb[VM_MAX_DISKS];
	uint64_t host_mib;
	char why[256];
	int rc;

	if (!vm_name_valid(cfg->name, err, errlen))
		return -EINVAL;
	if (cfg->vcpus < 1 || cfg->vcpus > CONFIG_MAX_VCPUS) {
		snprintf(err, errlen, "VM '%s': %d vCPUs: use 1 to %d", cfg->name, cfg->vcpus,
			 CONFIG_MAX_VCPUS);
		return -EINVAL;
	}
	if (cfg->memory_mib < CONFIG_MIN_MEMORY_MIB) {
		snprintf(err, errlen,
			 "VM '%s': memory %" PRIu64 " MiB is too small: use at least "
			 "%d MiB",
			 cfg->name, cfg->memory_mib, CONFIG_MIN_MEMORY_MIB);
		return -EINVAL;
	}
	host_mib = config_host_memory_mib();
	if (host_mib && cfg->memory_mib > host_mib) {
		snprintf(err, errlen,
			 "VM '%s': memory %" PRIu64 " MiB is more than this host's "
			 "%" PRIu64 " MiB of RAM",
			 cfg->name, cfg->memory_mib, host_mib);
		return -EINVAL;
	}
	if (!cfg->kernel[0]) {
		snprintf(err, errlen, "VM '%s': a kernel is required (--kernel PATH)", cfg->name);
		return -EINVAL;
	}
	if (!config_one_line(cfg->kernel) || !config_one_line(cfg->initrd) ||
	    !config_one_line(cfg->cmdline)) {
		snprintf(err, errlen,
			 "VM '%s': paths and the command line must not contain line "
			 "breaks",
			 cfg->name);
		return -EINVAL;
	}
	if (strnlen(cfg->cmdline, sizeof(cfg->cmdline)) >= VM_CMDLINE_MAX) {
		snprintf(err, errlen,
			 "VM '%s': the kernel command line is too long (at most %d "
			 "characters)",
			 cfg->name, VM_CMDLINE_MAX - 1);
		return -EINVAL;
	}
	rc = config_check_file(cfg->name, "kernel", cfg->kernel, err, errlen);
	if (rc < 0)
		return rc;
	if (cfg->initrd[0]) {
		rc = config_check_file(cfg->name, "initrd", cfg->initrd, err, errlen);
		if (rc < 0)
			return rc;
	}
	rc = store_check_display(&cfg->display, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "VM '%s': %s", cfg->name, why);
		return rc;
	}
	rc = config_check_nics(cfg, false, err, errlen);
	if (rc < 0)
		return rc;
	if (cfg->nr_disks < 0 || cfg->nr_disks > VM_MAX_DISKS) {
		snprintf(err, errlen, "VM '%s': at most %d disks", cfg->name, VM_MAX_DISKS);
		return -EINVAL;
	}
	for (int i = 0; i < cfg->nr_disks; i++) {
		const struct vm_disk *d = &cfg->disks[i];

		if (d->path[0] != '/' || !config_one_line(d->path)) {
			snprintf(err, errlen, "VM '%s': disk '%s': use an absolute path", cfg->name,
				 d->path);
			return -EINVAL;
		}
		if (d->format[0] && strcmp(d->format, "raw") != 0) {
			snprintf(err, errlen,
				 "VM '%s': disk '%s': format '%s' is not supported (use raw)",
				 cfg->name, d->path, d->format);
			return -EINVAL;
		}
		if (stat(d->path, &sb[i]) < 0) {
			rc = -errno;
			snprintf(err, errlen, "VM '%s': disk '%s': %s", cfg->name, d->path,
				 strerror(-rc));
			return rc;
		}
		if (!S_ISREG(sb[i].st_mode) && !S_ISBLK(sb[i].st_mode)) {
			snprintf(err, errlen,
				 "VM '%s': disk '%s': not a disk image or block device", cfg->name,
				 d->path);
			return -EINVAL;
		}
		if (access(d->path, d->readonly ? R_OK : R_OK | W_OK) < 0) {
			rc = -errno;
			snprintf(err, errlen, "VM '%s': disk '%s': cannot %s: %s%s", cfg->name,
				 d->path, d->readonly ? "read" : "read and write", strerror(-rc),
				 d->readonly ? "" : " (add ',readonly' to use it read-only)");
			return rc;
		}
		/* The same image twice would be corrupted by two writers. */
		for (int j = 0; j < i; j++)
			if (sb[j].st_dev == sb[i].st_dev && sb[j].st_ino == sb[i].st_ino) {
				snprintf(err, errlen, "VM '%s': disk '%s' is given twice",
					 cfg->name, d->path);
				return -EINVAL;
			}
	}
	return 0;
}

int store_read_config(const struct store *st, const char *name, struct vm_config *out, char *err,
		      size_t errlen)
{
	char path[VM_PATH_MAX], dir[VM_PATH_MAX], why[512];
	char *text;
	int rc;

	if (!vm_name_valid(name, err, errlen))
		return -EINVAL;
	if (store_vm_config_path(st, name, path, sizeof(path)) < 0 ||
	    store_vm_dir(st, name, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "VM '%s': store path too long", name);
		return -ENAMETOOLONG;
	}
	rc = store_ini_read_file(path, CONFIG_MAX_BYTES, false, &text);
	if (rc == -EFBIG) {
		snprintf(err, errlen, "%s: not a VM configuration (too large)", path);
		return rc;
	} else if (rc == -ENOMEM) {
		snprintf(err, errlen, "%s: out of memory", path);
		return rc;
	} else if (rc == -EILSEQ) {
		snprintf(err, errlen,
			 "%s: not a text file (it contains a NUL byte); fix or "
			 "restore it",
			 path);
		return -EINVAL;
	} else if (rc < 0) {
		if (rc == -ENOENT && !store_vm_exists(st, name))
			snprintf(err, errlen, "VM '%s' does not exist; 'virtty list' shows the VMs",
				 name);
		else if (rc == -ENOENT)
			snprintf(err, errlen,
				 "VM '%s' has no configuration file '%s'; 'virtty "
				 "undefine %s' removes what is left of it",
				 name, path, name);
		else
			snprintf(err, errlen, "VM '%s': cannot read '%s': %s", name, path,
				 strerror(-rc));
		return rc;
	}
	rc = store_config_from_ini(text, dir, out, why, sizeof(why));
	free(text);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

int store_write_config(const struct store *st, const struct vm_config *cfg, char *err,
		       size_t errlen)
{
	char path[VM_PATH_MAX];
	char *text;
	int rc;

	rc = store_validate_config(cfg, err, errlen);
	if (rc == 0)
		rc = config_check_nics(cfg, true, err, errlen);
	if (rc < 0)
		return rc;
	if (!store_vm_exists(st, cfg->name)) {
		snprintf(err, errlen, "VM '%s' does not exist; 'virtty list' shows the VMs",
			 cfg->name);
		return -ENOENT;
	}
	if (store_vm_config_path(st, cfg->name, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "VM '%s': store path too long", cfg->name);
		return -ENAMETOOLONG;
	}
	text = store_config_to_ini(cfg);
	if (!text) {
		rc = -errno;
		snprintf(err, errlen, "VM '%s': cannot format its configuration: %s", cfg->name,
			 strerror(-rc));
		return rc;
	}
	rc = atomic_write_file(path, text, strlen(text), 0600, err, errlen);
	free(text);
	return rc;
}
