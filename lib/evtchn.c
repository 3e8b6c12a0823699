/* SPDX-License-Identifier: MIT */
/*
 * Event channels, client side: Xen's shape of pending and mask bits in
 * shared memory, one bucket per remote domain (the shared memory and who
 * may write what: include/umx/internal/evtchn_shm.h).
 *
 * Receiving. The handle's descriptor is an epoll set of its buckets'
 * eventfds, level-triggered. pending() takes every deliverable bit of a
 * bucket at once into a private ready set (masking those ports, as Xen's
 * delivery does) and hands them out one per call. A bucket stays *active*
 * — its eventfd unread, so the descriptor stays readable — until a scan
 * finds it empty; only then is the eventfd read and the upcall word
 * cleared (E2), and a last scan closes the race with a sender (E1). So a
 * caller that alternates poll() and pending() never sleeps on work in
 * hand, and senders do not kick a receiver that is still busy: a stream of
 * notifies to an awake peer costs stores in shared memory, no system call.
 * With few buckets, pending() scans them before asking epoll, so a wakeup
 * costs the poll that slept and nothing more.
 *
 * Sending. A port's target (the remote end's bucket and port) is learnt
 * from umxd at bind, or at the first notify after the target changed (the
 * control page's stale bit); from then on a notify is umx_evt_raise() and,
 * when it says the receiver may sleep, one write to the bucket's eventfd.
 *
 * Storms. A bucket whose eventfd wakes us with nothing to deliver is
 * counted; past UMX_EVT_STORM_WAKEUPS in a window of UMX_EVT_STORM_NS it
 * leaves the epoll set until the window is over (its ports are only that
 * one peer's, so only that peer's events wait).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "umx/conn.h"
#include "umx/evtchn.h"
#include "umx/internal/clock.h"
#include "umx/internal/ctl.h"
#include "umx/internal/evtchn_shm.h"

#define UMX_EVT_STORM_WAKEUPS 256u
#define UMX_EVT_STORM_NS      100000000ull
/* Up to this many buckets, pending() scans them all before asking epoll. */
#define UMX_EVT_SCAN_BUCKETS 4u

struct evt_bkt {
	uint32_t id;
	struct umx_evt_bucket *map;
	int efd;
	uint32_t recv_refs; /* our ports received here */
	uint32_t tgt_refs;  /* our ports that raise through it */
	bool in_epoll;      /* receiving, and not held for a storm */
	bool active;        /* on the active list: eventfd not yet read */
	bool delivered;     /* delivered something since it became active */
	struct evt_bkt *anext;
	uint32_t storm_count;
	uint64_t storm_start, held_until;
	uint64_t own[UMX_EVT_WORDS]; /* our ports received here (recv_refs > 0) */
};

struct evt_slot {
	struct evt_bkt *recv; /* NULL: port not held */
	struct evt_bkt *tgt;  /* NULL: target unknown or none */
	uint32_t tport;       /* the remote end's port when tgt is set */
	bool unbound;         /* umxd said: no remote end (notify is a no-op) */
};

struct umx_evtchn {
	umx_conn *conn;
	uint32_t id; /* umxd's handle id */
	int epfd;
	const struct umx_evt_ctl *ctl;
	/* Guards slot[], bkt[] and each slot's target: notify() may run in
	 * another thread than everything else (evtchn.h). */
	pthread_mutex_t lock;
	struct evt_slot *slot;
	uint32_t nslot;
	struct evt_bkt **bkt;
	uint32_t nbkt, cap;
	uint32_t nrecv; /* buckets we receive in */
	uint32_t nheld; /* of them, held out of epoll for a storm */
	struct evt_bkt *act;
	uint64_t mask[UMX_EVT_WORDS];  /* the real mask (the bucket's is a hint) */
	uint64_t ready[UMX_EVT_WORDS]; /* taken, masked, not yet returned */
	uint64_t ready_sel[UMX_EVT_SEL_WORDS];
	struct umx_evtchn_stats stats;
};

static struct evt_slot *slot_get(umx_evtchn *h, umx_evtchn_port_t port)
{
	if (port == 0 || port >= h->nslot || !h->slot[port].recv)
		return NULL;
	return &h->slot[port];
}

