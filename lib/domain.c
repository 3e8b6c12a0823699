/* SPDX-License-Identifier: MIT */
/* Toolstack requests about domains (domain.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "umx/internal/ctl.h"
#include "umx/domain.h"
#include "umx/internal/msg.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

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
	r = umx_conn_call(ts, UMX_CTL_DOMAIN_CREATE, &req, sizeof(req), UMX_CTL_REPLY_BODY(&rep),
	                  UMX_CTL_REPLY_BODY_LEN(&rep), NULL, &fd, 1, &nfds);
	if (r < 0)
		return r;
	if (nfds != 1)
		return -EPROTO;
	*domid = rep.domid;
	*conn_fd = fd;
	return 0;
}

int umx_domain_set_pidfd(umx_conn *ts, uint32_t domid, int pidfd, uint32_t flags)
{
	struct umx_ctl_domain_pidfd req = {.domid = domid, .flags = flags};
	if (pidfd < 0)
		return -EBADF;
	return umx_conn_call_send_fd(ts, UMX_CTL_DOMAIN_SET_PIDFD, &req, sizeof(req), pidfd, NULL,
	                             0, NULL, NULL, 0, NULL);
}

int umx_domain_set_pid(umx_conn *ts, uint32_t domid, pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), r;
	if (pidfd < 0)
		return -errno;
	r = umx_domain_set_pidfd(ts, domid, pidfd, UMX_DOMAIN_F_NO_SANDBOX);
	close(pidfd);
	return r;
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
	static _Thread_local uint8_t rep[UMX_MSG_MAX_PAYLOAD];
	static _Thread_local struct umx_ctl_domain_info info[UMX_CTL_LIST_MAX];
	struct umx_msg_rd rd;
	uint32_t count;
	size_t len;
	int r = umx_conn_call(ts, UMX_CTL_DOMAIN_LIST, &req, sizeof(req), rep, sizeof(rep), &len,
	                      NULL, 0, NULL);
	if (r < 0)
		return r;
	/* Reply body: count (0 for an empty page), then exactly that many. */
	umx_msg_rd_init(&rd, rep, len);
	if (UMX_MSG_GET(&rd, &count) < 0 ||
	    umx_msg_get_array(&rd, info, count, sizeof(info[0]), UMX_CTL_LIST_MAX) < 0 ||
	    umx_msg_rd_end(&rd) < 0)
		return -EPROTO;
	if (count < max)
		max = count;
	memcpy(out, info, max * sizeof(info[0]));
	return (int)max;
}

int umx_domain_destroy(umx_conn *ts, uint32_t domid)
{
	struct umx_ctl_domid req = {.domid = domid};
	return umx_conn_call(ts, UMX_CTL_DOMAIN_DESTROY, &req, sizeof(req), NULL, 0, NULL, NULL, 0,
	                     NULL);
}

int umx_domain_signal(umx_conn *ts, uint32_t domid, int sig, uint32_t flags)
{
	struct umx_ctl_domain_signal req = {.domid = domid, .sig = sig, .flags = flags};
	return umx_conn_call(ts, UMX_CTL_DOMAIN_SIGNAL, &req, sizeof(req), NULL, 0, NULL, NULL, 0,
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

/* The program's environment: ours, with its connection and domid. In a
 * sandbox LeakSanitizer cannot stop the world (it needs ptrace, which the
 * filter denies), so sanitized programs are told not to try. */
struct domain_env {
	char **env;
	char fd_var[32];
	char domid_var[32];
	char *lsan_var;
};

static int domain_env_make(struct domain_env *e, int fd, uint32_t domid, bool sandbox)
{
	extern char **environ;
	const char *lsan = getenv("LSAN_OPTIONS");
	size_t n = 0, k = 0;

	while (environ[n])
		n++;
	e->env = calloc(n + 4, sizeof(*e->env));
	if (!e->env)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(environ[i], UMX_DOMAIN_FD_ENV "=", sizeof(UMX_DOMAIN_FD_ENV)) ||
		    !strncmp(environ[i], "UMX_DOMID=", 10) ||
		    (sandbox && !strncmp(environ[i], "LSAN_OPTIONS=", 13)))
			continue;
		e->env[k++] = environ[i];
	}
	snprintf(e->fd_var, sizeof(e->fd_var), UMX_DOMAIN_FD_ENV "=%d", fd);
	e->env[k++] = e->fd_var;
	/* for scripts; the connection is the identity */
	snprintf(e->domid_var, sizeof(e->domid_var), "UMX_DOMID=%u", domid);
	e->env[k++] = e->domid_var;
	if (sandbox) {
		if (asprintf(&e->lsan_var, "LSAN_OPTIONS=%s%sdetect_leaks=0", lsan ? lsan : "",
		             lsan && *lsan ? ":" : "") < 0) {
			e->lsan_var = NULL;
			free(e->env);
			e->env = NULL;
			return -ENOMEM;
		}
		e->env[k++] = e->lsan_var;
	}
	return 0;
}

