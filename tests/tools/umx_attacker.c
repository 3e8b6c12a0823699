/* SPDX-License-Identifier: MIT */
/*
 * umx_attacker — the hostile domain of tests/hostile/isolation_*, and the
 * two honest domains those tests put beside it. The tests start all three
 * the normal way (umx_domain_spawn, default sandbox).
 *
 *   umx_attacker victim   holds secrets: a pattern in its private heap,
 *                         pages granted to the attacker (read-only and
 *                         read-write) and to a third domain, a store node,
 *                         event channels. Commands on stdin, one a line:
 *                         "setup ATTACKER THIRD", "offer DOMID" (a grant, a
 *                         port and a readable node for a domain about to
 *                         die), "check" (answers "intact" or "changed
 *                         WHAT..."), "exit".
 *   umx_attacker peer     a well-behaved domain: "map GRANTER REF" maps a
 *                         page and answers "ok TEXT" with the page's first
 *                         bytes, "exit".
 *   umx_attacker ATTACK   reads one line of KEY=VALUE parameters on stdin
 *                         (what the test and the victim told it: pids, the
 *                         victim's heap address, grant refs, $UMX_DIR...),
 *                         then tries every way in that code inside a domain
 *                         has, exactly as an attacker would.
 *
 * Every attempt is logged on stderr. An attack exits 0 when every attempt
 * was refused the expected way, 1 when one succeeded (logged "BREACH:";
 * the attacker then uses what it got, so the victim's check shows it),
 * 3 when one was refused but not the expected way, 2 when it could not run.
 * The attacks never do anything that could harm the machine when a defence
 * is missing: mount attempts run in a private mount namespace when one can
 * be made, a traced parent is detached at once, signals that would land on
 * the test are ones it counts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/xs_wire.h>

#include "umx/conn.h"
#include "umx/domain.h"
#include "umx/internal/ctl.h"
#include "umx/internal/msg.h"
#include "umx/evtchn.h"
#include "umx/grant.h"
#include "umx/xs.h"

/* What the victim keeps and the attacker hunts for. */
#define HEAP_PATTERN  heap_pattern
#define THIRD_PATTERN "GRANTED-TO-THIRD-ONLY."
#define RO_PATTERN    "READ-ONLY-FOR-ATTACKER."
#define RW_PATTERN    "READ-WRITE-FOR-ATTACKER."
#define DEAD_PATTERN  "GRANTED-TO-A-DOMAIN-THAT-DIED."
#define STORE_SECRET  "victim-store-secret"
#define STORE_DEAD    "readable-by-a-domain-that-died"
#define MARK          "PWNED-BY-ATTACKER"
#define HEAP_LEN      4096u
#define PIDS_MAX      4096 /* processes an attack looks at */

/* The victim's heap holds "VICTIM-PRIVATE-HEAP.<token>." over and over, the
 * token its own random number (told to its attacker): an attacker that
 * scans every process it can open (without a sandbox, as root: all of
 * them) must not find, and write, the victim of a test running beside. */
static char heap_pattern[64] = "VICTIM-PRIVATE-HEAP.";

static void heap_pattern_set(unsigned long long token)
{
	snprintf(heap_pattern, sizeof(heap_pattern), "VICTIM-PRIVATE-HEAP.%016llx.", token);
}

/* LeakSanitizer stops the world with ptrace, which a domain's sandbox
 * denies: in a domain it could only fail, and turn every exit status into
 * its own. This program's leaks are not what its tests look at. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return 1;
}

/* ---- small helpers ----------------------------------------------------- */

static void fill(void *p, size_t len, const char *pat)
{
	size_t n = strlen(pat);
	for (size_t i = 0; i < len; i++)
		((char *)p)[i] = pat[i % n];
}

static bool filled(const void *p, size_t len, const char *pat)
{
	size_t n = strlen(pat);
	for (size_t i = 0; i < len; i++)
		if (((const char *)p)[i] != pat[i % n])
			return false;
	return true;
}

/* One line from stdin without stdio buffering (so nothing read ahead is
 * lost), NUL-terminated; -1 on EOF or error. */
