/* The New Network wizard (n in the networks view): name -> mode (with the
 * reachability table) -> IPv4 subnet and DHCP range, or the bridge ->
 * port forwards (nat, natnet) -> summary, with the New VM wizard's look
 * and keys. Each field is judged by wizard-netcheck.c (netcfg underneath,
 * as the driver judges it); nothing is created until Finish, which the
 * worker runs (tui_request_net: net_define, then net_start). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "tui.h"
#include "wizard-netcheck.h"
#include "wizard.h"

enum netwiz_step {
	NETWIZ_STEP_NAME,
	NETWIZ_STEP_MODE,
	NETWIZ_STEP_ADDRESSES,
	NETWIZ_STEP_FORWARDS,
	NETWIZ_STEP_SUMMARY,
	NETWIZ_NR_STEPS,
};

static const char *const netwiz_step_names[NETWIZ_NR_STEPS] = {
    "Name", "Mode", "Addresses", "Port forwards", "Summary",
};

#define NETWIZ_FORWARD_LINES 8

enum { NAME_F_NAME, NAME_NR };
enum { MODE_F_MODE, MODE_NR };
enum { ADDR_F_SUBNET, ADDR_F_DHCP_START, ADDR_F_DHCP_END, ADDR_F_BRIDGE, ADDR_NR };
enum { SUM_F_AUTOSTART, SUM_NR };

/* In enum net_mode order, so the choice index is the mode. */
static const char *const netwiz_mode_choices[NET_MODE_COUNT] = {
    "nat", "natnet", "internal", "hostonly", "bridged",
};

static const char *const netwiz_mode_text[NET_MODE_COUNT] = {
    [NET_MODE_NAT] = "Each VM alone behind its own NAT (no root needed): it reaches "
		     "outside; port forwards reach it.",
    [NET_MODE_NATNET] = "VMs on one segment sharing a NAT (no root needed), with DHCP and "
			"port forwards.",
    [NET_MODE_INTERNAL] = "VMs on one segment and nothing else: neither the host nor outside.",
    [NET_MODE_HOSTONLY] = "VMs and a host interface (the subnet's .1) on one segment, with "
			  "DHCP; no outside.",
    [NET_MODE_BRIDGED] = "VMs on an existing host bridge, as if plugged into the host's LAN.",
};

/* Sent to ourselves (ungetch) when the worker's answer shows up in a draw,
 * so the screen is popped from a key handler, never from inside a draw. */
#define NETWIZ_KEY_DONE (KEY_MAX + 0x58)

struct netwiz {
	struct tui *tui;
	struct wizard_frame frame; /* step, buttons; its forms are forms[] */
	struct form forms[NETWIZ_NR_STEPS];
	struct form_field name_f[NAME_NR], mode_f[MODE_NR], addr_f[ADDR_NR],
	    fwd_f[NETWIZ_FORWARD_LINES], sum_f[SUM_NR];
	char fwd_labels[NETWIZ_FORWARD_LINES][16];
	int prefilled_mode; /* the mode the address defaults were made for, -1 none */
	bool admin;	    /* root or CAP_NET_ADMIN */
	/* What the checks compare with: the networks listed (refreshed at
	 * each check) and the host's routes (read once). */
	struct net_config *others;
	int nr_others;
	struct ipv4_subnet *routes;
	int nr_routes;
	uint64_t seq; /* our Finish's request */
	char created[VM_NAME_MAX + 1];
	char error[512];
};

static const struct tui_binding netwiz_help[] = {
    {"New Network wizard", NULL},
    {"Tab, Down / Shift-Tab, Up", "next / previous field or button"},
    {"Enter, PgDn", "next step (checks this one); Finish on the summary"},
    {"PgUp", "previous step"},
    {"Left/Right, space", "change a choice (the mode); space toggles a checkbox"},
    {"Ctrl-U, Ctrl-K", "clear the field / clear to its end"},
    {"Port forwards", "a line each; a new line appears below the last one used; "
		      "clear a line (Ctrl-U) to drop it"},
    {"Esc", "cancel (asks first once something was typed)"},
    {NULL, NULL},
};

