/* SPDX-License-Identifier: MIT */
/*
 * vchan.c — Xen's libxenvchan protocol on the platform ops (vchan.h).
 *
 * Barrier map (besides the bytering's A1/R1, A2/R2 on the indices):
 *   N1  request_notify(): seq_cst fetch_or of our request bit, then a full
 *         barrier before re-reading the peer's index. Pairs with N2: either
 *         the peer's index update is seen on the re-check, or the peer sees
 *         our bit and sends an event.
 *   N2  send_notify(): full barrier after publishing our index (bytering's
 *         release store), before reading the peer's request bits. Pairs N1.
 *   L1  own live byte: release store at connect/close, so everything we
 *         wrote before is visible before the peer sees the flag change.
 *   L2  peer live byte: acquire load before reading the ring, pairs with the
 *         peer's L1: when we see 0, its last index update is visible too, so
 *         "closed and empty" really is the end of stream.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/peerdom.h"
#include "../common/xenbus.h"
#include "umx/internal/clock.h"
#include "umx/internal/tracepoint.h"
#include "umx/log.h"
#include "vchan_priv.h"

/* ---- layout ------------------------------------------------------------ */

int vchan_min_order(size_t size)
{
	int order = UMX_PAGE_SHIFT;

	if (size > UMX_VCHAN_MAX_RING)
		return -EINVAL;
	while (size > ((size_t)1 << order))
		order++;
	return order;
}

static uint32_t ring_pages(unsigned order)
{
	return order >= UMX_PAGE_SHIFT ? 1u << (order - UMX_PAGE_SHIFT) : 0;
}

static uint32_t inpage_offset(unsigned order)
{
	return order == VCHAN_SMALL_ORDER   ? VCHAN_SMALL_OFFSET
	       : order == VCHAN_LARGE_ORDER ? VCHAN_LARGE_OFFSET
	                                    : 0;
}

int vchan_layout_parse(const void *page, struct vchan_layout *l, const char **why)
{
	const struct vchan_interface *c = page;
	uint32_t limit = UMX_PAGE_SIZE, n;

	/* Copy once: the peer may rewrite the page under us. */
	l->left_order = umx_load_relaxed16(&c->left_order);
	l->right_order = umx_load_relaxed16(&c->right_order);
	if (l->left_order < UMX_VCHAN_MIN_ORDER || l->left_order > UMX_VCHAN_MAX_ORDER ||
	    l->right_order < UMX_VCHAN_MIN_ORDER || l->right_order > UMX_VCHAN_MAX_ORDER) {
		*why = "ring order outside 10..20";
		return -EPROTO;
	}
	if (l->left_order == l->right_order && l->left_order < UMX_PAGE_SHIFT) {
		*why = "both rings at the same in-page offset";
		return -EPROTO;
	}
	l->left_pages = ring_pages(l->left_order);
	l->right_pages = ring_pages(l->right_order);
	l->left_off = inpage_offset(l->left_order);
	l->right_off = inpage_offset(l->right_order);
	if (l->left_off && l->left_off < limit)
		limit = l->left_off;
	if (l->right_off && l->right_off < limit)
		limit = l->right_off;
	n = l->left_pages + l->right_pages;
	if (sizeof(struct vchan_interface) + 4u * n > limit) {
		*why = "grant list overlaps an in-page ring";
		return -EPROTO;
	}
	for (uint32_t i = 0; i < n; i++)
		l->grants[i] = umx_load_relaxed32(&c->grants[i]);
	return 0;
}

/* ---- state ------------------------------------------------------------- */

