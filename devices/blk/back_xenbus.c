/* SPDX-License-Identifier: MIT */
/*
 * blkback's side of the xenbus handshake (xen/io/blkif.h): each vbd the
 * toolstack creates under this domain's backend/vbd/ has its file opened
 * and gets our feature nodes and InitWait; when the frontend reaches
 * Initialised or Connected its ring refs, event channel and protocol are
 * read (hostile: checked, a bad value fails that vbd alone), the ring is
 * mapped and the channel bound, the geometry written, and we go Connected.
 * Closing or a vanished frontend disconnects the vbd; a frontend that
 * starts over from Initialising gets a fresh connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_priv.h"
#include "umx/log.h"

/* One queue's nodes in @dir (the frontend's directory, or its queue-N):
 * map its 2^@order ring pages, bind its channel, attach the ring. 0 or
 * -EPROTO (the vbd failed; what this queue got is released with it). */
static int queue_connect(struct bb_vbd *v, struct bb_queue *q, const char *dir, bool paged,
                         unsigned long order, bool top)
{
	struct umx_blkback *bb = v->bb;
	uint32_t refs[BLK_RING_PAGES_MAX];
	unsigned long evtchn, ref;
	const char *qn = top ? "" : strrchr(dir, '/') + 1;
	const char *sep = top ? "" : "/";
	int port;

	for (unsigned i = 0; i < (1u << order); i++) {
		char name[24];
		/* ring-page-order present (even 0): ring-ref0..; else ring-ref,
		 * as Linux's blkback reads them. */
		if (paged)
			snprintf(name, sizeof(name), "ring-ref%u", i);
		else
			snprintf(name, sizeof(name), "ring-ref");
		if (xenbus_read_uint(bb->xs, dir, name, &ref) < 0 || ref > UINT32_MAX)
			return bb_vbd_fail(v, "frontend node %s%s%s missing or malformed", qn, sep,
			                   name);
		refs[i] = (uint32_t)ref;
	}
	if (xenbus_read_uint(bb->xs, dir, "event-channel", &evtchn) < 0 || evtchn == 0 ||
	    evtchn > UINT32_MAX)
		return bb_vbd_fail(v, "frontend node %s%sevent-channel missing or malformed", qn,
		                   sep);
	if (umx_plat_map(bb->p, v->info.front_domid, 1u << order, refs, false, NULL, &q->m_ring) <
	    0) {
		q->m_ring = NULL;
		return bb_vbd_fail(v, "cannot map the ring of queue %u (%u pages)", q->idx,
		                   1u << order);
	}
	port = umx_plat_evtchn_bind_interdomain(bb->p, v->info.front_domid, (uint32_t)evtchn);
	if (port <= 0)
		return bb_vbd_fail(v, "cannot bind event channel %lu of queue %u", evtchn, q->idx);
	q->port = (uint32_t)port;
	if (umx_ring_back_init(&q->ring, umx_plat_map_addr(q->m_ring),
	                       (size_t)UMX_PAGE_SIZE << order, sizeof(struct blkif_request),
	                       sizeof(struct blkif_response), false) < 0)
		return bb_vbd_fail(v, "cannot attach the ring of queue %u", q->idx);
	return 0;
}

