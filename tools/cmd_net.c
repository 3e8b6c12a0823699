/* SPDX-License-Identifier: MIT */
/*
 * umx net attach|detach|list|switch — virtual network interfaces.
 *
 *   attach FRONT BACK [--mac M] [--handle N]   write the vif's store nodes
 *                                              (what libxl writes)
 *   detach FRONT BACK HANDLE                   remove them
 *   list                                       vifs, states and counters
 *   switch                                     serve this domain's vifs on a
 *                                              learning switch (run it as a
 *                                              domain: umx run -- umx net switch)
 * On real Xen (no umxd, /proc/xen/capabilities or UMX_PLATFORM=xen) the
 * store is xenstored's socket or /dev/xen/xenbus, and switch runs as is.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_net.h"
#include "umx.h"
#include "umx/domain.h"
#include "umx/net.h"

static const char usage_text[] =
        "usage: umx net attach FRONT BACK [--mac MAC] [--handle N] [--timeout SECONDS]\n"
        "       umx net detach FRONT BACK HANDLE\n"
        "       umx net list\n"
        "       umx net switch          (inside a domain: umx run -- umx net switch)\n"
        "       umx net capture SWITCH|vifFRONT.HANDLE [-w FILE.pcap] [-c COUNT]\n"
        "FRONT and BACK are domids or names of running domains. attach writes the\n"
        "vif's store nodes (what libxl writes), prints its handle once the backend\n"
        "has taken it up (InitWait), and fails if none does within --timeout\n"
        "(default 10 s), removing the nodes again.\n";

static int net_attach(int argc, char **argv)
{
	uint8_t mac[UMX_NET_MAC_LEN];
	bool have_mac = false;
	uint32_t front, back;
	unsigned secs = 10;
	int handle = -1, r;
	umx_xs *xs;

	if (argc < 3) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (tool_device_domain("umx net", argv[1], &front) < 0 ||
	    tool_device_domain("umx net", argv[2], &back) < 0)
		return 2;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--mac") && i + 1 < argc) {
			if (umx_net_parse_mac(argv[++i], mac) < 0) {
				fprintf(stderr, "umx net: bad MAC '%s'\n", argv[i]);
				return 2;
			}
			have_mac = true;
		} else if (!strcmp(argv[i], "--handle") && i + 1 < argc) {
			char *end;
			long h = strtol(argv[++i], &end, 10);
			if (*end || !*argv[i] || h < 0 || h > 65535) {
				fprintf(stderr, "umx net: --handle '%s': takes 0 to 65535\n",
				        tool_show(argv[i]));
				return 2;
			}
			handle = (int)h;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;
			unsigned long t = strtoul(argv[++i], &end, 10);
			if (*end || !t || t > 3600) {
				fprintf(stderr,
				        "umx net: --timeout '%s': takes 1 to 3600 seconds\n",
				        tool_show(argv[i]));
				return 2;
			}
			secs = (unsigned)t;
		} else {
			fprintf(stderr, "umx net attach: unexpected '%s'\n", tool_show(argv[i]));
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (front == back) {
		fprintf(stderr, "umx net attach: domain %u cannot be its own backend\n", front);
		return 2;
	}
	if (tool_store_open("umx net", &xs) < 0)
		return 1;
	r = umx_net_attach(xs, front, back, handle, have_mac ? mac : NULL);
	if (r < 0) {
		umx_xs_close(xs);
		fprintf(stderr, "umx net attach: vif of domain %u on domain %u: %s\n", front, back,
		        strerror(-r));
		return 1;
	}
	handle = r;
	r = tool_wait_backend(xs, "vif", front, back, (unsigned)handle, secs);
	if (r < 0) {
		(void)umx_net_detach(xs, front, back, (unsigned)handle);
		umx_xs_close(xs);
		if (r == -ETIMEDOUT)
			fprintf(stderr,
			        "umx net attach: domain %u runs no vif backend: "
			        "backend/vif/%u/%d stayed unanswered for %u s (is `umx net switch` "
			        "running there?); the vif was removed\n",
			        back, front, handle, secs);
		else
			fprintf(stderr, "umx net attach: waiting for domain %u's backend: %s\n",
			        back, strerror(-r));
		return 1;
	}
	umx_xs_close(xs);
	printf("%d\n", handle);
	return 0;
}

static int net_detach(int argc, char **argv)
{
	uint32_t front, back;
	umx_xs *xs;
	int r;

	char path[128], *v = NULL, *end;
	long handle;

	if (argc != 4) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (tool_device_domain("umx net", argv[1], &front) < 0 ||
	    tool_device_domain("umx net", argv[2], &back) < 0)
		return 2;
	handle = strtol(argv[3], &end, 10);
	if (*end || !*argv[3] || handle < 0 || handle > 65535) {
		fprintf(stderr, "umx net detach: handle '%s': takes 0 to 65535\n",
		        tool_show(argv[3]));
		return 2;
	}
	if (tool_store_open("umx net", &xs) < 0)
		return 1;
	/* Detaching what is not there is an error, as in xl. */
	snprintf(path, sizeof(path), "/local/domain/%u/backend/vif/%u/%ld", back, front, handle);
	r = umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL);
	free(v);
	if (r == -ENOENT) {
		umx_xs_close(xs);
		fprintf(stderr, "umx net detach: domain %u has no vif %ld on domain %u\n", front,
		        handle, back);
		return 1;
	}
	r = umx_net_detach(xs, front, back, (unsigned)handle);
	umx_xs_close(xs);
	if (r < 0) {
		fprintf(stderr, "umx net detach: vif %ld of domain %u on domain %u: %s\n", handle,
		        front, back, r == -ENOENT ? "no such vif" : strerror(-r));
		return 1;
	}
	return 0;
}

