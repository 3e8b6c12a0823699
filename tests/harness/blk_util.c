/* SPDX-License-Identifier: MIT */
/* Shared by the blk tests: see blk_util.h. */
#include "blk_util.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx/platform.h"
#include "umx/xs.h"

int blk_be_pipes(struct blk_be *be)
{
	return pipe(be->stop) == 0 && pipe(be->report) == 0 ? 0 : -errno;
}

int blk_uring_available(void)
{
	struct io_uring ring;

	if (io_uring_queue_init(4, &ring, 0) < 0)
		return 0;
	io_uring_queue_exit(&ring);
	return 1;
}

int blk_backend_domain(void *arg)
{
	struct blk_be *be = arg;
	static struct umx_blk_vbd vbds[UMX_BLK_VBDS_MAX];
	umx_plat *p;
	umx_blkback *bb;
	char c;
	int n;

	if (be->deny_uring) {
		/* As a container runtime's default profile does (Docker's). */
		scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
		CHILD_CHECK(f != NULL);
		CHILD_CHECK_OK(
		        seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0));
		CHILD_CHECK_OK(seccomp_load(f));
		seccomp_release(f);
	}
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_blkback_open(p, &bb));
	CHILD_CHECK_OK(umx_blkback_set_io(bb, be->io));
	fcntl(be->stop[0], F_SETFL, O_NONBLOCK);
	while (read(be->stop[0], &c, 1) != 1)
		CHILD_CHECK_OK(umx_blkback_poll(bb, 20));
	n = umx_blkback_vbds(bb, vbds, UMX_BLK_VBDS_MAX);
	CHILD_CHECK(write(be->report[1], &n, sizeof(n)) == sizeof(n));
	CHILD_CHECK(write(be->report[1], vbds, sizeof(vbds[0]) * (size_t)n) ==
	            (ssize_t)(sizeof(vbds[0]) * (size_t)n));
	umx_blkback_close(bb);
	umx_plat_close(p);
	return 0;
}

int blk_be_stop(struct blk_be *be, struct umx_blk_vbd *vbds)
{
	int n;

	if (write(be->stop[1], "x", 1) != 1 || read(be->report[0], &n, sizeof(n)) != sizeof(n) ||
	    n < 0 || n > (int)UMX_BLK_VBDS_MAX)
		return -1;
	for (size_t got = 0, want = sizeof(vbds[0]) * (size_t)n; got < want;) {
		ssize_t r = read(be->report[0], (char *)vbds + got, want - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return n;
}

const struct umx_blk_vbd *blk_vbd(const struct umx_blk_vbd *v, int n, uint32_t devid)
{
	for (int i = 0; i < n; i++)
		if (v[i].devid == devid)
			return &v[i];
	return NULL;
}

int blk_make_file(char *path, uint64_t bytes)
{
	static uint8_t buf[65536];
	int fd;

	snprintf(path, 64, "/tmp/umx-blk-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	for (uint64_t off = 0; off < bytes; off += sizeof(buf)) {
		size_t n = bytes - off < sizeof(buf) ? (size_t)(bytes - off) : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = blk_pattern(off + i);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n) {
			close(fd);
			unlink(path);
			return -EIO;
		}
	}
	close(fd);
	return 0;
}

int blk_attach(uint32_t front, uint32_t back, int devid, const char *path, bool ro,
               unsigned sector_size)
{
	umx_xs *xs;
	int r;

	if ((r = umx_xs_open(&xs)) < 0)
		return r;
	r = umx_blk_attach(xs, front, back, devid, path, ro, sector_size);
	umx_xs_close(xs);
	return r;
}

uint64_t blk_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

void blk_fill_rand(uint64_t *s, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = blk_rand(s);
		memcpy(buf + i, &v, n - i < 8 ? n - i : 8);
	}
}

uint64_t blk_hash(const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
