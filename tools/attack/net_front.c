/* SPDX-License-Identifier: MIT */
/*
 * The netfront role: umx is the frontend of one fresh vif per attack and
 * writes raw TX requests no frontend should at the target's netback.
 *
 * Per vif: the frontend handshake (rings and one read-only data page
 * granted, request-rx-copy), one honest frame answered OKAY (the device
 * works), then the attack, and a window watching the backend: leaving
 * Connected or answering ERROR is a refusal; answering OKAY for what it
 * cannot have read, answering requests never made, or dying is harm; a
 * target that never takes up the next fresh vif is hung.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/netif.h>

#include "attack.h"
#include "net_front.h"
#include "umx/barrier.h"
#include "umx/grant.h"
#include "umx/net.h"

#define RING_HDR 64u
#define SLOT_T   12u
#define RING_N   256u

struct nf {
	const struct attack_session *s;
	umx_xs *xs;
	unsigned devid;
	uint32_t back;
	char fe[96], be[128];
	umx_plat_shared *rings, *data;
	uint8_t *tx, *rx;
	uint32_t port;
	uint32_t reqp, rspc; /* our request producer, our response consumer */
	bool connected;
};

static int read_num(umx_xs *xs, const char *dir, const char *name, long *out)
{
	char path[192], *v = NULL, *end;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((r = umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL)) < 0)
		return r;
	*out = strtol(v, &end, 10);
	r = end == v || *end ? -EINVAL : 0;
	free(v);
	return r;
}

static int be_state(struct nf *f)
{
	long s;
	return read_num(f->xs, f->be, "state", &s) < 0 ? -1 : (int)s;
}

static int put(struct nf *f, const char *name, unsigned v)
{
	char path[192], val[16];
	snprintf(path, sizeof(path), "%s/%s", f->fe, name);
	snprintf(val, sizeof(val), "%u", v);
	return umx_xs_write_str(f->xs, UMX_XS_NO_TX, path, val);
}

/* Wait until the backend's state is one of @mask's bits: 0, -ETIMEDOUT,
 * or -ENODEV when it went past Connected (closing) meanwhile. */
