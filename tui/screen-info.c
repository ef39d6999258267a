/* Enter on a VM: a small panel with its state and configuration, until
 * the full details page exists. The configuration is read by the worker
 * thread (a driver call); the panel shows "reading..." until it lands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tui.h"
#include "vmlist.h"

struct info_state {
	char name[VM_NAME_MAX + 1];
};

static const struct tui_binding info_help[] = {
    {"VM information", NULL},
    {"Esc, q, Enter", "close"},
    {NULL, NULL},
};

static const struct keybar_item info_keybar[] = {
    {"Esc", "Close", 27},
    {NULL, NULL, 0},
};

static void info_enter(struct tui *tui, struct screen *scr)
{
	struct info_state *st = scr->priv;

	if (st)
		tui_request_config(tui, st->name);
}

static void info_destroy(struct screen *scr)
{
	free(scr->priv);
	scr->priv = NULL;
}

#define INFO_MAX_LINES (8 + VM_MAX_DISKS)

/* The panel's lines, gathered first so the box fits them. */
struct info_lines {
	int n;
	struct {
		const char *key;
		char value[VM_PATH_MAX + 64];
		int attr;
	} l[INFO_MAX_LINES];
};

static void info_add(struct info_lines *il, const char *key, int attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void info_add(struct info_lines *il, const char *key, int attr, const char *fmt, ...)
{
	va_list ap;

	if (il->n == INFO_MAX_LINES)
		return;
	il->l[il->n].key = key;
	il->l[il->n].attr = attr;
	va_start(ap, fmt);
	vsnprintf(il->l[il->n].value, sizeof(il->l[il->n].value), fmt, ap);
	va_end(ap);
	il->n++;
}

static void info_collect(const struct tui_vm *vm, const struct tui_config_reply *cr,
			 const char *name, struct info_lines *il)
{
	int dlg = theme_attr(THEME_DIALOG);
	char buf[32];

	il->n = 0;
	if (!vm) {
		info_add(il, "", theme_attr(THEME_ERROR), "This VM no longer exists.");
		return;
	}
	info_add(il, "State", theme_attr(theme_state_role(vm->info.state)), "%s",
		 vm_state_name(vm->info.state));
	if (vm->info.reason[0])
		info_add(il, "Reason", theme_attr(THEME_ERROR), "%s", vm->info.reason);
	if (vm->info.uptime_ms) {
		cli_format_duration(vm->info.uptime_ms, buf, sizeof(buf));
		info_add(il, "Uptime", dlg, "%s", buf);
	}
	if (vm->has_stats)
		info_add(il, "CPU", dlg, "%.1f%%", vm->cpu_percent);
	if (vm->info.pid)
		info_add(il, "VMM pid", dlg, "%d", vm->info.pid);
	if (vm->info.pending_changes)
		info_add(il, "Note", dlg, "configuration changed; applies at the next start");

	if (strcmp(cr->name, name) || !cr->ready) {
		info_add(il, "", theme_attr(THEME_DIM), "reading the configuration...");
		return;
	}
	if (cr->rc) {
		info_add(il, "Config", theme_attr(THEME_ERROR), "%s", cr->error);
		return;
	}
	info_add(il, "vCPUs", dlg, "%d", cr->config.vcpus);
	info_add(il, "Memory", dlg, "%llu MiB", (unsigned long long)cr->config.memory_mib);
	info_add(il, "Kernel", dlg, "%s", cr->config.kernel);
	if (cr->config.initrd[0])
		info_add(il, "Initrd", dlg, "%s", cr->config.initrd);
	if (cr->config.cmdline[0])
		info_add(il, "Cmdline", dlg, "%s", cr->config.cmdline);
	for (int i = 0; i < cr->config.nr_disks && i < VM_MAX_DISKS; i++) {
		const struct vm_disk *d = &cr->config.disks[i];

		vmlist_format_short((double)d->size_bytes, buf, sizeof(buf));
		info_add(il, i ? "" : "Disks", dlg, "%s (%s, %s%s)", d->path,
			 d->format[0] ? d->format : "raw", buf, d->readonly ? ", read-only" : "");
	}
	if (!cr->config.nr_disks)
		info_add(il, "Disks", dlg, "none");
}

static void info_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct info_state *st = scr->priv;
	const struct tui_model *m = &tui->model;
	const struct tui_vm *vm = NULL;
	struct info_lines *il;
	int rows, cols, w, h, y0, x0, keyw = 10;
	char title[VM_NAME_MAX + 16];

	if (!st)
		return;
	il = malloc(sizeof(*il));
	if (!il)
		return;
	for (int i = 0; i < m->nr_vms; i++)
		if (!strcmp(m->vms[i].info.name, st->name))
			vm = &m->vms[i];
	info_collect(vm, &m->config, st->name, il);

	getmaxyx(win, rows, cols);
	w = cols - 4 < 76 ? cols - 4 : 76;
	if (w < 30)
		w = cols;
	h = il->n + 2 < rows ? il->n + 2 : rows;
	y0 = (rows - h) / 2;
	x0 = (cols - w) / 2;
	snprintf(title, sizeof(title), "VM %s", st->name);
	tui_draw_box(tui, win, y0, x0, h, w, title);
	for (int i = 0; i < il->n && i < h - 2; i++) {
		wattrset(win, theme_attr(THEME_DIALOG));
		tui_put(win, y0 + 1 + i, x0 + 2, keyw, il->l[i].key, false);
		wattrset(win, il->l[i].attr);
		tui_put(win, y0 + 1 + i, x0 + 3 + keyw, w - keyw - 5, il->l[i].value, false);
	}
	wattrset(win, theme_attr(THEME_NORMAL));
	free(il);
}

static enum tui_result info_key(struct tui *tui, struct screen *scr, int key)
{
	(void)scr;
	switch (key) {
	case 27:
	case 'q':
	case '\n':
	case '\r':
	case KEY_ENTER:
		tui_pop_screen(tui);
		return TUI_REDRAW;
	case '?':
	case KEY_F(1):
		return TUI_IGNORED;
	}
	return TUI_HANDLED;
}

static enum tui_result info_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	(void)scr;
	(void)ev;
	tui_pop_screen(tui);
	return TUI_REDRAW;
}

static const struct keybar_item *info_keybar_items(struct tui *tui, struct screen *scr)
{
	(void)tui;
	(void)scr;
	return info_keybar;
}

const struct screen_ops screen_info_ops = {
    .name = "info",
    .overlay = true,
    .enter = info_enter,
    .draw = info_draw,
    .key = info_key,
    .mouse = info_mouse,
    .keybar = info_keybar_items,
    .help = info_help,
    .destroy = info_destroy,
};

struct screen *screen_info_new(struct tui *tui, const char *vm_name)
{
	struct info_state *st = calloc(1, sizeof(*st));
	struct screen *scr;

	(void)tui;
	if (!st)
		return NULL;
	snprintf(st->name, sizeof(st->name), "%s", vm_name);
	scr = tui_screen_new(&screen_info_ops, st);
	if (!scr)
		free(st);
	return scr;
}
