/* SPDX-License-Identifier: MIT */
/* The drop-in libxenctrl.so.4.17 and libxenforeignmemory.so.1, as Debian's
 * xenconsoled and xenconsole call them:
 *  - xc_interface_open as the toolstack; with no umxd and outside a domain
 *    it fails (NULL, errno set), as Xen's does without privcmd;
 *  - xc_domain_getinfo: domain 0 (the toolstack) first; then umx domains
 *    in domid order from first_domid, the caller's "domid + 1" loop seeing
 *    each once; a running domain is running, not dying; one whose process
 *    has exited is dying and shut down (poweroff) until its record goes;
 *    max_doms bounds the answer and 0 past the last domain;
 *  - xc_evtchn_status of the caller's own ports (a domain): unbound (to
 *    whom), interdomain (remote domid and port, both ends), back to
 *    unbound when the other end closes, closed for a free port, EINVAL for
 *    port 0 and past the table; another domain's port is ENOSYS;
 *  - xc_readconsolering is ENOSYS;
 *  - libxenforeignmemory: open/close work; map and map2 fail with ENOSYS
 *    and -ENOSYS in every err[]; unmap is EINVAL (nothing was mapped);
 *    restrict follows privcmd (reserved ids EINVAL, a second domain
 *    EPERM); map_resource/resource_size ENOSYS. */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>

#include "compat_util.h"
#include "umx/conn.h"
#include "umx_test.h"

static void *C, *F, *V;
#define X(fn)  COMPAT_SYM(C, fn)
#define FM(fn) COMPAT_SYM(F, fn)
#define EV(fn) COMPAT_SYM(V, fn)

/* getinfo of exactly one domain at or after @first; its domid or -1. */
static int one(xc_interface *xc, uint32_t first, xc_dominfo_t *info)
{
	int n = X(xc_domain_getinfo)(xc, first, 1, info);
	return n == 1 ? (int)info->domid : n == 0 ? -1 : -2;
}

static int exits_at_once(void *arg)
{
	(void)arg;
	return 0;
}

/* A domain: its own ports through libxenevtchn, their state through
 * xc_evtchn_status; @arg names an idle domain (another domain's ports). */
static int evtchn_status_domain(void *arg)
{
	uint32_t other = *(uint32_t *)arg, me;
	xc_interface *xc;
	xenevtchn_handle *e;
	umx_conn *self;
	xc_evtchn_status_t st;
	int pu, pb;

	CHILD_CHECK((C = compat_lib("libxenctrl.so.4.17")));
	CHILD_CHECK((V = compat_lib("libxenevtchn.so.1")));
	CHILD_CHECK((xc = X(xc_interface_open)(NULL, NULL, 0)));
	CHILD_CHECK((e = EV(xenevtchn_open)(NULL, 0)));
	CHILD_CHECK_OK(umx_conn_open_domain(&self));
	me = umx_conn_domid(self);
	umx_conn_close(self);

	/* Loopback: a port offered to ourselves, then bound by ourselves. */
	CHILD_CHECK((pu = EV(xenevtchn_bind_unbound_port)(e, me)) > 0);
	st = (xc_evtchn_status_t){.dom = DOMID_SELF, .port = (evtchn_port_t)pu};
	CHILD_CHECK(X(xc_evtchn_status)(xc, &st) == 0);
	CHILD_CHECK(st.status == EVTCHNSTAT_unbound && st.u.unbound.dom == me);
	CHILD_CHECK((pb = EV(xenevtchn_bind_interdomain)(e, me, (evtchn_port_t)pu)) > 0);
	st = (xc_evtchn_status_t){.dom = DOMID_SELF, .port = (evtchn_port_t)pb};
	CHILD_CHECK(X(xc_evtchn_status)(xc, &st) == 0);
	CHILD_CHECK(st.status == EVTCHNSTAT_interdomain && st.u.interdomain.dom == me &&
	            st.u.interdomain.port == (evtchn_port_t)pu);
	/* Our own domid names us as DOMID_SELF does. */
	st = (xc_evtchn_status_t){.dom = (domid_t)me, .port = (evtchn_port_t)pu};
	CHILD_CHECK(X(xc_evtchn_status)(xc, &st) == 0);
	CHILD_CHECK(st.status == EVTCHNSTAT_interdomain &&
	            st.u.interdomain.port == (evtchn_port_t)pb);
	/* Closing one end leaves the other unbound towards us (Xen). */
	CHILD_CHECK(EV(xenevtchn_unbind)(e, (evtchn_port_t)pb) == 0);
	st = (xc_evtchn_status_t){.dom = DOMID_SELF, .port = (evtchn_port_t)pu};
	CHILD_CHECK(X(xc_evtchn_status)(xc, &st) == 0);
	CHILD_CHECK(st.status == EVTCHNSTAT_unbound && st.u.unbound.dom == me);
	/* The closed end's slot is free: closed, not an error. */
	st = (xc_evtchn_status_t){.dom = DOMID_SELF, .port = (evtchn_port_t)pb};
	CHILD_CHECK(X(xc_evtchn_status)(xc, &st) == 0 && st.status == EVTCHNSTAT_closed);
	/* Port 0 and ports past the table are invalid (Xen's port_is_valid). */
	st = (xc_evtchn_status_t){.dom = DOMID_SELF, .port = 0};
	errno = 0;
	CHILD_CHECK(X(xc_evtchn_status)(xc, &st) == -1 && errno == EINVAL);
	st = (xc_evtchn_status_t){.dom = DOMID_SELF, .port = 100000};
	errno = 0;
	CHILD_CHECK(X(xc_evtchn_status)(xc, &st) == -1 && errno == EINVAL);
	/* Another domain's port: umxd tells a domain about its own only. */
	st = (xc_evtchn_status_t){.dom = (domid_t)other, .port = 1};
	errno = 0;
	CHILD_CHECK(X(xc_evtchn_status)(xc, &st) == -1 && errno == ENOSYS);

	CHILD_CHECK(EV(xenevtchn_close)(e) == 0);
	CHILD_CHECK(X(xc_interface_close)(xc) == 0);
	return 0;
}

