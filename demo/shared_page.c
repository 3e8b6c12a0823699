/* SPDX-License-Identifier: MIT */
/*
 * make demo: two domains share a page and signal each other.
 *
 * Run as the toolstack against a running umxd. It creates domains "back"
 * and "front". back shares one page with front (a grant) and offers an
 * event channel; front maps the page and binds the channel; they then
 * ping-pong a counter through the page, each notifying the other, while
 * the toolstack lists them. Finally back tries to end access while front
 * still maps the page (MSA02: umx reports -EBUSY and keeps the page out
 * of reuse), front unmaps, and the end access succeeds.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umx/internal/clock.h"
#include "umx/barrier.h"
#include "umx/domain.h"
#include "umx/evtchn.h"
#include "umx/grant.h"

#define ROUNDS 20000u

struct offer {
	uint32_t domid, ref, port;
};

/* Wait for an event on @port, then unmask it. */
static int wait_event(umx_evtchn *e, uint32_t port)
{
	struct pollfd p = {.fd = umx_evtchn_fd(e), .events = POLLIN};
	for (;;) {
		int r = umx_evtchn_pending(e);
		if (r >= 0) {
			umx_evtchn_unmask(e, (uint32_t)r);
			if ((uint32_t)r == port)
				return 0;
			continue;
		}
		if (r != -EAGAIN)
			return r;
		if (poll(&p, 1, 5000) <= 0)
			return -ETIMEDOUT;
	}
}

static int back(int sock, uint32_t front_domid)
{
	umx_conn *c;
	umx_gnt *g;
	umx_evtchn *e;
	umx_gnt_share *s;
	struct offer o;
	uint32_t *page;
	char ok;
	int port, r;

	if (umx_conn_open_domain(&c) < 0 || umx_gnt_open(&g) < 0 || umx_evtchn_open(&e) < 0)
		return 10;
	if (umx_gnt_share_pages(g, front_domid, 1, 0, &s) < 0)
		return 11;
	port = umx_evtchn_alloc_unbound(e, front_domid);
	if (port < 0)
		return 12;
	page = umx_gnt_share_addr(s);
	o.domid = umx_conn_domid(c);
	o.ref = umx_gnt_share_ref(s, 0);
	o.port = (uint32_t)port;
	printf("[back  dom%u] shared page as grant ref %u, offered event channel port %u\n",
	       o.domid, o.ref, o.port);
	fflush(stdout);
	if (write(sock, &o, sizeof(o)) != sizeof(o))
		return 13;
	/* Pong: answer each odd value with the next even one. */
	for (uint32_t i = 0; i < ROUNDS; i++) {
		uint32_t v = 0;
		/* Events can be spurious (Xen's too): the page says if there is work. */
		for (int spurious = 0; spurious < 1000; spurious++) {
			if (wait_event(e, (uint32_t)port) < 0)
				return 14;
			/* A1: pairs with R1 in front(): the value is the message. */
			v = umx_load_acquire32(page);
			if (v == 2 * i + 1)
				break;
		}
		if (v != 2 * i + 1)
			return 14;
		umx_store_release32(page, v + 1); /* R2: pairs with A2 in front() */
		umx_evtchn_notify(e, (uint32_t)port);
	}
	if (read(sock, &ok, 1) != 1) /* front still maps the page */
		return 15;
	r = umx_gnt_end_access(g, s);
	printf("[back  dom%u] end access while front still maps the page: %s\n", o.domid,
	       r == -EBUSY ? "-EBUSY (page held back from reuse: MSA02 rule)" : strerror(-r));
	fflush(stdout);
	if (r != -EBUSY)
		return 16;
	if (write(sock, "u", 1) != 1 || read(sock, &ok, 1) != 1) /* front unmapped */
		return 17;
	for (int i = 0; i < 100 && (r = umx_gnt_reap(g)) > 0; i++)
		usleep(10000);
	printf("[back  dom%u] after front unmapped, deferred release: %s\n", o.domid,
	       r == 0 ? "done, page back in the pool for this peer" : "still pending");
	fflush(stdout);
	umx_evtchn_close(e);
	umx_gnt_close(g);
	umx_conn_close(c);
	return r == 0 ? 0 : 18;
}

