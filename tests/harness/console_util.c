/* SPDX-License-Identifier: MIT */
/* Console test helpers (console_util.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../devices/console/cons_priv.h"
#include "console_util.h"
#include "umx/barrier.h"
#include "umx/internal/clock.h"
#include "umx/xs.h"

void ct_wait_go(struct cpair *cp, int which)
{
	int *go = cp->go[which];

	for (unsigned i = 0; i < cp->ndoms; i++)
		if ((int)i != which) {
			close(cp->go[i][0]);
			close(cp->go[i][1]);
		}
	close(go[1]);
	for (unsigned i = 0; i < cp->ndoms; i++) {
		cp->dom[i] = umx_test_get_u32(go[0]);
		CHILD_CHECK(cp->dom[i] != 0xffffffffu);
	}
	close(go[0]);
	cp->front_dom = cp->dom[0];
	cp->back_dom = cp->dom[1];
}

umx_console *ct_front(struct cpair *cp, umx_plat **p)
{
	umx_console *c = NULL;

	ct_wait_go(cp, 0);
	CHILD_CHECK_OK(umx_plat_open(NULL, p));
	CHILD_CHECK_OK(umx_console_front_open(*p, cp->devid, &c));
	return c;
}

int ct_front_state(umx_plat *p, uint32_t devid)
{
	char path[64], *v = NULL, *end;
	size_t len = 0;
	long st;
	int r;

	snprintf(path, sizeof(path), "device/console/%u/state", devid);
	if ((r = umx_xs_read(umx_plat_xs(p), UMX_XS_NO_TX, path, &v, &len)) < 0)
		return r;
	st = strtol(v, &end, 10);
	r = len && !*end && st >= 0 && st <= 8 ? (int)st : -EINVAL;
	free(v);
	return r;
}

umx_console *ct_back_connect(umx_plat *p, uint32_t domid, uint32_t devid)
{
	umx_console *c = NULL;
	int r = -EAGAIN;

	for (int i = 0; i < 1000 && r == -EAGAIN; i++) {
		r = umx_console_back_open(p, domid, devid, &c);
		if (r == -EAGAIN)
			usleep(10000);
	}
	CHILD_CHECK_OK(r);
	return c;
}

umx_console *ct_back(struct cpair *cp, umx_plat **p)
{
	ct_wait_go(cp, 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, p));
	return ct_back_connect(*p, cp->front_dom, cp->devid);
}

void ct_run_n(struct cpair *cp, unsigned n, const char *const *names, int (*const *fns)(void *),
              const int *want, int (*add)(umx_xs *ts, const uint32_t *dom, void *user))
{
	struct umx_test_daemon d;
	uint32_t dom[CT_MAX_DOMS];
	pid_t pid[CT_MAX_DOMS];
	umx_xs *ts;

	assert_true(n <= CT_MAX_DOMS);
	cp->ndoms = n;
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pipe(cp->go[i]), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	for (unsigned i = 0; i < n; i++) {
		cp->self = (int)i;
		assert_int_equal(umx_test_domain_fork(&d, names[i], fns[i], cp, &dom[i], &pid[i]),
		                 0);
	}
	for (unsigned i = 0; i < n; i++)
		close(cp->go[i][0]);
	assert_int_equal(umx_xs_open(&ts), 0);
	assert_int_equal(add(ts, dom, cp), 0);
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < n; j++)
			assert_int_equal(umx_test_put_u32(cp->go[i][1], dom[j]), 0);
		close(cp->go[i][1]);
	}
	umx_test_domains_reap(&d, n, dom, pid, want);
	assert_int_equal(umx_test_wait_no_domains(&d), 0);
	umx_xs_close(ts);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

static int add_pair(umx_xs *ts, const uint32_t *dom, void *user)
{
	struct cpair *cp = user;

	return umx_console_toolstack_add(ts, dom[0], cp->devid, dom[1]);
}

void ct_run(struct cpair *cp, int (*front)(void *), int want_front, int (*back)(void *),
            int want_back)
{
	static const char *const names[2] = {"front", "back"};
	int (*const fns[2])(void *) = {front, back};
	const int want[2] = {want_front, want_back};

	ct_run_n(cp, 2, names, fns, want, add_pair);
}

void ct_fill(uint32_t seed, uint64_t off, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = ct_byte(seed, off + i);
}

long ct_check(uint32_t seed, uint64_t off, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != ct_byte(seed, off + i))
			return (long)i;
	return -1;
}

int ct_pump(umx_console *c, int front, uint64_t total_out, uint64_t total_in, size_t chunk_max)
{
	uint8_t buf[4096];
	uint64_t out = 0, in = 0;
	uint32_t seed_out = front ? 1 : 2, seed_in = front ? 2 : 1;
	unsigned step = 0;
	int r;

	if (chunk_max > sizeof(buf))
		chunk_max = sizeof(buf);
	while (out < total_out || in < total_in) {
		bool moved = false;
		if (out < total_out) {
			size_t n = 1 + (step++ * 37u) % chunk_max;
			if (n > total_out - out)
				n = (size_t)(total_out - out);
			ct_fill(seed_out, out, buf, n);
			r = umx_console_write(c, buf, n);
			CHILD_CHECK_OK(r);
			out += (uint64_t)r;
			moved |= r > 0;
		}
		if (in < total_in) {
			size_t n = 1 + (step++ * 53u) % chunk_max;
			if (n > total_in - in)
				n = (size_t)(total_in - in);
			r = umx_console_read(c, buf, n);
			CHILD_CHECK_OK(r);
			long bad = r > 0 ? ct_check(seed_in, in, buf, (size_t)r) : -1;
			if (bad >= 0) {
				fprintf(stderr, "byte %llu of the stream is wrong\n",
				        (unsigned long long)in + (unsigned long long)bad);
				CHILD_FAIL("bytes differ");
			}
			in += (uint64_t)r;
			moved |= r > 0;
		}
		if (!moved)
			CHILD_CHECK(umx_console_wait(c, 5000) == 1);
	}
	return 0;
}

int ct_dispatch(umx_plat *p, umx_console *const *cs, unsigned n, int ms)
{
	struct pollfd pf = {.fd = umx_plat_evtchn_fd(p), .events = POLLIN};
	int port, gone = 0;

	for (unsigned i = 0; i < n; i++)
		if (cs[i])
			ms = umx_console_timeout(cs[i], ms);
	(void)poll(&pf, 1, ms);
	for (unsigned i = 0; i < n; i++)
		if (cs[i])
			umx_console_tick(cs[i]);
	for (int k = 0; k < 256 && (port = umx_plat_evtchn_pending(p)) >= 0; k++) {
		unsigned i;
		for (i = 0; i < n; i++)
			if (cs[i] && umx_console_port(cs[i]) == (uint32_t)port)
				break;
		if (i == n)
			(void)umx_plat_evtchn_unmask(p, (uint32_t)port);
		else if (umx_console_event(cs[i]) == -EPIPE)
			gone++;
	}
	return gone;
}

/* ---- a hostile end ------------------------------------------------------ */

