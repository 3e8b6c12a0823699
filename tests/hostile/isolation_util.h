/* SPDX-License-Identifier: MIT */
/*
 * Shared by tests/hostile/isolation_*: a private umxd and three domains
 * started the normal way (`umx run`, default sandbox), all running
 * tests/tools/umx_attacker:
 *  - a victim holding secrets: a pattern in its private heap, a page
 *    granted to the third domain, a read-only and a read-write page granted
 *    to the attacker, a store node only it may read, an event channel;
 *  - a third domain, the one the victim's grant is really for;
 *  - the attacker, running one attack with what the test and the victim
 *    tell it (pids as the host sees them, the heap address, refs, $UMX_DIR).
 * Afterwards the victim checks its secrets, the third domain maps its grant
 * again, umxd must still run, and the test must not have been signalled.
 *
 * Each domain talks over its stdin and stdout (pipes given to its umx run),
 * one line at a time; a domain whose stdin closes exits, and umx run gets
 * SIGTERM when the test dies, so a failed assertion leaves nothing behind.
 */
#ifndef ISOLATION_UTIL_H
#define ISOLATION_UTIL_H

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

#include "umx/domain.h"
#include "umx_test.h"

#define ISO_NO_SANDBOX 0x1u /* start every domain with --no-sandbox */
/* umxd's directory under /var/tmp, not /tmp: a domain's private /tmp would
 * hide one there anyway, so only this shows the sandbox hiding $UMX_DIR. */
#define ISO_DIR_OUTSIDE_TMP 0x2u
#define ISO_TIMEOUT_MS      60000

struct iso_dom {
	uint32_t domid;
	pid_t pid; /* its umx run */
	int in;    /* its stdin: we write */
	int out;   /* its stdout: we read */
};

struct iso {
	struct umx_test_daemon d;
	unsigned flags;
	struct iso_dom victim, third, attacker;
	char victim_info[512]; /* the victim's setup answer, KEY=VALUE words */
	pid_t victim_host_pid; /* the process holding the victim's heap */
};

static volatile sig_atomic_t iso_test_signals;

static inline void iso_on_signal(int sig)
{
	(void)sig;
	iso_test_signals++;
}

/* Start "umx run --name @name [--no-sandbox] -- umx_attacker @role" with
 * its stdin and stdout on pipes to us, exactly as a user starts a domain;
 * *@dm gets the domid (from --domid-file) and umx run's pid. */
