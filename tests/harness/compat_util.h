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
void *compat_lib(const char *soname);

/* Symbol @name of @lib; aborts if missing (our own drop-in lacks a
 * function Xen's header declares: a build defect, not a test failure). */
void *compat_sym(void *lib, const char *name);

/* @fn's own prototype from Xen's header, resolved in @lib. */
#define COMPAT_SYM(lib, fn) ((__typeof__(&fn))compat_sym(lib, #fn))

/* A private umxd for a group of toolstack-side tests, and the drop-in
 * they call (cmocka group setup/teardown bodies). */
struct compat_group {
	struct umx_test_daemon d;
	void *lib;
};

/* Start the group's umxd and load @soname; 0 or -1. Teardown stops umxd
 * and returns its exit status. */
int compat_group_setup(struct compat_group *g, const char *soname);
int compat_group_teardown(struct compat_group *g);

/* 1 if @fd becomes readable within @ms, 0 if not, -1 on error. */
int compat_readable(int fd, int ms);

#endif
