/* SPDX-License-Identifier: MIT */
/* A hostile backend (raw ring writes) against umx's blkfront, one vbd per
 * attack: a response id out of range, an id never issued, a duplicate
 * response (two requests in flight, the first answered twice), a response with nothing asked
 * (producer ahead of requests), the wrong operation, a bogus status, the response producer 1000
 * ahead, a response on another queue's ring than its request's (two queues)
 * — each breaks the device with its reason logged and kept, and the caller's read buffer is
 * left untouched; an event storm is counted and held and the real response after it still
 * completes; a backend that keeps a persistent grant mapped after the disconnect leaves the page on
 * the frontend's deferred queue (never reused) until it lets go (MSA02, XSA-396). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* stdint first: Xen's headers expect it. */
#include <stdint.h>
#include <xen/io/blkif.h>

#include "blk_util.h"
#include "umx/barrier.h"
#include "umx/internal/clock.h"
#include "umx/grant.h"

enum attack {
	B_ID_RANGE,
	B_ID_NEVER,
	B_DUP,
	B_UNSOLICITED,
	B_OP_MISMATCH,
	B_STATUS,
	B_PROD_AHEAD,
	B_WRONG_QUEUE,
	/* the device survives */
	B_STORM,
	B_KEEP_MAPPED,
	B_COUNT,
	B_FIRST_SURVIVED = B_STORM,
};

static const char *const expect_reason[B_FIRST_SURVIVED] = {
        [B_ID_RANGE] = "out of range", [B_ID_NEVER] = "not in flight",
        [B_DUP] = "not in flight",     [B_UNSOLICITED] = "ahead of requests issued",
        [B_OP_MISMATCH] = "operation", [B_STATUS] = "bogus status",
        [B_PROD_AHEAD] = "overruns",   [B_WRONG_QUEUE] = "on queue 1, sent on queue 0",
};

#define DEVID(a)   (51712u + 16u * (unsigned)(a))
#define SECTORS    2048u
#define SLOT       112u
#define NSLOTS     32u
#define STORM_SIZE 20000

struct ctx {
	uint32_t front;    /* the frontend's domid, for the backend */
	int go[2];         /* parent → both: the domids are known (5 bytes) */
	int mapped[2];     /* backend → frontend: still mapping after close */
	int checked[2];    /* frontend → backend: deferred release seen */
	int domid_pipe[2]; /* parent → backend: the frontend's domid */
};

/* ---- the hostile backend -------------------------------------------------- */

static int read_ul(umx_xs *xs, const char *dir, const char *name, unsigned long *out)
{
	char path[192], *v, *end;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) < 0)
		return -1;
	*out = strtoul(v, &end, 10);
	free(v);
	return end == v ? -1 : 0;
}

