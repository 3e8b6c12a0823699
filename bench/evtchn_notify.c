/* SPDX-License-Identifier: MIT */
/*
 * Event channels, three rows with targets (issue 20), each measured in one
 * run beside its baseline:
 *  - notify round trip between two domains (notify, poll the handle's fd,
 *    pending, unmask) beside a bare eventfd ping-pong between two processes
 *    (write, poll, read): target >= 0.9x;
 *  - a stream of notifies to a peer that is awake (it handles each event,
 *    with the port masked, for ~2 us of work, as a device draining a ring
 *    does): eventfd writes ("kicks", the only thing that can wake a
 *    process) per notify, target <= 0.01; the receiver's sleeps are
 *    counted too (voluntary context switches);
 *  - the round trip again with 10 000 more ports bound between the two
 *    domains, all idle, against the first row: target >= 0.9x (an idle
 *    port costs nothing per event).
 * umxd is on none of these paths.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/conn.h"
#include "umx/domain.h"
#include "umx/evtchn.h"
#include "umx/internal/evtchn_shm.h"
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

enum mode {
	PINGPONG,
	STREAM,
	IDLE_PORTS,
};

static unsigned IDLE_PORTS_N = 10000;

struct pp {
	int to_a[2], to_b[2];
	int ping, pong; /* PINGPONG: the bare eventfd pair, between the same two processes */
	double secs;
	enum mode mode;
};

struct result {
	double rate;       /* round trips/s, or notifies/s */
	double base;       /* IDLE_PORTS: round trips/s on the handle without them */
	double kicks;      /* STREAM: the sender's eventfd writes per notify */
	double sleeps;     /* STREAM: the receiver's sleeps per notify */
	double delivered;  /* STREAM: events the receiver took per notify */
	double self_kicks; /* STREAM: the receiver's own eventfd writes per notify */
};

static uint64_t nvcsw(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_nvcsw : 0;
}

/* About 2 us of work, as a device handling an event does. */
static void work(void)
{
	uint64_t until = umx_clock_ns() + 2000;
	while (umx_clock_ns() < until)
		;
}

/* Domain A: offers ports to B; PINGPONG/IDLE_PORTS: answers every event on
 * the last one with a notify; STREAM: takes events, works, unmasks, and
 * reports its counts when B says stop (a second port). */
static int dom_a(struct pp *pp)
{
	umx_evtchn *h, *hi = NULL;
	uint32_t b = get(pp->to_a[0]);
	int p = 0, stop = 0;

	if (umx_evtchn_open(&h) < 0)
		return 1;
	if (pp->mode == IDLE_PORTS) {
		/* A second handle with the idle ports, numbered 1..N (lowest
		 * free), and a live one: "stop" carries it. */
		if (umx_evtchn_open(&hi) < 0)
			return 1;
		for (unsigned i = 0; i < IDLE_PORTS_N; i++)
			if (umx_evtchn_alloc_unbound(hi, b) <= 0)
				return 1;
		if ((stop = umx_evtchn_alloc_unbound(hi, b)) <= 0)
			return 1;
	}
	if ((p = umx_evtchn_alloc_unbound(h, b)) <= 0)
		return 1;
	if (pp->mode == STREAM && (stop = umx_evtchn_alloc_unbound(h, b)) <= 0)
		return 1;
	put(pp->to_b[1], (uint32_t)p);
	put(pp->to_b[1], (uint32_t)stop);
	if (pp->mode != STREAM) {
		struct pollfd pf[3] = {{.fd = umx_evtchn_fd(h), .events = POLLIN},
		                       {.fd = hi ? umx_evtchn_fd(hi) : -1, .events = POLLIN},
		                       {.fd = pp->ping, .events = POLLIN}};
		uint64_t v, one = 1;
		for (;;) {
			int x;
			while ((x = umx_evtchn_pending(h)) > 0) {
				umx_evtchn_unmask(h, (uint32_t)x);
				umx_evtchn_notify(h, (uint32_t)x);
			}
			while (hi && (x = umx_evtchn_pending(hi)) > 0) {
				umx_evtchn_unmask(hi, (uint32_t)x);
				umx_evtchn_notify(hi, (uint32_t)x);
			}
			/* The baseline: read, write, as bare as it gets. */
			while (read(pp->ping, &v, sizeof(v)) == sizeof(v))
				if (write(pp->pong, &one, sizeof(one)) != sizeof(one))
					return 1;
			if (poll(pf, 3, 5000) <= 0)
				return 0; /* B is gone */
		}
	}
	struct umx_evtchn_stats s0, s1;
	uint64_t events = 0, cs0 = nvcsw();

	umx_evtchn_stats(h, &s0);
	for (;;) {
		int q = wait_port(h);
		if (q == stop)
			break;
		if (q != p)
			return 1;
		work();
		events++;
		umx_evtchn_unmask(h, (uint32_t)p);
	}
	umx_evtchn_stats(h, &s1);
	uint64_t counts[3] = {events, nvcsw() - cs0, s1.kicks - s0.kicks};
	if (write(pp->to_a[1], counts, sizeof(counts)) != sizeof(counts))
		return 1;
	return 0;
}

