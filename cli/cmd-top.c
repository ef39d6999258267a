/* `virtty top`: a refreshing table of the running VMs (CPU%, memory, disk
 * rates, uptime), like virt-top. Raw terminal + ANSI on a tty, put back on
 * every exit; plain frames (or JSON lines) for scripts. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "store/store.h"

/* Before the first frame, so it already has CPU% and rates. */
#define TOP_FIRST_SAMPLE_MS 300

struct top_sample {
	char name[VM_NAME_MAX + 1];
	struct vm_stats stats;
};

struct top_state {
	struct top_sample *prev;
	int nprev;
	bool interactive;
};

/* VMs with a process: they get a row. */
static bool top_is_live(enum vm_state s)
{
	return s == VM_STATE_RUNNING || s == VM_STATE_PAUSED || s == VM_STATE_SHUTTING_DOWN ||
	       s == VM_STATE_STARTING || s == VM_STATE_UNKNOWN;
}

/* Those worth asking for figures: an unknown (hung) VMM would only make
 * every frame wait for its timeout. */
static bool top_has_stats(enum vm_state s)
{
	return s == VM_STATE_RUNNING || s == VM_STATE_PAUSED || s == VM_STATE_SHUTTING_DOWN;
}

static const struct vm_stats *top_find_prev(const struct top_state *st, const char *name)
{
	for (int i = 0; i < st->nprev; i++)
		if (!strcmp(st->prev[i].name, name))
			return &st->prev[i].stats;
	return NULL;
}

/* Samples every live VM; the caller owns *out. */
static int top_sample_all(struct driver *drv, struct vm_info **vms, int *nvms,
			  struct top_sample **out, int *nout, char *err, size_t errlen)
{
	struct top_sample *s;
	int n = 0;

	*vms = NULL;
	*nvms = 0;
	if (drv->ops->list(drv, vms, nvms, err, errlen) < 0)
		return -1;
	s = calloc((size_t)*nvms + 1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < *nvms; i++) {
		if (!top_has_stats((*vms)[i].state))
			continue;
		if (drv->ops->stats(drv, (*vms)[i].name, &s[n].stats, err, errlen) < 0)
			continue; /* it stopped between list and stats */
		snprintf(s[n].name, sizeof(s[n].name), "%s", (*vms)[i].name);
		n++;
	}
	*out = s;
	*nout = n;
	return 0;
}

static double top_rate(uint64_t older, uint64_t newer, double secs)
{
	return secs > 0 && newer >= older ? (double)(newer - older) / secs : 0;
}

