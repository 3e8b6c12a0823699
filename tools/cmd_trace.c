/* SPDX-License-Identifier: MIT */
/* umx trace: what domains ask of umxd and of each other, as it happens. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx.h"
#include "umx/trace.h"

static const char trace_usage[] =
        "usage: umx trace [DOMAIN...] [--lifecycle] [--grants] [--events] [--store]\n"
        "                 [--rings] [--json] [--buffer BYTES] [--count N]\n";

int cmd_trace(int argc, char **argv)
{
	static struct umx_trace_reader rd;
	struct umx_trace_filter f;
	const struct umx_trace_rec *rec;
	unsigned long long count = 0, seen = 0;
	bool json = false;
	umx_conn *ts = NULL;
	int r, ret = 1;

	memset(&f, 0, sizeof(f));
	rd.fd = -1;
	if (tool_connect(&ts) < 0)
		return 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if (!strcmp(a, "--lifecycle"))
			f.mask |= UMX_TRACE_LIFECYCLE;
		else if (!strcmp(a, "--grants"))
			f.mask |= UMX_TRACE_GRANTS;
		else if (!strcmp(a, "--events"))
			f.mask |= UMX_TRACE_EVENTS;
		else if (!strcmp(a, "--store"))
			f.mask |= UMX_TRACE_STORE;
		else if (!strcmp(a, "--rings"))
			f.mask |= UMX_TRACE_RINGS;
		else if (!strcmp(a, "--json"))
			json = true;
		else if ((!strcmp(a, "--buffer") || !strcmp(a, "--count")) && i + 1 < argc) {
			unsigned long long v;
			errno = 0;
			v = strtoull(argv[++i], &end, 10);
			if (errno || *end || !*argv[i] || *argv[i] == '-' ||
			    (a[2] == 'b' && v > UMX_TRACE_BUF_MAX)) {
				fprintf(stderr, "umx trace: %s '%s': not a number%s\n", a,
				        tool_show(argv[i]), a[2] == 'b' ? " up to 4194304" : "");
				goto out;
			}
			if (a[2] == 'b')
				f.buf_size = (uint32_t)v;
			else
				count = v;
		} else if (a[0] == '-') {
			fprintf(stderr, "umx trace: unknown option '%s'\n%s", tool_show(a),
			        trace_usage);
			ret = 2;
			goto out;
		} else {
			uint32_t d;
			if (f.ndomains == UMX_TRACE_DOMAINS_MAX) {
				fprintf(stderr, "umx trace: at most %u domains\n",
				        UMX_TRACE_DOMAINS_MAX);
				goto out;
			}
			/* A domain not running yet is named by its domid. */
			if (tool_domain(ts, "umx trace", a, &d) < 0)
				goto out;
			f.domains[f.ndomains++] = d;
		}
	}
	/* Frames are `umx net capture`'s: reporting each costs the switch a
	 * round trip to umxd, not something to switch on by default. */
	if (!f.mask)
		f.mask = UMX_TRACE_ALL & ~UMX_TRACE_FRAMES;
	r = umx_trace_open(ts, &f, &rd.fd);
	if (r < 0) {
		fprintf(stderr, "umx trace: %s%s\n", strerror(-r),
		        r == -EBUSY ? " (too many traces at once)" : "");
		goto out;
	}
	/* One line per record as it comes, also into a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((r = umx_trace_next(&rd, -1, &rec)) > 0) {
		umx_trace_print(stdout, rec, json);
		if (rec->type != UMX_TR_LOST && count && ++seen >= count)
			break;
	}
	if (r < 0) {
		fprintf(stderr, "umx trace: %s\n", strerror(-r));
		goto out;
	}
	ret = 0;
out:
	if (rd.fd >= 0)
		close(rd.fd);
	umx_conn_close(ts);
	return ret;
}
