/* SPDX-License-Identifier: MIT */
/* A switch port is released as soon as its frontend's domain dies: 1000
 * short-lived frontends come and go, eight at a time. Each holds a port
 * (the backend took its vif: InitWait) before it dies. Nine in ten are
 * frontends as the store sees them, without a process: a domain the test
 * creates (and greets, as a started domain does), whose vif the toolstack
 * attaches, which dies once its port is taken, half by a crash (its
 * connection closes), half by `destroy`; to the switch, whose only view of
 * a frontend is the store, they are the same as any. Every tenth is a real
 * process that connects and sends one frame, waiting for the backend to
 * take it (half of those close orderly, half just exit); a long-lived
 * frontend receives those 100 frames, each once, the 1000th's among them.
 * The switch holds at most 64 ports, so the 65th frontend would find none
 * if a dead one kept its port; at the end only the long-lived port is
 * left, and no backend node of a dead frontend remains in the store.
 * (Forking all 1000 cost 99-143 s on a loaded machine, nearly all of it
 * process start-up, which proves nothing about ports.) */
#include "umx_test.h"
#include "net_util.h"

#include <xen/io/xenbus.h>

#include "umx/domain.h"
#include "umx/internal/ctl.h"
#include "umx/internal/msg.h"

#define FRONTENDS 1000u
/* Frontends alive at once: the machine's waits overlap. */
#define BATCH         8u
#define ETHERTYPE     0x88b5
#define CONNECT_EVERY 10u /* the others only hold a port */
#define FRAMES        (FRONTENDS / CONNECT_EVERY)

struct ctx {
	int ready[2]; /* receiver -> parent: connected */
	int done[2];  /* receiver -> parent: frames received in order */
	int go[2];    /* parent -> short-lived frontend: its vif is attached */
	int stop[2];  /* parent -> receiver: exit now */
	uint32_t tag, sdom;
};

static void frame(uint8_t *f, uint8_t src_last, uint32_t tag)
{
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	f[6] = 2;
	f[11] = src_last;
	net_put16(f + 12, ETHERTYPE);
	memcpy(f + 14, &tag, sizeof(tag));
}

static int short_lived(void *arg)
{
	struct ctx *c = arg;
	struct umx_net_stats st;
	uint8_t f[60];
	umx_netfront *nf;
	umx_plat *p;
	char ch;

	CHILD_CHECK(read(c->go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_netfront_open(p, 0, 10000, &nf));

	frame(f, (uint8_t)(c->tag % 200 + 1), c->tag);
	CHILD_CHECK_OK(net_send_retry(nf, f, sizeof(f), 10000));
	/* The backend has copied the frame out once its response is back. */
	for (long end = net_now_ms() + 10000; net_now_ms() < end;) {
		umx_netfront_stats(nf, &st);
		if (!st.tx_inflight)
			break;
		umx_netfront_wait(nf, 50);
	}
	umx_netfront_stats(nf, &st);
	if (st.tx_inflight)
		fprintf(stderr, "frontend %u: frame not taken by the backend: %s\n", c->tag,
		        umx_netfront_broken(nf)    ? umx_netfront_broken(nf)
		        : umx_netfront_link_up(nf) ? "link up"
		                                   : "link down");
	CHILD_CHECK(st.tx_inflight == 0);
	if ((c->tag / CONNECT_EVERY) % 2) { /* half close orderly; half just die */
		umx_netfront_close(nf);
		umx_plat_close(p);
	}
	return 0;
}

static int receiver(void *arg)
{
	struct ctx *c = arg;
	uint8_t got[UMX_NET_FRAME_MAX];
	umx_netfront *nf;
	umx_plat *p;
	static bool seen[FRONTENDS + 1];
	char ch;
	uint32_t n = 0;

	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_netfront_open(p, 0, 10000, &nf));
	CHILD_CHECK(write(c->ready[1], "r", 1) == 1);
	while (n < FRAMES) {
		uint32_t tag;
		int r = net_recv_timeout(nf, got, sizeof(got), 20000);
		if (r == -ETIMEDOUT)
			fprintf(stderr, "receiver: no frame %u within 20 s\n", n + 1);
		CHILD_CHECK(r == 60);
		if (got[12] != (ETHERTYPE >> 8) || got[13] != (ETHERTYPE & 0xff))
			continue; /* not ours */
		memcpy(&tag, got + 14, sizeof(tag));
		if (tag < 1 || tag > FRONTENDS || tag % CONNECT_EVERY || seen[tag])
			fprintf(stderr, "receiver: unexpected frame %u\n", tag);
		CHILD_CHECK(tag >= 1 && tag <= FRONTENDS && !(tag % CONNECT_EVERY) && !seen[tag]);
		seen[tag] = true;
		n++;
	}
	CHILD_CHECK(umx_test_put_u32(c->done[1], n) == 0);
	CHILD_CHECK(seen[FRONTENDS]);
	CHILD_CHECK(read(c->stop[0], &ch, 1) == 1);
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}

/* The frontend directories under the switch's backend/vif. */
static int backend_dirs(uint32_t sdom, uint32_t *only)
{
	char path[96], **names = NULL;
	unsigned n = 0;
	umx_xs *xs;
	int r;

	snprintf(path, sizeof(path), "/local/domain/%u/backend/vif", sdom);
	if (umx_xs_open(&xs) < 0)
		return -1;
	r = umx_xs_directory(xs, UMX_XS_NO_TX, path, &names, &n);
	umx_xs_close(xs);
	if (r < 0)
		return -1;
	if (n == 1 && only)
		*only = (uint32_t)strtoul(names[0], NULL, 10);
	free(names);
	return (int)n;
}