static void domain_env_free(struct domain_env *e)
{
	free(e->env);
	free(e->lsan_var);
	e->env = NULL;
	e->lsan_var = NULL;
}

int umx_domain_spawn(umx_conn *ts, const char *name, const struct umx_spawn_opts *opts,
                     char *const argv[], struct umx_domain_proc *proc)
{
	static const struct umx_spawn_opts defaults;
	const char *base_env = getenv("UMX_UID_BASE");
	bool sandbox;
	struct domain_env env = {0};
	int fd, r;
	pid_t child;

	if (!opts)
		opts = &defaults;
	sandbox = !(opts->flags & UMX_SPAWN_NO_SANDBOX);
	memset(proc, 0, sizeof(*proc));
	proc->pidfd = proc->status_fd = -1;
	if (opts->nifs && (!sandbox || (opts->flags & UMX_SPAWN_NET_HOST) || !opts->ifs ||
	                   !opts->if_fds || opts->nifs > UMX_SPAWN_IFS_MAX)) {
		snprintf(proc->why, sizeof(proc->why),
		         "network interfaces need the sandbox's own network namespace (not "
		         "--no-sandbox or --net host), at most %u",
		         UMX_SPAWN_IFS_MAX);
		return -EINVAL;
	}
	r = umx_domain_create(ts, name, opts->grant_frames, &proc->domid, &fd);
	if (r < 0) {
		snprintf(proc->why, sizeof(proc->why), "cannot create the domain: %s",
		         strerror(-r));
		return r;
	}
	if ((r = domain_env_make(&env, fd, proc->domid, sandbox)) < 0)
		goto fail;
	if (sandbox) {
		struct umx_sandbox_opts so = {
		        .net_host = opts->flags & UMX_SPAWN_NET_HOST,
		        .binds = opts->binds,
		        .nbinds = opts->nbinds,
		        .uid_base = opts->uid_base,
		        .umx_dir = umx_conn_dir(ts),
		        .ifs = opts->ifs,
		        .nifs = opts->nifs,
		        .if_fds = opts->if_fds,
		};
		if (!so.uid_base && base_env && *base_env) {
			char *end;
			unsigned long v = strtoul(base_env, &end, 0);
			if (*end || v > UINT32_MAX) {
				snprintf(proc->why, sizeof(proc->why),
				         "UMX_UID_BASE=%s is not a number", base_env);
				r = -EINVAL;
				goto fail;
			}
			so.uid_base = (uint32_t)v;
		}
		if (!so.uid_base)
			so.uid_base = UMX_UID_BASE_DEFAULT;
		r = umx_sandbox_spawn(&so, proc->domid, fd, argv, env.env, &proc->pid, &proc->pidfd,
		                      &proc->status_fd, proc->why, sizeof(proc->why));
		if (r < 0)
			goto fail;
	} else {
		pid_t parent = getpid();
		child = fork();
		if (child < 0) {
			r = -errno;
			snprintf(proc->why, sizeof(proc->why), "fork: %s", strerror(errno));
			goto fail;
		}
		if (child == 0) {
			int flags = fcntl(fd, F_GETFD);
			/* A domain lives no longer than its launcher, the process
			 * that ends it when umxd goes away (umx_domain_proc_wait). */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
				_exit(127);
			/* The domain's connection is the one descriptor it inherits
			 * on purpose; everything else we hold is close-on-exec. */
			if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
				_exit(127);
			signal(SIGPIPE, SIG_DFL);
			execvpe(argv[0], argv, env.env);
			fprintf(stderr, "umx: cannot run %s: %s\n", argv[0], strerror(errno));
			_exit(127);
		}
		proc->pid = child;
		/* Our unreaped child: its pid cannot be reused yet. */
		proc->pidfd = (int)syscall(SYS_pidfd_open, child, 0);
		if (proc->pidfd < 0) {
			r = -errno;
			snprintf(proc->why, sizeof(proc->why), "pidfd_open: %s", strerror(errno));
			kill(child, SIGKILL);
			while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
				;
			goto fail;
		}
	}
	domain_env_free(&env);
	close(fd);
	fd = -1;
	r = umx_domain_set_pidfd(
	        ts, proc->domid, proc->pidfd,
	        (sandbox ? 0 : UMX_DOMAIN_F_NO_SANDBOX) |
	                (opts->flags & UMX_SPAWN_NET_HOST ? UMX_DOMAIN_F_NET_HOST : 0));
	if (r < 0) {
		snprintf(proc->why, sizeof(proc->why), "umxd refused the domain's process: %s",
		         strerror(-r));
		umx_domain_proc_signal(proc, SIGKILL);
		umx_domain_proc_wait(ts, proc, NULL);
		return r;
	}
	return 0;
fail:
	domain_env_free(&env);
	if (fd >= 0)
		close(fd);
	umx_domain_destroy(ts, proc->domid);
	return r;
}

