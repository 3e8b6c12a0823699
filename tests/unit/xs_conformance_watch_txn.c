/* SPDX-License-Identifier: MIT */
/* XenStore conformance: watch firing and ordering, special watches, transactions (isolation,
 * commit, EAGAIN), toolstack requests. */
#include "umx_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xs_util.h"

static int setup(void **state)
{
	return xs_fx_setup(state, "five", "six", true);
}

#define CALL(f, c, type, tx, ...) xs_raw_call((f)->c, type, tx, __VA_ARGS__, &(f)->r)

/* Next message must be WATCH_EVENT(path, token). */
static void event(struct xs_fx *f, struct xs_conn *c, const char *path, const char *token)
{
	assert_true(xs_raw_recv(c, &f->r));
	assert_int_equal(f->r.h.type, XS_WATCH_EVENT);
	assert_int_equal(f->r.h.req_id, 0);
	assert_int_equal(f->r.h.tx_id, 0);
	assert_string_equal(f->r.body, path);
	assert_string_equal(f->r.body + strlen(path) + 1, token);
	assert_int_equal(f->r.h.len, strlen(path) + strlen(token) + 2);
}

static void none(struct xs_fx *f, struct xs_conn *c)
{
	assert_false(xs_raw_recv(c, &f->r));
}

static void watch_basics(void **state)
{
	struct xs_fx *f = *state;
	/* OK first, then the initial event, even for a missing node. */
	assert_int_equal(CALL(f, w0, XS_WATCH, 0, XS_A("/w\0tok")), XS_WATCH);
	event(f, f->w0, "/w", "tok");
	none(f, f->w0);
	/* node and subtree, in order of the changes */
	assert_int_equal(CALL(f, d0, XS_WRITE, 0, XS_V("/w\0a")), XS_WRITE);
	assert_int_equal(CALL(f, d0, XS_WRITE, 0, XS_V("/w/x/y\0b")), XS_WRITE);
	assert_int_equal(CALL(f, d0, XS_MKDIR, 0, XS_A("/w/z")), XS_MKDIR);
	assert_int_equal(CALL(f, d0, XS_SET_PERMS, 0, XS_A("/w/z\0n0")), XS_SET_PERMS);
	assert_int_equal(CALL(f, d0, XS_WRITE, 0, XS_V("/wother\0b")), XS_WRITE); /* not below /w */
	event(f, f->w0, "/w", "tok");
	event(f, f->w0, "/w/x/y", "tok");
	event(f, f->w0, "/w/z", "tok");
	event(f, f->w0, "/w/z", "tok");
	none(f, f->w0);
	/* rm fires for the removed node and each node below it */
	assert_int_equal(CALL(f, d0, XS_RM, 0, XS_A("/w/x")), XS_RM);
	event(f, f->w0, "/w/x", "tok");
	event(f, f->w0, "/w/x/y", "tok");
	none(f, f->w0);
	/* a second token on the same path: both fire, in registration order */
	assert_int_equal(CALL(f, w0, XS_WATCH, 0, XS_A("/w\0tok2")), XS_WATCH);
	event(f, f->w0, "/w", "tok2");
	xs_fx_is_err(f, CALL(f, w0, XS_WATCH, 0, XS_A("/w\0tok2")), "EEXIST");
	assert_int_equal(CALL(f, d0, XS_WRITE, 0, XS_V("/w\0c")), XS_WRITE);
	event(f, f->w0, "/w", "tok");
	event(f, f->w0, "/w", "tok2");
	/* unwatch */
	assert_int_equal(CALL(f, w0, XS_UNWATCH, 0, XS_A("/w\0tok")), XS_UNWATCH);
	xs_fx_is_err(f, CALL(f, w0, XS_UNWATCH, 0, XS_A("/w\0tok")), "ENOENT");
	assert_int_equal(CALL(f, d0, XS_WRITE, 0, XS_V("/w\0d")), XS_WRITE);
	event(f, f->w0, "/w", "tok2");
	none(f, f->w0);
	/* reset */
	assert_int_equal(CALL(f, w0, XS_RESET_WATCHES, 0, NULL, 0), XS_RESET_WATCHES);
	assert_int_equal(CALL(f, d0, XS_WRITE, 0, XS_V("/w\0e")), XS_WRITE);
	none(f, f->w0);
	/* a watch on / sees everything */
	assert_int_equal(CALL(f, w0, XS_WATCH, 0, XS_A("/\0all")), XS_WATCH);
	event(f, f->w0, "/", "all");
	assert_int_equal(CALL(f, d5, XS_WRITE, 0, XS_V("data/q\0e")), XS_WRITE);
	event(f, f->w0, "/local/domain/5/data/q", "all");
}

