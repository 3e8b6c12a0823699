/* SPDX-License-Identifier: MIT */
/*
 * Drop-in libxenstore.so.4 (Xen 4.17 ABI, VERS_4.0) on libumx's XenStore
 * client (umx/xs.h), which owns the connection and the xs_wire framing.
 *
 * Where it connects (umx_xs_open): inside a domain ($UMX_DOMAIN_FD, i.e.
 * under `umx run`) a store connection of the domain's own, so the store
 * sees the domain's identity (permissions, quotas) and relative paths
 * resolve under /local/domain/<domid>; otherwise $XENSTORED_PATH when set,
 * else the toolstack socket $UMX_DIR/xenstored (as Xen's would use
 * /var/run/xenstored/socket).
 *
 * What this layer adds on top of umx_xs: Xen's -1/NULL/false + errno edge
 * (each call is umx_xs's typed call where it has one), and Xen's watch
 * model (xenstore_watch.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>
#include <xenstore.h>

#include "compat.h"
#include "xenstore_priv.h"

/* ---- connection -------------------------------------------------------- */

/* As Xen's library, $XENSTORED_PATH names the socket — outside a domain;
 * a domain's own store connection comes from its umxd connection. */
static int store_open(umx_xs **xs)
{
	const char *env = getenv("XENSTORED_PATH");

	if (env && *env && !getenv("UMX_DOMAIN_FD"))
		return umx_xs_open_path(env, xs);
	return umx_xs_open(xs);
}

struct xs_handle *xs_open(unsigned long flags)
{
	struct xs_handle *h = calloc(1, sizeof(*h));
	int r;

	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	/* XS_OPEN_READONLY/SOCKETONLY change nothing here: one socket, as in
	 * Xen since 4.9, and no /dev/xen/xenbus. */
	if ((r = store_open(&h->xs)) < 0) {
		free(h);
		compat_ret(r);
		return NULL;
	}
	h->flags = flags;
	h->pipe[0] = h->pipe[1] = -1;
	pthread_mutex_init(&h->drain_lock, NULL);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->watch_cond, NULL);
	return h;
}

struct xs_handle *xs_daemon_open(void)
{
	return xs_open(0);
}

struct xs_handle *xs_domain_open(void)
{
	return xs_open(0);
}

struct xs_handle *xs_daemon_open_readonly(void)
{
	return xs_open(XS_OPEN_READONLY);
}

static void handle_free(struct xs_handle *h)
{
	umx_xs_close(h->xs);
	pthread_cond_destroy(&h->watch_cond);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->drain_lock);
	free(h);
}

void xs_close(struct xs_handle *xsh)
{
	if (!xsh)
		return;
	watch_stop(xsh);
	handle_free(xsh);
}

void xs_daemon_close(struct xs_handle *h)
{
	xs_close(h);
}

/* In a forked child: the reader thread does not exist here. */
void xs_daemon_destroy_postfork(struct xs_handle *h)
{
	if (h) {
		watch_free(h);
		handle_free(h);
	}
}

/* ---- requests ---------------------------------------------------------- */

/* Xen's bool result of umx_xs call @r (after watch_after_request()). */
static bool ok(struct xs_handle *h, int r)
{
	r = watch_after_request(h, r);
	return r < 0 ? (compat_ret(r), false) : true;
}

/* For the requests umx_xs has no typed call for (a toolstack's, rarely
 * made): one request made of @n pieces, concatenated as on the wire, and
 * its reply body (NULL: not wanted). */
static bool talk(struct xs_handle *h, uint32_t type, const struct iovec *pieces, unsigned n,
                 char **reply)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t len = 0;

	for (unsigned i = 0; i < n; i++) {
		if (pieces[i].iov_len > sizeof(buf) - len)
			return compat_ret(-E2BIG), false;
		memcpy(buf + len, pieces[i].iov_base, pieces[i].iov_len);
		len += pieces[i].iov_len;
	}
	return ok(h, umx_xs_request(h->xs, type, XBT_NULL, buf, len, reply, NULL));
}

#define STR(s) ((struct iovec){(void *)(s), strlen(s) + 1})

/* ---- the store --------------------------------------------------------- */

