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
#include "umx/ctl.h"
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

static struct umx_domain_proc running;
static volatile sig_atomic_t pending_signal;

/* A signal that comes while the domain is still being started is kept and
 * passed on once it runs, so a script's `kill` is never lost. */
static void forward_signal(int sig)
{
	/* umx_domain_proc_signal is one pidfd_send_signal system call, which
	 * is async-signal-safe; the pidfd (unlike a pid) cannot name another
	 * process once the domain's has been reaped. */
	if (running.pid <= 0 ||
	    umx_domain_proc_signal(&running, sig) < 0) // NOLINT(bugprone-signal-handler)
		pending_signal = sig;
}

/* --bind SRC[:DST] and --ro-bind SRC[:DST]. The strings stay in argv. */
static int add_bind(struct umx_bind *binds, unsigned *n, unsigned max, char *arg, unsigned flags)
{
	char *colon = strchr(arg, ':');
	if (*n == max) {
		fprintf(stderr, "umx run: at most %u binds\n", max);
		return -1;
	}
	if (colon)
		*colon = 0;
	if (!*arg || (colon && colon[1] != '/')) {
		fprintf(stderr, "umx run: --%sbind SRC[:DST]: DST must be absolute\n",
		        flags & UMX_BIND_RO ? "ro-" : "");
		return -1;
	}
	binds[*n].src = arg;
	binds[*n].dst = colon ? colon + 1 : NULL;
	binds[(*n)++].flags = flags;
	return 0;
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

static const char run_usage[] =
        "usage: umx run [--name N] [--grant-frames K] [--xen-compat] [--domid-file F]\n"
        "               [--no-sandbox] [--net host] [--bind SRC[:DST]] [--ro-bind SRC[:DST]]\n"
        "               [--uid-base UID] -- CMD ARGS...\n";

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
	                                     {"grant-frames", required_argument, NULL, 'g'},
	                                     {"xen-compat", no_argument, NULL, 'X'},
	                                     {"domid-file", required_argument, NULL, 'D'},
	                                     {"no-sandbox", no_argument, NULL, 'S'},
	                                     {"net", required_argument, NULL, 'N'},
	                                     {"bind", required_argument, NULL, 'b'},
	                                     {"ro-bind", required_argument, NULL, 'r'},
	                                     {"uid-base", required_argument, NULL, 'u'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	static struct umx_bind binds[32];
	struct umx_spawn_opts so = {0};
	const char *name = NULL, *domid_file = NULL;
	unsigned long frames = 0, base;
	umx_conn *ts;
	char *end;
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
		case 'S':
			so.flags |= UMX_SPAWN_NO_SANDBOX;
			break;
		case 'N':
			if (strcmp(optarg, "host") != 0) {
				fprintf(stderr, "umx run: --net takes 'host' (the default is a "
				                "network namespace with only loopback)\n");
				return 2;
			}
			so.flags |= UMX_SPAWN_NET_HOST;
			break;
		case 'b':
		case 'r':
			if (add_bind(binds, &so.nbinds, sizeof(binds) / sizeof(binds[0]), optarg,
			             c == 'r' ? UMX_BIND_RO : 0) < 0)
				return 2;
			break;
		case 'u':
			errno = 0;
			base = strtoul(optarg, &end, 0);
			if (errno || *end || base < 65536 || base > 0xfffffffeu - 32752u) {
				fprintf(stderr, "umx run: --uid-base takes 65536..%u\n",
				        0xfffffffeu - 32752u);
				return 2;
			}
			so.uid_base = (uint32_t)base;
			break;
		case 'h':
			printf("%s"
			       "Run CMD as a new domain. It inherits its connection to umxd as\n"
			       "$UMX_DOMAIN_FD; its domid is in $UMX_DOMID. umx run exits with\n"
			       "CMD's status; SIGINT/SIGTERM/SIGHUP are passed on to CMD.\n"
			       "--domid-file F writes the new domid to F once the domain runs\n"
			       "(for scripts that start domains in the background).\n"
			       "--xen-compat puts umx's drop-in libxengnttab, libxenevtchn and\n"
			       "libxenstore first on LD_LIBRARY_PATH, so unmodified Xen binaries\n"
			       "(libxenvchan users, xenstore-*) run on umxd.\n"
			       "\n"
			       "The domain runs in a sandbox: its own user, pid, mount, IPC and\n"
			       "network namespaces (only loopback), the host filesystem read-only\n"
			       "with a private /tmp, umx's runtime directories hidden, no\n"
			       "capabilities, and a seccomp filter (no ptrace, mount, new\n"
			       "namespaces...). As root it runs as uid/gid UID+domid\n"
			       "(--uid-base, $UMX_UID_BASE, default %u).\n"
			       "--bind SRC[:DST], --ro-bind SRC[:DST]  make a host path visible\n"
			       "                   (writable or read-only) at DST (default SRC)\n"
			       "--net host         keep the host's network (what slirp needs)\n"
			       "--no-sandbox       a plain process of your uid, as umx used to "
			       "run\n"
			       "                   domains; `umx list` marks it\n",
			       run_usage, UMX_UID_BASE_DEFAULT);
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(run_usage, stderr);
		return 2;
	}
	if (so.nbinds)
		so.binds = binds;
	so.grant_frames = (uint32_t)frames;
	if (tool_connect(&ts) < 0)
		return 1;
	running.pid = 0;
	running.pidfd = -1;
	signal(SIGINT, forward_signal);
	signal(SIGTERM, forward_signal);
	signal(SIGHUP, forward_signal);
	r = umx_domain_spawn(ts, name, &so, argv + optind, &running);
	if (r < 0) {
		fprintf(stderr, "umx run: cannot start domain: %s\n",
		        running.why[0] ? running.why : strerror(-r));
		umx_conn_close(ts);
		return 1;
	}
	if (domid_file && write_domid_file(domid_file, running.domid) < 0)
		fprintf(stderr, "umx run: cannot write %s: %s\n", domid_file, strerror(errno));
	if (pending_signal)
		umx_domain_proc_signal(&running, pending_signal);
	r = umx_domain_proc_wait(ts, &running, &st);
	umx_conn_close(ts);
	if (r < 0) {
		fprintf(stderr, "umx run: waitpid: %s\n", strerror(-r));
		return 1;
	}
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
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
				       "\"sandbox\": \"%s\"}",
				       d->pid, state_name(d->state), d->grants_active,
				       d->pages_mapped, d->ports, d->regions, sandbox_name(d));
				first = 0;
			} else {
				printf("%-6u %-20s %-8d %-8s %7u %7u %6u %8u %-8s\n", d->domid,
				       d->name, d->pid, state_name(d->state), d->grants_active,
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
