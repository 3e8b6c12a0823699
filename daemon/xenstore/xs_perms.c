/* SPDX-License-Identifier: MIT */
/* Xen's permission model: owner entry first, per-domain entries after. */
#include <stdio.h>
#include <string.h>

#include "umx/xs.h"
#include "xs_engine.h"

_Static_assert(XS_PERM_READ == UMX_XS_PERM_READ && XS_PERM_WRITE == UMX_XS_PERM_WRITE,
               "the store's permission flags are the ones umx_xs_perm_* use");

bool xs_dom_privileged(unsigned domid)
{
	return domid == 0;
}

/*
 * As cxenstored's perm_for_conn(): dom0 and the owner (or a domain whose
 * SET_TARGET is the owner) get everything; otherwise the first entry naming
 * the domain (or its target) wins, else the default in entry 0.
 */
unsigned xs_perm_for(const struct xs_store *st, unsigned domid, const struct xs_perm *p, uint32_t n)
{
	const struct xs_domain *d = xs_dom_find(st, domid);
	int target = d ? d->target : -1;
	if (!n)
		return xs_dom_privileged(domid) ? XS_PERM_BOTH | XS_PERM_OWNER : 0;
	if (xs_dom_privileged(domid) || p[0].id == domid || (target >= 0 && p[0].id == target))
		return XS_PERM_BOTH | XS_PERM_OWNER;
	for (uint32_t i = 1; i < n; i++)
		if (p[i].id == domid || (target >= 0 && p[i].id == target))
			return p[i].perm & XS_PERM_BOTH;
	return p[0].perm & XS_PERM_BOTH;
}

int xs_perms_parse(const char *const *v, unsigned n, struct xs_perm *out)
{
	for (unsigned i = 0; i < n; i++) {
		int flags = umx_xs_perm_from_letter(v[i][0]);
		unsigned id;
		if (flags < 0)
			return -EINVAL;
		out[i].perm = (uint8_t)flags;
		if (xs_parse_uint(v[i] + 1, XS_DOMID_MAX, &id))
			return -EINVAL;
		out[i].id = (uint16_t)id;
	}
	return 0;
}

static bool released(const struct xs_store *st, unsigned domid)
{
	const struct xs_domain *d = xs_dom_find(st, domid);
	return d && d->released && !xs_dom_introduced(st, domid);
}

/*
 * A permission entry naming a domain that has died is void: the domid may
 * come back as another domain, which must not inherit it. Death scrubs the
 * entries that exist then (xs_store_domain_release); this catches those
 * written afterwards, e.g. by a peer that has not yet seen @releaseDomain,
 * or by a transaction opened before the death. The owner cannot be
 * dropped: giving a node to a dead domain is refused, as cxenstored refuses
 * to account a node to a domain that does not exist.
 */
int xs_perms_drop_released(const struct xs_store *st, struct xs_perm *p, unsigned n)
{
	unsigned j = 1;

	if (n && !xs_dom_privileged(p[0].id) && released(st, p[0].id))
		return -ENOENT;
	for (unsigned i = 1; i < n; i++)
		if (!released(st, p[i].id))
			p[j++] = p[i];
	return (int)(n ? j : 0);
}

size_t xs_perms_format(const struct xs_perm *p, uint32_t n, char *buf, size_t cap)
{
	size_t off = 0;
	for (uint32_t i = 0; i < n; i++) {
		int k = snprintf(buf + off, cap - off, "%c%u", umx_xs_perm_letter(p[i].perm),
		                 p[i].id);
		if (k < 0 || off + (size_t)k + 1 > cap)
			break;
		off += (size_t)k + 1; /* keep the NUL */
	}
	return off;
}

int xs_special_index(const char *path)
{
	if (!strcmp(path, "@introduceDomain"))
		return 0;
	if (!strcmp(path, "@releaseDomain"))
		return 1;
	return -1;
}
