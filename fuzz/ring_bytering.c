/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the byte-stream ring (vchan/console) with a
 * fuzzer-controlled buffer and peer index. Input: [role|order: 1][own idx: 4]
 * [peer idx: 4][buffer][script]. Invariants: counts within the request and
 * the buffer size, bytes read equal the buffer contents at the call, the
 * all-or-nothing helpers move all or nothing, broken is sticky.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "umx/bytering.h"
#include "umx/log.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		umx_log_set_level(UMX_LOG_ERR);
		quiet = true;
	}
	struct in in = {data, size};
	uint32_t cfg = get(&in, 1);
	enum umx_bytering_role role = (cfg & 1) ? UMX_BYTERING_WRITER : UMX_BYTERING_READER;
	size_t bsz = (size_t)1 << ((cfg >> 1) % 12);
	uint32_t *ix = malloc(2 * sizeof(uint32_t)); /* cons, prod */
	unsigned char *buf = malloc(bsz);
	CHECK(ix && buf);
	ix[0] = get(&in, 4);
	ix[1] = get(&in, 4);
	for (size_t i = 0; i < bsz; i++)
		buf[i] = (unsigned char)get(&in, 1);
	struct umx_bytering b;
	CHECK(umx_bytering_init(&b, role, buf, bsz, &ix[0], &ix[1]) == 0);
	uint32_t *peer = role == UMX_BYTERING_READER ? &ix[1] : &ix[0];
	uint32_t *own = role == UMX_BYTERING_READER ? &ix[0] : &ix[1];
	bool was_broken = false;

	for (int ops = 0; in.n && ops < 4096; ops++) {
		uint32_t op = get(&in, 1);
		int rc = 0;
		size_t len = get(&in, 2) % (2 * bsz + 2);
		switch (op % 4) {
		case 0:
		case 1: {
			bool all = op & 0x10;
			unsigned char *io = malloc(len + 1);
			unsigned char *want = malloc(len + 1);
			CHECK(io && want);
			uint32_t before = *own;
			memset(io, (int)op, len);
			for (size_t i = 0; i < len; i++)
				want[i] = buf[(before + i) & (bsz - 1)];
			if (role == UMX_BYTERING_READER) {
				rc = all ? umx_bytering_read_all(&b, io, len)
				         : umx_bytering_read(&b, io, len);
				if (rc > 0)
					CHECK(memcmp(io, want, (size_t)rc) == 0);
			} else {
				rc = all ? umx_bytering_write_all(&b, io, len)
				         : umx_bytering_write(&b, io, len);
				for (int i = 0; i < rc; i++)
					CHECK(buf[(before + (uint32_t)i) & (bsz - 1)] ==
					      (unsigned char)op);
			}
			CHECK(rc == -EPROTO || rc == -EAGAIN || rc == -EMSGSIZE ||
			      (rc >= 0 && (size_t)rc <= len && (size_t)rc <= bsz));
			if (all)
				CHECK(rc < 0 || (size_t)rc == len);
			CHECK(*own == before + (uint32_t)(rc > 0 ? rc : 0));
			free(io);
			free(want);
			break;
		}
		case 2: {
			uint32_t v = get(&in, 4);
			*peer = (op & 0x20) ? *peer + (v & 0x7ff) : v;
			break;
		}
		default:
			rc = role == UMX_BYTERING_READER ? umx_bytering_data_avail(&b)
			                                 : umx_bytering_space_avail(&b);
			CHECK(rc == -EPROTO || (rc >= 0 && (size_t)rc <= bsz));
			break;
		}
		if (was_broken)
			CHECK(rc == -EPROTO || op % 4 == 2);
		if (umx_bytering_broken(&b))
			was_broken = true;
	}
	free(buf);
	free(ix);
	return 0;
}
