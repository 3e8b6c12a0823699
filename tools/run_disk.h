/* SPDX-License-Identifier: MIT */
/*
 * A domain's disks: `disk = [ ... ]` in umx.cfg(5), `umx run --disk SPEC`
 * (run_disk.c). Each is a vbd written as `umx blk attach` writes it, on a
 * backend domain that serves the file (`umx blk serve`).
 *
 * SPEC is xl's disk syntax, the parts umx has: comma-separated, positional
 *   TARGET[,raw][,VDEV[,ACCESS]]
 * or KEY=VALUE (any order, mixed with the positional ones):
 *   target=FILE   the image (a "file:" prefix is accepted and dropped)
 *   vdev=xvdX     the guest's name: xvda is devid 51712, xvdb 51728, ...;
 *                 or the devid as a number. Default: the next free one.
 *   access=w|rw|r|ro      default w
 *   format=raw            the only one
 *   backend=DOMAIN        the domain running `umx blk serve` on FILE
 *                         (required: umx has no dom0 that serves disks)
 *   sector-size=512|4096  default 512
 */
#ifndef UMX_TOOL_RUN_DISK_H
#define UMX_TOOL_RUN_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "umx/conn.h"

/* One disk, parsed: strings point into the caller's copy of the spec. */
struct run_disk {
	const char *target, *backend;
	int devid; /* -1: the next free one */
	bool readonly;
	unsigned sector_size;
};

/* Parse @spec (cut in place) into @d: 0, or -1 with "@cmd: disk '...': why"
 * printed. Nothing is looked up: the backend is resolved at start. */
int run_disk_parse(const char *cmd, char *spec, struct run_disk *d);

/* Attach @n disks to @domid, each once its backend has taken it up
 * (InitWait) within 10 s: 0, or -1 with the disk, the backend and the
 * reason printed (the vbds attached are left for the domain's end). */
int run_disk_attach(const char *cmd, umx_conn *ts, const struct run_disk *d, unsigned n,
                    uint32_t domid);

#endif
