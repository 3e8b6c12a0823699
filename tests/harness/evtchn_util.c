/* SPDX-License-Identifier: MIT */
/* Definitions for evtchn_util.h (declarations and contracts there). */
#include <unistd.h>

#include "evtchn_util.h"

void evt_pair_start(struct evt_pair *x, const char *name_a, int (*fn_a)(void *arg),
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

void evt_pair_finish(struct evt_pair *x)
{
	umx_test_domains_reap(&x->d, 2, (uint32_t[]){x->a, x->b}, (pid_t[]){x->pa, x->pb},
	                      (int[]){0, 0});
	assert_int_equal(umx_test_daemon_stop(&x->d), 0);
}

void evt_a_offer(struct evt_pipes *pp, umx_evtchn **h, uint32_t *domid_b, int *port)
{
	*domid_b = umx_test_get_u32(pp->to_a[0]);
	CHILD_CHECK_OK(umx_evtchn_open(h));
	*port = umx_evtchn_alloc_unbound(*h, *domid_b);
	CHILD_CHECK(*port > 0);
	umx_test_put_u32(pp->to_b[1], (uint32_t)*port);
}

void evt_b_bind(struct evt_pipes *pp, umx_evtchn **h, uint32_t *domid_a, uint32_t *rport, int *port)
{
	*domid_a = umx_test_get_u32(pp->to_b[0]);
	*rport = umx_test_get_u32(pp->to_b[0]);
	CHILD_CHECK_OK(umx_evtchn_open(h));
	*port = umx_evtchn_bind_interdomain(*h, *domid_a, *rport);
	CHILD_CHECK(*port > 0);
	CHILD_CHECK(umx_test_evtchn_wait(*h) == *port);
	CHILD_CHECK_OK(umx_evtchn_unmask(*h, (uint32_t)*port));
}
