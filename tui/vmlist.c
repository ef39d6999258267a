/* The main window's list logic: column layout, filter, sort, marks and
 * which VMs an action applies to (pure functions, see vmlist.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmlist.h"

struct vmlist_coldef {
	const char *title;
	int width;    /* the width it needs */
	int drop;     /* 0 = never dropped; else dropped in increasing order */
	bool right;   /* numbers are right-aligned */
	bool sorting; /* can the list be sorted by it */
};

/* Widths fit the longest value: "shutting down", "100.0%", "12.3M/1.5K". */
static const struct vmlist_coldef vmlist_cols[VMLIST_NCOLS] = {
    [VMLIST_COL_NAME] = {"NAME", 14, 0, false, true},
    [VMLIST_COL_STATE] = {"STATE", 13, 0, false, true},
    [VMLIST_COL_VCPUS] = {"CPUS", 4, 5, true, true},
    [VMLIST_COL_MEM] = {"MEM", 5, 6, true, true},
    [VMLIST_COL_CPU] = {"CPU%", 6, 7, true, true},
    [VMLIST_COL_GRAPH] = {"CPU GRAPH", 9, 4, false, false},
    [VMLIST_COL_DISK] = {"DISK R/W", 11, 2, true, true},
    [VMLIST_COL_NET] = {"NET RX/TX", 11, 1, true, true},
    [VMLIST_COL_UPTIME] = {"UPTIME", 7, 3, true, true},
};

#define VMLIST_NAME_MAX_WIDTH  32
#define VMLIST_GRAPH_MAX_WIDTH (HISTORY_LEN / 2) /* braille: 2 samples a cell */

const char *vmlist_col_title(enum vmlist_col col)
{
	return col < VMLIST_NCOLS ? vmlist_cols[col].title : "";
}

bool vmlist_col_right_aligned(enum vmlist_col col)
{
	return col < VMLIST_NCOLS && vmlist_cols[col].right;
}

void vmlist_layout(int width, struct vmlist_layout *out)
{
	bool keep[VMLIST_NCOLS];
	int widths[VMLIST_NCOLS];
	int used, x;

	for (int c = 0; c < VMLIST_NCOLS; c++) {
		keep[c] = true;
		widths[c] = vmlist_cols[c].width;
	}
	/* Drop columns in their order until the rest fits (a space between
	 * columns). NAME and STATE stay even if they do not fit. */
	for (int round = 1;; round++) {
		used = VMLIST_GUTTER - 1;
		for (int c = 0; c < VMLIST_NCOLS; c++)
			if (keep[c])
				used += 1 + widths[c];
		if (used <= width)
			break;
		bool dropped = false;
		for (int c = 0; c < VMLIST_NCOLS; c++) {
			if (vmlist_cols[c].drop == round) {
				keep[c] = false;
				dropped = true;
			}
		}
		if (!dropped && round > VMLIST_NCOLS)
			break;
	}
	/* Spare room: first a longer NAME, then a longer graph (more history
	 * on a wide terminal), then NAME again. */
	int spare = width - used;
	if (spare > 0) {
		int add = VMLIST_NAME_MAX_WIDTH - widths[VMLIST_COL_NAME];
		add = add < spare ? add : spare;
		widths[VMLIST_COL_NAME] += add;
		spare -= add;
	}
	if (spare > 0 && keep[VMLIST_COL_GRAPH]) {
		int add = VMLIST_GRAPH_MAX_WIDTH - widths[VMLIST_COL_GRAPH];
		add = add < spare ? add : spare;
		widths[VMLIST_COL_GRAPH] += add;
		spare -= add;
	}
	if (spare > 0)
		widths[VMLIST_COL_NAME] += spare;

	out->ncols = 0;
	x = VMLIST_GUTTER;
	for (int c = 0; c < VMLIST_NCOLS; c++) {
		if (!keep[c])
			continue;
		out->cols[out->ncols].col = c;
		out->cols[out->ncols].x = x;
		out->cols[out->ncols].width = widths[c];
		out->ncols++;
		x += widths[c] + 1;
	}
}

