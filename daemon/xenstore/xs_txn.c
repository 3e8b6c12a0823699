/* SPDX-License-Identifier: MIT */
/*
 * Transactions: an overlay of node copies with the committed generation
 * each had at first touch; commit fails with EAGAIN if any changed
 * (cxenstored's generation-count scheme).
 */
#include <stdlib.h>
#include <string.h>

#include "xs_engine.h"

int xs_txn_start(struct xs_conn *c, uint32_t *id)
{
	struct xs_store *st = c->st;
	struct xs_domain *d = xs_dom(st, c->domid);
	if (!d)
		return -ENOMEM;
	if (!xs_dom_privileged(c->domid) && d->txns >= st->quota[XS_Q_TRANSACTIONS])
		return -ENOSPC;
	struct xs_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	/* Unique among this connection's open transactions, never 0. */
	do {
		if (!++c->next_txid)
			c->next_txid = 1;
	} while (xs_txn_find(c, c->next_txid));
	t->id = c->next_txid;
	t->conn = c;
	t->start_ms = xs_now_ms(st);
	t->next = c->txns;
	c->txns = t;
	c->ntxns++;
	d->txns++;
	t->bytes = sizeof(*t);
	xs_conn_account(c, (long)sizeof(*t));
	*id = t->id;
	return 0;
}

struct xs_txn *xs_txn_find(struct xs_conn *c, uint32_t id)
{
	for (struct xs_txn *t = c->txns; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static void free_node(struct xs_node *n)
{
	xs_node_free(n);
}

static void txn_unlink(struct xs_txn *t)
{
	struct xs_conn *c = t->conn;
	struct xs_domain *d = xs_dom_find(c->st, c->domid);
	for (struct xs_txn **pp = &c->txns; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	c->ntxns--;
	if (d && d->txns)
		d->txns--;
}

static void txn_destroy(struct xs_txn *t)
{
	xs_conn_account(t->conn, -(long)t->bytes);
	xs_map_clear(&t->ov, free_node);
	free(t);
}

static int by_seq(const void *a, const void *b)
{
	const struct xs_node *x = *(struct xs_node *const *)a, *y = *(struct xs_node *const *)b;
	return x->mod_seq < y->mod_seq ? -1 : x->mod_seq > y->mod_seq;
}

static int commit(struct xs_txn *t)
{
	struct xs_store *st = t->conn->st;
	struct xs_node **mods, *e = NULL;
	size_t nmods = 0, bucket = 0;

	while ((e = xs_map_next(&t->ov, &bucket, e))) {
		struct xs_node *m = xs_map_get(&st->nodes, e->path);
		if ((m ? m->gen : 0) != e->base_gen)
			return -EAGAIN;
		if (e->mod_seq)
			nmods++;
	}
	if (!nmods)
		return 0;
	mods = malloc(nmods * sizeof(struct xs_node *));
	if (!mods)
		return -ENOMEM;
	nmods = 0;
	bucket = 0;
	e = NULL;
	while ((e = xs_map_next(&t->ov, &bucket, e)))
		if (e->mod_seq)
			mods[nmods++] = e;
	qsort(mods, nmods, sizeof(struct xs_node *), by_seq);

	/* Apply: nothing below can fail, so the commit is atomic. */
	for (size_t i = 0; i < nmods; i++) {
		struct xs_node *n = mods[i], *m = xs_map_get(&st->nodes, n->path);
		if (n->absent) {
			if (m) {
				/* Keep the deleted node's perms for the event. */
				xs_map_del(&st->nodes, m->path);
				xs_dom_nodes_adjust(st, m->perms[0].id, -1);
				xs_node_uncharge(st, m);
				xs_node_free(m);
			} else {
				mods[i] = NULL; /* never existed outside: no event */
			}
			continue;
		}
		if (m) {
			if (m->perms[0].id != n->perms[0].id) {
				xs_dom_nodes_adjust(st, m->perms[0].id, -1);
				xs_dom_nodes_adjust(st, n->perms[0].id, 1);
			}
			/* Swap contents: @m gets the new state, @n the old. */
			struct xs_node tmp = *m;
			m->value = n->value;
			m->vlen = n->vlen;
			m->perms = n->perms;
			m->nperms = n->nperms;
			m->children = n->children;
			m->clen = n->clen;
			m->ccap = n->ccap;
			n->value = tmp.value;
			n->vlen = tmp.vlen;
			n->perms = tmp.perms;
			n->nperms = tmp.nperms;
			n->children = tmp.children;
			n->clen = tmp.clen;
			n->ccap = tmp.ccap;
			m->gen = ++st->gen;
			xs_node_charge(st, m);
			mods[i] = m;
		} else {
			/* Move the copy itself into the committed tree; the
			 * map never fails to take a node (it only may not grow). */
			xs_map_del(&t->ov, n->path);
			n->mod_seq = n->base_gen = 0;
			n->gen = ++st->gen;
			xs_map_put(&st->nodes, n);
			xs_dom_nodes_adjust(st, n->perms[0].id, 1);
			xs_node_charge(st, n);
		}
	}
	for (size_t i = 0; i < nmods; i++)
		if (mods[i])
			xs_watch_fire(st, mods[i]->path, mods[i]->perms, mods[i]->nperms);
	free(mods);
	return 0;
}

int xs_txn_end(struct xs_txn *t, bool do_commit)
{
	/* Unlinked first: firing watches may cut this very connection off,
	 * which frees the transactions still on its list. */
	txn_unlink(t);
	int err = do_commit ? commit(t) : 0;
	txn_destroy(t);
	return err;
}

void xs_txn_del_all(struct xs_conn *c)
{
	/* txn_unlink() advances c->txns; the analyzer cannot see it. */
	// NOLINTBEGIN(clang-analyzer-unix.Malloc)
	while (c->txns) {
		struct xs_txn *t = c->txns;
		txn_unlink(t);
		txn_destroy(t);
	}
	// NOLINTEND(clang-analyzer-unix.Malloc)
}
