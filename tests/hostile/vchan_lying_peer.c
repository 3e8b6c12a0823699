/* SPDX-License-Identifier: MIT */
/* vchan against a lying peer built from raw platform ops: bad control pages
 * and store values are refused (-EPROTO); a peer that rewrites indices,
 * orders, grants, live and notify bytes at random while we read and write
 * only ever yields in-bounds results or a sticky -EPROTO; a peer that dies
 * after half a packet is end of stream, not a hang; an event storm with no
 * data neither wakes a blocked reader falsely nor hides the real byte;
 * data moved in without the event we asked for still arrives (the 500 ms
 * recheck) and counts as a lost wake-up. Both roles. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <xen/io/libxenvchan.h>

#include "vchan_util.h"
#include "umx/internal/clock.h"
#include "umx/platform.h"

static int sync_pipe[2]; /* hostile peer -> our side: "offer is up" */

/* A client's start: both domids from the harness, then the hostile or
 * our server's "offer is up". 0 or -1. */
static int wait_offer(struct vpair *vp, uint32_t doms[2])
{
	char c;

	if (read(vp->to_client[0], doms, 2 * sizeof(doms[0])) != 2 * sizeof(doms[0]) ||
	    read(sync_pipe[0], &c, 1) != 1)
		return -1;
	return 0;
}

static uint64_t seed_from_env(void)
{
	const char *s = getenv("UMX_TEST_SEED");
	return s ? strtoull(s, NULL, 0) : 0x5eed;
}

/* ---- a raw server: publishes whatever control page it likes ------------ */

struct raw_srv {
	umx_plat *p;
	umx_plat_shared *ctrl, *rings;
	struct vchan_interface *page;
	unsigned char *ring_mem;
	int port;
};

static int raw_publish(struct raw_srv *s, uint32_t client, const char *path, const char *ref,
                       const char *port)
{
	static const char *const leaf[2] = {"ring-ref", "event-channel"};
	const char *val[2] = {ref, port};
	umx_xs *xs = umx_plat_xs(s->p);
	char node[128], p0[16], p1[16];
	const char *perms[2] = {p0, p1};

	snprintf(p0, sizeof(p0), "n%u", umx_plat_domid(s->p));
	snprintf(p1, sizeof(p1), "r%u", client);
	for (int i = 0; i < 2; i++) {
		snprintf(node, sizeof(node), "%s/%s", path, leaf[i]);
		if (umx_xs_write_str(xs, 0, node, val[i]) < 0 ||
		    umx_xs_set_perms(xs, 0, node, perms, 2) < 0)
			return -1;
	}
	return 0;
}

/* A well-formed vchan: both rings order 12, granted. */
/* @p: a platform handle to reuse, or NULL. One per process: every handle
 * of a domain shares its grant table. */
static int raw_srv_open(struct raw_srv *s, uint32_t client, umx_plat *p)
{
	struct umx_gnt_notify n = {UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT, 21, 0};

	if (p)
		s->p = p;
	else if (umx_plat_open(NULL, &s->p) < 0)
		return -1;
	if ((s->port = umx_plat_evtchn_alloc_unbound(s->p, client)) < 0)
		return -1;
	n.port = (uint32_t)s->port;
	if (umx_plat_share(s->p, client, 1, false, &n, &s->ctrl) < 0 ||
	    umx_plat_share(s->p, client, 2, false, NULL, &s->rings) < 0)
		return -1;
	s->page = umx_plat_share_addr(s->ctrl);
	s->ring_mem = umx_plat_share_addr(s->rings);
	s->page->left_order = 12;
	s->page->right_order = 12;
	s->page->grants[0] = umx_plat_share_ref(s->rings, 0);
	s->page->grants[1] = umx_plat_share_ref(s->rings, 1);
	s->page->cli_live = 2;
	s->page->srv_live = 1;
	s->page->cli_notify = VCHAN_NOTIFY_WRITE;
	return 0;
}

static int raw_srv_offer(struct raw_srv *s, uint32_t client, const char *path)
{
	char ref[16], port[16];
	snprintf(ref, sizeof(ref), "%u", umx_plat_share_ref(s->ctrl, 0));
	snprintf(port, sizeof(port), "%d", s->port);
	return raw_publish(s, client, path, ref, port);
}

/* ---- 1. bad control pages and store values ----------------------------- */