int vmlist_layout_find(const struct vmlist_layout *l, enum vmlist_col col)
{
	for (int i = 0; i < l->ncols; i++)
		if (l->cols[i].col == col)
			return i;
	return -1;
}

bool vmlist_filter_match(const char *name, const char *filter)
{
	size_t n = strlen(name), f = strlen(filter);

	if (!f)
		return true;
	for (size_t i = 0; i + f <= n; i++)
		if (!strncasecmp(name + i, filter, f))
			return true;
	return false;
}

enum vmlist_col vmlist_sort_next(enum vmlist_col col, int dir)
{
	int c = col;

	do
		c = (c + (dir < 0 ? VMLIST_NCOLS - 1 : 1)) % VMLIST_NCOLS;
	while (!vmlist_cols[c].sorting);
	return c;
}

/* States in the order a user scans them: what runs first. */
static int vmlist_state_rank(enum vm_state s)
{
	switch (s) {
	case VM_STATE_RUNNING:
		return 0;
	case VM_STATE_STARTING:
		return 1;
	case VM_STATE_SHUTTING_DOWN:
		return 2;
	case VM_STATE_PAUSED:
		return 3;
	case VM_STATE_CRASHED:
		return 4;
	case VM_STATE_UNKNOWN:
		return 5;
	default:
		return 6;
	}
}

#define VMLIST_CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

/* The column's own order, without the tie-break. */
static int vmlist_compare_key(const struct tui_vm *a, const struct tui_vm *b, enum vmlist_col col)
{
	int r = 0;

	switch (col) {
	case VMLIST_COL_NAME:
		r = strcmp(a->info.name, b->info.name);
		break;
	case VMLIST_COL_STATE:
		r = VMLIST_CMP(vmlist_state_rank(a->info.state), vmlist_state_rank(b->info.state));
		break;
	case VMLIST_COL_VCPUS:
		r = VMLIST_CMP(a->info.vcpus, b->info.vcpus);
		break;
	case VMLIST_COL_MEM:
		r = VMLIST_CMP(a->info.memory_mib, b->info.memory_mib);
		break;
	case VMLIST_COL_CPU:
	case VMLIST_COL_GRAPH:
		/* A VM without figures ("-") is below an idle one at 0%. */
		r = VMLIST_CMP(a->has_stats ? a->cpu_percent : -1.0,
			       b->has_stats ? b->cpu_percent : -1.0);
		break;
	case VMLIST_COL_DISK:
		r = VMLIST_CMP(a->disk_rd_rate + a->disk_wr_rate,
			       b->disk_rd_rate + b->disk_wr_rate);
		break;
	case VMLIST_COL_NET:
		r = VMLIST_CMP(a->net_rx_rate + a->net_tx_rate, b->net_rx_rate + b->net_tx_rate);
		break;
	case VMLIST_COL_UPTIME:
		r = VMLIST_CMP(a->info.uptime_ms, b->info.uptime_ms);
		break;
	default:
		break;
	}
	return r;
}

int vmlist_compare(const struct tui_vm *a, const struct tui_vm *b, enum vmlist_col col)
{
	int r = vmlist_compare_key(a, b, col);

	return r ? r : strcmp(a->info.name, b->info.name);
}

/* qsort has no context argument: sort an array of (index, vms) pairs
 * with a file-local key instead, under no lock of ours (the caller's
 * thread only). */
struct vmlist_sort_item {
	const struct tui_vm *vm;
	int index;
	enum vmlist_col col;
	bool desc;
};

static int vmlist_sort_cmp(const void *pa, const void *pb)
{
	const struct vmlist_sort_item *a = pa, *b = pb;
	int r = vmlist_compare_key(a->vm, b->vm, a->col);

	if (a->desc)
		r = -r;
	/* Equal keys stay in name order either way, so rows do not swap
	 * places when the order is inverted. */
	return r ? r : strcmp(a->vm->info.name, b->vm->info.name);
}

