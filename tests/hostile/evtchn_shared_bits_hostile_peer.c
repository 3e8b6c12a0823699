/* SPDX-License-Identifier: MIT */
/* A peer with raw access to the shared event-channel memory it was given
 * (the bucket a victim receives its ports in) can raise only its own port:
 * setting every pending bit delivers its port and nothing else; flipping
 * the upcall word, the masks and the selector, flooding the bucket's
 * eventfd and trying to resize the memfd neither hide an honest peer's
 * events nor make the victim spin (its wakeups stay within the storm
 * limit and every honest event arrives), and it cannot bind or learn the
 * honest peer's channel. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "umx/conn.h"
#include "umx/internal/clock.h"
#include "umx/internal/ctl.h"
#include "umx/internal/evtchn_shm.h"
#include "umx_test.h"

enum {
	ATK_QUIT,
	ATK_FOREIGN_BITS,
	ATK_FLIP,
	ATK_FLOOD,
	ATK_RESIZE,
	ATK_STEAL
};

#define FLOOD_MS      1500u
#define HONEST_EVENTS 10u

struct pipes {
	int from_parent_v[2], from_parent_h[2], from_parent_m[2];
	int v2h[2], h2v[2], v2m[2], m2v[2];
};

/* Wait up to @ms for an event on @h; the port, or -ETIMEDOUT. Counts the
 * polls that woke up in *@wakeups. */
static int wait_event(umx_evtchn *h, unsigned ms, unsigned *wakeups)
{
	uint64_t end = umx_clock_ms() + ms;
	struct pollfd p = {.fd = umx_evtchn_fd(h), .events = POLLIN};

	for (;;) {
		int port = umx_evtchn_pending(h);
		if (port != -EAGAIN)
			return port;
		uint64_t now = umx_clock_ms();
		if (now >= end)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(end - now)) > 0 && wakeups)
			(*wakeups)++;
	}
}

static int victim(void *arg)
{
	struct pipes *pp = arg;
	uint32_t dh = umx_test_get_u32(pp->from_parent_v[0]);
	uint32_t dm = umx_test_get_u32(pp->from_parent_v[0]);
	struct umx_evtchn_stats st;
	umx_evtchn *h;
	int pv, px, r;
	unsigned wakeups = 0;

	CHILD_CHECK_OK(umx_evtchn_open(&h));
	CHILD_CHECK((pv = umx_evtchn_alloc_unbound(h, dh)) > 0);
	CHILD_CHECK((px = umx_evtchn_alloc_unbound(h, dm)) > 0);
	umx_test_put_u32(pp->v2h[1], (uint32_t)pv);
	umx_test_put_u32(pp->v2m[1], (uint32_t)px);
	CHILD_CHECK(umx_test_get_u32(pp->h2v[0]) == 1);
	CHILD_CHECK(umx_test_get_u32(pp->m2v[0]) == 1);

	/* Every pending bit of the attacker's bucket set: only its own port
	 * is delivered, once; the honest peer's port is not. */
	umx_test_put_u32(pp->v2m[1], ATK_FOREIGN_BITS);
	CHILD_CHECK(umx_test_get_u32(pp->m2v[0]) == ATK_FOREIGN_BITS);
	CHILD_CHECK(wait_event(h, 5000, NULL) == px);
	CHILD_CHECK(wait_event(h, 300, NULL) == -ETIMEDOUT);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)px) == 0);
	CHILD_CHECK(wait_event(h, 100, NULL) == -ETIMEDOUT);

	/* Upcall word, masks, selector and pending bits flipped: the honest
	 * peer's event arrives all the same. */
	umx_test_put_u32(pp->v2m[1], ATK_FLIP);
	CHILD_CHECK(umx_test_get_u32(pp->m2v[0]) == ATK_FLIP);
	umx_test_put_u32(pp->v2h[1], 1);
	CHILD_CHECK(wait_event(h, 5000, NULL) == pv);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)pv) == 0);

	/* A flood of kicks with nothing pending: every honest event arrives,
	 * and the victim wakes a bounded number of times. */
	uint64_t t0 = umx_clock_ms();
	umx_test_put_u32(pp->v2m[1], ATK_FLOOD);
	for (unsigned i = 0; i < HONEST_EVENTS; i++) {
		umx_test_put_u32(pp->v2h[1], 1);
		CHILD_CHECK((r = wait_event(h, 5000, &wakeups)) == pv);
		CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)pv) == 0);
	}
	for (;;) { /* until the attacker stops */
		struct pollfd p[2] = {{.fd = umx_evtchn_fd(h), .events = POLLIN},
		                      {.fd = pp->m2v[0], .events = POLLIN}};
		CHILD_CHECK(poll(p, 2, 10000) > 0);
		if (p[1].revents)
			break;
		wakeups++;
		while ((r = umx_evtchn_pending(h)) > 0)
			CHILD_CHECK_OK(umx_evtchn_unmask(h, (uint32_t)r));
	}
	uint64_t ms = umx_clock_ms() - t0;
	uint32_t kicks = umx_test_get_u32(pp->m2v[0]);
	umx_evtchn_stats(h, &st);
	fprintf(stderr,
	        "flood: %u kicks in %llu ms, %u victim wakeups, %llu spurious, %llu storms held\n",
	        kicks, (unsigned long long)ms, wakeups, (unsigned long long)st.spurious,
	        (unsigned long long)st.storms);
	/* At most the storm limit per 100 ms window, plus the honest events. */
	CHILD_CHECK(wakeups <= 260u * (unsigned)(ms / 100 + 2) + HONEST_EVENTS);
	if (kicks > 10000)
		CHILD_CHECK(st.storms > 0);

	/* The memfd cannot be resized under us: still mapped, still working. */
	umx_test_put_u32(pp->v2m[1], ATK_RESIZE);
	CHILD_CHECK(umx_test_get_u32(pp->m2v[0]) == ATK_RESIZE);
	umx_test_put_u32(pp->v2h[1], 1);
	CHILD_CHECK(wait_event(h, 5000, NULL) == pv);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)pv) == 0);

	/* The honest channel cannot be taken. */
	umx_test_put_u32(pp->v2m[1], ATK_STEAL);
	umx_test_put_u32(pp->v2m[1], (uint32_t)pv);
	CHILD_CHECK(umx_test_get_u32(pp->m2v[0]) == ATK_STEAL);
	umx_test_put_u32(pp->v2h[1], 1);
	CHILD_CHECK(wait_event(h, 5000, NULL) == pv);

	umx_test_put_u32(pp->v2h[1], 0);
	umx_test_put_u32(pp->v2m[1], ATK_QUIT);
	umx_evtchn_close(h);
	return 0;
}

