/* SPDX-License-Identifier: MIT */
/* Through the drop-in libxenevtchn, two domains A and B:
 *  - bind_unbound_port / bind_interdomain connect; notify reaches the
 *    peer (and the binder's new port starts pending, as in Xen);
 *    xenevtchn_fd is readable exactly when an event is pending;
 *    pending returns the port and leaves it masked (more notifies are held
 *    back and delivered once on unmask); with O_NONBLOCK pending is EAGAIN;
 *  - bad ports: notify/unbind of a port the handle has not bound is -1 with
 *    ENOTCONN (Linux's evtchn driver); unmask of one is -1/EINVAL;
 *    bind_interdomain to a port the peer never offered fails;
 *  - xenevtchn_restrict as Linux's IOCTL_EVTCHN_RESTRICT_DOMID: not to
 *    domain 0 or a reserved id (EINVAL), once only (EACCES), then no
 *    unbound ports (EACCES), interdomain binds to that domain only (EACCES
 *    for another), already-bound ports keep working;
 *  - bind_virq and fdopen are ENOSYS;
 *  - xenevtchn_close releases the ports still bound (descriptor count). */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include <xenevtchn.h>

#include "compat_util.h"
#include "umx_test.h"

static void *L;
#define E(fn) COMPAT_SYM(L, fn)

struct pipes {
	int a2b[2], b2a[2], p2b[2];
	uint32_t b;
};

static int side_a(void *arg)
{
	struct pipes *p = arg;
	xenevtchn_handle *x, *r;
	int pa, fd, fl, pr, extra;

	close(p->a2b[0]);
	close(p->b2a[1]);
	CHILD_CHECK((L = compat_lib("libxenevtchn.so.1")));
	CHILD_CHECK((x = E(xenevtchn_open)(NULL, 0)));
	CHILD_CHECK((fd = E(xenevtchn_fd)(x)) >= 0);
	CHILD_CHECK((pa = E(xenevtchn_bind_unbound_port)(x, p->b)) >= 0);
	CHILD_CHECK(compat_readable(fd, 0) == 0); /* before B can notify */
	CHILD_CHECK(umx_test_put_u32(p->a2b[1], (uint32_t)pa) == 0);

	/* B notified once. */
	CHILD_CHECK(umx_test_get_u32(p->b2a[0]) == 1);
	CHILD_CHECK(compat_readable(fd, 5000) == 1);
	CHILD_CHECK(E(xenevtchn_pending)(x) == pa);
	CHILD_CHECK(compat_readable(fd, 0) == 0); /* masked: nothing pending */
	CHILD_CHECK(umx_test_put_u32(p->a2b[1], 2) == 0);
	/* B notified twice more while the port was masked. */
	CHILD_CHECK(umx_test_get_u32(p->b2a[0]) == 2);
	CHILD_CHECK(compat_readable(fd, 300) == 0);
	CHILD_CHECK(E(xenevtchn_unmask)(x, (evtchn_port_t)pa) == 0);
	CHILD_CHECK(compat_readable(fd, 5000) == 1);
	CHILD_CHECK(E(xenevtchn_pending)(x) == pa);
	CHILD_CHECK(E(xenevtchn_unmask)(x, (evtchn_port_t)pa) == 0);
	CHILD_CHECK(compat_readable(fd, 300) == 0); /* the two became one */
	/* Non-blocking descriptor: pending says EAGAIN instead of waiting. */
	CHILD_CHECK((fl = fcntl(fd, F_GETFL)) >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_pending)(x) == -1 && errno == EAGAIN);
	CHILD_CHECK(E(xenevtchn_notify)(x, (evtchn_port_t)pa) == 0); /* A -> B */

	/* Bad ports. */
	errno = 0;
	CHILD_CHECK(E(xenevtchn_notify)(x, 4000) == -1 && errno == ENOTCONN);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_unbind)(x, 4000) == -1 && errno == ENOTCONN);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_unmask)(x, 4000) == -1 && errno == EINVAL);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_bind_interdomain)(x, p->b, 4000) == -1 && errno != 0);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_bind_virq)(x, 1) == -1 && errno == ENOSYS);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_fdopen)(NULL, 0, 0) == NULL && errno == ENOSYS);

	/* Restrict. */
	CHILD_CHECK((r = E(xenevtchn_open)(NULL, 0)));
	CHILD_CHECK((extra = E(xenevtchn_bind_unbound_port)(r, p->b)) >= 0); /* bound before */
	errno = 0;
	CHILD_CHECK(E(xenevtchn_restrict)(r, 0) == -1 && errno == EINVAL);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_restrict)(r, DOMID_FIRST_RESERVED) == -1 && errno == EINVAL);
	CHILD_CHECK(E(xenevtchn_restrict)(r, (domid_t)p->b) == 0);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_restrict)(r, (domid_t)p->b) == -1 && errno == EACCES);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_bind_unbound_port)(r, p->b) == -1 && errno == EACCES);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_bind_interdomain)(r, 0, 1) == -1 && errno == EACCES);
	CHILD_CHECK(umx_test_put_u32(p->a2b[1], 3) == 0);
	CHILD_CHECK((pr = E(xenevtchn_bind_interdomain)(r, p->b, umx_test_get_u32(p->b2a[0]))) >=
	            0);
	CHILD_CHECK(E(xenevtchn_notify)(r, (evtchn_port_t)pr) == 0);
	CHILD_CHECK(E(xenevtchn_notify)(r, (evtchn_port_t)extra) == 0);
	CHILD_CHECK(E(xenevtchn_unbind)(r, (evtchn_port_t)extra) == 0);
	errno = 0;
	CHILD_CHECK(E(xenevtchn_notify)(r, (evtchn_port_t)extra) == -1 && errno == ENOTCONN);
	CHILD_CHECK(umx_test_get_u32(p->b2a[0]) == 4);
	CHILD_CHECK(E(xenevtchn_close)(r) == 0);
	CHILD_CHECK(E(xenevtchn_unbind)(x, (evtchn_port_t)pa) == 0);
	CHILD_CHECK(E(xenevtchn_close)(x) == 0);

	/* Close releases the ports it still has bound: no descriptor left. */
	{
		int fds0 = umx_test_count_fds(getpid());

		CHILD_CHECK((r = E(xenevtchn_open)(NULL, 0)));
		for (int i = 0; i < 8; i++)
			CHILD_CHECK(E(xenevtchn_bind_unbound_port)(r, p->b) >= 0);
		CHILD_CHECK(umx_test_count_fds(getpid()) > fds0);
		CHILD_CHECK(E(xenevtchn_close)(r) == 0);
		CHILD_CHECK(umx_test_count_fds(getpid()) == fds0);
	}
	CHILD_CHECK(umx_test_put_u32(p->a2b[1], 5) == 0); /* B may go */
	return 0;
}

