/* SPDX-License-Identifier: MIT */
/*
 * umx run --net SWITCH: any Linux program in a domain on a umx switch.
 *
 * The domain gets TAP devices (eth0, eth1, ...) made in its own network
 * namespace by the sandbox (lib/sandbox_net.c), configured before its
 * program starts. Their descriptors go to a pump: a companion domain of
 * its own (sandboxed like any other: its own namespaces, no capabilities,
 * seccomp; named NAME-net when the domain has a name) whose netfronts are
 * the vifs on the switches. The pump copies frames between each TAP
 * descriptor and its netfront and parses none of them, except the DHCP
 * answers it asked for (dhcp.c, hostile-input safe). So the domain's frames
 * have one way out, through its netfront; nothing of the host's network is
 * visible to it or to the pump.
 *
 * Start order: pump domain, vif attach, the pump's netfronts connect and
 * (without ip=) get a lease; then the domain is spawned with its
 * interfaces and a resolv.conf naming the router's DNS, and the pump gets
 * the TAP descriptors. The domain's program therefore starts with its
 * addresses, routes and DNS in place.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dhcp.h"
#include "run_net.h"
#include "umx.h"
#include "umx/internal/clock.h"
#include "umx/internal/msg.h"
#include "umx/net.h"
#include "umx/platform.h"
#include "umx/xs.h"

/* What the pump tells the launcher about interface @handle once its
 * netfront is connected (and, for DHCP, leased). */
struct pump_report {
	int32_t result; /* 0 or -errno */
	uint32_t handle;
	uint8_t mac[6];
	uint8_t prefix, pad;
	uint8_t addr[4], router[4], dns[4];
	uint32_t lease_s;
	char why[128];
};

#define PUMP_START_MS 60000 /* netfronts connect, DHCP retries (~25 s) */

/* ---- parsing ------------------------------------------------------------ */

static int parse_prefix(const char *s, unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > max)
		return -1;
	return (int)v;
}

int run_net_parse(const char *cmd, char *spec, struct run_net_if *n)
{
	char *save = NULL, *tok;
	const char *orig = tool_show(spec);
	bool have_gw4 = false, have_gw6 = false;

	memset(n, 0, sizeof(*n));
	n->spec = spec;
	tok = strtok_r(spec, ",", &save);
	if (!tok || strchr(tok, '=') || strlen(tok) >= sizeof(n->sw)) {
		fprintf(stderr,
		        "%s: --net '%s': expected host, or SWITCH[,mac=M][,ip=ADDR/PREFIX]"
		        "[,gw=ADDR][,dns=ADDR]\n",
		        cmd, orig);
		return -1;
	}
	snprintf(n->sw, sizeof(n->sw), "%s", tok);
	while ((tok = strtok_r(NULL, ",", &save))) {
		char *v = strchr(tok, '='), *slash;
		bool six;
		int p;

		if (!v)
			goto bad;
		*v++ = 0;
		six = strchr(v, ':') != NULL;
		if (!strcmp(tok, "mac")) {
			if (umx_net_parse_mac(v, n->mac) < 0 || (n->mac[0] & 1))
				goto bad;
			n->have_mac = true;
		} else if (!strcmp(tok, "ip")) {
			if (!(slash = strchr(v, '/')))
				goto bad;
			*slash = 0;
			p = parse_prefix(slash + 1, six ? 128 : 32);
			if (p < 0 || (six ? n->ifc.prefix6 : n->ifc.prefix4) ||
			    inet_pton(six ? AF_INET6 : AF_INET, v,
			              six ? n->ifc.addr6 : n->ifc.addr4) != 1)
				goto bad;
			if (six)
				n->ifc.prefix6 = (uint8_t)p;
			else
				n->ifc.prefix4 = (uint8_t)p;
		} else if (!strcmp(tok, "gw")) {
			if ((six ? have_gw6 : have_gw4) ||
			    inet_pton(six ? AF_INET6 : AF_INET, v, six ? n->ifc.gw6 : n->ifc.gw4) !=
			            1)
				goto bad;
			*(six ? &have_gw6 : &have_gw4) = true;
		} else if (!strcmp(tok, "dns")) {
			if (six || n->have_dns || inet_pton(AF_INET, v, n->dns) != 1)
				goto bad;
			n->have_dns = true;
		} else {
			goto bad;
		}
	}
	if ((have_gw4 && !n->ifc.prefix4) || (have_gw6 && !n->ifc.prefix6)) {
		fprintf(stderr, "%s: --net '%s': gw= needs an ip= of its family\n", cmd, orig);
		return -1;
	}
	/* Without any ip=, the IPv4 address comes by DHCP. */
	n->dhcp = !n->ifc.prefix4 && !n->ifc.prefix6;
	return 0;
bad:
	fprintf(stderr,
	        "%s: --net '%s': '%s' is not mac=MAC (unicast), ip=ADDR/PREFIX (once per "
	        "family), gw=ADDR or dns=IPV4\n",
	        cmd, orig, tool_show(tok));
	return -1;
}

