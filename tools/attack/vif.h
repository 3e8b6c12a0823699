/* SPDX-License-Identifier: MIT */
/*
 * One vif of an attack run, umx at its backend end (the netback and
 * grant-mapper roles): the handshake, an honest peer (TX completed, ARP
 * and ICMP echo answered for any address but the target's own), and the
 * bookkeeping the detectors read: which TX and RX ids are in flight (a
 * duplicate is MSA00's harm), how often a marker frame came back, what the
 * target's address is.
 */
#ifndef UMX_ATTACK_VIF_H
#define UMX_ATTACK_VIF_H

#include <stdbool.h>
#include <stdint.h>

#include "attack.h"
#include "net_hostile.h"

#define VIF_IDS 256u /* a netif ring's id space */

struct vif {
	struct nh h;
	const struct attack_session *s;
	unsigned devid;
	bool connected;
	bool hold;          /* read TX requests but leave them in flight */
	uint32_t txc;       /* next TX request to read */
	uint32_t rx_seen;   /* RX requests read into rx_posted */
	bool tx_extra;      /* the next TX slot is an extra-info slot */
	uint8_t mac[6];     /* ours */
	uint8_t fe_mac[6];  /* the target's MAC, once seen */
	uint8_t fe_ip[4];   /* the target's IPv4 address, once seen */
	uint8_t peer_ip[4]; /* an address the target asked for (ARP) */
	bool fe_mac_known, fe_ip_known, peer_ip_known;
	uint8_t tx_live[VIF_IDS], rx_live[VIF_IDS]; /* ids in flight */
	uint32_t tx_reqs, rx_reqs;                  /* requests read */
	unsigned tx_served, rx_delivered;
	const char *marker; /* count TX frames holding it in marker_seen */
	unsigned marker_seen;
	char dup[96]; /* the first duplicate id seen in flight, or "" */
};

/* Handshake on device @devid (the toolstack made it): 0 or -errno. */
int vif_open(struct vif *v, const struct attack_session *s, unsigned devid);
/* Tell the frontend we are Closed, give it a moment, unmap. */
void vif_close(struct vif *v);
/* Read what the frontend posted; unless holding, complete TX honestly and
 * answer it. Returns the number of new requests. */
int vif_poll(struct vif *v);
/* Serve until the device carries traffic: RX buffers posted and @tx_min
 * TX requests read (or VIF_SETTLE_MS passed without them), or -ETIMEDOUT
 * after @ms (-ENODEV: the frontend left). */
#define VIF_SETTLE_MS 1000
int vif_until_working(struct vif *v, unsigned tx_min, long ms);
/* Deliver @f (@len bytes) to the next posted RX buffer: 0 or -errno. */
int vif_deliver(struct vif *v, const void *f, size_t len);
/* The frontend's xenbus state, -1 when gone. */
int vif_fe_state(struct vif *v);
/* The marker frame: an ICMP echo request to the target carrying @marker
 * when its address is known, else a local-ethertype frame; its length. */
size_t vif_marker_frame(struct vif *v, uint8_t *f, size_t cap, const char *marker);
/* An RX id is ours again (a response has been written for it). */
void vif_rx_done(struct vif *v, uint16_t id);
void vif_tx_done(struct vif *v, uint16_t id);

/* The roles on vifs (net_back.c): attach and detach as the toolstack, and
 * the run loop (a fresh vif per attack, then a probe), @fire judging one. */
int vif_attach(umx_xs *ts, uint32_t target, uint32_t attacker, unsigned devid);
int vif_detach(umx_xs *ts, uint32_t target, uint32_t attacker, unsigned devid);
int vif_role_run(const struct attack_session *s, const struct attack_def *const *as, unsigned n,
                 struct attack_result *out,
                 void (*fire)(const struct attack_session *, struct vif *,
                              const struct attack_def *, struct attack_result *));

#endif
