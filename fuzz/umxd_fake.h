/* SPDX-License-Identifier: MIT */
/*
 * Shared by the umxd fuzz targets: one real umxd (made once per process,
 * in a scratch directory) whose request handlers are driven through
 * umxd_dispatch() by fake peers, each a socket pair whose far end the
 * fuzzer holds. Every input starts from the same state: its domains and
 * connections are all torn down after it, through the same paths a
 * domain's death takes, and domids start again at 1.
 *
 * umxd's effects on the world outside its sockets are replaced
 * (struct umxd_effects): a signal is counted, never sent, and DAEMON_STOP
 * only counts. Domains can still be given a real process: a child made
 * once, paused for the process's life, whose pidfd passes every check of
 * DOMAIN_SET_PIDFD; nothing umxd does can reach it, which fake_reset()
 * checks.
 */
#ifndef UMX_FUZZ_UMXD_FAKE_H
#define UMX_FUZZ_UMXD_FAKE_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "umx/log.h"
#include "umxd.h"

struct fake_peer {
	struct umxd_conn *c; /* umxd's end (NULL once dropped) */
	int fd;              /* ours, -1 once closed */
};

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static struct umxd *fake_umxd_;
static char fake_dir_[64];
static pid_t fake_child_ = -1; /* the domains' stand-in process */
static unsigned long fake_signals_, fake_stops_;
/* Introduce fake domains to the store (a target that never touches the
 * store clears it: introducing and releasing a domain's 18 nodes was most
 * of what each input cost). */
static bool fake_store_ = true;

static int fake_signal(void *ctx, int pidfd, int sig)
{
	(void)ctx;
	(void)sig;
	fake_signals_++;
	/* What the kernel would say of a descriptor that is not a pidfd. */
	return fcntl(pidfd, F_GETFD) < 0 ? -EBADF : 0;
}

static void fake_stop(void *ctx, struct umxd *u)
{
	(void)ctx;
	(void)u;
	fake_stops_++;
}

static void fake_exit(void)
{
	umxd_free(fake_umxd_);
	fake_umxd_ = NULL;
	rmdir(fake_dir_);
	if (fake_child_ > 0) {
		kill(fake_child_, SIGKILL);
		waitpid(fake_child_, NULL, 0);
	}
}

/* A pidfd of the stand-in process (-1 if it cannot be had). */
static inline int fake_pidfd(void)
{
	return fake_child_ > 0 ? (int)syscall(SYS_pidfd_open, fake_child_, 0) : -1;
}

/* The process's umxd (aborts if it cannot be made: nothing to fuzz). */
static struct umxd *fake_umxd(void)
{
	struct umxd_options o = {0};
	sigset_t mask;

	if (fake_umxd_)
		return fake_umxd_;
	umx_log_set_level(UMX_LOG_ERR); /* the handlers' info lines are noise here */
	snprintf(fake_dir_, sizeof(fake_dir_), "/tmp/umx-fuzz-XXXXXX");
	CHECK(mkdtemp(fake_dir_));
	o.dir = fake_dir_;
	/* Before umxd exists: the stand-in holds none of its descriptors. */
	fake_child_ = fork();
	if (fake_child_ == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the fuzzer */
		for (;;)
			pause();
	}
	CHECK(umxd_new(&o, &fake_umxd_) == 0);
	fake_umxd_->fx.signal = fake_signal;
	fake_umxd_->fx.stop = fake_stop;
	/* umxd_new() blocks these for its signalfd; the fuzzer wants them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	atexit(fake_exit);
	return fake_umxd_;
}

/* A connection for @dom (NULL: the toolstack), as umxd makes them. */
static int fake_connect(struct umxd *u, struct umxd_domain *dom, struct fake_peer *p)
{
	int sv[2];

	p->c = NULL;
	p->fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		return -1;
	p->c = umxd_conn_add_domain(u, sv[0], dom);
	if (!p->c) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	p->fd = sv[1];
	/* As accept() would have it: the client is this process (so the
	 * stand-in, our child, passes DOMAIN_SET_PIDFD's descendant check). */
	p->c->peer_pid = getpid();
	if (dom) {
		dom->conn = p->c;
		if (fake_store_)
			umxd_store_domain_introduce(dom);
	}
	return 0;
}

/* A new domain with its connection; NULL if umxd refused. */
static struct umxd_domain *fake_domain(struct umxd *u, const char *name, struct fake_peer *p)
{
	struct umxd_domain *dom;

