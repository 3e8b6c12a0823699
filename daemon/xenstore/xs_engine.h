/* SPDX-License-Identifier: MIT */
/*
 * xs_engine.h — private structures of the XenStore engine (see xs.h).
 *
 * The committed tree is a hash map from absolute path to node; each node
 * keeps its children as Xen does, a buffer of NUL-terminated names in
 * creation order (so DIRECTORY and DIRECTORY_PART replies are slices of
 * it). Every walk is iterative: an explicit stack of paths, never recursion
 * proportional to depth.
 *
 * A transaction is an overlay map of copies of every node it touched
 * (including "absent" markers) with the generation the committed node had
 * at first touch. Commit fails with EAGAIN if any of those generations
 * changed, like cxenstored; otherwise the modified copies replace the
 * committed nodes and the watches fire in modification order.
 */
#ifndef UMXD_XS_ENGINE_H
#define UMXD_XS_ENGINE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

#include "xs.h"

#define XS_PERM_NONE  0u
#define XS_PERM_READ  1u
#define XS_PERM_WRITE 2u
#define XS_PERM_BOTH  (XS_PERM_READ | XS_PERM_WRITE)
#define XS_PERM_OWNER 4u

#define XS_DOMID_MAX 0xffffu
#define XS_HDR_LEN   16u
/* Domain records per page of struct xs_store's sparse table. */
#define XS_DOM_PAGE  256u
#define XS_DOM_PAGES ((XS_DOMID_MAX + 1) / XS_DOM_PAGE)
#define XS_RXBUF     (XS_HDR_LEN + XENSTORE_PAYLOAD_MAX)
/* Flow control for dom0, which has no per-domain quotas. */
#define XS_DOM0_OUTQ_PAUSE (1u << 20)
#define XS_DOM0_OUTQ_MAX   (64u << 20)

struct xs_perm {
	uint16_t id;
	uint8_t perm; /* XS_PERM_* */
};

/* One entry of the per-domain permission index: committed node @node names
 * the domain whose list (struct xs_domain.perm_nodes) this is linked on. */
struct xs_plink {
	struct xs_plink *next, **pprev; /* pprev NULL: not linked (no record) */
	struct xs_node *node;
};

struct xs_node {
	char *path; /* key; owned */
	char *value;
	uint32_t vlen;
	uint32_t nperms;
	struct xs_perm *perms; /* [0] = owner + default for others */
	char *children;        /* NUL-terminated names, creation order */
	uint32_t clen, ccap;
	uint64_t gen;
	struct xs_node *hnext; /* hash chain */
	/* Committed nodes: bytes charged to acct_owner (xs_node_charge). */
	size_t acct;
	uint16_t acct_owner;
	/* Committed nodes: one index entry per permission naming a domain
	 * other than 0 and other than the one whose /local/domain/<id> tree
	 * holds the node (that tree goes with its domain). Kept by
	 * xs_node_charge, dropped by xs_node_uncharge; never copied. */
	struct xs_plink *plinks;
	uint32_t nplinks;
	/* Transaction copies: bytes charged to the transaction. */
	size_t tx_acct;
	/* Transaction overlay copies only. */
	uint64_t base_gen; /* committed generation at first touch, 0 = absent */
	uint64_t mod_seq;  /* 0 = unmodified */
	bool absent;       /* deleted / not existing in this view */
};

struct xs_map {
	struct xs_node **b;
	size_t nb, n;
};

struct xs_msg {
	struct xs_msg *next;
	size_t len, off;
	bool reply; /* counts as an outstanding request */
	unsigned char data[];
};

struct xs_watch {
	struct xs_watch *next;
	char *path; /* absolute (or @special) */
	char *token;
	bool relative; /* report paths relative to the domain path */
};

struct xs_txn {
	struct xs_txn *next;
	struct xs_conn *conn;
	uint32_t id;
	uint64_t start_ms;
	uint64_t seq;
	struct xs_map ov;
	size_t bytes;
	unsigned created; /* nodes created (per owner counting is approximate) */
};

struct xs_conn {
	struct xs_store *st;
	struct xs_conn *next, *prev;
	unsigned domid;
	bool broken;
	void (*notify)(void *ctx);
	void *notify_ctx;
	unsigned char rx[XS_RXBUF];
	size_t rxlen;
	struct xs_msg *outq, **outq_tail;
	size_t outq_bytes;
	unsigned outq_replies;
	struct xs_watch *watches;
	struct xs_txn *txns;
	unsigned ntxns;
	uint32_t next_txid;
	size_t watch_bytes;
};

