/* SPDX-License-Identifier: MIT */
/*
 * umx_hostile_netback DOMU XSDIR [ATTACK...] — the MSA00 hostile netback
 * (tests/harness/net_hostile.c) against a real frontend on Xen, for the
 * harness scenario 50-hostile-netback: Linux's xen-netfront in the domU.
 *
 * One fresh vif (devid 51, 52, ...: clear of the vifs other scenarios
 * use) per attack, so that each is judged on
 * its own device: attach as the toolstack would, do the backend handshake,
 * serve honestly (answer ARP and ICMP echo for 10.50.N.1) until the domU
 * has pinged through it, hold the domU's next TX requests in flight, fire
 * the attack, keep serving honestly, and record what the frontend did: TX
 * requests it still posts, its xenbus state, and the domU's own report
 * (ping after the attack, dmesg, counters) read from XSDIR/N/. The
 * protocol violations run as one round, all vifs at once (TCG makes a
 * serial run take minutes); the event storm gets a round of its own.
 *
 * Exit 0 when every attack was delivered and its outcome observed (what
 * Linux does is the result, not the exit code); 1 when an attack could not
 * be delivered or observed (handshake failed, no traffic, no report).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_hostile.h"
#include "net_util.h"
#include "umx/grant.h" /* UMX_PAGE_SIZE */

struct vif {
	struct nh h;
	umx_xs *xs;
	const char *xsdir;
	uint32_t domu, n;
	uint32_t txc;                   /* next TX request to serve */
	uint8_t ip[4];                  /* ours: 10.50.n.1 */
	uint8_t mac[UMX_NET_MAC_LEN];   /* ours (the "router") */
	uint8_t femac[UMX_NET_MAC_LEN]; /* the frontend's: 00:16:3e:5a:DOMU:N */
	unsigned served_tx, served_rx;  /* honest work done */
};

#define VIF_BASE 50u /* vif N is devid N, MAC ..:5a:DOMU:N, 10.50.N.0/24 */

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static char *xs_get(struct vif *v, const char *name)
{
	char path[192], *val;
	snprintf(path, sizeof(path), "%s/%u/%s", v->xsdir, v->n, name);
	return umx_xs_read(v->xs, UMX_XS_NO_TX, path, &val, NULL) < 0 ? NULL : val;
}

static int xs_put(struct vif *v, const char *name, const char *val)
{
	char path[192];
	snprintf(path, sizeof(path), "%s/%u/%s", v->xsdir, v->n, name);
	return umx_xs_write_str(v->xs, UMX_XS_NO_TX, path, val);
}

/* Deliver @f to the next posted RX buffer: 0, or -ENOBUFS when none. */
static int rx_deliver(struct vif *v, const uint8_t *f, size_t len)
{
	struct netif_rx_request q;
	umx_plat_mapped *m;
	uint8_t *pg;

	if (nh_rx_req_prod(&v->h) == v->h.rxp)
		return -ENOBUFS;
	q = nh_rx_req(&v->h, v->h.rxp);
	if (!(pg = nh_map_one(&v->h, q.gref, false, &m)))
		return -EFAULT;
	memcpy(pg, f, len);
	umx_plat_unmap(v->h.p, m);
	nh_rx_rsp(&v->h, q.id, 0, 0, (int16_t)len);
	v->served_rx++;
	return 0;
}

/* An honest peer at 10.50.n.1: ARP replies and ICMP echo replies. */
static void answer(struct vif *v, const uint8_t *f, size_t len)
{
	uint8_t r[1514];

	if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 1 &&
	    !memcmp(f + 38, v->ip, 4)) {
		net_arp(r, 2, f + 6, v->mac, v->mac, v->ip, f + 22, f + 28);
		rx_deliver(v, r, 60);
	} else if (len >= 42 && len <= sizeof(r) && f[12] == 0x08 && f[13] == 0x00 &&
	           (f[14] & 0xf) == 5 && f[23] == 1 && f[34] == 8 && !memcmp(f + 30, v->ip, 4)) {
		uint16_t iplen = (uint16_t)(f[16] << 8 | f[17]);
		if (iplen < 28 || 14u + iplen > len)
			return;
		memcpy(r, f + 6, 6);
		memcpy(r + 6, v->mac, 6);
		memcpy(r + 12, f + 12, len - 12);
		memcpy(r + 26, f + 30, 4); /* swapped addresses keep the IP checksum */
		memcpy(r + 30, f + 26, 4);
		r[34] = 0;
		r[36] = r[37] = 0;
		net_put16(r + 36, net_csum(r + 34, iplen - 20u));
		rx_deliver(v, r, 14u + iplen);
	}
}

