/* SPDX-License-Identifier: MIT */
/*
 * Platform selection and the checks every backend shares (platform.h):
 * arguments are validated here once, backends only do the I/O.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform_ops.h"
#include "umx/log.h"

#define PLAT_MAX_PAGES 4096u

static const struct umx_plat_ops *backend(const char *name)
{
	if (!name) {
		name = getenv("UMX_PLATFORM");
		if (!name || !*name)
			name = (getenv("UMX_DOMAIN_FD") || access("/proc/xen/capabilities", F_OK))
			               ? "umxd"
			               : "xen";
	}
	if (!strcmp(name, "umxd"))
		return &umx_plat_umxd;
	if (!strcmp(name, "xen"))
		return &umx_plat_xen;
	umx_warn("platform '%s' is not available in this build", name);
	return NULL;
}

int umx_plat_open(const char *name, umx_plat **out)
{
	const struct umx_plat_ops *ops = backend(name);
	umx_plat *p;
	int r;

	if (!ops)
		return -ENOTSUP;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ops = ops;
	if ((r = ops->open(p)) < 0) {
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

void umx_plat_close(umx_plat *p)
{
	if (!p)
		return;
	p->ops->close(p);
	free(p);
}

const char *umx_plat_name(const umx_plat *p)
{
	return p->ops->name;
}

uint32_t umx_plat_domid(const umx_plat *p)
{
	return p->domid;
}

/* The unmap notify asked for, if any, names only known flags and a byte
 * inside the @count pages. */
static bool notify_ok(const struct umx_gnt_notify *n, uint32_t count)
{
	if (!n || !n->flags)
		return true;
	return !(n->flags & ~(UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT)) &&
	       n->offset / UMX_PAGE_SIZE < count;
}

int umx_plat_share(umx_plat *p, uint32_t peer, uint32_t count, bool readonly,
                   const struct umx_gnt_notify *notify, umx_plat_shared **out)
{
	umx_plat_shared *s;
	int r;

	if (count == 0 || count > PLAT_MAX_PAGES)
		return -EINVAL;
	if (!notify_ok(notify, count))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->refs = calloc(count, sizeof(*s->refs));
	if (!s->refs) {
		free(s);
		return -ENOMEM;
	}
	s->count = count;
	if ((r = p->ops->share(p, peer, count, readonly, notify, s)) < 0) {
		free(s->refs);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

void *umx_plat_share_addr(const umx_plat_shared *s)
{
	return s->addr;
}

uint32_t umx_plat_share_ref(const umx_plat_shared *s, uint32_t i)
{
	if (i >= s->count)
		abort(); /* misuse of our own API */
	return s->refs[i];
}

int umx_plat_unshare(umx_plat *p, umx_plat_shared *s)
{
	int r;
	if (!s)
		return 0;
	r = p->ops->unshare(p, s);
	free(s->refs);
	free(s);
	return r;
}

int umx_plat_map(umx_plat *p, uint32_t granter, uint32_t count, const uint32_t *refs, bool readonly,
                 const struct umx_gnt_notify *notify, umx_plat_mapped **out)
{
	umx_plat_mapped *m;
	int r;

	if (count == 0 || count > PLAT_MAX_PAGES)
		return -EINVAL;
	if (!notify_ok(notify, count))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->count = count;
	if ((r = p->ops->map(p, granter, count, refs, readonly, notify, m)) < 0) {
		free(m);
		return r;
	}
	*out = m;
	return 0;
}

void *umx_plat_map_addr(const umx_plat_mapped *m)
{
	return m->addr;
}

int umx_plat_unmap(umx_plat *p, umx_plat_mapped *m)
{
	int r;
	if (!m)
		return 0;
	r = p->ops->unmap(p, m);
	free(m);
	return r;
}

int umx_plat_evtchn_fd(umx_plat *p)
{
	return p->ops->evtchn_fd(p);
}

int umx_plat_evtchn_alloc_unbound(umx_plat *p, uint32_t remote)
{
	return p->ops->alloc_unbound(p, remote);
}

int umx_plat_evtchn_bind_interdomain(umx_plat *p, uint32_t remote, uint32_t remote_port)
{
	return p->ops->bind(p, remote, remote_port);
}

int umx_plat_evtchn_unbind(umx_plat *p, uint32_t port)
{
	return p->ops->unbind(p, port);
}

int umx_plat_evtchn_notify(umx_plat *p, uint32_t port)
{
	return p->ops->notify(p, port);
}

int umx_plat_evtchn_pending(umx_plat *p)
{
	return p->ops->pending(p);
}

int umx_plat_evtchn_unmask(umx_plat *p, uint32_t port)
{
	return p->ops->unmask(p, port);
}

umx_xs *umx_plat_xs(umx_plat *p)
{
	return p->xs;
}
