/* SPDX-License-Identifier: MIT */
/*
 * peer.h — who may use umxd's toolstack sockets ($UMX_DIR/control and
 * $UMX_DIR/xenstored). The directory's mode and the uid check keep other
 * users out; this keeps out our own uid's processes that live inside a
 * domain's sandbox, should one ever reach the socket: a toolstack client
 * must share umxd's user, pid and mount namespaces.
 */
#ifndef UMXD_PEER_H
#define UMXD_PEER_H

#include <sys/types.h>

/* 0 when the connected peer (@pid and @uid from SO_PEERCRED) shares our
 * user, pid and mount namespaces; else -EPERM with *@why saying how it
 * differs (for the log). */
int umxd_peer_check(pid_t pid, uid_t uid, const char **why);

#endif /* UMXD_PEER_H */
