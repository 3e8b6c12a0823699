/* SPDX-License-Identifier: MIT */
/*
 * A sandboxed domain's network interfaces (umx run --net SWITCH): TAP
 * devices made in the domain's own network namespace, by the launcher's
 * network helper (sandbox.c, net_helper()) while it holds CAP_NET_ADMIN
 * over that namespace (it entered the domain's user namespace, which owns
 * it). No host interface is touched or visible; the device's frames go
 * only through its descriptor, which the caller hands to a netfront pump.
 *
 * Addresses and routes are set with rtnetlink from here, so nothing needs
 * an `ip` binary or a capability inside the domain. This runs on the
 * helper's stack, in the launcher's memory (CLONE_VM): it may not allocate,
 * and takes only what it is given.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox.h"

/* One rtnetlink request, built on the stack. */
struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifaddrmsg a;
		struct rtmsg r;
	} u;
	char attrs[128];
};

static void nl_attr(struct nl_req *q, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)q + NLMSG_ALIGN(q->h.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	q->h.nlmsg_len = NLMSG_ALIGN(q->h.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Send @q and read the kernel's acknowledgement: 0 or its -errno. The
 * kernel is the only peer of this socket (bound to no group, pid 0 sends). */
static int nl_call(int s, struct nl_req *q)
{
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	union {
		struct nlmsghdr h;
		char buf[512];
	} rep;
	ssize_t n;

	q->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	q->h.nlmsg_seq++;
	if (sendto(s, q, q->h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	for (;;) {
		n = recv(s, &rep, sizeof(rep), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = &rep.h; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != q->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EPROTO;
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

static int add_addr(int s, struct nl_req *q, int ifindex, int family, const uint8_t *addr,
                    unsigned prefix)
{
	size_t len = family == AF_INET ? 4 : 16;

	memset(&q->u, 0, sizeof(q->u) + sizeof(q->attrs));
	q->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	q->h.nlmsg_type = RTM_NEWADDR;
	q->h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	q->u.a.ifa_family = (unsigned char)family;
	q->u.a.ifa_prefixlen = (unsigned char)prefix;
	q->u.a.ifa_index = (unsigned)ifindex;
	/* No duplicate address detection: the address is the domain's by
	 * configuration, and DAD would hold it back for a second or more. */
	q->u.a.ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
	nl_attr(q, IFA_LOCAL, addr, len);
	nl_attr(q, IFA_ADDRESS, addr, len);
	return nl_call(s, q);
}

static int add_default_route(int s, struct nl_req *q, int ifindex, int family, const uint8_t *gw)
{
	size_t len = family == AF_INET ? 4 : 16;
	uint32_t oif = (uint32_t)ifindex;

	memset(&q->u, 0, sizeof(q->u) + sizeof(q->attrs));
	q->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	q->h.nlmsg_type = RTM_NEWROUTE;
	q->h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	q->u.r.rtm_family = (unsigned char)family;
	q->u.r.rtm_table = RT_TABLE_MAIN;
	q->u.r.rtm_protocol = RTPROT_STATIC;
	q->u.r.rtm_scope = RT_SCOPE_UNIVERSE;
	q->u.r.rtm_type = RTN_UNICAST;
	nl_attr(q, RTA_GATEWAY, gw, len);
	nl_attr(q, RTA_OIF, &oif, sizeof(oif));
	return nl_call(s, q);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Make @ifs in the calling thread's network namespace: each a TAP device
 * (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR), its MAC, up, its addresses and default routes;
 * ICMP echo sockets for @gid. On
 * success @fds holds one close-on-exec descriptor per device; on failure
 * none is left open, *@step says which step failed and -errno is returned. */
__attribute__((no_sanitize("address"))) int umx_sandbox_net_ifs(const struct umx_spawn_if *ifs,
                                                                unsigned nifs, gid_t gid, int *fds,
                                                                const char **step)
{
	char range[32];
	struct nl_req q = {0};
	struct ifreq ifr;
	unsigned made = 0;
	int s = -1, nl = -1, err;

	*step = "a socket to configure the domain's interfaces";
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    (nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) < 0)
		goto fail;
	for (; made < nifs; made++) {
		const struct umx_spawn_if *f = &ifs[made];
		int ifindex;

		/* Opened here, in the domain's namespace: a TAP device is made
		 * in the namespace its /dev/net/tun descriptor was opened in. */
		*step = "opening /dev/net/tun (the domain's interfaces are TAP devices: "
		        "it must exist and be usable by the caller, as Debian's mode 0666 is)";
		if ((fds[made] = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0)
			goto fail;
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, f->name, sizeof(ifr.ifr_name) - 1);
		/* With a virtio_net_hdr per frame: checksum offload and GSO
		 * pass through to the netfront (the pump turns them on). */
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
		*step = "creating the domain's TAP device (TUNSETIFF)";
		if (ioctl(fds[made], TUNSETIFF, &ifr) < 0) {
			close(fds[made]);
			goto fail;
		}
		*step = "setting the domain's interface MAC address";
		memset(&ifr.ifr_hwaddr, 0, sizeof(ifr.ifr_hwaddr));
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, f->mac, 6);
		if (ioctl(s, SIOCSIFHWADDR, &ifr) < 0)
			goto fail_made;
		*step = "bringing the domain's interface up";
		if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
			goto fail_made;
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0 || ioctl(s, SIOCGIFINDEX, &ifr) < 0)
			goto fail_made;
		ifindex = ifr.ifr_ifindex;
		*step = "adding the domain's address (rtnetlink)";
		if (f->prefix4 && (err = add_addr(nl, &q, ifindex, AF_INET, f->addr4, f->prefix4)))
			goto fail_nl;
		if (f->prefix6 && (err = add_addr(nl, &q, ifindex, AF_INET6, f->addr6, f->prefix6)))
			goto fail_nl;
		*step = "adding the domain's default route (rtnetlink)";
		if (f->prefix4 && !all_zero(f->gw4, 4) &&
		    (err = add_default_route(nl, &q, ifindex, AF_INET, f->gw4)))
			goto fail_nl;
		if (f->prefix6 && !all_zero(f->gw6, 16) &&
		    (err = add_default_route(nl, &q, ifindex, AF_INET6, f->gw6)))
			goto fail_nl;
	}
	/* ping(8) without privilege, as on a host: ICMP echo sockets for the
	 * domain's group (the one its user namespace maps), in this namespace
	 * only. Best effort: nothing needs it. */
	if ((err = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC)) >= 0) {
		int n = snprintf(range, sizeof(range), "%u %u", (unsigned)gid, (unsigned)gid);
		(void)!write(err, range, (size_t)n);
		close(err);
	}
	close(s);
	close(nl);
	return 0;
fail_nl:
	errno = -err;
fail_made:
	made++;
fail:
	err = errno;
	while (made)
		close(fds[--made]);
	if (s >= 0)
		close(s);
	if (nl >= 0)
		close(nl);
	return -err;
}
