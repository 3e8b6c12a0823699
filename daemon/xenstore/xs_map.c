/* SPDX-License-Identifier: MIT */
/* Path -> node hash map with chaining; grows, never recurses. */
#include <stdlib.h>
#include <string.h>

#include "xs_engine.h"

static size_t hash(const char *s)
{
	/* FNV-1a: paths are short and attacker-chosen only within a domain's
	 * own quota, so collisions cost that domain, bounded by its nodes. */
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 32));
}

struct xs_node *xs_map_get(const struct xs_map *m, const char *key)
{
	if (!m->nb)
		return NULL;
	for (struct xs_node *n = m->b[hash(key) & (m->nb - 1)]; n; n = n->hnext)
		if (!strcmp(n->path, key))
			return n;
	return NULL;
}

static int grow(struct xs_map *m)
{
	size_t nb = m->nb ? m->nb * 2 : 64;
	struct xs_node **b = calloc(nb, sizeof(struct xs_node *));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < m->nb; i++) {
		struct xs_node *n = m->b[i], *next;
		for (; n; n = next) {
			next = n->hnext;
			size_t h = hash(n->path) & (nb - 1);
			n->hnext = b[h];
			b[h] = n;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
	return 0;
}

int xs_map_put(struct xs_map *m, struct xs_node *n)
{
	if (m->n + 1 > m->nb) {
		int err = grow(m);
		if (err && !m->nb)
			return err;
	}
	size_t h = hash(n->path) & (m->nb - 1);
	n->hnext = m->b[h];
	m->b[h] = n;
	m->n++;
	return 0;
}

struct xs_node *xs_map_del(struct xs_map *m, const char *key)
{
	if (!m->nb)
		return NULL;
	struct xs_node **pp = &m->b[hash(key) & (m->nb - 1)];
	for (; *pp; pp = &(*pp)->hnext) {
		struct xs_node *n = *pp;
		if (!strcmp(n->path, key)) {
			*pp = n->hnext;
			n->hnext = NULL;
			m->n--;
			return n;
		}
	}
	return NULL;
}

void xs_map_clear(struct xs_map *m, void (*fn)(struct xs_node *n))
{
	for (size_t i = 0; i < m->nb; i++) {
		struct xs_node *n = m->b[i], *next;
		for (; n; n = next) {
			next = n->hnext;
			if (fn)
				fn(n);
		}
	}
	free(m->b);
	m->b = NULL;
	m->nb = m->n = 0;
}

struct xs_node *xs_map_next(const struct xs_map *m, size_t *bucket, struct xs_node *prev)
{
	if (prev && prev->hnext)
		return prev->hnext;
	size_t i = prev ? *bucket + 1 : *bucket;
	for (; i < m->nb; i++) {
		if (m->b[i]) {
			*bucket = i;
			return m->b[i];
		}
	}
	*bucket = m->nb;
	return NULL;
}