struct xs_domain {
	unsigned nodes;
	unsigned watches;
	unsigned txns;
	unsigned conns;
	size_t node_bytes; /* its committed nodes (xs_node_charge) */
	size_t conn_bytes; /* its connections and what they hold (xs_conn_account) */
	bool introduced;
	/* Died (umxd released it) and not introduced again: permissions
	 * naming it are dropped, so that the next domain with this domid
	 * inherits none (XSA-322; cxenstored ignores such entries). */
	bool released;
	bool used;  /* the record exists (its page holds XS_DOM_PAGE slots) */
	int target; /* SET_TARGET: -1 none (set through xs_dom_set_target) */
	/* Committed nodes outside its own tree whose permissions name it
	 * (struct xs_node.plinks): what its release must scrub, found without
	 * a walk of the whole store. */
	struct xs_plink *perm_nodes;
};

struct xs_store {
	struct xs_map nodes;
	uint64_t gen;
	struct xs_conn *conns;
	/* Domain records, in pages of XS_DOM_PAGE made on first use: a store
	 * that knows a few domains costs one page, not a 65536-entry table to
	 * clear, scan and free (the fuzzer makes thousands a second); and the
	 * records, which outlive their domains (XSA-322), sit together instead
	 * of one in every stretch of heap a domain's nodes used, where they
	 * kept the allocator from returning it after the domains went. */
	struct xs_domain *dom_pages[XS_DOM_PAGES];
	unsigned quota[XS_Q_COUNT];
	struct xs_perm special_perms[2][8]; /* @introduceDomain, @releaseDomain */
	uint32_t special_nperms[2];
	struct umxd_xs_hooks hooks;
	bool trace; /* hooks.trace on (xs_store_set_trace) */
	uint64_t (*now_ms)(void *ctx);
	void *now_ctx;
	size_t conn_bytes;
	bool toolstack_over; /* over XS_Q_TOOLSTACK_MEMORY when last checked (log once) */
	/* Some node could not be indexed (no memory for an entry or a domain
	 * record): releases walk every node again, as before the index. */
	bool perm_index_lossy;
	unsigned ntargets;     /* domain records with a target */
	size_t release_visits; /* nodes the last release scrubbed (tests) */
};

/* The view a request works on: the committed tree or one transaction. */
struct xs_view {
	struct xs_store *st;
	struct xs_txn *txn;
	unsigned domid; /* the requester */
};

/* xs_map.c */
struct xs_node *xs_map_get(const struct xs_map *m, const char *key);
int xs_map_put(struct xs_map *m, struct xs_node *n);
struct xs_node *xs_map_del(struct xs_map *m, const char *key);
void xs_map_clear(struct xs_map *m, void (*fn)(struct xs_node *n));
/* Iterate: *pos starts at 0; returns NULL at the end. Do not modify. */
struct xs_node *xs_map_next(const struct xs_map *m, size_t *bucket, struct xs_node *prev);

/* xs_node.c */
struct xs_node *xs_node_alloc(const char *path);
void xs_node_free(struct xs_node *n);
struct xs_node *xs_node_dup(const struct xs_node *n);
size_t xs_node_bytes(const struct xs_node *n);
int xs_node_set_value(struct xs_node *n, const void *v, size_t len);
int xs_node_set_perms(struct xs_node *n, const struct xs_perm *p, uint32_t np);
int xs_node_add_child(struct xs_node *n, const char *name);
void xs_node_del_child(struct xs_node *n, const char *name);

/* xs_path.c */
/* Resolve @in (relative against /local/domain/<domid>) into @out; checks
 * Xen's characters and lengths. @special: accept @names. 0 or -EINVAL. */
int xs_path_canon(const struct xs_store *st, unsigned domid, const char *in, bool special,
                  char *out, size_t cap);
/* Is @a an ancestor of or equal to @b? */
bool xs_path_covers(const char *a, const char *b);
/* Length of the parent of @p ("/a/b" -> 2, "/a" -> 1). */
size_t xs_path_parent_len(const char *p);
const char *xs_path_base(const char *p);
int xs_parse_uint(const char *s, unsigned max, unsigned *out);

