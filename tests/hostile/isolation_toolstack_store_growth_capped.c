/* SPDX-License-Identifier: MIT */
/* The toolstack cannot grow umxd without bound through the store: writing
 * ever more data as dom0 ends in the total cap's error (ENOSPC) at the cap
 * umxd was given (UMXD_XS_TOOLSTACK_MEMORY, 16 MiB here; 256 MiB by
 * default); after that, more nodes, small or big, and a transaction are
 * refused too, umxd's RSS stays bounded and does not grow; removing the
 * data makes room again. */
#include "umx/xs.h"
#include "isolation_util.h"

#define VALUE_LEN   4000u
#define CAP_BYTES   (16ull << 20)
#define LIMIT_BYTES (4 * CAP_BYTES) /* the test gives up here: no cap */

static void test_toolstack_store_growth_capped(void **state)
{
	struct umx_test_daemon d;
	static char value[VALUE_LEN];
	char path[256], xs_path[160];
	unsigned long long written = 0;
	long rss0, rss_cap, rss_after;
	unsigned i = 0;
	uint32_t tx;
	umx_xs *xs;
	int r = 0;

	(void)state;
	memset(value, 'x', sizeof(value));
	setenv("UMXD_XS_TOOLSTACK_MEMORY", "16777216", 1);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	rss0 = umx_test_rss_kib(d.pid);
	snprintf(xs_path, sizeof(xs_path), "%s/xenstored", d.dir);
	assert_int_equal(umx_xs_open_path(xs_path, &xs), 0);
	while (written < LIMIT_BYTES) {
		snprintf(path, sizeof(path), "/tool/fill/%u", i++);
		if ((r = umx_xs_write(xs, 0, path, value, sizeof(value))) < 0)
			break;
		written += sizeof(value);
	}
	fprintf(stderr, "wrote %llu KiB in %u nodes, then: %s; umxd RSS %ld KiB\n", written >> 10,
	        i - 1, r ? strerror(-r) : "no error", umx_test_rss_kib(d.pid));
	assert_int_equal(r, -ENOSPC);
	assert_true(written <= CAP_BYTES);
	rss_cap = umx_test_rss_kib(d.pid);
	/* What the cap admits, with the sanitizers' overhead, and no more. */
	assert_true(rss_cap - rss0 < (long)(4 * CAP_BYTES >> 10));
	/* At the cap, nothing grows it: new nodes, small or big, and a
	 * transaction's writes. */
	for (unsigned j = 0; j < 2000; j++) {
		snprintf(path, sizeof(path), "/tool/more/%u", j);
		assert_int_equal(umx_xs_write(xs, 0, path, value, j % 2 ? 1 : sizeof(value)),
		                 -ENOSPC);
	}
	/* A transaction is refused at its start, or at its write or commit. */
	r = umx_xs_transaction_start(xs, &tx);
	if (r == 0) {
		r = umx_xs_write(xs, tx, "/tool/more/tx", value, sizeof(value));
		if (r == 0)
			r = umx_xs_transaction_end(xs, tx, true);
		else
			umx_xs_transaction_end(xs, tx, false);
	}
	assert_int_equal(r, -ENOSPC);
	rss_after = umx_test_rss_kib(d.pid);
	fprintf(stderr, "umxd RSS at the cap %ld KiB, after 2000 more tries %ld KiB\n", rss_cap,
	        rss_after);
	assert_true(rss_after - rss_cap < 4096);
	/* The cap counts what is there: removing makes room. */
	assert_int_equal(umx_xs_rm(xs, 0, "/tool/fill"), 0);
	assert_int_equal(umx_xs_write(xs, 0, "/tool/again", value, sizeof(value)), 0);
	umx_xs_close(xs);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_toolstack_store_growth_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
