/* SPDX-License-Identifier: MIT */
/* The byte pattern the lwIP example programs serve and check (lwip_inc.h). */
#include <string.h>

#include "lwip_inc.h"

static uint64_t mix(uint64_t x)
{
	/* splitmix64's finaliser: every input bit reaches every output bit. */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint8_t byte_at(uint64_t off)
{
	return (uint8_t)(mix(off >> 3) >> ((off & 7) * 8));
}

void lwip_pattern_fill(uint8_t *buf, uint64_t off, size_t len)
{
	size_t i = 0;

	while (i < len && ((off + i) & 7))
		buf[i] = byte_at(off + i), i++;
	for (; i + 8 <= len; i += 8) {
		uint64_t w = mix((off + i) >> 3);

		memcpy(buf + i, &w, 8); /* little-endian: byte k is bits 8k.. */
	}
	for (; i < len; i++)
		buf[i] = byte_at(off + i);
}

long lwip_pattern_check(const uint8_t *buf, uint64_t off, size_t len)
{
	uint8_t want[4096];

	for (size_t done = 0; done < len;) {
		size_t n = len - done < sizeof(want) ? len - done : sizeof(want);

		lwip_pattern_fill(want, off + done, n);
		if (memcmp(want, buf + done, n) != 0) {
			for (size_t i = 0; i < n; i++)
				if (want[i] != buf[done + i])
					return (long)(done + i);
		}
		done += n;
	}
	return -1;
}
