/* SPDX-License-Identifier: MIT */
/*
 * The control socket, connections and request dispatch. Every request from
 * every client passes through conn_input(): framing is checked by
 * umx_msg_recv(), the sender's right to the request by the dispatch table,
 * and the payload by the handler's exact-length getters. A client that
 * breaks the protocol is dropped with a logged reason; nothing else is
 * disturbed.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "umx/internal/clock.h"
#include "umx/conn.h"
#include "umx/log.h"
#include "peer.h"
#include "trace.h"
#include "umxd.h"

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

enum who {
	WHO_DOM0 = 1,
	WHO_DOMU = 2,
	WHO_ANY = 3
};

static int h_hello(struct umxd_conn *c, struct umx_msg *m);
static int h_daemon_info(struct umxd_conn *c, struct umx_msg *m);
static int h_daemon_stop(struct umxd_conn *c, struct umx_msg *m);

static const struct {
	uint32_t type;
	enum who who;
	umxd_handler_fn fn;
} handlers[] = {
        {UMX_CTL_HELLO, WHO_ANY, h_hello},
        {UMX_CTL_DOMAIN_CREATE, WHO_DOM0, umxd_h_domain_create},
        {UMX_CTL_DOMAIN_SET_PIDFD, WHO_DOM0, umxd_h_domain_set_pidfd},
        {UMX_CTL_DOMAIN_EXITED, WHO_DOM0, umxd_h_domain_exited},
        {UMX_CTL_DOMAIN_LIST, WHO_DOM0, umxd_h_domain_list},
        {UMX_CTL_DOMAIN_DESTROY, WHO_DOM0, umxd_h_domain_destroy},
        {UMX_CTL_DOMAIN_WAIT, WHO_DOM0, umxd_h_domain_wait},
        {UMX_CTL_DOMAIN_SIGNAL, WHO_DOM0, umxd_h_domain_signal},
        {UMX_CTL_DOMAIN_STATS, WHO_DOM0, umxd_h_domain_stats},
        {UMX_CTL_DAEMON_INFO, WHO_ANY, h_daemon_info},
        {UMX_CTL_DAEMON_STOP, WHO_DOM0, h_daemon_stop},
        {UMX_CTL_TRACE_OPEN, WHO_DOM0, umxd_h_trace_open},
        {UMX_CTL_TRACE_FLAGS, WHO_DOMU, umxd_h_trace_flags},
        {UMX_CTL_TRACE_REPORT, WHO_DOMU, umxd_h_trace_report},
        {UMX_CTL_GNT_REGION_ALLOC, WHO_DOMU, umxd_h_gnt_region_alloc},
        {UMX_CTL_GNT_REGION_FREE, WHO_DOMU, umxd_h_gnt_region_free},
        {UMX_CTL_GNT_MAP, WHO_DOMU, umxd_h_gnt_map},
        {UMX_CTL_GNT_UNMAP, WHO_DOMU, umxd_h_gnt_unmap},
        {UMX_CTL_GNT_COPY, WHO_DOMU, umxd_h_gnt_copy},
        {UMX_CTL_GNT_SHARE_NOTIFY, WHO_DOMU, umxd_h_gnt_share_notify},
        {UMX_CTL_GNT_UNSHARE, WHO_DOMU, umxd_h_gnt_unshare},
        {UMX_CTL_GNT_REGION_STATUS, WHO_DOMU, umxd_h_gnt_region_status},
        {UMX_CTL_GNT_REGION_SEAL, WHO_DOMU, umxd_h_gnt_region_seal},
        {UMX_CTL_GNT_FORGET, WHO_DOMU, umxd_h_gnt_forget},
        {UMX_CTL_GNT_UNMAP_RING, WHO_DOMU, umxd_h_gnt_unmap_ring},
        {UMX_CTL_GNT_SYNC, WHO_DOMU, umxd_h_gnt_sync},
        {UMX_CTL_EVT_ALLOC_UNBOUND, WHO_DOMU, umxd_h_evt_alloc_unbound},
        {UMX_CTL_EVT_BIND_INTERDOMAIN, WHO_DOMU, umxd_h_evt_bind_interdomain},
        {UMX_CTL_EVT_CLOSE, WHO_DOMU, umxd_h_evt_close},
        {UMX_CTL_EVT_STATUS, WHO_DOMU, umxd_h_evt_status},
        {UMX_CTL_EVT_OPEN, WHO_DOMU, umxd_h_evt_open},
        {UMX_CTL_EVT_HANDLE_CLOSE, WHO_DOMU, umxd_h_evt_handle_close},
        {UMX_CTL_EVT_NOTIFY, WHO_DOMU, umxd_h_evt_notify},
        {UMX_CTL_XS_CONNECT, WHO_ANY, umxd_h_xs_connect},
};

/* A reply's payload: the result, then the handler's typed body. */
static int reply_send(struct umxd_conn *conn, uint32_t type, uint32_t id, int32_t result,
                      const void *body, size_t body_len, const int *fds, unsigned nfds)
{
	uint8_t buf[UMX_MSG_MAX_PAYLOAD];
	struct umx_msg_wr w;
	int r;

	umx_msg_wr_init(&w, buf, sizeof(buf));
	UMX_MSG_PUT(&w, &result);
	umx_msg_put(&w, body, body_len);
	if ((r = umx_msg_wr_end(&w)) < 0)
		return r;
	return umx_msg_send(conn->fd, type | UMX_CTL_REPLY, id, w.p, w.len, fds, nfds);
}

