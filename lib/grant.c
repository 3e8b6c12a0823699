/* SPDX-License-Identifier: MIT */
/*
 * Grant tables, client side: the granter writes its own table directly (as
 * a Xen guest does) and keeps per-peer page pools; the mapper asks umxd and
 * caches region descriptors. See include/umx/grant.h for the contract.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "umx/barrier.h"
#include "umx/conn.h"
#include "umx/internal/ctl.h"
#include "umx/grant.h"
#include "umx/internal/msg.h"

#define POOL_REGION_PAGES 64u
#define NO_FD             0xffffu
/* Region descriptors kept with no mapping of theirs left: a later map of
 * the region passes no descriptor. Bounded, as what they hold stays
 * allocated while we keep them (a region outlives its granter's free
 * while any of its descriptors is open). */
#define FC_IDLE_MAX 16u
/* Linux 5.14's madvise advice (older kernels answer EINVAL, and the pages
 * fault in on first touch instead). */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22
#define MADV_POPULATE_WRITE 23
#endif

enum page_state {
	PAGE_FREE = 0,
	PAGE_SHARED,
	PAGE_DEFERRED
};

/* A region serves one peer in one mode for life (MSA02: a page once shared
 * with B in mode M is only ever shared with B in mode M again). Read-write
 * shares map their pages one by one through @fd; read-only regions are
 * sealed by umxd once we have mapped them whole (@mem, our only writable
 * mapping), so read-only shares are runs of pages inside @mem. */
struct pool_region {
	uint32_t peer;
	uint32_t base_frame;
	uint32_t npages;
	bool ro;
	bool retired;   /* its peer died: never shared from again, freed in umxd */
	int fd;         /* read-write regions; -1 once retired */
	uint8_t *mem;   /* read-only regions: the whole region, read-write */
	uint8_t *state; /* enum page_state per page */
	struct pool_region *next;
};

struct page_slot {
	struct pool_region *r;
	uint32_t page;
	uint32_t ref;
};

struct umx_gnt_share {
	uint32_t peer;
	uint32_t count;
	bool in_region; /* addr lies in a read-only region's mapping: not ours to unmap */
	void *addr;
	struct umx_gnt_share *next;
	struct page_slot pages[];
};

/* A region umxd sent us the descriptor of. umxd sends it once and records
 * that we hold it; we keep it across unmaps, as one mapping of the whole
 * region (@win, read-only for read-only maps) rather than an open
 * descriptor, and tell umxd (FORGET) when we let go of it, so both sides
 * agree on who holds what. Each map is a new mapping of pages of @win
 * (mremap of size 0: same pages, no descriptor needed). */
struct fd_cache {
	uint64_t region;
	bool ro;
	uint8_t *win;
	size_t win_len;
	uint32_t count;    /* our mappings of it (0: idle, kept) */
	uint64_t last_use; /* when it went idle: the oldest idle one goes first */
	struct fd_cache *next;
};

struct map_page {
	bool mapped; /* umxd holds a handle for it */
	uint32_t handle;
	uint64_t offset;
	struct fd_cache *fc; /* NULL only after a protocol error */
};

struct umx_gnt_map {
	void *addr;
	uint32_t count;
	bool notify; /* an unmap notify rides on it: unmapped by a request */
	struct umx_gnt_map *next;
	struct map_page pages[];
};

struct umx_gnt {
	umx_conn *conn;
	unsigned opens; /* under gnt_open_lock */
	pthread_mutex_t lock;
	grant_entry_v1_t *table;
	uint32_t frames;
	uint32_t nentries;
	uint32_t *free_refs;
	uint32_t nfree_refs;
	struct pool_region *regions;
	struct page_slot *deferred;
	uint32_t ndeferred, cap_deferred;
	struct umx_gnt_share *shares;
	struct umx_gnt_map *maps;
	struct fd_cache *fds;
	uint32_t fds_idle;
	uint64_t fds_tick;
	/* Unmapped handles go to umxd through this page (ctl.h,
	 * UNMAP_RING) rather than one request each; NULL when umxd gave
	 * none (then every unmap is a request). */
	struct umx_gnt_unmap_ring *unmap_ring;
	uint32_t unmap_prod;
	bool unmap_ring_tried;
	uint8_t reserved_used; /* bit per reserved ref (0..7) in use or deferred */
};

/* The domain's grant table is one per process (its connection is), and
 * so is the ref allocator over it: two handles allocating refs from the
 * same table independently would hand out the same refs. Every open
 * therefore returns the same handle, counted; this is the one place that
 * keeps it, so no user needs a process-wide handle of its own. */
static pthread_mutex_t gnt_open_lock = PTHREAD_MUTEX_INITIALIZER;
static umx_gnt *gnt_shared;

static int gnt_open_new(umx_conn *conn, umx_gnt **out);

int umx_gnt_open(umx_gnt **out)
{
	umx_conn *conn;
	int r = 0;

	pthread_mutex_lock(&gnt_open_lock);
	if (gnt_shared) {
		gnt_shared->opens++;
	} else if ((r = umx_conn_open_domain(&conn)) == 0) {
		/* The handle holds this open of the connection until its last
		 * close. */
		if ((r = gnt_open_new(conn, &gnt_shared)) < 0)
			umx_conn_close(conn);
		else
			gnt_shared->opens = 1;
	}
	if (r == 0)
		*out = gnt_shared;
	pthread_mutex_unlock(&gnt_open_lock);
	return r;
}

