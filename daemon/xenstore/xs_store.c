/* SPDX-License-Identifier: MIT */
/* The store: creation, quotas, clock, per-domain records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "umx/internal/clock.h"
#include "umx/log.h"
#include "xs_engine.h"

static const struct {
	const char *name;
	unsigned def;
} quotas[XS_Q_COUNT] = {
        [XS_Q_NODES] = {"nodes", 1000},
        [XS_Q_WATCHES] = {"watches", 128},
        [XS_Q_TRANSACTIONS] = {"transactions", 10},
        [XS_Q_OUTSTANDING] = {"outstanding", 20},
        [XS_Q_NODE_SIZE] = {"node-size", 4096},
        [XS_Q_PERMISSIONS] = {"permissions", 5},
        [XS_Q_PATH_MAX] = {"path-max", XENSTORE_REL_PATH_MAX},
        [XS_Q_TRANS_NODES] = {"transaction-nodes", 1024},
        [XS_Q_MEMORY] = {"memory", 2u << 20},
        [XS_Q_TRANS_SECONDS] = {"transaction-time", 60},
        /* Enough for the nodes umxd itself writes for 32751 domains
         * (about 4 KiB each) with room to spare. */
        [XS_Q_TOOLSTACK_MEMORY] = {"toolstack-memory", 256u << 20},
};

const char *xs_quota_name(enum xs_quota q)
{
	return (unsigned)q < XS_Q_COUNT ? quotas[q].name : NULL;
}

unsigned xs_store_quota_get(const struct xs_store *st, enum xs_quota q)
{
	return st->quota[q];
}

void xs_store_quota_set(struct xs_store *st, enum xs_quota q, unsigned value)
{
	st->quota[q] = value;
}

static uint64_t mono_ms(void *ctx)
{
	(void)ctx;
	return umx_clock_ms();
}

void xs_store_set_clock(struct xs_store *st, uint64_t (*now_ms)(void *ctx), void *ctx)
{
	st->now_ms = now_ms ? now_ms : mono_ms;
	st->now_ctx = ctx;
}

uint64_t xs_now_ms(struct xs_store *st)
{
	return st->now_ms(st->now_ctx);
}

struct xs_domain *xs_dom_find(const struct xs_store *st, unsigned domid)
{
	struct xs_domain *page, *d;

	if (domid > XS_DOMID_MAX)
		return NULL;
	page = st->dom_pages[domid / XS_DOM_PAGE];
	d = page ? &page[domid % XS_DOM_PAGE] : NULL;
	return d && d->used ? d : NULL;
}

struct xs_domain *xs_dom(struct xs_store *st, unsigned domid)
{
	struct xs_domain **page, *d;

	if (domid > XS_DOMID_MAX)
		return NULL;
	page = &st->dom_pages[domid / XS_DOM_PAGE];
	if (!*page && !(*page = calloc(XS_DOM_PAGE, sizeof(**page))))
		return NULL;
	d = &(*page)[domid % XS_DOM_PAGE];
	if (!d->used) {
		d->used = true;
		d->target = -1;
	}
	return d;
}

void xs_dom_nodes_adjust(struct xs_store *st, unsigned owner, int delta)
{
	struct xs_domain *d = xs_dom(st, owner);
	if (!d)
		return;
	if (delta < 0 && d->nodes < (unsigned)-delta)
		d->nodes = 0;
	else
		d->nodes += (unsigned)delta;
}

void xs_dom_set_target(struct xs_store *st, struct xs_domain *d, int target)
{
	st->ntargets -= d->target >= 0;
	d->target = target;
	st->ntargets += target >= 0;
}

/* The domain whose /local/domain/<id> tree holds @path, or -1. Only the
 * canonical spelling counts (no leading zero): that is the tree a release
 * removes, so only its nodes may stay out of the index. */
static long tree_domid(const char *path)
{
	static const char pre[] = "/local/domain/";
	const char *p = path + sizeof(pre) - 1;
	long id = 0;
	int digits = 0;

	if (strncmp(path, pre, sizeof(pre) - 1) != 0)
		return -1;
	for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
		id = id * 10 + (*p - '0');
	if (!digits || (*p && *p != '/') || (p[-digits] == '0' && digits > 1) ||
	    id > (long)XS_DOMID_MAX)
		return -1;
	return id;
}

