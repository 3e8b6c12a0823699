/* SPDX-License-Identifier: MIT */
/*
 * Grant map+unmap per second (batch 1 and batch 32 pages) between two
 * domains of a private umxd, beside what a user would do instead: pass a
 * memfd over a Unix socket and mmap/munmap it, in the same run.
 *
 * Each measured op touches the mapped page once. Batch 32 is reported in
 * pages per second for both sides.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/conn.h"
#include "umx/domain.h"
#include "umx/grant.h"
#include "umx/internal/msg.h"
#include "umxd.h"

#define NPAGES 32u

static int pipe_g2m[2], pipe_done[2];

static uint32_t page_sum(const volatile char *p, uint32_t n)
{
	uint32_t s = 0, i;
	for (i = 0; i < n; i++)
		s += (uint8_t)p[(size_t)i * UMX_PAGE_SIZE];
	return s;
}

static double bench_grant(umx_gnt *g, uint32_t granter, const uint32_t *refs, uint32_t batch)
{
	uint64_t t0 = umx_clock_ns(), end = t0 + (uint64_t)(bench_seconds() * 1e9), n = 0;
	umx_gnt_map *m;
	uint32_t sink = 0;

	while (umx_clock_ns() < end) {
		for (unsigned k = 0; k < 16; k++) {
			if (umx_gnt_map_refs(g, granter, batch, refs, 0, NULL, NULL, &m) < 0)
				return -1;
			sink += page_sum(umx_gnt_map_addr(m), batch);
			umx_gnt_unmap(g, m);
			n += batch;
		}
	}
	(void)sink;
	return (double)n / ((double)(umx_clock_ns() - t0) / 1e9);
}

/* Baseline: the memfd travels over a socket each time and is mapped. */
static double bench_memfd(int memfd, uint32_t batch)
{
	uint64_t t0 = umx_clock_ns(), end = t0 + (uint64_t)(bench_seconds() * 1e9), n = 0;
	struct umx_msg *msg = malloc(sizeof(*msg));
	int sv[2];
	uint32_t sink = 0;

	if (!msg || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	while (umx_clock_ns() < end) {
		for (unsigned k = 0; k < 16; k++) {
			void *p;
			int fd;
			if (umx_msg_send(sv[0], 1, 1, NULL, 0, &memfd, 1) < 0 ||
			    umx_msg_recv(sv[1], msg) < 0)
				return -1;
			fd = umx_msg_take_fd(msg, 0);
			p = mmap(NULL, (size_t)batch * UMX_PAGE_SIZE, PROT_READ | PROT_WRITE,
			         MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				return -1;
			sink += page_sum(p, batch);
			munmap(p, (size_t)batch * UMX_PAGE_SIZE);
			close(fd);
			n += batch;
		}
	}
	(void)sink;
	close(sv[0]);
	close(sv[1]);
	free(msg);
	return (double)n / ((double)(umx_clock_ns() - t0) / 1e9);
}

static int granter_main(uint32_t peer)
{
	uint32_t msg[2 + NPAGES], i;
	umx_gnt_share *s;
	umx_conn *c;
	umx_gnt *g;
	char b;

	if (umx_conn_open_domain(&c) < 0 || umx_gnt_open(&g) < 0 ||
	    umx_gnt_share_pages(g, peer, NPAGES, 0, &s) < 0)
		return 1;
	msg[0] = umx_conn_domid(c);
	msg[1] = NPAGES;
	for (i = 0; i < NPAGES; i++)
		msg[2 + i] = umx_gnt_share_ref(s, i);
	if (write(pipe_g2m[1], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return 1;
	if (read(pipe_done[0], &b, 1) != 1)
		return 1;
	return 0;
}

static int mapper_main(void)
{
	uint32_t msg[2 + NPAGES];
	double g1, g32, b1, b32;
	umx_conn *c;
	umx_gnt *g;
	int memfd;

	if (umx_conn_open_domain(&c) < 0 || umx_gnt_open(&g) < 0)
		return 1;
	if (read(pipe_g2m[0], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return 1;
	memfd = memfd_create("bench", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, NPAGES * UMX_PAGE_SIZE) < 0)
		return 1;
	g1 = bench_grant(g, msg[0], msg + 2, 1);
	b1 = bench_memfd(memfd, 1);
	g32 = bench_grant(g, msg[0], msg + 2, NPAGES);
	b32 = bench_memfd(memfd, NPAGES);
	if (g1 < 0 || g32 < 0 || b1 < 0 || b32 < 0)
		return 1;
	bench_report("grant map+unmap, batch 1 (pages/s)", g1, "memfd over socket+mmap", b1);
	bench_report("grant map+unmap, batch 32 (pages/s)", g32, "memfd over socket+mmap 32", b32);
	/* Issue 20's targets are rates: 100 k pages/s one at a time, 1 M in
	 * batches of 32; the memfd ratios above are the same-run reference. */
	bench_target("grant map+unmap batch 1 / 100 k pages/s", g1 / 100e3, 1.0);
	bench_target("grant map+unmap batch 32 / 1 M pages/s", g32 / 1e6, 1.0);
	return 0;
}

static pid_t spawn(umx_conn *ts, const char *name, uint32_t *domid, int (*fn)(uint32_t),
                   uint32_t arg)
{
	char buf[16];
	pid_t pid;
	int fd;

	if (umx_domain_create(ts, name, 0, domid, &fd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		snprintf(buf, sizeof(buf), "%d", fd);
		setenv(UMX_DOMAIN_FD_ENV, buf, 1);
		_exit(fn(arg));
	}
	close(fd);
	umx_domain_set_pid(ts, *domid, pid);
	return pid;
}

static int mapper_trampoline(uint32_t unused)
{
	(void)unused;
	return mapper_main();
}

int main(void)
{
	char dir[] = "/tmp/umx-bench-gnt-XXXXXX";
	uint32_t dm, dg;
	pid_t daemon, pm, pg;
	umx_conn *ts = NULL;
	int st = 1, i;

	if (!mkdtemp(dir) || pipe(pipe_g2m) < 0 || pipe(pipe_done) < 0)
		return 1;
	daemon = fork();
	if (daemon == 0) {
		struct umxd_options o = {.dir = dir};
		struct umxd *u;
		if (umxd_new(&o, &u) < 0)
			_exit(1);
		umxd_run(u);
		umxd_free(u);
		_exit(0);
	}
	for (i = 0; i < 500 && umx_conn_open_toolstack(dir, &ts) < 0; i++)
		usleep(10000);
	if (!ts)
		goto out;
	pm = spawn(ts, "bench-mapper", &dm, mapper_trampoline, 0);
	pg = spawn(ts, "bench-granter", &dg, granter_main, dm);
	if (pm < 0 || pg < 0)
		goto out;
	waitpid(pm, &st, 0);
	if (write(pipe_done[1], "x", 1) != 1)
		st = 1;
	waitpid(pg, NULL, 0);
out:
	if (ts)
		umx_conn_close(ts);
	kill(daemon, SIGTERM);
	waitpid(daemon, NULL, 0);
	rmdir(dir);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