static void ctrl_getinfo_lists_domains_in_order_with_xen_flags(void **state)
{
	struct umx_test_daemon d;
	xc_interface *xc;
	xc_dominfo_t info[8];
	uint32_t a, b, q;
	pid_t apid, bpid, qpid;
	int i, n;

	(void)state;
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_non_null((C = compat_lib("libxenctrl.so.4.17")));
	assert_non_null((xc = X(xc_interface_open)(NULL, NULL, 0)));
	/* Only the toolstack: domain 0, running, and nothing after it. */
	assert_int_equal(one(xc, 0, &info[0]), 0);
	assert_true(info[0].running && !info[0].dying && !info[0].hvm);
	assert_int_equal(one(xc, 1, &info[0]), -1);
	assert_int_equal(X(xc_domain_getinfo)(xc, 0, 0, info), 0);

	assert_int_equal(umx_test_domain_fork(&d, "a", umx_test_domain_idle, NULL, &a, &apid), 0);
	assert_int_equal(umx_test_domain_fork(&d, "b", umx_test_domain_idle, NULL, &b, &bpid), 0);
	/* xenconsoled's enumeration: from 1, each domain once, in order. */
	for (i = 0; i < 500 && (one(xc, b, &info[0]) != (int)b || !info[0].running); i++)
		usleep(10000);
	uint32_t next = 1, seen[2];
	n = 0;
	while (one(xc, next, &info[0]) >= 0) {
		assert_true(n < 2);
		assert_true(info[0].domid >= next);
		assert_true(info[0].running && !info[0].dying && !info[0].shutdown &&
		            !info[0].paused && info[0].nr_online_vcpus == 1);
		seen[n++] = info[0].domid;
		next = info[0].domid + 1;
	}
	assert_int_equal(n, 2);
	assert_int_equal(seen[0], a);
	assert_int_equal(seen[1], b);
	/* Several at once, bounded by max_doms. */
	assert_int_equal(X(xc_domain_getinfo)(xc, 0, 8, info), 3);
	assert_int_equal(info[0].domid, 0);
	assert_int_equal(info[1].domid, a);
	assert_int_equal(info[2].domid, b);
	assert_int_equal(X(xc_domain_getinfo)(xc, 0, 2, info), 2);
	assert_int_equal(X(xc_domain_getinfo)(xc, b + 1, 8, info), 0);

	/* A domain whose process ended: dying and shut down (poweroff) until
	 * its launcher reports the exit and the record goes. */
	assert_int_equal(umx_test_domain_fork(&d, "q", exits_at_once, NULL, &q, &qpid), 0);
	for (i = 0; i < 500 && !(one(xc, q, &info[0]) == (int)q && info[0].dying); i++)
		usleep(10000);
	assert_int_equal(info[0].domid, q);
	assert_true(info[0].dying && info[0].shutdown && !info[0].running);
	assert_int_equal(info[0].shutdown_reason, SHUTDOWN_poweroff);
	assert_int_equal(umx_test_domain_reap(&d, q, qpid), 0);
	for (i = 0; i < 500 && one(xc, q, &info[0]) == (int)q; i++)
		usleep(10000);
	assert_int_equal(one(xc, q, &info[0]), -1);

	/* xc_evtchn_status, inside a domain; the toolstack has no ports. */
	xc_evtchn_status_t st = {.dom = DOMID_SELF, .port = 1};
	errno = 0;
	assert_int_equal(X(xc_evtchn_status)(xc, &st), -1);
	assert_int_equal(errno, EPERM);
	uint32_t other = a, e;
	pid_t epid;
	assert_int_equal(umx_test_domain_fork(&d, "e", evtchn_status_domain, &other, &e, &epid), 0);
	assert_int_equal(umx_test_domain_reap(&d, e, epid), 0);

	/* The hypervisor's console ring: there is none. */
	char buf[64];
	unsigned len = sizeof(buf);
	uint32_t idx = 0;
	errno = 0;
	assert_int_equal(X(xc_readconsolering)(xc, buf, &len, 0, 1, &idx), -1);
	assert_int_equal(errno, ENOSYS);

	assert_int_equal(X(xc_interface_close)(xc), 0);
	assert_int_equal(X(xc_interface_close)(NULL), 0);
	kill(apid, SIGKILL);
	kill(bpid, SIGKILL);
	umx_test_domain_reap(&d, a, apid);
	umx_test_domain_reap(&d, b, bpid);
	assert_int_equal(umx_test_daemon_stop(&d), 0);

	/* No umxd and not a domain: open fails with the reason in errno. */
	char empty[] = "/tmp/umx-xc-none-XXXXXX";
	assert_non_null(mkdtemp(empty));
	char *old = getenv("UMX_DIR") ? strdup(getenv("UMX_DIR")) : NULL;
	setenv("UMX_DIR", empty, 1);
	errno = 0;
	assert_null(X(xc_interface_open)(NULL, NULL, 0));
	assert_true(errno != 0);
	if (old)
		setenv("UMX_DIR", old, 1);
	free(old);
	rmdir(empty);
}