static int read_line(char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		char c;
		ssize_t r = read(0, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n ? 0 : -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = 0;
	return 0;
}

static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* ---- parameters: one line of KEY=VALUE words ---------------------------- */

static char params[4096];

static const char *param(const char *key)
{
	size_t k = strlen(key);
	for (const char *p = params; p && *p;) {
		if (!strncmp(p, key, k) && p[k] == '=')
			return p + k + 1;
		p = strchr(p, '\0') + 1;
	}
	return NULL;
}

static long long param_num(const char *key)
{
	const char *v = param(key);
	return v ? strtoll(v, NULL, 0) : -1;
}

static int read_params(void)
{
	char line[sizeof(params) - 1];
	size_t n;

	if (read_line(line, sizeof(line)) < 0)
		return -1;
	/* Words become NUL-separated strings, the list ends with an empty one. */
	n = 0;
	for (char *w = strtok(line, " \t"); w; w = strtok(NULL, " \t")) {
		size_t l = strlen(w) + 1;
		if (n + l + 1 > sizeof(params))
			return -1;
		memcpy(params + n, w, l);
		n += l;
	}
	params[n] = 0;
	return 0;
}

/* ---- the verdict ---------------------------------------------------------- */

enum {
	OK = 0,
	BREACHED = 1,
	CANNOT_RUN = 2,
	WRONG_REFUSAL = 3
};
static int verdict = OK;

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* In a printf-like function of ours: its message, formatted into @buf. */
#define FORMAT_INTO(buf, fmt)                          \
	do {                                           \
		va_list ap_;                           \
		va_start(ap_, fmt);                    \
		vsnprintf(buf, sizeof(buf), fmt, ap_); \
		va_end(ap_);                           \
	} while (0)

static void breach(const char *fmt, ...)
{
	char what[1024];

	FORMAT_INTO(what, fmt);
	fprintf(stderr, "attacker: BREACH: %s\n", what);
	verdict = BREACHED;
}

static void note(const char *fmt, ...)
{
	char what[1024];

	FORMAT_INTO(what, fmt);
	fprintf(stderr, "attacker: %s\n", what);
}

/* @r is what an attempt returned: >= 0 it worked (a breach), else -errno.
 * It must have been refused with @e1 (or @e2, when not 0). Returns true
 * when the attempt worked, so the caller goes on to use what it got. */
static bool expect(long r, int e1, int e2, const char *fmt, ...)
{
	char what[1024];

	FORMAT_INTO(what, fmt);
	if (r >= 0) {
		breach("%s: it worked", what);
		return true;
	}
	if (-r == e1 || (e2 && -r == e2)) {
		note("%s: refused, %s", what, errname((int)-r));
		return false;
	}
	note("%s: refused with %s, expected %s%s%s", what, errname((int)-r), errname(e1),
	     e2 ? " or " : "", e2 ? errname(e2) : "");
	if (verdict == OK)
		verdict = WRONG_REFUSAL;
	return false;
}

/* Something a domain is meant to keep (its own loopback, reading
 * world-readable files): @r must be a success. */
static void expect_works(long r, const char *fmt, ...)
{
	char what[1024];

	FORMAT_INTO(what, fmt);
	if (r >= 0) {
		note("%s: works, as it should", what);
		return;
	}
	note("%s: failed with %s, but a domain keeps this", what, errname((int)-r));
	if (verdict == OK)
		verdict = WRONG_REFUSAL;
}

/* The result of a call that sets errno: the value, or -errno. */
static long sys(long r)
{
	return r < 0 ? -errno : r;
}

static void cannot_run(const char *fmt, ...)
{
	char what[1024];

	FORMAT_INTO(what, fmt);
	fprintf(stderr, "attacker: cannot run: %s\n", what);
	exit(CANNOT_RUN);
}

/* Numeric entries of /proc (the processes we can see), other than us. */
static int visible_pids(pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid())
			continue;
		out[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

static void proc_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	for (ssize_t i = 0; i + 1 < n; i++)
		if (!buf[i])
			buf[i] = ' ';
}

/* The pids the test told us: the victim's as the host sees it, umxd's and
 * the test's own. An attacker could guess them; being told is the best case
 * for it, so the test proves that even knowing them does not help. */
struct target {
	const char *what;
	pid_t pid;
};

static int targets(struct target *t)
{
	static const char *const keys[] = {"victim_pid", "umxd_pid", "test_pid"};
	int n = 0;
	for (unsigned i = 0; i < 3; i++) {
		long long v = param_num(keys[i]);
		if (v > 0)
			t[n++] = (struct target){keys[i], (pid_t)v};
	}
	return n;
}

/* A domain's own handles, which every attack starts from: without them the
 * attacker cannot run at all. */
static void must_open(int r, const char *what)
{
	if (r < 0)
		cannot_run("%s: %s", what, strerror(-r));
}

static umx_conn *domain_conn(void)
{
	umx_conn *c;

	must_open(umx_conn_open_domain(&c), "no domain connection");
	return c;
}

static umx_gnt *domain_gnt(void)
{
	umx_gnt *g;

	must_open(umx_gnt_open(&g), "umx_gnt_open");
	return g;
}

static umx_xs *domain_xs(void)
{
	umx_xs *xs;

	must_open(umx_xs_open(&xs), "umx_xs_open");
	return xs;
}

/* ---- victim ---------------------------------------------------------------- */

struct secret_share {
	const char *name;
	const char *pattern;
	umx_gnt_share *s;
	uint32_t ref;
	bool check_content; /* the attacker may legitimately write an rw page */
	grant_entry_v1_t entry;
};

static volatile sig_atomic_t victim_signals;

static void victim_on_signal(int sig)
{
	(void)sig;
	victim_signals++;
}

static struct {
	umx_conn *conn;
	umx_gnt *gnt;
	umx_xs *xs;
	umx_evtchn *evt;
	char *heap;
	const grant_entry_v1_t *table;
	uint32_t nentries;
	struct secret_share shares[8];
	unsigned nshares;
	char secret_path[64], dead_path[64];
} V;

static int victim_share(const char *name, uint32_t peer, uint32_t flags, const char *pattern,
                        bool check, uint32_t *ref)
{
	struct secret_share *s = &V.shares[V.nshares];
	int r = umx_gnt_share_pages(V.gnt, peer, 1, flags, &s->s);

	if (r < 0)
		return r;
	s->name = name;
	s->pattern = pattern;
	s->check_content = check;
	fill(umx_gnt_share_addr(s->s), UMX_PAGE_SIZE, pattern);
	s->ref = *ref = umx_gnt_share_ref(s->s, 0);
	if (s->ref >= V.nentries)
		return -EPROTO;
	s->entry = V.table[s->ref];
	V.nshares++;
	return 0;
}

static int victim_open(void)
{
	uint32_t frames;
	int fd, r;

	if ((r = umx_conn_open_domain(&V.conn)) < 0 || (r = umx_gnt_open(&V.gnt)) < 0 ||
	    (r = umx_xs_open(&V.xs)) < 0 || (r = umx_evtchn_open(&V.evt)) < 0)
		return r;
	/* Our own grant table, read-only, to see that nobody rewrote it. */
	if ((fd = umx_conn_grant_table_fd(V.conn, &frames)) < 0)
		return fd;
	V.table = mmap(NULL, (size_t)frames * UMX_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (V.table == MAP_FAILED)
		return -errno;
	V.nentries = frames * (UMX_PAGE_SIZE / (uint32_t)sizeof(grant_entry_v1_t));
	return 0;
}

static void victim_setup(uint32_t attacker, uint32_t third)
{
	uint32_t me = umx_conn_domid(V.conn), ref_third = 0, ref_ro = 0, ref_rw = 0;
	unsigned long long token;
	int port = 0, r;

	V.heap = malloc(HEAP_LEN);
	if (!V.heap) {
		say("error malloc\n");
		return;
	}
	if (getrandom(&token, sizeof(token), 0) != sizeof(token)) {
		say("error getrandom\n");
		return;
	}
	heap_pattern_set(token);
	fill(V.heap, HEAP_LEN, HEAP_PATTERN);
	snprintf(V.secret_path, sizeof(V.secret_path), "/local/domain/%u/data/secret", me);
	if ((r = umx_xs_write_str(V.xs, 0, V.secret_path, STORE_SECRET)) < 0) {
		say("error store write: %s\n", strerror(-r));
		return;
	}
	if ((r = victim_share("third", third, 0, THIRD_PATTERN, true, &ref_third)) < 0 ||
	    (attacker && (r = victim_share("ro", attacker, UMX_GNT_SHARE_READONLY, RO_PATTERN, true,
	                                   &ref_ro)) < 0) ||
	    (attacker && (r = victim_share("rw", attacker, 0, RW_PATTERN, false, &ref_rw)) < 0)) {
		say("error share: %s\n", strerror(-r));
		return;
	}
	/* An event channel to the third domain: eventfds in our table. */
	if ((port = umx_evtchn_alloc_unbound(V.evt, third)) < 0) {
		say("error evtchn: %s\n", strerror(-port));
		return;
	}
	say("ok victim=%u heap=%p token=%llu ref_third=%u ref_ro=%u ref_rw=%u port_third=%d "
	    "ns_pid=%d\n",
	    me, (void *)V.heap, token, ref_third, ref_ro, ref_rw, port, (int)getpid());
}

/* A grant, a port and a readable node for domain @dead, which the test is
 * about to destroy: whoever gets its domid next must inherit none of them. */
static void victim_offer(uint32_t dead)
{
	char perm[2][16];
	const char *perms[2] = {perm[0], perm[1]};
	uint32_t me = umx_conn_domid(V.conn), ref = 0;
	int port, r;

	snprintf(V.dead_path, sizeof(V.dead_path), "/local/domain/%u/data/for-dead", me);
	snprintf(perm[0], sizeof(perm[0]), "n%u", me);
	snprintf(perm[1], sizeof(perm[1]), "r%u", dead);
	if ((r = umx_xs_write_str(V.xs, 0, V.dead_path, STORE_DEAD)) < 0 ||
	    (r = umx_xs_set_perms(V.xs, 0, V.dead_path, perms, 2)) < 0) {
		say("error store: %s\n", strerror(-r));
		return;
	}
	if ((r = victim_share("dead", dead, 0, DEAD_PATTERN, true, &ref)) < 0) {
		say("error share: %s\n", strerror(-r));
		return;
	}
	if ((port = umx_evtchn_alloc_unbound(V.evt, dead)) < 0) {
		say("error evtchn: %s\n", strerror(-port));
		return;
	}
	say("ok ref_dead=%u port_dead=%d dead=%u dead_path=%s\n", ref, port, dead, V.dead_path);
}

static void victim_check(void)
{
	char out[1024] = "";
	size_t n = 0;
	char *val = NULL, **perms = NULL;
	unsigned np = 0;
	int r;

#define CHANGED(...) \
	n += (size_t)snprintf(out + n, n < sizeof(out) ? sizeof(out) - n : 0, " " __VA_ARGS__)
	if (!V.heap || !filled(V.heap, HEAP_LEN, HEAP_PATTERN))
		CHANGED("heap");
	for (unsigned i = 0; i < V.nshares; i++) {
		struct secret_share *s = &V.shares[i];
		grant_entry_v1_t e = V.table[s->ref];
		/* The mapper's pin bits come and go; the rest is ours. */
		e.flags &= (uint16_t) ~(GTF_reading | GTF_writing);
		if (e.flags != s->entry.flags || e.domid != s->entry.domid ||
		    e.frame != s->entry.frame)
			CHANGED("grant-entry-%s", s->name);
		if (s->check_content &&
		    !filled(umx_gnt_share_addr(s->s), UMX_PAGE_SIZE, s->pattern))
			CHANGED("grant-page-%s", s->name);
	}
	r = umx_xs_read(V.xs, 0, V.secret_path, &val, NULL);
	if (r < 0 || strcmp(val, STORE_SECRET))
		CHANGED("store-value");
	free(val);
	val = NULL;
	r = umx_xs_get_perms(V.xs, 0, V.secret_path, &perms, &np);
	{
		char mine[16];
		snprintf(mine, sizeof(mine), "n%u", umx_conn_domid(V.conn));
		if (r < 0 || np != 1 || strcmp(perms[0], mine))
			CHANGED("store-perms");
	}
	free(perms);
	if (V.dead_path[0]) {
		r = umx_xs_read(V.xs, 0, V.dead_path, &val, NULL);
		if (r < 0 || strcmp(val, STORE_DEAD))
			CHANGED("store-dead-value");
		free(val);
	}
	if (victim_signals)
		CHANGED("signalled-%d", (int)victim_signals);
#undef CHANGED
	if (n)
		say("changed%s\n", out);
	else
		say("intact\n");
}

static int run_victim(void)
{
	char line[256];
	unsigned a, b;
	int r;

	signal(SIGUSR1, victim_on_signal);
	if ((r = victim_open()) < 0) {
		fprintf(stderr, "victim: cannot open its domain: %s\n", strerror(-r));
		return 2;
	}
	while (read_line(line, sizeof(line)) == 0) {
		if (sscanf(line, "setup %u %u", &a, &b) == 2)
			victim_setup(a, b);
		else if (sscanf(line, "offer %u", &a) == 1)
			victim_offer(a);
		else if (!strcmp(line, "check"))
			victim_check();
		else if (!strcmp(line, "exit"))
			break;
		else
			say("error unknown command\n");
	}
	return 0;
}

/* ---- peer: the domain a grant was really meant for --------------------- */

static int run_peer(void)
{
	char line[256];
	unsigned granter, ref;
	umx_gnt *g = NULL;

	while (read_line(line, sizeof(line)) == 0) {
		umx_gnt_map *m;
		int16_t st = 0;
		int r;

		if (!strcmp(line, "exit"))
			break;
		if (sscanf(line, "map %u %u", &granter, &ref) != 2) {
			say("error unknown command\n");
			continue;
		}
		if (!g)
			g = domain_gnt();
		r = umx_gnt_map_refs(g, granter, 1, &ref, 0, NULL, &st, &m);
		if (r < 0) {
			say("error map %s status %d\n", strerror(-r), st);
			continue;
		}
		say("ok %.32s\n", (char *)umx_gnt_map_addr(m));
		umx_gnt_unmap(g, m);
	}
	return 0;
}

/* ---- attack: another domain's heap through /proc/<pid>/mem ------------- */

/* We got a way into some process's memory: read the victim's heap address,
 * and if the pattern is there, overwrite it. */
static void use_mem_fd(int fd, pid_t pid, const char *how)
{
	uintptr_t heap = (uintptr_t)param_num("heap");
	char buf[HEAP_LEN];

	if (pread(fd, buf, sizeof(buf), (off_t)heap) == (ssize_t)sizeof(buf) &&
	    filled(buf, sizeof(buf), HEAP_PATTERN)) {
		breach("read the victim's heap through %s of pid %d", how, (int)pid);
		if (pwrite(fd, MARK, strlen(MARK), (off_t)heap) == (ssize_t)strlen(MARK))
			breach("overwrote the victim's heap through %s of pid %d", how, (int)pid);
	}
}

static void attack_proc_mem(void)
{
	struct target t[3];
	int nt = targets(t);
	pid_t pids[PIDS_MAX];
	int n = visible_pids(pids, PIDS_MAX);
	uintptr_t heap = (uintptr_t)param_num("heap");
	int opened = 0;

	/* 1. Every process we can see: whose memory can we open? */
	for (int i = 0; i < n; i++) {
		char path[64], cmd[256];
		int fd;
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pids[i]);
		fd = open(path, O_RDWR | O_CLOEXEC);
		proc_cmdline(pids[i], cmd, sizeof(cmd));
		if (fd >= 0)
			opened++;
		/* Only umx's processes by name: the machine may run many more. */
		if (strstr(cmd, "umx"))
			note("scan: %s (%s): %s", path, cmd, fd < 0 ? errname(errno) : "opened");
		if (fd >= 0) {
			use_mem_fd(fd, pids[i], "a scanned /proc/<pid>/mem");
			close(fd);
		}
	}
	note("scan: %d other processes visible, %d of them opened read-write", n, opened);
	/* 2. The pids we were told: not there for us at all. */
	for (int i = 0; i < nt; i++) {
		char path[64];
		long fd;
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)t[i].pid);
		fd = sys(open(path, O_RDWR | O_CLOEXEC));
		if (expect(fd, ENOENT, 0, "open %s read-write (%s, given)", path, t[i].what)) {
			use_mem_fd((int)fd, t[i].pid, "/proc/<pid>/mem");
			close((int)fd);
		}
		fd = sys(open(path, O_RDONLY | O_CLOEXEC));
		if (expect(fd, ENOENT, 0, "open %s read-only (%s, given)", path, t[i].what))
			close((int)fd);
	}
	/* 3. The syscalls that skip /proc: denied outright. */
	if (nt > 0 && !strcmp(t[0].what, "victim_pid")) {
		char buf[HEAP_LEN];
		struct iovec local = {buf, sizeof(buf)}, remote = {(void *)heap, sizeof(buf)};
		long r = sys(process_vm_readv(t[0].pid, &local, 1, &remote, 1, 0));
		if (expect(r, EPERM, 0, "process_vm_readv of the victim's heap") &&
		    filled(buf, sizeof(buf), HEAP_PATTERN))
			breach("read the victim's heap with process_vm_readv");
		local = (struct iovec){(void *)MARK, strlen(MARK)};
		remote = (struct iovec){(void *)heap, strlen(MARK)};
		r = sys(process_vm_writev(t[0].pid, &local, 1, &remote, 1, 0));
		expect(r, EPERM, 0, "process_vm_writev into the victim's heap");
	}
}

