/* Unit tests for the character backends: the replay ring, the serial socket
 * with several clients (real UNIX sockets, real evloop on its own thread)
 * and input back-pressure. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "chardev.h"
#include "evloop.h"

static char dir[64];
static char path[128];
static struct evloop *loop;
static pthread_t loop_thread;
static bool loop_running;

static void *loop_main(void *arg)
{
	evloop_run(arg);
	return NULL;
}

static void start_loop(void)
{
	ck_assert_int_eq(pthread_create(&loop_thread, NULL, loop_main, loop), 0);
	loop_running = true;
}

static void setup(void)
{
	strcpy(dir, "/tmp/test_chardev.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/serial.sock", dir);
	loop = evloop_new();
	ck_assert_ptr_nonnull(loop);
	loop_running = false;
}

static void teardown(void)
{
	if (loop_running) {
		evloop_stop(loop);
		pthread_join(loop_thread, NULL);
	}
	evloop_free(loop);
	unlink(path);
	rmdir(dir);
}

static int connect_client(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 20}; /* hang guard only */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void read_exact(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		ck_assert_msg(n > 0, "read returned %zd (%s) after %zu of %zu bytes", n,
			      n < 0 ? strerror(errno) : "EOF", got, len);
		got += n;
	}
}

static struct chardev *new_socket(size_t replay)
{
	char err[256] = "";
	struct chardev *cd = chardev_new_socket(loop, path, replay, err, sizeof(err));

	ck_assert_msg(cd != NULL, "chardev_new_socket: %s", err);
	return cd;
}

START_TEST(test_replay_ring_keeps_newest)
{
	struct chardev *cd = chardev_new_null(0);
	static uint8_t out[200 * 1024];
	static uint8_t got[128 * 1024];
	size_t n;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = i % 251;
	/* Odd chunk sizes so writes straddle the ring's end. */
	for (size_t off = 0; off < sizeof(out); off += 999)
		chardev_write(cd, out + off, sizeof(out) - off < 999 ? sizeof(out) - off : 999);
	n = chardev_replay_copy(cd, got, sizeof(got));
	ck_assert_uint_eq(n, CHARDEV_REPLAY_DEFAULT);
	ck_assert_mem_eq(got, out + sizeof(out) - n, n);
	ck_assert_uint_eq(chardev_total_bytes(cd), sizeof(out));
	/* A smaller buffer gets the newest bytes. */
	n = chardev_replay_copy(cd, got, 10);
	ck_assert_uint_eq(n, 10);
	ck_assert_mem_eq(got, out + sizeof(out) - 10, 10);
	/* One write bigger than the ring keeps its tail. */
	chardev_write(cd, out, sizeof(out));
	n = chardev_replay_copy(cd, got, sizeof(got));
	ck_assert_uint_eq(n, CHARDEV_REPLAY_DEFAULT);
	ck_assert_mem_eq(got, out + sizeof(out) - n, n);
	chardev_free(cd);
}
END_TEST

START_TEST(test_replay_before_wrap)
{
	struct chardev *cd = chardev_new_null(100);
	uint8_t got[200];

	chardev_write(cd, (const uint8_t *)"abc", 3);
	ck_assert_uint_eq(chardev_replay_copy(cd, got, sizeof(got)), 3);
	ck_assert_mem_eq(got, "abc", 3);
	chardev_free(cd);
}
END_TEST

START_TEST(test_late_client_gets_replay)
{
	struct chardev *cd = new_socket(0);
	const char *log = "[    0.000000] Linux version 6.1.0\r\n";
	char buf[128];
	int fd;

	chardev_write(cd, (const uint8_t *)log, strlen(log));
	start_loop();
	fd = connect_client();
	read_exact(fd, buf, strlen(log));
	ck_assert_mem_eq(buf, log, strlen(log));
	/* Then live output follows. */
	chardev_write(cd, (const uint8_t *)"login: ", 7);
	read_exact(fd, buf, 7);
	ck_assert_mem_eq(buf, "login: ", 7);
	close(fd);
	evloop_stop(loop);
	pthread_join(loop_thread, NULL);
	loop_running = false;
	chardev_free(cd);
	ck_assert_int_eq(access(path, F_OK), -1); /* socket file removed */
}
END_TEST

START_TEST(test_two_clients_both_receive)
{
	struct chardev *cd = new_socket(0);
	char a[16], b[16];
	int fa, fb;

	start_loop();
	chardev_write(cd, (const uint8_t *)"one,", 4);
	fa = connect_client();
	fb = connect_client();
	chardev_write(cd, (const uint8_t *)"two", 3);
	read_exact(fa, a, 7);
	read_exact(fb, b, 7);
	ck_assert_mem_eq(a, "one,two", 7);
	ck_assert_mem_eq(b, "one,two", 7);
	close(fa);
	/* The other client keeps working after one leaves. */
	chardev_write(cd, (const uint8_t *)"3", 1);
	read_exact(fb, b, 1);
	ck_assert_int_eq(b[0], '3');
	close(fb);
	evloop_stop(loop);
	pthread_join(loop_thread, NULL);
	loop_running = false;
	chardev_free(cd);
}
END_TEST

