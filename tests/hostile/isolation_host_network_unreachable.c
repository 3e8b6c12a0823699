/* SPDX-License-Identifier: MIT */
/* A domain does not share the host's network: a TCP service on the host's
 * 127.0.0.1 and an abstract Unix socket of the host both refuse it
 * (ECONNREFUSED: its loopback is its own), it sees no interface but lo,
 * and neither service got a connection. Its own loopback works. */
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "isolation_util.h"

static void test_host_network_unreachable(void **state)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	socklen_t len = sizeof(in);
	char name[64], extra[160], a[512];
	struct iso t;
	int tcp, abs_fd;

	(void)state;
	tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(tcp >= 0);
	assert_int_equal(bind(tcp, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(listen(tcp, 4), 0);
	assert_int_equal(getsockname(tcp, (struct sockaddr *)&in, &len), 0);
	snprintf(name, sizeof(name), "umx-isolation-%d", (int)getpid());
	snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "%s", name);
	abs_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(abs_fd >= 0);
	assert_int_equal(
	        bind(abs_fd, (struct sockaddr *)&un,
	             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))),
	        0);
	assert_int_equal(listen(abs_fd, 4), 0);

	iso_begin(&t, "host-net", 0);
	snprintf(extra, sizeof(extra), "tcp_port=%u abstract=%s", ntohs(in.sin_port), name);
	assert_int_equal(iso_attack(&t, extra), 0);
	iso_victim_check(&t, a, sizeof(a));
	assert_string_equal(a, "intact");
	/* Nobody got through to either. */
	assert_int_equal(accept(tcp, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(accept(abs_fd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	close(tcp);
	close(abs_fd);
	iso_end(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_host_network_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
