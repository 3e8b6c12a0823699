/* SPDX-License-Identifier: MIT */
/*
 * vchan.h — Xen's libxenvchan, wire-compatible, hardened against the peer.
 *
 * Design note
 * -----------
 * A vchan is a bidirectional byte pipe between two domains: one shared
 * control page (struct vchan_interface of xen/io/libxenvchan.h), two byte
 * rings and one event channel. The *server* allocates everything and
 * advertises it in the store; the *client* maps it. Byte for byte what
 * Xen's libxenvchan does, so either end may be Xen's library:
 *
 *   server (domain S, path P, client C)        client (domain C)
 *   1. port = alloc_unbound(C)
 *   2. share 1 control page with C, unmap notify {clear byte 21 (srv_live),
 *      event on port}; zero it; left_order, right_order; cli_live = 2;
 *      srv_live = 1; cli_notify = VCHAN_NOTIFY_WRITE
 *   3. rings of order >= 12: share 2^(order-12) pages each, left first,
 *      refs in grants[] (left's, then right's)
 *   4. in one transaction: P/ring-ref = "<ref>", P/event-channel =
 *      "<port>", each with perms ["n<S>", "r<C>"]
 *                                              5. read P/ring-ref, P/event-channel
 *                                              6. bind_interdomain(S, port)
 *                                              7. map the control page with
 *                                                 unmap notify {clear byte 20
 *                                                 (cli_live), event on port}
 *                                              8. copy + validate orders and
 *                                                 grants; map left RW, right RO
 *                                              9. cli_live = 1; srv_notify =
 *                                                 VCHAN_NOTIFY_WRITE; notify
 *
 * "left" is written by the client and read by the server; "right" the other
 * way. Order 10 rings live at offset 1024 of the control page, order 11 at
 * 2048; orders 12..20 are separately granted pages. The server picks orders
 * as libxenvchan does (both rings in the page when they fit).
 *
 * Notifications follow Xen's notify bits: a reader that finds the ring
 * empty sets VCHAN_NOTIFY_WRITE in the peer's request byte and re-checks; a
 * writer clears that bit and sends an event only when it was set. So a
 * stream of writes costs one event per time the reader actually sleeps.
 *
 * Hostile peer: the orders and grants are copied once and validated (orders
 * 10..20, not both in-page of the same order, the grant list may not reach
 * an in-page ring); ring indices go through umx_bytering's window checks;
 * live flags outside {0,1,2} break the vchan. Broken is sticky: -EPROTO from
 * every call. A live flag once seen 0 is end of stream for good. Peer death
 * is seen through the unmap notify (its live byte cleared + an event).
 *
 * Close or death: Xen's protocol shows both as the live byte going 0. A umx
 * end marks an orderly close first (two spare bits of its notify byte,
 * vchan_priv.h), so a umx peer's death is told apart: the stream was cut
 * short, and reads (once the data that did arrive is read) and writes
 * return -ECONNRESET, with umx_vchan_died() saying why. The same happens
 * when a server's named client dies before it connects, and when the store
 * connection (umxd) goes away: an idle end asks the store about both every
 * 500 ms. A Xen libxenvchan peer's live 0 is an orderly end, as in Xen.
 *
 * Errors are -errno: -EAGAIN (non-blocking, nothing to do), -EPIPE (write
 * after the peer closed), -ECONNRESET (the peer died: see above), -EPROTO
 * (peer broke the protocol), -EMSGSIZE (a packet larger than the ring).
 * Reads return 0 at end of stream (the peer closed and everything it wrote
 * has been read).
 *
 * A handle owns its own platform handle (umx_plat_open(NULL)), hence
 * its own event-channel descriptor, as libxenvchan owns its xenevtchn.
 * Not thread-safe: one thread per handle.
 */
#ifndef UMX_VCHAN_H
#define UMX_VCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct umx_vchan umx_vchan;

/* Ring orders libxenvchan accepts. */
#define UMX_VCHAN_MIN_ORDER 10
#define UMX_VCHAN_MAX_ORDER 20
#define UMX_VCHAN_MAX_RING  (1u << UMX_VCHAN_MAX_ORDER)

/*
 * Server: offer a vchan to domain @client under store path @path (absolute,
 * or relative to our /local/domain/<domid>). @left_min is the minimum size
 * of the ring we read (client → server), @right_min of the ring we write;
 * each at most UMX_VCHAN_MAX_RING (else -EINVAL). Returns at once; the
 * client may connect later (umx_vchan_is_open() == 2 until then). Writes
 * before the client connects are buffered in the ring.
 */
