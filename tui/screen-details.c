/* The VM details page (Enter on a VM): three sections switched with 1/2/3
 * or Left/Right: Overview (state and configuration), Performance (graphs
 * over the sampler's history) and Hardware (a list where Enter edits the
 * vCPUs, memory or display). The lifecycle and console keys work here as
 * on the list. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "details.h"
#include "store/store.h"
#include "tui.h"
#include "vmlist.h"

enum details_section { DETAILS_OVERVIEW, DETAILS_PERFORMANCE, DETAILS_HARDWARE, DETAILS_NR };

static const char *const details_section_names[DETAILS_NR] = {"Overview", "Performance",
							      "Hardware"};

/* Rows of the Hardware list before the disks and after them. */
enum details_hw_row { HW_CPUS, HW_MEMORY, HW_DISPLAY, HW_FIXED };

#define DETAILS_TOP_ROWS 2 /* the title line with the tabs, a blank line */

struct details_state {
	char name[VM_NAME_MAX + 1];
	enum details_section section;
	int hw_cursor; /* Hardware: the selected row */
	int hw_rows;   /* rows in the list, from the last draw */
	int top;       /* Overview: first line shown (long cmdlines, many disks) */
	/* Where the tabs were drawn, for clicks. */
	int tab_x0[DETAILS_NR], tab_x1[DETAILS_NR];
};

static const struct keybar_item details_keybar[] = {
    {"1-3", "Section", 0}, {"s", "Start", 's'}, {"d", "Shutdown", 'd'},
    {"p", "Pause", 'p'},   {"F", "Off", 'F'},	{"C", "Clone", 'C'},
    {"v", "Screen", 'v'},  {"Esc", "Back", 27}, {NULL, NULL, 0},
};

static const struct keybar_item details_hw_keybar[] = {
    {"1-3", "Section", 0},  {"Enter", "Edit", '\n'}, {"s", "Start", 's'},
    {"d", "Shutdown", 'd'}, {"F", "Off", 'F'},	     {"C", "Clone", 'C'},
    {"v", "Screen", 'v'},   {"Esc", "Back", 27},     {NULL, NULL, 0},
};

static const struct tui_binding details_help[] = {
    {"VM details", NULL},
    {"1, 2, 3", "Overview, Performance, Hardware"},
    {"Left/Right", "previous/next section"},
    {"Up/Down", "Hardware: move; Overview: scroll"},
    {"Enter", "Hardware: change the vCPUs, memory or display"},
    {"2", "Performance: CPU, memory, disk, and rx/tx of each NIC"},
    {"s", "start"},
    {"d", "shut down (asks the guest)"},
    {"p", "pause, or resume a paused VM"},
    {"R", "reboot: a hard reset (asks first)"},
    {"F, F9", "force off (asks first)"},
    {"D", "delete the VM (asks first; its disks are moved aside)"},
    {"C", "clone the VM (asks for the new name; shows the progress)"},
    {"c", "serial console (a running VM; Ctrl-] comes back)"},
    {"v", "graphical console (VNC; a running VM with a display)"},
    {"Esc", "back to the list"},
    {NULL, NULL},
};

/* The VM's row in the model, or NULL once it is gone. Model lock held. */
static const struct tui_vm *details_vm(const struct tui *tui, const struct details_state *st)
{
	for (int i = 0; i < tui->model.nr_vms; i++)
		if (tui->model.vms[i].conn_id == tui->cur_conn &&
		    !strcmp(tui->model.vms[i].info.name, st->name))
			return &tui->model.vms[i];
	return NULL;
}

/* The configuration, if the worker answered for this VM. Model lock held. */
static const struct vm_config *details_config(const struct tui *tui, const struct details_state *st)
{
	const struct tui_config_reply *cr = &tui->model.config;

	if (strcmp(cr->name, st->name) || !cr->ready || cr->rc)
		return NULL;
	return &cr->config;
}

static void details_enter(struct tui *tui, struct screen *scr)
{
	struct details_state *st = scr->priv;

	if (st)
		tui_request_config(tui, st->name);
}

