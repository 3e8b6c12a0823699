/* SPDX-License-Identifier: MIT */
/*
 * umx-slirp — a user-mode NAT router domain: one netfront vif on the
 * switch, Debian's libslirp behind it. No root needed.
 *
 *   umx run --name slirp -- umx-slirp --forward tcp:8080:10.0.2.15:80 &
 *   umx net attach <slirp domid> <switch domid>
 *
 * Domains on the switch reach the host through slirp (outbound TCP/UDP is
 * NATed onto the host's sockets; 10.0.2.2 is the host's loopback), get an
 * address by DHCP and names by DNS as slirp provides (10.0.2.3), and the
 * host reaches a domain's service through --forward, i.e. slirp's hostfwd:
 * a listening socket on the host whose connections slirp carries into the
 * virtual network.
 *
 * The loop: poll the netfront's event channel and store descriptors plus
 * every descriptor slirp asks for (slirp_pollfds_fill), slirp's timers run
 * from the same loop, received frames go to slirp_input, and slirp's frames
 * leave through umx_netfront_send. Bad frames from a domain are slirp's to
 * reject; nothing here parses them.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <slirp/libslirp.h>

#include "umx/internal/clock.h"
#include "umx/log.h"
#include "umx/net.h"
#include "umx/platform.h"
#include "prog.h"

#define PFD_MAX     1024
#define RX_BUDGET   256
#define FORWARD_MAX 32

struct rtimer {
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms; /* -1: disarmed */
	struct rtimer *next;
};

struct router {
	umx_plat *p;
	umx_netfront *nf;
	Slirp *slirp;
	struct pollfd pfd[PFD_MAX];
	int npfd;
	struct rtimer *timers;
	uint64_t to_slirp, from_slirp, tx_lost, too_many_fds;
	uint8_t frame[UMX_NET_FRAME_MAX];
};

/* ---- slirp's callbacks -------------------------------------------------- */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct router *rt = opaque;
	int r;

	if (len < UMX_NET_ETH_HLEN || len > UMX_NET_FRAME_MAX)
		return (ssize_t)len; /* not a frame the vif can carry: drop */
	/* A full TX ring: give the switch a moment, then drop (slirp's TCP
	 * retransmits, as from a real NIC). */
	for (int i = 0; (r = umx_netfront_send(rt->nf, buf, len)) == -EAGAIN && i < 20; i++)
		umx_netfront_wait(rt->nf, 5);
	if (r < 0)
		rt->tx_lost++;
	else
		rt->from_slirp++;
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	umx_warn("slirp: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return (int64_t)umx_clock_ns();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct router *rt = opaque;
	struct rtimer *t = calloc(1, sizeof(*t));

	if (!t) {
		fprintf(stderr, "umx-slirp: out of memory for a timer\n");
		abort();
	}
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = rt->timers;
	rt->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct router *rt = opaque;

	for (struct rtimer **pp = &rt->timers; *pp; pp = &(*pp)->next) {
		if (*pp == timer) {
			*pp = ((struct rtimer *)timer)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	((struct rtimer *)timer)->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb callbacks = {
        .send_packet = cb_send_packet,
        .guest_error = cb_guest_error,
        .clock_get_ns = cb_clock_get_ns,
        .timer_new = cb_timer_new,
        .timer_free = cb_timer_free,
        .timer_mod = cb_timer_mod,
        .register_poll_fd = cb_register_poll_fd,
        .unregister_poll_fd = cb_unregister_poll_fd,
        .notify = cb_notify,
};

/* ---- poll glue ---------------------------------------------------------- */
static int to_poll(int ev)
{
	return ((ev & SLIRP_POLL_IN) ? POLLIN : 0) | ((ev & SLIRP_POLL_OUT) ? POLLOUT : 0) |
	       ((ev & SLIRP_POLL_PRI) ? POLLPRI : 0);
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct router *rt = opaque;

	if (rt->npfd == PFD_MAX) {
		rt->too_many_fds++;
		return -1; /* slirp skips that socket this round */
	}
	rt->pfd[rt->npfd].fd = fd;
	rt->pfd[rt->npfd].events = (short)to_poll(events);
	rt->pfd[rt->npfd].revents = 0;
	return rt->npfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct router *rt = opaque;
	int re, ev = 0;

	if (idx < 0 || idx >= rt->npfd)
		return 0;
	re = rt->pfd[idx].revents;
	ev |= (re & POLLIN) ? SLIRP_POLL_IN : 0;
	ev |= (re & POLLOUT) ? SLIRP_POLL_OUT : 0;
	ev |= (re & POLLPRI) ? SLIRP_POLL_PRI : 0;
	ev |= (re & (POLLERR | POLLNVAL)) ? SLIRP_POLL_ERR : 0;
	ev |= (re & POLLHUP) ? SLIRP_POLL_HUP : 0;
	return ev;
}

static void run_timers(struct router *rt)
{
	int64_t now = (int64_t)umx_clock_ms();
	bool again = true;

	/* A callback may free or re-arm timers: restart the walk after each. */
	while (again) {
		again = false;
		for (struct rtimer *t = rt->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				t->cb(t->cb_opaque);
				again = true;
				break;
			}
		}
	}
}

static uint32_t next_timer_ms(const struct router *rt, uint32_t timeout)
{
	int64_t now = (int64_t)umx_clock_ms();

	for (const struct rtimer *t = rt->timers; t; t = t->next) {
		if (t->expire_ms < 0)
			continue;
		if (t->expire_ms <= now)
			return 0;
		if (t->expire_ms - now < (int64_t)timeout)
			timeout = (uint32_t)(t->expire_ms - now);
	}
	return timeout;
}

/* Frames from the switch into slirp; true when the budget ran out. */
static bool drain(struct router *rt)
{
	for (int i = 0; i < RX_BUDGET; i++) {
		int n = umx_netfront_recv(rt->nf, rt->frame, sizeof(rt->frame));

		if (n == -EMSGSIZE)
			continue;
		if (n < 0)
			return false;
		rt->to_slirp++;
		slirp_input(rt->slirp, rt->frame, n);
	}
	return true;
}

/* ---- options ------------------------------------------------------------ */
struct forward {
	int udp;
	struct in_addr host, guest;
	int host_port, guest_port;
};

struct forwards {
	struct forward f[FORWARD_MAX];
	unsigned n;
};

/* [tcp:|udp:][HOSTADDR:]HOSTPORT:GUESTIP:GUESTPORT */
static int parse_forward(const char *arg, struct forward *f)
{
	char buf[128], *fld[5], *save = NULL, *tok;
	int n = 0;
	const char *s = arg;

	memset(f, 0, sizeof(*f));
	f->host.s_addr = htonl(INADDR_LOOPBACK);
	if (strncmp(s, "tcp:", 4) == 0) {
		s += 4;
	} else if (strncmp(s, "udp:", 4) == 0) {
		f->udp = 1;
		s += 4;
	}
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ":", &save); tok && n < 5; tok = strtok_r(NULL, ":", &save))
		fld[n++] = tok;
	if (tok || n < 3 || n > 4)
		return -EINVAL;
	if (n == 4 && inet_pton(AF_INET, fld[0], &f->host) != 1)
		return -EINVAL;
	f->host_port = atoi(fld[n - 3]);
	if (inet_pton(AF_INET, fld[n - 2], &f->guest) != 1)
		return -EINVAL;
	f->guest_port = atoi(fld[n - 1]);
	if (f->host_port <= 0 || f->host_port > 65535 || f->guest_port <= 0 ||
	    f->guest_port > 65535)
		return -EINVAL;
	return 0;
}