static int vbd_connect(struct bb_vbd *v)
{
	struct umx_blkback *bb = v->bb;
	unsigned long order = 0, persistent = 0, nq = 1;
	char *proto = NULL;
	bool paged;
	int r;

	if ((paged = xenbus_read_uint(bb->xs, v->fe, "ring-page-order", &order) == 0)) {
		if (order > UMX_BLK_RING_ORDER_MAX)
			return bb_vbd_fail(v, "ring-page-order %lu above %u", order,
			                   UMX_BLK_RING_ORDER_MAX);
	} else {
		order = 0;
	}
	/* Absent means one queue, its nodes at the top (a frontend that does
	 * not know the feature); present, it must be 1 .. what we offered. A
	 * value that does not parse is a lie too, not "absent". */
	{
		char path[192], *val = NULL;
		snprintf(path, sizeof(path), "%s/multi-queue-num-queues", v->fe);
		if (umx_xs_read(bb->xs, UMX_XS_NO_TX, path, &val, NULL) == 0) {
			free(val);
			if (xenbus_read_uint(bb->xs, v->fe, "multi-queue-num-queues", &nq) < 0 ||
			    nq == 0 || nq > UMX_BLK_QUEUES_MAX)
				return bb_vbd_fail(v,
				                   "multi-queue-num-queues not 1 .. %u (offered)",
				                   UMX_BLK_QUEUES_MAX);
		}
	}
	{
		char path[192];
		snprintf(path, sizeof(path), "%s/protocol", v->fe);
		/* Absent means native, as for Linux's blkback. */
		if (umx_xs_read(bb->xs, UMX_XS_NO_TX, path, &proto, NULL) == 0 &&
		    strcmp(proto, BLK_PROTOCOL) != 0) {
			bb_vbd_fail(v, "protocol '%.32s' not supported (only %s)", proto,
			            BLK_PROTOCOL);
			free(proto);
			return -EPROTO;
		}
		free(proto);
	}
	xenbus_read_uint(bb->xs, v->fe, "feature-persistent", &persistent);
	v->info.persistent = persistent == 1;
	v->info.ring_order = (uint32_t)order;
	for (unsigned i = 0; i < nq; i++)
		if (!bb_queue_get(v, i))
			return bb_vbd_fail(v, "out of memory for %lu queues", nq);
	/* Counted from here: a failure on queue i releases queues 0 .. i. */
	v->nq = (unsigned)nq;
	if (nq == 1) {
		if ((r = queue_connect(v, v->q[0], v->fe, paged, order, true)) < 0)
			return r;
	} else {
		/* With several queues, every queue's nodes are in queue-N and
		 * only there (xen/io/blkif.h): top-level ones are ignored. */
		for (unsigned i = 0; i < nq; i++) {
			char dir[160];
			snprintf(dir, sizeof(dir), "%s/queue-%u", v->fe, i);
			if ((r = queue_connect(v, v->q[i], dir, paged, order, false)) < 0)
				return r;
		}
	}
	v->info.queues = (uint32_t)nq;
	v->info.uring = false;
	for (unsigned i = 0; i < nq; i++) {
		bb_pgnt_flush(v->q[i]);
		if (bb->io != UMX_BLKBACK_IO_SYNC && (r = bb_uring_start(v->q[i])) < 0) {
			if (bb->io == UMX_BLKBACK_IO_URING)
				return bb_vbd_fail(v, "io_uring unavailable: %s", strerror(-r));
			if (i == 0)
				umx_info("blkback: vbd %u/%u: io_uring unavailable (%s): "
				         "preadv/pwritev",
				         v->info.front_domid, v->info.devid, strerror(-r));
		}
	}
	/* The geometry, as Linux's blkback writes it in connect(). */
	xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "sectors", "%llu",
	              (unsigned long long)v->info.sectors);
	xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "info", "%u",
	              v->info.readonly ? VDISK_READONLY : 0u);
	xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "sector-size", "%u", v->info.sector_size);
	xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "physical-sector-size", "%u",
	              v->info.sector_size);
	v->info.connected = true;
	bb->busy = true;
	xenbus_switch_state(bb->xs, v->be, XenbusStateConnected);
	umx_info("blkback: vbd %u/%u connected (%s, %llu sectors, %lu queue%s, order %lu%s, %s)",
	         v->info.front_domid, v->info.devid, v->info.params,
	         (unsigned long long)v->info.sectors, nq, nq == 1 ? "" : "s", order,
	         v->info.persistent ? ", persistent" : "",
	         v->q[0]->u ? "io_uring" : "preadv/pwritev");
	return 0;
}

/* The frontend's state node changed (or vanished). */
static void vbd_frontend_changed(struct bb_vbd *v)
{
	struct umx_blkback *bb = v->bb;
	int s = xenbus_read_state(bb->xs, v->fe);
	int bs = xenbus_read_state(bb->xs, v->be);

	/* A toolstack may write the backend directory before the frontend's: a
	 * frontend that never existed is not yet there, not gone. */
	if (s < 0 && !v->fe_seen)
		return;
	if (s >= 0)
		v->fe_seen = true;
	switch (s) {
	case XenbusStateInitialising:
		if (bs == XenbusStateClosed || bs == XenbusStateClosing) {
			if (v->info.connected)
				bb_vbd_disconnect(v);
			v->info.reason[0] = 0; /* a reconnect starts afresh */
			xenbus_switch_state(bb->xs, v->be, XenbusStateInitWait);
		}
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (!v->info.connected && !v->info.reason[0] && bs == XenbusStateInitWait)
			vbd_connect(v);
		break;
	default: /* Closing, Closed, unknown, or gone with its domain */
		if (v->info.connected)
			bb_vbd_disconnect(v);
		if (bs >= 0 && bs != XenbusStateClosed)
			xenbus_switch_state(bb->xs, v->be, XenbusStateClosed);
		break;
	}
}

void bb_vbd_free(struct umx_blkback *bb, struct bb_vbd *v)
{
	char path[160], token[48];

	snprintf(path, sizeof(path), "%s/state", v->fe);
	snprintf(token, sizeof(token), "fe:%u:%u", v->info.front_domid, v->info.devid);
	umx_xs_unwatch(bb->xs, path, token);
	bb_vbd_disconnect(v);
	if (v->fd >= 0)
		close(v->fd);
	for (unsigned i = 0; i < UMX_BLK_QUEUES_MAX; i++)
		free(v->q[i]);
	free(v);
}

