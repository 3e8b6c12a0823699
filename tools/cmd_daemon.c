/* SPDX-License-Identifier: MIT */
/* umx daemon start|stop|status, umx info, umx log. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umx.h"
#include "umx/internal/ctl.h"
#include "umx/domain.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* umxd next to us (installed: ../sbin; build tree: ../daemon), else $PATH. */
static void find_umxd(char *buf, size_t len)
{
	char self[PATH_MAX - 32];
	const char *env = getenv("UMXD");
	ssize_t n;
	static const char *const rel[] = {"umxd", "../sbin/umxd", "../daemon/umxd"};

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				int w = snprintf(buf, len, "%s/%s", self, rel[i]);
				if (w > 0 && (size_t)w < len && access(buf, X_OK) == 0)
					return;
			}
		}
	}
	snprintf(buf, len, "umxd");
}

static int daemon_start(void)
{
	char umxd[PATH_MAX];
	umx_conn *c;
	pid_t pid;
	int st;

	if (umx_conn_open_toolstack(NULL, &c) == 0) {
		umx_conn_close(c);
		printf("umxd is already running\n");
		return 0;
	}
	find_umxd(umxd, sizeof(umxd));
	pid = fork();
	if (pid < 0) {
		perror("umx: fork");
		return 1;
	}
	if (pid == 0) {
		execlp(umxd, "umxd", (char *)NULL);
		fprintf(stderr, "umx: cannot run %s: %s\n", umxd, strerror(errno));
		_exit(127);
	}
	/* umxd's first process exits once the sockets exist; until then
	 * umxd says on our terminal why it could not start. */
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char dir[256] = "$UMX_DIR";
		(void)umx_default_dir(dir, sizeof(dir));
		fprintf(stderr,
		        "umx: umxd failed to start (its reason is above; log: %s/log/umxd.log)\n",
		        tool_show(dir));
		return 1;
	}
	if (umx_conn_open_toolstack(NULL, &c) == 0) {
		struct umx_daemon_info info;
		if (umx_daemon_info(c, &info) == 0)
			printf("umxd started (pid %d, %s; log: %s/log/umxd.log)\n", (int)info.pid,
			       info.dir, info.dir);
		else
			printf("umxd started\n");
		umx_conn_close(c);
	} else {
		printf("umxd started\n");
	}
	return 0;
}

/* The live domains, "3 (web), 4 (sw)", for what `daemon stop` ended. */
static unsigned live_domains(umx_conn *c, char *buf, size_t len)
{
	static struct umx_ctl_domain_info info[UMX_CTL_LIST_MAX];
	unsigned count = 0;
	size_t used = 0;
	uint32_t start = 0;

	buf[0] = 0;
	for (;;) {
		int n = umx_domain_list(c, start, info, UMX_CTL_LIST_MAX);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			info[i].name[sizeof(info[i].name) - 1] = 0;
			start = info[i].domid + 1;
			if (info[i].state == UMX_DOM_DEAD)
				continue;
			if (count < 16 && used < len) {
				int w = snprintf(buf + used, len - used, "%s%u (%s)",
				                 count ? ", " : "", info[i].domid, info[i].name);
				used += w > 0 ? (size_t)w : 0;
			} else if (count == 16 && used < len) {
				snprintf(buf + used, len - used, ", ...");
				used = len;
			}
			count++;
		}
		if ((unsigned)n < UMX_CTL_LIST_MAX)
			break;
	}
	return count;
}

/* Stop umxd and say what ended with it: every domain does (umxd kills each
 * through its pidfd and waits for it before it exits), so once umxd's own
 * process is gone, so are they. We wait on umxd's pidfd, not a clock. */
