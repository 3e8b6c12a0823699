/* SPDX-License-Identifier: MIT */
/*
 * net.h — Xen PV network devices (netif.h): netfront, netback with a
 * learning L2 switch, and the toolstack's part of the handshake.
 *
 * Design note
 * -----------
 * The wire is Xen's: a TX and an RX ring of struct netif_tx_* / netif_rx_*
 * (xen/io/netif.h), one event channel, and the xenbus handshake on the
 * store exactly as Linux's xen-netfront/xen-netback and libxl do it:
 *   toolstack  device/vif/<n>            (owned by the frontend, state 1)
 *              backend/vif/<domid>/<n>   (owned by the backend, state 1)
 *   backend    feature-rx-copy=1 feature-sg=1 ...          state 2 InitWait
 *   frontend   tx-ring-ref rx-ring-ref event-channel request-rx-copy=1
 *              feature-rx-notify feature-sg                state 4 Connected
 *   backend    maps, binds                                 state 4 Connected
 *   close      Closing (5) → Closed (6) on either side; the peer follows.
 * The backend offers feature-split-event-channels; the frontend then uses
 * event-channel-tx/-rx (a single event-channel is served as well). The
 * backend takes partial checksums (IPv4 and IPv6) and TCP GSO frames with
 * their extra-info slot; the switch passes them whole to ports that
 * negotiated the same and completes checksums or segments for the others.
 * umx's frontend asks for offloads only when opened with
 * umx_netfront_open_offload() (else feature-no-csum-offload: complete
 * checksums, no GSO).
 * umx adds one optional feature, `feature-persistent` (as blkif's): a
 * frontend that writes it promises its grant refs keep naming the same page
 * for the connection's life, so the backend may keep them mapped (a
 * persistent-mapping cache) instead of mapping per slot.
 *
 * MSA00 rules the frontend keeps (see docs/SECURITY.md): TX and RX ids come
 * from free lists, one state per id (free → pending → completed → free),
 * every response is checked (id in range and pending, status known, one
 * response per request, flags/op right) before anything is released; a bad
 * response marks the device broken with a reason and frees nothing.
 * Received data is copied out of the granted page once, before any of it is
 * inspected. Granted pages are dedicated, zeroed, and bound to the backend;
 * a page whose unshare reports -EBUSY is never reused (the platform keeps
 * it). TX pages are shared read-only.
 *
 * The backend validates every request (gref, offset + size within the
 * page, slot count ≤ UMX_NET_SLOTS_MAX, sizes consistent, only GSO extra
 * info, which must match the frame's own headers), copies frames out of
 * the frontend's pages before the switch looks at them, does bounded work
 * per port per round, caps each port's queue, and disconnects a
 * misbehaving frontend alone (state Closing, with the reason logged).
 *
 * Threading: one handle, one thread. All calls return 0 (or a count) or
 * -errno; -EPROTO once a device is broken, -ENOTCONN while not connected.
 */
#ifndef UMX_NET_H
#define UMX_NET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "umx/platform.h"
#include "umx/xs.h"

#define UMX_NET_MAC_LEN   6u
#define UMX_NET_ETH_HLEN  14u
#define UMX_NET_FRAME_MAX 65535u /* netif_tx_request.size is 16 bits */
/* Slots per frame, Linux netback's XEN_NETBK_LEGACY_SLOTS_MAX
 * (= XEN_NETIF_NR_SLOTS_MIN): more is a fatal error for that frontend. */
#define UMX_NET_SLOTS_MAX 18u
/* Frames queued towards one port before the switch drops. */
#define UMX_NET_PORT_QUEUE 1024u
/* Requests a backend handles per port per round (fairness). */
#define UMX_NET_BUDGET    64u
#define UMX_NET_PORTS_MAX 64u
/* Events without work a port may send per 100 ms before its event channel
 * stays masked for the rest of that window (its rings are still polled). */
#define UMX_NET_STORM_EVENTS 256u

struct umx_net_stats {
	uint64_t tx_frames, tx_bytes; /* sent by this end */
	uint64_t rx_frames, rx_bytes; /* received by this end */
	uint64_t tx_errors;           /* TX responses with an error status */
	uint64_t rx_dropped;          /* frames dropped on receive */
	uint32_t tx_inflight;         /* TX ids pending */
	uint32_t rx_posted;           /* RX buffers pending */
	uint64_t spurious_events;     /* events that brought no work */
};

