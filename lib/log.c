/* SPDX-License-Identifier: MIT */
/* Logging to stderr, syslog and a log file, shared by every umx binary. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "umx/log.h"

static int log_syslog;
static int log_stderr = UMX_LOG_DEBUG; /* the most verbose level on stderr; 0: none */
static int log_stamps;
static int log_level = -1;
static const char *log_ident = "umx";
/* The log file: its path (for rotation), descriptor and size so far. */
static char log_path[4096];
static int log_fd = -1;
static size_t log_size, log_max;

void umx_log_to_syslog(const char *ident)
{
	log_ident = ident;
	openlog(ident, LOG_PID, LOG_DAEMON);
	log_syslog = 1;
	log_stderr = 0;
}

void umx_log_ident(const char *ident)
{
	log_ident = ident;
}

void umx_log_set_level(enum umx_log_level level)
{
	log_level = (int)level;
}

void umx_log_stderr(int max_level, int timestamps)
{
	log_stderr = max_level;
	log_stamps = timestamps;
}

static int file_open(void)
{
	struct stat st;
	int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	log_size = (size_t)st.st_size;
	return 0;
}

/* The file never grows past @log_max: the older half lives on as PATH.1
 * (one generation), so a peer that makes us log cannot fill the disk. */
static void file_rotate(void)
{
	char old[sizeof(log_path) + 2];
	snprintf(old, sizeof(old), "%s.1", log_path);
	if (rename(log_path, old) < 0 || file_open() < 0) {
		close(log_fd);
		log_fd = -1;
	}
}

int umx_log_to_file(const char *path, size_t max_bytes)
{
	int r;
	if (!path) {
		if (log_fd >= 0)
			close(log_fd);
		log_fd = -1;
		return 0;
	}
	if (snprintf(log_path, sizeof(log_path), "%s", path) >= (int)sizeof(log_path))
		return -ENAMETOOLONG;
	log_max = max_bytes ? max_bytes : 4u << 20;
	if ((r = file_open()) < 0)
		return r;
	if (log_size >= log_max)
		file_rotate();
	return log_fd >= 0 ? 0 : -EIO;
}

static int current_level(void)
{
	if (log_level < 0) {
		const char *env = getenv("UMX_LOG");
		log_level = UMX_LOG_INFO;
		if (env && strcmp(env, "debug") == 0)
			log_level = UMX_LOG_DEBUG;
		else if (env && strcmp(env, "warn") == 0)
			log_level = UMX_LOG_WARN;
		else if (env && strcmp(env, "err") == 0)
			log_level = UMX_LOG_ERR;
	}
	return log_level;
}

/* "2026-12-07 17:40:01.123 " in UTC, the way journald and xl's logs read. */
static size_t stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	if (n && n + 6 < len)
		n += (size_t)snprintf(buf + n, len - n, ".%03ld ", ts.tv_nsec / 1000000);
	return n;
}

static const char *level_name(enum umx_log_level level)
{
	switch (level) {
	case UMX_LOG_ERR:
		return "error: ";
	case UMX_LOG_WARN:
		return "warning: ";
	case UMX_LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

void umx_log(enum umx_log_level level, const char *fmt, ...)
{
	char msg[1024], line[1200], ts[40] = "";
	va_list ap;
	int n;

	if ((int)level > current_level())
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (log_syslog)
		syslog((int)level, "%s", msg);
	if (((int)level <= log_stderr && log_stamps) || log_fd >= 0)
		stamp(ts, sizeof(ts));
	if ((int)level <= log_stderr)
		fprintf(stderr, "%s%s[%d]: %s%s\n", log_stamps ? ts : "", log_ident, (int)getpid(),
		        level_name(level), msg);
	if (log_fd >= 0) {
		n = snprintf(line, sizeof(line), "%s%s[%d]: %s%s\n", ts, log_ident, (int)getpid(),
		             level_name(level), msg);
		if (n < 0)
			return;
		if ((size_t)n >= sizeof(line))
			n = sizeof(line) - 1;
		if (write(log_fd, line, (size_t)n) == n)
			log_size += (size_t)n;
		if (log_size >= log_max)
			file_rotate();
	}
}
