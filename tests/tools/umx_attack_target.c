/* SPDX-License-Identifier: MIT */
/*
 * umx_attack_target honest|weak|weak-back — a netfront (or netback) for
 * `umx attack` to attack
 * (tests/hostile/attack_*.sh), run as a domain. It takes up vif 0, 1, 2, ...
 * in turn, each until the device breaks or its backend closes: one fresh
 * device per attack, as `umx attack` makes them.
 *
 * honest: umx's own netfront (devices/net/front.c): sends a frame every
 *         20 ms, echoes every frame holding "UMX-ATTACK" back to its sender.
 * weak:   a deliberately weakened raw netfront, the bugs the detectors
 *         exist for, built only here: TX ids from a free list that trusts
 *         every response (a duplicate completion puts an id on it twice:
 *         MSA00), BUG_ON-style abort() on a TX id past its table, RX
 *         responses taken without checking the id is posted (a frame
 *         delivered twice), and on close its RX buffers reused for private
 *         data as if ending access had succeeded (MSA02); and a storm of
 *         events without work (XSA-391) makes it stop taking up devices
 *         for good: a hang.
 * weak-back: the other side, a deliberately weakened raw netback serving
 *         every vif whose backend is this domain: it trusts the request
 *         producer, answers OKAY for a grant it could not map, copies
 *         offset + size without a bound (a slot past its page reads past
 *         the mapping: it dies), and handles every event without a bound.
 * Runs until killed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/netif.h>

#include "umx/barrier.h"
#include "umx/internal/clock.h"
#include "umx/net.h"
#include "umx/platform.h"

static const char marker[] = "UMX-ATTACK";

static void ping_frame(uint8_t *f, const uint8_t mac[6], unsigned n)
{
	memset(f, 0, 64);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	snprintf((char *)f + 14, 40, "UMX-TARGET-%u", n);
}

/* The frame back to its sender, addresses swapped. */
static void echo_of(uint8_t *out, const uint8_t *in, size_t len, const uint8_t mac[6])
{
	memcpy(out, in, len);
	memcpy(out, in + 6, 6);
	memcpy(out + 6, mac, 6);
}

static void honest_vif(umx_plat *p, unsigned h)
{
	static uint8_t f[UMX_NET_FRAME_MAX], e[UMX_NET_FRAME_MAX];
	uint8_t mac[6];
	umx_netfront *nf;
	unsigned n = 0;
	char path[128], *v = NULL;

	if (umx_netfront_open(p, h, 30000, &nf) < 0)
		return;
	umx_netfront_mac(nf, mac);
	snprintf(path, sizeof(path), "/local/domain/%u/device/vif/%u/backend-id", umx_plat_domid(p),
	         h);
	for (uint64_t next = 0; !umx_netfront_broken(nf) && umx_netfront_link_up(nf);) {
		/* The toolstack may remove the vif before we saw its backend
		 * close: gone is gone. */
		if (n % 10 == 9 && umx_xs_read(umx_plat_xs(p), UMX_XS_NO_TX, path, &v, NULL) < 0)
			break;
		free(v);
		v = NULL;
		if (umx_clock_ms() >= next) {
			ping_frame(f, mac, n++);
			(void)umx_netfront_send(nf, f, 64);
			next = umx_clock_ms() + 20;
		}
		umx_netfront_wait(nf, 10);
		int len;
		while ((len = umx_netfront_recv(nf, f, sizeof(f))) > 0)
			if (len >= 14 && memmem(f, (size_t)len, marker, sizeof(marker) - 1)) {
				echo_of(e, f, (size_t)len, mac);
				(void)umx_netfront_send(nf, e, (size_t)len);
			}
	}
	fprintf(stderr, "target: vif %u: %s\n", h,
	        umx_netfront_broken(nf) ? umx_netfront_broken(nf) : "backend closed");
	umx_netfront_close(nf);
}

/* ---- the weakened raw netfront ----------------------------------------- */

#define RING_HDR 64u
#define SLOT_T   12u
#define SLOT_R   8u
#define RING_N   256u
#define TX_N     256u /* TX ids and pages */
#define RX_N     64u  /* RX ids and pages */