static void details_destroy(struct screen *scr)
{
	free(scr->priv);
	scr->priv = NULL;
}

/* ---- drawing ---- */

/* A disk's size; the driver may not know it (0). */
static void details_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes)
		format_size(bytes, buf, len);
	else
		snprintf(buf, len, "size unknown");
}

static void details_draw_tabs(struct tui *tui, struct details_state *st, WINDOW *win, int cols,
			      const struct tui_vm *vm)
{
	int x = 0;
	char buf[VM_NAME_MAX + 32];

	(void)tui;
	wattrset(win, theme_attr(THEME_TITLE));
	snprintf(buf, sizeof(buf), " %s ", st->name);
	x += tui_put(win, 0, x, cols - x, buf, false);
	if (vm) {
		wattrset(win, theme_attr(theme_state_role(vm->info.state)));
		snprintf(buf, sizeof(buf), "[%s]", vm_state_name(vm->info.state));
		x += tui_put(win, 0, x, cols - x, buf, false);
	}
	x += 2;
	for (int i = 0; i < DETAILS_NR && x < cols; i++) {
		snprintf(buf, sizeof(buf), " %d %s ", i + 1, details_section_names[i]);
		wattrset(win, theme_attr(i == (int)st->section ? THEME_SELECTED : THEME_HEADER));
		st->tab_x0[i] = x;
		x += tui_put(win, 0, x, cols - x, buf, false);
		st->tab_x1[i] = x;
		x++;
	}
	wattrset(win, theme_attr(THEME_NORMAL));
}

/* One "Key      value" line of the Overview; skipped lines above top. */
struct details_lines {
	WINDOW *win;
	int y, line, top, rows, cols;
};

