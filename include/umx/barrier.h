/* SPDX-License-Identifier: MIT */
/*
 * barrier.h — the only place umx touches shared-memory ordering.
 *
 * Shared pages (rings, grant tables, vchan control pages) are laid out by
 * Xen's headers with plain integer fields, because a Xen or Linux peer
 * reads them with plain loads and explicit barriers. umx accesses those
 * fields through these wrappers, which apply C11 atomics to the plain
 * field: on every target umx supports (x86-64, aarch64, gcc and clang) an
 * aligned 32-bit plain object and its _Atomic counterpart have the same
 * size, alignment and representation, which is what lets a C11 peer and a
 * Xen-macro peer share one page.
 *
 * Rules (DPDK-style): every acquire load and release store in a caller
 * carries a label (A1, R1, ...) and names the barrier it pairs with.
 */
#ifndef UMX_BARRIER_H
#define UMX_BARRIER_H

#include <stdatomic.h>
#include <stdint.h>

#define UMX_ATOMIC32(p) ((_Atomic uint32_t *)(void *)(p))
#define UMX_ATOMIC16(p) ((_Atomic uint16_t *)(void *)(p))
#define UMX_ATOMIC8(p)  ((_Atomic uint8_t *)(void *)(p))

/* Load a peer-written index once; later reads of data it covers happen after. */
static inline uint32_t umx_load_acquire32(const volatile void *p)
{
	return atomic_load_explicit(UMX_ATOMIC32((void *)p), memory_order_acquire);
}

/* Load without ordering (our own index, or a value re-validated later). */
static inline uint32_t umx_load_relaxed32(const volatile void *p)
{
	return atomic_load_explicit(UMX_ATOMIC32((void *)p), memory_order_relaxed);
}

/* Publish an index: every earlier write (the entries) is visible first. */
static inline void umx_store_release32(volatile void *p, uint32_t v)
{
	atomic_store_explicit(UMX_ATOMIC32((void *)p), v, memory_order_release);
}

static inline void umx_store_relaxed32(volatile void *p, uint32_t v)
{
	atomic_store_explicit(UMX_ATOMIC32((void *)p), v, memory_order_relaxed);
}

static inline uint8_t umx_load_relaxed8(const volatile void *p)
{
	return atomic_load_explicit(UMX_ATOMIC8((void *)p), memory_order_relaxed);
}

static inline void umx_store_release8(volatile void *p, uint8_t v)
{
	atomic_store_explicit(UMX_ATOMIC8((void *)p), v, memory_order_release);
}

static inline uint8_t umx_load_acquire8(const volatile void *p)
{
	return atomic_load_explicit(UMX_ATOMIC8((void *)p), memory_order_acquire);
}

static inline uint16_t umx_load_relaxed16(const volatile void *p)
{
	return atomic_load_explicit(UMX_ATOMIC16((void *)p), memory_order_relaxed);
}

/* Atomic read-modify-write on a shared byte (vchan's notify bits): full
 * barriers, returning the previous value. */
static inline uint8_t umx_fetch_or8(volatile void *p, uint8_t bits)
{
	return atomic_fetch_or_explicit(UMX_ATOMIC8((void *)p), bits, memory_order_seq_cst);
}

static inline uint8_t umx_fetch_and8(volatile void *p, uint8_t mask)
{
	return atomic_fetch_and_explicit(UMX_ATOMIC8((void *)p), mask, memory_order_seq_cst);
}

/* Full barrier: orders an earlier store before a later load (Xen's mb()),
 * the store-load ordering the event-suppression protocol needs. */
static inline void umx_mb(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

/* Compare-and-swap on a shared 16-bit field (grant entry flags). Returns
 * the value found; the swap happened iff it equals @expect. */
static inline uint16_t umx_cmpxchg16(volatile void *p, uint16_t expect, uint16_t desired)
{
	atomic_compare_exchange_strong_explicit(UMX_ATOMIC16((void *)p), &expect, desired,
	                                        memory_order_seq_cst, memory_order_seq_cst);
	return expect;
}

static inline uint32_t umx_cmpxchg32(volatile void *p, uint32_t expect, uint32_t desired)
{
	atomic_compare_exchange_strong_explicit(UMX_ATOMIC32((void *)p), &expect, desired,
	                                        memory_order_seq_cst, memory_order_seq_cst);
	return expect;
}

#endif /* UMX_BARRIER_H */
