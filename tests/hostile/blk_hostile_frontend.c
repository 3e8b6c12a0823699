/* SPDX-License-Identifier: MIT */
/* A hostile frontend (raw ring writes) against blkback, one vbd per attack,
 * while an honest frontend of another domain writes and reads back random
 * data through the same backend throughout:
 *  - protocol violations disconnect that vbd alone, with the reason kept:
 *    12 segments, a write of 0 segments, first_sect > last_sect, last_sect
 *    past the page, unknown discard flags, the request producer 1000 ahead,
 *    an indirect request of 300 segments, one whose 14th descriptor (in its
 *    indirect page) has first_sect > last_sect;
 *  - requests a correct frontend may make but that fail are answered with
 *    an error and the vbd stays: a sector past the end, a grant ref that
 *    does not exist, valid and invalid refs mixed (no page left mapped: the
 *    frontend's unshare succeeds), an unknown operation (EOPNOTSUPP), an
 *    indirect page that does not map, an indirect FLUSH; every response's
 *    padding is zero (XSA-216);
 *  - a secure discard (BLKIF_DISCARD_SECURE; discard-secure is 0: a
 *    file's freed blocks are not erased) is refused with EOPNOTSUPP and
 *    the data stays;
 *  - double fetch (XSA-155): a thread of the frontend rewrites the
 *    sector of every request in the ring, between one inside the disk and
 *    one 2^40 sectors past it, while 1000 writes are served: each is
 *    answered (written, or refused as out of range), none is written
 *    anywhere but where its one validated copy said: the file keeps its
 *    size, and holds the written page there and its pattern elsewhere;
 *  - two requests with the same id are both answered;
 *  - 100 reads over 1100 distinct persistent pages: all answered, at most
 *    UMX_BLK_PGRANTS_MAX (1056) left mapped (least recently used unmapped);
 *  - an event storm is counted and held, and the honest frontend is served;
 *  - multi-queue handshakes that lie are refused whole (disconnected, the
 *    reason kept) with none of their ring pages left mapped: 0 queues, more
 *    than multi-queue-max-queues offers, a number that does not parse, 2
 *    queues announced with one queue's nodes at the top only, 2 queues
 *    whose second has no event channel; an honest 2-queue frontend gets
 *    its request on queue 1 answered on queue 1's ring.
 * The backend, umxd and the honest domain finish cleanly. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* stdint first: Xen's headers expect it. */
#include <stdint.h>
#include <xen/io/blkif.h>

#include "blk_util.h"
#include "umx/barrier.h"
#include "umx/internal/clock.h"
#include "umx/ring.h"

enum attack {
	A_SEGS_12,
	A_SEGS_0,
	A_FIRST_GT_LAST,
	A_LAST_PAST_PAGE,
	A_DISCARD_FLAGS,
	A_PROD_AHEAD,
	A_IND_SEGS_300,
	A_IND_SEG_BAD,
	/* multi-queue handshakes that lie: refused whole, nothing stays mapped */
	A_MQ_ZERO,
	A_MQ_TOO_MANY,
	A_MQ_GARBAGE,
	A_MQ_TOP_ONLY,
	A_MQ_HALF,
	/* answered with an error, vbd stays */
	A_BEYOND_END,
	A_BAD_GREF,
	A_MIXED_GREFS,
	A_UNKNOWN_OP,
	A_IND_BAD_GREF,
	A_IND_BAD_OP,
	/* answered, vbd stays */
	A_SECURE_DISCARD,
	A_RACING_REWRITE,
	A_DUP_IDS,
	A_STORM,
	A_PGRANT_FLOOD,
	A_MQ_TWO,
	A_COUNT,
	A_FIRST_ANSWERED = A_BEYOND_END,
};

static const char *const expect_reason[A_FIRST_ANSWERED] = {
        [A_SEGS_12] = "12 segments",
        [A_SEGS_0] = "0 segments",
        [A_FIRST_GT_LAST] = "sectors 5..2",
        [A_LAST_PAST_PAGE] = "sectors 0..8",
        [A_DISCARD_FLAGS] = "flags 0x80",
        [A_PROD_AHEAD] = "producer",
        [A_IND_SEGS_300] = "indirect request id 7: 300 segments",
        [A_IND_SEG_BAD] = "segment 13 sectors 3..1",
        [A_MQ_ZERO] = "multi-queue-num-queues",
        [A_MQ_TOO_MANY] = "multi-queue-num-queues",
        [A_MQ_GARBAGE] = "multi-queue-num-queues",
        [A_MQ_TOP_ONLY] = "queue-0/ring-ref",
        [A_MQ_HALF] = "queue-1/event-channel",
};

