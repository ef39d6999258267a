/* Tests of the libvirt driver (backend/libvirt/) through driver.h against
 * libvirt's built-in test:///default driver (no daemon): a running
 * domain "test" and an active NAT network "default", fresh for every
 * connection. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"

#define URI "test:///default"

static char err[1024];

static void assert_contains(const char *text, const char *needle)
{
	ck_assert_msg(strstr(text, needle) != NULL, "'%s' does not contain '%s'", text, needle);
}

static struct driver *open_test(void)
{
	struct driver *drv = driver_open(URI, err, sizeof(err));

	ck_assert_msg(drv != NULL, "driver_open(%s): %s", URI, err);
	ck_assert_str_eq(drv->ops->name, "libvirt");
	ck_assert_str_eq(drv->uri, URI);
	return drv;
}

static enum vm_state state_of(struct driver *drv, const char *name)
{
	struct vm_info info;

	ck_assert_msg(drv->ops->info(drv, name, &info, err, sizeof(err)) == 0, "info: %s", err);
	return info.state;
}

START_TEST(test_uri_dispatch)
{
	ck_assert(driver_uri_is_local(NULL));
	ck_assert(driver_uri_is_local(""));
	ck_assert(driver_uri_is_local("local"));
	ck_assert(!driver_uri_is_local(URI));
	ck_assert(!driver_uri_is_local("qemu+ssh://root@host/system"));
	ck_assert_ptr_null(driver_open("nosuchdriver:///x", err, sizeof(err)));
	/* Our words with the URI, then libvirt's own reason: "no connection
	 * driver available" with a libvirtd running here, the daemon's socket
	 * without one. */
	assert_contains(err, "cannot connect to nosuchdriver:///x: ");
	ck_assert_msg(strlen(err) > strlen("cannot connect to nosuchdriver:///x: "),
		      "no reason from libvirt: '%s'", err);
}
END_TEST

START_TEST(test_list_info)
{
	struct driver *drv = open_test();
	struct vm_info *vms, info;
	int n, found = 0;

	ck_assert_int_eq(drv->ops->list(drv, &vms, &n, err, sizeof(err)), 0);
	for (int i = 0; i < n; i++)
		if (strcmp(vms[i].name, "test") == 0) {
			found++;
			ck_assert_int_eq(vms[i].state, VM_STATE_RUNNING);
			ck_assert_int_eq(vms[i].vcpus, 2);
			ck_assert_uint_eq(vms[i].memory_mib, 2048);
		}
	free(vms);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(drv->ops->info(drv, "nosuchvm", &info, err, sizeof(err)), -ENOENT);
	assert_contains(err, "'nosuchvm'");
	assert_contains(err, URI);
	ck_assert_int_eq(drv->ops->start(drv, "nosuchvm", err, sizeof(err)), -ENOENT);
	assert_contains(err, "'nosuchvm'");
	driver_close(drv);
}
END_TEST

START_TEST(test_lifecycle)
{
	struct driver *drv = open_test();

	ck_assert_int_eq(drv->ops->start(drv, "test", err, sizeof(err)), -EBUSY);
	assert_contains(err, "already running");
	ck_assert_int_eq(drv->ops->pause(drv, "test", err, sizeof(err)), 0);
	ck_assert_int_eq(state_of(drv, "test"), VM_STATE_PAUSED);
	ck_assert_int_eq(drv->ops->reboot(drv, "test", err, sizeof(err)), -EBUSY);
	assert_contains(err, "paused");
	ck_assert_int_eq(drv->ops->resume(drv, "test", err, sizeof(err)), 0);
	ck_assert_int_eq(state_of(drv, "test"), VM_STATE_RUNNING);
	ck_assert_int_eq(drv->ops->resume(drv, "test", err, sizeof(err)), -EBUSY);
	ck_assert_int_eq(drv->ops->shutdown(drv, "test", err, sizeof(err)), 0);
	ck_assert_int_eq(state_of(drv, "test"), VM_STATE_SHUTOFF);
	ck_assert_int_eq(drv->ops->shutdown(drv, "test", err, sizeof(err)), -ESRCH);
	assert_contains(err, "not running");
	ck_assert_int_eq(drv->ops->start(drv, "test", err, sizeof(err)), 0);
	ck_assert_int_eq(state_of(drv, "test"), VM_STATE_RUNNING);
	ck_assert_int_eq(drv->ops->undefine(drv, "test", 0, err, sizeof(err)), -EBUSY);
	assert_contains(err, "virtty destroy test");
	ck_assert_int_eq(drv->ops->destroy(drv, "test", err, sizeof(err)), 0);
	ck_assert_int_eq(state_of(drv, "test"), VM_STATE_SHUTOFF);
	ck_assert_int_eq(drv->ops->undefine(drv, "test", 0, err, sizeof(err)), 0);
	ck_assert_int_eq(drv->ops->info(drv, "test", &(struct vm_info){ 0 }, err, sizeof(err)),
			 -ENOENT);
	driver_close(drv);
}
END_TEST

