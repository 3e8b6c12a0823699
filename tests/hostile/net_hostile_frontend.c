/* SPDX-License-Identifier: MIT */
/* A hostile frontend (raw ring writes) against netback + switch: garbage
 * grefs, offset + size crossing the page end, an endless fragment chain,
 * the request producer running ahead, extra info never negotiated, a flood,
 * death in the middle of a packet, and GSO extra info that lies: size 0,
 * an unknown type, a second extra, a non-TCP frame, TCPv6 on IPv4, an IP
 * length that is not the frame's, no checksum offload. The backend answers
 * or disconnects that frontend alone (with the reason), and two honest
 * domains keep pinging each other through the same switch throughout. */
#include <stdint.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/netif.h>

#include "umx_test.h"
#include "net_util.h"
#include "umx/barrier.h"

#define PINGS 50

enum scen {
	GARBAGE_GREF,
	CROSS_PAGE,
	ENDLESS_CHAIN,
	PROD_AHEAD,
	EXTRA_INFO,
	GSO_SIZE_ZERO,
	GSO_TYPE_UNKNOWN,
	GSO_TWO_EXTRAS,
	GSO_NOT_TCP,
	GSO_V6_ON_V4,
	GSO_LENGTH_LIE,
	GSO_NO_CSUM,
	FLOOD,
	DEATH,
	STORM
};

struct ctx {
	enum scen s;
	struct net_echo e; /* B; its go pipe starts A and H too (one byte each) */
	int ping[2];       /* parent → A: start pinging */
	int did[2];        /* H → parent: misbehaved (or flooding) */
	int stop_h[2];     /* parent → H */
	int h_result[2];   /* H → parent: int */
};

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t ip_a[4] = {10, 0, 0, 1};
static const uint8_t ip_b[4] = {10, 0, 0, 2};

/* ---- honest domains ----------------------------------------------------- */

