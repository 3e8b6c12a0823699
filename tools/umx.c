/* SPDX-License-Identifier: MIT */
/* The umx command: dispatch to subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umx.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
        {"daemon", cmd_daemon, "daemon start|stop|status   manage umxd"},
        {"info", cmd_info, "info                       paths and versions"},
        {"run", cmd_run,
         "run [--name N] [--grant-frames K] -- CMD ARGS...\n"
         "                             run CMD as a new domain"},
        {"list", cmd_list, "list [--json]              domains"},
        {"destroy", cmd_destroy, "destroy DOMID              kill a domain"},
        {"wait", cmd_wait, "wait DOMID                 wait for a domain to die"},
        {"xs", cmd_xs,
         "xs read|write|ls|rm|mkdir|watch|perms|chmod ...\n"
         "                             XenStore, like xenstore-*"},
        {"net", cmd_net, "net attach|detach|list|switch  virtual network interfaces"},
        {"blk", cmd_blk, "blk attach|detach|list|serve|io  virtual block devices"},
        {"vchan", cmd_vchan,
         "vchan server|client PATH DOMID [--unix SOCK] [-k]  pipe over a vchan"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: umx COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].help);
	fprintf(f, "\nThe daemon's directory is $UMX_DIR, else $XDG_RUNTIME_DIR/umx\n"
	           "(/run/umx for root). `umx COMMAND --help` for details.\n");
}

int tool_parse_domid(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > 32751) {
		fprintf(stderr, "umx: '%s' is not a domid\n", s);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

int tool_connect(umx_conn **out)
{
	int r = umx_conn_open_toolstack(NULL, out);
	if (r == -ENOENT || r == -ECONNREFUSED)
		fprintf(stderr, "umx: umxd is not running (start it with `umx daemon start`)\n");
	else if (r < 0)
		fprintf(stderr, "umx: cannot reach umxd: %s\n", strerror(-r));
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("umx %s\n", UMX_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "umx: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
