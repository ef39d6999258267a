/* Unit tests for the local store: directories, vm.conf (round trip,
 * malformed files, validation), atomic writes, VM create/list/remove and
 * per-VM locks. Every test runs against a fresh temporary VIRTTY_HOME and
 * VIRTTY_RUNTIME_DIR. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"

static char tmp[64];
static char home[128], runtime[128], kernel[128], initrd[128];
static struct store st;
static char err[1024];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* The whole file, malloc'd ("" if it does not exist). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	ck_assert_ptr_nonnull(buf);
	if (!f)
		return buf;
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void rm_rf(const char *path)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", path, path);
	ck_assert_int_eq(system(cmd), 0);
}

/* Files in dir whose name contains needle. */
static int count_entries(const char *dir, const char *needle)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strstr(de->d_name, needle))
			n++;
	closedir(d);
	return n;
}

static void setup(void)
{
	strcpy(tmp, "/tmp/test_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(home, sizeof(home), "%s/home", tmp);
	snprintf(runtime, sizeof(runtime), "%s/run", tmp);
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", tmp);
	snprintf(initrd, sizeof(initrd), "%s/initrd.img", tmp);
	write_file(kernel, "not really a kernel");
	write_file(initrd, "not really an initrd");
	setenv("VIRTTY_HOME", home, 1);
	setenv("VIRTTY_RUNTIME_DIR", runtime, 1);
	ck_assert_msg(store_open(&st, err, sizeof(err)) == 0, "%s", err);
}

static void teardown(void)
{
	rm_rf(tmp);
}

static void sample_config(struct vm_config *cfg, const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	snprintf(cfg->kernel, sizeof(cfg->kernel), "%s", kernel);
	snprintf(cfg->initrd, sizeof(cfg->initrd), "%s", initrd);
	snprintf(cfg->cmdline, sizeof(cfg->cmdline), "console=ttyS0 quiet panic=-1");
	cfg->vcpus = 2;
	cfg->memory_mib = 512;
}

/* Adds a disk file of the given content at path to cfg. */
static void add_disk(struct vm_config *cfg, const char *path, bool readonly)
{
	struct vm_disk *d = &cfg->disks[cfg->nr_disks++];

	write_file(path, "disk data");
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->readonly = readonly;
	strcpy(d->format, "raw");
}

static void assert_same_config(const struct vm_config *a, const struct vm_config *b)
{
	ck_assert_str_eq(a->name, b->name);
	ck_assert_str_eq(a->kernel, b->kernel);
	ck_assert_str_eq(a->initrd, b->initrd);
	ck_assert_str_eq(a->cmdline, b->cmdline);
	ck_assert_int_eq(a->vcpus, b->vcpus);
	ck_assert_uint_eq(a->memory_mib, b->memory_mib);
	ck_assert_int_eq(a->nr_disks, b->nr_disks);
	for (int i = 0; i < a->nr_disks; i++) {
		ck_assert_str_eq(a->disks[i].path, b->disks[i].path);
		ck_assert_int_eq(a->disks[i].readonly, b->disks[i].readonly);
		ck_assert_str_eq(a->disks[i].format, b->disks[i].format);
	}
	ck_assert_int_eq(a->display.enabled, b->display.enabled);
	ck_assert_int_eq(a->display.width, b->display.width);
	ck_assert_int_eq(a->display.height, b->display.height);
	ck_assert_int_eq(a->display.vnc_port, b->display.vnc_port);
}

/* ---- directories ---- */

START_TEST(test_open_dirs)
{
	struct stat sb;
	char dir[VM_PATH_MAX];

	ck_assert_str_eq(st.root, home);
	ck_assert_str_eq(st.runtime, runtime);
	snprintf(dir, sizeof(dir), "%s/vms", home);
	ck_assert_int_eq(stat(dir, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0700);
	ck_assert_int_eq(stat(runtime, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0700);
}
END_TEST

START_TEST(test_open_xdg)
{
	char xdg_data[128], xdg_run[128], want[160];

	snprintf(xdg_data, sizeof(xdg_data), "%s/xdg-data", tmp);
	snprintf(xdg_run, sizeof(xdg_run), "%s/xdg-run", tmp);
	unsetenv("VIRTTY_HOME");
	unsetenv("VIRTTY_RUNTIME_DIR");
	setenv("XDG_DATA_HOME", xdg_data, 1);
	setenv("XDG_RUNTIME_DIR", xdg_run, 1);
	ck_assert_msg(store_open(&st, err, sizeof(err)) == 0, "%s", err);
	snprintf(want, sizeof(want), "%s/virtty", xdg_data);
	ck_assert_str_eq(st.root, want);
	snprintf(want, sizeof(want), "%s/virtty", xdg_run);
	ck_assert_str_eq(st.runtime, want);
	ck_assert_int_eq(access(want, F_OK), 0);
}
END_TEST

START_TEST(test_runtime_of_other_user_refused)
{
	char other[128];

	if (geteuid() != 0)
		return; /* only root can make a directory owned by someone else */
	snprintf(other, sizeof(other), "%s/other-run", tmp);
	ck_assert_int_eq(mkdir(other, 0777), 0);
	ck_assert_int_eq(chown(other, 65534, 65534), 0);
	setenv("VIRTTY_RUNTIME_DIR", other, 1);
	ck_assert_int_eq(store_open(&st, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "belongs to another user"));
}
END_TEST

START_TEST(test_paths)
{
	char buf[VM_PATH_MAX], want[VM_PATH_MAX];

	ck_assert_int_eq(store_vm_dir(&st, "web", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/vms/web", home);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(store_vm_config_path(&st, "web", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/vms/web/vm.conf", home);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(store_vm_disk_dir(&st, "web", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/vms/web/disks", home);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(store_vm_runtime_dir(&st, "web", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/web", runtime);
	ck_assert_str_eq(buf, want);
	/* A name can never lead out of the store. */
	ck_assert_int_eq(store_vm_dir(&st, "../etc", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(store_vm_runtime_dir(&st, "a/b", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(store_vm_dir(&st, "web", buf, 8), -ENAMETOOLONG);
}
END_TEST

/* ---- create, list, remove ---- */

START_TEST(test_create_list)
{
	char **names;
	int count;
	char junk[256];

	ck_assert_int_eq(store_list_vms(&st, &names, &count, err, sizeof(err)), 0);
	ck_assert_int_eq(count, 0);
	store_free_names(names, count);

	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	ck_assert_int_eq(store_create_vm_dir(&st, "db", err, sizeof(err)), 0);
	ck_assert_int_eq(store_create_vm_dir(&st, "cache-1", err, sizeof(err)), 0);
	ck_assert(store_vm_exists(&st, "web"));
	ck_assert(!store_vm_exists(&st, "mail"));
	/* Things that are not VMs are not listed. */
	snprintf(junk, sizeof(junk), "%s/vms/.trash", home);
	ck_assert_int_eq(mkdir(junk, 0700), 0);
	snprintf(junk, sizeof(junk), "%s/vms/notes.txt", home);
	write_file(junk, "hello");

	ck_assert_int_eq(store_list_vms(&st, &names, &count, err, sizeof(err)), 0);
	ck_assert_int_eq(count, 3);
	ck_assert_str_eq(names[0], "cache-1");
	ck_assert_str_eq(names[1], "db");
	ck_assert_str_eq(names[2], "web");
	store_free_names(names, count);
}
END_TEST

START_TEST(test_create_duplicate)
{
	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "VM 'web' already exists"));
}
END_TEST

START_TEST(test_create_invalid_name_touches_nothing)
{
	static const char *const names[] = {"a b", "../up", "-x", "", ".hidden", "x/y"};
	char vms[256];

	snprintf(vms, sizeof(vms), "%s/vms", home);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_int_eq(store_create_vm_dir(&st, names[i], err, sizeof(err)), -EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "invalid name"));
	}
	ck_assert_int_eq(count_entries(vms, ""), 0);
	ck_assert_int_eq(count_entries(tmp, "up"), 0);
}
END_TEST

START_TEST(test_remove_keeps_disks)
{
	char disk[256], outside[256], kept_dir[256], kept[512], *data;
	struct vm_config cfg;
	const char *where;

	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	sample_config(&cfg, "web");
	snprintf(disk, sizeof(disk), "%s/vms/web/disks/root.img", home);
	snprintf(outside, sizeof(outside), "%s/outside.img", tmp);
	add_disk(&cfg, disk, false);
	add_disk(&cfg, outside, true);
	ck_assert_msg(store_write_config(&st, &cfg, err, sizeof(err)) == 0, "%s", err);

	ck_assert_msg(store_remove_vm(&st, "web", false, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!store_vm_exists(&st, "web"));
	/* err says where the disks went, and they are there, intact. */
	snprintf(kept_dir, sizeof(kept_dir), "%s/disks/web-", home);
	where = strstr(err, kept_dir);
	ck_assert_msg(where != NULL, "no kept path in '%s'", err);
	snprintf(kept, sizeof(kept), "%.*s/root.img", (int)strcspn(where, "'"), where);
	data = slurp(kept);
	ck_assert_str_eq(data, "disk data");
	free(data);
	/* The disk outside the store is untouched. */
	data = slurp(outside);
	ck_assert_str_eq(data, "disk data");
	free(data);
}
END_TEST

START_TEST(test_remove_with_disks)
{
	char disk[256], outside[256], disks[256];
	struct vm_config cfg;

	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	sample_config(&cfg, "web");
	snprintf(disk, sizeof(disk), "%s/vms/web/disks/root.img", home);
	snprintf(outside, sizeof(outside), "%s/outside.img", tmp);
	add_disk(&cfg, disk, false);
	add_disk(&cfg, outside, false);
	ck_assert_msg(store_write_config(&st, &cfg, err, sizeof(err)) == 0, "%s", err);

	ck_assert_msg(store_remove_vm(&st, "web", true, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!store_vm_exists(&st, "web"));
	ck_assert_int_eq(access(disk, F_OK), -1);
	snprintf(disks, sizeof(disks), "%s/disks", home);
	ck_assert_int_eq(count_entries(disks, "web"), 0);
	ck_assert_int_eq(access(outside, F_OK), 0);
}
END_TEST

START_TEST(test_remove_without_disks_leaves_no_trace)
{
	char disks[256];

	ck_assert_int_eq(store_create_vm_dir(&st, "empty", err, sizeof(err)), 0);
	ck_assert_int_eq(store_remove_vm(&st, "empty", false, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	snprintf(disks, sizeof(disks), "%s/disks", home);
	ck_assert_int_eq(count_entries(disks, "empty"), 0);
}
END_TEST

START_TEST(test_remove_missing)
{
	ck_assert_int_eq(store_remove_vm(&st, "ghost", false, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "VM 'ghost' does not exist"));
	ck_assert_int_eq(store_remove_vm(&st, "../vms", true, err, sizeof(err)), -EINVAL);
}
END_TEST

/* ---- vm.conf ---- */

START_TEST(test_round_trip_ini)
{
	struct vm_config cfg, back;
	char dir[256], *text, *again;

	sample_config(&cfg, "web");
	snprintf(dir, sizeof(dir), "%s/vms/web", home);
	add_disk(&cfg, initrd, true); /* any existing file will do */
	snprintf(cfg.disks[1].path, sizeof(cfg.disks[1].path), "%s/vms/web/disks/a.img", home);
	cfg.nr_disks = 2;
	strcpy(cfg.disks[1].format, "raw");
	text = store_config_to_ini(&cfg);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(store_config_from_ini(text, dir, &back, err, sizeof(err)) == 0, "%s: %s", err,
		      text);
	assert_same_config(&cfg, &back);
	/* Deterministic: the same config always gives the same bytes. */
	again = store_config_to_ini(&back);
	ck_assert_str_eq(text, again);
	ck_assert(text[0] == '#');
	free(text);
	free(again);
}
END_TEST

START_TEST(test_round_trip_long_values)
{
	struct vm_config cfg, back;
	char *text;
	size_t n;

	/* Lines far longer than inih's default buffer, and characters inih
	 * would otherwise treat as comments or continuations. */
	sample_config(&cfg, "web");
	n = 0;
	while (n + 12 < VM_CMDLINE_MAX - 1) {
		memcpy(cfg.cmdline + n, "opt=a;b#c:d ", 12);
		n += 12;
	}
	cfg.cmdline[n - 1] = '\0';
	text = store_config_to_ini(&cfg);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(store_config_from_ini(text, NULL, &back, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(strlen(back.cmdline), strlen(cfg.cmdline));
	assert_same_config(&cfg, &back);
	free(text);
}
END_TEST

START_TEST(test_write_read_file)
{
	struct vm_config cfg, back;
	char path[256], disk[256], conf_dir[256];
	struct stat sb;

	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	sample_config(&cfg, "web");
	snprintf(disk, sizeof(disk), "%s/vms/web/disks/root.img", home);
	add_disk(&cfg, disk, false);
	ck_assert_msg(store_write_config(&st, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(store_read_config(&st, "web", &back, err, sizeof(err)) == 0, "%s", err);
	assert_same_config(&cfg, &back);
	snprintf(path, sizeof(path), "%s/vms/web/vm.conf", home);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	snprintf(conf_dir, sizeof(conf_dir), "%s/vms/web", home);
	ck_assert_int_eq(count_entries(conf_dir, ".tmp"), 0);
}
END_TEST

START_TEST(test_write_config_needs_vm)
{
	struct vm_config cfg;

	sample_config(&cfg, "nowhere");
	ck_assert_int_eq(store_write_config(&st, &cfg, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "VM 'nowhere' does not exist"));
}
END_TEST

START_TEST(test_relative_disk_path)
{
	struct vm_config cfg;
	char path[256], want[256], text[1024];

	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/vms/web/vm.conf", home);
	snprintf(text, sizeof(text),
		 "[vm]\nname = web\nkernel = %s\nvcpus = 1\nmemory = 64\n"
		 "[disk 0]\npath = disks/root.img\nreadonly = yes\n",
		 kernel);
	write_file(path, text);
	ck_assert_msg(store_read_config(&st, "web", &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cfg.nr_disks, 1);
	snprintf(want, sizeof(want), "%s/vms/web/disks/root.img", home);
	ck_assert_str_eq(cfg.disks[0].path, want);
	ck_assert(cfg.disks[0].readonly);
	ck_assert_str_eq(cfg.disks[0].format, "raw");
	ck_assert_str_eq(cfg.initrd, "");
	ck_assert_str_eq(cfg.cmdline, "");
}
END_TEST

/* Each malformed vm.conf: the message names the file, the line (0 when
 * the problem is something missing) and the problem. */
static const struct {
	const char *text;
	int line;
	const char *message;
} malformed[] = {
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\ncolour = blue\n", 6,
     "unknown key 'colour' in [vm]"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[network]\nmode = nat\n", 6,
     "unknown section [network]"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[extra]\n", 6,
     "unknown section [extra]"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nvcpus = 2\nmemory = 64\n", 5,
     "duplicate key 'vcpus' in [vm] (first on line 4)"},
    {"[vm]\nname = web\nvcpus = 1\nmemory = 64\n", 0, "missing 'kernel' in [vm]"},
    {"[vm]\nkernel = /k\nvcpus = 1\nmemory = 64\n", 0, "missing 'name' in [vm]"},
    {"[vm]\nname = web\nkernel = /k\nmemory = 64\n", 0, "missing 'vcpus' in [vm]"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\n", 0, "missing 'memory' in [vm]"},
    {"# nothing\n", 0, "no [vm] section"},
    {"[vm]\nname = db\nkernel = /k\nvcpus = 1\nmemory = 64\n", 2,
     "name 'db' does not match the VM's directory 'web'"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = two\nmemory = 64\n", 4,
     "vcpus must be a whole number, like 'vcpus = 2' (got 'two')"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 2G\n", 5,
     "memory must be a whole number of MiB, like 'memory = 512' (got '2G')"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = -1\nmemory = 64\n", 4, "vcpus must be a whole number"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 0\nmemory = 64\n", 4,
     "vcpus must be from 1 to 64 (got 0)"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 8\n", 5,
     "memory must be at least 16 MiB (got 8)"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 99999999999999999999\n", 5,
     "memory must be a whole number of MiB"},
    {"vcpus = 1\n[vm]\n", 1, "'vcpus' is outside any section"},
    {"[vm]\nname = web\nthis line is wrong\n", 3, "cannot read this line"},
    {"[vm]\nname = web\n  kernel = /k\n  continued\n", 4, "cannot read this line"},
    {"[vm]\nname = web\n[vm]\n", 3, "second [vm] section (the first is on line 1)"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[disk 99]\npath = /d\n", 6,
     "bad disk section [disk 99]"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[displays]\n", 6,
     "unknown section [displays] (known: [vm], [disk N], [display] and [nicN])"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic0]\nnetwork = default\n"
     "mac = 52:54:00:12:34:56\nmtu = 1500\n",
     9, "unknown key 'mtu' in [nic0] (known: network, mac)"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic8]\nnetwork = default\n", 6,
     "bad NIC section [nic8]: use [nic0] to [nic7]"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic 0]\n", 6,
     "bad NIC section [nic 0]"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic0]\nnetwork = ../x\n", 7,
     "network: invalid name '../x'"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic0]\nnetwork = default\n"
     "mac = 01:00:5e:00:00:01\n",
     8, "mac '01:00:5e:00:00:01' is not a unicast MAC address like 52:54:00:12:34:56"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic0]\nnetwork = default\n"
     "mac = 52:54:00:12:34\n",
     8, "mac '52:54:00:12:34' is not a unicast MAC address"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic0]\nmac = 52:54:00:12:34:56\n", 6,
     "[nic0] has no 'network'"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic0]\nnetwork = default\n", 6,
     "[nic0] has no 'mac'"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic0]\nnetwork = default\n"
     "mac = 52:54:00:12:34:56\n[nic1]\nnetwork = lan\nmac = 52:54:00:12:34:56\n",
     11, "[nic1] has the MAC address 52:54:00:12:34:56 of [nic0]; each NIC needs its own"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic0]\nnetwork = default\n"
     "mac = 52:54:00:12:34:56\n[nic0]\n",
     9, "second [nic0] section (the first is on line 6)"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[nic0]\nnetwork = a\n"
     "network = b\n",
     8, "duplicate key 'network' in [nic0] (first on line 7)"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[display]\nvnc = maybe\n", 7,
     "vnc must be 'yes' or 'no' (got 'maybe')"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[display]\nvnc = yes\n"
     "resolution = 1024*768\n",
     8, "resolution '1024*768': use WIDTHxHEIGHT in pixels, like 1024x768"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[display]\nvnc = yes\n"
     "resolution = 8192x768\n",
     8, "resolution '8192x768': width and height must be from 64 to 4096 pixels"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[display]\nvnc = yes\n"
     "resolution = 1024x32\n",
     8, "resolution '1024x32': width and height must be from 64 to 4096"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[display]\nvnc = yes\n"
     "vnc_port = 80\n",
     8, "vnc_port must be 0 (none) or a port from 1024 to 65535 (got '80')"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[display]\nvnc = yes\n"
     "vnc_port = 70000\n",
     8, "vnc_port must be 0 (none) or a port from 1024 to 65535 (got '70000')"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[display]\nvnc = yes\n"
     "depth = 8\n",
     8, "unknown key 'depth' in [display] (known: vnc, resolution, vnc_port)"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[display]\nvnc = yes\n"
     "[display]\n",
     8, "second [display] section (the first is on line 6)"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[display]\n"
     "resolution = 800x600\n",
     6, "[display] has no 'vnc'"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[disk 0]\nreadonly = no\n", 6,
     "[disk 0] has no 'path'"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[disk 0]\npath = /d\n"
     "format = qcow2\n",
     8, "disk format 'qcow2' is not supported (use 'raw')"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[disk 0]\npath = /d\n"
     "readonly = maybe\n",
     8, "readonly must be 'yes' or 'no' (got 'maybe')"},
    {"[vm]\nname = web\nkernel = /k\nvcpus = 1\nmemory = 64\n[disk 0]\npath = /d\n"
     "[disk 0]\n",
     8, "second [disk 0] section (the first is on line 6)"},
    {"[vm]\nname = bad name\n", 2, "invalid name 'bad name'"},
    {"[vm]\nname = web\nkernel =\n", 3, "kernel is empty"},
};

START_TEST(test_malformed)
{
	struct vm_config cfg;
	char path[256], want[512], *after;

	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/vms/web/vm.conf", home);
	write_file(path, malformed[_i].text);
	ck_assert_int_lt(store_read_config(&st, "web", &cfg, err, sizeof(err)), 0);
	if (malformed[_i].line)
		snprintf(want, sizeof(want), "%s: line %d: %s", path, malformed[_i].line,
			 malformed[_i].message);
	else
		snprintf(want, sizeof(want), "%s: %s", path, malformed[_i].message);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s'", err, want);
	/* Reading never changes the file. */
	after = slurp(path);
	ck_assert_str_eq(after, malformed[_i].text);
	free(after);
}
END_TEST

/* A vm.conf written before displays existed: the VM has none, as before. */
START_TEST(test_old_config_has_no_display)
{
	struct vm_config cfg;
	char path[256], text[1024];

	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/vms/web/vm.conf", home);
	snprintf(text, sizeof(text), "[vm]\nname = web\nkernel = %s\nvcpus = 1\nmemory = 64\n",
		 kernel);
	write_file(path, text);
	ck_assert_msg(store_read_config(&st, "web", &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!cfg.display.enabled);
	ck_assert_int_eq(cfg.display.width, 0);
	ck_assert_int_eq(cfg.display.vnc_port, 0);
	ck_assert_msg(store_validate_config(&cfg, err, sizeof(err)) == 0, "%s", err);

	/* "vnc = yes" alone gets the default screen. */
	snprintf(text, sizeof(text),
		 "[vm]\nname = web\nkernel = %s\nvcpus = 1\nmemory = 64\n[display]\nvnc = yes\n",
		 kernel);
	write_file(path, text);
	ck_assert_msg(store_read_config(&st, "web", &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert(cfg.display.enabled);
	ck_assert_int_eq(cfg.display.width, VM_DISPLAY_DEFAULT_WIDTH);
	ck_assert_int_eq(cfg.display.height, VM_DISPLAY_DEFAULT_HEIGHT);
}
END_TEST

START_TEST(test_display_round_trip)
{
	struct vm_config cfg, back;
	char *text;

	sample_config(&cfg, "web");
	cfg.display = (struct vm_display){true, 1280, 800, 5901};
	text = store_config_to_ini(&cfg);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "\n[display]\nvnc = yes\nresolution = 1280x800\n"
					   "vnc_port = 5901\n"));
	ck_assert_msg(store_config_from_ini(text, NULL, &back, err, sizeof(err)) == 0, "%s", err);
	assert_same_config(&cfg, &back);
	free(text);

	/* Removed, but the resolution is kept for when it comes back. */
	cfg.display = (struct vm_display){false, 800, 600, 0};
	text = store_config_to_ini(&cfg);
	ck_assert_ptr_nonnull(strstr(text, "vnc = no\nresolution = 800x600\n"));
	ck_assert_ptr_null(strstr(text, "vnc_port"));
	ck_assert_msg(store_config_from_ini(text, NULL, &back, err, sizeof(err)) == 0, "%s", err);
	assert_same_config(&cfg, &back);
	free(text);
}
END_TEST

START_TEST(test_parse_resolution)
{
	static const struct {
		const char *text;
		int rc, w, h;
	} cases[] = {
	    {"1024x768", 0, 1024, 768},	   {"64x64", 0, 64, 64},
	    {"4096X4096", 0, 4096, 4096},  {"640x480", 0, 640, 480},
	    {"63x480", -ERANGE, 0, 0},	   {"640x4097", -ERANGE, 0, 0},
	    {"0x0", -ERANGE, 0, 0},	   {"99999999999999999999x480", -ERANGE, 0, 0},
	    {"x480", -EINVAL, 0, 0},	   {"640x", -EINVAL, 0, 0},
	    {"640", -EINVAL, 0, 0},	   {"640 x 480", -EINVAL, 0, 0},
	    {"-640x480", -EINVAL, 0, 0},   {"+640x480", -EINVAL, 0, 0},
	    {"640x480x32", -EINVAL, 0, 0}, {"", -EINVAL, 0, 0},
	    {"vnc", -EINVAL, 0, 0},
	};
	int w, h;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w = h = -1;
		err[0] = '\0';
		ck_assert_msg(store_parse_resolution(cases[i].text, &w, &h, err, sizeof(err)) ==
				  cases[i].rc,
			      "'%s': %s", cases[i].text, err);
		if (cases[i].rc == 0) {
			ck_assert_int_eq(w, cases[i].w);
			ck_assert_int_eq(h, cases[i].h);
		} else {
			/* Refused input is quoted and leaves the outputs alone. */
			ck_assert_ptr_nonnull(strstr(err, cases[i].text));
			ck_assert_int_eq(w, -1);
		}
	}
}
END_TEST

START_TEST(test_read_binary_and_long_lines)
{
	struct vm_config cfg;
	char path[256], *text;
	size_t n = VM_PATH_MAX * 3;
	FILE *f;

	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/vms/web/vm.conf", home);
	f = fopen(path, "w");
	fwrite("[vm]\nname = web\0\n", 1, 17, f);
	fclose(f);
	ck_assert_int_eq(store_read_config(&st, "web", &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "NUL byte"));

	text = malloc(n + 32);
	strcpy(text, "[vm]\ncmdline = ");
	memset(text + strlen(text), 'x', n);
	text[n] = '\0';
	write_file(path, text);
	free(text);
	ck_assert_int_eq(store_read_config(&st, "web", &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "line 2: line too long"));
}
END_TEST

START_TEST(test_read_missing)
{
	struct vm_config cfg;

	ck_assert_int_eq(store_read_config(&st, "ghost", &cfg, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "VM 'ghost' does not exist"));
	ck_assert_int_eq(store_create_vm_dir(&st, "half", err, sizeof(err)), 0);
	ck_assert_int_eq(store_read_config(&st, "half", &cfg, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "VM 'half' has no configuration file"));
}
END_TEST

/* ---- validation ---- */

START_TEST(test_validate_ok)
{
	struct vm_config cfg;
	char disk[256];

	sample_config(&cfg, "web");
	snprintf(disk, sizeof(disk), "%s/d.img", tmp);
	add_disk(&cfg, disk, false);
	ck_assert_msg(store_validate_config(&cfg, err, sizeof(err)) == 0, "%s", err);
	cfg.initrd[0] = '\0'; /* no initrd is fine */
	ck_assert_msg(store_validate_config(&cfg, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

START_TEST(test_validate_refusals)
{
	struct vm_config cfg;
	char disk[256], link[256], want[256];
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGE_SIZE);
	unsigned long long host_mib = (unsigned long long)pages * psize / (1024 * 1024);

	sample_config(&cfg, "a b");
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "invalid name 'a b'"));

	sample_config(&cfg, "web");
	cfg.vcpus = 0;
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "use 1 to 64"));
	cfg.vcpus = 65;
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);

	sample_config(&cfg, "web");
	cfg.memory_mib = 15;
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "at least 16 MiB"));
	cfg.memory_mib = host_mib + 1;
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "more than this host's %llu MiB of RAM", host_mib);
	ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);

	sample_config(&cfg, "web");
	strcpy(cfg.kernel, "vmlinuz");
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "absolute path"));
	snprintf(cfg.kernel, sizeof(cfg.kernel), "%s/missing-kernel", tmp);
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "VM 'web': kernel"));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	snprintf(cfg.kernel, sizeof(cfg.kernel), "%s", tmp);
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));

	sample_config(&cfg, "web");
	snprintf(cfg.initrd, sizeof(cfg.initrd), "%s/missing-initrd", tmp);
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "initrd"));

	sample_config(&cfg, "web");
	strcpy(cfg.cmdline, "console=ttyS0\n[disk 0]\npath = /etc/shadow");
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(store_config_to_ini(&cfg));

	sample_config(&cfg, "web");
	snprintf(cfg.disks[0].path, sizeof(cfg.disks[0].path), "%s/no-such.img", tmp);
	cfg.nr_disks = 1;
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "no-such.img"));

	/* The same image twice, even under another name. */
	sample_config(&cfg, "web");
	snprintf(disk, sizeof(disk), "%s/d.img", tmp);
	snprintf(link, sizeof(link), "%s/d-link.img", tmp);
	add_disk(&cfg, disk, false);
	ck_assert_int_eq(symlink(disk, link), 0);
	cfg.disks[1] = cfg.disks[0];
	snprintf(cfg.disks[1].path, sizeof(cfg.disks[1].path), "%s", link);
	cfg.nr_disks = 2;
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "given twice"));

	/* Displays: size and port bounds, a port without a display. */
	sample_config(&cfg, "web");
	cfg.display = (struct vm_display){true, 1024, 768, 0};
	ck_assert_msg(store_validate_config(&cfg, err, sizeof(err)) == 0, "%s", err);
	cfg.display.width = 5000;
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(err, "VM 'web': display resolution 5000x768"));
	cfg.display.width = 0; /* enabled needs a size */
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -ERANGE);
	cfg.display = (struct vm_display){true, 1024, 768, 1023};
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(err, "VNC port 1023"));
	cfg.display = (struct vm_display){true, 1024, 768, 65536};
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -ERANGE);
	cfg.display = (struct vm_display){false, 0, 0, 5900};
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "needs a display"));
	cfg.display = (struct vm_display){false, 0, 0, 0};
	ck_assert_msg(store_validate_config(&cfg, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

START_TEST(test_write_refuses_invalid_and_keeps_file)
{
	struct vm_config cfg;
	char path[256], *before, *after;

	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	sample_config(&cfg, "web");
	ck_assert_int_eq(store_write_config(&st, &cfg, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/vms/web/vm.conf", home);
	before = slurp(path);
	cfg.vcpus = 100;
	ck_assert_int_lt(store_write_config(&st, &cfg, err, sizeof(err)), 0);
	after = slurp(path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

/* ---- atomic writes ---- */

START_TEST(test_atomic_replace)
{
	char path[256], *data;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/file", tmp);
	ck_assert_int_eq(atomic_write_file(path, "first", 5, 0644, err, sizeof(err)), 0);
	ck_assert_int_eq(atomic_write_file(path, "second", 6, 0600, err, sizeof(err)), 0);
	data = slurp(path);
	ck_assert_str_eq(data, "second");
	free(data);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(count_entries(tmp, ".tmp"), 0);
}
END_TEST

/* Runs atomic_write_file in a child that cannot write the directory (as an
 * unprivileged user) or cannot grow files past 64 bytes (a full disk). */
static int atomic_write_in_child(const char *path, size_t len, bool unprivileged)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *data = malloc(len), msg[512];

		memset(data, 'n', len);
		if (unprivileged && geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(100);
		if (!unprivileged) {
			struct rlimit rl = {64, 64};

			signal(SIGXFSZ, SIG_IGN);
			setrlimit(RLIMIT_FSIZE, &rl);
		}
		_exit(atomic_write_file(path, data, len, 0600, msg, sizeof(msg)) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_atomic_readonly_dir)
{
	char dir[256], path[300], *data;

	snprintf(dir, sizeof(dir), "%s/ro", tmp);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/vm.conf", dir);
	write_file(path, "old contents");
	ck_assert_int_eq(chmod(dir, 0555), 0);
	ck_assert_int_eq(chmod(tmp, 0755), 0);
	ck_assert_int_eq(atomic_write_in_child(path, 100, true), 1);
	data = slurp(path);
	ck_assert_str_eq(data, "old contents");
	free(data);
	ck_assert_int_eq(count_entries(dir, ".tmp"), 0);
}
END_TEST

START_TEST(test_atomic_disk_full)
{
	char path[256], *data;

	snprintf(path, sizeof(path), "%s/vm.conf", tmp);
	write_file(path, "old contents");
	ck_assert_int_eq(atomic_write_in_child(path, 100000, false), 1);
	data = slurp(path);
	ck_assert_str_eq(data, "old contents");
	free(data);
	ck_assert_int_eq(count_entries(tmp, ".tmp"), 0);
}
END_TEST

START_TEST(test_atomic_target_is_directory)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/adir", tmp);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_lt(atomic_write_file(path, "x", 1, 0600, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "cannot write"));
	ck_assert_int_eq(count_entries(tmp, ".tmp"), 0);
}
END_TEST

/* ---- locks ---- */

static int lock_in_child(const char *name)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char msg[512];
		int fd = store_lock_vm(&st, name, false, msg, sizeof(msg));

		_exit(fd == -EBUSY ? 2 : fd >= 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_lock)
{
	int fd, fd2, other;

	fd = store_lock_vm(&st, "web", false, err, sizeof(err));
	ck_assert_msg(fd >= 0, "%s", err);
	/* Another process, and another descriptor in this one, are refused. */
	ck_assert_int_eq(lock_in_child("web"), 2);
	fd2 = store_lock_vm(&st, "web", false, err, sizeof(err));
	ck_assert_int_eq(fd2, -EBUSY);
	ck_assert_ptr_nonnull(strstr(err, "VM 'web' is busy"));
	/* Other VMs are independent. */
	other = store_lock_vm(&st, "db", false, err, sizeof(err));
	ck_assert_int_ge(other, 0);
	store_unlock_vm(other);
	/* Released: others may take it. */
	store_unlock_vm(fd);
	ck_assert_int_eq(lock_in_child("web"), 0);
	fd = store_lock_vm(&st, "web", true, err, sizeof(err));
	ck_assert_int_ge(fd, 0);
	store_unlock_vm(fd);
	ck_assert_int_eq(store_lock_vm(&st, "../x", false, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(test_lock_not_inherited)
{
	int fd = store_lock_vm(&st, "web", false, err, sizeof(err));
	int status, sync[2];
	char c;
	pid_t pid;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pipe2(sync, O_CLOEXEC), 0);
	/* A child that outlives us (the VMM started by `virtty start`) must not
	 * keep the lock: the descriptor is close-on-exec. */
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		close(sync[0]);
		execl("/bin/sleep", "sleep", "10", (char *)NULL);
		_exit(127);
	}
	/* The pipe reads EOF once the child has exec'd (its end is close-on-
	 * exec too): from then on only the exec'd program could hold a lock. */
	close(sync[1]);
	ck_assert_int_eq(read(sync[0], &c, 1), 0);
	close(sync[0]);
	store_unlock_vm(fd);
	ck_assert_int_eq(lock_in_child("web"), 0);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}
END_TEST

/* ---- NICs in vm.conf ---- */

static void add_nic(struct vm_config *cfg, const char *network, const char *mac)
{
	struct vm_nic *nic = &cfg->nics[cfg->nr_nics++];

	snprintf(nic->network, sizeof(nic->network), "%s", network);
	snprintf(nic->mac, sizeof(nic->mac), "%s", mac);
}

START_TEST(test_nic_round_trip)
{
	struct vm_config cfg, back;
	char *text;

	sample_config(&cfg, "web");
	add_nic(&cfg, "default", "52:54:00:12:34:56");
	add_nic(&cfg, "lan.2", "52:54:00:ab:cd:ef");
	text = store_config_to_ini(&cfg);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(
	    strstr(text, "\n[nic0]\nnetwork = default\nmac = 52:54:00:12:34:56\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n[nic1]\nnetwork = lan.2\nmac = 52:54:00:ab:cd:ef\n"));
	ck_assert_msg(store_config_from_ini(text, NULL, &back, err, sizeof(err)) == 0, "%s", err);
	free(text);
	assert_same_config(&cfg, &back);
	ck_assert_int_eq(back.nr_nics, 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_str_eq(back.nics[i].network, cfg.nics[i].network);
		ck_assert_str_eq(back.nics[i].mac, cfg.nics[i].mac);
	}
	/* Through the store too. */
	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	ck_assert_msg(store_write_config(&st, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(store_read_config(&st, "web", &back, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(back.nr_nics, 2);
	ck_assert_str_eq(back.nics[1].mac, "52:54:00:ab:cd:ef");
}
END_TEST

/* Sections may skip numbers (a NIC removed by hand); the order stays. */
START_TEST(test_nic_gaps_and_old_files)
{
	struct vm_config cfg;
	char text[1024];

	snprintf(text, sizeof(text),
		 "[vm]\nname = web\nkernel = %s\nvcpus = 1\nmemory = 64\n"
		 "[nic5]\nnetwork = b\nmac = 52:54:00:00:00:05\n"
		 "[nic2]\nnetwork = a\nmac = 52:54:00:00:00:02\n",
		 kernel);
	ck_assert_msg(store_config_from_ini(text, NULL, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cfg.nr_nics, 2);
	ck_assert_str_eq(cfg.nics[0].network, "a");
	ck_assert_str_eq(cfg.nics[1].network, "b");
	/* A file from before networks: no NICs, loads as before. */
	snprintf(text, sizeof(text), "[vm]\nname = web\nkernel = %s\nvcpus = 1\nmemory = 64\n",
		 kernel);
	ck_assert_msg(store_config_from_ini(text, NULL, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cfg.nr_nics, 0);
}
END_TEST

START_TEST(test_nic_validate)
{
	struct vm_config cfg;

	sample_config(&cfg, "web");
	add_nic(&cfg, "default", "");
	add_nic(&cfg, "default", "");
	/* A request may leave MACs to the driver... */
	ck_assert_msg(store_validate_config(&cfg, err, sizeof(err)) == 0, "%s", err);
	/* ...but the file always gets them. */
	ck_assert_int_eq(store_create_vm_dir(&st, "web", err, sizeof(err)), 0);
	ck_assert_int_eq(store_write_config(&st, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "VM 'web': NIC 0: MAC '' is not a unicast MAC"));
	strcpy(cfg.nics[0].mac, "52:54:00:12:34:56");
	strcpy(cfg.nics[1].mac, "52:54:00:12:34:56");
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "NICs 0 and 1 have the same MAC address"));
	strcpy(cfg.nics[1].mac, "52:54:00:12:34:5G");
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "NIC 1: MAC '52:54:00:12:34:5G'"));
	strcpy(cfg.nics[1].mac, "52:54:00:12:34:57");
	strcpy(cfg.nics[1].network, "no/such");
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "NIC 1: network: invalid name 'no/such'"));
	strcpy(cfg.nics[1].network, "lan");
	ck_assert_msg(store_write_config(&st, &cfg, err, sizeof(err)) == 0, "%s", err);
	cfg.nr_nics = VM_MAX_NICS + 1;
	ck_assert_int_eq(store_validate_config(&cfg, err, sizeof(err)), -EINVAL);
}
END_TEST

/* ---- networks ---- */

static struct net_config sample_net(const char *name, enum net_mode mode)
{
	struct net_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	cfg.mode = mode;
	return cfg;
}

static void assert_same_net(const struct net_config *a, const struct net_config *b)
{
	ck_assert_str_eq(a->name, b->name);
	ck_assert_int_eq(a->mode, b->mode);
	ck_assert_str_eq(a->subnet, b->subnet);
	ck_assert_str_eq(a->dhcp_start, b->dhcp_start);
	ck_assert_str_eq(a->dhcp_end, b->dhcp_end);
	ck_assert_str_eq(a->bridge, b->bridge);
	ck_assert_int_eq(a->autostart, b->autostart);
	ck_assert_int_eq(a->nr_forwards, b->nr_forwards);
	for (int i = 0; i < a->nr_forwards; i++) {
		const struct net_forward *x = &a->forwards[i], *y = &b->forwards[i];

		ck_assert_int_eq(x->udp, y->udp);
		ck_assert_str_eq(x->host_addr, y->host_addr);
		ck_assert_uint_eq(x->host_port, y->host_port);
		ck_assert_str_eq(x->guest_vm, y->guest_vm);
		ck_assert_str_eq(x->guest_addr, y->guest_addr);
		ck_assert_uint_eq(x->guest_port, y->guest_port);
	}
}

static void net_round_trip(const struct net_config *cfg)
{
	struct net_config back;
	char *text = store_net_config_to_ini(cfg);

	ck_assert_ptr_nonnull(text);
	ck_assert_msg(store_net_config_from_ini(text, cfg->name, &back, err, sizeof(err)) == 0,
		      "%s\n%s", err, text);
	free(text);
	assert_same_net(cfg, &back);
}

START_TEST(test_net_round_trip)
{
	struct net_config cfg;
	struct net_forward *f;

	cfg = sample_net("default", NET_MODE_NAT);
	strcpy(cfg.subnet, "10.0.2.0/24");
	strcpy(cfg.dhcp_start, "10.0.2.15");
	strcpy(cfg.dhcp_end, "10.0.2.30");
	cfg.autostart = true;
	f = &cfg.forwards[cfg.nr_forwards++];
	strcpy(f->host_addr, "127.0.0.1");
	f->host_port = 2222;
	strcpy(f->guest_vm, "web");
	f->guest_port = 22;
	f = &cfg.forwards[cfg.nr_forwards++];
	f->udp = true; /* host_addr "" stays "" */
	f->host_port = 5353;
	strcpy(f->guest_vm, "dns-1");
	f->guest_port = 53;
	net_round_trip(&cfg);

	cfg = sample_net("lab", NET_MODE_NATNET);
	strcpy(cfg.subnet, "10.0.3.0/24");
	f = &cfg.forwards[cfg.nr_forwards++];
	strcpy(f->host_addr, "0.0.0.0");
	f->host_port = 8080;
	strcpy(f->guest_addr, "10.0.3.20");
	f->guest_port = 80;
	net_round_trip(&cfg);

	cfg = sample_net("host", NET_MODE_HOSTONLY);
	strcpy(cfg.subnet, "192.168.56.0/24");
	strcpy(cfg.dhcp_start, "192.168.56.100");
	strcpy(cfg.dhcp_end, "192.168.56.199");
	net_round_trip(&cfg);
	cfg.dhcp_start[0] = cfg.dhcp_end[0] = '\0'; /* no DHCP */
	net_round_trip(&cfg);

	cfg = sample_net("seg", NET_MODE_INTERNAL);
	net_round_trip(&cfg);

	cfg = sample_net("lan", NET_MODE_BRIDGED);
	strcpy(cfg.bridge, "br0");
	cfg.autostart = true;
	net_round_trip(&cfg);

	/* A full table of forwards fits. */
	cfg = sample_net("many", NET_MODE_NAT);
	strcpy(cfg.subnet, "10.0.2.0/24");
	for (int i = 0; i < NET_MAX_FORWARDS; i++) {
		f = &cfg.forwards[cfg.nr_forwards++];
		f->host_port = 10000 + i;
		strcpy(f->guest_vm, "web");
		f->guest_port = 22;
	}
	net_round_trip(&cfg);
}
END_TEST

/* Each malformed network file: line (0 = something missing) and problem. */
static const struct {
	const char *text;
	int line;
	const char *message;
} net_malformed[] = {
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\ncolour = blue\n", 4,
     "unknown key 'colour' in [network] (known: mode, subnet, dhcp_start, dhcp_end, bridge, "
     "autostart)"},
    {"[network]\nmode = nat2\n", 2,
     "unknown network mode 'nat2': use nat, natnet, internal, hostonly or bridged"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.1/24\n", 3,
     "subnet '10.0.2.1/24': 10.0.2.1 is not a network address; did you mean 10.0.2.0/24?"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0\n", 3, "subnet '10.0.2.0' has no prefix length"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\ndhcp_start = 10.0.2.x\n", 4,
     "dhcp_start: '10.0.2.x' is not an IPv4 address"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\nautostart = maybe\n", 4,
     "autostart must be 'yes' or 'no' (got 'maybe')"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\n[forward]\nproto = tcp\nhost_port = 2222\n"
     "guest_vm = web\n",
     4, "[forward] has no 'guest_port'"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\n[forward]\nproto = tcp\nguest_port = 22\n"
     "guest_vm = web\n",
     4, "[forward] has no 'host_port'"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\n[forward]\nhost_port = 2222\nguest_port = 22\n"
     "guest_vm = web\n",
     4, "[forward] has no 'proto' (tcp or udp)"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\n[forward]\nproto = tcp\nhost_port = 2222\n"
     "guest_port = 22\n",
     4, "[forward] has no guest: give 'guest_vm' (nat) or 'guest_addr' (natnet)"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\n[forward]\nproto = tcp\nhost_port = 2222\n"
     "guest_port = 22\nguest_vm = web\nguest_addr = 10.0.2.15\n",
     4, "[forward] has both 'guest_vm' and 'guest_addr'; keep one"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\n[forward]\nproto = sctp\n", 5,
     "proto must be 'tcp' or 'udp' (got 'sctp')"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\n[forward]\nproto = tcp\nhost_port = 0\n", 6,
     "host_port must be a port from 1 to 65535 (got '0')"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\n[forward]\nguest_port = 65536\n", 5,
     "guest_port must be a port from 1 to 65535 (got '65536')"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\n[forward]\nguest_vm = a/b\n", 5,
     "guest_vm: invalid name 'a/b'"},
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\n[forward]\nmode = nat\n", 5,
     "unknown key 'mode' in [forward]"},
    {"[network]\nmode = nat\n[network]\nmode = nat\n", 3,
     "second [network] section (the first is on line 1)"},
    {"[network]\nmode = nat\nmode = natnet\n", 3,
     "duplicate key 'mode' in [network] (first on line 2)"},
    {"[network]\nmode = nat\n[forwards]\n", 3,
     "unknown section [forwards] (known: [network] and [forward])"},
    {"mode = nat\n[network]\n", 1, "'mode' is outside any section; put it under [network]"},
    {"[network]\nmode = nat\nthis is wrong\n", 3, "cannot read this line"},
    {"# nothing\n", 0, "no [network] section"},
    {"[network]\nsubnet = 10.0.2.0/24\n", 1, "[network] has no 'mode'"},
    /* Values fine alone, wrong together: netcfg_validate's message. */
    {"[network]\nmode = nat\nsubnet = 10.0.2.0/24\ndhcp_start = 10.0.3.15\n"
     "dhcp_end = 10.0.3.30\n",
     0, "network 'net1': the DHCP range 10.0.3.15-10.0.3.30 is not inside the subnet"},
    {"[network]\nmode = bridged\n", 0, "network 'net1': a bridged network needs the host bridge"},
    {"[network]\nmode = internal\nsubnet = 10.0.2.0/24\n", 0,
     "network 'net1': internal networks take no subnet"},
};

START_TEST(test_net_malformed)
{
	struct net_config cfg;
	char dir[200], path[256], want[512], *after;

	snprintf(dir, sizeof(dir), "%s/networks", home);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/net1.conf", dir);
	write_file(path, net_malformed[_i].text);
	ck_assert_int_eq(store_read_net_config(&st, "net1", &cfg, err, sizeof(err)), -EINVAL);
	if (net_malformed[_i].line)
		snprintf(want, sizeof(want), "%s: line %d: %s", path, net_malformed[_i].line,
			 net_malformed[_i].message);
	else
		snprintf(want, sizeof(want), "%s: %s", path, net_malformed[_i].message);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s'", err, want);
	after = slurp(path);
	ck_assert_str_eq(after, net_malformed[_i].text);
	free(after);
}
END_TEST

START_TEST(test_net_files)
{
	struct net_config cfg = sample_net("lab", NET_MODE_NATNET), back;
	char path[256], want[256], **names;
	int n;

	strcpy(cfg.subnet, "10.0.3.0/24");
	ck_assert(!store_net_exists(&st, "lab"));
	ck_assert_int_eq(store_read_net_config(&st, "lab", &back, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "network 'lab' does not exist; 'virtty net-list' shows the networks");
	ck_assert_int_eq(store_list_networks(&st, &names, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 0);

	/* Written, then read back the same. */
	ck_assert_msg(store_write_net_config(&st, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert(store_net_exists(&st, "lab"));
	ck_assert_int_eq(store_net_config_path(&st, "lab", path, sizeof(path)), 0);
	ck_assert_ptr_nonnull(strstr(path, "/networks/lab.conf"));
	ck_assert_int_eq(access(path, R_OK), 0);
	ck_assert_msg(store_read_net_config(&st, "lab", &back, err, sizeof(err)) == 0, "%s", err);
	assert_same_net(&cfg, &back);

	/* Sorted, and only NAME.conf files with valid names count. */
	cfg = sample_net("zeta", NET_MODE_INTERNAL);
	ck_assert_int_eq(store_write_net_config(&st, &cfg, err, sizeof(err)), 0);
	cfg = sample_net("Alpha", NET_MODE_INTERNAL);
	ck_assert_int_eq(store_write_net_config(&st, &cfg, err, sizeof(err)), 0);
	cfg = sample_net("mid", NET_MODE_INTERNAL);
	ck_assert_int_eq(store_write_net_config(&st, &cfg, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/networks/notes.txt", home);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/networks/.tmp.conf", home);
	write_file(path, "x");
	ck_assert_int_eq(store_list_networks(&st, &names, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(names[0], "Alpha");
	ck_assert_str_eq(names[1], "lab");
	ck_assert_str_eq(names[2], "mid");
	ck_assert_str_eq(names[3], "zeta");
	store_free_names(names, n);

	/* An invalid definition is not written. */
	cfg = sample_net("bad", NET_MODE_BRIDGED);
	ck_assert_int_eq(store_write_net_config(&st, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert(!store_net_exists(&st, "bad"));

	/* Removed. */
	ck_assert_int_eq(store_remove_net(&st, "mid", err, sizeof(err)), 0);
	ck_assert(!store_net_exists(&st, "mid"));
	ck_assert_int_eq(store_remove_net(&st, "mid", err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "network 'mid' does not exist"));
	ck_assert_int_eq(store_remove_net(&st, "../vms", err, sizeof(err)), -EINVAL);

	ck_assert_int_eq(store_net_runtime_dir(&st, "lab", path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/.net/lab", runtime);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(store_net_runtime_dir(&st, "a/b", path, sizeof(path)), -EINVAL);
}
END_TEST

START_TEST(test_default_network)
{
	struct net_config cfg;
	char **names;
	int n;

	/* The first use of a store creates `default`... */
	ck_assert_msg(store_ensure_default_network(&st, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(store_read_net_config(&st, "default", &cfg, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_int_eq(cfg.mode, NET_MODE_NAT);
	ck_assert_str_eq(cfg.subnet, "10.0.2.0/24");
	ck_assert_str_eq(cfg.dhcp_start, "10.0.2.15");
	ck_assert_str_eq(cfg.dhcp_end, "10.0.2.30");
	ck_assert(cfg.autostart);
	ck_assert_int_eq(cfg.nr_forwards, 0);
	/* ...once: later calls change nothing... */
	cfg.autostart = false;
	ck_assert_int_eq(store_write_net_config(&st, &cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(store_ensure_default_network(&st, err, sizeof(err)), 0);
	ck_assert_int_eq(store_read_net_config(&st, "default", &cfg, err, sizeof(err)), 0);
	ck_assert(!cfg.autostart);
	/* ...and a deleted default stays deleted. */
	ck_assert_int_eq(store_remove_net(&st, "default", err, sizeof(err)), 0);
	ck_assert_int_eq(store_ensure_default_network(&st, err, sizeof(err)), 0);
	ck_assert(!store_net_exists(&st, "default"));
	ck_assert_int_eq(store_list_networks(&st, &names, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 0);
	/* No temporary directory is left behind. */
	ck_assert_int_eq(count_entries(home, ".networks-"), 0);
}
END_TEST

static int net_lock_in_child(const char *name)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char msg[512];
		int fd = store_lock_net(&st, name, false, msg, sizeof(msg));

		_exit(fd == -EBUSY ? 2 : fd >= 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_net_lock)
{
	int fd, fd2, vm;

	fd = store_lock_net(&st, "lab", false, err, sizeof(err));
	ck_assert_msg(fd >= 0, "%s", err);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(net_lock_in_child("lab"), 2);
	fd2 = store_lock_net(&st, "lab", false, err, sizeof(err));
	ck_assert_int_eq(fd2, -EBUSY);
	ck_assert_ptr_nonnull(strstr(err, "network 'lab' is busy"));
	/* A VM of the same name is another lock. */
	vm = store_lock_vm(&st, "lab", false, err, sizeof(err));
	ck_assert_int_ge(vm, 0);
	store_unlock_vm(vm);
	store_unlock_vm(fd);
	ck_assert_int_eq(net_lock_in_child("lab"), 0);
	ck_assert_int_eq(store_lock_net(&st, "../x", false, err, sizeof(err)), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc;
	SRunner *sr;
	int failed;

	tc = tcase_create("dirs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_dirs);
	tcase_add_test(tc, test_open_xdg);
	tcase_add_test(tc, test_runtime_of_other_user_refused);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_create_list);
	tcase_add_test(tc, test_create_duplicate);
	tcase_add_test(tc, test_create_invalid_name_touches_nothing);
	tcase_add_test(tc, test_remove_keeps_disks);
	tcase_add_test(tc, test_remove_with_disks);
	tcase_add_test(tc, test_remove_without_disks_leaves_no_trace);
	tcase_add_test(tc, test_remove_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip_ini);
	tcase_add_test(tc, test_round_trip_long_values);
	tcase_add_test(tc, test_write_read_file);
	tcase_add_test(tc, test_write_config_needs_vm);
	tcase_add_test(tc, test_relative_disk_path);
	tcase_add_loop_test(tc, test_malformed, 0, sizeof(malformed) / sizeof(malformed[0]));
	tcase_add_test(tc, test_old_config_has_no_display);
	tcase_add_test(tc, test_display_round_trip);
	tcase_add_test(tc, test_parse_resolution);
	tcase_add_test(tc, test_read_binary_and_long_lines);
	tcase_add_test(tc, test_read_missing);
	tcase_add_test(tc, test_validate_ok);
	tcase_add_test(tc, test_validate_refusals);
	tcase_add_test(tc, test_write_refuses_invalid_and_keeps_file);
	tcase_add_test(tc, test_nic_round_trip);
	tcase_add_test(tc, test_nic_gaps_and_old_files);
	tcase_add_test(tc, test_nic_validate);
	suite_add_tcase(s, tc);

	tc = tcase_create("networks");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_net_round_trip);
	tcase_add_loop_test(tc, test_net_malformed, 0,
			    sizeof(net_malformed) / sizeof(net_malformed[0]));
	tcase_add_test(tc, test_net_files);
	tcase_add_test(tc, test_default_network);
	tcase_add_test(tc, test_net_lock);
	suite_add_tcase(s, tc);

	tc = tcase_create("atomic");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_atomic_replace);
	tcase_add_test(tc, test_atomic_readonly_dir);
	tcase_add_test(tc, test_atomic_disk_full);
	tcase_add_test(tc, test_atomic_target_is_directory);
	suite_add_tcase(s, tc);

	tc = tcase_create("locks");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_lock_not_inherited);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
