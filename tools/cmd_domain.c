/* SPDX-License-Identifier: MIT */
/* umx run, list, destroy, wait. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umx.h"
#include "umx/domain.h"

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

static volatile sig_atomic_t forward_to;

static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill((pid_t)forward_to, sig);
}

/* `umx run --xen-compat`: put the drop-in Xen libraries first on
 * LD_LIBRARY_PATH. $UMX_XEN_COMPAT_DIR wins; else the build tree
 * (<dir of umx>/../compat/lib), else the installed <prefix>/lib[/multiarch]
 * /umx/xen-compat next to the umx binary's prefix. */
static int xen_compat_env(void)
{
	static const char *const rel[] = {"../compat/lib", "../lib/umx/xen-compat",
	                                  "../lib/x86_64-linux-gnu/umx/xen-compat",
	                                  "../lib64/umx/xen-compat"};
	const char *dir = getenv("UMX_XEN_COMPAT_DIR"), *old;
	char exe[4096], cand[4352], *slash, *val;
	ssize_t n;

	if (!dir || !*dir) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return -errno;
		exe[n] = 0;
		if ((slash = strrchr(exe, '/')))
			*slash = 0;
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]) && !dir; i++) {
			snprintf(cand, sizeof(cand), "%s/%s/libxenstore.so.4", exe, rel[i]);
			if (access(cand, R_OK) == 0) {
				*strrchr(cand, '/') = 0;
				dir = cand;
			}
		}
		if (!dir)
			return -ENOENT;
	}
	old = getenv("LD_LIBRARY_PATH");
	if (asprintf(&val, "%s%s%s", dir, old && *old ? ":" : "", old && *old ? old : "") < 0)
		return -ENOMEM;
	n = setenv("LD_LIBRARY_PATH", val, 1);
	free(val);
	return n < 0 ? -errno : 0;
}

/* Written whole and renamed into place, so a reader never sees half. */
static int write_domid_file(const char *path, uint32_t domid)
{
	char tmp[4096];
	FILE *f;
	int ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	ok = fprintf(f, "%u\n", domid) > 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
	                                     {"grant-frames", required_argument, NULL, 'g'},
	                                     {"xen-compat", no_argument, NULL, 'X'},
	                                     {"domid-file", required_argument, NULL, 'D'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *name = NULL, *domid_file = NULL;
	unsigned long frames = 0;
	umx_conn *ts;
	uint32_t domid;
	pid_t pid;
	int c, r, st;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+n:g:XD:h", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			domid_file = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'g':
			frames = strtoul(optarg, NULL, 10);
			if (frames == 0 || frames > 64) {
				fprintf(stderr, "umx run: --grant-frames takes 1..64\n");
				return 2;
			}
			break;
		case 'X':
			if ((r = xen_compat_env()) < 0) {
				fprintf(stderr,
				        "umx run: --xen-compat: no drop-in Xen libraries found "
				        "(set UMX_XEN_COMPAT_DIR): %s\n",
				        strerror(-r));
				return 1;
			}
			break;
		case 'h':
			printf("usage: umx run [--name N] [--grant-frames K] [--xen-compat] -- CMD "
			       "ARGS...\n"
			       "Run CMD as a new domain. It inherits its connection to umxd as\n"
			       "$UMX_DOMAIN_FD; its domid is in $UMX_DOMID. umx run exits with\n"
			       "CMD's status; SIGINT/SIGTERM are passed on to CMD.\n"
			       "--domid-file F writes the new domid to F once the domain runs\n"
			       "(for scripts that start domains in the background).\n"
			       "--xen-compat puts umx's drop-in libxengnttab, libxenevtchn and\n"
			       "libxenstore first on LD_LIBRARY_PATH, so unmodified Xen binaries\n"
			       "(libxenvchan users, xenstore-*) run on umxd.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: umx run [--name N] [--grant-frames K] [--xen-compat] -- "
		                "CMD ARGS...\n");
		return 2;
	}
	if (tool_connect(&ts) < 0)
		return 1;
	r = umx_domain_spawn(ts, name, (uint32_t)frames, argv + optind, NULL, NULL, &domid, &pid);
	if (r < 0) {
		fprintf(stderr, "umx run: cannot start domain: %s\n", strerror(-r));
		umx_conn_close(ts);
		return 1;
	}
	if (domid_file && write_domid_file(domid_file, domid) < 0)
		fprintf(stderr, "umx run: cannot write %s: %s\n", domid_file, strerror(errno));
	forward_to = pid;
	signal(SIGINT, forward_signal);
	signal(SIGTERM, forward_signal);
	signal(SIGHUP, forward_signal);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			perror("umx run: waitpid");
			return 1;
		}
	}
	umx_domain_exited(ts, domid, st);
	umx_conn_close(ts);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
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
		fprintf(stderr, "usage: umx list [--json]\n");
		return 2;
	}
	if (tool_connect(&ts) < 0)
		return 1;
	if (json)
		printf("[");
	else
		printf("%-6s %-20s %-8s %-8s %7s %7s %6s %8s\n", "DOMID", "NAME", "PID", "STATE",
		       "GRANTED", "MAPPED", "PORTS", "REGIONS");
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
				       "\"pages_mapped\": %u, \"ports\": %u, \"regions\": %u}",
				       d->pid, state_name(d->state), d->grants_active,
				       d->pages_mapped, d->ports, d->regions);
				first = 0;
			} else {
				printf("%-6u %-20s %-8d %-8s %7u %7u %6u %8u\n", d->domid, d->name,
				       d->pid, state_name(d->state), d->grants_active,
				       d->pages_mapped, d->ports, d->regions);
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

int cmd_destroy(int argc, char **argv)
{
	umx_conn *ts;
	uint32_t domid;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: umx destroy DOMID\n");
		return 2;
	}
	if (tool_parse_domid(argv[1], &domid) < 0)
		return 2;
	if (tool_connect(&ts) < 0)
		return 1;
	r = umx_domain_destroy(ts, domid);
	umx_conn_close(ts);
	if (r < 0) {
		fprintf(stderr, "umx destroy: domain %u: %s\n", domid,
		        r == -ESRCH ? "no such domain" : strerror(-r));
		return 1;
	}
	return 0;
}

int cmd_wait(int argc, char **argv)
{
	umx_conn *ts;
	uint32_t domid;
	int r, st;

	if (argc != 2) {
		fprintf(stderr, "usage: umx wait DOMID\n");
		return 2;
	}
	if (tool_parse_domid(argv[1], &domid) < 0)
		return 2;
	if (tool_connect(&ts) < 0)
		return 1;
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
