/* SPDX-License-Identifier: MIT */
/*
 * Private to devices/blk (and its tests and fuzzers): the blkif wire types
 * and layout checks, the backend's state,
 * and the hooks that run the backend's request parser on plain memory.
 *   front.c        blkfront
 *   back.c         blkback: request validation, synchronous I/O, the poll loop
 *   back_uring.c   blkback's io_uring engine (asynchronous, batched)
 *   back_pgnt.c    the frontend's pages: persistent grants (LRU) or one-shot
 *   back_xenbus.c  blkback's side of the handshake
 *   xenbus.c       the toolstack's nodes (store helpers: ../common/xenbus.h)
 */
#ifndef UMX_BLK_PRIV_H
#define UMX_BLK_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#include "../common/evstorm.h"
#include "../common/xenbus.h"
#include "umx/blk.h"
#include "umx/ring.h"

_Static_assert(sizeof(struct blkif_request) == 112, "blkif_request");
_Static_assert(sizeof(struct blkif_request_discard) <= 112, "blkif_request_discard");
_Static_assert(sizeof(struct blkif_response) == 16, "blkif_response");
_Static_assert(sizeof(union blkif_sring_entry) == 112, "blkif slot");
_Static_assert(__CONST_RING_SIZE(blkif, 4096) == 32, "one-page blkif ring");
_Static_assert(UMX_BLK_SEGS == BLKIF_MAX_SEGMENTS_PER_REQUEST, "direct segments");
_Static_assert(offsetof(struct blkif_request, id) == offsetof(struct blkif_request_discard, id),
               "id at the same place in every request");
_Static_assert((int)UMX_BLK_READ == BLKIF_OP_READ && (int)UMX_BLK_WRITE == BLKIF_OP_WRITE &&
                       (int)UMX_BLK_FLUSH == BLKIF_OP_FLUSH_DISKCACHE &&
                       (int)UMX_BLK_DISCARD == BLKIF_OP_DISCARD,
               "public operations are blkif's");

#define BLK_SECTOR_SHIFT     9
#define BLK_SECTORS_PER_PAGE (UMX_PAGE_SIZE >> BLK_SECTOR_SHIFT)
/* Native protocol name (xen/io/protocols.h); the only one served. */
#define BLK_PROTOCOL       XEN_IO_PROTO_ABI_NATIVE
#define BLK_RING_PAGES_MAX (1u << UMX_BLK_RING_ORDER_MAX)

/* ---- backend ------------------------------------------------------------------ */

/* Segment descriptors per indirect page, and pages per request. */
#define BLK_SEGS_PER_INDIRECT (UMX_PAGE_SIZE / sizeof(struct blkif_request_segment))
#define BLK_INDIRECT_PAGES(n) (((n) + BLK_SEGS_PER_INDIRECT - 1) / BLK_SEGS_PER_INDIRECT)
_Static_assert(BLK_INDIRECT_PAGES(UMX_BLK_INDIRECT_SEGS) <= BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST,
               "indirect segments fit the request's indirect pages");
_Static_assert(sizeof(struct blkif_request_indirect) <= 112, "blkif_request_indirect");

/* A request after validation: the private copy everything else uses. */
struct bb_req {
	uint8_t op;     /* BLKIF_OP_* to serve: an indirect request's indirect_op */
	uint8_t rsp_op; /* what the response carries (Linux: the served op) */
	uint8_t flag;
	bool indirect;
	uint64_t id;
	uint64_t sector;  /* 512-byte units */
	uint64_t nr_sect; /* 512-byte units, whole request */
	unsigned nseg;
	struct blkif_request_segment seg[UMX_BLK_INDIRECT_SEGS];
};

struct pgnt {
	uint32_t gref;
	int next;      /* hash chain, -1 ends */
	unsigned busy; /* requests whose I/O on this page is not complete */
	uint64_t lru;  /* last use */
	umx_plat_mapped *m;
	uint8_t *addr;
};

#define PGNT_HASH 512u

/* What a request holds mapped while its I/O runs (bb_map_req), released
 * by bb_unmap_req() once no I/O on those pages can still happen (MSA02:
 * a page is never unmapped under an I/O in flight). */
