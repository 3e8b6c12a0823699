/* SPDX-License-Identifier: MIT */
/* Data through blkfront → blkback → file and back, byte for byte: three
 * disks (512-byte sectors on a one-page ring with persistent grants and
 * indirect requests of 32 segments on all the queues the backend offers;
 * 4096-byte sectors on a four-page ring with per-request grants and direct
 * requests only, one queue; a read-only one on two queues of two pages). The frontend first reads
 * each disk whole and finds the file's pattern; then random synchronous writes and reads, 32
 * asynchronous requests at once, flush, discard (reads back zeros), requests the disk refuses, and
 * a last whole-disk read — all checked against a private mirror; the parent then hashes the files
 * and finds the mirror's hash. Run twice: the backend on io_uring (skipped where the kernel has
 * none), then with io_uring_setup refused by a seccomp filter, where it falls back to
 * preadv/pwritev; each run checks the engine that served it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_util.h"

#define NDISKS 3

static const struct disk {
	uint32_t devid;
	uint64_t bytes;
	unsigned ss;
	bool ro;
	struct umx_blkfront_opts o;
	unsigned want_order, want_segs, want_queues;
} disks[NDISKS] = {
        /* More queues than offered: capped to the backend's. */
        {51712,
         8u << 20,
         512,
         false,
         {.ring_order = 0, .queues = UMX_BLK_QUEUES_MAX + 3},
         0,
         UMX_BLK_FRONT_INDIRECT_SEGS,
         UMX_BLK_QUEUES_MAX},
        {51728,
         4u << 20,
         4096,
         false,
         {.ring_order = 2, .no_persistent = true, .no_indirect = true},
         2,
         UMX_BLK_SEGS,
         1},
        {51744,
         1u << 20,
         512,
         true,
         {.ring_order = 1, .queues = 2},
         1,
         UMX_BLK_FRONT_INDIRECT_SEGS,
         2},
};

struct ctx {
	int go[2];
	int hashes[2]; /* frontend → parent: one uint64 per disk */
};

static void check_same(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
	if (memcmp(got, want, n) != 0) {
		for (size_t i = 0; i < n; i++)
			if (got[i] != want[i]) {
				fprintf(stderr, "%s: byte %zu is %#x, want %#x\n", what, i, got[i],
				        want[i]);
				break;
			}
		CHILD_FAIL(what);
	}
}

/* Read [off, off + n) and compare with the mirror. */
static void read_check(umx_blkfront *bf, const uint8_t *mirror, uint64_t off, size_t n,
                       const char *what)
{
	uint8_t *buf = malloc(n);
	CHILD_CHECK(buf != NULL);
	CHILD_CHECK_OK(umx_blkfront_read(bf, off >> 9, buf, n));
	check_same(buf, mirror + off, n, what);
	free(buf);
}

/* 32 asynchronous writes of whole requests at disjoint places, then as
 * many reads of them, each reaped and compared. */
static void async_round(umx_blkfront *bf, uint8_t *mirror, uint64_t bytes, uint64_t *seed)
{
	enum {
		N = 32
	};
	static uint8_t wbuf[N][UMX_BLK_MAX_IO], rbuf[N][UMX_BLK_MAX_IO];
	struct umx_blk_done done[N];
	unsigned issued = 0, reaped = 0;
	uint64_t stride = bytes / N;

	for (int pass = 0; pass < 2; pass++) {
		issued = reaped = 0;
		while (reaped < N) {
			while (issued < N) {
				struct umx_blk_req rq = {.op = pass ? UMX_BLK_READ : UMX_BLK_WRITE,
				                         .sector = (issued * stride) >> 9,
				                         .buf = pass ? rbuf[issued] : wbuf[issued],
				                         .len = UMX_BLK_MAX_IO,
				                         .cookie = 1000 + issued};
				int r;
				if (!pass)
					blk_fill_rand(seed, wbuf[issued], UMX_BLK_MAX_IO);
				r = umx_blkfront_submit(bf, &rq);
				if (r == -EAGAIN)
					break;
				CHILD_CHECK_OK(r);
				issued++;
			}
			int n = umx_blkfront_reap(bf, done, N);
			CHILD_CHECK_OK(n);
			for (int i = 0; i < n; i++) {
				CHILD_CHECK(done[i].status == 0);
				CHILD_CHECK(done[i].cookie >= 1000 && done[i].cookie < 1000 + N);
			}
			reaped += (unsigned)n;
			if (!n) {
				int w = umx_blkfront_wait(bf, 1000);
				CHILD_CHECK(w == 0 || w == -ETIMEDOUT);
			}
		}
	}
	for (unsigned i = 0; i < N; i++) {
		memcpy(mirror + i * stride, wbuf[i], UMX_BLK_MAX_IO);
		check_same(rbuf[i], wbuf[i], UMX_BLK_MAX_IO, "async read of an async write");
	}
}