static inline int iso_spawn(struct iso *t, struct iso_dom *dm, const char *name, const char *role)
{
	const char *umx = getenv("UMX"), *bin = getenv("UMX_ATTACKER");
	char file[160];
	int in[2], out[2], r = -ETIMEDOUT;
	FILE *f;

	dm->in = dm->out = -1;
	if (!umx || !bin)
		return -ENOENT;
	snprintf(file, sizeof(file), "%s/%s.domid", t->d.dir, name);
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	dm->pid = fork();
	if (dm->pid < 0)
		return -errno;
	if (dm->pid == 0) {
		/* umx run passes SIGTERM on to the domain: nothing outlives us. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(126);
		if (t->flags & ISO_NO_SANDBOX)
			execl(umx, "umx", "run", "--name", name, "--domid-file", file,
			      "--no-sandbox", "--", bin, role, (char *)NULL);
		else
			execl(umx, "umx", "run", "--name", name, "--domid-file", file, "--", bin,
			      role, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	dm->in = in[1];
	dm->out = out[0];
	for (int i = 0; i < ISO_TIMEOUT_MS / 10; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		unsigned id;
		if ((f = fopen(file, "re"))) {
			r = fscanf(f, "%u", &id) == 1 ? 0 : -EPROTO;
			fclose(f);
			dm->domid = id;
			break;
		}
		if (waitpid(dm->pid, NULL, WNOHANG) == dm->pid) {
			fprintf(stderr, "umx run --name %s exited before its domain ran\n", name);
			dm->pid = 0;
			return -ECHILD;
		}
		nanosleep(&ts, NULL);
	}
	return r;
}

static inline int iso_send(struct iso_dom *dm, const char *line)
{
	size_t n = strlen(line);
	if (write(dm->in, line, n) != (ssize_t)n || write(dm->in, "\n", 1) != 1)
		return -EPIPE;
	return 0;
}

/* One line from the domain (newline stripped); -ETIMEDOUT or -EPIPE. */
static inline int iso_recv(struct iso_dom *dm, char *buf, size_t len)
{
	struct pollfd p = {.fd = dm->out, .events = POLLIN};
	size_t n = 0;

	while (n + 1 < len) {
		char c;
		ssize_t r;
		if (poll(&p, 1, ISO_TIMEOUT_MS) != 1)
			return -ETIMEDOUT;
		r = read(dm->out, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPIPE;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = 0;
	return 0;
}

/* Ask and answer: one line each way. */
static inline int iso_ask(struct iso_dom *dm, const char *q, char *a, size_t len)
{
	int r = iso_send(dm, q);
	return r < 0 ? r : iso_recv(dm, a, len);
}

/* Wait for the domain's umx run (ISO_TIMEOUT_MS, then destroy the domain);
 * returns the domain's exit code or 128+signal, as umx run reports it. */
static inline int iso_reap(struct iso *t, struct iso_dom *dm)
{
	int st = 0;

	if (dm->in >= 0)
		close(dm->in);
	if (dm->out >= 0)
		close(dm->out);
	dm->in = dm->out = -1;
	if (dm->pid <= 0)
		return -ECHILD;
	for (int i = 0; i < ISO_TIMEOUT_MS / 10; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		pid_t r = waitpid(dm->pid, &st, WNOHANG);
		if (r == dm->pid)
			goto done;
		if (r < 0)
			return -errno;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "domain %u did not exit: destroyed\n", dm->domid);
	umx_domain_destroy(t->d.ts, dm->domid);
	if (waitpid(dm->pid, &st, 0) != dm->pid)
		return -errno;
done:
	dm->pid = 0;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* Is @pid running "umx_attacker @role" (argv[0]'s last part, argv[1])? A
 * sandbox's init is a clone of umx run and keeps umx run's command line. */
static inline int iso_runs(pid_t pid, const char *role)
{
	char path[64], buf[512], *arg1, *base;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	arg1 = buf + strlen(buf) + 1;
	if (arg1 >= buf + n)
		return 0;
	base = strrchr(buf, '/');
	return !strcmp(base ? base + 1 : buf, "umx_attacker") && !strcmp(arg1, role);
}

/* The process running "umx_attacker @role" at or below @pid (umx run, then
 * the sandbox's init, then the program). */
static inline pid_t iso_host_pid(pid_t pid, const char *role, int depth)
{
	char path[96], buf[512];
	FILE *f;
	pid_t found = 0;

	if (iso_runs(pid, role))
		return pid;
	if (depth > 4)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	if (fgets(buf, sizeof(buf), f))
		for (char *w = strtok(buf, " \n"); w && !found; w = strtok(NULL, " \n"))
			found = iso_host_pid((pid_t)atoi(w), role, depth + 1);
	fclose(f);
	return found;
}

/* umx_test_daemon_start(), in a directory under /var/tmp. */
static inline int iso_daemon_start_outside_tmp(struct umx_test_daemon *d)
{
	const char *umxd = getenv("UMXD");

	memset(d, 0, sizeof(*d));
	if (!umxd)
		return -ENOENT;
	snprintf(d->dir, sizeof(d->dir), "/var/tmp/umx-isolation-XXXXXX");
	if (!mkdtemp(d->dir))
		return -errno;
	setenv("UMX_DIR", d->dir, 1);
	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(umxd, "umxd", "-f", "-d", d->dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < ISO_TIMEOUT_MS / 10; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		if (umx_conn_open_toolstack(d->dir, &d->ts) == 0)
			return 0;
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			d->pid = 0;
			return -ECHILD;
		}
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/* Start umxd, the third domain, the attacker (@attack, which waits for its
 * parameters) and the victim, and set the victim up. */
static inline void iso_begin(struct iso *t, const char *attack, unsigned flags)
{
	char q[64], a[512];

	memset(t, 0, sizeof(*t));
	t->flags = flags;
	t->victim.in = t->victim.out = t->third.in = t->third.out = -1;
	t->attacker.in = t->attacker.out = -1;
	iso_test_signals = 0;
	signal(SIGUSR1, iso_on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (flags & ISO_DIR_OUTSIDE_TMP)
		assert_int_equal(iso_daemon_start_outside_tmp(&t->d), 0);
	else
		assert_int_equal(umx_test_daemon_start(&t->d), 0);
	assert_int_equal(iso_spawn(t, &t->third, "third", "peer"), 0);
	assert_int_equal(iso_spawn(t, &t->attacker, "attacker", attack), 0);
	assert_int_equal(iso_spawn(t, &t->victim, "victim", "victim"), 0);
	snprintf(q, sizeof(q), "setup %u %u", t->attacker.domid, t->third.domid);
	assert_int_equal(iso_ask(&t->victim, q, a, sizeof(a)), 0);
	if (strncmp(a, "ok ", 3)) {
		fprintf(stderr, "victim: %s\n", a);
		fail();
	}
	snprintf(t->victim_info, sizeof(t->victim_info), "%s", a + 3);
	t->victim_host_pid = iso_host_pid(t->victim.pid, "victim", 0);
	assert_true(t->victim_host_pid > 0);
}

/* Hand the attacker its parameters (the victim's answer, the pids as the
 * host sees them, $UMX_DIR, and @extra), let it run; returns its exit
 * status (0: every attempt refused the expected way, 1: a breach). */
static inline int iso_attack(struct iso *t, const char *extra)
{
	char p[4000]; /* the attacker reads up to 4095 bytes */
	int n = snprintf(p, sizeof(p),
	                 "%s victim_pid=%d umxd_pid=%d test_pid=%d umx_dir=%s third=%u %s",
	                 t->victim_info, (int)t->victim_host_pid, (int)t->d.pid, (int)getpid(),
	                 t->d.dir, t->third.domid, extra ? extra : "");

	assert_true(n > 0 && (size_t)n < sizeof(p));
	assert_int_equal(iso_send(&t->attacker, p), 0);
	return iso_reap(t, &t->attacker);
}

/* The victim's own verdict on its secrets: "intact" or "changed WHAT...". */
static inline void iso_victim_check(struct iso *t, char *a, size_t len)
{
	assert_int_equal(iso_ask(&t->victim, "check", a, len), 0);
	fprintf(stderr, "victim: %s\n", a);
}

/* umxd still runs, the third domain still maps its grant, the test was
 * not signalled; then everything stops cleanly. */
static inline void iso_end(struct iso *t)
{
	char q[64], a[512];
	const char *ref = strstr(t->victim_info, "ref_third=");

	assert_int_equal(waitpid(t->d.pid, NULL, WNOHANG), 0);
	assert_non_null(ref);
	snprintf(q, sizeof(q), "map %u %lu", t->victim.domid, strtoul(ref + 10, NULL, 10));
	assert_int_equal(iso_ask(&t->third, q, a, sizeof(a)), 0);
	if (strncmp(a, "ok GRANTED-TO-THIRD-ONLY.", 25)) {
		fprintf(stderr, "third domain mapping the victim's grant: %s\n", a);
		fail();
	}
	assert_int_equal(iso_send(&t->victim, "exit"), 0);
	assert_int_equal(iso_send(&t->third, "exit"), 0);
	assert_int_equal(iso_reap(t, &t->victim), 0);
	assert_int_equal(iso_reap(t, &t->third), 0);
	assert_int_equal(iso_test_signals, 0);
	assert_int_equal(umx_test_daemon_stop(&t->d), 0);
}

/* The whole scenario for an attack that must be refused throughout. */
static inline void iso_attack_refused(const char *attack, const char *extra, unsigned flags)
{
	struct iso t;
	char a[512];

	iso_begin(&t, attack, flags);
	assert_int_equal(iso_attack(&t, extra), 0);
	iso_victim_check(&t, a, sizeof(a));
	assert_string_equal(a, "intact");
	iso_end(&t);
}

#endif
