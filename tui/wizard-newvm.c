/* The New VM wizard (`n` on the list): one screen per step like
 * virt-manager's — name, boot source, CPUs, memory and display, storage,
 * network, summary — with Back/Next/Cancel. Nothing is created until Finish, which
 * the worker thread runs (tui_request_define); the checks on each field
 * are in wizard-check.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "store/store.h"
#include "tui.h"
#include "wizard-check.h"
#include "wizard.h"

enum wizard_step {
	WIZARD_STEP_NAME,
	WIZARD_STEP_BOOT,
	WIZARD_STEP_RESOURCES,
	WIZARD_STEP_STORAGE,
	WIZARD_STEP_NETWORK,
	WIZARD_STEP_SUMMARY,
	WIZARD_NR_STEPS,
};

static const char *const wizard_step_names[WIZARD_NR_STEPS] = {
    "Name", "Boot", "CPUs & memory", "Storage", "Network", "Summary",
};

static const char *const wizard_step_intro[WIZARD_NR_STEPS] = {
    "Letters, digits, '.', '_' and '-'; up to 64 characters.",
    "The Linux kernel to boot directly (no firmware), and its command line.",
    NULL, /* the host's figures, drawn by wizard_draw */
    "A disk for the VM, if it needs one.",
    "The VM's network card: on one of the networks (N lists them), or none.",
    "Check everything, then Finish. Nothing is created before that.",
};

/* Fields, by step. */
enum { NAME_F_NAME, NAME_NR };
enum { BOOT_F_KERNEL, BOOT_F_INITRD, BOOT_F_CMDLINE, BOOT_NR };
enum { RES_F_CPUS, RES_F_MEMORY, RES_F_DISPLAY, RES_F_RESOLUTION, RES_NR };
enum { STOR_F_KIND, STOR_F_SIZE, STOR_F_PATH, STOR_F_READONLY, STOR_NR };
enum { NET_F_NET, NET_NR };
enum { SUM_F_START, SUM_NR };

enum { STORAGE_NONE, STORAGE_NEW, STORAGE_EXISTING };
static const char *const wizard_storage_choices[] = {"none", "new disk", "existing image"};
/* The network step offers the networks the sampler lists, then "none". */
#define WIZARD_MAX_NETS 32
/* Every VM gets a screen by default, as in virt-manager and `define`. */
enum { DISPLAY_DEFAULT, DISPLAY_OTHER, DISPLAY_NONE };
static const char *const wizard_display_choices[] = {"VNC 1024x768", "VNC, other size",
						     "none (serial console only)"};

/* Sent to ourselves (ungetch) when the worker's answer shows up in a draw,
 * so the screen is popped from a key handler, never from inside a draw. */
#define WIZARD_KEY_DONE (KEY_MAX + 0x57)

struct wizard {
	struct tui *tui;
	struct wizard_host host;
	struct wizard_frame frame; /* step, buttons; its forms are forms[] */
	struct form forms[WIZARD_NR_STEPS];
	struct form_field name_f[NAME_NR], boot_f[BOOT_NR], res_f[RES_NR], stor_f[STOR_NR],
	    net_f[NET_NR], sum_f[SUM_NR];
	/* The network step's choices: labels ("default (nat)"), the network
	 * each stands for ("" = none), and the pointers the field shows. */
	char net_labels[WIZARD_MAX_NETS + 1][VM_NAME_MAX + 16];
	char net_ids[WIZARD_MAX_NETS + 1][VM_NAME_MAX + 1];
	const char *net_choices[WIZARD_MAX_NETS + 1];
	bool net_chosen; /* a choice was made (preselected or by the user) */
	char created[VM_NAME_MAX + 1];
	char error[512]; /* the driver's refusal, shown on the summary */
	/* The summary's preview of what define creates (domain XML on a
	 * libvirt connection): the request's number and the first line shown. */
	uint64_t preview_seq;
	int preview_top;
	int preview_rows; /* lines that fit, from the last draw */
};

