/* SPDX-License-Identifier: MIT */
/*
 * The domain sandbox (sandbox.h): namespaces, mounts, identity, seccomp, and
 * the small init that runs as pid 1 of a domain.
 *
 * Order matters, and each step says why it sits where it does:
 *  launcher: resolve the program and the paths to hide (the seccomp program
 *            is built once per process), clone3(CLONE_NEW* but the network
 *            namespace | CLONE_PIDFD), write the child's uid/gid maps (as
 *            root only the launcher may map another uid), send "go"; a
 *            helper then makes the domain's network namespace in init's user
 *            namespace, brings lo up and sends it to init (net_make());
 *            wait for "ready" or one line saying what failed.
 *  init:     meanwhile, what needs no uid: clone bind sources before
 *            anything hides them, make the host read-only, a /proc of its
 *            own, drop the bounding set, no_new_privs; then on "go":
 *            identity (as root: its own uid), private /tmp and /dev/shm,
 *            hide umx's directories; enter the network namespace, a /sys of
 *            its own; binds, cwd, drop every capability, seccomp; vfork the
 *            program, let go of everything of the launcher's; report.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox.h"
#include "umx/internal/proc.h"

/* Kernel interfaces glibc 2.36 does not wrap (numbers >= 424 are the same
 * on every architecture). */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct clone_args_v0 { /* struct clone_args, CLONE_ARGS_SIZE_VER0 */
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};
struct mount_attr_v0 { /* struct mount_attr, MOUNT_ATTR_SIZE_VER0 */
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

#define MAX_BINDS  64u
#define MAX_HIDDEN 8u

/* Messages from init to the launcher on the status socket. */
enum {
	MSG_READY = 1,
	MSG_FAILED = 2,
	MSG_STATUS = 3
};
struct init_msg {
	int32_t type;
	int32_t value; /* FAILED: -errno; STATUS: the program's wait status */
	char why[200];
};

struct bind_plan {
	char *src; /* resolved */
	char *dst;
	bool ro;
};

/* Everything init needs, prepared by the launcher (init may not allocate).
 * Small on purpose: init gets a copy-on-write copy of the launcher's memory,
 * and every page of the plan the launcher writes is a page the clone copies
 * and a fault to take again on the next spawn; the strings are allocated to
 * their length. */
struct plan {
	const struct umx_sandbox_opts *o;
	char *const *argv;
	char *const *envp;
	int conn_fd;
	int sock; /* init's end of the status socket */
	bool root;
	uid_t uid;
	gid_t gid;
	char *exec_path;
	bool prog_bind;  /* the program lives where the domain cannot see it */
	char *prog_real; /* NULL when the program's path does not resolve */
	char *cwd;
	char *hidden[MAX_HIDDEN];
	unsigned nhidden;
	struct bind_plan *binds;
	unsigned nbinds;
};

/* ---- the seccomp program (built once per process, by the launcher) ---- */

static struct sock_filter *filter;
static unsigned short filter_len;
static int filter_err;
static int last_cap; /* the kernel's highest capability number */
/* The network helper's stack (net_make()). */
#define NET_STACK (16u * 1024u)
static pthread_once_t prepare_once = PTHREAD_ONCE_INIT;

/* Denied with EPERM: tracing and reading other processes, taking their
 * descriptors, kernel attack surface a domain has no use for, and every
 * way to mount or to enter or make namespaces. */
static const char *const denied[] = {
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "pidfd_getfd",
        "kcmp",
        "bpf",
        "perf_event_open",
        "keyctl",
        "add_key",
        "request_key",
        "mount",
        "umount2",
        "pivot_root",
        "chroot",
        "move_mount",
        "open_tree",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "mount_setattr",
        "unshare",
        "setns",
        "userfaultfd",
        "lookup_dcookie",
        "open_by_handle_at",
        "quotactl",
        "quotactl_fd",
};

static void filter_build(void)
{
	static const uint64_t ns_flags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS,
	                                    CLONE_NEWIPC, CLONE_NEWUSER,   CLONE_NEWPID,
	                                    CLONE_NEWNET};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = 0, fd = -1;
	struct stat st;