struct race {
	uint32_t *prod, *cons; /* ours, in the shared page */
	volatile int on;
};

static void *race_thread(void *arg)
{
	struct race *rc = arg;
	uint32_t x = 12345;

	while (rc->on) {
		x = x * 1103515245u + 12345u;
		umx_store_release32(rc->prod, x >> 20);
		umx_store_release32(rc->cons, x >> 21);
	}
	return NULL;
}

static void notify_for(umx_plat *p, umx_console *c, unsigned ms)
{
	for (uint64_t end = umx_clock_ms() + ms; umx_clock_ms() < end;)
		(void)umx_plat_evtchn_notify(p, umx_console_port(c));
}

void ct_attack(umx_plat *p, umx_console *c, enum ct_attack a, uint32_t written)
{
	struct xencons_interface *i = c->intf;
	/* The frontend produces out and consumes in; the backend the reverse. */
	uint32_t *prod = c->front ? &i->out_prod : &i->in_prod;
	uint32_t *peer_cons = c->front ? &i->out_cons : &i->in_cons;
	uint32_t *cons = c->front ? &i->in_cons : &i->out_cons;
	uint32_t *peer_prod = c->front ? &i->in_prod : &i->out_prod;
	struct race rc = {.prod = prod, .cons = cons, .on = 1};
	pthread_t th;

	switch (a) {
	case CT_OVERRUN:
		umx_store_release32(prod, written + 5000);
		break;
	case CT_BACKWARDS:
		/* Once the peer took our bytes, claim fewer. */
		for (int t = 0; t < 5000 && umx_load_acquire32(peer_cons) != written; t++)
			usleep(1000);
		CHILD_CHECK(umx_load_acquire32(peer_cons) == written);
		umx_store_release32(prod, written / 2);
		break;
	case CT_CONS_AHEAD: /* past either ring's size */
		umx_store_release32(cons, umx_load_acquire32(peer_prod) + 3000);
		break;
	case CT_RACE:
		CHILD_CHECK(pthread_create(&th, NULL, race_thread, &rc) == 0);
		notify_for(p, c, 1000);
		rc.on = 0;
		pthread_join(th, NULL);
		break;
	case CT_STORM:
		notify_for(p, c, 1000);
		break;
	}
	(void)umx_plat_evtchn_notify(p, umx_console_port(c));
}

void ct_end_init(struct ct_end *e)
{
	assert_int_equal(pipe(e->fd), 0);
}

void ct_end_say(struct ct_end *e, unsigned others)
{
	for (unsigned i = 0; i < others; i++)
		CHILD_CHECK(write(e->fd[1], "e", 1) == 1);
}

void ct_end_wait(struct ct_end *e)
{
	char c;

	close(e->fd[1]);
	CHILD_CHECK(read(e->fd[0], &c, 1) == 1);
}

void ct_end_fini(struct ct_end *e)
{
	close(e->fd[0]);
	close(e->fd[1]);
}