static int daemon_stop(void)
{
	struct umx_daemon_info info;
	char names[1024];
	struct pollfd p;
	unsigned n;
	umx_conn *c;
	int r, pidfd;

	if (umx_conn_open_toolstack(NULL, &c) < 0) {
		printf("umxd is not running\n");
		return 0;
	}
	if ((r = umx_daemon_info(c, &info)) < 0) {
		umx_conn_close(c);
		fprintf(stderr, "umx daemon stop: cannot ask umxd: %s\n", strerror(-r));
		return 1;
	}
	n = live_domains(c, names, sizeof(names));
	pidfd = (int)syscall(SYS_pidfd_open, info.pid, 0);
	r = umx_daemon_stop(c);
	umx_conn_close(c);
	if (r < 0) {
		fprintf(stderr, "umx daemon stop: umxd refused: %s\n", strerror(-r));
		if (pidfd >= 0)
			close(pidfd);
		return 1;
	}
	if (pidfd >= 0) {
		/* umxd waits up to 10 s for its domains; give it that and more. */
		p.fd = pidfd;
		p.events = POLLIN;
		while ((r = poll(&p, 1, 30000)) < 0 && errno == EINTR)
			;
		close(pidfd);
		if (r == 0) {
			fprintf(stderr,
			        "umx daemon stop: umxd (pid %d) has not exited 30 s after "
			        "being told to stop\n",
			        (int)info.pid);
			return 1;
		}
	} else {
		/* Not our pid namespace's umxd: wait for its socket to go. */
		for (int i = 0; i < 3000 && umx_conn_open_toolstack(NULL, &c) == 0; i++) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			umx_conn_close(c);
			nanosleep(&ts, NULL);
		}
	}
	if (n)
		printf("umxd stopped (pid %d); %u domain%s ended with it: %s\n", (int)info.pid, n,
		       n == 1 ? "" : "s", names);
	else
		printf("umxd stopped (pid %d); no domains were running\n", (int)info.pid);
	return 0;
}

static int print_info(int status_only)
{
	struct umx_daemon_info info;
	umx_conn *c;
	int r;

	if (umx_conn_open_toolstack(NULL, &c) < 0) {
		printf("umxd is not running\n");
		return status_only ? 3 : 1;
	}
	r = umx_daemon_info(c, &info);
	umx_conn_close(c);
	if (r < 0) {
		fprintf(stderr, "umx: info failed: %s\n", strerror(-r));
		return 1;
	}
	if (status_only) {
		printf("umxd is running (pid %d, %u domains)\n", (int)info.pid, info.domains);
		return 0;
	}
	printf("umx version:       %s\n", UMX_VERSION);
	printf("protocol version:  %u\n", info.version);
	printf("umxd pid:          %d\n", (int)info.pid);
	printf("domains:           %u\n", info.domains);
	printf("runtime dir:       %s\n", info.dir);
	printf("control socket:    %s/control\n", info.dir);
	printf("xenstore socket:   %s   (XENSTORED_PATH for Xen's tools)\n", info.xs_socket);
	return 0;
}

int cmd_daemon(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "umx daemon: expected one of start, stop, status\n");
		return 2;
	}
	if (!strcmp(argv[1], "start"))
		return daemon_start();
	if (!strcmp(argv[1], "stop"))
		return daemon_stop();
	if (!strcmp(argv[1], "status"))
		return print_info(1);
	fprintf(stderr, "umx daemon: '%s' is not start, stop or status\n", tool_show(argv[1]));
	return 2;
}

int cmd_info(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "umx info: takes no arguments\n");
		return 2;
	}
	return print_info(0);
}

int cmd_log(int argc, char **argv)
{
	char dir[256], path[300], buf[65536];
	ssize_t n;
	int fd;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--path") != 0)) {
		fprintf(stderr, "umx log: unexpected '%s' (umx log [--path])\n",
		        tool_show(argv[1]));
		return 2;
	}
	if (umx_default_dir(dir, sizeof(dir)) < 0) {
		fprintf(stderr, "umx log: the runtime directory's name is too long\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/log/umxd.log", dir);
	if (argc == 2) {
		printf("%s\n", path);
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "umx log: %s: %s%s\n", path, strerror(errno),
		        errno == ENOENT ? " (umxd has never run in this directory)" : "");
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	close(fd);
	return n < 0 ? 1 : 0;
}
