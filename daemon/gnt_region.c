/* SPDX-License-Identifier: MIT */
/*
 * Grant memory: regions are memfds bound to one peer for life: to the peer's
 * domid and instance, so a domain that later gets the same domid cannot map
 * a page meant for the dead one (GNTST_permission_denied). A region is
 * destroyed once its owner freed it (or died) and no mapping of its pages
 * remains. Each mapping holds a reference on the granter's domain record,
 * so a dead granter's table and regions outlive it while mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnttab.h"
#include "umx/barrier.h"
#include "umx/log.h"

void gnt_region_destroy(struct gnt_region *r)
{
	munmap(r->mem, (size_t)r->npages * UMX_PAGE_SIZE);
	close(r->rw_fd);
	close(r->ro_fd);
	free(r);
}

void gnt_region_maybe_destroy(struct umxd_gnt *g, struct gnt_region *r)
{
	struct gnt_region **pp;

	if (!r->freed || r->maps)
		return;
	for (pp = &g->regions; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			g->nregions--;
			gnt_region_destroy(r);
			return;
		}
	}
}

struct gnt_region *gnt_region_by_frame(struct umxd_gnt *g, uint32_t frame)
{
	struct gnt_region *r;

	for (r = g->regions; r; r = r->next)
		if (!r->freed && frame >= r->base_frame && frame - r->base_frame < r->npages)
			return r;
	return NULL;
}

void gnt_region_clear_byte(struct gnt_region *r, uint32_t page, uint32_t offset)
{
	if (r && page < r->npages && offset < UMX_PAGE_SIZE)
		umx_store_release8(r->mem + (size_t)page * UMX_PAGE_SIZE + offset, 0);
}

int umxd_h_gnt_region_alloc(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_region_alloc req;
	struct umx_ctl_region_reply rep = {0};
	struct umxd_domain *peer;
	struct umxd_gnt *g;
	struct gnt_region *r;
	char path[64];
	size_t len;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0 || req.pad)
		return -EBADMSG;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	g = c->dom->gnt;
	if ((req.flags & ~UMX_CTL_REGION_READONLY) || req.peer < UMXD_DOMID_FIRST ||
	    req.peer > UMXD_DOMID_LAST || req.peer == c->dom->domid || req.npages == 0 ||
	    req.npages > GNT_REGION_PAGES_MAX)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	/* Bound to the peer as it is now. With no live holder of that domid
	 * (Xen lets a guest grant to any domid), to nobody: a domain that gets
	 * the domid later, whatever the granter meant, is not the one it knew. */
	peer = umxd_domain_live(c->umxd, req.peer);
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
	/* The size is fixed for life: no one can shrink it under a mapping. A
	 * read-only region takes its last seals once the granter mapped it. */
	r->ro = req.flags & UMX_CTL_REGION_READONLY;
	if (fcntl(r->rw_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | (r->ro ? 0 : F_SEAL_SEAL)) <
	    0)
		goto err;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", r->rw_fd);
	r->ro_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->ro_fd < 0)
		goto err;
	/* Two descriptors per region: never out of umxd's reserve. */
	if (umxd_loop_fd_check(c->umxd->loop, r->ro_fd, UMXD_FD_RESERVE_DOMAIN) < 0) {
		errno = EMFILE;
		goto err;
	}
	r->mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->rw_fd, 0);
	if (r->mem == MAP_FAILED)
		goto err;
	r->id = ++c->dom->umxd->next_region_id;
	r->owner = c->dom;
	r->peer = req.peer;
	r->peer_instance = peer ? peer->instance : 0; /* instances start at 1 */
	r->npages = req.npages;
	r->base_frame = g->next_frame;
	g->next_frame += req.npages;
	r->next = g->regions;
	g->regions = r;
	g->nregions++;
	rep.base_frame = r->base_frame;
	rep.npages = r->npages;
	return umxd_reply(c, m, 0, UMX_CTL_REPLY_BODY(&rep), UMX_CTL_REPLY_BODY_LEN(&rep),
	                  &r->rw_fd, 1);
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

/*
 * The region a FREE, SEAL or STATUS request names (by its base frame), among
 * the sender's live regions. Returns -EBADMSG for a malformed request (the
 * caller drops the sender); otherwise 0 with *out set, or 0 with *out NULL
 * once the error reply (-ESRCH, -ENOENT) has been sent.
 */
static int region_of_request(struct umxd_conn *c, struct umx_msg *m, struct gnt_region **out)
{
	struct umx_ctl_region_free req;
	struct gnt_region *r;
	int e;

	*out = NULL;
	if ((e = gnt_request(c, m, &req, sizeof(req))) <= 0)
		return e;
	for (r = c->dom->gnt->regions; r; r = r->next)
		if (!r->freed && r->base_frame == req.base_frame)
			break;
	if (!r)
		return umxd_reply(c, m, -ENOENT, NULL, 0, NULL, 0);
	*out = r;
	return 0;
}

int umxd_h_gnt_region_free(struct umxd_conn *c, struct umx_msg *m)
{
	struct gnt_region *r;
	int e = region_of_request(c, m, &r);

	if (!r) /* malformed (e < 0), or the error reply is sent (e == 0) */
		return e;
	r->freed = true;
	gnt_region_maybe_destroy(c->dom->gnt, r);
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

/*
 * A read-only region's pages back read-only grants only, so no mapper may
 * ever write them, through any descriptor: the granter has made the one
 * writable mapping it needs (umxd has its own), and from here on
 * F_SEAL_FUTURE_WRITE refuses write(), fallocate() and every new writable
 * shared mapping, whatever descriptor asks, and mode 0400 refuses a reopen
 * for writing through /proc/<pid>/fd to all but a process that may
 * override file modes (which the seal still stops). F_SEAL_SEAL keeps it
 * so. Until then the region's pages cannot be mapped.
 */
int umxd_h_gnt_region_seal(struct umxd_conn *c, struct umx_msg *m)
{
	struct gnt_region *r;
	int e = region_of_request(c, m, &r);

	if (!r) /* malformed (e < 0), or the error reply is sent (e == 0) */
		return e;
	if (!r->ro)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	if (!r->sealed) {
		if (fcntl(r->rw_fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) < 0 ||
		    fchmod(r->rw_fd, 0400) < 0) {
			e = -errno;
			umx_err("domain %u: cannot seal a read-only region: %s", c->dom->domid,
			        strerror(-e));
			return umxd_reply(c, m, e, NULL, 0, NULL, 0);
		}
		r->sealed = true;
	}
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

int umxd_h_gnt_region_status(struct umxd_conn *c, struct umx_msg *m)
{
	struct gnt_region *r;
	int e = region_of_request(c, m, &r);

	if (!r) /* malformed (e < 0), or the error reply is sent (e == 0) */
		return e;
	if (!umxd_domain_live_instance(c->umxd, r->peer, r->peer_instance))
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}
