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

#include "umx/clock.h"
#include "umx/barrier.h"
#include "umx/net.h"
#include "umx/platform.h"
#include "umx/xs.h"
#include "umx_test.h"

struct net_sw {
	int stop[2];   /* parent → switch: any byte stops it */
	int report[2]; /* switch → parent: int count, then the ports */
};

static inline int net_sw_pipes(struct net_sw *sw)
{
	return pipe(sw->stop) || pipe(sw->report) ? -1 : 0;
}

/* The backend domain: serve vifs until told to stop, then report them. */
static inline int net_switch_domain(void *arg)
{
	struct net_sw *sw = arg;
	struct umx_net_port ports[UMX_NET_PORTS_MAX];
	umx_plat *p;
	umx_netback *nb;
	char c;
	int n;

	if (umx_plat_open(NULL, &p) < 0)
		return 10;
	if (umx_netback_open(p, &nb) < 0)
		return 11;
	fcntl(sw->stop[0], F_SETFL, O_NONBLOCK);
	while (read(sw->stop[0], &c, 1) != 1)
		if (umx_netback_poll(nb, 20) < 0)
			return 12;
	n = umx_netback_ports(nb, ports, UMX_NET_PORTS_MAX);
	if (write(sw->report[1], &n, sizeof(n)) != sizeof(n) ||
	    write(sw->report[1], ports, sizeof(ports[0]) * (size_t)n) !=
	            (ssize_t)(sizeof(ports[0]) * (size_t)n))
		return 13;
	umx_netback_close(nb);
	umx_plat_close(p);
	return 0;
}

/* Start umxd and the switch domain, whose ports every net test reads at
 * the end (net_sw_stop). The test's own pipes are made before this, so
 * that the switch inherits them as it always did. */
static inline void net_switch_start(struct umx_test_daemon *d, struct net_sw *sw, uint32_t *sdom,
                                    pid_t *spid)
{
	assert_int_equal(net_sw_pipes(sw), 0);
	assert_int_equal(umx_test_daemon_start(d), 0);
	assert_int_equal(umx_test_domain_fork(d, "switch", net_switch_domain, sw, sdom, spid), 0);
}

/* After net_sw_stop: the switch must exit 0 and umxd shut down cleanly. */
static inline void net_switch_finish(struct umx_test_daemon *d, uint32_t sdom, pid_t spid)
{
	assert_int_equal(umx_test_domain_reap(d, sdom, spid), 0);
	assert_int_equal(umx_test_daemon_stop(d), 0);
}

/* Stop the switch and read its ports; returns the count or -1. */
static inline int net_sw_stop(struct net_sw *sw, struct umx_net_port *ports)
{
	int n;
	if (write(sw->stop[1], "x", 1) != 1 || read(sw->report[0], &n, sizeof(n)) != sizeof(n) ||
	    n < 0 || n > (int)UMX_NET_PORTS_MAX)
		return -1;
	if (n && (!ports || read(sw->report[0], ports, sizeof(ports[0]) * (size_t)n) !=
	                            (ssize_t)(sizeof(ports[0]) * (size_t)n)))
		return -1;
	return n;
}

static inline const struct umx_net_port *net_port(const struct umx_net_port *ports, int n,
                                                  uint32_t domid)
{
	for (int i = 0; i < n; i++)
		if (ports[i].front_domid == domid)
			return &ports[i];
	return NULL;
}

/* Act as the toolstack: vif 0 of @front on @back with MAC 02:00:00:00:00:@last. */
static inline int net_attach(uint32_t front, uint32_t back, uint8_t last)
{
	uint8_t mac[6] = {0x02, 0, 0, 0, 0, last};
	umx_xs *xs;
	int r;

	if ((r = umx_xs_open(&xs)) < 0)
		return r;
	r = umx_net_attach(xs, front, back, 0, mac);
	umx_xs_close(xs);
	return r;
}

static inline long net_now_ms(void)
{
	return (long)umx_clock_ms();
}

