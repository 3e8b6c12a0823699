/* SPDX-License-Identifier: MIT */
/*
 * Private to the vchan device (and its fuzz harness and tests): the wire
 * layout of xen/io/libxenvchan.h checked against Xen's header, the handle,
 * and the pure validation of a control page.
 */
#ifndef UMX_VCHAN_PRIV_H
#define UMX_VCHAN_PRIV_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/libxenvchan.h>

#include "umx/barrier.h"
#include "umx/bytering.h"
#include "umx/platform.h"
#include "umx/vchan.h"

#include "../common/evstorm.h"

#define VCHAN_SMALL_ORDER  10 /* ring at offset 1024 of the control page */
#define VCHAN_LARGE_ORDER  11 /* ring at offset 2048 */
#define VCHAN_SMALL_OFFSET 1024u
#define VCHAN_LARGE_OFFSET 2048u
/* Both rings at the maximum order: 2 * 256 grants. */
#define VCHAN_MAX_GRANTS (2u << (UMX_VCHAN_MAX_ORDER - UMX_PAGE_SHIFT))

/* The wire layout, byte for byte (xen/io/libxenvchan.h). */
_Static_assert(sizeof(struct ring_shared) == 8, "ring_shared");
_Static_assert(offsetof(struct vchan_interface, left) == 0, "left");
_Static_assert(offsetof(struct vchan_interface, right) == 8, "right");
_Static_assert(offsetof(struct vchan_interface, left_order) == 16, "left_order");
_Static_assert(offsetof(struct vchan_interface, right_order) == 18, "right_order");
_Static_assert(offsetof(struct vchan_interface, cli_live) == 20, "cli_live");
_Static_assert(offsetof(struct vchan_interface, srv_live) == 21, "srv_live");
_Static_assert(offsetof(struct vchan_interface, cli_notify) == 22, "cli_notify");
_Static_assert(offsetof(struct vchan_interface, srv_notify) == 23, "srv_notify");
_Static_assert(offsetof(struct vchan_interface, grants) == 24, "grants");
_Static_assert(sizeof(struct vchan_interface) == 24, "vchan_interface");
_Static_assert(24 + 4 * VCHAN_MAX_GRANTS <= UMX_PAGE_SIZE, "grants fit in the page");

/*
 * umx's one extension of the wire: two bits of a side's own notify byte
 * (the byte it asks the peer through; libxenvchan uses bits 0 and 1 and
 * its send_notify clears only the bit it answers, so the others survive a
 * Xen peer). Xen's protocol cannot tell an orderly close from a death:
 * both end with the live byte 0 (written by the closer, or by the unmap
 * notify of the dead side's pages). A umx end sets VCHAN_NOTIFY_UMX_CAP
 * when it comes up and VCHAN_NOTIFY_UMX_CLOSED just before it clears its
 * live byte in an orderly close, so its peer can tell a stream that ended
 * from one that was cut short. A peer that never set CAP (Xen's
 * libxenvchan) is taken at its word: live 0 is an orderly end, as before.
 */
#define VCHAN_NOTIFY_UMX_CAP    0x40
#define VCHAN_NOTIFY_UMX_CLOSED 0x80

#define VCHAN_OFF_CLI_LIVE offsetof(struct vchan_interface, cli_live)
#define VCHAN_OFF_SRV_LIVE offsetof(struct vchan_interface, srv_live)

/* The control page as validated: a private copy, never re-read. */
struct vchan_layout {
	uint16_t left_order, right_order;
	uint32_t left_pages, right_pages; /* 0: in the control page */
	uint32_t left_off, right_off;     /* offset in the control page if in-page */
	uint32_t grants[VCHAN_MAX_GRANTS];
};

/* Copy the orders and grants out of @page (UMX_PAGE_SIZE bytes, hostile)
 * once and validate them. 0 or -EPROTO (with @why set). */
int vchan_layout_parse(const void *page, struct vchan_layout *l, const char **why);

/* Ring order the server picks for a minimum size (>= 12), or -EINVAL. */
int vchan_min_order(size_t size);

struct umx_vchan {
	umx_plat *plat; /* grants, events, store; NULL: local attach (fuzzing) */
	bool is_server;
	bool blocking;
	bool peer_seen_live; /* server: cli_live was 1 once */
	bool peer_gone;      /* sticky end of stream */
	bool peer_died;      /* ... and it was not an orderly close */
	uint64_t alive_at;   /* last liveness check (check_alive) */
	bool broken;
	struct evstorm storm; /* wakeups that brought no progress (block()) */
	bool woke;            /* block() returned on an event ... */
	bool progress;        /* ... and data moved since */
	bool storm_warned;
	bool rechecking; /* block() timed out: the next try_* is a recheck */
	uint32_t peer;
	uint32_t port;
	bool port_bound;
	uint32_t ring_ref;
	struct vchan_interface *ctrl; /* shared, hostile */
	umx_plat_shared *sh_ctrl, *sh_left, *sh_right;
	umx_plat_mapped *m_ctrl, *m_left, *m_right;
	struct umx_bytering rd, wr;
	uint8_t *own_live;  /* our live byte */
	uint8_t *peer_live; /* the peer's live byte */
	uint8_t *req;       /* where we ask the peer for notifications */
	uint8_t *ack;       /* where the peer asks us */
	char *xs_path;      /* server: store nodes to remove at close */
	char reason[160];
	char died[96]; /* why the stream was cut short, when peer_died */
};

/*
 * Attach @v as the client side to a control page and ring buffers already
 * in memory (no platform: notifications are dropped). For the fuzz harness
 * and unit tests of the I/O paths. @left/@right may be NULL for in-page
 * rings. Returns 0, -EPROTO (bad control page), -EINVAL.
 */
int vchan_attach_local(umx_vchan *v, bool is_server, void *ctrl_page, void *left, void *right);

#endif /* UMX_VCHAN_PRIV_H */
