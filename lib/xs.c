/* SPDX-License-Identifier: MIT */
/* XenStore client over xs_wire (xs.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "umx/conn.h"
#include "umx/internal/ctl.h"
#include "umx/xs.h"

struct xs_event {
	char *path;
	char *token;
	struct xs_event *next;
};

struct umx_xs {
	int fd;
	uint32_t next_req;
	pthread_mutex_t lock;
	struct xs_event *ev_head, *ev_tail;
	unsigned nev;
	bool broken;
};

static const struct {
	const char *name;
	int err;
} xs_errs[] = {
        {"EINVAL", EINVAL},       {"EACCES", EACCES},   {"EEXIST", EEXIST}, {"EISDIR", EISDIR},
        {"ENOENT", ENOENT},       {"ENOMEM", ENOMEM},   {"ENOSPC", ENOSPC}, {"EIO", EIO},
        {"ENOTEMPTY", ENOTEMPTY}, {"ENOSYS", ENOSYS},   {"EROFS", EROFS},   {"EBUSY", EBUSY},
        {"EAGAIN", EAGAIN},       {"EISCONN", EISCONN}, {"E2BIG", E2BIG},   {"EPERM", EPERM},
        {"EQUOTA", EDQUOT},
};

static int errno_of(const char *s)
{
	for (size_t i = 0; i < sizeof(xs_errs) / sizeof(xs_errs[0]); i++)
		if (!strcmp(s, xs_errs[i].name))
			return -xs_errs[i].err;
	return -EIO;
}

int umx_xs_open_fd(int fd, umx_xs **out)
{
	umx_xs *xs = calloc(1, sizeof(*xs));
	if (!xs) {
		close(fd);
		return -ENOMEM;
	}
	xs->fd = fd;
	xs->next_req = 1;
	pthread_mutex_init(&xs->lock, NULL);
	*out = xs;
	return 0;
}

int umx_xs_open_path(const char *path, umx_xs **out)
{
	int fd = umx_conn_unix_connect(path, SOCK_STREAM);

	return fd < 0 ? fd : umx_xs_open_fd(fd, out);
}

int umx_xs_open(umx_xs **out)
{
	umx_conn *c;
	int r;

	if (umx_conn_open_domain(&c) == 0) {
		int fd = -1;
		unsigned nfds = 0;
		r = umx_conn_call(c, UMX_CTL_XS_CONNECT, NULL, 0, NULL, 0, NULL, &fd, 1, &nfds);
		umx_conn_close(c);
		if (r < 0)
			return r;
		if (nfds != 1)
			return -EPROTO;
		return umx_xs_open_fd(fd, out);
	}
	if ((r = umx_conn_open_toolstack(NULL, &c)) < 0)
		return r;
	{
		char path[160];
		int n = snprintf(path, sizeof(path), "%s/xenstored", umx_conn_dir(c));
		umx_conn_close(c);
		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		return umx_xs_open_path(path, out);
	}
}

void umx_xs_close(umx_xs *xs)
{
	if (!xs)
		return;
	while (xs->ev_head) {
		struct xs_event *e = xs->ev_head;
		xs->ev_head = e->next;
		free(e->path);
		free(e);
	}
	close(xs->fd);
	pthread_mutex_destroy(&xs->lock);
	free(xs);
}

int umx_xs_fd(const umx_xs *xs)
{
	return xs->fd;
}

/* send(MSG_NOSIGNAL) on sockets, so a dead store does not raise SIGPIPE;
 * write() on Xen's /dev/xen/xenbus, which is a character device. */
static ssize_t xs_send(int fd, const void *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
	if (n < 0 && errno == ENOTSOCK)
		n = write(fd, buf, len);
	return n;
}

/* All @len bytes into @rbuf or out of @wbuf (the other one NULL), through
 * signals and short counts; the end of the stream is -ECONNRESET. */
