/* SPDX-License-Identifier: MIT */
/* umx daemon start|stop|status, umx info. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umx.h"
#include "umx/domain.h"

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
	/* umxd's first process exits once the sockets exist. */
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "umx: umxd failed to start (see syslog, or run `umxd -f`)\n");
		return 1;
	}
	printf("umxd started\n");
	return 0;
}

static int daemon_stop(void)
{
	umx_conn *c;
	int r;

	if (umx_conn_open_toolstack(NULL, &c) < 0) {
		printf("umxd is not running\n");
		return 0;
	}
	r = umx_daemon_stop(c);
	umx_conn_close(c);
	if (r < 0) {
		fprintf(stderr, "umx: stop failed: %s\n", strerror(-r));
		return 1;
	}
	/* Wait until it has let go of its socket. */
	for (int i = 0; i < 500; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		if (umx_conn_open_toolstack(NULL, &c) < 0) {
			printf("umxd stopped\n");
			return 0;
		}
		umx_conn_close(c);
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "umx: umxd did not stop within 5 s\n");
	return 1;
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
		fprintf(stderr, "usage: umx daemon start|stop|status\n");
		return 2;
	}
	if (!strcmp(argv[1], "start"))
		return daemon_start();
	if (!strcmp(argv[1], "stop"))
		return daemon_stop();
	if (!strcmp(argv[1], "status"))
		return print_info(1);
	fprintf(stderr, "usage: umx daemon start|stop|status\n");
	return 2;
}

int cmd_info(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: umx info\n");
		return 2;
	}
	return print_info(0);
}
