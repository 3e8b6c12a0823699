/* SPDX-License-Identifier: MIT */
/* Proves a consumer survives a peer process scribbling on the shared ring at random (indices and
 * entries): it delivers entries or reports -EPROTO, stays within guard pages and its buffers, and
 * every call returns (iteration-bounded). Both ring roles and both byte-ring roles. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/barrier.h"
#include "umx/bytering.h"
#include "umx/grant.h"
#include "umx/log.h"
#include "umx/ring.h"

#define ITERS 150000
/* The scribbler is another process: on a loaded machine it may not run at
 * all during ITERS rounds. Go on (yielding) until it has both fed us and
 * broken us, or until this many extra rounds show it never ran. */
#define MAX_EXTRA_ROUNDS 2000000

/* Keep going past ITERS until both outcomes were seen; yield in the
 * extra rounds so the scribbler gets the CPU. */
static bool more_rounds(int it, unsigned long progress, unsigned long breaks)
{
	if (it < ITERS)
		return true;
	if (progress > 0 && breaks > 0)
		return false;
	if (it >= ITERS + MAX_EXTRA_ROUNDS)
		return false;
	if (it % 64 == 0)
		sched_yield();
	return true;
}
/* 32 slots of 126 bytes fill the page exactly: any overrun hits a guard. */
#define REQ_SZ 126
#define RSP_SZ 120

static uint64_t seed = 0x243f6a8885a308d3ull;
static uint32_t rnd(uint32_t n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed % n);
}

/* [guard][page A][guard][page B][guard]; guards PROT_NONE in both processes. */
static unsigned char *map_guarded(void)
{
	unsigned char *m = mmap(NULL, 5 * UMX_PAGE_SIZE, PROT_READ | PROT_WRITE,
	                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	for (int g = 0; g < 5; g += 2)
		assert_int_equal(mprotect(m + g * UMX_PAGE_SIZE, UMX_PAGE_SIZE, PROT_NONE), 0);
	return m + UMX_PAGE_SIZE;
}

/* The hostile peer: mostly plausible index moves, some garbage, entry noise. */
static void __attribute__((noreturn))
scribble(uint32_t *idx[], int nidx, unsigned char *data, size_t len)
{
	seed ^= (uint64_t)getpid() << 32;
	for (;;) {
		uint32_t *p = idx[rnd((uint32_t)nidx)];
		uint32_t v = umx_load_relaxed32(p);
		switch (rnd(8)) {
		case 0:
			umx_store_release32(p, (uint32_t)rnd(UINT32_MAX));
			break;
		case 1:
			umx_store_release32(p, v - rnd(4));
			break;
		case 2:
		case 3:
		case 4:
			umx_store_release32(p, v + rnd(12));
			break;
		default:
			for (int i = 0; i < 16; i++)
				data[rnd((uint32_t)len)] = (unsigned char)rnd(256);
			break;
		}
		if (rnd(64) == 0)
			usleep(1);
	}
}

static pid_t spawn(uint32_t *idx[], int nidx, unsigned char *data, size_t len)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Die with the test even when an assertion unwinds past reap(). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		scribble(idx, nidx, data, len);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status)); /* it was still running: a real race */
}

static void ring_role(enum umx_ring_role role)
{
	unsigned char *page = map_guarded();
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_nr_ents(UMX_PAGE_SIZE, REQ_SZ, RSP_SZ), 32);
	memset(page, 0, UMX_PAGE_SIZE);
	uint32_t *idx[] = {&s->req_prod, &s->rsp_prod, &s->req_event, &s->rsp_event};
	pid_t pid = spawn(idx, 4, s->ring, UMX_PAGE_SIZE - UMX_SRING_HDR_SIZE);

	struct umx_ring r;
	unsigned long delivered = 0, breaks = 0, notifies = 0;
	size_t in_sz = role == UMX_RING_FRONT ? RSP_SZ : REQ_SZ;
	unsigned char ent[REQ_SZ] = {1};
	bool attached = false;
	for (int it = 0; more_rounds(it, delivered, breaks); it++) {
		if (!attached) {
			/* Reconnect at wherever the peer's producer claims to be. */
			uint32_t *pp = role == UMX_RING_FRONT ? &s->rsp_prod : &s->req_prod;
			assert_int_equal(umx_ring_attach(&r, role, page, UMX_PAGE_SIZE, REQ_SZ,
			                                 RSP_SZ, umx_load_relaxed32(pp)),
			                 0);
			attached = true;
		}
		int rc;
		bool flag;
		unsigned max = rnd(40);
		switch (rnd(4)) {
		case 0:
		case 1: {
			unsigned char *out = max ? malloc(max * in_sz) : NULL;
			rc = umx_ring_take(&r, out, max);
			free(out);
			assert_true(rc == -EPROTO || (rc >= 0 && (unsigned)rc <= max && rc <= 32));
			if (rc > 0)
				delivered += (unsigned)rc;
			break;
		}
		case 2:
			rc = umx_ring_put(&r, ent);
			assert_true(rc == 0 || rc == -ENOSPC || rc == -EPROTO);
			if (rc == 0 || rc == -ENOSPC) {
				rc = umx_ring_push(&r, &flag);
				assert_true(rc == 0);
				notifies += flag;
			}
			break;
		default:
			rc = umx_ring_final_check(&r, &flag);
			assert_true(rc == 0 || rc == -EPROTO);
			break;
		}
		if (umx_ring_broken(&r)) {
			assert_int_equal(umx_ring_take(&r, ent, 1), -EPROTO);
			assert_int_equal(umx_ring_push(&r, &flag), -EPROTO);
			breaks++;
			attached = false;
		}
	}
	reap(pid);
	fprintf(stderr, "%s: %lu entries delivered, %lu breaks, %lu notifies\n",
	        role == UMX_RING_FRONT ? "front" : "back", delivered, breaks, notifies);
	assert_true(delivered > 0);
	assert_true(breaks > 0);
	munmap(page - UMX_PAGE_SIZE, 5 * UMX_PAGE_SIZE);
}