static void small_config(struct vm_config *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->kernel, sizeof(c->kernel), "/boot/vmlinuz");
	snprintf(c->cmdline, sizeof(c->cmdline), "console=ttyS0 a=<b&c>");
	c->vcpus = 1;
	c->memory_mib = 256;
	c->nr_disks = 1;
	snprintf(c->disks[0].path, sizeof(c->disks[0].path), "/guest/diskimage1");
	snprintf(c->disks[0].format, sizeof(c->disks[0].format), "raw");
	c->nr_nics = 1;
	snprintf(c->nics[0].network, sizeof(c->nics[0].network), "default");
	c->display.enabled = true;
	c->display.width = VM_DISPLAY_DEFAULT_WIDTH;
	c->display.height = VM_DISPLAY_DEFAULT_HEIGHT;
}

START_TEST(test_define_config_undefine)
{
	struct driver *drv = open_test();
	struct vm_config c, back;
	struct vm_settings s = { 0 };
	bool later = true;
	char *text;

	small_config(&c, "vm1");
	ck_assert_int_eq(drv->ops->define_preview(drv, &c, NULL, 0, &text, err, sizeof(err)), 0);
	/* The test driver offers only its own domain type. */
	assert_contains(text, "<domain type=\"test\"");
	assert_contains(text, "a=&lt;b&amp;c&gt;");
	free(text);
	ck_assert_msg(drv->ops->define(drv, &c, NULL, 0, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(drv->ops->define(drv, &c, NULL, 0, NULL, err, sizeof(err)), -EEXIST);
	assert_contains(err, "'vm1'");
	ck_assert_int_eq(state_of(drv, "vm1"), VM_STATE_SHUTOFF);

	ck_assert_int_eq(drv->ops->get_config(drv, "vm1", &back, err, sizeof(err)), 0);
	ck_assert_str_eq(back.name, "vm1");
	ck_assert_str_eq(back.kernel, c.kernel);
	ck_assert_str_eq(back.cmdline, c.cmdline);
	ck_assert_int_eq(back.vcpus, 1);
	ck_assert_uint_eq(back.memory_mib, 256);
	ck_assert_int_eq(back.nr_disks, 1);
	ck_assert_str_eq(back.disks[0].path, c.disks[0].path);
	ck_assert_int_eq(back.nr_nics, 1);
	ck_assert_str_eq(back.nics[0].network, "default");
	/* libvirt chose a MAC and keeps it. */
	ck_assert_int_eq((int)strlen(back.nics[0].mac), 17);
	ck_assert(back.display.enabled);

	s.vcpus = 2;
	s.memory_mib = 512;
	s.display = VM_SETTING_OFF;
	ck_assert_msg(drv->ops->set(drv, "vm1", &s, &later, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!later);
	ck_assert_int_eq(drv->ops->get_config(drv, "vm1", &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.vcpus, 2);
	ck_assert_uint_eq(back.memory_mib, 512);
	ck_assert(!back.display.enabled);

	ck_assert_msg(drv->ops->start(drv, "vm1", err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(state_of(drv, "vm1"), VM_STATE_RUNNING);
	ck_assert_int_eq(drv->ops->destroy(drv, "vm1", err, sizeof(err)), 0);
	ck_assert_int_eq(drv->ops->undefine(drv, "vm1", 0, err, sizeof(err)), 0);
	ck_assert_int_eq(drv->ops->get_config(drv, "vm1", &back, err, sizeof(err)), -ENOENT);

	/* Bad input: a clear error, nothing defined. */
	small_config(&c, "bad/name");
	ck_assert_int_eq(drv->ops->define(drv, &c, NULL, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_contains(err, "bad/name");
	small_config(&c, "iso");
	snprintf(c.cdrom, sizeof(c.cdrom), "/iso/x.iso");
	ck_assert_int_eq(drv->ops->define(drv, &c, NULL, 0, NULL, err, sizeof(err)), -ENOTSUP);
	assert_contains(err, "firmware");
	ck_assert_int_eq(drv->ops->info(drv, "iso", &(struct vm_info){ 0 }, err, sizeof(err)),
			 -ENOENT);
	driver_close(drv);
}
END_TEST

START_TEST(test_clone_and_unsupported)
{
	struct driver *drv = open_test();
	struct vm_config c;
	char *buf = NULL;
	size_t len = 1;
	struct net_forward fwd = { 0 };

	ck_assert_int_eq(drv->ops->clone(drv, "test", "test2", NULL, err, sizeof(err)), -ENOTSUP);
	assert_contains(err, "'test'");
	small_config(&c, "nodisk");
	c.nr_disks = 0;
	ck_assert_int_eq(drv->ops->define(drv, &c, NULL, 0, NULL, err, sizeof(err)), 0);
	ck_assert_msg(drv->ops->clone(drv, "nodisk", "nodisk2", NULL, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_int_eq(drv->ops->get_config(drv, "nodisk2", &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.cmdline, "console=ttyS0 a=<b&c>");

	ck_assert_int_eq(drv->ops->console_dump(drv, "test", &buf, &len, err, sizeof(err)),
			 -ENOTSUP);
	assert_contains(err, "virtty console");
	ck_assert_int_eq(drv->ops->net_forward(drv, "default", &fwd, true, err, sizeof(err)),
			 -ENOTSUP);
	assert_contains(err, "no port forwards");
	driver_close(drv);
}
END_TEST

START_TEST(test_stats)
{
	struct driver *drv = open_test();
	struct vm_stats a, b;

	ck_assert_msg(drv->ops->stats(drv, "test", &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(drv->ops->stats(drv, "test", &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(a.vcpus, 2);
	ck_assert_uint_gt(a.cpu_time_ns, 0);
	ck_assert_uint_eq(a.memory_bytes, 2048ULL << 20);
	ck_assert_uint_gt(a.memory_rss_bytes, 0);
	ck_assert_uint_gt(a.disk_rd_bytes, 0);
	ck_assert_uint_gt(a.disk_wr_reqs, 0);
	ck_assert_int_eq(a.nr_nics, 1);
	ck_assert_str_eq(a.nics[0].network, "default");
	ck_assert_str_eq(a.nics[0].mac, "aa:bb:cc:dd:ee:ff");
	ck_assert_uint_gt(a.nics[0].rx_packets, 0);
	ck_assert_uint_eq(a.net_rx_bytes, a.nics[0].rx_bytes);
	/* Cumulative counters never go back. */
	ck_assert_uint_gt(b.timestamp_ns, a.timestamp_ns);
	ck_assert_uint_ge(b.cpu_time_ns, a.cpu_time_ns);
	ck_assert_uint_ge(b.disk_rd_bytes, a.disk_rd_bytes);
	ck_assert_uint_ge(b.nics[0].rx_bytes, a.nics[0].rx_bytes);
	ck_assert(vm_stats_cpu_percent(&a, &b) >= 0.0);

	ck_assert_int_eq(drv->ops->destroy(drv, "test", err, sizeof(err)), 0);
	ck_assert_int_eq(drv->ops->stats(drv, "test", &a, err, sizeof(err)), -ESRCH);
	assert_contains(err, "'test'");
	driver_close(drv);
}
END_TEST

/* ---- events ---- */

struct seen {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char name[VM_NAME_MAX + 1];
	enum vm_state state;
	bool gone;
	int count;
};

static void on_changed(void *opaque, const char *name, enum vm_state state, bool gone)
{
	struct seen *s = opaque;

	pthread_mutex_lock(&s->lock);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->state = state;
	s->gone = gone;
	s->count++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* Wait (at most a generous 30 s) for an event about name in state. */
static bool wait_for(struct seen *s, const char *name, enum vm_state state, bool gone)
{
	struct timespec deadline;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 30;
	pthread_mutex_lock(&s->lock);
	while (!(ok = strcmp(s->name, name) == 0 && s->state == state && s->gone == gone))
		if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) != 0)
			break;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

START_TEST(test_events)
{
	struct driver *drv = open_test();
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct driver_events ev = { .vm_changed = on_changed, .opaque = &s };
	struct vm_config c;

	ck_assert_msg(drv->ops->set_events(drv, &ev, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(drv->ops->pause(drv, "test", err, sizeof(err)), 0);
	ck_assert_msg(wait_for(&s, "test", VM_STATE_PAUSED, false), "no 'paused' event");
	ck_assert_int_eq(drv->ops->resume(drv, "test", err, sizeof(err)), 0);
	ck_assert_msg(wait_for(&s, "test", VM_STATE_RUNNING, false), "no 'running' event");
	ck_assert_int_eq(drv->ops->destroy(drv, "test", err, sizeof(err)), 0);
	ck_assert_msg(wait_for(&s, "test", VM_STATE_SHUTOFF, false), "no 'shut off' event");
	small_config(&c, "ev1");
	ck_assert_int_eq(drv->ops->define(drv, &c, NULL, 0, NULL, err, sizeof(err)), 0);
	ck_assert_msg(wait_for(&s, "ev1", VM_STATE_SHUTOFF, false), "no 'defined' event");
	ck_assert_int_eq(drv->ops->undefine(drv, "ev1", 0, err, sizeof(err)), 0);
	ck_assert_msg(wait_for(&s, "ev1", VM_STATE_SHUTOFF, true), "no 'undefined' event");

	/* Unsubscribed: a later change is not reported. */
	ck_assert_int_eq(drv->ops->set_events(drv, NULL, err, sizeof(err)), 0);
	driver_close(drv);
}
END_TEST

/* ---- networks ---- */

static const struct net_info *find_net(const struct net_info *nets, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(nets[i].name, name) == 0)
			return &nets[i];
	return NULL;
}

START_TEST(test_networks)
{
	struct driver *drv = open_test();
	struct net_info *nets;
	const struct net_info *ni;
	struct net_config c = { 0 }, back;
	int n;

	ck_assert_int_eq(drv->ops->net_list(drv, &nets, &n, err, sizeof(err)), 0);
	ni = find_net(nets, n, "default");
	ck_assert_ptr_nonnull(ni);
	ck_assert_int_eq(ni->mode, NET_MODE_NATNET);
	ck_assert_int_eq(ni->state, NET_STATE_ACTIVE);
	ck_assert_str_eq(ni->subnet, "192.168.122.0/24");
	ck_assert_int_eq(ni->nr_vms, 1);
	ck_assert_int_eq(ni->nr_running, 1);
	ck_assert_str_eq(ni->vms, "test");
	free(nets);

	snprintf(c.name, sizeof(c.name), "lab");
	c.mode = NET_MODE_HOSTONLY;
	snprintf(c.subnet, sizeof(c.subnet), "10.77.0.0/24");
	snprintf(c.dhcp_start, sizeof(c.dhcp_start), "10.77.0.100");
	snprintf(c.dhcp_end, sizeof(c.dhcp_end), "10.77.0.150");
	ck_assert_msg(drv->ops->net_define(drv, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(drv->ops->net_get_config(drv, "lab", &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.mode, NET_MODE_HOSTONLY);
	ck_assert_str_eq(back.subnet, "10.77.0.0/24");
	ck_assert_str_eq(back.dhcp_start, "10.77.0.100");
	ck_assert_int_eq(drv->ops->net_start(drv, "lab", err, sizeof(err)), 0);
	ck_assert_int_eq(drv->ops->net_set_autostart(drv, "lab", true, err, sizeof(err)), 0);
	ck_assert_int_eq(drv->ops->net_list(drv, &nets, &n, err, sizeof(err)), 0);
	ni = find_net(nets, n, "lab");
	ck_assert_ptr_nonnull(ni);
	ck_assert_int_eq(ni->state, NET_STATE_ACTIVE);
	ck_assert(ni->autostart);
	free(nets);
	ck_assert_int_eq(drv->ops->net_undefine(drv, "lab", err, sizeof(err)), -EBUSY);
	assert_contains(err, "net-stop lab");
	ck_assert_int_eq(drv->ops->net_stop(drv, "lab", err, sizeof(err)), 0);
	ck_assert_int_eq(drv->ops->net_undefine(drv, "lab", err, sizeof(err)), 0);
	ck_assert_int_eq(drv->ops->net_get_config(drv, "lab", &back, err, sizeof(err)), -ENOENT);
	assert_contains(err, "'lab'");

	/* The running VM on "default" keeps it up. */
	ck_assert_int_eq(drv->ops->net_stop(drv, "default", err, sizeof(err)), -EBUSY);
	assert_contains(err, "test");
	ck_assert_int_eq(drv->ops->net_undefine(drv, "default", err, sizeof(err)), -EBUSY);
	c.mode = NET_MODE_HOSTONLY;
	snprintf(c.dhcp_start, sizeof(c.dhcp_start), "10.78.0.5");
	ck_assert_int_eq(drv->ops->net_define(drv, &c, err, sizeof(err)), -EINVAL);
	assert_contains(err, "10.78.0.5");
	driver_close(drv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("libvirt_driver");
	TCase *tc = tcase_create("test_driver");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_uri_dispatch);
	tcase_add_test(tc, test_list_info);
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_define_config_undefine);
	tcase_add_test(tc, test_clone_and_unsupported);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_networks);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