/* A frontend without a process: a domain made by the toolstack that says
 * HELLO on its connection (held in *@fd: closing it is the domain's
 * death), as a started domain would. */
static int store_frontend(struct umx_test_daemon *d, const char *name, uint32_t *domid, int *fd)
{
	static struct umx_msg m;
	struct umx_ctl_hello h = {.version = UMX_CTL_VERSION};
	int32_t result = -EPROTO;
	int r;

	if ((r = umx_domain_create(d->ts, name, 0, domid, fd)) < 0)
		return r;
	if ((r = umx_msg_send(*fd, UMX_CTL_HELLO, 1, &h, sizeof(h), NULL, 0)) < 0 ||
	    (r = umx_msg_recv(*fd, &m)) < 0) {
		close(*fd);
		return r;
	}
	umx_msg_close_fds(&m); /* its grant table: not needed */
	if (m.hdr.len >= sizeof(result))
		memcpy(&result, m.payload, sizeof(result));
	if (result < 0)
		close(*fd);
	return result;
}

static void test_net_switch_serves_1000th_short_lived_frontend(void **state)
{
	struct umx_net_port ports[UMX_NET_PORTS_MAX];
	struct umx_test_daemon d;
	struct net_sw sw;
	struct ctx c;
	uint32_t sdom, bdom, only = 0;
	pid_t spid, bpid;
	umx_xs *xs;
	char ch;
	int n;
	(void)state;

	assert_int_equal(pipe(c.ready) | pipe(c.done) | pipe(c.stop), 0);
	net_switch_start(&d, &sw, &sdom, &spid);
	c.sdom = sdom;
	assert_int_equal(umx_test_domain_fork(&d, "recv", receiver, &c, &bdom, &bpid), 0);
	assert_int_equal(net_attach(bdom, sdom, 0xfe), 0);
	assert_int_equal(read(c.ready[0], &ch, 1), 1);
	assert_int_equal(umx_xs_open(&xs), 0);
	for (uint32_t first = 1; first <= FRONTENDS; first += BATCH) {
		uint32_t fdom[BATCH], sdoms[BATCH];
		pid_t fpid[BATCH];
		int go[BATCH], want[BATCH], sfd[BATCH];
		unsigned k = 0, nf = 0, ns = 0;

		for (; k < BATCH && first + k <= FRONTENDS; k++) {
			char name[16]; /* names are unique among live domains */
			uint32_t dom;

			c.tag = first + k;
			snprintf(name, sizeof(name), "fe-%u", c.tag);
			if (c.tag % CONNECT_EVERY) {
				assert_int_equal(store_frontend(&d, name, &dom, &sfd[ns]), 0);
				sdoms[ns++] = dom;
			} else {
				/* Each child sees its own tag and go pipe (fork copies c). */
				assert_int_equal(pipe(c.go), 0);
				assert_int_equal(umx_test_domain_fork(&d, name, short_lived, &c,
				                                      &fdom[nf], &fpid[nf]),
				                 0);
				close(c.go[0]);
				go[nf] = c.go[1];
				want[nf++] = 0;
				dom = fdom[nf - 1];
			}
			assert_int_equal(net_attach(dom, sdom, (uint8_t)(c.tag % 200 + 1)), 0);
		}
		for (unsigned i = 0; i < nf; i++) {
			assert_int_equal(write(go[i], "g", 1), 1);
			close(go[i]);
		}
		/* The backend's InitWait: it has given the vif a port. Then the
		 * frontend dies holding it. */
		for (unsigned i = 0; i < ns; i++) {
			char be[96];

			snprintf(be, sizeof(be), "/local/domain/%u/backend/vif/%u/0", sdom,
			         sdoms[i]);
			if (net_wait_state(xs, be, XenbusStateInitWait) < 0)
				fail_msg("frontend domain %u: no port within 10 s", sdoms[i]);
			if (i % 2)
				assert_int_equal(umx_domain_destroy(d.ts, sdoms[i]), 0);
			close(sfd[i]);
			/* As a launcher would once its child is reaped: the record goes. */
			(void)umx_domain_exited(d.ts, sdoms[i], 0);
		}
		if (nf)
			umx_test_domains_reap(&d, nf, fdom, fpid, want);
		if ((first + k - 1) % 200 == 0)
			fprintf(stderr, "%u short-lived frontends served\n", first + k - 1);
	}
	umx_xs_close(xs);
	assert_int_equal(umx_test_get_u32(c.done[0]), FRAMES);
	/* The last deaths are being handled; the switch settles to one port. */
	for (int i = 0; i < 200 && backend_dirs(sdom, &only) != 1; i++)
		usleep(50 * 1000);
	assert_int_equal(backend_dirs(sdom, &only), 1);
	assert_int_equal(only, bdom);
	/* And the receiver's goes with it (it closed orderly: the port waits
	 * for a reconnect until its domain is dead). */
	assert_int_equal(write(c.stop[1], "s", 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, bdom, bpid), 0);
	for (int i = 0; i < 200 && backend_dirs(sdom, NULL) != 0; i++)
		usleep(50 * 1000);
	assert_int_equal(backend_dirs(sdom, NULL), 0);
	/* No live port is left: the report holds only released ones. */
	n = net_sw_stop(&sw, ports);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++)
		assert_false(ports[i].connected);
	net_switch_finish(&d, sdom, spid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_net_switch_serves_1000th_short_lived_frontend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
