/* The host dashboard: CPU per core and in total, memory and swap, disk and
 * network throughput, drawn from the host history the sampler keeps. The
 * layout (screen-host-layout.c) is recomputed from the window size on
 * every draw, so a resize needs nothing special. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store/store.h"
#include "screen-host.h"
#include "tui.h"

/* ---- Drawing ---- */

static enum theme_role host_gradient_role(int pos, int width)
{
	/* The same thirds as the graphs use, along the bar. */
	if (3 * (pos + 1) <= width)
		return THEME_GRAPH_LOW;
	if (3 * (pos + 1) <= 2 * width)
		return THEME_GRAPH_MID;
	return THEME_GRAPH_HIGH;
}

/* "label[|||||||.....     text]": used (gradient) and extra (dim) parts,
 * text right-aligned inside the brackets, in the way htop draws meters. */
static void host_draw_bar(WINDOW *win, int y, int x, int w, const char *label, double used,
			  double extra, const char *text)
{
	int lw = (int)strlen(label), bw, nused, nextra, tlen, i;

	if (w < lw + 3)
		return;
	wattrset(win, theme_attr(THEME_NORMAL) | A_BOLD);
	tui_put(win, y, x, lw, label, false);
	wattrset(win, theme_attr(THEME_BORDER));
	mvwaddch(win, y, x + lw, '[');
	mvwaddch(win, y, x + w - 1, ']');
	bw = w - lw - 2;
	used = used < 0 ? 0 : used > 1 ? 1 : used;
	extra = extra < 0 ? 0 : extra > 1 - used ? 1 - used : extra;
	nused = (int)(used * bw + 0.5);
	if (used > 0 && nused == 0)
		nused = 1;
	nextra = (int)((used + extra) * bw + 0.5) - nused;
	if (nextra < 0)
		nextra = 0;
	tlen = (int)strlen(text);
	if (tlen > bw)
		tlen = 0; /* no room for the figure: the bar alone */
	for (i = 0; i < bw; i++) {
		chtype ch = ' ';
		int attr = theme_attr(THEME_NORMAL);

		if (i < nused) {
			ch = '|';
			attr = theme_attr(host_gradient_role(i, bw));
		} else if (i < nused + nextra) {
			ch = '|';
			attr = theme_attr(THEME_DIM);
		}
		if (tlen && i >= bw - tlen) {
			ch = (unsigned char)text[i - (bw - tlen)];
			attr = theme_attr(THEME_NORMAL);
		}
		wattrset(win, attr);
		mvwaddch(win, y, x + lw + 1 + i, ch);
	}
	wattrset(win, theme_attr(THEME_NORMAL));
}

/* A section title: the name in the title role, then details in normal text. */
static void host_draw_title(WINDOW *win, int y, int x, int w, const char *name, const char *details)
{
	int n;

	wattrset(win, theme_attr(THEME_HEADER));
	n = tui_put(win, y, x, w, name, false);
	wattrset(win, theme_attr(THEME_NORMAL));
	if (n + 2 < w)
		tui_put(win, y, x + n + 2, w - n - 2, details, false);
}

