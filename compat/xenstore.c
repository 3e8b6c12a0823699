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
 * What this layer adds on top of umx_xs: Xen's -1/NULL/false + errno edge,
 * and Xen's watch model. The first xs_watch/xs_read_watch/xs_check_watch/
 * xs_fileno starts a reader thread (all signals blocked) that waits for
 * the socket to become readable and moves events from umx_xs into this
 * handle's queue, so events arrive while the caller sleeps. Events that
 * umx_xs queued while a request waited for its reply are moved after each
 * request. xs_fileno() is a pipe that is readable exactly while events are
 * queued — and, so that a poller does not sleep forever, once the
 * connection is broken (xs_read_watch then fails).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>
#include <xenstore.h>

#include "compat.h"
#include "umx/xs.h"

/* A queued watch event: body "path\0token\0", as on the wire. */
struct msg {
	uint32_t len;
	char *body;
	struct msg *next;
};

struct xs_handle {
	umx_xs *xs;
	unsigned long flags;
	/* Held while moving events from umx_xs to w_head, so that two
	 * threads draining at once cannot swap two events. */
	pthread_mutex_t drain_lock;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t watch_cond;
	struct msg *w_head, *w_tail;
	bool broken;
	bool have_thread;
	pthread_t thread;
	int pipe[2]; /* xs_fileno(): readable while events are queued */
};

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

static void msg_free(struct msg *m)
{
	if (m) {
		free(m->body);
		free(m);
	}
}

static void handle_free(struct xs_handle *h)
{
	while (h->w_head) {
		struct msg *m = h->w_head;
		h->w_head = m->next;
		msg_free(m);
	}
	if (h->pipe[0] >= 0) {
		close(h->pipe[0]);
		close(h->pipe[1]);
	}
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
	if (xsh->have_thread) {
		/* The reader sees end of file, marks the handle broken, exits. */
		shutdown(umx_xs_fd(xsh->xs), SHUT_RDWR);
		pthread_join(xsh->thread, NULL);
	}
	handle_free(xsh);
}

void xs_daemon_close(struct xs_handle *h)
{
	xs_close(h);
}

/* In a forked child: the reader thread does not exist here. */
void xs_daemon_destroy_postfork(struct xs_handle *h)
{
	if (h)
		handle_free(h);
}

/* ---- watch events ------------------------------------------------------ */

static void pipe_mark(struct xs_handle *h)
{
	char c = 0;

	if (h->pipe[1] >= 0)
		(void)!write(h->pipe[1], &c, 1);
}

static void pipe_clear(struct xs_handle *h)
{
	char c;

	if (h->pipe[0] >= 0)
		(void)!read(h->pipe[0], &c, 1);
}

/* Caller holds h->lock. */
static void queue_watch(struct xs_handle *h, struct msg *m)
{
	m->next = NULL;
	if (h->w_tail) {
		h->w_tail->next = m;
	} else {
		h->w_head = m;
		if (!h->broken)
			pipe_mark(h); /* a broken handle's pipe is already readable */
	}
	h->w_tail = m;
	pthread_cond_broadcast(&h->watch_cond);
}

/* Caller holds h->lock. */
static void mark_broken(struct xs_handle *h)
{
	if (!h->broken && !h->w_head)
		pipe_mark(h);
	h->broken = true;
	pthread_cond_broadcast(&h->watch_cond);
}

/* Move every event umx_xs has (queued, or readable now) into our queue.
 * Returns 0, or -errno once the connection is broken. */
static int drain_locked(struct xs_handle *h)
{
	for (;;) {
		char *path, *token;
		struct msg *m;
		size_t pl, tl;
		int r = umx_xs_read_watch(h->xs, &path, &token, 0);

		if (r == -ETIMEDOUT)
			return 0;
		if (r < 0) {
			pthread_mutex_lock(&h->lock);
			mark_broken(h);
			pthread_mutex_unlock(&h->lock);
			return r;
		}
		pl = strlen(path) + 1;
		tl = strlen(token) + 1;
		m = calloc(1, sizeof(*m));
		if (m && (m->body = malloc(pl + tl))) {
			memcpy(m->body, path, pl);
			memcpy(m->body + pl, token, tl);
			m->len = (uint32_t)(pl + tl);
		} else {
			free(m);
			m = NULL;
		}
		free(path);
		free(token);
		pthread_mutex_lock(&h->lock);
		if (m)
			queue_watch(h, m);
		else
			mark_broken(h); /* an event was lost: as Xen, no recovery */
		pthread_mutex_unlock(&h->lock);
		if (!m)
			return -ENOMEM;
	}
}

