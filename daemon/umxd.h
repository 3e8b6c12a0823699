/* SPDX-License-Identifier: MIT */
/*
 * umxd.h — the daemon's state, shared between its modules.
 *
 * One `struct umxd` per daemon. Connections (`struct umxd_conn`) are either
 * the toolstack (domain 0, connected to the control socket) or a domain's
 * own connection (created with the domain; its identity is the connection,
 * never something said on it). A domain (`struct umxd_domain`) outlives its
 * connection while pages it granted are still mapped by others: the domid
 * is not reused until the last reference is gone. When it is reused, the
 * new holder is another instance (`instance`, never reused): whatever named
 * the old one (regions, unbound ports, store permissions) stays its.
 */
#ifndef UMXD_H
#define UMXD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"
#include "umx/internal/ctl.h"
#include "umx/internal/msg.h"

#define UMXD_DOMID_FIRST          1u
#define UMXD_DOMID_LAST           32751u /* DOMID_FIRST_RESERVED - 1 */
#define UMXD_GRANT_FRAMES_DEFAULT 4u
#define UMXD_GRANT_FRAMES_MAX     64u
#define UMXD_MSGS_PER_WAKEUP      32u
/* Bounds on what clients can make umxd hold (docs/RELIABILITY.md); the
 * descriptor reserves are in loop.h. */
/* Toolstack (control socket) connections at once, and from one process. */
#define UMXD_TOOLSTACK_CONNS_MAX     512u
#define UMXD_TOOLSTACK_CONNS_PER_PID 64u
/* A toolstack client that has not said HELLO by then is dropped. */
#define UMXD_HELLO_TIMEOUT_MS 5000u
/* Housekeeping period: hello deadlines, re-arming a paused listener,
 * returning freed memory to the system. */
#define UMXD_TICK_MS 1000u
/* "out of descriptors" and cap messages: at most one per this long. */
#define UMXD_LOG_INTERVAL_MS 10000u
/* Socket paths live in sockaddr_un (108 bytes) with a short file name. */
#define UMXD_DIR_MAX 96u
/* Buckets of the live-name index (a power of two). */
#define UMXD_NAME_BUCKETS 4096u

struct umxd;
struct umxd_domain;
struct umxd_gnt;    /* gnttab.c: a domain's grant table and grant memory */
struct umxd_evtchn; /* evtchn.c: a domain's ports */
struct umxd_xs;     /* xenstore/: the store */
struct umxd_trace;  /* trace.c: tracers (umx trace) */

struct umxd_conn {
	struct umxd *umxd;
	int fd;
	struct umxd_io *io;
	struct umxd_domain *dom; /* the domain this connection is (NULL once it died) */
	bool domain_conn;        /* false: the toolstack (domain 0) */
	bool hello;
	bool closing;
	pid_t peer_pid;
	uint64_t since_ms; /* accepted at (HELLO deadline) */
	/* umxd.conns while open; once dropped, next links umxd.dead_conns. */
	struct umxd_conn *next, **pprev;
};

struct umxd_waiter {
	struct umxd_conn *conn;
	uint32_t id;
	struct umxd_waiter *next;
};

struct umxd_domain {
	struct umxd *umxd;
	uint32_t domid;
	uint64_t instance; /* unique for the daemon's life: tells a domid's holders apart */
	char name[UMX_NAME_MAX];
	pid_t pid;               /* for display only, read from pidfd */
	int pidfd;               /* its process, from the launcher; -1 until told */
	struct umxd_io *proc_io; /* pidfd readable: the process ended */
	uint32_t flags;          /* UMX_DOMAIN_F_* from the launcher */
	bool destroyed;          /* by the toolstack: a process offered later is killed */
	bool paused;             /* every process stopped (umx pause) */
	bool reboot;             /* asked to reboot: its launcher starts it again */
	enum umx_domain_state state;
	bool exited; /* exit status known */
	int exit_status;
	struct umxd_conn *conn;  /* its own connection, NULL once gone */
	struct umxd_conn *owner; /* the toolstack connection that created it */
	unsigned refs;           /* 1 while alive + one per live external use */
	struct umxd_gnt *gnt;
	struct umxd_evtchn *evt;
	struct umxd_waiter *waiters;
	struct umxd_domain *name_next; /* umxd.by_name chain, until freed */
};

/* Exit statuses of domains already gone, so `umx wait` after the fact works. */
#define UMXD_GRAVEYARD 256u
struct umxd_grave {
	uint32_t domid; /* 0: empty */
	int32_t exit_status;
};

/* What umxd does to the world outside its sockets: signal a domain's
 * processes, stop itself. A test seam: umxd_new() installs the real ones;
 * the fuzz targets replace them (a fuzzed DOMAIN_SIGNAL or DAEMON_STOP must
 * not reach a process or end the harness). */
