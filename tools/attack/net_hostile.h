/* SPDX-License-Identifier: MIT */
/*
 * The MSA00 hostile netback, written once: the raw ring writes of each
 * attack against a netfront. Part of the attack catalogue (attack.h: the
 * netback role fires these through `umx attack`); also used directly by
 * the cmocka test against umx's netfront
 * (tests/unit/net_msa00_hostile_backend.c) and by the real-Xen tool
 * tests/tools/umx_hostile_netback.c.
 *
 * The backend plays by the handshake (feature-rx-copy, InitWait, maps the
 * rings once the frontend is Connected, Connected) and then writes whatever
 * it likes into the shared rings: nothing here checks what the frontend
 * does, that is the caller's job.
 */
#ifndef NET_HOSTILE_H
#define NET_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/netif.h>

#include "umx/platform.h"

enum nh_attack {
	NH_TX_DUP,     /* the same TX id completed twice */
	NH_TX_STALE,   /* honest completion, then a late duplicate of that id */
	NH_TX_RANGE,   /* TX id 256: outside the ring */
	NH_TX_NEVER,   /* TX id NH_NEVER_ID, never issued */
	NH_TX_STATUS,  /* TX status -7: no such NETIF_RSP_* */
	NH_TX_NULL,    /* NETIF_RSP_NULL for a data slot */
	NH_RX_DUP,     /* a 60-byte frame, then the same RX id again */
	NH_RX_CROSS,   /* RX data at offset 4000, 200 bytes: past the page */
	NH_RX_FLAGS,   /* NETRXF_extra_info, never negotiated, no extra slot */
	NH_RX_STATUS,  /* RX status -9 */
	NH_RING_AHEAD, /* TX response producer 1000 ahead of the requests */
	NH_EV_STORM,   /* events and nothing else */
	NH_COUNT,
};

/* An id no frontend here issues: they have far fewer frames in flight. */
#define NH_NEVER_ID 200u

extern const char *const nh_attack_name[NH_COUNT];

struct nh {
	umx_plat *p;
	uint32_t front;
	umx_plat_mapped *mtx, *mrx;
	uint8_t *tx, *rx;  /* the shared rings */
	uint32_t port;     /* our end of the frontend's event channel */
	uint32_t txp, rxp; /* our response producers */
	uint32_t devid;
};

/* The backend half of the vif handshake for vif @devid of @front (the
 * toolstack's backend directory must exist or appear within @timeout_ms).
 * 0 with the rings mapped and the backend Connected, or -errno. */
int nh_connect(struct nh *h, umx_plat *p, uint32_t front, uint32_t devid, int timeout_ms);
/* nh_connect in steps, for many vifs handshaking at once: nh_offer waits
 * for the toolstack's directory and says InitWait (0 or -errno);
 * nh_fe_state is the frontend's xenbus state (-1 when unreadable); once it
 * is Connected (4), nh_accept maps the rings, binds the event channel and
 * says Connected (0 or -errno). */
int nh_offer(struct nh *h, umx_plat *p, uint32_t front, uint32_t devid, int timeout_ms);
int nh_fe_state(const struct nh *h);
int nh_accept(struct nh *h);
/* Unmap the rings and unbind the event channel (the store is left alone). */
void nh_disconnect(struct nh *h);

uint32_t nh_tx_req_prod(const struct nh *h);
uint32_t nh_rx_req_prod(const struct nh *h);
struct netif_tx_request nh_tx_req(const struct nh *h, uint32_t i);
struct netif_rx_request nh_rx_req(const struct nh *h, uint32_t i);
/* Push one response (published with a release store, no event). */
void nh_tx_rsp(struct nh *h, uint16_t id, int16_t status);
void nh_rx_rsp(struct nh *h, uint16_t id, uint16_t offset, uint16_t flags, int16_t status);
int nh_notify(struct nh *h);
/* Map one page the frontend granted (@ro for TX pages); NULL on failure. */
uint8_t *nh_map_one(struct nh *h, uint32_t gref, bool ro, umx_plat_mapped **m);

/*
 * The one-shot raw writes of @a, then an event. @id0 is a TX id in flight;
 * RX attacks use the next posted RX request (index h->rxp); NH_RX_DUP first
 * copies @frame (@len bytes) into that request's page. NH_TX_STALE is only
 * its first half here (an honest completion of @id0): once the frontend has
 * reaped it and issued more, nh_stale_dup() sends the late duplicate.
 * NH_EV_STORM sends NH_STORM_BURST events; callers repeat nh_storm() as
 * long as they want the storm to last. 0 or -errno.
 */
int nh_fire(struct nh *h, enum nh_attack a, uint16_t id0, const uint8_t *frame, size_t len);
int nh_stale_dup(struct nh *h, uint16_t id0);
#define NH_STORM_BURST 1000
int nh_storm(struct nh *h, unsigned events);

#endif /* NET_HOSTILE_H */
