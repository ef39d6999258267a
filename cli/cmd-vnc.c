/* `virtty vnc [--view-only] [--colors MODE] [--graphics MODE] TARGET`: the graphical console
 * of a VM, or of any VNC server, drawn in this terminal (console/vncview.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vncview.h"

enum {
	VNC_OPT_VIEW_ONLY = CLI_OPT_FIRST_PRIVATE,
	VNC_OPT_COLORS,
	VNC_OPT_GRAPHICS,
};

static int vnc_opt(struct cli_ctx *ctx, int opt, const char *arg, void *opaque)
{
	struct vncview_options *o = opaque;

	switch (opt) {
	case VNC_OPT_VIEW_ONLY:
		o->view_only = true;
		break;
	case VNC_OPT_COLORS:
		if (!strcmp(arg, "auto")) {
			o->colors_auto = true;
		} else if (!strcmp(arg, "truecolor") || !strcmp(arg, "24bit")) {
			o->colors_auto = false;
			o->colors = RENDER_COLORS_TRUE;
		} else if (!strcmp(arg, "256")) {
			o->colors_auto = false;
			o->colors = RENDER_COLORS_256;
		} else if (!strcmp(arg, "16")) {
			o->colors_auto = false;
			o->colors = RENDER_COLORS_16;
		} else {
			return cli_usage_error(ctx, "--colors '%s': use auto, truecolor, 256 or 16",
					       arg);
		}
		break;
	case VNC_OPT_GRAPHICS:
		o->graphics_auto = !strcmp(arg, "auto");
		if (o->graphics_auto || !strcmp(arg, "cells"))
			o->graphics = RENDER_GFX_CELLS;
		else if (!strcmp(arg, "sixel"))
			o->graphics = RENDER_GFX_SIXEL;
		else if (!strcmp(arg, "kitty"))
			o->graphics = RENDER_GFX_KITTY;
		else
			return cli_usage_error(
			    ctx, "--graphics '%s': use auto, cells, sixel or kitty", arg);
		break;
	}
	return CLI_CONTINUE;
}

/* VM names cannot hold '/' or ':', so anything with one is an address. */
static bool vnc_is_address(const char *target)
{
	return strchr(target, '/') || strchr(target, ':');
}

/* Connecting again, for the viewer (vncview_options.reopen). */
struct vnc_target {
	const char *target;
	struct driver *drv; /* NULL for an address */
};

static int vnc_reopen(void *opaque, int *fd, char *err, size_t errlen)
{
	struct vnc_target *t = opaque;

	if (!t->drv)
		return vncview_connect(t->target, fd, err, errlen);
	return t->drv->ops->vnc_open(t->drv, t->target, fd, err, errlen);
}

static int vnc_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"view-only", no_argument, NULL, VNC_OPT_VIEW_ONLY},
	    {"colors", required_argument, NULL, VNC_OPT_COLORS},
	    {"colours", required_argument, NULL, VNC_OPT_COLORS},
	    {"graphics", required_argument, NULL, VNC_OPT_GRAPHICS},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct vncview_options vo = {
	    .in_fd = STDIN_FILENO,
	    .out_fd = STDOUT_FILENO,
	    .colors_auto = true,
	    .graphics_auto = true,
	};
	char err[512] = "", title[300];
	struct vnc_target reopen = {0};
	const char *target;
	int rc, fd = -1;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, vnc_opt, &vo)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 1, 1, "VM name or VNC address")))
		return rc;
	target = argv[optind];
	if (ctx->json)
		return cli_usage_error(ctx, "--json: an interactive viewer is not data");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("virtty vnc needs a terminal (%s is not one)",
			  isatty(STDIN_FILENO) ? "standard output" : "standard input");
		return CLI_EXIT_USAGE;
	}

	if (vnc_is_address(target)) {
		if (vncview_connect(target, &fd, err, sizeof(err)) < 0)
			return cli_failed(err);
		snprintf(title, sizeof(title), "%s", target);
	} else {
		struct driver *drv;

		if ((rc = cli_check_name(ctx, target)))
			return rc;
		if (!(drv = cli_driver(ctx)))
			return CLI_EXIT_FAILED;
		if (!drv->ops->vnc_open) {
			cli_error("connection '%s' has no VNC consoles",
				  ctx->uri ? ctx->uri : "local");
			return CLI_EXIT_FAILED;
		}
		if (drv->ops->vnc_open(drv, target, &fd, err, sizeof(err)) < 0)
			return cli_failed(err[0] ? err : "cannot open the VNC console");
		snprintf(title, sizeof(title), "%s (%s)", target, ctx->uri ? ctx->uri : "local");
		reopen.drv = drv;
	}
	vo.title = title;
	reopen.target = target;
	vo.reopen = vnc_reopen;
	vo.reopen_opaque = &reopen;

	rc = vncview_run(fd, &vo, err, sizeof(err));
	if (rc < 0)
		return cli_failed(err);
	if (!vnc_is_address(target))
		printf("Left the screen of VM '%s' (it keeps running)\n", target);
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_vnc = {
    .name = "vnc",
    .usage = "[--view-only] [--colors MODE] [--graphics MODE] TARGET",
    .summary = "show a VM's screen in this terminal (Ctrl-] leaves, F12 menu)",
    .help = "  --view-only           show the screen, send no keys or mouse\n"
	    "  --colors MODE         auto (default), truecolor, 256 or 16\n"
	    "  --graphics MODE       auto (default), cells, sixel or kitty\n"
	    "TARGET is a VM name, a VNC server's UNIX socket (a path with '/'),\n"
	    "HOST:DISPLAY (port 5900+DISPLAY) or HOST::PORT.\n"
	    "Keys and the mouse go to the guest. Ctrl-] leaves the viewer; F12 opens a\n"
	    "menu on the status line: d Ctrl-Alt-Del, z/x zoom in/out, 0 fit, arrows\n"
	    "pan while zoomed, c colour mode, g graphics mode, r redraw, F12 sends F12,\n"
	    "Esc closes it.\n"
	    "--colors auto picks truecolor for COLORTERM=truecolor or 24bit, 256 colours\n"
	    "for a TERM naming 256, else 16.\n"
	    "--graphics auto draws real pixels with the kitty graphics protocol or sixel\n"
	    "when the terminal answers that it has them, and half-block cells otherwise\n"
	    "and inside tmux or screen.\n",
    .exec = vnc_exec,
};