static void perm_unindex(struct xs_node *n)
{
	for (uint32_t i = 0; i < n->nplinks; i++) {
		struct xs_plink *l = &n->plinks[i];
		if (!l->pprev)
			continue;
		*l->pprev = l->next;
		if (l->next)
			l->next->pprev = l->pprev;
	}
	free(n->plinks);
	n->plinks = NULL;
	n->nplinks = 0;
}

/* Link committed node @n on the list of every domain its permissions name
 * (a domain named twice gets two entries: harmless, scrubbing is
 * idempotent). Domain 0 is never released, and a node in a domain's own
 * tree goes when its tree does. */
static void perm_index(struct xs_store *st, struct xs_node *n)
{
	long own = tree_domid(n->path);
	uint32_t k = 0;

	perm_unindex(n);
	for (uint32_t i = 0; i < n->nperms; i++)
		k += n->perms[i].id != 0 && n->perms[i].id != own;
	if (!k)
		return;
	n->plinks = calloc(k, sizeof(*n->plinks));
	if (!n->plinks) {
		st->perm_index_lossy = true;
		return;
	}
	for (uint32_t i = 0; i < n->nperms; i++) {
		struct xs_plink *l;
		struct xs_domain *d;

		if (n->perms[i].id == 0 || n->perms[i].id == own)
			continue;
		l = &n->plinks[n->nplinks++];
		l->node = n;
		if (!(d = xs_dom(st, n->perms[i].id))) {
			st->perm_index_lossy = true;
			continue;
		}
		l->next = d->perm_nodes;
		if (l->next)
			l->next->pprev = &l->next;
		l->pprev = &d->perm_nodes;
		d->perm_nodes = l;
	}
}

void xs_node_uncharge(struct xs_store *st, struct xs_node *n)
{
	struct xs_domain *d = xs_dom_find(st, n->acct_owner);

	perm_unindex(n);
	if (d && n->acct) {
		d->node_bytes -= n->acct < d->node_bytes ? n->acct : d->node_bytes;
		n->acct = 0;
	}
}

void xs_node_charge(struct xs_store *st, struct xs_node *n)
{
	uint16_t owner = n->nperms ? n->perms[0].id : 0;
	struct xs_domain *d;

	xs_node_uncharge(st, n);
	perm_index(st, n);
	d = xs_dom(st, owner);
	if (!d)
		return; /* no memory for the record: uncounted, as its node count */
	n->acct = xs_node_bytes(n);
	n->acct_owner = owner;
	d->node_bytes += n->acct;
}

size_t xs_store_domain_bytes(const struct xs_store *st, unsigned domid)
{
	const struct xs_domain *d = xs_dom_find(st, domid);
	return d ? d->node_bytes + d->conn_bytes : 0;
}

bool xs_toolstack_full(struct xs_store *st)
{
	size_t used = xs_store_domain_bytes(st, 0);
	bool full = used >= st->quota[XS_Q_TOOLSTACK_MEMORY];

	if (full && !st->toolstack_over)
		umx_warn("xenstore: the toolstack (domain 0) holds %zu bytes, at its cap "
		         "(toolstack-memory %u): refusing what would grow it with ENOSPC",
		         used, st->quota[XS_Q_TOOLSTACK_MEMORY]);
	else if (!full && st->toolstack_over)
		umx_info("xenstore: the toolstack is below its cap again (%zu bytes)", used);
	st->toolstack_over = full;
	return full;
}

int xs_store_conn_admit(struct xs_store *st, unsigned domid, unsigned max_per_domain)
{
	const struct xs_domain *d = xs_dom_find(st, domid);
	unsigned n = d ? d->conns : 0;

	if (domid > XS_DOMID_MAX)
		return -EINVAL;
	if (!xs_dom_privileged(domid))
		return n >= max_per_domain ? -EMFILE : 0;
	if (n >= XS_DOM0_CONNS_MAX)
		return -EMFILE;
	return xs_toolstack_full(st) ? -ENOSPC : 0;
}

bool xs_dom_introduced(const struct xs_store *st, unsigned domid)
{
	const struct xs_domain *d = xs_dom_find(st, domid);

	if (domid == 0 || (d && d->introduced))
		return true;
	return st->hooks.domain_exists && st->hooks.domain_exists(st->hooks.ctx, domid);
}

static int mknode(struct xs_store *st, const char *path, const char *value,
                  const struct xs_perm *perms, uint32_t np)
{
	struct xs_view v = {st, NULL, 0};
	struct xs_node *n;
	int err = xs_view_get(&v, path, &n);
	if (!err && !n)
		err = xs_view_create(&v, path, &n);
	if (!err && value)
		err = xs_node_set_value(n, value, strlen(value));
	if (!err && perms)
		err = xs_view_set_perms(&v, n, perms, np);
	if (err)
		return err;
	xs_view_touch(&v, n);
	xs_watch_fire(st, path, n->perms, n->nperms);
	return 0;
}