/* ---- attack: descriptors of umxd and other domains --------------------- */

/* Is @fd one of umx's objects: a memfd (grant table, region), an eventfd
 * (event channel), or a connection to a toolstack socket (its peer is bound
 * to $UMX_DIR/control or $UMX_DIR/xenstored)? */
static bool is_umx_object(int fd, const char *link)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	const char *end;

	if (strstr(link, "memfd:") || strstr(link, "eventfd"))
		return true;
	if (!strstr(link, "socket:") || getpeername(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    sa.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path) ||
	    !sa.sun_path[0])
		return false;
	sa.sun_path[sizeof(sa.sun_path) - 1] = 0;
	end = strrchr(sa.sun_path, '/');
	return end && (!strcmp(end, "/control") || !strcmp(end, "/xenstored"));
}

/* Our own table: stdio, the domain connection, and whatever our launcher's
 * caller left open without close-on-exec (a sandbox passes that on, as
 * bubblewrap does: noted). None of umx's own objects but the connection. */
static void audit_own_fds(void)
{
	const char *env = getenv(UMX_DOMAIN_FD_ENV);
	int conn = env ? atoi(env) : -1;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d) {
		note("cannot list /proc/self/fd: %s", strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		char path[64], link[256];
		ssize_t n;
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd <= 2 || fd == conn || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		if (is_umx_object(fd, link))
			breach("inherited descriptor %d -> %s", fd, link);
		else
			note("inherited descriptor %d -> %s", fd, link);
	}
	closedir(d);
}

/* Open every descriptor of @pid read-write through /proc/<pid>/fd. */
static void reopen_fds(pid_t pid, const char *what, bool given)
{
	char dir[64];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (given)
		expect(d ? 0 : -errno, ENOENT, 0, "list %s (%s, given)", dir, what);
	else if (strstr(what, "umx"))
		note("scan: list %s (%s): %s", dir, what, d ? "listed" : errname(errno));
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[320], link[256];
		ssize_t n;
		int fd;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		/* What umx shares is in memfds; opening anything else (a device
		 * some other program holds) could disturb the machine. */
		if (!strstr(link, "memfd:"))
			continue;
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			breach("reopened %s -> %s read-write (%s)", path, link, what);
			close(fd);
		}
	}
	closedir(d);
}