static void foreignmemory_opens_but_never_maps(void **state)
{
	xenforeignmemory_handle *h;
	xen_pfn_t pfn[2] = {1, 2};
	int err[2] = {0, 0};
	void *addr = NULL;
	size_t size = 0;

	(void)state;
	assert_non_null((F = compat_lib("libxenforeignmemory.so.1")));
	assert_non_null((h = FM(xenforeignmemory_open)(NULL, 0)));
	errno = 0;
	assert_null(FM(xenforeignmemory_map)(h, 1, PROT_READ | PROT_WRITE, 2, pfn, err));
	assert_int_equal(errno, ENOSYS);
	assert_int_equal(err[0], -ENOSYS);
	assert_int_equal(err[1], -ENOSYS);
	errno = 0;
	assert_null(FM(xenforeignmemory_map2)(h, 1, NULL, PROT_READ, 0, 1, pfn, NULL));
	assert_int_equal(errno, ENOSYS);
	errno = 0;
	assert_null(FM(xenforeignmemory_map)(h, 1, PROT_READ, 0, pfn, NULL));
	assert_int_equal(errno, EINVAL);
	/* Nothing was mapped, so nothing of the caller's may be unmapped. */
	errno = 0;
	assert_int_equal(FM(xenforeignmemory_unmap)(h, &size, 1), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(FM(xenforeignmemory_restrict)(h, DOMID_SELF), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(FM(xenforeignmemory_restrict)(h, 3), 0);
	assert_int_equal(FM(xenforeignmemory_restrict)(h, 3), 0);
	errno = 0;
	assert_int_equal(FM(xenforeignmemory_restrict)(h, 4), -1);
	assert_int_equal(errno, EPERM);
	errno = 0;
	assert_null(FM(xenforeignmemory_map_resource)(h, 1, 1, 0, 0, 1, &addr, PROT_READ, 0));
	assert_int_equal(errno, ENOSYS);
	errno = 0;
	assert_int_equal(FM(xenforeignmemory_resource_size)(h, 1, 1, 0, &size), -1);
	assert_int_equal(errno, ENOSYS);
	assert_int_equal(FM(xenforeignmemory_unmap_resource)(h, NULL), 0);
	assert_int_equal(FM(xenforeignmemory_close)(h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(ctrl_getinfo_lists_domains_in_order_with_xen_flags),
	        cmocka_unit_test(foreignmemory_opens_but_never_maps),
	};
	if (!getenv("UMX")) {
		printf("SKIP: UMX not set (run under ctest)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
