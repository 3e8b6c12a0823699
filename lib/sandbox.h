/* SPDX-License-Identifier: MIT */
/*
 * Private: the domain sandbox (sandbox.c), used by umx_domain_spawn().
 *
 * A sandboxed domain is started as the launcher's direct child, which is
 * pid 1 of fresh user, pid, mount, IPC, UTS and cgroup namespaces (and a
 * network namespace with only loopback, unless the host's is asked for).
 * That init sets up the mounts, drops every capability, sets no_new_privs,
 * loads the seccomp filter, forks the user's program, forwards signals to it,
 * reaps orphans, and finally reports the program's wait status to the
 * launcher over a socket: pid 1 cannot die of a signal sent from its own
 * namespace, so its own exit status could not carry "killed by signal N".
 *
 * Everything the child needs is prepared by the launcher before the clone:
 * the child may not allocate (the launcher may have other threads, and the
 * child is started with a raw clone3, not fork()).
 */
#ifndef UMX_SANDBOX_H
#define UMX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "umx/domain.h"

/* Internal to libumx: kept out of libumx.so's exports (libumx.map exports
 * umx_*) by hidden visibility. */
#define UMX_SANDBOX_INTERNAL __attribute__((visibility("hidden")))

struct umx_sandbox_opts {
	bool net_host;                /* keep the host's network namespace */
	const struct umx_bind *binds; /* extra mounts, bubblewrap style */
	unsigned nbinds;
	uint32_t uid_base;              /* as root: the domain runs as uid/gid base + domid */
	const char *umx_dir;            /* the toolstack's runtime directory, hidden */
	const struct umx_spawn_if *ifs; /* TAP devices in the domain's netns */
	unsigned nifs;
	int *if_fds; /* out: their descriptors */
};

/* Start @argv as domain @domid holding @conn_fd ($UMX_DOMAIN_FD) in a new
 * sandbox. @envp is the program's environment (the caller adds
 * UMX_DOMAIN_FD and UMX_DOMID). On success *@pid is the init process (the
 * caller's child, to reap), *@pidfd its pidfd and *@status_fd the socket on
 * which init reports the program's wait status (umx_sandbox_status()).
 * On failure returns -errno and writes one line saying why to @why. */
UMX_SANDBOX_INTERNAL int umx_sandbox_spawn(const struct umx_sandbox_opts *o, uint32_t domid,
                                           int conn_fd, char *const argv[], char *const envp[],
                                           pid_t *pid, int *pidfd, int *status_fd, char *why,
                                           size_t why_len);

/* After the init process has been reaped with wait status @init_status:
 * the program's wait status when init reported one, else @init_status
 * (init itself was killed, e.g. SIGKILL by `umx destroy`). */
UMX_SANDBOX_INTERNAL int umx_sandbox_status(int status_fd, int init_status);

/* sandbox_net.c: make @ifs in the calling thread's network namespace (the
 * network helper's); @fds gets their TAP descriptors. -errno with *@step
 * naming what failed, nothing left open. */
UMX_SANDBOX_INTERNAL int umx_sandbox_net_ifs(const struct umx_spawn_if *ifs, unsigned nifs,
                                             gid_t gid, int *fds, const char **step);

#endif /* UMX_SANDBOX_H */