static int call_port(umx_evtchn *h, uint32_t type, uint32_t port)
{
	struct umx_ctl_evt_port req = {.port = port, .handle = h->id};
	return umx_conn_call(h->conn, type, &req, sizeof(req), NULL, 0, NULL, NULL, 0, NULL);
}

int umx_evtchn_open(umx_evtchn **out)
{
	umx_evtchn *h = calloc(1, sizeof(*h));
	struct umx_ctl_evt_open req = {0};
	unsigned nfds = 0;
	void *map;
	int fd = -1, r;

	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		r = -errno;
		goto err;
	}
	if ((r = umx_conn_open_domain(&h->conn)) < 0)
		goto err;
	r = umx_conn_call(h->conn, UMX_CTL_EVT_OPEN, &req, sizeof(req), &h->id, sizeof(h->id), NULL,
	                  &fd, 1, &nfds);
	if (r < 0)
		goto err;
	if (nfds != 1 || h->id == 0) {
		r = -EPROTO;
		goto err;
	}
	map = mmap(NULL, UMX_EVT_CTL_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		goto err;
	}
	close(fd);
	h->ctl = map;
	*out = h;
	return 0;
err:
	if (fd >= 0)
		close(fd);
	if (h->conn)
		umx_conn_close(h->conn);
	if (h->epfd >= 0)
		close(h->epfd);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return r;
}

static void bkt_release(umx_evtchn *h, struct evt_bkt *b)
{
	if (b->recv_refs || b->tgt_refs)
		return;
	for (uint32_t i = 0; i < h->nbkt; i++) {
		if (h->bkt[i] == b) {
			h->bkt[i] = h->bkt[--h->nbkt];
			break;
		}
	}
	munmap(b->map, UMX_EVT_BUCKET_SIZE);
	close(b->efd);
	free(b);
}

static void act_remove(umx_evtchn *h, struct evt_bkt *b)
{
	struct evt_bkt **pp;

	if (!b->active)
		return;
	for (pp = &h->act; *pp != b; pp = &(*pp)->anext)
		;
	*pp = b->anext;
	b->active = false;
}

static void act_add(umx_evtchn *h, struct evt_bkt *b)
{
	if (b->active)
		return;
	b->active = true;
	b->delivered = false;
	b->anext = h->act;
	h->act = b;
}

static void kick(umx_evtchn *h, int efd)
{
	uint64_t one = 1;
	/* EAGAIN: the counter is saturated, the receiver has a kick to read. */
	if (write(efd, &one, sizeof(one)) == sizeof(one))
		h->stats.kicks++;
}

/* Drop @port from our tables (umxd has closed it already). */
static void slot_drop(umx_evtchn *h, umx_evtchn_port_t port)
{
	struct evt_slot *s = &h->slot[port];
	struct evt_bkt *b = s->recv, *t = s->tgt;
	uint32_t w = port / 64;
	uint64_t bit = umx_evt_bit(port);

	b->own[w] &= ~bit;
	h->mask[w] &= ~bit;
	if (h->ready[w] & bit) {
		h->ready[w] &= ~bit;
		if (!h->ready[w])
			h->ready_sel[w / 64] &= ~(1ull << (w % 64));
	}
	*s = (struct evt_slot){0};
	if (t) {
		t->tgt_refs--;
		bkt_release(h, t);
	}
	if (--b->recv_refs == 0) {
		if (b->in_epoll)
			epoll_ctl(h->epfd, EPOLL_CTL_DEL, b->efd, NULL);
		else
			h->nheld--;
		b->in_epoll = false;
		act_remove(h, b);
		h->nrecv--;
		bkt_release(h, b);
	}
}

void umx_evtchn_close(umx_evtchn *h)
{
	struct umx_ctl_evt_handle req;

	if (!h)
		return;
	/* One request closes every port of the handle. */
	req = (struct umx_ctl_evt_handle){.handle = h->id};
	umx_conn_call(h->conn, UMX_CTL_EVT_HANDLE_CLOSE, &req, sizeof(req), NULL, 0, NULL, NULL, 0,
	              NULL);
	for (umx_evtchn_port_t p = 1; p < h->nslot; p++)
		if (h->slot[p].recv)
			slot_drop(h, p);
	munmap((void *)h->ctl, UMX_EVT_CTL_SIZE);
	close(h->epfd);
	umx_conn_close(h->conn);
	pthread_mutex_destroy(&h->lock);
	free(h->slot);
	free(h->bkt);
	free(h);
}

