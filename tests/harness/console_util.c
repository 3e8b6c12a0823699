/* SPDX-License-Identifier: MIT */
/* Console test helpers (console_util.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "console_util.h"
#include "umx/xs.h"

void ct_wait_go(struct cpair *cp, int which)
{
	int *go = which ? cp->go_back : cp->go_front;

	close(go[1]);
	cp->front_dom = umx_test_get_u32(go[0]);
	cp->back_dom = umx_test_get_u32(go[0]);
	close(go[0]);
	CHILD_CHECK(cp->front_dom != 0xffffffffu && cp->back_dom != 0xffffffffu);
}

umx_console *ct_front(struct cpair *cp, umx_plat **p)
{
	umx_console *c = NULL;

	ct_wait_go(cp, 0);
	CHILD_CHECK_OK(umx_plat_open(NULL, p));
	CHILD_CHECK_OK(umx_console_front_open(*p, cp->devid, &c));
	return c;
}

umx_console *ct_back(struct cpair *cp, umx_plat **p)
{
	umx_console *c = NULL;
	int r;

	ct_wait_go(cp, 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, p));
	for (int i = 0; i < 1000; i++) {
		r = umx_console_back_open(*p, cp->front_dom, cp->devid, &c);
		if (r != -EAGAIN)
			break;
		usleep(10000);
	}
	CHILD_CHECK_OK(r);
	return c;
}

void ct_run(struct cpair *cp, int (*front)(void *), int want_front, int (*back)(void *),
            int want_back)
{
	struct umx_test_daemon d;
	uint32_t dom[2];
	pid_t pid[2];
	int want[2] = {want_front, want_back};
	umx_xs *ts;

	assert_int_equal(pipe(cp->go_front), 0);
	assert_int_equal(pipe(cp->go_back), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "back", back, cp, &dom[1], &pid[1]), 0);
	assert_int_equal(umx_test_domain_fork(&d, "front", front, cp, &dom[0], &pid[0]), 0);
	close(cp->go_front[0]);
	close(cp->go_back[0]);
	assert_int_equal(umx_xs_open(&ts), 0);
	assert_int_equal(umx_console_toolstack_add(ts, dom[0], cp->devid, dom[1]), 0);
	for (int i = 0; i < 2; i++) {
		int fd = i ? cp->go_back[1] : cp->go_front[1];
		assert_int_equal(umx_test_put_u32(fd, dom[0]), 0);
		assert_int_equal(umx_test_put_u32(fd, dom[1]), 0);
		close(fd);
	}
	umx_test_domains_reap(&d, 2, dom, pid, want);
	assert_int_equal(umx_test_wait_no_domains(&d), 0);
	umx_xs_close(ts);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

void ct_fill(uint32_t seed, uint64_t off, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = ct_byte(seed, off + i);
}

long ct_check(uint32_t seed, uint64_t off, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != ct_byte(seed, off + i))
			return (long)i;
	return -1;
}

int ct_pump(umx_console *c, int front, uint64_t total_out, uint64_t total_in, size_t chunk_max)
{
	uint8_t buf[4096];
	uint64_t out = 0, in = 0;
	uint32_t seed_out = front ? 1 : 2, seed_in = front ? 2 : 1;
	unsigned step = 0;
	int r;

	if (chunk_max > sizeof(buf))
		chunk_max = sizeof(buf);
	while (out < total_out || in < total_in) {
		bool moved = false;
		if (out < total_out) {
			size_t n = 1 + (step++ * 37u) % chunk_max;
			if (n > total_out - out)
				n = (size_t)(total_out - out);
			ct_fill(seed_out, out, buf, n);
			r = umx_console_write(c, buf, n);
			CHILD_CHECK_OK(r);
			out += (uint64_t)r;
			moved |= r > 0;
		}
		if (in < total_in) {
			size_t n = 1 + (step++ * 53u) % chunk_max;
			if (n > total_in - in)
				n = (size_t)(total_in - in);
			r = umx_console_read(c, buf, n);
			CHILD_CHECK_OK(r);
			if (r > 0 && ct_check(seed_in, in, buf, (size_t)r) >= 0) {
				fprintf(stderr, "byte %lld of the stream is wrong\n",
				        (long long)(in + (uint64_t)ct_check(seed_in, in, buf,
				                                            (size_t)r)));
				CHILD_FAIL("bytes differ");
			}
			in += (uint64_t)r;
			moved |= r > 0;
		}
		if (!moved)
			CHILD_CHECK(umx_console_wait(c, 5000) == 1);
	}
	return 0;
}
