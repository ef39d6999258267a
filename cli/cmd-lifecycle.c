/* Starting and stopping: `start`, `shutdown` (ACPI, waits, --force),
 * `destroy`, `reboot`, `pause`, `resume`. */
#include <errno.h>
#include <string.h>

#include "cli.h"

/* How often shutdown polls the state while it waits. */
#define LIFECYCLE_POLL_MS 200

/* start, destroy, reboot, pause and resume: one driver call each, told
 * apart by their command's data. */
enum lifecycle_op {
	LIFECYCLE_START,
	LIFECYCLE_DESTROY,
	LIFECYCLE_REBOOT,
	LIFECYCLE_PAUSE,
	LIFECYCLE_RESUME
};

struct lifecycle_action {
	enum lifecycle_op op;
	const char *result; /* for --json */
	const char *verb;   /* "VM 'x' <verb>" */
	const char *hint;   /* with a hint: "VM 'x' <verb> 'virtty <hint> x'" */
};

static void lifecycle_report(struct cli_ctx *ctx, const char *name, const char *result,
			     const char *text)
{
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "result", json_object_new_string(result));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		printf("%s\n", text);
	}
}

static int lifecycle_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	const struct lifecycle_action *a = ctx->cmd->data;
	int (*op)(struct driver *, const char *, char *, size_t) = NULL;
	char err[512] = "", text[256];
	const char *name = NULL;
	struct driver *drv;
	int rc;

	if ((rc = cli_vm_command(ctx, argc, argv, opts, NULL, NULL, &name, &drv)) != CLI_CONTINUE)
		return rc;
	switch (a->op) {
	case LIFECYCLE_START:
		op = drv->ops->start;
		break;
	case LIFECYCLE_DESTROY:
		op = drv->ops->destroy;
		break;
	case LIFECYCLE_REBOOT:
		op = drv->ops->reboot;
		break;
	case LIFECYCLE_PAUSE:
		op = drv->ops->pause;
		break;
	case LIFECYCLE_RESUME:
		op = drv->ops->resume;
		break;
	}
	if (op(drv, name, err, sizeof(err)) < 0)
		return cli_failed(err);
	if (a->hint)
		snprintf(text, sizeof(text), "VM '%s' %s 'virtty %s %s'", name, a->verb, a->hint,
			 name);
	else
		snprintf(text, sizeof(text), "VM '%s' %s", name, a->verb);
	lifecycle_report(ctx, name, a->result, text);
	return CLI_EXIT_OK;
}

enum {
	SHUTDOWN_OPT_TIMEOUT = CLI_OPT_FIRST_PRIVATE,
	SHUTDOWN_OPT_FORCE,
};

static bool shutdown_is_down(enum vm_state s)
{
	return s == VM_STATE_SHUTOFF || s == VM_STATE_CRASHED;
}

struct shutdown_opts {
	bool force;
	int timeout_s;
};

static int shutdown_opt(struct cli_ctx *ctx, int opt, const char *arg, void *opaque)
{
	struct shutdown_opts *o = opaque;
	char err[512];

	if (opt == SHUTDOWN_OPT_FORCE)
		o->force = true;
	else if (cli_parse_count(arg, "--timeout", 0, 86400, &o->timeout_s, err, sizeof(err)))
		return cli_usage_error(ctx, "%s", err);
	return CLI_CONTINUE;
}

static int shutdown_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"timeout", required_argument, NULL, SHUTDOWN_OPT_TIMEOUT},
	    {"force", no_argument, NULL, SHUTDOWN_OPT_FORCE},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct shutdown_opts o = {.timeout_s = 60};
	bool tty = cli_isatty_out() && !ctx->json, drew = false;
	int rc, last_left = -1;
	char err[512] = "";
	struct vm_info info = {0};
	struct driver *drv;
	const char *name;
	uint64_t deadline;

	if ((rc = cli_vm_command(ctx, argc, argv, opts, shutdown_opt, &o, &name, &drv)) !=
	    CLI_CONTINUE)
		return rc;
	if (drv->ops->shutdown(drv, name, err, sizeof(err)) < 0)
		return cli_failed(err);

	cli_term_catch_signals();
	deadline = cli_now_ns() + (uint64_t)o.timeout_s * 1000000000ULL;
	for (;;) {
		uint64_t now = cli_now_ns();

		/* A failing info (a hung VMM) is not "down": keep waiting. */
		if (drv->ops->info(drv, name, &info, err, sizeof(err)) == 0 &&
		    shutdown_is_down(info.state))
			break;
		if (now >= deadline || cli_term_signal)
			break;
		if (tty) {
			int left = (int)((deadline - now + 999999999ULL) / 1000000000ULL);

			if (left != last_left) {
				printf("\rWaiting for VM '%s' to shut down... %d s \033[K", name,
				       left);
				fflush(stdout);
				last_left = left;
				drew = true;
			}
		}
		cli_sleep_ms(LIFECYCLE_POLL_MS);
	}
	if (drew)
		fputs("\r\033[K", stdout);
	if (cli_term_signal) {
		cli_error("stopped waiting for VM '%s' to shut down (it may still do so)", name);
		return CLI_EXIT_FAILED;
	}
	if (info.state == VM_STATE_CRASHED) {
		cli_error("VM '%s' crashed while shutting down%s%s", name,
			  info.reason[0] ? ": " : "", info.reason);
		return CLI_EXIT_FAILED;
	}
	if (info.state == VM_STATE_SHUTOFF) {
		char text[256];

		snprintf(text, sizeof(text), "VM '%s' shut down", name);
		lifecycle_report(ctx, name, "shut off", text);
		return CLI_EXIT_OK;
	}
	if (!o.force) {
		cli_error(
		    "VM '%s' did not shut down within %d s; use --force or 'virtty destroy %s'",
		    name, o.timeout_s, name);
		return CLI_EXIT_FAILED;
	}
	if (drv->ops->destroy(drv, name, err, sizeof(err)) < 0) {
		cli_error("VM '%s' did not shut down within %d s, and powering it off failed: %s",
			  name, o.timeout_s, err);
		return CLI_EXIT_FAILED;
	}
	{
		char text[256];

		snprintf(text, sizeof(text),
			 "VM '%s' did not shut down within %d s; powered it off (--force)", name,
			 o.timeout_s);
		lifecycle_report(ctx, name, "destroyed", text);
	}
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_start = {
    .name = "start",
    .usage = "NAME",
    .summary = "start a VM (its VMM keeps running after virtty exits)",
    .help = "",
    .exec = lifecycle_exec,
    .data = &(const struct lifecycle_action){LIFECYCLE_START, "started",
					     "started; console:", "console"},
};

