/* SPDX-License-Identifier: MIT */
/* The grant-mapper role's attacks (grant_mapper.c): the MSA02 class. */
#ifndef UMX_ATTACK_GRANT_MAPPER_H
#define UMX_ATTACK_GRANT_MAPPER_H

enum gm_attack {
	GM_RX_KEPT, /* RX buffers kept mapped across the device's close */
};

/* The pattern written into every kept page; the target must leave it. */
#define GM_PATTERN "UMX-ATTACK-MSA02-KEPT."

#endif
