/* SPDX-License-Identifier: MIT */
/*
 * grant.h — grant tables and grant memory (Xen v1 semantics).
 *
 * A *grant* lets one peer domain map one of our pages. The granter writes a
 * grant_entry_v1 {flags, domid, frame} into its own grant table (shared
 * memory that umxd reads as hostile input); the mapper asks umxd to map
 * (granter, ref) and gets the page through a region descriptor + offset.
 *
 * Grant memory: pages shared with peer D come from memfd regions bound to D
 * for life (a pool per peer). A page is handed out again only after its
 * grant was really ended — Linux's gnttab_end_foreign_access v1: ending
 * access fails while the peer maps the page (GTF_reading/GTF_writing), the
 * page then waits on a deferred-release queue owned by this library and is
 * retried on later calls (MirageOS MSA02). A page is only ever reused for
 * the same peer, so even a peer that keeps a mapping forever learns nothing
 * it was not sent.
 *
 * Ownership: a umx_gnt is one per process (its domain); shares and maps are
 * owned by it and must be ended/unmapped before umx_gnt_close() (which
 * releases what is left). Calls are serialized by one mutex.
 * All functions return 0 (or a count) or -errno.
 */
#ifndef UMX_GRANT_H
#define UMX_GRANT_H

#include <stdint.h>

/* The page: the unit of every grant, share and mapping (Xen's 4 KiB page
 * on x86 and Arm). The one definition umx, its devices and umxd use. */
#define UMX_PAGE_SHIFT 12
#define UMX_PAGE_SIZE  (1u << UMX_PAGE_SHIFT)

typedef struct umx_gnt umx_gnt;
typedef struct umx_gnt_share umx_gnt_share;
typedef struct umx_gnt_map umx_gnt_map;

/* Open the grant interface of this process's domain (its connection,
 * $UMX_DOMAIN_FD, as umx_evtchn_open() and umx_xs_open() use it) and map
 * the domain's grant table. The table and its ref allocator are one per
 * process: every open returns the same handle (counted), so users in one
 * process never hand out the same ref twice and need no handle of their
 * own to share. -ENOENT when the process is not a domain. */
int umx_gnt_open(umx_gnt **out);
/* Drop one open. The last one unmaps what is left mapped, ends what can be
 * ended and frees the library's state. Pages still mapped by peers stay
 * with umxd. */
void umx_gnt_close(umx_gnt *g);

/* ---- unmap notify ------------------------------------------------------ */

/* Linux's unmap notify (gntdev/gntalloc UNMAP_NOTIFY_*): when a mapping or
 * a share goes away, including when its holder dies, clear one byte of it
 * and/or signal a port, so the peer learns that the other end is gone.
 * umxd performs it, so it happens even on SIGKILL. One flag set for the
 * grant API, the platform API and the control messages; the bits do not
 * overlap UMX_GNT_MAP_READONLY, so a map op carries both in one field. */
#define UMX_GNT_NOTIFY_BYTE  0x2u /* clear the byte at @offset */
#define UMX_GNT_NOTIFY_EVENT 0x4u /* send an event on @port */

struct umx_gnt_notify {
	uint32_t flags;  /* UMX_GNT_NOTIFY_* (0: none) */
	uint32_t offset; /* byte offset in the whole mapping or share */
	uint32_t port;   /* our local event channel port */
};

/* ---- granter ---------------------------------------------------------- */

#define UMX_GNT_SHARE_READONLY 0x1u

/* Share @count zeroed pages with @peer (writable unless
 * UMX_GNT_SHARE_READONLY). The pages are contiguous at
 * umx_gnt_share_addr(). Entries are written to the table and published
 * with a release store of their flags. -ENOSPC: out of grant refs. */
int umx_gnt_share_pages(umx_gnt *g, uint32_t peer, uint32_t count, uint32_t flags,
                        umx_gnt_share **out);
