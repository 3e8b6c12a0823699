/* SPDX-License-Identifier: MIT */
/*
 * xenstore_priv.h — the drop-in libxenstore's handle, shared by its two
 * files: xenstore.c (connection, requests, transactions, domains) and
 * xenstore_watch.c (Xen's watch model: the reader thread, the event queue,
 * xs_fileno()'s pipe). Hidden by libxenstore.map.
 */
#ifndef UMX_COMPAT_XENSTORE_PRIV_H
#define UMX_COMPAT_XENSTORE_PRIV_H

#include <pthread.h>
#include <stdbool.h>

#include "umx/xs.h"

/* A queued watch event, in the shape xs_read_watch() returns it: one
 * allocation, {path, token, NULL} then the strings. */
struct xs_event {
	char **vec;
	struct xs_event *next;
};

struct xs_handle {
	umx_xs *xs;
	unsigned long flags;
	/* Held while moving events from umx_xs to w_head, so that two
	 * threads draining at once cannot swap two events. */
	pthread_mutex_t drain_lock;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t watch_cond;
	struct xs_event *w_head, *w_tail;
	bool broken;
	bool have_thread;
	pthread_t thread;
	int pipe[2]; /* xs_fileno(): readable while events are queued */
};

/* After every request that got @r: move the events umx_xs queued while the
 * request waited for its reply (the socket may not be readable again, so
 * the reader would miss them), and mark the handle broken when the
 * connection is. Returns @r. */
int watch_after_request(struct xs_handle *h, int r);

/* Stop the reader thread (if any) and free the queued events and pipe. */
void watch_stop(struct xs_handle *h);
/* In a forked child, where the reader thread does not exist. */
void watch_free(struct xs_handle *h);

#endif