static const struct keybar_item netwiz_keybar[] = {
    {"F1", "Help", KEY_F(1)}, {"Enter", "Next", '\n'}, {"PgUp", "Back", KEY_PPAGE},
    {"Tab", "Field", '\t'},   {"Esc", "Cancel", 27},   {NULL, NULL, 0},
};

static const struct keybar_item netwiz_keybar_summary[] = {
    {"F1", "Help", KEY_F(1)}, {"Enter", "Finish", '\n'}, {"PgUp", "Back", KEY_PPAGE},
    {"Tab", "Field", '\t'},   {"Esc", "Cancel", 27},	 {NULL, NULL, 0},
};

/* ---- what the fields say ---- */

static enum net_mode netwiz_mode(const struct netwiz *wz)
{
	return (enum net_mode)wz->mode_f[MODE_F_MODE].choice;
}

/* The networks the model lists now, as the checks want them. */
static void netwiz_refresh_others(struct netwiz *wz)
{
	struct tui_model *m = &wz->tui->model;
	struct net_config *o;

	pthread_mutex_lock(&m->lock);
	o = calloc(m->nr_nets ? (size_t)m->nr_nets : 1, sizeof(*o));
	if (o) {
		for (int i = 0; i < m->nr_nets; i++) {
			snprintf(o[i].name, sizeof(o[i].name), "%s", m->nets[i].info.name);
			o[i].mode = m->nets[i].info.mode;
			snprintf(o[i].subnet, sizeof(o[i].subnet), "%s", m->nets[i].info.subnet);
			if (o[i].mode == NET_MODE_BRIDGED)
				snprintf(o[i].bridge, sizeof(o[i].bridge), "%s",
					 m->nets[i].info.bridge);
		}
		free(wz->others);
		wz->others = o;
		wz->nr_others = m->nr_nets;
	}
	pthread_mutex_unlock(&m->lock);
}

static struct netwiz_env netwiz_env(struct netwiz *wz)
{
	netwiz_refresh_others(wz);
	return (struct netwiz_env){wz->others, wz->nr_others, wz->routes, wz->nr_routes};
}

/* The definition the fields make, with the forward lines before `upto`
 * (all: NETWIZ_FORWARD_LINES) that parse. */
static void netwiz_build(struct netwiz *wz, int upto, struct net_config *cfg)
{
	enum net_mode mode = netwiz_mode(wz);

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%.*s", VM_NAME_MAX, wz->name_f[NAME_F_NAME].text);
	cfg->mode = mode;
	if (netwiz_mode_has_subnet(mode)) {
		snprintf(cfg->subnet, sizeof(cfg->subnet), "%.18s", wz->addr_f[ADDR_F_SUBNET].text);
		snprintf(cfg->dhcp_start, sizeof(cfg->dhcp_start), "%.15s",
			 wz->addr_f[ADDR_F_DHCP_START].text);
		snprintf(cfg->dhcp_end, sizeof(cfg->dhcp_end), "%.15s",
			 wz->addr_f[ADDR_F_DHCP_END].text);
	}
	if (mode == NET_MODE_BRIDGED)
		snprintf(cfg->bridge, sizeof(cfg->bridge), "%.15s", wz->addr_f[ADDR_F_BRIDGE].text);
	cfg->autostart = wz->sum_f[SUM_F_AUTOSTART].checked;
	if (!netwiz_mode_has_forwards(mode))
		return;
	for (int i = 0; i < upto && i < NETWIZ_FORWARD_LINES; i++) {
		struct net_forward fwd;
		char msg[256];

		if (!wz->fwd_f[i].text[0] ||
		    netcfg_parse_forward(wz->fwd_f[i].text, &fwd, msg, sizeof(msg)) < 0)
			continue;
		cfg->forwards[cfg->nr_forwards++] = fwd;
	}
}

/* ---- validators ---- */

static int netwiz_valid_name(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	struct netwiz *wz = opaque;
	struct netwiz_env env = netwiz_env(wz);

	return netwiz_check_name(f->text, &env, msg, len);
}