int umx_evtchn_fd(const umx_evtchn *h)
{
	return h->epfd;
}

/* The bucket @id, mapped from @fds (taken) unless we have it already. */
static int bkt_adopt(umx_evtchn *h, uint32_t id, const int *fds, struct evt_bkt **out)
{
	struct evt_bkt *b;
	void *map;

	for (uint32_t i = 0; i < h->nbkt; i++) {
		if (h->bkt[i]->id == id) {
			close(fds[0]);
			close(fds[1]);
			*out = h->bkt[i];
			return 0;
		}
	}
	if (h->nbkt == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 8;
		struct evt_bkt **nb = realloc(h->bkt, cap * sizeof(struct evt_bkt *));
		if (!nb)
			goto nomem;
		h->bkt = nb;
		h->cap = cap;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		goto nomem;
	map = mmap(NULL, UMX_EVT_BUCKET_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (map == MAP_FAILED) {
		int r = -errno;
		free(b);
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	close(fds[0]);
	b->id = id;
	b->map = map;
	b->efd = fds[1];
	h->bkt[h->nbkt++] = b;
	*out = b;
	return 0;
nomem:
	close(fds[0]);
	close(fds[1]);
	return -ENOMEM;
}

static int grow_slots(umx_evtchn *h, uint32_t port)
{
	uint32_t n = h->nslot ? h->nslot : 64;
	struct evt_slot *ns;

	while (n <= port)
		n *= 2;
	if (n > UMX_EVT_PORTS_MAX + 1)
		n = UMX_EVT_PORTS_MAX + 1;
	if (n <= h->nslot)
		return 0;
	ns = realloc(h->slot, n * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	memset(ns + h->nslot, 0, (n - h->nslot) * sizeof(*ns));
	h->slot = ns;
	h->nslot = n;
	return 0;
}

/* Point @s at @tgt/@tport (taking a reference), dropping its old target. */
static void slot_target(umx_evtchn *h, struct evt_slot *s, struct evt_bkt *tgt, uint32_t tport)
{
	struct evt_bkt *old = s->tgt;

	if (tgt)
		tgt->tgt_refs++;
	s->tgt = tgt;
	s->tport = tport;
	s->unbound = !tgt;
	if (old) {
		old->tgt_refs--;
		bkt_release(h, old);
	}
}

/* Check a port_info reply and its descriptors; map the buckets it names.
 * On failure every descriptor is closed. */
static int info_adopt(umx_evtchn *h, const struct umx_ctl_evt_port_info *info, int *fds,
                      unsigned nfds, struct evt_bkt **recv, struct evt_bkt **tgt)
{
	unsigned want = (info->bucket ? 2u : 0u) + (info->target ? 2u : 0u), i = 0;
	int r = 0;

	*recv = *tgt = NULL;
	if (nfds != want || info->port == 0 || info->port > UMX_EVT_PORTS_MAX ||
	    info->target_port > UMX_EVT_PORTS_MAX || (info->target && !info->target_port)) {
		for (unsigned k = 0; k < nfds; k++)
			close(fds[k]);
		return -EPROTO;
	}
	if (info->bucket) {
		r = bkt_adopt(h, info->bucket, fds, recv);
		i = 2;
	}
	if (info->target) {
		if (r < 0) {
			close(fds[i]);
			close(fds[i + 1]);
		} else {
			r = bkt_adopt(h, info->target, fds + i, tgt);
		}
	}
	return r;
}

/* Adopt the new port of an ALLOC_UNBOUND or BIND_INTERDOMAIN reply. */
static int adopt(umx_evtchn *h, int r, struct umx_ctl_evt_port_info *info, int *fds, unsigned nfds)
{
	struct evt_bkt *b = NULL, *t = NULL;
	struct evt_slot *s;
	uint32_t port = info->port, w;
	uint64_t bit;

	if (r < 0) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return r;
	}
	pthread_mutex_lock(&h->lock);
	r = info_adopt(h, info, fds, nfds, &b, &t);
	if (r == 0 && !b)
		r = -EPROTO;
	if (r == 0)
		r = grow_slots(h, port);
	if (r == 0 && h->slot[port].recv)
		r = -EPROTO; /* umxd gave us a port we hold */
	if (r == 0 && !b->in_epoll && !b->recv_refs) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = b};
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, b->efd, &ev) < 0)
			r = -errno;
		else
			b->in_epoll = true;
	}
	if (r < 0) {
		if (b)
			bkt_release(h, b);
		if (t)
			bkt_release(h, t);
		pthread_mutex_unlock(&h->lock);
		(void)call_port(h, UMX_CTL_EVT_CLOSE, port);
		return r;
	}
	if (!b->recv_refs++)
		h->nrecv++;
	s = &h->slot[port];
	s->recv = b;
	slot_target(h, s, t, info->target_port);
	w = port / 64;
	bit = umx_evt_bit(port);
	b->own[w] |= bit;
	/* A newly bound port is unmasked. umxd may have raised it before we
	 * knew it was ours (a binder's port starts pending) and a scan may
	 * have passed over it since: have it looked at again. */
	h->mask[w] &= ~bit;
	atomic_fetch_and_explicit(&b->map->mask[w], ~bit, memory_order_seq_cst);
	if (atomic_load_explicit(&b->map->pending[w], memory_order_seq_cst) & bit) {
		atomic_fetch_or_explicit(&b->map->sel[w / 64], 1ull << (w % 64),
		                         memory_order_seq_cst);
		atomic_store_explicit(&b->map->upcall, 1, memory_order_seq_cst);
		kick(h, b->efd);
	}
	pthread_mutex_unlock(&h->lock);
	return (int)port;
}