static const struct tui_binding wizard_help[] = {
    {"New VM wizard", NULL},
    {"Tab, Down / Shift-Tab, Up", "next / previous field or button"},
    {"Enter, PgDn", "next step (checks this one); Finish on the summary"},
    {"PgUp", "previous step"},
    {"Left/Right, space", "change a choice; space toggles a checkbox"},
    {"+ / -", "step a number field"},
    {"Ctrl-U, Ctrl-K", "clear the field / clear to its end"},
    {"Esc", "cancel (asks first once something was typed)"},
    {"[, ]", "summary: scroll the preview (the domain XML on a libvirt connection)"},
    {NULL, NULL},
};

static const struct keybar_item wizard_keybar[] = {
    {"F1", "Help", KEY_F(1)}, {"Enter", "Next", '\n'}, {"PgUp", "Back", KEY_PPAGE},
    {"Tab", "Field", '\t'},   {"Esc", "Cancel", 27},   {NULL, NULL, 0},
};

static const struct keybar_item wizard_keybar_summary[] = {
    {"F1", "Help", KEY_F(1)}, {"Enter", "Finish", '\n'}, {"PgUp", "Back", KEY_PPAGE},
    {"Tab", "Field", '\t'},   {"[ ]", "Scroll XML", ']'}, {"Esc", "Cancel", 27},
    {NULL, NULL, 0},
};

/* ---- validators ---- */

static int wizard_valid_name(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	struct wizard *wz = opaque;
	struct tui_model *m = &wz->tui->model;
	const char **names;
	int r;

	pthread_mutex_lock(&m->lock);
	names = calloc(m->nr_vms ? (size_t)m->nr_vms : 1, sizeof(*names));
	if (!names) {
		pthread_mutex_unlock(&m->lock);
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	/* Names are per connection: the same name on two hosts is fine. */
	int n = 0;

	for (int i = 0; i < m->nr_vms; i++)
		if (m->vms[i].conn_id == wz->tui->cur_conn)
			names[n++] = m->vms[i].info.name;
	r = wizard_check_name(f->text, names, n, msg, len);
	pthread_mutex_unlock(&m->lock);
	free(names);
	return r;
}

static int wizard_valid_kernel(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	(void)opaque;
	return wizard_check_file(f->text, "kernel", 0, msg, len);
}

static int wizard_valid_initrd(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	(void)opaque;
	return wizard_check_file(f->text, "initrd", 1, msg, len);
}

static int wizard_valid_cmdline(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	(void)opaque;
	if (strlen(f->text) >= VM_CMDLINE_MAX) {
		snprintf(msg, len, "at most %d bytes", VM_CMDLINE_MAX - 1);
		return -E2BIG;
	}
	return 0;
}

static int wizard_valid_cpus(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	struct wizard *wz = opaque;
	int v;

	return wizard_check_cpus(f->text, &wz->host, &v, msg, len);
}

static int wizard_valid_memory(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	struct wizard *wz = opaque;
	uint64_t mib;

	return wizard_check_memory(f->text, &wz->host, &mib, msg, len);
}

static int wizard_valid_resolution(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	int w, h;

	(void)opaque;
	return wizard_check_resolution(f->text, &w, &h, msg, len);
}

static int wizard_valid_disk_size(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	uint64_t bytes;

	(void)opaque;
	return wizard_check_disk_size(f->text, &bytes, msg, len);
}

static int wizard_valid_disk_path(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	(void)opaque;
	return wizard_check_file(f->text, "disk image", 0, msg, len);
}

/* ---- setup ---- */

static const struct wizard_ops wizard_newvm_frame_ops; /* defined after the navigation */

/* Show the storage fields the chosen kind needs. */
static void wizard_storage_update(struct wizard *wz)
{
	int kind = wz->stor_f[STOR_F_KIND].choice;

	wz->stor_f[STOR_F_SIZE].hidden = kind != STORAGE_NEW;
	wz->stor_f[STOR_F_PATH].hidden = kind != STORAGE_EXISTING;
	wz->stor_f[STOR_F_READONLY].hidden = kind != STORAGE_EXISTING;
}

/* The networks listed now as the network step's choices, keeping the
 * one chosen; the first time, `default` (else none) is preselected. */
static void wizard_network_update(struct wizard *wz)
{
	struct form_field *f = &wz->net_f[NET_F_NET];
	struct tui_model *m = &wz->tui->model;
	char keep[VM_NAME_MAX + 1] = "default";
	int n = 0, pick = -1;

	if (wz->net_chosen && f->nr_choices > 0)
		snprintf(keep, sizeof(keep), "%s", wz->net_ids[f->choice]);
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < m->nr_nets && n < WIZARD_MAX_NETS; i++, n++) {
		const struct net_info *in = &m->nets[i].info;

		snprintf(wz->net_ids[n], sizeof(wz->net_ids[n]), "%s", in->name);
		snprintf(wz->net_labels[n], sizeof(wz->net_labels[n]), "%s (%s)", in->name,
			 net_mode_name(in->mode));
	}
	pthread_mutex_unlock(&m->lock);
	wz->net_ids[n][0] = '\0';
	snprintf(wz->net_labels[n], sizeof(wz->net_labels[n]), "none");
	n++;
	for (int i = 0; i < n; i++) {
		wz->net_choices[i] = wz->net_labels[i];
		if (pick < 0 && !strcmp(wz->net_ids[i], keep))
			pick = i;
	}
	f->choices = wz->net_choices;
	f->nr_choices = n;
	f->choice = pick >= 0 ? pick : n - 1;
	wz->net_chosen = true;
}

