/* SPDX-License-Identifier: MIT */
/*
 * Drop-in libxengnttab.so.1 (Xen 4.17 ABI) on umx grants (umx/grant.h).
 *
 * Xen's library is a thin layer over Linux's gntdev (mapper) and gntalloc
 * (granter). Here every handle opens the process's one umx_gnt (a domain
 * has one grant table; umx_gnt_open() counts the opens), and mappings left
 * in place at close keep that open, as gntdev's outlive their descriptor.
 * Each handle records what it shared or mapped so that closing it releases
 * what the caller has already munmap()ed.
 *
 * Semantics kept from Linux:
 *  - map_grant_ref_notify / share_page_notify: the byte is cleared and the
 *    port signalled when the mapping (share) goes away, including when the
 *    process dies — umxd performs the notify, so it happens even on SIGKILL.
 *  - unshare of a page the peer still maps succeeds, as with gntalloc: the
 *    grant stays live on umx_gnt's deferred-release queue and its page is
 *    never handed out again until the peer has unmapped it (MSA02).
 *  - munmap() of a mapping/share instead of unmap/unshare (libxenvchan does
 *    this for its ring buffers): the grant is released when the handle is
 *    closed, as gntdev/gntalloc release on close of the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xengnttab.h>

#include "compat.h"
#include "umx/conn.h"
#include "umx/internal/ctl.h"
#include "umx/grant.h"

#define NO_NOTIFY 0xffffffffu /* Xen: notify offset/port -1 = none */

struct obj {
	void *addr;
	uint32_t count;
	umx_gnt_share *share; /* exactly one of share/map */
	umx_gnt_map *map;
	struct obj *next;
};

struct xengntdev_handle {
	pthread_mutex_t lock;
	int fd;       /* xengnttab_fd(): a descriptor of the grant table */
	umx_gnt *gnt; /* this handle's open of the process's one umx_gnt */
	struct obj *objs;
};

static struct xengntdev_handle *handle_open(void)
{
	struct xengntdev_handle *h;
	umx_conn *c;
	umx_gnt *g;
	uint32_t frames;
	int r, fd;

