/* SPDX-License-Identifier: MIT */
/*
 * Grant tables (Xen v1 semantics). Each domain's table is a memfd of
 * `frames` pages of grant_entry_v1 that the domain maps read-write and
 * writes directly, as a Xen guest does; umxd maps it too and treats it as
 * hostile memory: the flags+domid word is read once into a local copy,
 * validated, then GTF_reading/GTF_writing are set with a compare-and-swap on
 * that same word (so a change of domid between check and pin is caught), and
 * the frame is read once after the pin and validated against the regions
 * the granter bound to the mapper. Later maps of an already pinned ref use
 * the frame recorded in the active entry, never a fresh read (Xen's
 * active_grant_entry).
 *
 * This file: the table, its pins and a domain's grant state from creation
 * to free. The rest of the grant code is split by concept (gnttab.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gnttab.h"
#include "umx/barrier.h"

int umxd_gnt_domain_init(struct umxd_domain *dom, uint32_t frames)
{
	struct umxd_gnt *g = calloc(1, sizeof(*g));
	size_t len = (size_t)frames * UMX_PAGE_SIZE;
	int r;

	if (!g)
		return -ENOMEM;
	g->frames = frames;
	g->nentries = frames * (uint32_t)GNT_ENTRIES_PER_FRAME;
	g->free_handle = UINT32_MAX;
	g->next_frame = 1; /* frame 0 is never valid: catches zeroed entries */
	g->table_fd = memfd_create("umx-grant-table", MFD_CLOEXEC);
	if (g->table_fd < 0 || ftruncate(g->table_fd, (off_t)len) < 0)
		goto err;
	g->table = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, g->table_fd, 0);
	if (g->table == MAP_FAILED) {
		g->table = NULL;
		goto err;
	}
	dom->gnt = g;
	return 0;
err:
	r = -errno;
	if (g->table_fd >= 0)
		close(g->table_fd);
	free(g);
	return r;
}

int umxd_gnt_table_fd(const struct umxd_domain *dom)
{
	return dom->gnt ? dom->gnt->table_fd : -1;
}

uint32_t umxd_gnt_table_frames(const struct umxd_domain *dom)
{
	return dom->gnt ? dom->gnt->frames : 0;
}

/* ---- pinning (Xen's _set_status_v1 / map_grant_ref) -------------------- */

static uint32_t entry_word(uint16_t flags, uint16_t domid)
{
	return (uint32_t)flags | ((uint32_t)domid << 16);
}

/* Is @r's page meant for @mapper: its domid and the very instance? */
static bool region_for(const struct gnt_region *r, const struct umxd_domain *mapper)
{
	return r->peer == mapper->domid && r->peer_instance == mapper->instance;
}

int16_t gnt_pin_ref(struct umxd_domain *granter, const struct umxd_domain *mapper_dom, uint32_t ref,
                    bool ro, struct gnt_active **actp)
{
	uint32_t mapper = mapper_dom->domid;
	struct umxd_gnt *g = granter->gnt;
	grant_entry_v1_t *e;
	struct gnt_active *act;
	uint32_t word, want, found, frame;
	uint16_t flags, pin;
	unsigned tries;
	int16_t st;

	if (ref >= g->nentries)
		return GNTST_bad_gntref;
	if (!g->active) {
		g->active = calloc(g->nentries, sizeof(*g->active));
		if (!g->active)
			return GNTST_no_space;
	}
	act = &g->active[ref];
	if ((ro ? act->readers : act->writers) >= GNT_PIN_MAX)
		return GNTST_general_error; /* pin count overflow */
	/* Already pinned: the frame is the one recorded then, but the region
	 * must still be bound to this mapper (the granter may have rewritten
	 * the domid since). */
	if ((act->readers || act->writers) && !region_for(act->region, mapper_dom))
		return act->region->peer == mapper ? GNTST_permission_denied : GNTST_general_error;
	/* ... and a page of a read-only region is never written, whatever the
	 * entry says now. */
	if ((act->readers || act->writers) && !ro && act->region->ro)
		return GNTST_permission_denied;
	e = gnt_entry(g, ref);
	pin = ro ? GTF_reading : (GTF_reading | GTF_writing);
	/* One read of flags+domid; the CAS below is on the same word, so what
	 * we validated is exactly what we pinned. */
	word = umx_load_relaxed32(e);
	for (tries = 0;; tries++) {
		flags = (uint16_t)word;
		if ((flags & GTF_type_mask) != GTF_permit_access || (word >> 16) != mapper)
			return GNTST_general_error;
		if (!ro && (flags & GTF_readonly))
			return GNTST_permission_denied;
		if ((flags & pin) == pin)
			break; /* already pinned that way by us */
		want = entry_word((uint16_t)(flags | pin), (uint16_t)(word >> 16));
		found = umx_cmpxchg32(e, word, want);
		if (found == word)
			break;
		if (tries >= GNT_CAS_RETRIES)
			return GNTST_general_error; /* the granter keeps changing it */
		word = found;
	}
	if (!act->readers && !act->writers) {
		struct gnt_region *r;
		/* First pin: read the frame once, after the flags are set (the
		 * CAS is a full barrier), and bind it to a region for the mapper. */
		frame = umx_load_relaxed32(&e->frame);
		r = gnt_region_by_frame(g, frame);
		if (r && !region_for(r, mapper_dom) && r->peer == mapper)
			/* Our domid, an earlier holder's page: not ours to map. */
			st = GNTST_permission_denied;
		else if (!r || !region_for(r, mapper_dom) || r->ro != !!(flags & GTF_readonly) ||
		         (r->ro && !r->sealed))
			/* No region, another domain's page, or the wrong mode.
			 * One peer, one mode: a read-only entry names a page of a
			 * sealed read-only region, a read-write one a page of a
			 * read-write region; else one mapper could write a page
			 * another was given read-only, through its descriptor. */
			st = GNTST_general_error;
		else
			st = GNTST_okay;
		if (st != GNTST_okay) {
			/* Undo our flags (the granter may have changed others). */
			word = umx_load_relaxed32(e);
			for (tries = 0; tries <= GNT_CAS_RETRIES; tries++) {
				found = umx_cmpxchg32(
				        e, word, word & ~(uint32_t)(GTF_reading | GTF_writing));
				if (found == word)
					break;
				word = found;
			}
			return st;
		}
		act->region = r;
		act->page = frame - r->base_frame;
		g->grants_active++;
	}
	if (ro)
		act->readers++;
	else
		act->writers++;
	act->region->maps++;
	*actp = act;
	return GNTST_okay;
}

