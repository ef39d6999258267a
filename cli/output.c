/* What commands print: aligned tables (column widths in terminal cells, so
 * UTF-8 names line up), key/value blocks, durations and rates, and JSON. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store/store.h"

/* Decodes one UTF-8 sequence; invalid bytes count as one cell each so a
 * broken name still prints aligned. */
static size_t output_utf8_decode(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return n;
}

/* Cells a code point takes: 0 for combining marks and zero-width
 * characters, 2 for East Asian wide/fullwidth and emoji, else 1. Our own
 * table, so widths do not depend on the locale the user runs under. */
static int output_codepoint_width(uint32_t c)
{
	static const uint32_t zero[][2] = {
	    {0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd}, {0x0610, 0x061a},
	    {0x064b, 0x065f}, {0x0e31, 0x0e31}, {0x0e34, 0x0e3a}, {0x1ab0, 0x1aff},
	    {0x1dc0, 0x1dff}, {0x200b, 0x200f}, {0x20d0, 0x20ff}, {0xfe00, 0xfe0f},
	    {0xfe20, 0xfe2f}, {0xfeff, 0xfeff},
	};
	static const uint32_t wide[][2] = {
	    {0x1100, 0x115f},	{0x2e80, 0x303e},   {0x3041, 0x33ff}, {0x3400, 0x4dbf},
	    {0x4e00, 0x9fff},	{0xa000, 0xa4cf},   {0xac00, 0xd7a3}, {0xf900, 0xfaff},
	    {0xfe30, 0xfe4f},	{0xff00, 0xff60},   {0xffe0, 0xffe6}, {0x1f300, 0x1f64f},
	    {0x1f900, 0x1f9ff}, {0x20000, 0x3fffd},
	};

	if (c < 0x20 || (c >= 0x7f && c < 0xa0))
		return 0;
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

size_t cli_utf8_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t width = 0;
	uint32_t cp;

	while (*p) {
		p += output_utf8_decode(p, &cp);
		width += (size_t)output_codepoint_width(cp);
	}
	return width;
}

