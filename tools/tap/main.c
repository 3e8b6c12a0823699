/* SPDX-License-Identifier: MIT */
/*
 * umx-tap — a bridge domain: one netfront vif on the switch, one Linux TAP
 * device (IFF_TAP | IFF_NO_PI), frames copied both ways unchanged, so the
 * domains on the switch appear on a Linux network. Needs CAP_NET_ADMIN.
 *
 *   ip netns add umx
 *   umx run --name tap -- umx-tap --netns umx --dev umx0 &
 *   umx net attach <tap domid> <switch domid>
 *   ip -n umx link set umx0 up; ip -n umx addr add 10.9.0.1/24 dev umx0
 *
 * --netns NAME enters /run/netns/NAME before creating the TAP, so the
 * device is born in that namespace and the host's interfaces are never
 * touched. Nothing here parses frames: the kernel and the domains judge
 * them; a frame the vif cannot carry (under 14 or over 65535 bytes) or that
 * finds the TX ring full for too long is dropped and counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include "umx/net.h"
#include "umx/platform.h"
#include "prog.h"

#define BUDGET 256

static uint8_t frame[UMX_NET_FRAME_MAX];

static int enter_netns(const char *name)
{
	char path[256];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static const char usage[] = "usage: umx-tap [--dev NAME] [--netns NAME] [--handle N]\n"
                            "Run it as a domain (umx run) and attach its vif to a switch domain.\n";

int main(int argc, char **argv)
{
	const char *dev = "umx0", *netns = NULL;
	unsigned handle = 0;
	const struct prog_opt opts[] = {
	        PROG_OPT("dev", PROG_STR, &dev),
	        PROG_OPT("netns", PROG_STR, &netns),
	        PROG_OPT("handle", PROG_UINT, &handle),
	        PROG_OPT_END,
	};
	uint64_t to_tap = 0, from_tap = 0, lost_to_tap = 0, lost_from_tap = 0;
	umx_plat *p = NULL;
	umx_netfront *nf = NULL;
	int r, tap = -1, rc = 1;
	bool busy = false;

	if (prog_parse("umx-tap", argc, argv, opts, usage) < 0)
		return 2;
	prog_start("umx-tap");
	if (netns && (r = enter_netns(netns)) < 0) {
		fprintf(stderr, "umx-tap: netns %s: %s\n", netns, strerror(-r));
		return 1;
	}
	if ((tap = tap_open(dev)) < 0) {
		fprintf(stderr, "umx-tap: /dev/net/tun %s: %s (needs CAP_NET_ADMIN)\n", dev,
		        strerror(-tap));
		return 1;
	}
	if (prog_platform_open("umx-tap", &p) < 0)
		goto out;
	/* Waits for the toolstack to attach the vif, too. */
	if ((r = umx_netfront_open(p, handle, 30000, &nf)) < 0) {
		fprintf(stderr, "umx-tap: vif %u: %s\n", handle, strerror(-r));
		goto out;
	}
	fprintf(stderr, "umx-tap: domain %u bridges vif %u and %s%s%s\n", umx_plat_domid(p), handle,
	        dev, netns ? " in netns " : "", netns ? netns : "");

	while (!prog_stop) {
		struct pollfd pf[3] = {
		        {.fd = umx_netfront_fd(nf), .events = POLLIN},
		        {.fd = umx_xs_fd(umx_plat_xs(p)), .events = POLLIN},
		        {.fd = tap, .events = POLLIN},
		};
		int n = poll(pf, 3, busy ? 0 : 1000);

		busy = false;
		if (n < 0 && errno != EINTR)
			break;
		n = umx_netfront_wait(nf, 0);
		if (n == -ENOTCONN || n == -ENODEV) {
			fprintf(stderr, "umx-tap: %s\n",
			        n == -ENOTCONN ? "the store is gone (umxd stopped)"
			                       : "the switch is gone (its domain died, or the vif "
			                         "was detached)");
			goto out; /* not a clean stop: exit 1 */
		}
		/* vif → TAP */
		for (int i = 0; i < BUDGET; i++) {
			int len = umx_netfront_recv(nf, frame, sizeof(frame));

			if (len == -EMSGSIZE)
				continue;
			if (len < 0)
				break;
			/* A TAP that is not up yet refuses writes (EIO). */
			if (write(tap, frame, (size_t)len) == len)
				to_tap++;
			else
				lost_to_tap++;
			if (i == BUDGET - 1)
				busy = true;
		}
		/* TAP → vif */
		for (int i = 0; i < BUDGET; i++) {
			ssize_t len = read(tap, frame, sizeof(frame));

			if (len < 0)
				break;
			if (len < (ssize_t)UMX_NET_ETH_HLEN) {
				lost_from_tap++;
				continue;
			}
			for (int k = 0;
			     (r = umx_netfront_send(nf, frame, (size_t)len)) == -EAGAIN && k < 20;
			     k++)
				umx_netfront_wait(nf, 5);
			if (r < 0)
				lost_from_tap++;
			else
				from_tap++;
			if (i == BUDGET - 1)
				busy = true;
		}
		if (umx_netfront_broken(nf)) {
			fprintf(stderr, "umx-tap: netfront broken: %s\n", umx_netfront_broken(nf));
			goto out;
		}
	}
	/* Per direction, so a drop says which side could not keep up. */
	fprintf(stderr,
	        "umx-tap: frames to %s %" PRIu64 " (dropped %" PRIu64 "), from %s %" PRIu64
	        " (dropped %" PRIu64 ")\n",
	        dev, to_tap, lost_to_tap, dev, from_tap, lost_from_tap);
	rc = 0;
out:
	umx_netfront_close(nf);
	umx_plat_close(p);
	if (tap >= 0)
		close(tap);
	return rc;
}
