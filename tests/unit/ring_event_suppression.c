/* SPDX-License-Identifier: MIT */
/* Proves push-and-check-notify and final-check match Xen's macros exactly: hand cases, then 20000
 * random lockstep steps per role comparing notify/more results and the shared header byte for byte.
 */
#define __XEN_TOOLS__ 1
#include <stdatomic.h>
#define xen_mb()  atomic_thread_fence(memory_order_seq_cst)
#define xen_rmb() atomic_thread_fence(memory_order_acquire)
#define xen_wmb() atomic_thread_fence(memory_order_release)
#include <errno.h>
#include <string.h>
#include <xen/io/ring.h>

#include "umx_test.h"
#include "umx/ring.h"

struct t_req {
	uint64_t id;
	uint32_t op, pad;
	uint64_t val;
};
struct t_rsp {
	uint64_t id;
	int64_t status;
};
DEFINE_RING_TYPES(t, struct t_req, struct t_rsp);

#define RBYTES 1024 /* (1024 - 64) / 24 = 40 -> 32 entries */
static _Alignas(64) unsigned char pa[RBYTES], pb[RBYTES];

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void hand_cases(void **state)
{
	(void)state;
	struct umx_ring f, b;
	struct t_req q = {0};
	struct t_req qs[8];
	struct t_rsp s = {0};
	bool notify, more;
	struct umx_sring *sh = (struct umx_sring *)pa;
	assert_int_equal(umx_ring_front_init(&f, pa, RBYTES, sizeof(q), sizeof(s), true), 0);
	assert_int_equal(umx_ring_back_init(&b, pa, RBYTES, sizeof(q), sizeof(s), false), 0);
	/* Nothing published: no notify. */
	assert_int_equal(umx_ring_push(&f, &notify), 0);
	assert_false(notify);
	/* req_event starts at 1: the first request notifies. */
	assert_int_equal(umx_ring_put(&f, &q), 0);
	assert_int_equal(umx_ring_push(&f, &notify), 0);
	assert_true(notify);
	/* The back has not re-armed: further pushes are silent. */
	assert_int_equal(umx_ring_put(&f, &q), 0);
	assert_int_equal(umx_ring_push(&f, &notify), 0);
	assert_false(notify);
	/* The back drains, final-checks: re-arms req_event = cons + 1. */
	assert_int_equal(umx_ring_take(&b, qs, 8), 2);
	assert_int_equal(umx_ring_final_check(&b, &more), 0);
	assert_false(more);
	assert_int_equal(sh->req_event, 3u);
	/* A batch of three crossing the event notifies once. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(umx_ring_put(&f, &q), 0);
	assert_int_equal(umx_ring_push(&f, &notify), 0);
	assert_true(notify);
	/* final_check with work pending reports more and leaves the event. */
	assert_int_equal(umx_ring_final_check(&b, &more), 0);
	assert_true(more);
	assert_int_equal(sh->req_event, 3u);
	/* Responses: rsp_event is 1, the first response notifies the front. */
	assert_int_equal(umx_ring_take(&b, qs, 8), 3);
	assert_int_equal(umx_ring_put(&b, &s), 0);
	assert_int_equal(umx_ring_push(&b, &notify), 0);
	assert_true(notify);
	assert_int_equal(umx_ring_put(&b, &s), 0);
	assert_int_equal(umx_ring_push(&b, &notify), 0);
	assert_false(notify);
}

struct pair {
	struct t_front_ring xf;  /* page a */
	struct t_back_ring xb;   /* page a */
	struct t_front_ring xf2; /* page b, when umx plays the back */
	struct t_back_ring xb2;  /* page b, when umx plays the front */
	struct umx_ring u;       /* page b */
};

static void xen_front_put(struct t_front_ring *x, uint32_t k, uint64_t *id)
{
	for (uint32_t i = 0; i < k; i++) {
		struct t_req q = {.id = *id, .op = 1, .val = *id * 7};
		*RING_GET_REQUEST(x, x->req_prod_pvt) = q;
		x->req_prod_pvt++;
		(*id)++;
	}
}

