/* SPDX-License-Identifier: MIT */
/*
 * xs.h — a XenStore client (xs_wire) for domains and the toolstack.
 *
 * Inside a domain, umx_xs_open() asks the domain's connection for a store
 * connection of its own (identity = the domain, relative paths resolve
 * under /local/domain/<domid>). Outside, it connects to the toolstack
 * socket $UMX_DIR/xenstored as domain 0.
 *
 * Calls are synchronous and thread-safe. Watch events that arrive while a
 * reply is awaited are queued (at most UMX_XS_EVENTS_MAX; beyond that the
 * connection is considered broken: -ENOBUFS) and returned by
 * umx_xs_read_watch(). Returns 0 or -errno; store errors map to their
 * errno (ENOENT, EACCES, EINVAL, EEXIST, EAGAIN for a transaction conflict,
 * E2BIG, EQUOTA as EDQUOT, ...). Strings returned are malloc'd: free() them.
 */
#ifndef UMX_XS_H
#define UMX_XS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UMX_XS_EVENTS_MAX 4096u
#define UMX_XS_NO_TX      0u

typedef struct umx_xs umx_xs;

int umx_xs_open(umx_xs **out);
/* Adopt a connected SOCK_STREAM descriptor (ownership passes). */
int umx_xs_open_fd(int fd, umx_xs **out);
/* Connect to a store socket path as the toolstack. */
int umx_xs_open_path(const char *path, umx_xs **out);
void umx_xs_close(umx_xs *xs);
/* Readable when a watch event (or an unsolicited message) is waiting;
 * umx_xs_read_watch() also reports queued events not yet on the fd. */
int umx_xs_fd(const umx_xs *xs);

/* Value as a NUL-terminated buffer (*len excludes the NUL; may be NULL). */
int umx_xs_read(umx_xs *xs, uint32_t tx, const char *path, char **value, size_t *len);
int umx_xs_write(umx_xs *xs, uint32_t tx, const char *path, const void *value, size_t len);
int umx_xs_write_str(umx_xs *xs, uint32_t tx, const char *path, const char *value);
int umx_xs_mkdir(umx_xs *xs, uint32_t tx, const char *path);
int umx_xs_rm(umx_xs *xs, uint32_t tx, const char *path);
/* Child names: *names is one malloc'd array of *count pointers followed by
 * the strings; free(*names) releases all. */
int umx_xs_directory(umx_xs *xs, uint32_t tx, const char *path, char ***names, unsigned *count);
/* Permissions as Xen writes them: "n0", "r5", ... first = owner/default. */
int umx_xs_get_perms(umx_xs *xs, uint32_t tx, const char *path, char ***perms, unsigned *count);
int umx_xs_set_perms(umx_xs *xs, uint32_t tx, const char *path, const char *const *perms,
                     unsigned count);

/* A permission's letter and its flags, the values of Xen's XS_PERM_READ
 * and XS_PERM_WRITE: 'n' none, 'r' read, 'w' write, 'b' both. The one
 * mapping of libxenstore's compat and umxd's store. */
#define UMX_XS_PERM_READ  1u
#define UMX_XS_PERM_WRITE 2u
/* The flags for @letter, or -EINVAL for any other character. */
int umx_xs_perm_from_letter(char letter);
/* The letter for the read and write bits of @perm (others are ignored). */
char umx_xs_perm_letter(unsigned perm);

int umx_xs_watch(umx_xs *xs, const char *path, const char *token);
int umx_xs_unwatch(umx_xs *xs, const char *path, const char *token);
/* Next watch event; waits up to @timeout_ms (-1 forever, 0 poll).
 * -ETIMEDOUT when none came. */
int umx_xs_read_watch(umx_xs *xs, char **path, char **token, int timeout_ms);

int umx_xs_transaction_start(umx_xs *xs, uint32_t *tx);
/* Commit (@commit true) or abort. -EAGAIN: conflict, retry the transaction. */
int umx_xs_transaction_end(umx_xs *xs, uint32_t tx, bool commit);

int umx_xs_get_domain_path(umx_xs *xs, uint32_t domid, char **path);

/* Any request: @payload of @len bytes; reply body malloc'd (NUL added).
 * For the drop-in libxenstore, which exposes raw requests. */
int umx_xs_request(umx_xs *xs, uint32_t type, uint32_t tx, const void *payload, size_t len,
                   char **reply, size_t *reply_len);

#endif /* UMX_XS_H */
