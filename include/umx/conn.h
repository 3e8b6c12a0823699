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

/* One request/reply exchange (include/umx/ctl.h). @reply receives the reply
 * body after the result field, exactly @reply_len bytes (or, with
 * @reply_len_out non-NULL, up to @reply_len, the length stored there).
 * Received descriptors go to @fds (up to @max_fds, count in @nfds), the rest
 * are closed. Returns the daemon's result (0 or -errno) or a transport
 * error (-ECONNRESET when umxd went away, -EPROTO for a bad reply). */
int umx_conn_call(umx_conn *conn, uint32_t type, const void *req, size_t req_len, void *reply,
                  size_t reply_len, size_t *reply_len_out, int *fds, unsigned max_fds,
                  unsigned *nfds);

/* The same, with one descriptor attached to the request (@send_fd; the
 * caller keeps it: the receiver gets its own copy). */
int umx_conn_call_send_fd(umx_conn *conn, uint32_t type, const void *req, size_t req_len,
                          int send_fd, void *reply, size_t reply_len, size_t *reply_len_out,
                          int *fds, unsigned max_fds, unsigned *nfds);

/* Internal to libumx and its drop-ins: the grant table the daemon handed
 * this domain at HELLO (descriptor owned by the connection). */
int umx_conn_grant_table_fd(const umx_conn *conn, uint32_t *frames);

#endif /* UMX_CONN_H */
