/* Progress of long operations (clone): a bar with percent, bytes and rate
 * redrawn in place on a terminal, one final line otherwise. */
#include <string.h>

#include "cli.h"
#include "store/store.h"

void cli_progress_init(struct cli_progress *p, const char *label, bool tty)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->tty = tty;
	p->start_ns = cli_now_ns();
}

/* "[#########-----------]  45%  1.2 GiB / 2.0 GiB  310.5 MiB/s" */
void cli_progress_format_bar(uint64_t done, uint64_t total, double rate, int width, char *buf,
			     size_t len)
{
	char bar[128], d[32], t[32], r[32];
	int pct = total ? (int)(done * 100 / total) : 100;
	int fill;

	if (done > total)
		pct = 100;
	if (width < 1)
		width = 1;
	if (width > (int)sizeof(bar) - 1)
		width = (int)sizeof(bar) - 1;
	fill = pct * width / 100;
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[width] = '\0';
	format_size(done, d, sizeof(d));
	format_size(total, t, sizeof(t));
	cli_format_rate(rate, r, sizeof(r));
	snprintf(buf, len, "[%s] %3d%%  %s / %s  %s", bar, pct, d, t, r);
}

static double progress_rate(const struct cli_progress *p, uint64_t now)
{
	double secs = (double)(now - p->start_ns) / 1e9;

	return secs > 0 ? (double)p->done / secs : 0;
}

/* The struct progress callback; never cancels. Redraws at most ten times
 * a second so a fast copy does not spend its time printing. */
int cli_progress_update(void *opaque, uint64_t done, uint64_t total)
{
	struct cli_progress *p = opaque;
	uint64_t now = cli_now_ns();
	char line[256];

	p->done = done;
	p->total = total;
	if (!p->tty || (now - p->last_draw_ns < 100000000ULL && done < total))
		return 0;
	p->last_draw_ns = now;
	cli_progress_format_bar(done, total, progress_rate(p, now), 30, line, sizeof(line));
	fprintf(stdout, "\r%s %s\033[K", p->label, line);
	fflush(stdout);
	return 0;
}

/* The line that stays: "<done_text> (1.2 GiB copied in 3.1 s, 400 MiB/s)". */
void cli_progress_finish(struct cli_progress *p, const char *done_text)
{
	uint64_t now = cli_now_ns();
	char d[32], r[32];

	if (p->tty && p->last_draw_ns)
		fputs("\r\033[K", stdout);
	format_size(p->done, d, sizeof(d));
	cli_format_rate(progress_rate(p, now), r, sizeof(r));
	printf("%s (%s copied in %.1f s, %s)\n", done_text, d, (double)(now - p->start_ns) / 1e9,
	       r);
}