	if (!ctx) {
		filter_err = -ENOMEM;
		return;
	}
	/* 32-bit entry points reach the same kernel: filter them alike. */
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		if ((r = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 ||
		    (r = seccomp_arch_add(ctx, SCMP_ARCH_X32)) < 0)
			goto out;
	}
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR) {
			r = -ENOSYS;
			goto out;
		}
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
			goto out;
	}
	/* i386's old umount(2) has no x86_64 counterpart. */
	if (seccomp_arch_native() == SCMP_ARCH_X86_64 &&
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(umount), 0)) < 0 &&
	    r != -EDOM)
		goto out;
	/* clone3 passes its flags in memory, out of a filter's reach: make it
	 * look absent, so libc falls back to clone, whose flags we can see. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                          SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]))) <
		    0)
			goto out;
	/* Typing into the launcher's terminal would run commands outside the
	 * sandbox (CVE-2017-5226 in bubblewrap). The kernel reads the ioctl
	 * number as 32 bits: compare only those. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
	                          SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
	                          SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX))) < 0)
		goto out;

	fd = memfd_create("umx-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		r = -E2BIG;
		goto out;
	}
	filter = malloc((size_t)st.st_size);
	if (!filter) {
		r = -ENOMEM;
		goto out;
	}
	if (pread(fd, filter, (size_t)st.st_size, 0) != st.st_size) {
		r = -EIO;
		free(filter);
		filter = NULL;
		goto out;
	}
	filter_len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	filter_err = r < 0 ? r : 0;
}

/* ---- why the kernel refused a namespace, in one line ----------------- */

static long read_sysctl(const char *path)
{
	long v;

	return umx_proc_read_num(path, NULL, &v) == 0 ? v : -1;
}

/* What every spawn of this process shares: the filter, and the number of
 * capabilities to drop from the bounding set. */
static void prepare(void)
{
	last_cap = (int)read_sysctl("/proc/sys/kernel/cap_last_cap");
	if (last_cap < CAP_LAST_CAP || last_cap > 63)
		last_cap = 63;
	filter_build();
}

static void explain_clone_error(int err, bool net, char *why, size_t len)
{
	static const char *const kinds[] = {"user", "pid", "mnt", "ipc", "uts", "cgroup", "net"};
	char path[64];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!net && !strcmp(kinds[i], "net"))
			continue;
		snprintf(path, sizeof(path), "/proc/sys/user/max_%s_namespaces", kinds[i]);
		if (read_sysctl(path) == 0) {
			snprintf(why, len,
			         "%s namespaces are disabled (user.max_%s_namespaces = 0): raise "
			         "it (sysctl -w user.max_%s_namespaces=10000) or use --no-sandbox",
			         kinds[i], kinds[i], kinds[i]);
			return;
		}
	}
	if (err == ENOSPC) {
		snprintf(why, len,
		         "too many namespaces (a user.max_*_namespaces limit is reached): raise it "
		         "with sysctl, or use --no-sandbox");
	} else if (err == EPERM && read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == 0) {
		snprintf(why, len,
		         "unprivileged user namespaces are disabled "
		         "(kernel.unprivileged_userns_clone = 0): sysctl -w "
		         "kernel.unprivileged_userns_clone=1, or use --no-sandbox");
	} else if (err == EPERM &&
	           read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1) {
		snprintf(why, len,
		         "AppArmor restricts unprivileged user namespaces "
		         "(kernel.apparmor_restrict_unprivileged_userns = 1): set it to 0 or give "
		         "umx an AppArmor profile with 'userns', or use --no-sandbox");
	} else if (err == EPERM) {
		snprintf(
		        why, len,
		        "the kernel refused new namespaces (EPERM: a container's seccomp policy or "
		        "a security module?); allow user namespaces, or use --no-sandbox");
	} else if (err == EUSERS) {
		snprintf(
		        why, len,
		        "user namespaces nested too deep (the kernel allows 32); use --no-sandbox");
	} else if (err == EINVAL || err == ENOSYS) {
		snprintf(why, len,
		         "this kernel lacks clone3 or namespaces (CONFIG_USER_NS, CONFIG_PID_NS, "
		         "CONFIG_NET_NS; Linux 5.3 or later); use --no-sandbox");
	} else {
		snprintf(why, len, "cannot create the domain's namespaces: %s", strerror(err));
	}
}

/* ---- launcher: preparing the plan --------------------------------------- */

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == 0);
}

/* The program's path as execvp would find it, allocated; NULL when there is
 * none (exec reports that) or no memory. */