static const struct {
	uint16_t left, right;
} bad_orders[] = {
        {9, 11}, {21, 12}, {10, 10}, {11, 11}, {10, 20}, {65535, 12}, {12, 0},
};
#define NBAD (sizeof(bad_orders) / sizeof(bad_orders[0]))

static int bad_server(void *arg)
{
	struct vpair *vp = arg;
	struct raw_srv s[NBAD + 1];
	char path[64];

	for (size_t i = 0; i <= NBAD; i++) {
		CHILD_CHECK_OK(raw_srv_open(&s[i], vp->client_domid, i ? s[0].p : NULL));
		if (i < NBAD) {
			s[i].page->left_order = bad_orders[i].left;
			s[i].page->right_order = bad_orders[i].right;
		}
		snprintf(path, sizeof(path), "data/vchan/bad%zu", i);
		CHILD_CHECK_OK(raw_srv_offer(&s[i], vp->client_domid, path));
	}
	CHILD_CHECK_OK(raw_publish(&s[0], vp->client_domid, "data/vchan/ref-abc", "12abc", "5"));
	CHILD_CHECK_OK(raw_publish(&s[0], vp->client_domid, "data/vchan/ref-0", "0", "5"));
	CHILD_CHECK_OK(
	        raw_publish(&s[0], vp->client_domid, "data/vchan/port-big", "8", "99999999999"));
	CHILD_CHECK_OK(raw_publish(&s[0], vp->client_domid, "data/vchan/port-neg", "8", "-3"));
	CHILD_CHECK(write(sync_pipe[1], "o", 1) == 1);
	pause();
	return 0;
}

static int bad_client(void *arg)
{
	struct vpair *vp = arg;
	uint32_t doms[2];
	char path[96];
	umx_vchan *v;
	int r;

	CHILD_CHECK_OK(wait_offer(vp, doms));
	for (size_t i = 0; i < NBAD; i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/data/vchan/bad%zu", doms[0], i);
		if ((r = umx_vchan_client_open(doms[0], path, 0, &v)) != -EPROTO) {
			fprintf(stderr, "orders %u/%u accepted: %d\n", bad_orders[i].left,
			        bad_orders[i].right, r);
			CHILD_FAIL("bad ring orders accepted");
		}
	}
	static const char *const bad_nodes[] = {"ref-abc", "ref-0", "port-big", "port-neg"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/data/vchan/%s", doms[0],
		         bad_nodes[i]);
		CHILD_CHECK(umx_vchan_client_open(doms[0], path, 0, &v) == -EPROTO);
	}
	/* The well-formed one next to them connects. */
	snprintf(path, sizeof(path), "/local/domain/%u/data/vchan/bad%zu", doms[0], NBAD);
	CHILD_CHECK_OK(umx_vchan_client_open(doms[0], path, 0, &v));
	umx_vchan_close(v);
	return 0;
}

/* ---- 2/3. random mutation of every shared field ------------------------ */

/* Drive our end with random non-blocking calls and check every result. */
static int exercise(umx_vchan *v, uint64_t seed, int iters)
{
	static uint8_t buf[10000];
	uint64_t rs = seed;
	bool broken = false;

	umx_vchan_set_blocking(v, false);
	for (int i = 0; i < iters; i++) {
		size_t len = (size_t)(vt_rand(&rs) % 6000);
		int op = (int)(vt_rand(&rs) % 7), r;
		switch (op) {
		case 0:
			r = umx_vchan_read(v, buf, len);
			break;
		case 1:
			r = umx_vchan_recv(v, buf, len);
			break;
		case 2:
			r = umx_vchan_write(v, buf, len);
			break;
		case 3:
			r = umx_vchan_send(v, buf, len);
			break;
		case 4:
			r = umx_vchan_data_ready(v);
			len = umx_vchan_read_size(v);
			break;
		case 5:
			r = umx_vchan_buffer_space(v);
			len = umx_vchan_write_size(v);
			break;
		default:
			r = umx_vchan_is_open(v);
			len = 2;
			break;
		}
		if (r > (int)len && !(op == 6 && r <= 2))
			return fprintf(stderr, "op %d: %d > %zu\n", op, r, len), -1;
		/* -ECONNRESET: its live byte went 0 without umx's orderly-close bit,
		 * which is what a lying peer that set the capability bit looks like. */
		if (r < 0 && r != -EAGAIN && r != -EPROTO && r != -EPIPE && r != -EMSGSIZE &&
		    r != -ECONNRESET)
			return fprintf(stderr, "op %d: unexpected %d\n", op, r), -1;
		if (broken && r != -EPROTO)
			return fprintf(stderr, "op %d after broken: %d\n", op, r), -1;
		if (r == -EPROTO) {
			if (!umx_vchan_broken(v))
				return -1;
			broken = true;
		}
	}
	return broken ? 1 : 0;
}

