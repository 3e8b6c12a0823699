/* SPDX-License-Identifier: MIT */
/*
 * netback's mappings of the frontend's pages. With feature-persistent the
 * frontend's pages stay mapped in a direct-mapped cache keyed by gref (a
 * ref names the same page for the connection's life, the frontend
 * promised); without it each slot is mapped, copied and unmapped.
 * Detached (fuzzing), the page comes from the caller's page_fn.
 */
#include "back_priv.h"

void nb_pcache_flush(struct nb_vif *v)
{
	for (unsigned i = 0; i < PCACHE_SIZE; i++) {
		if (v->pc[i].valid && v->nb)
			umx_plat_unmap(v->nb->p, v->pc[i].m);
		v->pc[i].valid = false;
	}
}

/* The frontend's page @gref, or NULL when it cannot be mapped. *@tmp is set
 * to a mapping the caller must release with nb_put_page(). */
uint8_t *nb_get_page(struct nb_vif *v, uint32_t gref, bool writable, umx_plat_mapped **tmp)
{
	umx_plat_mapped *m;
	struct pcache_ent *e;

	*tmp = NULL;
	if (!v->nb)
		return v->page_fn(v->ctx, gref, writable);
	if (v->persistent) {
		e = &v->pc[gref & (PCACHE_SIZE - 1)];
		if (e->valid && e->gref == gref && (e->writable || !writable))
			return e->addr;
		if (e->valid) {
			umx_plat_unmap(v->nb->p, e->m);
			e->valid = false;
		}
		if (umx_plat_map(v->nb->p, v->info.front_domid, 1, &gref, !writable, NULL, &m) < 0)
			return NULL;
		e->gref = gref;
		e->writable = writable;
		e->m = m;
		e->addr = umx_plat_map_addr(m);
		e->valid = true;
		return e->addr;
	}
	if (umx_plat_map(v->nb->p, v->info.front_domid, 1, &gref, !writable, NULL, &m) < 0)
		return NULL;
	*tmp = m;
	return umx_plat_map_addr(m);
}

void nb_put_page(struct nb_vif *v, umx_plat_mapped *tmp)
{
	if (tmp)
		umx_plat_unmap(v->nb->p, tmp);
}