struct umxd_effects {
	/* pidfd_send_signal(@pidfd, @sig): 0 or -errno. */
	int (*signal)(void *ctx, int pidfd, int sig);
	/* Stop the loop (DAEMON_STOP, SIGTERM). */
	void (*stop)(void *ctx, struct umxd *umxd);
	void *ctx;
};

struct umxd {
	struct umxd_loop *loop;
	struct umxd_effects fx;
	char dir[UMXD_DIR_MAX];
	char ctl_path[UMXD_DIR_MAX + 16];
	char xs_path[UMXD_DIR_MAX + 16];
	int ctl_fd;
	struct umxd_io *ctl_io;
	int sig_fd;
	struct umxd_io *sig_io;
	uid_t uid;
	struct umxd_conn *conns;
	struct umxd_conn *dead_conns; /* dropped this round, freed by umxd_reap() */
	unsigned ntoolstack;          /* toolstack connections in conns */
	bool ctl_paused;              /* not accepting: out of descriptors */
	uint64_t next_tick_ms;
	uint64_t ctl_log_ms;    /* last "not accepting" log */
	unsigned ctl_refused;   /* refusals since that log */
	unsigned freed_objects; /* domains and connections freed since the last trim */
	struct umxd_domain *domains[UMXD_DOMID_LAST + 1];
	unsigned ndomains;
	/* Every domain record by name (a name is unique among live ones):
	 * creation checks a chain, not every domid. */
	struct umxd_domain *by_name[UMXD_NAME_BUCKETS];
	uint32_t next_domid;
	uint32_t domid_last;        /* highest domid handed out (UMXD_DOMID_LAST; less in tests) */
	uint64_t next_instance;     /* struct umxd_domain.instance */
	size_t xs_toolstack_memory; /* the toolstack's store cap in bytes (0: default) */
	uint64_t next_region_id;
	struct umxd_domain *gnt_unmap_rings; /* domains with a grant unmap ring (gnt_map.c) */
	struct umxd_xs *xs;
	struct umxd_grave graves[UMXD_GRAVEYARD];
	unsigned grave_next;
	/* UMX_TRACE_* some tracer wants (0: nobody traces); trace.h's hooks
	 * test it and nothing else. */
	uint32_t trace_mask;
	struct umxd_trace *trace;
};

/* ---- server.c: sockets, connections, dispatch ------------------------ */
struct umxd_options {
	const char *dir;            /* NULL: $UMX_DIR, $XDG_RUNTIME_DIR/umx or /run/umx */
	uint32_t max_domid;         /* 0: UMXD_DOMID_LAST; smaller makes domids come back
	                             * sooner (tests of domid reuse) */
	size_t xs_toolstack_memory; /* 0: the store's default toolstack cap */
};
int umxd_new(const struct umxd_options *opt, struct umxd **out);
void umxd_free(struct umxd *umxd);
int umxd_run(struct umxd *umxd);

/* Send the reply to @req: result, then @body (without the result field). */
int umxd_reply(struct umxd_conn *conn, const struct umx_msg *req, int32_t result, const void *body,
               size_t body_len, const int *fds, unsigned nfds);
/* Reply later (e.g. DOMAIN_WAIT): same, addressed by type and id. */
int umxd_reply_to(struct umxd_conn *conn, uint32_t type, uint32_t id, int32_t result,
                  const void *body, size_t body_len);
/* Disconnect a misbehaving or finished connection, logging why. */
void umxd_conn_drop(struct umxd_conn *conn, const char *why);
/* Free connections dropped during the last loop round. */
void umxd_reap(struct umxd *umxd);
/* Housekeeping, every UMXD_TICK_MS (umxd_run calls it; tests may too):
 * drops toolstack clients past their HELLO deadline, re-arms a listener
 * paused for want of descriptors, trims the heap after a burst of frees. */
void umxd_tick(struct umxd *umxd, uint64_t now_ms);
struct umxd_conn *umxd_conn_add_domain(struct umxd *umxd, int fd, struct umxd_domain *dom);

/* Check @m against the sender's rights and run its handler (conn_input's
 * core; fuzz targets drive it with a fake peer). NULL, or why the sender
 * must be dropped (the caller drops it). Does not close @m's descriptors. */
const char *umxd_dispatch(struct umxd_conn *c, struct umx_msg *m);
/* The request types umxd_dispatch() knows: the @i-th, for i below
 * umxd_request_type_count() (the fuzz targets take their list from here,
 * so a new request is fuzzed the day it is added). */
size_t umxd_request_type_count(void);
uint32_t umxd_request_type(size_t i);

/* Handler for one request type. Return 0 once a reply has been sent (or
 * deferred), or a negative errno that is a protocol violation: the
 * connection is then dropped with that reason. */
typedef int (*umxd_handler_fn)(struct umxd_conn *conn, struct umx_msg *req);

/* ---- domain.c: lifecycle -------------------------------------------- */
int umxd_domain_create(struct umxd *umxd, const char *name, uint32_t grant_frames,
                       struct umxd_conn *owner, struct umxd_domain **out);
