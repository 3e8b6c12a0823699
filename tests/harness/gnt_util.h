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
#include "umx/internal/ctl.h"
#include "umx/internal/msg.h"
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

/* Write or read exactly @n bytes, retrying short transfers and EINTR; a
 * closed pipe is an error, since every exchange here expects the peer to
 * still be there. 0 or -1. */
int gnt_write_all(int fd, const void *p, size_t n);
int gnt_read_all(int fd, void *p, size_t n);

/* The two pipes (0 or -1), and closing all four ends. */
int gnt_pipes_init(struct gnt_pipes *p);
void gnt_pipes_close(struct gnt_pipes *p);

/* One acknowledgement byte each way: send @v; wait for one (to *@v if
 * not NULL). 0 or -1. */
int gnt_ack(int fd, uint8_t v);
int gnt_wait(int fd, uint8_t *v);

/* Open the domain connection and its grant interface. */
int gnt_open(umx_conn **c, umx_gnt **g);

/* Mapper side (a child): open, then wait for the granter's refs; a
 * failed step fails the child (CHILD_CHECK). */
void gnt_mapper_start(const struct gnt_pipes *p, umx_conn **c, umx_gnt **g,
                      struct gnt_refs_msg *msg);

/* Close what gnt_open opened; returns 0 so that a domain that got this far
 * ends with `return gnt_done(c, g);`. */
int gnt_done(umx_conn *c, umx_gnt *g);

/* Granter side: hand @msg to the mapper and wait for its acknowledgement,
 * so the granter checks the pages only once the mapper is done with them. */
int gnt_send_refs(const struct gnt_pipes *p, const struct gnt_refs_msg *msg);

/* The usual grant test: "mapper" first (its domid becomes the granter's
 * peer), then "granter", over fresh pipes; both must exit 0. */
void gnt_run_mapper_granter(int (*mapper)(void *arg), int (*granter)(void *arg));

/* One raw MAP request (bypassing the library) of @n refs, all with @flags;
 * statuses to @st, handles to @handles (optional); received fds closed. */
int gnt_raw_map(umx_conn *c, uint32_t granter, uint32_t n, const uint32_t *refs, uint32_t flags,
                int16_t *st, uint32_t *handles);

/* One raw UNMAP of @n handles; statuses to @st. */
int gnt_raw_unmap(umx_conn *c, uint32_t n, const uint32_t *handles, int16_t *st);

/* The MSA02 pattern (tests/unit/gnt_msa02_*, gnt_one_ref_mapped_twice_*):
 * share one page reading "for you" with the mapper and hand it its ref
 * (returns once the mapper acknowledged); the page's frame to *@frame. */
void gnt_msa02_share_one(const struct gnt_pipes *p, umx_conn *c, umx_gnt *g, umx_gnt_share **s,
                         uint32_t *frame);
/* With the busy page still mapped by the peer: end-access is -EBUSY and
 * waits in the deferred list; then @n new one-page shares, alternately for
 * the peer and for a domid no domain holds, are never @busy_frame and
 * carry a "SECRET" canary. */
void gnt_msa02_busy_then_canaries(const struct gnt_pipes *p, umx_gnt *g, umx_gnt_share *busy,
                                  uint32_t busy_frame, umx_gnt_share **later, unsigned n);
/* Mapper side: a kept mapping shows no later share's canary and still
 * reads "for you". */
void gnt_msa02_check_kept(const char *va);

/* A domid regions may be allocated for although no domain holds it. */
#define GNT_OTHER_PEER 999u

#endif
