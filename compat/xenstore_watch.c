/* SPDX-License-Identifier: MIT */
/*
 * Xen's watch model for the drop-in libxenstore, on umx_xs's events.
 *
 * The first xs_watch/xs_read_watch/xs_check_watch/xs_fileno starts a
 * reader thread (all signals blocked) that waits for the socket to become
 * readable and moves events from umx_xs into this handle's queue, so events
 * arrive while the caller sleeps. Events that umx_xs queued while a request
 * waited for its reply are moved after each request (watch_after_request).
 * xs_fileno() is a pipe that is readable exactly while events are queued —
 * and, so that a poller does not sleep forever, once the connection is
 * broken (xs_read_watch then fails).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>
#include <xenstore.h>

#include "compat.h"
#include "xenstore_priv.h"

static void pipe_mark(struct xs_handle *h)
{
	char c = 0;

	if (h->pipe[1] >= 0)
		(void)!write(h->pipe[1], &c, 1);
}

static void pipe_clear(struct xs_handle *h)
{
	char c;

	if (h->pipe[0] >= 0)
		(void)!read(h->pipe[0], &c, 1);
}

/* {path, token, NULL} and the strings, in one allocation (the caller frees
 * it once, as Xen's xs_read_watch() result). */
static char **event_vec(const char *path, const char *token)
{
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	char **v = malloc(3 * sizeof(char *) + pl + tl);

	if (!v)
		return NULL;
	v[XS_WATCH_PATH] = (char *)(v + 3);
	v[XS_WATCH_TOKEN] = v[XS_WATCH_PATH] + pl;
	v[2] = NULL;
	memcpy(v[XS_WATCH_PATH], path, pl);
	memcpy(v[XS_WATCH_TOKEN], token, tl);
	return v;
}

/* Caller holds h->lock. */
static void queue_event(struct xs_handle *h, struct xs_event *e)
{
	e->next = NULL;
	if (h->w_tail) {
		h->w_tail->next = e;
	} else {
		h->w_head = e;
		if (!h->broken)
			pipe_mark(h); /* a broken handle's pipe is already readable */
	}
	h->w_tail = e;
	pthread_cond_broadcast(&h->watch_cond);
}

/* Caller holds h->lock. */
static void mark_broken(struct xs_handle *h)
{
	if (!h->broken && !h->w_head)
		pipe_mark(h);
	h->broken = true;
	pthread_cond_broadcast(&h->watch_cond);
}

static void set_broken(struct xs_handle *h)
{
	pthread_mutex_lock(&h->lock);
	mark_broken(h);
	pthread_mutex_unlock(&h->lock);
}

/* Move every event umx_xs has (queued, or readable now) into our queue.
 * Returns 0, or -errno once the connection is broken. */
static int drain_locked(struct xs_handle *h)
{
	for (;;) {
		char *path, *token;
		struct xs_event *e;
		int r = umx_xs_read_watch(h->xs, &path, &token, 0);

		if (r == -ETIMEDOUT)
			return 0;
		if (r < 0) {
			set_broken(h);
			return r;
		}
		e = malloc(sizeof(*e));
		if (e && !(e->vec = event_vec(path, token))) {
			free(e);
			e = NULL;
		}
		free(path);
		free(token);
		pthread_mutex_lock(&h->lock);
		if (e)
			queue_event(h, e);
		else
			mark_broken(h); /* an event was lost: as Xen, no recovery */
		pthread_mutex_unlock(&h->lock);
		if (!e)
			return -ENOMEM;
	}
}

static int drain(struct xs_handle *h)
{
	int r;

	pthread_mutex_lock(&h->drain_lock);
	r = drain_locked(h);
	pthread_mutex_unlock(&h->drain_lock);
	return r;
}

static void *reader(void *arg)
{
	struct xs_handle *h = arg;
	struct pollfd p = {.fd = umx_xs_fd(h->xs), .events = POLLIN};

	for (;;) {
		/* Readable may also be a reply that a request is about to read
		 * under umx_xs's lock; drain() then finds nothing and we wait
		 * again. */
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if (drain(h) < 0)
			return NULL;
	}
	set_broken(h);
	return NULL;
}

static int start_reader(struct xs_handle *h)
{
	sigset_t all, old;
	int r = 0;

	pthread_mutex_lock(&h->lock);
	if (!h->have_thread) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		r = -pthread_create(&h->thread, NULL, reader, h);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r == 0)
			h->have_thread = true;
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