static void details_line(struct details_lines *dl, const char *key, int attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void details_line(struct details_lines *dl, const char *key, int attr, const char *fmt, ...)
{
	char value[VM_PATH_MAX + 64];
	va_list ap;

	if (dl->line++ < dl->top || dl->y >= dl->rows)
		return;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	wattrset(dl->win, theme_attr(THEME_HEADER));
	tui_put(dl->win, dl->y, 1, 12, key, false);
	wattrset(dl->win, attr);
	tui_put(dl->win, dl->y, 14, dl->cols - 15, value, false);
	dl->y++;
}

static void details_draw_overview(struct tui *tui, struct details_state *st, WINDOW *win, int rows,
				  int cols, const struct tui_vm *vm)
{
	const struct tui_config_reply *cr = &tui->model.config;
	const struct vm_config *cfg = details_config(tui, st);
	struct details_lines dl = {win, DETAILS_TOP_ROWS, 0, st->top, rows, cols};
	int normal = theme_attr(THEME_NORMAL);
	char buf[64];

	details_line(&dl, "Name", normal, "%s", st->name);
	details_line(&dl, "State", theme_attr(theme_state_role(vm->info.state)), "%s",
		     vm_state_name(vm->info.state));
	if (vm->info.reason[0])
		details_line(&dl, "Reason", theme_attr(THEME_ERROR), "%s", vm->info.reason);
	if (vm->info.pending_changes)
		details_line(&dl, "Pending", theme_attr(THEME_STATE_TRANSIENT), "%s",
			     "configuration changed; applies at the next start");
	if (vm->info.uptime_ms) {
		cli_format_duration(vm->info.uptime_ms, buf, sizeof(buf));
		details_line(&dl, "Uptime", normal, "%s", buf);
	} else {
		details_line(&dl, "Uptime", theme_attr(THEME_DIM), "%s", "not running");
	}
	if (vm->info.pid)
		details_line(&dl, "VMM pid", normal, "%d", vm->info.pid);
	else
		details_line(&dl, "VMM pid", theme_attr(THEME_DIM), "%s", "-");
	if (!cfg) {
		if (!strcmp(cr->name, st->name) && cr->ready)
			details_line(&dl, "Config", theme_attr(THEME_ERROR), "%s", cr->error);
		else
			details_line(&dl, "", theme_attr(THEME_DIM), "%s",
				     "reading the configuration...");
		return;
	}
	details_line(&dl, "vCPUs", normal, "%d", cfg->vcpus);
	details_line(&dl, "Memory", normal, "%llu MiB", (unsigned long long)cfg->memory_mib);
	details_line(&dl, "Kernel", normal, "%s", cfg->kernel);
	details_line(&dl, "Initrd", cfg->initrd[0] ? normal : theme_attr(THEME_DIM), "%s",
		     cfg->initrd[0] ? cfg->initrd : "none");
	details_line(&dl, "Cmdline", cfg->cmdline[0] ? normal : theme_attr(THEME_DIM), "%s",
		     cfg->cmdline[0] ? cfg->cmdline : "none");
	for (int i = 0; i < cfg->nr_disks && i < VM_MAX_DISKS; i++) {
		const struct vm_disk *d = &cfg->disks[i];

		details_size(d->size_bytes, buf, sizeof(buf));
		details_line(&dl, i ? "" : "Disks", normal, "%s (%s, %s%s)", d->path,
			     d->format[0] ? d->format : "raw", buf,
			     d->readonly ? ", read-only" : "");
	}
	if (!cfg->nr_disks)
		details_line(&dl, "Disks", theme_attr(THEME_DIM), "%s", "none");
	if (cfg->display.enabled)
		details_line(&dl, "Display", normal, "%dx%d, VNC%s", cfg->display.width,
			     cfg->display.height,
			     cfg->display.vnc_port ? " (also on a TCP port)" : "");
	else
		details_line(&dl, "Display", theme_attr(THEME_DIM), "%s", "none");
	details_line(&dl, "Console", normal, "%s", "serial");
	for (int i = 0; i < cfg->nr_nics && i < VM_MAX_NICS; i++)
		details_line(&dl, i ? "" : "NICs", normal, "%s (%s)", cfg->nics[i].network,
			     cfg->nics[i].mac[0] ? cfg->nics[i].mac : "MAC chosen at start");
	if (!cfg->nr_nics)
		details_line(&dl, "NICs", theme_attr(THEME_DIM), "%s", "none");
	/* The VMM hands out addresses by DHCP without telling anyone which:
	 * the guest knows its address, the host does not. */
	details_line(&dl, "IP", theme_attr(THEME_DIM), "%s", "unknown");
}

/* One graph with its label line: "CPU  12.3%          last 2 min". */
static void details_draw_graph(struct tui *tui, WINDOW *win, int y, int h, int cols,
			       const char *label, const char *value, const struct history *hist,
			       float max)
{
	int per_cell = tui->graph_style == GRAPH_BRAILLE ? 2 : 1;
	int w = cols - 2, shown;
	char span[32];

	if (h < 1)
		return;
	shown = hist->count < w * per_cell ? hist->count : w * per_cell;
	details_format_span(shown, tui->model.interval_ms ? tui->model.interval_ms : 1000, span,
			    sizeof(span));
	wattrset(win, theme_attr(THEME_HEADER));
	tui_put(win, y, 1, 10, label, false);
	wattrset(win, theme_attr(THEME_NORMAL));
	tui_put(win, y, 11, cols - 12, value, false);
	wattrset(win, theme_attr(THEME_DIM));
	if (cols > (int)strlen(span) + 40)
		tui_put(win, y, cols - 1 - (int)strlen(span), (int)strlen(span), span, false);
	wattrset(win, theme_attr(THEME_NORMAL));
	if (h > 1)
		graph_draw(win, y + 1, 1, h - 1, w, hist, max, tui->graph_style);
}

/* One NIC: its label line, then rx on the left half and tx on the right. */
static void details_draw_nic(struct tui *tui, WINDOW *win, int y, int h, int cols, int index,
			     int count, const struct tui_vm_nic *nic)
{
	int per_cell = tui->graph_style == GRAPH_BRAILLE ? 2 : 1;
	int half = (cols - 3) / 2, shown;
	char label[24], v[VM_NAME_MAX + 128], a[32], b[32], span[32];

	if (h < 1)
		return;
	/* One NIC is "the network", as before NICs had graphs of their own. */
	if (count == 1)
		snprintf(label, sizeof(label), "Network");
	else
		snprintf(label, sizeof(label), "NIC %d", index);
	cli_format_rate(nic->rx_rate, a, sizeof(a));
	cli_format_rate(nic->tx_rate, b, sizeof(b));
	snprintf(v, sizeof(v), "rx %s, tx %s  on %s%s", a, b,
		 nic->network[0] ? nic->network : nic->mac,
		 nic->rx_dropped || nic->tx_dropped ? " (drops)" : "");
	shown = nic->rx_hist.count < half * per_cell ? nic->rx_hist.count : half * per_cell;
	details_format_span(shown, tui->model.interval_ms ? tui->model.interval_ms : 1000, span,
			    sizeof(span));
	wattrset(win, theme_attr(THEME_HEADER));
	tui_put(win, y, 1, 10, label, false);
	wattrset(win, theme_attr(THEME_NORMAL));
	tui_put(win, y, 11, cols - 12, v, false);
	wattrset(win, theme_attr(THEME_DIM));
	if (cols > (int)strlen(span) + 60)
		tui_put(win, y, cols - 1 - (int)strlen(span), (int)strlen(span), span, false);
	wattrset(win, theme_attr(THEME_NORMAL));
	if (h < 2 || half < 4)
		return;
	/* rx and tx share one scale: which way the traffic goes shows. */
	float max = history_max(&nic->rx_hist, 0);

	if (history_max(&nic->tx_hist, 0) > max)
		max = history_max(&nic->tx_hist, 0);
	graph_draw(win, y + 1, 1, h - 1, half, &nic->rx_hist, max, tui->graph_style);
	graph_draw(win, y + 1, 2 + half, h - 1, half, &nic->tx_hist, max, tui->graph_style);
	if (h > 2) {
		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, y + 1, 1, 3, "rx", false);
		tui_put(win, y + 1, 2 + half, 3, "tx", false);
		wattrset(win, theme_attr(THEME_NORMAL));
	}
}

