/* SPDX-License-Identifier: MIT */
/* A tracer that does not read: umxd keeps at most its bounded buffer, the
 * traced domain's 4000 store writes all complete regardless (umxd never
 * waits for a tracer), and once the tracer reads it is told exactly how
 * many records it lost (delivered + lost == every record made). A domain
 * asking for a trace on its own connection gets -EPERM. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umx/internal/ctl.h"
#include "umx/trace.h"
#include "umx/xs.h"
#include "umx_test.h"

#define WRITES 4000

static int writer(void *arg)
{
	umx_conn *c;
	umx_xs *xs;
	struct umx_trace_filter f = {.mask = UMX_TRACE_ALL};
	int fd = -1;

	(void)arg;
	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	/* Only the toolstack may trace (the dispatch table). */
	CHILD_CHECK(umx_trace_open(c, &f, &fd) == -EPERM && fd == -1);
	CHILD_CHECK_OK(umx_xs_open(&xs));
	for (int i = 0; i < WRITES; i++) {
		char v[32];
		snprintf(v, sizeof(v), "value-%d", i);
		CHILD_CHECK_OK(umx_xs_write_str(xs, 0, "data/slow-reader", v));
	}
	umx_xs_close(xs);
	return 0;
}

static void slow_reader(void **state)
{
	static struct umx_trace_reader rd;
	struct umx_test_daemon d;
	struct umx_trace_filter f = {.mask = UMX_TRACE_ALL, .buf_size = UMX_TRACE_BUF_MIN};
	const struct umx_trace_rec *rec;
	uint64_t delivered = 0, lost = 0, last_seq = 0, nlost_recs = 0;
	uint32_t dom, dom2;
	pid_t pid, pid2;
	int r;

	(void)state;
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_trace_open(d.ts, &f, &rd.fd), 0);
	/* Nothing is read while the domain works: its writes must all
	 * complete with umxd's buffer for us full. */
	assert_int_equal(umx_test_domain_fork(&d, "writer", writer, NULL, &dom, &pid), 0);
	assert_int_equal(umx_test_domain_reap(&d, dom, pid), 0);
	assert_int_equal(umx_test_wait_no_domains(&d), 0);

	/* Drain; then one more record (a domain's creation) carries the count
	 * of what was dropped after the buffer filled. */
	while ((r = umx_trace_next(&rd, 200, &rec)) > 0) {
		if (rec->type == UMX_TR_LOST) {
			lost += rec->a;
			nlost_recs++;
		} else {
			delivered++;
		}
		assert_true(rec->seq > last_seq || rec->type == UMX_TR_LOST);
		last_seq = rec->seq > last_seq ? rec->seq : last_seq;
	}
	assert_int_equal(r, -ETIMEDOUT);
	assert_int_equal(umx_test_domain_fork(&d, "idle", umx_test_domain_idle, NULL, &dom2, &pid2),
	                 0);
	for (bool created = false; !created;) {
		assert_int_equal(umx_trace_next(&rd, 5000, &rec), 1);
		if (rec->type == UMX_TR_LOST) {
			lost += rec->a;
			nlost_recs++;
			continue;
		}
		delivered++;
		last_seq = rec->seq;
		created = rec->type == UMX_TR_DOM_CREATE && rec->domid == dom2;
	}
	kill(pid2, SIGKILL);
	umx_test_domain_reap(&d, dom2, pid2);
	printf("records: %llu delivered, %llu lost in %llu gaps, %llu made\n",
	       (unsigned long long)delivered, (unsigned long long)lost,
	       (unsigned long long)nlost_recs, (unsigned long long)last_seq);
	/* 4000 writes make 8000 store records: far more than 4 KiB of
	 * buffer and a socket buffer hold. */
	assert_true(lost > 0);
	assert_true(delivered < 2 * WRITES);
	assert_true(delivered + lost == last_seq);
	close(rd.fd);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(slow_reader)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
