/* SPDX-License-Identifier: MIT */
/* The store-client role's attacks (store_client.c). */
#ifndef UMX_ATTACK_STORE_CLIENT_H
#define UMX_ATTACK_STORE_CLIENT_H

enum sc_attack {
	SC_OVERSIZED,         /* a write one byte past XENSTORE_PAYLOAD_MAX */
	SC_UNKNOWN_TYPE,      /* message type 9999 */
	SC_PATH_UNTERMINATED, /* a read whose path has no NUL */
	SC_OUTSIDE_HOME,      /* a write into the target domain's directory */
	SC_TRUNCATED,         /* half a write, then the connection closed */
};

#endif
