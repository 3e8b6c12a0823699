/* SPDX-License-Identifier: MIT */
/* MSA00 regression: a hostile backend (raw ring writes) returns duplicate,
 * stale, out-of-range and never-issued TX ids, bogus statuses, duplicate
 * RX ids, RX data crossing the page end, unnegotiated flags and a producer
 * running ahead. Each time the frontend marks itself broken with a reason,
 * frees nothing it should not (in-flight count exact, pages of requests in
 * flight untouched), delivers no frame it should not, and a canary shows
 * none of its own memory ever reaches a page the backend can see. An event
 * storm (no protocol violation) is counted and its wakeups bounded. */
#include <stdint.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/netif.h>

#include "umx_test.h"
#include "net_util.h"
#include "net_hostile.h"
#include "umx/grant.h"

#define K 4 /* TX frames in flight at the start */

struct ctx {
	enum nh_attack s;
	int f2h[2], h2f[2];
	uint32_t front;
};

static const char secret[] = "CANARY:frontend-private-memory-0123456789";

static void tx_frame(uint8_t *f, int i)
{
	memset(f, 0, 200);
	memset(f, 0xff, 6);
	f[6] = 2;
	net_put16(f + 12, 0x88b5);
	snprintf((char *)f + 14, 100, "TX-FRAME-%d-in-flight", i);
}

/* ---- the hostile backend (net_hostile.c) ------------------------------- */

struct hb {
	struct nh n;
	umx_plat *p;
	struct netif_tx_request treq[K + 1];
	uint32_t rx_grefs[256]; /* snapshot: responses overwrite the slots */
	uint8_t snap[K + 1][200];
};

static int hb_sync(struct ctx *c, char say, char expect)
{
	char ch;
	if (say && write(c->h2f[1], &say, 1) != 1)
		return -1;
	if (expect && (read(c->f2h[0], &ch, 1) != 1 || ch != expect))
		return -1;
	return 0;
}

/* Every page the backend can see: the canary must be in none of them. */
static int canary_visible(struct hb *h, unsigned ntx)
{
	for (unsigned i = 0; i < 256 + ntx; i++) {
		uint32_t gref = i < 256 ? h->rx_grefs[i] : h->treq[i - 256].gref;
		umx_plat_mapped *m;
		uint8_t *pg = nh_map_one(&h->n, gref, i >= 256, &m);
		if (!pg)
			return -1;
		if (memmem(pg, UMX_PAGE_SIZE, secret, sizeof(secret) - 1)) {
			umx_plat_unmap(h->p, m);
			return 1;
		}
		umx_plat_unmap(h->p, m);
	}
	return 0;
}

static int hostile(void *arg)
{
	struct ctx *c = arg;
	struct hb h = {0};
	uint8_t frame[200];
	unsigned ntx = K;
	int r;

	close(c->f2h[1]); /* so that each side sees the other's death as EOF */
	close(c->h2f[0]);
	CHILD_CHECK_OK(umx_plat_open(NULL, &h.p));
	CHILD_CHECK_OK(nh_connect(&h.n, h.p, c->front, 0, 10000));
	CHILD_CHECK_OK(hb_sync(c, 0, 's'));
	CHILD_CHECK(nh_tx_req_prod(&h.n) >= K);
	/* Snapshot the requests and their pages (read-only grants). */
	for (int i = 0; i < K; i++) {
		umx_plat_mapped *m;
		uint8_t *pg;
		h.treq[i] = nh_tx_req(&h.n, (uint32_t)i);
		CHILD_CHECK((pg = nh_map_one(&h.n, h.treq[i].gref, true, &m)));
		memcpy(h.snap[i], pg, 200);
		umx_plat_unmap(h.p, m);
	}
	CHILD_CHECK(nh_rx_req_prod(&h.n) == 256); /* the frontend posts a full RX ring on connect */
	for (unsigned i = 0; i < 256; i++)
		h.rx_grefs[i] = nh_rx_req(&h.n, i).gref;
	uint16_t id0 = h.treq[0].id;
	tx_frame(frame, 99); /* what NH_RX_DUP delivers, 60 bytes */
	if (c->s == NH_EV_STORM) {
		/* Events and nothing else, until the frontend has seen enough. */
		CHILD_CHECK(write(c->h2f[1], "r", 1) == 1);
		fcntl(c->f2h[0], F_SETFL, O_NONBLOCK);
		for (char ch = 0; read(c->f2h[0], &ch, 1) != 1 || ch != 'e';)
			nh_storm(&h.n, NH_STORM_BURST);
		fcntl(c->f2h[0], F_SETFL, 0);
	} else {
		CHILD_CHECK_OK(nh_fire(&h.n, c->s, id0, frame, 60));
		if (c->s == NH_TX_STALE) {
			CHILD_CHECK_OK(
			        hb_sync(c, 'r', 's')); /* the frontend reaped, sent one more */
			h.treq[K] = nh_tx_req(&h.n, K);
			CHILD_CHECK(h.treq[K].id !=
			            id0); /* FIFO free list: id0 is not reused yet */
			ntx = K + 1;
			nh_stale_dup(&h.n, id0);
		}
		CHILD_CHECK_OK(hb_sync(c, 'r', 'e'));
	}
	/* Pages of requests still in flight were never handed back. */
	for (unsigned i = 0; i < ntx && i < K; i++) {
		umx_plat_mapped *m;
		uint8_t *pg = nh_map_one(&h.n, h.treq[i].gref, true, &m);
		CHILD_CHECK(pg);
		CHILD_CHECK(memcmp(pg, h.snap[i], 200) == 0);
		umx_plat_unmap(h.p, m);
	}
	r = canary_visible(&h, ntx);
	if (r)
		fprintf(stderr, "hostile: canary scan %d\n", r);
	if (r)
		return r < 0 ? 70 : 71;
	CHILD_CHECK_OK(hb_sync(c, 'v', 0));
	nh_disconnect(&h.n);
	umx_plat_close(h.p);
	return 0;
}

