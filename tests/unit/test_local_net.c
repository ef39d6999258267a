/* The local driver's networks without running anything (backend/local/
 * network.c): the --nic argument built for each kind of network, and the
 * definitions through the driver against a temporary store (default
 * network, define/undefine refusals, NIC networks and MACs of define, set
 * and clone). Needs neither /dev/kvm nor virtty-netd. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driver.h"
#include "local/local_priv.h"
#include "net/netcfg.h"
#include "store/store.h"

static char buf[LOCAL_NIC_ARG_MAX], err[1024];

static struct net_config nat_net(const char *name)
{
	struct net_config n = {.mode = NET_MODE_NAT};

	snprintf(n.name, sizeof(n.name), "%s", name);
	return n;
}

static struct net_forward fwd(bool udp, uint16_t hport, const char *vm, const char *addr,
			      uint16_t gport)
{
	struct net_forward f = {.udp = udp, .host_port = hport, .guest_port = gport};

	snprintf(f.guest_vm, sizeof(f.guest_vm), "%s", vm);
	snprintf(f.guest_addr, sizeof(f.guest_addr), "%s", addr);
	return f;
}

static const struct vm_nic nic_ok = {"default", "52:54:00:12:34:56"};

START_TEST(nat_nic_gets_user_backend_with_defaults)
{
	struct net_config n = nat_net("default");

	ck_assert_int_eq(
	    local_nic_arg("web", &nic_ok, &n, true, "/unused", buf, sizeof(buf), err, sizeof(err)),
	    0);
	/* The default subnet and libslirp's first DHCP address. */
	ck_assert_str_eq(buf, "user,mac=52:54:00:12:34:56,net=10.0.2.0/24,dhcpstart=10.0.2.15");
}
END_TEST

START_TEST(nat_nic_carries_only_its_vms_forwards)
{
	struct net_config n = nat_net("lan");

	snprintf(n.subnet, sizeof(n.subnet), "10.9.0.0/24");
	snprintf(n.dhcp_start, sizeof(n.dhcp_start), "10.9.0.50");
	snprintf(n.dhcp_end, sizeof(n.dhcp_end), "10.9.0.60");
	n.forwards[n.nr_forwards++] = fwd(false, 2222, "web", "", 22);
	n.forwards[n.nr_forwards++] = fwd(false, 2223, "db", "", 22);
	n.forwards[n.nr_forwards] = fwd(true, 5353, "web", "", 53);
	snprintf(n.forwards[n.nr_forwards++].host_addr, 16, "0.0.0.0");

	ck_assert_int_eq(
	    local_nic_arg("web", &nic_ok, &n, true, "/unused", buf, sizeof(buf), err, sizeof(err)),
	    0);
	ck_assert_str_eq(buf, "user,mac=52:54:00:12:34:56,net=10.9.0.0/24,dhcpstart=10.9.0.50,"
			      "hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp:0.0.0.0:5353-:53");
	/* A second NIC on the same network: a host port binds only once. */
	ck_assert_int_eq(
	    local_nic_arg("web", &nic_ok, &n, false, "/unused", buf, sizeof(buf), err, sizeof(err)),
	    0);
	ck_assert_ptr_null(strstr(buf, "hostfwd"));
}
END_TEST

START_TEST(switched_nics_get_the_port_socket)
{
	static const enum net_mode modes[] = {NET_MODE_NATNET, NET_MODE_INTERNAL, NET_MODE_HOSTONLY,
					      NET_MODE_BRIDGED};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct net_config n = nat_net("seg");

		n.mode = modes[i];
		/* natnet forwards live in the switch, never on a NIC. */
		n.forwards[n.nr_forwards++] = fwd(false, 8080, "", "10.0.2.15", 80);
		ck_assert_int_eq(local_nic_arg("web", &nic_ok, &n, true,
					       "/run/virtty/net/seg/port.sock", buf, sizeof(buf),
					       err, sizeof(err)),
				 0);
		ck_assert_str_eq(buf, "socket,path=/run/virtty/net/seg/port.sock,"
				      "mac=52:54:00:12:34:56");
	}
}
END_TEST