int umxd_reply_to(struct umxd_conn *conn, uint32_t type, uint32_t id, int32_t result,
                  const void *body, size_t body_len)
{
	return reply_send(conn, type, id, result, body, body_len, NULL, 0);
}

int umxd_reply(struct umxd_conn *conn, const struct umx_msg *req, int32_t result, const void *body,
               size_t body_len, const int *fds, unsigned nfds)
{
	int r;

	umxd_trace_reply(conn, req, result, body, body_len);
	if (conn->closing)
		return 0;
	r = reply_send(conn, req->hdr.type, req->hdr.id, result, body, body_len, fds, nfds);
	if (r == -EMSGSIZE)
		return r; /* our own body does not fit: the handler's bug */
	if (r == -EAGAIN) {
		/* Replies are one per request; a client that lets them pile
		 * up past the socket buffer is not reading them. */
		umxd_conn_drop(conn, "client does not read its replies");
		return 0;
	}
	if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		umx_warn("reply to %s failed: %s", conn->dom ? "domain" : "toolstack",
		         strerror(-r));
	return 0;
}

/* O(1): a destroy among thousands of domains must not walk their
 * connections. */
static void conn_unlink(struct umxd_conn *conn)
{
	*conn->pprev = conn->next;
	if (conn->next)
		conn->next->pprev = conn->pprev;
}

/* Why every connection ends when umxd stops: expected, so a toolstack
 * client dropped for it (the `umx daemon stop` that asked, say) is no
 * warning. */
static const char why_shutdown[] = "daemon shutting down";

void umxd_conn_drop(struct umxd_conn *conn, const char *why)
{
	if (conn->closing)
		return;
	conn->closing = true;
	umxd_io_del(conn->io);
	conn->io = NULL;
	close(conn->fd);
	conn->fd = -1;
	if (conn->domain_conn) {
		struct umxd_domain *dom = conn->dom;
		if (!dom)
			goto out; /* the domain is already dying and dropped us */
		umx_info("domain %u (%s): connection closed: %s", dom->domid, dom->name, why);
		dom->conn = NULL;
		conn->dom = NULL;
		umxd_domain_died(dom, why);
	} else {
		if (why == why_shutdown)
			umx_debug("toolstack client pid %d dropped: %s", (int)conn->peer_pid, why);
		else if (strcmp(why, "end of stream") != 0)
			umx_warn("toolstack client pid %d dropped: %s", (int)conn->peer_pid, why);
		conn->umxd->ntoolstack--;
		umxd_domain_forget_conn(conn->umxd, conn);
	}
out:
	/* Freed after the loop round: a caller up the stack may still hold it. */
	conn_unlink(conn);
	conn->next = conn->umxd->dead_conns;
	conn->umxd->dead_conns = conn;
}