static void details_draw_performance(struct tui *tui, WINDOW *win, int rows, int cols,
				     const struct tui_vm *vm)
{
	/* CPU, memory, disk, then a graph per NIC (the total when the VM
	 * runs none). */
	int blocks = 3 + (vm->nr_nics > 0 ? vm->nr_nics : 1);
	int avail = rows - DETAILS_TOP_ROWS, h = avail / blocks, y = DETAILS_TOP_ROWS;
	char v[128], a[32], b[32];

	if (!vm->has_stats) {
		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, y, 1, cols - 2, "Not running: the graphs fill while the VM runs.",
			false);
		y++;
		avail--;
		h = avail / blocks;
	}
	snprintf(v, sizeof(v), "%.1f%% (100%% = one host CPU)", vm->cpu_percent);
	details_draw_graph(tui, win, y, h, cols, "CPU", v, &vm->cpu_hist,
			   100.0f * (float)(vm->info.vcpus > 0 ? vm->info.vcpus : 1));
	y += h;
	format_size(vm->mem_rss_bytes, a, sizeof(a));
	format_size(vm->mem_bytes ? vm->mem_bytes : vm->info.memory_mib << 20, b, sizeof(b));
	snprintf(v, sizeof(v), "%s resident of %s", a, b);
	details_draw_graph(tui, win, y, h, cols, "Memory", v, &vm->mem_hist,
			   (float)(vm->mem_bytes ? vm->mem_bytes : vm->info.memory_mib << 20));
	y += h;
	cli_format_rate(vm->disk_rd_rate, a, sizeof(a));
	cli_format_rate(vm->disk_wr_rate, b, sizeof(b));
	snprintf(v, sizeof(v), "read %s, write %s", a, b);
	details_draw_graph(tui, win, y, h, cols, "Disk", v, &vm->disk_hist, 0);
	y += h;
	if (vm->nr_nics > 0) {
		for (int i = 0; i < vm->nr_nics; i++, y += h)
			details_draw_nic(tui, win, y, i + 1 == vm->nr_nics ? rows - y : h, cols, i,
					 vm->nr_nics, &vm->nics[i]);
		return;
	}
	cli_format_rate(vm->net_rx_rate, a, sizeof(a));
	cli_format_rate(vm->net_tx_rate, b, sizeof(b));
	snprintf(v, sizeof(v), "rx %s, tx %s%s", a, b, vm->has_stats ? " (no NIC)" : "");
	details_draw_graph(tui, win, y, rows - y, cols, "Network", v, &vm->net_hist, 0);
}

