/* SPDX-License-Identifier: MIT */
/*
 * umx attack ROLE TARGET [--attack NAME|all] [--json] [--timeout S]
 * umx attack --list
 *
 * The hostile peer as a tool: umx plays one end of a device against the
 * target (tools/attack/attack.h has the model and the verdicts). On umxd
 * the toolstack side (this process) makes one device per attack, plus a
 * probe, and starts the attacking end as a domain of its own, which hands
 * its verdicts back over an inherited pipe; on real Xen (dom0) one process
 * does both. Exit 0 when nothing was vulnerable, 1 when something was, 2
 * on a usage error, 3 when the run could not be made.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "umx.h"
#include "umx/domain.h"

static const char usage_text[] =
        "usage: umx attack ROLE TARGET [--attack NAME|all] [--json] [--timeout SECONDS]\n"
        "       umx attack store-client TARGET --store SOCKET [...]\n"
        "       umx attack --list\n"
        "Play one end of a device against TARGET (a domain: domid or name; on Xen a\n"
        "domid, run in dom0): honestly until the handshake is done, then one attack\n"
        "per fresh device, and judge what the target did: rejected, vulnerable (with\n"
        "the evidence), hung or inconclusive. --list prints the roles and attacks\n"
        "(docs/ATTACKS.md explains them). --timeout bounds each phase (handshake,\n"
        "traffic; default 10 s). --store: attack the XenStore listening on SOCKET,\n"
        "as the toolstack, instead of our own. ROLE: netback (attacks a netfront),\n"
        "netfront (a netback), grant-mapper (a netfront's grants), store-client.\n"
        "Exit 0: nothing vulnerable; 1: something was; 2: usage; 3: the run could\n"
        "not be made.\n";

struct opts {
	const struct attack_role *role;
	const struct attack_def *as[ATTACK_MAX];
	unsigned n;
	uint32_t target;
	unsigned timeout_ms;
	bool json;
	const char *store; /* store-client --store SOCKET */
};

/* The first devid from which @count vifs are free in the device
 * directories of both @a and @b (target and attacker: either may be the
 * frontend, by role). */
static unsigned free_devid0(umx_xs *xs, uint32_t a, uint32_t b, unsigned count)
{
	unsigned d0 = 0;

	for (unsigned d = 0; d < d0 + count && d < 60000; d++)
		for (int k = 0; k < 2; k++) {
			char path[96], *v = NULL;
			snprintf(path, sizeof(path), "/local/domain/%u/device/vif/%u", k ? b : a,
			         d);
			if (umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) == 0) {
				free(v);
				d0 = d + 1;
			}
		}
	return d0;
}

static int attach_all(const struct opts *o, umx_xs *xs, uint32_t attacker, unsigned d0)
{
	for (unsigned i = 0; o->role->attach && i <= o->n; i++) {
		int r = o->role->attach(xs, o->target, attacker, d0 + i);
		/* A domain just created may not have its store directory yet. */
		for (int k = 0; r == -ENOENT && k < 100; k++) {
			usleep(20000);
			r = o->role->attach(xs, o->target, attacker, d0 + i);
		}
		if (r < 0) {
			fprintf(stderr, "umx attack: device %u of domain %u: %s\n", d0 + i,
			        o->target, strerror(-r));
			return r;
		}
	}
	return 0;
}

static void detach_all(const struct opts *o, umx_xs *xs, uint32_t attacker, unsigned d0)
{
	for (unsigned i = 0; o->role->detach && i <= o->n; i++)
		(void)o->role->detach(xs, o->target, attacker, d0 + i);
}

static int report(const struct opts *o, const char *platform, const struct attack_result *r,
                  unsigned n)
{
	if (o->json)
		attack_report_json(stdout, o->role->name, o->target, platform, r, n);
	else
		attack_report_table(stdout, o->role->name, o->target, r, n);
	return attack_any_vulnerable(r, n) ? 1 : 0;
}

