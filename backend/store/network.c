/* Networks in the store: <root>/networks/<name>.conf (an INI file read
 * with inih), their runtime directories and locks, and the `default`
 * network every new store starts with. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/netcfg.h"
#include "store.h"

/* Every value is short (the longest is a name); a file this big is not
 * a network definition. */
#define NETWORK_MAX_LINE  256
#define NETWORK_MAX_BYTES (256 * 1024)

enum network_key {
	NKEY_MODE,
	NKEY_SUBNET,
	NKEY_DHCP_START,
	NKEY_DHCP_END,
	NKEY_BRIDGE,
	NKEY_AUTOSTART,
	NKEY_COUNT
};
enum forward_key {
	FKEY_PROTO,
	FKEY_HOST_ADDR,
	FKEY_HOST_PORT,
	FKEY_GUEST_VM,
	FKEY_GUEST_ADDR,
	FKEY_GUEST_PORT,
	FKEY_COUNT
};

static const char *const network_keys[NKEY_COUNT] = {"mode",	 "subnet", "dhcp_start",
						     "dhcp_end", "bridge", "autostart"};
static const char *const forward_keys[FKEY_COUNT] = {"proto",	 "host_addr",  "host_port",
						     "guest_vm", "guest_addr", "guest_port"};

/* Parser state shared by the line reader and the inih handler. */
struct network_parse {
	struct store_ini ini;
	struct net_config *cfg;
	int network_line; /* line of [network], 0 if none */
	int network_seen[NKEY_COUNT];
	int forward_line[NET_MAX_FORWARDS]; /* line of each [forward] */
	int forward_seen[NET_MAX_FORWARDS][FKEY_COUNT];
};

/* Section headers are seen here, as the reader hands lines to inih: inih
 * gives the handler the name of a section but not which [forward] of
 * several it is, nor anything for a section without keys. */
static void network_see_section(void *owner, const char *name, size_t n)
{
	struct network_parse *np = owner;

	if (n == 7 && !strncmp(name, "network", 7)) {
		if (np->network_line)
			store_ini_fail(&np->ini, np->ini.lineno,
				       "second [network] section (the first is on line %d)",
				       np->network_line);
		np->network_line = np->ini.lineno;
	} else if (n == 7 && !strncmp(name, "forward", 7)) {
		if (np->cfg->nr_forwards == NET_MAX_FORWARDS) {
			store_ini_fail(&np->ini, np->ini.lineno, "more than %d [forward] sections",
				       NET_MAX_FORWARDS);
			return;
		}
		np->forward_line[np->cfg->nr_forwards++] = np->ini.lineno;
	} else {
		store_ini_fail(&np->ini, np->ini.lineno,
			       "unknown section [%.*s] (known: [network] and [forward])",
			       (int)(n > 40 ? 40 : n), name);
	}
}

