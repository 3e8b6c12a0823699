/* SPDX-License-Identifier: MIT */
/*
 * Request handlers: one per xs_wire type, Xen 4.17 xenstored semantics.
 * Each parses its payload with args() (every string must end in a NUL
 * inside the payload), works on a view and queues exactly one reply.
 *
 * INTRODUCE / RELEASE / RESUME / SET_TARGET (dom0 only): umxd attaches
 * domains' connections itself, so INTRODUCE only marks the domain
 * introduced and fires @introduceDomain (no ring is mapped; the mfn and
 * port are checked for form only); RELEASE cuts the domain's connections,
 * drops its watches and transactions and fires @releaseDomain, leaving the
 * nodes to the toolstack as Xen does; RESUME checks the domain is
 * introduced; SET_TARGET gives a domain its target's rights (stubdoms).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_engine.h"

struct req {
	struct xs_conn *c;
	uint32_t type, req_id, tx_id;
	const char *p;
	uint32_t len;
	struct xs_view v;
};

const char *xs_errname(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EINVAL";
}

static void reply(struct req *r, const void *data, size_t len)
{
	xs_conn_send(r->c, r->type, r->req_id, r->tx_id, data, len, NULL, 0, true);
}

static void reply_err(struct req *r, int err)
{
	const char *s = xs_errname(err);
	xs_conn_send(r->c, XS_ERROR, r->req_id, r->tx_id, s, strlen(s) + 1, NULL, 0, true);
}

static void reply_ok(struct req *r)
{
	reply(r, "OK", 3);
}

static void reply_str(struct req *r, const char *s)
{
	reply(r, s, strlen(s) + 1);
}

/* Split the payload into NUL-terminated strings; -EINVAL if bytes are left
 * without a NUL. Returns the count (at most @max are stored). */
static int args(const struct req *r, const char **v, int max)
{
	uint32_t off = 0;
	int n = 0;
	while (off < r->len) {
		const char *s = r->p + off;
		const char *nul = memchr(s, 0, r->len - off);
		if (!nul)
			return -EINVAL;
		if (n < max)
			v[n] = s;
		n++;
		off += (uint32_t)(nul - s) + 1;
	}
	return n;
}

/* Exactly one string, which is the whole payload. */
static const char *onearg(const struct req *r)
{
	const char *v[1];
	return args(r, v, 1) == 1 ? v[0] : NULL;
}

#define PATHBUF (XENSTORE_ABS_PATH_MAX + 64)

static int canon(struct req *r, const char *in, bool special, char out[PATHBUF])
{
	return xs_path_canon(r->c->st, r->c->domid, in, special, out, PATHBUF);
}

/* The request's one argument, a path (@special: or a special @name),
 * made absolute into @path. */
static int path_arg(struct req *r, bool special, char path[PATHBUF])
{
	const char *a = onearg(r);

	return a ? canon(r, a, special, path) : -EINVAL;
}

/* The node the request's one path argument names, which the requester
 * may read. */
static int readable_node_arg(struct req *r, struct xs_node **n)
{
	char path[PATHBUF];
	int err = path_arg(r, false, path);

	return err ? err : xs_view_get_perm(&r->v, path, XS_PERM_READ, n);
}

static int do_read(struct req *r)
{
	struct xs_node *n;
	int err = readable_node_arg(r, &n);
	if (!err)
		reply(r, n->value, n->vlen);
	return err;
}

static int do_write(struct req *r)
{
	char path[PATHBUF];
	const char *nul = memchr(r->p, 0, r->len);
	struct xs_node *n;
	int err;
	if (!nul)
		return -EINVAL;
	const char *val = nul + 1;
	size_t vlen = r->len - (size_t)(val - r->p);
	err = canon(r, r->p, false, path);
	if (err)
		return err;
	if (!xs_dom_privileged(r->c->domid) && vlen > r->c->st->quota[XS_Q_NODE_SIZE])
		return -ENOSPC;
	err = xs_view_get_perm(&r->v, path, XS_PERM_WRITE, &n);
	if (err == -ENOENT)
		err = xs_view_create(&r->v, path, &n);
	if (!err)
		err = xs_node_set_value(n, val, vlen);
	if (err)
		return err;
	xs_view_touch(&r->v, n);
	if (!r->v.txn)
		xs_watch_fire(r->c->st, path, n->perms, n->nperms);
	reply_ok(r);
	return 0;
}

