/* SPDX-License-Identifier: MIT */
/* Through the drop-in libxengnttab (dlopen'ed from the build tree):
 * xengntshr_unshare of a page the peer still maps succeeds as gntalloc's
 * does, yet the page is never handed out again while mapped (MSA02): a
 * canary written to 40 later shares never shows in the peer's mapping. */
#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/grant.h"

struct pipes {
	int g2m[2], m2g[2];
	uint32_t peer;
};

static void *lib(void)
{
	char path[4096], *umx = getenv("UMX");
	void *h;

	if (!umx)
		return NULL;
	snprintf(path, sizeof(path), "%s/../compat/lib/libxengnttab.so.1", dirname(strdup(umx)));
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fprintf(stderr, "dlopen: %s\n", dlerror());
	return h;
}

static int xfer(int fd, void *buf, size_t len, int wr)
{
	ssize_t n = wr ? write(fd, buf, len) : read(fd, buf, len);
	return n == (ssize_t)len ? 0 : -1;
}

static int mapper(void *arg)
{
	struct pipes *p = arg;
	void *l = lib(), *h;
	void *(*open_)(void *, unsigned);
	void *(*map)(void *, uint32_t, uint32_t, int);
	int (*unmap)(void *, void *, uint32_t);
	uint32_t msg[2]; /* granter, ref */
	char *va, c = 1;

	CHILD_CHECK(l);
	open_ = (void *(*)(void *, unsigned))dlsym(l, "xengnttab_open");
	map = (void *(*)(void *, uint32_t, uint32_t, int))dlsym(l, "xengnttab_map_grant_ref");
	unmap = (int (*)(void *, void *, uint32_t))dlsym(l, "xengnttab_unmap");
	CHILD_CHECK(open_);
	CHILD_CHECK(map);
	CHILD_CHECK(unmap);
	CHILD_CHECK((h = open_(NULL, 0)));
	CHILD_CHECK(xfer(p->g2m[0], msg, sizeof(msg), 0) >= 0);
	va = map(h, msg[0], msg[1], PROT_READ | PROT_WRITE);
	CHILD_CHECK(va);
	CHILD_CHECK(strcmp(va, "for you") == 0);
	CHILD_CHECK(xfer(p->m2g[1], &c, 1, 1) >= 0);
	CHILD_CHECK(xfer(p->g2m[0], &c, 1, 0) >= 0);
	for (size_t i = 0; i + 6 <= UMX_PAGE_SIZE; i++)
		CHILD_CHECK(memcmp(va + i, "SECRET", 6) != 0); /* the bug MSA02 is about */
	CHILD_CHECK(strcmp(va, "for you") == 0);
	CHILD_CHECK(unmap(h, va, 1) >= 0);
	return xfer(p->m2g[1], &c, 1, 1) < 0 ? 17 : 0;
}

static int granter(void *arg)
{
	struct pipes *p = arg;
	void *l = lib(), *h, *more[40];
	void *(*open_)(void *, unsigned);
	void *(*share)(void *, uint32_t, int, uint32_t *, int);
	int (*unshare)(void *, void *, uint32_t);
	uint32_t msg[2];
	char *va, c;

	CHILD_CHECK(l);
	open_ = (void *(*)(void *, unsigned))dlsym(l, "xengntshr_open");
	share = (void *(*)(void *, uint32_t, int, uint32_t *, int))dlsym(l,
	                                                                 "xengntshr_share_pages");
	unshare = (int (*)(void *, void *, uint32_t))dlsym(l, "xengntshr_unshare");
	CHILD_CHECK(open_);
	CHILD_CHECK(share);
	CHILD_CHECK(unshare);
	CHILD_CHECK((h = open_(NULL, 0)));
	CHILD_CHECK(xfer(p->g2m[0], &msg[0], sizeof(msg[0]), 0) >=
	            0); /* own domid, from the parent */
	CHILD_CHECK((va = share(h, p->peer, 1, &msg[1], 1)));
	strcpy(va, "for you");
	CHILD_CHECK(xfer(p->g2m[1], msg, sizeof(msg), 1) >= 0);
	CHILD_CHECK(xfer(p->m2g[0], &c, 1, 0) >= 0);
	CHILD_CHECK(unshare(h, va, 1) == 0); /* still mapped: deferred, not an error */
	for (int i = 0; i < 40; i++) {
		uint32_t ref;
		CHILD_CHECK((more[i] = share(h, p->peer, 1, &ref, 1)));
		memset(more[i], 0, UMX_PAGE_SIZE);
		for (unsigned j = 0; j + 6 <= UMX_PAGE_SIZE; j += 6)
			memcpy((char *)more[i] + j, "SECRET", 6);
	}
	CHILD_CHECK(xfer(p->g2m[1], &c, 1, 1) >= 0);
	CHILD_CHECK(xfer(p->m2g[0], &c, 1, 0) >= 0);
	for (int i = 0; i < 40; i++)
		CHILD_CHECK(unshare(h, more[i], 1) == 0);
	return 0;
}

static void unshare_mapped_not_reused(void **state)
{
	struct umx_test_daemon d;
	struct pipes pm, pg;
	int g2m[2], m2g[2], self[2];
	uint32_t mdom, gdom;
	pid_t mpid, gpid;

	(void)state;
	assert_int_equal(pipe(g2m), 0);
	assert_int_equal(pipe(m2g), 0);
	assert_int_equal(pipe(self), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	/* mapper reads g2m, writes m2g; granter reads its domid from self. */
	pm = (struct pipes){{g2m[0], g2m[1]}, {m2g[0], m2g[1]}, 0};
	assert_int_equal(umx_test_domain_fork(&d, "mapper", mapper, &pm, &mdom, &mpid), 0);
	pg = (struct pipes){{self[0], g2m[1]}, {m2g[0], m2g[1]}, mdom};
	assert_int_equal(umx_test_domain_fork(&d, "granter", granter, &pg, &gdom, &gpid), 0);
	assert_int_equal(write(self[1], &gdom, sizeof(gdom)), (ssize_t)sizeof(gdom));
	assert_int_equal(umx_test_domain_reap(&d, mdom, mpid), 0);
	assert_int_equal(umx_test_domain_reap(&d, gdom, gpid), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(unshare_mapped_not_reused)};
	if (!getenv("UMX")) {
		printf("SKIP: UMX not set (run under ctest)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