/* A request from a watcher whose own watch fires: as cxenstored, the
 * event is queued before the reply. */
static int call_ev(struct xs_fx *f, struct xs_conn *c, uint32_t type, const char *p, uint32_t len,
                   const char *path, const char *token)
{
	assert_true(xs_raw_send(c, type, 1, 0, p, len) > 0);
	event(f, c, path, token);
	assert_true(xs_raw_recv(c, &f->r));
	return (int)f->r.h.type;
}

static void watch_perms_and_relative(void **state)
{
	struct xs_fx *f = *state;
	/* domain 6 watches domain 5's data: registration is allowed (Xen), but
	 * no event for a node it may not read. */
	assert_int_equal(CALL(f, d6, XS_WATCH, 0, XS_A("/local/domain/5/data\0spy")), XS_WATCH);
	event(f, f->d6, "/local/domain/5/data", "spy");
	assert_int_equal(CALL(f, d5, XS_WATCH, 0, XS_A("data\0mine")), XS_WATCH);
	event(f, f->d5, "data", "mine"); /* relative as given */
	assert_int_equal(call_ev(f, f->d5, XS_WRITE, XS_V("data/secret\0s"), "data/secret", "mine"),
	                 XS_WRITE); /* reported relative */
	none(f, f->d6);
	/* once readable by 6, 6 gets the event, with the absolute path */
	assert_int_equal(
	        call_ev(f, f->d5, XS_SET_PERMS, XS_A("data/secret\0n5\0r6"), "data/secret", "mine"),
	        XS_SET_PERMS);
	event(f, f->d6, "/local/domain/5/data/secret", "spy");
	assert_int_equal(call_ev(f, f->d5, XS_WRITE, XS_V("data/secret\0t"), "data/secret", "mine"),
	                 XS_WRITE);
	event(f, f->d6, "/local/domain/5/data/secret", "spy");
	/* removal: filtered with the node's permissions before deletion */
	assert_int_equal(call_ev(f, f->d5, XS_RM, XS_A("data/secret"), "data/secret", "mine"),
	                 XS_RM);
	event(f, f->d6, "/local/domain/5/data/secret", "spy");
	none(f, f->d6);
}

