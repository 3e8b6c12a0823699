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
 * Grant memory: regions are memfds bound to one peer for life. A region is
 * destroyed once its owner freed it (or died) and no mapping of its pages
 * remains. Each mapping holds a reference on the granter's domain record,
 * so a dead granter's table and regions outlive it while mapped.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "umx/barrier.h"
#include "umx/log.h"
#include "umxd.h"

#define GNT_ENTRIES_PER_FRAME (UMX_PAGE_SIZE / sizeof(grant_entry_v1_t))
#define GNT_REGION_PAGES_MAX  (64u * 1024u) /* 256 MiB per region */
#define GNT_REGIONS_MAX       4096u         /* per domain */
#define GNT_FRAMES_MAX        (1u << 28)    /* frame numbers are never reused */
#define GNT_MAPTRACK_MAX      (64u * 1024u) /* handles per mapper */
#define GNT_PIN_MAX           0xffu         /* per ref and kind, like Xen's GNTPIN_* */
#define GNT_CAS_RETRIES       4u            /* Xen gives up after a few, too */
#define GNT_SHARE_NOTIFY_MAX  4096u         /* per domain */
#define GNT_NO_FD             0xffffu

struct gnt_region {
	uint64_t id;
	struct umxd_domain *owner;
	uint32_t peer;
	uint32_t base_frame;
	uint32_t npages;
	int rw_fd;
	int ro_fd;
	uint8_t *mem;  /* umxd's own mapping (notify bytes, copy) */
	uint32_t maps; /* mappings of its pages by the peer */
	bool freed;    /* owner freed it (or died) */
	struct gnt_region *next;
};

/* Xen's active_grant_entry: pins of a ref and the frame they pinned. */
struct gnt_active {
	uint16_t readers;
	uint16_t writers;
	uint32_t page;
	struct gnt_region *region;
};

struct gnt_handle {
	bool in_use;
	bool ro;
	uint32_t granter;
	uint32_t ref;
	uint32_t notify_flags;
	uint32_t notify_offset;
	uint32_t notify_port;
	uint32_t next_free;
};

/* Regions whose fd this mapper holds: it gets the fd with its first map and
 * is expected to close it when its last map of (region, ro) goes. */
struct gnt_sent {
	uint64_t region;
	bool ro;
	uint32_t count;
	struct gnt_sent *next;
};

struct gnt_share_notify {
	uint32_t ref;
	uint32_t flags;
	uint32_t offset;
	uint32_t port;
	struct gnt_share_notify *next;
};

struct umxd_gnt {
	int table_fd;
	void *table;
	uint32_t frames;
	uint32_t nentries;
	bool dead; /* refs revoked from new maps */
	/* as granter */
	struct gnt_region *regions;
	uint32_t nregions;
	uint32_t next_frame;
	struct gnt_active *active; /* [nentries], lazily allocated */
	uint32_t grants_active;
	/* as mapper */
	struct gnt_handle *handles;
	uint32_t nhandles, cap_handles, free_handle, handles_in_use;
	struct gnt_sent *sent;
	/* as sharer */
	struct gnt_share_notify *share_notifies;
	uint32_t nshare_notifies;
};

static grant_entry_v1_t *gnt_entry(struct umxd_gnt *g, uint32_t ref)
{
	return (grant_entry_v1_t *)g->table + ref;
}

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

/* ---- regions ----------------------------------------------------------- */

static void region_destroy(struct gnt_region *r)
{
	munmap(r->mem, (size_t)r->npages * UMX_PAGE_SIZE);
	close(r->rw_fd);
	close(r->ro_fd);
	free(r);
}

/* Destroy @r if its owner let go of it and nobody maps it any more. */
static void region_maybe_destroy(struct umxd_gnt *g, struct gnt_region *r)
{
	struct gnt_region **pp;

	if (!r->freed || r->maps)
		return;
	for (pp = &g->regions; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			g->nregions--;
			region_destroy(r);
			return;
		}
	}
}