static void host_draw_cpu(struct tui *tui, WINDOW *win, const struct host_layout *l)
{
	const struct tui_model *m = &tui->model;
	const struct tui_host_history *hh = m->host_hist;
	const struct host_sample *hs = &m->host;
	char buf[160];
	int i;

	snprintf(buf, sizeof(buf), "total %3.0f%%   %d core%s", hs->cpu_total_percent, hs->ncpus,
		 hs->ncpus == 1 ? "" : "s");
	host_draw_title(win, l->cpu.y, l->cpu.x, l->cpu.w, " CPU ", buf);
	if (l->cpu_total.h > 0)
		graph_draw(win, l->cpu_total.y, l->cpu_total.x, l->cpu_total.h, l->cpu_total.w,
			   &hh->cpu_total, 100.0f, tui->graph_style);

	for (i = 0; i < l->cores_shown && l->cores_mode != HOST_CORES_NONE; i++) {
		int row = i / l->core_cols, col = i % l->core_cols;
		int y = l->cores.y + row * l->core_h, x = l->cores.x + col * l->core_w;
		int w = l->core_w - (col < l->core_cols - 1 ? 1 : 0);
		float pct = i < hs->ncpus ? hs->cpu_percent[i] : 0.0f;

		if (l->cores_mode == HOST_CORES_TILES) {
			snprintf(buf, sizeof(buf), "cpu%d %3.0f%%", i, pct);
			wattrset(win, theme_attr(THEME_DIM));
			tui_put(win, y, x, w, buf, false);
			graph_draw(win, y + 1, x, l->core_h - 1, w, &hh->cpu_core[i], 100.0f,
				   tui->graph_style);
		} else {
			char label[16];

			snprintf(label, sizeof(label), "%*d",
				 hs->ncpus > 100  ? 3
				 : hs->ncpus > 10 ? 2
						  : 1,
				 i);
			snprintf(buf, sizeof(buf), "%.0f%%", pct);
			host_draw_bar(win, y, x, w, label, pct / 100.0, 0, buf);
		}
	}
	if (l->cores_mode == HOST_CORES_BARS && l->cores_shown < hs->ncpus) {
		int i2 = l->cores_shown, row = i2 / l->core_cols, col = i2 % l->core_cols;

		snprintf(buf, sizeof(buf), "+%d more", hs->ncpus - l->cores_shown);
		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, l->cores.y + row, l->cores.x + col * l->core_w, l->core_w, buf, false);
	}
}

static void host_draw_mem(struct tui *tui, WINDOW *win, const struct host_layout *l)
{
	const struct host_sample *hs = &tui->model.host;
	char used[32], total[32], cached[32], avail[32], buf[200];
	double t = hs->mem_total ? (double)hs->mem_total : 1.0;

	format_size(hs->mem_used, used, sizeof(used));
	format_size(hs->mem_total, total, sizeof(total));
	format_size(hs->mem_cached, cached, sizeof(cached));
	format_size(hs->mem_available, avail, sizeof(avail));
	snprintf(buf, sizeof(buf), "used %s of %s (%.0f%%)   cache %s   available %s", used, total,
		 100.0 * (double)hs->mem_used / t, cached, avail);
	host_draw_title(win, l->mem.y, l->mem.x, l->mem.w, " Memory ", buf);
	if (l->mem_bar.h) {
		snprintf(buf, sizeof(buf), "%s/%s", used, total);
		host_draw_bar(win, l->mem_bar.y, l->mem_bar.x, l->mem_bar.w, "Mem",
			      (double)hs->mem_used / t, (double)hs->mem_cached / t, buf);
	}
	if (l->swap_bar.h) {
		char su[32], st[32];
		double sw = hs->swap_total ? (double)hs->swap_total : 1.0;

		format_size(hs->swap_used, su, sizeof(su));
		format_size(hs->swap_total, st, sizeof(st));
		snprintf(buf, sizeof(buf), "%s/%s", su, st);
		host_draw_bar(win, l->swap_bar.y, l->swap_bar.x, l->swap_bar.w, "Swp",
			      (double)hs->swap_used / sw, 0, hs->swap_total ? buf : "no swap");
	}
	if (l->mem_graph.h)
		graph_draw(win, l->mem_graph.y, l->mem_graph.x, l->mem_graph.h, l->mem_graph.w,
			   &tui->model.host_hist->mem_used, 100.0f, tui->graph_style);
}

/* One half of a throughput pair: "read 1.2 MiB/s  peak 30 MiB/s" above
 * (on the section's title line) and the graph, scaled to its peak. */