/* Rows of the Hardware list: the fixed ones, disks, console, NICs (one
 * row saying "none" without any). */
static int details_hw_rows(const struct vm_config *cfg)
{
	return HW_FIXED + cfg->nr_disks + 1 + (cfg->nr_nics > 0 ? cfg->nr_nics : 1);
}

static void details_draw_hardware(struct tui *tui, struct details_state *st, WINDOW *win, int rows,
				  int cols, const struct tui_vm *vm)
{
	const struct vm_config *cfg = details_config(tui, st);
	int y = DETAILS_TOP_ROWS, n = 0, nr_disks = cfg ? cfg->nr_disks : 0;
	char buf[VM_PATH_MAX + 64], size[32];

	(void)vm;
	if (!cfg) {
		wattrset(win, theme_attr(THEME_DIM));
		tui_put(win, y, 1, cols - 2, "reading the configuration...", false);
		st->hw_rows = 0;
		return;
	}
	st->hw_rows = details_hw_rows(cfg);
	if (st->hw_cursor >= st->hw_rows)
		st->hw_cursor = st->hw_rows - 1;
	for (int i = 0; i < st->hw_rows && y < rows; i++, y++) {
		const char *key;

		if (i == HW_CPUS) {
			key = "CPUs";
			snprintf(buf, sizeof(buf), "%d vCPU%s   (Enter: change)", cfg->vcpus,
				 cfg->vcpus == 1 ? "" : "s");
		} else if (i == HW_MEMORY) {
			key = "Memory";
			snprintf(buf, sizeof(buf), "%llu MiB   (Enter: change)",
				 (unsigned long long)cfg->memory_mib);
		} else if (i == HW_DISPLAY) {
			key = "Display";
			if (cfg->display.enabled && cfg->display.vnc_port)
				snprintf(
				    buf, sizeof(buf), "%dx%d, VNC (TCP port %d)   (Enter: change)",
				    cfg->display.width, cfg->display.height, cfg->display.vnc_port);
			else if (cfg->display.enabled)
				snprintf(buf, sizeof(buf), "%dx%d, VNC   (Enter: change)",
					 cfg->display.width, cfg->display.height);
			else
				snprintf(buf, sizeof(buf), "none   (Enter: add one)");
		} else if (i < HW_FIXED + nr_disks) {
			const struct vm_disk *d = &cfg->disks[i - HW_FIXED];

			key = "Disk";
			details_size(d->size_bytes, size, sizeof(size));
			snprintf(buf, sizeof(buf), "%s  %s, %s", d->path, size,
				 d->readonly ? "read-only" : "read-write");
		} else if (i == HW_FIXED + nr_disks) {
			key = "Console";
			snprintf(buf, sizeof(buf), "serial");
		} else if (cfg->nr_nics > 0) {
			const struct vm_nic *nic = &cfg->nics[i - HW_FIXED - nr_disks - 1];

			key = "NIC";
			snprintf(buf, sizeof(buf), "%s  %s", nic->network,
				 nic->mac[0] ? nic->mac : "(MAC chosen at start)");
		} else {
			key = "NIC";
			snprintf(buf, sizeof(buf), "none (virtty set %s --nic NETWORK)", st->name);
		}
		wattrset(win, theme_attr(i == st->hw_cursor ? THEME_SELECTED : THEME_NORMAL));
		mvwhline(win, y, 0, ' ', cols);
		tui_put(win, y, 1, 10, key, false);
		tui_put(win, y, 12, cols - 13, buf, false);
		n++;
	}
	(void)n;
	wattrset(win, theme_attr(THEME_NORMAL));
}

