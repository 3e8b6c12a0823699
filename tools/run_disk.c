/* SPDX-License-Identifier: MIT */
/* A domain's disks from its settings (run_disk.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_disk.h"
#include "umx.h"
#include "umx/blk.h"

/* Linux's xvd numbering (devices/blk): xvda is major 202, minor 0. */
#define XVD_FIRST 51712
#define DEVID_MAX 0xfffffff

/* Seconds a backend has to take a disk up. */
#define DISK_WAIT_SECS 10u

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = 0;
	return s;
}

/* xvd[a-z], or a devid as a decimal number: the devid, or -1. */
static int parse_vdev(const char *s)
{
	char *end;
	unsigned long v;

	if (!strncmp(s, "xvd", 3) && s[3] >= 'a' && s[3] <= 'z' && !s[4])
		return XVD_FIRST + 16 * (s[3] - 'a');
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	return errno || *end || v > DEVID_MAX ? -1 : (int)v;
}

/* r/ro or w/rw: 1 read-only, 0 writable, -1 neither. */
static int parse_access(const char *s)
{
	if (!strcmp(s, "r") || !strcmp(s, "ro"))
		return 1;
	if (!strcmp(s, "w") || !strcmp(s, "rw"))
		return 0;
	return -1;
}

int run_disk_parse(const char *cmd, char *spec, struct run_disk *d)
{
	const char *shown = tool_show(spec), *why = NULL;
	char *save = NULL, *tok;
	bool have_vdev = false, have_access = false, have_format = false;
	int v;

	*d = (struct run_disk){.devid = -1, .sector_size = 512};
	for (tok = strtok_r(spec, ",", &save); tok && !why; tok = strtok_r(NULL, ",", &save)) {
		char *eq;

		tok = trim(tok);
		eq = strchr(tok, '=');
		if (eq) {
			*eq = 0;
			char *key = trim(tok), *val = trim(eq + 1);

			if (!strcmp(key, "target")) {
				d->target = val;
			} else if (!strcmp(key, "vdev")) {
				if ((d->devid = parse_vdev(val)) < 0)
					why = "vdev is xvda..xvdz or a devid (0 to 268435455)";
				have_vdev = true;
			} else if (!strcmp(key, "access")) {
				if ((v = parse_access(val)) < 0)
					why = "access is w, rw, r or ro";
				d->readonly = v == 1;
				have_access = true;
			} else if (!strcmp(key, "format")) {
				if (strcmp(val, "raw") != 0)
					why = "format: only raw images are served";
				have_format = true;
			} else if (!strcmp(key, "backend")) {
				d->backend = val;
			} else if (!strcmp(key, "sector-size")) {
				if (!strcmp(val, "512") || !strcmp(val, "4096"))
					d->sector_size = (unsigned)atoi(val);
				else
					why = "sector-size is 512 or 4096";
			} else {
				why = "keys are target, vdev, access, format, backend, sector-size";
			}
			continue;
		}
		/* Positional, as xl: TARGET[,FORMAT][,VDEV[,ACCESS]]. */
		if (!d->target) {
			d->target = tok;
		} else if (!have_format && !have_vdev && !strcmp(tok, "raw")) {
			have_format = true;
		} else if (!have_vdev) {
			if ((d->devid = parse_vdev(tok)) < 0)
				why = "vdev is xvda..xvdz or a devid (0 to 268435455)";
			have_vdev = true;
		} else if (!have_access) {
			if ((v = parse_access(tok)) < 0)
				why = "access is w, rw, r or ro";
			d->readonly = v == 1;
			have_access = true;
		} else {
			why = "too many positional parts (TARGET[,raw][,VDEV[,ACCESS]])";
		}
	}
	if (!why && d->target && !strncmp(d->target, "file:", 5))
		d->target += 5;
	if (!why && d->target && strchr(d->target, ':') && d->target[0] != '/' &&
	    d->target[0] != '.')
		why = "only image files are served (no phy:, no qcow)";
	if (!why && (!d->target || !*d->target))
		why = "no target (the image file)";
	if (!why && (!d->backend || !*d->backend))
		why = "no backend=DOMAIN (the domain running `umx blk serve` on the file)";
	if (why) {
		fprintf(stderr, "%s: disk '%s': %s\n", cmd, shown, why);
		return -1;
	}
	return 0;
}

/* One disk: 0, or -1 with the reason printed. */
static int attach_one(const char *cmd, umx_conn *ts, umx_xs *xs, const struct run_disk *d,
                      uint32_t domid)
{
	char path[PATH_MAX], be[128], *why = NULL;
	uint32_t back;
	int devid, r;

	if (tool_domain(ts, cmd, d->backend, &back) < 0)
		return -1;
	/* The backend opened the file by its absolute name: match it. */
	if (!realpath(d->target, path)) {
		fprintf(stderr, "%s: disk %s: %s\n", cmd, tool_show(d->target), strerror(errno));
		return -1;
	}
	devid = umx_blk_attach(xs, domid, back, d->devid, path, d->readonly, d->sector_size);
	if (devid < 0) {
		fprintf(stderr, "%s: disk %s on domain %u: %s\n", cmd, tool_show(d->target), back,
		        devid == -EEXIST ? "the domain has that vdev already" : strerror(-devid));
		return -1;
	}
	r = tool_wait_backend(xs, "vbd", domid, back, (unsigned)devid, DISK_WAIT_SECS);
	if (r == -ETIMEDOUT) {
		fprintf(stderr,
		        "%s: disk %s: domain %u did not take it up within %u s (backend/vbd/%u/%d "
		        "unanswered: is `umx blk serve` running there?)\n",
		        cmd, tool_show(d->target), back, DISK_WAIT_SECS, domid, devid);
		return -1;
	}
	if (r < 0) {
		fprintf(stderr, "%s: disk %s: waiting for domain %u: %s\n", cmd,
		        tool_show(d->target), back, strerror(-r));
		return -1;
	}
	/* A backend that cannot serve the file says why and closes. */
	snprintf(be, sizeof(be), "/local/domain/%u/backend/vbd/%u/%d", back, domid, devid);
	if (r >= 5 && (why = tool_read_node(xs, be, "hotplug-error"))) {
		fprintf(stderr, "%s: disk %s: domain %u refused it: %s\n", cmd,
		        tool_show(d->target), back, tool_show(why));
		free(why);
		return -1;
	}
	return 0;
}

int run_disk_attach(const char *cmd, umx_conn *ts, const struct run_disk *d, unsigned n,
                    uint32_t domid)
{
	umx_xs *xs = NULL;
	int ret = 0;

	if (!n)
		return 0;
	if (tool_store_of(ts, &xs) < 0) {
		fprintf(stderr, "%s: disks: cannot reach the store\n", cmd);
		return -1;
	}
	for (unsigned i = 0; i < n && ret == 0; i++)
		ret = attach_one(cmd, ts, xs, &d[i], domid);
	umx_xs_close(xs);
	return ret;
}
