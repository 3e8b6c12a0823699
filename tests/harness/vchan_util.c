/* SPDX-License-Identifier: MIT */
/* Definitions for vchan_util.h (declarations and contracts there). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vchan_util.h"

uint64_t vt_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint8_t vt_byte(uint64_t seed, uint64_t i)
{
	uint64_t s = seed ^ (i >> 3) * 0x9e3779b97f4a7c15ull;
	return (uint8_t)(vt_rand(&s) >> (8 * (i & 7)));
}

void vt_fill(uint64_t seed, uint64_t pos, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = vt_byte(seed, pos + i);
}

long vt_check(uint64_t seed, uint64_t pos, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != vt_byte(seed, pos + i))
			return (long)i;
	return -1;
}

void vt_path(char *buf, size_t len, uint32_t server, uint32_t client)
{
	snprintf(buf, len, "/local/domain/%u/data/vchan/%u/test", server, client);
}

umx_vchan *vt_server(struct vpair *vp)
{
	char path[96];
	umx_vchan *v = NULL;
	/* Relative: resolves under our own /local/domain/<domid>. */
	snprintf(path, sizeof(path), "data/vchan/%u/test", vp->client_domid);
	if (umx_vchan_server_open(vp->client_domid, path, vp->left_min, vp->right_min, &v) < 0)
		return NULL;
	return v;
}

umx_vchan *vt_client(struct vpair *vp)
{
	char path[96];
	umx_vchan *v = NULL;
	uint32_t doms[2];
	if (read(vp->to_client[0], doms, sizeof(doms)) != sizeof(doms))
		return NULL;
	vp->server_domid = doms[0];
	vp->client_domid = doms[1];
	vt_path(path, sizeof(path), vp->server_domid, vp->client_domid);
	int r = umx_vchan_client_open(vp->server_domid, path, 10000, &v);
	if (r < 0) {
		fprintf(stderr, "client open %s: %s\n", path, strerror(-r));
		return NULL;
	}
	return v;
}

void vt_start(struct umx_test_daemon *d, struct vpair *vp, int (*server)(void *),
              int (*client)(void *), uint32_t dom[2], pid_t pid[2])
{
	assert_int_equal(pipe(vp->to_client), 0);
	assert_int_equal(umx_test_domain_fork(d, "vclient", client, vp, &dom[1], &pid[1]), 0);
	vp->client_domid = dom[1];
	assert_int_equal(umx_test_domain_fork(d, "vserver", server, vp, &dom[0], &pid[0]), 0);
	assert_int_equal(write(vp->to_client[1], dom, 2 * sizeof(dom[0])), 2 * sizeof(dom[0]));
}

void vt_run(struct vpair *vp, int (*server)(void *), int (*client)(void *))
{
	struct umx_test_daemon d;
	uint32_t dom[2];
	pid_t pid[2];

	assert_int_equal(umx_test_daemon_start(&d), 0);
	vt_start(&d, vp, server, client, dom, pid);
	umx_test_domains_reap(&d, 2, dom, pid, (int[]){0, 0});
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}
