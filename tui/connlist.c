/* The connection list in the config file and the reconnect schedule
 * (see connlist.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "connlist.h"
#include "driver.h"
#include "store/store.h"

#define CONNLIST_FILE_MAX (256 * 1024)

bool connlist_uri_valid(const char *uri, char *err, size_t errlen)
{
	const char *colon;

	if (!uri || !uri[0]) {
		snprintf(err, errlen, "give a connection URI, e.g. qemu:///system");
		return false;
	}
	if (strlen(uri) >= CONNLIST_URI_MAX) {
		snprintf(err, errlen, "the URI is too long (at most %d characters)",
			 CONNLIST_URI_MAX - 1);
		return false;
	}
	for (const char *p = uri; *p; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
			snprintf(err, errlen, "'%s': a URI has no spaces", uri);
			return false;
		}
	}
	if (driver_uri_is_local(uri)) {
		snprintf(err, errlen, "the local connection is always in the list");
		return false;
	}
	colon = strchr(uri, ':');
	if (!colon || colon == uri || !isalpha((unsigned char)uri[0])) {
		snprintf(err, errlen,
			 "'%s' is not a URI: write it as qemu:///system, "
			 "qemu+ssh://root@host/system or test:///default",
			 uri);
		return false;
	}
	for (const char *p = uri; p < colon; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("+-.", *p)) {
			snprintf(err, errlen, "'%s': the scheme before ':' may hold only letters, "
					      "digits, '+', '-' and '.'",
				 uri);
			return false;
		}
	}
	return true;
}

/* The line at p without leading blanks: is it the header of a section,
 * and which? */
static bool connlist_is_header(const char *p, bool *is_ours)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '[')
		return false;
	*is_ours = strncmp(p, "[connections]", 13) == 0;
	return true;
}

/* "uri = VALUE" on the line [p, eol): the value into out. */
static bool connlist_parse_line(const char *p, const char *eol, char *out, size_t len)
{
	const char *v, *e;

	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (eol - p < 3 || strncmp(p, "uri", 3))
		return false;
	v = p + 3;
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	if (v >= eol || (*v != '=' && *v != ':'))
		return false;
	v++;
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	e = eol;
	while (e > v && isspace((unsigned char)e[-1]))
		e--;
	if (e == v || (size_t)(e - v) >= len)
		return false;
	memcpy(out, v, (size_t)(e - v));
	out[e - v] = '\0';
	return true;
}

int connlist_parse(const char *text, char (*uris)[CONNLIST_URI_MAX], int max)
{
	bool in = false, ours;
	int n = 0;

	for (const char *p = text; p && *p && n < max;) {
		const char *nl = strchr(p, '\n'), *eol = nl ? nl : p + strlen(p);
		char uri[CONNLIST_URI_MAX], err[256];
		bool dup = false;

		if (connlist_is_header(p, &ours))
			in = ours;
		else if (in && connlist_parse_line(p, eol, uri, sizeof(uri)) &&
			 connlist_uri_valid(uri, err, sizeof(err))) {
			for (int i = 0; i < n; i++)
				dup |= !strcmp(uris[i], uri);
			if (!dup)
				snprintf(uris[n++], CONNLIST_URI_MAX, "%s", uri);
		}
		p = nl ? nl + 1 : eol;
	}
	return n;
}

char *connlist_render(const char *text, const char (*uris)[CONNLIST_URI_MAX], int n)
{
	size_t tlen = text ? strlen(text) : 0, olen = 0;
	char *out = malloc(tlen + (size_t)n * (CONNLIST_URI_MAX + 8) + 32);
	bool in = false, ours, written = false;

	if (!out)
		return NULL;
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n'), *eol = nl ? nl + 1 : p + strlen(p);

		if (connlist_is_header(p, &ours)) {
			in = ours;
			if (ours && !written) {
				/* The section goes where it was. */
				if (n) {
					olen += (size_t)sprintf(out + olen, "[connections]\n");
					for (int i = 0; i < n; i++)
						olen += (size_t)sprintf(out + olen, "uri = %s\n",
									uris[i]);
				}
				written = true;
			}
		}
		if (!in) {
			memcpy(out + olen, p, (size_t)(eol - p));
			olen += (size_t)(eol - p);
			if (!nl)
				out[olen++] = '\n';
		}
		p = eol;
	}
	if (!written && n) {
		if (olen && !(olen >= 2 && out[olen - 1] == '\n' && out[olen - 2] == '\n'))
			out[olen++] = '\n';
		olen += (size_t)sprintf(out + olen, "[connections]\n");
		for (int i = 0; i < n; i++)
			olen += (size_t)sprintf(out + olen, "uri = %s\n", uris[i]);
	}
	out[olen] = '\0';
	return out;
}

int connlist_config_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/virtty/config", xdg);
	else if (home && home[0])
		n = snprintf(buf, len, "%s/.config/virtty/config", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static char *connlist_read(const char *path)
{
	FILE *fp = fopen(path, "re");
	char *text;
	size_t n;

	if (!fp)
		return NULL;
	text = malloc(CONNLIST_FILE_MAX + 1);
	if (text) {
		n = fread(text, 1, CONNLIST_FILE_MAX, fp);
		text[n] = '\0';
	}
	fclose(fp);
	return text;
}

int connlist_load(char (*uris)[CONNLIST_URI_MAX], int max)
{
	char path[VM_PATH_MAX], *text;
	int n;

	if (connlist_config_path(path, sizeof(path)) < 0)
		return 0;
	text = connlist_read(path);
	if (!text)
		return 0;
	n = connlist_parse(text, uris, max);
	free(text);
	return n;
}

/* mkdir -p of the config file's folder (two levels: ~/.config/virtty). */
static int connlist_make_dirs(const char *path, char *err, size_t errlen)
{
	char dir[VM_PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (int level = 0; level < 2; level++) {
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return 0;
		*slash = '\0';
	}
	/* dir is now the parent of virtty/: create it, then virtty/. */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
	return -errno;
}

int connlist_save(const char (*uris)[CONNLIST_URI_MAX], int n, char *err, size_t errlen)
{
	char path[VM_PATH_MAX], *text, *out;
	int r;

	if (connlist_config_path(path, sizeof(path)) < 0) {
		snprintf(err, errlen,
			 "cannot save the connections: neither XDG_CONFIG_HOME nor HOME is set");
		return -ENOENT;
	}
	r = connlist_make_dirs(path, err, errlen);
	if (r)
		return r;
	text = connlist_read(path);
	out = connlist_render(text ? text : "", uris, n);
	free(text);
	if (!out) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	r = atomic_write_file(path, out, strlen(out), 0644, err, errlen);
	free(out);
	return r;
}

unsigned connlist_backoff_ms(unsigned attempt)
{
	unsigned ms = 1000;

	for (unsigned i = 1; i < attempt && ms < 60000; i++)
		ms *= 2;
	return ms > 60000 ? 60000 : ms;
}
