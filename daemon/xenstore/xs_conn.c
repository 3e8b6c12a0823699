/* SPDX-License-Identifier: MIT */
/*
 * A connection to the engine: reassembles xs_wire messages from a byte
 * stream (any split), queues replies and watch events, applies
 * back-pressure and cuts off peers that break the framing.
 */
#include <stdlib.h>
#include <string.h>

#include "umx/log.h"
#include "xs_engine.h"

struct xs_conn *xs_conn_new(struct xs_store *st, unsigned domid, void (*notify)(void *ctx),
                            void *ctx)
{
	struct xs_domain *d = domid <= XS_DOMID_MAX ? xs_dom(st, domid) : NULL;
	if (!d)
		return NULL;
	struct xs_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->st = st;
	c->domid = domid;
	d->conns++;
	xs_conn_account(c, (long)sizeof(*c));
	c->notify = notify;
	c->notify_ctx = ctx;
	c->outq_tail = &c->outq;
	c->next = st->conns;
	if (st->conns)
		st->conns->prev = c;
	st->conns = c;
	return c;
}

static void drop_output(struct xs_conn *c)
{
	while (c->outq) {
		struct xs_msg *m = c->outq;
		c->outq = m->next;
		free(m);
	}
	c->outq_tail = &c->outq;
	xs_conn_account(c, -(long)c->outq_bytes);
	c->outq_bytes = 0;
	c->outq_replies = 0;
}

static void teardown(struct xs_conn *c)
{
	c->broken = true;
	xs_watch_del_all(c);
	xs_txn_del_all(c);
	drop_output(c);
	c->rxlen = 0;
}

