/* SPDX-License-Identifier: MIT */
/*
 * umx_lwip.h — a TCP/IP stack inside a domain: Debian's lwIP bound to a umx
 * netfront.
 *
 * Design note
 * -----------
 * lwIP (2.1.3, Debian's liblwip built for its "unix" port) is linked as a
 * shared library; this binding is an lwIP netif whose link layer is one
 * umx_netfront (devices/net): lwIP's linkoutput hands each Ethernet frame
 * to umx_netfront_sendv(), and frames from umx_netfront_recv() go to the
 * netif's input (ethernet_input: ARP, IPv4, ICMP, UDP, TCP).
 *
 * Which lwIP API: Debian builds lwIP with NO_SYS=0 (sockets and netconn
 * need its tcpip thread) but also exports the whole raw API and the timer
 * wheel (sys_check_timeouts). This binding does not start the tcpip thread:
 * the process's one thread owns the stack and drives it with
 * umx_lwip_poll(), so programs use lwIP's *raw* API (tcp_new, tcp_write,
 * callbacks), like an event loop, with no locking and no extra copy
 * through a mailbox. Debian's build has LWIP_DHCP=0, so addresses are
 * static (slirp's defaults: 10.0.2.15/24, gateway 10.0.2.2).
 *
 * lwIP is a process-wide stack (global netif list and timers): one
 * umx_lwip per process; a second open aborts (misuse).
 *
 * Threading: the caller's thread only. Calls return 0 (or a count) or
 * -errno; -EPROTO once the netfront is broken, -ENOTCONN while its link
 * is down.
 */
#ifndef UMX_LWIP_H
#define UMX_LWIP_H

#include <stdint.h>

#include "umx/net.h"
#include "umx/platform.h"

struct netif; /* lwIP's, from <lwip/netif.h> */
typedef struct umx_lwip umx_lwip;

struct umx_lwip_config {
	unsigned handle;        /* vif handle: device/vif/<handle> */
	int connect_timeout_ms; /* for the backend's handshake; -1 forever */
	const char *addr;       /* IPv4 "a.b.c.d" or "a.b.c.d/len" */
	const char *gateway;    /* NULL: none (on-link peers only) */
};

struct umx_lwip_stats {
	uint64_t tx_frames, rx_frames; /* frames through the netif */
	uint64_t tx_ring_full;         /* waits for TX ring room */
	uint64_t tx_dropped;           /* frames lwIP sent that were lost */
	uint64_t rx_dropped;           /* too big, or no pbuf */
};

/*
 * Connect vif @cfg->handle through @p (which must outlive the handle), bring
 * up lwIP with the static address, and make the netif the default route.
 */
int umx_lwip_open(umx_plat *p, const struct umx_lwip_config *cfg, umx_lwip **out);
/* Take the netif down, close the netfront. lwIP's pcbs stay the caller's. */
void umx_lwip_close(umx_lwip *l);

/*
 * One round of the stack: feed received frames to lwIP, run its timers,
 * then wait up to @timeout_ms (-1: until something happens) for the
 * netfront or lwIP's next timer, and feed and run again. Callbacks of the
 * raw API run inside this call. Returns 0, -ENOTCONN (the link is down
 * for now), -EPROTO (the netfront is broken), or -ESHUTDOWN: the store
 * (umxd) or the backend is gone for good, and nothing will ever arrive;
 * the program should say so and exit, not call this again (it would
 * return at once: a busy loop).
 */
int umx_lwip_poll(umx_lwip *l, int timeout_ms);

struct netif *umx_lwip_netif(umx_lwip *l);
umx_netfront *umx_lwip_netfront(umx_lwip *l);
void umx_lwip_stats(const umx_lwip *l, struct umx_lwip_stats *st);
/* "a.b.c.d[/len]" into network-order address and mask; 0 or -EINVAL. */
int umx_lwip_parse_cidr(const char *s, uint32_t *addr, uint32_t *mask);

#endif /* UMX_LWIP_H */