/* The resolution field only for "other size". */
static void wizard_display_update(struct wizard *wz)
{
	wz->res_f[RES_F_RESOLUTION].hidden = wz->res_f[RES_F_DISPLAY].choice != DISPLAY_OTHER;
}

static struct wizard *wizard_new(struct tui *tui)
{
	struct wizard *wz = calloc(1, sizeof(*wz));
	char mem[32];

	if (!wz)
		return NULL;
	wz->tui = tui;
	wizard_frame_init(&wz->frame, &wizard_newvm_frame_ops, wz, wz->forms);
	wizard_host_probe(&wz->host);
	/* The sampler's figures when it has them, so the header agrees. */
	pthread_mutex_lock(&tui->model.lock);
	if (tui->model.have_host && tui->model.host.mem_total)
		wz->host.mem_bytes = tui->model.host.mem_total;
	pthread_mutex_unlock(&tui->model.lock);
	/* 256 MiB unless the host is tiny; the user sees and can change it. */
	snprintf(mem, sizeof(mem), "%d",
		 wz->host.mem_bytes && wz->host.mem_bytes < (512ULL << 20) ? 64 : 256);

	wizard_field_init(&wz->name_f[NAME_F_NAME], FORM_TEXT, "Name", "", wizard_valid_name);
	wizard_frame_form(&wz->frame, WIZARD_STEP_NAME, wz->name_f, NAME_NR);

	wizard_field_init(&wz->boot_f[BOOT_F_KERNEL], FORM_TEXT, "Kernel", "", wizard_valid_kernel);
	wizard_field_init(&wz->boot_f[BOOT_F_INITRD], FORM_TEXT, "Initrd", "", wizard_valid_initrd);
	wizard_field_init(&wz->boot_f[BOOT_F_CMDLINE], FORM_TEXT, "Command line", "console=ttyS0",
			  wizard_valid_cmdline);
	wizard_frame_form(&wz->frame, WIZARD_STEP_BOOT, wz->boot_f, BOOT_NR);

	wizard_field_init(&wz->res_f[RES_F_CPUS], FORM_NUMBER, "vCPUs", "1", wizard_valid_cpus);
	wz->res_f[RES_F_CPUS].num_min = 1;
	wz->res_f[RES_F_CPUS].num_max = WIZARD_MAX_VCPUS;
	wizard_field_init(&wz->res_f[RES_F_MEMORY], FORM_TEXT, "Memory", mem, wizard_valid_memory);
	wizard_field_init(&wz->res_f[RES_F_DISPLAY], FORM_CHOICE, "Display", NULL, NULL);
	wz->res_f[RES_F_DISPLAY].choices = wizard_display_choices;
	wz->res_f[RES_F_DISPLAY].nr_choices = 3;
	wizard_field_init(&wz->res_f[RES_F_RESOLUTION], FORM_TEXT, "Resolution", "1280x800",
			  wizard_valid_resolution);
	wizard_frame_form(&wz->frame, WIZARD_STEP_RESOURCES, wz->res_f, RES_NR);
	wizard_display_update(wz);