static uint32_t xen_front_take(struct t_front_ring *x, uint32_t m, struct t_rsp *out)
{
	RING_IDX rp = x->sring->rsp_prod;
	xen_rmb();
	uint32_t n = 0;
	while (x->rsp_cons != rp && n < m) {
		RING_COPY_RESPONSE(x, x->rsp_cons, &out[n]);
		x->rsp_cons++;
		n++;
	}
	return n;
}

static uint32_t xen_back_take(struct t_back_ring *x, uint32_t m, struct t_req *out)
{
	RING_IDX rp = x->sring->req_prod;
	xen_rmb();
	uint32_t n = 0;
	while (x->req_cons != rp && !RING_REQUEST_CONS_OVERFLOW(x, x->req_cons) && n < m) {
		RING_COPY_REQUEST(x, x->req_cons, &out[n]);
		x->req_cons++;
		n++;
	}
	return n;
}

static void xen_back_answer(struct t_back_ring *x, uint32_t k)
{
	for (uint32_t i = 0; i < k && x->rsp_prod_pvt != x->req_cons; i++) {
		struct t_rsp s = {.id = x->rsp_prod_pvt, .status = 1};
		*RING_GET_RESPONSE(x, x->rsp_prod_pvt) = s;
		x->rsp_prod_pvt++;
	}
}

/* Both pages zeroed and page a's rings (Xen's, both ends) set up; each
 * lockstep test then sets up page b with umx playing one end. */
static void pages_reset(struct pair *p)
{
	memset(pa, 0, sizeof(pa));
	memset(pb, 0, sizeof(pb));
	XEN_FRONT_RING_INIT(&p->xf, (struct t_sring *)pa, RBYTES);
	BACK_RING_INIT(&p->xb, (struct t_sring *)pa, RBYTES);
}

static void lockstep_umx_front(void **state)
{
	(void)state;
	static struct pair p;
	uint64_t ida = 0, idb = 0;
	pages_reset(&p);
	assert_int_equal(umx_ring_front_init(&p.u, pb, RBYTES, sizeof(struct t_req),
	                                     sizeof(struct t_rsp), true),
	                 0);
	BACK_RING_INIT(&p.xb2, (struct t_sring *)pb, RBYTES);
	assert_int_equal(RING_SIZE(&p.xf), umx_ring_size(&p.u));
	unsigned notifies = 0;
	for (int step = 0; step < 20000; step++) {
		bool n1, n2;
		int w1, w2;
		uint32_t m = rnd(6);
		switch (rnd(5)) {
		case 0: {
			uint32_t k = rnd(6);
			if (k > RING_FREE_REQUESTS(&p.xf))
				k = RING_FREE_REQUESTS(&p.xf);
			xen_front_put(&p.xf, k, &ida);
			for (uint32_t i = 0; i < k; i++, idb++) {
				struct t_req q = {.id = idb, .op = 1, .val = idb * 7};
				assert_int_equal(umx_ring_put(&p.u, &q), 0);
			}
			RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&p.xf, w1);
			assert_int_equal(umx_ring_push(&p.u, &n2), 0);
			assert_int_equal(!!w1, n2);
			notifies += n2;
			break;
		}
		case 1: {
			struct t_rsp o1[8], o2[8];
			uint32_t c1 = xen_front_take(&p.xf, m, o1);
			int c2 = umx_ring_take(&p.u, o2, m);
			assert_int_equal((int)c1, c2);
			assert_memory_equal(o1, o2, c1 * sizeof(o1[0]));
			break;
		}
		case 2:
			RING_FINAL_CHECK_FOR_RESPONSES(&p.xf, w1);
			assert_int_equal(umx_ring_final_check(&p.u, &n2), 0);
			assert_int_equal(!!w1, n2);
			break;
		case 3: {
			struct t_req o1[8], o2[8];
			uint32_t c1 = xen_back_take(&p.xb, m, o1);
			uint32_t c2 = xen_back_take(&p.xb2, m, o2);
			assert_int_equal(c1, c2);
			assert_memory_equal(o1, o2, c1 * sizeof(o1[0]));
			uint32_t k = rnd(6);
			xen_back_answer(&p.xb, k);
			xen_back_answer(&p.xb2, k);
			RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&p.xb, w1);
			RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&p.xb2, w2);
			assert_int_equal(!!w1, !!w2);
			break;
		}
		default:
			RING_FINAL_CHECK_FOR_REQUESTS(&p.xb, w1);
			RING_FINAL_CHECK_FOR_REQUESTS(&p.xb2, w2);
			n1 = w1;
			assert_int_equal(n1, !!w2);
			break;
		}
		assert_memory_equal(pa, pb, UMX_SRING_HDR_SIZE);
	}
	assert_null(umx_ring_broken(&p.u));
	assert_true(notifies > 0);
}

