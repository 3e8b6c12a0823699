/* SPDX-License-Identifier: MIT */
/*
 * xs.h — umxd's XenStore: the xs_wire protocol of Xen 4.17's xenstored.
 *
 * Design. The store is split in two:
 *  - a pure engine (struct xs_store, struct xs_conn): the tree, permissions,
 *    watches, transactions and quotas. Its input is bytes from one
 *    connection (any split: Debian's libxenstore writes header and payload
 *    separately), its output a bounded per-connection queue of xs_wire
 *    messages. No sockets, no threads, no clock but the one you give it, so
 *    unit tests and the fuzzer drive it directly;
 *  - a thin socket glue (struct umxd_xs) on umxd's epoll loop.
 *
 * Identity. A connection's domain id is fixed when it is created and is
 * never taken from the wire. Domain 0 is privileged: it passes every
 * permission check and no per-domain quota applies to it; instead, all that
 * domain 0 holds in the store (its nodes, its connections with their queued
 * replies and events, transactions and watches) has one total cap,
 * "toolstack-memory", set when the store is made (umxd's
 * --xs-toolstack-memory) and not over the wire. Past it, requests that
 * would grow the store get ENOSPC (logged once per crossing), new
 * connections of domain 0 are refused, a connection with replies unread
 * is not read, and one that lets watch events pile up is cut off.
 *
 * Hostile peers. A connection that sends a length above
 * XENSTORE_PAYLOAD_MAX, does not read its watch events, or (unprivileged)
 * keeps a transaction open too long is cut off: it is marked broken, its
 * watches and transactions are dropped and the reason is logged with
 * umx_warn(). Malformed requests (missing NULs, bad paths, unknown types)
 * get Xen's error replies and the connection stays. A connection whose
 * replies are not read stops being read (back-pressure), which is how the
 * "outstanding requests" quota is enforced.
 */
#ifndef UMXD_XS_H
#define UMXD_XS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "loop.h"

struct umxd_xs;
struct umxd_xs_hooks {
	bool (*domain_exists)(void *ctx, unsigned domid); /* IS_DOMAIN_INTRODUCED etc. */
	/* Every message in (@reply false) and out, header and payload, while
	 * xs_store_set_trace() is on (umx trace). May be NULL. */
	void (*trace)(void *ctx, unsigned domid, bool reply, const void *msg, size_t len);
	void *ctx;
};

/* ---- The daemon's API (socket glue) ---- */

/* Create the store, listen on a Unix SOCK_STREAM socket at @socket_path
 * (mode 0600; peers of another uid are refused, logged). Those clients are
 * domain 0. @hooks may be NULL; it is copied. Returns 0 or -errno. */
int umxd_xs_new(struct umxd_loop *loop, const char *socket_path, const struct umxd_xs_hooks *hooks,
                struct umxd_xs **out);
/* Closes all connections, unlinks the socket. NULL is a no-op. */
void umxd_xs_free(struct umxd_xs *xs);
/* Store connections one domain may hold at once (umx_xs handles; Xen's
 * libxenstore opens one per xs_open). */
#define UMXD_XS_CONNS_PER_DOMAIN 64u
/* Connections domain 0 may hold at once (each costs umxd a descriptor and
 * may hold XS_DOM0_OUTQ_OVER_CAP of events past its memory cap). */
#define XS_DOM0_CONNS_MAX 1024u
/* Over its memory cap, a dom0 connection with this much unread output is
 * cut off when yet another watch event comes. */
#define XS_DOM0_OUTQ_OVER_CAP (64u << 10)
/* Toolstack connections from one process (past it, refused). */
#define XS_DOM0_CONNS_PER_PID 128u
/* A message begun and not finished for this long: the connection is cut
 * (it would hold its slot and buffer for ever). */
#define XS_HALF_FRAME_TIMEOUT_MS 10000u
/* Take ownership of a connected SOCK_STREAM @fd whose peer is domain @domid
 * (the fd is closed on failure too). Returns 0 or -errno (-EMFILE past
 * UMXD_XS_CONNS_PER_DOMAIN). */
int umxd_xs_attach(struct umxd_xs *xs, int fd, unsigned domid);
/* Write the nodes a Xen toolstack (libxl) writes for a new domain and fire
 * @introduceDomain. Returns 0 or -errno (-EEXIST if already introduced). */
int umxd_xs_domain_introduce(struct umxd_xs *xs, unsigned domid, const char *name);
/* Remove /local/domain/<domid>, the domain's connections, watches and
 * transactions; give its nodes to dom0 and drop permission entries naming
 * it (XSA-322); fire @releaseDomain. */
void umxd_xs_domain_release(struct umxd_xs *xs, unsigned domid);
/* The engine behind the socket glue (for quota changes, tests). */
struct xs_store *umxd_xs_store(struct umxd_xs *xs);

/* Serve the store alone on a socket until SIGINT/SIGTERM:
 * `ARGV0 SOCKET_PATH [--domain ID:NAME]...`. Returns a process exit code. */
int umxd_xs_standalone_main(int argc, char **argv);

/* ---- The engine ---- */

struct xs_store;
struct xs_conn;

/* Quotas: per unprivileged domain (dom0 exempt), but for toolstack-memory,
 * dom0's total. Names are those accepted by CONTROL "quota" and
 * xs_store_quota_set(). */