static void special_watches(void **state)
{
	struct xs_fx *f = *state;
	assert_int_equal(CALL(f, w0, XS_WATCH, 0, XS_A("@introduceDomain\0in")), XS_WATCH);
	event(f, f->w0, "@introduceDomain", "in");
	assert_int_equal(CALL(f, w0, XS_WATCH, 0, XS_A("@releaseDomain\0out")), XS_WATCH);
	event(f, f->w0, "@releaseDomain", "out");
	/* an unprivileged watcher gets nothing unless the special node's
	 * permissions allow it */
	assert_int_equal(CALL(f, d5, XS_WATCH, 0, XS_A("@releaseDomain\0out5")), XS_WATCH);
	event(f, f->d5, "@releaseDomain", "out5");
	assert_int_equal(xs_store_domain_introduce(f->st, 7, "seven"), 0);
	/* the toolstack nodes are written before @introduceDomain fires */
	event(f, f->w0, "@introduceDomain", "in");
	none(f, f->w0);
	assert_int_equal(xs_store_domain_introduce(f->st, 7, "again"), -EEXIST);
	xs_store_domain_release(f->st, 7);
	event(f, f->w0, "@releaseDomain", "out");
	none(f, f->d5);
	assert_int_equal(CALL(f, d0, XS_SET_PERMS, 0, XS_A("@releaseDomain\0n0\0r5")),
	                 XS_SET_PERMS);
	xs_store_domain_release(f->st, 6);
	event(f, f->w0, "@releaseDomain", "out");
	event(f, f->d5, "@releaseDomain", "out5");
	/* INTRODUCE / RELEASE from the toolstack fire them too */
	assert_int_equal(CALL(f, d0, XS_INTRODUCE, 0,
	                      XS_A("8\0"
	                           "1234\0"
	                           "3")),
	                 XS_INTRODUCE);
	event(f, f->w0, "@introduceDomain", "in");
	assert_int_equal(CALL(f, d0, XS_IS_DOMAIN_INTRODUCED, 0, XS_A("8")),
	                 XS_IS_DOMAIN_INTRODUCED);
	assert_string_equal(f->r.body, "T");
	assert_int_equal(CALL(f, d0, XS_RESUME, 0, XS_A("8")), XS_RESUME);
	assert_int_equal(CALL(f, d0, XS_RELEASE, 0, XS_A("8")), XS_RELEASE);
	event(f, f->w0, "@releaseDomain", "out");
	xs_fx_is_err(f, CALL(f, d0, XS_RELEASE, 0, XS_A("8")), "ENOENT");
	xs_fx_is_err(f, CALL(f, d0, XS_RESUME, 0, XS_A("8")), "ENOENT");
	xs_fx_is_err(f,
	             CALL(f, d0, XS_INTRODUCE, 0,
	                  XS_A("0\0"
	                       "1\0"
	                       "1")),
	             "EINVAL");
	xs_fx_is_err(f,
	             CALL(f, d0, XS_INTRODUCE, 0,
	                  XS_A("9\0"
	                       "1")),
	             "EINVAL");
	assert_int_equal(CALL(f, d0, XS_CONTROL, 0, XS_A("check")), XS_CONTROL);
	xs_fx_is_err(f, CALL(f, d0, XS_CONTROL, 0, XS_A("nonsense")), "EINVAL");
}

static unsigned txn_start(struct xs_fx *f, struct xs_conn *c)
{
	unsigned id;
	assert_int_equal(xs_raw_call(c, XS_TRANSACTION_START, 0, XS_A(""), &f->r),
	                 XS_TRANSACTION_START);
	assert_int_equal(f->r.h.len, strlen(f->r.body) + 1);
	id = (unsigned)strtoul(f->r.body, NULL, 10);
	assert_true(id != 0);
	return id;
}