/* ---- the frontend under test -------------------------------------------- */

static int drive_until_broken(umx_netfront *nf, uint8_t *got, size_t cap, int *frames)
{
	for (int i = 0; i < 100 && !umx_netfront_broken(nf); i++) {
		umx_netfront_wait(nf, 20);
		int r = umx_netfront_recv(nf, got, cap);
		if (r > 0)
			(*frames)++;
	}
	return umx_netfront_broken(nf) ? 0 : -1;
}

static int frontend(void *arg)
{
	struct ctx *c = arg;
	static uint8_t f[200], got[UMX_NET_FRAME_MAX];
	char *priv = strdup(secret); /* private memory with the canary */
	struct umx_net_stats st;
	umx_plat *p;
	umx_netfront *nf;
	const char *why;
	uint32_t inflight = K;
	int frames = 0;
	char ch;

	close(c->h2f[1]);
	CHILD_CHECK(read(c->f2h[0], &ch, 1) == 1); /* attached */
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_netfront_open(p, 0, 10000, &nf));
	for (int i = 0; i < K; i++) {
		tx_frame(f, i);
		CHILD_CHECK_OK(umx_netfront_send(nf, f, 200));
	}
	CHILD_CHECK(write(c->f2h[1], "s", 1) == 1);
	CHILD_CHECK(read(c->h2f[0], &ch, 1) == 1);
	if (c->s == NH_TX_STALE) {
		for (int i = 0; i < 20; i++)
			umx_netfront_wait(nf, 20);
		umx_netfront_stats(nf, &st);
		CHILD_CHECK(umx_netfront_broken(nf) == 0);
		CHILD_CHECK(st.tx_inflight == K - 1); /* one honest completion */
		tx_frame(f, K);
		CHILD_CHECK_OK(umx_netfront_send(nf, f, 200));
		CHILD_CHECK(write(c->f2h[1], "s", 1) == 1);
		CHILD_CHECK(read(c->h2f[0], &ch, 1) == 1);
	}
	if (c->s == NH_EV_STORM) {
		/* Not a protocol violation: the device stays up, the storm is
		 * counted, and its wakeups are bounded per 100 ms window. */
		long t0 = net_now_ms(), wakeups = 0, elapsed;
		while (net_now_ms() - t0 < 400)
			if (umx_netfront_wait(nf, 1000) == 0)
				wakeups++;
		elapsed = net_now_ms() - t0;
		umx_netfront_stats(nf, &st);
		fprintf(stderr, "backend storm: %ld wakeups, %llu spurious in %ld ms\n", wakeups,
		        (unsigned long long)st.spurious_events, elapsed);
		CHILD_CHECK(umx_netfront_broken(nf) == 0);
		CHILD_CHECK(st.tx_inflight == K);
		CHILD_CHECK(st.spurious_events > UMX_NET_STORM_EVENTS);
		CHILD_CHECK(wakeups <= (elapsed / 100 + 3) * (long)(UMX_NET_STORM_EVENTS + 1));
		CHILD_CHECK(write(c->f2h[1], "e", 1) == 1);
		CHILD_CHECK(read(c->h2f[0], &ch, 1) == 1);
		CHILD_CHECK(ch == 'v');
		free(priv);
		umx_netfront_close(nf);
		umx_plat_close(p);
		return 0;
	}
	CHILD_CHECK_OK(drive_until_broken(nf, got, sizeof(got), &frames));
	why = umx_netfront_broken(nf);
	fprintf(stderr, "scenario %d: broken: %s\n", c->s, why);
	umx_netfront_stats(nf, &st);
	switch (c->s) {
	case NH_TX_DUP:
		inflight = K - 1; /* the first response was honest */
		                  /* fallthrough */
	case NH_TX_STALE:
		CHILD_CHECK(strstr(why, "not in flight"));
		break;
	case NH_TX_RANGE:
		CHILD_CHECK(strstr(why, "out of range"));
		break;
	case NH_TX_NEVER:
		CHILD_CHECK(strstr(why, "not in flight"));
		break;
	case NH_TX_STATUS:
	case NH_TX_NULL:
		CHILD_CHECK(strstr(why, "status"));
		break;
	case NH_RX_DUP:
		CHILD_CHECK(strstr(why, "not posted"));
		CHILD_CHECK(frames == 1);
		tx_frame(f, 99);
		/* The one frame delivered: exactly the backend's 60 bytes. */
		CHILD_CHECK(st.rx_frames == 1);
		CHILD_CHECK(st.rx_bytes == 60);
		CHILD_CHECK(memcmp(got, f, 60) == 0);
		break;
	case NH_RX_CROSS:
		CHILD_CHECK(strstr(why, "crosses the page"));
		CHILD_CHECK(!frames);
		break;
	case NH_RX_FLAGS:
		CHILD_CHECK(strstr(why, "not negotiated"));
		CHILD_CHECK(!frames);
		break;
	case NH_RX_STATUS:
		CHILD_CHECK(strstr(why, "bogus status"));
		CHILD_CHECK(!frames);
		break;
	case NH_RING_AHEAD:
		CHILD_CHECK(strstr(why, "TX ring"));
		break;
	case NH_EV_STORM:
	case NH_COUNT:
		break;
	}
	if (c->s == NH_TX_STALE)
		inflight = K; /* K - 1 + the new one; the duplicate freed nothing */
	CHILD_CHECK(st.tx_inflight == inflight);
	/* Fail closed: nothing more goes out, nothing more comes in. The
	 * application reuses its buffers for private data (the canary). */
	memcpy(got, secret, sizeof(secret));
	memcpy(f, secret, sizeof(secret));
	CHILD_CHECK(umx_netfront_send(nf, f, 200) == -EPROTO);
	CHILD_CHECK(umx_netfront_recv(nf, got, 4096) == -EPROTO);
	CHILD_CHECK(write(c->f2h[1], "e", 1) == 1);
	CHILD_CHECK(read(c->h2f[0], &ch, 1) == 1);
	CHILD_CHECK(ch == 'v');
	free(priv);
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}

