/* SPDX-License-Identifier: MIT */
/* The umx command: dispatch to subcommands, and what they share. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx.h"
#include "umx/internal/ctl.h"
#include "umx/domain.h"

#define DOM "DOMAIN"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary; /* one line in `umx --help` */
	const char *help;    /* `umx CMD --help`; NULL: the command prints its own */
} cmds[] = {
        {"daemon", cmd_daemon, "daemon start|stop|status   manage umxd",
         "usage: umx daemon start|stop|status\n"
         "start   start umxd in the background; returns once it serves\n"
         "stop    stop umxd: every domain ends with it (the hypervisor's death is\n"
         "        every domain's death); says which domains it ended\n"
         "status  exit 0 and say so when umxd runs, else exit 3\n"},
        {"info", cmd_info, "info                       paths and versions",
         "usage: umx info\numxd's pid, version, domains, runtime directory and sockets\n"
         "(XENSTORED_PATH for Xen's tools).\n"},
        {"log", cmd_log, "log [--path]               umxd's log file",
         "usage: umx log [--path]\n"
         "Print umxd's log, $UMX_DIR/log/umxd.log (timestamped, UTC), also after\n"
         "umxd has gone; --path prints only where it is.\n"},
        {"run", cmd_run,
         "run [-d] [--name N] [OPTIONS] -- CMD ARGS...\n"
         "                             run CMD as a new domain",
         tool_run_help},
        {"create", cmd_create, "create [-F] FILE [KEY=VALUE]...  a domain from a config file",
         tool_create_help},
        {"list", cmd_list, "list [--json]              domains",
         "usage: umx list [--json]\n"
         "Every domain: domid, name, pid, state (starting, running, paused, dying,\n"
         "dead), grants others map, pages it maps, ports, regions, sandbox.\n"},
        {"domid", cmd_domid, "domid NAME                 the domid of a running domain",
         "usage: umx domid NAME\nPrint the domid of the running domain NAME.\n"},
        {"domname", cmd_domname, "domname DOMID              the name of a domain",
         "usage: umx domname DOMID\nPrint the name of domain DOMID.\n"},
        {"shutdown", cmd_shutdown, "shutdown [-w] [-t S] " DOM "  ask a domain to power off",
         "usage: umx shutdown [-w] [-t SECONDS] DOMAIN\n"
         "Ask the domain to power off, as xl does: a program that advertises\n"
         "control/feature-poweroff = 1 in its store directory gets control/shutdown =\n"
         "poweroff (Xen's protocol; it acknowledges by clearing the node), any other\n"
         "gets SIGTERM. -w waits until it has ended (at most -t SECONDS, default 30).\n"
         "DOMAIN is a domid or the name of a running domain.\n"},
        {"reboot", cmd_reboot, "reboot [-w] [-t S] " DOM "    ask a domain to restart",
         "usage: umx reboot [-w] [-t SECONDS] DOMAIN\n"
         "Ask the domain to reboot: control/shutdown = reboot when it advertises\n"
         "control/feature-reboot = 1, else SIGTERM; when its program has ended its\n"
         "launcher (umx run, umx create) starts it again, as a new domain of the same\n"
         "name and settings (a new domid, as on Xen). -w waits until the old one ended.\n"},
        {"pause", cmd_pause, "pause " DOM "               stop every process of a domain",
         "usage: umx pause DOMAIN\nStop (SIGSTOP) every process of the domain; `umx list` "
         "says paused.\n"},
        {"unpause", cmd_unpause, "unpause " DOM "             continue a paused domain",
         "usage: umx unpause DOMAIN\nContinue (SIGCONT) every process of a paused domain.\n"},
        {"destroy", cmd_destroy, "destroy " DOM "             kill a domain",
         "usage: umx destroy DOMAIN\n"
         "Kill the domain at once (SIGKILL to all of it); its resources are released\n"
         "and its peers see it die. DOMAIN is a domid or the name of a running domain.\n"},
        {"wait", cmd_wait, "wait " DOM "                wait for a domain to die",
         "usage: umx wait DOMAIN\n"
         "Wait until the domain has died; print how, exit with its status\n"
         "(128+N when killed by signal N). Works after the fact for recent deaths.\n"},
        {"xs", cmd_xs,
         "xs read|write|ls|rm|mkdir|watch|perms|chmod ...\n"
         "                             XenStore, like xenstore-*",
         NULL},
        {"net", cmd_net, "net attach|detach|list|switch  virtual network interfaces", NULL},
        {"blk", cmd_blk, "blk attach|detach|list|serve|io  virtual block devices", NULL},
        {"console", cmd_console,
         "console DOMAIN | --log DOMAIN | serve | add | front  domains' consoles", NULL},
        {"attack", cmd_attack,
         "attack ROLE TARGET [--attack NAME] [--json] | --list\n"
         "                             fire the hostile-peer catalogue at a driver",
         NULL},
        {"top", cmd_top, "top [-b] [-d SECONDS] [-i N]  domains and their counters, refreshed",
         "usage: umx top [-b] [-d SECONDS] [-i ITERATIONS]\n"
         "Every domain with xentop's columns where they exist: CPU(sec) and CPU(%) of\n"
         "its processes, MEM(k) (their resident memory), NETS, NETTX(k), NETRX(k),\n"
         "VBDS, VBD_RD, VBD_WR (as its backends count them); and umx's own: GRANTS\n"
         "(its refs others map), MAPS (pages it maps), PORTS, XS_NODES (store nodes\n"
         "it owns) and XS(%) (of its node quota). Refreshed every -d SECONDS (1);\n"
         "-b prints one table after another instead of redrawing; -i stops after N.\n"},
        {"trace", cmd_trace,
         "trace [DOMAIN...] [--grants|--events|--store|--rings] [--json]\n"
         "                             what domains ask of umxd, live",
         "usage: umx trace [DOMAIN...] [--lifecycle] [--grants] [--events] [--store]\n"
         "                 [--rings] [--json] [--buffer BYTES] [--count N]\n"
         "A timestamped record per thing the domains (all, or those named, as actor\n"
         "or peer) ask of umxd: domain lifecycle, grant memory, map, unmap, copy and\n"
         "end-access (refs, peers, flags, GNTST_* results), event channel alloc,\n"
         "bind and close, every xs_wire request and reply (req and tx ids, watch\n"
         "events), device rings that report. No category: all of them. --json: one\n"
         "object a line. umxd keeps --buffer bytes for us (default 262144); when we\n"
         "fall behind it drops records and says how many (\"records lost\"), and\n"
         "never slows a domain. --count N: stop after N records. Only the toolstack\n"
         "may trace. Grant shares and event notifies do not pass through umxd (a\n"
         "domain writes its grant table, a notify goes peer to peer): they show as\n"
         "the maps and copies that name them, and in device ring records.\n"},
        {"vchan", cmd_vchan, "vchan server|client PATH DOMID [--unix SOCK] [-k]  pipe over a vchan",
         NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: umx COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].summary);
	fprintf(f,
	        "\nThe daemon's directory is $UMX_DIR, else $XDG_RUNTIME_DIR/umx\n"
	        "(/run/umx for root). A DOMAIN is a domid or a name; %s.\n"
	        "`umx COMMAND --help` for details; man umx(1).\n",
	        TOOL_NAME_RULES);
}

