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

	if (!l)
		return 10;
	open_ = (void *(*)(void *, unsigned))dlsym(l, "xengnttab_open");
	map = (void *(*)(void *, uint32_t, uint32_t, int))dlsym(l, "xengnttab_map_grant_ref");
	unmap = (int (*)(void *, void *, uint32_t))dlsym(l, "xengnttab_unmap");
	if (!open_ || !map || !unmap || !(h = open_(NULL, 0)))
		return 11;
	if (xfer(p->g2m[0], msg, sizeof(msg), 0) < 0)
		return 12;
	va = map(h, msg[0], msg[1], PROT_READ | PROT_WRITE);
	if (!va || strcmp(va, "for you"))
		return 13;
	if (xfer(p->m2g[1], &c, 1, 1) < 0 || xfer(p->g2m[0], &c, 1, 0) < 0)
		return 14;
	for (size_t i = 0; i + 6 <= 4096; i++)
		if (!memcmp(va + i, "SECRET", 6))
			return 15; /* the bug MSA02 is about */
	if (strcmp(va, "for you") || unmap(h, va, 1) < 0)
		return 16;
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

	if (!l)
		return 20;
	open_ = (void *(*)(void *, unsigned))dlsym(l, "xengntshr_open");
	share = (void *(*)(void *, uint32_t, int, uint32_t *, int))dlsym(l,
	                                                                 "xengntshr_share_pages");
	unshare = (int (*)(void *, void *, uint32_t))dlsym(l, "xengntshr_unshare");
	if (!open_ || !share || !unshare || !(h = open_(NULL, 0)))
		return 21;
	if (xfer(p->g2m[0], &msg[0], sizeof(msg[0]), 0) < 0) /* own domid, from the parent */
		return 22;
	if (!(va = share(h, p->peer, 1, &msg[1], 1)))
		return 23;
	strcpy(va, "for you");
	if (xfer(p->g2m[1], msg, sizeof(msg), 1) < 0 || xfer(p->m2g[0], &c, 1, 0) < 0)
		return 24;
	if (unshare(h, va, 1) != 0) /* still mapped: deferred, not an error */
		return 25;
	for (int i = 0; i < 40; i++) {
		uint32_t ref;
		if (!(more[i] = share(h, p->peer, 1, &ref, 1)))
			return 26;
		memset(more[i], 0, 4096);
		for (int j = 0; j + 6 <= 4096; j += 6)
			memcpy((char *)more[i] + j, "SECRET", 6);
	}
	if (xfer(p->g2m[1], &c, 1, 1) < 0 || xfer(p->m2g[0], &c, 1, 0) < 0)
		return 27;
	for (int i = 0; i < 40; i++)
		if (unshare(h, more[i], 1) != 0)
			return 28;
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
