/* SPDX-License-Identifier: MIT */
/*
 * Event channels: each domain's port table, with Xen's states and rules
 * (xen/common/event_channel.c): a port is free, unbound (offered to one
 * remote domid) or interdomain (bound to a remote domain's port).
 *
 * Delivery needs no daemon hop (include/umx/internal/evtchn_shm.h): every
 * port is received in one *bucket* of the handle that holds it, the bucket
 * of that handle and the port's remote domain; a sender raises the port by
 * setting its bit in that bucket and, when the receiver may sleep, writing
 * the bucket's eventfd. umxd makes the buckets, hands each one to its
 * receiver and to the handles of its remote domain that bind a port in it,
 * keeps it mapped to raise ports itself (close, death, unmap notify, the
 * first raise of a port whose target its owner does not know yet) and
 * frees it with the last port received in it.
 *
 * A port names its remote by domid *and instance*: an unbound port offered
 * to a domain that then died (or whose interdomain peer closed and later
 * died) can never be bound by a later domain that got the same domid. Xen
 * gets there by requiring the remote to exist when the port is allocated
 * and by domids not coming back soon; umx holds it as a rule. Buckets do
 * the same: a bucket's remote is one instance of a domain.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "umx/internal/evtchn_shm.h"
#include "umx/log.h"
#include "umxd.h"

/*
 * Descriptors: a bucket costs umxd two (its memfd, to hand to each binder,
 * and its eventfd, to raise ports itself); a port and a handle cost none
 * (a handle's control page is mapped and its memfd closed once sent). So
 * a domain's cost is bounded by its peers, not its ports; every bucket
 * made must leave UMXD_FD_RESERVE_DOMAIN descriptors free (-EMFILE past
 * that), so buckets never take what the toolstack needs.
 */
#define UMXD_EVT_PORTS_MAX UMX_EVT_PORTS_MAX
/* DOMID_INVALID: the remote of a port whose peer died, so that a later
 * domain with a recycled domid cannot bind to it. */
#define UMXD_EVT_DOMID_INVALID 0x7FF4u

enum evt_state {
	EVT_FREE = 0,
	EVT_UNBOUND,
	EVT_INTERDOMAIN
};

struct evt_handle;

struct evt_bucket {
	uint32_t id;
	struct evt_handle *h;     /* the receiver */
	uint32_t remote_dom;      /* whose raises land here */
	uint64_t remote_instance; /* of remote_dom */
	uint32_t nports;          /* ports of h received here */
	int memfd, efd;
	struct umx_evt_bucket *map;
	struct evt_bucket *next; /* h's list */
};

struct evt_handle {
	uint32_t id;
	struct umx_evt_ctl *ctl; /* ours to write; the handle maps it read-only */
	struct evt_bucket *buckets;
};

struct evt_hslot {
	struct evt_handle *h; /* NULL: id free */
};

struct evt_port {
	enum evt_state state;
	uint32_t remote_dom;
	uint64_t remote_instance; /* of remote_dom when the port named it */
	uint32_t remote_port;     /* EVT_INTERDOMAIN */
	struct evt_handle *h;     /* the handle that holds the port */
	struct evt_bucket *b;     /* where it is received */
};

struct umxd_evtchn {
	struct evt_port *ports;    /* indexed by port; [0] never used */
	uint32_t size;             /* entries allocated in ports[] */
	uint32_t used;             /* ports not free */
	struct evt_hslot *handles; /* indexed by handle id; [0] never used */
	uint32_t nhandles;         /* entries allocated in handles[] */
};

/* Bucket ids name a bucket to clients for umxd's life. */
static uint32_t bucket_next_id;

static void efd_kick(int fd)
{
	uint64_t one = 1;
	/* Non-blocking: fails only if the counter would overflow, i.e. the
	 * receiver has a kick to read already, which is all a kick achieves. */
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		umx_log(UMX_LOG_WARN, "evtchn: kick failed: %s", strerror(errno));
}

/* -errno of the call that just failed (never 0, whatever errno says). */
static int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A sealed memfd of @size bytes mapped shared into umxd. */
static int shm_new(const char *name, size_t size, void **map)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING), r;

	*map = NULL;
	if (fd < 0)
		return neg_errno();
	/* Sealed against resizing: a peer holding the descriptor must not be
	 * able to truncate it under the receiver's mapping (SIGBUS). */
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = neg_errno();
		close(fd);
		return r;
	}
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED) {
		r = neg_errno();
		*map = NULL;
		close(fd);
		return r;
	}
	return fd;
}