static uint64_t exercise(const struct disk *d)
{
	struct umx_blk_info in;
	struct umx_blk_stats st;
	umx_plat *p;
	umx_blkfront *bf;
	uint8_t *mirror = malloc(d->bytes), *buf = malloc(256 * 1024);
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ d->devid, h;

	CHILD_CHECK(mirror && buf);
	for (uint64_t i = 0; i < d->bytes; i++)
		mirror[i] = blk_pattern(i);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_blkfront_open(p, d->devid, &d->o, 10000, &bf));
	umx_blkfront_info(bf, &in);
	CHILD_CHECK(in.sectors == d->bytes >> 9);
	CHILD_CHECK(in.sector_size == d->ss);
	CHILD_CHECK(in.readonly == d->ro);
	CHILD_CHECK(in.flush && in.discard == !d->ro);
	CHILD_CHECK(in.ring_order == d->want_order);
	CHILD_CHECK(in.ring_entries == 32u << d->want_order);
	CHILD_CHECK(in.queues == d->want_queues);
	CHILD_CHECK(in.persistent == !d->o.no_persistent);
	CHILD_CHECK(in.max_segs == d->want_segs && in.max_io == d->want_segs * UMX_PAGE_SIZE);
	/* The file's content, through the backend. */
	read_check(bf, mirror, 0, d->bytes, "initial whole-disk read");

	if (d->ro) {
		CHILD_CHECK(umx_blkfront_write(bf, 0, buf, 512) == -EROFS);
		CHILD_CHECK(umx_blkfront_discard(bf, 0, 4096) == -EROFS);
	} else {
		uint64_t max = 160 * 1024 / d->ss; /* up to 40 pages: 2 requests */
		for (int i = 0; i < 200; i++) {
			size_t n = (size_t)(1 + blk_rand(&seed) % max) * d->ss;
			uint64_t off = (blk_rand(&seed) % ((d->bytes - n) / d->ss + 1)) * d->ss;
			blk_fill_rand(&seed, buf, n);
			CHILD_CHECK_OK(umx_blkfront_write(bf, off >> 9, buf, n));
			memcpy(mirror + off, buf, n);
			if (i % 10 == 9) {
				n = (size_t)(1 + blk_rand(&seed) % max) * d->ss;
				off = (blk_rand(&seed) % ((d->bytes - n) / d->ss + 1)) * d->ss;
				read_check(bf, mirror, off, n, "random read after random writes");
			}
		}
		async_round(bf, mirror, d->bytes, &seed);
		CHILD_CHECK_OK(umx_blkfront_flush(bf));
		/* Discard 64 KiB: a file backend punches a hole, which reads zeros. */
		CHILD_CHECK_OK(umx_blkfront_discard(bf, (d->bytes / 2) >> 9, 65536));
		memset(mirror + d->bytes / 2, 0, 65536);
		read_check(bf, mirror, d->bytes / 2 - 4096, 65536 + 8192, "read across a discard");
		/* What the disk refuses, refused before anything is sent. */
		CHILD_CHECK(umx_blkfront_read(bf, d->bytes >> 9, buf, d->ss) == -EINVAL);
		CHILD_CHECK(umx_blkfront_write(bf, (d->bytes >> 9) - 1, buf, 2 * d->ss) == -EINVAL);
		CHILD_CHECK(umx_blkfront_read(bf, 0, buf, d->ss + 1) == -EINVAL);
		if (d->ss == 4096)
			CHILD_CHECK(umx_blkfront_read(bf, 1, buf, 4096) == -EINVAL);
	}
	read_check(bf, mirror, 0, d->bytes, "final whole-disk read");
	umx_blkfront_stats(bf, &st);
	CHILD_CHECK(st.errors == 0 && st.inflight == 0);
	CHILD_CHECK(d->ro || (st.writes > 200 && st.flushes >= 1 && st.discards >= 1));
	CHILD_CHECK(umx_blkfront_broken(bf) == NULL);
	umx_blkfront_close(bf);
	umx_plat_close(p);
	h = blk_hash(mirror, d->bytes, BLK_HASH_INIT);
	free(mirror);
	free(buf);
	return h;
}