void umxd_reap(struct umxd *umxd)
{
	while (umxd->dead_conns) {
		struct umxd_conn *c = umxd->dead_conns;
		umxd->dead_conns = c->next;
		free(c);
		umxd->freed_objects++;
	}
}

static int h_hello(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_hello h;
	struct umx_ctl_hello_reply r = {0};
	int fd = -1;

	if (umx_msg_get_exact(m, &h, sizeof(h)) < 0)
		return -EBADMSG;
	if (h.version != UMX_CTL_VERSION) {
		umxd_reply(c, m, -EPROTONOSUPPORT, NULL, 0, NULL, 0);
		return -EPROTONOSUPPORT;
	}
	c->hello = true;
	r.version = UMX_CTL_VERSION;
	r.page_size = UMX_PAGE_SIZE;
	if (c->dom) {
		r.domid = c->dom->domid;
		r.grant_frames = umxd_gnt_table_frames(c->dom);
		fd = umxd_gnt_table_fd(c->dom);
		if (c->dom->state == UMX_DOM_STARTING)
			c->dom->state = UMX_DOM_RUNNING;
	}
	return umxd_reply(c, m, 0, UMX_CTL_REPLY_BODY(&r), UMX_CTL_REPLY_BODY_LEN(&r),
	                  fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0);
}

static int h_daemon_info(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_info_reply r = {0};
	if (m->hdr.len != 0)
		return -EBADMSG;
	r.version = UMX_CTL_VERSION;
	r.pid = (int32_t)getpid();
	r.domains = c->umxd->ndomains;
	snprintf(r.dir, sizeof(r.dir), "%s", c->umxd->dir);
	snprintf(r.xs_socket, sizeof(r.xs_socket), "%s", c->umxd->xs_path);
	return umxd_reply(c, m, 0, UMX_CTL_REPLY_BODY(&r), UMX_CTL_REPLY_BODY_LEN(&r), NULL, 0);
}

static int h_daemon_stop(struct umxd_conn *c, struct umx_msg *m)
{
	if (m->hdr.len != 0)
		return -EBADMSG;
	umx_info("stop requested by toolstack pid %d", (int)c->peer_pid);
	c->umxd->fx.stop(c->umxd->fx.ctx, c->umxd);
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

size_t umxd_request_type_count(void)
{
	return sizeof(handlers) / sizeof(handlers[0]);
}

uint32_t umxd_request_type(size_t i)
{
	return i < umxd_request_type_count() ? handlers[i].type : 0;
}

const char *umxd_dispatch(struct umxd_conn *c, struct umx_msg *m)
{
	enum who me = c->domain_conn ? WHO_DOMU : WHO_DOM0;
	int r;

	if (m->hdr.type & UMX_CTL_REPLY)
		return "sent a reply as a request";
	if (!c->hello && m->hdr.type != UMX_CTL_HELLO)
		return "request before HELLO";
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (handlers[i].type != m->hdr.type)
			continue;
		if (!(handlers[i].who & me)) {
			umxd_reply(c, m, -EPERM, NULL, 0, NULL, 0);
			return NULL;
		}
		umxd_trace_request(c, m);
		r = handlers[i].fn(c, m);
		if (r == -EBADMSG)
			return "malformed request payload";
		if (r < 0)
			return "protocol violation";
		return NULL;
	}
	return "unknown request type";
}

