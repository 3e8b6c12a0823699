/* SPDX-License-Identifier: MIT */
/* A domain that gets a dead domain's domid back cannot bind the ports that
 * were offered to the dead one: neither a port allocated for it and never
 * bound, nor one it had bound and closed (which Xen leaves unbound towards
 * it). Both answer -EINVAL; a port offered to the new domain binds and
 * carries events both ways. */
#include <errno.h>

#include "domid_reuse_util.h"
#include "umx/evtchn.h"

#define DONE 0xd0e

static int keeper(void *arg)
{
	struct reuse *r = arg;
	umx_evtchn *h;
	uint32_t peer;
	int never, closed, fresh, fd = r->from_k[1];

	if (umx_evtchn_open(&h) < 0)
		return reuse_fail(fd, 10);
	peer = umx_test_get_u32(r->to_k[0]);
	never = umx_evtchn_alloc_unbound(h, peer);
	closed = umx_evtchn_alloc_unbound(h, peer);
	if (never <= 0 || closed <= 0)
		return reuse_fail(fd, 11);
	umx_test_put_u32(fd, (uint32_t)never);
	umx_test_put_u32(fd, (uint32_t)closed);
	/* The new domain has the domid now. */
	peer = umx_test_get_u32(r->to_k[0]);
	fresh = umx_evtchn_alloc_unbound(h, peer);
	if (fresh <= 0)
		return reuse_fail(fd, 12);
	umx_test_put_u32(fd, (uint32_t)fresh);
	/* The new domain binds it and notifies: the event is ours. (The old
	 * domain's close left an event on that port: skip it.) */
	for (int i = 0;; i++) {
		int p = umx_test_evtchn_wait(h);
		if (p == fresh)
			break;
		if (p != closed || i > 1)
			return reuse_fail(fd, 13);
	}
	if (umx_evtchn_unmask(h, (uint32_t)fresh) || umx_evtchn_notify(h, (uint32_t)fresh))
		return reuse_fail(fd, 14);
	if (umx_test_get_u32(r->to_k[0]) != DONE)
		return reuse_fail(fd, 15);
	umx_evtchn_close(h);
	umx_test_put_u32(fd, 0);
	return 0;
}

static int old_domain(void *arg)
{
	struct reuse *r = arg;
	umx_evtchn *h;
	uint32_t closed;
	int p, fd = r->from_x[1];

	if (umx_evtchn_open(&h) < 0)
		return reuse_fail(fd, 20);
	(void)umx_test_get_u32(r->to_x[0]); /* the port it never binds */
	closed = umx_test_get_u32(r->to_x[0]);
	p = umx_evtchn_bind_interdomain(h, r->keeper, closed);
	/* Closing our end leaves the keeper's port unbound towards us. */
	if (p <= 0)
		return reuse_fail(fd, 21);
	if (umx_evtchn_unbind(h, (uint32_t)p))
		return reuse_fail(fd, 22);
	umx_evtchn_close(h);
	umx_test_put_u32(fd, 0);
	return 0;
}

static int new_domain(void *arg)
{
	struct reuse *r = arg;
	umx_evtchn *h;
	uint32_t never, closed, fresh;
	int p, fd = r->from_x[1];

	if (umx_evtchn_open(&h) < 0)
		return reuse_fail(fd, 30);
	never = umx_test_get_u32(r->to_x[0]);
	closed = umx_test_get_u32(r->to_x[0]);
	if (umx_evtchn_bind_interdomain(h, r->keeper, never) != -EINVAL)
		return reuse_fail(fd, 31);
	if (umx_evtchn_bind_interdomain(h, r->keeper, closed) != -EINVAL)
		return reuse_fail(fd, 32);
	umx_test_put_u32(fd, 1);
	fresh = umx_test_get_u32(r->to_x[0]);
	p = umx_evtchn_bind_interdomain(h, r->keeper, fresh);
	if (p <= 0)
		return reuse_fail(fd, 33);
	/* A new binding starts pending (Xen); take that, then talk. */
	if (umx_test_evtchn_wait(h) != p || umx_evtchn_unmask(h, (uint32_t)p) ||
	    umx_evtchn_notify(h, (uint32_t)p) || umx_test_evtchn_wait(h) != p)
		return reuse_fail(fd, 34);
	umx_test_put_u32(fd, 0);
	umx_evtchn_close(h);
	return 0;
}

static void test_reused_domid_inherits_no_port(void **state)
{
	struct reuse r;
	uint32_t never, closed, fresh;
	(void)state;

	reuse_start(&r, keeper, old_domain);
	umx_test_put_u32(r.to_k[1], r.old);
	never = umx_test_get_u32(r.from_k[0]);
	closed = umx_test_get_u32(r.from_k[0]);
	umx_test_put_u32(r.to_x[1], never);
	umx_test_put_u32(r.to_x[1], closed);
	assert_int_equal(umx_test_get_u32(r.from_x[0]), 0); /* bound and closed */
	reuse_cycle(&r, new_domain);
	umx_test_put_u32(r.to_x[1], never);
	umx_test_put_u32(r.to_x[1], closed);
	assert_int_equal(umx_test_get_u32(r.from_x[0]), 1); /* both binds refused */
	umx_test_put_u32(r.to_k[1], r.new_);
	fresh = umx_test_get_u32(r.from_k[0]);
	assert_true(fresh < 0xfa1100u); /* a port, not the keeper's failure */
	umx_test_put_u32(r.to_x[1], fresh);
	assert_int_equal(umx_test_get_u32(r.from_x[0]), 0); /* the fresh port works */
	umx_test_put_u32(r.to_k[1], DONE);
	assert_int_equal(umx_test_get_u32(r.from_k[0]), 0);
	reuse_finish(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reused_domid_inherits_no_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
