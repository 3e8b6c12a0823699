/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: umxd's control-message handlers, the real ones, through the
 * same dispatch a socket's messages take. Three fake peers — the toolstack
 * and two domains — send requests of every type with fuzzer-made payloads
 * (sometimes with a descriptor attached: /dev/null, or a pidfd of a real
 * process that umxd's signals never reach, see umxd_fake.h); whatever umxd
 * makes on their behalf (domains, ports, regions, maps, store connections)
 * is torn down after each input through the paths a death takes, and umxd
 * must then hold nothing.
 *
 * Input: records of [peer][type][id][len][payload...]. peer: bit 7
 * attaches a descriptor, bit 6 makes it a pidfd, the rest picks the peer
 * (0x3f: let the loop run first). type indexes umxd's own dispatch table
 * (umxd_request_type()), so every handler is one byte away, today's and
 * tomorrow's; len is one byte, payloads are short (the handlers'
 * exact-length checks are what matters).
 */
#include "umxd_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umxd *u = fake_umxd();
	struct fake_peer p[3];
	struct in in = {data, size};
	static uint8_t payload[256];
	struct umx_ctl_hello hello = {.version = UMX_CTL_VERSION};
	size_t ntypes = umxd_request_type_count();

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
		struct fake_peer *peer = &p[(sel & 0x3f) % 3];
		int fd = -1;

		if (len > in.n)
			len = in.n;
		memcpy(payload, in.p, len);
		in.p += len;
		in.n -= len;
		if (sel & 0x80)
			fd = sel & 0x40 ? fake_pidfd() : open("/dev/null", O_RDONLY | O_CLOEXEC);
		/* An unknown type now and then, most often a known one. */
		fake_request_fd(peer, t < 2 * ntypes ? umxd_request_type(t % ntypes) : t << 8, id,
		                payload, len, fd);
		fake_forget_dropped(p, 3);
		fake_drain(peer, NULL, NULL);
		if ((sel & 0x3f) == 0x3f)
			fake_settle(u, p, 3); /* peers that went away, noticed mid-input */
	}
	fake_reset(u, p, 3);
	return 0;
}
