/* SPDX-License-Identifier: MIT */
/*
 * Ring hot path between two processes over MAP_SHARED memory:
 *  1. request/response ping-pong over the ring with Xen event suppression
 *     and eventfd notification, beside a bare eventfd ping-pong;
 *  2. the same ping-pong with both sides busy-polling the ring (no
 *     eventfd), beside the eventfd ping-pong;
 *  3. requests/s in batches of 32 (each answered, since responses free
 *     slots), beside a pipe carrying the same 64-byte messages in the same
 *     batches one way.
 * BENCH_SECONDS sets the length of each measurement.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/grant.h"
#include "umx/ring.h"

#define RBYTES (4 * UMX_PAGE_SIZE) /* 128 slots of 64 bytes */
#define BATCH  32
#define STOP   UINT64_MAX

struct msg {
	uint64_t id;
	uint64_t payload[7];
};

struct link {
	void *page;
	int f2b, b2f;
	bool poll;
};

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void kick(int fd)
{
	if (eventfd_write(fd, 1) < 0)
		die("eventfd_write");
}

static void wait_evt(int fd)
{
	eventfd_t v;
	if (eventfd_read(fd, &v) < 0)
		die("eventfd_read");
}

/* The back: answer every request until STOP. Runs in the child. */
static void __attribute__((noreturn)) back_loop(struct link *l)
{
	struct umx_ring r;
	struct msg in[BATCH];
	if (umx_ring_back_init(&r, l->page, RBYTES, sizeof(struct msg), sizeof(struct msg), false))
		_exit(2);
	for (;;) {
		int n = umx_ring_take(&r, in, BATCH);
		bool notify, more, stop = false;
		if (n < 0)
			_exit(3);
		for (int i = 0; i < n; i++) {
			stop |= in[i].id == STOP;
			in[i].payload[0] = ~in[i].payload[0];
			if (umx_ring_put(&r, &in[i]))
				_exit(4);
		}
		if (umx_ring_push(&r, &notify))
			_exit(5);
		if (notify && !l->poll)
			kick(l->b2f);
		if (stop)
			_exit(0);
		if (n || l->poll)
			continue;
		if (umx_ring_final_check(&r, &more))
			_exit(6);
		if (!more)
			wait_evt(l->f2b);
	}
}

static pid_t start_back(struct link *l, bool poll_mode)
{
	l->page = mmap(NULL, RBYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (l->page == MAP_FAILED)
		die("mmap");
	l->f2b = eventfd(0, 0);
	l->b2f = eventfd(0, 0);
	l->poll = poll_mode;
	if (l->f2b < 0 || l->b2f < 0)
		die("eventfd");
	struct umx_ring init;
	umx_ring_front_init(&init, l->page, RBYTES, sizeof(struct msg), sizeof(struct msg), true);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		back_loop(l);
	return pid;
}

static void stop_back(struct umx_ring *r, struct link *l, pid_t pid)
{
	struct msg m = {.id = STOP};
	struct msg sink[BATCH];
	int status;
	/* Make room for the stop request, then send it unconditionally kicked. */
	while (umx_ring_put(r, &m) == -ENOSPC) {
		if (umx_ring_take(r, sink, BATCH) < 0)
			exit(2);
	}
	umx_ring_push(r, NULL);
	kick(l->f2b);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "back exited badly (%d)\n", status), exit(2);
	close(l->f2b);
	close(l->b2f);
	munmap(l->page, RBYTES);
}

/* Wait for at least one response; returns how many were taken. */
static int front_wait(struct umx_ring *r, struct link *l, struct msg *out, unsigned max)
{
	for (;;) {
		int n = umx_ring_take(r, out, max);
		bool more;
		if (n < 0)
			exit(2);
		if (n > 0 || l->poll)
			return n;
		if (umx_ring_final_check(r, &more))
			exit(2);
		if (!more)
			wait_evt(l->b2f);
	}
}