/* Raise @port, received in @b, on umxd's own account (close, death, unmap
 * notify, the first raise): kicked whatever the upcall word says, so a
 * sender that left it set cannot make the receiver miss umxd's event. */
static void bucket_raise(struct evt_bucket *b, uint32_t port)
{
	if (!b)
		return;
	(void)umx_evt_raise(b->map, port);
	/* umx_evt_raise() skips the selector when the bit was already set. */
	atomic_fetch_or_explicit(&b->map->sel[port / 64 / 64], 1ull << (port / 64 % 64),
	                         memory_order_seq_cst);
	atomic_store_explicit(&b->map->upcall, 1, memory_order_seq_cst);
	efd_kick(b->efd);
}

static void ctl_stale(struct evt_handle *h, uint32_t port, bool set)
{
	if (set)
		atomic_fetch_or_explicit(&h->ctl->stale[port / 64], umx_evt_bit(port),
		                         memory_order_release);
	else
		atomic_fetch_and_explicit(&h->ctl->stale[port / 64], ~umx_evt_bit(port),
		                          memory_order_release);
}

/* The bucket of @h for @rd (this instance), made if needed; NULL with
 * -errno in *@err. */
static struct evt_bucket *bucket_get(struct umxd *umxd, struct evt_handle *h,
                                     struct umxd_domain *rd, int *err)
{
	struct evt_bucket *b;
	void *map = NULL;
	int r;

	for (b = h->buckets; b; b = b->next) {
		if (b->remote_dom == rd->domid && b->remote_instance == rd->instance)
			return b;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		*err = -ENOMEM;
		return NULL;
	}
	b->memfd = b->efd = -1;
	if ((r = shm_new("umx-evtchn", UMX_EVT_BUCKET_SIZE, &map)) < 0)
		goto err;
	b->memfd = r;
	b->map = map;
	b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->efd < 0) {
		r = neg_errno();
		goto err;
	}
	if ((r = umxd_loop_fd_check(umxd->loop, b->efd, UMXD_FD_RESERVE_DOMAIN)) < 0)
		goto err;
	if (++bucket_next_id == 0)
		bucket_next_id = 1;
	b->id = bucket_next_id;
	b->h = h;
	b->remote_dom = rd->domid;
	b->remote_instance = rd->instance;
	b->next = h->buckets;
	h->buckets = b;
	return b;
err:
	if (b->map)
		munmap(b->map, UMX_EVT_BUCKET_SIZE);
	fd_close(&b->memfd);
	fd_close(&b->efd);
	free(b);
	*err = r;
	return NULL;
}

static void bucket_put(struct evt_bucket *b)
{
	struct evt_bucket **pp;

	if (--b->nports)
		return;
	for (pp = &b->h->buckets; *pp != b; pp = &(*pp)->next)
		;
	*pp = b->next;
	munmap(b->map, UMX_EVT_BUCKET_SIZE);
	fd_close(&b->memfd);
	fd_close(&b->efd);
	free(b);
}

int umxd_evt_domain_init(struct umxd_domain *dom)
{
	dom->evt = calloc(1, sizeof(*dom->evt));
	return dom->evt ? 0 : -ENOMEM;
}

static struct evt_port *port_get(struct umxd_domain *dom, uint32_t port)
{
	struct umxd_evtchn *e = dom ? dom->evt : NULL;
	if (!e || port == 0 || port >= e->size || e->ports[port].state == EVT_FREE)
		return NULL;
	return &e->ports[port];
}

/* @port of @dom if handle @hid holds it. */
static struct evt_port *port_of(struct umxd_domain *dom, uint32_t port, uint32_t hid)
{
	struct evt_port *p = port_get(dom, port);
	return p && p->h && p->h->id == hid ? p : NULL;
}

/* Lowest free port, growing the table; -ENOSPC at the cap (Xen's
 * get_free_port()). */
