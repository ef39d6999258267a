/* `virtty clone NAME NEWNAME`: a new VM with copies of the source's disks,
 * with a progress bar on a terminal. */
#include "cli.h"
#include "store/store.h"

static int clone_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct cli_progress prog;
	struct progress progress = {cli_progress_update, &prog};
	char err[512] = "", label[160];
	const char *name, *new_name;
	struct driver *drv;
	int rc;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, NULL, NULL)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 2, 2,
				  argc - optind < 1 ? "VM name and new name" : "new name")))
		return rc;
	name = argv[optind];
	new_name = argv[optind + 1];
	if ((rc = cli_check_name(ctx, name)) || (rc = cli_check_name(ctx, new_name)))
		return rc;
	if (!(drv = cli_driver(ctx)))
		return CLI_EXIT_FAILED;
	snprintf(label, sizeof(label), "Cloning '%s':", name);
	cli_progress_init(&prog, label, cli_isatty_out() && !ctx->json);
	if (drv->ops->clone(drv, name, new_name, &progress, err, sizeof(err)) < 0) {
		if (prog.tty && prog.last_draw_ns)
			fputs("\r\033[K", stdout);
		return cli_failed(err);
	}
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "new_name", json_object_new_string(new_name));
		json_object_object_add(o, "bytes_copied",
				       json_object_new_int64((int64_t)prog.done));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		char done[200];

		snprintf(done, sizeof(done), "VM '%s' cloned as '%s'", name, new_name);
		cli_progress_finish(&prog, done);
	}
	return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_clone = {
    .name = "clone",
    .usage = "NAME NEWNAME",
    .summary = "copy a shut-off VM and its disks under a new name",
    .help = "",
    .exec = clone_exec,
};