static void host_draw_rate(struct tui *tui, WINDOW *win, const struct host_rect *r, int title_y,
			   const char *name, const char *what, double now, const struct history *h,
			   bool first)
{
	char rate[32], peak[32], buf[160];
	float max = history_max(h, 0);
	int x = r->x, w = r->w, n = 0;

	cli_format_rate(now, rate, sizeof(rate));
	cli_format_rate(max, peak, sizeof(peak));
	snprintf(buf, sizeof(buf), "%s %s  peak %s", what, rate, peak);
	if (first) {
		wattrset(win, theme_attr(THEME_HEADER));
		n = tui_put(win, title_y, x, w, name, false) + 1;
	}
	wattrset(win, theme_attr(THEME_NORMAL));
	if (n < w)
		tui_put(win, title_y, x + n, w - n, buf, false);
	if (r->h > 0)
		/* Scale to the peak shown, with a floor so an idle disk does
		 * not blow single bytes up to full height. */
		graph_draw(win, r->y, r->x, r->h, r->w, h, max > 4096.0f ? max : 4096.0f,
			   tui->graph_style);
}

static void host_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	const struct tui_model *m = &tui->model;
	const struct tui_host_history *hh = m->host_hist;
	struct host_layout l;
	int h, w;

	(void)scr;
	getmaxyx(win, h, w);
	werase(win);
	wbkgdset(win, (chtype)theme_attr(THEME_NORMAL) | ' ');
	if (!m->have_host || !hh) {
		const char *msg = "Waiting for the first host sample...";
		int len = (int)strlen(msg);

		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, h / 2, w > len ? (w - len) / 2 : 0, w, msg, false);
		return;
	}
	screen_host_layout(h, w, m->host.ncpus, &l);
	if (l.cpu.h)
		host_draw_cpu(tui, win, &l);
	if (l.mem.h)
		host_draw_mem(tui, win, &l);
	if (l.disk.h) {
		host_draw_rate(tui, win, &l.disk_rd, l.disk.y, " Disk ", "read",
			       m->host.disk_read_bps, &hh->disk_rd, true);
		host_draw_rate(tui, win, &l.disk_wr, l.disk.y, " Disk ", "write",
			       m->host.disk_write_bps, &hh->disk_wr, false);
	}
	if (l.net.h) {
		host_draw_rate(tui, win, &l.net_rx, l.net.y, " Network ", "rx", m->host.net_rx_bps,
			       &hh->net_rx, true);
		host_draw_rate(tui, win, &l.net_tx, l.net.y, " Network ", "tx", m->host.net_tx_bps,
			       &hh->net_tx, false);
	}
	wattrset(win, theme_attr(THEME_NORMAL));
}

/* g: braille -> eighth blocks -> ASCII -> braille (ASCII only without UTF-8). */
static enum tui_result host_key(struct tui *tui, struct screen *scr, int key)
{
	(void)scr;
	if (key != 'g')
		return TUI_IGNORED;
	if (!tui->utf8)
		tui->graph_style = GRAPH_ASCII;
	else if (tui->graph_style == GRAPH_BRAILLE)
		tui->graph_style = GRAPH_BLOCK;
	else if (tui->graph_style == GRAPH_BLOCK)
		tui->graph_style = GRAPH_ASCII;
	else
		tui->graph_style = GRAPH_BRAILLE;
	tui_status(tui, TUI_STATUS_INFO, "graphs: %s",
		   tui->graph_style == GRAPH_BRAILLE ? "braille"
		   : tui->graph_style == GRAPH_BLOCK ? "blocks"
						     : "ASCII");
	return TUI_REDRAW;
}

static const struct keybar_item host_keybar_items[] = {
    {"F1", "Help", KEY_F(1)}, {"Tab", "VMs", '\t'}, {"g", "Graphs", 'g'},
    {"N", "Networks", 'N'}, {"t", "Theme", 't'}, {"q", "Quit", 'q'}, {NULL, NULL, 0},
};

static const struct keybar_item *host_keybar(struct tui *tui, struct screen *scr)
{
	(void)tui;
	(void)scr;
	return host_keybar_items;
}

static const struct tui_binding host_help[] = {
    {"Host dashboard", NULL},
    {"g", "graph style: braille, blocks, ASCII"},
    {"Tab, h", "back to the VM list"},
    {NULL, NULL},
};

const struct screen_ops screen_host_ops = {
    .name = "host",
    .draw = host_draw,
    .key = host_key,
    .keybar = host_keybar,
    .help = host_help,
};
