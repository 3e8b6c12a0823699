/* SPDX-License-Identifier: MIT */
/*
 * Grant tables (Xen v1 semantics). Each domain's table is a memfd of
 * `frames` pages of grant_entry_v1 that the domain maps read-write and
 * writes directly, as a Xen guest does; umxd maps it too and treats it as
 * hostile memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "umx/log.h"
#include "umxd.h"

struct umxd_gnt {
	int table_fd;
	void *table;
	uint32_t frames;
};

int umxd_gnt_domain_init(struct umxd_domain *dom, uint32_t frames)
{
	struct umxd_gnt *g = calloc(1, sizeof(*g));
	size_t len = (size_t)frames * UMXD_PAGE_SIZE;

	if (!g)
		return -ENOMEM;
	g->frames = frames;
	g->table_fd = memfd_create("umx-grant-table", MFD_CLOEXEC);
	if (g->table_fd < 0 || ftruncate(g->table_fd, (off_t)len) < 0)
		goto err;
	g->table = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, g->table_fd, 0);
	if (g->table == MAP_FAILED) {
		g->table = NULL;
		goto err;
	}
	dom->gnt = g;
	return 0;
err:
	if (g->table_fd >= 0)
		close(g->table_fd);
	free(g);
	return -errno;
}

int umxd_gnt_table_fd(const struct umxd_domain *dom)
{
	return dom->gnt ? dom->gnt->table_fd : -1;
}

uint32_t umxd_gnt_table_frames(const struct umxd_domain *dom)
{
	return dom->gnt ? dom->gnt->frames : 0;
}

void umxd_gnt_domain_release(struct umxd_domain *dom)
{
	(void)dom;
}

void umxd_gnt_domain_free(struct umxd_domain *dom)
{
	struct umxd_gnt *g = dom->gnt;
	if (!g)
		return;
	munmap(g->table, (size_t)g->frames * UMXD_PAGE_SIZE);
	close(g->table_fd);
	free(g);
	dom->gnt = NULL;
}

void umxd_gnt_stats(const struct umxd_domain *dom, uint32_t *grants_active,
		    uint32_t *pages_mapped, uint32_t *regions)
{
	(void)dom;
	*grants_active = *pages_mapped = *regions = 0;
}

#define NOT_YET(fn)                                                                                \
	int fn(struct umxd_conn *c, struct umx_msg *m)                                             \
	{                                                                                          \
		return umxd_reply(c, m, -ENOSYS, NULL, 0, NULL, 0);                                \
	}
NOT_YET(umxd_h_gnt_region_alloc)
NOT_YET(umxd_h_gnt_region_free)
NOT_YET(umxd_h_gnt_map)
NOT_YET(umxd_h_gnt_unmap)
NOT_YET(umxd_h_gnt_copy)
NOT_YET(umxd_h_gnt_share_notify)
NOT_YET(umxd_h_gnt_unshare)
