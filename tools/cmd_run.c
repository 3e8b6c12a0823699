/* SPDX-License-Identifier: MIT */
/*
 * umx run and umx create: start a domain and be its launcher.
 *
 * The launcher is the domain's parent and its link to umxd: it reaps the
 * program and reports its status, restarts it after `umx reboot`, and ends
 * it when umxd goes away (nothing of a domain outlives its hypervisor; see
 * umx_domain_proc_wait()). With -d (and for `umx create`) the launcher
 * detaches once the domain runs.
 *
 * Consoles: a detached domain (-d), an attached one (-c) and a foreground
 * one at a terminal get a console, as a VM does: the program runs on a pty
 * inside the domain (`umx console front`) whose other end is the domain's
 * PV console ring, served by the console service (`umx console serve`,
 * started when needed), which logs it to $UMX_DIR/log/NAME.log and offers
 * it to `umx console NAME`. A foreground domain whose stdin or stdout is
 * not a terminal (a pipe, a file) keeps them as they are: the console
 * protocol is one byte stream each way with no end of file and no stderr,
 * so pipes, redirections and the stdout/stderr split work exactly as
 * before (--console none asks for that at a terminal too).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_disk.h"
#include "run_log.h"
#include "run_net.h"
#include "umx.h"
#include "umx/console.h"
#include "umx/internal/ctl.h"
#include "umx/domain.h"
#include "umx/net.h"
#include "umx/xs.h"

#define MAX_ARGS  256u
#define MAX_ENV   64u
#define MAX_BINDS 32u
#define MAX_VIFS  8u
#define MAX_VCHAN 8u
#define MAX_DISKS 8u

/* One domain's settings: `umx run`'s flags and `umx create`'s file say the
 * same things (umx.cfg(5)). Strings point into argv or the file's text. */
struct domcfg {
	const char *name;
	const char *domid_file;
	char *argv[MAX_ARGS + 1];
	char *env[MAX_ENV];
	char *vifs[MAX_VIFS];
	char *vchans[MAX_VCHAN];
	struct umx_bind binds[MAX_BINDS];
	struct run_disk disks[MAX_DISKS];          /* disk = [...], --disk */
	struct run_net_if nets[UMX_SPAWN_IFS_MAX]; /* --net SWITCH,... */
	unsigned argc, nenv, nbinds, nvifs, nvchans, ndisks, nnets;
	unsigned spawn_flags; /* UMX_SPAWN_* */
	uint32_t grant_frames;
	uint32_t uid_base;
	enum {
		CONSOLE_AUTO,
		CONSOLE_PTY,
		CONSOLE_NONE
	} console;
	bool xen_compat;
	bool detach;
	bool attach; /* -c: the terminal on the domain's console */
};

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

/* ---- settings, from flags or a file ------------------------------------ */

/* SRC[:DST], DST absolute. The string is cut at the colon. */
static int add_bind(const char *cmd, struct domcfg *c, char *arg, unsigned flags)
{
	char *colon = strchr(arg, ':');
	if (c->nbinds == MAX_BINDS) {
		fprintf(stderr, "%s: too many binds (at most %u)\n", cmd, MAX_BINDS);
		return -1;
	}
	if (colon)
		*colon = 0;
	if (!*arg || (colon && colon[1] != '/')) {
		fprintf(stderr, "%s: bind '%s': SRC[:DST] with an absolute DST\n", cmd,
		        tool_show(arg));
		return -1;
	}
	c->binds[c->nbinds].src = arg;
	c->binds[c->nbinds].dst = colon ? colon + 1 : NULL;
	c->binds[c->nbinds++].flags = flags;
	return 0;
}

static int add_env(const char *cmd, struct domcfg *c, char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		fprintf(stderr, "%s: environment '%s': expected KEY=VALUE\n", cmd, tool_show(kv));
		return -1;
	}
	if (!strncmp(kv, "UMX_DOMAIN_FD=", 14) || !strncmp(kv, "UMX_DOMID=", 10)) {
		fprintf(stderr, "%s: environment: %.14s is set by umx itself\n", cmd, kv);
		return -1;
	}
	if (c->nenv == MAX_ENV) {
		fprintf(stderr, "%s: too many environment variables (at most %u)\n", cmd, MAX_ENV);
		return -1;
	}
	c->env[c->nenv++] = kv;
	return 0;
}

/* backend=DOMAIN[,mac=MAC][,handle=N]: checked now, resolved at start. */
static int add_vif(const char *cmd, struct domcfg *c, char *spec)
{
	if (strncmp(spec, "backend=", 8) != 0) {
		fprintf(stderr, "%s: vif '%s': expected backend=DOMAIN[,mac=MAC][,handle=N]\n", cmd,
		        tool_show(spec));
		return -1;
	}
	if (c->nvifs == MAX_VIFS) {
		fprintf(stderr, "%s: too many vifs (at most %u)\n", cmd, MAX_VIFS);
		return -1;
	}
	c->vifs[c->nvifs++] = spec;
	return 0;
}

/* A disk (run_disk.h): checked now, attached at start. */
static int add_disk(const char *cmd, struct domcfg *c, char *spec)
{
	if (c->ndisks == MAX_DISKS) {
		fprintf(stderr, "%s: too many disks (at most %u)\n", cmd, MAX_DISKS);
		return -1;
	}
	if (run_disk_parse(cmd, spec, &c->disks[c->ndisks]) < 0)
		return -1;
	c->ndisks++;
	return 0;
}

