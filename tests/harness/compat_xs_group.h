/* SPDX-License-Identifier: MIT */
/* The libxenstore drop-in's test groups: one private umxd per group
 * (compat_xs), the drop-in dlopen'ed as Xen binaries load it, and XS(fn)
 * calling Xen's @fn in it: in compat_xs.lib, or in a forked domain's own
 * copy after that domain sets compat_xs_lib = compat_lib("libxenstore.so.4"). */
#ifndef COMPAT_XS_GROUP_H
#define COMPAT_XS_GROUP_H

#include <xenstore.h>

#include "compat_util.h"

extern struct compat_group compat_xs;
/* The library XS() resolves in: compat_xs.lib after compat_xs_setup. */
extern void *compat_xs_lib;
#define XS(fn) COMPAT_SYM(compat_xs_lib, fn)

/* cmocka group setup and teardown bodies. */
int compat_xs_setup(void **state);
int compat_xs_teardown(void **state);

#endif
