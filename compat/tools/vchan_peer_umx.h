/* SPDX-License-Identifier: MIT */
/*
 * vchan_peer_umx.h — the libxenvchan and libxenstore calls vchan_peer.c
 * makes, mapped onto umx's own vchan and store (umx_vchan_*, umx_xs_*), so
 * that the same traffic pattern (message sizes, content check, packet
 * boundaries) runs with umx's vchan on one end and Xen's libxenvchan on the
 * other. Built as umx_vchan_peer, linked against libumx (not the drop-ins).
 *
 * libxenvchan's conventions are kept: calls return -1 with errno set on
 * error, and a non-blocking read/write/send/recv that can do nothing
 * returns 0 (umx's -EAGAIN). A broken vchan (-EPROTO, a protocol violation
 * by the peer) is always a failure of the test, so is_open() exits 1 on it
 * rather than reporting it as closed.
 */
#ifndef VCHAN_PEER_UMX_H
#define VCHAN_PEER_UMX_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "umx/vchan.h"
#include "umx/xs.h"

#define libxenvchan umx_vchan
#define xs_handle   umx_xs
#define XBT_NULL    UMX_XS_NO_TX

static inline int vp_ret(int r)
{
	if (r == -EAGAIN)
		return 0;
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

static inline void vp_set_blocking(umx_vchan *v, int blocking)
{
	umx_vchan_set_blocking(v, blocking != 0);
}

static inline int libxenvchan_fd_for_select(umx_vchan *v)
{
	return umx_vchan_fd(v);
}

static inline umx_vchan *libxenvchan_server_init(void *logger, int domain, const char *path,
                                                 size_t left_min, size_t right_min)
{
	umx_vchan *v = NULL;
	int r = umx_vchan_server_open((uint32_t)domain, path, left_min, right_min, &v);

	(void)logger;
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return v;
}

static inline umx_vchan *libxenvchan_client_init(void *logger, int domain, const char *path)
{
	umx_vchan *v = NULL;
	/* wait_ms 0: fail at once like libxenvchan; the caller retries. */
	int r = umx_vchan_client_open((uint32_t)domain, path, 0, &v);

	(void)logger;
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return v;
}

static inline void libxenvchan_close(umx_vchan *v)
{
	umx_vchan_close(v);
}

static inline int libxenvchan_is_open(umx_vchan *v)
{
	int r = umx_vchan_is_open(v);

	if (r < 0) {
		fprintf(stderr, "umx_vchan_peer: vchan broken: %s\n",
		        umx_vchan_broken(v) ? umx_vchan_broken(v) : "?");
		exit(1);
	}
	return r;
}

static inline int libxenvchan_wait(umx_vchan *v)
{
	return vp_ret(umx_vchan_wait(v, -1));
}

static inline int libxenvchan_read(umx_vchan *v, void *buf, size_t len)
{
	return vp_ret(umx_vchan_read(v, buf, len));
}

static inline int libxenvchan_write(umx_vchan *v, const void *buf, size_t len)
{
	return vp_ret(umx_vchan_write(v, buf, len));
}

static inline int libxenvchan_recv(umx_vchan *v, void *buf, size_t len)
{
	return vp_ret(umx_vchan_recv(v, buf, len));
}

static inline int libxenvchan_send(umx_vchan *v, const void *buf, size_t len)
{
	return vp_ret(umx_vchan_send(v, buf, len));
}

static inline int libxenvchan_data_ready(umx_vchan *v)
{
	return vp_ret(umx_vchan_data_ready(v));
}

static inline int libxenvchan_buffer_space(umx_vchan *v)
{
	return vp_ret(umx_vchan_buffer_space(v));
}

/* Just enough of libxenstore for the own-domid lookup. */
static inline umx_xs *xs_open(unsigned long flags)
{
	umx_xs *xs = NULL;
	int r = umx_xs_open(&xs);

	(void)flags;
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return xs;
}

static inline char *xs_read(umx_xs *xs, uint32_t tx, const char *path, unsigned int *len)
{
	char *val = NULL;
	size_t n = 0;
	int r = umx_xs_read(xs, tx, path, &val, &n);

	if (r < 0) {
		errno = -r;
		return NULL;
	}
	if (len)
		*len = (unsigned int)n;
	return val;
}

static inline void xs_close(umx_xs *xs)
{
	umx_xs_close(xs);
}

#endif /* VCHAN_PEER_UMX_H */
