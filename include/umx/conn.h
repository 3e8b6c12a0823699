/* SPDX-License-Identifier: MIT */
/*
 * conn.h — a connection to umxd.
 *
 * A process talks to umxd over one of two kinds of connection:
 *  - the toolstack's: a connection to the control socket in the runtime
 *    directory ($UMX_DIR, else $XDG_RUNTIME_DIR/umx, or /run/umx for root).
 *    It acts as domain 0: it creates, lists and destroys domains.
 *  - a domain's own: inherited from `umx run` as the descriptor named by
 *    $UMX_DOMAIN_FD. Its identity is the connection itself; grant tables,
 *    event channels and the domain's store connection hang off it.
 *
 * Calls are synchronous request/reply and thread-safe (one mutex per
 * connection). All functions return 0 (or a count) or -errno.
 */
#ifndef UMX_CONN_H
#define UMX_CONN_H

#include <stddef.h>
#include <stdint.h>

typedef struct umx_conn umx_conn;

/* The runtime directory umxd and its clients agree on: $UMX_DIR, else
 * /run/umx for root, else $XDG_RUNTIME_DIR/umx, else /tmp/umx-<uid>. */
int umx_default_dir(char *buf, size_t len);
/* Connect to the control socket of the daemon in @dir (NULL: default). */
int umx_conn_open_toolstack(const char *dir, umx_conn **out);
/* Adopt this process's domain connection ($UMX_DOMAIN_FD). -ENOENT when the
 * process was not started as a domain. The same umx_conn is returned on
 * every call; close it as many times as opened. The connection itself stays
 * open until the process exits, because closing it means the domain dies. */
int umx_conn_open_domain(umx_conn **out);
void umx_conn_close(umx_conn *conn);

/* Our domid (0 for the toolstack). */
uint32_t umx_conn_domid(const umx_conn *conn);
/* The runtime directory this connection resolved (toolstack only, else ""). */
const char *umx_conn_dir(const umx_conn *conn);

#endif /* UMX_CONN_H */