struct umxd_domain *umxd_domain_get(struct umxd *umxd, uint32_t domid);
/* Live (running) domain or NULL. */
struct umxd_domain *umxd_domain_live(struct umxd *umxd, uint32_t domid);
/* The live domain @domid if it is still instance @instance, else NULL: a
 * domid that came back after a death names another domain. */
struct umxd_domain *umxd_domain_live_instance(struct umxd *umxd, uint32_t domid, uint64_t instance);
void umxd_domain_ref(struct umxd_domain *dom);
void umxd_domain_unref(struct umxd_domain *dom);
/* The domain's connection went away: release everything it holds. */
void umxd_domain_died(struct umxd_domain *dom, const char *why);
/* A toolstack connection went away: forget it as owner/waiter. */
void umxd_domain_forget_conn(struct umxd *umxd, struct umxd_conn *conn);

int umxd_h_domain_create(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_domain_set_pidfd(struct umxd_conn *c, struct umx_msg *m);
/* Stop tracking the domain's process (umxd shutting down). */
void umxd_domain_proc_release(struct umxd_domain *dom);
/* Its process ended (its pidfd became readable): stop tracking it and drop
 * the reference the process held. May free @dom. */
void umxd_domain_proc_ended(struct umxd_domain *dom);
/* pidfd_send_signal through umxd's effects (umxd_effects.signal): every
 * signal umxd sends goes this way. 0 or -errno. */
int umxd_pidfd_signal(struct umxd *umxd, int pidfd, int sig);
/* umxd is stopping: end every domain's process (SIGKILL through its pidfd)
 * and wait, at most @timeout_ms, until each is gone. Returns how many
 * domains were ended; those still alive at the deadline are logged. */
unsigned umxd_domain_end_all(struct umxd *umxd, int timeout_ms);
int umxd_h_domain_exited(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_domain_list(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_domain_destroy(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_domain_wait(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_domain_signal(struct umxd_conn *c, struct umx_msg *m);

/* ---- gnttab.c: grant tables, grant memory, map/unmap/copy ------------ */
int umxd_gnt_domain_init(struct umxd_domain *dom, uint32_t frames);
/* fd of the domain's grant table (owned by gnttab; dup before sending). */
int umxd_gnt_table_fd(const struct umxd_domain *dom);
uint32_t umxd_gnt_table_frames(const struct umxd_domain *dom);
/* Death: unmap everything it maps (performing unmap notifies), revoke its
 * refs from new maps, perform its share notifies. Pages it granted stay
 * alive while mapped by others (they hold domain references). */
void umxd_gnt_domain_release(struct umxd_domain *dom);
/* Final free once no one references the domain. */
void umxd_gnt_domain_free(struct umxd_domain *dom);
void umxd_gnt_stats(const struct umxd_domain *dom, uint32_t *grants_active, uint32_t *pages_mapped,
                    uint32_t *regions);

int umxd_h_gnt_region_alloc(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_gnt_region_free(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_gnt_region_status(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_gnt_region_seal(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_gnt_map(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_gnt_unmap(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_gnt_forget(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_gnt_unmap_ring(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_gnt_sync(struct umxd_conn *c, struct umx_msg *m);
/* Release every handle posted on any domain's unmap ring (ctl.h), so that
 * what umxd reports about grants is what the mappers have unmapped. */
void umxd_gnt_drain_all(struct umxd *umxd);
int umxd_h_gnt_copy(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_gnt_share_notify(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_gnt_unshare(struct umxd_conn *c, struct umx_msg *m);

/* ---- evtchn.c: event channels ---------------------------------------- */
int umxd_evt_domain_init(struct umxd_domain *dom);
/* Death: close its ports, signalling every bound remote end. */
void umxd_evt_domain_release(struct umxd_domain *dom);
void umxd_evt_domain_free(struct umxd_domain *dom);
uint32_t umxd_evt_port_count(const struct umxd_domain *dom);
/* Send an event on @dom's @port, as the domain's own notify would: the
 * remote end is signalled (Linux's notify_remote_via_evtchn, used for
 * unmap notify). -ENOENT if @port is not open. */
int umxd_evt_notify_remote(struct umxd_domain *dom, uint32_t port);

int umxd_h_evt_alloc_unbound(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_evt_bind_interdomain(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_evt_close(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_evt_status(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_evt_open(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_evt_handle_close(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_evt_notify(struct umxd_conn *c, struct umx_msg *m);

/* ---- xs_glue.c: the store's view of domains -------------------------- */
int umxd_store_start(struct umxd *umxd);
void umxd_store_stop(struct umxd *umxd);
void umxd_store_domain_introduce(struct umxd_domain *dom);
void umxd_store_domain_release(struct umxd_domain *dom);
int umxd_h_xs_connect(struct umxd_conn *c, struct umx_msg *m);

#endif /* UMXD_H */