static void conn_input(struct umxd_io *io, uint32_t events, void *ctx)
{
	struct umxd_conn *c = ctx;
	static struct umx_msg msg; /* one loop, one thread: no reentrancy */

	(void)io;
	for (unsigned i = 0; i < UMXD_MSGS_PER_WAKEUP && !c->closing; i++) {
		int r = umx_msg_recv(c->fd, &msg);
		const char *why;

		if (r == -EAGAIN)
			return;
		if (r == -ECONNRESET) {
			umxd_conn_drop(c, "end of stream");
			return;
		}
		if (r < 0) {
			umxd_conn_drop(c, r == -EBADMSG ? "malformed message framing"
			                                : "receive error");
			return;
		}
		why = umxd_dispatch(c, &msg);
		umx_msg_close_fds(&msg); /* no request passes descriptors to us */
		if (why) {
			umx_debug("request type %#x id %u rejected: %s", msg.hdr.type, msg.hdr.id,
			          why);
			umxd_conn_drop(c, why);
			return;
		}
	}
	if (!c->closing && (events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN))
		umxd_conn_drop(c, "end of stream");
}

static struct umxd_conn *conn_add(struct umxd *umxd, int fd, struct umxd_domain *dom)
{
	struct umxd_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->umxd = umxd;
	c->fd = fd;
	c->dom = dom;
	c->domain_conn = dom != NULL;
	c->since_ms = umx_clock_ms();
	c->io = umxd_io_add(umxd->loop, fd, EPOLLIN, conn_input, c);
	if (!c->io) {
		free(c);
		return NULL;
	}
	c->next = umxd->conns;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &umxd->conns;
	umxd->conns = c;
	if (!dom)
		umxd->ntoolstack++;
	return c;
}

/* Used by domain.c: register umxd's end of a new domain's connection. */
struct umxd_conn *umxd_conn_add_domain(struct umxd *umxd, int fd, struct umxd_domain *dom)
{
	return conn_add(umxd, fd, dom);
}

/* Something keeps the control socket from taking clients (@why): say so at
 * most once per UMXD_LOG_INTERVAL_MS, with how many were turned away. */
static void ctl_refused(struct umxd *umxd, const char *why)
{
	uint64_t now = umx_clock_ms();

	umxd->ctl_refused++;
	if (umxd->ctl_log_ms && now - umxd->ctl_log_ms < UMXD_LOG_INTERVAL_MS)
		return;
	umx_warn("control socket: %s (%u refused since the last message)", why, umxd->ctl_refused);
	umxd->ctl_log_ms = now;
	umxd->ctl_refused = 0;
}

/* Out of descriptors: a listener left armed would fire again at once, for
 * ever (accept fails before it takes the client off the queue). Stop
 * watching it until umxd_tick(); clients wait in the backlog meanwhile. */
static void ctl_pause(struct umxd *umxd, const char *why)
{
	if (!umxd->ctl_paused && umxd_io_set_events(umxd->ctl_io, 0) == 0)
		umxd->ctl_paused = true;
	ctl_refused(umxd, why);
}

static unsigned conns_of_pid(const struct umxd *umxd, pid_t pid)
{
	unsigned n = 0;

	for (const struct umxd_conn *c = umxd->conns; c; c = c->next)
		if (!c->domain_conn && c->peer_pid == pid)
			n++;
	return n;
}

static void ctl_accept(struct umxd_io *io, uint32_t events, void *ctx)
{
	struct umxd *umxd = ctx;
	(void)io;
	(void)events;
	for (int i = 0; i < 16; i++) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		const char *why;
		int fd = accept4(umxd->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct umxd_conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				ctl_pause(umxd, "out of descriptors or memory: not accepting "
				                "clients for now");
			else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				umx_warn("accept: %s", strerror(errno));
			return;
		}
		if (umxd_loop_fd_check(umxd->loop, fd, UMXD_FD_RESERVE_TOOLSTACK) < 0) {
			close(fd);
			ctl_pause(umxd, "descriptors down to umxd's reserve: not accepting "
			                "clients for now");
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != umxd->uid && cred.uid != 0)) {
			umx_warn("refused control client pid %d uid %u: not uid %u", (int)cred.pid,
			         (unsigned)cred.uid, (unsigned)umxd->uid);
			close(fd);
			continue;
		}
		if (umxd->ntoolstack >= UMXD_TOOLSTACK_CONNS_MAX) {
			close(fd);
			ctl_refused(umxd, "toolstack connection cap reached: refusing clients");
			continue;
		}
		/* One process may not take every slot. */
		if (conns_of_pid(umxd, cred.pid) >= UMXD_TOOLSTACK_CONNS_PER_PID) {
			close(fd);
			ctl_refused(umxd, "a toolstack process is at its connection cap: "
			                  "refusing it more");
			continue;
		}
		if (umxd_peer_check(cred.pid, cred.uid, &why) < 0) {
			umx_warn("refused control client pid %d uid %u: %s", (int)cred.pid,
			         (unsigned)cred.uid, why);
			close(fd);
			continue;
		}
		c = conn_add(umxd, fd, NULL);
		if (!c) {
			close(fd);
			continue;
		}
		c->peer_pid = cred.pid;
	}
}

