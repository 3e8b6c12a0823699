/* SPDX-License-Identifier: MIT */
/* The console's private state and wire layout (for the core, the fuzzer
 * and the tests). */
#ifndef UMX_CONS_PRIV_H
#define UMX_CONS_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/console.h>

#include "umx/bytering.h"
#include "umx/console.h"
#include "umx/grant.h"
#include "../common/evstorm.h"
#include "../common/xenbus.h"

_Static_assert(sizeof(((struct xencons_interface *)0)->in) == UMX_CONSOLE_IN_SIZE, "in[1024]");
_Static_assert(sizeof(((struct xencons_interface *)0)->out) == UMX_CONSOLE_OUT_SIZE, "out[2048]");
_Static_assert(offsetof(struct xencons_interface, out) == 1024, "out at 1024");
_Static_assert(offsetof(struct xencons_interface, in_cons) == 3072, "in_cons at 3072");
_Static_assert(offsetof(struct xencons_interface, in_prod) == 3076, "in_prod at 3076");
_Static_assert(offsetof(struct xencons_interface, out_cons) == 3080, "out_cons at 3080");
_Static_assert(offsetof(struct xencons_interface, out_prod) == 3084, "out_prod at 3084");
_Static_assert(sizeof(struct xencons_interface) <= UMX_PAGE_SIZE, "one page");

/* Spurious events allowed per storm window (evstorm.h) before the port is
 * held masked until the window ends. */
#define CONS_STORM_EVENTS 64u

#define CONS_PATH_MAX 96

struct umx_console {
	umx_plat *plat;
	umx_xs *xs; /* the platform's */
	bool front;
	bool gone;      /* the peer domain was released */
	bool connected; /* front, secondary: said Connected after the backend did */
	uint32_t peer, devid, port;
	struct xencons_interface *intf; /* shared, hostile */
	umx_gnt *gnt;                   /* front, primary: the reserved ref */
	umx_gnt_share *gshare;
	umx_plat_shared *share;     /* front, secondary */
	umx_plat_mapped *map;       /* back */
	struct umx_bytering rd, wr; /* what we read, what we write */
	struct umx_bytering *why;   /* the one that broke first */
	uint32_t rd_seen, wr_seen;  /* peer indices at the last event */
	struct evstorm storm;
	struct umx_console_stats st;
	char fdir[CONS_PATH_MAX]; /* frontend directory */
	char bdir[CONS_PATH_MAX]; /* backend directory ("" unknown) */
};

/* core.c: attach the two byte rings of @c->intf for its role (front: reads
 * in, writes out; back: the reverse). Our own indices are read once from
 * the page here. */
void cons_attach(umx_console *c);
/* core.c: @c over @page with no platform (no events, no store): what the
 * fuzzer and ring tests drive. */
void cons_attach_local(umx_console *c, bool front, void *page);
/* core.c: common teardown of the event channel. */
void cons_unbind(umx_console *c);

/* front.c: a secondary's last handshake step, on an event: Connected once
 * the backend says Connected. */
void cons_front_handshake(umx_console *c);

/* back.c: unmap and say Closed (the rest of umx_console_close). */
int cons_back_close(umx_console *c);

/* xenbus.c: store helpers. */
int cons_frontdir(uint32_t domid, uint32_t devid, char *buf, size_t len);
int cons_backdir(uint32_t backend, uint32_t domid, uint32_t devid, char *buf, size_t len);
/* A node of @dir read once as a strict decimal below 2^32. */
int cons_xs_read_u32(umx_xs *xs, const char *dir, const char *node, uint32_t *v);

#endif
