/* SPDX-License-Identifier: MIT */
/* The daemon's epoll loop with deferred io release (see loop.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_BATCH 64

struct umxd_io {
	struct umxd_loop *loop;
	int fd;
	bool dead;
	umxd_io_fn fn;
	void *ctx;
	struct umxd_io *next_dead;
};

struct umxd_loop {
	int epfd;
	unsigned fd_limit;
	bool stop;
	int dispatching;
	struct umxd_io *dead;
};

int umxd_loop_new(struct umxd_loop **out)
{
	struct umxd_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int err = -errno;
		free(loop);
		return err;
	}
	{
		struct rlimit rl;
		/* RLIM_INFINITY or a huge limit: the kernel's nr_open still
		 * caps numbers far below UINT_MAX. */
		loop->fd_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < UINT32_MAX
		                         ? (unsigned)rl.rlim_cur
		                         : UINT32_MAX;
	}
	*out = loop;
	return 0;
}

static void reap_dead(struct umxd_loop *loop)
{
	while (loop->dead) {
		struct umxd_io *io = loop->dead;
		loop->dead = io->next_dead;
		free(io);
	}
}

void umxd_loop_free(struct umxd_loop *loop)
{
	if (!loop)
		return;
	reap_dead(loop);
	close(loop->epfd);
	free(loop);
}

struct umxd_io *umxd_io_add(struct umxd_loop *loop, int fd, uint32_t events, umxd_io_fn fn,
                            void *ctx)
{
	struct umxd_io *io = calloc(1, sizeof(*io));
	struct epoll_event ev = {.events = events};

	if (!io)
		return NULL;
	io->loop = loop;
	io->fd = fd;
	io->fn = fn;
	io->ctx = ctx;
	ev.data.ptr = io;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = errno;
		free(io);
		errno = err;
		return NULL;
	}
	return io;
}

int umxd_io_set_events(struct umxd_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	if (epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -errno;
	return 0;
}

void umxd_io_del(struct umxd_io *io)
{
	if (!io || io->dead)
		return;
	(void)epoll_ctl(io->loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->dead = true;
	if (io->loop->dispatching) {
		io->next_dead = io->loop->dead;
		io->loop->dead = io;
	} else {
		free(io);
	}
}

int umxd_io_fd(const struct umxd_io *io)
{
	return io->fd;
}

int umxd_loop_fd_check(const struct umxd_loop *loop, int fd, unsigned reserve)
{
	if (fd < 0 || reserve >= loop->fd_limit)
		return -EMFILE;
	return (unsigned)fd < loop->fd_limit - reserve ? 0 : -EMFILE;
}

unsigned umxd_loop_fd_limit(const struct umxd_loop *loop)
{
	return loop->fd_limit;
}

int umxd_loop_once(struct umxd_loop *loop, int timeout_ms)
{
	struct epoll_event evs[LOOP_BATCH];
	int n = epoll_wait(loop->epfd, evs, LOOP_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->dispatching++;
	for (int i = 0; i < n; i++) {
		struct umxd_io *io = evs[i].data.ptr;
		if (!io->dead)
			io->fn(io, evs[i].events, io->ctx);
	}
	loop->dispatching--;
	if (!loop->dispatching)
		reap_dead(loop);
	return n;
}

int umxd_loop_run(struct umxd_loop *loop)
{
	while (!loop->stop) {
		int r = umxd_loop_once(loop, -1);
		if (r < 0)
			return r;
	}
	return 0;
}

void umxd_loop_stop(struct umxd_loop *loop)
{
	loop->stop = true;
}

bool umxd_loop_stopping(const struct umxd_loop *loop)
{
	return loop->stop;
}