int vmlist_rows(const struct tui_vm *vms, int n, const char *filter, enum vmlist_col col, bool desc,
		int *rows)
{
	struct vmlist_sort_item stack_items[64], *items = stack_items;
	int count = 0;

	if (n > 64) {
		items = malloc(sizeof(*items) * (size_t)n);
		if (!items) {
			/* Unsorted beats nothing. */
			for (int i = 0; i < n; i++)
				if (vmlist_filter_match(vms[i].info.name, filter ? filter : ""))
					rows[count++] = i;
			return count;
		}
	}
	for (int i = 0; i < n; i++) {
		if (!vmlist_filter_match(vms[i].info.name, filter ? filter : ""))
			continue;
		items[count].vm = &vms[i];
		items[count].index = i;
		items[count].col = col;
		items[count].desc = desc;
		count++;
	}
	qsort(items, (size_t)count, sizeof(*items), vmlist_sort_cmp);
	for (int i = 0; i < count; i++)
		rows[i] = items[i].index;
	if (items != stack_items)
		free(items);
	return count;
}

bool vmlist_is_marked(const struct vmlist_marks *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->names[i], name))
			return true;
	return false;
}

int vmlist_mark(struct vmlist_marks *m, const char *name)
{
	if (vmlist_is_marked(m, name))
		return 0;
	if (m->n == m->cap) {
		int cap = m->cap ? m->cap * 2 : 16;
		void *p = realloc(m->names, sizeof(*m->names) * (size_t)cap);

		if (!p)
			return -ENOMEM;
		m->names = p;
		m->cap = cap;
	}
	snprintf(m->names[m->n], sizeof(m->names[m->n]), "%s", name);
	m->n++;
	return 0;
}

static void vmlist_unmark_at(struct vmlist_marks *m, int i)
{
	memmove(m->names[i], m->names[i + 1], sizeof(*m->names) * (size_t)(m->n - i - 1));
	m->n--;
}

bool vmlist_toggle_mark(struct vmlist_marks *m, const char *name)
{
	for (int i = 0; i < m->n; i++) {
		if (!strcmp(m->names[i], name)) {
			vmlist_unmark_at(m, i);
			return false;
		}
	}
	return vmlist_mark(m, name) == 0;
}

void vmlist_clear_marks(struct vmlist_marks *m)
{
	m->n = 0;
}

void vmlist_mark_key(const struct tui_vm *vm, char *buf, size_t len)
{
	if (vm->conn_id)
		snprintf(buf, len, "%d/%s", vm->conn_id, vm->info.name);
	else
		snprintf(buf, len, "%s", vm->info.name);
}

void vmlist_prune_marks(struct vmlist_marks *m, const struct tui_vm *vms, int n)
{
	for (int i = 0; i < m->n;) {
		bool found = false;

		for (int j = 0; j < n && !found; j++) {
			char key[VMLIST_MARK_MAX];

			vmlist_mark_key(&vms[j], key, sizeof(key));
			found = !strcmp(key, m->names[i]);
		}
		if (found)
			i++;
		else
			vmlist_unmark_at(m, i);
	}
}

void vmlist_free_marks(struct vmlist_marks *m)
{
	free(m->names);
	m->names = NULL;
	m->n = m->cap = 0;
}

bool vmlist_action_applies(enum tui_action action, enum vm_state state)
{
	bool off = state == VM_STATE_SHUTOFF || state == VM_STATE_CRASHED;

	switch (action) {
	case TUI_ACTION_START:
	case TUI_ACTION_UNDEFINE:
		return off;
	case TUI_ACTION_SHUTDOWN:
	case TUI_ACTION_REBOOT:
		return state == VM_STATE_RUNNING || state == VM_STATE_PAUSED;
	case TUI_ACTION_DESTROY:
		return !off;
	case TUI_ACTION_PAUSE:
		return state == VM_STATE_RUNNING;
	case TUI_ACTION_RESUME:
		return state == VM_STATE_PAUSED;
	}
	return false;
}

void vmlist_format_short(double bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	int u = 0;

	if (!(bytes > 0)) {
		snprintf(buf, len, "0");
		return;
	}
	while (bytes >= 1000 && u < 5) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f", bytes);
	else if (bytes < 9.95)
		snprintf(buf, len, "%.1f%c", bytes, units[u]);
	else
		snprintf(buf, len, "%.0f%c", bytes, units[u]);
}