static void txn_commit_and_isolation(void **state)
{
	struct xs_fx *f = *state;
	assert_int_equal(CALL(f, d0, XS_WRITE, 0, XS_V("/t/a\0old")), XS_WRITE);
	assert_int_equal(CALL(f, w0, XS_WATCH, 0, XS_A("/t\0tw")), XS_WATCH);
	event(f, f->w0, "/t", "tw");
	unsigned id = txn_start(f, f->d0);
	assert_int_equal(CALL(f, d0, XS_WRITE, id, XS_V("/t/a\0new")), XS_WRITE);
	assert_int_equal(f->r.h.tx_id, id); /* echoed */
	assert_int_equal(CALL(f, d0, XS_WRITE, id, XS_V("/t/b/c\0made")), XS_WRITE);
	assert_int_equal(CALL(f, d0, XS_RM, id, XS_A("/t/a")), XS_RM);
	assert_int_equal(CALL(f, d0, XS_WRITE, id, XS_V("/t/a\0newer")), XS_WRITE);
	/* inside: sees its writes */
	assert_int_equal(CALL(f, d0, XS_READ, id, XS_A("/t/a")), XS_READ);
	assert_string_equal(f->r.body, "newer");
	assert_int_equal(CALL(f, d0, XS_DIRECTORY, id, XS_A("/t")), XS_DIRECTORY);
	assert_memory_equal(f->r.body, "b\0a\0", 4);
	/* outside: nothing yet, no events */
	assert_int_equal(CALL(f, d0, XS_READ, 0, XS_A("/t/a")), XS_READ);
	assert_string_equal(f->r.body, "old");
	xs_fx_is_err(f, CALL(f, d0, XS_READ, 0, XS_A("/t/b/c")), "ENOENT");
	none(f, f->w0);
	assert_int_equal(CALL(f, d0, XS_TRANSACTION_END, id, XS_A("T")), XS_TRANSACTION_END);
	assert_string_equal(f->r.body, "OK");
	assert_int_equal(f->r.h.tx_id, id);
	assert_int_equal(CALL(f, d0, XS_READ, 0, XS_A("/t/b/c")), XS_READ);
	assert_string_equal(f->r.body, "made");
	assert_int_equal(CALL(f, d0, XS_READ, 0, XS_A("/t/a")), XS_READ);
	assert_string_equal(f->r.body, "newer");
	/* events at commit, in modification order, one per changed node */
	event(f, f->w0, "/t/a", "tw");
	event(f, f->w0, "/t", "tw");
	event(f, f->w0, "/t/b", "tw");
	event(f, f->w0, "/t/b/c", "tw");
	none(f, f->w0);
	/* the transaction is gone */
	xs_fx_is_err(f, CALL(f, d0, XS_READ, id, XS_A("/t/a")), "ENOENT");
}

