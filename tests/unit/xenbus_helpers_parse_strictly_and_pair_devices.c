/* SPDX-License-Identifier: MIT */
/* The store side every split device shares (devices/common/xenbus.h):
 * numbers a peer wrote are read strictly (no sign, space, trailing byte
 * or overflow), paths that do not fit are refused rather than cut, a
 * frontend/backend pair is written with each side's permissions and
 * removed again, devids are allocated past those in use, and a backend's
 * sweep skips names that are not devices. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umx_test.h"
#include "../../devices/common/xenbus.h"

static void check_perms(umx_xs *xs, const char *path, const char *owner, const char *reader)
{
	char **perms;
	unsigned n;

	assert_int_equal(umx_xs_get_perms(xs, 0, path, &perms, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(perms[0], owner);
	assert_string_equal(perms[1], reader);
	free(perms);
}

static void check_node(umx_xs *xs, const char *path, const char *want)
{
	char *v;

	assert_int_equal(umx_xs_read(xs, 0, path, &v, NULL), 0);
	assert_string_equal(v, want);
	free(v);
}

static void test_numbers_are_read_strictly(void **state)
{
	static const char *const bad[] = {" 42", "+42", "-1",   "42 ",
	                                  "4x",  "",    "0x10", "99999999999999999999999999"};
	struct umx_test_daemon d;
	unsigned long v;
	char longdir[400];
	umx_xs *xs;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_xs_open(&xs), 0);
	assert_int_equal(umx_xs_write_str(xs, 0, "/t/n", "42"), 0);
	assert_int_equal(xenbus_read_uint(xs, "/t", "n", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(xenbus_read_uint(xs, "/t/n", NULL, &v), 0);
	assert_int_equal(v, 42);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(umx_xs_write_str(xs, 0, "/t/n", bad[i]), 0);
		if (xenbus_read_uint(xs, "/t", "n", &v) != -EINVAL)
			fail_msg("'%s' was read as a number", bad[i]);
	}
	assert_int_equal(xenbus_read_uint(xs, "/t", "missing", &v), -ENOENT);

	/* States: XenbusStateReconfigured (8) is the last one. */
	assert_int_equal(xenbus_switch_state(xs, "/t", 8), 0);
	assert_int_equal(xenbus_read_state(xs, "/t"), 8);
	assert_int_equal(xenbus_printf(xs, 0, "/t", "state", "%d", 9), 0);
	assert_int_equal(xenbus_read_state(xs, "/t"), -EINVAL);

	/* Too long is refused, never truncated into another node's path. */
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(xenbus_printf(xs, 0, longdir, "state", "1"), -ENAMETOOLONG);
	assert_int_equal(xenbus_read_uint(xs, longdir, "state", &v), -ENAMETOOLONG);
	assert_int_equal(xenbus_printf(xs, 0, "/t", "big", "%300s", "x"), -ENAMETOOLONG);
	umx_xs_close(xs);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

static void test_pair_written_with_permissions_and_removed(void **state)
{
	const struct xenbus_node fe[] = {{"handle", "7"}}, be[] = {{"type", "vif"}};
	struct xenbus_pair p = {.type = "vif",
	                        .front = 3,
	                        .back = 5,
	                        .devid = 7,
	                        .fe = fe,
	                        .nfe = 1,
	                        .be = be,
	                        .nbe = 1};
	struct umx_test_daemon d;
	char *v;
	umx_xs *xs;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_xs_open(&xs), 0);
	assert_int_equal(xenbus_next_devid(xs, "vif", 3, 0, 1, 65535), 0);
	assert_int_equal(xenbus_pair_add(xs, &p), 0);
	assert_int_equal(xenbus_pair_add(xs, &p), -EEXIST);

	check_node(xs, "/local/domain/3/device/vif/7/backend", "/local/domain/5/backend/vif/3/7");
	check_node(xs, "/local/domain/3/device/vif/7/backend-id", "5");
	check_node(xs, "/local/domain/3/device/vif/7/handle", "7");
	check_node(xs, "/local/domain/3/device/vif/7/state", "1");
	check_node(xs, "/local/domain/5/backend/vif/3/7/frontend", "/local/domain/3/device/vif/7");
	check_node(xs, "/local/domain/5/backend/vif/3/7/frontend-id", "3");
	check_node(xs, "/local/domain/5/backend/vif/3/7/type", "vif");
	check_node(xs, "/local/domain/5/backend/vif/3/7/online", "1");
	check_node(xs, "/local/domain/5/backend/vif/3/7/state", "1");
	check_perms(xs, "/local/domain/3/device/vif/7", "n3", "r5");
	check_perms(xs, "/local/domain/3/device/vif/7/state", "n3", "r5");
	check_perms(xs, "/local/domain/5/backend/vif/3", "n5", "r3");
	check_perms(xs, "/local/domain/5/backend/vif/3/7/state", "n5", "r3");

	/* The next devid is past those in use; a name that is not a number
	 * (the frontend may write one) is no devid. */
	assert_int_equal(umx_xs_mkdir(xs, 0, "/local/domain/3/device/vif/junk"), 0);
	assert_int_equal(xenbus_next_devid(xs, "vif", 3, 0, 1, 65535), 8);
	assert_int_equal(xenbus_next_devid(xs, "vbd", 3, 51712, 16, 51712 + 16 * 255), 51712);

	p.front = p.back;
	assert_int_equal(xenbus_pair_add(xs, &p), -EINVAL);

	assert_int_equal(xenbus_pair_remove(xs, "vif", 3, 5, 7), 0);
	assert_int_equal(umx_xs_read(xs, 0, "/local/domain/3/device/vif/7", &v, NULL), -ENOENT);
	/* The backend's directory of the frontend went with its last device. */
	assert_int_equal(umx_xs_read(xs, 0, "/local/domain/5/backend/vif/3", &v, NULL), -ENOENT);
	assert_int_equal(xenbus_pair_remove(xs, "vif", 3, 5, 7), -ENOENT);
	umx_xs_close(xs);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

struct seen {
	unsigned n;
	uint32_t front, devid;
};

static void count(void *ctx, uint32_t front, uint32_t devid)
{
	struct seen *s = ctx;

	s->n++;
	s->front = front;
	s->devid = devid;
}

static void test_backend_scan_skips_what_is_no_device(void **state)
{
	static const char *const made[] = {"/b/vbd/3/51712", "/b/vbd/3/x",   "/b/vbd/3/-1",
	                                   "/b/vbd/3/70000", "/b/vbd/abc/1", "/b/vbd/32752/1",
	                                   "/b/vbd/4x/1",    "/b/vbd/-3/1",  "/b/vbd/3/0x10"};
	struct umx_test_daemon d;
	struct seen s = {0};
	umx_xs *xs;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_xs_open(&xs), 0);
	for (unsigned i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		assert_int_equal(umx_xs_mkdir(xs, 0, made[i]), 0);
	xenbus_backend_scan(xs, "/b/vbd", 65535, count, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.front, 3);
	assert_int_equal(s.devid, 51712);
	s.n = 0;
	xenbus_backend_scan(xs, "/b/none", 65535, count, &s);
	assert_int_equal(s.n, 0);
	umx_xs_close(xs);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_numbers_are_read_strictly),
	        cmocka_unit_test(test_pair_written_with_permissions_and_removed),
	        cmocka_unit_test(test_backend_scan_skips_what_is_no_device),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
