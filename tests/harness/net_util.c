/* SPDX-License-Identifier: MIT */
/* Definitions for net_util.h (declarations and contracts there). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net_util.h"
#include "umx/internal/clock.h"

int net_sw_pipes(struct net_sw *sw)
{
	return pipe(sw->stop) || pipe(sw->report) ? -1 : 0;
}

int net_switch_domain(void *arg)
{
	struct net_sw *sw = arg;
	struct umx_net_port ports[UMX_NET_PORTS_MAX];
	umx_plat *p;
	umx_netback *nb;
	char c;
	int n;

	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_netback_open(p, &nb));
	fcntl(sw->stop[0], F_SETFL, O_NONBLOCK);
	while (read(sw->stop[0], &c, 1) != 1)
		CHILD_CHECK_OK(umx_netback_poll(nb, 20));
	/* The live ports, then those released when their frontend died
	 * (tests read a port's counters after its domain exited). */
	n = umx_netback_ports(nb, ports, UMX_NET_PORTS_MAX);
	n += umx_netback_ports_released(nb, ports + n, UMX_NET_PORTS_MAX - (unsigned)n);
	CHILD_CHECK(write(sw->report[1], &n, sizeof(n)) == sizeof(n));
	CHILD_CHECK(write(sw->report[1], ports, sizeof(ports[0]) * (size_t)n) ==
	            (ssize_t)(sizeof(ports[0]) * (size_t)n));
	umx_netback_close(nb);
	umx_plat_close(p);
	return 0;
}

void net_switch_start(struct umx_test_daemon *d, struct net_sw *sw, uint32_t *sdom, pid_t *spid)
{
	assert_int_equal(net_sw_pipes(sw), 0);
	assert_int_equal(umx_test_daemon_start(d), 0);
	assert_int_equal(umx_test_domain_fork(d, "switch", net_switch_domain, sw, sdom, spid), 0);
}

void net_switch_finish(struct umx_test_daemon *d, uint32_t sdom, pid_t spid)
{
	assert_int_equal(umx_test_domain_reap(d, sdom, spid), 0);
	assert_int_equal(umx_test_daemon_stop(d), 0);
}

int net_sw_stop(struct net_sw *sw, struct umx_net_port *ports)
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

const struct umx_net_port *net_port(const struct umx_net_port *ports, int n, uint32_t domid)
{
	for (int i = 0; i < n; i++)
		if (ports[i].front_domid == domid)
			return &ports[i];
	return NULL;
}

int net_attach(uint32_t front, uint32_t back, uint8_t last)
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

long net_now_ms(void)
{
	return (long)umx_clock_ms();
}

int net_recv_timeout(umx_netfront *nf, void *buf, size_t cap, int ms)
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

int net_send_retry(umx_netfront *nf, const void *f, size_t len, int ms)
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

uint16_t net_csum(const uint8_t *p, size_t n)
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

void net_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t net_arp(uint8_t *f, int op, const uint8_t *dst, const uint8_t *src, const uint8_t *sha,
               const uint8_t spa[4], const uint8_t *tha, const uint8_t tpa[4])
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

size_t net_icmp_echo(uint8_t *f, int type, const uint8_t *dst, const uint8_t *src,
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

int net_echo_domain(struct net_echo *e)
{
	static uint8_t f[128], got[UMX_NET_FRAME_MAX];
	umx_plat *p;
	umx_netfront *nf;
	char ch;

	CHILD_CHECK(read(e->go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_netfront_open(p, 0, 10000, &nf));
	CHILD_CHECK(write(e->ready[1], "r", 1) == 1);
	fcntl(e->stop[0], F_SETFL, O_NONBLOCK);
	while (read(e->stop[0], &ch, 1) != 1) {
		int r = umx_netfront_recv(nf, got, sizeof(got));
		if (r == -EAGAIN) {
			umx_netfront_wait(nf, 20);
			continue;
		}
		CHILD_CHECK_OK(r);
		/* Answer echo requests to us, by hand. */
		if (r == 98 && !memcmp(got, e->mac, 6) && got[34] == 8) {
			uint16_t seq = (uint16_t)(got[40] << 8 | got[41]);
			size_t n = net_icmp_echo(f, 0, e->peer_mac, e->mac, e->ip, e->peer_ip, seq);
			CHILD_CHECK_OK(net_send_retry(nf, f, n, 5000));
		}
	}
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}

int net_wait_state(umx_xs *xs, const char *dir, int want)
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

int net_rawfe_open(struct net_rawfe *r)
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

int net_rawfe_write(struct net_rawfe *r, const char *key, uint32_t val)
{
	char path[160], v[16];

	snprintf(path, sizeof(path), "%s/%s", r->fe, key);
	snprintf(v, sizeof(v), "%u", val);
	return umx_xs_write_str(umx_plat_xs(r->p), 0, path, v) < 0 ? -1 : 0;
}

int net_rawfe_connect(struct net_rawfe *r, const char *const *features)
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