static int dom_a(void *arg)
{
	struct ctx *c = arg;
	static uint8_t f[128], want[128], got[UMX_NET_FRAME_MAX];
	umx_plat *p;
	umx_netfront *nf;
	char ch;

	CHILD_CHECK(read(c->e.go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_netfront_open(p, 0, 10000, &nf));
	CHILD_CHECK(read(c->ping[0], &ch, 1) == 1);
	CHILD_CHECK(read(c->e.ready[0], &ch, 1) == 1);
	for (uint16_t seq = 1; seq <= PINGS; seq++) {
		size_t n = net_icmp_echo(f, 8, mac_b, mac_a, ip_a, ip_b, seq);
		int r;
		CHILD_CHECK_OK(net_send_retry(nf, f, n, 5000));
		n = net_icmp_echo(want, 0, mac_a, mac_b, ip_b, ip_a, seq);
		/* Skip anything else the switch floods our way. */
		do
			r = net_recv_timeout(nf, got, sizeof(got), 5000);
		while (r > 0 && (r != (int)n || memcmp(got, want, n)) && memcmp(got, mac_a, 6));
		CHILD_CHECK(r == (int)n);
		CHILD_CHECK(memcmp(got, want, n) == 0);
	}
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}

static int dom_b(void *arg)
{
	struct ctx *c = arg;
	return net_echo_domain(&c->e);
}

/* ---- the hostile frontend ----------------------------------------------- */

struct hf {
	struct net_rawfe r;
	umx_plat_shared *data;
	uint32_t reqp;
	uint8_t mac[6];
};

static int hf_setup(struct hf *h)
{
	static const char *const features[] = {"feature-persistent", NULL};
	char path[160], *v;

	if (net_rawfe_open(&h->r) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/mac", h->r.fe);
	if (umx_xs_read(umx_plat_xs(h->r.p), 0, path, &v, NULL) < 0 ||
	    umx_net_parse_mac(v, h->mac) < 0)
		return -1;
	free(v);
	if (umx_plat_share(h->r.p, h->r.bid, 1, true, NULL, &h->data) < 0)
		return -1;
	/* A frame to ourselves: the switch learns us, then drops hairpins. */
	uint8_t *d = umx_plat_share_addr(h->data);
	memcpy(d, h->mac, 6);
	memcpy(d + 6, h->mac, 6);
	net_put16(d + 12, 0x88b5);
	return net_rawfe_connect(&h->r, features);
}

static void put_tx(struct hf *h, uint32_t gref, uint16_t off, uint16_t flags, uint16_t id,
                   uint16_t size)
{
	struct netif_tx_request q = {
	        .gref = gref, .offset = off, .flags = flags, .id = id, .size = size};
	memcpy(h->r.tx + 64 + (h->reqp++ % 256) * 12, &q, sizeof(q));
}

static void publish(struct hf *h, uint32_t prod);

static void put_extra(struct hf *h, uint8_t type, uint8_t flags, uint16_t size, uint8_t gso_type)
{
	struct netif_extra_info x;

	memset(&x, 0, sizeof(x));
	x.type = type;
	x.flags = flags;
	x.u.gso.size = size;
	x.u.gso.type = gso_type;
	memset(h->r.tx + 64 + (h->reqp % 256) * 12, 0, 12);
	memcpy(h->r.tx + 64 + (h->reqp++ % 256) * 12, &x, sizeof(x));
}

/* A TCP/IPv4 frame of @len bytes to ourselves on the data page whose IP
 * header claims @ip_len bytes; returns @len. */
static uint16_t tcp4_frame(struct hf *h, uint16_t len, uint16_t ip_len)
{
	uint8_t *d = umx_plat_share_addr(h->data);

	memset(d, 0, len);
	memcpy(d, h->mac, 6);
	memcpy(d + 6, h->mac, 6);
	net_put16(d + 12, 0x0800);
	d[14] = 0x45;
	net_put16(d + 16, ip_len);
	d[22] = 64;
	d[23] = 6;
	d[34 + 12] = 5 << 4; /* TCP header: 20 bytes */
	return len;
}

static void gso_attack(struct hf *h, uint32_t good, uint16_t flags, uint16_t size, uint8_t type,
                       uint8_t xtype, uint8_t xflags, uint16_t gso_size, uint8_t gso_type)
{
	put_tx(h, good, 0, (uint16_t)(flags | NETTXF_extra_info), 1, size);
	put_extra(h, xtype, xflags, gso_size, gso_type);
	if (xflags & XEN_NETIF_EXTRA_FLAG_MORE)
		put_extra(h, type, 0, gso_size, gso_type);
	publish(h, h->reqp);
}

static void publish(struct hf *h, uint32_t prod)
{
	umx_store_release32(h->r.tx, prod);
	umx_plat_evtchn_notify(h->r.p, h->r.port);
}

static int hostile(void *arg)
{
	struct ctx *c = arg;
	struct hf h = {0};
	uint32_t good;
	char ch;
	int result = 0;

	CHILD_CHECK(read(c->e.go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(hf_setup(&h));
	good = umx_plat_share_ref(h.data, 0);
	switch (c->s) {
	case GARBAGE_GREF: {
		put_tx(&h, 0xdeadbeef, 0, 0, 1, 60);
		put_tx(&h, good + 1000, 0, 0, 2, 60);
		put_tx(&h, good, 0, 0, 3, 60); /* a good one: OKAY */
		publish(&h, h.reqp);
		/* Expect the answers: ERROR, ERROR, OKAY, ids echoed. */
		for (int i = 0; i < 500 && umx_load_acquire32(h.r.tx + 8) < 3; i++)
			usleep(10000);
		CHILD_CHECK(umx_load_acquire32(h.r.tx + 8) == 3);
		struct netif_tx_response r[3];
		for (int i = 0; i < 3; i++)
			memcpy(&r[i], h.r.tx + 64 + i * 12, sizeof(r[i]));
		if (r[0].id != 1 || r[0].status != NETIF_RSP_ERROR || r[1].id != 2 ||
		    r[1].status != NETIF_RSP_ERROR || r[2].id != 3 || r[2].status != NETIF_RSP_OKAY)
			result = 62;
		break;
	}
	case CROSS_PAGE:
		put_tx(&h, good, 4000, 0, 1, 200);
		publish(&h, h.reqp);
		break;
	case ENDLESS_CHAIN:
		for (uint16_t i = 0; i < 200; i++)
			put_tx(&h, good, 0, NETTXF_more_data, i, i == 0 ? 60 : 1);
		publish(&h, h.reqp);
		break;
	case PROD_AHEAD:
		publish(&h, 100000);
		break;
	case EXTRA_INFO: /* multicast control, never offered */
		put_tx(&h, good, 0, NETTXF_extra_info, 1, 60);
		put_extra(&h, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
		publish(&h, h.reqp);
		break;
	case GSO_SIZE_ZERO:
		gso_attack(&h, good, NETTXF_csum_blank, tcp4_frame(&h, 1000, 986), 0,
		           XEN_NETIF_EXTRA_TYPE_GSO, 0, 0, XEN_NETIF_GSO_TYPE_TCPV4);
		break;
	case GSO_TYPE_UNKNOWN:
		gso_attack(&h, good, NETTXF_csum_blank, tcp4_frame(&h, 1000, 986), 0,
		           XEN_NETIF_EXTRA_TYPE_GSO, 0, 500, 7);
		break;
	case GSO_TWO_EXTRAS:
		gso_attack(&h, good, NETTXF_csum_blank, tcp4_frame(&h, 1000, 986),
		           XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_TYPE_GSO,
		           XEN_NETIF_EXTRA_FLAG_MORE, 500, XEN_NETIF_GSO_TYPE_TCPV4);
		break;
	case GSO_NOT_TCP: /* the 60-byte frame of type 0x88b5 */
		gso_attack(&h, good, NETTXF_csum_blank, 60, 0, XEN_NETIF_EXTRA_TYPE_GSO, 0, 500,
		           XEN_NETIF_GSO_TYPE_TCPV4);
		break;
	case GSO_V6_ON_V4:
		gso_attack(&h, good, NETTXF_csum_blank, tcp4_frame(&h, 1000, 986), 0,
		           XEN_NETIF_EXTRA_TYPE_GSO, 0, 500, XEN_NETIF_GSO_TYPE_TCPV6);
		break;
	case GSO_LENGTH_LIE: /* IP says 886 bytes, the slot 1000 */
		gso_attack(&h, good, NETTXF_csum_blank, tcp4_frame(&h, 1000, 886), 0,
		           XEN_NETIF_EXTRA_TYPE_GSO, 0, 500, XEN_NETIF_GSO_TYPE_TCPV4);
		break;
	case GSO_NO_CSUM:
		gso_attack(&h, good, 0, tcp4_frame(&h, 1000, 986), 0, XEN_NETIF_EXTRA_TYPE_GSO, 0,
		           500, XEN_NETIF_GSO_TYPE_TCPV4);
		break;
	case DEATH:
		put_tx(&h, good, 0, NETTXF_more_data, 1, 120);
		publish(&h, h.reqp);
		usleep(100000);
		CHILD_CHECK(write(c->did[1], "d", 1) == 1);
		_exit(0); /* mid-packet, never closing */
	case FLOOD:
	case STORM:
		break;
	}
	CHILD_CHECK(write(c->did[1], "d", 1) == 1);
	fcntl(c->stop_h[0], F_SETFL, O_NONBLOCK);
	while (read(c->stop_h[0], &ch, 1) != 1) {
		if (c->s == FLOOD) {
			/* Keep the ring full of valid requests, never reading a
			 * response, never waiting. */
			uint32_t rp = umx_load_acquire32(h.r.tx + 8);
			h.reqp = rp; /* responses overwrote the slots: refill */
			for (uint16_t i = 0; i < 256; i++)
				put_tx(&h, good, 0, 0, i, 60);
			publish(&h, h.reqp);
		} else if (c->s == STORM) {
			/* Events with no work at all, as fast as we can. */
			for (int i = 0; i < 1000; i++)
				umx_plat_evtchn_notify(h.r.p, h.r.port);
		} else {
			usleep(10000);
		}
	}
	CHILD_CHECK(write(c->h_result[1], &result, sizeof(result)) == sizeof(result));
	return result;
}

static void run(enum scen s)
{
	struct umx_test_daemon d;
	struct umx_net_port ports[UMX_NET_PORTS_MAX];
	const struct umx_net_port *pa, *pb, *ph;
	struct net_sw sw;
	struct ctx c = {
	        .s = s,
	        .e = {.mac = mac_b, .ip = ip_b, .peer_mac = mac_a, .peer_ip = ip_a},
	};
	uint32_t sdom, adom, bdom, hdom;
	pid_t spid, apid, bpid, hpid;
	int n, hres = -1;
	char ch;

	assert_int_equal(pipe(c.e.go) | pipe(c.ping) | pipe(c.did) | pipe(c.stop_h) |
	                         pipe(c.e.stop) | pipe(c.h_result) | pipe(c.e.ready),
	                 0);
	net_switch_start(&d, &sw, &sdom, &spid);
	assert_int_equal(umx_test_domain_fork(&d, "a", dom_a, &c, &adom, &apid), 0);
	assert_int_equal(umx_test_domain_fork(&d, "b", dom_b, &c, &bdom, &bpid), 0);
	assert_int_equal(umx_test_domain_fork(&d, "hostile", hostile, &c, &hdom, &hpid), 0);
	assert_int_equal(net_attach(adom, sdom, 0x0a), 0);
	assert_int_equal(net_attach(bdom, sdom, 0x0b), 0);
	assert_int_equal(net_attach(hdom, sdom, 0x66), 0);
	assert_int_equal(write(c.e.go[1], "ggg", 3), 3);
	assert_int_equal(read(c.did[0], &ch, 1), 1);
	long t0 = net_now_ms();
	if (s == DEATH)
		assert_int_equal(umx_test_domain_reap(&d, hdom, hpid), 0);
	usleep(200000);
	/* The honest pair, through the same switch, now. */
	assert_int_equal(write(c.ping[1], "p", 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, adom, apid), 0);
	assert_int_equal(write(c.e.stop[1], "s", 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, bdom, bpid), 0);
	if (s != DEATH) {
		assert_int_equal(write(c.stop_h[1], "s", 1), 1);
		assert_int_equal(read(c.h_result[0], &hres, sizeof(hres)), sizeof(hres));
		assert_int_equal(hres, 0);
	}
	n = net_sw_stop(&sw, ports);
	long elapsed = net_now_ms() - t0;
	if (s != DEATH)
		assert_int_equal(umx_test_domain_reap(&d, hdom, hpid), 0);
	assert_int_equal(n, 3);
	pa = net_port(ports, n, adom);
	pb = net_port(ports, n, bdom);
	ph = net_port(ports, n, hdom);
	assert_non_null(pa);
	assert_non_null(pb);
	assert_non_null(ph);
	fprintf(stderr, "hostile port: connected %d errors %llu rx %llu reason '%s'\n",
	        ph->connected, (unsigned long long)ph->errors, (unsigned long long)ph->rx_frames,
	        ph->reason);
	assert_string_equal(pa->reason, "");
	assert_string_equal(pb->reason, "");
	assert_true(pa->rx_frames >= PINGS && pb->rx_frames >= PINGS);
	switch (s) {
	case GARBAGE_GREF: /* answered with errors, as Linux does; still connected */
		assert_string_equal(ph->reason, "");
		assert_int_equal(ph->errors, 2);
		assert_int_equal(ph->rx_frames, 1);
		break;
	case CROSS_PAGE:
		assert_non_null(strstr(ph->reason, "crosses the page end"));
		break;
	case ENDLESS_CHAIN:
		assert_non_null(strstr(ph->reason, "chain longer than"));
		break;
	case PROD_AHEAD:
		assert_non_null(strstr(ph->reason, "overruns"));
		break;
	case EXTRA_INFO:
		assert_non_null(strstr(ph->reason, "extra info type 2 not negotiated"));
		break;
	case GSO_SIZE_ZERO:
		assert_non_null(strstr(ph->reason, "GSO size below"));
		break;
	case GSO_TYPE_UNKNOWN:
		assert_non_null(strstr(ph->reason, "GSO type unknown"));
		break;
	case GSO_TWO_EXTRAS:
		assert_non_null(strstr(ph->reason, "more than one extra info"));
		break;
	case GSO_NOT_TCP:
		assert_non_null(strstr(ph->reason, "not TCP"));
		break;
	case GSO_V6_ON_V4:
		assert_non_null(strstr(ph->reason, "does not match the frame's IP version"));
		break;
	case GSO_LENGTH_LIE:
		assert_non_null(strstr(ph->reason, "length differs"));
		break;
	case GSO_NO_CSUM:
		assert_non_null(strstr(ph->reason, "without checksum offload"));
		break;
	case FLOOD: /* served its share, and no more than that */
		assert_string_equal(ph->reason, "");
		assert_true(ph->rx_frames > 1000);
		break;
	case STORM: /* seen, counted, and rate-limited per 100 ms window */
		fprintf(stderr, "storm: %llu spurious events in %ld ms\n",
		        (unsigned long long)ph->spurious_events, elapsed);
		assert_string_equal(ph->reason, "");
		assert_true(ph->spurious_events > UMX_NET_STORM_EVENTS);
		assert_true(ph->spurious_events <=
		            (uint64_t)(elapsed / 100 + 3) * (UMX_NET_STORM_EVENTS + 1));
		break;
	case DEATH: /* gone with its domain: disconnected, nothing forwarded */
		assert_false(ph->connected);
		assert_int_equal(ph->rx_frames, 0);
		break;
	}
	if (s != GARBAGE_GREF && s != FLOOD && s != STORM)
		assert_false(ph->connected);
	net_switch_finish(&d, sdom, spid);
}

static void garbage_grefs_get_errors(void **st)
{
	(void)st;
	run(GARBAGE_GREF);
}
static void slot_crossing_page_end_disconnects(void **st)
{
	(void)st;
	run(CROSS_PAGE);
}
static void endless_fragment_chain_disconnects(void **st)
{
	(void)st;
	run(ENDLESS_CHAIN);
}
static void request_producer_ahead_disconnects(void **st)
{
	(void)st;
	run(PROD_AHEAD);
}
static void extra_info_not_negotiated_disconnects(void **st)
{
	(void)st;
	run(EXTRA_INFO);
}
static void gso_size_zero_disconnects(void **st)
{
	(void)st;
	run(GSO_SIZE_ZERO);
}
static void gso_type_unknown_disconnects(void **st)
{
	(void)st;
	run(GSO_TYPE_UNKNOWN);
}
static void gso_second_extra_disconnects(void **st)
{
	(void)st;
	run(GSO_TWO_EXTRAS);
}
static void gso_on_a_frame_that_is_not_tcp_disconnects(void **st)
{
	(void)st;
	run(GSO_NOT_TCP);
}
static void gso_tcpv6_on_an_ipv4_frame_disconnects(void **st)
{
	(void)st;
	run(GSO_V6_ON_V4);
}
static void gso_ip_length_not_the_frames_disconnects(void **st)
{
	(void)st;
	run(GSO_LENGTH_LIE);
}
static void gso_without_checksum_offload_disconnects(void **st)
{
	(void)st;
	run(GSO_NO_CSUM);
}
static void flood_gets_its_share_only(void **st)
{
	(void)st;
	run(FLOOD);
}
static void event_storm_is_rate_limited(void **st)
{
	(void)st;
	run(STORM);
}
static void death_mid_packet(void **st)
{
	(void)st;
	run(DEATH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(garbage_grefs_get_errors),
	        cmocka_unit_test(slot_crossing_page_end_disconnects),
	        cmocka_unit_test(endless_fragment_chain_disconnects),
	        cmocka_unit_test(request_producer_ahead_disconnects),
	        cmocka_unit_test(extra_info_not_negotiated_disconnects),
	        cmocka_unit_test(gso_size_zero_disconnects),
	        cmocka_unit_test(gso_type_unknown_disconnects),
	        cmocka_unit_test(gso_second_extra_disconnects),
	        cmocka_unit_test(gso_on_a_frame_that_is_not_tcp_disconnects),
	        cmocka_unit_test(gso_tcpv6_on_an_ipv4_frame_disconnects),
	        cmocka_unit_test(gso_ip_length_not_the_frames_disconnects),
	        cmocka_unit_test(gso_without_checksum_offload_disconnects),
	        cmocka_unit_test(flood_gets_its_share_only),
	        cmocka_unit_test(event_storm_is_rate_limited),
	        cmocka_unit_test(death_mid_packet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
