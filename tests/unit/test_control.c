/* Unit tests for the JSON control server: real socketpairs and a real
 * evloop running on its own thread, with a small command table. */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "evloop.h"

static atomic_int after_calls;

static int cmd_echo(struct control_request *req)
{
	struct json_object *v;

	req->data = json_object_new_object();
	if (json_object_object_get_ex(req->msg, "value", &v))
		json_object_object_add(req->data, "value", json_object_get(v));
	return 0;
}

static int cmd_fail(struct control_request *req)
{
	snprintf(req->error, sizeof(req->error), "failing on purpose");
	return -EINVAL;
}

static int cmd_sub(struct control_request *req)
{
	control_request_subscribe(req);
	return 0;
}

static void count_after(void *arg)
{
	atomic_fetch_add(&after_calls, 1);
}

static int cmd_later(struct control_request *req)
{
	req->after_reply = count_after;
	return 0;
}

static int cmd_announce(struct control_request *req)
{
	struct json_object *ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string("announced"));
	control_server_broadcast(req->srv, ev);
	return 0;
}

static const struct control_cmd test_cmds[] = {
    {.name = "announce", .fn = cmd_announce, .usage = "broadcast an event"},
    {.name = "echo", .fn = cmd_echo, .usage = "echo value"},
    {.name = "fail", .fn = cmd_fail, .usage = "always fails"},
    {.name = "subscribe", .fn = cmd_sub, .usage = "events"},
    {.name = "later", .fn = cmd_later, .usage = "action after reply"},
    {.name = NULL},
};

struct conn {
	int fd;
	char buf[256 * 1024];
	size_t len;
};

static struct evloop *loop;
static struct control_server *srv;
static pthread_t loop_thread;
static struct conn conns[2];

static void *loop_main(void *arg)
{
	evloop_run(arg);
	return NULL;
}

static void setup(void)
{
	char err[256] = "";

	atomic_store(&after_calls, 0);
	loop = evloop_new();
	ck_assert_ptr_nonnull(loop);
	srv = control_server_new(loop, NULL, test_cmds, NULL, err, sizeof(err));
	ck_assert_msg(srv != NULL, "%s", err);
	for (int i = 0; i < 2; i++) {
		int sv[2];
		struct timeval tv = {.tv_sec = 20}; /* hang guard only */

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		ck_assert_int_eq(control_server_add_client(srv, sv[0]), 0);
		conns[i].fd = sv[1];
		conns[i].len = 0;
		setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	ck_assert_int_eq(pthread_create(&loop_thread, NULL, loop_main, loop), 0);
}

static void teardown(void)
{
	evloop_stop(loop);
	pthread_join(loop_thread, NULL);
	control_server_free(srv);
	evloop_free(loop);
	for (int i = 0; i < 2; i++)
		close(conns[i].fd);
}

static void send_raw(struct conn *c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(c->fd, p, len);

		ck_assert_int_gt(n, 0);
		p += n;
		len -= n;
	}
}

static void send_str(struct conn *c, const char *s)
{
	send_raw(c, s, strlen(s));
}

/* Next response line, parsed. */
static struct json_object *recv_json(struct conn *c)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			struct json_object *o;

			*nl = 0;
			o = json_tokener_parse(c->buf);
			ck_assert_msg(o != NULL, "server sent invalid JSON: %s", c->buf);
			c->len -= nl + 1 - c->buf;
			memmove(c->buf, nl + 1, c->len);
			return o;
		}
		ck_assert_uint_lt(c->len, sizeof(c->buf));
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		ck_assert_msg(n > 0, "no response (%s)", n < 0 ? strerror(errno) : "EOF");
		c->len += n;
	}
}

static bool get_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s", key,
		      json_object_to_json_string(o));
	return json_object_get_boolean(v);
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s", key,
		      json_object_to_json_string(o));
	return json_object_get_string(v);
}

/* Expect an error response whose message contains `needle`. */
static void expect_error(struct conn *c, const char *needle)
{
	struct json_object *r = recv_json(c);

	ck_assert(!get_bool(r, "ok"));
	ck_assert_msg(strstr(get_str(r, "error"), needle), "error '%s' lacks '%s'",
		      get_str(r, "error"), needle);
	json_object_put(r);
}

/* The connection still answers a good request. */
static void expect_healthy(struct conn *c)
{
	struct json_object *r, *data;

	send_str(c, "{\"cmd\":\"echo\",\"id\":99,\"value\":\"still here\"}\n");
	r = recv_json(c);
	ck_assert(get_bool(r, "ok"));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r, "id")), 99);
	data = json_object_object_get(r, "data");
	ck_assert_str_eq(get_str(data, "value"), "still here");
	json_object_put(r);
}

