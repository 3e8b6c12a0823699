/* SPDX-License-Identifier: MIT */
/* The attack catalogue: every role and its attacks (attack.h). */
#include <errno.h>
#include <string.h>

#include "attack.h"
#include "grant_mapper.h"
#include "net_front.h"
#include "net_hostile.h"
#include "store_client.h"

#define V ATTACK_VIOLATION
#define L ATTACK_LOAD

static const struct attack_def catalogue[] = {
        /* netback: umx is the backend of a vif, the target its netfront.
         * The raw ring writes are net_hostile.c's. */
        {"netback", "tx-dup-id", "MSA00", "completes one TX id twice",
         "marks the device broken; never frees the id twice", V, NH_TX_DUP},
        {"netback", "tx-stale-id", "MSA00",
         "completes a TX id honestly, then again after the frontend reaped it",
         "marks the device broken, or (if it reused the id) never has it in flight twice", V,
         NH_TX_STALE},
        {"netback", "tx-id-out-of-range", "MSA00", "completes TX id 256, outside the ring",
         "marks the device broken; no access outside its id table", V, NH_TX_RANGE},
        {"netback", "tx-id-never-issued", "MSA00", "completes a TX id that is not in flight",
         "marks the device broken", V, NH_TX_NEVER},
        {"netback", "tx-bogus-status", "MSA00", "answers a TX request with status -7",
         "marks the device broken", V, NH_TX_STATUS},
        {"netback", "tx-null-status-data-slot", "MSA00",
         "answers a TX data slot with NETIF_RSP_NULL", "marks the device broken", V, NH_TX_NULL},
        {"netback", "rx-dup-id", "MSA00", "delivers one frame, then the same RX id again",
         "delivers the frame once and marks the device broken", V, NH_RX_DUP},
        {"netback", "rx-data-crosses-page", "MSA00",
         "an RX response at offset 4000, 200 bytes: past the page",
         "marks the device broken; reads nothing past the page", V, NH_RX_CROSS},
        {"netback", "rx-flags-not-negotiated", "MSA00",
         "sets NETRXF_extra_info, never negotiated, with no extra slot", "marks the device broken",
         V, NH_RX_FLAGS},
        {"netback", "rx-bogus-status", "MSA00", "answers an RX request with status -9",
         "drops the buffer or marks the device broken", V, NH_RX_STATUS},
        {"netback", "tx-rsp-prod-ahead", "ring-index",
         "moves the TX response producer 1000 slots past the requests",
         "checks prod - cons against the ring size and marks the device broken", V, NH_RING_AHEAD},
        {"netback", "event-storm", "XSA-391", "sends events with no work, for a second",
         "keeps working, its wakeups bounded", L, NH_EV_STORM},
        /* netfront: umx is the frontend of a vif, the target its netback. */
        {"netfront", "tx-garbage-gref", "bounds", "a TX request naming a grant that does not exist",
         "answers ERROR (or disconnects); forwards nothing", V, NF_GARBAGE_GREF},
        {"netfront", "tx-crosses-page", "bounds", "a TX slot at offset 4000, 200 bytes long",
         "disconnects or answers ERROR; reads nothing past the page", V, NF_CROSS_PAGE},
        {"netfront", "tx-req-prod-ahead", "ring-index",
         "moves the TX request producer 100000 slots past the requests",
         "checks prod - cons against the ring size and disconnects", V, NF_PROD_AHEAD},
        {"netfront", "event-storm", "XSA-332", "sends events and nothing else, for the window",
         "keeps working: still answers an honest frame", L, NF_STORM},
        /* grant-mapper: umx maps what a netfront grants it and lies
         * about unmapping (the MSA02 class). */
        {"grant-mapper", "rx-pages-kept-mapped", "MSA02",
         "maps every RX buffer, completes them with an error, closes the device and keeps "
         "every page mapped",
         "never reuses a page whose end of access failed: the pages keep what was sent", V,
         GM_RX_KEPT},
        /* store-client: umx is a client of a XenStore and sends what no
         * client should, each on a fresh connection. */
        {"store-client", "oversized-length", "XenStore",
         "a write one byte past XENSTORE_PAYLOAD_MAX (4096)",
         "cuts the connection off or answers an error; applies nothing", V, SC_OVERSIZED},
        {"store-client", "unknown-type", "XenStore", "message type 9999",
         "answers an error or cuts the connection off", V, SC_UNKNOWN_TYPE},
        {"store-client", "path-not-terminated", "XenStore", "a read whose path has no NUL",
         "answers an error or cuts the connection off", V, SC_PATH_UNTERMINATED},
        {"store-client", "write-outside-home", "XenStore",
         "a write into the target domain's directory",
         "answers EACCES (only a domain can tell: domain 0 may write anywhere)", V,
         SC_OUTSIDE_HOME},
        {"store-client", "truncated-write", "XenStore", "half a write, then the connection closed",
         "applies nothing of it; serves the next connection", V, SC_TRUNCATED},
};

#undef V
#undef L

static const struct attack_role *const roles[] = {
        &attack_role_netback,
        &attack_role_netfront,
        &attack_role_grant_mapper,
        &attack_role_store_client,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct attack_role *attack_role_find(const char *name)
{
	for (size_t i = 0; i < N(roles); i++)
		if (!strcmp(roles[i]->name, name))
			return roles[i];
	return NULL;
}

int attack_select(const struct attack_role *role, const char *name, const struct attack_def **out,
                  unsigned max)
{
	bool all = !strcmp(name, "all");
	unsigned n = 0;

	for (size_t i = 0; i < N(catalogue) && n < max; i++)
		if (!strcmp(catalogue[i].role, role->name) &&
		    (all || !strcmp(catalogue[i].name, name)))
			out[n++] = &catalogue[i];
	return n ? (int)n : -ENOENT;
}

const struct attack_def *attack_find(const char *role, const char *name)
{
	for (size_t i = 0; i < N(catalogue); i++)
		if (!strcmp(catalogue[i].role, role) && !strcmp(catalogue[i].name, name))
			return &catalogue[i];
	return NULL;
}

void attack_list(FILE *f)
{
	for (size_t r = 0; r < N(roles); r++) {
		fprintf(f, "%s (attacks %s)\n", roles[r]->name, roles[r]->target);
		for (size_t i = 0; i < N(catalogue); i++) {
			const struct attack_def *a = &catalogue[i];
			if (strcmp(a->role, roles[r]->name) != 0)
				continue;
			fprintf(f, "  %-26s %-10s %s\n  %-26s %-10s correct: %s\n", a->name,
			        a->advisory, a->what, "", "", a->expect);
		}
	}
}
