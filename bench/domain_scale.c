/* SPDX-License-Identifier: MIT */
/*
 * Scale: N domains started (created, each saying HELLO on its connection),
 * listed (every page of DOMAIN_LIST) and destroyed, against a private umxd;
 * the time of each phase and umxd's memory (RSS) and descriptors before,
 * at the peak and after. A domain here is its connection (held by this
 * process), not a process: what umxd holds per domain is the same, and
 * 10 000 processes would measure the machine, not umxd. Past umxd's
 * descriptor limit creation is refused (-EMFILE); the row says how many
 * were started and why it stopped.
 *
 * Usage: bench_domain_scale [N...]   (default 500; scripts/scale.sh runs
 * 1000 5000 10000 and prints the table in docs/RELIABILITY.md)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/internal/ctl.h"
#include "umx/domain.h"
#include "umx/log.h"
#include "umx/internal/msg.h"

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Open descriptors of @pid. */
static int count_fds(pid_t pid)
{
	char path[64];
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;
}

/* The domain's HELLO on its own connection: it is running from then on. */
static int hello(int fd)
{
	static struct umx_msg m;
	struct umx_ctl_hello h = {.version = UMX_CTL_VERSION};
	int32_t result;
	int r;

	if ((r = umx_msg_send(fd, UMX_CTL_HELLO, 1, &h, sizeof(h), NULL, 0)) < 0)
		return r;
	if ((r = umx_msg_recv(fd, &m)) < 0)
		return r;
	umx_msg_close_fds(&m); /* its grant table: not needed here */
	memcpy(&result, m.payload, sizeof(result));
	return m.hdr.len >= sizeof(result) ? result : -EPROTO;
}

/* Every page of the domain list; the count. */
static int list_all(umx_conn *ts)
{
	static struct umx_ctl_domain_info info[UMX_CTL_LIST_MAX];
	uint32_t start = 0;
	int total = 0, n;

	while ((n = umx_domain_list(ts, start, info, UMX_CTL_LIST_MAX)) > 0) {
		total += n;
		start = info[n - 1].domid + 1;
	}
	return n < 0 ? n : total;
}

static int run(unsigned want)
{
	struct bench_umxd b;
	uint32_t *domid = calloc(want, sizeof(*domid));
	int *fd = calloc(want, sizeof(*fd));
	unsigned made = 0;
	int err = 0, listed, fds0, fds1, fds2;
	long rss0, rss1, rss2;
	uint64_t t0, t_create, t_list, t_first, t_destroy;

	/* One line per domain per phase would be the measurement. */
	umx_log_set_level(UMX_LOG_WARN);
	if (!domid || !fd || bench_umxd_start(&b) < 0) {
		fprintf(stderr, "cannot start umxd\n");
		return 1;
	}
	rss0 = rss_kib(b.pid);
	fds0 = count_fds(b.pid);
	t0 = umx_clock_ns();
	for (; made < want; made++) {
		char name[32]; /* unique among live domains */

		snprintf(name, sizeof(name), "scale-%u", made);
		if ((err = umx_domain_create(b.ts, name, 1, &domid[made], &fd[made])) < 0)
			break;
		if ((err = hello(fd[made])) < 0) {
			close(fd[made]);
			break;
		}
	}
	t_create = umx_clock_ns() - t0;
	rss1 = rss_kib(b.pid);
	fds1 = count_fds(b.pid);
	t0 = umx_clock_ns();
	{
		static struct umx_ctl_domain_info first[UMX_CTL_LIST_MAX];
		(void)umx_domain_list(b.ts, 0, first, UMX_CTL_LIST_MAX);
	}
	t_first = umx_clock_ns() - t0;
	t0 = umx_clock_ns();
	listed = list_all(b.ts);
	t_list = umx_clock_ns() - t0;
	t0 = umx_clock_ns();
	for (unsigned i = 0; i < made; i++) {
		(void)umx_domain_destroy(b.ts, domid[i]);
		close(fd[i]);
		/* As `umx run` would once its child is reaped: the record
		 * (kept for `umx wait`) goes. */
		(void)umx_domain_exited(b.ts, domid[i], 0);
	}
	for (int i = 0; i < 1000 && list_all(b.ts) > 0; i++)
		usleep(10000);
	t_destroy = umx_clock_ns() - t0;
	sleep(2); /* umxd trims its heap on its next tick after a burst */
	rss2 = rss_kib(b.pid);
	fds2 = count_fds(b.pid);
	printf("| %u | %u%s%s%s | %.2f s | %d in %.1f ms (first page %.1f ms) | %.2f s (%.0f us "
	       "each) | %.1f / %.1f / %.1f | %d / %d / %d |\n",
	       want, made, err ? " (then " : "", err ? strerror(-err) : "", err ? ")" : "",
	       (double)t_create / 1e9, listed, (double)t_list / 1e6, (double)t_first / 1e6,
	       (double)t_destroy / 1e9, made ? (double)t_destroy / 1e3 / made : 0.0, rss0 / 1024.0,
	       rss1 / 1024.0, rss2 / 1024.0, fds0, fds1, fds2);
	fflush(stdout);
	bench_umxd_stop(&b);
	free(domid);
	free(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl;

	/* umxd (forked below) inherits it: as umxd's own main() does, take
	 * what the hard limit allows. This process holds one end per domain. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		printf("descriptor limit (RLIMIT_NOFILE): %llu\n", (unsigned long long)rl.rlim_cur);
	}
	printf("| domains asked | started | start | list all | destroy all | umxd RSS MiB "
	       "before / peak / after | umxd fds before / peak / after |\n"
	       "|---|---|---|---|---|---|---|\n");
	if (argc < 2)
		return run(500);
	for (int i = 1; i < argc; i++)
		if (run((unsigned)strtoul(argv[i], NULL, 10)))
			return 1;
	return 0;
}
