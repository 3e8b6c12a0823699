/* SPDX-License-Identifier: MIT */
/*
 * umx console — domains' consoles (include/umx/console.h).
 *
 *   serve [--log-dir DIR]       the console backend, xenconsoled's role: a
 *                               domain of its own (named "console") that
 *                               serves every console the toolstack gave it,
 *                               keeping each one's output in a size-capped
 *                               log and offering it on a pty (console/tty)
 *   add DOMAIN [BACKEND]        the toolstack's part: DOMAIN's primary
 *                               console is served by BACKEND ("console")
 *   front -- CMD...             in a domain: run CMD with its stdin, stdout
 *                               and stderr on the domain's primary console
 *   DOMAIN                      attach to its pty (raw; Ctrl-] detaches)
 *   --log DOMAIN                print its saved output
 *
 * The backend parses hostile rings, so it runs as a sandboxed domain and
 * never inside umxd (docs/ARCHITECTURE.md, "Consoles").
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "umx.h"
#include "umx/console.h"
#include "umx/internal/clock.h"
#include "umx/internal/ctl.h"
#include "umx/platform.h"
#include "umx/xs.h"

#define MAX_CONS     256u
#define LOG_CAP      (256u << 10) /* bytes per log file; one older file kept */
#define ROUND_BYTES  4096u        /* per console per round: fair to the others */
#define DETACH_CHAR  0x1d         /* Ctrl-] */
#define SERVICE_NAME "console"