static int gnt_open_new(umx_conn *conn, umx_gnt **out)
{
	umx_gnt *g;
	uint32_t frames, i;
	int fd = umx_conn_grant_table_fd(conn, &frames);
	void *t;

	if (fd < 0)
		return fd;
	if (frames == 0)
		return -ENODEV;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	t = mmap(NULL, (size_t)frames * UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (t == MAP_FAILED) {
		free(g);
		return -errno;
	}
	g->conn = conn;
	g->table = t;
	g->frames = frames;
	g->nentries = frames * (UMX_PAGE_SIZE / (uint32_t)sizeof(grant_entry_v1_t));
	g->free_refs = malloc(g->nentries * sizeof(uint32_t));
	if (!g->free_refs) {
		munmap(t, (size_t)frames * UMX_PAGE_SIZE);
		free(g);
		return -ENOMEM;
	}
	/* Highest first so refs come out ascending; 0..7 are reserved (Xen). */
	for (i = g->nentries; i-- > GNTTAB_NR_RESERVED_ENTRIES;)
		g->free_refs[g->nfree_refs++] = i;
	pthread_mutex_init(&g->lock, NULL);
	*out = g;
	return 0;
}

/* ---- granter ---------------------------------------------------------- */

/* Linux's gnttab_end_foreign_access_ref v1: flags -> 0 only while neither
 * GTF_reading nor GTF_writing is set. The CAS (seq_cst) pairs with umxd's
 * CAS in pin_ref(): whichever comes first wins. */
static bool end_ref(umx_gnt *g, uint32_t ref)
{
	grant_entry_v1_t *e = &g->table[ref];
	uint16_t flags = (uint16_t)umx_load_relaxed32(e), found;

	for (;;) {
		if (flags & (GTF_reading | GTF_writing))
			return false;
		found = umx_cmpxchg16(&e->flags, flags, 0);
		if (found == flags)
			return true;
		flags = found;
	}
}

static void slot_release(umx_gnt *g, const struct page_slot *p)
{
	p->r->state[p->page] = PAGE_FREE;
	/* A reserved ref never joins the allocator's list: it is only ever
	 * handed out by umx_gnt_share_reserved(). */
	if (p->ref < GNTTAB_NR_RESERVED_ENTRIES)
		g->reserved_used &= (uint8_t) ~(1u << p->ref);
	else
		g->free_refs[g->nfree_refs++] = p->ref;
}

static int reap_locked(umx_gnt *g)
{
	uint32_t i = 0;

	while (i < g->ndeferred) {
		if (end_ref(g, g->deferred[i].ref)) {
			slot_release(g, &g->deferred[i]);
			g->deferred[i] = g->deferred[--g->ndeferred];
		} else {
			i++;
		}
	}
	return (int)g->ndeferred;
}

static void unmap_sync(umx_gnt *g);

int umx_gnt_reap(umx_gnt *g)
{
	int r;

	pthread_mutex_lock(&g->lock);
	r = reap_locked(g);
	if (r > 0) {
		/* Busy may only mean umxd has not yet read the peer's unmap
		 * ring: have it do so, then look again. */
		unmap_sync(g);
		r = reap_locked(g);
	}
	pthread_mutex_unlock(&g->lock);
	return r;
}

static void region_free_call(umx_gnt *g, uint32_t base_frame)
{
	struct umx_ctl_region_free req = {.base_frame = base_frame};

	(void)umx_conn_call(g->conn, UMX_CTL_GNT_REGION_FREE, &req, sizeof(req), NULL, 0, NULL,
	                    NULL, 0, NULL);
}

/* A read-only region: map it whole while we still can write it, then have
 * umxd seal it. Takes @fd. */
static int region_seal(umx_gnt *g, struct pool_region *r, int fd)
{
	struct umx_ctl_region_free req = {.base_frame = r->base_frame};
	size_t len = (size_t)r->npages * UMX_PAGE_SIZE;
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int ret;

	close(fd); /* sealed, it could give nothing more than @mem */
	if (mem == MAP_FAILED)
		return -errno;
	ret = umx_conn_call(g->conn, UMX_CTL_GNT_REGION_SEAL, &req, sizeof(req), NULL, 0, NULL,
	                    NULL, 0, NULL);
	if (ret < 0) {
		munmap(mem, len);
		return ret;
	}
	r->mem = mem;
	return 0;
}

static int region_alloc(umx_gnt *g, uint32_t peer, bool ro, uint32_t npages,
                        struct pool_region **out)
{
	struct umx_ctl_region_alloc req = {
	        .peer = peer, .npages = npages, .flags = ro ? UMX_CTL_REGION_READONLY : 0};
	struct {
		uint32_t base_frame, npages, pad;
	} rep;
	struct pool_region *r;
	unsigned nfds = 0;
	int fd = -1, ret;

	ret = umx_conn_call(g->conn, UMX_CTL_GNT_REGION_ALLOC, &req, sizeof(req), &rep, sizeof(rep),
	                    NULL, &fd, 1, &nfds);
	if (ret < 0)
		return ret;
	if (nfds != 1 || rep.npages != npages) {
		if (nfds)
			close(fd);
		region_free_call(g, rep.base_frame);
		return -EPROTO;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->state = calloc(npages, 1))) {
		free(r);
		close(fd);
		region_free_call(g, rep.base_frame);
		return -ENOMEM;
	}
	r->peer = peer;
	r->ro = ro;
	r->base_frame = rep.base_frame;
	r->npages = npages;
	r->fd = -1;
	if (!ro) {
		r->fd = fd;
	} else if ((ret = region_seal(g, r, fd)) < 0) {
		region_free_call(g, r->base_frame);
		free(r->state);
		free(r);
		return ret;
	}
	r->next = g->regions;
	g->regions = r;
	*out = r;
	return 0;
}

