/* SPDX-License-Identifier: MIT */
/*
 * Drop-in libxenforeignmemory.so.1 (Xen 4.17 ABI).
 *
 * Xen's library maps another domain's frames by number through
 * /dev/xen/privcmd. umx has no such thing: a domain's memory is shared only
 * through grants, page by page, with the peer it names (umx/grant.h). So
 * every map fails with ENOSYS (and says why once on stderr) while opening,
 * closing and restricting a handle work, because programs open a handle
 * unconditionally: xenconsoled opens one at start and maps the console ring
 * through it only when the grant-table map of GNTTAB_RESERVED_CONSOLE has
 * failed, so on umx the grant path is the one that serves.
 */
#include <errno.h>
#include <stdlib.h>

#include <xenforeignmemory.h>

#include "compat.h"

#define WHY_NO_FOREIGN \
	"a domain's memory is shared only through grants, never mapped by frame number"

struct xenforeignmemory_handle {
	domid_t restrict_domid; /* xenforeignmemory_restrict(); DOMID_INVALID when not */
};

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger,
                                               unsigned open_flags)
{
	xenforeignmemory_handle *h;

	(void)logger;
	(void)open_flags; /* XENFOREIGNMEMORY_OPENFLAG_*: none defined in 4.17 */
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL; /* errno = ENOMEM */
	h->restrict_domid = DOMID_INVALID;
	return h;
}

int xenforeignmemory_close(xenforeignmemory_handle *fmem)
{
	free(fmem);
	return 0;
}

void *xenforeignmemory_map2(xenforeignmemory_handle *fmem, uint32_t dom, void *addr, int prot,
                            int flags, size_t pages, const xen_pfn_t arr[], int err[])
{
	(void)dom;
	(void)addr;
	(void)prot;
	(void)flags;
	(void)arr;
	if (!fmem || !pages) {
		errno = EINVAL;
		return NULL;
	}
	/* Xen reports per page in err[] when given one; say the same there,
	 * so a caller that looks only at err[] is not misled. */
	if (err)
		for (size_t i = 0; i < pages; i++)
			err[i] = -ENOSYS;
	compat_unsupported("xenforeignmemory_map", WHY_NO_FOREIGN);
	return NULL;
}

void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom, int prot, size_t pages,
                           const xen_pfn_t arr[], int err[])
{
	return xenforeignmemory_map2(fmem, dom, NULL, prot, 0, pages, arr, err);
}

int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr, size_t pages)
{
	(void)fmem;
	(void)addr;
	(void)pages;
	/* Nothing was ever mapped through this library; munmap() of a caller's
	 * address here could only destroy a mapping somebody else made. */
	errno = EINVAL;
	return -1;
}

int xenforeignmemory_restrict(xenforeignmemory_handle *fmem, domid_t domid)
{
	/* Linux's privcmd: once restricted, to that domain only. Trivially kept
	 * here (no map succeeds), but the rules of the call are the same. */
	if (!fmem || domid >= DOMID_FIRST_RESERVED) {
		errno = EINVAL;
		return -1;
	}
	if (fmem->restrict_domid != DOMID_INVALID && fmem->restrict_domid != domid) {
		errno = EPERM;
		return -1;
	}
	fmem->restrict_domid = domid;
	return 0;
}

xenforeignmemory_resource_handle *
xenforeignmemory_map_resource(xenforeignmemory_handle *fmem, domid_t domid, unsigned int type,
                              unsigned int id, unsigned long frame, unsigned long nr_frames,
                              void **paddr, int prot, int flags)
{
	(void)fmem;
	(void)domid;
	(void)type;
	(void)id;
	(void)frame;
	(void)nr_frames;
	(void)paddr;
	(void)prot;
	(void)flags;
	compat_unsupported("xenforeignmemory_map_resource",
	                   "no hypervisor resources (grant table frames, ioreq pages) to map");
	return NULL;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *fmem,
                                    xenforeignmemory_resource_handle *fres)
{
	(void)fmem;
	/* Xen: NULL is a no-op; no resource handle is ever handed out here. */
	if (!fres)
		return 0;
	errno = EINVAL;
	return -1;
}

int xenforeignmemory_resource_size(xenforeignmemory_handle *fmem, domid_t domid, unsigned int type,
                                   unsigned int id, size_t *size)
{
	(void)fmem;
	(void)domid;
	(void)type;
	(void)id;
	(void)size;
	return compat_unsupported(
	        "xenforeignmemory_resource_size",
	        "no hypervisor resources (grant table frames, ioreq pages) to map");
}