/* peer=DOMAIN,path=PATH: the domain gets $UMX_VCHAN<i>_PEER (the peer's
 * domid, resolved at start) and $UMX_VCHAN<i>_PATH, so a vchan between
 * named domains needs no domid known in advance. */
static int add_vchan(const char *cmd, struct domcfg *c, char *spec)
{
	if (strncmp(spec, "peer=", 5) != 0 || !strstr(spec, ",path=")) {
		fprintf(stderr, "%s: vchan '%s': expected peer=DOMAIN,path=PATH\n", cmd,
		        tool_show(spec));
		return -1;
	}
	if (c->nvchans == MAX_VCHAN) {
		fprintf(stderr, "%s: too many vchans (at most %u)\n", cmd, MAX_VCHAN);
		return -1;
	}
	c->vchans[c->nvchans++] = spec;
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

/* ---- the launcher ---------------------------------------------------------- */

/* Attach the domain's vifs; 0, or -1 with the reason printed. */
static int attach_vifs(const char *cmd, umx_conn *ts, const struct domcfg *c, uint32_t domid)
{
	umx_xs *xs = NULL;
	int ret = 0;

	if (!c->nvifs)
		return 0;
	if (tool_store_of(ts, &xs) < 0) {
		fprintf(stderr, "%s: vifs: cannot reach the store\n", cmd);
		return -1;
	}
	for (unsigned i = 0; i < c->nvifs && ret == 0; i++) {
		char spec[256], *save = NULL, *tok, *be = NULL;
		uint8_t mac[UMX_NET_MAC_LEN];
		bool have_mac = false;
		int handle = -1, r;
		uint32_t back;

		snprintf(spec, sizeof(spec), "%s", c->vifs[i]);
		for (tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (!strncmp(tok, "backend=", 8)) {
				be = tok + 8;
			} else if (!strncmp(tok, "mac=", 4) &&
			           umx_net_parse_mac(tok + 4, mac) == 0) {
				have_mac = true;
			} else if (!strncmp(tok, "handle=", 7) && atoi(tok + 7) >= 0 &&
			           atoi(tok + 7) <= 65535) {
				handle = atoi(tok + 7);
			} else {
				fprintf(stderr,
				        "%s: vif '%s': '%s' is not backend=DOMAIN, mac=MAC or "
				        "handle=0..65535\n",
				        cmd, tool_show(c->vifs[i]), tool_show(tok));
				ret = -1;
				break;
			}
		}
		if (ret < 0)
			break;
		if (!be || tool_domain(ts, cmd, be, &back) < 0) {
			ret = -1;
			break;
		}
		r = umx_net_attach(xs, domid, back, handle, have_mac ? mac : NULL);
		if (r < 0) {
			fprintf(stderr, "%s: vif '%s': %s\n", cmd, tool_show(c->vifs[i]),
			        strerror(-r));
			ret = -1;
		}
	}
	umx_xs_close(xs);
	return ret;
}

/* $UMX_VCHAN<i>_PEER and _PATH in our environment (the domain inherits it). */
static int vchan_env(const char *cmd, umx_conn *ts, const struct domcfg *c)
{
	for (unsigned i = 0; i < c->nvchans; i++) {
		char spec[512], var[32], val[16], *path;
		uint32_t peer;

		snprintf(spec, sizeof(spec), "%s", c->vchans[i] + 5);
		path = strstr(spec, ",path=");
		*path = 0;
		if (tool_domain(ts, cmd, spec, &peer) < 0)
			return -1;
		snprintf(var, sizeof(var), "UMX_VCHAN%u_PEER", i);
		snprintf(val, sizeof(val), "%u", peer);
		if (setenv(var, val, 1) < 0)
			return -1;
		snprintf(var, sizeof(var), "UMX_VCHAN%u_PATH", i);
		if (setenv(var, path + 6, 1) < 0)
			return -1;
	}
	return 0;
}

/* Detached launcher: what the waiting parent hears. */
struct ready_msg {
	int32_t result; /* 0: running as @domid; else the launcher failed */
	uint32_t domid;
};

static void tell_parent(int *fd, int32_t result, uint32_t domid)
{
	struct ready_msg m = {.result = result, .domid = domid};
	if (*fd < 0)
		return;
	(void)!write(*fd, &m, sizeof(m));
	close(*fd);
	*fd = -1;
}

/* A detached launcher writes to $UMX_DIR/log/NAME@suffix (the domain's
 * name, or domain-<domid>, renamed once the domid is known), capped
 * (run_log.h): NAME.log, which its domain writes too, when the domain has
 * no console; NAME.launcher.log when the console service writes NAME.log.
 * stdin is /dev/null. Returns the descriptor to write the log to, or
 * -errno. */
static int detach_log(umx_conn *ts, const struct domcfg *c, const char *suffix, char *path,
                      size_t len)
{
	int fd, nul;

	if (c->name)
		fd = snprintf(path, len, "%s/log/%s%s", umx_conn_dir(ts), c->name, suffix);
	else
		fd = snprintf(path, len, "%s/log/launcher-%d%s", umx_conn_dir(ts), (int)getpid(),
		              suffix);
	if (fd < 0 || (size_t)fd >= len)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		close(nul);
	}
	return run_log_pump(fd);
}

/* The domain's console: served by @svc, its log named after the domain. */
static int add_console(const char *cmd, umx_conn *ts, const struct domcfg *c, uint32_t domid,
                       uint32_t svc)
{
	char name[UMX_NAME_MAX];
	umx_xs *xs = NULL;
	int r;

	if (c->name)
		snprintf(name, sizeof(name), "%s", c->name);
	else
		snprintf(name, sizeof(name), "domain-%u", domid);
	if ((r = tool_store_of(ts, &xs)) == 0) {
		r = umx_console_toolstack_add_named(xs, domid, UMX_CONSOLE_PRIMARY, svc, name);
		umx_xs_close(xs);
	}
	if (r < 0)
		fprintf(stderr, "%s: cannot give domain %u its console: %s\n", cmd, domid,
		        strerror(-r));
	return r;
}

