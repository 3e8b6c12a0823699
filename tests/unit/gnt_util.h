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
#include "umx/grant.h"

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

static inline int gnt_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t r = write(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static inline int gnt_read_all(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
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
	if (umx_gnt_open(*c, g) < 0)
		return -1;
	return 0;
}

#endif
