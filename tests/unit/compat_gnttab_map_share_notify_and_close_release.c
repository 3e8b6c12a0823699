/* SPDX-License-Identifier: MIT */
/* Through the drop-in libxengnttab (with libxenevtchn for the notify
 * ports), three domains — granter G, mapper M, and K, killed -9:
 *  - xengnttab_map_domain_grant_refs / _map_grant_refs map 64 refs as one
 *    contiguous range, both ways; unmap needs the exact count (EINVAL);
 *    one bad ref fails the whole map; count 0 is EINVAL;
 *  - xengnttab_map_grant_ref_notify: unmapping clears the byte and signals
 *    the port; so does closing the handle after munmap(); so does K's
 *    death by SIGKILL (byte and event, on a port of its own);
 *  - xengntshr_share_page_notify: unsharing clears the byte in the page
 *    the peer still maps and signals the peer;
 *  - xengntshr_unshare needs the exact count; share of 0 pages is EINVAL;
 *  - closing a handle releases what was munmap()ed: the peer can no longer
 *    map a share whose granter closed, and the process has the same
 *    number of descriptors as before the handle was opened. */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#include "compat_util.h"
#include "umx_test.h"
#include "umx/grant.h"

#define MANY 64

static void *LG, *LE;
#define G(fn) COMPAT_SYM(LG, fn)
#define E(fn) COMPAT_SYM(LE, fn)

struct pipes {
	int g2m[2], m2g[2], g2k[2], k2p[2], p2g[2];
	uint32_t m, k;
};

static int load(void)
{
	LG = compat_lib("libxengnttab.so.1");
	LE = compat_lib("libxenevtchn.so.1");
	return LG && LE ? 0 : -1;
}