static struct gnt_region *region_by_frame(struct umxd_gnt *g, uint32_t frame)
{
	struct gnt_region *r;

	for (r = g->regions; r; r = r->next)
		if (!r->freed && frame >= r->base_frame && frame - r->base_frame < r->npages)
			return r;
	return NULL;
}

int umxd_h_gnt_region_alloc(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_region_alloc req;
	struct umx_ctl_region_reply rep = {0};
	struct umxd_gnt *g;
	struct gnt_region *r;
	char path[64];
	size_t len;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	g = c->dom->gnt;
	if (req.peer < UMXD_DOMID_FIRST || req.peer > UMXD_DOMID_LAST ||
	    req.peer == c->dom->domid || req.npages == 0 || req.npages > GNT_REGION_PAGES_MAX)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	if (g->nregions >= GNT_REGIONS_MAX || GNT_FRAMES_MAX - g->next_frame < req.npages)
		return umxd_reply(c, m, -ENOSPC, NULL, 0, NULL, 0);
	r = calloc(1, sizeof(*r));
	if (!r)
		return umxd_reply(c, m, -ENOMEM, NULL, 0, NULL, 0);
	r->rw_fd = r->ro_fd = -1;
	len = (size_t)req.npages * UMX_PAGE_SIZE;
	r->rw_fd = memfd_create("umx-grant-region", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->rw_fd < 0 || ftruncate(r->rw_fd, (off_t)len) < 0)
		goto err;
	/* The size is fixed for life: no one can shrink it under a mapping. */
	if (fcntl(r->rw_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto err;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", r->rw_fd);
	r->ro_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->ro_fd < 0)
		goto err;
	r->mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->rw_fd, 0);
	if (r->mem == MAP_FAILED)
		goto err;
	r->id = ++c->dom->umxd->next_region_id;
	r->owner = c->dom;
	r->peer = req.peer;
	r->npages = req.npages;
	r->base_frame = g->next_frame;
	g->next_frame += req.npages;
	r->next = g->regions;
	g->regions = r;
	g->nregions++;
	rep.base_frame = r->base_frame;
	rep.npages = r->npages;
	return umxd_reply(c, m, 0, &rep.base_frame, sizeof(rep) - sizeof(rep.result), &r->rw_fd, 1);
err : {
	int e = -errno;
	if (r->rw_fd >= 0)
		close(r->rw_fd);
	if (r->ro_fd >= 0)
		close(r->ro_fd);
	free(r);
	return umxd_reply(c, m, e, NULL, 0, NULL, 0);
}
}