struct weak {
	umx_plat *p;
	umx_xs *xs;
	unsigned h;
	uint32_t back, port;
	char fe[96], be[128];
	umx_plat_shared *rings, *bufs;
	uint8_t *tx, *rx, *txpg, *rxpg;
	uint32_t txprod, txcons, rxprod, rxcons;
	uint16_t freel[1024]; /* the free list: no check on what is pushed */
	unsigned nfree;
	uint8_t mac[6];
};

static int node(struct weak *w, const char *name, const char *fmt, unsigned v)
{
	char path[160], val[32];
	snprintf(path, sizeof(path), "%s/%s", w->fe, name);
	snprintf(val, sizeof(val), fmt, v);
	return umx_xs_write_str(w->xs, UMX_XS_NO_TX, path, val);
}

static int be_state(struct weak *w)
{
	char path[160], *v = NULL;
	snprintf(path, sizeof(path), "%s/state", w->be);
	if (umx_xs_read(w->xs, UMX_XS_NO_TX, path, &v, NULL) < 0)
		return -1;
	int s = atoi(v);
	free(v);
	return s;
}

static void weak_send(struct weak *w, const uint8_t *f, size_t len)
{
	struct netif_tx_request q = {0};

	if (!w->nfree || w->txprod - w->txcons >= RING_N)
		return;
	uint16_t id = w->freel[--w->nfree];
	if (id >= TX_N)
		abort(); /* BUG_ON(id >= NET_TX_RING_SIZE), as frontends once did */
	memcpy(w->txpg + (size_t)id * UMX_PAGE_SIZE, f, len);
	q.gref = umx_plat_share_ref(w->bufs, id);
	q.id = id;
	q.size = (uint16_t)len;
	memcpy(w->tx + RING_HDR + (w->txprod % RING_N) * SLOT_T, &q, sizeof(q));
	umx_store_release32(w->tx, ++w->txprod); /* pairs with the backend's acquire */
	umx_plat_evtchn_notify(w->p, w->port);
}

static void weak_post_rx(struct weak *w, uint16_t id)
{
	struct netif_rx_request q = {.id = id, .gref = umx_plat_share_ref(w->bufs, TX_N + id)};
	memcpy(w->rx + RING_HDR + (w->rxprod % RING_N) * SLOT_R, &q, sizeof(q));
	umx_store_release32(w->rx, ++w->rxprod); /* pairs with the backend's acquire */
}

static void weak_poll(struct weak *w)
{
	uint32_t prod = umx_load_acquire32(w->tx + 8); /* pairs with the backend's release */
	static uint8_t e[UMX_PAGE_SIZE];

	for (; w->txcons != prod; w->txcons++) { /* no prod - cons check: weak */
		struct netif_tx_response r;
		memcpy(&r, w->tx + RING_HDR + (w->txcons % RING_N) * SLOT_T, sizeof(r));
		if (r.id >= TX_N)
			abort(); /* BUG_ON, as frontends once did */
		if (w->nfree < sizeof(w->freel) / sizeof(w->freel[0]))
			w->freel[w->nfree++] = r.id; /* trusted: MSA00 */
	}
	prod = umx_load_acquire32(w->rx + 8); /* pairs with the backend's release */
	for (; w->rxcons != prod; w->rxcons++) {
		struct netif_rx_response r;
		memcpy(&r, w->rx + RING_HDR + (w->rxcons % RING_N) * SLOT_R, sizeof(r));
		uint16_t id = r.id % RX_N; /* whatever id: never checked it was posted */
		const uint8_t *pg = w->rxpg + (size_t)id * UMX_PAGE_SIZE;
		if (r.status > 14 && r.offset < UMX_PAGE_SIZE &&
		    (size_t)r.status <= UMX_PAGE_SIZE - r.offset &&
		    memmem(pg + r.offset, (size_t)r.status, marker, sizeof(marker) - 1)) {
			echo_of(e, pg + r.offset, (size_t)r.status, w->mac);
			weak_send(w, e, (size_t)r.status);
		}
		weak_post_rx(w, id);
	}
}

