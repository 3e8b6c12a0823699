/* SPDX-License-Identifier: MIT */
/* Private to devices/net (and its tests and fuzzers): the netif wire types,
 * layout checks, and the hooks that run the cores on plain memory. */
#ifndef UMX_NET_PRIV_H
#define UMX_NET_PRIV_H

#include <stdint.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

#include "../common/xenbus.h"
#include "umx/net.h"
#include "umx/ring.h"

#define NET_RING_SZ 256u /* entries of a one-page TX or RX ring */
#define NET_TX_IDS  NET_RING_SZ
#define NET_RX_IDS  NET_RING_SZ

_Static_assert(sizeof(struct netif_tx_request) == 12, "netif_tx_request");
_Static_assert(sizeof(struct netif_tx_response) == 4, "netif_tx_response");
_Static_assert(sizeof(struct netif_rx_request) == 8, "netif_rx_request");
_Static_assert(sizeof(struct netif_rx_response) == 8, "netif_rx_response");
_Static_assert(sizeof(union netif_tx_sring_entry) == 12, "tx slot");
_Static_assert(sizeof(union netif_rx_sring_entry) == 8, "rx slot");

/* Complete the TCP/UDP checksum of an Ethernet frame whose sender left it
 * blank (NETTXF_csum_blank): IPv4 or IPv6, one optional VLAN tag. 0, or
 * -EINVAL for anything else (left as it is). Lengths come from the peer and
 * are checked against @len. */
int net_csum_fill(uint8_t *frame, size_t len);
/* NULL when the GSO frame @frame (@m from the frontend's extra info) is
 * consistent: type known, size ≥ UMX_NET_GSO_MIN_SIZE, checksum blank, TCP
 * over the IP version the type names, lengths matching, payload present;
 * else why not (a frontend sending it is cut off). */
/* The GSO extra-info slot describing @m, as both directions carry it
 * (netif.h's struct netif_extra_info, type GSO, no further extras). */
struct netif_extra_info;
void net_gso_extra(const struct umx_net_meta *m, struct netif_extra_info *ex);
const char *net_gso_check(const uint8_t *frame, size_t len, const struct umx_net_meta *m);
/* Cut the checked GSO frame into segments of @m->gso_size payload bytes,
 * headers fixed up and checksums complete, each handed to @emit (a buffer
 * valid during the call). Returns the number of segments or -EINVAL. */
int net_gso_segment(const uint8_t *frame, size_t len, const struct umx_net_meta *m,
                    void (*emit)(void *ctx, uint8_t *seg, size_t len), void *ctx);

/*
 * Detached frontend for fuzzing: the cores run on caller memory (two ring
 * pages, NET_TX_IDS read-only TX pages, NET_RX_IDS RX pages), no platform,
 * grant ref of pool page i = base + i. The RX ring is filled as on connect.
 */
int netfront_detached_new(void *tx_ring, void *rx_ring, void *tx_pool, void *rx_pool,
                          umx_netfront **out);
/* Consume TX responses (the send path does this too). */
int netfront_reap_tx(umx_netfront *nf);

/*
 * Detached backend port for fuzzing: rings on caller memory, @page maps a
 * gref to a page (or NULL = bad gref), frames leave through @sink.
 */
struct nb_vif;
typedef void *(*nb_page_fn)(void *ctx, uint32_t gref, bool writable);
typedef void (*nb_sink_fn)(void *ctx, const uint8_t *frame, size_t len);
int netback_detached_new(void *tx_ring, void *rx_ring, nb_page_fn page, nb_sink_fn sink, void *ctx,
                         struct nb_vif **out);
/* Handle up to @budget TX requests; 0.. handled, or -EPROTO once broken. */
int netback_detached_tx(struct nb_vif *v, unsigned budget);
/* Deliver a frame to the port's RX ring; 0 or -errno. */
int netback_detached_rx(struct nb_vif *v, const uint8_t *frame, size_t len);
const char *netback_detached_broken(const struct nb_vif *v);
void netback_detached_free(struct nb_vif *v);

#endif
