/* SPDX-License-Identifier: MIT */
/* Fixture shared by the XenStore wire tests: one in-process store with
 * dom0 connected, and optionally domains 5 and 6 introduced and connected,
 * each test speaking raw xs_wire to it (xs_rawmsg.h). */
#ifndef XS_UTIL_H
#define XS_UTIL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "umx_test.h"
#include "xenstore/xs_rawmsg.h"

struct xs_fx {
	struct xs_store *st;
	struct xs_conn *d0;
	struct xs_conn *w0;      /* a second dom0 connection, to watch from */
	struct xs_conn *d5, *d6; /* NULL unless the fixture introduced them */
	struct xs_raw_reply r;   /* the last reply */
};

/* cmocka setup body: a fresh store with dom0 connected; with @name5 (and
 * @name6), domains 5 and 6 are introduced under those names and connected;
 * with @watcher, dom0 gets the second connection w0. */
int xs_fx_setup(void **state, const char *name5, const char *name6, bool watcher);

/* The store owns its connections: freeing it frees them too. */
int xs_fx_teardown(void **state);

/* @type (a call's result) must be XS_ERROR with body @err. */
void xs_fx_is_err(struct xs_fx *f, int type, const char *err);

#endif
