/* SPDX-License-Identifier: MIT */
/* Helpers for the vchan tests: a server and a client domain that learn each
 * other's domid, and a deterministic byte stream both ends can regenerate. */
#ifndef UMX_TEST_VCHAN_UTIL_H
#define UMX_TEST_VCHAN_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/vchan.h"

struct vpair {
	int to_client[2]; /* the server's domid */
	uint32_t client_domid;
	uint32_t server_domid;
	size_t left_min, right_min;
	void *arg;
};

/* One splitmix64 step of state *@s. */
uint64_t vt_rand(uint64_t *s);

/* Byte @i of stream @seed; vt_fill writes bytes @pos.. of it to @buf. */
uint8_t vt_byte(uint64_t seed, uint64_t i);
void vt_fill(uint64_t seed, uint64_t pos, uint8_t *buf, size_t n);

/* First mismatch in @buf against the stream at @pos, or -1. */
long vt_check(uint64_t seed, uint64_t pos, const uint8_t *buf, size_t n);

/* The test vchan's absolute store path for @server and @client. */
void vt_path(char *buf, size_t len, uint32_t server, uint32_t client);

/* In the server domain: open the test vchan towards vp->client_domid.
 * In the client domain: learn both domids from the parent (vt_start),
 * then connect. Each returns the vchan, or NULL (the client says why). */
umx_vchan *vt_server(struct vpair *vp);
umx_vchan *vt_client(struct vpair *vp);

/* Start the client domain, then the server domain; returns both pids. */
void vt_start(struct umx_test_daemon *d, struct vpair *vp, int (*server)(void *),
              int (*client)(void *), uint32_t dom[2], pid_t pid[2]);

/* The usual vchan test: a private umxd, @client and @server as in
 * vt_start; both must exit 0 (umx_test_domains_reap) and umxd must
 * stop cleanly. */
void vt_run(struct vpair *vp, int (*server)(void *), int (*client)(void *));

#endif
