/* `virtty host-check`: can this host run VMs, and how well (like
 * virt-host-validate). Exit 0 unless a check FAILs. */
#include <stdlib.h>

#include "cli.h"
#include "hostcheck.h"

static int host_check_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct hostcheck_result *res = NULL;
	bool failed = false;
	int rc, n = 0;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, NULL, NULL)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 0, 0, "")))
		return rc;
	if (hostcheck_run(&res, &n) < 0) {
		cli_error("host-check: out of memory");
		return CLI_EXIT_FAILED;
	}
	for (int i = 0; i < n; i++)
		failed |= res[i].level == HOSTCHECK_FAIL;

	if (ctx->json) {
		json_object *arr = json_object_new_array(), *o = json_object_new_object();

		for (int i = 0; i < n; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "check", json_object_new_string(res[i].name));
			json_object_object_add(
			    e, "result",
			    json_object_new_string(hostcheck_level_name(res[i].level)));
			json_object_object_add(e, "detail", json_object_new_string(res[i].detail));
			json_object_object_add(
			    e, "hint", res[i].hint[0] ? json_object_new_string(res[i].hint) : NULL);
			json_object_array_add(arr, e);
		}
		json_object_object_add(o, "checks", arr);
		json_object_object_add(o, "ok", json_object_new_boolean(!failed));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else {
		size_t width = 0;

		for (int i = 0; i < n; i++)
			if (cli_utf8_width(res[i].name) > width)
				width = cli_utf8_width(res[i].name);
		/* One line per check, as virt-host-validate does; the hint
		 * goes on its own indented line so long details stay readable. */
		for (int i = 0; i < n; i++) {
			printf("%-*s : %s  %s\n", (int)width, res[i].name,
			       hostcheck_level_name(res[i].level), res[i].detail);
			if (res[i].hint[0])
				printf("%-*s   hint: %s\n", (int)width, "", res[i].hint);
		}
	}
	free(res);
	return failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

const struct cli_command cli_cmd_host_check = {
    .name = "host-check",
    .usage = "[--json]",
    .summary = "check that this host can run VMs, and how fast (PASS/WARN/FAIL)",
    .help = "Exit status 0 when no check fails (warnings allowed), 1 otherwise.\n",
    .exec = host_check_exec,
};
