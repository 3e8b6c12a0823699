/* SPDX-License-Identifier: MIT */
/*
 * Event-channel notify round trip between two domains (ping-pong through
 * umx ports: notify, poll the handle's fd, pending, unmask), beside a bare
 * eventfd ping-pong between two processes (write, poll, read) in the same
 * run. The ratio is the cost of the xenevtchn model (epoll one-shot mask and
 * re-arm) over the raw wakeup; umxd is not on the path.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/conn.h"
#include "umx/domain.h"
#include "umx/evtchn.h"
#include "umxd.h"

static int put(int fd, uint32_t v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

static uint32_t get(int fd)
{
	uint32_t v = 0;
	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static int wait_port(umx_evtchn *h)
{
	struct pollfd p = {.fd = umx_evtchn_fd(h), .events = POLLIN};
	for (;;) {
		int port = umx_evtchn_pending(h);
		if (port != -EAGAIN)
			return port;
		if (poll(&p, 1, 5000) <= 0)
			return -ETIMEDOUT;
	}
}

static void efd_wait(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t v;
	while (read(fd, &v, sizeof(v)) != sizeof(v))
		poll(&p, 1, 5000);
}

/* Bare eventfd ping-pong: round trips in @secs. */
static double eventfd_rtt(double secs)
{
	int ping = eventfd(0, EFD_NONBLOCK), pong = eventfd(0, EFD_NONBLOCK);
	uint64_t one = 1, n = 0, t0, end;
	pid_t pid = fork();
	if (pid == 0) {
		for (;;) {
			efd_wait(ping);
			if (write(pong, &one, sizeof(one)) != sizeof(one))
				_exit(1);
		}
	}
	t0 = umx_clock_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	while (umx_clock_ns() < end) {
		for (int i = 0; i < 256; i++) {
			if (write(ping, &one, sizeof(one)) != sizeof(one))
				exit(1);
			efd_wait(pong);
		}
		n += 256;
	}
	double rate = (double)n * 1e9 / (double)(umx_clock_ns() - t0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ping);
	close(pong);
	return rate;
}

struct pp {
	int to_a[2], to_b[2];
	double secs;
};

/* Domain A: offers a port to B and answers every event with a notify. */
static int dom_echo(struct pp *pp)
{
	umx_evtchn *h;
	uint32_t b = get(pp->to_a[0]);
	int p;
	if (umx_evtchn_open(&h) < 0 || (p = umx_evtchn_alloc_unbound(h, b)) <= 0)
		return 1;
	put(pp->to_b[1], (uint32_t)p);
	for (;;) {
		if (wait_port(h) != p)
			return 0; /* B is gone */
		umx_evtchn_unmask(h, (uint32_t)p);
		umx_evtchn_notify(h, (uint32_t)p);
	}
}

/* Domain B: binds and measures; reports the rate (round trips/s) to A's pipe. */
static int dom_measure(struct pp *pp, int out)
{
	umx_evtchn *h;
	uint32_t a = get(pp->to_b[0]), rp = get(pp->to_b[0]);
	uint64_t n = 0, t0, end;
	int q;
	if (umx_evtchn_open(&h) < 0 || (q = umx_evtchn_bind_interdomain(h, a, rp)) <= 0)
		return 1;
	if (wait_port(h) != q) /* the binder's initial event */
		return 1;
	umx_evtchn_unmask(h, (uint32_t)q);
	t0 = umx_clock_ns();
	end = t0 + (uint64_t)(pp->secs * 1e9);
	while (umx_clock_ns() < end) {
		for (int i = 0; i < 256; i++) {
			umx_evtchn_notify(h, (uint32_t)q);
			if (wait_port(h) != q)
				return 1;
			umx_evtchn_unmask(h, (uint32_t)q);
		}
		n += 256;
	}
	double rate = (double)n * 1e9 / (double)(umx_clock_ns() - t0);
	if (write(out, &rate, sizeof(rate)) != sizeof(rate))
		return 1;
	umx_evtchn_close(h);
	return 0;
}

int main(void)
{
	struct bench_umxd bu;
	struct pp pp = {.secs = bench_seconds()};
	int res[2];
	umx_conn *ts = NULL;
	uint32_t a, b;
	pid_t pa, pb;
	double rate = 0;

	if (pipe(pp.to_a) || pipe(pp.to_b) || pipe(res))
		return 1;
	if (bench_umxd_start(&bu) < 0)
		return 1;
	ts = bu.ts;

	double base = eventfd_rtt(pp.secs);

	if ((pa = bench_domain_fork(ts, NULL, &a)) == 0)
		_exit(dom_echo(&pp));
	if ((pb = bench_domain_fork(ts, NULL, &b)) == 0)
		_exit(dom_measure(&pp, res[1]));
	put(pp.to_a[1], b);
	put(pp.to_b[1], a);
	if (read(res[0], &rate, sizeof(rate)) != sizeof(rate))
		fprintf(stderr, "measuring domain failed\n");
	waitpid(pb, NULL, 0);
	kill(pa, SIGKILL);
	waitpid(pa, NULL, 0);
	bench_umxd_stop(&bu);

	bench_report("evtchn notify round trip (umx ports)", rate, "bare eventfd ping-pong", base);
	return rate > 0 ? 0 : 1;
}
