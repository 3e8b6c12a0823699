/* SPDX-License-Identifier: MIT */
/* Non-blocking vchan: -EAGAIN on an empty ring and a full one, partial
 * stream writes, all-or-nothing packets (-EAGAIN leaves the ring untouched,
 * -EMSGSIZE beyond the ring), data-ready and buffer-space queries, and the
 * one descriptor becoming readable when the peer acts on what we asked. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "vchan_util.h"

static int s2c[2], c2s[2]; /* step handshakes between the two domains */

static int step_send(int fd)
{
	return write(fd, "s", 1) == 1 ? 0 : -1;
}

static int step_wait(int fd)
{
	char c;
	return read(fd, &c, 1) == 1 ? 0 : -1;
}

/* Wait until the vchan's fd is readable, then consume the event. */
static int fd_event(umx_vchan *v, int ms)
{
	struct pollfd pf = {.fd = umx_vchan_fd(v), .events = POLLIN};
	if (poll(&pf, 1, ms) != 1)
		return -1;
	return umx_vchan_wait(v, 0);
}

static int server(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v;
	uint8_t buf[8192];
	size_t ring;
	int r;

	alarm(20);
	CHILD_CHECK((v = vt_server(vp)));
	umx_vchan_set_blocking(v, false);
	ring = umx_vchan_write_size(v);
	CHILD_CHECK(ring == 4096);
	CHILD_CHECK(umx_vchan_read_size(v) == 4096);
	/* Empty: -EAGAIN, and data_ready() asks the client to notify us. */
	CHILD_CHECK(umx_vchan_read(v, buf, 10) == -EAGAIN);
	CHILD_CHECK(umx_vchan_recv(v, buf, 10) == -EAGAIN);
	CHILD_CHECK(umx_vchan_data_ready(v) == 0);
	CHILD_CHECK(step_send(s2c[1]) == 0);
	CHILD_CHECK(step_wait(c2s[0]) == 0); /* the client wrote 100 bytes */
	CHILD_CHECK_OK(fd_event(v, 5000));
	CHILD_CHECK(umx_vchan_data_ready(v) == 100);
	/* Packet bigger than what is there: nothing consumed. */
	CHILD_CHECK(umx_vchan_recv(v, buf, 101) == -EAGAIN);
	CHILD_CHECK(umx_vchan_data_ready(v) == 100);
	CHILD_CHECK(umx_vchan_recv(v, buf, ring + 1) == -EMSGSIZE);
	CHILD_CHECK(umx_vchan_recv(v, buf, 40) == 40);
	CHILD_CHECK(vt_check(5, 0, buf, 40) < 0);
	CHILD_CHECK(umx_vchan_read(v, buf, sizeof(buf)) == 60);
	CHILD_CHECK(vt_check(5, 40, buf, 60) < 0);
	/* Fill our write ring: a partial stream write, then -EAGAIN. */
	vt_fill(6, 0, buf, sizeof(buf));
	CHILD_CHECK((r = umx_vchan_write(v, buf, 3000)) == 3000);
	CHILD_CHECK((r = umx_vchan_write(v, buf + 3000, 3000)) == (int)ring - 3000);
	CHILD_CHECK(umx_vchan_write(v, buf, 1) == -EAGAIN);
	CHILD_CHECK(umx_vchan_send(v, buf, 1) == -EAGAIN);
	CHILD_CHECK(umx_vchan_buffer_space(v) == 0);
	CHILD_CHECK(umx_vchan_send(v, buf, ring + 1) == -EMSGSIZE);
	while (umx_vchan_wait(v, 0) == 0)
		; /* drop events so far */
	CHILD_CHECK(step_send(s2c[1]) == 0);
	/* The client reads 1000 bytes; buffer_space() asked for that event. */
	CHILD_CHECK_OK(fd_event(v, 5000));
	CHILD_CHECK(umx_vchan_buffer_space(v) == 1000);
	CHILD_CHECK(umx_vchan_send(v, buf, 1001) == -EAGAIN);
	CHILD_CHECK(umx_vchan_send(v, buf, 1000) == 1000);
	CHILD_CHECK(step_wait(c2s[0]) == 0);
	umx_vchan_close(v);
	return 0;
}

static int client(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v;
	uint8_t buf[8192];

	alarm(20);
	CHILD_CHECK((v = vt_client(vp)));
	umx_vchan_set_blocking(v, false);
	CHILD_CHECK(step_wait(s2c[0]) == 0);
	vt_fill(5, 0, buf, 100);
	CHILD_CHECK(umx_vchan_write(v, buf, 100) == 100);
	CHILD_CHECK(step_send(c2s[1]) == 0);
	CHILD_CHECK(step_wait(s2c[0]) == 0); /* the server filled the ring */
	CHILD_CHECK(umx_vchan_data_ready(v) == 4096);
	CHILD_CHECK(umx_vchan_read(v, buf, 1000) == 1000);
	CHILD_CHECK(vt_check(6, 0, buf, 1000) < 0);
	/* Wait for the server's 1000-byte packet. */
	while (umx_vchan_data_ready(v) < 4096)
		CHILD_CHECK_OK(fd_event(v, 5000));
	CHILD_CHECK(umx_vchan_read(v, buf, sizeof(buf)) == 4096);
	/* Events for what we already consumed may still be in flight: let
	 * them land, drop them; then nothing is pending. */
	usleep(50000);
	while (umx_vchan_wait(v, 0) == 0)
		;
	CHILD_CHECK(umx_vchan_read(v, buf, 1) == -EAGAIN);
	CHILD_CHECK(umx_vchan_wait(v, 0) == -ETIMEDOUT);
	CHILD_CHECK(step_send(c2s[1]) == 0);
	umx_vchan_close(v);
	return 0;
}

static void test_nonblocking(void **state)
{
	struct vpair vp = {.left_min = 4096, .right_min = 4096};
	(void)state;

	assert_int_equal(pipe(s2c), 0);
	assert_int_equal(pipe(c2s), 0);
	vt_run(&vp, server, client);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_nonblocking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