static void top_render(struct cli_ctx *ctx, struct top_state *st, const struct vm_info *vms,
		       int nvms, const struct top_sample *cur, int ncur)
{
	static const char *const headers[] = {"NAME",	"STATE",   "CPUS",    "CPU%",
					      "MEMORY", "DISK RD", "DISK WR", "UPTIME"};
	static const enum cli_align align[] = {CLI_ALIGN_LEFT,	CLI_ALIGN_LEFT,	 CLI_ALIGN_RIGHT,
					       CLI_ALIGN_RIGHT, CLI_ALIGN_RIGHT, CLI_ALIGN_RIGHT,
					       CLI_ALIGN_RIGHT, CLI_ALIGN_RIGHT};
	json_object *arr = ctx->json ? json_object_new_array() : NULL;
	struct cli_table *t = ctx->json ? NULL : cli_table_new(8, headers, align);
	char clock[16], *text;
	time_t now = time(NULL);
	struct tm tm;
	int nlive = 0;

	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	for (int i = 0; i < nvms; i++) {
		const struct vm_info *vm = &vms[i];
		const struct vm_stats *now_s = NULL, *old_s;
		char cpus[16], pct[16] = "-", mem[32], rd[32] = "-", wr[32] = "-", up[32];
		double cpu = -1, rdr = 0, wrr = 0;

		if (!top_is_live(vm->state))
			continue;
		nlive++;
		for (int j = 0; j < ncur; j++)
			if (!strcmp(cur[j].name, vm->name))
				now_s = &cur[j].stats;
		old_s = top_find_prev(st, vm->name);
		if (now_s && old_s && now_s->timestamp_ns > old_s->timestamp_ns) {
			double secs = (double)(now_s->timestamp_ns - old_s->timestamp_ns) / 1e9;

			cpu = vm_stats_cpu_percent(old_s, now_s);
			rdr = top_rate(old_s->disk_rd_bytes, now_s->disk_rd_bytes, secs);
			wrr = top_rate(old_s->disk_wr_bytes, now_s->disk_wr_bytes, secs);
		}
		if (arr) {
			json_object *o = cli_json_vm_info(vm);

			json_object_object_add(o, "cpu_percent",
					       cpu >= 0 ? cli_json_double(cpu, 1) : NULL);
			json_object_object_add(o, "disk_rd_bytes_per_s",
					       cpu >= 0 ? cli_json_double(rdr, 1) : NULL);
			json_object_object_add(o, "disk_wr_bytes_per_s",
					       cpu >= 0 ? cli_json_double(wrr, 1) : NULL);
			json_object_array_add(arr, o);
			continue;
		}
		snprintf(cpus, sizeof(cpus), "%d", vm->vcpus);
		format_size(vm->memory_mib << 20, mem, sizeof(mem));
		if (cpu >= 0) {
			cli_format_percent(cpu, pct, sizeof(pct));
			cli_format_rate(rdr, rd, sizeof(rd));
			cli_format_rate(wrr, wr, sizeof(wr));
		}
		cli_format_duration(vm->uptime_ms, up, sizeof(up));
		if (t) {
			const char *row[8] = {
			    vm->name, vm_state_name(vm->state), cpus, pct, mem, rd, wr, up};

			cli_table_add_row(t, row);
		}
	}
	if (arr) {
		/* One compact line per frame: easy to read from a script. */
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
		json_object_put(arr);
		fflush(stdout);
		return;
	}
	text = t ? cli_table_render(t) : NULL;
	cli_table_free(t);
	if (st->interactive) {
		struct winsize ws = {0};
		int rows = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row ? ws.ws_row : 24;
		int line = 2;

		/* Home, then each line cleared to its end: no flicker. */
		printf("\033[H\033[1mvirtty top\033[0m - %s - %d of %d VMs running - press q to "
		       "quit\033[K\r\n\033[K\r\n",
		       clock, nlive, nvms);
		for (char *p = text, *nl; p && *p && line < rows - 1; p = nl + 1, line++) {
			nl = strchr(p, '\n');
			if (!nl)
				break;
			if (p == text)
				printf("\033[7m%.*s\033[0m\033[K\r\n", (int)(nl - p), p);
			else
				printf("%.*s\033[K\r\n", (int)(nl - p), p);
		}
		if (!nlive && line < rows - 1)
			printf("(no VM is running)\033[K\r\n");
		printf("\033[J");
	} else {
		printf("virtty top - %s - %d of %d VMs running\n%s%s\n", clock, nlive, nvms,
		       text ? text : "", nlive ? "" : "(no VM is running)\n");
	}
	free(text);
	fflush(stdout);
}

/* Waits up to ms for a key; returns 1 to quit. */
static int top_wait(bool read_keys, int ms)
{
	uint64_t end = cli_now_ns() + (uint64_t)ms * 1000000ULL;

	for (;;) {
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		uint64_t now = cli_now_ns();
		int left, r;
		char key;

		if (cli_term_signal)
			return 1;
		if (now >= end)
			return 0;
		left = (int)((end - now + 999999) / 1000000);
		r = poll(&pfd, read_keys ? 1 : 0, left);
		if (r < 0 && errno != EINTR)
			return 1;
		if (r > 0) {
			if (read(STDIN_FILENO, &key, 1) != 1)
				read_keys = false; /* EOF: only Ctrl-C/timeouts now */
			else if (key == 'q' || key == 'Q' || key == 3)
				return 1;
		}
	}
}