char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *num)
{
	char **names = NULL;

	return ok(h, umx_xs_directory(h->xs, t, path, &names, num)) ? names : NULL;
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len)
{
	char *val = NULL;
	size_t n = 0;

	if (!ok(h, umx_xs_read(h->xs, t, path, &val, &n)))
		return NULL;
	if (len)
		*len = (unsigned)n;
	return val;
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
              unsigned int len)
{
	return ok(h, umx_xs_write(h->xs, t, path, data, len));
}

bool xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	return ok(h, umx_xs_mkdir(h->xs, t, path));
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	return ok(h, umx_xs_rm(h->xs, t, path));
}

bool xs_restrict(struct xs_handle *h, unsigned domid)
{
	/* Xen 4.17 removed XS_RESTRICT too. */
	return compat_unsupported("xs_restrict", "XS_RESTRICT was removed from xenstored"), false;
}

_Static_assert(XS_PERM_READ == UMX_XS_PERM_READ && XS_PERM_WRITE == UMX_XS_PERM_WRITE,
               "libxenstore's permission flags are the ones umx_xs_perm_* use");

bool xs_strings_to_perms(struct xs_permissions *perms, unsigned int num, const char *strings)
{
	const char *s = strings;

	for (unsigned i = 0; i < num; i++) {
		int flags = umx_xs_perm_from_letter(*s);
		char *end;
		unsigned long id;

		if (flags < 0) {
			errno = EINVAL;
			return false;
		}
		perms[i].perms = (unsigned)flags;
		errno = 0;
		id = strtoul(s + 1, &end, 10);
		if (errno || end == s + 1 || *end || id > UINT_MAX) {
			errno = EINVAL;
			return false;
		}
		perms[i].id = (unsigned)id;
		s = end + 1;
	}
	return true;
}

struct xs_permissions *xs_get_permissions(struct xs_handle *h, xs_transaction_t t, const char *path,
                                          unsigned int *num)
{
	struct xs_permissions *perms;
	char **strs = NULL;
	unsigned n = 0;

	if (!ok(h, umx_xs_get_perms(h->xs, t, path, &strs, &n)))
		return NULL;
	perms = n ? malloc(n * sizeof(*perms)) : NULL;
	if (!perms) {
		free(strs);
		errno = n ? ENOMEM : EINVAL;
		return NULL;
	}
	/* umx_xs keeps the strings back to back after the pointers, as on
	 * the wire: the form xs_strings_to_perms() reads. */
	if (!xs_strings_to_perms(perms, n, strs[0])) {
		free(perms);
		free(strs);
		return NULL;
	}
	free(strs);
	*num = n;
	return perms;
}

bool xs_set_permissions(struct xs_handle *h, xs_transaction_t t, const char *path,
                        struct xs_permissions *perms, unsigned int num_perms)
{
	/* "b5": two characters per permission and the domid. */
	char(*strs)[16] = calloc(num_perms ? num_perms : 1, sizeof(*strs));
	const char **v = calloc(num_perms ? num_perms : 1, sizeof(*v));
	bool r = false;

	if (!strs || !v) {
		errno = ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < num_perms; i++) {
		if (perms[i].perms & ~(unsigned)(XS_PERM_READ | XS_PERM_WRITE)) {
			errno = EINVAL;
			goto out;
		}
		snprintf(strs[i], sizeof(strs[i]), "%c%u", umx_xs_perm_letter(perms[i].perms),
		         perms[i].id);
		v[i] = strs[i];
	}
	r = ok(h, umx_xs_set_perms(h->xs, t, path, v, num_perms));
out:
	free(v);
	free(strs);
	return r;
}

/* ---- transactions ------------------------------------------------------ */

xs_transaction_t xs_transaction_start(struct xs_handle *h)
{
	uint32_t tx = XBT_NULL;

	return ok(h, umx_xs_transaction_start(h->xs, &tx)) ? (xs_transaction_t)tx : XBT_NULL;
}

bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort)
{
	return ok(h, umx_xs_transaction_end(h->xs, t, !abort));
}

/* ---- domains ----------------------------------------------------------- */

