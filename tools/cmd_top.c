/* SPDX-License-Identifier: MIT */
/*
 * umx top (xentop's columns where they exist) and the counters `umx list
 * --json` adds: umxd's per-domain counters (LIST and DOMAIN_STATS), the
 * CPU time and memory of each domain's processes (its process tree in
 * /proc), and its devices' counters, which backends publish in the store
 * (backend/vif/.../statistics, backend/vbd/.../statistics).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "umx.h"
#include "umx/internal/clock.h"
#include "umx/internal/ctl.h"
#include "umx/internal/msg.h"
#include "umx/domain.h"
#include "umx/xs.h"

struct dom_row {
	struct umx_ctl_domain_info info;
	struct umx_ctl_domain_stats st;
	bool have_st;
	uint64_t cpu_ticks; /* user + system, its processes and reaped children */
	uint64_t rss_kib;
	unsigned nprocs;
	unsigned nets, vbds;
	uint64_t net_tx_bytes, net_rx_bytes, net_dropped;
	uint64_t vbd_rd, vbd_wr, vbd_errors;
};

struct snapshot {
	struct dom_row *rows;
	unsigned n;
	uint64_t ns; /* when taken */
};

static struct dom_row *row_of(struct snapshot *s, uint32_t domid)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->rows[i].info.domid == domid)
			return &s->rows[i];
	return NULL;
}

/* ---- /proc: each domain's process tree ------------------------------- */

struct proc_ent {
	int pid, ppid;
	uint64_t ticks, rss_pages;
};

/* pid, ppid, utime + stime + cutime + cstime and rss of /proc/@pid/stat;
 * the command name may hold spaces and parentheses: parse after the last
 * ')'. 0 or -1. */
static int proc_stat(int pid, struct proc_ent *e)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st, cut, cst, rss;
	int ppid;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "re")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	if (!(p = strrchr(buf, ')')))
		return -1;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice threads itreal
	 * starttime vsize rss */
	if (sscanf(p + 2,
	           "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu %*d %*d %*d "
	           "%*d %*u %*u %llu",
	           &ppid, &ut, &st, &cut, &cst, &rss) != 6)
		return -1;
	e->pid = pid;
	e->ppid = ppid;
	e->ticks = ut + st + cut + cst;
	e->rss_pages = rss;
	return 0;
}

static void add_tree(const struct proc_ent *pe, size_t np, int root, struct dom_row *r,
                     unsigned depth)
{
	/* Bounded: a pid tree is no deeper than the number of processes. */
	if (depth > np)
		return;
	for (size_t i = 0; i < np; i++) {
		if (pe[i].pid == root) {
			r->cpu_ticks += pe[i].ticks;
			r->rss_kib += pe[i].rss_pages * (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
			r->nprocs++;
		}
		if (pe[i].ppid == root && pe[i].pid != root)
			add_tree(pe, np, pe[i].pid, r, depth + 1);
	}
}

static void load_procs(struct snapshot *s)
{
	struct proc_ent *pe = NULL;
	size_t np = 0, cap = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		if (np == cap) {
			struct proc_ent *n = realloc(pe, (cap = cap ? cap * 2 : 256) * sizeof(*pe));
			if (!n)
				break;
			pe = n;
		}
		if (proc_stat(pid, &pe[np]) == 0)
			np++;
	}
	closedir(d);
	for (unsigned i = 0; i < s->n; i++)
		if (s->rows[i].info.pid > 0 && s->rows[i].info.state != UMX_DOM_DEAD)
			add_tree(pe, np, s->rows[i].info.pid, &s->rows[i], 0);
	free(pe);
}

/* ---- devices, from what their backends publish ---------------------- */

static uint64_t stat_u64(const char *stats, const char *key)
{
	char v[24];
	tool_stat_field(stats, key, v, sizeof(v));
	return strtoull(v, NULL, 10); /* "-" (absent) reads as 0 */
}

static void vif_row(void *ctx, umx_xs *xs, const char *back, const char *front, const char *id,
                    const char *dev)
{
	struct dom_row *r = row_of(ctx, (uint32_t)strtoul(front, NULL, 10));
	char *stats;

	(void)back;
	(void)id;
	if (!r)
		return;
	stats = tool_read_node(xs, dev, "statistics");
	r->nets++;
	/* netif's TX ring carries what the frontend sends. */
	r->net_tx_bytes += stat_u64(stats, "tx_bytes");
	r->net_rx_bytes += stat_u64(stats, "rx_bytes");
	r->net_dropped += stat_u64(stats, "dropped");
	free(stats);
}

static void vbd_row(void *ctx, umx_xs *xs, const char *back, const char *front, const char *id,
                    const char *dev)
{
	struct dom_row *r = row_of(ctx, (uint32_t)strtoul(front, NULL, 10));
	char *stats;

	(void)back;
	(void)id;
	if (!r)
		return;
	stats = tool_read_node(xs, dev, "statistics");
	r->vbds++;
	r->vbd_rd += stat_u64(stats, "reads");
	r->vbd_wr += stat_u64(stats, "writes");
	r->vbd_errors += stat_u64(stats, "errors");
	free(stats);
}

