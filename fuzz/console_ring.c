/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the console's ring reader and writer (devices/console)
 * on a fuzzer-controlled struct xencons_interface, as frontend or backend.
 * Input: [role: 1][the page's 3088 bytes of rings and indices][script].
 * The script interleaves peer moves (rewrite any of the four indices or a
 * ring byte) with our calls (read, write, event, readable, writable).
 * Invariants: every read returns exactly the bytes at our consumer
 * position (a private model of it, never the page's), counts stay within
 * the request and the ring, our own indices on the page are only ever what
 * we published (never read back after the peer rewrote them), and once broken every call is -EPROTO
 * with a reason. ASan catches any access outside the page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/console/cons_priv.h"
#include "umx/barrier.h"
#include "umx/log.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct in in = {data, size};
	struct xencons_interface *i;
	umx_console c;
	uint8_t io[4096], want[4096];
	bool front, broken = false;
	char *rbuf;
	uint32_t rsize, rcons, wprod, *own_r, *own_w;

	if (!quiet) {
		umx_log_set_level(UMX_LOG_ERR + 1);
		quiet = true;
	}
	i = aligned_alloc(UMX_PAGE_SIZE, UMX_PAGE_SIZE);
	CHECK(i);
	memset(i, 0, UMX_PAGE_SIZE);
	front = get(&in, 1) & 1;
	for (size_t k = 0; k < sizeof(*i); k++)
		((uint8_t *)i)[k] = (uint8_t)get(&in, 1);
	cons_attach_local(&c, front, i);
	rbuf = front ? i->in : i->out;
	rsize = front ? sizeof(i->in) : sizeof(i->out);
	own_r = front ? &i->in_cons : &i->out_cons;
	own_w = front ? &i->out_prod : &i->in_prod;
	rcons = umx_load_relaxed32(own_r);
	wprod = umx_load_relaxed32(own_w);

	for (int ops = 0; in.n && ops < 2048; ops++) {
		uint32_t op = get(&in, 1), len = get(&in, 2) % (sizeof(io) + 1);
		int r = 0;

		switch (op % 8) {
		case 0: /* the peer rewrites an index: any of the four */
			umx_store_relaxed32(&i->in_cons + (op >> 3) % 4, get(&in, 4));
			continue;
		case 1: /* the peer rewrites ring bytes */
			((uint8_t *)i)[get(&in, 2) % 3072] = (uint8_t)get(&in, 1);
			continue;
		case 2:
		case 3:
			for (uint32_t k = 0; k < len; k++)
				want[k] = (uint8_t)rbuf[(rcons + k) & (rsize - 1)];
			r = umx_console_read(&c, io, len);
			if (r >= 0) {
				CHECK((uint32_t)r <= len && (uint32_t)r <= rsize);
				CHECK(memcmp(io, want, (size_t)r) == 0);
				rcons += (uint32_t)r;
				/* What we publish is our private index. */
				if (r > 0)
					CHECK(umx_load_relaxed32(own_r) == rcons);
			}
			break;
		case 4:
			memset(io, (int)op, len);
			r = umx_console_write(&c, io, len);
			if (r >= 0) {
				CHECK((uint32_t)r <= len);
				wprod += (uint32_t)r;
				if (r > 0)
					CHECK(umx_load_relaxed32(own_w) == wprod);
			}
			break;
		case 5:
			r = umx_console_event(&c);
			CHECK(r == 0 || r == -EPROTO);
			break;
		case 6:
			r = umx_console_readable(&c);
			CHECK(r < 0 || (uint32_t)r <= rsize);
			break;
		case 7:
			r = umx_console_writable(&c);
			CHECK(r < 0 || (uint32_t)r <= (front ? sizeof(i->out) : sizeof(i->in)));
			break;
		}
		if (r == -EPROTO) {
			CHECK(umx_console_broken(&c) != NULL);
			broken = true;
		} else {
			CHECK(!broken && r >= 0);
		}
	}
	if (broken)
		CHECK(umx_console_read(&c, io, 1) == -EPROTO &&
		      umx_console_write(&c, io, 1) == -EPROTO);
	free(i);
	return 0;
}
