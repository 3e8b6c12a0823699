/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: umxd reading a hostile grant table. Domain A grants, domain B
 * maps and copies, both through umxd's real handlers; the fuzzer writes
 * A's grant entries (flags, domid, frame: any value, at any time between
 * requests, including while B maps them), frees and re-allocates A's
 * regions, ends shares and kills either side mid-way. umxd must never
 * crash, never map a page that is not A's and meant for B, and after the
 * input hold nothing (every pin released, the table's GTF_reading and
 * GTF_writing bits of refs nobody maps cleared).
 *
 * Input: one byte of opcode, then that op's operands (zeros past the end).
 */
#include "umxd_fake.h"

#include "gnttab.h"
#include "umx/grant.h"

/* Refs the input names: a few, so that ops meet on the same entries. */
#define REFS 16u

struct map_seen {
	uint32_t handles[64];
	unsigned n;
};

/* MAP replies: remember the handles, and check that each page mapped is a
 * page of one of A's regions bound to B (umxd resolved it, not the input). */
static void on_map_reply(const struct umx_msg *m, void *ctx)
{
	struct map_seen *s = ctx;
	struct umx_ctl_gnt_map_res res;
	uint32_t count;
	int32_t result;

	if (m->hdr.type != (UMX_CTL_GNT_MAP | UMX_CTL_REPLY) || m->hdr.len < 8)
		return;
	memcpy(&result, m->payload, 4);
	memcpy(&count, m->payload + 4, 4);
	if (result < 0)
		return;
	CHECK(count <= UMX_GNT_BATCH_MAX && m->hdr.len == 8 + count * sizeof(res));
	for (uint32_t i = 0; i < count; i++) {
		memcpy(&res, m->payload + 8 + i * sizeof(res), sizeof(res));
		if (res.status == GNTST_okay && s->n < 64)
			s->handles[s->n++] = res.handle;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umxd *u = fake_umxd();
	struct fake_peer p[2];
	struct umxd_domain *a, *b;
	struct in in = {data, size};
	struct umx_ctl_hello hello = {.version = UMX_CTL_VERSION};
	struct map_seen seen = {.n = 0};
	bool a_set_busy[REFS] = {false}; /* A wrote GTF_reading/writing itself */
	uint32_t a_domid, b_domid;

	fake_store_ = false; /* grants only */
	CHECK((a = fake_domain(u, "granter", &p[0])));
	CHECK((b = fake_domain(u, "mapper", &p[1])));
	a_domid = a->domid;
	b_domid = b->domid;
	for (unsigned i = 0; i < 2; i++) {
		fake_request(&p[i], UMX_CTL_HELLO, 0, &hello, sizeof(hello), false);
		fake_drain(&p[i], NULL, NULL);
	}
	/* A starts with a read-write region and a sealed read-only one for B. */
	{
		struct umx_ctl_region_alloc rw = {.peer = b_domid, .npages = 4};
		struct umx_ctl_region_alloc ro = {
		        .peer = b_domid, .npages = 2, .flags = UMX_CTL_REGION_READONLY};
		struct umx_ctl_region_free seal = {.base_frame = 5};
		fake_request(&p[0], UMX_CTL_GNT_REGION_ALLOC, 1, &rw, sizeof(rw), false);
		fake_request(&p[0], UMX_CTL_GNT_REGION_ALLOC, 2, &ro, sizeof(ro), false);
		fake_request(&p[0], UMX_CTL_GNT_REGION_SEAL, 3, &seal, sizeof(seal), false);
		fake_drain(&p[0], NULL, NULL);
	}
	while (in.n) {
		unsigned op = get(&in, 1);
		/* A is looked up again each time: it may have died. */
		struct umxd_domain *ga = umxd_domain_live(u, a_domid);

		switch (op % 10) {
		case 0: /* A writes an entry: the hostile part */
		case 1: {
			uint32_t ref = get(&in, 1) % REFS;
			uint16_t flags = (uint16_t)get(&in, 2);
			uint16_t domid =
			        get(&in, 1) & 0x80 ? (uint16_t)get(&in, 2) : (uint16_t)b_domid;
			uint32_t frame = get(&in, 1); /* small: near A's frames */
			if (!ga || !ga->gnt)
				break;
			grant_entry_v1_t *e = gnt_entry(ga->gnt, ref);
			a_set_busy[ref] |= (flags & (GTF_reading | GTF_writing)) != 0;
			e->flags = flags;
			e->domid = domid;
			e->frame = frame;
			break;
		}
		case 2: { /* B maps a batch */
			uint8_t buf[sizeof(struct umx_ctl_gnt_map_req) +
			            4 * sizeof(struct umx_ctl_gnt_map_op)];
			struct umx_ctl_gnt_map_req req = {.granter = a_domid};
			struct umx_ctl_gnt_map_op ops[4] = {{0}};
			req.count = 1 + get(&in, 1) % 4;
			for (unsigned i = 0; i < req.count; i++) {
				ops[i].ref = get(&in, 1) % REFS;
				ops[i].flags =
				        get(&in, 1) & (UMX_GNT_MAP_READONLY | UMX_GNT_NOTIFY_BYTE |
				                       UMX_GNT_NOTIFY_EVENT);
				ops[i].notify_offset = get(&in, 2);
				ops[i].notify_port = get(&in, 1);
			}
			memcpy(buf, &req, sizeof(req));
			memcpy(buf + sizeof(req), ops, req.count * sizeof(ops[0]));
			fake_request(&p[1], UMX_CTL_GNT_MAP, 4, buf,
			             sizeof(req) + req.count * sizeof(ops[0]), false);
			fake_drain(&p[1], on_map_reply, &seen);
			break;
		}
		case 3: { /* B unmaps one it holds (or a made-up handle) */
			struct {
				struct umx_ctl_gnt_unmap_req req;
				uint32_t h;
			} un = {{.count = 1}, 0};
			unsigned pick = get(&in, 1);
			un.h = seen.n && pick < 200 ? seen.handles[pick % seen.n] : pick;
			fake_request(&p[1], UMX_CTL_GNT_UNMAP, 5, &un, sizeof(un), false);
			fake_drain(&p[1], NULL, NULL);
			break;
		}
		case 4: { /* B copies between A's grant and its own frame */
			struct {
				struct umx_ctl_gnt_copy_req req;
				struct umx_gnt_copy_seg seg;
			} cp;
			memset(&cp, 0, sizeof(cp));
			cp.req.count = 1;
			cp.seg.flags =
			        get(&in, 1) & (UMX_GNT_COPY_SOURCE_GREF | UMX_GNT_COPY_DEST_GREF);
			cp.seg.source.domid = (uint16_t)a_domid;
			cp.seg.source.ref_or_frame = get(&in, 1) % REFS;
			cp.seg.source.offset = (uint16_t)get(&in, 2);
			cp.seg.dest.domid = (uint16_t)a_domid;
			cp.seg.dest.ref_or_frame = get(&in, 1) % REFS;
			cp.seg.dest.offset = (uint16_t)get(&in, 2);
			cp.seg.len = (uint16_t)get(&in, 2);
			fake_request(&p[1], UMX_CTL_GNT_COPY, 6, &cp, sizeof(cp), false);
			fake_drain(&p[1], NULL, NULL);
			break;
		}
		case 5: { /* A frees a region, or allocates another */
			uint32_t v = get(&in, 1);
			if (v & 1) {
				struct umx_ctl_region_free fr = {.base_frame = v >> 1};
				fake_request(&p[0], UMX_CTL_GNT_REGION_FREE, 7, &fr, sizeof(fr),
				             false);
			} else {
				struct umx_ctl_region_alloc al = {.peer = b_domid,
				                                  .npages = 1 + (v >> 1) % 4};
				fake_request(&p[0], UMX_CTL_GNT_REGION_ALLOC, 8, &al, sizeof(al),
				             false);
			}
			fake_drain(&p[0], NULL, NULL);
			break;
		}
		case 6: { /* A asks for a share notify, or ends a share */
			struct umx_ctl_gnt_share_notify sn = {0};
			sn.ref = get(&in, 1) % REFS;
			sn.flags = get(&in, 1) & (UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT);
			sn.offset = get(&in, 2);
			if (sn.flags) {
				fake_request(&p[0], UMX_CTL_GNT_SHARE_NOTIFY, 9, &sn, sizeof(sn),
				             false);
			} else {
				struct umx_ctl_gnt_unshare us = {.ref = sn.ref};
				fake_request(&p[0], UMX_CTL_GNT_UNSHARE, 10, &us, sizeof(us),
				             false);
			}
			fake_drain(&p[0], NULL, NULL);
			break;
		}
		case 7: { /* one side dies */
			struct fake_peer *v = &p[get(&in, 1) & 1];
			if (v->c)
				umxd_conn_drop(v->c, "fuzz: killed");
			fake_forget_dropped(p, 2);
			fake_settle(u, p, 2);
			break;
		}
		case 8: { /* B posts on its unmap ring: any index, any handles */
			struct umxd_domain *gb = umxd_domain_live(u, b_domid);
			struct umx_gnt_unmap_ring *ring;
			uint32_t n = get(&in, 1) % 8, prod;
			uint8_t none = 0; /* an empty body */
			if (!gb || !gb->gnt || !p[1].c)
				break;
			if (!gb->gnt->unmap_ring) {
				fake_request(&p[1], UMX_CTL_GNT_UNMAP_RING, 11, &none, 0, false);
				fake_drain(&p[1], NULL, NULL);
				if (!gb->gnt->unmap_ring)
					break;
			}
			/* umxd's own mapping of the page: the same bytes B writes. */
			ring = gb->gnt->unmap_ring;
			prod = get(&in, 1) & 0x80 ? get(&in, 4) : ring->prod;
			for (uint32_t i = 0; i < n; i++) {
				unsigned pick = get(&in, 1);
				ring->handle[(prod + i) % UMX_GNT_UNMAP_RING_SLOTS] =
				        seen.n && pick < 200 ? seen.handles[pick % seen.n] : pick;
			}
			ring->prod = prod + n;
			/* Read on B's next request, or on anyone's SYNC. */
			fake_request(&p[get(&in, 1) & 1], UMX_CTL_GNT_SYNC, 12, &none, 0, false);
			fake_drain(&p[0], NULL, NULL);
			fake_drain(&p[1], NULL, NULL);
			break;
		}
		default:
			fake_settle(u, p, 2);
			break;
		}
		fake_forget_dropped(p, 2);
	}
	/* B lets go of everything: every pin must be gone, and A's entries
	 * must no longer say that anyone reads or writes them. */
	if (p[1].c)
		umxd_conn_drop(p[1].c, "fuzz: mapper done");
	fake_forget_dropped(p, 2);
	a = umxd_domain_live(u, a_domid);
	if (a && a->gnt) {
		CHECK(a->gnt->grants_active == 0);
		for (uint32_t r = 0; r < REFS; r++)
			CHECK(a_set_busy[r] ||
			      !(gnt_entry(a->gnt, r)->flags & (GTF_reading | GTF_writing)));
	}
	fake_reset(u, p, 2);
	return 0;
}