static bool domid_op(struct xs_handle *h, uint32_t type, unsigned domid, char **reply)
{
	char d[16];
	struct iovec p;

	snprintf(d, sizeof(d), "%u", domid);
	p = STR(d);
	return talk(h, type, &p, 1, reply);
}

bool xs_introduce_domain(struct xs_handle *h, unsigned int domid, unsigned long mfn,
                         unsigned int eventchn)
{
	char d[16], m[24], e[16];
	struct iovec p[3];

	snprintf(d, sizeof(d), "%u", domid);
	snprintf(m, sizeof(m), "%lu", mfn);
	snprintf(e, sizeof(e), "%u", eventchn);
	p[0] = STR(d);
	p[1] = STR(m);
	p[2] = STR(e);
	return talk(h, XS_INTRODUCE, p, 3, NULL);
}

bool xs_set_target(struct xs_handle *h, unsigned int domid, unsigned int target)
{
	char d[16], t[16];
	struct iovec p[2];

	snprintf(d, sizeof(d), "%u", domid);
	snprintf(t, sizeof(t), "%u", target);
	p[0] = STR(d);
	p[1] = STR(t);
	return talk(h, XS_SET_TARGET, p, 2, NULL);
}

bool xs_resume_domain(struct xs_handle *h, unsigned int domid)
{
	return domid_op(h, XS_RESUME, domid, NULL);
}

bool xs_release_domain(struct xs_handle *h, unsigned int domid)
{
	return domid_op(h, XS_RELEASE, domid, NULL);
}

char *xs_get_domain_path(struct xs_handle *h, unsigned int domid)
{
	char *path = NULL;

	return ok(h, umx_xs_get_domain_path(h->xs, domid, &path)) ? path : NULL;
}

bool xs_is_domain_introduced(struct xs_handle *h, unsigned int domid)
{
	char *r = NULL;
	bool yes;

	if (!domid_op(h, XS_IS_DOMAIN_INTRODUCED, domid, &r))
		return false;
	yes = strcmp(r, "F") != 0;
	free(r);
	return yes;
}

char *xs_control_command(struct xs_handle *h, const char *cmd, void *data, unsigned int len)
{
	struct iovec p[2] = {STR(cmd), {data, len}};
	char *reply = NULL;

	return talk(h, XS_CONTROL, p, 2, &reply) ? reply : NULL;
}

char *xs_debug_command(struct xs_handle *h, const char *cmd, void *data, unsigned int len)
{
	return xs_control_command(h, cmd, data, len);
}

int xs_suspend_evtchn_port(int domid)
{
	char path[64];
	struct xs_handle *h;
	char *v;
	int port = -1;

	snprintf(path, sizeof(path), "/local/domain/%d/device/suspend/event-channel", domid);
	if (!(h = xs_open(0)))
		return -1;
	if ((v = xs_read(h, XBT_NULL, path, NULL))) {
		char *end;
		long p = strtol(v, &end, 10);
		if (end != v && !*end && p >= 0 && p <= INT_MAX)
			port = (int)p;
		free(v);
	}
	xs_close(h);
	return port;
}

/* ---- helpers of xenstore_lib.h ----------------------------------------- */

bool xs_path_is_subpath(const char *parent, const char *child)
{
	size_t plen = strlen(parent), clen = strlen(child);

	if (clen < plen || memcmp(child, parent, plen) != 0)
		return false;
	return clen == plen || child[plen] == '/';
}

const char *xs_daemon_rundir(void)
{
	const char *s = getenv("XENSTORED_RUNDIR");

	return s ? s : "/var/run/xenstored";
}

const char *xs_daemon_socket(void)
{
	static char buf[PATH_MAX];
	const char *s = getenv("XENSTORED_PATH");

	if (s)
		return s;
	if (snprintf(buf, sizeof(buf), "%s/socket", xs_daemon_rundir()) >= (int)sizeof(buf))
		return NULL;
	return buf;
}

const char *xs_daemon_socket_ro(void)
{
	return xs_daemon_socket(); /* one socket since Xen 4.9 */
}

bool xs_write_all(int fd, const void *data, unsigned int len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data = (const char *)data + n;
		len -= (unsigned)n;
	}
	return true;
}