/* Open the file the toolstack named and size the disk. */
static int vbd_open_file(struct bb_vbd *v)
{
	struct umx_blkback *bb = v->bb;
	unsigned long ss = 512;
	struct stat st;
	char path[192], *mode = NULL;

	snprintf(path, sizeof(path), "%s/mode", v->be);
	if (umx_xs_read(bb->xs, UMX_XS_NO_TX, path, &mode, NULL) == 0)
		v->info.readonly = mode[0] != 'w';
	free(mode);
	if (xenbus_read_uint(bb->xs, v->be, "sector-size", &ss) < 0)
		ss = 512;
	if (ss != 512 && ss != 4096)
		return -EINVAL;
	v->info.sector_size = (uint32_t)ss;
	for (unsigned i = 0; i < bb->nfiles && v->fd < 0; i++) {
		if (strcmp(bb->files[i].path, v->info.params) != 0)
			continue;
		int fl = fcntl(bb->files[i].fd, F_GETFL);
		if (fl < 0)
			return -errno;
		if ((fl & O_ACCMODE) == O_RDONLY && !v->info.readonly)
			return -EACCES; /* provided read-only, attached writable */
		if ((v->fd = fcntl(bb->files[i].fd, F_DUPFD_CLOEXEC, 3)) < 0)
			return -errno;
	}
	if (v->fd < 0)
		v->fd = open(v->info.params, (v->info.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (v->fd < 0)
		return -errno;
	if (fstat(v->fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return -EINVAL;
	if (S_ISREG(st.st_mode)) {
		v->info.sectors = (uint64_t)st.st_size >> BLK_SECTOR_SHIFT;
	} else {
		off_t end = lseek(v->fd, 0, SEEK_END);
		if (end < 0)
			return -errno;
		v->info.sectors = (uint64_t)end >> BLK_SECTOR_SHIFT;
	}
	/* Whole logical sectors only. */
	v->info.sectors &= ~(uint64_t)((ss >> BLK_SECTOR_SHIFT) - 1);
	return 0;
}

/* Open the vbd's file and offer our features (InitWait), or say why not
 * (hotplug-error, Closed). Again for a vbd that failed, once its file is
 * provided (umx_blkback_provide). */
void bb_vbd_setup(struct bb_vbd *v)
{
	struct umx_blkback *bb = v->bb;
	uint32_t fdom = v->info.front_domid, devid = v->info.devid;
	char path[192];
	int r;

	if (v->fd >= 0)
		return;
	v->info.reason[0] = 0;
	if ((r = vbd_open_file(v)) < 0) {
		umx_err("blkback: vbd %u/%u: cannot open %s: %s", fdom, devid, v->info.params,
		        strerror(-r));
		snprintf(v->info.reason, sizeof(v->info.reason), "cannot open %.90s: %.20s",
		         v->info.params, strerror(-r));
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "hotplug-error", "%s", v->info.reason);
		xenbus_switch_state(bb->xs, v->be, XenbusStateClosed);
		if (v->fd >= 0)
			close(v->fd);
		v->fd = -1;
	} else {
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "feature-flush-cache", "1");
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "feature-barrier", "1");
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "feature-discard", "%u",
		              v->info.readonly ? 0u : 1u);
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "discard-granularity", "%u",
		              v->info.sector_size);
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "discard-alignment", "0");
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "discard-secure", "0");
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "feature-persistent", "1");
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "max-ring-page-order", "%u",
		              UMX_BLK_RING_ORDER_MAX);
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "feature-max-indirect-segments", "%u",
		              UMX_BLK_INDIRECT_SEGS);
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "multi-queue-max-queues", "%u",
		              UMX_BLK_QUEUES_MAX);
		snprintf(path, sizeof(path), "%s/hotplug-error", v->be);
		umx_xs_rm(bb->xs, UMX_XS_NO_TX, path); /* from a failed attempt */
		xenbus_switch_state(bb->xs, v->be, XenbusStateInitWait);
	}
}