static int do_mkdir(struct req *r)
{
	char path[PATHBUF];
	struct xs_node *n;
	int err = path_arg(r, false, path);
	if (err)
		return err;
	err = xs_view_get_perm(&r->v, path, XS_PERM_WRITE, &n);
	if (err == -ENOENT) {
		err = xs_view_create(&r->v, path, &n);
		if (!err && !r->v.txn)
			xs_watch_fire(r->c->st, path, n->perms, n->nperms);
	}
	if (!err)
		reply_ok(r);
	return err;
}

static int do_rm(struct req *r)
{
	char path[PATHBUF];
	struct xs_node *n;
	int err = path_arg(r, false, path);
	if (err)
		return err;
	if (!strcmp(path, "/"))
		return -EINVAL;
	err = xs_view_get_perm(&r->v, path, XS_PERM_WRITE, &n);
	if (err == -ENOENT) {
		/* Fine if the parent exists (cxenstored). */
		path[xs_path_parent_len(path)] = '\0';
		err = xs_view_get(&r->v, path, &n);
		if (!err && !n)
			err = -ENOENT;
	} else if (!err) {
		err = xs_view_rm(&r->v, path);
	}
	if (!err)
		reply_ok(r);
	return err;
}

static int do_directory(struct req *r)
{
	struct xs_node *n;
	int err = readable_node_arg(r, &n);
	if (!err && n->clen > XENSTORE_PAYLOAD_MAX)
		err = -E2BIG;
	if (!err)
		reply(r, n->children, n->clen);
	return err;
}

static int do_directory_part(struct req *r)
{
	char path[PATHBUF], gen[24];
	const char *v[2];
	struct xs_node *n;
	unsigned off;
	int err = args(r, v, 2) == 2 ? canon(r, v[0], false, path) : -EINVAL;
	if (!err)
		err = xs_parse_uint(v[1], UINT32_MAX, &off);
	if (!err)
		err = xs_view_get_perm(&r->v, path, XS_PERM_READ, &n);
	if (err)
		return err;
	/* In a transaction the copy's generation is that of the snapshot. */
	size_t genlen = (size_t)snprintf(gen, sizeof(gen), "%llu",
	                                 (unsigned long long)(r->v.txn ? n->base_gen : n->gen)) +
	                1;
	if (off >= n->clen) {
		char buf[sizeof(gen) + 1];
		memcpy(buf, gen, genlen);
		buf[genlen] = '\0';
		reply(r, buf, genlen + 1);
		return 0;
	}
	/* Whole names that fit, plus an empty string when the list ends. */
	size_t maxlen = XENSTORE_PAYLOAD_MAX - genlen - 1, len = 0;
	while (off + len < n->clen) {
		size_t l = strlen(n->children + off + len);
		if (len + l >= maxlen)
			break;
		len += l + 1;
	}
	char *buf = malloc(genlen + len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, gen, genlen);
	memcpy(buf + genlen, n->children + off, len);
	if (off + len == n->clen)
		buf[genlen + len++] = '\0';
	reply(r, buf, genlen + len);
	free(buf);
	return 0;
}

static int do_get_perms(struct req *r)
{
	char path[PATHBUF], out[XENSTORE_PAYLOAD_MAX];
	struct xs_node *n;
	int err = path_arg(r, true, path);
	if (err)
		return err;
	int sp = xs_special_index(path);
	if (path[0] == '@') {
		if (sp < 0)
			return -ENOENT;
		const struct xs_store *st = r->c->st;
		if (!(xs_perm_for(st, r->c->domid, st->special_perms[sp], st->special_nperms[sp]) &
		      XS_PERM_READ))
			return -EACCES;
		reply(r, out,
		      xs_perms_format(st->special_perms[sp], st->special_nperms[sp], out,
		                      sizeof(out)));
		return 0;
	}
	err = xs_view_get_perm(&r->v, path, XS_PERM_READ, &n);
	if (!err)
		reply(r, out, xs_perms_format(n->perms, n->nperms, out, sizeof(out)));
	return err;
}