static void attack_steal_fds(void)
{
	struct target t[3];
	int nt = targets(t), self;
	pid_t pids[PIDS_MAX];
	int n = visible_pids(pids, PIDS_MAX);

	audit_own_fds();
	for (int i = 0; i < n; i++) {
		char cmd[256];
		proc_cmdline(pids[i], cmd, sizeof(cmd));
		reopen_fds(pids[i], cmd, false);
	}
	note("scan: %d other processes visible", n);
	for (int i = 0; i < nt; i++) {
		long pfd;
		reopen_fds(t[i].pid, t[i].what, true);
		/* pidfd_getfd takes any descriptor, sockets and eventfds too. */
		pfd = sys(syscall(SYS_pidfd_open, t[i].pid, 0));
		if (!expect(pfd, ESRCH, 0, "pidfd_open(%d) (%s, given)", (int)t[i].pid, t[i].what))
			continue;
		for (int fd = 0; fd < 64; fd++) {
			long got = syscall(SYS_pidfd_getfd, (int)pfd, fd, 0);
			if (got >= 0) {
				breach("took descriptor %d of %s with pidfd_getfd", fd, t[i].what);
				close((int)got);
			}
		}
		close((int)pfd);
	}
	/* The syscalls themselves are denied, even aimed at ourselves. */
	self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (self >= 0) {
		long got = sys(syscall(SYS_pidfd_getfd, self, 0, 0));
		if (expect(got, EPERM, 0, "pidfd_getfd of our own stdin"))
			close((int)got);
		close(self);
	} else {
		note("pidfd_open(self): %s", errname(errno));
	}
	expect(sys(syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, 0, 0)), EPERM, 0,
	       "kcmp of our own descriptors");
}

/* ---- attack: map a grant meant for another domain ------------------------ */

static void attack_map_foreign_grant(void)
{
	uint32_t victim = (uint32_t)param_num("victim");
	uint32_t ref_third = (uint32_t)param_num("ref_third");
	uint32_t ref_ro = (uint32_t)param_num("ref_ro"), ref_rw = (uint32_t)param_num("ref_rw");
	struct target t[3];
	int nt = targets(t);
	umx_gnt *g;
	umx_gnt_map *m;
	int16_t st;
	long r;

	/* The stolen connection first: the victim's process is not reachable,
	 * so neither is its connection (attack_steal_fds tries every fd). */
	if (nt > 0 && !strcmp(t[0].what, "victim_pid")) {
		long pfd = sys(syscall(SYS_pidfd_open, t[0].pid, 0));
		if (expect(pfd, ESRCH, 0, "pidfd_open of the victim, to take its connection")) {
			for (int fd = 0; fd < 64; fd++) {
				long got = syscall(SYS_pidfd_getfd, (int)pfd, fd, 0);
				if (got >= 0) {
					breach("took the victim's descriptor %d", fd);
					close((int)got);
				}
			}
			close((int)pfd);
		}
	}
	/* The nearest thing we have: our own connection, whose identity is ours
	 * whatever we say. A grant for another domain is not for us (Xen:
	 * GNTST_general_error for a grant naming another domid). */
	g = domain_gnt();
	st = 0;
	r = umx_gnt_map_refs(g, victim, 1, &ref_third, 0, NULL, &st, &m);
	if (expect(r, EINVAL, 0, "map the victim's grant for the third domain read-write")) {
		memcpy(umx_gnt_map_addr(m), MARK, strlen(MARK));
		umx_gnt_unmap(g, m);
	} else if (st != GNTST_general_error) {
		note("  ... status %d, expected GNTST_general_error", st);
		verdict = verdict == OK ? WRONG_REFUSAL : verdict;
	}
	st = 0;
	r = umx_gnt_map_refs(g, victim, 1, &ref_third, UMX_GNT_MAP_READONLY, NULL, &st, &m);
	if (expect(r, EINVAL, 0, "map the victim's grant for the third domain read-only"))
		umx_gnt_unmap(g, m);
	/* Grant copy goes through the same check. */
	{
		struct umx_gnt_copy_seg seg = {
		        .source = {.ref_or_frame = ref_third, .domid = victim},
		        .dest = {.ref_or_frame = 0, .domid = UMX_EVTCHN_DOMID_SELF},
		        .len = 64,
		        .flags = UMX_GNT_COPY_SOURCE_GREF};
		umx_gnt_share *mine;
		st = 0;
		/* A frame of our own to copy into. */
		if (umx_gnt_share_pages(g, victim, 1, 0, &mine) == 0) {
			seg.dest.ref_or_frame = umx_gnt_share_frame(mine, 0);
			r = umx_gnt_copy(g, 1, &seg, &st);
			if (r == 0 && st == GNTST_okay)
				breach("copied the victim's grant for the third domain");
			else
				expect(r < 0 ? r : -EINVAL, EINVAL, 0,
				       "grant copy from the victim's grant for the third domain "
				       "(status %d)",
				       st);
			umx_gnt_end_access(g, mine);
		}
	}
	/* Every other ref of the victim's table: none is ours but ro and rw. */
	for (uint32_t ref = 0; ref < 4 * (UMX_PAGE_SIZE / sizeof(grant_entry_v1_t)); ref++) {
		if (ref == ref_ro || ref == ref_rw)
			continue;
		if (umx_gnt_map_refs(g, victim, 1, &ref, UMX_GNT_MAP_READONLY, NULL, &st, &m) ==
		    0) {
			breach("mapped the victim's ref %u", ref);
			umx_gnt_unmap(g, m);
		}
	}
	/* Our read-only grant cannot be mapped writable. */
	st = 0;
	r = umx_gnt_map_refs(g, victim, 1, &ref_ro, 0, NULL, &st, &m);
	if (expect(r, EACCES, 0, "map our read-only grant read-write"))
		umx_gnt_unmap(g, m);
	else if (st != GNTST_permission_denied)
		note("  ... status %d, expected GNTST_permission_denied", st);
}

/* ---- attack: act as the toolstack ---------------------------------------- */

/* We reached a toolstack socket: do what the toolstack may. */
static void use_control(const char *dir)
{
	struct umx_ctl_domain_info info[8];
	uint32_t victim = (uint32_t)param_num("victim");
	umx_conn *ts;
	int r;

	if (umx_conn_open_toolstack(dir, &ts) < 0)
		return;
	if ((r = umx_domain_list(ts, 0, info, 8)) >= 0)
		breach("listed %d domains as the toolstack", r);
	if (umx_domain_destroy(ts, victim) == 0)
		breach("destroyed the victim as the toolstack");
	umx_conn_close(ts);
}

static void use_store_socket(const char *path)
{
	char node[96];
	umx_xs *xs;

	if (umx_xs_open_path(path, &xs) < 0)
		return;
	snprintf(node, sizeof(node), "/local/domain/%lld/data/secret", param_num("victim"));
	if (umx_xs_write_str(xs, 0, node, MARK) == 0)
		breach("overwrote the victim's store node as the toolstack");
	umx_xs_close(xs);
}