	wizard_field_init(&wz->stor_f[STOR_F_KIND], FORM_CHOICE, "Disk", NULL, NULL);
	wz->stor_f[STOR_F_KIND].choices = wizard_storage_choices;
	wz->stor_f[STOR_F_KIND].nr_choices = 3;
	wizard_field_init(&wz->stor_f[STOR_F_SIZE], FORM_TEXT, "Size", "1G",
			  wizard_valid_disk_size);
	wizard_field_init(&wz->stor_f[STOR_F_PATH], FORM_TEXT, "Image", "", wizard_valid_disk_path);
	wizard_field_init(&wz->stor_f[STOR_F_READONLY], FORM_CHECK, "Read-only", NULL, NULL);
	wizard_frame_form(&wz->frame, WIZARD_STEP_STORAGE, wz->stor_f, STOR_NR);
	wizard_storage_update(wz);

	wizard_field_init(&wz->net_f[NET_F_NET], FORM_CHOICE, "Network", NULL, NULL);
	wizard_frame_form(&wz->frame, WIZARD_STEP_NETWORK, wz->net_f, NET_NR);
	wizard_network_update(wz);

	wizard_field_init(&wz->sum_f[SUM_F_START], FORM_CHECK, "Start now", NULL, NULL);
	wz->sum_f[SUM_F_START].checked = true;
	wizard_frame_form(&wz->frame, WIZARD_STEP_SUMMARY, wz->sum_f, SUM_NR);
	return wz;
}

struct screen *wizard_newvm_new(struct tui *tui)
{
	struct wizard *wz = wizard_new(tui);
	struct screen *scr;

	if (!wz)
		return NULL;
	scr = tui_screen_new(&wizard_newvm_ops, wz);
	if (!scr)
		free(wz);
	return scr;
}

static void wizard_destroy(struct screen *scr)
{
	free(scr->priv);
	scr->priv = NULL;
}

/* ---- Finish ---- */

/* Paths as the store wants them: absolute. */
static void wizard_abs_path(const char *in, char *out, size_t len)
{
	char buf[PATH_MAX];

	if (in[0] && realpath(in, buf))
		snprintf(out, len, "%s", buf);
	else
		snprintf(out, len, "%s", in);
}

/* The request the fields describe (they were validated). */
static void wizard_build_request(struct wizard *wz, struct tui_define_request *req)
{
	struct vm_config *cfg = &req->cfg;
	uint64_t mib = 0;
	int vcpus = 1;
	char msg[256];

	snprintf(cfg->name, sizeof(cfg->name), "%.*s", VM_NAME_MAX, wz->name_f[NAME_F_NAME].text);
	wizard_abs_path(wz->boot_f[BOOT_F_KERNEL].text, cfg->kernel, sizeof(cfg->kernel));
	wizard_abs_path(wz->boot_f[BOOT_F_INITRD].text, cfg->initrd, sizeof(cfg->initrd));
	snprintf(cfg->cmdline, sizeof(cfg->cmdline), "%s", wz->boot_f[BOOT_F_CMDLINE].text);
	wizard_check_cpus(wz->res_f[RES_F_CPUS].text, &wz->host, &vcpus, msg, sizeof(msg));
	wizard_check_memory(wz->res_f[RES_F_MEMORY].text, &wz->host, &mib, msg, sizeof(msg));
	cfg->vcpus = vcpus;
	cfg->memory_mib = mib;
	switch (wz->res_f[RES_F_DISPLAY].choice) {
	case DISPLAY_DEFAULT:
		cfg->display = (struct vm_display){true, VM_DISPLAY_DEFAULT_WIDTH,
						   VM_DISPLAY_DEFAULT_HEIGHT, 0};
		break;
	case DISPLAY_OTHER:
		cfg->display.enabled = true;
		wizard_check_resolution(wz->res_f[RES_F_RESOLUTION].text, &cfg->display.width,
					&cfg->display.height, msg, sizeof(msg));
		break;
	}
	switch (wz->stor_f[STOR_F_KIND].choice) {
	case STORAGE_NEW:
		wizard_check_disk_size(wz->stor_f[STOR_F_SIZE].text, &req->new_disk.size_bytes, msg,
				       sizeof(msg));
		req->nr_new_disks = 1;
		break;
	case STORAGE_EXISTING:
		wizard_abs_path(wz->stor_f[STOR_F_PATH].text, cfg->disks[0].path,
				sizeof(cfg->disks[0].path));
		cfg->disks[0].readonly = wz->stor_f[STOR_F_READONLY].checked;
		snprintf(cfg->disks[0].format, sizeof(cfg->disks[0].format), "raw");
		cfg->nr_disks = 1;
		break;
	}
	if (wz->net_ids[wz->net_f[NET_F_NET].choice][0]) {
		/* The driver picks the MAC and keeps it across restarts. */
		snprintf(cfg->nics[0].network, sizeof(cfg->nics[0].network), "%s",
			 wz->net_ids[wz->net_f[NET_F_NET].choice]);
		cfg->nr_nics = 1;
	}
	req->start = wz->sum_f[SUM_F_START].checked;
}