static int netwiz_valid_mode(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	struct netwiz *wz = opaque;

	msg[0] = '\0';
	if (netwiz_mode_needs_admin((enum net_mode)f->choice) && !wz->admin) {
		snprintf(msg, len,
			 "needs root or CAP_NET_ADMIN, which virtty lacks here: it "
			 "will not start");
		return 1;
	}
	return 0;
}

static int netwiz_valid_subnet(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	struct netwiz *wz = opaque;
	struct netwiz_env env = netwiz_env(wz);
	struct net_config cfg;

	(void)f;
	netwiz_build(wz, 0, &cfg);
	return netwiz_check_subnet(&cfg, &env, msg, len);
}

static int netwiz_valid_dhcp(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	struct netwiz *wz = opaque;
	struct netwiz_env env = netwiz_env(wz);
	struct net_config cfg;

	netwiz_build(wz, 0, &cfg);
	return netwiz_check_dhcp(&cfg, f == &wz->addr_f[ADDR_F_DHCP_END], &env, msg, len);
}

static int netwiz_valid_bridge(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	(void)opaque;
	return netwiz_check_bridge(f->text, NULL, msg, len);
}

static int netwiz_valid_forward(const struct form_field *f, void *opaque, char *msg, size_t len)
{
	struct netwiz *wz = opaque;
	struct netwiz_env env = netwiz_env(wz);
	int index = (int)(f - wz->fwd_f);
	struct net_config cfg;
	struct net_forward fwd;

	netwiz_build(wz, index, &cfg);
	return netwiz_check_forward(f->text, &cfg, cfg.nr_forwards, &env, &fwd, msg, len);
}

/* ---- setup ---- */

static const struct wizard_ops wizard_newnet_frame_ops; /* defined after the navigation */

/* Steps the mode has nothing for are passed over (the frame's skipped). */
static bool netwiz_skipped(const void *owner, int step)
{
	enum net_mode mode = netwiz_mode(owner);

	if (step == NETWIZ_STEP_ADDRESSES)
		return mode == NET_MODE_INTERNAL;
	if (step == NETWIZ_STEP_FORWARDS)
		return !netwiz_mode_has_forwards(mode);
	return false;
}

/* Show the fields the mode uses; forward lines up to one past the last
 * one used (a new line appears as soon as the last one gets text). */
static void netwiz_update_fields(struct netwiz *wz)
{
	enum net_mode mode = netwiz_mode(wz);
	bool subnet = netwiz_mode_has_subnet(mode), fwd = netwiz_mode_has_forwards(mode);
	int last = -1;

	wz->addr_f[ADDR_F_SUBNET].hidden = !subnet;
	wz->addr_f[ADDR_F_DHCP_START].hidden = !subnet;
	wz->addr_f[ADDR_F_DHCP_END].hidden = !subnet;
	wz->addr_f[ADDR_F_BRIDGE].hidden = mode != NET_MODE_BRIDGED;
	for (int i = 0; i < NETWIZ_FORWARD_LINES; i++)
		if (wz->fwd_f[i].text[0])
			last = i;
	for (int i = 0; i < NETWIZ_FORWARD_LINES; i++)
		wz->fwd_f[i].hidden = !fwd || i > last + 1;
}

/* The mode's subnet and DHCP range, unless the user typed their own. */
static void netwiz_prefill(struct netwiz *wz)
{
	enum net_mode mode = netwiz_mode(wz);
	struct netwiz_env env;
	char subnet[32];

	if (wz->prefilled_mode == (int)mode || !netwiz_mode_has_subnet(mode))
		return;
	wz->prefilled_mode = (int)mode;
	if (!wz->addr_f[ADDR_F_SUBNET].changed) {
		env = netwiz_env(wz);
		netwiz_default_subnet(mode, &env, subnet, sizeof(subnet));
		form_field_set_text(&wz->addr_f[ADDR_F_SUBNET], subnet);
	}
	if (!wz->addr_f[ADDR_F_DHCP_START].changed && !wz->addr_f[ADDR_F_DHCP_END].changed) {
		char start[16], end[16];

		netwiz_default_dhcp(mode, wz->addr_f[ADDR_F_SUBNET].text, start, sizeof(start), end,
				    sizeof(end));
		form_field_set_text(&wz->addr_f[ADDR_F_DHCP_START], start);
		form_field_set_text(&wz->addr_f[ADDR_F_DHCP_END], end);
	}
}

