/* The main window's list logic, kept free of curses so it can be tested:
 * which columns fit a width, the rows a filter and sort order give, the
 * marked set, and which VMs a (bulk) action applies to. */
#ifndef VIRTTY_TUI_VMLIST_H
#define VIRTTY_TUI_VMLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "tui.h"

enum vmlist_col {
	VMLIST_COL_NAME,
	VMLIST_COL_STATE,
	VMLIST_COL_VCPUS,
	VMLIST_COL_MEM,
	VMLIST_COL_CPU,
	VMLIST_COL_GRAPH, /* CPU% sparkline */
	VMLIST_COL_DISK,  /* read/write rates */
	VMLIST_COL_NET,	  /* rx/tx rates */
	VMLIST_COL_UPTIME,
	VMLIST_NCOLS
};

/* Columns that fit, left to right, with their x and width. A two-cell
 * gutter at x = 0 holds the mark. */
struct vmlist_layout {
	int ncols;
	struct {
		enum vmlist_col col;
		int x, width;
	} cols[VMLIST_NCOLS];
};

#define VMLIST_GUTTER 2

/* vmlist.c */
const char *vmlist_col_title(enum vmlist_col col);
bool vmlist_col_right_aligned(enum vmlist_col col);
/* Lay out the columns in width cells: NAME and STATE always; when narrow,
 * NET goes first, then DISK, UPTIME, the graph, vCPUs, MEM and CPU%. Room
 * left over widens NAME (up to 32) and then the graph. */
void vmlist_layout(int width, struct vmlist_layout *out);
/* Index into out->cols of col, or -1 when it was dropped. */
int vmlist_layout_find(const struct vmlist_layout *l, enum vmlist_col col);

/* Does name contain filter (case-insensitive)? "" matches everything. */
bool vmlist_filter_match(const char *name, const char *filter);
/* The next/previous column to sort by (skipping the graph). */
enum vmlist_col vmlist_sort_next(enum vmlist_col col, int dir);
/* Compare two VMs by col (ties: by name), ascending. */
int vmlist_compare(const struct tui_vm *a, const struct tui_vm *b, enum vmlist_col col);
/* Fill rows with the indices of vms that pass filter, sorted by col
 * (descending if desc; equal keys in name order both ways). rows must
 * hold n entries; returns how many. */
int vmlist_rows(const struct tui_vm *vms, int n, const char *filter, enum vmlist_col col, bool desc,
		int *rows);

/* The VMs picked with space, by key (vmlist_mark_key: they survive
 * re-sorting and refreshes; VMs that vanish are pruned). */
#define VMLIST_MARK_MAX (VM_NAME_MAX + 16)
struct vmlist_marks {
	char (*names)[VMLIST_MARK_MAX];
	int n, cap;
};
/* A VM's mark key: its name on the local connection (id 0), "ID/name" on
 * another (names hold no '/'), so equal names on two hosts differ. */
void vmlist_mark_key(const struct tui_vm *vm, char *buf, size_t len);
bool vmlist_is_marked(const struct vmlist_marks *m, const char *name);
/* Returns true if name is now marked. */
bool vmlist_toggle_mark(struct vmlist_marks *m, const char *name);
int vmlist_mark(struct vmlist_marks *m, const char *name);
void vmlist_clear_marks(struct vmlist_marks *m);
/* Forget marks of VMs no longer in vms. */
void vmlist_prune_marks(struct vmlist_marks *m, const struct tui_vm *vms, int n);
void vmlist_free_marks(struct vmlist_marks *m);

/* Can action be asked of a VM in this state? (A bulk action skips the
 * marked VMs it cannot apply to.) */
bool vmlist_action_applies(enum tui_action action, enum vm_state state);

/* Short rates and sizes for narrow columns: "0", "512", "1.5K", "12M",
 * "3.2G" (bytes or bytes/s, binary units). */
void vmlist_format_short(double bytes, char *buf, size_t len);

#endif