/* One frame within @ms, or a negative errno. */
static inline int net_recv_timeout(umx_netfront *nf, void *buf, size_t cap, int ms)
{
	long end = net_now_ms() + ms;
	for (;;) {
		int r = umx_netfront_recv(nf, buf, cap);
		if (r != -EAGAIN)
			return r;
		if (net_now_ms() >= end)
			return -ETIMEDOUT;
		umx_netfront_wait(nf, 50);
	}
}

/* Send, retrying while the ring is full, within @ms. */
static inline int net_send_retry(umx_netfront *nf, const void *f, size_t len, int ms)
{
	long end = net_now_ms() + ms;
	for (;;) {
		int r = umx_netfront_send(nf, f, len);
		if (r != -EAGAIN)
			return r;
		if (net_now_ms() >= end)
			return -ETIMEDOUT;
		umx_netfront_wait(nf, 10);
	}
}

/* ---- hand-written frames --------------------------------------------- */

static inline uint16_t net_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline void net_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ARP (RFC 826) over Ethernet, padded to 60 bytes; @op 1 request, 2 reply. */
static inline size_t net_arp(uint8_t *f, int op, const uint8_t *dst, const uint8_t *src,
                             const uint8_t *sha, const uint8_t spa[4], const uint8_t *tha,
                             const uint8_t tpa[4])
{
	memset(f, 0, 60);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	net_put16(f + 12, 0x0806);
	net_put16(f + 14, 1);      /* htype Ethernet */
	net_put16(f + 16, 0x0800); /* ptype IPv4 */
	f[18] = 6;
	f[19] = 4;
	net_put16(f + 20, (uint16_t)op);
	memcpy(f + 22, sha, 6);
	memcpy(f + 28, spa, 4);
	memcpy(f + 32, tha, 6);
	memcpy(f + 38, tpa, 4);
	return 60;
}

/* ICMP echo (@type 8 request, 0 reply) in IPv4 in Ethernet, 56 data bytes. */
static inline size_t net_icmp_echo(uint8_t *f, int type, const uint8_t *dst, const uint8_t *src,
                                   const uint8_t sip[4], const uint8_t dip[4], uint16_t seq)
{
	uint8_t *ip = f + 14, *icmp = ip + 20;
	memset(f, 0, 98);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	net_put16(f + 12, 0x0800);
	ip[0] = 0x45;
	net_put16(ip + 2, 84);
	net_put16(ip + 4, seq); /* identification */
	ip[8] = 64;             /* ttl */
	ip[9] = 1;              /* ICMP */
	memcpy(ip + 12, sip, 4);
	memcpy(ip + 16, dip, 4);
	net_put16(ip + 10, net_csum(ip, 20));
	icmp[0] = (uint8_t)type;
	net_put16(icmp + 4, 0x1234);
	net_put16(icmp + 6, seq);
	for (int i = 0; i < 56; i++)
		icmp[8 + i] = (uint8_t)(0x10 + i);
	net_put16(icmp + 2, net_csum(icmp, 64));
	return 98;
}

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
 * a test's own frontend has an honest peer on the switch. Exits 0, or
 * 40 (open), 41 (recv), 42 (send), 43 (signal ready). */
static inline int net_echo_domain(struct net_echo *e)
{
	static uint8_t f[128], got[UMX_NET_FRAME_MAX];
	umx_plat *p;
	umx_netfront *nf;
	char ch;

	if (read(e->go[0], &ch, 1) != 1 || umx_plat_open(NULL, &p) < 0 ||
	    umx_netfront_open(p, 0, 10000, &nf) < 0)
		return 40;
	if (write(e->ready[1], "r", 1) != 1)
		return 43;
	fcntl(e->stop[0], F_SETFL, O_NONBLOCK);
	while (read(e->stop[0], &ch, 1) != 1) {
		int r = umx_netfront_recv(nf, got, sizeof(got));
		if (r == -EAGAIN) {
			umx_netfront_wait(nf, 20);
			continue;
		}
		if (r < 0)
			return 41;
		/* Answer echo requests to us, by hand. */
		if (r == 98 && !memcmp(got, e->mac, 6) && got[34] == 8) {
			uint16_t seq = (uint16_t)(got[40] << 8 | got[41]);
			size_t n = net_icmp_echo(f, 0, e->peer_mac, e->mac, e->ip, e->peer_ip, seq);
			if (net_send_retry(nf, f, n, 5000) < 0)
				return 42;
		}
	}
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}

