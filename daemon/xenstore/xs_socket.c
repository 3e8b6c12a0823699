/* SPDX-License-Identifier: MIT */
/*
 * Socket glue: the engine on umxd's epoll loop. Bounded work per wakeup
 * (one read per readable connection), EPOLLIN dropped while the engine
 * applies back-pressure, EPOLLOUT only while output is queued.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "peer.h"
#include "umx/internal/clock.h"
#include "umx/log.h"
#include "xs_engine.h"

struct sock_conn {
	struct umxd_xs *xs;
	struct sock_conn *next, *prev;
	struct xs_conn *c;
	struct umxd_io *io;
	int fd;
	uint32_t events;
	bool busy;      /* inside sc_event(): it updates the events itself */
	pid_t pid;      /* toolstack clients: SO_PEERCRED's, for the per-process cap */
	uint64_t rx_ms; /* last input (half-sent frame timeout) */
};

struct umxd_xs {
	struct umxd_loop *loop;
	struct xs_store *st;
	struct sock_conn *conns;
	struct umxd_io *lio, *tio;
	int lfd, tfd;
	char *path;
	bool paused;      /* listener not watched: out of descriptors */
	uint64_t log_ms;  /* last "refusing" message (one per interval) */
	unsigned refused; /* since then */
};

/* The listener cannot take a client (@why): say so at most every 10 s. */
static void refused(struct umxd_xs *xs, const char *why)
{
	uint64_t now = umx_clock_ms();

	xs->refused++;
	if (xs->log_ms && now - xs->log_ms < 10000u)
		return;
	umx_warn("xenstore: %s (%u refused since the last message)", why, xs->refused);
	xs->log_ms = now;
	xs->refused = 0;
}

static void sc_close(struct sock_conn *sc)
{
	struct umxd_xs *xs = sc->xs;
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		xs->conns = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	umxd_io_del(sc->io);
	close(sc->fd);
	xs_conn_free(sc->c);
	free(sc);
}

static void sc_update(struct sock_conn *sc)
{
	void *buf;
	uint32_t ev = 0;
	if (xs_conn_rx_space(sc->c, &buf))
		ev |= EPOLLIN;
	if (xs_conn_tx_pending(sc->c))
		ev |= EPOLLOUT;
	if (xs_conn_broken(sc->c))
		ev = EPOLLOUT; /* wake us to close it */
	if (ev != sc->events && !umxd_io_set_events(sc->io, ev))
		sc->events = ev;
}

static void sc_notify(void *ctx)
{
	struct sock_conn *sc = ctx;
	if (!sc->busy)
		sc_update(sc);
}

/* 0, or -1 when the connection must be closed. */
static int sc_flush(struct sock_conn *sc)
{
	struct iovec iov[32];
	int n;
	while ((n = xs_conn_tx_iov(sc->c, iov, 32)) > 0) {
		ssize_t w = writev(sc->fd, iov, n);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		xs_conn_tx_consume(sc->c, (size_t)w);
	}
	return 0;
}

static void sc_event(struct umxd_io *io, uint32_t events, void *ctx)
{
	struct sock_conn *sc = ctx;
	(void)io;
	sc->busy = true;
	if (xs_conn_broken(sc->c) || (events & EPOLLERR)) {
		sc_close(sc);
		return;
	}
	if ((events & EPOLLOUT) && sc_flush(sc)) {
		sc_close(sc);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP)) {
		void *buf;
		size_t space = xs_conn_rx_space(sc->c, &buf);
		if (space) {
			ssize_t r = read(sc->fd, buf, space);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				sc_close(sc);
				return;
			}
			if (r > 0)
				sc->rx_ms = umx_clock_ms();
			if (r > 0 && xs_conn_rx_commit(sc->c, (size_t)r)) {
				sc_close(sc);
				return;
			}
		} else if (!xs_conn_tx_pending(sc->c) && (events & EPOLLHUP)) {
			sc_close(sc);
			return;
		}
	}
	/* Replies are usually writable at once: skip a loop round. */
	if (xs_conn_tx_pending(sc->c) && sc_flush(sc)) {
		sc_close(sc);
		return;
	}
	/* Input that waited for the output to drain. */
	if (!xs_conn_tx_pending(sc->c) && xs_conn_rx_commit(sc->c, 0)) {
		sc_close(sc);
		return;
	}
	if (xs_conn_broken(sc->c)) {
		sc_close(sc);
		return;
	}
	sc->busy = false;
	sc_update(sc);
}

