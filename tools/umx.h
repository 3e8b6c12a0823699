/* SPDX-License-Identifier: MIT */
/* The umx command: shared helpers for the subcommand files. */
#ifndef UMX_TOOL_H
#define UMX_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umx/conn.h"
#include "umx/xs.h"

/* The rules of a domain name, as --help and every error state them. */
#define TOOL_NAME_RULES                                                                         \
	"a name is 1 to 63 letters, digits, '-', '_' or '.', not all digits, and unique among " \
	"running domains"

/* Connect as toolstack or print why not (and how to start umxd). */
int tool_connect(umx_conn **out);
/* Parse a domid argument; -EINVAL with a message if it is not one. */
int tool_parse_domid(const char *s, uint32_t *out);
/* @s as a user may see it in an error: at most 48 bytes, non-printable
 * bytes as '?', "..." when cut. Four rotating buffers: up to four
 * arguments may be shown in one message. */
const char *tool_show(const char *s);
/* Check a domain name against TOOL_NAME_RULES (uniqueness is umxd's);
 * prints "@cmd: name '...': why (rules)" and returns -EINVAL. */
int tool_check_name(const char *cmd, const char *name);
/* Resolve a domain argument: a domid (all digits) or the name of a
 * running domain. Prints "@cmd: ..." and returns -ESRCH/-EINVAL if none. */
int tool_domain(umx_conn *ts, const char *cmd, const char *arg, uint32_t *domid);
/* tool_domain() for commands that do not otherwise need a connection. */
int tool_domain_noconn(const char *cmd, const char *arg, uint32_t *domid);

/* ---- what the device commands share (device.c) ---- */
/* On real Xen (dom0, no umxd domain around us; or UMX_PLATFORM=xen). */
bool tool_on_xen(void);
/* The toolstack's store: umxd's, or on Xen xenstored's socket, else the
 * kernel's /dev/xen/xenbus. Prints "@cmd: ..." and returns -1 if none. */
int tool_store_open(const char *cmd, umx_xs **xs);
/* The store of the umxd @ts is connected to: 0 or -errno. */
int tool_store_of(umx_conn *ts, umx_xs **xs);
/* A device command's domain argument: a domid, or on umxd a running
 * domain's name (tool_domain_noconn). */
int tool_device_domain(const char *cmd, const char *arg, uint32_t *domid);
/* Wait up to @secs for @back to take up device @devid of @front: its
 * backend/<@type>/<front>/<devid>/state reaching InitWait (2) or beyond.
 * The state reached, -ETIMEDOUT, or another -errno. */
int tool_wait_backend(umx_xs *xs, const char *type, uint32_t front, uint32_t back, unsigned devid,
                      unsigned secs);
/* @dir/@name's value (malloc'd), or NULL. */
char *tool_read_node(umx_xs *xs, const char *dir, const char *name);
/* From "key1=v1 key2=v2 ..." (a backend's statistics node, NULL when
 * absent) the value of @key into @out, or "-". */
void tool_stat_field(const char *stats, const char *key, char *out, size_t len);
/* A state node's value as a name ("connected"), "unknown" when NULL. */
const char *tool_state_name(const char *state);
/* Call @fn for each device of every backend/<@type>/<front>/<devid> in the
 * store, with the names as found and @dev, the device's backend directory. */
typedef void (*tool_device_fn)(void *ctx, umx_xs *xs, const char *back, const char *front,
                               const char *devid, const char *dev);
int tool_list_backends(umx_xs *xs, const char *type, tool_device_fn fn, void *ctx);

/* ---- consoles (cmd_console.c) ---- */
/* The console service's domain name. */
#define TOOL_CONSOLE_SERVICE "console"
/* The console service's domid, started (`umx console serve -d`) when it
 * is not running. Prints "@cmd: ..." and returns -errno if none. */
int tool_console_service(umx_conn *ts, const char *cmd, uint32_t *domid);
/* Attach the terminal to console 0 of @domid until Ctrl-] (*@detached
 * set) or until the console goes away. 0, or 1 with the reason printed. */
int tool_console_attach(uint32_t domid, bool *detached);

int cmd_daemon(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_domid(int argc, char **argv);
int cmd_domname(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_xs(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_blk(int argc, char **argv);
int cmd_vchan(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_attack(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_net_capture(int argc, char **argv);
/* cmd_top.c: the counters `umx list --json` adds to each domain: load
 * them all (0 or -errno), then print one domain's as JSON members. */
int tool_counters_load(umx_conn *ts);
void tool_counters_json(uint32_t domid);

/* Usage texts (printed by `umx CMD --help`, which never touches umxd). */
extern const char tool_run_help[];
extern const char tool_create_help[];

#endif