static void scribble(struct vchan_interface *c, uint64_t *rs)
{
	uint64_t x = vt_rand(rs);
	uint32_t *idx[4] = {&c->left.cons, &c->left.prod, &c->right.cons, &c->right.prod};
	static const uint8_t lives[] = {0, 1, 2, 1, 1, 7, 255};

	switch (x % 8) {
	case 0: /* small honest-looking step */
		*idx[(x >> 8) % 4] += (uint32_t)((x >> 16) % 64);
		break;
	case 1: /* anything */
		*idx[(x >> 8) % 4] = (uint32_t)(x >> 32);
		break;
	case 2:
		c->cli_live = lives[(x >> 8) % sizeof(lives)];
		c->srv_live = lives[(x >> 16) % sizeof(lives)];
		break;
	case 3:
		c->left_order = (uint16_t)(x >> 8);
		c->right_order = (uint16_t)(x >> 24);
		break;
	case 4:
		c->grants[(x >> 8) % 8] = (uint32_t)(x >> 32);
		break;
	case 5:
		c->cli_notify = (uint8_t)(x >> 8);
		c->srv_notify = (uint8_t)(x >> 16);
		break;
	default:
		break;
	}
}

/* One round of lies from either role: a shared field and a ring byte
 * rewritten at random, sometimes an event, sometimes a pause, so the
 * other end meets the lies in the middle of its calls. */
static void lie(struct vchan_interface *page, unsigned char *rings, umx_plat *p, int port,
                uint64_t *rs)
{
	scribble(page, rs);
	memset(rings + (vt_rand(rs) % 8192), (int)*rs, 1);
	if (vt_rand(rs) % 16 == 0)
		umx_plat_evtchn_notify(p, (uint32_t)port);
	if (vt_rand(rs) % 64 == 0)
		usleep(50);
}

static int mutating_server(void *arg)
{
	struct vpair *vp = arg;
	struct raw_srv s;
	uint64_t rs = seed_from_env() * 3 + 1;

	CHILD_CHECK_OK(raw_srv_open(&s, vp->client_domid, NULL));
	CHILD_CHECK_OK(raw_srv_offer(&s, vp->client_domid, "data/vchan/mut"));
	CHILD_CHECK(write(sync_pipe[1], "o", 1) == 1);
	/* Wait for the client, then lie until killed. */
	while (s.page->cli_live == 2)
		usleep(1000);
	for (;;)
		lie(s.page, s.ring_mem, s.p, s.port, &rs);
}

static int our_client(void *arg)
{
	struct vpair *vp = arg;
	uint32_t doms[2];
	char path[96];
	umx_vchan *v;
	int r;

	alarm(60);
	CHILD_CHECK_OK(wait_offer(vp, doms));
	snprintf(path, sizeof(path), "/local/domain/%u/data/vchan/mut", doms[0]);
	for (int round = 0; round < 20; round++) {
		if ((r = umx_vchan_client_open(doms[0], path, 0, &v)) < 0) {
			CHILD_CHECK(r == -EPROTO); /* the server broke its page */
			return 0;
		}
		CHILD_CHECK_OK(exercise(v, seed_from_env() + (uint64_t)round, 20000));
		umx_vchan_close(v);
	}
	return 0;
}

/* Our server against a client that maps the page and lies. */
static int our_server(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v;
	int r;

	alarm(60);
	CHILD_CHECK((v = vt_server(vp)));
	CHILD_CHECK(write(sync_pipe[1], "o", 1) == 1);
	while ((r = umx_vchan_is_open(v)) == 2)
		usleep(1000);
	CHILD_CHECK_OK(exercise(v, seed_from_env() * 7, 200000));
	umx_vchan_close(v);
	return 0;
}

struct raw_cli {
	umx_plat *p;
	umx_plat_mapped *ctrl, *rings;
	struct vchan_interface *page;
	int port;
};