static int sc_add(struct umxd_xs *xs, int fd, unsigned domid, pid_t pid)
{
	struct sock_conn *sc = calloc(1, sizeof(*sc));
	int fl = fcntl(fd, F_GETFL);
	if (!sc || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		goto err;
	sc->xs = xs;
	sc->pid = pid;
	sc->fd = fd;
	sc->rx_ms = umx_clock_ms();
	sc->c = xs_conn_new(xs->st, domid, NULL, NULL);
	if (!sc->c)
		goto err;
	sc->events = EPOLLIN;
	sc->io = umxd_io_add(xs->loop, fd, sc->events, sc_event, sc);
	if (!sc->io)
		goto err;
	/* Notify only once the io exists. */
	sc->c->notify = sc_notify;
	sc->c->notify_ctx = sc;
	sc->next = xs->conns;
	if (xs->conns)
		xs->conns->prev = sc;
	xs->conns = sc;
	return 0;
err:
	if (sc)
		xs_conn_free(sc->c);
	free(sc);
	close(fd);
	return -ENOMEM;
}

int umxd_xs_attach(struct umxd_xs *xs, int fd, unsigned domid)
{
	int r;

	/* Each connection costs umxd a descriptor: a domain asking for them
	 * without end would exhaust umxd's, so they are capped per domain;
	 * the toolstack's by count and by its memory cap. */
	r = xs_store_conn_admit(xs->st, domid, UMXD_XS_CONNS_PER_DOMAIN);
	if (r < 0) {
		umx_warn("xenstore: domain %u refused one more connection: %s", domid,
		         r == -EMFILE ? "too many" : strerror(-r));
		close(fd);
		return r;
	}
	return sc_add(xs, fd, domid, 0);
}

static unsigned conns_of_pid(const struct umxd_xs *xs, pid_t pid)
{
	unsigned n = 0;

	for (const struct sock_conn *sc = xs->conns; sc; sc = sc->next)
		if (sc->pid == pid && !xs_conn_domid(sc->c))
			n++;
	return n;
}

static void on_accept(struct umxd_io *io, uint32_t events, void *ctx)
{
	struct umxd_xs *xs = ctx;
	(void)io;
	(void)events;
	for (int i = 0; i < 16; i++) {
		int fd = accept4(xs->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			/* Out of descriptors, the listener would fire again at once
			 * for ever: stop watching it until the next tick. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				if (!umxd_io_set_events(xs->lio, 0))
					xs->paused = true;
				refused(xs, "out of descriptors or memory: not accepting clients "
				            "for now");
			}
			return;
		}
		if (umxd_loop_fd_check(xs->loop, fd, UMXD_FD_RESERVE_TOOLSTACK) < 0) {
			close(fd);
			if (!umxd_io_set_events(xs->lio, 0))
				xs->paused = true;
			refused(xs, "descriptors down to umxd's reserve: not accepting clients "
			            "for now");
			return;
		}
		struct ucred cred;
		socklen_t len = sizeof(cred);
		const char *why;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.uid != geteuid()) {
			umx_warn("xenstore: refusing a client of uid %d (pid %d): not our uid",
			         (int)cred.uid, (int)cred.pid);
			close(fd);
			continue;
		}
		if (conns_of_pid(xs, cred.pid) >= XS_DOM0_CONNS_PER_PID) {
			close(fd);
			refused(xs, "a toolstack process is at its connection cap");
			continue;
		}
		if (umxd_peer_check(cred.pid, cred.uid, &why) < 0) {
			umx_warn("xenstore: refusing a client pid %d: %s", (int)cred.pid, why);
			close(fd);
			continue;
		}
		if (xs_store_conn_admit(xs->st, 0, 0) < 0) {
			close(fd);
			refused(xs,
			        "refusing toolstack clients: over the connection or memory cap");
			continue;
		}
		sc_add(xs, fd, 0, cred.pid);
	}
}

static void on_tick(struct umxd_io *io, uint32_t events, void *ctx)
{
	struct umxd_xs *xs = ctx;
	struct sock_conn *sc, *next;
	uint64_t n, now = umx_clock_ms();
	(void)io;
	(void)events;
	if (read(xs->tfd, &n, sizeof(n)) < 0)
		return;
	xs_store_tick(xs->st);
	/* Input held with no output pending is a message begun and never
	 * finished: the peer holds a slot and a buffer for nothing. */
	for (sc = xs->conns; sc; sc = next) {
		next = sc->next;
		if (xs_conn_rx_pending(sc->c) && !xs_conn_tx_pending(sc->c) &&
		    now - sc->rx_ms >= XS_HALF_FRAME_TIMEOUT_MS) {
			umx_warn("xenstore: domain %u connection cut off: a message begun %llu ms "
			         "ago was never finished",
			         xs_conn_domid(sc->c), (unsigned long long)(now - sc->rx_ms));
			sc_close(sc);
		}
	}
	if (xs->paused && !umxd_io_set_events(xs->lio, EPOLLIN))
		xs->paused = false;
}

int umxd_xs_new(struct umxd_loop *loop, const char *socket_path, const struct umxd_xs_hooks *hooks,
                struct umxd_xs **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct itimerspec its = {{1, 0}, {1, 0}};
	struct umxd_xs *xs;
	int err;
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	xs = calloc(1, sizeof(*xs));
	if (!xs)
		return -ENOMEM;
	xs->loop = loop;
	xs->lfd = xs->tfd = -1;
	xs->path = strdup(socket_path);
	err = xs->path ? xs_store_new(hooks, &xs->st) : -ENOMEM;
	if (err)
		goto err;
	strcpy(sa.sun_path, socket_path);
	xs->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (xs->lfd < 0)
		goto err_errno;
	unlink(socket_path);
	mode_t old = umask(077);
	int b = bind(xs->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (b || chmod(socket_path, 0600) || listen(xs->lfd, 64))
		goto err_errno;
	xs->lio = umxd_io_add(loop, xs->lfd, EPOLLIN, on_accept, xs);
	if (!xs->lio)
		goto err_errno;
	xs->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (xs->tfd < 0 || timerfd_settime(xs->tfd, 0, &its, NULL))
		goto err_errno;
	xs->tio = umxd_io_add(loop, xs->tfd, EPOLLIN, on_tick, xs);
	if (!xs->tio)
		goto err_errno;
	*out = xs;
	return 0;
err_errno:
	err = -errno;
err:
	umxd_xs_free(xs);
	return err;
}

void umxd_xs_free(struct umxd_xs *xs)
{
	if (!xs)
		return;
	/* sc_close() unlinks the head; the analyzer cannot see it. */
	// NOLINTBEGIN(clang-analyzer-unix.Malloc)
	while (xs->conns)
		sc_close(xs->conns);
	// NOLINTEND(clang-analyzer-unix.Malloc)
	if (xs->lio)
		umxd_io_del(xs->lio);
	if (xs->tio)
		umxd_io_del(xs->tio);
	if (xs->lfd >= 0) {
		close(xs->lfd);
		unlink(xs->path);
	}
	if (xs->tfd >= 0)
		close(xs->tfd);
	xs_store_free(xs->st);
	free(xs->path);
	free(xs);
}

int umxd_xs_domain_introduce(struct umxd_xs *xs, unsigned domid, const char *name)
{
	return xs_store_domain_introduce(xs->st, domid, name);
}

void umxd_xs_domain_release(struct umxd_xs *xs, unsigned domid)
{
	xs_store_domain_release(xs->st, domid);
}

struct xs_store *umxd_xs_store(struct umxd_xs *xs)
{
	return xs->st;
}