/* ---- offloads ------------------------------------------------------------ */
/*
 * What a frame carries besides its bytes (netif.h's checksum flags and GSO
 * extra info). A frame with UMX_NET_F_CSUM_BLANK has a TCP or UDP checksum
 * field holding only the pseudo-header sum (Linux's CHECKSUM_PARTIAL): the
 * receiver completes it or trusts it. A GSO frame is one TCP segment of up
 * to 64 KiB standing for several of @gso_size payload bytes each; it is
 * always CSUM_BLANK.
 */
#define UMX_NET_F_CSUM_BLANK 0x1u /* checksum left for the receiver to complete */
#define UMX_NET_F_DATA_VALID 0x2u /* checksum known good (the sender checked it) */
#define UMX_NET_GSO_TCPV4    1u   /* XEN_NETIF_GSO_TYPE_TCPV4 */
#define UMX_NET_GSO_TCPV6    2u   /* XEN_NETIF_GSO_TYPE_TCPV6 */
/* The smallest segment size a GSO frame may ask for (Linux's default
 * net.ipv4.tcp_min_snd_mss): a frontend asking for less is cut off, so one
 * frame never becomes more than 1366 segments. */
#define UMX_NET_GSO_MIN_SIZE 48u
struct umx_net_meta {
	uint16_t flags;    /* UMX_NET_F_* */
	uint16_t gso_size; /* payload bytes per segment; 0: not GSO */
	uint8_t gso_type;  /* UMX_NET_GSO_*, with gso_size */
	uint8_t pad[3];
};

/* Offloads a netfront negotiates (umx_netfront_open_offload): what it
 * accepts from the backend, and, once connected, what the backend accepts
 * from it (umx_netfront_offloads). */
#define UMX_NET_OFF_CSUM4 0x1u /* partial TCP/UDP checksums over IPv4 */
#define UMX_NET_OFF_CSUM6 0x2u /* ... over IPv6 */
#define UMX_NET_OFF_GSO4  0x4u /* TCPv4 GSO frames */
#define UMX_NET_OFF_GSO6  0x8u /* TCPv6 GSO frames */

/* Where the TCP/UDP checksum of @frame starts being summed (the L4 header)
 * and its field's offset from there, as a partial checksum is described to
 * Linux (virtio_net_hdr's csum_start and csum_offset); *@hdr_len is the
 * length of every header up to the L4 payload. IPv4 or IPv6 (no extension
 * headers), one optional VLAN tag; 0 or -EINVAL. */
int umx_net_csum_offsets(const void *frame, size_t len, unsigned *start, unsigned *offset,
                         unsigned *hdr_len);

/* ---- frontend ------------------------------------------------------------ */
typedef struct umx_netfront umx_netfront;

/*
 * Connect vif @handle of this domain (device/vif/<handle>, written by the
 * toolstack): waits up to @timeout_ms (-1 forever) for the toolstack's
 * nodes (-ENOENT when they never appear) and as long for the backend's
 * InitWait, shares the rings and buffer pools, publishes them, and waits
 * for the backend's Connected. @p stays the caller's and must outlive the
 * device; its event channel descriptor is the device's (use one netfront
 * per platform handle, or dispatch umx_netfront_port() yourself).
 */
int umx_netfront_open(umx_plat *p, unsigned handle, int timeout_ms, umx_netfront **out);
/* The same, accepting @offloads (UMX_NET_OFF_*) from the backend: partial
 * checksums, GSO frames (in slot chains of up to 64 KiB). */
int umx_netfront_open_offload(umx_plat *p, unsigned handle, int timeout_ms, unsigned offloads,
                              umx_netfront **out);
/* What the backend accepts from us (UMX_NET_OFF_*): only those may be sent. */
unsigned umx_netfront_offloads(const umx_netfront *nf);
/* Closing → Closed, unshare everything (busy pages stay with the platform). */
void umx_netfront_close(umx_netfront *nf);

/* Send one frame (UMX_NET_ETH_HLEN..UMX_NET_FRAME_MAX bytes), or a chain:
 * one slot per iovec element (NETTXF_more_data), at most UMX_NET_SLOTS_MAX,
 * each at most a page. -EAGAIN when the TX ring has no room (poll, retry). */
int umx_netfront_send(umx_netfront *nf, const void *frame, size_t len);
int umx_netfront_sendv(umx_netfront *nf, const struct iovec *iov, unsigned n);
/* Send a frame with offloads @m (NULL: none). -EOPNOTSUPP for an offload
 * the backend did not offer; -EINVAL for a GSO frame whose headers do not
 * say what @m says. */
