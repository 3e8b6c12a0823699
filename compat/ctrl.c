/* SPDX-License-Identifier: MIT */
/*
 * Drop-in libxenctrl.so.4.17 (Xen 4.17 ABI), reduced to what Debian's
 * xenconsoled and xenconsole call: xc_interface_open/close,
 * xc_domain_getinfo, xc_evtchn_status and xc_readconsolering.
 *
 * An xc_interface is, in Xen, privcmd: hypercalls with dom0's privilege.
 * Here it is up to two umxd connections:
 *  - the toolstack's (the control socket, umx/conn.h), which lists domains
 *    for xc_domain_getinfo. A sandboxed domain cannot reach it (the
 *    sandbox hides umx's runtime directory); a process that may act as
 *    dom0 (the toolstack, or a domain run with --no-sandbox by umxd's
 *    user) can;
 *  - the process's own domain connection ($UMX_DOMAIN_FD) when it runs as
 *    a domain, for xc_evtchn_status of its own ports.
 * Opening succeeds when at least one is there; a call that needs the other
 * fails with EPERM, as a hypercall the caller lacks the privilege for does
 * in Xen, and says so once on stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <xenctrl.h>

#include "compat.h"
#include "umx/conn.h"
#include "umx/domain.h"
#include "umx/internal/ctl.h"

struct xc_interface_core {
	umx_conn *ts;  /* toolstack connection, or NULL */
	umx_conn *dom; /* this process's domain connection, or NULL */
};

/* Say once per @what why a call lacks the connection it needs. */
static int no_privilege(const char *what, const char *why)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static unsigned said; /* bit per message below */
	unsigned bit = strcmp(what, "xc_domain_getinfo") ? 2u : 1u;
	int first;

	pthread_mutex_lock(&lock);
	first = !(said & bit);
	said |= bit;
	pthread_mutex_unlock(&lock);
	if (first)
		fprintf(stderr, "umx xen-compat: %s: %s\n", what, why);
	errno = EPERM;
	return -1;
}

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
	xc_interface *xch;
	int rt, rd;

	(void)logger;
	(void)dombuild_logger;
	(void)open_flags; /* XC_OPENFLAG_*: logging and privcmd details */
	xch = calloc(1, sizeof(*xch));
	if (!xch)
		return NULL;
	rd = umx_conn_open_domain(&xch->dom);
	if (rd < 0)
		xch->dom = NULL;
	rt = umx_conn_open_toolstack(NULL, &xch->ts);
	if (rt < 0)
		xch->ts = NULL;
	if (!xch->ts && !xch->dom) {
		/* Neither a domain nor able to reach umxd: as Xen's library
		 * fails without /dev/xen/privcmd. The toolstack's error says
		 * most (no umxd running, wrong $UMX_DIR, permission). */
		free(xch);
		errno = -rt;
		return NULL;
	}
	return xch;
}

int xc_interface_close(xc_interface *xch)
{
	if (!xch)
		return 0;
	if (xch->ts)
		umx_conn_close(xch->ts);
	if (xch->dom)
		umx_conn_close(xch->dom);
	free(xch);
	return 0;
}

