/* SPDX-License-Identifier: MIT */
/*
 * gnttab.h — private to umxd's grant code: the state of a domain's grant
 * table and grant memory, shared by the files of one concept each:
 *   gnttab.c     the table, its pins (Xen's active entries) and the
 *                domain's grant state from creation to free
 *   gnt_region.c grant memory: regions bound to one peer for life
 *   gnt_map.c    MAP / UNMAP: the mapper's handles (Xen's maptrack)
 *   gnt_copy.c   COPY (GNTTABOP_copy)
 *   gnt_notify.c SHARE_NOTIFY / UNSHARE: gntalloc's unmap notify
 */
#ifndef UMXD_GNTTAB_H
#define UMXD_GNTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "umxd.h"

#define GNT_ENTRIES_PER_FRAME (UMX_PAGE_SIZE / sizeof(grant_entry_v1_t))
#define GNT_REGION_PAGES_MAX  (64u * 1024u) /* 256 MiB per region */
#define GNT_REGIONS_MAX       4096u         /* per domain */
#define GNT_FRAMES_MAX        (1u << 28)    /* frame numbers are never reused */
#define GNT_MAPTRACK_MAX      (64u * 1024u) /* handles per mapper */
#define GNT_PIN_MAX           0xffu         /* per ref and kind, like Xen's GNTPIN_* */
#define GNT_CAS_RETRIES       4u            /* Xen gives up after a few, too */
#define GNT_SHARE_NOTIFY_MAX  4096u         /* per domain */
#define GNT_NO_FD             0xffffu       /* map result: no fd attached */
#define GNT_SENT_MAX          1024u         /* region fds held per mapper */

struct gnt_region {
	uint64_t id;
	struct umxd_domain *owner;
	uint32_t peer;
	uint64_t peer_instance; /* the peer's umxd_domain.instance at alloc (0: none) */
	uint32_t base_frame;
	uint32_t npages;
	bool ro;       /* backs read-only grants only (one peer, one mode) */
	bool sealed;   /* ro: F_SEAL_FUTURE_WRITE and mode 0400; mappable from now on */
	int rw_fd;     /* the granter's (at alloc) and read-write mappers' */
	int ro_fd;     /* read-only mappers' */
	uint8_t *mem;  /* umxd's own mapping (notify bytes, copy), made before any seal */
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

/* Regions whose fd this mapper holds: it gets the fd with its first map of
 * (region, ro) and closes it when its last map of it goes, unless it asked
 * to keep it (UMX_CTL_GNT_MAP_KEEP_FD): then until it says FORGET (ctl.h),
 * so a map+unmap cycle passes no descriptor. Holding it gives the mapper
 * nothing its maps did not: a region's pages are only ever granted to
 * that one mapper in that one mode (docs/SECURITY.md, "Cached region
 * descriptors"). */
struct gnt_sent {
	uint64_t region;
	bool ro;
	bool kept;      /* held across unmaps until FORGET */
	uint32_t count; /* mappings of it */
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
	uint32_t nsent;
	struct umx_gnt_unmap_ring *unmap_ring; /* NULL until UNMAP_RING */
	uint32_t unmap_cons;                   /* ours; the page's copy is for the mapper */
	struct umxd_domain *unmap_ring_next;   /* in umxd.gnt_unmap_rings */
	/* as sharer */
	struct gnt_share_notify *share_notifies;
	uint32_t nshare_notifies;
};

/* Reply body of UNMAP and COPY after the result (ctl.h's status reply). */
struct status_body {
	uint32_t count;
	int16_t st[UMX_GNT_BATCH_MAX];
};
_Static_assert(offsetof(struct status_body, st) == 4, "status array follows count");
/* Its length on the wire: the count, then exactly count statuses. */
static inline size_t status_body_len(const struct status_body *b)
{
	return offsetof(struct status_body, st) + b->count * sizeof(b->st[0]);
}

static inline grant_entry_v1_t *gnt_entry(struct umxd_gnt *g, uint32_t ref)
{
	return (grant_entry_v1_t *)g->table + ref;
}

/* ---- gnttab.c: requests ------------------------------------------------ */

/* The head every fixed-size grant request shares: exactly @size bytes into
 * @req, from a domain with grant state. Returns 1 when the handler goes on;
 * otherwise what the handler returns, as gnt_batch_request() says. */
int gnt_request(struct umxd_conn *c, struct umx_msg *m, void *req, size_t size);

/* The head every batch handler (MAP, UNMAP, COPY) shares: the fixed part
 * @head (its uint32_t count at @count_off) and exactly count entries of
 * @elem_size into @elems (1..UMX_GNT_BATCH_MAX), from a domain with grant
 * state. Returns the count (> 0) when the handler goes on; otherwise what
 * the handler returns: -EBADMSG for a malformed request (the sender is
 * dropped), or the outcome of sending the -ESRCH reply (0 or -errno). */
int gnt_batch_request(struct umxd_conn *c, struct umx_msg *m, void *head, size_t head_size,
                      size_t count_off, void *elems, size_t elem_size);

/* ---- gnttab.c: pins --------------------------------------------------- */

/* Validate and pin @ref of @granter for @mapper; on success *actp holds the
 * active entry with the pinned frame. Returns GNTST_*. */
int16_t gnt_pin_ref(struct umxd_domain *granter, const struct umxd_domain *mapper, uint32_t ref,
                    bool ro, struct gnt_active **actp);
/* Drop one pin taken by gnt_pin_ref(); may destroy the region. */
void gnt_unpin_ref(struct umxd_domain *granter, uint32_t ref, bool ro);

/* ---- gnt_region.c ------------------------------------------------------ */

void gnt_region_destroy(struct gnt_region *r);
/* Destroy @r if its owner let go of it and nobody maps it any more. */
void gnt_region_maybe_destroy(struct umxd_gnt *g, struct gnt_region *r);
/* The live region of @g holding @frame, or NULL. */
struct gnt_region *gnt_region_by_frame(struct umxd_gnt *g, uint32_t frame);
/* Unmap notify's byte clear: byte @offset of page @page of @r (bounds
 * checked; a NULL region or an offset out of range does nothing). */
void gnt_region_clear_byte(struct gnt_region *r, uint32_t page, uint32_t offset);

/* ---- gnt_map.c --------------------------------------------------------- */

/* Tear down mapping @h of @mapper: notify, unpin, drop references. */
void gnt_handle_release(struct umxd_domain *mapper, uint32_t h);
/* Release the handles @mapper posted on its unmap ring (ctl.h). */
void gnt_unmap_ring_drain(struct umxd_domain *mapper);

/* ---- gnt_notify.c ------------------------------------------------------ */

/* Perform share notify @n of @dom (its share ended, or it died). */
void gnt_share_notify_perform(struct umxd_domain *dom, const struct gnt_share_notify *n);

#endif /* UMXD_GNTTAB_H */
