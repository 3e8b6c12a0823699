/* SPDX-License-Identifier: MIT */
/* Private: what one platform backend implements (platform.c owns lifetime,
 * validation and logging; each backend file only does the I/O). */
#ifndef UMX_PLATFORM_OPS_H
#define UMX_PLATFORM_OPS_H

#include "umx/platform.h"

struct umx_plat_ops {
	const char *name;
	int (*open)(umx_plat *p);
	void (*close)(umx_plat *p);
	int (*share)(umx_plat *p, uint32_t peer, uint32_t count, bool ro,
	             const struct umx_gnt_notify *n, umx_plat_shared *s);
	int (*unshare)(umx_plat *p, umx_plat_shared *s);
	int (*map)(umx_plat *p, uint32_t granter, uint32_t count, const uint32_t *refs, bool ro,
	           const struct umx_gnt_notify *n, umx_plat_mapped *m);
	int (*unmap)(umx_plat *p, umx_plat_mapped *m);
	int (*evtchn_fd)(umx_plat *p);
	int (*alloc_unbound)(umx_plat *p, uint32_t remote);
	int (*bind)(umx_plat *p, uint32_t remote, uint32_t rport);
	int (*unbind)(umx_plat *p, uint32_t port);
	int (*notify)(umx_plat *p, uint32_t port);
	int (*pending)(umx_plat *p);
	int (*unmask)(umx_plat *p, uint32_t port);
};

struct umx_plat {
	const struct umx_plat_ops *ops;
	uint32_t domid;
	umx_xs *xs;
	void *priv; /* the backend's state */
};

struct umx_plat_shared {
	void *addr;
	uint32_t count;
	uint32_t *refs;
	void *priv;
};

struct umx_plat_mapped {
	void *addr;
	uint32_t count;
	void *priv;
};

extern const struct umx_plat_ops umx_plat_umxd;
extern const struct umx_plat_ops umx_plat_xen;

#endif
