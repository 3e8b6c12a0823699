/* SPDX-License-Identifier: MIT */
/*
 * umx console — domains' consoles (include/umx/console.h).
 *
 *   serve [-d] [--log-dir DIR]  the console backend, xenconsoled's role: a
 *                               sandboxed domain of its own (named
 *                               "console") that serves every console the
 *                               toolstack gave it, keeping each one's output
 *                               in DIR/NAME.log (capped, one rotation) and
 *                               offering it on a pty (console/tty); `umx run
 *                               -d` and `-c` start it when it is not running
 *   add DOMAIN [BACKEND]        the toolstack's part: DOMAIN's primary
 *                               console is served by BACKEND ("console")
 *   front -- CMD...             in a domain: run CMD on a pty of its own
 *                               whose other end is the domain's primary
 *                               console (what hvc0 and a getty are to a VM)
 *   DOMAIN                      attach to its pty (raw; Ctrl-] detaches)
 *   --log DOMAIN                print its saved output
 *
 * The backend parses hostile rings, so it runs as a sandboxed domain and
 * never inside umxd (docs/ARCHITECTURE.md, "Consoles"). It holds no
 * directory: the `umx console serve` that started it stays outside as its
 * log broker, which opens and rotates NAME.log in the log directory when
 * asked by name (names checked as domain names are), the one thing the
 * sandbox cannot do (as root the domain has a uid of its own, which root's
 * 0700 runtime directory does not admit).
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "run_log.h"
#include "umx.h"
#include "umx/console.h"
#include "umx/domain.h"
#include "umx/internal/clock.h"
#include "umx/internal/ctl.h"
#include "umx/internal/fdio.h"
#include "umx/internal/msg.h"
#include "umx/platform.h"
#include "umx/xs.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define MAX_CONS    256u
#define ROUND_BYTES 4096u /* per console per round: fair to the others */
#define DETACH_CHAR 0x1d  /* Ctrl-] */

/* The log broker's requests (umx_msg types): the payload is a name
 * (char[UMX_NAME_MAX], NUL-terminated); the reply echoes the type with
 * an int32 -errno or 0, and for LOG_OPEN the file's descriptor. */
enum {
	LOG_OPEN = 1,   /* NAME.log, appended to, created 0600 */
	LOG_ROTATE = 2, /* NAME.log becomes NAME.log.1 (the older one goes) */
};

static const char usage_text[] =
        "usage: umx console DOMAIN            attach to its console (Ctrl-] detaches)\n"
        "       umx console --log DOMAIN      print the console output saved so far\n"
        "       umx console serve [-d] [--log-dir DIR]\n"
        "                                     run the console backend (a sandboxed domain\n"
        "                                     named \"console\"; -d: in the background):\n"
        "                                     output in DIR/NAME.log (default $UMX_DIR/log,\n"
        "                                     capped at $UMX_DOMAIN_LOG_MAX, 4 MiB, with one\n"
        "                                     rotation to NAME.log.1), one pty per console;\n"
        "                                     umx run -d and -c start it when needed\n"
        "       umx console add DOMAIN [BACKEND]\n"
        "                                     give DOMAIN a primary console served by\n"
        "                                     BACKEND (default: the domain \"console\")\n"
        "       umx console front -- CMD...   in a domain: CMD on a pty whose other end is\n"
        "                                     the domain's console (umx run -d does this)\n";

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
	r = snprintf(buf, len, "%s/log", dir);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/* A log's name is a domain's name (TOOL_NAME_RULES) or domain-<domid>:
 * nothing that could leave the log directory or hide a file in it. */
