/* SPDX-License-Identifier: MIT */
/*
 * console.h — Xen's PV console (xen/io/console.h), both ends.
 *
 * Design note
 * -----------
 * A console is one page laid out as `struct xencons_interface`: `in[1024]`
 * (keyboard: backend writes, domain reads), `out[2048]` (the domain's
 * output), and the four free-running indices `in_cons, in_prod, out_cons,
 * out_prod`, plus one event channel. The domain (frontend) owns the page;
 * the backend (xenconsoled's role) maps it. Each direction is a
 * umx_bytering, so both ends read the peer's index once per call, check
 * `prod - cons <= size` and that it never goes backwards, and break the
 * console for good (sticky, the reason logged once) on a violation: what
 * Linux's hvc_xen does against its backend, done here in both roles.
 *
 * Store layout, as Xen's toolstack and xenconsoled use it:
 *  - the primary console (devid 0) lives under /local/domain/<D>/console:
 *    `ring-ref` (the ring's frame, as Xen's domain builder writes it),
 *    `port`, `type` ("xenconsoled"), `limit`, `output` ("pty"), `tty`
 *    (written by the backend). The page is granted at the reserved
 *    reference GNTTAB_RESERVED_CONSOLE (0), which is what backends map.
 *  - secondary consoles (devid N >= 1) are ordinary xenbus devices:
 *    /local/domain/<D>/device/console/<N> (`backend`, `backend-id`,
 *    `ring-ref` a grant reference, `port`, `state`) and
 *    /local/domain/<B>/backend/console/<D>/<N> (`frontend`,
 *    `frontend-id`, `state`, `tty`), with the usual handshake: backend
 *    InitWait, frontend Initialised once the ring is there, backend
 *    Connected once it maps it, frontend Connected.
 * For the primary console the toolstack also makes the backend directory,
 * so a backend that is not domain 0 finds its consoles the same way.
 *
 * Events: each end notifies after it moved either index. An event that
 * moved no peer index is spurious: counted, and past a limit per window
 * the port stays masked until the window ends (XSA-391's hvc_xen fix;
 * devices/common/evstorm.h). Bytes are never lost to a hold: they wait in
 * the ring.
 *
 * Threading: one umx_console is used by one thread at a time.
 * All functions return 0 (or a count) or -errno.
 */
#ifndef UMX_CONSOLE_H
#define UMX_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "umx/platform.h"
#include "umx/xs.h"

/* The primary console's devid; secondary consoles are 1 .. MAX. */
#define UMX_CONSOLE_PRIMARY   0u
#define UMX_CONSOLE_DEVID_MAX 255u
/* Ring sizes of struct xencons_interface. */
#define UMX_CONSOLE_IN_SIZE  1024u
#define UMX_CONSOLE_OUT_SIZE 2048u
/* What the toolstack writes as console/limit (libxl's default, bytes). */
#define UMX_CONSOLE_LIMIT 1048576u

typedef struct umx_console umx_console;

/* Counters of one end (diagnostics and tests). */
struct umx_console_stats {
	uint64_t bytes_read;    /* taken from the peer */
	uint64_t bytes_written; /* given to the peer */
	uint64_t events;        /* events handled */
	uint64_t spurious;      /* events that moved no peer index */
	uint64_t holds;         /* storm holds started */
};

/* ---- the toolstack's part ---------------------------------------------- */

/*
 * Say that console @devid of domain @domid is served by domain @backend:
 * the frontend directory (console/ for the primary, device/console/N)
 * with `backend`, `backend-id`, `limit`, `type`, `output` (and `state`
 * Initialising for a secondary), owned by @domid with @backend allowed to
 * read and write (it writes `tty`); and the backend directory with
 * `frontend`, `frontend-id`, `state` Initialising, owned by @backend with
 * @domid allowed to read. @xs must be allowed to write both (the
 * toolstack). Returns 0, -EINVAL (devid, domids), or the store's -errno.
 */
int umx_console_toolstack_add(umx_xs *xs, uint32_t domid, uint32_t devid, uint32_t backend);

/* The same, with @name (the domain's name, or NULL for none) written as
 * `name` in the backend directory in the same transaction, so the
 * backend knows what to call the console's log before it connects (a
 * backend that is not domain 0 cannot read the domain's own name node).
 * The backend treats it as any peer's input: checked, else unused. */
int umx_console_toolstack_add_named(umx_xs *xs, uint32_t domid, uint32_t devid, uint32_t backend,
                                    const char *name);

/* Remove both directories (missing ones are not an error). */
int umx_console_toolstack_remove(umx_xs *xs, uint32_t domid, uint32_t devid, uint32_t backend);

/* The pty the backend published for console @devid of @domid (its
 * `tty` node), malloc'd into *@tty. -ENOENT when none (yet). */
