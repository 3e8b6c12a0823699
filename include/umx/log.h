/* SPDX-License-Identifier: MIT */
/*
 * log.h — one logging call for the library, the daemon and the tools.
 *
 * Messages go to stderr by default; umxd also writes a timestamped log
 * file in its runtime directory, and syslog when it daemonises. Peer
 * misbehaviour is logged at UMX_LOG_WARN with the reason the peer was
 * disconnected, so an operator can see what happened.
 */
#ifndef UMX_LOG_H
#define UMX_LOG_H

#include <stddef.h>

enum umx_log_level {
	UMX_LOG_ERR = 3,
	UMX_LOG_WARN = 4,
	UMX_LOG_INFO = 6,
	UMX_LOG_DEBUG = 7
};

/* Where messages go: stderr (the default), syslog (umx_log_to_syslog()
 * also turns stderr off) and a log file, any combination. */
void umx_log_to_syslog(const char *ident);
/* Print messages up to @max_level (0: none) on stderr, with or without a
 * UTC timestamp before each line. The level filter still applies first. */
void umx_log_stderr(int max_level, int timestamps);
/* Also append each message, timestamped, to the file @path (created mode
 * 0600); once it reaches @max_bytes (0: 4 MiB) it becomes @path.1 and a
 * new file starts, so logging is bounded whatever a peer provokes. NULL
 * closes it. Returns 0 or -errno (the file could not be opened). */
int umx_log_to_file(const char *path, size_t max_bytes);
/* Name printed before stderr messages (default "umx"). */
void umx_log_ident(const char *ident);
/* Messages above @level are dropped (default UMX_LOG_INFO; UMX_LOG=debug). */
void umx_log_set_level(enum umx_log_level level);
void umx_log(enum umx_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define umx_err(...)   umx_log(UMX_LOG_ERR, __VA_ARGS__)
#define umx_warn(...)  umx_log(UMX_LOG_WARN, __VA_ARGS__)
#define umx_info(...)  umx_log(UMX_LOG_INFO, __VA_ARGS__)
#define umx_debug(...) umx_log(UMX_LOG_DEBUG, __VA_ARGS__)

#endif /* UMX_LOG_H */
