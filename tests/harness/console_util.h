/* SPDX-License-Identifier: MIT */
/* Console tests: a frontend domain and a backend domain, the console
 * added by the toolstack between them, and the byte pattern both check. */
#ifndef CONSOLE_UTIL_H
#define CONSOLE_UTIL_H

#include <stdint.h>

#include "umx/console.h"
#include "umx/platform.h"
#include "umx_test.h"

struct cpair {
	uint32_t devid;
	uint32_t front_dom, back_dom; /* known to the children after ct_wait_go() */
	int go_front[2], go_back[2];  /* parent -> child: the peer's domid */
	void *user;
};

/* In a child: wait for the parent's go (carrying both domids). */
void ct_wait_go(struct cpair *cp, int which /* 0 front, 1 back */);
/* In the frontend child: go, open the platform and console devid. */
umx_console *ct_front(struct cpair *cp, umx_plat **p);
/* In the backend child: go, open the platform and connect (retrying while
 * the frontend is not there yet, up to 10 s). */
umx_console *ct_back(struct cpair *cp, umx_plat **p);

/* Start umxd, fork @front and @back as domains, add console @cp->devid
 * between them through the toolstack, let both go, reap them (each must
 * exit with its want code), check no domain and no leak is left, stop. */
void ct_run(struct cpair *cp, int (*front)(void *), int want_front, int (*back)(void *),
            int want_back);

/* The test byte stream: byte @i of stream @seed. */
static inline uint8_t ct_byte(uint32_t seed, uint64_t i)
{
	return (uint8_t)(i * 31u + (i >> 11) + seed * 101u);
}
void ct_fill(uint32_t seed, uint64_t off, uint8_t *buf, size_t len);
/* Index of the first wrong byte, or -1. */
long ct_check(uint32_t seed, uint64_t off, const uint8_t *buf, size_t len);

/* Move @total bytes out and @total_in in through @c until both are done,
 * checking every byte; front writes stream 1 and reads stream 2, the back
 * the reverse. Chunk sizes vary (1 .. @chunk_max) so the rings wrap at
 * every offset. Returns 0, or exits the child through CHILD_CHECK. */
int ct_pump(umx_console *c, int front, uint64_t total_out, uint64_t total_in, size_t chunk_max);

#endif