static const char usage_text[] =
        "usage: umx console DOMAIN            attach to its console (Ctrl-] detaches)\n"
        "       umx console --log DOMAIN      print the console output saved so far\n"
        "       umx console serve [--log-dir DIR]\n"
        "                                     run the console backend (a domain named\n"
        "                                     \"console\"): logs in DIR (default\n"
        "                                     $UMX_DIR/console), one pty per console\n"
        "       umx console add DOMAIN [BACKEND]\n"
        "                                     give DOMAIN a primary console served by\n"
        "                                     BACKEND (default: the domain \"console\")\n"
        "       umx console front -- CMD...   in a domain: CMD's stdio on its console\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int default_log_dir(char *buf, size_t len)
{
	char dir[PATH_MAX];
	int r = umx_default_dir(dir, sizeof(dir));

	if (r < 0)
		return r;
	r = snprintf(buf, len, "%s/console", dir);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/* ---- serve: the backend ------------------------------------------------- */

struct served {
	umx_console *c;
	uint32_t domid, devid;
	int master, slave; /* the pty; we keep the slave open so it never hangs up */
	int log;
	uint64_t logged;
	bool gone;
};

struct server {
	umx_plat *p;
	umx_xs *xs;
	int dirfd;
	struct served *s[MAX_CONS];
	unsigned n;
};

static int log_open(struct server *sv, struct served *s)
{
	char name[32];
	struct stat st;

	snprintf(name, sizeof(name), "%u.log", s->domid);
	s->log = openat(sv->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s->log < 0)
		return -errno;
	s->logged = fstat(s->log, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

/* The cap: past LOG_CAP the log becomes D.log.1 (the older one goes) and a
 * new one starts, so a domain's output on disk stays under 2 * LOG_CAP. */
static void log_write(struct server *sv, struct served *s, const void *buf, size_t len)
{
	char name[32], old[40];

	if (s->log < 0)
		return;
	if (s->logged + len > LOG_CAP) {
		snprintf(name, sizeof(name), "%u.log", s->domid);
		snprintf(old, sizeof(old), "%u.log.1", s->domid);
		(void)renameat(sv->dirfd, name, sv->dirfd, old);
		close(s->log);
		if (log_open(sv, s) < 0)
			return;
		s->logged = 0;
	}
	if (write(s->log, buf, len) == (ssize_t)len)
		s->logged += len;
}

static void served_free(struct server *sv, unsigned i)
{
	struct served *s = sv->s[i];
	char dir[96];

	fprintf(stderr, "umx console serve: dom%u/%u %s (%s)\n", s->domid, s->devid,
	        s->gone ? "gone" : "closed",
	        umx_console_broken(s->c) ? umx_console_broken(s->c) : "no error");
	(void)umx_console_close(s->c);
	close(s->master);
	close(s->slave);
	if (s->log >= 0)
		close(s->log);
	/* Nobody else removes our nodes of a dead domain on umxd. */
	snprintf(dir, sizeof(dir), "backend/console/%u/%u", s->domid, s->devid);
	if (s->gone)
		(void)umx_xs_rm(sv->xs, UMX_XS_NO_TX, dir);
	free(s);
	sv->s[i] = sv->s[--sv->n];
}

static bool served_find(const struct server *sv, uint32_t domid, uint32_t devid)
{
	for (unsigned i = 0; i < sv->n; i++)
		if (sv->s[i]->domid == domid && sv->s[i]->devid == devid)
			return true;
	return false;
}

static void connect_one(struct server *sv, uint32_t domid, uint32_t devid)
{
	struct served *s;
	struct termios t;
	umx_console *c;
	int r;

	if (sv->n == MAX_CONS || served_find(sv, domid, devid))
		return;
	r = umx_console_back_open(sv->p, domid, devid, &c);
	if (r == -ESRCH) {
		char dir[96];
		snprintf(dir, sizeof(dir), "backend/console/%u/%u", domid, devid);
		(void)umx_xs_rm(sv->xs, UMX_XS_NO_TX, dir);
	}
	if (r < 0)
		return;
	if (!(s = calloc(1, sizeof(*s))) || openpty(&s->master, &s->slave, NULL, NULL, NULL) < 0) {
		fprintf(stderr, "umx console serve: dom%u/%u: no pty: %s\n", domid, devid,
		        strerror(errno));
		free(s);
		(void)umx_console_close(c);
		return;
	}
	/* Raw: bytes pass as they are, no echo of keystrokes back into the
	 * domain (the domain's own terminal, if any, echoes). */
	if (tcgetattr(s->slave, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(s->slave, TCSANOW, &t);
	}
	fcntl(s->master, F_SETFL, O_NONBLOCK);
	fcntl(s->master, F_SETFD, FD_CLOEXEC);
	fcntl(s->slave, F_SETFD, FD_CLOEXEC);
	s->c = c;
	s->domid = domid;
	s->devid = devid;
	s->log = -1;
	if (devid == UMX_CONSOLE_PRIMARY)
		(void)log_open(sv, s);
	(void)umx_console_back_set_tty(c, ptsname(s->master));
	sv->s[sv->n++] = s;
	fprintf(stderr, "umx console serve: dom%u/%u on %s\n", domid, devid, ptsname(s->master));
}

/* Every backend/console/<D>/<N> the toolstack gave us: connect what is
 * not connected yet (a frontend not there yet is tried again later). */
static void scan(struct server *sv)
{
	char **doms = NULL, **devs = NULL, dir[64];
	unsigned nd = 0, nv = 0;

	if (umx_xs_directory(sv->xs, UMX_XS_NO_TX, "backend/console", &doms, &nd) < 0)
		return;
	for (unsigned i = 0; i < nd; i++) {
		char *end;
		unsigned long d = strtoul(doms[i], &end, 10);
		if (*end || d >= 0x7ff0)
			continue;
		snprintf(dir, sizeof(dir), "backend/console/%lu", d);
		if (umx_xs_directory(sv->xs, UMX_XS_NO_TX, dir, &devs, &nv) < 0)
			continue;
		for (unsigned k = 0; k < nv; k++) {
			unsigned long v = strtoul(devs[k], &end, 10);
			if (!*end && v <= UMX_CONSOLE_DEVID_MAX)
				connect_one(sv, (uint32_t)d, (uint32_t)v);
		}
		free(devs);
	}
	free(doms);
}

/* One console's share of a round: at most ROUND_BYTES out of the ring
 * (to the log and the pty; a pty nobody reads drops, the log keeps all),
 * and what was typed into the pty, as far as the ring takes it. */
static void pump(struct server *sv, struct served *s)
{
	unsigned char buf[ROUND_BYTES];
	int r = umx_console_read(s->c, buf, sizeof(buf));

	if (r > 0) {
		log_write(sv, s, buf, (size_t)r);
		(void)!write(s->master, buf, (size_t)r);
	}
	if (r < 0)
		return;
	int space = umx_console_writable(s->c);
	if (space > 0) {
		ssize_t n = read(s->master, buf,
		                 (size_t)space < sizeof(buf) ? (size_t)space : sizeof(buf));
		if (n > 0)
			(void)umx_console_write(s->c, buf, (size_t)n);
	}
}

/* Outside umx's domains: become the domain named "console" through `umx
 * run`. It runs without the sandbox for now: it must create log files and
 * ptys the user can open, and a sandboxed domain of root has a uid of its
 * own that root's 0700 runtime directory does not admit (see
 * docs/ARCHITECTURE.md, "Consoles", for the split that would confine it).
 * The ring parsing is out of umxd either way. */
static int serve_launch(const char *dir)
{
	char self[PATH_MAX];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (sl <= 0)
		return 1;
	self[sl] = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "umx console serve: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	execl(self, "umx", "run", "--name", SERVICE_NAME, "--no-sandbox", "--", self, "console",
	      "serve", "--log-dir", dir, (char *)NULL);
	fprintf(stderr, "umx console serve: cannot run umx: %s\n", strerror(errno));
	return 1;
}

static int console_serve(int argc, char **argv)
{
	char dir[PATH_MAX];
	struct server sv = {0};
	uint64_t last_scan = 0;
	char *path, *tok;
	int r;

	if (argc == 3 && !strcmp(argv[1], "--log-dir"))
		snprintf(dir, sizeof(dir), "%s", argv[2]);
	else if (argc != 1 || default_log_dir(dir, sizeof(dir)) < 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!getenv(UMX_DOMAIN_FD_ENV))
		return serve_launch(dir);
	if ((sv.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "umx console serve: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if ((r = umx_plat_open(NULL, &sv.p)) < 0) {
		fprintf(stderr, "umx console serve: %s\n", strerror(-r));
		return 1;
	}
	sv.xs = umx_plat_xs(sv.p);
	if ((r = umx_xs_watch(sv.xs, "backend/console", "c")) < 0) {
		fprintf(stderr, "umx console serve: watch: %s\n", strerror(-r));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "umx console serve: domain %u serving backend/console, logs in %s\n",
	        umx_plat_domid(sv.p), dir);
	while (!stop) {
		struct pollfd pf[2 + MAX_CONS];
		int timeout = 500, port;

		pf[0] = (struct pollfd){.fd = umx_plat_evtchn_fd(sv.p), .events = POLLIN};
		pf[1] = (struct pollfd){.fd = umx_xs_fd(sv.xs), .events = POLLIN};
		for (unsigned i = 0; i < sv.n; i++) {
			pf[2 + i] = (struct pollfd){.fd = sv.s[i]->master, .events = POLLIN};
			timeout = umx_console_timeout(sv.s[i]->c, timeout);
		}
		if (poll(pf, 2 + sv.n, timeout) < 0 && errno != EINTR)
			break;
		if (pf[1].revents & (POLLHUP | POLLERR))
			break; /* umxd is gone: so are the domains */
		while (umx_xs_read_watch(sv.xs, &path, &tok, 0) == 0) {
			free(path);
			free(tok);
			last_scan = 0;
		}
		if (umx_clock_ms() - last_scan >= 200) {
			scan(&sv);
			last_scan = umx_clock_ms();
		}
		for (unsigned k = 0; k < 256 && (port = umx_plat_evtchn_pending(sv.p)) >= 0; k++) {
			unsigned i;
			for (i = 0; i < sv.n; i++)
				if (umx_console_port(sv.s[i]->c) == (uint32_t)port)
					break;
			if (i == sv.n)
				(void)umx_plat_evtchn_unmask(sv.p, (uint32_t)port);
			else if (umx_console_event(sv.s[i]->c) == -EPIPE)
				sv.s[i]->gone = true;
		}
		for (unsigned i = sv.n; i-- > 0;) {
			umx_console_tick(sv.s[i]->c);
			pump(&sv, sv.s[i]);
			/* A gone domain's last bytes are read; a broken
			 * console is cut off (the reason was logged). */
			if (umx_console_broken(sv.s[i]->c) ||
			    (sv.s[i]->gone && umx_console_readable(sv.s[i]->c) == 0))
				served_free(&sv, i);
		}
	}
	while (sv.n)
		served_free(&sv, sv.n - 1);
	umx_plat_close(sv.p);
	close(sv.dirfd);
	return 0;
}

/* ---- add: the toolstack's part ----------------------------------------- */

static int console_add(int argc, char **argv)
{
	uint32_t domid, backend;
	umx_xs *xs;
	int r;

	if (argc < 2 || argc > 3) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (tool_domain_noconn("umx console add", argv[1], &domid) < 0 ||
	    tool_domain_noconn("umx console add", argc == 3 ? argv[2] : SERVICE_NAME, &backend) < 0)
		return 1;
	if (tool_store_open("umx console add", &xs) < 0)
		return 1;
	r = umx_console_toolstack_add(xs, domid, UMX_CONSOLE_PRIMARY, backend);
	umx_xs_close(xs);
	if (r < 0) {
		fprintf(stderr, "umx console add: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}

/* ---- front: a program's stdio on the domain's console ------------------- */

/* Give the backend up to 2 s to take what is left in the ring. */
static void front_drain(umx_console *c)
{
	uint64_t end = umx_clock_ms() + 2000;

	while (umx_clock_ms() < end && umx_console_writable(c) >= 0 &&
	       umx_console_writable(c) < (int)UMX_CONSOLE_OUT_SIZE)
		(void)umx_console_wait(c, 100);
}

static int console_front(int argc, char **argv)
{
	int out[2], in[2], st = 0, r;
	unsigned char buf[UMX_CONSOLE_OUT_SIZE];
	umx_console *c = NULL;
	umx_plat *p;
	pid_t pid;
	bool out_open = true;

	if (argc < 3 || strcmp(argv[1], "--") != 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	if ((r = umx_plat_open(NULL, &p)) < 0) {
		fprintf(stderr, "umx console front: %s\n", strerror(-r));
		return 1;
	}
	/* The toolstack adds the console once the domain exists: wait for
	 * its nodes (10 s). */
	for (int i = 0; i < 1000; i++) {
		r = umx_console_front_open(p, UMX_CONSOLE_PRIMARY, &c);
		if (r != -ENOENT)
			break;
		usleep(10000);
	}
	if (r < 0) {
		fprintf(stderr, "umx console front: no console: %s\n", strerror(-r));
		return 1;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(in, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "umx console front: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "umx console front: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	while (out_open) {
		struct pollfd pf[2] = {{.fd = umx_plat_evtchn_fd(p), .events = POLLIN},
		                       {.fd = out[0], .events = 0}};
		int space = umx_console_writable(c);

		if (space < 0)
			break; /* broken: the reason was logged */
		/* Read the program only as fast as the ring drains: a fast
		 * writer blocks on its pipe, nothing grows. */
		if (space > 0)
			pf[1].events = POLLIN;
		if (poll(pf, 2, umx_console_timeout(c, 1000)) < 0 && errno != EINTR)
			break;
		umx_console_tick(c);
		if (pf[0].revents) {
			int port;
			while ((port = umx_plat_evtchn_pending(p)) >= 0)
				if ((uint32_t)port == umx_console_port(c))
					(void)umx_console_event(c);
				else
					(void)umx_plat_evtchn_unmask(p, (uint32_t)port);
		}
		if (pf[1].revents) {
			ssize_t n = read(out[0], buf, (size_t)space);
			if (n <= 0)
				out_open = false;
			else
				(void)umx_console_write(c, buf, (size_t)n);
		}
		while ((r = umx_console_read(c, buf, sizeof(buf))) > 0)
			(void)!write(in[1], buf, (size_t)r); /* a program not reading loses input */
	}
	front_drain(c);
	close(in[1]);
	close(out[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	(void)umx_console_close(c);
	umx_plat_close(p);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* ---- attach and --log ---------------------------------------------------- */

static int print_file(int dirfd, const char *name)
{
	char buf[65536];
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	close(fd);
	return 0;
}

static int console_log(const char *arg)
{
	char dir[PATH_MAX], name[32];
	uint32_t domid;
	int dirfd, r1, r2;

	if (tool_domain_noconn("umx console", arg, &domid) < 0)
		return 1;
	if (default_log_dir(dir, sizeof(dir)) < 0 ||
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "umx console: no console logs (is `umx console serve` running?)\n");
		return 1;
	}
	snprintf(name, sizeof(name), "%u.log.1", domid);
	r1 = print_file(dirfd, name);
	snprintf(name, sizeof(name), "%u.log", domid);
	r2 = print_file(dirfd, name);
	close(dirfd);
	fflush(stdout);
	if (r1 < 0 && r2 < 0) {
		fprintf(stderr, "umx console: no saved output of domain %u\n", domid);
		return 1;
	}
	return 0;
}

static int console_attach(const char *arg)
{
	struct termios saved, raw;
	bool tty = isatty(0);
	char *path = NULL;
	uint32_t domid;
	umx_xs *xs;
	int fd, r;

	if (tool_domain_noconn("umx console", arg, &domid) < 0 ||
	    tool_store_open("umx console", &xs) < 0)
		return 1;
	/* The backend publishes the pty once it connected (a few ms after
	 * the domain opened its console): wait up to 5 s. */
	for (int i = 0; i < 500 && (r = umx_console_tty(xs, domid, 0, &path)) < 0; i++)
		usleep(10000);
	umx_xs_close(xs);
	if (r < 0) {
		fprintf(stderr, "umx console: domain %u has no console pty (%s)\n", domid,
		        strerror(-r));
		return 1;
	}
	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "umx console: %s: %s\n", tool_show(path), strerror(errno));
		free(path);
		return 1;
	}
	free(path);
	if (tty && tcgetattr(0, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		(void)tcsetattr(0, TCSANOW, &raw);
	} else {
		tty = false;
	}
	signal(SIGPIPE, SIG_IGN);
	for (bool in_open = true;;) {
		struct pollfd pf[2] = {{.fd = fd, .events = POLLIN},
		                       {.fd = in_open ? 0 : -1, .events = POLLIN}};
		char buf[4096];
		ssize_t n;

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[0].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break; /* the console went away */
			if (write(1, buf, (size_t)n) != n)
				break;
		}
		if (pf[1].revents) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				in_open = false; /* keep showing output */
				continue;
			}
			char *det = memchr(buf, DETACH_CHAR, (size_t)n);
			if (det)
				n = det - buf;
			if (n > 0 && write(fd, buf, (size_t)n) != n)
				break;
			if (det)
				break;
		}
	}
	if (tty)
		(void)tcsetattr(0, TCSANOW, &saved);
	close(fd);
	return 0;
}

int cmd_console(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "serve"))
		return console_serve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "add"))
		return console_add(argc - 1, argv + 1);
	if (!strcmp(argv[1], "front"))
		return console_front(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--log") && argc == 3)
		return console_log(argv[2]);
	if (argc == 2 && argv[1][0] != '-')
		return console_attach(argv[1]);
	fputs(usage_text, stderr);
	return 2;
}
