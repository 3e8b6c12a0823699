/* SPDX-License-Identifier: MIT */
/*
 * Domain start-to-ready: create a domain, fork its process, until the
 * process has said HELLO on its connection (it knows its domid) — beside a
 * bare fork + pipe handshake, which is what starting a helper process
 * costs without umx. Measured in the same run; the ratio is printed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(void)
{
	struct bench_umxd bu;
	double secs = bench_seconds(), base, rate;

	if (bench_umxd_start(&bu) < 0)
		return 1;
	base = bare_fork(secs);
	rate = domain_start(bu.ts, secs);
	bench_umxd_stop(&bu);
	bench_report("domain start-to-ready (create+fork+HELLO)", rate, "fork + pipe handshake",
	             base);
	printf("%-40s %14.1f us per domain\n", "domain start-to-ready latency",
	       rate > 0 ? 1e6 / rate : 0);
	return rate > 0 ? 0 : 1;
}
