/* SPDX-License-Identifier: MIT */
/* Shared timing helpers for the benchmarks. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/domain.h"
#include "umx/trace.h"
#include "umxd.h"

double bench_seconds(void)
{
	const char *s = getenv("BENCH_SECONDS");
	double v = s ? atof(s) : 1.0;
	return v > 0 ? v : 1.0;
}

void bench_report(const char *name, double ops, const char *base_name, double base_ops)
{
	/* A name that ends in its unit, "(MiB/s)", says what the figures are. */
	size_t n = strlen(name);
	const char *unit = n > 3 && !strcmp(name + n - 3, "/s)") ? "" : " ops/s";

	if (base_name && base_ops > 0)
		printf("%-40s %14.0f%s   %-28s %14.0f%s   ratio %.2fx\n", name, ops, unit,
		       base_name, base_ops, unit, ops / base_ops);
	else
		printf("%-40s %14.0f%s\n", name, ops, unit);
	fflush(stdout);
}

void bench_target(const char *row, double ratio, double target)
{
	const char *path = getenv("BENCH_SUMMARY");
	int ceiling = target < 0;
	double t = ceiling ? -target : target;
	int met = ceiling ? ratio <= t : ratio >= t;
	FILE *f;

	printf("%-40s ratio %.2fx   target %s %.2fx   %s\n", row, ratio, ceiling ? "<=" : ">=", t,
	       met ? "met" : "NOT met");
	fflush(stdout);
	if (!path || !*path)
		return;
	/* Appends of one short line are atomic enough for benches run in
	 * sequence; a failure only loses the summary row, never the figure. */
	f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, "%s\t%.3f\t%s%.2f\t%s\n", row, ratio, ceiling ? "<=" : ">=", t,
	        met ? "met" : "NOT met");
	fclose(f);
}

/* The drainer stops when its end of this pipe sees the parent's closed. */
static int trace_stop_fd = -1;

pid_t bench_trace_start(umx_conn *ts, uint32_t mask)
{
	static struct umx_trace_reader rd;
	/* By default what `umx trace` asks for (frames are capture's). */
	struct umx_trace_filter f = {.mask = mask ? mask : UMX_TRACE_ALL & ~UMX_TRACE_FRAMES};
	int stop[2];
	pid_t pid;

	if (pipe(stop) < 0)
		return -1;
	if (umx_trace_open(ts, &f, &rd.fd) < 0) {
		close(stop[0]);
		close(stop[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		const struct umx_trace_rec *rec;
		unsigned long long n = 0, lost = 0;
		struct pollfd p = {.fd = stop[0], .events = POLLIN};
		int r;

		close(stop[1]);
		for (;;) {
			r = umx_trace_next(&rd, 100, &rec);
			if (r == -ETIMEDOUT && poll(&p, 1, 0) == 0)
				continue;
			if (r <= 0)
				break;
			if (rec->type == UMX_TR_LOST)
				lost += rec->a;
			else
				n++;
		}
		printf("  trace: %llu records read, %llu dropped by umxd\n", n, lost);
		fflush(stdout);
		_exit(0);
	}
	close(stop[0]);
	close(rd.fd); /* the child's copy keeps the trace open */
	if (pid < 0) {
		close(stop[1]);
		return -1;
	}
	trace_stop_fd = stop[1];
	return pid;
}

void bench_trace_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	/* The drainer reads what is left, then sees the pipe's end. */
	close(trace_stop_fd);
	trace_stop_fd = -1;
	waitpid(pid, NULL, 0);
}

int bench_umxd_start(struct bench_umxd *b)
{
	memset(b, 0, sizeof(*b));
	strcpy(b->dir, "/tmp/umx-bench-XXXXXX");
	if (!mkdtemp(b->dir))
		return -1;
	b->pid = fork();
	if (b->pid < 0)
		return -1;
	if (b->pid == 0) {
		struct umxd_options opt = {.dir = b->dir};
		struct umxd *u;
		int r;
		if (umxd_new(&opt, &u) < 0)
			_exit(1);
		r = umxd_run(u);
		umxd_free(u);
		_exit(r < 0);
	}
	for (int i = 0; i < 500 && umx_conn_open_toolstack(b->dir, &b->ts) < 0; i++)
		usleep(10000);
	return b->ts ? 0 : -1;
}

void bench_umxd_stop(struct bench_umxd *b)
{
	if (b->ts)
		umx_conn_close(b->ts);
	b->ts = NULL;
	if (b->pid > 0) {
		kill(b->pid, SIGTERM);
		waitpid(b->pid, NULL, 0);
	}
	b->pid = 0;
	rmdir(b->dir);
}

pid_t bench_domain_fork(umx_conn *ts, const char *name, uint32_t *domid)
{
	int fd;
	pid_t pid;

	if (umx_domain_create(ts, name, 0, domid, &fd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%d", fd);
		setenv(UMX_DOMAIN_FD_ENV, buf, 1);
		return 0;
	}
	close(fd);
	if (pid > 0)
		umx_domain_set_pid(ts, *domid, pid);
	return pid;
}
