/* SPDX-License-Identifier: MIT */
/*
 * Block I/O from one domain to another through blkfront/blkback, beside
 * what a user would do instead: pread/pwrite on the same file, in the same
 * run. 4 KiB random reads and writes at queue depth 1 and 32, and 1 MiB
 * sequential reads and writes, over a 64 MiB file in the page cache (the
 * path measured is the driver pair, not the disk).
 *
 * The backend domain serves the file with umx's blkback, its I/O engine
 * chosen by the argument (auto: io_uring, buffered writes in the loop;
 * uring: everything through io_uring; sync: preadv/pwritev per request);
 * the frontend domain measures. Queue depth 32
 * is 32 requests in flight through umx_blkfront_submit; pread/pwrite has
 * one at a time by nature, so the ratio at depth 32 is against its depth 1.
 * The same random read at depth 32 runs again on UMX_BLK_QUEUES_MAX queues
 * (the frontend reconnects asking for them): requests spread over that
 * many rings and event channels, each with its own io_uring in the
 * backend. Issue 17's target, >= 0.8x pread at 4 KiB random read depth
 * 32, is recorded with bench_target().
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/blk.h"
#include "umx/domain.h"
#include "umx/platform.h"
#include "umx/xs.h"

#define FILE_BYTES (64ull << 20)
#define DEVID      51712u
#define QD_MAX     32u

static char path[64];
static int stop_pipe[2];
static enum umx_blkback_io io_mode = UMX_BLKBACK_IO_AUTO;
static uint64_t seed = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	seed ^= seed >> 12;
	seed ^= seed << 25;
	seed ^= seed >> 27;
	return seed * 0x2545f4914f6cdd1dull;
}

static int backend(void)
{
	umx_plat *p;
	umx_blkback *bb;
	char c;

	if (umx_plat_open(NULL, &p) < 0 || umx_blkback_open(p, &bb) < 0 ||
	    umx_blkback_set_io(bb, io_mode) < 0)
		return 1;
	fcntl(stop_pipe[0], F_SETFL, O_NONBLOCK);
	while (read(stop_pipe[0], &c, 1) != 1)
		if (umx_blkback_poll(bb, 20) < 0)
			return 1;
	umx_blkback_close(bb);
	umx_plat_close(p);
	return 0;
}

/* Random 4 KiB (@bs) requests, @qd in flight: requests per second. */
static double blk_random(umx_blkfront *bf, enum umx_blk_op op, size_t bs, unsigned qd)
{
	static uint8_t bufs[QD_MAX][UMX_BLK_MAX_IO];
	uint64_t t0 = umx_clock_ns(), end = t0 + (uint64_t)(bench_seconds() * 1e9), n = 0;
	unsigned inflight = 0;
	struct umx_blk_done done[QD_MAX];

	for (;;) {
		bool stop = umx_clock_ns() >= end;
		while (!stop && inflight < qd) {
			struct umx_blk_req rq = {.op = op,
			                         .sector = (rnd() % (FILE_BYTES / bs)) * (bs >> 9),
			                         .buf = bufs[inflight],
			                         .len = bs,
			                         .cookie = inflight};
			int r = umx_blkfront_submit(bf, &rq);
			if (r == -EAGAIN)
				break;
			if (r < 0)
				return -1;
			inflight++;
		}
		int got = umx_blkfront_reap(bf, done, QD_MAX);
		if (got < 0)
			return -1;
		for (int i = 0; i < got; i++)
			if (done[i].status)
				return -1;
		inflight -= (unsigned)got;
		n += (uint64_t)got;
		if (stop && !inflight)
			break;
		if (!got) {
			int w = umx_blkfront_wait(bf, 1000);
			if (w < 0 && w != -ETIMEDOUT)
				return -1;
		}
	}
	return (double)n / ((double)(umx_clock_ns() - t0) / 1e9);
}

/* 1 MiB sequential: MiB per second (the synchronous API splits it into
 * requests of UMX_BLK_MAX_IO, all in flight at once). */
static double blk_seq(umx_blkfront *bf, bool write)
{
	static uint8_t buf[1 << 20];
	uint64_t t0 = umx_clock_ns(), end = t0 + (uint64_t)(bench_seconds() * 1e9), n = 0;
	uint64_t off = 0;

	while (umx_clock_ns() < end) {
		int r = write ? umx_blkfront_write(bf, off >> 9, buf, sizeof(buf))
		              : umx_blkfront_read(bf, off >> 9, buf, sizeof(buf));
		if (r < 0)
			return -1;
		off = (off + sizeof(buf)) % FILE_BYTES;
		n++;
	}
	return (double)n / ((double)(umx_clock_ns() - t0) / 1e9);
}

static double file_random(int fd, bool write, size_t bs)
{
	static uint8_t buf[4096];
	uint64_t t0 = umx_clock_ns(), end = t0 + (uint64_t)(bench_seconds() * 1e9), n = 0;

	while (umx_clock_ns() < end) {
		for (int k = 0; k < 64; k++) {
			off_t off = (off_t)((rnd() % (FILE_BYTES / bs)) * bs);
			ssize_t r = write ? pwrite(fd, buf, bs, off) : pread(fd, buf, bs, off);
			if (r != (ssize_t)bs)
				return -1;
			n++;
		}
	}
	return (double)n / ((double)(umx_clock_ns() - t0) / 1e9);
}