static int drain(struct xs_handle *h)
{
	int r;

	pthread_mutex_lock(&h->drain_lock);
	r = drain_locked(h);
	pthread_mutex_unlock(&h->drain_lock);
	return r;
}

static void *reader(void *arg)
{
	struct xs_handle *h = arg;
	struct pollfd p = {.fd = umx_xs_fd(h->xs), .events = POLLIN};

	for (;;) {
		/* Readable may also be a reply that a request is about to read
		 * under umx_xs's lock; drain() then finds nothing and we wait
		 * again. */
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if (drain(h) < 0)
			return NULL;
	}
	pthread_mutex_lock(&h->lock);
	mark_broken(h);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static int start_reader(struct xs_handle *h)
{
	sigset_t all, old;
	int r = 0;

	pthread_mutex_lock(&h->lock);
	if (!h->have_thread) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		r = -pthread_create(&h->thread, NULL, reader, h);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r == 0)
			h->have_thread = true;
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

/* ---- requests ---------------------------------------------------------- */

/* Send one request made of @n pieces (concatenated, as on the wire) and
 * wait for its reply. Returns 0 with the reply (body NUL-terminated) or
 * -errno, the store's error included. */
static int talk(struct xs_handle *h, uint32_t type, xs_transaction_t t, const struct iovec *pieces,
                unsigned n, char **reply, unsigned *reply_len)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t len = 0, rlen = 0;
	bool watching;
	int r;

	for (unsigned i = 0; i < n; i++) {
		if (pieces[i].iov_len > sizeof(buf) - len)
			return -E2BIG;
		memcpy(buf + len, pieces[i].iov_base, pieces[i].iov_len);
		len += pieces[i].iov_len;
	}
	r = umx_xs_request(h->xs, type, t, buf, len, reply, reply ? &rlen : NULL);
	if (r == 0 && reply_len)
		*reply_len = (unsigned)rlen;
	pthread_mutex_lock(&h->lock);
	watching = h->have_thread;
	pthread_mutex_unlock(&h->lock);
	/* Events that came in ahead of the reply were queued by umx_xs; the
	 * socket may not be readable again, so the reader would miss them. */
	if (watching)
		(void)drain(h);
	if (r == -EPIPE || r == -ECONNRESET) {
		pthread_mutex_lock(&h->lock);
		mark_broken(h);
		pthread_mutex_unlock(&h->lock);
	}
	return r;
}

/* A request whose reply is only checked; sets errno, returns a bool. */
static bool talk_ok(struct xs_handle *h, uint32_t type, xs_transaction_t t,
                    const struct iovec *pieces, unsigned n)
{
	char *body;
	int r = talk(h, type, t, pieces, n, &body, NULL);

	if (r < 0)
		return compat_ret(r), false;
	free(body);
	return true;
}

/* A request whose reply body is returned (malloc'd, NUL-terminated). */
static char *talk_body(struct xs_handle *h, uint32_t type, xs_transaction_t t,
                       const struct iovec *pieces, unsigned n, unsigned *len)
{
	char *body = NULL;
	int r = talk(h, type, t, pieces, n, &body, len);

	if (r < 0)
		return compat_ret(r), NULL;
	return body;
}

#define STR(s) ((struct iovec){(void *)(s), strlen(s) + 1})

/* ---- the store --------------------------------------------------------- */

/* "a\0b\0" -> one allocation: @n pointers, then the strings. */
static char **split(char *body, unsigned len, unsigned *num)
{
	unsigned n = 0;
	char **v, *strs;

	for (unsigned i = 0; i < len; i++)
		n += body[i] == 0;
	v = malloc(sizeof(char *) * (n + 1) + len + 1);
	if (!v) {
		free(body);
		errno = ENOMEM;
		return NULL;
	}
	strs = (char *)(v + n + 1);
	memcpy(strs, body, len);
	strs[len] = 0;
	free(body);
	for (unsigned i = 0, off = 0; i < n; i++) {
		v[i] = strs + off;
		off += (unsigned)strlen(strs + off) + 1;
	}
	v[n] = NULL;
	*num = n;
	return v;
}

