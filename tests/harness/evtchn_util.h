/* SPDX-License-Identifier: MIT */
/* Helpers shared by the two-domain event-channel tests: A offers B a port
 * unbound towards it, B binds to it. The parent passes each side the
 * other's domid over pipes, since each learns it only after both forked. */
#ifndef EVTCHN_UTIL_H
#define EVTCHN_UTIL_H

#include <stdint.h>
#include <unistd.h>

#include "umx/evtchn.h"
#include "umx_test.h"

struct evt_pipes {
	int to_a[2], to_b[2];
	int to_parent[2]; /* for tests whose parent waits on a side */
};

struct evt_pair {
	struct umx_test_daemon d;
	struct evt_pipes pp;
	uint32_t a, b; /* domids */
	pid_t pa, pb;
};

/* Start umxd, fork @fn_a then @fn_b as domains, and send A the domid of
 * B and B the domid of A (in that order on each side's pipe). */
void evt_pair_start(struct evt_pair *x, const char *name_a, int (*fn_a)(void *arg),
                    const char *name_b, int (*fn_b)(void *arg));

/* Both sides must exit 0 and umxd must shut down cleanly. */
void evt_pair_finish(struct evt_pair *x);

/* A's opening (a child): learn B's domid, open, allocate a port unbound
 * towards B and offer it to B; a failed step fails the child. */
void evt_a_offer(struct evt_pipes *pp, umx_evtchn **h, uint32_t *domid_b, int *port);

/* B's opening (a child): learn A's domid and A's offered port, bind to it,
 * and take the event a new binding starts with (Xen), leaving the port
 * unmasked; a failed step fails the child. */
void evt_b_bind(struct evt_pipes *pp, umx_evtchn **h, uint32_t *domid_a, uint32_t *rport,
                int *port);

#endif
