/* SPDX-License-Identifier: MIT */
/* A mapper of read-only grants attacks the pages through every descriptor
 * it can get: the one umxd sends (read-only), a reopen of it read-write
 * through /proc/self/fd (after chmod, too), write(), fallocate(),
 * ftruncate(), shared writable mmap(), mprotect() of its read-only mapping,
 * /proc/self/mem, and the descriptor of a read-write grant of the same
 * granter, written all over. The granter's read-only pages stay exactly as
 * it wrote them; read-only and read-write grants come from different
 * regions; a hand-written entry whose mode differs from its region's is
 * refused. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/grant_table.h>

#include "gnt_util.h"
#include "umx_test.h"

#define RO_TEXT "read-only: the granter's words"
#define RW_TEXT "read-write"

enum {
	R_RO,
	R_RO2,
	R_RW,
	R_RO_ENTRY_IN_RW_REGION,
	R_RW_ENTRY_IN_RO_REGION,
};
#define FORGED0 2000u

/* One MAP of @ref keeping the descriptor umxd attaches (-1 when it sent
 * none: we hold the region's already): 0 and *fd, *off, *region, *handle,
 * or the GNTST_* status. */
static int raw_map_fd(umx_conn *c, uint32_t granter, uint32_t ref, uint32_t flags, int *fd,
                      uint64_t *off, uint64_t *region, uint32_t *handle)
{
	uint8_t req[8 + sizeof(struct umx_ctl_gnt_map_op)];
	uint8_t rep[4 + sizeof(struct umx_ctl_gnt_map_res)];
	struct umx_ctl_gnt_map_op op = {.ref = ref, .flags = flags};
	struct umx_ctl_gnt_map_res res;
	uint32_t n = 1;
	unsigned nfds = 0;
	size_t rlen = 0;
	int fds[UMX_MSG_MAX_FDS];

	memcpy(req, &granter, 4);
	memcpy(req + 4, &n, 4);
	memcpy(req + 8, &op, sizeof(op));
	if (umx_conn_call(c, UMX_CTL_GNT_MAP, req, sizeof(req), rep, sizeof(rep), &rlen, fds,
	                  UMX_MSG_MAX_FDS, &nfds) < 0 ||
	    rlen != sizeof(rep))
		return GNTST_general_error;
	memcpy(&res, rep + 4, sizeof(res));
	if (res.status != GNTST_okay)
		return res.status;
	if (nfds > 1 || (nfds == 1) != (res.fd_index == 0))
		return GNTST_general_error;
	*fd = nfds ? fds[0] : -1;
	*off = res.offset;
	*region = res.region;
	*handle = res.handle;
	return 0;
}

/* Every way to write through @fd at @off fails, and the page still reads
 * RO_TEXT through it. 0, or the number of the way that worked. */
