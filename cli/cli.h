/* The `virtty` command line: the command table, the state shared by every
 * command, and the helpers commands use, grouped by the file they live in. */
#ifndef VIRTTY_CLI_H
#define VIRTTY_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "driver.h"

/* Exit statuses of `virtty`. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILED = 1, /* the operation was tried and failed */
	CLI_EXIT_USAGE = 2,  /* bad usage: unknown command/option, missing or bad argument */
};

/* Returned by option handlers and cli_parse_options() when the command
 * should go on. */
#define CLI_CONTINUE (-1)

/* Long-only option values shared by every command. */
enum {
	CLI_OPT_JSON = 256,
	CLI_OPT_FIRST_PRIVATE = 300, /* commands number their own options from here */
};

/* clang-format off */
#define CLI_COMMON_OPTIONS \
	{ "json", no_argument, NULL, CLI_OPT_JSON }, { "help", no_argument, NULL, 'h' }
/* clang-format on */

struct cli_ctx;

struct cli_command {
	const char *name;
	const char *usage;   /* arguments after the name: "NAME [--force]" */
	const char *summary; /* one line for `virtty --help` */
	const char *help;    /* the options, one per line, for `virtty CMD --help` */
	int (*exec)(struct cli_ctx *ctx, int argc, char **argv);
	const void *data; /* for exec, when one exec serves several commands */
};

/* A command's own option (arg is its value or NULL): returns CLI_CONTINUE
 * or the exit status the command should return now. */
typedef int (*cli_option_fn)(struct cli_ctx *ctx, int opt, const char *arg, void *opaque);

/* State of one `virtty` run. */
struct cli_ctx {
	const char *uri;	       /* -c URI, NULL = local */
	bool json;		       /* --json: machine-readable output */
	const struct cli_command *cmd; /* the command being run */
	struct driver *drv;	       /* opened on first use by cli_driver() */
};

/* main.c */
int cli_main(int argc, char **argv);
extern const struct cli_command *const cli_commands[];
const struct cli_command *cli_find_command(const char *name);
const char *cli_suggest_command(const char *name);

/* util.c */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const struct cli_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cli_print_command_help(const struct cli_command *cmd, FILE *fp);
int cli_parse_options(struct cli_ctx *ctx, int argc, char **argv, const struct option *opts,
		      cli_option_fn on_opt, void *opaque);
int cli_expect_args(struct cli_ctx *ctx, int argc, char **argv, int min, int max, const char *what);
struct driver *cli_driver(struct cli_ctx *ctx);
int cli_vm_command(struct cli_ctx *ctx, int argc, char **argv, const struct option *opts,
		   cli_option_fn on_opt, void *opaque, const char **name, struct driver **drv);
int cli_failed(const char *err);
int cli_check_name(struct cli_ctx *ctx, const char *name);
int cli_parse_count(const char *text, const char *what, int min, int max, int *out, char *err,
		    size_t errlen);
int cli_parse_mib(const char *text, const char *what, uint64_t *mib, char *err, size_t errlen);
int cli_edit_distance(const char *a, const char *b);
uint64_t cli_now_ns(void);
void cli_sleep_ms(unsigned ms);
bool cli_isatty_out(void);

/* output.c */
size_t cli_utf8_width(const char *s);
void cli_format_duration(uint64_t ms, char *buf, size_t len);
void cli_format_rate(double bytes_per_s, char *buf, size_t len);
void cli_format_percent(double pct, char *buf, size_t len);

enum cli_align { CLI_ALIGN_LEFT, CLI_ALIGN_RIGHT };
struct cli_table {
	int ncols;
	int nrows;
	const char **headers;
	enum cli_align *align;
	char ***cells; /* [row][col], malloc'd */
};
struct cli_table *cli_table_new(int ncols, const char *const *headers, const enum cli_align *align);
int cli_table_add_row(struct cli_table *t, const char *const *cells);
char *cli_table_render(const struct cli_table *t);
void cli_table_print(const struct cli_table *t, FILE *fp);
void cli_table_free(struct cli_table *t);
char *cli_kv_render(const char *const *keys, const char *const *values, int n);
void cli_json_print(json_object *obj, FILE *fp);
json_object *cli_json_double(double v, int decimals);
json_object *cli_json_vm_info(const struct vm_info *info);

/* progress.c */
struct cli_progress {
	const char *label;
	bool tty;
	uint64_t start_ns, last_draw_ns;
	uint64_t done, total;
};
void cli_progress_init(struct cli_progress *p, const char *label, bool tty);
int cli_progress_update(void *opaque, uint64_t done, uint64_t total);
void cli_progress_finish(struct cli_progress *p, const char *done_text);
void cli_progress_format_bar(uint64_t done, uint64_t total, double rate, int width, char *buf,
			     size_t len);

/* term.c */
int cli_term_raw(int fd, bool keep_signals);
void cli_term_restore(void);
void cli_term_catch_signals(void);
extern volatile int cli_term_signal;

/* cmd-list.c, cmd-info.c, ... (one entry per command) */
extern const struct cli_command cli_cmd_list;
extern const struct cli_command cli_cmd_info;
extern const struct cli_command cli_cmd_define;
extern const struct cli_command cli_cmd_undefine;
extern const struct cli_command cli_cmd_start;
extern const struct cli_command cli_cmd_shutdown;
extern const struct cli_command cli_cmd_destroy;
extern const struct cli_command cli_cmd_reboot;
extern const struct cli_command cli_cmd_pause;
extern const struct cli_command cli_cmd_resume;
extern const struct cli_command cli_cmd_save;
extern const struct cli_command cli_cmd_restore;
extern const struct cli_command cli_cmd_set;
extern const struct cli_command cli_cmd_clone;
extern const struct cli_command cli_cmd_stats;
extern const struct cli_command cli_cmd_top;
extern const struct cli_command cli_cmd_console;
extern const struct cli_command cli_cmd_disk_create;
extern const struct cli_command cli_cmd_disk_info;
extern const struct cli_command cli_cmd_host_check;
extern const struct cli_command cli_cmd_vnc;
extern const struct cli_command cli_cmd_net_list;
extern const struct cli_command cli_cmd_net_info;
extern const struct cli_command cli_cmd_net_create;
extern const struct cli_command cli_cmd_net_start;
extern const struct cli_command cli_cmd_net_stop;
extern const struct cli_command cli_cmd_net_delete;
extern const struct cli_command cli_cmd_net_autostart;
extern const struct cli_command cli_cmd_net_forward;

/* cmd-define.c: `--disk PATH|new:SIZE[,readonly]` (pure, unit-tested). */
struct cli_disk_spec {
	bool is_new;
	bool readonly;
	uint64_t size_bytes; /* is_new */
	char path[VM_PATH_MAX];
};
int cli_parse_disk_spec(const char *text, struct cli_disk_spec *out, char *err, size_t errlen);
int cli_absolute_path(const char *path, char *buf, size_t len);
/* `--display vnc|none` and `--vnc-port N` (define and set). */
int cli_parse_display(const char *text, bool *vnc, char *err, size_t errlen);
int cli_parse_vnc_port(const char *text, int *port, char *err, size_t errlen);
/* `--nic NETWORK[,mac=MAC]` (define and set): mac "" = the driver picks. */
int cli_parse_nic_spec(const char *text, struct vm_nic *out, char *err, size_t errlen);

#endif