/* `umx console front -- ARGV...`: the program on a pty whose other end is
 * the domain's console. The umx binary runs in the domain: the sandbox
 * finds (or binds in) the program it is started as. */
static int console_argv(const char *cmd, const struct domcfg *c, char **out)
{
	static char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	unsigned k = 0;

	if (n <= 0) {
		fprintf(stderr, "%s: cannot find the umx program: %s\n", cmd, strerror(errno));
		return -1;
	}
	self[n] = 0;
	out[k++] = self;
	out[k++] = "console";
	out[k++] = "front";
	out[k++] = "--";
	for (unsigned i = 0; i < c->argc; i++)
		out[k++] = c->argv[i];
	out[k] = NULL;
	return 0;
}

/* `umx run -c`: our terminal on the domain's console until Ctrl-] (the
 * domain goes on; 0) or until the console ends with the domain (then its
 * exit status, as a foreground `umx run` returns it). */
static int attach_console(const char *cmd, uint32_t domid)
{
	bool detached = false;
	umx_conn *ts;
	int st = -1;

	if (tool_console_attach(domid, &detached) != 0)
		return 1;
	if (detached)
		return 0;
	if (tool_connect(&ts) < 0)
		return 1;
	if (umx_domain_wait(ts, domid, &st) < 0 || st == -1) {
		fprintf(stderr, "%s: the console of domain %u went away\n", cmd, domid);
		umx_conn_close(ts);
		return 1;
	}
	umx_conn_close(ts);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* Everything left below a --no-sandbox launcher (its subreaper) belongs to
 * the domain: SIGKILL every child, reap one, again, until none is left
 * (orphans reparent to us as their parents die). Our unreaped children's
 * pids cannot be reused, so killing them by pid is exact. */
static void end_orphans(void)
{
	for (;;) {
		char path[64], buf[4096], *p, *end;
		ssize_t n = -1;
		int fd;

		snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
		}
		buf[n > 0 ? n : 0] = 0;
		for (p = buf; *p; p = end) {
			long pid = strtol(p, &end, 10);
			if (end == p)
				break;
			kill((pid_t)pid, SIGKILL);
		}
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			return;
	}
}

/* Wait for the program or for umxd to go; then, before the status is
 * reported (after which the record may be gone), whether it was asked to
 * reboot. */
static bool wait_asked_reboot(umx_conn *ts, uint32_t domid)
{
	struct pollfd p[2] = {{.fd = running.pidfd, .events = POLLIN},
	                      {.fd = umx_conn_fd(ts), .events = POLLRDHUP}};
	struct umx_ctl_domain_info info;

	while (running.pidfd >= 0 && poll(p, 2, -1) < 0 && errno == EINTR)
		;
	if (p[1].revents)
		return false;
	return umx_domain_list(ts, domid, &info, 1) == 1 && info.domid == domid &&
	       (info.flags & UMX_DOMAIN_F_REBOOT);
}

