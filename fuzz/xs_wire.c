/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the xs_wire framing and every request handler. The input is a
 * byte stream split between three connections (dom0, two guests) by a
 * leading selector byte per chunk, so cross-connection paths (watches,
 * transactions, permissions) are reached too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "xenstore/xs_rawmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_store *st;
	struct xs_conn *c[3];
	static const unsigned domid[3] = {0, 5, 6};
	unsigned char out[16 + XENSTORE_PAYLOAD_MAX];

	if (xs_store_new(NULL, &st))
		return 0;
	xs_store_domain_introduce(st, 5, "a");
	xs_store_domain_introduce(st, 6, "b");
	for (int i = 0; i < 3; i++)
		c[i] = xs_conn_new(st, domid[i], NULL, NULL);
	/* Chunks: [selector][len][bytes...]; selector bit 2 = drain replies. */
	size_t off = 0;
	while (off + 2 <= size) {
		unsigned sel = data[off] % 8, len = data[off + 1];
		off += 2;
		if (len > size - off)
			len = (unsigned)(size - off);
		struct xs_conn *k = c[sel % 3];
		if (k) {
			xs_conn_feed(k, data + off, len);
			if (sel & 4)
				while (xs_conn_pop(k, out, sizeof(out)) > 0)
					;
			xs_conn_rx_commit(k, 0);
		}
		if (sel == 7)
			xs_store_tick(st);
		off += len;
	}
	if (size && data[0] == 0xff)
		xs_store_domain_release(st, 5);
	xs_store_free(st);
	return 0;
}
