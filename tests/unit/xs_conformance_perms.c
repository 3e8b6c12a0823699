/* SPDX-License-Identifier: MIT */
/* XenStore conformance: Xen's permission rules, ownership, inheritance, relative paths, quotas. */
#include "umx_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_util.h"

static int setup(void **state)
{
	return xs_fx_setup(state, "five", "six", false);
}

#define CALL(f, c, type, ...) xs_raw_call((f)->c, type, 0, __VA_ARGS__, &(f)->r)

static void perms_of(struct xs_fx *f, const char *path, const char *want, size_t wlen)
{
	assert_int_equal(
	        xs_raw_call(f->d0, XS_GET_PERMS, 0, path, (uint32_t)strlen(path) + 1, &f->r),
	        XS_GET_PERMS);
	assert_int_equal(f->r.h.len, wlen);
	assert_memory_equal(f->r.body, want, wlen);
}

static void toolstack_layout(void **state)
{
	/* The nodes libxl writes, with libxl's owners and permissions. */
	struct xs_fx *f = *state;
	perms_of(f, "/local/domain/5", "n0\0r5", 6);
	perms_of(f, "/local/domain/5/name", "n0\0r5", 6);
	perms_of(f, "/local/domain/5/device", "n0\0r5", 6);
	perms_of(f, "/local/domain/5/control", "n0\0r5", 6);
	perms_of(f, "/local/domain/5/data", "n5", 3);
	perms_of(f, "/local/domain/5/control/shutdown", "n5", 3);
	perms_of(f, "/local/domain/5/device/suspend/event-channel", "n5", 3);
	assert_int_equal(CALL(f, d5, XS_READ, XS_A("domid")), XS_READ);
	assert_string_equal(f->r.body, "5");
	assert_int_equal(CALL(f, d5, XS_READ, XS_A("name")), XS_READ);
	assert_string_equal(f->r.body, "five");
	/* The guest cannot write its read-only nodes, can write data/. */
	xs_fx_is_err(f, CALL(f, d5, XS_WRITE, XS_V("name\0evil")), "EACCES");
	xs_fx_is_err(f, CALL(f, d5, XS_WRITE, XS_V("newnode\0x")), "EACCES");
	assert_int_equal(CALL(f, d5, XS_WRITE, XS_V("data/x\0y")), XS_WRITE);
	assert_int_equal(CALL(f, d5, XS_WRITE, XS_V("control/shutdown\0poweroff")), XS_WRITE);
}

static void dom0_privileged_domu_not(void **state)
{
	struct xs_fx *f = *state;
	/* "/" is n0: a guest may not read it; dom0 reads everything. */
	xs_fx_is_err(f, CALL(f, d5, XS_DIRECTORY, XS_A("/")), "EACCES");
	xs_fx_is_err(f, CALL(f, d5, XS_READ, XS_A("/local/domain/6/name")), "EACCES");
	assert_int_equal(CALL(f, d0, XS_READ, XS_A("/local/domain/6/name")), XS_READ);
	/* A missing node under an unreadable parent: EACCES, not ENOENT
	 * (existence is not leaked). Under a readable one: ENOENT. */
	xs_fx_is_err(f, CALL(f, d5, XS_READ, XS_A("/local/domain/6/nothing")), "EACCES");
	xs_fx_is_err(f, CALL(f, d5, XS_READ, XS_A("/local/domain/5/nothing")), "ENOENT");
	/* dom0 only requests */
	xs_fx_is_err(f, CALL(f, d5, XS_CONTROL, XS_A("check")), "EACCES");
	xs_fx_is_err(f,
	             CALL(f, d5, XS_INTRODUCE,
	                  XS_A("7\0"
	                       "1\0"
	                       "1")),
	             "EACCES");
	xs_fx_is_err(f, CALL(f, d5, XS_RELEASE, XS_A("6")), "EACCES");
	xs_fx_is_err(f, CALL(f, d5, XS_RESUME, XS_A("6")), "EACCES");
	xs_fx_is_err(f,
	             CALL(f, d5, XS_SET_TARGET,
	                  XS_A("5\0"
	                       "6")),
	             "EACCES");
}

