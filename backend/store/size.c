/* Sizes as users type and read them: "512M", "1.5G", "2 TiB"; binary
 * units (1K = 1024 bytes) throughout. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store.h"

#define SIZE_MAX_FRACTION_DIGITS 18

static const char size_usage[] = "use a number with an optional K, M, G or T suffix";

/* The multiplier for a unit suffix ("", "K", "kib", "MB", "B", ...) or 0. */
static uint64_t size_unit(const char *suffix, uint64_t default_unit)
{
	static const char letters[] = "KMGT";
	const char *l;
	uint64_t mult = 1024;

	if (*suffix == '\0')
		return default_unit ? default_unit : 1;
	if (strcasecmp(suffix, "B") == 0)
		return 1;
	l = strchr(letters, toupper((unsigned char)suffix[0]));
	if (!l || suffix[0] == '\0')
		return 0;
	for (const char *p = letters; p < l; p++)
		mult *= 1024;
	suffix++;
	if (*suffix == '\0' || strcasecmp(suffix, "B") == 0 || strcasecmp(suffix, "iB") == 0)
		return mult;
	return 0;
}

int parse_size(const char *text, uint64_t default_unit, bool allow_zero, uint64_t *bytes, char *err,
	       size_t errlen)
{
	unsigned __int128 whole = 0, frac = 0, frac_div = 1, value;
	const char *p = text;
	uint64_t unit;

	if (!text) {
		snprintf(err, errlen, "invalid size '': %s", size_usage);
		return -EINVAL;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-') {
		snprintf(err, errlen, "invalid size '%s': a size cannot be negative", text);
		return -EINVAL;
	}
	if (!isdigit((unsigned char)*p)) {
		snprintf(err, errlen, "invalid size '%s': %s", text, size_usage);
		return -EINVAL;
	}
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > UINT64_MAX)
			goto too_large;
	}
	if (*p == '.') {
		int digits = 0;

		p++;
		if (!isdigit((unsigned char)*p)) {
			snprintf(err, errlen, "invalid size '%s': %s", text, size_usage);
			return -EINVAL;
		}
		for (; isdigit((unsigned char)*p); p++) {
			/* Digits past the 18th cannot change a 64-bit result. */
			if (++digits > SIZE_MAX_FRACTION_DIGITS)
				continue;
			frac = frac * 10 + (*p - '0');
			frac_div *= 10;
		}
	}
	/* Allow "2 G" and trailing blanks: people paste sizes from tables. */
	while (*p == ' ')
		p++;
	{
		char suffix[8];
		size_t n = strlen(p);

		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n >= sizeof(suffix)) {
			snprintf(err, errlen, "invalid size '%s': %s", text, size_usage);
			return -EINVAL;
		}
		memcpy(suffix, p, n);
		suffix[n] = '\0';
		unit = size_unit(suffix, default_unit);
	}
	if (unit == 0) {
		snprintf(err, errlen, "invalid size '%s': %s", text, size_usage);
		return -EINVAL;
	}
	/* Whole bytes, rounded down: "1.3G" is 1395864371 bytes. */
	value = whole * unit + frac * unit / frac_div;
	if (value > UINT64_MAX)
		goto too_large;
	if (value == 0 && !allow_zero) {
		snprintf(err, errlen, "invalid size '%s': a size must be greater than zero", text);
		return -EINVAL;
	}
	*bytes = (uint64_t)value;
	return 0;

too_large:
	snprintf(err, errlen, "invalid size '%s': too large", text);
	return -ERANGE;
}

void format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	unsigned i = 0;
	double v = (double)bytes;

	while (v >= 1024.0 && i + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		i++;
	}
	/* One decimal below 10 ("1.5 GiB", "2.0 GiB"), whole numbers above
	 * ("512 MiB"): three significant figures are plenty in a table. */
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else if (v < 9.95)
		snprintf(buf, len, "%.1f %s", v, units[i]);
	else
		snprintf(buf, len, "%.0f %s", v, units[i]);
}