/* Wait up to 5 s for *@b to become 0 (cleared by someone else). */
static int cleared(volatile uint8_t *b)
{
	for (int i = 0; i < 500; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		if (*b == 0)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* The next pending port of @x within 5 s, unmasked again. */
static int event(xenevtchn_handle *x, evtchn_port_t want)
{
	int p;

	if (compat_readable(E(xenevtchn_fd)(x), 5000) != 1) {
		fprintf(stderr, "event: none within 5 s\n");
		return 0;
	}
	p = E(xenevtchn_pending)(x);
	if (p != (int)want)
		fprintf(stderr, "event: pending %d, want %u\n", p, want);
	return p == (int)want && E(xenevtchn_unmask)(x, want) == 0;
}

static int granter(void *arg)
{
	struct pipes *p = arg;
	xengntshr_handle *s, *s2;
	xenevtchn_handle *x, *xk;
	uint32_t refs[MANY], rx, ry, rz, rn, rw, gdom;
	uint8_t *many, *px, *py, *pz, *pn, *pw;
	int pg, pk, fds0;

	close(p->g2m[0]);
	close(p->m2g[1]);
	CHILD_CHECK(load() == 0);
	CHILD_CHECK((gdom = umx_test_get_u32(p->p2g[0])) != 0xffffffffu);
	CHILD_CHECK((s = G(xengntshr_open)(NULL, 0)));
	CHILD_CHECK((x = E(xenevtchn_open)(NULL, 0)));
	CHILD_CHECK((pg = E(xenevtchn_bind_unbound_port)(x, p->m)) >= 0);
	/* K's notify port on a handle of its own: K dies whenever the parent
	 * kills it, and its event must not be taken for one of M's. */
	CHILD_CHECK((xk = E(xenevtchn_open)(NULL, 0)));
	CHILD_CHECK((pk = E(xenevtchn_bind_unbound_port)(xk, p->k)) >= 0);
	errno = 0;
	CHILD_CHECK(!G(xengntshr_share_pages)(s, p->m, 0, refs, 1) && errno == EINVAL);
	CHILD_CHECK((many = G(xengntshr_share_pages)(s, p->m, MANY, refs, 1)));
	for (uint32_t i = 0; i < MANY; i++)
		memcpy(many + i * UMX_PAGE_SIZE, &i, sizeof(i));
	CHILD_CHECK((px = G(xengntshr_share_pages)(s, p->m, 1, &rx, 1)));
	CHILD_CHECK((py = G(xengntshr_share_pages)(s, p->m, 1, &ry, 1)));
	CHILD_CHECK((pz = G(xengntshr_share_pages)(s, p->k, 1, &rz, 1)));
	CHILD_CHECK((pn = G(xengntshr_share_page_notify)(s, p->m, &rn, 1, 20, (evtchn_port_t)pg)));
	px[21] = py[22] = pz[23] = pn[20] = 1;
	CHILD_CHECK(umx_test_put_u32(p->g2m[1], gdom) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2m[1], (uint32_t)pg) == 0);
	for (int i = 0; i < MANY; i++)
		CHILD_CHECK(umx_test_put_u32(p->g2m[1], refs[i]) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2m[1], rx) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2m[1], ry) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2m[1], rn) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2k[1], gdom) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2k[1], rz) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2k[1], (uint32_t)pk) == 0);

	/* 1: M unmapped its notify mapping of rx. */
	CHILD_CHECK(umx_test_get_u32(p->m2g[0]) == 1);
	CHILD_CHECK(cleared(&px[21]));
	CHILD_CHECK(event(x, (evtchn_port_t)pg));
	/* Only now step 2, or its event could merge with this one. */
	CHILD_CHECK(umx_test_put_u32(p->g2m[1], 1) == 0);
	/* 2: M munmap()ed its mapping of ry and closed that handle. */
	CHILD_CHECK(umx_test_get_u32(p->m2g[0]) == 2);
	CHILD_CHECK(cleared(&py[22]));
	CHILD_CHECK(event(x, (evtchn_port_t)pg));
	/* 3: K was killed -9 while mapping rz. */
	CHILD_CHECK(umx_test_get_u32(p->p2g[0]) == 3);
	CHILD_CHECK(cleared(&pz[23]));
	CHILD_CHECK(event(xk, (evtchn_port_t)pk));

	/* 4: M has unmapped the 64 pages: exact count, then done. */
	errno = 0;
	CHILD_CHECK(G(xengntshr_unshare)(s, many, MANY - 1) == -1 && errno == EINVAL);
	CHILD_CHECK(G(xengntshr_unshare)(s, many, MANY) == 0);
	errno = 0;
	CHILD_CHECK(G(xengntshr_unshare)(s, many, MANY) == -1 && errno == EINVAL);
	/* Unshare the notify share M still maps: M sees byte 20 cleared. */
	CHILD_CHECK(G(xengntshr_unshare)(s, pn, 1) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2m[1], 4) == 0);
	CHILD_CHECK(umx_test_get_u32(p->m2g[0]) == 4);

	/* 5: a share munmap()ed then its handle closed is released. */
	fds0 = umx_test_count_fds(getpid());
	CHILD_CHECK((s2 = G(xengntshr_open)(NULL, 0)));
	CHILD_CHECK((pw = G(xengntshr_share_pages)(s2, p->m, 1, &rw, 1)));
	CHILD_CHECK(munmap(pw, UMX_PAGE_SIZE) == 0);
	CHILD_CHECK(G(xengntshr_close)(s2) == 0);
	CHILD_CHECK(umx_test_count_fds(getpid()) == fds0);
	CHILD_CHECK(umx_test_put_u32(p->g2m[1], rw) == 0);
	CHILD_CHECK(umx_test_get_u32(p->m2g[0]) == 5);

	CHILD_CHECK(G(xengntshr_unshare)(s, px, 1) == 0);
	CHILD_CHECK(G(xengntshr_unshare)(s, py, 1) == 0);
	CHILD_CHECK(G(xengntshr_unshare)(s, pz, 1) == 0);
	CHILD_CHECK(G(xengntshr_close)(s) == 0);
	CHILD_CHECK(E(xenevtchn_close)(x) == 0);
	CHILD_CHECK(E(xenevtchn_close)(xk) == 0);
	return 0;
}