static int frontend(void *arg)
{
	struct ctx *c = arg;
	char ch;
	uint64_t h0 = 0;

	CHILD_CHECK(read(c->go[0], &ch, 1) == 1);
	for (int i = 0; i < NDISKS; i++) {
		uint64_t h = exercise(&disks[i]);
		CHILD_CHECK(write(c->hashes[1], &h, sizeof(h)) == sizeof(h));
		if (i == 0)
			h0 = h;
	}
	/* Reconnect: the first disk again (its frontend went Closed, the
	 * backend followed), now on one queue, read whole, holds what the
	 * mirror did. */
	{
		static uint8_t all[8u << 20];
		umx_plat *p;
		umx_blkfront *bf;
		CHILD_CHECK_OK(umx_plat_open(NULL, &p));
		CHILD_CHECK_OK(umx_blkfront_open(p, disks[0].devid, NULL, 10000, &bf));
		CHILD_CHECK_OK(umx_blkfront_read(bf, 0, all, disks[0].bytes));
		CHILD_CHECK(blk_hash(all, disks[0].bytes, BLK_HASH_INIT) == h0);
		umx_blkfront_close(bf);
		umx_plat_close(p);
	}
	return 0;
}

static uint64_t hash_file(const char *path, uint64_t bytes)
{
	uint8_t *b = malloc(bytes);
	FILE *f = fopen(path, "rb");
	uint64_t h = 0;

	if (b && f && fread(b, 1, bytes, f) == bytes)
		h = blk_hash(b, bytes, BLK_HASH_INIT);
	if (f)
		fclose(f);
	free(b);
	return h;
}

static char path[NDISKS][64]; /* removed by main, whatever happened */

/* Once with each of the backend's I/O engines (*@state: the backend's
 * options; the pipes are made here). */
static void data_written_reads_back(void **state)
{
	struct umx_test_daemon d;
	struct umx_blk_vbd vbds[UMX_BLK_VBDS_MAX];
	const struct blk_be *want = *state;
	struct blk_be be = *want;
	struct ctx c;
	uint32_t bdom, fdom;
	pid_t bpid, fpid;
	int n;

	assert_int_equal(pipe(c.go), 0);
	assert_int_equal(pipe(c.hashes), 0);
	assert_int_equal(blk_be_pipes(&be), 0);
	for (int i = 0; i < NDISKS; i++) {
		if (path[i][0])
			unlink(path[i]); /* the previous run's */
		assert_int_equal(blk_make_file(path[i], disks[i].bytes), 0);
	}
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "blkback", blk_backend_domain, &be, &bdom, &bpid),
	                 0);
	assert_int_equal(umx_test_domain_fork(&d, "blkfront", frontend, &c, &fdom, &fpid), 0);
	for (int i = 0; i < NDISKS; i++)
		assert_int_equal(blk_attach(fdom, bdom, (int)disks[i].devid, path[i], disks[i].ro,
		                            disks[i].ss),
		                 (int)disks[i].devid);
	assert_int_equal(write(c.go[1], "g", 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, fdom, fpid), 0);
	for (int i = 0; i < NDISKS; i++) {
		uint64_t h;
		assert_int_equal(read(c.hashes[0], &h, sizeof(h)), sizeof(h));
		assert_true(h == hash_file(path[i], disks[i].bytes));
	}
	n = blk_be_stop(&be, vbds);
	assert_int_equal(n, NDISKS);
	for (int i = 0; i < NDISKS; i++) {
		const struct umx_blk_vbd *v = blk_vbd(vbds, n, disks[i].devid);
		assert_non_null(v);
		assert_string_equal(v->reason, "");
		assert_int_equal(v->sector_size, disks[i].ss);
		/* The last connection's queues: the reconnect of the first disk
		 * asked for one. */
		assert_int_equal(v->queues, i == 0 ? 1 : disks[i].want_queues);
		assert_true(v->readonly == disks[i].ro);
		assert_true(v->st.reads > 0);
		assert_true(disks[i].ro || v->st.writes > 200);
		assert_int_equal(v->st.errors, 0);
		/* The engine asked for served it, and left nothing in flight. */
		assert_true(v->uring == !be.deny_uring);
		assert_int_equal(v->st.inflight, 0);
		/* Persistent grants stay mapped until the disconnect, which has
		 * happened: none left. */
		assert_int_equal(v->pgrants, 0);
	}
	assert_int_equal(umx_test_domain_reap(&d, bdom, bpid), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

static struct blk_be uring = {.io = UMX_BLKBACK_IO_URING};
static struct blk_be denied = {.io = UMX_BLKBACK_IO_AUTO, .deny_uring = true};

static void test_blk_data_written_reads_back_io_uring(void **state)
{
	if (!blk_uring_available())
		skip(); /* this kernel (or a seccomp filter around the test) has no io_uring */
	data_written_reads_back(state);
}

static void test_blk_data_written_reads_back_when_seccomp_denies_io_uring(void **state)
{
	data_written_reads_back(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_prestate(test_blk_data_written_reads_back_io_uring, &uring),
	        cmocka_unit_test_prestate(
	                test_blk_data_written_reads_back_when_seccomp_denies_io_uring, &denied)};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	for (int i = 0; i < NDISKS; i++)
		if (path[i][0])
			unlink(path[i]);
	return r;
}