/* ---- the launcher's part ------------------------------------------------ */

/* Read the pump's reports until every interface has one, the pump dies or
 * PUMP_START_MS pass. */
static int await_reports(const char *cmd, struct run_net *rn, struct run_net_if *ifs,
                         struct pump_report *rep)
{
	uint64_t deadline = umx_clock_ms() + PUMP_START_MS;
	unsigned got = 0;

	while (got < rn->nifs) {
		struct pollfd pf[2] = {{.fd = rn->sock, .events = POLLIN},
		                       {.fd = rn->pump.pidfd, .events = POLLIN}};
		uint64_t now = umx_clock_ms();
		struct pump_report m;
		ssize_t n;

		if (now >= deadline) {
			fprintf(stderr, "%s: --net: the network pump took longer than %d s\n", cmd,
			        PUMP_START_MS / 1000);
			return -1;
		}
		if (poll(pf, 2, (int)(deadline - now)) < 0 && errno != EINTR)
			return -1;
		n = recv(rn->sock, &m, sizeof(m), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN && !pf[1].revents)
			continue;
		if (n != (ssize_t)sizeof(m)) {
			fprintf(stderr, "%s: --net: the network pump ended while starting\n", cmd);
			return -1;
		}
		m.why[sizeof(m.why) - 1] = 0;
		if (m.handle >= rn->nifs) {
			fprintf(stderr, "%s: --net: the network pump answered for no interface\n",
			        cmd);
			return -1;
		}
		if (m.result < 0) {
			fprintf(stderr, "%s: --net '%s': %s\n", cmd, tool_show(ifs[m.handle].spec),
			        m.why[0] ? m.why : strerror(-m.result));
			return -1;
		}
		rep[m.handle] = m;
		got++;
	}
	return 0;
}

/* A resolv.conf naming @dns, bound read-only over the domain's (through
 * its symlink, if the host's is one). */
