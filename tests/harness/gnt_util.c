/* SPDX-License-Identifier: MIT */
/* Definitions for gnt_util.h (declarations and contracts there). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "gnt_util.h"

/* Write all of @out, or (@out NULL) fill all of @in. */
static int gnt_xfer_all(int fd, const char *out, char *in, size_t n)
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

int gnt_write_all(int fd, const void *p, size_t n)
{
	return gnt_xfer_all(fd, p, NULL, n);
}

int gnt_read_all(int fd, void *p, size_t n)
{
	return gnt_xfer_all(fd, NULL, p, n);
}

int gnt_pipes_init(struct gnt_pipes *p)
{
	memset(p, 0, sizeof(*p));
	if (pipe(p->g2m) < 0 || pipe(p->m2g) < 0)
		return -1;
	return 0;
}

void gnt_pipes_close(struct gnt_pipes *p)
{
	close(p->g2m[0]);
	close(p->g2m[1]);
	close(p->m2g[0]);
	close(p->m2g[1]);
}

int gnt_ack(int fd, uint8_t v)
{
	return gnt_write_all(fd, &v, 1);
}

int gnt_wait(int fd, uint8_t *v)
{
	uint8_t x;
	if (gnt_read_all(fd, &x, 1) < 0)
		return -1;
	if (v)
		*v = x;
	return 0;
}

int gnt_open(umx_conn **c, umx_gnt **g)
{
	if (umx_conn_open_domain(c) < 0)
		return -1;
	if (umx_gnt_open(g) < 0)
		return -1;
	return 0;
}

void gnt_mapper_start(const struct gnt_pipes *p, umx_conn **c, umx_gnt **g,
                      struct gnt_refs_msg *msg)
{
	CHILD_CHECK(gnt_open(c, g) == 0);
	CHILD_CHECK(gnt_read_all(p->g2m[0], msg, sizeof(*msg)) == 0);
}

int gnt_done(umx_conn *c, umx_gnt *g)
{
	umx_gnt_close(g);
	umx_conn_close(c);
	return 0;
}

int gnt_send_refs(const struct gnt_pipes *p, const struct gnt_refs_msg *msg)
{
	if (gnt_write_all(p->g2m[1], msg, sizeof(*msg)) < 0 || gnt_wait(p->m2g[0], NULL) < 0)
		return -1;
	return 0;
}

void gnt_msa02_share_one(const struct gnt_pipes *p, umx_conn *c, umx_gnt *g, umx_gnt_share **s,
                         uint32_t *frame)
{
	struct gnt_refs_msg msg = {0};

	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, 0, s));
	strcpy(umx_gnt_share_addr(*s), "for you");
	*frame = umx_gnt_share_frame(*s, 0);
	msg.granter = umx_conn_domid(c);
	msg.count = 1;
	msg.refs[0] = umx_gnt_share_ref(*s, 0);
	CHILD_CHECK_OK(gnt_send_refs(p, &msg));
}

void gnt_msa02_busy_then_canaries(const struct gnt_pipes *p, umx_gnt *g, umx_gnt_share *busy,
                                  uint32_t busy_frame, umx_gnt_share **later, unsigned n)
{
	if (umx_gnt_end_access(g, busy) != -EBUSY)
		CHILD_FAIL("end-access succeeded while the page is mapped");
	CHILD_CHECK(umx_gnt_reap(g) == 1);
	for (unsigned i = 0; i < n; i++) {
		CHILD_CHECK_OK(
		        umx_gnt_share_pages(g, i % 2 ? p->peer : GNT_OTHER_PEER, 1, 0, &later[i]));
		if (umx_gnt_share_frame(later[i], 0) == busy_frame)
			CHILD_FAIL("a page the peer still maps was handed out again");
		memcpy(umx_gnt_share_addr(later[i]), "SECRET", 6);
	}
}

void gnt_msa02_check_kept(const char *va)
{
	for (size_t i = 0; i + 6 <= UMX_PAGE_SIZE; i++)
		if (memcmp(va + i, "SECRET", 6) == 0)
			CHILD_FAIL("a later share's canary shows in the kept mapping"); /* MSA02 */
	CHILD_CHECK(strcmp(va, "for you") == 0);
}

void gnt_run_mapper_granter(int (*mapper)(void *arg), int (*granter)(void *arg))
{
	struct gnt_pipes p;

	assert_int_equal(gnt_pipes_init(&p), 0);
	umx_test_two_domains("mapper", mapper, 0, "granter", granter, 0, &p, &p.peer);
	gnt_pipes_close(&p);
}

int gnt_raw_map(umx_conn *c, uint32_t granter, uint32_t n, const uint32_t *refs, uint32_t flags,
                int16_t *st, uint32_t *handles)
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

int gnt_raw_unmap(umx_conn *c, uint32_t n, const uint32_t *handles, int16_t *st)
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
