/* SPDX-License-Identifier: MIT */
/* Two domains exchange Ethernet frames through a switch domain (netback):
 * hand-written ARP request/reply, ICMP echo request/reply, and a 6000-byte
 * frame sent as a 3-slot scatter-gather chain and echoed back (2 RX slots),
 * each compared byte for byte (over split event channels); then the
 * switch's per-port counters. */
#include <poll.h>

#include "umx_test.h"
#include "net_util.h"

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero[6] = {0};
static const uint8_t ip_a[4] = {10, 0, 0, 1};
static const uint8_t ip_b[4] = {10, 0, 0, 2};

#define PINGS    3
#define JUMBO    6000
#define JUMBO_ET 0x88b5 /* IEEE local experimental ethertype */

struct ctx {
	int go_a[2], go_b[2], b_ready[2], a_done[2];
};

static void jumbo(uint8_t *f, const uint8_t *dst, const uint8_t *src)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	net_put16(f + 12, JUMBO_ET);
	for (int i = 14; i < JUMBO; i++)
		f[i] = (uint8_t)(i * 7 + (i >> 8));
}

static int open_vif(umx_netfront **nf, umx_plat **p)
{
	uint8_t mac[6];
	if (umx_plat_open(NULL, p) < 0 || umx_netfront_open(*p, 0, 10000, nf) < 0)
		return -1;
	umx_netfront_mac(*nf, mac);
	/* The switch offers split event channels; the frontend takes them. */
	char path[96], *v;
	snprintf(path, sizeof(path), "/local/domain/%u/device/vif/0/event-channel-rx",
	         umx_plat_domid(*p));
	if (umx_xs_read(umx_plat_xs(*p), 0, path, &v, NULL) < 0)
		return -1;
	free(v);
	return umx_netfront_link_up(*nf) ? 0 : -1;
}

static int dom_a(void *arg)
{
	struct ctx *c = arg;
	static uint8_t f[JUMBO], want[JUMBO], got[UMX_NET_FRAME_MAX];
	umx_plat *p;
	umx_netfront *nf;
	size_t n;
	char ch;
	int r;

	CHILD_CHECK(read(c->go_a[0], &ch, 1) == 1);
	CHILD_CHECK_OK(open_vif(&nf, &p));
	CHILD_CHECK(read(c->b_ready[0], &ch, 1) == 1);
	/* Who has 10.0.0.2? (broadcast, flooded by the switch) */
	n = net_arp(f, 1, bcast, mac_a, mac_a, ip_a, zero, ip_b);
	CHILD_CHECK_OK(umx_netfront_send(nf, f, n));
	r = net_recv_timeout(nf, got, sizeof(got), 5000);
	n = net_arp(want, 2, mac_a, mac_b, mac_b, ip_b, mac_a, ip_a);
	CHILD_CHECK(r == (int)n);
	CHILD_CHECK(memcmp(got, want, n) == 0);
	/* Ping 10.0.0.2 (unicast: the switch learnt both MACs). */
	for (uint16_t seq = 1; seq <= PINGS; seq++) {
		n = net_icmp_echo(f, 8, mac_b, mac_a, ip_a, ip_b, seq);
		CHILD_CHECK_OK(umx_netfront_send(nf, f, n));
		r = net_recv_timeout(nf, got, sizeof(got), 5000);
		n = net_icmp_echo(want, 0, mac_a, mac_b, ip_b, ip_a, seq);
		CHILD_CHECK(r == (int)n);
		CHILD_CHECK(memcmp(got, want, n) == 0);
	}
	/* A 6000-byte frame as a 3-slot chain; B echoes it with MACs swapped. */
	jumbo(f, mac_b, mac_a);
	struct iovec iov[3] = {{f, 2000}, {f + 2000, 2000}, {f + 4000, 2000}};
	CHILD_CHECK_OK(umx_netfront_sendv(nf, iov, 3));
	r = net_recv_timeout(nf, got, sizeof(got), 5000);
	jumbo(want, mac_a, mac_b);
	CHILD_CHECK(r == JUMBO);
	CHILD_CHECK(memcmp(got, want, JUMBO) == 0);
	struct umx_net_stats st;
	umx_netfront_stats(nf, &st);
	CHILD_CHECK(st.tx_frames == 2 + PINGS);
	CHILD_CHECK(st.rx_frames == 2 + PINGS);
	CHILD_CHECK(!st.tx_errors);
	CHILD_CHECK(umx_netfront_broken(nf) == 0);
	CHILD_CHECK(write(c->a_done[1], "d", 1) == 1);
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}

