/* SPDX-License-Identifier: MIT */
/* Shared by the blk tests: a blkback domain that reports its vbds when
 * stopped, the toolstack's attach, backing files, and a test pattern. */
#ifndef BLK_UTIL_H
#define BLK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umx/blk.h"
#include "umx_test.h"

struct blk_be {
	int stop[2];            /* parent → backend: any byte stops it */
	int report[2];          /* backend → parent: int count, then the vbds */
	enum umx_blkback_io io; /* zero: UMX_BLKBACK_IO_AUTO */
	bool deny_uring;        /* a seccomp filter refuses io_uring_setup (EPERM) */
};

int blk_be_pipes(struct blk_be *be);
/* Whether this kernel (and this process's seccomp filter) lets a process
 * set up an io_uring: 1, or 0. */
int blk_uring_available(void);
/* The backend domain: serve vbds until told to stop, then report them. */
int blk_backend_domain(void *arg);
/* Stop the backend and read its vbds; the count or -1. */
int blk_be_stop(struct blk_be *be, struct umx_blk_vbd *vbds);
const struct umx_blk_vbd *blk_vbd(const struct umx_blk_vbd *v, int n, uint32_t devid);

/* A fresh file /tmp/umx-blk-XXXXXX of @bytes filled with blk_pattern();
 * its path in @path (64 bytes). 0 or -errno. */
int blk_make_file(char *path, uint64_t bytes);
/* Byte @off of the initial content of every test disk. */
static inline uint8_t blk_pattern(uint64_t off)
{
	return (uint8_t)((off * 131u) ^ (off >> 9) ^ 0x5a);
}

/* Attach vbd @devid of @front on @back as the toolstack; the devid or -errno. */
int blk_attach(uint32_t front, uint32_t back, int devid, const char *path, bool ro,
               unsigned sector_size);

/* xorshift64*: reproducible random data. */
uint64_t blk_rand(uint64_t *s);
void blk_fill_rand(uint64_t *s, uint8_t *buf, size_t n);
/* FNV-1a 64 of @n bytes. */
uint64_t blk_hash(const uint8_t *p, size_t n, uint64_t h);
#define BLK_HASH_INIT 0xcbf29ce484222325ull

#endif