/* --forward, repeatable. */
static int opt_forward(const char *arg, void *dst)
{
	struct forwards *fw = dst;

	if (fw->n == FORWARD_MAX || parse_forward(arg, &fw->f[fw->n]) < 0)
		return -EINVAL;
	fw->n++;
	return 0;
}

static int opt_ip(const char *arg, void *dst)
{
	return inet_pton(AF_INET, arg, dst) == 1 ? 0 : -EINVAL;
}

/* --net A.B.C.D[/LEN], LEN 8..30 (default 24). */
struct net_opt {
	struct in_addr *net;
	int *prefix;
};

static int opt_net(const char *arg, void *dst)
{
	const struct net_opt *o = dst;
	char buf[INET_ADDRSTRLEN + 4], *slash;
	int prefix = 24;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		prefix = atoi(slash + 1);
	}
	if (opt_ip(buf, o->net) < 0 || prefix < 8 || prefix > 30)
		return -EINVAL;
	*o->prefix = prefix;
	return 0;
}

static const char usage[] =
        "usage: umx-slirp [--forward [tcp:|udp:][HOSTADDR:]HOSTPORT:GUESTIP:GUESTPORT]...\n"
        "                 [--net 10.0.2.0/24] [--host 10.0.2.2] [--dhcp-start 10.0.2.15]\n"
        "                 [--dns 10.0.2.3] [--restrict] [--handle N]\n"
        "Run it as a domain (umx run) and attach its vif to a switch domain.\n";

