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
	fprintf(f, "usage: umxd [-f] [-d DIR] [-v]\n"
	           "  -f, --foreground  stay in the foreground and log to stderr\n"
	           "                    (default: daemonise, log to syslog)\n"
	           "  -d, --dir DIR     runtime directory (default $UMX_DIR, else\n"
	           "                    $XDG_RUNTIME_DIR/umx, or /run/umx for root)\n"
	           "  -v, --verbose     debug logging\n"
	           "  -h, --help        this text\n"
	           "      --version     print the version\n");
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
	static const struct option opts[] = {
	        {"foreground", no_argument, NULL, 'f'}, {"dir", required_argument, NULL, 'd'},
	        {"verbose", no_argument, NULL, 'v'},    {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},    {NULL, 0, NULL, 0}};
	struct umxd_options o = {0};
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
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
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
