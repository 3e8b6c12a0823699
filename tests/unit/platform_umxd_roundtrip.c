/* SPDX-License-Identifier: MIT */
/* The platform interface on umxd: a backend shares pages and offers a
 * port through the store (with read permission for its peer), a frontend
 * finds them there, maps, binds, exchanges data and events; unshare
 * reports -EBUSY while mapped; the mapper's unmap notify clears the byte. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/platform.h"

struct pair {
	int to_front[2];
	int to_back[2];
	uint32_t front_domid;
};

static int wait_port(umx_plat *p, uint32_t port)
{
	struct pollfd pf = {.fd = umx_plat_evtchn_fd(p), .events = POLLIN};
	for (int i = 0; i < 100; i++) {
		int r = umx_plat_evtchn_pending(p);
		if (r >= 0) {
			umx_plat_evtchn_unmask(p, (uint32_t)r);
			if ((uint32_t)r == port)
				return 0;
			continue;
		}
		if (poll(&pf, 1, 2000) <= 0)
			return -1;
	}
	return -1;
}

static int back(void *arg)
{
	struct pair *pr = arg;
	umx_plat *p;
	umx_plat_shared *s;
	char path[64], val[32], c;
	const char *perms[2];
	char p0[16], p1[16];
	volatile uint8_t *page;
	int port;

	CHILD_CHECK(read(pr->to_back[0], &c, 1) == 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK(strcmp(umx_plat_name(p), "umxd") == 0);
	CHILD_CHECK_OK(umx_plat_share(p, pr->front_domid, 2, false, NULL, &s));
	port = umx_plat_evtchn_alloc_unbound(p, pr->front_domid);
	CHILD_CHECK_OK(port);
	page = umx_plat_share_addr(s);
	page[UMX_PAGE_SIZE + 7] = 1; /* the byte the mapper's unmap notify clears */
	snprintf(p0, sizeof(p0), "n%u", umx_plat_domid(p));
	snprintf(p1, sizeof(p1), "r%u", pr->front_domid);
	perms[0] = p0;
	perms[1] = p1;
	snprintf(val, sizeof(val), "%u %u %u %d", umx_plat_share_ref(s, 0),
	         umx_plat_share_ref(s, 1), umx_plat_domid(p), port);
	snprintf(path, sizeof(path), "data/offer");
	CHILD_CHECK_OK(umx_xs_write_str(umx_plat_xs(p), 0, path, val));
	CHILD_CHECK_OK(umx_xs_set_perms(umx_plat_xs(p), 0, path, perms, 2));
	CHILD_CHECK(write(pr->to_front[1], "o", 1) == 1);
	CHILD_CHECK_OK(wait_port(p, (uint32_t)port));
	CHILD_CHECK(strcmp((const char *)page, "hello from front") == 0);
	CHILD_CHECK(umx_plat_unshare(p, s) == -EBUSY); /* still mapped */
	CHILD_CHECK(write(pr->to_front[1], "u", 1) == 1);
	CHILD_CHECK_OK(wait_port(p, (uint32_t)port)); /* the unmap notify event */
	umx_plat_close(p);
	return 0;
}

static int front(void *arg)
{
	struct pair *pr = arg;
	umx_plat *p;
	umx_plat_mapped *m;
	struct umx_gnt_notify n = {UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT, UMX_PAGE_SIZE + 7,
	                           0};
	char *val, path[64], c;
	uint32_t refs[2], bdom;
	int bport, port;
	uint8_t *page;

	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK(write(pr->to_back[1], "s", 1) == 1);
	CHILD_CHECK(read(pr->to_front[0], &c, 1) == 1);
	/* Find the offer in the store, by the backend's domid. */
	for (bdom = 1; bdom < 16; bdom++) {
		snprintf(path, sizeof(path), "/local/domain/%u/data/offer", bdom);
		if (umx_xs_read(umx_plat_xs(p), 0, path, &val, NULL) == 0)
			break;
	}
	CHILD_CHECK(bdom != 16);
	CHILD_CHECK(sscanf(val, "%u %u %u %d", &refs[0], &refs[1], &bdom, &bport) == 4);
	free(val);
	port = umx_plat_evtchn_bind_interdomain(p, bdom, (uint32_t)bport);
	CHILD_CHECK_OK(port);
	n.port = (uint32_t)port;
	CHILD_CHECK_OK(umx_plat_map(p, bdom, 2, refs, false, &n, &m));
	page = umx_plat_map_addr(m);
	CHILD_CHECK(page[UMX_PAGE_SIZE + 7] == 1);
	strcpy((char *)page, "hello from front");
	CHILD_CHECK_OK(umx_plat_evtchn_notify(p, (uint32_t)port));
	CHILD_CHECK(read(pr->to_front[0], &c, 1) == 1);
	CHILD_CHECK_OK(umx_plat_unmap(p, m));
	umx_plat_close(p);
	return 0;
}

static void test_platform_umxd_roundtrip(void **state)
{
	struct umx_test_daemon d;
	struct pair pr;
	uint32_t fdom, bdom;
	pid_t fpid, bpid;
	(void)state;

	assert_int_equal(pipe(pr.to_front), 0);
	assert_int_equal(pipe(pr.to_back), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	/* The front's domid is known before the back starts. */
	assert_int_equal(umx_test_domain_fork(&d, "front", front, &pr, &fdom, &fpid), 0);
	pr.front_domid = fdom;
	assert_int_equal(umx_test_domain_fork(&d, "back", back, &pr, &bdom, &bpid), 0);
	assert_int_equal(umx_test_domain_reap(&d, fdom, fpid), 0);
	assert_int_equal(umx_test_domain_reap(&d, bdom, bpid), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_platform_umxd_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
