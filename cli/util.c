/* Helpers every command uses: error reporting, option parsing with the
 * options all commands share, opening the connection, checking arguments. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "store/store.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("virtty: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void util_try_help(const struct cli_ctx *ctx, bool with_usage)
{
	if (ctx && ctx->cmd && with_usage)
		fprintf(stderr, "Usage: virtty %s %s\n", ctx->cmd->name, ctx->cmd->usage);
	if (ctx && ctx->cmd)
		fprintf(stderr, "Try 'virtty %s --help'.\n", ctx->cmd->name);
	else
		fputs("Try 'virtty --help'.\n", stderr);
}

int cli_usage_error(const struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("virtty: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	util_try_help(ctx, false);
	return CLI_EXIT_USAGE;
}

void cli_print_command_help(const struct cli_command *cmd, FILE *fp)
{
	fprintf(fp, "Usage: virtty %s %s\n%s\n", cmd->name, cmd->usage, cmd->summary);
	if (cmd->help && cmd->help[0])
		fprintf(fp, "\n%s", cmd->help);
	fputs("  --json                print machine-readable JSON\n"
	      "  -h, --help            this help\n",
	      fp);
}

/* getopt_long with our conventions: options may follow the arguments
 * (`virtty define web --cpus 2`), errors are reported by util_common_opt
 * rather than by getopt itself. main() resets optind before each command. */
static int util_getopt(struct cli_ctx *ctx, int argc, char **argv, const struct option *opts)
{
	opterr = 0;
	return getopt_long(argc, argv, ":h", opts, NULL);
}

/* Handles --json, --help and getopt's errors. Returns CLI_CONTINUE, or the
 * exit status the command should return now. */
static int util_common_opt(struct cli_ctx *ctx, int opt, char **argv)
{
	const char *what = optind > 0 ? argv[optind - 1] : "?";

	switch (opt) {
	case CLI_OPT_JSON:
		ctx->json = true;
		return CLI_CONTINUE;
	case 'h':
		cli_print_command_help(ctx->cmd, stdout);
		return CLI_EXIT_OK;
	case ':':
		return cli_usage_error(ctx, "option '%s' needs a value", what);
	case '?':
		if (optopt && optopt < 256)
			return cli_usage_error(ctx, "unknown option '-%c'", optopt);
		return cli_usage_error(ctx, "unknown option '%s'", what);
	default:
		return cli_usage_error(ctx, "option '%s' is not handled", what);
	}
}

/* The option loop of every command: its own options (numbered from
 * CLI_OPT_FIRST_PRIVATE) go to on_opt, the shared ones and getopt's errors
 * to util_common_opt. Returns CLI_CONTINUE, or the exit status the command
 * should return now (CLI_EXIT_OK after --help). */
int cli_parse_options(struct cli_ctx *ctx, int argc, char **argv, const struct option *opts,
		      cli_option_fn on_opt, void *opaque)
{
	int c, rc;

	while ((c = util_getopt(ctx, argc, argv, opts)) != -1) {
		if (on_opt && c >= CLI_OPT_FIRST_PRIVATE)
			rc = on_opt(ctx, c, optarg, opaque);
		else
			rc = util_common_opt(ctx, c, argv);
		if (rc != CLI_CONTINUE)
			return rc;
	}
	return CLI_CONTINUE;
}

/* Checks the number of positional arguments left after the options. */
int cli_expect_args(struct cli_ctx *ctx, int argc, char **argv, int min, int max, const char *what)
{
	int n = argc - optind;

	if (n < min) {
		cli_error("missing %s", what);
		util_try_help(ctx, true);
		return CLI_EXIT_USAGE;
	}
	if (max >= 0 && n > max)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[optind + max]);
	return 0;
}

struct driver *cli_driver(struct cli_ctx *ctx)
{
	char err[512] = "";

	if (ctx->drv)
		return ctx->drv;
	ctx->drv = driver_open(ctx->uri, err, sizeof(err));
	if (!ctx->drv)
		cli_error("%s", err[0] ? err : "cannot open the connection");
	return ctx->drv;
}

/* The start of every command on one VM: its options, exactly one VM name
 * (checked), and, when drv is not NULL, the connection. Returns
 * CLI_CONTINUE with *name (and *drv) set, or the exit status to return now. */
int cli_vm_command(struct cli_ctx *ctx, int argc, char **argv, const struct option *opts,
		   cli_option_fn on_opt, void *opaque, const char **name, struct driver **drv)
{
	int rc;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, on_opt, opaque)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 1, 1, "VM name")))
		return rc;
	*name = argv[optind];
	if ((rc = cli_check_name(ctx, *name)))
		return rc;
	if (drv && !(*drv = cli_driver(ctx)))
		return CLI_EXIT_FAILED;
	return CLI_CONTINUE;
}

/* An operation failed: say why (err names the VM). */
int cli_failed(const char *err)
{
	cli_error("%s", err);
	return CLI_EXIT_FAILED;
}

/* A bad name is bad usage: nothing was tried. */
int cli_check_name(struct cli_ctx *ctx, const char *name)
{
	char err[256] = "";

	if (vm_name_valid(name, err, sizeof(err)))
		return 0;
	if (!err[0])
		snprintf(err, sizeof(err), "invalid name '%s'", name);
	return cli_usage_error(ctx, "%s", err);
}

int cli_parse_count(const char *text, const char *what, int min, int max, int *out, char *err,
		    size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (!text[0] || *end || errno || text[0] == '-' || text[0] == '+' || v < min || v > max) {
		snprintf(err, errlen, "invalid %s '%s': use a whole number from %d to %d", what,
			 text, min, max);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* Memory sizes: plain numbers are MiB; the result must be whole MiB. */
int cli_parse_mib(const char *text, const char *what, uint64_t *mib, char *err, size_t errlen)
{
	uint64_t bytes;
	int r;

	r = parse_size(text, 1ULL << 20, false, &bytes, err, errlen);
	if (r < 0)
		return r;
	if (bytes % (1ULL << 20)) {
		snprintf(err, errlen, "invalid %s '%s': use a whole number of MiB (e.g. 512M, 2G)",
			 what, text);
		return -EINVAL;
	}
	*mib = bytes >> 20;
	return 0;
}

/* Levenshtein distance, for "did you mean" on a mistyped command. */
int cli_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
		return INT_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev_diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int best = prev_diag + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			int tmp = row[j];

			row[j] = best;
			prev_diag = tmp;
		}
	}
	return row[lb];
}

uint64_t cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void cli_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	/* An interrupting signal ends the sleep early; callers check for it. */
	nanosleep(&ts, NULL);
}

bool cli_isatty_out(void)
{
	return isatty(STDOUT_FILENO) == 1;
}