#define DEVID(a)   (51728u + 16u * (unsigned)(a))
#define HONEST_DEV 51712u
#define DISK_BYTES (2u << 20)
/* A_RACING_REWRITE: the sector its writes name, the bit its racer flips,
 * the page it writes, how many. */
#define RACE_SECTOR 256u
#define RACE_BIT    (1ull << 40)
#define RACE_BYTE   0xa5
#define RACE_WRITES 1000u

struct ctx {
	int race[2];     /* hostile → parent: A_RACING_REWRITE's OK and error counts */
	int go[2];       /* parent → both frontends */
	int stop_h[2];   /* parent → honest: stop */
	int h_rounds[2]; /* honest → parent: rounds done */
	int x_done[2];   /* hostile → parent: attacks done */
};

/* ---- the honest frontend -------------------------------------------------- */

static int honest(void *arg)
{
	struct ctx *c = arg;
	static uint8_t w[UMX_BLK_MAX_IO], r[UMX_BLK_MAX_IO];
	uint64_t seed = 42, rounds = 0;
	umx_plat *p;
	umx_blkfront *bf;
	char ch;

	CHILD_CHECK(read(c->go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_blkfront_open(p, HONEST_DEV, NULL, 10000, &bf));
	fcntl(c->stop_h[0], F_SETFL, O_NONBLOCK);
	while (read(c->stop_h[0], &ch, 1) != 1) {
		size_t n = (size_t)(1 + blk_rand(&seed) % 88) * 512;
		uint64_t sec = blk_rand(&seed) % ((DISK_BYTES - n) / 512);
		blk_fill_rand(&seed, w, n);
		CHILD_CHECK_OK(umx_blkfront_write(bf, sec, w, n));
		CHILD_CHECK_OK(umx_blkfront_read(bf, sec, r, n));
		CHILD_CHECK(memcmp(w, r, n) == 0);
		rounds++;
	}
	CHILD_CHECK(umx_blkfront_broken(bf) == NULL);
	CHILD_CHECK(write(c->h_rounds[1], &rounds, sizeof(rounds)) == sizeof(rounds));
	umx_blkfront_close(bf);
	umx_plat_close(p);
	return 0;
}

/* ---- the hostile frontend ---------------------------------------------------- */

struct rawfe {
	umx_plat *p;
	umx_xs *xs;
	char fe[96], be[160];
	uint32_t bid, port;
	umx_plat_shared *ring_s, *data;
	uint8_t *ring; /* the shared ring page */
	uint32_t prod, cons;
};

#define SLOT   112u
#define NSLOTS 32u

static int read_ul(umx_xs *xs, const char *dir, const char *name, unsigned long *out)
{
	char path[192], *v, *end;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) < 0)
		return -1;
	*out = strtoul(v, &end, 10);
	free(v);
	return end == v ? -1 : 0;
}