static void attack_toolstack(void)
{
	const char *dirs[3] = {getenv("UMX_DIR"), param("umx_dir"), NULL};
	char def[128], node[96], perm[16];
	uint32_t victim = (uint32_t)param_num("victim");
	umx_conn *c = domain_conn();
	umx_xs *xs;
	long r;

	if (umx_default_dir(def, sizeof(def)) == 0)
		dirs[2] = def;
	for (unsigned i = 0; i < 3; i++) {
		char path[256];
		if (!dirs[i] || (i > 0 && dirs[0] && !strcmp(dirs[i], dirs[0])) ||
		    (i > 1 && dirs[1] && !strcmp(dirs[i], dirs[1])))
			continue; /* each path once */
		snprintf(path, sizeof(path), "%s/control", dirs[i]);
		r = umx_conn_unix_connect(path, SOCK_SEQPACKET);
		if (expect(r, ENOENT, 0, "connect %s", path)) {
			close((int)r);
			use_control(dirs[i]);
		}
		snprintf(path, sizeof(path), "%s/xenstored", dirs[i]);
		r = umx_conn_unix_connect(path, SOCK_STREAM);
		if (expect(r, ENOENT, 0, "connect %s", path)) {
			close((int)r);
			use_store_socket(path);
		}
	}
	/* Our own connection is a domain's: toolstack requests are refused. */
	{
		struct umx_ctl_domid id = {.domid = victim};
		struct umx_ctl_domain_list_req list = {0};
		struct umx_ctl_domain_create create = {.name = "evil"};
		static char reply[16384];
		int fds[8], self;
		unsigned nfds = 0;
		size_t len;

		r = umx_conn_call(c, UMX_CTL_DOMAIN_LIST, &list, sizeof(list), reply, sizeof(reply),
		                  &len, fds, 8, &nfds);
		expect(r, EPERM, 0, "DOMAIN_LIST on our own connection");
		/* Aim the victim's record at a process of ours (a pidfd of
		 * ourselves), so a destroy would kill us, not it. */
		self = (int)syscall(SYS_pidfd_open, getpid(), 0);
		r = umx_domain_set_pidfd(c, victim, self, 0);
		expect(r, EPERM, 0, "DOMAIN_SET_PIDFD of the victim on our own connection");
		if (self >= 0)
			close(self);
		r = umx_conn_call(c, UMX_CTL_DOMAIN_DESTROY, &id, sizeof(id), NULL, 0, NULL, NULL,
		                  0, NULL);
		expect(r, EPERM, 0, "DOMAIN_DESTROY of the victim on our own connection");
		r = umx_conn_call(c, UMX_CTL_DOMAIN_CREATE, &create, sizeof(create), reply,
		                  sizeof(reply), &len, fds, 8, &nfds);
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		expect(r, EPERM, 0, "DOMAIN_CREATE on our own connection");
		r = umx_conn_call(c, UMX_CTL_DAEMON_STOP, NULL, 0, NULL, 0, NULL, NULL, 0, NULL);
		expect(r, EPERM, 0, "DAEMON_STOP on our own connection");
	}
	/* The store as a domain: another domain's nodes and dom0's requests. */
	xs = domain_xs();
	snprintf(node, sizeof(node), "/local/domain/%u/data/secret", victim);
	{
		char *val = NULL, **names = NULL;
		unsigned n = 0;
		r = umx_xs_read(xs, 0, node, &val, NULL);
		expect(r, EACCES, 0, "read %s", node);
		free(val);
		r = umx_xs_write_str(xs, 0, node, MARK);
		expect(r, EACCES, 0, "write %s", node);
		snprintf(perm, sizeof(perm), "n%u", umx_conn_domid(c));
		{
			const char *perms[1] = {perm};
			r = umx_xs_set_perms(xs, 0, node, perms, 1);
			expect(r, EACCES, 0, "set_perms %s to us", node);
		}
		r = umx_xs_get_perms(xs, 0, node, &names, &n);
		expect(r, EACCES, 0, "get_perms %s", node);
		free(names);
		snprintf(node, sizeof(node), "/local/domain/%u/data", victim);
		r = umx_xs_rm(xs, 0, node);
		expect(r, EACCES, 0, "rm %s", node);
		r = umx_xs_write_str(xs, 0, "/tool/umx-attacker", MARK);
		expect(r, EACCES, 0, "write /tool/umx-attacker");
	}
	{
		char args[64], *rep = NULL;
		size_t len;
		r = umx_xs_request(xs, XS_INTRODUCE, 0,
		                   "4000\0"
		                   "1\0"
		                   "1\0",
		                   7, &rep, &len);
		expect(r, EACCES, 0, "XS_INTRODUCE of a domain");
		free(rep);
		rep = NULL;
		snprintf(args, sizeof(args), "%u", victim);
		r = umx_xs_request(xs, XS_RELEASE, 0, args, strlen(args) + 1, &rep, &len);
		expect(r, EACCES, 0, "XS_RELEASE of the victim");
		free(rep);
		rep = NULL;
		snprintf(args, sizeof(args), "%u%c%u", umx_conn_domid(c), 0, victim);
		r = umx_xs_request(xs, XS_SET_TARGET, 0, args,
		                   strlen(args) + 1 + strlen(args + strlen(args) + 1) + 1, &rep,
		                   &len);
		expect(r, EACCES, 0, "XS_SET_TARGET: us as the victim's stubdom");
		free(rep);
	}
	umx_xs_close(xs);
}

/* ---- attack: make a read-only grant writable ------------------------------ */

/* The descriptor behind the mapping at @addr: the one whose inode matches
 * /proc/self/maps's line for it, read-write or not as @want_rw asks when
 * there are both. Sets *@off to the page's file offset. */
static int fd_behind(const void *addr, off_t *off, bool want_rw)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	unsigned long ino = 0;
	DIR *d;
	struct dirent *e;
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;
		unsigned long long pgoff;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %*s %llx %*s %lu", &lo, &hi, &pgoff,
		           &ino) == 4 &&
		    (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			*off = (off_t)(pgoff + ((uintptr_t)addr - lo));
			break;
		}
		ino = 0;
	}
	fclose(f);
	if (!ino || !(d = opendir("/proc/self/fd")))
		return -1;
	while ((e = readdir(d))) {
		struct stat st;
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (fstat(fd, &st) == 0 && st.st_ino == ino && !S_ISSOCK(st.st_mode)) {
			int fl = fcntl(fd, F_GETFL);
			/* Both may be ours when both grants share a region. */
			if (found < 0 || (fl >= 0 && ((fl & O_ACCMODE) == O_RDWR) == want_rw))
				found = fd;
		}
	}
	closedir(d);
	return found;
}

/* The region descriptor behind one of our grants, fetched as a hostile
 * domain can when libumx holds none (it keeps a region as a mapping and
 * closes the descriptor, 7b74c53): a raw MAP of the ref; umxd attaches the
 * region unless it believes we kept it, which a FORGET of the region undoes.
 * The page's offset in the region to *@off; the mappings stay ours. */
static int raw_map_once(umx_conn *c, uint32_t granter, uint32_t ref, bool ro,
                        struct umx_ctl_gnt_map_res *res, int *fd)
{
	struct {
		struct umx_ctl_gnt_map_req req;
		struct umx_ctl_gnt_map_op op;
	} rq = {{granter, 1}, {ref, ro ? UMX_GNT_MAP_READONLY : 0, 0, 0}};
	/* The reply: the result, then the ops' results (as gnt_util's raw map
	 * reads it). */
	uint8_t rp[4 + sizeof(struct umx_ctl_gnt_map_res)];
	int fds[UMX_MSG_MAX_FDS];
	unsigned nfds = 0;
	size_t rlen = 0;
	int r = umx_conn_call(c, UMX_CTL_GNT_MAP, &rq, sizeof(rq), rp, sizeof(rp), &rlen, fds,
	                      UMX_MSG_MAX_FDS, &nfds);

	*fd = nfds == 1 ? fds[0] : -1;
	for (unsigned k = *fd >= 0 ? 1 : 0; k < nfds; k++)
		close(fds[k]);
	if (r < 0 || rlen < sizeof(rp))
		return -1;
	memcpy(res, rp + 4, sizeof(*res));
	if (res->status != GNTST_okay) {
		if (*fd >= 0)
			close(*fd);
		return -1;
	}
	return 0;
}

static int raw_region_fd(uint32_t granter, uint32_t ref, bool ro, off_t *off)
{
	umx_conn *c = domain_conn();
	struct umx_ctl_gnt_map_res res;
	struct umx_ctl_gnt_forget fg = {0};
	int fd;

	if (raw_map_once(c, granter, ref, ro, &res, &fd) < 0)
		return -1;
	if (fd < 0) {
		fg.region = res.region;
		fg.ro = ro;
		(void)umx_conn_call(c, UMX_CTL_GNT_FORGET, &fg, sizeof(fg), NULL, 0, NULL, NULL, 0,
		                    NULL);
		if (raw_map_once(c, granter, ref, ro, &res, &fd) < 0)
			return -1;
	}
	*off = (off_t)res.offset;
	return fd;
}