int umx_netfront_send_meta(umx_netfront *nf, const void *frame, size_t len,
                           const struct umx_net_meta *m);
/* Receive one frame into @buf: its length, -EAGAIN when none is complete,
 * -EMSGSIZE when @cap is too small (the frame is dropped). */
int umx_netfront_recv(umx_netfront *nf, void *buf, size_t cap);
/* The same, with the frame's offloads in *@m (only those negotiated). */
int umx_netfront_recv_meta(umx_netfront *nf, void *buf, size_t cap, struct umx_net_meta *m);
/* Wait up to @timeout_ms for an event, handle it (events, store) and
 * re-arm; 0, -ETIMEDOUT, -ENOTCONN once the store (umxd) is gone, or -ENODEV
 * once the backend's directory is gone (its domain died, or the vif was
 * detached): both for good, so a program exits. Events that bring no work are
 * counted; past UMX_NET_STORM_EVENTS in 100 ms the port stays masked for the rest of the window (a
 * backend's event storm costs a bounded number of wakeups). */
int umx_netfront_wait(umx_netfront *nf, int timeout_ms);
int umx_netfront_fd(const umx_netfront *nf);
uint32_t umx_netfront_port(const umx_netfront *nf);
bool umx_netfront_link_up(const umx_netfront *nf);
void umx_netfront_mac(const umx_netfront *nf, uint8_t mac[UMX_NET_MAC_LEN]);
/* Why the device broke, or NULL. */
const char *umx_netfront_broken(const umx_netfront *nf);
void umx_netfront_stats(const umx_netfront *nf, struct umx_net_stats *st);

/* ---- backend + switch ---------------------------------------------------- */
typedef struct umx_netback umx_netback;

struct umx_net_port {
	uint32_t front_domid, handle;
	uint8_t mac[UMX_NET_MAC_LEN];
	bool connected;
	char reason[96];              /* why it was disconnected, or "" */
	uint64_t rx_frames, rx_bytes; /* from the frontend into the switch */
	uint64_t tx_frames, tx_bytes; /* from the switch to the frontend */
	uint64_t dropped, errors;
	uint64_t spurious_events; /* events that brought no work */
};

/*
 * Serve every vif whose backend directory the toolstack creates under this
 * domain's backend/vif/ (watched), all connected to one learning switch.
 * Counters are published in backend/vif/<domid>/<n>/statistics.
 */
int umx_netback_open(umx_plat *p, umx_netback **out);
void umx_netback_close(umx_netback *nb);
/* One round: wait up to @timeout_ms for events, then handle store changes,
 * rings and the switch. Returns 0 or -errno (a port's failure is not one). */
int umx_netback_poll(umx_netback *nb, int timeout_ms);
/* Poll until *@stop. */
int umx_netback_run(umx_netback *nb, volatile sig_atomic_t *stop);
/* Copy up to @max ports' state into @out; returns the number of ports. */
int umx_netback_ports(const umx_netback *nb, struct umx_net_port *out, unsigned max);
/* A port is freed as soon as its frontend's domain dies (its backend nodes
 * removed): the final state of the last UMX_NET_PORTS_MAX such ports, oldest
 * first, up to @max of the newest; returns the number copied. */
int umx_netback_ports_released(const umx_netback *nb, struct umx_net_port *out, unsigned max);

/* ---- toolstack ----------------------------------------------------------- */
/*
 * Write the nodes libxl writes for a vif between @front and @back, on a
 * toolstack (dom0) store connection. @handle < 0 picks the next free one;
 * @mac NULL derives 00:16:3e:xx:xx:xx from the domids. Returns the handle.
 */
int umx_net_attach(umx_xs *xs, uint32_t front, uint32_t back, int handle,
                   const uint8_t mac[UMX_NET_MAC_LEN]);
/* Remove both directories (the backend sees its node vanish and stops);
 * -ENOENT only when neither exists. */
int umx_net_detach(umx_xs *xs, uint32_t front, uint32_t back, unsigned handle);
int umx_net_parse_mac(const char *s, uint8_t mac[UMX_NET_MAC_LEN]);
void umx_net_format_mac(const uint8_t mac[UMX_NET_MAC_LEN], char out[18]);

#endif /* UMX_NET_H */