static int put(umx_xs *xs, const char *dir, const char *name, unsigned long v)
{
	char path[192], val[32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(val, sizeof(val), "%lu", v);
	return umx_xs_write_str(xs, UMX_XS_NO_TX, path, val);
}

/* Poll (5 s) until the backend's state is @want. */
static int wait_be(struct rawfe *f, unsigned long want)
{
	uint64_t end = umx_clock_ms() + 5000;
	unsigned long v;

	while (umx_clock_ms() < end) {
		if (read_ul(f->xs, f->be, "state", &v) == 0 && v == want)
			return 0;
		usleep(5000);
	}
	return -1;
}

/* The toolstack's nodes of vbd @devid, and the backend in InitWait. */
static void raw_connect_prep(struct rawfe *f, umx_plat *p, unsigned devid)
{
	char path[192], *v;
	unsigned long bid;

	memset(f, 0, sizeof(*f));
	f->p = p;
	f->xs = umx_plat_xs(p);
	snprintf(f->fe, sizeof(f->fe), "/local/domain/%u/device/vbd/%u", umx_plat_domid(p), devid);
	for (int i = 0; read_ul(f->xs, f->fe, "backend-id", &bid) < 0; i++) {
		CHILD_CHECK(i < 500);
		usleep(10000);
	}
	f->bid = (uint32_t)bid;
	snprintf(path, sizeof(path), "%s/backend", f->fe);
	CHILD_CHECK_OK(umx_xs_read(f->xs, UMX_XS_NO_TX, path, &v, NULL));
	snprintf(f->be, sizeof(f->be), "%s", v);
	free(v);
	CHILD_CHECK(wait_be(f, 2) == 0); /* InitWait */
}

/* The handshake as a frontend driver does it, by hand: one ring page, two
 * data pages, feature-persistent as asked. */
static void raw_connect(struct rawfe *f, umx_plat *p, unsigned devid, bool persistent)
{
	char path[192];
	int port;

	raw_connect_prep(f, p, devid);
	CHILD_CHECK_OK(umx_plat_share(p, f->bid, 1, false, NULL, &f->ring_s));
	CHILD_CHECK_OK(umx_plat_share(p, f->bid, 2, false, NULL, &f->data));
	f->ring = umx_plat_share_addr(f->ring_s);
	/* SHARED_RING_INIT: producers 0, events 1 (the page came zeroed). */
	umx_store_relaxed32((uint32_t *)(f->ring + 4), 1);
	umx_store_relaxed32((uint32_t *)(f->ring + 12), 1);
	port = umx_plat_evtchn_alloc_unbound(p, f->bid);
	CHILD_CHECK(port > 0);
	f->port = (uint32_t)port;
	CHILD_CHECK_OK(put(f->xs, f->fe, "ring-ref", umx_plat_share_ref(f->ring_s, 0)));
	CHILD_CHECK_OK(put(f->xs, f->fe, "event-channel", f->port));
	snprintf(path, sizeof(path), "%s/protocol", f->fe);
	CHILD_CHECK_OK(umx_xs_write_str(f->xs, UMX_XS_NO_TX, path, "x86_64-abi"));
	CHILD_CHECK_OK(put(f->xs, f->fe, "feature-persistent", persistent));
	CHILD_CHECK_OK(put(f->xs, f->fe, "state", 3)); /* Initialised */
	CHILD_CHECK(wait_be(f, 4) == 0);               /* Connected */
	CHILD_CHECK_OK(put(f->xs, f->fe, "state", 4));
}

/* Put one 112-byte request (copied as is) at the private producer. */
static void raw_put(struct rawfe *f, const void *req)
{
	uint8_t *slot = f->ring + 64 + (f->prod++ % NSLOTS) * SLOT;
	memset(slot, 0, SLOT);
	memcpy(slot, req, sizeof(struct blkif_request));
}

static void raw_push(struct rawfe *f, uint32_t prod)
{
	/* Pairs with the backend's acquire of req_prod: slots before index. */
	umx_store_release32((uint32_t *)f->ring, prod);
	CHILD_CHECK_OK(umx_plat_evtchn_notify(f->p, f->port));
}

/* Wait (5 s) for the next response, check that its padding and the rest of
 * its slot are zero, and return it. */
static struct blkif_response raw_rsp(struct rawfe *f)
{
	struct blkif_response r;
	uint64_t end = umx_clock_ms() + 5000;
	uint8_t slot[SLOT];

	/* Pairs with the backend's release of rsp_prod. */
	while (umx_load_acquire32((uint32_t *)(f->ring + 8)) == f->cons) {
		CHILD_CHECK(umx_clock_ms() < end);
		usleep(1000);
	}
	memcpy(slot, f->ring + 64 + (f->cons++ % NSLOTS) * SLOT, SLOT);
	memcpy(&r, slot, sizeof(r));
	/* XSA-216: the byte after operation, the two after status, and the
	 * rest of the slot carry nothing of the backend's. */
	CHILD_CHECK(slot[9] == 0);
	for (unsigned i = 12; i < SLOT; i++)
		CHILD_CHECK(slot[i] == 0);
	return r;
}

static struct blkif_request rw_req(uint8_t op, uint64_t id, uint64_t sector, unsigned nseg,
                                   uint32_t gref)
{
	struct blkif_request q;
	memset(&q, 0, sizeof(q));
	q.operation = op;
	q.nr_segments = (uint8_t)nseg;
	q.id = id;
	q.sector_number = sector;
	for (unsigned i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		q.seg[i].gref = gref;
		q.seg[i].first_sect = 0;
		q.seg[i].last_sect = 7;
	}
	return q;
}

struct racer {
	_Atomic(uint64_t *) cur; /* the sector field being raced, or NULL */
	atomic_ulong rounds;     /* the racer's loops: cur seen again */
	atomic_bool stop;
};

/* Rewrite the raced request's sector, between one inside the disk and one
 * far past it, as fast as it can: whatever the backend copies is one or
 * the other (only byte 5 of the field differs, so even a torn copy is one
 * of them). */
static void *racer(void *arg)
{
	struct racer *rc = arg;

	while (!atomic_load(&rc->stop)) {
		uint64_t *sec = atomic_load(&rc->cur);
		for (int i = 0; sec && i < 64; i++)
			__atomic_store_n(sec, __atomic_load_n(sec, __ATOMIC_RELAXED) ^ RACE_BIT,
			                 __ATOMIC_RELAXED);
		atomic_fetch_add(&rc->rounds, 1);
	}
	return NULL;
}

/* A_RACING_REWRITE: RACE_WRITES writes of one page of RACE_BYTE at
 * RACE_SECTOR, each raced by racer() from its publication until its
 * response; every one answered, OK or error. The counts go to the parent,
 * which checks the file. */
static void racing_rewrite(struct rawfe *f, struct ctx *c, uint32_t g0)
{
	static struct racer rc;
	struct blkif_request q = rw_req(BLKIF_OP_WRITE, 0, RACE_SECTOR, 1, g0);
	uint64_t counts[2] = {0, 0};
	pthread_t t;

	memset(umx_plat_share_addr(f->data), RACE_BYTE, UMX_PAGE_SIZE);
	CHILD_CHECK(pthread_create(&t, NULL, racer, &rc) == 0);
	for (unsigned i = 0; i < RACE_WRITES; i++) {
		uint8_t *slot = f->ring + 64 + (f->prod % NSLOTS) * SLOT;
		uint64_t end = umx_clock_ms() + 5000;
		struct blkif_response r;
		unsigned long seen;

		q.id = 1000 + i;
		raw_put(f, &q); /* not raced yet: the whole request, sector inside */
		atomic_store(&rc.cur,
		             (uint64_t *)(slot + offsetof(struct blkif_request, sector_number)));
		raw_push(f, f->prod);
		/* The response lands in the raced slot: only its id, operation
		 * and status are read (the racer may still flip byte 21). */
		while (umx_load_acquire32((uint32_t *)(f->ring + 8)) == f->cons) {
			CHILD_CHECK(umx_clock_ms() < end);
			usleep(100);
		}
		memcpy(&r, f->ring + 64 + (f->cons++ % NSLOTS) * SLOT, 12);
		/* Stop racing this slot: two loops of the racer began since. */
		atomic_store(&rc.cur, NULL);
		seen = atomic_load(&rc.rounds);
		while (atomic_load(&rc.rounds) < seen + 2)
			;
		CHILD_CHECK(r.id == q.id && r.operation == BLKIF_OP_WRITE);
		CHILD_CHECK(r.status == BLKIF_RSP_OKAY || r.status == BLKIF_RSP_ERROR);
		counts[r.status != BLKIF_RSP_OKAY]++;
	}
	atomic_store(&rc.stop, true);
	CHILD_CHECK(pthread_join(t, NULL) == 0);
	CHILD_CHECK(write(c->race[1], counts, sizeof(counts)) == sizeof(counts));
}

/* The A_MQ_* handshakes by hand: two rings (each its own share and
 * channel), nodes as @a lies about them. A_MQ_TWO is honest: a read on
 * queue 1 is answered on queue 1's ring, and queue 0 still works. */
static void mq_attack(umx_plat *p, enum attack a)
{
	struct rawfe f[2];
	umx_plat_shared *data;
	unsigned long maxq = 0;
	char path[192];

	raw_connect_prep(&f[0], p, DEVID(a));
	CHILD_CHECK(read_ul(f[0].xs, f[0].be, "multi-queue-max-queues", &maxq) == 0 &&
	            maxq == UMX_BLK_QUEUES_MAX);
	f[1] = f[0];
	for (int i = 0; i < 2; i++) {
		int port;
		CHILD_CHECK_OK(umx_plat_share(p, f[i].bid, 1, false, NULL, &f[i].ring_s));
		f[i].ring = umx_plat_share_addr(f[i].ring_s);
		umx_store_relaxed32((uint32_t *)(f[i].ring + 4), 1);
		umx_store_relaxed32((uint32_t *)(f[i].ring + 12), 1);
		port = umx_plat_evtchn_alloc_unbound(p, f[i].bid);
		CHILD_CHECK(port > 0);
		f[i].port = (uint32_t)port;
	}
	CHILD_CHECK_OK(umx_plat_share(p, f[0].bid, 1, false, NULL, &data));
	snprintf(path, sizeof(path), "%s/multi-queue-num-queues", f[0].fe);
	switch (a) {
	case A_MQ_ZERO:
		CHILD_CHECK_OK(umx_xs_write_str(f[0].xs, UMX_XS_NO_TX, path, "0"));
		break;
	case A_MQ_TOO_MANY:
		CHILD_CHECK_OK(put(f[0].xs, f[0].fe, "multi-queue-num-queues", maxq + 1));
		break;
	case A_MQ_GARBAGE:
		CHILD_CHECK_OK(umx_xs_write_str(f[0].xs, UMX_XS_NO_TX, path, "two"));
		break;
	default:
		CHILD_CHECK_OK(put(f[0].xs, f[0].fe, "multi-queue-num-queues", 2));
		break;
	}
	if (a == A_MQ_TOP_ONLY) {
		/* Says 2, sets up one, the single-queue way. */
		CHILD_CHECK_OK(
		        put(f[0].xs, f[0].fe, "ring-ref", umx_plat_share_ref(f[0].ring_s, 0)));
		CHILD_CHECK_OK(put(f[0].xs, f[0].fe, "event-channel", f[0].port));
	} else {
		for (int i = 0; i < 2; i++) {
			char dir[160];
			snprintf(dir, sizeof(dir), "%s/queue-%d", f[0].fe, i);
			CHILD_CHECK_OK(
			        put(f[0].xs, dir, "ring-ref", umx_plat_share_ref(f[i].ring_s, 0)));
			if (a != A_MQ_HALF || i == 0)
				CHILD_CHECK_OK(put(f[0].xs, dir, "event-channel", f[i].port));
		}
	}
	CHILD_CHECK_OK(put(f[0].xs, f[0].fe, "feature-persistent", 1));
	CHILD_CHECK_OK(put(f[0].xs, f[0].fe, "state", 3)); /* Initialised */
	if (a != A_MQ_TWO) {
		CHILD_CHECK(wait_be(&f[0], 5) == 0); /* Closing: refused */
		/* Nothing of the connection stays mapped: queue 0's ring was
		 * mapped before queue 1's nodes were found wanting. */
		for (int i = 0; i < 2; i++)
			CHILD_CHECK(umx_plat_unshare(p, f[i].ring_s) == 0);
		CHILD_CHECK(umx_plat_unshare(p, data) == 0);
		return;
	}
	CHILD_CHECK(wait_be(&f[0], 4) == 0); /* Connected */
	CHILD_CHECK_OK(put(f[0].xs, f[0].fe, "state", 4));
	for (int i = 1; i >= 0; i--) {
		struct blkif_request q = rw_req(BLKIF_OP_READ, 20 + (unsigned)i, 8u * (unsigned)i,
		                                1, umx_plat_share_ref(data, 0));
		struct blkif_response r;
		const uint8_t *pg = umx_plat_share_addr(data);
		raw_put(&f[i], &q);
		raw_push(&f[i], f[i].prod);
		r = raw_rsp(&f[i]);
		CHILD_CHECK(r.id == 20u + (unsigned)i && r.status == BLKIF_RSP_OKAY);
		/* Nothing came back on the other ring. */
		CHILD_CHECK(umx_load_acquire32((uint32_t *)(f[1 - i].ring + 8)) == f[1 - i].cons);
		for (unsigned k = 0; k < UMX_PAGE_SIZE; k++)
			CHILD_CHECK(pg[k] == blk_pattern((uint64_t)i * UMX_PAGE_SIZE + k));
	}
	CHILD_CHECK(wait_be(&f[0], 4) == 0);
}

static void attack(umx_plat *p, struct ctx *c, enum attack a)
{
	struct rawfe f;
	struct blkif_request q;
	struct blkif_response r;
	uint32_t g0;

	if ((a >= A_MQ_ZERO && a <= A_MQ_HALF) || a == A_MQ_TWO) {
		mq_attack(p, a);
		return;
	}
	raw_connect(&f, p, DEVID(a), a != A_MIXED_GREFS);
	g0 = umx_plat_share_ref(f.data, 0);
	q = rw_req(BLKIF_OP_READ, 7, 0, 1, g0);
	switch (a) {
	case A_SEGS_12:
		q.nr_segments = 12;
		break;
	case A_SEGS_0:
		q = rw_req(BLKIF_OP_WRITE, 7, 0, 0, g0);
		break;
	case A_FIRST_GT_LAST:
		q.seg[0].first_sect = 5;
		q.seg[0].last_sect = 2;
		break;
	case A_LAST_PAST_PAGE:
		q.seg[0].last_sect = 8;
		break;
	case A_DISCARD_FLAGS: {
		struct blkif_request_discard d = {.operation = BLKIF_OP_DISCARD,
		                                  .flag = 0x80,
		                                  .id = 7,
		                                  .sector_number = 0,
		                                  .nr_sectors = 8};
		memset(&q, 0, sizeof(q));
		memcpy(&q, &d, sizeof(d));
		break;
	}
	case A_BEYOND_END:
		q.sector_number = DISK_BYTES / 512 - 4; /* 8 sectors: 4 past the end */
		break;
	case A_BAD_GREF:
		q.seg[0].gref = 0xdeadbeef;
		break;
	case A_MIXED_GREFS:
		q = rw_req(BLKIF_OP_WRITE, 7, 0, 3, g0);
		q.seg[1].gref = umx_plat_share_ref(f.data, 1);
		q.seg[2].gref = 0xdeadbeef;
		break;
	case A_UNKNOWN_OP:
		q.operation = 9;
		break;
	case A_SECURE_DISCARD: {
		struct blkif_request_discard d = {.operation = BLKIF_OP_DISCARD,
		                                  .flag = BLKIF_DISCARD_SECURE,
		                                  .id = 7,
		                                  .sector_number = 0,
		                                  .nr_sectors = 16};
		unsigned long secure = 1;
		/* Not offered: a punched hole leaves the data on the medium. */
		CHILD_CHECK(read_ul(f.xs, f.be, "discard-secure", &secure) == 0 && secure == 0);
		memset(&q, 0, sizeof(q));
		memcpy(&q, &d, sizeof(d));
		break;
	}
	case A_IND_SEGS_300:
	case A_IND_SEG_BAD:
	case A_IND_BAD_GREF:
	case A_IND_BAD_OP: {
		/* Descriptors in data page 1 (the backend maps it read-only, copies
		 * them once): 20 good segments on page 0, one bad if asked. */
		struct blkif_request_indirect ind = {
		        .operation = BLKIF_OP_INDIRECT,
		        .indirect_op = a == A_IND_BAD_OP ? BLKIF_OP_FLUSH_DISKCACHE : BLKIF_OP_READ,
		        .nr_segments = a == A_IND_SEGS_300 ? 300 : 20,
		        .id = 7,
		        .sector_number = 0,
		        .indirect_grefs = {a == A_IND_BAD_GREF ? 0xdeadbeef
		                                               : umx_plat_share_ref(f.data, 1)}};
		struct blkif_request_segment *seg =
		        (struct blkif_request_segment *)((uint8_t *)umx_plat_share_addr(f.data) +
		                                         UMX_PAGE_SIZE);
		for (unsigned i = 0; i < 20; i++)
			seg[i] = (struct blkif_request_segment){
			        .gref = g0, .first_sect = 0, .last_sect = 7};
		if (a == A_IND_SEG_BAD)
			seg[13] = (struct blkif_request_segment){
			        .gref = g0, .first_sect = 3, .last_sect = 1};
		memset(&q, 0, sizeof(q));
		memcpy(&q, &ind, sizeof(ind));
		break;
	}
	default:
		break;
	}
	if (a == A_PROD_AHEAD) {
		raw_push(&f, 1000);
	} else if (a == A_DUP_IDS) {
		raw_put(&f, &q);
		raw_put(&f, &q);
		raw_push(&f, f.prod);
		for (int i = 0; i < 2; i++) {
			r = raw_rsp(&f);
			CHILD_CHECK(r.id == 7 && r.operation == BLKIF_OP_READ &&
			            r.status == BLKIF_RSP_OKAY);
		}
		/* What was read is the disk's pattern (the honest frontend
		 * never writes sector 0's page: it may, so only check it's read). */
	} else if (a == A_PGRANT_FLOOD) {
		/* 1100 distinct persistent pages, 11 per read, 25 reads at a
		 * time: the backend keeps at most UMX_BLK_PGRANTS_MAX mapped,
		 * unmapping the least recently used, and answers every read. */
		umx_plat_shared *many;
		CHILD_CHECK_OK(umx_plat_share(p, f.bid, 1100, false, NULL, &many));
		for (unsigned batch = 0; batch < 4; batch++) {
			for (unsigned k = 0; k < 25; k++) {
				unsigned r0 = (batch * 25 + k) * 11;
				q = rw_req(BLKIF_OP_READ, 100 + r0, 0, 11, 0);
				for (unsigned i = 0; i < 11; i++)
					q.seg[i].gref = umx_plat_share_ref(many, r0 + i);
				raw_put(&f, &q);
			}
			raw_push(&f, f.prod);
			for (unsigned k = 0; k < 25; k++) {
				r = raw_rsp(&f);
				CHILD_CHECK(r.status == BLKIF_RSP_OKAY);
			}
		}
		q = rw_req(BLKIF_OP_READ, 7, 0, 1, g0);
	} else if (a == A_RACING_REWRITE) {
		racing_rewrite(&f, c, g0);
	} else if (a == A_STORM) {
		for (int i = 0; i < 20000; i++)
			CHILD_CHECK_OK(umx_plat_evtchn_notify(f.p, f.port));
		/* Then real work: still served. */
		raw_put(&f, &q);
		raw_push(&f, f.prod);
		r = raw_rsp(&f);
		CHILD_CHECK(r.id == 7 && r.status == BLKIF_RSP_OKAY);
	} else {
		raw_put(&f, &q);
		raw_push(&f, f.prod);
	}
	if (a < A_FIRST_ANSWERED) {
		CHILD_CHECK(wait_be(&f, 5) == 0); /* Closing: cut off */
		return;
	}
	if ((a >= A_BEYOND_END && a <= A_IND_BAD_OP) || a == A_SECURE_DISCARD) {
		/* Answered with the operation served: an indirect request's
		 * indirect_op, as Linux's blkback answers. */
		uint8_t op = q.operation == BLKIF_OP_INDIRECT ? ((uint8_t *)&q)[1] : q.operation;
		r = raw_rsp(&f);
		CHILD_CHECK(r.id == 7 && r.operation == op);
		CHILD_CHECK(r.status == (a == A_UNKNOWN_OP || a == A_SECURE_DISCARD
		                                 ? BLKIF_RSP_EOPNOTSUPP
		                                 : BLKIF_RSP_ERROR));
	}
	if (a == A_SECURE_DISCARD) {
		/* Nothing was discarded: sectors 0..15 still hold the pattern. */
		uint8_t *pg = umx_plat_share_addr(f.data);
		for (unsigned k = 0; k < 2; k++) {
			q = rw_req(BLKIF_OP_READ, 9, 8 * k, 1, g0);
			raw_put(&f, &q);
			raw_push(&f, f.prod);
			r = raw_rsp(&f);
			CHILD_CHECK(r.id == 9 && r.status == BLKIF_RSP_OKAY);
			for (unsigned i = 0; i < UMX_PAGE_SIZE; i++)
				CHILD_CHECK(pg[i] == blk_pattern(k * UMX_PAGE_SIZE + i));
		}
	}
	if (a == A_MIXED_GREFS) {
		/* All or nothing: the valid refs were not left mapped. */
		CHILD_CHECK(umx_plat_unshare(p, f.data) == 0);
		f.data = NULL;
	}
	/* Still connected: a correct request is served. */
	q = rw_req(BLKIF_OP_READ, 8, 8, 1, g0);
	if (a != A_MIXED_GREFS) {
		raw_put(&f, &q);
		raw_push(&f, f.prod);
		r = raw_rsp(&f);
		CHILD_CHECK(r.id == 8 && r.status == BLKIF_RSP_OKAY);
	}
	CHILD_CHECK(wait_be(&f, 4) == 0);
}

static int hostile(void *arg)
{
	struct ctx *c = arg;
	umx_plat *p;
	char ch;

	CHILD_CHECK(read(c->go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	for (int a = 0; a < A_COUNT; a++)
		attack(p, c, (enum attack)a);
	CHILD_CHECK(write(c->x_done[1], "d", 1) == 1);
	/* Stay alive until killed: the vbds stay as the attacks left them. */
	for (;;)
		pause();
}

static char disk_a[64], disk_b[64];

static void test_blk_hostile_frontend(void **state)
{
	struct umx_test_daemon d;
	static struct umx_blk_vbd vbds[UMX_BLK_VBDS_MAX];
	struct blk_be be = {0}; /* io_uring where the kernel has it */
	struct ctx c;
	uint32_t bdom, hdom, xdom;
	pid_t bpid, hpid, xpid;
	uint64_t rounds = 0, race[2];
	struct stat st;
	char ch;
	int n;
	(void)state;

	assert_int_equal(pipe(c.go), 0);
	assert_int_equal(pipe(c.race), 0);
	assert_int_equal(pipe(c.stop_h), 0);
	assert_int_equal(pipe(c.h_rounds), 0);
	assert_int_equal(pipe(c.x_done), 0);
	assert_int_equal(blk_be_pipes(&be), 0);
	assert_int_equal(blk_make_file(disk_a, DISK_BYTES), 0);
	assert_int_equal(blk_make_file(disk_b, DISK_BYTES), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "blkback", blk_backend_domain, &be, &bdom, &bpid),
	                 0);
	assert_int_equal(umx_test_domain_fork(&d, "honest", honest, &c, &hdom, &hpid), 0);
	assert_int_equal(umx_test_domain_fork(&d, "hostile", hostile, &c, &xdom, &xpid), 0);
	assert_int_equal(blk_attach(hdom, bdom, HONEST_DEV, disk_a, false, 512), (int)HONEST_DEV);
	for (int a = 0; a < A_COUNT; a++)
		assert_int_equal(blk_attach(xdom, bdom, (int)DEVID(a), disk_b, false, 512),
		                 (int)DEVID(a));
	assert_int_equal(write(c.go[1], "gg", 2), 2);
	assert_int_equal(read(c.race[0], race, sizeof(race)), sizeof(race));
	assert_int_equal(read(c.x_done[0], &ch, 1), 1);
	assert_int_equal(write(c.stop_h[1], "s", 1), 1);
	assert_int_equal(read(c.h_rounds[0], &rounds, sizeof(rounds)), sizeof(rounds));
	assert_true(rounds > 0);
	assert_int_equal(umx_test_domain_reap(&d, hdom, hpid), 0);

	n = blk_be_stop(&be, vbds);
	assert_int_equal(n, A_COUNT + 1);
	for (int a = 0; a < A_COUNT; a++) {
		const struct umx_blk_vbd *v = blk_vbd(vbds, n, DEVID(a));
		assert_non_null(v);
		if (a < A_FIRST_ANSWERED) {
			if (!strstr(v->reason, expect_reason[a]))
				fail_msg("attack %d: reason '%s' lacks '%s'", a, v->reason,
				         expect_reason[a]);
			assert_false(v->connected);
		} else {
			assert_string_equal(v->reason, "");
			assert_true(v->connected);
		}
		if ((a >= A_BEYOND_END && a <= A_IND_BAD_OP) || a == A_SECURE_DISCARD)
			assert_int_equal(v->st.errors, 1);
		if (a == A_SECURE_DISCARD)
			assert_int_equal(v->st.discards, 0);
		if (a == A_RACING_REWRITE) {
			/* The backend counted what it answered: each write
			 * served once, each refusal once. */
			fprintf(stderr, "racing rewrite: %llu written, %llu refused\n",
			        (unsigned long long)race[0], (unsigned long long)race[1]);
			assert_int_equal(race[0] + race[1], RACE_WRITES);
			assert_int_equal(v->st.writes, race[0]);
			assert_int_equal(v->st.errors, race[1]);
		}
		if (a == A_MIXED_GREFS)
			assert_int_equal(v->pgrants, 0);
		if (a == A_DUP_IDS)
			assert_int_equal(v->st.reads, 3);
		if (a == A_STORM)
			assert_true(v->st.spurious_events > 0);
		if (a == A_MQ_TWO) {
			assert_int_equal(v->queues, 2);
			assert_int_equal(v->st.reads, 2);
		}
		if (a == A_PGRANT_FLOOD) {
			/* 1100 pages, then the follow-up read's: capped, LRU. */
			assert_int_equal(v->pgrants, UMX_BLK_PGRANTS_MAX);
			assert_int_equal(v->st.reads, 101);
		}
	}
	const struct umx_blk_vbd *h = blk_vbd(vbds, n, HONEST_DEV);
	assert_non_null(h);
	assert_string_equal(h->reason, "");
	assert_int_equal(h->st.errors, 0);
	assert_true(h->st.writes >= rounds);
	/* The racing writes went where their validated copy said, or nowhere:
	 * disk_b (written by no other attack) has its size, the race's page
	 * where some were written, and its pattern everywhere else. */
	assert_int_equal(stat(disk_b, &st), 0);
	assert_int_equal(st.st_size, DISK_BYTES);
	{
		FILE *fb = fopen(disk_b, "rb");
		assert_non_null(fb);
		for (uint64_t off = 0; off < DISK_BYTES; off++) {
			int b = fgetc(fb);
			bool race_page = off / 512 >= RACE_SECTOR && off / 512 < RACE_SECTOR + 8;
			int want = race_page && race[0] ? RACE_BYTE : blk_pattern(off);
			if (b != want)
				fail_msg("disk_b byte %llu is %#x, want %#x",
				         (unsigned long long)off, b, want);
		}
		fclose(fb);
	}
	assert_int_equal(umx_test_domain_reap(&d, bdom, bpid), 0);
	kill(xpid, SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, xdom, xpid), 128 + SIGKILL);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_blk_hostile_frontend)};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	if (disk_a[0])
		unlink(disk_a);
	if (disk_b[0])
		unlink(disk_b);
	return r;
}