const struct cli_command cli_cmd_shutdown = {
    .name = "shutdown",
    .usage = "NAME [--timeout SECONDS] [--force]",
    .summary = "ask the guest to power off (ACPI) and wait until it has",
    .help = "  --timeout SECONDS     how long to wait (default 60)\n"
	    "  --force               power the VM off if it has not shut down in time\n",
    .exec = shutdown_exec,
};

const struct cli_command cli_cmd_destroy = {
    .name = "destroy",
    .usage = "NAME",
    .summary = "power a VM off now, without asking the guest",
    .help = "",
    .exec = lifecycle_exec,
    .data = &(const struct lifecycle_action){LIFECYCLE_DESTROY, "destroyed", "powered off", NULL},
};

const struct cli_command cli_cmd_reboot = {
    .name = "reboot",
    .usage = "NAME",
    .summary = "reset a running VM",
    .help = "",
    .exec = lifecycle_exec,
    .data = &(const struct lifecycle_action){LIFECYCLE_REBOOT, "rebooted", "reset", NULL},
};

const struct cli_command cli_cmd_pause = {
    .name = "pause",
    .usage = "NAME",
    .summary = "stop a VM's vCPUs (it keeps its memory)",
    .help = "",
    .exec = lifecycle_exec,
    .data = &(const struct lifecycle_action){LIFECYCLE_PAUSE, "paused", "paused; continue it with",
					     "resume"},
};

const struct cli_command cli_cmd_resume = {
    .name = "resume",
    .usage = "NAME",
    .summary = "let a paused VM run again",
    .help = "",
    .exec = lifecycle_exec,
    .data = &(const struct lifecycle_action){LIFECYCLE_RESUME, "resumed", "resumed", NULL},
};

/* ---- save, restore: a running VM's memory to a file and back ---- */

/* The connection's own answer when it cannot: the local VMM has no saved
 * state yet. */
static int lifecycle_unsupported(const struct driver *drv, const char *what)
{
	cli_error("connection '%s' cannot %s VMs (libvirt hosts can)", drv->uri, what);
	return CLI_EXIT_FAILED;
}

static int save_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	char err[512] = "", path[VM_PATH_MAX], text[2 * VM_PATH_MAX + 256];
	const char *name = NULL;
	struct driver *drv;
	int rc;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, NULL, NULL)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 2, 2, "VM name and file")))
		return rc;
	name = argv[optind];
	if ((rc = cli_check_name(ctx, name)))
		return rc;
	if (cli_absolute_path(argv[optind + 1], path, sizeof(path)) < 0)
		return cli_usage_error(ctx, "invalid path '%s'", argv[optind + 1]);
	if (!(drv = cli_driver(ctx)))
		return CLI_EXIT_FAILED;
	if (!drv->ops->save)
		return lifecycle_unsupported(drv, "save");
	if (drv->ops->save(drv, name, path, err, sizeof(err)) < 0)
		return cli_failed(err);
	snprintf(text, sizeof(text), "VM '%s' saved to %s; 'virtty restore %s' resumes it", name,
		 path, path);
	lifecycle_report(ctx, name, "saved", text);
	return CLI_EXIT_OK;
}

static int restore_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	char err[512] = "", path[VM_PATH_MAX], text[VM_PATH_MAX + 64];
	struct driver *drv;
	int rc;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, NULL, NULL)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 1, 1, "saved file")))
		return rc;
	if (cli_absolute_path(argv[optind], path, sizeof(path)) < 0)
		return cli_usage_error(ctx, "invalid path '%s'", argv[optind]);
	if (!(drv = cli_driver(ctx)))
		return CLI_EXIT_FAILED;
	if (!drv->ops->restore)
		return lifecycle_unsupported(drv, "restore");
	if (drv->ops->restore(drv, path, err, sizeof(err)) < 0)
		return cli_failed(err);
	snprintf(text, sizeof(text), "Restored the VM saved in %s", path);
	lifecycle_report(ctx, path, "restored", text);
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_save = {
    .name = "save",
    .usage = "NAME FILE",
    .summary = "save a running VM's memory to FILE and stop it (libvirt hosts)",
    .help = "FILE is on the VM's host. 'virtty restore FILE' starts it again where it was.\n",
    .exec = save_exec,
};

const struct cli_command cli_cmd_restore = {
    .name = "restore",
    .usage = "FILE",
    .summary = "start a VM again from a file written by 'virtty save'",
    .help = "",
    .exec = restore_exec,
};
