/* SPDX-License-Identifier: MIT */
/*
 * Test harness: cmocka, plus a private umxd per test and domains that run a
 * function in a forked child. Every test cleans up what it starts: the
 * daemon is stopped, its directory removed, children reaped.
 */
#ifndef UMX_TEST_H
#define UMX_TEST_H
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include "umx/conn.h"
#include "umx/domain.h"

struct umx_test_daemon {
	char dir[96];
	pid_t pid;
	umx_conn *ts; /* toolstack connection */
};

/*
 * Checks in a child process (a forked domain, a thread in one), where
 * cmocka cannot fail the test: on failure they print file, line, the
 * expression and what it returned, then exit the process with 1, so the
 * harness's "1 != 0" comes with the reason above it. Each evaluates its
 * argument once.
 *
 *   CHILD_CHECK(expr)     expr must be true (errno is printed if set);
 *   CHILD_CHECK_OK(call)  call follows the 0-or-count / -errno rule and
 *                         must not return a negative errno;
 *   CHILD_FAIL(why)       unconditional failure with a reason.
 */
#define CHILD_CHECK(expr)                                                              \
	do {                                                                           \
		if (!(expr))                                                           \
			umx_test_child_fail(__FILE__, __LINE__, "CHILD_CHECK", #expr); \
	} while (0)
#define CHILD_CHECK_OK(call)                                                          \
	do {                                                                          \
		long long umx_ck_r_ = (long long)(call);                              \
		if (umx_ck_r_ < 0)                                                    \
			umx_test_child_fail_rc(__FILE__, __LINE__, #call, umx_ck_r_); \
	} while (0)
#define CHILD_FAIL(why) umx_test_child_fail(__FILE__, __LINE__, "CHILD_FAIL", why)
_Noreturn void umx_test_child_fail(const char *file, int line, const char *what, const char *expr);
_Noreturn void umx_test_child_fail_rc(const char *file, int line, const char *call, long long rc);

/* Start $UMXD -f in a fresh temporary directory and connect as toolstack;
 * sets UMX_DIR for children. Returns 0 or -errno. */
int umx_test_daemon_start(struct umx_test_daemon *d);
/* SIGTERM, reap (failing the test if umxd crashed), remove the directory.
 * Returns umxd's exit status (0 on a clean shutdown). */
int umx_test_daemon_stop(struct umx_test_daemon *d);

/* Create a domain and run fn(arg) in a forked child as that domain (with
 * $UMX_DOMAIN_FD set); the child exits with fn's return value, or with 1
 * if fn returned 0 but a vchan of the child counted a lost wake-up
 * (umx_vchan_stats_get) and umx_test_lost_wakeups_ok is false. */
int umx_test_domain_fork(struct umx_test_daemon *d, const char *name, int (*fn)(void *arg),
                         void *arg, uint32_t *domid, pid_t *pid);
/* Set by tests whose peer withholds events on purpose (a lying vchan
 * peer), before forking: then a recheck that finds progress is expected. */
extern bool umx_test_lost_wakeups_ok;

/* A domain body that connects and then waits to be killed: a live
 * bystander or victim (a failed connect fails the child). */
int umx_test_domain_idle(void *arg);
/* The usual two-domain test: start umxd, fork @first as a domain, store its
 * domid in *@first_domid (inside @arg, so the second can name its peer),
 * fork @second, reap both, stop umxd. Fails the cmocka test unless each
 * exits with its expected code (128+signal for a signal). */
void umx_test_two_domains(const char *first_name, int (*first)(void *arg), int first_rc,
                          const char *second_name, int (*second)(void *arg), int second_rc,
                          void *arg, uint32_t *first_domid);
/* Reap a child started above and report its status to umxd; returns the
 * child's exit code, or 128+signal. */
int umx_test_domain_reap(struct umx_test_daemon *d, uint32_t domid, pid_t pid);
/* Reap the @n domains started above in whatever order they end; as soon
 * as one ends other than with @want[i], SIGKILL the rest, so one failed
 * CHILD_CHECK ends the test at once instead of leaving its peer blocked
 * until ctest's timeout. Fails the cmocka test unless every domain ended
 * as wanted (the first one that did not is named). */
void umx_test_domains_reap(struct umx_test_daemon *d, unsigned n, const uint32_t *domid,
                           const pid_t *pid, const int *want);

/* Poll (up to 5 s) until umxd lists no domain; returns the last count.
 * Deaths are seen asynchronously (a closed connection), so tests that
 * just reaped a child wait here before checking umxd's state. */
int umx_test_wait_no_domains(struct umx_test_daemon *d);
/* Exchange one 32-bit value over a pipe (domids, ports, refs between test
 * domains). put returns 0 or -1; get returns the value or 0xffffffff. */
int umx_test_put_u32(int fd, uint32_t v);
uint32_t umx_test_get_u32(int fd);
struct umx_evtchn;
/* The next pending port of @h (left masked), waiting up to 5 s;
 * -ETIMEDOUT if none came. */
int umx_test_evtchn_wait(struct umx_evtchn *h);

/* Number of open descriptors of process @pid (for leak checks), or -errno. */
int umx_test_count_fds(pid_t pid);
/* Poll (up to 5 s) until @pid has @expect descriptors open, since umxd
 * handles a peer's disconnect asynchronously; returns the last count. */
int umx_test_wait_fds(pid_t pid, int expect);
/* Resident set size of @pid in KiB, or -errno. */
long umx_test_rss_kib(pid_t pid);

#endif