/* Serve every TX request posted so far as netback would; 1 if any. */
static int serve(struct vif *v)
{
	uint32_t prod = nh_tx_req_prod(&v->h);
	bool extra = false, first = true;
	unsigned rx0 = v->served_rx;
	int any = 0;

	while (v->txc != prod) {
		struct netif_tx_request q = nh_tx_req(&v->h, v->txc++);
		uint8_t f[UMX_PAGE_SIZE];
		size_t len = 0;

		any = 1;
		if (extra) { /* an extra-info slot: NULL response, as netback */
			struct netif_extra_info e;
			memcpy(&e, &q, sizeof(e));
			extra = e.flags & XEN_NETIF_EXTRA_FLAG_MORE;
			nh_tx_rsp(&v->h, 0, NETIF_RSP_NULL);
			continue;
		}
		if (q.offset < UMX_PAGE_SIZE) {
			umx_plat_mapped *m;
			const uint8_t *pg = nh_map_one(&v->h, q.gref, true, &m);
			len = q.size < UMX_PAGE_SIZE - q.offset ? q.size : UMX_PAGE_SIZE - q.offset;
			if (pg) {
				memcpy(f, pg + q.offset, len);
				umx_plat_unmap(v->h.p, m); /* before the response ends its grant */
			} else {
				len = 0;
			}
		}
		nh_tx_rsp(&v->h, q.id, NETIF_RSP_OKAY);
		v->served_tx++;
		extra = q.flags & NETTXF_extra_info;
		if (first && !(q.flags & NETTXF_more_data) && len == q.size)
			answer(v, f, len);
		first = !(q.flags & NETTXF_more_data);
	}
	if (any || v->served_rx != rx0)
		nh_notify(&v->h);
	return any;
}

static const char *state_name(const char *s)
{
	static const char *const n[] = {"Unknown",   "Initialising", "InitWait", "Initialised",
	                                "Connected", "Closing",      "Closed",   "Reconfiguring"};
	int i = s ? atoi(s) : -1;
	return i >= 0 && i < 8 ? n[i] : "gone";
}

static int fe_state(struct vif *v, char *out, size_t cap)
{
	char path[128], *s = NULL;
	snprintf(path, sizeof(path), "/local/domain/%u/device/vif/%u/state", v->domu, v->n);
	umx_xs_read(v->xs, UMX_XS_NO_TX, path, &s, NULL);
	snprintf(out, cap, "%s", state_name(s));
	int r = s ? atoi(s) : -1;
	free(s);
	return r;
}

/* Close the vif the way a toolstack tears one down, whatever state the
 * frontend is in: backend Closed, frontend directory, backend directory. */
static void teardown(struct vif *v)
{
	char be[96], fe[96], path[128], st[16];

	nh_disconnect(&v->h);
	snprintf(be, sizeof(be), "/local/domain/%u/backend/vif/%u/%u", umx_plat_domid(v->h.p),
	         v->domu, v->n);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", v->domu, v->n);
	snprintf(path, sizeof(path), "%s/state", be);
	umx_xs_write_str(v->xs, UMX_XS_NO_TX, path, "6");
	for (int i = 0; i < 100 && fe_state(v, st, sizeof(st)) != 6; i++)
		usleep(20000);
	umx_xs_rm(v->xs, UMX_XS_NO_TX, fe);
	umx_xs_rm(v->xs, UMX_XS_NO_TX, be);
}

/* A store node under XSDIR (@n 0) or XSDIR/n; malloc'd value or NULL. */
static char *xs_at(umx_xs *xs, const char *xsdir, const char *name)
{
	char path[192], *val;
	snprintf(path, sizeof(path), "%s/%s", xsdir, name);
	return umx_xs_read(xs, UMX_XS_NO_TX, path, &val, NULL) < 0 ? NULL : val;
}

static int xs_set(umx_xs *xs, const char *xsdir, const char *name, const char *val)
{
	char path[192];
	snprintf(path, sizeof(path), "%s/%s", xsdir, name);
	return umx_xs_write_str(xs, UMX_XS_NO_TX, path, val);
}

/*
 * The two halves pace each other by progress, not by the clock (under TCG
 * on a loaded host a step takes seconds or minutes): each writes a step
 * counter, XSDIR/round/R/dom0 and XSDIR/round/R/domU, and a wait fails
 * only when the other half has not moved for IDLE_MS.
 */