static void attack_readonly_grant(void)
{
	uint32_t victim = (uint32_t)param_num("victim");
	uint32_t ref_ro = (uint32_t)param_num("ref_ro"), ref_rw = (uint32_t)param_num("ref_rw");
	umx_gnt *g = domain_gnt();
	umx_gnt_map *mro, *mrw;
	char *ro, path[64];
	off_t off = 0, rw_off = 0;
	struct stat st_ro, st_rw;
	int16_t st;
	long r, fd, rofd, rwfd;
	void *p;

	if (umx_gnt_map_refs(g, victim, 1, &ref_ro, UMX_GNT_MAP_READONLY, NULL, &st, &mro) < 0)
		cannot_run("map our read-only grant: status %d", st);
	ro = umx_gnt_map_addr(mro);
	if (!filled(ro, UMX_PAGE_SIZE, RO_PATTERN))
		cannot_run("our read-only grant does not hold the victim's pattern");
	rofd = fd_behind(ro, &off, false);
	if (rofd < 0)
		rofd = raw_region_fd(victim, ref_ro, true, &off);
	if (rofd < 0)
		cannot_run("no descriptor behind our read-only mapping");

	/* 1. Reopen our own read-only grant's descriptor read-write. */
	snprintf(path, sizeof(path), "/proc/self/fd/%ld", rofd);
	fd = sys(open(path, O_RDWR | O_CLOEXEC));
	if (expect(fd, EACCES, 0, "reopen our read-only grant's descriptor O_RDWR")) {
		p = mmap(NULL, UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, off);
		if (p != MAP_FAILED) {
			memcpy(p, MARK, strlen(MARK));
			breach("wrote the read-only page through the reopened descriptor");
			munmap(p, UMX_PAGE_SIZE);
		} else {
			note("  ... but mmap PROT_WRITE of it: %s", errname(errno));
		}
		r = sys(pwrite((int)fd, MARK, strlen(MARK), off));
		if (r > 0)
			breach("pwrite the read-only page through the reopened descriptor");
		close((int)fd);
	}
	/* 2. The descriptor we hold, as it is. */
	p = mmap(NULL, UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, (int)rofd, off);
	r = p == MAP_FAILED ? -errno : 0;
	if (expect(r, EACCES, 0, "mmap our read-only grant's descriptor PROT_WRITE")) {
		memcpy(p, MARK, strlen(MARK));
		munmap(p, UMX_PAGE_SIZE);
	}
	expect(sys(pwrite((int)rofd, MARK, strlen(MARK), off)), EBADF, 0,
	       "pwrite our read-only grant's descriptor");
	/* 3. The mapping itself. */
	r = sys(mprotect(ro, UMX_PAGE_SIZE, PROT_READ | PROT_WRITE));
	if (expect(r, EACCES, 0, "mprotect our read-only mapping writable"))
		memcpy(ro, MARK, strlen(MARK));
	/* /proc/self/mem writes with FOLL_FORCE, which a shared mapping of a
	 * read-only descriptor does not allow (EIO); a non-dumpable process (as
	 * libumx makes every domain) may not even open it from a sandbox, whose
	 * uid does not own it (EACCES). */
	fd = sys(open("/proc/self/mem", O_RDWR | O_CLOEXEC));
	r = fd;
	if (fd >= 0) {
		r = sys(pwrite((int)fd, MARK, strlen(MARK), (off_t)(uintptr_t)ro));
		close((int)fd);
	}
	expect(r, EIO, EACCES, "write our read-only mapping through /proc/self/mem");
	/* 4. Our read-write grant's descriptor: does it reach the read-only page? */
	if (umx_gnt_map_refs(g, victim, 1, &ref_rw, 0, NULL, &st, &mrw) < 0)
		cannot_run("map our read-write grant: status %d", st);
	rwfd = fd_behind(umx_gnt_map_addr(mrw), &rw_off, true);
	if (rwfd < 0)
		rwfd = raw_region_fd(victim, ref_rw, false, &rw_off);
	if (rwfd < 0 || fstat((int)rwfd, &st_rw) < 0 || fstat((int)rofd, &st_ro) < 0)
		cannot_run("no descriptor behind our read-write mapping");
	note("read-only grant: inode %lu, read-write grant: inode %lu", (unsigned long)st_ro.st_ino,
	     (unsigned long)st_rw.st_ino);
	p = mmap(NULL, (size_t)st_rw.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, (int)rwfd, 0);
	if (p == MAP_FAILED)
		cannot_run("mmap our read-write grant's region: %s", strerror(errno));
	for (off_t o = 0; o < st_rw.st_size; o += UMX_PAGE_SIZE) {
		char *pg = (char *)p + o;
		if (filled(pg, UMX_PAGE_SIZE, RO_PATTERN)) {
			memcpy(pg, MARK, strlen(MARK));
			breach("found the read-only page at offset %lld of the read-write grant's "
			       "region and wrote it",
			       (long long)o);
		}
	}
	if (st_ro.st_ino == st_rw.st_ino) {
		breach("the read-only and the read-write grant share one region (inode %lu)",
		       (unsigned long)st_ro.st_ino);
		if (off < st_rw.st_size) {
			memcpy((char *)p + off, MARK "-RW", strlen(MARK) + 3);
			if (!memcmp(ro, MARK "-RW", strlen(MARK) + 3))
				breach("wrote the read-only page through the read-write grant's "
				       "descriptor");
		}
	} else {
		note("the read-only grant has a region of its own");
	}
	munmap(p, (size_t)st_rw.st_size);
	if (!filled(ro, UMX_PAGE_SIZE, RO_PATTERN))
		breach("the read-only page changed under our read-only mapping");
	umx_gnt_unmap(g, mrw);
	umx_gnt_unmap(g, mro);
}

/* ---- attack: inherit a dead domain's rights ------------------------------ */

static void attack_recycled_domid(void)
{
	uint32_t victim = (uint32_t)param_num("victim");
	uint32_t ref = (uint32_t)param_num("ref_dead"), dead = (uint32_t)param_num("dead");
	int port = (int)param_num("port_dead");
	const char *path = param("dead_path");
	umx_gnt *g = domain_gnt();
	umx_conn *c = domain_conn();
	umx_evtchn *evt;
	umx_gnt_map *m;
	umx_xs *xs = domain_xs();
	char *val = NULL;
	int16_t st = 0;
	long r;

	if (umx_conn_domid(c) != dead || !path)
		cannot_run("we are domain %u, not the dead domain %u", umx_conn_domid(c), dead);
	/* The entry still names our domid, but the region behind it is bound
	 * to the dead instance: GNTST_permission_denied. */
	r = umx_gnt_map_refs(g, victim, 1, &ref, 0, NULL, &st, &m);
	if (expect(r, EACCES, 0, "map the grant meant for the dead domain %u (status %d)", dead,
	           st)) {
		memcpy(umx_gnt_map_addr(m), MARK, strlen(MARK));
		umx_gnt_unmap(g, m);
	}
	r = umx_gnt_map_refs(g, victim, 1, &ref, UMX_GNT_MAP_READONLY, NULL, &st, &m);
	if (expect(r, EACCES, 0, "map it read-only (status %d)", st))
		umx_gnt_unmap(g, m);
	{
		struct umx_gnt_copy_seg seg = {
		        .source = {.ref_or_frame = ref, .domid = victim},
		        .dest = {.ref_or_frame = 0, .domid = UMX_EVTCHN_DOMID_SELF},
		        .len = 64,
		        .flags = UMX_GNT_COPY_SOURCE_GREF};
		umx_gnt_share *mine;
		if (umx_gnt_share_pages(g, victim, 1, 0, &mine) == 0) {
			seg.dest.ref_or_frame = umx_gnt_share_frame(mine, 0);
			st = 0;
			r = umx_gnt_copy(g, 1, &seg, &st);
			if (r == 0 && st == GNTST_okay)
				breach("copied the grant meant for the dead domain");
			else
				expect(r < 0 ? r : -EACCES, EACCES, 0,
				       "grant copy from it (status %d)", st);
			umx_gnt_end_access(g, mine);
		}
	}
	if ((r = umx_evtchn_open(&evt)) < 0)
		cannot_run("umx_evtchn_open: %s", strerror((int)-r));
	r = umx_evtchn_bind_interdomain(evt, victim, (umx_evtchn_port_t)port);
	expect(r, EINVAL, 0, "bind the port the victim offered the dead domain");
	umx_evtchn_close(evt);
	r = umx_xs_read(xs, 0, path, &val, NULL);
	expect(r, EACCES, 0, "read %s, readable by the dead domain", path);
	free(val);
	r = umx_xs_write_str(xs, 0, path, MARK);
	expect(r, EACCES, 0, "write %s", path);
	umx_xs_close(xs);
}

