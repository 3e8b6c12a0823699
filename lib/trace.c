/* SPDX-License-Identifier: MIT */
/* A tracer's side of `umx trace` (umx/trace.h): open, read, print. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xen/grant_table.h>
#include <xen/io/xs_wire.h>

#include "umx/internal/ctl.h"
#include "umx/internal/msg.h"
#include "umx/internal/tracepoint.h"
#include "umx/trace.h"

int umx_trace_open(umx_conn *ts, const struct umx_trace_filter *f, int *fd)
{
	unsigned nfds = 0;
	int r;

	*fd = -1;
	r = umx_conn_call(ts, UMX_CTL_TRACE_OPEN, f, sizeof(*f), NULL, 0, NULL, fd, 1, &nfds);
	if (r == 0 && nfds != 1)
		r = -EPROTO;
	if (r < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

int umx_trace_next(struct umx_trace_reader *r, int timeout_ms, const struct umx_trace_rec **rec)
{
	for (;;) {
		size_t avail = r->len - r->off;
		ssize_t n;

		if (avail >= sizeof(struct umx_trace_rec)) {
			const struct umx_trace_rec *h =
			        (const struct umx_trace_rec *)(r->buf + r->off);
			/* umxd is trusted, but a stream that went wrong must
			 * not send us past the buffer. */
			if (h->len < sizeof(*h) || h->len > UMX_TRACE_REC_MAX || (h->len & 7) ||
			    h->plen > h->len - sizeof(*h))
				return -EPROTO;
			if (avail >= h->len) {
				*rec = h;
				r->off += h->len;
				return 1;
			}
		}
		if (r->off) {
			memmove(r->buf, r->buf + r->off, avail);
			r->len = avail;
			r->off = 0;
		}
		if (timeout_ms >= 0) {
			struct pollfd p = {.fd = r->fd, .events = POLLIN};
			int pr = poll(&p, 1, timeout_ms);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0)
				return -errno;
			if (pr == 0)
				return -ETIMEDOUT;
		}
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return r->len ? -EPROTO : 0;
		r->len += (size_t)n;
	}
}

static const struct {
	uint16_t type;
	const char *name;
	const char *arg[4]; /* names of a, b, c, d; NULL: not shown */
} types[] = {
        {UMX_TR_LOST, "lost", {"count"}},
        {UMX_TR_DOM_CREATE, "dom.create", {NULL}},
        {UMX_TR_DOM_RUNNING, "dom.running", {NULL}},
        {UMX_TR_DOM_DESTROY, "dom.destroy", {NULL}},
        {UMX_TR_DOM_DIED, "dom.died", {NULL}},
        {UMX_TR_DOM_FREED, "dom.freed", {NULL}},
        {UMX_TR_GNT_REGION_ALLOC, "gnt.region_alloc", {"npages", "flags", "base_frame"}},
        {UMX_TR_GNT_REGION_FREE, "gnt.region_free", {"base_frame"}},
        {UMX_TR_GNT_MAP, "gnt.map", {"ref", "flags", "handle"}},
        {UMX_TR_GNT_UNMAP, "gnt.unmap", {"handle", "ref"}},
        {UMX_TR_GNT_COPY, "gnt.copy", {"len", "src", "dst", "flags"}},
        {UMX_TR_GNT_END_ACCESS, "gnt.end_access", {"ref", "read_maps", "write_maps", "notified"}},
        {UMX_TR_GNT_SHARE_NOTIFY, "gnt.share_notify", {"ref", "flags", "offset", "port"}},
        {UMX_TR_EVT_ALLOC_UNBOUND, "evt.alloc_unbound", {"port"}},
        {UMX_TR_EVT_BIND, "evt.bind", {"port", "remote_port"}},
        {UMX_TR_EVT_CLOSE, "evt.close", {"port"}},
        {UMX_TR_EVT_NOTIFY, "evt.notify", {"port"}},
        {UMX_TR_XS_REQUEST, "xs.request", {NULL, "req", "tx", "len"}},
        {UMX_TR_XS_REPLY, "xs.reply", {NULL, "req", "tx", "len"}},
        {UMX_TR_RING, "ring", {"dev", "what", "c", "d"}},
        {UMX_TR_FRAME, "frame", {"handle", "dir", "flags", "len"}},
};

static int type_index(uint16_t type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return (int)i;
	return -1;
}

const char *umx_trace_type_name(uint16_t type)
{
	int i = type_index(type);
	return i < 0 ? NULL : types[i].name;
}

