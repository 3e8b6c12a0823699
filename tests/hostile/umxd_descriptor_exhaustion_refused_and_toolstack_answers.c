/* SPDX-License-Identifier: MIT */
/* umxd under a small descriptor limit: a domain making event-channel
 * buckets (a handle and a port each) until umxd is short of descriptors
 * gets -EMFILE, and while it holds them `umx list`
 * still answers and umxd does not spin; a toolstack process opening
 * connections without end holds at most its cap, idle ones that never say
 * HELLO are dropped, and a listener paused at the descriptor reserve costs
 * no CPU and takes clients again once they go. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umx/internal/clock.h"
#include "umx/internal/ctl.h"
#include "umx_test.h"

/* umxd's limit in this test: small, so exhaustion is quick. */
#define FD_LIMIT 512
/* The control socket's caps (daemon/umxd.h). */
#define PER_PID_CAP 64

/* CPU time (user + system) umxd has used, in clock ticks. */
static long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* After the command: state, then fields 4..13, then utime, stime. */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* umxd's CPU use over one second, as a fraction of one CPU. */
static double cpu_share(pid_t pid)
{
	long a = cpu_ticks(pid), b;
	struct timespec ts = {1, 0};

	nanosleep(&ts, NULL);
	b = cpu_ticks(pid);
	return a < 0 || b < 0 ? 1.0 : (double)(b - a) / (double)sysconf(_SC_CLK_TCK);
}