static int launch(const char *cmd, struct domcfg *c)
{
	static struct run_net rn;
	struct umx_spawn_opts so = {.grant_frames = c->grant_frames,
	                            .flags = c->spawn_flags,
	                            .binds = c->nbinds ? c->binds : NULL,
	                            .nbinds = c->nbinds,
	                            .uid_base = c->uid_base};
	static char *cargv[MAX_ARGS + 8];
	char log_path[4096] = "";
	int ready = -1, errfd = -1, logfd = -1, r, st = 0;
	uint32_t svc = 0;
	bool reboot, console;
	umx_conn *ts;

	if (c->name && tool_check_name(cmd, c->name) < 0)
		return 2;
	if (c->attach && c->console == CONSOLE_NONE) {
		fprintf(stderr, "%s: -c attaches to the console: not with --console none\n", cmd);
		return 2;
	}
	/* At a terminal a domain gets a console, as -c gives it: its
	 * launcher goes to the background and we are the attached terminal. */
	console =
	        c->console == CONSOLE_PTY || (c->console == CONSOLE_AUTO &&
	                                      (c->detach || c->attach || (isatty(0) && isatty(1))));
	/* The service first, before we detach: where it cannot start (the
	 * kernel refuses its sandbox, say), a domain that did not ask for a
	 * console still runs, as it did before consoles. */
	if (console) {
		bool asked = c->console == CONSOLE_PTY || c->attach;

		if (tool_connect(&ts) < 0)
			return 1;
		r = tool_console_service(ts, cmd, &svc);
		umx_conn_close(ts);
		if (r < 0 && asked)
			return 1;
		if (r < 0) {
			fprintf(stderr, "%s: so the domain gets no console%s\n", cmd,
			        c->detach ? "; its output goes to its log" : "");
			console = false;
		}
	}
	if (console && !c->detach)
		c->attach = true;
	if (c->attach)
		c->detach = true;
	for (unsigned i = 0; i < c->nenv; i++)
		if (putenv(c->env[i]) < 0)
			return 1;
	if (c->xen_compat && (r = xen_compat_env()) < 0) {
		fprintf(stderr,
		        "%s: xen-compat: no drop-in Xen libraries found (set UMX_XEN_COMPAT_DIR): "
		        "%s\n",
		        cmd, strerror(-r));
		return 1;
	}
	if (c->detach) {
		int p[2];
		struct ready_msg m;
		pid_t pid;

		if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
			fprintf(stderr, "%s: cannot detach: %s\n", cmd, strerror(errno));
			return 1;
		}
		if (pid > 0) {
			close(p[1]);
			if (read(p[0], &m, sizeof(m)) != (ssize_t)sizeof(m) || m.result != 0)
				return 1; /* the launcher said why on our stderr */
			close(p[0]);
			if (c->attach)
				return attach_console(cmd, m.domid);
			printf("%u\n", m.domid);
			return 0;
		}
		close(p[0]);
		ready = p[1];
		setsid();
		/* Our own errors reach the terminal until the domain runs. */
		errfd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	}
	if (tool_connect(&ts) < 0) {
		tell_parent(&ready, -1, 0);
		return 1;
	}
	if (vchan_env(cmd, ts, c) < 0) {
		tell_parent(&ready, -1, 0);
		umx_conn_close(ts);
		return 2;
	}
	/* The sandbox binds in a program under /tmp that it is asked to run;
	 * behind the console's front the program is an argument, so we bind
	 * it (read-only, at its own path) as the sandbox would. */
	if (console && !(c->spawn_flags & UMX_SPAWN_NO_SANDBOX) && strchr(c->argv[0], '/') &&
	    c->nbinds < MAX_BINDS) {
		static char real[4096];

		if (realpath(c->argv[0], real) &&
		    (!strncmp(real, "/tmp/", 5) || !strncmp(real, "/dev/shm/", 9))) {
			c->binds[c->nbinds++] = (struct umx_bind){real, real, UMX_BIND_RO};
			so.binds = c->binds;
			so.nbinds = c->nbinds;
			c->argv[0] = real;
		}
	}
	if (console && console_argv(cmd, c, cargv) < 0) {
		tell_parent(&ready, -1, 0);
		umx_conn_close(ts);
		return 1;
	}
	if (c->detach && (logfd = detach_log(ts, c, console ? ".launcher.log" : ".log", log_path,
	                                     sizeof(log_path))) < 0) {
		fprintf(stderr, "%s: cannot open a log file in %s/log: %s\n", cmd, umx_conn_dir(ts),
		        strerror(-logfd));
		tell_parent(&ready, -1, 0);
		umx_conn_close(ts);
		return 1;
	}
	/* A --no-sandbox program's own children are not in a pid namespace
	 * that ends with it: as their subreaper we find and end them all when
	 * umxd goes (below). */
	if (c->spawn_flags & UMX_SPAWN_NO_SANDBOX)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	signal(SIGINT, forward_signal);
	signal(SIGTERM, forward_signal);
	signal(SIGHUP, forward_signal);
	do {
		running.pid = 0;
		running.pidfd = -1;
		/* The domain's output goes to its log (it inherits 1 and 2). */
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		if (c->nnets) {
			if (run_net_start(cmd, ts, c->name, c->nets, c->nnets, c->binds, c->nbinds,
			                  c->uid_base, &rn) < 0) {
				run_net_stop(ts, &rn);
				tell_parent(&ready, -1, 0);
				umx_conn_close(ts);
				return 1;
			}
			so.binds = rn.binds;
			so.nbinds = rn.nbinds;
			so.ifs = rn.ifs;
			so.nifs = rn.nifs;
			so.if_fds = rn.fds;
		}
		r = umx_domain_spawn(ts, c->name, &so, console ? cargv : c->argv, &running);
		if (errfd >= 0 && ready >= 0)
			dup2(errfd, 2);
		if (r < 0 || (c->nnets && run_net_started(cmd, ts, &rn, running.domid) < 0)) {
			if (r == 0) {
				umx_domain_proc_signal(&running, SIGKILL);
				umx_domain_proc_wait(ts, &running, &st);
				r = -EIO;
			}
			if (c->nnets)
				run_net_stop(ts, &rn);
			if (r == -EEXIST && c->name)
				fprintf(stderr, "%s: name '%s' is taken by a running domain: %s\n",
				        cmd, c->name, TOOL_NAME_RULES);
			else
				fprintf(stderr, "%s: cannot start domain: %s\n", cmd,
				        running.why[0] ? running.why : strerror(-r));
			tell_parent(&ready, -1, 0);
			umx_conn_close(ts);
			return 1;
		}
		if (c->domid_file && write_domid_file(c->domid_file, running.domid) < 0)
			fprintf(stderr, "%s: cannot write %s: %s\n", cmd, tool_show(c->domid_file),
			        strerror(errno));
		if ((console && add_console(cmd, ts, c, running.domid, svc) < 0) ||
		    attach_vifs(cmd, ts, c, running.domid) < 0 ||
		    run_disk_attach(cmd, ts, c->disks, c->ndisks, running.domid) < 0) {
			umx_domain_proc_signal(&running, SIGKILL);
			umx_domain_proc_wait(ts, &running, &st);
			tell_parent(&ready, -1, 0);
			umx_conn_close(ts);
			return 1;
		}
		if (log_path[0] && !c->name) {
			char named[4096];
			snprintf(named, sizeof(named), "%s/log/domain-%u%s", umx_conn_dir(ts),
			         running.domid, console ? ".launcher.log" : ".log");
			if (rename(log_path, named) == 0)
				snprintf(log_path, sizeof(log_path), "%s", named);
		}
		if (ready >= 0) {
			tell_parent(&ready, 0, running.domid);
			/* Detached for good: nothing of ours holds the terminal. */
			dup2(logfd, 2);
			close(errfd);
			errfd = -1;
		}
		if (pending_signal)
			umx_domain_proc_signal(&running, pending_signal);
		reboot = wait_asked_reboot(ts, running.domid);
		r = umx_domain_proc_wait(ts, &running, &st);
		if (c->nnets)
			run_net_stop(ts, &rn);
		if (reboot && (c->spawn_flags & UMX_SPAWN_NO_SANDBOX))
			end_orphans();
		if (reboot && r == 0)
			fprintf(stderr, "%s: domain %u rebooting\n", cmd, running.domid);
	} while (reboot && r == 0);
	/* The program's end is the domain's end, as in a sandbox, whose
	 * init takes its pid namespace along: no orphan lives on. */
	if (c->spawn_flags & UMX_SPAWN_NO_SANDBOX)
		end_orphans();
	if (r == -ECONNRESET) {
		fprintf(stderr, "%s: %s\n", cmd, running.why);
		umx_conn_close(ts);
		return 128 + SIGKILL;
	}
	umx_conn_close(ts);
	if (r < 0) {
		fprintf(stderr, "%s: waitpid: %s\n", cmd, strerror(-r));
		return 1;
	}
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* ---- umx run ------------------------------------------------------------ */