static int cannot_write(int fd, uint64_t off)
{
	bool rdwr = (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR;
	char buf[sizeof(RO_TEXT)];
	void *p;

	/* EBADF for a read-only descriptor; the seal's EPERM for another. */
	if (pwrite(fd, "X", 1, (off_t)off) >= 0 || errno != (rdwr ? EPERM : EBADF))
		return 1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (p != MAP_FAILED)
		return 2;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, 4096) == 0)
		return 3;
	if (ftruncate(fd, 0) == 0)
		return 4;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, (off_t)off);
	if (p == MAP_FAILED)
		return 5;
	if (mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0) {
		munmap(p, 4096);
		return 6;
	}
	munmap(p, 4096);
	if (pread(fd, buf, sizeof(buf), (off_t)off) != (ssize_t)sizeof(buf) ||
	    memcmp(buf, RO_TEXT, sizeof(buf)))
		return 7;
	return 0;
}

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	uint64_t off, off2, region, region2, rw_off, rw_region;
	uint32_t h, h2, rw_h;
	int fd, fd2, rw_fd, rfd, memfd, rc;
	char path[64];
	struct stat sb;
	umx_conn *c;
	umx_gnt *g;
	void *va;

	gnt_mapper_start(p, &c, &g, &msg);
	/* Read-only grants can only be mapped read-only, never with a byte to
	 * clear on unmap (a write into the page). */
	if (raw_map_fd(c, msg.granter, msg.refs[R_RO], 0, &fd, &off, &region, &h) !=
	    GNTST_permission_denied)
		return 12;
	if (raw_map_fd(c, msg.granter, msg.refs[R_RO], UMX_GNT_MAP_READONLY | UMX_GNT_NOTIFY_BYTE,
	               &fd, &off, &region, &h) != GNTST_general_error)
		return 13;
	if (raw_map_fd(c, msg.granter, msg.refs[R_RO], UMX_GNT_MAP_READONLY, &fd, &off, &region,
	               &h) != 0)
		return 14;
	if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY)
		return 15;
	/* Sealed for good: no further write ever, no removing the seal. */
	if ((fcntl(fd, F_GET_SEALS) & (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL)) !=
	            (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0 || fstat(fd, &sb) ||
	    (sb.st_mode & 0777) != 0400)
		return 16;
	if ((rc = cannot_write(fd, off)) != 0)
		return 20 + rc;
	/* Reopen read-write: refused by the mode (unless we may override it,
	 * as root can); whatever we get cannot write. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDWR);
	if (rfd < 0 && errno != EACCES)
		return 30;
	if (rfd >= 0 && (rc = cannot_write(rfd, off)) != 0)
		return 30 + rc;
	if (rfd >= 0)
		close(rfd);
	/* The mode is ours to change (same uid); the seal is not. */
	(void)fchmod(fd, 0600);
	rfd = open(path, O_RDWR);
	if (rfd < 0 || (rc = cannot_write(rfd, off)) != 0)
		return 40 + (rfd < 0 ? 0 : rc);
	close(rfd);
	/* Our own read-only mapping, written through /proc/self/mem. */
	va = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, (off_t)off);
	memfd = open("/proc/self/mem", O_RDWR);
	if (va == MAP_FAILED || memfd < 0)
		return 50;
	if (pwrite(memfd, "X", 1, (off_t)(uintptr_t)va) == 1)
		return 51;
	close(memfd);
	if (memcmp(va, RO_TEXT, sizeof(RO_TEXT)))
		return 52;
	munmap(va, 4096);
	/* A second read-only page comes from the same read-only region (whose
	 * descriptor we hold already). */
	if (raw_map_fd(c, msg.granter, msg.refs[R_RO2], UMX_GNT_MAP_READONLY, &fd2, &off2, &region2,
	               &h2) != 0 ||
	    fd2 != -1 || region2 != region || off2 == off)
		return 53;
	/* The read-write grant: another region, written all over. */
	if (raw_map_fd(c, msg.granter, msg.refs[R_RW], 0, &rw_fd, &rw_off, &rw_region, &rw_h) !=
	            0 ||
	    rw_fd < 0)
		return 54;
	if (rw_region == region)
		return 54;
	if (fstat(rw_fd, &sb) || sb.st_size < 4096)
		return 55;
	for (off_t o = 0; o + 4096 <= sb.st_size; o += 4096) {
		char page[4096];
		memset(page, 'X', sizeof(page));
		if (o == (off_t)rw_off)
			memcpy(page, RW_TEXT "!", sizeof(RW_TEXT "!"));
		if (pwrite(rw_fd, page, sizeof(page), o) != (ssize_t)sizeof(page))
			return 56;
	}
	/* Hand-written entries whose mode is not their region's. */
	if (raw_map_fd(c, msg.granter, msg.refs[R_RO_ENTRY_IN_RW_REGION], UMX_GNT_MAP_READONLY,
	               &fd2, &off2, &region2, &h2) != GNTST_general_error)
		return 57;
	if (raw_map_fd(c, msg.granter, msg.refs[R_RW_ENTRY_IN_RO_REGION], 0, &fd2, &off2, &region2,
	               &h2) != GNTST_general_error)
		return 58;
	if (raw_map_fd(c, msg.granter, msg.refs[R_RW_ENTRY_IN_RO_REGION], UMX_GNT_MAP_READONLY,
	               &fd2, &off2, &region2, &h2) != GNTST_general_error)
		return 59;
	if (gnt_ack(p->m2g[1], 1) < 0)
		return 60;
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_gnt_share *ro, *ro2, *rw;
	grant_entry_v1_t *table;
	uint32_t frames;
	umx_conn *c;
	umx_gnt *g;
	int tfd;

	if (gnt_open(&c, &g) < 0)
		return 70;
	/* An honest granter: read-only, then read-write, to the same peer. */
	if (umx_gnt_share_pages(g, p->peer, 1, UMX_GNT_SHARE_READONLY, &ro) < 0 ||
	    umx_gnt_share_pages(g, p->peer, 1, 0, &rw) < 0 ||
	    umx_gnt_share_pages(g, p->peer, 1, UMX_GNT_SHARE_READONLY, &ro2) < 0)
		return 71;
	memcpy(umx_gnt_share_addr(ro), RO_TEXT, sizeof(RO_TEXT));
	memcpy(umx_gnt_share_addr(ro2), RO_TEXT, sizeof(RO_TEXT));
	memcpy(umx_gnt_share_addr(rw), RW_TEXT, sizeof(RW_TEXT));
	msg.refs[R_RO] = umx_gnt_share_ref(ro, 0);
	msg.refs[R_RO2] = umx_gnt_share_ref(ro2, 0);
	msg.refs[R_RW] = umx_gnt_share_ref(rw, 0);
	/* A read-only entry naming the read-write page, a read-write entry
	 * naming the read-only page: one peer, one mode per region. */
	tfd = umx_conn_grant_table_fd(c, &frames);
	table = mmap(NULL, frames * 4096u, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
	if (table == MAP_FAILED)
		return 72;
	table[FORGED0].frame = umx_gnt_share_frame(rw, 0);
	table[FORGED0].domid = (domid_t)p->peer;
	__atomic_store_n(&table[FORGED0].flags, GTF_permit_access | GTF_readonly, __ATOMIC_RELEASE);
	table[FORGED0 + 1].frame = umx_gnt_share_frame(ro, 0);
	table[FORGED0 + 1].domid = (domid_t)p->peer;
	__atomic_store_n(&table[FORGED0 + 1].flags, GTF_permit_access, __ATOMIC_RELEASE);
	msg.refs[R_RO_ENTRY_IN_RW_REGION] = FORGED0;
	msg.refs[R_RW_ENTRY_IN_RO_REGION] = FORGED0 + 1;
	msg.granter = umx_conn_domid(c);
	msg.count = R_RW_ENTRY_IN_RO_REGION + 1;
	if (gnt_send_refs(p, &msg) < 0)
		return 73;
	/* The read-only pages are as we wrote them; the read-write one took
	 * the mapper's write. */
	if (memcmp(umx_gnt_share_addr(ro), RO_TEXT, sizeof(RO_TEXT)) ||
	    memcmp(umx_gnt_share_addr(ro2), RO_TEXT, sizeof(RO_TEXT)))
		return 74;
	if (memcmp(umx_gnt_share_addr(rw), RW_TEXT "!", sizeof(RW_TEXT "!")))
		return 75;
	return gnt_done(c, g);
}

static void test_readonly_grant_unwritable(void **state)
{
	(void)state;
	gnt_run_mapper_granter(mapper, granter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_readonly_grant_unwritable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
