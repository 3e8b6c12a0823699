/* SPDX-License-Identifier: MIT */
/* The store side of vifs: the toolstack's nodes (what libxl writes for a
 * vif) and MAC addresses; the store helpers both ends use are
 * devices/common/xenbus.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_priv.h"

int umx_net_parse_mac(const char *s, uint8_t mac[UMX_NET_MAC_LEN])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	           &end) != 6 ||
	    strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

void umx_net_format_mac(const uint8_t mac[UMX_NET_MAC_LEN], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
	         mac[5]);
}

int umx_net_attach(umx_xs *xs, uint32_t front, uint32_t back, int handle,
                   const uint8_t mac[UMX_NET_MAC_LEN])
{
	char macs[18], num[16];
	uint8_t m[UMX_NET_MAC_LEN];
	int r;

	if (front == back || handle > 65535)
		return -EINVAL;
	if (handle < 0)
		handle = xenbus_next_devid(xs, "vif", front, 0, 1, 65535);
	if (mac) {
		memcpy(m, mac, sizeof(m));
	} else {
		/* Xen's OUI, then the frontend's domid and the handle. */
		m[0] = 0x00, m[1] = 0x16, m[2] = 0x3e;
		m[3] = (uint8_t)(front >> 8), m[4] = (uint8_t)front, m[5] = (uint8_t)handle;
	}
	umx_net_format_mac(m, macs);
	snprintf(num, sizeof(num), "%d", handle);
	const struct xenbus_node fe[] = {
	        {"handle", num},
	        {"mac", macs},
	};
	const struct xenbus_node be[] = {
	        {"handle", num},
	        {"mac", macs},
	        {"type", "vif"},
	};
	const struct xenbus_pair pair = {
	        .type = "vif",
	        .front = front,
	        .back = back,
	        .devid = (unsigned)handle,
	        .fe = fe,
	        .nfe = sizeof(fe) / sizeof(fe[0]),
	        .be = be,
	        .nbe = sizeof(be) / sizeof(be[0]),
	};
	r = xenbus_pair_add(xs, &pair);
	return r < 0 ? r : handle;
}

int umx_net_detach(umx_xs *xs, uint32_t front, uint32_t back, unsigned handle)
{
	return xenbus_pair_remove(xs, "vif", front, back, handle);
}