const char tool_run_help[] =
        "usage: umx run [-d|-c] [--console pty|none] [--name N] [--env K=V]\n"
        "               [--bind SRC[:DST]] [--ro-bind SRC[:DST]]\n"
        "               [--vif backend=DOMAIN[,mac=M][,handle=N]] [--vchan peer=DOMAIN,path=P]\n"
        "               [--disk FILE[,VDEV[,ACCESS]],backend=DOMAIN]\n"
        "               [--grant-frames K] [--xen-compat] [--domid-file F] [--no-sandbox]\n"
        "               [--net host|SWITCH[,...]] [--uid-base UID] -- CMD ARGS...\n"
        "Run CMD as a new domain. It inherits its connection to umxd as\n"
        "$UMX_DOMAIN_FD; its domid is in $UMX_DOMID. umx run exits with CMD's\n"
        "status; SIGINT/SIGTERM/SIGHUP are passed on to CMD. The domain ends when\n"
        "umx run or umxd ends: nothing of a domain outlives its hypervisor.\n"
        "-d, --detach       print the domid once the domain runs and return; the\n"
        "                   launcher stays in the background. CMD runs on a pty whose\n"
        "                   other end is the domain's console, served by the console\n"
        "                   service (started when needed): `umx console N` attaches\n"
        "                   (Ctrl-] detaches), its output is kept in $UMX_DIR/log/N.log\n"
        "                   (at 4 MiB, $UMX_DOMAIN_LOG_MAX, it becomes N.log.1 and a new\n"
        "                   one starts), the launcher's own in N.launcher.log\n"
        "-c, --attach       the same, with this terminal attached to the console at\n"
        "                   once, as xl create -c; umx run returns CMD's status when\n"
        "                   the domain ends, 0 after Ctrl-] (the domain goes on).\n"
        "                   Without -d or -c, a terminal on stdin and stdout means -c;\n"
        "                   otherwise stdin, stdout and stderr are passed as they are\n"
        "                   (pipes, files: the console has no end of file, no stderr)\n"
        "--console pty|none pty: a console even for pipes; none: no console (-d then\n"
        "                   logs stdout and stderr to $UMX_DIR/log/N.log, as before)\n"
        "--name N           1 to 63 letters, digits, '-', '_' or '.', not all digits,\n"
        "                   unique among running domains (default domain-<domid>)\n"
        "--env K=V          set K in the domain's environment (repeatable)\n"
        "--vif SPEC         a network interface on the backend domain (a switch:\n"
        "                   umx run --name sw -- umx net switch), attached at start\n"
        "--disk SPEC        a disk (xl's syntax: FILE,xvda,w,backend=DOMAIN; umx.cfg(5))\n"
        "                   served by DOMAIN's `umx blk serve FILE`, attached at start\n"
        "--vchan SPEC       $UMX_VCHAN<i>_PEER = the peer's domid (resolved from its\n"
        "                   name at start), $UMX_VCHAN<i>_PATH = P\n"
        "--domid-file F     write the new domid to F once the domain runs\n"
        "--xen-compat       umx's drop-in libxengnttab, libxenevtchn, libxenstore first\n"
        "                   on LD_LIBRARY_PATH: unmodified Xen binaries run on umxd\n"
        "\n"
        "The domain runs in a sandbox: its own user, pid, mount, IPC and network\n"
        "namespaces (only loopback), the host filesystem read-only with a private\n"
        "/tmp, umx's runtime directories hidden, no capabilities, and a seccomp\n"
        "filter. As root it runs as uid/gid UID+domid (--uid-base, $UMX_UID_BASE).\n"
        "--bind SRC[:DST], --ro-bind SRC[:DST]  make a host path visible (writable\n"
        "                   or read-only) at DST (default SRC)\n"
        "--net host         keep the host's network (what slirp needs)\n"
        "--net SWITCH[,mac=M][,ip=ADDR/PREFIX][,gw=ADDR][,dns=ADDR]\n"
        "                   an interface (eth0, eth1... per --net) whose frames go only\n"
        "                   through a netfront on SWITCH; without ip=, its address,\n"
        "                   route and DNS come by DHCP from the switch's router\n"
        "--no-sandbox       a plain process of your uid; `umx list` marks it\n"
        "The same settings in a file: umx create (umx.cfg(5)).\n";

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
	                                     {"env", required_argument, NULL, 'e'},
	                                     {"vif", required_argument, NULL, 'v'},
	                                     {"vchan", required_argument, NULL, 'V'},
	                                     {"console", required_argument, NULL, 'C'},
	                                     {"attach", no_argument, NULL, 'c'},
	                                     {"disk", required_argument, NULL, 'k'},
	                                     {"detach", no_argument, NULL, 'd'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	static struct domcfg cfg;
	unsigned long v;
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+cdn:g:XD:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cfg.detach = true;
			break;
		case 'c':
			cfg.attach = true;
			break;
		case 'C':
			if (!strcmp(optarg, "pty")) {
				cfg.console = CONSOLE_PTY;
			} else if (!strcmp(optarg, "none")) {
				cfg.console = CONSOLE_NONE;
			} else {
				fprintf(stderr, "umx run: --console '%s': takes pty or none\n",
				        tool_show(optarg));
				return 2;
			}
			break;
		case 'D':
			cfg.domid_file = optarg;
			break;
		case 'n':
			cfg.name = optarg;
			break;
		case 'g':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || v == 0 || v > 64) {
				fprintf(stderr, "umx run: --grant-frames '%s': takes 1 to 64\n",
				        tool_show(optarg));
				return 2;
			}
			cfg.grant_frames = (uint32_t)v;
			break;
		case 'X':
			cfg.xen_compat = true;
			break;
		case 'S':
			cfg.spawn_flags |= UMX_SPAWN_NO_SANDBOX;
			break;
		case 'N':
			if (!strcmp(optarg, "host")) {
				cfg.spawn_flags |= UMX_SPAWN_NET_HOST;
				break;
			}
			if (cfg.nnets == UMX_SPAWN_IFS_MAX) {
				fprintf(stderr, "umx run: --net: at most %u interfaces\n",
				        UMX_SPAWN_IFS_MAX);
				return 2;
			}
			if (run_net_parse("umx run", optarg, &cfg.nets[cfg.nnets++]) < 0)
				return 2;
			break;
		case 'b':
		case 'r':
			if (add_bind("umx run", &cfg, optarg, c == 'r' ? UMX_BIND_RO : 0) < 0)
				return 2;
			break;
		case 'e':
			if (add_env("umx run", &cfg, optarg) < 0)
				return 2;
			break;
		case 'v':
			if (add_vif("umx run", &cfg, optarg) < 0)
				return 2;
			break;
		case 'V':
			if (add_vchan("umx run", &cfg, optarg) < 0)
				return 2;
			break;
		case 'k':
			if (add_disk("umx run", &cfg, optarg) < 0)
				return 2;
			break;
		case 'u':
			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || *end || v < 65536 || v > 0xfffffffeu - 32752u) {
				fprintf(stderr, "umx run: --uid-base '%s': takes 65536 to %u\n",
				        tool_show(optarg), 0xfffffffeu - 32752u);
				return 2;
			}
			cfg.uid_base = (uint32_t)v;
			break;
		case 'h':
			fputs(tool_run_help, stdout);
			return 0;
		default:
			fprintf(stderr, "umx run: unknown option '%s' (umx run --help)\n",
			        tool_show(argv[optind - 1]));
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "umx run: no command (umx run [OPTIONS] -- CMD ARGS...)\n");
		return 2;
	}
	if ((unsigned)(argc - optind) > MAX_ARGS) {
		fprintf(stderr, "umx run: too many arguments (at most %u)\n", MAX_ARGS);
		return 2;
	}
	for (int i = optind; i < argc; i++)
		cfg.argv[cfg.argc++] = argv[i];
	return launch("umx run", &cfg);
}

