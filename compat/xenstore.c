/* SPDX-License-Identifier: MIT */
/*
 * Drop-in libxenstore.so.4 (Xen 4.17 ABI, VERS_4.0) speaking xs_wire to
 * umxd's store.
 *
 * Where it connects:
 *  - inside a domain ($UMX_DOMAIN_FD, i.e. under `umx run`): a store
 *    connection of the domain's own, obtained over the domain's umxd
 *    connection, so the store sees the domain's identity (permissions,
 *    quotas) and relative paths resolve under /local/domain/<domid>;
 *  - otherwise $XENSTORED_PATH when set, else the toolstack socket
 *    $UMX_DIR/xenstored (as Xen's would use /var/run/xenstored/socket).
 *
 * Like Xen's library: one request in flight per handle (callers are
 * serialized), request id 0, watch events queued in arrival order. The
 * first xs_watch/xs_read_watch/xs_check_watch/xs_fileno starts a reader
 * thread (all signals blocked) that owns the socket from then on, so
 * events arrive while the caller sleeps; xs_fileno() is a pipe that is
 * readable exactly while events are queued.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>
#include <xenstore.h>

#include "compat.h"
#include "umx/conn.h"
#include "umx/ctl.h"

struct msg {
	struct xsd_sockmsg hdr;
	char *body; /* hdr.len bytes + NUL */
	struct msg *next;
};

struct xs_handle {
	int fd;
	unsigned long flags;
	pthread_mutex_t req_lock; /* one request in flight; socket reads w/o thread */
	pthread_mutex_t lock;     /* everything below */
	pthread_cond_t reply_cond, watch_cond;
	struct msg *reply;
	struct msg *w_head, *w_tail;
	bool broken;
	bool have_thread;
	pthread_t thread;
	int pipe[2]; /* xs_fileno(): readable while events are queued */
};

/* ---- connection -------------------------------------------------------- */

static int connect_path(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int store_connect(void)
{
	const char *env;
	umx_conn *c;
	char path[PATH_MAX];
	int r, n;

	if (umx_conn_open_domain(&c) == 0) {
		int fd = -1;
		unsigned nfds = 0;

		r = umx_conn_call(c, UMX_CTL_XS_CONNECT, NULL, 0, NULL, 0, NULL, &fd, 1, &nfds);
		umx_conn_close(c);
		if (r < 0)
			return r;
		return nfds == 1 ? fd : -EPROTO;
	}
	env = getenv("XENSTORED_PATH");
	if (env && *env)
		return connect_path(env);
	if ((r = umx_conn_open_toolstack(NULL, &c)) < 0)
		return r;
	n = snprintf(path, sizeof(path), "%s/xenstored", umx_conn_dir(c));
	umx_conn_close(c);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return connect_path(path);
}

struct xs_handle *xs_open(unsigned long flags)
{
	struct xs_handle *h;
	int fd = store_connect();

	if (fd < 0) {
		compat_ret(fd);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	h->fd = fd;
	h->flags = flags;
	h->pipe[0] = h->pipe[1] = -1;
	pthread_mutex_init(&h->req_lock, NULL);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->reply_cond, NULL);
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
	msg_free(h->reply);
	if (h->pipe[0] >= 0) {
		close(h->pipe[0]);
		close(h->pipe[1]);
	}
	close(h->fd);
	pthread_cond_destroy(&h->reply_cond);
	pthread_cond_destroy(&h->watch_cond);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->req_lock);
	free(h);
}

void xs_close(struct xs_handle *xsh)
{
	if (!xsh)
		return;
	if (xsh->have_thread) {
		/* The reader sees end of file and exits. */
		shutdown(xsh->fd, SHUT_RDWR);
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

/* ---- messages ---------------------------------------------------------- */

static int read_full(int fd, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

static int read_msg(int fd, struct msg **out)
{
	struct msg *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	if ((r = read_full(fd, &m->hdr, sizeof(m->hdr))) < 0)
		goto err;
	r = -EPROTO;
	if (m->hdr.len > XENSTORE_PAYLOAD_MAX)
		goto err;
	r = -ENOMEM;
	if (!(m->body = malloc(m->hdr.len + 1)))
		goto err;
	if ((r = read_full(fd, m->body, m->hdr.len)) < 0)
		goto err;
	m->body[m->hdr.len] = 0;
	*out = m;
	return 0;
err:
	msg_free(m);
	return r;
}

/* Caller holds h->lock. */
static void queue_watch(struct xs_handle *h, struct msg *m)
{
	m->next = NULL;
	if (h->w_tail)
		h->w_tail->next = m;
	else {
		h->w_head = m;
		if (h->pipe[1] >= 0) {
			char c = 0;
			(void)!write(h->pipe[1], &c, 1);
		}
	}
	h->w_tail = m;
	pthread_cond_broadcast(&h->watch_cond);
}

static void *reader(void *arg)
{
	struct xs_handle *h = arg;
	struct msg *m;

	for (;;) {
		int r = read_msg(h->fd, &m);

		pthread_mutex_lock(&h->lock);
		if (r < 0 || (m->hdr.type != XS_WATCH_EVENT && h->reply)) {
			if (r == 0)
				msg_free(m);
			h->broken = true;
			pthread_cond_broadcast(&h->reply_cond);
			pthread_cond_broadcast(&h->watch_cond);
			pthread_mutex_unlock(&h->lock);
			return NULL;
		}
		if (m->hdr.type == XS_WATCH_EVENT) {
			queue_watch(h, m);
		} else {
			h->reply = m;
			pthread_cond_broadcast(&h->reply_cond);
		}
		pthread_mutex_unlock(&h->lock);
	}
}

static int start_reader(struct xs_handle *h)
{
	sigset_t all, old;
	int r = 0;

	/* With req_lock held nobody is reading the socket right now. */
	pthread_mutex_lock(&h->req_lock);
	if (!h->have_thread) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		r = -pthread_create(&h->thread, NULL, reader, h);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r == 0)
			h->have_thread = true;
	}
	pthread_mutex_unlock(&h->req_lock);
	return r;
}

static int error_of(const char *s)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (!strcmp(s, xsd_errors[i].errstring))
			return -xsd_errors[i].errnum;
	return -EINVAL; /* as Xen's library does for an unknown name */
}