static void weak_vif(umx_plat *p, unsigned h)
{
	struct weak w = {.p = p, .xs = umx_plat_xs(p), .h = h};
	char path[160], *v = NULL;
	uint8_t f[64];
	unsigned n = 0;

	snprintf(w.fe, sizeof(w.fe), "/local/domain/%u/device/vif/%u", umx_plat_domid(p), h);
	snprintf(path, sizeof(path), "%s/backend-id", w.fe);
	for (int i = 0; umx_xs_read(w.xs, UMX_XS_NO_TX, path, &v, NULL) < 0; i++) {
		if (i > 3000)
			return;
		usleep(10000);
	}
	w.back = (uint32_t)atoi(v);
	free(v);
	snprintf(path, sizeof(path), "%s/backend", w.fe);
	if (umx_xs_read(w.xs, UMX_XS_NO_TX, path, &v, NULL) < 0)
		return;
	snprintf(w.be, sizeof(w.be), "%s", v);
	free(v);
	for (int i = 0; be_state(&w) != 2; i++) {
		if (i > 3000)
			return;
		usleep(10000);
	}
	if (umx_plat_share(p, w.back, 2, false, NULL, &w.rings) < 0 ||
	    umx_plat_share(p, w.back, TX_N + RX_N, false, NULL, &w.bufs) < 0)
		return;
	w.tx = umx_plat_share_addr(w.rings);
	w.rx = w.tx + UMX_PAGE_SIZE;
	w.txpg = umx_plat_share_addr(w.bufs);
	w.rxpg = w.txpg + (size_t)TX_N * UMX_PAGE_SIZE;
	for (unsigned i = 0; i < TX_N; i++)
		w.freel[w.nfree++] = (uint16_t)(TX_N - 1 - i);
	for (unsigned i = 0; i < RX_N; i++)
		weak_post_rx(&w, (uint16_t)i);
	int port = umx_plat_evtchn_alloc_unbound(p, w.back);
	if (port <= 0)
		return;
	w.port = (uint32_t)port;
	memcpy(w.mac, (uint8_t[]){0x02, 0x77, 0, 0, 0, (uint8_t)h}, 6);
	node(&w, "tx-ring-ref", "%u", umx_plat_share_ref(w.rings, 0));
	node(&w, "rx-ring-ref", "%u", umx_plat_share_ref(w.rings, 1));
	node(&w, "event-channel", "%u", w.port);
	node(&w, "request-rx-copy", "%u", 1);
	node(&w, "state", "%u", 4);
	for (unsigned i = 0, idle = 0; be_state(&w) >= 0 && be_state(&w) < 5; i++) {
		for (int k = 0; k < 50; k++) {
			/* Every event is handled as if it brought work, without a
			 * bound: a run of them that bring none (an honest backend
			 * sends one after work, every few ms here) and this one
			 * never comes back. */
			for (int pp; (pp = umx_plat_evtchn_pending(p)) > 0;) {
				uint32_t seen = w.txcons + w.rxcons;
				umx_plat_evtchn_unmask(p, (uint32_t)pp);
				weak_poll(&w);
				idle = w.txcons + w.rxcons == seen ? idle + 1 : 0;
				if (idle > 100) {
					fprintf(stderr, "target: weak vif %u: hung by events\n", h);
					for (;;)
						pause();
				}
			}
			uint32_t seen = w.txcons + w.rxcons;
			weak_poll(&w);
			if (w.txcons + w.rxcons != seen)
				idle = 0;
			if (k % 5 == 0) {
				ping_frame(f, w.mac, n++);
				weak_send(&w, f, sizeof(f));
			}
			usleep(1000);
		}
	}
	/* The close: "ended access" to every buffer, ignoring that it failed,
	 * and the RX pages reused for private data. */
	for (unsigned i = 0; i < RX_N; i++)
		snprintf((char *)w.rxpg + (size_t)i * UMX_PAGE_SIZE, 64,
		         "SECRET-OF-THE-TARGET-REUSED-PAGE-%u", i);
	node(&w, "state", "%u", 6);
	fprintf(stderr, "target: weak vif %u closed\n", h);
	umx_plat_evtchn_unbind(p, w.port);
	(void)umx_plat_unshare(p, w.bufs); /* -EBUSY ignored: the weakness */
	(void)umx_plat_unshare(p, w.rings);
}