static int new_port_call(umx_evtchn *h, uint32_t type, const void *req, size_t req_len)
{
	struct umx_ctl_evt_port_info info = {0};
	int fds[4];
	unsigned nfds = 0;
	int r = umx_conn_call(h->conn, type, req, req_len, &info, sizeof(info), NULL, fds, 4,
	                      &nfds);

	return adopt(h, r, &info, fds, nfds);
}

int umx_evtchn_alloc_unbound(umx_evtchn *h, uint32_t remote_domid)
{
	struct umx_ctl_evt_alloc_unbound req = {.remote_domid = remote_domid, .handle = h->id};

	return new_port_call(h, UMX_CTL_EVT_ALLOC_UNBOUND, &req, sizeof(req));
}

int umx_evtchn_bind_interdomain(umx_evtchn *h, uint32_t remote_domid, umx_evtchn_port_t remote_port)
{
	struct umx_ctl_evt_bind req = {
	        .remote_domid = remote_domid, .remote_port = remote_port, .handle = h->id};

	return new_port_call(h, UMX_CTL_EVT_BIND_INTERDOMAIN, &req, sizeof(req));
}

int umx_evtchn_unbind(umx_evtchn *h, umx_evtchn_port_t port)
{
	/* The daemon decides what is ours; our table only follows. */
	int r = call_port(h, UMX_CTL_EVT_CLOSE, port);
	if (r < 0)
		return r;
	pthread_mutex_lock(&h->lock);
	if (slot_get(h, port))
		slot_drop(h, port);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* The mediated raise: umxd raises the remote end and tells us its target. */
static int notify_slow(umx_evtchn *h, umx_evtchn_port_t port)
{
	struct umx_ctl_evt_port req = {.port = port, .handle = h->id};
	struct umx_ctl_evt_port_info info = {0};
	struct evt_bkt *b, *t;
	struct evt_slot *s;
	int fds[4], r;
	unsigned nfds = 0;

	h->stats.mediated++;
	r = umx_conn_call(h->conn, UMX_CTL_EVT_NOTIFY, &req, sizeof(req), &info, sizeof(info), NULL,
	                  fds, 4, &nfds);
	if (r < 0) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return r;
	}
	if (info.port != port || info.bucket) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	if ((r = info_adopt(h, &info, fds, nfds, &b, &t)) < 0)
		return r;
	if ((s = slot_get(h, port)))
		slot_target(h, s, t, info.target_port);
	else if (t)
		bkt_release(h, t);
	return 0;
}

