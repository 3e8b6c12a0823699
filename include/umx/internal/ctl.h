/* SPDX-License-Identifier: MIT */
/*
 * ctl.h — the umxd control protocol: message types and payloads.
 *
 * Not a public API, and not installed: libumx and umxd of the same build
 * speak it (the HELLO exchange refuses a version mismatch); umxd's tests
 * and the drop-in Xen libraries use it too. Framing is msg.h. Every request
 * gets exactly one reply with the same id and type | UMX_CTL_REPLY, whose
 * payload starts with `int32_t result` (0 or -errno) followed by the typed
 * reply body when result is 0. Payload layouts are fixed-size structs with
 * explicit padding; variable parts are arrays whose count is in the head,
 * checked exactly by umx_msg_get_batch().
 *
 * Who may send what: a connection to the control socket is domain 0 (the
 * toolstack): UMX_CTL_DOMAIN_*, DAEMON_* and TRACE_OPEN. A domain's own connection
 * (inherited from `umx run`) is that domain: GNT_*, EVT_*, XS_CONNECT, TRACE_FLAGS, TRACE_REPORT.
 * Anything else is refused with -EPERM.
 */
#ifndef UMX_INTERNAL_CTL_H
#define UMX_INTERNAL_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "umx/conn.h"
#include "umx/domain.h" /* UMX_NAME_MAX, UMX_DOMAIN_F_*, struct umx_ctl_domain_info */
#include "umx/evtchn.h"
#include "umx/internal/evtchn_shm.h" /* UMX_EVT_PORTS_MAX */
#include "umx/grant.h"

#define UMX_CTL_VERSION 3u
#define UMX_CTL_REPLY   0x80000000u

enum umx_ctl_type {
	UMX_CTL_HELLO = 1,

	/* domain 0 (toolstack) */
	UMX_CTL_DOMAIN_CREATE = 0x100,
	UMX_CTL_DOMAIN_SET_PIDFD,
	UMX_CTL_DOMAIN_EXITED,
	UMX_CTL_DOMAIN_LIST,
	UMX_CTL_DOMAIN_DESTROY,
	UMX_CTL_DOMAIN_WAIT,
	UMX_CTL_DAEMON_INFO,
	UMX_CTL_DAEMON_STOP,
	UMX_CTL_DOMAIN_SIGNAL,
	UMX_CTL_DOMAIN_STATS,

	/* a domain: grant tables and grant memory */
	UMX_CTL_GNT_REGION_ALLOC = 0x200,
	UMX_CTL_GNT_REGION_FREE,
	UMX_CTL_GNT_MAP,
	UMX_CTL_GNT_UNMAP,
	UMX_CTL_GNT_COPY,
	UMX_CTL_GNT_SHARE_NOTIFY,
	UMX_CTL_GNT_UNSHARE,
	UMX_CTL_GNT_REGION_STATUS,
	UMX_CTL_GNT_REGION_SEAL,
	UMX_CTL_GNT_FORGET,
	UMX_CTL_GNT_UNMAP_RING,
	UMX_CTL_GNT_SYNC,

	/* a domain: event channels */
	UMX_CTL_EVT_ALLOC_UNBOUND = 0x300,
	UMX_CTL_EVT_BIND_INTERDOMAIN,
	UMX_CTL_EVT_CLOSE,
	UMX_CTL_EVT_STATUS,
	UMX_CTL_EVT_OPEN,
	UMX_CTL_EVT_HANDLE_CLOSE,
	UMX_CTL_EVT_NOTIFY,

	/* a domain: a new XenStore connection with the domain's identity */
	UMX_CTL_XS_CONNECT = 0x400,

	/* domain 0: a trace (umx/trace.h; request struct umx_trace_filter,
	 * the reply carries the stream's descriptor) */
	UMX_CTL_TRACE_OPEN = 0x500,
	/* a domain: the read-only page of traced domains (the reply carries
	 * it: UMX_TRACE_FLAG_PAGES pages, one bitmap by domid each, rings
	 * then frames), and a report of its rings or frames
	 * (struct umx_ctl_trace_report) */
	UMX_CTL_TRACE_FLAGS,
	UMX_CTL_TRACE_REPORT,
};

