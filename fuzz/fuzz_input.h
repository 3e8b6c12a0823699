/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer harnesses: reading the fuzzer's bytes as a
 * stream of integers (zeros once it runs out), and a check that aborts
 * so the fuzzer records the input. */
#ifndef UMX_FUZZ_INPUT_H
#define UMX_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

struct in {
	const uint8_t *p;
	size_t n;
};

/* The next @bytes bytes, big-endian, as an integer (0 past the end). */
static inline uint32_t get(struct in *in, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

#endif
