/* SPDX-License-Identifier: MIT */
/* The console's store side: the toolstack's nodes (what libxl writes for a
 * console), paths, and strict readers of the peer's nodes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cons_xs_read_u32(umx_xs *xs, uint32_t tx, const char *dir, const char *node, uint32_t *v)
{
	char path[CONS_PATH_MAX + 32], *val, *end;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	if ((r = umx_xs_read(xs, tx, path, &val, &len)) < 0)
		return r;
	/* The value is the peer's: digits only, at most 10 of them, no sign,
	 * no blanks, below 2^32 (strtoul alone accepts "-1" and " 7"). */
	r = len && len <= 10 && strspn(val, "0123456789") == len ? 0 : -EINVAL;
	if (r == 0) {
		unsigned long long x = strtoull(val, &end, 10);
		if (x > UINT32_MAX)
			r = -EINVAL;
		else
			*v = (uint32_t)x;
	}
	free(val);
	return r;
}

int cons_xs_printf(umx_xs *xs, uint32_t tx, const char *dir, const char *node, const char *fmt, ...)
{
	char path[CONS_PATH_MAX + 32], buf[CONS_PATH_MAX + 32];
	va_list ap;
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return umx_xs_write(xs, tx, path, buf, (size_t)n);
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
	return umx_xs_set_perms(xs, tx, dir, perms, owner == other ? 1 : 2);
}

static int add_tx(umx_xs *xs, uint32_t tx, uint32_t domid, uint32_t devid, uint32_t backend)
{
	char fdir[CONS_PATH_MAX], bdir[CONS_PATH_MAX];
	int r;

	if ((r = cons_frontdir(domid, devid, fdir, sizeof(fdir))) < 0 ||
	    (r = cons_backdir(backend, domid, devid, bdir, sizeof(bdir))) < 0)
		return r;
	if ((r = mkdir_perms(xs, tx, fdir, domid, backend, 'b')) < 0)
		return r;
	if ((r = cons_xs_printf(xs, tx, fdir, "backend", "%s", bdir)) < 0 ||
	    (r = cons_xs_printf(xs, tx, fdir, "backend-id", "%u", backend)) < 0 ||
	    (r = cons_xs_printf(xs, tx, fdir, "limit", "%u", UMX_CONSOLE_LIMIT)) < 0 ||
	    (r = cons_xs_printf(xs, tx, fdir, "type", "xenconsoled")) < 0 ||
	    (r = cons_xs_printf(xs, tx, fdir, "output", "pty")) < 0)
		return r;
	if (devid != UMX_CONSOLE_PRIMARY &&
	    (r = cons_xs_printf(xs, tx, fdir, "state", "%d", XenbusStateInitialising)) < 0)
		return r;
	if ((r = mkdir_perms(xs, tx, bdir, backend, domid, 'r')) < 0 ||
	    (r = cons_xs_printf(xs, tx, bdir, "frontend", "%s", fdir)) < 0 ||
	    (r = cons_xs_printf(xs, tx, bdir, "frontend-id", "%u", domid)) < 0 ||
	    (r = cons_xs_printf(xs, tx, bdir, "online", "1")) < 0 ||
	    (r = cons_xs_printf(xs, tx, bdir, "state", "%d", XenbusStateInitialising)) < 0)
		return r;
	return 0;
}

/* One transaction, retried while the store says another one raced it. */
static int in_tx(umx_xs *xs, int (*fn)(umx_xs *, uint32_t, uint32_t, uint32_t, uint32_t),
                 uint32_t domid, uint32_t devid, uint32_t backend)
{
	for (int tries = 0; tries < 16; tries++) {
		uint32_t tx;
		int r = umx_xs_transaction_start(xs, &tx);

		if (r < 0)
			return r;
		r = fn(xs, tx, domid, devid, backend);
		if (r < 0) {
			umx_xs_transaction_end(xs, tx, false);
			return r;
		}
		r = umx_xs_transaction_end(xs, tx, true);
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
}

int umx_console_toolstack_add(umx_xs *xs, uint32_t domid, uint32_t devid, uint32_t backend)
{
	if (devid > UMX_CONSOLE_DEVID_MAX || domid >= 0x7ff0u || backend >= 0x7ff0u ||
	    domid == backend)
		return -EINVAL;
	return in_tx(xs, add_tx, domid, devid, backend);
}

static int remove_tx(umx_xs *xs, uint32_t tx, uint32_t domid, uint32_t devid, uint32_t backend)
{
	char fdir[CONS_PATH_MAX], bdir[CONS_PATH_MAX];
	int r;

	if ((r = cons_frontdir(domid, devid, fdir, sizeof(fdir))) < 0 ||
	    (r = cons_backdir(backend, domid, devid, bdir, sizeof(bdir))) < 0)
		return r;
	if ((r = umx_xs_rm(xs, tx, fdir)) < 0 && r != -ENOENT)
		return r;
	if ((r = umx_xs_rm(xs, tx, bdir)) < 0 && r != -ENOENT)
		return r;
	return 0;
}

int umx_console_toolstack_remove(umx_xs *xs, uint32_t domid, uint32_t devid, uint32_t backend)
{
	if (devid > UMX_CONSOLE_DEVID_MAX)
		return -EINVAL;
	return in_tx(xs, remove_tx, domid, devid, backend);
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
