/* SPDX-License-Identifier: MIT */
/* umx list, domid, domname, destroy, shutdown, reboot, pause, unpause, wait. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umx.h"
#include "umx/internal/ctl.h"
#include "umx/domain.h"
#include "umx/xs.h"

static const char *state_name(uint32_t s)
{
	switch (s) {
	case UMX_DOM_STARTING:
		return "starting";
	case UMX_DOM_RUNNING:
		return "running";
	case UMX_DOM_DYING:
		return "dying";
	case UMX_DOM_DEAD:
		return "dead";
	}
	return "?";
}

/* "yes", "net-host" (sandboxed on the host's network), "no" (--no-sandbox),
 * or "-" before its launcher said (no process reported yet). */
static const char *sandbox_name(const struct umx_ctl_domain_info *d)
{
	if (d->pid <= 0)
		return "-";
	if (d->flags & UMX_DOMAIN_F_NO_SANDBOX)
		return "no";
	return d->flags & UMX_DOMAIN_F_NET_HOST ? "net-host" : "yes";
}

static const char *state_of(const struct umx_ctl_domain_info *d)
{
	if (d->state == UMX_DOM_RUNNING && (d->flags & UMX_DOMAIN_F_PAUSED))
		return "paused";
	return state_name(d->state);
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

int cmd_list(int argc, char **argv)
{
	static struct umx_ctl_domain_info info[UMX_CTL_LIST_MAX];
	int json = 0, first = 1;
	uint32_t start = 0;
	umx_conn *ts;

	if (argc == 2 && !strcmp(argv[1], "--json"))
		json = 1;
	else if (argc != 1) {
		fprintf(stderr, "umx list: unexpected '%s' (umx list [--json])\n",
		        tool_show(argv[1]));
		return 2;
	}
	if (tool_connect(&ts) < 0)
		return 1;
	if (json && tool_counters_load(ts) < 0)
		fprintf(stderr, "umx list: counters unavailable\n");
	if (json)
		printf("[");
	else
		printf("%-6s %-20s %-8s %-8s %7s %7s %6s %8s %-8s\n", "DOMID", "NAME", "PID",
		       "STATE", "GRANTED", "MAPPED", "PORTS", "REGIONS", "SANDBOX");
	for (;;) {
		int n = umx_domain_list(ts, start, info, UMX_CTL_LIST_MAX);
		if (n < 0) {
			fprintf(stderr, "umx list: %s\n", strerror(-n));
			umx_conn_close(ts);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct umx_ctl_domain_info *d = &info[i];
			d->name[sizeof(d->name) - 1] = 0;
			if (json) {
				printf("%s\n {\"domid\": %u, \"name\": ", first ? "" : ",",
				       d->domid);
				json_string(d->name);
				printf(", \"pid\": %d, \"state\": \"%s\", \"grants_active\": %u, "
				       "\"pages_mapped\": %u, \"ports\": %u, \"regions\": %u, "
				       "\"sandbox\": \"%s\"",
				       d->pid, state_of(d), d->grants_active, d->pages_mapped,
				       d->ports, d->regions, sandbox_name(d));
				tool_counters_json(d->domid);
				putchar('}');
				first = 0;
			} else {
				printf("%-6u %-20s %-8d %-8s %7u %7u %6u %8u %-8s\n", d->domid,
				       d->name, d->pid, state_of(d), d->grants_active,
				       d->pages_mapped, d->ports, d->regions, sandbox_name(d));
			}
			start = d->domid + 1;
		}
		if ((unsigned)n < UMX_CTL_LIST_MAX)
			break;
	}
	if (json)
		printf("\n]\n");
	umx_conn_close(ts);
	return 0;
}

/* One DOMAIN argument (and nothing else) for @cmd; the connection and
 * the domid. 0, or the exit code to return. */
static int one_domain(int argc, char **argv, const char *cmd, umx_conn **ts, uint32_t *domid)
{
	if (argc != 2) {
		fprintf(stderr, "%s: expected one DOMAIN (a domid or a name)\n", cmd);
		return 2;
	}
	if (tool_connect(ts) < 0)
		return 1;
	if (tool_domain(*ts, cmd, argv[1], domid) < 0) {
		umx_conn_close(*ts);
		return 1;
	}
	return 0;
}

int cmd_destroy(int argc, char **argv)
{
	umx_conn *ts;
	uint32_t domid;
	int r;

	if ((r = one_domain(argc, argv, "umx destroy", &ts, &domid)))
		return r;
	r = umx_domain_destroy(ts, domid);
	umx_conn_close(ts);
	if (r < 0) {
		fprintf(stderr, "umx destroy: domain %u: %s\n", domid,
		        r == -ESRCH ? "no such domain" : strerror(-r));
		return 1;
	}
	return 0;
}

int cmd_domid(int argc, char **argv)
{
	umx_conn *ts;
	uint32_t domid;
	int r;

	if ((r = one_domain(argc, argv, "umx domid", &ts, &domid)))
		return r;
	umx_conn_close(ts);
	printf("%u\n", domid);
	return 0;
}

int cmd_domname(int argc, char **argv)
{
	struct umx_ctl_domain_info d;
	umx_conn *ts;
	uint32_t domid;
	int n;

	if (argc != 2) {
		fprintf(stderr, "umx domname: expected one DOMID\n");
		return 2;
	}
	if (tool_parse_domid(argv[1], &domid) < 0)
		return 2;
	if (tool_connect(&ts) < 0)
		return 1;
	n = umx_domain_list(ts, domid, &d, 1);
	umx_conn_close(ts);
	if (n < 0) {
		fprintf(stderr, "umx domname: cannot list domains: %s\n", strerror(-n));
		return 1;
	}
	if (n == 0 || d.domid != domid) {
		fprintf(stderr, "umx domname: no domain %u\n", domid);
		return 1;
	}
	d.name[sizeof(d.name) - 1] = 0;
	printf("%s\n", d.name);
	return 0;
}

int cmd_pause(int argc, char **argv)
{
	umx_conn *ts;
	uint32_t domid;
	int r;

	if ((r = one_domain(argc, argv, "umx pause", &ts, &domid)))
		return r;
	r = umx_domain_signal(ts, domid, SIGSTOP, 0);
	umx_conn_close(ts);
	if (r < 0) {
		fprintf(stderr, "umx pause: domain %u: %s\n", domid,
		        r == -ESRCH ? "no such running domain" : strerror(-r));
		return 1;
	}
	return 0;
}

int cmd_unpause(int argc, char **argv)
{
	umx_conn *ts;
	uint32_t domid;
	int r;

	if ((r = one_domain(argc, argv, "umx unpause", &ts, &domid)))
		return r;
	r = umx_domain_signal(ts, domid, SIGCONT, 0);
	umx_conn_close(ts);
	if (r < 0) {
		fprintf(stderr, "umx unpause: domain %u: %s\n", domid,
		        r == -ESRCH ? "no such running domain" : strerror(-r));
		return 1;
	}
	return 0;
}

/* Formatted before the alarm is armed: the handler only write()s, which is
 * async-signal-safe (snprintf is not). */
static char wait_msg[160];
static size_t wait_msg_len;

static void wait_timeout(int sig)
{
	(void)sig;
	(void)!write(2, wait_msg, wait_msg_len);
	_exit(1);
}

/* umx shutdown|reboot [-w] [-t SECONDS] DOMAIN: Xen's control/shutdown
 * protocol when the domain advertises control/feature-<what> = 1 (the
 * domain acknowledges by removing the value), else a signal. */
static int shutdown_common(int argc, char **argv, bool reboot)
{
	const char *cmd = reboot ? "umx reboot" : "umx shutdown";
	const char *what = reboot ? "reboot" : "poweroff";
	bool wait = false, pv = false;
	unsigned secs = 30;
	char path[128], *v = NULL, *end;
	umx_conn *ts;
	umx_xs *xs = NULL;
	struct umx_daemon_info info;
	uint32_t domid;
	int i, r, st;

	if (argc < 2) {
		fprintf(stderr, "%s: expected a DOMAIN (%s [-w] [-t SECONDS] DOMAIN)\n", cmd, cmd);
		return 2;
	}
	for (i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "-w")) {
			wait = true;
		} else if (!strcmp(argv[i], "-t") && i + 1 < argc - 1) {
			unsigned long t = strtoul(argv[++i], &end, 10);
			if (*end || !t || t > 3600) {
				fprintf(stderr, "%s: -t '%s': takes 1 to 3600 seconds\n", cmd,
				        tool_show(argv[i]));
				return 2;
			}
			secs = (unsigned)t;
		} else {
			fprintf(stderr, "%s: unexpected '%s' (%s [-w] [-t SECONDS] DOMAIN)\n", cmd,
			        tool_show(argv[i]), cmd);
			return 2;
		}
	}
	if ((r = one_domain(2, argv + argc - 2, cmd, &ts, &domid)))
		return r;
	if (umx_daemon_info(ts, &info) == 0 && umx_xs_open_path(info.xs_socket, &xs) == 0) {
		snprintf(path, sizeof(path), "/local/domain/%u/control/feature-%s", domid, what);
		pv = umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) == 0 && !strcmp(v, "1");
		free(v);
	}
	if (reboot && (r = umx_domain_signal(ts, domid, 0, UMX_SIGNAL_REBOOT)) < 0)
		goto fail;
	if (pv) {
		snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
		r = umx_xs_write_str(xs, UMX_XS_NO_TX, path, what);
		if (r < 0)
			goto fail;
		printf("domain %u: asked to %s through control/shutdown\n", domid, what);
	} else {
		if ((r = umx_domain_signal(ts, domid, SIGTERM, 0)) < 0)
			goto fail;
		printf("domain %u: sent SIGTERM (it does not advertise control/feature-%s)\n",
		       domid, what);
	}
	fflush(stdout);
	if (xs)
		umx_xs_close(xs);
	xs = NULL;
	if (wait) {
		int n = snprintf(wait_msg, sizeof(wait_msg),
		                 "umx: domain %u has not ended after %u s\n", domid, secs);

		wait_msg_len = n < 0                       ? 0
		               : n < (int)sizeof(wait_msg) ? (size_t)n
		                                           : sizeof(wait_msg) - 1;
		signal(SIGALRM, wait_timeout);
		alarm(secs);
		r = umx_domain_wait(ts, domid, &st);
		alarm(0);
		if (r < 0 && r != -ESRCH)
			goto fail;
	}
	umx_conn_close(ts);
	return 0;
