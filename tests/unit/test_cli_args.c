/* `virtty` argument handling: disk specs, counts and sizes, the "did you
 * mean" suggestion, and the whole program's usage errors and exit
 * statuses (cli/main.c run in a child against a temporary store). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static char tmpdir[] = "/tmp/test_cli_args.XXXXXX";

struct run {
	int status;
	char out[16384];
	char err[16384];
};

static void read_all(int fd, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;

	while (used + 1 < len && (n = read(fd, buf + used, len - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
}

/* Runs `virtty ARGS...` in a child; stdout and stderr are captured
 * (small outputs: read after the child is done). */
static void run_cli(struct run *r, const char *const *args)
{
	char outpath[256], errpath[256];
	int argc = 0, st, fd;
	char *argv[32];
	pid_t pid;

	argv[argc++] = (char *)"virtty";
	while (args[argc - 1] && argc < 31) {
		argv[argc] = (char *)args[argc - 1];
		argc++;
	}
	argv[argc] = NULL;
	snprintf(outpath, sizeof(outpath), "%s/out", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/err", tmpdir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int o = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int rc;

		dup2(o, 1);
		dup2(e, 2);
		rc = cli_main(argc, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
	fd = open(outpath, O_RDONLY);
	read_all(fd, r->out, sizeof(r->out));
	close(fd);
	fd = open(errpath, O_RDONLY);
	read_all(fd, r->err, sizeof(r->err));
	close(fd);
}

static void setup(void)
{
	char path[512];

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/home", tmpdir);
	setenv("VIRTTY_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/run", tmpdir);
	setenv("VIRTTY_RUNTIME_DIR", path, 1);
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(tmpdir, "/tmp/test_cli_args.XXXXXX");
}

START_TEST(test_disk_spec)
{
	struct cli_disk_spec d;
	char err[256];

	ck_assert_int_eq(cli_parse_disk_spec("new:2G", &d, err, sizeof(err)), 0);
	ck_assert(d.is_new && !d.readonly);
	ck_assert_uint_eq(d.size_bytes, 2ULL << 30);
	/* Plain numbers are MiB, as for --memory. */
	ck_assert_int_eq(cli_parse_disk_spec("new:64,readonly", &d, err, sizeof(err)), 0);
	ck_assert(d.is_new && d.readonly);
	ck_assert_uint_eq(d.size_bytes, 64ULL << 20);
	ck_assert_int_eq(cli_parse_disk_spec("/srv/a.img,readonly", &d, err, sizeof(err)), 0);
	ck_assert(!d.is_new && d.readonly);
	ck_assert_str_eq(d.path, "/srv/a.img");
	/* Relative paths become absolute from the current directory. */
	ck_assert_int_eq(chdir("/tmp"), 0);
	ck_assert_int_eq(cli_parse_disk_spec("x.img", &d, err, sizeof(err)), 0);
	ck_assert_str_eq(d.path, "/tmp/x.img");

	ck_assert_int_lt(cli_parse_disk_spec("new:-1", &d, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "-1"));
	ck_assert_int_lt(cli_parse_disk_spec("new:0", &d, err, sizeof(err)), 0);
	ck_assert_int_lt(cli_parse_disk_spec("new:1000B", &d, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "512"));
	ck_assert_int_lt(cli_parse_disk_spec("a.img,cache=none", &d, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "readonly"));
	ck_assert_int_lt(cli_parse_disk_spec(",readonly", &d, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_counts_and_memory)
{
	char err[256];
	uint64_t mib;
	int n;

	ck_assert_int_eq(cli_parse_count("4", "--cpus", 1, 64, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_int_lt(cli_parse_count("0", "--cpus", 1, 64, &n, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "--cpus '0'"));
	ck_assert_int_lt(cli_parse_count("65", "--cpus", 1, 64, &n, err, sizeof(err)), 0);
	ck_assert_int_lt(cli_parse_count("2x", "--cpus", 1, 64, &n, err, sizeof(err)), 0);
	ck_assert_int_lt(cli_parse_count("", "--cpus", 1, 64, &n, err, sizeof(err)), 0);
	ck_assert_int_lt(cli_parse_count("-3", "--cpus", 1, 64, &n, err, sizeof(err)), 0);

	ck_assert_int_eq(cli_parse_mib("512", "--memory", &mib, err, sizeof(err)), 0);
	ck_assert_uint_eq(mib, 512);
	ck_assert_int_eq(cli_parse_mib("2G", "--memory", &mib, err, sizeof(err)), 0);
	ck_assert_uint_eq(mib, 2048);
	ck_assert_int_eq(cli_parse_mib("1.5G", "--memory", &mib, err, sizeof(err)), 0);
	ck_assert_uint_eq(mib, 1536);
	ck_assert_int_lt(cli_parse_mib("1000K", "--memory", &mib, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "MiB"));
	ck_assert_int_lt(cli_parse_mib("-1", "--memory", &mib, err, sizeof(err)), 0);
	ck_assert_int_lt(cli_parse_mib("0", "--memory", &mib, err, sizeof(err)), 0);
	ck_assert_int_lt(cli_parse_mib("12x", "--memory", &mib, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "12x"));
}
END_TEST

START_TEST(test_suggestions)
{
	ck_assert_str_eq(cli_suggest_command("lsit"), "list");
	ck_assert_str_eq(cli_suggest_command("stat"), "stats");
	ck_assert_str_eq(cli_suggest_command("shutdwon"), "shutdown");
	ck_assert_str_eq(cli_suggest_command("hostcheck"), "host-check");
	ck_assert_str_eq(cli_suggest_command("disk-i"), "disk-info");
	ck_assert_str_eq(cli_suggest_command("stop"), "shutdown");
	ck_assert_str_eq(cli_suggest_command("ls"), "list");
	ck_assert_ptr_null(cli_suggest_command("frobnicate"));
	ck_assert_ptr_null(cli_suggest_command("x"));
	ck_assert_int_eq(cli_edit_distance("kitten", "sitting"), 3);
	ck_assert_int_eq(cli_edit_distance("", "abc"), 3);
	ck_assert_int_eq(cli_edit_distance("same", "same"), 0);
}
END_TEST

START_TEST(test_every_command_has_help)
{
	for (int i = 0; cli_commands[i]; i++) {
		const char *args[] = {cli_commands[i]->name, "--help", NULL};
		struct run r;

		run_cli(&r, args);
		ck_assert_msg(r.status == 0, "%s --help: status %d", cli_commands[i]->name,
			      r.status);
		ck_assert_ptr_nonnull(strstr(r.out, "Usage: virtty "));
		ck_assert_ptr_nonnull(strstr(r.out, cli_commands[i]->name));
		ck_assert_ptr_nonnull(cli_find_command(cli_commands[i]->name));
	}
}
END_TEST

START_TEST(test_usage_errors_exit_2)
{
	static const char *const cases[][10] = {
	    {"lsit", NULL},
	    {"--bogus", NULL},
	    {"list", "--bogus", NULL},
	    {"info", NULL},
	    {"info", "a", "b", NULL},
	    {"info", "a b", NULL},
	    {"start", "../x", NULL},
	    {"define", "web", NULL}, /* no kernel */
	    {"define", "web", "--kernel", "/k", "--memory", "-1", NULL},
	    {"define", "web", "--kernel", "/k", "--memory", "0", NULL},
	    {"define", "web", "--kernel", "/k", "--memory", "12x", NULL},
	    {"define", "web", "--kernel", "/k", "--cpus", "0", NULL},
	    {"define", "web", "--kernel", NULL}, /* missing value */
	    {"define", "web", "--kernel", "/k", "--disk", "new:0", NULL},
	    {"define", "web", "--kernel", "/k", "--display", "vga", NULL},
	    {"define", "web", "--kernel", "/k", "--resolution", "1024", NULL},
	    {"define", "web", "--kernel", "/k", "--resolution", "8000x600", NULL},
	    {"define", "web", "--kernel", "/k", "--vnc-port", "80", NULL},
	    {"define", "web", "--kernel", "/k", "--vnc-port", "65536", NULL},
	    {"define", "web", "--kernel", "/k", "--display", "none", "--vnc-port", "5901", NULL},
	    {"set", "web", "--display", "none", "--resolution", "800x600", NULL},
	    {"set", "web", "--resolution", "800", NULL},
	    {"set", "web", NULL}, /* nothing to set */
	    {"shutdown", "web", "--timeout", "soon", NULL},
	    {"top", "--delay", "0", NULL},
	    {"clone", "a", NULL},
	    {"disk-create", "/tmp/never-created.img", "-5", NULL},
	};
	char home[512];
	struct stat st;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_cli(&r, cases[i]);
		ck_assert_msg(r.status == 2, "case %zu (%s %s): status %d, stderr: %s", i,
			      cases[i][0], cases[i][1] ? cases[i][1] : "", r.status, r.err);
		ck_assert_msg(!strncmp(r.err, "virtty: ", 8), "case %zu: stderr '%s'", i, r.err);
		ck_assert_str_eq(r.out, "");
	}
	/* Bad usage never created a VM. */
	snprintf(home, sizeof(home), "%s/home/vms/web", tmpdir);
	ck_assert_int_ne(stat(home, &st), 0);
	ck_assert_int_ne(stat("/tmp/never-created.img", &st), 0);
}
END_TEST

START_TEST(test_unknown_command_suggests)
{
	const char *args[] = {"lsit", NULL};
	const char *args2[] = {"frobnicate", NULL};
	struct run r;

	run_cli(&r, args);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "unknown command 'lsit'; did you mean 'list'?"));
	run_cli(&r, args2);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "virtty --help"));
}
END_TEST

START_TEST(test_no_command_prints_usage)
{
	const char *none[] = {NULL};
	const char *theme_with_command[] = {"--theme", "dark", "list", NULL};
	const char *version[] = {"--version", NULL};
	struct run r;

	/* No command opens the full-screen interface, which needs a terminal:
	 * without one (as here) it is refused with a pointer to the commands. */
	run_cli(&r, none);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "needs a terminal"));
	ck_assert_ptr_nonnull(strstr(r.err, "virtty --help"));
	ck_assert_str_eq(r.out, "");
	/* TUI-only options make no sense with a command. */
	run_cli(&r, theme_with_command);
	ck_assert_int_eq(r.status, 2);
	run_cli(&r, version);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, PACKAGE_VERSION));
}
END_TEST

