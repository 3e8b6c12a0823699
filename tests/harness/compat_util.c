/* SPDX-License-Identifier: MIT */
/* Definitions for compat_util.h (declarations and contracts there). */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_util.h"
#include "compat_xs_group.h"

void *compat_lib(const char *soname)
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

void *compat_sym(void *lib, const char *name)
{
	void *p = lib ? dlsym(lib, name) : NULL;

	if (!p) {
		fprintf(stderr, "compat: no symbol %s\n", name);
		abort();
	}
	return p;
}

int compat_group_setup(struct compat_group *g, const char *soname)
{
	if (umx_test_daemon_start(&g->d) < 0)
		return -1;
	return (g->lib = compat_lib(soname)) ? 0 : -1;
}

int compat_group_teardown(struct compat_group *g)
{
	return umx_test_daemon_stop(&g->d);
}

int compat_readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return r < 0 ? -1 : r > 0 && (p.revents & POLLIN);
}

struct compat_group compat_xs;
void *compat_xs_lib;

int compat_xs_setup(void **state)
{
	(void)state;
	if (compat_group_setup(&compat_xs, "libxenstore.so.4") < 0)
		return -1;
	compat_xs_lib = compat_xs.lib;
	return 0;
}

int compat_xs_teardown(void **state)
{
	(void)state;
	return compat_group_teardown(&compat_xs);
}
