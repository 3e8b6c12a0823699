/* SPDX-License-Identifier: MIT */
/*
 * lwIP netif over a umx netfront (umx_lwip.h): frames out through
 * linkoutput, frames in from the netfront's receive queue, lwIP's timers
 * run from the same loop. No tcpip thread: this thread owns the stack.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "umx/log.h"
#include "lwip_inc.h"

/* Frames read per round before lwIP's timers and the caller get a turn. */
#define RX_BUDGET 256
/* A frame on this netif: MTU + Ethernet header + a VLAN tag. */
#define RX_FRAME_MAX (1500 + UMX_NET_ETH_HLEN + 4)
/* How long linkoutput waits for TX ring room before dropping the frame
 * (TCP retransmits it); the backend is another process, so room comes. */
#define TX_WAIT_MS 2000

struct umx_lwip {
	umx_plat *p;
	umx_netfront *nf;
	struct netif netif;
	struct pbuf *spare; /* an RX pbuf kept across empty polls */
	struct umx_lwip_stats st;
};

static umx_lwip *the_stack; /* lwIP is process-wide: one binding */

int umx_lwip_parse_cidr(const char *s, uint32_t *addr, uint32_t *mask)
{
	char buf[32];
	char *slash, *end;
	long len = 24;
	struct in_addr a;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || len < 1 || len > 32)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	*addr = a.s_addr;
	*mask = htonl(len == 32 ? 0xffffffffu : ~(0xffffffffu >> len));
	return 0;
}

static err_t ulw_linkoutput(struct netif *netif, struct pbuf *p)
{
	umx_lwip *l = netif->state;
	struct iovec iov[UMX_NET_SLOTS_MAX];
	unsigned n = 0;
	int r, waited = 0;

	/* One slot per pbuf piece, each at most a page (netif.h's rule). */
	for (struct pbuf *q = p; q; q = q->next) {
		for (size_t off = 0; off < q->len; off += 4096) {
			if (n == UMX_NET_SLOTS_MAX) {
				l->st.tx_dropped++;
				return ERR_IF;
			}
			iov[n].iov_base = (uint8_t *)q->payload + off;
			iov[n].iov_len = q->len - off < 4096 ? q->len - off : 4096;
			n++;
		}
	}
	while ((r = umx_netfront_sendv(l->nf, iov, n)) == -EAGAIN && waited < TX_WAIT_MS) {
		l->st.tx_ring_full++;
		if (umx_netfront_wait(l->nf, 10) == -ETIMEDOUT)
			waited += 10;
	}
	if (r < 0) {
		l->st.tx_dropped++;
		return r == -EAGAIN ? ERR_MEM : ERR_IF;
	}
	l->st.tx_frames++;
	return ERR_OK;
}

static err_t ulw_init(struct netif *netif)
{
	umx_lwip *l = netif->state;

	netif->name[0] = 'u';
	netif->name[1] = 'x';
	netif->mtu = 1500;
	netif->hwaddr_len = ETH_HWADDR_LEN;
	umx_netfront_mac(l->nf, netif->hwaddr);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
	               NETIF_FLAG_IGMP | NETIF_FLAG_LINK_UP;
	netif->output = etharp_output;
	netif->linkoutput = ulw_linkoutput;
	return ERR_OK;
}

/* Move up to RX_BUDGET frames from the netfront into lwIP; the count, or
 * -errno from the netfront (not -EAGAIN). */
static int feed(umx_lwip *l)
{
	int done = 0;

	while (done < RX_BUDGET) {
		struct pbuf *p = l->spare;
		int n;

		if (!p) {
			/* PBUF_RAM: one contiguous buffer, so the netfront copies
			 * the frame straight into lwIP's packet. */
			p = pbuf_alloc(PBUF_RAW, RX_FRAME_MAX, PBUF_RAM);
			if (!p) {
				l->st.rx_dropped++;
				return done;
			}
		}
		l->spare = NULL;
		n = umx_netfront_recv(l->nf, p->payload, RX_FRAME_MAX);
		if (n == -EMSGSIZE) {
			l->st.rx_dropped++;
			l->spare = p;
			continue;
		}
		if (n < 0) {
			l->spare = p;
			return n == -EAGAIN ? done : n;
		}
		pbuf_realloc(p, (u16_t)n);
		l->st.rx_frames++;
		done++;
		if (l->netif.input(p, &l->netif) != ERR_OK)
			pbuf_free(p);
	}
	return done;
}

