/* SPDX-License-Identifier: MIT */
/*
 * Tree operations on a view (committed tree or transaction overlay).
 * Walks use explicit stacks: a hostile domain may build deep trees, and
 * nothing here recurses in proportion to depth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_engine.h"

/* Charge transaction copy @n's current size to @t (replacing its last
 * charge: a copy grows as the transaction writes it). */
static void txn_account(struct xs_txn *t, struct xs_node *n)
{
	size_t b = xs_node_bytes(n);
	long delta = (long)b - (long)n->tx_acct;
	t->bytes += (size_t)delta;
	n->tx_acct = b;
	xs_conn_account(t->conn, delta);
}

int xs_view_get(struct xs_view *v, const char *path, struct xs_node **out)
{
	struct xs_node *m = xs_map_get(&v->st->nodes, path), *e;
	struct xs_txn *t = v->txn;
	if (!t) {
		*out = m;
		return 0;
	}
	e = xs_map_get(&t->ov, path);
	if (!e) {
		if (!xs_dom_privileged(v->domid) && t->ov.n >= v->st->quota[XS_Q_TRANS_NODES])
			return -ENOSPC;
		e = m ? xs_node_dup(m) : xs_node_alloc(path);
		if (!e)
			return -ENOMEM;
		e->absent = !m;
		e->base_gen = m ? m->gen : 0;
		if (xs_map_put(&t->ov, e)) {
			xs_node_free(e);
			return -ENOMEM;
		}
		txn_account(t, e);
	}
	*out = e->absent ? NULL : e;
	return 0;
}

/* The nearest existing ancestor of @path (the root always exists). */
static int nearest_ancestor(struct xs_view *v, const char *path, struct xs_node **out,
                            unsigned *missing)
{
	size_t len = strlen(path);
	char *buf = malloc(len + 1);
	int err = 0;
	if (!buf)
		return -ENOMEM;
	memcpy(buf, path, len + 1);
	*out = NULL;
	*missing = 1;
	while (!err && !*out && len > 1) {
		len = xs_path_parent_len(buf);
		buf[len] = '\0';
		err = xs_view_get(v, buf, out);
		if (!err && !*out)
			(*missing)++;
	}
	free(buf);
	if (!err && !*out)
		err = -ENOENT; /* no root: cannot happen, the store creates it */
	return err;
}

int xs_view_get_perm(struct xs_view *v, const char *path, unsigned perm, struct xs_node **out)
{
	struct xs_node *n, *anc;
	unsigned missing;
	int err = xs_view_get(v, path, &n);
	if (err)
		return err;
	if (n) {
		if ((xs_perm_for(v->st, v->domid, n->perms, n->nperms) & perm) != perm)
			return -EACCES;
		*out = n;
		return 0;
	}
	/* Tell ENOENT only to who may see the parent (cxenstored's
	 * errno_from_parents()). */
	err = nearest_ancestor(v, path, &anc, &missing);
	if (err)
		return err;
	perm &= XS_PERM_BOTH;
	if ((xs_perm_for(v->st, v->domid, anc->perms, anc->nperms) & perm) != perm)
		return -EACCES;
	return -ENOENT;
}

void xs_view_touch(struct xs_view *v, struct xs_node *n)
{
	if (v->txn) {
		if (!n->mod_seq)
			n->mod_seq = ++v->txn->seq;
		txn_account(v->txn, n);
	} else {
		n->gen = ++v->st->gen;
		xs_node_charge(v->st, n);
	}
}

int xs_view_create(struct xs_view *v, const char *path, struct xs_node **out)
{
	struct xs_store *st = v->st;
	struct xs_node *parent, *n = NULL;
	unsigned missing;
	int err = nearest_ancestor(v, path, &parent, &missing);
	if (err)
		return err;
	if (!(xs_perm_for(st, v->domid, parent->perms, parent->nperms) & XS_PERM_WRITE))
		return -EACCES;
	if (!xs_dom_privileged(v->domid)) {
		struct xs_domain *d = xs_dom(st, v->domid);
		unsigned pending = v->txn ? v->txn->created : 0;
		if (!d)
			return -ENOMEM;
		if (d->nodes + pending + missing > st->quota[XS_Q_NODES])
			return -ENOSPC;
	}
	size_t plen = strlen(parent->path);
	size_t len = strlen(path);
	char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	while (missing--) {
		/* The next component below @parent. */
		size_t end = plen == 1 ? 1 : plen + 1;
		while (path[end] && path[end] != '/')
			end++;
		memcpy(buf, path, end);
		buf[end] = '\0';
		if (v->txn) {
			n = xs_map_get(&v->txn->ov, buf); /* the absent marker */
			if (!n) {
				err = xs_view_get(v, buf, &n);
				if (!err && !n)
					n = xs_map_get(&v->txn->ov, buf);
				if (err || !n) {
					err = err ? err : -ENOMEM;
					break;
				}
			}
			n->absent = false;
			n->vlen = 0;
			n->clen = 0;
			v->txn->created++;
		} else {
			n = xs_node_alloc(buf);
			if (!n || xs_map_put(&st->nodes, n)) {
				xs_node_free(n);
				err = -ENOMEM;
				break;
			}
		}
		err = xs_node_set_perms(n, parent->perms, parent->nperms);
		if (!err && !xs_dom_privileged(v->domid))
			n->perms[0].id = (uint16_t)v->domid;
		if (!err)
			err = xs_node_add_child(parent, xs_path_base(buf));
		if (err) {
			if (v->txn) {
				n->absent = true;
			} else {
				xs_map_del(&st->nodes, buf);
				xs_node_free(n);
			}
			break;
		}
		if (!v->txn)
			xs_dom_nodes_adjust(st, n->perms[0].id, 1);
		xs_view_touch(v, parent);
		xs_view_touch(v, n);
		parent = n;
		plen = end;
	}
	free(buf);
	if (!err)
		*out = n;
	return err;
}

