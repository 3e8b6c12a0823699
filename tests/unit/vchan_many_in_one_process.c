/* SPDX-License-Identifier: MIT */
/* Several vchans in one process: a server domain offers four vchans (in-page
 * and granted rings) to one client domain, which connects to all of them;
 * each carries its own stream, so grant references and ports of different
 * vchans never mix. */
#include <errno.h>
#include <stdlib.h>

#include "vchan_util.h"

#define NV 4

static const size_t sizes[NV] = {1024, 8192, 2048, 65536};

static int server(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v[NV];
	uint8_t buf[20000];
	char path[64];

	alarm(30);
	for (int i = 0; i < NV; i++) {
		snprintf(path, sizeof(path), "data/vchan/many/%d", i);
		CHILD_CHECK_OK(
		        umx_vchan_server_open(vp->client_domid, path, sizes[i], sizes[i], &v[i]));
	}
	for (int i = 0; i < NV; i++) {
		vt_fill(100 + (uint64_t)i, 0, buf, sizeof(buf));
		CHILD_CHECK(umx_vchan_write(v[i], buf, sizeof(buf)) == (int)sizeof(buf));
	}
	for (int i = 0; i < NV; i++) {
		uint8_t c;
		CHILD_CHECK(umx_vchan_read(v[i], &c, 1) == 0); /* the client closes each */
		umx_vchan_close(v[i]);
	}
	return 0;
}

static int client(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v[NV];
	uint32_t doms[2];
	uint8_t buf[20000];
	char path[96];

	alarm(30);
	CHILD_CHECK(read(vp->to_client[0], doms, sizeof(doms)) == sizeof(doms));
	for (int i = 0; i < NV; i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/data/vchan/many/%d", doms[0], i);
		CHILD_CHECK_OK(umx_vchan_client_open(doms[0], path, 10000, &v[i]));
	}
	for (int i = 0; i < NV; i++) {
		size_t got = 0;
		while (got < sizeof(buf)) {
			int r = umx_vchan_read(v[i], buf + got, sizeof(buf) - got);
			CHILD_CHECK(r > 0);
			got += (size_t)r;
		}
		if (vt_check(100 + (uint64_t)i, 0, buf, sizeof(buf)) >= 0) {
			fprintf(stderr, "vchan %d carries another vchan's data\n", i);
			CHILD_FAIL("data crossed between vchans");
		}
		umx_vchan_close(v[i]);
	}
	return 0;
}

static void test_many_vchans_in_one_process(void **state)
{
	struct vpair vp = {0};
	(void)state;

	vt_run(&vp, server, client);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_many_vchans_in_one_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
