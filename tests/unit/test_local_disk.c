/* Disk images (backend/local/disk.c): new images are sparse, copies keep
 * holes as holes and the data exact, progress is reported, a cancelled
 * copy leaves nothing behind, and a qcow2 image is recognised. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local/disk.h"

#define MiB (1024ull * 1024)

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/virtty-disk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void path_of(char *buf, const char *name)
{
	snprintf(buf, 512, "%s/%s", dir, name);
}

static uint64_t allocated(const char *path)
{
	struct stat sb;

	ck_assert_int_eq(stat(path, &sb), 0);
	return (uint64_t)sb.st_blocks * 512;
}

static void write_at(const char *path, uint64_t off, char fill, size_t len)
{
	char *buf = malloc(len);
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	memset(buf, fill, len);
	ck_assert_int_eq(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
	free(buf);
}

struct progress_log {
	int calls;
	uint64_t last_done, last_total;
	bool went_back;
	int cancel_after; /* cancel on this call (0: never) */
};

static int record_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct progress_log *log = opaque;

	if (done < log->last_done || done > total)
		log->went_back = true;
	log->calls++;
	log->last_done = done;
	log->last_total = total;
	return log->cancel_after && log->calls >= log->cancel_after;
}

START_TEST(create_is_sparse_and_exact)
{
	char path[512], err[256];
	struct progress_log log = { 0 };
	struct progress p = { record_progress, &log };
	struct disk_info info;

	path_of(path, "a.img");
	ck_assert_int_eq(disk_create_raw(path, 1024 * MiB, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(disk_get_info(path, &info, err, sizeof(err)), 0);
	ck_assert_str_eq(info.format, "raw");
	ck_assert_uint_eq(info.virtual_size, 1024 * MiB);
	/* 1 GiB that costs (almost) nothing. */
	ck_assert_uint_lt(info.allocated_bytes, MiB);
	ck_assert_int_eq(log.calls, 1);
	ck_assert_uint_eq(log.last_done, 1024 * MiB);
}
END_TEST

START_TEST(create_refuses_bad_sizes_and_existing_files)
{
	char path[512], err[256];

	path_of(path, "b.img");
	ck_assert_int_eq(disk_create_raw(path, 0, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "multiple of 512"));
	ck_assert_int_eq(disk_create_raw(path, 1000, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(access(path, F_OK), -1);

	ck_assert_int_eq(disk_create_raw(path, MiB, NULL, err, sizeof(err)), 0);
	write_at(path, 0, 'x', 4096);
	ck_assert_int_eq(disk_create_raw(path, 2 * MiB, NULL, err, sizeof(err)), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, path));
	/* The existing image is untouched. */
	ck_assert_uint_eq(allocated(path) >= 4096, 1);
	{
		struct stat sb;

		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_int_eq(sb.st_size, (off_t)MiB);
	}
}
END_TEST

START_TEST(copy_keeps_data_and_holes)
{
	char src[512], dst[512], err[256];
	struct progress_log log = { 0 };
	struct progress p = { record_progress, &log };
	uint64_t done = 0;
	char *a, *b;
	int fa, fb;

	path_of(src, "src.img");
	path_of(dst, "dst.img");
	ck_assert_int_eq(disk_create_raw(src, 256 * MiB, NULL, err, sizeof(err)), 0);
	write_at(src, 0, 'A', 64 * 1024);
	write_at(src, 100 * MiB, 'B', 3 * MiB);
	write_at(src, 256 * MiB - 4096, 'C', 4096);

	ck_assert_int_eq(disk_copy(src, dst, &p, &done, 0, err, sizeof(err)), 0);
	ck_assert_uint_eq(done, 256 * MiB);
	ck_assert(!log.went_back);
	ck_assert_int_ge(log.calls, 2);
	ck_assert_uint_eq(log.last_done, 256 * MiB);
	ck_assert_uint_eq(log.last_total, 256 * MiB);
	/* Sparse stays sparse: about the 3.1 MiB of data, not 256 MiB. */
	ck_assert_uint_lt(allocated(dst), 16 * MiB);

	a = malloc(256 * MiB);
	b = malloc(256 * MiB);
	fa = open(src, O_RDONLY);
	fb = open(dst, O_RDONLY);
	ck_assert_int_eq(pread(fa, a, 256 * MiB, 0), (ssize_t)(256 * MiB));
	ck_assert_int_eq(pread(fb, b, 256 * MiB, 0), (ssize_t)(256 * MiB));
	ck_assert_int_eq(memcmp(a, b, 256 * MiB), 0);
	ck_assert_int_eq(b[100 * MiB + 5], 'B');
	close(fa);
	close(fb);
	free(a);
	free(b);
}
END_TEST

START_TEST(copies_share_one_progress_total)
{
	char s1[512], s2[512], d1[512], d2[512], err[256];
	struct progress_log log = { 0 };
	struct progress p = { record_progress, &log };
	uint64_t done = 0;

	path_of(s1, "s1.img");
	path_of(s2, "s2.img");
	path_of(d1, "d1.img");
	path_of(d2, "d2.img");
	ck_assert_int_eq(disk_create_raw(s1, 8 * MiB, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(disk_create_raw(s2, 24 * MiB, NULL, err, sizeof(err)), 0);
	write_at(s2, MiB, 'z', MiB);
	ck_assert_int_eq(disk_copy(s1, d1, &p, &done, 32 * MiB, err, sizeof(err)), 0);
	ck_assert_uint_eq(done, 8 * MiB);
	ck_assert_int_eq(disk_copy(s2, d2, &p, &done, 32 * MiB, err, sizeof(err)), 0);
	ck_assert_uint_eq(done, 32 * MiB);
	ck_assert(!log.went_back);
	ck_assert_uint_eq(log.last_done, 32 * MiB);
	ck_assert_uint_eq(log.last_total, 32 * MiB);
}
END_TEST

START_TEST(cancelled_copy_leaves_nothing)
{
	char src[512], dst[512], err[256];
	struct progress_log log = { .cancel_after = 2 };
	struct progress p = { record_progress, &log };

	path_of(src, "big.img");
	path_of(dst, "copy.img");
	ck_assert_int_eq(disk_create_raw(src, 64 * MiB, NULL, err, sizeof(err)), 0);
	/* Enough data for several progress steps. */
	write_at(src, 0, 'q', 32 * MiB);
	ck_assert_int_eq(disk_copy(src, dst, &p, NULL, 0, err, sizeof(err)), -ECANCELED);
	ck_assert_ptr_nonnull(strstr(err, "cancelled"));
	ck_assert_int_eq(access(dst, F_OK), -1);
	/* The source is untouched. */
	ck_assert_uint_ge(allocated(src), 32 * MiB);
}
END_TEST

START_TEST(copy_errors_name_the_disk)
{
	char src[512], dst[512], err[256];

	path_of(src, "missing.img");
	path_of(dst, "out.img");
	ck_assert_int_eq(disk_copy(src, dst, NULL, NULL, 0, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "missing.img"));
	ck_assert_int_eq(access(dst, F_OK), -1);

	/* Never overwrite an existing destination. */
	path_of(src, "src.img");
	ck_assert_int_eq(disk_create_raw(src, MiB, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(disk_create_raw(dst, MiB, NULL, err, sizeof(err)), 0);
	write_at(dst, 0, 'k', 512);
	ck_assert_int_eq(disk_copy(src, dst, NULL, NULL, 0, err, sizeof(err)), -EEXIST);
	ck_assert_uint_ge(allocated(dst), 512);
}
END_TEST

START_TEST(info_reads_qcow2_header)
{
	unsigned char hdr[512] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
	char path[512], err[256];
	struct disk_info info;
	int fd;

	/* Virtual size at offset 24, big-endian: 10 GiB. */
	hdr[24 + 3] = 0x02;
	hdr[24 + 4] = 0x80;
	path_of(path, "q.qcow2");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	close(fd);
	ck_assert_int_eq(disk_get_info(path, &info, err, sizeof(err)), 0);
	ck_assert_str_eq(info.format, "qcow2");
	ck_assert_uint_eq(info.virtual_size, 10ULL << 30);
	ck_assert_int_lt(disk_get_info("/nonexistent/x.img", &info, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "disk '/nonexistent/x.img'"));
}
END_TEST

static Suite *disk_suite(void)
{
	Suite *s = suite_create("local_disk");
	TCase *tc = tcase_create("raw");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, create_is_sparse_and_exact);
	tcase_add_test(tc, create_refuses_bad_sizes_and_existing_files);
	tcase_add_test(tc, copy_keeps_data_and_holes);
	tcase_add_test(tc, copies_share_one_progress_total);
	tcase_add_test(tc, cancelled_copy_leaves_nothing);
	tcase_add_test(tc, copy_errors_name_the_disk);
	tcase_add_test(tc, info_reads_qcow2_header);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(disk_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