START_TEST(test_failed_operations_exit_1)
{
	const char *info[] = {"info", "nosuchvm", NULL};
	const char *start[] = {"start", "nosuchvm", NULL};
	struct run r;

	run_cli(&r, info);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "'nosuchvm'"));
	run_cli(&r, start);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "'nosuchvm'"));
}
END_TEST

START_TEST(test_disk_create_and_info)
{
	char path[512];
	struct run r;
	struct stat st;
	const char *create[] = {"disk-create", path, "64", NULL};
	const char *again[] = {"disk-create", path, "1G", NULL};
	const char *info[] = {"--json", "disk-info", path, NULL};
	json_object *o, *v;

	snprintf(path, sizeof(path), "%s/d.img", tmpdir);
	run_cli(&r, create);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(stat(path, &st), 0);
	/* Plain number = MiB, and sparse: (almost) nothing allocated. */
	ck_assert_int_eq(st.st_size, 64LL << 20);
	ck_assert_int_lt(st.st_blocks * 512, 1 << 20);

	/* Never overwrites: exit 1, and the file keeps its size. */
	run_cli(&r, again);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "already exists"));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 64LL << 20);

	run_cli(&r, info);
	ck_assert_int_eq(r.status, 0);
	o = json_tokener_parse(r.out);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "format", &v));
	ck_assert_str_eq(json_object_get_string(v), "raw");
	ck_assert(json_object_object_get_ex(o, "virtual_size_bytes", &v));
	ck_assert_int_eq(json_object_get_int64(v), 64LL << 20);
	ck_assert(json_object_object_get_ex(o, "allocated_bytes", &v));
	ck_assert_int_lt(json_object_get_int64(v), 1 << 20);
	json_object_put(o);
}
END_TEST

