/* SPDX-License-Identifier: MIT */
/*
 * prog.h — what the programs on the device cores (tools/lwip, slirp, tap,
 * and the test-only frame sources) share: long options parsed from
 * one table, the stop flag SIGTERM/SIGINT set, and opening the platform
 * with the message that says how to run them.
 */
#ifndef UMX_TOOLS_PROG_H
#define UMX_TOOLS_PROG_H

#include <signal.h>
#include <stdbool.h>

#include "umx/platform.h"

enum prog_kind {
	PROG_FLAG,   /* bool *, set when given */
	PROG_STR,    /* const char ** */
	PROG_UINT,   /* unsigned *, decimal, at most .max (0: UINT_MAX) */
	PROG_ULONG,  /* unsigned long *, decimal */
	PROG_DOUBLE, /* double *, finite, not negative */
	PROG_FN,     /* .fn(arg, dst): 0, or -errno to refuse the value */
};

struct prog_opt {
	const char *name; /* --name; NULL ends the table */
	enum prog_kind kind;
	void *dst;
	unsigned long max;
	int (*fn)(const char *arg, void *dst);
};

/* Table entries: PROG_OPT("port", PROG_UINT, &port), ..., PROG_OPT_END. */
#define PROG_OPT(n, k, d)                            \
	{                                            \
		.name = (n), .kind = (k), .dst = (d) \
	}
#define PROG_OPT_MAX(n, k, d, m)                                 \
	{                                                        \
		.name = (n), .kind = (k), .dst = (d), .max = (m) \
	}
#define PROG_OPT_FN(n, f, d)                                        \
	{                                                           \
		.name = (n), .kind = PROG_FN, .dst = (d), .fn = (f) \
	}
#define PROG_OPT_END         \
	{                    \
		.name = NULL \
	}

/* Set by SIGTERM and SIGINT once prog_start() ran. */
extern volatile sig_atomic_t prog_stop;

/*
 * Parse argv against @opts (long options only, and --help). Returns the
 * index of the first operand, or -1 after printing "@name: bad --opt VALUE"
 * or @usage on stderr (the caller exits 2).
 */
int prog_parse(const char *name, int argc, char **argv, const struct prog_opt *opts,
               const char *usage);

/* Log as @name; SIGTERM and SIGINT set prog_stop. */
void prog_start(const char *name);

/* umx_plat_open(), telling the user to use `umx run` when it fails.
 * 0 or -errno. */
int prog_platform_open(const char *name, umx_plat **p);

#endif
