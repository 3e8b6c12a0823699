/* SPDX-License-Identifier: MIT */
/* The umx command: shared helpers for the subcommand files. */
#ifndef UMX_TOOL_H
#define UMX_TOOL_H

#include <stdint.h>

#include "umx/conn.h"

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

/* Usage texts (printed by `umx CMD --help`, which never touches umxd). */
extern const char tool_run_help[];
extern const char tool_create_help[];

#endif