int xs_store_new(const struct umxd_xs_hooks *hooks, struct xs_store **out)
{
	struct xs_store *st = calloc(1, sizeof(*st));
	struct xs_node *root;
	int err;
	if (!st)
		return -ENOMEM;
	if (hooks)
		st->hooks = *hooks;
	for (unsigned i = 0; i < XS_Q_COUNT; i++)
		st->quota[i] = quotas[i].def;
	xs_store_set_clock(st, NULL, NULL);
	for (unsigned i = 0; i < 2; i++)
		st->special_nperms[i] = 1; /* "n0": only dom0 sees them by default */
	root = xs_node_alloc("/");
	if (!root || xs_map_put(&st->nodes, root)) {
		xs_node_free(root);
		free(st);
		return -ENOMEM;
	}
	root->gen = ++st->gen;
	xs_dom_nodes_adjust(st, 0, 1);
	xs_node_charge(st, root);
	err = mknode(st, "/tool", NULL, NULL, 0);
	if (!err)
		err = mknode(st, "/local/domain/0/name", "Domain-0", NULL, 0);
	if (!err)
		err = mknode(st, "/local/domain/0/domid", "0", NULL, 0);
	if (err) {
		xs_store_free(st);
		return err;
	}
	*out = st;
	return 0;
}

void xs_store_free(struct xs_store *st)
{
	if (!st)
		return;
	while (st->conns)
		xs_conn_free(st->conns);
	xs_map_clear(&st->nodes, xs_node_free);
	for (unsigned p = 0; p < XS_DOM_PAGES; p++)
		free(st->dom_pages[p]);
	free(st);
}

void xs_store_set_trace(struct xs_store *st, bool on)
{
	st->trace = on && st->hooks.trace;
}

size_t xs_store_node_count(const struct xs_store *st)
{
	return st->nodes.n;
}

size_t xs_store_conn_bytes(const struct xs_store *st)
{
	return st->conn_bytes;
}

void xs_store_tick(struct xs_store *st)
{
	uint64_t now = xs_now_ms(st);
	uint64_t limit = (uint64_t)st->quota[XS_Q_TRANS_SECONDS] * 1000u;
	for (struct xs_conn *c = st->conns; c; c = c->next) {
		if (c->broken || xs_dom_privileged(c->domid))
			continue;
		for (struct xs_txn *t = c->txns; t; t = t->next) {
			if (now - t->start_ms > limit) {
				xs_conn_cut(c, "transaction left open too long");
				break;
			}
		}
	}
}

/* ---- domain lifecycle ---- */

static void fire_special(struct xs_store *st, int idx)
{
	static const char *const names[2] = {"@introduceDomain", "@releaseDomain"};
	xs_watch_fire(st, names[idx], st->special_perms[idx], st->special_nperms[idx]);
}

int xs_store_domain_introduce(struct xs_store *st, unsigned domid, const char *name)
{
	char p[64], id[16];
	/* As libxl: the domain may read its directory, owns only what it may
	 * write (roperm = n0 rD, rwperm = nD). */
	const struct xs_perm ro[2] = {{0, XS_PERM_NONE}, {(uint16_t)domid, XS_PERM_READ}};
	const struct xs_perm rw[1] = {{(uint16_t)domid, XS_PERM_NONE}};
	static const char *const ro_dirs[] = {"cpu", "memory", "device", "control"};
	static const char *const rw_dirs[] = {"data",
	                                      "drivers",
	                                      "feature",
	                                      "attr",
	                                      "error",
	                                      "control/shutdown",
	                                      "control/feature-poweroff",
	                                      "control/feature-reboot",
	                                      "control/feature-suspend",
	                                      "control/sysrq",
	                                      "device/suspend/event-channel"};
	struct xs_domain *d;
	int err;

	if (domid == 0 || domid > XS_DOMID_MAX || !name)
		return -EINVAL;
	d = xs_dom(st, domid);
	if (!d)
		return -ENOMEM;
	if (d->introduced)
		return -EEXIST;
	snprintf(p, sizeof(p), "/local/domain/%u", domid);
	err = mknode(st, p, NULL, ro, 2);
	snprintf(p, sizeof(p), "/local/domain/%u/name", domid);
	if (!err)
		err = mknode(st, p, name, NULL, 0);
	snprintf(p, sizeof(p), "/local/domain/%u/domid", domid);
	snprintf(id, sizeof(id), "%u", domid);
	if (!err)
		err = mknode(st, p, id, NULL, 0);
	for (size_t i = 0; !err && i < sizeof(ro_dirs) / sizeof(ro_dirs[0]); i++) {
		snprintf(p, sizeof(p), "/local/domain/%u/%s", domid, ro_dirs[i]);
		err = mknode(st, p, NULL, ro, 2);
	}
	for (size_t i = 0; !err && i < sizeof(rw_dirs) / sizeof(rw_dirs[0]); i++) {
		snprintf(p, sizeof(p), "/local/domain/%u/%s", domid, rw_dirs[i]);
		err = mknode(st, p, NULL, rw, 1);
	}
	if (err)
		return err;
	d->introduced = true;
	d->released = false;
	fire_special(st, 0);
	return 0;
}