static int do_set_perms(struct req *r)
{
	char path[PATHBUF];
	const char *v[XENSTORE_PAYLOAD_MAX / 2];
	struct xs_perm perms[XENSTORE_PAYLOAD_MAX / 2];
	struct xs_store *st = r->c->st;
	struct xs_node *n;
	int cnt = args(r, v, (int)(sizeof(v) / sizeof(v[0])));
	int err = cnt >= 2 ? canon(r, v[0], true, path) : -EINVAL;
	if (err)
		return err;
	unsigned np = (unsigned)cnt - 1;
	err = xs_perms_parse(v + 1, np, perms);
	if (err)
		return err;
	if (!xs_dom_privileged(r->c->domid) && np > st->quota[XS_Q_PERMISSIONS])
		return -ENOSPC;
	err = xs_perms_drop_released(st, perms, np);
	if (err < 0)
		return err;
	np = (unsigned)err;
	if (path[0] == '@') {
		int sp = xs_special_index(path);
		if (sp < 0)
			return -ENOENT;
		if (!(xs_perm_for(st, r->c->domid, st->special_perms[sp], st->special_nperms[sp]) &
		      XS_PERM_OWNER))
			return -EACCES;
		if (np > sizeof(st->special_perms[0]) / sizeof(st->special_perms[0][0]))
			return -ENOSPC;
		memcpy(st->special_perms[sp], perms, np * sizeof(perms[0]));
		st->special_nperms[sp] = np;
		reply_ok(r);
		return 0;
	}
	err = xs_view_get_perm(&r->v, path, XS_PERM_WRITE | XS_PERM_OWNER, &n);
	if (err)
		return err;
	/* Unprivileged domains may not give their nodes away. */
	if (!xs_dom_privileged(r->c->domid) && perms[0].id != n->perms[0].id)
		return -EPERM;
	err = xs_view_set_perms(&r->v, n, perms, np);
	if (err)
		return err;
	if (!r->v.txn)
		xs_watch_fire(st, path, n->perms, n->nperms);
	reply_ok(r);
	return 0;
}

static int do_watch(struct req *r, bool add)
{
	char path[PATHBUF];
	const char *v[2];
	int err = args(r, v, 2) == 2 ? canon(r, v[0], true, path) : -EINVAL;
	if (err)
		return err;
	if (!add)
		err = xs_watch_del(r->c, path, v[1]);
	else
		err = xs_watch_add(r->c, path, v[1], v[0][0] != '/' && v[0][0] != '@');
	if (err)
		return err;
	reply_ok(r);
	/* The first event, at once, with the path as the client gave it. */
	if (add)
		xs_conn_send(r->c, XS_WATCH_EVENT, 0, 0, v[0], strlen(v[0]) + 1, v[1],
		             strlen(v[1]) + 1, false);
	return 0;
}

static int do_reset_watches(struct req *r)
{
	xs_watch_del_all(r->c);
	xs_txn_del_all(r->c);
	reply_ok(r);
	return 0;
}

static int do_txn_start(struct req *r)
{
	char buf[16];
	uint32_t id;
	int err = xs_txn_start(r->c, &id);
	if (err)
		return err;
	snprintf(buf, sizeof(buf), "%u", id);
	reply_str(r, buf);
	return 0;
}

static int do_txn_end(struct req *r)
{
	const char *a = onearg(r);
	bool commit;
	if (!a || !r->v.txn)
		return -EINVAL;
	if (!strcmp(a, "T"))
		commit = true;
	else if (!strcmp(a, "F"))
		commit = false;
	else
		return -EINVAL;
	int err = xs_txn_end(r->v.txn, commit);
	r->v.txn = NULL;
	if (!err)
		reply_ok(r);
	return err;
}

static int domid_arg(const char *s, unsigned *out)
{
	return s ? xs_parse_uint(s, XS_DOMID_MAX, out) : -EINVAL;
}

static int do_get_domain_path(struct req *r)
{
	char buf[40];
	unsigned domid;
	int err = domid_arg(onearg(r), &domid);
	if (err)
		return err;
	snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
	reply_str(r, buf);
	return 0;
}

static int do_is_introduced(struct req *r)
{
	unsigned domid;
	int err = domid_arg(onearg(r), &domid);
	if (!err)
		reply_str(r, xs_dom_introduced(r->c->st, domid) ? "T" : "F");
	return err;
}