/* A new subnet typed: the DHCP range follows it until the user edits it. */
static void netwiz_subnet_edited(struct netwiz *wz)
{
	char start[16], end[16];

	if (wz->addr_f[ADDR_F_DHCP_START].changed || wz->addr_f[ADDR_F_DHCP_END].changed)
		return;
	netwiz_default_dhcp(netwiz_mode(wz), wz->addr_f[ADDR_F_SUBNET].text, start, sizeof(start),
			    end, sizeof(end));
	if (!start[0])
		return; /* not a subnet (yet): keep the last good range */
	form_field_set_text(&wz->addr_f[ADDR_F_DHCP_START], start);
	form_field_set_text(&wz->addr_f[ADDR_F_DHCP_END], end);
}

static struct netwiz *netwiz_new(struct tui *tui)
{
	struct netwiz *wz = calloc(1, sizeof(*wz));
	char err[256];

	if (!wz)
		return NULL;
	wz->tui = tui;
	wizard_frame_init(&wz->frame, &wizard_newnet_frame_ops, wz, wz->forms);
	wz->prefilled_mode = -1;
	wz->admin = netwiz_have_net_admin();
	/* /proc/net/route: a small file, read at once. Without it the
	 * driver still checks overlaps at Finish. */
	if (netcfg_host_routes(NULL, &wz->routes, &wz->nr_routes, err, sizeof(err)) < 0) {
		wz->routes = NULL;
		wz->nr_routes = 0;
	}

	wizard_field_init(&wz->name_f[NAME_F_NAME], FORM_TEXT, "Name", "", netwiz_valid_name);
	wizard_frame_form(&wz->frame, NETWIZ_STEP_NAME, wz->name_f, NAME_NR);

	wizard_field_init(&wz->mode_f[MODE_F_MODE], FORM_CHOICE, "Mode", NULL, netwiz_valid_mode);
	wz->mode_f[MODE_F_MODE].choices = netwiz_mode_choices;
	wz->mode_f[MODE_F_MODE].nr_choices = NET_MODE_COUNT;
	/* natnet: the default network is nat already; a second network is
	 * most often for VMs that should see each other. */
	wz->mode_f[MODE_F_MODE].choice = NET_MODE_NATNET;
	wizard_frame_form(&wz->frame, NETWIZ_STEP_MODE, wz->mode_f, MODE_NR);

	wizard_field_init(&wz->addr_f[ADDR_F_SUBNET], FORM_TEXT, "Subnet", "", netwiz_valid_subnet);
	wizard_field_init(&wz->addr_f[ADDR_F_DHCP_START], FORM_TEXT, "DHCP start", "",
			  netwiz_valid_dhcp);
	wizard_field_init(&wz->addr_f[ADDR_F_DHCP_END], FORM_TEXT, "DHCP end", "",
			  netwiz_valid_dhcp);
	wizard_field_init(&wz->addr_f[ADDR_F_BRIDGE], FORM_TEXT, "Host bridge", "br0",
			  netwiz_valid_bridge);
	wizard_frame_form(&wz->frame, NETWIZ_STEP_ADDRESSES, wz->addr_f, ADDR_NR);

	for (int i = 0; i < NETWIZ_FORWARD_LINES; i++) {
		snprintf(wz->fwd_labels[i], sizeof(wz->fwd_labels[i]), "Forward %d", i + 1);
		wizard_field_init(&wz->fwd_f[i], FORM_TEXT, wz->fwd_labels[i], "",
				  netwiz_valid_forward);
	}
	wizard_frame_form(&wz->frame, NETWIZ_STEP_FORWARDS, wz->fwd_f, NETWIZ_FORWARD_LINES);

	wizard_field_init(&wz->sum_f[SUM_F_AUTOSTART], FORM_CHECK, "Autostart", NULL, NULL);
	wz->sum_f[SUM_F_AUTOSTART].checked = true;
	wizard_frame_form(&wz->frame, NETWIZ_STEP_SUMMARY, wz->sum_f, SUM_NR);
	netwiz_update_fields(wz);
	return wz;
}

