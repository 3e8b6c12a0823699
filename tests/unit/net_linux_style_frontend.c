/* SPDX-License-Identifier: MIT */
/* A frontend that behaves like Linux's xen-netfront (no feature-persistent:
 * a fresh grant per TX packet and per RX buffer, access ended after each
 * response) pings an honest umx domain through the switch: the backend's
 * per-slot map/copy/unmap path delivers every frame byte for byte, and
 * every grant can be ended at once (0, not -EBUSY) after its response,
 * because the backend keeps no mapping of a non-persistent frontend. */
#include <stdint.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/netif.h>

#include "umx_test.h"
#include "net_util.h"
#include "umx/barrier.h"
#include "umx/grant.h"

#define PINGS 5
#define NRX   8

static const uint8_t mac_l[6] = {0x02, 0, 0, 0, 0, 0x1c};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t ip_l[4] = {10, 0, 0, 1};
static const uint8_t ip_b[4] = {10, 0, 0, 2};

struct ctx {
	struct net_echo e; /* B; its go pipe starts L too */
};

static int dom_b(void *arg)
{
	struct ctx *c = arg;
	return net_echo_domain(&c->e);
}

struct lf {
	struct net_rawfe r;
	umx_plat_shared *rxbuf[NRX];
	uint32_t txp, rxp, tx_cons, rx_cons;
};

static int lf_setup(struct lf *l)
{
	/* No feature-persistent, as Linux. */
	static const char *const features[] = {"feature-rx-notify", "feature-sg", NULL};

	if (net_rawfe_open(&l->r) < 0)
		return -1;
	return net_rawfe_connect(&l->r, features);
}

/* A fresh writable grant per RX buffer, as Linux's xennet_alloc_rx_buffers. */
static int post_rx(struct lf *l, uint16_t id)
{
	struct netif_rx_request q = {.id = id};
	if (umx_plat_share(l->r.p, l->r.bid, 1, false, NULL, &l->rxbuf[id]) < 0)
		return -1;
	q.gref = umx_plat_share_ref(l->rxbuf[id], 0);
	memcpy(l->r.rx + 64 + (l->rxp++ % 256) * 8, &q, sizeof(q));
	umx_store_release32(l->r.rx, l->rxp);
	return umx_plat_evtchn_notify(l->r.p, l->r.port);
}

static int wait_index(const uint8_t *idx, uint32_t above)
{
	for (int i = 0; i < 5000; i++) {
		if (umx_load_acquire32(idx) > above)
			return 0;
		usleep(1000);
	}
	return -1;
}

static int dom_l(void *arg)
{
	struct ctx *c = arg;
	struct lf l = {0};
	uint8_t f[128], want[128];
	char ch;

	CHILD_CHECK(read(c->e.go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(lf_setup(&l));
	for (uint16_t i = 0; i < NRX; i++)
		CHILD_CHECK_OK(post_rx(&l, i));
	CHILD_CHECK(read(c->e.ready[0], &ch, 1) == 1);
	for (uint16_t seq = 1; seq <= PINGS; seq++) {
		struct netif_tx_request q = {.id = (uint16_t)(seq % 256), .size = 98};
		struct netif_tx_response tr;
		struct netif_rx_response rr;
		umx_plat_shared *page;
		size_t n = net_icmp_echo(f, 8, mac_b, mac_l, ip_l, ip_b, seq);

		/* A fresh read-only grant per packet, as xennet_start_xmit. */
		CHILD_CHECK_OK(umx_plat_share(l.r.p, l.r.bid, 1, true, NULL, &page));
		memcpy(umx_plat_share_addr(page), f, n);
		q.gref = umx_plat_share_ref(page, 0);
		memcpy(l.r.tx + 64 + (l.txp++ % 256) * 12, &q, sizeof(q));
		umx_store_release32(l.r.tx, l.txp);
		umx_plat_evtchn_notify(l.r.p, l.r.port);
		CHILD_CHECK_OK(wait_index(l.r.tx + 8, l.tx_cons));
		memcpy(&tr, l.r.tx + 64 + (l.tx_cons++ % 256) * 12, sizeof(tr));
		CHILD_CHECK(tr.id == q.id);
		CHILD_CHECK(tr.status == NETIF_RSP_OKAY);
		CHILD_CHECK(umx_plat_unshare(l.r.p, page) == 0); /* the backend kept a mapping */
		/* The reply, into one of our buffers. */
		CHILD_CHECK_OK(wait_index(l.r.rx + 8, l.rx_cons));
		memcpy(&rr, l.r.rx + 64 + (l.rx_cons++ % 256) * 8, sizeof(rr));
		CHILD_CHECK(rr.id < NRX);
		CHILD_CHECK(l.rxbuf[rr.id]);
		CHILD_CHECK(rr.status == 98);
		CHILD_CHECK(rr.offset + 98u <= UMX_PAGE_SIZE);
		memcpy(f, (uint8_t *)umx_plat_share_addr(l.rxbuf[rr.id]) + rr.offset, 98);
		n = net_icmp_echo(want, 0, mac_l, mac_b, ip_b, ip_l, seq);
		CHILD_CHECK(memcmp(f, want, n) == 0);
		CHILD_CHECK(umx_plat_unshare(l.r.p, l.rxbuf[rr.id]) == 0);
		l.rxbuf[rr.id] = NULL;
		CHILD_CHECK_OK(post_rx(&l, rr.id));
	}
	return 0;
}

static void test_net_linux_style_frontend(void **state)
{
	struct umx_test_daemon d;
	struct umx_net_port ports[UMX_NET_PORTS_MAX];
	const struct umx_net_port *pl;
	struct net_sw sw;
	struct ctx c = {
	        .e = {.mac = mac_b, .ip = ip_b, .peer_mac = mac_l, .peer_ip = ip_l},
	};
	uint32_t sdom, ldom, bdom;
	pid_t spid, lpid, bpid;
	int n;
	(void)state;

	assert_int_equal(pipe(c.e.go) | pipe(c.e.stop) | pipe(c.e.ready), 0);
	net_switch_start(&d, &sw, &sdom, &spid);
	assert_int_equal(umx_test_domain_fork(&d, "linux", dom_l, &c, &ldom, &lpid), 0);
	assert_int_equal(umx_test_domain_fork(&d, "b", dom_b, &c, &bdom, &bpid), 0);
	assert_int_equal(net_attach(ldom, sdom, 0x1c), 0);
	assert_int_equal(net_attach(bdom, sdom, 0x0b), 0);
	assert_int_equal(write(c.e.go[1], "gg", 2), 2);
	assert_int_equal(umx_test_domain_reap(&d, ldom, lpid), 0);
	assert_int_equal(write(c.e.stop[1], "s", 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, bdom, bpid), 0);
	n = net_sw_stop(&sw, ports);
	assert_int_equal(n, 2);
	pl = net_port(ports, n, ldom);
	assert_non_null(pl);
	assert_string_equal(pl->reason, "");
	assert_int_equal(pl->rx_frames, PINGS);
	assert_int_equal(pl->tx_frames, PINGS);
	assert_int_equal(pl->errors + pl->dropped, 0);
	net_switch_finish(&d, sdom, spid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_net_linux_style_frontend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