/* Send one request made of @n pieces and wait for its reply. Returns the
 * reply (body NUL-terminated) or -errno, the store's error included. */
static int talk(struct xs_handle *h, uint32_t type, xs_transaction_t t, const struct iovec *pieces,
                unsigned n, struct msg **reply)
{
	struct xsd_sockmsg hdr = {.type = type, .req_id = 0, .tx_id = t, .len = 0};
	struct iovec iov[8];
	struct msghdr mh = {.msg_iov = iov};
	struct msg *m = NULL;
	int r = 0;

	iov[0] = (struct iovec){&hdr, sizeof(hdr)};
	for (unsigned i = 0; i < n; i++) {
		iov[i + 1] = pieces[i];
		hdr.len += (uint32_t)pieces[i].iov_len;
	}
	if (hdr.len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	mh.msg_iovlen = n + 1;

	pthread_mutex_lock(&h->req_lock);
	pthread_mutex_lock(&h->lock);
	if (h->broken)
		r = -ECONNRESET;
	pthread_mutex_unlock(&h->lock);
	if (r < 0)
		goto out;
	for (size_t total = sizeof(hdr) + hdr.len; total;) {
		ssize_t w = sendmsg(h->fd, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			goto broken;
		}
		total -= (size_t)w;
		while (w > 0 && mh.msg_iovlen) {
			if ((size_t)w >= mh.msg_iov->iov_len) {
				w -= (ssize_t)mh.msg_iov->iov_len;
				mh.msg_iov++;
				mh.msg_iovlen--;
			} else {
				mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + w;
				mh.msg_iov->iov_len -= (size_t)w;
				w = 0;
			}
		}
	}
	if (h->have_thread) {
		pthread_mutex_lock(&h->lock);
		while (!h->reply && !h->broken)
			pthread_cond_wait(&h->reply_cond, &h->lock);
		m = h->reply;
		h->reply = NULL;
		pthread_mutex_unlock(&h->lock);
		if (!m) {
			r = -ECONNRESET;
			goto out;
		}
	} else {
		for (;;) {
			if ((r = read_msg(h->fd, &m)) < 0)
				goto broken;
			if (m->hdr.type != XS_WATCH_EVENT)
				break;
			pthread_mutex_lock(&h->lock);
			queue_watch(h, m);
			pthread_mutex_unlock(&h->lock);
		}
	}
	if (m->hdr.type == XS_ERROR) {
		r = error_of(m->body);
		msg_free(m);
		goto out;
	}
	if (m->hdr.type != type) {
		msg_free(m);
		r = -EPROTO;
		goto broken;
	}
	*reply = m;
	goto out;
broken:
	pthread_mutex_lock(&h->lock);
	h->broken = true;
	pthread_mutex_unlock(&h->lock);
out:
	pthread_mutex_unlock(&h->req_lock);
	return r;
}

/* A request whose reply is only checked; sets errno, returns a bool. */
static bool talk_ok(struct xs_handle *h, uint32_t type, xs_transaction_t t,
                    const struct iovec *pieces, unsigned n)
{
	struct msg *m;
	int r = talk(h, type, t, pieces, n, &m);

	if (r < 0)
		return compat_ret(r), false;
	msg_free(m);
	return true;
}

/* A request whose reply body is returned (malloc'd, NUL-terminated). */
static char *talk_body(struct xs_handle *h, uint32_t type, xs_transaction_t t,
                       const struct iovec *pieces, unsigned n, unsigned *len)
{
	struct msg *m = NULL;
	char *body;
	int r = talk(h, type, t, pieces, n, &m);

	if (r < 0 || !m)
		return compat_ret(r < 0 ? r : -EIO), NULL;
	body = m->body;
	if (len)
		*len = m->hdr.len;
	free(m);
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
	unsigned len;
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
	unsigned len, n = 0;
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
		} else if (h->w_head) {
			char c = 0;
			(void)!write(h->pipe[1], &c, 1);
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

	h->w_head = m->next;
	if (!h->w_head) {
		h->w_tail = NULL;
		if (h->pipe[0] >= 0) {
			char c;
			(void)!read(h->pipe[0], &c, 1);
		}
	}
	{
		char *body = m->body;
		unsigned len = m->hdr.len;
		free(m);
		return split(body, len, num);
	}
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
		errno = ECONNRESET;
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
		errno = h->broken ? ECONNRESET : EAGAIN;
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
		const char *tok = plen < m->hdr.len ? m->body + plen + 1 : "";

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
	if (!h->w_head && h->pipe[0] >= 0) {
		char c;
		(void)!read(h->pipe[0], &c, 1);
	}
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
