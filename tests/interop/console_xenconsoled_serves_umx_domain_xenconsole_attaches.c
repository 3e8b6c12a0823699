/* SPDX-License-Identifier: MIT */
/* Debian's unmodified xenconsoled serves a umx domain's console, and
 * Debian's xenconsole attaches to it, through the drop-in Xen libraries:
 *  - xenconsoled runs as a domain of its own (`umx run --no-sandbox
 *    --xen-compat`): the toolstack gives that domain what dom0's daemon has
 *    by privilege, read access to @introduceDomain/@releaseDomain and to
 *    the served domain's `name` (for its log), and makes it the console's
 *    backend (umx_console_toolstack_add);
 *  - the domain's frontend is umx's (umx_console_front_open: the ring
 *    granted at GNTTAB_RESERVED_CONSOLE); xenconsoled finds the domain
 *    through xc_domain_getinfo and @introduceDomain, maps the ring through
 *    libxengnttab, binds the port, publishes a pty in console/tty and logs
 *    the domain's output to <log-dir>/guest-<name>.log;
 *  - `xenconsole --type pv <domid>`, driven through a pty, shows what the
 *    domain wrote before and after it attached, and what is typed into it
 *    reaches the domain byte for byte; Ctrl-] detaches (exit 0);
 *  - when the domain ends, xenconsoled lets go of its ring (the domain's
 *    record goes, which it cannot while its page is mapped) and keeps
 *    running. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdbool.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umx/console.h"
#include "umx/platform.h"
#include "umx/xs.h"
#include "umx_test.h"

#define XENCONSOLED "/usr/lib/xen-4.17/bin/xenconsoled"
#define XENCONSOLE  "/usr/lib/xen-4.17/bin/xenconsole"

#define EARLY   "umx domain speaking before anyone attached\n"
#define TYPED   "typed-into-xenconsole 0123456789\n"
#define REPLY   "domain read: typed-into-xenconsole 0123456789\n"
#define HANG_S  60 /* a guard against hangs only: every wait ends on progress */
#define BUF_MAX 8192

struct ctx {
	int go[2]; /* parent -> guest: 1 = console added, 2 = finish */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the guest: all of @s into the console, waiting for room. */
static void cons_put(umx_console *c, const char *s)
{
	size_t off = 0, len = strlen(s);
	double end = now_s() + HANG_S;

	while (off < len) {
		int r = umx_console_write(c, s + off, len - off);
		CHILD_CHECK(r >= 0);
		off += (size_t)r;
		if (off < len) {
			CHILD_CHECK(now_s() < end);
			CHILD_CHECK(umx_console_wait(c, 200) >= 0);
		}
	}
}

/* In the guest: read the console until @want has arrived. */
static void cons_expect(umx_console *c, const char *want)
{
	static char buf[BUF_MAX];
	size_t n = 0;
	double end = now_s() + HANG_S;

	buf[0] = '\0';
	while (!strstr(buf, want)) {
		int r = umx_console_read(c, buf + n, sizeof(buf) - 1 - n);
		CHILD_CHECK(r >= 0);
		n += (size_t)r;
		buf[n] = '\0';
		CHILD_CHECK(n < sizeof(buf) - 1);
		if (r == 0) {
			if (now_s() > end) {
				fprintf(stderr, "guest: waited for \"%s\", got \"%s\"\n", want,
				        buf);
				CHILD_FAIL("the typed text never reached the domain");
			}
			CHILD_CHECK(umx_console_wait(c, 200) >= 0);
		}
	}
}

static int guest(void *arg)
{
	struct ctx *x = arg;
	umx_plat *p;
	umx_console *c;

	close(x->go[1]);
	CHILD_CHECK(umx_test_get_u32(x->go[0]) == 1);
	CHILD_CHECK_OK(umx_plat_open("umxd", &p));
	CHILD_CHECK_OK(umx_console_front_open(p, UMX_CONSOLE_PRIMARY, &c));
	cons_put(c, EARLY);
	cons_expect(c, TYPED);
	cons_put(c, REPLY);
	CHILD_CHECK(umx_test_get_u32(x->go[0]) == 2);
	/* xenconsoled still maps the ring: -EBUSY, the page is never reused. */
	umx_console_close(c);
	umx_plat_close(p);
	return 0;
}

/* The domid of the running domain @name, waiting for it (0: never). */
static uint32_t domid_of(umx_conn *ts, const char *name)
{
	struct umx_ctl_domain_info info[32];
	double end = now_s() + HANG_S;

	while (now_s() < end) {
		int n = umx_domain_list(ts, 1, info, 32);
		for (int i = 0; i < n; i++)
			if (!strcmp(info[i].name, name) && info[i].state == UMX_DOM_RUNNING)
				return info[i].domid;
		usleep(20000);
	}
	return 0;
}

static bool domain_listed(umx_conn *ts, uint32_t domid)
{
	struct umx_ctl_domain_info info;
	return umx_domain_list(ts, domid, &info, 1) == 1 && info.domid == domid;
}

/* Read @fd into @buf (NUL-terminated, @len so far) until @want is in it. */
static bool pty_expect(int fd, char *buf, size_t *len, const char *want)
{
	double end = now_s() + HANG_S;

	while (!strstr(buf, want) && now_s() < end && *len < BUF_MAX - 1) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		ssize_t r = read(fd, buf + *len, BUF_MAX - 1 - *len);
		if (r <= 0)
			break;
		*len += (size_t)r;
		buf[*len] = '\0';
	}
	return strstr(buf, want) != NULL;
}

