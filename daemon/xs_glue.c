/* SPDX-License-Identifier: MIT */
/* The store's view of domains (placeholder until the XenStore engine lands). */
#include <errno.h>

#include "umxd.h"

int umxd_store_start(struct umxd *umxd)
{
	(void)umxd;
	return 0;
}

void umxd_store_stop(struct umxd *umxd)
{
	(void)umxd;
}

void umxd_store_domain_introduce(struct umxd_domain *dom)
{
	(void)dom;
}

void umxd_store_domain_release(struct umxd_domain *dom)
{
	(void)dom;
}

int umxd_h_xs_connect(struct umxd_conn *c, struct umx_msg *m)
{
	return umxd_reply(c, m, -ENOSYS, NULL, 0, NULL, 0);
}
