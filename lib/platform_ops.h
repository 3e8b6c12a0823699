/* SPDX-License-Identifier: MIT */
/* Private: what one platform backend implements (platform.c owns lifetime,
 * validation and logging; each backend file only does the I/O). */
#ifndef UMX_PLATFORM_OPS_H
#define UMX_PLATFORM_OPS_H

#include "umx/platform.h"

struct umx_platform_ops {
	const char *name;
	int (*open)(umx_platform *p);
	void (*close)(umx_platform *p);
	int (*share)(umx_platform *p, uint32_t peer, uint32_t count, bool ro,
	             const struct umx_plat_notify *n, umx_plat_shared *s);
	int (*unshare)(umx_platform *p, umx_plat_shared *s);
	int (*map)(umx_platform *p, uint32_t granter, uint32_t count, const uint32_t *refs, bool ro,
	           const struct umx_plat_notify *n, umx_plat_mapped *m);
	int (*unmap)(umx_platform *p, umx_plat_mapped *m);
	int (*evtchn_fd)(umx_platform *p);
	int (*alloc_unbound)(umx_platform *p, uint32_t remote);
	int (*bind)(umx_platform *p, uint32_t remote, uint32_t rport);
	int (*unbind)(umx_platform *p, uint32_t port);
	int (*notify)(umx_platform *p, uint32_t port);
	int (*pending)(umx_platform *p);
	int (*unmask)(umx_platform *p, uint32_t port);
};

struct umx_platform {
	const struct umx_platform_ops *ops;
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

extern const struct umx_platform_ops umx_platform_umxd;
extern const struct umx_platform_ops umx_platform_xen;

#endif