/* One row of `umx net list`. */
static void net_row(void *ctx, umx_xs *xs, const char *back, const char *front, const char *handle,
                    const char *dev)
{
	static const char *const keys[] = {"rx_frames", "rx_bytes", "tx_frames",
	                                   "tx_bytes",  "dropped",  "errors"};
	char *mac = tool_read_node(xs, dev, "mac"), *state = tool_read_node(xs, dev, "state");
	char *stats = tool_read_node(xs, dev, "statistics"), f[6][24], fd[128], *dom, *ifn, *ip;

	(void)ctx;
	/* umx run --net: the domain and interface this vif carries. */
	snprintf(fd, sizeof(fd), "/local/domain/%s/device/vif/%s", front, handle);
	dom = tool_read_node(xs, fd, "umx-domain");
	ifn = tool_read_node(xs, fd, "umx-ifname");
	ip = tool_read_node(xs, fd, "umx-ip");
	for (int x = 0; x < 6; x++)
		tool_stat_field(stats, keys[x], f[x], sizeof(f[x]));
	printf("%-5s %-5s %-3s %-17s %-12s %10s %12s %10s %12s %8s %7s  %s%s%s %s\n", back, front,
	       handle, mac ? mac : "-", tool_state_name(state), f[0], f[1], f[2], f[3], f[4], f[5],
	       dom ? tool_show(dom) : "-", dom && ifn ? ":" : "", dom && ifn ? tool_show(ifn) : "",
	       ip ? tool_show(ip) : "-");
	free(dom);
	free(ifn);
	free(ip);
	free(mac);
	free(state);
	free(stats);
}

static int net_list(void)
{
	umx_xs *xs;

	if (tool_store_open("umx net", &xs) < 0)
		return 1;
	printf("%-5s %-5s %-3s %-17s %-12s %10s %12s %10s %12s %8s %7s  %s\n", "BACK", "FRONT",
	       "VIF", "MAC", "STATE", "RX_FRAMES", "RX_BYTES", "TX_FRAMES", "TX_BYTES", "DROPPED",
	       "ERRORS", "DOMAIN:IF ADDRESS");
	tool_list_backends(xs, "vif", net_row, NULL);
	umx_xs_close(xs);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* On stderr at exit: what each port carried, and why it was cut off. */
static void print_ports(const umx_netback *nb)
{
	struct umx_net_port ports[UMX_NET_PORTS_MAX];
	int n = umx_netback_ports(nb, ports, UMX_NET_PORTS_MAX);

	for (int i = 0; i < n && i < (int)UMX_NET_PORTS_MAX; i++) {
		char mac[18];

		umx_net_format_mac(ports[i].mac, mac);
		fprintf(stderr,
		        "umx net switch: port dom%u/%u %s rx %llu frames tx %llu frames dropped "
		        "%llu "
		        "errors %llu%s%s\n",
		        ports[i].front_domid, ports[i].handle, mac,
		        (unsigned long long)ports[i].rx_frames,
		        (unsigned long long)ports[i].tx_frames,
		        (unsigned long long)ports[i].dropped, (unsigned long long)ports[i].errors,
		        ports[i].reason[0] ? " disconnected: " : "", ports[i].reason);
	}
}

static int net_switch(void)
{
	umx_plat *p;
	umx_netback *nb;
	int r;

	if (!getenv(UMX_DOMAIN_FD_ENV) && !tool_on_xen()) {
		fprintf(stderr, "umx net switch: run it as a domain: umx run -- umx net switch\n");
		return 2;
	}
	if ((r = umx_plat_open(NULL, &p)) < 0 || (r = umx_netback_open(p, &nb)) < 0) {
		fprintf(stderr, "umx net switch: %s\n", strerror(-r));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, "umx net switch: domain %u serving backend/vif\n", umx_plat_domid(p));
	r = umx_netback_run(nb, &stop);
	print_ports(nb);
	umx_netback_close(nb);
	umx_plat_close(p);
	return r < 0 ? 1 : 0;
}

int cmd_net(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "attach"))
		return net_attach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "detach"))
		return net_detach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return net_list();
	if (!strcmp(argv[1], "pump")) /* umx run --net's companion domain */
		return run_net_pump(argc - 1, argv + 1);
	if (!strcmp(argv[1], "capture"))
		return cmd_net_capture(argc - 1, argv + 1);
	if (!strcmp(argv[1], "switch"))
		return net_switch();
	fprintf(stderr, "umx net: unknown operation '%s'\n", tool_show(argv[1]));
	fputs(usage_text, stderr);
	return 2;
}