/* Ask the worker for the summary's preview (define_preview). */
static void wizard_request_preview(struct wizard *wz)
{
	struct tui_define_request *req = calloc(1, sizeof(*req));

	wz->preview_seq = 0;
	wz->preview_top = 0;
	if (!req)
		return;
	wizard_build_request(wz, req);
	if (tui_request_preview(wz->tui, req, &wz->preview_seq))
		wz->preview_seq = 0;
	free(req);
}

static void wizard_finish(struct tui *tui, void *owner)
{
	struct wizard *wz = owner;
	struct tui_define_request *req;
	int r;

	wz->error[0] = '\0';
	if (!wizard_frame_validate(&wz->frame))
		return;
	req = calloc(1, sizeof(*req));
	if (!req) {
		snprintf(wz->error, sizeof(wz->error), "out of memory");
		return;
	}
	wizard_build_request(wz, req);
	r = tui_request_define(tui, req);
	free(req);
	if (r) {
		snprintf(wz->error, sizeof(wz->error), "cannot ask the worker: %s", strerror(-r));
		return;
	}
	wz->frame.busy = true;
}

/* ---- navigation ---- */

/* The frame's go: steps are never skipped here, so dir is not needed. */
static void wizard_goto(void *owner, int step, int dir)
{
	struct wizard *wz = owner;

	(void)dir;
	if (step < 0 || step >= WIZARD_NR_STEPS)
		return;
	/* Networks may have come or gone since the wizard opened. */
	if (step == WIZARD_STEP_NETWORK)
		wizard_network_update(wz);
	wizard_frame_show(&wz->frame, step);
	if (step == WIZARD_STEP_SUMMARY)
		wizard_request_preview(wz);
}

static const struct wizard_ops wizard_newvm_frame_ops = {
    .what = "New VM",
    .step_names = wizard_step_names,
    .nr_steps = WIZARD_NR_STEPS,
    .cancel_question = "Discard this new VM? Nothing was created.",
    .screen = &wizard_newvm_ops,
    .go = wizard_goto,
    .finish = wizard_finish,
};

static enum tui_result wizard_done(struct tui *tui, struct wizard *wz)
{
	char name[VM_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s", wz->created);
	tui_pop_screen(tui); /* frees wz */
	screen_list_select(tui, name);
	return TUI_REDRAW;
}

static enum tui_result wizard_key(struct tui *tui, struct screen *scr, int key)
{
	struct wizard *wz = scr->priv;
	enum tui_result res;

	if (!wz)
		return TUI_IGNORED;
	if (wz->frame.done)
		return wizard_done(tui, wz);
	if (key == WIZARD_KEY_DONE)
		return TUI_HANDLED;
	switch (key) {
	case KEY_F(1):
	case KEY_F(10):
	case 12: /* Ctrl-L */
		return TUI_IGNORED;
	}
	if (wz->frame.busy) {
		tui_status(tui, TUI_STATUS_INFO, "creating VM '%s'...", wz->name_f[0].text);
		return TUI_HANDLED;
	}
	if (wz->frame.step == WIZARD_STEP_SUMMARY && (key == '[' || key == ']')) {
		int page = wz->preview_rows > 1 ? wz->preview_rows - 1 : 1;

		wz->preview_top += key == ']' ? page : -page;
		if (wz->preview_top < 0)
			wz->preview_top = 0;
		return TUI_REDRAW; /* the draw clamps the end */
	}
	switch (wizard_frame_key(tui, &wz->frame, key, &res)) {
	case WIZARD_KEY_EDITED:
	case WIZARD_KEY_FORM:
		if (wz->frame.step == WIZARD_STEP_STORAGE)
			wizard_storage_update(wz);
		if (wz->frame.step == WIZARD_STEP_RESOURCES)
			wizard_display_update(wz);
		return TUI_REDRAW;
	default:
		return res;
	}
}

static enum tui_result wizard_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	struct wizard *wz = scr->priv;