enum xs_quota {
	XS_Q_NODES,            /* nodes owned: 1000 (ENOSPC) */
	XS_Q_WATCHES,          /* watches: 128 (E2BIG) */
	XS_Q_TRANSACTIONS,     /* open transactions: 10 (ENOSPC) */
	XS_Q_OUTSTANDING,      /* unread replies before input is paused: 20 */
	XS_Q_NODE_SIZE,        /* bytes of a node's value: 4096 (ENOSPC) */
	XS_Q_PERMISSIONS,      /* entries in a node's permission list: 5 (ENOSPC) */
	XS_Q_PATH_MAX,         /* path length below /local/domain/<id>: 2048 (EINVAL) */
	XS_Q_TRANS_NODES,      /* nodes touched by one transaction: 1024 (ENOSPC) */
	XS_Q_MEMORY,           /* bytes queued for one connection (replies + events): 2 MiB */
	XS_Q_TRANS_SECONDS,    /* age after which an open transaction cuts the domain off: 60 */
	XS_Q_TOOLSTACK_MEMORY, /* domain 0's total bytes (see above): 256 MiB; not settable
	                        * by CONTROL, since it binds domain 0 itself */
	XS_Q_COUNT
};

/* @hooks may be NULL. Creates /, /local, /local/domain, /tool and
 * /local/domain/0 (name "Domain-0"). Returns 0 or -errno. */
int xs_store_new(const struct umxd_xs_hooks *hooks, struct xs_store **out);
/* Frees every connection still attached too. */
void xs_store_free(struct xs_store *st);
const char *xs_quota_name(enum xs_quota q);
unsigned xs_store_quota_get(const struct xs_store *st, enum xs_quota q);
void xs_store_quota_set(struct xs_store *st, enum xs_quota q, unsigned value);
/* Clock for transaction ages, in milliseconds (default CLOCK_MONOTONIC). */
void xs_store_set_clock(struct xs_store *st, uint64_t (*now_ms)(void *ctx), void *ctx);
/* Cut off unprivileged connections whose oldest transaction is older than
 * the transaction-time quota. Call about once a second. */
void xs_store_tick(struct xs_store *st);
int xs_store_domain_introduce(struct xs_store *st, unsigned domid, const char *name);
void xs_store_domain_release(struct xs_store *st, unsigned domid);
/* Call hooks.trace for every message (umx trace): off by default. */
void xs_store_set_trace(struct xs_store *st, bool on);
/* Number of nodes in the committed tree (tests, bench). */
size_t xs_store_node_count(const struct xs_store *st);
/* Bytes the engine holds on behalf of connections: queued output,
 * transaction copies and watches (tests: memory stays bounded). */
size_t xs_store_conn_bytes(const struct xs_store *st);
/* Bytes charged to domain @domid: its nodes, and its connections with what
 * they hold. For domain 0 this is what XS_Q_TOOLSTACK_MEMORY caps. */
size_t xs_store_domain_bytes(const struct xs_store *st, unsigned domid);
/* May domain @domid open one more connection? 0, -EMFILE past
 * @max_per_domain (unprivileged) or the toolstack's connection cap, or
 * -ENOSPC while the toolstack is over its memory cap. */
int xs_store_conn_admit(struct xs_store *st, unsigned domid, unsigned max_per_domain);

/* A connection of domain @domid. @notify (may be NULL) is called when output
 * is queued or the connection breaks because of another connection's
 * action; it must not free the connection. Returns NULL on ENOMEM. */
struct xs_conn *xs_conn_new(struct xs_store *st, unsigned domid, void (*notify)(void *ctx),
                            void *ctx);
void xs_conn_free(struct xs_conn *c);
unsigned xs_conn_domid(const struct xs_conn *c);
bool xs_conn_broken(const struct xs_conn *c);
/* Feed @len bytes; processes every complete message it can. Returns the
 * number of bytes taken (less than @len while output is not being read:
 * back-pressure) or -EPIPE once the connection is cut off. */
long xs_conn_feed(struct xs_conn *c, const void *buf, size_t len);
/* Zero-copy variant: the free input space (0 while paused or broken), then
 * commit @n bytes written there. xs_conn_rx_commit(c, 0) processes input
 * that waited for the output queue to drain. */
size_t xs_conn_rx_space(struct xs_conn *c, void **buf);
int xs_conn_rx_commit(struct xs_conn *c, size_t n);
/* Output: fill up to @max iovecs with queued bytes; returns the count. */
int xs_conn_tx_iov(const struct xs_conn *c, struct iovec *iov, int max);
size_t xs_conn_tx_pending(const struct xs_conn *c);
/* Input bytes held: with no output pending, the start of a message whose
 * rest has not come (the glue times such a half-sent frame out). */
size_t xs_conn_rx_pending(const struct xs_conn *c);
void xs_conn_tx_consume(struct xs_conn *c, size_t n);
/* Copy the next whole queued message (header + payload) into @buf; returns
 * its length, 0 if none, -ENOSPC if @cap is too small. (Tests.) */
long xs_conn_pop(struct xs_conn *c, void *buf, size_t cap);

#endif /* UMXD_XS_H */
