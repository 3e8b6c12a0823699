/* SPDX-License-Identifier: MIT */
/*
 * loop.h — umxd's single epoll loop.
 *
 * Every descriptor the daemon watches is a `struct umxd_io` owned by the
 * module that registered it. Removing an io during a dispatch round is safe:
 * the loop defers freeing until the round ends, so an event already
 * returned by epoll for a removed io is dropped instead of reaching freed
 * memory. No threads: correctness never depends on concurrency.
 */
#ifndef UMXD_LOOP_H
#define UMXD_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct umxd_loop;
struct umxd_io;

/* Called with the epoll events that fired (EPOLLIN, EPOLLOUT, EPOLLHUP...). */
typedef void (*umxd_io_fn)(struct umxd_io *io, uint32_t events, void *ctx);

int umxd_loop_new(struct umxd_loop **out);
void umxd_loop_free(struct umxd_loop *loop);

/* Watch @fd for @events. The loop does not own @fd; closing it is the
 * caller's job, after umxd_io_del(). Returns the io or NULL (errno set). */
struct umxd_io *umxd_io_add(struct umxd_loop *loop, int fd, uint32_t events, umxd_io_fn fn,
                            void *ctx);
/* Change the events watched (e.g. add EPOLLOUT while output is queued). */
int umxd_io_set_events(struct umxd_io *io, uint32_t events);
/* Stop watching; no callback for @io runs after this returns. */
void umxd_io_del(struct umxd_io *io);
int umxd_io_fd(const struct umxd_io *io);

/*
 * Descriptor headroom. The kernel hands out the lowest free descriptor
 * number and RLIMIT_NOFILE bounds the numbers, so a descriptor just made
 * with number N proves N + 1 are open, and one below limit - reserve
 * leaves at least @reserve free. Whoever creates descriptors on a peer's
 * behalf checks the highest one it made: past the reserve it closes them
 * and refuses with -EMFILE, so a peer can never take the descriptors
 * umxd needs to answer its toolstack (`umx list`) or to clean up.
 * Returns 0 or -EMFILE (the caller closes @fd).
 */
int umxd_loop_fd_check(const struct umxd_loop *loop, int fd, unsigned reserve);
/* Every descriptor umxd makes for a domain's request (event-channel
 * eventfds, grant regions, store connections) must leave this many free,
 * and one made for the toolstack (an accepted client, a new domain) the
 * second: domains running umxd out of descriptors get -EMFILE, and
 * `umx list` still gets an answer. */
#define UMXD_FD_RESERVE_DOMAIN    256u
#define UMXD_FD_RESERVE_TOOLSTACK 32u
/* The descriptor limit read when the loop was made (RLIMIT_NOFILE). */
unsigned umxd_loop_fd_limit(const struct umxd_loop *loop);

/* Run until umxd_loop_stop(); returns 0 or -errno from epoll_wait. */
int umxd_loop_run(struct umxd_loop *loop);
/* Run one round, waiting at most @timeout_ms (-1 forever). Returns the number
 * of events dispatched or -errno. */
int umxd_loop_once(struct umxd_loop *loop, int timeout_ms);
void umxd_loop_stop(struct umxd_loop *loop);
bool umxd_loop_stopping(const struct umxd_loop *loop);

#endif /* UMXD_LOOP_H */