	return wz ? wizard_frame_mouse(tui, &wz->frame, ev) : TUI_HANDLED;
}

/* ---- drawing ---- */

/* The worker answered our Finish (model lock held). */
static void wizard_check_reply(struct tui *tui, struct wizard *wz)
{
	const struct tui_define_reply *dr = &tui->model.define;

	if (!wz->frame.busy || !dr->ready || strcmp(dr->name, wz->name_f[NAME_F_NAME].text))
		return;
	wz->frame.busy = false;
	if (dr->rc) {
		snprintf(wz->error, sizeof(wz->error), "%s", dr->error);
		return;
	}
	snprintf(wz->created, sizeof(wz->created), "%s", dr->name);
	wz->frame.done = true;
	ungetch(WIZARD_KEY_DONE);
	tui_wake(tui);
}

static int wizard_draw_summary(struct wizard *wz, WINDOW *win, int y, int x, int w)
{
	char buf[VM_PATH_MAX + 64], a[32];
	uint64_t bytes;

	y = wizard_summary_line(win, y, x, w, "Name", wz->name_f[NAME_F_NAME].text);
	y = wizard_summary_line(win, y, x, w, "Kernel", wz->boot_f[BOOT_F_KERNEL].text);
	y = wizard_summary_line(win, y, x, w, "Initrd",
				wz->boot_f[BOOT_F_INITRD].text[0] ? wz->boot_f[BOOT_F_INITRD].text
								  : "none");
	y = wizard_summary_line(win, y, x, w, "Command line", wz->boot_f[BOOT_F_CMDLINE].text);
	y = wizard_summary_line(win, y, x, w, "vCPUs", wz->res_f[RES_F_CPUS].text);
	snprintf(buf, sizeof(buf), "%s", wz->res_f[RES_F_MEMORY].text);
	if (!wizard_check_memory(wz->res_f[RES_F_MEMORY].text, &wz->host, &bytes, a, sizeof(a)))
		format_size(bytes << 20, buf, sizeof(buf));
	y = wizard_summary_line(win, y, x, w, "Memory", buf);
	switch (wz->res_f[RES_F_DISPLAY].choice) {
	case DISPLAY_DEFAULT:
		snprintf(buf, sizeof(buf), "%dx%d, VNC", VM_DISPLAY_DEFAULT_WIDTH,
			 VM_DISPLAY_DEFAULT_HEIGHT);
		break;
	case DISPLAY_OTHER:
		snprintf(buf, sizeof(buf), "%s, VNC", wz->res_f[RES_F_RESOLUTION].text);
		break;
	default:
		snprintf(buf, sizeof(buf), "none (serial console only)");
	}
	y = wizard_summary_line(win, y, x, w, "Display", buf);
	switch (wz->stor_f[STOR_F_KIND].choice) {
	case STORAGE_NEW:
		if (!wizard_check_disk_size(wz->stor_f[STOR_F_SIZE].text, &bytes, buf, sizeof(buf)))
			format_size(bytes, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "?");
		snprintf(buf, sizeof(buf), "new disk of %s (in the VM's storage)", a);
		break;
	case STORAGE_EXISTING:
		snprintf(buf, sizeof(buf), "%s%s", wz->stor_f[STOR_F_PATH].text,
			 wz->stor_f[STOR_F_READONLY].checked ? " (read-only)" : "");
		break;
	default:
		snprintf(buf, sizeof(buf), "none");
	}
	y = wizard_summary_line(win, y, x, w, "Storage", buf);
	y = wizard_summary_line(win, y, x, w, "Network", form_field_choice(&wz->net_f[NET_F_NET]));
	return y;
}

/* The driver's preview (model lock held) in rows y..last-1: a title,
 * then the lines from preview_top. Nothing when the driver has none. */