void xs_conn_free(struct xs_conn *c)
{
	struct xs_domain *d;

	if (!c)
		return;
	teardown(c);
	xs_conn_account(c, -(long)sizeof(*c));
	d = xs_dom_find(c->st, c->domid);
	if (d && d->conns)
		d->conns--;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->st->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

unsigned xs_conn_domid(const struct xs_conn *c)
{
	return c->domid;
}

bool xs_conn_broken(const struct xs_conn *c)
{
	return c->broken;
}

void xs_conn_cut(struct xs_conn *c, const char *why)
{
	if (c->broken)
		return;
	umx_warn("xenstore: cutting off domain %u connection: %s", c->domid, why);
	teardown(c);
	if (c->notify)
		c->notify(c->notify_ctx);
}

void xs_conn_account(struct xs_conn *c, long delta)
{
	struct xs_domain *d = xs_dom_find(c->st, c->domid);

	c->st->conn_bytes += (size_t)delta;
	if (d)
		d->conn_bytes += (size_t)delta;
}

static size_t outq_limit(const struct xs_conn *c)
{
	return xs_dom_privileged(c->domid) ? XS_DOM0_OUTQ_MAX : c->st->quota[XS_Q_MEMORY];
}

/* A watch event for the toolstack while it is over its memory cap: one
 * that does not read them is cut off, before it holds much more. */
static bool toolstack_hoarding(struct xs_conn *c)
{
	return xs_dom_privileged(c->domid) && c->outq_bytes >= XS_DOM0_OUTQ_OVER_CAP &&
	       xs_toolstack_full(c->st);
}

int xs_conn_send(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *p1,
                 size_t l1, const void *p2, size_t l2, bool reply)
{
	if (c->broken)
		return -EPIPE;
	size_t len = XS_HDR_LEN + l1 + l2;
	if (!reply && c->outq_bytes + len > outq_limit(c)) {
		xs_conn_cut(c, "output queue over its memory quota (not reading watch events)");
		return -ENOSPC;
	}
	if (!reply && toolstack_hoarding(c)) {
		xs_conn_cut(c, "toolstack over its memory cap and not reading watch events");
		return -ENOSPC;
	}
	struct xs_msg *m = malloc(sizeof(*m) + len);
	if (!m) {
		xs_conn_cut(c, "out of memory for a reply");
		return -ENOMEM;
	}
	struct xsd_sockmsg h = {type, req_id, tx_id, (uint32_t)(l1 + l2)};
	memcpy(m->data, &h, sizeof(h));
	if (l1)
		memcpy(m->data + XS_HDR_LEN, p1, l1);
	if (l2)
		memcpy(m->data + XS_HDR_LEN + l1, p2, l2);
	m->next = NULL;
	m->len = len;
	m->off = 0;
	m->reply = reply;
	if (__builtin_expect(c->st->trace, 0))
		c->st->hooks.trace(c->st->hooks.ctx, c->domid, true, m->data, len);
	bool was_empty = !c->outq;
	*c->outq_tail = m;
	c->outq_tail = &m->next;
	c->outq_bytes += len;
	xs_conn_account(c, (long)len);
	if (reply)
		c->outq_replies++;
	if (was_empty && c->notify)
		c->notify(c->notify_ctx);
	return 0;
}

/* Not reading replies: stop reading requests (the "outstanding" quota).
 * The toolstack over its memory cap is read only while it has nothing
 * unread, so each of its connections adds at most one reply past it. */
static bool paused(struct xs_conn *c)
{
	if (xs_dom_privileged(c->domid))
		return c->outq_bytes >= XS_DOM0_OUTQ_PAUSE ||
		       (c->outq_bytes && xs_toolstack_full(c->st));
	return c->outq_replies >= c->st->quota[XS_Q_OUTSTANDING] ||
	       c->outq_bytes >= c->st->quota[XS_Q_MEMORY] / 2;
}

size_t xs_conn_rx_pending(const struct xs_conn *c)
{
	return c->rxlen;
}

size_t xs_conn_rx_space(struct xs_conn *c, void **buf)
{
	if (c->broken || paused(c))
		return 0;
	*buf = c->rx + c->rxlen;
	return sizeof(c->rx) - c->rxlen;
}

int xs_conn_rx_commit(struct xs_conn *c, size_t n)
{
	size_t off = 0;
	if (c->broken)
		return -EPIPE;
	c->rxlen += n;
	while (!c->broken && c->rxlen - off >= XS_HDR_LEN) {
		struct xsd_sockmsg h;
		memcpy(&h, c->rx + off, sizeof(h));
		if (h.len > XENSTORE_PAYLOAD_MAX) {
			xs_conn_cut(c, "message length above XENSTORE_PAYLOAD_MAX");
			break;
		}
		if (c->rxlen - off < XS_HDR_LEN + h.len || paused(c))
			break;
		if (__builtin_expect(c->st->trace, 0))
			c->st->hooks.trace(c->st->hooks.ctx, c->domid, false, c->rx + off,
			                   XS_HDR_LEN + h.len);
		xs_req_handle(c, h.type, h.req_id, h.tx_id, (const char *)c->rx + off + XS_HDR_LEN,
		              h.len);
		off += XS_HDR_LEN + h.len;
	}
	if (c->broken)
		return -EPIPE;
	if (off) {
		memmove(c->rx, c->rx + off, c->rxlen - off);
		c->rxlen -= off;
	}
	return 0;
}

long xs_conn_feed(struct xs_conn *c, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		void *space;
		size_t n = xs_conn_rx_space(c, &space);
		if (c->broken)
			return -EPIPE;
		if (!n)
			break;
		if (n > len - done)
			n = len - done;
		memcpy(space, (const char *)buf + done, n);
		done += n;
		if (xs_conn_rx_commit(c, n))
			return -EPIPE;
	}
	return c->broken ? -EPIPE : (long)done;
}

int xs_conn_tx_iov(const struct xs_conn *c, struct iovec *iov, int max)
{
	int n = 0;
	for (const struct xs_msg *m = c->outq; m && n < max; m = m->next, n++) {
		iov[n].iov_base = (void *)(m->data + m->off);
		iov[n].iov_len = m->len - m->off;
	}
	return n;
}

size_t xs_conn_tx_pending(const struct xs_conn *c)
{
	return c->outq_bytes;
}

void xs_conn_tx_consume(struct xs_conn *c, size_t n)
{
	while (n && c->outq) {
		struct xs_msg *m = c->outq;
		size_t left = m->len - m->off, k = n < left ? n : left;
		m->off += k;
		n -= k;
		c->outq_bytes -= k;
		xs_conn_account(c, -(long)k);
		if (m->off == m->len) {
			c->outq = m->next;
			if (!c->outq)
				c->outq_tail = &c->outq;
			if (m->reply)
				c->outq_replies--;
			free(m);
		}
	}
}

long xs_conn_pop(struct xs_conn *c, void *buf, size_t cap)
{
	struct xs_msg *m = c->outq;
	if (!m)
		return 0;
	size_t len = m->len - m->off;
	if (len > cap)
		return -ENOSPC;
	memcpy(buf, m->data + m->off, len);
	xs_conn_tx_consume(c, len);
	return (long)len;
}