static int mapper(void *arg)
{
	struct pipes *p = arg;
	xengnttab_handle *h, *h2;
	xenevtchn_handle *x;
	uint32_t refs[MANY], doms[MANY], four[4], gdom, rx, ry, rn, rw;
	uint8_t *a, *b, *mx, *my, *mn;
	int pm, fds0;

	close(p->g2m[1]);
	close(p->m2g[0]);
	CHILD_CHECK(load() == 0);
	CHILD_CHECK((h = G(xengnttab_open)(NULL, 0)));
	CHILD_CHECK((x = E(xenevtchn_open)(NULL, 0)));
	gdom = umx_test_get_u32(p->g2m[0]);
	CHILD_CHECK((pm = E(xenevtchn_bind_interdomain)(x, gdom, umx_test_get_u32(p->g2m[0]))) >=
	            0);
	for (int i = 0; i < MANY; i++) {
		refs[i] = umx_test_get_u32(p->g2m[0]);
		doms[i] = gdom;
	}
	rx = umx_test_get_u32(p->g2m[0]);
	ry = umx_test_get_u32(p->g2m[0]);
	rn = umx_test_get_u32(p->g2m[0]);
	CHILD_CHECK(rn != 0xffffffffu);

	CHILD_CHECK((a = G(xengnttab_map_domain_grant_refs)(h, MANY, gdom, refs,
	                                                    PROT_READ | PROT_WRITE)));
	CHILD_CHECK((b = G(xengnttab_map_grant_refs)(h, MANY, doms, refs, PROT_READ)));
	for (uint32_t i = 0; i < MANY; i++) {
		uint32_t va, vb;

		memcpy(&va, a + i * UMX_PAGE_SIZE, sizeof(va));
		memcpy(&vb, b + i * UMX_PAGE_SIZE, sizeof(vb));
		CHILD_CHECK(va == i && vb == i);
	}
	a[5 * UMX_PAGE_SIZE + 100] = 0x5a; /* one page, seen through both mappings */
	CHILD_CHECK(b[5 * UMX_PAGE_SIZE + 100] == 0x5a);
	errno = 0;
	CHILD_CHECK(G(xengnttab_unmap)(h, b, MANY - 1) == -1 && errno == EINVAL);
	CHILD_CHECK(G(xengnttab_unmap)(h, b, MANY) == 0);
	errno = 0;
	CHILD_CHECK(G(xengnttab_unmap)(h, b, MANY) == -1 && errno == EINVAL);
	CHILD_CHECK(G(xengnttab_unmap)(h, a, MANY) == 0);
	/* All or nothing: one bad ref fails the map. */
	memcpy(four, refs, sizeof(four));
	four[2] = 9999;
	errno = 0;
	CHILD_CHECK(!G(xengnttab_map_domain_grant_refs)(h, 4, gdom, four, PROT_READ) && errno != 0);
	errno = 0;
	CHILD_CHECK(!G(xengnttab_map_domain_grant_refs)(h, 0, gdom, four, PROT_READ) &&
	            errno == EINVAL);

	/* 1: unmap of a notify mapping. */
	CHILD_CHECK((mx = G(xengnttab_map_grant_ref_notify)(h, gdom, rx, PROT_READ | PROT_WRITE, 21,
	                                                    (evtchn_port_t)pm)));
	CHILD_CHECK(mx[21] == 1);
	CHILD_CHECK(G(xengnttab_unmap)(h, mx, 1) == 0);
	CHILD_CHECK(umx_test_put_u32(p->m2g[1], 1) == 0);
	CHILD_CHECK(umx_test_get_u32(p->g2m[0]) == 1);

	/* 2: munmap() then close of the handle (libxenvchan's way). */
	fds0 = umx_test_count_fds(getpid());
	CHILD_CHECK((h2 = G(xengnttab_open)(NULL, 0)));
	CHILD_CHECK((my = G(xengnttab_map_grant_ref_notify)(h2, gdom, ry, PROT_READ | PROT_WRITE,
	                                                    22, (evtchn_port_t)pm)));
	CHILD_CHECK(my[22] == 1);
	CHILD_CHECK(munmap(my, UMX_PAGE_SIZE) == 0);
	CHILD_CHECK(G(xengnttab_close)(h2) == 0);
	CHILD_CHECK(umx_test_count_fds(getpid()) == fds0);
	/* Map rn for step 4 before the granter may go on to unshare it. */
	CHILD_CHECK((mn = G(xengnttab_map_grant_ref)(h, gdom, rn, PROT_READ)));
	CHILD_CHECK(mn[20] == 1);
	CHILD_CHECK(umx_test_put_u32(p->m2g[1], 2) == 0);

	/* 4: the granter unshares a notify share we still map. */
	CHILD_CHECK(umx_test_get_u32(p->g2m[0]) == 4);
	CHILD_CHECK(cleared(&mn[20]));
	CHILD_CHECK(event(x, (evtchn_port_t)pm));
	CHILD_CHECK(G(xengnttab_unmap)(h, mn, 1) == 0);
	CHILD_CHECK(umx_test_put_u32(p->m2g[1], 4) == 0);

	/* 5: released by the granter's close: no longer mappable. */
	rw = umx_test_get_u32(p->g2m[0]);
	errno = 0;
	CHILD_CHECK(!G(xengnttab_map_grant_ref)(h, gdom, rw, PROT_READ) && errno != 0);
	CHILD_CHECK(umx_test_put_u32(p->m2g[1], 5) == 0);
	CHILD_CHECK(G(xengnttab_close)(h) == 0);
	CHILD_CHECK(E(xenevtchn_close)(x) == 0);
	return 0;
}