static void vbd_new(struct umx_blkback *bb, uint32_t fdom, uint32_t devid)
{
	struct bb_vbd *v;
	char path[192], token[48], *val = NULL;
	unsigned long fid;

	if (bb->nvbds == UMX_BLK_VBDS_MAX) {
		umx_warn("blkback: more than %u vbds, ignoring %u/%u", UMX_BLK_VBDS_MAX, fdom,
		         devid);
		return;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return;
	v->bb = bb;
	v->fd = -1;
	v->info.front_domid = fdom;
	v->info.devid = devid;
	snprintf(v->be, sizeof(v->be), "%s/%u/%u", bb->dir, fdom, devid);
	/* The toolstack's nodes: frontend path and id must agree with the
	 * directory we found them in. */
	if (xenbus_read_uint(bb->xs, v->be, "frontend-id", &fid) < 0 || fid != fdom)
		goto bad;
	snprintf(path, sizeof(path), "%s/frontend", v->be);
	if (umx_xs_read(bb->xs, UMX_XS_NO_TX, path, &val, NULL) < 0 || strlen(val) >= sizeof(v->fe))
		goto bad;
	snprintf(v->fe, sizeof(v->fe), "%s", val);
	free(val);
	val = NULL;
	snprintf(path, sizeof(path), "%s/params", v->be);
	if (umx_xs_read(bb->xs, UMX_XS_NO_TX, path, &val, NULL) < 0 ||
	    strlen(val) >= sizeof(v->info.params))
		goto bad;
	snprintf(v->info.params, sizeof(v->info.params), "%s", val);
	free(val);
	val = NULL;
	bb_vbd_setup(v);
	bb->vbds[bb->nvbds++] = v;
	snprintf(path, sizeof(path), "%s/state", v->fe);
	snprintf(token, sizeof(token), "fe:%u:%u", fdom, devid);
	umx_xs_watch(bb->xs, path, token); /* fires once now */
	return;
bad:
	free(val);
	umx_warn("blkback: vbd %u/%u: toolstack nodes missing or inconsistent", fdom, devid);
	free(v);
}

static struct bb_vbd *vbd_find(struct umx_blkback *bb, uint32_t fdom, uint32_t devid)
{
	for (unsigned i = 0; i < bb->nvbds; i++)
		if (bb->vbds[i]->info.front_domid == fdom && bb->vbds[i]->info.devid == devid)
			return bb->vbds[i];
	return NULL;
}

/* A vbd the sweep found: known (still there) or new. */
static void vbd_seen(void *ctx, uint32_t fdom, uint32_t devid)
{
	struct umx_blkback *bb = ctx;
	struct bb_vbd *v = vbd_find(bb, fdom, devid);

	if (v)
		v->gone = false;
	else
		vbd_new(bb, fdom, devid);
}

void bb_rescan(struct umx_blkback *bb)
{
	for (unsigned i = 0; i < bb->nvbds; i++)
		bb->vbds[i]->gone = true;
	xenbus_backend_scan(bb->xs, bb->dir, 0xfffffff, vbd_seen, bb);
	for (unsigned i = 0; i < bb->nvbds;) {
		struct bb_vbd *v = bb->vbds[i];
		if (v->gone) {
			umx_info("blkback: vbd %u/%u removed", v->info.front_domid, v->info.devid);
			bb->vbds[i] = bb->vbds[--bb->nvbds];
			bb_vbd_free(bb, v);
		} else {
			i++;
		}
	}
}

void bb_handle_watch(struct umx_blkback *bb, const char *path, const char *token)
{
	unsigned fdom, devid;

	if (!strcmp(token, "be")) {
		/* Only directory-level changes (a vbd added or removed), not our
		 * own writes below a vbd. */
		size_t n = strlen(bb->dir);
		unsigned depth = 0;
		if (strncmp(path, bb->dir, n) != 0)
			return;
		for (const char *c = path + n; *c; c++)
			depth += *c == '/';
		if (depth <= 2)
			bb_rescan(bb);
		return;
	}
	if (sscanf(token, "fe:%u:%u", &fdom, &devid) == 2) {
		struct bb_vbd *v = vbd_find(bb, fdom, devid);
		if (v && v->fd >= 0)
			vbd_frontend_changed(v);
	}
}

void bb_publish_stats(struct umx_blkback *bb)
{
	for (unsigned i = 0; i < bb->nvbds; i++) {
		const struct bb_vbd *v = bb->vbds[i];
		const struct umx_blk_stats *s = &v->info.st;
		unsigned pgrants = 0;

		for (unsigned j = 0; j < v->nq; j++)
			pgrants += v->q[j]->npg;
		xenbus_printf(bb->xs, UMX_XS_NO_TX, v->be, "statistics",
		              "reads=%llu writes=%llu flushes=%llu discards=%llu "
		              "bytes_read=%llu bytes_written=%llu errors=%llu pgrants=%u",
		              (unsigned long long)s->reads, (unsigned long long)s->writes,
		              (unsigned long long)s->flushes, (unsigned long long)s->discards,
		              (unsigned long long)s->bytes_read,
		              (unsigned long long)s->bytes_written, (unsigned long long)s->errors,
		              pgrants);
	}
}