/* ---- umx create: the same settings from a file (umx.cfg(5)) ------------ */

const char tool_create_help[] =
        "usage: umx create [-F] [-c] FILE [KEY=VALUE]...\n"
        "Start a domain from a config file in the spirit of xl.cfg (umx.cfg(5)):\n"
        "  name = \"web\"\n"
        "  command = [ \"/usr/bin/server\", \"--port\", \"8080\" ]\n"
        "  environment = [ \"LANG=C\" ]\n"
        "  binds = [ \"/srv/data:/data\" ]        ro_binds = [ \"/srv/www:/www\" ]\n"
        "  vifs = [ \"backend=sw,mac=00:16:3e:00:00:01\" ]\n"
        "  vchans = [ \"peer=db,path=data/vchan/q\" ]\n"
        "  disk = [ \"/srv/disk.img,xvda,w,backend=bk\" ]   (bk runs `umx blk serve`)\n"
        "  network = \"none\" | \"host\" | [ \"sw\", \"sw2,ip=10.0.0.2/24,gw=10.0.0.1\" ]\n"
        "                  (as umx run --net: interfaces on switches, DHCP without ip=)\n"
        "  console = \"pty\" | \"none\"   (pty, the default: `umx console NAME`, logged\n"
        "                  to $UMX_DIR/log/NAME.log; none: stdout and stderr to that log)\n"
        "  sandbox = 1     grant_frames = 32     uid_base = 2147418112     xen_compat = 0\n"
        "KEY=VALUE after FILE overrides a line of it.\n"
        "Prints the domid once the domain runs and returns (-F: stay in the\n"
        "foreground, as `umx run` does; -c: attach to its console, as xl create -c).\n";

#define CFG_FILE_MAX (64u * 1024u)

struct cfgfile {
	const char *file;
	unsigned line;
};

static void cfg_err(const struct cfgfile *f, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "umx create: %s:%u: ", tool_show(f->file), f->line);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

