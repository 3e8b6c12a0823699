/* SPDX-License-Identifier: MIT */
/*
 * vchan between two domains (Xen's libxenvchan protocol, 1 MiB rings, notify
 * bits) beside an AF_UNIX socketpair and a pipe between two processes,
 * measured in the same run: stream throughput with 1 KiB and 64 KiB writes
 * (the reader reads up to 64 KiB at a time), 64-byte packets per second,
 * and the round trip of a 64-byte ping-pong. Ratios are vchan / baseline.
 *
 * The same loops also run on Xen's own libxenvchan (Debian's, unmodified)
 * between two domains of the same umxd through umx's drop-in libraries
 * (compat/bin/vchan_peer bench, and compat/lib): the ratio
 * umx vchan / libxenvchan-on-umx shows what the drop-ins and libxenvchan's
 * own code cost on the same rings and the same daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/conn.h"
#include "umx/domain.h"
#include "umx/vchan.h"
#include "umxd.h"

enum mode {
	STREAM,
	PACKET,
	PINGPONG
};

struct job {
	enum mode mode;
	size_t wsize; /* bytes per write (stream) or per packet */
	double secs;
};

#define RBUF     (64u * 1024)
#define RING_MIN (1u << 20)

static unsigned char wbuf[RBUF], rbuf[RBUF];

/* ---- baselines: two processes over a pair of descriptors --------------- */

static int fd_write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fd_read_all(int fd, void *p, size_t n)
{
	unsigned char *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Sender / ping-pong initiator side of a baseline; returns the rate
 * (bytes/s, packets/s or round trips/s) measured by the receiving end. */
static void fd_sender(const struct job *j, int wfd, int rfd)
{
	uint64_t end = umx_clock_ns() + (uint64_t)(j->secs * 1e9);

	if (j->mode == PINGPONG) {
		/* the echo side */
		while (fd_read_all(rfd, rbuf, j->wsize) == 0)
			if (fd_write_all(wfd, rbuf, j->wsize) < 0)
				break;
		return;
	}
	while (umx_clock_ns() < end)
		for (int i = 0; i < 64; i++)
			if (fd_write_all(wfd, wbuf, j->wsize) < 0)
				return;
}

static double fd_receiver(const struct job *j, int wfd, int rfd)
{
	uint64_t n = 0, t0 = 0, t1;

	if (j->mode == PINGPONG) {
		uint64_t end;
		t0 = umx_clock_ns();
		end = t0 + (uint64_t)(j->secs * 1e9);
		while (umx_clock_ns() < end) {
			for (int i = 0; i < 64; i++) {
				if (fd_write_all(wfd, wbuf, j->wsize) < 0 ||
				    fd_read_all(rfd, rbuf, j->wsize) < 0)
					return 0;
			}
			n += 64;
		}
		return (double)n * 1e9 / (double)(umx_clock_ns() - t0);
	}
	for (;;) {
		ssize_t r = j->mode == PACKET
		                    ? (fd_read_all(rfd, rbuf, j->wsize) ? 0 : (ssize_t)j->wsize)
		                    : read(rfd, rbuf, RBUF);
		if (r <= 0)
			break;
		if (!t0)
			t0 = umx_clock_ns();
		n += j->mode == PACKET ? 1 : (uint64_t)r;
	}
	t1 = umx_clock_ns();
	return t1 > t0 && t0 ? (double)n * 1e9 / (double)(t1 - t0) : 0;
}

static double baseline(const struct job *j, bool use_pipe)
{
	int a[2], b[2]; /* a: sender -> receiver, b: receiver -> sender */
	double rate;
	pid_t pid;

	if (use_pipe) {
		if (pipe(a) || pipe(b))
			return 0;
	} else {
		int s[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, s))
			return 0;
		a[0] = s[0];
		a[1] = s[1];
		b[0] = dup(s[1]);
		b[1] = dup(s[0]);
	}
	/* a[1]: sender writes; a[0]: receiver reads; b[1]: receiver writes;
	 * b[0]: sender reads. */
	pid = fork();
	if (pid == 0) {
		close(a[0]);
		close(b[1]);
		fd_sender(j, a[1], b[0]);
		_exit(0);
	}
	close(a[1]);
	close(b[0]);
	rate = fd_receiver(j, b[1], a[0]);
	close(a[0]);
	close(b[1]);
	waitpid(pid, NULL, 0);
	return rate;
}

/* ---- vchan: two domains ------------------------------------------------ */

static void vchan_sender(const struct job *j, umx_vchan *v)
{
	uint64_t end = umx_clock_ns() + (uint64_t)(j->secs * 1e9);

	if (j->mode == PINGPONG) {
		while (umx_vchan_recv(v, rbuf, j->wsize) == (int)j->wsize)
			if (umx_vchan_send(v, rbuf, j->wsize) != (int)j->wsize)
				break;
		return;
	}
	while (umx_clock_ns() < end)
		for (int i = 0; i < 64; i++) {
			int r = j->mode == PACKET ? umx_vchan_send(v, wbuf, j->wsize)
			                          : umx_vchan_write(v, wbuf, j->wsize);
			if (r != (int)j->wsize)
				return;
		}
}