/* Run `umx list`: its exit status, and how long it took in *ms. */
static int umx_list(uint64_t *ms)
{
	const char *umx = getenv("UMX");
	uint64_t t0 = umx_clock_ms();
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, 1);
		execl(umx, "umx", "list", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	*ms = umx_clock_ms() - t0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int connect_ctl(const char *dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control", dir);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- a domain that makes umxd hold descriptors ------------------------- */

struct hog_sync {
	int to_hog[2], from_hog[2];
};

static int hog(void *arg)
{
	struct hog_sync *s = arg;
	umx_conn *c;
	unsigned ports = 0;
	int r;
	char ch = 0;

	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	for (;;) {
		struct umx_ctl_evt_open open_req = {0};
		struct umx_ctl_evt_alloc_unbound req = {.remote_domid = UMX_EVTCHN_DOMID_SELF};
		struct umx_ctl_evt_port_info info;
		int fds[4];
		unsigned nfds = 0;

		/* A port costs umxd no descriptor, a bucket two: a new handle
		 * per port makes a new bucket each time. */
		r = umx_conn_call(c, UMX_CTL_EVT_OPEN, &open_req, sizeof(open_req), &req.handle,
		                  sizeof(req.handle), NULL, fds, 1, &nfds);
		if (r < 0)
			break;
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		nfds = 0;
		r = umx_conn_call(c, UMX_CTL_EVT_ALLOC_UNBOUND, &req, sizeof(req), &info,
		                  sizeof(info), NULL, fds, 4, &nfds);
		if (r < 0)
			break;
		/* Keep nothing: umxd holds the bucket's descriptors all the same. */
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		ports++;
	}
	printf("hog: %u ports, then %s\n", ports, strerror(-r));
	/* Refused for want of descriptors, long before the handle cap. */
	CHILD_CHECK(r == -EMFILE);
	CHILD_CHECK(ports > 0 && ports < UMX_EVT_HANDLES_MAX);
	CHILD_CHECK(write(s->from_hog[1], &ch, 1) == 1);
	CHILD_CHECK(read(s->to_hog[0], &ch, 1) == 1); /* hold until told */
	umx_conn_close(c);
	return 0;
}

static void test_domain_descriptor_flood_refused_and_list_answers(void **state)
{
	struct umx_test_daemon d;
	struct hog_sync s;
	uint32_t domid;
	pid_t pid;
	uint64_t ms;
	double cpu;
	int base;
	char ch = 0;
	(void)state;

	assert_int_equal(pipe(s.to_hog), 0);
	assert_int_equal(pipe(s.from_hog), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	base = umx_test_count_fds(d.pid);
	assert_int_equal(umx_test_domain_fork(&d, "hog", hog, &s, &domid, &pid), 0);
	assert_int_equal(read(s.from_hog[0], &ch, 1), 1);
	/* Flood held: the toolstack gets its answer, and umxd is idle. */
	assert_int_equal(umx_list(&ms), 0);
	print_message("umx list while umxd holds %d descriptors (limit %d): %llu ms\n",
	              umx_test_count_fds(d.pid), FD_LIMIT, (unsigned long long)ms);
	cpu = cpu_share(d.pid);
	print_message("umxd CPU while the flood is held: %.0f%%\n", cpu * 100);
	assert_true(cpu < 0.3);
	assert_int_equal(write(s.to_hog[1], &ch, 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, domid, pid), 0);
	assert_int_equal(umx_test_wait_no_domains(&d), 0);
	assert_int_equal(umx_test_wait_fds(d.pid, base), base);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	for (int i = 0; i < 2; i++) {
		close(s.to_hog[i]);
		close(s.from_hog[i]);
	}
}

/* ---- toolstack connection floods ---------------------------------------- */

/* Open @n control connections and never say HELLO; report how many umxd
 * kept (not closed at once), then wait until every kept one is closed by
 * umxd and report how long that took. Exits 0 when all were dropped. */
static void flooder(const char *dir, int n, int report)
{
	int fds[256], kept = 0;
	uint64_t t0;

	for (int i = 0; i < n; i++)
		fds[i] = connect_ctl(dir);
	/* Past the cap umxd closes the surplus as soon as it accepts them. */
	for (int round = 0; round < 300; round++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		kept = 0;
		for (int i = 0; i < n; i++) {
			struct pollfd p = {fds[i], POLLIN, 0};
			if (fds[i] >= 0 && poll(&p, 1, 0) == 0)
				kept++;
		}
		if (kept <= PER_PID_CAP)
			break;
		nanosleep(&ts, NULL);
	}
	if (write(report, &kept, sizeof(kept)) != sizeof(kept))
		_exit(2);
	t0 = umx_clock_ms();
	/* Idle ones are dropped at the HELLO deadline (5 s, checked every
	 * second): wait for it, bounded well past that. */
	for (int i = 0; i < n; i++) {
		struct pollfd p = {fds[i], POLLIN, 0};
		if (fds[i] < 0)
			continue;
		if (poll(&p, 1, 30000) != 1)
			_exit(1);
		close(fds[i]);
	}
	kept = (int)(umx_clock_ms() - t0);
	if (write(report, &kept, sizeof(kept)) != sizeof(kept))
		_exit(2);
	_exit(0);
}

static void test_connection_flood_capped_idle_dropped(void **state)
{
	struct umx_test_daemon d;
	int rep[2], kept = -1, took = -1, status, base;
	uint64_t ms;
	pid_t pid;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	base = umx_test_count_fds(d.pid);
	assert_int_equal(pipe(rep), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		flooder(d.dir, 200, rep[1]);
	assert_int_equal(read(rep[0], &kept, sizeof(kept)), sizeof(kept));
	print_message("one process opened 200 connections, umxd kept %d\n", kept);
	assert_true(kept <= PER_PID_CAP);
	assert_true(umx_test_count_fds(d.pid) <= base + PER_PID_CAP);
	/* Another toolstack process is served meanwhile. */
	assert_int_equal(umx_list(&ms), 0);
	assert_int_equal(read(rep[0], &took, sizeof(took)), sizeof(took));
	print_message("idle connections without HELLO dropped after %d ms\n", took);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(umx_test_wait_fds(d.pid, base), base);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	close(rep[0]);
	close(rep[1]);
}

static void test_listener_paused_at_reserve_costs_no_cpu(void **state)
{
	struct umx_test_daemon d;
	pid_t pids[8];
	int rep[2], kept, total = 0, ok = 1, status;
	uint64_t ms = 0;
	double cpu;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(pipe(rep), 0);
	/* Eight processes at their cap would need more descriptors than
	 * umxd may use for the toolstack: the listener pauses. */
	for (int i = 0; i < 8; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			flooder(d.dir, PER_PID_CAP, rep[1]);
	}
	for (int i = 0; i < 8; i++) {
		assert_int_equal(read(rep[0], &kept, sizeof(kept)), sizeof(kept));
		total += kept;
	}
	print_message("8 processes kept %d connections, umxd holds %d descriptors (limit %d)\n",
	              total, umx_test_count_fds(d.pid), FD_LIMIT);
	assert_true(umx_test_count_fds(d.pid) <= FD_LIMIT);
	cpu = cpu_share(d.pid);
	print_message("umxd CPU with its listener paused: %.0f%%\n", cpu * 100);
	assert_true(cpu < 0.3);
	/* The idle ones go at the HELLO deadline; then clients are taken again. */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(read(rep[0], &kept, sizeof(kept)), sizeof(kept));
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	assert_true(ok);
	assert_int_equal(umx_list(&ms), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	close(rep[0]);
	close(rep[1]);
}

int main(void)
{
	struct rlimit rl = {FD_LIMIT, FD_LIMIT};

	if (!getenv("UMX")) {
		fprintf(stderr, "skip: UMX (the umx tool) is not set: run through ctest\n");
		return 77;
	}
	/* umxd (forked below) inherits it and cannot raise it. */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("setrlimit");
		return 1;
	}
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_domain_descriptor_flood_refused_and_list_answers),
	        cmocka_unit_test(test_connection_flood_capped_idle_dropped),
	        cmocka_unit_test(test_listener_paused_at_reserve_costs_no_cpu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