int main(int argc, char **argv)
{
	static struct router rt;
	static struct forwards fw;
	unsigned handle = 0;
	SlirpConfig cfg;
	int r, prefix = 24, rc = 1;
	bool restrict_ = false;
	struct net_opt net = {&cfg.vnetwork, &prefix};
	const struct prog_opt opts[] = {
	        PROG_OPT_FN("forward", opt_forward, &fw),
	        PROG_OPT_FN("net", opt_net, &net),
	        PROG_OPT_FN("host", opt_ip, &cfg.vhost),
	        PROG_OPT_FN("dhcp-start", opt_ip, &cfg.vdhcp_start),
	        PROG_OPT_FN("dns", opt_ip, &cfg.vnameserver),
	        PROG_OPT("restrict", PROG_FLAG, &restrict_),
	        PROG_OPT("handle", PROG_UINT, &handle),
	        PROG_OPT_END,
	};

	memset(&cfg, 0, sizeof(cfg));
	cfg.version = 4;
	cfg.in_enabled = true;
	opt_ip("10.0.2.0", &cfg.vnetwork);
	opt_ip("10.0.2.2", &cfg.vhost);
	opt_ip("10.0.2.15", &cfg.vdhcp_start);
	opt_ip("10.0.2.3", &cfg.vnameserver);
	cfg.vhostname = "umx";
	cfg.if_mtu = 1500;
	cfg.if_mru = 1500;
	if (prog_parse("umx-slirp", argc, argv, opts, usage) < 0)
		return 2;
	cfg.restricted = restrict_;
	cfg.vnetmask.s_addr = htonl(~(0xffffffffu >> prefix));
	prog_start("umx-slirp");
	signal(SIGPIPE, SIG_IGN);

	if (prog_platform_open("umx-slirp", &rt.p) < 0)
		return 1;
	/* Waits for the toolstack to attach the vif, too. */
	if ((r = umx_netfront_open(rt.p, handle, 30000, &rt.nf)) < 0) {
		fprintf(stderr, "umx-slirp: vif %u: %s\n", handle, strerror(-r));
		goto out;
	}
	rt.slirp = slirp_new(&cfg, &callbacks, &rt);
	if (!rt.slirp) {
		fprintf(stderr, "umx-slirp: slirp_new failed\n");
		goto out;
	}
	for (unsigned i = 0; i < fw.n; i++) {
		char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &fw.f[i].host, h, sizeof(h));
		inet_ntop(AF_INET, &fw.f[i].guest, g, sizeof(g));
		if (slirp_add_hostfwd(rt.slirp, fw.f[i].udp, fw.f[i].host, fw.f[i].host_port,
		                      fw.f[i].guest, fw.f[i].guest_port) < 0) {
			fprintf(stderr, "umx-slirp: cannot forward %s:%d (in use?)\n", h,
			        fw.f[i].host_port);
			goto out;
		}
		fprintf(stderr, "umx-slirp: forward %s %s:%d -> %s:%d\n",
		        fw.f[i].udp ? "udp" : "tcp", h, fw.f[i].host_port, g, fw.f[i].guest_port);
	}
	{
		char n[INET_ADDRSTRLEN], h[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &cfg.vnetwork, n, sizeof(n));
		inet_ntop(AF_INET, &cfg.vhost, h, sizeof(h));
		fprintf(stderr, "umx-slirp: domain %u: slirp %s on %s/%d, gateway %s\n",
		        umx_plat_domid(rt.p), slirp_version_string(), n, prefix, h);
	}

	bool busy = false;
	while (!prog_stop) {
		uint32_t timeout = busy ? 0 : 1000;
		int n;

		rt.npfd = 0;
		cb_add_poll(umx_netfront_fd(rt.nf), SLIRP_POLL_IN, &rt);
		cb_add_poll(umx_xs_fd(umx_plat_xs(rt.p)), SLIRP_POLL_IN, &rt);
		slirp_pollfds_fill(rt.slirp, &timeout, cb_add_poll, &rt);
		timeout = next_timer_ms(&rt, timeout);
		n = poll(rt.pfd, (nfds_t)rt.npfd, (int)timeout);
		slirp_pollfds_poll(rt.slirp, n < 0, cb_get_revents, &rt);
		if (busy || (n > 0 && (rt.pfd[0].revents || rt.pfd[1].revents))) {
			r = umx_netfront_wait(rt.nf, 0);
			if (r == -ENOTCONN || r == -ENODEV) {
				fprintf(stderr, "umx-slirp: %s\n",
				        r == -ENOTCONN ? "the store is gone (umxd stopped)"
				                       : "the switch is gone (its domain died, or "
				                         "the vif was detached)");
				goto out;
			}
		}
		busy = drain(&rt);
		run_timers(&rt);
		if (umx_netfront_broken(rt.nf)) {
			fprintf(stderr, "umx-slirp: netfront broken: %s\n",
			        umx_netfront_broken(rt.nf));
			goto out;
		}
	}
	fprintf(stderr,
	        "umx-slirp: frames to slirp %" PRIu64 ", from slirp %" PRIu64 " (lost %" PRIu64
	        ")\n",
	        rt.to_slirp, rt.from_slirp, rt.tx_lost);
	rc = 0;
out:
	if (rt.slirp)
		slirp_cleanup(rt.slirp);
	while (rt.timers) {
		struct rtimer *t = rt.timers;

		rt.timers = t->next;
		free(t);
	}
	umx_netfront_close(rt.nf);
	umx_plat_close(rt.p);
	return rc;
}
