/* SPDX-License-Identifier: MIT */
/*
 * peerdom.h — is the peer domain still there? Private to devices/ and to
 * the attack catalogue (tools/attack), which plays their ends.
 *
 * A backend whose frontend died, or a vchan server whose named client
 * died before connecting, must notice and let go rather than hold a port
 * or wait forever. The store answers: XS_IS_DOMAIN_INTRODUCED, which
 * xenstored (Xen's and umxd's) answers for any caller, is "F" once the
 * domain has been released (dead, its /local/domain/<id> removed). A
 * peer's own nodes vanishing can also mean a toolstack detach; only this
 * question tells death apart.
 *
 * And is the store itself still there? Once umxd (or xenstored) has gone
 * away the connection is hung up for good: a device that polls it again
 * would spin, so it must stop (peerdom_store_lost).
 */
#ifndef UMX_DEVICES_PEERDOM_H
#define UMX_DEVICES_PEERDOM_H

#include <stdbool.h>
#include <stdint.h>

#include "umx/xs.h"

/* 1: @domid has been released (dead) or never existed; 0: it is there;
 * -errno when the store could not tell (then assume it is there). */
int peerdom_gone(umx_xs *xs, uint32_t domid);

/* True when the store connection has hung up or failed (POLLHUP/POLLERR
 * on its descriptor, looked at without waiting). */
bool peerdom_store_lost(const umx_xs *xs);

#endif
