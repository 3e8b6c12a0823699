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
static inline int xs_fx_setup(void **state, const char *name5, const char *name6, bool watcher)
{
	struct xs_fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(xs_store_new(NULL, &f->st), 0);
	if (name5) {
		assert_int_equal(xs_store_domain_introduce(f->st, 5, name5), 0);
		assert_int_equal(xs_store_domain_introduce(f->st, 6, name6), 0);
	}
	f->d0 = xs_conn_new(f->st, 0, NULL, NULL);
	assert_non_null(f->d0);
	if (watcher) {
		f->w0 = xs_conn_new(f->st, 0, NULL, NULL);
		assert_non_null(f->w0);
	}
	if (name5) {
		f->d5 = xs_conn_new(f->st, 5, NULL, NULL);
		f->d6 = xs_conn_new(f->st, 6, NULL, NULL);
		assert_true(f->d5 && f->d6);
	}
	*state = f;
	return 0;
}

/* The store owns its connections: freeing it frees them too. */
static inline int xs_fx_teardown(void **state)
{
	struct xs_fx *f = *state;

	xs_store_free(f->st);
	free(f);
	return 0;
}

/* @type (a call's result) must be XS_ERROR with body @err. */
static inline void xs_fx_is_err(struct xs_fx *f, int type, const char *err)
{
	assert_int_equal(type, XS_ERROR);
	assert_string_equal(f->r.body, err);
}

#endif
