/* SPDX-License-Identifier: MIT */
/* Helpers shared by the two-domain event-channel tests: A offers B a port
 * unbound towards it, B binds to it. The parent passes each side the
 * other's domid over pipes, since each learns it only after both forked. */
#ifndef EVTCHN_UTIL_H
#define EVTCHN_UTIL_H

#include <stdint.h>
#include <unistd.h>

#include "umx/evtchn.h"
#include "umx_test.h"

struct evt_pipes {
	int to_a[2], to_b[2];
	int to_parent[2]; /* for tests whose parent waits on a side */
};

struct evt_pair {
	struct umx_test_daemon d;
	struct evt_pipes pp;
	uint32_t a, b; /* domids */
	pid_t pa, pb;
};

/* Start umxd, fork @fn_a then @fn_b as domains, and send A the domid of
 * B and B the domid of A (in that order on each side's pipe). */
static inline void evt_pair_start(struct evt_pair *x, const char *name_a, int (*fn_a)(void *arg),
                                  const char *name_b, int (*fn_b)(void *arg))
{
	assert_int_equal(pipe(x->pp.to_a), 0);
	assert_int_equal(pipe(x->pp.to_b), 0);
	assert_int_equal(pipe(x->pp.to_parent), 0);
	assert_int_equal(umx_test_daemon_start(&x->d), 0);
	assert_int_equal(umx_test_domain_fork(&x->d, name_a, fn_a, &x->pp, &x->a, &x->pa), 0);
	assert_int_equal(umx_test_domain_fork(&x->d, name_b, fn_b, &x->pp, &x->b, &x->pb), 0);
	umx_test_put_u32(x->pp.to_a[1], x->b);
	umx_test_put_u32(x->pp.to_b[1], x->a);
}

/* Both sides must exit 0 and umxd must shut down cleanly. */
static inline void evt_pair_finish(struct evt_pair *x)
{
	assert_int_equal(umx_test_domain_reap(&x->d, x->a, x->pa), 0);
	assert_int_equal(umx_test_domain_reap(&x->d, x->b, x->pb), 0);
	assert_int_equal(umx_test_daemon_stop(&x->d), 0);
}

/* A's opening: learn B's domid, open, allocate a port unbound towards B
 * and offer it to B. Returns 0, or A's exit code for the step that failed
 * (10 open, 11 allocate), so each failure stays distinguishable. */
static inline int evt_a_offer(struct evt_pipes *pp, umx_evtchn **h, uint32_t *domid_b, int *port)
{
	*domid_b = umx_test_get_u32(pp->to_a[0]);
	if (umx_evtchn_open(h) < 0)
		return 10;
	*port = umx_evtchn_alloc_unbound(*h, *domid_b);
	if (*port <= 0)
		return 11;
	umx_test_put_u32(pp->to_b[1], (uint32_t)*port);
	return 0;
}

/* B's opening: learn A's domid and A's offered port, bind to it, and take
 * the event a new binding starts with (Xen), leaving the port unmasked.
 * Returns 0, or B's exit code (20 open, 21 bind, 22 no first event). */
static inline int evt_b_bind(struct evt_pipes *pp, umx_evtchn **h, uint32_t *domid_a,
                             uint32_t *rport, int *port)
{
	*domid_a = umx_test_get_u32(pp->to_b[0]);
	*rport = umx_test_get_u32(pp->to_b[0]);
	if (umx_evtchn_open(h) < 0)
		return 20;
	*port = umx_evtchn_bind_interdomain(*h, *domid_a, *rport);
	if (*port <= 0)
		return 21;
	if (umx_test_evtchn_wait(*h) != *port || umx_evtchn_unmask(*h, (uint32_t)*port))
		return 22;
	return 0;
}

#endif
