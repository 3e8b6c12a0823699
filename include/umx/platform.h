/* SPDX-License-Identifier: MIT */
/*
 * platform.h — the narrow interface every device core uses, so that the
 * same driver runs on umxd and on real Xen (through Linux's Xen devices).
 *
 * A device core needs four things from its platform: share pages with a
 * peer (grants, granter side), map a peer's pages (mapper side), event
 * channels, and the store. Nothing else: no device code knows which
 * platform it runs on.
 *
 * Contracts every platform keeps (the MSA02 rule in particular):
 *  - umx_plat_unshare() ends the peer's access. -EBUSY means the peer still
 *    maps a page: the platform keeps the page out of any reuse and releases
 *    it later by itself; the caller must treat the memory as gone either way.
 *  - Shared pages are zeroed and dedicated to that peer.
 *  - Unmap notify (struct umx_gnt_notify: byte clear and/or event) happens
 *    when a mapping or share goes away, including when the process dies.
 *
 * Selection: umx_plat_open(NULL) uses $UMX_PLATFORM ("umxd" or "xen");
 * else "umxd" inside a umx domain ($UMX_DOMAIN_FD), else "xen" when
 * /proc/xen/capabilities exists, else "umxd". All calls return 0 (or a
 * count, port, ...) or -errno.
 */
#ifndef UMX_PLATFORM_H
#define UMX_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "umx/grant.h" /* UMX_PAGE_SIZE, struct umx_gnt_notify */
#include "umx/xs.h"

typedef struct umx_plat umx_plat;
typedef struct umx_plat_shared umx_plat_shared;
typedef struct umx_plat_mapped umx_plat_mapped;

int umx_plat_open(const char *name, umx_plat **out);
void umx_plat_close(umx_plat *p);
const char *umx_plat_name(const umx_plat *p);
uint32_t umx_plat_domid(const umx_plat *p);

/* ---- granter side ------------------------------------------------------ */
/* Share @count zeroed, contiguous pages with @peer. */
int umx_plat_share(umx_plat *p, uint32_t peer, uint32_t count, bool readonly,
                   const struct umx_gnt_notify *notify, umx_plat_shared **out);
void *umx_plat_share_addr(const umx_plat_shared *s);
uint32_t umx_plat_share_ref(const umx_plat_shared *s, uint32_t i);
/* End the peer's access and free @s: 0, or -EBUSY (deferred, see above). */
int umx_plat_unshare(umx_plat *p, umx_plat_shared *s);

/* ---- mapper side ------------------------------------------------------- */
int umx_plat_map(umx_plat *p, uint32_t granter, uint32_t count, const uint32_t *refs, bool readonly,
                 const struct umx_gnt_notify *notify, umx_plat_mapped **out);
void *umx_plat_map_addr(const umx_plat_mapped *m);
int umx_plat_unmap(umx_plat *p, umx_plat_mapped *m);

/* ---- event channels ---------------------------------------------------- */
/* One pollable descriptor for all ports of this platform handle. */
int umx_plat_evtchn_fd(umx_plat *p);
int umx_plat_evtchn_alloc_unbound(umx_plat *p, uint32_t remote);
int umx_plat_evtchn_bind_interdomain(umx_plat *p, uint32_t remote, uint32_t remote_port);
int umx_plat_evtchn_unbind(umx_plat *p, uint32_t port);
int umx_plat_evtchn_notify(umx_plat *p, uint32_t port);
/* A pending port (left masked) or -EAGAIN. */
int umx_plat_evtchn_pending(umx_plat *p);
int umx_plat_evtchn_unmask(umx_plat *p, uint32_t port);

/* ---- store ------------------------------------------------------------- */
/* The platform's store connection (owned by the platform handle). */
umx_xs *umx_plat_xs(umx_plat *p);

#endif /* UMX_PLATFORM_H */