static int port_alloc(struct umxd_evtchn *e, uint32_t *out)
{
	for (uint32_t p = 1; p < e->size; p++) {
		if (e->ports[p].state == EVT_FREE) {
			*out = p;
			return 0;
		}
	}
	if (e->size > UMXD_EVT_PORTS_MAX)
		return -ENOSPC;
	uint32_t nsize = e->size ? e->size * 2 : 16;
	if (nsize > UMXD_EVT_PORTS_MAX + 1)
		nsize = UMXD_EVT_PORTS_MAX + 1;
	struct evt_port *np = realloc(e->ports, nsize * sizeof(*np));
	if (!np)
		return -ENOMEM;
	for (uint32_t p = e->size; p < nsize; p++)
		np[p] = (struct evt_port){.state = EVT_FREE};
	*out = e->size ? e->size : 1;
	e->ports = np;
	e->size = nsize;
	return 0;
}

/* Close @port of @dom. An interdomain remote end becomes unbound towards
 * us (Xen semantics) — or towards nobody when @dying — and gets an event
 * so its owner notices; its owner's cached target goes stale. */
static void port_close(struct umxd_domain *dom, uint32_t port, bool dying)
{
	struct evt_port *p = port_get(dom, port);
	if (!p)
		return;
	if (p->state == EVT_INTERDOMAIN) {
		struct umxd_domain *rd = umxd_domain_get(dom->umxd, p->remote_dom);
		struct evt_port *rp = port_get(rd, p->remote_port);
		if (rp && rp->state == EVT_INTERDOMAIN && rp->remote_dom == dom->domid &&
		    rp->remote_port == port) {
			rp->state = EVT_UNBOUND;
			rp->remote_dom = dying ? UMXD_EVT_DOMID_INVALID : dom->domid;
			rp->remote_instance = dying ? 0 : dom->instance;
			rp->remote_port = 0;
			ctl_stale(rp->h, p->remote_port, true);
			bucket_raise(rp->b, p->remote_port);
		} else {
			umx_log(UMX_LOG_ERR, "evtchn: d%u port %u: remote end inconsistent",
			        dom->domid, port);
		}
	}
	bucket_put(p->b);
	*p = (struct evt_port){.state = EVT_FREE};
	dom->evt->used--;
}

static void handle_free(struct umxd_domain *dom, struct evt_handle *h, bool dying)
{
	struct umxd_evtchn *e = dom->evt;

	for (uint32_t p = 1; p < e->size; p++)
		if (e->ports[p].state != EVT_FREE && e->ports[p].h == h)
			port_close(dom, p, dying);
	/* Every bucket went with its last port. */
	if (h->buckets)
		umx_log(UMX_LOG_ERR, "evtchn: d%u handle %u: buckets left", dom->domid, h->id);
	e->handles[h->id].h = NULL;
	munmap(h->ctl, UMX_EVT_CTL_SIZE);
	free(h);
}

void umxd_evt_domain_release(struct umxd_domain *dom)
{
	struct umxd_evtchn *e = dom->evt;
	if (!e)
		return;
	for (uint32_t i = 1; i < e->nhandles; i++)
		if (e->handles[i].h)
			handle_free(dom, e->handles[i].h, true);
	free(e->handles);
	e->handles = NULL;
	e->nhandles = 0;
	free(e->ports);
	e->ports = NULL;
	e->size = 0;
	e->used = 0;
}

void umxd_evt_domain_free(struct umxd_domain *dom)
{
	if (!dom->evt)
		return;
	umxd_evt_domain_release(dom);
	free(dom->evt);
	dom->evt = NULL;
}

uint32_t umxd_evt_port_count(const struct umxd_domain *dom)
{
	return dom->evt ? dom->evt->used : 0;
}

/* The remote end of @p (interdomain), or NULL. */
static struct evt_port *remote_of(struct umxd_domain *dom, const struct evt_port *p)
{
	if (p->state != EVT_INTERDOMAIN)
		return NULL;
	return port_get(umxd_domain_get(dom->umxd, p->remote_dom), p->remote_port);
}

int umxd_evt_notify_remote(struct umxd_domain *dom, uint32_t port)
{
	struct evt_port *p = port_get(dom, port), *rp;

	if (!p)
		return -ENOENT;
	/* Unbound: like Xen, nobody to tell (a binder's port starts pending). */
	if ((rp = remote_of(dom, p)))
		bucket_raise(rp->b, p->remote_port);
	return 0;
}

/* The domain a request comes from, with a live port table. */
static struct umxd_domain *caller(struct umxd_conn *c)
{
	struct umxd_domain *dom = c->dom;
	return dom && dom->evt && dom->conn == c ? dom : NULL;
}