static bool log_name_ok(const char *n)
{
	size_t len = strnlen(n, UMX_NAME_MAX);

	if (!len || len >= UMX_NAME_MAX || n[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9') || n[i] == '-' || n[i] == '_' || n[i] == '.'))
			return false;
	return true;
}

/* ---- serve: the backend ------------------------------------------------- */

struct served {
	umx_console *c;
	uint32_t domid, devid;
	int master, slave; /* the pty; we keep the slave open so it never hangs up */
	int log;           /* NAME.log, or -1 (none yet: asked again later) */
	uint64_t logged, log_tried;
	char name[UMX_NAME_MAX]; /* the log's */
	bool gone;
};

struct server {
	umx_plat *p;
	umx_xs *xs;
	int dirfd;  /* --log-dir: the directory itself (a service of no sandbox) */
	int broker; /* --broker-fd: the launcher's broker holds the directory */
	unsigned long cap;
	uint32_t seq;
	struct served *s[MAX_CONS];
	unsigned n;
};

/* One request to the broker and its answer: 0 (with *@fd for LOG_OPEN) or
 * -errno. Only this process talks on the socket, one request at a time,
 * so the next message is the answer. */
static int broker_call(struct server *sv, uint32_t op, const char *name, int *fd)
{
	char req[UMX_NAME_MAX] = {0};
	struct umx_msg *m = malloc(sizeof(*m));
	int32_t err;
	int r;

	if (!m)
		return -ENOMEM;
	snprintf(req, sizeof(req), "%s", name);
	if ((r = umx_msg_send(sv->broker, op, ++sv->seq, req, sizeof(req), NULL, 0)) < 0 ||
	    (r = umx_msg_recv(sv->broker, m)) < 0)
		goto out;
	r = -EBADMSG;
	if (m->hdr.type != op || m->hdr.id != sv->seq ||
	    umx_msg_get_exact(m, &err, sizeof(err)) < 0 || err > 0 ||
	    m->nfds != (op == LOG_OPEN && err == 0 ? 1u : 0u))
		goto out;
	r = err;
	if (r == 0 && fd)
		*fd = umx_msg_take_fd(m, 0);
out:
	umx_msg_close_fds(m);
	free(m);
	return r;
}

static int log_open(struct server *sv, struct served *s)
{
	char file[UMX_NAME_MAX + 8];
	struct stat st;
	int fd = -1, r = 0;

	s->log_tried = umx_clock_ms();
	snprintf(file, sizeof(file), "%s.log", s->name);
	if (sv->broker >= 0)
		r = broker_call(sv, LOG_OPEN, s->name, &fd);
	else if ((fd = openat(sv->dirfd, file,
	                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		r = -errno;
	if (r < 0) {
		fprintf(stderr, "umx console serve: %s: %s\n", file, strerror(-r));
		return r;
	}
	s->log = fd;
	s->logged = fstat(s->log, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

/* The cap: past it NAME.log becomes NAME.log.1 (the older one goes) and a
 * new one starts, so a domain's output on disk stays under twice the cap,
 * its latest in NAME.log (run_log.h's rule, the same for every log). */
static void log_write(struct server *sv, struct served *s, const void *buf, size_t len)
{
	char name[UMX_NAME_MAX + 8], old[UMX_NAME_MAX + 8];

	/* A log that could not be opened is asked for again, once a second. */
	if (s->log < 0 && (umx_clock_ms() - s->log_tried < 1000 || log_open(sv, s) < 0))
		return;
	if (s->logged > 0 && s->logged + len > sv->cap) {
		/* The ring cuts output anywhere: end the old file after the
		 * last whole line that fits, so no line is split across two. */
		size_t fit = s->logged < sv->cap ? (size_t)(sv->cap - s->logged) : 0;
		const char *nl = fit ? memrchr(buf, '\n', fit < len ? fit : len) : NULL;

		if (nl) {
			size_t k = (size_t)(nl - (const char *)buf) + 1;
			(void)umx_fd_write_all(s->log, buf, k);
			buf = (const char *)buf + k;
			len -= k;
		}
		snprintf(name, sizeof(name), "%s.log", s->name);
		snprintf(old, sizeof(old), "%s.log.1", s->name);
		if (sv->broker >= 0)
			(void)broker_call(sv, LOG_ROTATE, s->name, NULL);
		else
			(void)renameat(sv->dirfd, name, sv->dirfd, old);
		close(s->log);
		s->log = -1;
		if (log_open(sv, s) < 0)
			return;
	}
	if (umx_fd_write_all(s->log, buf, len) == 0)
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

/* The log's name: the toolstack's `name` node in our backend directory
 * (the domain's name), checked, else domain-<domid>. */
static void served_name(struct server *sv, struct served *s)
{
	char path[96], *v = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "backend/console/%u/%u/name", s->domid, s->devid);
	if (umx_xs_read(sv->xs, UMX_XS_NO_TX, path, &v, &len) == 0 && len < sizeof(s->name) &&
	    strlen(v) == len && log_name_ok(v))
		snprintf(s->name, sizeof(s->name), "%s", v);
	else
		snprintf(s->name, sizeof(s->name), "domain-%u", s->domid);
	free(v);
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
	 * domain (the domain's own terminal echoes). */
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
	served_name(sv, s);
	if (devid == UMX_CONSOLE_PRIMARY)
		(void)log_open(sv, s);
	(void)umx_console_back_set_tty(c, ptsname(s->master));
	sv->s[sv->n++] = s;
	fprintf(stderr, "umx console serve: dom%u/%u (%s) on %s\n", domid, devid, s->name,
	        ptsname(s->master));
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

/* ---- the log broker: outside the sandbox, holding the log directory ---- */

/* Answer the service's requests until it (and its launcher) are gone. The
 * service is a domain parsing hostile rings: each request is checked
 * whole (umx_msg), names as domain names, files opened without following
 * a link; anything malformed ends the broker (and so the service's logs). */
static void broker_loop(int sock, int dirfd)
{
	struct umx_msg *m = malloc(sizeof(*m));

	while (m && umx_msg_recv(sock, m) == 0) {
		char name[UMX_NAME_MAX], file[UMX_NAME_MAX + 8], old[UMX_NAME_MAX + 8];
		int32_t err = 0;
		int fd = -1;

		if (m->nfds || umx_msg_get_exact(m, name, sizeof(name)) < 0 ||
		    !memchr(name, 0, sizeof(name)) || !log_name_ok(name) ||
		    (m->hdr.type != LOG_OPEN && m->hdr.type != LOG_ROTATE))
			break;
		snprintf(file, sizeof(file), "%s.log", name);
		snprintf(old, sizeof(old), "%s.log.1", name);
		if (m->hdr.type == LOG_OPEN) {
			fd = openat(dirfd, file,
			            O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
			err = fd < 0 ? -errno : 0;
		} else if (renameat(dirfd, file, dirfd, old) < 0) {
			err = -errno;
		}
		(void)umx_msg_send(sock, m->hdr.type, m->hdr.id, &err, sizeof(err), &fd, fd >= 0);
		if (fd >= 0)
			close(fd);
	}
	free(m);
}

/* Is the console service running? Its domid, or -ENOENT. */
static int service_domid(umx_conn *ts, uint32_t *domid)
{
	static struct umx_ctl_domain_info info[UMX_CTL_LIST_MAX];
	uint32_t start = 0;

	for (;;) {
		int n = umx_domain_list(ts, start, info, UMX_CTL_LIST_MAX);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			info[i].name[sizeof(info[i].name) - 1] = 0;
			/* Starting counts: another launcher is starting it (it
			 * finds the consoles given meanwhile when it runs). */
			if ((info[i].state == UMX_DOM_RUNNING ||
			     info[i].state == UMX_DOM_STARTING) &&
			    !strcmp(info[i].name, TOOL_CONSOLE_SERVICE)) {
				*domid = info[i].domid;
				return 0;
			}
			start = info[i].domid + 1;
		}
		if ((unsigned)n < UMX_CTL_LIST_MAX)
			return -ENOENT;
	}
}

/* Outside umx's domains: become the broker and start the service, the
 * domain named "console", sandboxed, through `umx run` (with -d, the
 * broker goes to the background and we print the service's domid once it
 * runs). The service finds the broker's socket as --broker-fd. */
static int serve_launch(const char *dir, bool detach)
{
	char self[PATH_MAX], fdarg[16];
	int sv[2], rp[2] = {-1, -1}, dirfd, st = 0;
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t pid;

	if (sl <= 0)
		return 1;
	self[sl] = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "umx console serve: %s: %s\n", tool_show(dir), strerror(errno));
		return 1;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "umx console serve: %s: %s\n", tool_show(dir), strerror(errno));
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    (detach && pipe2(rp, O_CLOEXEC) < 0)) {
		fprintf(stderr, "umx console serve: %s\n", strerror(errno));
		return 1;
	}
	if (detach) {
		char line[32] = "";
		ssize_t n;

		if ((pid = fork()) < 0) {
			fprintf(stderr, "umx console serve: %s\n", strerror(errno));
			return 1;
		}
		if (pid > 0) { /* the caller: the service's domid, once it runs */
			close(rp[1]);
			n = read(rp[0], line, sizeof(line) - 1);
			if (n <= 0)
				return 1; /* umx run said why on our stderr */
			line[n] = 0;
			fputs(line, stdout);
			return 0;
		}
		close(rp[0]);
		setsid();
	}
	/* The service's end: inherited through umx run and the sandbox's init
	 * (which pass on what is not close-on-exec). */
	fcntl(sv[1], F_SETFD, 0);
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "umx console serve: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		if (detach)
			dup2(rp[1], 1);
		char *args[16];
		unsigned k = 0;

		if (detach)
			dup2(rp[1], 1);
		args[k++] = "umx";
		args[k++] = "run";
		if (detach)
			args[k++] = "-d";
		args[k++] = "--name";
		args[k++] = TOOL_CONSOLE_SERVICE;
		args[k++] = "--console";
		args[k++] = "none";
		args[k++] = "--";
		args[k++] = self;
		args[k++] = "console";
		args[k++] = "serve";
		args[k++] = "--broker-fd";
		args[k++] = fdarg;
		args[k] = NULL;
		execv(self, args);
		fprintf(stderr, "umx console serve: cannot run umx: %s\n", strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	signal(SIGINT, SIG_IGN); /* umx run passes it on to the service */
	signal(SIGPIPE, SIG_IGN);
	if (detach) {
		/* umx run -d has printed the domid to rp[1] and returned, or
		 * failed; the broker serves from here on, on nobody's terminal. */
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		close(rp[1]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			_exit(1);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
			close(nul);
		}
	}
	broker_loop(sv[0], dirfd);
	close(sv[0]);
	close(dirfd);
	if (detach)
		_exit(0);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int tool_console_service(umx_conn *ts, const char *cmd, uint32_t *domid)
{
	char self[PATH_MAX], line[32] = "";
	int p[2], r, st = 0;
	ssize_t sl, n;
	pid_t pid;

	if ((r = service_domid(ts, domid)) != -ENOENT)
		goto out;
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0 || pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		r = -errno;
		goto out;
	}
	self[sl] = 0;
	if (pid == 0) {
		dup2(p[1], 1);
		execl(self, "umx", "console", "serve", "-d", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	line[n > 0 ? n : 0] = 0;
	if (n > 0) {
		char *end;
		unsigned long v = strtoul(line, &end, 10);
		if (end != line && *end == '\n' && v > 0 && v < 32752) {
			*domid = (uint32_t)v;
			return 0;
		}
	}
	/* Another launcher may have started it meanwhile (the name is taken). */
	r = service_domid(ts, domid);
out:
	if (r < 0)
		fprintf(stderr, "%s: no console service (umx console serve -d): %s\n", cmd,
		        strerror(-r));
	return r;
}

static int console_serve(int argc, char **argv)
{
	char dir[PATH_MAX] = "";
	struct server sv = {.dirfd = -1, .broker = -1, .cap = run_log_max()};
	uint64_t last_scan = 0, last_gone = 0;
	bool detach = false;
	char *path, *tok;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-d")) {
			detach = true;
		} else if (!strcmp(argv[i], "--log-dir") && i + 1 < argc) {
			snprintf(dir, sizeof(dir), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--broker-fd") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 3 || v > INT_MAX || fcntl((int)v, F_GETFD) < 0) {
				fprintf(stderr,
				        "umx console serve: --broker-fd: not an open descriptor\n");
				return 2;
			}
			sv.broker = (int)v;
			fcntl(sv.broker, F_SETFD, FD_CLOEXEC);
		} else {
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (!dir[0] && default_log_dir(dir, sizeof(dir)) < 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!getenv(UMX_DOMAIN_FD_ENV))
		return serve_launch(dir, detach);
	if (sv.broker < 0 && (sv.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "umx console serve: %s: %s\n", tool_show(dir), strerror(errno));
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
	        umx_plat_domid(sv.p), sv.broker >= 0 ? "its broker's directory" : dir);
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
		/* A domain's death signals its console's port, but that signal
		 * can merge with its last data notify and read as work; and
		 * @releaseDomain is Domain-0's to watch. So once a second, ask
		 * the store about each console (one request each). */
		if (umx_clock_ms() - last_gone >= 1000) {
			for (unsigned i = 0; i < sv.n; i++)
				sv.s[i]->gone |= umx_console_peer_gone(sv.s[i]->c) == 1;
			last_gone = umx_clock_ms();
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
			/* A gone domain's last bytes are read (each round takes
			 * ROUND_BYTES: a full ring drains in one); a broken
			 * console is cut off (the reason was logged). */
			if (umx_console_broken(sv.s[i]->c) ||
			    (sv.s[i]->gone && umx_console_readable(sv.s[i]->c) == 0))
				served_free(&sv, i);
		}
	}
	while (sv.n)
		served_free(&sv, sv.n - 1);
	umx_plat_close(sv.p);
	if (sv.dirfd >= 0)
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
	    tool_domain_noconn("umx console add", argc == 3 ? argv[2] : TOOL_CONSOLE_SERVICE,
	                       &backend) < 0)
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

/* ---- front: a program on a pty whose other end is the console ---------- */

/* Give the backend time to take what is left in the ring: 10 s to start
 * (a service just starting, a loaded machine), then 2 s after each bit of
 * progress, so output is not lost to a slow reader, nor does a domain
 * wait long for one that is gone. */
static void front_drain(umx_console *c)
{
	uint64_t end = umx_clock_ms() + 10000;
	int w, last = -1;

	while (umx_clock_ms() < end && (w = umx_console_writable(c)) >= 0 &&
	       w < (int)UMX_CONSOLE_OUT_SIZE) {
		if (last >= 0 && w > last)
			end = umx_clock_ms() + 2000;
		last = w;
		if (umx_console_wait(c, 100) < 0)
			break;
	}
}

/* The program's side: a session of its own with the pty as its controlling
 * terminal, so a shell gets job control and isatty() is true. */
static void front_exec(int slave, char **argv)
{
	setsid();
	if (ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 || dup2(slave, 1) < 0 ||
	    dup2(slave, 2) < 0) {
		fprintf(stderr, "umx console front: the pty: %s\n", strerror(errno));
		_exit(127);
	}
	if (slave > 2)
		close(slave);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	fprintf(stderr, "umx console front: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int console_front(int argc, char **argv)
{
	unsigned char out[UMX_CONSOLE_OUT_SIZE], in[UMX_CONSOLE_IN_SIZE];
	size_t in_len = 0, in_off = 0;
	int master, slave, pidfd, st = 0, r;
	umx_console *c = NULL;
	bool exited = false;
	uint64_t moved = 0; /* when output last went from the pty to the ring */
	umx_plat *p;
	pid_t pid;

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
	/* A pty, not pipes: interactive programs see a terminal, a shell
	 * works, and the line discipline echoes what is typed, as a VM's
	 * getty on hvc0 does. Its window size stays the default. */
	if (openpty(&master, &slave, NULL, NULL, NULL) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "umx console front: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(master);
		front_exec(slave, argv + 2);
	}
	close(slave);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	fcntl(master, F_SETFL, O_NONBLOCK);
	fcntl(master, F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd pf[3] = {{.fd = umx_plat_evtchn_fd(p), .events = POLLIN},
		                       {.fd = master, .events = 0},
		                       {.fd = exited ? -1 : pidfd, .events = POLLIN}};
		int space = umx_console_writable(c);
		bool more = false;
		ssize_t n;

		if (space < 0)
			break; /* broken: the reason was logged */
		/* Read the program only as fast as the ring drains: a fast
		 * writer blocks on its pty, nothing grows. Typed input waits
		 * in the ring while the pty's input queue is full. */
		if (space > 0)
			pf[1].events |= POLLIN;
		if (in_len)
			pf[1].events |= POLLOUT;
		if (poll(pf, 3, umx_console_timeout(c, 1000)) < 0 && errno != EINTR)
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
		if (pf[2].revents && !exited) {
			exited = true;
			moved = umx_clock_ms();
		}
		if (space > 0) {
			n = read(master, out, (size_t)space);
			if (n > 0) {
				(void)umx_console_write(c, out, (size_t)n);
				more = true;
				moved = umx_clock_ms();
			} else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				break; /* EIO: every holder of the pty's other end is gone */
			}
		}
		if (!in_len && (r = umx_console_read(c, in, sizeof(in))) > 0) {
			in_len = (size_t)r;
			in_off = 0;
		}
		if (in_len) {
			n = write(master, in + in_off, in_len);
			if (n > 0) {
				in_off += (size_t)n;
				in_len -= (size_t)n;
			}
		}
		/* The program is gone and what it wrote is out of the pty (its
		 * children may still hold the pty: they end with the domain). */
		if (exited && !more && space > 0)
			break;
		/* ... or nobody takes it: a full ring that has not moved for
		 * 10 s after the program ended (no console service) ends us. */
		if (exited && umx_clock_ms() - moved > 10000)
			break;
	}
	front_drain(c);
	close(master);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
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

/* The log's name for a DOMAIN argument: a name as it is; a domid, the
 * running (or recently dead) domain's name, else domain-<domid>. */
static int log_name_of(const char *arg, char *name, size_t len)
{
	struct umx_ctl_domain_info info;
	uint32_t domid;
	umx_conn *ts;

	if (arg[strspn(arg, "0123456789")] != 0) {
		if (!log_name_ok(arg)) {
			fprintf(stderr,
			        "umx console: '%s' is neither a domid nor a domain name: %s\n",
			        tool_show(arg), TOOL_NAME_RULES);
			return -EINVAL;
		}
		snprintf(name, len, "%s", arg);
		return 0;
	}
	if (tool_parse_domid(arg, &domid) < 0)
		return -EINVAL;
	snprintf(name, len, "domain-%u", domid);
	if (umx_conn_open_toolstack(NULL, &ts) == 0) {
		if (umx_domain_list(ts, domid, &info, 1) == 1 && info.domid == domid) {
			info.name[sizeof(info.name) - 1] = 0;
			if (log_name_ok(info.name))
				snprintf(name, len, "%s", info.name);
		}
		umx_conn_close(ts);
	}
	return 0;
}

static int console_log(const char *arg)
{
	char dir[PATH_MAX], name[UMX_NAME_MAX], file[UMX_NAME_MAX + 8];
	int dirfd, r1, r2;

	if (log_name_of(arg, name, sizeof(name)) < 0)
		return 1;
	if (default_log_dir(dir, sizeof(dir)) < 0 ||
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "umx console: no logs (is umxd running?)\n");
		return 1;
	}
	snprintf(file, sizeof(file), "%s.log.1", name);
	r1 = print_file(dirfd, file);
	snprintf(file, sizeof(file), "%s.log", name);
	r2 = print_file(dirfd, file);
	close(dirfd);
	fflush(stdout);
	if (r1 < 0 && r2 < 0) {
		fprintf(stderr, "umx console: no saved output of %s (%s/%s)\n", tool_show(arg),
		        tool_show(dir), tool_show(file));
		return 1;
	}
	return 0;
}

int tool_console_attach(uint32_t domid, bool *detached)
{
	struct termios saved, raw;
	bool tty = isatty(0);
	char *path = NULL;
	umx_xs *xs;
	int fd, r = -ENOENT;

	*detached = false;
	if (tool_store_open("umx console", &xs) < 0)
		return 1;
	/* The backend publishes the pty once it connected (a few ms after
	 * the domain opened its console; longer on a loaded machine, or
	 * when the service is just starting): wait up to 10 s. */
	for (int i = 0; i < 1000 && (r = umx_console_tty(xs, domid, 0, &path)) < 0; i++)
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
			if (det) {
				*detached = true;
				break;
			}
		}
	}
	if (tty)
		(void)tcsetattr(0, TCSANOW, &saved);
	close(fd);
	return 0;
}

static int console_attach(const char *arg)
{
	uint32_t domid;
	bool detached;

	if (tool_domain_noconn("umx console", arg, &domid) < 0)
		return 1;
	return tool_console_attach(domid, &detached);
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