enum {
	TOP_OPT_DELAY = CLI_OPT_FIRST_PRIVATE,
	TOP_OPT_ITERATIONS,
};

struct top_opts {
	int iterations; /* 0: until 'q' */
	int delay_ms;
};

static int top_opt(struct cli_ctx *ctx, int opt, const char *arg, void *opaque)
{
	struct top_opts *o = opaque;
	char err[512] = "", *end;
	double d;

	if (opt == TOP_OPT_DELAY) {
		d = strtod(arg, &end);
		if (!arg[0] || *end || !(d >= 0.1 && d <= 3600))
			return cli_usage_error(
			    ctx, "invalid --delay '%s': use seconds from 0.1 to 3600", arg);
		o->delay_ms = (int)(d * 1000);
	} else if (cli_parse_count(arg, "--iterations", 1, 1000000000, &o->iterations, err,
				   sizeof(err))) {
		return cli_usage_error(ctx, "%s", err);
	}
	return CLI_CONTINUE;
}

static int top_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"delay", required_argument, NULL, TOP_OPT_DELAY},
	    {"iterations", required_argument, NULL, TOP_OPT_ITERATIONS},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct top_opts o = {.iterations = 0, .delay_ms = 1000};
	struct top_state st = {0};
	bool read_keys = false;
	char err[512] = "";
	struct driver *drv;
	int rc;

	if ((rc = cli_parse_options(ctx, argc, argv, opts, top_opt, &o)) != CLI_CONTINUE)
		return rc;
	if ((rc = cli_expect_args(ctx, argc, argv, 0, 0, "")))
		return rc;
	if (!(drv = cli_driver(ctx)))
		return CLI_EXIT_FAILED;

	st.interactive = cli_isatty_out() && !ctx->json;
	cli_term_catch_signals();
	if (st.interactive) {
		/* Keep ISIG: Ctrl-C arrives as SIGINT and ends the loop cleanly. */
		if (isatty(STDIN_FILENO) && cli_term_raw(STDIN_FILENO, true) == 0)
			read_keys = true;
		printf("\033[?1049h\033[?25l\033[H\033[2J");
		fflush(stdout);
	}

	{
		struct vm_info *vms = NULL;
		int nvms;

		if (top_sample_all(drv, &vms, &nvms, &st.prev, &st.nprev, err, sizeof(err)) < 0) {
			rc = CLI_EXIT_FAILED;
			goto out;
		}
		free(vms);
		if (st.nprev && top_wait(read_keys, TOP_FIRST_SAMPLE_MS))
			goto out;
	}
	for (int frame = 0; !o.iterations || frame < o.iterations; frame++) {
		struct top_sample *cur = NULL;
		struct vm_info *vms = NULL;
		int nvms = 0, ncur = 0;

		if (frame && top_wait(read_keys, o.delay_ms))
			break;
		if (top_sample_all(drv, &vms, &nvms, &cur, &ncur, err, sizeof(err)) < 0) {
			free(vms);
			rc = CLI_EXIT_FAILED;
			break;
		}
		top_render(ctx, &st, vms, nvms, cur, ncur);
		free(vms);
		free(st.prev);
		st.prev = cur;
		st.nprev = ncur;
	}
out:
	if (st.interactive) {
		printf("\033[?25h\033[?1049l");
		fflush(stdout);
		cli_term_restore();
	}
	free(st.prev);
	if (rc == CLI_EXIT_FAILED)
		cli_error("%s", err);
	return rc;
}

const struct cli_command cli_cmd_top = {
    .name = "top",
    .usage = "[--delay SECONDS] [--iterations N] [--json]",
    .summary = "refreshing table of running VMs (CPU%, memory, disk rates); q quits",
    .help = "  --delay SECONDS       time between refreshes (default 1)\n"
	    "  --iterations N        stop after N refreshes (for scripts)\n"
	    "On a terminal the table refreshes in place until q or Ctrl-C; otherwise each\n"
	    "refresh is printed as a plain frame (with --json: one JSON array per line).\n",
    .exec = top_exec,
};