struct screen *wizard_newnet_new(struct tui *tui)
{
	struct netwiz *wz = netwiz_new(tui);
	struct screen *scr;

	if (!wz)
		return NULL;
	scr = tui_screen_new(&wizard_newnet_ops, wz);
	if (!scr) {
		free(wz->routes);
		free(wz);
	}
	return scr;
}

static void netwiz_destroy(struct screen *scr)
{
	struct netwiz *wz = scr->priv;

	if (wz) {
		free(wz->others);
		free(wz->routes);
		free(wz);
	}
	scr->priv = NULL;
}

/* ---- navigation ---- */

static void netwiz_goto(void *owner, int step, int dir)
{
	struct netwiz *wz = owner;

	while (step >= 0 && step < NETWIZ_NR_STEPS && netwiz_skipped(wz, step))
		step += dir;
	if (step < 0 || step >= NETWIZ_NR_STEPS)
		return;
	if (step == NETWIZ_STEP_ADDRESSES)
		netwiz_prefill(wz);
	netwiz_update_fields(wz);
	wizard_frame_show(&wz->frame, step);
}

/* Every step valid? Else go to the first bad one. */
static bool netwiz_validate_steps(struct netwiz *wz)
{
	netwiz_prefill(wz);
	netwiz_update_fields(wz);
	return wizard_frame_validate(&wz->frame);
}

static void netwiz_finish(struct tui *tui, void *owner)
{
	struct netwiz *wz = owner;
	struct tui_net_request *req;
	int r;

	wz->error[0] = '\0';
	if (!netwiz_validate_steps(wz))
		return;
	req = calloc(1, sizeof(*req));
	if (!req) {
		snprintf(wz->error, sizeof(wz->error), "out of memory");
		return;
	}
	req->op = TUI_NET_DEFINE;
	netwiz_build(wz, NETWIZ_FORWARD_LINES, &req->cfg);
	snprintf(req->name, sizeof(req->name), "%s", req->cfg.name);
	req->start = req->cfg.autostart;
	r = tui_request_net(tui, req, &wz->seq);
	free(req);
	if (r) {
		snprintf(wz->error, sizeof(wz->error), "cannot ask the worker: %s", strerror(-r));
		return;
	}
	wz->frame.busy = true;
}

static const struct wizard_ops wizard_newnet_frame_ops = {
    .what = "New Network",
    .step_names = netwiz_step_names,
    .nr_steps = NETWIZ_NR_STEPS,
    .cancel_question = "Discard this new network? Nothing was created.",
    .screen = &wizard_newnet_ops,
    .skipped = netwiz_skipped,
    .go = netwiz_goto,
    .finish = netwiz_finish,
};

static enum tui_result netwiz_done(struct tui *tui, struct netwiz *wz)
{
	char name[VM_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s", wz->created);
	tui_pop_screen(tui); /* frees wz */
	screen_networks_select(tui, name);
	return TUI_REDRAW;
}

static enum tui_result netwiz_key(struct tui *tui, struct screen *scr, int key)
{
	struct netwiz *wz = scr->priv;
	enum tui_result res;
	int focus;

	if (!wz)
		return TUI_IGNORED;
	if (wz->frame.done)
		return netwiz_done(tui, wz);
	if (key == NETWIZ_KEY_DONE)
		return TUI_HANDLED;
	switch (key) {
	case KEY_F(1):
	case KEY_F(10):
	case 12: /* Ctrl-L */
		return TUI_IGNORED;
	}
	if (wz->frame.busy) {
		tui_status(tui, TUI_STATUS_INFO, "creating network '%s'...", wz->name_f[0].text);
		return TUI_HANDLED;
	}
	focus = wz->forms[wz->frame.step].focus;
	switch (wizard_frame_key(tui, &wz->frame, key, &res)) {
	case WIZARD_KEY_EDITED:
		if (wz->frame.step == NETWIZ_STEP_ADDRESSES && focus == ADDR_F_SUBNET)
			netwiz_subnet_edited(wz);
		netwiz_update_fields(wz);
		return TUI_REDRAW;
	case WIZARD_KEY_FORM:
		netwiz_update_fields(wz);
		return TUI_REDRAW;
	default:
		return res;
	}
}

static enum tui_result netwiz_mouse(struct tui *tui, struct screen *scr, const MEVENT *ev)
{
	struct netwiz *wz = scr->priv;

