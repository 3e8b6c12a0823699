/* SPDX-License-Identifier: MIT */
/*
 * umx-vif — the glue the lwIP, slirp and TAP tests and the demo use around
 * include/umx/net.h, independent of the `umx net` command's shape:
 *   umx run --name switch -- umx-vif switch     a netback domain: every vif
 *                                               whose backend is this domain
 *                                               joins one learning switch
 *   umx-vif attach FRONT BACK [HANDLE [MAC]]    the toolstack's nodes for a
 *                                               vif (on umxd's store socket)
 * When `umx net` grows the same verbs, the tests can switch to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umx/net.h"
#include "umx/platform.h"
#include "umx/xs.h"
#include "prog.h"

static int run_switch(void)
{
	umx_plat *p = NULL;
	umx_netback *nb = NULL;
	struct umx_net_port ports[UMX_NET_PORTS_MAX];
	int r, n;

	prog_start("umx-vif");
	if (prog_platform_open("umx-vif switch", &p) < 0)
		return 1;
	if ((r = umx_netback_open(p, &nb)) < 0) {
		fprintf(stderr, "umx-vif switch: netback: %s\n", strerror(-r));
		umx_plat_close(p);
		return 1;
	}
	fprintf(stderr, "umx-vif: switch in domain %u\n", umx_plat_domid(p));
	r = umx_netback_run(nb, &prog_stop);
	n = umx_netback_ports(nb, ports, UMX_NET_PORTS_MAX);
	for (int i = 0; i < n; i++) {
		char mac[18];

		umx_net_format_mac(ports[i].mac, mac);
		fprintf(stderr,
		        "umx-vif: port dom%u/%u %s rx %llu frames tx %llu frames dropped %llu "
		        "errors %llu%s%s\n",
		        ports[i].front_domid, ports[i].handle, mac,
		        (unsigned long long)ports[i].rx_frames,
		        (unsigned long long)ports[i].tx_frames,
		        (unsigned long long)ports[i].dropped, (unsigned long long)ports[i].errors,
		        ports[i].reason[0] ? " disconnected: " : "", ports[i].reason);
	}
	umx_netback_close(nb);
	umx_plat_close(p);
	return r < 0 ? 1 : 0;
}

static int attach(int argc, char **argv)
{
	uint8_t mac[UMX_NET_MAC_LEN];
	umx_xs *xs = NULL;
	int handle = -1, r;

	if (argc < 2) {
		fprintf(stderr, "usage: umx-vif attach FRONT BACK [HANDLE [MAC]]\n");
		return 2;
	}
	if (argc > 2)
		handle = atoi(argv[2]);
	if (argc > 3 && umx_net_parse_mac(argv[3], mac) < 0) {
		fprintf(stderr, "umx-vif attach: bad MAC %s\n", argv[3]);
		return 2;
	}
	if ((r = umx_xs_open(&xs)) < 0) {
		fprintf(stderr, "umx-vif attach: store: %s\n", strerror(-r));
		return 1;
	}
	r = umx_net_attach(xs, (uint32_t)strtoul(argv[0], NULL, 10),
	                   (uint32_t)strtoul(argv[1], NULL, 10), handle, argc > 3 ? mac : NULL);
	umx_xs_close(xs);
	if (r < 0) {
		fprintf(stderr, "umx-vif attach: %s\n", strerror(-r));
		return 1;
	}
	printf("%d\n", r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "switch") == 0)
		return run_switch();
	if (argc >= 2 && strcmp(argv[1], "attach") == 0)
		return attach(argc - 2, argv + 2);
	fprintf(stderr, "usage: umx-vif switch | umx-vif attach FRONT BACK [HANDLE [MAC]]\n");
	return 2;
}