	if ((r = umx_gnt_open(&g)) < 0) {
		compat_ret(r);
		return NULL;
	}
	if ((r = umx_conn_open_domain(&c)) < 0) {
		umx_gnt_close(g);
		compat_ret(r);
		return NULL;
	}
	fd = umx_conn_grant_table_fd(c, &frames);
	umx_conn_close(c);
	if (fd < 0 || (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		r = fd < 0 && errno == 0 ? -EBADF : -errno;
		umx_gnt_close(g);
		compat_ret(r);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		umx_gnt_close(g);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	h->fd = fd;
	h->gnt = g;
	return h;
}

/* The record of @count pages about to be mapped or shared (before the
 * grant call, so a failed allocation undoes nothing); NULL with errno set. */
static struct obj *obj_new(uint32_t count)
{
	struct obj *o = calloc(1, sizeof(*o));

	if (!o) {
		errno = ENOMEM;
		return NULL;
	}
	o->count = count;
	return o;
}

static void obj_add(struct xengntdev_handle *h, struct obj *o)
{
	pthread_mutex_lock(&h->lock);
	o->next = h->objs;
	h->objs = o;
	pthread_mutex_unlock(&h->lock);
}

/* Unlink the object at @addr; NULL when the handle has none there. */
static struct obj *obj_take(struct xengntdev_handle *h, void *addr, bool want_share)
{
	struct obj **pp, *o = NULL;

	pthread_mutex_lock(&h->lock);
	for (pp = &h->objs; *pp; pp = &(*pp)->next) {
		if ((*pp)->addr == addr && (want_share == ((*pp)->share != NULL))) {
			o = *pp;
			*pp = o->next;
			break;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return o;
}

static void obj_release(umx_gnt *g, struct obj *o)
{
	if (o->share)
		(void)umx_gnt_end_access(g, o->share); /* -EBUSY: deferred */
	else
		(void)umx_gnt_unmap(g, o->map);
	free(o);
}

/* Unmap or unshare (@share) the object of @count pages at @addr. A count
 * that does not match leaves it in place: -EINVAL. A shared page the peer
 * still maps is not an error (gntalloc frees it when the peer unmaps):
 * umx_gnt keeps it granted and never reuses it before then. */
static int handle_release(struct xengntdev_handle *h, void *addr, uint32_t count, bool share)
{
	struct obj *o;

	o = obj_take(h, addr, share);
	if (!o)
		return compat_ret(-EINVAL);
	if (o->count != count) {
		obj_add(h, o);
		return compat_ret(-EINVAL);
	}
	obj_release(h->gnt, o);
	return 0;
}

/* Close: objects the caller already munmap()ed are released; the address
 * range is first re-reserved (MAP_FIXED_NOREPLACE) so that the munmap done
 * by the release cannot hit a mapping someone else made there meanwhile.
 * Objects still mapped stay valid for the process's life, as with gntdev:
 * the handle's open of the umx_gnt stays with them (it is not closed, so
 * the last close cannot unmap them). */
static int handle_close(struct xengntdev_handle *h)
{
	umx_gnt *g;
	struct obj *o;
	bool kept = false;

	if (!h)
		return 0;
	g = h->gnt;
	while ((o = h->objs)) {
		size_t len = (size_t)o->count * UMX_PAGE_SIZE;
		void *p;

		h->objs = o->next;
		p = mmap(o->addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		         -1, 0);
		if (p == o->addr) {
			obj_release(g, o);
			continue;
		}
		if (p != MAP_FAILED)
			munmap(p, len); /* old kernel: the flag was only a hint */
		free(o);                /* still mapped: stays with umx_gnt */
		kept = true;
	}
	if (!kept)
		umx_gnt_close(g);
	close(h->fd);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return 0;
}

/* ---- xengnttab: the mapper ------------------------------------------- */

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags)
{
	return handle_open();
}

int xengnttab_close(xengnttab_handle *xgt)
{
	return handle_close(xgt);
}

int xengnttab_fd(xengnttab_handle *xgt)
{
	return xgt->fd;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
	/* umxd bounds a domain's maps itself; nothing to configure. */
	return 0;
}

static void *map_refs(xengnttab_handle *xgt, uint32_t count, uint32_t domid, const uint32_t *refs,
                      int prot, const struct umx_gnt_notify *notify)
{
	umx_gnt *g = xgt->gnt;
	umx_gnt_map *m;
	struct obj *o;
	int r;

	if (count == 0 || !(prot & PROT_READ)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(o = obj_new(count)))
		return NULL;
	r = umx_gnt_map_refs(g, domid, count, refs, (prot & PROT_WRITE) ? 0 : UMX_GNT_MAP_READONLY,
	                     notify, NULL, &m);
	if (r < 0) {
		free(o);
		compat_ret(r);
		return NULL;
	}
	o->addr = umx_gnt_map_addr(m);
	o->map = m;
	obj_add(xgt, o);
	return o->addr;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot)
{
	return map_refs(xgt, 1, domid, &ref, prot, NULL);
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t domid,
                                      uint32_t *refs, int prot)
{
	return map_refs(xgt, count, domid, refs, prot, NULL);
}

void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t *domids,
                               uint32_t *refs, int prot)
{
	for (uint32_t i = 1; i < count; i++) {
		if (domids[i] != domids[0]) {
			compat_unsupported("xengnttab_map_grant_refs with several granting domains",
			                   "a umx mapping comes from one granter");
			return NULL;
		}
	}
	return map_refs(xgt, count, count ? domids[0] : 0, refs, prot, NULL);
}

void *xengnttab_map_grant_ref_notify(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot,
                                     uint32_t notify_offset, evtchn_port_t notify_port)
{
	struct umx_gnt_notify n = {0};

	if (notify_offset != NO_NOTIFY) {
		if (notify_offset >= UMX_PAGE_SIZE) {
			errno = EINVAL;
			return NULL;
		}
		n.flags |= UMX_GNT_NOTIFY_BYTE;
		n.offset = notify_offset;
	}
	if (notify_port != NO_NOTIFY) {
		n.flags |= UMX_GNT_NOTIFY_EVENT;
		n.port = notify_port;
	}
	return map_refs(xgt, 1, domid, &ref, prot, n.flags ? &n : NULL);
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
	return handle_release(xgt, start_address, count, false);
}

/* GNTTABOP_copy. Segments between two grant refs go to umxd as they are;
 * a segment with a local virtual address is done by mapping the foreign
 * ref for the copy (read-only when it is the source). The caller checked
 * the segment with bad_segment(). */
static int16_t copy_one(umx_gnt *g, xengnttab_grant_copy_segment_t *s)
{
	const bool sref = s->flags & GNTCOPY_source_gref, dref = s->flags & GNTCOPY_dest_gref;
	int16_t st = GNTST_okay;
	umx_gnt_map *m;
	uint32_t ref;
	char *page;

	if (sref && dref) {
		struct umx_gnt_copy_seg seg = {
		        .source = {s->source.foreign.ref, s->source.foreign.domid,
		                   s->source.foreign.offset, 0},
		        .dest = {s->dest.foreign.ref, s->dest.foreign.domid, s->dest.foreign.offset,
		                 0},
		        .len = s->len,
		        .flags = UMX_GNT_COPY_SOURCE_GREF | UMX_GNT_COPY_DEST_GREF,
		};
		int r = umx_gnt_copy(g, 1, &seg, &st);
		return r < 0 ? GNTST_general_error : st;
	}
	ref = sref ? s->source.foreign.ref : s->dest.foreign.ref;
	if (umx_gnt_map_refs(g, sref ? s->source.foreign.domid : s->dest.foreign.domid, 1, &ref,
	                     sref ? UMX_GNT_MAP_READONLY : 0, NULL, &st, &m) < 0)
		return st != GNTST_okay ? st : GNTST_general_error;
	page = umx_gnt_map_addr(m);
	if (sref)
		memcpy(s->dest.virt, page + s->source.foreign.offset, s->len);
	else
		memcpy(page + s->dest.foreign.offset, s->source.virt, s->len);
	(void)umx_gnt_unmap(g, m);
	return GNTST_okay;
}

/* What Linux's gntdev refuses for the whole call (EINVAL), not per
 * segment: local -> local copies, and a grant side crossing its page. */
static bool bad_segment(const xengnttab_grant_copy_segment_t *s)
{
	const bool sref = s->flags & GNTCOPY_source_gref, dref = s->flags & GNTCOPY_dest_gref;

	return (!sref && !dref) || (sref && s->source.foreign.offset + s->len > UMX_PAGE_SIZE) ||
	       (dref && s->dest.foreign.offset + s->len > UMX_PAGE_SIZE);
}

/* As xengnttab_grant_copy over gntdev: 0 with a GNTST_* status per segment
 * (a bad ref or domain is a segment's status, not the call's), or -1 with
 * EINVAL for a malformed segment. Unlike gntdev, which stops at the first
 * malformed segment after copying the ones before it, nothing is copied
 * when any segment is malformed. */
int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
                         xengnttab_grant_copy_segment_t *segs)
{
	for (uint32_t i = 0; i < count; i++)
		if (bad_segment(&segs[i]))
			return compat_ret(-EINVAL);
	for (uint32_t i = 0; i < count; i++)
		segs[i].status = copy_one(xgt->gnt, &segs[i]);
	return 0;
}

int xengnttab_dmabuf_exp_from_refs(xengnttab_handle *xgt, uint32_t domid, uint32_t flags,
                                   uint32_t count, const uint32_t *refs, uint32_t *fd)
{
	return compat_unsupported("xengnttab_dmabuf_exp_from_refs", "no dma-buf");
}

int xengnttab_dmabuf_exp_wait_released(xengnttab_handle *xgt, uint32_t fd, uint32_t wait_to_ms)
{
	return compat_unsupported("xengnttab_dmabuf_exp_wait_released", "no dma-buf");
}

int xengnttab_dmabuf_imp_to_refs(xengnttab_handle *xgt, uint32_t domid, uint32_t fd, uint32_t count,
                                 uint32_t *refs)
{
	return compat_unsupported("xengnttab_dmabuf_imp_to_refs", "no dma-buf");
}

int xengnttab_dmabuf_imp_release(xengnttab_handle *xgt, uint32_t fd)
{
	return compat_unsupported("xengnttab_dmabuf_imp_release", "no dma-buf");
}

/* ---- xengntshr: the granter ------------------------------------------ */

/* A granter's handle is a mapper's: Xen's header makes both a struct
 * xengntdev_handle, and here both open the process's one umx_gnt. So open,
 * close and fd are the mapper's functions under their xengntshr names. */
xengntshr_handle *xengntshr_open(struct xentoollog_logger *logger, unsigned open_flags)
        __attribute__((alias("xengnttab_open")));
int xengntshr_close(xengntshr_handle *xgs) __attribute__((alias("xengnttab_close")));
int xengntshr_fd(xengntshr_handle *xgs) __attribute__((alias("xengnttab_fd")));

static void *share(xengntshr_handle *xgs, uint32_t domid, int count, uint32_t *refs, int writable,
                   uint32_t notify_offset, evtchn_port_t notify_port)
{
	umx_gnt *g = xgs->gnt;
	umx_gnt_share *s;
	struct obj *o;
	struct umx_gnt_notify n = {0};
	int r;

	if (count <= 0) {
		errno = EINVAL;
		return NULL;
	}
	if (!(o = obj_new((uint32_t)count)))
		return NULL;
	r = umx_gnt_share_pages(g, domid, (uint32_t)count, writable ? 0 : UMX_GNT_SHARE_READONLY,
	                        &s);
	if (r < 0)
		goto fail;
	if (notify_offset != NO_NOTIFY) {
		n.flags |= UMX_GNT_NOTIFY_BYTE;
		n.offset = notify_offset;
		if (notify_offset >= UMX_PAGE_SIZE * (uint32_t)count) {
			r = -EINVAL;
			goto fail_share;
		}
	}
	if (notify_port != NO_NOTIFY) {
		n.flags |= UMX_GNT_NOTIFY_EVENT;
		n.port = notify_port;
	}
	if (n.flags && (r = umx_gnt_share_set_notify(g, s, &n)) < 0)
		goto fail_share;
	for (int i = 0; i < count; i++)
		refs[i] = umx_gnt_share_ref(s, (uint32_t)i);
	o->addr = umx_gnt_share_addr(s);
	o->share = s;
	obj_add(xgs, o);
	return o->addr;
fail_share:
	(void)umx_gnt_end_access(g, s);
fail:
	free(o);
	compat_ret(r);
	return NULL;
}

void *xengntshr_share_pages(xengntshr_handle *xgs, uint32_t domid, int count, uint32_t *refs,
                            int writable)
{
	return share(xgs, domid, count, refs, writable, NO_NOTIFY, NO_NOTIFY);
}

void *xengntshr_share_page_notify(xengntshr_handle *xgs, uint32_t domid, uint32_t *ref,
                                  int writable, uint32_t notify_offset, evtchn_port_t notify_port)
{
	return share(xgs, domid, 1, ref, writable, notify_offset, notify_port);
}

int xengntshr_unshare(xengntshr_handle *xgs, void *start_address, uint32_t count)
{
	return handle_release(xgs, start_address, count, true);
}
