/* SPDX-License-Identifier: MIT */
/*
 * bytering.h — one direction of a byte-stream ring (vchan, console).
 *
 * Design note
 * -----------
 * vchan (xen/io/libxenvchan.h, `struct ring_shared { cons, prod }`) and
 * the PV console (xen/io/console.h, `in_cons, in_prod, out_cons,
 * out_prod`) move bytes through a power-of-two buffer with two free-running
 * 32-bit indices: the writer advances `prod`, the reader advances `cons`,
 * and `prod - cons` bytes are in flight. The two protocols place the
 * indices differently, so a struct umx_bytering is given pointers to them
 * (and to the buffer) rather than a fixed layout.
 *
 * An end is either the READER or the WRITER of one buffer. Its own index is
 * read from the shared page once, at init (attach to an existing stream),
 * and from then on kept privately; the peer's index is read once per call
 * (acquire) and must lie in the only window an honest peer can produce:
 *   reader: last seen prod <= prod <= cons + size
 *   writer: last seen cons <= cons <= prod
 * (modulo 2^32). Anything else — an overrun, an index going backwards —
 * breaks the ring: sticky, reason kept and logged once, -EPROTO from every
 * later call. Data is always copied; the caller never gets a pointer into
 * the shared buffer. Work per call is bounded by the buffer size.
 *
 * Notification (vchan's notify bits, the console's event channel) is the
 * device's business; between publishing an index and checking a peer's
 * "notify me" flag it needs umx_mb() from barrier.h.
 */
#ifndef UMX_BYTERING_H
#define UMX_BYTERING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum umx_bytering_role {
	UMX_BYTERING_READER = 1,
	UMX_BYTERING_WRITER = 2,
};

/* Largest buffer: keeps every count in an int. */
#define UMX_BYTERING_MAX_SIZE (1u << 30)

/* Caller-allocated; fields private to bytering.c. */
struct umx_bytering {
	unsigned char *buf;       /* shared data, hostile */
	uint32_t *own_idx;        /* shared: cons (reader) or prod (writer) */
	const uint32_t *peer_idx; /* shared: prod (reader) or cons (writer) */
	uint32_t size;            /* power of two */
	uint32_t pvt;             /* our index, private copy */
	uint32_t peer_last;       /* lower bound for the peer's index */
	enum umx_bytering_role role;
	bool broken;
	char reason[128];
};

/*
 * Attach @b as @role to the buffer @buf of @size bytes (a power of two,
 * 1 .. UMX_BYTERING_MAX_SIZE) whose indices live at @cons and @prod.
 * Reads our own index once from the shared page; does not write. All
 * pointers must stay valid while @b is used; umx owns none of them.
 * Returns 0 or -EINVAL.
 */
int umx_bytering_init(struct umx_bytering *b, enum umx_bytering_role role, void *buf, size_t size,
                      uint32_t *cons, uint32_t *prod);

/*
 * Reader: bytes available to read now (validated), or -EPROTO.
 * Writer: bytes of free space now (validated), or -EPROTO.
 * Calling the other role's function is API misuse and returns -EINVAL.
 */
int umx_bytering_data_avail(struct umx_bytering *b);
int umx_bytering_space_avail(struct umx_bytering *b);

/*
 * Reader: copy up to @len bytes out and release them to the writer
 * (publish cons). Returns the count (0 when empty), or -EPROTO.
 */
int umx_bytering_read(struct umx_bytering *b, void *dst, size_t len);

/*
 * Reader, all or nothing: copy exactly @len bytes, or nothing. Returns
 * @len, -EAGAIN when fewer are available (nothing consumed), -EMSGSIZE when
 * @len exceeds the buffer size, or -EPROTO.
 */
int umx_bytering_read_all(struct umx_bytering *b, void *dst, size_t len);

/*
 * Writer: copy up to @len bytes in and publish them (release prod: data
 * visible before the index). Returns the count (0 when full), or -EPROTO.
 */
int umx_bytering_write(struct umx_bytering *b, const void *src, size_t len);

/*
 * Writer, all or nothing: returns @len, -EAGAIN when there is less space
 * (nothing written), -EMSGSIZE when @len exceeds the buffer, or -EPROTO.
 */
int umx_bytering_write_all(struct umx_bytering *b, const void *src, size_t len);

/* The reason the ring broke, or NULL while it is healthy. */
const char *umx_bytering_broken(const struct umx_bytering *b);

/* Mark broken from above (first reason wins, logged once); returns -EPROTO. */
int umx_bytering_mark_broken(struct umx_bytering *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#endif /* UMX_BYTERING_H */