/* ---- one snapshot ----------------------------------------------------- */

static int snapshot_take(umx_conn *ts, umx_xs *xs, struct snapshot *s)
{
	static struct umx_ctl_domain_info info[UMX_CTL_LIST_MAX];
	static struct umx_ctl_domain_stats st[UMX_CTL_STATS_MAX];
	uint32_t start = 0;

	s->n = 0;
	s->ns = umx_clock_ns();
	for (;;) {
		int n = umx_domain_list(ts, start, info, UMX_CTL_LIST_MAX);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			struct dom_row *nr = realloc(s->rows, (s->n + 1) * sizeof(*nr));
			if (!nr)
				return -ENOMEM;
			s->rows = nr;
			memset(&nr[s->n], 0, sizeof(nr[0]));
			nr[s->n].info = info[i];
			nr[s->n].info.name[sizeof(info[i].name) - 1] = 0;
			s->n++;
			start = info[i].domid + 1;
		}
		if ((unsigned)n < UMX_CTL_LIST_MAX)
			break;
	}
	for (start = 0;;) {
		struct umx_ctl_domain_list_req req = {.start_domid = start};
		struct umx_ctl_domain_stats_reply head;
		static uint8_t body[UMX_MSG_MAX_PAYLOAD];
		size_t len = 0;
		int r = umx_conn_call(ts, UMX_CTL_DOMAIN_STATS, &req, sizeof(req), body,
		                      sizeof(body), &len, NULL, 0, NULL);
		if (r < 0)
			break; /* an older umxd: LIST's counters only */
		if (len < sizeof(head.count))
			return -EPROTO;
		memcpy(&head.count, body, sizeof(head.count));
		if (head.count > UMX_CTL_STATS_MAX ||
		    len != sizeof(head.count) + head.count * sizeof(st[0]))
			return -EPROTO;
		memcpy(st, body + sizeof(head.count), head.count * sizeof(st[0]));
		for (uint32_t i = 0; i < head.count; i++) {
			struct dom_row *row = row_of(s, st[i].domid);
			if (row) {
				row->st = st[i];
				row->have_st = true;
			}
			start = st[i].domid + 1;
		}
		if (head.count < UMX_CTL_STATS_MAX)
			break;
	}
	load_procs(s);
	if (xs) {
		tool_list_backends(xs, "vif", vif_row, s);
		tool_list_backends(xs, "vbd", vbd_row, s);
	}
	return 0;
}

static const char *state_word(const struct umx_ctl_domain_info *d)
{
	switch (d->state) {
	case UMX_DOM_STARTING:
		return "starting";
	case UMX_DOM_RUNNING:
		return d->flags & UMX_DOMAIN_F_PAUSED ? "paused" : "running";
	case UMX_DOM_DYING:
		return "dying";
	case UMX_DOM_DEAD:
		return "dead";
	}
	return "?";
}

/* ---- umx list --json ------------------------------------------------- */

static struct snapshot list_snap;

int tool_counters_load(umx_conn *ts)
{
	umx_xs *xs = NULL;
	int r;

	if (tool_store_of(ts, &xs) < 0)
		xs = NULL;
	r = snapshot_take(ts, xs, &list_snap);
	if (xs)
		umx_xs_close(xs);
	return r;
}

void tool_counters_json(uint32_t domid)
{
	struct dom_row *r = row_of(&list_snap, domid);
	long hz = sysconf(_SC_CLK_TCK);

	if (!r)
		return;
	printf(", \"cpu_ms\": %llu, \"mem_kib\": %llu, \"processes\": %u",
	       (unsigned long long)(r->cpu_ticks * 1000 / (uint64_t)(hz > 0 ? hz : 100)),
	       (unsigned long long)r->rss_kib, r->nprocs);
	if (r->have_st)
		printf(", \"grant_entries\": %u, \"xs_nodes\": %u, \"xs_nodes_quota\": %u, "
		       "\"xs_watches\": %u, \"xs_watches_quota\": %u, \"xs_transactions\": %u, "
		       "\"xs_transactions_quota\": %u, \"xs_connections\": %u, \"xs_bytes\": %llu",
		       r->st.gnt_entries, r->st.xs_nodes, r->st.q_nodes, r->st.xs_watches,
		       r->st.q_watches, r->st.xs_txns, r->st.q_txns, r->st.xs_conns,
		       (unsigned long long)r->st.xs_bytes);
	printf(", \"nets\": %u, \"net_tx_bytes\": %llu, \"net_rx_bytes\": %llu, "
	       "\"net_dropped\": %llu, \"vbds\": %u, \"vbd_reads\": %llu, \"vbd_writes\": %llu, "
	       "\"vbd_errors\": %llu",
	       r->nets, (unsigned long long)r->net_tx_bytes, (unsigned long long)r->net_rx_bytes,
	       (unsigned long long)r->net_dropped, r->vbds, (unsigned long long)r->vbd_rd,
	       (unsigned long long)r->vbd_wr, (unsigned long long)r->vbd_errors);
}

