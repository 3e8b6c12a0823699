/* SPDX-License-Identifier: MIT */
/* The netfront role's attacks (net_front.c). */
#ifndef UMX_ATTACK_NET_FRONT_H
#define UMX_ATTACK_NET_FRONT_H

enum nf_attack {
	NF_GARBAGE_GREF, /* a TX request naming a grant that does not exist */
	NF_CROSS_PAGE,   /* offset 4000, size 200: past the page */
	NF_PROD_AHEAD,   /* the request producer 100000 past the requests */
	NF_STORM,        /* events and nothing else */
};

#endif