struct bb_maps {
	umx_plat_mapped *tmp;                /* the one-shot mapping (no persistent grants) */
	uint16_t pgi[UMX_BLK_INDIRECT_SEGS]; /* persistent grants held busy */
	unsigned npgi;
};
_Static_assert(UMX_BLK_PGRANTS_MAX <= UINT16_MAX, "bb_maps.pgi indexes");

struct bb_uring; /* back_uring.c */

/* Detached (fuzzing): the frontend's page for @gref, or NULL (bad gref). */
typedef void *(*bb_page_fn)(void *ctx, uint32_t gref, bool writable);

/* One ring of a disk (multi-queue-num-queues of them), as Linux's blkback
 * keeps a xen_blkif_ring per queue: its shared pages, event channel,
 * persistent grants and I/O engine. Allocated on the first connection
 * that uses it, kept (idle) until the disk goes. */
struct bb_queue {
	struct bb_vbd *v;
	unsigned idx;
	uint32_t port;
	umx_plat_mapped *m_ring;
	struct umx_ring ring;
	bool kicked;
	uint64_t work; /* requests taken (bb_parse): what an event may bring */
	uint64_t work_mark;
	struct evstorm storm;

	/* Persistent grants: an array, hash chains by gref, LRU stamps. */
	struct pgnt pg[UMX_BLK_PGRANTS_MAX];
	int pg_hash[PGNT_HASH];
	unsigned npg;
	uint64_t pg_clock;

	struct bb_req rq;   /* the request being served (2 KiB of segments) */
	struct bb_uring *u; /* the io_uring engine, or NULL: synchronous I/O */
};

struct bb_vbd {
	struct umx_blkback *bb; /* NULL when detached */
	struct umx_blk_vbd info;
	char be[128], fe[128];
	bool gone, fe_seen;
	int fd; /* the backing file */
	struct bb_queue *q[UMX_BLK_QUEUES_MAX];
	unsigned nq; /* queues of the connection (info.queues) */

	bb_page_fn page_fn; /* detached only */
	void *ctx;
};

struct umx_blkback {
	umx_plat *p;
	umx_xs *xs;
	uint32_t domid;
	char dir[96]; /* /local/domain/<me>/backend/vbd */
	struct bb_vbd *vbds[UMX_BLK_VBDS_MAX];
	unsigned nvbds;
	bool busy;
	enum umx_blkback_io io;
	uint64_t stats_at;
	struct {
		char path[128];
		int fd;
	} files[UMX_BLK_VBDS_MAX]; /* umx_blkback_provide() */
	unsigned nfiles;
};

/* back.c */
/* Queue @i of @v, allocated if need be (persistent grants empty): NULL
 * when out of memory. */
struct bb_queue *bb_queue_get(struct bb_vbd *v, unsigned i);
/* Release every queue's ring, channel, engine and grants (not the queues). */
void bb_vbd_disconnect(struct bb_vbd *v);
/* A protocol violation: this frontend alone is cut off (reason logged and
 * kept, every ring marked broken, backend state Closing). Returns -EPROTO.
 * The disk's queues stay allocated: a caller may still look at its own. */