#define UMX_TRACE_FLAG_PAGES  2u
#define UMX_TRACE_FLAG_RINGS  0u /* page index */
#define UMX_TRACE_FLAG_FRAMES 1u
struct umx_ctl_trace_report {
	uint16_t type; /* UMX_TR_RING or UMX_TR_FRAME (umx/trace.h) */
	uint16_t pad;
	uint32_t peer;
	uint32_t a, b, c, d;
	/* the payload follows, up to the message's end */
};

struct umx_ctl_result {
	int32_t result;
};

/*
 * A typed reply (struct umx_ctl_*_reply) is struct umx_ctl_result's field
 * followed by the body, with no padding between them (no body starts with
 * a 64-bit field). umxd sends the result and the body apart and
 * umx_conn_call() fills the body only, so both name the body of reply
 * struct *rep with these two, and no caller does that arithmetic itself.
 */
#define UMX_CTL_REPLY_BODY(rep)     ((void *)((char *)(rep) + sizeof(struct umx_ctl_result)))
#define UMX_CTL_REPLY_BODY_LEN(rep) (sizeof(*(rep)) - sizeof(struct umx_ctl_result))

/* HELLO: first message on every connection. */
struct umx_ctl_hello {
	uint32_t version;
	uint32_t pad;
};
struct umx_ctl_hello_reply {
	int32_t result;
	uint32_t version;
	uint32_t domid;        /* 0 for the toolstack */
	uint32_t grant_frames; /* domains: pages in the grant table (fd attached) */
	uint32_t page_size;
	uint32_t pad;
};

/* DOMAIN_CREATE: reply carries the domain connection's fd. */
struct umx_ctl_domain_create {
	char name[UMX_NAME_MAX]; /* NUL-terminated; empty = "domain-<id>" */
	uint32_t grant_frames;   /* 0 = default */
	uint32_t pad;
};
struct umx_ctl_domain_reply {
	int32_t result;
	uint32_t domid;
};

/* DOMAIN_SET_PIDFD: the domain's process, as a pidfd attached to the
 * request (never a pid number: umxd signals only what it holds). The process
 * must be a descendant of the sender. */
struct umx_ctl_domain_pidfd {
	uint32_t domid;
	uint32_t flags; /* UMX_DOMAIN_F_* */
};

struct umx_ctl_domain_exited {
	uint32_t domid;
	int32_t status; /* wait(2) status */
};

struct umx_ctl_domid {
	uint32_t domid;
	uint32_t pad;
};

/* DOMAIN_SIGNAL: umx_domain_signal() (domain.h). */
struct umx_ctl_domain_signal {
	uint32_t domid;
	int32_t sig;
	uint32_t flags; /* UMX_SIGNAL_* */
	uint32_t pad;
};

/* The LIST reply's entries are struct umx_ctl_domain_info (domain.h). */
#define UMX_CTL_LIST_MAX ((16u * 1024u - 8u) / sizeof(struct umx_ctl_domain_info))
struct umx_ctl_domain_list_req {
	uint32_t start_domid; /* paging: list domids >= this */
	uint32_t pad;
};
struct umx_ctl_domain_list_reply {
	int32_t result;
	uint32_t count;
	/* struct umx_ctl_domain_info[count] follows */
};

/* DOMAIN_STATS: what `umx top` and `umx list --json` show beside LIST's
 * counters, paged the same way (struct umx_ctl_domain_list_req). */
struct umx_ctl_domain_stats {
	uint32_t domid;
	uint32_t xs_nodes;    /* store nodes it owns */
	uint32_t xs_watches;  /* its watches */
	uint32_t xs_txns;     /* its open transactions */
	uint32_t xs_conns;    /* its store connections */
	uint32_t q_nodes;     /* the store's quotas of one domain: nodes, */
	uint32_t q_watches;   /* watches, */
	uint32_t q_txns;      /* transactions */
	uint64_t xs_bytes;    /* bytes the store charges it (nodes, connections) */
	uint32_t gnt_entries; /* entries of its grant table */
	uint32_t pad;
};
#define UMX_CTL_STATS_MAX ((16u * 1024u - 8u) / sizeof(struct umx_ctl_domain_stats))
struct umx_ctl_domain_stats_reply {
	int32_t result;
	uint32_t count;
	/* struct umx_ctl_domain_stats[count] follows */
};