char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *num)
{
	struct iovec p = STR(path);
	unsigned len = 0;
	char *body = talk_body(h, XS_DIRECTORY, t, &p, 1, &len);

	return body ? split(body, len, num) : NULL;
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len)
{
	struct iovec p = STR(path);

	return talk_body(h, XS_READ, t, &p, 1, len);
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
              unsigned int len)
{
	struct iovec p[2] = {STR(path), {(void *)data, len}};

	return talk_ok(h, XS_WRITE, t, p, 2);
}

bool xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	struct iovec p = STR(path);

	return talk_ok(h, XS_MKDIR, t, &p, 1);
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	struct iovec p = STR(path);

	return talk_ok(h, XS_RM, t, &p, 1);
}

bool xs_restrict(struct xs_handle *h, unsigned domid)
{
	/* Xen 4.17 removed XS_RESTRICT too. */
	return compat_unsupported("xs_restrict", "XS_RESTRICT was removed from xenstored"), false;
}

bool xs_strings_to_perms(struct xs_permissions *perms, unsigned int num, const char *strings)
{
	const char *s = strings;

	for (unsigned i = 0; i < num; i++) {
		char *end;
		unsigned long id;

		switch (*s) {
		case 'r':
			perms[i].perms = XS_PERM_READ;
			break;
		case 'w':
			perms[i].perms = XS_PERM_WRITE;
			break;
		case 'b':
			perms[i].perms = XS_PERM_READ | XS_PERM_WRITE;
			break;
		case 'n':
			perms[i].perms = XS_PERM_NONE;
			break;
		default:
			errno = EINVAL;
			return false;
		}
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
	struct iovec p = STR(path);
	struct xs_permissions *perms;
	unsigned len = 0, n = 0;
	char *body = talk_body(h, XS_GET_PERMS, t, &p, 1, &len);

	if (!body)
		return NULL;
	for (unsigned i = 0; i < len; i++)
		n += body[i] == 0;
	perms = n ? malloc(n * sizeof(*perms)) : NULL;
	if (!perms || (len && body[len - 1])) {
		free(perms);
		free(body);
		errno = n ? ENOMEM : EINVAL;
		return NULL;
	}
	if (!xs_strings_to_perms(perms, n, body)) {
		free(perms);
		free(body);
		return NULL;
	}
	free(body);
	*num = n;
	return perms;
}

bool xs_set_permissions(struct xs_handle *h, xs_transaction_t t, const char *path,
                        struct xs_permissions *perms, unsigned int num_perms)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t used = 0;
	struct iovec p[2];

	for (unsigned i = 0; i < num_perms; i++) {
		char c;
		int n;

		switch (perms[i].perms & (XS_PERM_READ | XS_PERM_WRITE)) {
		case XS_PERM_READ | XS_PERM_WRITE:
			c = 'b';
			break;
		case XS_PERM_READ:
			c = 'r';
			break;
		case XS_PERM_WRITE:
			c = 'w';
			break;
		default:
			c = 'n';
		}
		if (perms[i].perms & ~(unsigned)(XS_PERM_READ | XS_PERM_WRITE)) {
			errno = EINVAL;
			return false;
		}
		n = snprintf(buf + used, sizeof(buf) - used, "%c%u", c, perms[i].id);
		if (n < 0 || (size_t)n + 1 > sizeof(buf) - used) {
			errno = E2BIG;
			return false;
		}
		used += (size_t)n + 1;
	}
	p[0] = STR(path);
	p[1] = (struct iovec){buf, used};
	return talk_ok(h, XS_SET_PERMS, t, p, 2);
}

/* ---- watches ----------------------------------------------------------- */

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
	struct iovec p[2] = {STR(path), STR(token)};
	int r = start_reader(h);

	if (r < 0)
		return compat_ret(r), false;
	return talk_ok(h, XS_WATCH, XBT_NULL, p, 2);
}