static void fire_special(struct xs_store *st, int idx)
{
	static const char *const names[2] = {"@introduceDomain", "@releaseDomain"};
	xs_watch_fire(st, names[idx], st->special_perms[idx], st->special_nperms[idx]);
}

static int do_introduce(struct req *r)
{
	const char *v[3];
	unsigned domid, port;
	unsigned long long mfn;
	char *end;
	if (args(r, v, 3) < 3 || domid_arg(v[0], &domid) || domid == 0 ||
	    xs_parse_uint(v[2], UINT32_MAX, &port))
		return -EINVAL;
	mfn = strtoull(v[1], &end, 10);
	if (!v[1][0] || *end || (v[1][0] < '0' || v[1][0] > '9'))
		return -EINVAL;
	(void)mfn;
	struct xs_domain *d = xs_dom(r->c->st, domid);
	if (!d)
		return -ENOMEM;
	if (!d->introduced) {
		d->introduced = true;
		d->released = false;
		fire_special(r->c->st, 0);
	}
	reply_ok(r);
	return 0;
}

static int do_release(struct req *r)
{
	struct xs_store *st = r->c->st;
	unsigned domid;
	if (domid_arg(onearg(r), &domid) || domid == 0)
		return -EINVAL;
	if (!xs_dom_introduced(st, domid))
		return -ENOENT;
	xs_domain_release_conns(st, domid);
	struct xs_domain *d = xs_dom_find(st, domid);
	if (d) {
		d->introduced = false;
		xs_dom_set_target(st, d, -1);
	}
	fire_special(st, 1);
	reply_ok(r);
	return 0;
}

static int do_resume(struct req *r)
{
	unsigned domid;
	if (domid_arg(onearg(r), &domid) || domid == 0)
		return -EINVAL;
	if (!xs_dom_introduced(r->c->st, domid))
		return -ENOENT;
	reply_ok(r);
	return 0;
}

static int do_set_target(struct req *r)
{
	const char *v[2];
	unsigned domid, target;
	if (args(r, v, 2) != 2 || domid_arg(v[0], &domid) || domid_arg(v[1], &target) || domid == 0)
		return -EINVAL;
	if (!xs_dom_introduced(r->c->st, domid) || !xs_dom_introduced(r->c->st, target))
		return -ENOENT;
	struct xs_domain *d = xs_dom(r->c->st, domid);
	if (!d)
		return -ENOMEM;
	xs_dom_set_target(r->c->st, d, (int)target);
	reply_ok(r);
	return 0;
}

/* CONTROL: "check", "help", "quota [NAME VALUE]", "quota-domain DOMID". */
static int do_control(struct req *r)
{
	struct xs_store *st = r->c->st;
	const char *v[4];
	char out[1024];
	size_t off = 0;
	int n = args(r, v, 4);
	if (n < 1)
		return -EINVAL;
	if (!strcmp(v[0], "check") && n == 1) {
		reply_ok(r);
		return 0;
	}
	if (!strcmp(v[0], "help") && n == 1) {
		reply_str(r, "check\nhelp\nquota [NAME VALUE]\nquota-domain DOMID\n");
		return 0;
	}
	if (!strcmp(v[0], "quota") && n == 1) {
		for (unsigned i = 0; i < XS_Q_COUNT; i++)
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%-18s %u\n",
			                        xs_quota_name(i), st->quota[i]);
		reply_str(r, out);
		return 0;
	}
	if (!strcmp(v[0], "quota") && n == 3) {
		unsigned val;
		if (xs_parse_uint(v[2], UINT32_MAX, &val))
			return -EINVAL;
		for (unsigned i = 0; i < XS_Q_COUNT; i++) {
			if (!strcmp(v[1], xs_quota_name(i))) {
				/* The toolstack's own cap is not the toolstack's
				 * to raise: umxd's option sets it. */
				if (i == XS_Q_TOOLSTACK_MEMORY)
					return -EACCES;
				st->quota[i] = val;
				reply_ok(r);
				return 0;
			}
		}
		return -EINVAL;
	}
	if (!strcmp(v[0], "quota-domain") && n == 2) {
		unsigned domid;
		if (domid_arg(v[1], &domid))
			return -EINVAL;
		const struct xs_domain *d = xs_dom_find(st, domid);
		snprintf(out, sizeof(out),
		         "nodes %u\nwatches %u\ntransactions %u\nconnections %u\nbytes %zu\n",
		         d ? d->nodes : 0, d ? d->watches : 0, d ? d->txns : 0, d ? d->conns : 0,
		         xs_store_domain_bytes(st, domid));
		reply_str(r, out);
		return 0;
	}
	return -EINVAL;
}