int bb_vbd_fail(struct bb_vbd *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Validate one request copied out of the ring into @out: 0 when it may be
 * served, -EPROTO when it breaks the protocol (@why says how), -EINVAL when
 * a correct frontend could send it but it must fail (out of range, an
 * operation not offered: answered with an error), -EOPNOTSUPP for an
 * unknown operation (answered so). An indirect request's segment
 * descriptors are copied out of its indirect pages here, once, and
 * validated as a direct request's.
 */
int bb_parse(struct bb_queue *q, const void *raw, struct bb_req *out, char *why, size_t whylen);
/* The iovecs of @rq's segments in their mapped @pages. */
void bb_iov(const struct bb_req *rq, uint8_t *const *pages, struct iovec *iov);
/* Serve validated @rq with system calls, in order: a read or write (also
 * of a flush or barrier) moves the data of @iov, whose pages are mapped
 * (NULL when @rq has none). 0 or -errno. Counters are not touched. */
int bb_serve_sync(struct bb_vbd *v, const struct bb_req *rq, struct iovec *iov);
/* Map, serve synchronously, release, count: 0 or -errno (answered). */
int bb_serve(struct bb_queue *q, const struct bb_req *rq);
/* Count @rq, served successfully, in the disk's statistics. */
void bb_account(struct bb_vbd *v, const struct bb_req *rq);
/* Queue the response to @id: 0, or -EPROTO when the ring broke (the vbd
 * has then been failed, and disconnected). */
int bb_respond(struct bb_queue *q, uint64_t id, uint8_t op, int rc);

/* back_pgnt.c */
/* Copy @n segment descriptors out of the @nind indirect pages @grefs into
 * @seg (mapped read-only, copied once, unmapped): 0 or -errno. */
int bb_read_indirect(struct bb_queue *q, const uint32_t *grefs, unsigned nind,
                     struct blkif_request_segment *seg, unsigned n);
/* Map the pages of @rq's segments into @pages (one per segment) and hold
 * them in @mp until bb_unmap_req(): 0, -EBUSY when every persistent-grant
 * slot is held by I/O in flight (retry once some completes), or another
 * -errno (a ref that does not map); on failure nothing of this request
 * stays mapped or held. */
int bb_map_req(struct bb_queue *q, const struct bb_req *rq, bool writable, uint8_t **pages,
               struct bb_maps *mp);
void bb_unmap_req(struct bb_queue *q, struct bb_maps *mp);
/* Unmap every persistent grant of @q. */
void bb_pgnt_flush(struct bb_queue *q);

/* back_uring.c */
/* Serve @q through a new io_uring: 0, or -errno (io_uring unavailable:
 * the kernel's, the sandbox's or the operations', or no memory). */
int bb_uring_start(struct bb_queue *q);
/* Wait for every I/O in flight on @q (cancelled where the kernel can),
 * release its pages, answer nothing more, and free the engine. */
void bb_uring_stop(struct bb_queue *q);
/* Reap completions and queue up to @budget new requests in one submit:
 * the number of requests taken, or -EPROTO once broken. *@blocked when
 * more may not be taken until some I/O completes (no busy polling then:
 * the engine's descriptor wakes us). */
int bb_uring_run(struct bb_queue *q, unsigned budget, bool *notify, bool *blocked);
/* Readable when completions wait, or -1 (no engine). */
int bb_uring_fd(const struct bb_queue *q);
unsigned bb_uring_inflight(const struct bb_queue *q);

/* back_xenbus.c */
void bb_rescan(struct umx_blkback *bb);
void bb_vbd_setup(struct bb_vbd *v);
void bb_handle_watch(struct umx_blkback *bb, const char *path, const char *token);
void bb_publish_stats(struct umx_blkback *bb);
void bb_vbd_free(struct umx_blkback *bb, struct bb_vbd *v);

/* ---- detached backend (fuzzing) ----------------------------------------- */
/* A disk of @sectors 512-byte sectors in file @fd, its ring on @ring (one
 * page, back end attached, not initialised), pages from @page. */
int blkback_detached_new(void *ring, int fd, uint64_t sectors, uint32_t sector_size,
                         bb_page_fn page, void *ctx, struct bb_vbd **out);
/* Handle up to @budget requests: the number handled, or -EPROTO once broken. */
int blkback_detached_run(struct bb_vbd *v, unsigned budget);
const char *blkback_detached_broken(const struct bb_vbd *v);
void blkback_detached_free(struct bb_vbd *v);

/* ---- detached frontend (fuzzing) ------------------------------------------ */
#define BLK_DETACHED_IDS     32u /* the ring's 32 slots of one page */
#define BLK_DETACHED_SECTORS (1u << 20)
/* A frontend on caller memory: one ring page (initialised here) and a pool
 * of BLK_DETACHED_IDS x (11, or 33 with @indirect) pages; no platform, grant
 * ref of pool page i = 8 + i; a disk of BLK_DETACHED_SECTORS, 512-byte
 * sectors, flush and discard offered. Free with blkfront_detached_free(). */
int blkfront_detached_new(void *ring, void *pool, bool indirect, umx_blkfront **out);
void blkfront_detached_free(umx_blkfront *bf);

#endif