/* Round trips on @q of @h for @ns; adds them to *@n. */
static int rtt_slice(umx_evtchn *h, int q, uint64_t ns, uint64_t *n)
{
	uint64_t end = umx_clock_ns() + ns;

	while (umx_clock_ns() < end) {
		for (int i = 0; i < 64; i++) {
			umx_evtchn_notify(h, (uint32_t)q);
			if (wait_port(h) != q)
				return -1;
			umx_evtchn_unmask(h, (uint32_t)q);
		}
		*n += 64;
	}
	return 0;
}

/* Bare eventfd round trips (write, then read or poll and read) for @ns. */
static void efd_slice(struct pp *pp, uint64_t ns, uint64_t *n)
{
	uint64_t end = umx_clock_ns() + ns, one = 1;

	while (umx_clock_ns() < end) {
		for (int i = 0; i < 64; i++) {
			if (write(pp->ping, &one, sizeof(one)) != sizeof(one))
				exit(1);
			efd_wait(pp->pong);
		}
		*n += 64;
	}
}

/* Bind to @rp of @a on @h and take the binder's initial event. */
static int bind_one(umx_evtchn *h, uint32_t a, uint32_t rp)
{
	int x = umx_evtchn_bind_interdomain(h, a, rp);
	if (x <= 0 || wait_port(h) != x)
		return -1;
	umx_evtchn_unmask(h, (uint32_t)x);
	return x;
}

/* Domain B: binds and measures; reports a struct result on @out. */
static int dom_b(struct pp *pp, int out)
{
	umx_evtchn *h, *hi = NULL;
	uint32_t a = get(pp->to_b[0]), rp = get(pp->to_b[0]), rstop = get(pp->to_b[0]);
	struct result res = {0};
	uint64_t n = 0, t0, end;
	int q, stop = 0;

	if (umx_evtchn_open(&h) < 0)
		return 1;
	if ((q = bind_one(h, a, rp)) <= 0)
		return 1;
	if (pp->mode == IDLE_PORTS) {
		if (umx_evtchn_open(&hi) < 0)
			return 1;
		for (unsigned i = 1; i <= IDLE_PORTS_N; i++)
			if (bind_one(hi, a, i) <= 0)
				return 1;
		if ((stop = bind_one(hi, a, rstop)) <= 0)
			return 1;
	} else if (rstop && (stop = bind_one(h, a, rstop)) <= 0) {
		return 1;
	}
	if (pp->mode == PINGPONG) {
		/* umx ports and the bare eventfd pair in alternating slices. */
		uint64_t nn[2] = {0, 0}, ns[2] = {0, 0}, slice = (uint64_t)(pp->secs * 1e8);
		if (rtt_slice(h, q, 0, &n) < 0) /* A learns its target: the mediated raise */
			return 1;
		for (int k = 0; k < 20; k++) {
			t0 = umx_clock_ns();
			if (k % 2)
				efd_slice(pp, slice, &nn[1]);
			else if (rtt_slice(h, q, slice, &nn[0]) < 0)
				return 1;
			ns[k % 2] += umx_clock_ns() - t0;
		}
		res.rate = (double)nn[0] * 1e9 / (double)ns[0];
		res.base = (double)nn[1] * 1e9 / (double)ns[1];
	} else if (pp->mode == IDLE_PORTS) {
		/* The two handles in alternating slices of the same run: the
		 * machine's load falls on both alike. */
		uint64_t nn[2] = {0, 0}, ns[2] = {0, 0}, slice = (uint64_t)(pp->secs * 1e8);
		if (rtt_slice(h, q, 0, &n) < 0 || rtt_slice(hi, stop, 0, &n) < 0)
			return 1;
		for (int k = 0; k < 20; k++) {
			t0 = umx_clock_ns();
			if (rtt_slice(k % 2 ? hi : h, k % 2 ? stop : q, slice, &nn[k % 2]) < 0)
				return 1;
			ns[k % 2] += umx_clock_ns() - t0;
		}
		res.rate = (double)nn[1] * 1e9 / (double)ns[1];
		res.base = (double)nn[0] * 1e9 / (double)ns[0];
	} else {
		struct umx_evtchn_stats s0, s1;
		uint64_t counts[3];

		umx_evtchn_stats(h, &s0);
		t0 = umx_clock_ns();
		end = t0 + (uint64_t)(pp->secs * 1e9);
		while (umx_clock_ns() < end) {
			for (int i = 0; i < 256; i++)
				umx_evtchn_notify(h, (uint32_t)q);
			n += 256;
		}
		umx_evtchn_stats(h, &s1);
		res.rate = (double)n * 1e9 / (double)(umx_clock_ns() - t0);
		umx_evtchn_notify(h, (uint32_t)stop);
		if (read(pp->to_a[0], counts, sizeof(counts)) != sizeof(counts))
			return 1;
		res.kicks = (double)(s1.kicks - s0.kicks) / (double)n;
		res.delivered = (double)counts[0] / (double)n;
		res.sleeps = (double)counts[1] / (double)n;
		res.self_kicks = (double)counts[2] / (double)n;
	}
	if (write(out, &res, sizeof(res)) != sizeof(res))
		return 1;
	umx_evtchn_close(h);
	if (hi)
		umx_evtchn_close(hi);
	return 0;
}