static void details_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct details_state *st = scr->priv;
	const struct tui_vm *vm;
	int rows, cols;

	if (!st)
		return;
	werase(win);
	getmaxyx(win, rows, cols);
	vm = details_vm(tui, st);
	details_draw_tabs(tui, st, win, cols, vm);
	if (!vm) {
		wattrset(win, theme_attr(THEME_ERROR));
		tui_put(win, DETAILS_TOP_ROWS, 1, cols - 2,
			tui->model.listed ? "This VM no longer exists." : "Reading the VM list...",
			false);
		wattrset(win, theme_attr(THEME_NORMAL));
		return;
	}
	switch (st->section) {
	case DETAILS_OVERVIEW:
		details_draw_overview(tui, st, win, rows, cols, vm);
		break;
	case DETAILS_PERFORMANCE:
		details_draw_performance(tui, win, rows, cols, vm);
		break;
	default:
		details_draw_hardware(tui, st, win, rows, cols, vm);
		break;
	}
	wattrset(win, theme_attr(THEME_NORMAL));
}

/* ---- actions: as on the list, for this one VM ---- */

static void details_confirm_free(void *opaque)
{
	free(opaque);
}

struct details_confirm {
	enum tui_action action;
	char name[VM_NAME_MAX + 1];
};

static void details_confirm_yes(struct tui *tui, void *opaque)
{
	struct details_confirm *c = opaque;

	tui_request_action(tui, c->action, c->name);
}

static enum tui_result details_action(struct tui *tui, struct details_state *st,
				      enum tui_action action)
{
	struct details_confirm *c;
	char text[512], title[64];

	if (action != TUI_ACTION_DESTROY && action != TUI_ACTION_REBOOT &&
	    action != TUI_ACTION_UNDEFINE) {
		tui_request_action(tui, action, st->name);
		tui_status(tui, TUI_STATUS_INFO, "%s VM '%s'...", tui_action_name(action),
			   st->name);
		return TUI_REDRAW;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return TUI_HANDLED;
	c->action = action;
	snprintf(c->name, sizeof(c->name), "%s", st->name);
	snprintf(text, sizeof(text), "%s VM '%s'?", tui_action_name(action), st->name);
	text[0] = (char)toupper((unsigned char)text[0]);
	/* The same warnings as the list's confirmations. */
	if (action == TUI_ACTION_DESTROY)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 " The guest is stopped at once, like pulling the plug: data it has not "
			 "written is lost.");
	else if (action == TUI_ACTION_REBOOT)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 " This is a hard reset: the guest does not shut down first.");
	else
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 " The definition is removed; disks in the VM's own storage are moved "
			 "aside, disks elsewhere are not touched.");
	snprintf(title, sizeof(title), "Confirm %s", tui_action_name(action));
	tui_push_screen(
	    tui, dialog_confirm_new(title, text, details_confirm_yes, c, details_confirm_free));
	return TUI_REDRAW;
}

/* ---- Hardware edits ---- */

struct details_edit {
	char name[VM_NAME_MAX + 1];
	enum details_hw_row row; /* HW_CPUS, HW_MEMORY or HW_DISPLAY */
	uint64_t host_bytes;
};

static int details_edit_ok(struct tui *tui, const char *text, void *opaque, char *err,
			   size_t errlen)
{
	struct details_edit *e = opaque;
	struct vm_settings set = {0};
	bool enabled;
	int r;

	if (e->row == HW_MEMORY) {
		r = details_parse_memory(text, e->host_bytes, &set.memory_mib, err, errlen);
	} else if (e->row == HW_DISPLAY) {
		r = details_parse_display(text, &enabled, &set.display_width, &set.display_height,
					  err, errlen);
		set.display = enabled ? VM_SETTING_ON : VM_SETTING_OFF;
	} else {
		r = details_parse_vcpus(text, &set.vcpus, err, errlen);
	}
	if (r)
		return r;
	r = tui_request_set(tui, e->name, &set);
	if (r) {
		snprintf(err, errlen, "cannot queue the change: %s", strerror(-r));
		return r;
	}
	tui_status(tui, TUI_STATUS_INFO, "changing VM '%s'...", e->name);
	return 0;
}