int watch_after_request(struct xs_handle *h, int r)
{
	bool watching;

	pthread_mutex_lock(&h->lock);
	watching = h->have_thread;
	pthread_mutex_unlock(&h->lock);
	if (watching)
		(void)drain(h);
	if (r == -EPIPE || r == -ECONNRESET)
		set_broken(h);
	return r;
}

void watch_free(struct xs_handle *h)
{
	while (h->w_head) {
		struct xs_event *e = h->w_head;

		h->w_head = e->next;
		free(e->vec);
		free(e);
	}
	h->w_tail = NULL;
	if (h->pipe[0] >= 0) {
		close(h->pipe[0]);
		close(h->pipe[1]);
		h->pipe[0] = h->pipe[1] = -1;
	}
}

void watch_stop(struct xs_handle *h)
{
	if (h->have_thread) {
		/* The reader sees end of file, marks the handle broken, exits. */
		shutdown(umx_xs_fd(h->xs), SHUT_RDWR);
		pthread_join(h->thread, NULL);
		h->have_thread = false;
	}
	watch_free(h);
}

/* ---- Xen's watch calls ------------------------------------------------- */

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
	int r = start_reader(h);

	if (r == 0)
		r = watch_after_request(h, umx_xs_watch(h->xs, path, token));
	return r < 0 ? (compat_ret(r), false) : true;
}

int xs_fileno(struct xs_handle *h)
{
	int r;

	if ((r = start_reader(h)) < 0)
		return compat_ret(r);
	pthread_mutex_lock(&h->lock);
	if (h->pipe[0] < 0) {
		if (pipe2(h->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
			r = -errno;
			h->pipe[0] = h->pipe[1] = -1;
		} else if (h->w_head || h->broken) {
			pipe_mark(h);
		}
	}
	if (r == 0)
		r = h->pipe[0];
	pthread_mutex_unlock(&h->lock);
	return compat_ret(r);
}

/* Take the first event (caller holds h->lock; one is queued). */
static char **take_event(struct xs_handle *h, unsigned *num)
{
	struct xs_event *e = h->w_head;
	char **v = e->vec;

	h->w_head = e->next;
	if (!h->w_head) {
		h->w_tail = NULL;
		if (!h->broken)
			pipe_clear(h);
	}
	free(e);
	*num = 2;
	return v;
}

char **xs_read_watch(struct xs_handle *h, unsigned int *num)
{
	char **v = NULL;
	int r = start_reader(h);

	if (r < 0)
		return compat_ret(r), NULL;
	pthread_mutex_lock(&h->lock);
	while (!h->w_head && !h->broken)
		pthread_cond_wait(&h->watch_cond, &h->lock);
	if (h->w_head)
		v = take_event(h, num);
	else
		errno = EPIPE;
	pthread_mutex_unlock(&h->lock);
	return v;
}

char **xs_check_watch(struct xs_handle *h)
{
	char **v = NULL;
	unsigned num;
	int r = start_reader(h);

	if (r < 0)
		return compat_ret(r), NULL;
	pthread_mutex_lock(&h->lock);
	if (h->w_head)
		v = take_event(h, &num);
	else
		errno = h->broken ? EPIPE : EAGAIN;
	pthread_mutex_unlock(&h->lock);
	return v;
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
	struct xs_event **pp;
	int r = watch_after_request(h, umx_xs_unwatch(h->xs, path, token));

	if (r < 0)
		return compat_ret(r), false;
	if (!(h->flags & XS_UNWATCH_FILTER))
		return true;
	/* Drop queued events of this watch (token, path at or below). */
	pthread_mutex_lock(&h->lock);
	for (pp = &h->w_head; *pp;) {
		struct xs_event *e = *pp;

		if (!strcmp(e->vec[XS_WATCH_TOKEN], token) &&
		    xs_path_is_subpath(path, e->vec[XS_WATCH_PATH])) {
			*pp = e->next;
			free(e->vec);
			free(e);
			continue;
		}
		pp = &e->next;
	}
	h->w_tail = NULL;
	for (struct xs_event *e = h->w_head; e; e = e->next)
		h->w_tail = e;
	if (!h->w_head && !h->broken)
		pipe_clear(h);
	pthread_mutex_unlock(&h->lock);
	return true;
}