/* A consumer that takes at most `budget` bytes until given more. */
struct slow_sink {
	pthread_mutex_t lock;
	size_t budget;
	char got[4096];
	size_t len;
	int refusals;
};

static size_t slow_sink_fn(void *opaque, const uint8_t *buf, size_t len)
{
	struct slow_sink *s = opaque;
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = len < s->budget ? len : s->budget;
	if (n > sizeof(s->got) - s->len)
		n = sizeof(s->got) - s->len;
	memcpy(s->got + s->len, buf, n);
	s->len += n;
	s->budget -= n;
	if (n < len)
		s->refusals++;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

	nanosleep(&ts, NULL);
}

START_TEST(test_input_backpressure)
{
	struct chardev *cd = new_socket(0);
	struct slow_sink sink = {.lock = PTHREAD_MUTEX_INITIALIZER, .budget = 7};
	char sent[1000];
	size_t len = 0;
	int fd;

	for (size_t i = 0; i < sizeof(sent); i++)
		sent[i] = 'a' + i % 26;
	chardev_set_input(cd, slow_sink_fn, &sink);
	start_loop();
	fd = connect_client();
	ck_assert_int_eq(write(fd, sent, sizeof(sent)), (ssize_t)sizeof(sent));
	/* Play the guest: drain a little, say there is room, repeat. */
	for (int i = 0; i < 20000 && len < sizeof(sent); i++) {
		pthread_mutex_lock(&sink.lock);
		len = sink.len;
		if (!sink.budget)
			sink.budget = 7;
		pthread_mutex_unlock(&sink.lock);
		chardev_input_ready(cd);
		sleep_ms(1);
	}
	evloop_stop(loop);
	pthread_join(loop_thread, NULL);
	loop_running = false;
	ck_assert_uint_eq(sink.len, sizeof(sent));	/* nothing lost */
	ck_assert_mem_eq(sink.got, sent, sizeof(sent)); /* in order */
	ck_assert_int_gt(sink.refusals, 0);		/* and it was really held back */
	close(fd);
	chardev_free(cd);
}
END_TEST

/* A script types a line and closes at once, before the VMM even sent it
 * the replay: the line still reaches the guest. */
START_TEST(test_input_of_a_client_that_left)
{
	struct chardev *cd = new_socket(0);
	struct slow_sink sink = {.lock = PTHREAD_MUTEX_INITIALIZER, .budget = 100};
	const char *boot = "[    0.000000] Linux version 6.1.0\r\nlogin: ";
	size_t len = 0;
	int fd;

	chardev_write(cd, (const uint8_t *)boot, strlen(boot)); /* a replay to send */
	chardev_set_input(cd, slow_sink_fn, &sink);
	fd = connect_client(); /* queued on the listening socket: the loop is not running */
	ck_assert_int_eq(write(fd, "root\n", 5), 5);
	close(fd);
	start_loop();
	for (int i = 0; i < 20000 && len < 5; i++) { /* hang guard, not a timing check */
		pthread_mutex_lock(&sink.lock);
		len = sink.len;
		pthread_mutex_unlock(&sink.lock);
		sleep_ms(1);
	}
	evloop_stop(loop);
	pthread_join(loop_thread, NULL);
	loop_running = false;
	ck_assert_uint_eq(sink.len, 5);
	ck_assert_mem_eq(sink.got, "root\n", 5);
	chardev_free(cd);
}
END_TEST

struct reader {
	int fd;
	bool saw_end;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char buf[65536], tail[16] = "";