/* ---- a frontend written by hand (raw rings) --------------------------- */

/* Poll (up to 10 s) until @dir/state reads @want; 0 or -1. */
static inline int net_wait_state(umx_xs *xs, const char *dir, int want)
{
	char path[160], *v;
	snprintf(path, sizeof(path), "%s/state", dir);
	for (int i = 0; i < 1000; i++) {
		if (umx_xs_read(xs, 0, path, &v, NULL) == 0) {
			int s = atoi(v);
			free(v);
			if (s == want)
				return 0;
		}
		usleep(10000);
	}
	return -1;
}

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
static inline int net_rawfe_open(struct net_rawfe *r)
{
	char path[160], *v;
	int port;

	if (umx_plat_open(NULL, &r->p) < 0)
		return -1;
	snprintf(r->fe, sizeof(r->fe), "/local/domain/%u/device/vif/0", umx_plat_domid(r->p));
	snprintf(path, sizeof(path), "%s/backend", r->fe);
	if (umx_xs_read(umx_plat_xs(r->p), 0, path, &r->be, NULL) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/backend-id", r->fe);
	if (umx_xs_read(umx_plat_xs(r->p), 0, path, &v, NULL) < 0)
		return -1;
	r->bid = (uint32_t)atoi(v);
	free(v);
	if (net_wait_state(umx_plat_xs(r->p), r->be, 2) < 0 ||
	    umx_plat_share(r->p, r->bid, 1, false, NULL, &r->txs) < 0 ||
	    umx_plat_share(r->p, r->bid, 1, false, NULL, &r->rxs) < 0 ||
	    (port = umx_plat_evtchn_alloc_unbound(r->p, r->bid)) <= 0)
		return -1;
	r->port = (uint32_t)port;
	r->tx = umx_plat_share_addr(r->txs);
	r->rx = umx_plat_share_addr(r->rxs);
	umx_store_relaxed32(r->tx + 4, 1); /* SHARED_RING_INIT: events at 1 */
	umx_store_relaxed32(r->tx + 12, 1);
	umx_store_relaxed32(r->rx + 4, 1);
	umx_store_relaxed32(r->rx + 12, 1);
	return 0;
}

/* Write @val under our vif directory. 0 or -1. */
static inline int net_rawfe_write(struct net_rawfe *r, const char *key, uint32_t val)
{
	char path[160], v[16];

	snprintf(path, sizeof(path), "%s/%s", r->fe, key);
	snprintf(v, sizeof(v), "%u", val);
	return umx_xs_write_str(umx_plat_xs(r->p), 0, path, v) < 0 ? -1 : 0;
}

/* Publish the rings, the event channel, request-rx-copy and each of the
 * NULL-terminated @features (as 1), then Connected, and wait for the
 * backend to connect too. 0 or -1. */
static inline int net_rawfe_connect(struct net_rawfe *r, const char *const *features)
{
	int ret;

	if (net_rawfe_write(r, "tx-ring-ref", umx_plat_share_ref(r->txs, 0)) < 0 ||
	    net_rawfe_write(r, "rx-ring-ref", umx_plat_share_ref(r->rxs, 0)) < 0 ||
	    net_rawfe_write(r, "event-channel", r->port) < 0 ||
	    net_rawfe_write(r, "request-rx-copy", 1) < 0)
		return -1;
	for (; *features; features++)
		if (net_rawfe_write(r, *features, 1) < 0)
			return -1;
	if (net_rawfe_write(r, "state", 4) < 0)
		return -1;
	ret = net_wait_state(umx_plat_xs(r->p), r->be, 4);
	free(r->be);
	r->be = NULL;
	return ret;
}

#endif