struct umx_ctl_wait_reply {
	int32_t result;
	int32_t exit_status; /* wait(2) status, or -1 when unknown (killed) */
};

struct umx_ctl_info_reply {
	int32_t result;
	uint32_t version;
	int32_t pid;
	uint32_t domains;
	char dir[256];       /* UMX_DIR */
	char xs_socket[256]; /* XenStore socket for Xen's tools (XENSTORED_PATH) */
};

/* ---- grants ---------------------------------------------------------- */

/* REGION_ALLOC: memory for sharing, bound to @peer for life, in one mode:
 * read-write, or (UMX_CTL_REGION_READONLY) read-only, whose pages back only
 * read-only grants. The reply carries the region's read-write memfd.
 * Frames base..base+npages-1 name its pages in the domain's grant entries.
 * A read-only region is usable once the granter has mapped it (the only
 * writable mapping there will ever be) and sent REGION_SEAL: umxd then
 * seals it (F_SEAL_FUTURE_WRITE) and makes it mode 0400, so no descriptor
 * of it, nor a reopen through /proc, gives write access again. */
#define UMX_CTL_REGION_READONLY 0x1u
struct umx_ctl_region_alloc {
	uint32_t peer;
	uint32_t npages;
	uint32_t flags; /* UMX_CTL_REGION_* */
	uint32_t pad;
};
struct umx_ctl_region_reply {
	int32_t result;
	uint32_t base_frame;
	uint32_t npages;
	uint32_t pad;
};
struct umx_ctl_region_free {
	uint32_t base_frame;
	uint32_t pad;
};
/* REGION_SEAL (struct umx_ctl_region_free as request): seal a read-only
 * region (see REGION_ALLOC); 0, also if already sealed; -EINVAL for a
 * read-write region, -ENOENT for none. */
/* REGION_STATUS (struct umx_ctl_region_free as request): 0 while the
 * region's peer is the live domain it was allocated for; -ESRCH once that
 * domain is gone (its domid may come back as another domain, which can
 * never map the region's pages): the granter stops sharing from it. */

#define UMX_GNT_BATCH_MAX 64u

struct umx_ctl_gnt_map_req {
	uint32_t granter;
	uint32_t count;
	/* struct umx_ctl_gnt_map_op[count] follows */
};
struct umx_ctl_gnt_map_op {
	uint32_t ref;
	uint32_t flags; /* UMX_GNT_MAP_READONLY | UMX_GNT_NOTIFY_* (umx/grant.h),
	                 * UMX_CTL_GNT_MAP_KEEP_FD */
	uint32_t notify_offset;
	uint32_t notify_port;
};
struct umx_ctl_gnt_map_reply {
	int32_t result;
	uint32_t count;
	/* struct umx_ctl_gnt_map_res[count] follows; region fds attached in
	 * order for every result with fd_index != 0xffff */
};
struct umx_ctl_gnt_map_res {
	int16_t status;    /* GNTST_* from xen/grant_table.h */
	uint16_t fd_index; /* index of the attached fd for a region new to us, or 0xffff */
	uint32_t handle;   /* for UNMAP */
	uint64_t region;   /* region id; the client caches region fds by (region, ro) */
	uint64_t offset;   /* byte offset of the page in the region */
};
/* A region's descriptor is sent to a mapper with its first map of a page
 * of (region, ro), and again after the mapper let go of it: by default
 * when its last mapping of (region, ro) is unmapped (it closes the
 * descriptor then). An op with UMX_CTL_GNT_MAP_KEEP_FD says the mapper
 * keeps the descriptor across unmaps instead, until it closes it and says
 * so with FORGET: a map+unmap cycle then passes no descriptor. FORGET: 0,
 * or -ENOENT when the caller holds no such descriptor. */
#define UMX_CTL_GNT_MAP_KEEP_FD 0x100u /* in umx_ctl_gnt_map_op.flags */
struct umx_ctl_gnt_forget {
	uint64_t region;
	uint32_t ro; /* 0 or 1 */
	uint32_t pad;
};