int xs_fileno(struct xs_handle *h)
{
	int r;

	if ((r = start_reader(h)) < 0)
		return compat_ret(r);
	pthread_mutex_lock(&h->lock);
	if (h->pipe[0] < 0) {
		if (pipe2(h->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
			r = -errno;
			h->pipe[0] = h->pipe[1] = -1;
		} else if (h->w_head || h->broken) {
			pipe_mark(h);
		}
	}
	if (r == 0)
		r = h->pipe[0];
	pthread_mutex_unlock(&h->lock);
	return compat_ret(r);
}

/* Take the first event (caller holds h->lock; one is queued). */
static char **take_event(struct xs_handle *h, unsigned *num)
{
	struct msg *m = h->w_head;
	char *body = m->body;
	unsigned len = m->len;

	h->w_head = m->next;
	if (!h->w_head) {
		h->w_tail = NULL;
		if (!h->broken)
			pipe_clear(h);
	}
	free(m);
	return split(body, len, num);
}

char **xs_read_watch(struct xs_handle *h, unsigned int *num)
{
	char **v = NULL;
	int r = start_reader(h);

	if (r < 0)
		return compat_ret(r), NULL;
	pthread_mutex_lock(&h->lock);
	while (!h->w_head && !h->broken)
		pthread_cond_wait(&h->watch_cond, &h->lock);
	if (h->w_head)
		v = take_event(h, num);
	else
		errno = EPIPE;
	pthread_mutex_unlock(&h->lock);
	return v;
}

char **xs_check_watch(struct xs_handle *h)
{
	char **v = NULL;
	unsigned num;
	int r = start_reader(h);

	if (r < 0)
		return compat_ret(r), NULL;
	pthread_mutex_lock(&h->lock);
	if (h->w_head)
		v = take_event(h, &num);
	else
		errno = h->broken ? EPIPE : EAGAIN;
	pthread_mutex_unlock(&h->lock);
	return v;
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
	struct iovec p[2] = {STR(path), STR(token)};
	struct msg **pp;

	if (!talk_ok(h, XS_UNWATCH, XBT_NULL, p, 2))
		return false;
	if (!(h->flags & XS_UNWATCH_FILTER))
		return true;
	/* Drop queued events of this watch (token, path at or below). */
	pthread_mutex_lock(&h->lock);
	for (pp = &h->w_head; *pp;) {
		struct msg *m = *pp;
		size_t plen = strlen(m->body);
		const char *tok = plen < m->len ? m->body + plen + 1 : "";

		if (!strcmp(tok, token) && xs_path_is_subpath(path, m->body)) {
			*pp = m->next;
			msg_free(m);
			continue;
		}
		pp = &m->next;
	}
	h->w_tail = NULL;
	for (struct msg *m = h->w_head; m; m = m->next)
		h->w_tail = m;
	if (!h->w_head && !h->broken)
		pipe_clear(h);
	pthread_mutex_unlock(&h->lock);
	return true;
}

/* ---- transactions ------------------------------------------------------ */

xs_transaction_t xs_transaction_start(struct xs_handle *h)
{
	struct iovec p = STR("");
	char *end, *body = talk_body(h, XS_TRANSACTION_START, XBT_NULL, &p, 1, NULL);
	unsigned long id;

	if (!body)
		return XBT_NULL;
	errno = 0;
	id = strtoul(body, &end, 10);
	if (errno || end == body || *end || id == 0 || id > UINT32_MAX) {
		free(body);
		errno = EPROTO;
		return XBT_NULL;
	}
	free(body);
	return (xs_transaction_t)id;
}

bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort)
{
	struct iovec p = STR(abort ? "F" : "T");

	return talk_ok(h, XS_TRANSACTION_END, t, &p, 1);
}

/* ---- domains ----------------------------------------------------------- */

static bool domid_op(struct xs_handle *h, uint32_t type, unsigned domid, char **reply)
{
	char d[16];
	struct iovec p;

	snprintf(d, sizeof(d), "%u", domid);
	p = STR(d);
	if (reply)
		return (*reply = talk_body(h, type, XBT_NULL, &p, 1, NULL)) != NULL;
	return talk_ok(h, type, XBT_NULL, &p, 1);
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
	return talk_ok(h, XS_INTRODUCE, XBT_NULL, p, 3);
}

bool xs_set_target(struct xs_handle *h, unsigned int domid, unsigned int target)
{
	char d[16], t[16];
	struct iovec p[2];

	snprintf(d, sizeof(d), "%u", domid);
	snprintf(t, sizeof(t), "%u", target);
	p[0] = STR(d);
	p[1] = STR(t);
	return talk_ok(h, XS_SET_TARGET, XBT_NULL, p, 2);
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

	return domid_op(h, XS_GET_DOMAIN_PATH, domid, &path) ? path : NULL;
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

	return talk_body(h, XS_CONTROL, XBT_NULL, p, 2, NULL);
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
