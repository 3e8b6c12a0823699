/* SPDX-License-Identifier: MIT */
/* The umx command: shared helpers for the subcommand files. */
#ifndef UMX_TOOL_H
#define UMX_TOOL_H

#include "umx/conn.h"

/* Connect as toolstack or print why not (and how to start umxd). */
int tool_connect(umx_conn **out);
/* Parse a domid argument; -EINVAL with a message if it is not one. */
int tool_parse_domid(const char *s, uint32_t *out);

int cmd_daemon(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_xs(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_blk(int argc, char **argv);
int cmd_vchan(int argc, char **argv);

#endif
