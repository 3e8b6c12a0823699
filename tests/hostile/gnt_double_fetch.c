/* SPDX-License-Identifier: MIT */
/* A granter rewriting its grant table at random (flags, domid, frame) while
 * a peer maps and unmaps in a loop: umxd never crashes and never maps a
 * frame outside the regions the granter bound to that peer. Each of the
 * granter's pages for the peer carries its index ("MAPPER07"), so every
 * mapping is checked to be exactly one of them; a mapping past the region
 * (a double fetch of the frame) fails the check at once instead of dying
 * of SIGBUS, and a granter whose mapper is gone stops within a bound. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "gnt_util.h"
#include "umx/barrier.h"
#include "umx_test.h"

#define OTHER_PEER    999u
#define NPAGES        16u
#define FIRST_REF     8u
#define NREFS         48u
#define ROUNDS        4000u
#define GRANTER_MAX_S 120 /* the mapper's rounds take seconds */

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* The mapped page must be one of the granter's pages for us: "MAPPER" and
 * an index below NPAGES, or a page of the same region it never wrote
 * (regions are bound to us whole; such a page is all zeros). 0, or -1 with
 * the reason on stderr. */
static int check_frame(const volatile char *va, uint32_t ref)
{
	char head[9];

	if (sigsetjmp(bus_jmp, 1)) {
		fprintf(stderr,
		        "ref %u: touching the mapped frame raised SIGBUS: it lies past "
		        "the granter's region (a double fetch?)\n",
		        ref);
		return -1;
	}
	for (int i = 0; i < 8; i++)
		head[i] = va[i];
	head[8] = 0;
	if (!head[0]) {
		for (unsigned i = 0; i < UMX_PAGE_SIZE; i++)
			if (va[i]) {
				fprintf(stderr, "ref %u: mapped frame has data at byte %u\n", ref,
				        i);
				return -1;
			}
		return 0;
	}
	if (memcmp(head, "MAPPER", 6) != 0 || head[6] < '0' || head[6] > '9' || head[7] < '0' ||
	    head[7] > '9' || (unsigned)((head[6] - '0') * 10 + head[7] - '0') >= NPAGES) {
		fprintf(stderr, "ref %u: mapped a frame that is not one of ours: \"%.8s\"\n", ref,
		        head);
		return -1;
	}
	return 0;
}

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	unsigned i, ok = 0;
	umx_gnt_map *m;
	umx_conn *c;
	umx_gnt *g;

	struct sigaction sa = {.sa_handler = on_sigbus};

	sigemptyset(&sa.sa_mask);
	CHILD_CHECK(sigaction(SIGBUS, &sa, NULL) == 0);
	gnt_mapper_start(p, &c, &g, &msg);
	srand(2);
	for (i = 0; i < ROUNDS; i++) {
		uint32_t ref = FIRST_REF + (uint32_t)rand() % NREFS;
		uint32_t flags = rand() % 2 ? UMX_GNT_MAP_READONLY : 0;
		const char *va;
		if (umx_gnt_map_refs(g, msg.granter, 1, &ref, flags, NULL, NULL, &m) < 0)
			continue;
		va = umx_gnt_map_addr(m);
		/* Exactly one of the pages bound to us (all written before the
		 * refs were sent), never another peer's, never past the region. */
		if (check_frame(va, ref) < 0)
			CHILD_FAIL("mapped frame is not one the granter bound to us");
		ok++;
		CHILD_CHECK_OK(umx_gnt_unmap(g, m));
	}
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	umx_gnt_close(g);
	umx_conn_close(c);
	CHILD_CHECK(ok > 0); /* the storm must not hide every valid entry */
	return 0;
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_gnt_share *mine, *other;
	uint32_t frames, fm[NPAGES], fo[NPAGES], i;
	grant_entry_v1_t *t;
	umx_conn *c;
	umx_gnt *g;
	int tfd;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, NPAGES, 0, &mine));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, OTHER_PEER, NPAGES, 0, &other));
	for (i = 0; i < NPAGES; i++) {
		char tag[9];
		snprintf(tag, sizeof(tag), "MAPPER%02u", i);
		memcpy((char *)umx_gnt_share_addr(mine) + i * UMX_PAGE_SIZE, tag, 8);
		memcpy((char *)umx_gnt_share_addr(other) + i * UMX_PAGE_SIZE, "OTHER!", 6);
		fm[i] = umx_gnt_share_frame(mine, i);
		fo[i] = umx_gnt_share_frame(other, i);
	}
	tfd = umx_conn_grant_table_fd(c, &frames);
	t = mmap(NULL, frames * UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
	CHILD_CHECK(t != MAP_FAILED);
	msg.granter = umx_conn_domid(c);
	CHILD_CHECK_OK(gnt_write_all(p->g2m[1], &msg, sizeof(msg)));
	srand(1);
	fcntl(p->m2g[0], F_SETFL, O_NONBLOCK);
	/* Rewrite until the mapper is done (its ack makes m2g readable); a
	 * mapper that died without acking must not keep us here. */
	for (time_t end = time(NULL) + GRANTER_MAX_S;;) {
		if (time(NULL) > end)
			CHILD_FAIL("the mapper never finished");
		uint32_t ref = FIRST_REF + (uint32_t)rand() % NREFS, word, frame;
		uint16_t flags, domid;
		unsigned k;
		for (k = 0; k < 256; k++) {
			switch (rand() % 4) {
			case 0:
				frame = fm[rand() % NPAGES];
				break;
			case 1:
				frame = fo[rand() % NPAGES];
				break;
			case 2:
				frame = (uint32_t)rand();
				break;
			default:
				frame = fm[0] + NPAGES * 3;
				break;
			}
			domid = rand() % 3 ? (uint16_t)p->peer
			                   : (rand() % 2 ? OTHER_PEER : (uint16_t)rand());
			flags = rand() % 4 ? (uint16_t)GTF_permit_access : (uint16_t)rand();
			if (rand() % 3 == 0)
				flags |= GTF_readonly;
			if (rand() % 5 == 0)
				flags |= GTF_reading | GTF_writing;
			word = flags | ((uint32_t)domid << 16);
			umx_store_relaxed32(&t[ref].frame, frame);
			umx_store_relaxed32(&t[ref], word);
			ref = FIRST_REF + (uint32_t)rand() % NREFS;
		}
		{
			uint8_t b;
			if (read(p->m2g[0], &b, 1) == 1)
				break;
		}
	}
	return 0;
}

static void test_double_fetch(void **state)
{
	(void)state;
	gnt_run_mapper_granter(mapper, granter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_double_fetch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