/* A VM's screen through define, set and info, and the refusals a user
 * sees for values that cannot work. */
START_TEST(test_display_define_set_info)
{
	char kernel[512];
	const char *define[] = {"define", "web", "--kernel", kernel, NULL};
	const char *define_none[] = {"define",	  "serial", "--kernel", kernel,
				     "--display", "none",   NULL};
	const char *define_sized[] = {"define",	   "big",	 "--kernel", kernel, "--resolution",
				      "1920x1080", "--vnc-port", "5905",     NULL};
	const char *info[] = {"info", "web", NULL};
	const char *info_none[] = {"info", "serial", NULL};
	const char *info_big[] = {"--json", "info", "big", NULL};
	const char *info_none_json[] = {"--json", "info", "serial", NULL};
	const char *resize_none[] = {"set", "serial", "--resolution", "800x600", NULL};
	const char *add[] = {"set", "serial", "--display", "vnc", "--resolution", "800x600", NULL};
	const char *remove[] = {"set", "web", "--display", "none", NULL};
	struct run r;
	json_object *o, *d, *v;

	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", tmpdir);
	close(open(kernel, O_WRONLY | O_CREAT, 0600));

	/* New VMs get a 1024x768 screen unless told otherwise. */
	run_cli(&r, define);
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_cli(&r, info);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "Display: 1024x768 VNC (socket ") != NULL, "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "/web/vnc.sock)"));

	run_cli(&r, define_none);
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_cli(&r, info_none);
	ck_assert_ptr_nonnull(strstr(r.out, "Display: none\n"));
	run_cli(&r, info_none_json);
	o = json_tokener_parse(r.out);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "display", &d));
	ck_assert_ptr_null(d);
	json_object_put(o);

	run_cli(&r, define_sized);
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_cli(&r, info_big);
	o = json_tokener_parse(r.out);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "display", &d));
	ck_assert(json_object_object_get_ex(d, "resolution", &v));
	ck_assert_str_eq(json_object_get_string(v), "1920x1080");
	ck_assert(json_object_object_get_ex(d, "vnc_port", &v));
	ck_assert_int_eq(json_object_get_int(v), 5905);
	json_object_put(o);

	/* A resolution for a VM without a screen: refused, nothing changed. */
	run_cli(&r, resize_none);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(
	    strstr(r.err, "VM 'serial' has no display; add one with 'virtty set serial --display "
			  "vnc'"));
	run_cli(&r, info_none);
	ck_assert_ptr_nonnull(strstr(r.out, "Display: none\n"));

	run_cli(&r, add);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "display 800x600"));
	run_cli(&r, info_none);
	ck_assert_ptr_nonnull(strstr(r.out, "Display: 800x600 VNC"));

	run_cli(&r, remove);
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_cli(&r, info);
	ck_assert_ptr_nonnull(strstr(r.out, "Display: none\n"));
}
END_TEST

static Suite *cli_args_suite(void)
{
	Suite *s = suite_create("cli_args");
	TCase *pure = tcase_create("parsing");
	TCase *prog = tcase_create("program");

	tcase_add_test(pure, test_disk_spec);
	tcase_add_test(pure, test_counts_and_memory);
	tcase_add_test(pure, test_suggestions);
	suite_add_tcase(s, pure);

	tcase_add_checked_fixture(prog, setup, teardown);
	tcase_set_timeout(prog, 60);
	tcase_add_test(prog, test_every_command_has_help);
	tcase_add_test(prog, test_usage_errors_exit_2);
	tcase_add_test(prog, test_unknown_command_suggests);
	tcase_add_test(prog, test_no_command_prints_usage);
	tcase_add_test(prog, test_failed_operations_exit_1);
	tcase_add_test(prog, test_disk_create_and_info);
	tcase_add_test(prog, test_display_define_set_info);
	suite_add_tcase(s, prog);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_args_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