START_TEST(bad_nic_input_is_refused_with_names)
{
	struct net_config n = nat_net("seg");
	struct vm_nic bad = {"seg", "ff:ff:ff:ff:ff:ff"}; /* broadcast */
	char small[24];

	ck_assert_int_eq(
	    local_nic_arg("web", &bad, &n, true, "/x", buf, sizeof(buf), err, sizeof(err)),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "VM 'web'"));
	ck_assert_ptr_nonnull(strstr(err, "'seg'"));

	n.mode = NET_MODE_INTERNAL;
	ck_assert_int_eq(local_nic_arg("web", &nic_ok, &n, true, "/tmp/a,b/port.sock", buf,
				       sizeof(buf), err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "comma"));

	ck_assert_int_eq(local_nic_arg("web", &nic_ok, &n, true, "/x/port.sock", small,
				       sizeof(small), err, sizeof(err)),
			 -ENAMETOOLONG);
}
END_TEST

/* ---- through the driver, against a temporary store ---- */

static char tmp[256];
static struct driver *drv;
static struct store st; /* the same store, to look at it directly */

static void setup(void)
{
	char path[600];

	snprintf(tmp, sizeof(tmp), "/tmp/virtty-localnet-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/store", tmp);
	setenv("VIRTTY_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/run", tmp);
	setenv("VIRTTY_RUNTIME_DIR", path, 1);
	drv = driver_open("local", err, sizeof(err));
	ck_assert_msg(drv != NULL, "driver_open: %s", err);
	ck_assert_int_eq(store_open(&st, err, sizeof(err)), 0);
}

