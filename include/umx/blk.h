/* SPDX-License-Identifier: MIT */
/*
 * blk.h — Xen PV block devices (xen/io/blkif.h): blkfront, blkback over a
 * file, and the toolstack's part of the handshake.
 *
 * Design note
 * -----------
 * The wire is Xen's: one shared ring of struct blkif_request /
 * blkif_response on 2^ring-page-order pages, one event channel, and the
 * xenbus handshake exactly as Linux's xen-blkfront/xen-blkback and libxl
 * do it:
 *   toolstack  device/vbd/<n>            (owned by the frontend, state 1)
 *              backend/vbd/<domid>/<n>   (owned by the backend, state 1:
 *                                         params = the file, mode r|w)
 *   backend    feature-flush-cache feature-barrier feature-discard
 *              discard-granularity discard-alignment discard-secure
 *              feature-persistent max-ring-page-order
 *              multi-queue-max-queues                      state 2 InitWait
 *   frontend   ring-ref (or ring-page-order + ring-ref0..N-1)
 *              event-channel protocol feature-persistent   state 3 Initialised
 *              (with multi-queue-num-queues = n > 1: each queue's ring-ref*
 *              and event-channel under queue-0 .. queue-<n-1>, none at the
 *              top; ring-page-order stays at the top, for every queue)
 *   backend    maps, binds; sectors info sector-size
 *              physical-sector-size                        state 4 Connected
 *   frontend   reads the disk's geometry                   state 4 Connected
 *   close      Closing (5) → Closed (6) on either side; the peer follows.
 * `sectors` is always in 512-byte units, as are sector_number, first_sect
 * and last_sect on the wire; with a 4096-byte logical sector every request
 * is aligned to 8 of them.
 *
 * Frontend rules (docs/SECURITY.md): request ids come from a free list
 * (first in, first out), one state per id; every response is checked (id
 * in range and pending, operation equal to the one sent, status known)
 * before anything is released, and the first bad one breaks the device with
 * a logged reason. Data never leaves or enters the caller's memory through
 * a grant: each id owns dedicated pages, shared with the backend alone for
 * the connection's life (feature-persistent), that data is copied into
 * (write) or out of (read, once, on completion). Pages whose unshare reports
 * -EBUSY are never reused (the platform keeps them, MSA02/XSA-396).
 *
 * Backend rules: every request is copied out of the ring once and validated
 * on that private copy (operation, segment count, first_sect <= last_sect <=
 * 7, alignment to the sector size, range within `sectors`, discard bounds)
 * before any grant is mapped; a structural violation, a ring index lie or a
 * flood disconnects that frontend alone (Closing, reason logged and kept);
 * a request a correct frontend can make but that fails (out of range, a
 * grant that does not map, a write to a read-only disk) gets an error
 * response. A request's grants are mapped all or nothing (a mix of valid
 * and invalid refs leaks no mapping). Response padding is zero. With
 * feature-persistent the frontend's pages stay mapped, at most
 * UMX_BLK_PGRANTS_MAX per ring, least recently used purged first. A
 * frontend asking for no queue or more than offered, or naming any queue's
 * nodes wrongly, is refused whole (nothing of it stays mapped or bound).
 * Each queue has its own ring, event channel, persistent grants and I/O
 * engine, as Linux's blkback has a ring per queue; the disk's counters are
 * shared.
 *
 * Threading: one handle, one thread. All calls return 0 (or a count) or
 * -errno; -EPROTO once a device is broken, -ENOTCONN while not connected.
 */
#ifndef UMX_BLK_H
#define UMX_BLK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umx/platform.h"
#include "umx/xs.h"

/* Segments of one direct request (BLKIF_MAX_SEGMENTS_PER_REQUEST). */
#define UMX_BLK_SEGS 11u
/* Bytes one direct request moves: 11 pages. A frontend whose backend
 * offers indirect segments moves up to umx_blk_info.max_io at once. */
#define UMX_BLK_MAX_IO (UMX_BLK_SEGS * UMX_PAGE_SIZE)
/* Segments of one indirect request a backend serves
 * (feature-max-indirect-segments, Linux's blkback's), and those umx's
 * frontend uses (Linux's blkfront's default). */
#define UMX_BLK_INDIRECT_SEGS       256u
#define UMX_BLK_FRONT_INDIRECT_SEGS 32u
/* Largest ring-page-order either end accepts (Linux's blkback's). */
#define UMX_BLK_RING_ORDER_MAX 4u
/* Rings a backend offers per disk (multi-queue-max-queues) and a frontend
 * uses at most (multi-queue-num-queues). */
