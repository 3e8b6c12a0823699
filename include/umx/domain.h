/* SPDX-License-Identifier: MIT */
/*
 * domain.h — the toolstack's view of domains (what `umx` does).
 *
 * A domain is a process tree holding a connection to umxd. The toolstack
 * creates the domain (getting a domid and the connection's descriptor),
 * starts a process that inherits the descriptor as $UMX_DOMAIN_FD, reports
 * its pid, and later its exit status. The domain lives as long as its
 * connection does; kill -9 is a normal way to die.
 */
#ifndef UMX_DOMAIN_H
#define UMX_DOMAIN_H

#include <stdint.h>
#include <sys/types.h>

#include "umx/conn.h"

/* A domain's name: at most UMX_NAME_MAX - 1 bytes. */
#define UMX_NAME_MAX 64u

/* The environment variable naming the inherited domain connection fd. */
#define UMX_DOMAIN_FD_ENV "UMX_DOMAIN_FD"

/* How a domain was started, as its launcher reports it (umx_domain_set_pidfd). */
#define UMX_DOMAIN_F_NO_SANDBOX 0x1u /* started with --no-sandbox */
#define UMX_DOMAIN_F_NET_HOST   0x2u /* sandboxed, but on the host's network */
/* Reported by umx_domain_list() only: */
#define UMX_DOMAIN_F_PAUSED 0x100u /* every process stopped (umx pause) */
#define UMX_DOMAIN_F_REBOOT 0x200u /* asked to reboot: its launcher restarts it */

enum umx_domain_state {
	UMX_DOM_STARTING = 0, /* created, connection not yet said HELLO */
	UMX_DOM_RUNNING = 1,
	UMX_DOM_DYING = 2, /* connection gone, waiting for the exit status */
	UMX_DOM_DEAD = 3,  /* gone; kept while pages it granted are mapped */
};

/* One domain as umx_domain_list() reports it (the control protocol's LIST
 * reply carries these as they are, hence the name). */
struct umx_ctl_domain_info {
	uint32_t domid;
	int32_t pid;
	uint32_t state; /* enum umx_domain_state */
	int32_t exit_status;
	uint32_t grants_active; /* its grant refs currently mapped by others */
	uint32_t pages_mapped;  /* pages of other domains it maps */
	uint32_t ports;
	uint32_t regions;
	uint32_t flags; /* UMX_DOMAIN_F_* as its launcher reported them */
	uint32_t pad;
	char name[UMX_NAME_MAX];
};

/* Create a domain. On success *@domid is set and *@conn_fd is the domain's
 * end of its connection (the caller owns it; give it to the domain's
 * process and close it here). @name may be NULL; @grant_frames 0 = default. */
int umx_domain_create(umx_conn *ts, const char *name, uint32_t grant_frames, uint32_t *domid,
                      int *conn_fd);
/* Tell umxd which process is the domain: @pidfd (a pidfd of our child or
 * descendant; umxd keeps its own copy, the caller still owns @pidfd) and
 * @flags (UMX_DOMAIN_F_*, shown by `umx list`). umxd refuses a process that
 * is not a descendant of the caller, and only ever signals it through the
 * pidfd. */
int umx_domain_set_pidfd(umx_conn *ts, uint32_t domid, int pidfd, uint32_t flags);
/* The same for a child @pid that runs without a sandbox (in-process
 * domains of tests and benchmarks): takes a pidfd of it and sends that. */
int umx_domain_set_pid(umx_conn *ts, uint32_t domid, pid_t pid);
/* Report the wait(2) status of the domain's process. */
int umx_domain_exited(umx_conn *ts, uint32_t domid, int status);
/* Fill up to @max entries starting at domid @start; returns the count. */
int umx_domain_list(umx_conn *ts, uint32_t start, struct umx_ctl_domain_info *out, unsigned max);
int umx_domain_destroy(umx_conn *ts, uint32_t domid);

/* Signal a domain, for programs that do not watch Xen's control/shutdown
 * node. @sig is one of SIGTERM, SIGINT, SIGHUP (to the program: a
 * sandbox's init forwards them), SIGSTOP or SIGCONT (to every process of
 * the domain: pause and unpause, shown by umx_domain_list()), or 0 (none).
 * @flags: UMX_SIGNAL_REBOOT marks the domain for restart when it ends.
 * Returns 0, -ESRCH (no such live domain), -EINVAL (another signal). */
#define UMX_SIGNAL_REBOOT 0x1u
int umx_domain_signal(umx_conn *ts, uint32_t domid, int sig, uint32_t flags);
/* Block until the domain is dead; *@status is its wait(2) status or -1. */
int umx_domain_wait(umx_conn *ts, uint32_t domid, int *status);

