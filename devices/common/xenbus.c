/* SPDX-License-Identifier: MIT */
/* The store side every split device shares (xenbus.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* stdint first: Xen's headers expect it. */
#include <stdint.h>
#include <xen/io/xenbus.h>

#include "xenbus.h"

/* Attempts at a transaction that keeps racing another one. */
#define XENBUS_TX_TRIES 16

/* @dir/@name (or @dir alone when @name is NULL) into @path. */
static int node_path(char path[XENBUS_PATH_MAX], const char *dir, const char *name)
{
	int n = name ? snprintf(path, XENBUS_PATH_MAX, "%s/%s", dir, name)
	             : snprintf(path, XENBUS_PATH_MAX, "%s", dir);

	return n < 0 || n >= XENBUS_PATH_MAX ? -ENAMETOOLONG : 0;
}

int xenbus_read_uint(umx_xs *xs, const char *dir, const char *name, unsigned long *v)
{
	char path[XENBUS_PATH_MAX], *val, *end;
	int r;

	if ((r = node_path(path, dir, name)) < 0)
		return r;
	if ((r = umx_xs_read(xs, UMX_XS_NO_TX, path, &val, NULL)) < 0)
		return r;
	errno = 0;
	*v = strtoul(val, &end, 10);
	/* The peer wrote it: digits only (strtoul would take spaces, a sign),
	 * no trailing bytes, no overflow. */
	r = (errno || end == val || *end || val[0] < '0' || val[0] > '9') ? -EINVAL : 0;
	free(val);
	return r;
}

int xenbus_printf(umx_xs *xs, uint32_t tx, const char *dir, const char *name, const char *fmt, ...)
{
	char path[XENBUS_PATH_MAX], buf[256];
	va_list ap;
	int n;

	if ((n = node_path(path, dir, name)) < 0)
		return n;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return umx_xs_write(xs, tx, path, buf, (size_t)n);
}

int xenbus_read_state(umx_xs *xs, const char *dir)
{
	unsigned long v;
	int r = xenbus_read_uint(xs, dir, "state", &v);

	if (r < 0)
		return r;
	return v > XenbusStateReconfigured ? -EINVAL : (int)v;
}

int xenbus_switch_state(umx_xs *xs, const char *dir, int state)
{
	return xenbus_printf(xs, UMX_XS_NO_TX, dir, "state", "%d", state);
}

/* @s as a decimal number no greater than @max, or -EINVAL. */
static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end || *v > max ? -EINVAL : 0;
}

void xenbus_backend_scan(umx_xs *xs, const char *dir, unsigned long max_devid, xenbus_device_fn fn,
                         void *ctx)
{
	char path[XENBUS_PATH_MAX], **fronts = NULL, **ids;
	unsigned nf = 0, ni;

	if (umx_xs_directory(xs, UMX_XS_NO_TX, dir, &fronts, &nf) < 0)
		return;
	for (unsigned i = 0; i < nf; i++) {
		unsigned long front, devid;

		if (parse_uint(fronts[i], XENBUS_DOMID_LIMIT - 1, &front) < 0 ||
		    node_path(path, dir, fronts[i]) < 0 ||
		    umx_xs_directory(xs, UMX_XS_NO_TX, path, &ids, &ni) < 0)
			continue;
		for (unsigned j = 0; j < ni; j++)
			if (parse_uint(ids[j], max_devid, &devid) == 0)
				fn(ctx, (uint32_t)front, (uint32_t)devid);
		free(ids);
	}
	free(fronts);
}

/* Write @dir/@name = @val (or make @dir/@name, or @dir when @name is NULL,
 * a directory when @val is NULL) with @perms: owner, then reader. */
static int put_node(umx_xs *xs, uint32_t tx, const char *dir, const char *name, const char *val,
                    const char *const perms[2])
{
	char path[XENBUS_PATH_MAX];
	int r;

	if ((r = node_path(path, dir, name)) < 0)
		return r;
	r = val ? umx_xs_write_str(xs, tx, path, val) : umx_xs_mkdir(xs, tx, path);
	if (r < 0)
		return r;
	return umx_xs_set_perms(xs, tx, path, perms, 2);
}