	for (;;) {
		ssize_t n = read(r->fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		/* Keep the last bytes seen to spot the end marker. */
		if (n >= 8) {
			memcpy(tail, buf + n - 8, 8);
		} else {
			memmove(tail, tail + n, 8 - n);
			memcpy(tail + 8 - n, buf, n);
		}
		if (!memcmp(tail, "<<END>>\n", 8)) {
			r->saw_end = true;
			break;
		}
	}
	return NULL;
}

START_TEST(test_stuck_client_does_not_block)
{
	struct chardev *cd = new_socket(0);
	struct reader r = {0};
	pthread_t th;
	char chunk[4096];
	int stuck;

	memset(chunk, 'x', sizeof(chunk));
	start_loop();
	stuck = connect_client();
	r.fd = connect_client();
	/* Both are attached once they got this; after it the stuck one never
	 * reads again. */
	chardev_write(cd, (const uint8_t *)"sync", 4);
	read_exact(stuck, chunk, 4);
	read_exact(r.fd, chunk, 4);
	memset(chunk, 'x', sizeof(chunk));
	pthread_create(&th, NULL, reader_main, &r);
	/* Far more than socket buffers and the ring hold. */
	for (int i = 0; i < 2048; i++)
		chardev_write(cd, (const uint8_t *)chunk, sizeof(chunk));
	chardev_write(cd, (const uint8_t *)"<<END>>\n", 8);
	pthread_join(th, NULL);
	ck_assert(r.saw_end);
	/* Let the loop notice the stuck client is behind. */
	chardev_write(cd, (const uint8_t *)"!", 1);
	for (int i = 0; i < 5000 && !chardev_dropped_bytes(cd); i++)
		sleep_ms(1);
	ck_assert_uint_gt(chardev_dropped_bytes(cd), 0);
	close(stuck);
	close(r.fd);
	evloop_stop(loop);
	pthread_join(loop_thread, NULL);
	loop_running = false;
	chardev_free(cd);
}
END_TEST

START_TEST(test_socket_path_checks)
{
	char longpath[200], err[256] = "";
	struct chardev *cd, *second;
	struct stat st;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = 0;
	ck_assert_ptr_null(chardev_new_socket(loop, longpath, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "too long"), "message: %s", err);

	cd = new_socket(0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* A live socket is not stolen by a second VMM. */
	err[0] = 0;
	second = chardev_new_socket(loop, path, 0, err, sizeof(err));
	ck_assert_ptr_null(second);
	ck_assert_msg(strstr(err, "in use"), "message: %s", err);
	chardev_free(cd);

	/* A stale socket file (nobody listening) is replaced. */
	{
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		strcpy(sa.sun_path, path);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	cd = new_socket(0);
	chardev_free(cd);

	/* A regular file in the way is refused, not deleted. */
	fclose(fopen(path, "w"));
	ck_assert_ptr_null(chardev_new_socket(loop, path, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not a socket"), "message: %s", err);
	ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

/* Collects input handed to the guest side. */
struct sink {
	pthread_mutex_t lock;
	char got[256];
	size_t len;
};

static size_t sink_fn(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;

	pthread_mutex_lock(&s->lock);
	if (len > sizeof(s->got) - s->len)
		len = sizeof(s->got) - s->len;
	memcpy(s->got + s->len, buf, len);
	s->len += len;
	pthread_mutex_unlock(&s->lock);
	return len;
}

/* stdio on pipes (not a tty): plain pass-through both ways. */
START_TEST(test_stdio_pipes)
{
	struct sink sink = {.lock = PTHREAD_MUTEX_INITIALIZER};
	int in[2], out[2], saved0 = dup(0), saved1 = dup(1);
	struct chardev *cd;
	char err[256] = "", buf[16];
	size_t len = 0;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	dup2(in[0], 0);
	dup2(out[1], 1);
	close(in[0]);
	close(out[1]);
	cd = chardev_new_stdio(loop, err, sizeof(err));
	ck_assert_msg(cd != NULL, "%s", err);
	chardev_set_input(cd, sink_fn, &sink);
	start_loop();
	chardev_write(cd, (const uint8_t *)"guest says hi", 13);
	read_exact(out[0], buf, 13);
	ck_assert_mem_eq(buf, "guest says hi", 13);
	ck_assert_int_eq(write(in[1], "typed", 5), 5);
	for (int i = 0; i < 10000 && len < 5; i++) {
		pthread_mutex_lock(&sink.lock);
		len = sink.len;
		pthread_mutex_unlock(&sink.lock);
		sleep_ms(1);
	}
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(sink.got, "typed", 5);
	/* End of input (pipe closed) leaves output working. */
	close(in[1]);
	sleep_ms(20);
	chardev_write(cd, (const uint8_t *)"still", 5);
	read_exact(out[0], buf, 5);
	ck_assert_mem_eq(buf, "still", 5);
	evloop_stop(loop);
	pthread_join(loop_thread, NULL);
	loop_running = false;
	chardev_free(cd);
	ck_assert_int_eq(fcntl(1, F_GETFL) & O_NONBLOCK, 0); /* flags restored */
	dup2(saved0, 0);
	dup2(saved1, 1);
	close(saved0);
	close(saved1);
	close(out[0]);
}
END_TEST

static Suite *chardev_suite(void)
{
	Suite *s = suite_create("chardev");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_replay_ring_keeps_newest);
	tcase_add_test(tc, test_replay_before_wrap);
	tcase_add_test(tc, test_late_client_gets_replay);
	tcase_add_test(tc, test_two_clients_both_receive);
	tcase_add_test(tc, test_input_backpressure);
	tcase_add_test(tc, test_input_of_a_client_that_left);
	tcase_add_test(tc, test_stuck_client_does_not_block);
	tcase_add_test(tc, test_socket_path_checks);
	tcase_add_test(tc, test_stdio_pipes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(chardev_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
