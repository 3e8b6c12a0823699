/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: umxd's control-message handlers, the real ones, through the
 * same dispatch a socket's messages take. Three fake peers — the toolstack
 * and two domains — send requests of every type with fuzzer-made payloads
 * (sometimes with a descriptor attached); whatever umxd makes on their
 * behalf (domains, ports, regions, maps, store connections) is torn down
 * after each input through the paths a death takes, and umxd must then
 * hold nothing.
 *
 * Input: records of [peer][type][id][len][payload...], peer's bit 7
 * attaching a descriptor; type indexes the table below, so every handler
 * is one byte away; len is one byte, payloads are short (the handlers'
 * exact-length checks are what matters).
 */
#include "umxd_fake.h"

static const uint32_t types[] = {
        UMX_CTL_HELLO,
        UMX_CTL_DOMAIN_CREATE,
        UMX_CTL_DOMAIN_SET_PIDFD,
        UMX_CTL_DOMAIN_EXITED,
        UMX_CTL_DOMAIN_LIST,
        UMX_CTL_DOMAIN_DESTROY,
        UMX_CTL_DOMAIN_WAIT,
        UMX_CTL_DAEMON_INFO,
        UMX_CTL_GNT_REGION_ALLOC,
        UMX_CTL_GNT_REGION_FREE,
        UMX_CTL_GNT_MAP,
        UMX_CTL_GNT_UNMAP,
        UMX_CTL_GNT_COPY,
        UMX_CTL_GNT_SHARE_NOTIFY,
        UMX_CTL_GNT_UNSHARE,
        UMX_CTL_GNT_REGION_STATUS,
        UMX_CTL_GNT_REGION_SEAL,
        UMX_CTL_EVT_ALLOC_UNBOUND,
        UMX_CTL_EVT_BIND_INTERDOMAIN,
        UMX_CTL_EVT_CLOSE,
        UMX_CTL_EVT_STATUS,
        UMX_CTL_XS_CONNECT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umxd *u = fake_umxd();
	struct fake_peer p[3];
	struct in in = {data, size};
	static uint8_t payload[256];
	struct umx_ctl_hello hello = {.version = UMX_CTL_VERSION};

	CHECK(fake_connect(u, NULL, &p[0]) == 0);
	CHECK(fake_domain(u, "a", &p[1]));
	CHECK(fake_domain(u, "b", &p[2]));
	/* Everyone says HELLO first, unless the input's first byte says not:
	 * requests before HELLO are one more thing to refuse. */
	for (unsigned i = 0; i < 3 && !(size && data[0] == 0xff); i++) {
		fake_request(&p[i], UMX_CTL_HELLO, 0, &hello, sizeof(hello), false);
		fake_forget_dropped(p, 3);
		fake_drain(&p[i], NULL, NULL);
	}
	while (in.n) {
		uint32_t sel = get(&in, 1), t = get(&in, 1), id = get(&in, 1);
		size_t len = get(&in, 1);
		struct fake_peer *peer = &p[(sel & 0x7f) % 3];

		if (len > in.n)
			len = in.n;
		memcpy(payload, in.p, len);
		in.p += len;
		in.n -= len;
		/* An unknown type now and then, most often a known one. */
		fake_request(peer,
		             t < 2 * (sizeof(types) / sizeof(types[0]))
		                     ? types[t % (sizeof(types) / sizeof(types[0]))]
		                     : t << 8,
		             id, payload, len, sel & 0x80);
		fake_forget_dropped(p, 3);
		fake_drain(peer, NULL, NULL);
		if ((sel & 0x7f) == 0x7f)
			fake_settle(u, p, 3); /* peers that went away, noticed mid-input */
	}
	fake_reset(u, p, 3);
	return 0;
}
