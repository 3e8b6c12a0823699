/* SPDX-License-Identifier: MIT */
/*
 * The netback role: umx is the backend of one fresh vif per attack and
 * fires net_hostile.c's raw ring writes at the target's netfront.
 *
 * Per vif: handshake, honest service until the device works (RX buffers
 * posted), then for TX attacks hold the frontend's next TX requests in
 * flight (the ids the attacks name), fire, and watch for a window with
 * every new request held: a TX or RX id posted twice while in flight, a
 * marker frame coming back twice (rx-dup-id), the target's death are
 * harm; leaving Connected or going quiet is a refusal.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "umx/net.h"
#include "vif.h"

static const char rx_marker[] = "UMX-ATTACK-RX-DUP";

static long window_ms(const struct attack_session *s)
{
	long w = (long)s->timeout_ms / 5;
	return w < 1500 ? 1500 : w;
}

static int lowest_live_tx(const struct vif *v)
{
	for (unsigned id = 0; id < VIF_IDS; id++)
		if (v->tx_live[id])
			return (int)id;
	return -1;
}

static unsigned live_tx(const struct vif *v)
{
	unsigned n = 0;
	for (unsigned id = 0; id < VIF_IDS; id++)
		n += v->tx_live[id];
	return n;
}

/* Hold the frontend's next TX requests: at least @want (one will do at
 * the end of the wait). The count held. */
static unsigned hold_tx(struct vif *v, unsigned want, long ms)
{
	long end = attack_now_ms() + ms;

	v->hold = true;
	while (live_tx(v) < want && attack_now_ms() < end) {
		vif_poll(v);
		usleep(2000);
	}
	return live_tx(v);
}

/* Watch for @ms with every request held; returns the frontend's state
 * at the end (-1 gone, >= 5 closing) and fills *@after with the number of
 * requests it posted meanwhile. Stops early on harm or a close. */
static int observe(struct vif *v, long ms, bool hold, uint32_t *after)
{
	uint32_t before = v->tx_reqs + v->rx_reqs;
	long end = attack_now_ms() + ms;
	int st = vif_fe_state(v);

	v->hold = hold;
	for (unsigned i = 0; attack_now_ms() < end; i++) {
		vif_poll(v);
		/* Harm seen: a little longer, for the rest of it to show. */
		if ((v->dup[0] || v->marker_seen >= 2) && end - attack_now_ms() > 300)
			end = attack_now_ms() + 300;
		if (i % 20 == 19) {
			st = vif_fe_state(v);
			if (st < 0 || st >= 5)
				break;
		}
		usleep(5000);
	}
	vif_poll(v);
	*after = v->tx_reqs + v->rx_reqs - before;
	return st;
}

static void fire(const struct attack_session *s, struct vif *v, const struct attack_def *a,
                 struct attack_result *r)
{
	enum nh_attack k = (enum nh_attack)a->param;
	bool tx = k <= NH_TX_NULL;
	uint8_t frame[128];
	size_t flen = 0;
	long w = window_ms(s);
	uint32_t after = 0;
	int id0 = -1, rc, st;
	unsigned events = 0;

	if (tx) {
		unsigned held = hold_tx(v, 2, (long)s->timeout_ms);
		if (!held) {
			r->v = ATTACK_INCONCLUSIVE;
			attack_evidence(r,
			                "no TX request in flight to attack: the target sent "
			                "nothing in %u ms",
			                s->timeout_ms);
			return;
		}
		id0 = lowest_live_tx(v);
	} else if (k != NH_EV_STORM) {
		v->hold = true;
	}
	if (k == NH_RX_DUP) {
		v->marker = rx_marker;
		flen = vif_marker_frame(v, frame, sizeof(frame), rx_marker);
	}
	uint16_t rx_id = nh_rx_req(&v->h, v->h.rxp).id;
	if (k == NH_EV_STORM) {
		/* Events and nothing else: no response while it lasts. */
		for (long t = attack_now_ms(); attack_now_ms() - t < w; events += NH_STORM_BURST)
			if (nh_storm(&v->h, NH_STORM_BURST) < 0)
				break;
		st = observe(v, w, false, &after);
	} else {
		rc = nh_fire(&v->h, k, id0 < 0 ? 0 : (uint16_t)id0, frame, flen);
		if (rc < 0) {
			r->v = ATTACK_INCONCLUSIVE;
			attack_evidence(r, "not delivered: %s", strerror(-rc));
			return;
		}
		if (tx && k != NH_TX_RANGE && k != NH_TX_NEVER)
			vif_tx_done(v, (uint16_t)id0);
		if (!tx && k != NH_RING_AHEAD)
			vif_rx_done(v, rx_id);
		if (k == NH_TX_STALE) {
			/* The frontend reaps the honest completion and sends more;
			 * then the late duplicate. */
			uint32_t seen = v->tx_reqs;
			for (long t = attack_now_ms();
			     v->tx_reqs == seen && attack_now_ms() - t < (long)s->timeout_ms;)
				vif_poll(v), usleep(2000);
			nh_stale_dup(&v->h, (uint16_t)id0);
			vif_tx_done(v, (uint16_t)id0);
		}
		st = observe(v, w, true, &after);
	}
	/* The device vanished: the domain may be dying; give the store a
	 * second to say so. */
	bool gone = attack_domain_gone(umx_plat_xs(s->p), s->target) == 1;
	for (long t = attack_now_ms(); st < 0 && !gone && attack_now_ms() - t < 1000;) {
		usleep(20000);
		gone = attack_domain_gone(umx_plat_xs(s->p), s->target) == 1;
	}
	if (gone) {
		r->v = ATTACK_VULNERABLE;
		attack_evidence(r, "the target died (its domain is gone)");
	} else if (v->dup[0] && v->marker_seen >= 2) {
		r->v = ATTACK_VULNERABLE;
		attack_evidence(r, "%s; a frame delivered twice: the marker came back %u times",
		                v->dup, v->marker_seen);
	} else if (v->dup[0]) {
		r->v = ATTACK_VULNERABLE;
		attack_evidence(r, "%s", v->dup);
	} else if (v->marker_seen >= 2) {
		r->v = ATTACK_VULNERABLE;
		attack_evidence(r, "a frame delivered twice: the marker came back %u times",
		                v->marker_seen);
	} else if (st < 0 || st >= 5) {
		r->v = ATTACK_REJECTED;
		attack_evidence(r, "disconnected (frontend %s)",
		                st < 0    ? "gone"
		                : st == 5 ? "Closing"
		                          : "Closed");
	} else if (a->kind == ATTACK_LOAD) {
		r->v = ATTACK_REJECTED;
		attack_evidence(r, "stayed connected through %u events, %u requests after", events,
		                after);
	} else if (!after) {
		r->v = ATTACK_REJECTED;
		attack_evidence(r, "stopped using the device (no request in %ld ms): marked broken",
		                w);
	} else {
		r->v = ATTACK_INCONCLUSIVE;
		attack_evidence(r, "kept using the device (%u requests after); no harm seen",
		                after);
	}
}