int umx_evtchn_notify(umx_evtchn *h, umx_evtchn_port_t port)
{
	struct evt_slot *s;
	int r = 0;

	pthread_mutex_lock(&h->lock);
	if (!(s = slot_get(h, port))) {
		r = -EINVAL;
	} else if (umx_evt_stale(h->ctl, port) || (!s->tgt && !s->unbound)) {
		r = notify_slow(h, port);
	} else if (s->tgt) {
		h->stats.notifies++;
		if (umx_evt_raise(s->tgt->map, s->tport))
			kick(h, s->tgt->efd);
	}
	/* else unbound: like Xen, a notify nobody can receive is dropped. */
	pthread_mutex_unlock(&h->lock);
	return r;
}

/* Take every deliverable port of @b into the ready set: unmasked ports of
 * ours whose pending bit is set. Returns how many. Bits of ports that are
 * not ours in this bucket are left alone (a sender may set any bit of its
 * bucket; only its own ports can be raised that way). */
static unsigned harvest(umx_evtchn *h, struct evt_bkt *b)
{
	struct umx_evt_bucket *m = b->map;
	unsigned n = 0;

	for (uint32_t s = 0; s < UMX_EVT_SEL_WORDS; s++) {
		if (!atomic_load_explicit(&m->sel[s], memory_order_relaxed))
			continue;
		uint64_t sel = atomic_exchange_explicit(&m->sel[s], 0, memory_order_acq_rel);
		while (sel) {
			uint32_t w = s * 64 + (uint32_t)__builtin_ctzll(sel);
			sel &= sel - 1;
			uint64_t take = atomic_load_explicit(&m->pending[w], memory_order_relaxed) &
			                b->own[w] & ~h->mask[w];
			if (!take)
				continue;
			/* E4: pairs with E1; what the sender wrote before it
			 * raised is visible to whoever handles the port. */
			take &= atomic_fetch_and_explicit(&m->pending[w], ~take,
			                                  memory_order_acq_rel);
			if (!take)
				continue;
			h->mask[w] |= take;
			atomic_fetch_or_explicit(&m->mask[w], take, memory_order_relaxed);
			h->ready[w] |= take;
			h->ready_sel[w / 64] |= 1ull << (w % 64);
			n += (unsigned)__builtin_popcountll(take);
		}
	}
	if (n)
		b->delivered = true;
	return n;
}

static bool ready_any(const umx_evtchn *h)
{
	for (uint32_t s = 0; s < UMX_EVT_SEL_WORDS; s++)
		if (h->ready_sel[s])
			return true;
	return false;
}

static int ready_pop(umx_evtchn *h)
{
	for (uint32_t s = 0; s < UMX_EVT_SEL_WORDS; s++) {
		if (!h->ready_sel[s])
			continue;
		uint32_t w = s * 64 + (uint32_t)__builtin_ctzll(h->ready_sel[s]);
		uint32_t port = w * 64 + (uint32_t)__builtin_ctzll(h->ready[w]);
		h->ready[w] &= h->ready[w] - 1;
		if (!h->ready[w])
			h->ready_sel[s] &= ~(1ull << (w % 64));
		return (int)port;
	}
	return 0;
}

/* A bucket woke us (its eventfd had a count) and delivered nothing since:
 * count it; a storm takes the bucket out of the epoll set for a window. */
static void storm_account(umx_evtchn *h, struct evt_bkt *b)
{
	uint64_t now = umx_clock_ns();

	h->stats.spurious++;
	if (now - b->storm_start > UMX_EVT_STORM_NS) {
		b->storm_start = now;
		b->storm_count = 0;
	}
	if (++b->storm_count <= UMX_EVT_STORM_WAKEUPS || !b->in_epoll)
		return;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, b->efd, NULL);
	b->in_epoll = false;
	b->held_until = b->storm_start + UMX_EVT_STORM_NS;
	h->nheld++;
	h->stats.storms++;
}

/* Buckets held for a storm whose window is over go back (and are looked
 * at: their eventfd may have fired while out of the set). */
static void storm_release(umx_evtchn *h)
{
	uint64_t now = umx_clock_ns();

	for (uint32_t i = 0; i < h->nbkt && h->nheld; i++) {
		struct evt_bkt *b = h->bkt[i];
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = b};
		if (!b->recv_refs || b->in_epoll || now < b->held_until)
			continue;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, b->efd, &ev) == 0) {
			b->in_epoll = true;
			h->nheld--;
			b->storm_count = 0;
			b->storm_start = now;
		}
	}
}

