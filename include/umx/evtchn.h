/* SPDX-License-Identifier: MIT */
/*
 * evtchn.h — event channels, Xen's `xenevtchn` model on umx.
 *
 * An event channel connects a port of one domain to a port of another (or
 * the same) domain. One side offers a port to a remote domain
 * (alloc_unbound, Xen's EVTCHNOP_alloc_unbound; libxenevtchn calls it
 * bind_unbound_port); the remote binds to it (bind_interdomain). Either
 * side then notifies the other, with no daemon hop: as in Xen, a notify
 * sets the port's pending bit in memory the two domains share, and wakes
 * the peer (one eventfd write) only when the peer may be asleep; a stream
 * of notifies to a busy peer, or to a masked port, costs no system call.
 *
 * A handle has one pollable descriptor for all its ports (umx_evtchn_fd(),
 * like xenevtchn_fd()). When it is readable, umx_evtchn_pending() returns a
 * port with an event; that port then stays masked until umx_evtchn_unmask().
 * The descriptor stays readable while an event is left to take, and an idle
 * port costs nothing when another has an event.
 * Notifies that arrive while a port is masked coalesce into one event that
 * is delivered after the unmask. A newly bound port is unmasked; a binder's
 * new port starts with one event pending, as in Xen.
 *
 * When the remote end closes its port (or its domain dies), our port gets
 * an event and becomes unbound; notifying it is then harmless. Closing the
 * handle unbinds every port it holds.
 *
 * All functions return 0 (or a port) or -errno. A handle may be used by one
 * thread at a time, except umx_evtchn_notify(), which may be called from
 * another thread at any time.
 */
#ifndef UMX_EVTCHN_H
#define UMX_EVTCHN_H

#include <stdint.h>

typedef struct umx_evtchn umx_evtchn;
typedef uint32_t umx_evtchn_port_t;

/* The remote domid naming the caller's own domain (DOMID_SELF). */
#define UMX_EVTCHN_DOMID_SELF 0x7FF0u

/* Open a handle on this process's domain connection ($UMX_DOMAIN_FD).
 * -ENOENT when the process is not a domain. */
int umx_evtchn_open(umx_evtchn **out);
/* Unbind every port of the handle and free it. NULL is a no-op. */
void umx_evtchn_close(umx_evtchn *h);
/* The pollable descriptor (POLLIN when some unmasked port has an event).
 * Owned by the handle. */
int umx_evtchn_fd(const umx_evtchn *h);

/* Allocate a port offered to @remote_domid (which must be running, or be
 * us). Returns the port (> 0), -ESRCH for an unknown domain, -ENOSPC when
 * our domain has no free port, -EMFILE/-ENFILE out of descriptors. */
int umx_evtchn_alloc_unbound(umx_evtchn *h, uint32_t remote_domid);
/* Bind a new local port to @remote_port of @remote_domid, which must be
 * unbound and offered to us. Returns the local port, -ESRCH for an unknown
 * domain, -EINVAL for a port that is not (or no longer) offered to us. */
int umx_evtchn_bind_interdomain(umx_evtchn *h, uint32_t remote_domid,
                                umx_evtchn_port_t remote_port);
/* Close @port: the remote end gets an event and becomes unbound. -EINVAL
 * when we hold no such port. */
int umx_evtchn_unbind(umx_evtchn *h, umx_evtchn_port_t port);

/* Send an event to the remote end of @port. -EINVAL for a port not ours. */
int umx_evtchn_notify(umx_evtchn *h, umx_evtchn_port_t port);
/* One port with an event (> 0), which stays masked until unmasked, or
 * -EAGAIN when none is ready. Never blocks: poll umx_evtchn_fd(). */
int umx_evtchn_pending(umx_evtchn *h);
/* Re-enable delivery on @port; an event that arrived while masked is
 * delivered now. -EINVAL for a port not ours. */
int umx_evtchn_unmask(umx_evtchn *h, umx_evtchn_port_t port);

#endif /* UMX_EVTCHN_H */