/* ---- attack: signal processes outside the domain -------------------------- */

static void attack_signal_host(void)
{
	struct target t[3];
	int nt = targets(t);

	for (int i = 0; i < nt; i++)
		expect(sys(kill(t[i].pid, 0)), ESRCH, 0, "kill(%d, 0) (%s, given)", (int)t[i].pid,
		       t[i].what);
	/* Real signals: ones the victim and the test count, and one that would
	 * stop umxd (the test checks it still runs). */
	for (int i = 0; i < nt; i++) {
		int sig = !strcmp(t[i].what, "umxd_pid") ? SIGTERM : SIGUSR1;
		expect(sys(kill(t[i].pid, sig)), ESRCH, 0, "kill(%d, %s) (%s, given)",
		       (int)t[i].pid, sigabbrev_np(sig), t[i].what);
		expect(sys(syscall(SYS_pidfd_open, t[i].pid, 0)), ESRCH, 0,
		       "pidfd_open(%d) to signal it (%s, given)", (int)t[i].pid, t[i].what);
	}
	/* Everything we may signal, probed harmlessly: nothing but ourselves. */
	expect(sys(kill(-1, 0)), ESRCH, 0, "kill(-1, 0): is there anything else to signal");
}

/* ---- attack: see other domains ----------------------------------------- */

static void attack_list_proc(void)
{
	struct target t[3];
	int nt = targets(t);
	pid_t pids[PIDS_MAX];
	int n = visible_pids(pids, PIDS_MAX);
	umx_xs *xs = domain_xs();
	char node[64], **names = NULL;
	unsigned count = 0;
	long r;

	for (int i = 0; i < n; i++) {
		char cmd[256];
		proc_cmdline(pids[i], cmd, sizeof(cmd));
		if (strstr(cmd, "umxd") || strstr(cmd, "umx_attacker victim") ||
		    strstr(cmd, "umx_attacker peer") || strstr(cmd, "test_hostile_"))
			breach("sees pid %d: %s", (int)pids[i], cmd);
	}
	note("sees %d other processes", n);
	for (int i = 0; i < nt; i++) {
		char path[64];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/%d", (int)t[i].pid);
		expect(sys(stat(path, &st)), ENOENT, 0, "stat %s (%s, given)", path, t[i].what);
	}
	/* The store does not list domains to a domain either (Xen: n0). */
	r = umx_xs_directory(xs, 0, "/local/domain", &names, &count);
	expect(r, EACCES, 0, "list /local/domain in the store");
	free(names);
	names = NULL;
	snprintf(node, sizeof(node), "/local/domain/%lld", param_num("victim"));
	r = umx_xs_directory(xs, 0, node, &names, &count);
	expect(r, EACCES, 0, "list %s in the store", node);
	free(names);
	umx_xs_close(xs);
}

/* ---- attack: write the host's files --------------------------------------- */

static void attack_write_host_fs(void)
{
	const char *dir = param("host_dir"), *file = param("host_file");
	const char *umx_dir = getenv("UMX_DIR") ? getenv("UMX_DIR") : param("umx_dir");
	char path[512];
	long r;
	int fd;

	if (!dir || !file)
		cannot_run("no host_dir/host_file parameter");
	/* What a domain keeps: reading what the host lets everyone read. */
	{
		char buf[64] = "";
		long n = -1;
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = sys(read(fd, buf, sizeof(buf) - 1));
			close(fd);
		}
		expect_works(fd < 0 ? -errno : n > 0 ? 0 : -EIO, "read %s", file);
	}
	snprintf(path, sizeof(path), "%s/pwned", dir);
	r = sys(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	if (expect(r, EROFS, 0, "create %s", path))
		close((int)r);
	r = sys(open(file, O_WRONLY | O_APPEND | O_CLOEXEC));
	if (expect(r, EROFS, 0, "open %s for writing", file)) {
		if (write((int)r, MARK, strlen(MARK)) > 0)
			breach("appended to %s", file);
		close((int)r);
	}
	expect(sys(truncate(file, 0)), EROFS, 0, "truncate %s", file);
	expect(sys(chmod(file, 0666)), EROFS, 0, "chmod %s", file);
	snprintf(path, sizeof(path), "%s/renamed", dir);
	expect(sys(rename(file, path)), EROFS, 0, "rename %s", file);
	snprintf(path, sizeof(path), "%s/sub", dir);
	expect(sys(mkdir(path, 0755)), EROFS, 0, "mkdir %s", path);
	expect(sys(unlink(file)), EROFS, 0, "unlink %s", file);
	/* $UMX_DIR is not there, or empty (a sandbox may cover it). */
	if (umx_dir) {
		DIR *d = opendir(umx_dir);
		struct dirent *e;
		int seen = 0;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.') {
				breach("sees %s/%s", umx_dir, e->d_name);
				seen++;
			}
		if (d)
			closedir(d);
		note("$UMX_DIR %s: %s", umx_dir,
		     !d     ? errname(errno)
		     : seen ? "listed"
		            : "empty, as it should be");
	}
	/* What we do have: a private writable /tmp. The test looks for this
	 * file on the host afterwards. */
	snprintf(path, sizeof(path), "/tmp/umx-attacker-%s", param("tag") ? param("tag") : "x");
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		note("create %s: %s (a domain should have a private /tmp)", path, errname(errno));
		if (verdict == OK)
			verdict = WRONG_REFUSAL;
	} else {
		note("created %s (a private /tmp)", path);
		close(fd);
	}
}

/* ---- attack: the host's network ---------------------------------------- */

static long connect_to(int family, const void *sa, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	long r;

	if (fd < 0)
		return -errno;
	r = connect(fd, sa, len) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static void attack_host_net(void)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	const char *abstract = param("abstract");
	struct if_nameindex *ifs;
	socklen_t len = sizeof(in);
	int lfd;

	/* A service the host runs on its loopback and on an abstract socket
	 * (both belong to a network namespace): not ours. */
	in.sin_port = htons((uint16_t)param_num("tcp_port"));
	expect(connect_to(AF_INET, &in, sizeof(in)), ECONNREFUSED, 0,
	       "connect to the host's 127.0.0.1:%lld", param_num("tcp_port"));
	if (abstract) {
		un.sun_path[0] = 0;
		snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "%s", abstract);
		expect(connect_to(AF_UNIX, &un,
		                  (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		                              strlen(abstract))),
		       ECONNREFUSED, 0, "connect to the host's abstract socket @%s", abstract);
	}
	/* Interfaces: only a loopback of our own. */
	if ((ifs = if_nameindex())) {
		for (struct if_nameindex *i = ifs; i->if_index; i++)
			if (strcmp(i->if_name, "lo"))
				breach("sees network interface %s", i->if_name);
		if_freenameindex(ifs);
	}
	/* What a domain keeps: its own loopback works. */
	in.sin_port = 0;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd >= 0 && bind(lfd, (struct sockaddr *)&in, sizeof(in)) == 0 && listen(lfd, 1) == 0 &&
	    getsockname(lfd, (struct sockaddr *)&in, &len) == 0)
		expect_works(connect_to(AF_INET, &in, sizeof(in)), "connect to our own loopback");
	else
		expect_works(-errno, "listen on our own loopback");
	if (lfd >= 0)
		close(lfd);
}