static const char *xs_type_name(uint32_t t)
{
	static const char *const names[] = {
	        [XS_CONTROL] = "CONTROL",
	        [XS_DIRECTORY] = "DIRECTORY",
	        [XS_READ] = "READ",
	        [XS_GET_PERMS] = "GET_PERMS",
	        [XS_WATCH] = "WATCH",
	        [XS_UNWATCH] = "UNWATCH",
	        [XS_TRANSACTION_START] = "TRANSACTION_START",
	        [XS_TRANSACTION_END] = "TRANSACTION_END",
	        [XS_INTRODUCE] = "INTRODUCE",
	        [XS_RELEASE] = "RELEASE",
	        [XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
	        [XS_WRITE] = "WRITE",
	        [XS_MKDIR] = "MKDIR",
	        [XS_RM] = "RM",
	        [XS_SET_PERMS] = "SET_PERMS",
	        [XS_WATCH_EVENT] = "WATCH_EVENT",
	        [XS_ERROR] = "ERROR",
	        [XS_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED",
	        [XS_RESUME] = "RESUME",
	        [XS_SET_TARGET] = "SET_TARGET",
	        [XS_RESET_WATCHES] = "RESET_WATCHES",
	        [XS_DIRECTORY_PART] = "DIRECTORY_PART",
	};
	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : NULL;
}

static const char *gntst_name(int32_t st)
{
	static const char *const names[] = {
	        "okay",         "general_error",   "bad_domain",
	        "bad_gntref",   "bad_handle",      "bad_virt_addr",
	        "bad_dev_addr", "no_device_space", "permission_denied",
	        "bad_page",     "bad_copy_arg",    "address_too_big",
	        "eagain",       "no_space",
	};
	return st <= 0 && -st < (int32_t)(sizeof(names) / sizeof(names[0])) ? names[-st] : NULL;
}

/* The payload as a string: bytes a domain chose, so every byte that is
 * not printable ASCII is escaped (a NUL, xs_wire's separator, as \0; in
 * JSON as \u0000). */
static void print_payload(FILE *f, const unsigned char *p, size_t n, bool json)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = p[i];
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch >= 0x20 && ch < 0x7f)
			fputc(ch, f);
		else if (json)
			fprintf(f, "\\u%04x", ch);
		else if (ch == 0)
			fputs("\\0", f);
		else
			fprintf(f, "\\x%02x", ch);
	}
	fputc('"', f);
}

static bool is_grant_op(uint16_t t)
{
	return t == UMX_TR_GNT_MAP || t == UMX_TR_GNT_UNMAP || t == UMX_TR_GNT_COPY;
}

void umx_trace_print(FILE *f, const struct umx_trace_rec *rec, bool json)
{
	int ti = type_index(rec->type);
	const uint32_t v[4] = {rec->a, rec->b, rec->c, rec->d};
	const unsigned char *payload = (const unsigned char *)(rec + 1);
	bool xs = rec->type == UMX_TR_XS_REQUEST || rec->type == UMX_TR_XS_REPLY;
	const char *res = is_grant_op(rec->type) ? gntst_name(rec->result) : NULL;
	time_t sec = (time_t)(rec->ns / 1000000000u);
	struct tm tm;
	char when[32];

	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (json) {
		fprintf(f, "{\"seq\":%" PRIu64 ",\"ns\":%" PRIu64 ",\"type\":", rec->seq, rec->ns);
		if (ti >= 0)
			fprintf(f, "\"%s\"", types[ti].name);
		else
			fprintf(f, "%u", rec->type);
		if (rec->type != UMX_TR_LOST)
			fprintf(f, ",\"domid\":%" PRId64,
			        rec->domid == UMX_TRACE_NONE ? (int64_t)-1 : (int64_t)rec->domid);
		if (rec->peer != UMX_TRACE_NONE)
			fprintf(f, ",\"peer\":%u", rec->peer);
		if (rec->type != UMX_TR_LOST)
			fprintf(f, ",\"result\":%d", rec->result);
		if (res)
			fprintf(f, ",\"status\":\"GNTST_%s\"", res);
		else if (rec->result < 0)
			fprintf(f, ",\"error\":\"%s\"",
			        strerrorname_np(-rec->result) ? strerrorname_np(-rec->result)
			                                      : "?");
		if (xs && xs_type_name(rec->a))
			fprintf(f, ",\"xs\":\"XS_%s\"", xs_type_name(rec->a));
		else if (xs)
			fprintf(f, ",\"xs\":%u", rec->a);
		for (int i = 0; i < 4 && ti >= 0; i++)
			if (types[ti].arg[i])
				fprintf(f, ",\"%s\":%u", types[ti].arg[i], v[i]);
		if (rec->plen) {
			fputs(",\"payload\":", f);
			print_payload(f, payload, rec->plen, true);
		}
		fputs("}\n", f);
		return;
	}
	fprintf(f, "%s.%06u ", when, (unsigned)(rec->ns % 1000000000u / 1000u));
	if (rec->type == UMX_TR_LOST) {
		fprintf(f, "-- %u records lost (this tracer was too slow) --\n", rec->a);
		return;
	}
	if (rec->domid == UMX_TRACE_NONE)
		fputs("d-  ", f);
	else
		fprintf(f, "d%-3u", rec->domid);
	if (ti >= 0)
		fprintf(f, " %s", types[ti].name);
	else
		fprintf(f, " type-%u", rec->type);
	if (xs && xs_type_name(rec->a))
		fprintf(f, " %s", xs_type_name(rec->a));
	else if (xs)
		fprintf(f, " %u", rec->a);
	if (rec->peer != UMX_TRACE_NONE)
		fprintf(f, " peer=%u", rec->peer);
	for (int i = 0; i < 4 && ti >= 0; i++)
		if (types[ti].arg[i] && !strcmp(types[ti].arg[i], "flags"))
			fprintf(f, " flags=%#x", v[i]);
		else if (types[ti].arg[i] && v[i] == UMX_TRACE_NONE)
			fprintf(f, " %s=-", types[ti].arg[i]);
		else if (types[ti].arg[i])
			fprintf(f, " %s=%u", types[ti].arg[i], v[i]);
	if (rec->plen) {
		fputc(' ', f);
		print_payload(f, payload, rec->plen, false);
	}
	if (res)
		fprintf(f, " = GNTST_%s", res);
	else if (rec->result < 0)
		fprintf(f, " = -%s",
		        strerrorname_np(-rec->result) ? strerrorname_np(-rec->result) : "?");
	else if (!xs && rec->result > 0)
		fprintf(f, " = %d", rec->result);
	fputc('\n', f);
}

