/* SPDX-License-Identifier: MIT */
/*
 * blkback's mappings of the frontend's pages.
 *
 * With feature-persistent (the frontend promised that a ref names the same
 * page for the connection's life, as Linux's blkfront does) each page is
 * mapped writable once and kept: at most UMX_BLK_PGRANTS_MAX per ring (queue), in
 * an array with hash chains by gref; when full, the least recently used
 * mapping not needed by the current request is unmapped (Linux purges in
 * LRU order too); a mapping that I/O in flight uses is held and never
 * evicted (MSA02). A frontend that does not offer them is served per
 * request: all of a request's refs mapped in one all-or-nothing call and
 * unmapped after the I/O, so a request that mixes valid and invalid refs
 * fails whole and leaves nothing mapped.
 */
#include <errno.h>
#include <string.h>

#include "blk_priv.h"

static unsigned hash(uint32_t gref)
{
	return (gref * 2654435761u) >> (32 - 9); /* 9 bits: PGNT_HASH */
}
_Static_assert(PGNT_HASH == 1u << 9, "hash() yields 9 bits");

void bb_pgnt_flush(struct bb_queue *q)
{
	for (unsigned i = 0; i < q->npg; i++)
		if (q->v->bb && q->pg[i].m)
			umx_plat_unmap(q->v->bb->p, q->pg[i].m);
	q->npg = 0;
	for (unsigned i = 0; i < PGNT_HASH; i++)
		q->pg_hash[i] = -1;
}

static struct pgnt *pg_find(struct bb_queue *q, uint32_t gref)
{
	for (int i = q->pg_hash[hash(gref)]; i >= 0; i = q->pg[i].next)
		if (q->pg[i].gref == gref)
			return &q->pg[i];
	return NULL;
}

static void pg_unlink(struct bb_queue *q, int idx)
{
	int *pp = &q->pg_hash[hash(q->pg[idx].gref)];

	while (*pp != idx)
		pp = &q->pg[*pp].next;
	*pp = q->pg[idx].next;
}

/* Evict the least recently used mapping that no I/O in flight holds and
 * that the current request (stamped @now) does not use; its slot is
 * returned, or -1 when every one is held (I/O in flight on all of them:
 * the caller waits for some to complete). */
static int pg_evict(struct bb_queue *q, uint64_t now)
{
	int lru = -1;

	for (unsigned i = 0; i < q->npg; i++)
		if (!q->pg[i].busy && q->pg[i].lru < now &&
		    (lru < 0 || q->pg[i].lru < q->pg[lru].lru))
			lru = (int)i;
	if (lru < 0)
		return -1;
	pg_unlink(q, lru);
	umx_plat_unmap(q->v->bb->p, q->pg[lru].m);
	q->pg[lru].m = NULL;
	return lru;
}

/* The slot mapping @gref (mapped now if need be): its index, -EBUSY when
 * the cache is full of pages held by I/O in flight, -EINVAL for a ref
 * that does not map. */
static int pg_get(struct bb_queue *q, uint32_t gref, uint64_t now)
{
	struct pgnt *e = pg_find(q, gref);
	umx_plat_mapped *m;
	int idx;

	if (e) {
		e->lru = now;
		return (int)(e - q->pg);
	}
	/* Map before evicting: a bad ref costs no good mapping. Persistent
	 * grants are mapped writable, as Linux's blkback maps them (the same
	 * page serves reads and writes). */
	if (umx_plat_map(q->v->bb->p, q->v->info.front_domid, 1, &gref, false, NULL, &m) < 0)
		return -EINVAL;
	if (q->npg < UMX_BLK_PGRANTS_MAX) {
		idx = (int)q->npg++;
	} else if ((idx = pg_evict(q, now)) < 0) {
		umx_plat_unmap(q->v->bb->p, m);
		return -EBUSY;
	}
	e = &q->pg[idx];
	e->gref = gref;
	e->m = m;
	e->addr = umx_plat_map_addr(m);
	e->lru = now;
	e->busy = 0;
	e->next = q->pg_hash[hash(gref)];
	q->pg_hash[hash(gref)] = idx;
	return idx;
}