/* The host's RAM: the memory a VM may get at most. */
static uint64_t details_host_ram(struct tui *tui)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t bytes = 0;

	pthread_mutex_lock(&tui->model.lock);
	if (tui->model.have_host)
		bytes = tui->model.host.mem_total;
	pthread_mutex_unlock(&tui->model.lock);
	if (!bytes && pages > 0 && psize > 0)
		bytes = (uint64_t)pages * (uint64_t)psize;
	return bytes;
}

static enum tui_result details_edit(struct tui *tui, struct details_state *st)
{
	struct details_edit *e;
	const struct vm_config *cfg;
	char initial[32] = "", prompt[160], title[VM_NAME_MAX + 32];
	int row = st->hw_cursor;

	if (row != HW_CPUS && row != HW_MEMORY && row != HW_DISPLAY) {
		tui_status(tui, TUI_STATUS_INFO,
			   "only the vCPUs, memory and display can be changed here");
		return TUI_REDRAW;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return TUI_HANDLED;
	snprintf(e->name, sizeof(e->name), "%s", st->name);
	e->row = (enum details_hw_row)row;
	e->host_bytes = details_host_ram(tui);
	pthread_mutex_lock(&tui->model.lock);
	cfg = details_config(tui, st);
	if (cfg && row == HW_MEMORY)
		snprintf(initial, sizeof(initial), "%llu", (unsigned long long)cfg->memory_mib);
	else if (cfg && row == HW_DISPLAY && cfg->display.enabled)
		snprintf(initial, sizeof(initial), "%dx%d", cfg->display.width,
			 cfg->display.height);
	else if (cfg && row == HW_DISPLAY)
		snprintf(initial, sizeof(initial), "none");
	else if (cfg)
		snprintf(initial, sizeof(initial), "%d", cfg->vcpus);
	pthread_mutex_unlock(&tui->model.lock);
	if (row == HW_MEMORY)
		snprintf(prompt, sizeof(prompt), "Memory (MiB, or 512M, 2G; host has %llu MiB):",
			 (unsigned long long)(e->host_bytes >> 20));
	else if (row == HW_DISPLAY)
		snprintf(prompt, sizeof(prompt), "Display: WIDTHxHEIGHT (e.g. 1280x800), or none:");
	else
		snprintf(prompt, sizeof(prompt), "vCPUs (1 to %d):", DETAILS_MAX_VCPUS);
	snprintf(title, sizeof(title), "%s of %s",
		 row == HW_MEMORY    ? "Memory"
		 : row == HW_DISPLAY ? "Display"
				     : "vCPUs",
		 st->name);
	tui_push_screen(tui, dialog_input_new(title, prompt, initial, details_edit_ok, e, free));
	return TUI_REDRAW;
}

/* ---- keys and mouse ---- */

/* Rows of the Hardware list now (0 until the configuration is read). */
static int details_hw_count(struct tui *tui, const struct details_state *st)
{
	const struct vm_config *cfg;
	int n = 0;

	pthread_mutex_lock(&tui->model.lock);
	cfg = details_config(tui, st);
	if (cfg)
		n = details_hw_rows(cfg);
	pthread_mutex_unlock(&tui->model.lock);
	return n;
}

static enum tui_result details_key(struct tui *tui, struct screen *scr, int key)
{
	struct details_state *st = scr->priv;
	enum vm_state state = VM_STATE_SHUTOFF;
	const struct tui_vm *vm;