static struct evt_handle *handle_get(struct umxd_domain *dom, uint32_t hid)
{
	return hid && hid < dom->evt->nhandles ? dom->evt->handles[hid].h : NULL;
}

/* Reply with @info and the descriptors of its buckets. */
static int reply_info(struct umxd_conn *c, struct umx_msg *m, struct umx_ctl_evt_port_info *info,
                      const struct evt_bucket *b, const struct evt_bucket *t)
{
	int fds[4];
	unsigned n = 0;

	info->bucket = b ? b->id : 0;
	info->target = t ? t->id : 0;
	if (b) {
		fds[n++] = b->memfd;
		fds[n++] = b->efd;
	}
	if (t) {
		fds[n++] = t->memfd;
		fds[n++] = t->efd;
	}
	return umxd_reply(c, m, 0, info, sizeof(*info), fds, n);
}

int umxd_h_evt_open(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_open req;
	struct umxd_domain *dom = caller(c);
	struct evt_handle *h;
	uint32_t id;
	void *map = NULL;
	int fd, r;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0 || req.flags || req.pad)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	for (id = 1; id < dom->evt->nhandles && dom->evt->handles[id].h; id++)
		;
	if (id > UMX_EVT_HANDLES_MAX)
		return umxd_reply(c, m, -EMFILE, NULL, 0, NULL, 0);
	if (id >= dom->evt->nhandles) {
		uint32_t n = dom->evt->nhandles ? dom->evt->nhandles * 2 : 8;
		struct evt_hslot *nh = realloc(dom->evt->handles, n * sizeof(*nh));
		if (!nh)
			return umxd_reply(c, m, -ENOMEM, NULL, 0, NULL, 0);
		memset(nh + dom->evt->nhandles, 0, (n - dom->evt->nhandles) * sizeof(*nh));
		dom->evt->handles = nh;
		dom->evt->nhandles = n;
	}
	if (!(h = calloc(1, sizeof(*h))))
		return umxd_reply(c, m, -ENOMEM, NULL, 0, NULL, 0);
	if ((fd = shm_new("umx-evtchn-ctl", UMX_EVT_CTL_SIZE, &map)) < 0 ||
	    (r = umxd_loop_fd_check(c->umxd->loop, fd, UMXD_FD_RESERVE_DOMAIN)) < 0) {
		r = fd < 0 ? fd : r;
		if (fd >= 0) {
			munmap(map, UMX_EVT_CTL_SIZE);
			close(fd);
		}
		free(h);
		return umxd_reply(c, m, r, NULL, 0, NULL, 0);
	}
	h->id = id;
	h->ctl = map;
	dom->evt->handles[id].h = h;
	r = umxd_reply(c, m, 0, &id, sizeof(id), &fd, 1);
	/* The mapping is all umxd needs: the handle has its copy. */
	close(fd);
	return r;
}

int umxd_h_evt_handle_close(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_handle req;
	struct umxd_domain *dom = caller(c);
	struct evt_handle *h;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0 || req.pad)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if (!(h = handle_get(dom, req.handle)))
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	handle_free(dom, h, false);
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

int umxd_h_evt_alloc_unbound(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_alloc_unbound req;
	struct umx_ctl_evt_port_info info = {0};
	struct umxd_domain *dom = caller(c), *rd;
	struct evt_handle *h;
	struct evt_bucket *b = NULL;
	uint32_t port, remote;
	int r;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if (!(h = handle_get(dom, req.handle)))
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	remote = req.remote_domid == UMX_EVTCHN_DOMID_SELF ? dom->domid : req.remote_domid;
	/* Xen: the remote must exist now; the port is offered to this
	 * instance of it only. */
	rd = remote == dom->domid ? dom : umxd_domain_live(c->umxd, remote);
	if (!rd)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if ((r = port_alloc(dom->evt, &port)) < 0 || !(b = bucket_get(c->umxd, h, rd, &r)))
		return umxd_reply(c, m, r, NULL, 0, NULL, 0);
	dom->evt->ports[port] = (struct evt_port){.state = EVT_UNBOUND,
	                                          .remote_dom = remote,
	                                          .remote_instance = rd->instance,
	                                          .h = h,
	                                          .b = b};
	b->nports++;
	dom->evt->used++;
	ctl_stale(h, port, false);
	info.port = port;
	return reply_info(c, m, &info, b, NULL);
}

