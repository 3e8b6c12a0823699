/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the DHCP client of `umx run --net` (tools/dhcp.c)
 * parsing a frame anyone on the switch may have sent.
 *
 * Input: the frame. The client's MAC and transaction id are taken from the
 * frame's own chaddr and xid fields (zero when it is too short), so the
 * fuzzer reaches the option parser instead of stopping at the match.
 * Invariants: ASan sees every read past the frame; a lease returned has a
 * mask of 1..30 bits, an address that is not 0/8, loopback or multicast
 * and neither the subnet's first nor last; the type is OFFER, ACK or NAK.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/dhcp.c"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f = malloc(size ? size : 1), mac[6] = {0};
	struct dhcp_lease l;
	uint32_t xid = 0;
	int t;

	memcpy(f, data, size);
	if (size >= 14 + 20 + 8 + 34) {
		xid = get32(f + 14 + 20 + 8 + 4);
		memcpy(mac, f + 14 + 20 + 8 + 28, 6);
	}
	memset(&l, 0xa5, sizeof(l));
	t = dhcp_parse(f, size, mac, xid, &l);
	if (t != -EINVAL && t != DHCP_OFFER && t != DHCP_ACK && t != DHCP_NAK)
		abort();
	if (t == DHCP_OFFER || t == DHCP_ACK) {
		uint32_t host = get32(l.addr) & (0xffffffffu >> l.prefix);
		if (l.prefix < 1 || l.prefix > 30 || l.addr[0] == 0 || l.addr[0] == 127 ||
		    l.addr[0] >= 224 || host == 0 || host == (0xffffffffu >> l.prefix))
			abort();
	}
	free(f);
	return 0;
}