static double vchan_receiver(const struct job *j, umx_vchan *v)
{
	uint64_t n = 0, t0 = 0, t1;

	if (j->mode == PINGPONG) {
		uint64_t end;
		t0 = umx_clock_ns();
		end = t0 + (uint64_t)(j->secs * 1e9);
		while (umx_clock_ns() < end) {
			for (int i = 0; i < 64; i++)
				if (umx_vchan_send(v, wbuf, j->wsize) != (int)j->wsize ||
				    umx_vchan_recv(v, rbuf, j->wsize) != (int)j->wsize)
					return 0;
			n += 64;
		}
		return (double)n * 1e9 / (double)(umx_clock_ns() - t0);
	}
	for (;;) {
		int r = j->mode == PACKET ? umx_vchan_recv(v, rbuf, j->wsize)
		                          : umx_vchan_read(v, rbuf, RBUF);
		if (r <= 0)
			break;
		if (!t0)
			t0 = umx_clock_ns();
		n += j->mode == PACKET ? 1 : (uint64_t)r;
	}
	t1 = umx_clock_ns();
	return t1 > t0 && t0 ? (double)n * 1e9 / (double)(t1 - t0) : 0;
}

/* ---- Xen's libxenvchan on umx, through the drop-ins ---------------- */

struct xen_peer {
	char bin[PATH_MAX];    /* compat/bin/vchan_peer */
	char compat[PATH_MAX]; /* the drop-in libraries */
};

/* Both live in the build tree beside this binary; 0 when they are there. */
static int xen_peer_find(struct xen_peer *x)
{
	char exe[PATH_MAX - 32], *slash; /* room for the suffixes below */
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = 0;
	if ((slash = strrchr(exe, '/')))
		*slash = 0;
	snprintf(x->bin, sizeof(x->bin), "%s/../compat/bin/vchan_peer", exe);
	snprintf(x->compat, sizeof(x->compat), "%s/../compat/lib", exe);
	return access(x->bin, X_OK) == 0 ? 0 : -1;
}

/* In a child made a domain by bench_domain_fork: keep the domain's
 * connection across exec, point the loader at the drop-ins, run the peer. */
static void __attribute__((noreturn))
xen_peer_exec(const struct xen_peer *x, const char *role, uint32_t peer, const char *path,
              const struct job *j)
{
	static const char *const modes[] = {"stream", "packet", "pingpong"};
	const char *fd_env = getenv(UMX_DOMAIN_FD_ENV);
	char peer_s[16], ring_s[16], size_s[16], secs_s[32];
	int fd = fd_env ? atoi(fd_env) : -1;

	if (fd < 0 || fcntl(fd, F_SETFD, 0) < 0 || setenv("LD_LIBRARY_PATH", x->compat, 1) < 0)
		_exit(126);
	snprintf(peer_s, sizeof(peer_s), "%u", peer);
	snprintf(ring_s, sizeof(ring_s), "%u", RING_MIN);
	snprintf(size_s, sizeof(size_s), "%zu", j->wsize);
	snprintf(secs_s, sizeof(secs_s), "%g", j->secs);
	execl(x->bin, x->bin, "bench", role, peer_s, path, ring_s, modes[j->mode], size_s, secs_s,
	      (char *)NULL);
	_exit(127);
}

/* One measurement between two fresh domains: the server domain sends
 * (echoes, for ping-pong), the client domain receives, measures and writes
 * its rate as a line to a pipe we read. @xen: run Xen's libxenvchan in both
 * domains instead of umx's vchan. */
static double pair_run(umx_conn *ts, const struct job *j, const struct xen_peer *xen)
{
	int ids[2], res[2];
	uint32_t cdom, sdom;
	pid_t cpid, spid;
	char line[64] = "";
	double rate = 0;
	ssize_t n;

	if (pipe2(ids, O_CLOEXEC) || pipe2(res, O_CLOEXEC))
		return 0;
	if ((cpid = bench_domain_fork(ts, NULL, &cdom)) == 0) {
		char path[96];
		umx_vchan *v;
		if (read(ids[0], &sdom, sizeof(sdom)) != sizeof(sdom) || dup2(res[1], 1) < 0)
			_exit(1);
		snprintf(path, sizeof(path), "/local/domain/%u/data/vchan/bench", sdom);
		if (xen)
			xen_peer_exec(xen, "client", sdom, path, j);
		if (umx_vchan_client_open(sdom, path, 10000, &v) < 0)
			_exit(1);
		rate = vchan_receiver(j, v);
		umx_vchan_close(v);
		printf("%.3f\n", rate);
		_exit(fflush(stdout) != 0);
	}
	if ((spid = bench_domain_fork(ts, NULL, &sdom)) == 0) {
		umx_vchan *v;
		if (xen)
			xen_peer_exec(xen, "server", cdom, "data/vchan/bench", j);
		if (umx_vchan_server_open(cdom, "data/vchan/bench", RING_MIN, RING_MIN, &v) < 0)
			_exit(1);
		vchan_sender(j, v);
		umx_vchan_close(v);
		_exit(0);
	}
	close(res[1]);
	if (write(ids[1], &sdom, sizeof(sdom)) == sizeof(sdom) &&
	    (n = read(res[0], line, sizeof(line) - 1)) > 0) {
		line[n] = 0;
		rate = atof(line);
	} else {
		fprintf(stderr, "%s measurement failed (no rate from the client)\n",
		        xen ? "libxenvchan" : "vchan");
	}
	waitpid(cpid, NULL, 0);
	waitpid(spid, NULL, 0);
	umx_domain_destroy(ts, cdom);
	umx_domain_destroy(ts, sdom);
	close(ids[0]);
	close(ids[1]);
	close(res[0]);
	return rate;
}