static int honest(void *arg)
{
	struct pipes *pp = arg;
	uint32_t dv = umx_test_get_u32(pp->from_parent_h[0]);
	umx_evtchn *h;
	int q;

	CHILD_CHECK_OK(umx_evtchn_open(&h));
	CHILD_CHECK((q = umx_evtchn_bind_interdomain(h, dv, umx_test_get_u32(pp->v2h[0]))) > 0);
	CHILD_CHECK(wait_event(h, 5000, NULL) == q); /* a binder's port starts pending */
	CHILD_CHECK_OK(umx_evtchn_unmask(h, (uint32_t)q));
	umx_test_put_u32(pp->h2v[1], 1);
	while (umx_test_get_u32(pp->v2h[0]) == 1)
		CHILD_CHECK_OK(umx_evtchn_notify(h, (uint32_t)q));
	umx_evtchn_close(h);
	return 0;
}

static void fill(_Atomic uint64_t *w, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		atomic_store_explicit(&w[i], v, memory_order_relaxed);
}

/* The attacker: umx's control protocol by hand, and the victim's bucket
 * written raw. */
static int attacker(void *arg)
{
	struct pipes *pp = arg;
	uint32_t dv = umx_test_get_u32(pp->from_parent_m[0]);
	struct umx_ctl_evt_open oreq = {0};
	struct umx_ctl_evt_bind breq = {.remote_domid = dv};
	struct umx_ctl_evt_port_info info = {0};
	struct umx_evt_bucket *b;
	umx_conn *c;
	int fds[4], ctlfd = -1;
	unsigned nfds = 0;
	uint64_t one = 1;

	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	CHILD_CHECK_OK(umx_conn_call(c, UMX_CTL_EVT_OPEN, &oreq, sizeof(oreq), &breq.handle,
	                             sizeof(breq.handle), NULL, &ctlfd, 1, &nfds));
	CHILD_CHECK(nfds == 1);
	close(ctlfd);
	breq.remote_port = umx_test_get_u32(pp->v2m[0]);
	CHILD_CHECK_OK(umx_conn_call(c, UMX_CTL_EVT_BIND_INTERDOMAIN, &breq, sizeof(breq), &info,
	                             sizeof(info), NULL, fds, 4, &nfds));
	CHILD_CHECK(nfds == 4 && info.target && info.target_port == breq.remote_port);
	uint32_t mine = info.port;
	close(fds[0]);
	close(fds[1]);
	b = mmap(NULL, UMX_EVT_BUCKET_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[2], 0);
	CHILD_CHECK(b != MAP_FAILED);
	umx_test_put_u32(pp->m2v[1], 1);

	for (;;) {
		uint32_t cmd = umx_test_get_u32(pp->v2m[0]);
		switch (cmd) {
		case ATK_FOREIGN_BITS:
			fill(b->pending, UMX_EVT_WORDS, ~0ull);
			fill(b->sel, UMX_EVT_SEL_WORDS, ~0ull);
			atomic_store(&b->upcall, 0);
			CHILD_CHECK(write(fds[3], &one, sizeof(one)) == sizeof(one));
			break;
		case ATK_FLIP:
			fill(b->pending, UMX_EVT_WORDS, 0);
			fill(b->sel, UMX_EVT_SEL_WORDS, 0);
			fill(b->mask, UMX_EVT_WORDS, ~0ull);
			atomic_store(&b->upcall, 1);
			break;
		case ATK_FLOOD: {
			uint64_t end = umx_clock_ms() + FLOOD_MS;
			uint32_t kicks = 0;
			fill(b->mask, UMX_EVT_WORDS, 0);
			atomic_store(&b->upcall, 0);
			while (umx_clock_ms() < end)
				for (int i = 0; i < 64; i++)
					kicks += write(fds[3], &one, sizeof(one)) == sizeof(one);
			cmd = kicks;
			break;
		}
		case ATK_RESIZE:
			CHILD_CHECK(ftruncate(fds[2], 0) < 0 && errno == EPERM);
			CHILD_CHECK(ftruncate(fds[2], 1 << 20) < 0 && errno == EPERM);
			CHILD_CHECK(fcntl(fds[2], F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM);
			break;
		case ATK_STEAL: {
			struct umx_ctl_evt_port nreq = {.port = umx_test_get_u32(pp->v2m[0]),
			                                .handle = breq.handle};
			breq.remote_port = nreq.port;
			/* Bound to the honest peer, never offered to us. */
			CHILD_CHECK(umx_conn_call(c, UMX_CTL_EVT_BIND_INTERDOMAIN, &breq,
			                          sizeof(breq), &info, sizeof(info), NULL, NULL, 0,
			                          NULL) == -EINVAL);
			/* Our handle holds one port: every other number is refused. */
			nreq.port = mine + 1;
			CHILD_CHECK(umx_conn_call(c, UMX_CTL_EVT_NOTIFY, &nreq, sizeof(nreq), &info,
			                          sizeof(info), NULL, NULL, 0, NULL) == -EINVAL);
			break;
		}
		case ATK_QUIT:
			umx_conn_close(c);
			return 0;
		default:
			CHILD_FAIL("unknown command");
		}
		umx_test_put_u32(pp->m2v[1], cmd);
	}
}

static void test_hostile_peer_raises_only_its_own_port(void **state)
{
	struct umx_test_daemon d;
	struct pipes pp;
	uint32_t dv, dh, dm;
	pid_t pv, ph, pm;
	(void)state;

	int *all = &pp.from_parent_v[0];
	for (unsigned i = 0; i < sizeof(pp) / sizeof(int); i += 2)
		assert_int_equal(pipe(all + i), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "victim", victim, &pp, &dv, &pv), 0);
	assert_int_equal(umx_test_domain_fork(&d, "honest", honest, &pp, &dh, &ph), 0);
	assert_int_equal(umx_test_domain_fork(&d, "attacker", attacker, &pp, &dm, &pm), 0);
	umx_test_put_u32(pp.from_parent_v[1], dh);
	umx_test_put_u32(pp.from_parent_v[1], dm);
	umx_test_put_u32(pp.from_parent_h[1], dv);
	umx_test_put_u32(pp.from_parent_m[1], dv);
	assert_int_equal(umx_test_domain_reap(&d, dv, pv), 0);
	assert_int_equal(umx_test_domain_reap(&d, dh, ph), 0);
	assert_int_equal(umx_test_domain_reap(&d, dm, pm), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	for (unsigned i = 0; i < sizeof(pp) / sizeof(int); i++)
		close(all[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hostile_peer_raises_only_its_own_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