/* Is @r still bound to a live peer? umxd binds a region to the domain that
 * held the peer domid when it was allocated; once that domain is gone, a
 * later domain with the same domid can never map its pages, so it is
 * retired: freed in umxd (which keeps it while still mapped), never shared
 * from again. One round trip, only when the pool would reuse a region. */
static bool region_usable(umx_gnt *g, struct pool_region *r)
{
	struct umx_ctl_region_free req = {.base_frame = r->base_frame};

	if (r->retired)
		return false;
	if (umx_conn_call(g->conn, UMX_CTL_GNT_REGION_STATUS, &req, sizeof(req), NULL, 0, NULL,
	                  NULL, 0, NULL) != -ESRCH)
		return true; /* usable, or umxd cannot tell: a failed map will */
	r->retired = true;
	region_free_call(g, r->base_frame);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	return false;
}

/* The first page of a run of @count free pages of @r, or -1. Read-only
 * shares need one (they are addressed inside the region's mapping);
 * read-write ones take any free pages (@count 1). */
static int64_t region_free_run(const struct pool_region *r, uint32_t count)
{
	uint32_t run = 0;

	for (uint32_t i = 0; i < r->npages; i++) {
		run = r->state[i] == PAGE_FREE ? run + 1 : 0;
		if (run == count)
			return (int64_t)i + 1 - count;
	}
	return -1;
}

/* Take @count free pages of @peer's pool in mode @ro (MSA02: pages of other
 * peers or the other mode are never considered, deferred ones are not
 * free); read-only ones contiguous in one region. */
static int pool_take(umx_gnt *g, uint32_t peer, bool ro, uint32_t count, struct page_slot *out)
{
	struct pool_region *r;
	uint32_t got = 0, i;
	int64_t first;
	int ret;

	for (r = g->regions; r && got < count; r = r->next) {
		if (r->peer != peer || r->ro != ro || r->retired ||
		    (first = region_free_run(r, ro ? count : 1)) < 0 || !region_usable(g, r))
			continue;
		for (i = (uint32_t)first; i < r->npages && got < count; i++) {
			if (r->state[i] == PAGE_FREE) {
				r->state[i] = PAGE_SHARED;
				out[got].r = r;
				out[got++].page = i;
			}
		}
	}
	if (got < count) {
		uint32_t need = count - got;
		ret = region_alloc(g, peer, ro, need > POOL_REGION_PAGES ? need : POOL_REGION_PAGES,
		                   &r);
		if (ret < 0) {
			for (i = 0; i < got; i++)
				out[i].r->state[out[i].page] = PAGE_FREE;
			return ret;
		}
		for (i = 0; i < need; i++) {
			r->state[i] = PAGE_SHARED;
			out[got].r = r;
			out[got++].page = i;
		}
	}
	return 0;
}

/* The granter's view of a share's pages: read-only ones inside their
 * region's mapping, read-write ones mapped page by page. */
static int share_map(umx_gnt_share *s, bool ro)
{
	uint8_t *va;

	if (ro) {
		s->addr = s->pages[0].r->mem + (size_t)s->pages[0].page * UMX_PAGE_SIZE;
		s->in_region = true;
		return 0;
	}
	va = mmap(NULL, (size_t)s->count * UMX_PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	          -1, 0);
	if (va == MAP_FAILED)
		return -errno;
	for (uint32_t i = 0; i < s->count; i++) {
		struct page_slot *p = &s->pages[i];
		if (mmap(va + (size_t)i * UMX_PAGE_SIZE, UMX_PAGE_SIZE, PROT_READ | PROT_WRITE,
		         MAP_SHARED | MAP_FIXED, p->r->fd,
		         (off_t)p->page * UMX_PAGE_SIZE) == MAP_FAILED) {
			int ret = -errno;
			munmap(va, (size_t)s->count * UMX_PAGE_SIZE);
			return ret;
		}
	}
	s->addr = va;
	return 0;
}

/* Share @count pages with @peer: at refs from the allocator, or (count 1)
 * at the reserved ref @reserved when it is below GNTTAB_NR_RESERVED_ENTRIES. */
