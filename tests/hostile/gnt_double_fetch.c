/* SPDX-License-Identifier: MIT */
/* A granter rewriting its grant table at random (flags, domid, frame) while
 * a peer maps and unmaps in a loop: umxd never crashes and never maps a
 * frame outside the regions the granter bound to that peer. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "gnt_util.h"
#include "umx/barrier.h"
#include "umx_test.h"

#define OTHER_PEER 999u
#define NPAGES     16u
#define FIRST_REF  8u
#define NREFS      48u
#define ROUNDS     4000u

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	unsigned i, ok = 0;
	umx_gnt_map *m;
	umx_conn *c;
	umx_gnt *g;

	gnt_mapper_start(p, &c, &g, &msg);
	srand(2);
	for (i = 0; i < ROUNDS; i++) {
		uint32_t ref = FIRST_REF + (uint32_t)rand() % NREFS;
		uint32_t flags = rand() % 2 ? UMX_GNT_MAP_READONLY : 0;
		const char *va;
		if (umx_gnt_map_refs(g, msg.granter, 1, &ref, flags, NULL, NULL, &m) < 0)
			continue;
		va = umx_gnt_map_addr(m);
		/* Pages bound to us say MAPPER (or were zeroed before that). */
		CHILD_CHECK(memcmp(va, "OTHER!", 6) != 0);
		CHILD_CHECK(!va[0] || memcmp(va, "MAPPER", 6) == 0);
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
		memcpy((char *)umx_gnt_share_addr(mine) + i * UMX_PAGE_SIZE, "MAPPER", 6);
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
	/* Rewrite until the mapper is done (its ack makes m2g readable). */
	for (;;) {
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
