/* Guest memory bounds checks, the I/O bus dispatch and the event loop. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"
#include "guest_mem.h"
#include "iobus.h"
#include "layout.h"

START_TEST(test_flat_bounds)
{
	static uint8_t buf[4096];
	struct guest_mem mem;

	guest_mem_init_flat(&mem, buf, sizeof(buf));
	ck_assert_ptr_eq(guest_mem_ptr(&mem, 0, 4096), buf);
	ck_assert_ptr_eq(guest_mem_ptr(&mem, 4095, 1), buf + 4095);
	ck_assert_ptr_null(guest_mem_ptr(&mem, 4095, 2));
	ck_assert_ptr_null(guest_mem_ptr(&mem, 4096, 1));
	ck_assert_ptr_null(guest_mem_ptr(&mem, 0, 0));
	/* Lengths and addresses chosen to overflow a naive gpa + len check. */
	ck_assert_ptr_null(guest_mem_ptr(&mem, 16, UINT64_MAX - 8));
	ck_assert_ptr_null(guest_mem_ptr(&mem, UINT64_MAX, 2));
	ck_assert_int_eq(guest_mem_write(&mem, 4090, "abcdefgh", 8), -EFAULT);
	ck_assert_int_eq(guest_mem_write(&mem, 4088, "abcdefgh", 8), 0);
	ck_assert_mem_eq(buf + 4088, "abcdefgh", 8);
}
END_TEST

START_TEST(test_alloc_with_hole)
{
	struct guest_mem mem;
	uint64_t size = LAYOUT_LOWMEM_END + (64ULL << 20);

	/* MAP_NORESERVE: nothing is touched except the bytes written below. */
	ck_assert_int_eq(guest_mem_alloc(&mem, size), 0);
	ck_assert_int_eq(mem.nr_regions, 2);
	ck_assert(guest_mem_is_ram(&mem, LAYOUT_LOWMEM_END - 1));
	ck_assert(!guest_mem_is_ram(&mem, LAYOUT_LOWMEM_END));
	ck_assert(!guest_mem_is_ram(&mem, LAYOUT_IOAPIC_ADDR));
	ck_assert(guest_mem_is_ram(&mem, LAYOUT_HIGHMEM_START));
	ck_assert(guest_mem_is_ram(&mem, LAYOUT_HIGHMEM_START + (64ULL << 20) - 1));
	ck_assert(!guest_mem_is_ram(&mem, LAYOUT_HIGHMEM_START + (64ULL << 20)));
	/* A range may not straddle the hole. */
	ck_assert_ptr_null(guest_mem_ptr(&mem, LAYOUT_LOWMEM_END - 4, 8));
	ck_assert_int_eq(guest_mem_write(&mem, LAYOUT_HIGHMEM_START, "x", 1), 0);
	ck_assert_int_eq(*(uint8_t *)guest_mem_ptr(&mem, LAYOUT_HIGHMEM_START, 1), 'x');
	guest_mem_free(&mem);
}
END_TEST

struct recorder {
	uint64_t offset;
	uint32_t len;
	bool is_write;
	uint8_t data[8];
	int calls;
};

static void record_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct recorder *r = opaque;

	r->offset = offset;
	r->len = len;
	r->is_write = is_write;
	if (is_write)
		memcpy(r->data, data, len);
	else
		memset(data, 0x5a, len);
	r->calls++;
}

START_TEST(test_iobus_dispatch)
{
	struct io_bus bus;
	struct recorder a = { 0 }, b = { 0 };
	uint8_t data[4] = { 1, 2, 3, 4 };

	io_bus_init(&bus, "pio");
	ck_assert_int_eq(io_bus_register(&bus, 0x3f8, 8, record_io, &a), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0x60, 1, record_io, &b), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0x3fc, 8, record_io, &b), -EEXIST);
	ck_assert_int_eq(io_bus_register(&bus, 0x3f0, 9, record_io, &b), -EEXIST);
	ck_assert_int_eq(io_bus_register(&bus, 0, 0, record_io, &b), -EINVAL);
	ck_assert_int_eq(io_bus_register(&bus, UINT64_MAX, 2, record_io, &b), -EINVAL);

	ck_assert(io_bus_access(&bus, 0x3fd, data, 1, true));
	ck_assert_int_eq(a.offset, 5);
	ck_assert_int_eq(a.data[0], 1);
	ck_assert(io_bus_access(&bus, 0x60, data, 1, false));
	ck_assert_int_eq(data[0], 0x5a);
	/* Unclaimed reads float high, as on a real bus. */
	ck_assert(!io_bus_access(&bus, 0x70, data, 4, false));
	ck_assert_int_eq(data[0] & data[1] & data[2] & data[3], 0xff);
	/* An access running past the end of a range is not delivered. */
	ck_assert(!io_bus_access(&bus, 0x3fe, data, 4, true));
	ck_assert_int_eq(a.calls, 1);

	ck_assert_int_eq(io_bus_unregister(&bus, 0x3f8), 0);
	ck_assert_int_eq(io_bus_unregister(&bus, 0x3f8), -ENOENT);
	ck_assert(!io_bus_access(&bus, 0x3f8, data, 1, true));
	ck_assert(io_bus_access(&bus, 0x60, data, 1, true));
	io_bus_destroy(&bus);
}
END_TEST

struct pipe_ctx {
	struct evloop *loop;
	int fds[2];
	int reads;
};

static void on_readable(void *opaque, uint32_t events)
{
	struct pipe_ctx *c = opaque;
	char buf[16];

	if (read(c->fds[0], buf, sizeof(buf)) > 0)
		c->reads++;
	/* Deleting our own fd from inside the callback must be safe. */
	evloop_del(c->loop, c->fds[0]);
	evloop_stop(c->loop);
}

START_TEST(test_evloop_callback_and_stop)
{
	struct pipe_ctx c = { 0 };

	c.loop = evloop_new();
	ck_assert_ptr_nonnull(c.loop);
	ck_assert_int_eq(pipe(c.fds), 0);
	ck_assert_int_eq(evloop_add(c.loop, c.fds[0], EPOLLIN, on_readable, &c), 0);
	ck_assert_int_eq(evloop_add(c.loop, c.fds[0], EPOLLIN, on_readable, &c), -EEXIST);
	ck_assert_int_eq(write(c.fds[1], "x", 1), 1);
	ck_assert_int_eq(evloop_run(c.loop), 0);
	ck_assert_int_eq(c.reads, 1);
	ck_assert_int_eq(evloop_del(c.loop, c.fds[0]), -ENOENT);
	close(c.fds[0]);
	close(c.fds[1]);
	evloop_free(c.loop);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_flat_bounds);
	tcase_add_test(tc, test_alloc_with_hole);
	tcase_add_test(tc, test_iobus_dispatch);
	tcase_add_test(tc, test_evloop_callback_and_stop);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
