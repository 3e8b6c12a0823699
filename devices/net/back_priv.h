/* SPDX-License-Identifier: MIT */
/*
 * Private to netback (back*.c): a port's state, the switch's, and the calls
 * between the backend's files:
 *   back.c         TX and RX on a port's rings, port failure, the poll loop
 *   back_switch.c  the learning L2 switch between ports (forwarding table,
 *                  per-port RX queues)
 *   back_pcache.c  the frontend's pages: persistent mappings or one-shot
 *   back_xenbus.c  the xenbus handshake: vifs found under backend/vif,
 *                  feature nodes, connect and disconnect on the frontend's
 *                  state, statistics
 */
#ifndef UMX_NET_BACK_PRIV_H
#define UMX_NET_BACK_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/evstorm.h"
#include "net_priv.h"

#define PCACHE_SIZE      1024u /* persistent mappings per port */
#define PORT_QUEUE_BYTES (4u << 20)
#define FDB_SIZE         256u

struct pcache_ent {
	uint32_t gref;
	bool valid, writable;
	umx_plat_mapped *m;
	void *addr;
};

struct qframe {
	uint8_t *data;
	uint32_t len;
	struct umx_net_meta meta; /* only offloads the port negotiated */
};

struct nb_vif {
	struct umx_netback *nb; /* NULL when detached */
	struct umx_net_port info;
	char be[128], fe[128];
	bool gone;        /* the toolstack removed it */
	bool fe_seen;     /* the frontend's state node has existed */
	bool persistent;  /* frontend's feature-persistent */
	unsigned fe_off;  /* UMX_NET_OFF_* the frontend accepts on RX */
	uint32_t port;    /* event-channel, or event-channel-tx when split */
	uint32_t port_rx; /* event-channel-rx when split, else == port */
	umx_plat_mapped *m_tx, *m_rx;
	struct umx_ring tx, rx;
	bool rings;     /* tx/rx attached */
	bool notify;    /* an event is owed to the frontend (TX port) */
	bool notify_rx; /* ... on the RX port */
	bool kicked;    /* a port fired; left masked until handled */
	uint64_t work_mark;
	struct evstorm storm; /* both ports stay masked while held */

	struct netif_tx_request chain[UMX_NET_SLOTS_MAX];
	unsigned nchain;
	bool want_extra; /* the next TX slot is the first one's extra info */
	bool has_extra;  /* the chain's first slot had a GSO extra-info slot */
	struct netif_extra_info extra;

	struct qframe q[UMX_NET_PORT_QUEUE];
	unsigned qhead, qn;
	size_t qbytes;

	struct pcache_ent pc[PCACHE_SIZE];

	nb_page_fn page_fn; /* detached only */
	nb_sink_fn sink_fn;
	void *ctx;

	uint8_t frame[UMX_NET_FRAME_MAX];
};

struct fdb_ent {
	uint8_t mac[UMX_NET_MAC_LEN];
	struct nb_vif *v;
};

struct umx_netback {
	umx_plat *p;
	umx_xs *xs;
	uint32_t domid;
	char dir[96]; /* /local/domain/<me>/backend/vif */
	struct nb_vif *vifs[UMX_NET_PORTS_MAX];
	unsigned nvifs;
	struct fdb_ent fdb[FDB_SIZE];
	bool busy;
	bool refused;               /* a vif waits for a free port (vif_refuse) */
	uint64_t refused_logged_at; /* when that was last logged */
	/* The last ports released because their frontend died, final
	 * counters (umx_netback_ports_released); a ring, oldest at gone_head. */
	struct umx_net_port gone[UMX_NET_PORTS_MAX];
	unsigned gone_head, ngone;
	uint64_t stats_at;
};

/* back.c: a port's lifetime. */
void nb_vif_disconnect(struct nb_vif *v);
/* A protocol violation: this frontend alone is cut off (reason logged and
 * kept, rings marked broken, backend state Closing). Returns -EPROTO. */
int nb_vif_fail(struct nb_vif *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* back_switch.c */
/* A frame received from @src (copied out of the frontend's pages, so stable):
 * learn its source, queue copies towards the ports it goes to. */
void nb_switch_input(struct nb_vif *src, const uint8_t *frame, size_t len,
                     const struct umx_net_meta *m);
/* Drop the forwarding entries that point at @v (disconnected). */
void nb_fdb_forget(struct umx_netback *nb, struct nb_vif *v);

/* back_pcache.c */
/* The frontend's page @gref, or NULL when it cannot be mapped. *@tmp is set
 * to a mapping the caller must release with nb_put_page(). */
uint8_t *nb_get_page(struct nb_vif *v, uint32_t gref, bool writable, umx_plat_mapped **tmp);
void nb_put_page(struct nb_vif *v, umx_plat_mapped *tmp);
/* Unmap every persistent mapping of @v. */
void nb_pcache_flush(struct nb_vif *v);

/* back_xenbus.c */
/* Find vifs created or removed under backend/vif. */
void nb_rescan(struct umx_netback *nb);
/* A watch fired: "be" on backend/vif, "fe:<domid>:<handle>" on a
 * frontend's state node. */
void nb_handle_watch(struct umx_netback *nb, const char *path, const char *token);
/* Write each port's counters to its backend's statistics node. */
void nb_publish_stats(struct umx_netback *nb);
/* Unwatch the frontend, disconnect and free @v (already out of nb->vifs). */
void nb_vif_free(struct umx_netback *nb, struct nb_vif *v);

#endif