/* xs_perms.c */
unsigned xs_perm_for(const struct xs_store *st, unsigned domid, const struct xs_perm *p,
                     uint32_t n);
int xs_perms_parse(const char *const *v, unsigned n, struct xs_perm *out);
/* Drop the entries of @p (after the owner's) that name a released domain;
 * returns the new count, or -ENOENT if the owner is one. */
int xs_perms_drop_released(const struct xs_store *st, struct xs_perm *p, unsigned n);
size_t xs_perms_format(const struct xs_perm *p, uint32_t n, char *buf, size_t cap);
int xs_special_index(const char *path);

/* xs_store.c: domain records */
/* The record of @domid, created if missing; NULL on ENOMEM or a domid
 * above XS_DOMID_MAX. */
struct xs_domain *xs_dom(struct xs_store *st, unsigned domid);
/* The record of @domid if it exists (never allocates). */
struct xs_domain *xs_dom_find(const struct xs_store *st, unsigned domid);
void xs_dom_nodes_adjust(struct xs_store *st, unsigned owner, int delta);
/* SET_TARGET and its undoing: -1 for none. */
void xs_dom_set_target(struct xs_store *st, struct xs_domain *d, int target);
/* Charge committed node @n's size to its owner, replacing its last charge,
 * and index it under every domain its permissions name; uncharge (which
 * unindexes) before it leaves the committed tree. */
void xs_node_charge(struct xs_store *st, struct xs_node *n);
void xs_node_uncharge(struct xs_store *st, struct xs_node *n);
/* Is the toolstack (domain 0) at or over its memory cap? Logs the first
 * time it gets there. */
bool xs_toolstack_full(struct xs_store *st);
bool xs_dom_introduced(const struct xs_store *st, unsigned domid);
uint64_t xs_now_ms(struct xs_store *st);
void xs_domain_release_conns(struct xs_store *st, unsigned domid);

/* xs_tree.c: operations on a view; all return 0 or -errno. */
int xs_view_get(struct xs_view *v, const char *path, struct xs_node **out);
/* Like get, with Xen's errno rules: -ENOENT only if the requester may
 * @perm the nearest existing ancestor, else -EACCES. */
int xs_view_get_perm(struct xs_view *v, const char *path, unsigned perm, struct xs_node **out);
/* Create @path and missing parents (requester needs WRITE on the nearest
 * existing ancestor). */
int xs_view_create(struct xs_view *v, const char *path, struct xs_node **out);
/* Mark @n (from xs_view_get) modified: new generation, or transaction
 * sequence. @n must be in the view. */
void xs_view_touch(struct xs_view *v, struct xs_node *n);
int xs_view_rm(struct xs_view *v, const char *path);
int xs_view_set_perms(struct xs_view *v, struct xs_node *n, const struct xs_perm *p, uint32_t np);
bool xs_dom_privileged(unsigned domid);

/* xs_watch.c */
/* Fire watches covering @path for a change in the committed tree; @perms
 * are the node's (pre-deletion) permissions. */
void xs_watch_fire(struct xs_store *st, const char *path, const struct xs_perm *perms,
                   uint32_t nperms);
int xs_watch_add(struct xs_conn *c, const char *path, const char *token, bool relative);
int xs_watch_del(struct xs_conn *c, const char *path, const char *token);
void xs_watch_del_all(struct xs_conn *c);

/* xs_txn.c */
int xs_txn_start(struct xs_conn *c, uint32_t *id);
struct xs_txn *xs_txn_find(struct xs_conn *c, uint32_t id);
/* Ends @t (freed in every case): 0, -EAGAIN on conflict. */
int xs_txn_end(struct xs_txn *t, bool commit);
void xs_txn_del_all(struct xs_conn *c);

/* xs_conn.c */
/* Queue a message; replies count as outstanding. 0 or -ENOMEM. */
int xs_conn_send(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *p1,
                 size_t l1, const void *p2, size_t l2, bool reply);
void xs_conn_cut(struct xs_conn *c, const char *why);
/* @delta bytes more (or fewer) held on behalf of @c: store and domain totals. */
void xs_conn_account(struct xs_conn *c, long delta);

/* xs_req.c */
void xs_req_handle(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                   const char *payload, uint32_t len);
const char *xs_errname(int err);

#endif /* UMXD_XS_ENGINE_H */
