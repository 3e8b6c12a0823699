/* SPDX-License-Identifier: MIT */
/* Helpers for the tests of the drop-in Xen libraries (compat/): they are
 * dlopen'ed from the build tree, as Xen binaries would load them, and
 * called through pointers typed by Xen's own headers. */
#ifndef COMPAT_UTIL_H
#define COMPAT_UTIL_H

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umx_test.h"

/* The drop-in @soname (e.g. "libxenstore.so.4") from <build>/compat/lib,
 * found next to $UMX (<build>/tools/umx). NULL, with a message, if not. */
static inline void *compat_lib(const char *soname)
{
	char path[4096], *umx = getenv("UMX"), *dup;
	void *h;

	if (!umx || !(dup = strdup(umx)))
		return NULL;
	snprintf(path, sizeof(path), "%s/../compat/lib/%s", dirname(dup), soname);
	free(dup);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
	return h;
}

static inline void *compat_sym(void *lib, const char *name)
{
	void *p = lib ? dlsym(lib, name) : NULL;

	if (!p) {
		fprintf(stderr, "compat: no symbol %s\n", name);
		abort();
	}
	return p;
}

/* @fn's own prototype from Xen's header, resolved in @lib. */
#define COMPAT_SYM(lib, fn) ((__typeof__(&fn))compat_sym(lib, #fn))

/* In a forked domain, where cmocka cannot fail the test: report and make
 * the domain exit with 1. */
#define CHECK(c)                                                                              \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			fprintf(stderr, "%s:%d: CHECK(%s) failed, errno %d (%s)\n", __FILE__, \
			        __LINE__, #c, errno, strerror(errno));                        \
			return 1;                                                             \
		}                                                                             \
	} while (0)

/* A private umxd for a group of toolstack-side tests, and the drop-in
 * they call (cmocka group setup/teardown bodies). */
struct compat_group {
	struct umx_test_daemon d;
	void *lib;
};

static inline int compat_group_setup(struct compat_group *g, const char *soname)
{
	if (umx_test_daemon_start(&g->d) < 0)
		return -1;
	return (g->lib = compat_lib(soname)) ? 0 : -1;
}

static inline int compat_group_teardown(struct compat_group *g)
{
	return umx_test_daemon_stop(&g->d);
}

/* 1 if @fd becomes readable within @ms, 0 if not, -1 on error. */
static inline int compat_readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return r < 0 ? -1 : r > 0 && (p.revents & POLLIN);
}

#endif