int xs_view_set_perms(struct xs_view *v, struct xs_node *n, const struct xs_perm *p, uint32_t np)
{
	unsigned old = n->perms[0].id;
	int err = xs_node_set_perms(n, p, np);
	if (err)
		return err;
	if (!v->txn && old != p[0].id) {
		xs_dom_nodes_adjust(v->st, old, -1);
		xs_dom_nodes_adjust(v->st, p[0].id, 1);
	}
	xs_view_touch(v, n);
	return 0;
}

struct nodevec {
	struct xs_node **v;
	size_t n, cap;
};

static int vec_push(struct nodevec *s, struct xs_node *n)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct xs_node **p = realloc(s->v, cap * sizeof(struct xs_node *));
		if (!p)
			return -ENOMEM;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = n;
	return 0;
}

/* Pre-order list of @root's subtree, without recursion. */
static int collect(struct xs_view *v, struct xs_node *root, struct nodevec *out)
{
	struct nodevec stack = {0};
	char *buf = NULL;
	int err = vec_push(&stack, root);
	while (!err && stack.n) {
		struct xs_node *n = stack.v[--stack.n];
		err = vec_push(out, n);
		/* Push children last-first so they come out in order. */
		size_t off = n->clen, plen = strlen(n->path);
		while (!err && off > 0) {
			size_t start = off - 1;
			while (start > 0 && n->children[start - 1])
				start--;
			const char *name = n->children + start;
			size_t nlen = strlen(name);
			char *b = realloc(buf, plen + nlen + 2);
			if (!b) {
				err = -ENOMEM;
				break;
			}
			buf = b;
			snprintf(buf, plen + nlen + 2, "%s/%s", plen == 1 ? "" : n->path, name);
			struct xs_node *child;
			err = xs_view_get(v, buf, &child);
			if (!err && child)
				err = vec_push(&stack, child);
			off = start;
		}
	}
	free(stack.v);
	free(buf);
	return err;
}

int xs_view_rm(struct xs_view *v, const char *path)
{
	struct xs_store *st = v->st;
	struct xs_node *node, *parent;
	struct nodevec list = {0};
	int err;
	if (!strcmp(path, "/"))
		return -EINVAL;
	err = xs_view_get(v, path, &node);
	if (err || !node)
		return err ? err : -ENOENT;
	size_t plen = xs_path_parent_len(path);
	char *pp = strndup(path, plen);
	if (!pp)
		return -ENOMEM;
	err = xs_view_get(v, pp, &parent);
	free(pp);
	if (!err && !parent)
		err = -ENOENT;
	if (!err)
		err = collect(v, node, &list);
	if (err) {
		free(list.v);
		return err;
	}
	xs_node_del_child(parent, xs_path_base(path));
	xs_view_touch(v, parent);
	if (v->txn) {
		for (size_t i = 0; i < list.n; i++) {
			list.v[i]->absent = true;
			list.v[i]->clen = 0;
			xs_view_touch(v, list.v[i]);
		}
	} else {
		for (size_t i = 0; i < list.n; i++)
			xs_watch_fire(st, list.v[i]->path, list.v[i]->perms, list.v[i]->nperms);
		for (size_t i = 0; i < list.n; i++) {
			struct xs_node *n = list.v[i];
			xs_map_del(&st->nodes, n->path);
			xs_dom_nodes_adjust(st, n->perms[0].id, -1);
			xs_node_uncharge(st, n);
			xs_node_free(n);
		}
	}
	free(list.v);
	return 0;
}
