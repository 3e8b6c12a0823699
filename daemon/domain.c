/* SPDX-License-Identifier: MIT */
/*
 * Domain lifecycle. A domain is created by the toolstack, gets a domid and
 * a connection, runs, and dies when that connection goes away (exit, crash,
 * kill -9 or destroy all look the same from here). Death releases its
 * ports, maps and store nodes at once; the domain record itself lives on
 * (state DEAD, domid reserved) while other domains still map pages it
 * granted, so a domid is never reused while anything of the old one lives.
 * Once it is reused, the new holder is a new instance: grants, unbound
 * ports and store permissions that named the old one do not carry over
 * (regions and ports record the instance; the store scrubs at death).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umx/internal/proc.h"
#include "umx/log.h"
#include "trace.h"
#include "umxd.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* FNV-1a: names are short and chosen by the toolstack, which is trusted
 * (and bounded: a chain is at most the domains alive). */
static struct umxd_domain **name_bucket(struct umxd *umxd, const char *name)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &umxd->by_name[h & (UMXD_NAME_BUCKETS - 1)];
}

static void name_unlink(struct umxd_domain *dom)
{
	for (struct umxd_domain **pp = name_bucket(dom->umxd, dom->name); *pp;
	     pp = &(*pp)->name_next) {
		if (*pp == dom) {
			*pp = dom->name_next;
			return;
		}
	}
}

struct umxd_domain *umxd_domain_get(struct umxd *umxd, uint32_t domid)
{
	if (domid < UMXD_DOMID_FIRST || domid > UMXD_DOMID_LAST)
		return NULL;
	return umxd->domains[domid];
}

struct umxd_domain *umxd_domain_live(struct umxd *umxd, uint32_t domid)
{
	struct umxd_domain *dom = umxd_domain_get(umxd, domid);
	return dom && dom->conn ? dom : NULL;
}

struct umxd_domain *umxd_domain_live_instance(struct umxd *umxd, uint32_t domid, uint64_t instance)
{
	struct umxd_domain *dom = umxd_domain_live(umxd, domid);
	return dom && dom->instance == instance ? dom : NULL;
}

void umxd_domain_ref(struct umxd_domain *dom)
{
	dom->refs++;
}

static void answer_waiters(struct umxd_domain *dom)
{
	struct umx_ctl_wait_reply r = {0};
	r.exit_status = dom->exited ? dom->exit_status : -1;
	while (dom->waiters) {
		struct umxd_waiter *w = dom->waiters;
		dom->waiters = w->next;
		umxd_reply_to(w->conn, UMX_CTL_DOMAIN_WAIT, w->id, 0, UMX_CTL_REPLY_BODY(&r),
		              UMX_CTL_REPLY_BODY_LEN(&r));
		free(w);
	}
}

void umxd_domain_unref(struct umxd_domain *dom)
{
	struct umxd *umxd = dom->umxd;
	if (--dom->refs)
		return;
	umx_debug("domain %u: last reference gone, domid free", dom->domid);
	umxd_trace(umxd, UMX_TR_DOM_FREED, dom->domid, UMX_TRACE_NONE, 0, 0, 0, NULL);
	answer_waiters(dom);
	umxd->graves[umxd->grave_next].domid = dom->domid;
	umxd->graves[umxd->grave_next].exit_status = dom->exited ? dom->exit_status : -1;
	umxd->grave_next = (umxd->grave_next + 1) % UMXD_GRAVEYARD;
	umxd_gnt_domain_free(dom);
	umxd_evt_domain_free(dom);
	name_unlink(dom);
	umxd->domains[dom->domid] = NULL;
	umxd->ndomains--;
	umxd->freed_objects++;
	free(dom);
}

