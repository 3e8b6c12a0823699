/* SPDX-License-Identifier: MIT */
/* Definitions for xs_util.h (declarations and contracts there). */
#include <stdlib.h>

#include "xs_util.h"

int xs_fx_setup(void **state, const char *name5, const char *name6, bool watcher)
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

int xs_fx_teardown(void **state)
{
	struct xs_fx *f = *state;

	xs_store_free(f->st);
	free(f);
	return 0;
}

void xs_fx_is_err(struct xs_fx *f, int type, const char *err)
{
	assert_int_equal(type, XS_ERROR);
	assert_string_equal(f->r.body, err);
}