static int xfer_full(int fd, void *rbuf, const void *wbuf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = rbuf ? read(fd, (char *)rbuf + done, len - done)
		                 : xs_send(fd, (const char *)wbuf + done, len - done);
		if (n == 0 && rbuf)
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

static int read_full(int fd, void *buf, size_t len)
{
	return xfer_full(fd, buf, NULL, len);
}

static int write_full(int fd, const void *buf, size_t len)
{
	return xfer_full(fd, NULL, buf, len);
}

/* One message from the store; body malloc'd with a NUL appended. */
static int recv_msg(umx_xs *xs, struct xsd_sockmsg *h, char **body)
{
	int r = read_full(xs->fd, h, sizeof(*h));
	if (r < 0)
		return r;
	if (h->len > XENSTORE_PAYLOAD_MAX)
		return -EPROTO;
	*body = malloc(h->len + 1);
	if (!*body)
		return -ENOMEM;
	if ((r = read_full(xs->fd, *body, h->len)) < 0) {
		free(*body);
		return r;
	}
	(*body)[h->len] = 0;
	return 0;
}

/* Queue a WATCH_EVENT body "path\0token\0". */
static int queue_event(umx_xs *xs, char *body, uint32_t len)
{
	struct xs_event *e;
	size_t plen = strnlen(body, len);

	if (plen >= len || xs->nev >= UMX_XS_EVENTS_MAX) {
		free(body);
		return plen >= len ? -EPROTO : -ENOBUFS;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		free(body);
		return -ENOMEM;
	}
	e->path = body;
	e->token = body + plen + 1;
	if (xs->ev_tail)
		xs->ev_tail->next = e;
	else
		xs->ev_head = e;
	xs->ev_tail = e;
	xs->nev++;
	return 0;
}

int umx_xs_request(umx_xs *xs, uint32_t type, uint32_t tx, const void *payload, size_t len,
                   char **reply, size_t *reply_len)
{
	struct xsd_sockmsg h = {.type = type, .tx_id = tx, .len = (uint32_t)len};
	char *body = NULL;
	int r;

	if (len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	pthread_mutex_lock(&xs->lock);
	if (xs->broken) {
		r = -EPIPE;
		goto out;
	}
	h.req_id = xs->next_req++;
	if ((r = write_full(xs->fd, &h, sizeof(h))) < 0 ||
	    (len && (r = write_full(xs->fd, payload, len)) < 0))
		goto fail;
	for (;;) {
		struct xsd_sockmsg rh;
		if ((r = recv_msg(xs, &rh, &body)) < 0)
			goto fail;
		if (rh.type == XS_WATCH_EVENT && type != XS_WATCH_EVENT) {
			if ((r = queue_event(xs, body, rh.len)) < 0)
				goto fail;
			body = NULL;
			continue;
		}
		if (rh.req_id != h.req_id || (rh.type != type && rh.type != XS_ERROR)) {
			free(body);
			r = -EPROTO;
			goto fail;
		}
		if (rh.type == XS_ERROR) {
			r = errno_of(body);
			free(body);
			goto out;
		}
		if (reply) {
			*reply = body;
			if (reply_len)
				*reply_len = rh.len;
		} else {
			free(body);
		}
		r = 0;
		goto out;
	}
fail:
	xs->broken = true;
out:
	pthread_mutex_unlock(&xs->lock);
	return r;
}

static int path_req(umx_xs *xs, uint32_t type, uint32_t tx, const char *path, char **reply,
                    size_t *reply_len)
{
	return umx_xs_request(xs, type, tx, path, strlen(path) + 1, reply, reply_len);
}

int umx_xs_read(umx_xs *xs, uint32_t tx, const char *path, char **value, size_t *len)
{
	return path_req(xs, XS_READ, tx, path, value, len);
}

int umx_xs_write(umx_xs *xs, uint32_t tx, const char *path, const void *value, size_t len)
{
	size_t plen = strlen(path) + 1;
	char *buf;
	int r;

	if (plen + len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	buf = malloc(plen + len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, path, plen);
	if (len)
		memcpy(buf + plen, value, len);
	r = umx_xs_request(xs, XS_WRITE, tx, buf, plen + len, NULL, NULL);
	free(buf);
	return r;
}

int umx_xs_write_str(umx_xs *xs, uint32_t tx, const char *path, const char *value)
{
	return umx_xs_write(xs, tx, path, value, strlen(value));
}

int umx_xs_mkdir(umx_xs *xs, uint32_t tx, const char *path)
{
	return path_req(xs, XS_MKDIR, tx, path, NULL, NULL);
}

int umx_xs_rm(umx_xs *xs, uint32_t tx, const char *path)
{
	return path_req(xs, XS_RM, tx, path, NULL, NULL);
}

/* Split "a\0b\0" into one allocation: pointers then strings. */
static int split_list(const char *body, size_t len, char ***out, unsigned *count)
{
	unsigned n = 0;
	char **v, *strs;

	for (size_t i = 0; i < len; i++)
		if (!body[i])
			n++;
	if (len && body[len - 1])
		return -EPROTO;
	v = malloc(sizeof(char *) * (n + 1) + len + 1);
	if (!v)
		return -ENOMEM;
	strs = (char *)(v + n + 1);
	memcpy(strs, body, len);
	for (unsigned i = 0, off = 0; i < n; i++) {
		v[i] = strs + off;
		off += (unsigned)strlen(strs + off) + 1;
	}
	v[n] = NULL;
	*out = v;
	*count = n;
	return 0;
}

/* A request on @path whose reply is a list of strings. */
static int list_req(umx_xs *xs, uint32_t type, uint32_t tx, const char *path, char ***out,
                    unsigned *count)
{
	char *body;
	size_t len;
	int r = path_req(xs, type, tx, path, &body, &len);
	if (r < 0)
		return r;
	r = split_list(body, len, out, count);
	free(body);
	return r;
}

int umx_xs_directory(umx_xs *xs, uint32_t tx, const char *path, char ***names, unsigned *count)
{
	return list_req(xs, XS_DIRECTORY, tx, path, names, count);
}

int umx_xs_perm_from_letter(char letter)
{
	switch (letter) {
	case 'n':
		return 0;
	case 'r':
		return UMX_XS_PERM_READ;
	case 'w':
		return UMX_XS_PERM_WRITE;
	case 'b':
		return UMX_XS_PERM_READ | UMX_XS_PERM_WRITE;
	default:
		return -EINVAL;
	}
}

char umx_xs_perm_letter(unsigned perm)
{
	static const char letter[4] = {'n', 'r', 'w', 'b'};
	return letter[perm & (UMX_XS_PERM_READ | UMX_XS_PERM_WRITE)];
}

int umx_xs_get_perms(umx_xs *xs, uint32_t tx, const char *path, char ***perms, unsigned *count)
{
	return list_req(xs, XS_GET_PERMS, tx, path, perms, count);
}

int umx_xs_set_perms(umx_xs *xs, uint32_t tx, const char *path, const char *const *perms,
                     unsigned count)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t len = strlen(path) + 1;

	if (len > sizeof(buf))
		return -E2BIG;
	memcpy(buf, path, len);
	for (unsigned i = 0; i < count; i++) {
		size_t l = strlen(perms[i]) + 1;
		if (len + l > sizeof(buf))
			return -E2BIG;
		memcpy(buf + len, perms[i], l);
		len += l;
	}
	return umx_xs_request(xs, XS_SET_PERMS, tx, buf, len, NULL, NULL);
}

static int two_str_req(umx_xs *xs, uint32_t type, const char *a, const char *b)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t la = strlen(a) + 1, lb = strlen(b) + 1;
	if (la + lb > sizeof(buf))
		return -E2BIG;
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	return umx_xs_request(xs, type, 0, buf, la + lb, NULL, NULL);
}

int umx_xs_watch(umx_xs *xs, const char *path, const char *token)
{
	return two_str_req(xs, XS_WATCH, path, token);
}

int umx_xs_unwatch(umx_xs *xs, const char *path, const char *token)
{
	return two_str_req(xs, XS_UNWATCH, path, token);
}

int umx_xs_read_watch(umx_xs *xs, char **path, char **token, int timeout_ms)
{
	struct xs_event *e;
	int r;

	pthread_mutex_lock(&xs->lock);
	while (!xs->ev_head) {
		struct pollfd p = {.fd = xs->fd, .events = POLLIN};
		struct xsd_sockmsg h;
		char *body;

		if (xs->broken) {
			r = -EPIPE;
			goto out;
		}
		r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			r = r == 0 ? -ETIMEDOUT : -errno;
			goto out;
		}
		if ((r = recv_msg(xs, &h, &body)) < 0) {
			xs->broken = true;
			goto out;
		}
		if (h.type != XS_WATCH_EVENT) {
			/* A reply nobody waits for: the protocol is off. */
			free(body);
			xs->broken = true;
			r = -EPROTO;
			goto out;
		}
		if ((r = queue_event(xs, body, h.len)) < 0) {
			xs->broken = true;
			goto out;
		}
	}
	e = xs->ev_head;
	xs->ev_head = e->next;
	if (!xs->ev_head)
		xs->ev_tail = NULL;
	xs->nev--;
	/* One allocation holds both strings: hand out copies. */
	*path = strdup(e->path);
	*token = strdup(e->token);
	free(e->path);
	free(e);
	r = (*path && *token) ? 0 : -ENOMEM;
	if (r < 0) {
		free(*path);
		free(*token);
	}
out:
	pthread_mutex_unlock(&xs->lock);
	return r;
}

int umx_xs_transaction_start(umx_xs *xs, uint32_t *tx)
{
	char *body;
	unsigned long v;
	char *end;
	int r = umx_xs_request(xs, XS_TRANSACTION_START, 0, "", 1, &body, NULL);
	if (r < 0)
		return r;
	errno = 0;
	v = strtoul(body, &end, 10);
	r = (errno || *end || !*body || v == 0 || v > UINT32_MAX) ? -EPROTO : 0;
	free(body);
	if (r == 0)
		*tx = (uint32_t)v;
	return r;
}

int umx_xs_transaction_end(umx_xs *xs, uint32_t tx, bool commit)
{
	return umx_xs_request(xs, XS_TRANSACTION_END, tx, commit ? "T" : "F", 2, NULL, NULL);
}

int umx_xs_get_domain_path(umx_xs *xs, uint32_t domid, char **path)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%u", domid);
	return path_req(xs, XS_GET_DOMAIN_PATH, 0, buf, path, NULL);
}
