/* SPDX-License-Identifier: MIT */
/*
 * The store-client role: umx is a client of a XenStore (umxd's, xenstored,
 * or one on a socket: --store) and sends it what no client should. Each
 * attack is made on a fresh connection, in raw xs_wire; the store's answer
 * is the verdict: cutting the connection off or an XS_ERROR is a refusal,
 * an answer of success is harm. After each attack another fresh connection
 * must still be served (else hung), and a truncated write must have left
 * nothing behind.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/xs_wire.h>

#include "attack.h"
#include "store_client.h"

#define REQ_ID 0x554d4154u /* "UMAT" */

static int fresh(const struct attack_session *s, umx_xs **xs)
{
	return s->store_path ? umx_xs_open_path(s->store_path, xs) : umx_xs_open(xs);
}

static int send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int send_msg(int fd, uint32_t type, const void *body, uint32_t len, uint32_t claimed)
{
	struct xsd_sockmsg h = {.type = type, .req_id = REQ_ID, .tx_id = 0, .len = claimed};
	int r = send_all(fd, &h, sizeof(h));
	return r < 0 ? r : send_all(fd, body, len);
}

/* The store's answer within @ms: its type (the body, if any, into @body),
 * -EPIPE when it cut the connection off, -ETIMEDOUT when it said nothing. */
static int answer(int fd, long ms, char *body, size_t cap)
{
	struct xsd_sockmsg h;
	size_t got = 0;
	long end = attack_now_ms() + ms;

	body[0] = 0;
	while (got < sizeof(h)) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		long left = end - attack_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		ssize_t n = read(fd, (char *)&h + got, sizeof(h) - got);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return -EPIPE;
		if (n > 0)
			got += (size_t)n;
	}
	for (size_t want = h.len < cap - 1 ? h.len : cap - 1, b = 0; b < want;) {
		ssize_t n = read(fd, body + b, want - b);
		if (n <= 0)
			break;
		b += (size_t)n;
		body[b] = 0;
	}
	return (int)h.type;
}

/* Who we are to the store: a domain, or the toolstack (domain 0) on a
 * store's socket. */
static uint32_t self(const struct attack_session *s)
{
	return s->p && !s->store_path ? umx_plat_domid(s->p) : 0;
}

/* A path of ours, absolute: writes there are allowed. */
static void own_path(const struct attack_session *s, char *out, size_t cap, const char *leaf)
{
	snprintf(out, cap, "/local/domain/%u/data/%s", self(s), leaf);
}

static void judge_answer(struct attack_result *r, int t, const char *body, const char *what)
{
	if (t == -EPIPE) {
		r->v = ATTACK_REJECTED;
		attack_evidence(r, "cut the connection off");
	} else if (t == XS_ERROR) {
		r->v = ATTACK_REJECTED;
		attack_evidence(r, "answered %s", body);
	} else if (t == -ETIMEDOUT) {
		r->v = ATTACK_INCONCLUSIVE;
		attack_evidence(r, "no answer and the connection kept open");
	} else if (t < 0) {
		r->v = ATTACK_INCONCLUSIVE;
		attack_evidence(r, "%s", strerror(-t));
	} else {
		r->v = ATTACK_VULNERABLE;
		attack_evidence(r, "%s: answered type %d '%s'", what, t, body);
	}
}