static void sync_link(umx_lwip *l)
{
	bool up = umx_netfront_link_up(l->nf);

	if (up && !netif_is_link_up(&l->netif))
		netif_set_link_up(&l->netif);
	else if (!up && netif_is_link_up(&l->netif))
		netif_set_link_down(&l->netif);
}

int umx_lwip_poll(umx_lwip *l, int timeout_ms)
{
	u32_t next;
	int r, wait;

	r = feed(l);
	sys_check_timeouts();
	if (r < 0 && r != -ENOTCONN)
		return r;
	next = sys_timeouts_sleeptime();
	wait = timeout_ms;
	if (r > 0)
		wait = 0;
	else if (next != SYS_TIMEOUTS_SLEEPTIME_INFINITE && (wait < 0 || next < (u32_t)wait))
		wait = (int)next;
	r = umx_netfront_wait(l->nf, wait);
	if (r == -ENOTCONN || r == -ENODEV)
		return -ESHUTDOWN; /* the store or the backend is gone for good */
	if (r < 0 && r != -ETIMEDOUT)
		return r;
	sync_link(l);
	r = feed(l);
	sys_check_timeouts();
	if (r < 0)
		return r;
	if (umx_netfront_broken(l->nf))
		return -EPROTO;
	return umx_netfront_link_up(l->nf) ? 0 : -ENOTCONN;
}

int umx_lwip_open(umx_plat *p, const struct umx_lwip_config *cfg, umx_lwip **out)
{
	static bool lwip_ready;
	ip4_addr_t addr, mask, gw;
	uint32_t a, m, g = 0;
	umx_lwip *l;
	int r;

	if (the_stack) {
		fprintf(stderr, "umx_lwip_open: lwIP is process-wide, one binding only\n");
		abort();
	}
	if ((r = umx_lwip_parse_cidr(cfg->addr, &a, &m)) < 0)
		return r;
	if (cfg->gateway) {
		struct in_addr ga;

		if (inet_pton(AF_INET, cfg->gateway, &ga) != 1)
			return -EINVAL;
		g = ga.s_addr;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->p = p;
	/* Waits for the toolstack's nodes too (device/vif/<handle>). */
	r = umx_netfront_open(p, cfg->handle, cfg->connect_timeout_ms, &l->nf);
	if (r < 0) {
		free(l);
		return r;
	}
	if (!lwip_ready) {
		lwip_init();
		lwip_ready = true;
	}
	ip4_addr_set_u32(&addr, a);
	ip4_addr_set_u32(&mask, m);
	ip4_addr_set_u32(&gw, g);
	if (!netif_add(&l->netif, &addr, &mask, &gw, l, ulw_init, netif_input)) {
		umx_netfront_close(l->nf);
		free(l);
		return -ENODEV;
	}
	netif_set_default(&l->netif);
	netif_set_up(&l->netif);
	sync_link(l);
	the_stack = l;
	*out = l;
	return 0;
}

void umx_lwip_close(umx_lwip *l)
{
	if (!l)
		return;
	netif_set_down(&l->netif);
	netif_remove(&l->netif);
	if (l->spare)
		pbuf_free(l->spare);
	umx_netfront_close(l->nf);
	the_stack = NULL;
	free(l);
}

struct netif *umx_lwip_netif(umx_lwip *l)
{
	return &l->netif;
}

umx_netfront *umx_lwip_netfront(umx_lwip *l)
{
	return l->nf;
}

void umx_lwip_stats(const umx_lwip *l, struct umx_lwip_stats *st)
{
	*st = l->st;
}