/* ---- umx top ----------------------------------------------------------- */

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static void top_print(const struct snapshot *now, struct snapshot *prev, bool batch)
{
	long hz = sysconf(_SC_CLK_TCK);
	double secs = prev->n ? (double)(now->ns - prev->ns) / 1e9 : 0;

	if (!batch)
		fputs("\033[H\033[2J", stdout);
	printf("%-16s %5s %-8s %9s %6s %9s %6s %6s %5s %8s %7s %4s %9s %9s %4s %7s %7s\n", "NAME",
	       "DOMID", "STATE", "CPU(sec)", "CPU(%)", "MEM(k)", "GRANTS", "MAPS", "PORTS",
	       "XS_NODES", "XS(%)", "NETS", "NETTX(k)", "NETRX(k)", "VBDS", "VBD_RD", "VBD_WR");
	for (unsigned i = 0; i < now->n; i++) {
		const struct dom_row *r = &now->rows[i];
		struct dom_row *p = row_of(prev, r->info.domid);
		double cpu = (double)r->cpu_ticks / (double)(hz > 0 ? hz : 100);
		char pct[16] = "-", xsq[16] = "-";

		if (p && secs > 0 && r->cpu_ticks >= p->cpu_ticks)
			snprintf(pct, sizeof(pct), "%.1f",
			         100.0 * (double)(r->cpu_ticks - p->cpu_ticks) /
			                 (double)(hz > 0 ? hz : 100) / secs);
		if (r->have_st && r->st.q_nodes)
			snprintf(xsq, sizeof(xsq), "%.1f",
			         100.0 * (double)r->st.xs_nodes / (double)r->st.q_nodes);
		printf("%-16.16s %5u %-8s %9.2f %6s %9llu %6u %6u %5u %8u %7s %4u %9llu %9llu %4u "
		       "%7llu %7llu\n",
		       r->info.name, r->info.domid, state_word(&r->info), cpu, pct,
		       (unsigned long long)r->rss_kib, r->info.grants_active, r->info.pages_mapped,
		       r->info.ports, r->have_st ? r->st.xs_nodes : 0, xsq, r->nets,
		       (unsigned long long)(r->net_tx_bytes / 1024),
		       (unsigned long long)(r->net_rx_bytes / 1024), r->vbds,
		       (unsigned long long)r->vbd_rd, (unsigned long long)r->vbd_wr);
	}
	fflush(stdout);
}

static const char top_usage[] = "usage: umx top [-b] [-d SECONDS] [-i ITERATIONS]\n";

int cmd_top(int argc, char **argv)
{
	struct snapshot snaps[2] = {{0}};
	unsigned long iters = 0, delay_ms = 1000;
	bool batch = false;
	umx_conn *ts = NULL;
	umx_xs *xs = NULL;
	int c, ret = 1;

	optind = 1;
	while ((c = getopt(argc, argv, "bd:i:")) != -1) {
		char *end;
		switch (c) {
		case 'b':
			batch = true;
			break;
		case 'd':
			errno = 0;
			delay_ms = (unsigned long)(strtod(optarg, &end) * 1000);
			if (errno || *end || !*optarg || delay_ms < 100 || delay_ms > 3600000) {
				fprintf(stderr, "umx top: -d '%s': seconds, 0.1 to 3600\n",
				        tool_show(optarg));
				return 2;
			}
			break;
		case 'i':
			errno = 0;
			iters = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-') {
				fprintf(stderr, "umx top: -i '%s': not a count\n",
				        tool_show(optarg));
				return 2;
			}
			break;
		default:
			fputs(top_usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(top_usage, stderr);
		return 2;
	}
	if (tool_connect(&ts) < 0)
		return 1;
	if (tool_store_of(ts, &xs) < 0)
		xs = NULL; /* device columns stay 0 */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (unsigned long k = 0; !top_stop && (!iters || k < iters); k++) {
		struct snapshot *now = &snaps[k % 2], *prev = &snaps[(k + 1) % 2];
		int r = snapshot_take(ts, xs, now);
		if (r < 0) {
			fprintf(stderr, "umx top: %s\n", strerror(-r));
			goto out;
		}
		top_print(now, prev, batch);
		if (iters && k + 1 == iters)
			break;
		for (unsigned long t = 0; t < delay_ms && !top_stop; t += 50) {
			struct timespec ts50 = {0, 50 * 1000000L};
			nanosleep(&ts50, NULL);
		}
	}
	ret = 0;
out:
	free(snaps[0].rows);
	free(snaps[1].rows);
	if (xs)
		umx_xs_close(xs);
	umx_conn_close(ts);
	return ret;
}
