/* SPDX-License-Identifier: MIT */
/*
 * evtchn_shm.h — the shared memory of umx event channels, between libumx
 * (lib/evtchn.c) and umxd (daemon/evtchn.c). Not installed.
 *
 * Xen's shape, with the hypervisor's writes split by who may make them.
 * Each handle (umx_evtchn_open) has, per remote domain it has ports with,
 * one *bucket*: a sealed memfd of pending and mask bits plus an eventfd,
 * made by umxd. The handle (the receiver) and the handles of that one
 * remote domain (the senders) map it; nobody else has it. A sender raises
 * a port by setting its pending bit and, only when the receiver may be
 * asleep, writing the bucket's eventfd (the "kick"). The receiver polls one
 * epoll descriptor holding its buckets' eventfds.
 *
 * What a hostile sender can do with its bucket, and why it costs others
 * nothing: set bits of any port number (the receiver honours a bit only
 * for a port it holds *in that bucket*, i.e. bound or offered to that
 * sender); clear bits, flip the upcall word, write the selector (it can
 * only lose or duplicate its own events); kick the eventfd without end (a
 * storm on one bucket, which the receiver counts and disables for a
 * while: the other buckets keep their own eventfds). It cannot resize the
 * memfd (sealed) nor reach another bucket (it never gets its descriptor).
 *
 * A handle's control page (one per handle, written by umxd only, mapped
 * read-only by the handle) holds a `stale` bit per port: umxd sets it when
 * the port's remote end changes (bound by the remote, or closed), so the
 * sender's cached target is asked for again through umxd (EVT_NOTIFY) at
 * the next notify; that "first raise" is the only notify umxd mediates.
 *
 * Ordering (labels used in lib/evtchn.c and daemon/evtchn.c):
 *   E1  umx_evt_raise(): seq_cst fetch_or of the pending bit, then seq_cst
 *       loads of the mask hint and exchange of `upcall`. Pairs with E2 (the
 *       receiver's seq_cst store of upcall = 0 before it re-scans) and E3
 *       (unmask's seq_cst clear of the mask hint before it re-reads the
 *       pending bit): in each pair at least one side sees the other's
 *       write, so an event is either found by the receiver or kicked.
 *   E4  the receiver's fetch_and that takes pending bits (acq_rel): data
 *       the sender published before E1 is visible once the bit is seen.
 */
#ifndef UMX_INTERNAL_EVTCHN_SHM_H
#define UMX_INTERNAL_EVTCHN_SHM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Ports per domain: 1..UMX_EVT_PORTS_MAX (0 is never a port, as in Xen).
 * Xen's 2-level ABI has 4096 for a 64-bit guest, its FIFO ABI 2^17; a umx
 * port costs no descriptor, so the limit is the bucket's size. */
#define UMX_EVT_PORTS_MAX 16383u
#define UMX_EVT_WORDS     ((UMX_EVT_PORTS_MAX + 1) / 64) /* 256 */
#define UMX_EVT_SEL_WORDS (UMX_EVT_WORDS / 64)           /* 4 */

struct umx_evt_bucket {
	/* 1 while the receiver is awake or has been kicked; a sender kicks
	 * only when it turns this 0 -> 1 (Xen's evtchn_upcall_pending). */
	_Atomic uint64_t upcall;
	uint64_t pad0[7];
	/* Bit w: pending[w] may have bits (Xen's pending_sel). */
	_Atomic uint64_t sel[UMX_EVT_SEL_WORDS];
	uint64_t pad1[8 - UMX_EVT_SEL_WORDS];
	_Atomic uint64_t pending[UMX_EVT_WORDS];
	/* The receiver's mask, published so senders need not kick for a
	 * masked port. A hint: the receiver keeps the real mask privately. */
	_Atomic uint64_t mask[UMX_EVT_WORDS];
};
#define UMX_EVT_BUCKET_SIZE 8192u
_Static_assert(sizeof(struct umx_evt_bucket) <= UMX_EVT_BUCKET_SIZE, "bucket fits its memfd");

struct umx_evt_ctl {
	_Atomic uint64_t stale[UMX_EVT_WORDS];
};
#define UMX_EVT_CTL_SIZE 4096u
_Static_assert(sizeof(struct umx_evt_ctl) <= UMX_EVT_CTL_SIZE, "control page fits its memfd");

static inline uint64_t umx_evt_bit(uint32_t port)
{
	return 1ull << (port % 64);
}

/* Set @port pending in @b (E1). True when the caller must kick the
 * bucket's eventfd: the bit was clear, the port not masked, and the
 * receiver had gone idle. @port must be < UMX_EVT_PORTS_MAX + 1. */
static inline bool umx_evt_raise(struct umx_evt_bucket *b, uint32_t port)
{
	uint32_t w = port / 64;
	uint64_t bit = umx_evt_bit(port);

	if (atomic_fetch_or_explicit(&b->pending[w], bit, memory_order_seq_cst) & bit)
		return false; /* already pending: whoever set it kicked */
	atomic_fetch_or_explicit(&b->sel[w / 64], 1ull << (w % 64), memory_order_seq_cst);
	if (atomic_load_explicit(&b->mask[w], memory_order_seq_cst) & bit)
		return false; /* masked: unmask() finds it (E3) */
	return atomic_exchange_explicit(&b->upcall, 1, memory_order_seq_cst) == 0;
}

/* Whether @port's remote end changed since the handle last asked. */
static inline bool umx_evt_stale(const struct umx_evt_ctl *c, uint32_t port)
{
	/* Relaxed: a notify that races with a re-bind may still reach the old
	 * target; the new binder's port starts pending, so nothing is lost. */
	return atomic_load_explicit(&c->stale[port / 64], memory_order_relaxed) & umx_evt_bit(port);
}

/* What a handle did, for the benchmarks and tests (lib/evtchn.c). */
struct umx_evtchn_stats {
	uint64_t notifies; /* raised in shared memory, no umxd */
	uint64_t mediated; /* raised through umxd (first raise, stale target) */
	uint64_t kicks;    /* eventfd writes: to a peer, or to itself */
	uint64_t spurious; /* wakeups by a bucket that had nothing for us */
	uint64_t storms;   /* times a bucket was held out for a storm */
};
struct umx_evtchn;
void umx_evtchn_stats(const struct umx_evtchn *h, struct umx_evtchn_stats *out);

#endif /* UMX_INTERNAL_EVTCHN_SHM_H */
