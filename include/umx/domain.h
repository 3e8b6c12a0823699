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
#include "umx/ctl.h"

/* Create a domain. On success *@domid is set and *@conn_fd is the domain's
 * end of its connection (the caller owns it; give it to the domain's
 * process and close it here). @name may be NULL; @grant_frames 0 = default. */
int umx_domain_create(umx_conn *ts, const char *name, uint32_t grant_frames, uint32_t *domid,
                      int *conn_fd);
int umx_domain_set_pid(umx_conn *ts, uint32_t domid, pid_t pid);
/* Report the wait(2) status of the domain's process. */
int umx_domain_exited(umx_conn *ts, uint32_t domid, int status);
/* Fill up to @max entries starting at domid @start; returns the count. */
int umx_domain_list(umx_conn *ts, uint32_t start, struct umx_ctl_domain_info *out, unsigned max);
int umx_domain_destroy(umx_conn *ts, uint32_t domid);
/* Block until the domain is dead; *@status is its wait(2) status or -1. */
int umx_domain_wait(umx_conn *ts, uint32_t domid, int *status);

/* Fork and exec @argv as a new domain: create, spawn with $UMX_DOMAIN_FD,
 * report the pid. Returns 0 with *@domid and *@pid set. The caller reaps the
 * child and reports the status with umx_domain_exited(). @setup, if given,
 * runs in the child before exec (e.g. to set the environment). */
int umx_domain_spawn(umx_conn *ts, const char *name, uint32_t grant_frames, char *const argv[],
                     void (*setup)(void *arg), void *arg, uint32_t *domid, pid_t *pid);

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