static int vbreak(umx_vchan *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int vbreak(umx_vchan *v, const char *fmt, ...)
{
	va_list ap;

	if (v->broken)
		return -EPROTO;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	v->broken = true;
	umx_warn("vchan %s (peer %u): broken: %s", v->is_server ? "server" : "client", v->peer,
	         v->reason);
	umx_tracepoint_broken(UMX_TRACE_DEV_VCHAN, v->peer, 0, v->reason);
	return -EPROTO;
}

/* Bytering errors break the vchan with the ring's reason. */
static int ring_err(umx_vchan *v, struct umx_bytering *b, int r)
{
	if (r == -EPROTO)
		return vbreak(v, "%s ring: %s", b == &v->rd ? "read" : "write",
		              umx_bytering_broken(b) ? umx_bytering_broken(b) : "?");
	return r;
}

static void peer_died(umx_vchan *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The stream ends here, cut short: reads and writes return -ECONNRESET. */
static void peer_died(umx_vchan *v, const char *fmt, ...)
{
	va_list ap;

	v->peer_gone = true;
	if (v->peer_died)
		return;
	v->peer_died = true;
	va_start(ap, fmt);
	vsnprintf(v->died, sizeof(v->died), fmt, ap);
	va_end(ap);
	umx_warn("vchan %s (peer %u): %s", v->is_server ? "server" : "client", v->peer, v->died);
}

/* How often an idle end asks whether its peer and its store are there. */
#define VCHAN_ALIVE_MS 500

/*
 * Deaths the control page cannot show: the client a server waits for died
 * before connecting (it never mapped the page, so no unmap notify clears
 * anything), or the store connection (umxd itself) is gone, after which
 * nothing will ever move. Asked only on the idle paths (a read or write
 * that found nothing to do, is_open), at most every VCHAN_ALIVE_MS.
 */
static void check_alive(umx_vchan *v)
{
	uint64_t now;
	umx_xs *xs;

	if (!v->plat || v->peer_gone || v->broken)
		return;
	now = umx_clock_ms();
	if (now - v->alive_at < VCHAN_ALIVE_MS)
		return;
	v->alive_at = now;
	xs = umx_plat_xs(v->plat);
	if (!xs)
		return;
	if (peerdom_store_lost(xs)) {
		peer_died(v, "the store connection (umxd) is gone");
		return;
	}
	if (v->is_server && !v->peer_seen_live && umx_load_acquire8(v->peer_live) == 2 &&
	    peerdom_gone(xs, v->peer) == 1)
		peer_died(v, "client domain %u died before connecting", v->peer);
}

/* 1 open, 2 client not yet connected, 0 gone, -EPROTO. */
static int peer_state(umx_vchan *v)
{
	uint8_t live;

	if (v->broken)
		return -EPROTO;
	if (v->peer_gone)
		return 0;
	/* L2: pairs with the peer's L1 (and with umxd's unmap-notify clear,
	 * which happens after the dead peer's last store). */
	live = umx_load_acquire8(v->peer_live);
	switch (live) {
	case 0: {
		/* After L2: the peer's CLOSED bit, set before its live byte
		 * went 0 in an orderly close, is visible now. */
		uint8_t bits = umx_load_relaxed8(v->ack);
		v->peer_gone = true;
		if ((bits & VCHAN_NOTIFY_UMX_CAP) && !(bits & VCHAN_NOTIFY_UMX_CLOSED))
			peer_died(v, "%s domain %u died", v->is_server ? "client" : "server",
			          v->peer);
		return 0;
	}
	case 1:
		v->peer_seen_live = true;
		return 1;
	case 2:
		if (v->is_server && !v->peer_seen_live)
			return 2;
		return vbreak(v, "peer live flag went back to 2");
	default:
		return vbreak(v, "peer live flag %u", live);
	}
}

static void request_notify(umx_vchan *v, uint8_t bit)
{
	/* N1: pairs with N2 in the peer's send_notify(). */
	(void)umx_fetch_or8(v->req, bit);
	umx_mb();
}

static int send_notify(umx_vchan *v, uint8_t bit)
{
	/* N2: pairs with N1: our index is published before we look. */
	umx_mb();
	if (!(umx_load_relaxed8(v->ack) & bit))
		return 0;
	if (!(umx_fetch_and8(v->ack, (uint8_t)~bit) & bit))
		return 0;
	if (!v->plat)
		return 0;
	return umx_plat_evtchn_notify(v->plat, v->port);
}

/* ---- events ------------------------------------------------------------ */

/* One event per call: the descriptor stays readable while more are
 * pending, so a peer that keeps notifying costs us one wakeup per event
 * and never keeps us here (docs/HARDENING.md, "Event storms"). 0, -EAGAIN
 * (none), -errno. */
static int take_event(umx_vchan *v)
{
	int r = umx_plat_evtchn_pending(v->plat);

	if (r < 0)
		return r;
	umx_plat_evtchn_unmask(v->plat, (uint32_t)r);
	return 0;
}

int umx_vchan_wait(umx_vchan *v, int timeout_ms)
{
	struct pollfd pf;
	int r;

	if (!v->plat)
		return -ETIMEDOUT;
	/* The event descriptor is readable while an event is pending, so one
	 * poll both looks and waits: a wakeup costs poll + pending + unmask,
	 * the ping-pong's hot path. */
	if (timeout_ms != 0) {
		pf.fd = umx_plat_evtchn_fd(v->plat);
		pf.events = POLLIN;
		pf.revents = 0;
		r = poll(&pf, 1, timeout_ms);
		if (r < 0)
			return errno == EINTR ? -EINTR : -errno;
		if (r == 0)
			return -ETIMEDOUT;
	}
	r = take_event(v);
	return r == -EAGAIN ? -ETIMEDOUT : r;
}

/* Blocking calls re-check at least this often, so a lost or withheld
 * event can delay but never hang us. */
#define VCHAN_RECHECK_MS 500

/* umx_vchan_stats_get(): process-wide, any thread, no ordering needed. */
static atomic_uint_least64_t stat_rechecks, stat_lost_wakeups;

void umx_vchan_stats_get(struct umx_vchan_stats *out)
{
	out->rechecks = atomic_load_explicit(&stat_rechecks, memory_order_relaxed);
	out->lost_wakeups = atomic_load_explicit(&stat_lost_wakeups, memory_order_relaxed);
}

/*
 * A blocking call waited a whole VCHAN_RECHECK_MS without an event, then
 * found that the ring had moved. Either the peer's notify is merely late
 * (it was between its index update and its notify when our wait ended),
 * or it never comes: a lost wake-up, a bug in one side's notify protocol
 * that the recheck turns into a 500 ms stall instead of a hang. Give the
 * event one more period to arrive before counting it lost; the tests
 * require none (umx_vchan_stats_get). Taking that event is harmless: every
 * blocking loop checks the ring before it waits again.
 */
static void recheck_found_progress(umx_vchan *v)
{
	if (umx_vchan_wait(v, VCHAN_RECHECK_MS) == 0)
		return;
	atomic_fetch_add_explicit(&stat_lost_wakeups, 1, memory_order_relaxed);
	umx_warn("vchan (peer %u): the ring moved but no event came (lost wake-up)", v->peer);
}

/* Wakeups without progress allowed per storm window (evstorm.h) before we
 * stop waiting on events until the window ends: an event storm costs us
 * at most ~1000 wakeups/s, not a spinning CPU. */
#define VCHAN_SPURIOUS_MAX 100u

static int block(umx_vchan *v)
{
	uint64_t now = umx_clock_ms();
	int r;

	/* The previous wakeup is judged now: did the attempt after it move data? */
	if (v->woke && !evstorm_event(&v->storm, now, v->progress, VCHAN_SPURIOUS_MAX) &&
	    !v->storm_warned) {
		v->storm_warned = true;
		umx_warn("vchan (peer %u): event storm without progress; pacing wakeups", v->peer);
	}
	v->woke = v->progress = false;
	if (evstorm_held(&v->storm)) {
		/* Sleep out the window; the events stay pending for the next wait. */
		usleep((useconds_t)evstorm_timeout(&v->storm, now, -1) * 1000);
		evstorm_release(&v->storm, umx_clock_ms());
		return 0;
	}
	r = umx_vchan_wait(v, VCHAN_RECHECK_MS);
	v->woke = r == 0;
	/* Timed out: the caller's next try_read/try_write is a recheck. */
	v->rechecking = r == -ETIMEDOUT;
	if (v->rechecking)
		atomic_fetch_add_explicit(&stat_rechecks, 1, memory_order_relaxed);
	return r == -ETIMEDOUT || r == -EINTR ? 0 : r;
}

/* ---- I/O --------------------------------------------------------------- */

/* One attempt at reading; -EAGAIN when nothing is there yet (after asking
 * for a notification). @all: packet mode. */
static int try_read(umx_vchan *v, void *buf, size_t len, bool all)
{
	bool recheck = v->rechecking;
	int st, n;

	v->rechecking = false;
	st = peer_state(v); /* before the data: see L2 */
	if (st < 0)
		return st;
	for (int pass = 0; pass < 2; pass++) {
		n = all ? umx_bytering_read_all(&v->rd, buf, len)
		        : umx_bytering_read(&v->rd, buf, len);
		if (n > 0 || (n == 0 && !len)) {
			int r = send_notify(v, VCHAN_NOTIFY_READ);
			v->progress = true;
			if (recheck && n > 0)
				recheck_found_progress(v);
			return r < 0 ? r : n;
		}
		if (n < 0 && n != -EAGAIN)
			return ring_err(v, &v->rd, n);
		if (st == 0) /* closed and (not enough) data: end of stream */
			return v->peer_died ? -ECONNRESET : 0;
		if (pass == 0)
			request_notify(v, VCHAN_NOTIFY_WRITE);
	}
	check_alive(v);
	return v->peer_died ? -ECONNRESET : -EAGAIN;
}

static int try_write(umx_vchan *v, const void *buf, size_t len, bool all)
{
	bool recheck = v->rechecking;
	int st, n;

	v->rechecking = false;
	st = peer_state(v);
	if (st < 0)
		return st;
	if (st == 0)
		return v->peer_died ? -ECONNRESET : -EPIPE;
	for (int pass = 0; pass < 2; pass++) {
		n = all ? umx_bytering_write_all(&v->wr, buf, len)
		        : umx_bytering_write(&v->wr, buf, len);
		if (n > 0 || (n == 0 && !len)) {
			int r = send_notify(v, VCHAN_NOTIFY_WRITE);
			v->progress = true;
			if (recheck && n > 0)
				recheck_found_progress(v);
			return r < 0 ? r : n;
		}
		if (n < 0 && n != -EAGAIN)
			return ring_err(v, &v->wr, n);
		if (pass == 0)
			request_notify(v, VCHAN_NOTIFY_READ);
	}
	check_alive(v);
	return v->peer_died ? -ECONNRESET : -EAGAIN;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * Before sleeping on the event channel, watch the peer's index for a few
 * microseconds: when the peer runs on another CPU the answer usually comes
 * sooner than a wakeup would (an event costs two context switches). Only
 * shared loads, no syscalls; the bytering validates what it reads.
 */
static uint64_t spin_ns(void)
{
	static int64_t cached = -1;
	if (cached < 0) {
		const char *e = getenv("UMX_VCHAN_SPIN_NS");
		cached = e ? atoll(e) : 0;
		if (cached < 0 || cached > 1000000)
			cached = 0;
	}
	return (uint64_t)cached;
}

static void spin_for(umx_vchan *v, bool reading, size_t need)
{
	uint64_t ns = spin_ns(), end;

	if (!ns)
		return;
	end = umx_clock_ns() + ns;

	do {
		for (int i = 0; i < 64; i++)
			cpu_relax();
		int avail = reading ? umx_bytering_data_avail(&v->rd)
		                    : umx_bytering_space_avail(&v->wr);
		if (avail < 0 || (size_t)avail >= need || umx_load_relaxed8(v->peer_live) != 1)
			return;
	} while (umx_clock_ns() < end);
}

static int do_read(umx_vchan *v, void *buf, size_t len, bool all)
{
	if (v->broken)
		return -EPROTO; /* every entry point, before argument checks */
	if (all && len > v->rd.size)
		return -EMSGSIZE;
	if (len > INT32_MAX)
		len = INT32_MAX;
	for (;;) {
		int r = try_read(v, buf, len, all);
		if (r != -EAGAIN || !v->blocking)
			return r;
		spin_for(v, true, all ? len : 1);
		if ((r = try_read(v, buf, len, all)) != -EAGAIN)
			return r;
		if ((r = block(v)) < 0)
			return r;
	}
}

int umx_vchan_read(umx_vchan *v, void *buf, size_t len)
{
	return do_read(v, buf, len, false);
}

int umx_vchan_recv(umx_vchan *v, void *buf, size_t len)
{
	return do_read(v, buf, len, true);
}

int umx_vchan_write(umx_vchan *v, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t done = 0;

	if (len > INT32_MAX)
		len = INT32_MAX;
	for (;;) {
		int r = try_write(v, p + done, len - done, false);
		if (r > 0)
			done += (size_t)r;
		if (done == len && r >= 0)
			return (int)done;
		if (r < 0 && r != -EAGAIN)
			return done && (r == -EPIPE || r == -ECONNRESET) ? (int)done : r;
		if (!v->blocking)
			return done ? (int)done : -EAGAIN;
		if (r == -EAGAIN) {
			spin_for(v, false, 1);
			if (umx_bytering_space_avail(&v->wr) == 0 && (r = block(v)) < 0)
				return done ? (int)done : r;
		}
	}
}

int umx_vchan_send(umx_vchan *v, const void *buf, size_t len)
{
	if (v->broken)
		return -EPROTO;
	if (len > v->wr.size)
		return -EMSGSIZE;
	for (;;) {
		int r = try_write(v, buf, len, true);
		if (r != -EAGAIN || !v->blocking)
			return r;
		spin_for(v, false, len);
		if ((r = try_write(v, buf, len, true)) != -EAGAIN)
			return r;
		if ((r = block(v)) < 0)
			return r;
	}
}

int umx_vchan_data_ready(umx_vchan *v)
{
	int r;

	if (v->broken)
		return -EPROTO;
	request_notify(v, VCHAN_NOTIFY_WRITE);
	r = umx_bytering_data_avail(&v->rd);
	return r < 0 ? ring_err(v, &v->rd, r) : r;
}

int umx_vchan_buffer_space(umx_vchan *v)
{
	int r;

	if (v->broken)
		return -EPROTO;
	request_notify(v, VCHAN_NOTIFY_READ);
	r = umx_bytering_space_avail(&v->wr);
	return r < 0 ? ring_err(v, &v->wr, r) : r;
}

int umx_vchan_is_open(umx_vchan *v)
{
	int st = peer_state(v);

	if (st > 0) {
		check_alive(v);
		st = peer_state(v);
	}
	return st;
}

const char *umx_vchan_died(const umx_vchan *v)
{
	return v->peer_died ? v->died : NULL;
}

void umx_vchan_set_blocking(umx_vchan *v, bool blocking)
{
	v->blocking = blocking;
}

int umx_vchan_fd(const umx_vchan *v)
{
	return v->plat ? umx_plat_evtchn_fd(v->plat) : -1;
}

size_t umx_vchan_read_size(const umx_vchan *v)
{
	return v->rd.size;
}

size_t umx_vchan_write_size(const umx_vchan *v)
{
	return v->wr.size;
}

const char *umx_vchan_broken(const umx_vchan *v)
{
	return v->broken ? v->reason : NULL;
}

uint32_t umx_vchan_ring_ref(const umx_vchan *v)
{
	return v->ring_ref;
}

uint32_t umx_vchan_port(const umx_vchan *v)
{
	return v->port;
}

/* ---- setup ------------------------------------------------------------- */

/* Point the byte rings at their buffers. Left: client writes, server
 * reads. Right: the other way. */
static int attach_rings(umx_vchan *v, const struct vchan_layout *l, void *left, void *right)
{
	unsigned char *page = (unsigned char *)v->ctrl;
	void *lb = l->left_pages ? left : page + l->left_off;
	void *rb = l->right_pages ? right : page + l->right_off;
	struct umx_bytering *lring = v->is_server ? &v->rd : &v->wr;
	struct umx_bytering *rring = v->is_server ? &v->wr : &v->rd;
	int r;

	if (!lb || !rb)
		return -EINVAL;
	r = umx_bytering_init(lring, v->is_server ? UMX_BYTERING_READER : UMX_BYTERING_WRITER, lb,
	                      (size_t)1 << l->left_order, &v->ctrl->left.cons, &v->ctrl->left.prod);
	if (r < 0)
		return r;
	r = umx_bytering_init(rring, v->is_server ? UMX_BYTERING_WRITER : UMX_BYTERING_READER, rb,
	                      (size_t)1 << l->right_order, &v->ctrl->right.cons,
	                      &v->ctrl->right.prod);
	if (r < 0)
		return r;
	v->own_live = v->is_server ? &v->ctrl->srv_live : &v->ctrl->cli_live;
	v->peer_live = v->is_server ? &v->ctrl->cli_live : &v->ctrl->srv_live;
	/* libxenvchan: the server asks through cli_notify ("client, notify me
	 * when you ..."), and answers the bits the client set in srv_notify. */
	v->req = v->is_server ? &v->ctrl->cli_notify : &v->ctrl->srv_notify;
	v->ack = v->is_server ? &v->ctrl->srv_notify : &v->ctrl->cli_notify;
	return 0;
}

int vchan_attach_local(umx_vchan *v, bool is_server, void *ctrl_page, void *left, void *right)
{
	struct vchan_layout *l;
	const char *why = NULL;
	int r;

	memset(v, 0, sizeof(*v));
	v->is_server = is_server;
	v->ctrl = ctrl_page;
	l = malloc(sizeof(*l));
	if (!l)
		return -ENOMEM;
	r = vchan_layout_parse(ctrl_page, l, &why);
	if (r == 0)
		r = attach_rings(v, l, left, right);
	free(l);
	return r;
}

static void release(umx_vchan *v)
{
	if (v->plat) {
		/* Grants first, while the notify port is still bound. */
		if (v->m_right)
			umx_plat_unmap(v->plat, v->m_right);
		if (v->m_left)
			umx_plat_unmap(v->plat, v->m_left);
		if (v->m_ctrl)
			umx_plat_unmap(v->plat, v->m_ctrl);
		/* -EBUSY: the peer still maps them; the platform keeps the pages
		 * out of reuse and releases them later (MSA02). */
		if (v->sh_right)
			umx_plat_unshare(v->plat, v->sh_right);
		if (v->sh_left)
			umx_plat_unshare(v->plat, v->sh_left);
		if (v->sh_ctrl)
			umx_plat_unshare(v->plat, v->sh_ctrl);
		if (v->xs_path) /* as libxenvchan: the whole path goes */
			umx_xs_rm(umx_plat_xs(v->plat), UMX_XS_NO_TX, v->xs_path);
		if (v->port_bound)
			umx_plat_evtchn_unbind(v->plat, v->port);
		umx_plat_close(v->plat);
	}
	free(v->xs_path);
	free(v);
}

void umx_vchan_close(umx_vchan *v)
{
	if (!v)
		return;
	if (v->ctrl && v->own_live) {
		/* Orderly: say so before the live byte goes (seq_cst, then
		 * L1), so the peer that sees 0 sees CLOSED too. Not when our
		 * side of the stream was cut (our store or the peer died, or
		 * it broke): then our peer's stream is cut short too. */
		if (!v->peer_died && !v->broken)
			(void)umx_fetch_or8(v->req, VCHAN_NOTIFY_UMX_CLOSED);
		/* L1: pairs with the peer's L2: our last writes are visible
		 * before it sees us gone. */
		umx_store_release8(v->own_live, 0);
		if (v->plat && v->port_bound)
			umx_plat_evtchn_notify(v->plat, v->port);
	}
	release(v);
}

static int write_node(umx_xs *xs, uint32_t tx, const char *path, const char *leaf, uint32_t val,
                      const char *const *perms)
{
	char node[512], s[16];
	int r;

	if ((size_t)snprintf(node, sizeof(node), "%s/%s", path, leaf) >= sizeof(node))
		return -ENAMETOOLONG;
	snprintf(s, sizeof(s), "%u", val);
	r = umx_xs_write_str(xs, tx, node, s);
	if (r == 0)
		r = umx_xs_set_perms(xs, tx, node, perms, 2);
	return r;
}

/* What advertise() writes, for xenbus_transaction(). */
struct advert {
	const umx_vchan *v;
	const char *path;
	const char *const *perms;
};

static int advertise_tx(umx_xs *xs, uint32_t tx, void *arg)
{
	const struct advert *a = arg;
	int r = write_node(xs, tx, a->path, "ring-ref", a->v->ring_ref, a->perms);

	if (r == 0)
		r = write_node(xs, tx, a->path, "event-channel", a->v->port, a->perms);
	return r;
}

static int advertise(umx_vchan *v, const char *path)
{
	char p0[16], p1[16];
	const char *perms[2] = {p0, p1};
	struct advert a = {v, path, perms};

	/* As libxenvchan: owner (us) with no access for others, read for the
	 * client. */
	snprintf(p0, sizeof(p0), "n%u", umx_plat_domid(v->plat));
	snprintf(p1, sizeof(p1), "r%u", v->peer);
	return xenbus_transaction(umx_plat_xs(v->plat), advertise_tx, &a);
}

int umx_vchan_server_open(uint32_t client, const char *path, size_t left_min, size_t right_min,
                          umx_vchan **out)
{
	struct umx_gnt_notify n = {UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT,
	                           (uint32_t)VCHAN_OFF_SRV_LIVE, 0};
	struct vchan_layout l;
	umx_vchan *v;
	int lo = vchan_min_order(left_min), ro = vchan_min_order(right_min), r;

	if (!path || !*path || lo < 0 || ro < 0)
		return -EINVAL;
	/* libxenvchan's choice: in-page rings when they fit, one of order 10
	 * only when the other is of order 11. */
	if (left_min <= (1u << VCHAN_SMALL_ORDER) && right_min <= (1u << VCHAN_LARGE_ORDER)) {
		lo = VCHAN_SMALL_ORDER;
		ro = VCHAN_LARGE_ORDER;
	} else if (left_min <= (1u << VCHAN_LARGE_ORDER) &&
	           right_min <= (1u << VCHAN_SMALL_ORDER)) {
		lo = VCHAN_LARGE_ORDER;
		ro = VCHAN_SMALL_ORDER;
	} else if (left_min <= (1u << VCHAN_LARGE_ORDER)) {
		lo = VCHAN_LARGE_ORDER;
	} else if (right_min <= (1u << VCHAN_LARGE_ORDER)) {
		ro = VCHAN_LARGE_ORDER;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->is_server = true;
	v->blocking = true;
	v->peer = client;
	if ((r = umx_plat_open(NULL, &v->plat)) < 0)
		goto err;
	if ((r = umx_plat_evtchn_alloc_unbound(v->plat, client)) < 0)
		goto err;
	v->port = (uint32_t)r;
	v->port_bound = true;
	n.port = v->port;
	if ((r = umx_plat_share(v->plat, client, 1, false, &n, &v->sh_ctrl)) < 0)
		goto err;
	v->ctrl = umx_plat_share_addr(v->sh_ctrl);
	v->ring_ref = umx_plat_share_ref(v->sh_ctrl, 0);
	memset(v->ctrl, 0, UMX_PAGE_SIZE);
	l.left_order = (uint16_t)lo;
	l.right_order = (uint16_t)ro;
	l.left_pages = ring_pages((unsigned)lo);
	l.right_pages = ring_pages((unsigned)ro);
	l.left_off = inpage_offset((unsigned)lo);
	l.right_off = inpage_offset((unsigned)ro);
	if (l.left_pages &&
	    (r = umx_plat_share(v->plat, client, l.left_pages, false, NULL, &v->sh_left)) < 0)
		goto err;
	if (l.right_pages &&
	    (r = umx_plat_share(v->plat, client, l.right_pages, false, NULL, &v->sh_right)) < 0)
		goto err;
	for (uint32_t i = 0; i < l.left_pages; i++)
		v->ctrl->grants[i] = umx_plat_share_ref(v->sh_left, i);
	for (uint32_t i = 0; i < l.right_pages; i++)
		v->ctrl->grants[l.left_pages + i] = umx_plat_share_ref(v->sh_right, i);
	v->ctrl->left_order = (uint16_t)lo;
	v->ctrl->right_order = (uint16_t)ro;
	v->ctrl->cli_live = 2;
	/* Our request byte: tell us about writes, and we mark an orderly
	 * close (VCHAN_NOTIFY_UMX_CAP). */
	v->ctrl->cli_notify = VCHAN_NOTIFY_WRITE | VCHAN_NOTIFY_UMX_CAP;
	r = attach_rings(v, &l, v->sh_left ? umx_plat_share_addr(v->sh_left) : NULL,
	                 v->sh_right ? umx_plat_share_addr(v->sh_right) : NULL);
	if (r < 0)
		goto err;
	/* L1: the page is complete before it is marked live and advertised. */
	umx_store_release8(&v->ctrl->srv_live, 1);
	if ((r = advertise(v, path)) < 0)
		goto err;
	if (!(v->xs_path = strdup(path))) {
		r = -ENOMEM;
		goto err;
	}
	*out = v;
	return 0;
err:
	v->own_live = NULL;
	release(v);
	return r;
}

/* Strict decimal: a store value is peer-controlled input. */
static int parse_u32(const char *s, uint32_t *out)
{
	unsigned long long x = 0;

	if (!*s)
		return -EPROTO;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EPROTO;
		x = x * 10 + (unsigned)(*s - '0');
		if (x > UINT32_MAX)
			return -EPROTO;
	}
	*out = (uint32_t)x;
	return 0;
}

static int read_u32(umx_xs *xs, const char *path, const char *leaf, uint32_t *out)
{
	char node[512], *val = NULL;
	int r;

	if ((size_t)snprintf(node, sizeof(node), "%s/%s", path, leaf) >= sizeof(node))
		return -ENAMETOOLONG;
	r = umx_xs_read(xs, UMX_XS_NO_TX, node, &val, NULL);
	if (r < 0)
		return r;
	r = parse_u32(val, out);
	free(val);
	if (r == 0 && *out == 0)
		r = -EPROTO; /* libxenvchan rejects ref 0 and port 0 */
	return r;
}

static int find_offer(umx_vchan *v, const char *path, int wait_ms, uint32_t *rport)
{
	umx_xs *xs = umx_plat_xs(v->plat);
	uint64_t end = umx_clock_ms() + (uint64_t)(wait_ms < 0 ? 0 : wait_ms);

	for (;;) {
		int r = read_u32(xs, path, "ring-ref", &v->ring_ref);
		if (r == 0)
			r = read_u32(xs, path, "event-channel", rport);
		/* The server writes both nodes in one transaction. Until then
		 * they are missing (or unreadable to us). */
		if ((r != -ENOENT && r != -EACCES) || wait_ms == 0 ||
		    (wait_ms > 0 && umx_clock_ms() >= end))
			return r;
		usleep(20000);
	}
}

int umx_vchan_client_open(uint32_t server, const char *path, int wait_ms, umx_vchan **out)
{
	struct umx_gnt_notify n = {UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT,
	                           (uint32_t)VCHAN_OFF_CLI_LIVE, 0};
	struct vchan_layout *l = NULL;
	const char *why = NULL;
	uint32_t rport = 0;
	umx_vchan *v;
	int r;

	if (!path || !*path)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	l = malloc(sizeof(*l));
	if (!v || !l) {
		free(v);
		free(l);
		return -ENOMEM;
	}
	v->blocking = true;
	v->peer = server;
	if ((r = umx_plat_open(NULL, &v->plat)) < 0)
		goto err;
	if ((r = find_offer(v, path, wait_ms, &rport)) < 0)
		goto err;
	if ((r = umx_plat_evtchn_bind_interdomain(v->plat, server, rport)) < 0)
		goto err;
	v->port = (uint32_t)r;
	v->port_bound = true;
	n.port = v->port;
	if ((r = umx_plat_map(v->plat, server, 1, &v->ring_ref, false, &n, &v->m_ctrl)) < 0)
		goto err;
	v->ctrl = umx_plat_map_addr(v->m_ctrl);
	if ((r = vchan_layout_parse(v->ctrl, l, &why)) < 0) {
		umx_warn("vchan client (server %u, %s): bad control page: %s", server, path, why);
		goto err;
	}
	/* Left is ours to write; right we only read (mapped read-only, as
	 * libxenvchan does). */
	if (l->left_pages && (r = umx_plat_map(v->plat, server, l->left_pages, l->grants, false,
	                                       NULL, &v->m_left)) < 0)
		goto err;
	if (l->right_pages &&
	    (r = umx_plat_map(v->plat, server, l->right_pages, l->grants + l->left_pages, true,
	                      NULL, &v->m_right)) < 0)
		goto err;
	r = attach_rings(v, l, v->m_left ? umx_plat_map_addr(v->m_left) : NULL,
	                 v->m_right ? umx_plat_map_addr(v->m_right) : NULL);
	if (r < 0)
		goto err;
	/* Ask the server to tell us about writes (libxenvchan does the same);
	 * then L1: connected. */
	(void)umx_fetch_or8(&v->ctrl->srv_notify, VCHAN_NOTIFY_WRITE | VCHAN_NOTIFY_UMX_CAP);
	umx_store_release8(&v->ctrl->cli_live, 1);
	if ((r = umx_plat_evtchn_notify(v->plat, v->port)) < 0)
		goto err;
	free(l);
	*out = v;
	return 0;
err:
	free(l);
	if (v->ctrl && v->m_ctrl && v->own_live)
		umx_store_release8(v->own_live, 0);
	release(v);
	return r;
}