static int share_pages(umx_gnt *g, uint32_t peer, uint32_t count, uint32_t flags, uint32_t reserved,
                       umx_gnt_share **out)
{
	bool ro = flags & UMX_GNT_SHARE_READONLY;
	umx_gnt_share *s;
	uint32_t i;
	int ret;

	if (count == 0 || count > 65536 || (flags & ~UMX_GNT_SHARE_READONLY))
		return -EINVAL;
	s = calloc(1, sizeof(*s) + count * sizeof(s->pages[0]));
	if (!s)
		return -ENOMEM;
	pthread_mutex_lock(&g->lock);
	reap_locked(g);
	if (g->ndeferred &&
	    (reserved < GNTTAB_NR_RESERVED_ENTRIES ? (g->reserved_used & (1u << reserved)) != 0
	                                           : g->nfree_refs < count)) {
		/* What we need may be held by a page its mapper has unmapped on
		 * its unmap ring, unread by umxd yet: have it read, look again. */
		unmap_sync(g);
		reap_locked(g);
	}
	if (reserved < GNTTAB_NR_RESERVED_ENTRIES ? (g->reserved_used & (1u << reserved)) != 0
	                                          : g->nfree_refs < count) {
		ret = reserved < GNTTAB_NR_RESERVED_ENTRIES ? -EBUSY : -ENOSPC;
		goto err;
	}
	ret = pool_take(g, peer, ro, count, s->pages);
	if (ret < 0)
		goto err;
	s->count = count;
	if ((ret = share_map(s, ro)) < 0)
		goto err_pages;
	/* Grant only zeroed pages (docs/HARDENING.md, "Grant only what you mean to share").
	 * share_map() set s->addr when it returned 0; the analyzer cannot see
	 * that mmap's -errno is negative. */
	// NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
	memset(s->addr, 0, (size_t)count * UMX_PAGE_SIZE);
	for (i = 0; i < count; i++) {
		struct page_slot *p = &s->pages[i];
		grant_entry_v1_t *e;
		uint32_t word = GTF_permit_access | ((uint32_t)peer << 16);

		if (ro)
			word |= GTF_readonly;
		if (reserved < GNTTAB_NR_RESERVED_ENTRIES) {
			p->ref = reserved;
			g->reserved_used |= (uint8_t)(1u << reserved);
		} else {
			p->ref = g->free_refs[--g->nfree_refs];
		}
		e = &g->table[p->ref];
		umx_store_relaxed32(&e->frame, p->r->base_frame + p->page);
		/* R1: pairs with umxd's CAS on the flags word in pin_ref(),
		 * after which it reads the frame: frame (and the zeroed page)
		 * visible before the entry becomes valid. */
		umx_store_release32(e, word);
	}
	s->peer = peer;
	s->next = g->shares;
	g->shares = s;
	pthread_mutex_unlock(&g->lock);
	*out = s;
	return 0;
err_pages:
	for (i = 0; i < count; i++)
		s->pages[i].r->state[s->pages[i].page] = PAGE_FREE;
err:
	pthread_mutex_unlock(&g->lock);
	free(s);
	return ret;
}

int umx_gnt_share_pages(umx_gnt *g, uint32_t peer, uint32_t count, uint32_t flags,
                        umx_gnt_share **out)
{
	return share_pages(g, peer, count, flags, UINT32_MAX, out);
}

int umx_gnt_share_reserved(umx_gnt *g, uint32_t peer, uint32_t ref, uint32_t flags,
                           umx_gnt_share **out)
{
	if (ref >= GNTTAB_NR_RESERVED_ENTRIES)
		return -EINVAL;
	return share_pages(g, peer, 1, flags, ref, out);
}

void *umx_gnt_share_addr(const umx_gnt_share *s)
{
	return s->addr;
}

uint32_t umx_gnt_share_count(const umx_gnt_share *s)
{
	return s->count;
}

uint32_t umx_gnt_share_ref(const umx_gnt_share *s, uint32_t i)
{
	if (i >= s->count)
		abort(); /* misuse of our own API */
	return s->pages[i].ref;
}

uint32_t umx_gnt_share_frame(const umx_gnt_share *s, uint32_t i)
{
	if (i >= s->count)
		abort();
	return s->pages[i].r->base_frame + s->pages[i].page;
}

int umx_gnt_share_set_notify(umx_gnt *g, umx_gnt_share *s, const struct umx_gnt_notify *n)
{
	struct umx_ctl_gnt_share_notify req;

	if (!n->flags || (n->flags & ~(UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT)) ||
	    n->offset / UMX_PAGE_SIZE >= s->count)
		return -EINVAL;
	req.ref = s->pages[n->offset / UMX_PAGE_SIZE].ref;
	req.flags = n->flags;
	req.offset = n->offset % UMX_PAGE_SIZE;
	req.port = n->port;
	return umx_conn_call(g->conn, UMX_CTL_GNT_SHARE_NOTIFY, &req, sizeof(req), NULL, 0, NULL,
	                     NULL, 0, NULL);
}

static int defer_push(umx_gnt *g, const struct page_slot *p)
{
	if (g->ndeferred == g->cap_deferred) {
		uint32_t cap = g->cap_deferred ? g->cap_deferred * 2 : 16;
		struct page_slot *d = realloc(g->deferred, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		g->deferred = d;
		g->cap_deferred = cap;
	}
	p->r->state[p->page] = PAGE_DEFERRED;
	g->deferred[g->ndeferred++] = *p;
	return 0;
}

static void share_unlink(umx_gnt *g, umx_gnt_share *s)
{
	umx_gnt_share **pp;

	for (pp = &g->shares; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			return;
		}
	}
}