static char *resolve_program(const char *name)
{
	const char *path = getenv("PATH");
	char out[PATH_MAX];

	if (strchr(name, '/'))
		return strdup(name);
	if (!path || !*path)
		path = "/bin:/usr/bin";
	for (const char *p = path; *p;) {
		const char *end = strchrnul(p, ':');
		struct stat st;
		int n = snprintf(out, sizeof(out), "%.*s%s%s", (int)(end - p), p,
		                 end == p ? "" : "/", name);
		if (n > 0 && n < (int)sizeof(out) && access(out, X_OK) == 0 &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return strdup(out);
		p = *end ? end + 1 : end;
	}
	return NULL;
}

static int add_hidden(struct plan *pl, const char *dir)
{
	char *real;

	if (!dir || !*dir || pl->nhidden == MAX_HIDDEN)
		return 0;
	if (!(real = realpath(dir, NULL)))
		return errno == ENOMEM ? -ENOMEM : 0; /* nothing there to hide */
	if (under(real, "/tmp") || !strcmp(real, "/"))
		goto drop; /* the domain's /tmp is its own already */
	for (unsigned i = 0; i < pl->nhidden; i++)
		if (under(real, pl->hidden[i]))
			goto drop;
	pl->hidden[pl->nhidden++] = real;
	return 0;
drop:
	free(real);
	return 0;
}

/* Where the domain's view hides host path @real (resolved): its own /tmp
 * or /dev/shm, or one of umx's directories, unless a bind brings the path
 * back at the same place. The hiding directory, or NULL when the domain
 * sees @real where the host does. */
static const char *hidden_at(const struct plan *pl, const char *real)
{
	static const char *const own[] = {"/tmp", "/dev/shm"};
	const char *by = NULL;

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]) && !by; i++)
		if (under(real, own[i]))
			by = own[i];
	for (unsigned i = 0; i < pl->nhidden && !by; i++)
		if (under(real, pl->hidden[i]))
			by = pl->hidden[i];
	for (unsigned i = 0; by && i < pl->nbinds; i++)
		if (!strcmp(pl->binds[i].src, pl->binds[i].dst) && under(real, pl->binds[i].src))
			by = NULL;
	return by;
}

/* A path the launcher hands the domain that the domain would not find: its
 * working directory, an LD_LIBRARY_PATH entry, an executable named by an
 * argument (`sh -c '"$0" ...' /tmp/build/umx`), as a build tree under
 * /tmp gives. Failing here, naming the path and the reason, beats the
 * program's "not found" later (or a library silently taken from
 * elsewhere). -ENOENT with @why filled, or 0. */
static int check_visible(const struct plan *pl, const char *path, const char *what, char *why,
                         size_t why_len)
{
	char *real = realpath(path, NULL);
	const char *by;

	if (!real)
		return 0; /* nothing there on the host either */
	by = hidden_at(pl, real);
	if (by)
		snprintf(why, why_len,
		         "%s %s is under %s, which a sandboxed domain does not see (%s): "
		         "--ro-bind it, move it elsewhere, or use --no-sandbox",
		         what, path, by,
		         under(by, "/tmp") || under(by, "/dev/shm")
		                 ? "it gets a private one of its own"
		                 : "umx's runtime directories are hidden");
	free(real);
	return by ? -ENOENT : 0;
}

static int plan_check_visible(const struct plan *pl, char *const argv[], char *const envp[],
                              char *why, size_t why_len)
{
	struct stat st;
	int r;

	if ((r = check_visible(pl, pl->cwd, "the working directory", why, why_len)) < 0)
		return r;
	for (char *const *e = envp; e && *e; e++) {
		char dir[PATH_MAX];
		const char *p;

		if (strncmp(*e, "LD_LIBRARY_PATH=", 16) != 0)
			continue;
		for (p = *e + 16; *p;) {
			size_t n = strcspn(p, ":");
			if (n && n < sizeof(dir)) {
				memcpy(dir, p, n);
				dir[n] = 0;
				if ((r = check_visible(pl, dir, "LD_LIBRARY_PATH's", why,
				                       why_len)) < 0)
					return r;
			}
			p += n + (p[n] == ':');
		}
	}
	/* An argument naming a host executable by its absolute path is one
	 * the domain is meant to run (or to read); a path of the domain's own
	 * making that happens to exist on the host is rarely executable. */
	for (unsigned i = 1; argv[0] && argv[i]; i++)
		if (argv[i][0] == '/' && stat(argv[i], &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 0111) &&
		    (r = check_visible(pl, argv[i], "the program's argument", why, why_len)) < 0)
			return r;
	return 0;
}

static void plan_free(struct plan *pl)
{
	free(pl->exec_path);
	free(pl->prog_real);
	free(pl->cwd);
	for (unsigned i = 0; i < pl->nhidden; i++)
		free(pl->hidden[i]);
	for (unsigned i = 0; pl->binds && i < pl->nbinds; i++) {
		free(pl->binds[i].src);
		free(pl->binds[i].dst);
	}
	free(pl->binds);
}