static void lockstep_umx_back(void **state)
{
	(void)state;
	static struct pair p;
	uint64_t ida = 0, idb = 0;
	pages_reset(&p);
	XEN_FRONT_RING_INIT(&p.xf2, (struct t_sring *)pb, RBYTES);
	assert_int_equal(umx_ring_back_init(&p.u, pb, RBYTES, sizeof(struct t_req),
	                                    sizeof(struct t_rsp), false),
	                 0);
	unsigned notifies = 0;
	for (int step = 0; step < 20000; step++) {
		bool n2;
		int w1, w2;
		uint32_t m = rnd(6);
		switch (rnd(5)) {
		case 0: {
			uint32_t k = rnd(6);
			if (k > RING_FREE_REQUESTS(&p.xf))
				k = RING_FREE_REQUESTS(&p.xf);
			xen_front_put(&p.xf, k, &ida);
			xen_front_put(&p.xf2, k, &idb);
			RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&p.xf, w1);
			RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&p.xf2, w2);
			assert_int_equal(!!w1, !!w2);
			break;
		}
		case 1: {
			struct t_rsp o1[8], o2[8];
			uint32_t c1 = xen_front_take(&p.xf, m, o1);
			uint32_t c2 = xen_front_take(&p.xf2, m, o2);
			assert_int_equal(c1, c2);
			assert_memory_equal(o1, o2, c1 * sizeof(o1[0]));
			break;
		}
		case 2:
			RING_FINAL_CHECK_FOR_RESPONSES(&p.xf, w1);
			RING_FINAL_CHECK_FOR_RESPONSES(&p.xf2, w2);
			assert_int_equal(!!w1, !!w2);
			break;
		case 3: {
			struct t_req o1[8], o2[8];
			uint32_t c1 = xen_back_take(&p.xb, m, o1);
			int c2 = umx_ring_take(&p.u, o2, m);
			assert_int_equal((int)c1, c2);
			assert_memory_equal(o1, o2, c1 * sizeof(o1[0]));
			uint32_t k = rnd(6);
			xen_back_answer(&p.xb, k);
			for (uint32_t i = 0; i < k && umx_ring_space(&p.u) > 0; i++) {
				struct t_rsp s = {.id = p.u.prod_pvt, .status = 1};
				assert_int_equal(umx_ring_put(&p.u, &s), 0);
			}
			RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&p.xb, w1);
			assert_int_equal(umx_ring_push(&p.u, &n2), 0);
			assert_int_equal(!!w1, n2);
			notifies += n2;
			break;
		}
		default:
			RING_FINAL_CHECK_FOR_REQUESTS(&p.xb, w1);
			assert_int_equal(umx_ring_final_check(&p.u, &n2), 0);
			assert_int_equal(!!w1, n2);
			break;
		}
		assert_memory_equal(pa, pb, UMX_SRING_HDR_SIZE);
	}
	assert_null(umx_ring_broken(&p.u));
	assert_true(notifies > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(hand_cases),
	        cmocka_unit_test(lockstep_umx_front),
	        cmocka_unit_test(lockstep_umx_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