/* Reap @pid within HANG_S; past that, SIGKILL it and fail (-1). */
static int reap_within(pid_t pid, int *status)
{
	double end = now_s() + HANG_S;
	pid_t r;

	while ((r = waitpid(pid, status, WNOHANG)) == 0 && now_s() < end)
		usleep(20000);
	if (r == pid)
		return 0;
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -1;
}

static bool file_has(const char *path, const char *want)
{
	static char buf[BUF_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, want) != NULL;
}

static int set_perms(umx_xs *xs, const char *path, uint32_t a, uint32_t b)
{
	char ra[16], rb[16];
	const char *perms[3] = {"n0", ra, rb};

	snprintf(ra, sizeof(ra), "r%u", a);
	snprintf(rb, sizeof(rb), "r%u", b);
	return umx_xs_set_perms(xs, 0, path, perms, b ? 3 : 2);
}

static void xenconsoled_serves_and_xenconsole_attaches(void **state)
{
	struct umx_test_daemon d;
	struct ctx x;
	char compat[4096], path[512], logdir[256], ptybuf[BUF_MAX] = "", *tty = NULL, *dup;
	size_t ptylen = 0;
	uint32_t con, g;
	pid_t consoled, gpid, client;
	umx_xs *xs;
	int master, st, r;

	(void)state;
	dup = strdup(getenv("UMX"));
	snprintf(compat, sizeof(compat), "%s/../compat/lib", dirname(dup));
	free(dup);
	assert_int_equal(pipe(x.go), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	snprintf(logdir, sizeof(logdir), "%s/consoles", d.dir);
	assert_int_equal(mkdir(logdir, 0700), 0);

	/* xenconsoled, in the foreground (-i), as domain "consoled". */
	consoled = fork();
	assert_true(consoled >= 0);
	if (consoled == 0) {
		char opt[300], errlog[256];
		snprintf(opt, sizeof(opt), "--log-dir=%s", logdir);
		snprintf(errlog, sizeof(errlog), "%s/consoled.err", d.dir);
		int fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execl(getenv("UMX"), "umx", "run", "--no-sandbox", "--xen-compat", "--name",
		      "consoled", "--", XENCONSOLED, "-i", "--log=guest", opt, (char *)NULL);
		_exit(127);
	}
	assert_true((con = domid_of(d.ts, "consoled")) != 0);

	/* What dom0's xenconsoled has by privilege, given to its domain. */
	snprintf(path, sizeof(path), "%s/xenstored", d.dir);
	assert_int_equal(umx_xs_open_path(path, &xs), 0);
	assert_int_equal(set_perms(xs, "@introduceDomain", con, 0), 0);
	assert_int_equal(set_perms(xs, "@releaseDomain", con, 0), 0);

	assert_int_equal(umx_test_domain_fork(&d, "guest", guest, &x, &g, &gpid), 0);
	close(x.go[0]);
	assert_int_equal(umx_console_toolstack_add(xs, g, UMX_CONSOLE_PRIMARY, con), 0);
	snprintf(path, sizeof(path), "/local/domain/%u/name", g);
	assert_int_equal(set_perms(xs, path, g, con), 0);
	assert_int_equal(umx_test_put_u32(x.go[1], 1), 0);

	/* xenconsoled publishes the pty and logs what the domain wrote. */
	double end = now_s() + HANG_S;
	while ((r = umx_console_tty(xs, g, UMX_CONSOLE_PRIMARY, &tty)) == -ENOENT && now_s() < end)
		usleep(20000);
	assert_int_equal(r, 0);
	assert_true(strncmp(tty, "/dev/pts/", 9) == 0);
	printf("xenconsoled: domain %u's console on %s\n", g, tty);
	free(tty);
	snprintf(path, sizeof(path), "%s/guest-guest.log", logdir);
	while (!file_has(path, EARLY) && now_s() < end)
		usleep(20000);
	assert_true(file_has(path, EARLY));

	/* xenconsole on a pty of ours, as a user's terminal. */
	client = forkpty(&master, NULL, NULL, NULL);
	assert_true(client >= 0);
	if (client == 0) {
		char dom[16], xsp[256];
		snprintf(dom, sizeof(dom), "%u", g);
		snprintf(xsp, sizeof(xsp), "%s/xenstored", d.dir);
		setenv("LD_LIBRARY_PATH", compat, 1);
		setenv("XENSTORED_PATH", xsp, 1);
		execl(XENCONSOLE, "xenconsole", "--type", "pv", dom, (char *)NULL);
		_exit(127);
	}
	/* What the domain wrote before the attach waited in the pty. */
	assert_true(pty_expect(master, ptybuf, &ptylen, EARLY));
	assert_int_equal(write(master, TYPED, strlen(TYPED)), (ssize_t)strlen(TYPED));
	if (!pty_expect(master, ptybuf, &ptylen, REPLY))
		fail_msg("xenconsole showed: \"%s\"", ptybuf);
	assert_true(file_has(path, REPLY));
	printf("xenconsole showed: [%s]\n", ptybuf);

	/* Ctrl-] alone detaches. */
	usleep(100000);
	assert_int_equal(write(master, "\x1d", 1), 1);
	assert_int_equal(reap_within(client, &st), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(master);

	/* The domain ends: xenconsoled unmaps its ring (else its record
	 * stays, dead, while the page is mapped) and carries on. */
	assert_int_equal(umx_test_put_u32(x.go[1], 2), 0);
	assert_int_equal(umx_test_domain_reap(&d, g, gpid), 0);
	end = now_s() + HANG_S;
	while (domain_listed(d.ts, g) && now_s() < end)
		usleep(20000);
	assert_false(domain_listed(d.ts, g));
	assert_true(domain_listed(d.ts, con));
	assert_int_equal(waitpid(consoled, &st, WNOHANG), 0);

	umx_xs_close(xs);
	kill(consoled, SIGTERM);
	assert_int_equal(reap_within(consoled, &st), 0);
	close(x.go[1]);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(xenconsoled_serves_and_xenconsole_attaches),
	};
	if (!getenv("UMX")) {
		printf("SKIP: UMX not set (run under ctest)\n");
		return 77;
	}
	if (access(XENCONSOLED, X_OK) || access(XENCONSOLE, X_OK)) {
		printf("SKIP: %s / %s not installed (Debian xen-utils-4.17: make deps)\n",
		       XENCONSOLED, XENCONSOLE);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