void gnt_unpin_ref(struct umxd_domain *granter, uint32_t ref, bool ro)
{
	struct umxd_gnt *g = granter->gnt;
	struct gnt_active *act = &g->active[ref];
	grant_entry_v1_t *e = gnt_entry(g, ref);
	struct gnt_region *r = act->region;
	uint32_t clear = 0, word, found;
	unsigned tries;

	if (ro)
		act->readers--;
	else
		act->writers--;
	if (!act->writers)
		clear |= GTF_writing;
	if (!act->writers && !act->readers) {
		clear |= GTF_reading;
		act->region = NULL;
		g->grants_active--;
	}
	/* Clear only our bits, whatever else the granter wrote meanwhile. A
	 * hostile granter could make us spin: bounded, it only hurts itself. */
	word = umx_load_relaxed32(e);
	for (tries = 0; tries < 64 && (word & clear); tries++) {
		found = umx_cmpxchg32(e, word, word & ~clear);
		if (found == word)
			break;
		word = found;
	}
	r->maps--;
	gnt_region_maybe_destroy(g, r);
}

/* ---- requests ---------------------------------------------------------- */

int gnt_request(struct umxd_conn *c, struct umx_msg *m, void *req, size_t size)
{
	if (umx_msg_get_exact(m, req, size) < 0)
		return -EBADMSG;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	return 1;
}

int gnt_batch_request(struct umxd_conn *c, struct umx_msg *m, void *head, size_t head_size,
                      size_t count_off, void *elems, size_t elem_size)
{
	struct umx_msg_rd r;
	int n;

	umx_msg_rd_msg(&r, m);
	n = umx_msg_get_batch(&r, head, head_size, count_off, elems, elem_size, UMX_GNT_BATCH_MAX);
	if (n < 0)
		return n;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	return n;
}

/* ---- lifecycle --------------------------------------------------------- */

void umxd_gnt_domain_release(struct umxd_domain *dom)
{
	struct umxd_gnt *g = dom->gnt;
	struct gnt_share_notify *n;
	struct gnt_region *r, *next;
	uint32_t h;

	if (!g)
		return;
	/* Revoke first: nothing of ours may be newly mapped from here on. */
	g->dead = true;
	while ((n = g->share_notifies)) {
		g->share_notifies = n->next;
		gnt_share_notify_perform(dom, n);
		free(n);
	}
	g->nshare_notifies = 0;
	/* umxd_domain_died holds our reference across this call. */
	for (h = 0; h < g->nhandles; h++)
		if (g->handles[h].in_use)
			gnt_handle_release(dom, h);
	for (r = g->regions; r; r = next) {
		next = r->next;
		r->freed = true;
		gnt_region_maybe_destroy(g, r);
	}
}

void umxd_gnt_domain_free(struct umxd_domain *dom)
{
	struct umxd_gnt *g = dom->gnt;
	struct gnt_sent *s;
	struct gnt_region *r;

	if (!g)
		return;
	/* Nobody maps our pages any more (they held references), and we map
	 * nothing (released at death). */
	while ((r = g->regions)) {
		g->regions = r->next;
		gnt_region_destroy(r);
	}
	while ((s = g->sent)) {
		g->sent = s->next;
		free(s);
	}
	if (g->unmap_ring) {
		struct umxd_domain **pp = &dom->umxd->gnt_unmap_rings;
		while (*pp && *pp != dom)
			pp = &(*pp)->gnt->unmap_ring_next;
		if (*pp)
			*pp = g->unmap_ring_next;
		munmap(g->unmap_ring, UMX_PAGE_SIZE);
	}
	while (g->share_notifies) {
		struct gnt_share_notify *n = g->share_notifies;
		g->share_notifies = n->next;
		free(n);
	}
	free(g->handles);
	free(g->active);
	munmap(g->table, (size_t)g->frames * UMX_PAGE_SIZE);
	close(g->table_fd);
	free(g);
	dom->gnt = NULL;
}

void umxd_gnt_stats(const struct umxd_domain *dom, uint32_t *grants_active, uint32_t *pages_mapped,
                    uint32_t *regions)
{
	const struct umxd_gnt *g = dom->gnt;

	*grants_active = g ? g->grants_active : 0;
	*pages_mapped = g ? g->handles_in_use : 0;
	*regions = g ? g->nregions : 0;
}