/* Could @type (in a transaction if @tx_id) make the store hold more on
 * behalf of the requester? Replies aside, which flow control bounds. */
static bool may_grow(uint32_t type, uint32_t tx_id)
{
	switch (type) {
	case XS_WRITE:
	case XS_MKDIR:
	case XS_SET_PERMS:
	case XS_WATCH:
	case XS_TRANSACTION_START:
	case XS_INTRODUCE:
		return true;
	case XS_TRANSACTION_END:
		return false;
	default:
		return tx_id != 0; /* reads copy nodes into the transaction */
	}
}

void xs_req_handle(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                   const char *payload, uint32_t len)
{
	struct req r = {c, type, req_id, tx_id, payload, len, {c->st, NULL, c->domid}};
	bool txn_ok = false, priv_only = false;
	int err;

	switch (type) {
	case XS_READ:
	case XS_WRITE:
	case XS_MKDIR:
	case XS_RM:
	case XS_DIRECTORY:
	case XS_DIRECTORY_PART:
	case XS_GET_PERMS:
	case XS_SET_PERMS:
	case XS_TRANSACTION_END:
	case XS_GET_DOMAIN_PATH:
	case XS_IS_DOMAIN_INTRODUCED:
		txn_ok = true;
		break;
	case XS_CONTROL:
	case XS_INTRODUCE:
	case XS_RELEASE:
	case XS_RESUME:
	case XS_SET_TARGET:
		priv_only = true;
		break;
	case XS_WATCH:
	case XS_UNWATCH:
	case XS_RESET_WATCHES:
	case XS_TRANSACTION_START:
		break;
	default:
		reply_err(&r, ENOSYS); /* unknown, or a reply type sent to us */
		return;
	}
	if (tx_id) {
		r.v.txn = xs_txn_find(c, tx_id);
		if (!r.v.txn) {
			reply_err(&r, ENOENT);
			return;
		}
		if (!txn_ok) {
			reply_err(&r, type == XS_TRANSACTION_START ? EBUSY : EINVAL);
			return;
		}
	}
	if (priv_only && !xs_dom_privileged(c->domid)) {
		reply_err(&r, EACCES);
		return;
	}
	/* The toolstack has no per-domain quotas, but one total cap. */
	if (xs_dom_privileged(c->domid) && may_grow(type, tx_id) && xs_toolstack_full(c->st)) {
		reply_err(&r, ENOSPC);
		return;
	}
	switch (type) {
	case XS_READ:
		err = do_read(&r);
		break;
	case XS_WRITE:
		err = do_write(&r);
		break;
	case XS_MKDIR:
		err = do_mkdir(&r);
		break;
	case XS_RM:
		err = do_rm(&r);
		break;
	case XS_DIRECTORY:
		err = do_directory(&r);
		break;
	case XS_DIRECTORY_PART:
		err = do_directory_part(&r);
		break;
	case XS_GET_PERMS:
		err = do_get_perms(&r);
		break;
	case XS_SET_PERMS:
		err = do_set_perms(&r);
		break;
	case XS_WATCH:
		err = do_watch(&r, true);
		break;
	case XS_UNWATCH:
		err = do_watch(&r, false);
		break;
	case XS_RESET_WATCHES:
		err = do_reset_watches(&r);
		break;
	case XS_TRANSACTION_START:
		err = do_txn_start(&r);
		break;
	case XS_TRANSACTION_END:
		err = do_txn_end(&r);
		break;
	case XS_GET_DOMAIN_PATH:
		err = do_get_domain_path(&r);
		break;
	case XS_IS_DOMAIN_INTRODUCED:
		err = do_is_introduced(&r);
		break;
	case XS_INTRODUCE:
		err = do_introduce(&r);
		break;
	case XS_RELEASE:
		err = do_release(&r);
		break;
	case XS_RESUME:
		err = do_resume(&r);
		break;
	case XS_SET_TARGET:
		err = do_set_target(&r);
		break;
	default:
		err = do_control(&r);
		break;
	}
	if (err)
		reply_err(&r, err);
}
