/* SPDX-License-Identifier: MIT */
/* Garbage on the control socket: every malformed frame gets its sender
 * disconnected, passed descriptors are not leaked, other clients and
 * domains keep working, and a client of another uid cannot connect. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/internal/ctl.h"
#include "umx/internal/msg.h"

static struct umx_test_daemon d;

static int raw_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control", d.dir);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* The daemon must close the connection: the next receive sees EOF. */
static void assert_dropped(int fd)
{
	char buf[64];
	struct timeval tv = {5, 0};
	ssize_t n;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n > 0); /* an error reply may come first */
	assert_int_equal(n, 0);
	close(fd);
}

static void send_raw(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void hello(int fd)
{
	struct umx_ctl_hello h = {.version = UMX_CTL_VERSION};
	struct umx_msg *m = malloc(sizeof(*m));
	assert_int_equal(umx_msg_send(fd, UMX_CTL_HELLO, 1, &h, sizeof(h), NULL, 0), 0);
	assert_int_equal(umx_msg_recv(fd, m), 0);
	assert_int_equal(m->hdr.type, UMX_CTL_HELLO | UMX_CTL_REPLY);
	umx_msg_close_fds(m);
	free(m);
}

static void test_garbage_frames_drop_only_the_sender(void **state)
{
	struct umx_msg_hdr h;
	uint8_t big[UMX_MSG_MAX_PAYLOAD + 64];
	uint32_t domid;
	pid_t pid;
	int base_fds, fd, devnull;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(
	        umx_test_domain_fork(&d, "bystander", umx_test_domain_idle, NULL, &domid, &pid), 0);
	base_fds = umx_test_count_fds(d.pid);
	assert_true(base_fds > 0);

	/* 1: shorter than a header */
	fd = raw_connect();
	send_raw(fd, "abc", 3);
	assert_dropped(fd);

	/* 2: header length says more than arrived */
	fd = raw_connect();
	memset(&h, 0, sizeof(h));
	h.type = UMX_CTL_HELLO;
	h.len = 100;
	send_raw(fd, &h, sizeof(h));
	assert_dropped(fd);

	/* 3: oversize datagram (truncated by the kernel, seen via MSG_TRUNC) */
	fd = raw_connect();
	memset(big, 0xa5, sizeof(big));
	h.len = sizeof(big) - sizeof(h);
	memcpy(big, &h, sizeof(h));
	send_raw(fd, big, sizeof(big));
	assert_dropped(fd);

	/* 4: a descriptor the header does not declare (must be closed) */
	fd = raw_connect();
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	{
		struct umx_ctl_hello hh = {.version = UMX_CTL_VERSION};
		struct {
			struct umx_msg_hdr hdr;
			struct umx_ctl_hello body;
		} pkt = {{UMX_CTL_HELLO, sizeof(hh), 1, 0, 0}, hh};
		struct iovec iov = {&pkt, sizeof(pkt)};
		union {
			char b[CMSG_SPACE(sizeof(int))];
			struct cmsghdr a;
		} cb;
		struct msghdr mh = {.msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = cb.b,
		                    .msg_controllen = sizeof(cb.b)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &devnull, sizeof(int));
		assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)sizeof(pkt));
	}
	close(devnull);
	assert_dropped(fd);

	/* 5: reserved flags set */
	fd = raw_connect();
	{
		struct umx_ctl_hello hh = {.version = UMX_CTL_VERSION};
		struct {
			struct umx_msg_hdr hdr;
			struct umx_ctl_hello body;
		} pkt = {{UMX_CTL_HELLO, sizeof(hh), 1, 0, 0x8000}, hh};
		send_raw(fd, &pkt, sizeof(pkt));
	}
	assert_dropped(fd);

	/* 6: request before HELLO */
	fd = raw_connect();
	assert_int_equal(umx_msg_send(fd, UMX_CTL_DOMAIN_LIST, 1, "\0\0\0\0\0\0\0\0", 8, NULL, 0),
	                 0);
	assert_dropped(fd);

	/* 7: unknown type, 8: a reply sent as a request, 9: wrong payload size */
	fd = raw_connect();
	hello(fd);
	assert_int_equal(umx_msg_send(fd, 0x7777, 2, NULL, 0, NULL, 0), 0);
	assert_dropped(fd);
	fd = raw_connect();
	hello(fd);
	assert_int_equal(umx_msg_send(fd, UMX_CTL_HELLO | UMX_CTL_REPLY, 2, NULL, 0, NULL, 0), 0);
	assert_dropped(fd);
	fd = raw_connect();
	hello(fd);
	assert_int_equal(umx_msg_send(fd, UMX_CTL_DOMAIN_DESTROY, 2, "xyz", 3, NULL, 0), 0);
	assert_dropped(fd);

	/* 10: wrong protocol version */
	fd = raw_connect();
	{
		struct umx_ctl_hello hh = {.version = 999};
		assert_int_equal(umx_msg_send(fd, UMX_CTL_HELLO, 1, &hh, sizeof(hh), NULL, 0), 0);
	}
	assert_dropped(fd);

	/* 11: random datagrams */
	srand(1234);
	for (int i = 0; i < 200; i++) {
		uint8_t buf[256];
		size_t len = (size_t)(rand() % (int)sizeof(buf));
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rand();
		fd = raw_connect();
		if (len)
			send_raw(fd, buf, len);
		else
			shutdown(fd, SHUT_WR);
		assert_dropped(fd);
	}

	/* Nothing leaked, and everyone else is fine. */
	assert_int_equal(umx_test_wait_fds(d.pid, base_fds), base_fds);
	{
		struct umx_ctl_domain_info info[4];
		int n = umx_domain_list(d.ts, 0, info, 4);
		assert_int_equal(n, 1);
		assert_int_equal(info[0].domid, domid);
		assert_int_equal(info[0].state, UMX_DOM_RUNNING);
	}
	kill(pid, SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, domid, pid), 128 + SIGKILL);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

static void test_other_uid_refused(void **state)
{
	pid_t pid;
	int st;
	(void)state;

	if (getuid() != 0) {
		print_message("skipped: needs root to become another uid\n");
		skip();
	}
	assert_int_equal(umx_test_daemon_start(&d), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		umx_conn *c;
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(20);
		/* Both the 0700 directory and the SO_PEERCRED check stand in
		 * the way; either refusal is a refusal. */
		_exit(umx_conn_open_toolstack(d.dir, &c) < 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_garbage_frames_drop_only_the_sender),
	        cmocka_unit_test(test_other_uid_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
