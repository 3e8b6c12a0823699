/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the vchan consumer against a fuzzer-controlled control page and
 * ring contents. The input is a control-page header (orders, indices, live
 * and notify bytes) followed by a script of peer moves (rewrite an index or
 * a live byte) and our calls (read, recv, write, send, queries). Every read
 * must deliver exactly the bytes at our consumer position (checked against a
 * private model) and within the call's bounds, or report -EPROTO, sticky.
 * ASan catches any access outside the page and the ring buffers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/vchan/vchan_priv.h"
#include "umx/grant.h" /* UMX_PAGE_SIZE */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t take32(const uint8_t **d, size_t *n)
{
	uint32_t v = 0;
	size_t k = *n < 4 ? *n : 4;
	memcpy(&v, *d, k);
	*d += k;
	*n -= k;
	return v;
}

static uint8_t take8(const uint8_t **d, size_t *n)
{
	uint8_t v = 0;
	if (*n) {
		v = **d;
		(*d)++;
		(*n)--;
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 13];
	uint8_t *page, *bufs[2] = {NULL, NULL};
	struct vchan_interface *c;
	umx_vchan v;
	bool server, broken = false;
	uint32_t mcons, rsize;
	uint8_t *rbuf;

	if (size < 24)
		return 0;
	page = aligned_alloc(UMX_PAGE_SIZE, UMX_PAGE_SIZE);
	if (!page)
		return 0;
	memset(page, 0, UMX_PAGE_SIZE);
	server = data[0] & 1;
	/* Header: bytes 1..24 become the control page's first 24 bytes. */
	memcpy(page, data + 1, 23);
	data += 24;
	size -= 24;
	c = (struct vchan_interface *)page;
	/* Cap granted rings at order 16 to keep iterations fast; orders up to
	 * 20 still go through the parser. */
	for (int i = 0; i < 2; i++) {
		uint16_t o = i ? c->right_order : c->left_order;
		if (o >= 12 && o <= 16) {
			bufs[i] = malloc((size_t)1 << o);
			if (bufs[i])
				for (size_t k = 0; k < ((size_t)1 << o); k++)
					bufs[i][k] = (uint8_t)(k * 31 + (unsigned)i);
		}
	}
	for (size_t k = 1024; k < UMX_PAGE_SIZE; k++)
		page[k] = (uint8_t)(k * 7);
	if (vchan_attach_local(&v, server, page, bufs[0], bufs[1]) < 0)
		goto out;
	/* The ring we read and our model of its consumer. */
	rsize = (uint32_t)umx_vchan_read_size(&v);
	rbuf = v.rd.buf;
	mcons = v.rd.pvt;
	umx_vchan_set_blocking(&v, false);

	while (size) {
		uint8_t op = take8(&data, &size);
		uint32_t arg = take32(&data, &size);
		size_t len = arg % sizeof(out);
		int r = 0;

		switch (op % 10) {
		case 0: /* peer moves its producer of our read ring */
			*(server ? &c->left.prod : &c->right.prod) += arg % (2 * rsize + 2);
			continue;
		case 1: /* peer writes any index */
			((uint32_t *)page)[arg % 4] = take32(&data, &size);
			continue;
		case 2: /* peer flips live / notify bytes */
			page[20 + arg % 4] = (uint8_t)(arg >> 8);
			continue;
		case 3:
		case 4: {
			uint32_t before = mcons;
			r = op % 10 == 3 ? umx_vchan_read(&v, out, len)
			                 : umx_vchan_recv(&v, out, len);
			if (r > 0) {
				if ((size_t)r > len)
					abort();
				for (int i = 0; i < r; i++)
					if (out[i] != rbuf[(before + (uint32_t)i) & (rsize - 1)])
						abort();
				mcons += (uint32_t)r;
			}
			break;
		}
		case 5:
			r = umx_vchan_write(&v, out, len);
			if (r > (int)len)
				abort();
			break;
		case 6:
			r = umx_vchan_send(&v, out, len);
			break;
		case 7:
			r = umx_vchan_data_ready(&v);
			if (r > (int)rsize)
				abort();
			break;
		case 8:
			r = umx_vchan_buffer_space(&v);
			if (r > (int)umx_vchan_write_size(&v))
				abort();
			break;
		default:
			r = umx_vchan_is_open(&v);
			break;
		}
		if (broken && r != -EPROTO)
			abort(); /* broken is sticky */
		if (r == -EPROTO)
			broken = true;
	}
out:
	free(bufs[0]);
	free(bufs[1]);
	free(page);
	return 0;
}
