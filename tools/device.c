/* SPDX-License-Identifier: MIT */
/*
 * What the device commands (umx blk, umx net, umx console) share: the
 * toolstack's store on umxd or on Xen, domain arguments, waiting for a
 * backend, and listing the backends' devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx.h"
#include "umx/domain.h"
#include "umx/internal/clock.h"

bool tool_on_xen(void)
{
	const char *p = getenv("UMX_PLATFORM");

	if (p && *p)
		return !strcmp(p, "xen");
	return !getenv(UMX_DOMAIN_FD_ENV) && access("/proc/xen/capabilities", F_OK) == 0;
}

int tool_store_open(const char *cmd, umx_xs **xs)
{
	struct umx_daemon_info info;
	umx_conn *ts;
	int r;

	if (tool_on_xen()) {
		int fd;

		if (umx_xs_open_path("/var/run/xenstored/socket", xs) == 0)
			return 0;
		fd = open("/dev/xen/xenbus", O_RDWR | O_CLOEXEC);
		if (fd >= 0 && umx_xs_open_fd(fd, xs) == 0)
			return 0;
		if (fd >= 0)
			close(fd);
		fprintf(stderr,
		        "%s: cannot reach Xen's store (xenstored socket, /dev/xen/xenbus)\n", cmd);
		return -1;
	}
	if (tool_connect(&ts) < 0)
		return -1;
	r = umx_daemon_info(ts, &info);
	umx_conn_close(ts);
	if (r < 0 || (r = umx_xs_open_path(info.xs_socket, xs)) < 0) {
		fprintf(stderr, "%s: cannot reach the store: %s\n", cmd, strerror(-r));
		return -1;
	}
	return 0;
}

int tool_store_of(umx_conn *ts, umx_xs **xs)
{
	struct umx_daemon_info info;
	int r = umx_daemon_info(ts, &info);

	if (r == 0)
		r = umx_xs_open_path(info.xs_socket, xs);
	return r;
}

int tool_device_domain(const char *cmd, const char *arg, uint32_t *domid)
{
	/* On Xen, names are xl's business: a domid only. */
	if (tool_on_xen())
		return tool_parse_domid(arg, domid);
	return tool_domain_noconn(cmd, arg, domid);
}

int tool_wait_backend(umx_xs *xs, const char *type, uint32_t front, uint32_t back, unsigned devid,
                      unsigned secs)
{
	char path[128];
	uint64_t end = umx_clock_ms() + (uint64_t)secs * 1000u;
	int r;

	snprintf(path, sizeof(path), "/local/domain/%u/backend/%s/%u/%u/state", back, type, front,
	         devid);
	if ((r = umx_xs_watch(xs, path, "attach")) < 0)
		return r;
	for (;;) {
		char *v = NULL, *wp = NULL, *wt = NULL;
		uint64_t now;

		if (umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) == 0) {
			int st = atoi(v);

			free(v);
			if (st >= 2) {
				r = st;
				break;
			}
		}
		now = umx_clock_ms();
		if (now >= end) {
			r = -ETIMEDOUT;
			break;
		}
		/* Any watch event means "read again". */
		r = umx_xs_read_watch(xs, &wp, &wt, (int)(end - now));
		free(wp);
		free(wt);
		if (r < 0 && r != -ETIMEDOUT)
			break;
	}
	umx_xs_unwatch(xs, path, "attach");
	return r;
}

char *tool_read_node(umx_xs *xs, const char *dir, const char *name)
{
	char path[512], *v = NULL;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sizeof(path) || umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) < 0)
		return NULL;
	return v;
}

void tool_stat_field(const char *stats, const char *key, char *out, size_t len)
{
	const char *p = stats;
	size_t kl = strlen(key);

	snprintf(out, len, "-");
	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(p + kl + 1, " "), p + kl + 1);
			return;
		}
		p = strchr(p, ' ');
		if (p)
			p++;
	}
}

const char *tool_state_name(const char *state)
{
	static const char *const names[] = {"unknown",   "initialising", "initwait", "initialised",
	                                    "connected", "closing",      "closed"};
	char *end;
	unsigned long s;

	if (!state)
		return names[0];
	s = strtoul(state, &end, 10);
	return end != state && !*end && state[0] != '-' && s < sizeof(names) / sizeof(names[0])
	               ? names[s]
	               : "?";
}

int tool_list_backends(umx_xs *xs, const char *type, tool_device_fn fn, void *ctx)
{
	char **doms = NULL, **fronts, **ids, dir[192], dev[256];
	unsigned nd = 0, nf, ni;

	if (umx_xs_directory(xs, UMX_XS_NO_TX, "/local/domain", &doms, &nd) < 0)
		nd = 0;
	for (unsigned i = 0; i < nd; i++) {
		snprintf(dir, sizeof(dir), "/local/domain/%s/backend/%s", doms[i], type);
		if (umx_xs_directory(xs, UMX_XS_NO_TX, dir, &fronts, &nf) < 0)
			continue;
		for (unsigned j = 0; j < nf; j++) {
			snprintf(dir, sizeof(dir), "/local/domain/%s/backend/%s/%s", doms[i], type,
			         fronts[j]);
			if (umx_xs_directory(xs, UMX_XS_NO_TX, dir, &ids, &ni) < 0)
				continue;
			for (unsigned k = 0; k < ni; k++) {
				snprintf(dev, sizeof(dev), "%s/%s", dir, ids[k]);
				fn(ctx, xs, doms[i], fronts[j], ids[k], dev);
			}
			free(ids);
		}
		free(fronts);
	}
	free(doms);
	return 0;
}
