/* `virtty list`: every VM with its state, and CPU% and uptime for the
 * running ones. */
#include <stdlib.h>

#include "cli.h"
#include "store/store.h"

/* CPU% needs two samples; list waits this long only if a VM is running. */
#define LIST_SAMPLE_MS 300

static bool list_is_live(enum vm_state s)
{
	return s == VM_STATE_RUNNING || s == VM_STATE_PAUSED || s == VM_STATE_SHUTTING_DOWN;
}

static int list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	static const char *const headers[] = {"NAME", "STATE", "CPUS", "MEMORY", "CPU%", "UPTIME"};
	static const enum cli_align align[] = {CLI_ALIGN_LEFT,	CLI_ALIGN_LEFT,	 CLI_ALIGN_RIGHT,
					       CLI_ALIGN_RIGHT, CLI_ALIGN_RIGHT, CLI_ALIGN_RIGHT};
	struct vm_info *vms = NULL;
	struct vm_stats *s0 = NULL, *s1 = NULL;
	bool *have = NULL, any_live = false;
	char err[512] = "";
	struct driver *drv;
	int rc, n = 0;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, NULL, NULL)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 0, 0, "")))
		return rc;
	if (!(drv = cli_driver(ctx)))
		return CLI_EXIT_FAILED;
	if (drv->ops->list(drv, &vms, &n, err, sizeof(err)) < 0)
		return cli_failed(err);
	s0 = calloc((size_t)n + 1, sizeof(*s0));
	s1 = calloc((size_t)n + 1, sizeof(*s1));
	have = calloc((size_t)n + 1, sizeof(*have));
	if (!s0 || !s1 || !have) {
		cli_error("out of memory");
		rc = CLI_EXIT_FAILED;
		goto out;
	}
	/* A VM whose stats fail (it just stopped) simply shows no CPU%. */
	for (int i = 0; i < n; i++)
		if (list_is_live(vms[i].state) &&
		    drv->ops->stats(drv, vms[i].name, &s0[i], err, sizeof(err)) == 0)
			have[i] = any_live = true;
	if (any_live) {
		cli_sleep_ms(LIST_SAMPLE_MS);
		for (int i = 0; i < n; i++)
			if (have[i] &&
			    drv->ops->stats(drv, vms[i].name, &s1[i], err, sizeof(err)) < 0)
				have[i] = false;
	}

	if (ctx->json) {
		json_object *arr = json_object_new_array();

		for (int i = 0; i < n; i++) {
			json_object *o = cli_json_vm_info(&vms[i]);

			double pct = have[i] ? vm_stats_cpu_percent(&s0[i], &s1[i]) : 0;

			json_object_object_add(o, "cpu_percent",
					       have[i] ? cli_json_double(pct, 1) : NULL);
			json_object_array_add(arr, o);
		}
		cli_json_print(arr, stdout);
		json_object_put(arr);
	} else {
		struct cli_table *t = cli_table_new(6, headers, align);

		for (int i = 0; t && i < n; i++) {
			char cpus[16], mem[32], pct[16] = "-", up[32] = "-", state[64];
			const char *row[6] = {vms[i].name, state, cpus, mem, pct, up};

			snprintf(state, sizeof(state), "%s%s", vm_state_name(vms[i].state),
				 vms[i].pending_changes ? "*" : "");
			/* 0 = unknown (an unreadable config): the reason follows the table. */
			snprintf(cpus, sizeof(cpus), vms[i].vcpus ? "%d" : "-", vms[i].vcpus);
			if (vms[i].memory_mib)
				format_size(vms[i].memory_mib << 20, mem, sizeof(mem));
			else
				snprintf(mem, sizeof(mem), "-");
			if (have[i])
				cli_format_percent(vm_stats_cpu_percent(&s0[i], &s1[i]), pct,
						   sizeof(pct));
			if (list_is_live(vms[i].state))
				cli_format_duration(vms[i].uptime_ms, up, sizeof(up));
			cli_table_add_row(t, row);
		}
		if (t)
			cli_table_print(t, stdout);
		cli_table_free(t);
		for (int i = 0; i < n; i++)
			if (vms[i].pending_changes) {
				puts("* changed settings apply at the next start");
				break;
			}
		/* Why a VM crashed or cannot be read, one line each. */
		for (int i = 0; i < n; i++)
			if (vms[i].reason[0])
				printf("%s: %s\n", vms[i].name, vms[i].reason);
	}
	rc = CLI_EXIT_OK;
out:
	free(vms);
	free(s0);
	free(s1);
	free(have);
	return rc;
}

const struct cli_command cli_cmd_list = {
    .name = "list",
    .usage = "[--json]",
    .summary = "list every VM with its state, vCPUs, memory, CPU% and uptime",
    .help = "A '*' after the state marks a running VM whose settings changed since it\n"
	    "started (they apply at its next start).\n",
    .exec = list_exec,
};