int umx_vchan_server_open(uint32_t client, const char *path, size_t left_min, size_t right_min,
                          umx_vchan **out);

/*
 * Client: connect to the vchan that domain @server offers under @path.
 * @wait_ms: how long to wait for the server's store nodes to appear (0 =
 * fail at once with -ENOENT, as libxenvchan does; -1 = forever).
 */
int umx_vchan_client_open(uint32_t server, const char *path, int wait_ms, umx_vchan **out);

/* Orderly close: our live flag cleared, the peer notified, pages released;
 * the server removes its store path (ring-ref, event-channel and anything
 * else under it, as libxenvchan does). NULL is ignored. */
void umx_vchan_close(umx_vchan *v);

/* Blocking (the default) or not. Blocking calls wait on the event channel
 * and never hang on a dead peer (its death is an event). */
void umx_vchan_set_blocking(umx_vchan *v, bool blocking);

/* The descriptor to poll (POLLIN: an event came; call umx_vchan_wait()). */
int umx_vchan_fd(const umx_vchan *v);

/* Consume a pending event, waiting up to @timeout_ms for one (-1: forever,
 * 0: don't wait). Returns 0 (an event was consumed), -ETIMEDOUT, -errno. */
int umx_vchan_wait(umx_vchan *v, int timeout_ms);

/* Stream read: up to @len bytes (> 0), 0 at end of stream, -EAGAIN when
 * non-blocking and empty, -ECONNRESET when the peer died, -EPROTO.
 * Blocking: waits for at least one byte. */
int umx_vchan_read(umx_vchan *v, void *buf, size_t len);
/* Stream write: blocking writes everything (or returns the count written
 * before the peer went away, or -EPIPE if none); non-blocking writes what
 * fits (-EAGAIN if nothing). */
int umx_vchan_write(umx_vchan *v, const void *buf, size_t len);

/* Packet (all or nothing): exactly @len bytes or nothing. recv returns @len,
 * 0 at end of stream (fewer than @len bytes left), -EAGAIN, -EMSGSIZE when
 * @len exceeds the ring, -EPROTO. send returns @len, -EAGAIN, -EPIPE,
 * -EMSGSIZE, -EPROTO. */
int umx_vchan_recv(umx_vchan *v, void *buf, size_t len);
int umx_vchan_send(umx_vchan *v, const void *buf, size_t len);

/* Bytes ready to read / free space to write, and ask the peer to notify us
 * when that changes (so a poll on the fd follows). -EPROTO when broken. */
int umx_vchan_data_ready(umx_vchan *v);
int umx_vchan_buffer_space(umx_vchan *v);

/* Ring sizes in bytes (read side, write side). */
size_t umx_vchan_read_size(const umx_vchan *v);
size_t umx_vchan_write_size(const umx_vchan *v);

/* 1: peer connected; 2: server side, client not connected yet; 0: the peer
 * closed or died; -EPROTO: broken. */
int umx_vchan_is_open(umx_vchan *v);

/* Why the vchan broke, or NULL. */
const char *umx_vchan_broken(const umx_vchan *v);
/* Why the stream was cut short ("server domain 5 died", "client domain 7
 * died before connecting", "the store connection (umxd) is gone"), or NULL
 * while the peer is there or after its orderly close. */
const char *umx_vchan_died(const umx_vchan *v);

/* Process-wide counters of the blocking calls' safety net. A blocking call
 * that sees no event for 500 ms checks the rings anyway (@rechecks). One
 * that then finds data or space no event announced, with no event in the
 * 500 ms after either, counts in @lost_wakeups: the peer moved the ring
 * without notifying although asked to, a bug in one side's notify
 * protocol that costs a stall instead of a hang. The tests require none. */
struct umx_vchan_stats {
	uint64_t rechecks;
	uint64_t lost_wakeups;
};
void umx_vchan_stats_get(struct umx_vchan_stats *out);

/* The control-page grant reference and the event-channel port advertised
 * (server) or used (client: our local port). */
uint32_t umx_vchan_ring_ref(const umx_vchan *v);
uint32_t umx_vchan_port(const umx_vchan *v);

#endif /* UMX_VCHAN_H */