static int killed(void *arg)
{
	struct pipes *p = arg;
	xengnttab_handle *h;
	xenevtchn_handle *x;
	uint32_t gdom, rz, pk;
	int lk;
	uint8_t *mz;

	CHILD_CHECK(load() == 0);
	CHILD_CHECK((h = G(xengnttab_open)(NULL, 0)));
	CHILD_CHECK((x = E(xenevtchn_open)(NULL, 0)));
	gdom = umx_test_get_u32(p->g2k[0]);
	rz = umx_test_get_u32(p->g2k[0]);
	pk = umx_test_get_u32(p->g2k[0]);
	CHILD_CHECK((lk = E(xenevtchn_bind_interdomain)(x, gdom, pk)) >= 0);
	CHILD_CHECK((mz = G(xengnttab_map_grant_ref_notify)(h, gdom, rz, PROT_READ | PROT_WRITE, 23,
	                                                    (evtchn_port_t)lk)));
	CHILD_CHECK(mz[23] == 1);
	CHILD_CHECK(umx_test_put_u32(p->k2p[1], 1) == 0);
	pause(); /* until SIGKILL */
	CHILD_FAIL("woke before SIGKILL");
}

static void map_share_notify_and_close_release_like_gntdev_gntalloc(void **state)
{
	struct umx_test_daemon d;
	struct pipes p;
	uint32_t mdom, kdom, gdom;
	pid_t mpid, kpid, gpid;

	(void)state;
	assert_int_equal(pipe(p.g2m), 0);
	assert_int_equal(pipe(p.m2g), 0);
	assert_int_equal(pipe(p.g2k), 0);
	assert_int_equal(pipe(p.k2p), 0);
	assert_int_equal(pipe(p.p2g), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "mapper", mapper, &p, &mdom, &mpid), 0);
	assert_int_equal(umx_test_domain_fork(&d, "killed", killed, &p, &kdom, &kpid), 0);
	p.m = mdom;
	p.k = kdom;
	assert_int_equal(umx_test_domain_fork(&d, "granter", granter, &p, &gdom, &gpid), 0);
	assert_int_equal(umx_test_put_u32(p.p2g[1], gdom), 0);
	assert_int_equal(umx_test_get_u32(p.k2p[0]), 1);
	assert_int_equal(kill(kpid, SIGKILL), 0);
	assert_int_equal(umx_test_domain_reap(&d, kdom, kpid), 128 + SIGKILL);
	assert_int_equal(umx_test_put_u32(p.p2g[1], 3), 0);
	for (int i = 0; i < 2; i++) {
		close(p.g2m[i]);
		close(p.m2g[i]);
	}
	assert_int_equal(umx_test_domain_reap(&d, mdom, mpid), 0);
	assert_int_equal(umx_test_domain_reap(&d, gdom, gpid), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(map_share_notify_and_close_release_like_gntdev_gntalloc),
	};
	if (!getenv("UMX")) {
		printf("SKIP: UMX not set (run under ctest)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
