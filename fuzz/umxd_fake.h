/* SPDX-License-Identifier: MIT */
/*
 * Shared by the umxd fuzz targets: one real umxd (made once per process,
 * in a scratch directory) whose request handlers are driven through
 * umxd_dispatch() by fake peers, each a socket pair whose far end the
 * fuzzer holds. Every input starts from the same state: its domains and
 * connections are all torn down after it, through the same paths a
 * domain's death takes, and domids start again at 1.
 */
#ifndef UMX_FUZZ_UMXD_FAKE_H
#define UMX_FUZZ_UMXD_FAKE_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "umx/log.h"
#include "umxd.h"

struct fake_peer {
	struct umxd_conn *c; /* umxd's end (NULL once dropped) */
	int fd;              /* ours, -1 once closed */
};

static struct umxd *fake_umxd_;
static char fake_dir_[64];

static void fake_exit(void)
{
	umxd_free(fake_umxd_);
	fake_umxd_ = NULL;
	rmdir(fake_dir_);
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
	CHECK(umxd_new(&o, &fake_umxd_) == 0);
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
	if (dom) {
		dom->conn = p->c;
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

/* One request from @p, through the same dispatch as a socket's; a request
 * that breaks the protocol drops the connection, as conn_input() would. */
static void fake_request(struct fake_peer *p, uint32_t type, uint32_t id, const void *payload,
                         size_t len, bool with_fd)
{
	static struct umx_msg m;
	const char *why;

	if (!p->c || p->c->closing)
		return;
	if (len > sizeof(m.payload))
		len = sizeof(m.payload);
	memset(&m.hdr, 0, sizeof(m.hdr));
	m.hdr.type = type;
	m.hdr.len = (uint32_t)len;
	m.hdr.id = id;
	memcpy(m.payload, payload, len);
	m.nfds = 0;
	if (with_fd) {
		m.fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		m.nfds = m.fds[0] >= 0;
	}
	why = umxd_dispatch(p->c, &m);
	umx_msg_close_fds(&m);
	if (why)
		umxd_conn_drop(p->c, why);
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
	/* Everything gone: no domain record can be held by anything now. */
	CHECK(u->ndomains == 0);
	CHECK(u->ntoolstack == 0);
	u->next_domid = UMXD_DOMID_FIRST;
}

#endif
