/* Where the host dashboard puts each part for a given window size: pure
 * arithmetic, kept apart from the drawing so tests can check it at many
 * sizes without a terminal. */
#include <string.h>

#include "screen-host.h"

#define HOST_TILE_MIN_W	   16 /* "cpu12 100%" and a graph worth looking at */
#define HOST_BAR_W	   24 /* comfortable "12[|||||     45%]" */
#define HOST_BAR_MIN_W	   14
#define HOST_TWO_COLUMNS_W 120

static struct host_rect host_rect(int y, int x, int h, int w)
{
	if (h <= 0 || w <= 0)
		return (struct host_rect){y, x, 0, 0};
	return (struct host_rect){y, x, h, w};
}

static void host_layout_cpu(struct host_layout *l, int ncpus)
{
	struct host_rect s = l->cpu;
	int body = s.h - 1, y = s.y + 1, w = s.w;
	int ncol, nrow;

	l->cores_mode = HOST_CORES_NONE;
	l->cpu_total = host_rect(y, s.x, body, w);
	if (body < 2 || ncpus <= 1)
		return; /* one core is the total */

	/* Tiles when each core can have a label and a graph of 1+ rows and
	 * the total keeps at least two rows (a third of the room if more). */
	ncol = w / HOST_TILE_MIN_W;
	if (ncol > ncpus)
		ncol = ncpus;
	if (ncol >= 1) {
		int tg = body / 3 > 2 ? body / 3 : 2;

		nrow = (ncpus + ncol - 1) / ncol;
		if (body - tg >= 2 * nrow) {
			/* One row of tiles shares the room evenly with the total. */
			int th =
			    nrow == 1 ? body - (body / 2 > 2 ? body / 2 : 2) : (body - tg) / nrow;

			l->cores_mode = HOST_CORES_TILES;
			l->core_cols = ncol;
			l->core_rows = nrow;
			l->core_w = w / ncol;
			l->core_h = th;
			l->cores_shown = ncpus;
			l->cpu_total = host_rect(y, s.x, body - th * nrow, w);
			l->cores = host_rect(y + body - th * nrow, s.x, th * nrow, w);
			return;
		}
	}

	/* Bars: wide ones when they fit, narrower ones for many cores, and
	 * as many as the room allows, keeping a row for the total. */
	ncol = w / HOST_BAR_W > 0 ? w / HOST_BAR_W : 1;
	nrow = (ncpus + ncol - 1) / ncol;
	if (nrow > body - 1) {
		ncol = w / HOST_BAR_MIN_W > 0 ? w / HOST_BAR_MIN_W : 1;
		if (ncol > ncpus)
			ncol = ncpus;
		nrow = (ncpus + ncol - 1) / ncol;
	}
	l->cores_mode = HOST_CORES_BARS;
	l->core_cols = ncol;
	l->core_w = w / ncol;
	l->core_h = 1;
	l->cores_shown = ncpus;
	if (nrow > body - 1) {
		nrow = body - 1;
		l->cores_shown = nrow * ncol - 1; /* the last slot says how many more */
	}
	l->core_rows = nrow;
	l->cpu_total = host_rect(y, s.x, body - nrow, w);
	l->cores = host_rect(y + body - nrow, s.x, nrow, w);
}

static void host_layout_pair(struct host_rect s, struct host_rect *a, struct host_rect *b)
{
	int body = s.h - 1, half = (s.w - 1) / 2;

	*a = host_rect(s.y + 1, s.x, body, half);
	*b = host_rect(s.y + 1, s.x + half + 1, body, s.w - half - 1);
}

void screen_host_layout(int h, int w, int ncpus, struct host_layout *out)
{
	struct host_layout *l = out;
	int rest, mem_h, disk_h, net_h, rx, rw, ry;

	memset(l, 0, sizeof(*l));
	if (h <= 0 || w <= 0)
		return;
	l->two_columns = w >= HOST_TWO_COLUMNS_W && h >= 12;
	if (l->two_columns) {
		int lw = w / 2;

		l->cpu = host_rect(0, 0, h, lw - 1);
		rx = lw + 1;
		rw = w - rx;
		ry = 0;
		rest = h;
	} else {
		int cpu_h = h * 2 / 5;

		if (ncpus > 8 && h >= 16)
			cpu_h = h / 2; /* many cores need the rows */
		if (cpu_h < 3)
			cpu_h = h < 3 ? h : 3;
		l->cpu = host_rect(0, 0, cpu_h, w);
		rx = 0;
		rw = w;
		ry = cpu_h;
		rest = h - cpu_h;
	}
	/* Memory takes a little more than a third: two bar lines above its graph. */
	disk_h = rest / 3;
	net_h = rest / 3;
	mem_h = rest - disk_h - net_h;
	if (disk_h < 2) {
		/* Too few rows for everything: memory first, then disk, then net. */
		mem_h = rest < 3 ? rest : 3;
		disk_h = rest - mem_h >= 2 ? 2 : 0;
		net_h = rest - mem_h - disk_h >= 2 ? 2 : 0;
		mem_h = rest - disk_h - net_h;
	}
	l->mem = host_rect(ry, rx, mem_h, rw);
	l->disk = host_rect(ry + mem_h, rx, disk_h, rw);
	l->net = host_rect(ry + mem_h + disk_h, rx, net_h, rw);

	if (l->cpu.h > 0)
		host_layout_cpu(l, ncpus);
	if (l->mem.h >= 2)
		l->mem_bar = host_rect(l->mem.y + 1, l->mem.x, 1, l->mem.w);
	if (l->mem.h >= 3)
		l->swap_bar = host_rect(l->mem.y + 2, l->mem.x, 1, l->mem.w);
	if (l->mem.h >= 4)
		l->mem_graph = host_rect(l->mem.y + 3, l->mem.x, l->mem.h - 3, l->mem.w);
	if (l->disk.h >= 2)
		host_layout_pair(l->disk, &l->disk_rd, &l->disk_wr);
	if (l->net.h >= 2)
		host_layout_pair(l->net, &l->net_rx, &l->net_tx);
}
