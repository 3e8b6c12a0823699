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
		_exit(fn(arg));
	}
	close(fd);
	*pid = child;
	return umx_domain_set_pid(d->ts, *domid, child);
}

int umx_test_domain_idle(void *arg)
{
	umx_conn *c;

	(void)arg;
	if (umx_conn_open_domain(&c) < 0)
		return 10;
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
	assert_int_equal(umx_test_domain_reap(&d, d2, p2), second_rc);
	assert_int_equal(umx_test_domain_reap(&d, d1, p1), first_rc);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
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
