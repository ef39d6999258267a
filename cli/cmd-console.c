/* `virtty console NAME`: the guest's serial console in this terminal (raw
 * pass-through; Ctrl-] detaches), and `console --dump NAME`: the recent
 * output from the VMM's replay buffer, for scripts. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define CONSOLE_ESCAPE 0x1d /* Ctrl-] */
/* After stdin ends (a script piped its input), keep showing the guest's
 * output until it has been quiet this long, then leave. */
#define CONSOLE_DRAIN_MS 1000
/* How long a restarting VMM (guest reboot, reset) may take to come back. */
#define CONSOLE_REOPEN_MS 5000

static int console_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

enum console_end {
	CONSOLE_DETACHED,
	CONSOLE_CLOSED,
	CONSOLE_INPUT_DONE,
	CONSOLE_SIGNAL,
	CONSOLE_ERROR
};

static enum console_end console_pump(int vm_fd, bool tty)
{
	bool input_open = true;
	char buf[4096];

	for (;;) {
		struct pollfd pfd[2] = {
		    {.fd = vm_fd, .events = POLLIN},
		    {.fd = STDIN_FILENO, .events = POLLIN},
		};
		int r = poll(pfd, input_open ? 2 : 1, input_open ? -1 : CONSOLE_DRAIN_MS);
		ssize_t n;

		if (cli_term_signal)
			return CONSOLE_SIGNAL;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return CONSOLE_ERROR;
		}
		if (r == 0)
			return CONSOLE_INPUT_DONE;
		if (pfd[0].revents) {
			n = read(vm_fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return CONSOLE_CLOSED;
			if (console_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
				return CONSOLE_ERROR;
		}
		if (input_open && pfd[1].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				input_open = false;
				continue;
			}
			if (tty) {
				char *esc = memchr(buf, CONSOLE_ESCAPE, (size_t)n);

				if (esc) {
					console_write_all(vm_fd, buf, (size_t)(esc - buf));
					return CONSOLE_DETACHED;
				}
			}
			if (console_write_all(vm_fd, buf, (size_t)n) < 0)
				return CONSOLE_CLOSED;
		}
	}
}

/* The console closes when the VMM process restarts (guest reboot, reset):
 * while the VM is still running, open it again, retrying every 100 ms for
 * 5 s. Ctrl-] and signals still work meanwhile. Returns the new fd, or
 * -1 with *end set when the VM really stopped or the user left. */
static int console_reopen(struct driver *drv, const char *name, bool tty, enum console_end *end)
{
	uint64_t deadline = cli_now_ns() + CONSOLE_REOPEN_MS * 1000000ULL;
	char err[512], buf[256];

	*end = CONSOLE_CLOSED;
	for (;;) {
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		struct vm_info info = {0};
		int fd = -1;

		if (drv->ops->info(drv, name, &info, err, sizeof(err)) < 0 ||
		    (info.state != VM_STATE_RUNNING && info.state != VM_STATE_STARTING &&
		     info.state != VM_STATE_UNKNOWN))
			return -1;
		if (drv->ops->console_open(drv, name, &fd, err, sizeof(err)) == 0)
			return fd;
		if (cli_now_ns() >= deadline)
			return -1;
		/* Wait 100 ms, watching the keyboard for Ctrl-]. */
		if (poll(&pfd, tty ? 1 : 0, 100) > 0 && tty) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n > 0 && memchr(buf, CONSOLE_ESCAPE, (size_t)n)) {
				*end = CONSOLE_DETACHED;
				return -1;
			}
		}
		if (cli_term_signal) {
			*end = CONSOLE_SIGNAL;
			return -1;
		}
	}
}

static int console_dump(struct cli_ctx *ctx, struct driver *drv, const char *name)
{
	char err[512] = "", *buf = NULL;
	size_t len = 0;

	if (drv->ops->console_dump(drv, name, &buf, &len, err, sizeof(err)) < 0)
		return cli_failed(err);
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "output",
				       json_object_new_string_len(buf ? buf : "", (int)len));
		cli_json_print(o, stdout);
		json_object_put(o);
	} else if (len) {
		fwrite(buf, 1, len, stdout);
	}
	free(buf);
	return CLI_EXIT_OK;
}

enum { CONSOLE_OPT_DUMP = CLI_OPT_FIRST_PRIVATE };

/* --dump, the only option of its own. */
static int console_opt(struct cli_ctx *ctx, int opt, const char *arg, void *opaque)
{
	*(bool *)opaque = true;
	return CLI_CONTINUE;
}

static int console_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dump", no_argument, NULL, CONSOLE_OPT_DUMP},
	    CLI_COMMON_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	bool dump = false, tty;
	enum console_end end;
	char err[512] = "";
	struct driver *drv;
	const char *name;
	int rc, fd = -1, saved_errno;

	if ((rc = cli_vm_command(ctx, argc, argv, opts, console_opt, &dump, &name, &drv)) !=
	    CLI_CONTINUE)
		return rc;
	if (dump)
		return console_dump(ctx, drv, name);
	if (ctx->json)
		return cli_usage_error(ctx,
				       "--json needs --dump (an interactive console is not data)");

	if (drv->ops->console_open(drv, name, &fd, err, sizeof(err)) < 0)
		return cli_failed(err);
	tty = isatty(STDIN_FILENO) == 1;
	cli_term_catch_signals();
	if (tty)
		fprintf(stdout, "Connected to VM '%s' (escape: Ctrl-])\n", name);
	else
		fprintf(stderr, "Connected to VM '%s' (input from a pipe; ends with it)\n", name);
	fflush(stdout);
	/* In raw mode Ctrl-C and Ctrl-Z go to the guest; only Ctrl-] is ours. */
	if (tty && cli_term_raw(STDIN_FILENO, false) < 0) {
		cli_error("cannot put the terminal in raw mode: %s", strerror(errno));
		close(fd);
		return CLI_EXIT_FAILED;
	}
	for (;;) {
		end = console_pump(fd, tty);
		if (end != CONSOLE_CLOSED)
			break;
		close(fd);
		fd = console_reopen(drv, name, tty, &end);
		if (fd < 0)
			break;
	}
	saved_errno = errno;
	if (tty)
		cli_term_restore();
	if (fd >= 0)
		close(fd);
	switch (end) {
	case CONSOLE_DETACHED:
		printf("\nDetached from VM '%s' (it keeps running)\n", name);
		return CLI_EXIT_OK;
	case CONSOLE_CLOSED:
		printf("\nVM '%s' closed its console (it stopped)\n", name);
		return CLI_EXIT_OK;
	case CONSOLE_INPUT_DONE:
		return CLI_EXIT_OK;
	case CONSOLE_SIGNAL:
		return CLI_EXIT_FAILED;
	case CONSOLE_ERROR:
	default:
		cli_error("console of VM '%s': %s", name, strerror(saved_errno));
		return CLI_EXIT_FAILED;
	}
}

const struct cli_command cli_cmd_console = {
    .name = "console",
    .usage = "NAME | --dump NAME",
    .summary = "attach to a VM's serial console (Ctrl-] detaches)",
    .help = "  --dump                print the guest's recent console output and exit\n"
	    "On a terminal, keys go to the guest as typed (Ctrl-C too); press Ctrl-] to\n"
	    "detach: the VM keeps running. With input from a pipe, the input is sent and\n"
	    "the console is left once the guest has been quiet for a second.\n",
    .exec = console_exec,
};