int umx_gnt_end_access(umx_gnt *g, umx_gnt_share *s)
{
	struct umx_ctl_gnt_unshare un = {0};
	bool busy = false;
	int ret = 0;
	uint32_t i;

	pthread_mutex_lock(&g->lock);
	share_unlink(g, s);
	if (!s->in_region)
		munmap(s->addr, (size_t)s->count * UMX_PAGE_SIZE);
	for (i = 0; i < s->count; i++) {
		/* gntalloc: the share's notify fires when the share goes. */
		un.ref = s->pages[i].ref;
		(void)umx_conn_call(g->conn, UMX_CTL_GNT_UNSHARE, &un, sizeof(un), NULL, 0, NULL,
		                    NULL, 0, NULL);
		if (end_ref(g, s->pages[i].ref)) {
			slot_release(g, &s->pages[i]);
			continue;
		}
		busy = true;
		if (defer_push(g, &s->pages[i]) < 0) {
			/* Cannot track it: leak the page rather than reuse it. */
			s->pages[i].r->state[s->pages[i].page] = PAGE_DEFERRED;
		}
	}
	if (busy) {
		/* The peer may have unmapped on its unmap ring, which umxd has
		 * not read yet: once it has, whatever is still busy is mapped
		 * (MSA02), and stays deferred. */
		unmap_sync(g);
		reap_locked(g);
		for (i = 0; i < s->count; i++)
			if (s->pages[i].r->state[s->pages[i].page] == PAGE_DEFERRED)
				ret = -EBUSY;
	}
	pthread_mutex_unlock(&g->lock);
	free(s);
	return ret;
}

/* ---- mapper ----------------------------------------------------------- */

static int gntst_errno(int16_t st)
{
	switch (st) {
	case GNTST_okay:
		return 0;
	case GNTST_bad_domain:
		return -ESRCH;
	case GNTST_permission_denied:
		return -EACCES;
	case GNTST_no_device_space:
	case GNTST_no_space:
		return -ENOSPC;
	case GNTST_eagain:
		return -EAGAIN;
	default:
		return -EINVAL;
	}
}

static struct fd_cache *fc_find(umx_gnt *g, uint64_t region, bool ro)
{
	struct fd_cache *f;

	for (f = g->fds; f; f = f->next)
		if (f->region == region && f->ro == ro)
			return f;
	return NULL;
}

/* Close @fc and tell umxd, which sends the descriptor again with the next
 * map of its region. */
static void fc_evict(umx_gnt *g, struct fd_cache *fc)
{
	struct umx_ctl_gnt_forget req = {.region = fc->region, .ro = fc->ro};
	struct fd_cache **pp;

	for (pp = &g->fds; *pp; pp = &(*pp)->next) {
		if (*pp == fc) {
			*pp = fc->next;
			break;
		}
	}
	munmap(fc->win, fc->win_len);
	free(fc);
	/* Fails only when umxd is gone, or (-ENOENT) disagrees; then the
	 * next map of the region fails, which is what both cases deserve. */
	(void)umx_conn_call(g->conn, UMX_CTL_GNT_FORGET, &req, sizeof(req), NULL, 0, NULL, NULL, 0,
	                    NULL);
}

/* One of our mappings of (region, ro) is gone. The descriptor stays for the
 * next map of the region; past FC_IDLE_MAX idle ones, the oldest goes. */
static void fc_put(umx_gnt *g, struct fd_cache *fc)
{
	struct fd_cache *f, *oldest = NULL;

	if (--fc->count)
		return;
	fc->last_use = ++g->fds_tick;
	if (++g->fds_idle <= FC_IDLE_MAX)
		return;
	for (f = g->fds; f; f = f->next)
		if (f->count == 0 && (!oldest || f->last_use < oldest->last_use))
			oldest = f;
	g->fds_idle--;
	if (oldest) /* there is one: @fc at least */
		fc_evict(g, oldest);
}

/* A mapping of @fc's region is made. */
static void fc_get(umx_gnt *g, struct fd_cache *fc)
{
	if (fc->count++ == 0 && fc->last_use)
		g->fds_idle--;
}

static void unmap_handles(umx_gnt *g, struct map_page *pages, uint32_t count)
{
	struct umx_ctl_gnt_unmap_req req = {0};
	uint8_t buf[sizeof(req) + UMX_GNT_BATCH_MAX * sizeof(uint32_t)];
	uint8_t rep[sizeof(uint32_t) + UMX_GNT_BATCH_MAX * sizeof(int16_t)];
	struct umx_msg_wr w;
	uint32_t done = 0, i;
	size_t rlen;

	while (done < count) {
		req.count = count - done > UMX_GNT_BATCH_MAX ? UMX_GNT_BATCH_MAX : count - done;
		umx_msg_wr_init(&w, buf, sizeof(buf));
		UMX_MSG_PUT(&w, &req);
		for (i = 0; i < req.count; i++)
			UMX_MSG_PUT(&w, &pages[done + i].handle);
		/* Cannot fail: the buffer holds a full batch. A failed unmap
		 * leaves nothing to undo here; umxd releases at our death. */
		if (umx_msg_wr_end(&w) == 0)
			(void)umx_conn_call(g->conn, UMX_CTL_GNT_UNMAP, w.p, w.len, rep,
			                    sizeof(rep), &rlen, NULL, 0, NULL);
		for (i = 0; i < req.count; i++)
			if (pages[done + i].fc)
				fc_put(g, pages[done + i].fc);
		done += req.count;
	}
}

/* Post the handles of @pages to the unmap ring: umxd releases them before
 * our next MAP or UNMAP, or when a granter finds a page busy (SYNC). The
 * pages are munmapped already. 0, or -ENOSPC (no ring, or no room: the
 * caller sends an UNMAP request). */