static int plan_make(struct plan *pl, const struct umx_sandbox_opts *o, uint32_t domid,
                     char *const argv[], char *const envp[], char *why, size_t why_len)
{
	char buf[PATH_MAX];
	bool in_hidden = false;

	pl->o = o;
	pl->root = geteuid() == 0;
	if (pl->root) {
		uint64_t id = (uint64_t)o->uid_base + domid;
		if (o->uid_base < 65536 || id >= 0xfffffffeu) {
			snprintf(why, why_len, "the uid base %u is out of range (65536..%u)",
			         o->uid_base, 0xfffffffeu - 32752u);
			return -ERANGE;
		}
		pl->uid = pl->gid = (uid_t)id;
	} else {
		pl->uid = geteuid();
		pl->gid = getegid();
	}
	if (o->nbinds > MAX_BINDS) {
		snprintf(why, why_len, "too many binds (at most %u)", MAX_BINDS);
		return -E2BIG;
	}
	pl->exec_path = resolve_program(argv[0]);
	if (!pl->exec_path && !(pl->exec_path = strdup(argv[0]))) /* exec reports */
		goto nomem;
	if (!(pl->cwd = getcwd(NULL, 0)) && !(pl->cwd = strdup("/")))
		goto nomem;

	/* Runtime directories of umx (and the caller's other sockets, which a
	 * same-uid domain could otherwise reach): hidden under empty tmpfs. */
	if (add_hidden(pl, o->umx_dir) < 0 ||
	    (umx_default_dir(buf, sizeof(buf)) == 0 && add_hidden(pl, buf) < 0) ||
	    add_hidden(pl, "/run/umx") < 0 || add_hidden(pl, getenv("XDG_RUNTIME_DIR")) < 0 ||
	    add_hidden(pl, "/run/user") < 0)
		goto nomem;

	if ((pl->prog_real = realpath(pl->exec_path, NULL))) {
		for (unsigned i = 0; i < pl->nhidden; i++)
			in_hidden |= under(pl->prog_real, pl->hidden[i]);
		pl->prog_bind = under(pl->prog_real, "/tmp") || in_hidden;
		if (pl->prog_bind) {
			char *real = strdup(pl->prog_real);
			if (!real)
				goto nomem;
			free(pl->exec_path);
			pl->exec_path = real;
		}
	}

	if (o->nbinds && !(pl->binds = calloc(o->nbinds, sizeof(*pl->binds))))
		goto nomem;
	for (unsigned i = 0; i < o->nbinds; i++) {
		const struct umx_bind *b = &o->binds[i];
		const char *dst = b->dst && *b->dst ? b->dst : b->src;
		pl->nbinds = i + 1; /* what plan_free() must free */
		if (!(pl->binds[i].src = realpath(b->src, NULL))) {
			int err = errno;
			snprintf(why, why_len, "--%sbind %s: %s",
			         b->flags & UMX_BIND_RO ? "ro-" : "", b->src, strerror(err));
			return -err;
		}
		if (dst == b->src && dst[0] != '/')
			dst = pl->binds[i].src; /* a relative SRC lands where it really is */
		if (dst[0] != '/') {
			snprintf(why, why_len, "--%sbind %s: the destination must be absolute",
			         b->flags & UMX_BIND_RO ? "ro-" : "", dst);
			return -EINVAL;
		}
		if (strlen(dst) >= PATH_MAX) {
			snprintf(why, why_len, "--%sbind: a destination is longer than PATH_MAX",
			         b->flags & UMX_BIND_RO ? "ro-" : "");
			return -ENAMETOOLONG;
		}
		if (!(pl->binds[i].dst = strdup(dst)))
			goto nomem;
		pl->binds[i].ro = b->flags & UMX_BIND_RO;
	}
	return plan_check_visible(pl, argv, envp, why, why_len);
nomem:
	snprintf(why, why_len, "out of memory");
	return -ENOMEM;
}

static int write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = (ssize_t)strlen(data);
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, data, (size_t)len);
	err = n == len ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return err;
}

/* The child's identity mapping. Unprivileged: our own uid and gid, nothing
 * else (setgroups must be denied first). Root: the domain's uid and gid
 * only, so nothing inside is root on the host or shares another domain's
 * uid. Only a process outside the child's namespace can map an id that is
 * not its own, hence the launcher does it. */
static int write_maps(pid_t pid, const struct plan *pl, char *why, size_t why_len)
{
	char path[64], map[64];
	int r;

	if (!pl->root) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		if ((r = write_file(path, "deny")) < 0 && r != -ENOENT)
			goto fail;
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)pl->uid, (unsigned)pl->uid);
	if ((r = write_file(path, map)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)pl->gid, (unsigned)pl->gid);
	if ((r = write_file(path, map)) < 0)
		goto fail;
	return 0;
fail:
	snprintf(why, why_len, "cannot write the domain's %s: %s", path, strerror(-r));
	return r;
}

/* ---- init (pid 1 of the domain): no allocation from here on ------------ */

static void init_fail(const struct plan *pl, int err, const char *fmt, const char *arg)
{
	struct init_msg m = {.type = MSG_FAILED, .value = -err};
	int n = snprintf(m.why, sizeof(m.why), fmt, arg);
	if (n >= 0 && (size_t)n < sizeof(m.why) - 3)
		snprintf(m.why + n, sizeof(m.why) - (size_t)n, ": %s", strerror(err));
	(void)!write(pl->sock, &m, sizeof(m));
	_exit(127);
}