	if (!st)
		return TUI_IGNORED;
	switch (key) {
	case '1':
	case '2':
	case '3':
		st->section = (enum details_section)(key - '1');
		st->top = 0;
		return TUI_REDRAW;
	case KEY_RIGHT:
	case 'l':
		st->section = (enum details_section)((st->section + 1) % DETAILS_NR);
		st->top = 0;
		return TUI_REDRAW;
	case KEY_LEFT:
		st->section = (enum details_section)((st->section + DETAILS_NR - 1) % DETAILS_NR);
		st->top = 0;
		return TUI_REDRAW;
	case KEY_UP:
	case 'k':
		if (st->section == DETAILS_HARDWARE && st->hw_cursor > 0)
			st->hw_cursor--;
		else if (st->section == DETAILS_OVERVIEW && st->top > 0)
			st->top--;
		return TUI_REDRAW;
	case KEY_DOWN:
	case 'j':
		if (st->section == DETAILS_HARDWARE &&
		    st->hw_cursor + 1 < details_hw_count(tui, st))
			st->hw_cursor++;
		else if (st->section == DETAILS_OVERVIEW && st->top < VM_MAX_DISKS + 16)
			st->top++;
		return TUI_REDRAW;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (st->section == DETAILS_HARDWARE)
			return details_edit(tui, st);
		return TUI_HANDLED;
	case 's':
		return details_action(tui, st, TUI_ACTION_START);
	case 'd':
		return details_action(tui, st, TUI_ACTION_SHUTDOWN);
	case 'p':
		pthread_mutex_lock(&tui->model.lock);
		vm = details_vm(tui, st);
		if (vm)
			state = vm->info.state;
		pthread_mutex_unlock(&tui->model.lock);
		return details_action(
		    tui, st, state == VM_STATE_PAUSED ? TUI_ACTION_RESUME : TUI_ACTION_PAUSE);
	case 'R':
		return details_action(tui, st, TUI_ACTION_REBOOT);
	case 'F':
	case KEY_F(9):
		return details_action(tui, st, TUI_ACTION_DESTROY);
	case 'D':
		return details_action(tui, st, TUI_ACTION_UNDEFINE);
	case 'C':
		screen_clone_ask(tui, st->name);
		return TUI_REDRAW;
	case 'c':
		screen_console_open(tui, st->name);
		return TUI_REDRAW;
	case 'v':
		tui_vnc_open(tui, st->name);
		return TUI_REDRAW;
	}
	return TUI_IGNORED; /* Esc, q, ? ... : the global keys */
}

static enum tui_result details_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	struct details_state *st = scr->priv;

	if (!st)
		return TUI_IGNORED;
	if (ev->bstate & BUTTON4_PRESSED)
		return details_key(tui, scr, KEY_UP);
	if (ev->bstate & BUTTON5_PRESSED)
		return details_key(tui, scr, KEY_DOWN);
	if (ev->y == 0) {
		for (int i = 0; i < DETAILS_NR; i++)
			if (ev->x >= st->tab_x0[i] && ev->x < st->tab_x1[i])
				return details_key(tui, scr, '1' + i);
		return TUI_HANDLED;
	}
	if (st->section == DETAILS_HARDWARE) {
		int row = ev->y - DETAILS_TOP_ROWS;

		if (row < 0 || row >= details_hw_count(tui, st))
			return TUI_HANDLED;
		st->hw_cursor = row;
		if (ev->bstate & BUTTON1_DOUBLE_CLICKED)
			return details_edit(tui, st);
		return TUI_REDRAW;
	}
	return TUI_HANDLED;
}

static const struct keybar_item *details_keybar_items(struct tui *tui, struct screen *scr)
{
	struct details_state *st = scr->priv;

	(void)tui;
	return st && st->section == DETAILS_HARDWARE ? details_hw_keybar : details_keybar;
}

const struct screen_ops screen_details_ops = {
    .name = "details",
    .enter = details_enter,
    .draw = details_draw,
    .key = details_key,
    .mouse = details_mouse,
    .keybar = details_keybar_items,
    .help = details_help,
    .destroy = details_destroy,
};

struct screen *screen_details_new(struct tui *tui, const char *vm_name)
{
	struct details_state *st = calloc(1, sizeof(*st));
	struct screen *scr;

	(void)tui;
	if (!st)
		return NULL;
	snprintf(st->name, sizeof(st->name), "%s", vm_name);
	scr = tui_screen_new(&screen_details_ops, st);
	if (!scr)
		free(st);
	return scr;
}
