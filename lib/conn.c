/* SPDX-License-Identifier: MIT */
/* Connections to umxd: open, HELLO, synchronous calls (conn.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "umx/conn.h"
#include "umx/internal/ctl.h"
#include "umx/internal/msg.h"

struct umx_conn {
	int fd;
	uint32_t domid;
	uint32_t next_id;
	unsigned refs;
	int gnt_fd;
	uint32_t gnt_frames;
	char dir[128];
	pthread_mutex_t lock;
	struct umx_msg msg; /* receive buffer, under lock */
};

static pthread_mutex_t domain_conn_lock = PTHREAD_MUTEX_INITIALIZER;
static umx_conn *domain_conn;

int umx_default_dir(char *buf, size_t len)
{
	const char *env = getenv("UMX_DIR");
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (getuid() == 0)
		n = snprintf(buf, len, "/run/umx");
	else if ((env = getenv("XDG_RUNTIME_DIR")) && *env)
		n = snprintf(buf, len, "%s/umx", env);
	else
		n = snprintf(buf, len, "/tmp/umx-%u", (unsigned)getuid());
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

static umx_conn *conn_new(int fd)
{
	umx_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fd;
	c->gnt_fd = -1;
	c->refs = 1;
	c->next_id = 1;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void conn_free(umx_conn *c)
{
	if (c->gnt_fd >= 0)
		close(c->gnt_fd);
	close(c->fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int hello(umx_conn *c)
{
	struct umx_ctl_hello h = {.version = UMX_CTL_VERSION};
	struct umx_ctl_hello_reply r;
	int fd = -1;
	unsigned nfds = 0;
	int ret = umx_conn_call(c, UMX_CTL_HELLO, &h, sizeof(h), UMX_CTL_REPLY_BODY(&r),
	                        UMX_CTL_REPLY_BODY_LEN(&r), NULL, &fd, 1, &nfds);
	if (ret < 0)
		return ret;
	if (r.version != UMX_CTL_VERSION) {
		if (nfds)
			close(fd);
		return -EPROTONOSUPPORT;
	}
	c->domid = r.domid;
	if (nfds) {
		c->gnt_fd = fd;
		c->gnt_frames = r.grant_frames;
	}
	return 0;
}

int umx_conn_unix_connect(const char *path, int type)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int umx_conn_open_toolstack(const char *dir, umx_conn **out)
{
	char buf[128], path[sizeof(buf) + sizeof("/control")];
	umx_conn *c;
	int fd, r;

	if (!dir) {
		if ((r = umx_default_dir(buf, sizeof(buf))) < 0)
			return r;
		dir = buf;
	}
	if (snprintf(path, sizeof(path), "%s/control", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((fd = umx_conn_unix_connect(path, SOCK_SEQPACKET)) < 0)
		return fd;
	c = conn_new(fd);
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	if ((r = hello(c)) < 0) {
		conn_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int umx_conn_open_domain(umx_conn **out)
{
	const char *env;
	char *end;
	long fd;
	int r = 0;

	pthread_mutex_lock(&domain_conn_lock);
	if (domain_conn) {
		domain_conn->refs++;
		*out = domain_conn;
		goto out;
	}
	env = getenv(UMX_DOMAIN_FD_ENV);
	if (!env || !*env) {
		r = -ENOENT;
		goto out;
	}
	errno = 0;
	fd = strtol(env, &end, 10);
	if (errno || *end || fd < 0 || fd > 65535) {
		r = -EINVAL;
		goto out;
	}
	/* A domain's memory holds what its peers granted it and its own
	 * secrets: nothing of the same uid may read it through /proc or
	 * ptrace, and it leaves no core dump behind. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	domain_conn = conn_new((int)fd);
	if (!domain_conn) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = hello(domain_conn)) < 0) {
		/* Not our descriptor to close if HELLO failed: leave it. */
		domain_conn->fd = -1;
		pthread_mutex_destroy(&domain_conn->lock);
		free(domain_conn);
		domain_conn = NULL;
		goto out;
	}
	/* Closing the domain connection is dying: keep it for the process's
	 * life, whatever the callers' opens and closes add up to. */
	domain_conn->refs++;
	*out = domain_conn;
out:
	pthread_mutex_unlock(&domain_conn_lock);
	return r;
}

void umx_conn_close(umx_conn *conn)
{
	if (!conn)
		return;
	pthread_mutex_lock(&domain_conn_lock);
	if (--conn->refs == 0) {
		if (conn == domain_conn)
			domain_conn = NULL;
		conn_free(conn);
	}
	pthread_mutex_unlock(&domain_conn_lock);
}

uint32_t umx_conn_domid(const umx_conn *conn)
{
	return conn->domid;
}

const char *umx_conn_dir(const umx_conn *conn)
{
	return conn->dir;
}

int umx_conn_fd(const umx_conn *conn)
{
	return conn->fd;
}

int umx_conn_grant_table_fd(const umx_conn *conn, uint32_t *frames)
{
	if (conn->gnt_fd < 0)
		return -ENODEV;
	if (frames)
		*frames = conn->gnt_frames;
	return conn->gnt_fd;
}

int umx_conn_call(umx_conn *c, uint32_t type, const void *req, size_t req_len, void *reply,
                  size_t reply_len, size_t *reply_len_out, int *fds, unsigned max_fds,
                  unsigned *nfds)
{
	return umx_conn_call_send_fd(c, type, req, req_len, -1, reply, reply_len, reply_len_out,
	                             fds, max_fds, nfds);
}

int umx_conn_call_send_fd(umx_conn *c, uint32_t type, const void *req, size_t req_len, int send_fd,
                          void *reply, size_t reply_len, size_t *reply_len_out, int *fds,
                          unsigned max_fds, unsigned *nfds)
{
	struct umx_msg *m = &c->msg;
	struct umx_msg_rd rd;
	uint32_t id;
	int32_t result;
	size_t body;
	int r;

	if (nfds)
		*nfds = 0;
	pthread_mutex_lock(&c->lock);
	id = c->next_id++;
	r = umx_msg_send(c->fd, type, id, req, req_len, send_fd >= 0 ? &send_fd : NULL,
	                 send_fd >= 0 ? 1 : 0);
	if (r < 0)
		goto out;
	r = umx_msg_recv(c->fd, m);
	if (r < 0)
		goto out;
	/* The result, then the typed body (its type is the caller's). */
	umx_msg_rd_msg(&rd, m);
	if (m->hdr.type != (type | UMX_CTL_REPLY) || m->hdr.id != id ||
	    UMX_MSG_GET(&rd, &result) < 0 || result > 0) {
		r = -EPROTO;
		goto out_fds;
	}
	if (result < 0) {
		r = result;
		goto out_fds;
	}
	body = rd.len - rd.off;
	if (reply_len_out) {
		if (body > reply_len) {
			r = -EPROTO;
			goto out_fds;
		}
		*reply_len_out = body;
	} else if (body != reply_len) {
		r = -EPROTO;
		goto out_fds;
	}
	(void)umx_msg_get(&rd, reply, body); /* the rest, exactly: cannot fail */
	for (unsigned i = 0; i < m->nfds && fds && i < max_fds; i++) {
		fds[i] = umx_msg_take_fd(m, i);
		if (nfds)
			*nfds = i + 1;
	}
	r = 0;
out_fds:
	umx_msg_close_fds(m);
out:
	pthread_mutex_unlock(&c->lock);
	return r;
}