static int wait_be(struct nf *f, unsigned mask, long ms)
{
	for (long end = attack_now_ms() + ms; attack_now_ms() < end;) {
		int st = be_state(f);
		if (st >= 0 && (mask & (1u << st)))
			return 0;
		if (st >= 5)
			return -ENODEV;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static void nf_close(struct nf *f)
{
	if (f->connected) {
		put(f, "state", 6);
		wait_be(f, 1u << 6 | 1u << 2, 500);
	}
	if (f->port)
		umx_plat_evtchn_unbind(f->s->p, f->port);
	/* The backend may still map them: the platform keeps them aside. */
	if (f->data)
		(void)umx_plat_unshare(f->s->p, f->data);
	if (f->rings)
		(void)umx_plat_unshare(f->s->p, f->rings);
	f->port = 0;
	f->data = f->rings = NULL;
	f->connected = false;
}

static int nf_open(struct nf *f, const struct attack_session *s, unsigned devid)
{
	long back;
	char *v = NULL, path[128];
	int r, port;

	memset(f, 0, sizeof(*f));
	f->s = s;
	f->xs = umx_plat_xs(s->p);
	f->devid = devid;
	snprintf(f->fe, sizeof(f->fe), "/local/domain/%u/device/vif/%u", umx_plat_domid(s->p),
	         devid);
	/* The toolstack makes the vif as we start: wait for it. */
	for (long end = attack_now_ms() + (long)s->timeout_ms;
	     (r = read_num(f->xs, f->fe, "backend-id", &back)) < 0;) {
		if (attack_now_ms() > end)
			return r;
		usleep(10000);
	}
	f->back = (uint32_t)back;
	snprintf(path, sizeof(path), "%s/backend", f->fe);
	if ((r = umx_xs_read(f->xs, UMX_XS_NO_TX, path, &v, NULL)) < 0)
		return r;
	snprintf(f->be, sizeof(f->be), "%s", v);
	free(v);
	if ((r = wait_be(f, 1u << 2, (long)s->timeout_ms)) < 0)
		return r;
	if ((r = umx_plat_share(s->p, f->back, 2, false, NULL, &f->rings)) < 0 ||
	    (r = umx_plat_share(s->p, f->back, 1, true, NULL, &f->data)) < 0)
		goto fail;
	f->tx = umx_plat_share_addr(f->rings);
	f->rx = f->tx + UMX_PAGE_SIZE;
	if ((port = umx_plat_evtchn_alloc_unbound(s->p, f->back)) <= 0) {
		r = port < 0 ? port : -EINVAL;
		goto fail;
	}
	f->port = (uint32_t)port;
	if ((r = put(f, "tx-ring-ref", umx_plat_share_ref(f->rings, 0))) < 0 ||
	    (r = put(f, "rx-ring-ref", umx_plat_share_ref(f->rings, 1))) < 0 ||
	    (r = put(f, "event-channel", f->port)) < 0 || (r = put(f, "request-rx-copy", 1)) < 0 ||
	    (r = put(f, "state", 4)) < 0)
		goto fail;
	f->connected = true;
	if ((r = wait_be(f, 1u << 4, (long)s->timeout_ms)) < 0)
		goto fail;
	return 0;
fail:
	nf_close(f);
	return r;
}

static void push_tx(struct nf *f, uint32_t gref, uint16_t off, uint16_t flags, uint16_t id,
                    uint16_t size)
{
	struct netif_tx_request q = {
	        .gref = gref, .offset = off, .flags = flags, .id = id, .size = size};
	memcpy(f->tx + RING_HDR + (f->reqp++ % RING_N) * SLOT_T, &q, sizeof(q));
}

static void publish(struct nf *f, uint32_t prod)
{
	umx_store_release32(f->tx, prod); /* pairs with the backend's acquire of req_prod */
	umx_plat_evtchn_notify(f->s->p, f->port);
}

/* The status of the response to request @id, waiting up to @ms: 0 and
 * *@status, -ETIMEDOUT, -ENODEV (the backend closed), or -EPROTO when it
 * answered an id we never used (*@status then holds that id). */
static int response(struct nf *f, uint16_t id, long ms, int16_t *status)
{
	for (long end = attack_now_ms() + ms; attack_now_ms() < end;) {
		uint32_t prod = umx_load_acquire32(f->tx + 8); /* pairs with its release */
		/* More responses than requests: it answers what we never asked. */
		if (prod - f->rspc > RING_N || (int32_t)(prod - f->reqp) > 0) {
			uint32_t extra = prod - f->reqp;
			*status = (int16_t)(extra > 32767 ? 32767 : extra);
			return -ERANGE;
		}
		for (; f->rspc != prod; f->rspc++) {
			struct netif_tx_response r;
			memcpy(&r, f->tx + RING_HDR + (f->rspc % RING_N) * SLOT_T, sizeof(r));
			if (r.id == id) {
				*status = r.status;
				f->rspc++;
				return 0;
			}
		}
		int st = be_state(f);
		if (st < 0 || st >= 5)
			return -ENODEV;
		usleep(5000);
	}
	return -ETIMEDOUT;
}

/* One honest frame (to ourselves, a local ethertype) answered OKAY. */
static int honest(struct nf *f)
{
	uint8_t *d = umx_plat_share_addr(f->data);
	int16_t st;
	int r;

	memset(d, 0, 64);
	memcpy(d, (uint8_t[]){0x02, 0x55, 0, 0, 0, (uint8_t)f->devid}, 6);
	memcpy(d + 6, d, 6);
	d[12] = 0x88;
	d[13] = 0xb5;
	push_tx(f, umx_plat_share_ref(f->data, 0), 0, 0, 1, 60);
	publish(f, f->reqp);
	if ((r = response(f, 1, (long)f->s->timeout_ms, &st)) < 0)
		return r;
	return st == NETIF_RSP_OKAY ? 0 : -EIO;
}

static void judge(struct nf *f, struct attack_result *r, int rc, int16_t st, const char *harm)
{
	int bs = be_state(f);

	if (attack_domain_gone(f->xs, f->s->target) == 1) {
		r->v = ATTACK_VULNERABLE;
		attack_evidence(r, "the target died (its domain is gone)");
	} else if (rc == -ERANGE) {
		r->v = ATTACK_VULNERABLE;
		attack_evidence(r, "answered %d requests never made", st);
	} else if (rc == 0 && st == NETIF_RSP_OKAY) {
		r->v = ATTACK_VULNERABLE;
		attack_evidence(r, "%s: answered OKAY", harm);
	} else if (rc == 0) {
		r->v = ATTACK_REJECTED;
		attack_evidence(r, "answered status %d", st);
	} else if (rc == -ENODEV || bs < 0 || bs >= 5) {
		r->v = ATTACK_REJECTED;
		attack_evidence(r, "disconnected (backend %s)",
		                bs < 0    ? "gone"
		                : bs == 5 ? "Closing"
		                          : "Closed");
	} else {
		r->v = ATTACK_INCONCLUSIVE;
		attack_evidence(r, "no answer and still connected (%s)", strerror(-rc));
	}
}

static void fire(struct nf *f, const struct attack_def *a, struct attack_result *r)
{
	long w = (long)f->s->timeout_ms / 5 < 1500 ? 1500 : (long)f->s->timeout_ms / 5;
	uint32_t gref = umx_plat_share_ref(f->data, 0);
	int16_t st = 0;
	int rc;

	switch ((enum nf_attack)a->param) {
	case NF_GARBAGE_GREF:
		push_tx(f, 0x0fffffffu, 0, 0, 2, 60);
		publish(f, f->reqp);
		rc = response(f, 2, w, &st);
		judge(f, r, rc, st, "a frame from a grant that does not exist");
		break;
	case NF_CROSS_PAGE:
		push_tx(f, gref, 4000, 0, 3, 200);
		publish(f, f->reqp);
		rc = response(f, 3, w, &st);
		judge(f, r, rc, st, "a slot running past its page");
		break;
	case NF_PROD_AHEAD:
		/* The request producer 100000 past what we wrote. */
		publish(f, f->reqp + 100000u);
		rc = response(f, 0xffff, w, &st);
		judge(f, r, rc, st, "");
		break;
	case NF_STORM: {
		unsigned events = 0;
		for (long t = attack_now_ms(); attack_now_ms() - t < w; events++)
			if (umx_plat_evtchn_notify(f->s->p, f->port) < 0)
				break;
		/* It must still answer an honest frame. */
		rc = honest(f);
		if (rc == 0) {
			r->v = ATTACK_REJECTED;
			attack_evidence(r, "still answers after %u events", events);
		} else {
			judge(f, r, rc, 0, "");
			if (r->v == ATTACK_INCONCLUSIVE) {
				r->v = ATTACK_HUNG;
				attack_evidence(r, "no answer to an honest frame after %u events",
				                events);
			}
		}
		break;
	}
	}
}

static int netfront_run(const struct attack_session *s, const struct attack_def *const *as,
                        unsigned n, struct attack_result *out)
{
	for (unsigned i = 0; i <= n; i++) {
		struct nf f;
		long t0 = attack_now_ms();
		int r = nf_open(&f, s, s->devid0 + i);

		if (r == 0)
			r = honest(&f);
		if (i && out[i - 1].v != ATTACK_VULNERABLE) {
			struct attack_result *prev = &out[i - 1];
			if (attack_domain_gone(umx_plat_xs(s->p), s->target) == 1) {
				prev->v = ATTACK_VULNERABLE;
				attack_evidence(prev, "the target died after the attack");
			} else if (r < 0 && prev->v != ATTACK_INCONCLUSIVE) {
				char was[ATTACK_EVIDENCE_MAX];
				memcpy(was, prev->evidence, sizeof(was));
				prev->v = ATTACK_HUNG;
				attack_evidence(prev,
				                "the next fresh vif never worked (%s) after: %s",
				                strerror(-r), was);
			}
		}
		if (i == n) {
			attack_log(s, "probe vif %u: %s", s->devid0 + i,
			           r ? strerror(-r) : "works");
			nf_close(&f);
			break;
		}
		out[i] = (struct attack_result){.a = as[i]};
		if (r < 0) {
			out[i].v = ATTACK_INCONCLUSIVE;
			attack_evidence(&out[i], "vif %u never worked: %s", s->devid0 + i,
			                strerror(-r));
			nf_close(&f);
			if (i == 0 || attack_domain_gone(umx_plat_xs(s->p), s->target) == 1) {
				for (unsigned k = i + 1; k < n; k++) {
					out[k] = out[i];
					out[k].a = as[k];
				}
				return 0;
			}
			continue;
		}
		attack_log(s, "vif %u: %s", s->devid0 + i, as[i]->name);
		fire(&f, as[i], &out[i]);
		nf_close(&f);
		out[i].ms = attack_now_ms() - t0;
		attack_log(s, "vif %u: %s: %s (%s)", s->devid0 + i, as[i]->name,
		           attack_verdict_name(out[i].v), out[i].evidence);
	}
	return 0;
}

/* The toolstack: vif @devid of the attacker (front) on the target (back). */
static int nf_attach(umx_xs *ts, uint32_t target, uint32_t attacker, unsigned devid)
{
	int r = umx_net_attach(ts, attacker, target, (int)devid, NULL);
	return r < 0 ? r : 0;
}

static int nf_detach(umx_xs *ts, uint32_t target, uint32_t attacker, unsigned devid)
{
	return umx_net_detach(ts, attacker, target, devid);
}

const struct attack_role attack_role_netfront = {
        .name = "netfront",
        .target = "a netback",
        .attach = nf_attach,
        .detach = nf_detach,
        .run = netfront_run,
};
