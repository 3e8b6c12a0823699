/* SPDX-License-Identifier: MIT */
/* A store node: value, permissions, children in creation order. */
#include <stdlib.h>
#include <string.h>

#include "xs_engine.h"

struct xs_node *xs_node_alloc(const char *path)
{
	struct xs_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->path = strdup(path);
	n->perms = calloc(1, sizeof(*n->perms));
	if (!n->path || !n->perms) {
		xs_node_free(n);
		return NULL;
	}
	n->nperms = 1;
	return n;
}

void xs_node_free(struct xs_node *n)
{
	if (!n)
		return;
	free(n->path);
	free(n->value);
	free(n->perms);
	free(n->children);
	free(n->plinks); /* unlinked by xs_node_uncharge (or the store is going) */
	free(n);
}

struct xs_node *xs_node_dup(const struct xs_node *src)
{
	struct xs_node *n = xs_node_alloc(src->path);
	if (!n)
		return NULL;
	if (xs_node_set_value(n, src->value, src->vlen) ||
	    xs_node_set_perms(n, src->perms, src->nperms))
		goto err;
	if (src->clen) {
		n->children = malloc(src->clen);
		if (!n->children)
			goto err;
		memcpy(n->children, src->children, src->clen);
		n->clen = n->ccap = src->clen;
	}
	n->gen = src->gen;
	return n;
err:
	xs_node_free(n);
	return NULL;
}

size_t xs_node_bytes(const struct xs_node *n)
{
	return sizeof(*n) + strlen(n->path) + 1 + n->vlen + n->nperms * sizeof(*n->perms) + n->ccap;
}

int xs_node_set_value(struct xs_node *n, const void *v, size_t len)
{
	char *p = NULL;
	if (len) {
		p = malloc(len);
		if (!p)
			return -ENOMEM;
		memcpy(p, v, len);
	}
	free(n->value);
	n->value = p;
	n->vlen = (uint32_t)len;
	return 0;
}

int xs_node_set_perms(struct xs_node *n, const struct xs_perm *p, uint32_t np)
{
	struct xs_perm *q = calloc(np ? np : 1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	memcpy(q, p, np * sizeof(*q));
	free(n->perms);
	n->perms = q;
	n->nperms = np;
	return 0;
}

int xs_node_add_child(struct xs_node *n, const char *name)
{
	size_t len = strlen(name) + 1;
	if (n->clen + len > n->ccap) {
		size_t cap = n->ccap ? n->ccap * 2 : 64;
		while (cap < n->clen + len)
			cap *= 2;
		char *c = realloc(n->children, cap);
		if (!c)
			return -ENOMEM;
		n->children = c;
		n->ccap = (uint32_t)cap;
	}
	memcpy(n->children + n->clen, name, len);
	n->clen += (uint32_t)len;
	return 0;
}

void xs_node_del_child(struct xs_node *n, const char *name)
{
	size_t off = 0;
	while (off < n->clen) {
		const char *c = n->children + off;
		size_t len = strlen(c) + 1;
		if (!strcmp(c, name)) {
			memmove(n->children + off, n->children + off + len, n->clen - off - len);
			n->clen -= (uint32_t)len;
			return;
		}
		off += len;
	}
}
