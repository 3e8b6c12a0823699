/* SPDX-License-Identifier: MIT */
/*
 * The xen platform backend: the same device cores on real Xen, through
 * Linux's Xen devices in dom0 or a domU — /dev/xen/gntalloc (share),
 * /dev/xen/gntdev (map), /dev/xen/evtchn and /dev/xen/xenbus — with the
 * kernel's UAPI ioctls, so libumx needs none of Xen's libraries to run.
 *
 * MSA02 on Xen: IOCTL_GNTALLOC_DEALLOC_GREF ends access in the kernel;
 * when the peer still maps a page, Linux keeps the page (its deferred
 * gnttab_end_foreign_access) and never returns it to the allocator while
 * mapped, so unshare returns 0 and the contract of platform.h holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdint.h>
#include <linux/types.h>
/* Linux's UAPI headers use Xen's domid_t/grant_ref_t without defining them. */
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/evtchn.h>
#include <xen/gntalloc.h>
#include <xen/gntdev.h>

#include "platform_ops.h"
#include "umx/log.h"

struct xen_priv {
	int gntalloc, gntdev, evtchn;
};

struct xen_share {
	uint64_t index;
	uint32_t count;
};

struct xen_map {
	uint64_t index;
	uint32_t count;
};

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int x_open(umx_plat *p)
{
	struct xen_priv *x = calloc(1, sizeof(*x));
	char *v = NULL;
	char *end;
	unsigned long domid;
	int r, xb;

	if (!x)
		return -ENOMEM;
	x->gntalloc = x->gntdev = x->evtchn = -1;
	if ((r = open_dev("/dev/xen/gntalloc")) < 0)
		goto err;
	x->gntalloc = r;
	if ((r = open_dev("/dev/xen/gntdev")) < 0)
		goto err;
	x->gntdev = r;
	if ((r = open_dev("/dev/xen/evtchn")) < 0)
		goto err;
	x->evtchn = r;
	if (fcntl(x->evtchn, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		goto err;
	}
	xb = open_dev("/dev/xen/xenbus");
	if (xb < 0)
		xb = open_dev("/proc/xen/xenbus");
	if (xb < 0) {
		r = xb;
		goto err;
	}
	if ((r = umx_xs_open_fd(xb, &p->xs)) < 0)
		goto err;
	/* Our domid, the way libxenvchan learns it: the relative node. */
	if ((r = umx_xs_read(p->xs, 0, "domid", &v, NULL)) < 0)
		goto err;
	errno = 0;
	domid = strtoul(v, &end, 10);
	if (errno || *end || domid > 0x7fef) {
		r = -EPROTO;
		goto err;
	}
	free(v);
	p->domid = (uint32_t)domid;
	p->priv = x;
	return 0;
err:
	free(v);
	if (p->xs)
		umx_xs_close(p->xs);
	p->xs = NULL;
	if (x->gntalloc >= 0)
		close(x->gntalloc);
	if (x->gntdev >= 0)
		close(x->gntdev);
	if (x->evtchn >= 0)
		close(x->evtchn);
	free(x);
	if (r == -ENOENT)
		umx_warn("xen platform: no /dev/xen devices (not running on Xen?)");
	return r;
}

static void x_close(umx_plat *p)
{
	struct xen_priv *x = p->priv;
	umx_xs_close(p->xs);
	close(x->gntalloc);
	close(x->gntdev);
	close(x->evtchn);
	free(x);
}

/* Our unmap notify flags as gntalloc's and gntdev's action bits. */
static uint32_t notify_action(const struct umx_gnt_notify *n)
{
	return ((n->flags & UMX_GNT_NOTIFY_BYTE) ? UNMAP_NOTIFY_CLEAR_BYTE : 0) |
	       ((n->flags & UMX_GNT_NOTIFY_EVENT) ? UNMAP_NOTIFY_SEND_EVENT : 0);
}

static int x_share(umx_plat *p, uint32_t peer, uint32_t count, bool ro,
                   const struct umx_gnt_notify *n, umx_plat_shared *s)
{
	struct xen_priv *x = p->priv;
	size_t sz = sizeof(struct ioctl_gntalloc_alloc_gref) + count * sizeof(uint32_t);
	struct ioctl_gntalloc_alloc_gref *a = calloc(1, sz);
	struct xen_share *xs = calloc(1, sizeof(*xs));
	void *addr;
	int r;

	if (!a || !xs) {
		r = -ENOMEM;
		goto out;
	}
	a->domid = (uint16_t)peer;
	a->flags = ro ? 0 : GNTALLOC_FLAG_WRITABLE;
	a->count = count;
	if (ioctl(x->gntalloc, IOCTL_GNTALLOC_ALLOC_GREF, a) < 0) {
		r = -errno;
		goto out;
	}
	addr = mmap(NULL, (size_t)count * UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	            x->gntalloc, (off_t)a->index);
	if (addr == MAP_FAILED) {
		struct ioctl_gntalloc_dealloc_gref d = {.index = a->index, .count = count};
		r = -errno;
		(void)ioctl(x->gntalloc, IOCTL_GNTALLOC_DEALLOC_GREF, &d);
		goto out;
	}
	if (n && n->flags) {
		struct ioctl_gntalloc_unmap_notify un = {.index = a->index + n->offset,
		                                         .action = notify_action(n),
		                                         .event_channel_port = n->port};
		if (ioctl(x->gntalloc, IOCTL_GNTALLOC_SET_UNMAP_NOTIFY, &un) < 0) {
			struct ioctl_gntalloc_dealloc_gref d = {.index = a->index, .count = count};
			r = -errno;
			munmap(addr, (size_t)count * UMX_PAGE_SIZE);
			(void)ioctl(x->gntalloc, IOCTL_GNTALLOC_DEALLOC_GREF, &d);
			goto out;
		}
	}
	memcpy(s->refs, a->gref_ids, count * sizeof(uint32_t));
	xs->index = a->index;
	xs->count = count;
	s->addr = addr;
	s->priv = xs;
	xs = NULL;
	r = 0;
out:
	free(a);
	free(xs);
	return r;
}

static int x_unshare(umx_plat *p, umx_plat_shared *s)
{
	struct xen_priv *x = p->priv;
	struct xen_share *xs = s->priv;
	struct ioctl_gntalloc_dealloc_gref d = {.index = xs->index, .count = xs->count};
	int r = 0;

	/* Unmapping our view first is what lets gntalloc release (and fire
	 * the unmap notify); the kernel defers pages the peer still maps. */
	munmap(s->addr, (size_t)xs->count * UMX_PAGE_SIZE);
	if (ioctl(x->gntalloc, IOCTL_GNTALLOC_DEALLOC_GREF, &d) < 0)
		r = -errno;
	free(xs);
	return r;
}

static int x_map(umx_plat *p, uint32_t granter, uint32_t count, const uint32_t *refs, bool ro,
                 const struct umx_gnt_notify *n, umx_plat_mapped *m)
{
	struct xen_priv *x = p->priv;
	size_t sz = sizeof(struct ioctl_gntdev_map_grant_ref) +
	            count * sizeof(struct ioctl_gntdev_grant_ref);
	struct ioctl_gntdev_map_grant_ref *g = calloc(1, sz);
	struct xen_map *xm = calloc(1, sizeof(*xm));
	void *addr;
	int r;

	if (!g || !xm) {
		r = -ENOMEM;
		goto out;
	}
	g->count = count;
	for (uint32_t i = 0; i < count; i++) {
		g->refs[i].domid = granter;
		g->refs[i].ref = refs[i];
	}
	if (ioctl(x->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, g) < 0) {
		r = -errno;
		goto out;
	}
	addr = mmap(NULL, (size_t)count * UMX_PAGE_SIZE, ro ? PROT_READ : PROT_READ | PROT_WRITE,
	            MAP_SHARED, x->gntdev, (off_t)g->index);
	if (addr == MAP_FAILED) {
		struct ioctl_gntdev_unmap_grant_ref u = {.index = g->index, .count = count};
		r = -errno;
		(void)ioctl(x->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
		goto out;
	}
	if (n && n->flags) {
		struct ioctl_gntdev_unmap_notify un = {.index = g->index + n->offset,
		                                       .action = notify_action(n),
		                                       .event_channel_port = n->port};
		if (ioctl(x->gntdev, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) < 0) {
			struct ioctl_gntdev_unmap_grant_ref u = {.index = g->index, .count = count};
			r = -errno;
			munmap(addr, (size_t)count * UMX_PAGE_SIZE);
			(void)ioctl(x->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
			goto out;
		}
	}
	xm->index = g->index;
	xm->count = count;
	m->addr = addr;
	m->priv = xm;
	xm = NULL;
	r = 0;
out:
	free(g);
	free(xm);
	return r;
}

static int x_unmap(umx_plat *p, umx_plat_mapped *m)
{
	struct xen_priv *x = p->priv;
	struct xen_map *xm = m->priv;
	struct ioctl_gntdev_unmap_grant_ref u = {.index = xm->index, .count = xm->count};
	int r = 0;

	munmap(m->addr, (size_t)xm->count * UMX_PAGE_SIZE);
	if (ioctl(x->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u) < 0)
		r = -errno;
	free(xm);
	return r;
}

static int x_evtchn_fd(umx_plat *p)
{
	return ((struct xen_priv *)p->priv)->evtchn;
}

static int x_ioctl_port(umx_plat *p, unsigned long req, void *arg)
{
	int r = ioctl(((struct xen_priv *)p->priv)->evtchn, req, arg);
	return r < 0 ? -errno : r;
}

static int x_alloc_unbound(umx_plat *p, uint32_t remote)
{
	struct ioctl_evtchn_bind_unbound_port b = {.remote_domain = remote};
	return x_ioctl_port(p, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &b);
}

static int x_bind(umx_plat *p, uint32_t remote, uint32_t rport)
{
	struct ioctl_evtchn_bind_interdomain b = {.remote_domain = remote, .remote_port = rport};
	return x_ioctl_port(p, IOCTL_EVTCHN_BIND_INTERDOMAIN, &b);
}

static int x_unbind(umx_plat *p, uint32_t port)
{
	struct ioctl_evtchn_unbind u = {.port = port};
	int r = x_ioctl_port(p, IOCTL_EVTCHN_UNBIND, &u);
	return r < 0 ? r : 0;
}

static int x_notify(umx_plat *p, uint32_t port)
{
	struct ioctl_evtchn_notify n = {.port = port};
	int r = x_ioctl_port(p, IOCTL_EVTCHN_NOTIFY, &n);
	return r < 0 ? r : 0;
}

static int x_pending(umx_plat *p)
{
	uint32_t port;
	ssize_t n = read(((struct xen_priv *)p->priv)->evtchn, &port, sizeof(port));
	if (n == sizeof(port))
		return (int)(port & 0x7fffffffu);
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	return -EIO;
}

static int x_unmask(umx_plat *p, uint32_t port)
{
	ssize_t n = write(((struct xen_priv *)p->priv)->evtchn, &port, sizeof(port));
	return n == sizeof(port) ? 0 : (n < 0 ? -errno : -EIO);
}

const struct umx_plat_ops umx_plat_xen = {
        .name = "xen",
        .open = x_open,
        .close = x_close,
        .share = x_share,
        .unshare = x_unshare,
        .map = x_map,
        .unmap = x_unmap,
        .evtchn_fd = x_evtchn_fd,
        .alloc_unbound = x_alloc_unbound,
        .bind = x_bind,
        .unbind = x_unbind,
        .notify = x_notify,
        .pending = x_pending,
        .unmask = x_unmask,
};