/* UNMAP_RING (no body): the reply carries one descriptor, a page shared
 * with umxd holding struct umx_gnt_unmap_ring, set up once per domain
 * (-EEXIST after). The mapper posts there the handles it has unmapped
 * (munmapped) that carry no unmap notify, instead of an UNMAP request:
 * umxd releases them before it handles the domain's next MAP or UNMAP, and
 * for everyone on SYNC. Until then the grants stay pinned, so a granter's
 * end of access that finds a page busy sends SYNC and tries again.
 * Entries are handles as UNMAP takes them; umxd reads the page as hostile
 * input (indices bounded, each handle checked as UNMAP checks it). */
#define UMX_GNT_UNMAP_RING_SLOTS 512u /* a power of two: indices run free */
struct umx_gnt_unmap_ring {
	uint32_t prod; /* the mapper's: handles [cons, prod) are posted */
	uint32_t pad0[15];
	uint32_t cons; /* umxd's: everything before it is released */
	uint32_t pad1[15];
	uint32_t handle[UMX_GNT_UNMAP_RING_SLOTS];
};
_Static_assert(sizeof(struct umx_gnt_unmap_ring) <= 4096, "the unmap ring is one page");
/* SYNC (no body): umxd releases every handle posted on any domain's unmap
 * ring, then replies 0. */

struct umx_ctl_gnt_unmap_req {
	uint32_t count;
	uint32_t pad;
	/* uint32_t handle[count] follows */
};
struct umx_ctl_gnt_status_reply {
	int32_t result;
	uint32_t count;
	/* int16_t status[count] follows (GNTST_*) */
};

/* COPY: like GNTTABOP_copy. The ops are umx/grant.h's struct
 * umx_gnt_copy_seg: each side is either a grant ref of @domid
 * (UMX_GNT_COPY_*_GREF) or one of the caller's own frames. */
struct umx_ctl_gnt_copy_req {
	uint32_t count;
	uint32_t pad;
	/* struct umx_gnt_copy_seg[count] follows */
};
_Static_assert(sizeof(struct umx_gnt_copy_seg) == 40, "COPY op: fixed wire layout");

/* SHARE_NOTIFY: when the caller's share of @ref ends (UNSHARE or death),
 * clear byte @offset of the page and/or signal @port (gntalloc semantics). */
struct umx_ctl_gnt_share_notify {
	uint32_t ref;
	uint32_t flags; /* UMX_GNT_NOTIFY_* (umx/grant.h) */
	uint32_t offset;
	uint32_t port;
};
struct umx_ctl_gnt_unshare {
	uint32_t ref;
	uint32_t pad;
};

/* ---- event channels ------------------------------------------------- */

/* Event channels: the shared memory and its rules are evtchn_shm.h.
 * Ports are 1..UMX_EVT_PORTS_MAX per domain. A remote domid of
 * UMX_EVTCHN_DOMID_SELF (umx/evtchn.h) means the caller itself (loopback).
 * Every port belongs to one handle of its domain (EVT_OPEN); requests on a
 * port name the handle and are refused (-EINVAL) for another's. */
#define UMX_EVT_HANDLES_MAX 1024u /* per domain */

/* EVT_OPEN: a new handle. Reply: its id; one descriptor, the handle's
 * control page (UMX_EVT_CTL_SIZE, for reading). */
struct umx_ctl_evt_open {
	uint32_t flags; /* 0 */
	uint32_t pad;
};
/* EVT_HANDLE_CLOSE: close every port of the handle and forget it. */
struct umx_ctl_evt_handle {
	uint32_t handle;
	uint32_t pad;
};
struct umx_ctl_evt_alloc_unbound {
	uint32_t remote_domid;
	uint32_t handle;
};
struct umx_ctl_evt_bind {
	uint32_t remote_domid;
	uint32_t remote_port;
	uint32_t handle;
	uint32_t pad;
};
/* EVT_CLOSE and EVT_NOTIFY (the mediated first raise: umxd raises the
 * remote end itself and says where later raises go). */
struct umx_ctl_evt_port {
	uint32_t port;
	uint32_t handle;
};
/* The reply body of ALLOC_UNBOUND, BIND_INTERDOMAIN and NOTIFY. Descriptors,
 * in this order: the memfd and eventfd of bucket @bucket when it is not 0,
 * then those of bucket @target when it is not 0. A bucket id names one
 * bucket for umxd's life (ids are never reused before 2^32 buckets). */