void umxd_tick(struct umxd *umxd, uint64_t now_ms)
{
	struct umxd_conn *c, *next;

	/* A client that connects and never says HELLO holds a descriptor
	 * and a slot for nothing. Domains' own connections are exempt: a
	 * domain's process may take long to start, and dies with them. */
	for (c = umxd->conns; c; c = next) {
		next = c->next;
		if (!c->domain_conn && !c->hello && !c->closing &&
		    now_ms - c->since_ms >= UMXD_HELLO_TIMEOUT_MS)
			umxd_conn_drop(c, "no HELLO in time");
	}
	/* Retry accepting: if descriptors are still short it pauses again,
	 * once per tick at most. */
	if (umxd->ctl_paused && umxd_io_set_events(umxd->ctl_io, EPOLLIN) == 0)
		umxd->ctl_paused = false;
	/* After a burst (domains or clients gone), hand the freed heap back
	 * to the system: otherwise RSS stays at the burst's peak. */
	if (umxd->freed_objects >= 32 || (umxd->freed_objects && !umxd->ndomains)) {
		malloc_trim(0);
		umxd->freed_objects = 0;
	}
}

static void sig_input(struct umxd_io *io, uint32_t events, void *ctx)
{
	struct umxd *umxd = ctx;
	struct signalfd_siginfo si;
	(void)io;
	(void)events;
	while (read(umxd->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			umx_info("signal %u: shutting down", si.ssi_signo);
			umxd->fx.stop(umxd->fx.ctx, umxd);
		}
	}
}

static int make_dir(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
		umx_err("%s is not a directory owned by uid %u", dir, (unsigned)getuid());
		return -EPERM;
	}
	if ((st.st_mode & 0777) != 0700 && chmod(dir, 0700) < 0)
		return -errno;
	return 0;
}

