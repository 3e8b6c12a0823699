/* SPDX-License-Identifier: MIT */
/* Toolstack requests about domains (domain.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx/domain.h"

int umx_domain_create(umx_conn *ts, const char *name, uint32_t grant_frames, uint32_t *domid,
                      int *conn_fd)
{
	struct umx_ctl_domain_create req = {.grant_frames = grant_frames};
	struct umx_ctl_domain_reply rep;
	unsigned nfds = 0;
	int fd = -1, r;

	if (name && strlen(name) >= sizeof(req.name))
		return -ENAMETOOLONG;
	if (name)
		strcpy(req.name, name);
	r = umx_conn_call(ts, UMX_CTL_DOMAIN_CREATE, &req, sizeof(req), &rep.domid,
	                  sizeof(rep) - sizeof(rep.result), NULL, &fd, 1, &nfds);
	if (r < 0)
		return r;
	if (nfds != 1)
		return -EPROTO;
	*domid = rep.domid;
	*conn_fd = fd;
	return 0;
}

int umx_domain_set_pid(umx_conn *ts, uint32_t domid, pid_t pid)
{
	struct umx_ctl_domain_pid req = {.domid = domid, .pid = (int32_t)pid};
	return umx_conn_call(ts, UMX_CTL_DOMAIN_SET_PID, &req, sizeof(req), NULL, 0, NULL, NULL, 0,
	                     NULL);
}

int umx_domain_exited(umx_conn *ts, uint32_t domid, int status)
{
	struct umx_ctl_domain_exited req = {.domid = domid, .status = status};
	return umx_conn_call(ts, UMX_CTL_DOMAIN_EXITED, &req, sizeof(req), NULL, 0, NULL, NULL, 0,
	                     NULL);
}

int umx_domain_list(umx_conn *ts, uint32_t start, struct umx_ctl_domain_info *out, unsigned max)
{
	struct umx_ctl_domain_list_req req = {.start_domid = start};
	static _Thread_local struct {
		uint32_t count;
		struct umx_ctl_domain_info info[UMX_CTL_LIST_MAX];
	} rep;
	size_t len;
	int r = umx_conn_call(ts, UMX_CTL_DOMAIN_LIST, &req, sizeof(req), &rep, sizeof(rep), &len,
	                      NULL, 0, NULL);
	if (r < 0)
		return r;
	if (len < sizeof(rep.count) || rep.count > UMX_CTL_LIST_MAX ||
	    len != sizeof(rep.count) + rep.count * sizeof(rep.info[0]))
		return -EPROTO;
	if (rep.count < max)
		max = rep.count;
	memcpy(out, rep.info, max * sizeof(rep.info[0]));
	return (int)max;
}

int umx_domain_destroy(umx_conn *ts, uint32_t domid)
{
	struct umx_ctl_domid req = {.domid = domid};
	return umx_conn_call(ts, UMX_CTL_DOMAIN_DESTROY, &req, sizeof(req), NULL, 0, NULL, NULL, 0,
	                     NULL);
}

int umx_domain_wait(umx_conn *ts, uint32_t domid, int *status)
{
	struct umx_ctl_domid req = {.domid = domid};
	int32_t st;
	int r = umx_conn_call(ts, UMX_CTL_DOMAIN_WAIT, &req, sizeof(req), &st, sizeof(st), NULL,
	                      NULL, 0, NULL);
	if (r == 0 && status)
		*status = st;
	return r;
}

int umx_domain_spawn(umx_conn *ts, const char *name, uint32_t grant_frames, char *const argv[],
                     void (*setup)(void *arg), void *arg, uint32_t *domid, pid_t *pid)
{
	int fd, r;
	pid_t child;

	r = umx_domain_create(ts, name, grant_frames, domid, &fd);
	if (r < 0)
		return r;
	child = fork();
	if (child < 0) {
		r = -errno;
		close(fd);
		umx_domain_destroy(ts, *domid);
		return r;
	}
	if (child == 0) {
		char buf[16];
		int flags = fcntl(fd, F_GETFD);
		/* The domain's connection is the one descriptor it inherits on
		 * purpose; everything else we hold is close-on-exec. */
		if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
			_exit(127);
		snprintf(buf, sizeof(buf), "%d", fd);
		setenv(UMX_DOMAIN_FD_ENV, buf, 1);
		snprintf(buf, sizeof(buf), "%u", *domid);
		setenv("UMX_DOMID", buf, 1); /* for scripts; the connection is the identity */
		signal(SIGPIPE, SIG_DFL);
		if (setup)
			setup(arg);
		execvp(argv[0], argv);
		fprintf(stderr, "umx: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	*pid = child;
	return umx_domain_set_pid(ts, *domid, child);
}

int umx_daemon_info(umx_conn *ts, struct umx_daemon_info *info)
{
	struct umx_ctl_info_reply rep;
	int r = umx_conn_call(ts, UMX_CTL_DAEMON_INFO, NULL, 0, &rep.version,
	                      sizeof(rep) - sizeof(rep.result), NULL, NULL, 0, NULL);
	if (r < 0)
		return r;
	info->version = rep.version;
	info->pid = rep.pid;
	info->domains = rep.domains;
	rep.dir[sizeof(rep.dir) - 1] = 0;
	rep.xs_socket[sizeof(rep.xs_socket) - 1] = 0;
	memcpy(info->dir, rep.dir, sizeof(info->dir));
	memcpy(info->xs_socket, rep.xs_socket, sizeof(info->xs_socket));
	return 0;
}

int umx_daemon_stop(umx_conn *ts)
{
	return umx_conn_call(ts, UMX_CTL_DAEMON_STOP, NULL, 0, NULL, 0, NULL, NULL, 0, NULL);
}