	p->c = NULL;
	p->fd = -1;
	if (umxd_domain_create(u, name, 1, NULL, &dom) < 0)
		return NULL;
	if (fake_connect(u, dom, p) < 0) {
		dom->state = UMX_DOM_DEAD;
		umxd_domain_unref(dom);
		return NULL;
	}
	return dom;
}

/* Peers whose connection umxd dropped (a bad request, a domain destroyed
 * or dead) forget it before umxd_reap() frees it. Call after anything that
 * may drop connections, before the next reap. */
static void fake_forget_dropped(struct fake_peer *peers, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (peers[i].c && peers[i].c->closing)
			peers[i].c = NULL;
}

static struct umx_msg fake_msg_;

/* Read and discard umxd's replies to @p, closing every descriptor that
 * came with them. With @cb, each reply's payload is shown to it first. */
static void fake_drain(struct fake_peer *p, void (*cb)(const struct umx_msg *m, void *ctx),
                       void *ctx)
{
	if (p->fd < 0)
		return;
	while (umx_msg_recv(p->fd, &fake_msg_) == 0) {
		if (cb)
			cb(&fake_msg_, ctx);
		umx_msg_close_fds(&fake_msg_);
	}
}

/* One request from @p, through the same dispatch as a socket's, with @fd
 * attached (taken; -1: none); a request that breaks the protocol drops the
 * connection, as conn_input() would. */
static void fake_request_fd(struct fake_peer *p, uint32_t type, uint32_t id, const void *payload,
                            size_t len, int fd)
{
	static struct umx_msg m;
	const char *why;

	if (!p->c || p->c->closing) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (len > sizeof(m.payload))
		len = sizeof(m.payload);
	memset(&m.hdr, 0, sizeof(m.hdr));
	m.hdr.type = type;
	m.hdr.len = (uint32_t)len;
	m.hdr.id = id;
	memcpy(m.payload, payload, len);
	m.nfds = fd >= 0;
	m.fds[0] = fd;
	why = umxd_dispatch(p->c, &m);
	umx_msg_close_fds(&m);
	if (why)
		umxd_conn_drop(p->c, why);
}

/* The same, with /dev/null attached if @with_fd. */
static void fake_request(struct fake_peer *p, uint32_t type, uint32_t id, const void *payload,
                         size_t len, bool with_fd)
{
	fake_request_fd(p, type, id, payload, len,
	                with_fd ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1);
}

/* Let umxd's loop handle what the input left pending (closed peers, store
 * connections cut off), without blocking. */
static void fake_settle(struct umxd *u, struct fake_peer *peers, unsigned n)
{
	for (int i = 0; i < 32; i++) {
		int r = umxd_loop_once(u->loop, 0);
		fake_forget_dropped(peers, n);
		umxd_reap(u);
		if (r <= 0)
			break;
	}
}

/* Tear down everything the input made: the peers go away (every domain
 * dies, every toolstack connection closes), then umxd must hold nothing. */
static void fake_reset(struct umxd *u, struct fake_peer *peers, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (peers[i].fd >= 0)
			close(peers[i].fd);
		peers[i].fd = -1;
	}
	/* Connections made by handlers (DOMAIN_CREATE) whose far ends went
	 * with the replies we closed: the loop sees them end. */
	while (u->conns)
		umxd_conn_drop(u->conns, "fuzz input done");
	fake_forget_dropped(peers, n);
	fake_settle(u, peers, n);
	/* The processes of domains given the stand-in end, as far as umxd
	 * can tell (their pidfds would now be readable). */
	for (uint32_t d = UMXD_DOMID_FIRST; d < u->next_domid; d++)
		if (u->domains[d] && u->domains[d]->proc_io)
			umxd_domain_proc_ended(u->domains[d]);
	/* Everything gone: no domain record can be held by anything now. */
	CHECK(u->ndomains == 0);
	/* Nothing umxd did reached the stand-in process. */
	CHECK(fake_child_ < 0 || waitpid(fake_child_, NULL, WNOHANG) == 0);
	CHECK(u->ntoolstack == 0);
	u->next_domid = UMXD_DOMID_FIRST;
}

#endif
