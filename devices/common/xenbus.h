/* SPDX-License-Identifier: MIT */
/*
 * xenbus.h — the store side every split device shares (vbd, vif, console):
 * reading and writing a device's nodes, its XenbusState, and the
 * toolstack's part (what libxl writes to pair a frontend with a backend).
 * Private to devices/.
 *
 * A device's nodes are named by its directory and a node name, as Linux's
 * xenbus_read/xenbus_printf name them; @name may be NULL when @dir is
 * already the node's full path. Everything read was written by the peer:
 * values are parsed strictly and paths that would not fit are refused
 * (-ENAMETOOLONG), never truncated.
 *
 * Calls return 0 (or the value they name) or -errno.
 */
#ifndef UMX_DEVICES_XENBUS_H
#define UMX_DEVICES_XENBUS_H

#include <stdint.h>

#include "umx/xs.h"

/* Longest node path the helpers build (Xen's own limit is 3072; device
 * paths are far shorter, a longer one is a peer's or a caller's error). */
#define XENBUS_PATH_MAX 256

/* @dir/@name as an unsigned decimal: digits only, no sign, no spaces, no
 * trailing bytes, no overflow; -EINVAL otherwise. */
int xenbus_read_uint(umx_xs *xs, const char *dir, const char *name, unsigned long *v);

/* Write @dir/@name = the formatted value (at most 255 bytes) in @tx
 * (UMX_XS_NO_TX for none). */
int xenbus_printf(umx_xs *xs, uint32_t tx, const char *dir, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* @dir/state as a XenbusState (0..XenbusStateReconfigured), or -errno. */
int xenbus_read_state(umx_xs *xs, const char *dir);

/* Write @dir/state = @state. */
int xenbus_switch_state(umx_xs *xs, const char *dir, int state);

/* Domids at and above this are Xen's reserved ones (DOMID_FIRST_RESERVED):
 * never a peer. */
#define XENBUS_DOMID_LIMIT 32752u

/* A backend's sweep: @fn(@ctx, front, devid) for each <front>/<devid>
 * below @dir (the backend's /local/domain/<me>/backend/<type>). Names
 * that are not decimal numbers, a front of XENBUS_DOMID_LIMIT or more or
 * a devid above @max_devid, are skipped: anyone with write access to the
 * directory may have made them. */
typedef void (*xenbus_device_fn)(void *ctx, uint32_t front, uint32_t devid);
void xenbus_backend_scan(umx_xs *xs, const char *dir, unsigned long max_devid, xenbus_device_fn fn,
                         void *ctx);

/*
 * Run @body(@xs, tx, @arg) in a transaction and commit it, retrying the
 * whole body while the commit reports a conflict (-EAGAIN), a bounded
 * number of times as libxl does. @body returns 0 or -errno; on an error
 * the transaction is aborted and the error returned. Returns 0, the
 * body's or the store's -errno, or -EAGAIN when every attempt raced.
 */
int xenbus_transaction(umx_xs *xs, int (*body)(umx_xs *xs, uint32_t tx, void *arg), void *arg);

/* One node of a device's directory: @name = @value. */
struct xenbus_node {
	const char *name;
	const char *value;
};

/*
 * A frontend/backend pair of device class @type ("vbd", "vif", ...), as
 * the toolstack writes it:
 *   /local/domain/<front>/device/<type>/<devid>          owned by the frontend,
 *                                                         readable by the backend
 *   /local/domain/<back>/backend/<type>/<front>/<devid>  owned by the backend,
 *                                                         readable by the frontend
 * and /local/domain/<back>/backend/<type>/<front> itself is the backend's
 * too, so that the backend can remove it when the frontend dies (nobody
 * else does on umxd). Besides @fe and @be, each directory gets the nodes
 * every device has: backend, backend-id and state = 1 (Initialising) in
 * the frontend's; frontend, frontend-id, online = 1 and state = 1 in the
 * backend's.
 */
struct xenbus_pair {
	const char *type;
	uint32_t front, back;
	unsigned devid;
	const struct xenbus_node *fe, *be; /* the device's own nodes */
	unsigned nfe, nbe;
};

/* Write @p in one transaction (retried while it conflicts): 0, -EEXIST when
 * the frontend's directory is there already, -EINVAL for front == back. */
int xenbus_pair_add(umx_xs *xs, const struct xenbus_pair *p);

/* Remove both directories of the pair (and the backend's directory of the
 * frontend with its last device). One side missing is fine (the
 * frontend's nodes go with its domain); -ENOENT when both are. */
int xenbus_pair_remove(umx_xs *xs, const char *type, uint32_t front, uint32_t back, unsigned devid);

/* The first devid base + k * @stride above every devid of @front's
 * device/<type> in [@base, @limit): what to attach next (@base when none). */
int xenbus_next_devid(umx_xs *xs, const char *type, uint32_t front, unsigned base, unsigned stride,
                      unsigned limit);

#endif