static int wizard_draw_preview(struct tui *tui, struct wizard *wz, WINDOW *win, int y, int x,
			       int w, int last)
{
	const struct tui_preview_reply *pr = &tui->model.preview;
	const char *p;
	int nlines = 0, line = 0;
	char title[128];

	if (!wz->preview_seq || pr->seq != wz->preview_seq || y >= last) {
		wz->preview_rows = 0;
		return y;
	}
	if (!pr->supported)
		return y; /* the local store: the summary says it all */
	if (pr->rc) {
		wattrset(win, theme_attr(THEME_ERROR));
		snprintf(title, sizeof(title), "Preview: ");
		tui_put(win, y, x, w, title, false);
		tui_put(win, y, x + 9, w - 9, pr->error, false);
		return y + 1;
	}
	for (p = pr->text; p && *p; p++)
		nlines += *p == '\n';
	if (pr->text && pr->text[0] && pr->text[strlen(pr->text) - 1] != '\n')
		nlines++;
	wz->preview_rows = last - y - 1;
	if (wz->preview_rows < 1)
		return y;
	if (wz->preview_top > nlines - wz->preview_rows)
		wz->preview_top = nlines - wz->preview_rows;
	if (wz->preview_top < 0)
		wz->preview_top = 0;
	snprintf(title, sizeof(title), "What will be defined (lines %d-%d of %d; [ ] scroll):",
		 nlines ? wz->preview_top + 1 : 0,
		 wz->preview_top + wz->preview_rows < nlines ? wz->preview_top + wz->preview_rows
							     : nlines,
		 nlines);
	wattrset(win, theme_attr(THEME_DIM));
	tui_put(win, y++, x, w, title, false);
	wattrset(win, theme_attr(THEME_NORMAL));
	for (p = pr->text; p && *p && y < last; line++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (line >= wz->preview_top) {
			char buf[512];

			snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) ? len : sizeof(buf) - 1),
				 p);
			for (char *c = buf; *c; c++)
				if (*c == '\t')
					*c = ' ';
			tui_put(win, y++, x + 2, w - 2, buf, false);
		}
		p = nl ? nl + 1 : p + len;
	}
	return y;
}

static void wizard_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct wizard *wz = scr->priv;
	struct form *form;
	int rows, cols, x = 2, w, y;

	if (!wz)
		return;
	wizard_check_reply(tui, wz);
	form = &wz->forms[wz->frame.step];
	getmaxyx(win, rows, cols);
	wizard_frame_draw_top(tui, &wz->frame, win);
	w = cols - 4;

	y = 3;
	if (wz->frame.step == WIZARD_STEP_RESOURCES) {
		char host[96];

		wizard_host_describe(&wz->host, host, sizeof(host));
		tui_put(win, y, x, w, host, false);
	} else if (wizard_step_intro[wz->frame.step]) {
		tui_put(win, y, x, w, wizard_step_intro[wz->frame.step], false);
	}
	y += 2;
	if (wz->frame.step == WIZARD_STEP_SUMMARY)
		y = wizard_draw_summary(wz, win, y, x, w) + 1;
	y += form_draw(win, form, y, x, w, 16, wz->frame.button < 0 && !wz->frame.busy, tui->utf8);
	if (wz->frame.step == WIZARD_STEP_SUMMARY && y < rows - 3) {
		y++;
		if (wz->frame.busy) {
			wattrset(win, theme_attr(THEME_STATE_TRANSIENT));
			tui_put(win, y, x, w, "Creating the VM...", false);
		} else if (wz->error[0]) {
			wattrset(win, theme_attr(THEME_ERROR));
			tui_put(win, y, x, w, wz->error, false);
		}
		y = wizard_draw_preview(tui, wz, win, y + 2, x, w, rows - 3);
	}

	wizard_frame_draw_buttons(&wz->frame, win, x);
}

static const struct keybar_item *wizard_keybar_items(struct tui *tui, struct screen *scr)
{
	struct wizard *wz = scr->priv;

	(void)tui;
	return wz && wz->frame.step == WIZARD_STEP_SUMMARY ? wizard_keybar_summary : wizard_keybar;
}

const struct screen_ops wizard_newvm_ops = {
    .name = "new-vm",
    .draw = wizard_draw,
    .key = wizard_key,
    .mouse = wizard_mouse,
    .keybar = wizard_keybar_items,
    .help = wizard_help,
    .destroy = wizard_destroy,
};