static int listen_unix(const char *path, int type)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 128) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int real_signal(void *ctx, int pidfd, int sig)
{
	(void)ctx;
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

static void real_stop(void *ctx, struct umxd *umxd)
{
	(void)ctx;
	umxd_loop_stop(umxd->loop);
}

int umxd_new(const struct umxd_options *opt, struct umxd **out)
{
	struct umxd *umxd = calloc(1, sizeof(*umxd));
	sigset_t mask;
	int r;

	if (!umxd)
		return -ENOMEM;
	umxd->ctl_fd = umxd->sig_fd = -1;
	umxd->fx.signal = real_signal;
	umxd->fx.stop = real_stop;
	umxd->uid = getuid();
	umxd->next_domid = UMXD_DOMID_FIRST;
	umxd->domid_last =
	        opt && opt->max_domid >= UMXD_DOMID_FIRST && opt->max_domid < UMXD_DOMID_LAST
	                ? opt->max_domid
	                : UMXD_DOMID_LAST;
	umxd->xs_toolstack_memory = opt ? opt->xs_toolstack_memory : 0;
	umxd->next_region_id = 1;
	if (opt && opt->dir)
		r = snprintf(umxd->dir, sizeof(umxd->dir), "%s", opt->dir) < (int)sizeof(umxd->dir)
		            ? 0
		            : -ENAMETOOLONG;
	else
		r = umx_default_dir(umxd->dir, sizeof(umxd->dir));
	if (r < 0)
		goto err;
	if (strlen(umxd->dir) >= UMXD_DIR_MAX - 1) {
		r = -ENAMETOOLONG;
		goto err;
	}
	snprintf(umxd->ctl_path, sizeof(umxd->ctl_path), "%s/control", umxd->dir);
	snprintf(umxd->xs_path, sizeof(umxd->xs_path), "%s/xenstored", umxd->dir);
	if ((r = make_dir(umxd->dir)) < 0)
		goto err;
	if ((r = umxd_loop_new(&umxd->loop)) < 0)
		goto err;

	/* Refuse to start over a live daemon: its socket would be stolen. */
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		memcpy(sa.sun_path, umxd->ctl_path, strlen(umxd->ctl_path) + 1);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			umx_err("another umxd is running in %s", umxd->dir);
			r = -EADDRINUSE;
			goto err;
		}
		if (probe >= 0)
			close(probe);
	}
	if ((r = listen_unix(umxd->ctl_path, SOCK_SEQPACKET)) < 0)
		goto err;
	umxd->ctl_fd = r;
	umxd->ctl_io = umxd_io_add(umxd->loop, umxd->ctl_fd, EPOLLIN, ctl_accept, umxd);
	if (!umxd->ctl_io) {
		r = -errno;
		goto err;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	umxd->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (umxd->sig_fd < 0) {
		r = -errno;
		goto err;
	}
	umxd->sig_io = umxd_io_add(umxd->loop, umxd->sig_fd, EPOLLIN, sig_input, umxd);
	if (!umxd->sig_io) {
		r = -errno;
		goto err;
	}
	if ((r = umxd_store_start(umxd)) < 0)
		goto err;
	*out = umxd;
	return 0;
err:
	umxd_free(umxd);
	return r;
}

void umxd_free(struct umxd *umxd)
{
	if (!umxd)
		return;
	/* Domains are told by losing their connection; toolstack clients too. */
	while (umxd->conns)
		umxd_conn_drop(umxd->conns, why_shutdown);
	for (uint32_t d = UMXD_DOMID_FIRST; d <= UMXD_DOMID_LAST; d++) {
		struct umxd_domain *dom = umxd->domains[d];
		if (dom) {
			umxd_domain_proc_release(dom);
			umxd_gnt_domain_release(dom);
			umxd_evt_domain_release(dom);
			umxd_gnt_domain_free(dom);
			umxd_evt_domain_free(dom);
			free(dom);
			umxd->domains[d] = NULL;
		}
	}
	umxd_trace_free(umxd);
	umxd_store_stop(umxd);
	umxd_reap(umxd);
	if (umxd->ctl_io)
		umxd_io_del(umxd->ctl_io);
	if (umxd->sig_io)
		umxd_io_del(umxd->sig_io);
	if (umxd->ctl_fd >= 0) {
		close(umxd->ctl_fd);
		unlink(umxd->ctl_path);
	}
	if (umxd->sig_fd >= 0)
		close(umxd->sig_fd);
	umxd_loop_free(umxd->loop);
	free(umxd);
}

int umxd_run(struct umxd *umxd)
{
	umx_info("umxd %s ready: control %s, xenstore %s", UMX_VERSION, umxd->ctl_path,
	         umxd->xs_path);
	umxd->next_tick_ms = umx_clock_ms() + UMXD_TICK_MS;
	while (!umxd_loop_stopping(umxd->loop)) {
		uint64_t now = umx_clock_ms();
		int r = umxd_loop_once(umxd->loop, now >= umxd->next_tick_ms
		                                           ? 0
		                                           : (int)(umxd->next_tick_ms - now));
		umxd_reap(umxd);
		if (r < 0)
			return r;
		now = umx_clock_ms();
		if (now >= umxd->next_tick_ms) {
			umxd_tick(umxd, now);
			umxd_reap(umxd);
			umxd->next_tick_ms = now + UMXD_TICK_MS;
		}
	}
	return 0;
}