static int side_b(void *arg)
{
	struct pipes *p = arg;
	xenevtchn_handle *x;
	uint32_t adom;
	int pb, pb2, fd;

	close(p->a2b[1]);
	close(p->b2a[0]);
	CHILD_CHECK((L = compat_lib("libxenevtchn.so.1")));
	CHILD_CHECK((adom = umx_test_get_u32(p->p2b[0])) != 0xffffffffu);
	CHILD_CHECK((x = E(xenevtchn_open)(NULL, 0)));
	fd = E(xenevtchn_fd)(x);
	CHILD_CHECK((pb = E(xenevtchn_bind_interdomain)(x, adom, umx_test_get_u32(p->a2b[0]))) >=
	            0);
	/* As in Xen, the binder's new port starts pending (a notify racing
	 * with the bind is not lost). */
	CHILD_CHECK(compat_readable(fd, 5000) == 1);
	CHILD_CHECK(E(xenevtchn_pending)(x) == pb);
	CHILD_CHECK(E(xenevtchn_unmask)(x, (evtchn_port_t)pb) == 0);
	CHILD_CHECK(E(xenevtchn_notify)(x, (evtchn_port_t)pb) == 0);
	CHILD_CHECK(umx_test_put_u32(p->b2a[1], 1) == 0);
	CHILD_CHECK(umx_test_get_u32(p->a2b[0]) == 2);
	CHILD_CHECK(E(xenevtchn_notify)(x, (evtchn_port_t)pb) == 0);
	CHILD_CHECK(E(xenevtchn_notify)(x, (evtchn_port_t)pb) == 0);
	CHILD_CHECK(umx_test_put_u32(p->b2a[1], 2) == 0);
	/* A's notify back; it arrives before A's next message. */
	CHILD_CHECK(compat_readable(fd, 5000) == 1);
	CHILD_CHECK(E(xenevtchn_pending)(x) == pb);
	CHILD_CHECK(E(xenevtchn_unmask)(x, (evtchn_port_t)pb) == 0);
	CHILD_CHECK(umx_test_get_u32(p->a2b[0]) == 3);
	CHILD_CHECK((pb2 = E(xenevtchn_bind_unbound_port)(x, adom)) >= 0);
	CHILD_CHECK(umx_test_put_u32(p->b2a[1], (uint32_t)pb2) == 0);
	/* The restricted handle's notify arrives. */
	CHILD_CHECK(compat_readable(fd, 5000) == 1);
	CHILD_CHECK(E(xenevtchn_pending)(x) == pb2);
	CHILD_CHECK(umx_test_put_u32(p->b2a[1], 4) == 0);
	CHILD_CHECK(umx_test_get_u32(p->a2b[0]) == 5);
	CHILD_CHECK(E(xenevtchn_close)(x) == 0);
	return 0;
}

static void evtchn_bind_notify_pending_unmask_bad_ports_and_restrict(void **state)
{
	struct umx_test_daemon d;
	struct pipes p;
	uint32_t adom, bdom;
	pid_t apid, bpid;

	(void)state;
	assert_int_equal(pipe(p.a2b), 0);
	assert_int_equal(pipe(p.b2a), 0);
	assert_int_equal(pipe(p.p2b), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "b", side_b, &p, &bdom, &bpid), 0);
	p.b = bdom;
	assert_int_equal(umx_test_domain_fork(&d, "a", side_a, &p, &adom, &apid), 0);
	assert_int_equal(umx_test_put_u32(p.p2b[1], adom), 0);
	for (int i = 0; i < 2; i++) {
		close(p.a2b[i]);
		close(p.b2a[i]);
	}
	assert_int_equal(umx_test_domain_reap(&d, adom, apid), 0);
	assert_int_equal(umx_test_domain_reap(&d, bdom, bpid), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(evtchn_bind_notify_pending_unmask_bad_ports_and_restrict),
	};
	if (!getenv("UMX")) {
		printf("SKIP: UMX not set (run under ctest)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
