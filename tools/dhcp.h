/* SPDX-License-Identifier: MIT */
/*
 * A small DHCPv4 client's wire half (RFC 2131/2132): builds DISCOVER and
 * REQUEST frames, and parses the server's answers out of whole Ethernet
 * frames that anyone on the switch may have sent, so every byte is
 * treated as hostile: bounds-checked, nothing trusted that is not checked.
 */
#ifndef UMX_TOOL_DHCP_H
#define UMX_TOOL_DHCP_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_DISCOVER 1
#define DHCP_OFFER    2
#define DHCP_REQUEST  3
#define DHCP_ACK      5
#define DHCP_NAK      6

/* Room for any frame dhcp_build() makes. */
#define DHCP_FRAME_MAX 400u

struct dhcp_lease {
	uint8_t addr[4];   /* yiaddr */
	uint8_t prefix;    /* from the subnet mask (option 1), 1..30 */
	uint8_t router[4]; /* option 3's first, or zero */
	uint8_t dns[4];    /* option 6's first, or zero */
	uint8_t server[4]; /* option 54, the server identifier */
	uint32_t lease_s;  /* option 51, 0 when absent */
};

/* A broadcast DISCOVER (@type DHCP_DISCOVER) or REQUEST for @l's address
 * from @l's server (DHCP_REQUEST) from @mac with @xid into @buf (at least
 * DHCP_FRAME_MAX bytes). Returns the frame's length. */
size_t dhcp_build(uint8_t *buf, int type, const uint8_t mac[6], uint32_t xid,
                  const struct dhcp_lease *l);

/* If @frame is a well-formed DHCP reply to @mac's transaction @xid, its
 * message type (DHCP_OFFER, DHCP_ACK, DHCP_NAK) with *@l filled (OFFER and
 * ACK); else -EINVAL (not ours, not DHCP, or malformed). */
int dhcp_parse(const uint8_t *frame, size_t len, const uint8_t mac[6], uint32_t xid,
               struct dhcp_lease *l);

#endif