static int dom_b(void *arg)
{
	struct ctx *c = arg;
	static uint8_t f[JUMBO], want[JUMBO], got[UMX_NET_FRAME_MAX];
	umx_plat *p;
	umx_netfront *nf;
	size_t n;
	char ch;
	int r;

	CHILD_CHECK(read(c->go_b[0], &ch, 1) == 1);
	CHILD_CHECK_OK(open_vif(&nf, &p));
	CHILD_CHECK(write(c->b_ready[1], "r", 1) == 1);
	r = net_recv_timeout(nf, got, sizeof(got), 5000);
	n = net_arp(want, 1, bcast, mac_a, mac_a, ip_a, zero, ip_b);
	CHILD_CHECK(r == (int)n);
	CHILD_CHECK(memcmp(got, want, n) == 0);
	n = net_arp(f, 2, mac_a, mac_b, mac_b, ip_b, mac_a, ip_a);
	CHILD_CHECK_OK(umx_netfront_send(nf, f, n));
	for (uint16_t seq = 1; seq <= PINGS; seq++) {
		r = net_recv_timeout(nf, got, sizeof(got), 5000);
		n = net_icmp_echo(want, 8, mac_b, mac_a, ip_a, ip_b, seq);
		CHILD_CHECK(r == (int)n);
		CHILD_CHECK(memcmp(got, want, n) == 0);
		n = net_icmp_echo(f, 0, mac_a, mac_b, ip_b, ip_a, seq);
		CHILD_CHECK_OK(umx_netfront_send(nf, f, n));
	}
	r = net_recv_timeout(nf, got, sizeof(got), 5000);
	jumbo(want, mac_b, mac_a);
	CHILD_CHECK(r == JUMBO);
	CHILD_CHECK(memcmp(got, want, JUMBO) == 0);
	jumbo(f, mac_a, mac_b);
	CHILD_CHECK_OK(umx_netfront_send(nf, f, JUMBO)); /* 2 slots: 4096 + 1904 */
	CHILD_CHECK(read(c->a_done[0], &ch, 1) == 1);
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}

static void test_net_frames_through_switch(void **state)
{
	struct umx_test_daemon d;
	struct umx_net_port ports[UMX_NET_PORTS_MAX];
	const struct umx_net_port *pa, *pb;
	struct net_sw sw;
	struct ctx c;
	uint32_t sdom, adom, bdom;
	pid_t spid, apid, bpid;
	int n;
	(void)state;

	assert_int_equal(pipe(c.go_a) | pipe(c.go_b) | pipe(c.b_ready) | pipe(c.a_done), 0);
	net_switch_start(&d, &sw, &sdom, &spid);
	assert_int_equal(umx_test_domain_fork(&d, "a", dom_a, &c, &adom, &apid), 0);
	assert_int_equal(umx_test_domain_fork(&d, "b", dom_b, &c, &bdom, &bpid), 0);
	assert_int_equal(net_attach(adom, sdom, 0x0a), 0);
	assert_int_equal(net_attach(bdom, sdom, 0x0b), 0);
	assert_int_equal(write(c.go_a[1], "g", 1), 1);
	assert_int_equal(write(c.go_b[1], "g", 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, adom, apid), 0);
	assert_int_equal(umx_test_domain_reap(&d, bdom, bpid), 0);
	n = net_sw_stop(&sw, ports);
	assert_int_equal(n, 2);
	pa = net_port(ports, n, adom);
	pb = net_port(ports, n, bdom);
	assert_non_null(pa);
	assert_non_null(pb);
	assert_string_equal(pa->reason, "");
	assert_string_equal(pb->reason, "");
	assert_memory_equal(pa->mac, mac_a, 6);
	assert_int_equal(pa->rx_frames, 2 + PINGS);
	assert_int_equal(pb->rx_frames, 2 + PINGS);
	assert_int_equal(pa->tx_frames, 2 + PINGS);
	assert_int_equal(pb->tx_frames, 2 + PINGS);
	assert_int_equal(pa->rx_bytes, 60 + PINGS * 98 + JUMBO);
	assert_int_equal(pa->dropped + pb->dropped + pa->errors + pb->errors, 0);
	net_switch_finish(&d, sdom, spid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_net_frames_through_switch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
