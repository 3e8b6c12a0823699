/* SPDX-License-Identifier: MIT */
/*
 * lwip_inc.h — lwIP's headers, included once with the project's stricter
 * warnings relaxed for them only (they are not written for -Wshadow and
 * -Wstrict-prototypes), plus the helpers the example programs share.
 */
#ifndef UMX_LWIP_INC_H
#define UMX_LWIP_INC_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <lwip/opt.h>
#include <lwip/init.h>
#include <lwip/ip_addr.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>
#include <lwip/udp.h>
#include <lwip/timeouts.h>
#include <lwip/etharp.h>
#include <netif/ethernet.h>
#pragma GCC diagnostic pop

#include "umx_lwip.h"

/*
 * The test pattern the example programs serve and check: byte @off of an
 * endless stream, a 64-bit mix of the 8-byte word index so that a lost,
 * duplicated or reordered segment anywhere is seen.
 */
void lwip_pattern_fill(uint8_t *buf, uint64_t off, size_t len);
/* Bytes of @buf that differ from the pattern at @off: index of the first
 * mismatch, or -1 when all match. */
long lwip_pattern_check(const uint8_t *buf, uint64_t off, size_t len);

#endif
