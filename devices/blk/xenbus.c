/* SPDX-License-Identifier: MIT */
/* The store side of vbds: helpers both ends use, and the toolstack's nodes
 * (what libxl writes for a disk). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk_priv.h"

int blk_xs_read_uint(umx_xs *xs, const char *dir, const char *name, unsigned long *v)
{
	char path[256], *val, *end;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((r = umx_xs_read(xs, UMX_XS_NO_TX, path, &val, NULL)) < 0)
		return r;
	errno = 0;
	*v = strtoul(val, &end, 10);
	/* The peer wrote it: digits only, no sign, no trailing bytes. */
	r = (errno || end == val || *end || val[0] < '0' || val[0] > '9') ? -EINVAL : 0;
	free(val);
	return r;
}

int blk_xs_printf(umx_xs *xs, uint32_t tx, const char *dir, const char *name, const char *fmt, ...)
{
	char path[256], buf[256];
	va_list ap;
	int n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return umx_xs_write(xs, tx, path, buf, (size_t)n);
}

int blk_xs_state(umx_xs *xs, const char *dir)
{
	unsigned long v;
	int r = blk_xs_read_uint(xs, dir, "state", &v);

	if (r < 0)
		return r;
	return v > XenbusStateReconfigured ? -EINVAL : (int)v;
}

int blk_xs_set_state(umx_xs *xs, const char *dir, int state)
{
	return blk_xs_printf(xs, UMX_XS_NO_TX, dir, "state", "%d", state);
}

/* Write @dir/@name = @val (or make @dir) with @perms: owner, then reader. */
static int put_node(umx_xs *xs, uint32_t tx, const char *dir, const char *name, const char *val,
                    const char *const *perms)
{
	char path[256];
	int r;

	if (name)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s", dir);
	r = val ? umx_xs_write_str(xs, tx, path, val) : umx_xs_mkdir(xs, tx, path);
	if (r < 0)
		return r;
	return umx_xs_set_perms(xs, tx, path, perms, 2);
}

/* Linux's xvd numbering: xvda is 51712 (major 202, minor 0), 16 minors
 * per disk; the devid is what names the directory. */
static int next_devid(umx_xs *xs, uint32_t front)
{
	char path[96], **names;
	unsigned count;
	int d = 51712;

	snprintf(path, sizeof(path), "/local/domain/%u/device/vbd", front);
	if (umx_xs_directory(xs, UMX_XS_NO_TX, path, &names, &count) < 0)
		return d;
	for (unsigned i = 0; i < count; i++) {
		long v = strtol(names[i], NULL, 10);
		if (v >= d && v < 51712 + 16 * 255)
			d = (int)((v - 51712) / 16 + 1) * 16 + 51712;
	}
	free(names);
	return d;
}

int umx_blk_attach(umx_xs *xs, uint32_t front, uint32_t back, int devid, const char *path,
                   bool readonly, unsigned sector_size)
{
	char fe[96], be[96], fperm0[16], fperm1[16], bperm0[16], bperm1[16], num[16], id[16];
	const char *fperms[2] = {fperm0, fperm1}, *bperms[2] = {bperm0, bperm1};
	uint32_t tx;
	int r;

	if (front == back || devid > 0xfffffff || !path || path[0] != '/' ||
	    strlen(path) >= sizeof(((struct umx_blk_vbd *)0)->params))
		return -EINVAL;
	if (sector_size == 0)
		sector_size = 512;
	if (sector_size != 512 && sector_size != 4096)
		return -EINVAL;
	if (devid < 0)
		devid = next_devid(xs, front);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%d", front, devid);
	snprintf(be, sizeof(be), "/local/domain/%u/backend/vbd/%u/%d", back, front, devid);
	snprintf(fperm0, sizeof(fperm0), "n%u", front);
	snprintf(fperm1, sizeof(fperm1), "r%u", back);
	snprintf(bperm0, sizeof(bperm0), "n%u", back);
	snprintf(bperm1, sizeof(bperm1), "r%u", front);
	snprintf(num, sizeof(num), "%d", devid);
	for (int tries = 0; tries < 16; tries++) {
		char *old = NULL, ss[16];

		if ((r = umx_xs_transaction_start(xs, &tx)) < 0)
			return r;
		if (umx_xs_read(xs, tx, fe, &old, NULL) == 0) {
			free(old);
			umx_xs_transaction_end(xs, tx, false);
			return -EEXIST;
		}
		/* Frontend directory: owned by the frontend, readable by the backend. */
		snprintf(id, sizeof(id), "%u", back);
		if ((r = put_node(xs, tx, fe, NULL, NULL, fperms)) < 0 ||
		    (r = put_node(xs, tx, fe, "backend", be, fperms)) < 0 ||
		    (r = put_node(xs, tx, fe, "backend-id", id, fperms)) < 0 ||
		    (r = put_node(xs, tx, fe, "virtual-device", num, fperms)) < 0 ||
		    (r = put_node(xs, tx, fe, "device-type", "disk", fperms)) < 0 ||
		    (r = put_node(xs, tx, fe, "state", "1", fperms)) < 0)
			goto abort;
		/* Backend directory: owned by the backend, readable by the frontend. */
		snprintf(id, sizeof(id), "%u", front);
		snprintf(ss, sizeof(ss), "%u", sector_size);
		if ((r = put_node(xs, tx, be, NULL, NULL, bperms)) < 0 ||
		    (r = put_node(xs, tx, be, "frontend", fe, bperms)) < 0 ||
		    (r = put_node(xs, tx, be, "frontend-id", id, bperms)) < 0 ||
		    (r = put_node(xs, tx, be, "params", path, bperms)) < 0 ||
		    (r = put_node(xs, tx, be, "type", "file", bperms)) < 0 ||
		    (r = put_node(xs, tx, be, "mode", readonly ? "r" : "w", bperms)) < 0 ||
		    (r = put_node(xs, tx, be, "dev", "xvd", bperms)) < 0 ||
		    (r = put_node(xs, tx, be, "device-type", "disk", bperms)) < 0 ||
		    (r = put_node(xs, tx, be, "sector-size", ss, bperms)) < 0 ||
		    (r = put_node(xs, tx, be, "online", "1", bperms)) < 0 ||
		    (r = put_node(xs, tx, be, "state", "1", bperms)) < 0)
			goto abort;
		r = umx_xs_transaction_end(xs, tx, true);
		if (r == -EAGAIN)
			continue;
		return r < 0 ? r : devid;
	abort:
		umx_xs_transaction_end(xs, tx, false);
		return r;
	}
	return -EAGAIN;
}

int umx_blk_detach(umx_xs *xs, uint32_t front, uint32_t back, unsigned devid)
{
	char fe[96], be[96];
	int r1, r2;

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", front, devid);
	snprintf(be, sizeof(be), "/local/domain/%u/backend/vbd/%u/%u", back, front, devid);
	r1 = umx_xs_rm(xs, UMX_XS_NO_TX, be);
	r2 = umx_xs_rm(xs, UMX_XS_NO_TX, fe);
	/* The frontend's nodes go with its domain: one side missing is fine. */
	if (r1 == -ENOENT && r2 == -ENOENT)
		return -ENOENT;
	if (r1 == -ENOENT)
		r1 = 0;
	if (r2 == -ENOENT)
		r2 = 0;
	return r1 < 0 ? r1 : r2;
}
