/* SPDX-License-Identifier: MIT */
/*
 * netback's learning L2 switch: every vif is a port. Source MACs are
 * learnt into a direct-mapped forwarding table; unicast to a known MAC
 * goes to that port, everything else floods to every connected port.
 * Each port has a bounded queue (UMX_NET_PORT_QUEUE frames,
 * PORT_QUEUE_BYTES), flushed to its RX ring by back.c; a full queue drops
 * (counted), so one flooding frontend cannot hold the others' memory.
 * Offloads travel with a frame to the ports that negotiated them; for the
 * others the switch completes checksums and segments GSO frames (csum.c).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "back_priv.h"
#include "umx/internal/tracepoint.h"

static unsigned fdb_hash(const uint8_t *mac)
{
	uint32_t h = 2166136261u;
	for (unsigned i = 0; i < UMX_NET_MAC_LEN; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h & (FDB_SIZE - 1);
}

static void fdb_learn(struct umx_netback *nb, const uint8_t *mac, struct nb_vif *v)
{
	/* Direct-mapped: a collision replaces the older entry (it is relearnt,
	 * and until then its frames are flooded). */
	struct fdb_ent *e = &nb->fdb[fdb_hash(mac)];
	memcpy(e->mac, mac, UMX_NET_MAC_LEN);
	e->v = v;
}

static struct nb_vif *fdb_lookup(struct umx_netback *nb, const uint8_t *mac)
{
	struct fdb_ent *e = &nb->fdb[fdb_hash(mac)];
	return e->v && !memcmp(e->mac, mac, UMX_NET_MAC_LEN) ? e->v : NULL;
}

static bool frame_is_v6(const uint8_t *frame, size_t len)
{
	size_t t = len >= 18 && frame[12] == 0x81 && frame[13] == 0 ? 16 : 12;
	return len >= t + 2 && frame[t] == 0x86 && frame[t + 1] == 0xdd;
}

/* Queue a copy of @frame towards @v; flushed to its RX ring later. Only
 * offloads @v negotiated go with it: a partial checksum is completed for a
 * port that wants complete ones (our copy, not the sender's). */
static void port_enqueue(struct nb_vif *v, const uint8_t *frame, size_t len,
                         const struct umx_net_meta *m)
{
	struct qframe *q;

	if (!v->info.connected || v->qn == UMX_NET_PORT_QUEUE ||
	    v->qbytes + len > PORT_QUEUE_BYTES) {
		v->info.dropped++;
		umx_tracepoint_frame(v->info.front_domid, v->info.handle, UMX_TRACE_FRAME_OUT,
		                     UMX_TRACE_FRAME_DROPPED, frame, len);
		return;
	}
	q = &v->q[(v->qhead + v->qn) % UMX_NET_PORT_QUEUE];
	q->data = malloc(len);
	if (!q->data) {
		v->info.dropped++;
		umx_tracepoint_frame(v->info.front_domid, v->info.handle, UMX_TRACE_FRAME_OUT,
		                     UMX_TRACE_FRAME_DROPPED, frame, len);
		return;
	}
	memcpy(q->data, frame, len);
	q->len = (uint32_t)len;
	q->meta = *m;
	if ((m->flags & UMX_NET_F_CSUM_BLANK) &&
	    !(v->fe_off & (frame_is_v6(frame, len) ? UMX_NET_OFF_CSUM6 : UMX_NET_OFF_CSUM4))) {
		(void)net_csum_fill(q->data, len);
		q->meta.flags = UMX_NET_F_DATA_VALID;
	}
	v->qn++;
	v->qbytes += len;
	umx_tracepoint_frame(v->info.front_domid, v->info.handle, UMX_TRACE_FRAME_OUT, 0, q->data,
	                     len);
}

static void seg_emit(void *ctx, uint8_t *seg, size_t len)
{
	static const struct umx_net_meta done = {.flags = UMX_NET_F_DATA_VALID};
	port_enqueue(ctx, seg, len, &done);
}

/* Towards a port: a GSO frame whole if it negotiated GSO of that type, else
 * in segments (as Linux's stack segments for a device without TSO). */
static void port_send(struct nb_vif *v, const uint8_t *frame, size_t len,
                      const struct umx_net_meta *m)
{
	if (m->gso_size && !(v->fe_off & (m->gso_type == UMX_NET_GSO_TCPV6 ? UMX_NET_OFF_GSO6
	                                                                   : UMX_NET_OFF_GSO4))) {
		if (!v->info.connected || net_gso_segment(frame, len, m, seg_emit, v) < 0)
			v->info.dropped++;
		return;
	}
	port_enqueue(v, frame, len, m);
}

void nb_switch_input(struct nb_vif *src, const uint8_t *frame, size_t len,
                     const struct umx_net_meta *m)
{
	struct umx_netback *nb = src->nb;
	const uint8_t *dst = frame, *smac = frame + UMX_NET_MAC_LEN;
	struct nb_vif *to;

	if (!nb) {
		src->sink_fn(src->ctx, frame, len);
		return;
	}
	umx_tracepoint_frame(src->info.front_domid, src->info.handle, UMX_TRACE_FRAME_IN, 0, frame,
	                     len);
	if (!(smac[0] & 1))
		fdb_learn(nb, smac, src);
	if (!(dst[0] & 1) && (to = fdb_lookup(nb, dst)) != NULL) {
		if (to != src)
			port_send(to, frame, len, m);
		return;
	}
	for (unsigned i = 0; i < nb->nvifs; i++)
		if (nb->vifs[i] != src && nb->vifs[i]->info.connected)
			port_send(nb->vifs[i], frame, len, m);
}

void nb_fdb_forget(struct umx_netback *nb, struct nb_vif *v)
{
	for (unsigned i = 0; i < FDB_SIZE; i++)
		if (nb->fdb[i].v == v)
			nb->fdb[i].v = NULL;
}
