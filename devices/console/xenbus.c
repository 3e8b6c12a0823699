/* SPDX-License-Identifier: MIT */
/* The console's store side: the toolstack's nodes (what libxl writes for a
 * console), paths, and strict readers of the peer's nodes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/io/xenbus.h>

#include "cons_priv.h"

int cons_frontdir(uint32_t domid, uint32_t devid, char *buf, size_t len)
{
	int n = devid == UMX_CONSOLE_PRIMARY
	                ? snprintf(buf, len, "/local/domain/%u/console", domid)
	                : snprintf(buf, len, "/local/domain/%u/device/console/%u", domid, devid);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cons_backdir(uint32_t backend, uint32_t domid, uint32_t devid, char *buf, size_t len)
{
	int n = snprintf(buf, len, "/local/domain/%u/backend/console/%u/%u", backend, domid, devid);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cons_xs_read_u32(umx_xs *xs, const char *dir, const char *node, uint32_t *v)
{
	unsigned long x;
	int r = xenbus_read_uint(xs, dir, node, &x);

	if (r < 0)
		return r;
	if (x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

/* Make @dir owned by @owner with @other allowed @letter ('r' or 'b'). The
 * nodes written under it afterwards inherit these permissions. */
static int mkdir_perms(umx_xs *xs, uint32_t tx, const char *dir, uint32_t owner, uint32_t other,
                       char letter)
{
	char p0[16], p1[16];
	const char *perms[2] = {p0, p1};
	int r;

	snprintf(p0, sizeof(p0), "n%u", owner);
	snprintf(p1, sizeof(p1), "%c%u", letter, other);
	if ((r = umx_xs_mkdir(xs, tx, dir)) < 0)
		return r;
	return umx_xs_set_perms(xs, tx, dir, perms, 2);
}

/* The primary console: /local/domain/<D>/console is not a xenbus device
 * directory, so its nodes are written here as libxl writes them, with the
 * backend allowed to write too (xenconsoled writes tty there). */
static int add_primary_tx(umx_xs *xs, uint32_t tx, uint32_t domid, uint32_t backend,
                          const char *name)
{
	char fdir[CONS_PATH_MAX], bdir[CONS_PATH_MAX];
	int r;

	if ((r = cons_frontdir(domid, UMX_CONSOLE_PRIMARY, fdir, sizeof(fdir))) < 0 ||
	    (r = cons_backdir(backend, domid, UMX_CONSOLE_PRIMARY, bdir, sizeof(bdir))) < 0)
		return r;
	if ((r = mkdir_perms(xs, tx, fdir, domid, backend, 'b')) < 0 ||
	    (r = xenbus_printf(xs, tx, fdir, "backend", "%s", bdir)) < 0 ||
	    (r = xenbus_printf(xs, tx, fdir, "backend-id", "%u", backend)) < 0 ||
	    (r = xenbus_printf(xs, tx, fdir, "limit", "%u", UMX_CONSOLE_LIMIT)) < 0 ||
	    (r = xenbus_printf(xs, tx, fdir, "type", "xenconsoled")) < 0 ||
	    (r = xenbus_printf(xs, tx, fdir, "output", "pty")) < 0)
		return r;
	if ((r = mkdir_perms(xs, tx, bdir, backend, domid, 'r')) < 0 ||
	    (r = xenbus_printf(xs, tx, bdir, "frontend", "%s", fdir)) < 0 ||
	    (r = xenbus_printf(xs, tx, bdir, "frontend-id", "%u", domid)) < 0 ||
	    (r = xenbus_printf(xs, tx, bdir, "online", "1")) < 0 ||
	    (r = xenbus_printf(xs, tx, bdir, "state", "%d", XenbusStateInitialising)) < 0 ||
	    (name && (r = xenbus_printf(xs, tx, bdir, "name", "%s", name)) < 0))
		return r;
	return 0;
}

struct primary_arg {
	uint32_t domid, backend;
	const char *name;
};

static int add_primary_body(umx_xs *xs, uint32_t tx, void *arg)
{
	const struct primary_arg *a = arg;

	return add_primary_tx(xs, tx, a->domid, a->backend, a->name);
}

static int add_primary(umx_xs *xs, uint32_t domid, uint32_t backend, const char *name)
{
	struct primary_arg a = {domid, backend, name};

	return xenbus_transaction(xs, add_primary_body, &a);
}

int umx_console_toolstack_add_named(umx_xs *xs, uint32_t domid, uint32_t devid, uint32_t backend,
                                    const char *name)
{
	char limit[16];
	const struct xenbus_node fe[] = {
	        {"limit", limit}, {"type", "xenconsoled"}, {"output", "pty"}};
	const struct xenbus_node be[] = {{"name", name}};
	struct xenbus_pair p = {.type = "console",
	                        .front = domid,
	                        .back = backend,
	                        .devid = devid,
	                        .fe = fe,
	                        .nfe = 3,
	                        .be = be,
	                        .nbe = name ? 1 : 0};

	if (devid > UMX_CONSOLE_DEVID_MAX || domid >= DOMID_FIRST_RESERVED ||
	    backend >= DOMID_FIRST_RESERVED || domid == backend ||
	    (name && (!*name || strlen(name) > 255)))
		return -EINVAL;
	if (devid == UMX_CONSOLE_PRIMARY)
		return add_primary(xs, domid, backend, name);
	snprintf(limit, sizeof(limit), "%u", UMX_CONSOLE_LIMIT);
	return xenbus_pair_add(xs, &p);
}

int umx_console_toolstack_add(umx_xs *xs, uint32_t domid, uint32_t devid, uint32_t backend)
{
	return umx_console_toolstack_add_named(xs, domid, devid, backend, NULL);
}

int umx_console_toolstack_remove(umx_xs *xs, uint32_t domid, uint32_t devid, uint32_t backend)
{
	char fdir[CONS_PATH_MAX], bdir[CONS_PATH_MAX];
	int r;

	if (devid > UMX_CONSOLE_DEVID_MAX)
		return -EINVAL;
	if (devid != UMX_CONSOLE_PRIMARY)
		return xenbus_pair_remove(xs, "console", domid, backend, devid);
	if ((r = cons_frontdir(domid, devid, fdir, sizeof(fdir))) < 0 ||
	    (r = cons_backdir(backend, domid, devid, bdir, sizeof(bdir))) < 0)
		return r;
	if ((r = umx_xs_rm(xs, UMX_XS_NO_TX, fdir)) < 0 && r != -ENOENT)
		return r;
	if ((r = umx_xs_rm(xs, UMX_XS_NO_TX, bdir)) < 0 && r != -ENOENT)
		return r;
	return 0;
}

int umx_console_tty(umx_xs *xs, uint32_t domid, uint32_t devid, char **tty)
{
	char dir[CONS_PATH_MAX], path[CONS_PATH_MAX + 8];
	size_t len;
	int r;

	if (devid > UMX_CONSOLE_DEVID_MAX)
		return -EINVAL;
	if ((r = cons_frontdir(domid, devid, dir, sizeof(dir))) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/tty", dir);
	if ((r = umx_xs_read(xs, UMX_XS_NO_TX, path, tty, &len)) < 0)
		return r;
	if (!len || strlen(*tty) != len) {
		free(*tty);
		*tty = NULL;
		return -ENOENT;
	}
	return 0;
}
