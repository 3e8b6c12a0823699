/* SPDX-License-Identifier: MIT */
/* Test harness helpers: a private umxd, forked domains, leak probes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/evtchn.h"
#include "umx/vchan.h"

bool umx_test_lost_wakeups_ok;

_Noreturn void umx_test_child_fail(const char *file, int line, const char *what, const char *expr)
{
	int e = errno;

	if (e)
		fprintf(stderr, "%s:%d: %s(%s) failed (errno %d: %s)\n", file, line, what, expr, e,
		        strerror(e));
	else
		fprintf(stderr, "%s:%d: %s(%s) failed\n", file, line, what, expr);
	/* _exit: the child must not run the parent's atexit handlers or
	 * flush stdio buffers it inherited. */
	_exit(1);
}

_Noreturn void umx_test_child_fail_rc(const char *file, int line, const char *call, long long rc)
{
	if (rc >= -4095)
		fprintf(stderr, "%s:%d: CHILD_CHECK_OK(%s) failed: %lld (%s)\n", file, line, call,
		        rc, strerror((int)-rc));
	else
		fprintf(stderr, "%s:%d: CHILD_CHECK_OK(%s) failed: %lld\n", file, line, call, rc);
	_exit(1);
}

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			rm_rf(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int umx_test_daemon_start(struct umx_test_daemon *d)
{
	const char *umxd = getenv("UMXD");
	int r = -ETIMEDOUT;

	memset(d, 0, sizeof(*d));
	if (!umxd) {
		fprintf(stderr, "UMXD is not set (run through ctest)\n");
		return -ENOENT;
	}
	snprintf(d->dir, sizeof(d->dir), "/tmp/umx-test-XXXXXX");
	if (!mkdtemp(d->dir))
		return -errno;
	setenv("UMX_DIR", d->dir, 1);
	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0) {
		/* A failed assertion must not leave a daemon behind. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(umxd, "umxd", "-f", "-d", d->dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		r = umx_conn_open_toolstack(d->dir, &d->ts);
		if (r == 0)
			return 0;
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			d->pid = 0;
			return -ECHILD;
		}
		nanosleep(&ts, NULL);
	}
	return r;
}

int umx_test_daemon_stop(struct umx_test_daemon *d)
{
	int status = 0, ret = 0;

	if (d->ts) {
		umx_conn_close(d->ts);
		d->ts = NULL;
	}
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		if (waitpid(d->pid, &status, 0) == d->pid) {
			if (WIFSIGNALED(status)) {
				fprintf(stderr, "umxd died by signal %d\n", WTERMSIG(status));
				ret = 128 + WTERMSIG(status);
			} else {
				ret = WEXITSTATUS(status);
			}
		}
		d->pid = 0;
	}
	rm_rf(d->dir);
	return ret;
}

/* A domain child's life: fn, then the check that no vchan wake-up was lost
 * (a lost one only slows a blocking call down, so without this check it
 * would pass unnoticed). */
static int domain_body(int (*fn)(void *arg), void *arg)
{
	struct umx_vchan_stats st;
	int rc = fn(arg);

	umx_vchan_stats_get(&st);
	if (rc == 0 && st.lost_wakeups && !umx_test_lost_wakeups_ok) {
		fprintf(stderr,
		        "domain pid %d: %llu of %llu vchan rechecks found progress no event "
		        "announced (lost wake-ups)\n",
		        (int)getpid(), (unsigned long long)st.lost_wakeups,
		        (unsigned long long)st.rechecks);
		return 1;
	}
	return rc;
}

int umx_test_domain_fork(struct umx_test_daemon *d, const char *name, int (*fn)(void *arg),
                         void *arg, uint32_t *domid, pid_t *pid)
{
	int fd, r;
	pid_t child;

	r = umx_domain_create(d->ts, name, 0, domid, &fd);
	if (r < 0)
		return r;
	child = fork();
	if (child < 0) {
		close(fd);
		return -errno;
	}
	if (child == 0) {
		char buf[16];
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(buf, sizeof(buf), "%d", fd);
		setenv("UMX_DOMAIN_FD", buf, 1);
		_exit(domain_body(fn, arg));
	}
	close(fd);
	*pid = child;
	return umx_domain_set_pid(d->ts, *domid, child);
}

int umx_test_domain_idle(void *arg)
{
	umx_conn *c;

	(void)arg;
	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	for (;;)
		pause();
}

void umx_test_two_domains(const char *first_name, int (*first)(void *arg), int first_rc,
                          const char *second_name, int (*second)(void *arg), int second_rc,
                          void *arg, uint32_t *first_domid)
{
	struct umx_test_daemon d;
	uint32_t d1, d2;
	pid_t p1, p2;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, first_name, first, arg, &d1, &p1), 0);
	if (first_domid)
		*first_domid = d1;
	assert_int_equal(umx_test_domain_fork(&d, second_name, second, arg, &d2, &p2), 0);
	umx_test_domains_reap(&d, 2, (uint32_t[]){d1, d2}, (pid_t[]){p1, p2},
	                      (int[]){first_rc, second_rc});
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

static int exit_code(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

void umx_test_domains_reap(struct umx_test_daemon *d, unsigned n, const uint32_t *domid,
                           const pid_t *pid, const int *want)
{
	bool done[8] = {false};
	unsigned left = n;
	int bad = -1, bad_rc = 0, killed = 0;

	assert_true(n <= 8);
	while (left) {
		bool reaped = false;
		for (unsigned i = 0; i < n; i++) {
			int status;
			if (done[i] || waitpid(pid[i], &status, WNOHANG) != pid[i])
				continue;
			done[i] = reaped = true;
			left--;
			umx_domain_exited(d->ts, domid[i], status);
			if (bad < 0 && exit_code(status) != want[i]) {
				bad = (int)i;
				bad_rc = exit_code(status);
				for (unsigned k = 0; k < n; k++)
					if (!done[k])
						killed += kill(pid[k], SIGKILL) == 0;
			}
		}
		if (!reaped) {
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	if (bad >= 0) {
		fprintf(stderr, "domain %u ended with %d, not %d; %d other domain(s) killed\n",
		        domid[bad], bad_rc, want[bad], killed);
		assert_int_equal(bad_rc, want[bad]);
	}
}

int umx_test_domain_reap(struct umx_test_daemon *d, uint32_t domid, pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	umx_domain_exited(d->ts, domid, status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int umx_test_wait_no_domains(struct umx_test_daemon *d)
{
	struct umx_ctl_domain_info info[4];
	int n = umx_domain_list(d->ts, 0, info, 4);
	for (int i = 0; i < 500 && n != 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
		n = umx_domain_list(d->ts, 0, info, 4);
	}
	return n;
}

int umx_test_count_fds(pid_t pid)
{
	char path[64];
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (readdir(dir))
		n++;
	closedir(dir);
	return n - 2;
}

int umx_test_wait_fds(pid_t pid, int expect)
{
	int n = umx_test_count_fds(pid);
	for (int i = 0; i < 500 && n != expect; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
		n = umx_test_count_fds(pid);
	}
	return n;
}

long umx_test_rss_kib(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long kib = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

int umx_test_put_u32(int fd, uint32_t v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

uint32_t umx_test_get_u32(int fd)
{
	uint32_t v = 0;
	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0xffffffffu;
}

int umx_test_evtchn_wait(struct umx_evtchn *h)
{
	struct pollfd p = {.fd = umx_evtchn_fd(h), .events = POLLIN};
	for (int i = 0; i < 50; i++) {
		int port = umx_evtchn_pending(h);
		if (port != -EAGAIN)
			return port;
		poll(&p, 1, 100);
	}
	return -ETIMEDOUT;
}
