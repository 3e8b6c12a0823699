/* SPDX-License-Identifier: MIT */
/* umxd serves its toolstack sockets only to processes in its own user, pid
 * and mount namespaces, so a domain's process that reached
 * $UMX_DIR/control or $UMX_DIR/xenstored (a careless bind, a descriptor
 * passed by mistake) is still no toolstack. A client of umxd's own uid in
 * another mount namespace, another pid namespace or another user namespace
 * connects, and is dropped before its first request is answered
 * (ECONNRESET or EPIPE) on both sockets; a client in umxd's namespaces is
 * served. */
#include <sched.h>

#include "umx/xs.h"
#include "isolation_util.h"

/* In a child that entered @ns: 0 when both sockets refused us, 1 when one
 * served us, 2 when the namespace could not be made (not root: only the
 * user namespace case runs), 3 when refused some other way. */
static int try_as_toolstack(const char *dir, int ns)
{
	char path[160], *val = NULL;
	umx_conn *ts;
	umx_xs *xs;
	int r;

	if (unshare(ns) < 0)
		return 2;
	if (ns & CLONE_NEWPID) {
		/* Only our children enter the new pid namespace. */
		pid_t pid = fork();
		int st;
		if (pid < 0)
			return 2;
		if (pid > 0)
			return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 2;
	}
	r = umx_conn_open_toolstack(dir, &ts);
	fprintf(stderr, "  control: %s\n", r ? strerror(-r) : "served");
	if (r == 0) {
		umx_conn_close(ts);
		return 1;
	}
	if (r != -ECONNRESET && r != -EPIPE)
		return 3;
	snprintf(path, sizeof(path), "%s/xenstored", dir);
	if ((r = umx_xs_open_path(path, &xs)) == 0) {
		r = umx_xs_read(xs, 0, "/local/domain", &val, NULL);
		free(val);
		umx_xs_close(xs);
	}
	fprintf(stderr, "  xenstored: %s\n", r ? strerror(-r) : "served");
	if (r == 0)
		return 1;
	return r == -ECONNRESET || r == -EPIPE ? 0 : 3;
}

static int in_child(const char *dir, int ns)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(try_as_toolstack(dir, ns));
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_toolstack_sockets_refuse_other_namespaces(void **state)
{
	static const struct {
		int ns;
		const char *name;
	} cases[] = {{CLONE_NEWNS, "a mount namespace"},
	             {CLONE_NEWPID, "a pid namespace"},
	             {CLONE_NEWUSER, "a user namespace"}};
	struct umx_test_daemon d;
	char *val = NULL;
	umx_xs *xs;
	char path[160];
	int bad = 0;

	(void)state;
	assert_int_equal(umx_test_daemon_start(&d), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;
		fprintf(stderr, "a client of umxd's uid in %s:\n", cases[i].name);
		r = in_child(d.dir, cases[i].ns);
		if (r == 2) {
			fprintf(stderr, "  (cannot make %s here: not checked)\n", cases[i].name);
			continue;
		}
		if (r != 0)
			bad++;
	}
	/* In our own namespaces we are the toolstack. */
	snprintf(path, sizeof(path), "%s/xenstored", d.dir);
	assert_int_equal(umx_xs_open_path(path, &xs), 0);
	assert_int_equal(umx_xs_read(xs, 0, "/local/domain", &val, NULL), 0);
	free(val);
	umx_xs_close(xs);
	assert_int_equal(bad, 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_toolstack_sockets_refuse_other_namespaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
