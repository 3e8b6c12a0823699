/* SPDX-License-Identifier: MIT */
/* Proves the typed payload builders and getters of msg.h are exact and
 * bounded: a writer that overflows fails once and stays failed, a reader
 * never reads past the payload, leftover bytes are an error, and a batch
 * (head with a count, then exactly that many elements) is refused for a
 * zero, oversized, short or long count, with the peer's count never
 * trusted for a copy. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "umx_test.h"
#include "umx/internal/ctl.h"
#include "umx/internal/msg.h"

static void writer_overflow_is_sticky(void **state)
{
	uint8_t buf[10];
	uint32_t a = 1, b = 2, c = 3;
	uint8_t one = 4;
	struct umx_msg_wr w;

	(void)state;
	umx_msg_wr_init(&w, buf, sizeof(buf));
	UMX_MSG_PUT(&w, &a);
	UMX_MSG_PUT(&w, &b);
	assert_int_equal(umx_msg_wr_end(&w), 0);
	assert_int_equal(w.len, 8);
	UMX_MSG_PUT(&w, &c); /* 4 bytes do not fit in the 2 left */
	assert_int_equal(umx_msg_wr_end(&w), -EMSGSIZE);
	assert_int_equal(w.len, 8);
	UMX_MSG_PUT(&w, &one); /* would fit, but the writer has failed */
	assert_int_equal(w.len, 8);
	assert_int_equal(umx_msg_wr_end(&w), -EMSGSIZE);
}

static void reader_is_bounded_and_exact(void **state)
{
	const uint8_t in[6] = {1, 0, 0, 0, 9, 9};
	struct umx_msg_rd r;
	uint32_t v = 0, big = 0;
	uint16_t h = 0;

	(void)state;
	umx_msg_rd_init(&r, in, sizeof(in));
	assert_int_equal(UMX_MSG_GET(&r, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(umx_msg_rd_end(&r), -EBADMSG); /* 2 bytes left over */
	assert_int_equal(UMX_MSG_GET(&r, &big), -EBADMSG);
	assert_int_equal(big, 0); /* nothing taken on failure */
	assert_int_equal(r.off, 4);
	assert_int_equal(UMX_MSG_GET(&r, &h), 0);
	assert_int_equal(h, 0x0909);
	assert_int_equal(umx_msg_rd_end(&r), 0);
}

/* A GNT_UNMAP-shaped request: {count, pad} then count handles. */
static int batch(uint32_t count, size_t nelems, int extra, uint32_t *out)
{
	struct umx_ctl_gnt_unmap_req req = {.count = count};
	struct umx_ctl_gnt_unmap_req head;
	uint8_t buf[sizeof(req) + 8 * sizeof(uint32_t) + 1];
	struct umx_msg_wr w;
	struct umx_msg_rd r;

	umx_msg_wr_init(&w, buf, sizeof(buf));
	UMX_MSG_PUT(&w, &req);
	for (uint32_t i = 0; i < nelems; i++)
		UMX_MSG_PUT(&w, &(uint32_t){100 + i});
	if (extra)
		UMX_MSG_PUT(&w, &(uint8_t){0});
	if (umx_msg_wr_end(&w) < 0)
		return -EMSGSIZE;
	umx_msg_rd_init(&r, w.p, w.len);
	return umx_msg_get_batch(&r, &head, sizeof(head),
	                         offsetof(struct umx_ctl_gnt_unmap_req, count), out, sizeof(*out),
	                         4);
}

static void batch_count_is_exact_and_bounded(void **state)
{
	uint32_t out[4] = {0};

	(void)state;
	assert_int_equal(batch(3, 3, 0, out), 3);
	assert_int_equal(out[0], 100);
	assert_int_equal(out[2], 102);
	assert_int_equal(batch(0, 0, 0, out), -EBADMSG); /* empty batch */
	assert_int_equal(batch(3, 2, 0, out), -EBADMSG); /* short */
	assert_int_equal(batch(3, 4, 0, out), -EBADMSG); /* long */
	assert_int_equal(batch(3, 3, 1, out), -EBADMSG); /* one stray byte */
	/* Over the caller's maximum: refused before any copy into out[4]. */
	assert_int_equal(batch(5, 5, 0, out), -EBADMSG);
	assert_int_equal(batch(0xffffffffu, 8, 0, out), -EBADMSG);
	/* A head shorter than its own type. */
	{
		uint8_t two[2] = {1, 0};
		struct umx_ctl_gnt_unmap_req head;
		struct umx_msg_rd r;

		umx_msg_rd_init(&r, two, sizeof(two));
		assert_int_equal(umx_msg_get_batch(&r, &head, sizeof(head),
		                                   offsetof(struct umx_ctl_gnt_unmap_req, count),
		                                   out, sizeof(*out), 4),
		                 -EBADMSG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(writer_overflow_is_sticky),
	        cmocka_unit_test(reader_is_bounded_and_exact),
	        cmocka_unit_test(batch_count_is_exact_and_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