/* 0 when delivered (the store was reached), else -errno. */
static int fire(const struct attack_session *s, const struct attack_def *a, struct attack_result *r)
{
	static char big[XENSTORE_PAYLOAD_MAX + 64];
	char body[256], path[128];
	long w = (long)s->timeout_ms / 5 < 1500 ? 1500 : (long)s->timeout_ms / 5;
	umx_xs *xs;
	int fd, rc, t;
	size_t n;

	if ((rc = fresh(s, &xs)) < 0) {
		r->v = ATTACK_INCONCLUSIVE;
		attack_evidence(r, "no connection to the store: %s", strerror(-rc));
		return rc;
	}
	fd = umx_xs_fd(xs);
	switch ((enum sc_attack)a->param) {
	case SC_OVERSIZED:
		/* A whole write one byte past the limit: path, NUL, value. */
		own_path(s, path, sizeof(path), "umx-attack-big");
		n = strlen(path) + 1;
		memset(big, 'A', sizeof(big));
		memcpy(big, path, n);
		rc = send_msg(fd, XS_WRITE, big, XENSTORE_PAYLOAD_MAX + 1,
		              XENSTORE_PAYLOAD_MAX + 1);
		t = rc < 0 ? -EPIPE : answer(fd, w, body, sizeof(body));
		judge_answer(r, t, body, "took a payload past XENSTORE_PAYLOAD_MAX");
		break;
	case SC_UNKNOWN_TYPE:
		rc = send_msg(fd, 9999, "x", 2, 2);
		t = rc < 0 ? -EPIPE : answer(fd, w, body, sizeof(body));
		judge_answer(r, t, body, "accepted message type 9999");
		break;
	case SC_PATH_UNTERMINATED:
		/* The node exists (written properly first): a store that reads
		 * the path without its NUL finds it; a correct one refuses. */
		own_path(s, path, sizeof(path), "umx-attack");
		rc = umx_xs_write_str(xs, UMX_XS_NO_TX, path, "exists");
		if (rc == 0)
			rc = send_msg(fd, XS_READ, path, (uint32_t)strlen(path),
			              (uint32_t)strlen(path));
		t = rc < 0 ? -EPIPE : answer(fd, w, body, sizeof(body));
		judge_answer(r, t, body, "read a path without its NUL");
		break;
	case SC_OUTSIDE_HOME:
		if (self(s) == 0) {
			r->v = ATTACK_INCONCLUSIVE;
			attack_evidence(r, "we are domain 0: privileged, nothing to show");
			break;
		}
		n = (size_t)snprintf(big, sizeof(big), "/local/domain/%u/umx-attack-foreign",
		                     s->target) +
		    1;
		/* xs_wire: a write's value is not NUL-terminated. */
		memcpy(big + n, "owned", 6);
		rc = send_msg(fd, XS_WRITE, big, (uint32_t)n + 5, (uint32_t)n + 5);
		t = rc < 0 ? -EPIPE : answer(fd, w, body, sizeof(body));
		judge_answer(r, t, body, "wrote into another domain's directory");
		break;
	case SC_TRUNCATED: {
		umx_xs *check;
		char *v = NULL;
		own_path(s, path, sizeof(path), "umx-attack-trunc");
		n = strlen(path) + 1;
		memcpy(big, path, n);
		memcpy(big + n, "half-a-message", 15);
		/* The header claims 14 bytes more than arrive; then we hang up. */
		rc = send_msg(fd, XS_WRITE, big, (uint32_t)n, (uint32_t)n + 14);
		umx_xs_close(xs);
		xs = NULL;
		usleep(200000);
		if (rc < 0 || (rc = fresh(s, &check)) < 0) {
			r->v = ATTACK_INCONCLUSIVE;
			attack_evidence(r, "not delivered: %s", strerror(-rc));
			break;
		}
		rc = umx_xs_read(check, UMX_XS_NO_TX, path, &v, NULL);
		umx_xs_close(check);
		if (rc == 0) {
			r->v = ATTACK_VULNERABLE;
			attack_evidence(r, "half a write was applied: %s = '%s'", path, v);
			free(v);
		} else {
			r->v = ATTACK_REJECTED;
			attack_evidence(r, "nothing of the half write was applied (%s)",
			                strerror(-rc));
		}
		break;
	}
	}
	if (xs)
		umx_xs_close(xs);
	return 0;
}

/* Whether the store still serves a fresh connection: 0 or -errno. */
static int still_serving(const struct attack_session *s)
{
	umx_xs *xs;
	char *v = NULL;
	int r = fresh(s, &xs);

	if (r < 0)
		return r;
	r = umx_xs_read(xs, UMX_XS_NO_TX, "/", &v, NULL);
	free(v);
	umx_xs_close(xs);
	return r == -ENOENT || r == -EACCES ? 0 : r; /* an answer is an answer */
}

static int store_client_run(const struct attack_session *s, const struct attack_def *const *as,
                            unsigned n, struct attack_result *out)
{
	for (unsigned i = 0; i < n; i++) {
		long t0 = attack_now_ms();
		int r;

		out[i] = (struct attack_result){.a = as[i]};
		attack_log(s, "store: %s", as[i]->name);
		if (fire(s, as[i], &out[i]) == 0 && (r = still_serving(s)) < 0 &&
		    out[i].v != ATTACK_VULNERABLE) {
			char was[ATTACK_EVIDENCE_MAX];
			memcpy(was, out[i].evidence, sizeof(was));
			out[i].v = r == -ECONNREFUSED || r == -ENOENT ? ATTACK_VULNERABLE
			                                              : ATTACK_HUNG;
			attack_evidence(&out[i],
			                "the store no longer serves a fresh connection (%s) "
			                "after: %s",
			                strerror(-r), was);
		}
		out[i].ms = attack_now_ms() - t0;
		attack_log(s, "store: %s: %s (%s)", as[i]->name, attack_verdict_name(out[i].v),
		           out[i].evidence);
	}
	return 0;
}

const struct attack_role attack_role_store_client = {
        .name = "store-client",
        .target = "a XenStore (TARGET: the store's domain, 0)",
        .run = store_client_run,
};