const char *tool_show(const char *s)
{
	static char bufs[4][64];
	static unsigned next;
	char *b = bufs[next++ % 4];
	size_t i;

	for (i = 0; i < 48 && s[i]; i++)
		b[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	b[i] = 0;
	if (s[i])
		strcpy(b + i, "...");
	return b;
}

int tool_parse_domid(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, 10);
	/* 0 is Domain-0, the toolstack's domain: on Xen it is where backends run
	 * (`umx net attach 1 0`); 32752 and up are Xen's reserved ids. */
	if (errno || *end || !*s || *s < '0' || *s > '9' || v > 32751) {
		fprintf(stderr, "umx: '%s' is not a domid (0 to 32751)\n", tool_show(s));
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

int tool_check_name(const char *cmd, const char *name)
{
	const char *why = NULL;
	bool digits = true;
	size_t len = strlen(name);

	for (const char *p = name; *p && !why; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			why = *p == ' ' ? "contains a space" : "contains a character not allowed";
		digits &= *p >= '0' && *p <= '9';
	}
	if (!len)
		why = "is empty";
	else if (len >= UMX_NAME_MAX)
		why = "is too long";
	else if (!why && digits)
		why = "is all digits (that reads as a domid)";
	if (!why)
		return 0;
	if (len >= UMX_NAME_MAX)
		fprintf(stderr, "%s: name '%s' (%zu bytes) %s: %s\n", cmd, tool_show(name), len,
		        why, TOOL_NAME_RULES);
	else
		fprintf(stderr, "%s: name '%s' %s: %s\n", cmd, tool_show(name), why,
		        TOOL_NAME_RULES);
	return -EINVAL;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int tool_domain(umx_conn *ts, const char *cmd, const char *arg, uint32_t *domid)
{
	static struct umx_ctl_domain_info info[UMX_CTL_LIST_MAX];
	uint32_t start = 0;

	if (all_digits(arg)) {
		if (tool_parse_domid(arg, domid) < 0)
			return -EINVAL;
		return 0;
	}
	if (!*arg || strlen(arg) >= UMX_NAME_MAX) {
		fprintf(stderr, "%s: '%s' is neither a domid nor a domain name: %s\n", cmd,
		        tool_show(arg), TOOL_NAME_RULES);
		return -EINVAL;
	}
	for (;;) {
		int n = umx_domain_list(ts, start, info, UMX_CTL_LIST_MAX);
		if (n < 0) {
			fprintf(stderr, "%s: cannot list domains: %s\n", cmd, strerror(-n));
			return n;
		}
		for (int i = 0; i < n; i++) {
			info[i].name[sizeof(info[i].name) - 1] = 0;
			if (info[i].state != UMX_DOM_DEAD && info[i].state != UMX_DOM_DYING &&
			    !strcmp(info[i].name, arg)) {
				*domid = info[i].domid;
				return 0;
			}
			start = info[i].domid + 1;
		}
		if ((unsigned)n < UMX_CTL_LIST_MAX)
			break;
	}
	fprintf(stderr, "%s: no running domain is named '%s'\n", cmd, tool_show(arg));
	return -ESRCH;
}

int tool_domain_noconn(const char *cmd, const char *arg, uint32_t *domid)
{
	umx_conn *ts;
	int r;

	if (all_digits(arg))
		return tool_parse_domid(arg, domid);
	if (tool_connect(&ts) < 0)
		return -ENOTCONN;
	r = tool_domain(ts, cmd, arg, domid);
	umx_conn_close(ts);
	return r;
}

int tool_connect(umx_conn **out)
{
	char dir[256] = "$UMX_DIR";
	int r = umx_conn_open_toolstack(NULL, out);

	(void)umx_default_dir(dir, sizeof(dir));
	if (r == -ENOENT || r == -ECONNREFUSED)
		fprintf(stderr,
		        "umx: umxd is not running in %s (start it with `umx daemon start`)\n",
		        tool_show(dir));
	else if (r == -EPIPE || r == -ECONNRESET || r == -EACCES || r == -EPERM)
		fprintf(stderr,
		        "umx: umxd in %s refused this connection: it serves only its own uid "
		        "(we are uid %u)\n",
		        tool_show(dir), (unsigned)getuid());
	else if (r < 0)
		fprintf(stderr, "umx: cannot reach umxd in %s: %s\n", tool_show(dir), strerror(-r));
	return r;
}

/* `--help` or `-h` anywhere before `--`. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	}
	return false;
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
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		/* Help never touches umxd. Commands with subcommands print
		 * their own (they know which one was asked about). */
		if (cmds[i].help && wants_help(argc - 1, argv + 1)) {
			fputs(cmds[i].help, stdout);
			return 0;
		}
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "umx: unknown command '%s' (`umx --help` lists them)\n",
	        tool_show(argv[1]));
	return 2;
}
