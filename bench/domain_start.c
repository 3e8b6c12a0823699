/* SPDX-License-Identifier: MIT */
/*
 * Domain start-to-ready: create a domain, fork its process, until the
 * process has said HELLO on its connection (it knows its domid) — beside a
 * bare fork + pipe handshake, which is what starting a helper process
 * costs without umx. Measured in the same run; the ratio is printed.
 *
 * Then the same through umx_domain_spawn (what `umx run` does: fork, exec a
 * program, HELLO), sandboxed beside --no-sandbox, interleaved so both see
 * the same machine; the difference is what the sandbox costs per domain.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/conn.h"
#include "umx/domain.h"
#include "umxd.h"

static double bare_fork(double secs)
{
	uint64_t t0 = umx_clock_ns(), end = t0 + (uint64_t)(secs * 1e9);
	unsigned long n = 0;
	while (umx_clock_ns() < end) {
		int p[2];
		char c;
		pid_t pid;
		if (pipe(p) < 0)
			return 0;
		pid = fork();
		if (pid == 0) {
			_exit(write(p[1], "r", 1) == 1 ? 0 : 1);
		}
		if (read(p[0], &c, 1) != 1)
			return 0;
		waitpid(pid, NULL, 0);
		close(p[0]);
		close(p[1]);
		n++;
	}
	return (double)n / ((double)(umx_clock_ns() - t0) / 1e9);
}

static double domain_start(umx_conn *ts, double secs)
{
	uint64_t t0 = umx_clock_ns(), end = t0 + (uint64_t)(secs * 1e9);
	unsigned long n = 0;
	while (umx_clock_ns() < end) {
		int p[2], fd;
		uint32_t domid;
		char c;
		pid_t pid;
		if (pipe(p) < 0 || umx_domain_create(ts, "bench", 0, &domid, &fd) < 0)
			return 0;
		pid = fork();
		if (pid == 0) {
			char buf[16];
			umx_conn *c2;
			snprintf(buf, sizeof(buf), "%d", fd);
			setenv(UMX_DOMAIN_FD_ENV, buf, 1);
			if (umx_conn_open_domain(&c2) < 0)
				_exit(1);
			_exit(write(p[1], "r", 1) == 1 ? 0 : 1);
		}
		close(fd);
		umx_domain_set_pid(ts, domid, pid);
		if (read(p[0], &c, 1) != 1)
			return 0;
		n++;
		{
			int st;
			waitpid(pid, &st, 0);
			umx_domain_exited(ts, domid, st);
		}
		close(p[0]);
		close(p[1]);
	}
	return (double)n / ((double)(umx_clock_ns() - t0) / 1e9);
}

/* The spawned program: this binary again, told to say HELLO and report. */
static int ready_child(const char *fd_arg)
{
	umx_conn *c;
	int fd = atoi(fd_arg);
	if (umx_conn_open_domain(&c) < 0)
		return 1;
	return write(fd, "r", 1) == 1 ? 0 : 1;
}

/* CPU time (user + system) of this process and its reaped children, in ns:
 * on a busy machine it moves far less than wall time does. */
static uint64_t cpu_ns(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return ((uint64_t)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
	                   kids.ru_stime.tv_sec) *
	        1000000000u) +
	       (uint64_t)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
	                  kids.ru_stime.tv_usec) *
	               1000u;
}

/* One spawn to ready, then its end; returns the start-to-ready time in ns
 * and adds the CPU time of the whole spawn (to its end) to *@cpu. */
