/* The host dashboard's layout, apart from drawing so that it can be tested
 * at several terminal sizes (the screen itself is screen_host_ops, tui.h). */
#ifndef VIRTTY_TUI_SCREEN_HOST_H
#define VIRTTY_TUI_SCREEN_HOST_H

#include <stdbool.h>

struct host_rect {
	int y, x, h, w; /* h == 0: not shown */
};

enum host_cores_mode {
	HOST_CORES_NONE,  /* no room: only the total */
	HOST_CORES_TILES, /* a label line and a graph per core */
	HOST_CORES_BARS,  /* one bar per core, several columns */
};

struct host_layout {
	bool two_columns; /* CPU left, memory/disk/network right */
	/* Sections, each starting with its title line. */
	struct host_rect cpu, mem, disk, net;
	struct host_rect cpu_total; /* graph of total CPU% */
	enum host_cores_mode cores_mode;
	struct host_rect cores;	  /* area of the per-core grid */
	int core_cols, core_rows; /* grid */
	int core_w, core_h;	  /* one tile or bar, gap included */
	int cores_shown;	  /* < ncpus: the last slot says "+N more" */
	struct host_rect mem_bar; /* used and cache */
	struct host_rect swap_bar;
	struct host_rect mem_graph;
	struct host_rect disk_rd, disk_wr; /* graphs side by side */
	struct host_rect net_rx, net_tx;
};

/* Lays out an h x w area for ncpus cores. Pure: rectangles never overlap
 * and stay inside the area. */
void screen_host_layout(int h, int w, int ncpus, struct host_layout *out);

#endif