/* ---- the weakened raw netback ------------------------------------------ */

static void weak_back_vif(umx_plat *p, const char *be, uint32_t front)
{
	umx_xs *xs = umx_plat_xs(p);
	char path[192], fe[128], *v = NULL;
	long tx_ref, evt;
	umx_plat_mapped *mt = NULL;

	snprintf(path, sizeof(path), "%s/frontend", be);
	if (umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) < 0)
		return;
	snprintf(fe, sizeof(fe), "%s", v);
	free(v);
	snprintf(path, sizeof(path), "%s/state", be);
	umx_xs_write_str(xs, UMX_XS_NO_TX, path, "2");
	for (int i = 0;; i++) {
		char *s = NULL;
		snprintf(path, sizeof(path), "%s/state", fe);
		if (umx_xs_read(xs, UMX_XS_NO_TX, path, &s, NULL) == 0 && atoi(s) == 4) {
			free(s);
			break;
		}
		free(s);
		if (i > 3000)
			return;
		usleep(10000);
	}
	snprintf(path, sizeof(path), "%s/tx-ring-ref", fe);
	if (umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) < 0)
		return;
	tx_ref = atol(v);
	free(v);
	snprintf(path, sizeof(path), "%s/event-channel", fe);
	if (umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) < 0)
		return;
	evt = atol(v);
	free(v);
	uint32_t ref = (uint32_t)tx_ref;
	int port = umx_plat_evtchn_bind_interdomain(p, front, (uint32_t)evt);
	if (port <= 0 || umx_plat_map(p, front, 1, &ref, false, NULL, &mt) < 0)
		return;
	uint8_t *tx = umx_plat_map_addr(mt);
	snprintf(path, sizeof(path), "%s/state", be);
	umx_xs_write_str(xs, UMX_XS_NO_TX, path, "4");
	uint32_t cons = 0, rsp = 0;
	for (unsigned i = 0;; i++) {
		for (int pp; (pp = umx_plat_evtchn_pending(p)) > 0;)
			umx_plat_evtchn_unmask(p, (uint32_t)pp); /* no bound, no rest */
		uint32_t prod = umx_load_acquire32(tx); /* pairs with the frontend's release */
		for (; cons != prod; cons++) {          /* no prod - cons check: weak */
			struct netif_tx_request q;
			struct netif_tx_response r = {.status = NETIF_RSP_OKAY};
			umx_plat_mapped *m;
			uint8_t frame[UMX_PAGE_SIZE];
			memcpy(&q, tx + RING_HDR + (cons % RING_N) * SLOT_T, sizeof(q));
			if (umx_plat_map(p, front, 1, &q.gref, true, NULL, &m) == 0) {
				/* offset + size never checked against the page */
				memcpy(frame, (uint8_t *)umx_plat_map_addr(m) + q.offset,
				       q.size < sizeof(frame) ? q.size : sizeof(frame));
				umx_plat_unmap(p, m);
			}
			r.id = q.id;
			memcpy(tx + RING_HDR + (rsp++ % RING_N) * SLOT_T, &r, sizeof(r));
			umx_store_release32(tx + 8, rsp); /* pairs with the frontend's acquire */
		}
		umx_plat_evtchn_notify(p, (uint32_t)port);
		if (i % 50 == 0) {
			char *s = NULL;
			snprintf(path, sizeof(path), "%s/state", fe);
			int st = umx_xs_read(xs, UMX_XS_NO_TX, path, &s, NULL) == 0 ? atoi(s) : 6;
			free(s);
			if (st >= 5)
				break;
		}
		usleep(2000);
	}
	snprintf(path, sizeof(path), "%s/state", be);
	umx_xs_write_str(xs, UMX_XS_NO_TX, path, "6");
	umx_plat_unmap(p, mt);
	umx_plat_evtchn_unbind(p, (uint32_t)port);
}

