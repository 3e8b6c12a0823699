/* SPDX-License-Identifier: MIT */
/* Proves wire compatibility: a process using Xen's own ring.h macros and one using umx's core
 * exchange 60000 requests end to end over MAP_SHARED memory, in both roles, with Xen's event
 * suppression over eventfds. */
#define __XEN_TOOLS__ 1
#include <stdatomic.h>
#define xen_mb()  atomic_thread_fence(memory_order_seq_cst)
#define xen_rmb() atomic_thread_fence(memory_order_acquire)
#define xen_wmb() atomic_thread_fence(memory_order_release)
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xen/io/ring.h>

#include "umx_test.h"
#include "umx/grant.h"
#include "umx/ring.h"

struct t_req {
	uint64_t id;
	uint32_t op, len;
	uint64_t val;
};
struct t_rsp {
	uint64_t id;
	int64_t status;
};
DEFINE_RING_TYPES(t, struct t_req, struct t_rsp);

#define NREQ   60000u
#define RBYTES (2 * UMX_PAGE_SIZE)

static uint64_t val_of(uint64_t id)
{
	return id * 0x9e3779b97f4a7c15ull ^ 0x5555;
}

static int64_t status_of(uint64_t val)
{
	return (int64_t)(val >> 7) - 3;
}

struct chan {
	void *page;
	int f2b, b2f; /* eventfds: front -> back, back -> front */
};

/* Block until notified; a lost wakeup shows up as a failure, not a hang. */
static int wait_evt(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int rc = poll(&p, 1, 20000);
	if (rc != 1) {
		fprintf(stderr, "no notification within 20 s: lost wakeup\n");
		return -1;
	}
	eventfd_t v;
	return eventfd_read(fd, &v);
}

/* Send the event a push asked for (@notify), counting it in @kicks. */
static int kick(int fd, int notify, unsigned *kicks)
{
	if (!notify)
		return 0;
	(*kicks)++;
	return eventfd_write(fd, 1);
}

/* ---- Xen macro side ---- */

static int xen_front(struct chan *c, unsigned *kicks)
{
	struct t_front_ring f;
	FRONT_RING_INIT(&f, (struct t_sring *)c->page, RBYTES);
	uint64_t sent = 0, got = 0;
	unsigned batch = 1;
	while (got < NREQ) {
		for (unsigned i = 0; i < batch && sent < NREQ && !RING_FULL(&f); i++, sent++) {
			struct t_req *q = RING_GET_REQUEST(&f, f.req_prod_pvt);
			q->id = sent;
			q->op = 1;
			q->len = (uint32_t)sent;
			q->val = val_of(sent);
			f.req_prod_pvt++;
		}
		batch = batch % 37 + 1;
		int notify;
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
		if (kick(c->f2b, notify, kicks) < 0)
			return -1;
		RING_IDX rp = f.sring->rsp_prod;
		xen_rmb();
		if (RING_RESPONSE_PROD_OVERFLOW(&f, rp))
			return -1;
		unsigned n = 0;
		for (; f.rsp_cons != rp; f.rsp_cons++, got++, n++) {
			struct t_rsp s;
			RING_COPY_RESPONSE(&f, f.rsp_cons, &s);
			if (s.id != got || s.status != status_of(val_of(got))) {
				fprintf(stderr, "xen front: bad response %llu\n",
				        (unsigned long long)s.id);
				return -1;
			}
		}
		if (n || got == NREQ)
			continue;
		int more;
		RING_FINAL_CHECK_FOR_RESPONSES(&f, more);
		if (more || (sent < NREQ && !RING_FULL(&f)))
			continue;
		if (wait_evt(c->b2f) < 0)
			return -1;
	}
	return 0;
}

static int xen_back(struct chan *c, unsigned *kicks)
{
	struct t_back_ring b;
	BACK_RING_INIT(&b, (struct t_sring *)c->page, RBYTES);
	uint64_t served = 0;
	while (served < NREQ) {
		RING_IDX rp = b.sring->req_prod;
		xen_rmb();
		if (RING_REQUEST_PROD_OVERFLOW(&b, rp))
			return -1;
		unsigned n = 0;
		while (b.req_cons != rp && !RING_REQUEST_CONS_OVERFLOW(&b, b.req_cons)) {
			struct t_req q;
			RING_COPY_REQUEST(&b, b.req_cons, &q);
			b.req_cons++;
			if (q.id != served || q.val != val_of(served)) {
				fprintf(stderr, "xen back: bad request %llu\n",
				        (unsigned long long)q.id);
				return -1;
			}
			struct t_rsp *s = RING_GET_RESPONSE(&b, b.rsp_prod_pvt);
			s->id = q.id;
			s->status = status_of(q.val);
			b.rsp_prod_pvt++;
			served++;
			n++;
		}
		int notify;
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b, notify);
		if (kick(c->b2f, notify, kicks) < 0)
			return -1;
		if (n || served == NREQ)
			continue;
		int more;
		RING_FINAL_CHECK_FOR_REQUESTS(&b, more);
		if (more)
			continue;
		if (wait_evt(c->f2b) < 0)
			return -1;
	}
	return 0;
}