#define IDLE_MS 240000

struct pace {
	umx_xs *xs;
	const char *xsdir;
	int round;
	unsigned steps;    /* ours */
	char *peer;        /* the domU's counter as last read */
	long peer_moved;   /* when it last changed (or we did something) */
	const char *where; /* the step we are in, for the log */
};

static long t_start;

/* A line on stderr with the time since the start (the log is read after
 * the run: the times tell a slow peer from a stuck one). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "hostile: [%6.1f s] ", (double)(net_now_ms() - t_start) / 1000.0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* One step of ours done: tell the domU (its waits follow this counter). */
static void pace_step(struct pace *pc, const char *what)
{
	char path[192], num[16];
	snprintf(path, sizeof(path), "%s/round/%d/dom0", pc->xsdir, pc->round);
	snprintf(num, sizeof(num), "%u", ++pc->steps);
	umx_xs_write_str(pc->xs, UMX_XS_NO_TX, path, num);
	pc->where = what;
}

/* Whether the domU has moved within IDLE_MS (its counter changed, or
 * @busy: we saw its work on a ring). */
static bool pace_alive(struct pace *pc, bool busy)
{
	char path[192], *val = NULL;
	long now = net_now_ms();

	snprintf(path, sizeof(path), "%s/round/%d/domU", pc->xsdir, pc->round);
	if (umx_xs_read(pc->xs, UMX_XS_NO_TX, path, &val, NULL) == 0 &&
	    (!pc->peer || strcmp(val, pc->peer) != 0)) {
		free(pc->peer);
		pc->peer = val;
		busy = true;
	} else {
		free(val);
	}
	if (busy)
		pc->peer_moved = now;
	if (now - pc->peer_moved < IDLE_MS)
		return true;
	say("round %d: the domU has not moved for %d s (%s; its last step: %s)", pc->round,
	    IDLE_MS / 1000, pc->where, pc->peer ? pc->peer : "none");
	return false;
}

/* Serve every vif of the round until XSDIR/@name exists, or until the
 * domU stops making progress. */
static bool serve_until(struct pace *pc, struct vif *v, int nv, const char *name)
{
	char *val = NULL;
	bool busy = false;

	pc->peer_moved = net_now_ms();
	for (int i = 0; !stop; i++) {
		for (int k = 0; k < nv; k++)
			if (v[k].h.tx)
				busy |= serve(&v[k]) != 0;
		/* The store is shared with the domU: ask it every 50 ms only. */
		if (i % 10 == 0) {
			if ((val = xs_at(pc->xs, pc->xsdir, name)))
				break;
			if (!pace_alive(pc, busy))
				break;
			busy = false;
		}
		usleep(5000);
	}
	bool found = val != NULL;
	free(val);
	return found;
}

static long counter(const char *stats, const char *name)
{
	const char *p = stats ? strstr(stats, name) : NULL;
	return p ? strtol(p + strlen(name), NULL, 10) : 0;
}

/* Frames Linux passed up beyond the ones we delivered honestly since the
 * domU's "before" counters (the honest phase had ended by then). */
static long rx_unasked(struct vif *v, unsigned rx_armed)
{
	char *b = xs_get(v, "before"), *a = xs_get(v, "after");
	long r = counter(a, "rx_packets=") - counter(b, "rx_packets=") -
	         (long)(v->served_rx - rx_armed);
	free(a);
	free(b);
	return r;
}

/* The domU's evidence for vif @v: what it saw, counters before and after
 * the attack, then its dmesg lines (one value, split by line). */
static void print_evidence(struct vif *v)
{
	static const char *const keys[] = {"if", "oper", "held", "id0", "id0-reused", "events"};
	static const char *const multi[] = {"before", "after", "dmesg"};

	printf("UMX-HOSTILE %u  ", v->n);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *val = xs_get(v, keys[i]);
		if (val)
			printf(" %s=%s", keys[i], val);
		free(val);
	}
	printf("\n");
	for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
		char *val = xs_get(v, multi[i]), *nl;
		for (char *line = val; line && *line; line = nl ? nl + 1 : NULL) {
			if ((nl = strchr(line, '\n')))
				*nl = 0;
			printf("UMX-HOSTILE %u   %s: %s\n", v->n, multi[i], line);
		}
		free(val);
	}
}

