/* SPDX-License-Identifier: MIT */
/* A detached domain's log, capped with one rotation (run_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_log.h"
#include "umx/internal/fdio.h"

unsigned long run_log_max(void)
{
	const char *s = getenv("UMX_DOMAIN_LOG_MAX");
	unsigned long v;
	char *end;

	if (!s || !*s)
		return RUN_LOG_MAX_DEFAULT;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || s[0] < '0' || s[0] > '9' || v < 4096 || v > (1ul << 30))
		return RUN_LOG_MAX_DEFAULT;
	return v;
}

/* NAME.log -> NAME.log.1, and a new NAME.log on fd 1. The file's name is
 * asked of /proc: the launcher may have renamed it (launcher-PID.log to
 * domain-N.log) since. On failure the old file goes on growing. */
static void rotate(void)
{
	char cur[PATH_MAX], old[PATH_MAX + 2];
	ssize_t n = readlink("/proc/self/fd/1", cur, sizeof(cur) - 1);
	int fd;

	if (n <= 0 || n >= (ssize_t)sizeof(cur) - 1)
		return;
	cur[n] = 0;
	snprintf(old, sizeof(old), "%s.1", cur);
	if (rename(cur, old) < 0)
		return;
	fd = open(cur, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	dup2(fd, 1);
	close(fd);
}

/* The copier: the pipe on 0, the file on 1. */
static void pump(void)
{
	static char buf[65536];
	unsigned long max = run_log_max();
	struct stat st;
	unsigned long size = fstat(1, &st) == 0 ? (unsigned long)st.st_size : 0;

	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		if (size + (unsigned long)n > max && size > 0) {
			rotate();
			size = fstat(1, &st) == 0 ? (unsigned long)st.st_size : 0;
		}
		if (umx_fd_write_all(1, buf, (size_t)n) < 0)
			continue; /* a full disk: drop, keep draining the domain */
		size += (unsigned long)n;
	}
}

int run_log_pump(int logfd)
{
	int p[2], st;
	pid_t mid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		int e = errno;
		close(logfd);
		return -e;
	}
	/* Twice forked: the copier is reparented away from us (and from our
	 * subreaper role, which ends every child we leave). */
	mid = fork();
	if (mid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		close(logfd);
		return -e;
	}
	if (mid == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		if (dup2(p[0], 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(1);
		/* Nothing else of the launcher's: its umxd connection
		 * above all, which must close when the launcher ends. */
		close_range(3, ~0u, 0);
		pump();
	}
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
	close(p[0]);
	close(logfd);
	return p[1];
}