/* @b yields nothing more: read its eventfd and let senders kick again
 * (E2), then look once more. Returns whether it is still active. */
static bool drain(umx_evtchn *h, struct evt_bkt *b)
{
	uint64_t count = 0;
	bool kicked = read(b->efd, &count, sizeof(count)) == sizeof(count);

	/* E2: pairs with E1: a raise after this store kicks; one before it
	 * is seen by the harvest below. */
	atomic_store_explicit(&b->map->upcall, 0, memory_order_seq_cst);
	if (harvest(h, b)) {
		/* We keep the work, so we stay awake for it: the descriptor
		 * must stay readable, and the kick we read was it. */
		atomic_store_explicit(&b->map->upcall, 1, memory_order_seq_cst);
		kick(h, b->efd);
		return true;
	}
	if (kicked && !b->delivered)
		storm_account(h, b);
	act_remove(h, b);
	return false;
}

/* Nothing is left in hand: drain every active bucket, so that the
 * descriptor is readable again exactly when something new arrives. */
static void settle(umx_evtchn *h)
{
	struct evt_bkt *b = h->act, *next;

	for (; b; b = next) {
		next = b->anext;
		(void)drain(h, b);
	}
}

static int pending_locked(umx_evtchn *h)
{
	struct epoll_event ev[16];
	bool looked = false;
	int port;

	if (h->nheld)
		storm_release(h);
	for (;;) {
		if ((port = ready_pop(h)) > 0) {
			if (!ready_any(h))
				settle(h);
			return port;
		}
		if (h->act) {
			struct evt_bkt *b = h->act;
			if (!harvest(h, b))
				(void)drain(h, b);
			continue;
		}
		if (looked)
			return -EAGAIN;
		looked = true;
		/* With few buckets, looking costs less than asking epoll. */
		if (h->nrecv <= UMX_EVT_SCAN_BUCKETS) {
			for (uint32_t i = 0; i < h->nbkt; i++) {
				struct evt_bkt *b = h->bkt[i];
				if (b->recv_refs && b->in_epoll && harvest(h, b)) {
					act_add(h, b);
					b->delivered = true;
				}
			}
			if (ready_any(h))
				continue;
		}
		int n = epoll_wait(h->epfd, ev, 16, 0);
		if (n < 0)
			return errno == EINTR ? -EAGAIN : -errno;
		for (int i = 0; i < n; i++)
			act_add(h, ev[i].data.ptr);
	}
}

int umx_evtchn_pending(umx_evtchn *h)
{
	pthread_mutex_lock(&h->lock);
	int r = pending_locked(h);
	pthread_mutex_unlock(&h->lock);
	return r;
}

static int unmask_locked(umx_evtchn *h, umx_evtchn_port_t port)
{
	struct evt_slot *s = slot_get(h, port);
	uint32_t w = port / 64;
	uint64_t bit = umx_evt_bit(port);
	struct evt_bkt *b;

	if (!s)
		return -EINVAL;
	if (h->nheld)
		storm_release(h);
	if (!(h->mask[w] & bit) || (h->ready[w] & bit))
		return 0; /* not masked, or delivered and not yet returned */
	b = s->recv;
	h->mask[w] &= ~bit;
	/* E3: pairs with E1: either the sender sees the mask clear and kicks,
	 * or we see the bit it set while the port was masked. */
	atomic_fetch_and_explicit(&b->map->mask[w], ~bit, memory_order_seq_cst);
	if (!(atomic_load_explicit(&b->map->pending[w], memory_order_seq_cst) & bit))
		return 0;
	/* An event arrived while masked: deliver it now. */
	atomic_fetch_or_explicit(&b->map->sel[w / 64], 1ull << (w % 64), memory_order_seq_cst);
	if (!b->active) {
		/* The descriptor must turn readable for it. */
		atomic_store_explicit(&b->map->upcall, 1, memory_order_seq_cst);
		kick(h, b->efd);
	}
	return 0;
}

int umx_evtchn_unmask(umx_evtchn *h, umx_evtchn_port_t port)
{
	pthread_mutex_lock(&h->lock);
	int r = unmask_locked(h, port);
	pthread_mutex_unlock(&h->lock);
	return r;
}

void umx_evtchn_stats(const umx_evtchn *h, struct umx_evtchn_stats *out)
{
	*out = h->stats;
}
