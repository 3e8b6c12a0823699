/* SPDX-License-Identifier: MIT */
/*
 * msa02_peer — the MSA02 rule (a granted page is never reused while the peer
 * still maps it) shown on whichever platform umx_plat_open() picks: real
 * Xen (tests/xen scenario 60-msa02-on-xen) or umxd (tests/interop).
 *
 *   msa02_peer grant PEER_DOMID STORE_DIR     the granter
 *   msa02_peer map GRANTER_DOMID STORE_DIR    the mapper
 *
 * The two talk through STORE_DIR, which both may write:
 *  1. grant shares one page filled with ORIGINAL and writes ref;
 *  2. map maps it, checks ORIGINAL, writes mapped;
 *  3. grant unshares it while it is mapped (umxd: -EBUSY, the page is kept
 *     aside; Xen: 0, Linux's gntalloc defers the page) and writes unshared;
 *     then it churns its own memory: 64 MiB of fresh anonymous pages and 256
 *     fresh granted pages, all filled with CANARY and kept, so a page freed
 *     too early would very likely come back into one of them; writes churned;
 *  4. map checks its view still holds ORIGINAL (never CANARY), writes MARKER
 *     over the whole page and writes checked;
 *  5. grant scans everything it churned for MARKER: found means the peer
 *     wrote into memory we had reused — the MSA02 bug.
 * Exit 0 when the rule held on this side, 1 when it did not, 2 on a usage
 * or setup error (which also fails a test: nothing was shown).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "umx/platform.h"
#include "umx/xs.h"

#define CHURN_BYTES (64u << 20)
#define CHURN_SHARE 256u
#define WAIT_SECS   120

static const char ORIGINAL[] = "UMX-MSA02-ORIGINAL-CONTENT.";
static const char CANARY[] = "UMX-MSA02-CANARY-REUSED-MEM!";
static const char MARKER[] = "UMX-MSA02-WRITTEN-BY-MAPPER!";

static void fill(void *mem, size_t len, const char *pat)
{
	size_t n = strlen(pat);

	for (size_t i = 0; i < len; i++)
		((char *)mem)[i] = pat[i % n];
}

/* Offset of the first page-aligned copy of @pat in @mem, or -1. */
static long find(const void *mem, size_t len, const char *pat)
{
	size_t n = strlen(pat);

	for (size_t off = 0; off + n <= len; off += UMX_PAGE_SIZE)
		if (!memcmp((const char *)mem + off, pat, n))
			return (long)off;
	return -1;
}

static bool holds(const void *mem, size_t len, const char *pat)
{
	size_t n = strlen(pat);

	for (size_t i = 0; i < len; i++)
		if (((const char *)mem)[i] != pat[i % n])
			return false;
	return true;
}

static int put(umx_xs *xs, const char *dir, const char *key, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return umx_xs_write_str(xs, 0, path, val);
}

/* Wait until dir/key exists and return its value (malloc'd), or NULL. */
static char *await(umx_xs *xs, const char *dir, const char *key)
{
	char path[256], *v = NULL;
	time_t end = time(NULL) + WAIT_SECS;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	while (umx_xs_read(xs, 0, path, &v, NULL) < 0) {
		if (time(NULL) > end) {
			fprintf(stderr, "msa02_peer: no %s after %d s\n", path, WAIT_SECS);
			return NULL;
		}
		usleep(50000);
	}
	return v;
}