static uint64_t spawn_once(umx_conn *ts, char *const argv[], int rfd, unsigned flags, uint64_t *cpu)
{
	struct umx_spawn_opts o = {.flags = flags};
	struct umx_domain_proc proc;
	uint64_t c0 = cpu_ns(), t0 = umx_clock_ns(), dt;
	char c;
	int st;

	if (umx_domain_spawn(ts, "bench", &o, argv, &proc) < 0) {
		fprintf(stderr, "spawn: %s\n", proc.why);
		return 0;
	}
	if (read(rfd, &c, 1) != 1)
		return 0;
	dt = umx_clock_ns() - t0;
	if (umx_domain_proc_wait(ts, &proc, &st) < 0 || st != 0)
		return 0;
	*cpu += cpu_ns() - c0;
	return dt ? dt : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of @n values (sorted in place). */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* *@v grown to @cap values; 0 or -1 (then *@v is unchanged). */
static int grow(double **v, size_t cap)
{
	double *nv = realloc(*v, cap * sizeof(**v));
	if (!nv)
		return -1;
	*v = nv;
	return 0;
}

/* Sandboxed and --no-sandbox spawns, alternately, so that both see the same
 * machine; per pair, what the sandbox added. On a loaded machine a few
 * spawns wait for a CPU for milliseconds: the median of the per-pair
 * differences says what the sandbox costs, the means what a run cost. */
static int sandbox_rows(umx_conn *ts, double secs)
{
	char exe[4096], fdbuf[16];
	char *argv[] = {exe, "--domain-ready", fdbuf, NULL};
	uint64_t sum_sb = 0, sum_plain = 0, cpu_sb = 0, cpu_plain = 0,
	         end = umx_clock_ns() + (uint64_t)(secs * 2e9);
	double *sb = NULL, *plain = NULL, *diff = NULL, *cdiff = NULL;
	size_t n = 0, cap = 0;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int p[2], r = 1;

	if (len <= 0 || pipe2(p, O_CLOEXEC) < 0)
		return 1;
	exe[len] = 0;
	/* The write end is the one descriptor the program inherits besides
	 * its connection. */
	fcntl(p[1], F_SETFD, 0);
	snprintf(fdbuf, sizeof(fdbuf), "%d", p[1]);
	while (umx_clock_ns() < end || n < 3) {
		uint64_t c0 = cpu_sb, c1 = cpu_plain;
		uint64_t a = spawn_once(ts, argv, p[0], 0, &cpu_sb);
		uint64_t b = spawn_once(ts, argv, p[0], UMX_SPAWN_NO_SANDBOX, &cpu_plain);
		if (!a || !b)
			goto out;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			if (grow(&sb, cap) < 0 || grow(&plain, cap) < 0 || grow(&diff, cap) < 0 ||
			    grow(&cdiff, cap) < 0)
				goto out;
		}
		sb[n] = (double)a / 1e3;
		plain[n] = (double)b / 1e3;
		diff[n] = sb[n] - plain[n];
		cdiff[n] = ((double)(cpu_sb - c0) - (double)(cpu_plain - c1)) / 1e3;
		sum_sb += a;
		sum_plain += b;
		n++;
	}
	bench_report("spawn start-to-ready, sandboxed", 1e9 * (double)n / (double)sum_sb,
	             "spawn --no-sandbox", 1e9 * (double)n / (double)sum_plain);
	printf("%-40s %14.1f us per domain (mean %.1f vs %.1f us, %zu pairs)\n",
	       "sandbox cost, mean", ((double)sum_sb - (double)sum_plain) / (double)n / 1e3,
	       (double)sum_sb / (double)n / 1e3, (double)sum_plain / (double)n / 1e3, n);
	printf("%-40s %14.1f us per domain (median %.1f vs %.1f us)\n",
	       "sandbox cost, median of pairs", median(diff, n), median(sb, n), median(plain, n));
	printf("%-40s %14.1f us per domain (mean %.1f vs %.1f us of CPU, launcher + domain; "
	       "median of pairs %.1f us)\n",
	       "sandbox cost in CPU time", ((double)cpu_sb - (double)cpu_plain) / (double)n / 1e3,
	       (double)cpu_sb / (double)n / 1e3, (double)cpu_plain / (double)n / 1e3,
	       median(cdiff, n));
	r = 0;
out:
	free(sb);
	free(plain);
	free(diff);
	free(cdiff);
	close(p[0]);
	close(p[1]);
	return r;
}

int main(int argc, char **argv)
{
	struct bench_umxd bu;
	double secs = bench_seconds(), base, rate;

	if (argc == 3 && !strcmp(argv[1], "--domain-ready"))
		return ready_child(argv[2]);
	if (bench_umxd_start(&bu) < 0)
		return 1;
	base = bare_fork(secs);
	rate = domain_start(bu.ts, secs);
	if (sandbox_rows(bu.ts, secs) != 0)
		rate = 0;
	bench_umxd_stop(&bu);
	bench_report("domain start-to-ready (create+fork+HELLO)", rate, "fork + pipe handshake",
	             base);
	printf("%-40s %14.1f us per domain\n", "domain start-to-ready latency",
	       rate > 0 ? 1e6 / rate : 0);
	return rate > 0 ? 0 : 1;
}