/* TX requests the domU has posted since we last served, over all vifs. */
static uint32_t tx_posted(struct vif *v, int nv)
{
	uint32_t n = 0;
	for (int k = 0; k < nv; k++)
		if (v[k].h.tx)
			n += nh_tx_req_prod(&v[k].h) - v[k].txc;
	return n;
}

static bool held_enough(struct vif *v, int nv)
{
	for (int k = 0; k < nv; k++)
		if (v[k].h.tx && nh_tx_req_prod(&v[k].h) - v[k].txc < 2)
			return false;
	return true;
}

/*
 * Attach every vif of the round and handshake them all at once: the
 * domU's netfront sets up each device's rings in turn (seconds each under
 * TCG), so one vif after the other would leave the first ones idle for
 * minutes. Waits as long as some frontend keeps changing state. Returns
 * the number connected; the others have no rings (h.tx NULL).
 */
static int connect_all(struct pace *pc, umx_plat *p, struct vif *v, int nv)
{
	const int GAVE_UP = -2; /* st[k]: not waited for any more */
	int st[NH_COUNT], pending = 0, done = 0, r;
	long moved = net_now_ms();

	for (int k = 0; k < nv; k++) {
		struct vif *w = &v[k];

		st[k] = -1;
		r = umx_net_attach(w->xs, w->domu, umx_plat_domid(p), (int)w->n, w->femac);
		if (r < 0 || (r = nh_offer(&w->h, p, w->domu, w->n, 20000)) < 0) {
			say("vif %u: attach: %s", v[k].n, strerror(-r));
			v[k].h.p = p;
			st[k] = GAVE_UP;
			continue;
		}
		pending++;
	}
	while (pending && !stop) {
		for (int k = 0; k < nv; k++) {
			if (st[k] == GAVE_UP || v[k].h.tx)
				continue;
			int s = nh_fe_state(&v[k].h);
			if (s != st[k]) {
				st[k] = s;
				moved = net_now_ms();
			}
			if (s == 4 && (r = nh_accept(&v[k].h)) == 0) {
				done++;
			} else if (s == 4 || s > 4) {
				say("vif %u: handshake: %s", v[k].n,
				    s == 4 ? strerror(-r) : "the frontend closed");
				st[k] = GAVE_UP;
			} else {
				continue;
			}
			pending--;
			pace_step(pc, "connecting the vifs");
		}
		if (pending && net_now_ms() - moved > IDLE_MS) {
			for (int k = 0; k < nv; k++)
				if (st[k] != GAVE_UP && !v[k].h.tx)
					say("vif %u: the frontend stayed in state %d for %d s",
					    v[k].n, st[k], IDLE_MS / 1000);
			break;
		}
		usleep(20000);
	}
	return done;
}

/*
 * One round: a fresh vif per attack, all at once (each is its own device
 * in the domU, named in its own dmesg lines), in lockstep with the domU's
 * round (XSDIR/round/R/{vifs,armed,fired,reported}), each half following
 * the other's progress (struct pace). Returns the number of attacks that
 * were not delivered and observed.
 */
