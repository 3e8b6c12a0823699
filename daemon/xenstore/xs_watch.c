/* SPDX-License-Identifier: MIT */
/* Watches: registration and firing, filtered by the watcher's read perm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_engine.h"

static size_t watch_bytes(const struct xs_watch *w)
{
	return sizeof(*w) + strlen(w->path) + strlen(w->token) + 2;
}

static void send_event(struct xs_conn *c, const struct xs_watch *w, const char *path)
{
	if (w->relative) {
		char pre[32];
		int n = snprintf(pre, sizeof(pre), "/local/domain/%u/", c->domid);
		if (n > 0 && !strncmp(path, pre, (size_t)n))
			path += n;
	}
	/* Both strings are bounded by the path limits: the event fits. */
	xs_conn_send(c, XS_WATCH_EVENT, 0, 0, path, strlen(path) + 1, w->token,
	             strlen(w->token) + 1, false);
}

void xs_watch_fire(struct xs_store *st, const char *path, const struct xs_perm *perms,
                   uint32_t nperms)
{
	for (struct xs_conn *c = st->conns; c; c = c->next) {
		if (c->broken || !c->watches)
			continue;
		if (!(xs_perm_for(st, c->domid, perms, nperms) & XS_PERM_READ))
			continue;
		for (struct xs_watch *w = c->watches; w; w = w->next) {
			if (!xs_path_covers(w->path, path))
				continue;
			send_event(c, w, path);
			if (c->broken) /* cut off: its watches are gone */
				break;
		}
	}
}

int xs_watch_add(struct xs_conn *c, const char *path, const char *token, bool relative)
{
	struct xs_store *st = c->st;
	struct xs_domain *d = xs_dom(st, c->domid);
	struct xs_watch **pp = &c->watches;
	if (!d)
		return -ENOMEM;
	for (; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->path, path) && !strcmp((*pp)->token, token))
			return -EEXIST;
	if (!xs_dom_privileged(c->domid) && d->watches >= st->quota[XS_Q_WATCHES])
		return -E2BIG;
	struct xs_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = strdup(path);
	w->token = strdup(token);
	if (!w->path || !w->token) {
		free(w->path);
		free(w->token);
		free(w);
		return -ENOMEM;
	}
	w->relative = relative;
	*pp = w; /* appended: events go out in registration order */
	d->watches++;
	c->watch_bytes += watch_bytes(w);
	xs_conn_account(c, (long)watch_bytes(w));
	return 0;
}

static void watch_free(struct xs_conn *c, struct xs_watch *w)
{
	struct xs_domain *d = xs_dom_find(c->st, c->domid);
	if (d && d->watches)
		d->watches--;
	c->watch_bytes -= watch_bytes(w);
	xs_conn_account(c, -(long)watch_bytes(w));
	free(w->path);
	free(w->token);
	free(w);
}

int xs_watch_del(struct xs_conn *c, const char *path, const char *token)
{
	for (struct xs_watch **pp = &c->watches; *pp; pp = &(*pp)->next) {
		struct xs_watch *w = *pp;
		if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
			*pp = w->next;
			watch_free(c, w);
			return 0;
		}
	}
	return -ENOENT;
}

void xs_watch_del_all(struct xs_conn *c)
{
	while (c->watches) {
		struct xs_watch *w = c->watches;
		c->watches = w->next;
		watch_free(c, w);
	}
}
