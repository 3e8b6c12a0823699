/* SPDX-License-Identifier: MIT */
/* The toolstack's nodes of a vbd (what libxl writes for a disk); the
 * store helpers both ends use are devices/common/xenbus.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk_priv.h"

/* Linux's xvd numbering: xvda is 51712 (major 202, minor 0), 16 minors
 * per disk; the devid is what names the directory. */
#define XVD_FIRST 51712u
#define XVD_LIMIT (XVD_FIRST + 16u * 255u)

int umx_blk_attach(umx_xs *xs, uint32_t front, uint32_t back, int devid, const char *path,
                   bool readonly, unsigned sector_size)
{
	char num[16], ss[16];
	int r;

	if (front == back || devid > 0xfffffff || !path || path[0] != '/' ||
	    strlen(path) >= sizeof(((struct umx_blk_vbd *)0)->params))
		return -EINVAL;
	if (sector_size == 0)
		sector_size = 512;
	if (sector_size != 512 && sector_size != 4096)
		return -EINVAL;
	if (devid < 0)
		devid = xenbus_next_devid(xs, "vbd", front, XVD_FIRST, 16, XVD_LIMIT);
	snprintf(num, sizeof(num), "%d", devid);
	snprintf(ss, sizeof(ss), "%u", sector_size);
	const struct xenbus_node fe[] = {
	        {"virtual-device", num},
	        {"device-type", "disk"},
	};
	const struct xenbus_node be[] = {
	        {"params", path}, {"type", "file"},        {"mode", readonly ? "r" : "w"},
	        {"dev", "xvd"},   {"device-type", "disk"}, {"sector-size", ss},
	};
	const struct xenbus_pair pair = {
	        .type = "vbd",
	        .front = front,
	        .back = back,
	        .devid = (unsigned)devid,
	        .fe = fe,
	        .nfe = sizeof(fe) / sizeof(fe[0]),
	        .be = be,
	        .nbe = sizeof(be) / sizeof(be[0]),
	};
	r = xenbus_pair_add(xs, &pair);
	return r < 0 ? r : devid;
}

int umx_blk_detach(umx_xs *xs, uint32_t front, uint32_t back, unsigned devid)
{
	return xenbus_pair_remove(xs, "vbd", front, back, devid);
}