/* "45s", "12m 03s", "3h 07m", "2d 04h" */
void cli_format_duration(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum %02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh %02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	else
		snprintf(buf, len, "%llud %02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s / 3600 % 24));
}

/* "0 B/s", "512 B/s", "1.5 KiB/s", "12.3 MiB/s" */
void cli_format_rate(double bytes_per_s, char *buf, size_t len)
{
	static const char *const units[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
	int u = 0;

	if (bytes_per_s < 0)
		bytes_per_s = 0;
	while (bytes_per_s >= 1024 && u < 4) {
		bytes_per_s /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f %s", bytes_per_s, units[u]);
	else
		snprintf(buf, len, "%.1f %s", bytes_per_s, units[u]);
}

void cli_format_percent(double pct, char *buf, size_t len)
{
	if (pct < 0)
		pct = 0;
	snprintf(buf, len, "%.1f%%", pct);
}

struct cli_table *cli_table_new(int ncols, const char *const *headers, const enum cli_align *align)
{
	struct cli_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->headers = calloc((size_t)ncols, sizeof(*t->headers));
	t->align = calloc((size_t)ncols, sizeof(*t->align));
	if (!t->headers || !t->align) {
		cli_table_free(t);
		return NULL;
	}
	for (int i = 0; i < ncols; i++) {
		t->headers[i] = headers[i];
		t->align[i] = align ? align[i] : CLI_ALIGN_LEFT;
	}
	return t;
}

int cli_table_add_row(struct cli_table *t, const char *const *cells)
{
	char ***rows = realloc(t->cells, sizeof(*rows) * (size_t)(t->nrows + 1));
	char **row;

	if (!rows)
		return -1;
	t->cells = rows;
	row = calloc((size_t)t->ncols, sizeof(*row));
	if (!row)
		return -1;
	for (int i = 0; i < t->ncols; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "");
		if (!row[i]) {
			while (i--)
				free(row[i]);
			free(row);
			return -1;
		}
	}
	t->cells[t->nrows++] = row;
	return 0;
}

/* Appends to a growing string; on allocation failure the result is NULL. */
struct output_buf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void output_append(struct output_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void output_append_pad(struct output_buf *b, size_t n)
{
	while (n--)
		output_append(b, " ", 1);
}

static char *output_finish(struct output_buf *b)
{
	if (b->failed) {
		free(b->s);
		return NULL;
	}
	if (!b->s)
		return strdup("");
	return b->s;
}

static void output_cell(struct output_buf *b, const char *text, size_t width, enum cli_align align,
			bool last)
{
	size_t w = cli_utf8_width(text);
	size_t pad = width > w ? width - w : 0;

	if (align == CLI_ALIGN_RIGHT)
		output_append_pad(b, pad);
	output_append(b, text, strlen(text));
	/* No trailing blanks after the last column. */
	if (align == CLI_ALIGN_LEFT && !last)
		output_append_pad(b, pad);
}

/* Header and rows, columns two spaces apart, each as wide as its widest cell. */
char *cli_table_render(const struct cli_table *t)
{
	struct output_buf b = {0};
	size_t *width = calloc((size_t)t->ncols, sizeof(*width));

	if (!width)
		return NULL;
	for (int c = 0; c < t->ncols; c++) {
		width[c] = cli_utf8_width(t->headers[c]);
		for (int r = 0; r < t->nrows; r++) {
			size_t w = cli_utf8_width(t->cells[r][c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	for (int r = -1; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *text = r < 0 ? t->headers[c] : t->cells[r][c];

			if (c)
				output_append(&b, "  ", 2);
			output_cell(&b, text, width[c], t->align[c], c == t->ncols - 1);
		}
		output_append(&b, "\n", 1);
	}
	free(width);
	return output_finish(&b);
}

void cli_table_print(const struct cli_table *t, FILE *fp)
{
	char *s = cli_table_render(t);

	if (s)
		fputs(s, fp);
	free(s);
}

void cli_table_free(struct cli_table *t)
{
	if (!t)
		return;
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++)
			free(t->cells[r][c]);
		free(t->cells[r]);
	}
	free(t->cells);
	free(t->headers);
	free(t->align);
	free(t);
}

/* "Key:   value" lines with the values aligned. */
char *cli_kv_render(const char *const *keys, const char *const *values, int n)
{
	struct output_buf b = {0};
	size_t width = 0;

	for (int i = 0; i < n; i++) {
		size_t w = cli_utf8_width(keys[i]) + 1;

		if (w > width)
			width = w;
	}
	for (int i = 0; i < n; i++) {
		/* An empty key continues the previous one (a list of disks). */
		if (keys[i][0]) {
			output_append(&b, keys[i], strlen(keys[i]));
			output_append(&b, ":", 1);
			output_append_pad(&b, width - cli_utf8_width(keys[i]));
		} else {
			output_append_pad(&b, width + 1);
		}
		output_append(&b, values[i], strlen(values[i]));
		output_append(&b, "\n", 1);
	}
	return output_finish(&b);
}

void cli_json_print(json_object *obj, FILE *fp)
{
	fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_SPACED |
						      JSON_C_TO_STRING_NOSLASHESCAPE),
	      fp);
	fputc('\n', fp);
}

/* A double with a fixed number of decimals: json-c would print 55.6 as
 * 55.600000000000001. */
json_object *cli_json_double(double v, int decimals)
{
	char text[64];

	snprintf(text, sizeof(text), "%.*f", decimals, v);
	return json_object_new_double_s(strtod(text, NULL), text);
}

json_object *cli_json_vm_info(const struct vm_info *info)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(info->name));
	json_object_object_add(o, "state", json_object_new_string(vm_state_name(info->state)));
	json_object_object_add(o, "vcpus", json_object_new_int(info->vcpus));
	json_object_object_add(o, "memory_mib", json_object_new_int64((int64_t)info->memory_mib));
	json_object_object_add(o, "uptime_s", cli_json_double((double)info->uptime_ms / 1000.0, 3));
	json_object_object_add(o, "pid", info->pid ? json_object_new_int(info->pid) : NULL);
	json_object_object_add(o, "pending_changes",
			       json_object_new_boolean(info->pending_changes));
	json_object_object_add(o, "reason",
			       info->reason[0] ? json_object_new_string(info->reason) : NULL);
	return o;
}
