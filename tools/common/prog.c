/* SPDX-License-Identifier: MIT */
/* The device programs' shared option parsing and start-up (prog.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog.h"
#include "umx/log.h"

#define PROG_OPTS_MAX 32

volatile sig_atomic_t prog_stop;

static int parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || *v > max)
		return -EINVAL;
	return 0;
}

static int set_value(const struct prog_opt *o, const char *arg)
{
	unsigned long v;
	char *end;
	double d;

	switch (o->kind) {
	case PROG_FLAG:
		*(bool *)o->dst = true;
		return 0;
	case PROG_STR:
		*(const char **)o->dst = arg;
		return 0;
	case PROG_UINT:
		if (parse_ulong(arg, o->max ? o->max : UINT_MAX, &v) < 0)
			return -EINVAL;
		*(unsigned *)o->dst = (unsigned)v;
		return 0;
	case PROG_ULONG:
		if (parse_ulong(arg, o->max ? o->max : ULONG_MAX, &v) < 0)
			return -EINVAL;
		*(unsigned long *)o->dst = v;
		return 0;
	case PROG_DOUBLE:
		errno = 0;
		d = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(d) || d < 0)
			return -EINVAL;
		*(double *)o->dst = d;
		return 0;
	case PROG_FN:
		return o->fn(arg, o->dst);
	}
	return -EINVAL;
}

int prog_parse(const char *name, int argc, char **argv, const struct prog_opt *opts,
               const char *usage)
{
	struct option lo[PROG_OPTS_MAX + 2];
	unsigned n = 0;
	int c, idx;

	for (; opts[n].name; n++) {
		/* Our own table: too long is a programming error. */
		if (n == PROG_OPTS_MAX)
			abort();
		lo[n] = (struct option){opts[n].name,
		                        opts[n].kind == PROG_FLAG ? no_argument : required_argument,
		                        NULL, 'o'};
	}
	lo[n] = (struct option){"help", no_argument, NULL, '?'};
	lo[n + 1] = (struct option){NULL, 0, NULL, 0};
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1) {
		if (c != 'o' || idx < 0 || (unsigned)idx >= n) {
			fputs(usage, stderr);
			return -1;
		}
		if (set_value(&opts[idx], optarg) < 0) {
			fprintf(stderr, "%s: bad --%s %s\n", name, opts[idx].name,
			        optarg ? optarg : "");
			return -1;
		}
	}
	return optind;
}

static void on_signal(int sig)
{
	(void)sig;
	prog_stop = 1;
}

void prog_start(const char *name)
{
	umx_log_ident(name);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
}

int prog_platform_open(const char *name, umx_plat **p)
{
	int r = umx_plat_open(NULL, p);

	if (r < 0)
		fprintf(stderr, "%s: platform: %s (run it with umx run)\n", name, strerror(-r));
	return r;
}
