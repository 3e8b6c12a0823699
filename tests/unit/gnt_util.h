/* SPDX-License-Identifier: MIT */
/* Helpers shared by the grant tests: two domains talk over pipes created
 * before forking (refs one way, acknowledgements the other). */
#ifndef GNT_UTIL_H
#define GNT_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "umx/conn.h"
#include "umx/ctl.h"
#include "umx/msg.h"
#include "umx/grant.h"
#include "umx_test.h"

struct gnt_pipes {
	int g2m[2];    /* granter -> mapper */
	int m2g[2];    /* mapper -> granter */
	uint32_t peer; /* set by the parent before forking the second domain */
	uint32_t arg;  /* test specific */
};

struct gnt_refs_msg {
	uint32_t granter;
	uint32_t count;
	uint32_t flags;
	uint32_t refs[1024];
};

/* Write all of @out, or (@out NULL) fill all of @in: @n bytes, retrying
 * short transfers and EINTR. A closed pipe (0 bytes) is an error since
 * every exchange here expects the peer to still be there. */
static inline int gnt_xfer_all(int fd, const char *out, char *in, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = out ? write(fd, out + done, n - done) : read(fd, in + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static inline int gnt_write_all(int fd, const void *p, size_t n)
{
	return gnt_xfer_all(fd, p, NULL, n);
}

static inline int gnt_read_all(int fd, void *p, size_t n)
{
	return gnt_xfer_all(fd, NULL, p, n);
}

static inline int gnt_pipes_init(struct gnt_pipes *p)
{
	memset(p, 0, sizeof(*p));
	if (pipe(p->g2m) < 0 || pipe(p->m2g) < 0)
		return -1;
	return 0;
}

static inline void gnt_pipes_close(struct gnt_pipes *p)
{
	close(p->g2m[0]);
	close(p->g2m[1]);
	close(p->m2g[0]);
	close(p->m2g[1]);
}

static inline int gnt_ack(int fd, uint8_t v)
{
	return gnt_write_all(fd, &v, 1);
}

static inline int gnt_wait(int fd, uint8_t *v)
{
	uint8_t x;
	if (gnt_read_all(fd, &x, 1) < 0)
		return -1;
	if (v)
		*v = x;
	return 0;
}

/* Open the domain connection and its grant interface. */
static inline int gnt_open(umx_conn **c, umx_gnt **g)
{
	if (umx_conn_open_domain(c) < 0)
		return -1;
	if (umx_gnt_open(g) < 0)
		return -1;
	return 0;
}

/* Mapper side: open, then wait for the granter's refs. Returns 0, or the
 * mapper's exit code for the step that failed (10 open, 11 no refs). */
static inline int gnt_mapper_start(const struct gnt_pipes *p, umx_conn **c, umx_gnt **g,
                                   struct gnt_refs_msg *msg)
{
	if (gnt_open(c, g) < 0)
		return 10;
	if (gnt_read_all(p->g2m[0], msg, sizeof(*msg)) < 0)
		return 11;
	return 0;
}

/* Close what gnt_open opened; returns 0 so that a domain that got this far
 * ends with `return gnt_done(c, g);`. */
static inline int gnt_done(umx_conn *c, umx_gnt *g)
{
	umx_gnt_close(g);
	umx_conn_close(c);
	return 0;
}

/* Granter side: hand @msg to the mapper and wait for its acknowledgement,
 * so the granter checks the pages only once the mapper is done with them. */
static inline int gnt_send_refs(const struct gnt_pipes *p, const struct gnt_refs_msg *msg)
{
	if (gnt_write_all(p->g2m[1], msg, sizeof(*msg)) < 0 || gnt_wait(p->m2g[0], NULL) < 0)
		return -1;
	return 0;
}

/* The usual grant test: "mapper" first (its domid becomes the granter's
 * peer), then "granter", over fresh pipes; both must exit 0. */
static inline void gnt_run_mapper_granter(int (*mapper)(void *arg), int (*granter)(void *arg))
{
	struct gnt_pipes p;

	assert_int_equal(gnt_pipes_init(&p), 0);
	umx_test_two_domains("mapper", mapper, 0, "granter", granter, 0, &p, &p.peer);
	gnt_pipes_close(&p);
}

/* One raw MAP request (bypassing the library) of @n refs, all with @flags;
 * statuses to @st, handles to @handles (optional); received fds closed. */
static inline int gnt_raw_map(umx_conn *c, uint32_t granter, uint32_t n, const uint32_t *refs,
                              uint32_t flags, int16_t *st, uint32_t *handles)
{
	uint8_t req[8 + UMX_GNT_BATCH_MAX * sizeof(struct umx_ctl_gnt_map_op)];
	uint8_t rep[4 + UMX_GNT_BATCH_MAX * sizeof(struct umx_ctl_gnt_map_res)];
	int fds[UMX_MSG_MAX_FDS];
	unsigned nfds = 0, k;
	size_t rlen = 0;
	uint32_t i;
	int r;

	memcpy(req, &granter, 4);
	memcpy(req + 4, &n, 4);
	for (i = 0; i < n; i++) {
		struct umx_ctl_gnt_map_op op = {.ref = refs[i], .flags = flags};
		memcpy(req + 8 + i * sizeof(op), &op, sizeof(op));
	}
	r = umx_conn_call(c, UMX_CTL_GNT_MAP, req, 8 + n * sizeof(struct umx_ctl_gnt_map_op), rep,
	                  sizeof(rep), &rlen, fds, UMX_MSG_MAX_FDS, &nfds);
	for (k = 0; k < nfds; k++)
		close(fds[k]);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		struct umx_ctl_gnt_map_res res;
		memcpy(&res, rep + 4 + i * sizeof(res), sizeof(res));
		st[i] = res.status;
		if (handles)
			handles[i] = res.handle;
	}
	return (int)nfds;
}

/* One raw UNMAP of @n handles; statuses to @st. */
static inline int gnt_raw_unmap(umx_conn *c, uint32_t n, const uint32_t *handles, int16_t *st)
{
	uint8_t req[8 + UMX_GNT_BATCH_MAX * 4];
	uint8_t rep[4 + UMX_GNT_BATCH_MAX * 2];
	size_t rlen = 0;
	int r;

	memset(req, 0, 8);
	memcpy(req, &n, 4);
	memcpy(req + 8, handles, n * 4);
	r = umx_conn_call(c, UMX_CTL_GNT_UNMAP, req, 8 + n * 4, rep, sizeof(rep), &rlen, NULL, 0,
	                  NULL);
	if (r < 0)
		return r;
	memcpy(st, rep + 4, n * 2);
	return 0;
}

#endif