START_TEST(test_dispatch)
{
	struct json_object *r, *data;

	send_str(&conns[0], "{\"cmd\":\"echo\",\"id\":7,\"value\":[1,2]}\n");
	r = recv_json(&conns[0]);
	ck_assert(get_bool(r, "ok"));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r, "id")), 7);
	data = json_object_object_get(r, "data");
	ck_assert_int_eq(json_object_array_length(json_object_object_get(data, "value")), 2);
	json_object_put(r);

	/* No id in the request: none in the response; data is {}. */
	send_str(&conns[0], "{\"cmd\":\"echo\"}\r\n");
	r = recv_json(&conns[0]);
	ck_assert(get_bool(r, "ok"));
	ck_assert(!json_object_object_get_ex(r, "id", NULL));
	ck_assert(json_object_is_type(json_object_object_get(r, "data"), json_type_object));
	json_object_put(r);

	/* A failing command: its message, and the string id echoed. */
	send_str(&conns[0], "{\"id\":\"x1\",\"cmd\":\"fail\"}\n");
	r = recv_json(&conns[0]);
	ck_assert(!get_bool(r, "ok"));
	ck_assert_str_eq(get_str(r, "error"), "failing on purpose");
	ck_assert_str_eq(get_str(r, "id"), "x1");
	json_object_put(r);
}
END_TEST

START_TEST(test_unknown_command)
{
	struct json_object *r;

	send_str(&conns[0], "{\"cmd\":\"nope\",\"id\":3}\n");
	r = recv_json(&conns[0]);
	ck_assert(!get_bool(r, "ok"));
	ck_assert_str_eq(get_str(r, "error"), "unknown command 'nope'");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r, "id")), 3);
	json_object_put(r);
	expect_healthy(&conns[0]);
}
END_TEST

START_TEST(test_malformed)
{
	send_str(&conns[0], "{\"cmd\":\n");
	expect_error(&conns[0], "invalid JSON");
	send_str(&conns[0], "[1,2]\n");
	expect_error(&conns[0], "must be a JSON object");
	send_str(&conns[0], "{\"id\":1}\n");
	expect_error(&conns[0], "\"cmd\"");
	send_str(&conns[0], "{\"cmd\":5}\n");
	expect_error(&conns[0], "\"cmd\"");
	send_str(&conns[0], "{\"cmd\":\"echo\"} {\"cmd\":\"echo\"}\n");
	expect_error(&conns[0], "trailing");
	send_str(&conns[0], "\n\n   \n"); /* blank lines: no response */
	expect_healthy(&conns[0]);
}
END_TEST

START_TEST(test_oversized_line)
{
	static char big[70000];

	memset(big, 'a', sizeof(big));
	big[0] = '{';
	send_raw(&conns[0], big, sizeof(big));
	send_raw(&conns[0], big, sizeof(big)); /* still the same line */
	send_str(&conns[0], "\"}\n");
	expect_error(&conns[0], "longer than 65536");
	/* Exactly one error for the whole line, then normal service. */
	expect_healthy(&conns[0]);
}
END_TEST

START_TEST(test_binary_garbage)
{
	uint8_t junk[8192];
	unsigned seed = 12345;

	for (size_t i = 0; i < sizeof(junk); i++) {
		seed = seed * 1103515245 + 12345;
		junk[i] = seed >> 16;
		if (junk[i] == '\n')
			junk[i] = 0xFF;
	}
	send_raw(&conns[0], junk, sizeof(junk));
	send_str(&conns[0], "\n");
	expect_error(&conns[0], "invalid JSON");
	/* Invalid UTF-8 inside an otherwise fine request. */
	send_str(&conns[0], "{\"cmd\":\"echo\",\"value\":\"\xC3\x28\"}\n");
	expect_error(&conns[0], "invalid JSON");
	/* A NUL byte inside a line. */
	send_raw(&conns[0], "{\"cmd\":\"echo\"\0}\n", 16);
	expect_error(&conns[0], "NUL");
	expect_healthy(&conns[0]);
}
END_TEST

START_TEST(test_several_requests_in_one_read)
{
	send_str(&conns[0], "{\"cmd\":\"echo\",\"id\":1}\n{\"cmd\":\"nope\",\"id\":2}\n"
			    "{\"cmd\":\"echo\",\"id\":3}\n");
	for (int i = 1; i <= 3; i++) {
		struct json_object *r = recv_json(&conns[0]);

		ck_assert_int_eq(json_object_get_int(json_object_object_get(r, "id")), i);
		ck_assert(get_bool(r, "ok") == (i != 2));
		json_object_put(r);
	}
}
END_TEST

START_TEST(test_request_split_across_reads)
{
	const char *req = "{\"cmd\":\"echo\",\"id\":42,\"value\":\"split\"}\n";
	struct timespec ts = {.tv_nsec = 2000000};
	struct json_object *r;

	/* Byte by byte, with pauses so the server sees many partial reads. */
	for (const char *p = req; *p; p++) {
		send_raw(&conns[0], p, 1);
		nanosleep(&ts, NULL);
	}
	r = recv_json(&conns[0]);
	ck_assert(get_bool(r, "ok"));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r, "id")), 42);
	ck_assert_str_eq(get_str(json_object_object_get(r, "data"), "value"), "split");
	json_object_put(r);
}
END_TEST