static int run_round(umx_plat *p, const char *xsdir, uint32_t domu, int round,
                     const enum nh_attack *as, const uint32_t *ns, int nv)
{
	struct vif v[NH_COUNT];
	struct pace pc = {.xs = umx_plat_xs(p), .xsdir = xsdir, .round = round};
	uint32_t prod_fire[NH_COUNT], posted;
	unsigned rx_armed[NH_COUNT];
	uint16_t id0[NH_COUNT];
	bool stale_done[NH_COUNT], ok[NH_COUNT];
	char list[NH_COUNT * 4] = "", buf[64];
	uint8_t frame[60] = {0};
	long t0 = net_now_ms(), t;
	int fails = 0, r, nc;

	for (int k = 0; k < nv; k++) {
		char macs[18];

		v[k] = (struct vif){.xs = umx_plat_xs(p), .xsdir = xsdir, .domu = domu, .n = ns[k]};
		v[k].h.p = p;
		ok[k] = false;
		stale_done[k] = as[k] != NH_TX_STALE;
		memcpy(v[k].mac, (uint8_t[]){0x02, 0, 0, 0x5a, 0, (uint8_t)ns[k]}, 6);
		memcpy(v[k].ip, (uint8_t[]){10, 50, (uint8_t)ns[k], 1}, 4);
		memcpy(v[k].femac,
		       (uint8_t[]){0x00, 0x16, 0x3e, 0x5a, (uint8_t)domu, (uint8_t)ns[k]}, 6);
		umx_net_format_mac(v[k].femac, macs);
		xs_put(&v[k], "mac", macs);
		xs_put(&v[k], "attack", nh_attack_name[as[k]]);
	}
	nc = connect_all(&pc, p, v, nv);
	for (int k = 0; k < nv; k++)
		if (v[k].h.tx)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%u",
			         *list ? " " : "", v[k].n);
	say("round %d: %d of %d vifs connected in %ld ms", round, nc, nv, net_now_ms() - t0);
	snprintf(buf, sizeof(buf), "round/%d/vifs", round);
	xs_set(pc.xs, xsdir, buf, list);
	pace_step(&pc, "honest phase");
	/* Honest phase: the domU pings 10.50.n.1 through each vif. */
	snprintf(buf, sizeof(buf), "round/%d/armed", round);
	if (!serve_until(&pc, v, nv, buf)) {
		say("round %d: the domU never armed", round);
		goto out;
	}
	say("round %d: armed", round);
	for (int k = 0; k < nv; k++)
		rx_armed[k] = v[k].served_rx;
	/* Hold what the domU sends next in flight: those are the ids the TX
	 * attacks name (Linux has nothing in flight otherwise). As long as
	 * requests keep coming, some vif may still be on its way. */
	pc.where = "holding TX requests";
	for (t = net_now_ms(), posted = 0; !held_enough(v, nv) && net_now_ms() - t < 15000;) {
		if (tx_posted(v, nv) != posted) {
			posted = tx_posted(v, nv);
			t = net_now_ms();
		}
		usleep(2000);
	}
	memset(frame, 0xff, 6); /* what rx-dup delivers: a broadcast, local type */
	net_put16(frame + 12, 0x88b5);
	memcpy(frame + 14, "MSA00-RX-DUP", 12);
	for (int k = 0; k < nv; k++) {
		struct vif *w = &v[k];
		if (!w->h.tx)
			continue;
		uint32_t held = nh_tx_req_prod(&w->h) - w->txc;
		snprintf(buf, sizeof(buf), "%u", held);
		xs_put(w, "held", buf);
		if (!held && as[k] <= NH_TX_NULL) {
			say("vif %u: no TX request in flight to attack", w->n);
			continue;
		}
		id0[k] = nh_tx_req(&w->h, w->txc).id;
		prod_fire[k] = nh_tx_req_prod(&w->h);
		memcpy(frame + 6, w->mac, 6);
		if (as[k] == NH_EV_STORM) {
			unsigned events = 0;
			for (t = net_now_ms(); net_now_ms() - t < 1000; events += NH_STORM_BURST)
				if (nh_storm(&w->h, NH_STORM_BURST) < 0)
					break;
			snprintf(buf, sizeof(buf), "%u", events);
			xs_put(w, "events", buf);
		} else if ((r = nh_fire(&w->h, as[k], id0[k], frame, sizeof(frame))) < 0) {
			say("vif %u: %s not delivered: %s", w->n, nh_attack_name[as[k]],
			    strerror(-r));
			continue;
		}
		snprintf(buf, sizeof(buf), "%u", id0[k]);
		xs_put(w, "id0", buf);
		ok[k] = true;
	}
	pace_step(&pc, "attacks fired, waiting for the stale id's next TX");
	/* tx-stale-id: the frontend reaps the honest completion and sends
	 * more; then the late duplicate. Linux's free list is LIFO: the next
	 * frame may well carry id0 again. */
	for (t = net_now_ms(); net_now_ms() - t < 15000;) {
		bool all = true;
		for (int k = 0; k < nv; k++) {
			struct vif *w = &v[k];
			if (stale_done[k] || !ok[k])
				continue;
			if (nh_tx_req_prod(&w->h) == prod_fire[k]) {
				all = false;
				continue;
			}
			xs_put(w, "id0-reused",
			       nh_tx_req(&w->h, prod_fire[k]).id == id0[k] ? "yes" : "no");
			nh_stale_dup(&w->h, id0[k]);
			prod_fire[k] = nh_tx_req_prod(&w->h);
			stale_done[k] = true;
		}
		if (all)
			break;
		usleep(2000);
	}
	for (int k = 0; k < nv; k++) {
		if (ok[k] && !stale_done[k]) {
			say("vif %u: no TX after the honest completion", v[k].n);
			ok[k] = false;
		}
		/* The held requests stay in flight; honest service from here on. */
		if (ok[k])
			v[k].txc = prod_fire[k];
		else if (v[k].h.tx)
			nh_disconnect(&v[k].h); /* not attacked: not judged either */
	}
	snprintf(buf, sizeof(buf), "round/%d/fired", round);
	xs_set(pc.xs, xsdir, buf, "1");
	pace_step(&pc, "waiting for the domU's report");
	say("round %d: fired", round);
	snprintf(buf, sizeof(buf), "round/%d/reported", round);
	if (!serve_until(&pc, v, nv, buf)) {
		say("round %d: no report from the domU", round);
		goto out;
	}
	for (int k = 0; k < nv; k++) {
		struct vif *w = &v[k];
		char st[16], num[24], *honest = xs_get(w, "armed"), *post = xs_get(w, "post");
		if (!ok[k]) {
			free(honest);
			free(post);
			continue;
		}
		snprintf(buf, sizeof(buf), "%u", nh_tx_req_prod(&w->h) - prod_fire[k]);
		xs_put(w, "tx-after", buf);
		fe_state(w, st, sizeof(st));
		xs_put(w, "fe-state", st);
		long unasked = rx_unasked(w, rx_armed[k]);
		snprintf(num, sizeof(num), "%ld", unasked);
		xs_put(w, "rx-unasked", num);
		printf("UMX-HOSTILE %-2u %-26s honest=%-4s tx-after=%-3s rx-unasked=%-2ld "
		       "fe-state=%-9s ping-after=%s\n",
		       w->n, nh_attack_name[as[k]], honest ? honest : "?", buf, unasked, st,
		       post ? post : "?");
		print_evidence(w);
		/* The attack must hit a working device, and be observed. */
		if (!honest || strcmp(honest, "ok") != 0 || !post) {
			say("vif %u: honest ping %s, report %s", w->n, honest ? honest : "missing",
			    post ? "read" : "missing");
			ok[k] = false;
		}
		free(honest);
		free(post);
	}
	fflush(stdout);
