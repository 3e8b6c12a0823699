/* SPDX-License-Identifier: MIT */
/* Console tests: a frontend domain and a backend domain, the console
 * added by the toolstack between them, and the byte pattern both check. */
#ifndef CONSOLE_UTIL_H
#define CONSOLE_UTIL_H

#include <stdint.h>

#include "umx/console.h"
#include "umx/platform.h"
#include "umx/xs.h"
#include "umx_test.h"

#define CT_MAX_DOMS 6

struct cpair {
	uint32_t devid;
	uint32_t front_dom, back_dom; /* dom[0], dom[1], after ct_wait_go() */
	uint32_t dom[CT_MAX_DOMS];    /* every domain's domid, after ct_wait_go() */
	unsigned ndoms;
	int self;               /* in a child: its index (set before each fork) */
	int go[CT_MAX_DOMS][2]; /* parent -> child i: every domid */
	void *user;
};

/* In child @which: wait for the parent's go (carrying every domid). */
void ct_wait_go(struct cpair *cp, int which);
/* In the frontend child (0): go, open the platform and console devid. */
umx_console *ct_front(struct cpair *cp, umx_plat **p);
/* In the backend child (1): go, open the platform and connect (retrying
 * while the frontend is not there yet, up to 10 s). */
umx_console *ct_back(struct cpair *cp, umx_plat **p);
/* Connect as backend to @devid of @domid, retrying on -EAGAIN (10 s). */
umx_console *ct_back_connect(umx_plat *p, uint32_t domid, uint32_t devid);

/* Start umxd, fork @front and @back as domains, add console @cp->devid
 * between them through the toolstack, let both go, reap them (each must
 * exit with its want code), check no domain is left, stop umxd. */
void ct_run(struct cpair *cp, int (*front)(void *), int want_front, int (*back)(void *),
            int want_back);

/* The same for @n domains: fork fns[i] as names[i], then @add (in the
 * parent, with a toolstack store connection and every domid) adds the
 * consoles, then every child goes. */
void ct_run_n(struct cpair *cp, unsigned n, const char *const *names, int (*const *fns)(void *),
              const int *want, int (*add)(umx_xs *ts, const uint32_t *dom, void *user));

/* The XenbusState a domain published for its secondary console @devid
 * (device/console/<devid>/state, read through @p's store), or -errno. */
int ct_front_state(umx_plat *p, uint32_t devid);

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

/* One round of a process serving several consoles on one platform handle:
 * wait up to @ms (shortened for storm holds) for events, re-arm ended
 * holds, and hand each pending port to its console (NULL entries are
 * skipped; ports of no console are re-armed). Returns the number of
 * events whose umx_console_event() returned -EPIPE (peer gone). */
int ct_dispatch(umx_plat *p, umx_console *const *cs, unsigned n, int ms);

/* ---- a hostile end (tests/hostile/console_hostile_*) -------------------- */

/* What a hostile end does to the ring it shares with its peer. */
enum ct_attack {
	CT_OVERRUN,    /* our producer index past what the ring holds */
	CT_BACKWARDS,  /* once the peer consumed our bytes, our producer goes back */
	CT_CONS_AHEAD, /* our consumer index ahead of the peer's producer */
	CT_RACE,       /* both our indices rewritten at random by a thread, 1 s */
	CT_STORM,      /* 1 s of events with no data */
};

/* Carry out @a on @c (either role; @c was opened or connected normally),
 * after @written bytes were written through it, then notify the peer
 * once more. Exits the child through CHILD_CHECK on a harness failure. */
void ct_attack(umx_plat *p, umx_console *c, enum ct_attack a, uint32_t written);

/* The end of a hostile test: one domain says when the others may go. */
struct ct_end {
	int fd[2];
};
void ct_end_init(struct ct_end *e);
/* In the domain that decides: every other may end now. */
void ct_end_say(struct ct_end *e, unsigned others);
/* In the others: wait for it. */
void ct_end_wait(struct ct_end *e);
void ct_end_fini(struct ct_end *e);
#endif