static void front_survives_hostile_back(void **state)
{
	(void)state;
	ring_role(UMX_RING_FRONT);
}

static void back_survives_hostile_front(void **state)
{
	(void)state;
	ring_role(UMX_RING_BACK);
}

static void bytering_role(enum umx_bytering_role role)
{
	unsigned char *base = map_guarded();
	uint32_t *ix = (uint32_t *)base;                /* cons, prod in page A */
	unsigned char *data = base + 2 * UMX_PAGE_SIZE; /* the whole of page B */
	memset(ix, 0, 8);
	uint32_t *idx[] = {role == UMX_BYTERING_READER ? &ix[1] : &ix[0]};
	pid_t pid = spawn(idx, 1, data, UMX_PAGE_SIZE);
	struct umx_bytering b;
	unsigned long moved = 0, breaks = 0;
	bool attached = false;
	for (int it = 0; more_rounds(it, moved, breaks); it++) {
		if (!attached) {
			/* Reconnect: our index restarts where the peer's is. */
			umx_store_relaxed32(role == UMX_BYTERING_READER ? &ix[0] : &ix[1],
			                    umx_load_relaxed32(idx[0]));
			assert_int_equal(
			        umx_bytering_init(&b, role, data, UMX_PAGE_SIZE, &ix[0], &ix[1]),
			        0);
			attached = true;
		}
		size_t len = rnd(2 * UMX_PAGE_SIZE + 1);
		unsigned char *buf = malloc(len ? len : 1);
		memset(buf, 0x3c, len);
		int rc;
		bool all = rnd(2);
		if (role == UMX_BYTERING_READER)
			rc = all ? umx_bytering_read_all(&b, buf, len)
			         : umx_bytering_read(&b, buf, len);
		else
			rc = all ? umx_bytering_write_all(&b, buf, len)
			         : umx_bytering_write(&b, buf, len);
		free(buf);
		assert_true(rc == -EPROTO || rc == -EAGAIN || rc == -EMSGSIZE ||
		            (rc >= 0 && (size_t)rc <= len && rc <= (int)UMX_PAGE_SIZE));
		if (all && rc >= 0)
			assert_int_equal((size_t)rc, len);
		if (rc > 0)
			moved += (unsigned)rc;
		if (umx_bytering_broken(&b)) {
			assert_int_equal(role == UMX_BYTERING_READER ? umx_bytering_data_avail(&b)
			                                             : umx_bytering_space_avail(&b),
			                 -EPROTO);
			breaks++;
			attached = false;
		}
	}
	reap(pid);
	fprintf(stderr, "bytering %s: %lu bytes moved, %lu breaks\n",
	        role == UMX_BYTERING_READER ? "reader" : "writer", moved, breaks);
	assert_true(moved > 0);
	assert_true(breaks > 0);
	munmap(base - UMX_PAGE_SIZE, 5 * UMX_PAGE_SIZE);
}

static void bytering_reader_survives_hostile_writer(void **state)
{
	(void)state;
	bytering_role(UMX_BYTERING_READER);
}

static void bytering_writer_survives_hostile_reader(void **state)
{
	(void)state;
	bytering_role(UMX_BYTERING_WRITER);
}

int main(void)
{
	/* Thousands of deliberate breaks: keep their warnings out of the log. */
	umx_log_set_level(UMX_LOG_ERR);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(front_survives_hostile_back),
	        cmocka_unit_test(back_survives_hostile_front),
	        cmocka_unit_test(bytering_reader_survives_hostile_writer),
	        cmocka_unit_test(bytering_writer_survives_hostile_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
