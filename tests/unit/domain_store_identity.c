/* SPDX-License-Identifier: MIT */
/* A domain's store connection carries the domain's identity: relative
 * paths resolve under /local/domain/<its domid>, it may write its own
 * data/ but not another domain's, and its nodes vanish when it dies. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "umx_test.h"
#include "umx/internal/ctl.h"

static int xs_call(int fd, uint32_t type, const char *a, const char *b, char *out, size_t outlen,
                   uint32_t *rtype)
{
	struct xsd_sockmsg h = {.type = type, .req_id = 7};
	char buf[4096];
	size_t la = strlen(a) + 1, lb = b ? strlen(b) : 0;
	memcpy(buf, a, la);
	if (b)
		memcpy(buf + la, b, lb);
	h.len = (uint32_t)(la + lb);
	if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) || write(fd, buf, h.len) != h.len)
		return -EIO;
	if (read(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) || h.len >= outlen)
		return -EIO;
	if (h.len && read(fd, out, h.len) != h.len)
		return -EIO;
	out[h.len] = 0;
	*rtype = h.type;
	return (int)h.len;
}

static int domain_child(void *arg)
{
	int *pipefd = arg;
	umx_conn *c;
	unsigned nfds = 0;
	int xs = -1;
	uint32_t t;
	char out[256], want[32];

	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	CHILD_CHECK_OK(umx_conn_call(c, UMX_CTL_XS_CONNECT, NULL, 0, NULL, 0, NULL, &xs, 1, &nfds));
	CHILD_CHECK(nfds == 1);
	snprintf(want, sizeof(want), "%u", umx_conn_domid(c));
	CHILD_CHECK_OK(xs_call(xs, XS_READ, "domid", NULL, out, sizeof(out), &t));
	CHILD_CHECK(t == XS_READ);
	CHILD_CHECK(strcmp(out, want) == 0);
	CHILD_CHECK_OK(xs_call(xs, XS_WRITE, "data/hello", "world", out, sizeof(out), &t));
	CHILD_CHECK(t == XS_WRITE);
	/* dom0's subtree is not ours to write. */
	CHILD_CHECK_OK(xs_call(xs, XS_WRITE, "/local/domain/0/evil", "x", out, sizeof(out), &t));
	CHILD_CHECK(t == XS_ERROR);
	CHILD_CHECK(strcmp(out, "EACCES") == 0);
	CHILD_CHECK(write(pipefd[1], "k", 1) == 1);
	pause();
	return 0;
}

static void test_domain_store_identity(void **state)
{
	struct umx_test_daemon d;
	int pipefd[2];
	uint32_t domid;
	pid_t pid;
	char c, path[64], cmd[256];
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(umx_test_domain_fork(&d, "store", domain_child, pipefd, &domid, &pid), 0);
	assert_int_equal(read(pipefd[0], &c, 1), 1);

	/* The toolstack sees what the domain wrote, under its own path. */
	snprintf(path, sizeof(path), "/local/domain/%u/data/hello", domid);
	snprintf(cmd, sizeof(cmd), "XENSTORED_PATH=%s/xenstored xenstore-read %s | grep -qx world",
	         d.dir, path);
	assert_int_equal(system(cmd), 0);

	kill(pid, SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, domid, pid), 128 + SIGKILL);
	/* Released: the domain's directory is gone. */
	snprintf(cmd, sizeof(cmd),
	         "for i in $(seq 50); do XENSTORED_PATH=%s/xenstored xenstore-exists "
	         "/local/domain/%u || exit 0; sleep 0.05; done; exit 1",
	         d.dir, domid);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_domain_store_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