static int unmap_post(umx_gnt *g, struct map_page *pages, uint32_t count)
{
	struct umx_gnt_unmap_ring *ring = g->unmap_ring;
	uint32_t i, cons;

	if (!ring && !g->unmap_ring_tried) {
		int fd = -1;
		unsigned nfds = 0;
		g->unmap_ring_tried = true;
		if (umx_conn_call(g->conn, UMX_CTL_GNT_UNMAP_RING, NULL, 0, NULL, 0, NULL, &fd, 1,
		                  &nfds) == 0 &&
		    nfds == 1) {
			void *p = mmap(NULL, UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			               0);
			if (p != MAP_FAILED)
				g->unmap_ring = ring = p;
		}
		if (nfds == 1)
			close(fd);
	}
	if (!ring)
		return -ENOSPC;
	/* A2: pairs with umxd's R2 (release store of cons once it has read
	 * the slots before it): those slots are ours to write again. */
	cons = umx_load_acquire32(&ring->cons);
	if (g->unmap_prod - cons > UMX_GNT_UNMAP_RING_SLOTS ||
	    UMX_GNT_UNMAP_RING_SLOTS - (g->unmap_prod - cons) < count)
		return -ENOSPC;
	for (i = 0; i < count; i++)
		umx_store_relaxed32(&ring->handle[(g->unmap_prod + i) % UMX_GNT_UNMAP_RING_SLOTS],
		                    pages[i].handle);
	g->unmap_prod += count;
	/* R1: pairs with umxd's A1 (acquire load of prod): the handles are
	 * visible before the index that covers them. */
	umx_store_release32(&ring->prod, g->unmap_prod);
	for (i = 0; i < count; i++)
		if (pages[i].fc)
			fc_put(g, pages[i].fc);
	return 0;
}

/* Have umxd release what every mapper has posted to its unmap ring: a
 * page a peer unmapped before it told us is then no longer busy. */
static void unmap_sync(umx_gnt *g)
{
	(void)umx_conn_call(g->conn, UMX_CTL_GNT_SYNC, NULL, 0, NULL, 0, NULL, NULL, 0, NULL);
}

/* Map region descriptor @fd whole into @fc->win (read-only for a
 * read-only map: the descriptor is, for a read-only region). */
static int fc_window(struct fd_cache *fc, int fd, bool ro)
{
	struct stat sb;
	void *w;

	if (fd < 0 || fstat(fd, &sb) < 0 || sb.st_size <= 0 || sb.st_size % UMX_PAGE_SIZE)
		return -EPROTO;
	w = mmap(NULL, (size_t)sb.st_size, ro ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	         0);
	if (w == MAP_FAILED)
		return -errno;
	fc->win = w;
	fc->win_len = (size_t)sb.st_size;
	return 0;
}