/* ---- umx side ---- */

static int umx_front(struct chan *c, unsigned *kicks)
{
	struct umx_ring f;
	if (umx_ring_front_init(&f, c->page, RBYTES, sizeof(struct t_req), sizeof(struct t_rsp),
	                        false) < 0)
		return -1;
	uint64_t sent = 0, got = 0;
	unsigned batch = 1;
	while (got < NREQ) {
		for (unsigned i = 0; i < batch && sent < NREQ; i++, sent++) {
			struct t_req q = {
			        .id = sent, .op = 1, .len = (uint32_t)sent, .val = val_of(sent)};
			int rc = umx_ring_put(&f, &q);
			if (rc == -ENOSPC)
				break;
			if (rc < 0)
				return -1;
		}
		batch = batch % 37 + 1;
		bool notify;
		if (umx_ring_push(&f, &notify) < 0)
			return -1;
		if (kick(c->f2b, notify, kicks) < 0)
			return -1;
		struct t_rsp out[16];
		int n = umx_ring_take(&f, out, 16);
		if (n < 0) {
			fprintf(stderr, "umx front: %s\n", umx_ring_broken(&f));
			return -1;
		}
		for (int i = 0; i < n; i++, got++)
			if (out[i].id != got || out[i].status != status_of(val_of(got))) {
				fprintf(stderr, "umx front: bad response\n");
				return -1;
			}
		if (n || got == NREQ)
			continue;
		bool more;
		if (umx_ring_final_check(&f, &more) < 0)
			return -1;
		if (more || (sent < NREQ && umx_ring_space(&f) > 0))
			continue;
		if (wait_evt(c->b2f) < 0)
			return -1;
	}
	return 0;
}

static int umx_back(struct chan *c, unsigned *kicks)
{
	struct umx_ring b;
	if (umx_ring_back_init(&b, c->page, RBYTES, sizeof(struct t_req), sizeof(struct t_rsp),
	                       false) < 0)
		return -1;
	uint64_t served = 0;
	unsigned max = 1;
	while (served < NREQ) {
		struct t_req in[32];
		int n = umx_ring_take(&b, in, max);
		max = max % 32 + 1;
		if (n < 0) {
			fprintf(stderr, "umx back: %s\n", umx_ring_broken(&b));
			return -1;
		}
		for (int i = 0; i < n; i++, served++) {
			if (in[i].id != served || in[i].val != val_of(served)) {
				fprintf(stderr, "umx back: bad request\n");
				return -1;
			}
			struct t_rsp s = {.id = in[i].id, .status = status_of(in[i].val)};
			if (umx_ring_put(&b, &s) < 0)
				return -1;
		}
		bool notify;
		if (umx_ring_push(&b, &notify) < 0)
			return -1;
		if (kick(c->b2f, notify, kicks) < 0)
			return -1;
		if (n || served == NREQ)
			continue;
		bool more;
		if (umx_ring_final_check(&b, &more) < 0)
			return -1;
		if (more)
			continue;
		if (wait_evt(c->f2b) < 0)
			return -1;
	}
	return 0;
}

typedef int (*side_fn)(struct chan *c, unsigned *kicks);

/* Front in the child, back in the parent; returns 0 when both succeeded. */
static int run_pair(side_fn front, side_fn back)
{
	struct chan c;
	c.page = mmap(NULL, RBYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c.page == MAP_FAILED)
		return -1;
	struct t_sring *s = c.page;
	SHARED_RING_INIT(s);
	c.f2b = eventfd(0, EFD_CLOEXEC);
	c.b2f = eventfd(0, EFD_CLOEXEC);
	if (c.f2b < 0 || c.b2f < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		unsigned kicks = 0;
		int rc = front(&c, &kicks);
		fprintf(stderr, "front: %u notifications for %u requests\n", kicks, NREQ);
		_exit(rc == 0 && kicks > 0 && kicks <= NREQ ? 0 : 1);
	}
	unsigned kicks = 0;
	int rc = back(&c, &kicks);
	fprintf(stderr, "back: %u notifications for %u responses\n", kicks, NREQ);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		rc = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = -1;
	if (s->req_prod != NREQ || s->rsp_prod != NREQ)
		rc = -1;
	close(c.f2b);
	close(c.b2f);
	munmap(c.page, RBYTES);
	return rc == 0 && kicks > 0 && kicks <= NREQ ? 0 : -1;
}

static void xen_front_umx_back(void **state)
{
	(void)state;
	assert_int_equal(run_pair(xen_front, umx_back), 0);
}

static void umx_front_xen_back(void **state)
{
	(void)state;
	assert_int_equal(run_pair(umx_front, xen_back), 0);
}

static void umx_front_umx_back(void **state)
{
	(void)state;
	assert_int_equal(run_pair(umx_front, umx_back), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(xen_front_umx_back),
	        cmocka_unit_test(umx_front_xen_back),
	        cmocka_unit_test(umx_front_umx_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