/* One umx domain as Xen's domctl getdomaininfo describes a domain. */
static void dominfo_fill(xc_dominfo_t *out, const struct umx_ctl_domain_info *in)
{
	memset(out, 0, sizeof(*out));
	out->domid = in->domid;
	switch (in->state) {
	case UMX_DOM_STARTING:
		/* Xen creates a domain paused until the toolstack has built
		 * it; a umx domain is "built" once its process says HELLO. */
		out->paused = 1;
		break;
	case UMX_DOM_RUNNING:
		out->paused = !!(in->flags & UMX_DOMAIN_F_PAUSED);
		out->running = !out->paused;
		break;
	default:
		/* DYING (its process is gone) and DEAD (kept while others map
		 * pages it granted): Xen's dying domain, kept alive as a zombie
		 * by foreign mappings, which it has shut down first. */
		out->dying = 1;
		out->shutdown = 1;
		if (in->flags & UMX_DOMAIN_F_REBOOT) {
			out->shutdown_reason = SHUTDOWN_reboot;
		} else if (in->exit_status != -1 && WIFSIGNALED(in->exit_status) &&
		           WTERMSIG(in->exit_status) != SIGKILL) {
			/* A fault, not a kill: what Xen calls a crash. */
			out->crashed = 1;
			out->shutdown_reason = SHUTDOWN_crash;
		} else {
			out->shutdown_reason = SHUTDOWN_poweroff;
		}
		break;
	}
	/* A domain is one process: one vcpu, PV (no hvm/hap), not the store. */
	out->nr_online_vcpus = 1;
	out->max_vcpu_id = 0;
	out->cpupool = 0;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid, unsigned int max_doms,
                      xc_dominfo_t *info)
{
	struct umx_ctl_domain_info buf[16];
	unsigned n = 0;

	if (!xch || (max_doms && !info)) {
		errno = EINVAL;
		return -1;
	}
	if (!xch->ts)
		return no_privilege("xc_domain_getinfo",
		                    "umxd's toolstack socket is out of reach (a sandboxed domain: "
		                    "run the program with `umx run --no-sandbox`, or outside umx)");
	/* Domain 0 is the toolstack: always there, never a umx domain record
	 * (umx's domids start at 1), and privileged like Xen's dom0. */
	if (first_domid == 0 && n < max_doms) {
		memset(&info[n], 0, sizeof(info[n]));
		info[n].domid = 0;
		info[n].running = 1;
		info[n].nr_online_vcpus = 1;
		n++;
		first_domid = 1;
	}
	while (n < max_doms && first_domid < DOMID_FIRST_RESERVED) {
		unsigned want = max_doms - n < 16 ? max_doms - n : 16;
		int got = umx_domain_list(xch->ts, first_domid, buf, want);

		if (got < 0) {
			if (n)
				break; /* report what we have, as Xen does */
			return compat_ret(got);
		}
		if (got == 0)
			break;
		for (int i = 0; i < got; i++) {
			/* umxd answers in domid order from first_domid; check
			 * it rather than trust it, so the caller's loop on
			 * "domid + 1" always moves forward. */
			if (buf[i].domid < first_domid || buf[i].domid >= DOMID_FIRST_RESERVED) {
				errno = EPROTO;
				return n ? (int)n : -1;
			}
			dominfo_fill(&info[n++], &buf[i]);
			first_domid = buf[i].domid + 1;
		}
	}
	return (int)n;
}

int xc_evtchn_status(xc_interface *xch, xc_evtchn_status_t *status)
{
	struct umx_ctl_evt_close req = {0};
	struct umx_ctl_evt_status_reply rep;
	int r;

	if (!xch || !status) {
		errno = EINVAL;
		return -1;
	}
	if (status->dom != DOMID_SELF && (!xch->dom || status->dom != umx_conn_domid(xch->dom)))
		return compat_unsupported("xc_evtchn_status of another domain's port",
		                          "umxd reports a domain's ports to that domain only");
	if (!xch->dom)
		/* The toolstack is no domain and has no ports. */
		return no_privilege("xc_evtchn_status",
		                    "DOMID_SELF outside a domain: the toolstack has no ports");
	req.port = status->port;
	r = umx_conn_call(xch->dom, UMX_CTL_EVT_STATUS, &req, sizeof(req), UMX_CTL_REPLY_BODY(&rep),
	                  UMX_CTL_REPLY_BODY_LEN(&rep), NULL, NULL, 0, NULL);
	if (r < 0)
		return compat_ret(r);
	status->vcpu = 0;
	memset(&status->u, 0, sizeof(status->u));
	switch (rep.status) {
	case UMX_EVT_STAT_UNBOUND:
		status->status = EVTCHNSTAT_unbound;
		status->u.unbound.dom = (domid_t)rep.remote_domid;
		break;
	case UMX_EVT_STAT_INTERDOMAIN:
		status->status = EVTCHNSTAT_interdomain;
		status->u.interdomain.dom = (domid_t)rep.remote_domid;
		status->u.interdomain.port = rep.remote_port;
		break;
	case UMX_EVT_STAT_CLOSED:
		status->status = EVTCHNSTAT_closed;
		break;
	default:
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int xc_readconsolering(xc_interface *xch, char *buffer, unsigned int *pnr_chars, int clear,
                       int incremental, uint32_t *pindex)
{
	(void)xch;
	(void)buffer;
	(void)pnr_chars;
	(void)clear;
	(void)incremental;
	(void)pindex;
	return compat_unsupported("xc_readconsolering",
	                          "no hypervisor console ring: umxd's messages are in its own log");
}