int umx_console_tty(umx_xs *xs, uint32_t domid, uint32_t devid, char **tty);

/* ---- the domain (frontend) --------------------------------------------- */

/*
 * Create console @devid of this domain: read `backend-id` from its
 * frontend directory (the toolstack wrote it), share a zeroed ring page
 * with that domain (the primary at GNTTAB_RESERVED_CONSOLE: umxd only,
 * since on Xen the domain builder made it and Linux's hvc0 serves it),
 * allocate the event channel, and publish `ring-ref` and `port` (and,
 * for a secondary, state Initialised). @p must stay open while the
 * console is. -ENOENT: no frontend directory or backend-id; -EBUSY: the
 * primary's reserved ref is still mapped by a backend from an earlier
 * console (MSA02: never reused while mapped); -EOPNOTSUPP: the primary
 * on Xen.
 */
int umx_console_front_open(umx_plat *p, uint32_t devid, umx_console **out);

/* ---- the backend ------------------------------------------------------- */

/*
 * Connect to console @devid of domain @domid: read `ring-ref` and `port`
 * from its frontend directory (each once, strict decimal), map the ring
 * (the primary at GNTTAB_RESERVED_CONSOLE), bind the event channel, and
 * publish state Connected in our backend directory (and the frontend's
 * for the primary, which has no handshake). The peer is hostile from
 * here on. -EAGAIN: the frontend has not published its ring yet (retry
 * when its nodes change); -ESRCH: the domain is gone.
 */
int umx_console_back_open(umx_plat *p, uint32_t domid, uint32_t devid, umx_console **out);

/* Publish @tty as the console's pty: `tty` in the backend directory and
 * in the frontend's (as xenconsoled does), the latter only if allowed. */
int umx_console_back_set_tty(umx_console *c, const char *tty);

/* ---- both ends --------------------------------------------------------- */

/* Copy up to @len bytes the peer sent (frontend: the in ring; backend:
 * the out ring) and notify the peer when any were taken. Returns the
 * count (0: none now), or -EPROTO once broken. */
int umx_console_read(umx_console *c, void *buf, size_t len);

/* Copy up to @len bytes for the peer (frontend: out; backend: in) and
 * notify it. Returns the count (0: the ring is full), or -EPROTO. */
int umx_console_write(umx_console *c, const void *buf, size_t len);

/* Bytes waiting to be read / free space to write (validated), or -EPROTO. */
int umx_console_readable(umx_console *c);
int umx_console_writable(umx_console *c);

/* Our local event channel port, to match umx_plat_evtchn_pending(). */
uint32_t umx_console_port(const umx_console *c);

/*
 * The console's port came out of umx_plat_evtchn_pending() (masked): count
 * it, re-arm the port unless a storm hold starts, and, when it moved no
 * index, ask the store whether the peer domain is still there. Returns 0,
 * -EPIPE when the peer is gone (what it sent can still be read), or
 * -EPROTO once broken. Then read and write until they return 0.
 */
int umx_console_event(umx_console *c);

/*
 * Ask the store whether the peer domain is still there (one request;
 * sticky once gone). A peer's death signals our port, but that event can
 * merge with its last data notify and then reads as work, not as death:
 * a process that has seen no event for a while, or a store watch of
 * @releaseDomain, asks here. Returns 1 when gone (what it sent can still
 * be read), else 0.
 */
int umx_console_peer_gone(umx_console *c);

/* @timeout_ms (negative: forever) shortened to end a storm hold in time;
 * umx_console_tick() then re-arms the port when the hold is over. */
int umx_console_timeout(const umx_console *c, int timeout_ms);
void umx_console_tick(umx_console *c);

/*
 * For a process whose platform handle has no other ports: wait up to
 * @timeout_ms (negative: forever) for an event and handle it as
 * umx_console_event() does (events of other ports are re-armed and
 * dropped). Returns 1 after an event, 0 on timeout, -EPIPE when the
 * peer is gone (an event, or a timeout, found it: umx_console_peer_gone()),
 * or -errno.
 */
int umx_console_wait(umx_console *c, int timeout_ms);

/* The reason the console broke, or NULL while healthy. */
const char *umx_console_broken(const umx_console *c);
/* The peer domain, our devid. */
uint32_t umx_console_peer(const umx_console *c);
uint32_t umx_console_devid(const umx_console *c);
void umx_console_stats_get(const umx_console *c, struct umx_console_stats *st);

/*
 * Disconnect and free @c. The frontend ends the grant: -EBUSY when the
 * backend still maps the page (it stays granted and is never reused;
 * MSA02), 0 otherwise; the backend unmaps and returns 0. @c is freed
 * either way. The frontend's store nodes are left for the toolstack.
 */
int umx_console_close(umx_console *c);

#endif /* UMX_CONSOLE_H */