static double ring_pingpong(bool poll_mode)
{
	struct link l;
	pid_t pid = start_back(&l, poll_mode);
	struct umx_ring r;
	umx_ring_front_init(&r, l.page, RBYTES, sizeof(struct msg), sizeof(struct msg), false);
	uint64_t n = 0, t0 = umx_clock_ns(), end = t0 + (uint64_t)(bench_seconds() * 1e9), now;
	do {
		struct msg q = {.id = n, .payload = {n}}, a;
		bool notify;
		umx_ring_put(&r, &q);
		umx_ring_push(&r, &notify);
		if (notify && !poll_mode)
			kick(l.f2b);
		while (front_wait(&r, &l, &a, 1) == 0)
			;
		if (a.id != n || a.payload[0] != ~n)
			fprintf(stderr, "bad response\n"), exit(2);
		n++;
	} while ((now = umx_clock_ns()) < end);
	stop_back(&r, &l, pid);
	return (double)n * 1e9 / (double)(now - t0);
}

static double ring_batched(void)
{
	struct link l;
	pid_t pid = start_back(&l, false);
	struct umx_ring r;
	struct msg out[4 * BATCH];
	umx_ring_front_init(&r, l.page, RBYTES, sizeof(struct msg), sizeof(struct msg), false);
	uint64_t sent = 0, done = 0, t0 = umx_clock_ns(),
	         end = t0 + (uint64_t)(bench_seconds() * 1e9), now;
	do {
		if (umx_ring_space(&r) >= BATCH) {
			for (int i = 0; i < BATCH; i++, sent++) {
				struct msg q = {.id = sent, .payload = {sent}};
				umx_ring_put(&r, &q);
			}
			bool notify;
			umx_ring_push(&r, &notify);
			if (notify)
				kick(l.f2b);
		}
		int n = umx_ring_space(&r) >= BATCH ? umx_ring_take(&r, out, 4 * BATCH)
		                                    : front_wait(&r, &l, out, 4 * BATCH);
		if (n < 0)
			exit(2);
		for (int i = 0; i < n; i++, done++)
			if (out[i].id != done)
				fprintf(stderr, "bad response\n"), exit(2);
	} while ((now = umx_clock_ns()) < end);
	stop_back(&r, &l, pid);
	return (double)done * 1e9 / (double)(now - t0);
}

static double eventfd_pingpong(void)
{
	int a = eventfd(0, 0), b = eventfd(0, 0);
	if (a < 0 || b < 0)
		die("eventfd");
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		eventfd_t v;
		for (;;) {
			if (eventfd_read(a, &v) < 0)
				_exit(2);
			if (v > 1) /* stop */
				_exit(0);
			eventfd_write(b, 1);
		}
	}
	uint64_t n = 0, t0 = umx_clock_ns(), end = t0 + (uint64_t)(bench_seconds() * 1e9), now;
	do {
		eventfd_t v;
		eventfd_write(a, 1);
		eventfd_read(b, &v);
		n++;
	} while ((now = umx_clock_ns()) < end);
	eventfd_write(a, 2);
	waitpid(pid, NULL, 0);
	close(a);
	close(b);
	return (double)n * 1e9 / (double)(now - t0);
}

static double pipe_batched(void)
{
	int p[2];
	if (pipe(p) < 0)
		die("pipe");
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(p[1]);
		struct msg in[BATCH];
		while (read(p[0], in, sizeof(in)) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	struct msg out[BATCH];
	memset(out, 0, sizeof(out));
	uint64_t n = 0, t0 = umx_clock_ns(), end = t0 + (uint64_t)(bench_seconds() * 1e9), now;
	do {
		for (int i = 0; i < BATCH; i++)
			out[i].id = n + (uint64_t)i;
		if (write(p[1], out, sizeof(out)) != (ssize_t)sizeof(out))
			die("write");
		n += BATCH;
	} while ((now = umx_clock_ns()) < end);
	close(p[1]);
	waitpid(pid, NULL, 0);
	return (double)n * 1e9 / (double)(now - t0);
}

int main(void)
{
	double efd = eventfd_pingpong();
	double ring = ring_pingpong(false);
	double spin = ring_pingpong(true);
	double batched = ring_batched();
	double piped = pipe_batched();
	bench_report("ring ping-pong (eventfd notify)", ring, "eventfd ping-pong", efd);
	bench_report("ring ping-pong (busy-poll)", spin, "eventfd ping-pong", efd);
	bench_report("ring requests, batches of 32", batched, "pipe 64B msgs, batches of 32",
	             piped);
	return 0;
}