out:
	for (int k = 0; k < nv; k++) {
		if (!ok[k])
			fails++;
		teardown(&v[k]);
	}
	free(pc.peer);
	say("round %d: %ld ms", round, net_now_ms() - t0);
	return fails;
}

int main(int argc, char **argv)
{
	enum nh_attack list[NH_COUNT], as[NH_COUNT];
	uint32_t ns[NH_COUNT];
	umx_plat *p;
	char num[16];
	int fails = 0, n = 0, r, nv = 0, round = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DOMU XSDIR [ATTACK...]\n", argv[0]);
		return 2;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	uint32_t domu = (uint32_t)strtoul(argv[1], NULL, 10);
	const char *xsdir = argv[2];
	for (int i = 3; i < argc; i++)
		for (int a = 0; a < NH_COUNT; a++)
			if (!strcmp(argv[i], nh_attack_name[a]) && n < NH_COUNT)
				list[n++] = (enum nh_attack)a;
	if (argc == 3)
		for (int a = 0; a < NH_COUNT; a++)
			list[n++] = (enum nh_attack)a;
	if (n != (argc == 3 ? NH_COUNT : argc - 3)) {
		fprintf(stderr, "hostile: unknown attack name\n");
		return 2;
	}
	t_start = net_now_ms();
	if ((r = umx_plat_open(NULL, &p)) < 0) {
		fprintf(stderr, "hostile: platform: %s\n", strerror(-r));
		return 1;
	}
	/* Round 1: every protocol violation at once, one vif each. Round 2:
	 * the event storm alone, so that the load it causes is its own. */
	int rounds = 0, storm = 0;
	for (int i = 0; i < n; i++)
		storm += list[i] == NH_EV_STORM;
	rounds = (storm < n) + (storm > 0);
	snprintf(num, sizeof(num), "%d", rounds);
	xs_set(umx_plat_xs(p), xsdir, "rounds", num);
	for (int pass = 0; pass < 2 && !stop; pass++) {
		nv = 0;
		for (int i = 0; i < n; i++)
			if ((list[i] == NH_EV_STORM) == (pass == 1)) {
				as[nv] = list[i];
				ns[nv++] = VIF_BASE + (uint32_t)i + 1;
			}
		if (nv)
			fails += run_round(p, xsdir, domu, ++round, as, ns, nv);
	}
	umx_plat_close(p);
	if (stop)
		fprintf(stderr, "hostile: stopped by a signal\n");
	return fails || stop ? 1 : 0;
}
