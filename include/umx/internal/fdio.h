/* SPDX-License-Identifier: MIT */
/*
 * internal/fdio.h — whole-buffer reads and writes on a blocking descriptor
 * (pipes, sockets, files). Header-only for the same reason as clock.h:
 * programs that do not link libumx (the libxenvchan peers, the benches'
 * baselines) use them too, and libumx's ABI gains nothing. Not installed.
 */
#ifndef UMX_FDIO_H
#define UMX_FDIO_H

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

/* Write all @n bytes of @p, across short writes and EINTR. Returns 0, or
 * -errno (-EPIPE when write() made no progress). */
static inline int umx_fd_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EPIPE;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read exactly @n bytes into @p, across short reads and EINTR. Returns 0,
 * -errno, or -EPIPE when the stream ends first (a short stream is an
 * error, never a success). */
static inline int umx_fd_read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

#endif /* UMX_FDIO_H */