static int raw_cli_open(struct raw_cli *c, uint32_t server, const char *path)
{
	struct umx_gnt_notify n = {UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT, 20, 0};
	static const char *const leaf[2] = {"ring-ref", "event-channel"};
	char node[128], *val;
	uint32_t got[2], refs[2];

	if (umx_plat_open(NULL, &c->p) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		snprintf(node, sizeof(node), "%s/%s", path, leaf[i]);
		if (umx_xs_read(umx_plat_xs(c->p), 0, node, &val, NULL) < 0)
			return -1;
		got[i] = (uint32_t)atoi(val);
		free(val);
	}
	uint32_t ref = got[0], rport = got[1];
	if ((c->port = umx_plat_evtchn_bind_interdomain(c->p, server, rport)) < 0)
		return -1;
	n.port = (uint32_t)c->port;
	if (umx_plat_map(c->p, server, 1, &ref, false, &n, &c->ctrl) < 0)
		return -1;
	c->page = umx_plat_map_addr(c->ctrl);
	refs[0] = c->page->grants[0];
	refs[1] = c->page->grants[1];
	if (umx_plat_map(c->p, server, 2, refs, false, NULL, &c->rings) < 0)
		return -1;
	c->page->cli_live = 1;
	return 0;
}

/* A raw client on the path our server offers; a failed step fails the
 * child. */
static void raw_cli_connect(struct vpair *vp, struct raw_cli *c)
{
	uint32_t doms[2];
	char path[96];

	CHILD_CHECK_OK(wait_offer(vp, doms));
	vt_path(path, sizeof(path), doms[0], doms[1]);
	CHILD_CHECK_OK(raw_cli_open(c, doms[0], path));
}

static int mutating_client(void *arg)
{
	struct vpair *vp = arg;
	struct raw_cli c;
	uint64_t rs = seed_from_env() * 5 + 3;

	raw_cli_connect(vp, &c);
	for (;;)
		lie(c.page, umx_plat_map_addr(c.rings), c.p, c.port, &rs);
	return 0; /* not reached: the parent kills us */
}

/* ---- 4. death after half a packet -------------------------------------- */

static int half_packet_client(void *arg)
{
	struct vpair *vp = arg;
	struct raw_cli c;
	unsigned char *left;

	raw_cli_connect(vp, &c);
	left = umx_plat_map_addr(c.rings); /* left ring: client -> server */
	vt_fill(11, 0, left, 10);
	__atomic_store_n(&c.page->left.prod, 10, __ATOMIC_RELEASE);
	umx_plat_evtchn_notify(c.p, (uint32_t)c.port);
	usleep(100000); /* the server waits for the rest of its packet */
	raise(SIGKILL);
	CHILD_FAIL("survived SIGKILL");
}

static int packet_server(void *arg)
{
	struct vpair *vp = arg;
	uint8_t buf[20];
	umx_vchan *v;

	alarm(20);
	CHILD_CHECK((v = vt_server(vp)));
	CHILD_CHECK(write(sync_pipe[1], "o", 1) == 1);
	CHILD_CHECK(umx_vchan_recv(v, buf, 20) == 0); /* end of stream, not a hang */
	CHILD_CHECK(umx_vchan_read(v, buf, 20) == 10);
	CHILD_CHECK(vt_check(11, 0, buf, 10) < 0); /* the half packet is still there as a stream */
	CHILD_CHECK(umx_vchan_read(v, buf, 20) == 0);
	umx_vchan_close(v);
	return 0;
}

/* ---- 5. event storm ------------------------------------------------------ */

static int storm_client(void *arg)
{
	struct vpair *vp = arg;
	struct raw_cli c;
	uint64_t end;

	raw_cli_connect(vp, &c);
	end = umx_clock_ms() + 300;
	do { /* events with no data, as fast as we can */
		for (int i = 0; i < 1000; i++)
			umx_plat_evtchn_notify(c.p, (uint32_t)c.port);
	} while (umx_clock_ms() < end);
	*(unsigned char *)umx_plat_map_addr(c.rings) = 0x42;
	__atomic_store_n(&c.page->left.prod, 1, __ATOMIC_RELEASE);
	umx_plat_evtchn_notify(c.p, (uint32_t)c.port);
	for (;;)
		pause();
	return 0; /* not reached: the parent kills us */
}

static int storm_server(void *arg)
{
	struct vpair *vp = arg;
	uint8_t b = 0;
	umx_vchan *v;

	alarm(20);
	CHILD_CHECK((v = vt_server(vp)));
	CHILD_CHECK(write(sync_pipe[1], "o", 1) == 1);
	/* Blocked through the storm, then the one real byte. */
	CHILD_CHECK(umx_vchan_read(v, &b, 1) == 1);
	CHILD_CHECK(b == 0x42);
	umx_vchan_close(v);
	return 0;
}