	return wz ? wizard_frame_mouse(tui, &wz->frame, ev) : TUI_HANDLED;
}

/* ---- drawing ---- */

/* The worker answered our Finish (model lock held). */
static void netwiz_check_reply(struct tui *tui, struct netwiz *wz)
{
	const struct tui_net_reply *r = &tui->model.net_reply;

	if (!wz->frame.busy || r->seq != wz->seq)
		return;
	wz->frame.busy = false;
	/* Created but not started (rc 0, error says why) is still created:
	 * the wizard's job is done, the status line tells the rest. */
	if (r->rc) {
		snprintf(wz->error, sizeof(wz->error), "%s", r->error);
		return;
	}
	snprintf(wz->created, sizeof(wz->created), "%s", r->name);
	wz->frame.done = true;
	ungetch(NETWIZ_KEY_DONE);
	tui_wake(tui);
}

/* The reachability table, the chosen mode's row highlighted. */
static int netwiz_draw_table(struct tui *tui, struct netwiz *wz, WINDOW *win, int y, int x, int w)
{
	static const char *const heads[5] = {"mode", "VM<->host", "VM1<->VM2", "VM->outside",
					     "outside->VM"};
	static const int widths[5] = {10, 11, 11, 13, 14};
	int rows = getmaxy(win);

	(void)tui;
	if (y >= rows - 3)
		return y;
	wattrset(win, theme_attr(THEME_HEADER));
	for (int c = 0, cx = x + 2; c < 5; cx += widths[c], c++)
		tui_put(win, y, cx, x + w - cx, heads[c], false);
	y++;
	for (int m = 0; m < NET_MODE_COUNT && y < rows - 3; m++, y++) {
		const char *const *cells = netwiz_reachability((enum net_mode)m);
		bool chosen = m == (int)netwiz_mode(wz);

		wattrset(win, theme_attr(chosen ? THEME_SELECTED : THEME_NORMAL));
		mvwhline(win, y, x + 1, ' ', 2 + 10 + 11 + 11 + 13 + 14 < w ? 61 : w - 1);
		tui_put(win, y, x + 2, 10, netwiz_mode_choices[m], false);
		for (int c = 0, cx = x + 12; c < 4; cx += widths[c + 1], c++)
			tui_put(win, y, cx, x + w - cx, cells[c], false);
	}
	wattrset(win, theme_attr(THEME_NORMAL));
	if (y + 1 < rows - 3) {
		y++;
		tui_put(win, y++, x, w, netwiz_mode_text[netwiz_mode(wz)], false);
	}
	if (y < rows - 3) {
		wattrset(win,
			 theme_attr(netwiz_mode_needs_admin(netwiz_mode(wz)) ? THEME_STATE_TRANSIENT
									     : THEME_DIM));
		tui_put(win, y++, x, w,
			"hostonly and bridged need root or CAP_NET_ADMIN (a tap on the host).",
			false);
	}
	wattrset(win, theme_attr(THEME_NORMAL));
	return y;
}

static int netwiz_draw_summary(struct netwiz *wz, WINDOW *win, int y, int x, int w)
{
	enum net_mode mode = netwiz_mode(wz);
	const char *const *reach = netwiz_reachability(mode);
	struct net_config cfg;
	char buf[256];

	netwiz_build(wz, NETWIZ_FORWARD_LINES, &cfg);
	y = wizard_summary_line(win, y, x, w, "Name", cfg.name);
	y = wizard_summary_line(win, y, x, w, "Mode", net_mode_name(mode));
	snprintf(buf, sizeof(buf), "host %s, other VMs %s, outside %s; from outside: %s", reach[0],
		 reach[1], reach[2], reach[3]);
	y = wizard_summary_line(win, y, x, w, "Reaches", buf);
	if (netwiz_mode_has_subnet(mode)) {
		y = wizard_summary_line(win, y, x, w, "Subnet", cfg.subnet);
		if (cfg.dhcp_start[0])
			snprintf(buf, sizeof(buf), "%s - %s", cfg.dhcp_start, cfg.dhcp_end);
		else
			snprintf(buf, sizeof(buf), "%s",
				 mode == NET_MODE_HOSTONLY ? "none" : "the default");
		y = wizard_summary_line(win, y, x, w, "DHCP", buf);
	}
	if (mode == NET_MODE_BRIDGED)
		y = wizard_summary_line(win, y, x, w, "Host bridge", cfg.bridge);
	if (netwiz_mode_has_forwards(mode)) {
		if (!cfg.nr_forwards)
			y = wizard_summary_line(win, y, x, w, "Port forwards", "none");
		for (int i = 0; i < cfg.nr_forwards; i++) {
			netcfg_format_forward(&cfg.forwards[i], buf, sizeof(buf));
			y = wizard_summary_line(win, y, x, w, i ? "" : "Port forwards", buf);
		}
	}
	return y;
}

static const char *netwiz_intro(const struct netwiz *wz)
{
	switch (wz->frame.step) {
	case NETWIZ_STEP_NAME:
		return "Letters, digits, '.', '_' and '-'; up to 64 characters.";
	case NETWIZ_STEP_MODE:
		return "What the VMs on it may reach (Left/Right to change):";
	case NETWIZ_STEP_ADDRESSES:
		return netwiz_mode(wz) == NET_MODE_BRIDGED
			   ? "The existing host bridge the VMs join (its LAN gives the addresses)."
			   : "The IPv4 subnet and the range the DHCP server hands out.";
	case NETWIZ_STEP_FORWARDS:
		return netwiz_mode(wz) == NET_MODE_NAT
			   ? "Host port -> a VM's port: tcp:2222-web:22 (udp: too). Optional."
			   : "Host port -> a guest address: tcp:2222-10.0.2.15:22. Optional.";
	default:
		return "Check everything, then Finish. Nothing is created before that.";
	}
}

static void netwiz_draw(struct tui *tui, struct screen *scr, WINDOW *win)
{
	struct netwiz *wz = scr->priv;
	struct form *form;
	int rows, cols, x = 2, w, y;

	if (!wz)
		return;
	netwiz_check_reply(tui, wz);
	form = &wz->forms[wz->frame.step];
	getmaxyx(win, rows, cols);
	wizard_frame_draw_top(tui, &wz->frame, win);
	w = cols - 4;

	y = 3;
	tui_put(win, y, x, w, netwiz_intro(wz), false);
	y += 2;
	if (wz->frame.step == NETWIZ_STEP_SUMMARY)
		y = netwiz_draw_summary(wz, win, y, x, w) + 1;
	y += form_draw(win, form, y, x, w, 16, wz->frame.button < 0 && !wz->frame.busy, tui->utf8);
	if (wz->frame.step == NETWIZ_STEP_MODE)
		netwiz_draw_table(tui, wz, win, y + 1, x, w);
	if (wz->frame.step == NETWIZ_STEP_SUMMARY && y < rows - 3) {
		y++;
		if (wz->frame.busy) {
			wattrset(win, theme_attr(THEME_STATE_TRANSIENT));
			tui_put(win, y, x, w, "Creating the network...", false);
		} else if (wz->error[0]) {
			wattrset(win, theme_attr(THEME_ERROR));
			tui_put(win, y, x, w, wz->error, false);
		} else {
			wattrset(win, theme_attr(THEME_DIM));
			tui_put(win, y, x, w,
				"Autostart: started now and with the first VM that needs it.",
				false);
		}
	}

	wizard_frame_draw_buttons(&wz->frame, win, x);
}

static const struct keybar_item *netwiz_keybar_items(struct tui *tui, struct screen *scr)
{
	struct netwiz *wz = scr->priv;

	(void)tui;
	return wz && wz->frame.step == NETWIZ_STEP_SUMMARY ? netwiz_keybar_summary : netwiz_keybar;
}

const struct screen_ops wizard_newnet_ops = {
    .name = "new-network",
    .draw = netwiz_draw,
    .key = netwiz_key,
    .mouse = netwiz_mouse,
    .keybar = netwiz_keybar_items,
    .help = netwiz_help,
    .destroy = netwiz_destroy,
};