static int front(int sock)
{
	umx_conn *c;
	umx_gnt *g;
	umx_evtchn *e;
	umx_gnt_map *m;
	struct offer o;
	int16_t st;
	uint32_t *page;
	double t0, t1;
	char ok;
	int port;

	if (umx_conn_open_domain(&c) < 0 || umx_gnt_open(&g) < 0 || umx_evtchn_open(&e) < 0)
		return 20;
	if (read(sock, &o, sizeof(o)) != sizeof(o))
		return 21;
	if (umx_gnt_map_refs(g, o.domid, 1, &o.ref, 0, NULL, &st, &m) < 0)
		return 22;
	port = umx_evtchn_bind_interdomain(e, o.domid, o.port);
	if (port < 0)
		return 23;
	page = umx_gnt_map_addr(m);
	printf("[front dom%u] mapped dom%u's grant ref %u, bound local port %d\n",
	       umx_conn_domid(c), o.domid, o.ref, port);
	fflush(stdout);
	t0 = umx_clock_s();
	for (uint32_t i = 0; i < ROUNDS; i++) {
		umx_store_release32(page, 2 * i + 1); /* R1: pairs with A1 in back() */
		umx_evtchn_notify(e, (uint32_t)port);
		for (int spurious = 0; spurious < 1000; spurious++) {
			if (wait_event(e, (uint32_t)port) < 0)
				return 24;
			/* A2: pairs with R2 in back() */
			if (umx_load_acquire32(page) == 2 * i + 2)
				break;
		}
		if (umx_load_acquire32(page) != 2 * i + 2) {
			fprintf(stderr, "front: wrong value in shared page\n");
			return 25;
		}
	}
	t1 = umx_clock_s();
	printf("[front dom%u] %u round trips through the shared page: %.0f round trips/s\n",
	       umx_conn_domid(c), ROUNDS, ROUNDS / (t1 - t0));
	fflush(stdout);
	if (write(sock, "k", 1) != 1 || read(sock, &ok, 1) != 1)
		return 26;
	umx_gnt_unmap(g, m);
	if (write(sock, "d", 1) != 1)
		return 27;
	umx_evtchn_close(e);
	umx_gnt_close(g);
	umx_conn_close(c);
	return 0;
}

struct dom {
	const char *name;
	uint32_t domid;
	pid_t pid;
	int fd;
};

static int start(umx_conn *ts, struct dom *d, int (*fn)(int, uint32_t), int sock, uint32_t arg)
{
	int r = umx_domain_create(ts, d->name, 0, &d->domid, &d->fd);
	if (r < 0)
		return r;
	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%d", d->fd);
		setenv(UMX_DOMAIN_FD_ENV, buf, 1);
		_exit(fn(sock, arg));
	}
	close(d->fd);
	return umx_domain_set_pid(ts, d->domid, d->pid);
}

static int run_front(int sock, uint32_t unused)
{
	(void)unused;
	return front(sock);
}

int main(void)
{
	struct dom b = {.name = "back"}, f = {.name = "front"};
	struct umx_ctl_domain_info info[8];
	umx_conn *ts;
	int sv[2], stb, stf, r, n;

	if ((r = umx_conn_open_toolstack(NULL, &ts)) < 0) {
		fprintf(stderr, "demo: cannot reach umxd: %s\n", strerror(-r));
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	/* front first, so back knows its peer's domid. */
	if (start(ts, &f, run_front, sv[1], 0) < 0 || start(ts, &b, back, sv[0], f.domid) < 0) {
		fprintf(stderr, "demo: cannot start domains\n");
		return 1;
	}
	usleep(300000);
	n = umx_domain_list(ts, 0, info, 8);
	printf("[toolstack] umx list while they run:\n");
	printf("  %-6s %-8s %-8s %8s %7s %6s\n", "DOMID", "NAME", "STATE", "GRANTED", "MAPPED",
	       "PORTS");
	for (int i = 0; i < n; i++)
		printf("  %-6u %-8s %-8s %8u %7u %6u\n", info[i].domid, info[i].name,
		       info[i].state == UMX_DOM_RUNNING ? "running" : "not running",
		       info[i].grants_active, info[i].pages_mapped, info[i].ports);
	fflush(stdout);
	waitpid(f.pid, &stf, 0);
	waitpid(b.pid, &stb, 0);
	umx_domain_exited(ts, f.domid, stf);
	umx_domain_exited(ts, b.domid, stb);
	umx_conn_close(ts);
	if (!WIFEXITED(stf) || WEXITSTATUS(stf) || !WIFEXITED(stb) || WEXITSTATUS(stb)) {
		fprintf(stderr, "demo: a domain failed (front %d, back %d)\n", stf, stb);
		return 1;
	}
	return 0;
}