/* Strict decimal 1..65535. */
static bool network_parse_port(const char *value, uint16_t *out)
{
	unsigned long v = 0;

	if (!*value || strlen(value) > 5)
		return false;
	for (const char *p = value; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* An address key: checked, then copied. */
static void network_addr(struct network_parse *np, char *dst, size_t len, const char *value,
			 const char *key)
{
	char why[160];
	uint32_t a;

	if (netcfg_parse_addr(value, &a, why, sizeof(why)) < 0)
		store_ini_fail(&np->ini, np->ini.lineno, "%s: %s", key, why);
	else
		snprintf(dst, len, "%s", value);
}

static void network_key(struct network_parse *np, int key, const char *value)
{
	struct net_config *cfg = np->cfg;
	struct ipv4_subnet s;
	char why[256];

	switch (key) {
	case NKEY_MODE:
		if (net_mode_parse(value, &cfg->mode, why, sizeof(why)) < 0)
			store_ini_fail(&np->ini, np->ini.lineno, "%s", why);
		return;
	case NKEY_SUBNET:
		if (netcfg_parse_subnet(value, &s, why, sizeof(why)) < 0)
			store_ini_fail(&np->ini, np->ini.lineno, "%s", why);
		else
			snprintf(cfg->subnet, sizeof(cfg->subnet), "%s", value);
		return;
	case NKEY_DHCP_START:
		network_addr(np, cfg->dhcp_start, sizeof(cfg->dhcp_start), value, "dhcp_start");
		return;
	case NKEY_DHCP_END:
		network_addr(np, cfg->dhcp_end, sizeof(cfg->dhcp_end), value, "dhcp_end");
		return;
	case NKEY_BRIDGE:
		if (!*value || strlen(value) >= sizeof(cfg->bridge))
			store_ini_fail(&np->ini, np->ini.lineno,
				       "bridge must be an interface name of 1 to %zu characters "
				       "(got '%.*s')",
				       sizeof(cfg->bridge) - 1, 40, value);
		else
			strcpy(cfg->bridge, value);
		return;
	case NKEY_AUTOSTART:
		if (!strcasecmp(value, "yes") || !strcasecmp(value, "true"))
			cfg->autostart = true;
		else if (!strcasecmp(value, "no") || !strcasecmp(value, "false"))
			cfg->autostart = false;
		else
			store_ini_fail(&np->ini, np->ini.lineno,
				       "autostart must be 'yes' or 'no' (got '%.*s')", 40, value);
		return;
	}
}

static void network_forward_key(struct network_parse *np, struct net_forward *fwd, int key,
				const char *value)
{
	char why[256];

	switch (key) {
	case FKEY_PROTO:
		if (!strcmp(value, "tcp") || !strcmp(value, "udp"))
			fwd->udp = value[0] == 'u';
		else
			store_ini_fail(&np->ini, np->ini.lineno,
				       "proto must be 'tcp' or 'udp' (got '%.*s')", 40, value);
		return;
	case FKEY_HOST_ADDR:
		network_addr(np, fwd->host_addr, sizeof(fwd->host_addr), value, "host_addr");
		return;
	case FKEY_GUEST_ADDR:
		network_addr(np, fwd->guest_addr, sizeof(fwd->guest_addr), value, "guest_addr");
		return;
	case FKEY_HOST_PORT:
	case FKEY_GUEST_PORT:
		if (!network_parse_port(value,
					key == FKEY_HOST_PORT ? &fwd->host_port : &fwd->guest_port))
			store_ini_fail(&np->ini, np->ini.lineno,
				       "%s must be a port from 1 to 65535 (got '%.*s')",
				       forward_keys[key], 40, value);
		return;
	case FKEY_GUEST_VM:
		if (!vm_name_valid(value, why, sizeof(why)))
			store_ini_fail(&np->ini, np->ini.lineno, "guest_vm: %s", why);
		else
			strcpy(fwd->guest_vm, value);
		return;
	}
}

static int network_handler(void *opaque, const char *section, const char *name, const char *value)
{
	struct network_parse *np = opaque;
	bool forward = !strcmp(section, "forward");
	int key, f = np->cfg->nr_forwards - 1, *seen;

	if (np->ini.err[0])
		return 0;
	if (!*section) {
		store_ini_fail(&np->ini, np->ini.lineno,
			       "'%s' is outside any section; put it under [network]", name);
		return 0;
	}
	if (forward && f < 0) {
		store_ini_fail(&np->ini, np->ini.lineno, "'%s' is outside any [forward] section",
			       name);
		return 0;
	}
	if (forward) {
		key = store_ini_find_key(forward_keys, FKEY_COUNT, name);
		if (key < 0) {
			store_ini_fail(&np->ini, np->ini.lineno,
				       "unknown key '%.*s' in [forward] (known: proto, host_addr, "
				       "host_port, guest_vm, guest_addr, guest_port)",
				       40, name);
			return 0;
		}
		seen = &np->forward_seen[f][key];
	} else {
		key = store_ini_find_key(network_keys, NKEY_COUNT, name);
		if (key < 0) {
			store_ini_fail(&np->ini, np->ini.lineno,
				       "unknown key '%.*s' in [network] (known: mode, subnet, "
				       "dhcp_start, dhcp_end, bridge, autostart)",
				       40, name);
			return 0;
		}
		seen = &np->network_seen[key];
	}
	if (*seen) {
		store_ini_fail(&np->ini, np->ini.lineno,
			       "duplicate key '%s' in [%s] (first on line %d)", name, section,
			       *seen);
		return 0;
	}
	*seen = np->ini.lineno;
	if (forward)
		network_forward_key(np, &np->cfg->forwards[f], key, value);
	else
		network_key(np, key, value);
	return np->ini.err[0] ? 0 : 1;
}

/* A [forward] needs both ports, a protocol, and one guest. */
static void network_check_forward(struct network_parse *np, int f)
{
	int *seen = np->forward_seen[f], line = np->forward_line[f];

	if (!seen[FKEY_PROTO])
		store_ini_fail(&np->ini, line, "[forward] has no 'proto' (tcp or udp)");
	else if (!seen[FKEY_HOST_PORT])
		store_ini_fail(&np->ini, line, "[forward] has no 'host_port'");
	else if (!seen[FKEY_GUEST_PORT])
		store_ini_fail(&np->ini, line, "[forward] has no 'guest_port'");
	else if (!seen[FKEY_GUEST_VM] && !seen[FKEY_GUEST_ADDR])
		store_ini_fail(&np->ini, line,
			       "[forward] has no guest: give 'guest_vm' (nat) or 'guest_addr' "
			       "(natnet)");
	else if (seen[FKEY_GUEST_VM] && seen[FKEY_GUEST_ADDR])
		store_ini_fail(&np->ini, line,
			       "[forward] has both 'guest_vm' and 'guest_addr'; keep one");
}

int store_net_config_from_ini(const char *text, const char *name, struct net_config *out, char *err,
			      size_t errlen)
{
	struct network_parse *np;
	char why[512];

	memset(out, 0, sizeof(*out));
	if (!vm_name_valid(name, why, sizeof(why))) {
		snprintf(err, errlen, "network: %s", why);
		return -EINVAL;
	}
	np = calloc(1, sizeof(*np));
	if (!np) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	np->cfg = out;
	strcpy(out->name, name);

	store_ini_parse(&np->ini, text, NETWORK_MAX_LINE, network_see_section, network_handler, np);
	if (!np->ini.err[0] && !np->network_line)
		store_ini_fail(&np->ini, 0, "no [network] section");
	if (!np->ini.err[0] && !np->network_seen[NKEY_MODE])
		store_ini_fail(&np->ini, np->network_line,
			       "[network] has no 'mode' (nat, natnet, internal, hostonly or "
			       "bridged)");
	for (int f = 0; f < out->nr_forwards && !np->ini.err[0]; f++)
		network_check_forward(np, f);
	/* Each value is fine on its own; now the definition as a whole
	 * (DHCP range in the subnet, fields the mode takes, ...). */
	if (!np->ini.err[0] &&
	    netcfg_validate(out, NULL, 0, NULL, 0, NULL, 0, why, sizeof(why)) < 0)
		store_ini_fail(&np->ini, 0, "%s", why);
	if (np->ini.err[0]) {
		snprintf(err, errlen, "%s", np->ini.err);
		memset(out, 0, sizeof(*out));
		free(np);
		return -EINVAL;
	}
	free(np);
	return 0;
}

static bool network_one_line(const char *s)
{
	return !strpbrk(s, "\r\n");
}

char *store_net_config_to_ini(const struct net_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!vm_name_valid(cfg->name, NULL, 0) || (unsigned)cfg->mode >= NET_MODE_COUNT ||
	    cfg->nr_forwards < 0 || cfg->nr_forwards > NET_MAX_FORWARDS ||
	    !network_one_line(cfg->subnet) || !network_one_line(cfg->dhcp_start) ||
	    !network_one_line(cfg->dhcp_end) || !network_one_line(cfg->bridge)) {
		errno = EINVAL;
		return NULL;
	}
	for (int i = 0; i < cfg->nr_forwards; i++) {
		const struct net_forward *fw = &cfg->forwards[i];

		if (!network_one_line(fw->host_addr) || !network_one_line(fw->guest_vm) ||
		    !network_one_line(fw->guest_addr)) {
			errno = EINVAL;
			return NULL;
		}
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f,
		"# virtty network '%s' (see docs/store.md).\n"
		"# Change it with 'virtty net-*' commands, or edit it while it is inactive.\n"
		"\n[network]\nmode = %s\n",
		cfg->name, net_mode_name(cfg->mode));
	if (cfg->subnet[0])
		fprintf(f, "subnet = %s\n", cfg->subnet);
	if (cfg->dhcp_start[0])
		fprintf(f, "dhcp_start = %s\n", cfg->dhcp_start);
	if (cfg->dhcp_end[0])
		fprintf(f, "dhcp_end = %s\n", cfg->dhcp_end);
	if (cfg->bridge[0])
		fprintf(f, "bridge = %s\n", cfg->bridge);
	fprintf(f, "autostart = %s\n", cfg->autostart ? "yes" : "no");
	for (int i = 0; i < cfg->nr_forwards; i++) {
		const struct net_forward *fw = &cfg->forwards[i];

		fprintf(f, "\n[forward]\nproto = %s\n", fw->udp ? "udp" : "tcp");
		if (fw->host_addr[0])
			fprintf(f, "host_addr = %s\n", fw->host_addr);
		fprintf(f, "host_port = %u\n", fw->host_port);
		if (fw->guest_vm[0])
			fprintf(f, "guest_vm = %s\n", fw->guest_vm);
		if (fw->guest_addr[0])
			fprintf(f, "guest_addr = %s\n", fw->guest_addr);
		fprintf(f, "guest_port = %u\n", fw->guest_port);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- files and directories ---- */

static int network_dir(const struct store *st, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/networks", st->root) >= (int)len ? -ENAMETOOLONG : 0;
}

int store_net_config_path(const struct store *st, const char *name, char *buf, size_t len)
{
	if (!vm_name_valid(name, NULL, 0))
		return -EINVAL;
	if (snprintf(buf, len, "%s/networks/%s.conf", st->root, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int store_net_runtime_dir(const struct store *st, const char *name, char *buf, size_t len)
{
	if (!vm_name_valid(name, NULL, 0))
		return -EINVAL;
	if (snprintf(buf, len, "%s/.net/%s", st->runtime, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

bool store_net_exists(const struct store *st, const char *name)
{
	char path[VM_PATH_MAX];
	struct stat sb;

	if (store_net_config_path(st, name, path, sizeof(path)) < 0)
		return false;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int network_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_list_networks(const struct store *st, char ***names, int *count, char *err, size_t errlen)
{
	char dir[VM_PATH_MAX], name[VM_NAME_MAX + 1];
	char **list = NULL;
	int n = 0, cap = 0, rc;
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*count = 0;
	if (network_dir(st, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "store path too long");
		return -ENAMETOOLONG;
	}
	d = opendir(dir);
	if (!d) {
		rc = -errno;
		if (rc == -ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read the networks in '%s': %s", dir, strerror(-rc));
		return rc;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		/* NAME.conf with a valid NAME; temp files start with '.'. */
		if (len <= 5 || len - 5 > VM_NAME_MAX || strcmp(de->d_name + len - 5, ".conf"))
			continue;
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = '\0';
		if (!vm_name_valid(name, NULL, 0) || !store_net_exists(st, name))
			continue;
		if (n == cap) {
			char **bigger;

			cap = cap ? cap * 2 : 8;
			bigger = realloc(list, cap * sizeof(*list));
			if (!bigger)
				goto nomem;
			list = bigger;
		}
		list[n] = strdup(name);
		if (!list[n])
			goto nomem;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(list, n, sizeof(*list), network_cmp_names);
	*names = list;
	*count = n;
	return 0;

nomem:
	closedir(d);
	store_free_names(list, n);
	snprintf(err, errlen, "cannot list networks: out of memory");
	return -ENOMEM;
}

static void network_not_found(const char *name, char *err, size_t errlen)
{
	snprintf(err, errlen, "network '%s' does not exist; 'virtty net-list' shows the networks",
		 name);
}

int store_read_net_config(const struct store *st, const char *name, struct net_config *out,
			  char *err, size_t errlen)
{
	char path[VM_PATH_MAX], why[512];
	char *text;
	int rc;

	if (!vm_name_valid(name, why, sizeof(why))) {
		snprintf(err, errlen, "network: %s", why);
		return -EINVAL;
	}
	if (store_net_config_path(st, name, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "network '%s': store path too long", name);
		return -ENAMETOOLONG;
	}
	rc = store_ini_read_file(path, NETWORK_MAX_BYTES, true, &text);
	if (rc == -EFBIG) {
		snprintf(err, errlen, "%s: not a network definition (not a small regular file)",
			 path);
		return -EINVAL;
	} else if (rc == -ENOMEM) {
		snprintf(err, errlen, "%s: out of memory", path);
		return rc;
	} else if (rc == -EILSEQ) {
		snprintf(err, errlen,
			 "%s: not a text file (it contains a NUL byte); fix or remove it", path);
		return -EINVAL;
	} else if (rc == -ENOENT) {
		network_not_found(name, err, errlen);
		return rc;
	} else if (rc < 0) {
		snprintf(err, errlen, "network '%s': cannot read '%s': %s", name, path,
			 strerror(-rc));
		return rc;
	}
	rc = store_net_config_from_ini(text, name, out, why, sizeof(why));
	free(text);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

/* Write cfg into dir/<name>.conf. */
static int network_write_in(const char *dir, const struct net_config *cfg, char *err, size_t errlen)
{
	char path[VM_PATH_MAX], why[512];
	char *text;
	int rc;

	rc = netcfg_validate(cfg, NULL, 0, NULL, 0, NULL, 0, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s", why);
		return rc;
	}
	if (snprintf(path, sizeof(path), "%s/%s.conf", dir, cfg->name) >= (int)sizeof(path)) {
		snprintf(err, errlen, "network '%s': store path too long", cfg->name);
		return -ENAMETOOLONG;
	}
	text = store_net_config_to_ini(cfg);
	if (!text) {
		rc = -errno;
		snprintf(err, errlen, "network '%s': cannot format its definition: %s", cfg->name,
			 strerror(-rc));
		return rc;
	}
	rc = atomic_write_file(path, text, strlen(text), 0600, err, errlen);
	free(text);
	return rc;
}

int store_write_net_config(const struct store *st, const struct net_config *cfg, char *err,
			   size_t errlen)
{
	char dir[VM_PATH_MAX];
	int rc;

	if (network_dir(st, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "network '%s': store path too long", cfg->name);
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create '%s': %s", dir, strerror(-rc));
		return rc;
	}
	return network_write_in(dir, cfg, err, errlen);
}

int store_remove_net(const struct store *st, const char *name, char *err, size_t errlen)
{
	char path[VM_PATH_MAX], dir[VM_PATH_MAX], why[256];
	int rc, dfd;

	if (!vm_name_valid(name, why, sizeof(why))) {
		snprintf(err, errlen, "network: %s", why);
		return -EINVAL;
	}
	if (store_net_config_path(st, name, path, sizeof(path)) < 0 ||
	    network_dir(st, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "network '%s': store path too long", name);
		return -ENAMETOOLONG;
	}
	if (unlink(path) < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			network_not_found(name, err, errlen);
		else
			snprintf(err, errlen, "network '%s': cannot remove '%s': %s", name, path,
				 strerror(-rc));
		return rc;
	}
	/* Make the removal durable, as writes are. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (errlen)
		err[0] = '\0';
	return 0;
}

/* rm -r of the temporary directory used below (flat: files only). */
static void network_remove_tmpdir(const char *dir)
{
	char path[VM_PATH_MAX + 300];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
			    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
				(int)sizeof(path))
				unlink(path);
		closedir(d);
	}
	rmdir(dir);
}

int store_ensure_default_network(const struct store *st, char *err, size_t errlen)
{
	struct net_config def = {.name = "default", .mode = NET_MODE_NAT, .autostart = true};
	char dir[VM_PATH_MAX], tmpdir[VM_PATH_MAX];
	struct stat sb;
	int rc, rfd;

	if (network_dir(st, dir, sizeof(dir)) < 0 ||
	    snprintf(tmpdir, sizeof(tmpdir), "%s/.networks-XXXXXX", st->root) >=
		(int)sizeof(tmpdir)) {
		snprintf(err, errlen, "store path too long");
		return -ENAMETOOLONG;
	}
	/* The directory's existence is the "store was set up" mark: once it
	 * is there, a deleted default network stays deleted. */
	if (lstat(dir, &sb) == 0)
		return 0;
	if (errno != ENOENT) {
		rc = -errno;
		snprintf(err, errlen, "cannot check '%s': %s", dir, strerror(-rc));
		return rc;
	}
	netcfg_fill_defaults(&def);
	/* Built aside and renamed into place, so no process ever sees an
	 * empty networks directory, and two first runs make one default. */
	if (!mkdtemp(tmpdir)) {
		rc = -errno;
		snprintf(err, errlen, "cannot create the networks directory in '%s': %s", st->root,
			 strerror(-rc));
		return rc;
	}
	rc = network_write_in(tmpdir, &def, err, errlen);
	if (rc == 0 && rename(tmpdir, dir) < 0) {
		rc = -errno;
		if (rc == -EEXIST || rc == -ENOTEMPTY)
			rc = 0; /* another process was first */
		else
			snprintf(err, errlen, "cannot create '%s': %s", dir, strerror(-rc));
	}
	if (lstat(tmpdir, &sb) == 0)
		network_remove_tmpdir(tmpdir);
	rfd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd >= 0) {
		fsync(rfd);
		close(rfd);
	}
	return rc;
}

int store_lock_net(const struct store *st, const char *name, bool wait, char *err, size_t errlen)
{
	char dir[VM_PATH_MAX], path[VM_PATH_MAX], why[256];
	int rc;

	if (!vm_name_valid(name, why, sizeof(why))) {
		snprintf(err, errlen, "network: %s", why);
		return -EINVAL;
	}
	/* Beside the network's runtime dir, which comes and goes with
	 * virtty-netd (see store_lock_vm). */
	if (snprintf(dir, sizeof(dir), "%s/.net", st->runtime) >= (int)sizeof(dir) ||
	    snprintf(path, sizeof(path), "%s/%s.lock", dir, name) >= (int)sizeof(path)) {
		snprintf(err, errlen, "network '%s': lock file path too long", name);
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "network '%s': cannot create '%s': %s", name, dir,
			 strerror(-rc));
		return rc;
	}
	return store_lock_file(path, "network", name, wait, err, errlen);
}
