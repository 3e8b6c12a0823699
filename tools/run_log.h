/* SPDX-License-Identifier: MIT */
/*
 * A detached domain's log, capped (run_log.c): `umx run -d` and `umx
 * create` send the domain's (and the launcher's) output to
 * $UMX_DIR/log/NAME.log through a pipe; a small process copies it there,
 * and when the file reaches its cap it becomes NAME.log.1 (replacing the
 * one before) and a new NAME.log starts. So a domain keeps at most twice
 * the cap on disk, its latest output always in NAME.log.
 */
#ifndef UMX_TOOL_RUN_LOG_H
#define UMX_TOOL_RUN_LOG_H

/* The cap: 4 MiB, or $UMX_DOMAIN_LOG_MAX bytes (4096 to 1 GiB). */
#define RUN_LOG_MAX_DEFAULT (4u << 20)

/* The cap in bytes (RUN_LOG_MAX_DEFAULT or $UMX_DOMAIN_LOG_MAX). */
unsigned long run_log_max(void);

/* Start the copier for the log file open on @logfd (which it takes over:
 * closed here). Returns the pipe's write end to give the domain as its
 * stdout and stderr, or -errno. The copier is no child of ours (it must
 * outlive a launcher that ends its own children): it ends when every
 * writer has closed the pipe. */
int run_log_pump(int logfd);

#endif