/* ---- 6. a withheld event ------------------------------------------------ */

#define SILENT_ROUNDS 5

/* Each round: wait until our server, about to block reading, asks to be
 * notified of data (and take the request, as an honest peer would); then
 * write 10 bytes and move the producer without the notify. */
static int silent_client(void *arg)
{
	struct vpair *vp = arg;
	struct raw_cli c;
	unsigned char *left;

	alarm(30);
	raw_cli_connect(vp, &c);
	left = umx_plat_map_addr(c.rings); /* left ring: client -> server */
	for (uint32_t round = 0; round < SILENT_ROUNDS; round++) {
		while (!(__atomic_fetch_and(&c.page->cli_notify, (uint8_t)~VCHAN_NOTIFY_WRITE,
		                            __ATOMIC_ACQ_REL) &
		         VCHAN_NOTIFY_WRITE))
			usleep(1000);
		vt_fill(12, round * 10, left + round * 10, 10);
		__atomic_store_n(&c.page->left.prod, (round + 1) * 10, __ATOMIC_RELEASE);
	}
	for (;;)
		pause();
	return 0; /* not reached: the parent kills us */
}

/* The blocking read still gets the data, through its recheck, and the
 * recheck is counted as a lost wake-up: the count that fails every other
 * vchan test (umx_test_domain_fork) does see a withheld event. A round
 * whose data came in between our request and our wait is found without a
 * recheck (and rightly not counted); one of SILENT_ROUNDS must be counted. */
static int recheck_server(void *arg)
{
	struct vpair *vp = arg;
	struct umx_vchan_stats st = {0};
	uint8_t buf[10];
	umx_vchan *v;

	alarm(30);
	CHILD_CHECK((v = vt_server(vp)));
	CHILD_CHECK(write(sync_pipe[1], "o", 1) == 1);
	for (uint32_t round = 0; round < SILENT_ROUNDS && !st.lost_wakeups; round++) {
		CHILD_CHECK(umx_vchan_recv(v, buf, sizeof(buf)) == sizeof(buf));
		CHILD_CHECK(vt_check(12, round * 10, buf, sizeof(buf)) < 0);
		umx_vchan_stats_get(&st);
	}
	CHILD_CHECK(st.lost_wakeups >= 1);
	CHILD_CHECK(st.rechecks >= st.lost_wakeups);
	umx_vchan_close(v);
	return 0;
}

/* ---- driver ------------------------------------------------------------ */

static void run(int (*srv)(void *), int (*cli)(void *), int kill_role, int expect_killed)
{
	struct umx_test_daemon d;
	struct vpair vp = {.left_min = 4096, .right_min = 4096};
	uint32_t dom[2];
	pid_t pid[2];
	int other = 1 - kill_role;

	assert_int_equal(pipe(sync_pipe), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	vt_start(&d, &vp, srv, cli, dom, pid);
	/* The well-behaved side finishes; then the hostile one is killed. */
	assert_int_equal(umx_test_domain_reap(&d, dom[other], pid[other]), 0);
	if (expect_killed)
		kill(pid[kill_role], SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, dom[kill_role], pid[kill_role]), 128 + SIGKILL);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	close(sync_pipe[0]);
	close(sync_pipe[1]);
}

static void test_bad_control_pages_refused(void **state)
{
	(void)state;
	run(bad_server, bad_client, 0, 1);
}

static void test_lying_server(void **state)
{
	(void)state;
	run(mutating_server, our_client, 0, 1);
}

static void test_lying_client(void **state)
{
	(void)state;
	run(our_server, mutating_client, 1, 1);
}

static void test_peer_dies_mid_packet(void **state)
{
	(void)state;
	run(packet_server, half_packet_client, 1, 0);
}

static void test_event_storm(void **state)
{
	(void)state;
	run(storm_server, storm_client, 1, 1);
}

static void test_withheld_event_counted_as_lost_wakeup(void **state)
{
	(void)state;
	run(recheck_server, silent_client, 1, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_event_storm),
	        cmocka_unit_test(test_bad_control_pages_refused),
	        cmocka_unit_test(test_lying_server),
	        cmocka_unit_test(test_lying_client),
	        cmocka_unit_test(test_peer_dies_mid_packet),
	        cmocka_unit_test(test_withheld_event_counted_as_lost_wakeup),
	};

	/* Our peers here lie, withholding events among other things: a
	 * recheck that finds progress is expected, not a failure. */
	umx_test_lost_wakeups_ok = true;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
