/* SPDX-License-Identifier: MIT */
/* `umx vchan server --unix SOCK -k` in a domain bridges one Unix-socket
 * connection to a vchan: bytes sent on the socket reach the client domain,
 * which echoes them; the echo comes back on the socket, byte for byte, and
 * the client's close is the socket's end of stream. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "vchan_util.h"

#define TOTAL (1u << 20)

static char sock_path[108];

static int tool_server(void *arg)
{
	struct vpair *vp = arg;
	char dom[16];
	const char *umx = getenv("UMX");

	CHILD_CHECK(umx);
	CHILD_CHECK(getenv("UMX_DOMAIN_FD"));
	/* The domain's connection must survive exec (umx run does the same). */
	fcntl(atoi(getenv("UMX_DOMAIN_FD")), F_SETFD, 0);
	snprintf(dom, sizeof(dom), "%u", vp->client_domid);
	execl(umx, "umx", "vchan", "server", "data/vchan/unix", dom, "--unix", sock_path, "-k",
	      (char *)NULL);
	CHILD_FAIL("execl $UMX");
}

static int echo_client(void *arg)
{
	struct vpair *vp = arg;
	static uint8_t buf[65536];
	uint32_t doms[2];
	char path[96];
	umx_vchan *v;
	size_t done = 0;

	alarm(30);
	CHILD_CHECK(read(vp->to_client[0], doms, sizeof(doms)) == sizeof(doms));
	snprintf(path, sizeof(path), "/local/domain/%u/data/vchan/unix", doms[0]);
	CHILD_CHECK_OK(umx_vchan_client_open(doms[0], path, 10000, &v));
	while (done < TOTAL) {
		int r = umx_vchan_read(v, buf, sizeof(buf));
		CHILD_CHECK(r > 0);
		CHILD_CHECK(umx_vchan_write(v, buf, (size_t)r) == r);
		done += (size_t)r;
	}
	umx_vchan_close(v);
	return 0;
}

static void test_unix_socket_bridge(void **state)
{
	struct umx_test_daemon d;
	struct vpair vp = {0};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static uint8_t out[TOTAL], in[TOTAL];
	size_t sent = 0, got = 0;
	uint32_t dom[2];
	pid_t pid[2];
	int fd = -1;
	(void)state;

	if (!getenv("UMX")) {
		printf("skip: $UMX (the umx binary) not set\n");
		exit(77);
	}
	assert_int_equal(umx_test_daemon_start(&d), 0);
	snprintf(sock_path, sizeof(sock_path), "%s/vchan.sock", d.dir);
	strcpy(sa.sun_path, sock_path);
	vt_start(&d, &vp, tool_server, echo_client, dom, pid);
	for (int i = 0; i < 500; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(10000);
	}
	assert_true(fd >= 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	vt_fill(42, 0, out, TOTAL);
	while (got < TOTAL) {
		struct pollfd pf = {.fd = fd, .events = POLLIN | (sent < TOTAL ? POLLOUT : 0)};
		assert_int_equal(poll(&pf, 1, 10000), 1);
		if (pf.revents & POLLOUT) {
			ssize_t w =
			        write(fd, out + sent, TOTAL - sent > 65536 ? 65536 : TOTAL - sent);
			if (w > 0)
				sent += (size_t)w;
		}
		if (pf.revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(fd, in + got, TOTAL - got);
			assert_true(r > 0 || (r < 0 && errno == EAGAIN));
			if (r > 0)
				got += (size_t)r;
		}
	}
	assert_memory_equal(in, out, TOTAL);
	/* The client closed after echoing: end of stream on the socket. */
	fcntl(fd, F_SETFL, 0);
	assert_int_equal(read(fd, in, 1), 0);
	close(fd);
	assert_int_equal(umx_test_domain_reap(&d, dom[1], pid[1]), 0);
	assert_int_equal(umx_test_domain_reap(&d, dom[0], pid[0]), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_unix_socket_bridge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