/* Share one zeroed page with @peer at the reserved ref @ref (below Xen's
 * GNTTAB_NR_RESERVED_ENTRIES, 8), which the allocator never hands out:
 * what Xen's domain builder does for GNTTAB_RESERVED_CONSOLE (0) and
 * GNTTAB_RESERVED_XENSTORE (1). Ended with umx_gnt_end_access() like any
 * share; while the peer still maps it (-EBUSY there) the ref stays taken.
 * -EINVAL: @ref not reserved; -EBUSY: @ref already shared or deferred. */
int umx_gnt_share_reserved(umx_gnt *g, uint32_t peer, uint32_t ref, uint32_t flags,
                           umx_gnt_share **out);
void *umx_gnt_share_addr(const umx_gnt_share *s);
uint32_t umx_gnt_share_count(const umx_gnt_share *s);
uint32_t umx_gnt_share_ref(const umx_gnt_share *s, uint32_t i);
/* Frame number of page @i (for umx_gnt_copy with a local side). */
uint32_t umx_gnt_share_frame(const umx_gnt_share *s, uint32_t i);
/* gntalloc's unmap notify for this share, performed by umxd when the
 * share ends or we die: @n->offset is a byte offset in the whole share (in
 * page @n->offset / UMX_PAGE_SIZE). -EINVAL for no or unknown flags or an
 * offset past the share. */
int umx_gnt_share_set_notify(umx_gnt *g, umx_gnt_share *s, const struct umx_gnt_notify *n);
/* End access to every page of @s and free @s (its address is unmapped in
 * every case). 0: all pages went back to the pool. -EBUSY: some page is
 * still mapped by the peer: it stays granted on the library's deferred
 * queue, is never handed out, and is released by a later successful
 * retry (umx_gnt_reap, or any later share). */
int umx_gnt_end_access(umx_gnt *g, umx_gnt_share *s);
/* Retry deferred releases. Returns how many pages are still pending. */
int umx_gnt_reap(umx_gnt *g);

/* ---- mapper ----------------------------------------------------------- */

#define UMX_GNT_MAP_READONLY 0x1u

/* Map @count refs of @granter contiguously. All or nothing: on failure,
 * nothing stays mapped; @status (optional, @count entries) receives each
 * op's GNTST_* code and the return is -errno for the first failure
 * (-ESRCH bad_domain, -EINVAL bad_gntref/general_error, -EACCES
 * permission_denied, -ENOSPC no_device_space, -ENOMEM). */
int umx_gnt_map_refs(umx_gnt *g, uint32_t granter, uint32_t count, const uint32_t *refs,
                     uint32_t flags, const struct umx_gnt_notify *notify, int16_t *status,
                     umx_gnt_map **out);
void *umx_gnt_map_addr(const umx_gnt_map *m);
/* Unmap and tell umxd (which performs the notify). Frees @m. */
int umx_gnt_unmap(umx_gnt *g, umx_gnt_map *m);

/* ---- copy (GNTTABOP_copy) --------------------------------------------- */

#define UMX_GNT_COPY_SOURCE_GREF 0x1u
#define UMX_GNT_COPY_DEST_GREF   0x2u

struct umx_gnt_copy_side {
	uint32_t ref_or_frame; /* a grant ref of @domid, or our own frame */
	uint32_t domid;
	uint32_t offset;
	uint32_t pad;
};
struct umx_gnt_copy_seg {
	struct umx_gnt_copy_side source;
	struct umx_gnt_copy_side dest;
	uint32_t len;
	uint32_t flags; /* UMX_GNT_COPY_* */
};
/* Up to 64 segments; @status receives each GNTST_* code. Returns 0 when
 * the request was processed (check @status), or -errno. */
int umx_gnt_copy(umx_gnt *g, uint32_t count, const struct umx_gnt_copy_seg *segs, int16_t *status);

#endif /* UMX_GRANT_H */