static void run(enum nh_attack s)
{
	struct umx_test_daemon d;
	struct ctx c = {.s = s};
	uint32_t fdom, hdom;
	pid_t fpid, hpid;

	assert_int_equal(pipe2(c.f2h, O_CLOEXEC) | pipe2(c.h2f, O_CLOEXEC), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "front", frontend, &c, &fdom, &fpid), 0);
	c.front = fdom;
	assert_int_equal(umx_test_domain_fork(&d, "hostile", hostile, &c, &hdom, &hpid), 0);
	close(c.h2f[1]);
	assert_int_equal(net_attach(fdom, hdom, 1), 0);
	assert_int_equal(write(c.f2h[1], "a", 1), 1);
	close(c.f2h[1]);
	assert_int_equal(umx_test_domain_reap(&d, fdom, fpid), 0);
	assert_int_equal(umx_test_domain_reap(&d, hdom, hpid), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	close(c.f2h[0]);
	close(c.h2f[0]);
}

static void duplicate_tx_id(void **s)
{
	(void)s;
	run(NH_TX_DUP);
}
static void stale_tx_id_after_reuse_window(void **s)
{
	(void)s;
	run(NH_TX_STALE);
}
static void out_of_range_tx_id(void **s)
{
	(void)s;
	run(NH_TX_RANGE);
}
static void tx_id_never_issued(void **s)
{
	(void)s;
	run(NH_TX_NEVER);
}
static void bogus_tx_status(void **s)
{
	(void)s;
	run(NH_TX_STATUS);
}
static void null_status_for_data_slot(void **s)
{
	(void)s;
	run(NH_TX_NULL);
}
static void duplicate_rx_id(void **s)
{
	(void)s;
	run(NH_RX_DUP);
}
static void rx_data_crossing_page_end(void **s)
{
	(void)s;
	run(NH_RX_CROSS);
}
static void rx_flags_not_negotiated(void **s)
{
	(void)s;
	run(NH_RX_FLAGS);
}
static void bogus_rx_status(void **s)
{
	(void)s;
	run(NH_RX_STATUS);
}
static void response_producer_running_ahead(void **s)
{
	(void)s;
	run(NH_RING_AHEAD);
}
static void backend_event_storm_is_rate_limited(void **s)
{
	(void)s;
	run(NH_EV_STORM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(duplicate_tx_id),
	        cmocka_unit_test(stale_tx_id_after_reuse_window),
	        cmocka_unit_test(out_of_range_tx_id),
	        cmocka_unit_test(tx_id_never_issued),
	        cmocka_unit_test(bogus_tx_status),
	        cmocka_unit_test(null_status_for_data_slot),
	        cmocka_unit_test(duplicate_rx_id),
	        cmocka_unit_test(rx_data_crossing_page_end),
	        cmocka_unit_test(rx_flags_not_negotiated),
	        cmocka_unit_test(bogus_rx_status),
	        cmocka_unit_test(response_producer_running_ahead),
	        cmocka_unit_test(backend_event_storm_is_rate_limited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
