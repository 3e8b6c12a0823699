/* SPDX-License-Identifier: MIT */
/* Fixture of the domid reuse tests: umxd hands out domids 1 and 2 only
 * (UMXD_MAX_DOMID=2), a "keeper" domain holds domid 1 throughout, an "old"
 * domain gets domid 2 and ends, and a "new" domain then gets domid 2 again.
 * Each child talks to the parent over its own pair of pipes. */
#ifndef DOMID_REUSE_UTIL_H
#define DOMID_REUSE_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "umx/domain.h"
#include "umx_test.h"

struct reuse {
	struct umx_test_daemon d;
	uint32_t keeper, old, new_;
	pid_t pk, po, pn;
	int to_k[2], from_k[2]; /* parent <-> keeper */
	int to_x[2], from_x[2]; /* parent <-> old, then new */
};

/* A child's failure: tell the parent (so it stops waiting) and exit @code. */
static inline int reuse_fail(int fd, int code)
{
	umx_test_put_u32(fd, 0xfa11u << 8 | (uint32_t)code);
	return code;
}

/* Is @domid still listed by umxd (any state)? */
static inline bool reuse_listed(struct reuse *r, uint32_t domid)
{
	struct umx_ctl_domain_info info[1];
	return umx_domain_list(r->d.ts, domid, info, 1) == 1 && info[0].domid == domid;
}

/* Start umxd with domids 1..2, then the keeper (domid 1) and the old
 * domain (domid 2). */
static inline void reuse_start(struct reuse *r, int (*keeper)(void *), int (*old)(void *))
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe(r->to_k), 0);
	assert_int_equal(pipe(r->from_k), 0);
	assert_int_equal(pipe(r->to_x), 0);
	assert_int_equal(pipe(r->from_x), 0);
	setenv("UMXD_MAX_DOMID", "2", 1);
	assert_int_equal(umx_test_daemon_start(&r->d), 0);
	unsetenv("UMXD_MAX_DOMID");
	assert_int_equal(umx_test_domain_fork(&r->d, "keeper", keeper, r, &r->keeper, &r->pk), 0);
	assert_int_equal(umx_test_domain_fork(&r->d, "old", old, r, &r->old, &r->po), 0);
	assert_int_equal(r->keeper, 1);
	assert_int_equal(r->old, 2);
}

/* The old domain has exited (with 0): reap it and wait until umxd has let
 * go of its record (its death is seen asynchronously; poll, bounded). */
static inline void reuse_old_gone(struct reuse *r)
{
	assert_int_equal(umx_test_domain_reap(&r->d, r->old, r->po), 0);
	for (int i = 0; i < 500 && reuse_listed(r, r->old); i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	assert_false(reuse_listed(r, r->old));
}

/* Start @new, which must get the old domain's domid back. */
static inline void reuse_new(struct reuse *r, int (*new_)(void *))
{
	assert_int_equal(umx_test_domain_fork(&r->d, "new", new_, r, &r->new_, &r->pn), 0);
	/* Without a way to make domids come back, nothing here is tested. */
	assert_int_equal(r->new_, r->old);
}

static inline void reuse_cycle(struct reuse *r, int (*new_)(void *))
{
	reuse_old_gone(r);
	reuse_new(r, new_);
}

/* Reap the new domain and the keeper (each must exit 0), stop umxd. */
static inline void reuse_finish(struct reuse *r)
{
	assert_int_equal(umx_test_domain_reap(&r->d, r->new_, r->pn), 0);
	assert_int_equal(umx_test_domain_reap(&r->d, r->keeper, r->pk), 0);
	assert_int_equal(umx_test_daemon_stop(&r->d), 0);
	for (int i = 0; i < 2; i++) {
		close(r->to_k[i]);
		close(r->from_k[i]);
		close(r->to_x[i]);
		close(r->from_x[i]);
	}
}

#endif
