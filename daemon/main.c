/* SPDX-License-Identifier: MIT */
/* umxd: the hypervisor and XenStore of umx domains. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "umx/log.h"
#include "umxd.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: umxd [-f] [-d DIR] [-v] [--max-domid N] [--xs-toolstack-memory BYTES]\n"
	           "  -f, --foreground  stay in the foreground and log to stderr\n"
	           "                    (default: daemonise, log to syslog)\n"
	           "  -d, --dir DIR     runtime directory (default $UMX_DIR, else\n"
	           "                    $XDG_RUNTIME_DIR/umx, or /run/umx for root)\n"
	           "  -v, --verbose     debug logging\n"
	           "      --max-domid N highest domid to hand out (default 32751;\n"
	           "                    $UMXD_MAX_DOMID): a small range makes domids\n"
	           "                    come back soon, for tests of domid reuse\n"
	           "      --xs-toolstack-memory BYTES\n"
	           "                    cap on what the toolstack (domain 0) may hold\n"
	           "                    in the store: its nodes, queued replies and\n"
	           "                    events, transactions, watches (default 64 MiB;\n"
	           "                    $UMXD_XS_TOOLSTACK_MEMORY)\n"
	           "  -h, --help        this text\n"
	           "      --version     print the version\n");
}

/* A decimal number in [@min, @max] from @s (an option or the environment
 * variable @what names); 0 or -EINVAL. */
static int parse_num(const char *s, const char *what, unsigned long long min,
                     unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || *out < min || *out > max) {
		fprintf(stderr, "umxd: %s: expected a number from %llu to %llu, got '%s'\n", what,
		        min, max, s);
		return -EINVAL;
	}
	return 0;
}

/* Daemonise, telling the parent once the sockets exist (or why not). */
static int daemonise(int *ready_fd)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		_exit(c == 'y' ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		return -errno;
	*ready_fd = p[1];
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"foreground", no_argument, NULL, 'f'},
	                                     {"dir", required_argument, NULL, 'd'},
	                                     {"verbose", no_argument, NULL, 'v'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {"version", no_argument, NULL, 'V'},
	                                     {"max-domid", required_argument, NULL, 'M'},
	                                     {"xs-toolstack-memory", required_argument, NULL, 'Q'},
	                                     {NULL, 0, NULL, 0}};
	const char *max_domid = getenv("UMXD_MAX_DOMID");
	const char *xs_mem = getenv("UMXD_XS_TOOLSTACK_MEMORY");
	struct umxd_options o = {0};
	unsigned long long n;
	struct umxd *umxd;
	int foreground = 0, ready = -1, c, r;

	while ((c = getopt_long(argc, argv, "fd:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			foreground = 1;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 'v':
			umx_log_set_level(UMX_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("umxd %s\n", UMX_VERSION);
			return 0;
		case 'M':
			max_domid = optarg;
			break;
		case 'Q':
			xs_mem = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (max_domid && *max_domid) {
		if (parse_num(max_domid, "max-domid", UMXD_DOMID_FIRST, UMXD_DOMID_LAST, &n) < 0)
			return 2;
		o.max_domid = (uint32_t)n;
	}
	if (xs_mem && *xs_mem) {
		/* At least what an empty store and one connection need. */
		if (parse_num(xs_mem, "xs-toolstack-memory", 64u * 1024u, SIZE_MAX / 2, &n) < 0)
			return 2;
		o.xs_toolstack_memory = (size_t)n;
	}
	umx_log_ident("umxd");
	/* umxd holds every domain's grant table and memory: nothing of our uid
	 * may read it through /proc/<pid>/mem, take its descriptors through
	 * /proc/<pid>/fd or ptrace, and it leaves no core dump behind. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		umx_warn("cannot make umxd undumpable: %s", strerror(errno));
	/* Every port, region and connection costs umxd a descriptor: take all
	 * the kernel allows us, so limits are umx's quotas, not the default
	 * soft limit. */
	{
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (!foreground) {
		if ((r = daemonise(&ready)) < 0) {
			fprintf(stderr, "umxd: cannot daemonise: %s\n", strerror(-r));
			return 1;
		}
		umx_log_to_syslog("umxd");
	}
	r = umxd_new(&o, &umxd);
	if (r < 0) {
		umx_err("cannot start: %s", strerror(-r));
		return 1;
	}
	if (ready >= 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
			if (devnull > 2)
				close(devnull);
		}
		if (write(ready, "y", 1) != 1)
			umx_warn("parent went away before start-up finished");
		close(ready);
	}
	r = umxd_run(umxd);
	umxd_free(umxd);
	umx_info("stopped");
	return r < 0 ? 1 : 0;
}