/* Device @i's fate tells what attack @i - 1 left behind. */
static void judge_previous(const struct attack_session *s, struct attack_result *prev, int next,
                           long t0)
{
	int gone = attack_domain_gone(umx_plat_xs(s->p), s->target);

	prev->ms += attack_now_ms() - t0;
	if (prev->v == ATTACK_VULNERABLE)
		return;
	if (gone == 1) {
		prev->v = ATTACK_VULNERABLE;
		attack_evidence(prev, "the target died after the attack");
	} else if (next < 0 && prev->v != ATTACK_INCONCLUSIVE) {
		char was[ATTACK_EVIDENCE_MAX];
		memcpy(was, prev->evidence, sizeof(was));
		prev->v = ATTACK_HUNG;
		attack_evidence(prev, "the next fresh vif never worked (%s) after: %s",
		                strerror(-next), was);
	}
}

int vif_role_run(const struct attack_session *s, const struct attack_def *const *as, unsigned n,
                 struct attack_result *out,
                 void (*fire_fn)(const struct attack_session *, struct vif *,
                                 const struct attack_def *, struct attack_result *))
{
	for (unsigned i = 0; i <= n; i++) {
		struct vif v;
		long t0 = attack_now_ms();
		int r = vif_open(&v, s, s->devid0 + i);

		if (r == 0)
			r = vif_until_working(&v, 1, (long)s->timeout_ms);
		if (i)
			judge_previous(s, &out[i - 1], r, t0);
		if (i == n) {
			attack_log(s, "probe vif %u: %s", s->devid0 + i,
			           r ? strerror(-r) : "works");
			vif_close(&v);
			break;
		}
		out[i] = (struct attack_result){.a = as[i]};
		if (r < 0) {
			out[i].v = ATTACK_INCONCLUSIVE;
			attack_evidence(&out[i], "vif %u never worked: %s", s->devid0 + i,
			                strerror(-r));
			vif_close(&v);
			if (i == 0 || attack_domain_gone(umx_plat_xs(s->p), s->target) == 1) {
				/* Nothing to attack: the rest would wait in vain. */
				for (unsigned k = i + 1; k < n; k++) {
					out[k] = out[i];
					out[k].a = as[k];
				}
				return 0;
			}
			continue;
		}
		attack_log(s, "vif %u: %s", s->devid0 + i, as[i]->name);
		fire_fn(s, &v, as[i], &out[i]);
		vif_close(&v);
		out[i].ms = attack_now_ms() - t0;
		attack_log(s, "vif %u: %s: %s (%s)", s->devid0 + i, as[i]->name,
		           attack_verdict_name(out[i].v), out[i].evidence);
		/* A dead target takes up no more devices: the rest would only
		 * wait in vain. */
		if (attack_domain_gone(umx_plat_xs(s->p), s->target) == 1) {
			for (unsigned k = i + 1; k < n; k++) {
				out[k] = (struct attack_result){.a = as[k],
				                                .v = ATTACK_INCONCLUSIVE};
				attack_evidence(&out[k], "not fired: the target died before");
			}
			return 0;
		}
	}
	return 0;
}

static int netback_run(const struct attack_session *s, const struct attack_def *const *as,
                       unsigned n, struct attack_result *out)
{
	return vif_role_run(s, as, n, out, fire);
}

int vif_attach(umx_xs *ts, uint32_t target, uint32_t attacker, unsigned devid)
{
	int r = umx_net_attach(ts, target, attacker, (int)devid, NULL);
	return r < 0 ? r : 0;
}

int vif_detach(umx_xs *ts, uint32_t target, uint32_t attacker, unsigned devid)
{
	return umx_net_detach(ts, target, attacker, devid);
}

const struct attack_role attack_role_netback = {
        .name = "netback",
        .target = "a netfront",
        .attach = vif_attach,
        .detach = vif_detach,
        .run = netback_run,
};