static int granter(umx_plat *p, uint32_t peer, const char *dir)
{
	umx_xs *xs = umx_plat_xs(p);
	umx_plat_shared *s, *churn_s[CHURN_SHARE];
	unsigned nchurn = 0;
	char buf[32], *v;
	void *churn;
	int r, bad = 0;
	long off;

	if ((r = umx_plat_share(p, peer, 1, false, NULL, &s)) < 0) {
		fprintf(stderr, "msa02_peer: share: %s\n", strerror(-r));
		return 2;
	}
	fill(umx_plat_share_addr(s), UMX_PAGE_SIZE, ORIGINAL);
	snprintf(buf, sizeof(buf), "%u", umx_plat_share_ref(s, 0));
	if (put(xs, dir, "ref", buf) < 0 || !(v = await(xs, dir, "mapped")))
		return 2;
	free(v);

	r = umx_plat_unshare(p, s); /* the peer maps it right now */
	printf("msa02_peer: unshare while the peer maps the page: %d (%s)\n", r,
	       r == -EBUSY ? "busy: deferred"
	       : r == 0    ? "0: ended, release deferred by the platform"
	                   : strerror(-r));
	if (r < 0 && r != -EBUSY)
		return 1;
	snprintf(buf, sizeof(buf), "%d", r);
	put(xs, dir, "unshared", buf);

	churn = mmap(NULL, CHURN_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (churn == MAP_FAILED)
		return 2;
	fill(churn, CHURN_BYTES, CANARY);
	for (; nchurn < CHURN_SHARE; nchurn++) {
		if (umx_plat_share(p, peer, 1, false, NULL, &churn_s[nchurn]) < 0)
			break;
		fill(umx_plat_share_addr(churn_s[nchurn]), UMX_PAGE_SIZE, CANARY);
	}
	printf("msa02_peer: churned %u MiB of anonymous memory and %u fresh granted pages\n",
	       CHURN_BYTES >> 20, nchurn);
	if (put(xs, dir, "churned", "1") < 0 || !(v = await(xs, dir, "checked")))
		return 2;
	printf("msa02_peer: the mapper says: %s\n", v);
	bad |= strcmp(v, "ok") != 0;
	free(v);

	if ((off = find(churn, CHURN_BYTES, MARKER)) >= 0) {
		printf("msa02_peer: FAIL: the mapper's write landed in our memory (offset %ld)\n",
		       off);
		bad = 1;
	}
	for (unsigned i = 0; i < nchurn; i++) {
		if (find(umx_plat_share_addr(churn_s[i]), UMX_PAGE_SIZE, MARKER) >= 0) {
			printf("msa02_peer: FAIL: the mapper's write landed in a page we "
			       "granted afterwards\n");
			bad = 1;
		}
		umx_plat_unshare(p, churn_s[i]);
	}
	munmap(churn, CHURN_BYTES);
	if (!bad)
		printf("msa02_peer: ok: the page was not reused while mapped\n");
	return bad;
}

static int mapper(umx_plat *p, uint32_t granter_id, const char *dir)
{
	umx_xs *xs = umx_plat_xs(p);
	umx_plat_mapped *m;
	uint32_t ref;
	char *v;
	void *page;
	int r, bad = 0;

	if (!(v = await(xs, dir, "ref")))
		return 2;
	ref = (uint32_t)strtoul(v, NULL, 10);
	free(v);
	if ((r = umx_plat_map(p, granter_id, 1, &ref, false, NULL, &m)) < 0) {
		fprintf(stderr, "msa02_peer: map ref %u: %s\n", ref, strerror(-r));
		return 2;
	}
	page = umx_plat_map_addr(m);
	if (!holds(page, UMX_PAGE_SIZE, ORIGINAL)) {
		fprintf(stderr, "msa02_peer: the page does not hold what was granted\n");
		return 2;
	}
	if (put(xs, dir, "mapped", "1") < 0 || !(v = await(xs, dir, "churned")))
		return 2;
	free(v);
	if (find(page, UMX_PAGE_SIZE, CANARY) >= 0) {
		printf("msa02_peer: FAIL: our mapping shows the granter's reused memory\n");
		bad = 1;
	} else if (!holds(page, UMX_PAGE_SIZE, ORIGINAL)) {
		printf("msa02_peer: FAIL: our mapping changed after the unshare\n");
		bad = 1;
	} else {
		printf("msa02_peer: ok: our mapping still holds the granted content after the "
		       "unshare and the granter's churn\n");
	}
	fill(page, UMX_PAGE_SIZE, MARKER); /* must land in the kept page, nowhere else */
	put(xs, dir, "checked", bad ? "mapping showed reused memory" : "ok");
	umx_plat_unmap(p, m);
	return bad;
}

int main(int argc, char **argv)
{
	umx_plat *p;
	int r;

	if (argc != 4 || (strcmp(argv[1], "grant") && strcmp(argv[1], "map"))) {
		fprintf(stderr, "usage: msa02_peer grant PEER_DOMID STORE_DIR\n"
		                "       msa02_peer map GRANTER_DOMID STORE_DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((r = umx_plat_open(NULL, &p)) < 0) {
		fprintf(stderr, "msa02_peer: no platform: %s\n", strerror(-r));
		return 2;
	}
	printf("msa02_peer: %s on the %s platform, domain %u\n", argv[1], umx_plat_name(p),
	       umx_plat_domid(p));
	r = !strcmp(argv[1], "grant") ? granter(p, (uint32_t)atoi(argv[2]), argv[3])
	                              : mapper(p, (uint32_t)atoi(argv[2]), argv[3]);
	umx_plat_close(p);
	return r;
}