int umxd_h_evt_bind_interdomain(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_bind req;
	struct umx_ctl_evt_port_info info = {0};
	struct umxd_domain *dom = caller(c), *rd;
	struct evt_handle *h;
	struct evt_port *rp;
	struct evt_bucket *b = NULL;
	uint32_t port, remote;
	int r;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0 || req.pad)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if (!(h = handle_get(dom, req.handle)))
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	remote = req.remote_domid == UMX_EVTCHN_DOMID_SELF ? dom->domid : req.remote_domid;
	rd = remote == dom->domid ? dom : umxd_domain_live(c->umxd, remote);
	if (!rd || !rd->evt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	/* Xen: the remote port must exist, be unbound and offered to us; to
	 * us, not to an earlier domain that had our domid. */
	rp = port_get(rd, req.remote_port);
	if (!rp || rp->state != EVT_UNBOUND || rp->remote_dom != dom->domid ||
	    rp->remote_instance != dom->instance)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	if ((r = port_alloc(dom->evt, &port)) < 0 || !(b = bucket_get(c->umxd, h, rd, &r)))
		return umxd_reply(c, m, r, NULL, 0, NULL, 0);
	/* port_alloc() may have moved the table (loopback: rd == dom). */
	rp = port_get(rd, req.remote_port);
	dom->evt->ports[port] = (struct evt_port){.state = EVT_INTERDOMAIN,
	                                          .remote_dom = rd->domid,
	                                          .remote_instance = rd->instance,
	                                          .remote_port = req.remote_port,
	                                          .h = h,
	                                          .b = b};
	b->nports++;
	dom->evt->used++;
	rp->state = EVT_INTERDOMAIN;
	rp->remote_instance = dom->instance;
	rp->remote_port = port;
	/* The allocator learns its target at its next notify. */
	ctl_stale(rp->h, req.remote_port, true);
	ctl_stale(h, port, false);
	/* Like Xen, the binder's new port starts pending, so a notify that
	 * raced with the bind is never lost. */
	bucket_raise(b, port);
	info.port = port;
	info.target_port = req.remote_port;
	return reply_info(c, m, &info, b, rp->b);
}

int umxd_h_evt_close(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_port req;
	struct umxd_domain *dom = caller(c);

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if (!port_of(dom, req.port, req.handle))
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	port_close(dom, req.port, false);
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

/* The first raise of a port whose target the sender does not know (new,
 * or stale since its remote end changed): umxd raises the remote end and
 * says where the next raises go. */
int umxd_h_evt_notify(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_port req;
	struct umx_ctl_evt_port_info info = {0};
	struct umxd_domain *dom = caller(c);
	struct evt_port *p, *rp;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if (!(p = port_of(dom, req.port, req.handle)))
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	/* Cleared before the answer: a change after it sets it again. */
	ctl_stale(p->h, req.port, false);
	info.port = req.port;
	if (!(rp = remote_of(dom, p)))
		return reply_info(c, m, &info, NULL, NULL);
	bucket_raise(rp->b, p->remote_port);
	info.target_port = p->remote_port;
	return reply_info(c, m, &info, NULL, rp->b);
}

int umxd_h_evt_status(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_close req;
	struct umx_ctl_evt_status_reply rep = {0};
	struct umxd_domain *dom = caller(c);
	const struct evt_port *p;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0 || req.pad)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	/* Xen's port_is_valid(): a port inside the table is valid, and a free
	 * one is reported closed rather than refused. */
	if (req.port == 0 || req.port >= dom->evt->size)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	p = &dom->evt->ports[req.port];
	switch (p->state) {
	case EVT_UNBOUND:
		rep.status = UMX_EVT_STAT_UNBOUND;
		rep.remote_domid = p->remote_dom;
		break;
	case EVT_INTERDOMAIN:
		rep.status = UMX_EVT_STAT_INTERDOMAIN;
		rep.remote_domid = p->remote_dom;
		rep.remote_port = p->remote_port;
		break;
	default:
		rep.status = UMX_EVT_STAT_CLOSED;
		break;
	}
	return umxd_reply(c, m, 0, UMX_CTL_REPLY_BODY(&rep), UMX_CTL_REPLY_BODY_LEN(&rep), NULL, 0);
}