#define UMX_BLK_QUEUES_MAX 4u
/* Persistent grants a backend keeps mapped per ring (Linux's default). */
#define UMX_BLK_PGRANTS_MAX 1056u
/* Requests a backend handles per disk per round (fairness). */
#define UMX_BLK_BUDGET 32u
/* Events without work per 100 ms before the event channel stays masked
 * for the rest of that window (the ring is still polled). */
#define UMX_BLK_STORM_EVENTS 256u
#define UMX_BLK_VBDS_MAX     64u

enum umx_blk_op {
	UMX_BLK_READ = 0,
	UMX_BLK_WRITE = 1,
	UMX_BLK_FLUSH = 3,   /* BLKIF_OP_FLUSH_DISKCACHE, no data */
	UMX_BLK_DISCARD = 5, /* BLKIF_OP_DISCARD */
};

/* The disk as the backend announced it. */
struct umx_blk_info {
	uint64_t sectors;              /* capacity in 512-byte units */
	uint32_t sector_size;          /* logical: 512 .. 4096 */
	uint32_t physical_sector_size; /* >= sector_size */
	bool readonly, removable;
	bool flush, barrier, discard, persistent;
	uint32_t discard_granularity; /* bytes */
	uint32_t ring_order;          /* negotiated ring-page-order */
	uint32_t ring_entries;        /* per queue */
	uint32_t queues;              /* negotiated multi-queue-num-queues */
	uint32_t max_segs;            /* per request: 11, or indirect segments */
	size_t max_io;                /* bytes per request: max_segs pages */
};

struct umx_blk_stats {
	uint64_t reads, writes, flushes, discards;
	uint64_t bytes_read, bytes_written;
	uint64_t errors;          /* responses with an error status */
	uint64_t spurious_events; /* events that brought no work */
	uint32_t inflight;
};

/* ---- frontend ------------------------------------------------------------ */
typedef struct umx_blkfront umx_blkfront;

/* What a caller may choose; zero-initialised means the defaults. */
struct umx_blkfront_opts {
	uint32_t ring_order; /* wanted ring-page-order (capped by the backend's) */
	uint32_t queues;     /* wanted queues, 0 means 1 (capped by the backend's
	                      * multi-queue-max-queues and UMX_BLK_QUEUES_MAX) */
	bool no_persistent;  /* do not offer feature-persistent */
	bool no_indirect;    /* direct requests only, even if the backend offers more */
};

/* One request. @sector is in 512-byte units and aligned to the disk's
 * sector size, @len a multiple of it (READ/WRITE: 1 .. info.max_io bytes
 * at @buf; DISCARD: the bytes to discard, @buf unused; FLUSH: 0). @buf must
 * stay valid until the request completes. */
struct umx_blk_req {
	enum umx_blk_op op;
	uint64_t sector;
	void *buf;
	size_t len;
	uint64_t cookie; /* returned in the completion */
};

struct umx_blk_done {
	uint64_t cookie;
	int status; /* 0, -EIO (BLKIF_RSP_ERROR), -EOPNOTSUPP */
};

/*
 * Connect vbd @devid of this domain (device/vbd/<devid>, written by the
 * toolstack): waits up to @timeout_ms (-1 forever) for the toolstack's
 * nodes (-ENOENT when they never appear) and as long for each backend
 * state, shares the ring and the data pages, and waits for the backend's
 * Connected. @opts may be NULL. @p stays the caller's and must outlive the
 * device; its event channel descriptor is the device's.
 */
int umx_blkfront_open(umx_plat *p, unsigned devid, const struct umx_blkfront_opts *opts,
                      int timeout_ms, umx_blkfront **out);
/* Closing → Closed, unshare everything (busy pages stay with the platform). */
void umx_blkfront_close(umx_blkfront *bf);
void umx_blkfront_info(const umx_blkfront *bf, struct umx_blk_info *info);

/* Queue one request: 0, -EAGAIN when no id or ring slot is free (reap,
 * wait, retry), -EINVAL for a request the disk cannot take (alignment,
 * range, size, an operation it does not offer), -EROFS for a write to a
 * read-only disk. Published to the backend at once. */
int umx_blkfront_submit(umx_blkfront *bf, const struct umx_blk_req *rq);
/* Take up to @max completions (checked, data copied out): the count. */
int umx_blkfront_reap(umx_blkfront *bf, struct umx_blk_done *out, unsigned max);
/* Wait up to @timeout_ms for an event, consume responses and store
 * changes, re-arm: 0, -ETIMEDOUT, -ENOTCONN (backend or store gone),
 * -EPROTO (broken). A backend's event storm costs a bounded number of
 * wakeups (UMX_BLK_STORM_EVENTS per 100 ms). */