/* Real Xen: dom0 is toolstack and attacker at once. */
static int run_on_xen(const struct opts *o)
{
	static struct attack_result res[ATTACK_MAX];
	umx_plat *p;
	int r;

	if ((r = umx_plat_open(NULL, &p)) < 0) {
		fprintf(stderr, "umx attack: the Xen platform: %s\n", strerror(-r));
		return 3;
	}
	struct attack_session s = {
	        .p = p, .target = o->target, .timeout_ms = o->timeout_ms, .log = stderr};
	umx_xs *xs = umx_plat_xs(p);
	s.devid0 = free_devid0(xs, o->target, umx_plat_domid(p), o->n + 1);
	if (attach_all(o, xs, umx_plat_domid(p), s.devid0) < 0)
		r = -EIO;
	else
		r = o->role->run(&s, o->as, o->n, res);
	detach_all(o, xs, umx_plat_domid(p), s.devid0);
	umx_plat_close(p);
	if (r < 0)
		return 3;
	return report(o, "xen", res, o->n);
}

/* store-client --store: in this process, as the toolstack. */
static int run_on_socket(const struct opts *o)
{
	static struct attack_result res[ATTACK_MAX];
	struct attack_session s = {.target = o->target,
	                           .timeout_ms = o->timeout_ms,
	                           .log = stderr,
	                           .store_path = o->store};

	if (o->role->run(&s, o->as, o->n, res) < 0)
		return 3;
	return report(o, "socket", res, o->n);
}

/* umxd: the attacking end is a domain of its own (a sandboxed one, like
 * any); we make its devices and read its verdicts. */
static int run_on_umxd(const struct opts *o, const char *target_arg)
{
	static struct attack_result res[ATTACK_MAX];
	struct umx_domain_proc proc;
	char exe[PATH_MAX], fdarg[16], tgt[16], d0arg[16], tmo[16], *argv[ATTACK_MAX + 10];
	unsigned got = 0, d0;
	umx_conn *ts;
	umx_xs *xs = NULL;
	int fds[2] = {-1, -1}, status = 0, ret = 3, r, argc = 0;
	FILE *in = NULL;
	ssize_t len;
	uint32_t target;

	if (tool_connect(&ts) < 0)
		return 3;
	if (tool_domain(ts, "umx attack", target_arg, &target) < 0) {
		umx_conn_close(ts);
		return 2;
	}
	struct opts oo = *o;
	oo.target = target;
	if ((r = tool_store_of(ts, &xs)) < 0) {
		fprintf(stderr, "umx attack: the store: %s\n", strerror(-r));
		goto out;
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0 || pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, "umx attack: %s\n", strerror(errno));
		goto out;
	}
	exe[len] = 0;
	d0 = free_devid0(xs, target, target, o->n + 1); /* the attacker is new */
	snprintf(fdarg, sizeof(fdarg), "%d", fds[1]);
	snprintf(tgt, sizeof(tgt), "%u", target);
	snprintf(d0arg, sizeof(d0arg), "%u", d0);
	snprintf(tmo, sizeof(tmo), "%u", o->timeout_ms);
	argv[argc++] = exe;
	argv[argc++] = "attack";
	argv[argc++] = "--serve";
	argv[argc++] = fdarg;
	argv[argc++] = (char *)o->role->name;
	argv[argc++] = tgt;
	argv[argc++] = d0arg;
	argv[argc++] = tmo;
	for (unsigned i = 0; i < o->n; i++)
		argv[argc++] = (char *)o->as[i]->name;
	argv[argc] = NULL;
	/* The pipe's write end is the one descriptor of ours it inherits. */
	r = fcntl(fds[1], F_GETFD);
	if (r >= 0)
		fcntl(fds[1], F_SETFD, r & ~FD_CLOEXEC);
	r = umx_domain_spawn(ts, NULL, NULL, argv, &proc);
	close(fds[1]);
	if (r < 0) {
		fprintf(stderr, "umx attack: cannot start the attacking domain: %s\n",
		        proc.why[0] ? proc.why : strerror(-r));
		goto out;
	}
	if (attach_all(&oo, xs, proc.domid, d0) < 0)
		umx_domain_proc_signal(&proc, SIGKILL);
	else if ((in = fdopen(fds[0], "r"))) {
		char line[512];
		fds[0] = -1;
		while (got < o->n && fgets(line, sizeof(line), in))
			if (attack_result_get(o->role->name, line, &res[got]) == 0)
				got++;
	}
	umx_domain_proc_wait(ts, &proc, &status);
	detach_all(&oo, xs, proc.domid, d0);
	if (got != o->n) {
		fprintf(stderr, "umx attack: the attacking domain reported %u of %u attacks\n", got,
		        o->n);
		goto out;
	}
	ret = report(&oo, "umxd", res, got);