/* One MAP request for @n ops; fills @pages for the successes. */
static int map_batch(umx_gnt *g, uint32_t granter, uint32_t n, const uint32_t *refs,
                     const uint32_t *idx, uint32_t flags, const struct umx_gnt_notify *notify,
                     int16_t *status, struct map_page *pages)
{
	struct umx_ctl_gnt_map_req req = {.granter = granter, .count = n};
	uint8_t buf[sizeof(req) + UMX_GNT_BATCH_MAX * sizeof(struct umx_ctl_gnt_map_op)];
	struct umx_ctl_gnt_map_res res[UMX_GNT_BATCH_MAX];
	uint8_t rep[sizeof(uint32_t) + sizeof(res)];
	struct umx_msg_wr w;
	struct umx_msg_rd r;
	uint32_t cnt;
	int fds[UMX_MSG_MAX_FDS];
	unsigned nfds = 0, k;
	size_t rlen = 0;
	uint32_t i;
	int ret;

	umx_msg_wr_init(&w, buf, sizeof(buf));
	UMX_MSG_PUT(&w, &req);
	for (i = 0; i < n; i++) {
		struct umx_ctl_gnt_map_op op = {0};
		op.ref = refs[idx[i]];
		op.flags = (flags & UMX_GNT_MAP_READONLY) | UMX_CTL_GNT_MAP_KEEP_FD;
		if (notify && notify->flags && notify->offset / UMX_PAGE_SIZE == idx[i]) {
			op.flags |= notify->flags & (UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT);
			op.notify_offset = notify->offset % UMX_PAGE_SIZE;
			op.notify_port = notify->port;
		}
		UMX_MSG_PUT(&w, &op);
	}
	if ((ret = umx_msg_wr_end(&w)) < 0)
		return ret;
	ret = umx_conn_call(g->conn, UMX_CTL_GNT_MAP, w.p, w.len, rep, sizeof(rep), &rlen, fds,
	                    UMX_MSG_MAX_FDS, &nfds);
	if (ret < 0)
		return ret;
	/* Reply body: count, then exactly that many results, one per op. */
	umx_msg_rd_init(&r, rep, rlen);
	if (umx_msg_get_batch(&r, &cnt, sizeof(cnt), 0, res, sizeof(res[0]), UMX_GNT_BATCH_MAX) !=
	    (int)n) {
		ret = -EPROTO;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct fd_cache *fc;
		bool ro = flags & UMX_GNT_MAP_READONLY;

		status[idx[i]] = res[i].status;
		if (res[i].status != GNTST_okay)
			continue;
		pages[idx[i]].mapped = true;
		pages[idx[i]].handle = res[i].handle;
		pages[idx[i]].offset = res[i].offset;
		fc = fc_find(g, res[i].region, ro);
		if (res[i].fd_index != NO_FD) {
			if (res[i].fd_index >= nfds || fds[res[i].fd_index] < 0 || fc ||
			    !(fc = calloc(1, sizeof(*fc)))) {
				/* umxd and we disagree (should not happen), or no
				 * memory: fail the op, the handle is unmapped. */
				ret = -EPROTO;
				status[idx[i]] = GNTST_general_error;
				continue;
			}
			if (fc_window(fc, fds[res[i].fd_index], ro) < 0) {
				free(fc);
				ret = -EPROTO;
				status[idx[i]] = GNTST_general_error;
				continue;
			}
			fc->region = res[i].region;
			fc->ro = ro;
			fc->next = g->fds;
			g->fds = fc;
		} else if (!fc) {
			ret = -EPROTO;
			status[idx[i]] = GNTST_general_error;
			continue;
		}
		fc_get(g, fc);
		pages[idx[i]].fc = fc;
		if (res[i].offset % UMX_PAGE_SIZE || res[i].offset >= fc->win_len) {
			ret = -EPROTO;
			status[idx[i]] = GNTST_general_error;
		}
	}
out:
	for (k = 0; k < nfds; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	return ret;
}

/* Pages @i.. that follow each other in one region: one mmap maps them. */
static uint32_t run_length(const umx_gnt_map *m, uint32_t i)
{
	uint32_t n = 1;

	while (i + n < m->count && m->pages[i + n].fc == m->pages[i].fc &&
	       m->pages[i + n].offset == m->pages[i].offset + (uint64_t)n * UMX_PAGE_SIZE)
		n++;
	return n;
}

/* A new mapping of @n pages of @fc's window from @offset (mremap of size
 * 0 duplicates a shared mapping: the same pages, at @at when not NULL). */
static void *window_dup(const struct fd_cache *fc, uint64_t offset, uint32_t n, void *at)
{
	size_t len = (size_t)n * UMX_PAGE_SIZE;

	if (offset > fc->win_len || len > fc->win_len - offset)
		return MAP_FAILED;
	return at ? mremap(fc->win + offset, 0, len, MREMAP_MAYMOVE | MREMAP_FIXED, at)
	          : mremap(fc->win + offset, 0, len, MREMAP_MAYMOVE);
}

/* Map @m's pages at one contiguous address: one mremap per run of pages
 * adjacent in their region (a whole batch granted from one share is one
 * run), then populated at once, as Xen's map is, rather than a fault per
 * page (best effort: MADV_POPULATE_* needs Linux 5.14). */
static int map_pages(umx_gnt_map *m, int prot)
{
	size_t len = (size_t)m->count * UMX_PAGE_SIZE;
	uint32_t i, n;
	uint8_t *va;

	if (run_length(m, 0) == m->count) {
		va = window_dup(m->pages[0].fc, m->pages[0].offset, m->count, NULL);
		if (va == MAP_FAILED)
			return -errno;
		m->addr = va;
	} else {
		va = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (va == MAP_FAILED)
			return -errno;
		m->addr = va;
		for (i = 0; i < m->count; i += n) {
			n = run_length(m, i);
			if (window_dup(m->pages[i].fc, m->pages[i].offset, n,
			               va + (size_t)i * UMX_PAGE_SIZE) == MAP_FAILED)
				return -errno;
		}
	}
	if (m->count > 1)
		(void)madvise(va, len,
		              prot & PROT_WRITE ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	return 0;
}

/* Release @m's handles in umxd and free @m; its pages must be munmapped.
 * @post: through the unmap ring when @m has no notify. */
static void map_free(umx_gnt *g, umx_gnt_map *m, bool post)
{
	struct map_page *live = m->pages;
	uint32_t i, n = 0;

	for (i = 0; i < m->count; i++)
		if (m->pages[i].mapped)
			live[n++] = m->pages[i];
	if (!post || m->notify || n == 0 || unmap_post(g, live, n) < 0)
		unmap_handles(g, live, n);
	if (m->addr)
		munmap(m->addr, (size_t)m->count * UMX_PAGE_SIZE);
	free(m);
}

int umx_gnt_map_refs(umx_gnt *g, uint32_t granter, uint32_t count, const uint32_t *refs,
                     uint32_t flags, const struct umx_gnt_notify *notify, int16_t *status,
                     umx_gnt_map **out)
{
	int16_t stbuf[UMX_GNT_BATCH_MAX];
	int16_t *st = status;
	uint32_t *todo = NULL, ntodo, i, rounds;
	umx_gnt_map *m;
	int ret = 0, prot;

	if (count == 0 || count > 65536 || (flags & ~UMX_GNT_MAP_READONLY) ||
	    (notify && notify->flags &&
	     ((notify->flags & ~(UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT)) ||
	      notify->offset / UMX_PAGE_SIZE >= count)))
		return -EINVAL;
	if (!st && count > UMX_GNT_BATCH_MAX) {
		st = malloc(count * sizeof(*st));
		if (!st)
			return -ENOMEM;
	} else if (!st) {
		st = stbuf;
	}
	m = calloc(1, sizeof(*m) + count * sizeof(m->pages[0]));
	todo = malloc(count * sizeof(*todo));
	if (!m || !todo) {
		ret = -ENOMEM;
		goto out_free;
	}
	m->count = count;
	m->notify = notify && notify->flags;
	for (i = 0; i < count; i++) {
		todo[i] = i;
		st[i] = GNTST_eagain;
	}
	ntodo = count;
	pthread_mutex_lock(&g->lock);
	/* Ops umxd could not attach a descriptor for come back GNTST_eagain:
	 * retry them (each round makes progress). */
	for (rounds = 0; ntodo && rounds < count + 1; rounds++) {
		uint32_t done = 0, left = 0, n;
		while (done < ntodo) {
			n = ntodo - done > UMX_GNT_BATCH_MAX ? UMX_GNT_BATCH_MAX : ntodo - done;
			ret = map_batch(g, granter, n, refs, todo + done, flags, notify, st,
			                m->pages);
			if (ret < 0 && ret != -EPROTO)
				goto fail;
			done += n;
		}
		for (i = 0; i < ntodo; i++)
			if (st[todo[i]] == GNTST_eagain)
				todo[left++] = todo[i];
		ntodo = left;
	}
	for (i = 0; i < count; i++) {
		if (st[i] != GNTST_okay) {
			ret = gntst_errno(st[i]);
			goto fail;
		}
	}
	if (ret < 0)
		goto fail;
	prot = (flags & UMX_GNT_MAP_READONLY) ? PROT_READ : PROT_READ | PROT_WRITE;
	if ((ret = map_pages(m, prot)) < 0)
		goto fail;
	m->next = g->maps;
	g->maps = m;
	pthread_mutex_unlock(&g->lock);
	free(todo);
	if (st != status && st != stbuf)
		free(st);
	*out = m;
	return 0;
fail:
	if (m->addr) {
		munmap(m->addr, (size_t)count * UMX_PAGE_SIZE);
		m->addr = NULL;
	}
	map_free(g, m, false);
	m = NULL;
	pthread_mutex_unlock(&g->lock);
out_free:
	free(m);
	free(todo);
	if (st != status && st != stbuf)
		free(st);
	return ret;
}

void *umx_gnt_map_addr(const umx_gnt_map *m)
{
	return m->addr;
}

int umx_gnt_unmap(umx_gnt *g, umx_gnt_map *m)
{
	umx_gnt_map **pp;

	pthread_mutex_lock(&g->lock);
	for (pp = &g->maps; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	/* munmap first: once umxd is told, the page may be reused by its
	 * owner; we must not be able to see that. */
	munmap(m->addr, (size_t)m->count * UMX_PAGE_SIZE);
	m->addr = NULL;
	map_free(g, m, true);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

/* ---- copy ------------------------------------------------------------- */

int umx_gnt_copy(umx_gnt *g, uint32_t count, const struct umx_gnt_copy_seg *segs, int16_t *status)
{
	struct umx_ctl_gnt_copy_req req = {.count = count};
	uint8_t buf[sizeof(req) + UMX_GNT_BATCH_MAX * sizeof(*segs)];
	int16_t st[UMX_GNT_BATCH_MAX];
	uint8_t rep[sizeof(uint32_t) + sizeof(st)];
	struct umx_msg_wr w;
	struct umx_msg_rd r;
	size_t rlen = 0;
	uint32_t cnt;
	int ret;

	if (count == 0 || count > UMX_GNT_BATCH_MAX)
		return -EINVAL;
	umx_msg_wr_init(&w, buf, sizeof(buf));
	UMX_MSG_PUT(&w, &req);
	umx_msg_put(&w, segs, count * sizeof(*segs));
	if ((ret = umx_msg_wr_end(&w)) < 0)
		return ret;
	ret = umx_conn_call(g->conn, UMX_CTL_GNT_COPY, w.p, w.len, rep, sizeof(rep), &rlen, NULL, 0,
	                    NULL);
	if (ret < 0)
		return ret;
	/* Reply body: count, then exactly that many statuses. */
	umx_msg_rd_init(&r, rep, rlen);
	if (umx_msg_get_batch(&r, &cnt, sizeof(cnt), 0, st, sizeof(st[0]), UMX_GNT_BATCH_MAX) !=
	    (int)count)
		return -EPROTO;
	memcpy(status, st, count * sizeof(st[0]));
	return 0;
}

void umx_gnt_close(umx_gnt *g)
{
	struct pool_region *r;

	if (!g)
		return;
	pthread_mutex_lock(&gnt_open_lock);
	if (--g->opens) {
		pthread_mutex_unlock(&gnt_open_lock);
		return;
	}
	if (g == gnt_shared)
		gnt_shared = NULL;
	pthread_mutex_unlock(&gnt_open_lock);
	while (g->maps) {
		umx_gnt_map *m = g->maps;
		g->maps = m->next;
		munmap(m->addr, (size_t)m->count * UMX_PAGE_SIZE);
		m->addr = NULL;
		map_free(g, m, false);
	}
	while (g->shares)
		(void)umx_gnt_end_access(g, g->shares);
	reap_locked(g);
	/* Regions: umxd keeps any still mapped by the peer alive. */
	while ((r = g->regions)) {
		g->regions = r->next;
		if (!r->retired)
			region_free_call(g, r->base_frame);
		if (r->fd >= 0)
			close(r->fd);
		if (r->mem)
			munmap(r->mem, (size_t)r->npages * UMX_PAGE_SIZE);
		free(r->state);
		free(r);
	}
	/* The connection may outlive us (other users of this domain's
	 * connection): umxd must send these regions again to whoever maps
	 * next, so say we let go of each. */
	while (g->fds)
		fc_evict(g, g->fds);
	if (g->unmap_ring)
		munmap(g->unmap_ring, UMX_PAGE_SIZE);
	munmap(g->table, (size_t)g->frames * UMX_PAGE_SIZE);
	umx_conn_close(g->conn);
	free(g->free_refs);
	free(g->deferred);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