int umx_blkfront_wait(umx_blkfront *bf, int timeout_ms);
/* Readable when umx_blkfront_wait() has something to do. */
int umx_blkfront_fd(const umx_blkfront *bf);

/* Synchronous wrappers: any length (split into requests), any number of
 * requests in flight at once; 0 or the first error. Completions of
 * asynchronous requests that arrive meanwhile stay queued for reap. */
int umx_blkfront_read(umx_blkfront *bf, uint64_t sector, void *buf, size_t len);
int umx_blkfront_write(umx_blkfront *bf, uint64_t sector, const void *buf, size_t len);
int umx_blkfront_flush(umx_blkfront *bf);
int umx_blkfront_discard(umx_blkfront *bf, uint64_t sector, uint64_t len);

/* Why the device broke, or NULL. */
const char *umx_blkfront_broken(const umx_blkfront *bf);
void umx_blkfront_stats(const umx_blkfront *bf, struct umx_blk_stats *st);

/* ---- backend ------------------------------------------------------------- */
typedef struct umx_blkback umx_blkback;

struct umx_blk_vbd {
	uint64_t sectors;
	struct umx_blk_stats st;
	uint32_t front_domid, devid;
	uint32_t sector_size, ring_order;
	uint32_t queues;  /* rings of the connection */
	uint32_t pgrants; /* persistent grants mapped now, all rings */
	bool connected, readonly, persistent;
	bool uring;       /* io_uring served its last connection (else preadv/pwritev) */
	char params[128]; /* the backing file */
	char reason[128]; /* why the frontend was disconnected, or "" */
};

/*
 * Serve every vbd whose backend directory the toolstack creates under this
 * domain's backend/vbd/ (watched): `params` names the file (opened by this
 * process, so a sandboxed backend needs it bound in), `mode` "r" makes the
 * disk read-only, an optional `sector-size` of 512 or 4096 its logical
 * sector. Counters are published in each vbd's statistics node.
 */
int umx_blkback_open(umx_plat *p, umx_blkback **out);
void umx_blkback_close(umx_blkback *bb);

/* How a backend moves data between its files and the frontends' pages. */
enum umx_blkback_io {
	/* io_uring (each ring's requests queued with one submit, completed
	 * asynchronously), except buffered writes to a regular file, which
	 * the kernel would hand to a worker thread and are written in the
	 * loop instead; preadv/pwritev where the kernel or a seccomp filter
	 * refuses io_uring. The default. */
	UMX_BLKBACK_IO_AUTO,
	/* Every operation through io_uring: a vbd it cannot serve fails. */
	UMX_BLKBACK_IO_URING,
	UMX_BLKBACK_IO_SYNC, /* preadv/pwritev, one request at a time */
};
/* Choose for the vbds connected from now on: 0 or -EINVAL. */
int umx_blkback_set_io(umx_blkback *bb, enum umx_blkback_io io);
/* A file this backend cannot open by name (a sandboxed domain sees only
 * its own view), opened by its launcher: vbds whose `params` is @path are
 * served from @fd (duplicated; the caller keeps @fd). A descriptor opened
 * read-only serves only read-only vbds. 0, -ENOSPC past UMX_BLK_VBDS_MAX,
 * -EINVAL for a path that is not absolute or too long. */
int umx_blkback_provide(umx_blkback *bb, const char *path, int fd);
/* One round: wait up to @timeout_ms for events, then handle store changes
 * and every ring. Returns 0 or -errno (a disk's failure is not one). */
int umx_blkback_poll(umx_blkback *bb, int timeout_ms);
/* Poll until *@stop. */
int umx_blkback_run(umx_blkback *bb, volatile sig_atomic_t *stop);
/* Copy up to @max vbds' state into @out; returns the number of vbds. */
int umx_blkback_vbds(const umx_blkback *bb, struct umx_blk_vbd *out, unsigned max);

/* ---- toolstack ----------------------------------------------------------- */
/*
 * Write the nodes libxl writes for a vbd of @front served by @back from
 * @path (absolute), on a toolstack (dom0) store connection. @devid < 0 picks
 * the next free one; @sector_size 0 means 512. Returns the devid.
 */
int umx_blk_attach(umx_xs *xs, uint32_t front, uint32_t back, int devid, const char *path,
                   bool readonly, unsigned sector_size);
/* Remove both directories (the backend sees its node vanish and stops);
 * -ENOENT only when neither exists. */
int umx_blk_detach(umx_xs *xs, uint32_t front, uint32_t back, unsigned devid);

#endif /* UMX_BLK_H */