/* One descriptor sent with SCM_RIGHTS on @sock: it, or -errno. */
static int recv_fd(int sock)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	char c;
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = u.buf,
	                    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	cm = CMSG_FIRSTHDR(&mh);
	if (n != 1 || !cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int mkdirs(const char *path, bool file)
{
	char p[PATH_MAX];
	size_t len = strlen(path);
	struct stat st;
	int fd;

	if (len >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, path, len + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (!file)
		return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
	/* A file there already is the mount point (--ro-bind /etc/x:/etc/x):
	 * opening it to create it would need write access the domain's uid
	 * does not have. */
	if (fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return errno == EISDIR ? -EISDIR : -errno;
	close(fd);
	return 0;
}

static int tree_clone(const char *src, bool ro)
{
	struct mount_attr_v0 a = {.attr_set = MOUNT_ATTR_RDONLY};
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, src,
	                      OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		return -errno;
	if (ro &&
	    syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int tree_attach(int fd, const char *dst)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((r = mkdirs(dst, !S_ISDIR(st.st_mode))) < 0)
		return r;
	return syscall(SYS_move_mount, fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0 ? -errno
	                                                                                   : 0;
}

/* The bounding set (dropping it needs CAP_SETPCAP, so before capset) and the
 * ambient set. */
static int drop_bounding_caps(void)
{
	for (int cap = 0; cap <= last_cap; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

static int drop_capabilities(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
static volatile pid_t init_child;

static void init_forward(int sig)
{
	if (init_child > 0)
		kill(init_child, sig);
}

/* In init's vfork child. The forwarded signals still have the dispositions
 * the launcher left them (init installs its handlers only after the vfork):
 * the program gets those (an ignored SIGINT stays ignored, as it would for
 * a child of the launcher). */
static void exec_program(const struct plan *pl, const sigset_t *mask)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	char msg[PATH_MAX + 256];
	int err, n;

	sigaction(SIGPIPE, &dfl, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	execve(pl->exec_path, pl->argv, pl->envp);
	err = errno;
	if (err == ENOEXEC) { /* as execvp does: a script without #! */
		char *sh[] = {"/bin/sh", (char *)pl->exec_path, NULL};
		execve("/bin/sh", sh, pl->envp);
	}
	if (err == EACCES && pl->root)
		n = snprintf(msg, sizeof(msg),
		             "umx: cannot run %s: permission denied to the domain's uid %u: make "
		             "it (and its directories) world-readable and executable, --ro-bind it "
		             "from a readable place, or use --no-sandbox\n",
		             pl->exec_path, (unsigned)pl->uid);
	else
		n = snprintf(msg, sizeof(msg), "umx: cannot run %s: %s\n", pl->exec_path,
		             strerror(err));
	if (n > 0)
		(void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(127);
}

/* A tmpfs at @dir, which the launcher saw as a directory; gone or replaced
 * since, there is nothing there to hide or to give. */
static int mount_tmpfs(const char *dir, unsigned long flags, const char *opts)
{
	if (mount("tmpfs", dir, "tmpfs", flags, opts) == 0)
		return 0;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
}

static void init_main(const struct plan *pl)
{
	static const struct mount_attr_v0 ro = {.attr_set = MOUNT_ATTR_RDONLY};
	struct sock_fprog prog = {.len = filter_len, .filter = filter};
	struct sigaction fwd = {.sa_handler = init_forward};
	int bind_fd[MAX_BINDS], prog_fd = -1, status = 0, r, fl;
	struct init_msg m = {.type = MSG_READY};
	sigset_t block, old;
	char go;
	pid_t child, w;

	/* Hold forwarded signals until the program exists to take them. */
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	/* Nothing in the domain may read or trace init (it holds a copy of the
	 * launcher's memory). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The domain lives no longer than its launcher, which ends it when
	 * umxd goes away: as pid 1 of our namespace, our death takes every
	 * process of the domain along. Set before the read of "go" below,
	 * which sees EOF if the launcher is already gone. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

	/* First what needs no uid of ours, while the launcher writes our id
	 * maps: by the time this is done, its "go" is usually waiting. */

	/* The program's to inherit; init lets go of it, and of everything else
	 * it got from the launcher, once the program has it (below). */
	fl = fcntl(pl->conn_fd, F_GETFD);
	if (fl < 0 || fcntl(pl->conn_fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
		init_fail(pl, errno, "the domain connection%s", "");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		init_fail(pl, errno, "making / private%s", "");
	/* Bind sources, with the launcher's rights, before /tmp and umx's
	 * directories are hidden and before / is read-only (a clone keeps its
	 * source's flags). */
	for (unsigned i = 0; i < pl->nbinds; i++)
		if ((bind_fd[i] = tree_clone(pl->binds[i].src, pl->binds[i].ro)) < 0)
			init_fail(pl, -bind_fd[i], "cannot bind %s", pl->binds[i].src);
	if (pl->prog_bind && (prog_fd = tree_clone(pl->prog_real, true)) < 0)
		init_fail(pl, -prog_fd, "cannot bind the program %s", pl->prog_real);
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
		init_fail(pl, errno, "making the host filesystem read-only%s", "");
	/* A /proc of our pid namespace: the domain sees only itself. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		init_fail(pl, errno,
		          "cannot mount /proc for the domain's pid namespace (is the host's /proc "
		          "partly covered, as in some containers?)%s",
		          "");
	if ((r = drop_bounding_caps()) < 0)
		init_fail(pl, -r, "dropping capabilities%s", "");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		init_fail(pl, errno, "no_new_privs%s", "");

	/* The launcher has written our id maps when it says go. */
	if (read(pl->sock, &go, 1) != 1)
		_exit(127);
	if (pl->root) {
		/* Root's supplementary groups would follow us into the domain. */
		if (setgroups(0, NULL) < 0)
			init_fail(pl, errno, "setgroups%s", "");
		/* The domain's uid from here on, so the mount points we create are
		 * its own; root is not mapped here, so our capabilities in the
		 * namespace stay until we drop them below. */
		if (setresgid(pl->gid, pl->gid, pl->gid) < 0 ||
		    setresuid(pl->uid, pl->uid, pl->uid) < 0)
			init_fail(pl, errno, "cannot take the domain's uid%s", "");
	}
	if ((r = mount_tmpfs("/tmp", MS_NOSUID | MS_NODEV, "mode=1777")) < 0)
		init_fail(pl, -r, "a private /tmp%s", "");
	if ((r = mount_tmpfs("/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777")) < 0)
		init_fail(pl, -r, "a private /dev/shm%s", "");
	for (unsigned i = 0; i < pl->nhidden; i++)
		if ((r = mount_tmpfs(pl->hidden[i], MS_NOSUID | MS_NODEV | MS_NOEXEC,
		                     "mode=0755,size=64k,nr_inodes=64")) < 0)
			init_fail(pl, -r, "cannot hide %s", pl->hidden[i]);
	if (!pl->o->net_host) {
		/* Our network namespace, made by the launcher's helper meanwhile,
		 * with lo up; we are in the host's until here, and do nothing
		 * there. */
		int net = recv_fd(pl->sock);
		if (net < 0)
			init_fail(pl, -net, "receiving the domain's network namespace%s", "");
		if (setns(net, CLONE_NEWNET) < 0)
			init_fail(pl, errno, "entering the domain's network namespace%s", "");
		close(net);
		/* Its own sysfs too, or /sys/class/net would list the host's
		 * devices (a sysfs shows the namespace of whoever mounted it). */
		if (mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		          NULL) < 0)
			init_fail(pl, errno,
			          "cannot mount /sys for the domain's network namespace%s", "");
	}
	/* Binds after /sys, so that none under it is covered. */
	for (unsigned i = 0; i < pl->nbinds; i++) {
		if ((r = tree_attach(bind_fd[i], pl->binds[i].dst)) < 0)
			init_fail(pl, -r,
			          r == -EROFS ? "cannot bind to %s: it does not exist, and the "
			                        "domain's host filesystem is read-only (bind into "
			                        "/tmp or onto an existing path)"
			                      : "cannot bind to %s",
			          pl->binds[i].dst);
		close(bind_fd[i]);
	}
	if (prog_fd >= 0) {
		if ((r = tree_attach(prog_fd, pl->prog_real)) < 0)
			init_fail(pl, -r, "cannot bind the program to %s", pl->prog_real);
		close(prog_fd);
	}
	for (unsigned i = 0; i < pl->nhidden; i++)
		(void)syscall(SYS_mount_setattr, AT_FDCWD, pl->hidden[i], 0, &ro, sizeof(ro));
	/* Our old working directory may be one of those now hidden: enter it
	 * again by name, through the domain's view. */
	if (chdir(pl->cwd) < 0 && chdir("/") < 0)
		init_fail(pl, errno, "chdir%s", "");

	if ((r = drop_capabilities()) < 0)
		init_fail(pl, -r, "dropping capabilities%s", "");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		init_fail(pl, errno, "loading the seccomp filter%s", "");

	/* vfork: the program execs at once, so copying init's memory (a copy
	 * of the launcher's) would be wasted time on every domain start. */
	child = vfork(); // NOLINT(clang-analyzer-security.insecureAPI.vfork): the child only execs
	if (child < 0)
		init_fail(pl, errno, "fork%s", "");
	if (child == 0)
		exec_program(pl, &old); /* never returns; our socket is close-on-exec */
	init_child = child;
	/* The forwarded signals are still blocked: none is lost meanwhile. */
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &fwd, NULL);
	/* The program holds the domain's connection now; init must not, or
	 * the domain would outlive a program that closes it. Nor may init hold
	 * anything else of the launcher's (its toolstack connection, say) for
	 * the domain's life: init never execs, so close-on-exec does not apply
	 * to it. Two calls whatever the launcher held, instead of a walk of
	 * /proc/self/fd; nothing in the domain can reach init's table meanwhile
	 * (init is not dumpable, pidfd_getfd is filtered). */
	if (pl->sock > 0)
		close_range(0, (unsigned)pl->sock - 1, 0);
	close_range((unsigned)pl->sock + 1, ~0u, 0);
	(void)!write(pl->sock, &m, sizeof(m));
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigprocmask(SIG_UNBLOCK, &block, NULL);

	/* Reap everything (orphans are ours as pid 1) until the program ends;
	 * our exit then ends whatever of the domain is left. */
	for (;;) {
		w = waitpid(-1, &status, 0);
		if (w == child)
			break;
		if (w < 0 && errno != EINTR)
			_exit(127);
	}
	m.type = MSG_STATUS;
	m.value = status;
	(void)!write(pl->sock, &m, sizeof(m));
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* ---- launcher: spawn and status ---------------------------------------- */

/* The domain's network namespace is made by a helper of the launcher's
 * while init sets up its mounts (making one is the costliest part of a
 * sandbox: ~0.7 ms of CPU on the 2-vCPU development VM, lo up another
 * 0.15 ms), instead of by clone3 before init starts. The helper enters
 * init's user namespace (which must own the network namespace, so that
 * init may enter it and nothing of the host's owns it), unshares a fresh
 * network namespace, brings lo up, and sends init a descriptor of it. One
 * namespace per domain, made for it and never used by another.
 *
 * It is a clone(CLONE_VM | CLONE_VFORK), as posix_spawn's child is: no copy
 * of the launcher's memory, and the launcher's thread sleeps until the
 * helper is gone, so the helper may use that thread's errno. It calls only
 * libc's system call wrappers, on a stack of its own that the address
 * sanitizer must not poison (it never returns to unpoison it). */
struct net_job {
	int pidfd;                        /* init's */
	int sock;                         /* the launcher's end of the status socket */
	const struct umx_sandbox_opts *o; /* the interfaces to make */
	gid_t gid;                        /* the domain's */
	int err;                          /* errno of the step that failed */
	const char *step;
};

static const char step_unshare[] = "making the domain's network namespace";

__attribute__((no_sanitize("address"))) static int net_helper(void *arg)
{
	struct net_job *j = arg;
	struct ifreq ifr = {.ifr_name = "lo"};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u = {0};
	struct iovec iov = {.iov_base = "n", .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = u.buf,
	                    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int s = -1, fd;

	j->step = "entering the domain's user namespace";
	if (setns(j->pidfd, CLONE_NEWUSER) < 0)
		goto fail;
	j->step = step_unshare;
	if (unshare(CLONE_NEWNET) < 0)
		goto fail;
	j->step = "bringing up lo";
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	close(s);
	s = -1;
	/* The domain's interfaces (umx run --net), before init enters the
	 * namespace: its program starts with them configured. */
	if (j->o->nifs && (errno = -umx_sandbox_net_ifs(j->o->ifs, j->o->nifs, j->gid, j->o->if_fds,
	                                                &j->step)) != 0)
		goto fail;
	j->step = "opening the domain's network namespace";
	if ((fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		goto fail_ifs;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	j->step = "sending init its network namespace";
	if (sendmsg(j->sock, &mh, MSG_NOSIGNAL) != 1) {
		j->err = errno;
		close(fd);
		goto fail_ifs_err;
	}
	/* Our descriptor table is the launcher's (CLONE_FILES, so that the
	 * TAP descriptors land there): close what is ours alone. */
	close(fd);
	_exit(0);
fail_ifs:
	j->err = errno;
fail_ifs_err:
	for (unsigned i = 0; i < j->o->nifs; i++)
		close(j->o->if_fds[i]);
	_exit(1);
fail:
	j->err = errno;
	if (s >= 0)
		close(s);
	_exit(1);
}

/* On failure, *@refused says whether the kernel refused the namespace
 * itself (a limit, a policy), which explain_clone_error() has put in @why. */
static int net_make(const struct umx_sandbox_opts *o, gid_t gid, int pidfd, int sock, char *why,
                    size_t why_len, bool *refused)
{
	struct net_job j = {.pidfd = pidfd, .sock = sock, .o = o, .gid = gid};
	sigset_t all, old;
	pid_t h;
	int st = 0, err;
	/* Mapped now, after init's clone3: the helper's first writes find
	 * fresh pages, not pages shared copy-on-write with init (a fault that
	 * copies costs up to 0.3 ms here). */
	char *stack = mmap(NULL, NET_STACK, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (stack == MAP_FAILED) {
		err = errno;
		snprintf(why, why_len, "sandbox: no stack for the network helper: %s",
		         strerror(err));
		return -err;
	}
	/* No handler of the launcher's may run on the helper's stack: it
	 * starts with every signal blocked, and never unblocks one. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* No exit signal: a SIGCHLD handler reaping any child would not take
	 * it from us (__WCLONE below). */
	h = clone(net_helper, stack + NET_STACK, CLONE_VM | CLONE_VFORK | CLONE_FILES, &j);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h < 0) {
		munmap(stack, NET_STACK);
		snprintf(why, why_len, "sandbox: cannot start the network helper: %s",
		         strerror(err));
		return -err;
	}
	while (waitpid(h, &st, __WCLONE) < 0 && errno == EINTR)
		;
	munmap(stack, NET_STACK);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	err = j.err ? j.err : EIO;
	*refused = j.step == step_unshare;
	if (*refused)
		explain_clone_error(err, true, why, why_len);
	else
		snprintf(why, why_len, "sandbox: %s: %s", j.step ? j.step : "network helper",
		         strerror(err));
	return -err;
}

int umx_sandbox_spawn(const struct umx_sandbox_opts *o, uint32_t domid, int conn_fd,
                      char *const argv[], char *const envp[], pid_t *pid, int *pidfd,
                      int *status_fd, char *why, size_t why_len)
{
	struct clone_args_v0 ca = {0};
	struct init_msg m;
	struct plan plan = {0}, *pl = &plan;
	int sv[2] = {-1, -1}, pfd = -1, r;
	bool ifs_made = false;
	ssize_t n;
	pid_t child;

	pthread_once(&prepare_once, prepare);
	if (filter_err < 0) {
		snprintf(why, why_len, "cannot build the seccomp filter: %s",
		         strerror(-filter_err));
		return filter_err;
	}
	if ((r = plan_make(pl, o, domid, argv, envp, why, why_len)) < 0)
		goto out;
	pl->argv = argv;
	pl->envp = envp;
	pl->conn_fd = conn_fd;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		snprintf(why, why_len, "socketpair: %s", strerror(errno));
		goto out;
	}
	pl->sock = sv[1];

	/* No CLONE_NEWNET: net_make() makes the network namespace beside init,
	 * once init's user namespace exists to own it. */
	ca.flags = CLONE_PIDFD | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
	           CLONE_NEWUTS | CLONE_NEWCGROUP;
	ca.pidfd = (uint64_t)(uintptr_t)&pfd;
	ca.exit_signal = SIGCHLD;
	child = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (child < 0) {
		r = -errno;
		explain_clone_error(errno, false, why, why_len);
		goto out;
	}
	if (child == 0) {
		close(sv[0]);
		init_main(pl); /* does not return */
	}
	close(sv[1]);
	sv[1] = -1;
	if ((r = write_maps(child, pl, why, why_len)) == 0 &&
	    send(sv[0], "g", 1, MSG_NOSIGNAL) != 1) {
		r = -EPIPE;
		snprintf(why, why_len, "sandbox: the domain's init died while starting");
	}
	if (!o->net_host) {
		char net_why[sizeof(m.why)];
		bool refused = false;
		int nr = net_make(o, pl->gid, pfd, sv[0], net_why, sizeof(net_why), &refused);
		/* The kernel refusing a namespace is said first, whatever else
		 * failed, as when clone3 made them all. */
		if (nr < 0 && (r == 0 || refused)) {
			r = nr;
			snprintf(why, why_len, "%s", net_why);
		}
		ifs_made = nr == 0 && o->nifs;
	}
	if (r < 0) {
		/* init may have failed first (it starts before "go"), and said why. */
		if (recv(sv[0], &m, sizeof(m), MSG_DONTWAIT) == sizeof(m) && m.type == MSG_FAILED &&
		    m.value < 0) {
			m.why[sizeof(m.why) - 1] = 0;
			snprintf(why, why_len, "sandbox: %s", m.why);
			r = m.value;
		}
		goto kill;
	}
	do
		n = read(sv[0], &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(m) || m.type != MSG_READY) {
		if (n == sizeof(m) && m.type == MSG_FAILED && m.value < 0) {
			m.why[sizeof(m.why) - 1] = 0;
			snprintf(why, why_len, "sandbox: %s", m.why);
			r = m.value;
		} else {
			snprintf(why, why_len, "sandbox: the domain's init died while starting");
			r = -ECHILD;
		}
		goto kill;
	}
	*pid = child;
	*pidfd = pfd;
	*status_fd = sv[0];
	plan_free(pl);
	return 0;
kill:
	for (unsigned i = 0; ifs_made && i < o->nifs; i++)
		close(o->if_fds[i]);
	syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	close(pfd);
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	plan_free(pl);
	return r;
}

int umx_sandbox_status(int status_fd, int init_status)
{
	struct init_msg m;
	ssize_t n;

	/* init wrote the status before it exited, so it is there already. */
	do
		n = recv(status_fd, &m, sizeof(m), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == sizeof(m) && m.type == MSG_STATUS)
		return m.value;
	return init_status;
}