out:
	if (in)
		fclose(in);
	if (fds[0] >= 0)
		close(fds[0]);
	if (xs)
		umx_xs_close(xs);
	umx_conn_close(ts);
	return ret;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || !*s || *s == '-' || *out > max ? -EINVAL : 0;
}

/* The attacking domain: umx attack --serve FD ROLE TARGET DEVID0 TIMEOUT_MS NAME... */
static int serve(int argc, char **argv)
{
	static struct attack_result res[ATTACK_MAX];
	const struct attack_def *as[ATTACK_MAX];
	const struct attack_role *role;
	unsigned long fd, target, d0, tmo;
	unsigned n = 0;
	umx_plat *p;
	FILE *out;
	int r;

	if (argc < 8 || parse_uint(argv[2], INT_MAX, &fd) < 0 ||
	    !(role = attack_role_find(argv[3])) || parse_uint(argv[4], 32751, &target) < 0 ||
	    parse_uint(argv[5], 65535, &d0) < 0 || parse_uint(argv[6], 3600000, &tmo) < 0)
		return 2;
	for (int i = 7; i < argc && n < ATTACK_MAX; i++)
		if (!(as[n++] = attack_find(role->name, argv[i])))
			return 2;
	if (!(out = fdopen((int)fd, "w")))
		return 3;
	if ((r = umx_plat_open(NULL, &p)) < 0) {
		fprintf(stderr, "umx attack: platform: %s\n", strerror(-r));
		fclose(out);
		return 3;
	}
	struct attack_session s = {.p = p,
	                           .target = (uint32_t)target,
	                           .devid0 = (unsigned)d0,
	                           .timeout_ms = (unsigned)tmo,
	                           .log = stderr};
	r = role->run(&s, as, n, res);
	for (unsigned i = 0; r == 0 && i < n; i++)
		attack_result_put(out, &res[i]);
	fclose(out);
	umx_plat_close(p);
	return r < 0 ? 3 : 0;
}

int cmd_attack(int argc, char **argv)
{
	struct opts o = {.timeout_ms = 10000};
	const char *name = "all";
	unsigned long secs;
	int n;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--list")) {
		attack_list(stdout);
		return 0;
	}
	/* A peer that cuts us off is an answer, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && !strcmp(argv[1], "--serve"))
		return serve(argc, argv);
	if (argc < 3) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!(o.role = attack_role_find(argv[1]))) {
		fprintf(stderr, "umx attack: no role '%s' (`umx attack --list` names them)\n",
		        tool_show(argv[1]));
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--attack") && i + 1 < argc) {
			name = argv[++i];
		} else if (!strcmp(argv[i], "--store") && i + 1 < argc) {
			o.store = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			o.json = true;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			if (parse_uint(argv[++i], 3600, &secs) < 0 || !secs) {
				fprintf(stderr,
				        "umx attack: --timeout '%s': takes 1 to 3600 seconds\n",
				        tool_show(argv[i]));
				return 2;
			}
			o.timeout_ms = (unsigned)secs * 1000u;
		} else {
			fprintf(stderr, "umx attack: unexpected '%s'\n", tool_show(argv[i]));
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if ((n = attack_select(o.role, name, o.as, ATTACK_MAX)) < 0) {
		fprintf(stderr, "umx attack: role %s has no attack '%s' (`umx attack --list`)\n",
		        o.role->name, tool_show(name));
		return 2;
	}
	o.n = (unsigned)n;
	if (o.store) {
		unsigned long t;
		if (o.role != &attack_role_store_client) {
			fprintf(stderr, "umx attack: --store is for the store-client role\n");
			return 2;
		}
		if (parse_uint(argv[2], 32751, &t) < 0) {
			fprintf(stderr,
			        "umx attack: with --store the target is a domid, not '%s'\n",
			        tool_show(argv[2]));
			return 2;
		}
		o.target = (uint32_t)t;
		return run_on_socket(&o);
	}
	if (tool_on_xen()) {
		unsigned long t;
		if (parse_uint(argv[2], 32751, &t) < 0) {
			fprintf(stderr, "umx attack: on Xen the target is a domid, not '%s'\n",
			        tool_show(argv[2]));
			return 2;
		}
		o.target = (uint32_t)t;
		return run_on_xen(&o);
	}
	if (getenv(UMX_DOMAIN_FD_ENV)) {
		fprintf(stderr, "umx attack: run it as the toolstack, outside any domain: it makes "
		                "the devices and starts the attacking domain itself\n");
		return 2;
	}
	return run_on_umxd(&o, argv[2]);
}