struct umx_ctl_evt_port_info {
	uint32_t port;        /* the caller's port */
	uint32_t bucket;      /* where @port is received; 0: none sent (NOTIFY) */
	uint32_t target_port; /* the remote end's port; 0: unbound */
	uint32_t target;      /* the bucket target_port is raised in; 0: none */
};
/* STATUS: port and pad (0); the handle does not matter. */
struct umx_ctl_evt_close {
	uint32_t port;
	uint32_t pad;
};
/* EVT_STATUS (struct umx_ctl_evt_close as request): the state of one of the
 * caller's own ports, as Xen's EVTCHNOP_status reports it for DOMID_SELF
 * (libxenctrl's xc_evtchn_status; xenconsoled asks it to learn whether its
 * console port is still bound). -EINVAL for port 0 or one beyond the
 * table, as Xen's port_is_valid(); a free port is UMX_EVT_STAT_CLOSED. */
#define UMX_EVT_STAT_CLOSED      0u /* EVTCHNSTAT_closed */
#define UMX_EVT_STAT_UNBOUND     1u /* EVTCHNSTAT_unbound: offered to remote_domid */
#define UMX_EVT_STAT_INTERDOMAIN 2u /* EVTCHNSTAT_interdomain */
struct umx_ctl_evt_status_reply {
	int32_t result;
	uint32_t status;       /* UMX_EVT_STAT_* */
	uint32_t remote_domid; /* unbound/interdomain; DOMID_INVALID once that domain died */
	uint32_t remote_port;  /* interdomain */
};

/* The replies read through UMX_CTL_REPLY_BODY: their body follows the result. */
#define UMX_CTL_BODY_FOLLOWS_RESULT(type, first)                                      \
	_Static_assert(offsetof(struct type, first) == sizeof(struct umx_ctl_result), \
	               #type ": body follows the result")
UMX_CTL_BODY_FOLLOWS_RESULT(umx_ctl_hello_reply, version);
UMX_CTL_BODY_FOLLOWS_RESULT(umx_ctl_domain_reply, domid);
UMX_CTL_BODY_FOLLOWS_RESULT(umx_ctl_wait_reply, exit_status);
UMX_CTL_BODY_FOLLOWS_RESULT(umx_ctl_info_reply, version);
UMX_CTL_BODY_FOLLOWS_RESULT(umx_ctl_region_reply, base_frame);
UMX_CTL_BODY_FOLLOWS_RESULT(umx_ctl_evt_status_reply, status);

/* One request/reply exchange on @conn (libumx's own modules, umxd's tests
 * and the drop-ins; everyone else calls the typed functions). @reply receives the reply
 * body after the result field, exactly @reply_len bytes (or, with
 * @reply_len_out non-NULL, up to @reply_len, the length stored there).
 * Received descriptors go to @fds (up to @max_fds, count in @nfds), the rest
 * are closed. Returns the daemon's result (0 or -errno) or a transport
 * error (-ECONNRESET when umxd went away, -EPROTO for a bad reply). */
int umx_conn_call(umx_conn *conn, uint32_t type, const void *req, size_t req_len, void *reply,
                  size_t reply_len, size_t *reply_len_out, int *fds, unsigned max_fds,
                  unsigned *nfds);

/* The same, with one descriptor attached to the request (@send_fd; the
 * caller keeps it: the receiver gets its own copy). */
int umx_conn_call_send_fd(umx_conn *conn, uint32_t type, const void *req, size_t req_len,
                          int send_fd, void *reply, size_t reply_len, size_t *reply_len_out,
                          int *fds, unsigned max_fds, unsigned *nfds);

/* A new socket of @type (SOCK_SEQPACKET, SOCK_STREAM), close-on-exec,
 * connected to the unix socket at @path: umxd's control socket, its
 * xenstored. Returns the descriptor or -errno (-ENAMETOOLONG when @path
 * does not fit a sockaddr_un). */
int umx_conn_unix_connect(const char *path, int type);

/* For libumx's grant code and the drop-ins: the grant table the daemon handed
 * this domain at HELLO (descriptor owned by the connection). */
int umx_conn_grant_table_fd(const umx_conn *conn, uint32_t *frames);

/* The connection's socket, to poll for umxd going away (a hangup): a
 * launcher ends its domain then (lib/domain.c). Owned by the connection. */
int umx_conn_fd(const umx_conn *conn);

#endif /* UMX_INTERNAL_CTL_H */