static void inheritance_and_ownership(void **state)
{
	struct xs_fx *f = *state;
	/* dom0 lets domain 5 write a directory it owns. */
	assert_int_equal(CALL(f, d0, XS_MKDIR, XS_A("/shared")), XS_MKDIR);
	assert_int_equal(CALL(f, d0, XS_SET_PERMS, XS_A("/shared\0n0\0w5\0r6")), XS_SET_PERMS);
	xs_fx_is_err(f, CALL(f, d5, XS_READ, XS_A("/shared")), "EACCES"); /* w only */
	/* A guest creating a node (and its implicit parents) owns them, and
	 * the children inherit the parent's other entries. */
	assert_int_equal(CALL(f, d5, XS_WRITE, XS_V("/shared/a/b\0v")), XS_WRITE);
	perms_of(f, "/shared/a", "n5\0w5\0r6", 9);
	perms_of(f, "/shared/a/b", "n5\0w5\0r6", 9);
	assert_int_equal(CALL(f, d5, XS_READ, XS_A("/shared/a/b")), XS_READ); /* owner */
	assert_int_equal(CALL(f, d6, XS_READ, XS_A("/shared/a/b")), XS_READ); /* r6 */
	xs_fx_is_err(f, CALL(f, d6, XS_WRITE, XS_V("/shared/a/b\0no")), "EACCES");
	/* dom0 creating below keeps the parent's owner (only guests become owners). */
	assert_int_equal(CALL(f, d0, XS_WRITE, XS_V("/shared/a/c\0v")), XS_WRITE);
	perms_of(f, "/shared/a/c", "n5\0w5\0r6", 9);
	/* The owner may change the other entries but not give the node away. */
	assert_int_equal(CALL(f, d5, XS_SET_PERMS, XS_A("/shared/a/b\0r5\0b6")), XS_SET_PERMS);
	assert_int_equal(CALL(f, d6, XS_WRITE, XS_V("/shared/a/b\0now")), XS_WRITE);
	xs_fx_is_err(f, CALL(f, d5, XS_SET_PERMS, XS_A("/shared/a/b\0n6")), "EPERM");
	/* A non-owner with write access may not change permissions. */
	xs_fx_is_err(f, CALL(f, d6, XS_SET_PERMS, XS_A("/shared/a/b\0n5")), "EACCES");
	/* dom0 may transfer ownership. */
	assert_int_equal(CALL(f, d0, XS_SET_PERMS, XS_A("/shared/a/b\0n6")), XS_SET_PERMS);
	assert_int_equal(CALL(f, d6, XS_READ, XS_A("/shared/a/b")), XS_READ);
	xs_fx_is_err(f, CALL(f, d5, XS_READ, XS_A("/shared/a/b")), "EACCES");
	/* rm needs write on the node */
	xs_fx_is_err(f, CALL(f, d6, XS_RM, XS_A("/shared/a")), "EACCES");
	assert_int_equal(CALL(f, d5, XS_RM, XS_A("/shared/a")), XS_RM);
}

static void relative_paths(void **state)
{
	struct xs_fx *f = *state;
	assert_int_equal(CALL(f, d5, XS_WRITE, XS_V("data/rel\0r")), XS_WRITE);
	assert_int_equal(CALL(f, d0, XS_READ, XS_A("/local/domain/5/data/rel")), XS_READ);
	assert_string_equal(f->r.body, "r");
	/* The same relative path from another domain is another node. */
	xs_fx_is_err(f, CALL(f, d6, XS_READ, XS_A("data/rel")), "ENOENT");
	assert_int_equal(CALL(f, d5, XS_DIRECTORY, XS_A("data")), XS_DIRECTORY);
	assert_memory_equal(f->r.body, "rel", 4);
}

static void target(void **state)
{
	/* SET_TARGET: a stubdom gets its target's rights. */
	struct xs_fx *f = *state;
	xs_fx_is_err(f, CALL(f, d6, XS_READ, XS_A("/local/domain/5/name")), "EACCES");
	assert_int_equal(CALL(f, d0, XS_SET_TARGET,
	                      XS_A("6\0"
	                           "5")),
	                 XS_SET_TARGET);
	assert_int_equal(CALL(f, d6, XS_READ, XS_A("/local/domain/5/name")), XS_READ);
	assert_int_equal(CALL(f, d6, XS_WRITE, XS_V("/local/domain/5/data/x\0t")), XS_WRITE);
	xs_fx_is_err(f,
	             CALL(f, d0, XS_SET_TARGET,
	                  XS_A("6\0"
	                       "77")),
	             "ENOENT");
}