/* Serve each backend/vif/<front>/<devid> of ours once, in turn. */
static void weak_back(umx_plat *p)
{
	static char done[64][64];
	unsigned ndone = 0;
	char dir[96];

	snprintf(dir, sizeof(dir), "/local/domain/%u/backend/vif", umx_plat_domid(p));
	for (;;) {
		char **fronts = NULL, be[160] = "";
		unsigned nf = 0;
		long front = -1;

		if (umx_xs_directory(umx_plat_xs(p), UMX_XS_NO_TX, dir, &fronts, &nf) == 0) {
			for (unsigned i = 0; i < nf && !be[0]; i++) {
				char sub[128], **devs = NULL;
				unsigned nd = 0;
				snprintf(sub, sizeof(sub), "%s/%s", dir, fronts[i]);
				if (umx_xs_directory(umx_plat_xs(p), UMX_XS_NO_TX, sub, &devs,
				                     &nd) < 0)
					continue;
				for (unsigned k = 0; k < nd && !be[0]; k++) {
					char key[64];
					bool seen = false;
					snprintf(key, sizeof(key), "%s/%s", fronts[i], devs[k]);
					for (unsigned d = 0; d < ndone; d++)
						seen |= !strcmp(done[d], key);
					if (!seen && ndone < 64) {
						snprintf(done[ndone++], sizeof(done[0]), "%s", key);
						snprintf(be, sizeof(be), "%s/%s", sub, devs[k]);
						front = strtol(fronts[i], NULL, 10);
					}
				}
				free(devs);
			}
			free(fronts);
		}
		if (!be[0]) {
			usleep(20000);
			continue;
		}
		fprintf(stderr, "target: weak backend for %s\n", be);
		weak_back_vif(p, be, (uint32_t)front);
	}
}

int main(int argc, char **argv)
{
	umx_plat *p;
	bool weak;

	if (argc != 2 || (strcmp(argv[1], "honest") != 0 && strcmp(argv[1], "weak") != 0 &&
	                  strcmp(argv[1], "weak-back") != 0)) {
		fprintf(stderr, "usage: %s honest|weak|weak-back\n", argv[0]);
		return 2;
	}
	weak = !strcmp(argv[1], "weak");
	if (umx_plat_open(NULL, &p) < 0) {
		fprintf(stderr, "target: no platform\n");
		return 1;
	}
	if (!strcmp(argv[1], "weak-back")) {
		weak_back(p);
		return 1;
	}
	/* Take up the lowest vif not yet served. A vif is known by its handle
	 * and its backend: each `umx attack` run is a new backend domain, and
	 * may reuse the handles of the run before. */
	static long served[1024];
	for (unsigned h = 0; h < 1024; h++)
		served[h] = -1;
	for (;;) {
		char dir[96], path[128], **names = NULL, *v;
		unsigned count = 0;
		long pick = -1, back = -1;

		snprintf(dir, sizeof(dir), "/local/domain/%u/device/vif", umx_plat_domid(p));
		if (umx_xs_directory(umx_plat_xs(p), UMX_XS_NO_TX, dir, &names, &count) == 0) {
			for (unsigned i = 0; i < count; i++) {
				long h = strtol(names[i], NULL, 10), b;
				snprintf(path, sizeof(path), "%s/%ld/backend-id", dir, h);
				if (h < 0 || h >= 1024 ||
				    umx_xs_read(umx_plat_xs(p), UMX_XS_NO_TX, path, &v, NULL) < 0)
					continue;
				b = strtol(v, NULL, 10);
				free(v);
				if (served[h] != b && (pick < 0 || h < pick)) {
					pick = h;
					back = b;
				}
			}
			free(names);
		}
		if (pick < 0) {
			usleep(20000);
			continue;
		}
		served[pick] = back;
		fprintf(stderr, "target: vif %ld of backend %ld\n", pick, back);
		if (weak)
			weak_vif(p, (unsigned)pick);
		else
			honest_vif(p, (unsigned)pick);
	}
}
