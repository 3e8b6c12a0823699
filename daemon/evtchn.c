/* SPDX-License-Identifier: MIT */
/* Event channels (placeholder: the port table lands with the evtchn work). */
#include <errno.h>

#include "umxd.h"

int umxd_evt_domain_init(struct umxd_domain *dom)
{
	(void)dom;
	return 0;
}

void umxd_evt_domain_release(struct umxd_domain *dom)
{
	(void)dom;
}

void umxd_evt_domain_free(struct umxd_domain *dom)
{
	(void)dom;
}

uint32_t umxd_evt_port_count(const struct umxd_domain *dom)
{
	(void)dom;
	return 0;
}

int umxd_evt_signal_local(struct umxd_domain *dom, uint32_t port)
{
	(void)dom;
	(void)port;
	return -ENOENT;
}

int umxd_h_evt_alloc_unbound(struct umxd_conn *c, struct umx_msg *m)
{
	return umxd_reply(c, m, -ENOSYS, NULL, 0, NULL, 0);
}

int umxd_h_evt_bind_interdomain(struct umxd_conn *c, struct umx_msg *m)
{
	return umxd_reply(c, m, -ENOSYS, NULL, 0, NULL, 0);
}

int umxd_h_evt_close(struct umxd_conn *c, struct umx_msg *m)
{
	return umxd_reply(c, m, -ENOSYS, NULL, 0, NULL, 0);
}