/* The paths of a pair: the frontend's directory, the backend's, and the
 * backend's directory of this frontend (its parent). Callers zero it:
 * cppcheck's cross-file pass cannot see that pair_paths() only writes. */
struct pair_paths {
	char fe[XENBUS_PATH_MAX], be[XENBUS_PATH_MAX], bdir[XENBUS_PATH_MAX];
};

static int pair_paths(struct pair_paths *pp, const char *type, uint32_t front, uint32_t back,
                      unsigned devid)
{
	int n1 = snprintf(pp->fe, sizeof(pp->fe), "/local/domain/%u/device/%s/%u", front, type,
	                  devid);
	int n2 = snprintf(pp->bdir, sizeof(pp->bdir), "/local/domain/%u/backend/%s/%u", back, type,
	                  front);
	int n3 = snprintf(pp->be, sizeof(pp->be), "%s/%u", pp->bdir, devid);

	if (n1 < 0 || n2 < 0 || n3 < 0 || n1 >= XENBUS_PATH_MAX || n2 >= XENBUS_PATH_MAX ||
	    n3 >= XENBUS_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* One attempt at the pair in @tx: 0 or -errno (the caller aborts). */
static int pair_write(umx_xs *xs, uint32_t tx, const struct xenbus_pair *p,
                      const struct pair_paths *pp)
{
	char fperm0[16], fperm1[16], bperm0[16], bperm1[16], fid[16], bid[16], *old = NULL;
	const char *fperms[2] = {fperm0, fperm1}, *bperms[2] = {bperm0, bperm1};
	int r;

	if (umx_xs_read(xs, tx, pp->fe, &old, NULL) == 0) {
		free(old);
		return -EEXIST;
	}
	snprintf(fperm0, sizeof(fperm0), "n%u", p->front);
	snprintf(fperm1, sizeof(fperm1), "r%u", p->back);
	snprintf(bperm0, sizeof(bperm0), "n%u", p->back);
	snprintf(bperm1, sizeof(bperm1), "r%u", p->front);
	snprintf(fid, sizeof(fid), "%u", p->front);
	snprintf(bid, sizeof(bid), "%u", p->back);

	/* Frontend directory: owned by the frontend, readable by the backend. */
	if ((r = put_node(xs, tx, pp->fe, NULL, NULL, fperms)) < 0 ||
	    (r = put_node(xs, tx, pp->fe, "backend", pp->be, fperms)) < 0 ||
	    (r = put_node(xs, tx, pp->fe, "backend-id", bid, fperms)) < 0)
		return r;
	for (unsigned i = 0; i < p->nfe; i++)
		if ((r = put_node(xs, tx, pp->fe, p->fe[i].name, p->fe[i].value, fperms)) < 0)
			return r;
	if ((r = put_node(xs, tx, pp->fe, "state", "1", fperms)) < 0)
		return r;

	/* Backend directory (and its parent): owned by the backend, readable
	 * by the frontend. */
	if ((r = put_node(xs, tx, pp->bdir, NULL, NULL, bperms)) < 0 ||
	    (r = put_node(xs, tx, pp->be, NULL, NULL, bperms)) < 0 ||
	    (r = put_node(xs, tx, pp->be, "frontend", pp->fe, bperms)) < 0 ||
	    (r = put_node(xs, tx, pp->be, "frontend-id", fid, bperms)) < 0)
		return r;
	for (unsigned i = 0; i < p->nbe; i++)
		if ((r = put_node(xs, tx, pp->be, p->be[i].name, p->be[i].value, bperms)) < 0)
			return r;
	if ((r = put_node(xs, tx, pp->be, "online", "1", bperms)) < 0 ||
	    (r = put_node(xs, tx, pp->be, "state", "1", bperms)) < 0)
		return r;
	return 0;
}

int xenbus_transaction(umx_xs *xs, int (*body)(umx_xs *xs, uint32_t tx, void *arg), void *arg)
{
	/* A conflicting transaction (another attach, the peer) is retried a
	 * bounded number of times, as libxl does. */
	for (int tries = 0; tries < XENBUS_TX_TRIES; tries++) {
		uint32_t tx;
		int r = umx_xs_transaction_start(xs, &tx);

		if (r < 0)
			return r;
		if ((r = body(xs, tx, arg)) < 0) {
			umx_xs_transaction_end(xs, tx, false);
			return r;
		}
		r = umx_xs_transaction_end(xs, tx, true);
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
}

/* Everything pair_write needs, for xenbus_transaction(). */
struct pair_write_arg {
	const struct xenbus_pair *p;
	const struct pair_paths *pp;
};

static int pair_write_tx(umx_xs *xs, uint32_t tx, void *arg)
{
	const struct pair_write_arg *a = arg;

	return pair_write(xs, tx, a->p, a->pp);
}

int xenbus_pair_add(umx_xs *xs, const struct xenbus_pair *p)
{
	struct pair_paths pp = {0};
	struct pair_write_arg pw = {p, &pp};
	int r;

	if (p->front == p->back || !p->type || (p->nfe && !p->fe) || (p->nbe && !p->be))
		return -EINVAL;
	if ((r = pair_paths(&pp, p->type, p->front, p->back, p->devid)) < 0)
		return r;
	return xenbus_transaction(xs, pair_write_tx, &pw);
}

int xenbus_pair_remove(umx_xs *xs, const char *type, uint32_t front, uint32_t back, unsigned devid)
{
	struct pair_paths pp = {0};
	char **names = NULL, *v = NULL;
	unsigned n = 0;
	bool there = false;
	int r1, r2;

	if ((r1 = pair_paths(&pp, type, front, back, devid)) < 0)
		return r1;
	/* Removing a missing node succeeds in xenstored while its parent
	 * exists: ask first, so that detaching nothing is an error. */
	for (int i = 0; i < 2 && !there; i++) {
		there = umx_xs_read(xs, UMX_XS_NO_TX, i ? pp.fe : pp.be, &v, NULL) == 0;
		free(v);
		v = NULL;
	}
	if (!there)
		return -ENOENT;
	r1 = umx_xs_rm(xs, UMX_XS_NO_TX, pp.be);
	r2 = umx_xs_rm(xs, UMX_XS_NO_TX, pp.fe);
	/* The frontend's directory on the backend goes with its last device. */
	if (umx_xs_directory(xs, UMX_XS_NO_TX, pp.bdir, &names, &n) == 0 && n == 0)
		umx_xs_rm(xs, UMX_XS_NO_TX, pp.bdir);
	free(names);
	/* The frontend's nodes go with its domain: one side missing is fine. */
	if (r1 == -ENOENT)
		r1 = 0;
	if (r2 == -ENOENT)
		r2 = 0;
	return r1 < 0 ? r1 : r2;
}

int xenbus_next_devid(umx_xs *xs, const char *type, uint32_t front, unsigned base, unsigned stride,
                      unsigned limit)
{
	char path[XENBUS_PATH_MAX], **names;
	unsigned count, d = base;

	if (stride == 0)
		stride = 1;
	snprintf(path, sizeof(path), "/local/domain/%u/device/%s", front, type);
	if (umx_xs_directory(xs, UMX_XS_NO_TX, path, &names, &count) < 0)
		return (int)base;
	for (unsigned i = 0; i < count; i++) {
		unsigned long v;

		/* Not a devid (the frontend owns this directory): skipped. */
		if (parse_uint(names[i], limit, &v) == 0 && v >= d && v < limit)
			d = (unsigned)((v - base) / stride + 1) * stride + base;
	}
	free(names);
	return (int)d;
}