static void txn_conflict_and_abort(void **state)
{
	struct xs_fx *f = *state;
	assert_int_equal(CALL(f, d5, XS_WRITE, 0,
	                      XS_V("data/n\0"
	                           "1")),
	                 XS_WRITE);
	unsigned a = txn_start(f, f->d5);
	unsigned b = txn_start(f, f->d5);
	assert_true(a != b);
	assert_int_equal(CALL(f, d5, XS_READ, a, XS_A("data/n")), XS_READ);
	assert_int_equal(CALL(f, d5, XS_WRITE, a,
	                      XS_V("data/n\0"
	                           "2")),
	                 XS_WRITE);
	assert_int_equal(CALL(f, d5, XS_READ, b, XS_A("data/n")), XS_READ);
	assert_string_equal(f->r.body, "1"); /* isolation between transactions */
	assert_int_equal(CALL(f, d5, XS_WRITE, b,
	                      XS_V("data/n\0"
	                           "3")),
	                 XS_WRITE);
	assert_int_equal(CALL(f, d5, XS_TRANSACTION_END, a, XS_A("T")), XS_TRANSACTION_END);
	/* b read a node a changed: EAGAIN, nothing of b applied */
	xs_fx_is_err(f, CALL(f, d5, XS_TRANSACTION_END, b, XS_A("T")), "EAGAIN");
	assert_int_equal(f->r.h.tx_id, b);
	assert_int_equal(CALL(f, d5, XS_READ, 0, XS_A("data/n")), XS_READ);
	assert_string_equal(f->r.body, "2");
	/* the retry succeeds */
	b = txn_start(f, f->d5);
	assert_int_equal(CALL(f, d5, XS_WRITE, b,
	                      XS_V("data/n\0"
	                           "3")),
	                 XS_WRITE);
	assert_int_equal(CALL(f, d5, XS_TRANSACTION_END, b, XS_A("T")), XS_TRANSACTION_END);
	/* a write outside the transaction conflicts too */
	a = txn_start(f, f->d5);
	assert_int_equal(CALL(f, d5, XS_WRITE, a,
	                      XS_V("data/n\0"
	                           "4")),
	                 XS_WRITE);
	assert_int_equal(CALL(f, d0, XS_WRITE, 0, XS_V("/local/domain/5/data/n\0x")), XS_WRITE);
	xs_fx_is_err(f, CALL(f, d5, XS_TRANSACTION_END, a, XS_A("T")), "EAGAIN");
	/* creating a node someone else creates concurrently conflicts */
	a = txn_start(f, f->d5);
	xs_fx_is_err(f, CALL(f, d5, XS_READ, a, XS_A("data/fresh")), "ENOENT");
	assert_int_equal(CALL(f, d5, XS_WRITE, 0, XS_V("data/fresh\0o")), XS_WRITE);
	assert_int_equal(CALL(f, d5, XS_WRITE, a, XS_V("data/fresh\0t")), XS_WRITE);
	xs_fx_is_err(f, CALL(f, d5, XS_TRANSACTION_END, a, XS_A("T")), "EAGAIN");
	/* abort discards */
	a = txn_start(f, f->d5);
	assert_int_equal(CALL(f, d5, XS_WRITE, a, XS_V("data/gone\0x")), XS_WRITE);
	assert_int_equal(CALL(f, d5, XS_TRANSACTION_END, a, XS_A("F")), XS_TRANSACTION_END);
	xs_fx_is_err(f, CALL(f, d5, XS_READ, 0, XS_A("data/gone")), "ENOENT");
	/* protocol errors */
	xs_fx_is_err(f, CALL(f, d5, XS_READ, 999, XS_A("data/n")), "ENOENT");
	a = txn_start(f, f->d5);
	xs_fx_is_err(f, CALL(f, d5, XS_TRANSACTION_END, a, XS_A("X")), "EINVAL");
	xs_fx_is_err(f, CALL(f, d5, XS_TRANSACTION_START, a, XS_A("")), "EBUSY");
	xs_fx_is_err(f, CALL(f, d5, XS_WATCH, a, XS_A("data\0t")), "EINVAL");
	xs_fx_is_err(f, CALL(f, d5, XS_TRANSACTION_END, 0, XS_A("T")), "EINVAL");
	/* another connection cannot use this connection's transaction */
	xs_fx_is_err(f, CALL(f, d6, XS_READ, a, XS_A("name")), "ENOENT");
	assert_int_equal(CALL(f, d5, XS_TRANSACTION_END, a, XS_A("T")), XS_TRANSACTION_END);
	/* quota: open transactions per domain */
	unsigned ids[10];
	for (int i = 0; i < 10; i++)
		ids[i] = txn_start(f, f->d5);
	xs_fx_is_err(f, CALL(f, d5, XS_TRANSACTION_START, 0, XS_A("")), "ENOSPC");
	for (int i = 0; i < 10; i++)
		assert_int_equal(CALL(f, d5, XS_TRANSACTION_END, ids[i], XS_A("F")),
		                 XS_TRANSACTION_END);
	/* nodes per transaction */
	assert_int_equal(CALL(f, d0, XS_CONTROL, 0,
	                      XS_A("quota\0transaction-nodes\0"
	                           "5")),
	                 XS_CONTROL);
	a = txn_start(f, f->d5);
	int i, type = 0;
	for (i = 0; i < 20; i++) {
		char msg[64];
		int n = snprintf(msg, sizeof(msg), "data/tn%d", i);
		type = xs_raw_call(f->d5, XS_WRITE, a, msg, (uint32_t)n + 1, &f->r);
		if (type != XS_WRITE)
			break;
	}
	xs_fx_is_err(f, type, "ENOSPC");
	assert_true(i < 5);
}

static void txn_timeout(void **state)
{
	struct xs_fx *f = *state;
	unsigned a = txn_start(f, f->d5);
	(void)a;
	xs_store_quota_set(f->st, XS_Q_TRANS_SECONDS, 0);
	xs_store_tick(f->st); /* same millisecond: not yet older than 0 s */
	struct timespec ts = {0, 5 * 1000 * 1000};
	nanosleep(&ts, NULL);
	(void)txn_start(f, f->d0); /* dom0 is exempt */
	xs_store_tick(f->st);
	assert_true(xs_conn_broken(f->d5));
	assert_false(xs_conn_broken(f->d0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(watch_basics, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(watch_perms_and_relative, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(special_watches, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(txn_commit_and_isolation, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(txn_conflict_and_abort, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(txn_timeout, setup, xs_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