int umxd_h_gnt_region_free(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_region_free req;
	struct gnt_region *r;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	for (r = c->dom->gnt->regions; r; r = r->next)
		if (!r->freed && r->base_frame == req.base_frame)
			break;
	if (!r)
		return umxd_reply(c, m, -ENOENT, NULL, 0, NULL, 0);
	r->freed = true;
	region_maybe_destroy(c->dom->gnt, r);
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

/* ---- pinning (Xen's _set_status_v1 / map_grant_ref) -------------------- */

static uint32_t entry_word(uint16_t flags, uint16_t domid)
{
	return (uint32_t)flags | ((uint32_t)domid << 16);
}

/* Validate and pin @ref of @granter for @mapper; on success *act holds the
 * pinned frame. Returns GNTST_*. */
static int16_t pin_ref(struct umxd_domain *granter, uint32_t mapper, uint32_t ref, bool ro,
                       struct gnt_active **actp)
{
	struct umxd_gnt *g = granter->gnt;
	grant_entry_v1_t *e;
	struct gnt_active *act;
	uint32_t word, want, found, frame;
	uint16_t flags, pin;
	unsigned tries;

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
	if ((act->readers || act->writers) && act->region->peer != mapper)
		return GNTST_general_error;
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
		r = region_by_frame(g, frame);
		if (!r || r->peer != mapper) {
			/* Undo our flags (the granter may have changed others). */
			word = umx_load_relaxed32(e);
			for (tries = 0; tries <= GNT_CAS_RETRIES; tries++) {
				found = umx_cmpxchg32(
				        e, word, word & ~(uint32_t)(GTF_reading | GTF_writing));
				if (found == word)
					break;
				word = found;
			}
			return GNTST_general_error;
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

static void unpin_ref(struct umxd_domain *granter, uint32_t ref, bool ro)
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
	region_maybe_destroy(g, r);
}

/* ---- mapper state ------------------------------------------------------ */

static struct gnt_sent *sent_find(struct umxd_gnt *g, uint64_t region, bool ro)
{
	struct gnt_sent *s;

	for (s = g->sent; s; s = s->next)
		if (s->region == region && s->ro == ro)
			return s;
	return NULL;
}

static void sent_put(struct umxd_gnt *g, uint64_t region, bool ro)
{
	struct gnt_sent **pp, *s;

	for (pp = &g->sent; (s = *pp); pp = &s->next) {
		if (s->region == region && s->ro == ro) {
			if (--s->count == 0) {
				*pp = s->next;
				free(s);
			}
			return;
		}
	}
}

static int handle_alloc(struct umxd_gnt *g, uint32_t *out)
{
	if (g->free_handle != UINT32_MAX) {
		*out = g->free_handle;
		g->free_handle = g->handles[*out].next_free;
		return 0;
	}
	if (g->nhandles == g->cap_handles) {
		uint32_t cap = g->cap_handles ? g->cap_handles * 2 : 64;
		struct gnt_handle *h;
		if (g->cap_handles >= GNT_MAPTRACK_MAX)
			return -ENOSPC;
		if (cap > GNT_MAPTRACK_MAX)
			cap = GNT_MAPTRACK_MAX;
		h = realloc(g->handles, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		g->handles = h;
		g->cap_handles = cap;
	}
	*out = g->nhandles++;
	/* A slot is free (in_use false) until map_one fills it. */
	memset(&g->handles[*out], 0, sizeof(g->handles[*out]));
	return 0;
}

static void notify_byte(struct gnt_region *r, uint32_t page, uint32_t offset)
{
	if (r && page < r->npages && offset < UMX_PAGE_SIZE)
		umx_store_release8(r->mem + (size_t)page * UMX_PAGE_SIZE + offset, 0);
}

/* Tear down mapping @h of @mapper: notify, unpin, drop references. */
static void handle_release(struct umxd_domain *mapper, uint32_t h)
{
	struct umxd_gnt *mg = mapper->gnt;
	struct gnt_handle *hd = &mg->handles[h];
	struct umxd_domain *granter = umxd_domain_get(mapper->umxd, hd->granter);
	struct gnt_active *act;

	if (granter && granter->gnt && granter->gnt->active) {
		act = &granter->gnt->active[hd->ref];
		if (hd->notify_flags & UMX_GNT_NOTIFY_BYTE)
			notify_byte(act->region, act->page, hd->notify_offset);
		sent_put(mg, act->region->id, hd->ro);
		unpin_ref(granter, hd->ref, hd->ro);
	}
	if (hd->notify_flags & UMX_GNT_NOTIFY_EVENT)
		(void)umxd_evt_notify_remote(mapper, hd->notify_port);
	hd->in_use = false;
	hd->next_free = mg->free_handle;
	mg->free_handle = h;
	mg->handles_in_use--;
	if (granter)
		umxd_domain_unref(granter); /* may free it: nothing below touches it */
}

/* Reply body of UNMAP and COPY after the result (ctl.h's status reply). */
struct status_body {
	uint32_t count;
	int16_t st[UMX_GNT_BATCH_MAX];
};
_Static_assert(offsetof(struct status_body, st) == 4, "status array follows count");

/* ---- MAP / UNMAP ------------------------------------------------------- */

static int16_t map_one(struct umxd_domain *mapper, struct umxd_domain *granter,
                       const struct umx_ctl_gnt_map_op *op, struct umx_ctl_gnt_map_res *res,
                       int *fds, unsigned *nfds)
{
	struct umxd_gnt *mg = mapper->gnt;
	bool ro = op->flags & UMX_GNT_MAP_READONLY;
	struct gnt_active *act;
	struct gnt_sent *s;
	struct gnt_handle *hd;
	uint32_t h;
	int16_t st;

	if (op->flags & ~(UMX_GNT_MAP_READONLY | UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT))
		return GNTST_general_error;
	if ((op->flags & UMX_GNT_NOTIFY_BYTE) && op->notify_offset >= UMX_PAGE_SIZE)
		return GNTST_general_error;
	if (!granter || !granter->gnt || granter->gnt->dead)
		return GNTST_bad_domain;
	if (op->ref >= granter->gnt->nentries)
		return GNTST_bad_gntref;
	if (mg->handles_in_use >= GNT_MAPTRACK_MAX)
		return GNTST_no_device_space;
	if (handle_alloc(mg, &h) < 0)
		return GNTST_no_device_space;
	st = pin_ref(granter, mapper->domid, op->ref, ro, &act);
	if (st != GNTST_okay) {
		mg->handles[h].next_free = mg->free_handle;
		mg->free_handle = h;
		return st;
	}
	s = sent_find(mg, act->region->id, ro);
	if (!s && *nfds >= UMX_MSG_MAX_FDS) {
		/* No room for another fd in this reply: the client retries
		 * GNTST_eagain ops in a later request. */
		unpin_ref(granter, op->ref, ro);
		mg->handles[h].next_free = mg->free_handle;
		mg->free_handle = h;
		return GNTST_eagain;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s) {
			unpin_ref(granter, op->ref, ro);
			mg->handles[h].next_free = mg->free_handle;
			mg->free_handle = h;
			return GNTST_no_space;
		}
		s->region = act->region->id;
		s->ro = ro;
		s->next = mg->sent;
		mg->sent = s;
		res->fd_index = (uint16_t)*nfds;
		fds[(*nfds)++] = ro ? act->region->ro_fd : act->region->rw_fd;
	}
	s->count++;
	hd = &mg->handles[h];
	memset(hd, 0, sizeof(*hd));
	hd->in_use = true;
	hd->ro = ro;
	hd->granter = granter->domid;
	hd->ref = op->ref;
	hd->notify_flags = op->flags & (UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT);
	hd->notify_offset = op->notify_offset;
	hd->notify_port = op->notify_port;
	mg->handles_in_use++;
	umxd_domain_ref(granter);
	res->handle = h;
	res->region = act->region->id;
	res->offset = (uint64_t)act->page * UMX_PAGE_SIZE;
	return GNTST_okay;
}

int umxd_h_gnt_map(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_map_req req;
	const struct umx_ctl_gnt_map_op *ops;
	struct umx_ctl_gnt_map_res res[UMX_GNT_BATCH_MAX];
	uint8_t body[4 + sizeof(res)];
	struct umx_ctl_gnt_map_op op;
	struct umxd_domain *granter;
	int fds[UMX_MSG_MAX_FDS];
	unsigned nfds = 0, i;

	if (m->hdr.len < sizeof(req))
		return -EBADMSG;
	memcpy(&req, m->payload, sizeof(req));
	if (umx_msg_check_array(m, sizeof(req), req.count, sizeof(*ops), UMX_GNT_BATCH_MAX) < 0 ||
	    req.count == 0)
		return -EBADMSG;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	ops = (const void *)(m->payload + sizeof(req));
	granter =
	        req.granter <= UMXD_DOMID_LAST ? umxd_domain_get(c->dom->umxd, req.granter) : NULL;
	memset(res, 0, sizeof(res));
	for (i = 0; i < req.count; i++) {
		memcpy(&op, &ops[i], sizeof(op));
		res[i].fd_index = GNT_NO_FD;
		res[i].status = map_one(c->dom, granter, &op, &res[i], fds, &nfds);
	}
	/* Body after the result: count, then the results (ctl.h layout). */
	memcpy(body, &req.count, 4);
	memcpy(body + 4, res, req.count * sizeof(res[0]));
	return umxd_reply(c, m, 0, body, 4 + req.count * sizeof(res[0]), fds, nfds);
}

int umxd_h_gnt_unmap(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_unmap_req req;
	struct status_body rep;
	uint32_t h;
	unsigned i;

	if (m->hdr.len < sizeof(req))
		return -EBADMSG;
	memcpy(&req, m->payload, sizeof(req));
	if (umx_msg_check_array(m, sizeof(req), req.count, sizeof(uint32_t), UMX_GNT_BATCH_MAX) <
	            0 ||
	    req.count == 0)
		return -EBADMSG;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	memset(&rep, 0, sizeof(rep));
	rep.count = req.count;
	for (i = 0; i < req.count; i++) {
		struct umxd_gnt *g = c->dom->gnt;
		memcpy(&h, m->payload + sizeof(req) + i * sizeof(h), sizeof(h));
		if (h >= g->nhandles || !g->handles[h].in_use) {
			rep.st[i] = GNTST_bad_handle;
			continue;
		}
		handle_release(c->dom, h);
		rep.st[i] = GNTST_okay;
	}
	return umxd_reply(c, m, 0, &rep, 4 + req.count * sizeof(int16_t), NULL, 0);
}

/* ---- COPY -------------------------------------------------------------- */

/* Resolve one side of a copy to umxd's mapping of the page; pins a gref
 * transiently (released by copy_side_put). */
static int16_t copy_side_get(struct umxd_domain *caller, const struct umx_ctl_gnt_copy_side *s,
                             bool gref, bool ro, uint8_t **page, struct umxd_domain **pinned)
{
	struct gnt_active *act;
	struct umxd_domain *d;
	struct gnt_region *r;
	int16_t st;

	*pinned = NULL;
	if (!gref) {
		r = region_by_frame(caller->gnt, s->ref_or_frame);
		if (!r)
			return GNTST_bad_page;
		*page = r->mem + (size_t)(s->ref_or_frame - r->base_frame) * UMX_PAGE_SIZE;
		return GNTST_okay;
	}
	d = s->domid <= UMXD_DOMID_LAST ? umxd_domain_get(caller->umxd, s->domid) : NULL;
	if (!d || !d->gnt || d->gnt->dead)
		return GNTST_bad_domain;
	st = pin_ref(d, caller->domid, s->ref_or_frame, ro, &act);
	if (st != GNTST_okay)
		return st;
	*page = act->region->mem + (size_t)act->page * UMX_PAGE_SIZE;
	*pinned = d;
	return GNTST_okay;
}

int umxd_h_gnt_copy(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_copy_req req;
	struct umx_ctl_gnt_copy_op op;
	struct status_body rep;
	unsigned i;

	if (m->hdr.len < sizeof(req))
		return -EBADMSG;
	memcpy(&req, m->payload, sizeof(req));
	if (umx_msg_check_array(m, sizeof(req), req.count, sizeof(op), UMX_GNT_BATCH_MAX) < 0 ||
	    req.count == 0)
		return -EBADMSG;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	memset(&rep, 0, sizeof(rep));
	rep.count = req.count;
	for (i = 0; i < req.count; i++) {
		struct umxd_domain *ps = NULL, *pd = NULL;
		uint8_t *src = NULL, *dst = NULL;
		int16_t st;

		memcpy(&op, m->payload + sizeof(req) + i * sizeof(op), sizeof(op));
		if ((op.flags & ~(UMX_GNT_COPY_SOURCE_GREF | UMX_GNT_COPY_DEST_GREF)) ||
		    op.len > UMX_PAGE_SIZE || op.source.offset > UMX_PAGE_SIZE - op.len ||
		    op.dest.offset > UMX_PAGE_SIZE - op.len) {
			rep.st[i] = GNTST_bad_copy_arg;
			continue;
		}
		st = copy_side_get(c->dom, &op.source, op.flags & UMX_GNT_COPY_SOURCE_GREF, true,
		                   &src, &ps);
		if (st == GNTST_okay)
			st = copy_side_get(c->dom, &op.dest, op.flags & UMX_GNT_COPY_DEST_GREF,
			                   false, &dst, &pd);
		if (st == GNTST_okay)
			memmove(dst + op.dest.offset, src + op.source.offset, op.len);
		if (ps)
			unpin_ref(ps, op.source.ref_or_frame, true);
		if (pd)
			unpin_ref(pd, op.dest.ref_or_frame, false);
		rep.st[i] = st;
	}
	return umxd_reply(c, m, 0, &rep, 4 + req.count * sizeof(int16_t), NULL, 0);
}

/* ---- SHARE_NOTIFY / UNSHARE (gntalloc) --------------------------------- */

static void share_notify_perform(struct umxd_domain *dom, const struct gnt_share_notify *n)
{
	struct umxd_gnt *g = dom->gnt;

	if (n->flags & UMX_GNT_NOTIFY_BYTE) {
		/* Our own domain's entry: its frame is its own business, but it
		 * must name one of its regions. */
		uint32_t frame = umx_load_relaxed32(&gnt_entry(g, n->ref)->frame);
		struct gnt_region *r = region_by_frame(g, frame);
		if (r)
			notify_byte(r, frame - r->base_frame, n->offset);
	}
	if (n->flags & UMX_GNT_NOTIFY_EVENT)
		(void)umxd_evt_notify_remote(dom, n->port);
}

int umxd_h_gnt_share_notify(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_share_notify req;
	struct gnt_share_notify *n;
	struct umxd_gnt *g;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	g = c->dom->gnt;
	if (req.ref >= g->nentries || !req.flags ||
	    (req.flags & ~(UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT)) ||
	    req.offset >= UMX_PAGE_SIZE)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	for (n = g->share_notifies; n; n = n->next)
		if (n->ref == req.ref)
			break;
	if (!n) {
		if (g->nshare_notifies >= GNT_SHARE_NOTIFY_MAX)
			return umxd_reply(c, m, -ENOSPC, NULL, 0, NULL, 0);
		n = calloc(1, sizeof(*n));
		if (!n)
			return umxd_reply(c, m, -ENOMEM, NULL, 0, NULL, 0);
		n->next = g->share_notifies;
		g->share_notifies = n;
		g->nshare_notifies++;
	}
	n->ref = req.ref;
	n->flags = req.flags;
	n->offset = req.offset;
	n->port = req.port;
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

int umxd_h_gnt_unshare(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_unshare req;
	struct gnt_share_notify **pp, *n;
	struct umxd_gnt *g;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	g = c->dom->gnt;
	for (pp = &g->share_notifies; (n = *pp); pp = &n->next) {
		if (n->ref == req.ref) {
			*pp = n->next;
			g->nshare_notifies--;
			share_notify_perform(c->dom, n);
			free(n);
			return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
		}
	}
	return umxd_reply(c, m, -ENOENT, NULL, 0, NULL, 0);
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
		share_notify_perform(dom, n);
		free(n);
	}
	g->nshare_notifies = 0;
	/* umxd_domain_died holds our reference across this call. */
	for (h = 0; h < g->nhandles; h++)
		if (g->handles[h].in_use)
			handle_release(dom, h);
	for (r = g->regions; r; r = next) {
		next = r->next;
		r->freed = true;
		region_maybe_destroy(g, r);
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
		region_destroy(r);
	}
	while ((s = g->sent)) {
		g->sent = s->next;
		free(s);
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