fail:
	if (xs)
		umx_xs_close(xs);
	umx_conn_close(ts);
	fprintf(stderr, "%s: domain %u: %s\n", cmd, domid,
	        r == -ESRCH ? "no such running domain" : strerror(-r));
	return 1;
}

int cmd_shutdown(int argc, char **argv)
{
	return shutdown_common(argc, argv, false);
}

int cmd_reboot(int argc, char **argv)
{
	return shutdown_common(argc, argv, true);
}

int cmd_wait(int argc, char **argv)
{
	umx_conn *ts;
	uint32_t domid;
	int r, st;

	if (argc != 2) {
		fprintf(stderr, "umx wait: expected one DOMAIN (a domid or a name)\n");
		return 2;
	}
	if (tool_connect(&ts) < 0)
		return 1;
	if (tool_domain(ts, "umx wait", argv[1], &domid) < 0) {
		umx_conn_close(ts);
		return 1;
	}
	r = umx_domain_wait(ts, domid, &st);
	umx_conn_close(ts);
	if (r < 0) {
		fprintf(stderr, "umx wait: domain %u: %s\n", domid,
		        r == -ESRCH ? "no such domain" : strerror(-r));
		return 1;
	}
	if (st == -1) {
		printf("domain %u is gone (exit status unknown)\n", domid);
		return 1;
	}
	if (WIFSIGNALED(st)) {
		printf("domain %u was killed by signal %d\n", domid, WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	printf("domain %u exited with status %d\n", domid, WEXITSTATUS(st));
	return WEXITSTATUS(st);
}