int main(void)
{
	struct xen_peer xp;
	int have_xen;
	struct bench_umxd bu;
	static const struct {
		const char *name;
		enum mode mode;
		size_t size;
		const char *unit;
	} rows[] = {
	        {"stream, 1 KiB writes", STREAM, 1024, "MiB/s"},
	        {"stream, 64 KiB writes", STREAM, 65536, "MiB/s"},
	        {"64 B packets", PACKET, 64, "packets/s"},
	        {"64 B ping-pong", PINGPONG, 64, "round trips/s"},
	};
	umx_conn *ts = NULL;
	int ok = 1;

	signal(SIGPIPE, SIG_IGN);
	memset(wbuf, 0xa5, sizeof(wbuf));
	if (bench_umxd_start(&bu) < 0)
		return 1;
	ts = bu.ts;
	have_xen = xen_peer_find(&xp) == 0;
	if (!have_xen)
		printf("note: %s not built (needs Debian's libxenvchan and libxen-dev): "
		       "no libxenvchan rows\n",
		       xp.bin);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct job j = {rows[i].mode, rows[i].size, bench_seconds()};
		const char *only = getenv("BENCH_ROWS");
		if (only && *only && !strstr(rows[i].name, only))
			continue; /* e.g. BENCH_ROWS=packets: one row, for profiling */
		double scale = rows[i].mode == STREAM ? 1.0 / 1048576.0 : 1.0;
		double sp = baseline(&j, false) * scale;
		double pp = baseline(&j, true) * scale;
		double vc = pair_run(ts, &j, NULL) * scale;
		char name[96];

		snprintf(name, sizeof(name), "vchan %s (%s)", rows[i].name, rows[i].unit);
		bench_report(name, vc, "AF_UNIX socketpair", sp);
		bench_report(name, vc, "pipe", pp);
		/* Issue 20's targets against the socketpair. */
		if (rows[i].size == 65536 || rows[i].mode == PINGPONG) {
			snprintf(name, sizeof(name), "vchan %s / socketpair", rows[i].name);
			bench_target(name, sp > 0 ? vc / sp : 0,
			             rows[i].mode == PINGPONG ? 1.0 : 3.0);
		}
		if (rows[i].mode == PINGPONG && vc > 0)
			printf("  round trip: vchan %.1f us, socketpair %.1f us, pipe %.1f us\n",
			       1e6 / vc, sp > 0 ? 1e6 / sp : 0, pp > 0 ? 1e6 / pp : 0);
		ok &= vc > 0;
		if (have_xen) {
			double xv = pair_run(ts, &j, &xp) * scale;
			snprintf(name, sizeof(name), "vchan %s, umx vs libxenvchan (%s)",
			         rows[i].name, rows[i].unit);
			bench_report(name, vc, "Xen's libxenvchan on umx (drop-ins)", xv);
			if (rows[i].mode == PACKET) {
				snprintf(name, sizeof(name), "vchan %s / libxenvchan",
				         rows[i].name);
				bench_target(name, xv > 0 ? vc / xv : 0, 1.0);
			}
			ok &= xv > 0;
		}
	}
	/* What `umx trace` costs: the ping-pong not traced and traced (its
	 * default categories, drained as fast as it comes), same run. */
	if (!getenv("BENCH_ROWS") || !*getenv("BENCH_ROWS") ||
	    strstr("traced", getenv("BENCH_ROWS"))) {
		struct job j = {PINGPONG, 64, bench_seconds()};
		double off = 0, on = 0;
		pid_t tr = 0;

		/* Alternated three times, best of each: a busy machine's noise
		 * is larger than the difference. */
		for (int k = 0; k < 3 && tr >= 0; k++) {
			double r = pair_run(ts, &j, NULL);
			off = r > off ? r : off;
			tr = bench_trace_start(ts, 0);
			r = pair_run(ts, &j, NULL);
			bench_trace_stop(tr);
			on = r > on ? r : on;
		}
		bench_report("vchan 64 B ping-pong, traced (round trips/s)", on, "not traced", off);
		if (off > 0 && tr > 0)
			bench_target("vchan ping-pong: traced / not traced", on / off, 0.9);
		ok &= on > 0;
	}
	bench_umxd_stop(&bu);
	return ok ? 0 : 1;
}
