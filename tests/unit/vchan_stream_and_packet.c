/* SPDX-License-Identifier: MIT */
/* vchan between two domains: streams of random-sized writes and reads and
 * all-or-nothing packets of random sizes, both directions, checked byte for
 * byte, with in-page rings (orders 10/11) and multi-page rings; the
 * server's close is the client's end of stream. */
#include <errno.h>
#include <stdlib.h>

#include "vchan_util.h"

#define STREAM_BYTES (3u << 20)
#define PACKETS      3000

static int send_stream(umx_vchan *v, uint64_t seed, size_t total)
{
	static uint8_t buf[200000];
	uint64_t rs = seed * 7 + 1, pos = 0;

	while (pos < total) {
		size_t n = (size_t)(vt_rand(&rs) % 70000) + 1;
		if (n > total - pos)
			n = total - pos;
		vt_fill(seed, pos, buf, n);
		if (umx_vchan_write(v, buf, n) != (int)n)
			return -1;
		pos += n;
	}
	return 0;
}

static int recv_stream(umx_vchan *v, uint64_t seed, size_t total)
{
	static uint8_t buf[200000];
	uint64_t rs = seed * 13 + 5, pos = 0;

	while (pos < total) {
		size_t n = (size_t)(vt_rand(&rs) % 90000) + 1;
		if (n > total - pos)
			n = total - pos;
		int r = umx_vchan_read(v, buf, n);
		if (r <= 0 || (size_t)r > n) {
			fprintf(stderr, "read %d at %llu\n", r, (unsigned long long)pos);
			return -1;
		}
		if (vt_check(seed, pos, buf, (size_t)r) >= 0) {
			fprintf(stderr, "mismatch at %llu\n", (unsigned long long)pos);
			return -1;
		}
		pos += (size_t)r;
	}
	return 0;
}

static int send_packets(umx_vchan *v, uint64_t seed)
{
	static uint8_t buf[1 << 20];
	uint64_t rs = seed, pos = 0;
	size_t max = umx_vchan_write_size(v);

	for (int i = 0; i < PACKETS; i++) {
		size_t n = (size_t)(vt_rand(&rs) % (max < 4096 ? max : 4096)) + 1;
		vt_fill(seed, pos, buf, n);
		if (umx_vchan_send(v, buf, n) != (int)n)
			return -1;
		pos += n;
	}
	/* A packet larger than the ring can never be sent. */
	return umx_vchan_send(v, buf, max + 1) == -EMSGSIZE ? 0 : -1;
}

static int recv_packets(umx_vchan *v, uint64_t seed)
{
	static uint8_t buf[1 << 20];
	uint64_t rs = seed, pos = 0;
	size_t max = umx_vchan_read_size(v);

	for (int i = 0; i < PACKETS; i++) {
		size_t n = (size_t)(vt_rand(&rs) % (max < 4096 ? max : 4096)) + 1;
		if (umx_vchan_recv(v, buf, n) != (int)n || vt_check(seed, pos, buf, n) >= 0)
			return -1;
		pos += n;
	}
	return umx_vchan_recv(v, buf, max + 1) == -EMSGSIZE ? 0 : -1;
}

static int server(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v = vt_server(vp);

	CHILD_CHECK(v);
	CHILD_CHECK_OK(send_stream(v, 1, STREAM_BYTES));
	CHILD_CHECK_OK(recv_stream(v, 2, STREAM_BYTES));
	CHILD_CHECK_OK(send_packets(v, 3));
	CHILD_CHECK_OK(recv_packets(v, 4));
	CHILD_CHECK(umx_vchan_is_open(v) == 1);
	umx_vchan_close(v);
	return 0;
}

static int client(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v = vt_client(vp);
	uint8_t c;

	CHILD_CHECK(v);
	CHILD_CHECK_OK(recv_stream(v, 1, STREAM_BYTES));
	CHILD_CHECK_OK(send_stream(v, 2, STREAM_BYTES));
	CHILD_CHECK_OK(recv_packets(v, 3));
	CHILD_CHECK_OK(send_packets(v, 4));
	/* The server closes once it has our packets: end of stream. */
	CHILD_CHECK(umx_vchan_read(v, &c, 1) == 0);
	CHILD_CHECK(umx_vchan_is_open(v) == 0);
	CHILD_CHECK(umx_vchan_write(v, &c, 1) == -EPIPE);
	umx_vchan_close(v);
	return 0;
}

static void run(size_t left_min, size_t right_min)
{
	struct umx_test_daemon d;
	struct vpair vp = {.left_min = left_min, .right_min = right_min};
	uint32_t dom[2];
	pid_t pid[2];

	assert_int_equal(umx_test_daemon_start(&d), 0);
	vt_start(&d, &vp, server, client, dom, pid);
	assert_int_equal(umx_test_domain_reap(&d, dom[0], pid[0]), 0);
	assert_int_equal(umx_test_domain_reap(&d, dom[1], pid[1]), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

static void test_in_page_rings_10_11(void **state)
{
	(void)state;
	run(1024, 2048);
}

static void test_in_page_rings_11_10(void **state)
{
	(void)state;
	run(2000, 1000);
}

static void test_multi_page_rings(void **state)
{
	(void)state;
	run(65536, 1 << 20);
}

static void test_mixed_in_page_and_granted(void **state)
{
	(void)state;
	run(2048, 16384);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_in_page_rings_10_11),
	        cmocka_unit_test(test_in_page_rings_11_10),
	        cmocka_unit_test(test_multi_page_rings),
	        cmocka_unit_test(test_mixed_in_page_and_granted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