/* A quoted string at *@p ("..." or '...', no escapes, as xl.cfg), cut in
 * place; *@p moves past it. NULL if there is none. */
static char *cfg_string(char **p)
{
	char q = **p, *s, *e;
	if (q != '"' && q != '\'')
		return NULL;
	s = *p + 1;
	e = strchr(s, q);
	if (!e)
		return NULL;
	*e = 0;
	*p = e + 1;
	return s;
}

static char *skip_ws(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* VALUE: "string", 'string', a number, or [ "a", "b", ... ] (a list), into
 * @items (at most @max). Returns the count, or -1 with the reason printed. */
static int cfg_value(const struct cfgfile *f, const char *key, char *p, char **items, unsigned max)
{
	unsigned n = 0;

	p = skip_ws(p);
	if (*p != '[') {
		char *s = cfg_string(&p);
		if (!s && (*p == '"' || *p == '\'')) {
			cfg_err(f, "%s: a string without its closing quote: %s", key, tool_show(p));
			return -1;
		}
		if (!s) { /* a bare number or word */
			s = p;
			p += strcspn(p, " \t#");
			if (*p) {
				*p = 0;
				p++;
			}
		}
		p = skip_ws(p);
		if (*p && *p != '#') {
			cfg_err(f, "%s: unexpected text after the value: '%s'", key, tool_show(p));
			return -1;
		}
		if (!*s) {
			cfg_err(f, "%s: empty value%s", key, "");
			return -1;
		}
		items[0] = s;
		return 1;
	}
	p = skip_ws(p + 1);
	while (*p != ']') {
		char *s = cfg_string(&p);
		if (!s) {
			cfg_err(f, "%s: a list holds quoted strings: [ \"a\", \"b\" ]; at '%s'",
			        key, tool_show(p));
			return -1;
		}
		if (n == max) {
			char lim[16];
			snprintf(lim, sizeof(lim), "%u", max);
			cfg_err(f, "%s: too many items (at most %s)", key, lim);
			return -1;
		}
		items[n++] = s;
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p != ']') {
			cfg_err(f, "%s: expected ',' or ']' at '%s'", key, tool_show(p));
			return -1;
		}
	}
	p = skip_ws(p + 1);
	if (*p && *p != '#') {
		cfg_err(f, "%s: unexpected text after the list: '%s'", key, tool_show(p));
		return -1;
	}
	return (int)n;
}