static void quotas(void **state)
{
	struct xs_fx *f = *state;
	char msg[256];
	/* node size */
	static char big[4200];
	memcpy(big, "data/big", 9);
	memset(big + 9, 'v', sizeof(big) - 9 - 16);
	assert_int_equal(xs_raw_call(f->d5, XS_WRITE, 0, big, 9 + 4000, &f->r), XS_WRITE);
	assert_int_equal(CALL(f, d0, XS_CONTROL,
	                      XS_A("quota\0node-size\0"
	                           "100")),
	                 XS_CONTROL);
	xs_fx_is_err(f, xs_raw_call(f->d5, XS_WRITE, 0, big, 9 + 101, &f->r), "ENOSPC");
	assert_int_equal(xs_raw_call(f->d5, XS_WRITE, 0, big, 9 + 100, &f->r), XS_WRITE);
	/* dom0 is not subject to it (relative: /local/domain/0/data/big) */
	assert_int_equal(xs_raw_call(f->d0, XS_WRITE, 0, big, 9 + 101, &f->r), XS_WRITE);
	/* permissions per node */
	xs_fx_is_err(f, CALL(f, d5, XS_SET_PERMS, XS_A("data\0n5\0r1\0r2\0r3\0r4\0r6")), "ENOSPC");
	assert_int_equal(CALL(f, d5, XS_SET_PERMS, XS_A("data\0n5\0r1\0r2\0r3\0r4")), XS_SET_PERMS);
	/* nodes per domain, changed by dom0 through CONTROL */
	assert_int_equal(CALL(f, d0, XS_CONTROL,
	                      XS_A("quota\0nodes\0"
	                           "20")),
	                 XS_CONTROL);
	int ok = 0, n;
	for (int i = 0; i < 40; i++) {
		n = snprintf(msg, sizeof(msg), "data/n%d", i);
		if (xs_raw_call(f->d5, XS_WRITE, 0, msg, (uint32_t)n + 1, &f->r) == XS_WRITE)
			ok++;
		else
			assert_string_equal(f->r.body, "ENOSPC");
	}
	assert_true(ok > 0 && ok < 20);
	/* dom0 is not subject to quotas */
	for (int i = 0; i < 40; i++) {
		n = snprintf(msg, sizeof(msg), "/local/domain/5/data/d%d", i);
		assert_int_equal(xs_raw_call(f->d0, XS_WRITE, 0, msg, (uint32_t)n + 1, &f->r),
		                 XS_WRITE);
	}
	/* path length below the domain path */
	assert_int_equal(CALL(f, d0, XS_CONTROL,
	                      XS_A("quota\0path-max\0"
	                           "20")),
	                 XS_CONTROL);
	xs_fx_is_err(f, CALL(f, d5, XS_WRITE, XS_V("data/aaaaaaaaaaaaaaaaaaaaaaaa\0")), "EINVAL");
	/* watches per domain */
	assert_int_equal(CALL(f, d0, XS_CONTROL,
	                      XS_A("quota\0watches\0"
	                           "2")),
	                 XS_CONTROL);
	assert_int_equal(CALL(f, d5, XS_WATCH, XS_A("data\0t1")), XS_WATCH);
	assert_true(xs_raw_recv(f->d5, &f->r)); /* its first event */
	assert_int_equal(CALL(f, d5, XS_WATCH, XS_A("data\0t2")), XS_WATCH);
	assert_true(xs_raw_recv(f->d5, &f->r));
	xs_fx_is_err(f, CALL(f, d5, XS_WATCH, XS_A("data\0t3")), "E2BIG");
	/* the quota listing shows the new values */
	assert_int_equal(CALL(f, d0, XS_CONTROL, XS_A("quota")), XS_CONTROL);
	assert_non_null(strstr(f->r.body, "watches"));
	assert_int_equal(CALL(f, d0, XS_CONTROL,
	                      XS_A("quota-domain\0"
	                           "5")),
	                 XS_CONTROL);
	assert_non_null(strstr(f->r.body, "watches 2"));
	xs_fx_is_err(f,
	             CALL(f, d0, XS_CONTROL,
	                  XS_A("quota\0bogus\0"
	                       "1")),
	             "EINVAL");
}

static void release_scrubs_perms(void **state)
{
	/* XSA-322: a reused domid must not inherit the old domain's rights. */
	struct xs_fx *f = *state;
	assert_int_equal(CALL(f, d0, XS_WRITE, XS_V("/keep\0v")), XS_WRITE);
	assert_int_equal(CALL(f, d0, XS_SET_PERMS, XS_A("/keep\0n6\0b5\0r0")), XS_SET_PERMS);
	xs_store_domain_release(f->st, 6);
	assert_true(xs_conn_broken(f->d6));
	perms_of(f, "/keep", "n0\0b5\0r0", 9);
	xs_store_domain_release(f->st, 5);
	perms_of(f, "/keep", "n0\0r0", 6);
	xs_fx_is_err(f, CALL(f, d0, XS_READ, XS_A("/local/domain/5")), "ENOENT");
	/* A new domain 5 sees nothing of the old one. */
	assert_int_equal(xs_store_domain_introduce(f->st, 5, "again"), 0);
	struct xs_conn *n5 = xs_conn_new(f->st, 5, NULL, NULL);
	assert_int_equal(xs_raw_call(n5, XS_READ, 0, XS_A("/keep"), &f->r), XS_ERROR);
	assert_string_equal(f->r.body, "EACCES");
	xs_conn_free(n5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(toolstack_layout, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(dom0_privileged_domu_not, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(inheritance_and_ownership, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(relative_paths, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(target, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(quotas, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(release_scrubs_perms, setup, xs_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