static void put(umx_xs *xs, const char *dir, const char *name, unsigned long v)
{
	char path[192], val[32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(val, sizeof(val), "%lu", v);
	CHILD_CHECK_OK(umx_xs_write_str(xs, UMX_XS_NO_TX, path, val));
}

/* Poll (10 s) until @dir/@name is at least @want. */
static void wait_ul(umx_xs *xs, const char *dir, const char *name, unsigned long want)
{
	uint64_t end = umx_clock_ms() + 10000;
	unsigned long v;

	while (read_ul(xs, dir, name, &v) < 0 || v < want) {
		CHILD_CHECK(umx_clock_ms() < end);
		usleep(2000);
	}
}

struct rawbe {
	umx_plat *p;
	umx_xs *xs;
	char be[128], fe[128];
	umx_plat_mapped *m;
	uint8_t *ring;
	uint32_t port, rsp;
};

/* Map the ring and bind the channel named in @dir. */
static void be_map(struct rawbe *b, uint32_t front, const char *dir)
{
	unsigned long ref, evt;
	uint32_t r32;
	int port;

	CHILD_CHECK(read_ul(b->xs, dir, "ring-ref", &ref) == 0);
	CHILD_CHECK(read_ul(b->xs, dir, "event-channel", &evt) == 0);
	r32 = (uint32_t)ref;
	CHILD_CHECK_OK(umx_plat_map(b->p, front, 1, &r32, false, NULL, &b->m));
	b->ring = umx_plat_map_addr(b->m);
	port = umx_plat_evtchn_bind_interdomain(b->p, front, (uint32_t)evt);
	CHILD_CHECK(port > 0);
	b->port = (uint32_t)port;
}

/* Connect vbd @devid of @front; with @nq 2, offer two queues and attach
 * both (b[0], b[1]). */
static void be_connect(struct rawbe *b, umx_plat *p, uint32_t front, unsigned devid, unsigned nq)
{
	unsigned long got = 0;

	memset(b, 0, sizeof(*b) * nq);
	b->p = p;
	b->xs = umx_plat_xs(p);
	snprintf(b->be, sizeof(b->be), "/local/domain/%u/backend/vbd/%u/%u", umx_plat_domid(p),
	         front, devid);
	snprintf(b->fe, sizeof(b->fe), "/local/domain/%u/device/vbd/%u", front, devid);
	wait_ul(b->xs, b->be, "frontend-id", 0);
	put(b->xs, b->be, "feature-persistent", 1);
	put(b->xs, b->be, "feature-flush-cache", 1);
	if (nq > 1)
		put(b->xs, b->be, "multi-queue-max-queues", nq);
	put(b->xs, b->be, "state", 2); /* InitWait */
	wait_ul(b->xs, b->fe, "state", 3);
	if (nq == 1) {
		be_map(b, front, b->fe);
	} else {
		CHILD_CHECK(read_ul(b->xs, b->fe, "multi-queue-num-queues", &got) == 0 &&
		            got == nq);
		for (unsigned i = 0; i < nq; i++) {
			char dir[160];
			snprintf(dir, sizeof(dir), "%s/queue-%u", b->fe, i);
			if (i) {
				b[i].p = b->p;
				b[i].xs = b->xs;
			}
			be_map(&b[i], front, dir);
		}
	}
	put(b->xs, b->be, "sectors", SECTORS);
	put(b->xs, b->be, "sector-size", 512);
	put(b->xs, b->be, "info", 0);
	put(b->xs, b->be, "state", 4);
}

/* The frontend's next request (copied), waiting up to 10 s. */
static struct blkif_request be_req(struct rawbe *b, uint32_t i)
{
	struct blkif_request q;
	uint64_t end = umx_clock_ms() + 10000;

	/* Pairs with the frontend's release of req_prod. */
	while (umx_load_acquire32((uint32_t *)b->ring) <= i) {
		CHILD_CHECK(umx_clock_ms() < end);
		usleep(1000);
	}
	memcpy(&q, b->ring + 64 + (i % NSLOTS) * SLOT, sizeof(q));
	return q;
}

static void be_rsp(struct rawbe *b, uint64_t id, uint8_t op, int16_t status)
{
	struct blkif_response r;
	uint8_t *slot = b->ring + 64 + (b->rsp % NSLOTS) * SLOT;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.operation = op;
	r.status = status;
	memcpy(slot, &r, sizeof(r));
	/* Pairs with the frontend's acquire of rsp_prod. */
	umx_store_release32((uint32_t *)(b->ring + 8), ++b->rsp);
}

static void be_notify(struct rawbe *b)
{
	CHILD_CHECK_OK(umx_plat_evtchn_notify(b->p, b->port));
}

/* The frontend closes: follow it to Closed and let go of the ring. */
static void be_close(struct rawbe *b)
{
	wait_ul(b->xs, b->fe, "state", 5);
	put(b->xs, b->be, "state", 6);
	umx_plat_evtchn_unbind(b->p, b->port);
	umx_plat_unmap(b->p, b->m);
}

static int backend(void *arg)
{
	struct ctx *c = arg;
	uint32_t front;
	umx_plat *p;
	char ch;

	CHILD_CHECK(read(c->domid_pipe[0], &front, sizeof(front)) == sizeof(front));
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	for (int a = 0; a < B_COUNT; a++) {
		struct rawbe b, bq[2];
		struct blkif_request q;
		umx_plat_mapped *keep = NULL;

		if (a == B_WRONG_QUEUE) {
			/* Two queues, a read on each (ids 0 and 1); queue 0's
			 * is answered on queue 1's ring, whose count is right:
			 * only the id's queue can tell. */
			struct blkif_request q1;
			be_connect(bq, p, front, DEVID(a), 2);
			q = be_req(&bq[0], 0);
			q1 = be_req(&bq[1], 0);
			CHILD_CHECK(q.operation == BLKIF_OP_READ && q.id == 0 && q1.id == 1);
			be_rsp(&bq[1], q.id, q.operation, 0);
			be_notify(&bq[1]);
			be_close(&bq[0]);
			umx_plat_evtchn_unbind(p, bq[1].port);
			umx_plat_unmap(p, bq[1].m);
			continue;
		}
		be_connect(&b, p, front, DEVID(a), 1);
		if (a == B_UNSOLICITED) {
			be_rsp(&b, 0, BLKIF_OP_READ, 0);
			be_notify(&b);
			be_close(&b);
			continue;
		}
		q = be_req(&b, 0);
		CHILD_CHECK(q.operation == BLKIF_OP_READ && q.nr_segments == 1);
		switch (a) {
		case B_ID_RANGE:
			be_rsp(&b, 99, q.operation, 0);
			break;
		case B_ID_NEVER:
			be_rsp(&b, q.id + 5, q.operation, 0);
			break;
		case B_DUP:
			/* Two requests in flight, the first answered twice: the
			 * count is right, so only the id can tell. */
			(void)be_req(&b, 1);
			be_rsp(&b, q.id, q.operation, 0);
			be_rsp(&b, q.id, q.operation, 0);
			break;
		case B_OP_MISMATCH:
			be_rsp(&b, q.id, BLKIF_OP_WRITE, 0);
			break;
		case B_STATUS:
			be_rsp(&b, q.id, q.operation, -7);
			break;
		case B_PROD_AHEAD:
			/* Pairs with the frontend's acquire of rsp_prod. */
			umx_store_release32((uint32_t *)(b.ring + 8), 1000);
			break;
		case B_STORM:
			/* In bursts: notifies to a port the frontend has not yet
			 * taken coalesce in its pending bit, so only a storm
			 * that lets it wake up in between reaches it. */
			for (int i = 0; i < STORM_SIZE; i++) {
				be_notify(&b);
				if (i % 500 == 499)
					usleep(1000);
			}
			be_rsp(&b, q.id, q.operation, 0);
			break;
		case B_KEEP_MAPPED: {
			uint32_t g = q.seg[0].gref;
			/* Fill the page as a read would, answer, and never unmap. */
			CHILD_CHECK_OK(umx_plat_map(p, front, 1, &g, false, NULL, &keep));
			memset(umx_plat_map_addr(keep), 0xab, UMX_PAGE_SIZE);
			be_rsp(&b, q.id, q.operation, 0);
			break;
		}
		}
		be_notify(&b);
		be_close(&b);
		if (keep) {
			CHILD_CHECK(write(c->mapped[1], "m", 1) == 1);
			CHILD_CHECK(read(c->checked[0], &ch, 1) == 1);
			umx_plat_unmap(p, keep);
		}
	}
	umx_plat_close(p);
	return 0;
}

/* ---- umx's blkfront ----------------------------------------------------------- */

static int frontend(void *arg)
{
	struct ctx *c = arg;
	static uint8_t buf[4096];
	umx_plat *p;
	umx_gnt *g;
	char ch;

	CHILD_CHECK(read(c->go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_gnt_open(&g));
	for (int a = 0; a < B_COUNT; a++) {
		struct umx_blk_req rq = {
		        .op = UMX_BLK_READ, .sector = 0, .buf = buf, .len = 4096, .cookie = 77};
		struct umx_blk_done done;
		struct umx_blk_stats st;
		umx_blkfront *bf;
		uint64_t end = umx_clock_ms() + 10000;
		int n = 0;

		const struct umx_blkfront_opts two = {.queues = 2};
		struct umx_blk_info in;

		memset(buf, 0x11, sizeof(buf));
		CHILD_CHECK_OK(umx_blkfront_open(p, DEVID(a), a == B_WRONG_QUEUE ? &two : NULL,
		                                 10000, &bf));
		umx_blkfront_info(bf, &in);
		CHILD_CHECK(in.queues == (a == B_WRONG_QUEUE ? 2u : 1u));
		if (a != B_UNSOLICITED)
			CHILD_CHECK_OK(umx_blkfront_submit(bf, &rq));
		if (a == B_DUP || a == B_WRONG_QUEUE) {
			struct umx_blk_req rq2 = rq;
			static uint8_t buf2[4096];
			rq2.buf = buf2;
			rq2.cookie = 78;
			CHILD_CHECK_OK(umx_blkfront_submit(bf, &rq2));
		}
		while (!umx_blkfront_broken(bf) && umx_clock_ms() < end) {
			n = umx_blkfront_reap(bf, &done, 1);
			if (n != 0)
				break;
			(void)umx_blkfront_wait(bf, 100);
		}
		umx_blkfront_stats(bf, &st);
		if (a < B_FIRST_SURVIVED) {
			const char *why = umx_blkfront_broken(bf);
			if (a == B_DUP && n == 1) {
				/* The first copy completed; the second must break it. */
				CHILD_CHECK(done.cookie == 77 && done.status == 0);
				while (!umx_blkfront_broken(bf) && umx_clock_ms() < end)
					(void)umx_blkfront_wait(bf, 100);
				why = umx_blkfront_broken(bf);
			} else if (a != B_DUP) {
				/* Nothing was completed, nothing copied into buf. */
				for (size_t i = 0; i < sizeof(buf); i++)
					CHILD_CHECK(buf[i] == 0x11);
			}
			CHILD_CHECK(why != NULL);
			if (!strstr(why, expect_reason[a])) {
				fprintf(stderr, "attack %d: reason '%s' lacks '%s'\n", a, why,
				        expect_reason[a]);
				CHILD_FAIL("wrong reason");
			}
			/* Every entry point refuses now. */
			CHILD_CHECK(umx_blkfront_submit(bf, &rq) == -EPROTO);
			CHILD_CHECK(umx_blkfront_wait(bf, 0) == -EPROTO);
		} else {
			CHILD_CHECK(umx_blkfront_broken(bf) == NULL);
			CHILD_CHECK(n == 1 && done.cookie == 77 && done.status == 0);
			if (a == B_STORM) {
				/* Counted, and held: far fewer wakeups than events. */
				CHILD_CHECK(st.spurious_events > 0);
				CHILD_CHECK(st.spurious_events < STORM_SIZE / 4);
			} else {
				for (size_t i = 0; i < sizeof(buf); i++)
					CHILD_CHECK(buf[i] == 0xab);
			}
		}
		umx_blkfront_close(bf);
		if (a == B_KEEP_MAPPED) {
			uint64_t until = umx_clock_ms() + 5000;
			CHILD_CHECK(read(c->mapped[0], &ch, 1) == 1);
			/* The page the backend still maps stays granted, on the
			 * deferred queue, out of every reuse. */
			CHILD_CHECK(umx_gnt_reap(g) >= 1);
			CHILD_CHECK(write(c->checked[1], "c", 1) == 1);
			/* Once it lets go, the page is released. */
			while (umx_gnt_reap(g) > 0) {
				CHILD_CHECK(umx_clock_ms() < until);
				usleep(5000);
			}
		}
	}
	umx_gnt_close(g);
	umx_plat_close(p);
	return 0;
}

static void test_blk_hostile_backend(void **state)
{
	struct umx_test_daemon d;
	struct ctx c;
	uint32_t bdom, fdom;
	pid_t bpid, fpid;
	umx_xs *xs;
	(void)state;

	assert_int_equal(pipe(c.go), 0);
	assert_int_equal(pipe(c.mapped), 0);
	assert_int_equal(pipe(c.checked), 0);
	assert_int_equal(pipe(c.domid_pipe), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "hostile", backend, &c, &bdom, &bpid), 0);
	assert_int_equal(umx_test_domain_fork(&d, "blkfront", frontend, &c, &fdom, &fpid), 0);
	/* The raw backend serves no file: params names one nobody opens. */
	assert_int_equal(umx_xs_open(&xs), 0);
	for (int a = 0; a < B_COUNT; a++)
		assert_int_equal(
		        umx_blk_attach(xs, fdom, bdom, (int)DEVID(a), "/nonexistent", false, 512),
		        (int)DEVID(a));
	umx_xs_close(xs);
	assert_int_equal(write(c.domid_pipe[1], &fdom, sizeof(fdom)), sizeof(fdom));
	assert_int_equal(write(c.go[1], "g", 1), 1);
	{
		const uint32_t domids[2] = {bdom, fdom};
		const pid_t pids[2] = {bpid, fpid};
		const int want[2] = {0, 0};
		umx_test_domains_reap(&d, 2, domids, pids, want);
	}
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_blk_hostile_backend)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