int umx_domain_proc_signal(const struct umx_domain_proc *proc, int sig)
{
	if (proc->pidfd < 0)
		return -EBADF;
	return syscall(SYS_pidfd_send_signal, proc->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

/* Wait until the domain's process has ended, or umxd has gone away: our
 * toolstack connection hangs up when umxd stops, crashes or is killed -9.
 * umxd is the domains' hypervisor, and nothing of a domain may outlive it,
 * so then we end the domain ourselves through its pidfd (a sandbox's init
 * takes its whole pid namespace with it). Returns true when umxd went. */
static bool wait_proc_or_umxd(umx_conn *ts, const struct umx_domain_proc *proc)
{
	struct pollfd p[2] = {{.fd = proc->pidfd, .events = POLLIN},
	                      {.fd = ts ? umx_conn_fd(ts) : -1, .events = POLLRDHUP}};

	if (proc->pidfd < 0)
		return false; /* waitpid alone, as before */
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR) /* a signal the caller forwards */
				continue;
			return false;
		}
		if (p[0].revents)
			return false;
		if (p[1].revents & (POLLHUP | POLLRDHUP | POLLERR)) {
			umx_domain_proc_signal(proc, SIGKILL);
			return true;
		}
	}
}

int umx_domain_proc_wait(umx_conn *ts, struct umx_domain_proc *proc, int *status)
{
	int st = 0, r = 0;
	bool umxd_gone;

	if (proc->pid <= 0)
		return -ECHILD;
	umxd_gone = wait_proc_or_umxd(ts, proc);
	while (waitpid(proc->pid, &st, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			break;
		}
	}
	if (r == 0) {
		if (proc->status_fd >= 0)
			st = umx_sandbox_status(proc->status_fd, st);
		if (!umxd_gone)
			umx_domain_exited(ts, proc->domid, st);
		if (status)
			*status = st;
		if (umxd_gone) {
			snprintf(proc->why, sizeof(proc->why),
			         "umxd went away: domain %u was ended with it", proc->domid);
			r = -ECONNRESET;
		}
	}
	if (proc->status_fd >= 0)
		close(proc->status_fd);
	if (proc->pidfd >= 0)
		close(proc->pidfd);
	proc->status_fd = proc->pidfd = -1;
	proc->pid = 0;
	return r;
}

int umx_daemon_info(umx_conn *ts, struct umx_daemon_info *info)
{
	struct umx_ctl_info_reply rep;
	int r = umx_conn_call(ts, UMX_CTL_DAEMON_INFO, NULL, 0, UMX_CTL_REPLY_BODY(&rep),
	                      UMX_CTL_REPLY_BODY_LEN(&rep), NULL, NULL, 0, NULL);
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