static double file_seq(int fd, bool write)
{
	static uint8_t buf[1 << 20];
	uint64_t t0 = umx_clock_ns(), end = t0 + (uint64_t)(bench_seconds() * 1e9), n = 0;
	off_t off = 0;

	while (umx_clock_ns() < end) {
		ssize_t r = write ? pwrite(fd, buf, sizeof(buf), off)
		                  : pread(fd, buf, sizeof(buf), off);
		if (r != (ssize_t)sizeof(buf))
			return -1;
		off = (off_t)(((uint64_t)off + sizeof(buf)) % FILE_BYTES);
		n++;
	}
	return (double)n / ((double)(umx_clock_ns() - t0) / 1e9);
}

static int frontend(void)
{
	umx_plat *p;
	umx_blkfront *bf;
	struct umx_blkfront_opts o = {.ring_order = 1}; /* 64 slots: 32 in flight fit */
	int fd = open(path, O_RDWR);
	double f_rd, f_wr, f_srd, f_swr, v;

	if (fd < 0 || umx_plat_open(NULL, &p) < 0 ||
	    umx_blkfront_open(p, DEVID, &o, 10000, &bf) < 0)
		return 1;
	/* Baselines first, then the pair; the file is in the page cache for
	 * both (the bench wrote it whole before starting). */
	f_rd = file_random(fd, false, 4096);
	f_wr = file_random(fd, true, 4096);
	f_srd = file_seq(fd, false);
	f_swr = file_seq(fd, true);
	v = blk_random(bf, UMX_BLK_READ, 4096, 1);
	bench_report("blk 4K random read QD1", v, "pread 4K", f_rd);
	v = blk_random(bf, UMX_BLK_READ, 4096, 32);
	bench_report("blk 4K random read QD32", v, "pread 4K", f_rd);
	bench_target("blk 4K random read QD32 / pread 4K", v / f_rd, 0.8);
	v = blk_random(bf, UMX_BLK_WRITE, 4096, 1);
	bench_report("blk 4K random write QD1", v, "pwrite 4K", f_wr);
	v = blk_random(bf, UMX_BLK_WRITE, 4096, 32);
	bench_report("blk 4K random write QD32", v, "pwrite 4K", f_wr);
	v = blk_seq(bf, false);
	bench_report("blk 1M sequential read (MiB/s)", v, "pread 1M (MiB/s)", f_srd);
	v = blk_seq(bf, true);
	bench_report("blk 1M sequential write (MiB/s)", v, "pwrite 1M (MiB/s)", f_swr);
	if (umx_blkfront_broken(bf))
		return 1;
	umx_blkfront_close(bf);
	/* Again on every queue the backend offers (the row says 4). */
	_Static_assert(UMX_BLK_QUEUES_MAX == 4, "row name");
	o.queues = UMX_BLK_QUEUES_MAX;
	if (umx_blkfront_open(p, DEVID, &o, 10000, &bf) < 0)
		return 1;
	v = blk_random(bf, UMX_BLK_READ, 4096, 32);
	bench_report("blk 4K random read QD32, 4 queues", v, "pread 4K", f_rd);
	if (umx_blkfront_broken(bf))
		return 1;
	umx_blkfront_close(bf);
	umx_plat_close(p);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t chunk[1 << 20];
	struct bench_umxd b;
	uint32_t bdom, fdom;
	pid_t bpid, fpid;
	int fd, st = 1, rc = 1;
	char xsp[64];
	umx_xs *xs;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "auto") && strcmp(argv[1], "uring") &&
	                 strcmp(argv[1], "sync"))) {
		fprintf(stderr, "usage: bench_blk_io [auto|uring|sync]  (umx_blkback_set_io: "
		                "UMX_BLKBACK_IO_AUTO, _URING, _SYNC; auto)\n");
		return 2;
	}
	if (argc == 2)
		io_mode = !strcmp(argv[1], "sync")    ? UMX_BLKBACK_IO_SYNC
		          : !strcmp(argv[1], "uring") ? UMX_BLKBACK_IO_URING
		                                      : UMX_BLKBACK_IO_AUTO;
	snprintf(path, sizeof(path), "/tmp/umx-bench-blk-XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return 1;
	memset(chunk, 0x5a, sizeof(chunk));
	for (uint64_t off = 0; off < FILE_BYTES; off += sizeof(chunk))
		if (pwrite(fd, chunk, sizeof(chunk), (off_t)off) != (ssize_t)sizeof(chunk))
			goto out;
	close(fd);
	if (pipe(stop_pipe) < 0 || bench_umxd_start(&b) < 0)
		goto out;
	bpid = bench_domain_fork(b.ts, "blkback", &bdom);
	if (bpid == 0)
		_exit(backend());
	fpid = bpid > 0 ? bench_domain_fork(b.ts, "blkfront", &fdom) : -1;
	if (fpid == 0)
		_exit(frontend());
	snprintf(xsp, sizeof(xsp), "%s/xenstored", b.dir);
	if (fpid > 0 && umx_xs_open_path(xsp, &xs) == 0) {
		if (umx_blk_attach(xs, fdom, bdom, DEVID, path, false, 512) == (int)DEVID)
			rc = 0;
		umx_xs_close(xs);
	}
	if (fpid > 0 && (waitpid(fpid, &st, 0) != fpid || !WIFEXITED(st) || WEXITSTATUS(st)))
		rc = 1;
	if (bpid > 0) {
		if (write(stop_pipe[1], "x", 1) != 1)
			kill(bpid, SIGKILL);
		waitpid(bpid, NULL, 0);
	}
	bench_umxd_stop(&b);
out:
	unlink(path);
	if (rc)
		fprintf(stderr, "bench_blk_io: failed\n");
	return rc;
}
