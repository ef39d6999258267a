/* Split virtqueue device side against a fake guest RAM: well-formed chains
 * and the ways a hostile guest can break them. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest_mem.h"
#include "virtqueue.h"

#define RAM_SIZE  (1 << 20)
#define QSIZE     8
#define DESC_GPA  0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA  0x3000
#define TABLE_GPA 0x4000 /* indirect tables */
#define BUF_GPA   0x10000

static uint8_t *ram;
static struct guest_mem mem;
static struct virtq vq;
static struct virtq_chain chain;

static void setup(void)
{
	ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	guest_mem_init_flat(&mem, ram, RAM_SIZE);
	virtq_init(&vq, &mem);
	virtq_reset(&vq, QSIZE);
	vq.desc_gpa = DESC_GPA;
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA;
	vq.indirect = true;
	ck_assert_int_eq(virtq_enable(&vq), 0);
}

static void teardown(void)
{
	free(ram);
}

static void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *d = ram + table + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static uint16_t avail_idx(void)
{
	uint16_t v;

	memcpy(&v, ram + AVAIL_GPA + 2, 2);
	return v;
}

/* Offer the chain starting at `head` to the device. */
static void offer(uint16_t head)
{
	uint16_t idx = avail_idx();

	memcpy(ram + AVAIL_GPA + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(ram + AVAIL_GPA + 2, &idx, 2);
}

static uint16_t used_idx(void)
{
	uint16_t v;

	memcpy(&v, ram + USED_GPA + 2, 2);
	return v;
}

START_TEST(test_empty_ring)
{
	ck_assert_int_eq(virtq_pop(&vq, &chain), 0);
}
END_TEST

START_TEST(test_chain_split_in_out)
{
	put_desc(DESC_GPA, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(DESC_GPA, 1, BUF_GPA + 0x100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	put_desc(DESC_GPA, 2, BUF_GPA + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	memcpy(ram + BUF_GPA, "header-bytes-16!", 16);
	offer(0);
	ck_assert_int_eq(virtq_pop(&vq, &chain), 1);
	ck_assert_uint_eq(chain.head, 0);
	ck_assert_uint_eq(chain.nr_out, 1);
	ck_assert_uint_eq(chain.nr_in, 2);
	ck_assert_uint_eq(chain.out_len, 16);
	ck_assert_uint_eq(chain.in_len, 513);
	ck_assert_ptr_eq(chain.iov[0].iov_base, ram + BUF_GPA);
	ck_assert_ptr_eq(chain.iov[2].iov_base, ram + BUF_GPA + 0x400);

	char hdr[17] = {0};
	ck_assert_uint_eq(virtq_chain_read(&chain, 0, hdr, 16), 16);
	ck_assert_str_eq(hdr, "header-bytes-16!");
	/* Writing across the two writable buffers lands in both. */
	uint8_t fill[513];
	memset(fill, 0xab, sizeof(fill));
	ck_assert_uint_eq(virtq_chain_write(&chain, 0, fill, sizeof(fill)), 513);
	ck_assert_uint_eq(ram[BUF_GPA + 0x100 + 511], 0xab);
	ck_assert_uint_eq(ram[BUF_GPA + 0x400], 0xab);

	ck_assert_int_eq(virtq_push(&vq, chain.head, 513), 0);
	ck_assert_uint_eq(used_idx(), 1);
	uint32_t id, len;
	memcpy(&id, ram + USED_GPA + 4, 4);
	memcpy(&len, ram + USED_GPA + 8, 4);
	ck_assert_uint_eq(id, 0);
	ck_assert_uint_eq(len, 513);
	ck_assert_int_eq(virtq_pop(&vq, &chain), 0);
}
END_TEST

START_TEST(test_indirect_chain)
{
	put_desc(TABLE_GPA, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(TABLE_GPA, 1, BUF_GPA + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
	put_desc(DESC_GPA, 3, TABLE_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(3);
	ck_assert_int_eq(virtq_pop(&vq, &chain), 1);
	ck_assert_uint_eq(chain.head, 3);
	ck_assert_uint_eq(chain.out_len, 16);
	ck_assert_uint_eq(chain.in_len, 1);
}
END_TEST

/* Each hostile chain must fail the pop, mark the queue broken, and keep
 * failing (no further guest memory is consumed) until reset. */
static void expect_rejected(uint16_t head)
{
	offer(head);
	ck_assert_int_lt(virtq_pop(&vq, &chain), 0);
	ck_assert(vq.broken);
	ck_assert_int_lt(virtq_pop(&vq, &chain), 0);
	ck_assert_int_lt(virtq_push(&vq, head, 0), 0);
	ck_assert_uint_eq(used_idx(), 0);
}

START_TEST(test_loop_rejected)
{
	put_desc(DESC_GPA, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(DESC_GPA, 1, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 0);
	expect_rejected(0);
}
END_TEST

START_TEST(test_out_of_range_address_rejected)
{
	put_desc(DESC_GPA, 0, RAM_SIZE - 8, 16, 0, 0); /* crosses the end of RAM */
	expect_rejected(0);
}
END_TEST

START_TEST(test_huge_address_rejected)
{
	put_desc(DESC_GPA, 0, UINT64_MAX - 4, 16, 0, 0); /* addr + len wraps */
	expect_rejected(0);
}
END_TEST

START_TEST(test_zero_length_rejected)
{
	put_desc(DESC_GPA, 0, BUF_GPA, 0, 0, 0);
	expect_rejected(0);
}
END_TEST

START_TEST(test_next_out_of_table_rejected)
{
	put_desc(DESC_GPA, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, QSIZE);
	expect_rejected(0);
}
END_TEST

START_TEST(test_head_out_of_table_rejected)
{
	expect_rejected(QSIZE + 3);
}
END_TEST

START_TEST(test_readable_after_writable_rejected)
{
	put_desc(DESC_GPA, 0, BUF_GPA, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	put_desc(DESC_GPA, 1, BUF_GPA, 16, 0, 0);
	expect_rejected(0);
}
END_TEST

START_TEST(test_avail_index_jump_rejected)
{
	uint16_t idx = QSIZE + 1;

	memcpy(ram + AVAIL_GPA + 2, &idx, 2);
	ck_assert_int_lt(virtq_pop(&vq, &chain), 0);
	ck_assert(vq.broken);
}
END_TEST

START_TEST(test_nested_indirect_rejected)
{
	put_desc(TABLE_GPA, 0, TABLE_GPA + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(DESC_GPA, 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_rejected(0);
}
END_TEST

START_TEST(test_indirect_bad_length_rejected)
{
	put_desc(DESC_GPA, 0, TABLE_GPA, 24, VIRTQ_DESC_F_INDIRECT, 0);
	expect_rejected(0);
}
END_TEST

START_TEST(test_indirect_not_negotiated_rejected)
{
	vq.indirect = false;
	put_desc(TABLE_GPA, 0, BUF_GPA, 16, 0, 0);
	put_desc(DESC_GPA, 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_rejected(0);
}
END_TEST

START_TEST(test_indirect_loop_rejected)
{
	put_desc(TABLE_GPA, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(TABLE_GPA, 1, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 0);
	put_desc(DESC_GPA, 0, TABLE_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_rejected(0);
}
END_TEST

START_TEST(test_too_many_descriptors_rejected)
{
	/* An indirect table longer than any chain we accept, fully linked. */
	uint32_t n = VIRTQ_MAX_CHAIN + 10;

	for (uint32_t i = 0; i < n; i++)
		put_desc(TABLE_GPA, (uint16_t)i, BUF_GPA, 1,
			 i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	put_desc(DESC_GPA, 0, TABLE_GPA, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
	expect_rejected(0);
}
END_TEST

START_TEST(test_ring_outside_ram_refused)
{
	virtq_reset(&vq, QSIZE);
	vq.desc_gpa = RAM_SIZE - 64; /* table of 8 needs 128 bytes */
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA;
	ck_assert_int_eq(virtq_enable(&vq), -EFAULT);
	ck_assert(!vq.ready);
	ck_assert_int_eq(virtq_pop(&vq, &chain), 0);
	vq.desc_gpa = DESC_GPA + 8; /* misaligned */
	ck_assert_int_eq(virtq_enable(&vq), -EINVAL);
	vq.desc_gpa = DESC_GPA;
	vq.size = 6; /* not a power of two */
	ck_assert_int_eq(virtq_enable(&vq), -EINVAL);
}
END_TEST

START_TEST(test_reset_recovers_broken_queue)
{
	put_desc(DESC_GPA, 0, BUF_GPA, 0, 0, 0);
	expect_rejected(0);
	memset(ram + AVAIL_GPA, 0, 0x100);
	virtq_reset(&vq, QSIZE);
	vq.desc_gpa = DESC_GPA;
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA;
	ck_assert_int_eq(virtq_enable(&vq), 0);
	put_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	offer(0);
	ck_assert_int_eq(virtq_pop(&vq, &chain), 1);
}
END_TEST

START_TEST(test_no_interrupt_flag)
{
	put_desc(DESC_GPA, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	ck_assert_int_eq(virtq_pop(&vq, &chain), 1);
	virtq_push(&vq, 0, 8);
	ck_assert(virtq_should_notify(&vq));
	uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	memcpy(ram + AVAIL_GPA, &flags, 2);
	offer(0);
	ck_assert_int_eq(virtq_pop(&vq, &chain), 1);
	virtq_push(&vq, 0, 8);
	ck_assert(!virtq_should_notify(&vq));
}
END_TEST

START_TEST(test_event_idx)
{
	uint16_t used_event, avail_event;

	vq.event_idx = true;
	put_desc(DESC_GPA, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	/* Driver wants an interrupt only after the 3rd used buffer (idx 2). */
	used_event = 2;
	memcpy(ram + AVAIL_GPA + 4 + 2 * QSIZE, &used_event, 2);
	for (int i = 0; i < 3; i++) {
		offer(0);
		ck_assert_int_eq(virtq_pop(&vq, &chain), 1);
		virtq_push(&vq, 0, 8);
		/* The first interrupt always goes; then only when passing 2. */
		ck_assert_int_eq(virtq_should_notify(&vq), i == 0 || i == 2);
	}
	/* Emptying the ring publishes where we want the next kick. */
	ck_assert_int_eq(virtq_pop(&vq, &chain), 0);
	memcpy(&avail_event, ram + USED_GPA + 4 + 8 * QSIZE, 2);
	ck_assert_uint_eq(avail_event, 3);
}
END_TEST

static Suite *virtqueue_suite(void)
{
	Suite *s = suite_create("virtqueue");
	TCase *tc = tcase_create("split");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty_ring);
	tcase_add_test(tc, test_chain_split_in_out);
	tcase_add_test(tc, test_indirect_chain);
	tcase_add_test(tc, test_loop_rejected);
	tcase_add_test(tc, test_out_of_range_address_rejected);
	tcase_add_test(tc, test_huge_address_rejected);
	tcase_add_test(tc, test_zero_length_rejected);
	tcase_add_test(tc, test_next_out_of_table_rejected);
	tcase_add_test(tc, test_head_out_of_table_rejected);
	tcase_add_test(tc, test_readable_after_writable_rejected);
	tcase_add_test(tc, test_avail_index_jump_rejected);
	tcase_add_test(tc, test_nested_indirect_rejected);
	tcase_add_test(tc, test_indirect_bad_length_rejected);
	tcase_add_test(tc, test_indirect_not_negotiated_rejected);
	tcase_add_test(tc, test_indirect_loop_rejected);
	tcase_add_test(tc, test_too_many_descriptors_rejected);
	tcase_add_test(tc, test_ring_outside_ram_refused);
	tcase_add_test(tc, test_reset_recovers_broken_queue);
	tcase_add_test(tc, test_no_interrupt_flag);
	tcase_add_test(tc, test_event_idx);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtqueue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