static int resolv_make(const char *cmd, umx_conn *ts, const uint8_t dns[4], struct run_net *rn)
{
	char text[64], *dst;
	int fd, len;

	snprintf(rn->resolv, sizeof(rn->resolv), "%s/net-resolv.XXXXXX", umx_conn_dir(ts));
	if ((fd = mkostemp(rn->resolv, O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: --net: a resolv.conf in %s: %s\n", cmd, umx_conn_dir(ts),
		        strerror(errno));
		rn->resolv[0] = 0;
		return -1;
	}
	len = snprintf(text, sizeof(text), "nameserver %u.%u.%u.%u\n", dns[0], dns[1], dns[2],
	               dns[3]);
	/* Readable by the domain's uid (its own, as root). */
	if (fchmod(fd, 0644) < 0 || write(fd, text, (size_t)len) != len) {
		fprintf(stderr, "%s: --net: writing %s: %s\n", cmd, rn->resolv, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	dst = realpath("/etc/resolv.conf", NULL);
	rn->binds[rn->nbinds].src = rn->resolv;
	rn->binds[rn->nbinds].dst = dst ? dst : "/etc/resolv.conf";
	rn->binds[rn->nbinds++].flags = UMX_BIND_RO;
	return 0;
}

int run_net_start(const char *cmd, umx_conn *ts, const char *name, struct run_net_if *ifs,
                  unsigned nifs, const struct umx_bind *binds, unsigned nbinds, uint32_t uid_base,
                  struct run_net *rn)
{
	struct umx_spawn_opts so = {.uid_base = uid_base};
	struct pump_report rep[UMX_SPAWN_IFS_MAX];
	char exe[PATH_MAX], fdarg[16], pname[UMX_NAME_MAX], *argv[UMX_SPAWN_IFS_MAX + 5];
	int sv[2], r, fl;
	bool have_dns = false;
	uint8_t dns[4] = {0};
	umx_xs *xs = NULL;
	ssize_t n;

	memset(rn, 0, sizeof(*rn));
	rn->sock = -1;
	for (unsigned i = 0; i < UMX_SPAWN_IFS_MAX; i++)
		rn->fds[i] = -1;
	if (nifs > UMX_SPAWN_IFS_MAX || nbinds + 1 > sizeof(rn->binds) / sizeof(rn->binds[0])) {
		fprintf(stderr, "%s: --net: at most %u interfaces\n", cmd, UMX_SPAWN_IFS_MAX);
		return -1;
	}
	memcpy(rn->binds, binds, nbinds * sizeof(*binds));
	rn->nbinds = nbinds;
	rn->nifs = nifs;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "%s: --net: %s\n", cmd, strerror(errno));
		return -1;
	}
	exe[n] = 0;
	rn->sock = sv[0];
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	argv[0] = exe;
	argv[1] = "net";
	argv[2] = "pump";
	argv[3] = fdarg;
	for (unsigned i = 0; i < nifs; i++)
		argv[4 + i] = ifs[i].dhcp ? "dhcp" : "static";
	argv[4 + nifs] = NULL;
	/* The pump's end is the one descriptor of ours it inherits. */
	fl = fcntl(sv[1], F_GETFD);
	if (fl >= 0)
		fcntl(sv[1], F_SETFD, fl & ~FD_CLOEXEC);
	if (name && strlen(name) + 4 < sizeof(pname))
		snprintf(pname, sizeof(pname), "%s-net", name);
	r = umx_domain_spawn(ts, name && strlen(name) + 4 < sizeof(pname) ? pname : NULL, &so, argv,
	                     &rn->pump);
	close(sv[1]);
	if (r < 0) {
		fprintf(stderr, "%s: --net: cannot start the network pump domain: %s\n", cmd,
		        rn->pump.why[0] ? rn->pump.why : strerror(-r));
		return -1;
	}
	rn->pump_running = true;
	if (tool_store_of(ts, &xs) < 0) {
		fprintf(stderr, "%s: --net: cannot reach the store\n", cmd);
		return -1;
	}
	for (unsigned i = 0; i < nifs; i++) {
		uint32_t sw;
		if (tool_domain(ts, cmd, ifs[i].sw, &sw) < 0) {
			umx_xs_close(xs);
			return -1;
		}
		r = umx_net_attach(xs, rn->pump.domid, sw, (int)i,
		                   ifs[i].have_mac ? ifs[i].mac : NULL);
		if (r < 0) {
			fprintf(stderr, "%s: --net '%s': attaching to %s: %s\n", cmd,
			        tool_show(ifs[i].spec), tool_show(ifs[i].sw), strerror(-r));
			umx_xs_close(xs);
			return -1;
		}
	}
	umx_xs_close(xs);
	if (await_reports(cmd, rn, ifs, rep) < 0)
		return -1;
	for (unsigned i = 0; i < nifs; i++) {
		struct umx_spawn_if *f = &rn->ifs[i];

		*f = ifs[i].ifc;
		snprintf(f->name, sizeof(f->name), "eth%u", i);
		memcpy(f->mac, rep[i].mac, 6);
		if (ifs[i].dhcp) {
			memcpy(f->addr4, rep[i].addr, 4);
			f->prefix4 = rep[i].prefix;
			memcpy(f->gw4, rep[i].router, 4);
			if (!have_dns &&
			    (rep[i].dns[0] | rep[i].dns[1] | rep[i].dns[2] | rep[i].dns[3])) {
				memcpy(dns, rep[i].dns, 4);
				have_dns = true;
			}
		}
		if (ifs[i].have_dns && !have_dns) {
			memcpy(dns, ifs[i].dns, 4);
			have_dns = true;
		}
	}
	if (have_dns && resolv_make(cmd, ts, dns, rn) < 0)
		return -1;
	return 0;
}

int run_net_started(const char *cmd, umx_conn *ts, struct run_net *rn, uint32_t domid)
{
	umx_xs *xs = NULL;
	int r = umx_msg_send(rn->sock, 0, 0, NULL, 0, rn->fds, rn->nifs);

	if (r < 0) {
		fprintf(stderr, "%s: --net: handing the interfaces to the pump: %s\n", cmd,
		        strerror(-r));
		r = -1;
	}
	for (unsigned i = 0; i < rn->nifs; i++) {
		close(rn->fds[i]);
		rn->fds[i] = -1;
	}
	/* The domain holds its bind; the name on the host can go. */
	if (rn->resolv[0]) {
		unlink(rn->resolv);
		rn->resolv[0] = 0;
	}
	/* For `umx net list`: whose interface each of the pump's vifs is. */
	if (r == 0 && tool_store_of(ts, &xs) == 0) {
		for (unsigned i = 0; i < rn->nifs; i++) {
			const struct umx_spawn_if *f = &rn->ifs[i];
			char dir[96], path[128], v[96], a[INET6_ADDRSTRLEN];
			int k = 0;

			snprintf(dir, sizeof(dir), "/local/domain/%u/device/vif/%u", rn->pump.domid,
			         i);
			snprintf(path, sizeof(path), "%s/umx-domain", dir);
			snprintf(v, sizeof(v), "%u", domid);
			umx_xs_write_str(xs, UMX_XS_NO_TX, path, v);
			snprintf(path, sizeof(path), "%s/umx-ifname", dir);
			umx_xs_write_str(xs, UMX_XS_NO_TX, path, f->name);
			v[0] = 0;
			if (f->prefix4 && inet_ntop(AF_INET, f->addr4, a, sizeof(a)))
				k += snprintf(v + k, sizeof(v) - (size_t)k, "%s/%u", a, f->prefix4);
			if (f->prefix6 && inet_ntop(AF_INET6, f->addr6, a, sizeof(a)) && k >= 0 &&
			    (size_t)k < sizeof(v))
				snprintf(v + k, sizeof(v) - (size_t)k, "%s%s/%u", k ? "," : "", a,
				         f->prefix6);
			snprintf(path, sizeof(path), "%s/umx-ip", dir);
			umx_xs_write_str(xs, UMX_XS_NO_TX, path, v[0] ? v : "-");
		}
		umx_xs_close(xs);
	}
	return r;
}

void run_net_stop(umx_conn *ts, struct run_net *rn)
{
	int st;

	for (unsigned i = 0; i < UMX_SPAWN_IFS_MAX; i++)
		if (rn->fds[i] >= 0) {
			close(rn->fds[i]);
			rn->fds[i] = -1;
		}
	if (rn->resolv[0]) {
		unlink(rn->resolv);
		rn->resolv[0] = 0;
	}
	for (unsigned i = 0; i < rn->nbinds; i++)
		if (rn->binds[i].dst && rn->binds[i].src == rn->resolv &&
		    strcmp(rn->binds[i].dst, "/etc/resolv.conf") != 0)
			free((char *)rn->binds[i].dst);
	rn->nbinds = 0;
	if (rn->sock >= 0) {
		close(rn->sock);
		rn->sock = -1;
	}
	if (rn->pump_running) {
		umx_domain_proc_signal(&rn->pump, SIGKILL);
		umx_domain_proc_wait(ts, &rn->pump, &st);
		rn->pump_running = false;
	}
}

/* ---- the pump (a domain of its own) -------------------------------------- */

/* A frame as the TAP device reads and writes it: a virtio_net_hdr, then
 * the frame (IFF_VNET_HDR). */
#define VNET_HLEN sizeof(struct virtio_net_hdr)
static uint8_t vbuf[VNET_HLEN + UMX_NET_FRAME_MAX + 1];
static uint8_t *const rx_frame = vbuf + VNET_HLEN;

static void report(int sock, struct pump_report *m)
{
	(void)!send(sock, m, sizeof(*m), MSG_NOSIGNAL);
}

/* Obtain a lease on @nf: DISCOVER, OFFER, REQUEST, ACK, with retries
 * (1, 2, 4, 4... s). 0 with *@l, or -ETIMEDOUT / -errno. */
static int dhcp_lease(umx_netfront *nf, const uint8_t mac[6], struct dhcp_lease *l)
{
	uint8_t out[DHCP_FRAME_MAX];
	struct dhcp_lease offer = {0};
	int type = DHCP_DISCOVER;
	uint32_t xid;

	if (getrandom(&xid, sizeof(xid), 0) != sizeof(xid))
		xid = (uint32_t)umx_clock_ns();
	for (unsigned attempt = 0; attempt < 8; attempt++) {
		uint64_t deadline = umx_clock_ms() + (attempt < 3 ? 1000u << attempt : 4000u);
		size_t len = dhcp_build(out, type, mac, xid, type == DHCP_REQUEST ? &offer : NULL);
		int r;

		for (int k = 0; (r = umx_netfront_send(nf, out, len)) == -EAGAIN && k < 20; k++)
			umx_netfront_wait(nf, 5);
		if (r < 0 && r != -EAGAIN)
			return r;
		while (umx_clock_ms() < deadline) {
			int n, t;

			r = umx_netfront_wait(nf, (int)(deadline - umx_clock_ms()));
			if (r == -ENOTCONN || r == -ENODEV)
				return r;
			while ((n = umx_netfront_recv(nf, rx_frame, UMX_NET_FRAME_MAX)) > 0 ||
			       n == -EMSGSIZE) {
				if (n <= 0)
					continue;
				t = dhcp_parse(rx_frame, (size_t)n, mac, xid, l);
				if (type == DHCP_DISCOVER && t == DHCP_OFFER) {
					offer = *l;
					type = DHCP_REQUEST;
					attempt = 0;
					goto next;
				}
				if (type == DHCP_REQUEST && t == DHCP_ACK &&
				    !memcmp(l->addr, offer.addr, 4))
					return 0;
				if (type == DHCP_REQUEST && t == DHCP_NAK) {
					type = DHCP_DISCOVER;
					goto next;
				}
			}
			if (umx_netfront_broken(nf))
				return -EPROTO;
		}
	next:;
	}
	return -ETIMEDOUT;
}

/* The launcher's message with the @n TAP descriptors (framed and counted by
 * umx_msg: a wrong count closes what came). 0, -EPIPE when the launcher
 * gave up, or -errno. */
static int recv_fds(int sock, int *fds, unsigned n)
{
	struct umx_msg *m = malloc(sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	r = umx_msg_recv(sock, m);
	if (r == -ECONNRESET)
		r = -EPIPE;
	else if (r == 0 && m->nfds != n) {
		umx_msg_close_fds(m);
		r = -EPROTO;
	} else if (r == 0)
		for (unsigned i = 0; i < n; i++)
			fds[i] = umx_msg_take_fd(m, i);
	free(m);
	return r;
}

static volatile sig_atomic_t pump_stop;

static void on_stop(int sig)
{
	(void)sig;
	pump_stop = 1;
}

/* What the TAP device may hand us: the offloads the backend takes. */
static int tap_offloads(int tap, unsigned off)
{
	unsigned long f = 0;

	if (off & (UMX_NET_OFF_CSUM4 | UMX_NET_OFF_CSUM6))
		f |= TUN_F_CSUM;
	if ((off & UMX_NET_OFF_GSO4) && (f & TUN_F_CSUM))
		f |= TUN_F_TSO4;
	if ((off & UMX_NET_OFF_GSO6) && (f & TUN_F_CSUM))
		f |= TUN_F_TSO6;
	return ioctl(tap, TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

/* Complete a partial checksum ourselves (the backend does not take it for
 * this family, or netif cannot say where it is): the sum from @start to the
 * end, folded into the field at @start + @off, which holds the
 * pseudo-header's sum (as Linux's skb_checksum_help). */
static int csum_complete(uint8_t *f, size_t len, size_t start, size_t off)
{
	uint32_t acc = 0;

	if (start >= len || off + 2 > len - start)
		return -EINVAL;
	for (size_t i = start; i + 1 < len; i += 2)
		acc += (uint32_t)f[i] << 8 | f[i + 1];
	if ((len - start) & 1)
		acc += (uint32_t)f[len - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	acc = ~acc & 0xffff;
	f[start + off] = (uint8_t)(acc >> 8);
	f[start + off + 1] = (uint8_t)acc;
	return 0;
}

/* The TAP's virtio_net_hdr @h for the @len bytes at @frame as netif offloads
 * in *@m, given what the backend takes (@off). The kernel wrote both;
 * still, every offset is checked. 0, or -EINVAL for a frame netif cannot
 * carry. */
static int from_vnet(const struct virtio_net_hdr *h, uint8_t *frame, size_t len, unsigned off,
                     struct umx_net_meta *m)
{
	unsigned start, coff, hlen;
	bool v6 = len >= 14 && frame[12] == 0x86 && frame[13] == 0xdd;

	memset(m, 0, sizeof(*m));
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		if (h->gso_type == VIRTIO_NET_HDR_GSO_TCPV4)
			m->gso_type = UMX_NET_GSO_TCPV4;
		else if (h->gso_type == VIRTIO_NET_HDR_GSO_TCPV6)
			m->gso_type = UMX_NET_GSO_TCPV6;
		else
			return -EINVAL; /* ECN, UDP: never offered to the kernel */
		m->gso_size = h->gso_size;
	}
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* netif names no offsets: the backend finds the L4 header, so it
		 * must be where a parse finds it; else we complete it here. */
		if (umx_net_csum_offsets(frame, len, &start, &coff, &hlen) == 0 &&
		    start == h->csum_start && coff == h->csum_offset &&
		    (off & (v6 ? UMX_NET_OFF_CSUM6 : UMX_NET_OFF_CSUM4))) {
			m->flags |= UMX_NET_F_CSUM_BLANK;
		} else if (m->gso_size ||
		           csum_complete(frame, len, h->csum_start, h->csum_offset) < 0) {
			return -EINVAL;
		}
	} else if (m->gso_size) {
		return -EINVAL;
	} else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		m->flags |= UMX_NET_F_DATA_VALID;
	}
	return 0;
}

/* A virtio_net_hdr for the @len bytes at @frame received with offloads @m; 0
 * or -EINVAL (a partial checksum whose place the headers do not show). */
static int to_vnet(struct virtio_net_hdr *h, const uint8_t *frame, size_t len,
                   const struct umx_net_meta *m)
{
	unsigned start, coff, hlen;

	memset(h, 0, sizeof(*h));
	if (m->flags & UMX_NET_F_CSUM_BLANK) {
		if (umx_net_csum_offsets(frame, len, &start, &coff, &hlen) < 0)
			return -EINVAL;
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = (uint16_t)start;
		h->csum_offset = (uint16_t)coff;
		if (m->gso_size) {
			h->gso_type = m->gso_type == UMX_NET_GSO_TCPV6 ? VIRTIO_NET_HDR_GSO_TCPV6
			                                               : VIRTIO_NET_HDR_GSO_TCPV4;
			h->gso_size = m->gso_size;
			h->hdr_len = (uint16_t)hlen;
		}
	} else if (m->flags & UMX_NET_F_DATA_VALID) {
		h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
	}
	return 0;
}

/* One interface of the pump: its netfront, its TAP descriptor, and a frame
 * read from the TAP that the TX ring had no room for yet. */
struct pif {
	umx_netfront *nf;
	uint64_t lost;
	size_t pend_len;
	int tap;
	unsigned off; /* what the backend takes (UMX_NET_OFF_*) */
	bool pending;
	struct umx_net_meta pend_m;
	uint8_t pend[VNET_HLEN + UMX_NET_FRAME_MAX + 1];
};

/* Frames of one interface both ways, a bounded number per call: the
 * netfront's with their offloads as the TAP's virtio_net_hdr, and back. A
 * full TX ring holds the frame and stops reading the TAP until the backend
 * answers (the kernel's queue pushes back on the domain's TCP, which loses
 * nothing). Returns true when either direction had more than the budget
 * (poll again at once). */
static bool pump_once(struct pif *pi)
{
	struct virtio_net_hdr *h = (struct virtio_net_hdr *)vbuf;
	struct umx_net_meta m;
	bool busy = false;
	int i, r;

	for (i = 0; i < 256; i++) {
		int len = umx_netfront_recv_meta(pi->nf, rx_frame, UMX_NET_FRAME_MAX, &m);
		if (len == -EMSGSIZE)
			continue;
		if (len < 0)
			break;
		if (to_vnet(h, rx_frame, (size_t)len, &m) < 0 ||
		    write(pi->tap, vbuf, VNET_HLEN + (size_t)len) !=
		            (ssize_t)(VNET_HLEN + (size_t)len))
			pi->lost++;
	}
	busy |= i == 256;
	if (pi->pending) {
		r = umx_netfront_send_meta(pi->nf, pi->pend + VNET_HLEN, pi->pend_len, &pi->pend_m);
		if (r == -EAGAIN)
			return busy;
		if (r < 0)
			pi->lost++;
		pi->pending = false;
	}
	for (i = 0; i < 256; i++) {
		ssize_t n = read(pi->tap, pi->pend, sizeof(pi->pend));
		size_t len;
		if (n < 0)
			break;
		len = n > (ssize_t)VNET_HLEN ? (size_t)n - VNET_HLEN : 0;
		if (len < UMX_NET_ETH_HLEN || len > UMX_NET_FRAME_MAX ||
		    from_vnet((struct virtio_net_hdr *)pi->pend, pi->pend + VNET_HLEN, len, pi->off,
		              &pi->pend_m) < 0) {
			pi->lost++;
			continue;
		}
		r = umx_netfront_send_meta(pi->nf, pi->pend + VNET_HLEN, len, &pi->pend_m);
		if (r == -EAGAIN) {
			pi->pending = true;
			pi->pend_len = len;
			return busy;
		}
		if (r < 0)
			pi->lost++;
	}
	busy |= i == 256;
	return busy;
}

int run_net_pump(int argc, char **argv)
{
	umx_netfront *nf[UMX_SPAWN_IFS_MAX] = {0};
	int tap[UMX_SPAWN_IFS_MAX] = {0}, sock, r, rc = 1;
	static struct pif pifs[UMX_SPAWN_IFS_MAX];
	unsigned n;
	umx_plat *p = NULL;
	bool busy = false;
	char *end;

	if (argc < 3 || argc - 2 > (int)UMX_SPAWN_IFS_MAX) {
		fprintf(stderr, "umx net pump: started by umx run --net only\n");
		return 2;
	}
	sock = (int)strtol(argv[1], &end, 10);
	if (*end || sock < 3 || fcntl(sock, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "umx net pump: no socket from umx run\n");
		return 2;
	}
	n = (unsigned)argc - 2;
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGPIPE, SIG_IGN);
	if ((r = umx_plat_open(NULL, &p)) < 0) {
		fprintf(stderr, "umx net pump: platform: %s\n", strerror(-r));
		return 1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct pump_report m = {.handle = i};
		struct dhcp_lease l = {0};

		/* Every offload the TAP device can pass on: partial checksums
		 * and TCP GSO, both IP versions. */
		r = umx_netfront_open_offload(p, i, 30000,
		                              UMX_NET_OFF_CSUM4 | UMX_NET_OFF_CSUM6 |
		                                      UMX_NET_OFF_GSO4 | UMX_NET_OFF_GSO6,
		                              &nf[i]);
		if (r < 0) {
			m.result = r;
			snprintf(m.why, sizeof(m.why), "the netfront did not connect: %s%s",
			         strerror(-r),
			         r == -ENOENT || r == -ETIMEDOUT ? " (is the switch running?)"
			                                         : "");
			report(sock, &m);
			goto out;
		}
		umx_netfront_mac(nf[i], m.mac);
		if (!strcmp(argv[2 + i], "dhcp")) {
			r = dhcp_lease(nf[i], m.mac, &l);
			if (r < 0) {
				m.result = r;
				snprintf(m.why, sizeof(m.why),
				         "no DHCP lease from the switch's router: %s%s",
				         strerror(-r),
				         r == -ETIMEDOUT ? " (give ip=ADDR/PREFIX, or put a router "
				                           "such as umx-slirp on the switch)"
				                         : "");
				report(sock, &m);
				goto out;
			}
			memcpy(m.addr, l.addr, 4);
			memcpy(m.router, l.router, 4);
			memcpy(m.dns, l.dns, 4);
			m.prefix = l.prefix;
			m.lease_s = l.lease_s;
		}
		report(sock, &m);
	}
	if ((r = recv_fds(sock, tap, n)) < 0) {
		rc = r == -EPIPE ? 0 : 1; /* the launcher gave up: no error of ours */
		goto out;
	}
	close(sock);
	sock = -1;
	for (unsigned i = 0; i < n; i++) {
		struct pif *pi = &pifs[i];

		fcntl(tap[i], F_SETFL, O_NONBLOCK);
		pi->nf = nf[i];
		pi->tap = tap[i];
		pi->off = umx_netfront_offloads(nf[i]);
		if ((r = tap_offloads(tap[i], pi->off)) < 0) {
			/* Still correct without: the kernel completes and
			 * segments everything itself. */
			fprintf(stderr, "umx net pump: eth%u: offloads: %s\n", i, strerror(-r));
			pi->off = 0;
		}
	}
	while (!pump_stop) {
		struct pollfd pf[UMX_SPAWN_IFS_MAX + 2];

		pf[0].fd = umx_plat_evtchn_fd(p);
		pf[1].fd = umx_xs_fd(umx_plat_xs(p));
		pf[0].events = pf[1].events = POLLIN;
		for (unsigned i = 0; i < n; i++) {
			/* A frame waiting for TX room: the TAP waits too. */
			pf[2 + i].fd = pifs[i].pending ? -1 : tap[i];
			pf[2 + i].events = POLLIN;
		}
		if (poll(pf, 2 + n, busy ? 0 : 1000) < 0 && errno != EINTR)
			break;
		busy = false;
		for (unsigned i = 0; i < n; i++) {
			r = umx_netfront_wait(nf[i], 0);
			if (r == -ENOTCONN || r == -ENODEV) {
				fprintf(stderr, "umx net pump: eth%u: %s\n", i,
				        r == -ENOTCONN ? "the store is gone (umxd stopped)"
				                       : "the switch is gone");
				goto out;
			}
			busy |= pump_once(&pifs[i]);
			if (umx_netfront_broken(nf[i])) {
				fprintf(stderr, "umx net pump: eth%u: netfront broken: %s\n", i,
				        umx_netfront_broken(nf[i]));
				goto out;
			}
		}
	}
	rc = 0;
out:
	for (unsigned i = 0; i < n; i++) {
		struct umx_net_stats st;
		if (!nf[i])
			continue;
		umx_netfront_stats(nf[i], &st);
		fprintf(stderr, "umx net pump: eth%u: %llu frames sent, %llu received, %llu lost\n",
		        i, (unsigned long long)st.tx_frames, (unsigned long long)st.rx_frames,
		        (unsigned long long)pifs[i].lost);
		umx_netfront_close(nf[i]);
	}
	umx_plat_close(p);
	if (sock >= 0)
		close(sock);
	return rc;
}
