/* `virtty [-c URI] [--json] COMMAND [ARGS]`: global options, the command
 * table, and dispatch. With no command it opens the full-screen TUI. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tui.h"

/* Options of the TUI itself (no command given). */
enum {
	MAIN_OPT_THEME = CLI_OPT_JSON + 1,
	MAIN_OPT_REFRESH,
};

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
    &cli_cmd_save,
    &cli_cmd_restore,
    &cli_cmd_set,
    &cli_cmd_clone,
    &cli_cmd_stats,
    &cli_cmd_top,
    &cli_cmd_console,
    &cli_cmd_vnc,
    &cli_cmd_disk_create,
    &cli_cmd_disk_info,
    &cli_cmd_net_list,
    &cli_cmd_net_info,
    &cli_cmd_net_create,
    &cli_cmd_net_start,
    &cli_cmd_net_stop,
    &cli_cmd_net_delete,
    &cli_cmd_net_autostart,
    &cli_cmd_net_forward,
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
	    {"net-define", "net-create"},
	    {"net-destroy", "net-stop"},
	    {"net-undefine", "net-delete"},
	    {"net-dumpxml", "net-info"},
	    {"networks", "net-list"},
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

static void main_usage(FILE *fp)
{
	fputs("Usage: virtty [-c URI] [--theme NAME] [--refresh SECONDS]\n"
	      "       virtty [-c URI] [--json] COMMAND [ARGS]\n"
	      "Manage virtual machines from the terminal: with no command, the full-screen\n"
	      "interface opens.\n",
	      fp);
	fputs("\nOptions:\n"
	      "  -c, --connect URI     connection to use (default: local); with no command,\n"
	      "                        the interface shows it beside the saved connections\n"
	      "                        and selects it (several -c: all of them)\n"
	      "  --theme NAME          colour theme of the full-screen interface\n"
	      "  --refresh SECONDS     how often it samples the VMs (default: 1)\n"
	      "  --json                machine-readable output\n"
	      "  -h, --help            this help ('virtty COMMAND --help' for a command)\n"
	      "  -V, --version         print the version\n"
	      "\nCommands:\n",
	      fp);
	for (int i = 0; cli_commands[i]; i++)
		fprintf(fp, "  %-13s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fputs("\nExit status: 0 success, 1 the operation failed, 2 bad usage.\n"
	      "See virtty(1) for details.\n",
	      fp);
}

static int main_parse_refresh(const char *text, unsigned *ms)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(text, &end);
	if (errno || end == text || *end || !(s >= 0.2 && s <= 60))
		return -EINVAL;
	*ms = (unsigned)(s * 1000 + 0.5);
	return 0;
}

/* No command: the full-screen interface, if there is a terminal to draw on. */
static int main_run_tui(struct cli_ctx *ctx, struct tui_options *opts)
{
	struct driver *drv;
	int rc;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		cli_error("the full-screen interface needs a terminal (%s is not one); "
			  "use a command such as 'virtty list', see 'virtty --help'",
			  isatty(STDOUT_FILENO) ? "standard input" : "standard output");
		return CLI_EXIT_USAGE;
	}
	/* The local connection is always in the list; -c URIs are opened by
	 * the interface in the background (a dead host does not stop it). */
	{
		char err[512] = "";

		drv = driver_open(NULL, err, sizeof(err));
		if (!drv) {
			cli_error("%s", err[0] ? err : "cannot open the local connection");
			return CLI_EXIT_FAILED;
		}
	}
	opts->uri = ctx->uri;
	rc = tui_main(drv, opts);
	driver_close(drv);
	ctx->drv = NULL;
	return rc < 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

int cli_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"connect", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    {"theme", required_argument, NULL, MAIN_OPT_THEME},
	    {"refresh", required_argument, NULL, MAIN_OPT_REFRESH},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_ctx ctx = {0};
	struct tui_options tui_opts = {0};
	static const char *more_uris[16]; /* -c given several times (TUI) */
	bool tui_only = false; /* an option that makes sense only for the TUI */
	const struct cli_command *cmd;
	int c, rc;

	setlocale(LC_ALL, "");
	opterr = 0;
	/* '+': stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			/* The last one is the command's; the TUI shows them all. */
			if (ctx.uri && tui_opts.nr_uris < (int)(sizeof(more_uris) / sizeof(more_uris[0])))
				more_uris[tui_opts.nr_uris++] = ctx.uri;
			ctx.uri = optarg;
			tui_opts.uris = more_uris;
			break;
		case CLI_OPT_JSON:
			ctx.json = true;
			break;
		case MAIN_OPT_THEME:
			if (!*optarg)
				return cli_usage_error(NULL, "--theme needs a theme name");
			tui_opts.theme = optarg;
			tui_only = true;
			break;
		case MAIN_OPT_REFRESH:
			if (main_parse_refresh(optarg, &tui_opts.interval_ms) < 0)
				return cli_usage_error(
				    NULL, "--refresh '%s': give seconds between 0.2 and 60",
				    optarg);
			tui_only = true;
			break;
		case 'h':
			main_usage(stdout);
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
	if (optind >= argc)
		return main_run_tui(&ctx, &tui_opts);
	if (tui_only)
		return cli_usage_error(NULL, "--theme and --refresh are options of the full-screen "
					     "interface: give no command");
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