/* ---- a domain's reports (internal/tracepoint.h) ------------------------ */

/* What umx_tracepoint_on() reads while not on umxd: nobody traces. */
static const uint8_t tracepoint_zero[UMX_TRACE_FLAG_PAGES * 4096];
const uint8_t *umx_tracepoint_flags_;
uint32_t umx_tracepoint_domid_;
static umx_conn *tracepoint_conn;
static pthread_mutex_t tracepoint_lock = PTHREAD_MUTEX_INITIALIZER;

const uint8_t *umx_tracepoint_lookup(void)
{
	const uint8_t *p = tracepoint_zero;
	umx_conn *c = NULL;
	unsigned nfds = 0;
	int fd = -1;

	pthread_mutex_lock(&tracepoint_lock);
	if (umx_tracepoint_flags_) {
		p = umx_tracepoint_flags_;
		goto out;
	}
	/* Only a domain on umxd has its bit: the toolstack, a program on
	 * real Xen and one outside any domain read zeros. */
	if (umx_conn_open_domain(&c) < 0)
		goto done;
	if (umx_conn_call(c, UMX_CTL_TRACE_FLAGS, NULL, 0, NULL, 0, NULL, &fd, 1, &nfds) == 0 &&
	    nfds == 1) {
		void *m = mmap(NULL, sizeof(tracepoint_zero), PROT_READ, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED && umx_conn_domid(c) <= 32751) {
			umx_tracepoint_domid_ = umx_conn_domid(c);
			p = m;
			tracepoint_conn = c; /* kept for the reports */
			c = NULL;
		} else if (m != MAP_FAILED) {
			munmap(m, sizeof(tracepoint_zero));
		}
	}
	if (fd >= 0)
		close(fd);
	if (c)
		umx_conn_close(c);
done:
	/* R1: pairs with the acquire in umx_tracepoint_on(): the domid is
	 * set before the page that it indexes is seen. */
	__atomic_store_n(&umx_tracepoint_flags_, p, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&tracepoint_lock);
	return p;
}

int umx_tracepoint_report(uint16_t type, uint32_t peer, uint32_t a, uint32_t b, uint32_t c,
                          uint32_t d, const void *payload, size_t len)
{
	static _Thread_local unsigned char buf[UMX_MSG_MAX_PAYLOAD];
	struct umx_ctl_trace_report rep = {type, 0, peer, a, b, c, d};
	size_t max = sizeof(buf) - sizeof(rep);

	if (!tracepoint_conn)
		return -ENOTCONN;
	if (len > max)
		len = max;
	if (len > UMX_TRACE_REC_MAX - sizeof(struct umx_trace_rec))
		len = UMX_TRACE_REC_MAX - sizeof(struct umx_trace_rec);
	memcpy(buf, &rep, sizeof(rep));
	if (len)
		memcpy(buf + sizeof(rep), payload, len);
	return umx_conn_call(tracepoint_conn, UMX_CTL_TRACE_REPORT, buf, sizeof(rep) + len, NULL, 0,
	                     NULL, NULL, 0, NULL);
}
