/* SPDX-License-Identifier: MIT */
/* Logging to stderr or syslog, shared by every umx binary. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "umx/log.h"

static int log_syslog;
static int log_level = -1;
static const char *log_ident = "umx";

void umx_log_to_syslog(const char *ident)
{
	log_ident = ident;
	openlog(ident, LOG_PID, LOG_DAEMON);
	log_syslog = 1;
}

void umx_log_ident(const char *ident)
{
	log_ident = ident;
}

void umx_log_set_level(enum umx_log_level level)
{
	log_level = (int)level;
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

void umx_log(enum umx_log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > current_level())
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog((int)level, fmt, ap);
	} else {
		char buf[1024];
		int n = vsnprintf(buf, sizeof(buf), fmt, ap);
		if (n < 0)
			n = 0;
		if ((size_t)n >= sizeof(buf))
			n = sizeof(buf) - 1;
		fprintf(stderr, "%s[%d]: %.*s\n", log_ident, (int)getpid(), n, buf);
	}
	va_end(ap);
}