static void teardown(void)
{
	char cmd[512];

	driver_close(drv);
	drv = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

/* A VM (never started: the kernel only has to exist) with NICs on nets. */
static int define_vm(const char *name, int nr, const char *const *nets, const char *const *macs)
{
	struct vm_config *cfg = calloc(1, sizeof(*cfg));
	int r;

	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	snprintf(cfg->kernel, sizeof(cfg->kernel), "/bin/sh");
	cfg->vcpus = 1;
	cfg->memory_mib = 32;
	cfg->nr_nics = nr;
	for (int i = 0; i < nr; i++) {
		snprintf(cfg->nics[i].network, sizeof(cfg->nics[i].network), "%s", nets[i]);
		if (macs && macs[i])
			snprintf(cfg->nics[i].mac, sizeof(cfg->nics[i].mac), "%s", macs[i]);
	}
	r = drv->ops->define(drv, cfg, NULL, 0, NULL, err, sizeof(err));
	free(cfg);
	return r;
}

static struct vm_config *config_of(const char *name)
{
	static struct vm_config cfg;

	ck_assert_msg(drv->ops->get_config(drv, name, &cfg, err, sizeof(err)) == 0, "%s", err);
	return &cfg;
}

static int define_net(const char *name, enum net_mode mode, const char *subnet)
{
	struct net_config n = nat_net(name);

	n.mode = mode;
	if (subnet)
		snprintf(n.subnet, sizeof(n.subnet), "%s", subnet);
	return drv->ops->net_define(drv, &n, err, sizeof(err));
}

START_TEST(a_new_store_has_the_default_nat_network)
{
	struct net_info *list;
	struct net_config n;
	int count;

	ck_assert_int_eq(drv->ops->net_list(drv, &list, &count, err, sizeof(err)), 0);
	ck_assert_int_eq(count, 1);
	ck_assert_str_eq(list[0].name, "default");
	ck_assert_int_eq(list[0].mode, NET_MODE_NAT);
	ck_assert_int_eq(list[0].state, NET_STATE_ACTIVE);
	free(list);
	ck_assert_int_eq(drv->ops->net_get_config(drv, "default", &n, err, sizeof(err)), 0);
	ck_assert_str_eq(n.subnet, "10.0.2.0/24");
}
END_TEST

START_TEST(net_define_refuses_duplicates_and_overlaps)
{
	ck_assert_int_eq(define_net("default", NET_MODE_NAT, NULL), -EEXIST);
	ck_assert_int_eq(define_net("seg1", NET_MODE_NATNET, "10.77.0.0/24"), 0);
	ck_assert_int_eq(define_net("seg2", NET_MODE_NATNET, "10.77.0.0/16"), -EINVAL);
	ck_assert_msg(strstr(err, "seg1") != NULL, "the message names the other network: %s", err);
	ck_assert_int_eq(store_net_exists(&st, "seg2"), false);
	ck_assert_int_eq(
	    drv->ops->net_get_config(drv, "seg2", &(struct net_config){0}, err, sizeof(err)),
	    -ENOENT);
}
END_TEST

START_TEST(vm_nics_get_stable_unique_macs)
{
	static const char *const one[] = {"default"}, *const two[] = {"default", "lan"};
	char mac_a[18];
	struct vm_settings set = {.set_nics = true, .nr_nics = 2};
	bool later;

	ck_assert_int_eq(define_net("lan", NET_MODE_INTERNAL, NULL), 0);
	ck_assert_msg(define_vm("a", 1, one, NULL) == 0, "%s", err);
	snprintf(mac_a, sizeof(mac_a), "%s", config_of("a")->nics[0].mac);
	ck_assert(netcfg_mac_valid(mac_a));
	/* What the VMM would derive by itself (salt 0). */
	{
		char derived[18];

		netcfg_make_mac("a", 0, 0, derived);
		ck_assert_str_eq(mac_a, derived);
	}
	/* A MAC in use by another VM is refused, naming that VM. */
	ck_assert_int_eq(define_vm("b", 1, one, (const char *const[]){mac_a}), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "'a'"));
	ck_assert(!store_vm_exists(&st, "b"));
	/* A network that does not exist is refused, and nothing is written. */
	ck_assert_int_eq(define_vm("c", 1, (const char *const[]){"nowhere"}, NULL), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "'nowhere'"));
	ck_assert(!store_vm_exists(&st, "c"));

	/* set: NIC 0 keeps its MAC, the new NIC 1 gets another. */
	snprintf(set.nics[0].network, sizeof(set.nics[0].network), "%s", two[0]);
	snprintf(set.nics[1].network, sizeof(set.nics[1].network), "%s", two[1]);
	ck_assert_msg(drv->ops->set(drv, "a", &set, &later, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!later);
	ck_assert_int_eq(config_of("a")->nr_nics, 2);
	ck_assert_str_eq(config_of("a")->nics[0].mac, mac_a);
	ck_assert_str_eq(config_of("a")->nics[1].network, "lan");
	ck_assert_str_ne(config_of("a")->nics[1].mac, mac_a);

	/* A clone's NICs get MACs of their own. */
	ck_assert_msg(drv->ops->clone(drv, "a", "a2", NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_ne(config_of("a2")->nics[0].mac, mac_a);
	ck_assert_str_eq(config_of("a2")->nics[1].network, "lan");
}
END_TEST

START_TEST(a_network_in_use_cannot_be_deleted)
{
	static const char *const nets[] = {"lan"};
	struct net_info *list;
	int count;

	ck_assert_int_eq(define_net("lan", NET_MODE_INTERNAL, NULL), 0);
	ck_assert_msg(define_vm("web", 1, nets, NULL) == 0, "%s", err);
	ck_assert_msg(define_vm("db", 1, nets, NULL) == 0, "%s", err);
	ck_assert_int_eq(drv->ops->net_undefine(drv, "lan", err, sizeof(err)), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err, "web"));
	ck_assert_ptr_nonnull(strstr(err, "db"));
	ck_assert_int_eq(drv->ops->net_list(drv, &list, &count, err, sizeof(err)), 0);
	ck_assert_int_eq(count, 2);
	ck_assert_str_eq(list[1].name, "lan");
	ck_assert_int_eq(list[1].nr_vms, 2);
	ck_assert_int_eq(list[1].nr_running, 0);
	ck_assert_int_eq(list[1].state, NET_STATE_INACTIVE);
	free(list);
	/* Stopping a network that does not run says so. */
	ck_assert_int_eq(drv->ops->net_stop(drv, "lan", err, sizeof(err)), -ESRCH);

	ck_assert_int_eq(drv->ops->undefine(drv, "web", 0, err, sizeof(err)), 0);
	ck_assert_int_eq(drv->ops->undefine(drv, "db", 0, err, sizeof(err)), 0);
	ck_assert_msg(drv->ops->net_undefine(drv, "lan", err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(drv->ops->net_undefine(drv, "lan", err, sizeof(err)), -ENOENT);
}
END_TEST

START_TEST(forwards_are_checked_before_they_are_stored)
{
	static const char *const nets[] = {"default"};
	struct net_forward f = fwd(false, 0, "web", "", 22);
	struct net_config n;
	int holder;

	ck_assert_msg(define_vm("web", 1, nets, NULL) == 0, "%s", err);
	/* A port nobody uses: taken and stored (the VM does not run). */
	holder = socket(AF_INET, SOCK_STREAM, 0);
	{
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t len = sizeof(sa);

		ck_assert_int_eq(bind(holder, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(listen(holder, 1), 0);
		ck_assert_int_eq(getsockname(holder, (struct sockaddr *)&sa, &len), 0);
		f.host_port = ntohs(sa.sin_port);
	}
	/* Busy: refused, nothing stored. */
	ck_assert_int_ne(drv->ops->net_forward(drv, "default", &f, true, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "not free"));
	ck_assert_int_eq(drv->ops->net_get_config(drv, "default", &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n.nr_forwards, 0);
	close(holder);
	ck_assert_msg(drv->ops->net_forward(drv, "default", &f, true, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_int_eq(drv->ops->net_get_config(drv, "default", &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n.nr_forwards, 1);
	ck_assert_str_eq(n.forwards[0].guest_vm, "web");
	/* Twice: refused. A VM without a NIC there: refused. */
	ck_assert_int_eq(drv->ops->net_forward(drv, "default", &f, true, err, sizeof(err)),
			 -EEXIST);
	f.host_port++;
	snprintf(f.guest_vm, sizeof(f.guest_vm), "ghost");
	ck_assert_int_eq(drv->ops->net_forward(drv, "default", &f, true, err, sizeof(err)),
			 -ENOENT);
	/* Removed by its host side. */
	f.host_port--;
	ck_assert_msg(drv->ops->net_forward(drv, "default", &f, false, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_int_eq(drv->ops->net_get_config(drv, "default", &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n.nr_forwards, 0);
	ck_assert_int_eq(drv->ops->net_forward(drv, "default", &f, false, err, sizeof(err)),
			 -ENOENT);
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("local_net");
	TCase *pure = tcase_create("nic_arg"), *tc = tcase_create("driver");

	tcase_add_test(pure, nat_nic_gets_user_backend_with_defaults);
	tcase_add_test(pure, nat_nic_carries_only_its_vms_forwards);
	tcase_add_test(pure, switched_nics_get_the_port_socket);
	tcase_add_test(pure, bad_nic_input_is_refused_with_names);
	suite_add_tcase(s, pure);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_new_store_has_the_default_nat_network);
	tcase_add_test(tc, net_define_refuses_duplicates_and_overlaps);
	tcase_add_test(tc, vm_nics_get_stable_unique_macs);
	tcase_add_test(tc, a_network_in_use_cannot_be_deleted);
	tcase_add_test(tc, forwards_are_checked_before_they_are_stored);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(net_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