START_TEST(test_subscribe_and_broadcast)
{
	struct json_object *r, *ev;

	send_str(&conns[0], "{\"cmd\":\"subscribe\"}\n");
	r = recv_json(&conns[0]);
	ck_assert(get_bool(r, "ok"));
	json_object_put(r);

	ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("state"));
	json_object_object_add(ev, "state", json_object_new_string("paused"));
	control_server_broadcast(srv, ev); /* from this (non-loop) thread */
	r = recv_json(&conns[0]);
	ck_assert_str_eq(get_str(r, "event"), "state");
	ck_assert_str_eq(get_str(r, "state"), "paused");
	json_object_put(r);
	/* The other client did not subscribe: its next line is its reply. */
	expect_healthy(&conns[1]);
}
END_TEST

/* An event raised by a command reaches subscribers after the response. */
START_TEST(test_event_from_command)
{
	struct json_object *r;

	for (int i = 0; i < 2; i++) {
		send_str(&conns[i], "{\"cmd\":\"subscribe\"}\n");
		r = recv_json(&conns[i]);
		ck_assert(get_bool(r, "ok"));
		json_object_put(r);
	}
	send_str(&conns[0], "{\"cmd\":\"announce\",\"id\":8}\n");
	r = recv_json(&conns[0]);
	ck_assert(get_bool(r, "ok"));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r, "id")), 8);
	json_object_put(r);
	for (int i = 0; i < 2; i++) {
		r = recv_json(&conns[i]);
		ck_assert_str_eq(get_str(r, "event"), "announced");
		json_object_put(r);
	}
}
END_TEST

START_TEST(test_after_reply_and_other_clients)
{
	struct json_object *r;
	struct timespec ts = {.tv_nsec = 1000000};

	send_str(&conns[0], "{\"cmd\":\"later\",\"id\":1}\n");
	r = recv_json(&conns[0]);
	ck_assert(get_bool(r, "ok"));
	json_object_put(r);
	for (int i = 0; i < 10000 && !atomic_load(&after_calls); i++)
		nanosleep(&ts, NULL);
	ck_assert_int_eq(atomic_load(&after_calls), 1);
	/* One client hanging up mid-request does not disturb another. */
	send_str(&conns[0], "{\"cmd\":\"ec");
	close(conns[0].fd);
	conns[0].fd = -1;
	expect_healthy(&conns[1]);
}
END_TEST

/* tests/tools/vmmctl against a live server: output line and exit status.
 * Skipped when run outside `make check` (no top_builddir). */
static void run_vmmctl(const char *sock)
{
	const char *top = getenv("top_builddir");
	char cmd[512], line[512];
	FILE *p;
	int st;

	if (!top)
		return;
	snprintf(cmd, sizeof(cmd),
		 "'%s/tests/tools/vmmctl' --wait 5 '%s' "
		 "'{\"cmd\":\"echo\",\"id\":5,\"value\":\"\\\"ok\\\":true\"}'",
		 top, sock);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
	st = pclose(p);
	ck_assert_msg(strstr(line, "\"id\":5"), "vmmctl printed: %s", line);
	ck_assert_int_eq(WEXITSTATUS(st), 0);

	/* Failure: exit 1, even though the error message quotes "ok":true. */
	snprintf(cmd, sizeof(cmd),
		 "'%s/tests/tools/vmmctl' '%s' "
		 "'{\"cmd\":\"\\\"ok\\\":true\"}' >/dev/null",
		 top, sock);
	st = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(st), 1);
}

START_TEST(test_listening_socket)
{
	char dir[] = "/tmp/test_control.XXXXXX", path[128], err[256] = "";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct control_server *s2;
	struct conn *c = &conns[1];
	struct stat st;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	/* Made on the test thread while the loop runs: only creation and
	 * connect happen here; all I/O is served by the loop. */
	evloop_stop(loop);
	pthread_join(loop_thread, NULL);
	s2 = control_server_new(loop, path, test_cmds, NULL, err, sizeof(err));
	ck_assert_msg(s2 != NULL, "%s", err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(pthread_create(&loop_thread, NULL, loop_main, loop), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(c->fd);
	c->fd = fd;
	c->len = 0;
	expect_healthy(c);
	run_vmmctl(path);
	evloop_stop(loop);
	pthread_join(loop_thread, NULL);
	control_server_free(s2);
	ck_assert_int_eq(access(path, F_OK), -1);
	rmdir(dir);
	ck_assert_int_eq(pthread_create(&loop_thread, NULL, loop_main, loop), 0);
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dispatch);
	tcase_add_test(tc, test_unknown_command);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_oversized_line);
	tcase_add_test(tc, test_binary_garbage);
	tcase_add_test(tc, test_several_requests_in_one_read);
	tcase_add_test(tc, test_request_split_across_reads);
	tcase_add_test(tc, test_subscribe_and_broadcast);
	tcase_add_test(tc, test_event_from_command);
	tcase_add_test(tc, test_after_reply_and_other_clients);
	tcase_add_test(tc, test_listening_socket);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(control_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
