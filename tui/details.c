/* The details page's pure helpers (see details.h): value checks for the
 * Hardware section's edits and the text of graph spans and progress. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "details.h"
#include "store/store.h"

#define MIB (1024ull * 1024ull)

int details_parse_vcpus(const char *text, int *vcpus, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	while (*end == ' ')
		end++;
	if (end == text || *end || errno || v < 1 || v > DETAILS_MAX_VCPUS) {
		snprintf(err, errlen, "'%s' vCPUs: use a number from 1 to %d", text,
			 DETAILS_MAX_VCPUS);
		return -EINVAL;
	}
	*vcpus = (int)v;
	return 0;
}

int details_parse_memory(const char *text, uint64_t host_bytes, uint64_t *mib, char *err,
			 size_t errlen)
{
	uint64_t bytes;
	int r;

	r = parse_size(text, MIB, false, &bytes, err, errlen);
	if (r)
		return r;
	if (bytes % MIB) {
		snprintf(err, errlen, "memory '%s': use whole MiB (e.g. 512M, 2G)", text);
		return -EINVAL;
	}
	if (host_bytes && bytes > host_bytes) {
		snprintf(err, errlen, "memory '%s': more than the host's %llu MiB", text,
			 (unsigned long long)(host_bytes / MIB));
		return -EINVAL;
	}
	*mib = bytes / MIB;
	return 0;
}

int details_parse_display(const char *text, bool *enabled, int *width, int *height, char *err,
			  size_t errlen)
{
	char word[16];
	size_t n;

	/* Blanks around the value are the dialog's, not the user's intent. */
	while (*text == ' ')
		text++;
	n = strlen(text);
	while (n && text[n - 1] == ' ')
		n--;
	if (n < sizeof(word)) {
		memcpy(word, text, n);
		word[n] = '\0';
		if (!strcasecmp(word, "none") || !strcasecmp(word, "off")) {
			*enabled = false;
			*width = *height = 0;
			return 0;
		}
		if (!strcasecmp(word, "vnc") || !strcasecmp(word, "on")) {
			*enabled = true;
			*width = *height = 0;
			return 0;
		}
		/* Short messages: the input dialog is 56 columns wide. */
		switch (store_parse_resolution(word, width, height, err, errlen)) {
		case 0:
			*enabled = true;
			return 0;
		case -ERANGE:
			snprintf(err, errlen, "'%s': must be from %d to %d pixels each", word,
				 STORE_DISPLAY_MIN, STORE_DISPLAY_MAX);
			return -EINVAL;
		}
	}
	snprintf(err, errlen, "'%.*s': use WIDTHxHEIGHT (1280x800), vnc or none",
		 (int)(n > 16 ? 16 : n), text);
	return -EINVAL;
}

void details_format_span(int samples, uint64_t interval_ms, char *buf, size_t len)
{
	uint64_t s = (uint64_t)(samples > 0 ? samples : 0) * interval_ms / 1000;

	if (s >= 120 && s % 60 == 0)
		snprintf(buf, len, "last %llu min", (unsigned long long)(s / 60));
	else if (s >= 120)
		snprintf(buf, len, "last %llu min %llu s", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, len, "last %llu s", (unsigned long long)s);
}

int details_progress_percent(uint64_t done, uint64_t total)
{
	if (!total)
		return 0;
	if (done >= total)
		return 100;
	/* In doubles: done * 100 could overflow for huge byte counts. */
	return (int)((double)done * 100.0 / (double)total);
}

void details_format_bar(uint64_t done, uint64_t total, int width, bool utf8, char *buf, size_t len)
{
	int inner = width - 2, filled;
	size_t pos = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (width < 3)
		return;
	filled = total ? (int)((double)(done > total ? total : done) * inner / (double)total) : 0;
	for (int i = -1; i <= inner; i++) {
		const char *c = i < 0	     ? "["
				: i == inner ? "]"
				: i < filled ? (utf8 ? "\u2588" : "#")
					     : (utf8 ? "\u00b7" : ".");
		size_t cl = strlen(c);

		if (pos + cl >= len)
			break;
		memcpy(buf + pos, c, cl);
		pos += cl;
	}
	buf[pos] = '\0';
}