static int alloc_domid(struct umxd *umxd, uint32_t *out)
{
	uint32_t last = umxd->domid_last ? umxd->domid_last : UMXD_DOMID_LAST;
	uint32_t span = last - UMXD_DOMID_FIRST + 1;
	for (uint32_t i = 0; i < span; i++) {
		uint32_t d = umxd->next_domid;
		umxd->next_domid = d >= last ? UMXD_DOMID_FIRST : d + 1;
		if (!umxd->domains[d]) {
			*out = d;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Names follow xl's habits: letters, digits, '-', '_', '.', not all
 * digits (an argument that is all digits is a domid), at most
 * UMX_NAME_MAX - 1 bytes, unique among the domains not yet dead. The
 * toolstack states the same rules to its user; this is the check that
 * counts. "" asks for the default name "domain-<domid>". */
static int name_check(struct umxd *umxd, const char *name)
{
	bool digits = true;
	size_t len = strlen(name);

	if (len >= UMX_NAME_MAX)
		return -ENAMETOOLONG;
	for (const char *p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return -EINVAL;
		digits &= *p >= '0' && *p <= '9';
	}
	if (len && digits)
		return -EINVAL;
	if (!len)
		return 0;
	for (const struct umxd_domain *dom = *name_bucket(umxd, name); dom; dom = dom->name_next)
		if (dom->state != UMX_DOM_DEAD && dom->state != UMX_DOM_DYING &&
		    !strcmp(dom->name, name))
			return -EEXIST;
	return 0;
}

int umxd_domain_create(struct umxd *umxd, const char *name, uint32_t grant_frames,
                       struct umxd_conn *owner, struct umxd_domain **out)
{
	struct umxd_domain *dom;
	uint32_t domid;
	int r;

	if ((r = name_check(umxd, name)) < 0)
		return r;
	if (grant_frames == 0)
		grant_frames = UMXD_GRANT_FRAMES_DEFAULT;
	if (grant_frames > UMXD_GRANT_FRAMES_MAX)
		return -EINVAL;
	if ((r = alloc_domid(umxd, &domid)) < 0)
		return r;
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return -ENOMEM;
	dom->umxd = umxd;
	dom->domid = domid;
	dom->instance = ++umxd->next_instance;
	/* One reference for being alive, one held until its creator reports
	 * the exit status (or goes away), so `umx wait` can tell it. */
	dom->refs = owner ? 2 : 1;
	dom->owner = owner;
	dom->state = UMX_DOM_STARTING;
	dom->pidfd = -1;
	if (*name)
		snprintf(dom->name, sizeof(dom->name), "%s", name);
	else
		snprintf(dom->name, sizeof(dom->name), "domain-%u", domid);
	if ((r = umxd_gnt_domain_init(dom, grant_frames)) < 0 ||
	    (r = umxd_evt_domain_init(dom)) < 0) {
		umxd_gnt_domain_free(dom);
		umxd_evt_domain_free(dom);
		free(dom);
		return r;
	}
	umxd->domains[domid] = dom;
	umxd->ndomains++;
	{
		struct umxd_domain **b = name_bucket(umxd, dom->name);
		dom->name_next = *b;
		*b = dom;
	}
	*out = dom;
	return 0;
}

void umxd_domain_died(struct umxd_domain *dom, const char *why)
{
	if (dom->state == UMX_DOM_DYING || dom->state == UMX_DOM_DEAD)
		return;
	umx_info("domain %u (%s) died: %s", dom->domid, dom->name, why);
	umxd_trace(dom->umxd, UMX_TR_DOM_DIED, dom->domid, UMX_TRACE_NONE, 0, 0, 0, why);
	dom->state = UMX_DOM_DYING;
	if (dom->conn) {
		struct umxd_conn *c = dom->conn;
		dom->conn = NULL;
		c->dom = NULL;
		umxd_conn_drop(c, why);
	}
	/* Grants first: their unmap notifies send events on ports that the
	 * event-channel release is about to close. */
	umxd_gnt_domain_release(dom);
	umxd_evt_domain_release(dom);
	umxd_store_domain_release(dom);
	/* The exit status comes from `umx run`; without an owner it never will. */
	if (dom->exited || !dom->owner) {
		dom->state = UMX_DOM_DEAD;
		answer_waiters(dom);
	}
	umxd_domain_unref(dom);
}

void umxd_domain_forget_conn(struct umxd *umxd, struct umxd_conn *conn)
{
	/* Stop after the last domain: every toolstack client's goodbye must
	 * not cost a walk of the whole domid space. */
	unsigned left = umxd->ndomains;

	for (uint32_t d = UMXD_DOMID_FIRST; d <= UMXD_DOMID_LAST && left; d++) {
		struct umxd_domain *dom = umxd->domains[d];
		if (!dom)
			continue;
		left--;
		for (struct umxd_waiter **pp = &dom->waiters; *pp;) {
			if ((*pp)->conn == conn) {
				struct umxd_waiter *w = *pp;
				*pp = w->next;
				free(w);
			} else {
				pp = &(*pp)->next;
			}
		}
		if (dom->owner == conn) {
			dom->owner = NULL;
			if (dom->state == UMX_DOM_DYING) {
				dom->state = UMX_DOM_DEAD;
				answer_waiters(dom);
			}
			if (!dom->exited)
				umxd_domain_unref(dom); /* the status will never come */
		}
	}
}

/* ---- toolstack requests ---------------------------------------------- */

int umxd_h_domain_create(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_domain_create req;
	struct umx_ctl_domain_reply rep = {0};
	struct umxd_domain *dom;
	struct umxd_conn *dc;
	int sv[2], r;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	if (memchr(req.name, 0, sizeof(req.name)) == NULL)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	if ((r = umxd_domain_create(c->umxd, req.name, req.grant_frames, c, &dom)) < 0)
		return umxd_reply(c, m, r, NULL, 0, NULL, 0);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		goto fail;
	}
	/* The grant table's memfd came first; the socket pair is the highest
	 * descriptor the new domain costs (its pidfd comes later, one more). */
	if (umxd_loop_fd_check(c->umxd->loop, sv[1] + 1, UMXD_FD_RESERVE_TOOLSTACK) < 0) {
		r = -EMFILE;
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 ||
	    !(dc = umxd_conn_add_domain(c->umxd, sv[0], dom))) {
		r = -ENOMEM;
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	dom->conn = dc;
	umxd_store_domain_introduce(dom);
	rep.domid = dom->domid;
	umx_info("domain %u (%s) created", dom->domid, dom->name);
	umxd_reply(c, m, 0, UMX_CTL_REPLY_BODY(&rep), UMX_CTL_REPLY_BODY_LEN(&rep), &sv[1], 1);
	close(sv[1]);
	return 0;
fail:
	/* Never alive, and no exit status will come: both references go
	 * (the creator's too, or the record and its grant table would stay). */
	dom->state = UMX_DOM_DEAD;
	dom->owner = NULL;
	dom->refs = 1;
	umxd_domain_unref(dom);
	return umxd_reply(c, m, r, NULL, 0, NULL, 0);
}

static struct umxd_domain *owned_domain(struct umxd_conn *c, uint32_t domid)
{
	struct umxd_domain *dom = umxd_domain_get(c->umxd, domid);
	return dom && dom->state != UMX_DOM_DEAD ? dom : NULL;
}

/* ---- the domain's process: a pidfd, never a pid number ----------------- */

/* The pid (in our pid namespace) of the process behind @pidfd, from the
 * kernel's own account of it: -ESRCH once it is gone, -EBADF when @pidfd is
 * no pidfd at all. */
static int pidfd_pid(int pidfd)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	long pid;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	p = strstr(buf, "\nPid:\t");
	if (!p)
		return -EBADF;
	pid = strtol(p + 6, NULL, 10);
	if (pid <= 0) /* -1: exited; 0: not visible from our namespace */
		return -ESRCH;
	return (int)pid;
}

static pid_t parent_of(pid_t pid)
{
	char path[64];
	long ppid;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return umx_proc_read_num(path, "PPid:", &ppid) == 0 ? (pid_t)ppid : -1;
}

/* Is @pid a descendant of @ancestor? Bounded: the chain is the kernel's, but
 * a loop must never run unbounded on anything read at run time. */
static bool descends_from(pid_t pid, pid_t ancestor)
{
	for (int depth = 0; depth < 64 && pid > 1; depth++) {
		pid = parent_of(pid);
		if (pid == ancestor)
			return true;
	}
	return false;
}

int umxd_pidfd_signal(struct umxd *umxd, int pidfd, int sig)
{
	return umxd->fx.signal(umxd->fx.ctx, pidfd, sig);
}

void umxd_domain_proc_ended(struct umxd_domain *dom)
{
	umx_debug("domain %u (%s): its process %d ended", dom->domid, dom->name, (int)dom->pid);
	umxd_domain_proc_release(dom);
	umxd_domain_unref(dom); /* may free it */
}

static void proc_ended(struct umxd_io *io, uint32_t events, void *ctx)
{
	(void)io;
	(void)events;
	umxd_domain_proc_ended(ctx);
}

void umxd_domain_proc_release(struct umxd_domain *dom)
{
	if (dom->proc_io)
		umxd_io_del(dom->proc_io);
	dom->proc_io = NULL;
	if (dom->pidfd >= 0)
		close(dom->pidfd);
	dom->pidfd = -1;
}

static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* umxd plays the domains' hypervisor: when it stops, they stop. Each
 * domain's process is ended through its pidfd (a sandbox's init is pid 1
 * of the domain's pid namespace, so the kernel ends everything in it with
 * init), then we wait for the pidfds to report the exits, so that umxd
 * exiting, and `umx daemon stop` returning, mean the domains are gone.
 * A domain whose launcher never reported a process has none we know of:
 * its launcher sees our connection close and ends it (lib/domain.c). */
unsigned umxd_domain_end_all(struct umxd *umxd, int timeout_ms)
{
	struct pollfd *p = calloc(UMXD_DOMID_LAST + 1, sizeof(*p));
	struct timespec deadline;
	unsigned n = 0, left;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	for (uint32_t d = UMXD_DOMID_FIRST; d <= UMXD_DOMID_LAST; d++) {
		struct umxd_domain *dom = umxd->domains[d];
		if (!dom || dom->pidfd < 0)
			continue;
		umx_info("domain %u (%s): ended: umxd is stopping", dom->domid, dom->name);
		umxd_pidfd_signal(dom->umxd, dom->pidfd, SIGKILL);
		if (p) {
			p[n].fd = dom->pidfd;
			p[n].events = POLLIN;
		}
		n++;
	}
	if (!p) /* no memory to wait with: the signals are sent all the same */
		return n;
	for (left = n; left;) {
		int r = poll(p, n, ms_left(&deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (unsigned i = 0; i < n; i++)
			if (p[i].fd >= 0 && p[i].revents) {
				p[i].fd = -1; /* poll skips it from now on */
				left--;
			}
	}
	if (left)
		umx_warn("%u of %u domains still had processes %d ms after SIGKILL", left, n,
		         timeout_ms);
	free(p);
	return n;
}

int umxd_h_domain_set_pidfd(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_domain_pidfd req;
	struct umxd_domain *dom;
	int pidfd, pid;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0 || m->nfds != 1)
		return -EBADMSG;
	dom = owned_domain(c, req.domid);
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if (dom->owner != c || dom->pidfd >= 0 ||
	    (req.flags & ~(UMX_DOMAIN_F_NO_SANDBOX | UMX_DOMAIN_F_NET_HOST)))
		return umxd_reply(c, m, -EPERM, NULL, 0, NULL, 0);
	pidfd = m->fds[0];
	pid = pidfd_pid(pidfd);
	if (pid < 0)
		return umxd_reply(c, m, pid == -ESRCH ? -ESRCH : -EBADF, NULL, 0, NULL, 0);
	/* Only the launcher's own child (or its descendant) can be the domain:
	 * anything else would let a toolstack client aim `destroy` at a
	 * process it did not start. The pidfd pins the process, so once it is
	 * known to be alive after the walk, @pid named it throughout. */
	if (!descends_from(pid, c->peer_pid) || umxd_pidfd_signal(c->umxd, pidfd, 0) < 0) {
		umx_warn("domain %u: toolstack pid %d offered process %d, not its descendant: "
		         "refused",
		         dom->domid, (int)c->peer_pid, pid);
		return umxd_reply(c, m, -EPERM, NULL, 0, NULL, 0);
	}
	dom->proc_io = umxd_io_add(c->umxd->loop, pidfd, EPOLLIN, proc_ended, dom);
	if (!dom->proc_io)
		return umxd_reply(c, m, -ENOMEM, NULL, 0, NULL, 0);
	dom->pidfd = umx_msg_take_fd(m, 0);
	dom->pid = pid;
	dom->flags = req.flags;
	/* The record, and so its domid (and the uid a sandbox derives from
	 * it), stays taken while any process of the domain may live. */
	umxd_domain_ref(dom);
	/* Destroyed between its creation and now: its process must not run. */
	if (dom->destroyed)
		umxd_pidfd_signal(dom->umxd, dom->pidfd, SIGKILL);
	if (dom->state == UMX_DOM_STARTING)
		dom->state = UMX_DOM_RUNNING;
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

int umxd_h_domain_exited(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_domain_exited req;
	struct umxd_domain *dom;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	dom = owned_domain(c, req.domid);
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if (dom->owner != c || dom->exited)
		return umxd_reply(c, m, -EPERM, NULL, 0, NULL, 0);
	dom->exited = true;
	dom->exit_status = req.status;
	if (WIFSIGNALED(req.status)) {
		const char *sig = sigabbrev_np(WTERMSIG(req.status));
		umx_info("domain %u (%s): its program was killed by signal %d (SIG%s)", dom->domid,
		         dom->name, WTERMSIG(req.status), sig ? sig : "?");
	} else
		umx_info("domain %u (%s): its program exited with status %d", dom->domid, dom->name,
		         WEXITSTATUS(req.status));
	if (dom->state == UMX_DOM_DYING) {
		dom->state = UMX_DOM_DEAD;
		answer_waiters(dom);
	}
	umxd_reply(c, m, 0, NULL, 0, NULL, 0);
	umxd_domain_unref(dom); /* may free it: nothing below touches it */
	return 0;
}

int umxd_h_domain_list(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_domain_list_req req;
	static struct umx_ctl_domain_info info[UMX_CTL_LIST_MAX];
	static uint8_t body[UMX_MSG_MAX_PAYLOAD];
	struct umxd *umxd = c->umxd;
	struct umx_msg_wr w;
	uint32_t count = 0;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	umxd_gnt_drain_all(umxd); /* the counts below are what mappers unmapped */
	for (uint32_t d = req.start_domid < UMXD_DOMID_FIRST ? UMXD_DOMID_FIRST : req.start_domid;
	     d <= UMXD_DOMID_LAST && count < UMX_CTL_LIST_MAX; d++) {
		struct umxd_domain *dom = umxd->domains[d];
		struct umx_ctl_domain_info *i;
		if (!dom)
			continue;
		i = &info[count++];
		memset(i, 0, sizeof(*i));
		i->domid = dom->domid;
		i->pid = dom->pid;
		i->state = dom->state;
		i->flags = dom->flags | (dom->paused ? UMX_DOMAIN_F_PAUSED : 0) |
		           (dom->reboot ? UMX_DOMAIN_F_REBOOT : 0);
		i->exit_status = dom->exited ? dom->exit_status : -1;
		umxd_gnt_stats(dom, &i->grants_active, &i->pages_mapped, &i->regions);
		i->ports = umxd_evt_port_count(dom);
		memcpy(i->name, dom->name, sizeof(i->name));
	}
	/* Body after the result: count (0 for an empty page), then the
	 * entries (ctl.h layout). */
	umx_msg_wr_init(&w, body, sizeof(body));
	UMX_MSG_PUT(&w, &count);
	umx_msg_put(&w, info, count * sizeof(info[0]));
	return umxd_reply(c, m, 0, w.p, w.len, NULL, 0);
}

int umxd_h_domain_destroy(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_domid req;
	struct umxd_domain *dom;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	dom = umxd_domain_get(c->umxd, req.domid);
	if (!dom || dom->state == UMX_DOM_DEAD || dom->state == UMX_DOM_DYING)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	umx_info("domain %u (%s): destroyed by toolstack pid %d", dom->domid, dom->name,
	         (int)c->peer_pid);
	dom->destroyed = true;
	if (dom->pidfd >= 0)
		umxd_pidfd_signal(dom->umxd, dom->pidfd, SIGKILL);
	umxd_domain_died(dom, "destroyed");
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

int umxd_h_domain_wait(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_domid req;
	struct umxd_domain *dom;
	struct umxd_waiter *w;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	dom = umxd_domain_get(c->umxd, req.domid);
	if (!dom) {
		/* Newest grave first: a domid may have died more than once. */
		for (unsigned i = 1; i <= UMXD_GRAVEYARD; i++) {
			struct umxd_grave *g =
			        &c->umxd->graves[(c->umxd->grave_next + UMXD_GRAVEYARD - i) %
			                         UMXD_GRAVEYARD];
			if (g->domid == req.domid && req.domid)
				return umxd_reply(c, m, 0, &g->exit_status, sizeof(int32_t), NULL,
				                  0);
		}
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	}
	if (dom->state == UMX_DOM_DEAD) {
		int32_t st = dom->exited ? dom->exit_status : -1;
		return umxd_reply(c, m, 0, &st, sizeof(st), NULL, 0);
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return umxd_reply(c, m, -ENOMEM, NULL, 0, NULL, 0);
	w->conn = c;
	w->id = m->hdr.id;
	w->next = dom->waiters;
	dom->waiters = w;
	return 0;
}

/* Send @sig to every process of @dom: its process, then, breadth first,
 * every descendant, as the kernel lists them (/proc/PID/task/TID/children).
 * Each is pinned by a pidfd and checked to still be the child of the parent
 * it was listed under before it is signalled, so a recycled pid is never
 * hit. Bounded: a domain with more processes than this is told so in the
 * log. A sandboxed domain's tree is its pid namespace. */
#define SIGNAL_TREE_MAX 4096
static int signal_tree(struct umxd_domain *dom, int sig)
{
	pid_t *q = malloc(SIGNAL_TREE_MAX * sizeof(*q));
	unsigned head = 0, tail = 0;
	int r;

	if (!q)
		return -ENOMEM;
	if ((r = umxd_pidfd_signal(dom->umxd, dom->pidfd, sig)) < 0) {
		free(q);
		return r;
	}
	q[tail++] = dom->pid;
	while (head < tail) {
		pid_t parent = q[head++];
		char path[64], buf[4096], *p, *end;
		ssize_t n;
		int fd;

		/* Threads are listed per task; a process's children hang
		 * off the thread that forked them, the main one for most. */
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)parent, (int)parent);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		for (p = buf; *p; p = end) {
			long pid = strtol(p, &end, 10);
			int pfd;
			if (end == p)
				break;
			if (pid <= 1 || tail == SIGNAL_TREE_MAX)
				continue;
			pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
			if (pfd < 0)
				continue;
			if (parent_of((pid_t)pid) == parent &&
			    umxd_pidfd_signal(dom->umxd, pfd, sig) == 0)
				q[tail++] = (pid_t)pid;
			close(pfd);
		}
	}
	if (tail == SIGNAL_TREE_MAX)
		umx_warn("domain %u (%s): signal %d reached only its first %u processes",
		         dom->domid, dom->name, sig, SIGNAL_TREE_MAX);
	free(q);
	return 0;
}

int umxd_h_domain_signal(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_domain_signal req;
	struct umxd_domain *dom;
	int r = 0;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	if (req.flags & ~UMX_SIGNAL_REBOOT)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	switch (req.sig) {
	case 0:
	case SIGTERM:
	case SIGINT:
	case SIGHUP:
	case SIGSTOP:
	case SIGCONT:
		break;
	default:
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	}
	dom = umxd_domain_live(c->umxd, req.domid);
	if (!dom || dom->pidfd < 0)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if (req.flags & UMX_SIGNAL_REBOOT)
		dom->reboot = true;
	if (req.sig == SIGSTOP || req.sig == SIGCONT) {
		if ((r = signal_tree(dom, req.sig)) == 0)
			dom->paused = req.sig == SIGSTOP;
	} else if (req.sig) {
		r = umxd_pidfd_signal(c->umxd, dom->pidfd, req.sig);
	}
	umx_info("domain %u (%s): signal %d%s from toolstack pid %d%s%s", dom->domid, dom->name,
	         req.sig, req.flags & UMX_SIGNAL_REBOOT ? " (reboot)" : "", (int)c->peer_pid,
	         r ? ": " : "", r ? strerror(-r) : "");
	return umxd_reply(c, m, r, NULL, 0, NULL, 0);
}
