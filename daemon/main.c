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
#include <sys/stat.h>
#include <unistd.h>

#include "umx/log.h"
#include "umxd.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: umxd [-f] [-d DIR] [-v] [--max-domid N] [--xs-toolstack-memory BYTES]\n"
	           "  -f, --foreground  stay in the foreground and log to stderr\n"
	           "                    (default: daemonise, log to syslog when there\n"
	           "                    is one); always also to DIR/log/umxd.log\n"
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

/* The log file, DIR/log/umxd.log, as soon as DIR is known to be ours (umxd
 * refuses a directory it does not own; so does this). 0 or -errno. */
static int open_log(const char *dir, char *path, size_t len)
{
	struct stat st;
	char logdir[PATH_MAX];
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid())
		return -EPERM;
	if (snprintf(logdir, sizeof(logdir), "%s/log", dir) >= (int)sizeof(logdir) ||
	    snprintf(path, len, "%s/umxd.log", logdir) >= (int)len)
		return -ENAMETOOLONG;
	if (mkdir(logdir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if ((r = umx_log_to_file(path, 0)) < 0)
		return r;
	return 0;
}

/* DIR/umxd.pid says which umxd runs; a clean stop removes it, so finding
 * one at start means the last umxd died without stopping (kill -9, a
 * crash). Either way nothing of its domains is left: each launcher ends its
 * domain when umxd's connection closes. Say which it was, then write ours. */
static void pidfile_start(const char *dir, char *path, size_t len)
{
	char buf[32] = "";
	ssize_t n;
	int fd;

	if (snprintf(path, len, "%s/umxd.pid", dir) >= (int)len) {
		path[0] = 0;
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		umx_warn("the last umxd (pid %.16s) ended without stopping; its domains ended "
		         "with it: starting clean, with no domains",
		         buf[0] ? buf : "?");
	} else {
		umx_info("starting clean, with no domains");
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		umx_warn("cannot write %s: %s", path, strerror(errno));
		path[0] = 0;
		return;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n)
		umx_warn("cannot write %s: %s", path, strerror(errno));
	close(fd);
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
	char dir[PATH_MAX], log_path[PATH_MAX + 16] = "", pid_path[PATH_MAX + 16];
	unsigned ended;
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
	if (o.dir)
		r = snprintf(dir, sizeof(dir), "%s", o.dir) < (int)sizeof(dir) ? 0 : -ENAMETOOLONG;
	else
		r = umx_default_dir(dir, sizeof(dir));
	if (r < 0) {
		fprintf(stderr, "umxd: cannot start: the runtime directory %.64s...: %s\n",
		        o.dir ? o.dir : "$UMX_DIR", strerror(-r));
		return 1;
	}
	/* Until start-up is done the terminal hears of every problem (with
	 * the reason and the path of what failed; -f: of everything, for
	 * good), and the log file of everything. */
	umx_log_stderr(foreground ? UMX_LOG_DEBUG : UMX_LOG_WARN, 1);
	if ((r = open_log(dir, log_path, sizeof(log_path))) < 0) {
		umx_err("cannot open the log file in %s: %s", dir, strerror(-r));
		log_path[0] = 0;
	}
	if (!foreground && (r = daemonise(&ready)) < 0) {
		umx_err("cannot daemonise: %s", strerror(-r));
		return 1;
	}
	umx_info("umxd %s starting in %s (pid %d)", UMX_VERSION, dir, (int)getpid());
	o.dir = dir;
	r = umxd_new(&o, &umxd);
	if (r < 0) {
		umx_err("cannot start in %s: %s%s%s", dir, strerror(-r),
		        log_path[0] ? "; log: " : "", log_path);
		return 1;
	}
	pidfile_start(dir, pid_path, sizeof(pid_path));
	if (ready >= 0) {
		/* Syslog when the machine has one; the file always. */
		if (access("/dev/log", W_OK) == 0)
			umx_log_to_syslog("umxd");
		umx_log_stderr(0, 0);
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
	ended = umxd_domain_end_all(umxd, 10000);
	umxd_free(umxd);
	if (pid_path[0])
		unlink(pid_path);
	umx_info("stopped%s; %u domain%s ended with it", r < 0 ? " on an error" : "", ended,
	         ended == 1 ? "" : "s");
	return r < 0 ? 1 : 0;
}
