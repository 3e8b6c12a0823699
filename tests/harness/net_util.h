/* SPDX-License-Identifier: MIT */
/* Shared by the net tests: a switch domain (netback), the toolstack's
 * attach, receiving with a deadline, and hand-written Ethernet frames. */
#ifndef NET_UTIL_H
#define NET_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "umx/barrier.h"
#include "umx/net.h"
#include "umx/platform.h"
#include "umx/xs.h"
#include "umx_test.h"

struct net_sw {
	int stop[2];   /* parent → switch: any byte stops it */
	int report[2]; /* switch → parent: int count, then the ports */
};

int net_sw_pipes(struct net_sw *sw);

/* The backend domain: serve vifs until told to stop, then report them;
 * returns 0, a failed step fails the child. */
int net_switch_domain(void *arg);

/* Start umxd and the switch domain, whose ports every net test reads at
 * the end (net_sw_stop). The test's own pipes are made before this, so
 * that the switch inherits them as it always did. */
void net_switch_start(struct umx_test_daemon *d, struct net_sw *sw, uint32_t *sdom, pid_t *spid);

/* After net_sw_stop: the switch must exit 0 and umxd shut down cleanly. */
void net_switch_finish(struct umx_test_daemon *d, uint32_t sdom, pid_t spid);

/* Stop the switch and read its ports, live ones first, then those released
 * when their frontend died (umx_netback_ports_released); returns the count
 * or -1. */
int net_sw_stop(struct net_sw *sw, struct umx_net_port *ports);

const struct umx_net_port *net_port(const struct umx_net_port *ports, int n, uint32_t domid);

/* Act as the toolstack: vif 0 of @front on @back with MAC 02:00:00:00:00:@last. */
int net_attach(uint32_t front, uint32_t back, uint8_t last);

long net_now_ms(void);

/* One frame within @ms, or a negative errno. */
int net_recv_timeout(umx_netfront *nf, void *buf, size_t cap, int ms);

/* Send, retrying while the ring is full, within @ms. */
int net_send_retry(umx_netfront *nf, const void *f, size_t len, int ms);

/* ---- hand-written frames --------------------------------------------- */

uint16_t net_csum(const uint8_t *p, size_t n);

void net_put16(uint8_t *p, uint16_t v);

/* ARP (RFC 826) over Ethernet, padded to 60 bytes; @op 1 request, 2 reply. */
size_t net_arp(uint8_t *f, int op, const uint8_t *dst, const uint8_t *src, const uint8_t *sha,
               const uint8_t spa[4], const uint8_t *tha, const uint8_t tpa[4]);

/* ICMP echo (@type 8 request, 0 reply) in IPv4 in Ethernet, 56 data bytes. */
size_t net_icmp_echo(uint8_t *f, int type, const uint8_t *dst, const uint8_t *src,
                     const uint8_t sip[4], const uint8_t dip[4], uint16_t seq);

/* ---- an honest peer domain ------------------------------------------- */

/* The pipes of net_echo_domain; the parent creates them before forking. */
struct net_echo {
	int go[2];                         /* parent -> echo domain: start */
	int ready[2];                      /* echo domain -> pinger: connected, frames reach it */
	int stop[2];                       /* parent -> echo domain: stop */
	const uint8_t *mac, *ip;           /* the echo domain's */
	const uint8_t *peer_mac, *peer_ip; /* the pinger's, to answer */
};

/* A frontend that answers ICMP echo requests to its MAC until stopped, so
 * a test's own frontend has an honest peer on the switch. Returns 0 once
 * stopped; a failed step fails the child (CHILD_CHECK). */
int net_echo_domain(struct net_echo *e);

/* ---- a frontend written by hand (raw rings) --------------------------- */

/* Poll (up to 10 s) until @dir/state reads @want; 0 or -1. */
int net_wait_state(umx_xs *xs, const char *dir, int want);

/* Vif 0 of this domain, set up by hand as a frontend driver would, so the
 * test controls every ring write. */
struct net_rawfe {
	umx_plat *p;
	umx_plat_shared *txs, *rxs;
	uint8_t *tx, *rx; /* the shared rings */
	uint32_t bid, port;
	char fe[96]; /* our xenstore directory */
	char *be;    /* the backend's, until net_rawfe_connect */
};

/* Open the platform, find the backend, wait for it to be InitWait, share
 * the TX and RX ring pages with it, allocate the event channel and
 * initialise both rings. 0 or -1. */
int net_rawfe_open(struct net_rawfe *r);

/* Write @val under our vif directory. 0 or -1. */
int net_rawfe_write(struct net_rawfe *r, const char *key, uint32_t val);

/* Publish the rings, the event channel, request-rx-copy and each of the
 * NULL-terminated @features (as 1), then Connected, and wait for the
 * backend to connect too. 0 or -1. */
int net_rawfe_connect(struct net_rawfe *r, const char *const *features);

#endif
