/* SPDX-License-Identifier: MIT */
/* The libxenstore drop-in's test groups: one private umxd per group
 * (Grp), the drop-in dlopen'ed as Xen binaries load it, and XS(fn) calling
 * Xen's @fn in it — in Grp.lib, or in a forked domain's own copy after
 * that domain sets L = compat_lib("libxenstore.so.4"). */
#ifndef COMPAT_XS_GROUP_H
#define COMPAT_XS_GROUP_H

#include <xenstore.h>

#include "compat_util.h"

static struct compat_group Grp;
static void *L;
#define XS(fn) COMPAT_SYM(L, fn)

static int setup(void **state)
{
	(void)state;
	if (compat_group_setup(&Grp, "libxenstore.so.4") < 0)
		return -1;
	L = Grp.lib;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return compat_group_teardown(&Grp);
}

#endif