static int cfg_bool(const struct cfgfile *f, const char *key, const char *v)
{
	if (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true"))
		return 1;
	if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false"))
		return 0;
	cfg_err(f, "%s: '%s' is not 1 or 0", key, tool_show(v));
	return -1;
}

/* One "KEY = VALUE" line (cut in place) into @c. */
static int cfg_line(const struct cfgfile *f, char *line, struct domcfg *c)
{
	char *items[MAX_ARGS], *key, *p = skip_ws(line), *eq;
	unsigned long v;
	char *end;
	int n, b;

	if (!*p || *p == '#')
		return 0;
	eq = strchr(p, '=');
	if (!eq) {
		cfg_err(f, "expected KEY = VALUE, got '%s'%s", tool_show(p), "");
		return -1;
	}
	key = p;
	for (p = eq; p > key && (p[-1] == ' ' || p[-1] == '\t'); p--)
		;
	*p = 0;
	n = cfg_value(f, key, eq + 1, items, MAX_ARGS);
	if (n < 0)
		return -1;
	if (!strcmp(key, "name") && n == 1) {
		char where[96];
		snprintf(where, sizeof(where), "umx create: %s:%u", tool_show(f->file), f->line);
		if (tool_check_name(where, items[0]) < 0)
			return -1;
		c->name = items[0];
	} else if (!strcmp(key, "command")) {
		if (n == 0) {
			cfg_err(f, "command: an empty list%s%s", "", "");
			return -1;
		}
		for (int i = 0; i < n; i++)
			c->argv[i] = items[i];
		c->argv[n] = NULL;
		c->argc = (unsigned)n;
	} else if (!strcmp(key, "environment") || !strcmp(key, "env")) {
		for (int i = 0; i < n; i++)
			if (add_env("umx create", c, items[i]) < 0)
				return -1;
	} else if (!strcmp(key, "binds") || !strcmp(key, "ro_binds")) {
		for (int i = 0; i < n; i++)
			if (add_bind("umx create", c, items[i], key[0] == 'r' ? UMX_BIND_RO : 0) <
			    0)
				return -1;
	} else if (!strcmp(key, "vifs") || !strcmp(key, "vif")) {
		for (int i = 0; i < n; i++)
			if (add_vif("umx create", c, items[i]) < 0)
				return -1;
	} else if (!strcmp(key, "vchans") || !strcmp(key, "vchan")) {
		for (int i = 0; i < n; i++)
			if (add_vchan("umx create", c, items[i]) < 0)
				return -1;
	} else if (!strcmp(key, "disks") || !strcmp(key, "disk")) {
		char where[96];
		snprintf(where, sizeof(where), "umx create: %s:%u", tool_show(f->file), f->line);
		for (int i = 0; i < n; i++)
			if (add_disk(where, c, items[i]) < 0)
				return -1;
	} else if (!strcmp(key, "console") && n == 1) {
		if (!strcmp(items[0], "pty"))
			c->console = CONSOLE_PTY;
		else if (!strcmp(items[0], "none"))
			c->console = CONSOLE_NONE;
		else {
			cfg_err(f, "console: '%s' is not \"pty\" or \"none\"%s",
			        tool_show(items[0]), "");
			return -1;
		}
	} else if (!strcmp(key, "consoles")) {
		cfg_err(f,
		        "consoles: a domain has one console here: console = \"pty\" | \"none\"%s%s",
		        "", "");
		return -1;
	} else if (!strcmp(key, "network")) {
		/* As --net: "none", "host", or switches (one, or a list), each
		 * SWITCH[,mac=M][,ip=ADDR/PREFIX][,gw=ADDR][,dns=ADDR]. A later
		 * line (or override) replaces the whole setting. */
		char where[96];
		snprintf(where, sizeof(where), "umx create: %s:%u: network", tool_show(f->file),
		         f->line);
		c->spawn_flags &= ~UMX_SPAWN_NET_HOST;
		c->nnets = 0;
		if (n == 1 && !strcmp(items[0], "host")) {
			c->spawn_flags |= UMX_SPAWN_NET_HOST;
		} else if (!(n == 1 && !strcmp(items[0], "none"))) {
			if ((unsigned)n > UMX_SPAWN_IFS_MAX) {
				char lim[16];
				snprintf(lim, sizeof(lim), "%u", UMX_SPAWN_IFS_MAX);
				cfg_err(f, "network: at most %s interfaces%s", lim, "");
				return -1;
			}
			for (int i = 0; i < n; i++) {
				if (!strcmp(items[i], "host") || !strcmp(items[i], "none")) {
					cfg_err(f, "network: \"%s\" stands alone, not in a list%s",
					        items[i], "");
					return -1;
				}
				if (run_net_parse(where, items[i], &c->nets[c->nnets]) < 0)
					return -1;
				c->nnets++;
			}
		}
	} else if (!strcmp(key, "sandbox") && n == 1) {
		if ((b = cfg_bool(f, key, items[0])) < 0)
			return -1;
		c->spawn_flags = b ? c->spawn_flags & ~UMX_SPAWN_NO_SANDBOX
		                   : c->spawn_flags | UMX_SPAWN_NO_SANDBOX;
	} else if (!strcmp(key, "xen_compat") && n == 1) {
		if ((b = cfg_bool(f, key, items[0])) < 0)
			return -1;
		c->xen_compat = b;
	} else if ((!strcmp(key, "grant_frames") || !strcmp(key, "uid_base")) && n == 1) {
		errno = 0;
		v = strtoul(items[0], &end, 0);
		if (key[0] == 'g' && (errno || *end || v < 1 || v > 64)) {
			cfg_err(f, "grant_frames: '%s' is not 1 to 64%s", tool_show(items[0]), "");
			return -1;
		}
		if (key[0] == 'u' && (errno || *end || v < 65536 || v > 0xfffffffeu - 32752u)) {
			cfg_err(f, "uid_base: '%s' is not 65536 to 4294934542%s",
			        tool_show(items[0]), "");
			return -1;
		}
		if (key[0] == 'g')
			c->grant_frames = (uint32_t)v;
		else
			c->uid_base = (uint32_t)v;
	} else if (!strcmp(key, "name") || !strcmp(key, "sandbox") || !strcmp(key, "console") ||
	           !strcmp(key, "grant_frames") || !strcmp(key, "uid_base") ||
	           !strcmp(key, "xen_compat")) {
		cfg_err(f, "%s takes one value, not a list%s", key, "");
		return -1;
	} else {
		cfg_err(f,
		        "unknown key '%s': the keys are name, command, environment, binds, "
		        "ro_binds, vifs, vchans, disk, network, console, sandbox, grant_frames, "
		        "uid_base, xen_compat (umx.cfg(5))%s",
		        tool_show(key), "");
		return -1;
	}
	return 0;
}

int cmd_create(int argc, char **argv)
{
	static struct domcfg cfg;
	static char text[CFG_FILE_MAX + 1];
	struct cfgfile f = {0};
	const char *file;
	int i = 1, fd;
	ssize_t n;
	size_t len = 0;
	char *line, *next;

	cfg.detach = true;
	for (; i < argc && (!strcmp(argv[i], "-F") || !strcmp(argv[i], "-c")); i++) {
		if (argv[i][1] == 'F')
			cfg.detach = false;
		else
			cfg.attach = true;
	}
	if (i >= argc) {
		fprintf(stderr,
		        "umx create: no config file (umx create [-F] [-c] FILE [KEY=VALUE]...)\n");
		return 2;
	}
	f.file = file = argv[i++];
	fd = open(f.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "umx create: %s: %s\n", tool_show(f.file), strerror(errno));
		return 1;
	}
	while ((n = read(fd, text + len, sizeof(text) - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n < 0 || len > CFG_FILE_MAX) {
		fprintf(stderr, "umx create: %s: %s\n", tool_show(f.file),
		        n < 0 ? strerror(errno) : "larger than 64 KiB, the limit");
		return 1;
	}
	text[len] = 0;
	if (memchr(text, 0, len)) {
		fprintf(stderr, "umx create: %s: not a text file (a NUL byte)\n",
		        tool_show(f.file));
		return 1;
	}
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		f.line++;
		if (cfg_line(&f, line, &cfg) < 0)
			return 2;
	}
	/* KEY=VALUE overrides, as xl create takes them. */
	f.file = "command line";
	for (f.line = 1; i < argc; i++, f.line++)
		if (cfg_line(&f, argv[i], &cfg) < 0)
			return 2;
	if (!cfg.argc) {
		fprintf(stderr, "umx create: %s: no command = [ \"PROGRAM\", ... ]\n",
		        tool_show(file));
		return 2;
	}
	return launch("umx create", &cfg);
}