/*
 * Starting a domain's program: umx_domain_spawn().
 *
 * By default the program runs in a sandbox (docs/SECURITY.md, "The domain
 * sandbox"): its own user, pid, mount, IPC and network namespaces, the host
 * filesystem read-only with a private /tmp, umx's runtime directories
 * hidden, no capabilities, no_new_privs and a seccomp filter. As root each
 * domain runs as its own uid and gid, @uid_base + domid. Binds add host
 * paths, as bubblewrap's --bind and --ro-bind do.
 */
#define UMX_BIND_RO 0x1u /* read-only bind */
struct umx_bind {
	const char *src; /* host path */
	const char *dst; /* path inside the domain; NULL = same as @src */
	unsigned flags;  /* UMX_BIND_* */
};

#define UMX_SPAWN_NO_SANDBOX 0x1u /* today's behaviour: a plain child process */
#define UMX_SPAWN_NET_HOST   0x2u /* keep the host's network namespace */

/* The default first uid (and gid) of the range for domains started as root:
 * domain D runs as base + D. The range base+1..base+32751 must belong to
 * nobody else; $UMX_UID_BASE overrides it. 0x7ff00000 lies in the range
 * systemd leaves unused (between container ranges and 2^31). */
#define UMX_UID_BASE_DEFAULT 0x7ff00000u

/* A network interface made in a sandboxed domain's own network namespace
 * (`umx run --net`): a TAP device @name with @mac (IFF_VNET_HDR: each frame
 * read or written starts with a struct virtio_net_hdr), up, with the addresses
 * and default routes given (a prefix of 0: none of that family; an all-zero
 * gateway: no route). Its descriptor goes to the caller, which carries its
 * frames (a netfront), so the device's only way out is what the caller
 * does with them. */
#define UMX_SPAWN_IFS_MAX 8u
struct umx_spawn_if {
	char name[16];
	uint8_t mac[6];
	uint8_t prefix4, prefix6;
	uint8_t addr4[4], gw4[4];
	uint8_t addr6[16], gw6[16];
};

struct umx_spawn_opts {
	uint32_t grant_frames; /* 0 = default */
	unsigned flags;        /* UMX_SPAWN_* */
	const struct umx_bind *binds;
	unsigned nbinds;
	uint32_t uid_base; /* 0 = $UMX_UID_BASE, else UMX_UID_BASE_DEFAULT */
	/* Sandboxed and not UMX_SPAWN_NET_HOST only: at most UMX_SPAWN_IFS_MAX
	 * interfaces; on success @if_fds[i] is interface i's TAP descriptor
	 * (close-on-exec, the caller's to close). */
	const struct umx_spawn_if *ifs;
	unsigned nifs;
	int *if_fds;
};

/* A running domain program, filled by umx_domain_spawn(). */
struct umx_domain_proc {
	uint32_t domid;
	pid_t pid;     /* our child: the program, or the sandbox's init */
	int pidfd;     /* of @pid */
	int status_fd; /* sandbox: where init reports the program's status; else -1 */
	char why[256]; /* after a failure: one line saying why */
};

/* Create a domain and start @argv in it with $UMX_DOMAIN_FD and $UMX_DOMID
 * set. @opts may be NULL (defaults). Returns 0 with @proc filled, or -errno
 * with @proc->why explaining (kernel refusals name the setting to change).
 * The caller must end with umx_domain_proc_wait(). */
int umx_domain_spawn(umx_conn *ts, const char *name, const struct umx_spawn_opts *opts,
                     char *const argv[], struct umx_domain_proc *proc);
/* Send @sig to the program (through the sandbox's init, which forwards
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH; SIGKILL
 * ends the whole domain). Async-signal-safe. Returns 0 or -errno. */
int umx_domain_proc_signal(const struct umx_domain_proc *proc, int sig);
/* Wait for the program to end (restarting after signals), report its
 * status to umxd, release @proc. *@status is the program's wait(2) status,
 * exactly as if it had been our own child. Returns 0 or -errno.
 *
 * Nothing of a domain outlives umxd: if @ts hangs up first (umxd stopped,
 * crashed, was killed -9), the domain is killed (SIGKILL; a sandbox's whole
 * pid namespace), reaped, *@status filled, @proc->why says so and the
 * return is -ECONNRESET. Nor does a domain outlive its launcher: its
 * process gets SIGKILL when the thread that called umx_domain_spawn()
 * exits (PR_SET_PDEATHSIG), so spawn from a thread that waits. */
int umx_domain_proc_wait(umx_conn *ts, struct umx_domain_proc *proc, int *status);

struct umx_daemon_info {
	uint32_t version;
	pid_t pid;
	uint32_t domains;
	char dir[256];
	char xs_socket[256];
};
int umx_daemon_info(umx_conn *ts, struct umx_daemon_info *info);
int umx_daemon_stop(umx_conn *ts);

#endif /* UMX_DOMAIN_H */