/* ---- attack: namespaces and the kernel's wider interfaces ---------------- */

/* Run @fn in a child (so a namespace it enters or a mount it makes dies
 * with it); returns its result, 0 or -errno. */
static long in_child(long (*fn)(long), long arg)
{
	int p[2], st;
	long r = -EIO;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		r = fn(arg);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &r, sizeof(r)) != sizeof(r))
		r = -EIO;
	close(p[0]);
	waitpid(pid, &st, 0);
	return r;
}

static long do_unshare(long flags)
{
	return sys(unshare((int)flags));
}

static long do_clone_newuser(long unused)
{
	pid_t pid;
	(void)unused;
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -errno;
	waitpid(pid, NULL, 0);
	return 0;
}

static long do_clone3_newuser(long unused)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
	long pid;
	(void)unused;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -errno;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

static long do_setns(long unused)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	long r;
	(void)unused;
	if (fd < 0)
		return -errno;
	r = sys(setns(fd, 0));
	close(fd);
	return r;
}

static void attack_namespaces(void)
{
	static const struct {
		int flag;
		const char *name;
	} ns[] = {{CLONE_NEWUSER, "CLONE_NEWUSER"},    {CLONE_NEWNS, "CLONE_NEWNS"},
	          {CLONE_NEWNET, "CLONE_NEWNET"},      {CLONE_NEWPID, "CLONE_NEWPID"},
	          {CLONE_NEWIPC, "CLONE_NEWIPC"},      {CLONE_NEWUTS, "CLONE_NEWUTS"},
	          {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}};

	for (unsigned i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		expect(in_child(do_unshare, ns[i].flag), EPERM, 0, "unshare(%s)", ns[i].name);
	expect(in_child(do_clone_newuser, 0), EPERM, 0, "clone(CLONE_NEWUSER)");
	expect(in_child(do_setns, 0), EPERM, 0, "setns(our own network namespace)");
	/* seccomp cannot read clone3's flags (they are behind a pointer), so a
	 * filter refuses clone3 as a whole with ENOSYS and libc falls back. */
	expect(in_child(do_clone3_newuser, 0), ENOSYS, EPERM, "clone3(CLONE_NEWUSER)");
}

static long do_mount(long unused)
{
	char dir[] = "/tmp/umx-attacker-mnt-XXXXXX";
	long r;
	(void)unused;
	/* If we can make a mount namespace, the mount below lands in it alone;
	 * if not (sandboxed), the filter refuses mount before looking at it. */
	(void)unshare(CLONE_NEWNS);
	(void)mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (!mkdtemp(dir))
		snprintf(dir, sizeof(dir), "/nonexistent");
	r = sys(mount("none", dir, "tmpfs", 0, NULL));
	if (r == 0)
		umount(dir);
	rmdir(dir);
	return r;
}

static long do_chroot(long unused)
{
	(void)unused;
	return sys(chroot("/tmp"));
}

static void attack_kernel_surface(void)
{
	union bpf_attr attr;
	struct perf_event_attr pe;
	long r;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	r = sys(syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
	if (expect(r, EPERM, 0, "bpf(BPF_MAP_CREATE)"))
		close((int)r);
	memset(&pe, 0, sizeof(pe));
	pe.type = PERF_TYPE_SOFTWARE;
	pe.size = sizeof(pe);
	pe.config = PERF_COUNT_SW_CPU_CLOCK;
	pe.disabled = 1;
	r = sys(syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
	if (expect(r, EPERM, 0, "perf_event_open(cpu-clock, self)"))
		close((int)r);
	r = sys(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
	expect(r, EPERM, 0, "keyctl(KEYCTL_GET_KEYRING_ID, session)");
	r = sys(syscall(SYS_add_key, "user", "umx-attacker", "x", 1, KEY_SPEC_PROCESS_KEYRING));
	expect(r, EPERM, 0, "add_key(user)");
	r = sys(syscall(SYS_request_key, "user", "umx-attacker", NULL, 0));
	expect(r, EPERM, 0, "request_key(user)");
	expect(in_child(do_mount, 0), EPERM, 0, "mount(tmpfs)");
	expect(in_child(do_chroot, 0), EPERM, 0, "chroot(/tmp)");
	r = sys(syscall(SYS_userfaultfd, O_CLOEXEC));
	if (expect(r, EPERM, 0, "userfaultfd"))
		close((int)r);
	{
		/* The classic container escape: a handle to a file outside. */
		struct {
			unsigned int handle_bytes;
			int handle_type;
			unsigned char f_handle[8];
		} h = {.handle_bytes = 8, .handle_type = 1};
		r = sys(syscall(SYS_open_by_handle_at, AT_FDCWD, &h, O_RDONLY));
		if (expect(r, EPERM, 0, "open_by_handle_at"))
			close((int)r);
	}
	/* Typing into the launcher's terminal (bubblewrap's CVE-2017-5226). */
	expect(sys(ioctl(0, TIOCSTI, "x")), EPERM, 0, "ioctl(TIOCSTI) on stdin");
	expect(sys(syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, 0, 0)), EPERM, 0,
	       "kcmp(self, self)");
	{
		char a[8] = "", b[8];
		struct iovec l = {b, sizeof(b)}, rm = {a, sizeof(a)};
		expect(sys(process_vm_readv(getpid(), &l, 1, &rm, 1, 0)), EPERM, 0,
		       "process_vm_readv(self)");
		expect(sys(process_vm_writev(getpid(), &l, 1, &rm, 1, 0)), EPERM, 0,
		       "process_vm_writev(self)");
	}
}

/* ---- attack: trace our parent ------------------------------------------- */

/* Attach; if that works, wait for the stop and detach at once, so a missing
 * defence costs the traced process nothing but a pause. */
static void try_attach(pid_t pid, const char *what)
{
	long r = sys(ptrace(PTRACE_ATTACH, pid, NULL, NULL));
	if (expect(r, EPERM, 0, "ptrace(PTRACE_ATTACH, %d) (%s)", (int)pid, what)) {
		int st;
		waitpid(pid, &st, __WALL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
}

static long do_traceme(long unused)
{
	(void)unused;
	return sys(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
}

static void attack_ptrace_parent(void)
{
	struct target t[3];
	int nt = targets(t);
	long r;

	try_attach(getppid(), "our parent");
	for (int i = 0; i < nt; i++)
		try_attach(t[i].pid, t[i].what);
	/* The other way round: ask to be traced by our parent. */
	r = in_child(do_traceme, 0);
	expect(r, EPERM, 0, "ptrace(PTRACE_TRACEME)");
}

/* ---- main ----------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
} attacks[] = {
        {"proc-mem", attack_proc_mem},
        {"steal-fds", attack_steal_fds},
        {"map-foreign-grant", attack_map_foreign_grant},
        {"toolstack", attack_toolstack},
        {"readonly-grant", attack_readonly_grant},
        {"recycled-domid", attack_recycled_domid},
        {"signal-host", attack_signal_host},
        {"list-proc", attack_list_proc},
        {"write-host-fs", attack_write_host_fs},
        {"host-net", attack_host_net},
        {"namespaces", attack_namespaces},
        {"kernel-surface", attack_kernel_surface},
        {"ptrace-parent", attack_ptrace_parent},
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: umx_attacker victim|peer|ATTACK (KEY=VALUE... on stdin)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "victim"))
		return run_victim();
	if (!strcmp(argv[1], "peer"))
		return run_peer();
	for (unsigned i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		if (strcmp(argv[1], attacks[i].name))
			continue;
		if (read_params() < 0)
			cannot_run("no parameters on stdin");
		heap_pattern_set(param("token") ? strtoull(param("token"), NULL, 10) : 0);
		attacks[i].fn();
		note("%s: %s", attacks[i].name,
		     verdict == OK              ? "every attempt refused as expected"
		     : verdict == BREACHED      ? "BREACHED"
		     : verdict == WRONG_REFUSAL ? "refused, but not all the expected way"
		                                : "?");
		return verdict;
	}
	fprintf(stderr, "umx_attacker: unknown attack %s\n", argv[1]);
	return 2;
}