int bb_map_req(struct bb_queue *q, const struct bb_req *rq, bool writable, uint8_t **pages,
               struct bb_maps *mp)
{
	uint32_t refs[UMX_BLK_INDIRECT_SEGS];
	umx_plat_mapped *m;
	int r;

	mp->tmp = NULL;
	mp->npgi = 0;
	if (!q->v->bb) {
		for (unsigned i = 0; i < rq->nseg; i++)
			if (!(pages[i] = q->v->page_fn(q->v->ctx, rq->seg[i].gref, writable)))
				return -EINVAL;
		return 0;
	}
	if (q->v->info.persistent) {
		uint64_t now = ++q->pg_clock;
		for (unsigned i = 0; i < rq->nseg; i++) {
			/* Held from here: no eviction can take a page this
			 * request's I/O may still touch. */
			if ((r = pg_get(q, rq->seg[i].gref, now)) < 0) {
				bb_unmap_req(q, mp); /* what was mapped stays cached */
				return r;
			}
			q->pg[r].busy++;
			mp->pgi[mp->npgi++] = (uint16_t)r;
			pages[i] = q->pg[r].addr;
		}
		return 0;
	}
	for (unsigned i = 0; i < rq->nseg; i++)
		refs[i] = rq->seg[i].gref;
	/* All or nothing: a failure leaves no page of this request mapped. */
	r = umx_plat_map(q->v->bb->p, q->v->info.front_domid, rq->nseg, refs, !writable, NULL, &m);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < rq->nseg; i++)
		pages[i] = (uint8_t *)umx_plat_map_addr(m) + (size_t)i * UMX_PAGE_SIZE;
	mp->tmp = m;
	return 0;
}

int bb_read_indirect(struct bb_queue *q, const uint32_t *grefs, unsigned nind,
                     struct blkif_request_segment *seg, unsigned n)
{
	size_t bytes = (size_t)n * sizeof(*seg);
	umx_plat_mapped *m;
	const uint8_t *src;
	int r;

	if (!q->v->bb) {
		for (unsigned i = 0; i < nind; i++) {
			size_t off = (size_t)i * UMX_PAGE_SIZE;
			size_t k = bytes - off < UMX_PAGE_SIZE ? bytes - off : UMX_PAGE_SIZE;
			if (!(src = q->v->page_fn(q->v->ctx, grefs[i], false)))
				return -EINVAL;
			memcpy((uint8_t *)seg + off, src, k);
		}
		return 0;
	}
	if (q->v->info.persistent) {
		/* Linux keeps its indirect pages granted too: cache them. */
		uint64_t now = ++q->pg_clock;
		for (unsigned i = 0; i < nind; i++) {
			size_t off = (size_t)i * UMX_PAGE_SIZE;
			size_t k = bytes - off < UMX_PAGE_SIZE ? bytes - off : UMX_PAGE_SIZE;
			r = pg_get(q, grefs[i], now);
			if (r == -EBUSY) {
				/* Every cached page is under I/O: copy this one
				 * through a mapping of its own. */
				if ((r = umx_plat_map(q->v->bb->p, q->v->info.front_domid, 1,
				                      &grefs[i], true, NULL, &m)) < 0)
					return r;
				memcpy((uint8_t *)seg + off, umx_plat_map_addr(m), k);
				umx_plat_unmap(q->v->bb->p, m);
				continue;
			}
			if (r < 0)
				return r;
			memcpy((uint8_t *)seg + off, q->pg[r].addr, k);
		}
		return 0;
	}
	r = umx_plat_map(q->v->bb->p, q->v->info.front_domid, nind, grefs, true, NULL, &m);
	if (r < 0)
		return r;
	memcpy(seg, umx_plat_map_addr(m), bytes);
	umx_plat_unmap(q->v->bb->p, m);
	return 0;
}

void bb_unmap_req(struct bb_queue *q, struct bb_maps *mp)
{
	if (mp->tmp)
		umx_plat_unmap(q->v->bb->p, mp->tmp);
	mp->tmp = NULL;
	for (unsigned i = 0; i < mp->npgi; i++)
		q->pg[mp->pgi[i]].busy--;
	mp->npgi = 0;
}