static int run(struct bench_umxd *bu, enum mode mode, double secs, struct result *res)
{
	struct pp pp = {.secs = secs,
	                .mode = mode,
	                .ping = eventfd(0, EFD_NONBLOCK),
	                .pong = eventfd(0, EFD_NONBLOCK)};
	int out[2];
	uint32_t a, b;
	pid_t pa, pb;
	int r = 0;

	if (pipe(pp.to_a) || pipe(pp.to_b) || pipe(out))
		return -1;
	if ((pa = bench_domain_fork(bu->ts, NULL, &a)) == 0)
		_exit(dom_a(&pp));
	if ((pb = bench_domain_fork(bu->ts, NULL, &b)) == 0)
		_exit(dom_b(&pp, out[1]));
	put(pp.to_a[1], b);
	put(pp.to_b[1], a);
	if (read(out[0], res, sizeof(*res)) != sizeof(*res)) {
		fprintf(stderr, "measuring domain failed\n");
		r = -1;
	}
	waitpid(pb, NULL, 0);
	kill(pa, SIGKILL);
	waitpid(pa, NULL, 0);
	close(pp.ping);
	close(pp.pong);
	for (int i = 0; i < 2; i++) {
		close(pp.to_a[i]);
		close(pp.to_b[i]);
		close(out[i]);
	}
	return r;
}

int main(void)
{
	struct bench_umxd bu;
	double secs = bench_seconds();
	struct result rt = {0}, st = {0}, idle = {0};
	int r = 0;

	if (getenv("BENCH_IDLE_PORTS")) /* for profiling: how the cost grows */
		IDLE_PORTS_N = (unsigned)atoi(getenv("BENCH_IDLE_PORTS"));
	if (bench_umxd_start(&bu) < 0)
		return 1;

	r |= run(&bu, PINGPONG, secs, &rt);
	bench_report("evtchn notify round trip (umx ports)", rt.rate, "bare eventfd ping-pong",
	             rt.base);
	bench_target("evtchn round trip / eventfd ping-pong", rt.base > 0 ? rt.rate / rt.base : 0,
	             0.9);

	r |= run(&bu, IDLE_PORTS, secs, &idle);
	bench_report("evtchn round trip, 10 000 idle ports", idle.rate, "the same, no idle port",
	             idle.base);
	bench_target("evtchn round trip, 10k idle ports / none",
	             idle.base > 0 ? idle.rate / idle.base : 0, 0.9);

	r |= run(&bu, STREAM, secs, &st);
	bench_report("evtchn notify stream to an awake peer", st.rate, NULL, 0);
	printf("  per notify: %.5f kicks by the sender (eventfd writes), %.5f receiver sleeps, "
	       "%.5f events taken, %.5f receiver self-kicks (unmask of a port raised while "
	       "masked)\n",
	       st.kicks, st.sleeps, st.delivered, st.self_kicks);
	bench_target("evtchn stream: kicks per notify", st.kicks, -0.01);
	bench_umxd_stop(&bu);
	return r == 0 && rt.rate > 0 ? 0 : 1;
}
