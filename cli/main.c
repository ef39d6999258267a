/* `virtty [-c URI] [--json] COMMAND [ARGS]`: global options, the command
 * table, and dispatch. With no command it prints a short usage (the TUI
 * will open there in a later version). */
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct cli_command *const cli_commands[] = {
    &cli_cmd_list,
    &cli_cmd_info,
    &cli_cmd_define,
    &cli_cmd_undefine,
    &cli_cmd_start,
    &cli_cmd_shutdown,
    &cli_cmd_destroy,
    &cli_cmd_reboot,
    &cli_cmd_pause,
    &cli_cmd_resume,
    &cli_cmd_set,
    &cli_cmd_clone,
    &cli_cmd_stats,
    &cli_cmd_top,
    &cli_cmd_console,
    &cli_cmd_disk_create,
    &cli_cmd_disk_info,
    &cli_cmd_host_check,
    NULL,
};

const struct cli_command *cli_find_command(const char *name)
{
	for (int i = 0; cli_commands[i]; i++)
		if (!strcmp(cli_commands[i]->name, name))
			return cli_commands[i];
	return NULL;
}

/* The closest command name, if it is close enough to be a typo: a
 * prefix of exactly one command, or at most 2 edits (fewer for short words). */
const char *cli_suggest_command(const char *name)
{
	/* Words users bring from virsh and other tools. */
	static const char *const aliases[][2] = {
	    {"ls", "list"},
	    {"stop", "shutdown"},
	    {"poweroff", "destroy"},
	    {"kill", "destroy"},
	    {"suspend", "pause"},
	    {"create", "define"},
	    {"delete", "undefine"},
	    {"remove", "undefine"},
	    {"rm", "undefine"},
	    {"dominfo", "info"},
	    {"domstats", "stats"},
	    {"edit", "set"},
	    {"setvcpus", "set"},
	    {"setmem", "set"},
	    {"vol-create", "disk-create"},
	    {"vol-info", "disk-info"},
	    {"validate", "host-check"},
	};

	const char *best = NULL, *prefix = NULL;
	int best_d = 1 << 30, nprefix = 0;
	size_t len = strlen(name);
	int limit = len <= 3 ? 1 : 2;

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(name, aliases[i][0]))
			return aliases[i][1];
	for (int i = 0; cli_commands[i]; i++) {
		const char *cand = cli_commands[i]->name;
		int d = cli_edit_distance(name, cand);

		if (len && !strncmp(cand, name, len)) {
			prefix = cand;
			nprefix++;
		}
		/* On a tie, a command the word is a prefix of wins ("stat"). */
		if (d < best_d ||
		    (d == best_d && len && !strncmp(cand, name, len) && strncmp(best, name, len))) {
			best_d = d;
			best = cand;
		}
	}
	if (best_d <= limit)
		return best;
	if (nprefix == 1)
		return prefix;
	return NULL;
}

static void main_usage(FILE *fp, bool full)
{
	fputs("Usage: virtty [-c URI] [--json] COMMAND [ARGS]\n"
	      "Manage virtual machines from the terminal.\n",
	      fp);
	if (!full) {
		fputs(
		    "\nThe full-screen interface comes in a later version; for now use a command,\n"
		    "e.g. 'virtty list' or 'virtty host-check'. See 'virtty --help' for all "
		    "commands.\n",
		    fp);
		return;
	}
	fputs("\nOptions:\n"
	      "  -c, --connect URI     connection to use (default: local)\n"
	      "  --json                machine-readable output\n"
	      "  -h, --help            this help ('virtty COMMAND --help' for a command)\n"
	      "  -V, --version         print the version\n"
	      "\nCommands:\n",
	      fp);
	for (int i = 0; cli_commands[i]; i++)
		fprintf(fp, "  %-12s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fputs("\nExit status: 0 success, 1 the operation failed, 2 bad usage.\n"
	      "See virtty(1) for details.\n",
	      fp);
}

int cli_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"connect", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_ctx ctx = {0};
	const struct cli_command *cmd;
	int c, rc;

	setlocale(LC_ALL, "");
	opterr = 0;
	/* '+': stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.uri = optarg;
			break;
		case CLI_OPT_JSON:
			ctx.json = true;
			break;
		case 'h':
			main_usage(stdout, true);
			return CLI_EXIT_OK;
		case 'V':
			printf("virtty %s\n", PACKAGE_VERSION);
			return CLI_EXIT_OK;
		case ':':
			return cli_usage_error(NULL, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				return cli_usage_error(NULL, "unknown option '-%c'", optopt);
			return cli_usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		main_usage(stdout, false);
		return CLI_EXIT_OK;
	}
	cmd = cli_find_command(argv[optind]);
	if (!cmd) {
		const char *suggestion = cli_suggest_command(argv[optind]);

		if (suggestion)
			cli_error("unknown command '%s'; did you mean '%s'?", argv[optind],
				  suggestion);
		else
			cli_error("unknown command '%s'; see 'virtty --help'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	ctx.cmd = cmd;
	argc -= optind;
	argv += optind;
	optind = 0; /* full getopt reset for the command's own options */
	rc = cmd->exec(&ctx, argc, argv);
	if (ctx.drv)
		driver_close(ctx.drv);
	if (fflush(stdout) == EOF && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_FAILED;
	return rc;
}

/* The unit tests call cli_main() in a child and bring their own main(). */
#ifndef CLI_NO_MAIN
int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
#endif