void xs_domain_release_conns(struct xs_store *st, unsigned domid)
{
	const struct xs_domain *d = xs_dom_find(st, domid);

	if (!d || !d->conns)
		return; /* none: no walk of every connection */
	for (struct xs_conn *c = st->conns; c; c = c->next)
		if (c->domid == domid && !c->broken)
			xs_conn_cut(c, "domain released");
}

/* XSA-322: a later domain reusing @domid must not inherit any right. */
static void scrub_perms(struct xs_store *st, struct xs_node *n, unsigned domid, bool committed)
{
	uint32_t j = 1;
	if (n->perms[0].id == domid) {
		if (committed) {
			xs_dom_nodes_adjust(st, domid, -1);
			xs_dom_nodes_adjust(st, 0, 1);
		}
		n->perms[0].id = 0;
	}
	for (uint32_t i = 1; i < n->nperms; i++)
		if (n->perms[i].id != domid)
			n->perms[j++] = n->perms[i];
	n->nperms = j;
	if (committed)
		xs_node_charge(st, n); /* maybe a new owner */
}

void xs_store_domain_release(struct xs_store *st, unsigned domid)
{
	struct xs_domain *d;
	char p[64];
	struct xs_view v = {st, NULL, 0};
	struct xs_node *n = NULL;
	size_t bucket = 0;
	int err;

	if (domid == 0 || domid > XS_DOMID_MAX)
		return;
	xs_domain_release_conns(st, domid);
	snprintf(p, sizeof(p), "/local/domain/%u", domid);
	err = xs_view_rm(&v, p);
	st->release_visits = 0;
	d = xs_dom_find(st, domid);
	if ((err && err != -ENOENT) || st->perm_index_lossy) {
		/* Its tree or the index is not to be trusted: every node. */
		while ((n = xs_map_next(&st->nodes, &bucket, n))) {
			scrub_perms(st, n, domid, true);
			st->release_visits++;
		}
	} else {
		/* Only the nodes that name it: scrubbing re-indexes a node
		 * without this domain, which takes it off this list. */
		while (d && d->perm_nodes) {
			scrub_perms(st, d->perm_nodes->node, domid, true);
			st->release_visits++;
		}
	}
	for (struct xs_conn *c = st->conns; c; c = c->next)
		for (struct xs_txn *t = c->txns; t; t = t->next) {
			size_t b = 0;
			struct xs_node *e = NULL;
			while ((e = xs_map_next(&t->ov, &b, e)))
				scrub_perms(st, e, domid, false);
		}
	for (unsigned i = 0; i < 2; i++) {
		uint32_t j = 1;
		if (st->special_perms[i][0].id == domid)
			st->special_perms[i][0].id = 0;
		for (uint32_t k = 1; k < st->special_nperms[i]; k++)
			if (st->special_perms[i][k].id != domid)
				st->special_perms[i][j++] = st->special_perms[i][k];
		st->special_nperms[i] = j;
	}
	for (unsigned pg = 0; st->ntargets && pg < XS_DOM_PAGES; pg++)
		for (unsigned i = 0; st->dom_pages[pg] && i < XS_DOM_PAGE; i++)
			if (st->dom_pages[pg][i].target == (int)domid)
				xs_dom_set_target(st, &st->dom_pages[pg][i], -1);
	if ((d = xs_dom_find(st, domid))) { /* made meanwhile, maybe */
		d->introduced = false;
		d->released = true;
		xs_dom_set_target(st, d, -1);
	}
	fire_special(st, 1);
}
