/* SPDX-License-Identifier: MIT */
/*
 * umx run --net SWITCH[,...]: a sandboxed domain's network interfaces whose
 * frames go only through a netfront on SWITCH (run_net.c).
 */
#ifndef UMX_TOOL_RUN_NET_H
#define UMX_TOOL_RUN_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "umx/conn.h"
#include "umx/domain.h"

/* One --net SWITCH[,mac=M][,ip=A/P][,ip=A6/P][,gw=G][,gw=G6][,dns=D]. */
struct run_net_if {
	const char *spec; /* as given, for messages */
	char sw[UMX_NAME_MAX];
	uint8_t mac[6];
	bool have_mac, dhcp, have_dns;
	uint8_t dns[4];
	struct umx_spawn_if ifc; /* addresses and routes given */
};

/* Everything of one start of the domain's network: the pump domain (a
 * sandboxed companion domain that owns the netfronts and carries frames
 * between them and the domain's TAP devices), the interfaces, and a
 * resolv.conf bound over the domain's /etc/resolv.conf. */
struct run_net {
	struct umx_domain_proc pump;
	bool pump_running;
	int sock; /* ours of the pump's socket */
	struct umx_spawn_if ifs[UMX_SPAWN_IFS_MAX];
	int fds[UMX_SPAWN_IFS_MAX];
	unsigned nifs;
	char resolv[4096]; /* the file to bind, or "" */
	struct umx_bind binds[64];
	unsigned nbinds;
};

/* Parse @spec (cut in place) into @n; 0, or -1 with the reason printed. */
int run_net_parse(const char *cmd, char *spec, struct run_net_if *n);
/* Before the domain is spawned: start the pump domain, attach its vifs to
 * the switches, get the addresses (DHCP when no ip= is given), prepare the
 * interfaces and binds (@binds plus the resolv.conf). 0, or -1 printed. */
int run_net_start(const char *cmd, umx_conn *ts, const char *name, struct run_net_if *ifs,
                  unsigned nifs, const struct umx_bind *binds, unsigned nbinds, uint32_t uid_base,
                  struct run_net *rn);
/* Once domain @domid runs with the TAP descriptors in @rn->fds: give them
 * to the pump and record the interfaces in the store (umx net list). */
int run_net_started(const char *cmd, umx_conn *ts, struct run_net *rn, uint32_t domid);
/* End the pump domain; release everything of @rn. */
void run_net_stop(umx_conn *ts, struct run_net *rn);

/* `umx net pump FD MODE...`: the pump domain's program (not for users). */
int run_net_pump(int argc, char **argv);

#endif
